//! Every device-generic check as a `_cpu` and a `_cuda` test (the `_cuda` ones print
//! `SKIPPED ...: why` without the `cuda` feature or a GPU).
use layca_checks::{checks, test_device};

test_device!(
    checks::max_pool_first_max,
    max_pool_first_max_cpu,
    max_pool_first_max_cuda
);
test_device!(
    checks::c10_cnn1_fast_vs_stock,
    c10_cnn1_fast_vs_stock_cpu,
    c10_cnn1_fast_vs_stock_cuda
);
test_device!(
    checks::resnet32_fast_vs_stock,
    resnet32_fast_vs_stock_cpu,
    resnet32_fast_vs_stock_cuda
);
test_device!(
    checks::finite_differences,
    finite_differences_cpu,
    finite_differences_cuda
);
test_device!(
    checks::optimizer_conformance,
    optimizer_conformance_cpu,
    optimizer_conformance_cuda
);
test_device!(
    checks::rotation_reductions_f64,
    rotation_reductions_f64_cpu,
    rotation_reductions_f64_cuda
);
test_device!(
    checks::engine_store_resume,
    engine_store_resume_cpu,
    engine_store_resume_cuda
);

/// The registry `xtask selftest` runs holds exactly the checks tested here.
#[test]
fn registry_lists_every_check() {
    let names: Vec<&str> = layca_checks::CHECKS.iter().map(|c| c.name).collect();
    assert_eq!(
        names,
        [
            "max_pool_first_max",
            "c10_cnn1_fast_vs_stock",
            "resnet32_fast_vs_stock",
            "finite_differences",
            "optimizer_conformance",
            "rotation_reductions_f64",
            "engine_store_resume"
        ]
    );
}
