#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# soak - mixed traffic through the switch and the shared stack for a while.
#
# For VSTACK_SOAK_SECONDS (default 60 here; `test/soak` runs it for 10
# minutes under ASan), all at once, each in rounds so that every round is
# checked:
#   - TCP between two TAP tenants (socat, 64 MiB per round, SHA-256);
#   - UDP between them (udpcheck, verified datagrams);
#   - ping-pong between them (sockperf, 64-byte messages);
#   - connection churn: 100 short TCP connections per round from a TAP
#     tenant to an endpoint;
#   - TCP from a TAP tenant to an endpoint and back (vsperf, 32 MiB per
#     round, SHA-256), and between two endpoints.
# vstackd's resident memory is sampled every 5 s: after the first third of
# the run (warm-up) it must stay within 16 MiB (or 5%, whichever is more)
# of the level it reached then. At the end the daemon must stop cleanly with no sanitizer report.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_cmd socat openssl sockperf
require_vsperf

SECS=${VSTACK_SOAK_SECONDS:-60}
# Under ASan freed memory waits in a quarantine (256 MiB by default) before
# it is reused, which reads as growth; a small one still catches use after
# free and leaves real growth visible.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4:thread_local_quarantine_size_kb=256"
start_vstackd --workers 2
A=$(mk_ns a --no-ipv6)
B=$(mk_ns b --no-ipv6)
PA=$(ifname a)
PB=$(ifname b)
vctl port add "$PA" --netns "$A" --address 10.85.0.1/24
vctl port add "$PB" --netns "$B" --address 10.85.0.2/24
vctl endpoint add e1 --address 10.85.0.11/24
vctl endpoint add e2 --address 10.85.0.12/24
ping_ok "$A" 10.85.0.2 || fail "no path a -> b"
ping_ok "$A" 10.85.0.11 || fail "no path a -> e1"

end=$((SECONDS + SECS))
rss() { awk '/^VmRSS/ {print $2}' "/proc/$VSTACKD_PID/status"; }

# Each loop runs rounds until the end and leaves "ROUNDS" in its file, or
# fails (its status is checked at the end).
loop_tcp_tap() {
	local r=0
	while ((SECONDS < end)); do
		tcp_transfer "$A" "$B" 10.85.0.2 $((7400 + r % 50)) $((64 << 20)) 120 $((r + 1))
		r=$((r + 1))
	done
	echo "$r" >"$T/loop.tcp_tap"
}
loop_udp() {
	local r=0
	while ((SECONDS < end)); do
		udp_exchange "$A" "$B" 10.85.0.2 $((7500 + r % 50)) 500 16-1400 5000
		r=$((r + 1))
	done
	echo "$r" >"$T/loop.udp"
}
loop_pingpong() {
	local r=0
	nsx "$B" sockperf server -i 10.85.0.2 -p 7600 --tcp >/dev/null 2>&1 &
	wait_listen "$B" tcp 7600
	while ((SECONDS < end)); do
		nsx_to 30 "$A" sockperf ping-pong -i 10.85.0.2 -p 7600 --tcp -m 64 -t 5 \
			>"$T/pp.out" 2>&1 || fail "sockperf ping-pong failed: $(tail -n 3 "$T/pp.out")"
		r=$((r + 1))
	done
	echo "$r" >"$T/loop.pingpong"
}
loop_churn() {
	local r=0
	"$VSPERF" sink 7700 --endpoint e1 >/dev/null 2>&1 &
	wait_ep e1 tcp_listen -ge 1
	while ((SECONDS < end)); do
		nsx_to 60 "$A" "$PY" - <<'PY' || fail "connection churn to e1 failed"
import socket
for i in range(100):
    s = socket.create_connection(("10.85.0.11", 7700), timeout=5)
    s.sendall(b"c" * 512)
    s.close()
PY
		r=$((r + 1))
	done
	echo "$r" >"$T/loop.churn"
}
loop_stack() {
	local r=0 p
	while ((SECONDS < end)); do
		p=$((7800 + r % 50))
		xfer_recv "s$r" 120 "\"$VSPERF\" sink $p --once --out - --endpoint e2"
		wait_ep e2 tcp_listen -ge 1
		xfer_send "s$r" $((32 << 20)) 120 $((r + 50)) \
			"ip netns exec $A socat -u STDIN TCP:10.85.0.12:$p,connect-timeout=5"
		xfer_wait "s$r"
		xfer_recv "o$r" 120 "ip netns exec $B socat -u -T 30 TCP-LISTEN:$p,reuseaddr STDOUT"
		wait_listen "$B" tcp "$p"
		xfer_send "o$r" $((32 << 20)) 120 $((r + 90)) \
			"\"$VSPERF\" source 10.85.0.2 $p --in - --endpoint e2"
		xfer_wait "o$r"
		xfer_recv "l$r" 120 "\"$VSPERF\" sink $((p + 100)) --once --out - --endpoint e1"
		wait_ep e1 tcp_listen -ge 2
		xfer_send "l$r" $((32 << 20)) 120 $((r + 130)) \
			"\"$VSPERF\" source 10.85.0.11 $((p + 100)) --in - --endpoint e2"
		xfer_wait "l$r"
		r=$((r + 1))
	done
	echo "$r" >"$T/loop.stack"
}

pids=()
for l in loop_tcp_tap loop_udp loop_pingpong loop_churn loop_stack; do
	"$l" &
	pids+=($!)
done

samples=()
warm=$((SECONDS + SECS / 3))
base=
while ((SECONDS < end)); do
	sleep 5
	daemon_alive || fail "vstackd died during the soak"
	samples+=("$(rss)")
	if [[ -z $base ]] && ((SECONDS >= warm)); then
		base=${samples[-1]}
	fi
done
for p in "${pids[@]}"; do
	wait "$p" || fail "a traffic loop failed (see the log above)"
done
for l in tcp_tap udp pingpong churn stack; do
	[[ -s $T/loop.$l ]] || fail "loop $l did not finish"
	assert_ge "$(<"$T/loop.$l")" 1 "rounds of $l"
done
log "rounds: tcp_tap $(<"$T/loop.tcp_tap") udp $(<"$T/loop.udp") pingpong $(<"$T/loop.pingpong") churn $(<"$T/loop.churn") stack $(<"$T/loop.stack")"
log "vstackd RSS (KiB), every 5 s: ${samples[*]}"
max=0
for ((i = ${#samples[@]} / 3; i < ${#samples[@]}; i++)); do
	((samples[i] > max)) && max=${samples[i]}
done
[[ -n $base ]] || base=${samples[0]}
slack=$((base / 20 > 16384 ? base / 20 : 16384))
assert_le "$max" $((base + slack)) "resident memory after warm-up (KiB, warm-up level $base)"
stop_vstackd
