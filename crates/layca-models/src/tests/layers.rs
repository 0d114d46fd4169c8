//! Building blocks: TF "same" padding, pooling, Keras BN statistics, initialisers, dropout.

use candle_core::{DType, Device, IndexOp, Tensor, Var};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::util::{input, scalar};
use crate::init::Init;
use crate::layers::{
    avg_pool, max_pool, same_padding, BatchNorm, BnConfig, Conv2d, Dropout, Ops, Padding,
};

#[test]
fn tf_same_padding_amounts() {
    // Spec §1.1: 3×3 stride 2 on 32 → 16 pads 0 before, 1 after; 1×1 stride 2 pads nothing;
    // 3×3 stride 1 pads 1/1.
    assert_eq!(same_padding(32, 3, 2), (0, 1));
    assert_eq!(same_padding(32, 1, 2), (0, 0));
    assert_eq!(same_padding(32, 3, 1), (1, 1));
    assert_eq!(same_padding(7, 3, 2), (1, 1));
}

#[test]
fn strided_same_conv_is_asymmetric() {
    // 4×4 input holding 0..16, 3×3 all-ones kernel, stride 2, TF "same": pad 0 before / 1
    // after, windows start at rows/cols 0 and 2.
    //   out[0,0] = sum rows 0-2, cols 0-2 = 0+1+2+4+5+6+8+9+10 = 45
    //   out[1,1] = rows 2-3, cols 2-3 (+ zero padding) = 10+11+14+15 = 50
    let dev = Device::Cpu;
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let conv = Conv2d::new(
        "c",
        1,
        1,
        3,
        2,
        Padding::Same,
        Init::HeUniform,
        &mut rng,
        DType::F32,
        &dev,
    )
    .unwrap();
    conv.kernel
        .set(&Tensor::ones((1, 1, 3, 3), DType::F32, &dev).unwrap())
        .unwrap();
    let x = Tensor::arange(0f32, 16.0, &dev)
        .unwrap()
        .reshape((1, 1, 4, 4))
        .unwrap();
    let y = conv.forward(&x).unwrap();
    assert_eq!(y.dims(), [1, 1, 2, 2]);
    let v: Vec<Vec<f32>> = y.i((0, 0)).unwrap().to_vec2().unwrap();
    // out[0,1] = rows 0-2, cols 2-3 = 2+3+6+7+10+11 = 39; out[1,0] = rows 2-3, cols 0-2 = 8+9+10+12+13+14 = 66.
    assert_eq!(v, vec![vec![45.0, 39.0], vec![66.0, 50.0]]);
}

#[test]
fn pooling_values_and_gradients() {
    // max_pool gradient must be exactly 1 at the argmax of each window (candle 0.11.1's
    // max_pool2d gives 1/4 here).
    let dev = Device::Cpu;
    let x = Var::from_tensor(
        &Tensor::new(
            &[
                [1f32, 5., 2., 0.],
                [3., 4., 8., 7.],
                [0., 0., 1., 1.5],
                [9., 2., 3., 1.],
            ],
            &dev,
        )
        .unwrap()
        .reshape((1, 1, 4, 4))
        .unwrap(),
    )
    .unwrap();
    let y = max_pool(x.as_tensor(), 2).unwrap();
    let v: Vec<Vec<f32>> = y.i((0, 0)).unwrap().to_vec2().unwrap();
    assert_eq!(v, vec![vec![5.0, 8.0], vec![9.0, 3.0]]);
    let g = y.sum_all().unwrap().backward().unwrap();
    let gx: Vec<Vec<f32>> = g
        .get(x.as_tensor())
        .unwrap()
        .i((0, 0))
        .unwrap()
        .to_vec2()
        .unwrap();
    assert_eq!(
        gx,
        vec![
            vec![0., 1., 0., 0.],
            vec![0., 0., 1., 0.],
            vec![0., 0., 0., 0.],
            vec![1., 0., 1., 0.]
        ]
    );
    let a = avg_pool(x.as_tensor(), 2).unwrap();
    let v: Vec<Vec<f32>> = a.i((0, 0)).unwrap().to_vec2().unwrap();
    assert_eq!(
        v,
        vec![vec![13.0 / 4.0, 17.0 / 4.0], vec![11.0 / 4.0, 6.5 / 4.0]]
    );
    // Ties: the gradient goes to the first maximum of the window only (TF MaxPoolGrad).
    let t = Var::from_tensor(
        &Tensor::new(&[[2f32, 2.], [2., 1.]], &dev)
            .unwrap()
            .reshape((1, 1, 2, 2))
            .unwrap(),
    )
    .unwrap();
    let y = max_pool(t.as_tensor(), 2).unwrap();
    assert_eq!(scalar(&y.sum_all().unwrap()), 2.0);
    let g = y.sum_all().unwrap().backward().unwrap();
    let gt: Vec<Vec<f32>> = g
        .get(t.as_tensor())
        .unwrap()
        .i((0, 0))
        .unwrap()
        .to_vec2()
        .unwrap();
    assert_eq!(gt, vec![vec![1., 0.], vec![0., 0.]]);
    // Odd sizes: trailing row/column dropped ("valid").
    let odd = input(&[1, 2, 5, 5], 3, DType::F32);
    assert_eq!(max_pool(&odd, 2).unwrap().dims(), [1, 2, 2, 2]);
}

