#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# daemon_lifecycle - vstackd starts, serves, and stops cleanly on SIGTERM
# (exit 0), three times over on the same socket path and state directory:
# its TAP devices stay across each stop (persistent, addresses kept) and
# each start brings the ports back; port del is what removes a device, in
# a namespace or in the root namespace, and a start after that has none.
# Stopping in the middle of a TCP stream is clean, as is deleting a port;
# a second daemon on a busy socket refuses with one clear line; bad
# requests (a noun without its verb, a name starting with '.', ...) get one
# clear error line and leave the daemon up and unchanged;
# vstackctl without a daemon says so. A descriptor leaked by its parent is
# closed at start.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_cmd ping socat openssl

A=$(mk_ns a)
B=$(mk_ns b)
PA=$(ifname a)
PB=$(ifname b)
PR=$(ifname r) # a port in the root namespace, no addresses

for round in 1 2 3; do
	log "round $round"
	if ((round == 1)); then
		# A descriptor its parent leaks is closed, not kept.
		exec 9>"$T/leaked"
		start_vstackd --workers 1
		exec 9>&-
		held=$(find "/proc/$VSTACKD_PID/fd" -lname "$T/leaked" | wc -l)
		assert_eq "$held" 0 "descriptors vstackd kept from its parent"
	else
		start_vstackd --workers 1
	fi
	if ((round == 1)); then
		vctl port add "$PA" --netns "$A" --address 10.71.0.1/24
		vctl port add "$PB" --netns "$B" --address 10.71.0.2/24
		vctl port add "$PR"
	fi
	assert_port_in_ns "$A" "$PA" 10.71.0.1/24
	assert_port_in_ns "$B" "$PB" 10.71.0.2/24
	link_exists "$PR" || fail "root-namespace port $PR not there, round $round"
	assert_eq "$(port_names | sort | tr '\n' ' ')" \
		"$(printf '%s\n' "$PA" "$PB" "$PR" | sort | tr '\n' ' ')" "port list, round $round"
	ping_ok "$A" 10.71.0.2 || fail "ping through vstack, round $round"
	stop_vstackd
	# Persistent: the devices wait, addresses and all, for the next start.
	assert_port_in_ns "$A" "$PA" --no-carrier 10.71.0.1/24
	assert_port_in_ns "$B" "$PB" --no-carrier 10.71.0.2/24
	link_exists "$PR" || fail "$PR gone from the root namespace after SIGTERM (round $round)"
done
start_vstackd --workers 1
for p in "$PA" "$PB" "$PR"; do vctl port del "$p"; done
! link_exists "$A" "$PA" || fail "$PA left in $A after port del"
! link_exists "$B" "$PB" || fail "$PB left in $B after port del"
! link_exists "$PR" || fail "$PR left in the root namespace after port del"
stop_vstackd
left=$(_our_root_links)
[[ -z $left ]] || fail "devices left in the root namespace: $left"
for ns in "$A" "$B"; do
	left=$(ip -n "$ns" -o link show | awk -F': ' '$2 != "lo" {print $2}')
	[[ -z $left ]] || fail "devices left in $ns: $left"
done
start_vstackd --workers 1
assert_eq "$(port_names)" "" "port list of a start after every port was deleted"
stop_vstackd

# Under load: deleting a port in mid-stream, then stopping the daemon in
# mid-stream, must both be clean (no crash, exit 0, no sanitizer report,
# no device left).
flowing() { # PORT -> true once it has carried 2000 frames
	local n
	n=$(port_stat "$1" rx_packets) && ((n >= 2000))
}
start_vstackd --workers 2
vctl port add "$PA" --netns "$A" --address 10.71.0.1/24
vctl port add "$PB" --netns "$B" --address 10.71.0.2/24 --mac 02:71:00:00:00:02
tcp_transfer_start "$A" "$B" 10.71.0.2 7101 $((8 << 30)) 120 5
wait_until 20 flowing "$PA" || fail "no traffic through $PA 20 s into a transfer"
vctl port del "$PB"
! link_exists "$B" "$PB" || fail "$PB still in $B after port del under load"
tcp_transfer_abort 7101
daemon_alive || fail "daemon gone after deleting a port under load"
assert_eq "$(port_names)" "$PA" "port list after deleting $PB under load"
# Same MAC again: A's ARP entry stays valid, so this also checks that the
# FDB forgot the deleted port (a stale entry would misdirect the frames).
vctl port add "$PB" --netns "$B" --address 10.71.0.2/24 --mac 02:71:00:00:00:02
ping_ok "$A" 10.71.0.2 || fail "ping after re-adding $PB"
tcp_transfer_start "$A" "$B" 10.71.0.2 7102 $((8 << 30)) 120 6
wait_until 20 flowing "$PB" || fail "no traffic through $PB 20 s into a transfer"
stop_vstackd
tcp_transfer_abort 7102
assert_port_in_ns "$A" "$PA" --no-carrier 10.71.0.1/24
assert_port_in_ns "$B" "$PB" --no-carrier 10.71.0.2/24

