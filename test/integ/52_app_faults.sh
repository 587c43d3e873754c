#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# app_faults - applications and vstackd dying under each other.
#
#   - an application killed (SIGKILL) in the middle of a transfer: what it
#     held in the stack is released (its context, its connections, reset
#     towards the peer), while another application's transfer on the same
#     endpoint goes on intact;
#   - one user's connections that never send their hello: capped at 512,
#     closed after 3 s, and root's application still attaches;
#   - vstackd killed (SIGKILL) under a blocked application: the
#     application fails with a clear error within seconds instead of
#     hanging.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_cmd socat openssl
require_vsperf

start_vstackd
K=$(mk_ns k --no-ipv6)
PK=$(ifname k)
vctl port add "$PK" --netns "$K" --address 10.83.0.1/24
vctl endpoint add ep1 --address 10.83.0.2/24

# A victim transfer that must survive, and a doomed one.
xfer_recv keep 300 "ip netns exec $K socat -u -T 30 TCP-LISTEN:7201,reuseaddr STDOUT"
wait_listen "$K" tcp 7201
xfer_send keep $((512 << 20)) 300 31 "\"$VSPERF\" source 10.83.0.1 7201 --in -"
nsx "$K" socat -u -T 30 TCP-LISTEN:7202,reuseaddr /dev/null 2>/dev/null &
wait_listen "$K" tcp 7202
"$VSPERF" source 10.83.0.1 7202 --time 60 2>/dev/null &
doomed=$!
wait_ep ep1 apps -ge 2
wait_ep ep1 tcp_conns -ge 2
sleep 1
kill -KILL "$doomed"
wait "$doomed" 2>/dev/null || true
wait_ep ep1 apps -eq 1 5
xfer_wait keep
wait_ep ep1 apps -eq 0 5
wait_ep ep1 tcp_conns -eq 0 10

# Connections that never send their hello, from one unprivileged user (the
# app socket is open to all): past 512 that user is refused at once, with
# the reason; root still attaches; 3 s on, every silent one is closed.
NOBODY=$(getent passwd nobody | cut -d: -f3)
[[ -n $NOBODY ]] || skip "no user nobody"
chmod 0755 "$T" # the app socket's directory must be reachable
timeout -k 2 30 setpriv --reuid="$NOBODY" --regid="$NOBODY" --clear-groups \
	"$PY" - "$T/app.sock" >"$T/silent.out" <<'PYEOF' &
import socket, select, sys, time
socks = []
for i in range(600):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sys.argv[1])
    socks.append(s)
time.sleep(1)
refused = set()
for s in select.select(socks, [], [], 0)[0]:
    if b"too many applications of uid" in s.recv(4096):
        refused.add(s)
print("refused", len(refused), flush=True)
time.sleep(5)
closed = 0
for s in socks:
    if s in refused:
        continue
    s.setblocking(False)
    try:
        closed += s.recv(4096) == b""
    except ConnectionResetError:
        closed += 1
    except BlockingIOError:
        pass
print("closed", closed, flush=True)
PYEOF
SILENT=$!
silent_refused() { grep -q '^refused' "$T/silent.out"; }
wait_until 10 silent_refused || fail "the silent connections were not made"
assert_eq "$(awk '$1 == "refused" {print $2}' "$T/silent.out")" 88 \
	"connections of one user refused beyond 512"
"$VSPERF" sink 7204 --once >/dev/null 2>&1 &
rootapp=$!
wait_ep ep1 tcp_listen -ge 1
kill "$rootapp" 2>/dev/null || true
wait "$rootapp" 2>/dev/null || true
wait "$SILENT" || fail "the silent connections' script failed"
assert_eq "$(awk '$1 == "closed" {print $2}' "$T/silent.out")" 512 \
	"silent connections closed after the hello deadline"
grep -q "that sent no hello within 3000 ms" "$VSTACKD_LOG" ||
	fail "no word about closing connections that sent no hello"
wait_ep ep1 tcp_listen -eq 0

# vstackd dies under a blocked application (a sink nobody sends to).
"$VSPERF" sink 7203 --once >"$T/orphan.out" 2>&1 &
orphan=$!
wait_ep ep1 tcp_listen -ge 1
kill9_vstackd
rc=0
for ((i = 0; i < 50; i++)); do
	_proc_gone "$orphan" && break
	sleep 0.1
done
_proc_gone "$orphan" || fail "the application still waits 5 s after vstackd died"
wait "$orphan" || rc=$?
((rc != 0)) || fail "the application exited 0 after vstackd died"
assert_contains "$(cat "$T/orphan.out")" "vstackd" "the error names vstackd"
log "orphaned application: $(cat "$T/orphan.out")"
