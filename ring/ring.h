/* SPDX-License-Identifier: MIT */
/*
 * ring.h - the io_uring engine: one ring per thread
 *
 * A worker owns one ring. ring_init() probes what the running kernel offers
 * and steps down through the set-up flags until one is accepted:
 *
 *   SINGLE_ISSUER|DEFER_TASKRUN (6.1+): completions are produced only when we
 *       ask for them, on our own thread, no IPIs, no interruptions;
 *   COOP_TASKRUN|TASKRUN_FLAG (5.19+): no IPI to run task work;
 *   none: works on any kernel with io_uring (5.6+ for the opcodes we use).
 *
 * When io_uring cannot be used at all, the error string names the cause
 * (kernel built without it, kernel.io_uring_disabled, seccomp or an LSM).
 *
 * user_data carries everything a completion needs in one 64-bit word:
 * the operation (8 bits), a buffer id (24 bits) and an object index (32
 * bits, typically a port slot). ring_ud() packs it, ring_ud_*() unpack it.
 */
#ifndef VSTACK_RING_H
#define VSTACK_RING_H

#include <liburing.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "timer.h"

/* Operations reserved by ring itself; users start at RING_OP_USER. */
enum {
	RING_OP_NONE = 0,
	RING_OP_TIMEOUT = 1, /* the timer wheel's single IORING_OP_TIMEOUT */
	RING_OP_WAKE = 2,    /* read on the cross-thread wake-up eventfd */
	RING_OP_CANCEL = 3,  /* async cancel requests: result ignored */
	RING_OP_USER = 16,
};

/**
 * struct ring_features - what ring_init() found the kernel supports
 */
struct ring_features {
	bool single_issuer;
	bool defer_taskrun;
	bool coop_taskrun;
	bool nodrop;       /* IORING_FEAT_NODROP: CQ overflow is not lost */
	bool sparse_files; /* IORING_REGISTER_FILES2 sparse tables (5.19+) */
	bool ring_fd;      /* the ring's own fd is registered (5.18+) */
	bool read_fixed;   /* opcodes, from the probe */
	bool write_fixed;
	bool async_cancel;
	bool timeout;
};

/**
 * struct ring - one thread's io_uring plus its timers and wake-up eventfd
 */
struct ring {
	struct io_uring uring;
	struct ring_features feat;
	unsigned setup_flags;
	unsigned entries;
	int wake_fd;         /* eventfd other threads write to wake us */
	uint64_t wake_val;   /* target of the armed eventfd read */
	bool wake_armed;
	struct timer_heap timers;
	bool timeout_armed;
	uint64_t timeout_deadline; /* deadline of the armed timeout, ns */
	struct __kernel_timespec timeout_ts;
};

#define RING_ERRLEN 256

int ring_init(struct ring *r, unsigned entries, char *err, size_t errlen);
void ring_exit(struct ring *r);
void ring_features_describe(const struct ring_features *f, char *buf,
			    size_t len);

int ring_files_init(struct ring *r, unsigned nr_slots);
int ring_files_set(struct ring *r, unsigned slot, int fd);

struct io_uring_sqe *ring_sqe(struct ring *r);
int ring_wait(struct ring *r, bool block);

void ring_wake(int wake_fd);
void ring_wake_arm(struct ring *r);

void ring_timer_add(struct ring *r, struct timer *t, uint64_t delay_ns);
void ring_timer_del(struct ring *r, struct timer *t);
void ring_timers_run(struct ring *r);
void ring_timeout_completed(struct ring *r);

uint64_t ring_now_ns(void);

static inline uint64_t ring_ud(unsigned op, uint32_t buf, uint32_t obj)
{
	return (uint64_t)(op & 0xff) | ((uint64_t)(buf & 0xffffff) << 8) |
	       ((uint64_t)obj << 32);
}

static inline unsigned ring_ud_op(uint64_t ud)
{
	return ud & 0xff;
}

static inline uint32_t ring_ud_buf(uint64_t ud)
{
	return (ud >> 8) & 0xffffff;
}

static inline uint32_t ring_ud_obj(uint64_t ud)
{
	return ud >> 32;
}

#endif /* VSTACK_RING_H */
