#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tcp_1g_sha - 1 GiB of a seeded pseudo-random stream over one TCP
# connection through vstack; SHA-256 and length computed on both sides must
# match. Catches corruption, loss and reordering bugs that short pings and
# small transfers miss (buffer reuse, wrap-around, checksum handling).
# Then six 128 MiB streams at once, four one way and two the other, over
# two-queue ports served by two workers: flows spread over queues and
# workers, each still checked byte for byte.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_cmd socat openssl

SIZE=${VSTACK_TCP_BYTES:-$((1 << 30))}
start_vstackd --workers 2
A=$(mk_ns a)
B=$(mk_ns b)
PA=$(ifname a)
PB=$(ifname b)
vctl port add "$PA" --netns "$A" --address 10.73.0.1/24 --queues 2
vctl port add "$PB" --netns "$B" --address 10.73.0.2/24 --queues 2
assert_port_in_ns "$A" "$PA" 10.73.0.1/24
assert_port_in_ns "$B" "$PB" 10.73.0.2/24

tcp_transfer "$A" "$B" 10.73.0.2 7301 "$SIZE" 300 1

for i in 1 2 3 4; do tcp_transfer_start "$A" "$B" 10.73.0.2 731$i $((128 << 20)) 180 $((10 + i)); done
for i in 5 6; do tcp_transfer_start "$B" "$A" 10.73.0.1 731$i $((128 << 20)) 180 $((10 + i)); done
for i in 1 2 3 4 5 6; do tcp_transfer_wait 731$i; done
stop_vstackd
