// SPDX-License-Identifier: MIT
/*
 * ring.c - io_uring set-up with feature probing, submission, waiting,
 *	    timers and cross-thread wake-ups
 *
 * Theory of operation
 *
 * Each thread that does I/O owns one struct ring, created on that thread
 * (SINGLE_ISSUER binds the ring to its creator). The thread prepares SQEs
 * with ring_sqe(), handles whatever completions are there, then calls
 * ring_wait(): it submits everything prepared since the last call in one
 * system call and, when there was nothing to do, sleeps in the kernel until
 * a completion arrives. Other threads wake it through an eventfd that has a
 * read armed on the ring (ring_wake()).
 *
 * Timers are a heap in user space backed by at most a few IORING_OP_TIMEOUT
 * requests: one is armed for the earliest deadline; arming an earlier timer
 * arms another; a timeout that completes runs whatever is due and re-arms
 * for the new earliest deadline. Stale timeouts only cause an early look at
 * the heap.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "ring.h"

#define RING_TIMERS_MAX 4096

/**
 * ring_now_ns() - CLOCK_MONOTONIC in nanoseconds (vDSO, no system call)
 *
 * Return: current time
 */
uint64_t ring_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Read a small integer from a procfs/sysfs file, -1 if unreadable. */
static long ring_read_long(const char *path, const char *key)
{
	char line[256];
	long val = -1;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!key) {
			val = strtol(line, NULL, 10);
			break;
		}
		if (!strncmp(line, key, strlen(key))) {
			val = strtol(line + strlen(key), NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

/*
 * Name the reason io_uring_setup() failed. The kernel reports the same
 * errno for several causes, so look at what else we can see: the sysctl
 * that disables io_uring (6.6+), and whether a seccomp filter is in force.
 */
static void ring_explain(int ret, char *err, size_t errlen)
{
	long disabled = ring_read_long("/proc/sys/kernel/io_uring_disabled",
				       NULL);
	long seccomp = ring_read_long("/proc/self/status", "Seccomp:");

	if (ret == -EPERM && disabled == 2) {
		snprintf(err, errlen,
			 "io_uring is disabled on this host by the "
			 "kernel.io_uring_disabled=2 sysctl; set it to 0 to run "
			 "vstackd");
	} else if (ret == -EPERM && disabled == 1) {
		snprintf(err, errlen,
			 "io_uring is restricted by kernel.io_uring_disabled=1 "
			 "to privileged processes and kernel.io_uring_group; "
			 "run vstackd as root or in that group");
	} else if ((ret == -EPERM || ret == -ENOSYS || ret == -EACCES) &&
		   seccomp > 0) {
		snprintf(err, errlen,
			 "io_uring_setup() was refused (%s) by a seccomp "
			 "filter on this process: allow io_uring_setup, "
			 "io_uring_enter and io_uring_register",
			 strerror(-ret));
	} else if (ret == -ENOSYS) {
		snprintf(err, errlen,
			 "io_uring is not available: the kernel was built "
			 "without CONFIG_IO_URING");
	} else if (ret == -EPERM || ret == -EACCES) {
		snprintf(err, errlen,
			 "io_uring_setup() was refused (%s), most likely by a "
			 "security module policy",
			 strerror(-ret));
	} else if (ret == -ENOMEM) {
		struct rlimit rl = { 0 };

		getrlimit(RLIMIT_MEMLOCK, &rl);
		snprintf(err, errlen,
			 "io_uring_setup() failed: out of memory, or the ring "
			 "does not fit the memlock limit of %llu KiB (raise it "
			 "with ulimit -l or LimitMEMLOCK=)",
			 (unsigned long long)rl.rlim_cur >> 10);
	} else {
		snprintf(err, errlen, "io_uring_setup() failed: %s",
			 strerror(-ret));
	}
}

/* Ask the kernel which opcodes it supports; fail on missing essentials. */
static int ring_probe_ops(struct ring *r, char *err, size_t errlen)
{
	static const struct {
		int op;
		const char *name;
	} need[] = {
		{ IORING_OP_READ_FIXED, "READ_FIXED" },
		{ IORING_OP_WRITE_FIXED, "WRITE_FIXED" },
		{ IORING_OP_READ, "READ" },
		{ IORING_OP_TIMEOUT, "TIMEOUT" },
		{ IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL" },
	};
	struct io_uring_probe *p;
	unsigned i;

	p = io_uring_get_probe_ring(&r->uring);
	if (!p) {
		snprintf(err, errlen,
			 "the kernel's io_uring cannot be probed for opcodes "
			 "(Linux 5.6 or later is needed)");
		return -EOPNOTSUPP;
	}
	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (!io_uring_opcode_supported(p, need[i].op)) {
			snprintf(err, errlen,
				 "the kernel's io_uring lacks IORING_OP_%s "
				 "(Linux 5.6 or later is needed)",
				 need[i].name);
			io_uring_free_probe(p);
			return -EOPNOTSUPP;
		}
	}
	r->feat.read_fixed = r->feat.write_fixed = true;
	r->feat.timeout = r->feat.async_cancel = true;
	io_uring_free_probe(p);
	return 0;
}

/**
 * ring_init() - create the calling thread's ring, best flags first
 * @r:		ring to set up
 * @entries:	submission queue size; the completion queue is 4 times that
 * @err:	one-line explanation on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -errno
 */
int ring_init(struct ring *r, unsigned entries, char *err, size_t errlen)
{
	static const unsigned tries[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
		IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
		0,
	};
	struct io_uring_params p;
	unsigned i;
	int ret = -EINVAL;

	memset(r, 0, sizeof(*r));
	r->wake_fd = -1;
	for (i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		memset(&p, 0, sizeof(p));
		p.flags = tries[i] | IORING_SETUP_CQSIZE;
		p.cq_entries = entries * 4;
		ret = io_uring_queue_init_params(entries, &r->uring, &p);
		/* EINVAL: a flag this kernel does not know; try fewer. */
		if (ret != -EINVAL)
			break;
	}
	if (ret < 0) {
		ring_explain(ret, err, errlen);
		return ret;
	}
	r->setup_flags = p.flags;
	r->entries = entries;
	r->feat.single_issuer = p.flags & IORING_SETUP_SINGLE_ISSUER;
	r->feat.defer_taskrun = p.flags & IORING_SETUP_DEFER_TASKRUN;
	r->feat.coop_taskrun = p.flags & IORING_SETUP_COOP_TASKRUN;
	r->feat.nodrop = p.features & IORING_FEAT_NODROP;

	ret = ring_probe_ops(r, err, errlen);
	if (ret)
		goto out_queue;

	/* Every io_uring_enter() looks the ring's fd up unless it is
	 * registered (5.18+); without, it still works, a little slower. */
	r->feat.ring_fd = io_uring_register_ring_fd(&r->uring) == 1;

	ret = timer_heap_init(&r->timers, RING_TIMERS_MAX);
	if (ret) {
		snprintf(err, errlen, "out of memory for ring timers");
		goto out_queue;
	}

	r->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->wake_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto out_timers;
	}
	return 0;

out_timers:
	timer_heap_free(&r->timers);
out_queue:
	io_uring_queue_exit(&r->uring);
	return ret;
}

/**
 * ring_exit() - tear the ring down; pending requests are cancelled
 * @r:		ring
 */
void ring_exit(struct ring *r)
{
	io_uring_queue_exit(&r->uring);
	timer_heap_free(&r->timers);
	if (r->wake_fd >= 0)
		close(r->wake_fd);
	r->wake_fd = -1;
}

/**
 * ring_features_describe() - the features in force, for logs and stats
 * @f:		features found by ring_init()
 * @buf:	output
 * @len:	size of @buf
 */
void ring_features_describe(const struct ring_features *f, char *buf,
			    size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s",
		 f->defer_taskrun ? "defer_taskrun " : "",
		 f->single_issuer ? "single_issuer " : "",
		 f->coop_taskrun ? "coop_taskrun " : "",
		 f->ring_fd ? "registered_ring " : "",
		 f->sparse_files ? "sparse_files" : "files");
}

