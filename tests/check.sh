#!/bin/bash
# make check: every test. Host-side checks first (build on both Debian
# kernels at W=1, sparse, checkpatch, tool unit tests), then each VM suite
# (one boot per test file) on each test kernel. Ends with "N passed, N failed".
#
# TWCTL_KERNELS="61 612 debug" picks kernels; TWCTL_TESTS="test_msl ..." picks
# test files; TWCTL_SKIP_DEPS=1 skips the dependency step.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo" || exit 1
. tests/lib/kernels.sh
. tests/lib/build.sh

passed=0 failed=0
failures=()
pass() { passed=$((passed + 1)); echo "PASS: $1"; }
fail() { failed=$((failed + 1)); failures+=("$1"); echo "FAIL: $1"; [ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/    /'; }
step() { echo; echo "=== $*"; }

# TAP lines ("ok - x" / "not ok - x") of a command become results.
count_tap() {
	local label=$1 line
	shift
	while IFS= read -r line; do
		case $line in
		"ok - "*) pass "$label${line#ok - }" ;;
		"not ok - "*) fail "$label${line#not ok - }" ;;
		*) echo "    $line" ;;
		esac
	done < <("$@" 2>&1)
}


if [ -z "${TWCTL_SKIP_DEPS:-}" ]; then
	step deps
	bash tests/deps.sh || { echo "deps failed"; echo "0 passed, 1 failed"; exit 1; }
fi
sudo_() { "$@"; }
resolve_kernels || { echo "0 passed, 1 failed"; exit 1; }

step "host checks"
for k in "$K61" "$K612"; do
	if out=$(build_module "$k" "/lib/modules/$k/build" 2>&1); then
		pass "module builds without warnings at W=1 and C=2 (sparse) on $k"
	else
		fail "module build on $k" "$out"
	fi
	build_blocker "$k" "/lib/modules/$k/build" || fail "test helper module build on $k"
done
if out=$(make -s -C tools all variant-v99 2>&1); then
	pass "tool builds with -Wall -Wextra -Werror (and its v99 test variant)"
else
	fail "tool build" "$out"
fi
if out=$(run_checkpatch 2>&1); then
	pass "checkpatch clean"
else
	fail "checkpatch" "$out"
fi
for t in tests/host/*.sh; do
	count_tap "" bash "$t"
done

# One VM boot per test file; TAP lines from the guest become results.
run_suite() {
	local kernel=$1 label=$2 t=$3 name out rc n_ok n_fail plan
	name=$(basename "$t" .py)
	out=$(tests/vm/run-vm.sh -t "${TWCTL_VM_TIMEOUT:-900}" "$kernel" "$t" 2>&1)
	rc=$?
	n_ok=0 n_fail=0 plan=
	while IFS= read -r line; do
		case $line in
		"ok - "*) pass "[$label] $name: ${line#ok - }"; n_ok=$((n_ok + 1)) ;;
		"not ok - "*) fail "[$label] $name: ${line#not ok - }"; n_fail=$((n_fail + 1)) ;;
		1..*) plan=${line#1..} ;;
		esac
	done <<<"$out"
	if [ $rc -ne 0 ] && [ $n_fail -eq 0 ] || [ "$plan" != $((n_ok + n_fail)) ]; then
		fail "[$label] $name: suite did not complete (exit $rc, plan '${plan}')" \
			"$(printf '%s\n' "$out" | grep -v -E '^(not )?ok - ' | tail -n 60)"
	fi
	printf '%s\n' "$out" | grep -E '^#' | sed "s/^/    [$label] /"
}

kernels=${TWCTL_KERNELS:-61 612 debug}
tests=${TWCTL_TESTS:-$(cd tests/vm && ls test_*.py | sed 's/\.py$//')}
for sel in $kernels; do
	case $sel in
	61) kernel=$K61 ;;
	612) kernel=$K612 ;;
	debug) kernel=debug ;;
	*) kernel=$sel ;;
	esac
	step "VM suites on $kernel"
	if [ "$kernel" = debug ]; then
		if ! out=$(tests/kernel/debug-kernel.sh 2>&1) ||
		   ! out=$(build_module debug "$(tests/kernel/debug-kernel.sh --print-dir)" 2>&1) ||
		   ! out=$(build_blocker debug "$(tests/kernel/debug-kernel.sh --print-dir)" 2>&1); then
			fail "debug kernel and module build" "$out"
			continue
		fi
		pass "debug kernel (KASAN, lockdep, kmemleak, UBSAN, KUnit) and module build"
		count_tap "[debug] " bash tests/kunit/run.sh
	fi
	for t in $tests; do
		# A test file may name the kernels it runs on ("# kernels: debug").
		only=$(sed -n 's/^# kernels: //p' "tests/vm/$t.py" | head -n1)
		if [ -n "$only" ] && ! printf ' %s ' $only | grep -q " $sel "; then
			continue
		fi
		run_suite "$kernel" "$sel" "tests/vm/$t.py"
	done
done

echo
if [ $failed -gt 0 ]; then
	echo "Failed:"
	printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
