#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tenant_shares - tenants bound to real cgroups made by the test, real
# tenants in namespaces, real iperf3 traffic, one worker:
#   - the weight comes from the cgroup (cpu.weight, or cpu.shares on v1)
#     and follows a change of it within about a second;
#   - two tenants sending TCP at once through one worker are both served
#     and charged: packets, bytes and cycles per tenant, per-tenant sums
#     equal to the port counters and to the totals, shares adding up to 1;
#   - a rate cap holds (loosely: this is a test, not a benchmark), the
#     capped tenant is throttled and released again (traffic keeps flowing,
#     and flows at full speed once the cap is lifted: no stall);
#   - a cgroup that disappears is reported once, not every tick, and the
#     tenant keeps its last weight; restarted while it is gone, the tenant
#     keeps the cgroup in its record and is bound again once it is back
#     (also the tenant "default", which is there before any record).
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_cmd iperf3 ping socat openssl

cgroup_cpu_kind >/dev/null
mk_cgroup ta 100
CGA=$CGROUP_DIR
mk_cgroup tb 300
CGB=$CGROUP_DIR
start_vstackd --workers 1

vctl tenant add ta --cgroup "$CGA"
vctl tenant add tb --cgroup "$CGB"
assert_eq "$(tenant_field ta weight)" 100 "weight of ta from its cgroup"
assert_eq "$(tenant_field tb weight)" 300 "weight of tb from its cgroup"
assert_eq "$(tenant_field ta weight_from)" cgroup "ta's weight source"
assert_eq "$(tenant_field ta cgroup_state)" ok "ta's cgroup state"

# Bound through a process (--pid): to the cgroup that holds its CPU weight,
# ta's. On a v1 or hybrid host the process's v2 path may name nothing of
# its own ("0::/" on this kind of host): a tenant bound to "/" would take
# in every application.
# shellcheck disable=SC2016 # expanded by the inner bash
bash -c 'echo $$ >"$1/cgroup.procs" && exec sleep 120' _ "$CGA" &
SLEEPER=$!
wait_until 3 grep -q "/$(basename "$CGA")\$" "/proc/$SLEEPER/cgroup" ||
	fail "the sleeping process did not join $CGA"
vctl tenant add tp --pid "$SLEEPER"
assert_eq "$(tenant_field tp cgroup)" "$(tenant_field ta cgroup)" "cgroup of a tenant bound by --pid"
assert_eq "$(tenant_field tp weight)" 100 "weight of tp from its process's cgroup"
vctl tenant del tp
kill "$SLEEPER"
wait "$SLEEPER" 2>/dev/null || true

# The cgroup's weight changes: the tenant follows within about a second.
cgroup_set_weight "$CGA" 200
t0=$(date +%s%N)
wait_until 3 bash -c "[[ \$($VSTACKCTL --socket $VSTACK_SOCK --json tenant list |
	$PY -c 'import json,sys; print([t[\"weight\"] for t in json.load(sys.stdin)[\"tenants\"] if t[\"name\"] == \"ta\"][0])') == 200 ]]" ||
	fail "tenant ta did not follow its cgroup's weight to 200 within 3 s"
ms=$((($(date +%s%N) - t0) / 1000000))
log "weight change seen after ${ms} ms"
assert_le "$ms" 2000 "ms until a cgroup weight change is in force"
grep -q "tenant ta: cgroup .* weight 100 -> 200" "$VSTACKD_LOG" ||
	fail "no log line for ta's weight change"
cgroup_set_weight "$CGA" 100
wait_until 3 bash -c "grep -q 'tenant ta: cgroup .* weight 200 -> 100' $VSTACKD_LOG" ||
	fail "tenant ta did not follow its cgroup back to 100"

# An override wins over the cgroup and stays when the cgroup changes;
# tc shares tb's cgroup with an override, tb follows it.
vctl tenant add tc --cgroup "$CGB" --weight 250
cgroup_set_weight "$CGB" 400
wait_until 3 bash -c "grep -q 'tenant tb: cgroup .* weight 300 -> 400' $VSTACKD_LOG" ||
	fail "tenant tb did not follow its cgroup to 400"