#[test]
fn batchnorm_keras_statistics() {
    // Channel 0 of a (4, 1) batch: values 1, 2, 3, 6 → mean 3, biased var 3.5,
    // Keras-corrected var 3.5 · 4 / (4 − 1 − 1e-3).
    let dev = Device::Cpu;
    let cfg = BnConfig::plain(0.99);
    let bn = BatchNorm::new("bn", 1, cfg, DType::F64, &dev).unwrap();
    let x = Tensor::new(&[[1f64], [2.], [3.], [6.]], &dev).unwrap();
    let y = bn.forward_t(&x, true).unwrap();
    let yv: Vec<f64> = y.flatten_all().unwrap().to_vec1().unwrap();
    let s = (3.5f64 + 1e-3).sqrt();
    for (a, b) in yv.iter().zip([-2.0 / s, -1.0 / s, 0.0, 3.0 / s]) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }
    let buf = bn.buffers();
    let mm = scalar(&buf[0].var.as_tensor().i(0).unwrap());
    let mv = scalar(&buf[1].var.as_tensor().i(0).unwrap());
    let v1 = 3.5 * 4.0 / (3.0 - 1e-3);
    // Zero-debias: after one update the moving stats are the batch stats themselves.
    assert!((mm - 3.0).abs() < 1e-12, "{mm}");
    assert!((mv - v1).abs() < 1e-12, "{mv}");
    // Second batch: 0, 0, 0, 4 → mean 1, biased var 3, corrected v2 = 3·4/(3 − 1e-3).
    // Debiased EMA after 2 steps: (0.99·0.01·a1 + 0.01·a2) / (1 − 0.99²).
    let x2 = Tensor::new(&[[0f64], [0.], [0.], [4.]], &dev).unwrap();
    bn.forward_t(&x2, true).unwrap();
    let v2 = 3.0 * 4.0 / (3.0 - 1e-3);
    let d = 1.0 - 0.99f64.powi(2);
    let mm = scalar(&buf[0].var.as_tensor().i(0).unwrap());
    let mv = scalar(&buf[1].var.as_tensor().i(0).unwrap());
    assert!(
        (mm - (0.99 * 0.01 * 3.0 + 0.01 * 1.0) / d).abs() < 1e-12,
        "{mm}"
    );
    assert!(
        (mv - (0.99 * 0.01 * v1 + 0.01 * v2) / d).abs() < 1e-12,
        "{mv}"
    );
    // Eval uses the moving statistics.
    let ye = bn
        .forward_t(&Tensor::new(&[[mm]], &dev).unwrap(), false)
        .unwrap();
    assert!(scalar(&ye.i((0, 0)).unwrap()).abs() < 1e-12);

    // Without debiasing: moving = 0.99·init + 0.01·batch (init mean 0, var 1).
    let cfg = BnConfig {
        zero_debias: false,
        ..cfg
    };
    let bn = BatchNorm::new("bn", 1, cfg, DType::F64, &dev).unwrap();
    bn.forward_t(&x, true).unwrap();
    let buf = bn.buffers();
    assert_eq!(buf.len(), 2);
    assert!((scalar(&buf[0].var.as_tensor().i(0).unwrap()) - 0.03).abs() < 1e-12);
    assert!((scalar(&buf[1].var.as_tensor().i(0).unwrap()) - (0.99 + 0.01 * v1)).abs() < 1e-12);
}

