#!/usr/bin/env bash
# Build the CUDA xtask on a machine WITHOUT a GPU, and pack it for the GPU machine.
#
#   scripts/cuda-build.sh            # features: cuda,cudnn
#   FEATURES=cuda scripts/cuda-build.sh
#
# Steps (each skipped when already done, so re-runs are fast):
#   1. a Python venv with NVIDIA's PyPI wheels, pinned to CUDA 13.0 (the GPU machine's driver,
#      580, supports PTX up to CUDA 13.0: newer nvcc output would be refused at module load);
#   2. a directory of unversioned symlinks (the wheels ship only libcublas.so.13, ...);
#   3. a libcuda stub (no driver here): one function per driver-API symbol of cuda.h, each
#      returning CUDA_ERROR_STUB_LIBRARY (34); only used to link, never shipped;
#   4. `cargo build --release -p xtask --features $FEATURES` with CUDARC_CUDA_VERSION=13000 and
#      CUDA_COMPUTE_CAP=90 (H200);
#   5. strip the binary and write dist/xtask-cuda.xz (what scripts/gpu-check.sh unpacks);
#   6. print the time of each step.
#
# Environment: CUDA_VENV (default ~/.cache/layca/cuda-13.0), CARGO_TARGET_DIR (default target),
# FEATURES (default cuda,cudnn), PYTHON (default python3). Needs network for the first run only.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
venv=${CUDA_VENV:-$HOME/.cache/layca/cuda-13.0}
target=${CARGO_TARGET_DIR:-$repo/target}
features=${FEATURES:-cuda,cudnn}
python=${PYTHON:-python3}
dist=$repo/dist

# Pinned CUDA 13.0 toolkit (the same minor as the driver; versions from PyPI).
wheels=(
  nvidia-cuda-nvcc==13.0.88
  nvidia-cuda-crt==13.0.88
  nvidia-nvvm==13.0.88
  nvidia-cuda-runtime==13.0.96
  nvidia-cuda-cccl==13.0.85
  nvidia-cuda-nvrtc==13.0.88
  nvidia-curand==10.4.0.35
  nvidia-cublas==13.0.0.19
)
[[ $features == *cudnn* ]] && wheels+=(nvidia-cudnn-cu13==9.13.0.50)

timings=()
step() { # step NAME CMD...: run CMD, record its wall time
  local name=$1 t0=$SECONDS
  shift
  "$@"
  timings+=("$(printf '%-10s %4d s' "$name" $((SECONDS - t0)))")
}

install_wheels() {
  local stamp="$venv/.layca-wheels"
  if [[ -f $stamp && $(cat "$stamp") == "${wheels[*]}" ]]; then
    echo "toolkit: already installed in $venv"
    return
  fi
  [[ -x $venv/bin/python ]] || "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${wheels[@]}"
  echo "${wheels[*]}" >"$stamp"
}

cu13_dir() {
  "$venv/bin/python" -c 'import nvidia, os; print(os.path.join(list(nvidia.__path__)[0], "cu13"))'
}

link_unversioned() { # <wheel>/lib/*.so.N -> links/*.so (cu13/ and cudnn/ ship only .so.N)
  mkdir -p "$links"
  local f base
  for f in "$cu13"/lib/lib*.so.* "$(dirname "$cu13")"/*/lib/lib*.so.*; do
    [[ -e $f ]] || continue
    base=$(basename "$f")
    base=${base%%.so.*}.so
    [[ -e $links/$base ]] || ln -s "$f" "$links/$base"
  done
}

make_stub() { # stub/libcuda.so from the driver API declared in cuda.h
  local so=$stub/libcuda.so
  [[ -f $so ]] && return
  mkdir -p "$stub"
  { gcc -E -P -I"$cu13/include" "$cu13/include/cuda.h" |
      grep -oE '\bcu[A-Z][A-Za-z0-9_]*[[:space:]]*\(' | tr -d ' ('
    printf '%s\n' cuProfilerInitialize cuProfilerStart cuProfilerStop; } | sort -u |
    awk '{ printf "int %s(void) { return 34; }\n", $1 }' >"$stub/stub.c"
  gcc -shared -fPIC -o "$so" "$stub/stub.c" -Wl,-soname,libcuda.so.1
  ln -sf libcuda.so "$stub/libcuda.so.1"
  echo "stub: $(grep -c '' "$stub/stub.c") symbols in $so"
}

check_stub_covers_cudarc() { # every cu* symbol cudarc references must be in the stub
  local rlib missing
  rlib=$(ls -t "$target"/release/deps/libcudarc-*.rlib 2>/dev/null | head -1 || true)
  [[ -n $rlib ]] || return 0
  missing=$(comm -23 \
    <(nm -u "$rlib" 2>/dev/null | grep -oE '\bcu[A-Z][A-Za-z0-9_]*$' | sort -u) \
    <(nm -D --defined-only "$stub/libcuda.so" | awk '{print $3}' | sort -u) |
    grep -vE '^(cublas|curand|cudnn|cudart|cuda[A-Z])' || true)
  if [[ -n $missing ]]; then
    echo "stub misses driver symbols referenced by cudarc:" >&2
    echo "$missing" >&2
    exit 1
  fi
}

build() {
  (cd "$repo" && cargo build --release -p xtask --features "$features")
}

pack() {
  mkdir -p "$dist"
  strip -o "$dist/xtask-cuda" "$target/release/xtask"
  xz -6 -T0 -c "$dist/xtask-cuda" >"$dist/xtask-cuda.xz.tmp"
  mv "$dist/xtask-cuda.xz.tmp" "$dist/xtask-cuda.xz"
  rm "$dist/xtask-cuda"
  ls -l "$dist/xtask-cuda.xz"
}

step toolkit install_wheels
cu13=$(cu13_dir)
links=$venv/links
stub=$venv/stub
step links link_unversioned
step stub make_stub

export PATH="$cu13/bin:$PATH"
export CUDA_ROOT=$cu13 CUDA_PATH=$cu13 CUDA_HOME=$cu13
export CUDARC_CUDA_VERSION=13000 CUDA_COMPUTE_CAP=90
export LIBRARY_PATH="$links:$stub${LIBRARY_PATH:+:$LIBRARY_PATH}"
export CARGO_TARGET_DIR=$target
nvcc --version | tail -2

step build build
check_stub_covers_cudarc
step pack pack

echo "== cuda-build timings (features: $features)"
printf '%s\n' "${timings[@]}"
echo "total      $SECONDS s"
echo "binary: $dist/xtask-cuda.xz  (run it on the GPU machine with scripts/gpu-check.sh)"
