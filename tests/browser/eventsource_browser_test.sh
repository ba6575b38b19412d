#!/usr/bin/env bash
# Runs a browser test file ($1, default eventsource_test.js) under Bazel:
# node and Chromium come from the system (bazel/setup.sh installs them),
# playwright-core from the runfiles.
set -euo pipefail

cd "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/browser"
if [ ! -d node_modules/playwright-core ]; then
  echo "playwright-core is missing from tests/browser/node_modules:" \
    "run bazel/setup.sh (it runs npm ci there) before bazel test" >&2
  exit 1
fi
export HOME="${TEST_TMPDIR}/home"
mkdir -p "${HOME}"
# Chromium puts its singleton socket under TMPDIR, and a Unix socket path
# must stay under 108 bytes: TEST_TMPDIR, deep in Bazel's output base, is
# too long. Playwright makes its fresh --user-data-dir here too.
TMPDIR="$(mktemp -d /tmp/ssecast-browser.XXXXXX)"
export TMPDIR
trap 'rm -rf "${TMPDIR}"' EXIT
# Resolve modules through the runfiles symlinks, so only declared data
# (node_modules included) is visible to the test.
node --preserve-symlinks --preserve-symlinks-main --test \
  --test-reporter=spec "${1:-eventsource_test.js}"
