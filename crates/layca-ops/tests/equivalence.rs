//! Each op's forward and gradients against the stock candle composition, on random inputs of
//! the paper's shapes (f32 and f64), within 1e-4 relative (issue 6, point 1).

mod common;

use candle_core::{DType, Tensor};
use common::*;
use layca_ops::{
    add_relu, batch_norm_train, conv2d, linear, max_pool2d, BnActivation, Conv2dParams,
};

const TOL: f64 = 1e-4;

/// Runs `fast` and `stock` on the same vars, compares outputs and all gradients.
fn check(
    what: &str,
    vars: &[candle_core::Var],
    fast: impl Fn(&[Tensor]) -> Tensor,
    stock: impl Fn(&[Tensor]) -> Tensor,
) {
    let ts: Vec<Tensor> = vars.iter().map(|v| v.as_tensor().clone()).collect();
    let yf = fast(&ts);
    let ys = stock(&ts);
    let e = rel_err(&yf, &ys);
    assert!(e < TOL, "{what}: forward rel err {e:e}");
    let gf = probe_loss(&yf, 99).unwrap().backward().unwrap();
    let gs = probe_loss(&ys, 99).unwrap().backward().unwrap();
    for (i, v) in vars.iter().enumerate() {
        let a = gf
            .get(v)
            .unwrap_or_else(|| panic!("{what}: no fast grad for arg {i}"));
        let b = gs
            .get(v)
            .unwrap_or_else(|| panic!("{what}: no stock grad for arg {i}"));
        let e = rel_err(a, b);
        assert!(e < TOL, "{what}: grad of arg {i} rel err {e:e}");
    }
}

#[allow(clippy::too_many_arguments)]
fn conv_case(
    n: usize,
    c: usize,
    hw: usize,
    o: usize,
    k: usize,
    stride: usize,
    pads: [usize; 4],
    dt: DType,
) {
    let x = var(&[n, c, hw, hw], dt, 1);
    let w = var(&[o, c, k, k], dt, 2);
    let p = Conv2dParams {
        stride,
        pad_top: pads[0],
        pad_bottom: pads[1],
        pad_left: pads[2],
        pad_right: pads[3],
    };
    check(
        &format!("conv {n}x{c}x{hw}x{hw} -> {o} k{k} s{stride} {pads:?} {dt:?}"),
        &[x, w],
        |t| conv2d(&t[0], &t[1], p).unwrap(),
        |t| stock_conv(&t[0], &t[1], stride, pads).unwrap(),
    );
}

#[test]
fn conv2d_matches_stock_on_resnet_shapes() {
    for dt in [DType::F32, DType::F64] {
        // input conv, 3×3 same, 1×1 projection stride 2, 3×3 stride 2 with TF same (0 before,
        // 1 after), last stage at 8×8.
        conv_case(4, 3, 32, 16, 3, 1, [1, 1, 1, 1], dt);
        conv_case(4, 16, 32, 16, 3, 1, [1, 1, 1, 1], dt);
        conv_case(4, 16, 32, 32, 1, 2, [0, 0, 0, 0], dt);
        conv_case(4, 16, 32, 32, 3, 2, [0, 1, 0, 1], dt);
        conv_case(4, 64, 8, 64, 3, 1, [1, 1, 1, 1], dt);
    }
}

#[test]
fn conv2d_matches_stock_on_vgg_shapes() {
    // C10-CNN1 / C10-CNN2 / tiny-CNN: wider 3×3 same convs, a 1×1 pointwise, 64×64 input.
    conv_case(2, 64, 16, 128, 3, 1, [1, 1, 1, 1], DType::F32);
    conv_case(2, 32, 8, 48, 1, 1, [0, 0, 0, 0], DType::F32);
    conv_case(2, 3, 64, 32, 3, 1, [1, 1, 1, 1], DType::F32);
    // one example (the GEMM itself runs in parallel), odd sizes, valid padding
    conv_case(1, 5, 9, 7, 3, 1, [0, 0, 0, 0], DType::F64);
    conv_case(3, 5, 9, 7, 3, 2, [2, 0, 1, 1], DType::F64);
}

