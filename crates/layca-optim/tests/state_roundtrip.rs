//! Acceptance 4: N steps == k steps + save + load (into a fresh optimizer) + (N−k) steps, bit
//! for bit, for every base × control; plus clear errors on mismatched or broken state files.
mod common;
use candle_core::{Device, Tensor};
use common::*;
use layca_optim::{
    BaseOptimizer, Control, LaycaOptimizer, Multipliers, NamedParam, OptimConfig, OptimError,
    OtherParams,
};

const K0: [f32; 6] = [0.5, -1.0, 0.25, 1.5, 0.75, -0.5];
const K1: [f32; 6] = [-0.3, 0.8, 1.1, -0.6, 0.2, 0.9];
const B0: [f32; 3] = [0.1, -0.2, 0.3];

fn params(k0: &[f32], k1: &[f32], b0: &[f32]) -> (Vec<NamedParam>, Vec<NamedParam>) {
    (
        vec![var("k0", k0, &[2, 3]), var("k1", k1, &[3, 2])],
        vec![var("b0", b0, &[3])],
    )
}

/// Loss with step-dependent data so that gradients change between steps.
fn loss(ks: &[NamedParam], os: &[NamedParam], t: usize) -> Tensor {
    let dev = Device::Cpu;
    let x = Tensor::new(&[[1.0f32, -0.5], [0.25 * t as f32, 2.0]], &dev).unwrap();
    // x (2×2) · k0 (2×3) + b0 → (2×3) · k1 (3×2)
    let h = x
        .matmul(ks[0].var.as_tensor())
        .unwrap()
        .broadcast_add(os[0].var.as_tensor())
        .unwrap()
        .tanh()
        .unwrap();
    let y = h.matmul(ks[1].var.as_tensor()).unwrap();
    (y - 0.3).unwrap().sqr().unwrap().sum_all().unwrap()
}

fn config(base: BaseOptimizer, control: Control) -> OptimConfig {
    OptimConfig::new(base, control, 0.05)
        .with_multipliers(Multipliers::Alpha(-0.6))
        .with_l2(1e-3, vec!["k1".into()])
        .with_other_params(OtherParams::BaseOptimizer)
}

fn run(opt: &mut LaycaOptimizer, ks: &[NamedParam], os: &[NamedParam], from: usize, to: usize) {
    for t in from..to {
        opt.set_learning_rate(0.05 / (1.0 + t as f64));
        if t % 2 == 1 {
            opt.set_layer_rates(Some(vec![0.01 * t as f64, 0.02]))
                .unwrap();
        } else {
            opt.set_layer_rates(None).unwrap();
        }
        let g = loss(ks, os, t).backward().unwrap();
        opt.step(&g).unwrap();
    }
}

#[test]
fn resume_is_bit_exact_for_every_base_and_control() {
    let dir = tempfile::tempdir().unwrap();
    let (n, k) = (7, 3);
    for (bname, base) in bases() {
        for (cname, control) in controls() {
            let cfg = config(base.clone(), control.clone());
            // Uninterrupted run.
            let (ka, oa) = params(&K0, &K1, &B0);
            let mut a = LaycaOptimizer::new(ka.clone(), oa.clone(), cfg.clone()).unwrap();
            run(&mut a, &ka, &oa, 0, n);
            // Interrupted: k steps, save weights + state, rebuild everything, load, continue.
            let (kb, ob) = params(&K0, &K1, &B0);
            let mut b = LaycaOptimizer::new(kb.clone(), ob.clone(), cfg.clone()).unwrap();
            run(&mut b, &kb, &ob, 0, k);
            let path = dir.path().join(format!("{bname}-{cname}.safetensors"));
            b.save_state(&path).unwrap();
            let w: Vec<Vec<f32>> = kb
                .iter()
                .chain(&ob)
                .map(|p| p.var.as_tensor().flatten_all().unwrap().to_vec1().unwrap())
                .collect();
            drop(b);
            let (kc, oc) = params(&w[0], &w[1], &w[2]);
            let mut c = LaycaOptimizer::new(kc.clone(), oc.clone(), cfg.clone()).unwrap();
            c.load_state(&path).unwrap();
            assert_eq!(c.step_count(), k as u64);
            run(&mut c, &kc, &oc, k, n);
            for (pa, pc) in ka.iter().chain(&oa).zip(kc.iter().chain(&oc)) {
                assert_eq!(
                    bits(pa.var.as_tensor()),
                    bits(pc.var.as_tensor()),
                    "{bname}/{cname}: {} differs after resume",
                    pa.name
                );
            }
            for i in 0..2 {
                if let Some(va) = a.second_moment(i) {
                    assert_eq!(bits(va), bits(c.second_moment(i).unwrap()));
                }
                if let Some(ma) = a.first_moment(i) {
                    assert_eq!(bits(ma), bits(c.first_moment(i).unwrap()));
                }
            }
            assert_eq!(a.initial_norms(), c.initial_norms());
            // The run actually moved the weights (so the comparison is not vacuous).
            assert_ne!(
                bits(ka[0].var.as_tensor()),
                bits(&Tensor::new(&K0, &Device::Cpu).unwrap())
            );
        }
    }
}

