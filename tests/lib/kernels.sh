# shellcheck shell=bash
# Which Debian kernels the tests use, resolved from apt's package lists at run
# time (security updates bump the ABI names), and where their images live.

TWCTL_CACHE=${TWCTL_CACHE:-/var/cache/twctl}

# Newest 6.1.0-NN ABI: the one the linux-headers-amd64 metapackage points at.
_resolve_61() {
	apt-cache depends linux-headers-amd64 2>/dev/null |
		sed -n 's/.*Depends: linux-headers-\(6\.1\.0-[0-9]*-amd64\)$/\1/p' | head -n1
}

# Newest 6.12.NNN+deb12 ABI that has both an unsigned image and headers.
_resolve_612() {
	local v
	for v in $(apt-cache pkgnames linux-image-6.12. 2>/dev/null |
		   sed -n 's/^linux-image-\(6\.12\.[0-9]*+deb12-amd64\)-unsigned$/\1/p' |
		   sort -rV); do
		if apt-cache show "linux-headers-$v" >/dev/null 2>&1; then
			echo "$v"
			return
		fi
	done
}

# Sets K61 and K612. Updates the apt lists once if they do not know the kernels.
resolve_kernels() {
	K61=$(_resolve_61)
	K612=$(_resolve_612)
	if [ -z "$K61" ] || [ -z "$K612" ]; then
		sudo_ apt-get update -qq
		# shellcheck disable=SC2034 # read by tests/deps.sh
		apt_updated=1
		K61=$(_resolve_61)
		K612=$(_resolve_612)
	fi
	if [ -z "$K61" ] || [ -z "$K612" ]; then
		echo "deps: cannot resolve the Debian 6.1 / 6.12 kernel ABI from apt" >&2
		return 1
	fi
	# The PREEMPT_RT flavour of the same 6.12 ABI (linux-image-...-rt-amd64).
	KRT=${K612%-amd64}-rt-amd64
	# The cloud flavour (linux-image-...-cloud-amd64): no 9p, virtiofs
	# built in (tests/vm/run-vm.sh).
	KCLOUD=${K612%-amd64}-cloud-amd64
	export K61 K612 KRT KCLOUD
}

image_dir() { echo "$TWCTL_CACHE/img/$1"; }

# Download the unsigned image package of ABI $1 and unpack it into the cache.
fetch_image() {
	local v=$1 d tmp
	d=$(image_dir "$v")
	[ -f "$d/vmlinuz" ] && [ -f "$d/lib/modules/$v/modules.dep" ] && return 0
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get -o APT::Sandbox::User=root download -qq "linux-image-$v-unsigned") >/dev/null
	mkdir -p "$d.new"
	dpkg -x "$tmp"/linux-image-*.deb "$d.new"
	cp "$d.new/boot/vmlinuz-$v" "$d.new/vmlinuz"
	# The package's postinst would run depmod; the VM needs modules.dep.
	/sbin/depmod -b "$d.new" "$v"
	rm -rf "$tmp" "$d"
	mv "$d.new" "$d"
}

# Kernels of later Debian releases: trixie (Debian 13, 6.12.NNN+deb13) and
# sid (7.x). Their headers need that release's compiler and libc, so each
# release gets a minbase chroot under $TWCTL_CACHE/chroot/REL with its own
# apt lists; modules for them are built in there (tests/lib/build.sh). All
# of this needs root.

# What a release chroot holds beyond minbase (the headers pull the compiler)
# and its apt sources. sid's Release file can be past its Valid-Until date.
CHROOT_PKGS=make,libc6-dev,libelf-dev,kmod,xz-utils,sparse
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

chroot_dir() { echo "$TWCTL_CACHE/chroot/$1"; }

# in_chroot DIR CMD...: CMD in chroot DIR with /proc mounted (objtool and
# maintainer scripts want it), in a private mount namespace: nothing stays
# mounted.
in_chroot() {
	# shellcheck disable=SC2016 # the inner shell expands
	unshare -m --propagation private -- \
		sh -c 'mount -t proc proc "$1/proc" && exec chroot "$@"' sh "$@"
}

