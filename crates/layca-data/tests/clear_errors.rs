//! Issue 10, "Clear errors": a missing file, a wrong geometry or a constant-pixel training set
//! is reported at load time with the file that causes it (and, for missing files, the
//! expected layout and where to obtain the data).

mod common;

use common::*;
use layca_data::{
    expected_layout, load_cifar10, load_cifar100, load_dir, load_mnist_dir, DataError, Format,
    Result,
};

#[track_caller]
fn message<T: std::fmt::Debug>(r: Result<T>) -> String {
    r.expect_err("bad data was accepted").to_string()
}

fn write_cifar10_train(d: &std::path::Path) {
    for k in 1..=5 {
        write(
            &d.join(format!("data_batch_{k}.bin")),
            &cifar10_bytes(k, &[1, 2]),
        );
    }
}

#[test]
fn cifar10_missing_test_batch_names_test_batch() {
    let root = tempfile::tempdir().unwrap();
    let d = root.path().join("cifar-10-batches-bin");
    write_cifar10_train(&d);
    // Through the parent root (the case that named data_batch_1.bin) and the directory itself.
    for arg in [root.path(), d.as_path()] {
        let msg = message(load_cifar10(arg));
        assert!(msg.contains("missing test_batch.bin"), "{msg}");
        assert!(!msg.contains("missing data_batch_1.bin"), "{msg}");
        assert!(msg.contains("cs.toronto.edu/~kriz"), "{msg}");
        assert!(msg.contains("cifar-10-batches-bin"), "{msg}");
    }
    write(&d.join("test_batch.bin"), &cifar10_bytes(0, &[3]));
    let (train, test) = load_cifar10(root.path()).unwrap();
    assert_eq!((train.len(), test.len()), (10, 1));
}

#[test]
fn cifar100_missing_test_bin_names_test_bin() {
    let root = tempfile::tempdir().unwrap();
    let d = root.path().join("cifar-100-binary");
    write(&d.join("train.bin"), &cifar100_bytes(0, &[(1, 7), (2, 9)]));
    for arg in [root.path(), d.as_path()] {
        let msg = message(load_cifar100(arg));
        assert!(msg.contains("missing test.bin"), "{msg}");
        assert!(!msg.contains("missing train.bin"), "{msg}");
        assert!(msg.contains("cifar-100-binary.tar.gz"), "{msg}");
    }
}

#[test]
fn every_missing_file_is_listed_with_the_layout() {
    let empty = tempfile::tempdir().unwrap();
    for f in Format::ALL {
        let e = load_dir(empty.path(), f).expect_err("empty dir accepted");
        let DataError::Missing {
            missing, expected, ..
        } = &e
        else {
            panic!("{f:?}: not a Missing error: {e}");
        };
        assert_eq!(expected, &expected_layout(f));
        let msg = e.to_string();
        assert!(msg.contains(f.dir_name()), "{msg}");
        assert!(msg.contains("obtain it from"), "{msg}");
        let want = match f {
            Format::Mnist => 4,
            Format::Cifar10 => 6,
            Format::Cifar100 => 2,
            Format::TinyImagenet => 4,
        };
        assert_eq!(missing.len(), want, "{msg}");
    }
    assert!(
        expected_layout(Format::TinyImagenet).contains("cs231n.stanford.edu/tiny-imagenet-200.zip")
    );
    assert!(expected_layout(Format::Mnist).contains("yann.lecun.com"));
    assert!(expected_layout(Format::Mnist).contains("train-images-idx3-ubyte"));
}

/// Writes the four MNIST files with `side × side` images and the given train pixels.
fn write_mnist(d: &std::path::Path, side: u32, train_px: &[u8], labels: &[u8]) {
    let n = labels.len() as u32;
    write(
        &d.join("train-images-idx3-ubyte"),
        &idx_images(n, side, side, train_px),
    );
    write(&d.join("train-labels-idx1-ubyte"), &idx_labels(labels));
    write(
        &d.join("t10k-images-idx3-ubyte"),
        &idx_images(n, side, side, train_px),
    );
    write(&d.join("t10k-labels-idx1-ubyte"), &idx_labels(labels));
}

#[test]
fn mnist_wrong_geometry_names_the_file_and_both_shapes() {
    let d = tempfile::tempdir().unwrap();
    let px: Vec<u8> = (0..2 * 64).map(|i| i as u8).collect();
    write_mnist(d.path(), 8, &px, &[1, 2]);
    let msg = message(load_mnist_dir(d.path()));
    assert!(msg.contains("train-images-idx3-ubyte"), "{msg}");
    assert!(msg.contains("1x8x8"), "{msg}");
    assert!(msg.contains("expected 1x28x28"), "{msg}");
}

#[test]
fn constant_pixel_training_set_names_the_file() {
    let d = tempfile::tempdir().unwrap();
    write_mnist(d.path(), 28, &[77u8; 2 * 784], &[1, 2]);
    let msg = message(load_mnist_dir(d.path()));
    assert!(msg.contains("train-images-idx3-ubyte"), "{msg}");
    assert!(msg.contains("standard deviation 0"), "{msg}");

    let c = d.path().join("c100");
    let rec = |l: u8| {
        let mut r = vec![0, l];
        r.extend_from_slice(&[5u8; 3072]);
        r
    };
    write(&c.join("train.bin"), &[rec(1), rec(2)].concat());
    write(&c.join("test.bin"), &cifar100_bytes(0, &[(0, 3)]));
    let msg = message(load_cifar100(&c));
    assert!(msg.contains("train.bin"), "{msg}");
    assert!(msg.contains("equal 5"), "{msg}");

    let c10 = d.path().join("c10");
    for k in 1..=5 {
        write(
            &c10.join(format!("data_batch_{k}.bin")),
            &[vec![1u8], vec![9u8; 3072]].concat(),
        );
    }
    write(&c10.join("test_batch.bin"), &cifar10_bytes(0, &[3]));
    let msg = message(load_cifar10(&c10));
    assert!(msg.contains("data_batch_[1-5].bin"), "{msg}");
}