#[test]
fn conv2d_matches_stock_on_stride_one_paddings() {
    // The stride-1 backward paths (`conv_s1`): the input gradient as a forward convolution
    // (fewer than 16 output channels, any padding below the kernel size) and the kernel
    // gradient from shifted channels-last views (output as wide as the input, kw·c ≥ 32, ≥ 3/4
    // of the padded plane output):
    // asymmetric left/right padding, uneven top/bottom, 5×5 kernels, several examples per
    // product at small planes, 1 and 7 examples; then each path alone.
    for dt in [DType::F32, DType::F64] {
        conv_case(3, 12, 17, 6, 3, 1, [2, 0, 0, 2], dt);
        conv_case(2, 12, 16, 3, 3, 1, [0, 2, 2, 0], dt);
        conv_case(7, 12, 16, 5, 3, 1, [1, 1, 1, 1], dt);
        conv_case(1, 7, 28, 4, 5, 1, [2, 2, 2, 2], dt);
        conv_case(2, 7, 28, 4, 5, 1, [1, 3, 4, 0], dt);
        conv_case(2, 12, 17, 16, 3, 1, [2, 0, 0, 2], dt);
        conv_case(2, 3, 10, 4, 3, 1, [1, 0, 1, 0], dt);
        // The implicit-im2col forward (f32, 8 to 32 input channels): asymmetric
        // and 5×5 paddings, a valid convolution.
        conv_case(2, 9, 17, 6, 3, 1, [2, 0, 0, 2], dt);
        conv_case(2, 8, 20, 3, 5, 1, [1, 3, 4, 0], dt);
        conv_case(3, 12, 10, 4, 3, 1, [0, 0, 0, 0], dt);
    }
}

#[test]
fn conv2d_matches_stock_on_channels_last_paths() {
    // The channels-last implicit convolution (`conv_nhwc`: f32, ≥ 16 channels on both sides
    // and ≥ 32 on one, at least one example per worker thread): tiles of 12 × 16, 12 × 32,
    // 8 × 48 and 6 × 64 (several panels of each), channel counts off the 16-lane and panel
    // grids, pixel tiles across rows and examples (4×4, 5×5 planes), asymmetric, large and
    // valid paddings, a 5×5 kernel, strides 2 and 3 (ResNet's TF-"same" stride-2 3×3 and its
    // 1×1 stride-2 projection); f64 takes the other paths on the same shapes. On a pool of
    // two threads, so that these batches take the path whatever the machine's core count;
    // batches of one example take the GEMM paths there (checked below).
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    pool.install(|| {
        for dt in [DType::F32, DType::F64] {
            conv_case(3, 32, 8, 32, 3, 1, [1, 1, 1, 1], dt);
            conv_case(2, 40, 5, 70, 3, 1, [1, 1, 1, 1], dt);
            conv_case(5, 64, 4, 48, 3, 1, [1, 1, 1, 1], dt);
            conv_case(2, 33, 7, 129, 3, 1, [2, 0, 0, 2], dt);
            conv_case(2, 36, 9, 40, 5, 1, [1, 3, 4, 0], dt);
            conv_case(2, 48, 6, 33, 3, 1, [0, 0, 0, 0], dt);
            conv_case(2, 160, 4, 160, 3, 1, [1, 1, 1, 1], dt);
            conv_case(2, 64, 3, 128, 3, 1, [1, 1, 1, 1], dt);
            conv_case(2, 16, 9, 32, 3, 1, [1, 1, 1, 1], dt);
            conv_case(2, 32, 7, 16, 3, 1, [1, 1, 1, 1], dt);
            conv_case(2, 16, 16, 32, 3, 2, [0, 1, 0, 1], dt);
            conv_case(2, 32, 8, 64, 1, 2, [0, 0, 0, 0], dt);
            conv_case(3, 32, 9, 48, 3, 2, [1, 1, 1, 1], dt);
            conv_case(2, 40, 11, 32, 3, 3, [1, 0, 2, 2], dt);
            // one example: the GEMM paths, which split its product over the threads
            conv_case(1, 36, 9, 40, 5, 1, [1, 3, 4, 0], dt);
        }
    });
}

#[test]
fn conv2d_skips_the_input_gradient_for_data() {
    let x = randn(&[2, 3, 8, 8], DType::F32, 1);
    let w = var(&[4, 3, 3, 3], DType::F32, 2);
    let y = conv2d(&x, w.as_tensor(), Conv2dParams::new(1, 1)).unwrap();
    let g = probe_loss(&y, 3).unwrap().backward().unwrap();
    assert!(g.get(&x).is_none());
    assert!(g.get(w.as_tensor()).is_some());
}

