#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# endpoint_interop - a stack endpoint against the Linux kernel stack.
#
# A kernel peer in its own namespace sits on a TAP port; endpoint ep1 on the
# same network is served by the shared stack, its applications are vsperf
# processes attached through the app socket. Two workers, so frames for the
# endpoint arrive on both and are handed to the worker that owns it.
#   - ARP and ping, both ways where the kernel can be asked;
#   - UDP both ways, a datagram bigger than the MTU (fragmented and
#     reassembled on both sides), a closed UDP port (ICMP port unreachable)
#     and a closed TCP port (RST); a connect from the endpoint that a
#     firewall rejects (ICMP host unreachable) fails at once;
#   - 1 GiB TCP each way (the endpoint accepting, then connecting) with
#     SHA-256 checked, 2.5 GiB each way (past half the sequence space),
#     then 128 MiB with 0.1% and 2% random loss on the Linux side
#     (nftables);
#   - a kernel receiver that stops reading (zero window) and resumes;
#   - 300 short connections one after the other.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_cmd socat openssl nft
require_vsperf

BIG=${VSTACK_TCP_BYTES:-$((1 << 30))}
LOSSY=${VSTACK_LOSSY_BYTES:-$((128 << 20))}
start_vstackd --workers 2
K=$(mk_ns k --no-ipv6)
PK=$(ifname k)
vctl port add "$PK" --netns "$K" --address 10.81.0.1/24
vctl endpoint add ep1 --address 10.81.0.2/24
out=$(vctl endpoint list)
assert_contains "$out" "10.81.0.2/24" "endpoint list shows the address"

# --- ARP, ICMP -----------------------------------------------------------
ping_ok "$K" 10.81.0.2 || fail "kernel cannot ping the endpoint"
mac=$(ep_field ep1 mac)
neigh=$(ip -n "$K" neigh show 10.81.0.2)
assert_contains "${neigh,,}" "${mac,,}" "the kernel resolved the endpoint's MAC by ARP"
ping_ok "$K" 10.81.0.2 -s 4000 || fail "fragmented echo (4000 bytes) not answered"

# --- UDP -----------------------------------------------------------------
"$VSPERF" udp-echo 9000 --endpoint ep1 2>"$T/echo.err" &
wait_ep ep1 udp_socks -ge 1
for size in 64 1472 8000; do
	got=$(nsx_to 10 "$K" "$PY" - "$size" <<'PY'
import socket, sys, os
n = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
data = os.urandom(n)
for attempt in range(5):
    s.sendto(data, ("10.81.0.2", 9000))
    try:
        back, _ = s.recvfrom(65536)
    except socket.timeout:
        continue
    print("ok" if back == data else "mismatch %d" % len(back))
    break
else:
    print("no echo")
PY
	)
	assert_eq "$got" ok "UDP echo of $size bytes"
done
# From the endpoint to the kernel: a kernel echo server, vsperf counts
# the echoes (sizes up to 8000 bytes: fragmented both ways).
nsx "$K" "$PY" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 9001))
while True:
    d, a = s.recvfrom(65536)
    s.sendto(d, a)
' &
wait_listen "$K" udp 9001
for size in 16 1400 8000; do
	out=$("$VSPERF" udp-send 10.81.0.1 9001 --count 200 --size "$size" --endpoint ep1 2>&1) ||
		fail "vsperf udp-send failed: $out"
	got=$(jq_py 'd["received"]' <<<"$(tail -n1 <<<"$out")")
	assert_eq "$got" 200 "UDP echoes of $size bytes from the kernel ($out)"
done

# Closed ports: ICMP port unreachable for UDP, RST for TCP.
got=$(nsx_to 10 "$K" "$PY" - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect(("10.81.0.2", 9999))
s.send(b"x")
try:
    s.recv(10)
    print("answered")
except ConnectionRefusedError:
    print("refused")
except socket.timeout:
    print("timeout")
t = socket.socket()
t.settimeout(2)
try:
    t.connect(("10.81.0.2", 9999))
    print("connected")
except ConnectionRefusedError:
    print("refused")
except socket.timeout:
    print("timeout")
PY
)
assert_eq "$(tr '\n' ' ' <<<"$got")" "refused refused " "closed UDP and TCP ports refuse"

# A firewall's reject: the kernel answers SYNs to port 9998 with an ICMP
# host unreachable. The endpoint's connect fails at once with it, as the
# kernel's would, instead of resending its SYN for a minute.
nsx "$K" nft -f - <<'NFT'
table inet vstrej {
	chain in { type filter hook input priority 0; tcp dport 9998 reject with icmp type host-unreachable; }
}
NFT
t0=$(date +%s%N)
out=$("$VSPERF" source 10.81.0.1 9998 --bytes 1 --endpoint ep1 --timeout 30 2>&1) &&
	fail "connect through a reject succeeded: $out"
