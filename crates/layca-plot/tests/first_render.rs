//! The first figure rendered in a process is laid out like every later one (the embedded font is
//! registered before any text is measured). Its own test binary, so that it is the first render.

use layca_plot::{figure8, render_grid, Axis, Figure8Data, Figure8Run, Grid, Panel, Rgb, Series};

#[test]
fn first_render_of_a_process_is_like_the_second() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Panel::new(
        Axis::new(0.0, 1.0).with_label("Epoch"),
        Axis::new(0.0, 1000.0).with_label("Loss"),
    );
    p.push(Series::new(
        None,
        Rgb::BLUE,
        vec![0.0, 1.0],
        vec![0.0, 900.0],
    ));
    let g = Grid::single(p, 400, 300);
    let img = vec![0.5f32; 16];
    let fig8 = Figure8Data {
        runs: vec![Figure8Run {
            label: "lr = 3^-2".into(),
            rotation_curve: vec![0.0, 0.5],
            features: vec![img.clone()],
            train_acc: 1.0,
            test_acc: 0.5,
        }],
        init_features: vec![img],
        caption: None,
    };
    for name in ["first", "second"] {
        render_grid(&g, &dir.path().join(format!("g-{name}"))).unwrap();
        figure8(&fig8, &dir.path().join(format!("f-{name}"))).unwrap();
    }
    for (a, b) in [("g-first", "g-second"), ("f-first", "f-second")] {
        for ext in ["png", "svg"] {
            let read = |n: &str| std::fs::read(dir.path().join(format!("{n}.{ext}"))).unwrap();
            assert!(read(a) == read(b), "{a}.{ext} differs from {b}.{ext}");
        }
    }
}
