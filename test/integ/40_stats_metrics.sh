#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# stats_metrics - statistics an operator can use. Four ports in two
# networks and two tenants carry traffic; then:
#  - stats --json: every port, network and tenant with packets, bytes and
#    drops by reason; tenant sums, network sums and totals equal the sums
#    of their ports exactly; worker CPU time and CPU %;
#  - stats --watch --count 2 --interval 1: two blocks about a second apart
#    with packets/s and bits/s (plain text when not a terminal, redrawn
#    with ANSI home/clear on a terminal, JSON lines with --json); ends with
#    exit 0 on SIGINT, and with exit 1 and one line when vstackd goes away;
#  - stats --prometheus and an HTTP scrape of --metrics: well-formed text
#    format (test/lib/promcheck.py), counters equal to --json;
#  - the HTTP endpoint: HEAD, 404, 405, an oversized request (431), and
#    slow clients holding every connection while vstackctl still gets its
#    answers at once, until their deadline closes them (408);
#  - [daemon] metrics in a config file, on IPv6 where the host has it, and
#    bad --metrics values refused at start.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_cmd ping

# free_port - a TCP port nobody listens on in the root namespace.
free_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 20000))
		[[ -z $(ss -Hltn "sport = :$p") ]] && { echo "$p"; return 0; }
	done
	fail "no free TCP port found"
}
listening() { [[ -n $(ss -Hltn "sport = :$1") ]]; }
probe() { run_to 40 "$PY" "$LIB/httpprobe.py" "$@"; }
check_prom() { # FILE STATS.json
	"$PY" "$LIB/promcheck.py" "$1" --json "$2" --require-workers 2 ||
		fail "exposition $1 malformed or unequal to $2: $(head -c 600 "$1")"
}

MPORT=$(free_port)
URL=http://127.0.0.1:$MPORT/metrics
start_vstackd --workers 2 --metrics "127.0.0.1:$MPORT"
vctl tenant add ta
vctl tenant add tb

declare -A NS DEV
for id in a b c d; do
	NS[$id]=$(mk_ns "$id" --no-ipv6)
	DEV[$id]=$(ifname "$id")
done
vctl port add "${DEV[a]}" --tenant ta --network n1 --netns "${NS[a]}" --address 10.74.0.1/24
vctl port add "${DEV[b]}" --tenant tb --network n1 --netns "${NS[b]}" --address 10.74.0.2/24
vctl port add "${DEV[c]}" --tenant ta --network n2 --netns "${NS[c]}" --address 10.74.1.1/24
vctl port add "${DEV[d]}" --tenant tb --network n2 --netns "${NS[d]}" --address 10.74.1.2/24
ping_ok "${NS[a]}" 10.74.0.2 || fail "ping a -> b"
ping_ok "${NS[c]}" 10.74.1.2 || fail "ping c -> d"
udp_exchange "${NS[a]}" "${NS[b]}" 10.74.0.2 7401 300 1000
udp_exchange "${NS[d]}" "${NS[c]}" 10.74.1.1 7402 100 200

# Idle (no IPv6, nothing sends): two snapshots in a row agree.
traffic_sig() {
	vctl_json stats | jq_py "[(p['name'], p['rx_packets'], p['tx_packets']) for p in d['ports']]"
}
settled() { [[ $(traffic_sig) == "$(traffic_sig)" ]]; }
wait_until 10 settled || fail "traffic does not stop"

# --- stats --json: complete and consistent ---------------------------------
vctl_json stats >"$T/stats.json"
"$PY" - "$T/stats.json" "${DEV[a]}" "${DEV[b]}" "${DEV[c]}" "${DEV[d]}" <<'PY' || fail "stats --json inconsistent (see above)"
import json, sys
st = json.load(open(sys.argv[1]))
pa, pb, pc, pd = sys.argv[2:6]
errs = []
K = ("rx_packets", "rx_bytes", "tx_packets", "tx_bytes", "drops_total")
ports = {p["name"]: p for p in st["ports"]}
if set(ports) != {pa, pb, pc, pd}:
    errs.append(f"ports {sorted(ports)}")
