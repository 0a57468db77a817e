"""MSL by peer class (#7): loopback, local and remote peers get their own
TIME_WAIT lengths (IPv4, IPv6, v4-mapped); a netem delay moves a veth peer
from local to remote; the RTO floor lengthens a TIME_WAIT on a slow path; a
retransmitted FIN re-arms with the length of the first arming; the knobs
through sysfs, netlink (the tool) and their refusals; length records come
and go with their sockets (also when a connect() takes a TIME_WAIT over,
and across an unload); over max_tw_records, TIME_WAITs get no record, are
counted and take their class from their addresses."""
import ctypes
import json
import math
import os
import socket
import struct
import subprocess
import time

from twtest import (CLIENT4, CLIENT6, JIFFY, SERVER4, SERVER6, TOOL, LoSniffer,
                    Netns, Pair, active_close, churn_seq, diag, done, late_bound,
                    listener, load, loaded, ok, records_now, sh, stats, sysfs_read,
                    sysfs_write, tw_timer_proc, unload, wait_gone, wait_no_tw)

SEEN = 0.15                     # entry into TIME_WAIT is seen by polling
EINVAL, ERANGE = 22, 34
TCP_INFO = 11


def tcp_info(s):
    """(rtt, rto) of a connected socket, in seconds (struct tcp_info)."""
    raw = s.getsockopt(socket.IPPROTO_TCP, TCP_INFO, 104)
    rto = struct.unpack_from("I", raw, 8)[0]
    rtt = struct.unpack_from("I", raw, 68)[0]
    return rtt / 1e6, rto / 1e6


def veth_close(p, family=socket.AF_INET, shut=False):
    """One connection client -> server over the veth pair, a request and a
    reply so the RTT is measured, then the client closes first. Returns
    (client addr, server addr, rtt, rto, time TIME_WAIT was seen). With
    shut, the client sends its FIN by shutdown() and keeps the socket until
    TIME_WAIT, so rto is the one tcp_time_wait() saw (the ACK of the FIN is
    one more RTT sample: it moves the RTO), not the one before the close."""
    caddr, saddr = (CLIENT4, SERVER4) if family == socket.AF_INET else (CLIENT6, SERVER6)
    srv = listener(p.sv, saddr, family)
    with p.cl:
        c = socket.socket(family, socket.SOCK_STREAM)
    c.connect(srv.getsockname()[:2])
    conn, _ = srv.accept()
    for _ in range(3):
        c.send(b"x")
        conn.recv(1)
        conn.send(b"y")
        c.recv(1)
    rtt, rto = tcp_info(c)
    ca, sa = c.getsockname()[:2], srv.getsockname()[:2]
    if shut:
        c.shutdown(socket.SHUT_WR)
    else:
        c.close()
    conn.settimeout(10)
    conn.recv(1)
    conn.close()
    srv.close()
    # The client is in FIN_WAIT2 until the (maybe delayed) FIN arrives.
    end = time.monotonic() + 10
    while timer_in(p.cl, ca, sa, family) is None and time.monotonic() < end:
        time.sleep(0.005)
    seen = time.monotonic()
    if shut:
        _, rto = tcp_info(c)
        c.close()
    return ca, sa, rtt, rto, seen


def setpol(ns, **kv):
    with ns:
        for k, v in kv.items():
            err = sysfs_write(k, str(v))
            assert err == 0, f"{k}={v}: errno {err}"


def delta(before, after, *keys):
    return {k: after[k] - before[k] for k in keys}


def timer_in(ns, c, s, family=socket.AF_INET):
    with ns:
        return tw_timer_proc(c, s, family)


def life_in(ns, c, s, t0, family=socket.AF_INET):
    with ns:
        gone = wait_gone(c, s, family, timeout=60)
    return None if gone is None else gone - t0


if loaded():
    unload()
load()

# --- defaults: nothing set, nothing recorded ---------------------------------
ok([sysfs_read(k) for k in ("msl_loopback_ms", "msl_local_ms", "msl_remote_ms",
                            "local_rtt_us", "rto_floor")] == ["0"] * 5,
   "class knobs default to 0 (unset: msl_ms applies), floor off")

