//! Small synthetic data sets written in the publishers' real file formats, for the `smoke`
//! scale and for tests: they go through exactly the loaders real data goes through.
//!
//! The images are class-structured and learnable: every class has a seeded prototype (4×4-pixel
//! blocks of dark or bright values per channel, shared by the training and test sets of one
//! seed), and each image is its class's prototype plus seeded uniform noise of ±35. Labels are
//! balanced (image `i` of a split has class `i mod classes` before a seeded shuffle).

use crate::dataset::Dataset;
use crate::error::{config_err, DataError, Result};
use crate::layout::Format;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::Write;
use std::path::Path;

/// Side of a prototype block, in pixels.
const BLOCK: usize = 4;
/// Dark and bright prototype values.
const LEVELS: [u8; 2] = [40, 215];
/// Half-width of the uniform noise added to a prototype.
const NOISE: i32 = 35;
/// ChaCha stream of class `c`'s prototype (split noise uses streams 0 and 1).
const PROTOTYPE_STREAM: u64 = 1 << 32;

/// The official CIFAR-10 class names (`batches.meta.txt`).
pub const CIFAR10_CLASSES: [&str; 10] = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
];

fn prototype(shape: [usize; 3], class: usize, seed: u64) -> Vec<u8> {
    let [c, h, w] = shape;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(PROTOTYPE_STREAM + class as u64);
    let (bh, bw) = (h.div_ceil(BLOCK), w.div_ceil(BLOCK));
    let cells: Vec<u8> = (0..c * bh * bw)
        .map(|_| LEVELS[rng.gen_range(0..2)])
        .collect();
    let mut out = Vec::with_capacity(c * h * w);
    for ch in 0..c {
        for y in 0..h {
            for x in 0..w {
                out.push(cells[(ch * bh + y / BLOCK) * bw + x / BLOCK]);
            }
        }
    }
    out
}

/// `n` class-structured images of `shape` (`[C, H, W]`) with balanced labels in
/// `0..classes`; `seed` fixes the class prototypes, `stream` the labels' order and the noise
/// (use different streams for the training and test sets of one data set).
pub fn class_structured(
    n: usize,
    shape: [usize; 3],
    classes: usize,
    seed: u64,
    stream: u64,
) -> Dataset {
    let protos: Vec<Vec<u8>> = (0..classes).map(|k| prototype(shape, k, seed)).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    let mut labels: Vec<u32> = (0..n).map(|i| (i % classes.max(1)) as u32).collect();
    labels.shuffle(&mut rng);
    let mut pixels = Vec::with_capacity(n * shape.iter().product::<usize>());
    for &l in &labels {
        for &p in &protos[l as usize] {
            let v = i32::from(p) + rng.gen_range(-NOISE..=NOISE);
            pixels.push(v.clamp(0, 255) as u8);
        }
    }
    Dataset {
        pixels,
        labels,
        channels: shape[0],
        height: shape[1],
        width: shape[2],
        num_classes: classes,
    }
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |source| DataError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(io)?;
    }
    std::fs::write(path, bytes).map_err(io)
}

fn need(field: &str, n: usize, min: usize) -> Result<()> {
    if n < min {
        return Err(config_err(field, format!("{n} is below the minimum {min}")));
    }
    Ok(())
}

/// CIFAR records: `label bytes | R | G | B` per image.
fn cifar_records(ds: &Dataset, label_bytes: impl Fn(u32) -> Vec<u8>) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..ds.len() {
        out.extend(label_bytes(ds.labels[i]));
        out.extend_from_slice(ds.image(i));
    }
    out
}

/// Writes a CIFAR-10 binary distribution into `dir`: `data_batch_1.bin` … `data_batch_5.bin`
/// (`n_train` images spread over the five), `test_batch.bin` (`n_test`) and
/// `batches.meta.txt`. Needs `n_train ≥ 5` and `n_test ≥ 1`.
pub fn write_cifar10(
    dir: impl AsRef<Path>,
    n_train: usize,
    n_test: usize,
    seed: u64,
) -> Result<()> {
    let dir = dir.as_ref();
    need("n_train", n_train, 5)?;
    need("n_test", n_test, 1)?;
    let shape = Format::Cifar10.image_shape();
    let train = class_structured(n_train, shape, 10, seed, 0);
    let mut start = 0;
    for k in 0..5 {
        let len = n_train / 5 + usize::from(k < n_train % 5);
        let idx: Vec<usize> = (start..start + len).collect();
        start += len;
        let part = train.subset(&idx)?;
        let bytes = cifar_records(&part, |l| vec![l as u8]);
        write_file(&dir.join(format!("data_batch_{}.bin", k + 1)), &bytes)?;
    }
    let test = class_structured(n_test, shape, 10, seed, 1);
    write_file(
        &dir.join("test_batch.bin"),
        &cifar_records(&test, |l| vec![l as u8]),
    )?;
    let meta = CIFAR10_CLASSES.join("\n") + "\n\n";
    write_file(&dir.join("batches.meta.txt"), meta.as_bytes())
}

