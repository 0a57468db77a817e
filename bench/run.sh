#!/bin/bash
# make bench: the twctl benchmarks (docs/BENCHMARKS.md), two VM boots per
# kernel (one whose clock is real time, one whose clock counts
# instructions), then the report.
#
#   bench/run.sh [--smoke] [--kernels "61 612 trixie sid rt cloud"]
#                [--results DIR] [--no-report]
#                [--only PARTS] [--icount] [--reps N] [--conns N]
#                [--p3-cases KEYS] [--icount-ports N] [--p1-churn HOW]
#                [--tw-levels N,..] [--ns-levels N,..]
#                [--scale-reps N] [--no-harness-check]
#
# PARTS (comma-separated; default all but p1_perf): overhead, exhaustion,
# precision, memory run in a VM on real time; overhead_icount,
# exhaustion_icount, scale_tw, scale_netns, scale_perf, scale_perf_ns in a
# VM with QEMU's -icount shift=0 (TCG), whose clock advances 1 ns per
# instruction executed, so their "time" per connection is the guest's
# instruction count, whatever else loads this host. --icount is
# --only overhead_icount (P1 as instructions). exhaustion_icount: issue
# #20 goal 1 (P3's goal case against its limit) in instructions.
#
# scale_tw (issue #20 goal 2): cost with 0..250k TIME_WAIT sockets alive
# (--tw-levels, default 0,10000,100000,250000); scale_netns (goal 3): with
# 1..1000 namespaces holding a policy (--ns-levels, default 1,100,1000);
# --scale-reps runs per config and level (default 8). scale_perf counts
# twctl's own instructions with perf at 0 and 250k TIME_WAITs,
# scale_perf_ns the same at 1 and 1000 namespaces with a policy: goals 2
# and 3 are judged on these direct counts. p1_perf (a diagnosis, only when named) samples
# where the guest's instructions go during P1's churn: no module, the
# module at defaults, one listener (--reps rounds, default 3).
#
# --p3-cases runs only these P3 cases (keys of bench/guest.py, e.g.
# twctl_always,limit; twctl_always_200, the goal case on 200 client ports
# as measured until 2026-12-03, twctl_always_2000 and twctl_always_d20
# run only when named); their results replace those cases in the earlier
# results and leave the others (each case records its measurement);
# --no-harness-check skips the harness smoke test (for such partial
# re-measurements). --icount-ports: exhaustion_icount's goal case on that
# many client ports (default 5000, about a fifth of them young at the
# -icount guest's rate; 2000: about half, as 1000 ports on real time on a
# quiet host). p3_perf (a diagnosis, only when named): where the goal
# case's instructions go at --icount-ports, against the limit, by perf.
# --p1-churn: how twbench serves P1's churn in overhead_icount: fifo (its
# server thread SCHED_FIFO; the default but on PREEMPT_RT), inline (the
# client loop serves each connection itself, no scheduler in between; the
# default on PREEMPT_RT), epoll (the server thread in the fair class).
#
# --kernels: the same selectors as make check (tests/check.sh): 61 and 612
# (Debian 12's 6.1 and 6.12), trixie (Debian 13's 6.12+deb13) and sid (its
# newest 7.x), both built with their release's compiler in a chroot
# (tests/lib/kernels.sh), rt and cloud (Debian 12's 6.12 PREEMPT_RT and
# cloud flavours; cloud guests see the host over virtiofs). Every ABI is
# resolved at run time, as make check does; the chroots, headers, images
# and virtiofsd that trixie, sid, rt and cloud need are set up by
# tests/deps.sh (TWCTL_SKIP_DEPS=1 skips that step).
#
# --only re-measures some parts and replaces them in existing results.
# The module is built from the committed sources (git HEAD, exported into
# build/bench/src), so the numbers belong to a commit. Raw results:
# DIR/<kernel>.json (default bench/results); the report: docs/BENCHMARKS.md,
# docs/bench-exhaustion.png and docs/bench-scale.png (not with --smoke,
# which writes its report next to its results in build/bench/smoke). Needs
# bpftrace and gnuplot-nox (installed with apt when missing; --smoke needs
# neither).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
top=$repo
cd "$top"
# shellcheck source=tests/lib/kernels.sh
. tests/lib/kernels.sh
# shellcheck source=tests/lib/build.sh
. tests/lib/build.sh

