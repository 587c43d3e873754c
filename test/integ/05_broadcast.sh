#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# broadcast - three tenants on one network: a broadcast from any one reaches
# both others (UDP to the subnet broadcast, checked datagram by datagram, and
# ping -b answered by both), and the switch never reflects a flooded frame
# back to the port it came from.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_cmd ping tcpdump

start_vstackd
NS=() DEV=() MAC=()
for i in 1 2 3; do
	vctl tenant add "t$i"
	NS[i]=$(mk_ns "n$i")
	DEV[i]=$(ifname "p$i")
	vctl port add "${DEV[i]}" --tenant "t$i" --netns "${NS[i]}" --address "10.75.0.$i/24"
	assert_port_in_ns "${NS[i]}" "${DEV[i]}" "10.75.0.$i/24"
	MAC[i]=$(ns_mac "${NS[i]}" "${DEV[i]}")
	nsx "${NS[i]}" sysctl -qw net.ipv4.icmp_echo_ignore_broadcasts=0
done

for s in 1 2 3; do
	# Capture what comes back in on the sender's own port.
	start_capture "echo$s" "${NS[s]}" -Q in -i "${DEV[s]}" ether src "${MAC[s]}"
	pids=()
	for r in 1 2 3; do
		((r == s)) && continue
		nsx_to 30 "${NS[r]}" "$PY" "$LIB/udpcheck.py" recv --bind "0.0.0.0:750$s" \
			--count 20 --size 64-1400 --tag "$s" --idle 5 >"$T/b$s.r$r" 2>&1 &
		pids[r]=$!
	done
	for r in "${!pids[@]}"; do wait_listen "${NS[r]}" udp "750$s"; done
	nsx_to 30 "${NS[s]}" "$PY" "$LIB/udpcheck.py" send --to "10.75.0.255:750$s" --broadcast \
		--count 20 --size 64-1400 --tag "$s" --pps 200 >/dev/null
	for r in "${!pids[@]}"; do
		wait "${pids[r]}" || fail "broadcast from ${NS[s]} to ${NS[r]}: $(cat "$T/b$s.r$r")"
		log "broadcast ${NS[s]} -> ${NS[r]}: $(cat "$T/b$s.r$r")"
	done

	# ping -b: both other tenants must answer (each reply line names its source).
	out=$(nsx_to 20 "${NS[s]}" ping -n -b -c 3 -i 0.3 -w 8 10.75.0.255 2>&1) || true
	for r in 1 2 3; do
		((r == s)) && continue
		grep -q "from 10.75.0.$r:" <<<"$out" || fail "ping -b from ${NS[s]}: no reply from 10.75.0.$r: $out"
	done

	stop_capture "echo$s"
	n=$(pcap_count "echo$s")
	assert_eq "$n" 0 "frames with ${DEV[s]}'s own source MAC flooded back to it"
done

# The broadcasts count as traffic on every port: each sent >= 29 frames
# (20 UDP, 3 ping -b, 6 echo replies) and received >= 52 (40 UDP, 6 ping -b,
# 6 replies); whichever way a counter is named, both are >= 29.
for i in 1 2 3; do
	assert_ge "$(port_stat "${DEV[i]}" rx_packets)" 29 "stats rx_packets of ${DEV[i]}"
	assert_ge "$(port_stat "${DEV[i]}" tx_packets)" 29 "stats tx_packets of ${DEV[i]}"
done
stop_vstackd
