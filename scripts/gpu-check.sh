#!/usr/bin/env bash
# The CUDA check on a GPU machine that has the NVIDIA driver and PyTorch (with its nvidia
# wheels) but no Rust and no network. At most ~8 minutes. Needs only this repository's scripts
# and the binary built by scripts/cuda-build.sh (dist/xtask-cuda.xz).
#
#   scripts/gpu-check.sh [dist/xtask-cuda.xz]
#
# With the project's device tool (the working tree is copied; the xz binary is ignored by git,
# so carry it):   run(command="scripts/gpu-check.sh", carry=["dist/xtask-cuda.xz"], timeout_s=540)
#
# Steps: unpack the binary; find libcuda.so.1 (the driver) and PyTorch's nvidia libraries
# (cuBLAS, cuRAND, cudart, cuDNN) for LD_LIBRARY_PATH; then, each under its own timeout:
#   1. `xtask selftest --device cuda`      (the device-generic checks, PASS/FAIL per check)
#   2. `xtask bench --device cuda`          (training step vs PyTorch CUDA eager, same run)
#   3. `xtask selftest --device cuda --epoch-timing`  (one paper-scale epoch per CIFAR task
#      on generated data: full for c100-resnet, extrapolated from $EPOCH_STEPS steps for the rest)
# Results go to $OUT (default: ./gpu-check-out): summary.txt, selftest.txt, bench.txt,
# bench.json, epochs.txt, nvidia-smi.txt. Exit status: 0 all green, 1 a step failed, 2 this
# machine cannot run the check (no driver, no PyTorch, missing libraries).
#
# Environment: OUT, PYTHON (default python3), EPOCH_STEPS (default 100), T_SELFTEST (150),
# T_BENCH (150), T_EPOCHS (150): seconds per step.
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
bin_xz=${1:-$repo/dist/xtask-cuda.xz}
out=${OUT:-$repo/gpu-check-out}
python=${PYTHON:-python3}
epoch_steps=${EPOCH_STEPS:-100}
mkdir -p "$out"
summary=$out/summary.txt
: >"$summary"
say() { echo "$*" | tee -a "$summary"; }
die() { say "gpu-check: $*"; exit 2; }
t_start=$SECONDS

unpack() {
  [[ -f $bin_xz ]] || die "binary $bin_xz not found (build it with scripts/cuda-build.sh; carry it)"
  work=$(mktemp -d)
  xz -dc "$bin_xz" >"$work/xtask" || die "cannot unpack $bin_xz"
  chmod +x "$work/xtask"
  xtask=$work/xtask
}

find_driver() { # libcuda.so.1 comes with the NVIDIA driver, never with this binary
  if ! ldconfig -p 2>/dev/null | grep -q 'libcuda\.so\.1 '; then
    local d found=""
    for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/local/nvidia/lib64 /usr/lib/wsl/lib; do
      [[ -e $d/libcuda.so.1 ]] && found=$d
    done
    [[ -n $found ]] || die "no NVIDIA driver here (libcuda.so.1 not found): cannot run the CUDA binary"
    export LD_LIBRARY_PATH="$found${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  fi
  nvidia-smi >"$out/nvidia-smi.txt" 2>&1 || true
  say "driver: $(grep -m1 -oE 'Driver Version: [0-9.]+' "$out/nvidia-smi.txt" || echo unknown)"
}

find_torch_libs() { # PyTorch's nvidia wheels hold cuBLAS, cuRAND, cudart, cuDNN
  local dirs
  dirs=$("$python" - <<'EOF' 2>/dev/null
import glob, os
import torch
roots = [os.path.dirname(torch.__file__)]
try:
    import nvidia
    roots += list(nvidia.__path__)
except ImportError:
    pass
libs = set()
for r in roots:
    for f in glob.glob(os.path.join(r, "**", "lib*.so*"), recursive=True):
        libs.add(os.path.dirname(f))
print(":".join(sorted(libs)))
EOF
  ) || die "$python cannot import torch (set PYTHON to an interpreter with PyTorch)"
  export LD_LIBRARY_PATH="$dirs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  local missing
  missing=$(ldd "$xtask" | awk '/not found/ {print $1}' | tr '\n' ' ')
  [[ -z $missing ]] || die "libraries not found for the binary: $missing(LD_LIBRARY_PATH=$LD_LIBRARY_PATH)"
  say "torch: $("$python" -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())')"
}

status=0
step() { # step NAME SECONDS FILE CMD...: run with a timeout, keep its output, record the result
  local name=$1 limit=$2 file=$3 t0=$SECONDS rc
  shift 3
  timeout --kill-after=10 "$limit" "$@" >"$file" 2>&1
  rc=$?
  tail -n 40 "$file"
  case $rc in
    0) say "== $name: ok ($((SECONDS - t0)) s)" ;;
    124 | 137) say "== $name: TIMED OUT after ${limit} s (partial output in $file)"; status=1 ;;
    *) say "== $name: FAILED (exit $rc, $((SECONDS - t0)) s; see $file)"; status=1 ;;
  esac
}

unpack
find_driver
find_torch_libs
say "binary: $bin_xz, results: $out"

step selftest "${T_SELFTEST:-150}" "$out/selftest.txt" "$xtask" selftest --device cuda
step bench "${T_BENCH:-150}" "$out/bench.txt" "$xtask" bench --device cuda --steps 10 \
  --python "$python" --torch-script "$repo/xtask/scripts/bench_torch.py" --out "$out/bench.json"
step epochs "${T_EPOCHS:-150}" "$out/epochs.txt" bash -c "
  '$xtask' selftest --device cuda --epoch-timing --tasks c100-resnet &&
  '$xtask' selftest --device cuda --epoch-timing --max-steps $epoch_steps \
    --tasks c10-cnn1,c10-cnn2,c100-wrn,c10-resnet110"

grep -hE '^(PASS|FAIL|selftest on)' "$out/selftest.txt" >>"$summary" 2>/dev/null
sed -n '/^one training step/,$p' "$out/bench.txt" >>"$summary" 2>/dev/null
grep -vE '^\s*$|INFO|WARN' "$out/epochs.txt" >>"$summary" 2>/dev/null
say "gpu-check: total $((SECONDS - t_start)) s, status $status"
exit $status
