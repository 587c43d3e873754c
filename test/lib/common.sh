# SPDX-License-Identifier: MIT
# test/lib/common.sh - harness for the namespace scenario tests (test/integ)
#
# Theory of operation
#
# Every scenario is one bash script, run by CTest as root, one at a time. It
# sources this file first. Sourcing:
#   - turns on strict mode (errexit, nounset, pipefail) with an ERR trap that
#     names the failing line, so a failed command is a failed test;
#   - checks for root and the built binaries (VSTACK_BUILD, else ./build);
#   - picks a prefix unique to this run, "vst<pid>-", for every namespace and
#     interface the test creates, so a run never touches anything else and a
#     leftover can always be traced to (and reaped from) a dead run;
#   - makes a private temp dir $T for the control socket, logs and captures;
#   - installs one cleanup on EXIT (INT and TERM exit through it): it stops
#     vstackd (SIGTERM, then SIGKILL), kills every process the test started
#     (all descendants of the test shell: iperf3, socat, tcpdump, ...), deletes
#     every namespace with the prefix and every leftover root-namespace
#     device with the prefix, and removes $T. It runs on success and failure.
#   - starts a watchdog that sends SIGTERM to the test after
#     VSTACK_TEST_DEADLINE seconds (default 540, below CTest's 600), so even a
#     wedged test cleans up. Every long command also runs under timeout(1).
#
# Exit codes: 0 pass, 1 fail (fail "why"), 77 skipped (skip "why", CTest's
# SKIP_RETURN_CODE). A missing tool or kernel feature is a skip with the
# reason on stderr, never a silent pass.
#
# Environment:
#   VSTACK_BUILD  build dir (default: $VSTACK_SRC/build)
#   VSTACK_SRC    repo root (default: two levels above this file)
#   VSTACK_WRAP   command prefix for vstackd, e.g. "valgrind --error-exitcode=99"
#   VSTACK_KEEP=1 keep $T (logs, captures) after the run
#   VSTACK_TEST_DEADLINE  seconds before the watchdog stops the test

set -Eeuo pipefail
shopt -s extglob

# --- output and verdicts ----------------------------------------------------

TEST_NAME=$(basename "${BASH_SOURCE[1]:-$0}" .sh)

log() { printf '[%s %(%T)T] %s\n' "$TEST_NAME" -1 "$*" >&2; }

# fail MSG - report MSG and end the test as failed (cleanup runs on exit).
fail() {
	printf '[%s] FAIL: %s\n' "$TEST_NAME" "$*" >&2
	exit 1
}

# skip REASON - end the test as skipped (exit 77) with REASON on stderr.
skip() {
	printf '[%s] SKIP: %s\n' "$TEST_NAME" "$*" >&2
	exit 77
}

_on_err() {
	local rc=$1 line=$2 cmd=$3
	# In a subshell (a background job, a command substitution) the parent
	# sees the status and reports; just pass it on.
	[[ $BASHPID == "$$" ]] || exit "$rc"
	printf '[%s] FAIL: line %s: command failed (status %s): %s\n' \
		"$TEST_NAME" "$line" "$rc" "$cmd" >&2
	exit 1
}
trap '_on_err $? $LINENO "$BASH_COMMAND"' ERR

# --- assertions -------------------------------------------------------------

assert_eq() { # ACTUAL EXPECTED MSG
	[[ $1 == "$2" ]] || fail "$3: got '$1', expected '$2'"
}
assert_ne() { # ACTUAL UNEXPECTED MSG
	[[ $1 != "$2" ]] || fail "$3: got '$1'"
}
assert_ge() { # ACTUAL MIN MSG (integers)
	[[ $1 =~ ^-?[0-9]+$ ]] || fail "$3: '$1' is not an integer"
	(($1 >= $2)) || fail "$3: got $1, expected >= $2"
}
assert_le() { # ACTUAL MAX MSG (integers)
	[[ $1 =~ ^-?[0-9]+$ ]] || fail "$3: '$1' is not an integer"
	(($1 <= $2)) || fail "$3: got $1, expected <= $2"
}
assert_match() { # STRING ERE MSG
	[[ $1 =~ $2 ]] || fail "$3: '$1' does not match /$2/"
}
assert_contains() { # HAYSTACK NEEDLE MSG
	[[ $1 == *"$2"* ]] || fail "$3: '$2' not found in: $1"
}
assert_not_contains() { # HAYSTACK NEEDLE MSG
	[[ $1 != *"$2"* ]] || fail "$3: '$2' unexpectedly found in: $1"
}

# --- environment ------------------------------------------------------------

_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VSTACK_SRC=${VSTACK_SRC:-$(cd "$_HERE/../.." && pwd)}
VSTACK_BUILD=${VSTACK_BUILD:-$VSTACK_SRC/build}
VSTACKD=${VSTACKD:-$VSTACK_BUILD/ctl/vstackd}
VSTACKCTL=${VSTACKCTL:-$VSTACK_BUILD/ctl/vstackctl}
LIB=$_HERE

# System python: stable stdlib, independent of any user's pyenv.
if [[ -x /usr/bin/python3 ]]; then PY=/usr/bin/python3; else PY=$(command -v python3 || true); fi

# Timeouts (seconds). A wrapper such as valgrind slows the daemon a lot.
if [[ -n ${VSTACK_WRAP:-} ]]; then _slow=6; else _slow=1; fi
VSTACK_START_TIMEOUT=${VSTACK_START_TIMEOUT:-$((10 * _slow))}
VSTACK_STOP_TIMEOUT=${VSTACK_STOP_TIMEOUT:-$((10 * _slow))}
VSTACK_CTL_TIMEOUT=${VSTACK_CTL_TIMEOUT:-$((20 * _slow))}
VSTACK_TEST_DEADLINE=${VSTACK_TEST_DEADLINE:-540}

require_root() {
	((EUID == 0)) || skip "needs root (network namespaces, TAP devices)"
}

# require_cmd CMD... - skip unless every CMD is on PATH.
require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "needs '$c' (not installed; see test/deps)"
	done
}

