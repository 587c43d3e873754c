#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tcp_1g_sha - 1 GiB of a seeded pseudo-random stream over one TCP
# connection through vstack; SHA-256 and length computed on both sides must
# match. Catches corruption, loss and reordering bugs that short pings and
# small transfers miss (buffer reuse, wrap-around, checksum handling).
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_cmd socat openssl

SIZE=${VSTACK_TCP_BYTES:-$((1 << 30))}
start_vstackd --workers 2
A=$(mk_ns a)
B=$(mk_ns b)
PA=$(ifname a)
PB=$(ifname b)
vctl port add "$PA" --netns "$A" --address 10.73.0.1/24
vctl port add "$PB" --netns "$B" --address 10.73.0.2/24
assert_port_in_ns "$A" "$PA" 10.73.0.1/24
assert_port_in_ns "$B" "$PB" 10.73.0.2/24

tcp_transfer "$A" "$B" 10.73.0.2 7301 "$SIZE" 300 1
stop_vstackd
