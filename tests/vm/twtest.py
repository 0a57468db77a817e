"""Helpers for the twctl VM tests (run inside the guest, as root).

Every test file prints TAP lines ("ok - name" / "not ok - name") and ends with
done(), which prints the plan; the host-side runner counts them.
"""
import ctypes
import errno
import os
import re
import socket
import struct
import subprocess
import sys
import time

KO = os.environ.get("TWCTL_KO", "")
TOOL = os.environ.get("TWCTL_TOOL", "")
KVER = os.environ.get("TWCTL_KVER", os.uname().release)
SYSFS = "/sys/kernel/twctl"
HZ = 250                      # Debian's and our debug kernel's CONFIG_HZ
# The debug kernel (KASAN, lockdep, kmemleak): it is there to catch memory
# and locking bugs, which need every path, not thousands of rounds of it.
SLOW = os.environ.get("TWCTL_SLOW") == "1"
JIFFY = 1.0 / HZ

_count = 0
_failed = 0


def ok(cond, name, detail=""):
    """Record one check."""
    global _count, _failed
    _count += 1
    if cond:
        print(f"ok - {name}", flush=True)
    else:
        _failed += 1
        print(f"not ok - {name}" + (f"  # {detail}" if detail else ""),
              flush=True)
    return cond


def diag(msg):
    print(f"# {msg}", flush=True)


def done():
    print(f"1..{_count}", flush=True)
    sys.exit(1 if _failed else 0)


def sh(cmd, check=True, **kw):
    """Run a shell command, return CompletedProcess (text)."""
    r = subprocess.run(cmd, shell=True, text=True, capture_output=True, **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"'{cmd}' failed ({r.returncode}): {r.stderr.strip()}")
    return r


# --- the module -------------------------------------------------------------

def loaded():
    return os.path.isdir("/sys/module/twctl")


def load(params=""):
    sh(f"insmod {KO} {params}")


def unload():
    sh("rmmod twctl")


def family_absent(name="twctl"):
    """(absent, detail): whether the generic netlink family is unknown, i.e.
    resolving it (CTRL_CMD_GETFAMILY) is refused with ENOENT. Any other
    outcome (it resolves, another errno, a socket error) is not absence."""
    from nl import Genl, NlError
    try:
        Genl(name).close()
    except NlError as e:
        return e.errno == errno.ENOENT, f"CTRL_CMD_GETFAMILY: errno {e.errno} ({e})"
    except OSError as e:
        return False, f"no netlink reply: {e!r}"
    return False, f"family {name} resolves"


def kmsg_mark(tag):
    """Write a unique line into the kernel log; returns it, for
    dmesg_after(). Unlike dmesg -C it keeps the log for later readers (the
    runner's splat scan)."""
    mark = f"twctl-test: {tag} {os.getpid()} {time.monotonic_ns()}"
    with open("/dev/kmsg", "w") as f:
        f.write(mark + "\n")
    return mark


def dmesg_after(mark):
    """The kernel log lines after the marker line, or None when the marker
    is not in the log (cleared, or overwritten in the ring buffer)."""
    lines = sh("dmesg").stdout.splitlines()
    at = [i for i, line in enumerate(lines) if line.endswith(mark)]
    return lines[at[-1] + 1:] if at else None


def sysfs_read(name):
    with open(f"{SYSFS}/{name}") as f:
        return f.read().strip()


def write_once(path, data):
    """Write bytes/str to path in one write(2); return 0 or the errno."""
    if isinstance(data, str):
        data = data.encode()
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, data)
        return 0
    except OSError as e:
        return e.errno
    finally:
        os.close(fd)


def sysfs_write(name, data):
    """Write bytes/str to a file of twctl's sysfs in one write(2); return 0
    or the errno."""
    return write_once(f"{SYSFS}/{name}", data)


def set_msl(ms):
    err = sysfs_write("msl_ms", str(ms))
    if err:
        raise OSError(err, f"setting msl_ms={ms}: {os.strerror(err)}")


# --- network namespaces -----------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


