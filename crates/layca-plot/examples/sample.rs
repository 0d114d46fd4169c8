//! Renders sample figures from synthetic data into a directory (default `/tmp/plot-sample`):
//! `cargo run -p layca-plot --example sample -- /tmp/plot-sample`.

use std::path::PathBuf;

use layca_plot::{
    bold, cycle_color, delta_eta_title, eta_title, figure8, format_percent, render_grid,
    Annotation, Axis, ColorBar, Corner, Figure8Data, Figure8Run, Grid, Legend, LegendEntry, Marker,
    Panel, Rgb, RotationPanel, Series, XConvention,
};

/// Deterministic pseudo-random numbers in [0, 1) (64-bit LCG).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 40) as f32 / (1u64 << 24) as f32
    }
}

fn feature(rng: &mut Lcg, smooth: f32) -> Vec<f32> {
    let noise: Vec<f32> = (0..784).map(|_| rng.next() - 0.5).collect();
    (0..784)
        .map(|i| {
            let (y, x) = ((i / 28) as f32 - 13.5, (i % 28) as f32 - 13.5);
            let blob = (-(x * x + y * y) / 60.0).exp() * ((x / 3.0).sin() + (y / 4.0).cos());
            smooth * blob + noise[i]
        })
        .collect()
}

fn main() -> Result<(), layca_plot::PlotError> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or("/tmp/plot-sample".into()));
    let mut rng = Lcg(42);
    let init: Vec<Vec<f32>> = (0..5).map(|_| feature(&mut rng, 0.0)).collect();
    let finals = [0.90, 0.60, 0.30, 0.11];
    let labels = ["lr = 3^-2", "lr = 3^-2.5", "lr = 3^-3", "lr = 3^-4"];
    let tests = [0.9675, 0.966, 0.9654, 0.9581];
    let runs = (0..4)
        .map(|r| {
            let tau = [30.0, 60.0, 120.0, 250.0][r];
            let end = finals[r];
            let norm = 1.0 - (-95.0f64 / tau).exp();
            let curve = (0..=100)
                .map(|k| end * (1.0 - (-(k.min(95) as f64) / tau).exp()) / norm)
                .collect();
            Figure8Run {
                label: labels[r].into(),
                rotation_curve: curve,
                features: (0..5)
                    .map(|_| feature(&mut rng, 1.5 - 0.35 * r as f32))
                    .collect(),
                train_acc: 1.0,
                test_acc: tests[r],
            }
        })
        .collect();
    let data = Figure8Data {
        runs,
        init_features: init,
        caption: Some("sample · synthetic data (not a training run)".into()),
    };
    figure8(&data, &dir.join("fig08"))?;

    // A 2 × 3 rotation grid in the Figure 1 layout.
    let layers = 25;
    let mut rows = Vec::new();
    for r in 0..2 {
        let mut row = Vec::new();
        for c in 0..3 {
            let curves = (0..layers)
                .map(|l| {
                    let rate = 0.005 + 0.2 * ((l * 7 + 3 * c + r) % layers) as f64 / layers as f64;
                    (0..100).map(|k| 1.0 - (-(k as f64) * rate).exp()).collect()
                })
                .collect();
            let title = if c == 2 {
                eta_title(0.8845)
            } else {
                delta_eta_title(0.8845 - 0.05 * (c + 1) as f64, 0.8845)
            };
            row.push(RotationPanel::new(title, curves, XConvention::PrependZero).to_panel()?);
        }
        rows.push(row);
    }
    let mut grid = Grid::new(rows);
    grid.row_labels = vec!["C10-CNN1".into(), "C100-resnet".into()];
    grid.col_headers = vec!["α=-0.6".into(), "ρ (0)=3^{-5}".into(), "Best".into()];
    grid.colorbar = Some(ColorBar::default());
    let grid = grid.with_caption(
        "scale cpu · data: standin-mnist-3x32x32 (a stand-in for CIFAR-10 made from MNIST \
         digits) · width ÷8, 2,000 training images\nsample · synthetic curves",
    );
    render_grid(&grid, &dir.join("grid"))?;

    // Training curves with a shared legend (Figure 7 style) and one with an inside legend.
    let mk = |shift: f64| -> Vec<f64> {
        (0..100)
            .map(|e| 1.0 - 0.6 * (-(e as f64 + shift) / 8.0).exp())
            .collect()
    };
    let mut p = Panel::new(
        Axis::new(0.0, 100.0)
            .with_ticks(vec![0.0, 100.0])
            .with_label("Epoch"),
        Axis::new(0.4, 1.01)
            .with_ticks(vec![0.5, 1.0])
            .with_label("Train accuracy"),
    )
    .with_title("C10-CNN1");
    p.push(Series::from_y(
        Some("Adaptive".into()),
        Rgb::DARK_RED,
        mk(3.0),
    ));
    p.push(Series::from_y(
        Some("SGD-Layca".into()),
        Rgb::DEEP_SKY_BLUE,
        mk(1.0),
    ));
    p.push(Series::from_y(
        Some("SGD + L_{2}".into()),
        Rgb::BLUE,
        mk(-4.0),
    ));
    let mut q = p.clone().with_legend(Legend::Inside(Corner::LowerRight));
    q.title = vec!["tiny-CNN".into()];
    let mut g = Grid::new(vec![vec![p, q]]);
    g.legend = ["Adaptive", "SGD-Layca", "SGD + L_{2}"]
        .iter()
        .zip([Rgb::DARK_RED, Rgb::DEEP_SKY_BLUE, Rgb::BLUE])
        .map(|(l, c)| LegendEntry {
            label: l.to_string(),
            color: c,
        })
        .collect();
    g.cell_height = 400;
    render_grid(&g, &dir.join("curves"))?;
    // Figure 4 layout: rotation row without tick labels, accuracy row with labels.
    let mut top = Vec::new();
    let mut bottom = Vec::new();
    for (c, head) in ["No warmup", "5 epochs", "Layca"].iter().enumerate() {
        let curves = (0..40)
            .map(|l| {
                (0..30)
                    .map(|k| {
                        1.0 / (1.0 + (-(k as f64 - 8.0 - (l % 9) as f64 - c as f64) / 2.0).exp())
                    })
                    .collect()
            })
            .collect();
        let mut rp = RotationPanel::new(head.to_string(), curves, XConvention::PrependZero)
            .with_x((0.0, 25.0), vec![0.0, 10.0, 25.0]);
        rp.title.push(eta_title(0.9243 - 0.01 * c as f64));
        top.push(rp.to_panel()?);
        let mut y = Axis::new(0.05, 1.05).with_ticks(vec![0.25, 0.5, 0.75, 1.0]);
        if c == 0 {
            y = y.with_label("Training acc");
        } else {
            y = y.without_tick_labels();
        }
        let mut p = Panel::new(
            Axis::new(0.0, 25.0)
                .with_ticks(vec![0.0, 10.0, 25.0])
                .with_label("Epoch"),
            y,
        );
        p.push(Series::from_y(
            None,
            cycle_color(0),
            (0..26)
                .map(|e| 0.75 - 0.5 * (-(e as f64) / 4.0).exp())
                .collect(),
        ));
        bottom.push(p);
    }
    let mut g = Grid::new(vec![top, bottom]);
    g.col_headers = vec!["SGD + L_{2}".into(), "SGD + L_{2}".into(), "Layca".into()];
    g.cell_height = 380;
    g.cell_width = 400;
    render_grid(&g, &dir.join("fig04"))?;
    log_bands(&dir)?;
    markers(&dir)?;
    bold_and_annotation(&dir)?;
    legend_rows(&dir)?;
    println!("wrote {}", dir.display());
    Ok(())
}

