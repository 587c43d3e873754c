#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# preload_programs - unmodified Debian programs on the shared stack through
# LD_PRELOAD=libvstack-preload.so.
#
# Servers run in tenant ts (endpoint es, 10.84.0.1), clients in tenant tc
# (endpoint ec, 10.84.0.2), each in its own cgroup; a kernel peer in its own
# namespace sits behind a TAP port (10.84.0.9). Every program is the one
# Debian ships, unchanged:
#   - iperf3 TCP and UDP both ways (-R too): shim server with a shim client
#     and a kernel client; shim client against a kernel server (the UDP
#     server connects its socket to the client and binds another to the
#     same port: SO_REUSEADDR port sharing in the stack);
#   - sockperf ping-pong and throughput, TCP and UDP, shim server with both
#     kinds of client, shim client against a kernel server;
#   - curl against nginx (epoll, edge-triggered, sendfile) on the shim from
#     both kinds of client, and a shim curl against python3 -m http.server
#     in the kernel peer; a shim http.server (threads, blocking calls)
#     fetched by a kernel curl; SHA-256 of every download checked;
#   - redis-server (epoll) on the shim: redis-benchmark from both kinds of
#     client, and a 1 MB value written by one side and read by the other,
#     SHA-256 checked.
# Figures are logged, never judged.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_cmd iperf3 sockperf curl nginx redis-server redis-benchmark redis-cli sha256sum
require_preload --instrumented

start_vstackd --workers 2
mk_tenant ts es 10.84.0.1/24
CS=$CGROUP_DIR
mk_tenant tc ec 10.84.0.2/24
CC=$CGROUP_DIR
mk_kernel_peer k 10.84.0.9/24
K=$KPEER
ping_ok "$K" 10.84.0.1 || fail "the kernel peer cannot reach endpoint es"
SA=10.84.0.1 KA=10.84.0.9

# shim_server NAME CMD... - start a server in tenant ts, log in $T/NAME.log
shim_server() {
	local name=$1
	shift
	in_tenant "$CS" "$@" >"$T/$name.log" 2>&1 &
}

# client KIND SECONDS CMD... - run a client in tenant tc through the shim
# (KIND shim) or in the kernel peer's namespace (KIND kernel), bounded.
client() {
	local kind=$1 secs=$2
	shift 2
	if [[ $kind == shim ]]; then
		run_to "$secs" bash -c 'in_cgroup "$@"' _ "$CC" env "${PRELOAD_ENV[@]}" "$@"
	else
		nsx_to "$secs" "$K" "$@"
	fi
}

# iperf_check OUT WHAT - an iperf3 -J result moved bytes
iperf_check() {
	local bytes
	bytes=$(jq_py 'd["end"]["sum_received"]["bytes"] if "sum_received" in d["end"] else d["end"]["sum"]["bytes"]' <<<"$1") ||
		fail "$2: no iperf3 result: $(head -c 400 <<<"$1")"
	assert_ge "${bytes%.*}" 1 "$2: bytes received"
	log "$2: $(jq_py 'round(d["end"]["sum_received"]["bits_per_second"] / 1e9, 2) if "sum_received" in d["end"] else round(d["end"]["sum"]["bits_per_second"] / 1e9, 2)' <<<"$1") Gbit/s"
}

# --- iperf3 ------------------------------------------------------------------
shim_server iperf-s iperf3 -s -4 -B "$SA" -p 5201
wait_ep es tcp_listen -ge 1
for kind in shim kernel; do
	for dir in "" -R; do
		out=$(client "$kind" 60 iperf3 -c "$SA" -p 5201 -t 2 -J $dir) ||
			fail "iperf3 $kind client $dir against the shim server: $(tail -c 600 <<<"$out")"
		iperf_check "$out" "iperf3 TCP $kind client${dir:+ $dir} -> shim server"
	done
