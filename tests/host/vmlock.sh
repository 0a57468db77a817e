#!/bin/bash
# Host checks of this host's guest lock (vm_lock in tests/lib/kernels.sh,
# taken by tests/vm/run-vm.sh): a guest that runs alone (TWCTL_VM_LOCK=1,
# make bench's real-time boots) waits for shared holders (make check's
# lanes, -icount boots) and they for it; shared holders run side by side;
# 0 takes nothing; anything else is refused. Each waiter is seen blocked in
# /proc/locks before the holder lets go, and records whether the holder had
# let go when it got the lock. One TAP line per check, the plan "1..N" last
# (tests/lib/tap.sh); exit status 1 if any failed.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source-path=SCRIPTDIR/../.. source=tests/lib/tap.sh disable=SC1091
. "$repo/tests/lib/tap.sh"
tmp=$(mktemp -d)
# shellcheck disable=SC2317 # called through the EXIT trap
cleanup() {
	local p
	[ ! -e "$tmp/pids" ] || while read -r p; do kill "$p" 2>/dev/null; done <"$tmp/pids"
	rm -rf "$tmp"
}
trap cleanup EXIT
export TWCTL_CACHE=$tmp/cache

# lockit MODE TAG: take the lock as MODE, write TAG.got (holding, and
# "after" if TAG's holder had let go by then), then hold until TAG.go.
# Detached from the caller's output (a check runs in a $(...), which
# would wait for it); its pid goes to a file, for cleanup.
lockit() {
	TWCTL_VM_LOCK=$1 bash -c '
		. "$1/tests/lib/kernels.sh"
		vm_lock || exit $?
		if [ -e "$2.released" ]; then echo after; else echo before; fi >"$2.got"
		while [ ! -e "$2.go" ]; do sleep 0.05; done' _ "$repo" "$tmp/$2" \
		</dev/null >/dev/null 2>&1 &
	echo $! >>"$tmp/pids"
}

# wait_for CMD...: until CMD succeeds, at most 20 s.
wait_for() {
	for _ in $(seq 400); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

# blocked: someone waits on the lock file (a "->" line in /proc/locks).
blocked() {
	local ino
	ino=$(stat -c %i "$TWCTL_CACHE/vm.lock" 2>/dev/null) || return 1
	grep -q -- "->.*:$ino " /proc/locks
}

# release TAG: the holder TAG lets go.
release() {
	touch "$tmp/$1.released" "$tmp/$1.go"
}

# waits_for HOLDER_MODE WAITER_MODE: the waiter gets the lock only once
# the holder has let go. Both let go at the end, whatever the outcome.
waits_for() {
	local h=h$1$2 w=w$1$2 why=''
	lockit "$1" "$h"
	if ! wait_for test -e "$tmp/$h.got"; then
		why="the holder ($1) never got the lock"
	else
		lockit "$2" "$w"
		# the waiter's "released" marker is the holder's
		ln -s "$tmp/$h.released" "$tmp/$w.released"
		if ! wait_for blocked; then
			why="the waiter ($2) was not seen blocked (it got the lock: $(cat "$tmp/$w.got" 2>&1))"
		else
			release "$h"
			if ! wait_for test -s "$tmp/$w.got"; then
				why="the waiter ($2) never got the lock"
			elif [ "$(cat "$tmp/$w.got")" != after ]; then
				why="the waiter ($2) got the lock while the holder ($1) held it"
			fi
		fi
	fi
	release "$h"
	touch "$tmp/$w.go"
	[ -z "$why" ] || { echo "$why"; return 1; }
}

out=$(waits_for 1 shared 2>&1)
tap_check "vm lock: a shared guest (make check) waits for one alone (bench on real time)" $? "$out"
out=$(waits_for shared 1 2>&1)
tap_check "vm lock: a guest alone (bench on real time) waits for a shared one (make check)" $? "$out"
out=$(waits_for 1 1 2>&1)
tap_check "vm lock: two guests alone take turns (the default)" $? "$out"

# two shared holders at once: the second gets it while the first holds
lockit shared s1
wait_for test -e "$tmp/s1.got"
lockit shared s2
wait_for test -e "$tmp/s2.got"
rc=$?
release s1
release s2
tap_check "vm lock: shared guests (make check's two lanes) run side by side" $rc \
	"the second shared holder did not get the lock while the first held it"

# TWCTL_VM_LOCK=0: no wait even behind a guest alone
lockit 1 z1
wait_for test -e "$tmp/z1.got"
lockit 0 z0
wait_for test -e "$tmp/z0.got"
rc=$?
release z1
release z0
tap_check "vm lock: TWCTL_VM_LOCK=0 takes no lock" $rc "it waited behind a guest alone"

out=$(TWCTL_VM_LOCK=yes bash -c '. "$1/tests/lib/kernels.sh"; vm_lock' _ "$repo" 2>&1)
rc=$?
[ $rc = 2 ] && [[ $out == *"TWCTL_VM_LOCK is 1, shared or 0, not 'yes'"* ]]
tap_check "vm lock: another TWCTL_VM_LOCK is refused with one line (exit 2)" $? "exit $rc: $out"

tap_done
