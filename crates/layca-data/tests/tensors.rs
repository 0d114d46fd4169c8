//! Normalisation, tensors, batches, the validation split and the per-epoch batch order.

use candle_core::{DType, Device};
use layca_data::{
    epoch_batches, epoch_batches_full, DataError, Dataset, Normalizer, TensorDataset,
};

fn ds(pixels: Vec<u8>, labels: Vec<u32>, c: usize, h: usize, w: usize) -> Dataset {
    Dataset {
        pixels,
        labels,
        channels: c,
        height: h,
        width: w,
        num_classes: 4,
    }
}

#[test]
fn normalizer_is_scalar_population_mean_std() {
    // Pixels 0, 2, 4, 6 (two images of 1×1×2): mean 3, population variance
    // (9 + 1 + 1 + 9) / 4 = 5 (numpy x.std(), ddof = 0).
    let d = ds(vec![0, 2, 4, 6], vec![0, 1], 1, 1, 2);
    let n = Normalizer::fit(&d);
    assert_eq!(n.mean, 3.0);
    assert!((n.std - 5f32.sqrt()).abs() < 1e-6);
    // Over all channels together: 3 channels of one pixel.
    let n = Normalizer::fit(&ds(vec![10, 20, 30], vec![0], 3, 1, 1));
    assert_eq!(n.mean, 20.0);
    assert!((n.std - (200.0f32 / 3.0).sqrt()).abs() < 1e-5);
}

#[test]
fn tensor_dataset_normalises_and_gathers() {
    let d = ds(vec![0, 2, 4, 6, 8, 10], vec![3, 1, 2], 1, 1, 2);
    let norm = Normalizer {
        mean: 4.0,
        std: 2.0,
    };
    let t = TensorDataset::new(&d, norm, &Device::Cpu).unwrap();
    assert_eq!(t.len(), 3);
    assert_eq!(t.images.dims(), &[3, 1, 1, 2]);
    assert_eq!(t.images.dtype(), DType::F32);
    assert_eq!(t.labels.dtype(), DType::U32);
    let v = t.images.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    assert_eq!(v, vec![-2.0, -1.0, 0.0, 1.0, 2.0, 3.0]);
    let (x, y) = t.batch(&[2, 0], None).unwrap();
    assert_eq!(
        x.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
        vec![2.0, 3.0, -2.0, -1.0]
    );
    assert_eq!(y.to_vec1::<u32>().unwrap(), vec![2, 3]);
    // Out-of-range index and a zero std are errors, not panics.
    assert!(matches!(t.batch(&[3], None), Err(DataError::Config { .. })));
    let flat = Normalizer::fit(&ds(vec![5, 5], vec![0], 1, 1, 2));
    assert_eq!(flat.std, 0.0);
    assert!(TensorDataset::new(&d, flat, &Device::Cpu).is_err());
}

#[test]
fn epoch_batches_are_seeded_permutations_with_partial_last_batch() {
    // 45,000 → 351 × 128 + 1 × 72 (spec §1.2); MNIST 10,000 @ 2048 → 4 × 2048 + 1808.
    let b = epoch_batches(45_000, 128, 1, 0);
    assert_eq!(b.len(), 352);
    assert!(b[..351].iter().all(|x| x.len() == 128));
    assert_eq!(b[351].len(), 72);
    let mut all: Vec<usize> = b.concat();
    all.sort_unstable();
    assert_eq!(all, (0..45_000).collect::<Vec<_>>());
    let sizes: Vec<usize> = epoch_batches(10_000, 2048, 5, 3)
        .iter()
        .map(Vec::len)
        .collect();
    assert_eq!(sizes, vec![2048, 2048, 2048, 2048, 1808]);

    // Depends on (seed, epoch) only: same inputs → same batches (a resumed run reproduces
    // them); other epoch or seed → another order.
    assert_eq!(
        epoch_batches(1000, 100, 7, 4),
        epoch_batches(1000, 100, 7, 4)
    );
    assert_ne!(
        epoch_batches(1000, 100, 7, 4),
        epoch_batches(1000, 100, 7, 5)
    );
    assert_ne!(
        epoch_batches(1000, 100, 7, 4),
        epoch_batches(1000, 100, 8, 4)
    );
    // Really shuffled.
    assert_ne!(
        epoch_batches(1000, 1000, 7, 0)[0],
        (0..1000).collect::<Vec<_>>()
    );

    // Full batches only (augmented tasks: 45000 // 128 = 351 steps).
    let f = epoch_batches_full(45_000, 128, 1, 0);
    assert_eq!(f.len(), 351);
    assert_eq!(f, b[..351].to_vec());
    assert!(epoch_batches(0, 128, 1, 0).is_empty());
}

#[test]
fn validation_split_is_seeded_ten_percent() {
    let n = 50;
    let d = ds(
        (0..n as u8).collect(),
        (0..n as u32).map(|i| i % 4).collect(),
        1,
        1,
        1,
    );
    let (train, val) = d.split_validation(0.1, 1).unwrap();
    assert_eq!((train.len(), val.len()), (45, 5));
    // Disjoint and covering (pixel = original index here).
    let mut all: Vec<u8> = train.pixels.iter().chain(&val.pixels).copied().collect();
    all.sort_unstable();
    assert_eq!(all, (0..n as u8).collect::<Vec<_>>());
    // Labels travel with their images.
    for (p, l) in train.pixels.iter().zip(&train.labels) {
        assert_eq!(*p as u32 % 4, *l);
    }
    assert_eq!(d.split_validation(0.1, 1).unwrap(), (train.clone(), val));
    assert_ne!(d.split_validation(0.1, 2).unwrap().0, train);
    assert!(d.split_validation(1.5, 1).is_err());
}
