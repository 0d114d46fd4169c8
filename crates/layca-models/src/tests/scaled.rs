//! Narrow networks for the `cpu` scale (issue 11): `build_scaled` keeps the kernel list and
//! divides every hidden width; divisor 1 is the paper's network.

use candle_core::{DType, Device, Tensor};

use super::util::{input, labels, sgd_step};
use crate::{
    build, build_scaled, build_scaled_with_dtype, scaled_width, summary, summary_scaled, Arch,
    ArchSummary, NamedVar, Network, Ops, MIN_SCALED_WIDTH,
};

fn flat_f64(t: &Tensor) -> Vec<f64> {
    t.to_dtype(DType::F64)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap()
}

fn all_state(net: &dyn Network) -> Vec<NamedVar> {
    let mut v = net.kernels();
    v.extend(net.others());
    v.extend(net.buffers());
    v
}

#[test]
fn scaled_width_rounds_and_clamps() {
    assert_eq!(scaled_width(512, 1), 512);
    assert_eq!(scaled_width(512, 0), 512);
    assert_eq!(scaled_width(784, 8), 98);
    assert_eq!(scaled_width(16, 3), 5); // 5.33
    assert_eq!(scaled_width(784, 3), 261); // 261.33
    assert_eq!(scaled_width(32, 3), 11); // 10.67
    assert_eq!(scaled_width(20, 8), 3); // 2.5 rounds up
    assert_eq!(scaled_width(16, 16), MIN_SCALED_WIDTH);
    assert_eq!(scaled_width(16, 1000), MIN_SCALED_WIDTH);
}

#[test]
fn divisor_zero_is_an_error() {
    let e = build_scaled(Arch::MnistMlp, 0, 1, &Device::Cpu)
        .err()
        .unwrap();
    assert!(e.to_string().contains("width divisor"), "{e}");
    assert!(build_scaled_with_dtype(Arch::MnistMlp, 2, 1, DType::U8, &Device::Cpu).is_err());
}

/// Divisor 1 gives the paper's network, value for value.
#[test]
fn divisor_one_is_build() {
    for arch in Arch::ALL {
        let a = build(arch, 17, &Device::Cpu).unwrap();
        let b = build_scaled(arch, 1, 17, &Device::Cpu).unwrap();
        let (sa, sb) = (all_state(a.as_ref()), all_state(b.as_ref()));
        assert_eq!(sa.len(), sb.len(), "{arch:?}");
        for (x, y) in sa.iter().zip(&sb) {
            assert_eq!(x.name, y.name, "{arch:?}");
            assert_eq!(x.var.dims(), y.var.dims(), "{arch:?} {}", x.name);
            assert!(
                flat_f64(x.var.as_tensor()) == flat_f64(y.var.as_tensor()),
                "{arch:?}: {} differs",
                x.name
            );
        }
    }
}

/// The narrow shape expected for one dimension of kernel `i` (of `n`): input channels of the
/// first conv, the MLP's 784 inputs, the class count and kernel sizes stay; the rest is divided.
fn expected_shape(arch: Arch, i: usize, n: usize, full: &[usize], d: usize) -> Vec<usize> {
    let sw = |w| scaled_width(w, d);
    match full {
        [o, c, kh, kw] => {
            let c = if i == 0 { *c } else { sw(*c) };
            vec![sw(*o), c, *kh, *kw]
        }
        [din, dout] => {
            let din = if i == 0 && arch == Arch::MnistMlp {
                *din
            } else {
                sw(*din)
            };
            let dout = if i + 1 == n { *dout } else { sw(*dout) };
            vec![din, dout]
        }
        other => panic!("{arch:?}: unexpected kernel rank {other:?}"),
    }
}

fn conv_params_after_first(s: &ArchSummary) -> usize {
    s.kernel_shapes
        .iter()
        .skip(1)
        .filter(|sh| sh.len() == 4)
        .map(|sh| sh.iter().product::<usize>())
        .sum()
}

