"""Load and unload the module while connections open and close and
TIME_WAIT sockets with custom lengths are armed and expire: 5 cycles in
make check, with a 60 s budget for a slow kernel (the debug kernel under
TCG takes ~25 s a cycle with the churn competing for its one CPU), at
least MIN_CYCLES done; --full (make stress) runs 50 without a budget.
make check leaves the debug kernel to test_stress, which loads and unloads
under churn and a policy poker there."""
# not on kernels: debug
import os
import subprocess
import sys
import time

from twtest import Netns, done, load, loaded, ok, sysfs_read, sysfs_write, unload

FULL = "--full" in sys.argv
CYCLES = 50 if FULL else 5
MIN_CYCLES = CYCLES if FULL else 2
BUDGET_S = float("inf") if FULL else 60
here = os.path.dirname(os.path.abspath(__file__))
if loaded():
    unload()
# The churn runs in a namespace of its own: in init_net its tens of
# thousands of TIME_WAITs (60 s once the module is gone) outlived the suite,
# filled tcp_max_tw_buckets and failed the next suites' load-time self-test
# (no TIME_WAIT was made for it) for a minute. The runner deletes the
# namespace, and its TIME_WAITs with it.
ns = Netns("loadcycle")
churn = [subprocess.Popen(["ip", "netns", "exec", ns.name, "python3",
                           os.path.join(here, "churn.py")] + extra,
                          stdout=subprocess.PIPE, text=True)
         for extra in ([], ["3600", "-6"])]
time.sleep(1)
failures = []
t0 = time.monotonic()
done_cycles = 0
for i in range(CYCLES):
    if i >= MIN_CYCLES and time.monotonic() - t0 > BUDGET_S:
        break
    done_cycles += 1
    try:
        load()
        msl = 1 + (i * 37) % 1000
        with ns:
            err = sysfs_write("msl_ms", str(msl))
            got = sysfs_read("msl_ms")
        if err or got != str(msl):
            failures.append(f"cycle {i}: set msl {msl}: errno {err}")
        time.sleep(0.05)
        unload()
        if i % 10 == 9:
            print(f"# {i + 1} cycles in {time.monotonic() - t0:.1f} s", flush=True)
    except Exception as e:          # noqa: BLE001 - report and go on
        failures.append(f"cycle {i}: {e}")
        if loaded():
            unload()
elapsed = time.monotonic() - t0
ok(not failures and done_cycles >= MIN_CYCLES,
   f"{done_cycles} load/set/unload cycles under churn ({elapsed:.1f} s)",
   "; ".join(failures[:5]))
ok(not loaded(), "module is gone at the end")
for p in churn:
    p.terminate()
    out, _ = p.communicate(timeout=30)
    n, errors = (int(w) for w in out.split()[1:4:2])
    ok(n > 0 and errors == 0, f"churn kept working through the cycles: {out.strip()}")
ns.delete()
done()
