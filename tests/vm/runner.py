"""Guest side of make check: runs many suites in one boot.

  runner.py [--kmemleak] SUITE[=TIMEOUT] ...

SUITE is a path to a test file (.py run by python3, anything else by bash);
TIMEOUT its budget in seconds (default 600). Each suite runs as its own
process group with its own timeout. Around each one the runner
- writes a marker into the kernel log, so the scan below reads only what
  this suite caused;
- afterwards kills whatever the suite left running, unloads twctl (and the
  test helper modules), deletes leftover network namespaces;
- scans the kernel log since the marker for splats;
and prints, around the suite's own output:

  ### begin NAME
  ... the suite's TAP lines ...
  ### end NAME rc=N splat=0|1 secs=S

With --kmemleak, after the last suite it asks kmemleak for one scan and
reports it as a check of its own, "### begin kmemleak".

The host (tests/vm/suites.py) reads these lines, also after a guest crash,
when it boots again for the suites that did not run.
"""
import os
import re
import select
import signal
import subprocess
import sys
import time

SPLAT = re.compile(r"BUG:|WARNING:|Oops|KASAN|UBSAN|suspected memory leak|"
                   r"possible circular locking|possible recursive locking|"
                   r"INFO: rcu|soft lockup|hung task|Kernel panic|"
                   r"general protection fault|unreferenced object|"
                   r"sleeping function called from invalid context")
KMEMLEAK = "/sys/kernel/debug/kmemleak"
KMEMLEAK_MIN_AGE = 5.5          # mm/kmemleak.c: jiffies_min_age, 5 s, plus a tick
HELPERS = ("twctl_kunit", "twctl_blocker", "twctl")


def out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def kmsg(text):
    with open("/dev/kmsg", "w") as f:
        f.write(f"twctl-runner: {text}\n")


def dmesg_since(marker):
    log = subprocess.run(["dmesg"], capture_output=True, text=True).stdout
    i = log.rfind(marker)
    return log[i:] if i >= 0 else log


def run_suite(path, timeout):
    if path.endswith(".py"):
        argv = ["python3", "-u", path]
    else:
        argv = ["bash", path]
    start = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, start_new_session=True)
    buf = b""
    timed_out = False
    while True:
        left = start + timeout - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        r, _, _ = select.select([p.stdout], [], [], min(left, 5))
        if not r:
            continue
        chunk = os.read(p.stdout.fileno(), 65536)
        if not chunk:
            break
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for line in lines:
            out(line.decode(errors="replace"))
    if buf:
        out(buf.decode(errors="replace"))
    try:
        os.killpg(p.pid, signal.SIGKILL)     # the suite and what it left running
    except ProcessLookupError:
        pass
    rc = p.wait()
    if timed_out:
        out(f"# runner: {os.path.basename(path)} timed out after {timeout} s")
        rc = 124
    return rc, time.monotonic() - start


def cleanup():
    """Leave the guest as a fresh boot would: no module, no namespaces."""
    notes = []
    for m in HELPERS:
        if os.path.isdir(f"/sys/module/{m}"):
            r = subprocess.run(["rmmod", m], capture_output=True, text=True)
            notes.append(f"unloaded {m}" if r.returncode == 0
                         else f"cannot unload {m}: {r.stderr.strip()}")
    if os.path.isdir("/run/netns") and os.listdir("/run/netns"):
        notes.append("deleted namespaces " + " ".join(sorted(os.listdir("/run/netns"))))
        subprocess.run(["ip", "-all", "netns", "delete"], capture_output=True)
    return notes


def kmemleak_scan():
    if not os.path.exists(KMEMLEAK):
        return ""
    with open(KMEMLEAK, "w") as f:
        f.write("scan")
    with open(KMEMLEAK) as f:
        found = f.read()
    with open(KMEMLEAK, "w") as f:
        f.write("clear")
    return found


def main():
    args = sys.argv[1:]
    leak = "--kmemleak" in args
    args = [a for a in args if a != "--kmemleak"]
    if leak and os.path.exists(KMEMLEAK):
        with open(KMEMLEAK, "w") as f:       # no periodic scans of its own: we
            f.write("scan=off")              # scan between suites
        kmemleak_scan()                      # what boot itself left is not ours
                                             # (one scan after the last suite)
    worst = 0
    ran, ended = [], time.monotonic()
    for spec in args:
        path, _, t = spec.partition("=")
        name = os.path.basename(path).rsplit(".", 1)[0]
        marker = f"twctl-runner: begin {name}"
        kmsg(f"begin {name}")
        out(f"### begin {name}")
        rc, secs = run_suite(path, int(t or 600))
        ended = time.monotonic()
        for n in cleanup():
            out(f"# runner: after {name}: {n}")
        log = dmesg_since(marker)
        splat = [l for l in log.splitlines() if SPLAT.search(l)]
        if splat:
            out(f"# runner: the kernel logged a splat during {name}:")
            lines = log.splitlines()
            first = min(i for i, l in enumerate(lines) if SPLAT.search(l))
            for line in lines[first:first + 60]:
                out(f"#   | {line}")
        out(f"### end {name} rc={rc} splat={int(bool(splat))} secs={secs:.1f}")
        worst = worst or rc or int(bool(splat))
        ran.append(name)
    if leak and ran:
        worst = kmemleak_check(ran, ended) or worst
    sys.exit(1 if worst else 0)


def kmemleak_check(ran, ended):
    """One kmemleak scan after the boot's last suite, as a check of its own
    (a scan costs 7-13 s on the debug kernel: one per suite was minutes a
    run). Leaks are then told by boot, not by suite; the objects' backtraces
    name the code. kmemleak reports only objects older than its minimum age
    (5 s): wait that long after the last suite."""
    out("### begin kmemleak")
    t0 = time.monotonic()
    time.sleep(max(0.0, ended + KMEMLEAK_MIN_AGE - time.monotonic()))
    found = kmemleak_scan().strip()          # "unreferenced object ..."
    what = f"no unreferenced objects after {', '.join(ran)}"
    if found:
        out(f"not ok - {what}")
        for line in found.splitlines()[:80]:
            out(f"#   | {line}")
    else:
        out(f"ok - {what}")
    out("1..1")
    out(f"### end kmemleak rc={int(bool(found))} splat=0 secs={time.monotonic() - t0:.1f}")
    return int(bool(found))


if __name__ == "__main__":
    main()
