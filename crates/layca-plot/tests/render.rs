//! Renders every chart type into a temporary directory and checks the files.

use std::path::{Path, PathBuf};

use layca_plot::{
    bold, cycle_color, delta_eta_title, eta_title, figure8, format_percent, render_grid,
    render_image_grid, render_line_chart, render_rotation_panel, viridis, Annotation, Axis,
    ColorBar, ColorMap, Corner, Figure, Figure8Data, Figure8Run, Grid, Image, ImageGrid, ImageRow,
    Legend, LegendEntry, Marker, Panel, PlotError, Rgb, RotationPanel, Series, XConvention,
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
        caption: None,
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

// ---------------------------------------------------------------------------------------------
// Building blocks of Figs 2, 4, 5, 7, 9, 13: log axes, bands, markers, annotations, bold text,
// multi-row legends, per-row axes, colour bar.

/// Rows (y) and columns (x) of the frame: black runs longer than 40 % of the image.
fn frame_lines(img: &image::RgbImage) -> (Vec<u32>, Vec<u32>) {
    let (w, h) = img.dimensions();
    let black = |x: u32, y: u32| img.get_pixel(x, y).0 == [0, 0, 0];
    let rows = (0..h)
        .filter(|&y| (0..w).filter(|&x| black(x, y)).count() as f64 > 0.4 * w as f64)
        .collect();
    let cols = (0..w)
        .filter(|&x| (0..h).filter(|&y| black(x, y)).count() as f64 > 0.4 * h as f64)
        .collect();
    (rows, cols)
}

/// The plotting area `(x0, y0, x1, y1)` of a single-panel chart, from its frame lines.
fn plot_area(img: &image::RgbImage) -> (u32, u32, u32, u32) {
    let (rows, cols) = frame_lines(img);
    assert!(
        rows.len() >= 2 && cols.len() >= 2,
        "no frame: {rows:?} {cols:?}"
    );
    (
        cols[0],
        rows[0],
        *cols.last().unwrap(),
        *rows.last().unwrap(),
    )
}

/// Pixel rows of the image where colour `c` occurs.
fn rows_with(img: &image::RgbImage, c: Rgb) -> Vec<u32> {
    let (w, h) = img.dimensions();
    (0..h)
        .filter(|&y| (0..w).any(|x| img.get_pixel(x, y).0 == [c.0, c.1, c.2]))
        .collect()
}

/// `(y, content)` of the SVG's `<text>` elements, in document order (content trimmed).
fn svg_text_elements(svg: &str) -> Vec<(f64, String)> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let start = t.find('>')? + 1;
            let end = t.find("</text>")?;
            let y = t[..start].split(" y=\"").nth(1)?;
            let y = y[..y.find('"')?].parse().ok()?;
            Some((y, t[start..end].trim().to_string()))
        })
        .collect()
}

/// Texts of the SVG's `<text>` elements, in document order.
fn svg_texts(svg: &str) -> Vec<String> {
    svg_text_elements(svg).into_iter().map(|(_, t)| t).collect()
}

/// The `y` attribute of the first `<text>` element whose content is `content`.
fn svg_text_y(svg: &str, content: &str) -> f64 {
    svg_text_elements(svg)
        .into_iter()
        .find(|(_, t)| t == content)
        .unwrap_or_else(|| panic!("no text {content:?}"))
        .0
}

/// Whether the first `<text>` element whose content is `content` is bold.
fn svg_text_bold(svg: &str, content: &str) -> bool {
    svg.split("<text")
        .skip(1)
        .find(|t| {
            let start = t.find('>').map_or(0, |i| i + 1);
            t.find("</text>")
                .is_some_and(|end| t[start..end].trim() == content)
        })
        .unwrap_or_else(|| panic!("no text {content:?}"))
        .split('>')
        .next()
        .unwrap_or_default()
        .contains("font-weight=\"bold\"")
}