p = Pair("k")
CLASSES = ("tw_class_loopback", "tw_class_local", "tw_class_remote")
# TIME_WAIT: loopback 0.5 s, local 1.5 s, remote 4 s; msl_ms stays 30 s.
setpol(p.cl, msl_loopback_ms=250, msl_local_ms=750, msl_remote_ms=2000,
       local_rtt_us=80000)
with p.cl:
    sh("sysctl -qw net.ipv4.tcp_rfc1337=1")

# --- loopback peers ---------------------------------------------------------
b = stats(p.cl)
for fam, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    with p.cl:
        c, s, t0 = active_close(addr, fam)
        t = tw_timer_proc(c, s, fam)
        gone = wait_gone(c, s, fam, timeout=60)
    life = None if gone is None else gone - t0
    ok(t is not None and 0 < t <= 0.5, f"loopback {addr}: timer within msl_loopback x 2 (0.5 s)",
       f"{t}")
    ok(life is not None and 0.5 - JIFFY <= life <= 0.5 + late_bound(0.5),
       f"loopback {addr}: TIME_WAIT lasted 0.5 s", f"{life}")
with p.cl:
    active_close("::ffff:127.0.0.1", socket.AF_INET6)
d = delta(b, stats(p.cl), *CLASSES, "tw_created", "tw_created_fin_wait2")
d["created"] = d.pop("tw_created") + d.pop("tw_created_fin_wait2")
ok(d == {"tw_class_loopback": 3, "tw_class_local": 0, "tw_class_remote": 0, "created": 3},
   "IPv4, IPv6 and v4-mapped loopback connections counted as loopback", f"{d}")

# --- a veth peer: local below local_rtt_us, remote above (netem) -------------
b = stats(p.cl)
c, s, rtt, rto, t0 = veth_close(p)
t = timer_in(p.cl, c, s)
rec = stats(p.cl)["tw_records"]
life = life_in(p.cl, c, s, t0)
diag(f"veth: rtt {rtt * 1000:.2f} ms, rto {rto * 1000:.0f} ms, timer {t}, lived {life}")
ok(rtt < 0.080, "veth peer without delay: RTT below local_rtt_us (80 ms)", f"{rtt}")
ok(t is not None and 1.0 < t <= 1.5, "veth peer without delay: local, timer within 1.5 s",
   f"{t}")
ok(life is not None and 1.5 - SEEN - JIFFY <= life <= 1.5 + late_bound(1.5),
   "local peer: TIME_WAIT lasted 2 x msl_local (1.5 s)", f"{life}")
ok(rec >= 1, "a length record exists while local_rtt_us is set", f"{rec}")

sh(f"ip netns exec {p.sv.name} tc qdisc add dev vsk root netem delay 200ms")
c, s, rtt, rto, t0 = veth_close(p)
t = timer_in(p.cl, c, s)
life = life_in(p.cl, c, s, t0)
diag(f"veth + netem 200 ms: rtt {rtt * 1000:.1f} ms, rto {rto * 1000:.0f} ms, timer {t}, "
     f"lived {life}")
ok(rtt >= 0.080, "netem 200 ms: RTT above local_rtt_us", f"{rtt}")
ok(t is not None and 3.0 < t <= 4.0, "netem 200 ms: remote, timer within 4 s", f"{t}")
ok(life is not None and 4.0 - SEEN - JIFFY <= life <= 4.0 + late_bound(4.0),
   "remote peer: TIME_WAIT lasted 2 x msl_remote (4 s)", f"{life}")
c6, s6, rtt6, _, t6 = veth_close(p, socket.AF_INET6)
t = timer_in(p.cl, c6, s6, socket.AF_INET6)
ok(t is not None and 3.0 < t <= 4.0, "IPv6 over netem: remote too", f"{t} (rtt {rtt6})")
d = delta(b, stats(p.cl), *CLASSES)
ok(d == {"tw_class_loopback": 0, "tw_class_local": 1, "tw_class_remote": 2},
   "class counters: 1 local, 2 remote", f"{d}")

