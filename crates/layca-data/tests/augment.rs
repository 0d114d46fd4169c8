//! Acceptance point 3: property tests of the augmentation (spec §1.2).

use candle_core::Device;
use layca_data::augment::{apply, reflect_index, Transform, MAX_SHIFT};
use layca_data::{Dataset, Normalizer, TensorDataset};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// scipy `mode="reflect"` written out for one reflection: `d c b a | a b c d | d c b a`.
fn reflect_def(i: i64, n: i64) -> i64 {
    if i < 0 {
        -i - 1
    } else if i >= n {
        2 * n - 1 - i
    } else {
        i
    }
}

#[test]
fn reflect_matches_scipy_pattern() {
    // Spec §1.2: "d c b a | a b c d | d c b a" for the 4-sample signal a b c d.
    let signal = ['a', 'b', 'c', 'd'];
    let got: String = (-4..8).map(|i| signal[reflect_index(i, 4)]).collect();
    assert_eq!(got, "dcbaabcddcba");
    // Further out it keeps alternating with period 2n: ... a b c d | d c b a | a b c d | ...
    assert_eq!(reflect_index(-5, 4), 3);
    assert_eq!(reflect_index(8, 4), 0);
    assert_eq!(reflect_index(0, 1), 0);
    assert_eq!(reflect_index(-3, 1), 0);
}

fn image_strategy() -> impl Strategy<Value = (usize, usize, usize, Vec<f32>)> {
    (1usize..4, 5usize..12, 5usize..12).prop_flat_map(|(c, h, w)| {
        (
            Just(c),
            Just(h),
            Just(w),
            prop::collection::vec(-100.0f32..100.0, c * h * w),
        )
    })
}

fn transform_strategy() -> impl Strategy<Value = Transform> {
    (-4i32..=4, -4i32..=4, any::<bool>()).prop_map(|(dy, dx, flip)| Transform { dy, dx, flip })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn reflect_index_matches_definition(n in 1i64..40, i in -40i64..80) {
        // One reflection covers |shift| ≤ n; beyond that the definition is applied again.
        let mut j = i;
        while j < 0 || j >= n {
            j = reflect_def(j, n);
        }
        prop_assert_eq!(reflect_index(i, n as usize) as i64, j);
    }

    #[test]
    fn flip_twice_is_identity((c, h, w, img) in image_strategy()) {
        let flip = Transform { dy: 0, dx: 0, flip: true };
        let once = apply(&img, c, h, w, flip);
        let twice = apply(&once, c, h, w, flip);
        prop_assert_eq!(&twice, &img);
        // ... and one flip mirrors each row.
        for ch in 0..c {
            for y in 0..h {
                for x in 0..w {
                    let a = once[ch * h * w + y * w + x];
                    prop_assert_eq!(a, img[ch * h * w + y * w + (w - 1 - x)]);
                }
            }
        }
    }

    #[test]
    fn shift_keeps_shape_and_only_moves_pixels((c, h, w, img) in image_strategy(), t in transform_strategy()) {
        let out = apply(&img, c, h, w, t);
        prop_assert_eq!(out.len(), img.len());
        for ch in 0..c {
            let plane = &img[ch * h * w..(ch + 1) * h * w];
            for y in 0..h {
                for x in 0..w {
                    let v = out[ch * h * w + y * w + x];
                    // Every output value comes from the same channel of the input ...
                    prop_assert!(plane.contains(&v));
                    // ... from the shifted position, reflected at the borders (spec §1.2).
                    let xf = if t.flip { (w - 1 - x) as i64 } else { x as i64 };
                    let sy = reflect_def(y as i64 - t.dy as i64, h as i64);
                    let sx = reflect_def(xf - t.dx as i64, w as i64);
                    prop_assert_eq!(v, plane[sy as usize * w + sx as usize]);
                }
            }
        }
    }

    #[test]
    fn shift_border_rows_are_reflections((c, h, w, img) in image_strategy(), dy in 1i32..=4) {
        // Shifting down by dy fills rows 0..dy with input rows dy-1, ..., 0 (mirror, edge
        // sample repeated: half-sample symmetric), and rows dy.. with input rows 0.. .
        let t = Transform { dy, dx: 0, flip: false };
        let out = apply(&img, c, h, w, t);
        let dy = dy as usize;
        for ch in 0..c {
            for y in 0..h {
                let src = if y < dy { dy - 1 - y } else { y - dy };
                let o = &out[ch * h * w + y * w..ch * h * w + (y + 1) * w];
                let i = &img[ch * h * w + src * w..ch * h * w + (src + 1) * w];
                prop_assert_eq!(o, i);
            }
        }
    }

    #[test]
    fn zero_transform_is_identity((c, h, w, img) in image_strategy()) {
        prop_assert_eq!(apply(&img, c, h, w, Transform::default()), img);
    }
}