#[test]
fn log_axis_decade_labels_positions_and_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join("log");
    let flat = Rgb(0x11, 0xaa, 0x33);
    let mut p = Panel::new(
        Axis::new(0.0, 10.0),
        Axis::log10(1e-4, 1.0)
            .with_log_minor_ticks()
            .with_label("Second moment"),
    );
    // 1e-2 is half-way up a [1e-4, 1] log axis.
    p.push(Series::new(None, flat, vec![0.0, 10.0], vec![1e-2, 1e-2]).with_width(2.0));
    // Zero and negative values are gaps, never a panic: two pieces remain.
    let y = vec![1e-3, 1e-2, 0.0, -1.0, 1e-1, 0.5];
    p.push(Series::new(
        None,
        Rgb::BLUE,
        (0..6).map(|i| i as f64 * 2.0).collect(),
        y,
    ));
    render_line_chart(&p, 500, 400, &stem).unwrap();
    let (png, svg) = paths(&stem);
    let img = decode(&png);
    let (_, y0, _, y1) = plot_area(&img);
    let rows = rows_with(&img, flat);
    let mid = (y0 + y1) as f64 / 2.0;
    let line_y = rows.iter().sum::<u32>() as f64 / rows.len() as f64;
    assert!(
        (line_y - mid).abs() <= 2.0,
        "1e-2 drawn at y={line_y}, mid-height {mid}"
    );
    let text = std::fs::read_to_string(&svg).unwrap();
    let texts = svg_texts(&text);
    // Decade labels 10^-4 … 10^0: the base "10" and a superscript with a real minus sign.
    for e in ["\u{2212}4", "\u{2212}3", "\u{2212}2", "\u{2212}1", "0"] {
        assert!(
            texts.iter().any(|t| t == e),
            "no exponent {e:?} in {texts:?}"
        );
    }
    assert!(
        texts.iter().filter(|t| *t == "10").count() >= 5,
        "{texts:?}"
    );
    assert!(texts.iter().any(|t| t == "Second moment"));
    // The flat line and the two visible pieces of the gapped series.
    assert_eq!(count(&text, "<polyline"), 3);
    // A non-positive log axis limit is an error naming the file, not a panic.
    let mut bad = p.clone();
    bad.y = Axis::log10(0.0, 1.0);
    let e = render_line_chart(&bad, 500, 400, &dir.path().join("bad")).unwrap_err();
    assert!(
        e.to_string().contains("bad.png") && e.to_string().contains("positive"),
        "{e}"
    );
}

#[test]
fn band_is_a_translucent_polygon_beneath_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join("band");
    let c = cycle_color(0);
    let n = 11;
    let x: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let s = Series::new(Some("median".into()), c, x, vec![0.5; n])
        .with_band(vec![0.2; n], vec![0.8; n]);
    let p = Panel::new(Axis::new(0.0, 10.0), Axis::new(0.0, 1.0))
        .with_series(s)
        .with_legend(Legend::Inside(Corner::UpperRight));
    render_line_chart(&p, 500, 400, &stem).unwrap();
    let (png, svg) = paths(&stem);
    let img = decode(&png);
    let (x0, y0, x1, y1) = plot_area(&img);
    let at = |fx: f64, fy: f64| {
        let x = x0 as f64 + fx * (x1 - x0) as f64;
        let y = y1 as f64 - fy * (y1 - y0) as f64;
        img.get_pixel(x.round() as u32, y.round() as u32).0
    };
    // Inside the band (between the line and the bounds): 25 % of the colour over white.
    let blend = |ch: u8| (0.25 * ch as f64 + 0.75 * 255.0).round();
    for (fx, fy) in [(0.3, 0.35), (0.6, 0.7)] {
        let p = at(fx, fy);
        for (got, want) in p.iter().zip([c.0, c.1, c.2]) {
            assert!(
                (*got as f64 - blend(want)).abs() <= 3.0,
                "band pixel {p:?} at {fx},{fy}"
            );
        }
    }
    // Outside the band: white. On the line: the colour itself.
    assert_eq!(at(0.3, 0.1), [255, 255, 255]);
    assert_eq!(at(0.3, 0.5), [c.0, c.1, c.2]);
    let text = std::fs::read_to_string(&svg).unwrap();
    let hex = c.hex().to_uppercase();
    // The band polygon and the legend's band sample, both translucent in the series colour.
    let polys: Vec<&str> = text.split("<polygon").skip(1).collect();
    assert_eq!(polys.len(), 2, "{polys:?}");
    for poly in polys {
        assert!(
            poly.contains("opacity=\"0.25\"") && poly.contains(&hex),
            "{poly}"
        );
    }
    // The band comes before (beneath) the line.
    assert!(text.find("<polygon").unwrap() < text.find("<polyline").unwrap());
}

#[test]
fn bands_with_gaps_are_clipped_to_the_plot() {
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join("band-clip");
    let n = 9;
    let x: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let mut lower = vec![1e-3; n];
    lower[4] = 0.0; // a gap on a log axis: two polygons
    let upper = vec![10.0; n]; // above the axis: clipped at the top
    let s = Series::new(None, Rgb::DARK_RED, x, vec![1e-2; n]).with_band(lower, upper);
    let p = Panel::new(Axis::new(0.0, 8.0), Axis::log10(1e-4, 1.0)).with_series(s);
    render_line_chart(&p, 400, 300, &stem).unwrap();
    let text = std::fs::read_to_string(paths(&stem).1).unwrap();
    assert_eq!(count(&text, "<polygon"), 2);
    let img = decode(&paths(&stem).0);
    let (_, y0, _, _) = plot_area(&img);
    // The band reaches the frame but nothing of it lies above (tick labels there are grey).
    let reddish = |y: u32| {
        (0..img.width()).any(|x| {
            let [r, g, _] = img.get_pixel(x, y).0;
            r as i32 > g as i32 + 30
        })
    };
    assert!(reddish(y0 + 3), "band does not reach the top of the plot");
    assert!((0..y0.saturating_sub(1)).all(|y| !reddish(y)));
}

