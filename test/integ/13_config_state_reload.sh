#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# config_state_reload - what comes back after a restart, and what a reload
# changes, driving only vstackd and vstackctl:
#   - start-up from a config file: [daemon], [tenant], [port] sections;
#   - vstackctl changes (a tenant, a port in another network, a config
#     tenant's weight) are kept in the state directory and come back after
#     a restart, along with everything from the config file;
#   - every command's JSON has the documented keys;
#   - reload (vstackctl reload, and SIGHUP) adds new sections, changes
#     changed ones, removes removed ones, and does not touch unchanged
#     ports: same device, counters not reset, no ping lost during it;
#   - a [daemon] key that cannot change while running is reported, a
#     config file that does not parse is refused and nothing changes;
#   - sections changed or removed while vstackd was down are applied at
#     the next start; a damaged state record is reported and skipped;
#   - a restart with more workers than the (single-queue) devices have
#     queues makes them anew;
#   - a state directory that is full or read-only: a change it cannot
#     record fails with one line and is undone, so a restart shows what
#     the daemon showed.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

A=$(mk_ns a); B=$(mk_ns b); C=$(mk_ns c); D=$(mk_ns d); E=$(mk_ns e)
PA=$(ifname a); PB=$(ifname b); PC=$(ifname c); PD=$(ifname d); PE=$(ifname e)
CONF=$T/vstackd.conf

write_conf() { # C_ADDR GOLD_WEIGHT [EXTRA...]
	local caddr=$1 gw=$2
	shift 2
	{
		printf '[daemon]\nworkers = 1\nlog-level = info\none-hop = on\n\n'
		printf '[tenant gold]\nweight = %s\n\n' "$gw"
		printf '[port %s]\ntenant = gold\nnetns = %s\naddress = 10.75.0.1/24\n\n' "$PA" "$A"
		printf '[port %s]\nnetns = %s\naddress = 10.75.0.2/24\n\n' "$PB" "$B"
		[[ $caddr == none ]] || printf '[port %s]\nnetns = %s\naddress = %s\n\n' "$PC" "$C" "$caddr"
		printf '%s\n' "$@"
	} >"$CONF"
}
names() { port_names | sort | tr '\n' ' '; }
want() { printf '%s\n' "$@" | sort | tr '\n' ' '; }

write_conf 10.75.0.3/24 300
start_vstackd --config "$CONF"
assert_eq "$(names)" "$(want "$PA" "$PB" "$PC")" "ports from the config file"
assert_port_in_ns "$A" "$PA" 10.75.0.1/24
assert_port_in_ns "$C" "$PC" 10.75.0.3/24
assert_eq "$(tenant_field gold weight)" 300 "gold's weight from the config file"
ping_ok "$A" 10.75.0.2 || fail "no ping between config ports"

# vstackctl changes on top of the config file.
vctl tenant add silver --weight 50
vctl tenant set gold --weight 400
vctl port add "$PD" --tenant silver --network other --netns "$D" --address 10.76.0.4/24
[[ -f $VSTACK_STATE/ports/$PD.json && -f $VSTACK_STATE/tenants/silver.json ]] ||
	fail "state records missing: $(ls -R "$VSTACK_STATE")"

# The JSON of every command, keys as documented.
j=$(vctl_json port list)
assert_eq "$(jq_py "sorted(d['ports'][0].keys()) == sorted(['name','network','tenant','netns','mac','mtu','addresses','id','queues','offloads','lock','fdb_max','fdb_learned','fdb_full','state','rx_packets','rx_bytes','tx_packets','tx_bytes','drops','drops_total'])" <<<"$j")" true "port list keys: $j"
j=$(vctl_json tenant list)
assert_eq "$(jq_py "all(set(['id','name','cgroup','weight','weight_from','rate_bps','ports']) <= set(t) for t in d['tenants'])" <<<"$j")" true "tenant list keys: $j"
j=$(vctl_json network list)
assert_eq "$(jq_py "sorted((n['name'], n['ports'], n['tenants']) for n in d['networks'])" <<<"$j" | tr '\n' ' ')" \
	"('default', 3, ['gold', 'default']) ('other', 1, ['silver']) " "network list: $j"
j=$(vctl_json fdb show)
assert_eq "$(jq_py "all(set(['network','mac','port','age_ms']) <= set(e) for e in d['entries'])" <<<"$j")" true "fdb show keys: $j"
j=$(vctl_json stats)
assert_eq "$(jq_py "all(k in d for k in ('ports','tenants','networks','workers'))" <<<"$j")" true "stats keys: $j"

# --- restart: everything comes back ------------------------------------------
IDX_A=$(ifindex "$A" "$PA")
stop_vstackd
start_vstackd --config "$CONF"
assert_eq "$(names)" "$(want "$PA" "$PB" "$PC" "$PD")" "ports after a restart"
assert_eq "$(tenant_field gold weight)" 400 "gold keeps its vstackctl weight over an unchanged section"
assert_eq "$(tenant_field silver weight)" 50 "silver after a restart"
assert_eq "$(vctl_json port list | jq_py "[p['network'] + '/' + p['tenant'] for p in d['ports'] if p['name'] == '$PD'][0]")" \
	"other/silver" "network and tenant of $PD after a restart"
