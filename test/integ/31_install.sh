#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# install - "cmake --install" of the test's build tree into a DESTDIR puts
# vstackd, vstackctl, the systemd unit, the man pages and the example
# configuration where they belong, and /etc/vstack/vstackd.conf only when
# there is none (a second install keeps an edited one). The installed unit
# passes "systemd-analyze verify" as it would on a host (the staged tree
# overlaid on the install prefix in a private mount namespace, so its
# ExecStart and man: links resolve), keeps an exposure score below 5, names
# the installed vstackd, allows the system calls vstackd makes (io_uring
# included) and the devices and namespaces it needs. The man pages format
# without a single groff warning. The installed vstackd, started with only
# the unit's capability bounding set (and no-new-privs), creates ports in
# two namespaces and switches between them; it loads its installed default
# configuration and the example.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_cmd cmake man systemd-analyze setpriv unshare mount ping

cache=$VSTACK_BUILD/CMakeCache.txt
[[ -f $cache ]] || fail "no CMakeCache.txt in $VSTACK_BUILD"
cache_var() { sed -n "s/^$1:[A-Z]*=//p" "$cache"; }
prefix=$(cache_var CMAKE_INSTALL_PREFIX)
unitdir=$(cache_var VSTACK_SYSTEMD_UNITDIR)
[[ $unitdir == /* ]] || unitdir=$prefix/$unitdir
[[ -n $prefix ]] || fail "CMAKE_INSTALL_PREFIX not in $cache"

R=$T/root
run_to 120 env DESTDIR="$R" cmake --install "$VSTACK_BUILD" >"$T/install.log" 2>&1 ||
	fail "cmake --install failed: $(tail -n 5 "$T/install.log")"
log "installed into $R (prefix $prefix, units in $unitdir)"

for f in sbin/vstackd bin/vstackctl; do
	[[ -x $R$prefix/$f ]] || fail "$prefix/$f not installed (or not executable)"
done
unit=$R$unitdir/vstackd.service
for f in "$unit" "$R$prefix/share/man/man8/vstackd.8" "$R$prefix/share/man/man8/vstackctl.8" \
	"$R$prefix/share/man/man5/vstackd.conf.5" "$R$prefix/share/doc/vstack/vstackd.conf.example" \
	"$R/etc/vstack/vstackd.conf"; do
	[[ -s $f ]] || fail "${f#"$R"} not installed"
done
assert_match "$("$R$prefix/sbin/vstackd" --version)" '^vstackd [0-9]+\.[0-9]+\.[0-9]+$' "installed vstackd --version"
"$R$prefix/bin/vstackctl" --help >/dev/null || fail "installed vstackctl --help"

# An administrator's configuration is never overwritten.
echo "# edited by $TEST_NAME" >>"$R/etc/vstack/vstackd.conf"
run_to 120 env DESTDIR="$R" cmake --install "$VSTACK_BUILD" >"$T/install2.log" 2>&1 ||
	fail "second cmake --install failed: $(tail -n 5 "$T/install2.log")"
grep -q "edited by $TEST_NAME" "$R/etc/vstack/vstackd.conf" ||
	fail "a second install overwrote /etc/vstack/vstackd.conf"

# --- the unit's contents ----------------------------------------------------
key() { sed -n "s/^$1=//p" "$unit"; }
assert_eq "$(key Type)" notify "Type="
assert_eq "$(key NotifyAccess)" main "NotifyAccess="
assert_match "$(key WatchdogSec)" '^[0-9]+s$' "WatchdogSec="
assert_eq "$(key ExecStart)" "$prefix/sbin/vstackd --foreground --config /etc/vstack/vstackd.conf" "ExecStart="
assert_eq "$(key KillMode)" process "KillMode="
assert_eq "$(key LimitMEMLOCK)" infinity "LimitMEMLOCK="
assert_eq "$(key Restart)" on-failure "Restart="
for k in PrivateNetwork PrivateDevices PrivateUsers ProtectProc ProcSubset; do
	[[ -z $(key "$k") ]] || fail "$k= set: vstackd cannot work with it"
done
assert_contains " $(key RestrictNamespaces) " " net " "RestrictNamespaces= must allow setns() into network namespaces"
assert_contains "$(key DeviceAllow)" "/dev/net/tun rw" "DeviceAllow="
for c in CAP_NET_ADMIN CAP_SYS_ADMIN CAP_IPC_LOCK CAP_CHOWN CAP_FOWNER; do
	assert_contains " $(key CapabilityBoundingSet) " " $c " "CapabilityBoundingSet="
done
for af in AF_UNIX AF_NETLINK AF_INET AF_INET6; do
	assert_contains " $(key RestrictAddressFamilies) " " $af " "RestrictAddressFamilies="
done
# Every system call vstackd makes that a filter could take away must be in
# the allow list, as this systemd expands it.
filter=$(key SystemCallFilter)
[[ $filter != "~"* ]] || fail "SystemCallFilter= is a deny list; expected an allow list"
expand_calls() { # GROUP-OR-CALL... - the system calls, groups expanded
	local w
	for w in "$@"; do
		if [[ $w == @* ]]; then
			# shellcheck disable=SC2046 # one word per line
			expand_calls $(systemd-analyze syscall-filter "$w" 2>/dev/null |
				awk '/^ +[@a-z_0-9-]+$/ {print $1}')
		else
			echo "$w"
		fi
	done
}
# shellcheck disable=SC2086 # one word per group or call
allowed=" $(expand_calls $filter | sort -u | tr '\n' ' ') "
for sc in io_uring_setup io_uring_enter io_uring_register setns sched_setaffinity \
	capset capget prctl ioctl mlock eventfd2 timerfd_create signalfd4 socket bind \
	sendmsg recvmsg chown fchownat fchmodat mmap madvise clone3 rt_sigprocmask; do
	assert_contains "$allowed" " $sc " "system call $sc in SystemCallFilter=$filter"
done

# --- man pages ---------------------------------------------------------------
for page in man8/vstackd.8 man8/vstackctl.8 man5/vstackd.conf.5; do
	f=$R$prefix/share/man/$page
	warn=$(LC_ALL=C.UTF-8 man --warnings -E UTF-8 -l -Tutf8 -Z "$f" 2>&1 >/dev/null) ||
		fail "man $page failed: $warn"
	[[ -z $warn ]] || fail "groff warnings in $page: $warn"
	text=$(MANWIDTH=80 man -l "$f" 2>/dev/null)
	for sec in NAME SYNOPSIS DESCRIPTION "SEE ALSO"; do
		grep -q "^$sec" <<<"$text" || fail "$page has no $sec section"
	done
done
for page in man8/vstackd.8 man8/vstackctl.8; do
	text=$(MANWIDTH=80 man -l "$R$prefix/share/man/$page" 2>/dev/null)
	for sec in "EXIT STATUS" FILES EXAMPLES; do
		grep -q "^$sec" <<<"$text" || fail "$page has no $sec section"
	done
done
for sec in SIGNALS ENVIRONMENT; do
	MANWIDTH=80 man -l "$R$prefix/share/man/man8/vstackd.8" 2>/dev/null | grep -q "^$sec" ||
		fail "vstackd.8 has no $sec section"
done
# Every option vstackd --help lists is documented.
for opt in $("$R$prefix/sbin/vstackd" --help | grep -o -- '--[a-z-]*' | sort -u); do
	grep -qF -- "${opt//-/\\-}" "$R$prefix/share/man/man8/vstackd.8" ||
		fail "vstackd.8 does not document $opt"
done
# Every command vstackctl --help lists is documented.
while read -r noun verb; do
	grep -qE "^\.B[IR]? \"?$noun $verb" "$R$prefix/share/man/man8/vstackctl.8" ||
		fail "vstackctl.8 does not document '$noun $verb'"
done < <("$R$prefix/bin/vstackctl" --help | sed -n 's/^  \([a-z]\+\) \([a-z]\+\).*/\1 \2/p' | sort -u)
# Every option a command's --help lists is documented, and the defaults
# the two give agree.
vctl_i="$R$prefix/bin/vstackctl"
while read -r cmd; do
	# shellcheck disable=SC2086 # "noun verb" is two words on purpose
	for opt in $("$vctl_i" $cmd --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		grep -qF -- "${opt//-/\\-}" "$R$prefix/share/man/man8/vstackctl.8" ||
			fail "vstackctl.8 does not document $cmd $opt"
	done
done < <("$vctl_i" --help | sed -n 's/^  \([a-z]\+\)\( [a-z]\+\)\?\( .*\)\?$/\1\2/p' | sort -u)
help_iv=$("$vctl_i" stats --help | sed -n 's/^ *--interval SEC.*(default \([0-9.]*\)).*/\1/p')
man_iv=$(MANWIDTH=200 man -l "$R$prefix/share/man/man8/vstackctl.8" 2>/dev/null |
	sed -n '/^ *--interval SEC/,/^ *--/p' | tr '\n' ' ' | sed -n 's/.*(default \([0-9.]*\)).*/\1/p')
assert_eq "$man_iv" "$help_iv" "stats --interval default in vstackctl.8 and in stats --help"
# Every key the configuration parser knows is in vstackd.conf(5) and in the
# example (rate-bps is an alias of rate; a section's name is its header).
conf5=$R$prefix/share/man/man5/vstackd.conf.5
example=$R$prefix/share/doc/vstack/vstackd.conf.example
for k in $(grep -ohE '(strcmp|spec_key_is)\(key, "[a-z-]+"\)' "$VSTACK_SRC"/ctl/config.c "$VSTACK_SRC"/ctl/spec.c |
	sed 's/.*"\(.*\)".*/\1/' | sort -u); do
	[[ $k == name || $k == rate-bps ]] && continue
	grep -qE "^\.B[IR]? \"?${k//-/\\\\-} = " "$conf5" || fail "vstackd.conf.5 does not document key '$k'"
	grep -qE "^#?$k = " "$example" || fail "vstackd.conf.example has no '$k' line"
done
log "man pages: clean, every option, command and configuration key documented"

# --- the installed daemon with the unit's capabilities only --------------------
bset=$(key CapabilityBoundingSet | tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')
cat >"$T/unit-caps" <<EOF
#!/bin/sh
exec setpriv --bounding-set=-all,$bset --no-new-privs -- "\$@"
EOF
chmod +x "$T/unit-caps"
VSTACKD=$R$prefix/sbin/vstackd
wrap=${VSTACK_WRAP:-}
VSTACK_WRAP="$T/unit-caps $wrap"
start_vstackd --config "$R/etc/vstack/vstackd.conf" --workers 2
VSTACK_WRAP=$wrap
want=0
for c in $(key CapabilityBoundingSet); do
	n=$(awk -v c="$c" '$0 ~ "#define " c " " {print $3}' /usr/include/linux/capability.h)
	[[ -n $n ]] || fail "capability $c unknown to linux/capability.h"
	want=$((want | (1 << n)))
done
bnd=$(awk '/^CapBnd:/ {print $2}' "/proc/$VSTACKD_PID/status")
assert_eq "$((16#$bnd))" "$want" "vstackd's capability bounding set (CapBnd $bnd)"
A=$(mk_ns a --no-ipv6)
B=$(mk_ns b --no-ipv6)
PA=$(ifname a)
PB=$(ifname b)
vctl port add "$PA" --netns "$A" --address 10.79.0.1/24
vctl port add "$PB" --netns "$B" --address 10.79.0.2/24
assert_port_in_ns "$A" "$PA" 10.79.0.1/24
ping_ok "$A" 10.79.0.2 || fail "no ping through the installed vstackd with the unit's capabilities"
stop_vstackd
log "installed vstackd with the unit's bounding set: ports in two namespaces, ping"

start_vstackd --config "$R$prefix/share/doc/vstack/vstackd.conf.example"
stop_vstackd

# --- systemd-analyze verify, on the unit as installed ------------------------
# The staged tree is laid over the prefix in a private mount namespace:
# ExecStart's binary and the man: pages then exist where the unit says,
# and nothing on the host changes.
verify() { # UNIT - systemd-analyze verify and security in the overlay
	unshare -m sh -ec '
		mount --make-rprivate /
		mount -t overlay overlay -o lowerdir="$1$2:$2" "$2"
		systemd-analyze verify "$3"
		systemd-analyze security --offline=true --threshold=50 --no-pager "$3" >"$4"
	' sh "$R" "$prefix" "$1" "$T/security.txt"
}
[[ -d $prefix ]] || mkdir -p "$prefix" 2>/dev/null || fail "cannot create $prefix for the overlay"
# The unit as the host would see it: at its installed path when that is
# below the prefix (then inside the overlay), else where it was staged.
vunit=$unit
[[ $unitdir != "$prefix"/* ]] || vunit=$unitdir/vstackd.service
rc=0
out=$(verify "$vunit" 2>&1) || rc=$?
if [[ $out == *overlay* || $out == *"mount:"* ]]; then
	skip "cannot overlay the staged tree on $prefix here: $out"
fi
((rc == 0)) || fail "systemd-analyze verify (status $rc): $out"
[[ -z $out ]] || fail "systemd-analyze verify complained: $out"
score=$(sed -n 's/.*Overall exposure level for vstackd.service: \([0-9.]*\).*/\1/p' "$T/security.txt")
assert_match "$score" '^[0-9]+\.[0-9]+$' "systemd-analyze security exposure score"
assert_le "$(awk -v s="$score" 'BEGIN { printf "%d", s * 10 }')" 49 "exposure score x 10 (5.0 is MEDIUM)"
log "systemd-analyze verify: clean; exposure $score"
# And it can fail: a unit naming a missing binary does not pass.
sed 's|^ExecStart=[^ ]*|ExecStart=/nonexistent/vstackd|' "$unit" >"$T/broken.service"
cp "$T/broken.service" "$T/vstackd-broken.service"
! verify "$T/vstackd-broken.service" >/dev/null 2>&1 || fail "systemd-analyze verify accepted a unit with a missing ExecStart binary"