#[test]
fn markers_with_and_without_lines_and_missing_points() {
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join("fig09");
    let alphas = vec![-0.8, -0.6, -0.4, -0.2, 0.0, 0.2, 0.4, 0.6, 0.8];
    // Omitted runs are NaN: the line breaks there and no marker is drawn.
    let acc1 = vec![f64::NAN, f64::NAN, 0.55, 0.58, 0.60, 0.59, 0.57, 0.52, 0.5];
    let acc0 = vec![0.86, 0.87, 0.88, 0.885, 0.8845, 0.88, 0.87, 0.86, f64::NAN];
    let acc2 = vec![0.4, 0.45, 0.48, f64::NAN, 0.5, 0.49, 0.47, 0.45, 0.42];
    let mut p = Panel::new(
        Axis::new(-0.8, 0.8).with_label("α"),
        Axis::new(0.3, 0.9)
            .with_ticks(vec![0.3, 0.5, 0.7, 0.9])
            .with_label("Test accuracy"),
    )
    .with_legend(Legend::Inside(Corner::LowerLeft));
    p.push(
        Series::new(
            Some("C10-CNN1".into()),
            cycle_color(0),
            alphas.clone(),
            acc0,
        )
        .with_marker(Marker::Circle),
    );
    p.push(
        Series::new(
            Some("C100-resnet".into()),
            cycle_color(1),
            alphas.clone(),
            acc1,
        )
        .with_marker(Marker::Square)
        .without_line(),
    );
    p.push(
        Series::new(Some("tiny-CNN".into()), cycle_color(2), alphas, acc2)
            .with_marker(Marker::Triangle)
            .with_marker_size(1.5),
    );
    render_line_chart(&p, 640, 480, &stem).unwrap();
    let (png, svg) = paths(&stem);
    let img = decode(&png);
    for i in 0..3 {
        assert!(has_color(&img, cycle_color(i)), "C{i} not drawn");
    }
    let text = std::fs::read_to_string(&svg).unwrap();
    // 8 finite circles + the legend sample.
    assert_eq!(count(&text, "<circle"), 8 + 1);
    // Squares of C1: 7 finite points + legend sample.
    let c1 = format!("fill=\"{}\"", cycle_color(1).hex().to_uppercase());
    let squares = text.split("<rect").filter(|r| r.contains(&c1)).count();
    assert_eq!(squares, 7 + 1);
    // Triangles of C2: 8 finite points + legend sample.
    let c2 = format!("fill=\"{}\"", cycle_color(2).hex().to_uppercase());
    let triangles = text.split("<polygon").filter(|r| r.contains(&c2)).count();
    assert_eq!(triangles, 8 + 1);
    // Lines: C0 in one piece, C1 none, C2 broken by the NaN into two; legend samples for C0, C2.
    assert_eq!(count(&text, "<polyline"), 1 + 2 + 2);
    for needle in ["C10-CNN1", "C100-resnet", "tiny-CNN", "Test accuracy"] {
        assert!(text.contains(needle), "SVG lacks {needle:?}");
    }
}

#[test]
fn cross_and_plus_markers_are_strokes() {
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join("cross");
    let mut p = Panel::new(Axis::new(0.0, 3.0), Axis::new(0.0, 1.0));
    let x = vec![1.0, 2.0];
    p.push(
        Series::new(None, Rgb::BLUE, x.clone(), vec![0.5, 0.6])
            .with_marker(Marker::Cross)
            .without_line(),
    );
    p.push(
        Series::new(None, Rgb::DARK_RED, x, vec![0.2, 0.3])
            .with_marker(Marker::Plus)
            .without_line(),
    );
    render_line_chart(&p, 300, 300, &stem).unwrap();
    let text = std::fs::read_to_string(paths(&stem).1).unwrap();
    // Two strokes per marker, no line.
    assert_eq!(count(&text, "<polyline"), 2 * 4);
    // Points outside the axes draw no marker.
    let mut q = Panel::new(Axis::new(0.0, 1.0), Axis::new(0.0, 1.0));
    q.push(
        Series::new(None, Rgb::BLUE, vec![0.5, 5.0], vec![0.5, 0.5])
            .with_marker(Marker::Diamond)
            .without_line(),
    );
    let stem = dir.path().join("outside");
    render_line_chart(&q, 300, 300, &stem).unwrap();
    let text = std::fs::read_to_string(paths(&stem).1).unwrap();
    assert_eq!(count(&text, "<polygon"), 1);
}

