//! Acceptance 1 (optimizer level): after one `LaycaOptimizer` step with `Control::Layca`, every
//! kernel has rotated by exactly atan(ρ_l) (|err| < 1e-5 rad, plus f32's rounding of the
//! tangent projection when the step is nearly parallel to the kernel; f64 reference maths on
//! the f32 weights) and kept its norm (relative error < 1e-6); a zero step leaves it bit-identical;
//! nothing becomes NaN/∞; a zero-norm kernel is a clear error naming it.
//!
//! Drawn: 1–4 kernels of random shapes (2–64 elements), weights U(−1,1)·10^e with e ∈ [−20, 6]
//! per kernel, gradients zero (1 in 5) or U(−1,1)·10^e with e ∈ [−10, 6], global ρ = 10^e with
//! e ∈ [−7, 7], explicit multipliers in [0, 2], and any base optimizer. Reference for SGD (β = 0):
//! the Layca step is s = ρ_l·g; a zero step is expected iff ‖s⊥‖ ≤ 1e-7 (a ±0.1 % band around
//! the threshold is not judged). For the other bases the step is the base's own update, so each
//! kernel must be either bit-identical (zero step) or rotated by atan(ρ_l).
mod common;
use candle_core::{Device, Tensor};
use common::*;
use layca_optim::{Control, LaycaOptimizer, Multipliers, NamedParam, OptimConfig, OptimError};
use proptest::prelude::*;

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
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

/// The angle tolerance for a step along any of `dirs` on kernel `w`: 1e-5 rad, plus f32's
/// rounding of the tangent projection. s⊥ = s − (s·ŵ)ŵ is formed in f32, so its absolute error
/// is a few ε‖s‖ and, when s is nearly parallel to w, its direction is off by ~ε‖s‖/‖s⊥‖ rad
/// (a drawn case: ‖s⊥‖/‖s‖ = 3e-3 gave 1.6e-5 rad).
fn tolerance(w: &[f64], dirs: &[Vec<f64>]) -> f64 {
    let nw2 = dot(w, w);
    let worst = dirs
        .iter()
        .filter_map(|s| {
            let ns = dot(s, s).sqrt();
            let c = dot(s, w) / nw2;
            let sp: Vec<f64> = s.iter().zip(w).map(|(a, b)| a - c * b).collect();
            let nsp = dot(&sp, &sp).sqrt();
            (ns > 0.0 && nsp > 0.0).then(|| ns / nsp)
        })
        .fold(1.0f64, f64::max);
    1e-5 + 8.0 * f64::from(f32::EPSILON) * worst
}

#[derive(Debug, Clone)]
struct Layer {
    shape: (usize, usize),
    w: Vec<f32>,
    g: Vec<f32>,
    mu: f64,
}

