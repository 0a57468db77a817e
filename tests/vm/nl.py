"""A small generic netlink client for tests: resolves a family, sends
requests built from raw attributes, and returns replies or the error with
its extended ACK (message, offending attribute offset, policy)."""
import os
import socket
import struct

NETLINK_GENERIC = 16
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, CTRL_ATTR_VERSION = 1, 2, 3
CTRL_ATTR_MCAST_GROUPS = 7
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x4, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_ACK_TLVS = 0x200
SOL_NETLINK = 270
NETLINK_CAP_ACK, NETLINK_EXT_ACK = 10, 11
NETLINK_ADD_MEMBERSHIP = 1
NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS, NLMSGERR_ATTR_POLICY = 1, 2, 4
NLMSGERR_ATTR_MISS_TYPE = 5
NLA_F_NESTED = 0x8000
# enum netlink_policy_type_attr
NL_POLICY_TYPE_ATTR_MIN_VALUE_U, NL_POLICY_TYPE_ATTR_MAX_VALUE_U = 4, 5


def attr(atype, payload):
    """One netlink attribute (payload bytes), padded to 4."""
    n = 4 + len(payload)
    return struct.pack("=HH", n, atype) + payload + b"\0" * ((4 - n % 4) % 4)


def u32(atype, v):
    return attr(atype, struct.pack("=I", v))


def nest(atype, *children):
    return attr(atype | NLA_F_NESTED, b"".join(children))


def parse_attrs(buf):
    out = {}
    while len(buf) >= 4:
        n, t = struct.unpack("=HH", buf[:4])
        if n < 4:
            break
        out[t & 0x3FFF] = buf[4:n]
        buf = buf[(n + 3) & ~3:]
    return out


class NlError(OSError):
    def __init__(self, err, msg=None, offs=None, policy=None, miss=None):
        super().__init__(err, os.strerror(err) + (f": {msg}" if msg else ""))
        self.msg, self.offs, self.policy, self.miss = msg, offs, policy, miss


class Genl:
    def __init__(self, family="twctl"):
        self.s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.s.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.s.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        self.s.bind((0, 0))
        self.seq = 1
        self.family = family
        a = self.request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                         attr(CTRL_ATTR_FAMILY_NAME, family.encode() + b"\0"))[0]
        self.id = struct.unpack("=H", a[CTRL_ATTR_FAMILY_ID][:2])[0]
        self.version = struct.unpack("=I", a[CTRL_ATTR_VERSION])[0]
        self.groups = {}
        for g in parse_attrs(a.get(CTRL_ATTR_MCAST_GROUPS, b"")).values():
            g = parse_attrs(g)
            self.groups[g[1].rstrip(b"\0").decode()] = struct.unpack("=I", g[2])[0]

    def subscribe(self, group):
        """Join a multicast group on a separate socket; returns it."""
        s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        s.bind((0, 0))
        s.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, self.groups[group])
        return s

    def close(self):
        self.s.close()

    def raw(self, msg_type, cmd, payload=b"", flags=NLM_F_REQUEST | NLM_F_ACK,
            version=1, reserved=0):
        """Send one message; return (list of reply payloads, request bytes)."""
        self.seq += 1
        body = struct.pack("=BBH", cmd, version, reserved) + payload
        hdr = struct.pack("=IHHII", 16 + len(body), msg_type, flags, self.seq, 0)
        req = hdr + body
        self.s.send(req)
        replies = []
        while True:
            data = self.s.recv(65536)
            off = 0
            while off + 16 <= len(data):
                n, t, f, seq, _ = struct.unpack("=IHHII", data[off:off + 16])
                m = data[off:off + n]
                off += (n + 3) & ~3
                if seq != self.seq:
                    continue
                if t == NLMSG_ERROR:
                    err = -struct.unpack("=i", m[16:20])[0]
                    if err == 0:
                        return replies, req
                    self._raise(err, m, f)
                if t == NLMSG_DONE:
                    return replies, req
                replies.append(m[16 + 4:])
                if not flags & NLM_F_ACK and not flags & NLM_F_DUMP:
                    return replies, req

    def _raise(self, err, m, flags):
        msg = offs = policy = miss = None
        if flags & NLM_F_ACK_TLVS:
            # with NETLINK_CAP_ACK the original message is not echoed back:
            # only its 16-byte header follows the error code.
            tlvs = parse_attrs(m[20 + 16:])
            if NLMSGERR_ATTR_MSG in tlvs:
                msg = tlvs[NLMSGERR_ATTR_MSG].rstrip(b"\0").decode()
            if NLMSGERR_ATTR_OFFS in tlvs:
                offs = struct.unpack("=I", tlvs[NLMSGERR_ATTR_OFFS])[0]
            if NLMSGERR_ATTR_POLICY in tlvs:
                p = parse_attrs(tlvs[NLMSGERR_ATTR_POLICY])
                policy = {k: int.from_bytes(v, "little") for k, v in p.items()}
            if NLMSGERR_ATTR_MISS_TYPE in tlvs:
                miss = struct.unpack("=I", tlvs[NLMSGERR_ATTR_MISS_TYPE])[0]
        raise NlError(err, msg, offs, policy, miss)

    def request(self, msg_type, cmd, payload=b"", **kw):
        replies, _ = self.raw(msg_type, cmd, payload, **kw)
        return [parse_attrs(r) for r in replies]

    def do(self, cmd, payload=b"", **kw):
        return self.request(self.id, cmd, payload, **kw)


def uapi(path=None):
    """Names and values of the #defines and enum members of the UAPI header,
    so tests speak the same numbers as the module and the tool."""
    import re
    if path is None:
        path = os.path.join(os.environ.get("TWCTL_REPO", "."),
                            "module/uapi/linux/twctl.h")
    text = re.sub(r"/\*.*?\*/", "", open(path).read(), flags=re.S)
    vals = {}
    for name, v in re.findall(r"#define\s+(TWCTL_\w+)\s+(\d+)\s*$", text, re.M):
        vals[name] = int(v)
    for body in re.findall(r"enum\s+\w+\s*\{(.*?)\}", text, re.S):
        nxt = 0
        for item in body.split(","):
            item = item.strip()
            if not item:
                continue
            name, _, expr = (x.strip() for x in item.partition("="))
            nxt = eval(expr, {}, dict(vals)) if expr else nxt
            vals[name] = nxt
            nxt += 1
    return vals


def read_events(sock, timeout=0.5):
    """Drain notifications from a subscribed socket: a list of attribute
    dicts of the messages' TWCTL_A_EVENT nests (raises ENOBUFS like recv)."""
    import select
    evs = []
    while select.select([sock], [], [], timeout)[0]:
        data = sock.recv(65536)
        off = 0
        while off + 20 <= len(data):
            n = struct.unpack("=I", data[off:off + 4])[0]
            top = parse_attrs(data[off + 20:off + n])
            off += (n + 3) & ~3
            for a in top.values():
                evs.append(parse_attrs(a))
        timeout = 0.05
    return evs