#[test]
fn annotations_and_bold_titles() {
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join("fig02-extra");
    let best = format!("Δη = {}", bold(&format_percent(0.8268 - 0.9145)));
    assert_eq!(best, "Δη = **\u{2212}8.77 %**");
    let failed = RotationPanel::new(best, vec![vec![f64::NAN; 3]; 2], XConvention::PrependZero)
        .to_panel()
        .unwrap()
        .with_annotation(Annotation::centered("Training fails"));
    let ok = RotationPanel::new(
        "Δη = −9.06 %",
        rotation(3, 30, 0.9),
        XConvention::PrependZero,
    )
    .to_panel()
    .unwrap()
    .with_annotation(Annotation::new("**top**\nright", 0.8, 0.8).with_size(0.8));
    let grid = Grid::new(vec![vec![failed, ok]]);
    render_grid(&grid, &stem).unwrap();
    let (png, svg) = paths(&stem);
    let text = std::fs::read_to_string(&svg).unwrap();
    let texts = svg_texts(&text);
    assert!(texts.iter().any(|t| t == "Training fails"), "{texts:?}");
    assert!(texts.iter().any(|t| t == "right") && texts.iter().any(|t| t == "top"));
    // The bold part of the title is its own text element in bold; the rest is regular.
    let bold_tag = |content: &str| svg_text_bold(&text, content);
    assert!(bold_tag("\u{2212}8.77 %"));
    assert!(bold_tag("top"));
    assert!(!bold_tag("Training fails") && !bold_tag("right"));
    assert!(!text.contains("**"), "markup left in the SVG");
    // "Training fails" is centred in the first panel: dark text pixels around the centre of
    // the left plotting area, and the two lines of the other annotation are stacked.
    let img = decode(&png);
    let (cx, cy) = (230u32, 460 / 2 + 10);
    let dark = (cx - 60..cx + 60)
        .flat_map(|x| (cy - 20..cy + 20).map(move |y| (x, y)))
        .filter(|&(x, y)| img.get_pixel(x, y).0.iter().all(|&v| v < 100))
        .count();
    assert!(
        dark > 30,
        "no annotation text near the panel centre ({dark} dark pixels)"
    );
    assert!(svg_text_y(&text, "top") < svg_text_y(&text, "right"));
    // Bad annotation positions are errors.
    let mut bad = grid.clone();
    bad.panels[0][0].annotations[0].x = f64::NAN;
    let e = render_grid(&bad, &dir.path().join("bad")).unwrap_err();
    assert!(e.to_string().contains("not finite"), "{e}");
}

#[test]
fn shared_legend_below_wraps_into_rows() {
    let dir = tempfile::tempdir().unwrap();
    let xs: Vec<f64> = (0..10).map(|i| i as f64 / 9.0).collect();
    let alphas: [f64; 7] = [0.0, 0.1, 0.2, 0.3, 0.4, 0.6, 0.8];
    let panel = |neg: bool| {
        let mut p = Panel::new(
            Axis::new(0.0, 1.0).with_label("l/L"),
            Axis::new(0.0, 1.0).with_label("Multiplier"),
        )
        .with_title(if neg { "Negative α" } else { "Positive α" });
        for (i, a) in alphas.iter().enumerate() {
            let y = xs
                .iter()
                .map(|x: &f64| {
                    if neg {
                        (1.0 - a).powf(5.0 * x)
                    } else {
                        (1.0 - a).powf(5.0 * (1.0 - x))
                    }
                })
                .collect();
            p.push(Series::new(None, cycle_color(i), xs.clone(), y));
        }
        p
    };
    let mut grid = Grid::new(vec![vec![panel(true), panel(false)]]);
    grid.legend = alphas
        .iter()
        .enumerate()
        .map(|(i, a)| LegendEntry {
            label: format!("|α| = {a}"),
            color: cycle_color(i),
        })
        .collect();
    let one_row = dir.path().join("one");
    render_grid(&grid, &one_row).unwrap();
    grid.legend_columns = Some(4);
    let two_rows = dir.path().join("two");
    render_grid(&grid, &two_rows).unwrap();
    let (h1, h2) = (
        decode(&paths(&one_row).0).height(),
        decode(&paths(&two_rows).0).height(),
    );
    assert!(h2 > h1 && h2 - h1 < 40, "heights {h1} → {h2}");
    let text = std::fs::read_to_string(paths(&two_rows).1).unwrap();
    // Entries 1–4 on the first row, 5–7 on the second.
    let y_first = svg_text_y(&text, "|α| = 0.3");
    let y_second = svg_text_y(&text, "|α| = 0.4");
    assert!(y_second > y_first + 10.0, "{y_first} {y_second}");
    assert_eq!(svg_text_y(&text, "|α| = 0"), y_first);
    // Seven curves per panel plus seven legend samples.
    assert_eq!(count(&text, "<polyline"), 2 * 7 + 7);
    grid.legend_columns = Some(0);
    assert!(render_grid(&grid, &dir.path().join("bad")).is_err());
}

