"""docs/BENCHMARKS.md (and the rate-vs-time PNG) from bench/results/*.json.

    report.py --results DIR --doc FILE --png FILE

Every number in the document comes from the JSON files (one per kernel,
written by bench/run.sh); the prose around them is fixed, the verdicts are
computed."""
import argparse
import glob
import json
import os
import re
import statistics
import subprocess
import tempfile

ap = argparse.ArgumentParser()
ap.add_argument("--results", required=True)
ap.add_argument("--doc", required=True)
ap.add_argument("--png", required=True)
a = ap.parse_args()

docs = []
for f in sorted(glob.glob(os.path.join(a.results, "*.json"))):
    docs.append(json.load(open(f)))
if not docs:
    raise SystemExit(f"report: no results in {a.results}")

JIFFY_MS = 4.0
HOST_CPU = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                 if line.startswith("model name")), "?")
HOST_CORES = os.cpu_count()
QEMU = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True,
                      text=True).stdout.splitlines()[0]
out = []
w = out.append


def pct(x):
    return f"{x * 100:+.1f} %"


def f0(x):
    return "-" if x is None else f"{x:.0f}"


def f1(x):
    return "-" if x is None else f"{x:.1f}"


def f3(x):
    return "-" if x is None else f"{x:.3f}"


def quartiles(xs):
    if len(xs) < 4:
        return min(xs), max(xs)
    q = statistics.quantiles(xs, n=4)
    return q[0], q[2]


w("# Benchmarks\n")
w("Issue #9: what twctl costs on the close path, what it buys against port "
  "exhaustion, how exact its TIME_WAIT is, and its memory. Benchmarks are not "
  "tests: `make bench` measures and writes this file, after a smoke run of its "
  "harness (`bench/test_bench_smoke.py`); `make check` runs the host smoke of the "
  "load generator (`tests/host/twbench.sh`).\n")
w("## Reproduce\n")
w("```sh\nmake bench                              # Debian 6.1 and 6.12, one VM boot each, then this file\n"
  "make bench BENCH_KERNELS=61             # one kernel\n"
  "bench/run.sh --smoke                    # the ~2 min harness check (results in build/bench/smoke)\n"
  "bench/run.sh --icount --kernels \"61 612\" --reps 8 --conns 3000   # P1 as instructions (about 10 min per kernel)\n"
  "bench/run.sh --kernels \"61 612\" --only exhaustion --no-harness-check   # P3 alone (about 8 min per kernel; run it on a quiet host)\n"
  "python3 bench/report.py --results bench/results --doc docs/BENCHMARKS.md --png docs/bench-exhaustion.png\n```\n")
w("`bench/run.sh` installs `bpftrace` and `gnuplot-nox` with apt if missing, builds "
  "`bench/twbench` and `tools/twctl`, exports the module sources of git HEAD and builds "
  "them for each kernel, boots the kernel in QEMU (`tests/vm/run-vm.sh`) and runs "
  "`bench/guest.py` inside; the raw results are `bench/results/<kernel>.json` "
  "(every run, every time series). The load generator is `bench/twbench` "
  "(`twbench --help`; C11, pthreads, an epoll server, JSON output).\n")
w("## Machine\n")
w(f"- host: {HOST_CORES} cores ({HOST_CPU}), no KVM: every guest runs under QEMU TCG "
  f"({QEMU}), **1 vCPU**, 2 GiB; user space in the guest runs 10-30x slower than "
  "on the host and run-to-run noise is about ±20 %. Absolute rates below are "
  "those of this emulator, not of hardware; read the ratios.")
PARTS = ("overhead", "overhead_icount", "exhaustion", "precision", "memory")
for d in docs:
    w(f"- kernel `{d['kernel']}`: measured {d['started']} (UTC), module from commit "
      f"`{d.get('commit', '?')}`, guest time {d['wall_s']:.0f} s, whole VM run "
      f"{d.get('vm_wall_s', 0)} s{' (SMOKE run: too short for any conclusion)' if d['smoke'] else ''}"
      + f" (parts: {', '.join(p for p in PARTS if p in d)})"
      + "".join(f"; {x['part']} re-measured {x['started']} (commit `{x['commit']}`)"
                for x in d.get("remeasured", [])))