/**
 * ring_files_init() - register an empty table of @nr_slots fixed files
 * @r:		ring
 * @nr_slots:	table size
 *
 * Uses a sparse table where the kernel has one (5.19+), else registers an
 * array of -1 entries, which older kernels accept as empty slots.
 *
 * Return: 0 or -errno
 */
int ring_files_init(struct ring *r, unsigned nr_slots)
{
	int *fds, ret;
	unsigned i;

	ret = io_uring_register_files_sparse(&r->uring, nr_slots);
	if (!ret) {
		r->feat.sparse_files = true;
		return 0;
	}
	fds = malloc(nr_slots * sizeof(*fds));
	if (!fds)
		return -ENOMEM;
	for (i = 0; i < nr_slots; i++)
		fds[i] = -1;
	ret = io_uring_register_files(&r->uring, fds, nr_slots);
	free(fds);
	return ret;
}

/**
 * ring_files_set() - put @fd in fixed file @slot, or empty it with -1
 * @r:		ring
 * @slot:	slot in the table
 * @fd:		file descriptor (the ring takes its own reference)
 *
 * Return: 0 or -errno
 */
int ring_files_set(struct ring *r, unsigned slot, int fd)
{
	int ret = io_uring_register_files_update(&r->uring, slot, &fd, 1);

	return ret < 0 ? ret : 0;
}

