"""Smoke run of the benchmark harness (bench/guest.py --smoke, about 2 min of
guest time): every part runs and produces well-formed, plausible results.
No timing goal is checked here; `make bench` measures them."""
# Run by make bench before the benchmarks (bench/run.sh), not by make check.
import json
import os
import subprocess

from twtest import KO, TOOL, diag, done, ok

REPO = os.environ.get("TWCTL_REPO", "")
OUT = "/tmp/bench-smoke.json"

r = subprocess.run(["python3", f"{REPO}/bench/guest.py", "--smoke", "--ko", KO,
                    "--bench", f"{REPO}/bench/twbench", "--tool", TOOL, "--out", OUT],
                   capture_output=True, text=True, timeout=600)
for line in r.stderr.splitlines()[-40:]:
    diag(line.lstrip("# "))
ok(r.returncode == 0 and os.path.exists(OUT), "bench/guest.py --smoke completes",
   f"exit {r.returncode}")
try:
    d = json.load(open(OUT))
except (OSError, ValueError) as e:
    d = {}
    diag(f"no results: {e}")
ok(all(p in d for p in ("overhead", "exhaustion", "precision", "memory")),
   "the results have every part (overhead, exhaustion, precision, memory)")
diag(f"guest time {d.get('wall_s')} s")

# --- overhead -------------------------------------------------------------------
ov = d.get("overhead", {})
sm = ov.get("summary", {})
ok(set(sm) >= {"none", "defaults", "listener"} and all(
    sm[c]["runs"] == ov["reps"] and sm[c]["rate_min"] > 0 and sm[c]["errors"] == 0
    for c in ("none", "defaults", "listener")),
   "overhead: every config ran each rep, nonzero rates, no connection error", str(sm)[:300])
runs = ov.get("runs", [])
ok(runs and all(x["connections"] == ov["connections_per_run"] for x in runs),
   "overhead: each run made its full count of connections")
ok(all(x.get("module_transitions", 0) >= 4 * x["connections"]
       for x in runs if x["cfg"] in ("defaults", "listener")) and runs,
   "overhead: the module counted the churn (>= 4 transitions per connection)")
ok(all("paired_rate_ratio_median" in sm[c] for c in ("defaults", "listener") if c in sm),
   "overhead: paired ratios against the no-module runs are computed")
# the busy time --icount turns into instructions: the run's time (twbench's
# start included) minus the CPUs' idle time, so more than 0, at most that time
ok(runs and all(0 < x.get("busy_ns", 0) <= x.get("wall_ns", 0) for x in runs),
   "overhead: each run has its busy (non-idle) time",
   str([(x["cfg"], x.get("busy_ns"), x.get("wall_ns")) for x in runs])[:300])

# --- port exhaustion ---------------------------------------------------------------
ex = d.get("exhaustion", {})
cases = {c["key"]: c for c in ex.get("cases", [])}
ok(set(cases) == {"stock_reuse0", "stock_reuse1", "twctl_msl500", "twctl_always", "limit"},
   "exhaustion: the five cases ran", str(list(cases)))
ok(cases and all(c["series"] and sum(s[1] for s in c["series"]) == c["unpaced"]["connections"]
                 for c in cases.values()),
   "exhaustion: each time series adds up to the run's connections")
ok(cases and all(c.get("client_ports") == c["client_port_range"][1] - c["client_port_range"][0] + 1
                 for c in cases.values()) and
   cases.get("twctl_always", {}).get("client_ports") == 1000 and
   all(cases.get(k, {}).get("client_ports") == 200 for k in
       ("stock_reuse0", "stock_reuse1", "twctl_msl500", "limit")),
   "exhaustion: each case records its client ports (reuse always 1000, the others 200)",
   str({k: c.get("client_port_range") for k, c in cases.items()}))
c0 = cases.get("stock_reuse0", {}).get("unpaced", {})
ok(c0.get("connections") == cases.get("stock_reuse0", {}).get("client_ports") and
   c0.get("errors", {}).get("EADDRNOTAVAIL", 0) > 0,
   "exhaustion: stock tcp_tw_reuse=0 uses each client port once, then EADDRNOTAVAIL",
   str(c0)[:300])
lim = cases.get("limit", {}).get("unpaced", {})
ok(lim.get("errors_total") == 0 and
   lim.get("connections", 0) > cases.get("limit", {}).get("client_ports", 0),
   "exhaustion: the many-server-ports limit run has no error and outlasts the port range",
   str(lim)[:300])
m5 = cases.get("twctl_msl500", {})
ok(m5.get("zero_error_rate", 0) > 0 and m5["paced"][-1]["errors_total"] == 0,
   "exhaustion: msl 500 ms, a paced run without EADDRNOTAVAIL", str(m5.get("paced"))[:300])