# a threshold above the delayed RTT makes the same path local
setpol(p.cl, local_rtt_us=2000000)
c, s, rtt, _, t0 = veth_close(p)
t = timer_in(p.cl, c, s)
ok(t is not None and 1.0 < t <= 1.5, "local_rtt_us 2 s: the delayed peer is local", f"{t}")

# --- the RTO floor ------------------------------------------------------------
# remote TIME_WAIT 100 ms, floor on: the slow path's 3.5 x RTO wins
setpol(p.cl, local_rtt_us=0, msl_remote_ms=50, rto_floor=1)
b = stats(p.cl)
c, s, rtt, rto, t0 = veth_close(p, shut=True)
t = timer_in(p.cl, c, s)
life = life_in(p.cl, c, s, t0)
# module/policy.c: ceil(3.5 x RTO) jiffies, RTO the one at tcp_time_wait()
floor = math.ceil(3.5 * round(rto / JIFFY)) * JIFFY
lo, hi = floor - JIFFY - SEEN, floor + late_bound(floor)
diag(f"floor: rtt {rtt * 1000:.1f} ms, rto at close {rto * 1000:.0f} ms, 3.5 x rto "
     f"{floor:.3f} s, timer {t}, lived {life} (allowed {lo:.3f}..{hi:.3f})")
ok(t is not None and t > 0.1 + 0.2, "rto_floor: the timer is well above 2 x msl_remote (0.1 s)",
   f"{t}")
ok(life is not None and 0.7 <= life and lo <= life <= hi,
   "rto_floor: TIME_WAIT lasted 3.5 x RTO", f"{life} vs {floor:.3f}")
d = delta(b, stats(p.cl), "tw_rto_floored", "tw_class_remote")
ok(d == {"tw_rto_floored": 1, "tw_class_remote": 1}, "tw_rto_floored counted once", f"{d}")
# the floor never shortens: a long class length is kept
setpol(p.cl, msl_remote_ms=2000)
b = stats(p.cl)
c, s, _, _, _ = veth_close(p)
t = timer_in(p.cl, c, s)
ok(t is not None and 3.0 < t <= 4.0, "rto_floor: a longer class length is kept", f"{t}")
ok(delta(b, stats(p.cl), "tw_rto_floored")["tw_rto_floored"] == 0,
   "not counted as floored")
sh(f"ip netns exec {p.sv.name} tc qdisc del dev vsk root")

# --- a retransmitted FIN re-arms with the first arming's length ---------------
# loopback TIME_WAIT 100 ms, floor on: armed at 3.5 x RTO (>= 0.7 s); the
# re-arm must use that length again, not 100 ms.
def fin_replayed():
    """In the netns entered: close a loopback connection, and 0.3 s into
    its TIME_WAIT replay the server's FIN. Returns the client and server
    addresses, the FIN, its TIME_WAIT timer (s) just after the arming,
    before and after the replay, and when the replay went out."""
    sn = LoSniffer()
    try:
        c, s, _ = active_close()
        first = tw_timer_proc(c, s)
        fin = sn.find_fin(s[1], c[1])
        time.sleep(0.3)
        before = tw_timer_proc(c, s)
        sn.replay(fin)
        t_replay = time.monotonic()
        after = tw_timer_proc(c, s)
    finally:
        sn.close()
    return c, s, fin, first, before, after, t_replay


setpol(p.cl, msl_loopback_ms=50)
with p.cl:
    c, s, fin, first, before, after, t_replay = fin_replayed()
    gone = wait_gone(c, s, timeout=60)
life = None if gone is None else gone - t_replay
diag(f"rearm: first {first} s, before replay {before} s, after {after} s, then lived {life}")
ok(fin is not None and first is not None and first >= 0.6,
   "loopback + floor: first armed at the floor (>= 0.6 s)", f"{first}")