# require_kernel - skip when the kernel lacks namespaces or TUN/TAP.
require_kernel() {
	[[ -c /dev/net/tun ]] || skip "no /dev/net/tun (CONFIG_TUN missing or module not loaded)"
	[[ -e /proc/self/ns/net ]] || skip "kernel without network namespaces"
}

# kernel_older_than MAJOR MINOR - true if the running kernel is older.
kernel_older_than() {
	local maj min
	IFS=. read -r maj min _ < <(uname -r)
	((maj < $1 || (maj == $1 && ${min%%[!0-9]*} < $2)))
}

require_binaries() {
	[[ -x $VSTACKD ]] || fail "vstackd not built: $VSTACKD (build first: cmake --build $VSTACK_BUILD)"
	[[ -x $VSTACKCTL ]] || fail "vstackctl not built: $VSTACKCTL"
}

# --- naming -----------------------------------------------------------------

# Prefix for everything this run creates; the pid makes it unique per run and
# lets a later run reap what a killed run left behind.
P="vst$$-"

# ifname SUFFIX - an interface name with the run's prefix (max 15 chars).
ifname() {
	local n="$P$1"
	((${#n} <= 15)) || fail "interface name '$n' longer than 15 characters"
	printf '%s\n' "$n"
}

# --- process tracking and cleanup -------------------------------------------

VSTACKD_PID=
VSTACKD_LOG=
_CLEANUP_HOOKS=()
VSTACK_SOCK=
VSTACK_STATE=
_WATCHDOG_PID=

_descendants() { # PID -> all descendant pids, deepest last
	local c
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		echo "$c"
		_descendants "$c"
	done
}

# _proc_gone PID - true once PID has exited (a zombie counts as exited).
_proc_gone() {
	local st
	st=$(sed -n 's/^.*) \(.\).*/\1/p' "/proc/$1/stat" 2>/dev/null) || return 0
	[[ -z $st || $st == Z || $st == X ]]
}

# _wait_gone PID SECONDS - poll until PID exits; false on timeout.
_wait_gone() {
	local pid=$1 i n=$(($2 * 10))
	for ((i = 0; i < n; i++)); do
		_proc_gone "$pid" && return 0
		sleep 0.1
	done
	_proc_gone "$pid"
}

_dump_daemon_log() {
	[[ -n $VSTACKD_LOG && -s $VSTACKD_LOG ]] || return 0
	echo "----- vstackd log (last 60 lines of $VSTACKD_LOG) -----" >&2
	tail -n 60 "$VSTACKD_LOG" >&2 || true
	echo "----- end of vstackd log -----" >&2
}

# _our_root_links - root-namespace devices whose name has this run's prefix.
_our_root_links() {
	ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' |
		grep -F -- "$P" | grep -E "^$P" || true
}

_our_netns() {
	ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$P" || true
}

# _dump_failure_state - on a failure, what the running daemon and our
# namespaces saw (stats, FDB, neighbour tables): what a log alone cannot
# tell after the fact. Bounded in time and lines.
_dump_failure_state() {
	local ns
	if [[ -n $VSTACKD_PID ]] && ! _proc_gone "$VSTACKD_PID"; then
		echo "----- vstackctl stats / fdb show at the failure -----" >&2
		{ vctl stats; vctl fdb show; } 2>&1 | head -n 80 >&2
	fi
	for ns in $(_our_netns); do
		echo "----- ip neigh / ip -s link in $ns -----" >&2
		{ timeout 5 ip -n "$ns" neigh show; timeout 5 ip -n "$ns" -s link show; } 2>&1 |
			awk '/^[0-9]+: /{lo = $2 == "lo:"} !lo' | head -n 24 >&2
	done
}

_cleanup() {
	local rc=$? ns dev
	trap - ERR
	set +e

	((rc != 0 && rc != 77)) && _dump_failure_state

	# 1. The daemon first, politely (its TAPs are persistent and go with
	#    the namespaces or the device sweep below).
	if [[ -n $VSTACKD_PID ]]; then
		kill -TERM "$VSTACKD_PID" 2>/dev/null
		if ! _wait_gone "$VSTACKD_PID" "$VSTACK_STOP_TIMEOUT"; then
			echo "[$TEST_NAME] cleanup: vstackd $VSTACKD_PID ignored SIGTERM, killing" >&2
			kill -KILL "$VSTACKD_PID" 2>/dev/null
			_wait_gone "$VSTACKD_PID" 5
		fi
		wait "$VSTACKD_PID" 2>/dev/null
		VSTACKD_PID=
	fi

	# 2. Every other process this test started (traffic generators,
	#    captures, the watchdog), then anything still inside our namespaces.
	local -a plist
	mapfile -t plist < <(_descendants $$)
	if ((${#plist[@]})); then
		kill -TERM "${plist[@]}" 2>/dev/null
		sleep 0.3
		kill -KILL "${plist[@]}" 2>/dev/null
	fi
	for ns in $(_our_netns); do
		mapfile -t plist < <(ip netns pids "$ns" 2>/dev/null)
		((${#plist[@]})) && kill -KILL "${plist[@]}" 2>/dev/null
	done
	wait 2>/dev/null

	# 3. What the test asked for with on_cleanup (groups, cgroups, ...).
	local hook
	for hook in "${_CLEANUP_HOOKS[@]}"; do
		eval "$hook" || echo "[$TEST_NAME] cleanup: '$hook' failed" >&2
	done

	# 4. Namespaces (their devices go with them), then leftover devices.
	for ns in $(_our_netns); do
		ip netns del "$ns" 2>/dev/null || echo "[$TEST_NAME] cleanup: cannot delete netns $ns" >&2
	done
	for dev in $(_our_root_links); do
		# (deleting one end of a veth pair takes the other with it)
		ip link del "$dev" 2>/dev/null || ! ip link show dev "$dev" >/dev/null 2>&1 ||
			echo "[$TEST_NAME] cleanup: cannot delete link $dev" >&2
	done

	if ((rc != 0 && rc != 77)); then
		_dump_daemon_log
	fi
	if [[ -n ${T:-} && -d $T ]]; then
		local keep=${VSTACK_KEEP:-0}
		((rc != 0 && rc != 77)) && [[ ${CI:-} != true ]] && keep=1
		if [[ $keep == 1 ]]; then
			echo "[$TEST_NAME] logs and captures kept in $T" >&2
		else
			rm -rf "$T"
		fi
	fi
	if ((rc == 0)); then
		echo "[$TEST_NAME] PASS" >&2
	fi
	exit "$rc"
}

# reap_stale - delete namespaces and devices left by earlier runs that were
# killed too hard to clean up (their pid no longer runs).
reap_stale() {
	local name pid
	for name in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^vst[0-9]+-' || true) \
		$(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E '^vst[0-9]+-' || true); do
		pid=${name#vst}
		pid=${pid%%-*}
		[[ $pid == "$$" ]] && continue
		[[ -d /proc/$pid ]] && continue
		if ip netns list | awk '{print $1}' | grep -qxF -- "$name"; then
			log "reaping stale netns $name"
			ip netns del "$name" 2>/dev/null || true
		elif ip link show dev "$name" >/dev/null 2>&1; then
			log "reaping stale link $name"
			ip link del "$name" 2>/dev/null || true
		fi
	done
}

# --- running things ---------------------------------------------------------

# run_to SECONDS CMD... - run CMD, killed after SECONDS (status 124 then).
run_to() {
	local s=$1
	shift
	timeout -k 5 "$s" "$@"
}

# nsx NS CMD... - run CMD in namespace NS.
nsx() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# nsx_to SECONDS NS CMD... - run CMD in NS with a time bound.
nsx_to() {
	local s=$1 ns=$2
	shift 2
	timeout -k 5 "$s" ip netns exec "$ns" "$@"
}

# wait_until SECONDS CMD... - poll CMD every 0.1 s until it succeeds.
wait_until() {
	local s=$1 i n
	shift
	n=$((s * 10))
	for ((i = 0; i < n; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	"$@" >/dev/null 2>&1
}

# at_least MIN CMD... - does CMD print an integer of at least MIN? For
# wait_until on a counter: wait_until 10 at_least 5 my_counter
at_least() {
	local min=$1 n
	shift
	n=$("$@") && [[ $n =~ ^[0-9]+$ ]] && ((n >= min))
}

# --- namespaces -------------------------------------------------------------

# mk_ns NAME [--no-ipv6] - create namespace $P$NAME with lo up; print its name.
# IPv6 DAD is off in it (addresses usable at once); with --no-ipv6 the
# namespace has no IPv6 at all, so its interfaces stay silent when idle (no
# router solicitations, no MLD reports).
mk_ns() {
	local ns="$P$1" v6=1
	[[ ${2:-} == --no-ipv6 ]] && v6=0
	ip netns add "$ns" || fail "cannot create netns $ns"
	ip -n "$ns" link set lo up
	nsx "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
		>/dev/null 2>&1 || true
	if ((v6 == 0)) && [[ -e /proc/sys/net/ipv6 ]]; then
		nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 >/dev/null
	fi
	printf '%s\n' "$ns"
}

# --- the daemon -------------------------------------------------------------

# vctl ARGS... - vstackctl talking to this test's daemon, time-bounded.
vctl() {
	timeout -k 2 "$VSTACK_CTL_TIMEOUT" "$VSTACKCTL" --socket "$VSTACK_SOCK" "$@"
}

# vctl_json ARGS... - vstackctl --json ...
vctl_json() {
	vctl --json "$@"
}

_check_sanitizers() { # LOGFILE
	local f=$1 hits
	[[ -f $f ]] || return 0
	hits=$(grep -nE 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer|ThreadSanitizer|ERROR: libFuzzer' "$f" | head -n 5 || true)
	if [[ -n $hits ]]; then
		echo "----- sanitizer report in $f -----" >&2
		grep -A 40 -E 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer|ThreadSanitizer' "$f" | head -n 120 >&2
		fail "sanitizer report in vstackd log: $(head -n1 <<<"$hits")"
	fi
}

# start_vstackd [ARGS...] - start vstackd --foreground on this test's socket
# and state directory ($VSTACK_STATE, kept across restarts within the test),
# log to $VSTACKD_LOG, and wait until it answers (port list) or fail.
start_vstackd() {
	[[ -z $VSTACKD_PID ]] || fail "start_vstackd: a daemon is already running ($VSTACKD_PID)"
	VSTACKD_LOG=$T/vstackd.$((++_VSTACKD_STARTS)).log
	# shellcheck disable=SC2086 # VSTACK_WRAP is a command line on purpose
	# The state directory is the test's own unless the test names one.
	local -a state=(--state "$VSTACK_STATE")
	[[ " $* " == *" --state "* ]] && state=()
	# Its own app socket too, unless the test names one (or, with
	# VSTACK_APP_SOCKET_FROM_CONFIG=1, leaves it to its config file).
	local -a app=(--app-socket "$T/app.sock")
	[[ " $* " == *" --app-socket "* || ${VSTACK_APP_SOCKET_FROM_CONFIG:-0} == 1 ]] && app=()
	${VSTACK_WRAP:-} "$VSTACKD" --foreground --socket "$VSTACK_SOCK" "${state[@]}" "${app[@]}" "$@" \
		>"$VSTACKD_LOG" 2>&1 </dev/null &
	VSTACKD_PID=$!
	local deadline=$((SECONDS + VSTACK_START_TIMEOUT)) rc
	while ((SECONDS < deadline)); do
		if _proc_gone "$VSTACKD_PID"; then
			rc=0
			wait "$VSTACKD_PID" || rc=$?
			VSTACKD_PID=
			_dump_daemon_log
			fail "vstackd $* exited during startup (status $rc)"
		fi
		# A short bound per probe: a daemon that accepts but never
		# answers must not stretch the wait beyond the deadline.
		if [[ -S $VSTACK_SOCK ]] &&
			timeout -k 1 3 "$VSTACKCTL" --socket "$VSTACK_SOCK" port list >/dev/null 2>&1; then
			log "vstackd up (pid $VSTACKD_PID, $*)"
			return 0
		fi
		sleep 0.1
	done
	_dump_daemon_log
	fail "vstackd did not answer on $VSTACK_SOCK within ${VSTACK_START_TIMEOUT}s"
}
_VSTACKD_STARTS=0

# stop_vstackd - SIGTERM, bounded wait (SIGKILL fallback = failure), then
# require exit status 0 and a log free of sanitizer reports.
stop_vstackd() {
	[[ -n $VSTACKD_PID ]] || fail "stop_vstackd: no daemon running"
	local pid=$VSTACKD_PID rc=0
	kill -TERM "$pid" 2>/dev/null || true
	if ! _wait_gone "$pid" "$VSTACK_STOP_TIMEOUT"; then
		kill -KILL "$pid" 2>/dev/null || true
		_wait_gone "$pid" 5 || true
		wait "$pid" 2>/dev/null || true
		VSTACKD_PID=
		fail "vstackd did not exit within ${VSTACK_STOP_TIMEOUT}s of SIGTERM (killed)"
	fi
	wait "$pid" || rc=$?
	VSTACKD_PID=
	_check_sanitizers "$VSTACKD_LOG"
	((rc == 0)) || fail "vstackd exited with status $rc after SIGTERM"
	log "vstackd stopped cleanly"
}

# daemon_alive - true while the daemon process runs and answers.
daemon_alive() {
	[[ -n $VSTACKD_PID ]] && ! _proc_gone "$VSTACKD_PID" && vctl port list >/dev/null 2>&1
}

# expect_ctl_error DESC ARGS... - vstackctl ARGS must fail (non-zero, not a
# timeout) with exactly one non-empty line on stderr; the daemon must still
# be up afterwards. Prints the error line.
expect_ctl_error() {
	local desc=$1 rc=0 err out lines
	shift
	out=$(vctl "$@" 2>"$T/ctl.err") || rc=$?
	err=$(<"$T/ctl.err")
	((rc != 0)) || fail "$desc: vstackctl $* succeeded (stdout: $out)"
	((rc != 124 && rc != 137)) || fail "$desc: vstackctl $* timed out"
	lines=$(grep -c . "$T/ctl.err" || true)
	[[ $lines == 1 ]] || fail "$desc: expected one line on stderr, got $lines: $err"
	daemon_alive || fail "$desc: daemon not up after 'vstackctl $*'"
	log "$desc: ok (exit $rc): $err"
}

# --- JSON -------------------------------------------------------------------

# jq_py EXPR - evaluate python EXPR over the JSON document on stdin (bound to
# d). Lists print one item a line, booleans as true/false, None as nothing.
jq_py() {
	"$PY" -c '
import json, sys
d = json.load(sys.stdin)
r = eval(sys.argv[1])
def fmt(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        return json.dumps(v)
    return str(v)
for v in (r if isinstance(r, list) else [r]):
    s = fmt(v)
    if s is not None:
        print(s)
' "$1"
}

# tenant_field NAME KEY - field KEY of tenant NAME in `vstackctl tenant list`.
tenant_field() {
	vctl_json tenant list | jq_py "[t['$2'] for t in d['tenants'] if t['name'] == '$1'][0]"
}

# tenant_stat NAME KEY - field KEY of tenant NAME in `vstackctl stats`.
tenant_stat() {
	vctl_json stats | jq_py "[t['$2'] for t in d['tenants'] if t['name'] == '$1'][0]"
}

# worker_stat KEY - field KEY of `vstackctl stats`' workers, summed.
worker_stat() {
	vctl_json stats | jq_py "sum(w['$1'] for w in d['workers'])"
}

# port_names - names of the daemon's ports, one a line.
port_names() {
	vctl_json port list | jq_py '[p["name"] for p in (d["ports"] if isinstance(d, dict) else d)]'
}

# fdb_ports NETWORK MAC - port(s) the FDB maps MAC to in NETWORK ("" = any).
fdb_ports() {
	local net=$1 mac=${2,,}
	local args=()
	[[ -n $net ]] && args=(--network "$net")
	vctl_json fdb show "${args[@]}" | jq_py \
		"[e['port'] for e in d['entries'] if e['mac'].lower() == '$mac' and ('$net' == '' or e['network'] == '$net')]"
}

# port_offloads PORT - the offloads port list shows for PORT, space-separated.
port_offloads() {
	vctl_json port list | jq_py "' '.join([p for p in d['ports'] if p['name'] == '$1'][0]['offloads'])"
}

# vstackd_ticks [THREAD-PREFIX] - CPU time (1/100 s, user + system) of
# vstackd so far, or of its threads whose name starts with THREAD-PREFIX.
vstackd_ticks() {
	local f sum=0
	if (($# == 0)); then
		awk '{print $14 + $15}' "/proc/$VSTACKD_PID/stat"
		return
	fi
	for f in /proc/"$VSTACKD_PID"/task/*; do
		[[ $(<"$f/comm") == "$1"* ]] || continue
		sum=$((sum + $(awk '{print $14 + $15}' "$f/stat")))
	done
	echo "$sum"
}

# port_stat PORT KEY - a counter from stats --port PORT (KEY: rx_packets, ...).
port_stat() {
	vctl_json stats --port "$1" | jq_py \
		"[p.get('$2') for p in d['ports'] if p['name'] == '$1'][0]"
}

# --- interfaces -------------------------------------------------------------

# ns_mac NS DEV - the MAC address of DEV in NS (lower case).
ns_mac() {
	ip -n "$1" -o link show dev "$2" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'
}

# assert_port_in_ns NS DEV [--no-carrier] [ADDR/LEN...] - DEV exists in NS, is up with
# carrier, and has every listed address.
assert_port_in_ns() {
	local ns=$1 dev=$2 a line addrs carrier=LOWER_UP
	shift 2
	# --no-carrier: the device must be there, up, with its addresses, but
	# detached (a persistent TAP while vstackd is down).
	[[ ${1:-} == --no-carrier ]] && { carrier=NO-CARRIER; shift; }
	line=$(ip -n "$ns" -o link show dev "$dev" 2>&1) || fail "port $dev not found in netns $ns: $line"
	[[ $line =~ \<([A-Z_,-]*)\> ]] || fail "cannot parse flags of $dev in $ns: $line"
	[[ ,${BASH_REMATCH[1]}, == *,UP,* ]] || fail "port $dev in $ns is not up: $line"
	# LOWER_UP is the carrier itself; NO-CARRIER (not RUNNING) follows it
	# through the kernel's link watch, up to a second later.
	if [[ $carrier == NO-CARRIER ]]; then
		[[ ,${BASH_REMATCH[1]}, != *,LOWER_UP,* ]] || fail "port $dev in $ns: expected no carrier: $line"
	else
		[[ ,${BASH_REMATCH[1]}, == *,$carrier,* ]] || fail "port $dev in $ns: expected $carrier: $line"
	fi
	addrs=$(ip -n "$ns" -o addr show dev "$dev")
	for a in "$@"; do
		grep -qF -- " $a " <<<"$addrs " || fail "port $dev in $ns lacks address $a: $addrs"
	done
}

# link_exists [NS] DEV - true if DEV exists (in NS, or the root namespace).
link_exists() {
	if (($# == 2)); then
		ip -n "$1" link show dev "$2" >/dev/null 2>&1
	else
		ip link show dev "$1" >/dev/null 2>&1
	fi
}

# wait_no_tentative NS - wait (bounded) until NS has no tentative IPv6 address.
wait_no_tentative() {
	local ns=$1 i
	for ((i = 0; i < 50; i++)); do
		[[ -z $(ip -n "$ns" -6 addr show tentative) ]] && return 0
		sleep 0.1
	done
	fail "IPv6 addresses in $ns still tentative: $(ip -n "$ns" -6 addr show tentative)"
}

# --- traffic ----------------------------------------------------------------

# ping_ok NS ADDR [PING ARGS...] - 3 echo replies must come back (pings
# 0.2 s apart, bounded by a 10 s deadline). With a deadline ping resends
# until it has its 3 replies, so a slow host passes and a broken path fails.
ping_ok() {
	local ns=$1 addr=$2 out rc=0
	shift 2
	out=$(nsx_to 20 "$ns" ping -n -q -c 3 -i 0.2 -w 10 "$@" "$addr" 2>&1) || rc=$?
	if ((rc != 0)) || ! [[ $out =~ ([0-9]+)\ (packets\ )?received ]] ||
		((BASH_REMATCH[1] < 3)); then
		echo "$out" >&2
		return 1
	fi
}

# ping_fails NS ADDR [PING ARGS...] - no ping answered within 3 s.
ping_fails() {
	local ns=$1 addr=$2
	shift 2
	! nsx_to 10 "$ns" ping -n -q -c 3 -i 0.3 -W 1 -w 3 "$@" "$addr" >/dev/null 2>&1
}

# wait_listen NS tcp|udp PORT - wait (10 s) until something listens on PORT.
_listening() {
	local flag=-Hltn
	[[ $2 == udp ]] && flag=-Hlun
	[[ -n $(ip netns exec "$1" ss $flag "sport = :$3") ]]
}
wait_listen() {
	wait_until 10 _listening "$@" || fail "nothing listens on $2 port $3 in $1"
}

# tcp_transfer SRC_NS DST_NS DST_ADDR PORT BYTES SECONDS [SEED]
# Send BYTES of a seeded pseudo-random stream (AES-128-CTR over zeros) from
# SRC_NS to a socat listener in DST_NS; SHA-256 and length are computed on
# both sides and must agree. Bounded by SECONDS.
tcp_transfer() {
	tcp_transfer_start "$@"
	tcp_transfer_wait "$4"
}

declare -A _TCP_SPID=() _TCP_RPID=() _TCP_INFO=()

# tcp_transfer_start SRC_NS DST_NS DST_ADDR PORT BYTES SECONDS [SEED] - start
# the transfer of tcp_transfer in the background (one per PORT at a time);
# tcp_transfer_wait PORT checks it. Several may run at once.
tcp_transfer_start() {
	local src=$1 dst=$2 addr=$3 port=$4 bytes=$5 secs=$6 seed=${7:-1}
	local key iv tag="tcp.$port"
	key=$(printf '%032x' "$seed")
	iv=$(printf '%032x' "$((seed * 7919))")
	rm -f "$T/$tag.rx" "$T/$tag.tx"
	# Receiver: socat ends at the sender's FIN, or after 30 s of silence.
	(timeout -k 5 "$secs" ip netns exec "$dst" \
		socat -u -T 30 "TCP-LISTEN:$port,reuseaddr" STDOUT |
		"$PY" "$LIB/streamsum.py" --out "$T/$tag.rx") 2>"$T/$tag.rx.err" &
	_TCP_RPID[$port]=$!
	wait_listen "$dst" tcp "$port"
	# Sender: generator errors (SIGPIPE when head stops reading) are
	# expected; the byte count proves the stream was complete.
	# shellcheck disable=SC2016 # expanded by the inner bash
	timeout -k 5 "$secs" bash -c '
		set -o pipefail
		{ openssl enc -aes-128-ctr -nosalt -K "$1" -iv "$2" -in /dev/zero 2>/dev/null || true; } |
			head -c "$3" |
			"$4" "$5/streamsum.py" --tee --out "$6" |
			ip netns exec "$7" socat -u STDIN "TCP:$8:$9,connect-timeout=5"
	' _ "$key" "$iv" "$bytes" "$PY" "$LIB" "$T/$tag.tx" "$src" "$addr" "$port" \
		2>"$T/$tag.tx.err" &
	_TCP_SPID[$port]=$!
	_TCP_INFO[$port]="$src $dst $addr $bytes $secs"
}

# tcp_transfer_wait PORT - wait for the transfer on PORT; fail unless both
# sides finished and saw the same SHA-256 and length.
tcp_transfer_wait() {
	local port=$1 tag="tcp.$1" rc=0 sent recv src dst addr bytes secs
	read -r src dst addr bytes secs <<<"${_TCP_INFO[$port]}"
	# wait, unlike a foreground command, lets a TERM (watchdog, ^C) in at once.
	wait "${_TCP_SPID[$port]}" || rc=$?
	if ((rc != 0)); then
		cat "$T/$tag.tx.err" >&2
		fail "TCP sender $src -> $addr:$port failed (status $rc; 124 = timeout after ${secs}s)"
	fi
	rc=0
	wait "${_TCP_RPID[$port]}" || rc=$?
	((rc == 0)) || {
		cat "$T/$tag.rx.err" >&2
		fail "TCP receiver in $dst on port $port failed (status $rc; 124 = timeout after ${secs}s)"
	}
	unset "_TCP_SPID[$port]" "_TCP_RPID[$port]" "_TCP_INFO[$port]"
	sent=$(<"$T/$tag.tx")
	recv=$(<"$T/$tag.rx")
	[[ ${sent#* } == "$bytes" ]] || fail "sender produced ${sent#* } bytes, wanted $bytes"
	[[ $recv == "$sent" ]] || fail "TCP stream corrupted $src -> $dst: sent '$sent', received '$recv' (sha256 bytes)"
	log "TCP $src -> $addr:$port: $bytes bytes, sha256 ${sent%% *} matches"
}

# tcp_transfer_abort PORT - end a transfer that is meant to break (its
# port deleted, the daemon stopped): kill both sides, ignore the outcome.
# Their sockets go too (ss -K): an orphan still holding unsent data would
# retransmit towards a peer that is gone for minutes, and each attempt
# re-resolves the peer's address; a ping of a re-added peer could then
# queue behind a resolution that began before it came back, and fail.
tcp_transfer_abort() {
	local port=$1 pid src dst addr rest
	local -a plist
	read -r src dst addr rest <<<"${_TCP_INFO[$port]}"
	for pid in "${_TCP_SPID[$port]}" "${_TCP_RPID[$port]}"; do
		mapfile -t plist < <(_descendants "$pid")
		kill -TERM "$pid" "${plist[@]}" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	nsx_to 5 "$src" ss -K -tn "dport = :$port" >/dev/null 2>&1 || true
	nsx_to 5 "$dst" ss -K -tn "sport = :$port" >/dev/null 2>&1 || true
	unset "_TCP_SPID[$port]" "_TCP_RPID[$port]" "_TCP_INFO[$port]"
}

# udp_exchange SRC_NS DST_NS DST_ADDR PORT COUNT SIZE|MIN-MAX [PPS]
# Send COUNT numbered datagrams with verifiable content; all must arrive
# intact, exactly once (low rate: no loss is acceptable).
udp_exchange() {
	local src=$1 dst=$2 addr=$3 port=$4 count=$5 size=$6 pps=${7:-2000}
	local rpid rc=0 out="$T/udp.$port.$RANDOM" bind=0.0.0.0
	[[ $addr == *:* ]] && bind='[::]'
	nsx_to 60 "$dst" "$PY" "$LIB/udpcheck.py" recv --bind "$bind:$port" \
		--count "$count" --size "$size" --idle 5 >"$out.rx" 2>&1 &
	rpid=$!
	wait_listen "$dst" udp "$port"
	nsx_to 60 "$src" "$PY" "$LIB/udpcheck.py" send --to "$addr:$port" \
		--count "$count" --size "$size" --pps "$pps" >"$out.tx" 2>&1 ||
		{ cat "$out.tx" >&2; fail "UDP sender $src -> $addr:$port failed"; }
	wait "$rpid" || rc=$?
	((rc == 0)) || fail "UDP $src -> $dst ($count x $size B): $(cat "$out.rx")"
	log "UDP $src -> $addr:$port: $(cat "$out.rx")"
}

# --- packet captures --------------------------------------------------------

declare -A _CAP_PID=()

# start_capture NAME NS TCPDUMP_ARGS... - tcpdump into $T/NAME.pcap in NS
# (packet-buffered, at most 300 s); returns once tcpdump is listening.
start_capture() {
	local name=$1 ns=$2
	shift 2
	nsx_to 300 "$ns" tcpdump -U -n -s 256 -w "$T/$name.pcap" "$@" \
		>"$T/$name.cap.log" 2>&1 &
	_CAP_PID[$name]=$!
	wait_until 10 grep -q 'listening on' "$T/$name.cap.log" ||
		fail "tcpdump $name in $ns did not start: $(cat "$T/$name.cap.log")"
}

# stop_capture NAME - stop tcpdump NAME and wait for it (bounded).
stop_capture() {
	local pid=${_CAP_PID[$1]}
	sleep 0.3 # let frames in flight reach the capture
	kill -TERM "$pid" 2>/dev/null || true
	_wait_gone "$pid" 10 || kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	unset "_CAP_PID[$1]"
}

# pcap_count NAME [--contains STR] [--src-mac MAC] [--dst-mac MAC]
pcap_count() {
	local name=$1
	shift
	"$PY" "$LIB/pcapq.py" count "$T/$name.pcap" "$@"
}

# pcap_maxlen NAME - the largest frame length (wire length) in NAME.pcap.
pcap_maxlen() {
	"$PY" "$LIB/pcapq.py" maxlen "$T/$1.pcap"
}

# --- setup on source --------------------------------------------------------

require_root
require_kernel
require_cmd ip ss timeout ps awk sed grep
[[ -n $PY ]] || skip "needs python3"
require_binaries
reap_stale

T=$(mktemp -d "${TMPDIR:-/tmp}/vstack-integ.$TEST_NAME.XXXXXX")
chmod 0755 "$T"
VSTACK_SOCK=$T/vstackd.sock
VSTACK_STATE=$T/state
trap _cleanup EXIT
trap 'echo "[$TEST_NAME] interrupted (SIGINT)" >&2; exit 130' INT
trap 'echo "[$TEST_NAME] interrupted (SIGTERM)" >&2; exit 143' TERM

(
	sleep "$VSTACK_TEST_DEADLINE"
	echo "[$TEST_NAME] watchdog: test still running after ${VSTACK_TEST_DEADLINE}s, stopping it" >&2
	kill -TERM $$
) &
_WATCHDOG_PID=$!

log "prefix $P, files in $T"

# kill9_vstackd - kill the daemon with SIGKILL, as a crash would, and wait
# until it is gone. Its devices stay (persistent TAPs).
kill9_vstackd() {
	[[ -n $VSTACKD_PID ]] || fail "kill9_vstackd: no daemon running"
	kill -KILL "$VSTACKD_PID" 2>/dev/null || true
	_wait_gone "$VSTACKD_PID" 10 || fail "vstackd $VSTACKD_PID survived SIGKILL"
	wait "$VSTACKD_PID" 2>/dev/null || true
	VSTACKD_PID=
	log "vstackd killed (SIGKILL)"
}

# ifindex NS DEV - the interface index of DEV in NS.
ifindex() {
	ip -n "$1" -o link show dev "$2" | cut -d: -f1
}

# on_cleanup COMMAND - run COMMAND (a string, eval'ed) during cleanup, after
# the test's processes are gone, whether the test passed or failed. For
# things the harness does not know about: groups, cgroups, files outside $T.
on_cleanup() {
	_CLEANUP_HOOKS+=("$1")
}

# --- cgroups (tenant scenarios) ---------------------------------------------

_CGROUPS=()

# _cgroup_remove_all - cleanup hook once a test made cgroups: remove them,
# newest first (the test's processes are gone by then, so they are empty).
_cgroup_remove_all() {
	local d i
	for ((i = ${#_CGROUPS[@]} - 1; i >= 0; i--)); do
		d=${_CGROUPS[i]}
		[[ -d $d ]] && ! rmdir "$d" 2>/dev/null &&
			echo "[$TEST_NAME] cleanup: cannot remove cgroup $d" >&2
	done
	return 0
}

# cgroup_cpu_kind - print where a cgroup with a CPU weight can be made:
# "v2" (cgroup2 at /sys/fs/cgroup with the cpu controller, cpu.weight) or
# "v1" (/sys/fs/cgroup/cpu hierarchy, cpu.shares); skip the test otherwise.
cgroup_cpu_kind() {
	if [[ -f /sys/fs/cgroup/cgroup.controllers ]] &&
		grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null; then
		echo v2
	elif [[ -f /sys/fs/cgroup/cpu/cpu.shares ]]; then
		echo v1
	else
		skip "no cgroup with a CPU weight can be made here (no v2 cpu controller, no v1 cpu hierarchy)"
	fi
}

# mk_cgroup NAME WEIGHT - create cgroup $P$NAME where cgroup_cpu_kind says,
# with CPU weight WEIGHT (v1: cpu.shares = WEIGHT * 1024 / 100); set
# CGROUP_DIR to its directory. It is removed when the test ends. (Not in
# $(...): the cgroup must be registered in this shell.)
mk_cgroup() {
	local kind dir
	cgroup_cpu_kind >/dev/null # in this shell: its skip ends the test
	kind=$(cgroup_cpu_kind)
	if [[ $kind == v2 ]]; then
		dir=/sys/fs/cgroup/$P$1
	else
		dir=/sys/fs/cgroup/cpu/$P$1
	fi
	mkdir "$dir" || fail "cannot create cgroup $dir"
	if ((${#_CGROUPS[@]} == 0)); then
		on_cleanup _cgroup_remove_all
	fi
	_CGROUPS+=("$dir")
	cgroup_set_weight "$dir" "$2"
	CGROUP_DIR=$dir
}

# cgroup_set_weight DIR WEIGHT - set a cgroup's CPU weight (1..10000).
cgroup_set_weight() {
	if [[ -f $1/cpu.weight ]]; then
		echo "$2" >"$1/cpu.weight"
	else
		echo $(($2 * 1024 / 100)) >"$1/cpu.shares"
	fi
}

# --- the shared stack (endpoints and their applications) --------------------

VSPERF=${VSPERF:-$VSTACK_BUILD/bench/vsperf}
# Applications find the test's daemon through its app socket.
export VSTACK_APP_SOCKET=$T/app.sock

require_vsperf() {
	[[ -x $VSPERF ]] || fail "vsperf not built: $VSPERF"
}

# ep_field EP KEY - a field of endpoint EP in `endpoint list --json`.
ep_field() {
	vctl_json endpoint list | jq_py \
		"[e.get('$2') for e in (d['endpoints'] if isinstance(d, dict) else d) if e['name'] == '$1'][0]"
}

# wait_ep EP KEY OP VALUE [SECONDS] - wait until endpoint EP's KEY OP VALUE
# (OP: -eq, -ge, -le), e.g. wait_ep e1 tcp_listen -ge 1.
_ep_cmp() { local v; v=$(ep_field "$1" "$2") && [[ $v =~ ^[0-9]+$ ]] && test "$v" "$3" "$4"; }
wait_ep() {
	wait_until "${5:-10}" _ep_cmp "$1" "$2" "$3" "$4" ||
		fail "endpoint $1: $2 is $(ep_field "$1" "$2" 2>&1), wanted $3 $4"
}

# in_cgroup DIR CMD... - run CMD as a member of cgroup DIR.
in_cgroup() {
	local dir=$1
	shift
	# shellcheck disable=SC2016 # expanded by the inner bash
	bash -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' _ "$dir" "$@"
}
export -f in_cgroup

# gen_stream BYTES SEED - BYTES of a seeded pseudo-random stream on stdout.
gen_stream() {
	local key iv
	key=$(printf '%032x' "$2")
	iv=$(printf '%032x' "$(($2 * 7919))")
	{ openssl enc -aes-128-ctr -nosalt -K "$key" -iv "$iv" -in /dev/zero 2>/dev/null || true; } |
		head -c "$1"
}
export -f gen_stream

declare -A _XF_SPID=() _XF_RPID=() _XF_INFO=()

# xfer_recv TAG SECONDS CMD - start a receiver: CMD (a bash command line)
# writes the received stream to stdout; its SHA-256 and length go to
# $T/TAG.rx. Wait for it to listen before xfer_send.
xfer_recv() {
	local tag=$1 secs=$2 cmd=$3
	rm -f "$T/$tag.rx"
	(timeout -k 5 "$secs" bash -c "$cmd" |
		"$PY" "$LIB/streamsum.py" --out "$T/$tag.rx") 2>"$T/$tag.rx.err" &
	_XF_RPID[$tag]=$!
}

# xfer_send TAG BYTES SECONDS SEED CMD - start a sender: CMD reads the
# stream (BYTES of gen_stream SEED) on stdin and sends it.
xfer_send() {
	local tag=$1 bytes=$2 secs=$3 seed=$4 cmd=$5
	rm -f "$T/$tag.tx"
	timeout -k 5 "$secs" bash -c \
		"set -o pipefail; gen_stream $bytes $seed | \"$PY\" \"$LIB/streamsum.py\" --tee --out \"$T/$tag.tx\" | $cmd" \
		2>"$T/$tag.tx.err" &
	_XF_SPID[$tag]=$!
	_XF_INFO[$tag]=$bytes
}

# xfer_wait TAG - both sides must finish and agree on SHA-256 and length.
xfer_wait() {
	local tag=$1 rc=0 sent recv bytes=${_XF_INFO[$1]}
	wait "${_XF_SPID[$tag]}" || rc=$?
	((rc == 0)) || { cat "$T/$tag.tx.err" >&2; fail "$tag: sender failed (status $rc; 124 = timeout)"; }
	wait "${_XF_RPID[$tag]}" || rc=$?
	((rc == 0)) || { cat "$T/$tag.rx.err" >&2; fail "$tag: receiver failed (status $rc; 124 = timeout)"; }
	sent=$(<"$T/$tag.tx")
	recv=$(<"$T/$tag.rx")
	[[ ${sent#* } == "$bytes" ]] || fail "$tag: sender produced ${sent#* } bytes, wanted $bytes"
	[[ $recv == "$sent" ]] || fail "$tag: stream corrupted: sent '$sent', received '$recv' (sha256 bytes)"
	unset "_XF_SPID[$tag]" "_XF_RPID[$tag]" "_XF_INFO[$tag]"
	log "$tag: $bytes bytes, sha256 ${sent%% *} matches"
}

# nft_loss NS PERMILLE - drop PERMILLE/1000 of the TCP segments NS receives
# and sends (random, nftables numgen); 0 removes the rule.
nft_loss() {
	local ns=$1 pm=$2
	nsx "$ns" nft delete table inet vstloss 2>/dev/null || true
	((pm > 0)) || return 0
	nsx "$ns" nft -f - <<NFT
table inet vstloss {
	chain in { type filter hook input priority 0; meta l4proto tcp numgen random mod 1000 < $pm drop; }
	chain out { type filter hook output priority 0; meta l4proto tcp numgen random mod 1000 < $pm drop; }
}
NFT
}

# --- unmodified programs through the preload shim ----------------------------

PRELOAD=${PRELOAD:-$VSTACK_BUILD/stack/preload/libvstack-preload.so}

# require_preload [--instrumented] - the shim must be built; PRELOAD_ENV
# is the environment that preloads it. In a build made with
# -DVSTACK_SANITIZE=ON the shim carries ASan/UBSan, so the sanitizer
# runtime is preloaded first; that works for our own tools and python3 but
# not for every program (curl deadlocks in setlocale() under a preloaded
# libasan), so a test that runs Debian's programs passes --instrumented
# and is skipped there.
require_preload() {
	[[ -f $PRELOAD ]] || fail "preload shim not built: $PRELOAD"
	PRELOAD_ENV=(LD_PRELOAD="$PRELOAD")
	if grep -q '^VSTACK_SANITIZE:BOOL=ON' "$VSTACK_BUILD/CMakeCache.txt" 2>/dev/null; then
		local asan
		[[ ${1:-} != --instrumented ]] ||
			skip "sanitizer build: the shim carries ASan, which Debian's (uninstrumented) programs cannot load reliably; the release build runs this test, 55_preload_interpose covers the shim under ASan"
		asan=$(gcc -print-file-name=libasan.so)
		[[ -f $asan ]] || skip "sanitizer build, but no libasan.so to preload before the shim"
		# Leaks of the programs (not instrumented) are not ours to judge.
		PRELOAD_ENV=(LD_PRELOAD="$asan $PRELOAD"
			ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0:halt_on_error=1)
	fi
}

# nginx_conf DIR LISTEN ROOT [HTTP-LINES] - write DIR/nginx.conf: one
# process in the foreground (what the shim supports), logs and temp files
# in DIR, one server on LISTEN serving ROOT, HTTP-LINES added to the http
# block.
nginx_conf() {
	mkdir -p "$1"
	cat >"$1/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
error_log $1/error.log info;
pid $1/nginx.pid;
events { worker_connections 256; }
http {
	access_log $1/access.log;
	client_body_temp_path $1;
	proxy_temp_path $1;
	fastcgi_temp_path $1;
	uwsgi_temp_path $1;
	scgi_temp_path $1;
	${4:-}
	server { listen $2; root $3; }
}
EOF
}

# mk_tenant NAME EP ADDR/LEN - a tenant in a cgroup of its own ($CGROUP_DIR,
# weight 100) with endpoint EP at ADDR/LEN.
mk_tenant() {
	mk_cgroup "$1" 100
	vctl tenant add "$1" --cgroup "$CGROUP_DIR"
	vctl endpoint add "$2" --tenant "$1" --address "$3"
}

# mk_kernel_peer NAME ADDR/LEN - namespace $P$NAME (no IPv6) on a TAP port
# with ADDR/LEN; its name goes to KPEER (not in $(...): the namespace must be
# registered in this shell).
mk_kernel_peer() {
	KPEER=$(mk_ns "$1" --no-ipv6)
	vctl port add "$(ifname "$1")" --netns "$KPEER" --address "$2"
}

# in_tenant DIR CMD... - run CMD in cgroup DIR with the shim preloaded.
in_tenant() {
	local dir=$1
	shift
	in_cgroup "$dir" env "${PRELOAD_ENV[@]}" "$@"
}