done
nsx "$K" iperf3 -s -p 5202 >"$T/iperf-k.log" 2>&1 &
wait_listen "$K" tcp 5202
for dir in "" -R; do
	out=$(client shim 60 iperf3 -c "$KA" -p 5202 -t 2 -J $dir) ||
		fail "iperf3 shim client $dir against a kernel server: $(tail -c 600 <<<"$out")"
	iperf_check "$out" "iperf3 TCP shim client${dir:+ $dir} -> kernel server"
done
out=$(client shim 60 iperf3 -c "$KA" -p 5202 -t 2 -u -b 50M -J) ||
	fail "iperf3 UDP shim client against a kernel server: $(tail -c 600 <<<"$out")"
iperf_check "$out" "iperf3 UDP shim client -> kernel server"
for kind in shim kernel; do
	for dir in "" -R; do
		out=$(client "$kind" 60 iperf3 -c "$SA" -p 5201 -t 2 -u -b 50M -J $dir) ||
			fail "iperf3 UDP $kind client $dir against the shim server: $(tail -c 600 <<<"$out")"
		iperf_check "$out" "iperf3 UDP $kind client${dir:+ $dir} -> shim server"
	done
done

# --- sockperf ----------------------------------------------------------------
shim_server sockperf-tcp sockperf sr --tcp -i "$SA" -p 11111
shim_server sockperf-udp sockperf sr -i "$SA" -p 11112
wait_ep es tcp_listen -ge 2
sockperf_check() { # OUT WHAT
	if [[ $1 != *Summary:* ]]; then
		# keep what explains it: per-message times are in $T/pp-*.csv
		vctl_json endpoint list >"$T/endpoints.json" 2>&1 || true
		vctl_json stats >"$T/stats.json" 2>&1 || true
		fail "$2 prints no summary: $(grep -E 'RunTime|observations|Messages' <<<"$1" | tr '\n' ' ')"
	fi
	log "$2: $(grep -m1 -E 'Summary: (Latency|Message Rate)' <<<"$1" || true)"
}
for kind in shim kernel; do
	for proto in --tcp ""; do
		port=11111
		[[ -z $proto ]] && port=11112
		out=$(client "$kind" 60 sockperf pp $proto -i "$SA" -p $port -t 2 \
			--full-log "$T/pp-$kind-$port.csv" 2>&1) ||
			fail "sockperf ping-pong ${proto:-udp} $kind client: $(tail -n 5 <<<"$out")"
		sockperf_check "$out" "sockperf ping-pong ${proto:---udp} $kind client -> shim server"
		out=$(client "$kind" 60 sockperf tp $proto -i "$SA" -p $port -t 2 2>&1) ||
			fail "sockperf throughput ${proto:-udp} $kind client: $(tail -n 5 <<<"$out")"
		sockperf_check "$out" "sockperf throughput ${proto:---udp} $kind client -> shim server"
	done
done
nsx "$K" sockperf sr --tcp -p 11113 >"$T/sockperf-k.log" 2>&1 &
wait_listen "$K" tcp 11113
out=$(client shim 60 sockperf pp --tcp -i "$KA" -p 11113 -t 2 2>&1) ||
	fail "sockperf shim client against a kernel server: $(tail -n 5 <<<"$out")"
sockperf_check "$out" "sockperf ping-pong --tcp shim client -> kernel server"

