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
#     message, and so is one naming another tenant's endpoint;
#   - two endpoints that one worker serves talk through the one-hop path
#     (no frames): 256 MiB with SHA-256, ping-pong, a reset when the
#     receiver is killed mid-stream, and the sender's tenant is charged.
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

# --- the one-hop path ------------------------------------------------------
# With two workers, two of three endpoints share one; e1/e2 may be on
# different workers (frames, handed over between workers, above).
vctl endpoint add e3 --tenant t3 --address 10.82.0.3/24
declare -A CG=([e1]=$C1 [e2]=$C2 [e3]=$C3) IP=([e1]=10.82.0.1 [e2]=10.82.0.2 [e3]=10.82.0.3) TN=([e1]=t1 [e2]=t2 [e3]=t3)
declare -A W
for e in e1 e2 e3; do W[$e]=$(ep_field "$e" worker); done
pair=
for p in "e1 e3" "e2 e3" "e1 e2"; do
	read -r ra sa <<<"$p"
	[[ ${W[$ra]} == "${W[$sa]}" ]] && { pair=$p; break; }
done
[[ -n $pair ]] || fail "three endpoints on two workers, none sharing one: ${W[*]}"
read -r RX TX <<<"$pair"
log "one hop: $TX -> $RX, both on worker ${W[$RX]}"
hop0=$(vctl_json endpoint list | jq_py "[e['stats']['hop_tx'] for e in d['endpoints'] if e['name'] == '$TX'][0]")
rx0=$(vctl_json endpoint list | jq_py "[e['stats']['tcp_rx'] for e in d['endpoints'] if e['name'] == '$RX'][0]")
# Listeners $RX has already: e1 keeps the ping-pong server of 7103. Each
# new server is waited for by the count going past them, or a sender could
# connect before it listens.
NL=0
[[ $RX == e1 ]] && NL=1
xfer_recv hop 300 "in_cgroup ${CG[$RX]} \"$VSPERF\" sink 7106 --once --out -"
wait_ep "$RX" tcp_listen -ge $((NL + 1))
xfer_send hop "$BYTES" 300 23 "in_cgroup ${CG[$TX]} \"$VSPERF\" source ${IP[$RX]} 7106 --in -"
xfer_wait hop
j=$(vctl_json endpoint list)
hop1=$(jq_py "[e['stats']['hop_tx'] for e in d['endpoints'] if e['name'] == '$TX'][0]" <<<"$j")
rx1=$(jq_py "[e['stats']['tcp_rx'] for e in d['endpoints'] if e['name'] == '$RX'][0]" <<<"$j")
((hop1 > hop0)) || fail "no segment took the one-hop path ($hop0 -> $hop1): $j"
assert_eq "$rx1" "$rx0" "no TCP frame reached $RX: the one-hop path carried it all"
log "one hop: $((hop1 - hop0)) segments for $BYTES bytes"
# charged to the sender's tenant as its frames would have been
tb=$(vctl_json stats --tenant | jq_py "[t['bytes'] for t in d['tenants'] if t['name'] == '${TN[$TX]}'][0]")
((tb >= BYTES)) || fail "tenant ${TN[$TX]} charged $tb bytes for $BYTES sent"

wait_ep "$RX" tcp_listen -le $NL # the sink of 7106 is gone
in_cgroup "${CG[$RX]}" "$VSPERF" pingpong-server 7107 >/dev/null 2>&1 &
NL=$((NL + 1))
wait_ep "$RX" tcp_listen -ge $NL
out=$(run_to 60 bash -c 'in_cgroup "$@"' _ "${CG[$TX]}" "$VSPERF" pingpong "${IP[$RX]}" 7107 --count 2000 2>&1) ||
	fail "one-hop ping-pong failed: $out"
log "one-hop ping-pong $TX -> $RX: $out"

# The wake-up protocol under stress, one worker serving both sides: with a
# look shorter than a round trip, each side goes to sleep just as the other
# publishes its reply, the race app_proto.h section 5 is about. A lost
# wake-up leaves both asleep for good, so a client that does not finish in
# time fails the test. (Without the worker's fence before it reads
# app_waiting, one 3-second run in four or five hung.)
for spin in 5 10; do
	out=$(VSTACK_SPIN_US=$spin run_to 40 bash -c 'in_cgroup "$@"' _ "${CG[$TX]}" "$VSPERF" pingpong "${IP[$RX]}" 7107 --time 4 2>&1) ||
		fail "ping-pong with VSTACK_SPIN_US=$spin stalled (a lost wake-up?): $out"
	assert_contains "$out" "p50" "ping-pong with VSTACK_SPIN_US=$spin reports its percentiles"
	log "ping-pong, VSTACK_SPIN_US=$spin: $out"
done

# the receiver dies mid-stream: the sender sees the reset, nothing hangs
in_cgroup "${CG[$RX]}" "$VSPERF" sink 7108 --once >/dev/null 2>&1 &
wait_ep "$RX" tcp_listen -ge $((NL + 1))
in_cgroup "${CG[$TX]}" "$VSPERF" source "${IP[$RX]}" 7108 --time 30 >"$T/hopkill.out" 2>&1 &
tpid=$!
sleep 1
pkill -9 -f -- "$VSPERF sink 7108" # the application, not its shell
# vsperf would send for 30 s: ending long before means it saw the reset
start=$SECONDS rc=0
wait "$tpid" || rc=$?
((rc != 0)) || fail "the sender finished cleanly after its peer was killed: $(cat "$T/hopkill.out")"
((SECONDS - start < 20)) || fail "the sender did not notice its peer's death: $(cat "$T/hopkill.out")"
log "sender after the receiver's death: $(tail -n1 "$T/hopkill.out")"

stop_vstackd
