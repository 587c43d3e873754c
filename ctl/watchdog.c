// SPDX-License-Identifier: MIT
/*
 * watchdog.c - systemd watchdog keep-alive, withheld while a worker is
 *		wedged
 *
 * Theory of operation
 *
 * With WatchdogSec= in the unit, systemd expects WATCHDOG=1 within that
 * time (WATCHDOG_USEC) or kills vstackd with SIGABRT and, with
 * Restart=on-failure, starts it again; TAP devices are persistent and are
 * reattached, so a restart is the cure for a daemon that no longer works.
 *
 * What we vouch for with each keep-alive:
 *
 *  - the control thread runs: keep-alives are sent from its loop
 *    (server_run() calls watchdog_run() on every pass and polls no longer
 *    than watchdog_poll_timeout()), so a control thread stuck in a command
 *    sends none;
 *  - no worker is wedged. A worker is healthy when, since the last look,
 *    its batches or idle sleeps moved (it is working, or went to sleep
 *    after working), or when it is asleep in io_uring_enter() right now
 *    (waiting for a frame, a timer or a command: an idle worker on an idle
 *    host is fine). A worker that has done neither for stall_ms is wedged:
 *    spinning without completing a batch, stopped, blocked anywhere other
 *    than its ring, or gone. While any worker is wedged, keep-alives are
 *    withheld, the error is logged once and STATUS= says which worker;
 *    if it recovers before systemd acts, keep-alives resume.
 *
 * "Asleep in io_uring_enter()" is read from /proc/self/task/TID: state S
 * in stat, and the system call number in syscall. Where the syscall file
 * cannot be read (a kernel without it), state S alone counts as waiting,
 * which misses a worker deadlocked on a futex. A worker that sleeps in its
 * ring when it should not (a lost wake-up) looks idle and is not caught;
 * a command the control thread sends it then waits forever, which stops
 * the keep-alives through the first rule.
 *
 * stall_ms is half of WatchdogSec, at least WATCHDOG_STALL_MIN_MS: a worker
 * legitimately shows no progress while it busy-polls (at most 1 s, the
 * busy-poll limit) or while the scheduler leaves it waiting for a CPU.
 * A wedged worker is thus acted upon after stall_ms + WatchdogSec.
 *
 * Keep-alives go out every WatchdogSec / 4, at most WATCHDOG_PERIOD_MAX_MS
 * apart: systemd asks for at least every half period, and a quarter
 * leaves room for a control-loop pass that takes a while. This also
 * handles a WatchdogSec below 2 s, shorter than the control loop's 1 s
 * tick: the keep-alive has its own schedule, through the poll timeout.
 *
 * Nothing here runs unless systemd asked for a watchdog (notify.c): then
 * watchdog_poll_timeout() is -1 and watchdog_run() returns at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"
#include "vnet.h"
#include "watchdog.h"

_Static_assert(WATCHDOG_MAX_WORKERS >= VNET_MAX_WORKERS,
	       "the watchdog must follow every worker");

/**
 * watchdog_init() - set the schedule from systemd's watchdog deadline
 * @wd:		watchdog
 * @usec:	WATCHDOG_USEC, 0 for no watchdog
 * @now_ms:	current time
 */
void watchdog_init(struct watchdog *wd, uint64_t usec, uint64_t now_ms)
{
	memset(wd, 0, sizeof(*wd));
	if (!usec)
		return;
	wd->period_ms = usec / 4000;
	if (wd->period_ms > WATCHDOG_PERIOD_MAX_MS)
		wd->period_ms = WATCHDOG_PERIOD_MAX_MS;
	if (!wd->period_ms)
		wd->period_ms = 1;
	wd->stall_ms = usec / 2000;
	if (wd->stall_ms < WATCHDOG_STALL_MIN_MS)
		wd->stall_ms = WATCHDOG_STALL_MIN_MS;
	/* The first keep-alive goes out on the first pass. */
	wd->next_ms = now_ms;
}