reasons = set(st["ports"][0]["drops"])
if not {"short", "mtu", "no_buffer", "tx_error"} <= reasons:
    errs.append(f"drop reasons {sorted(reasons)}")
def check(obj, members, what):
    for k in K:
        want = sum(m[k] for m in members)
        if obj[k] != want:
            errs.append(f"{what}: {k} {obj[k]} != sum of ports {want}")
    for r in reasons:
        want = sum(m["drops"][r] for m in members)
        if obj["drops"].get(r) != want:
            errs.append(f"{what}: drops.{r} {obj['drops'].get(r)} != {want}")
    if "ports" in obj and obj["ports"] != len(members):
        errs.append(f"{what}: ports {obj['ports']} != {len(members)}")
for o in st["ports"] + st["tenants"] + st["networks"] + [st["totals"]]:
    if set(o["drops"]) != reasons or sum(o["drops"].values()) != o["drops_total"]:
        errs.append(f"{o.get('name')}: drops {o['drops']} vs drops_total {o['drops_total']}")
tenants = {t["name"]: t for t in st["tenants"]}
for t in ("ta", "tb", "default"):
    if t not in tenants:
        errs.append(f"tenant {t} missing")
        continue
    check(tenants[t], [p for p in st["ports"] if p["tenant"] == t], f"tenant {t}")
nets = {n["name"]: n for n in st["networks"]}
for n in ("n1", "n2"):
    if n not in nets:
        errs.append(f"network {n} missing")
        continue
    check(nets[n], [p for p in st["ports"] if p["network"] == n], f"network {n}")
check(st["totals"], st["ports"], "totals")
# What was sent is counted: 300 x 1000-byte datagrams a -> b.
if ports[pa]["rx_packets"] < 300 or ports[pa]["rx_bytes"] < 300 * 1000:
    errs.append(f"{pa}: rx {ports[pa]['rx_packets']} packets / {ports[pa]['rx_bytes']} bytes")
if ports[pb]["tx_bytes"] < 300 * 1000 or ports[pc]["tx_packets"] < 100:
    errs.append(f"{pb}/{pc}: tx too small")
if nets["n1"]["rx_bytes"] <= nets["n2"]["rx_bytes"]:
    errs.append("network n1 should have carried more bytes than n2")
ws = st["workers"]
if len(ws) != 2:
    errs.append(f"{len(ws)} workers")
for w in ws:
    if not isinstance(w.get("cpu_ns"), int) or w["cpu_ns"] <= 0:
        errs.append(f"worker {w.get('id')}: cpu_ns {w.get('cpu_ns')}")
    if not isinstance(w.get("cpu_percent"), (int, float)) or not 0 <= w["cpu_percent"] <= 100.5:
        errs.append(f"worker {w.get('id')}: cpu_percent {w.get('cpu_percent')}")
if sum(w["frames"] for w in ws) < 400:
    errs.append("workers handled fewer frames than were sent")
if not st.get("uptime_ns", 0) > 0:
    errs.append("uptime_ns")
for e in errs:
    print("stats --json:", e, file=sys.stderr)
sys.exit(1 if errs else 0)
PY
log "stats --json: ports, networks, tenants and totals agree"

# Filters: the sums of one tenant.
n=$(vctl_json stats --tenant ta | jq_py "sorted(p['name'] for p in d['ports'])" | tr '\n' ' ')
assert_eq "$n" "$(printf '%s\n' "${DEV[a]}" "${DEV[c]}" | sort | tr '\n' ' ')" "ports of stats --tenant ta"
# --tenant without a name is the tenants' work, with --watch too, and
# also when an option follows it (not a tenant named "--watch").
for args in "--watch --count 1 --tenant" "--tenant --watch --count 1"; do
	# shellcheck disable=SC2086 # the options are words on purpose
	vctl stats $args >"$T/tw.txt" 2>"$T/tw.err" ||
		fail "stats $args failed: $(cat "$T/tw.err")"
	grep -q SHARE "$T/tw.txt" && ! grep -q '^PORT' "$T/tw.txt" ||
		fail "stats $args is not the tenants' work: $(cat "$T/tw.txt")"
