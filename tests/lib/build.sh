# shellcheck shell=bash disable=SC2154 # $repo: set by the sourcing script
# Building the module for a test kernel, and style checks.

# kchroot KDIR: the release chroot (tests/lib/kernels.sh) a header tree
# lies in, or nothing for the host's own.
kchroot() {
	local rest cache=${TWCTL_CACHE:-/var/cache/twctl}
	case $1 in
	"$cache"/chroot/*/*)
		rest=${1#"$cache"/chroot/}
		echo "$cache/chroot/${rest%%/*}" ;;
	esac
}

# kmake KDIR DIR MAKEARGS...: make -C KDIR M=DIR MAKEARGS. A header tree of
# a later Debian release is built in its chroot, with that release's
# compiler and sparse, on a copy of DIR in CHROOT/build/NAME.XXXXXX (one per
# build: checks of two worktrees share the cache); the *.ko come back to DIR.
kmake() {
	local kdir=$1 dir=$2 c b rc=0
	shift 2
	c=$(kchroot "$kdir")
	if [ -z "$c" ]; then
		make -C "$kdir" M="$dir" "$@"
		return
	fi
	mkdir -p "$c/build" && b=$(mktemp -d "$c/build/$(basename "$dir").XXXXXX") || return 1
	b=${b#"$c"}
	cp -r "$dir"/. "$c$b/" &&
		in_chroot "$c" make -C "${kdir#"$c"}" M="$b" "$@" &&
		cp "$c$b"/*.ko "$dir/" || rc=1
	rm -rf "${c:?}$b"
	return $rc
}

# build_key KDIR FILE...: a key for everything a build in KDIR of FILEs
# (relative to $repo) depends on: their text, the version compiled in, the
# kernel's configuration, the compiler and sparse (those of the chroot for
# a later release's kernel: the kernel's own compiler, named in its
# configuration), and these recipes.
build_key() {
	local kdir=$1 c cc
	shift
	c=$(kchroot "$kdir")
	{
		(cd "$repo" && cat "$@")
		# the version compiled in (not into the test helper module)
		[ -n "${TWCTL_KEY_NO_VERSION:-}" ] || sh "$repo/scripts/version.sh"
		echo "$kdir"
		cat "$kdir/include/generated/utsrelease.h" "$kdir/include/generated/autoconf.h"
		if [ -z "$c" ]; then
			gcc --version | head -n1
			sparse --version 2>&1
		else
			cc=$(sed -n 's/^#define CONFIG_CC_VERSION_TEXT "\([^ ]*\) .*/\1/p' \
				"$kdir/include/generated/autoconf.h")
			chroot "$c" "${cc:-gcc}" --version | head -n1
			chroot "$c" sparse --version 2>&1
		fi
		declare -f build_module build_blocker kmake
	} 2>/dev/null | sha256sum | cut -c1-16
}

# cached NAME KEY DIR FILE: when an identical build (same KEY) succeeded
# before, put its FILE into DIR and succeed; the build is then not redone.
cached() {
	local c=$TWCTL_CACHE/modbuild/$1-$2
	[ -f "$c/$4" ] || return 1
	mkdir -p "$3" && cp "$c/$4" "$3/$4"
}

# keep NAME KEY DIR FILE: remember a clean build's FILE under KEY.
keep() {
	local c=$TWCTL_CACHE/modbuild/$1-$2
	mkdir -p "$c.tmp" && cp "$3/$4" "$c.tmp/" && rm -rf "$c" && mv "$c.tmp" "$c"
}

