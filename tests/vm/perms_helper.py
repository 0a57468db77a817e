"""What a process may do with twctl, for test_perms.py, which runs it under
setpriv / unshare. Prints one JSON object: {operation: [errno, data]}.

  perms_helper.py probe [--fd NAME=FD]... [--setns PATH]...
      reads every file of /sys/kernel/twctl, tries to write every one, uses
      the netlink family through a socket of its own ("own") and through
      inherited sockets (--fd: opened by someone else, maybe in another
      netns), tries setns(2) into other namespaces, and reads again.
  perms_helper.py serve FD
      a container: sets its own netns's policy, makes its counters move,
      sends a netlink socket of its netns over the unix socket FD
      (SCM_RIGHTS) and waits for a line on it before reporting and exiting.
"""
import array
import json
import os
import socket
import struct
import sys

import nl
from nl import Genl, NlError, nest, u32
from reltest import lo_up, setns
from twtest import SYSFS, active_close

U = nl.uapi()
A_POLICY = U["TWCTL_A_POLICY"]
GET, SET = U["TWCTL_CMD_GET_POLICY"], U["TWCTL_CMD_SET_POLICY"]
GET_STATS, RESET = U["TWCTL_CMD_GET_STATS"], U["TWCTL_CMD_RESET_STATS"]
KNOBS = {"msl_ms": U["TWCTL_A_POLICY_MSL_MS"], "reuse": U["TWCTL_A_POLICY_REUSE"],
         "reuse_delay_ms": U["TWCTL_A_POLICY_REUSE_DELAY_MS"]}
# a valid value for every writable file (anything else just gets "1")
WRITE = {"msl_ms": "999\n", "reuse": "always\n", "reuse_delay_ms": "999\n"}

out = {}


def record(op, fn):
    try:
        data = fn()
        out[op] = [0, data]
    except OSError as e:
        out[op] = [e.errno, str(e)]


def sysfs_files():
    files = []
    for d, _, names in os.walk(SYSFS):
        files += [os.path.relpath(os.path.join(d, n), SYSFS) for n in names]
    return sorted(files)


def read(rel):
    with open(os.path.join(SYSFS, rel), "rb") as f:
        return f.read().decode(errors="replace")


def write(rel):
    fd = os.open(os.path.join(SYSFS, rel), os.O_WRONLY)
    try:
        os.write(fd, WRITE.get(os.path.basename(rel), "1\n").encode())
    finally:
        os.close(fd)


def genl_on(sock):
    """A Genl speaking through an existing netlink socket."""
    g = Genl.__new__(Genl)
    g.s, g.seq, g.family = sock, 1000, "twctl"
    a = g.request(nl.GENL_ID_CTRL, nl.CTRL_CMD_GETFAMILY,
                  nl.attr(nl.CTRL_ATTR_FAMILY_NAME, b"twctl\0"))[0]
    g.id = struct.unpack("=H", a[nl.CTRL_ATTR_FAMILY_ID][:2])[0]
    g.version = struct.unpack("=I", a[nl.CTRL_ATTR_VERSION])[0]
    return g


def policy_of(g):
    p = nl.parse_attrs(g.do(GET)[0][A_POLICY])
    return {k: struct.unpack("=I", p[a])[0] for k, a in KNOBS.items()}


def raw_reply(g, cmd):
    replies, _ = g.raw(g.id, cmd)
    return replies[0].hex()


def netlink_ops(name, g):
    record(f"nl.{name}.get-policy", lambda: raw_reply(g, GET))
    record(f"nl.{name}.get-stats", lambda: raw_reply(g, GET_STATS))
    record(f"nl.{name}.set-policy", lambda: g.do(SET, nest(A_POLICY, u32(KNOBS["msl_ms"], 999))))
    record(f"nl.{name}.set-policy-invalid",
           lambda: g.do(SET, nest(A_POLICY, u32(KNOBS["msl_ms"], 0))))
    record(f"nl.{name}.reset-stats", lambda: g.do(RESET))


def bump_stats():
    """A connect() that meets a TIME_WAIT socket on its 4-tuple: the module
    decides (and counts) unless the mode is inherit."""
    c, s, _ = active_close()
    x = socket.socket()
    x.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    x.bind(c)
    try:
        x.connect(s)
    except OSError:
        pass
    x.close()


def probe(args):
    fds, paths = [], []
    while args:
        opt, val = args[0], args[1]
        args = args[2:]
        if opt == "--fd":
            name, fd = val.split("=")
            fds.append((name, int(fd)))
        elif opt == "--setns":
            paths.append(val)
    files = sysfs_files()
    for rel in files:
        record(f"sysfs.read:{rel}", lambda rel=rel: read(rel))
    for rel in files:
        record(f"sysfs.write:{rel}", lambda rel=rel: write(rel))
    try:
        own = Genl()
    except OSError as e:
        out["nl.own.open"] = [e.errno, str(e)]
    else:
        netlink_ops("own", own)
    for name, fd in fds:
        g = genl_on(socket.socket(fileno=fd))
        netlink_ops(name, g)
    for p in paths:
        record(f"setns:{p}", lambda p=p: setns(p))
    for rel in files:
        record(f"sysfs.read-after:{rel}", lambda rel=rel: read(rel))


def serve(fd):
    """Container A: its own policy and moving counters; hands out a socket."""
    ctl = socket.socket(fileno=fd)
    lo_up()
    g = Genl()
    g.do(SET, nest(A_POLICY, u32(KNOBS["msl_ms"], 3456), u32(KNOBS["reuse"], U["TWCTL_REUSE_OFF"]),
                   u32(KNOBS["reuse_delay_ms"], 600000)))
    for _ in range(3):
        bump_stats()
    s = Genl()
    ctl.sendmsg([b"ready\n"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                array.array("i", [s.s.fileno()]))])
    ctl.recv(100)           # the test says when it is done
    out["policy"] = [0, policy_of(g)]
    record("stats", lambda: raw_reply(g, GET_STATS))


if __name__ == "__main__":
    try:
        if sys.argv[1] == "probe":
            probe(sys.argv[2:])
        else:
            serve(int(sys.argv[2]))
    except NlError as e:
        out["fatal"] = [e.errno, str(e)]
    print(json.dumps(out), flush=True)
