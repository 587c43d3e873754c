#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# endpoints_ctl - the control plane of the shared stack's endpoints, driving
# only vstackd and vstackctl (traffic through endpoints is the stack's own
# tests' business):
#   - endpoint add/del/list: the table, the JSON (every field of the stack's
#     view), one error line and a non-zero exit for every mistake (2 for a
#     usage error, before any request; 1 for what only the daemon judges);
#   - ports and endpoints share names; a tenant with an endpoint cannot be
#     deleted; tenant list counts endpoints, network list names their
#     tenants; stats lists their frame counters;
#   - endpoints/NAME.json records: after a restart every endpoint is back
#     with its MAC address and MTU (config and vstackctl ones alike), a
#     section changed while vstackd was down is applied, a damaged record is
#     reported and skipped;
#   - reload adds, changes and removes [endpoint] sections and leaves
#     unchanged ones alone, reports a changed [daemon] app-socket, and
#     refuses a file that gives a port and an endpoint the same name;
#   - a tenant whose section is removed (by a reload, or while vstackd
#     is down) while an endpoint (added by vstackctl, or a section) uses
#     it stays, and is still there after a restart.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

CONF=$T/vstackd.conf
PX=$(ifname x) # a real port (a TAP in vstackd's namespace)
EP=$(ifname e) # an endpoint, named so that a wrongly made device is reaped

# usage_error DESC ARGS... - vstackctl ARGS exits 2 with one line on stderr
usage_error() {
	local desc=$1 rc=0
	shift
	vctl "$@" >/dev/null 2>"$T/usage.err" || rc=$?
	assert_eq "$rc" 2 "$desc: exit status of 'vstackctl $*'"
	assert_eq "$(grep -c . "$T/usage.err")" 1 "$desc: lines on stderr"
	log "$desc: ok: $(<"$T/usage.err")"
}
want() { printf '%s\n' "$@" | sort | tr '\n' ' '; }
ep_names() { vctl_json endpoint list | jq_py '[e["name"] for e in d["endpoints"]]' | sort | tr '\n' ' '; }
write_conf() { # DB_MTU [EXTRA LINE]...
	local mtu=$1
	shift
	{
		printf '[daemon]\nworkers = 1\napp-socket = %s\n\n' "$T/app.sock"
		printf '[tenant gold]\nweight = 200\n\n'
		printf '[endpoint web]\ntenant = gold\naddress = 10.77.0.10/24\ngateway = 10.77.0.1\n\n'
		printf '[endpoint db]\nnetwork = back\naddress = 10.77.1.10/24\nmtu = %s\n\n' "$mtu"
		printf '%s\n' "$@"
	} >"$CONF"
}

write_conf 9000
VSTACK_APP_SOCKET_FROM_CONFIG=1 start_vstackd --config "$CONF"
assert_eq "$(ep_names)" "$(want web db)" "endpoints from the config file"
assert_eq "$(ep_field web tenant)/$(ep_field web gateway)" "gold/10.77.0.1" "web from its section"
assert_eq "$(ep_field db network)/$(ep_field db mtu)" "back/9000" "db from its section"

# --- mistakes ---------------------------------------------------------------
usage_error "no address" endpoint add e1
usage_error "IPv6 address" endpoint add e1 --address fd00:77::1/64
grep -q "endpoints are IPv4 for now" "$T/usage.err" ||
	fail "IPv6 refused without saying why: $(<"$T/usage.err")"
usage_error "gateway outside the prefix" endpoint add e1 --address 10.77.2.1/24 --gateway 10.77.3.1
usage_error "MTU too large" endpoint add e1 --address 10.77.2.1/24 --mtu 65536
usage_error "multicast MAC" endpoint add e1 --address 10.77.2.1/24 --mac 01:00:5e:00:00:01
usage_error "name too long" endpoint add sixteen-chars-xx --address 10.77.2.1/24
usage_error "a port's option" endpoint add e1 --address 10.77.2.1/24 --netns x
usage_error "two addresses" endpoint add e1 --address 10.77.2.1/24 --address 10.77.2.2/24
usage_error "two names" endpoint del a b
usage_error "argument to list" endpoint list x
usage_error "empty socket path" --socket '' endpoint list
expect_ctl_error "unknown tenant" endpoint add e1 --tenant nosuch --address 10.77.2.1/24
expect_ctl_error "name taken" endpoint add web --address 10.77.2.1/24
expect_ctl_error "unknown endpoint" endpoint del nosuch

