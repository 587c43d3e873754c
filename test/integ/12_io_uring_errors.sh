#!/usr/bin/env bash
# io_uring_errors - when io_uring cannot be used, vstackd says why in one
# line and exits non-zero: disabled by sysctl, refused by seccomp, and
# buffer registration over the memlock limit.
source "$(dirname "$0")/../lib/common.sh"

NO_URING=$VSTACK_BUILD/test/no_uring
[[ -x $NO_URING ]] || skip "test helper $NO_URING not built"

# expect_start_error DESC PATTERN CMD... - CMD (a vstackd start) must exit
# non-zero within 20 s, printing PATTERN on stderr.
expect_start_error() {
	local desc=$1 pattern=$2 rc=0 err
	shift 2
	timeout 20 "$@" --foreground --socket "$T/err.sock" 2>"$T/start.err" >/dev/null </dev/null || rc=$?
	err=$(<"$T/start.err")
	((rc != 0 && rc != 124)) || fail "$desc: vstackd exit status $rc (expected a failure)"
	assert_match "$err" "$pattern" "$desc: error message"
	log "$desc: exit $rc: $err"
}

# 1. seccomp refusing io_uring_setup (what Docker's default profile does).
expect_start_error "seccomp" "seccomp" "$NO_URING" "$VSTACKD"

# 2. Registered buffers over the memlock limit, without CAP_IPC_LOCK.
if command -v capsh >/dev/null; then
	# 1 MiB holds the ring but not 64 buffers of 68 KiB.
	expect_start_error "memlock" "I/O buffers: the memlock limit is 1024 KiB" \
		capsh --drop=cap_ipc_lock -- -c \
		"ulimit -l 1024 && exec $VSTACKD --arena-bufs 64 \"\$@\"" vstackd
else
	fail "capsh (libcap2-bin) missing: test/deps installs it"
fi

# 3. kernel.io_uring_disabled=2 (Linux 6.6+). The sysctl is host-wide:
#    restore it however this test ends.
SYSCTL=/proc/sys/kernel/io_uring_disabled
if [[ -w $SYSCTL ]]; then
	OLD=$(<"$SYSCTL")
	restore_sysctl() { echo "$OLD" >"$SYSCTL"; }
	trap 'rc=$?; restore_sysctl; (exit $rc); _cleanup' EXIT
	echo 2 >"$SYSCTL"
	expect_start_error "sysctl" "kernel.io_uring_disabled" "$VSTACKD"
	restore_sysctl
else
	skip "no writable $SYSCTL (kernel before 6.6): seccomp and memlock cases passed"
fi

# And with io_uring back, the daemon starts.
start_vstackd
stop_vstackd