#[test]
fn transform_draw_distribution() {
    // t ~ U[-4, 4] rounded: P(0) = P(±1..±3) = 1/8 each value, P(±4) = 1/16; flip p = 0.5.
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let n = 80_000;
    let mut dx = [0usize; 9];
    let mut dy = [0usize; 9];
    let mut flips = 0;
    for _ in 0..n {
        let t = Transform::draw(&mut rng);
        assert!(t.dx.abs() as f64 <= MAX_SHIFT && t.dy.abs() as f64 <= MAX_SHIFT);
        dx[(t.dx + 4) as usize] += 1;
        dy[(t.dy + 4) as usize] += 1;
        flips += t.flip as usize;
    }
    for (k, (&a, &b)) in dx.iter().zip(&dy).enumerate() {
        let p = if k == 0 || k == 8 {
            1.0 / 16.0
        } else {
            1.0 / 8.0
        };
        // 5 binomial standard deviations (≤ 0.0059 for n = 80,000).
        for c in [a, b] {
            let f = c as f64 / n as f64;
            assert!((f - p).abs() < 0.006, "shift {}: {f} vs {p}", k as i32 - 4);
        }
    }
    assert!((flips as f64 / n as f64 - 0.5).abs() < 0.01);
}

/// Small data set: 5 images 2×6×7 with distinct pixel values.
fn small() -> Dataset {
    let (n, c, h, w) = (5, 2, 6, 7);
    Dataset {
        pixels: (0..n * c * h * w).map(|i| (i % 251) as u8).collect(),
        labels: vec![0, 1, 2, 1, 0],
        channels: c,
        height: h,
        width: w,
        num_classes: 3,
    }
}

#[test]
fn batch_augmentation_matches_host_transform() {
    let ds = small();
    let norm = Normalizer {
        mean: 100.0,
        std: 50.0,
    };
    let t = TensorDataset::new(&ds, norm, &Device::Cpu).unwrap();
    let idx = [4usize, 0, 3, 3];
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut replay = rng.clone();
    let (x, y) = t.batch(&idx, Some(&mut rng)).unwrap();
    assert_eq!(x.dims(), &[4, 2, 6, 7]);
    assert_eq!(y.to_vec1::<u32>().unwrap(), vec![0, 0, 1, 1]);
    let got = x.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let l = 2 * 6 * 7;
    let mut some_moved = false;
    for (b, &i) in idx.iter().enumerate() {
        let tr = Transform::draw(&mut replay);
        // Augmentation is applied to the normalised image (spec §1.2).
        let src: Vec<f32> = ds.image(i).iter().map(|&p| norm.apply(p)).collect();
        let want = apply(&src, 2, 6, 7, tr);
        assert_eq!(
            &got[b * l..(b + 1) * l],
            want.as_slice(),
            "image {b} ({tr:?})"
        );
        some_moved |= tr != Transform::default();
    }
    assert!(some_moved);
    // Without augmentation the batch is the plain gather.
    let (x, _) = t.batch(&idx, None).unwrap();
    let got = x.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    for (b, &i) in idx.iter().enumerate() {
        let want: Vec<f32> = ds.image(i).iter().map(|&p| norm.apply(p)).collect();
        assert_eq!(&got[b * l..(b + 1) * l], want.as_slice());
    }
}
