#!/bin/bash
# The boot files (packaging/) as `make boot-install` puts them, for PREFIX
# /usr and /usr/local: systemd-analyze verify finds nothing wrong with
# twctl.service in the staged root (its ExecStart is the installed tool, its
# ordering against systemd-modules-load, systemd-sysctl and network-pre /
# network-online is the documented one), the modules-load.d file names the
# module, and the check bites: a unit whose tool is missing fails it.
# One TAP line per check, the plan "1..N" last (tests/lib/tap.sh).
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source-path=SCRIPTDIR/../.. source=tests/lib/tap.sh disable=SC1091
. "$repo/tests/lib/tap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

t() { tap_check "boot files: $1" "$2" "${3:-}"; }

for prefix in /usr /usr/local; do
	root=$tmp/root$prefix
	out=$(make -s -C "$repo" boot-install tool-install DESTDIR="$root" PREFIX="$prefix" 2>&1)
	t "make boot-install tool-install DESTDIR PREFIX=$prefix" $? "$out"
	unit=$root$prefix/lib/systemd/system/twctl.service
	# what the unit runs must exist inside the root it is verified in
	mkdir -p "$root/sbin" && cp -L "$(command -v modprobe)" "$root/sbin/modprobe"
	out=$(systemd-analyze verify --man=no --root="$root" "$unit" 2>&1) && [ -z "$out" ]
	t "systemd-analyze verify: twctl.service ($prefix) clean" $? "$out"
	grep -qx "ExecStart=$prefix/sbin/twctl -b /etc/twctl.conf" "$unit"
	t "twctl.service ($prefix) runs $prefix/sbin/twctl -b /etc/twctl.conf" $? "$(cat "$unit")"
	[ "$(grep -v '^#' "$root$prefix/lib/modules-load.d/twctl.conf")" = twctl ]
	t "modules-load.d/twctl.conf ($prefix) loads twctl" $?
done

# The order the unit states (docs/INSTALL.md, "Boot order").
unit=$tmp/root/usr/usr/lib/systemd/system/twctl.service
after=$(sed -n 's/^After=//p' "$unit") before=$(sed -n 's/^Before=//p' "$unit")
case " $after " in *" systemd-modules-load.service "*) ;; *) false ;; esac &&
	case " $after " in *" systemd-sysctl.service "*) ;; *) false ;; esac &&
	case " $before " in *" network-pre.target "*) ;; *) false ;; esac &&
	case " $before " in *" network-online.target "*) ;; *) false ;; esac
t "twctl.service: after systemd-modules-load and systemd-sysctl, before network-pre and network-online" $? \
	"After=$after Before=$before"

# The check can fail: without the tool in the root, verify complains.
rm "$tmp/root/usr/usr/sbin/twctl"
! out=$(systemd-analyze verify --man=no --root="$tmp/root/usr" "$unit" 2>&1) &&
	[[ $out == *"/usr/sbin/twctl is not executable"* ]]
t "systemd-analyze verify fails a unit whose tool is not installed" $? "$out"

tap_done