class Netns:
    """A named netns (ip netns add); `with ns:` runs the block inside it."""

    def __init__(self, name):
        self.name = name
        sh(f"ip netns add {name}")
        sh(f"ip -n {name} link set lo up")
        self._saved = []

    def __enter__(self):
        self._saved.append(os.open("/proc/thread-self/ns/net", os.O_RDONLY))
        fd = os.open(f"/run/netns/{self.name}", os.O_RDONLY)
        try:
            _setns(fd)
        finally:
            os.close(fd)
        return self

    def __exit__(self, *exc):
        fd = self._saved.pop()
        try:
            _setns(fd)
        finally:
            os.close(fd)

    def delete(self):
        sh(f"ip netns del {self.name}")


# --- TIME_WAIT sockets ------------------------------------------------------

def active_close(addr="127.0.0.1", family=socket.AF_INET, direct=False):
    """Open a connection and close it from the client first, so the client
    side ends in TIME_WAIT. Returns (client (ip, port), server (ip, port),
    monotonic time just before the client's close).

    By default the client closes at once: its orphan usually becomes a
    FIN_WAIT2 timewait socket, which the server's FIN moves to TIME_WAIT.
    direct=True: the client only shuts down its sending side and still
    holds its socket when the server's FIN comes, so the socket goes
    straight to TIME_WAIT (t0 is then just before the server's close)."""
    srv = socket.socket(family, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, 0))
    srv.listen(8)
    cli = socket.socket(family, socket.SOCK_STREAM)
    cli.connect(srv.getsockname()[:2])
    conn, _ = srv.accept()
    caddr, saddr = cli.getsockname()[:2], srv.getsockname()[:2]
    conn.settimeout(10)
    if direct:
        cli.settimeout(10)
        cli.shutdown(socket.SHUT_WR)
        assert conn.recv(1) == b""
        t0 = time.monotonic()
        conn.close()
        assert cli.recv(1) == b""       # the FIN reached the socket we hold
        cli.close()
    else:
        t0 = time.monotonic()
        cli.close()
        assert conn.recv(1) == b""
        conn.close()
    srv.close()
    return caddr, saddr, t0


def _hexaddr(a, family):
    if family == socket.AF_INET:
        return "%08X" % struct.unpack("<I", socket.inet_aton(a))[0]
    raw = socket.inet_pton(socket.AF_INET6, a)
    return "".join("%08X" % struct.unpack("<I", raw[i:i + 4])[0]
                   for i in range(0, 16, 4))


def tw_timer_proc(caddr, saddr, family=socket.AF_INET):
    """The TIME_WAIT entry for (client, server) in /proc/net/tcp{,6}: returns
    its remaining timer in seconds, or None when there is no such entry."""
    path = "/proc/net/tcp" if family == socket.AF_INET else "/proc/net/tcp6"
    want = (f"{_hexaddr(caddr[0], family)}:{caddr[1]:04X}",
            f"{_hexaddr(saddr[0], family)}:{saddr[1]:04X}")
    with open(path) as f:
        next(f)
        for line in f:
            c = line.split()
            if (c[1], c[2]) == want and c[3] == "06":
                # c[5] is "tr:when", when in USER_HZ (100) ticks
                return int(c[5].split(":")[1], 16) / 100.0
    return None