#[test]
fn rows_with_their_own_x_axes_and_shared_y() {
    // Figure 4: row 1 rotation curves (x [0, 25], labels hidden), row 2 training accuracy
    // (x ticks 0/10/25 labelled, y labels only in the first column).
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join("fig04");
    let mut top = Vec::new();
    let mut bottom = Vec::new();
    for c in 0..3 {
        let rp = RotationPanel::new(
            eta_title(0.92),
            rotation(5, 200, 0.9),
            XConvention::PrependZero,
        )
        .with_x((0.0, 25.0), vec![0.0, 10.0, 25.0]);
        top.push(rp.to_panel().unwrap());
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
            vec![0.3, 0.5, 0.6, 0.7],
        ));
        bottom.push(p);
    }
    let mut grid = Grid::new(vec![top, bottom]);
    grid.col_headers = vec!["SGD + L_{2}".into(), "SGD + L_{2}".into(), "Layca".into()];
    render_grid(&grid, &stem).unwrap();
    let (png, svg) = paths(&stem);
    let img = decode(&png);
    // Plotting areas of a column line up: the frame's vertical lines span both rows.
    let (_, cols) = frame_lines(&img);
    assert!(cols.len() >= 6, "frame columns {cols:?}");
    let text = std::fs::read_to_string(&svg).unwrap();
    let texts = svg_texts(&text);
    // x tick labels only in row 2 (3 panels), y tick labels only in column 0 of row 2.
    assert_eq!(texts.iter().filter(|t| *t == "25").count(), 3, "{texts:?}");
    assert_eq!(
        texts.iter().filter(|t| *t == "0.75").count(),
        1,
        "{texts:?}"
    );
    assert_eq!(texts.iter().filter(|t| *t == "Epoch").count(), 3);
    assert!(texts.iter().any(|t| t == "Training acc"));
}

#[test]
fn colorbar_beside_a_rotation_grid() {
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join("fig01");
    let p = RotationPanel::new("Best", rotation(25, 40, 0.8), XConvention::PrependZero)
        .to_panel()
        .unwrap();
    let mut grid = Grid::new(vec![vec![p.clone(); 2]; 2]);
    grid.colorbar = Some(ColorBar::default());
    render_grid(&grid, &stem).unwrap();
    let (png, svg) = paths(&stem);
    let img = decode(&png);
    let (w, h) = img.dimensions();
    assert!(w > 2 * 460 && h == 2 * 460);
    // The bar lies right of the panels: dark purple at its bottom, yellow at its top.
    let bar_px = |c: Rgb| {
        (2 * 460..w)
            .flat_map(|x| (0..h).map(move |y| (x, y)))
            .filter(|&(x, y)| {
                let p = img.get_pixel(x, y).0;
                p.iter()
                    .zip([c.0, c.1, c.2])
                    .all(|(a, b)| (*a as i32 - b as i32).abs() <= 8)
            })
            .map(|(_, y)| y)
            .collect::<Vec<u32>>()
    };
    let purple = bar_px(viridis(0.0));
    let yellow = bar_px(viridis(1.0));
    assert!(!purple.is_empty() && !yellow.is_empty());
    let mean = |v: &[u32]| v.iter().map(|&y| y as f64).sum::<f64>() / v.len() as f64;
    assert!(mean(&purple) > mean(&yellow) + 200.0);
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(svg_text_y(&text, "Last layer") < svg_text_y(&text, "First layer"));
}

#[test]
fn five_by_five_rotation_grid_renders_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join("big");
    let panels: Vec<Vec<Panel>> = (0..5)
        .map(|r| {
            (0..5)
                .map(|c| {
                    let scale = 0.2 + 0.15 * (r + c) as f64;
                    RotationPanel::new(
                        delta_eta_title(0.8, 0.8845),
                        rotation(25, 100, scale),
                        XConvention::PrependZero,
                    )
                    .to_panel()
                    .unwrap()
                })
                .collect()
        })
        .collect();
    let mut grid = Grid::new(panels);
    grid.colorbar = Some(ColorBar::default());
    let start = std::time::Instant::now();
    render_grid(&grid, &stem).unwrap();
    let elapsed = start.elapsed();
    let text = std::fs::read_to_string(paths(&stem).1).unwrap();
    assert!(count(&text, "<polyline") >= 25 * 25);
    // Well under a second or two in release; generous for the dev profile on a busy machine.
    assert!(elapsed.as_secs_f64() < 15.0, "5x5 grid took {elapsed:?}");
}

