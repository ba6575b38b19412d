#!/usr/bin/env bash
# Installs the Debian 12 packages ssecast builds, tests and runs with.
# Idempotent: when everything is present it only checks and returns.
set -euo pipefail

PACKAGES=(
  bazel-bootstrap bazel-rules-java bazel-platforms
  g++ pkg-config
  clang-14 libclang-rt-14-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libcpp-httplib-dev libgtest-dev libgmock-dev
  libhiredis-dev redis-server libssl-dev
  # tcmalloc, the server's allocator (bazel/system.BUILD)
  libgoogle-perftools-dev
  redis-sentinel
  curl
  # the openssl CLI: certificates for the TLS tests and keys for the
  # identity recipe (README, "In the browser")
  openssl
  chromium
  # The nginx recipe's test (TLS, HTTP/2 in front) and its certificate.
  nginx
  # systemd-analyze, for the check of deploy/systemd/ssecast.service.
  systemd
  # Metrics (the library, and the server the metrics test scrapes with).
  prometheus-cpp-dev prometheus
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done
# Node may come from elsewhere than Debian; only a machine without it needs
# Debian's.
if ! command -v node >/dev/null; then missing+=(nodejs npm); fi

if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "setup: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# playwright-core for the browser tests (tests/browser), at the version its
# package-lock.json pins. It drives the Debian chromium above; it never
# downloads a browser of its own. It needs Node >= 20 (--engine-strict says
# so plainly on an older one).
BROWSER_TESTS="$(cd "$(dirname "${BASH_SOURCE[0]}")/../tests/browser" && pwd)"
if [ ! -d "$BROWSER_TESTS/node_modules/playwright-core" ]; then
  echo "setup: npm ci in $BROWSER_TESTS" >&2
  npm ci --prefix "$BROWSER_TESTS" --engine-strict --no-audit --no-fund >&2
fi
