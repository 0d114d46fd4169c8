//! Acceptance 2: finite-difference gradient checks in f64 (train mode) of every block type,
//! through narrow instances of the very builders used by the paper's networks:
//! Conv→ReLU→BN + max-pool + GAP head (Keras VGG), Conv→BN→ReLU + max-pool + flatten →
//! Dense → BN → ReLU → Dense head (torch-blog VGG), ResNet v1 basic blocks with identity and
//! 1×1 stride-2 projection shortcuts + asymmetric "same" stride-2 convs + 8×8 average pooling,
//! WRN pre-activation blocks with dropout (fixed seed), projection at stride 1 and 2, and the
//! MLP with biases and affine BN (γ, β checked too).

use candle_core::{DType, Device, Tensor};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::util::{input, labels, loss, scalar};
use crate::{MnistMlp, Network, Resnet, Vgg, Wrn};

const H: f64 = 1e-6;
const DROPOUT_SEED: u64 = 99;

fn eval_loss(net: &dyn Network, xs: &Tensor, ys: &Tensor) -> f64 {
    net.set_dropout_seed(DROPOUT_SEED);
    scalar(&loss(net, xs, ys, true))
}

/// Checks `probes` random entries of every kernel and every other parameter; returns the
/// number of entries checked.
fn fd_check(net: &dyn Network, xs: &Tensor, ys: &Tensor, probes: usize) -> usize {
    net.set_dropout_seed(DROPOUT_SEED);
    let l = loss(net, xs, ys, true);
    let grads = l.backward().unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(1234);
    let mut checked = 0;
    for nv in net.kernels().into_iter().chain(net.others()) {
        let g: Vec<f64> = grads
            .get(nv.var.as_tensor())
            .unwrap_or_else(|| panic!("no gradient for {}", nv.name))
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        let shape = nv.var.dims().to_vec();
        let mut w: Vec<f64> = nv.var.as_tensor().flatten_all().unwrap().to_vec1().unwrap();
        for _ in 0..probes {
            let i = rng.gen_range(0..w.len());
            let w0 = w[i];
            w[i] = w0 + H;
            nv.var
                .set(&Tensor::from_vec(w.clone(), shape.as_slice(), &Device::Cpu).unwrap())
                .unwrap();
            let lp = eval_loss(net, xs, ys);
            w[i] = w0 - H;
            nv.var
                .set(&Tensor::from_vec(w.clone(), shape.as_slice(), &Device::Cpu).unwrap())
                .unwrap();
            let lm = eval_loss(net, xs, ys);
            w[i] = w0;
            nv.var
                .set(&Tensor::from_vec(w.clone(), shape.as_slice(), &Device::Cpu).unwrap())
                .unwrap();
            let num = (lp - lm) / (2.0 * H);
            let ana = g[i];
            assert!(
                (num - ana).abs() <= 1e-7 + 1e-5 * ana.abs(),
                "{}[{i}]: numerical {num:e} vs analytic {ana:e}",
                nv.name
            );
            checked += 1;
        }
    }
    checked
}

#[test]
fn fd_keras_vgg_conv_relu_bn_maxpool_gap() {
    let net = Vgg::keras_vgg(&[4, 6, 8], 2, 5, 0.99, 3, DType::F64, &Device::Cpu).unwrap();
    let xs = input(&[2, 3, 8, 8], 1, DType::F64);
    let ys = labels(2, 5, 2);
    assert_eq!(fd_check(&net, &xs, &ys, 4), 7 * 4);
}

#[test]
fn fd_torch_blog_vgg_conv_bn_relu_flatten_head() {
    let net = Vgg::torch_blog_vgg(
        &[4, 4, 6, 6, 8],
        &[1, 2, 1, 1, 1],
        6,
        5,
        4,
        DType::F64,
        &Device::Cpu,
    )
    .unwrap();
    let xs = input(&[3, 3, 32, 32], 5, DType::F64);
    let ys = labels(3, 5, 6);
    assert_eq!(fd_check(&net, &xs, &ys, 4), 8 * 4);
}

#[test]
fn fd_resnet_blocks_projection_avgpool() {
    // ResNet-8: one block per stage (identity, then two 1×1 stride-2 projections).
    let net = Resnet::new(8, 5, 7, DType::F64, &Device::Cpu).unwrap();
    assert_eq!(net.kernels().len(), 1 + 6 + 2 + 1);
    let xs = input(&[2, 3, 32, 32], 8, DType::F64);
    let ys = labels(2, 5, 9);
    assert_eq!(fd_check(&net, &xs, &ys, 3), 10 * 3);
}

#[test]
fn fd_wrn_preactivation_blocks_with_dropout() {
    // WRN-16-2: per stage a projection block (stride 1, 2, 2) and an identity block.
    let net = Wrn::new(16, 2, 5, 0.3, 10, DType::F64, &Device::Cpu).unwrap();
    assert_eq!(net.kernels().len(), 1 + 12 + 3 + 1);
    let xs = input(&[2, 3, 8, 8], 11, DType::F64);
    let ys = labels(2, 5, 12);
    assert_eq!(fd_check(&net, &xs, &ys, 3), 17 * 3);
}

#[test]
fn fd_mnist_mlp_with_biases_and_affine_bn() {
    let net = MnistMlp::new(13, DType::F64, &Device::Cpu).unwrap();
    // Move γ, β and the biases away from 1 / 0 so that their gradients are generic.
    let mut rng = ChaCha8Rng::seed_from_u64(14);
    for nv in net.others() {
        let n = nv.var.elem_count();
        let v: Vec<f64> = (0..n).map(|_| rng.gen_range(0.5..1.5)).collect();
        nv.var
            .set(&Tensor::from_vec(v, n, &Device::Cpu).unwrap())
            .unwrap();
    }
    let xs = input(&[4, 1, 28, 28], 15, DType::F64);
    let ys = labels(4, 10, 16);
    assert_eq!(fd_check(&net, &xs, &ys, 5), 6 * 5);
}
