//! Renders every chart type into a temporary directory and checks the files.

use std::path::{Path, PathBuf};

use layca_plot::{
    delta_eta_title, eta_title, figure8, render_grid, render_image_grid, render_line_chart,
    render_rotation_panel, viridis, Axis, ColorBar, ColorMap, Corner, Figure, Figure8Data,
    Figure8Run, Grid, Image, ImageGrid, ImageRow, Legend, LegendEntry, Panel, PlotError, Rgb,
    RotationPanel, Series, XConvention,
};

fn paths(stem: &Path) -> (PathBuf, PathBuf) {
    layca_plot::output_paths(stem)
}

fn decode(png: &Path) -> image::RgbImage {
    image::open(png).expect("PNG decodes").to_rgb8()
}

fn has_color(img: &image::RgbImage, c: Rgb) -> bool {
    img.pixels().any(|p| p.0 == [c.0, c.1, c.2])
}

fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

/// Files of `dir` (to check that no temporary file is left behind).
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn rotation(layers: usize, records: usize, scale: f64) -> Vec<Vec<f64>> {
    (0..layers)
        .map(|l| {
            (0..records)
                .map(|k| scale * (1.0 - (-(k as f64) * (l + 1) as f64 / 20.0).exp()))
                .collect()
        })
        .collect()
}

#[test]
fn rotation_grid_png_and_svg() {
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join("grid");
    let titles = [
        delta_eta_title(0.8311, 0.8845),
        eta_title(0.8845),
        delta_eta_title(0.70, 0.8845),
        eta_title(0.5981),
    ];
    let mut panels = vec![Vec::new(), Vec::new()];
    for (i, t) in titles.iter().enumerate() {
        let p = RotationPanel::new(t.clone(), rotation(3, 30, 0.9), XConvention::PrependZero);
        panels[i / 2].push(p.to_panel().unwrap());
    }
    let grid = Grid::new(panels);
    render_grid(&grid, &stem).unwrap();
    let (png, svg) = paths(&stem);
    // No headers, labels, colour bar or legend: exactly columns·cell × rows·cell.
    let img = decode(&png);
    assert_eq!(img.dimensions(), (2 * 460, 2 * 460));
    // First and last layer colours are drawn.
    assert!(has_color(&img, viridis(0.0)));
    assert!(has_color(&img, viridis(1.0)));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.contains("Δη = \u{2212}5.34 %"), "missing Δη title");
    assert!(text.contains("η = 88.45 %"));
    assert!(text.contains("η = 59.81 %"));
    // One polyline per layer and panel (all values inside [0, 1], nothing clipped).
    assert_eq!(count(&text, "<polyline"), 4 * 3);
    assert!(text.contains(&viridis(1.0).hex().to_uppercase()));
    assert_eq!(listing(dir.path()), vec!["grid.png", "grid.svg"]);
}

#[test]
fn grid_with_headers_labels_colorbar_and_legend() {
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join("fig01.v2");
    let p = RotationPanel::new("Best", rotation(25, 40, 1.5), XConvention::PrependZero)
        .to_panel()
        .unwrap();
    let mut grid = Grid::new(vec![vec![p.clone(), p.clone()], vec![p.clone(), p]]);
    grid.row_labels = vec!["C10-CNN1".into(), "C100-resnet".into()];
    grid.col_headers = vec!["α=-0.6".into(), "ρ (0)=3^-5".into()];
    grid.colorbar = Some(ColorBar::default());
    grid.legend = vec![LegendEntry {
        label: "SGD + L_{2}".into(),
        color: Rgb::BLUE,
    }];
    render_grid(&grid, &stem).unwrap();
    let (png, svg) = paths(&stem);
    assert!(
        png.ends_with("fig01.v2.png"),
        "extension appended to stems with dots"
    );
    let img = decode(&png);
    assert!(img.width() > 2 * 460 && img.height() > 2 * 460);
    let text = std::fs::read_to_string(&svg).unwrap();
    for needle in [
        "C10-CNN1",
        "C100-resnet",
        "First layer",
        "Last layer",
        "Best",
        "ρ (0)=3",
    ] {
        assert!(text.contains(needle), "SVG lacks {needle:?}");
    }
    // The exponent is typeset separately with a real minus sign.
    assert!(text.contains("\u{2212}5"));
    // Curves reaching 1.5 are clipped at y = 1 but still drawn: at least one polyline per
    // layer and panel, plus the legend sample.
    assert!(count(&text, "<polyline") > 4 * 25);
}

