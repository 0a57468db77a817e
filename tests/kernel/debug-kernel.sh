#!/bin/bash
# Build (once) and cache the twctl debug kernel: Debian's linux-source-6.12 with
# the Kconfig fragment tests/kernel/debug.config (KASAN, lockdep, kmemleak,
# UBSAN, KUnit, kprobes, 9p/virtio built in).
#
# Usage: tests/kernel/debug-kernel.sh [--print-dir]
#
# The build dir is ${TWCTL_CACHE:-/var/cache/twctl}/debug-kernel/<key>/ with
#   <key> = <linux-source-6.12 version>-<sha256 of debug.config + this script's
#           build recipe + gcc version, first 12 hex digits>.
# It holds arch/x86/boot/bzImage and is a usable KDIR for out-of-tree modules:
#   make -C "$(tests/kernel/debug-kernel.sh --print-dir)" M=$PWD modules
# A finished build has <builddir>/.twctl-complete (written last); re-runs then
# return at once. The source is extracted once into debug-kernel/src/<version>/
# and only used through O= (it stays clean). The build log is
# <builddir>/twctl-build.log. Runs are serialised with flock on
# debug-kernel/.lock. Messages go to stderr; --print-dir prints the build dir
# (and nothing else) on stdout.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
frag=$here/debug.config
# TWCTL_DEBUG_FLAVOUR=rt: the same kernel as PREEMPT_RT (rt.config says why).
flavour=${TWCTL_DEBUG_FLAVOUR:-}
case "$flavour" in
	""|rt) ;;
	*) echo "debug-kernel: unknown TWCTL_DEBUG_FLAVOUR=$flavour" >&2; exit 2 ;;
esac
# The fragment Kconfig gets: debug.config, or for rt with its preemption
# model and local version replaced by rt.config's.
frag_text() {
	if [ "$flavour" = rt ]; then
		grep -v -E '^CONFIG_(PREEMPT|LOCALVERSION)=' "$frag"
		cat "$here/rt.config"
	else
		cat "$frag"
	fi
}
src_pkg=linux-source-6.12
tarball=/usr/src/linux-source-6.12.tar.xz
root=${TWCTL_CACHE:-/var/cache/twctl}/debug-kernel

print_dir=
case "${1:-}" in
	"") ;;
	--print-dir) print_dir=1 ;;
	-h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) echo "usage: $0 [--print-dir]" >&2; exit 2 ;;
esac

msg() { echo "debug-kernel: $*" >&2; }
die() { msg "$*"; exit 1; }

# ---- the build recipe: the text of these two functions is part of the key ---
# $1 source tree, $2 build dir, $3 fragment. Only O= builds: the source stays clean.
kconfig_step() {
	make -C "$1" O="$2" ARCH=x86_64 KCONFIG_ALLCONFIG="$3" allnoconfig
}
build_step() {
	make -C "$1" O="$2" ARCH=x86_64 -j"$(nproc)" all
}

# Every option the fragment names must have survived Kconfig: "=y" must be =y,
# other values must match exactly, "# ... is not set" must not be y or m.
# Prints the offenders and fails when there are any.
verify_config() {
	awk '
	NR == FNR {
		if ($0 ~ /^CONFIG_[A-Za-z0-9_]+=/) {
			i = index($0, "="); s = substr($0, 1, i - 1)
			want[s] = substr($0, i + 1); order[++n] = s
		} else if ($0 ~ /^# CONFIG_[A-Za-z0-9_]+ is not set/) {
			want[$2] = "n"; order[++n] = $2
		}
		next
	}
	/^CONFIG_/ { i = index($0, "="); have[substr($0, 1, i - 1)] = substr($0, i + 1) }
	END {
		bad = 0
		for (k = 1; k <= n; k++) {
			s = order[k]; w = want[s]; h = (s in have) ? have[s] : "n"
			if (w == "n" ? (h == "y" || h == "m") : (h != w)) {
				printf "  %s: wanted %s, got %s\n", s, w, h; bad++
			}
		}
		exit bad > 0
	}' "$1" "$2"
}

