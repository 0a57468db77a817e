"""KUnit suites of twctl's pure logic, inside the debug kernel: loads
twctl_kunit.ko, takes the KTAP that KUnit logs, and judges it with the
kernel's own parser (tools/testing/kunit/kunit.py of the debug kernel's
source). One TAP line per test case, and one for the run as a whole: the
parser must report no error (a missing case, malformed KTAP, a crashed
suite) and every case passed."""
import glob
import os
import re
import subprocess

from twtest import done, ok, sh

REPO = os.environ["TWCTL_REPO"]
CACHE = os.environ.get("TWCTL_CACHE", "/var/cache/twctl")

with open("/dev/kmsg", "w") as f:
    f.write("twctl-kunit: start\n")
sh("insmod " + os.environ.get("TWCTL_KUNIT_KO", f"{REPO}/build/kunit/twctl_kunit.ko"))
sh("rmmod twctl_kunit")
log = sh("dmesg --notime").stdout
log = log[log.rfind("twctl-kunit: start"):]
ktap = log[log.find("KTAP version 1"):] if "KTAP version 1" in log else ""
ok(ktap != "", "kunit: the test module logged KTAP")

parser = sorted(glob.glob(f"{CACHE}/debug-kernel/src/*/linux-source-6.12/"
                          "tools/testing/kunit/kunit.py"))
r = subprocess.run(["python3", parser[-1], "parse"], input=ktap, text=True,
                   capture_output=True)
cases = 0
for line in r.stdout.splitlines():
    print(f"# {line}")
    if "=" in line:                 # suite frames
        continue
    m = re.search(r"\[(PASSED|FAILED|CRASHED|SKIPPED|TIMED OUT)\] (.*)", line)
    if m:
        cases += 1
        ok(m.group(1) == "PASSED", f"kunit: {m.group(2)}", m.group(1))
m = re.search(r"Ran (\d+) tests: passed: (\d+)$", r.stdout, re.M)
ok(r.returncode == 0 and m and m.group(1) == m.group(2) == str(cases) and cases > 0,
   "kunit: kunit.py parse reports no error and every case passed",
   f"exit {r.returncode}, {cases} cases; {r.stderr.strip()[-300:]}")
done()