# A second daemon on the same socket must refuse, quickly, with one line, and
# must not take the socket away from the first.
start_vstackd
vctl port del "$PB"
rc=0
run_to 20 "$VSTACKD" --foreground --socket "$VSTACK_SOCK" >"$T/second.out" 2>"$T/second.err" </dev/null || rc=$?
((rc != 0)) || fail "a second vstackd on a busy socket exited 0"
((rc != 124 && rc != 137)) || fail "a second vstackd on a busy socket kept running (killed after 20 s)"
lines=$(grep -c . "$T/second.err" || true)
[[ $lines == 1 ]] || fail "second vstackd: expected one line on stderr, got $lines: $(cat "$T/second.err")"
log "second daemon refused (exit $rc): $(cat "$T/second.err")"
daemon_alive || fail "first daemon no longer answers after a second one tried to start"
assert_eq "$(port_names)" "$PA" "port list after the second daemon's attempt"
assert_port_in_ns "$A" "$PA" 10.71.0.1/24

# --cpus naming a CPU it may not run on (CPU 1 outside taskset -c 0): one
# line and exit 2, not a worker said to be pinned where it cannot be.
rc=0
run_to 20 taskset -c 0 "$VSTACKD" --foreground --socket "$T/cpus.sock" --state "$T/cpus-state" \
	--cpus 0,1 >"$T/cpus.out" 2>"$T/cpus.err" </dev/null || rc=$?
((rc == 2)) || fail "vstackd --cpus 0,1 under taskset -c 0: exit $rc, not 2: $(cat "$T/cpus.err")"
assert_eq "$(cat "$T/cpus.out" "$T/cpus.err")" \
	"vstackd: invalid cpus: CPU 1 is not available to vstackd (it may run on 0)" "vstackd --cpus 0,1 under taskset -c 0"

# Bad requests: one line on stderr, non-zero exit, daemon up and unchanged.
expect_ctl_error "del of an unknown port" port del "$(ifname nope)"
expect_ctl_error "duplicate port add" port add "$PA" --netns "$A"
expect_ctl_error "malformed MAC" port add "$(ifname m1)" --netns "$B" --mac zz:00:00:00:00:01
expect_ctl_error "short MAC" port add "$(ifname m2)" --netns "$B" --mac 02:00:00:00:01
expect_ctl_error "MTU 0" port add "$(ifname u1)" --netns "$B" --mtu 0
expect_ctl_error "MTU 1000000" port add "$(ifname u2)" --netns "$B" --mtu 1000000
expect_ctl_error "MTU not a number" port add "$(ifname u3)" --netns "$B" --mtu jumbo
expect_ctl_error "nonexistent netns" port add "$(ifname n1)" --netns "${P}no-such-ns"
expect_ctl_error "name longer than 15" port add "${P}too-long-name" --netns "$B"
expect_ctl_error "unknown command" frobnicate
expect_ctl_error "no command"
for noun in tenant port endpoint network fdb; do
	expect_ctl_error "'$noun' without a verb" "$noun"
	out=$(vctl "$noun" 2>/dev/null) || true
	[[ -z $out ]] || fail "'vstackctl $noun' wrote to stdout: $out"
done
# A leading dot would hide the record in the state directory.
expect_ctl_error "tenant name starting with a dot" tenant add .t1
expect_ctl_error "tenant name '..'" tenant add ..
expect_ctl_error "port name starting with a dot" port add .rvp1
expect_ctl_error "network name starting with a dot" port add "$(ifname d1)" --network .net
# vstackctl's own checks name the rule too
expect_ctl_error "a dotted name among several ports to delete" port del "$(ifname d1)" .p2
assert_contains "$(<"$T/ctl.err")" "not starting with '.'" "the rule in vstackctl's own message"
expect_ctl_error "a dotted tenant for stats" stats --tenant .t1
assert_contains "$(<"$T/ctl.err")" "not starting with '.'" "the rule in vstackctl's own message"
assert_contains "$(vctl tenant list)" "default" "tenant list after the dotted names"
assert_not_contains "$(vctl tenant list)" ".t1" "tenant list after the dotted names"
assert_eq "$(port_names)" "$PA" "port list after the failed requests"
left=$(_our_root_links)
[[ -z $left ]] || fail "failed requests left devices in the root namespace: $left"
left=$(ip -n "$B" -o link show | awk -F': ' '$2 != "lo" {print $2}')
[[ -z $left ]] || fail "failed requests left devices in $B: $left"
# Same MAC as before: A's neighbour entry for 10.71.0.2 stays right.
vctl port add "$PB" --netns "$B" --address 10.71.0.2/24 --mac 02:71:00:00:00:02
ping_ok "$A" 10.71.0.2 || fail "switching broken after the failed requests"
stop_vstackd

# vstackctl with no daemon: clear error, non-zero exit, no hang.
rc=0
out=$(run_to 10 "$VSTACKCTL" --socket "$VSTACK_SOCK" port list 2>"$T/nod.err") || rc=$?
((rc != 0 && rc != 124 && rc != 137)) || fail "vstackctl without a daemon: exit $rc (stdout: $out)"
lines=$(grep -c . "$T/nod.err" || true)
[[ $lines == 1 ]] || fail "vstackctl without a daemon: expected one line on stderr, got $lines: $(cat "$T/nod.err")"
log "vstackctl without a daemon (exit $rc): $(cat "$T/nod.err")"
rc=0
run_to 10 "$VSTACKCTL" --socket "$T/nowhere/none.sock" port list 2>"$T/nod2.err" || rc=$?
((rc != 0 && rc != 124 && rc != 137)) || fail "vstackctl with a missing socket path: exit $rc"
[[ $(grep -c . "$T/nod2.err" || true) == 1 ]] || fail "vstackctl with a missing socket: $(cat "$T/nod2.err")"
