//! Each op's gradients against central finite differences in f64 (issue 6, point 1), on
//! small shapes that also cover cases the stock composition cannot (candle's conv backward
//! fails when a strided conv leaves input rows unused).

mod common;

use candle_core::{DType, Tensor, Var};
use common::*;
use layca_ops::{
    add_relu, batch_norm_train, conv2d, linear, max_pool2d, BnActivation, Conv2dParams,
};

const TOL: f64 = 1e-6;
const H: f64 = 1e-6;

/// Analytic gradients of `Σ f(args)·r` wrt each arg vs finite differences.
fn fd_check(what: &str, args: &[Tensor], f: impl Fn(&[Tensor]) -> Tensor) {
    let vars: Vec<Var> = args.iter().map(|t| Var::from_tensor(t).unwrap()).collect();
    let ts: Vec<Tensor> = vars.iter().map(|v| v.as_tensor().clone()).collect();
    let grads = probe_loss(&f(&ts), 42).unwrap().backward().unwrap();
    for i in 0..args.len() {
        let analytic: Vec<f64> = grads
            .get(&vars[i])
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        let numeric = fd_grad(&args[i], H, |xi| {
            let mut a = args.to_vec();
            a[i] = xi.clone();
            probe_loss(&f(&a), 42).unwrap().to_scalar::<f64>().unwrap()
        });
        let e = vec_rel_err(&analytic, &numeric);
        assert!(e < TOL, "{what}: arg {i} rel err {e:e}");
    }
}

#[test]
fn conv2d_gradients_match_finite_differences() {
    for (stride, pads, k) in [
        (1, [1, 1, 1, 1], 3),
        (2, [0, 1, 0, 1], 3),
        (2, [2, 0, 1, 2], 3),
        (2, [0, 0, 0, 0], 1),
        (1, [0, 0, 0, 0], 1),
    ] {
        let x = randn(&[2, 3, 5, 6], DType::F64, 1);
        let w = randn(&[4, 3, k, k], DType::F64, 2);
        let p = Conv2dParams {
            stride,
            pad_top: pads[0],
            pad_bottom: pads[1],
            pad_left: pads[2],
            pad_right: pads[3],
        };
        fd_check(&format!("conv s{stride} {pads:?} k{k}"), &[x, w], |t| {
            conv2d(&t[0], &t[1], p).unwrap()
        });
    }
}

#[test]
fn batch_norm_gradients_match_finite_differences() {
    for act in [
        BnActivation::None,
        BnActivation::ReluAfter,
        BnActivation::ReluBefore,
    ] {
        let x = randn(&[3, 4, 2, 3], DType::F64, 3);
        let g = randn(&[4], DType::F64, 4);
        let b = randn(&[4], DType::F64, 5);
        fd_check(&format!("bn4d {act:?}"), &[x, g, b], |t| {
            batch_norm_train(&t[0], Some(&t[1]), Some(&t[2]), 1e-3, act)
                .unwrap()
                .0
        });
        let x = randn(&[5, 3], DType::F64, 6);
        fd_check(&format!("bn2d {act:?}"), &[x], |t| {
            batch_norm_train(&t[0], None, None, 1e-3, act).unwrap().0
        });
    }
}

#[test]
fn pool_linear_add_relu_gradients_match_finite_differences() {
    fd_check("max_pool", &[randn(&[2, 3, 5, 4], DType::F64, 7)], |t| {
        max_pool2d(&t[0], 2).unwrap()
    });
    fd_check(
        "linear",
        &[
            randn(&[4, 5], DType::F64, 8),
            randn(&[5, 3], DType::F64, 9),
            randn(&[3], DType::F64, 10),
        ],
        |t| linear(&t[0], &t[1], Some(&t[2])).unwrap(),
    );
    fd_check(
        "add_relu",
        &[
            randn(&[2, 3, 4], DType::F64, 11),
            randn(&[2, 3, 4], DType::F64, 12),
        ],
        |t| add_relu(&t[0], &t[1]).unwrap(),
    );
}

