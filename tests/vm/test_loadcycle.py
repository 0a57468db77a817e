"""Load and unload the module 50 times while connections open and close
and TIME_WAIT sockets with custom lengths are armed and expire. A slow
kernel (the debug kernel under TCG takes ~25 s a cycle with the churn
competing for its one CPU) stops after a time budget, with at least
MIN_CYCLES done; `make stress` runs hundreds of cycles."""
import os
import subprocess
import time

from twtest import done, load, loaded, ok, sysfs_read, sysfs_write, unload

CYCLES = 50
MIN_CYCLES = 5
BUDGET_S = 150
here = os.path.dirname(os.path.abspath(__file__))
if loaded():
    unload()
churn = [subprocess.Popen(["python3", os.path.join(here, "churn.py")] + extra,
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
        err = sysfs_write("msl_ms", str(msl))
        if err or sysfs_read("msl_ms") != str(msl):
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
done()
