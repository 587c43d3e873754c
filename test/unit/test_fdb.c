// SPDX-License-Identifier: MIT
/*
 * test_fdb.c - unit tests of the forwarding database (vnet/fdb.c)
 *
 * Fixed cases for each rule (learn, move, aging boundary, clock wrap,
 * limit, flush), a randomized comparison against the reference model in
 * test/lib/fdb_model.h, and a concurrency test that checks lookups never
 * return a port an address was not assigned to.
 */

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

#include "fdb.h"
#include "../lib/fdb_model.h"

/**
 * test_mac() - build a unicast address from a number
 * @mac:	filled in
 * @n:		number, in the low octets (02:xx: locally administered)
 */
static void test_mac(uint8_t mac[6], uint32_t n)
{
	mac[0] = 0x02;
	mac[1] = 0x00;
	mac[2] = (uint8_t)(n >> 24);
	mac[3] = (uint8_t)(n >> 16);
	mac[4] = (uint8_t)(n >> 8);
	mac[5] = (uint8_t)n;
}

/**
 * test_rand() - xorshift64* pseudo-random numbers, reproducible
 * @s:		state, not zero
 *
 * Return: next number
 */
static uint64_t test_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/**
 * test_fdb_create() - invalid limits are refused, destroy takes NULL
 */
