"""The twctl tool end to end against the module: not-loaded message, show
(text and JSON), set with units and its effect on sysfs (and back),
per-namespace use with -n, permissions, client-side and kernel-side value
checks (extack naming the knob and range), stats, monitor, and a tool
speaking another netlink version.

TWCTL_TOOL is the tool (tools/twctl); TWCTL_TOOL_V99 the variant built with
TWCTL_TOOL_GENL_VERSION=99 (default: twctl-v99 next to TWCTL_TOOL; built by
`make -C tools variant-v99`, which tests/host/tool.sh runs)."""
# The tool is user space: on the debug kernel it would retest, slowly, the
# netlink paths test_netlink and test_fuzz cover there.
# not on kernels: debug
import json
import os
import select
import signal
import subprocess
import time

from twtest import (Netns, active_close, diag, done, load, loaded, ok, set_msl, sysfs_read,
                    unload)

REPO = os.environ.get("TWCTL_REPO", "")
TOOL = os.environ["TWCTL_TOOL"]
TOOL_V99 = (os.environ.get("TWCTL_TOOL_V99")
            or os.path.join(os.path.dirname(TOOL), "twctl-v99"))
# The version the module under test was built with (tests/lib/build.sh puts
# scripts/version.sh's output next to it): the tool's must be the same.
with open(os.path.join(os.path.dirname(os.environ["TWCTL_KO"]), "VERSION")) as f:
    VERSION = f.read().strip()


def run(argv, env=None, timeout=60):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run(argv, text=True, capture_output=True, env=e,
                          timeout=timeout)


def tw(*args, env=None, tool=None):
    """Run the tool with args; a CompletedProcess."""
    return run([tool or TOOL, *args], env=env)


def first(out):
    """The first line of `show`, white space folded: the msl line."""
    return " ".join(out.splitlines()[0].split()) if out else ""


def msl_keys(j):
    return {k: j.get(k) for k in ("netns", "msl_ms", "time_wait_ms")}


def shown(r):
    return f"exit {r.returncode}, stdout {r.stdout!r}, stderr {r.stderr!r}"


def show_json(*pre):
    r = tw(*pre, "-j", "show")
    try:
        return json.loads(r.stdout)
    except ValueError:
        return {"error": shown(r)}


def msl():
    return int(sysfs_read("msl_ms"))


# --- before the module is loaded ---------------------------------------------
if loaded():
    unload()
r = tw("show")
ok(r.returncode == 3 and "not loaded" in r.stderr and "modprobe twctl" in r.stderr
   and "insmod twctl.ko" in r.stderr and r.stdout == "",
   "no module: show exits 3, says it is not loaded and how to load it", shown(r))
r = tw("set", "msl", "2s")
ok(r.returncode == 3 and "not loaded" in r.stderr, "no module: set exits 3", shown(r))
r = tw("-V")
ok(r.returncode == 0 and r.stdout == f"twctl {VERSION} (netlink v1)\nmodule not loaded\n",
   "no module: -V prints the tool's version and 'module not loaded'", shown(r))

load()

# --- show -----------------------------------------------------------------------
r = tw("show")
ok(r.returncode == 0 and first(r.stdout) == "msl 30000ms (TIME_WAIT 60s)" and r.stderr == "",
   "show: msl 30000ms (TIME_WAIT 60s) by default", shown(r))
j = show_json()
ok(msl_keys(j) == {"netns": None, "msl_ms": 30000, "time_wait_ms": 60000}
   and j.get("reuse") == "inherit" and j.get("reuse_delay_ms") == 1000,
   "show -j: netns null, msl_ms 30000, time_wait_ms 60000", f"{j}")
r = tw("-p", "show")
ok(r.returncode == 0 and r.stdout.startswith("{\n    \"schema_version\": 1,\n    \"netns\": null,\n")
   and json.loads(r.stdout) == j, "show -p: pretty JSON, same content", shown(r))
r = tw("-V")
want = f"twctl {VERSION} (netlink v1)\nmodule {sysfs_read('version')} (netlink v1)\n"
ok(r.returncode == 0 and r.stdout == want,
   "-V: the tool's and the module's versions and netlink versions", shown(r))
