"""Close-path instrumentation: a scripted workload with known numbers of
active, passive and simultaneous closes, a retransmitted FIN, a RST in
TIME_WAIT, a SYN takeover and a reuse gives exactly those counts; they agree
with the kernel's own counters (nstat) and ss; the accounting invariant
holds after a churn of thousands of connections; the lifetime histogram
matches the MSL; counters are per namespace and reset through netlink."""
import os
import socket
import time

import nl
from nl import Genl
from twtest import (LoSniffer, Netns, active_close, diag, done, load, loaded,
                    ok, sh, stats, sysfs_read, sysfs_write, unload)

U = nl.uapi()
here = os.path.dirname(os.path.abspath(__file__))
MSL = 300                       # TIME_WAIT 600 ms


def snap():
    s = stats()
    s["transitions"] = {}
    for line in open("/sys/kernel/twctl/stats/transitions"):
        f, t, n = line.split()
        s["transitions"][(f, t)] = int(n)
    s["hist"] = [tuple(map(int, l.split())) for l in open("/sys/kernel/twctl/stats/lifetime_ms")]
    s.pop("lifetime_ms", None)
    return s


def delta(before, after):
    d = {k: after[k] - before[k] for k in after if isinstance(after[k], int)}
    d["transitions"] = {k: v - before["transitions"].get(k, 0)
                        for k, v in after["transitions"].items()
                        if v != before["transitions"].get(k, 0)}
    return d


def nstat():
    out = sh("nstat -saz").stdout
    return {l.split()[0]: int(l.split()[1]) for l in out.splitlines()[1:] if l.split()}


