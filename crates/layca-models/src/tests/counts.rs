//! Acceptance 1 / 4: L, kernel parameter counts (spec §3) and kernel order.

use crate::{summary, Arch};

/// (arch, L, kernel params) from spec §3.1–3.7.
const EXPECTED: [(Arch, usize, usize); 7] = [
    (Arch::C10Cnn1, 25, 4_307_296),
    (Arch::Resnet32, 34, 470_192),
    (Arch::TinyCnn, 11, 4_812_640),
    (Arch::C10Cnn2, 15, 14_977_728),
    (Arch::Wrn28_10, 29, 36_518_832),
    (Arch::Resnet110, 112, 1_722_416),
    (Arch::MnistMlp, 2, 622_496),
];

#[test]
fn kernel_counts_match_spec() {
    for (arch, l, params) in EXPECTED {
        let s = summary(arch).unwrap();
        assert_eq!(s.num_kernels, l, "{arch:?} L");
        assert_eq!(s.kernel_params, params, "{arch:?} kernel params");
        assert_eq!(s.kernel_names.len(), l);
        let mut names = s.kernel_names.clone();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), l, "{arch:?} kernel names not unique");
        assert_eq!(s.output_shape, vec![arch.num_classes()]);
        // Only the MLP has other trainable parameters (794 biases + 1,568 BN γ/β).
        let others = if arch == Arch::MnistMlp {
            794 + 1568
        } else {
            0
        };
        assert_eq!(s.other_params, others, "{arch:?} other params");
        // Dense kernels last, convs (rank 4) before.
        let last = s.kernel_shapes.last().unwrap();
        assert_eq!(last.len(), 2);
        assert_eq!(last[1], arch.num_classes());
    }
}

#[test]
fn residual_kernel_order_and_l2_exemption() {
    let s = summary(Arch::Resnet32).unwrap();
    // Input conv, stage 0 (5 blocks × 2), then stage 1 block 0: a, b, shortcut.
    assert_eq!(s.kernel_names[0], "conv_in");
    assert_eq!(s.kernel_names[10], "s0b4_b");
    assert_eq!(&s.kernel_names[11..14], ["s1b0_a", "s1b0_b", "s1b0_short"]);
    assert_eq!(s.kernel_shapes[13], vec![32, 16, 1, 1]);
    assert_eq!(s.kernel_names[33], "dense");
    assert_eq!(s.l2_exempt, vec!["dense".to_string()]);
    let s = summary(Arch::Resnet110).unwrap();
    assert_eq!(s.l2_exempt, vec!["dense".to_string()]);
    assert_eq!(s.kernel_shapes[111], vec![64, 10]);

    let w = summary(Arch::Wrn28_10).unwrap();
    assert_eq!(
        &w.kernel_names[..4],
        ["conv_in", "s0b0_conv1", "s0b0_conv2", "s0b0_short"]
    );
    assert_eq!(w.kernel_shapes[3], vec![160, 16, 1, 1]);
    assert_eq!(
        &w.kernel_names[10..13],
        ["s1b0_conv1", "s1b0_conv2", "s1b0_short"]
    );
    assert!(w.l2_exempt.is_empty());

    let c = summary(Arch::C10Cnn2).unwrap();
    assert_eq!(&c.kernel_names[13..], ["dense0", "densef"]);
    assert_eq!(c.kernel_shapes[13], vec![512, 512]);
    let m = summary(Arch::MnistMlp).unwrap();
    assert_eq!(m.kernel_names, ["dense0", "densef"]);
}