assert_eq "$(ifindex "$A" "$PA")" "$IDX_A" "$PA is the same device after a restart"
ping_ok "$A" 10.75.0.2 || fail "no ping after a restart"

# --- reload ------------------------------------------------------------------
# Unchanged: PA, PB. Changed: gold's weight, PC's address. Added: PE.
# [daemon] workers changes (reported, applied at the next start).
ping_ok "$A" 10.75.0.2
rx_before=$(port_stat "$PA" rx_packets)
write_conf 10.75.0.33/24 250 "[port $PE]" "netns = $E" "address = 10.75.0.5/24"
sed -i 's/^workers = 1/workers = 2/' "$CONF"
nsx_to 30 "$A" ping -q -c 400 -i 0.01 -W 1 10.75.0.2 >"$T/ping.out" 2>&1 &
PING=$!
sleep 1
out=$(vctl reload)
log "reload: $out"
assert_eq "$out" "reloaded: 1 added, 2 changed, 0 removed, 2 unchanged" "reload summary"
wait "$PING" || fail "ping during reload failed: $(cat "$T/ping.out")"
grep -q " 0% packet loss" "$T/ping.out" || fail "pings lost across a reload: $(cat "$T/ping.out")"
assert_eq "$(ifindex "$A" "$PA")" "$IDX_A" "$PA untouched by reload"
rx_after=$(port_stat "$PA" rx_packets)
assert_ge "$rx_after" "$((rx_before + 400))" "counters of unchanged $PA kept across reload"
assert_eq "$(names)" "$(want "$PA" "$PB" "$PC" "$PD" "$PE")" "ports after reload"
assert_port_in_ns "$C" "$PC" 10.75.0.33/24
assert_port_in_ns "$E" "$PE" 10.75.0.5/24
assert_eq "$(tenant_field gold weight)" 250 "gold's weight after its section changed"
grep -q "workers changed; it takes effect when vstackd is restarted" "$VSTACKD_LOG" ||
	fail "no word about [daemon] workers changing"
ping_ok "$A" 10.75.0.5 || fail "no ping to the port added by reload"

# A config file that does not parse: refused, nothing changes.
cp "$CONF" "$T/good.conf"
printf '[port %s]\nmtu = lots\n' "$(ifname z)" >>"$CONF"
expect_ctl_error "reload of a broken config" reload >/dev/null
assert_eq "$(names)" "$(want "$PA" "$PB" "$PC" "$PD" "$PE")" "ports after a refused reload"
cp "$T/good.conf" "$CONF"
# Nor one with a key given twice: not the last value taken.
sed -i 's/^weight = 250$/&\nweight = 700/' "$CONF"
expect_ctl_error "reload of a config with a key given twice" reload >/dev/null
assert_contains "$(<"$T/ctl.err")" "duplicate key 'weight' in [tenant gold]" "reload with a key given twice"
assert_eq "$(tenant_field gold weight)" 250 "gold's weight after a refused reload"
cp "$T/good.conf" "$CONF"
# A changed port whose new section cannot be made (no such namespace):
# the running port stays as it was, device, address and all.
IDX_C=$(ifindex "$C" "$PC")
sed -i "s/^netns = $C\$/netns = ${P}nowhere/" "$CONF"
expect_ctl_error "reload of a port moved to a missing namespace" reload >/dev/null
assert_eq "$(names)" "$(want "$PA" "$PB" "$PC" "$PD" "$PE")" "ports after a reload that could not move $PC"
assert_contains "$(<"$T/ctl.err")" "network namespace '${P}nowhere' not found (the port is kept as it was)" \
	"reload of a port moved to a missing namespace"
assert_port_in_ns "$C" "$PC" 10.75.0.33/24
assert_eq "$(ifindex "$C" "$PC")" "$IDX_C" "$PC is the same device after the refused change"
cp "$T/good.conf" "$CONF"

# SIGHUP does the same: PE's section removed.
write_conf 10.75.0.33/24 250
kill -HUP "$VSTACKD_PID"
gone() { ! vctl port list | grep -q "$PE"; }
wait_until 10 gone || fail "$PE still there 10 s after SIGHUP"
! link_exists "$E" "$PE" || fail "$PE's device left after its section was removed"
assert_eq "$(names)" "$(want "$PA" "$PB" "$PC" "$PD")" "ports after SIGHUP"

# [daemon] keys read only at start: a reload that changes them says so,
# each of them (one-hop given before and changed, sched and metrics new).
sed -i 's/^one-hop = on$/one-hop = off/; s/^\[daemon\]$/&\nsched = off\nmetrics = 127.0.0.1:9/' "$CONF"
out=$(vctl reload)
assert_eq "$out" "reloaded: 0 added, 0 changed, 0 removed, 4 unchanged" "reload of [daemon] keys only"
for k in one-hop sched metrics; do
	grep -q "\] $k changed; it takes effect when vstackd is restarted" "$VSTACKD_LOG" ||
		fail "no word about [daemon] $k changing"
