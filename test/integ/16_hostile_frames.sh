#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# hostile_frames - a tenant attacks the switch from inside its namespace:
#   1. malformed frames for 15 s (cut and lying headers, bad IPv4/IPv6/TCP/
#      UDP lengths and offsets, bogus fragments, VLAN stacks, and offload
#      metadata that lies: GSO sizes, header lengths and checksum offsets
#      out of bounds, TCP metadata on UDP and the like), towards a port
#      without offloads (software segmentation), a port with them, and
#      broadcast;
#   2. a MAC flood: up to a million frames from random source addresses.
# Meanwhile two other tenants of the same network move a TCP stream whose
# SHA-256 must match, and a tenant pair on another network keeps pinging.
# Afterwards: vstackd is up, the drops are counted on the attacker's port
# (broken TCP headers and wrong IPv4 header checksums among them: the
# switch does not pass on what no receiver can take), the port without
# offloads got no more than two frames for each the attacker sent (a GSO
# frame of 1-byte segments would have been thousands), the garbage was
# charged to the attacker's tenant as a penalty and to no one else (and
# beyond its budget it was quarantined), the FDB limit held (and its
# overflow was counted), the other network's FDB is intact, and vstackd's
# memory stayed bounded.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_cmd socat openssl

LIMIT=4096
start_vstackd --workers 1 --fdb-limit "$LIMIT"
for x in a b c d e f; do
	declare "NS_$x=$(mk_ns "$x")"
	declare "P_$x=$(ifname "$x")"
done
vctl tenant add mallory
# No share of the FDB for the attacker (fdb-max 0): the flood must meet the
# table's own limit (17_port_security tests the shares).
vctl port add "$P_a" --tenant mallory --netns "$NS_a" --address 10.78.0.1/24 --fdb-max 0
vctl port add "$P_b" --netns "$NS_b" --address 10.78.0.2/24 --offload off
vctl port add "$P_c" --netns "$NS_c" --address 10.78.0.3/24
vctl port add "$P_d" --netns "$NS_d" --address 10.78.0.4/24
vctl port add "$P_e" --netns "$NS_e" --address 10.79.0.5/24 --network other
vctl port add "$P_f" --netns "$NS_f" --address 10.79.0.6/24 --network other
ping_ok "$NS_c" 10.78.0.4 && ping_ok "$NS_a" 10.78.0.2 && ping_ok "$NS_a" 10.78.0.3 &&
	ping_ok "$NS_e" 10.79.0.6 || fail "no ping before the attacks"
MAC_B=$(ns_mac "$NS_b" "$P_b")
MAC_C=$(ns_mac "$NS_c" "$P_c")
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$VSTACKD_PID/status"; }
drops_a() { port_stat "$P_a" drops_total; }

# --- 1. malformed frames -------------------------------------------------------
RSS0=$(rss_kib)
rx_a0=$(port_stat "$P_a" rx_packets)
tx_b0=$(port_stat "$P_b" tx_packets)
tcp_transfer_start "$NS_c" "$NS_d" 10.78.0.4 7801 $((512 << 20)) 240 78
log "malformed frames for 15 s"
out=$(nsx_to 60 "$NS_a" "$PY" "$LIB/badframes.py" malformed --iface "$P_a" \
	--dst "$MAC_B" --dst "$MAC_C" --dst ff:ff:ff:ff:ff:ff --seconds 15 --count 2000000)
log "attacker: $out"
tcp_transfer_wait 7801
daemon_alive || fail "vstackd gone after malformed frames"
sent=$(jq_py 'd["sent"]' <<<"$out")
assert_ge "$sent" 1000 "malformed frames that reached the switch"
d1=$(drops_a)
assert_ge "$d1" 1 "drops counted on the attacker's port"
log "attacker's port: $(vctl_json stats --port "$P_a" | jq_py 'd["ports"][0]["drops"]')"
assert_ge "$(vctl_json stats --port "$P_a" | jq_py 'd["ports"][0]["drops"]["l4"]')" 1 \
	"broken TCP/UDP headers dropped"
assert_ge "$(vctl_json stats --port "$P_a" | jq_py 'd["ports"][0]["drops"]["ip_csum"]')" 1 \
	"wrong IPv4 header checksums dropped"
rx_a=$(($(port_stat "$P_a" rx_packets) - rx_a0))
tx_b=$(($(port_stat "$P_b" tx_packets) - tx_b0))
log "attacker's frames read: $rx_a; frames to the port without offloads: $tx_b"
assert_le "$tx_b" $((2 * rx_a)) "frames to the port without offloads"
log "penalty cycles: mallory $(tenant_stat mallory penalty_cycles), default $(tenant_stat default penalty_cycles)"
assert_ge "$(tenant_stat mallory penalty_cycles)" 1 "penalty charged to the attacker's tenant"
assert_eq "$(tenant_stat default penalty_cycles)" 0 "penalty charged to the victims' tenant"
assert_ge "$(tenant_stat mallory quarantines)" 1 "attacker quarantined beyond its garbage budget"
assert_eq "$(tenant_stat default quarantines)" 0 "victims quarantined"
ping_ok "$NS_d" 10.78.0.2 || fail "port without offloads unreachable after the attack"
ping_ok "$NS_d" 10.78.0.3 || fail "port with offloads unreachable after the attack"

# --- 2. MAC flood ----------------------------------------------------------------
log "MAC flood: up to a million source addresses, at most 60 s"
tcp_transfer_start "$NS_c" "$NS_d" 10.78.0.4 7802 $((256 << 20)) 240 79
nsx_to 60 "$NS_e" ping -q -c 100 -i 0.05 10.79.0.6 >"$T/ping_other.out" 2>&1 &
PING=$!
out=$(nsx_to 120 "$NS_a" "$PY" "$LIB/badframes.py" macflood --iface "$P_a" \
	--dst "$MAC_B" --seconds 60 --count 1000000)
log "flooder: $out"
tcp_transfer_wait 7802
wait "$PING" || true
daemon_alive || fail "vstackd gone after the MAC flood"
net=$(vctl_json stats)
entries=$(jq_py '[n["fdb"]["entries"] for n in d["networks"] if n["name"] == "default"][0]' <<<"$net")
full=$(jq_py '[n["fdb"]["full"] for n in d["networks"] if n["name"] == "default"][0]' <<<"$net")
other=$(jq_py '[n["fdb"]["entries"] for n in d["networks"] if n["name"] == "other"][0]' <<<"$net")
log "default network FDB: $entries entries, $full refused for the limit; other network: $other"
assert_le "$entries" "$LIMIT" "FDB entries of the flooded network"
assert_ge "$full" 1 "FDB overflows counted"
assert_ge "$other" 2 "other network's FDB entries"
grep -qE ' 0% packet loss' "$T/ping_other.out" || fail "pings lost on the other network during the flood: $(cat "$T/ping_other.out")"
RSS1=$(rss_kib)
log "vstackd RSS: $RSS0 KiB before, $RSS1 KiB after"
assert_le "$RSS1" "$((RSS0 + 32768))" "vstackd RSS growth under attack (KiB)"
ping_ok "$NS_c" 10.78.0.4 || fail "no ping after the flood"
stop_vstackd
