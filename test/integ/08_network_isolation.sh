#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# network_isolation - three networks (a, b, c), two ports each, one
# 10.78.0.0/16 subnet spanning them all (so every kernel would happily talk
# to every other): traffic stays inside its network. Broadcasts reach the
# other port of the same network and never a port of another network;
# unicast across networks fails, even when the sender knows the target's MAC
# (static neighbour entry); one MAC used in two networks is learned in each
# network's own FDB; fdb show --network lists that network's entries only.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_cmd ping tcpdump

NETS=(a b c)
SHARED_MAC=02:78:00:00:00:01 # used by a1 and c1 on purpose
start_vstackd --workers 2
declare -A NS DEV MAC ADDR NETOF
for n in 1 2 3; do
	net=${NETS[n - 1]}
	for k in 1 2; do
		id=$net$k
		NS[$id]=$(mk_ns "$id" --no-ipv6)
		DEV[$id]=$(ifname "$id")
		ADDR[$id]=10.78.$n.$k
		NETOF[$id]=$net
		macarg=()
		[[ $id == a1 || $id == c1 ]] && macarg=(--mac "$SHARED_MAC")
		vctl port add "${DEV[$id]}" --network "$net" --netns "${NS[$id]}" \
			--address "${ADDR[$id]}/16" "${macarg[@]}"
		assert_port_in_ns "${NS[$id]}" "${DEV[$id]}" "${ADDR[$id]}/16"
		MAC[$id]=$(ns_mac "${NS[$id]}" "${DEV[$id]}")
	done
done
assert_eq "${MAC[a1]}" "$SHARED_MAC" "MAC of a1 (--mac)"
assert_eq "${MAC[c1]}" "$SHARED_MAC" "MAC of c1 (--mac)"
IDS=(a1 a2 b1 b2 c1 c2)

# Capture everything every port receives for the rest of the test.
for id in "${IDS[@]}"; do
	start_capture "$id" "${NS[$id]}" -Q in -i "${DEV[$id]}"
done

# Within a network: unicast works (this also teaches each FDB its MACs).
for net in "${NETS[@]}"; do
	ping_ok "${NS[${net}1]}" "${ADDR[${net}2]}" || fail "ping inside network $net"
	ping_ok "${NS[${net}2]}" "${ADDR[${net}1]}" || fail "ping inside network $net (reverse)"
done

# Broadcasts from every port, 10 each.
for id in "${IDS[@]}"; do
	nsx_to 30 "${NS[$id]}" "$PY" "$LIB/udpcheck.py" send --to 10.78.255.255:7800 \
		--broadcast --count 10 --size 200 --pps 100 >/dev/null
done

# Across networks: no ARP answer, so no ping; and with the target's MAC
# configured statically the frames still must not cross.
for pair in "a1 b1" "b2 c2" "c1 a2"; do
	read -r from to <<<"$pair"
	ping_fails "${NS[$from]}" "${ADDR[$to]}" || fail "ping $from -> $to crossed networks"
	ip -n "${NS[$from]}" neigh replace "${ADDR[$to]}" lladdr "${MAC[$to]}" \
		dev "${DEV[$from]}" nud permanent
	ping_fails "${NS[$from]}" "${ADDR[$to]}" ||
		fail "ping $from -> $to crossed networks (static neighbour entry)"
done

for id in "${IDS[@]}"; do stop_capture "$id"; done

# Each receiver: 10 broadcasts from its network's other port, nothing at all
# from ports of other networks (a1 and c1 share a MAC, so for those two
# the only check possible by MAC is the UDP count from the shared MAC).
for id in "${IDS[@]}"; do
	net=${NETOF[$id]}
	peer=$net$((3 - ${id:1}))
	n=$(pcap_count "$id" --src-mac "${MAC[$peer]}" --udp-dport 7800)
	assert_eq "$n" 10 "broadcasts from $peer seen on $id"
	for other in "${IDS[@]}"; do
		[[ ${NETOF[$other]} == "$net" ]] && continue
		[[ ${MAC[$other]} == "${MAC[$peer]}" || ${MAC[$other]} == "${MAC[$id]}" ]] && continue
		n=$(pcap_count "$id" --src-mac "${MAC[$other]}")
		assert_eq "$n" 0 "frames from $other (network ${NETOF[$other]}) seen on $id (network $net)"
	done
	# Shared MAC: a1/c1 broadcasts arrive on a2/c2, but never 20 (both).
	n=$(pcap_count "$id" --src-mac "$SHARED_MAC" --udp-dport 7800)
	assert_le "$n" 10 "broadcasts from the shared MAC seen on $id"
done

# FDB: each network lists its own two MACs only, on the right ports.
for net in "${NETS[@]}"; do
	vctl_json fdb show --network "$net" >"$T/fdb.$net.json"
	others=$(jq_py "[e['network'] for e in d['entries'] if e['network'] != '$net']" <"$T/fdb.$net.json")
	[[ -z $others ]] || fail "fdb show --network $net lists entries of: $others"
	for k in 1 2; do
		id=$net$k
		port=$(jq_py "[e['port'] for e in d['entries'] if e['mac'].lower() == '${MAC[$id]}']" <"$T/fdb.$net.json")
		assert_eq "$port" "${DEV[$id]}" "network $net: FDB port of ${MAC[$id]}"
	done
	n=$(jq_py "len(d['entries'])" <"$T/fdb.$net.json")
	assert_eq "$n" 2 "entries in network $net's FDB"
done
# The whole table: the shared MAC appears once per network, on a1 and c1.
assert_eq "$(fdb_ports "" "$SHARED_MAC" | sort | tr '\n' ' ')" \
	"$(printf '%s\n' "${DEV[a1]}" "${DEV[c1]}" | sort | tr '\n' ' ')" "ports of the shared MAC in fdb show"
stop_vstackd
