#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# jumbo - two ports with MTU 9000: unfragmented 9000-byte IP packets (ping
# -s 8972 -M 'do') cross both ways, IPv4 and IPv6, and a 64 MiB TCP stream
# with full-size segments arrives intact.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_cmd ping socat openssl
[[ -e /proc/sys/net/ipv6 ]] || skip "kernel without IPv6"

start_vstackd
A=$(mk_ns a)
B=$(mk_ns b)
PA=$(ifname a)
PB=$(ifname b)
vctl port add "$PA" --netns "$A" --mtu 9000 --address 10.77.0.1/24 --address fd00:77::1/64
vctl port add "$PB" --netns "$B" --mtu 9000 --address 10.77.0.2/24 --address fd00:77::2/64
assert_port_in_ns "$A" "$PA" 10.77.0.1/24
assert_port_in_ns "$B" "$PB" 10.77.0.2/24
for side in "$A $PA" "$B $PB"; do
	read -r ns dev <<<"$side"
	mtu=$(ip -n "$ns" -o link show dev "$dev" | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')
	assert_eq "$mtu" 9000 "MTU of $dev in $ns"
done
wait_no_tentative "$A"
wait_no_tentative "$B"

ping_ok "$A" 10.77.0.2 -M 'do' -s 8972 || fail "9000-byte IPv4 ping $A -> $B"
ping_ok "$B" 10.77.0.1 -M 'do' -s 8972 || fail "9000-byte IPv4 ping $B -> $A"
ping_ok "$A" fd00:77::2 -6 -M 'do' -s 8952 || fail "9000-byte IPv6 ping $A -> $B"
ping_ok "$B" fd00:77::1 -6 -M 'do' -s 8952 || fail "9000-byte IPv6 ping $B -> $A"

tcp_transfer "$A" "$B" 10.77.0.2 7701 $((64 << 20)) 120 7
tcp_transfer "$B" "$A" 10.77.0.1 7702 $((64 << 20)) 120 8
udp_exchange "$A" "$B" 10.77.0.2 7703 300 8000-8972 500
stop_vstackd
