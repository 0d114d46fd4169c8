//! A "runs" progress bar with the engine's per-run bars drawn underneath.
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct RunsBar {
    multi: MultiProgress,
    bar: ProgressBar,
}

impl RunsBar {
    pub fn new(n: usize, quiet: bool) -> Self {
        let multi = MultiProgress::new();
        if quiet {
            multi.set_draw_target(ProgressDrawTarget::hidden());
        }
        let bar = multi.add(ProgressBar::new(n as u64));
        bar.set_style(
            ProgressStyle::with_template("runs {pos}/{len} [{elapsed_precise}] {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        RunsBar { multi, bar }
    }
    pub fn multi(&self) -> MultiProgress {
        self.multi.clone()
    }
    pub fn start(&self, what: &str) {
        self.bar.set_message(what.to_string());
        tracing::info!("run started: {what}");
    }
    pub fn finish_one(&self) {
        self.bar.inc(1);
        tracing::info!(
            "runs finished: {}/{}",
            self.bar.position(),
            self.bar.length().unwrap_or(0)
        );
    }
}

impl Drop for RunsBar {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}
