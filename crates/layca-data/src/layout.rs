//! The publishers' directory layouts: which files each data set needs, where to obtain them,
//! how a `--data-dir` root is resolved (the data set directory itself, or a parent holding the
//! standard directory names), and the directory loaders built on the format parsers.
//!
//! A root may be the data set directory (`.../cifar-10-batches-bin`) or contain the standard
//! names side by side, so that one `--data-dir` serves every task:
//!
//! ```text
//! root/
//!   mnist/                   train-images-idx3-ubyte[.gz] ... t10k-labels-idx1-ubyte[.gz]
//!   cifar-10-batches-bin/    data_batch_1.bin ... data_batch_5.bin, test_batch.bin
//!   cifar-100-binary/        train.bin, test.bin
//!   tiny-imagenet-200/       wnids.txt, train/<wnid>/images/*.JPEG, val/...
//! ```
//!
//! Every missing file is reported at once ([`DataError::Missing`]) with the expected layout
//! and the official download address ([`expected_layout`]).

use crate::cifar::{concat, parse_cifar10, parse_cifar100, Cifar100Labels};
use crate::dataset::Dataset;
use crate::error::{format_err, read_file, DataError, Result};
use crate::idx::load_idx_pair;
use std::path::{Path, PathBuf};

/// A data set in its publisher's on-disk format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// MNIST, the four IDX files (raw or gzip).
    Mnist,
    /// CIFAR-10, binary version.
    Cifar10,
    /// CIFAR-100, binary version.
    Cifar100,
    /// Tiny ImageNet, the official `tiny-imagenet-200` tree.
    TinyImagenet,
}

impl Format {
    /// All formats.
    pub const ALL: [Format; 4] = [
        Format::Mnist,
        Format::Cifar10,
        Format::Cifar100,
        Format::TinyImagenet,
    ];

    /// The standard directory name (as unpacked from the official archive; `mnist` for the
    /// four loose MNIST files).
    pub fn dir_name(self) -> &'static str {
        match self {
            Format::Mnist => "mnist",
            Format::Cifar10 => "cifar-10-batches-bin",
            Format::Cifar100 => "cifar-100-binary",
            Format::TinyImagenet => "tiny-imagenet-200",
        }
    }

    /// Where to obtain the files.
    pub fn url(self) -> &'static str {
        match self {
            Format::Mnist => "http://yann.lecun.com/exdb/mnist/ (the four *-ubyte.gz files)",
            Format::Cifar10 => {
                "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz (CIFAR-10 binary version)"
            }
            Format::Cifar100 => {
                "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz (CIFAR-100 binary version)"
            }
            Format::TinyImagenet => "http://cs231n.stanford.edu/tiny-imagenet-200.zip",
        }
    }

    /// Image shape `[C, H, W]` of the data set.
    pub fn image_shape(self) -> [usize; 3] {
        match self {
            Format::Mnist => [1, 28, 28],
            Format::Cifar10 | Format::Cifar100 => [3, 32, 32],
            Format::TinyImagenet => [3, 64, 64],
        }
    }

    /// The required entries of the data set directory; each entry lists its accepted names
    /// (the first is the official one).
    fn required(self) -> &'static [&'static [&'static str]] {
        match self {
            Format::Mnist => &MNIST_FILES,
            Format::Cifar10 => &[
                &["data_batch_1.bin"],
                &["data_batch_2.bin"],
                &["data_batch_3.bin"],
                &["data_batch_4.bin"],
                &["data_batch_5.bin"],
                &["test_batch.bin"],
            ],
            Format::Cifar100 => &[&["train.bin"], &["test.bin"]],
            Format::TinyImagenet => &[
                &["wnids.txt"],
                &["train"],
                &["val/val_annotations.txt"],
                &["val/images"],
            ],
        }
    }
}

/// Accepted file names for each of the four official MNIST files, in lookup order.
const MNIST_FILES: [&[&str]; 4] = [
    &[
        "train-images-idx3-ubyte",
        "train-images-idx3-ubyte.gz",
        "train-images.idx3-ubyte",
        "train-images.idx3-ubyte.gz",
    ],
    &[
        "train-labels-idx1-ubyte",
        "train-labels-idx1-ubyte.gz",
        "train-labels.idx1-ubyte",
        "train-labels.idx1-ubyte.gz",
    ],
    &[
        "t10k-images-idx3-ubyte",
        "t10k-images-idx3-ubyte.gz",
        "t10k-images.idx3-ubyte",
        "t10k-images.idx3-ubyte.gz",
    ],
    &[
        "t10k-labels-idx1-ubyte",
        "t10k-labels-idx1-ubyte.gz",
        "t10k-labels.idx1-ubyte",
        "t10k-labels.idx1-ubyte.gz",
    ],
];

