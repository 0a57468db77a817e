"""Helpers for the reliability suites (test_perms, test_fuzz, test_stress,
test_faults): kmemleak, slab accounting, counting network namespaces,
throw-away namespaces made by fork + unshare, and failslab."""
import ctypes
import fcntl
import os
import socket
import struct
import time

from twtest import sh

KMEMLEAK = "/sys/kernel/debug/kmemleak"
FULL = os.environ.get("TWCTL_FULL", "") not in ("", "0")

CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
_libc = ctypes.CDLL(None, use_errno=True)


def _check(rc):
    if rc != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def unshare(flags):
    _check(_libc.unshare(flags))


def setns(path, nstype=CLONE_NEWNET):
    fd = os.open(path, os.O_RDONLY)
    try:
        _check(_libc.setns(fd, nstype))
    finally:
        os.close(fd)


def write_file(path, data):
    """One write(2) of data; return 0 or the errno."""
    if isinstance(data, str):
        data = data.encode()
    try:
        fd = os.open(path, os.O_WRONLY)
    except OSError as e:
        return e.errno
    try:
        os.write(fd, data)
        return 0
    except OSError as e:
        return e.errno
    finally:
        os.close(fd)


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


# --- interfaces ---------------------------------------------------------------

SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1


def lo_up():
    """`ip link set lo up` without exec'ing ip (fast in a fresh netns)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        ifr = fcntl.ioctl(s, SIOCGIFFLAGS, struct.pack("16sH14x", b"lo", 0))
        flags = struct.unpack("16sH14x", ifr)[1]
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | IFF_UP))
    finally:
        s.close()


def in_new_netns(fn, *args):
    """Run fn(*args) in a forked child inside a new network namespace, which
    dies with the child. Returns the child's exit status (0: fn returned
    without raising)."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            unshare(CLONE_NEWNET)
            lo_up()
            fn(*args)
            code = 0
        except BaseException as e:     # noqa: BLE001 - report, never return
            try:
                print(f"# child {os.getpid()}: {e!r}", flush=True)
            except Exception:           # noqa: BLE001
                pass
        finally:
            os._exit(code)
    _, st = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(st)


# --- kmemleak -----------------------------------------------------------------

def kmemleak_available():
    return os.path.exists(KMEMLEAK)


def kmemleak_clear():
    with open(KMEMLEAK, "w") as f:
        f.write("clear")


def kmemleak_scan(gap=5.0):
    """Two scans at least gap seconds apart (an object is only reported once
    it stayed unreferenced across scans); returns the report ('' = clean)."""
    with open(KMEMLEAK, "w") as f:
        f.write("scan")
    time.sleep(gap)
    with open(KMEMLEAK, "w") as f:
        f.write("scan")
    with open(KMEMLEAK) as f:
        return f.read()


# --- slab accounting ------------------------------------------------------------

def slabinfo():
    """{cache: (active objects, object size)} from /proc/slabinfo."""
    out = {}
    with open("/proc/slabinfo") as f:
        for line in f:
            if line.startswith(("slabinfo", "#")):
                continue
            c = line.split()
            out[c[0]] = (int(c[1]), int(c[3]))
    return out


def shrink(cache=None):
    """Flush the per-CPU slabs (and the KASAN quarantine) of one or every
    cache, so /proc/slabinfo's active count is exact."""
    names = [cache] if cache else os.listdir("/sys/kernel/slab")
    for n in names:
        try:
            with open(f"/sys/kernel/slab/{n}/shrink", "w") as f:
                f.write("1")
        except OSError:
            pass


def slab_bytes():
    """Bytes in active slab objects per cache, after shrinking every cache."""
    shrink()
    return {k: n * sz for k, (n, sz) in slabinfo().items()}


def slab_growth(before, after, top=6):
    """(total growth in bytes, the caches that grew most) between two
    slab_bytes() snapshots."""
    diff = {k: after.get(k, 0) - before.get(k, 0) for k in set(before) | set(after)}
    worst = sorted(((v, k) for k, v in diff.items() if v > 0), reverse=True)[:top]
    return sum(diff.values()), ", ".join(f"{k} +{v}" for v, k in worst)


# --- counting network namespaces ----------------------------------------------
#
# struct net comes from its own slab cache, "net_namespace" (slab merging is
# off in the debug kernel, so the cache is not shared), and init_net is static:
# after a shrink, the cache's active objects are the namespaces that exist,
# plus the last batch that cleanup_net() unlinked (net_passive_dec() parks it
# on defer_free_list until the next cleanup's rcu_barrier). So the count is
# compared after destroying one more, lone, namespace, which pushes out every
# earlier one and leaves exactly one parked.

