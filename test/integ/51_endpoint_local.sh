#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# endpoint_local - two tenants on the shared stack talk to each other.
#
# Tenants t1 and t2 are bound to cgroups made by the test; each has an
# endpoint on the same network. Applications are put in a tenant by the
# cgroup they run in (peer credentials of their app-socket connection):
#   - an application in t2's cgroup sends 256 MiB to one in t1's, SHA-256
#     checked, and the reverse; ping-pong works;
#   - an application whose tenant has no endpoint is refused with a clear
#     message, and so is one naming another tenant's endpoint.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_cmd openssl
require_vsperf

BYTES=${VSTACK_TCP_BYTES:-$((256 << 20))}
start_vstackd --workers 2
mk_cgroup t1 100
C1=$CGROUP_DIR
mk_cgroup t2 100
C2=$CGROUP_DIR
mk_cgroup t3 100
C3=$CGROUP_DIR
vctl tenant add t1 --cgroup "$C1"
vctl tenant add t2 --cgroup "$C2"
vctl tenant add t3 --cgroup "$C3"
vctl endpoint add e1 --tenant t1 --address 10.82.0.1/24
vctl endpoint add e2 --tenant t2 --address 10.82.0.2/24

# t2 -> t1, then t1 -> t2
xfer_recv l12 300 "in_cgroup $C1 \"$VSPERF\" sink 7101 --once --out -"
wait_ep e1 tcp_listen -ge 1
xfer_send l12 "$BYTES" 300 21 "in_cgroup $C2 \"$VSPERF\" source 10.82.0.1 7101 --in -"
xfer_wait l12
xfer_recv l21 300 "in_cgroup $C2 \"$VSPERF\" sink 7102 --once --out -"
wait_ep e2 tcp_listen -ge 1
xfer_send l21 "$BYTES" 300 22 "in_cgroup $C1 \"$VSPERF\" source 10.82.0.2 7102 --in -"
xfer_wait l21

in_cgroup "$C1" "$VSPERF" pingpong-server 7103 >/dev/null 2>&1 &
wait_ep e1 tcp_listen -ge 1
out=$(run_to 60 bash -c 'in_cgroup "$@"' _ "$C2" "$VSPERF" pingpong 10.82.0.1 7103 --count 2000 2>&1) ||
	fail "ping-pong between endpoints failed: $out"
assert_contains "$out" "p50" "ping-pong reports its percentiles"
log "ping-pong e2 -> e1: $out"

# Refusals: one clear line each, non-zero exit.
rc=0
out=$(run_to 10 bash -c 'in_cgroup "$@"' _ "$C3" "$VSPERF" sink 7104 --once 2>&1) || rc=$?
((rc != 0)) || fail "an application of a tenant without endpoint was accepted"
assert_contains "$out" "no endpoint" "refusal names the reason"
rc=0
out=$(run_to 10 bash -c 'in_cgroup "$@"' _ "$C1" "$VSPERF" sink 7105 --once --endpoint e2 2>&1) || rc=$?
((rc != 0)) || fail "an application used another tenant's endpoint"
log "refusals: $out"

stop_vstackd
