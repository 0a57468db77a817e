# shellcheck shell=bash
# What the host checks that run the real dkms (tests/host/dkms.sh,
# tests/host/package.sh) must give back: the kernel trees they touch and
# DKMS's signing key. dkms_host_note DIR KERNEL... notes the state before
# (in DIR); dkms_host_restore DIR KERNEL... removes twctl's modules from
# those trees and whatever depmod, dkms or they created that was not
# there, and the key if dkms made it.

dkms_host_mok=/var/lib/dkms/mok

dkms_host_note() {
	local dir=$1 k
	shift
	[ -e "$dkms_host_mok.key" ] || [ -e "$dkms_host_mok.pub" ] ||
		: >"$dir/made-mok"
	for k in "$@"; do
		ls -A "/lib/modules/$k" >"$dir/before-$k"
		[ -d "/lib/modules/$k/updates" ] || echo updates >>"$dir/made-$k"
		[ -d "/lib/modules/$k/updates/dkms" ] ||
			echo updates/dkms >>"$dir/made-$k"
	done
}

dkms_host_restore() {
	local dir=$1 k f
	shift
	for k in "$@"; do
		rm -f "/lib/modules/$k/updates/dkms"/twctl.ko*
		depmod -a "$k" 2>/dev/null
		# What depmod and dkms created in a tree that had no modules.
		for f in "/lib/modules/$k"/modules.*; do
			[ ! -e "$f" ] || [ ! -f "$dir/before-$k" ] ||
				grep -qxF "${f##*/}" "$dir/before-$k" || rm -f "$f"
		done
		if [ -f "$dir/made-$k" ]; then
			tac "$dir/made-$k" | while read -r f; do
				rmdir "/lib/modules/$k/$f" 2>/dev/null
			done
		fi
	done
	[ ! -e "$dir/made-mok" ] || rm -f "$dkms_host_mok.key" "$dkms_host_mok.pub"
}