w("")

# --- P1 / P2 ---------------------------------------------------------------------
w("## P1, P2: close-path overhead (goal P1 <= 2 %; P2: ours <= 0.5x bpftrace's)\n")
w("Sequential loopback churn (`twbench -n N -c 1`: connect, close by the client, "
  "the server closes on EOF; 1 client loop, 1 vCPU) in a fresh netns per run. "
  "Configs: **none** (module not loaded), **defaults** (module loaded: every "
  "counter always on, the tracepoint and function hooks armed, event group registered, "
  "no listener), **listener** (same plus `twctl monitor` joined to the events "
  "group in that netns, output to /dev/null), **bpftrace** (no module; "
  "`bpftrace -e 'tracepoint:sock:inet_sock_set_state { @[args->newstate] = count(); }'`, "
  "what a user would run instead to count close-path states), and, where the "
  "table has it, **tracepoint_only** (a diagnosis, not a mode: a build of the module "
  "made with `TWCTL_TEST_TRACEPOINT_ONLY=1`, which arms no function hook, so "
  "only its `inet_sock_set_state` probe runs). The module has no switch for its "
  "counters or its event group: \"every counter and the event group active, no "
  "listener\" *is* the defaults config (events are only built for a listener). "
  "Runs interleave "
  "A B C D, rotating the starting config each round. *Paired ratio* = the "
  "rate of a run / the rate of the no-module run of the same round; overhead = "
  "1 - ratio.\n")
