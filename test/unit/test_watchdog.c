// SPDX-License-Identifier: MIT
/*
 * test_watchdog.c - the systemd watchdog's schedule, its verdict on a
 * worker, and how it reads a thread's state (with real threads: one asleep
 * in io_uring_enter(), one asleep elsewhere, one spinning, one gone)
 */
#include <CUnit/Basic.h>
#include <errno.h>
#include <liburing.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../lib/cunit_run.h"
#include "watchdog.h"

static void test_watchdog_schedule(void)
{
	struct watchdog wd;

	/* No watchdog asked for: the control loop sleeps as it likes. */
	watchdog_init(&wd, 0, 1000);
	CU_ASSERT_EQUAL(wd.period_ms, 0);
	CU_ASSERT_EQUAL(watchdog_timeout_ms(&wd, 1000), -1);

	/* WatchdogSec=30s: every second, a worker wedged after 15 s. */
	watchdog_init(&wd, 30000000, 1000);
	CU_ASSERT_EQUAL(wd.period_ms, 1000);
	CU_ASSERT_EQUAL(wd.stall_ms, 15000);
	CU_ASSERT_EQUAL(watchdog_timeout_ms(&wd, 1000), 0);
	wd.next_ms = 2000;
	CU_ASSERT_EQUAL(watchdog_timeout_ms(&wd, 1250), 750);
	CU_ASSERT_EQUAL(watchdog_timeout_ms(&wd, 2500), 0);

	/* WatchdogSec=2s: a quarter of it, and the stall floor. */
	watchdog_init(&wd, 2000000, 0);
	CU_ASSERT_EQUAL(wd.period_ms, 500);
	CU_ASSERT_EQUAL(wd.stall_ms, WATCHDOG_STALL_MIN_MS);

	/* Shorter than the control loop's tick still gets its due. */
	watchdog_init(&wd, 600000, 0);
	CU_ASSERT_EQUAL(wd.period_ms, 150);
	watchdog_init(&wd, 1000, 0);
	CU_ASSERT_EQUAL(wd.period_ms, 1);
}

static void test_watchdog_judge(void)
{
	struct watchdog_worker ww = { 0 };
	const uint64_t stall = 3000;

	/* First look: nothing to compare with yet. */
	CU_ASSERT_TRUE(watchdog_judge(&ww, 10, WATCHDOG_THREAD_OTHER, 0, stall));
	/* Busy: progress every look. */
	CU_ASSERT_TRUE(watchdog_judge(&ww, 20, WATCHDOG_THREAD_OTHER, 1000, stall));
	CU_ASSERT_TRUE(watchdog_judge(&ww, 30, WATCHDOG_THREAD_OTHER, 2000, stall));
	/* Idle: no progress, but asleep in its ring, for as long as it likes. */
	CU_ASSERT_TRUE(watchdog_judge(&ww, 30, WATCHDOG_THREAD_WAITING, 9000, stall));
	CU_ASSERT_TRUE(watchdog_judge(&ww, 30, WATCHDOG_THREAD_WAITING, 60000, stall));
	/* Not waiting and no progress: fine until the stall limit... */
	CU_ASSERT_TRUE(watchdog_judge(&ww, 30, WATCHDOG_THREAD_OTHER, 61000, stall));
	CU_ASSERT_TRUE(watchdog_judge(&ww, 30, WATCHDOG_THREAD_OTHER, 62999, stall));
	CU_ASSERT_FALSE(ww.wedged);
	/* ...then wedged, and still wedged at the next look. */
	CU_ASSERT_FALSE(watchdog_judge(&ww, 30, WATCHDOG_THREAD_OTHER, 63000, stall));
	CU_ASSERT_TRUE(ww.wedged);
	CU_ASSERT_FALSE(watchdog_judge(&ww, 30, WATCHDOG_THREAD_OTHER, 64000, stall));
	/* Progress again: healthy, and the clock starts over. */
	CU_ASSERT_TRUE(watchdog_judge(&ww, 31, WATCHDOG_THREAD_OTHER, 65000, stall));
	CU_ASSERT_FALSE(ww.wedged);
	CU_ASSERT_TRUE(watchdog_judge(&ww, 31, WATCHDOG_THREAD_OTHER, 67999, stall));
	/* A counter that wraps is still a change. */
	ww.progress = UINT64_MAX;
	CU_ASSERT_TRUE(watchdog_judge(&ww, 0, WATCHDOG_THREAD_OTHER, 80000, stall));
	/* Gone is wedged at once, whatever the counters say. */
	CU_ASSERT_FALSE(watchdog_judge(&ww, 99, WATCHDOG_THREAD_GONE, 80001, stall));
	CU_ASSERT_TRUE(ww.wedged);
}

/* ---- real threads ---------------------------------------------------------- */

static atomic_int thread_tid;
static atomic_bool thread_quit;

