"""Generic netlink family: get/set through netlink and sysfs as two views of
one state, strict validation with extack, atomic sets, permissions, netns
scoping, and interoperation with the kernel's own YNL client (cli.py).

Not on the debug kernel in make check (its time): test_fuzz sends thousands
of well-formed and malformed messages through the same code there."""
# not on kernels: debug
import json
import os
import struct

import nl
from nl import Genl, NlError, attr, nest, u32
from twtest import (Netns, done, family_absent, load, loaded, ok, sh, sysfs_read,
                    set_msl, unload)

U = nl.uapi()
A_POLICY, A_MSL = U["TWCTL_A_POLICY"], U["TWCTL_A_POLICY_MSL_MS"]
GET, SET = U["TWCTL_CMD_GET_POLICY"], U["TWCTL_CMD_SET_POLICY"]
GET_STATS, RESET_STATS = U["TWCTL_CMD_GET_STATS"], U["TWCTL_CMD_RESET_STATS"]
YNL = os.environ.get("TWCTL_YNL", "/var/cache/twctl/ynl")
SPEC = os.path.join(os.environ["TWCTL_REPO"], "tools/ynl/twctl.yaml")
here = os.path.dirname(os.path.abspath(__file__))


def msl_nl(g):
    r = g.do(GET)[0]
    return struct.unpack("=I", nl.parse_attrs(r[A_POLICY])[A_MSL])[0]


def set_nl(g, *children):
    return g.do(SET, nest(A_POLICY, *children))


def refused(what, payload, want_errno=None, cmd=SET, **kw):
    """Send a bad request; it must fail, carry an extack where the kernel
    gives one, and leave the policy byte-for-byte unchanged."""
    before = sysfs_read("msl_ms")
    try:
        g.do(cmd, payload, **kw)
        ok(False, f"refused: {what}", "the kernel accepted it")
        return None
    except NlError as e:
        good = want_errno is None or e.errno == want_errno
        ok(good and sysfs_read("msl_ms") == before,
           f"refused: {what} ({os.strerror(e.errno)}; extack: {e.msg})",
           f"errno {e.errno}, value now {sysfs_read('msl_ms')}")
        return e


if loaded():
    unload()
absent, why = family_absent()
ok(absent, "no family before the module is loaded (CTRL_CMD_GETFAMILY: ENOENT)", why)
load()
g = Genl()
ok(g.version == U["TWCTL_GENL_VERSION"], f"family version {g.version}")
r = g.do(GET)[0]
ok(struct.unpack("=I", r[U["TWCTL_A_VERSION"]])[0] == U["TWCTL_GENL_VERSION"]
   and r[U["TWCTL_A_MODULE_VERSION"]].rstrip(b"\0").decode() == sysfs_read("version"),
   "get-policy carries family and module versions")
ok(msl_nl(g) == 30000, "get-policy: default msl 30000")

# --- two views of one state -------------------------------------------------
set_nl(g, u32(A_MSL, 1234))
ok(sysfs_read("msl_ms") == "1234", "set through netlink, read through sysfs")
set_msl(4321)
ok(msl_nl(g) == 4321, "set through sysfs, read through netlink")

# --- strict validation, extack, nothing half-applied ------------------------
e = refused("msl 0 (below range)", nest(A_POLICY, u32(A_MSL, 0)), 34)
ok(e is not None and e.offs is not None and e.policy is not None
   and e.policy.get(nl.NL_POLICY_TYPE_ATTR_MIN_VALUE_U) == U["TWCTL_MSL_MIN_MS"]
   and e.policy.get(nl.NL_POLICY_TYPE_ATTR_MAX_VALUE_U) == U["TWCTL_MSL_MAX_MS"],
   "extack points at the attribute and gives the allowed range",
   f"offs {e and e.offs} policy {e and e.policy}")
# the offset names the msl attribute inside the request
if e is not None and e.offs is not None:
    _, req = g.raw(g.id, GET)  # any request: header layout is the same
    hdr = 16 + 4 + 4           # nlmsghdr + genlmsghdr + policy nest header
    ok(e.offs == hdr, "extack offset is the msl attribute's", f"{e.offs} vs {hdr}")
refused("msl 600001 (above range)", nest(A_POLICY, u32(A_MSL, 600001)), 34)
refused("msl as a u16", nest(A_POLICY, attr(A_MSL, struct.pack("=H", 5))))
refused("msl as a u64", nest(A_POLICY, attr(A_MSL, struct.pack("=Q", 5))))
refused("unknown attribute inside the policy nest", nest(A_POLICY, u32(A_MSL, 777), u32(99, 1)))
refused("unknown top-level attribute", nest(A_POLICY, u32(A_MSL, 777)) + u32(77, 1))
refused("a reply-only attribute in a request",
        nest(A_POLICY, u32(A_MSL, 777)) + u32(U["TWCTL_A_VERSION"], 1))
