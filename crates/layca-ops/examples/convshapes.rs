//! Per-pass timings of 3×3 stride-1 "same" convolutions (forward, kernel gradient, input
//! gradient; the kernels called directly on slices), batch 128, at the paper's C10-CNN1
//! shapes by default: `cargo run --release -p layca-ops --example convshapes [c:o:hw ...]`.
//! The median of 7 calls of each; GFLOP/s over all threads. `convshapes.py` beside this file
//! times PyTorch's convolutions the same way. Each call allocates its output: with glibc's
//! default malloc those are fresh pages every time, so run it with
//! `GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824`
//! (docs/bench/profile.md did) to time the kernels rather than the page faults.
use std::time::Instant;

use layca_ops::bench::Same3x3;

fn median(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut t: Vec<f64> = (0..reps)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[reps / 2]
}

fn vals(len: usize, seed: u32) -> Vec<f32> {
    (0..len)
        .map(|i| {
            ((i as u32).wrapping_mul(2654435761).wrapping_add(seed) >> 16) as f32 / 32768.0 - 1.0
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let shapes: Vec<(usize, usize, usize)> = if args.is_empty() {
        vec![
            (3, 32, 32),
            (32, 32, 32),
            (32, 64, 16),
            (64, 64, 16),
            (64, 128, 8),
            (128, 128, 8),
            (128, 256, 4),
            (256, 256, 4),
        ]
    } else {
        args.iter()
            .map(|a| {
                let v: Vec<usize> = a.split(':').map(|x| x.parse().expect("c:o:hw")).collect();
                (v[0], v[1], v[2])
            })
            .collect()
    };
    let n = 128;
    println!("shape            fwd ms    dW ms    dx ms   (GFLOP/s: fwd dW dx)");
    let mut total = 0.0;
    for (c, o, hw) in shapes {
        let g = Same3x3::new(n, c, o, hw);
        let x = vals(n * c * hw * hw, 1);
        let w = vals(o * c * 9, 2);
        let dy = vals(n * o * hw * hw, 3);
        let fwd = median(7, || drop(std::hint::black_box(g.forward(&x, &w))));
        let dw = median(7, || drop(std::hint::black_box(g.kernel_grad(&x, &dy))));
        let dx = median(7, || drop(std::hint::black_box(g.input_grad(&dy, &w))));
        total += fwd + dw + dx;
        let flop = 2.0 * (n * o * c * 9 * hw * hw) as f64 / 1e9;
        println!(
            "{c:>3}->{o:<3} {hw:>2}x{hw:<2} {:>8.2} {:>8.2} {:>8.2}   ({:.0} {:.0} {:.0})",
            fwd * 1e3,
            dw * 1e3,
            dx * 1e3,
            flop / fwd,
            flop / dw,
            flop / dx
        );
    }
    println!("total {:.1} ms", total * 1e3);
}
