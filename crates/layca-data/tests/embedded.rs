//! Acceptance point 4: the embedded MNIST subset and its seeded, class-balanced, disjoint split.

use layca_data::{embedded_mnist, embedded_mnist_split, DataError, Normalizer};
use std::collections::HashMap;

/// Per-class counts documented in assets/mnist-10k/PROVENANCE.md.
const PROVENANCE_COUNTS: [usize; 10] = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

#[test]
fn embedded_mnist_matches_provenance() {
    let ds = embedded_mnist().unwrap();
    assert_eq!(ds.len(), 10_000);
    assert_eq!(
        (ds.channels, ds.height, ds.width, ds.num_classes),
        (1, 28, 28, 10)
    );
    assert_eq!(ds.pixels.len(), 10_000 * 784);
    assert_eq!(ds.class_counts(), PROVENANCE_COUNTS.to_vec());
    // MNIST digits: black background, at least some fully white pixels.
    assert_eq!(*ds.pixels.iter().min().unwrap(), 0);
    assert_eq!(*ds.pixels.iter().max().unwrap(), 255);
}

/// Multiset key of an image (pixels + label) to check disjointness / coverage.
fn key(ds: &layca_data::Dataset, i: usize) -> (Vec<u8>, u32) {
    (ds.image(i).to_vec(), ds.labels[i])
}

#[test]
fn embedded_split_is_balanced_deterministic_and_disjoint() {
    let full = embedded_mnist().unwrap();
    let (train, test) = embedded_mnist_split(500, 7).unwrap();
    assert_eq!(train.class_counts(), vec![500; 10]);
    let expected_test: Vec<usize> = PROVENANCE_COUNTS.iter().map(|c| c - 500).collect();
    assert_eq!(test.class_counts(), expected_test);
    assert_eq!(train.len() + test.len(), 10_000);

    // Deterministic for a seed; another seed picks other images.
    let (train2, test2) = embedded_mnist_split(500, 7).unwrap();
    assert_eq!(train, train2);
    assert_eq!(test, test2);
    let (train3, _) = embedded_mnist_split(500, 8).unwrap();
    assert_ne!(train.pixels, train3.pixels);

    // Disjoint and covering: train ⊎ test equals the full set as a multiset of (image, label).
    let mut counts: HashMap<(Vec<u8>, u32), i64> = HashMap::new();
    for i in 0..full.len() {
        *counts.entry(key(&full, i)).or_default() += 1;
    }
    for i in 0..train.len() {
        *counts.entry(key(&train, i)).or_default() -= 1;
    }
    for i in 0..test.len() {
        *counts.entry(key(&test, i)).or_default() -= 1;
    }
    assert!(counts.values().all(|&c| c == 0));
}

#[test]
fn embedded_split_rejects_too_many_per_class() {
    // Digit 5 has only 863 images.
    let err = embedded_mnist_split(864, 0).unwrap_err();
    assert!(matches!(err, DataError::Config { .. }), "{err}");
    assert!(err.to_string().contains("class 5"), "{err}");
    assert!(embedded_mnist_split(863, 0).is_ok());
}

#[test]
fn normalizer_on_embedded_train_is_mnist_like() {
    let (train, _) = embedded_mnist_split(500, 1).unwrap();
    let n = Normalizer::fit(&train);
    // Full MNIST training set: mean 33.32, std 78.57 (x/255: 0.1307, 0.3081); a 5,000-image
    // subset lies within a couple of units of that.
    assert!((n.mean - 33.3).abs() < 2.0, "{n:?}");
    assert!((n.std - 78.6).abs() < 2.0, "{n:?}");
}
