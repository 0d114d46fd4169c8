//! The Hugging Face hub versions of the data sets: parquet files with an image column
//! (`{bytes: PNG/JPEG, path}`) and an integer label column, read from the standard HF cache
//! (`$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`) at
//! `datasets--<owner>--<name>/snapshots/<revision>/<file>`. With the `hub` cargo feature,
//! missing files are downloaded into that cache (unless `HF_HUB_OFFLINE` is set); without it,
//! or offline, the error says which files to put where.

use crate::dataset::Dataset;
use crate::error::{format_err, DataError, Result};
use crate::tiny::hwc_to_chw;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use std::path::{Path, PathBuf};

/// How to read one hub data set: repository, split file prefixes, columns, geometry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HfSpec {
    /// Dataset repository id, `owner/name`.
    pub repo: &'static str,
    /// Path prefix (inside the repository) of the training split's parquet shards.
    pub train_prefix: &'static str,
    /// Path prefix of the test split's shards (Tiny ImageNet: the official validation set).
    pub test_prefix: &'static str,
    /// Image column: a struct `{bytes, path}` (or plain binary) holding an encoded image.
    pub image_column: &'static str,
    /// Integer label column.
    pub label_column: &'static str,
    /// Channels to decode to (1 = grayscale, 3 = RGB).
    pub channels: usize,
    /// Image side (images must be `size × size`).
    pub size: usize,
    /// Number of classes.
    pub num_classes: usize,
}

/// MNIST (`ylecun/mnist`): `mnist/{train,test}-*.parquet`, columns `image`, `label`.
pub const HF_MNIST: HfSpec = HfSpec {
    repo: "ylecun/mnist",
    train_prefix: "mnist/train-",
    test_prefix: "mnist/test-",
    image_column: "image",
    label_column: "label",
    channels: 1,
    size: 28,
    num_classes: 10,
};

/// CIFAR-10 (`uoft-cs/cifar10`): `plain_text/{train,test}-*.parquet`, columns `img`, `label`.
pub const HF_CIFAR10: HfSpec = HfSpec {
    repo: "uoft-cs/cifar10",
    train_prefix: "plain_text/train-",
    test_prefix: "plain_text/test-",
    image_column: "img",
    label_column: "label",
    channels: 3,
    size: 32,
    num_classes: 10,
};

/// CIFAR-100 (`uoft-cs/cifar100`) with fine labels: `cifar100/{train,test}-*.parquet`,
/// columns `img`, `fine_label`.
pub const HF_CIFAR100: HfSpec = HfSpec {
    repo: "uoft-cs/cifar100",
    train_prefix: "cifar100/train-",
    test_prefix: "cifar100/test-",
    image_column: "img",
    label_column: "fine_label",
    channels: 3,
    size: 32,
    num_classes: 100,
};

/// Tiny ImageNet (`zh-plus/tiny-imagenet`): `data/{train,valid}-*.parquet`, columns `image`,
/// `label`; the `valid` split (the official validation set) is the test set.
pub const HF_TINY_IMAGENET: HfSpec = HfSpec {
    repo: "zh-plus/tiny-imagenet",
    train_prefix: "data/train-",
    test_prefix: "data/valid-",
    image_column: "image",
    label_column: "label",
    channels: 3,
    size: 64,
    num_classes: 200,
};

/// The HF hub cache directory: `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else
/// `$HOME/.cache/huggingface/hub`.
pub fn hf_cache_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("HF_HUB_CACHE").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    if let Some(p) = std::env::var_os("HF_HOME").filter(|p| !p.is_empty()) {
        return PathBuf::from(p).join("hub");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".cache").join("huggingface").join("hub")
}

/// Whether `HF_HUB_OFFLINE` asks for no network access (`1`, `true`, `yes`, `on`).
pub fn hf_offline() -> bool {
    std::env::var("HF_HUB_OFFLINE")
        .map(|v| {
            matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "1" | "true" | "yes" | "on"
            )
        })
        .unwrap_or(false)
}

/// The cache directory of a dataset repository: `<cache>/datasets--<owner>--<name>`.
pub fn hf_repo_dir(cache: &Path, repo: &str) -> PathBuf {
    cache.join(format!("datasets--{}", repo.replace('/', "--")))
}

/// The snapshot directories of a cached repository: the one `refs/main` points to first,
/// then the others in name order.
fn snapshots(repo_dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let main = std::fs::read_to_string(repo_dir.join("refs").join("main"))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && !s.contains('/') && !s.contains(".."));
    if let Some(rev) = &main {
        out.push(repo_dir.join("snapshots").join(rev));
    }
    if let Ok(rd) = std::fs::read_dir(repo_dir.join("snapshots")) {
        let mut others: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir() && !out.contains(p))
            .collect();
        others.sort();
        out.extend(others);
    }
    out
}