done

# The table shows every section, networks with their traffic.
vctl stats >"$T/stats.txt"
for h in PORT TENANT NETWORK WORKER TOTAL 'CPU%'; do
	grep -q "$h" "$T/stats.txt" || fail "stats table lacks $h: $(cat "$T/stats.txt")"
done
grep -qE '^n1 +[0-9]+ +[0-9]+' "$T/stats.txt" || fail "no traffic row for network n1: $(cat "$T/stats.txt")"

# CPU %: a busy worker shows it. Flood a -> b for a few seconds.
nsx_to 20 "${NS[a]}" ping -f -w 4 -q 10.74.0.2 >/dev/null 2>&1 &
FLOOD=$!
sleep 2.5
busy=$(vctl_json stats | jq_py "max(w['cpu_percent'] for w in d['workers'])")
wait "$FLOOD" || true
"$PY" -c "import sys; sys.exit(0 if float(sys.argv[1]) > 0.5 else 1)" "$busy" ||
	fail "no worker shows CPU use during a ping flood (max cpu_percent $busy)"
log "CPU use during a flood: $busy %"
wait_until 10 settled || fail "traffic does not stop after the flood"

# --- stats --watch ----------------------------------------------------------
nsx_to 20 "${NS[a]}" ping -n -q -i 0.1 -c 40 10.74.0.2 >/dev/null 2>&1 &
PINGER=$!
sleep 0.5
t0=$(date +%s%N)
vctl stats --watch --count 2 --interval 1 >"$T/watch.txt" 2>"$T/watch.err" ||
	fail "stats --watch --count 2 failed: $(cat "$T/watch.err")"
ms=$((($(date +%s%N) - t0) / 1000000))
wait "$PINGER" || true
((ms >= 900 && ms < 8000)) || fail "stats --watch --count 2 --interval 1 took $ms ms"
assert_eq "$(grep -c '^vstackctl stats: every 1.0 s, sample' "$T/watch.txt")" 2 "watch headers"
grep -q 'sample 2 of 2' "$T/watch.txt" || fail "no second sample: $(cat "$T/watch.txt")"
if grep -q $'\033' "$T/watch.txt"; then fail "escape sequences in --watch output to a file"; fi
# Second block: a's row has a packet rate near 10/s (ping -i 0.1, both
# directions: requests in, replies out) and a bit rate.
row=$(awk -v p="${DEV[a]}" '/sample 2 of 2/ {b = 1} b && $1 == p {print; exit}' "$T/watch.txt")
[[ -n $row ]] || fail "no row for ${DEV[a]} in the second block: $(cat "$T/watch.txt")"
read -r _ rxpps rxbps txpps _ <<<"$row"
"$PY" - "$rxpps" "$rxbps" "$txpps" <<'PY' || fail "rates of ${DEV[a]} in --watch: $row"
import sys
def num(s):
    m = {"k": 1e3, "M": 1e6, "G": 1e9}
    return float(s[:-1]) * m[s[-1]] if s[-1] in m else float(s)
rx, bits, tx = (num(s) for s in sys.argv[1:4])
sys.exit(0 if 4 <= rx <= 25 and 4 <= tx <= 25 and bits >= rx * 64 * 8 * 0.9 else 1)
PY
row1=$(awk -v p="${DEV[a]}" '/sample 1 of 2/ {b = 1} b && $1 == p {print; exit}' "$T/watch.txt")
[[ $(awk '{print $2}' <<<"$row1") == - ]] || fail "first --watch sample shows a rate: $row1"
log "--watch: $row"

