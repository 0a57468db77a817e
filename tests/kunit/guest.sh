#!/bin/bash
# Inside the debug-kernel VM: load the KUnit test module and print the KTAP
# that KUnit logs for its suites.
set -eu
echo "twctl-kunit: start" >/dev/kmsg
insmod "$TWCTL_REPO/build/kunit/twctl_kunit.ko"
rmmod twctl_kunit
dmesg --notime | sed -n '/twctl-kunit: start/,$p' | sed -n '/^KTAP version/,$p'
