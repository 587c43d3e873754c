#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# udp - numbered UDP datagrams with verifiable content cross vstack in both
# directions, IPv4 and IPv6, sizes from 1 byte to a full 1500-byte MTU
# (1472 bytes of payload), at a low rate: every datagram must arrive intact
# and exactly once.
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

for p in "$PA" "$PB"; do
	assert_ge "$(port_stat "$p" rx_packets)" 3000 "stats rx_packets of $p"
	assert_ge "$(port_stat "$p" tx_packets)" 3000 "stats tx_packets of $p"
done
stop_vstackd
