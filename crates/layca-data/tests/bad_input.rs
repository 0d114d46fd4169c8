//! Acceptance point 2: every kind of bad input gives an error that names the file (and the
//! offset / record / entry where known) — never a panic, never a partial load.

mod common;

use common::*;
use layca_data::cifar::{parse_cifar10, parse_cifar100, Cifar100Labels};
use layca_data::hub::{load_hf_parquet, HF_MNIST};
use layca_data::idx::{load_idx_pair, parse_idx_images, parse_idx_labels};
use layca_data::{load_cifar10, load_cifar100, load_hf_in, load_mnist_dir, load_tiny_imagenet};
use layca_data::{DataError, Result};
use std::path::Path;

/// Asserts `r` is an error whose message names `file` (its file name) and contains every
/// string of `also`.
#[track_caller]
fn assert_err_names<T: std::fmt::Debug>(r: Result<T>, file: &str, also: &[&str]) {
    let e = r.expect_err("bad input was accepted");
    let msg = e.to_string();
    assert!(msg.contains(file), "error does not name `{file}`: {msg}");
    for a in also {
        assert!(msg.contains(a), "error lacks `{a}`: {msg}");
    }
}

fn p(s: &str) -> &Path {
    Path::new(s)
}

#[test]
fn idx_bad_inputs() {
    let px = vec![1u8; 2 * 3 * 3];
    let good = idx_images(2, 3, 3, &px);
    assert!(parse_idx_images(&good, p("ok-images")).is_ok());
    // Truncated: one pixel missing; header only; 10 bytes (not even a header).
    let r = parse_idx_images(&good[..good.len() - 1], p("trunc-images"));
    assert_err_names(r, "trunc-images", &["truncated", "offset 33"]);
    assert_err_names(
        parse_idx_images(&good[..16], p("h-images")),
        "h-images",
        &["truncated"],
    );
    assert_err_names(
        parse_idx_images(&good[..10], p("s-images")),
        "s-images",
        &["header"],
    );
    assert_err_names(
        parse_idx_images(&[], p("e-images")),
        "e-images",
        &["truncated"],
    );
    // Oversized: trailing garbage.
    let mut big = good.clone();
    big.extend_from_slice(&[0, 0]);
    assert_err_names(
        parse_idx_images(&big, p("big-images")),
        "big-images",
        &["oversized", "offset 34"],
    );
    // Wrong magic: a label file given as images, and vice versa.
    let labels = idx_labels(&[1, 2]);
    assert_err_names(
        parse_idx_images(&labels, p("lab-as-img")),
        "lab-as-img",
        &["magic", "0x00000801"],
    );
    assert_err_names(
        parse_idx_labels(&good, p("img-as-lab"), 10),
        "img-as-lab",
        &["magic"],
    );
    // Zero-sized images (a huge count of empty images would be "valid" by size).
    let zero = idx_images(520_093_696, 0, 4192, &[]);
    assert_err_names(
        parse_idx_images(&zero, p("zero")),
        "zero",
        &["degenerate", "0x4192"],
    );
    // Dimensions whose product overflows usize must not panic.
    let huge = idx_images(u32::MAX, u32::MAX, u32::MAX, &[]);
    assert_err_names(parse_idx_images(&huge, p("huge")), "huge", &[]);
    // Label out of range, with its offset (8 + index).
    let bad = idx_labels(&[0, 9, 10, 1]);
    assert_err_names(
        parse_idx_labels(&bad, p("bad-labels"), 10),
        "bad-labels",
        &["label 10", "item 2", "offset 10"],
    );
    // Truncated label file.
    let l = idx_labels(&[1, 2, 3]);
    assert_err_names(
        parse_idx_labels(&l[..10], p("tl"), 10),
        "tl",
        &["truncated"],
    );
    // Corrupt gzip: truncated stream, and gzip magic followed by garbage.
    let z = gz(&good);
    assert_err_names(
        parse_idx_images(&z[..z.len() / 2], p("cut.gz")),
        "cut.gz",
        &["gzip"],
    );
    assert_err_names(
        parse_idx_images(&[0x1f, 0x8b, 1, 2, 3], p("junk.gz")),
        "junk.gz",
        &["gzip"],
    );
    // Oversized gzip stream (detected after reading one byte past the announced size), and a
    // gzip header announcing more than the 1 GiB limit.
    assert_err_names(
        parse_idx_images(&gz(&big), p("big.gz")),
        "big.gz",
        &["oversized"],
    );
    let claim = idx_images(1 << 20, 100, 100, &[0; 64]);
    assert_err_names(
        parse_idx_images(&gz(&claim), p("claim.gz")),
        "claim.gz",
        &["limit"],
    );
    let l = gz(&idx_labels(&[1, 2, 3]));
    assert_eq!(parse_idx_labels(&l, p("ok.gz"), 10).unwrap(), vec![1, 2, 3]);
}