ok(after is not None and before is not None and after > before + 0.15 and
   abs(after - first) <= 0.1, "the retransmitted FIN re-armed to the first length", f"{after}")
# first is the timer read just after the arming, in 10 ms ticks: at most
# 0.05 s short of the length
ok(life is not None and first - JIFFY <= life <= first + 0.05 + late_bound(first),
   "TIME_WAIT ended one first-length after the FIN", f"{life}")

# --- a re-arm without a record: the class read off the addresses --------------
# A fresh netns that never made a record (no floor, no local_rtt_us), its
# loopback class 2 s and the others 60 s: a retransmitted FIN re-arms a
# loopback TIME_WAIT to 2 s, not to the remote 60 s (module/hooks.c,
# twctl_tw_length(): where both classes last alike it skips the test).
q = Netns("krearm")
setpol(q, msl_loopback_ms=1000)
with q:
    # the closed server answers the replayed FIN's ACK with a RST, which
    # would end the TIME_WAIT (as in p.cl above)
    sh("sysctl -qw net.ipv4.tcp_rfc1337=1")
    c, s, fin, first, before, after, _ = fin_replayed()
diag(f"rearm, no record: first {first} s, before replay {before} s, after {after} s")
ok(fin is not None and first is not None and 1.5 < first <= 2.0,
   "no record: loopback first armed at 2 x msl_loopback (2 s)", f"{first}")
ok(after is not None and before is not None and after > before + 0.15 and
   abs(after - first) <= 0.1, "no record: the retransmitted FIN re-armed to the loopback "
   "length (2 s), not the remote one", f"{after}")
q.delete()

# --- records come and go --------------------------------------------------------
end = time.monotonic() + 15
with p.cl:
    while sh("ss -Htan state time-wait state fin-wait-2").stdout.strip() and \
            time.monotonic() < end:
        time.sleep(0.1)
r = stats(p.cl)["tw_records"]
ok(r == 0, "no length record left once the sockets are gone", f"{r}")


# --- a record goes with its socket, also when a connect() takes it over --------
# Records are freed where the timewait socket is (tcp_twsk_destructor()),
# whatever ends it: here a connect() from the same bound port takes the
# TIME_WAIT over (reuse always; a bound port is not held to the delay).
setpol(p.cl, rto_floor=1, reuse="always")
srv = listener(p.sv, SERVER4, socket.AF_INET)
b = stats(p.cl)
seen = []
for i in range(2):
    with p.cl:
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    c.bind((CLIENT4, 45100))
    c.connect(srv.getsockname()[:2])
    conn, _ = srv.accept()
    seen.append(records_now(0))         # the first TIME_WAIT was taken over
    c.close()
    conn.settimeout(10)
    conn.recv(1)
    conn.close()
    seen.append(records_now(1))
d = delta(b, stats(p.cl), "tw_reused", "reuse_granted")
ok(seen == [0, 1, 0, 1] and d == {"tw_reused": 1, "reuse_granted": 1},
   "a record comes with each TIME_WAIT and goes when a connect() takes it over",
   f"records {seen}, {d}")
srv.close()
setpol(p.cl, reuse="inherit")
left = wait_no_tw(p.cl, 4.0 + late_bound(4.0))
n = records_now(0)
ok(left == "" and n == 0, "its TIME_WAIT ended by its timer: no record left", f"{n} {left}")

# --- the cap: max_tw_records ----------------------------------------------------
# Over the cap a TIME_WAIT gets no record, is counted in tw_record_capped,
# and its class comes from its addresses: remote for a veth peer, whatever
# its RTT. Local TIME_WAIT 8 s (the two recorded ones outlive the four
# closes, also on the slow debug kernel), remote 12 s.
PARAM = "/sys/module/twctl/parameters/max_tw_records"


def cap_write(v):
    fd = os.open(PARAM, os.O_WRONLY)
    try:
        os.write(fd, v.encode())
        return 0
    except OSError as e:
        return e.errno
    finally:
        os.close(fd)


def cap_read():
    with open(PARAM) as f:
        return f.read().strip()


