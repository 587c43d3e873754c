#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# crash_port_del - vstackd killed in the middle of 'port del', between
# setting the port's state record aside and deleting its device (gdb stops
# it in vnet_port_del() and kills it there): the next start finds the
# set-aside record and deletes the device that no record claims any more,
# in a namespace and in vstackd's own, and leaves everything else alone
# (a port that stays, a TAP device that is not vstackd's). The same for
# 'port add' killed after making the device and before recording the
# port: before and after the device moved to the port's namespace.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_cmd gdb

A=$(mk_ns a)
B=$(mk_ns b)
PA=$(ifname a)
PB=$(ifname b)
PR=$(ifname r)
PU=$(ifname u)

start_vstackd --workers 1
vctl port add "$PA" --netns "$A" --address 10.79.0.1/24
vctl port add "$PB" --netns "$B" --address 10.79.0.2/24
vctl port add "$PR"
ip tuntap add dev "$PU" mode tap || skip "cannot create a TAP device"
ping_ok "$A" 10.79.0.2 || fail "no ping before the crashes"

stopped() { grep -q "Breakpoint 1," "$T/gdb.out"; }
armed() { grep -q "^Breakpoint 1 at" "$T/gdb.out"; }

# crash_in FUNC ARGS... - 'vstackctl ARGS', with vstackd killed when it
# reaches FUNC.
crash_in() {
	local func=$1 gdb_pid
	shift
	rm -f "$T/gdb.out"
	gdb -q -batch -p "$VSTACKD_PID" -ex "break $func" \
		-ex 'continue' -ex 'kill' >"$T/gdb.out" 2>&1 </dev/null &
	gdb_pid=$!
	wait_until 60 armed || fail "gdb did not attach: $(cat "$T/gdb.out")"
	vctl "$@" >/dev/null 2>&1 &
	wait_until 30 stopped || fail "$* did not reach $func: $(cat "$T/gdb.out")"
	wait "$gdb_pid" || true
	kill9_vstackd
}

# crash_in_del PORT - 'port del PORT', with vstackd killed once the
# port's record is set aside and before its device is deleted.
crash_in_del() {
	crash_in vnet_port_del port del "$1"
	[[ ! -f $VSTACK_STATE/ports/$1.json ]] ||
		fail "$1's record was still in place when vstackd was killed"
}

crash_in_del "$PA"
link_exists "$A" "$PA" || fail "$PA's device went before the crash; nothing to test"
start_vstackd --workers 1
! link_exists "$A" "$PA" || fail "$PA's device outlived its deletion and a restart"
grep -q "port $PA: vstackd stopped while adding or deleting it; its device is deleted" "$VSTACKD_LOG" ||
	fail "no word of finishing $PA's deletion: $(cat "$VSTACKD_LOG")"
assert_eq "$(port_names | sort | tr '\n' ' ')" "$(printf '%s\n' "$PB" "$PR" | sort | tr '\n' ' ')" \
	"ports after a crash in port del"
assert_port_in_ns "$B" "$PB" 10.79.0.2/24

# In vstackd's own namespace, where the name is taken for a new port.
crash_in_del "$PR"
link_exists "$PR" || fail "$PR's device went before the crash; nothing to test"
start_vstackd --workers 1
! link_exists "$PR" || fail "$PR's device outlived its deletion and a restart"
assert_eq "$(port_names | tr '\n' ' ')" "$PB " "ports after a crash in port del of $PR"
link_exists "$PU" || fail "a TAP device vstackd did not make ($PU) was deleted"
[[ -z $(find "$VSTACK_STATE/ports" -name '*.del') ]] ||
	fail "set-aside records left: $(ls "$VSTACK_STATE/ports")"
vctl port add "$PR"
vctl port add "$PA" --netns "$A" --address 10.79.0.1/24
ping_ok "$A" 10.79.0.2 || fail "no ping through $PA made anew"

# Killed in the middle of 'port add': its device made, in vstackd's
# namespace (not yet moved), then in the port's (moved, addresses
# coming), and no record of the port yet. The next start deletes it.
C=$(mk_ns c)
PC=$(ifname c)
crash_in netlink_link_setup port add "$PC" --netns "$C" --address 10.79.0.3/24
link_exists "$PC" || fail "no device $PC in vstackd's namespace at the crash; nothing to test"
start_vstackd --workers 1
! link_exists "$PC" || fail "$PC's device, made by a port add cut short, outlived a restart"
crash_in netlink_addr_add port add "$PC" --netns "$C" --address 10.79.0.3/24
link_exists "$C" "$PC" || fail "no device $PC in $C at the crash; nothing to test"
start_vstackd --workers 1
! link_exists "$C" "$PC" || fail "$PC's device, moved by a port add cut short, outlived a restart"
assert_eq "$(port_names | sort | tr '\n' ' ')" "$(printf '%s\n' "$PA" "$PB" "$PR" | sort | tr '\n' ' ')" \
	"ports after a crash in port add"
[[ -z $(find "$VSTACK_STATE/ports" -name '*.del') ]] ||
	fail "set-aside records left: $(ls "$VSTACK_STATE/ports")"
vctl port add "$PC" --netns "$C" --address 10.79.0.3/24
ping_ok "$C" 10.79.0.2 || fail "no ping through $PC added after the crashes"

# Killed while making the device of a new config section at start-up:
# the next start deletes it and makes the port.
PD=$(ifname d)
printf '[daemon]\nworkers = 1\n\n[port %s]\naddress = 10.79.0.4/24\n' "$PD" >"$T/d.conf"
stop_vstackd
run_to 60 gdb -q -batch -ex 'break netlink_link_setup' -ex run -ex kill --args \
	"$VSTACKD" --foreground --socket "$VSTACK_SOCK" --state "$VSTACK_STATE" \
	--app-socket "$T/app.sock" --config "$T/d.conf" >"$T/gdb.out" 2>&1 </dev/null || true
stopped || fail "start-up did not reach netlink_link_setup: $(cat "$T/gdb.out")"
link_exists "$PD" || fail "no device $PD at the crash; nothing to test"
start_vstackd --config "$T/d.conf"
assert_eq "$(port_names | sort | tr '\n' ' ')" "$(printf '%s\n' "$PA" "$PB" "$PC" "$PD" "$PR" | sort | tr '\n' ' ')" \
	"ports after a crash in start-up"
grep -q "port $PD: vstackd stopped while adding or deleting it; its device is deleted" "$VSTACKD_LOG" ||
	fail "$PD's leftover device not deleted: $(cat "$VSTACKD_LOG")"
link_exists "$PU" || fail "a TAP device vstackd did not make ($PU) was deleted"
ip link del "$PU"
stop_vstackd
