#!/bin/bash
# Host checks of the benchmark load generator bench/twbench (loopback on the
# host, each case in a fresh network namespace from `unshare -n`): counts add
# up, errors are counted by errno (a 10-port range gives EADDRNOTAVAIL), the
# JSON parses, who closes first decides which side holds TIME_WAIT, pacing,
# duration, several server ports and --server-netns/--client-netns work.
# One TAP line per check, the plan "1..N" last (tests/lib/tap.sh); exit
# status 1 if any failed.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source-path=SCRIPTDIR/../.. source=tests/lib/tap.sh disable=SC1091
. "$repo/tests/lib/tap.sh"
bench=$repo/bench/twbench
tmp=$(mktemp -d)
pids=()
# shellcheck disable=SC2317 # called through the EXIT trap
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

# t NAME STATUS [OUTPUT]: one TAP line; on failure OUTPUT as diagnostics.
t() { tap_check "twbench: $1" "$2" "${3:-}"; }

out=$(make -s -C "$repo/bench" twbench 2>&1)
t "builds in bench/ with -Wall -Wextra -Werror (C11, no libmnl)" $? "$out"
[ -x "$bench" ] || tap_stop "twbench: no bench/twbench: nothing else to check"
# twctl's tools/ holds the admin's tool only: twbench's -n and -p are not
# twctl's -n NETNS and -p (pretty).
out=$(make -s -C "$repo/tools" 2>&1; ls "$repo/tools")
! grep -q twbench <<<"$out"
t "make -C tools builds no twbench next to twctl" $? "$out"

if ! unshare -n true 2>/dev/null; then
	echo "# unshare -n does not work here: cannot run the loopback checks"
	t "unshare -n available for the loopback checks" 1
	tap_done
fi

# inns SCRIPT: run SCRIPT (sh) in a fresh netns with lo up and the kernel's
# own reuse off, so a port in TIME_WAIT stays taken.
inns() {
	unshare -n sh -c "ip link set lo up && sysctl -qw net.ipv4.tcp_tw_reuse=0 && $1"
}

# jq-like checks in python: check JSONFILE 'python expression over r'
check() {
	python3 - "$1" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ok = eval("(" + sys.argv[2] + ")", {"r": r})
if not ok:
    print(json.dumps({k: v for k, v in r.items() if k != "series"}))
sys.exit(0 if ok else 1)
PY
}

"$bench" --help >"$tmp/help" 2>&1 && grep -q -- '--close WHO' "$tmp/help"
t "--help exits 0 and describes the options" $?
"$bench" --close sideways >/dev/null 2>&1
[ $? = 1 ]
t "a bad --close value is a usage error (exit 1)" $?
"$bench" -n 10 -d 1 >/dev/null 2>&1
[ $? = 1 ]
t "--count with --duration is refused" $?

