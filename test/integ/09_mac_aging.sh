#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# mac_aging - with --fdb-aging 2, learned MACs are listed right after
# traffic, disappear once their ports stay silent (namespaces without IPv6,
# so idle kernels send nothing), and come back with new traffic.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_cmd ping

AGING=2
start_vstackd --fdb-aging "$AGING"
A=$(mk_ns a --no-ipv6)
B=$(mk_ns b --no-ipv6)
PA=$(ifname a)
PB=$(ifname b)
vctl port add "$PA" --netns "$A" --address 10.79.0.1/24
vctl port add "$PB" --netns "$B" --address 10.79.0.2/24
MA=$(ns_mac "$A" "$PA")
MB=$(ns_mac "$B" "$PB")

fdb_has_both() {
	[[ $(fdb_ports default "$MA") == "$PA" && $(fdb_ports default "$MB") == "$PB" ]]
}
fdb_has_neither() {
	[[ -z $(fdb_ports default "$MA") && -z $(fdb_ports default "$MB") ]]
}

for round in 1 2; do
	ping_ok "$A" 10.79.0.2 || fail "ping $A -> $B (round $round)"
	fdb_has_both || fail "FDB lacks $MA/$MB right after traffic (round $round): $(vctl fdb show)"
	ages=$(vctl_json fdb show | jq_py "[e['age_ms'] for e in d['entries']]")
	for age in $ages; do
		assert_match "$age" '^[0-9]+$' "age_ms of an FDB entry"
		assert_le "$age" $((AGING * 1000)) "age_ms of a live FDB entry"
	done
	# Silence: the entries must go. Allow generous slack over the aging
	# time (an aging scan may run only every few seconds); this asserts
	# that they go, not when.
	wait_until $((AGING * 5)) fdb_has_neither ||
		fail "FDB entries still present $((AGING * 5))s after the last frame (aging ${AGING}s): $(vctl fdb show)"
	log "round $round: entries learned and aged out"
done

# After aging, unknown unicast is flooded and relearned: traffic still flows.
ping_ok "$B" 10.79.0.1 || fail "ping after aging"
fdb_has_both || fail "FDB did not relearn after aging: $(vctl fdb show)"
stop_vstackd
