#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# udp - numbered UDP datagrams with verifiable content cross vstack in both
# directions, IPv4 and IPv6, sizes from 1 byte to a full 1500-byte MTU
# (1472 bytes of payload), at a low rate: every datagram must arrive intact
# and exactly once. Then bursts of one 32-datagram UDP GSO frame with two
# small datagrams right behind it: the switch sends small frames ahead of
# bulk, but never a port's later frame ahead of its earlier one, so they
# must arrive in the order sent.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
[[ -e /proc/sys/net/ipv6 ]] || skip "kernel without IPv6"

start_vstackd
A=$(mk_ns a)
B=$(mk_ns b)
PA=$(ifname a)
PB=$(ifname b)
vctl port add "$PA" --netns "$A" --address 10.74.0.1/24 --address fd00:74::1/64
vctl port add "$PB" --netns "$B" --address 10.74.0.2/24 --address fd00:74::2/64
assert_port_in_ns "$A" "$PA" 10.74.0.1/24 fd00:74::1/64
assert_port_in_ns "$B" "$PB" 10.74.0.2/24 fd00:74::2/64
wait_no_tentative "$A"
wait_no_tentative "$B"

udp_exchange "$A" "$B" 10.74.0.2 7401 2000 16-1472 2000
udp_exchange "$B" "$A" 10.74.0.1 7402 2000 16-1472 2000
udp_exchange "$A" "$B" 10.74.0.2 7403 200 1 1000       # minimum frames (padded to 60 bytes)
udp_exchange "$A" "$B" '[fd00:74::2]' 7404 1000 16-1452 2000
udp_exchange "$B" "$A" '[fd00:74::1]' 7405 1000 16-1452 2000

# Order across sizes: the receiver fails on any datagram that comes after a
# later one. 200 bursts of 34 datagrams (one ~33 KiB frame and two small).
rx0=$(port_stat "$PA" rx_packets)
nsx_to 60 "$B" "$PY" "$LIB/udpcheck.py" recv --bind 0.0.0.0:7406 --count 6800 \
	--idle 5 --ordered >"$T/udp.order.rx" 2>&1 &
rpid=$!
wait_listen "$B" udp 7406
nsx_to 60 "$A" "$PY" "$LIB/udpcheck.py" send --to 10.74.0.2:7406 --count 6800 \
	--size 1000 --gso 32 --tail 2 --pps 0 >"$T/udp.order.tx" 2>&1 ||
	{ cat "$T/udp.order.tx" >&2; fail "GSO UDP sender failed"; }
wait "$rpid" || fail "GSO bursts with small datagrams behind: $(cat "$T/udp.order.rx")"
log "GSO bursts, order kept: $(cat "$T/udp.order.rx")"
# The bursts crossed as GSO frames (else this checked nothing new), where
# the kernel's TAPs take UDP segmentation offload (USO, Linux 6.2); before,
# the tenant's kernel segments them and they cross as single datagrams.
offl=$(port_offloads "$PA")
frames=$(($(port_stat "$PA" rx_packets) - rx0))
if [[ " $offl " == *" uso4 "* ]]; then
	assert_le "$frames" 1000 "frames from $PA for 6800 datagrams (offloads: $offl)"
else
	assert_ge "$frames" 6800 "frames from $PA for 6800 datagrams without USO (offloads: $offl)"
	log "no USO on this kernel's TAPs: the bursts crossed as $frames single datagrams"
fi

for p in "$PA" "$PB"; do
	assert_ge "$(port_stat "$p" rx_packets)" 3000 "stats rx_packets of $p"
	assert_ge "$(port_stat "$p" tx_packets)" 3000 "stats tx_packets of $p"
done
stop_vstackd
