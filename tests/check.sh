#!/bin/bash
# make check: every test, in two lanes on the two cores.
#   lane A: host checks (tool, checkpatch, tests/host/*.sh), then Debian 12's
#           6.1 and 6.12: the module built at W=1 with sparse, and every VM
#           suite in one boot (tests/vm/suites.py); then the smoke suite
#           (tests/vm/test_smoke.py) on Debian 13's kernel (trixie), on
#           Debian 12's 6.12 PREEMPT_RT (rt) and cloud flavours; then the
#           real dkms and the Debian packages;
#   lane B: the debug kernel (KASAN, lockdep, kmemleak, UBSAN; built once and
#           cached), the module for it, KUnit and the VM suites in one boot;
#           the same kernel as PREEMPT_RT (rtdebug) with the suites whose
#           hooks queue events and make records; then sid's newest (7.x)
#           with every suite. trixie and sid are built with their release's
#           compiler in a chroot.
# A suite that crashes or hangs its guest fails, and the host boots again for
# the suites after it. Ends with a per-phase timing table and
# "N passed, N failed".
#
# TWCTL_KERNELS="host 61 612 sid debug rtdebug trixie rt cloud" (the default)
# picks the host checks and kernels; TWCTL_KERNELS=all runs every suite on
# each of them. TWCTL_TESTS="test_msl ..." picks test files, and
# TWCTL_TESTS_<KERNEL> (e.g. TWCTL_TESTS_SID) those of one kernel;
# TWCTL_SKIP_DEPS=1 skips the dependency step; TWCTL_LANES=1 runs the lanes
# one after the other.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo" || exit 1
. tests/lib/kernels.sh
. tests/lib/build.sh

work=$(mktemp -d /tmp/twcheck.XXXXXX)
trap 'rm -rf "$work"' EXIT
t_start=$SECONDS

pass() { echo "ok - $1"; }
fail() {
	echo "not ok - $1"
	[ -z "${2:-}" ] || printf '%s\n' "$2" | tail -n 60 | sed 's/^/#     /'
}
# check NAME CMD...: one result, the command's output shown on failure.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$out"; fi
}

# tap PREFIX CMD...: the TAP lines of a command become results. The command
# fails as a whole when it exits non-zero without a failed check, prints no
# plan ("1..N", anywhere) or fewer or more results than its plan.
tap() {
	local prefix=$1 out rc line n_ok=0 n_fail=0 plan=
	shift
	out=$("$@" 2>&1)
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok - "*) echo "ok - $prefix${line#ok - }"; n_ok=$((n_ok + 1)) ;;
		"not ok - "*) echo "not ok - $prefix${line#not ok - }"; n_fail=$((n_fail + 1)) ;;
		1..*) plan=${line#1..} ;;
		*) echo "    $line" ;;
		esac
	done <<<"$out"
	if { [ $rc -ne 0 ] && [ $n_fail -eq 0 ]; } || [ "$plan" != $((n_ok + n_fail)) ]; then
		fail "$prefix$* completes (exit $rc, plan '$plan', $((n_ok + n_fail)) results)" \
			"$(printf '%s\n' "$out" | grep -v -E '^(not )?ok - ' | tail -n 40)"
	fi
}

# phase NAME CMD...: runs a step of a lane and records its wall time.
phase() {
	local name=$1 s=$SECONDS rc
	shift
	echo "=== $name"
	"$@"
	rc=$?
	printf '%s\t%s\t%d\n' "$lane" "$name" $((SECONDS - s)) >>"$work/times"
	printf 'check: [lane %s] %s done in %d s\n' "$lane" "$name" $((SECONDS - s)) >&3
	return $rc
}

lane=-
exec 3>&1
kernels=${TWCTL_KERNELS:-host 61 612 sid debug rtdebug trixie rt cloud}
full=
if [ "$kernels" = all ]; then
	kernels="host 61 612 sid debug trixie rt rtdebug cloud"
	full=1
