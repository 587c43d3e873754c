#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# syn_flood - a SYN flood against a listening endpoint.
#
# An attacker namespace floods an endpoint's listening port with SYNs from
# random spoofed addresses of its subnet for 15 s. Meanwhile a kernel client
# in another namespace opens 40 connections to the same port, one after the
# other, each sending 1000 bytes that the application must receive: every
# one must succeed (a half-open table that fills up would refuse them). The
# daemon stays up and the defence shows in the endpoint's statistics.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_vsperf

start_vstackd
A=$(mk_ns atk --no-ipv6)
K=$(mk_ns k --no-ipv6)
PA=$(ifname atk)
PK=$(ifname k)
vctl port add "$PA" --netns "$A" --address 10.84.1.1/16
vctl port add "$PK" --netns "$K" --address 10.84.2.1/16
vctl endpoint add ep1 --address 10.84.0.2/16
ping_ok "$K" 10.84.0.2 || fail "no path to the endpoint"
mac=$(ep_field ep1 mac)

"$VSPERF" sink 7301 >"$T/sink.out" 2>&1 &
wait_ep ep1 tcp_listen -ge 1

nsx_to 40 "$A" "$PY" "$LIB/synflood.py" "$PA" --dst-mac "$mac" --dst-ip 10.84.0.2 \
	--dport 7301 --src-net 10.84.128.0/17 --seconds 15 >"$T/flood.out" 2>&1 &
flood=$!
sleep 2
got=$(nsx_to 60 "$K" "$PY" - <<'PY'
import socket, time
ok = 0
for i in range(40):
    try:
        s = socket.create_connection(("10.84.0.2", 7301), timeout=10)
        s.sendall(b"v" * 1000)
        s.close()
        ok += 1
    except OSError as e:
        print("connection %d failed: %s" % (i, e))
    time.sleep(0.2)
print(ok)
PY
)
wait "$flood" || fail "the flood did not run: $(cat "$T/flood.out")"
log "flood: $(cat "$T/flood.out")"
assert_eq "$(tail -n1 <<<"$got")" 40 "legitimate connections during the flood ($got)"
daemon_alive || fail "vstackd died under the SYN flood"
log "endpoint after the flood: $(vctl_json endpoint list)"
stop_vstackd
