//! Tiny ImageNet from the official `tiny-imagenet-200/` layout
//! (<http://cs231n.stanford.edu/tiny-imagenet-200.zip>): `wnids.txt`,
//! `train/<wnid>/images/*.JPEG`, `val/images/*.JPEG` + `val/val_annotations.txt`.
//! 64×64 RGB (grayscale JPEGs of the set are expanded to 3 channels), 200 classes. The
//! official validation set serves as the test set (spec §2).

use crate::dataset::Dataset;
use crate::error::{format_err, read_file, DataError, Result};
use std::path::{Path, PathBuf};

/// Image side of Tiny ImageNet.
pub const TINY_SIZE: usize = 64;

/// Decodes one JPEG (or any format `image` supports with the enabled features) into CHW RGB
/// bytes, requiring a `size × size` image. `path` only labels errors.
pub fn decode_rgb(bytes: &[u8], path: &Path, size: usize) -> Result<Vec<u8>> {
    let img = image::load_from_memory(bytes)
        .map_err(|e| format_err(path, format!("cannot decode image: {e}")))?;
    let rgb = img.to_rgb8();
    let (w, h) = rgb.dimensions();
    if (w as usize, h as usize) != (size, size) {
        return Err(format_err(
            path,
            format!("image is {w}x{h}, expected {size}x{size}"),
        ));
    }
    Ok(hwc_to_chw(rgb.as_raw(), size, size, 3))
}

/// Reorders interleaved HWC bytes to planar CHW.
pub fn hwc_to_chw(src: &[u8], h: usize, w: usize, c: usize) -> Vec<u8> {
    let mut out = vec![0u8; src.len()];
    for y in 0..h {
        for x in 0..w {
            for ch in 0..c {
                out[ch * h * w + y * w + x] = src[(y * w + x) * c + ch];
            }
        }
    }
    out
}

/// Reads and decodes `files` in parallel (all available cores), in order; the first failure
/// in list order is returned.
fn decode_all(files: &[PathBuf], size: usize) -> Result<Vec<u8>> {
    let per = size * size * 3;
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 16);
    let chunk = files.len().div_ceil(threads).max(1);
    let results: Vec<Result<Vec<u8>>> = std::thread::scope(|s| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || -> Result<Vec<u8>> {
                    let mut out = Vec::with_capacity(part.len() * per);
                    for f in part {
                        out.extend_from_slice(&decode_rgb(&read_file(f)?, f, size)?);
                    }
                    Ok(out)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("decoder thread panicked"))
            .collect()
    });
    let mut pixels = Vec::with_capacity(files.len() * per);
    for r in results {
        pixels.extend_from_slice(&r?);
    }
    Ok(pixels)
}

fn list_images(dir: &Path) -> Result<Vec<PathBuf>> {
    let rd = std::fs::read_dir(dir).map_err(|source| DataError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut files = Vec::new();
    for e in rd {
        let e = e.map_err(|source| DataError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let p = e.path();
        let is_jpeg = p
            .extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| x.eq_ignore_ascii_case("jpeg") || x.eq_ignore_ascii_case("jpg"));
        if is_jpeg {
            files.push(p);
        }
    }
    files.sort();
    Ok(files)
}

/// The class list: the WordNet ids of `wnids.txt`, sorted (class index = position in the
/// sorted list, the `ImageFolder` convention).
pub fn read_wnids(path: &Path) -> Result<Vec<String>> {
    let text = String::from_utf8(read_file(path)?)
        .map_err(|e| format_err(path, format!("not UTF-8 text: {e}")))?;
    let mut ids: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    if ids.is_empty() {
        return Err(format_err(path, "no class id"));
    }
    ids.sort();
    if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
        return Err(format_err(path, format!("duplicate class id `{}`", w[0])));
    }
    Ok(ids)
}

/// Loads Tiny ImageNet from the official layout in `dir` (the `tiny-imagenet-200/` directory
/// itself; [`crate::load_tiny_imagenet`] resolves a parent and checks the required entries).
/// Returns `(train, test)`: train = every `train/<wnid>/images/*.JPEG`, class by class in
/// sorted-wnid order, files sorted by name; test = the official validation images in
/// `val_annotations.txt` order. Any missing file, unknown class id, undecodable JPEG or image
/// that is not 64×64 is an error naming the file (and line for the annotations).
pub(crate) fn load_tiny_tree(dir: &Path) -> Result<(Dataset, Dataset)> {
    let wnids = read_wnids(&dir.join("wnids.txt"))?;
    let classes = wnids.len();

    let mut train_files = Vec::new();
    let mut train_labels = Vec::new();
    for (c, id) in wnids.iter().enumerate() {
        let files = list_images(&dir.join("train").join(id).join("images"))?;
        train_labels.extend(std::iter::repeat_n(c as u32, files.len()));
        train_files.extend(files);
    }

    let ann = dir.join("val").join("val_annotations.txt");
    let text = String::from_utf8(read_file(&ann)?)
        .map_err(|e| format_err(&ann, format!("not UTF-8 text: {e}")))?;
    let mut val_files = Vec::new();
    let mut val_labels = Vec::new();
    for (ln, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let mut f = line.split_whitespace();
        let (Some(name), Some(id)) = (f.next(), f.next()) else {
            return Err(format_err(
                &ann,
                format!("line {}: expected `<file>\\t<wnid>\\t...`", ln + 1),
            ));
        };
        let c = wnids
            .binary_search_by(|w| w.as_str().cmp(id))
            .map_err(|_| {
                format_err(
                    &ann,
                    format!("line {}: class id `{id}` is not in wnids.txt", ln + 1),
                )
            })?;
        if name.contains('/') || name.contains('\\') || name == ".." {
            return Err(format_err(
                &ann,
                format!("line {}: bad file name `{name}`", ln + 1),
            ));
        }
        val_files.push(dir.join("val").join("images").join(name));
        val_labels.push(c as u32);
    }

    let make = |files: &[PathBuf], labels: Vec<u32>| -> Result<Dataset> {
        Ok(Dataset {
            pixels: decode_all(files, TINY_SIZE)?,
            labels,
            channels: 3,
            height: TINY_SIZE,
            width: TINY_SIZE,
            num_classes: classes,
        })
    };
    let train = make(&train_files, train_labels)?;
    let test = make(&val_files, val_labels)?;
    Ok((train, test))
}
