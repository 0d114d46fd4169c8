//! The paper's figures as a registry: each figure is one module that declares its runs (at
//! `paper` scale, exactly spec §6) and renders itself from run records. One shared driver
//! ([`driver`]) applies the scale ([`scale`]), trains or reuses the runs, and writes
//! `figNN.{png,svg,json}`.
//!
//! Adding a figure: write its module (a [`FigureSpec`]) and add one line to [`REGISTRY`].
use anyhow::Result;
use layca_train::RunConfig;
use std::path::Path;

mod cost;
pub mod driver;
mod panels;
pub mod plan;
pub mod results;
pub mod scale;

mod fig01;
mod fig02;
mod fig03;
mod fig04;
mod fig05;
mod fig06;
mod fig07;
pub mod fig08;
mod fig09;
mod fig10;
mod fig11;
mod fig12;
mod fig13;

pub use results::{RenderCtx, Results, RunResult};

/// One run a figure needs, at paper scale.
#[derive(Debug, Clone, PartialEq)]
pub struct FigRun {
    /// Stable name of the run inside its figure (e.g. `c10-cnn1/alpha=-0.6`).
    pub key: String,
    /// The run's configuration (paper scale).
    pub cfg: RunConfig,
    /// For AdaptCopy runs: the key of the run whose per-step rates are replayed. The driver
    /// trains that run first and fills in `cfg.control`'s source directory.
    pub replays: Option<String>,
    /// Validation and test images kept (set by the scale; `None` = whole splits).
    pub eval_limit: Option<usize>,
}

impl FigRun {
    /// A run with no dependency.
    pub fn new(key: impl Into<String>, cfg: RunConfig) -> Self {
        FigRun {
            key: key.into(),
            cfg,
            replays: None,
            eval_limit: None,
        }
    }
}

/// A figure of the paper: its runs and its rendering.
pub trait FigureSpec: Sync {
    /// The figure number (1–13).
    fn number(&self) -> u32;
    /// One line saying what it shows.
    fn title(&self) -> &'static str;
    /// The runs at paper scale (spec §6); the driver applies the scale.
    fn runs(&self) -> Vec<FigRun>;
    /// Renders `<stem>.png` and `<stem>.svg` from the records; returns the figure's data for
    /// `<stem>.json` (per-panel numbers, curves).
    fn render(&self, results: &Results, ctx: &RenderCtx, stem: &Path) -> Result<serde_json::Value>;
}

/// Every figure, in order. Adding a figure is one line here.
pub static REGISTRY: [&dyn FigureSpec; 13] = [
    &fig01::Fig01,
    &fig02::Fig02,
    &fig03::Fig03,
    &fig04::Fig04,
    &fig05::Fig05,
    &fig06::Fig06,
    &fig07::Fig07,
    &fig08::Fig08,
    &fig09::Fig09,
    &fig10::Fig10,
    &fig11::Fig11,
    &fig12::Fig12,
    &fig13::Fig13,
];

/// The figure with number `n`.
pub fn figure(n: u32) -> Option<&'static dyn FigureSpec> {
    REGISTRY.iter().copied().find(|f| f.number() == n)
}

#[cfg(test)]
mod registry_tests {
    use super::*;

    #[test]
    fn registry_holds_each_figure_once_in_order() {
        let numbers: Vec<u32> = REGISTRY.iter().map(|f| f.number()).collect();
        assert_eq!(numbers, (1..=13).collect::<Vec<_>>());
        for f in REGISTRY {
            let runs = f.runs();
            let mut keys: Vec<&str> = runs.iter().map(|r| r.key.as_str()).collect();
            keys.sort();
            let n = keys.len();
            keys.dedup();
            assert_eq!(
                keys.len(),
                n,
                "figure {} has duplicate run keys",
                f.number()
            );
            for r in &runs {
                if let Some(src) = &r.replays {
                    assert!(
                        runs.iter().any(|o| &o.key == src),
                        "figure {}: {} replays unknown run {src}",
                        f.number(),
                        r.key
                    );
                }
            }
        }
        assert!(figure(14).is_none());
    }
}

#[cfg(test)]
mod tests;
