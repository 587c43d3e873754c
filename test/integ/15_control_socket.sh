#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# control_socket - who may do what, and what a hostile client can do:
#   - an unprivileged user is refused state changes with one clear line
#     and a non-zero exit; a member of the "vstack" group is allowed;
#   - malformed, oversized, binary, wrong-version and wrong-typed requests,
#     half-sent requests, one sent a byte at a time, a crowd of idle
#     connections and a crowd that never reads its responses each get an
#     error (or are cut off) and leave the daemon up and unchanged;
#   - after start-up vstackd holds only CAP_NET_ADMIN, CAP_SYS_ADMIN and
#     CAP_SYS_PTRACE (main thread: effective, permitted and bounding sets,
#     as read from /proc), its workers none, and it says so in its log.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_cmd setpriv getent

A=$(mk_ns a)
PA=$(ifname a)
start_vstackd --workers 1
vctl port add "$PA" --netns "$A" --address 10.77.0.1/24

# --- capabilities ------------------------------------------------------------
capbits() { # FIELD TASK-STATUS-FILE -> hex
	awk -v f="$1:" '$1 == f {print $2}' "$2"
}
KEEP=$(printf '%016x' $(((1 << 12) | (1 << 21) | (1 << 19)))) # net_admin sys_admin sys_ptrace
main=/proc/$VSTACKD_PID/task/$VSTACKD_PID/status
for f in CapEff CapPrm CapBnd; do
	assert_eq "$(capbits $f "$main")" "$KEEP" "$f of vstackd's control thread"
done
assert_eq "$(capbits CapAmb "$main")" "0000000000000000" "CapAmb of vstackd"
assert_eq "$(capbits CapInh "$main")" "0000000000000000" "CapInh of vstackd"
n=0
for t in /proc/"$VSTACKD_PID"/task/*; do
	[[ $t == */$VSTACKD_PID ]] && continue
	assert_eq "$(capbits CapEff "$t/status")" "0000000000000000" "CapEff of worker $(basename "$t")"
	assert_eq "$(capbits CapPrm "$t/status")" "0000000000000000" "CapPrm of worker $(basename "$t")"
	n=$((n + 1))
done
((n >= 1)) || fail "no worker thread found"
grep -q "capabilities kept: cap_net_admin,cap_sys_admin,cap_sys_ptrace" "$VSTACKD_LOG" ||
	fail "vstackd does not say which capabilities it kept"
# ...and with them it can still do its work: a port into a namespace by pid.
B=$(mk_ns b)
nsx "$B" sleep 120 &
HOLDER=$!
PB=$(ifname b)
vctl port add "$PB" --netns-pid "$HOLDER" --address 10.77.0.2/24
ping_ok "$A" 10.77.0.2 || fail "no ping to a port added after the capabilities were dropped"

# --- an unprivileged user ----------------------------------------------------
NOBODY=$(getent passwd nobody | cut -d: -f3)
[[ -n $NOBODY ]] || skip "no user nobody"
chmod 0755 "$T" # the socket's directory must be reachable to be refused politely
as_nobody() { # GROUPS ARGS... - vstackctl as user nobody with these groups
	local groups=$1
	shift
	timeout -k 2 20 setpriv --reuid="$NOBODY" --regid="$NOBODY" --groups="$groups" \
		"$VSTACKCTL" --socket "$VSTACK_SOCK" "$@"
}
rc=0
as_nobody "$NOBODY" port add "$(ifname x)" >"$T/np.out" 2>"$T/np.err" || rc=$?
((rc != 0)) || fail "an unprivileged user could add a port"
assert_eq "$(grep -c . "$T/np.err")" 1 "lines on stderr for the unprivileged user"
grep -qiE "root|vstack group|permission" "$T/np.err" || fail "unclear refusal: $(cat "$T/np.err")"
log "unprivileged: exit $rc: $(cat "$T/np.err")"
assert_eq "$(port_names | sort | tr '\n' ' ')" "$(printf '%s\n' "$PA" "$PB" | sort | tr '\n' ' ')" \
	"ports after the refused request"

# A member of the vstack group may.
if ! getent group vstack >/dev/null; then
	groupadd --system vstack
	on_cleanup "groupdel vstack"
fi
GID=$(getent group vstack | cut -d: -f3)
stop_vstackd # the socket is given to the group when it is made
start_vstackd --workers 1
PX=$(ifname x)
as_nobody "$GID" port add "$PX" || fail "a member of the vstack group could not add a port"
as_nobody "$GID" port del "$PX" || fail "a member of the vstack group could not delete a port"

