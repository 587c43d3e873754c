#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# device_gone - a port's TAP device is deleted from outside vstackd (ip link
# del in the tenant's namespace), and another one vanishes with its whole
# namespace, while a third tenant pair moves a TCP stream: vstackd stays up
# and its CPU idle, the ports show state "gone" and are reported once in
# the log, the stream's SHA-256 matches, and port del and a fresh port add
# under the same name work; port del of the port whose namespace went
# leaves alone a device of its name in a new namespace of the same name.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_cmd socat openssl

A=$(mk_ns a); B=$(mk_ns b); C=$(mk_ns c); D=$(mk_ns d)
PA=$(ifname a); PB=$(ifname b); PC=$(ifname c); PD=$(ifname d)
start_vstackd --workers 1
vctl port add "$PA" --netns "$A" --address 10.81.0.1/24
vctl port add "$PB" --netns "$B" --address 10.81.0.2/24 --mac 02:81:00:00:00:02
vctl port add "$PC" --netns "$C" --address 10.81.0.3/24
vctl port add "$PD" --netns "$D" --address 10.81.0.4/24
ping_ok "$A" 10.81.0.2 && ping_ok "$A" 10.81.0.4 || fail "no ping at the start"
state_of() { vctl_json port list | jq_py "[p['state'] for p in d['ports'] if p['name'] == '$1'][0]"; }
assert_eq "$(state_of "$PB")" up "state of a healthy port"

tcp_transfer_start "$A" "$C" 10.81.0.3 8101 $((512 << 20)) 240 81
ip -n "$B" link del "$PB"
ip netns del "$D"
is_gone() { [[ $(state_of "$1") == gone ]]; }
wait_until 10 is_gone "$PB" || fail "$PB not marked gone"
# Nothing reads from a namespace that is gone until traffic is sent its
# way: a flood (broadcast ARP for an unknown address) reaches it.
nsx "$A" ping -c 2 -W 1 10.81.0.9 >/dev/null 2>&1 || true
wait_until 10 is_gone "$PD" || fail "$PD not marked gone after its namespace went"
tcp_transfer_wait 8101
daemon_alive || fail "vstackd gone"
sleep 2
assert_eq "$(grep -c "port $PB: its device was deleted from outside" "$VSTACKD_LOG")" 1 "reports for $PB"
c0=$(vstackd_ticks); sleep 2; c1=$(vstackd_ticks)
assert_le "$((c1 - c0))" 20 "vstackd CPU ticks over 2 idle seconds with gone ports"

# Someone else's namespace by the old one's name, with a device by the
# port's name in it: deleting the port leaves that device alone.
ip netns add "$D"
ip -n "$D" link add "$PD" type veth peer name "${PD}x"
vctl port del "$PB"
vctl port del "$PD"
link_exists "$D" "$PD" || fail "port del $PD deleted a device of that name in a new namespace of the same name"
vctl port add "$PB" --netns "$B" --address 10.81.0.2/24 --mac 02:81:00:00:00:02
ping_ok "$A" 10.81.0.2 || fail "no ping to a port re-added under the same name"
assert_eq "$(state_of "$PB")" up "state of the re-added port"
stop_vstackd