r = tw("-j", "-V")
ok(r.returncode == 0 and json.loads(r.stdout) == {
    "version": VERSION, "netlink_version": 1,
    "module_version": sysfs_read("version"), "module_netlink_version": 1},
   "-j -V: version keys", shown(r))

# --- set, and sysfs agrees both ways ---------------------------------------------
r = tw("set", "msl", "2s")
ok(r.returncode == 0 and r.stdout == "" and r.stderr == "" and msl() == 2000,
   "set msl 2s: sysfs reads 2000", shown(r) + f", sysfs {msl()}")
r = tw("show")
ok(first(r.stdout) == "msl 2000ms (TIME_WAIT 4s)", "show after set: msl 2000ms (TIME_WAIT 4s)",
   shown(r))
set_msl(750)
j = show_json()
ok(j.get("msl_ms") == 750 and j.get("time_wait_ms") == 1500,
   "a sysfs write shows in the tool (750 ms, TIME_WAIT 1500 ms)", f"{j}")
bad_units = []
for value, want in [("500ms", 500), ("1.5s", 1500), ("1m", 60000), ("1min", 60000),
                    ("250", 250), ("10min", 600000), ("1", 1), ("0.25s", 250),
                    ("3000us", 3), ("2sec", 2000), ("250msec", 250), ("0.1h", 360000)]:
    r = tw("set", "msl", value)
    j = show_json()
    if r.returncode != 0 or msl() != want or j.get("msl_ms") != want:
        bad_units.append(f"{value}: {shown(r)}, sysfs {msl()}, json {j}")
ok(not bad_units, "set msl with units: 500ms 1.5s 1m 1min 250 10min 1 0.25s 3000us 2sec 250msec 0.1h",
   "; ".join(bad_units))

# --- bad values: exit 1 before anything is sent, nothing changes --------------------
set_msl(4321)
bad = []
for value in ["abc", "-1", "0", "600001", "700s", "11min", "1.5ms", "1.5", "", "2h",
              "99999999999999999999", "4294967296", "1e3", " 5", "5 ", "0x10", "+5"]:
    r = tw("set", "msl", value)
    if (r.returncode != 1 or "twctl: bad value for msl" not in r.stderr
            or r.stdout != "" or msl() != 4321):
        bad.append(f"{value!r}: {shown(r)}, sysfs {msl()}")
ok(not bad, "bad values exit 1 with a message and change nothing", "; ".join(bad))
bad = []
for args in [["set"], ["set", "msl"], ["set", "frob", "1"], ["set", "msl", "1", "msl", "2"],
             ["frob"], ["show", "x"], ["-x", "show"], []]:
    r = tw(*args)
    if r.returncode != 1 or not r.stderr.startswith("twctl: ") or msl() != 4321:
        bad.append(f"{args}: {shown(r)}")
ok(not bad, "bad command lines exit 1 and change nothing", "; ".join(bad))

# --- the kernel's own range check, past the tool's (TWCTL_NO_CLIENT_CHECKS) ------
nocheck = {"TWCTL_NO_CLIENT_CHECKS": "1"}
for value, sent in [("700000", "700000ms"), ("0", "0ms")]:
    r = tw("set", "msl", value, env=nocheck)
    ok(r.returncode == 2 and r.stderr.startswith(f"twctl: kernel refused msl {sent}: ")
       and "out of range" in r.stderr and "(allowed 1..600000 ms)" in r.stderr
       and msl() == 4321,
       f"kernel refuses msl {sent}: extack names msl and the range, exit 2, unchanged",
       shown(r))
diag("kernel refusal as printed: " + r.stderr.strip())
r = tw("set", "msl", "4294967296", env=nocheck)
ok(r.returncode == 1 and msl() == 4321,
   "TWCTL_NO_CLIENT_CHECKS still refuses values that do not fit the attribute", shown(r))

# --- several knobs in one request: all or nothing ------------------------------------
r = tw("set", "reuse", "always", "reuse-delay", "10ms")
ok(r.returncode == 0 and sysfs_read("reuse") == "always"
   and sysfs_read("reuse_delay_ms") == "10",
   "set reuse always reuse-delay 10ms: both applied", shown(r))
