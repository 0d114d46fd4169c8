//! The synthetic data sets of `layca_data::synth` are written in the publishers' formats and
//! load back through the real loaders with the expected counts, labels and structure; a root
//! holding the standard directory names serves every data set.

use layca_data::synth::{
    class_structured, write_cifar10, write_cifar100, write_mnist_idx, write_standard_tree,
    write_tiny_imagenet, TreeSizes,
};
use layca_data::{
    load_cifar10, load_cifar100, load_dir, load_mnist_dir, load_tiny_imagenet, Dataset, Format,
};
use std::time::Instant;

/// Accuracy on `test` of the nearest class mean fitted on `train` (L1 distance): high when the
/// data are class-structured, chance when they are not.
fn nearest_mean_accuracy(train: &Dataset, test: &Dataset) -> f64 {
    let l = train.image_len();
    let mut sums = vec![vec![0f64; l]; train.num_classes];
    let counts = train.class_counts();
    for i in 0..train.len() {
        for (s, &p) in sums[train.labels[i] as usize]
            .iter_mut()
            .zip(train.image(i))
        {
            *s += f64::from(p);
        }
    }
    let means: Vec<Vec<f64>> = sums
        .into_iter()
        .zip(&counts)
        .map(|(s, &n)| s.into_iter().map(|v| v / n.max(1) as f64).collect())
        .collect();
    let correct = (0..test.len())
        .filter(|&i| {
            let img = test.image(i);
            let best = (0..means.len())
                .filter(|&c| counts[c] > 0)
                .min_by(|&a, &b| {
                    let d = |c: usize| -> f64 {
                        means[c]
                            .iter()
                            .zip(img)
                            .map(|(m, &p)| (m - f64::from(p)).abs())
                            .sum()
                    };
                    d(a).total_cmp(&d(b))
                })
                .unwrap();
            best == test.labels[i] as usize
        })
        .count();
    correct as f64 / test.len() as f64
}

fn assert_balanced(ds: &Dataset, per_class: usize) {
    assert!(
        ds.class_counts().iter().all(|&c| c == per_class),
        "{:?}",
        ds.class_counts()
    );
}

#[test]
fn cifar10_writes_and_loads_back() {
    let root = tempfile::tempdir().unwrap();
    let d = root.path().join("cifar-10-batches-bin");
    write_cifar10(&d, 103, 20, 7).unwrap();
    for k in 1..=5 {
        assert!(d.join(format!("data_batch_{k}.bin")).is_file());
    }
    let meta = std::fs::read_to_string(d.join("batches.meta.txt")).unwrap();
    assert_eq!(meta.lines().next(), Some("airplane"));
    let (train, test) = load_cifar10(root.path()).unwrap();
    assert_eq!((train.len(), test.len()), (103, 20));
    assert_eq!(
        (train.channels, train.height, train.width, train.num_classes),
        (3, 32, 32, 10)
    );
    assert_balanced(&test, 2);
    assert!(nearest_mean_accuracy(&train, &test) > 0.9);
    // Same seed, same bytes; another seed, other bytes.
    let again = tempfile::tempdir().unwrap();
    write_cifar10(again.path(), 103, 20, 7).unwrap();
    assert_eq!(load_cifar10(again.path()).unwrap().0, train);
    write_cifar10(again.path(), 103, 20, 8).unwrap();
    assert_ne!(load_cifar10(again.path()).unwrap().0, train);
    assert!(write_cifar10(again.path(), 4, 20, 7).is_err());
}

#[test]
fn cifar100_writes_and_loads_back() {
    let d = tempfile::tempdir().unwrap();
    write_cifar100(d.path(), 300, 200, 3).unwrap();
    let (train, test) = load_cifar100(d.path()).unwrap();
    assert_eq!(
        (train.len(), test.len(), train.num_classes),
        (300, 200, 100)
    );
    assert_balanced(&train, 3);
    assert_balanced(&test, 2);
    assert!(nearest_mean_accuracy(&train, &test) > 0.9);
}

#[test]
fn mnist_idx_writes_and_loads_back() {
    let d = tempfile::tempdir().unwrap();
    write_mnist_idx(d.path(), 50, 30, 1).unwrap();
    assert!(d.path().join("train-images-idx3-ubyte.gz").is_file());
    let (train, test) = load_mnist_dir(d.path()).unwrap();
    assert_eq!((train.len(), test.len()), (50, 30));
    assert_eq!((train.channels, train.height, train.width), (1, 28, 28));
    assert_balanced(&train, 5);
    assert!(nearest_mean_accuracy(&train, &test) > 0.9);
}

#[test]
fn tiny_imagenet_writes_200_classes_and_loads_back_fast() {
    let root = tempfile::tempdir().unwrap();
    let d = root.path().join("tiny-imagenet-200");
    let t = Instant::now();
    write_tiny_imagenet(&d, 2, 1, 200, 5).unwrap();
    let (train, test) = load_tiny_imagenet(root.path()).unwrap();
    let took = t.elapsed().as_secs_f64();
    assert_eq!(
        (train.len(), test.len(), train.num_classes),
        (400, 200, 200)
    );
    assert_eq!((train.channels, train.height, train.width), (3, 64, 64));
    assert_balanced(&train, 2);
    assert_balanced(&test, 1);
    assert!(d.join("val/val_annotations.txt").is_file());
    assert!(d.join("train/n00000007/n00000007_boxes.txt").is_file());
    // JPEG is lossy; the class structure survives it.
    assert!(nearest_mean_accuracy(&train, &test) > 0.9);
    assert!(took < 10.0, "write + load took {took:.1} s");
}

#[test]
fn one_root_serves_every_data_set() {
    let root = tempfile::tempdir().unwrap();
    let sizes = TreeSizes {
        n_train: 20,
        n_test: 10,
        tiny_train_per_class: 1,
        tiny_val_per_class: 1,
    };
    write_standard_tree(root.path(), sizes, 2).unwrap();
    for f in Format::ALL {
        let d = load_dir(root.path(), f).unwrap();
        assert_eq!(d.dir, root.path().join(f.dir_name()));
        let shape = [d.train.channels, d.train.height, d.train.width];
        assert_eq!(shape, f.image_shape(), "{f:?}");
        let n = if f == Format::TinyImagenet { 200 } else { 20 };
        assert_eq!(d.train.len(), n, "{f:?}");
    }
}

#[test]
fn class_structured_images_are_seeded_and_balanced() {
    let a = class_structured(40, [1, 28, 28], 10, 1, 0);
    assert_eq!(a, class_structured(40, [1, 28, 28], 10, 1, 0));
    assert_ne!(a.pixels, class_structured(40, [1, 28, 28], 10, 1, 1).pixels);
    a.check().unwrap();
    assert_balanced(&a, 4);
    let b = class_structured(40, [1, 28, 28], 10, 1, 1);
    assert!(nearest_mean_accuracy(&a, &b) > 0.9);
}