/// What a data set directory must hold and where to obtain it, as a few lines of text (the
/// tail of every "missing data" error).
pub fn expected_layout(format: Format) -> String {
    let files: Vec<String> = format
        .required()
        .iter()
        .map(|names| match names {
            [one] => one.to_string(),
            [first, rest @ ..] => format!("{first} (or {})", rest.join(", ")),
            [] => String::new(),
        })
        .collect();
    format!(
        "expected a directory `{dir}/` (passed itself, or inside the --data-dir root) holding: \
         {files}; obtain it from {url}",
        dir = format.dir_name(),
        files = files.join(", "),
        url = format.url()
    )
}

fn present(dir: &Path, names: &[&str]) -> Option<PathBuf> {
    names.iter().map(|n| dir.join(n)).find(|p| p.exists())
}

/// Whether `dir` holds at least one of the format's required entries.
fn holds_any(dir: &Path, format: Format) -> bool {
    format
        .required()
        .iter()
        .any(|names| present(dir, names).is_some())
}

/// The data set directory for `root`: `root` itself if it holds any of the format's files,
/// else `root/<standard name>` if that is a directory, else `root` (whose missing files the
/// loaders then report).
pub fn resolve(root: &Path, format: Format) -> PathBuf {
    let sub = root.join(format.dir_name());
    if !holds_any(root, format) && sub.is_dir() {
        sub
    } else {
        root.to_path_buf()
    }
}

/// The paths of the format's required entries in `dir` (one per entry, in
/// [`expected_layout`] order), or a [`DataError::Missing`] listing every absent one.
pub fn required_paths(dir: &Path, format: Format) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for names in format.required() {
        match present(dir, names) {
            Some(p) => found.push(p),
            None => missing.push(names[0].to_string()),
        }
    }
    if missing.is_empty() {
        Ok(found)
    } else {
        Err(DataError::Missing {
            dir: dir.to_path_buf(),
            missing,
            expected: expected_layout(format),
        })
    }
}

/// A data set loaded from a directory, with the files it came from (for messages).
#[derive(Debug, Clone)]
pub struct DirData {
    /// The official training set, in file order.
    pub train: Dataset,
    /// The official test set (Tiny ImageNet: the official validation set).
    pub test: Dataset,
    /// The resolved data set directory.
    pub dir: PathBuf,
    /// The file (or, for several files, a pattern such as `data_batch_[1-5].bin`) holding the
    /// training images.
    pub train_images: PathBuf,
    /// The file holding the training labels (the images file for CIFAR; `val_annotations.txt`
    /// is for the test set, so Tiny ImageNet names the `train/` tree).
    pub train_labels: PathBuf,
}

/// Loads `format` from `root` (resolved by [`resolve`]), checking that every required file
/// is present (else [`DataError::Missing`]), that the images have the data set's geometry
/// and that the training pixels are not all equal (each else an error naming the file).
pub fn load_dir(root: &Path, format: Format) -> Result<DirData> {
    let dir = resolve(root, format);
    let paths = required_paths(&dir, format)?;
    let data = match format {
        Format::Mnist => load_mnist_files(&dir, &paths)?,
        Format::Cifar10 => load_cifar10_files(&dir, &paths)?,
        Format::Cifar100 => load_cifar100_files(&dir, &paths, Cifar100Labels::Fine)?,
        Format::TinyImagenet => {
            let (train, test) = crate::tiny::load_tiny_tree(&dir)?;
            DirData {
                train,
                test,
                train_images: dir.join("train"),
                train_labels: dir.join("train"),
                dir,
            }
        }
    };
    check_not_constant(&data.train, &data.train_images)?;
    Ok(data)
}

/// An error naming `origin` if every pixel of `train` has the same value (std 0: the scalar
/// normalisation of spec §2 is undefined).
pub fn check_not_constant(train: &Dataset, origin: &Path) -> Result<()> {
    match train.pixels.split_first() {
        Some((&first, rest)) if rest.iter().all(|&p| p == first) => Err(format_err(
            origin,
            format!(
                "all {} training pixels equal {first} (standard deviation 0): the data set \
                 cannot be normalised",
                train.pixels.len()
            ),
        )),
        _ => Ok(()),
    }
}