#[test]
fn initialiser_ranges_and_moments() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    // he_uniform, fan_in 9·16 = 144: |w| ≤ √(6/144), variance limit²/3 = 2/144.
    let v = Init::HeUniform.sample(&mut rng, 20_000, 144, 288);
    let lim = (6.0f64 / 144.0).sqrt();
    assert!(v.iter().all(|x| x.abs() <= lim));
    let var = v.iter().map(|x| x * x).sum::<f64>() / v.len() as f64;
    assert!((var / (2.0 / 144.0) - 1.0).abs() < 0.05, "{var}");
    // Truncated he_normal without the std correction: |w| ≤ 2σ, realised std ≈ 0.8796σ.
    let v = Init::HeNormal.sample(&mut rng, 20_000, 144, 288);
    let sigma = (2.0f64 / 144.0).sqrt();
    assert!(v.iter().all(|x| x.abs() <= 2.0 * sigma));
    let std = (v.iter().map(|x| x * x).sum::<f64>() / v.len() as f64).sqrt();
    assert!((std / sigma - 0.8796).abs() < 0.02, "{}", std / sigma);
    // glorot_uniform: limit √(6/(fan_in+fan_out)).
    let v = Init::GlorotUniform.sample(&mut rng, 20_000, 144, 288);
    let lim = (6.0f64 / 432.0).sqrt();
    assert!(v.iter().all(|x| x.abs() <= lim));
    assert!(v.iter().any(|x| x.abs() > 0.99 * lim));
}

#[test]
fn dropout_rate_scaling_and_seed() {
    let dev = Device::Cpu;
    let d = Dropout::new(0.3, 1, &dev);
    let x = Tensor::ones(100_000, DType::F32, &dev).unwrap();
    let y: Vec<f32> = d
        .forward_t(&x, true, Ops::Stock)
        .unwrap()
        .to_vec1()
        .unwrap();
    let kept = y.iter().filter(|v| **v != 0.0).count() as f64 / y.len() as f64;
    assert!((kept - 0.7).abs() < 0.01, "{kept}");
    assert!(y.iter().all(|v| *v == 0.0 || (*v - 1.0 / 0.7).abs() < 1e-6));
    // Same seed → same mask; eval is the identity.
    d.set_seed(42);
    let a: Vec<f32> = d
        .forward_t(&x, true, Ops::Stock)
        .unwrap()
        .to_vec1()
        .unwrap();
    d.set_seed(42);
    let b: Vec<f32> = d
        .forward_t(&x, true, Ops::Stock)
        .unwrap()
        .to_vec1()
        .unwrap();
    assert_eq!(a, b);
    let e: Vec<f32> = d
        .forward_t(&x, false, Ops::Stock)
        .unwrap()
        .to_vec1()
        .unwrap();
    assert!(e.iter().all(|v| *v == 1.0));
}

/// The fused dropout (fast path) draws the same mask and gives the same bits as the stock
/// composition, forward and backward, in f32 and f64 (negative inputs: dropped ones are −0).
#[test]
fn fused_dropout_is_bit_identical_to_stock() {
    let dev = Device::Cpu;
    for dt in [DType::F32, DType::F64] {
        let x = Var::from_tensor(
            &Tensor::randn(0f32, 1.0, (4, 3, 17, 9), &dev)
                .unwrap()
                .to_dtype(dt)
                .unwrap(),
        )
        .unwrap();
        let probe = Tensor::randn(0f32, 1.0, (4, 3, 17, 9), &dev)
            .unwrap()
            .to_dtype(dt)
            .unwrap();
        let run = |ops: Ops| {
            let d = Dropout::new(0.3, 7, &dev);
            let y = d.forward_t(x.as_tensor(), true, ops).unwrap();
            let g = y
                .mul(&probe)
                .unwrap()
                .sum_all()
                .unwrap()
                .backward()
                .unwrap();
            let gx = g.get(x.as_tensor()).unwrap().flatten_all().unwrap();
            let y = y.flatten_all().unwrap();
            let bits = |t: &Tensor| -> Vec<u64> {
                let t = t.to_dtype(DType::F64).unwrap();
                t.to_vec1::<f64>()
                    .unwrap()
                    .iter()
                    .map(|v| v.to_bits())
                    .collect()
            };
            (bits(&y), bits(&gx))
        };
        let (fast, stock) = (run(Ops::Fast), run(Ops::Stock));
        assert_eq!(fast.0, stock.0, "{dt:?} forward");
        assert_eq!(fast.1, stock.1, "{dt:?} backward");
        assert!(fast.0.iter().any(|&b| f64::from_bits(b) == 0.0));
    }
}