# --- add, list, JSON --------------------------------------------------------
vctl tenant add silver
vctl endpoint add app1 --tenant silver --network blue --address 10.77.4.10/24 \
	--gateway 10.77.4.1 --mac 02:00:00:77:04:0a
vctl endpoint add app2 --address 10.77.5.10/16 --mtu 1400
vctl endpoint add "$EP" --address 10.77.6.10/24
[[ -f $VSTACK_STATE/endpoints/app1.json ]] || fail "no record for app1: $(ls -R "$VSTACK_STATE")"
j=$(vctl_json endpoint list)
keys="['name','network','tenant','tenant_id','address','gateway','mac','mtu','state','port','worker','tcp_conns','tcp_listen','udp_socks','apps','rx_frames','tx_frames','drops','stats']"
assert_eq "$(jq_py "all(sorted(e.keys()) == sorted($keys) for e in d['endpoints'])" <<<"$j")" true "endpoint list keys: $j"
# named counters, all zero on a new endpoint
assert_eq "$(jq_py "all({'syncookie_sent','conn_limit','tcp_rtos','tcp_tlp_probes'} <= set(e['stats']) and not any(e['stats'].values()) for e in d['endpoints'])" <<<"$j")" true "endpoint stats: $j"
assert_eq "$(jq_py "all(e['state'] == 'up' for e in d['endpoints'])" <<<"$j")" true "every endpoint up: $j"
assert_eq "$(ep_field app1 tenant) $(ep_field app1 network) $(ep_field app1 address) $(ep_field app1 gateway) $(ep_field app1 mac)" \
	"silver blue 10.77.4.10/24 10.77.4.1 02:00:00:77:04:0a" "app1 as added"
assert_eq "$(ep_field app2 tenant) $(ep_field app2 network) $(ep_field app2 mtu) '$(ep_field app2 gateway)'" \
	"default default 1400 ''" "app2 with the defaults"
assert_eq "$(ep_field web mtu)" 1500 "the default MTU"
MAC2=$(ep_field app2 mac)
assert_match "$MAC2" '^[0-9a-f]{2}(:[0-9a-f]{2}){5}$' "app2's MAC"
MACW=$(ep_field web mac)
tab=$(vctl endpoint list)
assert_match "$(head -n1 <<<"$tab")" '^NAME +NETWORK +TENANT +ADDRESS +GATEWAY +MAC +WORKER +CONNS +APPS$' "endpoint list header"
assert_eq "$(grep -c . <<<"$tab")" 6 "endpoint list rows: $tab"

assert_eq "$(tenant_field silver endpoints)" 1 \
	"tenant list counts silver's endpoint"
expect_ctl_error "tenant with an endpoint" tenant del silver
grep -q "still has 1 endpoint" "$T/ctl.err" || fail "tenant del silver: $(<"$T/ctl.err")"

# Ports and endpoints share one name space.
vctl port add "$PX" --network blue
expect_ctl_error "endpoint named like a port" endpoint add "$PX" --address 10.77.7.1/24
expect_ctl_error "port named like an endpoint" port add "$EP"
! link_exists "$EP" || fail "a device $EP was made for a refused port add"
# One address, one endpoint per network: a second would answer ARP for it
# too. In another network the address is free.
expect_ctl_error "an address another endpoint of the network has" endpoint add dup --address 10.77.6.10/16
assert_contains "$(<"$T/ctl.err")" "endpoint '$EP' has address 10.77.6.10 in network 'default'" \
	"endpoint add with a taken address"
vctl endpoint add dup --network blue --address 10.77.6.10/24
vctl endpoint del dup
# A network's tenants are its ports' and its endpoints'.
assert_eq "$(vctl_json network list | jq_py "sorted([n['tenants'] for n in d['networks'] if n['name'] == 'blue'][0])" | tr '\n' ' ')" \
	"default silver " "tenants of network blue"