verdicts = []
for d in docs:
    ov = d.get("overhead")
    if not ov:
        continue
    sm = ov["summary"]
    w(f"### {d['kernel']}: {ov['reps']} rounds of {ov['connections_per_run']} connections\n")
    w("| config | runs | rate median (conn/s) | min | max | us/conn median | CPU us/conn median | paired ratio median | ratio IQR | ratio min..max | overhead (median) |")
    w("|---|---|---|---|---|---|---|---|---|---|---|")
    runs = ov["runs"]
    base = {r["rep"]: r for r in runs if r["cfg"] == "none"}
    for cfg in ("none", "defaults", "listener", "tracepoint_only", "bpftrace"):
        if cfg not in sm:
            continue
        s = sm[cfg]
        if cfg == "none":
            w(f"| {cfg} | {s['runs']} | {f0(s['rate_median'])} | {f0(s['rate_min'])} | "
              f"{f0(s['rate_max'])} | {f0(s['us_per_conn_median'])} | "
              f"{f0(s['cpu_us_per_conn_median'])} | 1 | | | |")
            continue
        ratios = [base[r["rep"]]["us_per_conn"] / r["us_per_conn"] for r in runs
                  if r["cfg"] == cfg and r["rep"] in base]
        q1, q3 = quartiles(ratios)
        w(f"| {cfg} | {s['runs']} | {f0(s['rate_median'])} | {f0(s['rate_min'])} | "
          f"{f0(s['rate_max'])} | {f0(s['us_per_conn_median'])} | "
          f"{f0(s['cpu_us_per_conn_median'])} | {f3(s['paired_rate_ratio_median'])} | "
          f"{f3(q1)}..{f3(q3)} | {f3(s['paired_rate_ratio_min'])}..{f3(s['paired_rate_ratio_max'])} | "
          f"{pct(1 - s['paired_rate_ratio_median'])} |")
    w("")
    # the direct per-event figure
    none_us = sm["none"]["us_per_conn_median"]
    def_us = sm.get("defaults", {}).get("us_per_conn_median")
    hits = ov.get("set_state_per_conn")
    trans = ov.get("module_transitions_per_conn")
    if def_us is not None:
        # paired differences per round, in us per connection
        diffs = [r["us_per_conn"] - base[r["rep"]]["us_per_conn"] for r in runs
                 if r["cfg"] == "defaults" and r["rep"] in base]
        dmed = statistics.median(diffs)
        dq1, dq3 = quartiles(diffs)
        nconn = sum(r["connections"] for r in runs if r["cfg"] in ("none", "defaults"))
        para = (f"**Per-event cost** (module at defaults): paired difference of time per "
                f"connection, median {dmed:+.1f} us (IQR {dq1:+.1f}..{dq3:+.1f} us) on a "
                f"base of {none_us:.0f} us per connection, over {nconn} connections.")
        if hits:
            kl = ov.get("kprobes_list") or ""
            fn = (["tcp_time_wait", "inet_twsk_alloc with its return", "__inet_twsk_schedule"]
                  if "inet_twsk_alloc" in kl else ["tcp_time_wait", "__inet_twsk_schedule"])
            ev = hits + len(fn)
            para += (f" Each connection fires `inet_sock_set_state` {hits:.1f} times "
                     f"(counted by bpftrace) and {len(fn)} of twctl's function hooks ("
                     + ", ".join(f"`{x}`" for x in fn) +
                     f"), i.e. about {ev:.0f} hook calls; the module counted {f1(trans)} "
                     f"close-path transitions per connection. That puts one hook call at "
                     f"{dmed / ev * 1000:+.0f} ns median (IQR {dq1 / ev * 1000:+.0f}.."
                     f"{dq3 / ev * 1000:+.0f} ns) of emulated time.")
        w(para + "\n")
        if "tracepoint_only" in sm:
            tdiffs = [r["us_per_conn"] - base[r["rep"]]["us_per_conn"] for r in runs
                      if r["cfg"] == "tracepoint_only" and r["rep"] in base]
            tmed = statistics.median(tdiffs)
            w(f"**Where it goes**: with every function hook disarmed (tracepoint_only) the paired "
              f"difference is {tmed:+.1f} us per connection against {dmed:+.1f} us with "
              f"everything armed: the `inet_sock_set_state` probe accounts for about "
              f"{max(0.0, min(1.0, tmed / dmed)) * 100 if dmed > 0 else 0:.0f} % of the cost, the "
              f"function hooks for the rest.\n")
        if ov.get("kprobes_list"):
            w("How the hooks were armed (`enabled_functions` or, before, `kprobes/list`; `[FTRACE]` = "
              "through the function's ftrace call site, cheaper than a breakpoint):\n")
            w("```\n" + ov["kprobes_list"].strip() + "\n```\n")
        p1 = 1 - sm["defaults"]["paired_rate_ratio_median"]
        p1_lis = 1 - sm["listener"]["paired_rate_ratio_median"] if "listener" in sm else None
        iqr = (quartiles([base[r["rep"]]["us_per_conn"] / r["us_per_conn"] for r in runs
                          if r["cfg"] == "defaults" and r["rep"] in base]))
        half = (iqr[1] - iqr[0]) / 2
        if p1 <= 0.02:
            judged = "**met**" + (" (within the noise)" if p1 + half > 0.02 else "")
        elif p1 - half <= 0.02:
            judged = (f"**not shown**: {(p1 - 0.02) * 100:.1f} points over the goal, inside the "
                      "noise of this machine (the goal lies within the IQR)")
        else:
            judged = f"**missed** by {(p1 - 0.02) * 100:.1f} points"
        v = (f"P1 on {d['kernel']}: module at defaults {pct(p1)} (paired-ratio IQR half-width "
             f"{half * 100:.1f} %): " + judged)
        if p1_lis is not None:
            v += (f"; with one listener {pct(p1_lis)}: " +
                  ("**met**" if p1_lis <= 0.02 else f"**missed** by {(p1_lis - 0.02) * 100:.1f} points"))
        verdicts.append(v)
        if "bpftrace" in sm:
            pb = 1 - sm["bpftrace"]["paired_rate_ratio_median"]
            ratio = p1 / pb if pb > 0 else float("inf")
            verdicts.append(
                f"P2 on {d['kernel']}: bpftrace costs {pct(pb)}, twctl at defaults {pct(p1)} = "
                f"{ratio:.2f}x bpftrace's cost: " +
                ("**met**" if ratio <= 0.5 else f"**missed** (goal 0.5x)") +
                (f"; with a listener {(p1_lis / pb if pb > 0 else 0):.2f}x" if p1_lis is not None else ""))
        elif ov.get("bpftrace_error"):
            verdicts.append(f"P2 on {d['kernel']}: not measured, bpftrace failed: "
                            f"`{ov['bpftrace_error'][-200:]}`")
        else:
            verdicts.append(f"P2 on {d['kernel']}: not measured (no bpftrace runs)")
        if ov.get("bpftrace_error") and "bpftrace" in sm:
            w(f"*In this run one bpftrace run failed and the remaining rounds ran without "
              f"bpftrace* (`{ov['bpftrace_error'][-160:]}`); harnesses before the fix of "
              "2026-11-25 07:25 left such a bpftrace process behind, so it may have "
              "run (attached or exiting) under some of the next rounds.\n")
        at = [r.get("bpftrace_attach_s") for r in runs if r["cfg"] == "bpftrace"]
        if at:
            w(f"bpftrace needed {min(at):.0f}-{max(at):.0f} s to attach in each run "
              "(not counted in its rate).\n")