/**
 * watchdog_timeout_ms() - how long the control loop may sleep
 * @wd:		watchdog
 * @now_ms:	current time
 *
 * Return: milliseconds until the next keep-alive is due (0 if it is), or
 * -1 (sleep as long as you like) without a watchdog
 */
int watchdog_timeout_ms(const struct watchdog *wd, uint64_t now_ms)
{
	if (!wd->period_ms)
		return -1;
	if (now_ms >= wd->next_ms)
		return 0;
	return (int)(wd->next_ms - now_ms);
}

/**
 * watchdog_judge() - is this worker healthy?
 * @ww:		what we remember of it; updated
 * @progress:	its batches + idle sleeps now
 * @st:		what its thread is doing now
 * @now_ms:	current time
 * @stall_ms:	how long it may neither progress nor wait for work
 *
 * Return: false if it is wedged (also sets @ww->wedged)
 */
bool watchdog_judge(struct watchdog_worker *ww, uint64_t progress,
		    enum watchdog_thread st, uint64_t now_ms, uint64_t stall_ms)
{
	if (st == WATCHDOG_THREAD_GONE) {
		ww->wedged = true;
		return false;
	}
	if (!ww->seen || progress != ww->progress ||
	    st == WATCHDOG_THREAD_WAITING) {
		ww->seen = true;
		ww->progress = progress;
		ww->ok_ms = now_ms;
		ww->wedged = false;
		return true;
	}
	ww->wedged = now_ms - ww->ok_ms >= stall_ms;
	return !ww->wedged;
}

/**
 * watchdog_read() - read a small /proc file
 * @path:	file
 * @buf:	result, NUL-terminated
 * @len:	size of @buf
 *
 * Return: 0, or -errno
 */
static int watchdog_read(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		rc = -errno;
	else
		buf[n] = '\0';
	close(fd);
	return rc;
}

/**
 * watchdog_thread_state() - what one of our threads is doing right now
 * @tid:	thread id
 *
 * Return: WATCHDOG_THREAD_WAITING if it sleeps in io_uring_enter(),
 * WATCHDOG_THREAD_GONE if it exited, WATCHDOG_THREAD_OTHER otherwise
 */
enum watchdog_thread watchdog_thread_state(int tid)
{
	char path[64], buf[512], *p, *end;
	long nr;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	if (tid <= 0 || watchdog_read(path, buf, sizeof(buf)))
		return WATCHDOG_THREAD_GONE;
	/* The name may hold spaces and parentheses: the state follows
	 * the last ')'. */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		return WATCHDOG_THREAD_OTHER;
	if (p[2] == 'Z' || p[2] == 'X')
		return WATCHDOG_THREAD_GONE;
	if (p[2] != 'S')
		return WATCHDOG_THREAD_OTHER;

	/* "NR ARGS... SP PC" while blocked in a system call, "running" or
	 * "-1 SP PC" otherwise. */
	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	if (watchdog_read(path, buf, sizeof(buf)))
		return WATCHDOG_THREAD_WAITING; /* no such file: see above */
	nr = strtol(buf, &end, 10);
	if (end == buf)
		return WATCHDOG_THREAD_OTHER;
	return nr == SYS_io_uring_enter ? WATCHDOG_THREAD_WAITING
					: WATCHDOG_THREAD_OTHER;
}

/* ---- the daemon's watchdog, driven by the control loop ------------------- */

static struct watchdog watchdog_main;
static bool watchdog_main_init;

/**
 * watchdog_now_ms() - CLOCK_MONOTONIC in milliseconds
 *
 * Return: current time
 */
static uint64_t watchdog_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/**
 * watchdog_get() - the daemon's watchdog, set up on first use
 *
 * notify_init() has run by then: the control loop starts after it.
 *
 * Return: the watchdog
 */