fn layer() -> impl Strategy<Value = Layer> {
    (1usize..=8, 2usize..=8).prop_flat_map(|(r, c)| {
        let n = r * c;
        (
            prop::collection::vec(-1.0f64..1.0, n),
            -20i32..=6,
            prop::collection::vec(-1.0f64..1.0, n),
            prop_oneof![1 => Just(None), 4 => (-10i32..=6).prop_map(Some)],
            0.0f64..2.0,
        )
            .prop_filter_map("non-zero kernel", move |(wu, we, gu, ge, mu)| {
                let w: Vec<f32> = wu.iter().map(|x| (x * 10f64.powi(we)) as f32).collect();
                if w.iter().all(|&x| x == 0.0) {
                    return None;
                }
                let g = match ge {
                    None => vec![0.0; n],
                    Some(e) => gu.iter().map(|x| (x * 10f64.powi(e)) as f32).collect(),
                };
                Some(Layer {
                    shape: (r, c),
                    w,
                    g,
                    mu,
                })
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn one_layca_step_rotates_each_kernel_by_atan_rho_l(
        layers in prop::collection::vec(layer(), 1..=4),
        rho_exp in -7.0f64..=7.0,
        base_idx in 0usize..7,
    ) {
        let (bname, base) = bases().swap_remove(base_idx);
        let rho = 10f64.powf(rho_exp);
        let ks: Vec<NamedParam> = layers
            .iter()
            .enumerate()
            .map(|(i, l)| var(&format!("k{i}"), &l.w, &[l.shape.0, l.shape.1]))
            .collect();
        let mus: Vec<f64> = layers.iter().map(|l| l.mu).collect();
        let cfg = OptimConfig::new(base, Control::Layca, rho)
            .with_multipliers(Multipliers::Explicit(mus.clone()));
        let mut opt = LaycaOptimizer::new(ks.clone(), vec![], cfg).unwrap();
        // Gradients: any GradStore, entries overwritten with the drawn values.
        let mut total = ks[0].var.as_tensor().sum_all().unwrap();
        for k in &ks[1..] {
            total = (total + k.var.as_tensor().sum_all().unwrap()).unwrap();
        }
        let mut grads = total.backward().unwrap();
        for (k, l) in ks.iter().zip(&layers) {
            let g = Tensor::from_slice(&l.g, l.shape, &Device::Cpu).unwrap();
            grads.insert(k.var.as_tensor(), g);
        }
        opt.step(&grads).unwrap();
        for (i, (k, l)) in ks.iter().zip(&layers).enumerate() {
            let before: Vec<f64> = l.w.iter().map(|&x| x as f64).collect();
            let after = vals(k.var.as_tensor());
            prop_assert!(after.iter().all(|x| x.is_finite()));
            let n0 = dot(&before, &before).sqrt();
            let n1 = dot(&after, &after).sqrt();
            prop_assert!(((n1 - n0) / n0).abs() < 1e-6, "k{i}: norm {n0} -> {n1}");
            let rho_l = rho * mus[i];
            let unchanged = after == before;
            // A rotation below the 1e-5 rad tolerance may round to no change at all in f32
            // (e.g. atan(5e-9) on weights of size 0.3), which then counts as that rotation.
            let measured = if unchanged { 0.0 } else { angle(&before, &after) };
            if bname == "sgd" {
                let s: Vec<f64> = l.g.iter().map(|&g| rho_l * g as f64).collect();
                let c = dot(&s, &before) / (n0 * n0);
                let sp: Vec<f64> = s.iter().zip(&before).map(|(a, b)| a - c * b).collect();
                let nsp = dot(&sp, &sp).sqrt();
                if nsp <= 1e-7 * (1.0 - 1e-3) || rho_l == 0.0 {
                    prop_assert!(unchanged, "k{i}: zero step must leave the kernel unchanged");
                } else if nsp >= 1e-7 * (1.0 + 1e-3) {
                    let tol = tolerance(&before, &[s]);
                    let ok = unchanged && rho_l.atan() < tol
                        || (measured - rho_l.atan()).abs() < tol;
                    prop_assert!(ok, "k{i}: angle {} vs atan({rho_l}) = {} (tolerance {tol:e})",
                        angle(&before, &after), rho_l.atan());
                }
            } else {
                // A first step of these bases points along g (momentum, Nesterov, AMom) or
                // along sign(g) (Adam, RMSprop, Adagrad: g/√g² up to ε).
                let g: Vec<f64> = l.g.iter().map(|&v| f64::from(v)).collect();
                let sign: Vec<f64> = g.iter().map(|v| if *v == 0.0 { 0.0 } else { v.signum() }).collect();
                let tol = tolerance(&before, &[g, sign]);
                prop_assert!(unchanged || (measured - rho_l.atan()).abs() < tol || rho_l == 0.0,
                    "{bname} k{i}: angle {} vs atan({rho_l}) = {} (tolerance {tol:e})",
                    angle(&before, &after), rho_l.atan());
            }
        }
    }
}

#[test]
fn zero_norm_kernel_is_a_clear_error_and_nothing_changes() {
    let ks = vec![
        var("conv1", &[1.0, 2.0, 3.0, 4.0], &[2, 2]),
        var("conv2", &[0.0; 4], &[2, 2]),
    ];
    let mut opt = LaycaOptimizer::new(ks.clone(), vec![], OptimConfig::sgd_layca(0.1)).unwrap();
    let l = (ks[0].var.as_tensor().sqr().unwrap().sum_all().unwrap()
        + ks[1].var.as_tensor().sum_all().unwrap())
    .unwrap();
    let e = opt.step(&l.backward().unwrap()).unwrap_err();
    assert!(matches!(
        e,
        OptimError::Core(layca_core::CoreError::ZeroNorm { .. })
    ));
    assert!(e.to_string().contains("conv2"), "{e}");
    // the step was not committed: conv1 unchanged, counter unchanged
    assert_eq!(vals(ks[0].var.as_tensor()), vec![1.0, 2.0, 3.0, 4.0]);
    assert_eq!(opt.step_count(), 0);
}

#[test]
fn config_errors_name_the_field() {
    let ks = vec![var("k", &[1.0, 2.0, 3.0, 4.0], &[2, 2])];
    let bad = |cfg: OptimConfig, field: &str| {
        let e = LaycaOptimizer::new(ks.clone(), vec![], cfg).unwrap_err();
        assert!(e.to_string().contains(field), "{e}");
    };
    bad(OptimConfig::sgd_layca(-1.0), "lr");
    bad(
        OptimConfig::sgd_layca(0.1).with_multipliers(Multipliers::Explicit(vec![1.0, 2.0])),
        "multipliers",
    );
    bad(
        OptimConfig::sgd_layca(0.1).with_multipliers(Multipliers::Alpha(2.0)),
        "alpha",
    );
    bad(
        OptimConfig::sgd_layca(0.1).with_l2(1e-3, vec!["dense".into()]),
        "l2_exclude",
    );
    bad(
        OptimConfig::new(
            layca_optim::BaseOptimizer::sgd_momentum(1.5, false),
            Control::None,
            0.1,
        ),
        "base.momentum",
    );
    let mut opt = LaycaOptimizer::new(ks.clone(), vec![], OptimConfig::sgd_layca(0.1)).unwrap();
    assert!(opt.set_layer_rates(Some(vec![0.1, 0.2])).is_err());
    assert!(opt.set_layer_rates(Some(vec![f64::NAN])).is_err());
    opt.set_layer_rates(Some(vec![0.3])).unwrap();
    assert_eq!(opt.kernel_rates(), vec![0.3]);
    opt.set_layer_rates(None).unwrap();
    assert_eq!(opt.kernel_rates(), vec![0.1]);
}

#[test]
fn alpha_multipliers_in_forward_order() {
    let ks: Vec<NamedParam> = (0..5)
        .map(|i| var(&format!("k{i}"), &[1.0, 2.0, 3.0, 4.0], &[2, 2]))
        .collect();
    let opt = LaycaOptimizer::new(
        ks,
        vec![],
        OptimConfig::sgd_layca(0.1).with_multipliers(Multipliers::Alpha(-0.6)),
    )
    .unwrap();
    let m = opt.multipliers();
    assert_eq!(m[0], 1.0);
    assert!((m[4] - 0.01024).abs() < 1e-15);
    assert!((opt.kernel_rate(4) - 0.001024).abs() < 1e-15);
}

/// The `candle_nn::Optimizer` impl: rank ≥ 2 vars are kernels, others follow the policy.
#[test]
fn candle_nn_optimizer_trait() {
    use candle_nn::Optimizer;
    let k = var("k", &[3.0, 4.0, 0.0, 0.0], &[2, 2]);
    let b = var("b", &[1.0, 1.0], &[2]);
    let cfg = OptimConfig::sgd_layca(0.5);
    let mut opt =
        <LaycaOptimizer as Optimizer>::new(vec![k.var.clone(), b.var.clone()], cfg).unwrap();
    assert_eq!(opt.kernel_names(), vec!["kernel0"]);
    assert_eq!(opt.others().len(), 1);
    let loss = (k
        .var
        .as_tensor()
        .narrow(0, 0, 1)
        .unwrap()
        .sum_all()
        .unwrap()
        + b.var.as_tensor().sum_all().unwrap())
    .unwrap();
    opt.backward_step(&loss).unwrap();
    Optimizer::set_learning_rate(&mut opt, 0.2);
    assert_eq!(Optimizer::learning_rate(&opt), 0.2);
    let after = vals(k.var.as_tensor());
    let before = [3.0, 4.0, 0.0, 0.0];
    assert!((angle(&before, &after) - 0.5f64.atan()).abs() < 1e-6);
    // Layca default policy: the bias is frozen
    assert_eq!(vals(b.var.as_tensor()), vec![1.0, 1.0]);
}
