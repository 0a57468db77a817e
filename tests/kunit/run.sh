#!/bin/bash
# make kunit: build the debug kernel (cached) and the KUnit test module, and
# run the suites in QEMU (tests/kunit/test_kunit.py judges the KTAP with the
# kernel's own kunit.py parser). Prints TAP: one line per test case.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo" || exit 1
. tests/lib/build.sh
kdir=$(tests/kernel/debug-kernel.sh --print-dir) || { echo "not ok - kunit: debug kernel build"; exit 1; }
build_kunit "$kdir" || { echo "not ok - kunit: test module builds without warnings"; exit 1; }
exec python3 tests/vm/suites.py debug debug tests/kunit/test_kunit.py=600
