#!/usr/bin/env python3
"""Host side of make check: all suites of one kernel in as few boots as the
guest allows.

  suites.py [--kmemleak] KERNEL LABEL SUITE[=TIMEOUT] ...

Boots KERNEL once (tests/vm/run-vm.sh) with tests/vm/runner.py and the
suites. When the guest dies or hangs inside a suite, that suite fails and
the host boots again for the suites after it: a hang costs one suite's
timeout, not the run. Prints one TAP line per check as
"ok - [LABEL] suite: check", a failure for a suite that did not complete
(non-zero exit without a failed check, no plan, fewer checks than planned,
a kernel splat, a crash), per-suite times as "# time [LABEL] suite S", and
a plan for all of it. Exit status: 0 when everything passed.
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
results = []                    # one bool per check: passed
BOOT_SLACK = 120                # boot, runner start-up, cleanup, power-off


def tap(good, text, detail=""):
    results.append(good)
    print(("ok - " if good else "not ok - ") + text, flush=True)
    for line in detail.splitlines():
        print(f"#     {line}", flush=True)


def judge(label, name, lines, rc, splat, secs, why=""):
    """Count one suite's TAP lines and check its verdict."""
    n_ok = n_fail = 0
    plan = None
    for line in lines:
        if line.startswith("ok - "):
            tap(True, f"[{label}] {name}: {line[5:]}")
            n_ok += 1
        elif line.startswith("not ok - "):
            tap(False, f"[{label}] {name}: {line[9:]}")
            n_fail += 1
        elif re.fullmatch(r"1\.\.\d+", line):
            plan = int(line[3:])
        elif line.startswith("#"):
            print(f"    [{label}] {line}", flush=True)
    other = [l for l in lines if not re.match(r"(not )?ok - |1\.\.\d+$|#", l)]
    if (rc != 0 and n_fail == 0) or plan is None or plan != n_ok + n_fail:
        tap(False, f"[{label}] {name}: suite did not complete (exit {rc}, plan "
            f"{plan}, {n_ok + n_fail} results)", "\n".join(other[-40:]) + why)
    if splat:
        tap(False, f"[{label}] {name}: no kernel splat",
            "\n".join(l for l in lines if l.startswith("#   |")))
    print(f"# time [{label}] {name} {secs:.0f}", flush=True)


def boot(kernel, label, specs, kmemleak):
    """One boot for specs; returns the specs that did not get to run."""
    budget = sum(int(s.partition("=")[2] or 600) for s in specs) + BOOT_SLACK
    outdir = tempfile.mkdtemp(prefix="twsuites.")
    runner = os.path.join(here, "runner.py")
    argv = [os.path.join(here, "run-vm.sh"), "-t", str(budget), "-o", outdir,
            kernel, runner] + (["--kmemleak"] if kmemleak else []) + specs
    env = dict(os.environ, TWCTL_VM_NOSCAN="1")
    # The budget counts from the guest's start (QEMU writes its pid), not
    # from run-vm.sh's: it may first wait its turn for the guest lock
    # behind other runs' guests.
    start = None
    pidfile = os.path.join(outdir, "qemu.pid")
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, env=env)
    # Watch progress through the output share: a suite that runs past its
    # budget (the guest's runner did not stop it: the guest is hung) ends
    # the boot now rather than at the end of the whole budget.
    outfile = os.path.join(outdir, "output")
    cur, t_cur = None, time.monotonic()
    while p.poll() is None:
        time.sleep(2)
        if start is None and os.path.exists(pidfile):
            start = time.monotonic()
        try:
            with open(outfile, errors="replace") as f:
                begun = re.findall(r"^### (begin|end) (\S+)", f.read(), re.M)
        except OSError:
            begun = []
        last = begun[-1] if begun else None
        if last != cur:
            cur, t_cur = last, time.monotonic()
        if cur and cur[0] == "begin":
            # the runner's own checks (kmemleak) are not in specs
            spec = next((s for s in specs if suite_name(s) == cur[1]), "=120")
            limit = int(spec.partition("=")[2] or 600) + 60
            if time.monotonic() - t_cur > limit:
                stop_guest(outdir)
        elif start is not None and time.monotonic() - start > budget + 30:
            p.kill()
    vmlog = p.stdout.read()
    try:
        with open(outfile, errors="replace") as f:
            text = f.read()
    except OSError:
        text = ""
    try:
        with open(os.path.join(outdir, "console.log"), errors="replace") as f:
            console = f.read()
    except OSError:
        console = ""
    subprocess.run(["rm", "-rf", outdir])
    note = vmlog.find("# run-vm: the guest did not power off")
    if note >= 0:                       # run-vm.sh stopped it: say so
        for line in vmlog[note:].splitlines()[:6]:
            print(f"    [{label}] {line}", flush=True)

    blocks = re.split(r"^### begin (\S+)\n", text, flags=re.M)
    finished = set()
    for name, body in zip(blocks[1::2], blocks[2::2]):
        m = re.search(r"^### end \S+ rc=(\d+) splat=(\d) secs=([\d.]+)$", body, re.M)
        lines = body.splitlines()
        if m:
            lines = body[:m.start()].splitlines() + \
                [l for l in body[m.end():].splitlines() if l.startswith("#")]
            judge(label, name, lines, int(m.group(1)), m.group(2) == "1",
                  float(m.group(3)))
            finished.add(name)
        else:
            judge(label, name, lines, 125, False, 0,
                  "\nthe guest died or hung in this suite; last console lines:\n" +
                  "\n".join(console.splitlines()[-40:]))
            finished.add(name)
    rest = [s for s in specs if suite_name(s) not in finished]
    if rest and not finished:
        # Not even the first suite began: the boot itself failed.
        tap(False, f"[{label}] boot and start the suite runner",
            vmlog[-3000:] + "\n" + "\n".join(console.splitlines()[-40:]))
        return []
    return rest


def stop_guest(outdir):
    """Ends a hung guest's QEMU (run-vm.sh has it write its pid into
    outdir); run-vm.sh then reports what it has."""
    try:
        with open(os.path.join(outdir, "qemu.pid")) as f:
            os.kill(int(f.read().strip()), signal.SIGTERM)
    except (OSError, ValueError):
        pass


def suite_name(spec):
    return os.path.basename(spec.partition("=")[0]).rsplit(".", 1)[0]


def main():
    args = sys.argv[1:]
    kmemleak = "--kmemleak" in args
    args = [a for a in args if a != "--kmemleak"]
    kernel, label = args[0], args[1]
    specs = [os.path.abspath(s.partition("=")[0]) + s[len(s.partition("=")[0]):]
             for s in args[2:]]
    boots = 0
    while specs:
        boots += 1
        specs = boot(kernel, label, specs, kmemleak)
    print(f"# boots [{label}] {boots}", flush=True)
    print(f"1..{len(results)}", flush=True)
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