w("")

# --- P1 in instructions -------------------------------------------------------------
if any(d.get("overhead_icount") for d in docs):
    w("## P1 in instructions (`bench/run.sh --icount`)\n")
    w("The time-based P1 above drowns in this host's noise (two cores shared with "
      "everything else, run-to-run ±20 %). So P1 is measured once more in a VM whose "
      "clock counts instructions: QEMU `-icount shift=0` advances the guest clock 1 ns "
      "per instruction executed while the vCPU runs (and in real time while it idles). "
      "For each churn run the harness takes the guest's time from twbench's start to its "
      "end minus the CPU's idle time in between (tick-sched's exact `idle_sleeptime`, "
      "`/proc/timer_list`): the instructions executed by every task, softirq and "
      "interrupt during the run, twbench's own start included, whatever else runs "
      "on the host. (twbench's elapsed time is not used: the loopback churn leaves the "
      "vCPU idle now and then, and idle runs in real time.) Same churn and configs "
      "as above, no bpftrace. This is a cost in instructions, not in time: an emulator "
      "models no caches or branch predictors, so it is the CPU work twctl adds, the part "
      "of the overhead twctl's code decides.\n")


def busy(r):
    return r.get("busy_ns_per_conn", r["us_per_conn"] * 1000)


for d in docs:
    ov = d.get("overhead_icount")
    if not ov:
        continue
    sm = ov["summary"]
    runs = ov["runs"]
    base = {r["rep"]: r for r in runs if r["cfg"] == "none"}
    w(f"### {d['kernel']}: {ov['reps']} rounds of {ov['connections_per_run']} connections\n")
    w("| config | runs | instructions/conn median | min | max | paired overhead median | min..max |")
    w("|---|---|---|---|---|---|---|")
    for cfg in ("none", "defaults", "tracepoint_only", "listener"):
        if cfg not in sm:
            continue
        ins = [busy(r) for r in runs if r["cfg"] == cfg]
        row = f"| {cfg} | {len(ins)} | {f0(statistics.median(ins))} | {f0(min(ins))} | {f0(max(ins))} |"
        if cfg == "none":
            w(row + " | |")
            continue
        ovs = [busy(r) / busy(base[r["rep"]]) - 1 for r in runs
               if r["cfg"] == cfg and r["rep"] in base]
        w(row + f" {pct(statistics.median(ovs))} | {pct(min(ovs))}..{pct(max(ovs))} |")
    w("")
    if "defaults" not in sm:
        continue
    ovs = [busy(r) / busy(base[r["rep"]]) - 1 for r in runs
           if r["cfg"] == "defaults" and r["rep"] in base]
    diffs = [busy(r) - busy(base[r["rep"]]) for r in runs
             if r["cfg"] == "defaults" and r["rep"] in base]
    noise = [busy(r) for r in runs if r["cfg"] == "none"]
    spread = (max(noise) - min(noise)) / statistics.median(noise)
    p1, hi = statistics.median(ovs), max(ovs)
    tp = [busy(r) - busy(base[r["rep"]]) for r in runs
          if r["cfg"] == "tracepoint_only" and r["rep"] in base]
    w(f"Module at defaults: {statistics.median(diffs):+.0f} instructions per connection "
      f"(median of the paired differences); the no-module runs spread by "
      f"{spread * 100:.2f} % among themselves."
      + (f" With the function hooks disarmed (tracepoint_only) {statistics.median(tp):+.0f}: "
         f"the `inet_sock_set_state` probe, which runs on every state change of every TCP "
         f"socket, is about {max(0.0, min(1.0, statistics.median(tp) / statistics.median(diffs))) * 100:.0f} % "
         f"of the cost." if tp and statistics.median(diffs) > 0 else "")
      + " To see where instructions go, `perf record -e cpu-clock -a` inside such a "
      "guest samples by instructions, since its clock counts them.\n")
    if hi <= 0.02:
        judged = "**met** (every round <= 2 %)"
    elif p1 <= 0.02:
        judged = "**met** on the median, not in every round"
    else:
        judged = f"**missed** by {(p1 - 0.02) * 100:.1f} points"
    commit = d.get("commit", "?")
    for x in d.get("remeasured", []):
        if x["part"] == "overhead_icount":
            commit = x["commit"]        # the last measurement is the one kept
    v = (f"P1 in instructions on {d['kernel']} (module from commit `{commit}`): module at "
         f"defaults {pct(p1)} (rounds {pct(min(ovs))}..{pct(hi)}): {judged}")
    if "listener" in sm:
        lo = [busy(r) / busy(base[r["rep"]]) - 1 for r in runs
              if r["cfg"] == "listener" and r["rep"] in base]
        v += f"; with one listener {pct(statistics.median(lo))}"
    verdicts.append(v)

