#!/bin/bash
# make kunit: build the debug kernel (cached) and the KUnit test module, run
# the suites in QEMU, and parse the KTAP with the kernel's own kunit.py parser.
# Prints one "ok - kunit: suite.case" / "not ok - ..." line per test case.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo" || exit 1
kdir=$(tests/kernel/debug-kernel.sh --print-dir) || { echo "not ok - kunit: debug kernel build"; exit 1; }
rm -rf build/kunit && mkdir -p build/kunit
cp -r tests/kunit/Kbuild tests/kunit/*.c module build/kunit/
if ! log=$(make -C "$kdir" M="$repo/build/kunit" W=1 modules 2>&1) ||
   printf '%s\n' "$log" | grep -q -i 'warning'; then
	printf '%s\n' "$log" | tail -n 30
	echo "not ok - kunit: test module builds without warnings"
	exit 1
fi
out=$(tests/vm/run-vm.sh -t "${TWCTL_VM_TIMEOUT:-900}" debug tests/kunit/guest.sh 2>&1)
rc=$?
ktap=$(printf '%s\n' "$out" | sed -n '/^KTAP version 1/,$p')
if [ $rc -ne 0 ] || [ -z "$ktap" ]; then
	printf '%s\n' "$out" | tail -n 40
	echo "not ok - kunit: suites ran in the debug kernel (exit $rc)"
	exit 1
fi
kunit=$(ls -d "$(dirname "$kdir")"/src/*/linux-source-6.12/tools/testing/kunit 2>/dev/null | head -n1)
parsed=$(printf '%s\n' "$ktap" | python3 "$kunit/kunit.py" parse 2>&1)
printf '%s\n' "$parsed" | sed 's/^/# /'
# One result per test case, as kunit.py's parser reports it ("[PASSED] case";
# suite lines are framed with "=" and left out).
printf '%s\n' "$parsed" | awk '
	/=/ { next }
	match($0, /\[(PASSED|FAILED|CRASHED|SKIPPED|TIMED OUT)\] /) {
		st = substr($0, RSTART + 1, RLENGTH - 3); name = substr($0, RSTART + RLENGTH)
		printf "%s - kunit: %s%s\n", (st == "PASSED") ? "ok" : "not ok", name,
			(st == "PASSED") ? "" : "  # " st; n++
	}
	END { if (!n) print "not ok - kunit: no test case reported" }'
printf '%s\n' "$parsed" | grep -q -E 'Testing complete\. Ran [0-9]+ tests: passed: [0-9]+$'
