"""Netlink fuzzing (#10), meant for the debug kernel (KASAN, lockdep,
kmemleak, UBSAN: run-vm.sh fails the run on any splat).

Several processes at once, each in its own network namespace, send random
and mutated messages to the twctl family: every command and unknown ones,
with and without NLM_F_DUMP / NLM_F_ACK, wrong versions and reserved bytes,
truncated and overlong headers, attributes of wrong types, lengths and
nesting, unknown attributes, huge values. After every message the worker
reads its netns's policy back: a rejected message must leave it byte for
byte unchanged; only an accepted set-policy may change it. A rejection of a
well-formed set-policy request (EINVAL/ERANGE) must carry an extended ACK.

  test_fuzz.py [--full] [--workers=N] [--messages=N] [--seed=N]

Default (make check): 3 workers x 500 messages. --full (make fuzz):
4 workers x 30000 messages."""
# kernels: debug
import ctypes
import json
import os
import random
import select
import socket
import struct
import sys
import time

import nl
from nl import Genl
from twtest import diag, done, load, loaded, ok, sh, unload

U = nl.uapi()
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)

args = dict(a.lstrip("-").split("=", 1) if "=" in a else (a.lstrip("-"), "1")
            for a in sys.argv[1:])
FULL = "full" in args
WORKERS = int(args.get("workers", 4 if FULL else 3))
MESSAGES = int(args.get("messages", 30000 if FULL else 500))
SEED = int(args.get("seed", int(time.time())))

POLICY_ATTRS = [v for k, v in U.items() if k.startswith("TWCTL_A_POLICY_")
                and not k.endswith(("_UNSPEC", "_MAX"))]
CMDS = list(range(0, U["TWCTL_CMD_MAX"] + 3))
A_POLICY = U["TWCTL_A_POLICY"]
SET = U["TWCTL_CMD_SET_POLICY"]
GET = U["TWCTL_CMD_GET_POLICY"]
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x4, 0x300
NLMSG_ERROR = 2
INTERESTING = [0, 1, 2, 3, 4, 5, 7, 100, 999, 1000, 600000, 600001, 10000000,
               10000001, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF]


def rnd_value(r):
    kind = r.randrange(6)
    if kind == 0:
        return struct.pack("=I", r.choice(INTERESTING))
    if kind == 1:
        return struct.pack("=I", r.getrandbits(32))
    if kind == 2:
        return struct.pack("=Q", r.getrandbits(64))      # u64 where u32 is due
    if kind == 3:
        return bytes(r.getrandbits(8) for _ in range(r.randrange(0, 3)))  # short
    if kind == 4:
        return bytes(r.getrandbits(8) for _ in range(r.randrange(5, 40)))  # long
    return b"always\0"                                    # a string


def rnd_attrs(r, depth=0):
    out = b""
    for _ in range(r.randrange(0, 6)):
        t = r.choice(POLICY_ATTRS + [0, 9, 10, 31, 0x7FFF, r.getrandbits(14)])
        if depth < 3 and r.random() < 0.15:
            payload = rnd_attrs(r, depth + 1)
            t |= nl.NLA_F_NESTED
        else:
            payload = rnd_value(r)
        if r.random() < 0.1:
            t |= nl.NLA_F_NESTED                          # nested flag on a leaf
        out += nl.attr(t & 0xFFFF, payload)
    return out


def valid_set(r):
    """A set-policy request that may well be valid."""
    body = b"".join(nl.u32(t, r.choice(INTERESTING[:13]))
                    for t in r.sample(POLICY_ATTRS, r.randrange(1, 4)))
    return nl.nest(A_POLICY, body)


def mutate(r, b):
    b = bytearray(b)
    for _ in range(r.randrange(1, 4)):
        if not b:
            break
        op = r.randrange(5)
        i = r.randrange(len(b))
        if op == 0:
            b[i] = r.getrandbits(8)
        elif op == 1:
            b = b[:i]                                      # truncate
        elif op == 2:
            b[i:i] = bytes(r.getrandbits(8) for _ in range(r.randrange(1, 9)))
        elif op == 3 and len(b) >= 4:
            j = r.randrange(0, len(b) - 3, 4) if len(b) > 4 else 0
            struct.pack_into("=H", b, j, r.choice([0, 1, 3, 4, 5, 8, 0xFFFF,
                                                   r.getrandbits(16)]))  # nla_len
        else:
            b += nl.attr(r.getrandbits(15), b"\xff" * r.randrange(0, 12))
    return bytes(b)


