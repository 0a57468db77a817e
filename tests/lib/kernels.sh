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
		apt_updated=1
		K61=$(_resolve_61)
		K612=$(_resolve_612)
	fi
	if [ -z "$K61" ] || [ -z "$K612" ]; then
		echo "deps: cannot resolve the Debian 6.1 / 6.12 kernel ABI from apt" >&2
		return 1
	fi
	export K61 K612
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

# Kernels of later Debian releases (trixie, sid) need that release's compiler
# and libc to build for: a minbase chroot of the release, made once and kept
# in the cache. sid's Release file can be past its Valid-Until date.
chroot_dir() { echo "$TWCTL_CACHE/chroot/$1"; }

make_chroot() {
	local rel=$1 d
	d=$(chroot_dir "$rel")
	[ -f "$d/.twctl-ready" ] && return 0
	rm -rf "$d.new"
	mkdir -p "$(dirname "$d")"
	debootstrap --variant=minbase --include=make,libc6-dev,libelf-dev,xz-utils,kmod \
		"$rel" "$d.new" http://deb.debian.org/debian >"$d.log" 2>&1 ||
		{ tail -n 20 "$d.log" >&2; return 1; }
	echo 'Acquire::Check-Valid-Until "false";' >"$d.new/etc/apt/apt.conf.d/99twctl"
	touch "$d.new/.twctl-ready"
	rm -rf "$d"
	mv "$d.new" "$d"
}
