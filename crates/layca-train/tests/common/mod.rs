//! Small data and engines shared by the integration tests.
#![allow(dead_code)]
use candle_core::Device;
use layca_core::Schedule;
use layca_data::{Dataset, Normalizer, TensorDataset};
use layca_train::{Engine, RunConfig, TaskData, TaskId};
use std::path::Path;
use std::sync::OnceLock;

/// `n` images of `ds` from `start`.
pub fn slice(ds: &Dataset, start: usize, n: usize) -> Dataset {
    let per = ds.channels * ds.height * ds.width;
    Dataset {
        pixels: ds.pixels[start * per..(start + n) * per].to_vec(),
        labels: ds.labels[start..start + n].to_vec(),
        ..ds.clone()
    }
}

/// MNIST digits: `n_train` training images from `offset`, 500 test images.
pub fn mnist(n_train: usize, offset: usize) -> TaskData {
    let (train, test) = layca_data::embedded_mnist_split(500, 1).unwrap();
    let (train, test) = (slice(&train, offset, n_train), slice(&test, 0, 500));
    let norm = Normalizer::fit(&train);
    let identity = layca_train::data::identity("test-subset", "scalar", &train, None, &test);
    TaskData {
        train: TensorDataset::new(&train, norm, &Device::Cpu).unwrap(),
        val: None,
        test: TensorDataset::new(&test, norm, &Device::Cpu).unwrap(),
        identity,
    }
}

/// Random-but-learnable colour images of `size`×`size` in `classes` classes: each class has
/// its own mean colour per channel, plus noise. Splits: train, optional val, test.
pub fn images(
    n_train: usize,
    n_val: usize,
    n_test: usize,
    size: usize,
    classes: usize,
    seed: u64,
) -> TaskData {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut make = |n: usize| {
        let mut pixels = Vec::with_capacity(n * 3 * size * size);
        let mut labels = Vec::with_capacity(n);
        for i in 0..n {
            let c = i % classes;
            labels.push(c as u32);
            for ch in 0..3 {
                let mean = 40 + ((c * 7 + ch * 3) % classes) * 170 / classes.max(1);
                for _ in 0..size * size {
                    let v = mean as i32 + rng.gen_range(-30..=30);
                    pixels.push(v.clamp(0, 255) as u8);
                }
            }
        }
        Dataset {
            pixels,
            labels,
            channels: 3,
            height: size,
            width: size,
            num_classes: classes,
        }
    };
    let (train, val, test) = (make(n_train), make(n_val), make(n_test));
    let norm = Normalizer::fit(&train);
    let val = (n_val > 0).then_some(val);
    let identity = layca_train::data::identity("generated", "scalar", &train, val.as_ref(), &test);
    TaskData {
        train: TensorDataset::new(&train, norm, &Device::Cpu).unwrap(),
        val: val.map(|v| TensorDataset::new(&v, norm, &Device::Cpu).unwrap()),
        test: TensorDataset::new(&test, norm, &Device::Cpu).unwrap(),
        identity,
    }
}

/// An MNIST Layca run of `epochs` epochs, ÷5 at epoch 2, per-step records on.
pub fn cfg(epochs: usize) -> RunConfig {
    let mut c = RunConfig::layca(TaskId::Mnist, 3f64.powf(-2.5));
    c.epochs = Some(epochs);
    c.schedule = Some(Schedule::StepDecay {
        base: c.rho0,
        factor: 0.2,
        milestones: vec![2],
    });
    c.record_steps = true;
    c
}

/// A quiet engine checkpointing every epoch.
pub fn engine(root: &Path) -> Engine {
    let mut e = Engine::new(root, Device::Cpu);
    e.progress = false;
    e.checkpoint_interval = std::time::Duration::ZERO;
    e
}

/// Keeps the first `n` lines of a file.
pub fn keep_lines(p: &Path, n: usize) {
    let text = std::fs::read_to_string(p).unwrap();
    let kept: Vec<&str> = text.lines().take(n).collect();
    std::fs::write(p, kept.join("\n") + "\n").unwrap();
}

/// 2,000 training digits (2 steps of 1,000 per epoch) and 500 test digits, loaded once per test
/// binary.
pub fn small_data() -> &'static TaskData {
    static DATA: OnceLock<TaskData> = OnceLock::new();
    DATA.get_or_init(|| mnist(2000, 0))
}

/// The bytes of `p`, naming the file if it cannot be read.
pub fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}
