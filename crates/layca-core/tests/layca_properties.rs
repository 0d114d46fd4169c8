//! Acceptance 1 (core level): property tests of `layca_update` on f32 tensors over wide regimes.
//!
//! Regimes drawn: shapes r×c with 2 ≤ r·c ≤ 64; weights U(−1,1)·10^e, e ∈ [−30, 10] (near-zero
//! to large); steps zero, or U(−1,1)·10^e, e ∈ [−12, 10] (below and above the 1e-7 zero-step
//! threshold), optionally plus a radial component; ρ = 0 or 10^e, e ∈ [−8, 8] (tiny to huge).
//!
//! Claims, checked with f64 reference maths on the f32 inputs and outputs:
//! * nothing is ever NaN/∞, and no error is raised for non-zero weights;
//! * ‖p'‖ = ‖p‖ with relative error < 1e-6;
//! * if the f64 projected step has norm ≤ 1e-7 (zero step), p' is p, bit for bit;
//! * otherwise the angle(p, p') = atan(ρ) within 1e-5 rad — stated for steps whose tangent part
//!   is not swamped by f32 rounding of the projection (‖s⊥‖ ≥ 1e-2·‖s‖; a purely radial step
//!   is zeroed exactly, see the unit tests). Observed errors are ~1e-7 rad.
//! * a zero-norm kernel gives `CoreError::ZeroNorm` naming the layer.
use candle_core::{Device, Tensor};
use layca_core::layca::{layca_update, ZERO_STEP_EPS};
use layca_core::CoreError;
use proptest::prelude::*;

fn f64s(t: &Tensor) -> Vec<f64> {
    t.flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap()
        .iter()
        .map(|&x| x as f64)
        .collect()
}
fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
/// Kahan's stable angle between two f64 vectors.
fn angle(a: &[f64], b: &[f64]) -> f64 {
    let na = dot(a, a).sqrt();
    let nb = dot(b, b).sqrt();
    let d: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x / na - y / nb).powi(2))
        .sum();
    let s: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x / na + y / nb).powi(2))
        .sum();
    2.0 * d.sqrt().atan2(s.sqrt())
}

#[derive(Debug, Clone)]
struct Case {
    r: usize,
    c: usize,
    p: Vec<f32>,
    s: Vec<f32>,
    rho: f64,
}

