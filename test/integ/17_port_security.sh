#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# port_security - a port added with --lock on only lets frames through
# whose source MAC is the port's and whose source IPv4/IPv6 address is one
# of its addresses (DAD, ARP probes and link-local are allowed, so the
# tenant's kernel works as usual). From inside the locked tenant's
# namespace: an extra address, a changed MAC, a hand-made frame with
# someone else's source and a DHCP reply are each dropped and counted as
# "spoofed"; the same tricks from an unlocked port go through, but not
# taking over the locked port's MAC, which is pinned to it. The lock
# survives a restart. Its IPv6 link-local address is the one made up
# from its MAC: another tenant's it may not announce.
# Last, a port's share of the FDB (fdb-max): a tenant sending from many
# random source MACs gets no more than its share of the table, so another
# tenant's address, aged out meanwhile, is learned again, and unicast to
# it is not flooded to the attacker (checked on both receivers); the
# limit survives a restart.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

A=$(mk_ns a); B=$(mk_ns b)
PA=$(ifname a); PB=$(ifname b)
start_vstackd --workers 1
vctl port add "$PA" --netns "$A" --address 10.80.0.1/24 --address fd80::1/64 --lock on
vctl port add "$PB" --netns "$B" --address 10.80.0.2/24 --address fd80::2/64 --offload off
assert_eq "$(vctl_json port list | jq_py "[p['lock'] for p in d['ports'] if p['name'] == '$PA'][0]")" true "lock in port list"
wait_no_tentative "$A"
wait_no_tentative "$B"
spoofed() { vctl_json stats --port "$PA" | jq_py 'd["ports"][0]["drops"]["spoofed"]'; }
# Counters are waited for (at_least): the frames sit in the TAP's queue
# until the worker reads them, and a sender that has exited may still
# have frames there.

ping_ok "$A" 10.80.0.2 || fail "IPv4 from the locked port's own address"
ping_ok "$A" fd80::2 || fail "IPv6 from the locked port's own address"
s0=$(spoofed)

# An address the port was not given.
ip -n "$A" addr add 10.80.0.99/24 dev "$PA"
ping_fails "$A" 10.80.0.2 -I 10.80.0.99 || fail "a spoofed IPv4 source got through"
ip -n "$A" -6 addr add fd80::99/64 dev "$PA" nodad
ping_fails "$A" fd80::2 -I fd80::99 || fail "a spoofed IPv6 source got through"
s1=$(spoofed)
assert_ge "$s1" "$((s0 + 3))" "spoofed drops counted"
ping_ok "$A" 10.80.0.2 || fail "the port's own address stopped working"

# Another MAC: everything it sends is dropped.
MAC=$(ns_mac "$A" "$PA")
ip -n "$A" link set "$PA" address 02:80:00:00:00:99
ip -n "$A" neigh flush dev "$PA"
ping_fails "$A" 10.80.0.2 || fail "frames from a changed MAC got through"
ip -n "$A" link set "$PA" address "$MAC"
ping_ok "$A" 10.80.0.2 || fail "no ping after the MAC was put back"

# A hand-made frame with B's source MAC (to poison the FDB).
MAC_B=$(ns_mac "$B" "$PB")
s2=$(spoofed)
nsx_to 30 "$A" "$PY" "$LIB/badframes.py" macflood --iface "$PA" --dst ff:ff:ff:ff:ff:ff --count 50 --seconds 5 >/dev/null
wait_until 10 at_least "$((s2 + 50))" spoofed ||
	fail "frames from a made-up MAC counted as spoofed: $(spoofed), expected >= $((s2 + 50))"
fdb=$(vctl_json fdb show | jq_py "sorted(e['port'] for e in d['entries'])" | tr '\n' ' ')
assert_eq "$fdb" "$(printf '%s\n' "$PA" "$PB" | sort | tr '\n' ' ')" "FDB learned nothing from spoofed frames"