ok(cap_read() == "262144", "max_tw_records defaults to 262144", cap_read())
ok(cap_write("16777217") == EINVAL and cap_write("-1") == EINVAL and cap_read() == "262144",
   "max_tw_records above 16777216 (or negative) refused, nothing changed", cap_read())
setpol(p.cl, rto_floor=0, local_rtt_us=80000, msl_local_ms=4000, msl_remote_ms=6000)
ok(cap_write("2") == 0 and cap_read() == "2", "max_tw_records set to 2 at run time")
CAPPED = ("tw_record_capped", "tw_record_failed", "tw_class_local", "tw_class_remote")
b = stats(p.cl)
timers, rtts = [], []
for _ in range(4):
    c, s, rtt, _, _ = veth_close(p)
    timers.append(timer_in(p.cl, c, s))
    rtts.append(rtt)
a = stats(p.cl)
d = delta(b, a, *CAPPED)
diag(f"cap 2: timers {timers}, rtts {rtts}, {d}, records {a['tw_records']}")
ok(d == {"tw_record_capped": 2, "tw_record_failed": 0, "tw_class_local": 2,
         "tw_class_remote": 2} and a["tw_records"] == 2,
   "max_tw_records 2: two recorded (local), two refused and counted (remote)",
   f"{d}, records {a['tw_records']}")
ok(all(t is not None and 7.0 < t <= 8.0 for t in timers[:2]) and
   all(t is not None and 11.0 < t <= 12.0 for t in timers[2:]) and max(rtts) < 0.080,
   "the two over the cap: the address rule's remote length (12 s), not local (8 s)",
   f"{timers}")
ok(cap_write("262144") == 0, "max_tw_records back to 262144")
left = wait_no_tw(p.cl, 12.0 + late_bound(12.0))
n = records_now(0)
ok(left == "" and n == 0, "records back to 0 once those TIME_WAITs ended", f"{n} {left}")


class TwRec(ctypes.Structure):
    """struct twctl_twrec (module/twrec.c), laid out by the C ABI as the
    module's compiler does: tw_record_bytes is its sizeof, the size of one
    record (64 on x86_64)."""
    _fields_ = [("node_next", ctypes.c_void_p),       # struct rhash_head
                ("tw", ctypes.c_void_p),
                ("net", ctypes.c_void_p), ("ports", ctypes.c_uint32),  # struct twctl_twrec_id
                ("snd_nxt", ctypes.c_uint32),
                ("len", ctypes.c_ulong), ("cls", ctypes.c_uint8),
                ("rcu_next", ctypes.c_void_p), ("rcu_func", ctypes.c_void_p)]


rb = int(sysfs_read("stats/tw_record_bytes"))
ok(rb == ctypes.sizeof(TwRec), f"record size shown: sizeof(struct twctl_twrec) = "
   f"{ctypes.sizeof(TwRec)} bytes", f"{rb}")

# --- knobs: refusals, netlink, the tool ---------------------------------------
with p.cl:
    cur = [sysfs_read(k) for k in ("msl_local_ms", "local_rtt_us", "rto_floor")]
    for k, v in (("msl_local_ms", "600001"), ("local_rtt_us", "10000001"),
                 ("rto_floor", "2"), ("rto_floor", "on"), ("msl_remote_ms", "-1")):
        err = sysfs_write(k, v)
        ok(err in (EINVAL, ERANGE), f"sysfs {k}={v} refused", f"errno {err}")
    ok([sysfs_read(k) for k in ("msl_local_ms", "local_rtt_us", "rto_floor")] == cur,
       "refused writes changed nothing")
    r = subprocess.run([TOOL, "set", "msl-local", "400ms", "local-rtt", "25ms",
                        "rto-floor", "off", "msl-remote", "unset"],
                       capture_output=True, text=True)
    ok(r.returncode == 0, "twctl set msl-local 400ms local-rtt 25ms rto-floor off msl-remote unset",
       r.stderr)
    ok((sysfs_read("msl_local_ms"), sysfs_read("local_rtt_us"), sysfs_read("rto_floor"),
        sysfs_read("msl_remote_ms")) == ("400", "25000", "0", "0"),
       "sysfs shows what netlink set")
    js = json.loads(subprocess.run([TOOL, "-j", "show"], capture_output=True,
                                   text=True).stdout)
    ok(js.get("msl_local_ms") == 400 and js.get("local_rtt_us") == 25000 and
       js.get("time_wait_local_ms") == 800 and js.get("msl_remote_ms") == 0 and
       js.get("time_wait_remote_ms") == 2 * js.get("msl_ms", -1), "twctl -j show", f"{js}")
    r = subprocess.run([TOOL, "set", "msl-local", "400ms", "local-rtt", "11s"],
                       capture_output=True, text=True)
    ok(r.returncode != 0 and "local-rtt" in r.stderr and sysfs_read("msl_local_ms") == "400",
       "the tool refuses local-rtt 11s, nothing applied", r.stderr.strip())
    r = subprocess.run([TOOL, "show"], capture_output=True, text=True)
    ok("msl-remote" in r.stdout and "unset" in r.stdout, "twctl show says unset", r.stdout)