done
write_conf 10.75.0.33/24 250
# log-level is applied by a reload, and a removed log-level goes back to
# the default (info), as a removed section goes.
sed -i 's/^log-level = info$/log-level = debug/' "$CONF"
vctl reload >/dev/null
grep -q "reload: log level is now debug" "$VSTACKD_LOG" || fail "log-level = debug not applied by a reload"
sed -i '/^log-level = /d' "$CONF"
vctl reload >/dev/null
grep -q "reload: log level is now info" "$VSTACKD_LOG" ||
	fail "log-level removed from [daemon], and the level stays debug after a reload"
write_conf 10.75.0.33/24 250
vctl reload >/dev/null

# --- sections changed and removed while vstackd is down -----------------------
stop_vstackd
write_conf none 250
sed -i "s|address = 10.75.0.2/24|address = 10.75.0.22/24|" "$CONF"
echo '{ "this is": "not a record"' >"$VSTACK_STATE/tenants/broken.json"
start_vstackd --config "$CONF"
assert_eq "$(names)" "$(want "$PA" "$PB" "$PD")" "ports after changes made while down"
! link_exists "$C" "$PC" || fail "$PC's device left although its section went while vstackd was down"
assert_port_in_ns "$B" "$PB" 10.75.0.22/24
grep -q "broken.json: .*record ignored" "$VSTACKD_LOG" || fail "damaged state record not reported"
ping_ok "$A" 10.75.0.22 || fail "no ping to the port changed while down"

# --- more workers than the devices have queues ---------------------------------
# One worker made single-queue devices; two need two queues each: the ports
# come back on devices made anew, addresses and all.
stop_vstackd
start_vstackd --config "$CONF" --workers 2
assert_eq "$(names)" "$(want "$PA" "$PB" "$PD")" "ports after a restart with two workers"
grep -q "has one queue, 2 are needed; making its device again" "$VSTACKD_LOG" ||
	fail "no word about remaking single-queue devices: $(cat "$VSTACKD_LOG")"
assert_eq "$(vctl_json port list | jq_py "[p['queues'] for p in d['ports'] if p['name'] == '$PA'][0]")" 2 \
	"queues of $PA with two workers"
assert_port_in_ns "$B" "$PB" 10.75.0.22/24
ping_ok "$A" 10.75.0.22 || fail "no ping after the devices were made anew"
stop_vstackd

# --- a state directory that cannot take a record -------------------------------
# A change the directory does not hold would be gone at the next start: the
# command fails with one line and is undone. A small tmpfs, filled up, then
# read-only.
SMALL=$T/small-state
mkdir "$SMALL"
mount -t tmpfs -o size=256k,mode=0700 "${P}state" "$SMALL" || skip "cannot mount a tmpfs"
on_cleanup "umount -l '$SMALL'"
start_vstackd --workers 1 --state "$SMALL"
vctl tenant add bronze --weight 70
vctl tenant add lead
vctl port add "$PE" --tenant bronze --netns "$E" --address 10.77.0.5/24
dd if=/dev/zero of="$SMALL/filler" bs=4k 2>/dev/null || true
PF=$(ifname f)
expect_ctl_error "tenant add, state full" tenant add tin
assert_contains "$(<"$T/ctl.err")" "No space left on device" "tenant add on a full state directory"
expect_ctl_error "tenant set, state full" tenant set bronze --weight 90
assert_contains "$(<"$T/ctl.err")" "not changed" "tenant set on a full state directory"
expect_ctl_error "port add, state full" port add "$PF" --netns "$E"
assert_contains "$(<"$T/ctl.err")" "not added" "port add on a full state directory"
! link_exists "$E" "$PF" || fail "$PF's device left after its record could not be written"
rm -f "$SMALL/filler"
mount -o remount,ro "$SMALL"
expect_ctl_error "tenant del, state read-only" tenant del lead
expect_ctl_error "port del, state read-only" port del "$PE"
assert_port_in_ns "$E" "$PE" 10.77.0.5/24
mount -o remount,rw "$SMALL"
tenants() { vctl_json tenant list | jq_py "sorted(t['name'] for t in d['tenants'])" | tr '\n' ' '; }
before=$(tenants)
assert_eq "$before" "bronze default lead " "tenants after the refused changes"
assert_eq "$(tenant_field bronze weight)" 70 "bronze's weight after a refused set"
stop_vstackd
start_vstackd --workers 1 --state "$SMALL"
assert_eq "$(tenants)" "$before" "tenants after a restart"
assert_eq "$(tenant_field bronze weight)" 70 "bronze's weight after a restart"
assert_eq "$(names)" "$PE " "ports after a restart"
vctl port del "$PE"
stop_vstackd
