//! Placement of the cells and texts of an [`ImageGrid`].

use super::text::rich_width;
use crate::model::ImageGrid;

/// Layout of an [`ImageGrid`] at a given cell size.
pub(crate) struct ImageLayout {
    pub cell: f64,
    pub gap: f64,
    pub title_w: f64,
    pub label_w: f64,
    pub font: f64,
    pub cols: usize,
}

impl ImageLayout {
    pub fn new(g: &ImageGrid, cell: f64, font: f64) -> Self {
        let title_w = g
            .rows
            .iter()
            .filter_map(|r| r.title.as_deref())
            .map(|t| rich_width(t, font) + 0.8 * font)
            .fold(0.0, f64::max);
        let label_w = g
            .rows
            .iter()
            .flat_map(|r| r.label.iter())
            .map(|t| rich_width(t, font) + 0.6 * font)
            .fold(0.0, f64::max);
        ImageLayout {
            cell,
            gap: 0.14 * cell,
            title_w,
            label_w,
            font,
            cols: g.rows.iter().map(|r| r.images.len()).max().unwrap_or(0),
        }
    }

    pub fn width(&self) -> f64 {
        self.title_w + self.cols as f64 * (self.cell + self.gap) + self.label_w
    }

    pub fn height(&self, rows: usize) -> f64 {
        rows as f64 * self.cell + rows.saturating_sub(1) as f64 * self.gap
    }
}