/// The cached parquet shards whose repository path starts with `prefix` (sorted), from the
/// first snapshot that has any.
pub fn cached_shards(cache: &Path, repo: &str, prefix: &str) -> Vec<PathBuf> {
    let (dir_part, file_prefix) = match prefix.rfind('/') {
        Some(i) => (&prefix[..i], &prefix[i + 1..]),
        None => ("", prefix),
    };
    for snap in snapshots(&hf_repo_dir(cache, repo)) {
        let dir = snap.join(dir_part);
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(file_prefix) && n.ends_with(".parquet"))
            })
            .collect();
        if !files.is_empty() {
            files.sort();
            return files;
        }
    }
    Vec::new()
}

fn missing_message(cache: &Path, spec: &HfSpec, prefix: &str, why: &str) -> DataError {
    let dir = hf_repo_dir(cache, spec.repo);
    DataError::Io {
        path: dir.join("snapshots").join("<revision>").join(format!("{prefix}*.parquet")),
        source: std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!(
                "no cached parquet shard of https://huggingface.co/datasets/{repo} ({why}). Put the \
                 file(s) `{prefix}*.parquet` of that repository under `{snap}/<revision>/` (any \
                 revision name; `{refs}` may name it), e.g. with `huggingface-cli download \
                 --repo-type dataset {repo}` on a machine with network, or build with the `hub` \
                 feature and unset HF_HUB_OFFLINE to download",
                repo = spec.repo,
                snap = dir.join("snapshots").display(),
                refs = dir.join("refs").join("main").display(),
            ),
        ),
    }
}

#[cfg(feature = "hub")]
fn download_shards(cache: &Path, spec: &HfSpec, prefix: &str) -> Result<()> {
    let cache = cache.to_path_buf();
    let api = hf_hub::api::sync::ApiBuilder::new()
        .with_cache_dir(cache.clone())
        .with_progress(false)
        .build()
        .map_err(|e| missing_message(&cache, spec, prefix, &format!("hub client: {e}")))?;
    let repo = api.dataset(spec.repo.to_string());
    let info = repo
        .info()
        .map_err(|e| missing_message(&cache, spec, prefix, &format!("listing failed: {e}")))?;
    let mut names: Vec<String> = info
        .siblings
        .into_iter()
        .map(|s| s.rfilename)
        .filter(|n| n.starts_with(prefix) && n.ends_with(".parquet"))
        .collect();
    names.sort();
    if names.is_empty() {
        return Err(missing_message(
            &cache,
            spec,
            prefix,
            "not in the repository listing",
        ));
    }
    for n in names {
        repo.get(&n)
            .map_err(|e| missing_message(&cache, spec, prefix, &format!("download of {n}: {e}")))?;
    }
    Ok(())
}

/// The parquet shards of one split in the HF cache `cache`; if none is cached, downloaded
/// there (feature `hub`, unless `HF_HUB_OFFLINE`), else an error saying which files to put
/// where.
pub fn hf_shards(cache: &Path, spec: &HfSpec, prefix: &str) -> Result<Vec<PathBuf>> {
    let found = cached_shards(cache, spec.repo, prefix);
    if !found.is_empty() {
        return Ok(found);
    }
    if hf_offline() {
        return Err(missing_message(
            cache,
            spec,
            prefix,
            "HF_HUB_OFFLINE is set",
        ));
    }
    #[cfg(feature = "hub")]
    {
        download_shards(cache, spec, prefix)?;
        let found = cached_shards(cache, spec.repo, prefix);
        if !found.is_empty() {
            return Ok(found);
        }
        Err(missing_message(
            cache,
            spec,
            prefix,
            "not found after download",
        ))
    }
    #[cfg(not(feature = "hub"))]
    Err(missing_message(
        cache,
        spec,
        prefix,
        "built without the `hub` feature, no download",
    ))
}

/// Loads `(train, test)` of a hub data set (see [`HF_MNIST`], [`HF_CIFAR10`],
/// [`HF_CIFAR100`], [`HF_TINY_IMAGENET`]) from the standard HF cache ([`hf_cache_dir`]),
/// downloading it there if the `hub` feature is on and `HF_HUB_OFFLINE` is not set.
pub fn load_hf(spec: &HfSpec) -> Result<(Dataset, Dataset)> {
    load_hf_in(&hf_cache_dir(), spec)
}

