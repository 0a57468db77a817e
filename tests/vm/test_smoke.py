"""Smoke suite for the kernels of the matrix that do not run every suite in
make check (TWCTL_KERNELS=all runs everything on them): the module loads
(its self-test passes on this kernel), MSL holds on the direct and the
FIN_WAIT2 way into TIME_WAIT, reuse is granted and refused by mode, the
counters add up, and unloading leaves armed sockets safe and the kernel's
60 s back."""
# kernels: trixie rt debug rtdebug sid cloud
import errno
import socket
import threading

from twtest import (CLIENT4, SERVER4, JIFFY, Netns, Pair, active_close, churn_seq, diag,
                    done, late_bound, listener, load, loaded, ok, ss_timer, stats,
                    sysfs_read, sysfs_write, tw_timer_proc, unload, wait_gone)

if loaded():
    unload()
load()
ok(loaded() and sysfs_read("msl_ms") == "30000",
   "loads (its self-test passed on this kernel) with the kernel's default")

# --- MSL on both ways into TIME_WAIT, and the counters ------------------------
ns = Netns("smoke")
with ns:
    ok(sysfs_write("msl_ms", "500") == 0, "msl_ms 500 set in a netns")
    for what, direct in (("direct close (closer holds its socket)", True),
                         ("close through FIN_WAIT2", False)):
        c, s, t0 = active_close(direct=direct)
        t = tw_timer_proc(c, s)
        gone = wait_gone(c, s, timeout=30)
        life = None if gone is None else gone - t0
        if life is not None:
            diag(f"{what}: lasted {life:.3f} s")
        ok(t is not None and 0 < t <= 1.0 and life is not None
           and 1.0 - JIFFY <= life <= 1.0 + late_bound(1.0),
           f"{what}: TIME_WAIT of 2 x MSL = 1 s", f"timer {t}, lasted {life}")
    st = stats()
    ok(st["tw_created"] + st["tw_created_fin_wait2"] == 2 and st["tw_overflow"] == 0
       and st["tw_expired"] == 2 and st["tw_alive"] == 0 and st["hooks_missed"] == 0,
       "counters: 2 created, 2 expired, no overflow, no hook missed", f"{st}")
ns.delete()

# --- reuse by mode -----------------------------------------------------------
PORTS = (40000, 40009)
p = Pair("sm", PORTS)
srv = listener(p.sv, SERVER4, socket.AF_INET)
with p.cl:
    sysfs_write("msl_ms", "30000")
    sysfs_write("reuse", "off")
n, errs, _ = churn_seq(p.cl, srv, 15, CLIENT4)
ok(n == 10 and errs == [errno.EADDRNOTAVAIL], "reuse off: 10 ports, then EADDRNOTAVAIL",
   f"{n} ok, errors {errs}")
with p.cl:
    set_errs = [sysfs_write("reuse", "always"), sysfs_write("reuse_delay_ms", "1")]
# age >= 1 ms needs a TIME_WAIT armed 2 jiffies ago (the jiffy it was
# armed in does not count): wait for those between connections
n, errs, _ = churn_seq(p.cl, srv, 30, CLIENT4, gap_jiffies=2)
st = stats(p.cl)
ok(set_errs == [0, 0] and n == 30 and not errs and st["reuse_granted"] >= 20,
   "reuse always, 1 ms: 30 connections over 10 ports, young TIME_WAITs reused",
   f"set {set_errs}, {n} ok, errors {errs}, {st}")
srv.close()
p.delete()

# --- unload -------------------------------------------------------------------
sysfs_write("msl_ms", "1000")
c, s, t0 = active_close()
# watched from a thread while rmmod runs: on a slow guest (rtdebug on a
# busy host) the unload alone can outlast the 2 s
box = {}
watch = threading.Thread(target=lambda: box.update(gone=wait_gone(c, s, timeout=60)))
watch.start()
unload()
watch.join()
gone = box.get("gone")
life = None if gone is None else gone - t0
ok(life is not None and 2.0 - JIFFY <= life <= 2.0 + late_bound(2.0),
   "a TIME_WAIT armed before unload keeps its 2 s", f"lasted {life}")
c, s, _ = active_close()
t = ss_timer(c, s)
ok(t is not None and 50 <= t <= 60, "after unload: the kernel's 60 s", f"ss shows {t}")
done()
