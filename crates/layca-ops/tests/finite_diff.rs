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
