#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# preload_interpose - what the preload shim promises beyond moving bytes.
#
# test/tools/pl_probe (an ordinary POSIX program) runs through the shim in
# tenant tp (endpoint ep, 10.85.0.1) against a peer (test/lib/pl_peer.py:
# echo, connect-back, a refused port) twice: in a kernel namespace behind a
# TAP port, and through the shim itself in tenant tq (endpoint eq). Its
# checks: vstack sockets, pipes and timerfds in one epoll set (level,
# edge, one-shot; a blocked epoll_wait woken by the socket), select over
# several sockets and a pipe, non-blocking connect (EINPROGRESS, then
# SO_ERROR 0 or ECONNREFUSED), fork of a server (the child's inherited
# sockets fail with EBADFD, new ones work, the parent's listener still
# accepts), close from another thread ending a blocked accept and recv
# (EBADF), dup/dup2 onto and from sockets, clear errnos for what is not
# supported, loopback going to the kernel, UDP, shutdown() of a UDP
# socket (SHUT_WR: EPIPE without SIGPIPE; SHUT_RD ends a recv() blocked
# in another thread with 0), SO_BROADCAST and a second listen() passed
# to vstackd (EACCES without it; the listener still accepts), a blocking
# connect() whose SO_SNDTIMEO runs out (EINPROGRESS), the peer's FIN as
# POLLRDHUP and EPOLLRDHUP (without POLLHUP), blocking transfers with
# readv/writev and SO_RCVTIMEO, a signal handler interrupting poll
# and epoll_wait with EINTR (again with a 10 ms VSTACK_SPIN_US look, the
# signal coming while the shim looks). Then, with python:
#   - exec: a vstack socket is not inherited (placeholders are
#     close-on-exec whatever FD_CLOEXEC says);
#   - no vstackd: socket() fails with the attach error and one line on
#     stderr; with VSTACK_PRELOAD_FALLBACK=1 the kernel is used;
#   - VSTACK_PRELOAD_INET6=refuse: AF_INET6 fails with EAFNOSUPPORT,
#     otherwise it goes to the kernel.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_preload
PROBE=$VSTACK_BUILD/test/pl_probe
[[ -x $PROBE ]] || fail "pl_probe not built: $PROBE"

start_vstackd --workers 2
mk_tenant tp ep 10.85.0.1/24
CP=$CGROUP_DIR
mk_tenant tq eq 10.85.0.2/24
CQ=$CGROUP_DIR
mk_kernel_peer k 10.85.0.9/24
K=$KPEER
ping_ok "$K" 10.85.0.1 || fail "the kernel peer cannot reach endpoint ep"

probe_all() { # ADDR PORT WHAT
	local out rc=0
	out=$(run_to 240 bash -c 'in_cgroup "$@"' _ "$CP" env "${PRELOAD_ENV[@]}" \
		"$PROBE" all "$1" "$2" 2>&1) || rc=$?
	log "pl_probe against $3:"$'\n'"$out"
	((rc == 0)) || fail "pl_probe against $3: $(grep -c FAIL <<<"$out") checks failed (status $rc)"
	assert_eq "$(grep -c '^ok ' <<<"$out")" 14 "pl_probe against $3: every check ran"
}

nsx "$K" "$PY" "$LIB/pl_peer.py" 7000 >"$T/peer-k.log" 2>&1 &
wait_listen "$K" tcp 7001
probe_all 10.85.0.9 7000 "a kernel peer"

in_tenant "$CQ" "$PY" "$LIB/pl_peer.py" 7100 >"$T/peer-q.log" 2>&1 &
wait_ep eq tcp_listen -ge 2
probe_all 10.85.0.2 7100 "a peer on the shared stack"

# A signal that comes while a blocking call still looks (a 10 ms look, the
# alarm 2 ms in) interrupts it all the same.
out=$(run_to 60 bash -c 'in_cgroup "$@"' _ "$CP" env "${PRELOAD_ENV[@]}" VSTACK_SPIN_US=10000 \
	"$PROBE" signal 10.85.0.9 7000 2>&1) || fail "pl_probe signal with a 10 ms look: $out"
assert_eq "$out" "ok signal" "pl_probe signal with a 10 ms look"

# --- exec: vstack sockets do not survive it ---------------------------------
out=$(run_to 30 bash -c 'in_cgroup "$@"' _ "$CP" env "${PRELOAD_ENV[@]}" "$PY" -c '
import os, socket, sys
s = socket.socket()
s.set_inheritable(True)
fd = s.fileno()
assert os.get_inheritable(fd), "FD_CLOEXEC was not cleared as asked"
os.execv(sys.executable, [sys.executable, "-c",
    "import os, sys\ntry:\n os.fstat(%d)\n print(\"inherited\")\nexcept OSError as e:\n print(\"closed\", e.errno)" % fd])
' 2>&1) || fail "exec check: $out"
assert_eq "$out" "closed 9" "a vstack socket after exec (EBADF)"

# --- no vstackd -----------------------------------------------------------------
nod=(env "${PRELOAD_ENV[@]}" VSTACK_APP_SOCKET="$T/no-such.sock")
mk=(-c 'import socket
try:
    socket.socket(); print("created")
except OSError as e:
    print("refused", e.errno)')
out=$(run_to 30 bash -c 'in_cgroup "$@"' _ "$CP" "${nod[@]}" "$PY" "${mk[@]}" 2>"$T/nod.err") ||
	fail "no-vstackd check: $out"
assert_eq "$out" "refused 2" "socket() without vstackd fails with the attach error (ENOENT)"
assert_eq "$(wc -l <"$T/nod.err")" 1 "one line on stderr"
assert_contains "$(cat "$T/nod.err")" "libvstack-preload: cannot attach" "the line says why"
out=$(run_to 30 bash -c 'in_cgroup "$@"' _ "$CP" "${nod[@]}" VSTACK_PRELOAD_FALLBACK=1 \
	"$PY" "${mk[@]}" 2>"$T/nod.err") || fail "fallback check: $out"
assert_eq "$out" "created" "VSTACK_PRELOAD_FALLBACK=1 uses the kernel"
assert_contains "$(cat "$T/nod.err")" "using the kernel" "the line says the kernel is used"

# --- AF_INET6 -------------------------------------------------------------------
six=(-c 'import socket
try:
    socket.socket(socket.AF_INET6); print("kernel")
except OSError as e:
    print("refused", e.errno)')
if [[ -e /proc/net/if_inet6 ]]; then
	out=$(run_to 30 bash -c 'in_cgroup "$@"' _ "$CP" env "${PRELOAD_ENV[@]}" "$PY" "${six[@]}")
	assert_eq "$out" kernel "AF_INET6 goes to the kernel by default"
fi
out=$(run_to 30 bash -c 'in_cgroup "$@"' _ "$CP" env "${PRELOAD_ENV[@]}" \
	VSTACK_PRELOAD_INET6=refuse "$PY" "${six[@]}")
assert_eq "$out" "refused 97" "VSTACK_PRELOAD_INET6=refuse: EAFNOSUPPORT"

grep -i 'AddressSanitizer\|runtime error' "$T"/*.log && fail "a sanitizer report from a shim program"
stop_vstackd
