//! `cargo xtask models`: per task, L, kernel parameter count and ordered kernel names.
use anyhow::Result;
use layca_train::TaskId;

pub fn run() -> Result<()> {
    for task in TaskId::ALL {
        let spec = task.spec();
        let s = layca_models::summary(spec.arch)?;
        println!(
            "{:<14} {:?}: L = {}, kernel parameters = {}",
            task.name(),
            spec.arch,
            s.num_kernels,
            s.kernel_params
        );
        println!("  kernels: {}", s.kernel_names.join(", "));
    }
    Ok(())
}
