#!/bin/bash
# Host checks of the twctl tool (tools/): it builds warning-free, its unit
# tests pass under ASan/UBSan, it behaves without the module (exit 3) and on
# bad command lines (exit 1), --help and twctl.8 list the same options,
# commands and knobs, the man page renders without warnings, the bash
# completion completes, `make install` lays out its files, and the v99
# variant (for tests/vm/test_tool.py) builds.
# One TAP line per check ("ok - ..." / "not ok - ..."), its sub-commands'
# counted in; other lines are diagnostics; the plan "1..N" last
# (tests/lib/tap.sh). Exit status: 1 if any check failed.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source-path=SCRIPTDIR/../.. source=tests/lib/tap.sh disable=SC1091
. "$repo/tests/lib/tap.sh"
tools=$repo/tools
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# t NAME STATUS [OUTPUT]: one TAP line; on failure OUTPUT as diagnostics.
t() { tap_check "tool: $1" "$2" "${3:-}"; }

out=$(make -s -C "$tools" WERROR=1 2>&1)
t "builds with -Wall -Wextra -Werror (C11, libmnl)" $? "$out"
[ -x "$tools/twctl" ] || tap_stop "tool: no tools/twctl: nothing else to check"

# Unit tests and the sanitized smoke run print their own TAP lines.
tap_run -n "tool: unit tests and smoke run pass under ASan/UBSan (make -C tools test)" \
	make -s -C "$tools" WERROR=1 test

tap_run env TWCTL="$tools/twctl" TWCTL_LABEL="tool (release build)" \
	sh "$tools/tests/smoke.sh"

# --- the man page ------------------------------------------------------------
out=$(MANWIDTH=80 man --warnings -l "$tools/twctl.8" 2>&1 >/dev/null)
[ -z "$out" ]
t "twctl.8 renders without warnings (man --warnings)" $? "$out"
out=$(groff -man -Tutf8 -ww -z "$tools/twctl.8" 2>&1)
[ -z "$out" ]
t "twctl.8 renders without warnings (groff -ww)" $? "$out"

# --help and twctl.8 list the same options, commands and knobs: the .TP
# tags of OPTIONS, COMMANDS and KNOBS against the entries of the help's
# "Options:", "Commands:" and "Knobs" sections; SYNOPSIS names them all;
# STATISTICS describes the counters of the table in fields.c.
"$tools/twctl" --help >"$tmp/help"
tap_run python3 - "$tools/twctl.8" "$tmp/help" "$tools/fields.c" <<'PY'
import re
import sys

man_lines = open(sys.argv[1]).read().splitlines()
help_lines = open(sys.argv[2]).read().splitlines()


def args_of(rest):
    """troff macro arguments: blank-separated, "double quoted" groups."""
    return [a[1:-1] if a.startswith('"') else a
            for a in re.findall(r'"[^"]*"|\S+', rest)]


def render(line):
    """Text of a font macro line (.B, .BI, .BR, ...)."""
    macro, _, rest = line.partition(" ")
    args = args_of(rest)
    text = " ".join(args) if macro in (".B", ".I") else "".join(args)
    text = re.sub(r"\\f[BIRP]", "", text)
    for esc, rep in ((r"\-", "-"), (r"\|", ""), (r"\&", ""), (r"\ ", " ")):
        text = text.replace(esc, rep)
    return " ".join(text.split())


man = {}
synopsis = []
section = None
for i, line in enumerate(man_lines):
    if line.startswith(".SH "):
        section = line[4:].strip('"')
    elif section == "SYNOPSIS" and line.startswith("."):
        synopsis.append(render(line))
    elif line == ".TP" and i + 1 < len(man_lines):
        man.setdefault(section, []).append(render(man_lines[i + 1]))

helps = {}
section = None
for line in help_lines:
    m = re.match(r"^(Options|Commands|Knobs)\b.*:$", line)
    if m:
        section = m.group(1)
    elif not line:
        section = None
    elif section and re.match(r"^  \S", line):
        left = re.split(r"\s{2,}", line.strip())
        entry = " ".join(left[:2]) if section == "Knobs" else left[0]
        helps.setdefault(section, []).append(" ".join(entry.split()))

status = 0
for name, man_sec, help_sec in (("options", "OPTIONS", "Options"),
                                ("commands", "COMMANDS", "Commands"),
                                ("knobs", "KNOBS", "Knobs")):
    a, b = man.get(man_sec, []), helps.get(help_sec, [])
    same = sorted(a) == sorted(b) and a
    print(f"{'ok' if same else 'not ok'} - tool: --help and twctl.8 list the same {name}")
    if not same:
        print(f"# twctl.8 {man_sec}: {a}")
        print(f"# --help {help_sec}: {b}")
        status = 1

words = " ".join(synopsis).replace("[", " ").replace("]", " ").split()
missing = [o.split(",")[0] for o in helps.get("Options", [])
           if o.split(",")[0] not in words]