#[test]
fn line_chart_with_legend_and_custom_colours() {
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join("curves");
    let mut p = Panel::new(
        Axis::new(0.0, 100.0).with_label("Epoch"),
        Axis::new(0.4, 1.01)
            .with_ticks(vec![0.5, 1.0])
            .with_label("Train accuracy"),
    )
    .with_title("C10-CNN1")
    .with_legend(Legend::Inside(Corner::LowerRight));
    let colors = [Rgb::DARK_RED, Rgb::DEEP_SKY_BLUE, Rgb::BLUE];
    for (i, (name, c)) in ["Adaptive", "SGD-Layca", "SGD + L_{2}"]
        .iter()
        .zip(colors)
        .enumerate()
    {
        let y = (0..100)
            .map(|e| 1.0 - 0.5 * (-(e as f64) / (5.0 + 5.0 * i as f64)).exp())
            .collect();
        p.push(Series::from_y(Some(name.to_string()), c, y));
    }
    render_line_chart(&p, 640, 480, &stem).unwrap();
    let (png, svg) = paths(&stem);
    let img = decode(&png);
    assert_eq!(img.dimensions(), (640, 480));
    for c in colors {
        assert!(has_color(&img, c), "colour {} not drawn", c.hex());
    }
    let text = std::fs::read_to_string(&svg).unwrap();
    for needle in [
        "C10-CNN1",
        "Adaptive",
        "SGD-Layca",
        "Epoch",
        "Train accuracy",
        "0.5",
        "100",
    ] {
        assert!(text.contains(needle), "SVG lacks {needle:?}");
    }
    // Three curves + three legend samples.
    assert_eq!(count(&text, "<polyline"), 6);
}

#[test]
fn single_rotation_panel_record_index() {
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join("fig10");
    let mut rp = RotationPanel::new("C10-CNN1", rotation(4, 352, 0.8), XConvention::RecordIndex)
        .with_x((0.0, 351.0), vec![0.0, 351.0]);
    rp.show_tick_labels = true;
    rp.y_label = Some("Cosine distance".into());
    rp.x_label = Some("Iteration".into());
    render_rotation_panel(&rp, 500, 400, &stem).unwrap();
    let (png, svg) = paths(&stem);
    assert_eq!(decode(&png).dimensions(), (500, 400));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.contains("351") && text.contains("Iteration"));
    assert_eq!(count(&text, "<polyline"), 4);
}

fn ramp(h: usize, w: usize) -> Image {
    Image {
        height: h,
        width: w,
        data: (0..h * w).map(|i| i as f32).collect(),
    }
}

#[test]
fn image_grid_scales_each_image() {
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join("features");
    let constant = Image {
        height: 4,
        width: 4,
        data: vec![3.0; 16],
    };
    let rows = vec![
        ImageRow {
            title: Some("Initialisation".into()),
            title_color: None,
            label: vec![],
            images: vec![ramp(4, 4), ramp(6, 3)],
        },
        ImageRow {
            title: Some("lr = 3^-2".into()),
            title_color: Some(Rgb(0x1f, 0x77, 0xb4)),
            label: vec!["Train: 100.0 %".into(), "Test: 96.75 %".into()],
            images: vec![constant, ramp(2, 2)],
        },
    ];
    let mut grid = ImageGrid::new(rows);
    grid.cell_px = 60;
    render_image_grid(&grid, &stem).unwrap();
    let (png, svg) = paths(&stem);
    let img = decode(&png);
    // Per-image auto scaling: each ramp reaches both ends of viridis.
    assert!(has_color(&img, viridis(0.0)));
    assert!(has_color(&img, viridis(1.0)));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.contains("Train: 100.0 %") && text.contains("Test: 96.75 %"));
    assert!(text.contains("Initialisation"));
    // One block per pixel: 16 + 18 + 16 + 4 rectangles filled with map colours, plus frames
    // and the background.
    assert!(count(&text, "<rect") >= 16 + 18 + 16 + 4);

    // Grey map: black and white both appear.
    grid.colormap = ColorMap::Gray;
    let stem = dir.path().join("gray");
    render_image_grid(&grid, &stem).unwrap();
    let img = decode(&paths(&stem).0);
    assert!(has_color(&img, Rgb(0, 0, 0)) && has_color(&img, Rgb(255, 255, 255)));
}

#[test]
fn image_grid_blocks_are_nearest_neighbour() {
    // A 2×2 checkerboard in a 100 px cell: 50 px blocks of exactly two colours.
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join("checker");
    let mut grid = ImageGrid::new(vec![ImageRow {
        title: None,
        title_color: None,
        label: vec![],
        images: vec![Image {
            height: 2,
            width: 2,
            data: vec![0.0, 1.0, 1.0, 0.0],
        }],
    }]);
    grid.cell_px = 100;
    render_image_grid(&grid, &stem).unwrap();
    let img = decode(&paths(&stem).0);
    let (lo, hi) = (viridis(0.0), viridis(1.0));
    let count_c = |c: Rgb| img.pixels().filter(|p| p.0 == [c.0, c.1, c.2]).count();
    // Two 50×50 blocks of each colour, less the 1-2 px frame overlapping their outer edges.
    for c in [lo, hi] {
        let n = count_c(c);
        assert!((4000..=5000).contains(&n), "{} pixels of {}", n, c.hex());
    }
    // No interpolated colours between the two ends.
    let mid = viridis(0.5);
    assert_eq!(count_c(mid), 0);
}