static void thread_started(void)
{
	atomic_store(&thread_tid, (int)syscall(SYS_gettid));
}

/* Sleeps in io_uring_enter() until its eventfd is written. */
static void *thread_ring(void *arg)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	uint64_t val;
	int efd = *(int *)arg;

	if (io_uring_queue_init(4, &ring, 0)) {
		atomic_store(&thread_tid, -1);
		return NULL;
	}
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, efd, &val, sizeof(val), 0);
	thread_started();
	io_uring_submit_and_wait(&ring, 1);
	if (!io_uring_peek_cqe(&ring, &cqe))
		io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	return NULL;
}

/* Sleeps in read() until its eventfd is written. */
static void *thread_read(void *arg)
{
	uint64_t val;

	thread_started();
	if (read(*(int *)arg, &val, sizeof(val)) < 0)
		return NULL;
	return NULL;
}

/* Spins without sleeping until told to quit. */
static void *thread_spin(void *arg)
{
	(void)arg;
	thread_started();
	while (!atomic_load(&thread_quit))
		;
	return NULL;
}

/**
 * state_within() - wait up to 5 s for a thread to be seen in state @want
 * @tid:	thread
 * @want:	expected state
 *
 * A thread just started takes a moment to reach the call it sleeps in.
 *
 * Return: the last state seen
 */
static enum watchdog_thread state_within(int tid, enum watchdog_thread want)
{
	enum watchdog_thread st = WATCHDOG_THREAD_OTHER;
	int i;

	for (i = 0; i < 500; i++) {
		st = watchdog_thread_state(tid);
		if (st == want)
			break;
		usleep(10000);
	}
	return st;
}

/**
 * run_thread() - start @fn, wait for its tid, check its state, end it
 * @fn:		thread body, given an eventfd
 * @want:	state it must be seen in
 *
 * Return: its tid (gone by then), or -1 if it could not run
 */
static int run_thread(void *(*fn)(void *), enum watchdog_thread want)
{
	uint64_t one = 1;
	pthread_t th;
	int efd, tid;

	efd = eventfd(0, EFD_CLOEXEC);
	CU_ASSERT_FATAL(efd >= 0);
	atomic_store(&thread_tid, 0);
	atomic_store(&thread_quit, false);
	CU_ASSERT_FATAL(pthread_create(&th, NULL, fn, &efd) == 0);
	while (!(tid = atomic_load(&thread_tid)))
		usleep(1000);
	if (tid > 0)
		CU_ASSERT_EQUAL(state_within(tid, want), want);
	atomic_store(&thread_quit, true);
	CU_ASSERT_EQUAL(write(efd, &one, sizeof(one)), (ssize_t)sizeof(one));
	pthread_join(th, NULL);
	close(efd);
	return tid;
}

static void test_watchdog_threads(void)
{
	int tid;

	/* Ourselves, reading our own state: running. */
	CU_ASSERT_EQUAL(watchdog_thread_state((int)syscall(SYS_gettid)),
			WATCHDOG_THREAD_OTHER);
	/* Nobody. */
	CU_ASSERT_EQUAL(watchdog_thread_state(0), WATCHDOG_THREAD_GONE);
	CU_ASSERT_EQUAL(watchdog_thread_state(-1), WATCHDOG_THREAD_GONE);
	/* A process's own thread only: pid 1 is not one of ours. */
	CU_ASSERT_EQUAL(watchdog_thread_state(1), WATCHDOG_THREAD_GONE);

	/* pthread_join() returns when the thread has cleared its tid, a
	 * moment before the kernel is done with it: its /proc entry may
	 * still show it running (or in D) then, so gone is waited for. */
	tid = run_thread(thread_ring, WATCHDOG_THREAD_WAITING);
	if (tid < 0)
		fprintf(stderr, "\n  (io_uring unavailable: the waiting case is not checked)\n");
	else
		CU_ASSERT_EQUAL(state_within(tid, WATCHDOG_THREAD_GONE),
				WATCHDOG_THREAD_GONE);
	/* Asleep, but not in its ring: not waiting for work. */
	tid = run_thread(thread_read, WATCHDOG_THREAD_OTHER);
	CU_ASSERT_EQUAL(state_within(tid, WATCHDOG_THREAD_GONE),
			WATCHDOG_THREAD_GONE);
	tid = run_thread(thread_spin, WATCHDOG_THREAD_OTHER);
	CU_ASSERT_EQUAL(state_within(tid, WATCHDOG_THREAD_GONE),
			WATCHDOG_THREAD_GONE);
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "keep-alive schedule from WATCHDOG_USEC", test_watchdog_schedule },
		{ "verdict on a worker over time", test_watchdog_judge },
		{ "thread states from /proc", test_watchdog_threads },
	};

	return cunit_run("watchdog", tests, sizeof(tests) / sizeof(tests[0]),
			 NULL, NULL);
}
