#!/bin/bash
# make bench: the twctl benchmarks (docs/BENCHMARKS.md), one VM boot per
# kernel, then the report.
#
#   bench/run.sh [--smoke] [--kernels "61 612"] [--results DIR] [--no-report]
#                [--only overhead,exhaustion,precision,memory] [--icount]
#                [--reps N] [--conns N] [--p3-cases KEYS] [--no-harness-check]
#
# --p3-cases runs only these P3 cases (keys of bench/guest.py, e.g.
# twctl_always,limit); --no-harness-check skips the harness smoke test
# (for such partial re-measurements).
#
# --icount measures P1 again as instructions: the VM runs with QEMU's
# -icount shift=0 (TCG), so its clock advances 1 ns per instruction executed
# and the churn's "time" per connection is the guest's instruction count,
# whatever else loads this host. Stored as the part overhead_icount.
#
# --only re-measures some parts and replaces them in existing results.
# The module is built from the committed sources (git HEAD, exported into
# build/bench/src), so the numbers belong to a commit. Raw results:
# DIR/<kernel>.json (default bench/results); the report: docs/BENCHMARKS.md
# and docs/bench-exhaustion.png (not with --smoke, which writes its report
# next to its results in build/bench/smoke). Needs bpftrace and gnuplot-nox
# (installed with apt when missing; --smoke needs neither).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
top=$repo
cd "$top"
# shellcheck source=tests/lib/kernels.sh
. tests/lib/kernels.sh
# shellcheck source=tests/lib/build.sh
. tests/lib/build.sh

smoke='' kernels="61" results='' report=1 only='' icount='' reps='' conns='' p3cases='' hcheck=1
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) smoke=1 ;;
	--kernels) kernels=$2; shift ;;
	--results) results=$2; shift ;;
	--no-report) report= ;;
	--only) only=$2; shift ;;
	--icount) icount=1 ;;
	--reps) reps=$2; shift ;;	# overhead: rounds
	--conns) conns=$2; shift ;;	# overhead: connections per run
	--p3-cases) p3cases=$2; shift ;;
	--no-harness-check) hcheck= ;;
	*) sed -n '2,27p' "$0"; exit 2 ;;
	esac
	shift
done
if [ -n "$icount" ]; then
	only=overhead_icount
	export TWCTL_VM_ICOUNT=0
fi
[ -n "$results" ] || results=$([ -n "$smoke" ] && echo build/bench/smoke || echo bench/results)
mkdir -p "$results"
results=$(cd "$results" && pwd)

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if [ -z "$smoke" ]; then
	missing=()
	for p in bpftrace gnuplot-nox; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "bench: installing ${missing[*]}"
		sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends "${missing[@]}" >/dev/null
	fi
fi
resolve_kernels

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
if [ -z "$smoke" ] && [ -z "$icount" ] && [ -n "$hcheck" ]; then
	(repo=$top && build_module "$K61" "/lib/modules/$K61/build") >/dev/null ||
		{ echo "bench: module build for $K61 failed" >&2; exit 1; }
	python3 tests/vm/suites.py "$K61" 61 bench/test_bench_smoke.py=900 ||
		{ echo "bench: the harness smoke test failed" >&2; exit 1; }
fi

for sel in $kernels; do
	case $sel in
	61) k=$K61 kdir=/lib/modules/$K61/build ;;
	612) k=$K612 kdir=/lib/modules/$K612/build ;;
	*) echo "bench: unknown kernel '$sel' (61, 612)" >&2; exit 2 ;;
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
	rm -f "$vm/bench.json"
	echo "bench: $k (commit $commit) ..."
	t0=$(date +%s)
	rc=0
	tests/vm/run-vm.sh -t "$([ -n "$smoke" ] && echo 600 || echo 2700)" -o "$vm" "$k" \
		bench/guest.py ${smoke:+--smoke} --ko "$src/build/$k/twctl.ko" \
		--ko-tponly "$src/build/$k-tponly/twctl.ko" \
		--bench "$top/bench/twbench" --tool "$top/tools/twctl" \
		${only:+--only "$only"} ${reps:+--reps "$reps"} ${conns:+--conns "$conns"} ${p3cases:+--p3-cases "$p3cases"} --out /tmp/twctl-out/bench.json || rc=$?
	t1=$(date +%s)
	if [ $rc -ne 0 ] || [ ! -f "$vm/bench.json" ]; then
		echo "bench: the guest run on $k failed (exit $rc); see $vm/output" >&2
		exit 1
	fi
	python3 - "$vm/bench.json" "$results/$k.json" "$commit" "$((t1 - t0))" "$only" <<'PY'
import json, os, sys
new, path, commit, wall, only = sys.argv[1:]
d = json.load(open(new))
d["commit"] = commit
d["vm_wall_s"] = int(wall)
if only and os.path.exists(path):
    # replace the re-measured parts in the earlier results
    old = json.load(open(path))
    for part in only.split(","):
        old[part] = d[part]
        old.setdefault("remeasured", []).append(
            {"part": part, "started": d["started"], "commit": commit, "wall_s": d["wall_s"]})
    d = old
with open(path, "w") as f:
    json.dump(d, f, indent=1)
PY
	echo "bench: $k done in $((t1 - t0)) s -> $results/$k.json"
done

if [ -n "$report" ]; then
	if [ -n "$smoke" ]; then
		python3 bench/report.py --results "$results" --doc "$results/BENCHMARKS.md" \
			--png "$results/bench-exhaustion.png"
	else
		python3 bench/report.py --results "$results" --doc docs/BENCHMARKS.md \
			--png docs/bench-exhaustion.png
	fi
fi