refused("policy not nested", attr(A_POLICY, struct.pack("=I", 777)))
e = refused("no policy attribute", b"", 22)
ok(e is not None and e.miss == A_POLICY, "extack names the missing policy attribute",
   f"{e and e.miss}")
refused("an empty policy nest", nest(A_POLICY), 22)
refused("a valid msl with a bad sibling: nothing applies",
        nest(A_POLICY, u32(A_MSL, 777), attr(A_MSL + 50, b"x")))
refused("trailing garbage after the attributes", nest(A_POLICY, u32(A_MSL, 777)) + b"\x01\x02")
refused("reserved genl header field set", nest(A_POLICY, u32(A_MSL, 777)), reserved=1)
refused("unknown command", b"", cmd=42)
refused("dump of get-policy", b"", 95, cmd=GET, flags=nl.NLM_F_REQUEST | nl.NLM_F_DUMP)
# Commands that take no attribute refuse one instead of ignoring it.
for cname, c in (("get-policy", GET), ("get-stats", U["TWCTL_CMD_GET_STATS"]),
                 ("reset-stats", U["TWCTL_CMD_RESET_STATS"])):
    e = refused(f"{cname} with a policy attribute", nest(A_POLICY, u32(A_MSL, 777)), 22, cmd=c)
    ok(e is not None and "no attributes" in (e.msg or ""),
       f"{cname} with an attribute: the extack says it takes none", f"{e and e.msg}")

# --- stats (empty until instrumentation lands) and reset --------------------
r = g.do(GET_STATS)[0]
ok(U["TWCTL_A_STATS"] in r, "get-stats returns a stats nest")
ok(g.do(RESET_STATS) == [], "reset-stats as root succeeds")

# --- permissions ------------------------------------------------------------
helper = os.path.join(here, "nl_set.py")
def run_as(prefix, msl):
    return sh(f"{prefix} python3 {helper} {msl}", check=False)
set_msl(800)
r = run_as("setpriv --reuid 65534 --regid 65534 --clear-groups", 100)
ok(r.returncode == 1 and "Operation not permitted" in r.stdout and
   "get 800" in r.stdout and sysfs_read("msl_ms") == "800",
   "unprivileged: get works, set is refused with EPERM", r.stdout + r.stderr)
r = run_as("setpriv --bounding-set -net_admin --inh-caps -net_admin", 100)
ok(r.returncode == 1 and "Operation not permitted" in r.stdout and sysfs_read("msl_ms") == "800",
   "root without CAP_NET_ADMIN: set refused", r.stdout + r.stderr)
r = run_as("unshare -U -r", 100)
ok(r.returncode == 1 and "Operation not permitted" in r.stdout and sysfs_read("msl_ms") == "800",
   "root of a child user namespace cannot set init_net", r.stdout + r.stderr)
r = run_as("unshare -U -r -n", 100)
ok(r.returncode == 0 and "get 100" in r.stdout and sysfs_read("msl_ms") == "800",
   "root of a user namespace sets the netns it owns, not init_net", r.stdout + r.stderr)

# --- netns scoping ----------------------------------------------------------
ns = Netns("twnl")
with ns:
    gn = Genl()
    set_nl(gn, u32(A_MSL, 555))
    ok(msl_nl(gn) == 555 and sysfs_read("msl_ms") == "555", "a socket in netns sets that netns")
    gn.close()
ok(sysfs_read("msl_ms") == "800" and msl_nl(g) == 800, "init_net unchanged by the netns's set")
ns.delete()

# --- the kernel's YNL client --------------------------------------------------
cli = (f"python3 {YNL}/tools/net/ynl/cli.py --spec {SPEC} "
       f"--schema {YNL}/Documentation/netlink/genetlink-c.yaml")
r = sh(f"{cli} --do get-policy --output-json", check=False)
if r.returncode != 0 or not r.stdout.strip().startswith("{"):
    r = sh(f"{cli} --do get-policy", check=False)
out = r.stdout.replace("'", '"')
try:
    j = json.loads(out)
except ValueError:
    j = {}
ok(j.get("policy", {}).get("msl-ms") == 800 and j.get("version") == U["TWCTL_GENL_VERSION"],
   "ynl cli.py --do get-policy", r.stdout + r.stderr[-500:])
r = sh(cli + " --do set-policy --json '{\"policy\": {\"msl-ms\": 2500}}'", check=False)
ok(r.returncode == 0 and sysfs_read("msl_ms") == "2500", "ynl cli.py --do set-policy",
   r.stdout + r.stderr[-500:])
r = sh(cli + " --do set-policy --json '{\"policy\": {\"msl-ms\": 700000}}'", check=False)
ok("out of range" in (r.stdout + r.stderr) and sysfs_read("msl_ms") == "2500",
   "ynl cli.py shows the kernel's extack for an out-of-range msl", (r.stdout + r.stderr)[-300:])
g.close()
unload()
done()
