//! The [`Figure`] enum: any figure of the crate, as JSON and as rendered files.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::composite::Figure8Data;
use crate::error::Result;
use crate::model::{Grid, ImageGrid};

/// Any figure of the crate, for writing a JSON description beside the rendered files.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Figure {
    /// Panels in a grid (includes single line charts).
    Grid(Grid),
    /// Rows of images.
    Images(ImageGrid),
    /// The composite Figure 8.
    Figure8(Figure8Data),
}

impl Figure {
    /// Renders the figure to `<out_stem>.png` and `<out_stem>.svg`.
    pub fn render(&self, out_stem: &Path) -> Result<()> {
        match self {
            Figure::Grid(g) => crate::render_grid(g, out_stem),
            Figure::Images(g) => crate::render_image_grid(g, out_stem),
            Figure::Figure8(d) => crate::figure8(d, out_stem),
        }
    }
}