fi
# Kernels that run the smoke suite only (tests/vm/test_smoke.py), unless
# TWCTL_KERNELS=all or TWCTL_TESTS asks otherwise: make check's 15 minutes.
# The two Debian 12 kernels and sid's newest run every suite.
if [ -z "$full" ] && [ -z "${TWCTL_TESTS:-}" ]; then
	export TWCTL_TESTS_TRIXIE=${TWCTL_TESTS_TRIXIE:-test_smoke}
	export TWCTL_TESTS_RT=${TWCTL_TESTS_RT:-test_smoke}
	# Debian 12's cloud flavour: its guests see the host over virtiofs
	export TWCTL_TESTS_CLOUD=${TWCTL_TESTS_CLOUD:-test_smoke}
	# the suites whose hooks allocate or send (records, events) where
	# PREEMPT_RT forbids it unless done right (tests/kernel/rt.config)
	export TWCTL_TESTS_RTDEBUG=${TWCTL_TESTS_RTDEBUG:-test_smoke test_events test_classes test_twrec_gate}
fi
export TWCTL_KERNELS="$kernels"	# tests/deps.sh sets up what they need
if [ -z "${TWCTL_SKIP_DEPS:-}" ]; then
	phase deps bash tests/deps.sh >"$work/deps.log" 2>&1 ||
		{ cat "$work/deps.log"; echo "deps failed"; echo "0 passed, 1 failed"; exit 1; }
fi
sudo_() { "$@"; }
resolve_kernels || { echo "0 passed, 1 failed"; exit 1; }
export K61 K612
for sel in $kernels; do
	case $sel in
	trixie|sid) resolve_release "$sel" || { echo "0 passed, 1 failed"; exit 1; } ;;
	esac
done

# Suites for a kernel: tests/vm/test_*.py (TWCTL_TESTS_<SEL> or TWCTL_TESTS
# selects), less those whose "# kernels: ..." line does not name this one;
# each with its budget.
# shellcheck disable=SC2012,SC2086 # test and kernel names are plain words
suites_for() {
	local sel=$1 budget=$2 t only not var
	var=TWCTL_TESTS_$(echo "$sel" | tr '[:lower:]' '[:upper:]')
	for t in ${!var:-${TWCTL_TESTS:-$(cd tests/vm && ls test_*.py | sed 's/\.py$//')}}; do
		only=$(sed -n 's/^# kernels: //p' "tests/vm/$t.py" | head -n1)
		if [ -n "$only" ] && ! printf ' %s ' $only | grep -q " $sel "; then
			continue
		fi
		not=$(sed -n 's/^# not on kernels: //p' "tests/vm/$t.py" | head -n1)
		if [ -n "$not" ] && printf ' %s ' $not | grep -q " $sel "; then
			continue
		fi
		echo "tests/vm/$t.py=$budget"
	done
}

# Host checks, in two parts for the lanes' balance: the real dkms build
# (tests/host/dkms.sh, ~1 min) and the Debian packages (tests/host/package.sh,
# which boots 6.1 and 6.12) end lane A, after its guests of Debian 12's
# kernels (dkms builds for each of them); the rest starts lane A.
HOST_IN_LANE_END=" dkms.sh package.sh "	# one lane: both use the host's dkms

host_checks() {
	local t
	if [ "$1" = A ]; then
		check "tool builds with -Wall -Wextra -Werror (and its v99 test variant)" \
			make -s -C tools all variant-v99
		check "checkpatch clean" run_checkpatch
	fi
	for t in tests/host/*.sh; do
		case "$HOST_IN_LANE_END" in
		*" ${t##*/} "*) [ "$1" = end ] || continue ;;
		*) [ "$1" = A ] || continue ;;
		esac
		tap "" bash "$t"
	done
}

# debian_kernel SEL ABI [KDIR]: build for and run every suite on a Debian
# kernel; KDIR (default /lib/modules/ABI/build) is the header tree, for
# trixie and sid one in their chroot (tests/lib/kernels.sh).
debian_kernel() {
	local sel=$1 k=$2 kdir=${3:-/lib/modules/$2/build}
	check "module builds without warnings at W=1 and C=2 (sparse) on $k" \
		build_module "$k" "$kdir"
	check "test helper module builds on $k" build_blocker "$k" "$kdir"
	check "mis-hooked test variant builds on $k" build_mishook "$k" "$kdir"
	# shellcheck disable=SC2046
	tap "" python3 tests/vm/suites.py "$k" "$sel" $(suites_for "$sel" 300)
}

