#!/bin/sh
# Runs the twctl binary $TWCTL through what needs no module: help, version,
# usage errors (exit 1, nothing sent), and "module not loaded" (exit 3).
# One TAP line per check, named "$TWCTL_LABEL: ...".
here=$(cd "$(dirname "$0")" && pwd)
tw=${TWCTL:-$here/../twctl}
label=${TWCTL_LABEL:-smoke}
version=$(sh "$here/../../scripts/version.sh")
out=$(mktemp) err=$(mktemp) help=$(mktemp) batch=$(mktemp)
trap 'rm -f "$out" "$err" "$help" "$batch"' EXIT
failed=0 rc=0

# t NAME STATUS: one TAP line; on failure, what the tool printed.
t() {
	if [ "$2" = 0 ]; then
		echo "ok - $label: $1"
	else
		echo "not ok - $label: $1"
		sed 's/^/# stdout: /' "$out" | head -n 5
		sed 's/^/# stderr: /' "$err" | head -n 5
		failed=1
	fi
}

tw() { "$tw" "$@" >"$out" 2>"$err"; rc=$?; }
has() { grep -q -e "$2" "$1"; }
empty() { ! [ -s "$1" ]; }

tw --help
[ $rc = 0 ] && has "$out" "^Usage: twctl " && empty "$err"
t "--help exits 0 with the usage" $?
cp "$out" "$help"
tw help
[ $rc = 0 ] && cmp -s "$out" "$help"
t "help prints the same as --help" $?
tw -h show
[ $rc = 0 ] && cmp -s "$out" "$help"
t "-h prints the same as --help" $?

for args in --help -V "-j -V"; do
	# shellcheck disable=SC2086	# split the options into words
	"$tw" $args >/dev/full 2>"$err"
	rc=$?
	: >"$out"
	[ $rc = 4 ] && has "$err" "^twctl: cannot write the output: No space left on device$"
	t "twctl $args >/dev/full: exit 4, says it cannot write the output" $?
done

tw -V
[ $rc = 0 ] && [ "$(head -n 1 "$out")" = "twctl $version (netlink v1)" ]
t "-V names the tool version" $?

bad() {	# bad EXPECTED-STDERR ARGS...
	want=$1
	shift
	shown=
	for a in "$@"; do shown="$shown ${a:-\"\"}"; done
	tw "$@"
	[ $rc = 1 ] && empty "$out" && has "$err" "$want"
	t "bad command line exits 1: twctl${shown:- (no arguments)}" $?
}
bad "no command given"
bad "unknown command" frob
bad "unknown option" -x show
bad "needs NETNS" -n
bad "unexpected argument" show now
bad "unexpected argument" stats zero
bad "no knob given (knobs: msl reuse reuse-delay msl-loopback msl-local msl-remote local-rtt rto-floor)$" set
bad "needs a value" set msl
bad "unknown knob" set tw 1
bad "given twice" set msl 1 msl 2
bad "empty value" set msl ""
bad "not a number" set msl abc
bad "negative" set msl -5
bad "number too large" set msl 99999999999999999999
bad "not a whole number of milliseconds" set msl 1.5ms
bad "unknown unit \"d\" (use us, ms, s, m, min or h)" set msl 2d
bad "\"2h\": out of range" set msl 2h
bad "hexadecimal is not accepted" set msl 0x10
bad "out of range (allowed 1..600000 ms)" set msl 700000
bad "out of range" set msl 0
bad 'cannot open network namespace "twctl-no-such-ns"' -n twctl-no-such-ns show

# Batch mode: every line is checked before the first one runs.
printf '# policy\n\nshow\n  set msl abc # typo\nstats\n' >"$batch"
tw -b "$batch"
[ $rc = 1 ] && empty "$out" &&
	[ "$(cat "$err")" = "twctl: $batch:4: bad value for msl: \"abc\": not a number" ]
t "-b: a bad line exits 1 naming FILE:LINE, before any line runs" $?
printf 'show\nmonitor\n' | tw -b -
[ $rc = 1 ] && has "$err" "^twctl: <stdin>:2: monitor: not allowed in a batch$"
t "-b -: reads stdin; monitor is refused in a batch" $?
printf 'show\nset msl "2s\n' >"$batch"
tw -b "$batch"
[ $rc = 1 ] && has "$err" "^twctl: $batch:2: unterminated double quote$"
t "-b: unterminated quote refused with its line" $?
printf '\n  # nothing\n\n' >"$batch"
tw -b "$batch"
[ $rc = 0 ] && empty "$out" && empty "$err"
t "-b: only blank and comment lines: exit 0, nothing done" $?
bad "unexpected argument \"show\"" -b /nonexistent/policy show
bad "cannot open /nonexistent/policy" -b /nonexistent/policy

if [ -d /sys/module/twctl ]; then
	echo "# the twctl module is loaded here: not-loaded checks skipped"
	exit $failed
fi
for cmd in show "set msl 2s" stats "stats reset" monitor; do
	# shellcheck disable=SC2086	# split the command into words
	tw $cmd
	[ $rc = 3 ] && has "$err" "module is not loaded" &&
		has "$err" "modprobe twctl" && has "$err" "insmod twctl.ko" &&
		empty "$out"
	t "without the module, twctl $cmd exits 3 saying how to load it" $?
done
printf 'stats\nshow\n' >"$batch"
tw -b "$batch"
[ $rc = 3 ] && has "$err" "^twctl: $batch:1: the twctl kernel module is not loaded" &&
	empty "$out"
t "-b without the module: exit 3 at the first line, FILE:LINE in the message" $?
tw -j -V
[ $rc = 0 ] && [ "$(cat "$out")" = "{\"version\":\"$version\",\"netlink_version\":1,\"module_version\":null,\"module_netlink_version\":null}" ]
t "-j -V without the module: module_version null" $?
exit $failed
