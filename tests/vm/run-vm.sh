#!/bin/bash
# run-vm.sh [-t TIMEOUT] [-o OUTDIR] KERNEL SCRIPT [ARGS...]
#
# Boots KERNEL (a Debian ABI name such as 6.1.0-56-amd64 whose image is in the
# cache, or "debug" / "rtdebug" for our debug kernels) in QEMU with the host's root shared
# read-only, runs SCRIPT (bash or python3, by extension) inside as root and
# copies its output to stdout. Exit status: the script's, or 125 when the
# guest did not finish (timeout, panic) or its kernel logged a splat; then the
# last console lines and the guest's dmesg are printed. The host's root and
# the output directory reach the guest over 9p, or over virtiofs when the
# kernel has no 9p (Debian's cloud flavour): see "share" below.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$repo/tests/lib/kernels.sh"

timeout=600
outdir=
while getopts t:o: opt; do
	case $opt in
	t) timeout=$OPTARG ;;
	o) outdir=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || { sed -n '2,10p' "$0"; exit 2; }
kernel=$1 script=$2
shift 2

debug=
case $kernel in debug|rtdebug) debug=1 ;; esac
if [ -n "$debug" ]; then
	kdir=$(TWCTL_DEBUG_FLAVOUR=${kernel%debug} \
		"$repo/tests/kernel/debug-kernel.sh" --print-dir)
	image=$kdir/arch/x86/boot/bzImage
	kver=$(cat "$kdir/include/config/kernel.release")
	moddir=-
	twmods=
	ko=$repo/build/$kernel/twctl.ko
	kconfig=$kdir/.config
else
	kver=$kernel
	image=$(image_dir "$kver")/vmlinuz
	kconfig=$(image_dir "$kver")/boot/config-$kver
	moddir=$(image_dir "$kver")/lib/modules/$kver
	twmods=$(image_dir "$kver")/lib/modules
	ko=$repo/build/$kver/twctl.ko
fi
[ -f "$image" ] || { echo "run-vm: no kernel image $image (run make deps)" >&2; exit 125; }

# How the guest sees the host's root (read-only) and the output directory:
# the kernel's config decides, the one place where flavours differ here.
# - 9p (virtio-9p, QEMU's -virtfs): every kernel with CONFIG_NET_9P;
# - virtiofs: Debian's cloud flavour has no 9p at all, but CONFIG_VIRTIO_FS=y
#   and CONFIG_VIRTIO_PCI=y (no module to load). Its server, virtiofsd, is
#   packaged in trixie, not in bookworm: it runs in the trixie chroot
#   (tests/lib/kernels.sh, setup_virtiofsd), one per share, on the host
#   directory bind-mounted into the chroot, and QEMU reaches its socket there.
#   The guest's memory must be shareable with it (memfd, share=on).
share=9p
initmods=
if [ -f "$kconfig" ] && ! grep -q '^CONFIG_NET_9P=' "$kconfig"; then
	grep -q '^CONFIG_VIRTIO_FS=' "$kconfig" ||
		{ echo "run-vm: $kver has neither 9p nor virtiofs for the host share" >&2; exit 125; }
	share=virtiofs
	initmods="virtio_pci virtiofs"	# when not built in
fi

# The initramfs depends on the kernel's modules and on our init script only.
key=$( (echo "$kver $initmods"; cat "$here/init" "$here/mkinitramfs.sh") | sha256sum | cut -c1-16)
rd=$TWCTL_CACHE/initramfs/$kver-$key.cpio.gz
if [ ! -f "$rd" ]; then
	mkdir -p "$(dirname "$rd")"
	# no module list: mkinitramfs.sh's own (9p)
	"$here/mkinitramfs.sh" "$moddir" "$kver" "$rd" ${initmods:+"$initmods"}
fi