/// Writes a CIFAR-100 binary distribution into `dir`: `train.bin` (`n_train` images) and
/// `test.bin` (`n_test`), fine labels `0..100` balanced, coarse label `fine / 5` (a synthetic
/// grouping; the loader checks it is < 20). Needs both counts ≥ 1.
pub fn write_cifar100(
    dir: impl AsRef<Path>,
    n_train: usize,
    n_test: usize,
    seed: u64,
) -> Result<()> {
    let dir = dir.as_ref();
    need("n_train", n_train, 1)?;
    need("n_test", n_test, 1)?;
    let shape = Format::Cifar100.image_shape();
    let labels = |l: u32| vec![(l / 5) as u8, l as u8];
    for (name, n, stream) in [("train.bin", n_train, 0), ("test.bin", n_test, 1)] {
        let ds = class_structured(n, shape, 100, seed, stream);
        write_file(&dir.join(name), &cifar_records(&ds, labels))?;
    }
    Ok(())
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    // Writing into a Vec cannot fail.
    e.write_all(bytes).expect("gzip into memory");
    e.finish().expect("gzip into memory")
}

fn idx_images(ds: &Dataset) -> Vec<u8> {
    let mut b = Vec::with_capacity(16 + ds.pixels.len());
    for v in [
        crate::idx::IDX_IMAGES_MAGIC,
        ds.len() as u32,
        ds.height as u32,
        ds.width as u32,
    ] {
        b.extend_from_slice(&v.to_be_bytes());
    }
    b.extend_from_slice(&ds.pixels);
    b
}

fn idx_labels(ds: &Dataset) -> Vec<u8> {
    let mut b = Vec::with_capacity(8 + ds.len());
    for v in [crate::idx::IDX_LABELS_MAGIC, ds.len() as u32] {
        b.extend_from_slice(&v.to_be_bytes());
    }
    b.extend(ds.labels.iter().map(|&l| l as u8));
    b
}

/// Writes the four MNIST IDX files, gzip-compressed as published
/// (`train-images-idx3-ubyte.gz`, `train-labels-idx1-ubyte.gz`, `t10k-images-idx3-ubyte.gz`,
/// `t10k-labels-idx1-ubyte.gz`), 28×28 images, labels `0..10`. Needs both counts ≥ 1.
pub fn write_mnist_idx(
    dir: impl AsRef<Path>,
    n_train: usize,
    n_test: usize,
    seed: u64,
) -> Result<()> {
    let dir = dir.as_ref();
    need("n_train", n_train, 1)?;
    need("n_test", n_test, 1)?;
    let shape = Format::Mnist.image_shape();
    for (prefix, n, stream) in [("train", n_train, 0), ("t10k", n_test, 1)] {
        let ds = class_structured(n, shape, 10, seed, stream);
        write_file(
            &dir.join(format!("{prefix}-images-idx3-ubyte.gz")),
            &gzip(&idx_images(&ds)),
        )?;
        write_file(
            &dir.join(format!("{prefix}-labels-idx1-ubyte.gz")),
            &gzip(&idx_labels(&ds)),
        )?;
    }
    Ok(())
}

/// The synthetic WordNet id of class `c` (`n00000000`, `n00000001`, …; sorted = class order).
pub fn tiny_wnid(c: usize) -> String {
    format!("n{c:08}")
}

fn jpeg(chw: &[u8], size: usize, path: &Path) -> Result<Vec<u8>> {
    let mut hwc = vec![0u8; chw.len()];
    for ch in 0..3 {
        for p in 0..size * size {
            hwc[p * 3 + ch] = chw[ch * size * size + p];
        }
    }
    let img = image::RgbImage::from_raw(size as u32, size as u32, hwc)
        .ok_or_else(|| config_err("size", "image buffer size"))?;
    let mut out = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 95);
    image::DynamicImage::ImageRgb8(img)
        .write_with_encoder(enc)
        .map_err(|e| crate::error::format_err(path, format!("cannot encode JPEG: {e}")))?;
    Ok(out)
}