vctl port del "$PX"

j=$(vctl_json stats --tenant silver)
assert_eq "$(jq_py "[e['name'] for e in d['endpoints']]" <<<"$j")" app1 "stats --tenant silver: its endpoints"
assert_eq "$(jq_py "all(set(['name','network','tenant','rx_frames','tx_frames','drops']) <= set(e) for e in d['endpoints'])" <<<"$j")" \
	true "stats endpoint keys: $j"
vctl stats | grep -q '^ENDPOINT ' || fail "no endpoint table in stats"
expect_ctl_error "stats --port of an endpoint" stats --port app1
grep -q "is an endpoint, not a port" "$T/ctl.err" || fail "stats --port app1: $(<"$T/ctl.err")"

# --- restart ----------------------------------------------------------------
stop_vstackd
write_conf 8000 # db changed while vstackd was down
echo '{"name":"bad","address":"fd00::1/64","version":1,"origin":"vstackctl"}' \
	>"$VSTACK_STATE/endpoints/bad.json"
VSTACK_APP_SOCKET_FROM_CONFIG=1 start_vstackd --config "$CONF"
assert_eq "$(ep_names)" "$(want web db app1 app2 "$EP")" "endpoints after a restart"
assert_eq "$(ep_field app2 mac) $(ep_field app2 mtu)" "$MAC2 1400" "app2 keeps its MAC and MTU"
assert_eq "$(ep_field web mac)" "$MACW" "web keeps its MAC"
assert_eq "$(ep_field app1 tenant) $(ep_field app1 mac)" "silver 02:00:00:77:04:0a" "app1 after a restart"
assert_eq "$(ep_field db mtu)" 8000 "db's section changed while vstackd was down"
grep -q "endpoints/bad.json: invalid address 'fd00::1/64': endpoints are IPv4 for now; record ignored" "$VSTACKD_LOG" ||
	fail "damaged record not reported: $(grep bad.json "$VSTACKD_LOG" || true)"
rm -f "$VSTACK_STATE/endpoints/bad.json"

# --- reload -----------------------------------------------------------------
# web and gold unchanged, db changed, api added, app-socket changed.
PORT_WEB=$(ep_field web port)
write_conf 8000 "[endpoint api]" "tenant = gold" "address = 10.77.0.11/24"
sed -i 's/^mtu = 8000/mtu = 7000/; s|^app-socket = .*|app-socket = '"$T"'/app2.sock|' "$CONF"
out=$(vctl reload)
assert_eq "$out" "reloaded: 1 added, 1 changed, 0 removed, 2 unchanged" "reload summary"
assert_eq "$(ep_field web port)" "$PORT_WEB" "unchanged web not touched by reload"
assert_eq "$(ep_field db mtu)" 7000 "db changed by reload"
assert_eq "$(ep_field api tenant)" gold "api added by reload"
grep -q "app-socket changed; it takes effect when vstackd is restarted" "$VSTACKD_LOG" ||
	fail "no word about [daemon] app-socket changing"

# A port and an endpoint of the same name: refused, nothing changes.
cp "$CONF" "$T/good.conf"
printf '[port api]\n' >>"$CONF"
expect_ctl_error "reload with a name given twice" reload
grep -q "duplicate section \[endpoint api\]" "$T/ctl.err" || fail "reload: $(<"$T/ctl.err")"
cp "$T/good.conf" "$CONF"
# A changed endpoint whose tenant does not exist: kept as it runs.
sed -i '/^\[endpoint api\]/,/^$/s/^tenant = gold$/tenant = golf/' "$CONF"
expect_ctl_error "reload of an endpoint moved to a missing tenant" reload
assert_eq "$(ep_field api tenant)" gold "api after a reload that could not change it"
grep -q "endpoint api: tenant 'golf' not found (the endpoint is kept as it was)" "$T/ctl.err" ||
	fail "reload: $(<"$T/ctl.err")"