vfs=		# virtiofs: the directory of virtiofsd's sockets and logs
vfs_pids=()
# shellcheck disable=SC2317 # run by the trap
cleanup() {
	local p t
	set +e
	for p in "${vfs_pids[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ -n "$vfs" ]; then
		# the bind mounts were private to virtiofsd's mount namespace:
		# empty directories here; rmdir, never rm -r, on them
		for t in hostroot twout; do
			rm -f "$vfs/$t.sock" "$vfs/$t.sock.pid" "$vfs/$t.log"
			rmdir "$vfs/$t.dir" 2>/dev/null
		done
		rmdir "$vfs"
	fi
	[ -z "$own_outdir" ] || rm -rf "$outdir"
}
own_outdir=
if [ -z "$outdir" ]; then
	outdir=$(mktemp -d /tmp/twvm.XXXXXX)
	own_outdir=1
fi
trap cleanup EXIT
mkdir -p "$outdir"
rm -f "$outdir"/{rc,output,dmesg,console.log,stopped,qemu.pid}

case $script in
*.py) runner="/usr/bin/python3 -u" ;;
*) runner="/bin/bash" ;;
esac
script=$(cd "$(dirname "$script")" && pwd)/$(basename "$script")
{
	echo "export TWCTL_REPO=$(printf %q "$repo") TWCTL_KVER=$(printf %q "$kver")"
	echo "export TWCTL_KO=$(printf %q "$ko") TWCTL_TOOL=$(printf %q "$repo/tools/twctl")"
	echo "export TWCTL_CACHE=$(printf %q "$TWCTL_CACHE")"
	# the debug kernel (KASAN, lockdep) runs TCP ~10x slower than Debian's
	[ -z "$debug" ] || echo "export TWCTL_SLOW=1"
	# tests/mutants.sh: a deliberately broken module in place of the real one
	[ -z "${TWCTL_KO_OVERRIDE:-}" ] || echo "export TWCTL_KO=$(printf %q "$TWCTL_KO_OVERRIDE")"
	[ -z "${TWCTL_KUNIT_KO:-}" ] || echo "export TWCTL_KUNIT_KO=$(printf %q "$TWCTL_KUNIT_KO")"
	echo "export PYTHONPATH=$(printf %q "$repo/tests/vm") PYTHONDONTWRITEBYTECODE=1"
	printf 'exec %s %q' "$runner" "$script"
	printf ' %q' "$@"
	echo
} > "$outdir/job"

# KVM when /dev/kvm exists and really boots a guest (some sandboxes expose a
# /dev/kvm that cannot run one); TCG otherwise. Probed once per host boot.
# TWCTL_ACCEL=tcg|kvm overrides.
kvm_works() {
	local stamp
	stamp=$TWCTL_CACHE/kvm-probe-$(cat /proc/sys/kernel/random/boot_id)
	[ -w /dev/kvm ] || return 1
	if [ ! -f "$stamp" ]; then
		if (timeout -k 2 20 qemu-system-x86_64 -enable-kvm -cpu host -m 256 \
			-display none -monitor none -serial none -no-reboot \
			-kernel "$image" -initrd "$rd" -append "twprobe=1 panic=-1" \
			</dev/null >/dev/null 2>&1) 2>/dev/null; then
			echo yes > "$stamp"
		else
			echo no > "$stamp"
		fi
	fi
	[ "$(cat "$stamp")" = yes ]
}
case ${TWCTL_ACCEL:-auto} in
kvm) accel=(-enable-kvm -cpu host) ;;
tcg) accel=(-accel tcg) ;;
*) if kvm_works; then accel=(-enable-kvm -cpu host); else accel=(-accel tcg); fi ;;
esac
# Two vCPUs under KVM. Under TCG one: with two, a vCPU can still run a
# translated block holding the int3 of a finished text_poke_bp() (static
# keys, ftrace), and the guest dies with "Oops: int3" in TCP code when
# twctl's probes are armed while another vCPU runs TCP traffic. Seen with
# QEMU 7.2 on the 6.12 kernel; TWCTL_VM_SMP overrides.
if [ "${accel[0]}" = -enable-kvm ]; then smp=${TWCTL_VM_SMP:-2}; else smp=${TWCTL_VM_SMP:-1}; fi
# TWCTL_VM_ICOUNT=N (TCG only): the guest clock counts instructions, 2^N ns
# each, so guest-timed rates measure instructions, not this host's load
# (bench/run.sh --icount).
if [ -n "${TWCTL_VM_ICOUNT:-}" ]; then
	[ "${accel[0]}" != -enable-kvm ] || { echo "run-vm: TWCTL_VM_ICOUNT needs TCG" >&2; exit 2; }
	accel+=(-icount "shift=$TWCTL_VM_ICOUNT,sleep=on")
