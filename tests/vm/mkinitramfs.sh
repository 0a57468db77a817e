#!/bin/bash
# mkinitramfs.sh MODDIR KVER OUT [MODULES]: a busybox initramfs for the test
# VM. MODDIR is the kernel's module tree (lib/modules/KVER) or "-" when the
# kernel has virtio and 9p built in. MODULES (default "virtio_pci 9pnet_virtio
# 9p": what the host share needs, tests/vm/run-vm.sh) are found with their
# dependencies in modules.dep and written in load order, decompressed; those
# the kernel has built in are not in modules.dep and are left out.
set -euo pipefail
moddir=$1 out=$3	# $2, the kernel version, is not needed here
modules=${4:-virtio_pci 9pnet_virtio 9p}
here=$(cd "$(dirname "$0")" && pwd)
bb=$(command -v busybox || echo /bin/busybox)
[ -x "$bb" ] || { echo "mkinitramfs: busybox-static is missing" >&2; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,mnt,modules}
cp "$bb" "$root/bin/busybox"
for a in $("$bb" --list); do
	[ "$a" = busybox ] || ln -s busybox "$root/bin/$a"
done
cp "$here/init" "$root/init"
chmod 755 "$root/init"
: > "$root/etc/modules.order"

if [ "$moddir" != - ]; then
	# Topological order from modules.dep: every module after its deps.
	# shellcheck disable=SC2086 # one word per module
	python3 - "$moddir" $modules > "$root/etc/modules.list" <<'PY'
import os, sys
moddir, wanted = sys.argv[1], sys.argv[2:]
deps = {}
for line in open(os.path.join(moddir, "modules.dep")):
    mod, _, rest = line.partition(":")
    deps[mod] = rest.split()
def name(path):
    return os.path.basename(path).split(".ko")[0].replace("-", "_")
byname = {name(p): p for p in deps}
order, seen = [], set()
def visit(p):
    if p in seen:
        return
    seen.add(p)
    for d in deps.get(p, []):
        visit(d)
    order.append(p)
for w in wanted:
    if w in byname:
        visit(byname[w])
print("\n".join(order))
PY
	while read -r rel; do
		[ -n "$rel" ] || continue
		base=$(basename "$rel")
		base=${base%.xz}
		case "$rel" in
		*.xz) xz -dc "$moddir/$rel" > "$root/modules/$base" ;;
		*) cp "$moddir/$rel" "$root/modules/$base" ;;
		esac
		echo "$base" >> "$root/etc/modules.order"
	done < "$root/etc/modules.list"
fi

(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp"
mv "$out.tmp" "$out"
