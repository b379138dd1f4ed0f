#!/usr/bin/env bash
# The benchmarks' comparison peer: Debian's python3-torch (PyTorch 1.13), run through /usr/bin/python3,
# with OpenBLAS. Debian's torch links the system's libblas.so.3; with only the reference BLAS (libblas3, what
# python3-torch pulls in) its transposed convolutions and matmuls are several times slower than PyTorch as its
# users run it (pip's wheels bundle MKL or OpenBLAS): the 2D U-Net step of `npm run bench -- engine` took
# 910 ms with the reference BLAS and 341 ms with OpenBLAS on this machine. libopenblas0-openmp matches
# torch's OpenMP threading and takes the libblas.so.3 alternative on install.
# Only `npm run bench` uses it; the library and its tests never need Python, so CI does not run this.
set -uo pipefail
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  need=()
  dpkg -s python3-torch >/dev/null 2>&1 || need+=(python3-torch)
  dpkg -s libopenblas0-openmp >/dev/null 2>&1 || need+=(libopenblas0-openmp)
  if [ "${#need[@]}" -gt 0 ]; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null; } \
      || { echo "setup-bench: could not install ${need[*]}; the benchmarks will print their PyTorch rows as unavailable or slow" >&2; exit 1; }
  fi
  /usr/bin/python3 -c 'import torch; print("setup-bench: PyTorch", torch.__version__)'
  echo "setup-bench: libblas.so.3 -> $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)"
else
  echo "setup-bench: needs root and apt-get to install python3-torch and OpenBLAS" >&2
  exit 1
fi
