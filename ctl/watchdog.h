/* SPDX-License-Identifier: MIT */
/*
 * watchdog.h - systemd watchdog keep-alive, withheld while a worker is
 *		wedged
 *
 * The control loop calls watchdog_run() on every pass and polls with
 * watchdog_poll_timeout(). The rest is exposed for the unit tests.
 */
#ifndef VSTACK_CTL_WATCHDOG_H
#define VSTACK_CTL_WATCHDOG_H

#include <stdbool.h>
#include <stdint.h>

struct vnet;

#define WATCHDOG_MAX_WORKERS 64	   /* VNET_MAX_WORKERS */
#define WATCHDOG_PERIOD_MAX_MS 1000 /* keep-alive at least once a second */
#define WATCHDOG_STALL_MIN_MS 3000  /* > the longest busy-poll (1 s) */

/**
 * enum watchdog_thread - what a worker thread is doing right now
 * @WATCHDOG_THREAD_WAITING:	asleep in io_uring_enter(): waiting for work
 * @WATCHDOG_THREAD_OTHER:	running, runnable, stopped, or asleep
 *				anywhere else
 * @WATCHDOG_THREAD_GONE:	exited
 */
enum watchdog_thread {
	WATCHDOG_THREAD_WAITING,
	WATCHDOG_THREAD_OTHER,
	WATCHDOG_THREAD_GONE,
};

/**
 * struct watchdog_worker - what the watchdog remembers of one worker
 * @progress:	its batches + idle sleeps when last looked at
 * @ok_ms:	when it last progressed or was seen waiting for work
 * @seen:	looked at before
 * @wedged:	judged wedged at the last look
 */
struct watchdog_worker {
	uint64_t progress;
	uint64_t ok_ms;
	bool seen;
	bool wedged;
};

/**
 * struct watchdog - keep-alive schedule and worker history
 * @period_ms:	keep-alive period, 0 if systemd asked for no watchdog
 * @stall_ms:	how long a worker may neither progress nor wait for work
 * @next_ms:	when the next keep-alive is due
 * @withheld:	keep-alives are being withheld (a worker is wedged)
 * @workers:	per worker
 */
struct watchdog {
	uint64_t period_ms;
	uint64_t stall_ms;
	uint64_t next_ms;
	bool withheld;
	struct watchdog_worker workers[WATCHDOG_MAX_WORKERS];
};

void watchdog_init(struct watchdog *wd, uint64_t usec, uint64_t now_ms);
int watchdog_timeout_ms(const struct watchdog *wd, uint64_t now_ms);
bool watchdog_judge(struct watchdog_worker *ww, uint64_t progress,
		    enum watchdog_thread st, uint64_t now_ms, uint64_t stall_ms);
enum watchdog_thread watchdog_thread_state(int tid);

int watchdog_poll_timeout(void);
void watchdog_run(struct vnet *v);

#endif /* VSTACK_CTL_WATCHDOG_H */
