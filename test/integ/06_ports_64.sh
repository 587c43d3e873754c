#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ports_64 - 64 ports at once, one namespace each, all on the default
# network in 10.76.0.0/16: every port reaches the first one and a spread of
# other pairs, port list and fdb show account for all 64, and deleting them
# all (half one by one, half with one port del of 32 names, after one with
# an unknown name among them deleted none) leaves no device, FDB entry or
# state record behind.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_cmd ping

N=64
start_vstackd --workers 2
NS=() DEV=() MAC=()
for ((i = 0; i < N; i++)); do
	NS[i]=$(mk_ns "n$i" --no-ipv6)
	DEV[i]=$(ifname "p$i")
	vctl port add "${DEV[i]}" --netns "${NS[i]}" --address "10.76.$((i / 200)).$((i % 200 + 1))/16"
done
for ((i = 0; i < N; i++)); do
	assert_port_in_ns "${NS[i]}" "${DEV[i]}" "10.76.$((i / 200)).$((i % 200 + 1))/16"
	MAC[i]=$(ns_mac "${NS[i]}" "${DEV[i]}")
done
assert_eq "$(port_names | grep -c -E "^$P")" "$N" "ports in port list"
assert_eq "$(printf '%s\n' "${MAC[@]}" | sort -u | wc -l)" "$N" "distinct MAC addresses"

addr_of() { echo "10.76.$(($1 / 200)).$(($1 % 200 + 1))"; }
failed=()
ping1() { # FROM TO
	nsx_to 10 "${NS[$1]}" ping -n -q -c 1 -W 3 "$(addr_of "$2")" >/dev/null 2>&1 ||
		failed+=("$1->$2")
}
for ((i = 1; i < N; i++)); do ping1 "$i" 0; done
for ((i = 0; i < N; i += 3)); do ping1 "$i" $(((i * 37 + 11) % N)); done
((${#failed[@]} == 0)) || fail "${#failed[@]} pings failed (from->to index): ${failed[*]}"

# Every port has spoken: all 64 MACs learned on their own ports.
vctl_json fdb show --network default >"$T/fdb.json"
for ((i = 0; i < N; i++)); do
	port=$(jq_py "[e['port'] for e in d['entries'] if e['mac'].lower() == '${MAC[i]}']" <"$T/fdb.json")
	assert_eq "$port" "${DEV[i]}" "FDB entry for ${MAC[i]}"
done
assert_eq "$(vctl_json stats | jq_py "len([p for p in d['ports'] if p['name'].startswith('$P')])")" \
	"$N" "ports in stats"

for ((i = 0; i < N / 2; i++)); do vctl port del "${DEV[i]}"; done
expect_ctl_error "port del with an unknown name among many" port del "${DEV[@]:N/2}" "$(ifname nope)" >/dev/null
assert_eq "$(port_names | grep -c -E "^$P" || true)" "$((N / 2))" "ports after a refused port del of many"
vctl port del "${DEV[@]:N/2}"
[[ -z $(ls "$VSTACK_STATE/ports") ]] || fail "state records left: $(ls "$VSTACK_STATE/ports")"
assert_eq "$(port_names | grep -c -E "^$P" || true)" 0 "ports left in port list"
assert_eq "$(vctl_json fdb show | jq_py "len(d['entries'])")" 0 "FDB entries left after deleting every port"
for ((i = 0; i < N; i++)); do
	left=$(ip -n "${NS[i]}" -o link show | awk -F': ' '$2 != "lo" {print $2}')
	[[ -z $left ]] || fail "devices left in ${NS[i]} after port del: $left"
done
left=$(_our_root_links)
[[ -z $left ]] || fail "devices left in the root namespace: $left"
stop_vstackd