# Lane A could boot the debug kernel too, for these of its suites, when the
# lanes need balancing; a debug boot costs ~1 min, so none now: lane A runs
# 6.1 and 6.12 in full, the smoke suite on trixie, rt and cloud, and dkms;
# lane B the two debug kernels and sid in full.
DEBUG_IN_LANE_A=" "
LANE_B_KERNELS=" sid rtdebug "	# rtdebug: right after debug

debug_build() {
	local kdir
	check "debug kernel (KASAN, lockdep, kmemleak, UBSAN, KUnit) builds" \
		tests/kernel/debug-kernel.sh || return 1
	kdir=$(tests/kernel/debug-kernel.sh --print-dir)
	check "module builds without warnings at W=1 and C=2 (sparse) on the debug kernel" \
		build_module debug "$kdir" &&
	check "test helper module builds on the debug kernel" build_blocker debug "$kdir" &&
	check "mis-hooked test variant builds on the debug kernel" build_mishook debug "$kdir" &&
	check "KUnit test module builds without warnings" build_kunit "$kdir"
}

# The RT debug kernel: the debug kernel as PREEMPT_RT with
# DEBUG_ATOMIC_SLEEP (tests/kernel/rt.config), its module, its suites
# (TWCTL_TESTS_RTDEBUG). Those suites then leave the (non-RT) debug kernel's
# boot, unless TWCTL_KERNELS=all: each runs on one of the two.
rtdebug_kernel() {
	local kdir
	check "RT debug kernel (PREEMPT_RT, DEBUG_ATOMIC_SLEEP, KASAN, lockdep) builds" \
		env TWCTL_DEBUG_FLAVOUR=rt tests/kernel/debug-kernel.sh || return 1
	kdir=$(TWCTL_DEBUG_FLAVOUR=rt tests/kernel/debug-kernel.sh --print-dir)
	check "module builds without warnings at W=1 and C=2 (sparse) on the RT debug kernel" \
		build_module rtdebug "$kdir" || return 1
	check "test helper module builds on the RT debug kernel" build_blocker rtdebug "$kdir"
	# shellcheck disable=SC2046
	tap "" python3 tests/vm/suites.py --kmemleak rtdebug rtdebug $(suites_for rtdebug 900)
}

# debug_suites A|B: the debug kernel's suites of a lane, with their budgets.
debug_suites() {
	local spec name
	[ "$1" = A ] || echo tests/kunit/test_kunit.py=600
	for spec in $(suites_for debug 900); do
		name=$(basename "${spec%%=*}" .py)
		if [ -z "$full" ] && [[ " $kernels " == *" rtdebug "* ]] &&
		   [[ " ${TWCTL_TESTS_RTDEBUG:-} " == *" $name "* ]]; then
			continue
		fi
		case "$DEBUG_IN_LANE_A" in
		*" $name "*) [ "$1" = A ] && echo "$spec" ;;
		*) [ "$1" = B ] && echo "$spec" ;;
		esac
	done
}

# debug_kernel A|B: one boot of the debug kernel for the lane's suites.
debug_kernel() {
	local specs
	specs=$(debug_suites "$1")
	[ -n "$specs" ] || return 0
	# shellcheck disable=SC2086
	tap "" python3 tests/vm/suites.py --kmemleak debug debug $specs
}

