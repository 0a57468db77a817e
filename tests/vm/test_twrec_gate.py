"""Length records cost only the namespaces that make them (#20): with
records of namespace A alive, the TIME_WAITs of namespace B, whose policy
makes none, are never looked up in the records' table, neither at their
end (timer, a connect() taking one over, the namespace's deletion) nor when
they are freed; A's records meanwhile keep their lengths and go with their
sockets.

The lookups are counted where they happen: kprobe events on
twctl_twrec_get() and twctl_twrec_del() (module/twrec.c), which the hooks
call only when a record may exist (module/hooks.c: twctl_tw_length(),
twctl_tw_free_pre()). A's own TIME_WAITs show that the probes count."""
import atexit
import os
import socket
import time

from twtest import (SLOW, Netns, active_close, churn_seq, diag, done, late_bound,
                    load, loaded, ok, records_now, sh, stats, sysfs_write,
                    tw_timer_proc, unload, wait_no_tw)

TR = "/sys/kernel/tracing"
GROUP = "twctl_gate"
# free: every TCP timewait socket freed (compat.h), so a count of 0 lookups
# is not 0 frees yet
PROBES = {"get": "twctl_twrec_get", "del": "twctl_twrec_del",
          "free": "tcp_twsk_destructor"}
N = 60 if SLOW else 300        # B's connections per churn
K = 5                          # A's long TIME_WAITs, with records


def setpol(ns, **kv):
    with ns:
        for k, v in kv.items():
            err = sysfs_write(k, str(v))
            assert err == 0, f"{k}={v}: errno {err}"


def kprobe_events(line):
    """Append line to kprobe_events (no seek: tracefs refuses one)."""
    fd = os.open(f"{TR}/kprobe_events", os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, line.encode() + b"\n")
    except OSError:
        diag(open(f"{TR}/error_log").read())
        raise
    finally:
        os.close(fd)


def probes_add():
    if not os.path.isdir(f"{TR}/events"):
        sh(f"mount -t tracefs none {TR}")
    for name, fn in PROBES.items():
        kprobe_events(f"p:{GROUP}/{name} {fn}")
    with open(f"{TR}/events/{GROUP}/enable", "w") as f:
        f.write("1")


def probes_del():
    if os.path.isdir(f"{TR}/events/{GROUP}"):
        with open(f"{TR}/events/{GROUP}/enable", "w") as f:
            f.write("0")
        for name in PROBES:
            kprobe_events(f"-:{GROUP}/{name}")


def hits():
    """Calls of each probed function so far: {"get": n, "del": n}."""
    out = {}
    for line in open(f"{TR}/kprobe_profile"):
        f = line.split()
        for name in PROBES:
            if f[0] in (name, f"{GROUP}/{name}"):
                out[name] = int(f[1])
    return out


def since(before):
    now = hits()
    return {k: now[k] - before[k] for k in now}


def frees_done(before, n, secs=30.0):
    """Calls since before, once n timewait sockets were freed (or secs)."""
    end = time.monotonic() + secs
    d = since(before)
    while d["free"] < n and time.monotonic() < end:
        time.sleep(0.1)
        d = since(before)
    return d


def lo_listener(ns):
    with ns:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(128)
    return s


if loaded():
    unload()
load()
probes_del()                    # left over from an aborted run
probes_add()
atexit.register(probes_del)     # also when a check raises
a, b = Netns("twgate_a"), Netns("twgate_b")

# --- A: records alive ---------------------------------------------------------
# The RTO floor makes a record for each TIME_WAIT; the kernel's 60 s keeps
# them alive through what follows.
setpol(a, rto_floor=1)
h0 = hits()
with a:
    for _ in range(K):
        active_close()
n = records_now(K)
d = since(h0)
ok(n == K and d["get"] >= K,
   "A's TIME_WAITs have records, and the probes see their lookups",
   f"tw_records {n}, calls {d}")

