//! MNIST MLP: structure, train/eval behaviour, one SGD step, save/load.

use candle_core::{DType, Device, IndexOp, Tensor};

use super::util::{input, labels, loss, scalar, sgd_step};
use crate::{build, build_with_dtype, hidden_features, load_weights, save_weights, Arch};

#[test]
fn mlp_structure() {
    let net = build(Arch::MnistMlp, 1, &Device::Cpu).unwrap();
    let k = net.kernels();
    let names: Vec<&str> = k.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(names, ["dense0", "densef"]);
    assert_eq!(k[0].var.dims(), [784, 784]);
    assert_eq!(k[1].var.dims(), [784, 10]);
    let o: Vec<String> = net.others().into_iter().map(|n| n.name).collect();
    assert_eq!(o, ["dense0.bias", "bn0.gamma", "bn0.beta", "densef.bias"]);
    let n_other: usize = net.others().iter().map(|n| n.var.elem_count()).sum();
    assert_eq!(n_other, 794 + 1568);
    // Biases 0, gamma 1, beta 0.
    let sums: Vec<f64> = net
        .others()
        .iter()
        .map(|n| scalar(&n.var.as_tensor().sum_all().unwrap()))
        .collect();
    assert_eq!(sums, [0.0, 784.0, 0.0, 0.0]);
    // glorot_uniform limit for dense0: sqrt(6 / 1568).
    let lim = (6.0f64 / 1568.0).sqrt();
    let max = scalar(&k[0].var.as_tensor().abs().unwrap().max_all().unwrap());
    assert!(max <= lim && max > 0.99 * lim, "max {max} limit {lim}");
}

#[test]
fn mlp_train_eval_and_step() {
    let dev = Device::Cpu;
    let net = build_with_dtype(Arch::MnistMlp, 3, DType::F32, &dev).unwrap();
    let xs = input(&[16, 1, 28, 28], 5, DType::F32);
    let ys = labels(16, 10, 6);
    let out = net.forward_t(&xs, false).unwrap();
    assert_eq!(out.dims(), [16, 10]);
    // Eval is deterministic and does not touch the buffers.
    let b0 = net.buffers()[0].var.as_tensor().sum_all().unwrap();
    let e1 = loss(net.as_ref(), &xs, &ys, false);
    let e2 = loss(net.as_ref(), &xs, &ys, false);
    assert_eq!(scalar(&e1), scalar(&e2));
    assert_eq!(
        scalar(&b0),
        scalar(&net.buffers()[0].var.as_tensor().sum_all().unwrap())
    );
    let l0 = sgd_step(net.as_ref(), &xs, &ys, 0.1);
    let l1 = scalar(&loss(net.as_ref(), &xs, &ys, true));
    assert!(l1 < l0, "loss did not decrease: {l0} -> {l1}");
    // With zero-debiasing, after one training step the moving mean equals the batch mean of
    // the pre-BN activations of that step; in particular it is no longer all zeros.
    let mm = net.buffers()[0]
        .var
        .as_tensor()
        .abs()
        .unwrap()
        .sum_all()
        .unwrap();
    assert!(scalar(&mm) > 0.0);
}

#[test]
fn mlp_save_load_roundtrip() {
    let dev = Device::Cpu;
    let dir = std::env::temp_dir().join(format!("layca-models-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("mlp.safetensors");
    let a = build(Arch::MnistMlp, 11, &dev).unwrap();
    let xs = input(&[8, 1, 28, 28], 1, DType::F32);
    let ys = labels(8, 10, 2);
    sgd_step(a.as_ref(), &xs, &ys, 0.1); // change weights and buffers
    save_weights(a.as_ref(), &path).unwrap();
    let b = build(Arch::MnistMlp, 12, &dev).unwrap();
    load_weights(b.as_ref(), &path).unwrap();
    for (x, y) in crate::state(a.as_ref())
        .iter()
        .zip(crate::state(b.as_ref()))
    {
        assert_eq!(x.name, y.name);
        let d = (x.var.as_tensor() - y.var.as_tensor())
            .unwrap()
            .abs()
            .unwrap();
        assert_eq!(scalar(&d.sum_all().unwrap()), 0.0, "{}", x.name);
    }
    let fa = scalar(&loss(a.as_ref(), &xs, &ys, false));
    let fb = scalar(&loss(b.as_ref(), &xs, &ys, false));
    assert_eq!(fa, fb);
    // Features: column j of dense0.
    let k = &a.kernels()[0].var;
    let f = hidden_features(k.as_tensor(), 7).unwrap();
    assert_eq!(f.dims(), [28, 28]);
    let v = scalar(&f.i((1, 2)).unwrap());
    let w = scalar(&k.as_tensor().i((28 + 2, 7)).unwrap());
    assert_eq!(v, w);
    // Loading into a different architecture names the offending tensor and file.
    let wrong = dir.join("wrong.safetensors");
    std::fs::write(&wrong, b"not a safetensors file").unwrap();
    let err = load_weights(b.as_ref(), &wrong).unwrap_err().to_string();
    assert!(err.contains("wrong.safetensors"), "{err}");
    // A file of another architecture: the error names the file and an unexpected tensor.
    let vgg = build(Arch::C10Cnn1, 0, &dev).unwrap();
    let err = load_weights(vgg.as_ref(), &path).unwrap_err().to_string();
    assert!(
        err.contains("mlp.safetensors") && err.contains("dense0.bias"),
        "{err}"
    );
    // Right names, wrong shape: the error names the tensor and both shapes.
    let mut map = std::collections::HashMap::new();
    for nv in crate::state(a.as_ref()) {
        let t = if nv.name == "densef" {
            Tensor::zeros((784, 11), DType::F32, &dev).unwrap()
        } else {
            nv.var.as_detached_tensor()
        };
        map.insert(nv.name, t);
    }
    let bad = dir.join("bad.safetensors");
    candle_core::safetensors::save(&map, &bad).unwrap();
    let err = load_weights(b.as_ref(), &bad).unwrap_err().to_string();
    assert!(
        err.contains("bad.safetensors") && err.contains("`densef`") && err.contains("[784, 11]"),
        "{err}"
    );
    // Nothing was modified by the failed load.
    assert_eq!(fb, scalar(&loss(b.as_ref(), &xs, &ys, false)));
    // No temporary file is left behind by save.
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}