# --- hostile requests ----------------------------------------------------------
# raw LINE... - send each request line on its own connection, print replies
raw() {
	"$PY" - "$VSTACK_SOCK" "$@" <<'PYEOF'
import socket, sys
path = sys.argv[1]
for req in sys.argv[2:]:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    data = req.encode("latin-1").decode("unicode_escape").encode("latin-1")
    try:
        s.sendall(data)
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    except (ConnectionResetError, BrokenPipeError):
        buf = b"<reset>\n"
    s.close()
    sys.stdout.write(buf.decode("utf-8", "replace") or "<closed>\n")
PYEOF
}
expect_error_reply() { # DESC REQUEST [--may-close]
	local r
	r=$(raw "$2")
	# Only a request too long to find its end may be answered by closing.
	if [[ ${3:-} == --may-close ]] && [[ $r == "<closed>" || $r == "<reset>" ]]; then
		:
	elif [[ $r != *'"ok":false'* && $r != *'"ok": false'* ]]; then
		fail "$1: expected an error reply, got: $r"
	fi
	daemon_alive || fail "daemon gone after: $1"
	log "$1 -> ${r:0:120}"
}
expect_error_reply "not JSON" 'hello\n'
expect_error_reply "JSON but not an object" '[1,2,3]\n'
expect_error_reply "no version" '{"command":"port.list"}\n'
expect_error_reply "future version" '{"version":99,"command":"port.list","args":{}}\n'
expect_error_reply "unknown command" '{"version":1,"command":"port.explode","args":{}}\n'
expect_error_reply "wrong argument type" '{"version":1,"command":"port.add","args":{"name":7}}\n'
expect_error_reply "unknown argument" '{"version":1,"command":"port.del","args":{"name":"x","force":true}}\n'
expect_error_reply "missing argument" '{"version":1,"command":"port.del","args":{}}\n'
expect_error_reply "huge number" '{"version":1,"command":"port.add","args":{"name":"q","mtu":1e400}}\n'
expect_error_reply "binary" '\x00\xff\xfe\x01\x02{\n'
expect_error_reply "deep nesting" "$(printf '%.0s[' {1..5000})\\n"
big=$(head -c 70000 /dev/zero | tr '\0' 'a')
expect_error_reply "oversized line" "{\"version\":1,\"command\":\"port.list\",\"args\":{\"x\":\"$big\"}}\\n" --may-close
# Half a request, then silence, on many connections at once: others are served.
"$PY" - "$VSTACK_SOCK" <<'PYEOF' &
import socket, sys, time
socks = []
for i in range(200):
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sys.argv[1])
        s.sendall(b'{"version":1,"comm')
        socks.append(s)
    except OSError:
        break
time.sleep(8)
PYEOF
IDLE=$!
sleep 1
daemon_alive || fail "daemon does not answer while 200 idle half-requests are open"
wait "$IDLE" || true
# A request sent a byte at a time, never finished (a slowloris): cut off
# 10 s after it began, however often a byte comes.
drip=$("$PY" - "$VSTACK_SOCK" <<'PYEOF'
import select, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
t0 = time.monotonic()
req = b'{"version":1,"command":"port.list","args":{"name":"' + b"x" * 64
for i in range(len(req)):
    try:
        s.send(req[i:i + 1])
    except OSError:
        break
    r, _, _ = select.select([s], [], [], 1)
    try:
        if r and s.recv(4096) == b"":
            break
    except OSError:
        break
print(int(time.monotonic() - t0))
PYEOF
)
# (not before 9 s: closed sooner, it was for something else)
((drip >= 9)) || fail "a request dripping a byte a second was cut off after ${drip} s, before its 10 s"
((drip <= 13)) || fail "a request dripping a byte a second kept its connection for ${drip} s"
log "a request dripped a byte a second: cut off after ${drip} s"
# One client pipelines 1000 requests at once: every one is answered, in
# order, but at its budget (200 a second after a burst of 100), so it is
# still waiting when another client is served; the wait is counted.
thr0=$(vctl_json stats | jq_py 'd["control"]["throttled"]')
"$PY" - "$VSTACK_SOCK" >"$T/flood.out" <<'PYEOF' &
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.settimeout(60)
req = b'{"version":1,"command":"network.list","args":{}}\n'
s.sendall(req * 1000)
buf, n = b"", 0
while n < 1000:
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
    while b"\n" in buf:
        line, buf = buf.split(b"\n", 1)
        n += json.loads(line)["ok"] is True
print(n)
PYEOF
FLOOD=$!
sleep 1
assert_eq "$(port_names | sort | tr '\n' ' ')" "$(printf '%s\n' "$PA" "$PB" | sort | tr '\n' ' ')" \
	"another client's request while one pipelines 1000"
kill -0 "$FLOOD" 2>/dev/null || fail "1000 pipelined requests answered within a second: no budget"
wait "$FLOOD" || fail "the pipelining client failed"
assert_eq "$(cat "$T/flood.out")" 1000 "pipelined requests answered"
assert_ge "$(vctl_json stats | jq_py 'd["control"]["throttled"]')" $((thr0 + 1)) \
	"budget waits counted"
# Every slot taken by a client that pipelines requests and never reads the
# answers: the one whose response has not moved for longest makes room for
# vstackctl, and all of them are closed once their responses have not moved
# for 10 s.
"$PY" - "$VSTACK_SOCK" <<'PYEOF' &
import socket, sys, time
req = b'{"version":1,"command":"stats","args":{}}\n'
socks = []
for i in range(32):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    s.sendall(req * 400)
    socks.append(s)
time.sleep(40)
PYEOF
DEAF=$!
sleep 3
assert_eq "$(port_names | sort | tr '\n' ' ')" "$(printf '%s\n' "$PA" "$PB" | sort | tr '\n' ' ')" \
	"port list while 32 clients do not read their responses"
clients_left() { (($(vctl_json stats | jq_py 'd["control"]["clients"]') <= 1)); }
wait_until 20 clients_left || fail "clients that do not read still connected after 20 s"
grep -q "has not read its response for 10 s; closing it" "$VSTACKD_LOG" ||
	fail "no word about closing clients that do not read"
kill "$DEAF" 2>/dev/null || true
wait "$DEAF" 2>/dev/null || true
assert_eq "$(port_names | sort | tr '\n' ' ')" "$(printf '%s\n' "$PA" "$PB" | sort | tr '\n' ' ')" \
	"ports after the hostile requests"
ping_ok "$A" 10.77.0.2 || fail "switching broken after the hostile requests"
kill "$HOLDER" 2>/dev/null || true
stop_vstackd