/// Naive direct convolution (f64), the independent reference for random geometries.
#[allow(clippy::too_many_arguments)]
fn naive_conv(
    x: &[f64],
    w: &[f64],
    dims: [usize; 7],
    stride: usize,
    pads: [usize; 4],
) -> (Vec<f64>, usize, usize) {
    let [n, c, h, wd, o, kh, kw] = dims;
    let ho = (h + pads[0] + pads[1] - kh) / stride + 1;
    let wo = (wd + pads[2] + pads[3] - kw) / stride + 1;
    let mut y = vec![0.0; n * o * ho * wo];
    for b in 0..n {
        for oc in 0..o {
            for oy in 0..ho {
                for ox in 0..wo {
                    let mut acc = 0.0;
                    for ic in 0..c {
                        for ki in 0..kh {
                            for kj in 0..kw {
                                let iy = (oy * stride + ki) as isize - pads[0] as isize;
                                let ix = (ox * stride + kj) as isize - pads[2] as isize;
                                if iy >= 0 && ix >= 0 && (iy as usize) < h && (ix as usize) < wd {
                                    acc += x[((b * c + ic) * h + iy as usize) * wd + ix as usize]
                                        * w[((oc * c + ic) * kh + ki) * kw + kj];
                                }
                            }
                        }
                    }
                    y[((b * o + oc) * ho + oy) * wo + ox] = acc;
                }
            }
        }
    }
    (y, ho, wo)
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]
    /// Random geometries (kernel 1–3, stride 1–3, asymmetric pads 0–2): the forward equals a
    /// naive convolution, and both gradients pass a directional finite-difference check.
    #[test]
    fn conv2d_random_geometries(
        n in 1usize..7, c in 1usize..4, h in 1usize..7, wd in 1usize..7, o in 1usize..4,
        kh in 1usize..4, kw in 1usize..4, stride in 1usize..4,
        pt in 0usize..3, pb in 0usize..3, pl in 0usize..3, pr in 0usize..3, seed in 0u64..1000,
    ) {
        proptest::prop_assume!(h + pt + pb >= kh && wd + pl + pr >= kw);
        let x = randn(&[n, c, h, wd], DType::F64, seed);
        let w = randn(&[o, c, kh, kw], DType::F64, seed + 1);
        let p = Conv2dParams { stride, pad_top: pt, pad_bottom: pb, pad_left: pl, pad_right: pr };
        let y = conv2d(&x, &w, p).unwrap();
        let xv: Vec<f64> = x.flatten_all().unwrap().to_vec1().unwrap();
        let wv: Vec<f64> = w.flatten_all().unwrap().to_vec1().unwrap();
        let (yref, ho, wo) = naive_conv(&xv, &wv, [n, c, h, wd, o, kh, kw], stride, [pt, pb, pl, pr]);
        proptest::prop_assert_eq!(y.dims(), &[n, o, ho, wo][..]);
        let yv: Vec<f64> = y.flatten_all().unwrap().to_vec1().unwrap();
        proptest::prop_assert!(vec_rel_err(&yv, &yref) < 1e-12);
        // directional derivative of Σ y·r along random directions (dx, dw)
        let (xvar, wvar) = (Var::from_tensor(&x).unwrap(), Var::from_tensor(&w).unwrap());
        let g = probe_loss(&conv2d(xvar.as_tensor(), wvar.as_tensor(), p).unwrap(), 7).unwrap().backward().unwrap();
        let (dx, dw) = (g.get(&xvar).unwrap(), g.get(&wvar).unwrap());
        let (vx, vw) = (randn(x.dims(), DType::F64, seed + 2), randn(w.dims(), DType::F64, seed + 3));
        let analytic = (dx * &vx).unwrap().sum_all().unwrap().to_scalar::<f64>().unwrap()
            + (dw * &vw).unwrap().sum_all().unwrap().to_scalar::<f64>().unwrap();
        let l = |s: f64| {
            let xs = (&x + (&vx * s).unwrap()).unwrap();
            let ws = (&w + (&vw * s).unwrap()).unwrap();
            probe_loss(&conv2d(&xs, &ws, p).unwrap(), 7).unwrap().to_scalar::<f64>().unwrap()
        };
        // the loss is bilinear in (x, w): the central difference is exact up to rounding
        let numeric = (l(1e-3) - l(-1e-3)) / 2e-3;
        proptest::prop_assert!((analytic - numeric).abs() <= 1e-8 * analytic.abs().max(1.0), "{analytic} vs {numeric}");
    }
}
