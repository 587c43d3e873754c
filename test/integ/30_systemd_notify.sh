#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# systemd_notify - vstackd as systemd runs it (Type=notify, WatchdogSec=):
# with NOTIFY_SOCKET pointing at a datagram socket this test listens on,
# READY=1 (with STATUS=) comes from the daemon's own pid once, and only
# once the control socket answers and the configuration's ports exist;
# WATCHDOG=1 keeps coming, never more than half of WATCHDOG_USEC apart,
# idle and under traffic; it is withheld while a worker is wedged (one
# worker thread stopped with ptrace), with STATUS= and one error line
# saying which, and resumes when the worker does; STOPPING=1 follows
# SIGTERM. A WATCHDOG_PID naming another process means no keep-alives;
# forking to the background under NOTIFY_SOCKET draws a warning.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_cmd ping

NSOCK=$T/notify.sock
NLOG=$T/notify.log
WD_USEC=2000000 # WatchdogSec=2s: keep-alives every 0.5 s, stall limit 3 s

mono() { "$PY" -c 'import time; print("%.3f" % time.monotonic())'; }

# notes PID KEY [FROM [TO]] - times at which PID sent KEY=..., one a line.
notes() {
	awk -v pid="$1" -v key="$2=" -v from="${3:-0}" -v to="${4:-1e12}" \
		'$2 == pid && index($3, key) == 1 && $1 >= from && $1 <= to {print $1}' "$NLOG"
}

# has_notes PID KEY [FROM [TO]] - true if PID sent KEY=... (in that time).
has_notes() { [[ -n $(notes "$@") ]]; }

# note_values PID KEY - the values PID sent for KEY, one a line.
note_values() {
	awk -v pid="$1" -v key="$2=" '$2 == pid && index($3, key) == 1 {
		$1 = $2 = ""; sub(/^ +/, ""); print substr($0, length(key) + 1) }' "$NLOG"
}

# max_gap FROM TO TIMES... - the longest interval between FROM, the TIMES
# and TO (seconds, three decimals).
max_gap() {
	printf '%s\n' "$@" | awk -v from="$1" -v to="$2" 'NR > 2 {t[n++] = $1}
		END { prev = from; m = 0
		      for (i = 0; i < n; i++) { if (t[i] - prev > m) m = t[i] - prev; prev = t[i] }
		      if (to - prev > m) m = to - prev; printf "%.3f\n", m }'
}

# ms SECONDS - seconds as whole milliseconds, for integer comparisons.
ms() { awk -v s="$1" 'BEGIN { printf "%d\n", s * 1000 }'; }

# start_notified WATCHDOG_PID-MODE ARGS... - start vstackd under our
# notification socket; MODE "self" gives it its own pid as WATCHDOG_PID,
# "other" the pid of init.
start_notified() {
	local mode=$1
	shift
	cat >"$T/sd-env" <<-EOF
		#!/bin/sh
		export NOTIFY_SOCKET=$NSOCK WATCHDOG_USEC=$WD_USEC
		if [ $mode = self ]; then export WATCHDOG_PID=\$\$; else export WATCHDOG_PID=1; fi
		exec "\$@"
	EOF
	chmod +x "$T/sd-env"
	local wrap=${VSTACK_WRAP:-}
	VSTACK_WRAP="$T/sd-env $wrap"
	start_vstackd "$@"
	VSTACK_WRAP=$wrap
}

# stop_notified - SIGTERM; STOPPING=1 must follow, from the daemon.
stop_notified() {
	local pid=$VSTACKD_PID t0
	t0=$(mono)
	stop_vstackd
	[[ -n $(notes "$pid" STOPPING "$t0") ]] || fail "no STOPPING=1 from $pid after SIGTERM"
	assert_contains "$(note_values "$pid" STATUS | tail -n 1)" "Stopping" "last STATUS= of $pid"
}

