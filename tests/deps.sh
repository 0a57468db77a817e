#!/bin/bash
# Install everything the build, the demo and the tests need on a Debian bookworm
# machine, and fetch the two test kernels into a cache outside the git tree.
# When TWCTL_KERNELS (tests/check.sh) names trixie or sid, also that release's
# chroot, kernel headers and image (tests/lib/kernels.sh, setup_release);
# when it names cloud, also virtiofsd in the trixie chroot (that kernel has no
# 9p for the test guests).
# Re-runs with everything present take seconds and do not touch the network.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/kernels.sh
. "$here/lib/kernels.sh"

need_pkgs=(build-essential bc bison flex libelf-dev libssl-dev dwarves cpio kmod
	   pkg-config libmnl-dev qemu-system-x86 busybox-static xz-utils
	   iproute2 python3 python3-yaml python3-jsonschema sparse dkms shellcheck
	   pyflakes3
	   linux-source-6.12 groff-base man-db prometheus prometheus-node-exporter
	   procps systemd util-linux runc containernetworking-plugins
	   debhelper dh-dkms lintian)

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Later Debian releases' kernels, built in a chroot per release: only when
# asked for.
releases=()
bookworm=(K61 K612)		# kernels of this release: headers and image
virtiofs=			# virtiofsd (the cloud kernel has no 9p)
for k in ${TWCTL_KERNELS:-}; do
	case $k in
	trixie|sid) releases+=("$k") ;;
	rt) bookworm+=(KRT) ;;
	cloud) bookworm+=(KCLOUD) virtiofs=1 ;;
	esac
done
if [ ${#releases[@]} -gt 0 ] || [ -n "$virtiofs" ]; then
	need_pkgs+=(debootstrap)
fi

missing=()
for p in "${need_pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done

# Kernel ABI names are resolved from apt's local lists (no network unless the
# lists do not know them yet).
resolve_kernels
for kv in "${bookworm[@]}"; do
	v=${!kv}
	dpkg-query -W -f='${Status}' "linux-headers-$v" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("linux-headers-$v")
done

if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	[ -n "${apt_updated:-}" ] || sudo_ apt-get update -qq
	sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
fi

for kv in "${bookworm[@]}"; do
	fetch_image "${!kv}"
done
more=
for rel in "${releases[@]}"; do
	setup_release "$rel"
	v=$(_kvar "$rel")
	more+=" $rel=${!v}"
done
if [ -n "$virtiofs" ]; then
	setup_virtiofsd		# in the trixie chroot (tests/lib/kernels.sh)
	more+=" cloud=$KCLOUD"
fi
# The kernel's YNL tools and netlink schemas (tests/host/ynl.sh, and
# test_netlink.py in the guests).
ynl=$TWCTL_CACHE/ynl
if [ ! -f "$ynl/tools/net/ynl/cli.py" ]; then
	rm -rf "$ynl.new" && mkdir -p "$ynl.new"
	tar -xJf /usr/src/linux-source-6.12.tar.xz -C "$ynl.new" --strip-components=1 \
		linux-source-6.12/tools/net/ynl linux-source-6.12/Documentation/netlink
	rm -rf "$ynl" && mv "$ynl.new" "$ynl"
fi
echo "deps: ok (6.1=$K61 6.12=$K612$more, cache $TWCTL_CACHE)"