_chroot_sources() {
	echo "deb $DEBIAN_MIRROR $1 main"
	case $1 in
	sid) ;;
	*) echo "deb ${DEBIAN_MIRROR%/debian}/debian-security $1-security main" ;;
	esac
}

# make_chroot REL: the chroot of release REL, made once (debootstrap, ~1-3
# min). A chroot made by an older version of this function is brought to
# the current sources and package list; the stamp .twctl-ready records both,
# so a re-run with nothing to do does not touch the network.
make_chroot() {
	local rel=$1 d want missing p
	d=$(chroot_dir "$rel")
	want=$(_chroot_sources "$rel"; echo "$CHROOT_PKGS"; echo pty=0)
	[ -f "$d/.twctl-ready" ] && [ "$(cat "$d/.twctl-ready")" = "$want" ] && return 0
	if [ ! -f "$d/.twctl-ready" ]; then
		command -v debootstrap >/dev/null ||
			{ echo "make_chroot: debootstrap is missing" >&2; return 1; }
		rm -rf "$d.new"
		mkdir -p "$(dirname "$d")"
		echo "deps: making the $rel chroot in $d"
		debootstrap --variant=minbase --include="$CHROOT_PKGS" \
			"$rel" "$d.new" "$DEBIAN_MIRROR" >"$d.log" 2>&1 ||
			{ tail -n 20 "$d.log" >&2; return 1; }
		mv "$d.new" "$d"
	fi
	# no /dev/pts in the chroot: dpkg without a pty
	printf '%s\n' 'Acquire::Check-Valid-Until "false";' 'Dpkg::Use-Pty "false";' \
		>"$d/etc/apt/apt.conf.d/99twctl"
	if [ "$(_chroot_sources "$rel")" != "$(cat "$d/etc/apt/sources.list")" ]; then
		_chroot_sources "$rel" >"$d/etc/apt/sources.list"
		in_chroot "$d" apt-get update -qq
	fi
	missing=()
	for p in ${CHROOT_PKGS//,/ }; do
		# shellcheck disable=SC2016 # dpkg-query's format
		chroot "$d" dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'ok installed' || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		in_chroot "$d" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends "${missing[@]}" >/dev/null
	fi
	echo "$want" >"$d/.twctl-ready"
}

# _resolve_rel REL: the newest generic ABI of REL (6.12.NNN+deb13 for
# trixie, 7.x for sid) that has headers and an unsigned image, from the
# chroot's apt lists. The image is linux-image-VER-unsigned, or from 7.x on
# linux-binary-unsigned-VER (vmlinuz) with linux-modules-VER.
_resolve_rel() {
	local rel=$1 d re v
	d=$(chroot_dir "$rel")
	[ -f "$d/.twctl-ready" ] || return 0
	case $rel in
	trixie) re='6\.12\.[0-9]*+deb13-amd64' ;;
	sid) re='7\.[0-9.]*+deb[0-9]*-amd64' ;;
	*) return 0 ;;
	esac
	for v in $(chroot "$d" apt-cache pkgnames linux- 2>/dev/null |
		   sed -n -e "s/^linux-image-\($re\)-unsigned\$/\1/p" \
			  -e "s/^linux-binary-unsigned-\($re\)\$/\1/p" | sort -urV); do
		chroot "$d" apt-cache show "linux-headers-$v" >/dev/null 2>&1 || continue
		_image_pkgs "$rel" "$v" >/dev/null && { echo "$v"; return; }
	done
}

# _image_pkgs REL VER: the packages that make up the unsigned image of VER
# (7.x: linux-base-VER has modules.order, modules.builtin, System.map).
_image_pkgs() {
	local d
	d=$(chroot_dir "$1")
	if chroot "$d" apt-cache show "linux-image-$2-unsigned" >/dev/null 2>&1; then
		echo "linux-image-$2-unsigned"
	elif chroot "$d" apt-cache show "linux-binary-unsigned-$2" "linux-modules-$2" \
		"linux-base-$2" >/dev/null 2>&1; then
		echo "linux-binary-unsigned-$2 linux-modules-$2 linux-base-$2"
	else
		return 1
	fi
}