#[test]
fn idx_files_bad_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Missing files: the error names the expected file.
    assert_err_names(load_mnist_dir(d), "train-images-idx3-ubyte", &["missing"]);
    let px: Vec<u8> = (0..2 * 784).map(|i| (i % 256) as u8).collect();
    write(
        &d.join("train-images-idx3-ubyte"),
        &idx_images(2, 28, 28, &px),
    );
    write(&d.join("train-labels-idx1-ubyte"), &idx_labels(&[1, 2]));
    write(
        &d.join("t10k-images-idx3-ubyte"),
        &idx_images(2, 28, 28, &px),
    );
    assert_err_names(load_mnist_dir(d), "t10k-labels-idx1-ubyte", &["missing"]);
    // Image / label count mismatch names the label file.
    write(&d.join("t10k-labels-idx1-ubyte"), &idx_labels(&[1, 2, 3]));
    assert_err_names(
        load_mnist_dir(d),
        "t10k-labels-idx1-ubyte",
        &["3 labels", "2 images"],
    );
    // A truncated file on disk.
    let full = idx_images(2, 28, 28, &px);
    write(&d.join("x-images"), &full[..full.len() - 3]);
    assert_err_names(
        load_idx_pair(&d.join("x-images"), &d.join("train-labels-idx1-ubyte"), 10),
        "x-images",
        &["truncated"],
    );
    // Nonexistent file path.
    let r = load_idx_pair(&d.join("nope"), &d.join("nope2"), 10);
    assert!(matches!(r, Err(DataError::Io { .. })));
    assert_err_names(r, "nope", &[]);
}

#[test]
fn cifar_bad_inputs() {
    let good = cifar10_bytes(0, &[1, 2]);
    assert_eq!(parse_cifar10(&good, p("ok")).unwrap().len(), 2);
    // Truncated / oversized: size not a multiple of 3073.
    assert_err_names(
        parse_cifar10(&good[..good.len() - 1], p("t.bin")),
        "t.bin",
        &["3073", "offset 3073"],
    );
    let mut big = good.clone();
    big.push(0);
    assert_err_names(
        parse_cifar10(&big, p("o.bin")),
        "o.bin",
        &["not a multiple", "offset 6146"],
    );
    assert_err_names(parse_cifar10(&[], p("e.bin")), "e.bin", &["empty"]);
    // A CIFAR-100 file read as CIFAR-10 (3074-byte records) does not divide either.
    let c100 = cifar100_bytes(0, &[(1, 1), (2, 2), (3, 3)]);
    assert_err_names(parse_cifar10(&c100, p("c100.bin")), "c100.bin", &["3073"]);
    // Labels out of range, with record and offset.
    let bad = cifar10_bytes(0, &[3, 10]);
    assert_err_names(
        parse_cifar10(&bad, p("l.bin")),
        "l.bin",
        &["record 1", "offset 3073", "label 10"],
    );
    let bad = cifar100_bytes(0, &[(1, 1), (2, 100)]);
    assert_err_names(
        parse_cifar100(&bad, p("f.bin"), Cifar100Labels::Fine),
        "f.bin",
        &["record 1", "fine label 100", "offset 3075"],
    );
    let bad = cifar100_bytes(0, &[(20, 1)]);
    // Coarse labels are checked even when the fine ones are used.
    assert_err_names(
        parse_cifar100(&bad, p("c.bin"), Cifar100Labels::Fine),
        "c.bin",
        &["record 0", "coarse label 20"],
    );
    assert_err_names(
        parse_cifar100(&c100[..3074 * 2 + 5], p("t100.bin"), Cifar100Labels::Fine),
        "t100.bin",
        &["3074"],
    );
}

