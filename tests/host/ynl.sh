#!/bin/bash
# The YNL spec (tools/ynl/twctl.yaml) against the kernel's genetlink-c schema,
# and against the UAPI header: every command, attribute and constant the
# spec names must exist in the header with the value the spec implies
# (checked by the C compiler on the real header), and vice versa.
# One TAP line per check, the plan "1..N" last (tests/lib/tap.sh); exit
# status 1 if any failed.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source-path=SCRIPTDIR/../.. source=tests/lib/kernels.sh disable=SC1091
. "$repo/tests/lib/kernels.sh"
# shellcheck source-path=SCRIPTDIR/../.. source=tests/lib/tap.sh disable=SC1091
. "$repo/tests/lib/tap.sh"
ynl=$TWCTL_CACHE/ynl
if [ ! -f "$ynl/Documentation/netlink/genetlink-c.yaml" ]; then
	mkdir -p "$ynl"
	tar -xJf /usr/src/linux-source-6.12.tar.xz -C "$ynl" --strip-components=1 \
		linux-source-6.12/tools/net/ynl linux-source-6.12/Documentation/netlink
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The embedded checker prints its own TAP lines.
tap_run /usr/bin/python3 - "$repo/tools/ynl/twctl.yaml" \
	"$ynl/Documentation/netlink/genetlink-c.yaml" "$tmp/check.c" <<'PY'
import sys, yaml, jsonschema
spec_path, schema_path, out = sys.argv[1:]
spec = yaml.safe_load(open(spec_path))
try:
    jsonschema.Draft7Validator(yaml.safe_load(open(schema_path))).validate(spec)
    print("ok - YNL spec validates against the kernel's genetlink-c schema")
except jsonschema.ValidationError as e:
    print(f"not ok - YNL spec validates against the kernel's genetlink-c schema  # {e.message}")
C = lambda s: s.upper().replace("-", "_")
asserts, consts = [], {}
for d in spec.get("definitions", []):
    if d["type"] == "const":
        consts[d["name"]] = d["value"]
        asserts.append((f"TWCTL_{C(d['name'])}", d["value"]))
    elif d["type"] == "enum":
        for i, e in enumerate(d["entries"]):
            e = e["name"] if isinstance(e, dict) else e
            asserts.append((C(d["name-prefix"] + e), d.get("value-start", 0) + i))
for aset in spec["attribute-sets"]:
    v = 0
    for a in aset["attributes"]:
        v = a.get("value", v + 1)
        asserts.append((C(aset["name-prefix"] + a["name"]), v))
        for k in ("min", "max"):
            lim = a.get("checks", {}).get(k)
            if isinstance(lim, str) and lim not in consts:
                print(f"not ok - check {k} of {a['name']} names an unknown const {lim}")
    asserts.append((C(aset["attr-max-name"]), v))
v = 0
for op in spec["operations"]["list"]:
    v = op.get("value", v + 1)
    asserts.append((C(spec["operations"]["name-prefix"] + op["name"]), v))
asserts.append((C(spec["cmd-max-name"]), v))
with open(out, "w") as f:
    f.write("#include <linux/twctl.h>\n")
    f.write(f'_Static_assert(sizeof(TWCTL_GENL_NAME) == sizeof("{spec["name"]}"), "family name");\n')
    for name, val in asserts:
        f.write(f'_Static_assert({name} == {val}, "{name} is {val} in the spec");\n')
print(f"# {len(asserts)} names compared")
# ... and the other way: every TWCTL_ name in the header is in the spec.
sys.path.insert(0, spec_path.rsplit("/tools/", 1)[0] + "/tests/vm")
import nl
hdr = nl.uapi(spec_path.rsplit("/tools/", 1)[0] + "/module/uapi/linux/twctl.h")
known = {n for n, _ in asserts} | {"TWCTL_GENL_VERSION"}
extra = sorted(n for n in hdr if not n.startswith("__") and not n.endswith("_UNSPEC")
              and n not in known)
print(("ok" if not extra else "not ok") + " - every name of the UAPI header is in the YNL spec"
      + (f"  # missing: {' '.join(extra)}" if extra else ""))
PY
out=$(gcc -std=c11 -fsyntax-only -I"$repo/module/uapi" "$tmp/check.c" 2>&1)
tap_check "YNL spec and UAPI header agree on every name and number" $? \
	"$(printf '%s\n' "$out" | grep -E 'error' | head -n 10)"

tap_done