/// Figure 5 style: per-layer median second moment on a log axis with 10th–90th percentile bands.
fn log_bands(dir: &std::path::Path) -> Result<(), layca_plot::PlotError> {
    let mut panels = Vec::new();
    for (e, epoch) in [1, 10, 100].iter().enumerate() {
        let layers = 10;
        let x: Vec<f64> = (0..layers).map(|l| l as f64).collect();
        let med: Vec<f64> = x
            .iter()
            .map(|l| 10f64.powf(-6.0 + 0.3 * l - e as f64))
            .collect();
        let lo = med.iter().map(|m| m / 8.0).collect();
        let hi = med.iter().map(|m| m * 6.0).collect();
        let s = if e == 2 {
            // Spec §5.4 form: median markers with 10th–90th percentile error bars.
            Series::new(Some("median".into()), cycle_color(0), x, med)
                .with_marker(Marker::Circle)
                .without_line()
                .with_error_bars(lo, hi)
        } else {
            Series::new(Some("median".into()), cycle_color(0), x, med).with_band(lo, hi)
        };
        let p = Panel::new(
            Axis::new(0.0, 9.0).with_label("Layer"),
            Axis::log10(1e-10, 1e-2)
                .with_log_minor_ticks()
                .with_label("Second moment"),
        )
        .with_title(format!("Epoch {epoch}"))
        .with_series(s)
        .with_legend(Legend::Inside(Corner::UpperLeft));
        panels.push(p);
    }
    render_grid(&Grid::new(vec![panels]), &dir.join("fig05"))
}