#[test]
fn load_rejects_mismatched_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("adam.safetensors");
    let (ks, os) = params(&K0, &K1, &B0);
    let mut opt = LaycaOptimizer::new(
        ks.clone(),
        os.clone(),
        config(BaseOptimizer::adam(), Control::Layca),
    )
    .unwrap();
    run(&mut opt, &ks, &os, 0, 2);
    opt.save_state(&path).unwrap();
    // no temporary file left behind
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(files.len(), 1);

    // different base
    let mut other = LaycaOptimizer::new(
        ks.clone(),
        os.clone(),
        config(BaseOptimizer::rmsprop(), Control::Layca),
    )
    .unwrap();
    let e = other.load_state(&path).unwrap_err();
    assert!(matches!(e, OptimError::State { .. }), "{e}");
    assert!(e.to_string().contains("base optimizer"), "{e}");

    // different shapes
    let (ks2, _) = (vec![var("k0", &K0, &[3, 2]), var("k1", &K1, &[3, 2])], ());
    let mut other = LaycaOptimizer::new(
        ks2,
        os.clone(),
        config(BaseOptimizer::adam(), Control::Layca),
    )
    .unwrap();
    let e = other.load_state(&path).unwrap_err();
    assert!(e.to_string().contains("shape"), "{e}");

    // different names
    let ks3 = vec![var("conv", &K0, &[2, 3]), var("k1", &K1, &[3, 2])];
    let mut other = LaycaOptimizer::new(
        ks3,
        os.clone(),
        config(BaseOptimizer::adam(), Control::Layca),
    )
    .unwrap();
    let e = other.load_state(&path).unwrap_err();
    assert!(e.to_string().contains("kernel/conv/m"), "{e}");
    assert_eq!(
        other.step_count(),
        0,
        "failed load must not change the optimizer"
    );

    // missing file, garbage file
    let e = opt.load_state(&dir.path().join("nope")).unwrap_err();
    assert!(matches!(e, OptimError::Io { .. }));
    let junk = dir.path().join("junk");
    std::fs::write(&junk, b"not a safetensors file at all").unwrap();
    let e = opt.load_state(&junk).unwrap_err();
    assert!(e.to_string().contains("junk"), "{e}");
}

#[test]
fn second_moment_and_frozen_others() {
    let (ks, os) = params(&K0, &K1, &B0);
    let cfg = OptimConfig::new(BaseOptimizer::adam(), Control::Layca, 0.01);
    assert_eq!(cfg.other_params, OtherParams::Frozen);
    let mut opt = LaycaOptimizer::new(ks.clone(), os.clone(), cfg).unwrap();
    let g = loss(&ks, &os, 0).backward().unwrap();
    opt.step(&g).unwrap();
    // v = (1 − β2)·g² after one step
    let gk = vals(g.get(ks[0].var.as_tensor()).unwrap());
    let v = vals(opt.second_moment(0).unwrap());
    for (gi, vi) in gk.iter().zip(&v) {
        assert!((vi - 0.001 * gi * gi).abs() <= 1e-6 * vi.abs() + 1e-12);
    }
    assert!(opt.second_moment(5).is_none());
    assert_eq!(
        vals(os[0].var.as_tensor()),
        vals(&Tensor::new(&B0, &Device::Cpu).unwrap())
    );
    let sgd = LaycaOptimizer::new(ks, os, OptimConfig::sgd_layca(0.1)).unwrap();
    assert!(sgd.second_moment(0).is_none());
}
