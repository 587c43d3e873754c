#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ipv6_nd - IPv6 through vstack: global (fd00:73::/64) and link-local
# addresses, ping -6 both ways; neighbour discovery (multicast solicitations,
# unicast advertisements) resolves each side to the other's MAC.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_cmd ping
[[ -e /proc/sys/net/ipv6 ]] || skip "kernel without IPv6"

start_vstackd
A=$(mk_ns a) # DAD off in these namespaces: addresses usable at once
B=$(mk_ns b)
PA=$(ifname a)
PB=$(ifname b)
vctl port add "$PA" --netns "$A" --address fd00:73::1/64
vctl port add "$PB" --netns "$B" --address fd00:73::2/64
assert_port_in_ns "$A" "$PA" fd00:73::1/64
assert_port_in_ns "$B" "$PB" fd00:73::2/64
wait_no_tentative "$A"
wait_no_tentative "$B"
MA=$(ns_mac "$A" "$PA")
MB=$(ns_mac "$B" "$PB")

ping_ok "$A" fd00:73::2 -6 || fail "ping -6 $A -> fd00:73::2"
ping_ok "$B" fd00:73::1 -6 || fail "ping -6 $B -> fd00:73::1"

for side in "$A $PA fd00:73::2 $MB" "$B $PB fd00:73::1 $MA"; do
	read -r ns dev peer mac <<<"$side"
	neigh=$(ip -n "$ns" -6 neigh show "$peer" dev "$dev")
	assert_match "$neigh" "lladdr $mac (router )?(REACHABLE|STALE|DELAY|PROBE)" "ND entry for $peer in $ns"
done

# Link-local: the peer's fe80:: address, reached by interface scope.
LLB=$(ip -n "$B" -6 -o addr show dev "$PB" scope link | awk '{print $4}' | cut -d/ -f1)
[[ $LLB == fe80:* ]] || fail "no link-local address on $PB in $B: $(ip -n "$B" -6 addr show dev "$PB")"
ping_ok "$A" "$LLB%$PA" -6 || fail "ping -6 $A -> $LLB%$PA (link-local)"

assert_eq "$(fdb_ports default "$MA")" "$PA" "FDB entry for $MA"
assert_eq "$(fdb_ports default "$MB")" "$PB" "FDB entry for $MB"

# Flushing the neighbour cache forces a fresh solicitation (to the
# solicited-node multicast group) that the switch must flood.
ip -n "$A" -6 neigh flush dev "$PA"
ping_ok "$A" fd00:73::2 -6 || fail "ping -6 after neighbour flush"
neigh=$(ip -n "$A" -6 neigh show fd00:73::2 dev "$PA")
assert_match "$neigh" "lladdr $MB (router )?(REACHABLE|STALE|DELAY|PROBE)" "ND entry after flush"

stop_vstackd
