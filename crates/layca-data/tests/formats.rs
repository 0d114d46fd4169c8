//! Acceptance point 1: small files in every real format, written here and loaded back
//! exactly (pixel values, labels, order).

mod common;

use candle_core::{Device, IndexOp};
use common::*;
use layca_data::hub::{load_hf_parquet, HfSpec};
use layca_data::idx::load_idx_pair;
use layca_data::{
    load_cifar10, load_cifar100, load_hf_in, load_mnist_dir, load_tiny_imagenet, Cifar100Labels,
    Normalizer, TensorDataset, HF_CIFAR10, HF_MNIST,
};

/// Pixels of `n` images of `rows × cols`, numbered from `first`.
fn gray_pixels(first: usize, n: usize, rows: usize, cols: usize) -> Vec<u8> {
    let mut v = Vec::new();
    for i in 0..n {
        for y in 0..rows {
            for x in 0..cols {
                v.push(pattern(first + i, 0, y, x));
            }
        }
    }
    v
}

#[test]
fn idx_raw_and_gz_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Train: 3 images of 28×28 (MNIST's geometry, checked at load), raw IDX. Test: 2 images, gzip, with the `.idx3-ubyte` spelling.
    let train_px = gray_pixels(0, 3, 28, 28);
    let test_px = gray_pixels(3, 2, 28, 28);
    write(
        &d.join("train-images-idx3-ubyte"),
        &idx_images(3, 28, 28, &train_px),
    );
    write(&d.join("train-labels-idx1-ubyte"), &idx_labels(&[7, 0, 9]));
    write(
        &d.join("t10k-images.idx3-ubyte.gz"),
        &gz(&idx_images(2, 28, 28, &test_px)),
    );
    write(
        &d.join("t10k-labels-idx1-ubyte.gz"),
        &gz(&idx_labels(&[3, 3])),
    );
    let (train, test) = load_mnist_dir(d).unwrap();
    assert_eq!((train.channels, train.height, train.width), (1, 28, 28));
    assert_eq!(train.pixels, train_px);
    assert_eq!(train.labels, vec![7, 0, 9]);
    assert_eq!(train.num_classes, 10);
    assert_eq!(test.pixels, test_px);
    assert_eq!(test.labels, vec![3, 3]);

    // The same bytes gzip-compressed load identically.
    write(&d.join("a.gz"), &gz(&idx_images(3, 28, 28, &train_px)));
    write(&d.join("b.gz"), &gz(&idx_labels(&[7, 0, 9])));
    assert_eq!(
        load_idx_pair(&d.join("a.gz"), &d.join("b.gz"), 10).unwrap(),
        train
    );
}

#[test]
fn cifar10_round_trip_keeps_chw_layout() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("cifar-10-batches-bin");
    let mut expected_labels = Vec::new();
    for k in 0..5 {
        let labels = [k as u8, 9 - k as u8];
        expected_labels.extend(labels.iter().map(|&l| l as u32));
        write(
            &d.join(format!("data_batch_{}.bin", k + 1)),
            &cifar10_bytes(2 * k, &labels),
        );
    }
    write(&d.join("test_batch.bin"), &cifar10_bytes(100, &[4, 5, 6]));
    // The parent directory is accepted too.
    let (train, test) = load_cifar10(dir.path()).unwrap();
    assert_eq!((train.channels, train.height, train.width), (3, 32, 32));
    assert_eq!(train.len(), 10);
    assert_eq!(train.labels, expected_labels);
    for i in 0..10 {
        assert_eq!(
            train.image(i),
            cifar_pixels(i).as_slice(),
            "train image {i}"
        );
    }
    assert_eq!(test.labels, vec![4, 5, 6]);
    for i in 0..3 {
        assert_eq!(test.image(i), cifar_pixels(100 + i).as_slice());
    }
    // Tensor layout: [n, c, y, x] holds byte 1 + c·1024 + y·32 + x of the record, i.e. no
    // height/width swap (candle-datasets' hub loader bug).
    let t = TensorDataset::new(&test, Normalizer::identity(), &Device::Cpu).unwrap();
    for &(n, c, y, x) in &[(0, 0, 0, 1), (1, 2, 5, 30), (2, 1, 31, 0), (2, 0, 3, 17)] {
        let v: f32 = t.images.i((n, c, y, x)).unwrap().to_scalar().unwrap();
        assert_eq!(v, pattern(100 + n, c, y, x) as f32, "({n},{c},{y},{x})");
    }
}

