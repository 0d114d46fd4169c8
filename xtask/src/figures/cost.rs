//! A rough cost model for `--dry-run`: the authors' measured run times (spec §6 Fig 1),
//! scaled by epochs, training images and width².
use layca_train::{RunConfig, TaskId};

/// Seconds of one full paper-scale run on the authors' GPU, and its epochs (spec §6: C10-CNN1
/// ≈ 1,400–1,660 s, C100-resnet ≈ 1,550 s, C10-CNN2 ≈ 4,750–5,480 s, C100-WRN ≈ 40,000–43,000
/// s). tiny-CNN and ResNet-110 have no reference: estimated from their size relative to those.
fn paper_run(task: TaskId) -> (f64, usize) {
    match task {
        TaskId::C10Cnn1 => (1530.0, 100),
        TaskId::C100Resnet => (1550.0, 100),
        TaskId::TinyCnn => (3000.0, 80),
        TaskId::C10Cnn2 => (5100.0, 250),
        TaskId::C100Wrn => (41500.0, 250),
        TaskId::C10Resnet110 => (5000.0, 200),
        TaskId::Mnist => (20.0, 100),
    }
}

/// Training images of the paper's runs of a task (after the validation split).
fn paper_train_images(task: TaskId) -> f64 {
    match task {
        TaskId::TinyCnn => 90_000.0,
        TaskId::Mnist => 10_000.0,
        _ => 45_000.0,
    }
}

/// Estimated seconds of `cfg` on the authors' GPU.
pub fn gpu_seconds(cfg: &RunConfig) -> f64 {
    let (secs, epochs) = paper_run(cfg.task);
    let data = cfg
        .train_limit
        .map_or(1.0, |n| (n as f64 / paper_train_images(cfg.task)).min(1.0));
    let width = 1.0 / (cfg.width_divisor as f64).powi(2);
    secs * cfg.num_epochs() as f64 / epochs as f64 * data * width
}

/// Seconds per epoch of each task at the `cpu` scale on this project's 2-core machine (one run
/// at a time; measured with `RUST_LOG=layca_train=debug`, training plus evaluation).
fn cpu_epoch_seconds(task: TaskId) -> f64 {
    match task {
        TaskId::C10Cnn1 => 2.2,
        TaskId::C100Resnet => 3.5,
        TaskId::TinyCnn => 2.6,
        TaskId::C10Cnn2 => 1.6,
        TaskId::C100Wrn => 3.0,
        TaskId::C10Resnet110 => 4.0,
        TaskId::Mnist => 0.4,
    }
}

/// Estimated seconds of a reduced (`cpu` or `smoke`) run on this project's 2-core machine.
pub fn cpu_seconds(cfg: &RunConfig) -> f64 {
    cpu_epoch_seconds(cfg.task) * cfg.num_epochs() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_scales_with_epochs_data_and_width() {
        let mut c = RunConfig::layca(TaskId::C10Cnn1, 0.037);
        let full = gpu_seconds(&c);
        assert!((full - 1530.0).abs() < 1e-9);
        c.epochs = Some(50);
        assert!((gpu_seconds(&c) - full / 2.0).abs() < 1e-9);
        c.width_divisor = 2;
        c.train_limit = Some(4500);
        assert!((gpu_seconds(&c) - full / 2.0 / 4.0 / 10.0).abs() < 1e-9);
    }
}
