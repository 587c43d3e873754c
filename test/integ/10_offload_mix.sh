#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# offload_mix - one port with offloads (checksum, TSO: the tenant hands
# vstack partially checksummed super-frames), one without (vstack must
# segment and checksum in software for it). TCP both ways with SHA-256 over
# the whole stream, one way at a time and both at once (two workers); large
# UDP datagrams (IP fragments) both ways; the no-offload TAP shows
# checksum/TSO off in ethtool and never receives a frame larger than its MTU.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_cmd socat openssl ethtool tcpdump

SIZE=$((256 << 20))
start_vstackd --workers 2
ON=$(mk_ns on)
OFF=$(mk_ns off)
PON=$(ifname on)
POFF=$(ifname off)
vctl port add "$PON" --netns "$ON" --offload on --address 10.70.0.1/24
vctl port add "$POFF" --netns "$OFF" --offload off --address 10.70.0.2/24
assert_port_in_ns "$ON" "$PON" 10.70.0.1/24
assert_port_in_ns "$OFF" "$POFF" 10.70.0.2/24

feature() { # NS DEV NAME -> on|off
	nsx "$1" ethtool -k "$2" | sed -n "s/^$3: \([a-z]*\).*/\1/p"
}
assert_eq "$(feature "$OFF" "$POFF" tx-checksumming)" off "tx-checksumming on the --offload off port"
assert_eq "$(feature "$OFF" "$POFF" tcp-segmentation-offload)" off "TSO on the --offload off port"
assert_eq "$(feature "$ON" "$PON" tx-checksumming)" on "tx-checksumming on the --offload on port"
assert_eq "$(feature "$ON" "$PON" tcp-segmentation-offload)" on "TSO on the --offload on port"
assert_match "$(port_offloads "$PON")" '(^| )csum( |$)' "offloads listed for $PON"
assert_match "$(port_offloads "$PON")" '(^| )tso4( |$)' "offloads listed for $PON"
assert_eq "$(port_offloads "$POFF")" "" "offloads listed for $POFF"

# Receive-side GRO would merge frames before tcpdump sees them; turn it off
# so the capture shows the frames exactly as vstack wrote them.
nsx "$OFF" ethtool -K "$POFF" gro off 2>/dev/null || true
start_capture big "$OFF" -Q in -i "$POFF" -c 20000 -s 64 tcp
tcp_transfer "$ON" "$OFF" 10.70.0.2 7001 "$SIZE" 180 21
stop_capture big
n=$(pcap_count big)
assert_ge "$n" 1000 "TCP frames captured on the no-offload port"
max=$(pcap_maxlen big)
mtu=$(ip -n "$OFF" -o link show dev "$POFF" | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')
assert_le "$max" $((mtu + 14)) "largest frame received by the no-offload port (MTU $mtu)"
log "no-offload port: $n frames captured, largest $max bytes"

tcp_transfer "$OFF" "$ON" 10.70.0.1 7002 "$SIZE" 180 22

# Both directions at once: data one way shares the ports with data the other.
tcp_transfer_start "$ON" "$OFF" 10.70.0.2 7011 $((SIZE / 4)) 180 23
tcp_transfer_start "$OFF" "$ON" 10.70.0.1 7012 $((SIZE / 4)) 180 24
tcp_transfer_wait 7011
tcp_transfer_wait 7012

udp_exchange "$ON" "$OFF" 10.70.0.2 7003 500 8000 500
udp_exchange "$OFF" "$ON" 10.70.0.1 7004 500 8000 500
udp_exchange "$ON" "$OFF" 10.70.0.2 7005 300 1473-20000 300
stop_vstackd
