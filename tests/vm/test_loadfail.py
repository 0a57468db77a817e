"""Load-time checks: when a probe twctl needs cannot be armed (here another
IP-modifying ftrace user, like a livepatch, holds tcp_twsk_unique()), the
module refuses to load with one clear dmesg line and leaves nothing behind;
once the function is free it loads."""
import os

from twtest import (KO, dmesg_after, done, family_absent, kmsg_mark, load,
                    loaded, ok, sh, unload)

blocker = f"{os.environ['TWCTL_REPO']}/build/{os.environ.get('TWCTL_BUILD', os.environ['TWCTL_KVER'])}-blocker/twctl_blocker.ko"
if not os.path.exists(blocker):            # the debug kernel's build is named "debug"
    blocker = f"{os.environ['TWCTL_REPO']}/build/debug-blocker/twctl_blocker.ko"
if loaded():
    unload()
sh(f"insmod {blocker}")
# A marker, not dmesg -C: the runner scans the log afterwards for splats.
mark = kmsg_mark("loadfail: insmod with tcp_twsk_unique held")
r = sh(f"insmod {KO}", check=False)
after = dmesg_after(mark)
msg = [l for l in after or [] if "twctl:" in l]
ok(r.returncode != 0 and "busy" in r.stderr.lower(), "insmod fails (EBUSY)", r.stderr)
ok(after is not None and len(msg) == 1 and "cannot hook tcp_twsk_unique" in msg[0]
   and "livepatch" in msg[0], "one clear dmesg line names the function and the reason",
   f"{msg}" if after is not None else f"marker {mark!r} not in dmesg")
ok(not loaded() and not os.path.exists("/sys/kernel/twctl"), "nothing left: no module, no sysfs")
absent, why = family_absent()
ok(absent, "no netlink family left (CTRL_CMD_GETFAMILY: ENOENT)", why)
HOOKED = "/sys/kernel/debug/tracing/enabled_functions"   # ftrace users per function
c = open(HOOKED).read()
ok("__inet_twsk_schedule" not in c and "tw_timer_handler" not in c,
   "the hooks armed before the failure were removed", c)
sh("rmmod twctl_blocker")
load()
c = open(HOOKED).read()
ok(loaded() and os.path.exists("/sys/kernel/twctl/msl_ms") and "__inet_twsk_schedule" in c
   and "tcp_twsk_unique" in c, "with the function free, it loads and arms its hooks", c)
unload()
done()
