"""The installed Debian packages, in a guest booted by tests/host/package.sh
(not a suite of its own: no test_ prefix). The guest shares the host's root
read-only but hides its /lib/modules under a tmpfs (tests/vm/init); a bind
mount of / without its submounts shows the host's own, where DKMS put the
module it built for this kernel when apt installed twctl-dkms. twctl is
loaded as an administrator would:
modprobe, through the host's module index for this kernel (depmod ran). The
tool is the packaged /usr/sbin/twctl.

Argument: the packages' version, which the module and the tool must report.
"""
import os
import sys

from twtest import (JIFFY, active_close, diag, done, late_bound, loaded, ok, sh,
                    sysfs_read, wait_gone)

ver = sys.argv[1]
kver = os.uname().release
host = "/tmp/host"
os.makedirs(host, exist_ok=True)
sh(f"mount --bind / {host}")      # not --rbind: the submounts stay out
tool = "/usr/sbin/twctl"

if loaded():
    sh("rmmod twctl")
r = sh(f"modinfo -b {host} -k {kver} -F filename twctl", check=False)
path = r.stdout.strip()
ok(path.startswith(f"{host}/lib/modules/{kver}/updates/dkms/twctl.ko"),
   f"package: {kver}: its module index names /lib/modules/{kver}/updates/dkms/twctl.ko",
   f"{r.stdout} {r.stderr}")
r = sh(f"modprobe -d {host} twctl", check=False)
ok(r.returncode == 0 and loaded(), f"package: {kver}: modprobe twctl loads it", r.stderr)
if not loaded():
    done()

mver = sysfs_read("version")
r = sh(f"{tool} -V", check=False)
ok(mver == ver and r.stdout.splitlines() == [f"twctl {ver} (netlink v1)",
                                              f"module {ver} (netlink v1)"],
   f"package: {kver}: module and packaged tool report the packages' version {ver}",
   f"sysfs {mver}, twctl -V: {r.stdout!r} {r.stderr!r}")

r = sh(f"{tool} set msl 500ms", check=False)
msl = sysfs_read("msl_ms")
ok(r.returncode == 0 and msl == "500", f"package: {kver}: twctl set msl 500ms",
   f"exit {r.returncode} {r.stderr}; msl_ms {msl}")
c, s, t0 = active_close(direct=True)
gone = wait_gone(c, s, timeout=30)
life = None if gone is None else gone - t0
if life is not None:
    diag(f"TIME_WAIT lasted {life:.3f} s")
ok(life is not None and 1.0 - JIFFY <= life <= 1.0 + late_bound(1.0),
   f"package: {kver}: a TIME_WAIT lasts 2 x 500 ms", f"lasted {life}")

r = sh(f"modprobe -d {host} -r twctl", check=False)
ok(r.returncode == 0 and not loaded(), f"package: {kver}: modprobe -r twctl unloads it", r.stderr)
done()