fn check_narrow(full: &ArchSummary, d: usize) -> ArchSummary {
    let arch = full.arch;
    let s = summary_scaled(arch, d).unwrap();
    assert_eq!(s.kernel_names, full.kernel_names, "{arch:?} /{d}: names");
    assert_eq!(s.l2_exempt, full.l2_exempt, "{arch:?} /{d}");
    assert_eq!(s.output_shape, full.output_shape, "{arch:?} /{d}");
    let n = full.num_kernels;
    for (i, (f, g)) in full.kernel_shapes.iter().zip(&s.kernel_shapes).enumerate() {
        let want = expected_shape(arch, i, n, f, d);
        assert_eq!(g, &want, "{arch:?} /{d}: {} of {f:?}", full.kernel_names[i]);
    }
    // Every hidden width of the paper's networks is a multiple of 16 (784 = 16 · 49), so
    // from the second conv on the conv weights are divided by exactly d².
    assert_eq!(
        conv_params_after_first(&s) * d * d,
        conv_params_after_first(full),
        "{arch:?} /{d}: conv params"
    );
    s
}

/// Same kernel list at divisors 2, 4, 8, every shape narrowed as documented; prints the
/// parameter table (`cargo test -p layca-models scaled_kernel_lists -- --nocapture`).
#[test]
fn scaled_kernel_lists_and_parameter_counts() {
    println!("kernel parameters (all trainable parameters where they differ)");
    println!("| arch | L | /1 | /2 | /4 | /8 |");
    for arch in Arch::ALL {
        let full = summary(arch).unwrap();
        let cell = |s: &ArchSummary| match s.other_params {
            0 => format!("{}", s.kernel_params),
            o => format!("{} ({})", s.kernel_params, s.kernel_params + o),
        };
        let mut row = format!("| {} | {} | {}", arch.name(), full.num_kernels, cell(&full));
        for d in [2, 4, 8] {
            row.push_str(&format!(" | {}", cell(&check_narrow(&full, d))));
        }
        println!("{row} |");
    }
}

/// Where two narrowed widths meet the floor, WRN keeps its projection shortcuts (decided on
/// the nominal widths) and every network keeps its kernel list.
#[test]
fn extreme_divisor_keeps_kernel_lists() {
    for arch in [
        Arch::Wrn28_10,
        Arch::Resnet32,
        Arch::C10Cnn2,
        Arch::MnistMlp,
    ] {
        let full = summary(arch).unwrap();
        let s = summary_scaled(arch, 1000).unwrap();
        assert_eq!(s.kernel_names, full.kernel_names, "{arch:?}");
        let first = &s.kernel_shapes[0];
        // conv (out, in, k, k) or the MLP's dense (784, hidden)
        let width = if first.len() == 4 { first[0] } else { first[1] };
        assert_eq!(width, MIN_SCALED_WIDTH, "{arch:?}: {first:?}");
    }
}

#[test]
fn mlp_hidden_layer_is_784_over_d() {
    for d in [2, 4, 8] {
        let net = build_scaled(Arch::MnistMlp, d, 3, &Device::Cpu).unwrap();
        let h = 784 / d;
        let k = net.kernels();
        assert_eq!(k[0].var.dims(), [784, h]);
        assert_eq!(k[1].var.dims(), [h, 10]);
        let sizes: Vec<usize> = net.others().iter().map(|o| o.var.elem_count()).collect();
        assert_eq!(
            sizes,
            [h, h, h, 10],
            "dense0.bias, bn0.gamma, bn0.beta, densef.bias"
        );
        let bufs: Vec<usize> = net.buffers().iter().map(|b| b.var.elem_count()).collect();
        assert_eq!(bufs[..2], [h, h]);
        // glorot_uniform on the narrow fans: limit sqrt(6 / (784 + h)).
        let lim = (6.0 / (784 + h) as f64).sqrt();
        let max = flat_f64(k[0].var.as_tensor())
            .into_iter()
            .fold(0.0, |m, v| v.abs().max(m));
        assert!(
            max <= lim && max > 0.98 * lim,
            "/{d}: max {max} limit {lim}"
        );
        assert!(crate::hidden_features(k[0].var.as_tensor(), h - 1).is_ok());
    }
}

