#!/bin/bash
# `make install` and `make uninstall` into a temporary DESTDIR, for one test
# kernel ($K61), with PREFIX=/usr: the module goes to
# /lib/modules/$K61/updates through the kernel's modules_install (no depmod
# files: that is the packager's job with DESTDIR), the tool, its man page and
# its bash completion, the boot files (packaging/: twctl.service,
# modules-load.d, examples) under PREFIX; uninstall removes exactly those
# files.
# Runs on a copy of the sources without .git, as from a tarball: the version
# comes from the VERSION file, and module and tool must both report it.
# Without kernel headers, plain make says what to install; make tool works.
# One TAP line per check, the plan "1..N" last (tests/lib/tap.sh); exit
# status 1 if any failed.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source-path=SCRIPTDIR/../.. source=tests/lib/kernels.sh disable=SC1091
. "$repo/tests/lib/kernels.sh"
# shellcheck source-path=SCRIPTDIR/../.. source=tests/lib/tap.sh disable=SC1091
. "$repo/tests/lib/tap.sh"
# shellcheck disable=SC2317 # called by resolve_kernels
sudo_() { "$@"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# t NAME STATUS [OUTPUT]: one TAP line; on failure OUTPUT as diagnostics.
t() { tap_check "install: $1" "$2" "${3:-}"; }

resolve_kernels || { t "test kernels resolved" 1; tap_done; }
src=$tmp/src root=$tmp/root
version=$(cat "$repo/VERSION")

# The tree's files (tracked or not, but not ignored build products).
mkdir -p "$src" "$root"
(cd "$repo" && git ls-files -co --exclude-standard -- \
	Makefile Kbuild VERSION dkms.conf scripts module tools packaging |
	while read -r f; do [ ! -f "$f" ] || cp --parents "$f" "$src/"; done)

out=$(make -C "$src" install KDIR="/lib/modules/$K61/build" DESTDIR="$root" \
	PREFIX=/usr 2>&1)
t "make install KDIR=.../$K61/build DESTDIR=... PREFIX=/usr" $? "$out"

ko=lib/modules/$K61/updates/twctl.ko
cat >"$tmp/want" <<EOF
$ko
usr/lib/modules-load.d/twctl.conf
usr/lib/systemd/system/twctl.service
usr/sbin/twctl
usr/share/bash-completion/completions/twctl
usr/share/doc/twctl/examples/modprobe.d-twctl.conf
usr/share/doc/twctl/examples/twctl.conf
usr/share/man/man8/twctl.8
EOF
(cd "$root" && find . ! -type d | sed 's|^\./||' | sort) >"$tmp/got"
out=$(diff -u "$tmp/want" "$tmp/got")
t "installs exactly the module in updates/, sbin/twctl, man8/twctl.8, bash completion, boot files" $? "$out"
grep -qx 'ExecStart=/usr/sbin/twctl -b /etc/twctl.conf' "$root/usr/lib/systemd/system/twctl.service"
t "twctl.service runs the installed tool (PREFIX=/usr: /usr/sbin/twctl)" $?

out=$(modinfo -F vermagic "$root/$ko" 2>&1)
[ "${out%% *}" = "$K61" ]
t "the module is built for $K61" $? "$out"
out="module: $(modinfo -F version "$root/$ko" 2>&1); tool: $("$root/usr/sbin/twctl" -V 2>&1 | head -n 1)"
[ "$out" = "module: $version; tool: twctl $version (netlink v1)" ]
t "without .git, module and tool both report the VERSION file's $version" $? "$out"
[ -x "$root/usr/sbin/twctl" ] && [ ! -x "$root/usr/share/man/man8/twctl.8" ] &&
	MANWIDTH=80 man -l "$root/usr/share/man/man8/twctl.8" 2>&1 | grep -q '^NAME'
t "the tool is executable, the man page reads" $?

out=$(make -C "$src" uninstall KDIR="/lib/modules/$K61/build" DESTDIR="$root" \
	PREFIX=/usr 2>&1) &&
	out+=$(cd "$root" && find . ! -type d) &&
	[ -z "$(cd "$root" && find . ! -type d)" ]
t "make uninstall removes every installed file" $? "$out"

# Without kernel headers: plain make says what to install, make tool works.
out=$(make -C "$src" KDIR="$tmp/no-headers" 2>&1)
rc=$?
[ $rc != 0 ] && grep -qF "apt-get install linux-headers-$(uname -r)" <<<"$out" &&
	grep -qF "make KDIR=/lib/modules/<version>/build" <<<"$out"
t "make without kernel headers fails saying: install linux-headers-\$(uname -r) or set KDIR" $? "$out"
out=$(make -s -C "$src/tools" clean 2>&1 && make -C "$src" KDIR="$tmp/no-headers" tool 2>&1) &&
	[ -x "$src/tools/twctl" ]
t "make tool builds the tool without kernel headers" $? "$out"

tap_done
