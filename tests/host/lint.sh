#!/bin/bash
# The scripts and Python files of the tree, as a reviewer's linters see
# them: every tracked shell script passes shellcheck at warning level (with
# the sources it names, -x), every tracked Python file pyflakes (no unused
# import or name, no undefined one). Either finding is a bug or dead code in
# the harness that runs every other check.
# One TAP line per check, the plan "1..N" last (tests/lib/tap.sh).
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source-path=SCRIPTDIR/../.. source=tests/lib/tap.sh disable=SC1091
. "$repo/tests/lib/tap.sh"
cd "$repo" || exit 1

t() { tap_check "lint: $1" "$2" "${3:-}"; }

if [ -e .git ]; then
	mapfile -t sh_files < <(git ls-files '*.sh')
	mapfile -t py_files < <(git ls-files '*.py')
else
	mapfile -t sh_files < <(find . -name '*.sh' -not -path './build/*')
	mapfile -t py_files < <(find . -name '*.py' -not -path './build/*')
fi
out=$(shellcheck -x -S warning "${sh_files[@]}" 2>&1)
t "shellcheck -S warning: ${#sh_files[@]} shell scripts clean" $? "$out"
out=$(pyflakes3 "${py_files[@]}" 2>&1)
t "pyflakes3: ${#py_files[@]} Python files clean" $? "$out"
tap_done
