//! The task registry (spec §1.4, §1.5, §3): model + data set + batch size + default schedule +
//! stopping criteria + evaluation policy.
use layca_core::Schedule;
use layca_models::Arch;
use serde::{Deserialize, Serialize};

/// The paper's tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TaskId {
    /// C10-CNN1: VGG-25 on CIFAR-10.
    C10Cnn1,
    /// C100-resnet: ResNet-32 on CIFAR-100.
    C100Resnet,
    /// tiny-CNN: 11-layer VGG on Tiny ImageNet.
    TinyCnn,
    /// C10-CNN2: torch-blog VGG on CIFAR-10 with augmentation.
    C10Cnn2,
    /// C100-WRN: WRN-28-10 on CIFAR-100 with augmentation.
    C100Wrn,
    /// C10-resnet: ResNet-110 on CIFAR-10 with augmentation (Fig 4).
    C10Resnet110,
    /// MNIST 1-hidden-layer MLP (Fig 8).
    Mnist,
}

/// Which data set a task trains on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DatasetKind {
    /// CIFAR-10.
    Cifar10,
    /// CIFAR-100 (fine labels).
    Cifar100,
    /// Tiny ImageNet (200 classes, 64×64).
    TinyImagenet,
    /// MNIST (embedded 10k subset by default).
    Mnist,
}

/// End-of-epoch stopping rules (spec §1.5).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct Stopping {
    /// "Not working": stop if at this epoch index the train accuracy is ≤ the threshold.
    pub not_working: Option<(usize, f64)>,
    /// "Finished": stop if train loss ≤ this.
    pub finished_loss: Option<f64>,
    /// "Converged": stop after this many consecutive epochs with exactly identical train loss.
    pub converged_epochs: Option<usize>,
}

/// Why a run stopped before its last scheduled epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StopReason {
    /// All scheduled epochs ran.
    Completed,
    /// The "not working" rule fired.
    NotWorking,
    /// The "finished" rule fired.
    Finished,
    /// The "converged" rule fired.
    Converged,
}

impl Stopping {
    /// Applies the rules after epoch `epoch` given the train losses/accuracy so far.
    pub fn check(&self, epoch: usize, train_losses: &[f64], train_acc: f64) -> Option<StopReason> {
        if let Some((at, thr)) = self.not_working {
            if epoch == at && train_acc <= thr {
                return Some(StopReason::NotWorking);
            }
        }
        if let (Some(thr), Some(&last)) = (self.finished_loss, train_losses.last()) {
            if last <= thr {
                return Some(StopReason::Finished);
            }
        }
        if let Some(k) = self.converged_epochs {
            // k consecutive epochs with identical loss = k values equal.
            if k > 0 && train_losses.len() >= k {
                let tail = &train_losses[train_losses.len() - k..];
                if tail.iter().all(|&l| l == tail[0]) {
                    return Some(StopReason::Converged);
                }
            }
        }
        None
    }
}

/// Everything fixed by a task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskSpec {
    /// The task.
    pub id: TaskId,
    /// The network.
    pub arch: Arch,
    /// The data set.
    pub dataset: DatasetKind,
    /// Mini-batch size.
    pub batch_size: usize,
    /// Default number of epochs.
    pub epochs: usize,
    /// Default step-decay factor.
    pub decay_factor: f64,
    /// Default decay milestones (0-based epochs).
    pub milestones: Vec<usize>,
    /// Stopping rules.
    pub stopping: Stopping,
    /// Test with the best-validation-epoch weights (C100-resnet, tiny-CNN).
    pub best_val_checkpoint: bool,
    /// Random shift + flip on training data.
    pub augmentation: bool,
    /// The task's L2 λ for "_weight_decay" runs.
    pub l2: f64,
    /// Full random batches per epoch with augmentation (`45000 // 128`), else a full pass.
    pub full_batches_only: bool,
}

impl TaskId {
    /// All tasks, in the paper's order.
    pub const ALL: [TaskId; 7] = [
        TaskId::C10Cnn1,
        TaskId::C100Resnet,
        TaskId::TinyCnn,
        TaskId::C10Cnn2,
        TaskId::C100Wrn,
        TaskId::C10Resnet110,
        TaskId::Mnist,
    ];