# At each READY=1 the listener looks at once, before reading on: the
# configuration's TAP device must exist and the control socket answer.
PC=$(ifname c0)
"$PY" "$LIB/sdnotify.py" listen "$NSOCK" "$NLOG" \
	--on-ready "ip link show dev $PC && $VSTACKCTL --socket $VSTACK_SOCK --json port list" \
	"$T/ready.out" 2>"$T/listener.err" &
wait_until 5 test -S "$NSOCK" || fail "notification listener did not start: $(cat "$T/listener.err")"

# --- without --foreground: a warning (the child is not the main process) --
rc=0
NOTIFY_SOCKET=$NSOCK run_to 20 "$VSTACKD" --socket "$T/bg.sock" 2>"$T/bg.err" </dev/null || rc=$?
bgpid=$(grep -lzF -- "$T/bg.sock" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3 | head -n 1 || true)
[[ -n $bgpid ]] && kill -TERM "$bgpid" 2>/dev/null
((rc == 0)) || fail "vstackd in the background under NOTIFY_SOCKET: exit $rc: $(cat "$T/bg.err")"
[[ -n $bgpid ]] || fail "no background vstackd serving $T/bg.sock"
_wait_gone "$bgpid" "$VSTACK_STOP_TIMEOUT" || fail "background vstackd $bgpid ignored SIGTERM"
grep -q "without --foreground" "$T/bg.err" ||
	fail "no warning about --foreground under NOTIFY_SOCKET: $(cat "$T/bg.err")"

# --- WATCHDOG_PID of another process: ready, but no keep-alives ----------
start_notified other --workers 1
D0=$VSTACKD_PID
wait_until 5 grep -q "^[0-9.]* $VSTACKD_PID READY=1" "$NLOG" || fail "no READY=1 from $VSTACKD_PID"
sleep 2
[[ -z $(notes "$VSTACKD_PID" WATCHDOG) ]] || fail "keep-alives sent although WATCHDOG_PID names another process"
stop_notified
rm -f "$T/ready.out"

# --- ready only when usable ----------------------------------------------
cat >"$T/vstackd.conf" <<EOF
[daemon]
workers = 2

[port $PC]
mtu = 1400
EOF
start_notified self --config "$T/vstackd.conf"
D=$VSTACKD_PID
wait_until 5 test -s "$T/ready.out" || fail "no READY=1 from $D (or the listener did not act on it)"
assert_eq "$(head -n 1 "$T/ready.out")" 0 "ip link show $PC && vstackctl port list, run the moment READY=1 arrived: exit status"
assert_contains "$(cat "$T/ready.out")" "\"$PC\"" "port list at READY=1 holds the configuration's port"
assert_eq "$(notes "$D" READY | wc -l)" 1 "READY=1 messages from $D"
assert_eq "$(awk '$3 == "READY=1" {print $2}' "$NLOG" | tail -n 1)" "$D" "pid READY=1 came from"
assert_match "$(note_values "$D" STATUS | head -n 1)" "^Serving: 2 workers, control socket $VSTACK_SOCK$" "STATUS= with READY=1"
log "READY=1 from $D once the socket answered: $(note_values "$D" STATUS | head -n 1)"

# --- keep-alives, idle: longer than the stall limit, workers asleep -------
t0=$(mono)
sleep 5
t1=$(mono)
mapfile -t wds < <(notes "$D" WATCHDOG "$t0" "$t1")
assert_ge "${#wds[@]}" 7 "WATCHDOG=1 in 5 idle seconds (one every 0.5 s expected)"
gap=$(max_gap "$t0" "$t1" "${wds[@]}")
assert_le "$(ms "$gap")" $((WD_USEC / 2000)) "longest interval between idle keep-alives, ms"
others=$(awk -v a="$D0" -v b="$D" -v c="$bgpid" '$2 != a && $2 != b && $2 != c' "$NLOG")
[[ -z $others ]] || fail "notifications from a process other than vstackd: $others"
log "idle: ${#wds[@]} keep-alives in 5 s, longest interval $gap s"

