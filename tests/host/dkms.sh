#!/bin/bash
# The real dkms, end to end on this host, for both test kernels ($K61,
# $K612): make dkms-install (and with DESTDIR), dkms add, build, install,
# status, remove --all. The module dkms builds must be the one the VM tests
# load, build/KVER/twctl.ko from tests/lib/build.sh (built here too, so the
# test stands alone): same version, srcversion and vermagic.
# Nothing is left behind, even on failure: the dkms tree, /usr/src/twctl-*,
# the installed modules (depmod runs again; modules.* files depmod created
# and directories dkms created go too), and dkms's MOK key if it made one.
# One TAP line per check, the plan "1..N" last (tests/lib/tap.sh); exit
# status 1 if any failed. Needs root.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source-path=SCRIPTDIR/../.. source=tests/lib/kernels.sh disable=SC1091
. "$repo/tests/lib/kernels.sh"
# shellcheck source-path=SCRIPTDIR/../.. source=tests/lib/build.sh disable=SC1091
. "$repo/tests/lib/build.sh"
# shellcheck source-path=SCRIPTDIR/../.. source=tests/lib/tap.sh disable=SC1091
. "$repo/tests/lib/tap.sh"
# shellcheck source-path=SCRIPTDIR/../.. source=tests/lib/dkmshost.sh disable=SC1091
. "$repo/tests/lib/dkmshost.sh"
# shellcheck disable=SC2317 # called by resolve_kernels
sudo_() { "$@"; }
tmp=$(mktemp -d)
# Until the full cleanup below takes over: the early exits leave nothing.
trap 'rm -rf "$tmp"' EXIT

# t NAME STATUS [OUTPUT]: one TAP line; on failure OUTPUT as diagnostics.
t() { tap_check "dkms: $1" "$2" "${3:-}"; }

[ "$(id -u)" = 0 ] || { t "runs as root" 1; tap_done; }
command -v dkms >/dev/null || { t "dkms is installed (make deps)" 1; tap_done; }
resolve_kernels || { t "test kernels resolved" 1; tap_done; }
kernels=("$K61" "$K612")
# One run at a time on this machine, and not beside tests/host/package.sh
# (they share /usr/src and the dkms tree).
mkdir -p "$TWCTL_CACHE"
exec 9>"$TWCTL_CACHE/dkms.lock"
flock 9

ver=$(make -s -C "$repo" print-version)
src=/usr/src/twctl-$ver
if [ -e "$src" ] || [ -e "/var/lib/dkms/twctl/$ver" ]; then
	t "twctl/$ver is not installed here already (dkms remove twctl/$ver --all; rm -r $src)" 1
	tap_done
fi
dkms_host_note "$tmp" "${kernels[@]}"

