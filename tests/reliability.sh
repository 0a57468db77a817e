#!/bin/bash
# make fuzz / make stress: the reliability suites at full size on our debug
# kernel (KASAN, lockdep, kmemleak, UBSAN, failslab), one VM boot per suite.
# make check runs the same files in their short default mode.
#   tests/reliability.sh fuzz|stress [extra args for the guest scripts]
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo" || exit 1
. tests/lib/kernels.sh
. tests/lib/build.sh
what=${1:-}
shift || true
case $what in
fuzz) suites="test_fuzz" ;;
stress) suites="test_stress test_faults test_loadcycle" ;;
*) echo "usage: $0 fuzz|stress [args]" >&2; exit 2 ;;
esac
[ -n "${TWCTL_SKIP_DEPS:-}" ] || bash tests/deps.sh || exit 1
tests/kernel/debug-kernel.sh || exit 1
build_module debug "$(tests/kernel/debug-kernel.sh --print-dir)" || exit 1
make -s -C tools || exit 1
rc=0
for s in $suites; do
	echo "=== $s --full $*"
	start=$(date +%s)
	tests/vm/run-vm.sh -t "${TWCTL_VM_TIMEOUT:-7200}" debug "tests/vm/$s.py" --full "$@" || rc=1
	echo "=== $s: $(( $(date +%s) - start )) s, exit $rc"
done
exit $rc
