#!/usr/bin/env bash
# The benchmarks' comparison peer: Debian's python3-torch (PyTorch 1.13), run through /usr/bin/python3.
# Only `npm run bench` uses it; the library and its tests never need Python, so CI does not run this.
set -uo pipefail
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  dpkg -s python3-torch >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch >/dev/null; } \
    || { echo "setup-bench: could not install python3-torch; the benchmarks will print their PyTorch rows as unavailable" >&2; exit 1; }
  /usr/bin/python3 -c 'import torch; print("setup-bench: PyTorch", torch.__version__)'
else
  echo "setup-bench: needs root and apt-get to install python3-torch" >&2
  exit 1
fi