/// [`load_hf`] with an explicit HF cache directory (the `hub/` directory, holding
/// `datasets--<owner>--<name>/`).
pub fn load_hf_in(cache: &Path, spec: &HfSpec) -> Result<(Dataset, Dataset)> {
    let load = |prefix: &str| -> Result<Dataset> {
        let mut parts = Vec::new();
        for f in hf_shards(cache, spec, prefix)? {
            parts.push(load_hf_parquet(&f, spec)?);
        }
        crate::cifar::concat(parts).ok_or_else(|| format_err(prefix, "no shard"))
    };
    Ok((load(spec.train_prefix)?, load(spec.test_prefix)?))
}

fn field_label(f: &Field) -> Option<i64> {
    Some(match *f {
        Field::Byte(v) => v as i64,
        Field::Short(v) => v as i64,
        Field::Int(v) => v as i64,
        Field::Long(v) => v,
        Field::UByte(v) => v as i64,
        Field::UShort(v) => v as i64,
        Field::UInt(v) => v as i64,
        Field::ULong(v) => i64::try_from(v).ok()?,
        _ => return None,
    })
}

fn field_bytes(f: &Field) -> Option<&[u8]> {
    match f {
        Field::Bytes(b) => Some(b.data()),
        Field::Group(g) => g.get_column_iter().find_map(|(name, v)| match v {
            Field::Bytes(b) if name == "bytes" => Some(b.data()),
            _ => None,
        }),
        _ => None,
    }
}

/// Decodes an encoded image (PNG or JPEG) to CHW bytes with `channels` channels (1 = luma,
/// 3 = RGB), requiring `size × size`.
fn decode(bytes: &[u8], channels: usize, size: usize) -> std::result::Result<Vec<u8>, String> {
    let img = image::load_from_memory(bytes).map_err(|e| format!("cannot decode image: {e}"))?;
    let (w, h) = (img.width() as usize, img.height() as usize);
    if (w, h) != (size, size) {
        return Err(format!("image is {w}x{h}, expected {size}x{size}"));
    }
    Ok(match channels {
        1 => img.to_luma8().into_raw(),
        3 => hwc_to_chw(img.to_rgb8().as_raw(), size, size, 3),
        c => return Err(format!("unsupported channel count {c}")),
    })
}

/// Reads one parquet file laid out as `spec` says (image column, label column), in row order.
/// Every row must have both columns, a decodable `size × size` image and a label in
/// `0..num_classes`; errors name the file and the row.
pub fn load_hf_parquet(path: &Path, spec: &HfSpec) -> Result<Dataset> {
    let file = std::fs::File::open(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    // The parquet crate is not hardened against every malformed file: turn a panic into an
    // error naming the file rather than aborting the caller.
    let res =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_rows(file, path, spec)));
    match res {
        Ok(r) => r,
        Err(_) => Err(format_err(path, "malformed parquet file (reader panicked)")),
    }
}

fn read_rows(file: std::fs::File, path: &Path, spec: &HfSpec) -> Result<Dataset> {
    let perr = |e: parquet::errors::ParquetError| format_err(path, format!("parquet: {e}"));
    let reader = SerializedFileReader::new(file).map_err(perr)?;
    let rows = reader.metadata().file_metadata().num_rows().max(0) as usize;
    let per = spec.channels * spec.size * spec.size;
    let mut pixels = Vec::with_capacity(rows.min(1 << 20) * per);
    let mut labels = Vec::with_capacity(rows.min(1 << 20));
    for (r, row) in reader.get_row_iter(None).map_err(perr)?.enumerate() {
        let row = row.map_err(|e| format_err(path, format!("row {r}: parquet: {e}")))?;
        let mut img = None;
        let mut label = None;
        for (name, v) in row.get_column_iter() {
            if name == spec.image_column {
                img = Some(field_bytes(v).ok_or_else(|| {
                    format_err(
                        path,
                        format!("row {r}: column `{name}` holds no image bytes"),
                    )
                })?);
            } else if name == spec.label_column {
                label = Some(field_label(v).ok_or_else(|| {
                    format_err(path, format!("row {r}: column `{name}` is not an integer"))
                })?);
            }
        }
        let img = img.ok_or_else(|| {
            format_err(path, format!("row {r}: no column `{}`", spec.image_column))
        })?;
        let label = label.ok_or_else(|| {
            format_err(path, format!("row {r}: no column `{}`", spec.label_column))
        })?;
        if label < 0 || label as usize >= spec.num_classes {
            return Err(format_err(
                path,
                format!(
                    "row {r}: label {label} out of range 0..{}",
                    spec.num_classes
                ),
            ));
        }
        let px = decode(img, spec.channels, spec.size)
            .map_err(|e| format_err(path, format!("row {r}: {e}")))?;
        pixels.extend_from_slice(&px);
        labels.push(label as u32);
    }
    Ok(Dataset {
        pixels,
        labels,
        channels: spec.channels,
        height: spec.size,
        width: spec.size,
        num_classes: spec.num_classes,
    })
}
