#!/bin/bash
# SPDX-License-Identifier: MIT
# test/lib/guest_init.sh - PID 1 of the QEMU guest that test/integ's
# 70_debian_kernel boots on another kernel (see that test).
#
# The guest's root is the host's, read-only over 9p; the initramfs mounted
# it and switched to it, and started this script. Here:
#   - the usual pseudo file systems, and tmpfs wherever the tests write
#     (/tmp, /run, /var/...), so nothing reaches the host but through...
#   - .../out, the test's own directory, read-write over 9p (tag "out"):
#     it brings "env" (what to run) and takes each test's log and the
#     results, one "NAME STATUS" line per test;
#   - the kernel's modules come from the unpacked package named in env.
# Then every test in $GUEST_TESTS runs in turn, as on the host, and the
# guest powers off. A line "GUEST-DONE" on the console marks a full run.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm /dev/net
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
for d in /tmp /run /var/tmp /var/lib /var/log /root; do
	mount -t tmpfs -o mode=0755 tmpfs "$d"
done
chmod 1777 /tmp /var/tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null &&
	echo +cpu >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
mkdir -p /run/guest
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 out /run/guest || {
	echo "guest: cannot mount the output directory" >&2
	echo o >/proc/sysrq-trigger
}
# shellcheck source=/dev/null
source /run/guest/env

echo "guest: $(uname -r), $(nproc) CPUs, tests: $GUEST_TESTS"
for m in $GUEST_MODULES; do
	modprobe -d "$GUEST_KROOT" "$m" || echo "guest: modprobe $m failed"
done
ip link set lo up
hostname vstack-guest 2>/dev/null || true

cd "$VSTACK_SRC" || exit 1
for t in $GUEST_TESTS; do
	start=$(date +%s)
	rc=0
	timeout -k 10 "$GUEST_TEST_TIMEOUT" bash "test/integ/$t.sh" \
		>"/run/guest/$t.log" 2>&1 </dev/null || rc=$?
	echo "$t $rc $(($(date +%s) - start))" >>/run/guest/results
	# A failed test keeps its files (common.sh): bring them out.
	if ((rc != 0 && rc != 77)); then
		mkdir -p /run/guest/keep
		(cd /tmp && tar -cf - "vstack-integ.$t".*) 2>/dev/null |
			tar -C /run/guest/keep -xf - 2>/dev/null || true
	fi
	echo "guest: $t exit $rc after $(($(date +%s) - start)) s"
done
sync
echo "GUEST-DONE"
echo o >/proc/sysrq-trigger
sleep 10
