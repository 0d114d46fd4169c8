//! MNIST in the IDX format (raw or gzip): the embedded 10,000-digit subset and the four
//! official files in a directory (loaded by [`crate::load_mnist_dir`], in [`crate::layout`]).

use crate::dataset::Dataset;
use crate::error::{config_err, format_err, read_file, Result};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::io::Read;
use std::path::Path;

/// Magic number of an IDX file of unsigned bytes with 3 dimensions (images).
pub const IDX_IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX file of unsigned bytes with 1 dimension (labels).
pub const IDX_LABELS_MAGIC: u32 = 0x0000_0801;

/// Upper bound on the decompressed size of one gzip IDX file (the MNIST training images are
/// 47 MB).
const MAX_DECOMPRESSED: u64 = 1 << 30;

/// IDX images: `count` images of `rows × cols` bytes, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxImages {
    /// Number of images.
    pub count: usize,
    /// Rows per image.
    pub rows: usize,
    /// Columns per image.
    pub cols: usize,
    /// `count · rows · cols` bytes.
    pub pixels: Vec<u8>,
}

/// Whether `bytes` starts with the gzip magic number (`1f 8b`).
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.len() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
}

/// Returns `bytes` decompressed if it is gzip ([`is_gzip`]), else as is. At most `limit`
/// bytes are decompressed (the caller detects an oversized stream by getting `limit` bytes
/// back when it expects fewer); decompression errors are format errors naming `path`.
pub fn maybe_gunzip<'a>(
    bytes: &'a [u8],
    path: &Path,
    limit: u64,
) -> Result<std::borrow::Cow<'a, [u8]>> {
    if !is_gzip(bytes) {
        return Ok(std::borrow::Cow::Borrowed(bytes));
    }
    let mut out = Vec::new();
    let mut dec = flate2::read::MultiGzDecoder::new(bytes).take(limit);
    dec.read_to_end(&mut out)
        .map_err(|e| format_err(path, format!("gzip decompression failed: {e}")))?;
    Ok(std::borrow::Cow::Owned(out))
}

/// Decompresses (if gzip) an IDX file whose header (`header_len` bytes) announces its size
/// through `total(header)`; reads at most one byte more than announced, so oversized files
/// are detected without decompressing them entirely.
fn idx_bytes<'a>(
    bytes: &'a [u8],
    path: &Path,
    header_len: usize,
    total: impl Fn(&[u8]) -> Option<usize>,
) -> Result<std::borrow::Cow<'a, [u8]>> {
    if !is_gzip(bytes) {
        return Ok(std::borrow::Cow::Borrowed(bytes));
    }
    let head = maybe_gunzip(bytes, path, header_len as u64)?;
    if head.len() < header_len {
        return Ok(head);
    }
    let limit = match total(&head) {
        Some(t) if (t as u64) <= MAX_DECOMPRESSED => t as u64 + 1,
        Some(t) => {
            return Err(format_err(
                path,
                format!("IDX header announces {t} bytes, over the {MAX_DECOMPRESSED}-byte limit"),
            ))
        }
        None => return Err(format_err(path, "IDX dimensions overflow")),
    };
    maybe_gunzip(bytes, path, limit)
}