# --- B: records never made, TIME_WAITs end by their timer -----------------------
# msl_ms=100 (200 ms TIME_WAITs) needs no records.
setpol(b, msl_ms=100)
srv = lo_listener(b)
h0 = hits()
got, errs, _ = churn_seq(b, srv, N, "127.0.0.1")
left = wait_no_tw(b, 0.2 + late_bound(0.2) + 5)
d = frees_done(h0, N)
diag(f"B, {got} connections ended by their timer: calls {d}")
ok(got == N and not errs and left == "" and d["free"] >= N,
   f"B: {N} TIME_WAITs came and went, and were freed", f"{got} {errs} {left} {d}")
ok(d["get"] == 0, "B's TIME_WAITs are never looked up at arming or end", f"{d}")
# A free that does not follow its end on the same CPU looks up (rare).
ok(d["del"] <= N // 20, "B's frees skip the table (at most 5 % looked up)", f"{d}")
n = records_now(K)
ok(n == K, "A's records are all still there", f"{n}")

# --- B: a connect() takes a TIME_WAIT over ---------------------------------------
setpol(b, reuse="always", msl_ms=30000)
h0 = hits()
for i in range(4):
    with b:
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    c.bind(("127.0.0.1", 45200))
    c.connect(srv.getsockname())
    conn, _ = srv.accept()
    c.close()
    conn.settimeout(10)
    conn.recv(1)
    conn.close()
    end = time.monotonic() + 10
    with b:
        while tw_timer_proc(("127.0.0.1", 45200), srv.getsockname()) is None and \
                time.monotonic() < end:
            time.sleep(0.01)
reused = stats(b)["tw_reused"]
d = frees_done(h0, 3)
diag(f"B, taken over by connect(): calls {d}, tw_reused {reused}")
ok(reused == 3 and d["free"] >= 3 and d["get"] == 0 and d["del"] <= 1,
   "B's TIME_WAITs taken over by connect(): no lookups", f"{d}, tw_reused {reused}")

# --- B: its namespace goes with TIME_WAITs alive ---------------------------------
# 60 s TIME_WAITs; deleting B purges them (inet_twsk_purge()).
setpol(b, reuse="inherit")
got, errs, _ = churn_seq(b, srv, N // 3, "127.0.0.1")
srv.close()
with b:
    alive = len(sh("ss -Htan state time-wait").stdout.splitlines())
h0 = hits()
b.delete()
d = frees_done(h0, alive)       # cleanup_net() runs in a worker
diag(f"B deleted with {alive} TIME_WAITs: calls {d}")
ok(alive >= N // 3 and d["free"] >= alive and d["get"] == 0 and
   d["del"] <= max(1, alive // 20),
   "B deleted with its TIME_WAITs: their frees skip the table", f"{alive}: {d}")

# --- A: records still made, used and freed ----------------------------------------
# Loopback TIME_WAIT 200 ms, floor on: armed at 3.5 x RTO (>= 0.7 s) from
# its record, which goes when the socket does.
setpol(a, msl_ms=100)
h0 = hits()
with a:
    ca, sa, _ = active_close()
    t = tw_timer_proc(ca, sa)
n1 = records_now(K + 1)
ok(t is not None and t >= 0.6 and n1 == K + 1,
   "A: a new TIME_WAIT gets its record and the floored length", f"timer {t}, records {n1}")
end = time.monotonic() + 0.7 * 4 + late_bound(3.0)
with a:
    while tw_timer_proc(ca, sa) is not None and time.monotonic() < end:
        time.sleep(0.05)
    gone = tw_timer_proc(ca, sa) is None
n2 = records_now(K)
d = since(h0)
ok(gone and n2 == K and d["get"] >= 2 and d["del"] >= 1,
   "A: its record went with it, looked up at its end and free",
   f"gone {gone}, records {n2}, calls {d}")

# --- A goes: its records with it --------------------------------------------------
a.delete()
n = records_now(0, 30.0)
ok(n == 0, "A deleted: no record left", f"{n}")
probes_del()
unload()
ok(not loaded(), "unloads")
done()