static struct watchdog *watchdog_get(void)
{
	if (!watchdog_main_init) {
		watchdog_init(&watchdog_main, notify_watchdog_usec(),
			      watchdog_now_ms());
		watchdog_main_init = true;
		if (watchdog_main.period_ms)
			log_info("systemd watchdog: %llu ms, keep-alive every %llu ms, a worker stalled for %llu ms counts as wedged",
				 (unsigned long long)(notify_watchdog_usec() / 1000),
				 (unsigned long long)watchdog_main.period_ms,
				 (unsigned long long)watchdog_main.stall_ms);
	}
	return &watchdog_main;
}

/**
 * watchdog_poll_timeout() - poll() timeout for the control loop
 *
 * Return: milliseconds until the next keep-alive is due, -1 for none
 */
int watchdog_poll_timeout(void)
{
	struct watchdog *wd = watchdog_get();

	if (!wd->period_ms)
		return -1;
	return watchdog_timeout_ms(wd, watchdog_now_ms());
}

/**
 * struct watchdog_pass - one look at every worker
 * @wd:		watchdog
 * @now_ms:	time of the look
 * @bad:	a wedged worker, or -1
 * @bad_cpu:	its CPU
 * @bad_tid:	its thread
 */
struct watchdog_pass {
	struct watchdog *wd;
	uint64_t now_ms;
	int bad;
	int bad_cpu;
	int bad_tid;
};

/**
 * watchdog_look() - judge one worker (vnet_worker_foreach() callback)
 * @w:		its figures
 * @ctx:	struct watchdog_pass
 */
static void watchdog_look(const struct vnet_worker_info *w, void *ctx)
{
	struct watchdog_pass *pass = ctx;
	struct watchdog *wd = pass->wd;
	struct watchdog_worker *ww;
	bool was;

	if (w->id >= WATCHDOG_MAX_WORKERS)
		return;
	ww = &wd->workers[w->id];
	was = ww->wedged;
	if (watchdog_judge(ww, w->batches + w->idle_sleeps,
			   watchdog_thread_state(w->tid), pass->now_ms,
			   wd->stall_ms)) {
		if (was)
			log_info("worker %u (CPU %d, thread %d) makes progress again",
				 w->id, w->cpu, w->tid);
		return;
	}
	if (!was)
		log_err("worker %u (CPU %d, thread %d) has made no progress for %llu ms and is not waiting for work: withholding the systemd watchdog keep-alive",
			w->id, w->cpu, w->tid,
			(unsigned long long)(pass->now_ms - ww->ok_ms));
	if (pass->bad < 0) {
		pass->bad = (int)w->id;
		pass->bad_cpu = w->cpu;
		pass->bad_tid = w->tid;
	}
}

/**
 * watchdog_run() - send the keep-alive if it is due and every worker is fine
 * @v:		the switch
 *
 * Cheap when nothing is due (one clock read): call it on every pass of the
 * control loop.
 */
void watchdog_run(struct vnet *v)
{
	struct watchdog *wd = watchdog_get();
	struct watchdog_pass pass = { .wd = wd, .bad = -1 };

	if (!wd->period_ms)
		return;
	pass.now_ms = watchdog_now_ms();
	if (pass.now_ms < wd->next_ms)
		return;
	/* Keep to the schedule; after a long pass, start afresh from now. */
	wd->next_ms += wd->period_ms;
	if (wd->next_ms <= pass.now_ms)
		wd->next_ms = pass.now_ms + wd->period_ms;

	vnet_worker_foreach(v, watchdog_look, &pass);
	if (pass.bad >= 0) {
		if (!wd->withheld)
			notify_status("Worker %d (CPU %d, thread %d) wedged: watchdog keep-alive withheld",
				      pass.bad, pass.bad_cpu, pass.bad_tid);
		wd->withheld = true;
		return;
	}
	if (wd->withheld) {
		wd->withheld = false;
		notify_status_ready();
	}
	notify_watchdog();
}
