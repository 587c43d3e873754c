#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# debian_kernel - the scenario tests that lean on kernel features, run
# again on Debian 12's own kernel (6.1), booted under QEMU's software
# emulation. The host's kernel is newer; users run this one. On it:
#   - tun does not offer non-blocking reads to io_uring (6.4 added that):
#     RWF_NOWAIT reads fail with EOPNOTSUPP, and the worker falls back to
#     waiting reads only;
#   - no USO on TAPs (6.2 added it): the offload probe leaves it out;
#   - no kernel.io_uring_disabled sysctl (6.6): that case is skipped;
#   - a registered-file table may not exceed the open-files limit, which
#     init leaves at 1024 here.
# The guest runs the same test scripts and binaries as the host (the host's
# root, read-only over 9p), as PID 1's children, one at a time; each one's
# verdict (pass, fail, skip) is this test's, and a failure shows that
# test's own log. The kernel and QEMU come from test/deps --guest-kernel.
VSTACK_TEST_DEADLINE=${VSTACK_TEST_DEADLINE:-1500}
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_cmd qemu-system-x86_64 busybox dpkg-deb modprobe

# Once per test run: on the release build (the guest is slow enough).
grep -qs '^VSTACK_SANITIZE:BOOL=ON' "$VSTACK_BUILD/CMakeCache.txt" &&
	skip "runs on the release build only (software emulation is slow)"

KDIR=${VSTACK_GUEST_KERNEL:-/var/cache/vstack-test/debian-kernel}
[[ -f $KDIR/ready ]] || skip "no Debian kernel unpacked in $KDIR (test/deps --guest-kernel does it)"
KVER=$(<"$KDIR/ready")
VMLINUZ=$KDIR/boot/vmlinuz-$KVER
[[ -r $VMLINUZ ]] || fail "$VMLINUZ missing (remove $KDIR and run test/deps --guest-kernel)"
[[ -x /bin/busybox ]] && ! ldd /bin/busybox >/dev/null 2>&1 ||
	skip "no static /bin/busybox (package busybox-static)"

# The tests to run in the guest: those that lean on kernel features.
# 19 and 51: endpoints and applications, served inside the workers
# (their rings, eventfd wake-ups and shared-memory contexts).
TESTS=${VSTACK_GUEST_TESTS:-"01_daemon_lifecycle 02_ping_arp 04_udp 10_offload_mix 12_io_uring_errors 13_config_state_reload 14_crash_tcp 18_device_gone 19_endpoints_ctl 21_idle 22_open_files 51_endpoint_local"}
# Modules the tests need that Debian builds as modules (the guest cannot
# load one on demand: its /lib/modules is the host's). tcp_diag: ss -K,
# which tcp_transfer_abort uses to end an aborted transfer's sockets.
MODULES="tun veth bridge tcp_diag"

# --- the initramfs: busybox, the modules to mount the host's root -----------
mkdir -p "$T/initrd/bin" "$T/initrd/mods" "$T/out"
cp /bin/busybox "$T/initrd/bin/"
for m in virtio_pci 9pnet_virtio 9p; do
	modprobe -d "$KDIR" -S "$KVER" --show-depends "$m" | awk '$1 == "insmod" {print $2}'
done | awk '!seen[$0]++' >"$T/mods.list"
while read -r f; do
	cp "$f" "$T/initrd/mods/"
	basename "$f" >>"$T/initrd/modules"
done <"$T/mods.list"
cat >"$T/initrd/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox mkdir -p /proc /dev /newroot
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t devtmpfs dev /dev
for m in $(/bin/busybox cat /modules); do
	/bin/busybox insmod /mods/$m || echo "initrd: insmod $m failed"
done
/bin/busybox mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 hostroot /newroot ||
	{ echo "initrd: cannot mount the host's root"; /bin/busybox poweroff -f; }
init=$(/bin/busybox sed -n 's/.*vstack\.init=\([^ ]*\).*/\1/p' /proc/cmdline)
/bin/busybox umount /proc
exec /bin/busybox switch_root /newroot /bin/bash "$init"
EOF
chmod +x "$T/initrd/init"
(cd "$T/initrd" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1 >"$T/initrd.gz")

# What the guest runs, and with which build. Its init is a copy: bash
# reads a script as it goes, and an edit to the tree must not reach it.
cp "$VSTACK_SRC/test/lib/guest_init.sh" "$T/out/init.sh"
{
	printf 'export VSTACK_SRC=%q VSTACK_BUILD=%q\n' "$VSTACK_SRC" "$VSTACK_BUILD"
	printf 'export ASAN_OPTIONS=%q UBSAN_OPTIONS=%q\n' "${ASAN_OPTIONS:-}" "${UBSAN_OPTIONS:-}"
	printf 'GUEST_TESTS=%q GUEST_MODULES=%q GUEST_KROOT=%q\n' "$TESTS" "$MODULES" "$KDIR"
	printf 'GUEST_TEST_TIMEOUT=%q\n' 600
	# Software emulation moves some MB/s: smaller TCP transfers.
	printf 'export VSTACK_TCP_BYTES=%q\n' $((256 << 20))
} >"$T/out/env"

# --- boot -------------------------------------------------------------------
log "booting $KVER under QEMU (TCG) for: $TESTS"
rc=0
timeout -k 10 $((VSTACK_TEST_DEADLINE - 60)) qemu-system-x86_64 \
	-accel tcg,thread=multi -cpu max -smp 2 -m 2048 \
	-nographic -no-reboot -nic none \
	-kernel "$VMLINUZ" -initrd "$T/initrd.gz" \
	-append "console=ttyS0 quiet panic=-1 vstack.init=$T/out/init.sh" \
	-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
	-virtfs "local,path=$T/out,mount_tag=out,security_model=none,multidevs=remap" \
	</dev/null >"$T/console.log" 2>&1 || rc=$?
grep -a '^guest: ' "$T/console.log" >&2 || true
grep -aq '^GUEST-DONE' "$T/console.log" || {
	tail -n 40 "$T/console.log" >&2
	fail "the guest did not finish its run (qemu exit $rc)"
}
[[ -s $T/out/results ]] || fail "the guest reported no results"

# --- verdicts ---------------------------------------------------------------
failed=() passed=() skipped=()
while read -r name status secs; do
	case $status in
	0) passed+=("$name") ;;
	77) skipped+=("$name") ;;
	*)
		failed+=("$name")
		echo "----- $name on $KVER (exit $status after $secs s) -----" >&2
		tail -n 40 "$T/out/$name.log" >&2
		[[ -d $T/out/keep ]] && echo "(its files: $T/out/keep)" >&2
		;;
	esac
done <"$T/out/results"
for t in $TESTS; do
	grep -q "^$t " "$T/out/results" || failed+=("$t (did not run)")
done
# Skips say why in their own logs; a skip is fine unless everything skipped.
for t in "${skipped[@]}"; do
	log "skipped on $KVER: $t: $(grep -a 'SKIP' "$T/out/$t.log" | head -n 1)"
done
log "on $KVER: ${#passed[@]} passed, ${#failed[@]} failed, ${#skipped[@]} skipped"
((${#failed[@]} == 0)) || fail "failed on $KVER: ${failed[*]}"
((${#passed[@]} > 0)) || fail "nothing passed on $KVER"