assert_eq "$(tenant_field tc weight)" 250 "override survives a cgroup change"
assert_eq "$(tenant_field tc weight_from)" override "tc's weight source"
cgroup_set_weight "$CGB" 300
wait_until 3 bash -c "grep -q 'tenant tb: cgroup .* weight 400 -> 300' $VSTACKD_LOG" ||
	fail "tenant tb did not follow its cgroup back to 300"
vctl tenant del tc

# Topology: senders a (tenant ta) and b (tenant tb), receiver r (default).
A=$(mk_ns a --no-ipv6)
B=$(mk_ns b --no-ipv6)
R=$(mk_ns r --no-ipv6)
PA=$(ifname a)
PB=$(ifname b)
PR=$(ifname r)
vctl port add "$PA" --tenant ta --netns "$A" --address 10.120.0.1/24
vctl port add "$PB" --tenant tb --netns "$B" --address 10.120.0.2/24
vctl port add "$PR" --netns "$R" --address 10.120.0.9/24
ping_ok "$A" 10.120.0.9 || fail "ping a -> r"
ping_ok "$B" 10.120.0.9 || fail "ping b -> r"

nsx "$R" iperf3 -s -p 5201 -D -1 >/dev/null
nsx "$R" iperf3 -s -p 5202 -D -1 >/dev/null
wait_listen "$R" tcp 5201
wait_listen "$R" tcp 5202

# iperf_bps NS PORT SECONDS [ARGS...] - TCP to r, print received bits/s
iperf_bps() {
	local ns=$1 port=$2 secs=$3
	shift 3
	nsx_to $((secs + 20)) "$ns" iperf3 -c 10.120.0.9 -p "$port" -t "$secs" -J "$@" |
		jq_py "int(d['end']['sum_received']['bits_per_second'])"
}

# Both tenants at once, through the one worker.
er0=$(worker_stat express_rounds)
ey0=$(worker_stat express_yields)
iperf_bps "$A" 5201 4 >"$T/a.bps" &
pa=$!
iperf_bps "$B" 5202 4 >"$T/b.bps" &
pb=$!
wait "$pa" || fail "iperf3 from a failed"
wait "$pb" || fail "iperf3 from b failed"
bps_a=$(<"$T/a.bps")
bps_b=$(<"$T/b.bps")
log "two tenants at once: ta (weight 100) $((bps_a / 1000000)) Mbit/s, tb (weight 300) $((bps_b / 1000000)) Mbit/s"
assert_ge "$bps_a" 1000000 "ta got through (bits/s)"
assert_ge "$bps_b" 1000000 "tb got through (bits/s)"
log "parks so far: ta $(tenant_stat ta parks), tb $(tenant_stat tb parks)"
# Their small frames (ACKs) went ahead of the held bulk, but the worker
# did not step aside for them: a bulk flow's sender waits for no CPU. (Only
# a connection's first frames, before its first super-frame, can count.)
er=$(($(worker_stat express_rounds) - er0))
ey=$(($(worker_stat express_yields) - ey0))
log "two bulk tenants: $er express rounds, $ey of them yielded"
assert_ge "$er" 100 "express rounds while two tenants send bulk"
assert_le "$((ey * 20))" "$er" "yields, 20 times over, against express rounds (bulk only)"

# A quiet tenant beside a flood: ta floods, tb pings r. tb's requests and
# r's replies go ahead of ta's held bulk, and after sending them the worker
# gives its CPU to the program it woke. Every ping is answered.
nsx "$R" iperf3 -s -p 5205 -D -1 >/dev/null
wait_listen "$R" tcp 5205
ey0=$(worker_stat express_yields)
iperf_bps "$A" 5205 4 -P 4 >"$T/flood.bps" &
pf=$!
sleep 1
out=$(nsx_to 20 "$B" ping -n -q -c 200 -i 0.01 -w 10 10.120.0.9 2>&1) ||
	fail "tb's pings during ta's flood: $out"
