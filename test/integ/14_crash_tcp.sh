#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# crash_tcp - a TCP connection between two tenants survives vstackd being
# killed with SIGKILL in mid-transfer, twice, and restarted: the persistent
# TAPs keep the tenants' interfaces, addresses and routes while no daemon
# runs, the new daemon reattaches them from the state directory, TCP
# retransmits what was lost, and the stream's SHA-256 and length still
# match end to end. One port comes from the config file, one from
# vstackctl, so both origins are restored. Logs how long each restart took
# (kill, start, reattach, frames flowing again); the figure itself is a
# benchmark (bench/ctl), not asserted here.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_cmd socat openssl

A=$(mk_ns a)
B=$(mk_ns b)
PA=$(ifname a)
PB=$(ifname b)
CONF=$T/vstackd.conf
cat >"$CONF" <<CONF
[daemon]
workers = 1

[tenant red]
weight = 200

[port $PA]
tenant = red
netns = $A
address = 10.74.0.1/24
CONF

start_vstackd --config "$CONF"
vctl tenant add blue --weight 50
vctl port add "$PB" --tenant blue --netns "$B" --address 10.74.0.2/24 --mac 02:74:00:00:00:02
ping_ok "$A" 10.74.0.2 || fail "no ping before the crash"
MAC_A=$(ns_mac "$A" "$PA")

detached() { ip -n "$1" -o link show dev "$2" | grep -q NO-CARRIER; }
rx_of() { port_stat "$PB" tx_packets 2>/dev/null || echo 0; }
moving() { # PREV -> true once the port to B carries frames beyond PREV
	local n
	n=$(rx_of) && ((n > $1 + 200))
}

# ~3 GiB: at full speed some seconds, so both crashes land mid-stream
# (less in a slow guest: VSTACK_TCP_BYTES, as 11_tcp_1g_sha).
SIZE=${VSTACK_TCP_BYTES:-$((3 << 30))}
tcp_transfer_start "$A" "$B" 10.74.0.2 7401 "$SIZE" 240 74
wait_until 30 moving 0 || fail "transfer did not start"

for crash in 1 2; do
	kill9_vstackd
	# The dead daemon's rings let go of its queues asynchronously.
	wait_until 10 detached "$A" "$PA" || fail "$PA still attached 10 s after the crash"
	wait_until 10 detached "$B" "$PB" || fail "$PB still attached 10 s after the crash"
	assert_port_in_ns "$A" "$PA" --no-carrier 10.74.0.1/24
	assert_port_in_ns "$B" "$PB" --no-carrier 10.74.0.2/24
	t0=$(date +%s%N)
	start_vstackd --config "$CONF"
	# Counters start at zero in the new daemon.
	wait_until 30 moving 0 || fail "no traffic 30 s after restart $crash"
	t1=$(date +%s%N)
	log "restart $crash: frames flowing again $(((t1 - t0) / 1000000)) ms after the start command"
	assert_eq "$(port_names | sort | tr '\n' ' ')" \
		"$(printf '%s\n' "$PA" "$PB" | sort | tr '\n' ' ')" "ports after crash $crash"
	assert_eq "$(ns_mac "$A" "$PA")" "$MAC_A" "MAC of $PA after crash $crash"
	assert_eq "$(vctl_json tenant list | jq_py '"|".join("%s:%s" % (t["name"], t["weight"]) for t in sorted(d["tenants"], key=lambda t: t["name"]))')" \
		"blue:50|default:100|red:200" "tenants after crash $crash"
	grep -q "port $PA reattached" "$VSTACKD_LOG" || fail "$PA was not reattached: $(cat "$VSTACKD_LOG")"
	grep -q "port $PB reattached" "$VSTACKD_LOG" || fail "$PB was not reattached: $(cat "$VSTACKD_LOG")"
done
tcp_transfer_wait 7401
ping_ok "$A" 10.74.0.2 || fail "no ping after the crashes"
stop_vstackd
