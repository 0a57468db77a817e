#!/bin/bash
# Runs inside the demo VM (see tests/demo.sh).
set -euo pipefail
tw() { ss -tano state time-wait "( dport = :$1 )" | sed 's/^/    /'; }
count() { ss -Htan state time-wait "( dport = :$1 )" | wc -l; }
churn() {	# churn PORT N: N connections to PORT, each closed by the client first
	python3 - "$1" "$2" <<'PY'
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port)); srv.listen(16)
for _ in range(n):
    c = socket.create_connection(("127.0.0.1", port)); s, _ = srv.accept()
    c.close(); s.recv(1); s.close()
PY
}

insmod "$TWCTL_KO"
echo
echo "== 1. twctl loaded, nothing set: the kernel's own behaviour"
echo "   cat /sys/kernel/twctl/msl_ms -> $(cat /sys/kernel/twctl/msl_ms) ms, so TIME_WAIT = 2 x MSL = 60 s"
churn 7001 5
echo "   5 connections to port 7001, closed by the client; the client side waits in TIME_WAIT:"
tw 7001
sleep 4
echo "   4 s later: $(count 7001) still in TIME_WAIT; they stay about a minute, pinning their ports."

echo
echo "== 2. echo 1000 > /sys/kernel/twctl/msl_ms   (this netns: TIME_WAIT = 2 x 1 s = 2 s)"
echo 1000 > /sys/kernel/twctl/msl_ms
churn 7002 5
echo "   5 connections to port 7002, closed the same way:"
tw 7002
sleep 4
echo "   4 s later: $(count 7002) left on port 7002; port 7001 still has $(count 7001) (armed before the change)."

echo
echo "== 3. The same through the control tool (netlink): twctl show; twctl stats"
"$TWCTL_TOOL" show | sed 's/^/   /'
"$TWCTL_TOOL" stats | sed -n '/^closes/,$p' | sed 's/^/   /'

echo
echo "== 4. Other network namespaces (containers) keep their own value"
ip netns add demo
echo "   ip netns exec demo cat /sys/kernel/twctl/msl_ms -> $(ip netns exec demo cat /sys/kernel/twctl/msl_ms)"
ip netns del demo

rmmod twctl
echo
echo "== rmmod twctl: the kernel's own 60 s applies again to every new TIME_WAIT."
