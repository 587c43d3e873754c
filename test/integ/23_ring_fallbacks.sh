#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ring_fallbacks - vstackd on the rings of older kernels. It asks for a
# DEFER_TASKRUN ring first and falls back when the kernel refuses a flag;
# this kernel refuses nothing, so test/tools/old_uring.so (LD_PRELOAD)
# refuses what an older one lacks, and the ring made is a real one of that
# kind:
#   5.19  COOP_TASKRUN rings (no SINGLE_ISSUER, no DEFER_TASKRUN);
#   5.15  plain rings, whose completions come as task work interrupting
#         the worker, with a file table registered as an array of empty
#         slots (no sparse tables) and no registered ring descriptor.
# On each: the ring named in the log, ping, 256 MiB of TCP with SHA-256
# checked at both ends, UDP both ways, an idle worker that sleeps, and a
# port deleted and added again under the same name.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_cmd ping socat openssl

SHIM=$VSTACK_BUILD/test/old_uring.so
[[ -r $SHIM ]] || fail "test helper $SHIM not built"
# Under ASan its runtime must come first among the preloaded libraries.
preload=$SHIM
asan=$(ldd "$VSTACKD" | awk '/libasan/ {print $3; exit}')
[[ -n $asan ]] && preload="$asan:$SHIM"

A=$(mk_ns a --no-ipv6)
B=$(mk_ns b --no-ipv6)
PA=$(ifname a)
PB=$(ifname b)

round=0
for version in 5.19 5.15; do
	round=$((round + 1))
	case $version in
	5.19) want='coop_taskrun registered_ring sparse_files' ;;
	5.15) want='files' ;;
	esac
	log "io_uring as in Linux $version"
	VSTACK_WRAP="env LD_PRELOAD=$preload VSTACK_OLD_URING=$version" \
		start_vstackd --workers 1 --busy-poll 50
	grep -qE "worker 0 on CPU [0-9]+: $want\$" "$VSTACKD_LOG" ||
		fail "ring features as in $version: want '$want': $(grep 'worker 0' "$VSTACKD_LOG")"
	vctl port add "$PA" --netns "$A" --address 10.78.0.1/24
	vctl port add "$PB" --netns "$B" --address 10.78.0.2/24
	ping_ok "$A" 10.78.0.2 || fail "ping through vstack on $version rings"
	tcp_transfer "$A" "$B" 10.78.0.2 $((7800 + round)) $((256 << 20)) 120 "$round"
	udp_exchange "$A" "$B" 10.78.0.2 $((7810 + round)) 1000 16-1472 2000
	udp_exchange "$B" "$A" 10.78.0.1 $((7820 + round)) 1000 16-1472 2000

	# Idle: the worker sleeps in its ring (a spinning one: 100 a second).
	sleep 1
	ticks=$(vstackd_ticks vstack-w)
	sleep 3
	ticks=$(($(vstackd_ticks vstack-w) - ticks))
	assert_le "$ticks" 10 "worker CPU ticks in 3 idle seconds on $version rings"

	# Deleted means gone: the same name can be added again at once.
	vctl port del "$PB"
	! link_exists "$B" "$PB" || fail "$PB still in $B after port del on $version rings"
	vctl port add "$PB" --netns "$B" --address 10.78.0.2/24
	ip -n "$A" neigh flush all # the new device has a new MAC address
	ping_ok "$A" 10.78.0.2 || fail "ping to the port added again on $version rings"
	vctl port del "$PA" "$PB"
	stop_vstackd
done
