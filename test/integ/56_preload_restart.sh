#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# preload_restart - programs on the shim outlive a vstackd restart.
#
# In tenant tp (endpoint ep, 10.86.0.1), through the shim
# (test/lib/pl_restart.py): an echo server blocked in accept(), one with a
# non-blocking listener in an epoll loop, python3 -m http.server (poll),
# nginx (epoll, edge-triggered; not in the sanitizer build, where
# Debian's programs cannot load the shim's ASan), a UDP echo server
# blocked in recvfrom(), and two long-lived clients of the kernel peer
# (10.86.0.9, behind a TAP port): one making a new TCP connection every
# 0.1 s, one sending a datagram every 0.1 s from a socket it never bound
# and waiting for the echo. vstackd is then killed
# (SIGKILL) and, in a second round, stopped (SIGTERM), and started again
# each time:
#   - while vstackd is away the programs do not spin: their CPU time over
#     2 s stays far below what one busy loop takes, and the servers never
#     see an accept() error (the listeners wait);
#   - once it is back every listener listens again on its old address and
#     port and the UDP socket is bound again: the kernel peer's
#     connections to every server are answered, and its datagrams echoed;
#   - the TCP client's new connections work again in the same process
#     (the shim attaches to the new vstackd), after failing while it was
#     away; the UDP client's socket is made again with the port it had,
#     and its datagrams are echoed again.
#   - sockets made before the restart and used only after it (a TCP
#     socket with TCP_NODELAY set, a UDP socket) are made afresh on the new
#     vstackd: the connection works and keeps the option, the datagram is
#     echoed; a TCP socket whose connect() failed at once while vstackd
#     was away (an error, not a hang) connects after the restart;
#   - a UDP socket whose disconnect gave back the port connect() picked
#     is made again without it (another socket took the port meanwhile)
#     and its datagram is echoed.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_preload

start_vstackd
mk_tenant tp ep 10.86.0.1/24
CP=$CGROUP_DIR
mk_kernel_peer k 10.86.0.9/24
K=$KPEER
ping_ok "$K" 10.86.0.1 || fail "the kernel peer cannot reach endpoint ep"
EA=10.86.0.1

nsx "$K" "$PY" "$LIB/pl_peer.py" 7000 >"$T/peer.log" 2>&1 &
wait_listen "$K" tcp 7000

mkdir -p "$T/www"
head -c 100000 /dev/urandom >"$T/www/blob"
WANT=$(sha256sum <"$T/www/blob" | cut -d' ' -f1)

PIDS=()
shim() { # NAME CMD... - a program in tenant tp through the shim, bounded
	local name=$1
	shift
	# shellcheck disable=SC2016 # expanded by the inner bash
	(cd "$T/www" && exec timeout -k 5 300 bash -c \
		'echo $$ >"$1/cgroup.procs" && shift && exec env "$@"' _ \
		"$CP" "${PRELOAD_ENV[@]}" "$@") >"$T/$name.out" 2>"$T/$name.err" &
	PIDS+=($!)
}