r = tw("set", "msl", "1s", "reuse-delay", "700001", env=nocheck)
ok(r.returncode == 2 and "reuse-delay" in r.stderr and msl() == 4321
   and sysfs_read("reuse_delay_ms") == "10",
   "a kernel refusal of one knob leaves every knob of the request unchanged", shown(r))
r = tw("set", "msl", "1s", "reuse", "sometimes")
ok(r.returncode == 1 and msl() == 4321 and sysfs_read("reuse") == "always",
   "a bad value in a multi-knob set sends nothing", shown(r))
r = tw("set", "reuse", "inherit", "reuse-delay", "1s")
ok(r.returncode == 0 and sysfs_read("reuse") == "inherit", "back to inherit", shown(r))

# --- rto-floor: 0|1 as sysfs takes them, off|on as the tool prints them ----------
bad = []
for value, want_sysfs, want_json in [("1", "1", "on"), ("0", "0", "off"),
                                     ("on", "1", "on"), ("off", "0", "off")]:
    r = tw("set", "rto-floor", value)
    j = show_json()
    if (r.returncode != 0 or sysfs_read("rto_floor") != want_sysfs
            or j.get("rto_floor") != want_json):
        bad.append(f"{value}: {shown(r)}, sysfs {sysfs_read('rto_floor')}, json {j}")
ok(not bad, "set rto-floor 1|0|on|off: sysfs 1/0, JSON \"on\"/\"off\"", "; ".join(bad))

# --- namespaces: -n, ip netns exec ------------------------------------------------------
a, b = Netns("twtool_a"), Netns("twtool_b")
r = tw("-n", "twtool_a", "set", "msl", "1500")
ok(r.returncode == 0, "-n NETNS set msl 1500", shown(r))
j = show_json("-n", "twtool_a")
ok(msl_keys(j) == {"netns": "twtool_a", "msl_ms": 1500, "time_wait_ms": 3000},
   "-n NETNS -j show: that namespace's value and its name", f"{j}")
with a:
    ok(sysfs_read("msl_ms") == "1500", "sysfs inside the namespace agrees")
ok(msl() == 4321 and show_json().get("msl_ms") == 4321,
   "the tool's own namespace is unchanged", f"sysfs {msl()}")
ok(show_json("-n", "twtool_b").get("msl_ms") == 30000,
   "another namespace keeps the default")
r = run(["ip", "netns", "exec", "twtool_a", TOOL, "show"])
ok(first(r.stdout) == "msl 1500ms (TIME_WAIT 3s)", "ip netns exec NETNS twctl show", shown(r))
r = run(["ip", "netns", "exec", "twtool_b", TOOL, "set", "msl", "2500"])
with b:
    ok(r.returncode == 0 and sysfs_read("msl_ms") == "2500",
       "ip netns exec NETNS twctl set", shown(r))
ok(msl() == 4321, "still unchanged here")
r = tw("-n", "twtool_nonexistent", "show")
ok(r.returncode == 1 and 'cannot open network namespace "twtool_nonexistent"' in r.stderr,
   "-n with an unknown namespace exits 1 with a message", shown(r))
a.delete()
b.delete()

# --- permissions ---------------------------------------------------------------------------
NOBODY = ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"]
NO_NET_ADMIN = ["setpriv", "--bounding-set", "-net_admin", "--inh-caps", "-net_admin"]
r = run(NOBODY + [TOOL, "show"])
ok(r.returncode == 0 and first(r.stdout) == "msl 4321ms (TIME_WAIT 8.642s)",
   "an unprivileged user can show", shown(r))
r = run(NOBODY + [TOOL, "stats"])
ok(r.returncode == 0, "an unprivileged user can read stats", shown(r))
for who, pre in [("an unprivileged user", NOBODY), ("root without CAP_NET_ADMIN", NO_NET_ADMIN)]:
    r = run(pre + [TOOL, "set", "msl", "100"])
    ok(r.returncode == 2 and r.stderr == "twctl: kernel refused: Operation not permitted\n"
       and msl() == 4321, f"{who}: set exits 2, Operation not permitted, unchanged", shown(r))
    r = run(pre + [TOOL, "stats", "reset"])
    ok(r.returncode == 2 and "Operation not permitted" in r.stderr,
       f"{who}: stats reset exits 2, Operation not permitted", shown(r))