fn be_u32(b: &[u8], off: usize) -> u32 {
    u32::from_be_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

fn check_magic(b: &[u8], expected: u32, header_len: usize, path: &Path) -> Result<()> {
    if b.len() >= 4 {
        let magic = be_u32(b, 0);
        if magic != expected {
            return Err(format_err(
                path,
                format!(
                    "wrong IDX magic number {magic:#010x} at offset 0, expected {expected:#010x}"
                ),
            ));
        }
    }
    if b.len() < header_len {
        return Err(format_err(
            path,
            format!(
                "truncated IDX header: {} bytes, expected at least {header_len}",
                b.len()
            ),
        ));
    }
    Ok(())
}

fn check_size(actual: usize, header: usize, payload: Option<usize>, path: &Path) -> Result<()> {
    let Some(expected) = payload.and_then(|p| p.checked_add(header)) else {
        return Err(format_err(path, "IDX dimensions overflow"));
    };
    if actual < expected {
        return Err(format_err(
            path,
            format!("truncated IDX file: {actual} bytes, header announces {expected} (data ends at offset {actual})"),
        ));
    }
    if actual > expected {
        return Err(format_err(
            path,
            format!("oversized IDX file: {actual} bytes, header announces {expected} (extra data from offset {expected})"),
        ));
    }
    Ok(())
}

/// Parses an IDX image file (magic 2051), raw or gzip-compressed. `path` only labels errors.
pub fn parse_idx_images(bytes: &[u8], path: &Path) -> Result<IdxImages> {
    let b = idx_bytes(bytes, path, 16, |h| {
        let n = [4, 8, 12].map(|o| be_u32(h, o) as usize);
        n[0].checked_mul(n[1])?.checked_mul(n[2])?.checked_add(16)
    })?;
    check_magic(&b, IDX_IMAGES_MAGIC, 16, path)?;
    let count = be_u32(&b, 4) as usize;
    let rows = be_u32(&b, 8) as usize;
    let cols = be_u32(&b, 12) as usize;
    if rows == 0 || cols == 0 {
        return Err(format_err(
            path,
            format!("degenerate IDX image size {rows}x{cols} (offset 8)"),
        ));
    }
    let payload = count.checked_mul(rows).and_then(|x| x.checked_mul(cols));
    check_size(b.len(), 16, payload, path)?;
    Ok(IdxImages {
        count,
        rows,
        cols,
        pixels: b[16..].to_vec(),
    })
}

/// Parses an IDX label file (magic 2049), raw or gzip-compressed; every label must be
/// `< num_classes` (else an error with its offset). `path` only labels errors.
pub fn parse_idx_labels(bytes: &[u8], path: &Path, num_classes: usize) -> Result<Vec<u32>> {
    let b = idx_bytes(bytes, path, 8, |h| (be_u32(h, 4) as usize).checked_add(8))?;
    check_magic(&b, IDX_LABELS_MAGIC, 8, path)?;
    let count = be_u32(&b, 4) as usize;
    check_size(b.len(), 8, Some(count), path)?;
    let labels = &b[8..];
    if let Some(i) = labels.iter().position(|&l| l as usize >= num_classes) {
        return Err(format_err(
            path,
            format!(
                "label {} of item {i} (offset {}) is out of range 0..{num_classes}",
                labels[i],
                8 + i
            ),
        ));
    }
    Ok(labels.iter().map(|&l| l as u32).collect())
}

/// Combines parsed IDX images and labels into a [`Dataset`] (1 channel), checking counts.
pub fn idx_dataset(
    images: IdxImages,
    labels: Vec<u32>,
    labels_path: &Path,
    num_classes: usize,
) -> Result<Dataset> {
    if images.count != labels.len() {
        return Err(format_err(
            labels_path,
            format!(
                "{} labels but the image file holds {} images",
                labels.len(),
                images.count
            ),
        ));
    }
    Ok(Dataset {
        pixels: images.pixels,
        labels,
        channels: 1,
        height: images.rows,
        width: images.cols,
        num_classes,
    })
}

/// Loads an IDX image file and an IDX label file (each raw or gzip) into a [`Dataset`].
pub fn load_idx_pair(images: &Path, labels: &Path, num_classes: usize) -> Result<Dataset> {
    let imgs = parse_idx_images(&read_file(images)?, images)?;
    let labs = parse_idx_labels(&read_file(labels)?, labels, num_classes)?;
    idx_dataset(imgs, labs, labels, num_classes)
}

static EMBEDDED_IMAGES: &[u8] = include_bytes!("../../../assets/mnist-10k/images-idx3-ubyte.gz");
static EMBEDDED_LABELS: &[u8] = include_bytes!("../../../assets/mnist-10k/labels-idx1-ubyte.gz");

/// The embedded 10,000-digit MNIST subset (`assets/mnist-10k`, see its PROVENANCE.md):
/// 28×28 grayscale, 1 channel, labels 0–9, no network or setup needed.
pub fn embedded_mnist() -> Result<Dataset> {
    let ip = Path::new("embedded:assets/mnist-10k/images-idx3-ubyte.gz");
    let lp = Path::new("embedded:assets/mnist-10k/labels-idx1-ubyte.gz");
    let imgs = parse_idx_images(EMBEDDED_IMAGES, ip)?;
    let labs = parse_idx_labels(EMBEDDED_LABELS, lp, 10)?;
    idx_dataset(imgs, labs, lp, 10)
}

/// Seeded, class-balanced, disjoint split of the embedded subset: `per_class` train images per
/// class, the rest test. Returns (train, test).
///
/// Stands in for the paper's "1,000 per class" MNIST subset (spec §2, §3.7); the default is
/// `per_class = 500`. Within each class, a seeded shuffle picks the training images; both
/// sets keep the embedded file's order (which is already shuffled). `per_class` larger than
/// the smallest class (863 images of digit 5) is a [`crate::DataError::Config`].
pub fn embedded_mnist_split(per_class: usize, seed: u64) -> Result<(Dataset, Dataset)> {
    balanced_split(&embedded_mnist()?, per_class, seed)
}

/// Class-balanced split of any data set: `per_class` images of each class (chosen by a
/// seeded shuffle within the class) go to the first set, the rest to the second; both keep
/// the original order.
pub fn balanced_split(ds: &Dataset, per_class: usize, seed: u64) -> Result<(Dataset, Dataset)> {
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); ds.num_classes];
    for (i, &l) in ds.labels.iter().enumerate() {
        by_class[l as usize].push(i);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut in_train = vec![false; ds.len()];
    for (c, idx) in by_class.iter_mut().enumerate() {
        if idx.len() < per_class {
            return Err(config_err(
                "per_class",
                format!(
                    "{per_class} images per class requested but class {c} has only {}",
                    idx.len()
                ),
            ));
        }
        idx.shuffle(&mut rng);
        for &i in &idx[..per_class] {
            in_train[i] = true;
        }
    }
    let (train, test): (Vec<usize>, Vec<usize>) = (0..ds.len()).partition(|&i| in_train[i]);
    Ok((ds.subset(&train)?, ds.subset(&test)?))
}