/// he_uniform / he_normal / glorot_uniform use the narrow fans.
#[test]
fn initialisers_use_narrow_fans() {
    let d = 4;
    // C10-CNN1 conv1_0: (16, 8, 3, 3) he_uniform, limit sqrt(6 / 72).
    let net = build_scaled(Arch::C10Cnn1, d, 5, &Device::Cpu).unwrap();
    let k = &net.kernels()[6];
    assert_eq!(k.var.dims(), [16, 8, 3, 3]);
    let v = flat_f64(k.var.as_tensor());
    let lim = (6.0f64 / 72.0).sqrt();
    let max = v.iter().fold(0.0f64, |m, x| x.abs().max(m));
    assert!(max <= lim && max > 0.95 * lim, "max {max} limit {lim}");
    // ResNet-32 s2b1_a: (16, 16, 3, 3) he_normal, σ = sqrt(2 / 144), truncated at 2σ.
    let net = build_scaled(Arch::Resnet32, d, 5, &Device::Cpu).unwrap();
    let k = net
        .kernels()
        .into_iter()
        .find(|k| k.name == "s2b1_a")
        .unwrap();
    assert_eq!(k.var.dims(), [16, 16, 3, 3]);
    let v = flat_f64(k.var.as_tensor());
    let sigma = (2.0f64 / 144.0).sqrt();
    assert!(v.iter().all(|x| x.abs() <= 2.0 * sigma));
    let rms = (v.iter().map(|x| x * x).sum::<f64>() / v.len() as f64).sqrt();
    // The 2σ-truncated normal has std 0.8796 σ.
    assert!((rms / sigma - 0.8796).abs() < 0.05, "rms/σ {}", rms / sigma);
}

#[test]
fn same_seed_same_narrow_network() {
    let a = build_scaled(Arch::Resnet32, 4, 9, &Device::Cpu).unwrap();
    let b = build_scaled(Arch::Resnet32, 4, 9, &Device::Cpu).unwrap();
    let c = build_scaled(Arch::Resnet32, 4, 10, &Device::Cpu).unwrap();
    let ka = flat_f64(a.kernels()[5].var.as_tensor());
    assert_eq!(ka, flat_f64(b.kernels()[5].var.as_tensor()));
    assert_ne!(ka, flat_f64(c.kernels()[5].var.as_tensor()));
}

/// One train-mode forward + backward + SGD step on a batch of 2 with `ops`: logits of the
/// right shape, a gradient for every kernel and other parameter (finite, non-zero overall).
fn forward_backward(arch: Arch, d: usize, ops: Ops) {
    let mut net = build_scaled(arch, d, 31, &Device::Cpu).unwrap();
    net.set_ops(ops);
    let [c, h, w] = arch.input_shape();
    let xs = input(&[2, c, h, w], 32, DType::F32);
    let ys = labels(2, arch.num_classes(), 33);
    let out = net.forward_t(&xs, false).unwrap();
    assert_eq!(out.dims(), [2, arch.num_classes()], "{arch:?} /{d}");
    net.set_dropout_seed(1);
    let l = sgd_step(net.as_ref(), &xs, &ys, 0.01);
    assert!(l.is_finite(), "{arch:?} /{d} {ops:?}: loss {l}");
}

#[test]
fn narrow_forward_backward_fast() {
    for arch in Arch::ALL {
        for d in [2, 4, 8] {
            forward_backward(arch, d, Ops::Fast);
        }
    }
}

#[test]
fn narrow_forward_backward_stock() {
    for arch in Arch::ALL {
        for d in [4, 8] {
            forward_backward(arch, d, Ops::Stock);
        }
    }
}
