//! Per-op timings at ResNet-32 / MLP shapes (forward and backward), fast vs stock:
//! `cargo run --release -p layca-ops --example opbench`.
use std::time::Instant;

use candle_core::{DType, Device, Tensor, Var};
use layca_ops::*;

fn time(what: &str, reps: usize, mut f: impl FnMut()) {
    f();
    let t = Instant::now();
    for _ in 0..reps {
        f();
    }
    println!(
        "{what:<48} {:>9.2} ms",
        t.elapsed().as_secs_f64() * 1e3 / reps as f64
    );
}

fn main() -> candle_core::Result<()> {
    let dev = Device::Cpu;
    let r = |s: &[usize]| Tensor::randn(0f32, 1.0, s, &dev).unwrap();
    // Backward passes start from `Σ y·probe`, whose gradient `probe` is contiguous (a plain
    // `sum_all` would hand a stride-0 broadcast to the op's backward).
    for (c, o, hw, k, s, pads) in [
        // the `cpu` figure scale's narrow ResNet stages, then the paper's
        (4usize, 4usize, 32usize, 3usize, 1usize, [1usize, 1, 1, 1]),
        (8, 8, 16, 3, 1, [1, 1, 1, 1]),
        (16, 16, 32, 3, 1, [1, 1, 1, 1]),
        (32, 32, 16, 3, 1, [1, 1, 1, 1]),
        (64, 64, 8, 3, 1, [1, 1, 1, 1]),
        (16, 32, 32, 3, 2, [0, 1, 0, 1]),
    ] {
        let x = Var::from_tensor(&r(&[128, c, hw, hw]))?;
        let w = Var::from_tensor(&r(&[o, c, k, k]))?;
        let p = Conv2dParams {
            stride: s,
            pad_top: pads[0],
            pad_bottom: pads[1],
            pad_left: pads[2],
            pad_right: pads[3],
        };
        let tag = format!("conv {c}->{o} {hw}x{hw} s{s}");
        time(&format!("{tag} fwd fast"), 3, || {
            conv2d(x.as_tensor(), w.as_tensor(), p).unwrap();
        });
        let probe = r(conv2d(x.as_tensor(), w.as_tensor(), p)?.dims());
        time(&format!("{tag} fwd+bwd fast"), 3, || {
            conv2d(x.as_tensor(), w.as_tensor(), p)
                .unwrap()
                .mul(&probe)
                .unwrap()
                .sum_all()
                .unwrap()
                .backward()
                .unwrap();
        });
        time(&format!("{tag} fwd stock"), 1, || {
            x.as_tensor()
                .pad_with_zeros(2, pads[0], pads[1])
                .unwrap()
                .pad_with_zeros(3, pads[2], pads[3])
                .unwrap()
                .conv2d(w.as_tensor(), 0, s, 1, 1)
                .unwrap();
        });
        let flops = 2.0 * 128.0 * (o * c * k * k) as f64 * ((hw / s) * (hw / s)) as f64;
        println!("   ({:.2} GFLOP per pass)", flops / 1e9);
    }
    let x = Var::from_tensor(&r(&[128, 16, 32, 32]))?;
    let probe = r(&[128, 16, 32, 32]);
    for act in [BnActivation::None, BnActivation::ReluAfter] {
        time(&format!("bn {act:?} 128x16x32x32 fwd"), 5, || {
            batch_norm_train(x.as_tensor(), None, None, 1e-3, act).unwrap();
        });
        time(&format!("bn {act:?} 128x16x32x32 fwd+bwd"), 5, || {
            batch_norm_train(x.as_tensor(), None, None, 1e-3, act)
                .unwrap()
                .0
                .mul(&probe)
                .unwrap()
                .sum_all()
                .unwrap()
                .backward()
                .unwrap();
        });
    }
    let a = Var::from_tensor(&r(&[128, 16, 32, 32]))?;
    time("add_relu fwd+bwd", 5, || {
        add_relu(x.as_tensor(), a.as_tensor())
            .unwrap()
            .mul(&probe)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
    });
    time("probe loss + backward alone (reference)", 5, || {
        x.as_tensor()
            .mul(&probe)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
    });
    let x = Var::from_tensor(&r(&[2048, 784]))?;
    let w = Var::from_tensor(&r(&[784, 784]))?;
    time("linear 2048x784x784 fwd", 5, || {
        linear(x.as_tensor(), w.as_tensor(), None).unwrap();
    });
    time("stock matmul 2048x784x784 fwd", 5, || {
        x.as_tensor().matmul(w.as_tensor()).unwrap();
    });
    let h = r(&[2048, 784]);
    let g = r(&[784]);
    let b = r(&[784]);
    time("bn (2048, 784) affine ReluAfter fwd", 10, || {
        batch_norm_train(&h, Some(&g), Some(&b), 1e-3, BnActivation::ReluAfter).unwrap();
    });
    let bias = r(&[784]);
    time("linear+bias 2048x784x784 fwd", 10, || {
        linear(x.as_tensor(), w.as_tensor(), Some(&bias)).unwrap();
    });
    let xs4 = r(&[2048, 1, 28, 28]);
    time("flatten_from(1) of input", 10, || {
        xs4.flatten_from(1).unwrap().contiguous().unwrap();
    });
    let _ = DType::F32;
    Ok(())
}