# --- P3 ---------------------------------------------------------------------------
w("## P3: port exhaustion\n")
w("Client netns with one address (192.0.2.1) and 200 source ports "
  "(`ip_local_port_range 40000 40199`), server netns (192.0.2.2:5000), joined by "
  "veth; one client loop at full speed (`twbench -d T -b 192.0.2.1 -l 192.0.2.2:5000`), "
  "client closes first, so the client holds the TIME_WAITs. *Steady* = the "
  "success rate over the second half of the run. The **limit** run spreads the "
  "same load over 1000 server ports (200 000 4-tuples): no TIME_WAIT collision, "
  "only the CPU limits it. *Zero-error rate*: a run with no EADDRNOTAVAIL at all "
  "- the unpaced run when it had no error, else the best of paced runs (`-R`, "
  "15 s) whose target is bisected between 0 and the steady rate, starting at "
  "90 % (results before 2026-12-02: 90 % then 60 %, no bisection); the rate "
  "given is what the paced run reached, its target in brackets; stock with "
  "tcp_tw_reuse=0 is paced at 90 % of 200 ports / 60 s over 75 s, longer than "
  "one TIME_WAIT.\n")
series_files = []
for d in docs:
    ex = d.get("exhaustion")
    if not ex:
        continue
    cases = ex["cases"]
    lim = next((c for c in cases if c["key"] == "limit"), None)
    lim_rate = lim.get("zero_error_rate") if lim else None
    w(f"### {d['kernel']}: {ex['duration_s']} s per unpaced run\n")
    w("| case | connections | rate overall (conn/s) | steady (conn/s) | EADDRNOTAVAIL | zero-error rate (conn/s) | its ratio to the limit |")
    w("|---|---|---|---|---|---|---|")
    for c in cases:
        u = c["unpaced"]
        z = c.get("zero_error_rate")
        zr = f"{z / lim_rate:.3f}" if z and lim_rate else "-"
        pac = ""
        if c["paced"]:
            ok0 = [p for p in c["paced"] if p["errors_total"] == 0]
            p = max(ok0, key=lambda p: p["rate"]) if ok0 else c["paced"][-1]
            pac = f" (paced {p['target']:.1f}/s, {p['errors_total']} errors"
            if len(c["paced"]) > 1:
                pac += "; targets tried: " + ", ".join(
                    f"{q['target']:.0f}/s->{q['rate']:.0f}/s "
                    f"{'ok' if not q['errors_total'] else str(q['errors_total']) + ' err'}"
                    for q in c["paced"])
            pac += ")"
        w(f"| {c['label']} | {u['connections']} | {f0(u['rate'])} | {f1(c['steady_rate'])} | "
          f"{u['errors'].get('EADDRNOTAVAIL', 0)} | {f1(z) if z else 'none found'}{pac} | {zr} |")
        series_files.append((d["kernel"], c["label"], c["series"]))
    w("")
    for tw in [c for c in cases if c.get("traced")]:
        t = tw["traced"]
        tr = t["trace"]
        dec = tr["decisions"]
        diff = dict(tr["real_minus_computed_ms"])
        ref = dict(tr["refused_real_age_ms"])
        delay = tw["policy"].get("reuse_delay_ms", 100)
        wrong = sum(n for a, n in ref.items() if a >= delay)
        st = tw["unpaced"].get("module_stats")
        w(f"**Reuse decisions, {tw['label']}** ({d['kernel']}): the same unpaced run "
          f"again with twctl's `tw_arm` and `tw_reuse_decision` tracepoints on "
          f"({f0(t['rate'])} conn/s, {t['errors'].get('EADDRNOTAVAIL', 0)} "
          f"EADDRNOTAVAIL; {tr['lost_events']} events lost): {dec['granted']} "
          f"reuses granted; of the refusals only those with a computed age of "
          f"{tr.get('refused_recorded_from_ms', 0)} ms or more were recorded "
          f"({dec['refused_policy']}; the younger ones are really younger than "
          f"{delay} ms). Each decision's real age "
          f"(trace clock, from the socket's `tw_arm`) minus the age the module "
          f"computed from jiffies: median {tr['real_minus_computed_p50']} ms, "
          f"99th percentile {tr['real_minus_computed_p99']} ms, range "
          f"{min(diff) if diff else '-'}..{max(diff) if diff else '-'} ms; "
          f"refusals of sockets really {delay} ms old or more: {wrong} of "
          f"{sum(ref.values())}.")
        if st:
            w(f" Module counters of the untraced unpaced run: "
              f"reuse_granted {st['reuse_granted']}, reuse_refused_policy "
              f"{st['reuse_refused_policy']}, reuse_refused_no_ts "
              f"{st['reuse_refused_no_ts']}.")
        w("\n")
    tw = next((c for c in cases if c["key"] == "twctl_always"), None)
    if tw and lim_rate and tw.get("zero_error_rate"):
        verdicts.append(f"P3 on {d['kernel']}: twctl reuse always + 100 ms sustains "
                        f"{tw['zero_error_rate']:.0f} conn/s with zero EADDRNOTAVAIL = "
                        f"{tw['zero_error_rate'] / lim_rate:.2f}x the limit "
                        f"({lim_rate:.0f}/s): goal 0.95x "
                        f"{'**met**' if tw['zero_error_rate'] / lim_rate >= 0.95 else '**missed**'}"
                        f" (unpaced {tw['unpaced']['rate']:.0f}/s with "
                        f"{tw['unpaced']['errors'].get('EADDRNOTAVAIL', 0)} EADDRNOTAVAIL; "
                        f"see the notes on P3); msl 500 ms "
                        f"{next((c.get('zero_error_rate') or 0) for c in cases if c['key'] == 'twctl_msl500'):.0f}/s, "
                        f"stock tcp_tw_reuse=1 "
                        f"{next((c.get('zero_error_rate') or 0) for c in cases if c['key'] == 'stock_reuse1'):.0f}/s, "
                        f"stock tcp_tw_reuse=0 "
                        f"{next((c.get('zero_error_rate') or 0) for c in cases if c['key'] == 'stock_reuse0'):.1f}/s")