# A frame port security passes, with a checksum request over ARP's sender
# address: completing it for B (no checksum offload) would write there
# what the tenant chose, 10.80.0.3's low half. Refused as "csum"; B's
# neighbour entry for 10.80.0.3 (stale, so an ARP may update it) stays.
csum() { vctl_json stats --port "$PA" | jq_py 'd["ports"][0]["drops"]["csum"]'; }
ip -n "$B" neigh add 10.80.0.3 lladdr 02:80:00:00:00:33 dev "$PB" nud stale
sleep 1.2 # locktime: an ARP may replace an entry older than a second
c0=$(csum)
sent=$(nsx_to 30 "$A" "$PY" "$LIB/badframes.py" csumspoof --iface "$PA" --dst ff:ff:ff:ff:ff:ff \
	--src-ip 10.80.0.1 --victim-ip 10.80.0.3 --count 20 --seconds 5 | jq_py 'd["sent"]')
assert_eq "$sent" 20 "checksum requests over ARP sent"
wait_until 10 at_least "$((c0 + 20))" csum ||
	fail "checksum requests over ARP's sender not refused: csum drops $c0 -> $(csum)"
neigh=$(ip -n "$B" neigh show 10.80.0.3 dev "$PB")
[[ $neigh == *02:80:00:00:00:33* ]] || fail "B's neighbour entry for 10.80.0.3 changed: $neigh"

# A locked tenant is a DHCP client, not a server: its replies (67 -> 68)
# do not leave, even from its own address.
s3=$(spoofed)
nsx_to 10 "$A" "$PY" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.bind(("10.80.0.1", 67))
for _ in range(5):
    s.sendto(b"\x02" + bytes(299), ("10.80.0.255", 68))
'
wait_until 10 at_least "$((s3 + 5))" spoofed ||
	fail "DHCP replies from a locked port not dropped as spoofed: $s3 -> $(spoofed)"

# Link-local addresses: the one A's kernel made up from its MAC works
# through the lock, B's is not A's to claim. A's unsolicited neighbour
# advertisement for fe80::33 (someone else's: B has it in its neighbour
# table, stale) with the override flag and A's MAC would move B's traffic
# for that address to A (RFC 4861 7.2.5); it is dropped as spoofed.
LL_B=$(ip -n "$B" -6 -o addr show dev "$PB" scope link | sed -n 's/.*inet6 \(fe80::[0-9a-f:]*\)\/.*/\1/p')
[[ -n $LL_B ]] || fail "no link-local address on $PB"
ping_ok "$A" "$LL_B%$PA" || fail "no ping between link-local addresses from the locked port"
ip -n "$B" neigh add fe80::33 lladdr 02:80:00:00:00:33 dev "$PB" nud stale
s4=$(spoofed)
nsx_to 10 "$A" "$PY" - "$PA" "$(ns_mac "$B" "$PB")" "$LL_B" <<'PYEOF'
import socket, struct, sys
iface, dst_mac, dst_ip = sys.argv[1], sys.argv[2], sys.argv[3]
mac = bytes.fromhex(open(f"/sys/class/net/{iface}/address").read().strip().replace(":", ""))
src = socket.inet_pton(socket.AF_INET6, "fe80::" + ":".join(
    "%02x%02x" % p for p in ((mac[0] ^ 2, mac[1]), (mac[2], 0xff), (0xfe, mac[3]), (mac[4], mac[5]))))