/**
 * ring_sqe() - a fresh SQE, submitting the queue first if it is full
 * @r:		ring
 *
 * Return: SQE; never NULL unless the kernel refuses submissions entirely
 */
struct io_uring_sqe *ring_sqe(struct ring *r)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r->uring);

	if (!sqe) {
		io_uring_submit(&r->uring);
		sqe = io_uring_get_sqe(&r->uring);
	}
	return sqe;
}

/**
 * ring_wait() - submit what is prepared and collect completions
 * @r:		ring
 * @block:	sleep until at least one completion is there
 *
 * With DEFER_TASKRUN, completions are only produced when the owner enters
 * the kernel asking for events, so a non-blocking call still enters it:
 * that is what a busy-polling worker does between batches.
 *
 * Return: 0 or -errno (-EINTR and -ETIME are not errors here)
 */
int ring_wait(struct ring *r, bool block)
{
	int ret;

	if (block)
		ret = io_uring_submit_and_wait(&r->uring, 1);
	else
		ret = io_uring_submit_and_get_events(&r->uring);
	if (ret == -EINTR || ret == -ETIME || ret == -EAGAIN || ret == -EBUSY)
		return 0;
	return ret < 0 ? ret : 0;
}

/**
 * ring_wake() - wake the thread owning the ring with eventfd @wake_fd
 * @wake_fd:	that ring's wake_fd
 */
void ring_wake(int wake_fd)
{
	uint64_t one = 1;
	ssize_t n;

	/* EAGAIN means the counter is saturated: a wake-up is pending. */
	n = write(wake_fd, &one, sizeof(one));
	(void)n;
}

/**
 * ring_wake_arm() - keep a read armed on the wake-up eventfd
 * @r:		ring
 *
 * Called at start and after every RING_OP_WAKE completion.
 */
void ring_wake_arm(struct ring *r)
{
	struct io_uring_sqe *sqe;

	if (r->wake_armed)
		return;
	sqe = ring_sqe(r);
	if (!sqe)
		return;
	io_uring_prep_read(sqe, r->wake_fd, &r->wake_val, sizeof(r->wake_val),
			   0);
	io_uring_sqe_set_data64(sqe, ring_ud(RING_OP_WAKE, 0, 0));
	r->wake_armed = true;
}

/* Arm an IORING_OP_TIMEOUT for the earliest deadline if none covers it. */
static void ring_timeout_arm(struct ring *r)
{
	struct timer *first = timer_heap_peek(&r->timers);
	struct io_uring_sqe *sqe;
	uint64_t now, delay;

	if (!first)
		return;
	if (r->timeout_armed && r->timeout_deadline <= first->deadline_ns)
		return;
	sqe = ring_sqe(r);
	if (!sqe)
		return;
	now = ring_now_ns();
	delay = first->deadline_ns > now ? first->deadline_ns - now : 0;
	/*
	 * The kernel copies the timespec when it takes the SQE, which is at
	 * our next submission; a second arming before then would overwrite
	 * it, so an earlier deadline replaces the value in place, which is
	 * what we want anyway.
	 */
	r->timeout_ts.tv_sec = (long long)(delay / 1000000000ull);
	r->timeout_ts.tv_nsec = (long long)(delay % 1000000000ull);
	io_uring_prep_timeout(sqe, &r->timeout_ts, 0, 0);
	io_uring_sqe_set_data64(sqe, ring_ud(RING_OP_TIMEOUT, 0, 0));
	r->timeout_armed = true;
	r->timeout_deadline = first->deadline_ns;
}

/**
 * ring_timer_add() - arm @t to fire @delay_ns from now
 * @r:		ring
 * @t:		timer, set up with timer_init()
 * @delay_ns:	delay
 */
void ring_timer_add(struct ring *r, struct timer *t, uint64_t delay_ns)
{
	if (timer_heap_add(&r->timers, t, ring_now_ns() + delay_ns))
		return; /* heap full: sized so this cannot happen */
	ring_timeout_arm(r);
}

/**
 * ring_timer_del() - disarm @t
 * @r:		ring
 * @t:		timer
 */
void ring_timer_del(struct ring *r, struct timer *t)
{
	timer_heap_del(&r->timers, t);
}

/**
 * ring_timers_run() - fire due timers and re-arm the ring's timeout
 * @r:		ring
 */
void ring_timers_run(struct ring *r)
{
	timer_heap_run(&r->timers, ring_now_ns());
	ring_timeout_arm(r);
}

/**
 * ring_timeout_completed() - a RING_OP_TIMEOUT completion arrived
 * @r:		ring
 *
 * More than one timeout may be in flight after earlier deadlines were
 * armed; any of them completing is a reason to look at the heap.
 */
void ring_timeout_completed(struct ring *r)
{
	r->timeout_armed = false;
	ring_timers_run(r);
}