def message(r, fam, seq):
    """(bytes, well-formed set-policy?)"""
    cmd = r.choice(CMDS + [SET] * 6)
    s = r.random()
    if s < 0.35:
        payload = valid_set(r) if r.random() < 0.5 else mutate(r, valid_set(r))
    elif s < 0.7:
        payload = nl.nest(A_POLICY, rnd_attrs(r)) if r.random() < 0.6 else rnd_attrs(r)
    else:
        payload = mutate(r, rnd_attrs(r) + valid_set(r))
    flags = NLM_F_REQUEST | NLM_F_ACK
    if r.random() < 0.1:
        flags |= NLM_F_DUMP
    if r.random() < 0.05:
        flags = r.getrandbits(16)
    version = 1 if r.random() < 0.85 else r.getrandbits(8)
    reserved = 0 if r.random() < 0.9 else r.getrandbits(16)
    body = struct.pack("=BBH", cmd, version, reserved) + payload
    n = 16 + len(body)
    hdr_len = n
    if r.random() < 0.05:
        hdr_len = r.choice([0, 4, 15, 16, 17, 19, n + 4, n + 100, r.getrandbits(32)])
    msg = struct.pack("=IHHII", hdr_len, fam, flags, seq, 0) + body
    if r.random() < 0.03:
        msg = msg[:r.randrange(0, 20)]                    # truncated header
    well_formed = (cmd == SET and version == 1 and reserved == 0 and hdr_len == n
                   and flags & NLM_F_REQUEST and not flags & NLM_F_DUMP
                   and len(msg) == n)
    return msg, well_formed, cmd


def replies(sock, seq, timeout):
    """Messages answering seq: list of (type, errno or None, extack attrs)."""
    out = []
    end = time.monotonic() + timeout
    while True:
        left = end - time.monotonic()
        if left <= 0 or not select.select([sock], [], [], left)[0]:
            return out
        data = sock.recv(65536)
        off = 0
        while off + 16 <= len(data):
            n, t, f, s, _ = struct.unpack("=IHHII", data[off:off + 16])
            m = data[off:off + max(n, 16)]
            off += max((n + 3) & ~3, 16)
            if s != seq:
                continue
            if t == NLMSG_ERROR:
                err = -struct.unpack("=i", m[16:20])[0]
                tlv = nl.parse_attrs(m[36:]) if f & nl.NLM_F_ACK_TLVS else {}
                out.append((t, err, tlv))
                return out
            out.append((t, None, {}))
            if t == nl.NLMSG_DONE:
                return out
        timeout = 0.05
        end = time.monotonic() + timeout


def worker(idx):
    if _libc.unshare(CLONE_NEWNET) != 0:
        return {"error": "unshare"}
    r = random.Random(SEED * 1000 + idx)
    g = Genl()
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, nl.NETLINK_GENERIC)
    sock.setsockopt(nl.SOL_NETLINK, nl.NETLINK_EXT_ACK, 1)
    sock.setsockopt(nl.SOL_NETLINK, nl.NETLINK_CAP_ACK, 1)
    sock.bind((0, 0))
    st = {"sent": 0, "rejected": 0, "accepted": 0, "silent": 0, "changed": 0,
          "no_extack": 0, "bad": [], "start": time.monotonic()}

    def policy():
        replies_, _ = g.raw(g.id, GET)
        return replies_[0]

    pol = policy()
    for seq in range(1, MESSAGES + 1):
        msg, wf, cmd = message(r, g.id, seq)
        try:
            sock.send(msg)
        except OSError as e:
            st["rejected"] += 1                           # refused at send
            st.setdefault("send_errno", {}).setdefault(str(e.errno), 0)
            st["send_errno"][str(e.errno)] += 1
            continue
        st["sent"] += 1
        # generic netlink answers inside send(): replies are queued already
        rep = replies(sock, seq, 0.02)
        err = next((e for t, e, _ in rep if t == NLMSG_ERROR), None)
        if err:
            st["rejected"] += 1
            tlv = next(x for t, e, x in rep if t == NLMSG_ERROR)
            if wf and err in (22, 34) and not (nl.NLMSGERR_ATTR_MSG in tlv or
                                               nl.NLMSGERR_ATTR_OFFS in tlv or
                                               nl.NLMSGERR_ATTR_MISS_TYPE in tlv):
                st["no_extack"] += 1
                if len(st["bad"]) < 5:
                    st["bad"].append(f"no extack: errno {err}, msg {msg.hex()}")
        elif rep:
            st["accepted"] += 1
        else:
            st["silent"] += 1
        now = policy()
        if now != pol:
            if err or cmd != SET:
                if len(st["bad"]) < 5:
                    st["bad"].append(f"policy changed by a rejected or non-set message "
                                     f"(errno {err}, cmd {cmd}): {msg.hex()}")
                st["changed_on_reject"] = st.get("changed_on_reject", 0) + 1
            st["changed"] += 1
            pol = now
    st["end"] = time.monotonic()       # CLOCK_MONOTONIC: one clock for all workers
    return st


