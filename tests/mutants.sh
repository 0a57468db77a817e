#!/bin/bash
# make mutants: does the suite catch real bugs? Each mutant is the module
# with one deliberate bug (a small substitution in a copy of the sources);
# it is built for Debian's 6.1 kernel and every VM suite runs against it
# (one boot), plus the KUnit suites when the mutant is in code they test
# (policy.c, twrec.c) and the debug kernel is built. A mutant that no check
# fails "survives": the script lists which checks caught each one and fails
# when any survives.
#
#   tests/mutants.sh [NAME ...]     (default: all)
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo" || exit 1
. tests/lib/kernels.sh
. tests/lib/build.sh
sudo_() { "$@"; }
resolve_kernels || exit 1

# NAME@FILE@TEXT@REPLACEMENT (the text must occur exactly once; \n in the
# replacement is a newline)
mutants=(
"rearm-keeps-60s@module/hooks.c@if (is_tw && (int)regs->si == TCP_TIMEWAIT_LEN@if (is_tw && !rearm && (int)regs->si == TCP_TIMEWAIT_LEN"
"expiry-counted-twice@module/hooks.c@		twctl_pn_stat_inc(pn, cause);@		twctl_pn_stat_inc(pn, cause);\n		if (cause == TWCTL_STAT_TW_EXPIRED)\n			twctl_pn_stat_inc(pn, cause);"
"reuse-granted-in-off@module/policy.c@bool allowed = p->reuse == TWCTL_REUSE_ALWAYS ||@bool allowed = p->reuse == TWCTL_REUSE_ALWAYS || p->reuse == TWCTL_REUSE_OFF ||"
"record-kept-when-freed@module/hooks.c@	twctl_twrec_del(tw);@	(void)tw;"
"record-cap-ignored@module/twrec.c@twctl_twrec_reserve(&twctl_twrec_n, READ_ONCE(max_tw_records))@twctl_twrec_reserve(&twctl_twrec_n, LONG_MAX)"
"record-identity-ignored@module/twrec.c@if (r && twctl_twrec_id_eq(&r->id, id)) {@if (r && (twctl_twrec_id_eq(&r->id, id) || true)) {"
)

want=" $* "
survived=0
make -s -C tools all variant-v99 >/dev/null || exit 1
for m in "${mutants[@]}"; do
	IFS='@' read -r name file from to <<<"$m"
	[ $# -eq 0 ] || [[ $want == *" $name "* ]] || continue
	echo "=== mutant $name ($file)"
	src=$repo/build/mutant-src
	rm -rf "$src" && mkdir -p "$src"
	cp -r Kbuild module scripts "$src/"
	sh scripts/version.sh >"$src/VERSION"	# the tool checks the module's version
	python3 - "$src/$file" "$from" "$to" <<'PY' || exit 1
import sys
path, a, b = sys.argv[1:]
b = b.replace("\\n", "\n")
s = open(path).read()
if s.count(a) != 1:
    sys.exit(f"mutants: the text to mutate occurs {s.count(a)} times in {path}: {a!r}")
open(path, "w").write(s.replace(a, b))
PY
	(repo=$src && build_module "$K61" "/lib/modules/$K61/build") >/dev/null ||
		{ echo "mutants: $name does not build"; exit 1; }
	# run-vm.sh loads $repo/build/KVER/twctl.ko: point TWCTL_KO at the mutant
	specs=()
	for t in tests/vm/test_*.py; do
		case $t in */test_fuzz.py | */test_stress.py | */test_faults.py) continue ;; esac
		specs+=("$t=300")
	done
	out=$(TWCTL_KO_OVERRIDE=$src/build/$K61/twctl.ko python3 tests/vm/suites.py "$K61" "61" \
		"${specs[@]}" 2>&1)
	caught=$(printf '%s\n' "$out" | grep '^not ok - ')
	kd=$(tests/kernel/debug-kernel.sh --print-dir 2>/dev/null)
	if [[ $file == module/policy.c || $file == module/twrec.c ]] &&
		[ -f "$kd/.twctl-complete" ]; then
		mk=$repo/build/mutant-kunit
		rm -rf "$mk" && mkdir -p "$mk"
		cp tests/kunit/Kbuild tests/kunit/*.c "$mk/" && cp -r "$src/module" "$mk/"
		if make -s -C "$kd" M="$mk" modules >/dev/null 2>&1; then
			kout=$(TWCTL_KUNIT_KO=$mk/twctl_kunit.ko python3 tests/vm/suites.py debug debug \
				tests/kunit/test_kunit.py=600 2>&1)
			caught+=$'\n'$(printf '%s\n' "$kout" | grep '^not ok - ')
		fi
	fi
	caught=$(printf '%s\n' "$caught" | sed '/^$/d')
	if [ -n "$caught" ]; then
		echo "caught by $(printf '%s\n' "$caught" | wc -l) checks:"
		printf '%s\n' "$caught" | sed 's/^not ok - /  /' | head -n 20
	else
		echo "SURVIVED: no check failed"
		survived=$((survived + 1))
	fi
done
rm -rf "$repo/build/mutant-src" "$repo/build/mutant-kunit"
[ $survived -eq 0 ]