if series_files:
    png = os.path.abspath(a.png)
    kernels = sorted({k for k, _, _ in series_files})
    with tempfile.TemporaryDirectory() as tmp:
        script = ("set terminal pngcairo noenhanced size 1000,%d font ',10'\n" % (480 * len(kernels)) +
                  f"set output '{png}'\n"
                  f"set multiplot layout {len(kernels)},1\n"
                  "set xlabel 'time (s)'\nset ylabel 'successful connections/s (0.5 s bins)'\n"
                  "set yrange [0:*]\nset key outside below\nset grid\n")
        for k in kernels:
            plots = []
            for i, (kk, label, ser) in enumerate(series_files):
                if kk != k:
                    continue
                fn = os.path.join(tmp, f"s{i}.dat")
                with open(fn, "w") as f:
                    prev = 0.0
                    for t, ok, _err in ser:
                        dt = t - prev
                        if dt > 0.05:
                            f.write(f"{t:.3f} {ok / dt:.2f}\n")
                        prev = t
                plots.append(f"'{fn}' using 1:2 with linespoints title '{label}'")
            script += (f"set title 'Port exhaustion on {k}: 1 client address, 200 ports -> "
                       "1 server ip:port over veth (QEMU TCG, 1 vCPU)'\n"
                       "plot " + ", \\\n  ".join(plots) + "\n")
        script += "unset multiplot\n"
        subprocess.run(["gnuplot"], input=script, text=True, check=True)
    w(f"![successful connections/s over time per case](./{os.path.basename(a.png)})\n")
    w("(At 0 connections/s every connect() failed with EADDRNOTAVAIL.)\n")