def netns_objects():
    shrink("net_namespace")
    return slabinfo().get("net_namespace", (0, 0))[0]


def netns_settled(timeout=120):
    """Destroy a lone namespace until only it remains parked; returns the
    count of struct net objects left (1 when nothing leaked), after waiting
    up to timeout seconds."""
    end = time.monotonic() + timeout
    n = netns_objects()
    while time.monotonic() < end:
        in_new_netns(lambda: None)
        for _ in range(20):
            time.sleep(0.25)
            n = netns_objects()
            if n <= 1:
                return n
    return n


# --- the module's text, for failslab's stack-trace filter ----------------------

def module_range(name="twctl"):
    """[start, end) of the module's code: from its lowest to its highest
    text symbol in /proc/kallsyms, plus a page for the last function."""
    lo = hi = None
    with open("/proc/kallsyms") as f:
        for line in f:
            c = line.split()
            if len(c) >= 4 and c[3] == f"[{name}]" and c[1] in "tT":
                a = int(c[0], 16)
                lo = a if lo is None else min(lo, a)
                hi = a if hi is None else max(hi, a)
    if lo is None or lo == 0:
        raise RuntimeError(f"no text symbols of {name} in /proc/kallsyms")
    return lo, hi + 4096


def kernel_end():
    """Address of the end of the kernel image (_end): everything above it in
    a stack trace is module code (or trampolines)."""
    with open("/proc/kallsyms") as f:
        for line in f:
            c = line.split()
            if len(c) >= 3 and c[2] == "_end":
                return int(c[0], 16)
    raise RuntimeError("no _end in /proc/kallsyms")


class FailSlab:
    """failslab (and fail_page_alloc) restricted, by the stack-trace filter,
    to allocations made with code of [start, end) on the stack; by default
    nothing fails until fail_nth() or arm() says so."""

    ATTRS = ("probability", "interval", "times", "space", "verbose",
             "task-filter", "require-start", "require-end",
             "stacktrace-depth", "ignore-gfp-wait")

    def __init__(self, start, end):
        self.saved = {}
        for kind in ("failslab", "fail_page_alloc"):
            d = f"/sys/kernel/debug/{kind}"
            for a in self.ATTRS:
                p = f"{d}/{a}"
                if os.path.exists(p):
                    self.saved[p] = read_file(p).decode().strip()
            self._w(f"{d}/probability", 0)
            self._w(f"{d}/interval", 1)
            self._w(f"{d}/times", -1)
            self._w(f"{d}/space", 0)
            self._w(f"{d}/verbose", 1)      # one line per failure, no stack dump
            self._w(f"{d}/task-filter", "N")
            self._w(f"{d}/stacktrace-depth", 32)
            self._w(f"{d}/require-start", start)
            self._w(f"{d}/require-end", end)
            # GFP_KERNEL allocations are exempt unless this is N
            self._w(f"{d}/ignore-gfp-wait", "N")

    @staticmethod
    def _w(path, v):
        with open(path, "w") as f:
            f.write(str(v))

    def arm(self, times):
        """Fail the next `times` matching slab allocations, in any task."""
        self._w("/sys/kernel/debug/failslab/times", times)
        self._w("/sys/kernel/debug/failslab/probability", 100)

    def disarm(self):
        self._w("/sys/kernel/debug/failslab/probability", 0)
        self._w("/sys/kernel/debug/failslab/times", -1)

    def times_left(self):
        return int(read_file("/sys/kernel/debug/failslab/times"))

    def restore(self):
        self.disarm()
        for p, v in self.saved.items():
            try:
                self._w(p, v)
            except OSError:
                pass


def fail_nth(n):
    """Make the n-th matching allocation of this thread fail (0: none)."""
    with open("/proc/thread-self/fail-nth", "w") as f:
        f.write(str(n))


def fail_nth_left():
    """0 once the armed failure was injected, else how many calls remain."""
    return int(read_file("/proc/thread-self/fail-nth"))


def free_mem_kb():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1])
    return 0


def vmalloc_by(caller):
    """Number of vmalloc areas whose allocating function is caller."""
    n = 0
    with open("/proc/vmallocinfo") as f:
        for line in f:
            c = line.split()
            if len(c) >= 3 and c[2].split("+")[0] == caller:
                n += 1
    return n


def dmesg_tail(n=20):
    return sh(f"dmesg | tail -n {n}", check=False).stdout