[[ $out =~ ([0-9]+)\ received ]] && ((BASH_REMATCH[1] == 200)) ||
	fail "tb's pings during ta's flood were not all answered: $out"
wait "$pf" || fail "ta's flood failed"
ey=$(($(worker_stat express_yields) - ey0))
log "quiet pings beside a flood: $ey express yields; $(grep -o 'rtt.*' <<<"$out")"
assert_ge "$ey" 1 "express yields while a quiet tenant pings beside a flood"

# No stall: after the contest (parked or not), both tenants move a
# checksummed stream at once, and each one alone afterwards, in bounded time.
tcp_transfer_start "$A" "$R" 10.120.0.9 7201 $((64 << 20)) 90 21
tcp_transfer_start "$B" "$R" 10.120.0.9 7202 $((64 << 20)) 90 22
tcp_transfer_wait 7201
tcp_transfer_wait 7202
tcp_transfer "$A" "$R" 10.120.0.9 7203 $((16 << 20)) 60 23
tcp_transfer "$B" "$R" 10.120.0.9 7204 $((16 << 20)) 60 24

# Accounting, with no traffic left in flight: per-tenant packets and bytes
# equal their ports' rx counters; the totals are the per-tenant sums;
# cycles were charged to both senders; shares add up to one.
sleep 1
vctl_json stats >"$T/stats.json"
"$PY" - "$T/stats.json" "$PA" "$PB" <<'PYEOF' || fail "accounting inconsistent (see above)"
import json, sys
d = json.load(open(sys.argv[1]))
ports = {p["name"]: p for p in d["ports"]}
ten = {t["name"]: t for t in d["tenants"]}
bad = []
for name, tn in ten.items():
    rxp = sum(p["rx_packets"] for p in d["ports"] if p["tenant"] == name)
    rxb = sum(p["rx_bytes"] for p in d["ports"] if p["tenant"] == name)
    if tn["packets"] != rxp or tn["bytes"] != rxb:
        bad.append(f"tenant {name}: packets/bytes {tn['packets']}/{tn['bytes']} != its ports' rx {rxp}/{rxb}")
    if tn["rx_packets"] != rxp:
        bad.append(f"tenant {name}: rx_packets {tn['rx_packets']} != {rxp}")
tot = d["totals"]
for k in ("packets", "bytes", "cycles"):
    s = sum(t[k] for t in ten.values())
    if s != tot[k]:
        bad.append(f"totals {k} {tot[k]} != sum over tenants {s}")
if tot["packets"] != tot["rx_packets"]:
    bad.append(f"totals packets {tot['packets']} != ports' rx_packets {tot['rx_packets']}")
for n in ("ta", "tb"):
    if ten[n]["cycles"] <= 0 or ten[n]["packets"] < 1000:
        bad.append(f"tenant {n}: nothing charged: {ten[n]}")
share = sum(t["share"] for t in ten.values())
if abs(share - 1.0) > 1e-6:
    bad.append(f"shares add up to {share}")
if not tot["sched"]:
    bad.append("scheduler reported off")
for b in bad:
    print(b, file=sys.stderr)
print("ta share %.3f tb share %.3f default share %.3f, parks ta %d tb %d" % (
    ten["ta"]["share"], ten["tb"]["share"], ten["default"]["share"],
    ten["ta"]["parks"], ten["tb"]["parks"]), file=sys.stderr)
sys.exit(1 if bad else 0)
PYEOF
# The table form shows the same tenants.
out=$(vctl stats --tenant)
assert_contains "$out" "SHARE" "stats --tenant table"
assert_contains "$out" "ta" "stats --tenant lists ta"

