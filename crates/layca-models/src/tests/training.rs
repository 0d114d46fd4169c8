//! Acceptance 3: one SGD step on a tiny batch decreases the loss for every network (train
//! mode), eval mode is deterministic and leaves the buffers alone; BN placement shows in the
//! statistics it sees.

use candle_core::{DType, Device, IndexOp};

use super::util::{input, labels, loss, scalar, sgd_step};
use crate::{build, Arch, Network};

fn buffers_sum(net: &dyn Network) -> Vec<f64> {
    net.buffers()
        .iter()
        .map(|b| scalar(&b.var.as_tensor().sum_all().unwrap()))
        .collect()
}

fn step_and_eval(arch: Arch, hw: usize) {
    let dev = Device::Cpu;
    let net = build(arch, 21, &dev).unwrap();
    let c = arch.input_shape()[0];
    let xs = input(&[2, c, hw, hw], 22, DType::F32);
    let ys = labels(2, arch.num_classes(), 23);
    // Eval: right shape, deterministic, buffers untouched.
    let before = buffers_sum(net.as_ref());
    let e1 = net.forward_t(&xs, false).unwrap();
    assert_eq!(e1.dims(), [2, arch.num_classes()], "{arch:?}");
    let e2 = net.forward_t(&xs, false).unwrap();
    let d = scalar(&(&e1 - &e2).unwrap().abs().unwrap().max_all().unwrap());
    assert_eq!(d, 0.0, "{arch:?}: eval not deterministic");
    assert_eq!(
        before,
        buffers_sum(net.as_ref()),
        "{arch:?}: eval changed buffers"
    );
    // One SGD step in train mode (same dropout masks for both losses).
    net.set_dropout_seed(5);
    let l0 = sgd_step(net.as_ref(), &xs, &ys, 0.01);
    net.set_dropout_seed(5);
    let l1 = scalar(&loss(net.as_ref(), &xs, &ys, true));
    assert!(l0.is_finite() && l1 < l0, "{arch:?}: loss {l0} -> {l1}");
    assert_ne!(
        before,
        buffers_sum(net.as_ref()),
        "{arch:?}: train did not update buffers"
    );
}

#[test]
fn sgd_step_c10_cnn1() {
    step_and_eval(Arch::C10Cnn1, 32);
}

#[test]
fn sgd_step_resnet32() {
    step_and_eval(Arch::Resnet32, 32);
}

#[test]
fn sgd_step_tiny_cnn_at_32() {
    // Global average pooling lets tiny-CNN run at 32×32 (nominal 64×64).
    step_and_eval(Arch::TinyCnn, 32);
}

#[test]
fn sgd_step_c10_cnn2() {
    step_and_eval(Arch::C10Cnn2, 32);
}

#[test]
fn sgd_step_wrn28_10_at_16() {
    // Global average pooling lets WRN run at 16×16 (4× cheaper than 32×32).
    step_and_eval(Arch::Wrn28_10, 16);
}

#[test]
fn sgd_step_resnet110() {
    step_and_eval(Arch::Resnet110, 32);
}

#[test]
fn sgd_step_mnist_mlp() {
    step_and_eval(Arch::MnistMlp, 28);
}

#[test]
fn bn_placement_shows_in_moving_means() {
    // With zero-debiasing, after one training step a BN's moving mean is the batch mean of its
    // input. C10-CNN1 normalises ReLU outputs (Conv → ReLU → BN): all means ≥ 0.
    // C10-CNN2 normalises raw conv outputs (Conv → BN → ReLU): some means < 0.
    let dev = Device::Cpu;
    let xs = input(&[2, 3, 32, 32], 30, DType::F32);
    for (arch, relu_first) in [(Arch::C10Cnn1, true), (Arch::C10Cnn2, false)] {
        let net = build(arch, 31, &dev).unwrap();
        net.forward_t(&xs, true).unwrap();
        let b = &net.buffers()[0];
        assert!(b.name.ends_with("moving_mean"), "{}", b.name);
        let min = scalar(&b.var.as_tensor().min_all().unwrap());
        assert_eq!(min >= 0.0, relu_first, "{arch:?}: min moving mean {min}");
        let _ = b.var.as_tensor().i(0).unwrap();
    }
}