# build_module NAME KDIR: build twctl.ko into build/NAME (a private copy of the
# sources, so builds for several kernels do not clobber each other) at W=1
# with sparse; any compiler or sparse warning fails. The copy's VERSION is the
# resolved version (scripts/version.sh), as in a dkms source tree. A build
# that passed before with the same sources, version and kernel is reused
# from the cache (build_key). A later release's kernel (KDIR in its chroot)
# is built in the chroot, sparse included (kmake).
build_module() {
	local name=$1 kdir=$2 out log key
	out=$repo/build/$name
	key=$(build_key "$kdir" Kbuild module/*.[ch] module/uapi/linux/*.h;
	      echo "${TWCTL_TEST_MISHOOK:-} ${TWCTL_TEST_TRACEPOINT_ONLY:-}")
	# VERSION is what the tests compare the module's version with: write
	# it for a cached build too (a fresh clone has no build/).
	mkdir -p "$out"
	sh "$repo/scripts/version.sh" >"$out/VERSION"
	cached "$name" "$key" "$out" twctl.ko && return 0
	cp -r "$repo/Kbuild" "$repo/module" "$out/"
	# Test variants (TWCTL_TEST_*) are the same sources as the checked
	# build: W=1, no second sparse pass.
	local checks=(W=1 C=2 CHECK="sparse -Wno-decl")
	[ -z "${TWCTL_TEST_MISHOOK:-}${TWCTL_TEST_TRACEPOINT_ONLY:-}" ] || checks=(W=1)
	log=$(kmake "$kdir" "$out" "${checks[@]}" \
		${TWCTL_TEST_MISHOOK:+TWCTL_TEST_MISHOOK=$TWCTL_TEST_MISHOOK} \
		${TWCTL_TEST_TRACEPOINT_ONLY:+TWCTL_TEST_TRACEPOINT_ONLY=1} modules 2>&1) ||
		{ printf '%s\n' "$log" | tail -n 40; return 1; }
	if printf '%s\n' "$log" | grep -E -i 'warning|error' | grep -v -E '^(Skipping BTF|  BTF)'; then
		return 1
	fi
	# The kernel's Makefile drops C=2 with a mere note when it finds sparse
	# unusable (too old for the kernel): a build without sparse fails.
	if printf '%s\n' "$log" | grep -E 'C=2 specified, but'; then
		return 1
	fi
	[ -f "$out/twctl.ko" ] && keep "$name" "$key" "$out" twctl.ko
}

# build_mishook NAME KDIR: twctl with the hook that sees first armings put
# on a function that never arms one (compat.h), into build/NAME-mishook:
# its self-test must refuse the load (tests/vm/test_loadfail.py).
build_mishook() {
	TWCTL_TEST_MISHOOK=inet_twsk_purge build_module "$1-mishook" "$2"
}

# checkpatch.pl from Debian's linux-source-6.12, extracted once into the cache.
checkpatch() {
	local d=$TWCTL_CACHE/checkpatch
	if [ ! -f "$d/scripts/checkpatch.pl" ]; then
		mkdir -p "$d"
		tar -xJf /usr/src/linux-source-6.12.tar.xz -C "$d" --strip-components=1 \
			linux-source-6.12/scripts/checkpatch.pl \
			linux-source-6.12/scripts/spelling.txt \
			linux-source-6.12/scripts/const_structs.checkpatch
	fi
	perl "$d/scripts/checkpatch.pl" "$@"
}

run_checkpatch() {
	local files
	files=$(cd "$repo" && ls module/*.[ch] module/uapi/linux/*.h tests/kunit/*.[ch] 2>/dev/null)
	# shellcheck disable=SC2086 # one word per file
	(cd "$repo" && checkpatch --no-tree --terse --show-types --strict -f $files) |
		grep -E 'ERROR|WARNING|CHECK' && return 1
	return 0
}

# build_blocker NAME KDIR: the test helper module tests/vm/blocker into
# build/NAME-blocker (see tests/vm/test_loadfail.py); cached like
# build_module.
build_blocker() {
	local out=$repo/build/$1-blocker log key
	key=$(TWCTL_KEY_NO_VERSION=1 build_key "$2" tests/vm/blocker/*)
	cached "$1-blocker" "$key" "$out" twctl_blocker.ko && return 0
	mkdir -p "$out"
	cp "$repo"/tests/vm/blocker/* "$out/"
	log=$(kmake "$2" "$out" W=1 modules 2>&1) ||
		{ printf '%s\n' "$log" | tail -n 20; return 1; }
	[ -f "$out/twctl_blocker.ko" ] && keep "$1-blocker" "$key" "$out" twctl_blocker.ko
}

# build_kunit KDIR: the KUnit test module (tests/kunit) into build/kunit;
# any warning fails.
build_kunit() {
	local out=$repo/build/kunit log
	rm -rf "$out" && mkdir -p "$out"
	cp -r "$repo"/tests/kunit/Kbuild "$repo"/tests/kunit/*.c "$repo/module" "$out/"
	log=$(make -C "$1" M="$out" W=1 modules 2>&1) ||
		{ printf '%s\n' "$log" | tail -n 30; return 1; }
	if printf '%s\n' "$log" | grep -i 'warning'; then
		return 1
	fi
	[ -f "$out/twctl_kunit.ko" ]
}