#[test]
fn error_bars_on_a_log_axis() {
    // Figure 5: median markers with 10th–90th percentile bars per layer, log y shared by the
    // three panels (tick labels only in the first).
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join("fig05");
    let layers = 6;
    let x: Vec<f64> = (0..layers).map(|l| l as f64).collect();
    let mut panels = Vec::new();
    for (e, title) in ["Epoch 1", "Epoch 10", "Epoch 50"].iter().enumerate() {
        let med: Vec<f64> = x
            .iter()
            .map(|l| 1e-3 * 10f64.powf(-0.5 * l - e as f64))
            .collect();
        let mut lo: Vec<f64> = med.iter().map(|m| m / 4.0).collect();
        lo[1] = 0.0; // cannot be shown on a log axis: no bar, still a marker
        let hi = med.iter().map(|m| m * 4.0).collect();
        let mut y = Axis::log10(1e-8, 1e-1);
        y = if e == 0 {
            y.with_label("2nd raw moment")
        } else {
            y.without_tick_labels()
        };
        let s = Series::new(Some("median".into()), cycle_color(0), x.clone(), med)
            .with_marker(Marker::Circle)
            .without_line()
            .with_error_bars(lo, hi);
        let legend = if e == 0 {
            Legend::Inside(Corner::UpperRight)
        } else {
            Legend::None
        };
        panels.push(
            Panel::new(Axis::new(-0.5, 5.5).with_label("Layer"), y)
                .with_title(*title)
                .with_series(s)
                .with_legend(legend),
        );
    }
    render_grid(&Grid::new(vec![panels]), &stem).unwrap();
    let (png, svg) = paths(&stem);
    assert!(has_color(&decode(&png), cycle_color(0)));
    let text = std::fs::read_to_string(&svg).unwrap();
    // 3 panels × (6 markers) + 1 legend marker; 3 × 5 bars + 1 legend bar.
    assert_eq!(count(&text, "<circle"), 3 * 6 + 1);
    assert_eq!(count(&text, "<polyline"), 3 * 5 + 1);
    // Decade labels once (first panel only), exponents with a real minus sign.
    let texts = svg_texts(&text);
    assert_eq!(texts.iter().filter(|t| *t == "\u{2212}8").count(), 1);
    assert!(texts.iter().any(|t| t == "2nd raw moment"));
}

#[test]
fn legend_below_a_chosen_column() {
    // Figure 7: five training-curve panels, the legend centred below the middle one even though
    // the first column is wider (its y label).
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join("fig07");
    let panels: Vec<Panel> = (0..5)
        .map(|c| {
            let mut y = Axis::new(0.4, 1.01).with_ticks(vec![0.5, 1.0]);
            if c == 0 {
                y = y.with_label("Train accuracy");
            }
            let mut x = Axis::new(0.0, 100.0).with_ticks(vec![0.0, 100.0]);
            if c == 0 {
                x = x.with_label("Epoch");
            }
            let mut p = Panel::new(x, y).with_title(format!("task {c}"));
            for (i, col) in [Rgb::DARK_RED, Rgb::DEEP_SKY_BLUE, Rgb::BLUE]
                .iter()
                .enumerate()
            {
                let v = (0..100)
                    .map(|e| 1.0 - 0.5 * (-(e as f64) / (4.0 + 6.0 * i as f64)).exp())
                    .collect();
                p.push(Series::from_y(None, *col, v));
            }
            p
        })
        .collect();
    let mut grid = Grid::new(vec![panels]);
    grid.cell_width = 300;
    grid.cell_height = 300;
    grid.legend = ["Adaptive", "SGD-Layca", "SGD + L_{2}"]
        .iter()
        .zip([Rgb::DARK_RED, Rgb::DEEP_SKY_BLUE, Rgb::BLUE])
        .map(|(l, color)| LegendEntry {
            label: l.to_string(),
            color,
        })
        .collect();
    grid.legend_column = Some(2);
    render_grid(&grid, &stem).unwrap();
    let img = decode(&paths(&stem).0);
    // The legend box (grey frame) below the panels, and the middle plotting area's frame.
    let grey = [0xcc, 0xcc, 0xcc];
    let (w, h) = img.dimensions();
    let box_cols: Vec<u32> = (0..w)
        .filter(|&x| (h - 60..h).any(|y| img.get_pixel(x, y).0 == grey))
        .collect();
    let box_mid = (box_cols[0] + box_cols[box_cols.len() - 1]) as f64 / 2.0;
    // Middle plotting area: black vertical frame lines inside the third cell.
    let row = 150;
    let black: Vec<u32> = (600..900)
        .filter(|&x| img.get_pixel(x, row).0 == [0, 0, 0])
        .collect();
    let mid = (black[0] + black[black.len() - 1]) as f64 / 2.0;
    assert!(
        (box_mid - mid).abs() <= 2.0,
        "legend centre {box_mid}, middle panel {mid}"
    );
    grid.legend_column = Some(5);
    let e = render_grid(&grid, &dir.path().join("bad")).unwrap_err();
    assert!(e.to_string().contains("legend_column 5"), "{e}");
}

