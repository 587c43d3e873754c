// SPDX-License-Identifier: MIT
/*
 * test_ring.c - CUnit suites for ring/: timer heap, buffer arena, and a
 * live ring doing fixed-buffer I/O, timers and cross-thread wake-ups
 */
#include <CUnit/Basic.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "ring.h"
#include "timer.h"

/* ---- timer heap ------------------------------------------------------ */

static unsigned fired_order[64], nfired;

static void test_timer_fn(struct timer *t, uint64_t now)
{
	(void)now;
	fired_order[nfired++] = (unsigned)t->deadline_ns;
}

static void test_timer_order(void)
{
	struct timer_heap h;
	struct timer t[32];
	unsigned i;

	CU_ASSERT_FATAL(timer_heap_init(&h, 32) == 0);
	nfired = 0;
	/* Deadlines in a scrambled order: 7*i mod 32 visits all of 0..31. */
	for (i = 0; i < 32; i++) {
		timer_init(&t[i], test_timer_fn);
		CU_ASSERT(timer_heap_add(&h, &t[i], (7 * i) % 32 + 1) == 0);
	}
	CU_ASSERT(timer_heap_peek(&h)->deadline_ns == 1);
	CU_ASSERT(timer_heap_run(&h, 16) == 16);
	CU_ASSERT(timer_heap_run(&h, 100) == 16);
	for (i = 0; i < 32; i++)
		CU_ASSERT(fired_order[i] == i + 1);
	CU_ASSERT(timer_heap_peek(&h) == NULL);
	timer_heap_free(&h);
}

static void test_timer_del_rearm(void)
{
	struct timer_heap h;
	struct timer a, b, c;

	CU_ASSERT_FATAL(timer_heap_init(&h, 2) == 0);
	timer_init(&a, test_timer_fn);
	timer_init(&b, test_timer_fn);
	timer_init(&c, test_timer_fn);
	nfired = 0;
	CU_ASSERT(timer_heap_add(&h, &a, 10) == 0);
	CU_ASSERT(timer_heap_add(&h, &b, 20) == 0);
	CU_ASSERT(timer_heap_add(&h, &c, 30) == -ENOSPC);
	CU_ASSERT(!timer_armed(&c));
	/* Re-arming moves, it does not duplicate. */
	CU_ASSERT(timer_heap_add(&h, &a, 25) == 0);
	CU_ASSERT(h.n == 2);
	timer_heap_del(&h, &b);
	CU_ASSERT(!timer_armed(&b));
	timer_heap_del(&h, &b); /* twice is harmless */
	CU_ASSERT(timer_heap_run(&h, 24) == 0);
	CU_ASSERT(timer_heap_run(&h, 25) == 1);
	CU_ASSERT(nfired == 1 && fired_order[0] == 25);
	timer_heap_free(&h);
}

/* ---- arena ----------------------------------------------------------- */

static void test_arena_get_put(void)
{
	struct arena a;
	int ids[8], i;

	CU_ASSERT_FATAL(arena_init(&a, 8, ARENA_BUF_SIZE) == 0);
	CU_ASSERT(a.buf_size >= 65536 + 12 + 18);
	for (i = 0; i < 8; i++) {
		ids[i] = arena_get(&a);
		CU_ASSERT(ids[i] >= 0 && ids[i] < 8);
	}
	CU_ASSERT(arena_get(&a) == -ENOBUFS);
	/* Buffers are distinct and do not overlap. */
	for (i = 1; i < 8; i++)
		CU_ASSERT(arena_buf(&a, (uint32_t)ids[i]) !=
			  arena_buf(&a, (uint32_t)ids[0]));
	memset(arena_buf(&a, (uint32_t)ids[7]), 0xab, a.buf_size);

	/* A flooded buffer returns only with its last reference. */
	arena_ref(&a, (uint32_t)ids[3]);
	arena_ref(&a, (uint32_t)ids[3]);
	CU_ASSERT(arena_put(&a, (uint32_t)ids[3]) == 0);
	CU_ASSERT(arena_put(&a, (uint32_t)ids[3]) == 0);
	CU_ASSERT(arena_get(&a) == -ENOBUFS);
	CU_ASSERT(arena_put(&a, (uint32_t)ids[3]) == 1);
	/* LIFO: the buffer just freed (still in cache) comes back first. */
	CU_ASSERT(arena_get(&a) == ids[3]);
	for (i = 0; i < 8; i++)
		CU_ASSERT(arena_put(&a, (uint32_t)ids[i]) == 1);
	CU_ASSERT(a.nfree == 8);
	arena_free(&a);
}