/// Figure 9 style: markers on lines, missing points as gaps.
fn markers(dir: &std::path::Path) -> Result<(), layca_plot::PlotError> {
    let alphas = vec![
        -0.8, -0.6, -0.4, -0.3, -0.2, -0.1, 0.0, 0.1, 0.2, 0.3, 0.4, 0.6, 0.8,
    ];
    let acc = |top: f64, omit: usize| -> Vec<f64> {
        alphas
            .iter()
            .enumerate()
            .map(|(i, a): (usize, &f64)| {
                if i < omit {
                    f64::NAN
                } else {
                    top - 0.3 * a * a
                }
            })
            .collect()
    };
    let mut p = Panel::new(
        Axis::new(-0.8, 0.8).with_label("α"),
        Axis::new(0.3, 0.95)
            .with_ticks(vec![0.3, 0.5, 0.7, 0.9])
            .with_label("Test accuracy"),
    )
    .with_legend(Legend::Inside(Corner::LowerRight));
    for (i, (name, top, omit)) in [
        ("C10-CNN1", 0.88, 0),
        ("C100-resnet", 0.6, 2),
        ("tiny-CNN", 0.5, 1),
    ]
    .into_iter()
    .enumerate()
    {
        p.push(
            Series::new(
                Some(name.into()),
                cycle_color(i),
                alphas.clone(),
                acc(top, omit),
            )
            .with_marker([Marker::Circle, Marker::Square, Marker::Triangle][i]),
        );
    }
    render_grid(&Grid::single(p, 600, 450), &dir.join("fig09"))
}

/// Figure 2 style: the best learning rate's Δη in bold, a failed run annotated.
fn bold_and_annotation(dir: &std::path::Path) -> Result<(), layca_plot::PlotError> {
    let curves = |rate: f64| -> Vec<Vec<f64>> {
        (0..12)
            .map(|l| {
                (0..100)
                    .map(|k| 0.9 * (1.0 - (-(k as f64) * rate * (l + 1) as f64).exp()))
                    .collect()
            })
            .collect()
    };
    let best = format!("Δη = {}", bold(&format_percent(-0.0877)));
    let a = RotationPanel::new(best, curves(0.004), XConvention::PrependZero).to_panel()?;
    let b =
        RotationPanel::new("Δη = −9.06 %", curves(0.05), XConvention::PrependZero).to_panel()?;
    let c = RotationPanel::new("", vec![vec![f64::NAN; 100]; 12], XConvention::PrependZero)
        .to_panel()?
        .with_annotation(Annotation::centered("Training fails"));
    let mut g = Grid::new(vec![vec![a, b, c]]);
    g.col_headers = vec!["lr = 3^-1".into(), "lr = 3^0".into(), "lr = 3^1".into()];
    g.row_labels = vec!["C10-CNN1".into()];
    render_grid(&g, &dir.join("fig02"))
}

/// Figure 13 style: two panels and a shared legend below in two rows.
fn legend_rows(dir: &std::path::Path) -> Result<(), layca_plot::PlotError> {
    let xs: Vec<f64> = (0..10).map(|i| i as f64 / 9.0).collect();
    let alphas: [f64; 7] = [0.0, 0.1, 0.2, 0.3, 0.4, 0.6, 0.8];
    let panel = |neg: bool| {
        let mut p = Panel::new(
            Axis::new(0.0, 1.0).with_label("l/L"),
            Axis::new(0.0, 1.05)
                .with_ticks(vec![0.0, 0.5, 1.0])
                .with_label("Multiplier"),
        )
        .with_title(if neg { "Negative α" } else { "Positive α" });
        for (i, a) in alphas.iter().enumerate() {
            let e = |x: f64| if neg { 5.0 * x } else { 5.0 * (1.0 - x) };
            let y = xs.iter().map(|&x| (1.0 - a).powf(e(x))).collect();
            p.push(Series::new(None, cycle_color(i), xs.clone(), y));
        }
        p
    };
    let mut g = Grid::new(vec![vec![panel(true), panel(false)]]);
    g.legend = alphas
        .iter()
        .enumerate()
        .map(|(i, a)| LegendEntry {
            label: format!("|α| = {a}"),
            color: cycle_color(i),
        })
        .collect();
    g.legend_columns = Some(4);
    render_grid(&g, &dir.join("fig13"))
}
