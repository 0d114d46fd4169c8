//! Which tensors the monitor watches, and why.
//!
//! Default: every tensor of rank ≥ 2 (conv and dense kernels), never a batch-norm running
//! statistic. BN running statistics (`running_mean` / `running_var` in candle_nn, which stores them
//! as `Var`s in the `VarMap` beside the trained parameters; `moving_mean` / `moving_variance` in
//! Keras, `num_batches_tracked` in PyTorch) are not trained by the gradient: the layer overwrites
//! them with moving averages of the batch statistics, so their "rotation" measures the data, not
//! learning. They are recognised by the **last path segment** of the name (not a substring, so a
//! layer called `running_mean_head.weight` is not caught), and, after the first backward pass, by
//! [`crate::LayerMonitor::exclude_without_grad`]: any watched `Var` with no gradient is dropped.
//! Name rules are glob-free substrings matched on the full path: `include` forces a tensor in
//! (e.g. biases when `min_rank` is 1, or a rank-1 layer scale), `exclude` drops one; exclude wins.
//! A selected tensor whose norm is zero at the start (zero-initialised biases, BN β) has no
//! rotation; the monitor lists it as ignored ([`Reason::ZeroNormAtStart`]).
use candle_core::Var;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Last name segments of batch-norm running statistics (candle_nn, Keras, PyTorch).
pub const BN_STAT_SEGMENTS: [&str; 5] = [
    "running_mean",
    "running_var",
    "moving_mean",
    "moving_variance",
    "num_batches_tracked",
];

/// Selection rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    /// Watch tensors of at least this rank (2: conv / dense kernels, not biases or BN γ/β).
    pub min_rank: usize,
    /// Drop BN running statistics (recognised by their last name segment).
    pub exclude_bn_stats: bool,
    /// Substrings of names to watch whatever their rank.
    pub include: Vec<String>,
    /// Substrings of names never to watch (wins over everything).
    pub exclude: Vec<String>,
}

impl Default for Selection {
    fn default() -> Self {
        Self {
            min_rank: 2,
            exclude_bn_stats: true,
            include: vec![],
            exclude: vec![],
        }
    }
}

/// Why a tensor is watched or ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Reason {
    /// Watched: rank ≥ `min_rank`.
    Rank {
        /// Its rank.
        rank: usize,
        /// The threshold.
        min_rank: usize,
    },
    /// Watched: an `include` rule matched.
    Included {
        /// The rule.
        rule: String,
    },
    /// Ignored: rank below `min_rank`.
    LowRank {
        /// Its rank.
        rank: usize,
        /// The threshold.
        min_rank: usize,
    },
    /// Ignored: a batch-norm running statistic.
    BnRunningStat {
        /// The last name segment that identified it.
        segment: String,
    },
    /// Ignored: an `exclude` rule matched.
    Excluded {
        /// The rule.
        rule: String,
    },
    /// Ignored: it received no gradient in the first backward pass (a buffer, or frozen).
    NoGradient,
    /// Ignored: zero norm at the start (e.g. zero-initialised biases): rotation is undefined.
    ZeroNormAtStart,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Rank { rank, min_rank } => write!(f, "rank {rank} >= {min_rank}"),
            Reason::Included { rule } => write!(f, "include rule `{rule}`"),
            Reason::LowRank { rank, min_rank } => write!(f, "rank {rank} < {min_rank}"),
            Reason::BnRunningStat { segment } => write!(
                f,
                "batch-norm running statistic (`{segment}`: a moving average, not trained)"
            ),
            Reason::Excluded { rule } => write!(f, "exclude rule `{rule}`"),
            Reason::NoGradient => write!(f, "no gradient in the first backward pass"),
            Reason::ZeroNormAtStart => write!(f, "zero norm at the start: rotation undefined"),
        }
    }
}

/// One tensor's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// Full name (path).
    pub name: String,
    /// Shape.
    pub shape: Vec<usize>,
    /// Whether the monitor watches it.
    pub watched: bool,
    /// Why.
    pub reason: Reason,
}

/// Every tensor considered, watched ones first (each group in the given order).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchReport {
    /// The decisions.
    pub choices: Vec<Choice>,
}

impl WatchReport {
    /// Marks `names` as ignored for `reason`, keeping watched entries first.
    pub(crate) fn ignore(&mut self, names: &[String], reason: Reason) {
        for c in self.choices.iter_mut().filter(|c| names.contains(&c.name)) {
            c.watched = false;
            c.reason = reason.clone();
        }
        let (w, i): (Vec<Choice>, Vec<Choice>) = std::mem::take(&mut self.choices)
            .into_iter()
            .partition(|c| c.watched);
        self.choices = w.into_iter().chain(i).collect();
    }