# --- counts, JSON, latency ---------------------------------------------------
inns "$bench -j -n 600 -c 4 -r 64" >"$tmp/count.json" 2>"$tmp/err"
t "count mode runs and prints JSON" $? "$(cat "$tmp/err")"
out=$(check "$tmp/count.json" 'r["connections"] == 600 and r["attempts"] == 600
	and r["errors_total"] == 0 and r["errors"] == {} and r["server_accepted"] == 600
	and r["config"]["concurrency"] == 4 and r["config"]["request"] == 64' 2>&1)
t "600 connections over 4 loops: 600 made, 600 accepted, no error" $? "$out"
out=$(check "$tmp/count.json" '0 < r["connect_latency_us"]["p50"] <= r["connect_latency_us"]["p99"]
	<= r["connect_latency_us"]["max"] and r["connect_latency_us"]["samples"] == 600
	and r["rate"] > 0 and abs(r["rate"] - 600 / r["elapsed_s"]) < 1
	and sum(s[1] for s in r["series"]) == 600' 2>&1)
t "latency p50 <= p99 <= max, rate = connections / elapsed, the series adds up" $? "$out"

# --- errors by errno: 10 source ports, 30 attempts ------------------------------
inns "$bench -j -n 30 -b 127.0.0.1 -p 40000-40009" >"$tmp/exh.json" 2>"$tmp/err"
# (The host's kernel, not ours, picks the ports: a 6.18 host was seen, once
# in many runs, to hand out two of them a second time within 10 ms.)
out=$(check "$tmp/exh.json" '10 <= r["connections"] <= 12 and list(r["errors"]) == ["EADDRNOTAVAIL"]
	and r["errors_total"] == r["errors"]["EADDRNOTAVAIL"] == 30 - r["connections"]
	and r["attempts"] == 30' 2>&1)
t "10-port range: 10 connections, then 20 x EADDRNOTAVAIL" $? "$out $(cat "$tmp/err")"
inns "$bench -j -n 30 -S -b 127.0.0.1 -p 40000-40009" >"$tmp/stop.json" 2>"$tmp/err"
out=$(check "$tmp/stop.json" 'r["connections"] == 10 and r["errors"] == {"EADDRNOTAVAIL": 1}' 2>&1)
t "--stop-on-error ends a loop at its first error" $? "$out"
# a closed port: connection refused, counted as such
inns "$bench -j -n 5 -a 127.0.0.1:9" >"$tmp/refused.json" 2>"$tmp/err"
out=$(check "$tmp/refused.json" 'r["errors"] == {"ECONNREFUSED": 5} and r["connections"] == 0' 2>&1)
t "--connect to a closed port: 5 x ECONNREFUSED" $? "$out"

# --- who closes first holds the TIME_WAIT --------------------------------------
# tw_sides: "CLIENT_TW SERVER_TW" = TIME_WAIT sockets whose local port is not /
# is the server's port, listed by ss inside the same netns right after the run.
tw_sides() {	# tw_sides CLOSE
	inns "$bench -j -n 50 -C $1 -r 16 -l 127.0.0.1:5555 >$tmp/close-$1.json &&
		ss -Htan state time-wait" |
		awk '{ split($3, l, ":"); if (l[2] == 5555) s++; else c++ }
		     END { printf "%d %d\n", c, s }'
}
for mode in client server; do
	sides=$(tw_sides $mode)
	case $mode in
	client) [ "$sides" = "50 0" ] ;;
	server) [ "$sides" = "0 50" ] ;;
	esac
	t "--close $mode: the $mode side holds the 50 TIME_WAITs (client server: $sides)" $?
done
sides=$(tw_sides both)
read -r c s <<<"$sides"
check "$tmp/close-both.json" 'r["connections"] == 50 and r["errors_total"] == 0' >/dev/null &&
	[ $((c + s)) -ge 50 ]
t "--close both: 50 connections, at least 50 TIME_WAITs in all (client server: $sides)" $?

# --- duration, pacing, server ports, netns --------------------------------------
inns "$bench -j -d 2 -R 150 -i 0.5" >"$tmp/rate.json" 2>"$tmp/err"
out=$(check "$tmp/rate.json" '1.9 < r["elapsed_s"] < 3 and 250 <= r["connections"] <= 310
	and len(r["series"]) >= 4 and sum(s[1] for s in r["series"]) == r["connections"]' 2>&1)
t "--duration 2 --rate 150: about 300 connections, a 0.5 s series" $? "$out"
inns "$bench -j -n 40 -P 4 -l 127.0.0.1:6000 && ss -Htan state time-wait" >"$tmp/ports.out"
ports=$(awk 'NR > 1 { split($4, p, ":"); print p[2] }' "$tmp/ports.out" | sort -u | tr '\n' ' ')
head -n1 "$tmp/ports.out" >"$tmp/ports.json"
check "$tmp/ports.json" 'r["config"]["server_ports"] == 4 and r["connections"] == 40' >/dev/null &&
	[ "$ports" = "6000 6001 6002 6003 " ]
t "--server-ports 4: connections spread over ports 6000-6003 ($ports)" $?
unshare -n sh -c 'ip link set lo up; exec sleep 60' &
nspid=$!
pids+=("$nspid")
# Until unshare has made the namespace and lo is up in it (a fixed sleep
# lost that race on a busy host).
for _ in $(seq 100); do
	[ "$(readlink "/proc/$nspid/ns/net")" != "$(readlink /proc/self/ns/net)" ] &&
		nsenter --net="/proc/$nspid/ns/net" ip -o link show lo 2>/dev/null |
		grep -q '[<,]UP[,>]' && break
	sleep 0.1
done
"$bench" -j -n 20 --server-netns "/proc/$nspid/ns/net" --client-netns "/proc/$nspid/ns/net" \
	>"$tmp/ns.json" 2>"$tmp/err"
out=$(check "$tmp/ns.json" 'r["connections"] == 20' 2>&1)
# The server's FINs may still be on their way when twbench exits: wait
# (up to 10 s) for the 20 client sockets to reach TIME_WAIT.
for _ in $(seq 100); do
	nsenter --net="/proc/$nspid/ns/net" ss -Htan state time-wait >"$tmp/ns.ss"
	[ "$(wc -l <"$tmp/ns.ss")" = 20 ] && break
	sleep 0.1
done
[ "$(wc -l <"$tmp/ns.ss")" = 20 ]
t "--server-netns/--client-netns: the connections live in that netns" $? "$out $(cat "$tmp/err")"
"$bench" -n 1 --server-netns /nonexistent >/dev/null 2>&1
[ $? = 1 ]
t "a missing netns is a setup error (exit 1)" $?

# on_running FLAG FUNC: start `twbench -d 30 -j FLAG` in a fresh netns, wait
# until its threads run (two or more, then 0.3 s for the rest), print
# FUNC TID's output for it, stop it.
on_running() {
	local pid tid
	inns "exec $bench -d 30 -j $1 >/dev/null" &
	pid=$!
	pids+=("$pid")
	for _ in $(seq 100); do
		tid=$(pgrep -f "^$bench -d 30" | head -n 1)
		[ -n "$tid" ] && [ "$(ls "/proc/$tid/task" 2>/dev/null | wc -l)" -ge 2 ] && break
		sleep 0.1
	done
	sleep 0.3
	"$2" "$tid"
	kill "$tid" 2>/dev/null
	wait "$pid" 2>/dev/null
}
# threads of process TID with policy SCHED_FIFO (field 41 of
# /proc/PID/task/TID/stat: 1)
fifo_threads() {
	local st n=0
	for st in /proc/"$1"/task/*/stat; do
		[ "$(sed 's/.*) //' "$st" | awk '{print $39}')" = 1 ] && n=$((n + 1))
	done
	echo "$n"
}
all_threads() { ls "/proc/$1/task" 2>/dev/null | wc -l; }

# --server-fifo: while a run goes on, exactly one of its threads (the
# server's) runs SCHED_FIFO; without the flag none does.
n=$(on_running --server-fifo fifo_threads)
[ "$n" = 1 ]
t "--server-fifo: the server thread runs SCHED_FIFO ($n thread(s))" $?
n=$(on_running "" fifo_threads)
[ "$n" = 0 ]
t "without --server-fifo no thread runs SCHED_FIFO ($n)" $?
"$bench" -a 127.0.0.1:1 --server-fifo >/dev/null 2>&1
[ $? = 1 ]
t "--server-fifo with --connect (no built-in server) is a usage error" $?

# --inline-server: the client loop serves its own connections. Every close
# mode still leaves the TIME_WAITs on the side that closed first, and a
# running twbench has two threads (main, the client loop), not three.
for mode in client server; do
	sides=$(inns "$bench -j -n 50 -C $mode -r 16 -l 127.0.0.1:5555 --inline-server \
		>$tmp/inline-$mode.json && ss -Htan state time-wait" |
		awk '{ split($3, l, ":"); if (l[2] == 5555) s++; else c++ }
		     END { printf "%d %d\n", c, s }')
	out=$(check "$tmp/inline-$mode.json" 'r["connections"] == 50 and r["errors_total"] == 0
		and r["server_accepted"] == 50 and r["config"]["inline_server"]' 2>&1)
	case $mode in
	client) [ "$sides" = "50 0" ] ;;
	server) [ "$sides" = "0 50" ] ;;
	esac
	t "--inline-server --close $mode: 50 served, the $mode side holds the TIME_WAITs ($sides)" \
		$? "$out"
done
n=$(on_running --inline-server all_threads)
[ "$n" = 2 ]
t "--inline-server: no server thread (main and one client loop: $n threads)" $?
n=$(on_running "" all_threads)
[ "$n" = 3 ]
t "without --inline-server the server has its own thread ($n threads)" $?
for bad in "-c 2" "--server-fifo" "-a 127.0.0.1:1"; do
	# shellcheck disable=SC2086 # $bad is two words on purpose
	"$bench" -n 10 --inline-server $bad >/dev/null 2>&1
	[ $? = 1 ]
	t "--inline-server with $bad is a usage error" $?
done

tap_done
