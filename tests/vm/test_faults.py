"""Fault behaviour (#10), on the debug kernel: failslab, limited to
allocations made from twctl's code (require-start/require-end over the
module), makes the allocation of a policy change fail (sysfs and netlink),
and that of a new network namespace's state (the namespace is then not
created). Pass: a clear error (ENOMEM; the netlink extack says what),
nothing half-applied, and everything works again once the fault is gone.

  test_faults.py [--full]   (--full: more rounds)"""
# kernels: debug
import errno
import os
import sys
import time

import nl
from nl import Genl, NlError, nest, u32
from twtest import diag, done, load, loaded, ok, sh, stats, sysfs_read, unload

U = nl.uapi()
FULL = "--full" in sys.argv
ROUNDS = 20 if FULL else 3
FS = "/sys/kernel/debug/failslab"


def fs(name, value):
    with open(f"{FS}/{name}", "w") as f:
        f.write(str(value))


def module_range():
    for line in open("/proc/modules"):
        f = line.split()
        if f[0] == "twctl":
            base = int(f[5], 16)
            return base, base + int(f[1])
    raise RuntimeError("twctl not in /proc/modules")


def arm(times):
    """Fail the next `times` slab allocations made with twctl on the stack."""
    fs("times", times)
    fs("probability", 100)
    fs("interval", 1)


def disarm():
    fs("probability", 0)
    fs("times", 0)


def sysfs_errno(name, value):
    fd = os.open(f"/sys/kernel/twctl/{name}", os.O_WRONLY)
    try:
        os.write(fd, value.encode())
        return 0
    except OSError as e:
        return e.errno
    finally:
        os.close(fd)


if loaded():
    unload()
load()
sh("mount -t debugfs none /sys/kernel/debug 2>/dev/null || true", check=False)
ok(os.path.isdir(FS), "failslab is in debugfs")
lo, hi = module_range()
diag(f"twctl at {lo:#x}..{hi:#x}")
fs("require-start", lo)
fs("require-end", hi)
fs("ignore-gfp-wait", "N")
fs("verbose", 0)
fs("task-filter", "N")
disarm()

g = Genl()
MSL = U["TWCTL_A_POLICY_MSL_MS"]
for i in range(ROUNDS):
    # --- a policy change whose new snapshot cannot be allocated ---------------
    before = sysfs_read("msl_ms")
    arm(1)
    try:
        g.do(U["TWCTL_CMD_SET_POLICY"], nest(U["TWCTL_A_POLICY"], u32(MSL, 1000 + i)))
        err, msg = 0, None
    except NlError as e:
        err, msg = e.errno, e.msg
    disarm()
    ok(err == errno.ENOMEM and msg and "memory" in msg and sysfs_read("msl_ms") == before,
       f"round {i}: netlink set-policy without memory: ENOMEM with extack, nothing changed",
       f"errno {err}, extack {msg!r}, msl {sysfs_read('msl_ms')} (was {before})")
    arm(1)
    err = sysfs_errno("msl_ms", str(2000 + i))
    disarm()
    ok(err == errno.ENOMEM and sysfs_read("msl_ms") == before,
       f"round {i}: sysfs write without memory: ENOMEM, nothing changed",
       f"errno {err}, msl {sysfs_read('msl_ms')}")
    err = sysfs_errno("msl_ms", str(3000 + i))
    ok(err == 0 and sysfs_read("msl_ms") == str(3000 + i),
       f"round {i}: the same write works once memory is back", f"errno {err}")

# --- a namespace whose twctl state cannot be allocated ------------------------
# twctl_net_init() allocates per-CPU counters, then the policy. The first
# slab allocation with twctl on the stack is kmemleak's record of the per-CPU
# area, whose failure kmemleak absorbs from a reserve pool: arm for several,
# so whichever of ours comes next fails too (and the per-CPU allocator's
# own, if it needs any).
for i in range(ROUNDS):
    before = stats()["netns_count"]
    arm(10)
    r = sh("unshare -n cat /sys/kernel/twctl/msl_ms", check=False)
    disarm()
    time.sleep(0.5)
    ok(r.returncode != 0 and "memory" in r.stderr.lower() and stats()["netns_count"] == before,
       f"round {i}: a new netns without memory for twctl's state: creation fails "
       "with ENOMEM, nothing left", f"rc {r.returncode}, {r.stderr.strip()!r}, "
       f"netns {stats()['netns_count']} (was {before})")
    r = sh("unshare -n cat /sys/kernel/twctl/msl_ms", check=False)
    ok(r.returncode == 0 and r.stdout.strip() == "30000",
       f"round {i}: with memory back a new netns gets the default policy",
       f"rc {r.returncode}, {r.stdout.strip()!r} {r.stderr.strip()!r}")

unload()
ok(not loaded(), "the module unloads after the faults")
done()