static void test_fdb_create(void)
{
	struct fdb *f;

	errno = 0;
	CU_ASSERT_PTR_NULL(fdb_create(0, 1000));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(fdb_create((1U << 24) + 1, 1000));
	f = fdb_create(1, 1000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fdb_destroy(f);
	fdb_destroy(NULL);
}

/**
 * test_fdb_learn_lookup() - learn, refresh, lookup, non-learnable sources
 */
static void test_fdb_learn_lookup(void)
{
	uint8_t a[6], b[6], bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
	uint8_t zero[6] = {0};
	struct fdb_stats st;
	struct fdb *f;

	test_mac(a, 1);
	test_mac(b, 2);
	f = fdb_create(16, 300000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);

	CU_ASSERT_EQUAL(fdb_lookup(f, a, 0), -1);
	CU_ASSERT_EQUAL(fdb_learn(f, a, 1, 10), FDB_LEARN_NEW);
	CU_ASSERT_EQUAL(fdb_lookup(f, a, 10), 1);
	CU_ASSERT_EQUAL(fdb_lookup(f, b, 10), -1);
	CU_ASSERT_EQUAL(fdb_learn(f, a, 1, 20), FDB_LEARN_REFRESH);
	CU_ASSERT_EQUAL(fdb_learn(f, a, 1, 20), FDB_LEARN_REFRESH);
	CU_ASSERT_EQUAL(fdb_learn(f, b, 0, 20), FDB_LEARN_NEW);
	CU_ASSERT_EQUAL(fdb_lookup(f, b, 20), 0);

	/* Never learned: group addresses, all-zeros, port NONE */
	CU_ASSERT_EQUAL(fdb_learn(f, bcast, 3, 30), FDB_LEARN_REFRESH);
	CU_ASSERT_EQUAL(fdb_learn(f, mcast, 3, 30), FDB_LEARN_REFRESH);
	CU_ASSERT_EQUAL(fdb_learn(f, zero, 3, 30), FDB_LEARN_REFRESH);
	CU_ASSERT_EQUAL(fdb_lookup(f, bcast, 30), -1);
	CU_ASSERT_EQUAL(fdb_lookup(f, mcast, 30), -1);
	CU_ASSERT_EQUAL(fdb_lookup(f, zero, 30), -1);
	test_mac(b, 3);
	CU_ASSERT_EQUAL(fdb_learn(f, b, FDB_PORT_NONE, 30), FDB_LEARN_REFRESH);
	CU_ASSERT_EQUAL(fdb_lookup(f, b, 30), -1);

	CU_ASSERT_EQUAL(fdb_learn(f, b, FDB_PORT_MAX, 30), FDB_LEARN_REFRESH);
	CU_ASSERT_EQUAL(fdb_lookup(f, b, 30), -1);

	/* The highest real port is stored and returned intact */
	CU_ASSERT_EQUAL(fdb_learn(f, b, FDB_PORT_MAX - 1, 30), FDB_LEARN_NEW);
	CU_ASSERT_EQUAL(fdb_lookup(f, b, 30), FDB_PORT_MAX - 1);

	fdb_get_stats(f, &st);
	CU_ASSERT_EQUAL(st.entries, 3);
	CU_ASSERT_EQUAL(st.limit, 16);
	CU_ASSERT_EQUAL(st.learned, 3);
	CU_ASSERT_EQUAL(st.moved, 0);
	CU_ASSERT_EQUAL(st.full, 0);
	CU_ASSERT_EQUAL(st.aged, 0);
	fdb_destroy(f);
}

/**
 * test_fdb_move() - an address seen on another port moves there
 */
static void test_fdb_move(void)
{
	struct fdb_stats st;
	struct fdb *f;
	uint8_t a[6];

	test_mac(a, 7);
	f = fdb_create(16, 300000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fdb_learn(f, a, 1, 0), FDB_LEARN_NEW);
	CU_ASSERT_EQUAL(fdb_learn(f, a, 2, 5), FDB_LEARN_MOVED);
	CU_ASSERT_EQUAL(fdb_lookup(f, a, 5), 2);
	CU_ASSERT_EQUAL(fdb_learn(f, a, 2, 6), FDB_LEARN_REFRESH);
	CU_ASSERT_EQUAL(fdb_learn(f, a, 1, 7), FDB_LEARN_MOVED);
	CU_ASSERT_EQUAL(fdb_lookup(f, a, 7), 1);
	fdb_get_stats(f, &st);
	CU_ASSERT_EQUAL(st.entries, 1);
	CU_ASSERT_EQUAL(st.learned, 1);
	CU_ASSERT_EQUAL(st.moved, 2);
	fdb_destroy(f);
}

/**
 * test_fdb_aging_boundary() - age == aging time is expired, one less is not
 */
static void test_fdb_aging_boundary(void)
{
	struct fdb_stats st;
	struct fdb *f;
	uint8_t a[6];

	test_mac(a, 1);
	f = fdb_create(16, 1000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);

	CU_ASSERT_EQUAL(fdb_learn(f, a, 4, 5000), FDB_LEARN_NEW);
	CU_ASSERT_EQUAL(fdb_lookup(f, a, 5999), 4);
	CU_ASSERT_EQUAL(fdb_lookup(f, a, 6000), -1);
	CU_ASSERT_EQUAL(fdb_age(f, 5999), 0);
	CU_ASSERT_EQUAL(fdb_lookup(f, a, 5999), 4);

	/* A refresh restarts the clock */
	CU_ASSERT_EQUAL(fdb_learn(f, a, 4, 5500), FDB_LEARN_REFRESH);
	CU_ASSERT_EQUAL(fdb_lookup(f, a, 6499), 4);
	CU_ASSERT_EQUAL(fdb_lookup(f, a, 6500), -1);

	/* Expired but not removed: learning it again is new, in place */
	CU_ASSERT_EQUAL(fdb_learn(f, a, 4, 6500), FDB_LEARN_NEW);
	CU_ASSERT_EQUAL(fdb_lookup(f, a, 6500), 4);
	fdb_get_stats(f, &st);
	CU_ASSERT_EQUAL(st.entries, 1);
	CU_ASSERT_EQUAL(st.learned, 2);
	CU_ASSERT_EQUAL(st.moved, 0);

	/* Expired and seen on another port: new, not moved */
	CU_ASSERT_EQUAL(fdb_learn(f, a, 5, 7500), FDB_LEARN_NEW);
	CU_ASSERT_EQUAL(fdb_lookup(f, a, 7500), 5);

	CU_ASSERT_EQUAL(fdb_age(f, 8499), 0);
	CU_ASSERT_EQUAL(fdb_age(f, 8500), 1);
	CU_ASSERT_EQUAL(fdb_lookup(f, a, 8500), -1);
	fdb_get_stats(f, &st);
	CU_ASSERT_EQUAL(st.entries, 0);
	CU_ASSERT_EQUAL(st.learned, 3);
	CU_ASSERT_EQUAL(st.moved, 0);
	CU_ASSERT_EQUAL(st.aged, 1);

	/* Shorter aging time applies at once */
	CU_ASSERT_EQUAL(fdb_learn(f, a, 1, 9000), FDB_LEARN_NEW);
	fdb_set_aging(f, 100);
	CU_ASSERT_EQUAL(fdb_lookup(f, a, 9099), 1);
	CU_ASSERT_EQUAL(fdb_lookup(f, a, 9100), -1);
	fdb_destroy(f);
}

/**
 * test_fdb_wrap() - the millisecond clock wrapping around 2^32
 */
static void test_fdb_wrap(void)
{
	uint32_t t0 = UINT32_MAX - 500;
	struct fdb *f;
	uint8_t a[6], b[6];

	test_mac(a, 1);
	test_mac(b, 2);
	f = fdb_create(16, 1000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);

	CU_ASSERT_EQUAL(fdb_learn(f, a, 1, t0), FDB_LEARN_NEW);
	CU_ASSERT_EQUAL(fdb_lookup(f, a, t0 + 999), 1); /* wrapped: 498 */
	CU_ASSERT_EQUAL(fdb_lookup(f, a, t0 + 1000), -1);
	CU_ASSERT_EQUAL(fdb_age(f, t0 + 999), 0);

	/* Refresh just after the wrap, learn another before it */
	CU_ASSERT_EQUAL(fdb_learn(f, a, 1, t0 + 600), FDB_LEARN_REFRESH);
	CU_ASSERT_EQUAL(fdb_learn(f, b, 2, t0 + 400), FDB_LEARN_NEW);
	CU_ASSERT_EQUAL(fdb_lookup(f, a, t0 + 1599), 1);
	CU_ASSERT_EQUAL(fdb_lookup(f, b, t0 + 1399), 2);
	CU_ASSERT_EQUAL(fdb_age(f, t0 + 1400), 1);
	CU_ASSERT_EQUAL(fdb_lookup(f, b, t0 + 1400), -1);
	CU_ASSERT_EQUAL(fdb_lookup(f, a, t0 + 1400), 1);
	CU_ASSERT_EQUAL(fdb_age(f, t0 + 1600), 1);
	CU_ASSERT_EQUAL(fdb_lookup(f, a, t0 + 1600), -1);

	/* A time slightly "in the future" (another worker's clock) is fresh */
	CU_ASSERT_EQUAL(fdb_learn(f, a, 1, 5), FDB_LEARN_NEW);
	CU_ASSERT_EQUAL(fdb_lookup(f, a, 2), 1);
	CU_ASSERT_EQUAL(fdb_age(f, 2), 0);
	fdb_destroy(f);
}

/**
 * test_fdb_age_oldest() - a scan notes its oldest entry and the next calls
 * skip until it expires; nothing is removed late or early for that
 */
static void test_fdb_age_oldest(void)
{
	uint8_t a[6], b[6], c[6];
	struct fdb *f;

	test_mac(a, 1);
	test_mac(b, 2);
	test_mac(c, 3);
	f = fdb_create(16, 1000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);

	/* An empty table's scan: entries learned after it are younger */
	CU_ASSERT_EQUAL(fdb_age(f, 0), 0);
	CU_ASSERT_EQUAL(fdb_learn(f, a, 1, 10), FDB_LEARN_NEW);
	CU_ASSERT_EQUAL(fdb_age(f, 20), 0);
	CU_ASSERT_EQUAL(fdb_learn(f, b, 2, 500), FDB_LEARN_NEW);
	CU_ASSERT_EQUAL(fdb_age(f, 1009), 0);
	CU_ASSERT_EQUAL(fdb_age(f, 1010), 1); /* a, at once */
	CU_ASSERT_EQUAL(fdb_lookup(f, b, 1010), 2);
	CU_ASSERT_EQUAL(fdb_age(f, 1499), 0);
	CU_ASSERT_EQUAL(fdb_age(f, 1500), 1); /* b */

	/* A refresh of the oldest entry: kept, and judged by its new time */
	CU_ASSERT_EQUAL(fdb_learn(f, c, 3, 2000), FDB_LEARN_NEW);
	CU_ASSERT_EQUAL(fdb_age(f, 2001), 0);
	CU_ASSERT_EQUAL(fdb_learn(f, c, 3, 2600), FDB_LEARN_REFRESH);
	CU_ASSERT_EQUAL(fdb_age(f, 3000), 0);
	CU_ASSERT_EQUAL(fdb_lookup(f, c, 3000), 3);
	CU_ASSERT_EQUAL(fdb_age(f, 3599), 0);
	CU_ASSERT_EQUAL(fdb_age(f, 3600), 1);

	/* A shorter aging time counts at once, whatever the last scan saw */
	CU_ASSERT_EQUAL(fdb_learn(f, a, 1, 4000), FDB_LEARN_NEW);
	CU_ASSERT_EQUAL(fdb_age(f, 4001), 0);
	fdb_set_aging(f, 50);
	CU_ASSERT_EQUAL(fdb_age(f, 4050), 1);
	fdb_destroy(f);
}

/**
 * test_fdb_aging_max() - aging times stay a day below 2^31 ms, so an
 * expired entry is removed long before its age wraps and it looks fresh
 */
static void test_fdb_aging_max(void)
{
	uint32_t max = (uint32_t)INT32_MAX - 24U * 3600U * 1000U;
	struct fdb *f;
	uint8_t a[6];

	test_mac(a, 1);
	f = fdb_create(16, UINT32_MAX);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fdb_learn(f, a, 1, 0), FDB_LEARN_NEW);
	CU_ASSERT_EQUAL(fdb_lookup(f, a, max - 1), 1);
	CU_ASSERT_EQUAL(fdb_lookup(f, a, max), -1);
	CU_ASSERT_EQUAL(fdb_age(f, max), 1);
	fdb_set_aging(f, UINT32_MAX);
	CU_ASSERT_EQUAL(fdb_learn(f, a, 1, 0), FDB_LEARN_NEW);
	CU_ASSERT_EQUAL(fdb_lookup(f, a, max), -1);
	fdb_destroy(f);
}

