#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# demo - the README's first command, bench/demo, does what it says.
#
# bench/demo --no-build runs against this test's build tree (VSTACK_BUILD):
#   - it exits 0; both pings (before and after vstackd is killed and
#     started again) lose nothing; iperf3 moves data across vstack; the
#     forwarding database shows both tenants' addresses;
#   - its output has no job notice from bash ("Killed") after the kill -9;
#   - afterwards nothing of it is left: no vsdemo-* namespace or device,
#     no vstackd on the demo's socket, no /run/vstack-demo.
# bench/demo --keep, then the commands it prints under "what to try next",
# run as printed: a third tenant's port in its own namespace reaches the
# first. The demo is then stopped with SIGTERM (as when interrupted), and
# again nothing of it is left.
#
# The demo uses fixed names (vsdemo-*, /run/vstack-demo), not the test's
# prefix: a demo of the user's own that is up is not disturbed (skip).
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_cmd iperf3 ping

DEMO=$VSTACK_SRC/bench/demo
RUNDIR=/run/vstack-demo

# demo_left - what a demo left behind, one line each
demo_left() {
	ip netns list | awk '/^vsdemo-/ {print "namespace " $1}'
	ip -br link | awk '$1 ~ /^vsdemo-/ {print "device " $1}'
	pgrep -f -- "--socket $RUNDIR/vstackd.sock" | sed 's/^/process /' || true
	[[ ! -e $RUNDIR ]] || echo "directory $RUNDIR"
}

[[ -z $(demo_left) ]] || skip "a demo is up or left over ($(demo_left | paste -s -d, -)); not touching it"
# If this test fails half-way, what the demo made goes too.
# shellcheck disable=SC2016 # expanded when the cleanup runs
on_cleanup 'pkill -KILL -f -- "--socket $RUNDIR/vstackd.sock"; for n in $(ip netns list | awk "/^vsdemo-/ {print \$1}"); do ip netns del "$n"; done; rm -rf "$RUNDIR"'

# --- the demo as the README runs it -----------------------------------------
rc=0
VSTACK_BUILD=$VSTACK_BUILD timeout -k 5 240 "$DEMO" --no-build \
	</dev/null >"$T/demo.out" 2>&1 || rc=$?
out=$(cat "$T/demo.out")
((rc == 0)) || fail "bench/demo exited $rc: $(tail -n 15 "$T/demo.out")"
assert_eq "$(grep -c ' 0% packet loss' "$T/demo.out")" 2 "pings without loss (before and after the kill -9)"
rate=$(awk '/ receiver$/ {print $(NF-2); exit}' "$T/demo.out")
unit=$(awk '/ receiver$/ {print $(NF-1); exit}' "$T/demo.out")
assert_match "$rate $unit" '^[0-9.]+ Gbits/sec$' "iperf3 receiver rate"
awk -v r="$rate" 'BEGIN {exit !(r > 0)}' || fail "iperf3 moved nothing: $rate $unit"
assert_contains "$out" "10.99.0.1" "the demo shows tenant a's address"
assert_eq "$(grep -c '^vstackd running' "$T/demo.out")" 2 "vstackd started, and started again after the kill"
assert_not_contains "$out" "Killed" "a job notice in the demo's output"
assert_contains "$out" "removed vstackd" "the demo's cleanup"
left=$(demo_left)
[[ -z $left ]] || fail "the demo left: $(paste -s -d, - <<<"$left")"
log "demo: exit 0, iperf3 $rate $unit, nothing left"

# --- --keep, the suggested commands, then SIGTERM ----------------------------
mkfifo "$T/enter"
# timeout(1) itself in the background: it passes SIGTERM on to the demo,
# once (--foreground: not also to its process group, whose second TERM
# could land in the demo's cleanup and kill the commands it runs).
VSTACK_BUILD=$VSTACK_BUILD timeout --foreground -k 5 240 "$DEMO" --no-build --keep \
	<"$T/enter" >"$T/keep.out" 2>&1 &
DPID=$!
exec 7>"$T/enter" # the demo's stdin stays open: it waits for Enter
wait_until 120 grep -q 'Press Enter' "$T/keep.out" ||
	fail "bench/demo --keep did not come up: $(tail -n 15 "$T/keep.out")"

# The lines under "what to try next", up to the blank line, as printed;
# the ones that run bench/ scripts are not run here.
mapfile -t tries < <(sed -n '/== what to try next/,/^$/p' "$T/keep.out" |
	sed -e '1d' -e '/^$/d' -e 's/ *#.*$//' -e 's/^ *//' | grep -v '^sudo ')
((${#tries[@]} >= 5)) || fail "the demo suggests too little: $(printf '%s; ' "${tries[@]}")"
for c in "${tries[@]}"; do
	log "as the demo suggests: $c"
	(cd "$VSTACK_SRC" && timeout 30 bash -c "$c") >>"$T/tries.out" 2>&1 ||
		fail "a suggested command failed: $c: $(tail -n 5 "$T/tries.out")"
done
grep -q '3 received' "$T/tries.out" || fail "the third tenant's ping did not get through: $(cat "$T/tries.out")"
grep -q '"gold"' "$T/tries.out" || fail "stats do not show tenant gold: $(tail -n 5 "$T/tries.out")"

kill -TERM "$DPID"
rc=0
wait "$DPID" || rc=$?
exec 7>&-
assert_eq "$rc" 143 "bench/demo's exit status after SIGTERM"
grep -q 'interrupted' "$T/keep.out" || fail "the demo did not say it was interrupted: $(tail -n 5 "$T/keep.out")"
left=$(demo_left)
[[ -z $left ]] || fail "the interrupted demo left: $(paste -s -d, - <<<"$left")"
log "demo --keep: $((${#tries[@]})) suggested commands work; SIGTERM cleans up"