lane_a() {
	lane=A
	local sel
	for sel in $kernels; do
		case $LANE_B_KERNELS in *" $sel "*) continue ;; esac
		case $sel in
		host) phase "host checks" host_checks A ;;
		61) phase "kernel $K61" debian_kernel 61 "$K61" ;;
		612) phase "kernel $K612" debian_kernel 612 "$K612" ;;
		trixie) phase "kernel $KTRIXIE" debian_kernel trixie "$KTRIXIE" \
				"$(release_kdir trixie "$KTRIXIE")" ;;
		sid) phase "kernel $KSID" debian_kernel sid "$KSID" "$(release_kdir sid "$KSID")" ;;
		rt) phase "kernel $KRT" debian_kernel rt "$KRT" ;;
		cloud) phase "kernel $KCLOUD" debian_kernel cloud "$KCLOUD" ;;
		debug) ;;
		*) phase "kernel $sel" debian_kernel "$sel" "$sel" ;;
		esac
	done
	case " $kernels " in
	*" host "*) phase "host checks (dkms)" host_checks end ;;
	esac
	case " $kernels " in
	*" debug "*) ;;
	*) return 0 ;;
	esac
	[ -n "${DEBUG_IN_LANE_A// /}" ] || return 0
	# Lane B builds the debug kernel and its modules (cached after the first
	# run); wait for its word.
	until [ -e "$work/debug-ready" ] || [ -e "$work/debug-failed" ]; do
		sleep 2
	done
	[ -e "$work/debug-ready" ] && phase "kernel debug (part A)" debug_kernel A
}

lane_b() {
	lane=B
	local sel
	case " $kernels " in
	*" debug "*)
		if phase "debug kernel build" debug_build; then
			touch "$work/debug-ready"
			phase "kernel debug" debug_kernel B
		else
			touch "$work/debug-failed"
		fi
		;;
	esac
	case " $kernels " in
	*" rtdebug "*) phase "kernel rtdebug" rtdebug_kernel ;;
	esac
	for sel in $kernels; do
		case $LANE_B_KERNELS in *" $sel "*) ;; *) continue ;; esac
		case $sel in
		trixie) phase "kernel $KTRIXIE" debian_kernel trixie "$KTRIXIE" \
				"$(release_kdir trixie "$KTRIXIE")" ;;
		sid) phase "kernel $KSID" debian_kernel sid "$KSID" "$(release_kdir sid "$KSID")" ;;
		rt) phase "kernel $KRT" debian_kernel rt "$KRT" ;;
		cloud) phase "kernel $KCLOUD" debian_kernel cloud "$KCLOUD" ;;
		esac
	done
}

# The tool is needed by both lanes' guests: build it first. Warnings are
# errors in our builds of it (tools/Makefile), and every build of it in this
# run has the same flags, so none rebuilds it under a running guest.
export WERROR=1
lane=-
phase "tool" make -s -C tools all variant-v99 >"$work/tool.log" 2>&1 ||
	{ cat "$work/tool.log"; echo "tool build failed"; echo "0 passed, 1 failed"; exit 1; }

# The two lanes share this host's guest lock (vm_lock, tests/lib/kernels.sh):
# they run side by side, but wait for a make bench boot that holds it alone
# (P3 measures in real time) and keep a later one waiting until they end.
export TWCTL_VM_LOCK=${TWCTL_VM_LOCK:-shared}
if [ "${TWCTL_LANES:-2}" = 1 ]; then
	lane_b >"$work/lane-B" 2>&1	# first: lane A waits for its debug build
	lane_a >"$work/lane-A" 2>&1
else
	lane_a >"$work/lane-A" 2>&1 &
	pid_a=$!
	lane_b >"$work/lane-B" 2>&1 &
	pid_b=$!
	wait $pid_a $pid_b
fi

for l in A B; do
	echo
	echo "##### lane $l"
	cat "$work/lane-$l"
done

passed=$(cat "$work"/lane-? | grep -c '^ok - ')
failed=$(cat "$work"/lane-? | grep -c '^not ok - ')
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
	failed=1
	echo "not ok - no test ran"
fi

echo
echo "Timing (wall seconds; lanes A and B run side by side):"
printf '  %-4s %-40s %6s\n' lane phase seconds
sort -s -k1,1 "$work/times" | while IFS=$'\t' read -r l name s; do
	printf '  %-4s %-40s %6d\n' "$l" "$name" "$s"
done
printf '  %-4s %-40s %6d\n' "" "total" $((SECONDS - t_start))
boots=$(sed -n 's/^ *# boots //p' "$work"/lane-? | tr '\n' ' ')
[ -z "$boots" ] || echo "  guest boots: $boots"

if [ "$failed" -gt 0 ]; then
	echo
	echo "Failed:"
	cat "$work"/lane-? | grep '^not ok - ' | sed 's/^not ok - /  /'
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