fn fig8_data() -> Figure8Data {
    let img = |seed: usize| -> Vec<f32> {
        (0..784)
            .map(|i| (((i * 7919 + seed * 104729) % 1000) as f32) / 1000.0)
            .collect()
    };
    let labels = ["lr = 3^-2", "lr = 3^-2.5", "lr = 3^-3", "lr = 3^-4"];
    let finals = [0.9, 0.6, 0.3, 0.11];
    let runs = (0..4)
        .map(|r| Figure8Run {
            label: labels[r].into(),
            rotation_curve: (0..=100)
                .map(|k| finals[r] * (1.0 - (-(k as f64) / 40.0).exp()))
                .collect(),
            features: (0..5).map(|j| img(10 * r + j + 1)).collect(),
            train_acc: 1.0,
            test_acc: [0.9675, 0.966, 0.9654, 0.9581][r],
        })
        .collect();
    Figure8Data {
        runs,
        init_features: (0..5).map(img).collect(),
    }
}

#[test]
fn figure8_composite() {
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join("fig08");
    figure8(&fig8_data(), &stem).unwrap();
    let (png, svg) = paths(&stem);
    let img = decode(&png);
    assert_eq!(img.height(), 1000);
    assert!(img.width() > 2 * img.height());
    // The four runs in matplotlib C0..C3.
    for c in ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"] {
        assert!(has_color(&img, Rgb::from_hex(c).unwrap()), "{c} missing");
    }
    let text = std::fs::read_to_string(&svg).unwrap();
    for needle in [
        "Initialisation",
        "Train: 100.0 %",
        "Test: 96.75 %",
        "Test: 96.6 %",
        "Cosine distance",
        "Epoch",
        "lr = 3",
        "\u{2212}2.5",
    ] {
        assert!(text.contains(needle), "SVG lacks {needle:?}");
    }
    // One curve per run, labels written along the curves (no legend samples).
    assert_eq!(count(&text, "<polyline"), 4);
    assert_eq!(listing(dir.path()), vec!["fig08.png", "fig08.svg"]);
}

#[test]
fn figure_enum_json_roundtrip_and_render() {
    let fig = Figure::Figure8(fig8_data());
    let json = serde_json::to_string(&fig).unwrap();
    assert!(json.starts_with("{\"kind\":\"figure8\""));
    let back: Figure = serde_json::from_str(&json).unwrap();
    // serde_json's default float parser may differ in the last bit: compare with a tolerance
    // (and without printing megabytes of data on failure).
    let (Figure::Figure8(a), Figure::Figure8(b)) = (&fig, &back) else {
        panic!("variant changed in the JSON round trip");
    };
    assert_eq!(a.runs.len(), b.runs.len());
    for (ra, rb) in a.runs.iter().zip(&b.runs) {
        assert_eq!(ra.label, rb.label);
        assert_eq!(ra.rotation_curve.len(), rb.rotation_curve.len());
        let close = ra
            .rotation_curve
            .iter()
            .zip(&rb.rotation_curve)
            .all(|(x, y)| (x - y).abs() < 1e-12);
        assert!(close, "rotation curve changed in the JSON round trip");
        assert!(
            ra.features == rb.features,
            "features changed in the JSON round trip"
        );
        assert!(ra.train_acc == rb.train_acc && ra.test_acc == rb.test_acc);
    }
    assert!(a.init_features == b.init_features);
    let dir = tempfile::tempdir().unwrap();
    let p = RotationPanel::new("x", rotation(2, 5, 0.5), XConvention::PrependZero)
        .to_panel()
        .unwrap();
    let g = Figure::Grid(Grid::single(p, 300, 300));
    let g2: Figure = serde_json::from_str(&serde_json::to_string(&g).unwrap()).unwrap();
    g2.render(&dir.path().join("g")).unwrap();
    assert_eq!(listing(dir.path()), vec!["g.png", "g.svg"]);
}