# _kvar REL: the variable that holds REL's ABI (KTRIXIE, KSID).
_kvar() { echo "K$(echo "$1" | tr '[:lower:]' '[:upper:]')"; }

# resolve_release REL: sets and exports KTRIXIE or KSID from the chroot's
# lists, without the network; fails when there is no chroot or no kernel.
resolve_release() {
	local v
	v=$(_resolve_rel "$1")
	[ -n "$v" ] || { echo "cannot resolve the $1 kernel ABI (no chroot? run tests/deps.sh)" >&2; return 1; }
	export "$(_kvar "$1")=$v"
}

# release_kdir REL VER: the header tree of VER in REL's chroot (a path on
# the host; tests/lib/build.sh builds in the chroot it lies in).
release_kdir() { echo "$(chroot_dir "$1")/usr/src/linux-headers-$2"; }

# _checker_valid REL VER: the 7.x Makefile runs scripts/checker-valid.sh
# to see whether sparse understands the kernel (__typeof_unqual__) and drops
# C=2 without it; Debian's linux-kbuild-7.x does not ship that script. A
# stand-in that does the same test.
_checker_valid() {
	local c k s
	c=$(chroot_dir "$1")
	k=$(release_kdir "$1" "$2")
	s=$(readlink -f "$k/scripts")/checker-valid.sh
	[ -f "$s" ] && return 0
	# the Makefile of VER's tree includes the common one, which has the check
	grep -q checker-valid.sh "$c$(sed -n 's/^include //p' "$k/Makefile")" || return 0
	cat >"$s" <<'SH'
#!/bin/sh
# twctl (tests/lib/kernels.sh): stand-in for the kernel's checker-valid.sh.
# Prints 1 when the checker ("$@") parses __typeof_unqual__ without error.
command -v "$1" >/dev/null 2>&1 || { echo 0; exit 0; }
f=$(mktemp --suffix=.c)
printf 'int u(const int *q)\n{\n\t__typeof_unqual__(*q) v = *q;\n\treturn v;\n}\n' >"$f"
if "$@" "$f" 2>&1 | grep -q error; then echo 0; else echo 1; fi
rm -f "$f"
SH
	chmod 755 "$s"
}

# fetch_release_image REL VER: the unsigned image of VER, downloaded and
# unpacked in REL's chroot, into the cache like fetch_image: vmlinuz and
# lib/modules/VER with modules.dep.
fetch_release_image() {
	local rel=$1 v=$2 c d t pkgs p k
	c=$(chroot_dir "$rel")
	d=$(image_dir "$v")
	[ -f "$d/vmlinuz" ] && [ -f "$d/lib/modules/$v/modules.dep" ] && return 0
	pkgs=$(_image_pkgs "$rel" "$v") || return 1
	t=/var/tmp/twctl-img
	rm -rf "${c:?}$t" && mkdir -p "$c$t/root"
	# (callers run this in an && list, where set -e does not act: every
	# step says whether it failed)
	# shellcheck disable=SC2016,SC2086 # the inner shell expands; $pkgs splits
	chroot "$c" sh -c 'cd "$1" && shift && apt-get -o APT::Sandbox::User=root download -qq "$@"' \
		sh "$t" $pkgs >/dev/null || return 1
	for p in $pkgs; do
		# shellcheck disable=SC2016 # the inner shell expands
		chroot "$c" sh -c 'dpkg-deb -x "$1"/"$2"_*.deb "$1/root"' sh "$t" "$p" || return 1
	done
	# Newer packages ship the modules (and, from 7.x, vmlinuz) under
	# usr/lib/modules; the VM wants lib/modules.
	if [ -d "$c$t/root/usr/lib/modules" ]; then
		mkdir -p "$c$t/root/lib"
		mv "$c$t/root/usr/lib/modules" "$c$t/root/lib/modules"
	fi
	# vmlinuz: boot/vmlinuz-VER, or lib/modules/VER/vmlinuz.unsigned (7.x)
	for k in "$c$t/root/boot/vmlinuz-$v" "$c$t/root/lib/modules/$v"/vmlinuz*; do
		[ -f "$k" ] && cp "$k" "$c$t/root/vmlinuz" && break
	done
	[ -f "$c$t/root/vmlinuz" ] || { echo "fetch: no vmlinuz in $pkgs" >&2; return 1; }
	/sbin/depmod -b "$c$t/root" "$v" || return 1
	rm -rf "$d" && mkdir -p "$(dirname "$d")" && mv "$c$t/root" "$d" && rm -rf "${c:?}$t"
}