fi

# This host's guest lock (vm_lock, tests/lib/kernels.sh): by default one
# guest at a time, as two emulated guests starve each other into RCU stall
# reports and timing failures; TWCTL_VM_LOCK=shared for guests that may run
# side by side, =0 to take no lock.
vm_lock || exit 2

# Guest memory: the debug kernel's kmemleak scans take time in proportion
# to it (and are run between suites), so it gets half. TWCTL_VM_MEM (MiB)
# overrides.
mem=${TWCTL_VM_MEM:-$([ -n "$debug" ] && echo 1024 || echo 2048)}

# start_virtiofsd TAG DIR OPTS...: virtiofsd from the trixie chroot serving
# host directory DIR as TAG, on the socket $vfs/TAG.sock; returns once the
# socket is there, fails (with virtiofsd's log) when it does not come. Its
# own sandbox is a chroot into DIR: the default one (namespaces and
# pivot_root) cannot start inside a chroot ("Error entering sandbox:
# CleanMount(... Invalid argument)").
start_virtiofsd() {
	local tag=$1 dir=$2 c pid n=0
	shift 2
	c=$(chroot_dir trixie)
	mkdir "$vfs/$tag.dir"
	# shellcheck disable=SC2016 # the inner shell expands
	unshare -m --propagation private -- sh -c '
		c=$1 dir=$2 mnt=$3
		shift 3
		mount --rbind "$dir" "$c$mnt" &&
		mount -t proc proc "$c/proc" &&
		exec chroot "$c" "$@"' sh "$c" "$dir" "${vfs#"$c"}/$tag.dir" \
		"$VIRTIOFSD" --sandbox=chroot --shared-dir "${vfs#"$c"}/$tag.dir" \
		--socket-path "${vfs#"$c"}/$tag.sock" "$@" >"$vfs/$tag.log" 2>&1 &
	pid=$!
	vfs_pids+=("$pid")
	until [ -S "$vfs/$tag.sock" ]; do
		if ! kill -0 "$pid" 2>/dev/null || [ $((n += 1)) -gt 300 ]; then
			echo "run-vm: virtiofsd for $tag ($dir) did not start; its log:"
			sed 's/^/  | /' "$vfs/$tag.log"
			return 1
		fi
		sleep 0.1
	done
}

case $share in
9p)
	# shellcheck disable=SC2054 # commas: QEMU's option syntax
	shares=(-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap
		-virtfs "local,path=$outdir,mount_tag=twout,security_model=none,multidevs=remap")
	;;
virtiofs)
	[ -x "$(chroot_dir trixie)$VIRTIOFSD" ] ||
		{ echo "run-vm: no virtiofsd in $(chroot_dir trixie) (TWCTL_KERNELS=cloud tests/deps.sh)"; exit 125; }
	vfs=$(mktemp -d "$(chroot_dir trixie)/run/twvfs.XXXXXX")
	# the root: read-only for virtiofsd (and mounted so in the guest),
	# cached like 9p's cache=loose; the output directory: written through
	start_virtiofsd hostroot / --readonly --cache=always || exit 125
	start_virtiofsd twout "$outdir" --cache=never || exit 125
	# shellcheck disable=SC2054 # commas: QEMU's option syntax
	shares=(-object "memory-backend-memfd,id=mem,size=${mem}M,share=on" -numa node,memdev=mem
		-chardev "socket,id=hostroot,path=$vfs/hostroot.sock"
		-device vhost-user-fs-pci,chardev=hostroot,tag=hostroot
		-chardev "socket,id=twout,path=$vfs/twout.sock"
		-device vhost-user-fs-pci,chardev=twout,tag=twout)
	;;