tw = cases.get("twctl_always", {})
trd = tw.get("traced", {}).get("trace", {})
ok(trd.get("decisions", {}).get("granted", 0) > 0 and trd.get("real_minus_computed_ms")
   and not trd.get("lost_events"),
   "exhaustion: reuse always, traced: reuse decisions with their real and computed ages",
   str(trd)[:300])
ok(tw.get("unpaced", {}).get("module_stats", {}).get("reuse_granted", 0) > 0,
   "exhaustion: reuse always: the module's reuse counters are read",
   str(tw.get("unpaced", {}).get("module_stats")))

# --- precision ---------------------------------------------------------------------
pr = d.get("precision", {}).get("results", [])
ok([x["msl_ms"] for x in pr] == [50, 500], "precision: MSL 50 and 500 ms measured")
for x in pr:
    ok(x["observed_gone"] == x["sockets"] and x["module_ms"]["n"] == x["sockets"] and
       x["module_hist"],
       f"precision msl {x['msl_ms']}: every TIME_WAIT seen ending by /proc/net/tcp, "
       "the module's tracepoint and histogram", json.dumps(x)[:300])
    ok(x["observer_upper_s"]["max"] is not None and
       x["observer_upper_s"]["max"] < x["configured_s"] + 2.0,
       f"precision msl {x['msl_ms']}: lifetimes near 2 x MSL (plausibility, not the goal)",
       json.dumps(x["observer_upper_s"]))

# --- memory ------------------------------------------------------------------------
me = d.get("memory", {})
ok(me.get("tw_with", {}).get("objsize", 0) > 0 and me.get("module_core_bytes", 0) > 0 and
   "module_kb_per_netns" in me,
   "memory: tw_sock_TCP object size, module size and per-netns figures present",
   str(me)[:300])
# --- scale (issue #20): small sizes, in this real-time VM -----------------------
SOUT = "/tmp/bench-smoke-scale.json"
r = subprocess.run(["python3", f"{REPO}/bench/guest.py", "--smoke", "--ko", KO,
                    "--bench", f"{REPO}/bench/twbench", "--tool", TOOL,
                    "--only", "scale_tw,scale_netns", "--out", SOUT],
                   capture_output=True, text=True, timeout=600)
for line in r.stderr.splitlines()[-30:]:
    diag(line.lstrip("# "))
ok(r.returncode == 0 and os.path.exists(SOUT), "bench/guest.py --smoke --only scale_tw,scale_netns completes",
   f"exit {r.returncode}")
try:
    s = json.load(open(SOUT))
except (OSError, ValueError) as e:
    s = {}
    diag(f"no scale results: {e}")
st = s.get("scale_tw", {})
runs = st.get("runs", [])
ok(runs and {(x["phase"], x["cfg"]) for x in runs} == {("A", "records"), ("B", "none"), ("B", "defaults")}
   and all(x.get("busy_ns_per_conn", 0) > 0 and x["errors_total"] == 0 for x in runs),
   "scale_tw: records on, none and defaults ran at every level, no connection error",
   str([(x["phase"], x["level"], x["cfg"], x.get("busy_ns_per_conn")) for x in runs])[:300])
ok(runs and all(x["alive_before"]["tw"] >= x["level"] and x["alive_after"]["tw"] >= x["level"]
                for x in runs),
   "scale_tw: each level's TIME_WAITs stay alive through its runs (sockstat)",
   str([(x["level"], x["alive_before"], x["alive_after"]) for x in runs])[:300])
ok(all(x["alive_before"].get("tw_records", 0) >= x["level"] for x in runs if x["phase"] == "A")
   and any(x["phase"] == "A" for x in runs),
   "scale_tw: with records on, every fill TIME_WAIT has a record")
rm = st.get("record_memory", {})
ok(rm.get("records", 0) >= max(st.get("levels", [0])) and rm.get("freed", {}).get("kmalloc_bytes") is not None,
   "scale_tw: the records' memory is measured", str(rm.get("freed"))[:300])
sn = s.get("scale_netns", {})
mem = sn.get("memory", [])
ok([m["netns"] for m in mem] == sn.get("levels") and mem and
   all(m["netns_count"] >= m["netns"] for m in mem) and
   all(m["policy_read_back"] == {k: str(v) for k, v in sn["policy"].items()} for m in mem),
   "scale_netns: every level's namespaces exist (netns_count) and hold the policy",
   str(mem)[:300])
nr = sn.get("runs", [])
ok(nr and {x["cfg"] for x in nr} == {"none", "defaults"} and
   all(x.get("busy_ns_per_conn", 0) > 0 and x["errors_total"] == 0 for x in nr),
   "scale_netns: none and defaults ran at every level, no connection error")
done()
