"""Load-time checks: when a probe twctl needs cannot be armed (here another
IP-modifying ftrace user, like a livepatch, holds tcp_twsk_unique()), the
module refuses to load with one clear dmesg line and leaves nothing behind;
once the function is free it loads. When a hook is armed but does not see
what it must (here a build whose first-arming hook sits on a function that
never arms a TIME_WAIT), the load-time self-test refuses the load."""
import os

from twtest import (KO, dmesg_after, done, family_absent, kmsg_mark, load,
                    loaded, ok, sh, unload)


def helper(kind):
    """A test build for this kernel (the debug kernel's builds are named "debug")."""
    b = os.environ['TWCTL_REPO'] + "/build/"
    p = f"{b}{os.environ.get('TWCTL_BUILD', os.environ['TWCTL_KVER'])}-{kind}"
    return p if os.path.exists(p) else f"{b}debug-{kind}"


HOOKED = "/sys/kernel/debug/tracing/enabled_functions"   # ftrace users per function
blocker = helper("blocker") + "/twctl_blocker.ko"
if loaded():
    unload()

# --- the self-test refuses a hook that does not see the arming ---------------
mark = kmsg_mark("loadfail: insmod of the mis-hooked build")
r = sh(f"insmod {helper('mishook')}/twctl.ko", check=False)
after = dmesg_after(mark)
# (the kernel's own "taints kernel" lines come with a boot's first load)
msg = [l for l in after or [] if "twctl:" in l and "taint" not in l]
ok(r.returncode != 0 and "not supported" in r.stderr.lower(),
   "mis-hooked build: insmod fails (EOPNOTSUPP)", r.stderr)
ok(after is not None and len(msg) == 1 and "self-test failed" in msg[0]
   and "inet_twsk_purge" in msg[0] and "direct close" in msg[0]
   and "was not armed" in msg[0],
   "one dmesg line: the self-test, the step, the hooked function and what did not happen",
   f"{msg}" if after is not None else f"marker {mark!r} not in dmesg")
c = open(HOOKED).read()
ok(not loaded() and not os.path.exists("/sys/kernel/twctl") and "tw_timer_handler" not in c,
   "nothing left of the mis-hooked build: no module, no sysfs, no hooks", c)
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
c = open(HOOKED).read()
ok("__inet_twsk_schedule" not in c and "tw_timer_handler" not in c,
   "the hooks armed before the failure were removed", c)
sh("rmmod twctl_blocker")
load()
c = open(HOOKED).read()
ok(loaded() and os.path.exists("/sys/kernel/twctl/msl_ms") and "__inet_twsk_schedule" in c
   and "tcp_twsk_unique" in c, "with the function free, it loads and arms its hooks", c)
# The hooks are permanent ftrace users: ftrace cannot be switched off under
# twctl (it would silently stop every hook), and twctl does not load while
# ftrace is off.
FTRACE = "/proc/sys/kernel/ftrace_enabled"
r = sh("sysctl -w kernel.ftrace_enabled=0", check=False)
ok(r.returncode != 0 and "busy" in r.stderr.lower() and open(FTRACE).read().strip() == "1",
   "loaded: sysctl kernel.ftrace_enabled=0 is refused (EBUSY)", r.stderr)
# The self-test's own connections leave nothing in init_net's counters.
st = {f: int(open(f"/sys/kernel/twctl/stats/{f}").read())
      for f in ("tw_created", "tw_created_fin_wait2", "tw_expired", "tw_overflow")}
tr = open("/sys/kernel/twctl/stats/transitions").read().split()
ok(not any(st.values()) and not any(int(n) for n in tr[2::3]),
   "the load-time self-test is not counted in the namespace's statistics", f"{st} {tr}")
unload()
sh("sysctl -qw kernel.ftrace_enabled=0")
mark = kmsg_mark("loadfail: insmod with ftrace disabled")
r = sh(f"insmod {KO}", check=False)
after = dmesg_after(mark)
sh("sysctl -qw kernel.ftrace_enabled=1")
msg = [l for l in after or [] if "twctl:" in l]
ok(r.returncode != 0 and not loaded() and after is not None and len(msg) == 1
   and "ftrace is disabled" in msg[0] and "kernel.ftrace_enabled=0" in msg[0],
   "with ftrace disabled, insmod fails with one line saying so", f"{r.stderr} {msg}")
done()