cp "$T/good.conf" "$CONF"
# A changed endpoint given another endpoint's address: kept as it runs.
sed -i '/^\[endpoint api\]/,/^$/s/^address = 10.77.0.11\/24$/address = 10.77.0.10\/24/' "$CONF"
expect_ctl_error "reload of an endpoint moved to a taken address" reload
assert_eq "$(ep_field api address)" 10.77.0.11/24 "api after a reload that could not give it web's address"
grep -q "endpoint api: endpoint 'web' has address 10.77.0.10 in network 'default' (the endpoint is kept as it was)" "$T/ctl.err" ||
	fail "reload: $(<"$T/ctl.err")"
cp "$T/good.conf" "$CONF"

# SIGHUP: db and api gone.
write_conf 7000
sed -i '/^\[endpoint db\]/,$d' "$CONF"
kill -HUP "$VSTACKD_PID"
gone() { [[ $(ep_names) == "$(want web app1 app2 "$EP")" ]]; }
wait_until 10 gone || fail "db and api still there 10 s after SIGHUP: $(ep_names)"
[[ ! -e $VSTACK_STATE/endpoints/db.json && ! -e $VSTACK_STATE/endpoints/api.json ]] ||
	fail "records of removed sections left: $(ls "$VSTACK_STATE/endpoints")"

# A tenant whose section leaves the file while a vstackctl endpoint uses
# it stays, as if vstackctl had added it: after a restart too.
printf '[tenant copper]\nweight = 30\n' >>"$CONF"
assert_eq "$(vctl reload)" "reloaded: 1 added, 0 changed, 0 removed, 2 unchanged" "copper's section added"
vctl endpoint add cu1 --tenant copper --address 10.77.8.10/24
sed -i '/^\[tenant copper\]/,$d' "$CONF"
assert_eq "$(vctl reload)" "reloaded: 0 added, 0 changed, 0 removed, 2 unchanged" "copper's section removed"
assert_eq "$(tenant_field copper weight)" 30 "copper stays while cu1 uses it"
stop_vstackd
VSTACK_APP_SOCKET_FROM_CONFIG=1 start_vstackd --config "$CONF"
assert_eq "$(tenant_field copper weight)" 30 "copper after a restart"
assert_eq "$(ep_names)" "$(want web app1 app2 "$EP" cu1)" "endpoints after a restart, cu1 among them"
# The same with the section removed while vstackd is down.
cp "$CONF" "$T/good.conf"
printf '[tenant copper]\nweight = 40\n' >>"$CONF"
assert_eq "$(vctl reload)" "reloaded: 0 added, 1 changed, 0 removed, 2 unchanged" "copper's section back"
stop_vstackd
cp "$T/good.conf" "$CONF"
VSTACK_APP_SOCKET_FROM_CONFIG=1 start_vstackd --config "$CONF"
assert_eq "$(tenant_field copper weight)" 40 "copper after its section left while vstackd was down"
assert_eq "$(ep_names)" "$(want web app1 app2 "$EP" cu1)" "endpoints after copper's section left while down"
vctl endpoint del cu1
# And with an [endpoint] section the only one to use it.
printf '[tenant copper]\nweight = 50\n[endpoint cu2]\ntenant = copper\naddress = 10.77.9.10/24\n' >>"$CONF"
assert_eq "$(vctl reload)" "reloaded: 1 added, 1 changed, 0 removed, 2 unchanged" "copper's section and cu2's"
stop_vstackd
sed -i '/^\[tenant copper\]/,/^weight = 50/d' "$CONF"
VSTACK_APP_SOCKET_FROM_CONFIG=1 start_vstackd --config "$CONF"
assert_eq "$(tenant_field copper weight)" 50 "copper, used by cu2's section, after its own section left"
assert_eq "$(ep_field cu2 tenant)" copper "cu2 after copper's section left while down"
cp "$T/good.conf" "$CONF"
assert_eq "$(vctl reload)" "reloaded: 0 added, 0 changed, 1 removed, 2 unchanged" "cu2's section removed"
vctl tenant del copper

# --- delete -----------------------------------------------------------------
vctl endpoint del app1
vctl tenant del silver
[[ ! -e $VSTACK_STATE/endpoints/app1.json ]] || fail "app1's record left after endpoint del"
vctl endpoint del app2
vctl endpoint del "$EP"
assert_eq "$(ep_names)" "$(want web)" "endpoints after deleting"
stop_vstackd