# --- P4 ---------------------------------------------------------------------------
w("## P4: TIME_WAIT precision (goal: never shorter than 2 x MSL, at most 1 jiffy + 2 % longer)\n")
w("For each MSL a netns with that `msl_ms`, TIME_WAITs made by an active close "
  "on loopback: the 5 s and 30 s ones first, all at once, then the 50 ms and 500 ms ones one at a time, each polled from its start to its end. Two views of each socket's life: "
  "**module**: the `twctl:tw_expire` tracepoint's lifetime in ms (from the "
  "arming of the timer to the end) and `stats/lifetime_ms` (log2 buckets); "
  "**observer**: polling `/proc/net/tcp` of the netns - a lifetime lies between "
  "*lower* = last poll that still saw it - the end of the close, and *upper* = "
  "first poll that did not - the start of the close. Limit = 2 x MSL x 1.02 + 4 ms.\n")
for d in docs:
    pr = d.get("precision")
    if not pr:
        continue
    w(f"### {d['kernel']}: {pr['per_msl']} sockets per MSL, {pr['polls']} polls\n")
    w("| msl_ms | 2 x MSL | module min..max (ms) | module histogram (bucket < ms: count) | observer lower min..max (s) | observer upper min..max (s) | limit (s) | never shorter | within limit (module) |")
    w("|---|---|---|---|---|---|---|---|---|")
    for x in pr["results"]:
        m = x["module_ms"]
        conf = x["configured_s"]
        hist = ", ".join(f"<{b}: {n}" for b, n in x["module_hist"])
        over = x["longer_than_limit_module"]
        w(f"| {x['msl_ms']} | {conf:g} s | {m['min']}..{m['max']} | {hist} | "
          f"{f3(x['observer_lower_s']['min'])}..{f3(x['observer_lower_s']['max'])} | "
          f"{f3(x['observer_upper_s']['min'])}..{f3(x['observer_upper_s']['max'])} | "
          f"{x['limit_s']:.3f} | {'yes' if not x['shorter_seen'] else '**NO**'} | "
          f"{'yes' if not over else f'**no**: {over}/{m[chr(110)]} longer, worst +{(m[chr(109)+chr(97)+chr(120)] / 1000 / conf - 1) * 100:.1f} %'} |")
    w("")
    short = [x for x in pr["results"] if x["shorter_seen"]]
    over = [x for x in pr["results"] if x["longer_than_limit_module"]]
    v = f"P4 on {d['kernel']}: never shorter: " + ("**met**" if not short else
                                                   f"**missed** (MSL {[x['msl_ms'] for x in short]})")
    if over:
        v += "; at most 1 jiffy + 2 % longer: **missed** for MSL " + ", ".join(
            f"{x['msl_ms']} ms (worst {x['module_ms']['max'] - 2 * x['msl_ms']} ms = "
            f"+{(x['module_ms']['max'] / (2 * x['msl_ms']) - 1) * 100:.1f} %)" for x in over)
    else:
        v += "; at most 1 jiffy + 2 % longer: **met**"
    verdicts.append(v)

# --- P5 ---------------------------------------------------------------------------
w("## P5: memory\n")
w("`/proc/slabinfo` `tw_sock_TCP` while a netns holds N fresh TIME_WAIT sockets, "
  "without and with the module; the module's size from `/proc/modules`; per "
  "netns: `Slab` and `Percpu` of `/proc/meminfo` across creating N netns, "
  "without and with the module loaded (medians of 3 rounds), the difference "
  "being the module's share.\n")