def wait_gone(caddr, saddr, family=socket.AF_INET, timeout=120, step=0.01):
    """Poll until the TIME_WAIT entry is gone; return the monotonic time."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if tw_timer_proc(caddr, saddr, family) is None:
            return time.monotonic()
        time.sleep(step)
    return None


def wheel_slot(secs):
    """How late the kernel's timer wheel may fire a timer armed secs ahead:
    one slot of the level it is filed in (kernel/time/timer.c: one jiffy
    below 63 jiffies, then slots of 8, 64, 512 jiffies from 63, 504, 4032)."""
    j = secs * HZ
    for start, gran in ((4032, 512), (504, 64), (63, 8)):
        if j >= start:
            return gran * JIFFY
    return JIFFY


# Beyond its wheel slot, how late a TIME_WAIT's end may be seen on the
# emulated guest: the timer softirq waiting for the vCPU thread, and the
# observer's poll (a 10 ms sleep and a /proc/net/tcp walk). Seen on TCG,
# Debian 6.1, over 7 runs of test_msl and 5 of test_classes: TIME_WAITs
# of 0.7..2 s (slot 0.032 s) ended at most 0.057 s late, of 3..4 s (slot
# 0.256 s) at most 0.263 s: under 0.03 s beyond the slot. 0.3 s is 5x the
# worst lateness of a short wait and keeps late_bound() of every length a
# test uses (>= 0.5 s) below that length, so a doubled TIME_WAIT fails, as
# does the stock 60 s one.
EMU_LATE = 0.3


def late_bound(secs):
    """The most a TIME_WAIT of secs may be seen to end later than armed."""
    return wheel_slot(secs) + EMU_LATE


_ss_re = re.compile(r"timer:\(timewait,(?:(\d+)min)?(?:(\d+)(?:sec|\.))?(?:(\d+)ms)?,")


def parse_ss_timer(text):
    m = _ss_re.search(text)
    if not m:
        return None
    mins, secs, ms = (int(x) if x else 0 for x in m.groups())
    return mins * 60 + secs + ms / 1000.0


def ss_timer(caddr, saddr):
    """Remaining TIME_WAIT timer (s) of the socket from caddr to saddr (each
    (ip, port)), read from `ss -tano`. The whole 4-tuple: a TIME_WAIT that an
    earlier suite of the same boot left can share the local port."""
    out = sh(f"ss -Htano state time-wait '( sport = :{caddr[1]} and "
             f"dport = :{saddr[1]} )'").stdout
    return parse_ss_timer(out)


# --- crafting a retransmitted FIN -------------------------------------------

ETH_P_ALL = 0x0003
TCP_FIN = 0x01


def _csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def _fix_tcp_csum_v4(frame):
    """Loopback leaves TCP checksums partial; a re-injected copy must carry a
    full one, or the receiver drops it."""
    ip = frame[14:]
    ihl = (ip[0] & 0x0F) * 4
    tot = struct.unpack("!H", ip[2:4])[0]
    tcp = bytearray(ip[ihl:tot])
    tcp[16:18] = b"\0\0"
    pseudo = ip[12:20] + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(tcp))
    tcp[16:18] = struct.pack("!H", _csum(pseudo + bytes(tcp)))
    return frame[:14] + ip[:ihl] + bytes(tcp)


class LoSniffer:
    """Captures frames on lo (IPv4) so a test can replay one of them."""

    def __init__(self):
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                               socket.htons(ETH_P_ALL))
        self.s.bind(("lo", 0))
        self.s.setblocking(False)
        self.raw = socket.socket(socket.AF_INET, socket.SOCK_RAW,
                                 socket.IPPROTO_RAW)

    def frames(self):
        while True:
            try:
                data, addr = self.s.recvfrom(65535)
            except BlockingIOError:
                return
            if addr[2] == socket.PACKET_HOST:
                yield data

    def find_fin(self, src_port, dst_port):
        """The last FIN segment from src_port to dst_port seen so far."""
        found = None
        for f in self.frames():
            if struct.unpack("!H", f[12:14])[0] != 0x0800 or f[23] != 6:
                continue
            ihl = (f[14] & 0x0F) * 4
            tcp = f[14 + ihl:]
            sp, dp = struct.unpack("!HH", tcp[:4])
            if (sp, dp) == (src_port, dst_port) and tcp[13] & TCP_FIN:
                found = f
        return found

    def replay(self, frame):
        """Send the IPv4 packet of a captured frame again, as a peer's
        retransmission would arrive."""
        pkt = _fix_tcp_csum_v4(frame)[14:]
        self.raw.sendto(pkt, (socket.inet_ntoa(pkt[16:20]), 0))

    def close(self):
        self.s.close()
        self.raw.close()


# --- two hosts joined by a veth pair ----------------------------------------

# Documentation prefixes (RFC 5737 / RFC 3849): they exist only inside the
# test VM's namespaces.
CLIENT4, SERVER4 = "192.0.2.1", "192.0.2.2"
IP_BIND_ADDRESS_NO_PORT = 24
CLIENT6, SERVER6 = "2001:db8::1", "2001:db8::2"


class Pair:
    """A client and a server netns joined by veth, with IPv4 and IPv6."""

    def __init__(self, tag, ports=None):
        self.cl, self.sv = Netns(f"cl{tag}"), Netns(f"sv{tag}")
        sh(f"ip link add vc{tag} netns cl{tag} type veth peer name vs{tag} netns sv{tag}")
        for ns, dev, a4, a6 in ((self.cl, f"vc{tag}", CLIENT4, CLIENT6),
                                (self.sv, f"vs{tag}", SERVER4, SERVER6)):
            sh(f"ip -n {ns.name} addr add {a4}/24 dev {dev}")
            sh(f"ip -n {ns.name} addr add {a6}/64 dev {dev} nodad")
            sh(f"ip -n {ns.name} link set {dev} up")
        if ports:
            self.sysctl(f"net.ipv4.ip_local_port_range='{ports[0]} {ports[1]}'")

    def sysctl(self, setting, ns=None):
        sh(f"ip netns exec {(ns or self.cl).name} sysctl -qw {setting}")

    def delete(self):
        self.cl.delete()
        self.sv.delete()


def listener(ns, addr, family):
    with ns:
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, 0))
        s.listen(64)
    return s


def jiffies():
    """The kernel's jiffies: /proc/schedstat (CONFIG_SCHEDSTATS, Debian's
    kernels) or /proc/timer_list (our debug kernel has no schedstats)."""
    for path, key in (("/proc/schedstat", "timestamp "), ("/proc/timer_list", "jiffies: ")):
        if os.path.exists(path):
            with open(path) as f:
                for line in f:
                    if line.startswith(key):
                        return int(line.split()[1])
    raise RuntimeError("no jiffies in /proc/schedstat or /proc/timer_list")


def wait_no_tw(ns, secs):
    """Wait up to secs for ns to have no TIME_WAIT (nor FIN_WAIT2 timewait
    socket); what is left."""
    end, left = time.monotonic() + secs, "?"
    while time.monotonic() < end:
        with ns:
            left = sh("ss -Htan state time-wait state fin-wait-2").stdout.strip()
        if not left:
            break
        time.sleep(0.1)
    return left


def records_now(want, secs=3.0):
    """The module-wide count of length records (tw_records), polled up to
    secs until it is want."""
    end = time.monotonic() + secs
    n = stats()["tw_records"]
    while n != want and time.monotonic() < end:
        time.sleep(0.05)
        n = stats()["tw_records"]
    return n


def churn_seq(client_ns, srv, n, caddr, family=socket.AF_INET, stop_on_error=True,
              gap_jiffies=0):
    """n sequential connections from client_ns (bound to caddr, ephemeral
    port) to the listener srv; the client closes first. Returns (number that
    succeeded, list of errnos, smallest time from the end of a connection's
    close to the start of the next connect() that got the same port).
    gap_jiffies: wait until the kernel's jiffies moved on that many from a
    close before the next connect(). A TIME_WAIT's age is counted in jiffies,
    and under TCG with the host busy the guest's tick can lag while it runs
    on: a dozen connections then fit in one jiffy, all "0 ms" old."""
    done_ok, errs, last_close, min_gap = 0, [], {}, None
    dst = srv.getsockname()[:2]
    for _ in range(n):
        with client_ns:
            c = socket.socket(family, socket.SOCK_STREAM)
        # the port is picked at connect(), against the whole 4-tuple
        c.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
        c.bind((caddr, 0))
        t_start = time.monotonic()
        try:
            c.connect(dst)
        except OSError as e:
            c.close()
            errs.append(e.errno)
            if stop_on_error:
                break
            continue
        port = c.getsockname()[1]
        if port in last_close:
            gap = t_start - last_close[port]
            min_gap = gap if min_gap is None else min(min_gap, gap)
        conn, _ = srv.accept()
        c.close()
        conn.settimeout(10)
        conn.recv(1)
        conn.close()
        last_close[port] = time.monotonic()
        done_ok += 1
        if gap_jiffies:
            j = jiffies()
            while jiffies() - j < gap_jiffies:
                time.sleep(JIFFY)
    return done_ok, errs, min_gap


def stats(ns=None):
    """The module's counters for a netns, from sysfs."""
    def read():
        d = f"{SYSFS}/stats"
        return {f: int(open(f"{d}/{f}").read()) for f in os.listdir(d)
                if f not in ("transitions", "lifetime_ms")}
    if ns is None:
        return read()
    with ns:
        return read()
