"""Stress (#10), on the debug kernel (run-vm.sh fails the run on any splat):

1. module load/unload cycles while loopback churn runs (IPv4 and IPv6) and
   another process keeps setting policy (sysfs and netlink) and reading
   stats, ignoring the moments the module is gone;
2. network namespace create/destroy cycles, each with a policy set and
   TIME_WAIT sockets alive when it dies;
3. unload while TIME_WAIT sockets armed with a custom length exist, then
   they expire.
Pass: no splat, kmemleak clean, every namespace torn down (the module's
exact count of namespaces it holds state for, stats/netns_count, back to its
value before the cycles), churn without errors.

  test_stress.py [--full] [--cycles=N] [--netns=N]
Default (make check): 3 load cycles, 8 netns. --full (make stress): 500
and 1000."""
# kernels: debug
import ctypes
import fcntl
import os
import signal
import socket
import struct
import subprocess
import sys
import time

from twtest import (Netns, active_close, done, load, loaded, ok, sh, stats,
                    sysfs_write, unload)

args = dict(a.lstrip("-").split("=", 1) if "=" in a else (a.lstrip("-"), "1")
            for a in sys.argv[1:])
FULL = "full" in args
CYCLES = int(args.get("cycles", 500 if FULL else 3))
NETNS = int(args.get("netns", 1000 if FULL else 8))
here = os.path.dirname(os.path.abspath(__file__))
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def lo_up():
    """ip link set lo up, without running ip (a program started over 9p
    costs more than the rest of a netns cycle on the debug kernel)."""
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ifr = fcntl.ioctl(s, siocgifflags, struct.pack("16sH22x", b"lo", 0))
        flags = struct.unpack("16sH22x", ifr)[1]
        fcntl.ioctl(s, siocsifflags, struct.pack("16sH22x", b"lo", flags | iff_up))


def kmemleak(cmd=None):
    path = "/sys/kernel/debug/kmemleak"
    if not os.path.exists(path):
        return None
    if cmd:
        with open(path, "w") as f:
            f.write(cmd)
        return None
    return open(path).read()


POKER = r"""
import os, random, sys, time
sys.path.insert(0, sys.argv[1])
import nl
from nl import Genl, nest, u32
U = nl.uapi()
r = random.Random(1)
n = 0
while True:
    try:
        fd = os.open("/sys/kernel/twctl/msl_ms", os.O_WRONLY)
        os.write(fd, str(r.randrange(1, 2000)).encode())
        os.close(fd)
        open("/sys/kernel/twctl/stats/tw_created").read()
        open("/sys/kernel/twctl/stats/lifetime_ms").read()
        g = Genl()
        g.do(U["TWCTL_CMD_SET_POLICY"], nest(U["TWCTL_A_POLICY"],
             u32(U["TWCTL_A_POLICY_REUSE"], r.randrange(0, 4)),
             u32(U["TWCTL_A_POLICY_RTO_FLOOR"], r.randrange(0, 2))))
        g.do(U["TWCTL_CMD_GET_STATS"])
        g.close()
        n += 1
    except OSError:
        time.sleep(0.01)        # the module is not there right now
"""

sh("mount -t debugfs none /sys/kernel/debug 2>/dev/null || true", check=False)
if loaded():
    unload()
kmemleak("clear")

# --- 1. load/unload under churn and a policy poker ----------------------------
# The churn and the poker run at the lowest priority: they take every moment
# insmod and rmmod leave free of the one vCPU, and a cycle does not wait
# behind them (at equal priority a debug-kernel cycle took ~27 s, at nice 19
# about a quarter of that).
def low():
    os.nice(19)


churn = [subprocess.Popen(["python3", os.path.join(here, "churn.py")] + extra + ["--ready"],
                          stdout=subprocess.PIPE, text=True, preexec_fn=low)
         for extra in (["3600"], ["3600", "-6"])]
for p in churn:                 # both churning before the first cycle
    p.stdout.readline()
poker = subprocess.Popen(["python3", "-c", POKER, here], preexec_fn=low)
time.sleep(1)
failures = []
t0 = time.monotonic()
for i in range(CYCLES):
    try:
        load()
        time.sleep(0.05)
        unload()
    except Exception as e:          # noqa: BLE001 - report and go on
        failures.append(f"cycle {i}: {e}")
        if loaded():
            unload()
elapsed = time.monotonic() - t0
poker.send_signal(signal.SIGKILL)
poker.wait()
ok(not failures, f"{CYCLES} load/unload cycles under churn and a policy poker "
   f"({elapsed:.0f} s)", "; ".join(failures[:5]))
for p in churn:
    p.terminate()
    out, _ = p.communicate(timeout=60)
    n, errors = (int(w) for w in out.split()[1:4:2])
    # One vCPU shared by insmod/rmmod of a KASAN kernel, the poker and the
    # churn: a connection waited past churn's old 5 s timeout now and then
    # (seen once in 837; the timeout is 20 s now). More than 1 % is a failure.
    ok(n > 0 and errors <= max(1, n // 100), f"churn through the cycles: {out.strip()}")

# --- 2. netns create/destroy with policy and TIME_WAIT sockets alive ------------
load()
netns_before = stats()["netns_count"]
t0 = time.monotonic()
bad = 0
for i in range(NETNS):
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            if _libc.unshare(CLONE_NEWNET) == 0:
                lo_up()
                sysfs_write("msl_ms", str(5000 + i))
                sysfs_write("reuse", "always")
                for _ in range(2):
                    active_close()
                code = 0 if stats()["tw_alive"] >= 1 else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    bad += status != 0
elapsed = time.monotonic() - t0
ok(bad == 0, f"{NETNS} netns created and destroyed with policy and TIME_WAIT "
   f"sockets alive ({elapsed:.0f} s)", f"{bad} failed")
# The kernel frees dead namespaces from a workqueue; each runs our exit.
deadline = time.monotonic() + 120
while stats()["netns_count"] != netns_before and time.monotonic() < deadline:
    time.sleep(0.5)
st = stats()
ok(st["netns_count"] == netns_before and st["tw_records"] == 0,
   f"no netns leaked: twctl's namespace count is back to {netns_before}, no record left",
   f"netns {st['netns_count']}, records {st['tw_records']}")

# --- 3. unload with custom-length TIME_WAIT sockets alive ------------------------
# (in a netns of its own: init_net holds the churn's stock 60 s ones)
ns = Netns("stress3")
with ns:
    sysfs_write("msl_ms", "1000")
    for _ in range(5):
        active_close()
    n = stats()["tw_alive"]
unload()
ok(n >= 5 and not loaded(), "unloaded with TIME_WAIT sockets of 2 s alive", f"{n}")
time.sleep(3)
left = sh("ip netns exec stress3 ss -Htan state time-wait").stdout.strip()
ok(left == "", "they expired after the unload (2 s, not 60 s)", left)
ns.delete()

# --- leaks ------------------------------------------------------------------------
if kmemleak() is not None:
    for _ in range(2):
        kmemleak("scan")
        time.sleep(2)
    leaks = kmemleak()
    ok(leaks.strip() == "", "kmemleak: nothing leaked", leaks[:3000])
done()