if loaded():
    unload()
load()
diag(f"seed {SEED}, {WORKERS} workers x {MESSAGES} messages")
sh("mount -t debugfs none /sys/kernel/debug 2>/dev/null || true", check=False)
kml = os.path.exists("/sys/kernel/debug/kmemleak")
if kml:
    open("/sys/kernel/debug/kmemleak", "w").write("clear")

t0 = time.monotonic()
pipes = []
for i in range(WORKERS):
    rd, wr = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rd)
        try:
            res = worker(i)
        except Exception as e:
            res = {"error": repr(e)}
        os.write(wr, json.dumps(res).encode())
        os._exit(0)
    os.close(wr)
    pipes.append((pid, rd))
results = []
for pid, rd in pipes:
    data = b""
    while True:
        c = os.read(rd, 65536)
        if not c:
            break
        data += c
    os.waitpid(pid, 0)
    results.append(json.loads(data) if data else {"error": "no result"})
elapsed = time.monotonic() - t0

total = {k: sum(x.get(k, 0) for x in results) for k in
         ("sent", "rejected", "accepted", "silent", "changed", "no_extack",
          "changed_on_reject")}
diag(f"{elapsed:.0f} s: {json.dumps(total)}")
for x in results:
    for b in x.get("bad", []):
        diag(b)
ok(not any("error" in x for x in results), "every worker ran to the end",
   f"{[x.get('error') for x in results]}")
# Every message gets one verdict: refused by send() or by the reply
# ("rejected"), accepted, or no reply ("silent"); nearly all are sent. The
# workers' runs overlap: the last one started before the first one ended.
spans = [(x["start"], x["end"]) for x in results if "end" in x]
ok(total["rejected"] + total["accepted"] + total["silent"] == WORKERS * MESSAGES
   and total["sent"] >= WORKERS * MESSAGES * 0.9
   and len(spans) == WORKERS and max(a for a, _ in spans) < min(b for _, b in spans),
   f"{WORKERS * MESSAGES} messages sent from {WORKERS} processes at once",
   f"{total}, worker spans {[(round(a - t0, 1), round(b - t0, 1)) for a, b in spans]}")
ok(total["rejected"] >= WORKERS * MESSAGES // 4 and total["accepted"] > 0,
   "most messages rejected, some valid ones accepted", f"{total}")
ok(total["changed_on_reject"] == 0,
   "policy byte-for-byte unchanged after every rejected message", f"{total}")
ok(total["no_extack"] == 0,
   "every rejected well-formed set-policy carries an extended ACK", f"{total}")
g = Genl()
ok(len(g.do(GET)) == 1, "the family still answers")
if kml:
    for _ in range(2):
        open("/sys/kernel/debug/kmemleak", "w").write("scan")
        time.sleep(1)
    leaks = open("/sys/kernel/debug/kmemleak").read()
    ok(leaks.strip() == "", "kmemleak: no leak", leaks[:2000])
unload()
done()