#[test]
fn cifar100_round_trip_fine_and_coarse() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        &d.join("train.bin"),
        &cifar100_bytes(0, &[(19, 99), (0, 0), (7, 42)]),
    );
    write(&d.join("test.bin"), &cifar100_bytes(10, &[(3, 55)]));
    let (train, test) = load_cifar100(d).unwrap();
    assert_eq!(train.num_classes, 100);
    assert_eq!(train.labels, vec![99, 0, 42]);
    assert_eq!(test.labels, vec![55]);
    for i in 0..3 {
        assert_eq!(train.image(i), cifar_pixels(i).as_slice());
    }
    assert_eq!(test.image(0), cifar_pixels(10).as_slice());
    let (coarse, _) = layca_data::load_cifar100_labels(d, Cifar100Labels::Coarse).unwrap();
    assert_eq!(coarse.num_classes, 20);
    assert_eq!(coarse.labels, vec![19, 0, 7]);
    assert_eq!(coarse.pixels, train.pixels);
}

/// A 64×64 RGB image in 8×8 blocks of flat colour (JPEG encodes flat blocks almost exactly).
fn tiny_image(seed: u8) -> image::DynamicImage {
    let img = image::RgbImage::from_fn(64, 64, |x, y| {
        let b = ((x / 8) * 8 + y / 8) as u8;
        image::Rgb([
            seed.wrapping_mul(40).wrapping_add(b),
            b.wrapping_mul(3),
            255 - seed.wrapping_mul(20),
        ])
    });
    image::DynamicImage::ImageRgb8(img)
}

fn chw(img: &image::RgbImage) -> Vec<u8> {
    let mut v = vec![0u8; 3 * 64 * 64];
    for (x, y, p) in img.enumerate_pixels() {
        for c in 0..3 {
            v[c * 4096 + y as usize * 64 + x as usize] = p[c];
        }
    }
    v
}

#[test]
fn tiny_imagenet_tree_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tiny-imagenet-200");
    // wnids.txt in non-sorted order: class index follows the sorted ids (n01 → 0, n02 → 1).
    write(&root.join("wnids.txt"), b"n02000000\nn01000000\n");
    let mut originals = std::collections::HashMap::new();
    let mut jpeg_bytes = std::collections::HashMap::new();
    let train = [
        ("n01000000", "n01000000_0.JPEG", 1u8),
        ("n01000000", "n01000000_1.JPEG", 2),
        ("n02000000", "n02000000_0.JPEG", 3),
    ];
    for (wnid, name, seed) in train {
        let img = tiny_image(seed);
        let bytes = jpeg(&img);
        write(
            &root.join("train").join(wnid).join("images").join(name),
            &bytes,
        );
        originals.insert(name, img.to_rgb8());
        jpeg_bytes.insert(name, bytes);
    }
    // The official tree also holds a boxes file per class; it must be ignored.
    write(
        &root.join("train/n01000000/n01000000_boxes.txt"),
        b"n01000000_0.JPEG\t0\t0\t63\t63\n",
    );
    // A grayscale JPEG (Tiny ImageNet has some): expanded to 3 equal channels.
    let gray = image::DynamicImage::ImageLuma8(image::GrayImage::from_fn(64, 64, |x, y| {
        image::Luma([((x / 8) * 30 + (y / 8) * 2) as u8])
    }));
    let gray_bytes = jpeg(&gray);
    write(
        &root.join("train/n02000000/images/n02000000_1.JPEG"),
        &gray_bytes,
    );
    let val = [
        ("val_0.JPEG", "n02000000", 4u8),
        ("val_1.JPEG", "n01000000", 5),
    ];
    let mut ann = String::new();
    for (name, wnid, seed) in val {
        let img = tiny_image(seed);
        let bytes = jpeg(&img);
        write(&root.join("val/images").join(name), &bytes);
        originals.insert(name, img.to_rgb8());
        jpeg_bytes.insert(name, bytes);
        ann.push_str(&format!("{name}\t{wnid}\t0\t0\t63\t63\n"));
    }
    write(&root.join("val/val_annotations.txt"), ann.as_bytes());

    let (tr, te) = load_tiny_imagenet(dir.path()).unwrap();
    assert_eq!(
        (tr.channels, tr.height, tr.width, tr.num_classes),
        (3, 64, 64, 2)
    );
    assert_eq!(tr.labels, vec![0, 0, 1, 1]);
    assert_eq!(te.labels, vec![1, 0]);
    let check = |got: &[u8], name: &str| {
        // Exactly the decoder's output for that file, in CHW order ...
        let decoded = image::load_from_memory(&jpeg_bytes[name])
            .unwrap()
            .to_rgb8();
        assert_eq!(got, chw(&decoded).as_slice(), "{name}");
        // ... which is the original picture up to JPEG rounding.
        let orig = chw(&originals[name]);
        let worst = got
            .iter()
            .zip(&orig)
            .map(|(a, b)| a.abs_diff(*b))
            .max()
            .unwrap();
        assert!(worst <= 3, "{name}: max JPEG error {worst}");
    };
    check(tr.image(0), "n01000000_0.JPEG");
    check(tr.image(1), "n01000000_1.JPEG");
    check(tr.image(2), "n02000000_0.JPEG");
    check(te.image(0), "val_0.JPEG");
    check(te.image(1), "val_1.JPEG");
    let g = tr.image(3);
    assert_eq!(&g[..4096], &g[4096..8192]);
    assert_eq!(&g[..4096], &g[8192..]);
    let decoded = image::load_from_memory(&gray_bytes).unwrap().to_luma8();
    assert_eq!(&g[..4096], decoded.as_raw().as_slice());
}

