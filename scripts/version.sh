#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Prints the one version of twctl: the module's (modinfo, sysfs, netlink),
# the tool's (twctl -V) and the dkms package's.
#
# In a git checkout: `git describe`, with release tags named vX.Y.Z
# (v0.2.0-3-gabc1234-dirty prints 0.2.0-3-gabc1234-dirty); before the first
# tag, the VERSION file plus the commit (0.1.0-gabc1234-dirty). Elsewhere
# (dkms source tree, tarball, the test builds' copies): the VERSION file,
# which `make dkms-install` and tests/lib/build.sh fill with this output.
top=$(cd "$(dirname "$0")/.." && pwd)
base=$(cat "$top/VERSION")
if [ -e "$top/.git" ] &&
   v=$(git -C "$top" describe --tags --always --dirty --match 'v[0-9]*' 2>/dev/null); then
	case $v in
	v[0-9]*) echo "${v#v}" ;;
	*) echo "$base-g$v" ;;
	esac
else
	echo "$base"
fi