fn case() -> impl Strategy<Value = Case> {
    (1usize..=8, 1usize..=8)
        .prop_filter("at least 2 elements", |(r, c)| r * c >= 2)
        .prop_flat_map(|(r, c)| {
            let n = r * c;
            (
                Just(r),
                Just(c),
                prop::collection::vec(-1.0f64..1.0, n),
                -30i32..=10,
                prop::collection::vec(-1.0f64..1.0, n),
                prop_oneof![1 => Just(None), 6 => (-12i32..=10).prop_map(Some)],
                prop_oneof![3 => Just(0.0), 1 => -2.0f64..2.0],
                prop_oneof![1 => Just(0.0), 8 => (-8.0f64..=8.0).prop_map(|e| 10f64.powf(e))],
            )
        })
        .prop_filter_map("non-zero weights", |(r, c, pu, pe, su, se, radial, rho)| {
            let ps = 10f64.powi(pe);
            let p: Vec<f32> = pu.iter().map(|x| (x * ps) as f32).collect();
            if p.iter().all(|&x| x == 0.0) {
                return None;
            }
            let s: Vec<f32> = match se {
                None => vec![0.0; p.len()],
                Some(e) => {
                    let ss = 10f64.powi(e);
                    let pn = p.iter().map(|&x| (x as f64).powi(2)).sum::<f64>().sqrt();
                    su.iter()
                        .zip(&p)
                        .map(|(x, &pi)| (x * ss + radial * ss * pi as f64 / pn) as f32)
                        .collect()
                }
            };
            Some(Case { r, c, p, s, rho })
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    #[test]
    fn layca_rotates_by_atan_rho_and_keeps_norm(case in case()) {
        let dev = Device::Cpu;
        let p = Tensor::from_slice(&case.p, (case.r, case.c), &dev).unwrap();
        let s = Tensor::from_slice(&case.s, (case.r, case.c), &dev).unwrap();
        let out = layca_update("k", &p, &s, case.rho).unwrap();
        let p64 = f64s(&p);
        let s64 = f64s(&s);
        let o64 = f64s(&out);
        prop_assert!(o64.iter().all(|x| x.is_finite()), "non-finite output {o64:?}");
        // norm
        let n = dot(&p64, &p64).sqrt();
        let m = dot(&o64, &o64).sqrt();
        prop_assert!(((m - n) / n).abs() < 1e-6, "norm {m} vs {n}");
        // reference projected step in f64
        let c = dot(&s64, &p64) / (n * n);
        let sp: Vec<f64> = s64.iter().zip(&p64).map(|(a, b)| a - c * b).collect();
        let nsp = dot(&sp, &sp).sqrt();
        let ns = dot(&s64, &s64).sqrt();
        if nsp <= ZERO_STEP_EPS * (1.0 - 1e-3) {
            prop_assert_eq!(&o64, &p64, "zero step must leave p unchanged");
        } else if nsp >= ZERO_STEP_EPS * (1.0 + 1e-3) && nsp >= 1e-2 * ns {
            let th = angle(&p64, &o64);
            let err = (th - case.rho.atan()).abs();
            prop_assert!(err < 1e-5, "angle {th} vs atan({}) = {}, err {err}", case.rho, case.rho.atan());
        }
    }
}

#[test]
fn zero_norm_kernel_is_a_clear_error() {
    let dev = Device::Cpu;
    let p = Tensor::zeros((3, 3), candle_core::DType::F32, &dev).unwrap();
    let s = Tensor::ones((3, 3), candle_core::DType::F32, &dev).unwrap();
    let e = layca_update("block3/conv_b", &p, &s, 0.1).unwrap_err();
    assert!(matches!(e, CoreError::ZeroNorm { .. }));
    assert_eq!(
        e.to_string(),
        "tensor `block3/conv_b` has zero norm: its rotation is undefined"
    );
}

/// The worst angle error over a fixed grid of regimes, printed for the report.
#[test]
fn observed_precision_on_a_grid() {
    let dev = Device::Cpu;
    let mut worst: f64 = 0.0;
    let mut worst_norm: f64 = 0.0;
    for (k, &pe) in [-30i32, -10, 0, 5, 10].iter().enumerate() {
        for &rho in &[1e-8, 1e-4, 0.037, 1.0, 30.0, 1e4, 1e8] {
            let n = 16 * 27;
            let p: Vec<f32> = (0..n)
                .map(|i| (((i * 7919 + k) % 997) as f64 / 498.5 - 1.0) as f32 * 10f32.powi(pe))
                .collect();
            let s: Vec<f32> = (0..n)
                .map(|i| (((i * 104729 + 3) % 991) as f64 / 495.5 - 1.0) as f32)
                .collect();
            let pt = Tensor::from_slice(&p, (16, 27), &dev).unwrap();
            let st = Tensor::from_slice(&s, (16, 27), &dev).unwrap();
            let out = f64s(&layca_update("k", &pt, &st, rho).unwrap());
            let p64 = f64s(&pt);
            let err = (angle(&p64, &out) - f64::atan(rho)).abs();
            let nerr = (dot(&out, &out).sqrt() / dot(&p64, &p64).sqrt() - 1.0).abs();
            worst = worst.max(err);
            worst_norm = worst_norm.max(nerr);
        }
    }
    println!("worst angle error {worst:e} rad, worst relative norm error {worst_norm:e}");
    assert!(worst < 1e-6 && worst_norm < 1e-6);
}