#[test]
fn new_building_blocks_round_trip_through_json() {
    let n = 4;
    let x: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let s = Series::new(Some("m".into()), cycle_color(0), x.clone(), vec![1e-3; n])
        .with_band(vec![1e-4; n], vec![1e-2; n])
        .with_error_bars(vec![5e-4; n], vec![2e-3; n])
        .with_marker(Marker::Diamond)
        .with_marker_size(1.5)
        .without_line();
    let p = Panel::new(
        Axis::new(0.0, 3.0)
            .with_tick_labels(vec!["a".into(), "b".into()])
            .with_ticks(vec![0.0, 3.0]),
        Axis::log10(1e-5, 1.0).with_log_minor_ticks(),
    )
    .with_title(format!("Δη = {}", bold("1.0 %")))
    .with_series(s)
    .with_annotation(Annotation::centered("Training fails").with_color(Rgb::BLUE));
    let mut g = Grid::single(p, 400, 300);
    g.legend_columns = Some(2);
    g.legend_column = Some(0);
    let fig = Figure::Grid(g);
    let json = serde_json::to_string(&fig).unwrap();
    for key in [
        "\"scale\":\"log10\"",
        "\"band\"",
        "\"error_bars\"",
        "\"marker\":\"diamond\"",
        "\"annotations\"",
        "\"legend_columns\":2",
    ] {
        assert!(json.contains(key), "JSON lacks {key}: {json}");
    }
    let back: Figure = serde_json::from_str(&json).unwrap();
    assert_eq!(back, fig);
    let dir = tempfile::tempdir().unwrap();
    back.render(&dir.path().join("rt")).unwrap();
    assert_eq!(listing(dir.path()), vec!["rt.png", "rt.svg"]);
}

/// The `font-size` attribute of the first `<text>` element whose content is `content`.
fn svg_text_size(svg: &str, content: &str) -> f64 {
    let tag = svg
        .split("<text")
        .skip(1)
        .find(|t| {
            let start = t.find('>').map_or(0, |i| i + 1);
            t.find("</text>")
                .is_some_and(|end| t[start..end].trim() == content)
        })
        .unwrap_or_else(|| panic!("no text {content:?}"));
    let v = tag.split("font-size=\"").nth(1).expect("font-size");
    v[..v.find('"').unwrap()].parse().unwrap()
}

/// The first `rows` pixel rows of `a` and `b` are the same (and the images equally wide).
fn same_top_rows(a: &image::RgbImage, b: &image::RgbImage, rows: u32) -> bool {
    a.width() == b.width()
        && (0..rows).all(|y| (0..a.width()).all(|x| a.get_pixel(x, y) == b.get_pixel(x, y)))
}

const CAPTION: &str = "scale cpu · data: standin-mnist-3x32x32 (a stand-in for CIFAR-10 made \
                       from MNIST digits) · width ÷8, 2,000 training images";