# On a terminal: redrawn in place (ANSI home + clear before each frame).
"$PY" - "$VSTACKCTL" "$VSTACK_SOCK" >"$T/watch.tty" <<'PY' || fail "stats --watch on a terminal failed: $(cat -v "$T/watch.tty")"
import os, pty, subprocess, sys
m, s = pty.openpty()
p = subprocess.Popen([sys.argv[1], "--socket", sys.argv[2], "stats", "--watch",
                      "--count", "2", "--interval", "0.5"], stdout=s, stderr=s)
os.close(s)
out = b""
while True:
    try:
        d = os.read(m, 65536)
    except OSError:
        break
    if not d:
        break
    out += d
rc = p.wait(timeout=20)
sys.stdout.write(out.decode(errors="replace"))
sys.exit(rc or (0 if out.count(b"\x1b[H\x1b[2J") == 2 else 3))
PY

# --json: one object a line.
vctl --json stats --watch --count 2 --interval 0.2 >"$T/watch.json"
assert_eq "$(wc -l <"$T/watch.json")" 2 "lines of stats --watch --json"
"$PY" -c 'import json,sys; [json.loads(l)["ports"] for l in open(sys.argv[1])]' "$T/watch.json" ||
	fail "stats --watch --json lines are not stats objects"

# SIGINT ends it at once, cleanly. (Started directly, not under
# timeout(1), so that the signal goes to vstackctl itself; the test's
# watchdog bounds it.)
"$VSTACKCTL" --socket "$VSTACK_SOCK" stats --watch --interval 0.5 >"$T/watch.int" 2>&1 &
W=$!
sleep 1.2
t0=$(date +%s%N)
kill -INT "$W"
rc=0
wait "$W" || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
((rc == 0)) || fail "stats --watch after SIGINT: exit $rc ($(tail -n 3 "$T/watch.int"))"
((ms < 1500)) || fail "stats --watch took $ms ms to end after SIGINT"

# Usage errors.
for bad in "--count 2" "--watch --interval 0" "--watch --interval x" "--watch --count 0" "--prometheus --watch"; do
	rc=0
	# shellcheck disable=SC2086
	vctl stats $bad >/dev/null 2>"$T/usage.err" || rc=$?
	assert_eq "$rc" 2 "exit status of stats $bad"
	assert_eq "$(grep -c . "$T/usage.err")" 1 "error lines of stats $bad"
done

wait_until 10 settled || fail "traffic does not stop after --watch"

# --- Prometheus: vstackctl and HTTP -----------------------------------------
vctl stats --prometheus >"$T/prom.txt"
vctl_json stats >"$T/stats2.json"
check_prom "$T/prom.txt" "$T/stats2.json"
grep -q "^vstack_port_rx_bytes_total{port=\"${DEV[a]}\",network=\"n1\",tenant=\"ta\"} [1-9]" "$T/prom.txt" ||
	fail "no labelled rx_bytes counter for ${DEV[a]}"

out=$(probe get "$URL" --out "$T/scrape.txt")
read -r status ctype clen _ <<<"$out"
assert_eq "$status" 200 "GET /metrics status"
assert_eq "$ctype" "text/plain;version=0.0.4;charset=utf-8" "GET /metrics Content-Type"
assert_eq "$clen" "$(stat -c %s "$T/scrape.txt")" "GET /metrics Content-Length"
check_prom "$T/scrape.txt" "$T/stats2.json"
if command -v curl >/dev/null; then
	run_to 10 curl -sf "$URL" >"$T/curl.txt" || fail "curl $URL failed"
	check_prom "$T/curl.txt" "$T/stats2.json"
fi
log "scrape: $(wc -l <"$T/scrape.txt") lines, equal to --json"

