#!/bin/sh
# Runs bench/run_test.py (Python unittest) with Debian's python3.
exec python3 "$(dirname "$0")/run_test.py"