/**
 * test_fdb_limit() - full table refuses, then reuses expired entries
 */
static void test_fdb_limit(void)
{
	struct fdb_stats st;
	struct fdb *f;
	uint8_t m[6];
	unsigned i;

	f = fdb_create(4, 1000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	for (i = 0; i < 4; i++) {
		test_mac(m, i);
		CU_ASSERT_EQUAL(fdb_learn(f, m, (uint16_t)i, 0), FDB_LEARN_NEW);
	}
	test_mac(m, 100);
	CU_ASSERT_EQUAL(fdb_learn(f, m, 9, 10), FDB_LEARN_FULL);
	CU_ASSERT_EQUAL(fdb_learn(f, m, 9, 20), FDB_LEARN_FULL);
	CU_ASSERT_EQUAL(fdb_lookup(f, m, 20), -1);

	/* Known addresses still refresh and move at the limit */
	test_mac(m, 0);
	CU_ASSERT_EQUAL(fdb_learn(f, m, 0, 500), FDB_LEARN_REFRESH);
	test_mac(m, 1);
	CU_ASSERT_EQUAL(fdb_learn(f, m, 7, 500), FDB_LEARN_MOVED);
	test_mac(m, 2);
	CU_ASSERT_EQUAL(fdb_learn(f, m, 2, 500), FDB_LEARN_REFRESH);

	/* Address 3 (seen at 0) expires at 1000: one less ms is still full */
	test_mac(m, 100);
	CU_ASSERT_EQUAL(fdb_learn(f, m, 9, 999), FDB_LEARN_FULL);
	CU_ASSERT_EQUAL(fdb_learn(f, m, 9, 1000), FDB_LEARN_NEW);
	CU_ASSERT_EQUAL(fdb_lookup(f, m, 1000), 9);
	test_mac(m, 3);
	CU_ASSERT_EQUAL(fdb_lookup(f, m, 1000), -1);
	test_mac(m, 1);
	CU_ASSERT_EQUAL(fdb_lookup(f, m, 1000), 7);

	fdb_get_stats(f, &st);
	CU_ASSERT_EQUAL(st.entries, 4);
	CU_ASSERT_EQUAL(st.learned, 5);
	CU_ASSERT_EQUAL(st.moved, 1);
	CU_ASSERT_EQUAL(st.full, 3);
	CU_ASSERT_EQUAL(st.aged, 1);

	/* All of 0..2 expire at 1500: one new address removes all three */
	test_mac(m, 101);
	CU_ASSERT_EQUAL(fdb_learn(f, m, 9, 1499), FDB_LEARN_FULL);
	CU_ASSERT_EQUAL(fdb_learn(f, m, 9, 1500), FDB_LEARN_NEW);
	fdb_get_stats(f, &st);
	CU_ASSERT_EQUAL(st.entries, 2);
	CU_ASSERT_EQUAL(st.aged, 4);
	CU_ASSERT_EQUAL(st.full, 4);

	/* Room made by a flush is used at once */
	for (i = 200; i < 202; i++) {
		test_mac(m, i);
		CU_ASSERT_EQUAL(fdb_learn(f, m, 3, 1600), FDB_LEARN_NEW);
	}
	test_mac(m, 300);
	CU_ASSERT_EQUAL(fdb_learn(f, m, 3, 1600), FDB_LEARN_FULL);
	CU_ASSERT_EQUAL(fdb_flush_port(f, 3), 2);
	CU_ASSERT_EQUAL(fdb_learn(f, m, 3, 1601), FDB_LEARN_NEW);
	fdb_destroy(f);
}

/**
 * test_fdb_flush_port() - flushing one port leaves the others
 */
static void test_fdb_flush_port(void)
{
	struct fdb_stats st;
	struct fdb *f;
	uint8_t m[6];
	unsigned i;

	f = fdb_create(64, 1000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	for (i = 0; i < 40; i++) {
		test_mac(m, i);
		CU_ASSERT_EQUAL(fdb_learn(f, m, (uint16_t)(i % 3), 0),
				FDB_LEARN_NEW);
	}
	CU_ASSERT_EQUAL(fdb_flush_port(f, 1), 13);
	CU_ASSERT_EQUAL(fdb_flush_port(f, 1), 0);
	CU_ASSERT_EQUAL(fdb_flush_port(f, 5), 0);
	for (i = 0; i < 40; i++) {
		test_mac(m, i);
		CU_ASSERT_EQUAL(fdb_lookup(f, m, 10),
				i % 3 == 1 ? -1 : (int)(i % 3));
	}
	fdb_get_stats(f, &st);
	CU_ASSERT_EQUAL(st.entries, 27);
	CU_ASSERT_EQUAL(st.aged, 0);
	CU_ASSERT_EQUAL(fdb_flush_port(f, 0), 14);
	CU_ASSERT_EQUAL(fdb_flush_port(f, 2), 13);
	fdb_get_stats(f, &st);
	CU_ASSERT_EQUAL(st.entries, 0);
	fdb_destroy(f);
}

/**
 * test_fdb_port_limit() - one port cannot fill the table
 *
 * A port at its limit learns no new address and takes none over from
 * another port, without changing anything; other ports still learn,
 * refreshes go on, pinned addresses do not count, and aging, flushing and
 * moving away free slots.
 */
static void test_fdb_port_limit(void)
{
	struct fdb_stats st;
	struct fdb *f;
	uint8_t m[6], v[6];
	unsigned i;

	f = fdb_create(64, 1000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fdb_port_set_max(f, 1, 4), 0);
	CU_ASSERT_EQUAL(fdb_port_set_max(f, FDB_PORT_LIMITS, 4), -EINVAL);
	CU_ASSERT_EQUAL(fdb_port_set_max(f, FDB_PORT_LIMITS, 0), 0);

	/* The attacker: port 1 sends from many addresses */
	for (i = 0; i < 40; i++) {
		test_mac(m, 1000 + i);
		CU_ASSERT_EQUAL(fdb_learn(f, m, 1, 0),
				i < 4 ? FDB_LEARN_NEW : FDB_LEARN_PORT_FULL);
	}
	CU_ASSERT_EQUAL(fdb_port_learned(f, 1), 4);
	test_mac(m, 1000 + 20);
	CU_ASSERT_EQUAL(fdb_lookup(f, m, 0), -1);
	/* its known addresses refresh */
	test_mac(m, 1000);
	CU_ASSERT_EQUAL(fdb_learn(f, m, 1, 500), FDB_LEARN_REFRESH);

	/* The victim on port 2 is learned, and cannot be taken over */
	test_mac(v, 7);
	CU_ASSERT_EQUAL(fdb_learn(f, v, 2, 10), FDB_LEARN_NEW);
	CU_ASSERT_EQUAL(fdb_learn(f, v, 1, 11), FDB_LEARN_PORT_FULL);
	CU_ASSERT_EQUAL(fdb_lookup(f, v, 11), 2);
	CU_ASSERT_EQUAL(fdb_port_learned(f, 2), 1);

	fdb_get_stats(f, &st);
	CU_ASSERT_EQUAL(st.entries, 5);
	CU_ASSERT_EQUAL(st.learned, 5);
	CU_ASSERT_EQUAL(st.port_full, 37);
	CU_ASSERT_EQUAL(st.full, 0);
	CU_ASSERT_EQUAL(st.moved, 0);

	/* Pinned: not counted, and pinning an address frees its slot */
	test_mac(m, 1001);
	CU_ASSERT_EQUAL(fdb_pin(f, m, 1, 20), 0);
	CU_ASSERT_EQUAL(fdb_port_learned(f, 1), 3);
	test_mac(m, 2000);
	CU_ASSERT_EQUAL(fdb_learn(f, m, 1, 20), FDB_LEARN_NEW);
	CU_ASSERT_EQUAL(fdb_learn(f, m, 1, 21), FDB_LEARN_REFRESH);
	test_mac(m, 2001);
	CU_ASSERT_EQUAL(fdb_learn(f, m, 1, 21), FDB_LEARN_PORT_FULL);

	/* Moving away frees a slot; so does an address of the port that
	 * another port sends from */
	test_mac(m, 1002);
	CU_ASSERT_EQUAL(fdb_learn(f, m, 3, 30), FDB_LEARN_MOVED);
	CU_ASSERT_EQUAL(fdb_port_learned(f, 1), 3);
	CU_ASSERT_EQUAL(fdb_port_learned(f, 3), 1);
	test_mac(m, 2001);
	CU_ASSERT_EQUAL(fdb_learn(f, m, 1, 31), FDB_LEARN_NEW);

	/* Aging frees the port's slots: 1003 (seen at 0) goes, 1000 (seen
	 * at 500) stays; the victim (seen at 10) goes too */
	CU_ASSERT_EQUAL(fdb_age(f, 1020), 2);
	CU_ASSERT_EQUAL(fdb_port_learned(f, 1), 3);
	test_mac(m, 2002);
	CU_ASSERT_EQUAL(fdb_learn(f, m, 1, 1020), FDB_LEARN_NEW);

	/* Flushing frees them all; a lower limit keeps what is there */
	CU_ASSERT_EQUAL(fdb_port_set_max(f, 1, 1), 0);
	test_mac(m, 2003);
	CU_ASSERT_EQUAL(fdb_learn(f, m, 1, 1021), FDB_LEARN_PORT_FULL);
	CU_ASSERT_EQUAL(fdb_flush_port(f, 1), 5);
	CU_ASSERT_EQUAL(fdb_port_learned(f, 1), 0);
	CU_ASSERT_EQUAL(fdb_learn(f, m, 1, 1022), FDB_LEARN_NEW);
	CU_ASSERT_EQUAL(fdb_port_set_max(f, 1, 0), 0);
	test_mac(m, 2004);
	CU_ASSERT_EQUAL(fdb_learn(f, m, 1, 1022), FDB_LEARN_NEW);
	fdb_destroy(f);
}

/**
 * test_fdb_port_limit_table_full() - the port limit comes first, and room
 * made at the table's limit frees the port's expired slots
 */
static void test_fdb_port_limit_table_full(void)
{
	struct fdb_stats st;
	struct fdb *f;
	uint8_t m[6];

	f = fdb_create(3, 1000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fdb_port_set_max(f, 1, 2), 0);
	test_mac(m, 1);
	CU_ASSERT_EQUAL(fdb_learn(f, m, 1, 0), FDB_LEARN_NEW);
	test_mac(m, 2);
	CU_ASSERT_EQUAL(fdb_learn(f, m, 1, 0), FDB_LEARN_NEW);
	test_mac(m, 3);
	CU_ASSERT_EQUAL(fdb_learn(f, m, 2, 600), FDB_LEARN_NEW);
	test_mac(m, 4);
	CU_ASSERT_EQUAL(fdb_learn(f, m, 1, 700), FDB_LEARN_PORT_FULL);
	CU_ASSERT_EQUAL(fdb_learn(f, m, 2, 700), FDB_LEARN_FULL);
	/* 1 and 2 expired; another port's new address makes room */
	CU_ASSERT_EQUAL(fdb_learn(f, m, 2, 1000), FDB_LEARN_NEW);
	CU_ASSERT_EQUAL(fdb_port_learned(f, 1), 0);
	test_mac(m, 5);
	CU_ASSERT_EQUAL(fdb_learn(f, m, 1, 1001), FDB_LEARN_NEW);
	fdb_get_stats(f, &st);
	CU_ASSERT_EQUAL(st.port_full, 1);
	CU_ASSERT_EQUAL(st.full, 1);
	CU_ASSERT_EQUAL(st.aged, 2);
	fdb_destroy(f);
}

/**
 * struct test_walk - what a walk reported
 * @n:		entries
 * @port_sum:	sum of ports
 * @age_sum:	sum of ages
 */
struct test_walk {
	unsigned n;
	unsigned port_sum;
	unsigned age_sum;
};

/**
 * test_fdb_pin() - a pinned address stays with its port
 *
 * Another port sending as it is refused and counted (the entry does not
 * move), it never ages, flushing its port removes it, and pinning at the
 * limit makes room by removing the least recently seen unpinned entry.
 */
static void test_fdb_pin(void)
{
	struct fdb_stats st;
	uint8_t a[6], b[6], c[6];
	struct fdb *f = fdb_create(2, 1000);

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	test_mac(a, 1);
	test_mac(b, 2);
	test_mac(c, 3);

	CU_ASSERT_EQUAL(fdb_learn(f, a, 5, 0), FDB_LEARN_NEW);
	CU_ASSERT_EQUAL(fdb_pin(f, a, 1, 10), 0); /* taken back */
	CU_ASSERT_EQUAL(fdb_lookup(f, a, 10), 1);
	CU_ASSERT_EQUAL(fdb_pin(f, a, 2, 15), -EEXIST); /* another's */
	CU_ASSERT_EQUAL(fdb_pin(f, a, 1, 15), 0);
	CU_ASSERT_EQUAL(fdb_learn(f, a, 5, 20), FDB_LEARN_PINNED);
	CU_ASSERT_EQUAL(fdb_learn(f, a, 5, 21), FDB_LEARN_PINNED);
	CU_ASSERT_EQUAL(fdb_lookup(f, a, 21), 1);
	CU_ASSERT_EQUAL(fdb_learn(f, a, 1, 30), FDB_LEARN_REFRESH);
	fdb_get_stats(f, &st);
	CU_ASSERT_EQUAL(st.refused, 2);
	CU_ASSERT_EQUAL(st.moved, 1);

	/* never ages */
	CU_ASSERT_EQUAL(fdb_age(f, 100000), 0);
	CU_ASSERT_EQUAL(fdb_lookup(f, a, 100000), 1);

	/* at the limit: the unpinned, least recently seen entry goes */
	CU_ASSERT_EQUAL(fdb_learn(f, b, 2, 100000), FDB_LEARN_NEW);
	CU_ASSERT_EQUAL(fdb_learn(f, c, 3, 100001), FDB_LEARN_FULL);
	CU_ASSERT_EQUAL(fdb_pin(f, c, 3, 100001), 0);
	CU_ASSERT_EQUAL(fdb_lookup(f, b, 100001), -1);
	CU_ASSERT_EQUAL(fdb_lookup(f, c, 100001), 3);
	/* all pinned: no room for another pin */
	CU_ASSERT_EQUAL(fdb_pin(f, b, 2, 100002), -ENOSPC);
	CU_ASSERT_EQUAL(fdb_pin(f, b, FDB_PORT_MAX, 100002), -EINVAL);
	b[0] |= 1;
	CU_ASSERT_EQUAL(fdb_pin(f, b, 2, 100002), -EINVAL);

	CU_ASSERT_EQUAL(fdb_flush_port(f, 1), 1);
	CU_ASSERT_EQUAL(fdb_learn(f, a, 5, 100003), FDB_LEARN_NEW);
	CU_ASSERT_EQUAL(fdb_lookup(f, a, 100003), 5);
	fdb_destroy(f);
}

/**
 * test_walk_fn() - fdb_walk() callback summing entries
 * @e:		entry
 * @ctx:	struct test_walk
 */
static void test_walk_fn(const struct fdb_entry *e, void *ctx)
{
	struct test_walk *w = ctx;

	CU_ASSERT_EQUAL(e->mac[0], 0x02);
	w->n++;
	w->port_sum += e->port;
	w->age_sum += e->age_ms;
}

/**
 * test_fdb_walk() - walks report live entries with their ages
 */
static void test_fdb_walk(void)
{
	struct test_walk w = {0};
	struct fdb *f;
	uint8_t m[6];

	f = fdb_create(8, 1000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	test_mac(m, 1);
	fdb_learn(f, m, 10, 100);
	test_mac(m, 2);
	fdb_learn(f, m, 20, 300);
	test_mac(m, 3);
	fdb_learn(f, m, 30, 0); /* expired at 1000 */

	fdb_walk(f, 1000, test_walk_fn, &w);
	CU_ASSERT_EQUAL(w.n, 2);
	CU_ASSERT_EQUAL(w.port_sum, 30);
	CU_ASSERT_EQUAL(w.age_sum, 900 + 700);
	fdb_destroy(f);
}

/**
 * test_fdb_model_run() - random operations, compared with the model
 * @limit:	entry limit
 * @aging:	aging time, ms
 * @macs:	size of the address space
 * @ports:	number of ports
 * @ops:	number of operations
 * @seed:	random seed
 */
static void test_fdb_model_run(uint32_t limit, uint32_t aging, unsigned macs,
			       unsigned ports, unsigned ops, uint64_t seed)
{
	static struct fdbm md;
	unsigned i, mismatches = 0;
	uint32_t now = UINT32_MAX - 100000; /* wraps during the run */
	struct fdb *f;

	f = fdb_create(limit, aging);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fdbm_init(&md, limit, aging);
	/* Port 0 limited to a quarter of the table, port 1 to 2 */
	if (ports > 2) {
		CU_ASSERT_EQUAL(fdb_port_set_max(f, 0, limit / 4 + 1), 0);
		CU_ASSERT_EQUAL(fdbm_port_set_max(&md, 0, limit / 4 + 1), 0);
		CU_ASSERT_EQUAL(fdb_port_set_max(f, 1, 2), 0);
		CU_ASSERT_EQUAL(fdbm_port_set_max(&md, 1, 2), 0);
	}

	for (i = 0; i < ops && mismatches < 10; i++) {
		uint64_t r = test_rand(&seed);
		unsigned op = r % 100, before = mismatches;
		uint16_t port = (uint16_t)((r >> 8) % ports);
		uint8_t m[6];

		test_mac(m, (uint32_t)((r >> 24) % macs));
		if (((r >> 56) & 0x3f) == 0)
			m[0] |= 1; /* now and then a group address */
		now += (uint32_t)((r >> 40) % 64);

		if (op < 50) {
			int a = fdb_learn(f, m, port, now);
			int b = fdbm_learn(&md, m, port, now);

			mismatches += a != b;
		} else if (op < 51) {
			mismatches += fdb_pin(f, m, port, now) !=
				      fdbm_pin(&md, m, port, now);
		} else if (op < 95) {
			mismatches += fdb_lookup(f, m, now) !=
				      fdbm_lookup(&md, m, now);
		} else if (op < 98) {
			mismatches += fdb_age(f, now) != fdbm_age(&md, now);
		} else {
			mismatches += fdb_flush_port(f, port) !=
				      fdbm_flush_port(&md, port);
		}
		if (i % 1000 == 0) {
			mismatches += !fdbm_stats_match(f, &md);
			mismatches += !fdbm_walk_matches(f, &md, now);
			mismatches += !fdbm_ports_match(f, &md, ports);
		}
		if (mismatches != before)
			fprintf(stderr, "fdb model mismatch at op %u (%u)\n", i,
				op);
	}
	CU_ASSERT_EQUAL(mismatches, 0);
	CU_ASSERT_TRUE(fdbm_stats_match(f, &md));
	CU_ASSERT_TRUE(fdbm_walk_matches(f, &md, now));

	/* Every address the model knows is found, nothing else */
	for (i = 0; i < macs; i++) {
		uint8_t m[6];

		test_mac(m, i);
		CU_ASSERT_EQUAL(fdb_lookup(f, m, now),
				fdbm_lookup(&md, m, now));
	}
	fdb_destroy(f);
}

/**
 * test_fdb_model() - ~100k random operations against the model
 *
 * Two mixes: a large address space against a small limit (constant
 * insertion and removal: tombstones everywhere), and a space slightly
 * larger than the limit with frequent moves.
 */
static void test_fdb_model(void)
{
	test_fdb_model_run(64, 8000, 4096, 8, 60000, 0x5eed1234abcdULL);
	test_fdb_model_run(256, 20000, 300, 16, 40000, 0x0123456789abULL);
	test_fdb_model_run(1, 500, 4, 2, 5000, 42);
}

/* Concurrency test: addresses and the ports each may ever be assigned */
#define TC_MACS	   64
#define TC_WORKERS 3
#define TC_ITER	   200000

/**
 * struct tc_state - shared by the threads of the concurrency test
 * @f:		table under test
 * @now:	clock, advanced by the control thread
 * @stop:	set when workers are done
 * @bad:	lookups that returned a port never assigned to the address
 * @hits:	lookups that found something
 */
struct tc_state {
	struct fdb *f;
	_Atomic uint32_t now;
	_Atomic bool stop;
	_Atomic unsigned long bad;
	_Atomic unsigned long hits;
};

/**
 * tc_port() - one of the two ports address @i may be assigned
 * @i:		address number
 * @which:	0 or 1
 *
 * Return: port
 */
static uint16_t tc_port(unsigned i, unsigned which)
{
	return (uint16_t)(which ? 1000 + i : i);
}

/**
 * tc_worker() - learn and look up addresses, check every answer
 * @arg:	struct tc_state
 *
 * Return: NULL
 */
static void *tc_worker(void *arg)
{
	struct tc_state *s = arg;
	uint64_t seed = (uintptr_t)&seed | 1;
	unsigned long bad = 0, hits = 0;
	unsigned n;

	for (n = 0; n < TC_ITER; n++) {
		uint64_t r = test_rand(&seed);
		uint32_t now = atomic_load(&s->now);
		unsigned i = (unsigned)(r % TC_MACS);
		uint8_t m[6];

		test_mac(m, i);
		if ((r >> 32) % 4 == 0) {
			fdb_learn(s->f, m, tc_port(i, (r >> 40) & 1), now);
		} else {
			int p = fdb_lookup(s->f, m, now);

			if (p >= 0) {
				hits++;
				if (p != tc_port(i, 0) && p != tc_port(i, 1))
					bad++;
			}
		}
	}
	atomic_fetch_add(&s->bad, bad);
	atomic_fetch_add(&s->hits, hits);
	return NULL;
}

/**
 * tc_walk_fn() - fdb_walk() callback of the control thread: count entries
 * @e:		entry
 * @ctx:	unsigned counter
 */
static void tc_walk_fn(const struct fdb_entry *e, void *ctx)
{
	(void)e;
	(*(unsigned *)ctx)++;
}

/**
 * tc_control() - advance the clock, age, flush, walk, read counters
 * @arg:	struct tc_state
 *
 * Return: NULL
 */
static void *tc_control(void *arg)
{
	struct tc_state *s = arg;
	struct fdb_stats st;
	unsigned n = 0, walked;

	while (!atomic_load(&s->stop)) {
		atomic_fetch_add(&s->now, 7);
		fdb_age(s->f, atomic_load(&s->now));
		if (++n % 16 == 0)
			fdb_flush_port(s->f, tc_port(n % TC_MACS, n & 1));
		walked = 0;
		if (n % 64 == 0)
			fdb_walk(s->f, atomic_load(&s->now), tc_walk_fn,
				 &walked);
		fdb_get_stats(s->f, &st);
	}
	return NULL;
}

/**
 * test_fdb_concurrency() - lock-free readers never see a torn pair
 *
 * Workers learn each address on one of its two ports and look addresses
 * up, while the control thread ages, flushes and walks. The limit is half
 * the address set, so the full-table path runs too.
 */
static void test_fdb_concurrency(void)
{
	pthread_t workers[TC_WORKERS], control;
	struct tc_state s;
	struct fdb_stats st;
	int i;

	s.f = fdb_create(TC_MACS / 2, 200);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s.f);
	atomic_init(&s.now, UINT32_MAX - 5000);
	atomic_init(&s.stop, false);
	atomic_init(&s.bad, 0);
	atomic_init(&s.hits, 0);

	CU_ASSERT_EQUAL_FATAL(pthread_create(&control, NULL, tc_control, &s),
			      0);
	for (i = 0; i < TC_WORKERS; i++)
		CU_ASSERT_EQUAL_FATAL(
			pthread_create(&workers[i], NULL, tc_worker, &s), 0);
	for (i = 0; i < TC_WORKERS; i++)
		pthread_join(workers[i], NULL);
	atomic_store(&s.stop, true);
	pthread_join(control, NULL);

	CU_ASSERT_EQUAL(atomic_load(&s.bad), 0);
	CU_ASSERT(atomic_load(&s.hits) > 0);
	fdb_get_stats(s.f, &st);
	CU_ASSERT(st.entries <= st.limit);
	CU_ASSERT(st.learned > 0);

	/* Quiescent again: the counters and the slots agree */
	fdb_flush_port(s.f, 0); /* no-op unless address 0 is on port 0 */
	for (i = 0; i < TC_MACS; i++) {
		fdb_flush_port(s.f, tc_port((unsigned)i, 0));
		fdb_flush_port(s.f, tc_port((unsigned)i, 1));
	}
	fdb_get_stats(s.f, &st);
	CU_ASSERT_EQUAL(st.entries, 0);
	fdb_destroy(s.f);
}

/* Port limits under concurrency: TC_MACS addresses on TC_PL_PORTS ports */
#define TC_PL_PORTS 4
#define TC_PL_MAX   5

/**
 * tc_pl_worker() - learn addresses on random ports, moving them about
 * @arg:	struct tc_state
 *
 * Return: NULL
 */
static void *tc_pl_worker(void *arg)
{
	struct tc_state *s = arg;
	uint64_t seed = (uintptr_t)&seed | 1;
	unsigned n;

	for (n = 0; n < TC_ITER; n++) {
		uint64_t r = test_rand(&seed);
		uint8_t m[6];

		test_mac(m, (uint32_t)(r % TC_MACS));
		fdb_learn(s->f, m, (uint16_t)((r >> 40) % TC_PL_PORTS),
			  atomic_load(&s->now));
	}
	return NULL;
}

/**
 * tc_pl_control() - advance the clock, age, now and then flush a port
 * @arg:	struct tc_state
 *
 * Return: NULL
 */
static void *tc_pl_control(void *arg)
{
	struct tc_state *s = arg;
	unsigned n = 0;

	while (!atomic_load(&s->stop)) {
		atomic_fetch_add(&s->now, 3);
		fdb_age(s->f, atomic_load(&s->now));
		if (++n % 32 == 0)
			fdb_flush_port(s->f, (uint16_t)(n / 32 % TC_PL_PORTS));
	}
	return NULL;
}

/**
 * test_fdb_port_limit_concurrency() - per-port counts stay exact
 *
 * Workers learn and move addresses between ports with a limit, through
 * both the lock-free refusal and the locked path, while the control
 * thread ages and flushes. Quiescent again, no port is above its limit
 * and each port's count is the number of entries flushing it removes.
 */
static void test_fdb_port_limit_concurrency(void)
{
	pthread_t workers[TC_WORKERS], control;
	struct fdb_stats st;
	struct tc_state s;
	uint16_t p;
	int i;

	s.f = fdb_create(TC_MACS, 200);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s.f);
	for (p = 0; p < TC_PL_PORTS; p++)
		CU_ASSERT_EQUAL(fdb_port_set_max(s.f, p, TC_PL_MAX), 0);
	atomic_init(&s.now, UINT32_MAX - 5000);
	atomic_init(&s.stop, false);
	atomic_init(&s.bad, 0);
	atomic_init(&s.hits, 0);

	CU_ASSERT_EQUAL_FATAL(
		pthread_create(&control, NULL, tc_pl_control, &s), 0);
	for (i = 0; i < TC_WORKERS; i++)
		CU_ASSERT_EQUAL_FATAL(
			pthread_create(&workers[i], NULL, tc_pl_worker, &s), 0);
	for (i = 0; i < TC_WORKERS; i++)
		pthread_join(workers[i], NULL);
	atomic_store(&s.stop, true);
	pthread_join(control, NULL);

	fdb_get_stats(s.f, &st);
	CU_ASSERT(st.port_full > 0);
	CU_ASSERT(st.entries <= TC_PL_PORTS * TC_PL_MAX);
	for (p = 0; p < TC_PL_PORTS; p++) {
		uint32_t l = fdb_port_learned(s.f, p);

		CU_ASSERT(l <= TC_PL_MAX);
		CU_ASSERT_EQUAL(fdb_flush_port(s.f, p), l);
		CU_ASSERT_EQUAL(fdb_port_learned(s.f, p), 0);
	}
	fdb_get_stats(s.f, &st);
	CU_ASSERT_EQUAL(st.entries, 0);
	fdb_destroy(s.f);
}

/**
 * main() - run the suite
 *
 * Return: 0 if every test passed
 */
int main(void)
{
	CU_pSuite suite;
	unsigned failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return CU_get_error();
	suite = CU_add_suite("fdb", NULL, NULL);
	if (!suite || !CU_add_test(suite, "create", test_fdb_create) ||
	    !CU_add_test(suite, "learn and lookup", test_fdb_learn_lookup) ||
	    !CU_add_test(suite, "move", test_fdb_move) ||
	    !CU_add_test(suite, "aging boundary", test_fdb_aging_boundary) ||
	    !CU_add_test(suite, "clock wrap", test_fdb_wrap) ||
	    !CU_add_test(suite, "aging skips to the oldest entry",
			 test_fdb_age_oldest) ||
	    !CU_add_test(suite, "longest aging time", test_fdb_aging_max) ||
	    !CU_add_test(suite, "limit", test_fdb_limit) ||
	    !CU_add_test(suite, "flush port", test_fdb_flush_port) ||
	    !CU_add_test(suite, "pin", test_fdb_pin) ||
	    !CU_add_test(suite, "port limit", test_fdb_port_limit) ||
	    !CU_add_test(suite, "port limit and table limit",
			 test_fdb_port_limit_table_full) ||
	    !CU_add_test(suite, "walk", test_fdb_walk) ||
	    !CU_add_test(suite, "model check", test_fdb_model) ||
	    !CU_add_test(suite, "concurrency", test_fdb_concurrency) ||
	    !CU_add_test(suite, "port limit concurrency",
			 test_fdb_port_limit_concurrency)) {
		CU_cleanup_registry();
		return CU_get_error() ? (int)CU_get_error() : 1;
	}

	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_tests_failed() + CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
