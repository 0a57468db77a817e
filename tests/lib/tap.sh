# shellcheck shell=bash
# TAP for the host test scripts (tests/host/*.sh). Each check is one line,
# "ok - NAME" or "not ok - NAME"; diagnostics are "# ..." lines; the plan
# "1..N" comes last, from tap_done, so a script that dies half-way prints no
# plan and make check (tests/check.sh) counts it as failed.
#
#   . "$repo/tests/lib/tap.sh"
#   out=$(make 2>&1)
#   tap_check "builds" $? "$out"
#   tap_run make -s -C tools test	# a command printing TAP lines itself
#   tap_done			# the plan; exit 1 if a check failed
#
# An early stop goes through tap_done once a failure is recorded (or through
# tap_stop); any other exit leaves no plan, and so fails. The counts are shell
# variables: call these in the script's own shell, not in a pipeline or a
# $(...) (a result printed there is not in the plan, which make check flags).

tap_count=0	# results printed, the plan
tap_failures=0	# of which "not ok"

# tap_detail TEXT: the last 30 lines of TEXT as diagnostics ("# ...").
tap_detail() {
	[ -z "$1" ] || printf '%s\n' "$1" | tail -n 30 | sed 's/^/# /'
}

# tap_ok NAME: a passed check.
tap_ok() {
	tap_count=$((tap_count + 1))
	printf 'ok - %s\n' "${1//$'\n'/ }"
}

# tap_fail NAME [DETAIL]: a failed check; DETAIL (what a command printed, say)
# as diagnostics.
tap_fail() {
	tap_count=$((tap_count + 1))
	tap_failures=$((tap_failures + 1))
	printf 'not ok - %s\n' "${1//$'\n'/ }"
	tap_detail "${2:-}"
}

# tap_check NAME STATUS [DETAIL]: passed if STATUS is 0, else failed with
# DETAIL as diagnostics.
tap_check() {
	if [ "$2" = 0 ]; then
		tap_ok "$1"
	else
		tap_fail "$1" "${3:-}"
	fi
}

# tap_run [-n NAME] CMD...: run CMD, which prints TAP lines of its own (the
# tool's unit tests, tools/tests/smoke.sh, an embedded python checker). Its
# output, stderr included, passes through: its "ok - " and "not ok - " lines
# are counted as results, any other line becomes a diagnostic (a plan "1..M"
# of its own too). CMD completes if it printed a result, exited 0 or printed
# a "not ok", and printed M results if it printed a plan "1..M".
# With -n, NAME is one more result after CMD's: passed if CMD exited 0 and
# completed. Without, a CMD that did not complete adds a failed result
# "CMD... completes". Returns CMD's exit status.
tap_run() {
	local name='' line n=0 n_fail=0 plan='' rc why=''
	if [ "$1" = -n ]; then
		name=$2
		shift 2
	fi
	while IFS= read -r line || [ -n "$line" ]; do
		case $line in
		"ok - "*)
			tap_count=$((tap_count + 1))
			n=$((n + 1))
			;;
		"not ok - "*)
			tap_count=$((tap_count + 1))
			tap_failures=$((tap_failures + 1))
			n=$((n + 1))
			n_fail=$((n_fail + 1))
			;;
		"#"*) ;;
		*)
			if [[ $line =~ ^1\.\.([0-9]+) ]]; then
				plan=${BASH_REMATCH[1]}
			fi
			line="# $line"
			;;
		esac
		printf '%s\n' "$line"
	done < <("$@" 2>&1)
	wait $!
	rc=$?
	if [ $n = 0 ]; then
		why="printed no ok/not ok line (exit $rc)"
	elif [ $rc != 0 ] && [ $n_fail = 0 ]; then
		why="exited $rc without a failed check"
	elif [ -n "$plan" ] && [ "$plan" != $n ]; then
		why="printed $n results for its plan 1..$plan"
	fi
	if [ -n "$name" ]; then
		[ -n "$why" ] || [ $rc = 0 ] || why="exit $rc"
		[ -z "$why" ]
		tap_check "$name" $? "$why"
	elif [ -n "$why" ]; then
		tap_fail "$* completes" "$why"
	fi
	return $rc
}

# tap_done: the plan, "1..N" for the N results printed; exit 1 if a check
# failed, else 0.
tap_done() {
	printf '1..%d\n' "$tap_count"
	[ "$tap_failures" = 0 ] || exit 1
	exit 0
}

# tap_stop REASON: stop early, the plan covering the checks made so far, and
# exit 1. REASON is a diagnostic if a check failed already (the one that makes
# going on pointless), else a failed result of its own.
tap_stop() {
	if [ "$tap_failures" != 0 ]; then
		printf '# %s\n' "$1"
	else
		tap_fail "$1"
	fi
	tap_done
}