read -r status _ clen _ <<<"$(probe get "$URL" --method HEAD --out "$T/head.txt")"
assert_eq "$status" 200 "HEAD /metrics status"
assert_eq "$(stat -c %s "$T/head.txt")" 0 "HEAD /metrics body size"
assert_ge "$clen" 1000 "HEAD /metrics Content-Length"
read -r status _ _ _ <<<"$(probe get "http://127.0.0.1:$MPORT/")"
assert_eq "$status" 404 "GET /"
read -r status _ _ _ <<<"$(probe get "http://127.0.0.1:$MPORT/metricsx")"
assert_eq "$status" 404 "GET /metricsx"
read -r status _ _ allow <<<"$(probe get "$URL" --method POST)"
assert_eq "$status" 405 "POST /metrics"
assert_eq "$allow" "GET,HEAD" "Allow header of the 405"
read -r status _ _ _ <<<"$(probe get "$URL" --method DELETE)"
assert_eq "$status" 405 "DELETE /metrics"
assert_eq "$(probe big 127.0.0.1 "$MPORT" 65536)" 431 "answer to a 64 KiB request head"
daemon_alive || fail "daemon gone after the oversized request"

# Slow clients take every connection (and one more, which is refused);
# the control socket keeps answering at once, and the deadline frees them.
probe slow 127.0.0.1 "$MPORT" 9 "$T/slow.ready" >"$T/slow.out" 2>&1 &
SLOW=$!
wait_until 10 test -e "$T/slow.ready" || fail "slow clients did not connect: $(cat "$T/slow.out")"
for i in 1 2 3; do
	t0=$(date +%s%N)
	vctl port list >/dev/null || fail "port list while slow HTTP clients hold the endpoint"
	vctl_json stats >/dev/null || fail "stats while slow HTTP clients hold the endpoint"
	ms=$((($(date +%s%N) - t0) / 1000000))
	((ms < 1000)) || fail "vstackctl took $ms ms while slow HTTP clients hold the endpoint"
	sleep 1
done
wait "$SLOW" || fail "slow client probe failed: $(cat "$T/slow.out")"
log "slow clients: $(tr '\n' ' ' <"$T/slow.out")"
busy=$(grep -c '^503 ' "$T/slow.out" || true)
assert_eq "$busy" 1 "connections refused with 503 beyond the limit"
while read -r st secs; do
	[[ $st == 503 ]] && continue
	[[ $st == 408 || $st == none ]] || fail "slow client ended with '$st' after $secs s"
	"$PY" -c "import sys; sys.exit(0 if 4 <= float(sys.argv[1]) <= 9 else 1)" "$secs" ||
		fail "slow client closed after $secs s (read timeout is 5 s)"
done <"$T/slow.out"
read -r status _ _ _ <<<"$(probe get "$URL" --out "$T/scrape2.txt")"
assert_eq "$status" 200 "GET /metrics after the slow clients"

# The daemon going away ends --watch with exit 1 and one line.
"$VSTACKCTL" --socket "$VSTACK_SOCK" stats --watch --interval 0.5 >"$T/watch.gone" 2>"$T/watch.gone.err" &
W=$!
sleep 1.2
stop_vstackd
rc=0
wait "$W" || rc=$?
assert_eq "$rc" 1 "stats --watch exit status when vstackd goes away"
assert_eq "$(grep -c . "$T/watch.gone.err")" 1 "error lines of stats --watch when vstackd goes away"
log "--watch without a daemon: $(cat "$T/watch.gone.err")"

# --- the config file, IPv6, bad addresses -----------------------------------
MPORT2=$(free_port)
if [[ -e /proc/sys/net/ipv6 ]] && ip -6 addr show dev lo 2>/dev/null | grep -q '::1/128'; then
	MADDR="[::1]:$MPORT2"
else
	log "no IPv6 loopback: the config file check uses IPv4"
	MADDR="127.0.0.1:$MPORT2"
fi
printf '[daemon]\nmetrics = %s\n' "$MADDR" >"$T/vstackd.ini"
start_vstackd --config "$T/vstackd.ini"
read -r status _ _ _ <<<"$(probe get "http://$MADDR/metrics" --out "$T/scrape6.txt")"
assert_eq "$status" 200 "GET http://$MADDR/metrics (config file)"
"$PY" "$LIB/promcheck.py" "$T/scrape6.txt" >/dev/null || fail "scrape over $MADDR malformed"
stop_vstackd