if run(["unshare", "-U", "-r", "-n", "true"]).returncode == 0:
    r = run(["unshare", "-U", "-r", "-n", "sh", "-c",
             f"{TOOL} set msl 1234 && {TOOL} show"])
    ok(r.returncode == 0 and first(r.stdout) == "msl 1234ms (TIME_WAIT 2.468s)" and msl() == 4321,
       "root of a user namespace sets its own network namespace", shown(r))
else:
    diag("unshare -U -r -n not possible here: user namespace case skipped")

# --- stats, monitor --------------------------------------------------------------------------
r = tw("stats")
ok(r.returncode == 0 and r.stderr == "", "stats exits 0", shown(r))
diag(f"stats: {r.stdout!r}")
r = tw("-j", "stats")
try:
    j = json.loads(r.stdout)
except ValueError:
    j = None
ok(r.returncode == 0 and isinstance(j, dict) and j.get("netns") is None
   and all(isinstance(v, int) for k, v in j.items()
           if k not in ("netns", "module", "closes", "transitions", "lifetime_ms"))
   and all(isinstance(v, int) for v in j.get("module", {"": None}).values()),
   "stats -j: netns and integer counters", shown(r))
r = tw("stats", "reset")
ok(r.returncode == 0 and r.stdout == "" and r.stderr == "", "stats reset as root", shown(r))


def monitor_sees(p, port, out, deadline, close=True):
    """Read `twctl monitor` (p) until it prints ESTABLISHED -> FIN_WAIT1 of
    the client port that port() returns, or until deadline, or until p
    ends. The monitor joins its group some time after it starts: with
    close=True port() closes one more connection every second until one is
    seen. Appends what was read to out; returns whether it was seen."""
    fd = p.stdout.fileno()
    while time.monotonic() < deadline and p.poll() is None:
        want = f"127.0.0.1:{port()} -> 127.0.0.1:"
        end = min(deadline, time.monotonic() + 1.0) if close else deadline
        while time.monotonic() < end:
            if not select.select([fd], [], [], max(0, end - time.monotonic()))[0]:
                break
            chunk = os.read(fd, 65536).decode(errors="replace")
            if not chunk:
                return False                # it closed its output
            out.append(chunk)
            if any(want in l and l.endswith("ESTABLISHED -> FIN_WAIT1")
                   for l in "".join(out).splitlines()):
                return True
        if not close:
            return False
    return False