dst = socket.inet_pton(socket.AF_INET6, dst_ip)
tgt = socket.inet_pton(socket.AF_INET6, "fe80::33")
na = struct.pack("!BBHI16s", 136, 0, 0, 0x20000000, tgt) + bytes([2, 1]) + mac
pseudo = src + dst + struct.pack("!IxxxB", len(na), 58) + na
c = sum(struct.unpack("!%dH" % (len(pseudo) // 2), pseudo))
while c >> 16:
    c = (c & 0xFFFF) + (c >> 16)
na = na[:2] + struct.pack("!H", ~c & 0xFFFF) + na[4:]
ip6 = struct.pack("!IHBB16s16s", 6 << 28, len(na), 58, 255, src, dst)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((iface, 0))
for _ in range(5):
    s.send(bytes.fromhex(dst_mac.replace(":", "")) + mac + b"\x86\xdd" + ip6 + na)
PYEOF
wait_until 10 at_least "$((s4 + 5))" spoofed ||
	fail "advertisements of another's link-local address not dropped as spoofed: $s4 -> $(spoofed)"
neigh=$(ip -n "$B" neigh show fe80::33 dev "$PB")
[[ $neigh == *02:80:00:00:00:33* ]] || fail "B's neighbour entry for fe80::33 changed: $neigh"
ping_ok "$A" "$LL_B%$PA" || fail "link-local ping from the locked port stopped working"

# The unlocked port may do all that.
ip -n "$B" addr add 10.80.0.98/24 dev "$PB"
ping_ok "$B" 10.80.0.1 -I 10.80.0.98 || fail "an extra address on an unlocked port was dropped"

# But it cannot take the locked port's MAC over: that address is pinned
# to the locked port in the FDB, and frames with it as their source from
# any other port are dropped as spoofed (and counted as refused), so the
# locked tenant's traffic cannot be pulled away to another port.
C=$(mk_ns c); PC=$(ifname c)
vctl port add "$PC" --netns "$C" --address 10.80.0.3/24 --offload off
pinned_port() { # MAC -> the port it is pinned to, or nothing
	vctl_json fdb show | jq_py "' '.join(e['port'] for e in d['entries'] if e['mac'] == '$1' and e['pinned'])"
}
assert_eq "$(pinned_port "$MAC")" "$PA" "the locked port's MAC pinned to it"
refused() { vctl_json stats | jq_py 'sum(n["fdb"]["refused"] for n in d["networks"])'; }
r0=$(refused)
ip -n "$C" link set "$PC" address "$MAC"
ping_fails "$C" 10.80.0.2 || fail "frames with the locked port's MAC got through from another port"
spoofed_c() { vctl_json stats --port "$PC" | jq_py 'd["ports"][0]["drops"]["spoofed"]'; }
wait_until 10 at_least 1 spoofed_c || fail "their frames counted as spoofed: $(spoofed_c)"
wait_until 10 at_least "$((r0 + 1))" refused || fail "and as refused by the FDB: $r0 -> $(refused)"
assert_eq "$(pinned_port "$MAC")" "$PA" "the locked port's MAC still with it"
ip -n "$B" neigh flush dev "$PB"
ping_ok "$B" 10.80.0.1 || fail "the locked port lost its traffic to a port using its MAC"
# Nor can a second locked port be given it: one clear error, no port.
PD=$(ifname d)
expect_ctl_error "a locked port with another locked port's MAC" \
	port add "$PD" --netns "$C" --mac "$MAC" --lock on
assert_contains "$(<"$T/ctl.err")" "port $PA's" "the error names the port that has it"
link_exists "$C" "$PD" && fail "the refused port's device was left behind"

# The lock survives a restart, and the pin with it.
stop_vstackd
start_vstackd --workers 1
ping_ok "$A" 10.80.0.2 || fail "no ping after a restart"
assert_eq "$(pinned_port "$MAC")" "$PA" "the pin back after a restart"
s3=$(spoofed)
ping_fails "$A" 10.80.0.2 -I 10.80.0.99 || fail "a spoofed source got through after a restart"
assert_ge "$(spoofed)" "$((s3 + 1))" "spoofed drops after a restart"
stop_vstackd

# --- A port's share of the FDB (fdb-max) ------------------------------------
# A table of 256 with a 4 s aging time: without shares, a flood cycling
# through 4096 source addresses keeps the 256 it got fresh and the table
# full, and F's address, once aged out, is not learned again.
start_vstackd --workers 1 --fdb-limit 256 --fdb-aging 4 --fdb-max 64
E=$(mk_ns e --no-ipv6); F=$(mk_ns f --no-ipv6); G=$(mk_ns g --no-ipv6)
PE=$(ifname e); PF=$(ifname f); PG=$(ifname g)
vctl tenant add mallory
vctl port add "$PE" --tenant mallory --network shared --netns "$E" --address 10.81.0.1/24 --fdb-max 32
vctl port add "$PF" --network shared --netns "$F" --address 10.81.0.2/24
vctl port add "$PG" --network shared --netns "$G" --address 10.81.0.3/24
pfield() { vctl_json stats --port "$1" | jq_py "d['ports'][0]['$2']"; }
shared() { vctl_json stats | jq_py "[n['fdb']['$1'] for n in d['networks'] if n['name'] == 'shared'][0]"; }
assert_eq "$(pfield "$PE" fdb_max)" 32 "the port's own fdb-max"
assert_eq "$(pfield "$PF" fdb_max)" 64 "vstackd's fdb-max for a port without one"
MAC_F=$(ns_mac "$F" "$PF")
# Static neighbours: no ARP probe refreshes F's entry while it is quiet.
ip -n "$F" neigh replace 10.81.0.3 lladdr "$(ns_mac "$G" "$PG")" dev "$PF" nud permanent
ip -n "$G" neigh replace 10.81.0.2 lladdr "$MAC_F" dev "$PG" nud permanent
in_fdb() { vctl_json fdb show --network shared | jq_py "'$1' in [e['mac'] for e in d['entries']]"; }
ping_ok "$F" 10.81.0.3 || fail "no ping between the victims before the flood"
assert_eq "$(in_fdb "$MAC_F")" true "F's address learned before the flood"

log "MAC flood from $PE for 14 s, while F stays quiet long enough to age out"
nsx_to 60 "$E" "$PY" "$LIB/badframes.py" macflood --iface "$PE" \
	--dst ff:ff:ff:ff:ff:ff --pool 4096 --seconds 14 --count 100000000 >"$T/flood.out" 2>&1 &
FLOOD=$!
wait_until 10 at_least 1 pfield "$PE" fdb_full || fail "the flood did not reach the share: $(pfield "$PE" fdb_full)"
sleep 5
assert_eq "$(in_fdb "$MAC_F")" false "F's address aged out during the flood"
# F talks again (a ping every 0.2 s keeps its entry fresh): learned.
nsx_to 30 "$F" ping -q -c 40 -i 0.2 10.81.0.3 >"$T/ping_f.out" 2>&1 &
PINGF=$!
f_learned() { [[ $(in_fdb "$MAC_F") == true ]]; }
wait_until 5 f_learned ||
	fail "F's address not learned again during the flood (network fdb: entries $(shared entries), full $(shared full))"
# G's unicast to F reaches F (udp_exchange checks every datagram), and not
# the attacker.
start_capture flood_e "$E" -i "$PE" ether dst "$MAC_F"
udp_exchange "$G" "$F" 10.81.0.2 7811 200 200
stop_capture flood_e
assert_eq "$(pcap_count flood_e --dst-mac "$MAC_F")" 0 "frames to F seen by the attacker"
wait "$PINGF" || true
wait "$FLOOD" || fail "the flooder failed: $(cat "$T/flood.out")"
log "flooder: $(cat "$T/flood.out")"
learned_e=$(pfield "$PE" fdb_learned)
log "attacker: $learned_e addresses learned, $(pfield "$PE" fdb_full) frames over its share; network: $(shared entries) entries, port_full $(shared port_full), full $(shared full)"
assert_le "$learned_e" 32 "addresses learned from the attacker's port"
assert_ge "$(shared port_full)" 1 "addresses refused for a port's share, in the network's counters"
assert_eq "$(shared full)" 0 "the network's table never full"
daemon_alive || fail "vstackd gone after the flood"

# The share survives a restart, as the port's other options.
stop_vstackd
start_vstackd --workers 1 --fdb-limit 256 --fdb-aging 4 --fdb-max 64
assert_eq "$(pfield "$PE" fdb_max)" 32 "the port's fdb-max after a restart"
assert_eq "$(pfield "$PF" fdb_max)" 64 "vstackd's fdb-max after a restart"
stop_vstackd
