#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# idle - an idle vstackd makes no wake-ups at all: once nothing has
# happened for two seconds its control loop rests (a tick a minute) and
# its worker sleeps, so in three seconds no thread of it runs once.
# Traffic alone, with no client talking to it, wakes the control loop (the
# worker tells it): it ticks every half second again and rests again
# after. A port whose device is deleted while it rests is reported within
# seconds. A tenant bound to a cgroup keeps the half-second tick: after a
# quiet spell its weight still follows the cgroup within a second, and the
# loop rests once that tenant is gone.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_cmd ping

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

# --- a tenant following its cgroup keeps the tick -------------------------
if kind=$(cgroup_cpu_kind 2>/dev/null) && [[ -n $kind ]]; then
	mk_cgroup tc 100
	vctl tenant add tc --cgroup "$CGROUP_DIR"
	r0=$(rests)
	m0=$(main_runs)
	sleep 4
	m1=$(main_runs)
	assert_eq "$(rests)" "$r0" "rests while a tenant follows a cgroup"
	assert_ge "$((m1 - m0))" 6 "control loop runs in 4 s with a cgroup tenant"
	cgroup_set_weight "$CGROUP_DIR" 250
	followed() { grep -q "tenant tc: cgroup .* weight 100 -> 250" "$VSTACKD_LOG"; }
	wait_until 2 followed || fail "tenant tc did not follow its cgroup to 250 within 2 s of quiet"
	vctl tenant del tc
	wait_until 10 rested_since "$r0" || fail "no rest after the cgroup tenant was deleted"
	log "a cgroup tenant kept the tick; rest came back without it"
else
	log "no cgroup with a CPU weight here: cgroup part not run"
fi

daemon_alive || fail "vstackd gone"
stop_vstackd