def wait_quiet(timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if int(sysfs_read("stats/tw_alive")) == 0:
            return True
        time.sleep(0.1)
    return False


if loaded():
    unload()
load()
ns = Netns("twstats")
ns.__enter__()
sysfs_write("msl_ms", str(MSL))
base_nstat = nstat()
b0 = snap()

# --- A: 5 active closes (the client closes first) ----------------------------
before = snap()
for _ in range(5):
    active_close()
d = delta(before, snap())
want = {("ESTABLISHED", "FIN_WAIT1"): 5, ("FIN_WAIT1", "FIN_WAIT2"): 5,
        ("FIN_WAIT2", "TIME_WAIT"): 5, ("ESTABLISHED", "CLOSE_WAIT"): 5,
        ("CLOSE_WAIT", "LAST_ACK"): 5, ("LAST_ACK", "CLOSE"): 5}
# A client that closes before the peer's FIN may first become a FIN_WAIT2
# timewait socket, which moves to TIME_WAIT when the FIN comes.
ok(d["transitions"] == want and d["tw_created"] + d["tw_created_fin_wait2"] == 5
   and d["tw_rearmed"] == 0 and d["tw_alive"] == 5,
   "5 active closes: each side's transitions, 5 timewait sockets, no rearm", f"{d}")

# --- A2: 3 direct closes (the client holds its socket when the FIN comes) ----
wait_quiet()
before = snap()
for _ in range(3):
    active_close(direct=True)
d = delta(before, snap())
want = {("ESTABLISHED", "FIN_WAIT1"): 3, ("FIN_WAIT1", "FIN_WAIT2"): 3,
        ("FIN_WAIT2", "TIME_WAIT"): 3, ("ESTABLISHED", "CLOSE_WAIT"): 3,
        ("CLOSE_WAIT", "LAST_ACK"): 3, ("LAST_ACK", "CLOSE"): 3}
ok(d["transitions"] == want and d["tw_created"] == 3 and d["tw_created_fin_wait2"] == 0
   and d["tw_overflow"] == 0,
   "3 direct closes: FIN_WAIT2 -> TIME_WAIT, 3 TIME_WAITs created, no overflow", f"{d}")

# --- B: 2 simultaneous closes (100 ms of delay on lo: FINs cross) ------------
sh("tc qdisc add dev lo root netem delay 100ms")
wait_quiet()
before = snap()
for _ in range(2):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    a = socket.create_connection(srv.getsockname())
    b, _ = srv.accept()
    a.shutdown(socket.SHUT_WR)
    b.shutdown(socket.SHUT_WR)
    time.sleep(0.6)
    a.close(), b.close(), srv.close()
d = delta(before, snap())
sh("tc qdisc del dev lo root")
want = {("ESTABLISHED", "FIN_WAIT1"): 4, ("FIN_WAIT1", "CLOSING"): 4,
        ("CLOSING", "TIME_WAIT"): 4}
trans = {k: v for k, v in d["transitions"].items() if k[1] != "CLOSE"}
ok(trans == want and d["tw_created"] == 4,
   "2 simultaneous closes: FIN_WAIT1 -> CLOSING -> TIME_WAIT on both sides", f"{d}")

# --- C: a retransmitted FIN re-arms (RFC 1337 on: the RST answer is ignored) --
sysfs_write("msl_ms", "2000")
sh("sysctl -qw net.ipv4.tcp_rfc1337=1")
before = snap()
sn = LoSniffer()
c, s, _ = active_close()
fin = sn.find_fin(s[1], c[1])
time.sleep(0.2)
sn.replay(fin)
time.sleep(0.3)
d = delta(before, snap())
ok(d["tw_rearmed"] == 1 and d["tw_killed_rst"] == 0, "a retransmitted FIN: 1 rearm", f"{d}")

# --- D: TIME_WAIT assassination: the ACK to a replayed FIN draws a RST ---------
sh("sysctl -qw net.ipv4.tcp_rfc1337=0")
before = snap()
c, s, _ = active_close()
fin = sn.find_fin(s[1], c[1])
time.sleep(0.2)
sn.replay(fin)
time.sleep(0.3)
d = delta(before, snap())
ok(d["tw_rearmed"] == 1 and d["tw_killed_rst"] == 1, "a RST in TIME_WAIT kills it (RFC 1337 off)",
   f"{d}")
sn.close()

# --- E: a SYN takes over the server's TIME_WAIT --------------------------------
before = snap()
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen()
cli = socket.create_connection(srv.getsockname())
conn, _ = srv.accept()
cport = cli.getsockname()[1]
conn.close()                    # the server closes first: its side -> TIME_WAIT
assert cli.recv(1) == b""
cli.close()
time.sleep(0.1)
again = socket.socket()
again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
again.bind(("127.0.0.1", cport))
again.connect(srv.getsockname())
conn2, _ = srv.accept()
d = delta(before, snap())
ok(d["tw_killed_syn"] == 1, "a new SYN on the 4-tuple takes the TIME_WAIT over", f"{d}")

# --- F: a connect() from a bound port reuses the client's TIME_WAIT -----------
before = snap()
port = again.getsockname()[1]
again.close()                   # the client closes first: its side -> TIME_WAIT
assert conn2.recv(1) == b""
conn2.close()
time.sleep(1.1)                 # the kernel wants the peer's timestamp >= 1 s old
third = socket.socket()
third.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
third.bind(("127.0.0.1", port))
third.connect(srv.getsockname())
d = delta(before, snap())
ok(d["tw_reused"] == 1, "connect() from the bound port reuses the TIME_WAIT", f"{d}")
third.close(), srv.accept()[0].close(), srv.close()

# --- the accounting invariant, the kernel's counters, ss ----------------------
sysfs_write("msl_ms", str(MSL))
ok(wait_quiet(), "all timewait sockets gone")
a = snap()
total = delta(b0, a)
ended = sum(total[k] for k in ("tw_expired", "tw_reused", "tw_killed_rst",
                               "tw_killed_syn", "tw_killed_netns"))
ok(total["tw_created"] + total["tw_created_fin_wait2"] == ended + a["tw_alive"],
   "created = expired + reused + killed + alive", f"{total}")
n = nstat()
kd = {k: n.get(k, 0) - base_nstat.get(k, 0) for k in
      ("TcpExtTW", "TcpExtTWKilled", "TcpExtTWRecycled", "TcpExtTCPTimeWaitOverflow")}
diag(f"kernel: {kd}")
ok(kd["TcpExtTW"] + kd["TcpExtTWKilled"] == total["tw_created"] + total["tw_created_fin_wait2"],
   "created agrees with the kernel's TcpExtTW + TcpExtTWKilled", f"{kd} vs {total}")
ok(kd["TcpExtTWRecycled"] == total["tw_reused"], "reused agrees with TcpExtTWRecycled",
   f"{kd} vs {total}")
ok(kd["TcpExtTCPTimeWaitOverflow"] == total["tw_overflow"] == 0, "no overflow")
closes = total["transitions"]
diag("active {} passive {} simultaneous {}".format(
    closes.get(("ESTABLISHED", "FIN_WAIT1"), 0), closes.get(("ESTABLISHED", "CLOSE_WAIT"), 0),
    closes.get(("FIN_WAIT1", "CLOSING"), 0)))

# --- overflow: tcp_max_tw_buckets ----------------------------------------------
sh("sysctl -qw net.ipv4.tcp_max_tw_buckets=2")
before = snap()
b_n = nstat()
for _ in range(5):
    active_close()
d = delta(before, snap())
kd = nstat()["TcpExtTCPTimeWaitOverflow"] - b_n.get("TcpExtTCPTimeWaitOverflow", 0)
ok(d["tw_overflow"] == 3 and d["tw_created"] + d["tw_created_fin_wait2"] == 2 and kd == 3,
   "tcp_max_tw_buckets=2: 2 created, 3 overflows (as the kernel counts)", f"{d}, kernel {kd}")
sh("sysctl -qw net.ipv4.tcp_max_tw_buckets=262144")

# --- churn: thousands of connections, the invariant, the histogram -----------
wait_quiet()
g = Genl()
g.do(U["TWCTL_CMD_RESET_STATS"])
r = snap()
# gauges are not counters: the kernel's count, the records, a record's size
GAUGES = ("tw_alive", "tw_records", "tw_record_bytes", "hooks_missed", "netns_count")
ok(all(r[k] == 0 for k in r if k.startswith("tw_") and k not in GAUGES) and
   r["tw_created"] == 0 and r["tw_records"] == 0,
   "reset-stats zeroes the counters", f"{r}")
out = sh(f"python3 {here}/churn.py 15").stdout
diag(out.strip())
nconn = int(out.split()[1])
time.sleep(0.5)


def balanced(m):
    return (m["tw_created"] + m["tw_created_fin_wait2"] ==
            m["tw_expired"] + m["tw_reused"] + m["tw_killed_rst"] + m["tw_killed_syn"]
            + m["tw_killed_netns"] + m["tw_alive"])


# The counters are read one file at a time while TIME_WAITs still expire,
# so a read can straddle an expiry: read again (at most 5 times) for one
# that does not. Counts that are really off never balance.
for _ in range(5):
    mid = snap()
    if balanced(mid) and mid["tw_alive"] > 0:
        break
created = mid["tw_created"] + mid["tw_created_fin_wait2"]
ok(balanced(mid) and created == nconn and mid["tw_rearmed"] == 0,
   f"after {nconn} connections: one TIME_WAIT each, created = ended + alive", f"{mid}")
ok(wait_quiet(), "all expired")
fin_ = snap()
hist = {lt: cnt for lt, cnt in fin_["hist"] if cnt}
diag(f"lifetimes (ms bucket < : count): {hist}")
ok(fin_["tw_expired"] == nconn - fin_["tw_reused"] and sum(hist.values()) == fin_["tw_expired"] +
   fin_["tw_reused"] + fin_["tw_killed_rst"] + fin_["tw_killed_syn"],
   "every ended TIME_WAIT is in the histogram", f"{fin_}")
ok(fin_["hooks_missed"] == 0, "no hook run was skipped (a softirq always runs its hooks)",
   f"{fin_['hooks_missed']}")
tw_ms = 2 * MSL
bucket = 1 << tw_ms.bit_length()        # 600 ms -> the [512, 1024) bucket
expired_in = sum(c for lt, c in hist.items() if lt == bucket or lt == 2 * bucket)
ok(hist.get(bucket, 0) >= 0.9 * fin_["tw_expired"] and expired_in >= fin_["tw_expired"],
   f"expired lifetimes sit in the {bucket // 2}..{bucket} ms bucket (MSL {MSL} ms)", f"{hist}")

# --- per namespace --------------------------------------------------------------
ns.__exit__()
other = stats()
# Loaded afresh above and everything since ran in the netns: not one here.
ok(other["tw_created"] == 0 and other["tw_created_fin_wait2"] == 0,
   "init_net's counters do not see the netns's churn", f"{other}")
ns.delete()
unload()
done()
