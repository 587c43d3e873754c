#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ping_arp - two tenants, one TAP port each in its own namespace, on the
# default network: ARP resolves, ping works both ways, the FDB maps each MAC
# to its port, and the per-port counters count the traffic exactly (frames
# read from a port = what its tenant's kernel sent, and the other way).
# Before Linux 6.4 a TAP refuses RWF_NOWAIT reads: counted per queue in
# stats and said once in the log, and neither happens on newer kernels.
# IPv6 is off in the namespaces so idle tenants send nothing.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_cmd ping

start_vstackd
vctl tenant add ta
vctl tenant add tb
vctl_json tenant list | jq_py '[t["name"] for t in d["tenants"]]' >"$T/tenants"
if ! grep -qx ta "$T/tenants" || ! grep -qx tb "$T/tenants"; then
	fail "tenant list lacks ta/tb: $(cat "$T/tenants")"
fi

A=$(mk_ns a --no-ipv6)
B=$(mk_ns b --no-ipv6)
PA=$(ifname a)
PB=$(ifname b)
vctl port add "$PA" --tenant ta --netns "$A" --address 10.72.0.1/24
vctl port add "$PB" --tenant tb --netns "$B" --address 10.72.0.2/24
assert_port_in_ns "$A" "$PA" 10.72.0.1/24
assert_port_in_ns "$B" "$PB" 10.72.0.2/24
MA=$(ns_mac "$A" "$PA")
MB=$(ns_mac "$B" "$PB")
assert_ne "$MA" "$MB" "the two ports' MAC addresses"

port_names >"$T/ports"
if ! grep -qxF "$PA" "$T/ports" || ! grep -qxF "$PB" "$T/ports"; then
	fail "port list lacks $PA/$PB: $(cat "$T/ports")"
fi

ping_ok "$A" 10.72.0.2 || fail "ping $A -> 10.72.0.2"
ping_ok "$B" 10.72.0.1 || fail "ping $B -> 10.72.0.1"

# Non-blocking reads of a TAP (RWF_NOWAIT), which drain a backlog with
# several reads in flight: before Linux 6.4 tun refuses them, and each
# queue keeps one read. Each queue that found out is counted in stats (the
# two ports' one queue each, once the pings' replies came through), and
# the log says it once; newer kernels take them.
refused=$(worker_stat nowait_refused)
said() { grep -c "refuse non-blocking reads" "$VSTACKD_LOG"; }
vctl stats >"$T/stats.txt"
shown=$(grep -c "RWF_NOWAIT refused" "$T/stats.txt" || true)
if kernel_older_than 6 4; then
	assert_eq "$refused" 2 "queues refusing RWF_NOWAIT reads on $(uname -r)"
	grep -q "RWF_NOWAIT refused: 2 queues" "$T/stats.txt" ||
		fail "stats' worker table does not show the refused queues: $(cat "$T/stats.txt")"
	wait_until 3 grep -q "refuse non-blocking reads" "$VSTACKD_LOG" ||
		fail "the log does not say that TAPs refuse RWF_NOWAIT reads on $(uname -r)"
	assert_eq "$(said)" 1 "times the log says TAPs refuse RWF_NOWAIT reads"
else
	assert_eq "$refused" 0 "queues refusing RWF_NOWAIT reads on $(uname -r)"
	assert_eq "$shown" 0 "workers shown with refused RWF_NOWAIT reads"
	assert_eq "$(said)" 0 "times the log says TAPs refuse RWF_NOWAIT reads"
fi

# ARP resolved each side to the other's real MAC.
neigh=$(ip -n "$A" neigh show 10.72.0.2 dev "$PA")
assert_match "$neigh" "lladdr $MB (REACHABLE|STALE|DELAY|PROBE)" "ARP entry for 10.72.0.2 in $A"
neigh=$(ip -n "$B" neigh show 10.72.0.1 dev "$PB")
assert_match "$neigh" "lladdr $MA (REACHABLE|STALE|DELAY|PROBE)" "ARP entry for 10.72.0.1 in $B"

# FDB: each MAC learned on its own port, in network default.
assert_eq "$(fdb_ports default "$MA")" "$PA" "FDB entry for $MA"
assert_eq "$(fdb_ports default "$MB")" "$PB" "FDB entry for $MB"
vctl fdb show >"$T/fdb.txt"
grep -qi "$MA" "$T/fdb.txt" || fail "table output of fdb show lacks $MA: $(cat "$T/fdb.txt")"

# Counters: each side sent and received at least 6 echo frames (3 pings
# each way) plus ARP; direction naming aside, both must count >= 6.
for p in "$PA" "$PB"; do
	assert_ge "$(port_stat "$p" rx_packets)" 6 "stats rx_packets of $p"
	assert_ge "$(port_stat "$p" tx_packets)" 6 "stats tx_packets of $p"
done
# Exact agreement with the tenant kernels' own counters, once idle: the
# switch's rx (frames read from the port) is the tenant's tx, and its tx
# (frames written to the port) the tenant's rx.
kstat() { # NS DEV rx|tx
	ip -n "$1" -j -s link show dev "$2" | jq_py "d[0]['stats64']['$3']['packets']"
}
counters_agree() {
	[[ $(port_stat "$PA" rx_packets) == "$(kstat "$A" "$PA" tx)" &&
		$(port_stat "$PA" tx_packets) == "$(kstat "$A" "$PA" rx)" &&
		$(port_stat "$PB" rx_packets) == "$(kstat "$B" "$PB" tx)" &&
		$(port_stat "$PB" tx_packets) == "$(kstat "$B" "$PB" rx)" ]]
}
if ! wait_until 5 counters_agree; then
	fail "port counters disagree with the tenants' kernels:" \
		"$PA rx/tx $(port_stat "$PA" rx_packets)/$(port_stat "$PA" tx_packets)" \
		"vs kernel tx/rx $(kstat "$A" "$PA" tx)/$(kstat "$A" "$PA" rx);" \
		"$PB rx/tx $(port_stat "$PB" rx_packets)/$(port_stat "$PB" tx_packets)" \
		"vs kernel tx/rx $(kstat "$B" "$PB" tx)/$(kstat "$B" "$PB" rx)"
fi

# stats --tenant: only that tenant's ports.
assert_eq "$(vctl_json stats --tenant ta | jq_py "[p['name'] for p in d['ports']]")" "$PA" \
	"ports in stats --tenant ta"
tenant_of=$(vctl_json stats --port "$PA" | jq_py "[p.get('tenant') for p in d['ports'] if p['name'] == '$PA'][0]")
assert_eq "$tenant_of" ta "tenant of $PA in stats"
vctl stats >"$T/stats.txt"
[[ -s $T/stats.txt ]] || fail "stats (table) printed nothing"

vctl port del "$PA"
vctl port del "$PB"
! link_exists "$A" "$PA" || fail "$PA still in $A after port del"
! link_exists "$B" "$PB" || fail "$PB still in $B after port del"
stop_vstackd