static void test_arena_invalid(void)
{
	struct arena a;

	CU_ASSERT(arena_init(&a, 0, ARENA_BUF_SIZE) == -EINVAL);
	CU_ASSERT(arena_init(&a, 1u << 25, ARENA_BUF_SIZE) == -EINVAL);
	CU_ASSERT(arena_init(&a, 4, 0) == -EINVAL);
}

/* ---- live ring ------------------------------------------------------- */

static void test_ring_fixed_io(void)
{
	char err[RING_ERRLEN] = "";
	struct io_uring_cqe *cqe;
	struct arena a;
	struct ring r;
	int pfd[2], wbuf, rbuf, i, ret, seen, guard;
	uint8_t *w, *rd;

	ret = ring_init(&r, 64, err, sizeof(err));
	CU_ASSERT_FATAL(ret == 0);
	CU_ASSERT(r.feat.read_fixed && r.feat.write_fixed);
	CU_ASSERT_FATAL(arena_init(&a, 4, ARENA_BUF_SIZE) == 0);
	CU_ASSERT_FATAL(arena_register(&a, &r, err, sizeof(err)) == 0);
	CU_ASSERT_FATAL(ring_files_init(&r, 8) == 0);
	CU_ASSERT_FATAL(pipe(pfd) == 0);
	CU_ASSERT(ring_files_set(&r, 0, pfd[0]) == 0);
	CU_ASSERT(ring_files_set(&r, 1, pfd[1]) == 0);

	wbuf = arena_get(&a);
	rbuf = arena_get(&a);
	w = arena_buf(&a, (uint32_t)wbuf);
	rd = arena_buf(&a, (uint32_t)rbuf);
	for (i = 0; i < 1000; i++)
		w[i] = (uint8_t)(i * 7);

	{
		struct io_uring_sqe *sqe = ring_sqe(&r);

		io_uring_prep_write_fixed(sqe, 1, w, 1000, 0, 0);
		sqe->flags |= IOSQE_FIXED_FILE;
		io_uring_sqe_set_data64(sqe, ring_ud(RING_OP_USER, 5, 77));
		sqe = ring_sqe(&r);
		io_uring_prep_read_fixed(sqe, 0, rd, 4096, 0, 0);
		sqe->flags |= IOSQE_FIXED_FILE;
		io_uring_sqe_set_data64(sqe, ring_ud(RING_OP_USER + 1, 6, 78));
	}
	for (seen = 0, guard = 0; seen < 2 && guard < 10; guard++) {
		CU_ASSERT_FATAL(ring_wait(&r, true) == 0);
		while (!io_uring_peek_cqe(&r.uring, &cqe)) {
			uint64_t ud = io_uring_cqe_get_data64(cqe);

			CU_ASSERT(cqe->res == 1000);
			if (ring_ud_op(ud) == RING_OP_USER) {
				CU_ASSERT(ring_ud_buf(ud) == 5 &&
					  ring_ud_obj(ud) == 77);
			} else {
				CU_ASSERT(ring_ud_buf(ud) == 6 &&
					  ring_ud_obj(ud) == 78);
			}
			io_uring_cqe_seen(&r.uring, cqe);
			seen++;
		}
	}
	CU_ASSERT(seen == 2);
	CU_ASSERT(memcmp(w, rd, 1000) == 0);
	close(pfd[0]);
	close(pfd[1]);
	ring_exit(&r);
	arena_free(&a);
}