smoke='' kernels="61" results='' report=1 only='' reps='' conns='' p3cases='' hcheck=1 icports='' p1churn=''
twlevels='' nslevels='' sreps=''
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) smoke=1 ;;
	--kernels) kernels=$2; shift ;;
	--results) results=$2; shift ;;
	--no-report) report= ;;
	--only) only=$2; shift ;;
	--icount) only=overhead_icount ;;
	--reps) reps=$2; shift ;;	# overhead: rounds
	--conns) conns=$2; shift ;;	# overhead, scale_*: connections per run
	--p3-cases) p3cases=$2; shift ;;
	--icount-ports) icports=$2; shift ;;	# exhaustion_icount
	--p1-churn) p1churn=$2; shift ;;	# overhead_icount
	--tw-levels) twlevels=$2; shift ;;
	--ns-levels) nslevels=$2; shift ;;
	--scale-reps) sreps=$2; shift ;;
	--no-harness-check) hcheck= ;;
	*) sed -n "2,$(($(grep -n '^set -euo' "$0" | cut -d: -f1) - 1))p" "$0"; exit 2 ;;
	esac
	shift
done
# the parts of each boot: on real time, and counting instructions
time_parts='' icount_parts=''
IFS=, read -r -a wanted <<<"${only:-overhead,exhaustion,precision,memory,overhead_icount,exhaustion_icount,scale_tw,scale_netns,scale_perf,scale_perf_ns}"
for p in "${wanted[@]}"; do
	case $p in
	overhead|exhaustion|precision|memory) time_parts+=${time_parts:+,}$p ;;
	overhead_icount|exhaustion_icount|scale_tw|scale_netns|scale_perf|scale_perf_ns|p1_perf|p3_perf) icount_parts+=${icount_parts:+,}$p ;;
	*) echo "bench: unknown part '$p'" >&2; exit 2 ;;
	esac
done
# --smoke: the harness check of the real-time parts, unless named
[ -z "$smoke" ] || [ -n "$only" ] || icount_parts=''
[ -n "$results" ] || results=$([ -n "$smoke" ] && echo build/bench/smoke || echo bench/results)
mkdir -p "$results"
results=$(cd "$results" && pwd)

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if [ -z "$smoke" ]; then
	missing=()
	need=()
	case ,$time_parts, in *,overhead,*) need+=(bpftrace) ;; esac
	[ -z "$report" ] || need+=(gnuplot-nox)
	for p in "${need[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "bench: installing ${missing[*]}"
		sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends "${missing[@]}" >/dev/null
	fi
fi
# Kernels beyond Debian 12's generic two need their chroot, headers, image
# or virtiofsd: tests/deps.sh sets up what TWCTL_KERNELS names, as for make
# check (seconds when everything is there).
more=''
for sel in $kernels; do
	case $sel in
	61|612) ;;
	trixie|sid|rt|cloud) more+=${more:+ }$sel ;;
	*) echo "bench: unknown kernel '$sel' (61, 612, trixie, sid, rt, cloud)" >&2; exit 2 ;;
	esac
done
if [ -n "$more" ] && [ -z "${TWCTL_SKIP_DEPS:-}" ]; then
	mkdir -p build/bench
	TWCTL_KERNELS=$more bash tests/deps.sh >build/bench/deps.log 2>&1 ||
		{ cat build/bench/deps.log >&2; echo "bench: tests/deps.sh failed for $more" >&2; exit 1; }
fi
resolve_kernels
for sel in $more; do
	case $sel in
	trixie|sid) resolve_release "$sel" || exit 1 ;;	# KTRIXIE, KSID
	esac
done

# The committed module sources, built per kernel like make check does.
src=$top/build/bench/src
rm -rf "$src"
mkdir -p "$src"
git archive HEAD Kbuild module scripts VERSION | tar -x -C "$src"
commit=$(git rev-parse --short HEAD)
make -s -C tools twctl >/dev/null
make -s -C bench twbench >/dev/null

# The harness itself first (bench/test_bench_smoke.py, ~2 min on 6.1): every
# part runs and gives well-formed results, or no figure is taken.
if [ -z "$smoke" ] && [ -n "$time_parts" ] && [ -n "$hcheck" ]; then
	(repo=$top && build_module "$K61" "/lib/modules/$K61/build") >/dev/null ||
		{ echo "bench: module build for $K61 failed" >&2; exit 1; }
	python3 tests/vm/suites.py "$K61" 61 bench/test_bench_smoke.py=900 ||
		{ echo "bench: the harness smoke test failed" >&2; exit 1; }
fi

