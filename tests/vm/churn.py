"""Loopback connection churn for stress tests: connect, exchange a byte,
close (client first), until killed or a count/duration is reached. Prints
'churn: N connections, E errors, slowest S s' at the end (SIGTERM ends it
cleanly); with --ready also 'ready' once the first connection went through.
A connection that takes TIMEOUT_S (20 s) is an error: under TCG with the
other lane's guest on the second core, a module load or unload (text
patching, RCU grace periods) stalls the guest for seconds, which is slow,
not broken."""
import signal
import socket
import subprocess
import sys
import threading
import time

stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *a: stop.set())
duration = float(sys.argv[1]) if len(sys.argv) > 1 else 3600
family = socket.AF_INET6 if "-6" in sys.argv else socket.AF_INET
addr = "::1" if family == socket.AF_INET6 else "127.0.0.1"

TIMEOUT_S = 20
srv = socket.socket(family, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((addr, 0))
srv.listen(128)


srv_errors = []                 # what went wrong on the server's side


def serve():
    """One connection at a time. An error on one (a reset, a timeout) is
    counted and the next is served: before, the first one ended the thread
    and every later connection hung, unserved, until the client's timeout.
    It serves until the process exits (a daemon thread), not until SIGTERM:
    the client loop may be past its last look at `stop` when the signal
    comes, and its last connection must still be served (it was not, and
    hung for TIMEOUT_S: one error in about one test_loadcycle run of two on
    sid's 7.x)."""
    while True:
        try:
            c, _ = srv.accept()
        except OSError as e:
            srv_errors.append(f"accept: {e!r}")
            return
        try:
            c.settimeout(TIMEOUT_S)
            c.recv(1)
            c.sendall(b"y")
            c.recv(1)
        except OSError as e:
            srv_errors.append(repr(e))
        finally:
            c.close()


threading.Thread(target=serve, daemon=True).start()
n = errors = 0
slowest = 0.0
last = ""
end = time.monotonic() + duration
while not stop.is_set() and time.monotonic() < end:
    t = time.monotonic()
    stage, s = "connect", None
    try:
        s = socket.create_connection(srv.getsockname()[:2], timeout=TIMEOUT_S)
        stage = "send"
        s.sendall(b"x")
        stage = "recv"
        s.recv(1)
        s.close()
        n += 1
        slowest = max(slowest, time.monotonic() - t)
        if n == 1 and "--ready" in sys.argv:
            print("ready", flush=True)
    except OSError as e:
        errors += 1
        # what the stuck connection's sockets look like, for the record
        port = s.getsockname()[1] if s is not None else srv.getsockname()[1]
        ss = subprocess.run(["ss", "-tanoie", f"( sport = :{port} or dport = :{port} )"],
                            capture_output=True, text=True).stdout.splitlines()
        last = f" (last: {e!r} in {stage}; ss: {' | '.join(ss[1:6])})"
        if s is not None:
            s.close()
if srv_errors:
    errors += len(srv_errors)
    last += f" (server: {len(srv_errors)} errors, last {srv_errors[-1]})"
print(f"churn: {n} connections, {errors} errors, slowest {slowest:.2f} s{last}",
      flush=True)