# --- curl, nginx, http.server -------------------------------------------------
mkdir -p "$T/www"
head -c $((8 << 20)) /dev/urandom >"$T/www/big.bin"
want=$(sha256sum <"$T/www/big.bin")
nginx_conf "$T/nginx" "$SA:8080" "$T/www" "sendfile on; tcp_nopush on; keepalive_timeout 5;"
shim_server nginx nginx -c "$T/nginx/nginx.conf"
wait_ep es tcp_listen -ge 3
fetch_check() { # KIND URL WHAT
	rm -f "$T/got.bin"
	client "$1" 60 curl -sS --max-time 50 -o "$T/got.bin" "$2" ||
		fail "$3: curl failed (nginx log: $(tail -n 3 "$T/nginx/error.log" 2>&1))"
	assert_eq "$(sha256sum <"$T/got.bin")" "$want" "$3: SHA-256 of 8 MiB"
	log "$3: 8 MiB, SHA-256 matches"
}
for kind in shim kernel; do
	fetch_check "$kind" "http://$SA:8080/big.bin" "curl ($kind) <- nginx on the shim"
	for i in 1 2 3; do
		code=$(client "$kind" 30 curl -sS -o /dev/null -o /dev/null -w "%{http_code}" \
			"http://$SA:8080/big.bin" "http://$SA:8080/missing" | tr -d '\n') ||
			fail "curl ($kind): two requests on one connection"
		assert_eq "$code" "200404" "curl ($kind) keep-alive request pair $i"
	done
done
(cd "$T/www" && exec ip netns exec "$K" "$PY" -m http.server 8081 --bind "$KA") >"$T/http-k.log" 2>&1 &
wait_listen "$K" tcp 8081
fetch_check shim "http://$KA:8081/big.bin" "curl (shim) <- python3 http.server in the kernel"
(cd "$T/www" && exec bash -c 'in_cgroup "$@"' _ "$CS" env "${PRELOAD_ENV[@]}" \
	"$PY" -m http.server 8082 --bind "$SA") >"$T/http-s.log" 2>&1 &
wait_ep es tcp_listen -ge 4
fetch_check kernel "http://$SA:8082/big.bin" "curl (kernel) <- python3 http.server on the shim"
fetch_check shim "http://$SA:8082/big.bin" "curl (shim) <- python3 http.server on the shim"

# --- redis ---------------------------------------------------------------------
mkdir -p "$T/redis"
shim_server redis redis-server --bind "$SA" --port 6380 --protected-mode no \
	--save '' --appendonly no --daemonize no --dir "$T/redis"
wait_ep es tcp_listen -ge 5
for kind in shim kernel; do
	out=$(client "$kind" 120 redis-benchmark -h "$SA" -p 6380 -n 20000 -c 20 \
		-t set,get,incr,lpush,lpop -q 2>&1) ||
		fail "redis-benchmark ($kind): $(tail -c 400 <<<"$out")"
	out=$(tr '\r' '\n' <<<"$out" | grep 'requests per second' || true)
	[[ $(grep -c 'requests per second' <<<"$out") == 5 ]] ||
		fail "redis-benchmark ($kind): not every test finished: $out"
	log "redis-benchmark ($kind client): $(tr '\n' ';' <<<"$out")"
done
head -c $((768 << 10)) /dev/urandom | base64 -w0 >"$T/redis/value"
val_sum=$(sha256sum <"$T/redis/value")
# The kernel writes, the shim reads; then the other way round.
client kernel 30 redis-cli -h "$SA" -p 6380 -x set k1 <"$T/redis/value" >/dev/null
got=$(client shim 30 redis-cli -h "$SA" -p 6380 --raw get k1 | head -c -1 | sha256sum)
assert_eq "$got" "$val_sum" "redis: 1 MB value written by the kernel, read through the shim"
client shim 30 redis-cli -h "$SA" -p 6380 -x set k2 <"$T/redis/value" >/dev/null
got=$(client kernel 30 redis-cli -h "$SA" -p 6380 --raw get k2 | head -c -1 | sha256sum)
assert_eq "$got" "$val_sum" "redis: 1 MB value written through the shim, read by the kernel"
got=$(client shim 30 redis-cli -h "$SA" -p 6380 dbsize)
assert_eq "$got" "$(client kernel 30 redis-cli -h "$SA" -p 6380 dbsize)" "redis dbsize seen by both"
log "redis: values of $(stat -c %s "$T/redis/value") bytes, SHA-256 match both ways"

grep -i 'libvstack-preload\|AddressSanitizer\|runtime error' "$T"/*.log && fail "a server reported a shim problem"
stop_vstackd