# The monitor prints each event as it happens (a line flushed per event) and
# runs until SIGTERM, which ends it with status 0 and nothing on stderr.
mon = subprocess.Popen([TOOL, "monitor"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
mon_out = []
seen1 = monitor_sees(mon, lambda: active_close()[0][1], mon_out, time.monotonic() + 60)
c2 = active_close()[0][1]              # a second event once it is listening
seen2 = seen1 and monitor_sees(mon, lambda: c2, mon_out, time.monotonic() + 20,
                               close=False)
alive = mon.poll() is None
mon.send_signal(signal.SIGTERM)
try:
    rest, err = mon.communicate(timeout=10)
    rc = mon.returncode
except subprocess.TimeoutExpired:
    mon.kill()
    rest, err = mon.communicate()
    rc = "none: SIGTERM did not end it"
out = "".join(mon_out) + rest.decode(errors="replace")
ok(seen1 and seen2 and alive and rc == 0 and err == b"",
   "monitor prints this namespace's events as they happen, runs until SIGTERM, exit 0",
   f"first close seen {seen1}, second {seen2}, running until SIGTERM {alive}, exit {rc}, "
   f"stderr {err!r}, stdout {out[-1500:]!r}")

# --- stats: closes, transitions, lifetime histogram (issue #6) ----------------------------------
import re  # noqa: E402  (this section's own needs)

NCLOSE = 5
d = Netns("twtool_d")
r = tw("-n", "twtool_d", "set", "msl", "200ms")
ok(r.returncode == 0, "stats: set msl 200ms in a fresh namespace", shown(r))
with d:
    for _ in range(NCLOSE):
        active_close()
time.sleep(1)
sj = {}
for _ in range(40):                     # until every TIME_WAIT of 400 ms ended
    r = tw("-n", "twtool_d", "-j", "stats")
    try:
        sj = json.loads(r.stdout)
    except ValueError:
        sj = {"error": shown(r)}
    if sj.get("tw_alive") == 0:
        break
    time.sleep(0.25)
r = tw("-n", "twtool_d", "stats")
diag("twctl stats after %d active closes, msl 200ms:\n%s" % (NCLOSE, r.stdout))
text = r.stdout.splitlines()
counters = {m.group(1): int(m.group(2)) for m in
            (re.match(r"^(\w+)\s+(\d+)$", line) for line in text) if m}
trans_text = {(m.group(1), m.group(2)): int(m.group(3)) for m in
              (re.match(r"^  (\w+) -> (\w+)\s+(\d+)$", line) for line in text) if m}
bars = [line for line in text if re.match(r"^\[\S+, \S+\)\s+\d+ \|@+ *\|$", line)]
# Each close creates one timewait socket: in TIME_WAIT at once, or first as
# FIN_WAIT2 when the peer's FIN comes late (always so on the slow debug
# kernel); either way every one moves FIN_WAIT2 -> TIME_WAIT.
ok(r.returncode == 0 and r.stderr == ""
   and counters.get("tw_created", 0) + counters.get("tw_created_fin_wait2", 0) == NCLOSE
   and trans_text.get(("FIN_WAIT2", "TIME_WAIT"), 0) == NCLOSE and bars
   and "closes:" in text and "TIME_WAIT lifetimes:" in text,
   f"stats: {NCLOSE} timewait sockets created, {NCLOSE} FIN_WAIT2 -> TIME_WAIT, closes, "
   "a histogram bar", shown(r))
ok(all(len(line) <= 80 for line in text), "stats: lines fit in 80 columns", shown(r))
want_keys = {"netns", "closes", "transitions", "lifetime_ms", "tw_created", "tw_alive"}
closes = sj.get("closes", {})
trans = {(t.get("from"), t.get("to")): t.get("count") for t in sj.get("transitions", [])}
hist = sj.get("lifetime_ms", [])
ok(want_keys <= set(sj) and set(closes) == {"active", "passive", "simultaneous"}
   and all(set(t) == {"from", "to", "count"} for t in sj["transitions"])
   and all(set(b) == {"lt_ms", "count"} for b in hist),
   "stats -j: closes, transitions, lifetime_ms with their keys", f"{sj}")
ok(closes.get("active") == trans.get(("ESTABLISHED", "FIN_WAIT1")) == NCLOSE
   and closes.get("passive") == trans.get(("ESTABLISHED", "CLOSE_WAIT")) == NCLOSE
   and closes.get("simultaneous") == 0,
   f"stats -j: closes.active = ESTABLISHED -> FIN_WAIT1 = {NCLOSE}, passive {NCLOSE}",
   f"{sj}")
ended = sum(sj.get(k, 0) for k in ("tw_expired", "tw_reused", "tw_killed_rst",
                                    "tw_killed_syn", "tw_killed_netns"))
ok(sj.get("tw_created", 0) + sj.get("tw_created_fin_wait2", 0) == NCLOSE
   and sj.get("tw_alive") == 0 and ended == NCLOSE
   and sum(b["count"] for b in hist) == ended
   and [b["lt_ms"] for b in hist] == sorted(b["lt_ms"] for b in hist),
   "stats -j: every ended TIME_WAIT is in lifetime_ms, buckets sorted", f"{sj}")
ok(any(b["lt_ms"] == 512 for b in hist) and any(line.startswith("[256ms, 512ms) ")
                                                for line in bars),
   "stats: TIME_WAIT of 400 ms lands in [256ms, 512ms)", f"{sj}")
ok(trans_text == {k: v for k, v in trans.items()}
   and all(counters.get(k) == v for k, v in sj.items()
           if isinstance(v, int) and k != "schema_version")
   and all(counters.get(k) == v for k, v in sj.get("module", {"": None}).items()),
   "stats: text and JSON agree", f"text {trans_text} {counters}, json {sj}")

# --- the JSON schema (docs/twctl.schema.json) against real output ---------------------------
import copy  # noqa: E402
import jsonschema  # noqa: E402  (python3-jsonschema, tests/deps.sh)

SCHEMA = os.path.join(REPO or os.path.join(os.path.dirname(__file__), "..", ".."),
                      "docs", "twctl.schema.json")
with open(SCHEMA) as f:
    schema = json.load(f)
validator = jsonschema.Draft202012Validator(schema)


def nulls(v, where=""):
    """Paths of null values in v but a null netns: none when tool and module match."""
    if isinstance(v, dict):
        return [p for k, x in v.items() if not (where == "" and k == "netns")
                for p in nulls(x, f"{where}/{k}")]
    if isinstance(v, list):
        return [p for i, x in enumerate(v) for p in nulls(x, f"{where}/{i}")]
    return [where] if v is None else []


r = tw("-n", "twtool_d", "set", "msl-local", "150ms", "rto-floor", "on")
ok(r.returncode == 0, "schema: msl-local and rto-floor set in twtool_d", shown(r))
outputs = {"stats -n twtool_d (after closes)": sj}
for args in [("show",), ("stats",), ("-n", "twtool_d", "show"), ("-n", "twtool_d", "stats"),
             ("-p", "show"), ("-p", "-n", "twtool_d", "stats")]:
    r = tw(*args) if args[0] == "-p" else tw("-j", *args)
    try:
        outputs[" ".join(args)] = json.loads(r.stdout)
    except ValueError:
        outputs[" ".join(args)] = {"error": shown(r)}
bad = []
for name, out in outputs.items():
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in validator.iter_errors(out)]
    if errors or nulls(out):
        bad.append(f"{name}: {errors[:3]} nulls {nulls(out)}: {out}")
ok(not bad, "JSON schema: show and stats (own and -n namespace, -p) validate, no nulls",
   "; ".join(bad))
dshow = outputs["-n twtool_d show"]
ok(dshow.get("schema_version") == 1 and dshow.get("time_wait_local_ms") == 300
   and dshow.get("time_wait_loopback_ms") == 400 == dshow.get("time_wait_remote_ms")
   and dshow.get("rto_floor") == "on",
   "show -j: time_wait_*_ms always there (unset classes: 2 x msl_ms)", f"{dshow}")
dstats = outputs["-n twtool_d stats"]
gauges = {"netns_count", "tw_records", "tw_record_bytes", "hooks_missed"}
ok(set(dstats.get("module", {})) == gauges and not gauges & set(dstats)
   and dstats["module"]["netns_count"] >= 2 and dstats["module"]["tw_record_bytes"] > 0,
   "stats -j: module-wide gauges under \"module\", not among the namespace's counters",
   f"{dstats}")
# The schema can fail: real output with a key gone, or a type changed.
broken = []
for mutate in (lambda o: o.pop("msl_ms", None), lambda o: o.update(reuse=2),
               lambda o: o.update(schema_version=0), lambda o: o.update(msl_ms="2s")):
    o = copy.deepcopy(dshow)
    mutate(o)
    broken.append(validator.is_valid(o))
for mutate in (lambda o: o.get("module", {}).pop("netns_count", None),
               lambda o: o.update(hooks_missed=0),
               lambda o: o["transitions"].append({"from": 4, "to": "CLOSE", "count": 1})):
    o = copy.deepcopy(sj)
    mutate(o)
    broken.append(validator.is_valid(o))
ok(broken and not any(broken), "JSON schema: rejects output with a key missing or of another type",
   f"{broken}")
r = tw("-n", "twtool_d", "set", "msl-local", "unset", "rto-floor", "off")

r = tw("-n", "twtool_d", "stats", "reset")
sj = json.loads(tw("-n", "twtool_d", "-j", "stats").stdout or "{}")
ok(r.returncode == 0 and sj.get("transitions") == [] and sj.get("lifetime_ms") == []
   and sj.get("closes") == {"active": 0, "passive": 0, "simultaneous": 0},
   "stats reset empties transitions and lifetimes", f"{sj}")
d.delete()

# --- a tool speaking another netlink version --------------------------------------------------
if not os.access(TOOL_V99, os.X_OK):
    ok(False, f"the v99 tool exists ({TOOL_V99}; make -C tools variant-v99)")
else:
    mismatch = "twctl: module speaks twctl netlink v1, this tool v99; upgrade the module"
    r = tw("show", tool=TOOL_V99)
    ok(r.returncode == 0 and r.stderr.startswith(mismatch)
       and first(r.stdout) == "msl 4321ms (TIME_WAIT 8.642s)",
       "v99 tool, v1 module: show warns about the version and goes on", shown(r))
    r = tw("set", "msl", "1s", tool=TOOL_V99)
    ok(r.returncode == 2 and r.stderr.startswith(mismatch) and msl() == 4321,
       "v99 tool, v1 module: set refuses, exit 2, unchanged", shown(r))
    r = tw("-V", tool=TOOL_V99)
    ok(r.returncode == 0 and r.stdout.startswith(f"twctl {VERSION} (netlink v99)\n")
       and "(netlink v1)" in r.stdout, "v99 tool: -V shows both netlink versions", shown(r))

# --- batch mode: -b FILE, -b - ----------------------------------------------------------------
c = Netns("twtool_c")
policy = "/tmp/twctl-policy"


def batch(text, *pre, env=None):
    with open(policy, "w") as f:
        f.write(text)
    return tw(*pre, "-b", policy, env=env)


r = batch("# policy\nset msl 1200ms\n\n  -n twtool_c set msl 700  # a container\n-j show\n")
j = json.loads(r.stdout or "{}")
ok(r.returncode == 0 and r.stderr == "" and msl() == 1200 and j.get("msl_ms") == 1200
   and show_json("-n", "twtool_c").get("msl_ms") == 700,
   "-b: lines run in order; a line's -n acts on that namespace, the next line is back here",
   shown(r))
r = batch("show\n", "-n", "twtool_c", "-j")
ok(r.returncode == 0 and json.loads(r.stdout or "{}").get("msl_ms") == 700
   and json.loads(r.stdout).get("netns") == "twtool_c",
   "-n NETNS -j -b: the options before -b apply to every line", shown(r))
r = batch("set msl 900\nset msl abc\n")
ok(r.returncode == 1 and r.stderr.startswith(f"twctl: {policy}:2: bad value for msl")
   and msl() == 1200, "-b: a bad line anywhere: exit 1, FILE:LINE, nothing changed", shown(r))
r = batch("set msl 900\nset msl 700000\nset msl 800\n", env=nocheck)
ok(r.returncode == 2 and r.stderr.startswith(f"twctl: {policy}:2: kernel refused msl 700000ms")
   and msl() == 900, "-b: stops at the first refused line with its exit status 2", shown(r))
r = subprocess.run([TOOL, "-b", "-"], input="set msl 1100\n", text=True,
                   capture_output=True, timeout=60)
ok(r.returncode == 0 and msl() == 1100, "-b -: commands from stdin", shown(r))
c.delete()
os.unlink(policy)

# --- metrics: Prometheus text, promtool, node_exporter's textfile collector -----------------
import shutil  # noqa: E402
import tempfile  # noqa: E402
import urllib.request  # noqa: E402

m = Netns("twtool_m")
r = tw("-n", "twtool_m", "set", "msl", "100ms")
ok(r.returncode == 0, "metrics: msl 100ms in twtool_m", shown(r))
with m:
    for _ in range(3):
        active_close()
for _ in range(40):                     # until the three TIME_WAITs of 200 ms ended
    sj = json.loads(tw("-n", "twtool_m", "-j", "stats").stdout or "{}")
    if sj.get("tw_alive") == 0 and sum(b["count"] for b in sj.get("lifetime_ms", [])) >= 3:
        break
    time.sleep(0.1)
ended = sum(b["count"] for b in sj.get("lifetime_ms", []))


def samples(text):
    """{(name, frozenset(labels)): value} of Prometheus text."""
    got = {}
    for line in text.splitlines():
        mm = re.match(r'^(\w+)(?:\{(.*)\})? (\S+)$', line)
        if mm:
            labels = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', mm.group(2) or ""))
            got[(mm.group(1), labels)] = float(mm.group(3))
    return got


def promtool(text):
    return subprocess.run(["promtool", "check", "metrics"], input=text, text=True,
                          capture_output=True, timeout=60)


r = tw("-n", "twtool_m", "metrics")
p = promtool(r.stdout)
s = samples(r.stdout)
ns_m = ("netns", "twtool_m")
ok(r.returncode == 0 and p.returncode == 0
   and s.get(("twctl_tw_created_total", frozenset([ns_m]))) == sj.get("tw_created")
   and s.get(("twctl_tw_lifetime_seconds_count", frozenset([ns_m]))) == ended >= 3
   and s.get(("twctl_tw_lifetime_seconds_bucket", frozenset([ns_m, ("le", "0.255")]))) == ended
   and s.get(("twctl_tw_lifetime_seconds_bucket", frozenset([ns_m, ("le", "0.127")]))) == 0
   and ("twctl_namespaces", frozenset()) in s,
   "metrics -n twtool_m: promtool check metrics passes; counters, gauges and the "
   "lifetime histogram (200 ms TIME_WAITs under le 0.255) as -j stats says",
   shown(r)[:3000] + f" promtool {p.stdout} {p.stderr} json {sj}")
r = tw("metrics", "all")
p = promtool(r.stdout)
s = samples(r.stdout)
nss = {dict(k[1]).get("netns") for k in s if k[0] == "twctl_tw_created_total"}
ok(r.returncode == 0 and p.returncode == 0 and {"-", "twtool_m"} <= nss
   and r.stdout.count("# TYPE twctl_tw_created_total counter") == 1,
   "metrics all: this and every named namespace in one exposition, promtool passes",
   f"namespaces {nss}; " + shown(r)[-1500:] + f" promtool {p.stdout} {p.stderr}")
r = tw("-n", "twtool_m", "metrics", "all")
ok(r.returncode == 1 and "not with -n" in r.stderr, "metrics all refuses -n", shown(r))

# node_exporter serves the file the shipped systemd unit writes.
unit = os.path.join(REPO or os.path.join(os.path.dirname(__file__), "..", ".."),
                    "tools", "systemd", "twctl-metrics.service")
textdir = tempfile.mkdtemp(prefix="twctl-textfile")
with open(unit) as f:
    cmd = [line.split("=", 1)[1].strip() for line in f if line.startswith("ExecStart=")][0]
cmd = cmd.replace("/var/lib/prometheus/node-exporter", textdir).replace("twctl ", TOOL + " ", 1)
r = subprocess.run(["sh", "-c", cmd.split(" ", 2)[2].strip("'")], text=True,
                   capture_output=True, timeout=60)
ok(r.returncode == 0 and os.listdir(textdir) == ["twctl.prom"],
   "the systemd unit's command writes twctl.prom into the textfile directory",
   f"{cmd}: {shown(r)}, {os.listdir(textdir)}")
exporter = shutil.which("prometheus-node-exporter")
if not exporter:
    ok(False, "prometheus-node-exporter installed (tests/deps.sh)")
else:
    port = 19100
    ne = subprocess.Popen([exporter, f"--web.listen-address=127.0.0.1:{port}",
                           "--collector.disable-defaults", "--collector.textfile",
                           f"--collector.textfile.directory={textdir}"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    body, why = "", ""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and ne.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as u:
                body = u.read().decode()
            break
        except OSError as e:        # not listening yet
            why = str(e)
            time.sleep(0.1)
    ne.terminate()
    try:
        err = ne.communicate(timeout=10)[1].decode(errors="replace")
    except subprocess.TimeoutExpired:
        ne.kill()
        err = "did not end on SIGTERM"
    s = samples(body)
    ok(s.get(("twctl_tw_created_total", frozenset([ns_m]))) == sj.get("tw_created")
       and s.get(("twctl_tw_lifetime_seconds_count", frozenset([ns_m]))) == ended
       and s.get(("node_textfile_scrape_error", frozenset())) == 0,
       "node_exporter's textfile collector serves the twctl series, no scrape error",
       f"{why} {err[-800:]} " + "\n".join(line for line in body.splitlines()
                                        if "twctl" in line or "textfile" in line)[:2500])
shutil.rmtree(textdir)
m.delete()

# --- unloaded again ------------------------------------------------------------------------
unload()
r = tw("show")
ok(r.returncode == 3 and "not loaded" in r.stderr, "after rmmod: exit 3 again", shown(r))
done()
