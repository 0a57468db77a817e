#!/bin/bash
# The Debian packages (debian/, make deb) as an administrator meets them, on
# this host, for both Debian 12 kernels ($K61, $K612):
#  - scripts/version.sh's versions sort as Debian versions should;
#  - make deb builds twctl and twctl-dkms; dpkg-buildflags' hardening flags
#    reach the tool (compile lines, RELRO, BIND_NOW, PIE, fortify) and
#    -Werror does not (it is make check's, WERROR=1); the packages hold the
#    expected files, all of one version;
#  - lintian: no error, and no warning but those kept below;
#  - apt-get install of both: DKMS builds twctl for both kernels into
#    /lib/modules/KVER/updates/dkms, no unit gets enabled;
#  - one boot of each kernel (tests/vm/pkg_smoke.py): modprobe loads the
#    module DKMS built, the packaged twctl sets the MSL, a TIME_WAIT lasts
#    2 x MSL, modprobe -r unloads;
#  - apt-get purge removes every file the packages installed (dpkg -L) and
#    every directory they made, the modules DKMS built, its tree and state.
# The host is left as it was found, even on failure: the packages, DKMS's
# tree, /usr/src/twctl-*, depmod's files in a kernel tree that had none,
# and DKMS's MOK key if it made one. Holds the lock tests/host/dkms.sh
# takes: both use the host's dkms and /usr/src.
# One TAP line per check, the plan "1..N" last (tests/lib/tap.sh); exit
# status 1 if any failed. Needs root, and make deps (debhelper, dh-dkms,
# lintian, the test kernels' headers and images).
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source-path=SCRIPTDIR/../.. source=tests/lib/kernels.sh disable=SC1091
. "$repo/tests/lib/kernels.sh"
# shellcheck source-path=SCRIPTDIR/../.. source=tests/lib/tap.sh disable=SC1091
. "$repo/tests/lib/tap.sh"
# shellcheck source-path=SCRIPTDIR/../.. source=tests/lib/dkmshost.sh disable=SC1091
. "$repo/tests/lib/dkmshost.sh"
# shellcheck disable=SC2317 # called by resolve_kernels
sudo_() { "$@"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# t NAME STATUS [OUTPUT]: one TAP line; on failure OUTPUT as diagnostics.
t() { tap_check "package: $1" "$2" "${3:-}"; }

# lintian warnings kept, as tag names separated by spaces, each with why.
# None now. (docs/INSTALL.md is not in /usr/share/doc/twctl: lintian's
# package-contains-upstream-installation-documentation is right, an
# installed system needs no install guide; README.md points to it.)
LINTIAN_KEEP=""

[ "$(id -u)" = 0 ] || { t "runs as root" 1; tap_done; }
for c in dpkg-buildpackage dh dh_dkms lintian dkms; do
	command -v "$c" >/dev/null || { t "$c is installed (make deps)" 1; tap_done; }
done
resolve_kernels || { t "test kernels resolved" 1; tap_done; }
kernels=("$K61" "$K612")
pkgs=(twctl twctl-dkms)
# One at a time on this machine, and not beside tests/host/dkms.sh.
mkdir -p "$TWCTL_CACHE"
exec 9>"$TWCTL_CACHE/dkms.lock"
flock 9

ver=$(sh "$repo/scripts/version.sh")
for p in "${pkgs[@]}"; do
	if dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -qv '^unknown ok not-installed$\|^$'; then
		t "$p is not installed here already (apt-get purge $p)" 1
		tap_done
	fi
done
if [ -e "/usr/src/twctl-$ver" ] || [ -e "/var/lib/dkms/twctl/$ver" ]; then
	t "twctl/$ver is not in dkms already (dkms remove twctl/$ver --all; rm -r /usr/src/twctl-$ver)" 1
	tap_done
fi

# --- versions sort as Debian's (scripts/version.sh, in a scratch repo) --------
g=$tmp/git
mkdir -p "$g/scripts" && cp "$repo/scripts/version.sh" "$g/scripts/" && echo 0.1.0 >"$g/VERSION"
vers=()
gitc() { git -C "$g" -c user.name=t -c user.email=t@t.invalid "$@" >/dev/null 2>&1; }
gitc init -q && gitc add -A && gitc commit -qm one
vers+=("$(sh "$g/scripts/version.sh")")		# 0.1.0~1.gHASH
echo >>"$g/scripts/version.sh"
vers+=("$(sh "$g/scripts/version.sh")")		# 0.1.0~1.gHASH+dirty
gitc commit -qam two
vers+=("$(sh "$g/scripts/version.sh")")		# 0.1.0~2.gHASH
gitc tag v0.1.0-rc1
vers+=("$(sh "$g/scripts/version.sh")")		# 0.1.0~rc1
gitc commit -q --allow-empty -m three
vers+=("$(sh "$g/scripts/version.sh")")		# 0.1.0~rc1+1.gHASH
gitc tag v0.1.0
vers+=("$(sh "$g/scripts/version.sh")")		# 0.1.0
gitc commit -q --allow-empty -m four
vers+=("$(sh "$g/scripts/version.sh")")		# 0.1.0+1.gHASH
gitc commit -q --allow-empty -m five
vers+=("$(sh "$g/scripts/version.sh")")		# 0.1.0+2.gHASH
gitc tag v0.2.0
vers+=("$(sh "$g/scripts/version.sh")")		# 0.2.0
want='^0\.1\.0~1\.g[0-9a-f]+ 0\.1\.0~1\.g[0-9a-f]+\+dirty 0\.1\.0~2\.g[0-9a-f]+ 0\.1\.0~rc1 0\.1\.0~rc1\+1\.g[0-9a-f]+ 0\.1\.0 0\.1\.0\+1\.g[0-9a-f]+ 0\.1\.0\+2\.g[0-9a-f]+ 0\.2\.0$'
rc=0
[[ "${vers[*]}" =~ $want ]] || rc=1
for i in $(seq 1 $((${#vers[@]} - 1))); do
	dpkg --compare-versions "${vers[i-1]}" lt "${vers[i]}" || rc=1
done
t "scripts/version.sh: snapshot < +dirty < later snapshot < rc < 0.1.0 < 0.1.0+N.gHASH < 0.2.0 (dpkg --compare-versions)" \
	$rc "${vers[*]}"
case $ver in
*~[0-9]*.g*) dpkg --compare-versions "$ver" lt "$(cat "$repo/VERSION")"
      t "this tree's version $ver sorts before $(cat "$repo/VERSION")" $? ;;
esac

# step NAME: the seconds since the last step, as a diagnostic (make check's
# time budget).
step_at=$SECONDS
step() { printf '# %s: %d s\n' "$1" $((SECONDS - step_at)); step_at=$SECONDS; }

# --- make deb --------------------------------------------------------------------
# as a packager builds: without make check's WERROR=1
out=$(env -u WERROR make -C "$repo" deb 2>&1)
rc=$?
printf '%s\n' "$out" >"$tmp/build.log"
t "make deb (dpkg-buildpackage -us -uc -b)" $rc "$out"
step "make deb"
debs=$repo/build/deb
twdeb=$debs/twctl_${ver}_$(dpkg --print-architecture).deb
dkdeb=$debs/twctl-dkms_${ver}_all.deb
[ -f "$twdeb" ] && [ -f "$dkdeb" ]
t "build/deb/ has twctl_${ver}_*.deb and twctl-dkms_${ver}_all.deb" $? "$(ls "$debs" 2>&1)"
if [ ! -f "$twdeb" ] || [ ! -f "$dkdeb" ]; then
	tap_stop "package: no packages: nothing else to check"
fi

# Every compile and link line of the tool has dpkg-buildflags' flags, none
# -Werror (-Werror=format-security is one of dpkg's).
grep -E '^cc .* -o (\.obj/[a-z_]+\.o|twctl) ' "$tmp/build.log" >"$tmp/cc" || true
bad=$(grep -v -e '-D_FORTIFY_SOURCE=2' -e '-fstack-protector-strong' "$tmp/cc"; \
      grep -E -- '-Werror( |$)' "$tmp/cc"; \
      grep -- ' -o twctl ' "$tmp/cc" | grep -v -e '-Wl,-z,relro' -e '-Wl,-z,now')
[ "$(grep -c -- '-c -o' "$tmp/cc")" -ge 5 ] && grep -q -- ' -o twctl ' "$tmp/cc" && [ -z "$bad" ]
t "the tool's compile and link lines carry dpkg-buildflags' hardening flags, no -Werror" $? \
	"$(head -n 3 "$tmp/cc")"$'\n'"$bad"
mkdir -p "$tmp/x/twctl" "$tmp/x/dkms"
dpkg-deb -x "$twdeb" "$tmp/x/twctl" && dpkg-deb -x "$dkdeb" "$tmp/x/dkms"
bin=$tmp/x/twctl/usr/sbin/twctl
h=$(readelf -hlW "$bin" 2>&1; readelf -dW "$bin" 2>&1)
rc=0
grep -q 'Type: *DYN' <<<"$h" || rc=1
grep -q GNU_RELRO <<<"$h" || rc=1
grep -Eq 'FLAGS.*BIND_NOW|FLAGS_1.*NOW' <<<"$h" || rc=1
nm -D "$bin" 2>/dev/null | grep -Eq ' U __[a-z_]+_chk(@|$)' || rc=1
t "usr/sbin/twctl: PIE, RELRO, BIND_NOW, fortified calls (__*_chk)" $rc "$h"

# What the packages hold.
list() { dpkg-deb -c "$1" | awk '{ print $6 }' | sed 's|^\./|/|; s|/$||' | grep -v '^$' | sort; }
list "$twdeb" | grep -v -e '^/usr/share/doc/twctl/changelog' >"$tmp/got-tw"
printf '%s\n' /lib /lib/systemd /lib/systemd/system \
	/lib/systemd/system/twctl-metrics.service /lib/systemd/system/twctl-metrics.timer \
	/lib/systemd/system/twctl.service /usr /usr/sbin /usr/sbin/twctl /usr/share \
	/usr/share/bash-completion /usr/share/bash-completion/completions \
	/usr/share/bash-completion/completions/twctl /usr/share/doc /usr/share/doc/twctl \
	/usr/share/doc/twctl/README.md.gz \
	/usr/share/doc/twctl/copyright /usr/share/doc/twctl/examples \
	/usr/share/doc/twctl/examples/modprobe.d-twctl.conf \
	/usr/share/doc/twctl/examples/twctl.conf /usr/share/man /usr/share/man/man8 \
	/usr/share/man/man8/twctl.8.gz | sort >"$tmp/want-tw"
out=$(diff -u "$tmp/want-tw" "$tmp/got-tw")
t "twctl holds the tool, man page, completion, docs, boot examples, twctl.service and the metrics units" $? "$out"
list "$dkdeb" | grep -v -e '^/usr/share/doc/twctl-dkms/changelog' >"$tmp/got-dk"
{
	printf '%s\n' /usr /usr/lib /usr/lib/modules-load.d /usr/lib/modules-load.d/twctl.conf \
		/usr/share /usr/share/doc /usr/share/doc/twctl-dkms \
		/usr/share/doc/twctl-dkms/copyright /usr/src "/usr/src/twctl-$ver" \
		"/usr/src/twctl-$ver/module" "/usr/src/twctl-$ver/module/uapi" \
		"/usr/src/twctl-$ver/module/uapi/linux" \
		"/usr/src/twctl-$ver/VERSION" "/usr/src/twctl-$ver/dkms.conf" \
		"/usr/src/twctl-$ver/Kbuild"
	(cd "$repo" && ls module/*.[ch] module/uapi/linux/*.h) | sed "s|^|/usr/src/twctl-$ver/|"
} | sort >"$tmp/want-dk"
out=$(diff -u "$tmp/want-dk" "$tmp/got-dk")
t "twctl-dkms holds the module's sources in /usr/src/twctl-$ver and modules-load.d/twctl.conf" $? "$out"

# One version: the packages', the tool's, the dkms tree's.
s=$tmp/x/dkms/usr/src/twctl-$ver
out="twctl $(dpkg-deb -f "$twdeb" Version), twctl-dkms $(dpkg-deb -f "$dkdeb" Version),"
out+=" tool '$("$bin" -V 2>&1 | head -n 1)', VERSION $(cat "$s/VERSION" 2>&1),"
out+=" dkms.conf $(grep '^PACKAGE_VERSION=' "$s/dkms.conf" 2>&1)"
[ "$out" = "twctl $ver, twctl-dkms $ver, tool 'twctl $ver (netlink v1)', VERSION $ver, dkms.conf PACKAGE_VERSION=\"$ver\"" ]
t "one version $ver: both packages, twctl -V, the dkms tree's VERSION and PACKAGE_VERSION" $? "$out"
cmp -s <(grep -v '^PACKAGE_VERSION=' "$repo/dkms.conf") <(grep -v '^PACKAGE_VERSION=' "$s/dkms.conf")
t "the packaged dkms.conf is the tree's, version aside" $?
out=$(grep '^ExecStart=' "$tmp/x/twctl/lib/systemd/system/twctl.service" 2>&1)
[ "$out" = "ExecStart=/usr/sbin/twctl -b /etc/twctl.conf" ]
t "the packaged twctl.service runs /usr/sbin/twctl -b /etc/twctl.conf" $? "$out"

step "checks of the .debs"

# --- lintian ---------------------------------------------------------------------------
changes=$(find "$debs" -maxdepth 1 -name "twctl_${ver}_*.changes" | head -n 1)
out=$(lintian --fail-on error "${changes:-$debs/none.changes}" 2>&1)
rc=$?
printf '%s\n' "$out" | grep -E '^[EW]: ' | awk '{ print $3 }' | sort -u >"$tmp/tags"
t "lintian on the .changes (the .debs, the .buildinfo): no error" $rc "$out"
# shellcheck disable=SC2086 # one tag a word
extra=$(grep -vxF -f <(printf '%s\n' $LINTIAN_KEEP) "$tmp/tags")
[ -z "$extra" ] && [ -n "$changes" ]
t "lintian: no warning but those kept (${LINTIAN_KEEP:-none})" $? "$out"
step lintian

# --- apt-get install --------------------------------------------------------------------
dkms_host_note "$tmp" "${kernels[@]}"
systemd_state() {
	find /etc/systemd/system /var/lib/systemd/deb-systemd-helper-enabled \
		/var/lib/systemd/deb-systemd-helper-masked 2>/dev/null | sort
}
systemd_state >"$tmp/systemd-before"
# the packages' directories that exist before: purge must leave those only
cat "$tmp/got-tw" "$tmp/got-dk" | while read -r f; do
	[ ! -d "$f" ] || echo "$f"
done >"$tmp/dirs-before"

# shellcheck disable=SC2317 # called through the EXIT trap
cleanup() {
	local k f
	dpkg --purge "${pkgs[@]}" >/dev/null 2>&1
	dkms remove -m twctl -v "$ver" --all >/dev/null 2>&1
	rm -rf "/usr/src/twctl-$ver" "/var/lib/dkms/twctl/$ver"
	# dkms's links kernel-KVER-ARCH -> VERSION/KVER/ARCH, which a failed
	# dkms remove (its sources gone) leaves
	for f in /var/lib/dkms/twctl/kernel-*; do
		[[ ! -L $f || $(readlink "$f") != "$ver"/* ]] || rm -f "$f"
	done
	rmdir /var/lib/dkms/twctl 2>/dev/null
	dkms_host_restore "$tmp" "${kernels[@]}"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

out=$(DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	"$twdeb" "$dkdeb" 2>&1)
rc=$?
t "apt-get install ./twctl_*.deb ./twctl-dkms_*.deb" $rc "$out"
grep -q '^0 upgraded, 2 newly installed, 0 to remove' <<<"$out"
t "apt installs the two packages and nothing else" $? "$(grep -E -A 2 'newly installed|NEW packages' <<<"$out")"
[ $rc = 0 ] || tap_stop "package: not installed: nothing else to check"
step "apt-get install (dkms builds for both kernels)"

out=$(dkms status -m twctl 2>&1)
rc=0
for k in "${kernels[@]}"; do
	grep -qxF "twctl/$ver, $k, x86_64: installed" <<<"$out" || rc=1
done
t "dkms status: twctl/$ver installed for both kernels" $rc "$out"
for k in "${kernels[@]}"; do
	ko=$(modinfo -k "$k" -F filename twctl 2>&1)
	v=$(modinfo -F version "$ko" 2>&1)
	vm=$(modinfo -F vermagic "$ko" 2>&1)
	[[ $ko == "/lib/modules/$k/updates/dkms/twctl.ko"* ]] && [ "$v" = "$ver" ] &&
		[ "${vm%% *}" = "$k" ]
	t "$k: modinfo finds twctl in /lib/modules/$k/updates/dkms, version $ver, built for $k" $? \
		"$ko: version $v, vermagic $vm"
done
# Enabled means a link in a .wants directory of /etc/systemd/system, or of
# deb-systemd-helper's record of what it enabled (its *.dsh-also files only
# say which units a package has, for purge).
out=$(find /etc/systemd/system /var/lib/systemd/deb-systemd-helper-enabled \
	-path '*.wants/twctl*' 2>&1)
[ -z "$out" ]
t "no unit enabled (no twctl* in a .wants of /etc/systemd/system or deb-systemd-helper's)" $? "$out"

# --- the installed module and tool, in a guest of each kernel -----------------------------
for k in "${kernels[@]}"; do
	tap_run -n "package: $k: the guest ran to its end" \
		"$repo/tests/vm/run-vm.sh" -t 180 "$k" "$repo/tests/vm/pkg_smoke.py" "$ver"
	step "guest $k"
done

# --- apt-get purge ----------------------------------------------------------------------
dpkg -L "${pkgs[@]}" 2>/dev/null | sort -u >"$tmp/installed"
ls -d /lib/modules/*/updates/dkms/twctl.ko* >"$tmp/built" 2>/dev/null
[ "$(wc -l <"$tmp/built")" -ge ${#kernels[@]} ] && [ -s "$tmp/installed" ]
t "before purge: dpkg -L lists the packages' files, dkms built ${#kernels[@]} modules" $? \
	"$(cat "$tmp/built")"
out=$(DEBIAN_FRONTEND=noninteractive apt-get purge -y "${pkgs[@]}" 2>&1)
t "apt-get purge twctl twctl-dkms" $? "$out"
step "apt-get purge"
out=
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	[ -z "$st" ] || [ "$st" = "unknown ok not-installed" ] || out+="$p: $st"$'\n'
done
[ -z "$out" ]
t "dpkg knows neither package any more (not even their config files)" $? "$out"
left=
while read -r f; do
	[ "$f" != /. ] || continue
	if [ -d "$f" ]; then
		grep -qxF "$f" "$tmp/dirs-before" || left+="$f/ (made by the packages)"$'\n'
	elif [ -e "$f" ] || [ -L "$f" ]; then
		left+="$f"$'\n'
	fi
done < <(cat "$tmp/installed" "$tmp/built")
[ -z "$left" ]
t "after purge: no file the packages installed or dkms built is left, nor a directory they made" \
	$? "$left"
out=$(dkms status -m twctl 2>&1; ls -d /var/lib/dkms/twctl /usr/src/twctl-* 2>/dev/null)
rc=0
[ -z "$out" ] || rc=1
for k in "${kernels[@]}"; do
	if modinfo -k "$k" twctl >/dev/null 2>&1; then
		rc=1
		out+=$'\n'"$k: modinfo still finds twctl"
	fi
done
t "after purge: dkms knows no twctl, no /usr/src/twctl-*, both kernels' modules.dep without it" \
	$rc "$out"
out=$(diff "$tmp/systemd-before" <(systemd_state))
t "after purge: systemd's and deb-systemd-helper's state as before" $? "$out"

tap_done
