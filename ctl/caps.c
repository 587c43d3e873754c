// SPDX-License-Identifier: MIT
/*
 * caps.c - the capabilities vstackd keeps once it is set up
 *
 * Start-up needs more than the steady state: CAP_IPC_LOCK to register the
 * workers' buffer arenas beyond the memlock limit, CAP_CHOWN to give the
 * control socket to the vstack group, CAP_NET_BIND_SERVICE for a low
 * metrics port, CAP_DAC_OVERRIDE for files owned by others. Once the
 * socket listens and the saved tenants and ports are back, the control
 * thread keeps only what its commands use:
 *
 *   CAP_NET_ADMIN   create TAP devices; netlink link, address and
 *                   namespace changes
 *   CAP_SYS_ADMIN   setns() into a tenant's namespace, to configure the
 *                   device there and to reattach a persistent one
 *   CAP_SYS_PTRACE  open /proc/PID/ns/net of another user's process
 *                   (port add --netns-pid)
 *
 * and drops the rest from its permitted, effective, inheritable and
 * ambient sets and from the bounding set, so nothing can come back, not
 * even through execve(). Worker threads (capabilities are per thread)
 * drop everything: they only move frames between descriptors they were
 * given.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "caps.h"
#include "log.h"

static const cap_value_t caps_kept[] = { CAP_NET_ADMIN, CAP_SYS_ADMIN,
					 CAP_SYS_PTRACE };
#define CAPS_NKEPT (sizeof(caps_kept) / sizeof(caps_kept[0]))

/**
 * caps_check() - do we hold what the work needs?
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -EPERM without CAP_NET_ADMIN (a missing CAP_SYS_ADMIN is
 * only warned about: ports then stay in vstackd's namespace)
 */
int caps_check(char *err, size_t errlen)
{
	cap_flag_value_t net = CAP_CLEAR, sys = CAP_CLEAR;
	cap_t caps = cap_get_proc();

	if (!caps) {
		snprintf(err, errlen, "cannot read our capabilities: %s",
			 strerror(errno));
		return -errno;
	}
	cap_get_flag(caps, CAP_NET_ADMIN, CAP_EFFECTIVE, &net);
	cap_get_flag(caps, CAP_SYS_ADMIN, CAP_EFFECTIVE, &sys);
	cap_free(caps);
	if (net != CAP_SET) {
		snprintf(err, errlen,
			 "needs CAP_NET_ADMIN to create TAP devices (run as root)");
		return -EPERM;
	}
	if (sys != CAP_SET)
		log_warn("no CAP_SYS_ADMIN: ports cannot be moved into other network namespaces");
	return 0;
}

/**
 * caps_is_kept() - is @c one of caps_kept?
 * @c:		capability
 *
 * Return: true if kept
 */
static bool caps_is_kept(cap_value_t c)
{
	unsigned i;

	for (i = 0; i < CAPS_NKEPT; i++)
		if (caps_kept[i] == c)
			return true;
	return false;
}

/**
 * caps_drop_control() - keep only what the control thread needs
 * @kept:	set to the names of the capabilities kept, comma-separated
 * @keptlen:	size of @kept
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Call on the control thread once set-up is over; threads created later
 * inherit the reduced sets.
 *
 * Return: 0 or -errno
 */
int caps_drop_control(char *kept, size_t keptlen, char *err, size_t errlen)
{
	cap_value_t keep[CAPS_NKEPT];
	cap_flag_value_t have;
	unsigned i, n = 0;
	cap_t cur, want;
	int rc = 0;

	kept[0] = '\0';
	if (!(cur = cap_get_proc())) {
		rc = -errno;
		snprintf(err, errlen, "cannot read our capabilities: %s",
			 strerror(-rc));
		return rc;
	}
	/* Only what we have: a daemon started with less keeps less. */
	for (i = 0; i < CAPS_NKEPT; i++) {
		if (!cap_get_flag(cur, caps_kept[i], CAP_PERMITTED, &have) &&
		    have == CAP_SET)
			keep[n++] = caps_kept[i];
	}
	cap_free(cur);

	/* The bounding set first: shrinking it needs CAP_SETPCAP, which
	 * goes with the rest below. */
	if (CAP_IS_SUPPORTED(CAP_SETPCAP)) {
		cap_value_t c;

		for (c = 0; c <= CAP_LAST_CAP; c++) {
			if (caps_is_kept(c) || !CAP_IS_SUPPORTED(c))
				continue;
			if (cap_drop_bound(c) && errno != EINVAL &&
			    errno != EPERM) {
				rc = -errno;
				snprintf(err, errlen,
					 "cannot drop %s from the bounding set: %s",
					 cap_to_name(c), strerror(-rc));
				return rc;
			}
		}
	}
	cap_reset_ambient();

	want = cap_init();
	if (!want) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if ((n && (cap_set_flag(want, CAP_PERMITTED, (int)n, keep, CAP_SET) ||
		   cap_set_flag(want, CAP_EFFECTIVE, (int)n, keep, CAP_SET))) ||
	    cap_set_proc(want)) {
		rc = -errno;
		snprintf(err, errlen, "cannot drop capabilities: %s",
			 strerror(-rc));
	}
	cap_free(want);
	if (rc)
		return rc;
	for (i = 0; i < n; i++) {
		char *name = cap_to_name(keep[i]);
		size_t l = strlen(kept);

		snprintf(kept + l, keptlen - l, "%s%s", i ? "," : "",
			 name ? name : "?");
		cap_free(name);
	}
	if (!n)
		snprintf(kept, keptlen, "none");
	return 0;
}

/**
 * caps_drop_all() - a worker thread gives up every capability
 *
 * Return: 0 or -errno
 */
int caps_drop_all(void)
{
	cap_t none = cap_init();
	int rc = 0;

	if (!none)
		return -ENOMEM;
	if (cap_set_proc(none))
		rc = -errno;
	cap_free(none);
	return rc;
}