#[test]
fn caption_below_a_grid_and_its_legend() {
    let dir = tempfile::tempdir().unwrap();
    let p = |t: &str| {
        RotationPanel::new(t, rotation(3, 20, 0.8), XConvention::PrependZero)
            .to_panel()
            .unwrap()
    };
    let mut grid = Grid::new(vec![vec![p("a"), p("b")]]);
    grid.legend = vec![LegendEntry {
        label: "SGD".into(),
        color: cycle_color(0),
    }];
    let plain = dir.path().join("plain");
    render_grid(&grid, &plain).unwrap();
    let grid = grid.with_caption("scale cpu\nwidth ÷8\n\nsecond line");
    assert!(grid.caption.is_some());
    let captioned = dir.path().join("captioned");
    render_grid(&grid, &captioned).unwrap();

    let (a, b) = (decode(&paths(&plain).0), decode(&paths(&captioned).0));
    assert!(b.height() > a.height(), "{} → {}", a.height(), b.height());
    // Four short lines (one blank) at 0.8 × 22 px: about 4.9 line heights.
    assert!(
        b.height() - a.height() < 120,
        "{} → {}",
        a.height(),
        b.height()
    );
    // Everything above the caption is unchanged.
    assert!(same_top_rows(&a, &b, a.height()));

    let svg = std::fs::read_to_string(paths(&captioned).1).unwrap();
    let y_cap = svg_text_y(&svg, "width ÷8");
    let y_second = svg_text_y(&svg, "second line");
    assert!(
        y_cap > svg_text_y(&svg, "SGD"),
        "caption not below the legend"
    );
    assert!(y_cap > a.height() as f64 - 1.0 && y_second > y_cap + 10.0);
    assert!(y_second < b.height() as f64);
    // Smaller than the tick labels (titles "a" and "b" are at the tick size).
    assert!(svg_text_size(&svg, "scale cpu") < svg_text_size(&svg, "a"));
    // Centred on the image.
    assert!(svg.contains(&format!("x=\"{}\"", b.width() / 2)));
    let svg_plain = std::fs::read_to_string(paths(&plain).1).unwrap();
    assert!(!svg_plain.contains("standin-mnist"));
}

#[test]
fn long_caption_wraps_to_the_chart_width() {
    let dir = tempfile::tempdir().unwrap();
    let p = RotationPanel::new("x", rotation(2, 10, 0.5), XConvention::PrependZero)
        .to_panel()
        .unwrap();
    let one = dir.path().join("one");
    render_grid(
        &Grid::single(p.clone(), 400, 300).with_caption("short"),
        &one,
    )
    .unwrap();
    let many = dir.path().join("many");
    render_grid(&Grid::single(p, 400, 300).with_caption(CAPTION), &many).unwrap();
    let (h1, h2) = (
        decode(&paths(&one).0).height(),
        decode(&paths(&many).0).height(),
    );
    assert!(h1 > 300 && h2 > h1, "heights {h1} {h2}");
    let svg = std::fs::read_to_string(paths(&many).1).unwrap();
    let lines: Vec<(f64, String)> = svg_text_elements(&svg)
        .into_iter()
        .filter(|(y, _)| *y > 300.0)
        .collect();
    assert!(lines.len() >= 3, "{lines:?}");
    let joined: Vec<&str> = lines.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(joined.join(" "), CAPTION);
    assert!(lines.windows(2).all(|w| w[1].0 > w[0].0));
}

#[test]
fn caption_at_the_bottom_of_figure8() {
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join("fig08");
    let mut data = fig8_data();
    data.caption = Some(format!("**{CAPTION}**"));
    figure8(&data, &stem).unwrap();
    let (png, svg) = paths(&stem);
    let img = decode(&png);
    assert!(
        img.height() > 1000 && img.height() < 1100,
        "{}",
        img.height()
    );
    let plain = dir.path().join("plain");
    figure8(&fig8_data(), &plain).unwrap();
    let base = decode(&paths(&plain).0);
    assert_eq!(base.height(), 1000);
    assert!(same_top_rows(&base, &img, 1000));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(svg_text_y(&text, CAPTION) > 1000.0);
    assert!(svg_text_bold(&text, CAPTION));
    // The caption survives a JSON round trip; JSON without one still parses.
    let json = serde_json::to_string(&Figure::Figure8(data.clone())).unwrap();
    assert!(json.contains("\"caption\":\"**scale cpu"));
    let Figure::Figure8(back) = serde_json::from_str(&json).unwrap() else {
        panic!("variant changed");
    };
    assert_eq!(back.caption, data.caption);
    let json = serde_json::to_string(&Figure::Figure8(fig8_data())).unwrap();
    assert!(!json.contains("caption"));
}

#[test]
fn empty_captions_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join("bad");
    let p = RotationPanel::new("x", rotation(2, 5, 0.5), XConvention::PrependZero)
        .to_panel()
        .unwrap();
    for c in ["", " \n "] {
        let g = Grid::single(p.clone(), 300, 300).with_caption(c);
        assert_data_error(render_grid(&g, &stem), dir.path(), "bad.png", "caption");
        let mut d = fig8_data();
        d.caption = Some(c.into());
        assert_data_error(
            figure8(&d, &stem),
            dir.path(),
            "bad.png",
            "caption is empty",
        );
    }
    // A grid's JSON without a caption has no such key and reads back as None.
    let g = Grid::single(p, 300, 300);
    let json = serde_json::to_string(&g).unwrap();
    assert!(!json.contains("caption"));
    assert_eq!(serde_json::from_str::<Grid>(&json).unwrap().caption, None);
}
