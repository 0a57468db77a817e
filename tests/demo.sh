#!/bin/bash
# make demo: boot Debian's 6.1 kernel in QEMU, load twctl, and show TIME_WAIT
# sockets and their timers with the stock 60 s and then with a tuned MSL.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
. tests/lib/kernels.sh
. tests/lib/build.sh
[ -n "${TWCTL_SKIP_DEPS:-}" ] || bash tests/deps.sh
sudo_() { "$@"; }
resolve_kernels
echo "demo: building twctl.ko for $K61"
build_module "$K61" "/lib/modules/$K61/build" >/dev/null
make -s -C tools >/dev/null
echo "demo: booting $K61 in QEMU (software emulation: a few seconds)"
tests/vm/run-vm.sh -t 300 "$K61" tests/vm/demo-guest.sh
