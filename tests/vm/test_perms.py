"""Permission matrix (#10): who may read and who may change twctl's state.

- an unprivileged user reads policy and stats (sysfs, netlink) but cannot
  write sysfs, set policy or reset stats through netlink;
- root of a user namespace that owns a network namespace sets that netns's
  policy through netlink, but cannot touch init_net's or a sibling netns's
  (sockets opened there before it entered its user namespace), and its
  sysfs writes are refused;
- the module-wide gauges (tw_records, hooks_missed, netns_count) are the
  host's: init_net and the host's admin read them, a container does not;
- nothing a non-admin tries changes any state (policy and counters of
  every netns compared before and after)."""
import ctypes
import errno
import json
import os
import struct

import nl
from nl import Genl, NlError, nest, u32
from twtest import Netns, done, load, loaded, ok, sh, stats, sysfs_read, unload

U = nl.uapi()
NOBODY = 65534
CLONE_NEWUSER, CLONE_NEWNET = 0x10000000, 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)
KNOBS = ("msl_ms", "reuse", "reuse_delay_ms", "msl_loopback_ms", "msl_local_ms",
         "msl_remote_ms", "local_rtt_us", "rto_floor")


def in_child(fn):
    """Run fn() in a forked child; return what it returns (JSON-able)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            res = fn()
        except Exception as e:          # report, never fall through
            res = {"exception": repr(e)}
        os.write(w, json.dumps(res).encode())
        os._exit(0)
    os.close(w)
    data = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    return json.loads(data)


def state(ns=None):
    """Every knob and every counter of a netns (sysfs, from root)."""
    def read():
        s = {k: sysfs_read(k) for k in KNOBS}
        # gauges of the kernel or module-wide (namespaces come and go here),
        # and expiries: a TIME_WAIT an earlier suite left in init_net (armed
        # before this load, 60 s) can end by its timer at any moment
        s.update({k: v for k, v in stats().items()
                  if k not in ("tw_alive", "netns_count", "tw_expired")})
        return s
    if ns is None:
        return read()
    with ns:
        return read()


def attempt(fn):
    """errno of fn() (0 when it succeeded)."""
    try:
        fn()
        return 0
    except NlError as e:
        return e.errno
    except OSError as e:
        return e.errno


def sysfs_write(name, data):
    fd = os.open(f"/sys/kernel/twctl/{name}", os.O_WRONLY)
    try:
        os.write(fd, data.encode())
    finally:
        os.close(fd)


def set_msl(g, v):
    g.do(U["TWCTL_CMD_SET_POLICY"], nest(U["TWCTL_A_POLICY"], u32(U["TWCTL_A_POLICY_MSL_MS"], v)))


def get_msl(g):
    a = g.do(U["TWCTL_CMD_GET_POLICY"])[0]
    pol = nl.parse_attrs(a[U["TWCTL_A_POLICY"]])
    return struct.unpack("=I", pol[U["TWCTL_A_POLICY_MSL_MS"]])[0]


def drop_to_nobody():
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)


if loaded():
    unload()
load()
sib = Netns("permsib")
with sib:
    sh("sysctl -qw net.ipv4.tcp_tw_reuse=0")
sysfs_write("msl_ms", "4321")
with sib:
    sysfs_write("msl_ms", "1234")
before = {"init": state(), "sib": state(sib)}

# --- an unprivileged user ---------------------------------------------------


def nobody():
    drop_to_nobody()
    g = Genl()
    res = {"uid": os.getuid()}
    res["read_sysfs"] = {k: sysfs_read(k) for k in ("msl_ms", "reuse", "rto_floor")}
    res["read_stats"] = sysfs_read("stats/tw_created")
    res["get_policy"] = attempt(lambda: get_msl(g))
    res["msl_nl"] = get_msl(g)
    res["get_stats"] = attempt(lambda: g.do(U["TWCTL_CMD_GET_STATS"]))
    res["set_policy"] = attempt(lambda: set_msl(g, 100))
    res["reset_stats"] = attempt(lambda: g.do(U["TWCTL_CMD_RESET_STATS"]))
    res["sysfs"] = {k: attempt(lambda k=k: sysfs_write(k, "1")) for k in KNOBS}
    res["subscribe"] = attempt(lambda: g.subscribe("events").close())
    return res


r = in_child(nobody)
ok(r.get("uid") == NOBODY and r.get("read_sysfs", {}).get("msl_ms") == "4321"
   and r.get("read_stats", "").isdigit(), "unprivileged user reads policy and stats in sysfs",
   f"{r}")
ok(r.get("get_policy") == 0 and r.get("msl_nl") == 4321 and r.get("get_stats") == 0,
   "unprivileged user reads policy and stats through netlink", f"{r}")
ok(r.get("set_policy") == errno.EPERM, "unprivileged user: set-policy refused (EPERM)", f"{r}")
ok(r.get("reset_stats") == errno.EPERM, "unprivileged user: reset-stats refused (EPERM)", f"{r}")
ok(set(r.get("sysfs", {}).values()) == {errno.EACCES},
   "unprivileged user: every sysfs knob write refused (EACCES)", f"{r}")
ok(r.get("subscribe") == errno.EPERM,
   "unprivileged user cannot listen to the events group (EPERM)", f"{r}")

# --- root of a user namespace owning a network namespace ---------------------


def userns_root():
    # sockets in init_net and in the sibling, opened while still in them
    g_init = Genl()
    with sib:
        g_sib = Genl()
    if _libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0:
        return {"exception": f"unshare: {os.strerror(ctypes.get_errno())}"}
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write("0 0 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write("0 0 1")
    g = Genl()
    res = {"own_msl_before": get_msl(g)}
    res["own_set"] = attempt(lambda: set_msl(g, 777))
    res["own_msl"] = get_msl(g)
    res["own_reset"] = attempt(lambda: g.do(U["TWCTL_CMD_RESET_STATS"]))
    res["own_subscribe"] = attempt(lambda: g.subscribe("events").close())
    res["own_sysfs"] = {k: attempt(lambda k=k: sysfs_write(k, "5")) for k in KNOBS}
    res["own_msl_after_sysfs"] = get_msl(g)
    res["init_set"] = attempt(lambda: set_msl(g_init, 100))
    res["init_reset"] = attempt(lambda: g_init.do(U["TWCTL_CMD_RESET_STATS"]))
    res["init_get"] = attempt(lambda: get_msl(g_init))
    res["sib_set"] = attempt(lambda: set_msl(g_sib, 100))
    res["sib_reset"] = attempt(lambda: g_sib.do(U["TWCTL_CMD_RESET_STATS"]))
    fd = os.open("/run/netns/permsib", os.O_RDONLY)
    res["setns_sib"] = 0 if _libc.setns(fd, CLONE_NEWNET) == 0 else ctypes.get_errno()
    os.close(fd)
    return res


r = in_child(userns_root)
ok(r.get("own_set") == 0 and r.get("own_msl_before") == 30000 and r.get("own_msl") == 777,
   "userns root sets the policy of the netns it owns through netlink", f"{r}")
ok(r.get("own_reset") == 0, "userns root resets its own netns's counters", f"{r}")
ok(r.get("own_subscribe") == 0, "userns root listens to its own netns's events", f"{r}")
ok(set(r.get("own_sysfs", {}).values()) == {errno.EPERM} and r.get("own_msl_after_sysfs") == 777,
   "userns root: sysfs writes refused (EPERM), its policy unchanged", f"{r}")
ok(r.get("init_set") == errno.EPERM and r.get("init_reset") == errno.EPERM
   and r.get("init_get") == 0,
   "userns root cannot set or reset init_net's (socket from init_net), may read it", f"{r}")
ok(r.get("sib_set") == errno.EPERM and r.get("sib_reset") == errno.EPERM,
   "userns root cannot set or reset a sibling netns's (socket from it)", f"{r}")
ok(r.get("setns_sib") == errno.EPERM, "userns root cannot enter the sibling netns", f"{r}")

# --- an unprivileged user with its own user and network namespace ------------


def into_own_userns():
    """As nobody, into a user and network namespace of its own (root in it,
    as a rootless container is): None, or what failed as a result dict."""
    drop_to_nobody()
    _libc.prctl(4, 1, 0, 0, 0)     # PR_SET_DUMPABLE: /proc/self is ours again
    if _libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0:
        return {"exception": f"unshare: {os.strerror(ctypes.get_errno())}"}
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"0 {NOBODY} 1")
    return None


def nobody_userns():
    g_init = Genl()
    err = into_own_userns()
    if err:
        return err
    g = Genl()
    return {"own_set": attempt(lambda: set_msl(g, 555)), "own_msl": get_msl(g),
            "init_set": attempt(lambda: set_msl(g_init, 100)),
            "sysfs": attempt(lambda: sysfs_write("msl_ms", "5"))}


r = in_child(nobody_userns)
ok(r.get("own_set") == 0 and r.get("own_msl") == 555 and r.get("init_set") == errno.EPERM
   and r.get("sysfs") in (errno.EACCES, errno.EPERM),
   "an unprivileged user's own user+net namespace: set there, nothing else", f"{r}")

# --- module-wide gauges: the host's, not a container's ------------------------
MODULE_WIDE = ("TWCTL_A_STATS_TW_RECORDS", "TWCTL_A_STATS_HOOKS_MISSED",
               "TWCTL_A_STATS_NETNS_COUNT")


def gauges_seen(g):
    """Which module-wide gauges, and whether tw_created and the record size,
    a get-stats reply on g carries."""
    st = nl.parse_attrs(g.do(U["TWCTL_CMD_GET_STATS"])[0][U["TWCTL_A_STATS"]])
    return {"module_wide": [a for a in MODULE_WIDE if U[a] in st],
            "own": U["TWCTL_A_STATS_TW_CREATED"] in st
            and U["TWCTL_A_STATS_TW_RECORD_BYTES"] in st}


def sysfs_gauges():
    res = {}
    for f in ("tw_records", "hooks_missed", "netns_count", "tw_record_bytes", "tw_created"):
        try:
            res[f] = int(sysfs_read(f"stats/{f}"))
        except OSError as e:
            res[f] = -e.errno
    return res


def container_gauges():
    return into_own_userns() or {"nl": gauges_seen(Genl()), "sysfs": sysfs_gauges()}


def nobody_init_gauges():
    drop_to_nobody()
    return {"nl": gauges_seen(Genl()), "sysfs": sysfs_gauges()}


def admin_in_sib_gauges():
    with sib:
        return {"nl": gauges_seen(Genl()), "sysfs": sysfs_gauges()}


every = sorted(MODULE_WIDE)
r = in_child(container_gauges)
sf = r.get("sysfs", {})
ok(r.get("nl") == {"module_wide": [], "own": True}
   and all(sf.get(f) == -errno.EPERM for f in ("tw_records", "hooks_missed", "netns_count"))
   and sf.get("tw_record_bytes", 0) > 0 and sf.get("tw_created", -1) >= 0,
   "a container (own user and net namespace) gets its own counters, not the module-wide "
   "gauges (netlink leaves them out, sysfs EPERM)", f"{r}")
r = in_child(nobody_init_gauges)
sf = r.get("sysfs", {})
ok(sorted(r.get("nl", {}).get("module_wide", [])) == every
   and all(sf.get(f, -1) >= 0 for f in ("tw_records", "hooks_missed", "netns_count")),
   "an unprivileged user in init_net reads the module-wide gauges", f"{r}")
r = in_child(admin_in_sib_gauges)
sf = r.get("sysfs", {})
ok(sorted(r.get("nl", {}).get("module_wide", [])) == every
   and all(sf.get(f, -1) >= 0 for f in ("tw_records", "hooks_missed", "netns_count")),
   "the host's admin in another namespace reads the module-wide gauges", f"{r}")

# --- nothing changed --------------------------------------------------------
after = {"init": state(), "sib": state(sib)}
for name in ("init", "sib"):
    diff = {k: (before[name][k], after[name].get(k)) for k in before[name]
            if before[name][k] != after[name].get(k)}
    ok(not diff, f"{name}: every knob and counter unchanged by the non-admins", f"{diff}")
sib.delete()
unload()
done()