fn bn_case(shape: &[usize], affine: bool, act: BnActivation, dt: DType) {
    let c = shape[1];
    let mut vars = vec![var(shape, dt, 5)];
    if affine {
        vars.push(var(&[c], dt, 6));
        vars.push(var(&[c], dt, 7));
    }
    let (rb, ra) = (
        act == BnActivation::ReluBefore,
        act == BnActivation::ReluAfter,
    );
    check(
        &format!("bn {shape:?} affine={affine} {act:?} {dt:?}"),
        &vars,
        |t| {
            batch_norm_train(&t[0], t.get(1), t.get(2), 1e-3, act)
                .unwrap()
                .0
        },
        |t| stock_bn(&t[0], t.get(1), t.get(2), 1e-3, rb, ra).unwrap(),
    );
}

#[test]
fn batch_norm_matches_stock() {
    for act in [
        BnActivation::None,
        BnActivation::ReluAfter,
        BnActivation::ReluBefore,
    ] {
        for dt in [DType::F32, DType::F64] {
            bn_case(&[8, 16, 32, 32], false, act, dt);
            bn_case(&[4, 64, 8, 8], false, act, dt);
            bn_case(&[64, 784], true, act, dt);
            bn_case(&[3, 5, 2, 3], true, act, dt);
        }
    }
}

#[test]
fn batch_norm_returns_the_batch_statistics() {
    let x = randn(&[6, 3, 4, 5], DType::F64, 11);
    let (_, s) = batch_norm_train(&x, None, None, 1e-3, BnActivation::None).unwrap();
    let mean = x
        .mean_keepdim(&[0, 2, 3][..])
        .unwrap()
        .flatten_all()
        .unwrap();
    let var = x
        .broadcast_sub(&x.mean_keepdim(&[0, 2, 3][..]).unwrap())
        .unwrap()
        .sqr()
        .unwrap()
        .mean_keepdim(&[0, 2, 3][..])
        .unwrap()
        .flatten_all()
        .unwrap();
    assert!(rel_err(&s.mean, &mean) < 1e-12);
    assert!(rel_err(&s.var, &var) < 1e-12);
    assert_eq!(s.count, 6 * 20);
}

#[test]
fn max_pool_matches_stock_including_ties() {
    for dt in [DType::F32, DType::F64] {
        let x = var(&[4, 32, 32, 32], dt, 8);
        check(
            "max_pool 32x32",
            &[x],
            |t| max_pool2d(&t[0], 2).unwrap(),
            |t| stock_max_pool(&t[0], 2).unwrap(),
        );
        // odd sizes drop the trailing row/column
        let x = var(&[2, 3, 7, 9], dt, 9);
        check(
            "max_pool 7x9",
            &[x],
            |t| max_pool2d(&t[0], 2).unwrap(),
            |t| stock_max_pool(&t[0], 2).unwrap(),
        );
        // ties: ReLU zeros then a constant shift (as BN after ReLU produces)
        let x = var(&[2, 4, 8, 8], dt, 10);
        check(
            "max_pool ties",
            &[x],
            |t| max_pool2d(&(t[0].relu().unwrap() - 0.5).unwrap(), 2).unwrap(),
            |t| stock_max_pool(&(t[0].relu().unwrap() - 0.5).unwrap(), 2).unwrap(),
        );
    }
}

#[test]
fn max_pool_gradient_goes_to_one_element_per_window() {
    let x = candle_core::Var::from_tensor(
        &Tensor::zeros((1, 1, 4, 4), DType::F32, &candle_core::Device::Cpu).unwrap(),
    )
    .unwrap();
    let y = max_pool2d(x.as_tensor(), 2).unwrap();
    let g = y.sum_all().unwrap().backward().unwrap();
    let gx: Vec<f32> = g.get(&x).unwrap().flatten_all().unwrap().to_vec1().unwrap();
    // all ties: the first element of each window gets the whole gradient
    let expect = [
        1., 0., 1., 0., 0., 0., 0., 0., 1., 0., 1., 0., 0., 0., 0., 0.,
    ];
    assert_eq!(gx, expect);
}

#[test]
fn linear_matches_stock() {
    for dt in [DType::F32, DType::F64] {
        let (x, w, b) = (
            var(&[64, 784], dt, 1),
            var(&[784, 784], dt, 2),
            var(&[784], dt, 3),
        );
        check(
            "linear+bias 64x784x784",
            &[x, w, b],
            |t| linear(&t[0], &t[1], Some(&t[2])).unwrap(),
            |t| t[0].matmul(&t[1]).unwrap().broadcast_add(&t[2]).unwrap(),
        );
        let (x, w) = (var(&[33, 64], dt, 4), var(&[64, 100], dt, 5));
        check(
            "linear 33x64x100",
            &[x, w],
            |t| linear(&t[0], &t[1], None).unwrap(),
            |t| t[0].matmul(&t[1]).unwrap(),
        );
    }
}