#[test]
fn hf_parquet_in_cache_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("hub");
    let repo = cache.join("datasets--ylecun--mnist");
    write(&repo.join("refs/main"), b"0123abcd\n");
    let snap = repo.join("snapshots/0123abcd/mnist");
    // 3 train and 2 test digits of 28×28, PNG-encoded as in the hub files.
    let make = |first: usize, labels: &[i64]| -> (Vec<(Vec<u8>, i64)>, Vec<u8>) {
        let mut rows = Vec::new();
        let mut px = Vec::new();
        for (k, &l) in labels.iter().enumerate() {
            let img = image::GrayImage::from_fn(28, 28, |x, y| {
                image::Luma([pattern(first + k, 0, y as usize, x as usize)])
            });
            px.extend_from_slice(img.as_raw());
            rows.push((png(&image::DynamicImage::ImageLuma8(img)), l));
        }
        (rows, px)
    };
    let (train_rows, train_px) = make(0, &[5, 0, 4]);
    let (test_rows, test_px) = make(3, &[7, 2]);
    write_hf_parquet(
        &snap.join("train-00000-of-00001.parquet"),
        "image",
        "label",
        &train_rows,
    );
    write_hf_parquet(
        &snap.join("test-00000-of-00001.parquet"),
        "image",
        "label",
        &test_rows,
    );

    let (train, test) = load_hf_in(&cache, &HF_MNIST).unwrap();
    assert_eq!((train.channels, train.height, train.width), (1, 28, 28));
    assert_eq!(train.labels, vec![5, 0, 4]);
    assert_eq!(train.pixels, train_px);
    assert_eq!(test.labels, vec![7, 2]);
    assert_eq!(test.pixels, test_px);
}

#[test]
fn hf_cifar_parquet_rgb_round_trip_without_transpose() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path();
    let snap = cache.join("datasets--uoft-cs--cifar10/snapshots/rev1/plain_text");
    let mut rows = Vec::new();
    for k in 0..2 {
        let img = image::RgbImage::from_fn(32, 32, |x, y| {
            let (x, y) = (x as usize, y as usize);
            image::Rgb([
                pattern(k, 0, y, x),
                pattern(k, 1, y, x),
                pattern(k, 2, y, x),
            ])
        });
        rows.push((png(&image::DynamicImage::ImageRgb8(img)), 9 - k as i64));
    }
    write_hf_parquet(
        &snap.join("train-00000-of-00001.parquet"),
        "img",
        "label",
        &rows,
    );
    write_hf_parquet(
        &snap.join("test-00000-of-00001.parquet"),
        "img",
        "label",
        &rows[..1],
    );
    let (train, test) = load_hf_in(cache, &HF_CIFAR10).unwrap();
    assert_eq!(train.labels, vec![9, 8]);
    assert_eq!(test.labels, vec![9]);
    // Same CHW layout as the binary distribution's records.
    assert_eq!(train.image(0), cifar_pixels(0).as_slice());
    assert_eq!(train.image(1), cifar_pixels(1).as_slice());

    // A single file can be read directly with a custom spec.
    let spec = HfSpec {
        num_classes: 10,
        ..HF_CIFAR10
    };
    let one = load_hf_parquet(&snap.join("test-00000-of-00001.parquet"), &spec).unwrap();
    assert_eq!(one, test);
}

#[test]
fn hf_cifar100_uses_fine_label_column() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir
        .path()
        .join("datasets--uoft-cs--cifar100/snapshots/r/cifar100");
    let img = |k: usize| {
        png(&image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(
            32,
            32,
            |x, y| {
                let (x, y) = (x as usize, y as usize);
                image::Rgb([
                    pattern(k, 0, y, x),
                    pattern(k, 1, y, x),
                    pattern(k, 2, y, x),
                ])
            },
        )))
    };
    let rows = vec![(img(0), 99), (img(1), 57)];
    write_hf_parquet(
        &snap.join("train-00000-of-00001.parquet"),
        "img",
        "fine_label",
        &rows,
    );
    write_hf_parquet(
        &snap.join("test-00000-of-00001.parquet"),
        "img",
        "fine_label",
        &rows[1..],
    );
    let (train, test) = load_hf_in(dir.path(), &layca_data::HF_CIFAR100).unwrap();
    assert_eq!(train.num_classes, 100);
    assert_eq!(train.labels, vec![99, 57]);
    assert_eq!(test.labels, vec![57]);
    assert_eq!(test.image(0), cifar_pixels(1).as_slice());
}