# Rate cap: 100 Mbit/s on ta. Loose bounds: it must bite, and traffic must
# keep flowing (a throttled tenant is always released again).
vctl tenant set ta --rate 100M
assert_eq "$(tenant_field ta rate_bps)" 100000000 "ta's cap"
nsx "$R" iperf3 -s -p 5203 -D -1 >/dev/null
wait_listen "$R" tcp 5203
capped=$(iperf_bps "$A" 5203 4)
log "ta capped at 100 Mbit/s: $((capped / 1000000)) Mbit/s"
assert_le "$capped" 130000000 "ta's rate under a 100 Mbit/s cap (bits/s)"
assert_ge "$capped" 50000000 "ta's rate under a 100 Mbit/s cap (bits/s)"
thr=$(tenant_stat ta throttles)
assert_ge "$thr" 1 "ta was throttled"
ping_ok "$A" 10.120.0.9 || fail "ping from ta while capped"

# Lifting the cap releases it: full speed again.
vctl tenant set ta --rate 0
nsx "$R" iperf3 -s -p 5204 -D -1 >/dev/null
wait_listen "$R" tcp 5204
free=$(iperf_bps "$A" 5204 3)
log "ta after the cap is lifted: $((free / 1000000)) Mbit/s"
assert_ge "$free" 200000000 "ta's rate after the cap is lifted (bits/s)"

# The cgroup of tb disappears: one clear line, not one per tick; tb keeps
# its weight.
rmdir "$CGB"
sleep 2.5
n=$(grep -c "tenant tb: cgroup .* has disappeared" "$VSTACKD_LOG" || true)
assert_eq "$n" 1 "log lines about tb's lost cgroup after 2.5 s (5 ticks)"
assert_eq "$(tenant_field tb weight)" 300 "tb keeps its last weight"
assert_eq "$(tenant_field tb cgroup_state)" lost "tb's cgroup state"
# ... and it still gets through.
ping_ok "$B" 10.120.0.9 || fail "ping from tb after its cgroup went"

# A restart while the cgroup is gone: tb comes back without a binding, its
# record still names the cgroup, and once the cgroup is made again tb is
# bound to it within a tick or two, and stays bound across a restart. The
# same for the tenant "default", bound to a cgroup that goes too.
mk_cgroup td 200
CGD=$CGROUP_DIR
vctl tenant set default --cgroup "$CGD"
assert_eq "$(tenant_field default weight)" 200 "weight of default from its cgroup"
stop_vstackd
rmdir "$CGD"
start_vstackd --workers 1
assert_eq "$(tenant_field tb cgroup)" "" "tb's cgroup after a restart without it"
assert_eq "$(tenant_field default cgroup)" "" "default's cgroup after a restart without it"
assert_eq "$(tenant_field default weight)" 200 "default keeps its last weight across a restart without its cgroup"
assert_eq "$(tenant_field tb weight)" 300 "tb keeps its last weight across a restart without its cgroup"
rec_cgroup() { jq_py 'd.get("cgroup", "")' <"$VSTACK_STATE/tenants/tb.json"; }
assert_ne "$(rec_cgroup)" "" "the cgroup in tb's record after a restart without it"
mkdir "$CGB"
cgroup_set_weight "$CGB" 250
tenant_bound() { [[ $(tenant_field "$1" cgroup_state) == ok ]]; }
wait_until 5 tenant_bound tb || fail "tb not bound to its cgroup 5 s after it came back"
assert_eq "$(tenant_field tb weight)" 250 "tb's weight from its cgroup once back"
grep -q "tenant tb: cgroup .* is back; bound to it again" "$VSTACKD_LOG" ||
	fail "no word about tb's cgroup coming back"
mkdir "$CGD"
cgroup_set_weight "$CGD" 150
wait_until 5 tenant_bound default || fail "default not bound to its cgroup 5 s after it came back"
assert_eq "$(tenant_field default weight)" 150 "default's weight from its cgroup once back"
stop_vstackd
start_vstackd --workers 1
assert_eq "$(tenant_field tb cgroup_state)" ok "tb's cgroup state after another restart"
assert_eq "$(tenant_field tb weight)" 250 "tb's weight after another restart"
assert_eq "$(tenant_field default cgroup_state)" ok "default's cgroup state after another restart"

stop_vstackd