#[test]
fn add_relu_matches_stock() {
    for dt in [DType::F32, DType::F64] {
        let (a, b) = (var(&[8, 16, 32, 32], dt, 1), var(&[8, 16, 32, 32], dt, 2));
        check(
            "add_relu",
            &[a, b],
            |t| add_relu(&t[0], &t[1]).unwrap(),
            |t| (&t[0] + &t[1]).unwrap().relu().unwrap(),
        );
    }
}

#[test]
fn bad_shapes_are_errors_not_panics() {
    let x = randn(&[2, 3, 8, 8], DType::F32, 1);
    let e = conv2d(
        &x,
        &randn(&[4, 5, 3, 3], DType::F32, 2),
        Conv2dParams::new(1, 1),
    )
    .unwrap_err();
    assert!(e.to_string().contains("3 channels"), "{e}");
    let e = conv2d(
        &x,
        &randn(&[4, 3, 9, 9], DType::F32, 2),
        Conv2dParams::new(1, 0),
    )
    .unwrap_err();
    assert!(e.to_string().contains("smaller than the kernel"), "{e}");
    let e = conv2d(
        &x,
        &randn(&[4, 3, 3, 3], DType::F64, 2),
        Conv2dParams::new(1, 1),
    )
    .unwrap_err();
    assert!(e.to_string().contains("dtype"), "{e}");
    let e = batch_norm_train(
        &randn(&[1, 3], DType::F32, 1),
        None,
        None,
        1e-3,
        BnActivation::None,
    )
    .unwrap_err();
    assert!(e.to_string().contains("at least 2"), "{e}");
    let g = randn(&[4], DType::F32, 1);
    let e = batch_norm_train(&x, Some(&g), None, 1e-3, BnActivation::None).unwrap_err();
    assert!(e.to_string().contains("gamma"), "{e}");
    let e = linear(
        &randn(&[2, 5], DType::F32, 1),
        &randn(&[4, 3], DType::F32, 1),
        None,
    )
    .unwrap_err();
    assert!(e.to_string().contains("5 features"), "{e}");
    let e = max_pool2d(&randn(&[1, 1, 1, 5], DType::F32, 1), 2).unwrap_err();
    assert!(e.to_string().contains("does not fit"), "{e}");
    let e = add_relu(&x, &randn(&[2, 3, 8, 7], DType::F32, 1)).unwrap_err();
    assert!(e.to_string().contains("differ"), "{e}");
    let e = conv2d(
        &x.to_dtype(DType::F16).unwrap(),
        &randn(&[4, 3, 3, 3], DType::F16, 2),
        Conv2dParams::new(1, 1),
    )
    .unwrap_err();
    assert!(e.to_string().contains("unsupported dtype"), "{e}");
}

/// The fallback of CPUs without AVX-512: every other test of this file again, in a child
/// process with `LAYCA_OPS_NO_AVX512=1` (the GEMMs then run on `matrixmultiply` / `gemm`).
#[test]
fn every_check_passes_on_the_fallback_without_avx512() {
    const ME: &str = "every_check_passes_on_the_fallback_without_avx512";
    if std::env::var_os(layca_ops::NO_AVX512_ENV).is_some() {
        // The child: this test only checks that the switch took effect.
        let x = var(&[2, 3], DType::F32, 1);
        let w = var(&[3, 4], DType::F32, 2);
        linear(x.as_tensor(), w.as_tensor(), None).unwrap();
        assert!(!layca_ops::avx512_in_use());
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .env(layca_ops::NO_AVX512_ENV, "1")
        .args(["--test-threads", "2"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "fallback run failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let passed = stdout
        .lines()
        .find_map(|l| l.strip_prefix("test result: ok. "))
        .and_then(|l| l.split_whitespace().next()?.parse::<usize>().ok())
        .unwrap_or(0);
    assert!(
        passed >= 10,
        "fallback run passed only {passed} tests:\n{stdout}"
    );
    println!(
        "{ME}: {passed} tests passed with {}=1",
        layca_ops::NO_AVX512_ENV
    );
}
