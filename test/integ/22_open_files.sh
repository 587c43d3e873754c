#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# open_files - vstackd and the open-files limit (RLIMIT_NOFILE):
#  - started with the usual soft limit of 1024 under a higher hard one, it
#    raises the soft one to the hard one. Its workers' tables of registered
#    files are sized by the limit (the kernel refuses a larger table), and a
#    vstackd that asked for its full table failed to start under 1024;
#  - started with a limit of 64 (soft and hard), it starts with a warning
#    and serves ports until descriptors run out, where a port add fails
#    with one clear line naming the cause;
#  - at the limit, a control connection is answered "out of file
#    descriptors" at once instead of waiting unaccepted in the backlog, and
#    the daemon does not spin on its listener meanwhile;
#  - with descriptors free again, commands work and the ports forward.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_cmd ping socat prlimit

LIMIT=64
# Descriptors under the limit (one inherited above it does not count).
nfds() { ls "/proc/$VSTACKD_PID/fd" | awk -v l="$LIMIT" '$1 < l' | wc -l; }
nfds_above() { (($(nfds) > $1)); }
nfds_below() { (($(nfds) < $1)); }

# 1. The soft limit is raised to the hard one.
hard=$(ulimit -Hn)
if ((hard > 1024)); then
	VSTACK_WRAP="prlimit --nofile=1024:$hard" start_vstackd --workers 1
	soft=$(awk '/^Max open files/ {print $4}' "/proc/$VSTACKD_PID/limits")
	assert_eq "$soft" "$hard" "vstackd's soft open-files limit (started with 1024)"
	stop_vstackd
else
	log "hard open-files limit $hard: raising the soft one not tried"
fi

# 2. A limit of 64: ports until descriptors run out.
VSTACK_WRAP="prlimit --nofile=$LIMIT:$LIMIT" start_vstackd --workers 1
assert_contains "$(<"$VSTACKD_LOG")" "the open-files limit is $LIMIT" "warning at start"
A=$(mk_ns a --no-ipv6)
B=$(mk_ns b --no-ipv6)
vctl port add "$(ifname a)" --netns "$A" --address 10.72.0.1/24
vctl port add "$(ifname b)" --netns "$B" --address 10.72.0.2/24
ping_ok "$A" 10.72.0.2 || fail "ping through vstack under a limit of $LIMIT"

n=0
while ((n < LIMIT)) && vctl port add "$(ifname "r$n")" 2>"$T/add.err"; do
	n=$((n + 1))
done
((n < LIMIT)) || fail "$LIMIT more ports added under a limit of $LIMIT descriptors"
assert_ge "$n" 8 "ports added before descriptors ran out"
err=$(<"$T/add.err")
assert_eq "$(grep -c . "$T/add.err")" 1 "lines on stderr of the port add that failed: $err"
assert_match "$err" "Too many open files" "the port add that failed"
log "$n more ports, then: $err"
assert_eq "$(port_names | grep -c -E "^$P")" "$((n + 2))" "ports in port list"

# 3. Idle control connections take what is left, until the daemon has no
#    descriptor but its reserve.
idle=0 IDLE=()
while (($(nfds) < LIMIT)) && ((idle < 16)); do
	before=$(nfds)
	socat -u UNIX-CONNECT:"$VSTACK_SOCK" "OPEN:$T/idle$idle.out,creat" &
	IDLE+=($!)
	idle=$((idle + 1))
	wait_until 5 nfds_above "$before" || break
done
assert_eq "$(nfds)" "$LIMIT" "vstackd's descriptors after $idle idle control connections"

ticks=$(vstackd_ticks)
rc=0
out=$(vctl port list 2>"$T/ctl.err") || rc=$?
err=$(<"$T/ctl.err")
((rc != 0)) || fail "port list at the limit succeeded: $out"
((rc != 124 && rc != 137)) || fail "port list at the limit waited until its timeout"
assert_eq "$(grep -c . "$T/ctl.err")" 1 "lines on stderr of port list at the limit: $err"
assert_match "$err" "out of file descriptors" "port list at the limit"
log "port list at the limit: exit $rc: $err"
# A client that keeps trying: each attempt is answered, none left waiting.
for ((i = 0; i < 20; i++)); do vctl port list >/dev/null 2>&1 || true; done
sleep 1
ticks=$(($(vstackd_ticks) - ticks))
assert_le "$ticks" 50 "vstackd's CPU ticks (1/100 s) while at the limit"
assert_match "$(<"$VSTACKD_LOG")" "refused [0-9]+ control connection" "log of refused connections"

# 4. Room again: commands work, the ports forward, the extra ports go.
kill "${IDLE[@]}" 2>/dev/null || true
wait_until 10 nfds_below "$LIMIT" || fail "idle connections not closed"
wait_until 10 daemon_alive || fail "vstackctl does not work again after the idle connections closed"
# Every refusal is in the log, the last ones with the next connection taken.
refused=$(grep -oE 'refused [0-9]+ control' "$VSTACKD_LOG" | awk '{n += $2} END {print n + 0}')
assert_eq "$refused" 21 "control connections the log says were refused"
ping_ok "$A" 10.72.0.2 || fail "ping through vstack after the limit was reached"
for ((i = 0; i < n; i++)); do vctl port del "$(ifname "r$i")"; done
assert_eq "$(port_names | grep -c -E "^$P")" 2 "ports left after deleting the extra ones"
vctl port add "$(ifname r0)"
vctl port del "$(ifname r0)"
stop_vstackd
