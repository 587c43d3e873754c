#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# idle - an idle vstackd makes no wake-ups at all: once nothing has
# happened for two seconds its control loop rests (a tick a minute) and
# its worker sleeps, so in three seconds no thread of it runs once.
# Traffic alone, with no client talking to it, wakes the control loop (the
# worker tells it): it ticks every half second again and rests again
# after. A port whose device is deleted while it rests is reported within
# seconds. A tenant bound to a cgroup does not keep it awake: a change of
# the cgroup's weight is followed within a second while it rests (inotify,
# not the tick), and so are the cgroup's removal and its return, all
# without waking it (handing a weight to the worker is no traffic); frames
# after that still wake it.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_cmd ping
[[ -r /proc/self/schedstat ]] || skip "no /proc/PID/schedstat (CONFIG_SCHED_INFO) to count runs with"

# No IPv6: idle interfaces then send nothing (no solicitations, no MLD).
A=$(mk_ns a --no-ipv6)
B=$(mk_ns b --no-ipv6)
PA=$(ifname a)
PB=$(ifname b)
start_vstackd --workers 1 --log-level debug
vctl port add "$PA" --netns "$A" --address 10.86.0.1/24
vctl port add "$PB" --netns "$B" --address 10.86.0.2/24
ping_ok "$A" 10.86.0.2 || fail "no ping through vstack"

# Times any thread of vstackd was put on a CPU (schedstat's third field);
# the control loop is the main thread.
runs() {
	local t=0 f
	for f in /proc/"$VSTACKD_PID"/task/*/schedstat; do
		t=$((t + $(awk '{print $3}' "$f")))
	done
	echo "$t"
}
main_runs() { awk '{print $3}' "/proc/$VSTACKD_PID/task/$VSTACKD_PID/schedstat"; }
rests() { grep -c "idle: the control loop ticks once a minute" "$VSTACKD_LOG" || true; }
wakes() { grep -c "busy: the control loop ticks every half second" "$VSTACKD_LOG" || true; }
rested_since() { (($(rests) > $1)); }
woke_since() { (($(wakes) > $1)); }
resting_now() { [[ $(grep "control loop ticks" "$VSTACKD_LOG" | tail -n 1) == *"once a minute" ]]; }
# idle_window - 0 if no thread of vstackd ran in 3 s; prints the count.
idle_window() {
	local a b
	a=$(runs)
	sleep 3
	b=$(runs)
	echo $((b - a))
	((b == a))
}

# --- resting --------------------------------------------------------------
# The tenants' kernels may still send a frame or two after the ping (ARP
# probes); such a frame wakes the worker, and the loop, legitimately. So
# up to three tries for a window of three seconds with no run at all.
idle_ok=
for try in 1 2 3; do
	wait_until 10 resting_now || fail "the control loop does not rest: $(tail -n 5 "$VSTACKD_LOG")"
	if n=$(idle_window); then
		idle_ok=1
		break
	fi
	log "try $try: vstackd's threads ran $n times in 3 s"
done
[[ -n $idle_ok ]] || fail "vstackd's threads ran in each of three 3-second idle windows (last: $n times)"
log "resting: no thread of vstackd ran in 3 s"

# --- traffic wakes it (no client) -----------------------------------------
w0=$(wakes)
r0=$(rests)
m0=$(main_runs)
nsx_to 10 "$A" ping -q -c 5 -i 0.25 10.86.0.2 >/dev/null || fail "ping while resting"
m1=$(main_runs)
assert_ge "$(wakes)" $((w0 + 1)) "control loop woken by the worker"
# 1 s of pings: the woken loop ticks every half second (and rests not yet).
assert_ge "$((m1 - m0))" 2 "control loop runs during 1 s of traffic"
wait_until 10 rested_since "$r0" || fail "the control loop did not rest again after the traffic"
log "traffic woke the control loop; it rested again after"

# --- a device deleted while it rests --------------------------------------
r0=$(rests)
ip -n "$B" link del "$PB"
gone_reported() { grep -q "port $PB: its device was deleted from outside" "$VSTACKD_LOG"; }
wait_until 5 gone_reported || fail "$PB deleted while resting: not reported within 5 s"
assert_eq "$(vctl_json port list | jq_py "[p['state'] for p in d['ports'] if p['name'] == '$PB'][0]")" \
	gone "state of the deleted port"
vctl port del "$PB"
log "a device deleted while resting was reported"

# --- a tenant bound to a cgroup: followed by events, no tick --------------
cgroup_part=
if kind=$(cgroup_cpu_kind 2>/dev/null) && [[ -n $kind ]]; then
	cgroup_part=1
	mk_cgroup tc 100
	CG=$CGROUP_DIR
	vctl tenant add tc --cgroup "$CG"
	r0=$(rests)
	wait_until 10 rested_since "$r0" || fail "no rest with a tenant bound to a cgroup"
	# Resting, the loop's timer is a minute away: only the event can
	# make it follow within a second. Handing the new weight to the
	# worker wakes it, but that is no traffic: the loop keeps resting.
	w0=$(wakes)
	cgroup_set_weight "$CG" 250
	followed() { grep -q "tenant tc: cgroup .* weight 100 -> 250" "$VSTACKD_LOG"; }
	wait_until 1 followed || fail "tenant tc did not follow its cgroup to 250 within a second while resting"
	sleep 1
	assert_eq "$(wakes)" "$w0" "control loop wake-ups after a weight change while resting"
	resting_now || fail "the control loop stopped resting after a weight change"
	# The cgroup removed and made again while resting: lost, then back.
	rmdir "$CG"
	lost() { grep -q "tenant tc: cgroup .*; keeping weight 250" "$VSTACKD_LOG"; }
	wait_until 2 lost || fail "removed cgroup not reported within 2 s while resting"
	mkdir "$CG"
	cgroup_set_weight "$CG" 400
	back() { grep -q "tenant tc: cgroup .* readable again" "$VSTACKD_LOG" &&
		grep -q "tenant tc: cgroup .* weight [0-9]* -> 400" "$VSTACKD_LOG"; }
	wait_until 2 back || fail "cgroup made again not followed within 2 s: $(grep 'tenant tc' "$VSTACKD_LOG")"
	assert_eq "$(wakes)" "$w0" "control loop wake-ups while a cgroup went and came back"
	# Traffic still wakes it: the worker woken by the weights first does
	# not swallow the wake-up of the frames after. ($PB is gone: the
	# pings go unanswered, but their frames, or A's ARP, reach vstack.)
	nsx_to 10 "$A" ping -q -c 2 -i 0.25 -W 1 10.86.0.2 >/dev/null || true
	wait_until 5 woke_since "$w0" || fail "frames after a weight change did not wake the control loop"
	assert_eq "$(tenant_field tc weight)" 400 "weight of tc after its cgroup came back"
	assert_eq "$(tenant_field tc cgroup_state)" ok "cgroup state of tc after it came back"
	vctl tenant del tc
	log "a cgroup tenant followed while resting: weight change, removal, return"
fi

daemon_alive || fail "vstackd gone"
stop_vstackd
# Not a pass: part of the test could not run here.
[[ -n $cgroup_part ]] || skip "no cgroup with a CPU weight can be made here: the cgroup part did not run"
