"""nl_set.py MSL: print 'get N', then set msl through netlink and print the
result; exit 1 with the error when refused. For permission tests."""
import sys

import nl
from nl import Genl, NlError, nest, u32

U = nl.uapi()
g = Genl()
A_POLICY, A_MSL = U["TWCTL_A_POLICY"], U["TWCTL_A_POLICY_MSL_MS"]


def get():
    r = g.do(U["TWCTL_CMD_GET_POLICY"])[0]
    return int.from_bytes(nl.parse_attrs(r[A_POLICY])[A_MSL], "little")


print(f"get {get()}")
try:
    g.do(U["TWCTL_CMD_SET_POLICY"], nest(A_POLICY, u32(A_MSL, int(sys.argv[1]))))
except NlError as e:
    print(f"set refused: {e}")
    sys.exit(1)
print(f"get {get()}")
