#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make deb: the Debian packages twctl and twctl-dkms (debian/) into
# build/deb/, with dpkg-buildpackage -us -uc -b on a copy of the tree,
# build/deb/twctl-VERSION.
#
# VERSION is scripts/version.sh's (0.1.0~57.gabc1234 before the first tag):
# written into the copy's VERSION file, and into its debian/changelog when
# the changelog says otherwise. As `gbp dch --snapshot` does, a snapshot
# renames the top entry while it is UNRELEASED (the entry of the coming
# release, whose version it sorts before) and adds one above a released
# entry. The checkout itself is not touched, so it does not turn "dirty".
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
ver=$(sh scripts/version.sh)
out=$top/build/deb
src=$out/twctl-$ver

rm -rf "$out"
mkdir -p "$src"
# The tree's files (tracked or not, but not ignored build products).
files=(Makefile Kbuild VERSION dkms.conf README.md docs/INSTALL.md scripts module
       tools packaging debian)
if [ -e .git ]; then
	git ls-files -co --exclude-standard -- "${files[@]}"
else
	find "${files[@]}" -type f
fi | while read -r f; do
	[ ! -f "$f" ] || cp -p --parents "$f" "$src/"
done
echo "$ver" >"$src/VERSION"

cl=$src/debian/changelog
clver=$(dpkg-parsechangelog -l "$cl" -S Version)
if [ "$clver" != "$ver" ]; then
	if [ "$(dpkg-parsechangelog -l "$cl" -S Distribution)" = UNRELEASED ]; then
		sed -i "1s/^twctl ([^)]*)/twctl ($ver)/" "$cl"
	else
		# the commit's date: the same tree builds the same packages
		when=$(date -R -d "@$(git log -1 --format=%ct 2>/dev/null || date +%s)")
		{
			printf 'twctl (%s) UNRELEASED; urgency=medium\n\n' "$ver"
			printf '  * Snapshot of %s (make deb).\n\n' \
				"$(git rev-parse --short HEAD 2>/dev/null || echo "a tree without git")"
			printf ' -- %s  %s\n\n' "$(dpkg-parsechangelog -l "$cl" -S Maintainer)" "$when"
			cat "$cl"
		} >"$cl.new"
		mv "$cl.new" "$cl"
	fi
fi
[ "$(dpkg-parsechangelog -l "$cl" -S Version)" = "$ver" ] ||
	{ echo "mkdeb: debian/changelog does not say $ver" >&2; exit 1; }

(cd "$src" && dpkg-buildpackage -us -uc -b -Jauto)
rm -rf "$src"
echo "mkdeb: in $out:"
ls "$out"