# --- keep-alives under traffic -------------------------------------------
A=$(mk_ns a --no-ipv6)
B=$(mk_ns b --no-ipv6)
PA=$(ifname a)
PB=$(ifname b)
vctl port add "$PA" --netns "$A" --address 10.78.0.1/24
vctl port add "$PB" --netns "$B" --address 10.78.0.2/24
ping_ok "$A" 10.78.0.2 || fail "no ping through vstack"
t0=$(mono)
nsx_to 20 "$A" ping -q -f -w 4 10.78.0.2 >"$T/flood.out" 2>&1 || true
t1=$(mono)
rx=$(port_stat "$PB" rx_packets)
assert_ge "$rx" 1000 "frames from $PB during the flood"
mapfile -t wds < <(notes "$D" WATCHDOG "$t0" "$t1")
gap=$(max_gap "$t0" "$t1" "${wds[@]}")
assert_le "$(ms "$gap")" $((WD_USEC / 2000)) "longest interval between keep-alives under traffic, ms"
log "traffic: ${#wds[@]} keep-alives during a 4 s ping flood, longest interval $gap s"
[[ -z $(note_values "$D" STATUS | grep -i wedged || true) ]] || fail "a worker judged wedged while idle or busy"

# --- a wedged worker: keep-alives withheld, then resumed ------------------
tid=$(vctl_json stats | jq_py 'd["workers"][1]["tid"]')
assert_match "$tid" '^[0-9]+$' "tid of worker 1"
"$PY" "$LIB/sdnotify.py" ptrace-stop "$tid" 6 >"$T/ptrace.out" 2>"$T/ptrace.err" &
ptracer=$!
if ! wait_until 5 grep -q stopped "$T/ptrace.out"; then
	rc=0
	wait "$ptracer" || rc=$?
	if ((rc == 77)); then
		stop_notified
		skip "cannot stop a worker thread with ptrace here ($(cat "$T/ptrace.err")); everything but the wedged-worker case passed"
	fi
	fail "could not stop worker thread $tid: $(cat "$T/ptrace.err")"
fi
t_stop=$(mono)
wait_until 8 grep -q "^[0-9.]* $D STATUS=Worker 1 .*wedged" "$NLOG" ||
	fail "no STATUS= naming worker 1 as wedged within 8 s of stopping it"
t_wedged=$(awk -v d="$D" '$2 == d && $3 == "STATUS=Worker" {print $1; exit}' "$NLOG")
assert_le "$(ms "$(awk -v a="$t_wedged" -v b="$t_stop" 'BEGIN {print a - b}')")" 5000 \
	"ms from stopping worker 1 to withholding keep-alives (stall limit 3 s)"
wait "$ptracer" || fail "ptrace-stop of worker thread $tid failed: $(cat "$T/ptrace.err")"
# The moment before the worker could run again: a keep-alive may follow
# at once, before this script gets to read a clock.
t_go=$(awk '$1 == "released" {print $2}' "$T/ptrace.out")
assert_match "$t_go" '^[0-9]+[.][0-9]+$' "release time from ptrace-stop"
[[ -z $(notes "$D" WATCHDOG "$t_wedged" "$t_go") ]] || fail "keep-alives sent while worker 1 was wedged"
wait_until 3 has_notes "$D" WATCHDOG "$t_go" ||
	fail "keep-alives did not resume after worker 1 was let go"
assert_match "$(note_values "$D" STATUS | tail -n 1)" "^Serving: " "STATUS= after the worker recovered"
assert_eq "$(grep -c 'worker 1 .*no progress' "$VSTACKD_LOG")" 1 "error lines about worker 1 in the daemon log"
grep -q 'worker 1 .*makes progress again' "$VSTACKD_LOG" || fail "no log line about worker 1 recovering"
ping_ok "$A" 10.78.0.2 || fail "no ping through vstack after the worker recovered"
log "wedged worker: keep-alives withheld after $(awk -v a="$t_wedged" -v b="$t_stop" 'BEGIN {printf "%.1f", a - b}') s, resumed after release"

stop_notified
