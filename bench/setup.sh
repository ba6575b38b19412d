#!/usr/bin/env bash
# Installs what the benchmark driver needs besides the Bazel-built tools:
# nginx with the nchan module (the comparison system) and python3.
# Idempotent: does nothing when everything is already there.
set -euo pipefail

need=()
command -v nginx >/dev/null 2>&1 || need+=(nginx-light)
dpkg -s libnginx-mod-nchan >/dev/null 2>&1 || need+=(libnginx-mod-nchan)
command -v python3 >/dev/null 2>&1 || need+=(python3)

if ((${#need[@]} == 0)); then
  echo "bench/setup.sh: nginx, nchan and python3 already installed"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
# The Debian package starts a system nginx on port 80; the benchmark runs its
# own instances, so keep the system one out of the way.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet nginx 2>/dev/null; then
  $SUDO systemctl stop nginx || true
fi
echo "bench/setup.sh: installed ${need[*]}"
