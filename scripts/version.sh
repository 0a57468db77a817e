#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Prints the one version of twctl: the module's (modinfo, sysfs, netlink),
# the tool's (twctl -V), the dkms package's and the Debian packages' (make
# deb). It is a Debian version, so that packages of successive builds sort
# as they should (dpkg --compare-versions):
#
#   before the first tag:  VERSION file ~ N . commit  0.1.0~57.gabc1234 (< 0.1.0)
#   at a tag vX.Y.Z:       X.Y.Z                   0.2.0
#   N commits after it:    X.Y.Z + N . commit      0.2.0+3.gabc1234 (> 0.2.0)
#   uncommitted changes:   +dirty appended         0.1.0~57.gabc1234+dirty
#   a pre-release tag:     - becomes ~             v0.2.0-rc1: 0.2.0~rc1
#
# N counts the commits, so that snapshots sort by age, not by hash.
#
# In a git checkout from `git describe` (release tags are named vX.Y.Z);
# elsewhere (dkms source tree, tarball, the test builds' copies, make deb's
# build tree) the VERSION file, which `make dkms-install`,
# tests/lib/build.sh and make deb fill with this output.
top=$(cd "$(dirname "$0")/.." && pwd)
base=$(cat "$top/VERSION")
if [ -e "$top/.git" ] &&
   v=$(git -C "$top" describe --tags --always --dirty --match 'v[0-9]*' 2>/dev/null); then
	dirty=
	case $v in
	*-dirty) v=${v%-dirty} dirty=+dirty ;;
	esac
	case $v in
	v[0-9]*-[0-9]*-g[0-9a-f]*)	# vX.Y.Z-N-gHASH
		tag=${v%-*-g*} rest=${v#"$tag"-}
		v=${tag#v}+${rest%%-*}.g${v##*-g} ;;
	v[0-9]*) v=${v#v} ;;
	*) v=$base~$(git -C "$top" rev-list --count HEAD).g$v ;;
	esac
	# a pre-release tag's "-" (v0.2.0-rc1) is a "~": 0.2.0~rc1 < 0.2.0
	echo "$v$dirty" | tr - '~'
else
	echo "$base"
fi