shim accept "$PY" -u "$LIB/pl_restart.py" accept 7201
shim epoll "$PY" -u "$LIB/pl_restart.py" epoll 7202
shim http "$PY" -u -m http.server --bind "$EA" 7203
shim udp "$PY" -u "$LIB/pl_restart.py" udp 7205
NLISTEN=3
if ((${#PRELOAD_ENV[@]} == 1)); then # not the sanitizer build
	require_cmd nginx
	nginx_conf "$T/nginx" "$EA:7204" "$T/www"
	shim nginx nginx -c "$T/nginx/nginx.conf"
	NLISTEN=4
else
	log "sanitizer build: nginx not run (it cannot load the shim's ASan); the release build runs it"
fi
wait_ep ep tcp_listen -ge "$NLISTEN"
shim client "$PY" -u "$LIB/pl_restart.py" client 10.86.0.9 7000
shim udpclient "$PY" -u "$LIB/pl_restart.py" udpclient 10.86.0.9 7000

# echo_ok PORT - the kernel peer's request to a shim echo server is answered.
echo_ok() {
	nsx_to 10 "$K" "$PY" "$LIB/pl_restart.py" ask "$EA" "$1"
}

# udp_ok PORT - the shim UDP server echoes the kernel peer's datagram.
udp_ok() {
	nsx_to 10 "$K" "$PY" - "$EA" "$1" <<'EOF'
import socket, sys
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(1)
u.sendto(b"ping", (sys.argv[1], int(sys.argv[2])))
d, a = u.recvfrom(64)
sys.exit(0 if d == b"ping" and a == (sys.argv[1], int(sys.argv[2])) else 1)
EOF
}

# http_ok PORT - the kernel peer fetches the blob from a shim web server.
http_ok() {
	local got
	got=$(nsx_to 10 "$K" "$PY" - "http://$EA:$1/blob" <<'EOF' 2>/dev/null
import hashlib, sys, urllib.request
print(hashlib.sha256(urllib.request.urlopen(sys.argv[1], timeout=5).read()).hexdigest())
EOF
) && [[ $got == "$WANT" ]]
}

client_oks() { grep -c '^ok ' "$T/${1:-client}.out" || true; } # [NAME]
client_more() { (($(client_oks "${2:-client}") > $1)); }        # N [NAME]

all_served() { # WHEN
	wait_until 15 echo_ok 7201 || fail "$1: the accept() server does not answer"
	wait_until 15 echo_ok 7202 || fail "$1: the epoll server does not answer"
	wait_until 15 udp_ok 7205 || fail "$1: the UDP server does not echo"
	wait_until 15 http_ok 7203 || fail "$1: http.server does not serve the blob (SHA-256 $WANT)"
	((NLISTEN < 4)) || wait_until 15 http_ok 7204 ||
		fail "$1: nginx does not serve the blob (log: $(tail -n 3 "$T/nginx/error.log" 2>&1))"
	local n0
	n0=$(client_oks)
	wait_until 10 client_more "$n0" ||
		fail "$1: the long-lived client's new connections do not work"
	n0=$(client_oks udpclient)
	wait_until 10 client_more "$n0" udpclient ||
		fail "$1: the long-lived UDP client's datagrams are not echoed"
	log "$1: every server ($NLISTEN) and the client work"
}

# cpu_ticks - CPU time (clock ticks) of every shim program and its children.
cpu_ticks() {
	local p sum=0 st
	for p in "${PIDS[@]}"; do
		for c in $p $(_descendants "$p"); do
			st=$(sed 's/^.*) //' "/proc/$c/stat" 2>/dev/null) || continue
			# after "pid (comm) ": state is field 1, utime 12, stime 13
			read -r -a f <<<"$st"
			sum=$((sum + f[11] + f[12]))
		done
	done
	echo "$sum"
}

all_served "before any restart"

# A UDP socket whose disconnect (connect(AF_UNSPEC)) gave back the port
# connect() picked holds no port, as on Linux: made again after the
# restart it must not bind that port (another socket has it by then).
cat >"$T/disc.py" <<'EOF'
import ctypes, os, socket, sys, time
host, port, go = sys.argv[1], int(sys.argv[2]), sys.argv[3]
libc = ctypes.CDLL(None, use_errno=True)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.connect((host, port))
old = u.getsockname()[1]
unspec = (ctypes.c_char * 16)()  # sa_family 0: AF_UNSPEC
if libc.connect(u.fileno(), unspec, 16):
    print("err disconnect", ctypes.get_errno(), flush=True)
    sys.exit(1)
print("made", old, u.getsockname()[1], flush=True)
end = time.monotonic() + 120
while not os.path.exists(go) and time.monotonic() < end:
    time.sleep(0.1)
v = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
v.bind(("0.0.0.0", old))
try:
    u.settimeout(3)
    u.sendto(b"disc", (host, port))
    d, _ = u.recvfrom(64)
    print("ok disc" if d == b"disc" else "bad disc", flush=True)
except OSError as e:
    print("err disc", e, flush=True)
EOF
shim disc "$PY" -u "$T/disc.py" 10.86.0.9 7000 "$T/go_disc"
wait_until 10 grep -q '^made' "$T/disc.out" ||
	fail "the UDP program that disconnects did not start: $(cat "$T/disc.out" "$T/disc.err")"
assert_eq "$(awk '/^made/ {print $3}' "$T/disc.out")" 0 "the port after a UDP disconnect"

round() { # HOW: kill9 or stop
	local how=$1 t0 t1 hz used
	shim "fresh_$how" "$PY" -u "$LIB/pl_restart.py" fresh 10.86.0.9 7000 "$T/go_$how"
	wait_until 10 grep -q '^made' "$T/fresh_$how.out" ||
		fail "$how: the program with unused sockets did not start: $(cat "$T/fresh_$how.err")"
	if [[ $how == kill9 ]]; then kill9_vstackd; else stop_vstackd; fi
	sleep 0.5 # every program has noticed: its calls failed, its waits woke
	t0=$(cpu_ticks)
	sleep 2
	t1=$(cpu_ticks)
	hz=$(getconf CLK_TCK)
	used=$(((t1 - t0) * 1000 / hz))
	log "$how: the shim programs used $used ms of CPU in 2 s without vstackd"
	# One program spinning on a dead listener takes most of a CPU (2000
	# ms here); waiting ones wake every 100 ms to look for the next vstackd.
	assert_le "$used" 400 "CPU time of the shim programs while vstackd is away ($how)"
	grep -q '^err ' "$T/client.out" || fail "$how: the client's connections did not fail while vstackd was away"
	touch "$T/go_$how.away"
	wait_until 10 grep -q '^away took' "$T/fresh_$how.out" ||
		fail "$how: connect() while vstackd is away did not return: $(cat "$T/fresh_$how.out")"
	if ! grep -q '^err away ' "$T/fresh_$how.out" || grep -q '^err away timeout' "$T/fresh_$how.out"; then
		fail "$how: connect() while vstackd is away did not fail at once: $(grep away "$T/fresh_$how.out")"
	fi
	start_vstackd
	all_served "after $how and a new vstackd"
	touch "$T/go_$how"
	wait_until 15 grep -q ' udp' "$T/fresh_$how.out" ||
		fail "$how: the program with unused sockets did not finish: $(cat "$T/fresh_$how.out")"
	grep -q '^ok tcp nodelay 1$' "$T/fresh_$how.out" ||
		fail "$how: a TCP socket made before the restart does not connect after it: $(grep tcp "$T/fresh_$how.out")"
	grep -q '^ok tcp2 nodelay 0$' "$T/fresh_$how.out" ||
		fail "$how: a TCP socket whose connect() failed while vstackd was away does not connect after the restart: $(grep tcp2 "$T/fresh_$how.out")"
	grep -q '^ok udp$' "$T/fresh_$how.out" ||
		fail "$how: a UDP socket made before the restart does not send after it: $(grep udp "$T/fresh_$how.out")"
	log "$how: sockets made before the restart and used after it: $(grep -v made "$T/fresh_$how.out" | paste -s -d, -)"
	assert_eq "$(ep_field ep tcp_listen)" "$NLISTEN" "listeners on ep after $how"
}

round kill9
touch "$T/go_disc"
wait_until 15 grep -q ' disc' "$T/disc.out" ||
	fail "the UDP program that disconnected did not finish: $(cat "$T/disc.out")"
grep -q '^ok disc$' "$T/disc.out" ||
	fail "a UDP socket whose disconnect gave back its port does not work after the restart: $(grep disc "$T/disc.out") $(grep 'again after' "$T/disc.err")"
round stop

for f in accept epoll udp; do
	if grep -q -E '^(accept|udp) ' "$T/$f.out"; then
		fail "the $f server saw a call fail: $(grep -m1 -E '^(accept|udp) ' "$T/$f.out")"
	fi
done
grep -q 'again after vstackd' "$T"/*.err && fail "a socket was not made again: $(grep -h 'again after vstackd' "$T"/*.err | head -n1)"
log "client: $(client_oks) connections answered, $(grep -c '^err ' "$T/client.out") failed while vstackd was away"
log "UDP client: $(client_oks udpclient) echoes, $(grep -c '^err ' "$T/udpclient.out") tries without one"

grep -i 'AddressSanitizer\|runtime error' "$T"/*.err && fail "a sanitizer report from a shim program"
stop_vstackd
