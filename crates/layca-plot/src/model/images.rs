//! Rows of small images (Figure 8b layout).

use serde::{Deserialize, Serialize};

use crate::color::Rgb;
use crate::error::{PlotError, Result};

/// Colour map of an [`ImageGrid`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ColorMap {
    /// matplotlib's default `imshow` colour map.
    Viridis,
    /// Black (minimum) to white (maximum).
    Gray,
}

/// A small image: `height × width` values, row-major.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Image {
    /// Number of pixel rows.
    pub height: usize,
    /// Number of pixel columns.
    pub width: usize,
    /// Row-major values; each image is scaled from its own min to its own max (matplotlib
    /// `imshow` auto scaling); non-finite values are drawn white.
    pub data: Vec<f32>,
}

impl Image {
    /// A square image from `side²` values; errors if the length is not a non-zero perfect square.
    pub fn square(data: Vec<f32>) -> Result<Self> {
        let side = (data.len() as f64).sqrt().round() as usize;
        if side == 0 || side * side != data.len() {
            return Err(PlotError::Data(format!(
                "image of {} values is not a non-empty square",
                data.len()
            )));
        }
        Ok(Image {
            height: side,
            width: side,
            data,
        })
    }

    pub(crate) fn validate(&self, what: &str) -> Result<()> {
        if self.height == 0 || self.width == 0 {
            return Err(PlotError::Data(format!("{what}: image has zero size")));
        }
        if self.data.len() != self.height * self.width {
            return Err(PlotError::Data(format!(
                "{what}: image of {}x{} has {} values",
                self.height,
                self.width,
                self.data.len()
            )));
        }
        Ok(())
    }
}

/// A row of an [`ImageGrid`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImageRow {
    /// Title at the left of the row (rich text), e.g. `"lr = 3^-2"`.
    pub title: Option<String>,
    /// Colour of the title (black if `None`).
    pub title_color: Option<Rgb>,
    /// Text lines at the right of the row, e.g. `["Train: 100.0 %", "Test: 96.75 %"]`.
    pub label: Vec<String>,
    /// Images, left to right.
    pub images: Vec<Image>,
}

/// Rows of small images with a title at the left and text at the right of each row
/// (Figure 8b layout).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImageGrid {
    /// Rows, top to bottom.
    pub rows: Vec<ImageRow>,
    /// Colour map.
    pub colormap: ColorMap,
    /// Side in pixels of the square cell holding one image.
    pub cell_px: u32,
    /// Base font size in pixels.
    pub font_px: f64,
}

impl ImageGrid {
    /// A viridis grid with 180 px cells and a 24 px font.
    pub fn new(rows: Vec<ImageRow>) -> Self {
        ImageGrid {
            rows,
            colormap: ColorMap::Viridis,
            cell_px: 180,
            font_px: 24.0,
        }
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if self.rows.is_empty() {
            return Err(PlotError::Data("image grid has no rows".into()));
        }
        for (r, row) in self.rows.iter().enumerate() {
            if row.images.is_empty() {
                return Err(PlotError::Data(format!("image row {r} has no images")));
            }
            for (i, im) in row.images.iter().enumerate() {
                im.validate(&format!("image row {r}, image {i}"))?;
            }
        }
        if !(8..=4000).contains(&self.cell_px) {
            return Err(PlotError::Data(format!(
                "image cell size {} px outside 8..4000",
                self.cell_px
            )));
        }
        if !(self.font_px.is_finite() && self.font_px >= 4.0 && self.font_px <= 200.0) {
            return Err(PlotError::Data(format!(
                "font size {} px outside 4..200",
                self.font_px
            )));
        }
        Ok(())
    }
}