#[test]
fn cifar_files_bad_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for k in [1, 2, 4, 5] {
        write(
            &d.join(format!("data_batch_{k}.bin")),
            &cifar10_bytes(0, &[1]),
        );
    }
    write(&d.join("test_batch.bin"), &cifar10_bytes(0, &[1]));
    assert_err_names(load_cifar10(d), "data_batch_3.bin", &[]);
    write(&d.join("data_batch_3.bin"), &cifar10_bytes(0, &[11]));
    assert_err_names(load_cifar10(d), "data_batch_3.bin", &["label 11"]);
    write(&d.join("data_batch_3.bin"), &cifar10_bytes(0, &[1]));
    assert!(load_cifar10(d).is_ok());
    assert_err_names(load_cifar100(d), "train.bin", &[]);
}

/// A valid mini Tiny ImageNet tree with one class and one train / val image.
fn tiny_tree(root: &Path) {
    let img =
        image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(64, 64, image::Rgb([9, 8, 7])));
    write(&root.join("wnids.txt"), b"n01\n");
    write(&root.join("train/n01/images/n01_0.JPEG"), &jpeg(&img));
    write(&root.join("val/images/val_0.JPEG"), &jpeg(&img));
    write(
        &root.join("val/val_annotations.txt"),
        b"val_0.JPEG\tn01\t0\t0\t1\t1\n",
    );
}

#[test]
fn tiny_imagenet_bad_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tiny-imagenet-200");
    tiny_tree(&root);
    assert!(load_tiny_imagenet(&root).is_ok());
    // Undecodable JPEG.
    write(
        &root.join("train/n01/images/n01_1.JPEG"),
        b"\xff\xd8\xff\xe0 this is not a jpeg",
    );
    assert_err_names(load_tiny_imagenet(&root), "n01_1.JPEG", &["decode"]);
    // Wrong size.
    let small = image::DynamicImage::ImageRgb8(image::RgbImage::new(32, 64));
    write(&root.join("train/n01/images/n01_1.JPEG"), &jpeg(&small));
    assert_err_names(load_tiny_imagenet(&root), "n01_1.JPEG", &["32x64", "64x64"]);
    std::fs::remove_file(root.join("train/n01/images/n01_1.JPEG")).unwrap();
    // Unknown class id in the annotations, with its line.
    write(
        &root.join("val/val_annotations.txt"),
        b"val_0.JPEG\tn01\t0\t0\t1\t1\nval_1.JPEG\tn99\t0\t0\t1\t1\n",
    );
    assert_err_names(
        load_tiny_imagenet(&root),
        "val_annotations.txt",
        &["line 2", "n99"],
    );
    // Malformed annotation line.
    write(&root.join("val/val_annotations.txt"), b"val_0.JPEG\n");
    assert_err_names(
        load_tiny_imagenet(&root),
        "val_annotations.txt",
        &["line 1"],
    );
    // Annotated image missing.
    write(
        &root.join("val/val_annotations.txt"),
        b"val_7.JPEG\tn01\t0\t0\t1\t1\n",
    );
    assert_err_names(load_tiny_imagenet(&root), "val_7.JPEG", &[]);
    // Missing class directory, missing wnids.txt, empty wnids.txt.
    write(&root.join("wnids.txt"), b"n01\nn02\n");
    assert_err_names(load_tiny_imagenet(&root), "n02", &[]);
    write(&root.join("wnids.txt"), b"\n");
    assert_err_names(load_tiny_imagenet(&root), "wnids.txt", &["no class"]);
    std::fs::remove_file(root.join("wnids.txt")).unwrap();
    assert_err_names(load_tiny_imagenet(&root), "wnids.txt", &[]);
}