for d in docs:
    me = d.get("memory")
    if not me:
        continue
    a0, a1 = me["tw_without"], me["tw_with"]
    w(f"### {d['kernel']}\n")
    w("| | tw_sock_TCP object size (bytes) | new active objects per TIME_WAIT | slab bytes per TIME_WAIT (new slabs) |")
    w("|---|---|---|---|")
    for name, x in (("without module", a0), ("with module", a1)):
        w(f"| {name} | {x['objsize']} | {x['active_delta'] / x['tw_sockets']:.2f} | {x['bytes_per_tw_slab_pages']:.0f} |")
    w("")
    kw, kn = me["netns_kb_with"], me["netns_kb_without"]
    w(f"Module core size: {me['module_core_bytes']} bytes. Per netns ({me['netns_count']} "
      f"netns): Slab {kn['Slab']:.1f} kB without, {kw['Slab']:.1f} kB with; Percpu "
      f"{kn['Percpu']:.2f} kB without, {kw['Percpu']:.2f} kB with; the module's share "
      f"{me['module_kb_per_netns']['Slab']:+.1f} kB slab, {me['module_kb_per_netns']['Percpu']:+.2f} kB "
      "per-CPU (1 vCPU).\n")
    ko = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "bench",
                      "src", "build", d["kernel"], "twctl.ko")
    sizes = {}
    for st in ("twctl_pernet", "twctl_stats", "twctl_snap"):
        r = subprocess.run(["pahole", "-C", st, ko], capture_output=True, text=True) \
            if os.path.exists(ko) else None
        m = re.search(r"/\* size: (\d+),", r.stdout) if r and r.returncode == 0 else None
        if m:
            sizes[st] = int(m.group(1))
    if len(sizes) == 3:
        def kmalloc(n):
            return next(c for c in (8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192)
                        if c >= n)
        fixed = kmalloc(sizes["twctl_pernet"]) + kmalloc(sizes["twctl_snap"])
        w(f"Exact, from the module's structures (`pahole` on the twctl.ko last built by `bench/run.sh`, i.e. of its latest commit above): per netns "
          f"`struct twctl_pernet` {sizes['twctl_pernet']} bytes (the netns core's "
          f"`net_generic` allocation, kmalloc-{kmalloc(sizes['twctl_pernet'])}), the policy "
          f"snapshot `struct twctl_snap` {sizes['twctl_snap']} bytes (kmalloc-"
          f"{kmalloc(sizes['twctl_snap'])}) and per-CPU counters `struct twctl_stats` "
          f"{sizes['twctl_stats']} bytes per possible CPU: **{fixed} + {sizes['twctl_stats']} x CPUs "
          f"bytes per netns** ({(fixed + sizes['twctl_stats']) / 1024:.1f} KiB with 1 CPU, "
          f"{(fixed + 64 * sizes['twctl_stats']) / 1024:.1f} KiB with 64). Nothing per socket.\n")
        exact = f"; exactly {fixed} + {sizes['twctl_stats']} x CPUs bytes per netns by its structures"
    else:
        exact = ""
    same = a0["objsize"] == a1["objsize"]
    verdicts.append(f"P5 on {d['kernel']}: tw_sock_TCP objects {a0['objsize']} bytes without and "
                    f"{a1['objsize']} with the module ({'no per-socket cost' if same else 'DIFFERENT'}); "
                    f"module per netns {me['module_kb_per_netns']['Slab']:+.1f} kB slab + "
                    f"{me['module_kb_per_netns']['Percpu']:+.2f} kB per-CPU (meminfo difference; "
                    f"see the noise note){exact}")

summary = ["## Summary: the goals\n"] + [f"- {v}" for v in verdicts] + [""]
notes_file = os.path.join(os.path.dirname(os.path.abspath(__file__)), "NOTES.md")
notes = open(notes_file).read() if os.path.exists(notes_file) else ""
text = "\n".join(out[:1] + [out[1]] + summary + out[2:]) + "\n" + notes
with open(a.doc, "w") as f:
    f.write(text)
print(f"report: wrote {a.doc} and {a.png}")
