#!/usr/bin/env bash
# System packages gendice uses when present. Everything here is optional for the library itself:
# each missing piece has a pure-JS fallback. redis-server is for the queue tests (test/study/queue*), which
# start their own; CI fails them when it is missing. Runs as root on Debian; elsewhere it only reports.
set -uo pipefail
pkgs=(libdnnl-dev g++ make python3 chromium fonts-dejavu-core redis-server)
if [ "${#pkgs[@]}" -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  missing=()
  for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ "${#missing[@]}" -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
      || echo "setup-system: could not install ${missing[*]}; gendice will use its fallbacks" >&2
  fi
else
  echo "setup-system: not root or no apt-get; skipping system packages (${pkgs[*]})" >&2
fi
exit 0