static unsigned timer_hits;

static void test_ring_timer_fn(struct timer *t, uint64_t now)
{
	(void)t;
	(void)now;
	timer_hits++;
}

static void *test_waker(void *arg)
{
	usleep(20000);
	ring_wake(*(int *)arg);
	return NULL;
}

static void test_ring_timers_and_wake(void)
{
	char err[RING_ERRLEN] = "";
	struct io_uring_cqe *cqe;
	struct timer t1, t2;
	struct ring r;
	pthread_t th;
	uint64_t start;
	bool woken = false;
	int guard;

	CU_ASSERT_FATAL(ring_init(&r, 64, err, sizeof(err)) == 0);
	timer_init(&t1, test_ring_timer_fn);
	timer_init(&t2, test_ring_timer_fn);
	timer_hits = 0;
	start = ring_now_ns();
	ring_timer_add(&r, &t1, 30 * 1000000ull);
	/* An earlier timer armed after a later one still fires first. */
	ring_timer_add(&r, &t2, 5 * 1000000ull);
	ring_wake_arm(&r);
	CU_ASSERT_FATAL(pthread_create(&th, NULL, test_waker, &r.wake_fd) ==
			0);
	for (guard = 0; guard < 100 && (timer_hits < 2 || !woken); guard++) {
		CU_ASSERT_FATAL(ring_wait(&r, true) == 0);
		while (!io_uring_peek_cqe(&r.uring, &cqe)) {
			uint64_t ud = io_uring_cqe_get_data64(cqe);

			if (ring_ud_op(ud) == RING_OP_TIMEOUT) {
				ring_timeout_completed(&r);
				if (timer_hits == 1) {
					CU_ASSERT(!timer_armed(&t2) &&
						  timer_armed(&t1));
				}
			} else if (ring_ud_op(ud) == RING_OP_WAKE) {
				woken = true;
				r.wake_armed = false;
			}
			io_uring_cqe_seen(&r.uring, cqe);
		}
	}
	pthread_join(th, NULL);
	CU_ASSERT(timer_hits == 2);
	CU_ASSERT(woken);
	CU_ASSERT(ring_now_ns() - start >= 30 * 1000000ull);
	ring_exit(&r);
}

static void test_ring_features_text(void)
{
	struct ring_features f = { .defer_taskrun = true,
				   .single_issuer = true };
	char buf[128];

	ring_features_describe(&f, buf, sizeof(buf));
	CU_ASSERT(strstr(buf, "defer_taskrun") != NULL);
	CU_ASSERT(strstr(buf, "coop_taskrun") == NULL);
}

static void test_ring_ud(void)
{
	uint64_t ud = ring_ud(200, 0xabcdef, 0xfeedbeef);

	CU_ASSERT(ring_ud_op(ud) == 200);
	CU_ASSERT(ring_ud_buf(ud) == 0xabcdef);
	CU_ASSERT(ring_ud_obj(ud) == 0xfeedbeef);
}

int main(void)
{
	CU_pSuite s;
	unsigned fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("timer", NULL, NULL);
	CU_add_test(s, "order", test_timer_order);
	CU_add_test(s, "del_rearm", test_timer_del_rearm);
	s = CU_add_suite("arena", NULL, NULL);
	CU_add_test(s, "get_put_ref", test_arena_get_put);
	CU_add_test(s, "invalid", test_arena_invalid);
	s = CU_add_suite("ring", NULL, NULL);
	CU_add_test(s, "user_data", test_ring_ud);
	CU_add_test(s, "features_text", test_ring_features_text);
	CU_add_test(s, "fixed_io", test_ring_fixed_io);
	CU_add_test(s, "timers_and_wake", test_ring_timers_and_wake);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
