// SPDX-License-Identifier: MIT
/*
 * old_uring.c - make io_uring look as an older kernel's does, for the
 *		 fallbacks in ring/ring.c (LD_PRELOAD library)
 *
 * vstackd asks for the best ring first and falls back when the kernel
 * refuses a flag it does not know (EINVAL), as kernels do. On this host's
 * kernel every first choice succeeds, so the fallbacks never run, and the
 * guest test (70_debian_kernel) boots 6.1, which has them too. This
 * library refuses, with the errors those kernels give, what the kernel
 * named in VSTACK_OLD_URING lacks; the ring then made is a real one of
 * that older kind, run by the real kernel:
 *
 *   6.0   no IORING_SETUP_DEFER_TASKRUN (6.1)
 *   5.19  no IORING_SETUP_SINGLE_ISSUER (6.0) either: COOP_TASKRUN rings
 *   5.15  no COOP_TASKRUN, TASKRUN_FLAG (5.19), no sparse file tables
 *         (IORING_REGISTER_FILES2, 5.19), no registered ring fd (5.18):
 *         plain rings whose task work interrupts the worker
 *
 * It interposes liburing's exported functions, which vstackd calls through
 * the PLT; the rest of liburing and the kernel are untouched.
 */
#include <dlfcn.h>
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>

#ifndef IORING_SETUP_SINGLE_ISSUER
#define IORING_SETUP_SINGLE_ISSUER (1U << 12)
#endif
#ifndef IORING_SETUP_DEFER_TASKRUN
#define IORING_SETUP_DEFER_TASKRUN (1U << 13)
#endif

/* The kernel version asked for, as major * 100 + minor; 0: as it is. */
static int old_uring_version(void)
{
	const char *v = getenv("VSTACK_OLD_URING");
	char *end;
	long major, minor;

	if (!v || !*v)
		return 0;
	major = strtol(v, &end, 10);
	if (*end != '.')
		return 0;
	minor = strtol(end + 1, &end, 10);
	return *end ? 0 : (int)(major * 100 + minor);
}

static int older_than(int version)
{
	int v = old_uring_version();

	return v && v < version;
}

int io_uring_queue_init_params(unsigned entries, struct io_uring *ring,
			       struct io_uring_params *p)
{
	int (*real)(unsigned, struct io_uring *, struct io_uring_params *) =
		(int (*)(unsigned, struct io_uring *, struct io_uring_params *))
			dlsym(RTLD_NEXT, "io_uring_queue_init_params");
	unsigned unknown = 0;

	if (older_than(601))
		unknown |= IORING_SETUP_DEFER_TASKRUN;
	if (older_than(600))
		unknown |= IORING_SETUP_SINGLE_ISSUER;
	if (older_than(519))
		unknown |= IORING_SETUP_COOP_TASKRUN |
			   IORING_SETUP_TASKRUN_FLAG;
	if (p->flags & unknown)
		return -EINVAL;
	return real ? real(entries, ring, p) : -ENOSYS;
}

int io_uring_register_files_sparse(struct io_uring *ring, unsigned nr)
{
	int (*real)(struct io_uring *, unsigned) =
		(int (*)(struct io_uring *, unsigned))dlsym(
			RTLD_NEXT, "io_uring_register_files_sparse");

	if (older_than(519))
		return -EINVAL;
	return real ? real(ring, nr) : -ENOSYS;
}

int io_uring_register_ring_fd(struct io_uring *ring)
{
	int (*real)(struct io_uring *) = (int (*)(struct io_uring *))dlsym(
		RTLD_NEXT, "io_uring_register_ring_fd");

	if (older_than(518))
		return -EINVAL;
	return real ? real(ring) : -ENOSYS;
}