/// Asserts an [`PlotError::InvalidData`] naming `file` and containing `msg`, and that nothing was
/// written.
fn assert_data_error(r: Result<(), PlotError>, dir: &Path, file: &str, msg: &str) {
    let e = r.expect_err("bad input must be rejected");
    let s = e.to_string();
    assert!(matches!(e, PlotError::InvalidData { .. }), "{s}");
    assert!(s.contains(file), "error does not name {file}: {s}");
    assert!(s.contains(msg), "error lacks {msg:?}: {s}");
    assert!(listing(dir).is_empty(), "files written despite the error");
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join("bad");

    assert_data_error(
        render_grid(&Grid::new(vec![]), &stem),
        dir.path(),
        "bad.png",
        "no panels",
    );

    let mut p = Panel::new(Axis::new(0.0, 1.0), Axis::new(0.0, 1.0));
    assert_data_error(
        render_line_chart(&p, 300, 300, &stem),
        dir.path(),
        "bad.png",
        "no curves",
    );
    p.push(Series::new(None, Rgb::BLACK, vec![0.0, 1.0], vec![0.5]));
    assert_data_error(
        render_line_chart(&p, 300, 300, &stem),
        dir.path(),
        "bad.png",
        "2 x values but 1 y values",
    );

    let ok = Panel::new(Axis::new(0.0, 1.0), Axis::new(0.0, 1.0));
    let mut okp = ok.clone();
    okp.push(Series::from_y(None, Rgb::BLACK, vec![0.1, 0.2]));
    let ragged = Grid::new(vec![vec![okp.clone(), okp.clone()], vec![okp.clone()]]);
    assert_data_error(
        render_grid(&ragged, &stem),
        dir.path(),
        "bad.png",
        "row 1 has 1 panels",
    );

    let mut labels = Grid::new(vec![vec![okp.clone()]]);
    labels.row_labels = vec!["a".into(), "b".into()];
    assert_data_error(
        render_grid(&labels, &stem),
        dir.path(),
        "bad.png",
        "2 row labels for 1 rows",
    );

    let mut inverted = okp.clone();
    inverted.x = Axis::new(1.0, 0.0);
    assert_data_error(
        render_line_chart(&inverted, 300, 300, &stem),
        dir.path(),
        "bad.png",
        "not finite and increasing",
    );

    let tiny = Grid::single(okp, 60, 60);
    let mut tiny = tiny;
    tiny.font_px = 40.0;
    assert_data_error(render_grid(&tiny, &stem), dir.path(), "bad.png", "no room");

    let rp = RotationPanel::new(
        "t",
        vec![vec![0.1, 0.2], vec![0.3]],
        XConvention::PrependZero,
    );
    assert_data_error(
        render_rotation_panel(&rp, 300, 300, &stem),
        dir.path(),
        "bad.png",
        "layer 1 has 1 records",
    );

    let bad_image = ImageGrid::new(vec![ImageRow {
        title: None,
        title_color: None,
        label: vec![],
        images: vec![Image {
            height: 3,
            width: 3,
            data: vec![0.0; 8],
        }],
    }]);
    assert_data_error(
        render_image_grid(&bad_image, &stem),
        dir.path(),
        "bad.png",
        "has 8 values",
    );
    assert_data_error(
        render_image_grid(&ImageGrid::new(vec![]), &stem),
        dir.path(),
        "bad.png",
        "no rows",
    );

    let mut d = fig8_data();
    d.runs[2].features.pop();
    assert_data_error(
        figure8(&d, &stem),
        dir.path(),
        "bad.png",
        "run 2 (lr = 3^-3) has 4 features",
    );
    let mut d = fig8_data();
    d.runs[0].features[1] = vec![0.0; 783];
    assert_data_error(figure8(&d, &stem), dir.path(), "bad.png", "783 values");
    let mut d = fig8_data();
    for f in d
        .init_features
        .iter_mut()
        .chain(d.runs.iter_mut().flat_map(|r| r.features.iter_mut()))
    {
        f.truncate(780);
    }
    assert_data_error(
        figure8(&d, &stem),
        dir.path(),
        "bad.png",
        "not a non-empty square",
    );
    let mut d = fig8_data();
    d.runs[1].test_acc = 96.6;
    assert_data_error(figure8(&d, &stem), dir.path(), "bad.png", "not a fraction");
    let mut d = fig8_data();
    d.runs[3].rotation_curve.clear();
    assert_data_error(
        figure8(&d, &stem),
        dir.path(),
        "bad.png",
        "empty rotation curve",
    );
    let mut d = fig8_data();
    d.runs.clear();
    assert_data_error(figure8(&d, &stem), dir.path(), "bad.png", "no runs");
}

#[test]
fn unwritable_destination_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, b"x").unwrap();
    // The "directory" of the output is a regular file.
    let stem = blocker.join("fig");
    let mut p = Panel::new(Axis::new(0.0, 1.0), Axis::new(0.0, 1.0));
    p.push(Series::from_y(None, Rgb::BLACK, vec![0.1, 0.2]));
    let e = render_line_chart(&p, 200, 200, &stem).unwrap_err();
    assert!(matches!(e, PlotError::Io { .. }), "{e}");
    assert!(e.to_string().contains("file"), "{e}");
}