missing += [c.split()[0] for c in helps.get("Commands", [])
            if c.split()[0] not in words]
print(f"{'not ok' if missing else 'ok'} - tool: twctl.8 SYNOPSIS names every option and command")
if missing:
    print(f"# not in SYNOPSIS: {missing}")
    status = 1

counters = re.findall(r'(?:COUNTER|GAUGE)\("(\w+)"', open(sys.argv[3]).read())
documented = man.get("STATISTICS", [])
same = counters and sorted(counters) == sorted(documented)
print(f"{'ok' if same else 'not ok'} - tool: twctl.8 STATISTICS describes every counter of fields.c")
if not same:
    print(f"# fields.c: {counters}")
    print(f"# twctl.8 STATISTICS: {documented}")
    status = 1
sys.exit(status)
PY

# The docs' examples of exit statuses are what the tool does: a value the
# tool checks itself is its own usage error (exit 1, quoted as printed), and
# an example of the kernel refusing such a value sets TWCTL_NO_CLIENT_CHECKS=1
# (the kernel never sees it otherwise).
err=$("$tools/twctl" set msl 700000ms 2>&1 >/dev/null | head -n 1)
rc=${PIPESTATUS[0]}
docs_ok=0
[ "$rc" = 1 ] || { echo "# twctl set msl 700000ms: exit $rc, want 1"; docs_ok=1; }
for doc in "$repo/README.md" "$tools/twctl.8"; do
	tr '\n' ' ' <"$doc" | sed 's/`/ /g; s/  */ /g' | grep -qF -- "$err" ||
		{ echo "# ${doc#"$repo"/} does not quote the tool's own refusal: $err"; docs_ok=1; }
	out=$(awk -v last=-99 '/TWCTL_NO_CLIENT_CHECKS=1/ { last = NR }
		/kernel refused msl 700000ms/ && NR - last > 3 { print NR ": " $0 }' "$doc")
	[ -z "$out" ] ||
		{ echo "# ${doc#"$repo"/} shows the kernel refusing 700000ms without TWCTL_NO_CLIENT_CHECKS=1: $out"; docs_ok=1; }
done
t "README and twctl.8: set msl 700000ms is the tool's own refusal (exit 1), as printed" $docs_ok

# docs/twctl.schema.json is a valid JSON Schema and lists exactly the keys
# of the tables in fields.c (tests/vm/test_tool.py validates real output).
tap_run python3 - "$repo/docs/twctl.schema.json" "$tools/fields.c" <<'PY'
import json
import re
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
src = open(sys.argv[2]).read()
try:
    jsonschema.Draft202012Validator.check_schema(schema)
    print("ok - tool: docs/twctl.schema.json is a valid JSON Schema (2020-12)")
except jsonschema.SchemaError as e:
    print(f"not ok - tool: docs/twctl.schema.json is a valid JSON Schema (2020-12)\n# {e}")
policy = src[src.index("policy_fields[]"):src.index("stats_fields[]")]
keys = re.findall(r'\.key = "(\w+)"', policy) + re.findall(r'\.derived_key = "(\w+)"', policy)
keys += [k for pair in re.findall(r'CLASS_MSL\("[\w-]+", "(\w+)",\s*\w+, "(\w+)"', policy)
         for k in pair]
want_show = {"schema_version", "netns", *keys}
want_stats = {"schema_version", "netns", "module", "closes", "transitions", "lifetime_ms",
              *re.findall(r'COUNTER\("(\w+)"', src)}
want_module = set(re.findall(r'GAUGE\("(\w+)"', src))
d = schema["$defs"]
got = (set(d["show"]["required"]), set(d["stats"]["required"]),
       set(d["stats"]["properties"]["module"]["required"]))
same = got == (want_show, want_stats, want_module) and \
    set(d["show"]["properties"]) == want_show and set(d["stats"]["properties"]) == want_stats
print(f"{'ok' if same else 'not ok'} - tool: the schema's keys are those of fields.c's tables")
if not same:
    print(f"# schema {got}\n# fields.c {(want_show, want_stats, want_module)}")
sys.exit(0 if same else 1)
PY

# twctl metrics: the unit test's sample (every family, two namespaces, a
# label needing escapes) passes promtool's checks of the text format.
if command -v promtool >/dev/null; then
	out=$(TWCTL_METRICS_SAMPLE="$tmp/metrics.prom" "$tools/.obj-san/test_metrics" 2>&1 &&
	      promtool check metrics <"$tmp/metrics.prom" 2>&1)
	t "metrics: promtool check metrics accepts the Prometheus text output" $? "$out"
else
	t "metrics: promtool (Debian package prometheus) installed" 1
fi
# --- batches: -force, namespaces checked first (no module needed) ------------
printf 'show\n-n twctl-no-such-ns set msl 1s\n' >"$tmp/b1"
out=$("$tools/twctl" -b "$tmp/b1" 2>&1)
rc=$?
[ $rc = 1 ] && [ "$out" = "twctl: $tmp/b1:2: network namespace \"twctl-no-such-ns\" does not exist (/run/netns/twctl-no-such-ns): No such file or directory" ]
t "-b: the check pass refuses a namespace that does not exist (exit 1, FILE:LINE, nothing run)" $? "exit $rc: $out"
out=$("$tools/twctl" -n /nonexistent/ns show 2>&1)
rc=$?
[ $rc = 1 ] && [ "$out" = "twctl: cannot open network namespace /nonexistent/ns: No such file or directory" ]
t "-n PATH: a path is opened as it is" $? "exit $rc: $out"
printf 'set msl abc\nshow\n# comment\n\nset foo 1\n-n twctl-no-such-ns show\n' >"$tmp/b2"
out=$("$tools/twctl" -force -b "$tmp/b2" 2>&1)
rc=$?
want="twctl: $tmp/b2:1: bad value for msl: \"abc\": not a number
twctl: $tmp/b2:5: set: unknown knob \"foo\"
twctl: $tmp/b2:6: network namespace \"twctl-no-such-ns\" does not exist (/run/netns/twctl-no-such-ns): No such file or directory
twctl: $tmp/b2:2: the twctl kernel module is not loaded (no generic netlink family \"twctl\")"
[ $rc = 1 ] && [ "$(printf '%s\n' "$out" | grep -v 'load it with')" = "$want" ]
t "-force -b: every failing line reported as FILE:LINE, the rest run, exit status of the first failure" $? "exit $rc: $out"
out=$("$tools/twctl" -force show 2>&1)
[ $? = 1 ]
t "-force without -b is a usage error" $? "$out"

# --- bash completion ---------------------------------------------------------
mkdir -p "$tmp/netns"
touch "$tmp/netns/web1" "$tmp/netns/db"
# complete WORDS...: what the completion offers for the last word.
complete_words() {
	PATH=$tools:$PATH bash -c '
		. "$1"; shift
		_twctl_netns_dir=$NSDIR
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_twctl
		echo "${COMPREPLY[*]}"' _ "$tools/completion/twctl.bash" "$@"
}
export NSDIR=$tmp/netns
comp_ok=0
comp() {	# comp "WANT" WORDS...
	local want=$1 got
	shift
	got=$(complete_words "$@")
	if [ "$got" != "$want" ]; then
		echo "# completing [$*]: got '$got', want '$want'"
		comp_ok=1
	fi
}
comp "show set stats monitor metrics showconf help" twctl ""
comp "show set stats showconf" twctl s
comp "--netns" twctl --n
comp "--pretty" twctl -j --p
comp "-n --netns -j --json -p --pretty -b --batch -f --force -V --version -h --help" twctl -
comp "db web1" twctl -n ""
comp "web1" twctl --netns = w
comp "$NSDIR/web1" twctl -n "$NSDIR/w"
comp "stats" twctl -n web1 -j st
comp "msl reuse reuse-delay msl-loopback msl-local msl-remote local-rtt rto-floor" twctl set ""
comp "" twctl set msl ""
comp "reuse reuse-delay msl-loopback msl-local msl-remote local-rtt rto-floor" twctl set msl 2s ""
comp "inherit off loopback always" twctl set reuse ""
comp "loopback" twctl set msl 1s reuse lo
comp "reset" twctl stats ""
comp "all" twctl metrics ""
comp "" twctl show ""
t "bash completion: options, commands, netns names and paths, knobs, stats reset, metrics all" $comp_ok
if command -v shellcheck >/dev/null; then
	out=$(shellcheck -s bash "$tools/completion/twctl.bash" 2>&1 &&
	      shellcheck -x "$tools/tests/smoke.sh" "$0" "$repo/tests/lib/tap.sh" 2>&1)
	t "completion and test scripts pass shellcheck" $? "$out"
fi

# --- install layout ----------------------------------------------------------
out=$(make -s -C "$tools" install DESTDIR="$tmp/root" PREFIX=/usr/local 2>&1) &&
	[ -x "$tmp/root/usr/local/sbin/twctl" ] &&
	[ -f "$tmp/root/usr/local/share/man/man8/twctl.8" ] &&
	[ -f "$tmp/root/usr/local/share/bash-completion/completions/twctl" ] &&
	"$tmp/root/usr/local/sbin/twctl" --help >/dev/null
t "make install DESTDIR PREFIX: sbin/twctl, man8/twctl.8, bash completion" $? "$out"

# --- the v99 variant (tests/vm/test_tool.py runs it against a v1 module) ----
out=$(make -s -C "$tools" variant-v99 2>&1) &&
	"$tools/twctl-v99" -V | grep -q '^twctl .* (netlink v99)$' &&
	"$tools/twctl" -V | grep -q '^twctl .* (netlink v1)$'
t "make variant-v99 builds tools/twctl-v99 speaking netlink v99 (twctl stays v1)" $? "$out"

tap_done
