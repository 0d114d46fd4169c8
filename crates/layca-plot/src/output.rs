//! Writing a scene to `<stem>.png` and `<stem>.svg`, atomically.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{PlotError, Result};
use crate::layout::text::ensure_font;

/// Something that can be drawn on any plotters backend at a fixed pixel size.
pub(crate) trait Scene {
    /// Width and height in pixels.
    fn size(&self) -> (u32, u32);
    /// Draws the scene on a white root area of [`Scene::size`].
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

/// `<stem>.png` and `<stem>.svg` (the extension is appended, so stems may contain dots).
pub fn output_paths(out_stem: &Path) -> (PathBuf, PathBuf) {
    let with = |ext: &str| {
        let mut s: OsString = out_stem.as_os_str().to_owned();
        s.push(".");
        s.push(ext);
        PathBuf::from(s)
    };
    (with("png"), with("svg"))
}

/// A temporary sibling of `path` that keeps its extension (the bitmap encoder picks the format
/// from it): `dir/.name.tmp-<pid>-<n>.ext`.
fn tmp_sibling(path: &Path, ext: &str) -> PathBuf {
    let mut name = layca_io::tmp_path(path).into_os_string();
    name.push(format!(".{ext}"));
    PathBuf::from(name)
}

fn finish(tmp: &Path, path: &Path) -> Result<()> {
    layca_io::commit(tmp, path).map_err(|source| PlotError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn render_png<S: Scene>(scene: &S, path: &Path) -> Result<()> {
    let tmp = tmp_sibling(path, "png");
    let result = (|| -> Result<(), String> {
        let root = BitMapBackend::new(&tmp, scene.size()).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        scene.draw(&root)?;
        root.present().map_err(|e| e.to_string())
    })();
    if let Err(reason) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(PlotError::Render {
            path: path.to_path_buf(),
            reason,
        });
    }
    finish(&tmp, path)
}

fn render_svg<S: Scene>(scene: &S, path: &Path) -> Result<()> {
    let mut svg = String::new();
    let result = (|| -> Result<(), String> {
        let root = SVGBackend::with_string(&mut svg, scene.size()).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        scene.draw(&root)?;
        root.present().map_err(|e| e.to_string())
    })();
    result.map_err(|reason| PlotError::Render {
        path: path.to_path_buf(),
        reason,
    })?;
    let tmp = tmp_sibling(path, "svg");
    std::fs::write(&tmp, svg).map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        PlotError::Io {
            path: path.to_path_buf(),
            source,
        }
    })?;
    finish(&tmp, path)
}

/// Renders `scene` to `<stem>.png` and `<stem>.svg`, creating the parent directory if needed.
/// Each file is written to a temporary sibling and renamed into place, so readers never see a
/// half-written figure.
pub(crate) fn write_both<S: Scene>(scene: &S, out_stem: &Path) -> Result<()> {
    ensure_font()?;
    let (png, svg) = output_paths(out_stem);
    if let Some(dir) = png.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| PlotError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    render_png(scene, &png)?;
    render_svg(scene, &svg)
}