# --- a burst of records: the table grows under them ----------------------------
# BURST TIME_WAITs alive at once (60 s long), each with a record (the RTO
# floor needs one for every socket): the record table grows from its
# smallest size many times over. lib/rhashtable.c grows it in a worker; an
# insert outpacing the worker must not allocate in the hook on PREEMPT_RT
# (twrec.c; the runner's log scan after this suite finds "sleeping function
# called from invalid context"). Each TIME_WAIT gets a record or is counted
# without one; in a namespace of its own, deleted after.
BURST = 300
bns = Netns("kburst")
setpol(bns, msl_loopback_ms=30000, rto_floor=1)
srv = listener(bns, "127.0.0.1", socket.AF_INET)
b = stats(bns)
n, errs, _ = churn_seq(bns, srv, BURST, "127.0.0.1")
srv.close()
a = stats(bns)
d = delta(b, a, "tw_created", "tw_created_fin_wait2", "tw_record_failed",
          "tw_record_capped", "tw_records")
diag(f"burst of {BURST}: {d}")
ok(n == BURST and d["tw_created"] + d["tw_created_fin_wait2"] == BURST,
   f"a burst of {BURST} connections, each into TIME_WAIT", f"{n} {errs} {d}")
ok(d["tw_records"] + d["tw_record_failed"] == BURST and d["tw_record_capped"] == 0,
   "each TIME_WAIT of the burst recorded, or counted without a record", f"{d}")
ok(d["tw_records"] >= BURST // 2,
   "the record table grew with the burst (most of them recorded)", f"{d}")
bns.delete()
n = records_now(0, secs=10.0)
ok(n == 0, "the burst's records went with its namespace", f"{n}")

# --- unload with records alive, then let the sockets expire --------------------
# 3 s TIME_WAITs: all five still alive on the slow debug kernel, where a
# close over veth takes a good part of a second. No local class: the debug
# kernel's veth RTT (17 ms seen) can fall below the local_rtt_us set above
# (25 ms), which gave 0.8 s TIME_WAITs.
setpol(p.cl, msl_remote_ms=1500, rto_floor=1, local_rtt_us=0)
t_first = time.monotonic()
for _ in range(5):
    veth_close(p)
n = stats(p.cl)["tw_records"]
ok(n >= 5, "records alive before unload", f"{n}")
unload()
ok(not loaded(), "unloaded with length records and TIME_WAIT sockets alive")
# They end at their armed 3 s (not the stock 60 s), also with twctl gone.
deadline = time.monotonic() + 3.0 + late_bound(3.0)
left = "?"
while time.monotonic() < deadline:
    with p.cl:
        left = sh("ss -Htan state time-wait").stdout.strip()
    if not left:
        break
    time.sleep(0.1)
ok(left == "", "those TIME_WAIT sockets expired after the unload, at their 3 s",
   f"{time.monotonic() - t_first:.1f} s after the first close: {left}")
p.delete()
done()