/// An error naming `path` unless `ds` has the `[C, H, W]` geometry `shape`.
pub fn check_shape(ds: &Dataset, shape: [usize; 3], path: &Path) -> Result<()> {
    let found = [ds.channels, ds.height, ds.width];
    if found == shape {
        return Ok(());
    }
    let fmt = |s: [usize; 3]| format!("{}x{}x{} (CxHxW)", s[0], s[1], s[2]);
    Err(format_err(
        path,
        format!("images are {}, expected {}", fmt(found), fmt(shape)),
    ))
}

fn load_mnist_files(dir: &Path, p: &[PathBuf]) -> Result<DirData> {
    let train = load_idx_pair(&p[0], &p[1], 10)?;
    check_shape(&train, Format::Mnist.image_shape(), &p[0])?;
    let test = load_idx_pair(&p[2], &p[3], 10)?;
    check_shape(&test, Format::Mnist.image_shape(), &p[2])?;
    Ok(DirData {
        train,
        test,
        dir: dir.to_path_buf(),
        train_images: p[0].clone(),
        train_labels: p[1].clone(),
    })
}

fn load_cifar10_files(dir: &Path, p: &[PathBuf]) -> Result<DirData> {
    let parts = p[..5]
        .iter()
        .map(|f| parse_cifar10(&read_file(f)?, f))
        .collect::<Result<Vec<_>>>()?;
    let train = concat(parts).ok_or_else(|| format_err(dir, "no training batch"))?;
    let test = parse_cifar10(&read_file(&p[5])?, &p[5])?;
    let batches = dir.join("data_batch_[1-5].bin");
    Ok(DirData {
        train,
        test,
        dir: dir.to_path_buf(),
        train_images: batches.clone(),
        train_labels: batches,
    })
}

fn load_cifar100_files(dir: &Path, p: &[PathBuf], which: Cifar100Labels) -> Result<DirData> {
    let train = parse_cifar100(&read_file(&p[0])?, &p[0], which)?;
    let test = parse_cifar100(&read_file(&p[1])?, &p[1], which)?;
    Ok(DirData {
        train,
        test,
        dir: dir.to_path_buf(),
        train_images: p[0].clone(),
        train_labels: p[0].clone(),
    })
}

/// Loads CIFAR-10 from the official binary distribution: `dir` holds `data_batch_1.bin` …
/// `data_batch_5.bin` and `test_batch.bin` (or contains `cifar-10-batches-bin/`).
/// Returns `(train (50,000 in file order), test (10,000))`.
pub fn load_cifar10(dir: impl AsRef<Path>) -> Result<(Dataset, Dataset)> {
    let d = load_dir(dir.as_ref(), Format::Cifar10)?;
    Ok((d.train, d.test))
}

/// Loads CIFAR-100 with the fine labels (100 classes, as in the paper) from the official
/// binary distribution: `dir` holds `train.bin` and `test.bin` (or contains
/// `cifar-100-binary/`). Returns `(train, test)`.
pub fn load_cifar100(dir: impl AsRef<Path>) -> Result<(Dataset, Dataset)> {
    load_cifar100_labels(dir, Cifar100Labels::Fine)
}

/// [`load_cifar100`] with a choice of labels.
pub fn load_cifar100_labels(
    dir: impl AsRef<Path>,
    which: Cifar100Labels,
) -> Result<(Dataset, Dataset)> {
    let dir = resolve(dir.as_ref(), Format::Cifar100);
    let paths = required_paths(&dir, Format::Cifar100)?;
    let d = load_cifar100_files(&dir, &paths, which)?;
    check_not_constant(&d.train, &d.train_images)?;
    Ok((d.train, d.test))
}

/// Loads MNIST from a directory holding the four official IDX files, raw or `.gz`
/// (`train-images-idx3-ubyte[.gz]`, `train-labels-idx1-ubyte[.gz]`,
/// `t10k-images-idx3-ubyte[.gz]`, `t10k-labels-idx1-ubyte[.gz]`; the `train-images.idx3-ubyte`
/// spelling is accepted too), or containing `mnist/` with them. Images must be 28×28.
/// Returns `(train, test)`.
pub fn load_mnist_dir(dir: impl AsRef<Path>) -> Result<(Dataset, Dataset)> {
    let d = load_dir(dir.as_ref(), Format::Mnist)?;
    Ok((d.train, d.test))
}

/// Loads Tiny ImageNet from the official layout (`dir` is `tiny-imagenet-200/` or contains
/// it); see [`crate::tiny`]. Returns `(train, test)`.
pub fn load_tiny_imagenet(dir: impl AsRef<Path>) -> Result<(Dataset, Dataset)> {
    let d = load_dir(dir.as_ref(), Format::TinyImagenet)?;
    Ok((d.train, d.test))
}