# setup_release REL: chroot, headers and image of REL's newest kernel;
# exports KTRIXIE or KSID. When the chroot's lists do not know a kernel, or
# its packages are gone from the mirror, the lists are updated once.
# TWCTL_CHROOT_UPDATE=1 updates them first (a newer ABI then replaces the old).
setup_release() {
	local rel=$1 c v try
	make_chroot "$rel" || return 1
	c=$(chroot_dir "$rel")
	[ -z "${TWCTL_CHROOT_UPDATE:-}" ] || in_chroot "$c" apt-get update -qq
	for try in 1 2; do
		v=$(_resolve_rel "$rel")
		if [ -n "$v" ]; then
			{ [ -f "$(release_kdir "$rel" "$v")/Makefile" ] ||
			  in_chroot "$c" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				--no-install-recommends "linux-headers-$v" >/dev/null; } &&
			_checker_valid "$rel" "$v" &&
			fetch_release_image "$rel" "$v" && break
		fi
		[ "$try" = 1 ] || { echo "deps: cannot set up the $rel kernel ${v:-(none found)}" >&2; return 1; }
		in_chroot "$c" apt-get update -qq
	done
	export "$(_kvar "$rel")=$v"
}

# virtiofsd, for guests whose kernel has no 9p (the cloud flavour): packaged
# in trixie, not in bookworm, so it runs from the trixie chroot
# (tests/vm/run-vm.sh). setup_virtiofsd makes that chroot if absent and
# installs it there, as $VIRTIOFSD inside the chroot.
VIRTIOFSD=/usr/libexec/virtiofsd

setup_virtiofsd() {
	local c
	make_chroot trixie || return 1
	c=$(chroot_dir trixie)
	[ -x "$c$VIRTIOFSD" ] && return 0
	in_chroot "$c" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends virtiofsd >/dev/null 2>&1 || {
		# the chroot's lists may name packages gone from the mirror
		in_chroot "$c" apt-get update -qq &&
		in_chroot "$c" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends virtiofsd >/dev/null; } || return 1
	[ -x "$c$VIRTIOFSD" ] || { echo "deps: no $VIRTIOFSD in the trixie chroot" >&2; return 1; }
}

# vm_lock: take this host's guest lock ($TWCTL_CACHE/vm.lock) on fd 9, held
# until the shell exits, as TWCTL_VM_LOCK says:
#   1 (default)  alone: waits until no other guest holds it, and keeps every
#                other one waiting (the real-time parts of make bench, whose
#                figures move with this host's load: P3 in particular);
#   shared       beside other shared holders, never beside one alone (make
#                check's two lanes, and the -icount parts of make bench,
#                which count instructions whatever else runs);
#   0            no lock at all.
vm_lock() {
	local mode=${TWCTL_VM_LOCK:-1}

	case $mode in
	0) return 0 ;;
	1|shared) ;;
	*) echo "TWCTL_VM_LOCK is 1, shared or 0, not '$mode'" >&2; return 2 ;;
	esac
	mkdir -p "$TWCTL_CACHE" || return 2
	exec 9>"$TWCTL_CACHE/vm.lock" || return 2
	if [ "$mode" = shared ]; then
		flock -s 9
	else
		flock -x 9
	fi
}