#[test]
fn parquet_bad_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let digit = |v: u8| {
        png(&image::DynamicImage::ImageLuma8(
            image::GrayImage::from_pixel(28, 28, image::Luma([v])),
        ))
    };
    // Label out of range, with its row.
    let f = d.join("label.parquet");
    write_hf_parquet(&f, "image", "label", &[(digit(1), 3), (digit(2), 10)]);
    assert_err_names(
        load_hf_parquet(&f, &HF_MNIST),
        "label.parquet",
        &["row 1", "label 10"],
    );
    let f = d.join("neg.parquet");
    write_hf_parquet(&f, "image", "label", &[(digit(1), -1)]);
    assert_err_names(load_hf_parquet(&f, &HF_MNIST), "neg.parquet", &["row 0"]);
    // Undecodable image bytes.
    let f = d.join("img.parquet");
    write_hf_parquet(
        &f,
        "image",
        "label",
        &[(digit(1), 3), (b"garbage".to_vec(), 1)],
    );
    assert_err_names(
        load_hf_parquet(&f, &HF_MNIST),
        "img.parquet",
        &["row 1", "decode"],
    );
    // Wrong image size.
    let f = d.join("size.parquet");
    let small = png(&image::DynamicImage::ImageLuma8(image::GrayImage::new(
        27, 28,
    )));
    write_hf_parquet(&f, "image", "label", &[(small, 1)]);
    assert_err_names(load_hf_parquet(&f, &HF_MNIST), "size.parquet", &["27x28"]);
    // Missing column (CIFAR-10 layout read with the MNIST spec: no `image` column).
    let f = d.join("cols.parquet");
    write_hf_parquet(&f, "img", "label", &[(digit(1), 1)]);
    assert_err_names(
        load_hf_parquet(&f, &HF_MNIST),
        "cols.parquet",
        &["no column `image`"],
    );
    // Not a parquet file at all; truncated parquet file.
    let f = d.join("junk.parquet");
    write(&f, b"PAR1 definitely not parquet");
    assert_err_names(load_hf_parquet(&f, &HF_MNIST), "junk.parquet", &["parquet"]);
    let good = d.join("good.parquet");
    write_hf_parquet(&good, "image", "label", &[(digit(1), 1), (digit(2), 2)]);
    let bytes = std::fs::read(&good).unwrap();
    let f = d.join("cut.parquet");
    write(&f, &bytes[..bytes.len() - 20]);
    assert_err_names(load_hf_parquet(&f, &HF_MNIST), "cut.parquet", &[]);
    // Missing file.
    assert_err_names(
        load_hf_parquet(&d.join("none.parquet"), &HF_MNIST),
        "none.parquet",
        &[],
    );
}

#[test]
fn hf_cache_missing_files_message() {
    // An empty cache: the error names where the shards must go (feature-independent: without
    // `hub` there is no download; with it, HF_HUB_OFFLINE decides — see hub_offline.rs).
    if cfg!(feature = "hub") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path();
    let err = load_hf_in(cache, &HF_MNIST).unwrap_err().to_string();
    assert!(err.contains("datasets--ylecun--mnist"), "{err}");
    assert!(err.contains("mnist/train-*.parquet"), "{err}");
    assert!(err.contains("snapshots"), "{err}");
}