    /// The registry name (`c10-cnn1`, ...).
    pub fn name(self) -> &'static str {
        match self {
            TaskId::C10Cnn1 => "c10-cnn1",
            TaskId::C100Resnet => "c100-resnet",
            TaskId::TinyCnn => "tiny-cnn",
            TaskId::C10Cnn2 => "c10-cnn2",
            TaskId::C100Wrn => "c100-wrn",
            TaskId::C10Resnet110 => "c10-resnet110",
            TaskId::Mnist => "mnist",
        }
    }

    /// All registry names.
    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|t| t.name()).collect()
    }

    /// Parses a registry name.
    pub fn parse(s: &str) -> crate::Result<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|t| t.name() == s)
            .ok_or_else(|| crate::TrainError::UnknownTask(s.to_string()))
    }

    /// The task's fixed settings (spec §1.4, §1.5, §3).
    pub fn spec(self) -> TaskSpec {
        // Shared by every CIFAR / Tiny ImageNet task; each arm states what differs.
        let base = |arch, dataset, epochs, decay_factor, milestones: &[usize], l2| TaskSpec {
            id: self,
            arch,
            dataset,
            batch_size: 128,
            epochs,
            decay_factor,
            milestones: milestones.to_vec(),
            stopping: Stopping::default(),
            best_val_checkpoint: false,
            augmentation: false,
            l2,
            full_batches_only: false,
        };
        let early = |epoch, acc, loss| Stopping {
            not_working: Some((epoch, acc)),
            finished_loss: Some(loss),
            converged_epochs: Some(3),
        };
        let augmented = |spec: TaskSpec| TaskSpec {
            augmentation: true,
            full_batches_only: true,
            ..spec
        };
        match self {
            TaskId::C10Cnn1 => TaskSpec {
                stopping: early(7, 0.2, 1e-4),
                ..base(
                    Arch::C10Cnn1,
                    DatasetKind::Cifar10,
                    100,
                    0.2,
                    &[80, 90, 97],
                    1e-3,
                )
            },
            TaskId::C100Resnet => TaskSpec {
                stopping: early(7, 0.1, 1e-3),
                best_val_checkpoint: true,
                ..base(
                    Arch::Resnet32,
                    DatasetKind::Cifar100,
                    100,
                    0.1,
                    &[70, 90, 97],
                    1e-3,
                )
            },
            TaskId::TinyCnn => TaskSpec {
                stopping: early(10, 0.2, 1e-3),
                best_val_checkpoint: true,
                ..base(
                    Arch::TinyCnn,
                    DatasetKind::TinyImagenet,
                    80,
                    0.2,
                    &[70],
                    1e-3,
                )
            },
            TaskId::C10Cnn2 => augmented(base(
                Arch::C10Cnn2,
                DatasetKind::Cifar10,
                250,
                0.2,
                &[100, 170, 220],
                5e-4,
            )),
            TaskId::C100Wrn => augmented(base(
                Arch::Wrn28_10,
                DatasetKind::Cifar100,
                250,
                0.2,
                &[100, 170, 220],
                5e-4,
            )),
            TaskId::C10Resnet110 => TaskSpec {
                stopping: Stopping {
                    not_working: Some((60, 0.2)),
                    ..Stopping::default()
                },
                ..augmented(base(
                    Arch::Resnet110,
                    DatasetKind::Cifar10,
                    200,
                    0.2,
                    &[60, 120, 160],
                    1e-3,
                ))
            },
            // Spec §3.7: batch 2048 on 10,000 images = 5 steps/epoch. The embedded split has
            // 5,000 training images, so batch 1,000 keeps the paper's 5 steps/epoch.
            TaskId::Mnist => TaskSpec {
                batch_size: 1000,
                ..base(Arch::MnistMlp, DatasetKind::Mnist, 100, 0.2, &[], 0.0)
            },
        }
    }
}

impl TaskSpec {
    /// The task's default step-decay schedule starting at `rho0`.
    pub fn default_schedule(&self, rho0: f64) -> Schedule {
        if self.milestones.is_empty() {
            Schedule::Constant { base: rho0 }
        } else {
            Schedule::StepDecay {
                base: rho0,
                factor: self.decay_factor,
                milestones: self.milestones.clone(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_task_is_named() {
        for t in TaskId::ALL {
            assert_eq!(TaskId::parse(t.name()).unwrap(), t);
        }
        let err = TaskId::parse("cifar-11").unwrap_err().to_string();
        assert!(
            err.contains("cifar-11") && err.contains("c10-cnn1"),
            "{err}"
        );
    }

    #[test]
    fn stopping_rules_fire_as_specified() {
        let s = TaskId::C10Cnn1.spec().stopping;
        assert_eq!(s.check(7, &[2.0; 8], 0.2), Some(StopReason::NotWorking));
        assert_eq!(s.check(7, &[2.0, 1.9], 0.21), None);
        assert_eq!(s.check(3, &[1.0, 5e-5], 0.99), Some(StopReason::Finished));
        assert_eq!(
            s.check(3, &[0.5, 0.3, 0.3, 0.3], 0.99),
            Some(StopReason::Converged)
        );
        assert_eq!(s.check(3, &[0.5, 0.3, 0.3], 0.99), None);
        assert_eq!(TaskId::Mnist.spec().stopping.check(7, &[0.0; 8], 0.0), None);
    }
}