for bad in 127.0.0.1 localhost:9470 127.0.0.1:0 127.0.0.1:70000 ::1:9470 "[::1]"; do
	rc=0
	run_to 10 "$VSTACKD" --foreground --socket "$T/bad.sock" --metrics "$bad" >/dev/null 2>"$T/bad.err" || rc=$?
	assert_eq "$rc" 2 "vstackd --metrics '$bad' exit status"
	assert_eq "$(grep -c . "$T/bad.err")" 1 "error lines of vstackd --metrics '$bad'"
done
# A port already taken: start-up fails with one line, exit 1.
"$PY" -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(20)' "$MPORT2" &
HOLD=$!
wait_until 10 listening "$MPORT2" || fail "cannot hold port $MPORT2"
rc=0
run_to 10 "$VSTACKD" --foreground --socket "$T/busy.sock" --metrics "127.0.0.1:$MPORT2" >/dev/null 2>"$T/busy.err" || rc=$?
kill "$HOLD" 2>/dev/null || true
wait "$HOLD" 2>/dev/null || true
assert_eq "$rc" 1 "vstackd --metrics on a busy port: exit status"
assert_contains "$(cat "$T/busy.err")" "cannot listen" "vstackd --metrics on a busy port"
assert_eq "$(grep -c . "$T/busy.err")" 1 "error lines of vstackd --metrics on a busy port"

# Tenant figures this vstackctl does not know (the scheduler's, say) are
# shown, not dropped: a stand-in daemon answers stats with extra members.
"$PY" - "$T/fake.sock" <<'PY' &
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen()
s.settimeout(20)
t = {"name": "ta", "ports": 0, "rx_packets": 1, "rx_bytes": 2, "tx_packets": 3,
     "tx_bytes": 4, "drops": {"mtu": 0}, "drops_total": 0,
     "cycles_total": 123456, "share": 0.25, "sched": {"weight": 200}}
res = {"ports": [], "networks": [], "workers": [], "tenants": [t], "uptime_ns": 1,
       "totals": {"ports": 0, "rx_packets": 0, "rx_bytes": 0, "tx_packets": 0,
                  "tx_bytes": 0, "drops": {"mtu": 0}, "drops_total": 0}}
for _ in range(2):
    c, _ = s.accept()
    c.recv(65536)
    c.sendall((json.dumps({"version": 1, "ok": True, "result": res}) + "\n").encode())
    c.close()
PY
FAKE=$!
wait_until 10 test -S "$T/fake.sock" || fail "stand-in daemon did not start"
out=$(run_to 10 "$VSTACKCTL" --socket "$T/fake.sock" stats)
# (share is the scheduler's, shown in the tenants' work table already)
grep -qE '^TENANT +CYCLES-TOTAL +SCHED.WEIGHT *$' <<<"$out" || fail "extra tenant figures not shown: $out"
grep -qE '^ta +123456 +200 *$' <<<"$out" || fail "extra tenant figures wrong: $out"
run_to 10 "$VSTACKCTL" --socket "$T/fake.sock" stats --prometheus >"$T/fake.prom"
wait "$FAKE" || fail "stand-in daemon failed"
"$PY" "$LIB/promcheck.py" "$T/fake.prom" >/dev/null || fail "exposition with extra tenant figures malformed"
for l in '# TYPE vstack_tenant_cycles_total counter' 'vstack_tenant_cycles_total{tenant="ta"} 123456' \
	'# TYPE vstack_tenant_share gauge' 'vstack_tenant_share{tenant="ta"} 0.25' \
	'vstack_tenant_sched_weight{tenant="ta"} 200'; do
	grep -qxF "$l" "$T/fake.prom" || fail "missing from the exposition: $l"
done