# A trivial out-of-tree module must build against the tree (KDIR check).
kdir_selftest() {
	local b=$1 t rc=0
	t=$(mktemp -d "${TMPDIR:-/tmp}/twctl-hello.XXXXXX")
	cat >"$t/hello.c" <<'EOF'
// SPDX-License-Identifier: GPL-2.0
#include <linux/module.h>
static int __init hello_init(void) { pr_info("hello\n"); return 0; }
static void __exit hello_exit(void) { }
module_init(hello_init);
module_exit(hello_exit);
MODULE_LICENSE("GPL");
EOF
	echo 'obj-m := hello.o' >"$t/Kbuild"
	make -C "$b" M="$t" modules && [ -f "$t/hello.ko" ] || rc=1
	rm -rf "$t"
	return $rc
}
# ------------------------------------------------------------------------------

src_ver=$(dpkg-query -W -f='${Version}' "$src_pkg" 2>/dev/null) || src_ver=
if [ -z "$src_ver" ] || [ ! -f "$tarball" ]; then
	die "$src_pkg is not installed ($tarball missing): run tests/deps.sh"
fi
key_hash=$( { frag_text
	      declare -f kconfig_step build_step
	      gcc --version 2>/dev/null | head -n1; } | sha256sum)
key=${src_ver//[^A-Za-z0-9.+-]/_}-${key_hash:0:12}
build=$root/$key
marker=$build/.twctl-complete

done_() { [ -z "$print_dir" ] || echo "$build"; exit 0; }

# Fast path: the marker is written last, so no lock is needed to trust it.
[ -f "$marker" ] && done_

mkdir -p "$root"
exec 9>>"$root/.lock"
if ! flock -n 9; then
	msg "waiting for another build (lock $root/.lock)"
	flock 9
fi
[ -f "$marker" ] && done_

# Build dependencies: report, never install (tests/deps.sh installs them).
missing=()
for p in build-essential bc bison flex libelf-dev libssl-dev xz-utils; do
	dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] ||
	die "missing packages: ${missing[*]} (run tests/deps.sh or apt-get install them)"

# Extract the source once per package version.
src_top=$root/src/${src_ver//[^A-Za-z0-9.+-]/_}
src=$src_top/linux-source-6.12
if [ ! -f "$src_top/.twctl-extracted" ]; then
	msg "extracting $tarball"
	rm -rf "$src_top" "$src_top.tmp"
	mkdir -p "$src_top.tmp"
	tar -xJf "$tarball" -C "$src_top.tmp"
	[ -f "$src_top.tmp/linux-source-6.12/Makefile" ] ||
		die "unexpected tarball layout in $tarball"
	touch "$src_top.tmp/.twctl-extracted"
	mv "$src_top.tmp" "$src_top"
fi

mkdir -p "$build"
log=$build/twctl-build.log
frag_text >"$build/twctl-debug.config"
: >"$log"
start=$SECONDS
elapsed() { local s=$((SECONDS - start)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }
fail() {
	msg "FAILED ($1) after $(elapsed); last lines of $log:"
	tail -n 40 "$log" >&2
	exit 1
}

msg "building $key with $(nproc) jobs (log: $log)"
# Environment that would change what gets built.
unset KBUILD_OUTPUT KCONFIG_CONFIG CROSS_COMPILE LOCALVERSION KCFLAGS KCPPFLAGS \
	KAFLAGS LLVM CC

kconfig_step "$src" "$build" "$build/twctl-debug.config" >>"$log" 2>&1 || fail "kconfig"
if ! bad=$(verify_config "$build/twctl-debug.config" "$build/.config"); then
	printf 'Kconfig dropped options:\n%s\n' "$bad" >>"$log"
	msg "Kconfig dropped options of debug.config (unmet dependencies?):"
	echo "$bad" >&2
	exit 1
fi
build_step "$src" "$build" >>"$log" 2>&1 || fail "make"
if ! bad=$(verify_config "$build/twctl-debug.config" "$build/.config"); then
	msg "options missing from the final .config:"
	echo "$bad" >&2
	exit 1
fi
[ -f "$build/arch/x86/boot/bzImage" ] || fail "no bzImage"
kdir_selftest "$build" >>"$log" 2>&1 || fail "out-of-tree module test"

echo "$key built in $(elapsed) on $(date -u +%FT%TZ)" >"$marker"
msg "built $key in $(elapsed): $build/arch/x86/boot/bzImage"
done_