esac

# Under TCG a guest's vCPU is a host thread that can wait for the CPU while
# the other lane of make check runs: the RCU stall and soft lockup
# detectors get twice their default patience (they still fire on a real
# lockup).
stall=
[ "${accel[0]}" = -enable-kvm ] || stall="rcupdate.rcu_cpu_stall_timeout=42 watchdog_thresh=20"

set +e
timeout -k 10 "$timeout" qemu-system-x86_64 "${accel[@]}" -m "$mem" -smp "$smp" \
	-display none -monitor none -no-reboot -pidfile "$outdir/qemu.pid" \
	-serial "file:$outdir/console.log" \
	-kernel "$image" -initrd "$rd" \
	-append "console=ttyS0 panic=-1 oops=panic loglevel=4 $stall twmods=$twmods twrepo=$repo twshare=$share" \
	"${shares[@]}" \
	</dev/null &
qpid=$!
# A guest whose job has ended (rc written) powers off within seconds. One
# that does not (seen once: the RT debug kernel, after its last suite and
# the kmemleak scan) is stopped 30 s later rather than at the timeout, and
# says so.
(
	while kill -0 $qpid 2>/dev/null; do
		if [ -f "$outdir/rc" ]; then
			sleep 30
			kill -0 $qpid 2>/dev/null || exit 0
			touch "$outdir/stopped"
			kill $qpid
			exit 0
		fi
		sleep 1
	done
) &
wpid=$!
wait $qpid
qrc=$?
kill $wpid 2>/dev/null
set -e
if [ -f "$outdir/stopped" ]; then
	echo "# run-vm: the guest did not power off 30 s after its job ended; stopped; last console lines:"
	tail -n 5 "$outdir/console.log" 2>/dev/null | sed 's/^/#   | /'
fi

[ -f "$outdir/output" ] && cat "$outdir/output"

splat='BUG:|WARNING:|Oops|KASAN|UBSAN|suspected memory leak|possible circular locking|possible recursive locking|INFO: rcu|soft lockup|hung task|Kernel panic|general protection fault|unreferenced object'
log=$outdir/dmesg
[ -f "$log" ] || log=$outdir/console.log
if [ ! -f "$outdir/rc" ]; then
	if [ $qrc -eq 124 ] || [ $qrc -eq 137 ]; then
		why="timed out after ${timeout}s"
	else
		why="did not finish (qemu exit $qrc)"
	fi
	echo "run-vm: guest ($kver) $why; last console lines:"
	tail -n 40 "$outdir/console.log" 2>/dev/null | sed 's/^/  | /'
	for t in hostroot twout; do
		[ -s "$vfs/$t.log" ] || continue
		echo "run-vm: virtiofsd ($t) said:"
		tail -n 10 "$vfs/$t.log" | sed 's/^/  | /'
	done
	exit 125
fi
# tests/vm/suites.py scans per suite (TWCTL_VM_NOSCAN=1): the runner marks
# the kernel log before each suite.
if [ -z "${TWCTL_VM_NOSCAN:-}" ] && grep -E -q "$splat" "$log"; then
	echo "run-vm: the guest kernel ($kver) logged a splat:"
	grep -E -A 30 "$splat" "$log" | head -n 80 | sed 's/^/  | /'
	exit 125
fi
exit "$(cat "$outdir/rc")"
