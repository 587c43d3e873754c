// SPDX-License-Identifier: MIT
/*
 * test_tbucket.c - unit tests of the token bucket (cgroups/tbucket.h)
 *
 * A fake clock in nanoseconds drives one bucket at a time: what it holds
 * after time passes, that slow rates are not lost to rounding, debt and
 * when it is paid back, and rates and gaps big enough to overflow 64-bit
 * arithmetic.
 */
#include <stdint.h>

#include <CUnit/CUnit.h>

#include "../lib/cunit_run.h"
#include "tbucket.h"

#define MS 1000000ull
#define S  TBUCKET_NS

/* Starts full; refills at the rate, never beyond the burst. */
static void test_tbucket_refill(void)
{
	struct tbucket b;
	int i;

	tbucket_init(&b, 100, 10, 5 * S);
	for (i = 0; i < 10; i++)
		CU_ASSERT_TRUE(tbucket_try(&b, 1, 5 * S));
	CU_ASSERT_FALSE(tbucket_try(&b, 1, 5 * S));
	CU_ASSERT_EQUAL(b.tokens, 0);
	/* one token every 10 ms */
	CU_ASSERT_FALSE(tbucket_try(&b, 1, 5 * S + 10 * MS - 1));
	CU_ASSERT_TRUE(tbucket_try(&b, 1, 5 * S + 10 * MS));
	CU_ASSERT_FALSE(tbucket_try(&b, 1, 5 * S + 10 * MS));
	/* a long pause fills it, no further */
	tbucket_refill(&b, 3600 * S);
	CU_ASSERT_EQUAL(b.tokens, 10);
	/* a failed try takes nothing */
	CU_ASSERT_FALSE(tbucket_try(&b, 11, 3600 * S));
	CU_ASSERT_EQUAL(b.tokens, 10);
	CU_ASSERT_TRUE(tbucket_try(&b, 10, 3600 * S));
	CU_ASSERT_EQUAL(b.tokens, 0);
}

/* A clock that goes back earns nothing, and loses nothing either. */
static void test_tbucket_clock_back(void)
{
	struct tbucket b;

	tbucket_init(&b, 1000, 5, 10 * S);
	CU_ASSERT_TRUE(tbucket_try(&b, 5, 10 * S));
	CU_ASSERT_FALSE(tbucket_try(&b, 1, 1 * S));
	CU_ASSERT_EQUAL(b.stamp_ns, 10 * S);
	CU_ASSERT_TRUE(tbucket_try(&b, 1, 10 * S + MS));
}

/* Refills every 1 ms at 300 a second: the 0.3 tokens each brings add up
 * (the bucket is never full, which would rightly waste the time). */
static void test_tbucket_fraction(void)
{
	struct tbucket b;
	uint64_t t;
	unsigned got = 0;

	tbucket_init(&b, 300, 10, 0);
	CU_ASSERT_TRUE(tbucket_try(&b, 10, 0));
	for (t = 1; t <= 1000; t++)
		got += tbucket_try(&b, 1, t * MS);
	CU_ASSERT_EQUAL(got, 300);
	/* 7 a second, refilled every 1 ns for a while, then every ms */
	tbucket_init(&b, 7, 10, 0);
	CU_ASSERT_TRUE(tbucket_try(&b, 10, 0));
	got = 0;
	for (t = 1; t <= 100000; t++)
		got += tbucket_try(&b, 1, t);
	for (t = 1; t <= 2000; t++)
		got += tbucket_try(&b, 1, t * MS);
	CU_ASSERT_EQUAL(got, 14);
}

/* Taking beyond what it holds is debt, paid back at the rate. */
static void test_tbucket_debt(void)
{
	struct tbucket b;
	uint64_t ready;

	tbucket_init(&b, 1000, 100, 0);
	CU_ASSERT_EQUAL(tbucket_ready_ns(&b), 0);
	CU_ASSERT_TRUE(tbucket_take(&b, 100, 0));
	CU_ASSERT_EQUAL(tbucket_ready_ns(&b), 0);
	CU_ASSERT_FALSE(tbucket_take(&b, 250, 0));
	CU_ASSERT_EQUAL(b.tokens, -250);
	ready = tbucket_ready_ns(&b);
	CU_ASSERT_EQUAL(ready, 250 * MS);
	/* not yet at 1 ns before; out of debt exactly then */
	tbucket_refill(&b, ready - 1);
	CU_ASSERT(b.tokens < 0);
	CU_ASSERT_EQUAL(tbucket_ready_ns(&b), ready);
	tbucket_refill(&b, ready);
	CU_ASSERT_EQUAL(b.tokens, 0);
	CU_ASSERT_EQUAL(tbucket_ready_ns(&b), 0);
	/* a rate that does not divide a second: ready is rounded up */
	tbucket_init(&b, 3, 1, 0);
	CU_ASSERT_FALSE(tbucket_take(&b, 2, 0));
	ready = tbucket_ready_ns(&b);
	CU_ASSERT_EQUAL(ready, S / 3 + 1);
	tbucket_refill(&b, ready);
	CU_ASSERT_EQUAL(b.tokens, 0);
	/* debt with no rate is never paid */
	tbucket_init(&b, 0, 1, 0);
	CU_ASSERT_FALSE(tbucket_take(&b, 2, 0));
	tbucket_refill(&b, 100 * S);
	CU_ASSERT_EQUAL(b.tokens, -1);
	CU_ASSERT_EQUAL(tbucket_ready_ns(&b), UINT64_MAX);
	/* debt stops short of wrapping */
	tbucket_init(&b, 1, 1, 0);
	CU_ASSERT_FALSE(tbucket_take(&b, 1ull << 62, 0));
	CU_ASSERT_FALSE(tbucket_take(&b, 1ull << 62, 0));
	CU_ASSERT(b.tokens < 0);
	CU_ASSERT(b.tokens >= INT64_MIN / 2);
	CU_ASSERT_EQUAL(tbucket_ready_ns(&b), UINT64_MAX);
}

/* Rate caps up to 2^40 bytes a second (vstackctl --rate accepts them) and
 * gaps of years: 64-bit products would overflow. */
static void test_tbucket_big(void)
{
	const uint64_t rate = 1ull << 40, burst = rate / 500; /* 2 ms */
	struct tbucket b;

	tbucket_init(&b, rate, burst, 0);
	CU_ASSERT_TRUE(tbucket_take(&b, burst, 0));
	/* 1 ms earns half the burst */
	tbucket_refill(&b, MS);
	CU_ASSERT_EQUAL(b.tokens, (int64_t)(rate / 1000));
	/* a second and a year both just fill it */
	tbucket_refill(&b, MS + S);
	CU_ASSERT_EQUAL(b.tokens, (int64_t)burst);
	CU_ASSERT_FALSE(tbucket_take(&b, 3 * burst, MS + S));
	CU_ASSERT_EQUAL(tbucket_ready_ns(&b), MS + S + 4 * MS);
	tbucket_refill(&b, 365ull * 86400 * S);
	CU_ASSERT_EQUAL(b.tokens, (int64_t)burst);
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "refill up to the burst", test_tbucket_refill },
		{ "clock going back", test_tbucket_clock_back },
		{ "fractions of a token kept", test_tbucket_fraction },
		{ "debt and when it is paid", test_tbucket_debt },
		{ "big rates and long gaps", test_tbucket_big },
	};

	return cunit_run("tbucket", tests, sizeof(tests) / sizeof(tests[0]),
			 NULL, NULL);
}
