//! CIFAR-10 and CIFAR-100 from their official binary distributions
//! (<https://www.cs.toronto.edu/~kriz/cifar.html>).
//!
//! A record is `label (1 byte) | R (1024) | G (1024) | B (1024)` for CIFAR-10 (3073 bytes) and
//! `coarse label | fine label | R | G | B` for CIFAR-100 (3074 bytes); each 1024-byte plane
//! is a 32×32 image stored row by row. The planes are therefore already in CHW order and are
//! copied as they are (no height/width transposition).
//!
//! The directory loaders ([`crate::load_cifar10`], [`crate::load_cifar100`]) live in
//! [`crate::layout`]; this module only parses (it is also compiled by the fuzz crate).

use crate::dataset::Dataset;
use crate::error::{format_err, Result};
use std::path::Path;

/// Pixels per CIFAR image (3 × 32 × 32).
pub const CIFAR_IMAGE_BYTES: usize = 3 * 32 * 32;
/// Bytes per CIFAR-10 record.
pub const CIFAR10_RECORD: usize = 1 + CIFAR_IMAGE_BYTES;
/// Bytes per CIFAR-100 record.
pub const CIFAR100_RECORD: usize = 2 + CIFAR_IMAGE_BYTES;

/// Which CIFAR-100 label to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cifar100Labels {
    /// The 100 fine classes (used by the paper).
    #[default]
    Fine,
    /// The 20 coarse super-classes.
    Coarse,
}

fn parse_records(
    bytes: &[u8],
    path: &Path,
    record: usize,
    label_bytes: usize,
    label_ranges: &[(&str, usize)],
    keep: usize,
    num_classes: usize,
) -> Result<Dataset> {
    if bytes.is_empty() {
        return Err(format_err(path, "empty file: no CIFAR record"));
    }
    if !bytes.len().is_multiple_of(record) {
        let full = bytes.len() / record;
        return Err(format_err(
            path,
            format!(
                "size {} is not a multiple of the {record}-byte record: truncated or oversized \
                 (partial record {full} starts at offset {})",
                bytes.len(),
                full * record
            ),
        ));
    }
    let n = bytes.len() / record;
    let mut pixels = Vec::with_capacity(n * CIFAR_IMAGE_BYTES);
    let mut labels = Vec::with_capacity(n);
    for (r, rec) in bytes.chunks_exact(record).enumerate() {
        for (k, &(name, max)) in label_ranges.iter().enumerate() {
            if rec[k] as usize >= max {
                return Err(format_err(
                    path,
                    format!(
                        "record {r} (offset {}): {name} label {} out of range 0..{max}",
                        r * record + k,
                        rec[k]
                    ),
                ));
            }
        }
        labels.push(rec[keep] as u32);
        pixels.extend_from_slice(&rec[label_bytes..]);
    }
    Ok(Dataset {
        pixels,
        labels,
        channels: 3,
        height: 32,
        width: 32,
        num_classes,
    })
}

/// Parses one CIFAR-10 binary batch (`data_batch_k.bin`, `test_batch.bin`). `path` only
/// labels errors.
pub fn parse_cifar10(bytes: &[u8], path: &Path) -> Result<Dataset> {
    parse_records(bytes, path, CIFAR10_RECORD, 1, &[("class", 10)], 0, 10)
}

/// Parses one CIFAR-100 binary file (`train.bin`, `test.bin`), keeping the `which` labels.
/// Both labels are range-checked (coarse < 20, fine < 100). `path` only labels errors.
pub fn parse_cifar100(bytes: &[u8], path: &Path, which: Cifar100Labels) -> Result<Dataset> {
    let (keep, classes) = match which {
        Cifar100Labels::Coarse => (0, 20),
        Cifar100Labels::Fine => (1, 100),
    };
    parse_records(
        bytes,
        path,
        CIFAR100_RECORD,
        2,
        &[("coarse", 20), ("fine", 100)],
        keep,
        classes,
    )
}

/// Concatenates data sets of identical geometry (used to join the five CIFAR-10 batches).
pub fn concat(parts: Vec<Dataset>) -> Option<Dataset> {
    let mut it = parts.into_iter();
    let mut first = it.next()?;
    for p in it {
        debug_assert_eq!(
            (p.channels, p.height, p.width, p.num_classes),
            (first.channels, first.height, first.width, first.num_classes)
        );
        first.pixels.extend_from_slice(&p.pixels);
        first.labels.extend_from_slice(&p.labels);
    }
    Some(first)
}