for sel in $kernels; do
	case $sel in
	61) k=$K61 kdir=/lib/modules/$K61/build ;;
	612) k=$K612 kdir=/lib/modules/$K612/build ;;
	# later releases: their header tree in their chroot, where
	# build_module builds (tests/lib/build.sh, kmake)
	trixie) k=$KTRIXIE kdir=$(release_kdir trixie "$KTRIXIE") ;;
	sid) k=$KSID kdir=$(release_kdir sid "$KSID") ;;
	rt) k=$KRT kdir=/lib/modules/$KRT/build ;;
	cloud) k=$KCLOUD kdir=/lib/modules/$KCLOUD/build ;;
	esac
	# build_module builds what $repo holds: the exported tree
	(repo=$src && build_module "$k" "$kdir") >/dev/null ||
		{ echo "bench: module build for $k failed" >&2; exit 1; }
	# tracepoint_only: a build with the tracepoint probe alone (the hooks
	# are permanent ftrace users: they cannot be switched off at run time)
	(repo=$src && TWCTL_TEST_TRACEPOINT_ONLY=1 build_module "$k-tponly" "$kdir") >/dev/null ||
		{ echo "bench: tracepoint-only module build for $k failed" >&2; exit 1; }
	vm=$top/build/bench/vm-$k
	mkdir -p "$vm"
	first=1
	for parts in "$time_parts" "$icount_parts"; do
		[ -n "$parts" ] || continue
		ic=''
		[ "$parts" != "$icount_parts" ] || ic=1
		rm -f "$vm/bench.json"
		echo "bench: $k (commit $commit), $parts${ic:+ (-icount)} ..."
		t0=$(date +%s)
		rc=0
		# the guest lock (tests/lib/kernels.sh): alone on real time,
		# shared when counting instructions
		TWCTL_VM_LOCK=${TWCTL_VM_LOCK:-$([ -n "$ic" ] && echo shared || echo 1)} \
		TWCTL_VM_ICOUNT=${ic:+0} tests/vm/run-vm.sh \
			-t "$([ -n "$smoke" ] && echo 900 || echo 5400)" -o "$vm" "$k" \
			bench/guest.py ${smoke:+--smoke} --ko "$src/build/$k/twctl.ko" \
			--ko-tponly "$src/build/$k-tponly/twctl.ko" \
			--bench "$top/bench/twbench" --tool "$top/tools/twctl" --only "$parts" \
			${reps:+--reps "$reps"} ${conns:+--conns "$conns"} ${p3cases:+--p3-cases "$p3cases"} \
			${icports:+--icount-ports "$icports"} ${p1churn:+--p1-churn "$p1churn"} \
			${twlevels:+--tw-levels "$twlevels"} ${nslevels:+--ns-levels "$nslevels"} \
			${sreps:+--scale-reps "$sreps"} --out /tmp/twctl-out/bench.json || rc=$?
		t1=$(date +%s)
		if [ $rc -ne 0 ] || [ ! -f "$vm/bench.json" ]; then
			echo "bench: the guest run on $k failed (exit $rc); see $vm/output" >&2
			exit 1
		fi
		# a whole run (no --only) starts the file anew with its first boot
		merge=$parts
		[ -n "$only" ] || [ -z "$first" ] || merge=''
		python3 - "$vm/bench.json" "$results/$k.json" "$commit" "$((t1 - t0))" "$merge" "$ic" "$p3cases" <<'PY'
import json, os, sys
new, path, commit, wall, only, ic, p3cases = sys.argv[1:]
d = json.load(open(new))
d["commit"] = commit
d["vm_wall_s"] = int(wall)
if ic:
    d["icount"] = True
if only and os.path.exists(path):
    # replace the re-measured parts in the earlier results
    old = json.load(open(path))
    for part in only.split(","):
        stamp = {"part": part, "started": d["started"], "commit": commit,
                 "wall_s": d["wall_s"], "vm_wall_s": int(wall), "icount": bool(ic)}
        if part == "exhaustion" and p3cases and old.get(part):
            # --p3-cases: only those cases are new; the others stay, each
            # case saying which measurement it comes from
            prev = [x for x in old.get("remeasured", []) if x["part"] == part]
            was = prev[-1] if prev else {"commit": old.get("commit"),
                                          "started": old.get("started")}
            fresh = {c["key"]: dict(c, measured={"commit": commit, "started": d["started"]})
                     for c in d[part]["cases"]}
            cases = [fresh.pop(c["key"]) if c["key"] in fresh else
                     dict(c, measured=c.get("measured", {"commit": was["commit"],
                                                         "started": was["started"]}))
                     for c in old[part]["cases"]]
            merged = dict(old[part], **{k: v for k, v in d[part].items() if k != "cases"})
            merged["cases"] = cases + list(fresh.values())
            old[part] = merged
            stamp["cases"] = p3cases
        else:
            old[part] = d[part]
        old.setdefault("remeasured", []).append(stamp)
    d = old
with open(path, "w") as f:
    json.dump(d, f, indent=1)
PY
		first=''
		echo "bench: $k $parts done in $((t1 - t0)) s -> $results/$k.json"
	done
done

if [ -n "$report" ]; then
	if [ -n "$smoke" ]; then
		python3 bench/report.py --results "$results" --doc "$results/BENCHMARKS.md" \
			--png "$results/bench-exhaustion.png" --scale-png "$results/bench-scale.png"
	else
		python3 bench/report.py --results "$results" --doc docs/BENCHMARKS.md \
			--png docs/bench-exhaustion.png --scale-png docs/bench-scale.png
	fi
fi