/// Writes a Tiny ImageNet tree into `dir` (the `tiny-imagenet-200` directory itself):
/// `wnids.txt` and `words.txt` with `classes` synthetic ids ([`tiny_wnid`]),
/// `train/<wnid>/images/<wnid>_<k>.JPEG` (`per_class_train` each) with `<wnid>_boxes.txt`,
/// and `val/images/val_<k>.JPEG` (`per_class_val` per class) with `val/val_annotations.txt`.
/// 64×64 RGB JPEGs (quality 95). The tiny-CNN has 200 outputs; pass `classes = 200` for a
/// data set of the real width (e.g. 200 × 2 images keeps it small). Needs every count ≥ 1.
pub fn write_tiny_imagenet(
    dir: impl AsRef<Path>,
    per_class_train: usize,
    per_class_val: usize,
    classes: usize,
    seed: u64,
) -> Result<()> {
    let dir = dir.as_ref();
    need("per_class_train", per_class_train, 1)?;
    need("per_class_val", per_class_val, 1)?;
    need("classes", classes, 1)?;
    let shape = Format::TinyImagenet.image_shape();
    let size = shape[1];
    let wnids: Vec<String> = (0..classes).map(tiny_wnid).collect();
    write_file(&dir.join("wnids.txt"), (wnids.join("\n") + "\n").as_bytes())?;
    let words: String = wnids
        .iter()
        .enumerate()
        .map(|(c, w)| format!("{w}\tsynthetic class {c}\n"))
        .collect();
    write_file(&dir.join("words.txt"), words.as_bytes())?;

    let train = class_structured(per_class_train * classes, shape, classes, seed, 0);
    let mut next = vec![0usize; classes];
    let mut boxes = vec![String::new(); classes];
    for i in 0..train.len() {
        let c = train.labels[i] as usize;
        let name = format!("{}_{}.JPEG", wnids[c], next[c]);
        next[c] += 1;
        let path = dir.join("train").join(&wnids[c]).join("images").join(&name);
        write_file(&path, &jpeg(train.image(i), size, &path)?)?;
        boxes[c].push_str(&format!("{name}\t0\t0\t{m}\t{m}\n", m = size - 1));
    }
    for (c, b) in boxes.iter().enumerate() {
        let path = dir
            .join("train")
            .join(&wnids[c])
            .join(format!("{}_boxes.txt", wnids[c]));
        write_file(&path, b.as_bytes())?;
    }

    let val = class_structured(per_class_val * classes, shape, classes, seed, 1);
    let mut ann = String::new();
    for i in 0..val.len() {
        let name = format!("val_{i}.JPEG");
        let path = dir.join("val").join("images").join(&name);
        write_file(&path, &jpeg(val.image(i), size, &path)?)?;
        let w = &wnids[val.labels[i] as usize];
        ann.push_str(&format!("{name}\t{w}\t0\t0\t{m}\t{m}\n", m = size - 1));
    }
    write_file(&dir.join("val").join("val_annotations.txt"), ann.as_bytes())
}

/// Sizes of the data sets [`write_standard_tree`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeSizes {
    /// CIFAR-10 / CIFAR-100 / MNIST training images.
    pub n_train: usize,
    /// CIFAR-10 / CIFAR-100 / MNIST test images.
    pub n_test: usize,
    /// Tiny ImageNet training images per class (200 classes).
    pub tiny_train_per_class: usize,
    /// Tiny ImageNet validation images per class (200 classes).
    pub tiny_val_per_class: usize,
}

impl Default for TreeSizes {
    /// 200 / 100 images for CIFAR and MNIST, 2 / 1 per class for Tiny ImageNet.
    fn default() -> Self {
        TreeSizes {
            n_train: 200,
            n_test: 100,
            tiny_train_per_class: 2,
            tiny_val_per_class: 1,
        }
    }
}

/// Writes all four data sets under `root` with the standard directory names
/// (`mnist/`, `cifar-10-batches-bin/`, `cifar-100-binary/`, `tiny-imagenet-200/` with 200
/// classes), so that `root` serves as the `--data-dir` of every task.
pub fn write_standard_tree(root: impl AsRef<Path>, sizes: TreeSizes, seed: u64) -> Result<()> {
    let root = root.as_ref();
    let (n, t) = (sizes.n_train, sizes.n_test);
    write_mnist_idx(root.join(Format::Mnist.dir_name()), n, t, seed)?;
    write_cifar10(root.join(Format::Cifar10.dir_name()), n, t, seed)?;
    write_cifar100(root.join(Format::Cifar100.dir_name()), n, t, seed)?;
    write_tiny_imagenet(
        root.join(Format::TinyImagenet.dir_name()),
        sizes.tiny_train_per_class,
        sizes.tiny_val_per_class,
        200,
        seed,
    )
}