    /// Names of the watched tensors, in order.
    pub fn watched(&self) -> Vec<&str> {
        self.choices
            .iter()
            .filter(|c| c.watched)
            .map(|c| c.name.as_str())
            .collect()
    }
    /// Names of the ignored tensors, in order.
    pub fn ignored(&self) -> Vec<&str> {
        self.choices
            .iter()
            .filter(|c| !c.watched)
            .map(|c| c.name.as_str())
            .collect()
    }
}

impl fmt::Display for WatchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.choices.iter().filter(|c| c.watched).count();
        writeln!(
            f,
            "layer-rotation monitor: watching {n} of {} tensors",
            self.choices.len()
        )?;
        for c in &self.choices {
            let mark = if c.watched { "watch " } else { "ignore" };
            writeln!(f, "  {mark} {:<40} {:?}  {}", c.name, c.shape, c.reason)?;
        }
        Ok(())
    }
}

fn bn_segment(name: &str) -> Option<&'static str> {
    let last = name.rsplit(['.', '/']).next().unwrap_or(name);
    BN_STAT_SEGMENTS.iter().copied().find(|s| *s == last)
}

impl Selection {
    /// The decision for one tensor.
    pub fn decide(&self, name: &str, shape: &[usize]) -> (bool, Reason) {
        if let Some(rule) = self.exclude.iter().find(|r| name.contains(r.as_str())) {
            return (false, Reason::Excluded { rule: rule.clone() });
        }
        if self.exclude_bn_stats {
            if let Some(seg) = bn_segment(name) {
                let segment = seg.to_string();
                return (false, Reason::BnRunningStat { segment });
            }
        }
        if let Some(rule) = self.include.iter().find(|r| name.contains(r.as_str())) {
            return (true, Reason::Included { rule: rule.clone() });
        }
        let (rank, min_rank) = (shape.len(), self.min_rank);
        if rank >= min_rank {
            (true, Reason::Rank { rank, min_rank })
        } else {
            (false, Reason::LowRank { rank, min_rank })
        }
    }

    /// Splits named `Var`s into the watched ones (order kept) and the report.
    pub fn apply(&self, named: Vec<(String, Var)>) -> (Vec<(String, Var)>, WatchReport) {
        let mut watched = vec![];
        let mut shown = vec![];
        let mut ignored = vec![];
        for (name, var) in named {
            let shape = var.dims().to_vec();
            let (keep, reason) = self.decide(&name, &shape);
            let choice = Choice {
                name: name.clone(),
                shape,
                watched: keep,
                reason,
            };
            if keep {
                watched.push((name, var));
                shown.push(choice);
            } else {
                ignored.push(choice);
            }
        }
        shown.extend(ignored);
        (watched, WatchReport { choices: shown })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_keep_kernels_and_drop_bn_stats_by_segment() {
        let s = Selection::default();
        assert!(s.decide("conv1.weight", &[8, 3, 3, 3]).0);
        assert!(s.decide("fc.weight", &[10, 64]).0);
        assert!(!s.decide("fc.bias", &[10]).0);
        // even at min_rank 1, BN running statistics stay out; BN γ/β come in
        let s1 = Selection {
            min_rank: 1,
            ..Selection::default()
        };
        let (keep, reason) = s1.decide("block.bn1.running_mean", &[8]);
        assert!(!keep);
        assert!(matches!(reason, Reason::BnRunningStat { .. }), "{reason:?}");
        assert!(!s1.decide("bn/moving_variance", &[8]).0);
        assert!(s1.decide("block.bn1.weight", &[8]).0);
        // a substring is not enough: only the last segment counts
        assert!(s1.decide("running_mean_head.weight", &[8]).0);
    }

    #[test]
    fn rules_include_and_exclude() {
        let s = Selection {
            include: vec!["scale".into()],
            exclude: vec!["head".into()],
            ..Selection::default()
        };
        assert_eq!(
            s.decide("layer.scale", &[4]),
            (
                true,
                Reason::Included {
                    rule: "scale".into()
                }
            )
        );
        assert!(!s.decide("head.weight", &[10, 4]).0);
        assert!(!s.decide("head.scale", &[4]).0, "exclude wins");
    }
}