# shellcheck disable=SC2317 # called through the EXIT trap
cleanup() {
	dkms remove -m twctl -v "$ver" --all >/dev/null 2>&1
	rm -rf "$src" "/var/lib/dkms/twctl/$ver"
	rmdir /var/lib/dkms/twctl 2>/dev/null
	dkms_host_restore "$tmp" "${kernels[@]}"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# --- the reference modules and the sources dkms gets --------------------------
for k in "${kernels[@]}"; do
	out=$(build_module "$k" "/lib/modules/$k/build" 2>&1)
	t "build/$k/twctl.ko built (tests/lib/build.sh), version $ver" $? "$out"
done

grep -q "^PACKAGE_VERSION=\"$(cat "$repo/VERSION")\"$" "$repo/dkms.conf"
t "dkms.conf in the tree has the VERSION file's version" $?

# BUILD_EXCLUSIVE_KERNEL, as dkms applies it ([[ $kernelver =~ ... ]]): the
# tested kernels (and the rest of 6.1..7.x) in, older and newer out.
excl=$(sed -n 's/^BUILD_EXCLUSIVE_KERNEL="\(.*\)"$/\1/p' "$repo/dkms.conf")
bad=
for v in "$K61" "$K612" 6.12.118+deb13-amd64 7.2.13+deb14-amd64 6.19.1-1-amd64 \
	 6.12.57+deb13-rt-amd64 6.1.0-57-cloud-amd64; do
	[[ $v =~ $excl ]] || bad+=" $v(out)"
done
for v in 5.10.0-30-amd64 6.0.12-1-amd64 4.19.0-27-amd64 8.0.1-1-amd64 60.1.0-1; do
	[[ $v =~ $excl ]] && bad+=" $v(in)"
done
[ -n "$excl" ] && [ -z "$bad" ]
t "dkms.conf BUILD_EXCLUSIVE_KERNEL takes 6.1..7.x and no other" $? "regex '$excl':$bad"

# The file list, and the version resolved into VERSION and dkms.conf.
check_tree() {
	local d=$1
	(cd "$repo" && ls Kbuild module/*.[ch] module/uapi/linux/*.h; echo VERSION; echo dkms.conf) |
		sort >"$tmp/want"
	(cd "$d" && find . -type f | sed 's|^\./||' | sort) >"$tmp/got"
	diff -u "$tmp/want" "$tmp/got" &&
		[ "$(cat "$d/VERSION")" = "$ver" ] &&
		grep -q "^PACKAGE_VERSION=\"$ver\"$" "$d/dkms.conf"
}
out=$(make -s -C "$repo" dkms-install DESTDIR="$tmp/root" 2>&1 &&
      check_tree "$tmp/root/usr/src/twctl-$ver" 2>&1)
t "make dkms-install DESTDIR=...: the sources, VERSION and PACKAGE_VERSION $ver" $? "$out"
out=$(make -s -C "$repo" dkms-install 2>&1 && check_tree "$src" 2>&1)
t "make dkms-install: $src" $? "$out"

# --- dkms add, build, install, status --------------------------------------------
out=$(dkms add -m twctl -v "$ver" 2>&1)
t "dkms add -m twctl -v $ver" $? "$out"
for k in "${kernels[@]}"; do
	out=$(dkms build -m twctl -v "$ver" -k "$k" 2>&1 ||
	      cat "/var/lib/dkms/twctl/$ver/build/make.log" 2>/dev/null)
	t "dkms build -k $k" $? "$out"
done
for k in "${kernels[@]}"; do
	out=$(dkms install -m twctl -v "$ver" -k "$k" 2>&1)
	t "dkms install -k $k" $? "$out"
	# depmod ran: modinfo finds the module by name for that kernel.
	ko=$(modinfo -k "$k" -F filename twctl 2>&1)
	case $ko in
	"/lib/modules/$k/updates/dkms/twctl.ko"*) rc=0 ;;
	*) rc=1 ;;
	esac
	t "$k: twctl is in /lib/modules/$k/updates/dkms and in modules.dep" $rc "$ko"
	diffs=
	for field in version srcversion vermagic; do
		a=$(modinfo -F "$field" "$ko" 2>&1)
		b=$(modinfo -F "$field" "$repo/build/$k/twctl.ko" 2>&1)
		[ -n "$a" ] && [ "$a" = "$b" ] || diffs+="$field: dkms '$a', build/$k '$b'"$'\n'
	done
	[ -z "$diffs" ]
	t "$k: the dkms module is build/$k/twctl.ko (version, srcversion, vermagic)" $? "$diffs"
done
out=$(dkms status -m twctl -v "$ver" 2>&1)
rc=0
for k in "${kernels[@]}"; do
	grep -qxF "twctl/$ver, $k, x86_64: installed" <<<"$out" || rc=1
done
t "dkms status: twctl/$ver installed for both kernels" $rc "$out"

# --- dkms remove --------------------------------------------------------------------
out=$(dkms remove -m twctl -v "$ver" --all 2>&1)
t "dkms remove --all" $? "$out"
rc=0
out+=$'\n'$(dkms status -m twctl 2>&1)
[ -z "$(dkms status -m twctl 2>&1)" ] || rc=1
for k in "${kernels[@]}"; do
	if ls "/lib/modules/$k/updates/dkms"/twctl.ko* >/dev/null 2>&1 ||
	   modinfo -k "$k" twctl >/dev/null 2>&1; then
		rc=1
		out+=$'\n'"$k: still installed"
	fi
done
t "after remove: no twctl in dkms status, modules gone for both kernels" $rc "$out"

tap_done
