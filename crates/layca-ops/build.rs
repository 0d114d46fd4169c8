//! With the `cuda` feature: compiles `src/cuda_kernels.cu` to PTX with `nvcc` (from `$NVCC`,
//! else `$CUDA_ROOT/bin/nvcc`, else `PATH`) for `compute_$CUDA_COMPUTE_CAP` (default 90).
//! Without it: nothing. Pin nvcc to the CUDA version of the GPU's driver (see
//! scripts/cuda-build.sh): the driver refuses PTX from a newer toolkit.
use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=src/cuda_kernels.cu");
    println!("cargo:rerun-if-env-changed=CUDA_COMPUTE_CAP");
    println!("cargo:rerun-if-env-changed=NVCC");
    if std::env::var_os("CARGO_FEATURE_CUDA").is_none() {
        return;
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("layca_kernels.ptx");
    let cap = std::env::var("CUDA_COMPUTE_CAP").unwrap_or_else(|_| "90".into());
    let cap: String = cap.chars().filter(char::is_ascii_digit).collect();
    let nvcc = nvcc();
    let status = Command::new(&nvcc)
        .args(["--ptx", "-O3", "-std=c++17"])
        .arg(format!("-arch=compute_{cap}"))
        .arg("-o")
        .arg(&out)
        .arg("src/cuda_kernels.cu")
        .status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => panic!("layca-ops: `{}` failed on src/cuda_kernels.cu ({s})", nvcc.display()),
        Err(e) => panic!(
            "layca-ops: cannot run `{}` ({e}); the `cuda` feature needs nvcc (scripts/cuda-build.sh)",
            nvcc.display()
        ),
    }
}

fn nvcc() -> PathBuf {
    if let Some(p) = std::env::var_os("NVCC") {
        return p.into();
    }
    for var in ["CUDA_ROOT", "CUDA_PATH", "CUDA_HOME"] {
        if let Some(root) = std::env::var_os(var) {
            let p = PathBuf::from(root).join("bin/nvcc");
            if p.exists() {
                return p;
            }
        }
    }
    "nvcc".into()
}