ms=$((($(date +%s%N) - t0) / 1000000))
assert_contains "$out" "No route to host" "connect through an ICMP reject"
((ms < 5000)) || fail "connect through an ICMP reject took $ms ms"
nsx "$K" nft delete table inet vstrej

# --- TCP, both ways, clean and lossy -----------------------------------------
tcp_both_ways() { # BYTES TAG
	local bytes=$1 tag=$2
	# kernel -> endpoint (the endpoint accepts)
	xfer_recv "$tag.in" 300 "\"$VSPERF\" sink 7001 --once --out - --endpoint ep1"
	wait_ep ep1 tcp_listen -ge 1
	xfer_send "$tag.in" "$bytes" 300 11 \
		"ip netns exec $K socat -u STDIN TCP:10.81.0.2:7001,connect-timeout=5"
	xfer_wait "$tag.in"
	# endpoint -> kernel (the endpoint connects)
	xfer_recv "$tag.out" 300 "ip netns exec $K socat -u -T 30 TCP-LISTEN:7002,reuseaddr STDOUT"
	wait_listen "$K" tcp 7002
	xfer_send "$tag.out" "$bytes" 300 12 "\"$VSPERF\" source 10.81.0.1 7002 --in - --endpoint ep1"
	xfer_wait "$tag.out"
}
tcp_both_ways "$BIG" clean

# Streams longer than 2 GiB, each way: sequence numbers and the app rings'
# counters pass half their space (byte counts checked by vsperf itself).
LONG=$((5 << 29))
nsx "$K" "$VSPERF" --kernel sink 7005 --once --timeout 120 2>"$T/long.rx" &
lrx=$!
wait_listen "$K" tcp 7005
"$VSPERF" source 10.81.0.1 7005 --bytes "$LONG" --endpoint ep1 --timeout 120 ||
	fail "endpoint -> kernel, $LONG bytes: the sender failed"
wait "$lrx" || fail "endpoint -> kernel, $LONG bytes: $(cat "$T/long.rx")"
assert_eq "$(jq_py 'd["bytes"]' <"$T/long.rx")" "$LONG" "bytes of a long stream to the kernel"
"$VSPERF" sink 7006 --once --endpoint ep1 --timeout 120 2>"$T/long.rx" &
lrx=$!
wait_ep ep1 tcp_listen -ge 1
nsx_to 130 "$K" "$VSPERF" --kernel source 10.81.0.2 7006 --bytes "$LONG" ||
	fail "kernel -> endpoint, $LONG bytes: the sender failed"
wait "$lrx" || fail "kernel -> endpoint, $LONG bytes: $(cat "$T/long.rx")"
assert_eq "$(jq_py 'd["bytes"]' <"$T/long.rx")" "$LONG" "bytes of a long stream from the kernel"
nft_loss "$K" 1
tcp_both_ways "$LOSSY" loss0.1
nft_loss "$K" 20
tcp_both_ways "$LOSSY" loss2
nft_loss "$K" 0

# --- zero window: the kernel reads 1 MiB, stops for 3 s, reads the rest ------
xfer_recv zwin 120 "ip netns exec $K \"$PY\" -c '
import socket, sys, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
l.bind((\"0.0.0.0\", 7003)); l.listen(1); c, _ = l.accept(); out = sys.stdout.buffer
got = 0; paused = False
while True:
    b = c.recv(65536)
    if not b: break
    out.write(b); got += len(b)
    if got > (1 << 20) and not paused:
        paused = True; time.sleep(3)
out.flush()'"
wait_listen "$K" tcp 7003
xfer_send zwin $((32 << 20)) 120 13 "\"$VSPERF\" source 10.81.0.1 7003 --in - --endpoint ep1"
xfer_wait zwin

# --- many short connections ---------------------------------------------------
"$VSPERF" sink 7004 --endpoint ep1 >"$T/sink.many" 2>&1 &
sink=$!
wait_ep ep1 tcp_listen -ge 1
got=$(nsx_to 120 "$K" "$PY" - <<'PY'
import socket
ok = 0
for i in range(300):
    s = socket.create_connection(("10.81.0.2", 7004), timeout=5)
    s.sendall(bytes([i % 256]) * 1000)
    s.close()
    ok += 1
print(ok)
PY
)
assert_eq "$got" 300 "short connections completed"
kill "$sink" 2>/dev/null || true
wait "$sink" 2>/dev/null || true
# Every connection ends: what TCP held goes back (TIME-WAIT is the
# kernel's, it closed first).
wait_ep ep1 tcp_conns -le 1 20

stop_vstackd
