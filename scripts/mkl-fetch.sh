#!/usr/bin/env bash
# Install Intel MKL's runtime libraries for layca-ops' `mkl` feature, from the PyPI wheel.
#
#   scripts/mkl-fetch.sh                      # → ~/.cache/layca/mkl-2025.2.0/lib/libmkl_rt.so.2
#   cargo run --release -p xtask --features mkl -- bench
#
# The feature loads libmkl_rt at run time (dlopen): nothing links against MKL, and a binary
# built with the feature runs on its own kernels where the library is absent. It looks in
# $LAYCA_MKL_LIB, else in the directory this script fills. Only the libraries libmkl_rt
# dispatches to for sgemm on x86-64 are kept (sequential threading layer, AVX2/AVX-512 and
# generic kernels): 344 MB unpacked (the whole wheel unpacks to 1.1 GB).
#
# Environment: MKL_DIR (default ~/.cache/layca/mkl-2025.2.0), PYTHON (default python3, needs
# pip). Needs the package registry (PyPI) the first time only.
set -euo pipefail

version=2025.2.0
dir=${MKL_DIR:-$HOME/.cache/layca/mkl-$version}
python=${PYTHON:-python3}
keep=(libmkl_rt libmkl_core libmkl_sequential libmkl_intel_lp64 libmkl_avx512 libmkl_avx2
  libmkl_def libmkl_mc3 libmkl_vml_avx512 libmkl_vml_def)

if [[ -e $dir/lib/libmkl_rt.so.2 ]]; then
  echo "MKL $version already in $dir/lib"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "downloading mkl==$version from PyPI ..."
"$python" -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" "mkl==$version"
wheel=$(ls "$tmp"/mkl-"$version"-*.whl)
mkdir -p "$dir.partial/lib"
for lib in "${keep[@]}"; do
  unzip -q -o -j "$wheel" "mkl-$version.data/data/lib/$lib.so.2" -d "$dir.partial/lib"
done
rm -rf "$dir"
mv "$dir.partial" "$dir"
echo "MKL $version installed in $dir/lib ($(du -sh "$dir" | cut -f1))"
echo "use it:  cargo run --release -p xtask --features mkl -- bench"
