// SPDX-License-Identifier: MIT
/*
 * test_sched.c - unit tests of the fair-share scheduler (cgroups/sched.c)
 *
 * A small model of a worker drives the scheduler: each round, every tenant
 * that has demand and is not parked brings some frames; the round costs a
 * fixed amount per frame plus an amount per byte, and the fake clock
 * advances by that cost (one cycle = one nanosecond). When no tenant can
 * bring anything the round is idle. What each tenant was served is summed
 * from the charges the scheduler reports.
 *
 * One test runs the real switch (no ports, io_uring workers): a tenant id
 * given to a new tenant must reach every worker's scheduler as new.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "../lib/cunit_run.h"
#include "sched.h"
#include "vnet.h"
#include "vnet_priv.h" /* white box: the workers' schedulers */

#define SIM_TENANTS 8

/**
 * struct sim - the model worker
 * @s:		scheduler under test
 * @now:	fake clock, ns
 * @demand:	tenant wants to send
 * @frames:	frames a tenant brings per round when allowed
 * @size:	bytes per frame
 * @bad:	the tenant's frames are all dropped for its fault
 * @scale:	nanoseconds of the fake clock per cycle of cost (0: 1)
 * @served:	cycles charged per tenant
 * @bytes:	bytes handled per tenant
 * @rounds:	rounds run
 * @idle:	idle rounds
 * @parked_rounds: rounds a tenant with demand was parked
 */
struct sim {
	struct sched *s;
	uint64_t now;
	bool demand[SIM_TENANTS];
	unsigned frames[SIM_TENANTS];
	unsigned size[SIM_TENANTS];
	bool bad[SIM_TENANTS];
	uint64_t scale;
	uint64_t served[SIM_TENANTS];
	uint64_t bytes[SIM_TENANTS];
	uint64_t rounds, idle;
	uint64_t parked_rounds[SIM_TENANTS];
};

/* sched_round_end() callback: cycles per tenant, for 3 tenants */
static void test_charge3(void *ctx, uint32_t id, uint64_t cycles)
{
	uint64_t *cyc = ctx;

	if (id < 3)
		cyc[id] += cycles;
}

static void sim_charge(void *ctx, uint32_t id, uint64_t cycles)
{
	struct sim *m = ctx;

	if (id < SIM_TENANTS)
		m->served[id] += cycles;
}

/**
 * sim_init() - a model with @n tenants attached, each sending 4 frames of
 *		1500 bytes a round when it has demand
 * @m:		model
 * @n:		tenants 0..n-1, all attached, all with demand
 */
static void sim_init(struct sim *m, unsigned n)
{
	unsigned i;

	memset(m, 0, sizeof(*m));
	m->s = sched_create(0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m->s);
	m->now = 1000000000ull;
	for (i = 0; i < n; i++) {
		sched_attach(m->s, i);
		m->demand[i] = true;
		m->frames[i] = 4;
		m->size[i] = 1500;
	}
}

/**
 * sim_check_no_stall() - the least-served busy tenant is never parked for
 *			  its share
 * @m:		model
 */
static void sim_check_no_stall(const struct sim *m)
{
	const struct sched *s = m->s;
	uint64_t vmin = 0;
	uint32_t i, who = 0;
	bool any = false;

	for (i = 0; i < s->nactive; i++) {
		const struct sched_tenant *t = &s->t[s->active[i]];

		if (!sched_busy(s, t))
			continue;
		if (!any || sched_vt_before(t->vtime, vmin)) {
			vmin = t->vtime;
			who = s->active[i];
			any = true;
		}
	}
	if (any)
		CU_ASSERT_FALSE(s->t[who].park & SCHED_PARK_SHARE);
}

/**
 * sim_round() - one round of the model worker
 * @m:		model
 */
static void sim_round(struct sim *m)
{
	uint64_t cost = 0;
	unsigned i, f;
	bool any = false;

	for (i = 0; i < SIM_TENANTS; i++) {
		if (!m->demand[i] || !m->s->t[i].members)
			continue;
		if (sched_parked(m->s, i)) {
			m->parked_rounds[i]++;
			continue;
		}
		for (f = 0; f < m->frames[i]; f++) {
			sched_note(m->s, i, m->size[i]);
			if (m->bad[i])
				sched_penalize(m->s, i, m->size[i]);
			cost += 200 + m->size[i] / 4;
			m->bytes[i] += m->size[i];
			any = true;
		}
	}
	m->rounds++;
	if (!any) {
		/* Nothing to read: the worker idles a little. */
		m->now += 1000;
		m->idle++;
		sched_idle(m->s, m->now);
		return;
	}
	m->now += cost * (m->scale ? m->scale : 1);
	sched_round_end(m->s, cost, m->now, sim_charge, m);
	sim_check_no_stall(m);
}

static void sim_run(struct sim *m, unsigned rounds)
{
	while (rounds--)
		sim_round(m);
}

static void sim_fini(struct sim *m)
{
	sched_destroy(m->s);
	m->s = NULL;
}

/* The same with virtual time about to wrap 64 bits (years of weight-1
 * tenants keeping a worker busy): it goes on as before. */
static void test_sched_vtime_wrap(void)
{
	struct sim m;
	unsigned i;
	double r;

	sim_init(&m, 2);
	sched_tenant_set(m.s, 0, 1, 0, m.now);
	sched_tenant_set(m.s, 1, 3, 0, m.now);
	m.s->vnow = UINT64_MAX - 50000000ull;
	for (i = 0; i < 2; i++)
		m.s->t[i].vtime = m.s->vnow;
	sim_run(&m, 200000);
	CU_ASSERT(m.s->vnow < 1ull << 62); /* it did wrap */
	r = (double)m.served[1] / (double)m.served[0];
	CU_ASSERT(r > 2.91 && r < 3.09);
	CU_ASSERT_EQUAL(m.idle, 0);
	sim_fini(&m);
}

/* Two busy tenants, weights 100 and 300: service 1:3 within 3%. */
static void test_sched_weights(void)
{
	struct sim m;
	double r;

	sim_init(&m, 2);
	sched_tenant_set(m.s, 0, 100, 0, m.now);
	sched_tenant_set(m.s, 1, 300, 0, m.now);
	sim_run(&m, 200000);
	r = (double)m.served[1] / (double)m.served[0];
	CU_ASSERT(r > 2.91 && r < 3.09);
	r = (double)m.bytes[1] / (double)m.bytes[0];
	CU_ASSERT(r > 2.91 && r < 3.09);
	CU_ASSERT(m.s->t[0].parks > 0);
	/* Work conserving: whenever someone could be served, someone was. */
	CU_ASSERT_EQUAL(m.idle, 0);
	sim_fini(&m);
}

/* Equal weights, different frame sizes: equal cost, not equal frames. */
static void test_sched_equal(void)
{
	struct sim m;
	double r;

	sim_init(&m, 3);
	m.size[0] = 64;
	m.size[1] = 1500;
	m.size[2] = 65000;
	m.frames[2] = 1;
	sim_run(&m, 200000);
	r = (double)m.served[1] / (double)m.served[0];
	CU_ASSERT(r > 0.97 && r < 1.03);
	r = (double)m.served[2] / (double)m.served[0];
	CU_ASSERT(r > 0.97 && r < 1.03);
	CU_ASSERT_EQUAL(m.idle, 0);
	sim_fini(&m);
}

/*
 * A tenant that sends a little every round and whose queue runs dry each
 * time (a TCP receiver's ACKs) is served every round, and does not hold
 * back the two busy tenants: they still share 1:3, and are parked only as
 * much as that takes.
 */
static void test_sched_light_tenant(void)
{
	struct sim m;
	double r;
	unsigned k;

	sim_init(&m, 3);
	sched_tenant_set(m.s, 0, 100, 0, m.now);
	sched_tenant_set(m.s, 1, 300, 0, m.now);
	m.frames[2] = 1;
	m.size[2] = 66;
	for (k = 0; k < 200000; k++) {
		sim_round(&m);
		sched_drained(m.s, 2);
	}
	CU_ASSERT_EQUAL(m.parked_rounds[2], 0);
	r = (double)m.served[1] / (double)m.served[0];
	CU_ASSERT(r > 2.91 && r < 3.09);
	/* Between them they were served in nearly every round. */
	CU_ASSERT(m.parked_rounds[0] + m.parked_rounds[1] < m.rounds + 1000);
	CU_ASSERT_EQUAL(m.idle, 0);
	sim_fini(&m);
}

/*
 * Bulk senders whose queues run dry now and then (their kernels short of
 * CPU) still share 1:3: a dry queue does not make a bulk sender idle.
 * Small-frame tenants that run dry do not count (previous test).
 */
static void test_sched_bulk_drained(void)
{
	struct sim m;
	double r;
	unsigned k;

	sim_init(&m, 2);
	sched_tenant_set(m.s, 0, 100, 0, m.now);
	sched_tenant_set(m.s, 1, 300, 0, m.now);
	m.size[0] = m.size[1] = 65000;
	m.frames[0] = m.frames[1] = 1;
	for (k = 0; k < 100000; k++) {
		sim_round(&m);
		if (k % 3 == 0)
			sched_drained(m.s, 0);
		if (k % 3 == 1)
			sched_drained(m.s, 1);
	}
	r = (double)m.served[1] / (double)m.served[0];
	CU_ASSERT(r > 2.91 && r < 3.09);
	sim_fini(&m);
}

/* The cycles charged to the tenants add up to the cycles measured. */
static void test_sched_apportion(void)
{
	struct sched *s = sched_create(0);
	struct sim m = { 0 };

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	sched_attach(s, 1);
	sched_attach(s, 2);
	sched_attach(s, 3);
	sched_note(s, 1, 100);
	sched_note(s, 2, 100);
	sched_note(s, 2, 100);
	sched_note(s, 3, 10 * SCHED_BYTES_PER_UNIT);
	sched_round_end(s, 1001, 1, sim_charge, &m);
	/* units: 1, 2, 11 of 14 */
	CU_ASSERT_EQUAL(m.served[1] + m.served[2] + m.served[3], 1001);
	CU_ASSERT_EQUAL(m.served[1], 1001 * 1 / 14);
	CU_ASSERT_EQUAL(m.served[2], 1001 * 2 / 14);
	CU_ASSERT(m.served[3] >= 1001 * 11 / 14);
	CU_ASSERT_EQUAL(s->ntouched, 0);
	sched_destroy(s);
}

/*
 * Work conservation: tenant 1 (weight 300) is attached but idle; tenant 0
 * (weight 100) gets the worker alone and is never parked. When 1 leaves
 * the worker to 0 after a busy phase, 0 is not held back.
 */
static void test_sched_work_conserving(void)
{
	struct sim m;
	uint64_t before;

	sim_init(&m, 2);
	sched_tenant_set(m.s, 0, 100, 0, m.now);
	sched_tenant_set(m.s, 1, 300, 0, m.now);
	m.demand[1] = false;
	sim_run(&m, 50000);
	CU_ASSERT_EQUAL(m.parked_rounds[0], 0);
	CU_ASSERT_EQUAL(m.s->t[0].parks, 0);
	CU_ASSERT_EQUAL(m.served[1], 0);

	/* Both busy, then 1 stops: 0 goes on at once, every round. */
	m.demand[1] = true;
	sim_run(&m, 50000);
	CU_ASSERT(m.s->t[0].parks > 0);
	m.demand[1] = false;
	sim_run(&m, 20); /* at most the rest of its lead, then idle release */
	before = m.parked_rounds[0];
	sim_run(&m, 10000);
	CU_ASSERT_EQUAL(m.parked_rounds[0], before);
	CU_ASSERT_FALSE(sched_parked(m.s, 0));
	sim_fini(&m);
}

/*
 * A tenant back from idle has no banked credit: after tenant 0 ran alone
 * for a long time, tenant 1 (equal weight) returns and the two split the
 * worker about evenly from the start, rather than 1 taking it all.
 */
static void test_sched_no_banked_credit(void)
{
	struct sim m;
	uint64_t s0, s1;
	double r;

	sim_init(&m, 2);
	m.demand[1] = false;
	sim_run(&m, 100000);
	s0 = m.served[0];
	s1 = m.served[1];
	m.demand[1] = true;
	sim_run(&m, 2000);
	r = (double)(m.served[1] - s1) / (double)(m.served[0] - s0);
	CU_ASSERT(r > 0.9 && r < 1.1);
	sim_fini(&m);
}

/*
 * Rate cap with the fake clock: 1 MB/s on a tenant that would send far
 * more; over 4 s it gets 4 MB plus at most one bucket, within 2%. A parked
 * tenant always has a release time, and reaching it releases it.
 */
static void test_sched_rate_cap(void)
{
	uint64_t start, t0, rate = 1000000, sent;
	struct sim m;
	double r;

	sim_init(&m, 2);
	m.demand[1] = false;
	sched_tenant_set(m.s, 0, 100, rate, m.now);
	t0 = m.now;
	start = m.bytes[0];
	while (m.now - t0 < 4000000000ull) {
		sim_round(&m);
		if (sched_parked(m.s, 0)) {
			uint64_t rel = sched_next_release(m.s);

			CU_ASSERT_FATAL(rel != 0);
			CU_ASSERT(m.s->t[0].park & SCHED_PARK_RATE);
			/* The worker sleeps until its timer fires. */
			if (rel > m.now)
				m.now = rel;
			sched_idle(m.s, m.now);
			CU_ASSERT_FALSE(sched_parked(m.s, 0));
		}
	}
	sent = m.bytes[0] - start;
	r = (double)sent / (4.0 * (double)rate);
	CU_ASSERT(r > 0.98 && r < 1.02 + (double)SCHED_BURST_MIN / 4e6);
	CU_ASSERT(m.s->t[0].throttles > 0);

	/* Lifting the cap releases at once. */
	sim_round(&m);
	sim_round(&m);
	sched_tenant_set(m.s, 0, 100, 0, m.now);
	CU_ASSERT_FALSE(sched_parked(m.s, 0));
	sim_fini(&m);
}

/* A rate cap and a share together: the capped tenant keeps to its rate,
 * the other takes the rest of the worker. */
static void test_sched_rate_and_share(void)
{
	struct sim m;
	uint64_t t0;
	double r;

	sim_init(&m, 2);
	sched_tenant_set(m.s, 0, 100, 2000000, m.now);
	sched_tenant_set(m.s, 1, 100, 0, m.now);
	t0 = m.now;
	while (m.now - t0 < 2000000000ull) {
		sim_round(&m);
		if (m.idle) {
			uint64_t rel = sched_next_release(m.s);

			if (rel > m.now)
				m.now = rel;
			sched_idle(m.s, m.now);
			m.idle = 0;
		}
	}
	r = (double)m.bytes[0] / 4e6;
	CU_ASSERT(r > 0.97 && r < 1.05);
	CU_ASSERT(m.bytes[1] > 10 * m.bytes[0]);
	sim_fini(&m);
}

/**
 * test_sched_release_due() - releasing rate-parked tenants whose time came
 * leaves everyone else as it was
 *
 * A worker that finds no work while a tenant sits out its rate cap, and
 * nobody is parked for a share, calls sched_release_due(): a moment's gap
 * is no idle grace. B (weight 300) refills its queue one round in three,
 * A (weight 100) always; every tenth round finds nothing, as the worker
 * does with reads in flight. With C parked for its cap all along, A and B
 * still share 1:3 (forgetting their backlog at each gap turned it to 3:1).
 */
static void test_sched_release_due(void)
{
	struct sched *s = sched_create(0);
	uint64_t now = 1000000000ull, idle_since = 0, cyc[3] = { 0 };
	unsigned step, f, any;
	double r;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	sched_tenant_set(s, 0, 100, 0, now);
	sched_tenant_set(s, 1, 300, 0, now);
	sched_tenant_set(s, 2, 100, 1000, now); /* 1000 bytes/s */
	sched_attach(s, 0);
	sched_attach(s, 1);
	sched_attach(s, 2);
	sched_note(s, 2, 400000);
	sched_round_end(s, 1000, now, NULL, NULL);
	CU_ASSERT_FATAL(s->t[2].park & SCHED_PARK_RATE);

	for (step = 0; step < 200000; step++) {
		now += 20000;
		if (step % 10 == 9) {
			/* worker_sched_idle(), without its ring timer */
			if (!sched_share_parked(s)) {
				sched_release_due(s, now);
			} else {
				if (!idle_since)
					idle_since = now;
				if (now >= idle_since + SCHED_IDLE_GRACE_NS) {
					sched_idle(s, now);
					idle_since = 0;
				}
			}
			continue;
		}
		any = 0;
		if (!sched_parked(s, 0))
			for (f = 0; f < 4; f++, any++)
				sched_note(s, 0, 60000);
		if (!sched_parked(s, 1)) {
			if (step % 3 == 0)
				for (f = 0; f < 4; f++, any++)
					sched_note(s, 1, 60000);
			else
				sched_drained(s, 1);
		}
		if (s->ntouched)
			idle_since = 0;
		sched_round_end(s, (uint64_t)any * 10000 + 1000, now,
				test_charge3, cyc);
	}
	r = (double)cyc[1] / (double)cyc[0];
	CU_ASSERT(r > 2.7 && r < 3.3);
	CU_ASSERT(s->t[2].park & SCHED_PARK_RATE); /* still in debt */
	sched_destroy(s);
}

/* Tenants coming and going, also while parked; counts stay consistent. */
static void test_sched_churn(void)
{
	struct sim m;
	unsigned i, k;

	sim_init(&m, 4);
	sched_tenant_set(m.s, 0, 50, 0, m.now);
	sched_tenant_set(m.s, 3, 1000, 0, m.now);
	for (k = 0; k < 200; k++) {
		sim_run(&m, 97);
		i = k % 4;
		if (m.s->t[i].members) {
			sched_detach(m.s, i);
			CU_ASSERT_FALSE(sched_parked(m.s, i));
		} else {
			sched_attach(m.s, i);
			/* Joins at the system's virtual time, no credit. */
			CU_ASSERT(m.s->t[i].vtime >= m.s->vnow);
		}
		/* Two ports of one tenant count once. */
		sched_attach(m.s, 2);
		sched_detach(m.s, 2);
	}
	{
		uint32_t parked = 0, j;

		for (j = 0; j < m.s->nactive; j++)
			parked += m.s->t[m.s->active[j]].park != 0;
		CU_ASSERT_EQUAL(parked, m.s->nparked);
	}
	/* Everyone detached: nothing parked, nothing active. */
	for (i = 0; i < 4; i++)
		while (m.s->t[i].members)
			sched_detach(m.s, i);
	CU_ASSERT_EQUAL(m.s->nactive, 0);
	CU_ASSERT_EQUAL(m.s->nparked, 0);
	sim_fini(&m);
}

/*
 * No stall: random weights, demands switching on and off. Whenever a
 * tenant with demand is parked, some tenant is served in that round or
 * the round is idle and releases it; and no tenant with demand waits
 * unserved for long.
 */
static void test_sched_no_stall(void)
{
	uint64_t last_served[SIM_TENANTS] = { 0 };
	uint32_t seed = 12345;
	struct sim m;
	unsigned i, k;

	sim_init(&m, SIM_TENANTS);
	for (i = 0; i < SIM_TENANTS; i++)
		sched_tenant_set(m.s, i, 1 + (i * 997) % 2000, 0, m.now);
	for (k = 0; k < 300000; k++) {
		if (!(k % 1000)) {
			for (i = 0; i < SIM_TENANTS; i++) {
				seed = seed * 1103515245u + 12345u;
				m.demand[i] = (seed >> 16) & 1;
				m.frames[i] = 1 + ((seed >> 20) & 7);
			}
		}
		sim_round(&m);
		for (i = 0; i < SIM_TENANTS; i++) {
			if (!m.demand[i] || !sched_parked(m.s, i)) {
				last_served[i] = k;
				continue;
			}
			/* The lightest tenant (weight 1) against weight
			 * 1995 waits longest: bounded all the same. */
			CU_ASSERT_FATAL(k - last_served[i] < 5000);
		}
	}
	sim_fini(&m);
}

/*
 * Garbage costs its sender: at equal weights a tenant whose frames are
 * all dropped (malformed, spoofed) gets 1/SCHED_DROP_PENALTY of what a
 * good neighbour gets; alone it is never parked for its share, and the
 * cycles reported stay the cycles spent. The clock runs slow here, so
 * that the garbage stays within its budget (see the next test).
 */
static void test_sched_drop_penalty(void)
{
	uint64_t total, idle;
	struct sim m;
	double r;

	sim_init(&m, 3);
	m.scale = 100000;
	m.bad[0] = true;
	m.demand[2] = false;
	sim_run(&m, 20000);
	r = (double)m.served[1] / (double)m.served[0];
	CU_ASSERT(r > SCHED_DROP_PENALTY * 0.95 &&
		  r < SCHED_DROP_PENALTY * 1.05);
	CU_ASSERT(m.s->t[0].parks > 0);
	CU_ASSERT_EQUAL(m.s->t[0].quarantines, 0);
	CU_ASSERT(m.s->t[0].penalty ==
		  m.served[0] * (SCHED_DROP_PENALTY - 1));
	CU_ASSERT_EQUAL(m.s->t[1].penalty, 0);
	CU_ASSERT_EQUAL(m.idle, 0);

	/* Once its frames are good again it is not held back: the
	 * penalty was paid as it went, and nothing is carried over. */
	m.bad[0] = false;
	m.demand[1] = false;
	m.demand[2] = true;
	memset(m.served, 0, sizeof(m.served));
	sim_run(&m, 20000);
	r = (double)m.served[2] / (double)m.served[0];
	CU_ASSERT(r > 0.97 && r < 1.03);

	/* Alone, it has the worker to itself (once the round in which
	 * its neighbour is found gone has released it). */
	m.bad[0] = true;
	m.demand[2] = false;
	memset(m.served, 0, sizeof(m.served));
	total = m.now;
	idle = m.idle;
	sim_run(&m, 10000);
	CU_ASSERT(m.idle - idle <= 1);
	CU_ASSERT_EQUAL(m.served[0] * m.scale,
			m.now - total - (m.idle - idle) * 1000);
	sim_fini(&m);
}

/* Run the model for @ns of its clock. */
static void sim_run_for(struct sim *m, uint64_t ns)
{
	uint64_t end = m->now + ns;

	while (m->now < end)
		sim_round(m);
}

/*
 * Beyond its budget, garbage is parked outright: a tenant sending nothing
 * else gets SCHED_BAD_BURST frames and then SCHED_BAD_PER_SEC a second,
 * although the worker has nothing else to do; its good neighbour gets
 * everything else, and once the garbage stops the tenant is served again.
 */
static void test_sched_bad_budget(void)
{
	uint64_t frames, q, idle;
	struct sim m;

	sim_init(&m, 2);
	m.bad[0] = true;
	m.demand[1] = false;
	sim_run_for(&m, 1000000000ull);
	frames = m.bytes[0] / m.size[0];
	CU_ASSERT(frames >= SCHED_BAD_BURST + SCHED_BAD_PER_SEC - 8);
	CU_ASSERT(frames <= SCHED_BAD_BURST + SCHED_BAD_PER_SEC + 8);
	CU_ASSERT(m.s->t[0].quarantines > 0);
	CU_ASSERT(m.idle > 0); /* not work conserving, on purpose */

	/* A good neighbour wants the worker: it gets all but the budget */
	m.demand[1] = true;
	memset(m.served, 0, sizeof(m.served));
	memset(m.bytes, 0, sizeof(m.bytes));
	idle = m.idle;
	sim_run_for(&m, 100000000ull);
	frames = m.bytes[0] / m.size[0];
	CU_ASSERT(frames <= SCHED_BAD_PER_SEC / 10 + 8);
	CU_ASSERT(m.served[1] > 50 * m.served[0]);
	CU_ASSERT_EQUAL(m.idle, idle);
	CU_ASSERT_EQUAL(m.s->t[1].quarantines, 0);

	/* Good frames again: after its debt it is served, unparked */
	m.bad[0] = false;
	q = m.s->t[0].quarantines;
	sim_run_for(&m, 20000000ull);
	memset(m.bytes, 0, sizeof(m.bytes));
	sim_run_for(&m, 10000000ull);
	CU_ASSERT_EQUAL(m.s->t[0].quarantines, q);
	CU_ASSERT(m.bytes[0] > 0);
	CU_ASSERT_FALSE(m.s->t[0].park & SCHED_PARK_BAD);
	sim_fini(&m);
}

/*
 * sched_tenant_new(): tenant 1 leaves deep in debt (far ahead in virtual
 * time, over its rate cap, over its garbage budget, parked); its id goes
 * to a new tenant with the same cap, whose port came (attached) before the
 * worker learnt that the id is new. It starts as tenant 2, an id never
 * used, does: released, nothing owed, full buckets; and the two then
 * share the worker evenly. The statistics only grow.
 */
static void test_sched_tenant_new(void)
{
	uint64_t parks, quarantines, throttles, s1, s2;
	struct sim m;
	double r;

	sim_init(&m, 2);
	sched_tenant_set(m.s, 1, 100, 1000000, m.now);
	m.bad[1] = true;
	m.size[1] = 9000;
	sim_run_for(&m, 50000000ull);
	CU_ASSERT(m.s->t[1].throttles > 0);
	/* Deep in both debts, whenever it stopped */
	m.s->t[1].garbage.tokens = -100000;
	m.s->t[1].cap.tokens = -100000000;
	parks = m.s->t[1].parks;
	throttles = m.s->t[1].throttles;
	quarantines = m.s->t[1].quarantines;

	/* Its last port goes, the tenant is deleted; a new tenant gets the
	 * id and a port of it is attached before the settings arrive. */
	sched_detach(m.s, 1);
	m.s->t[1].vtime = m.s->vnow + 100 * m.s->quantum;
	sched_attach(m.s, 1);
	sched_attach(m.s, 1);
	m.s->t[1].park = SCHED_PARK_RATE; /* as if it had been parked */
	m.s->nparked++;
	sched_tenant_new(m.s, 1, m.now);
	CU_ASSERT_EQUAL(m.s->nreleased, 1);
	CU_ASSERT_EQUAL(m.s->released[0], 1);
	sched_tenant_set(m.s, 1, 100, 1000000, m.now);
	sched_tenant_set(m.s, 2, 100, 1000000, m.now);
	sched_attach(m.s, 2);
	CU_ASSERT_EQUAL(m.s->t[1].members, 2);
	CU_ASSERT_EQUAL(m.s->t[1].park, 0);
	CU_ASSERT_EQUAL(m.s->nparked, m.s->t[0].park ? 1 : 0);
	CU_ASSERT_EQUAL(m.s->t[1].vtime, m.s->t[2].vtime);
	CU_ASSERT_EQUAL(m.s->t[1].cap.tokens, m.s->t[2].cap.tokens);
	CU_ASSERT_EQUAL(m.s->t[1].cap.rate, m.s->t[2].cap.rate);
	CU_ASSERT_EQUAL(m.s->t[1].garbage.tokens, SCHED_BAD_BURST);
	CU_ASSERT_EQUAL(sched_busy(m.s, &m.s->t[1]),
			sched_busy(m.s, &m.s->t[2]));
	CU_ASSERT_EQUAL(sched_next_release(m.s), 0);
	CU_ASSERT_EQUAL(m.s->t[1].parks, parks);
	CU_ASSERT_EQUAL(m.s->t[1].throttles, throttles);
	CU_ASSERT_EQUAL(m.s->t[1].quarantines, quarantines);

	/* Both good and capped alike: served alike from the first round. */
	m.bad[1] = false;
	m.demand[0] = false;
	m.demand[2] = true;
	m.frames[2] = m.frames[1];
	m.size[2] = m.size[1];
	s1 = m.bytes[1];
	s2 = m.bytes[2];
	sim_run(&m, 20);
	CU_ASSERT(m.bytes[1] - s1 > 0);
	CU_ASSERT_EQUAL(m.bytes[1] - s1, m.bytes[2] - s2);
	r = (double)(m.bytes[1] - s1) / (double)(m.bytes[2] - s2);
	CU_ASSERT(r > 0.99 && r < 1.01);
	sim_fini(&m);
}

/* Wait until every worker has applied the tenant settings published last. */
static void test_workers_synced(struct vnet *v)
{
	uint32_t gen = atomic_load(&v->tenant_gen);
	unsigned i, k;

	for (i = 0; i < v->nworkers; i++)
		for (k = 0;
		     k < 1000 && __atomic_load_n(&v->workers[i].tenant_gen,
						 __ATOMIC_ACQUIRE) != gen;
		     k++)
			usleep(1000);
	/* The generation is noted before the settings are applied. */
	usleep(20000);
}

/*
 * A deleted tenant's id given to a new tenant (vnet_tenant_clear(), as
 * vstackd does when it adds a tenant) starts fresh on every worker: the
 * last tenant's lead in virtual time, its rate cap's debt (the new tenant
 * has the same cap) and its garbage budget's debt are forgotten, and its
 * counters are not the new tenant's. The last tenant's state is planted
 * in the workers' schedulers while they are idle (no ports: nothing else
 * touches it).
 */
static void test_sched_tenant_id_reused(void)
{
	struct vnet_tenant_stats st;
	struct vnet_config c;
	struct vnet *v = NULL;
	char err[256];
	unsigned i;

	vnet_config_default(&c);
	c.workers = 2;
	c.sched = true;
	c.arena_bufs = 64;
	if (vnet_start(&c, &v, err, sizeof(err))) {
		fprintf(stderr, "vnet_start: %s: not tested\n", err);
		return;
	}
	CU_ASSERT_FATAL(vnet_tenant_set(v, 1, 300, 8000) == 0);
	test_workers_synced(v);
	for (i = 0; i < v->nworkers; i++) {
		struct worker *w = &v->workers[i];
		struct sched_tenant *t = &w->sched->t[1];

		CU_ASSERT_FATAL(t->cap.rate == 1000);
		t->vtime = w->sched->vnow + 1000 * w->sched->quantum;
		t->cap.tokens = -100000000;
		t->garbage.tokens = -100000;
		t->last_round = w->sched->round;
		t->backlog = true;
		w->tstats[1].packets = 5;
		w->tstats[1].bytes = 7000;
		w->tstats[1].cycles = 900000;
		w->tstats[1].buf_waits = 3;
		t->parks = 2;
		t->throttles = 4;
		t->quarantines = 1;
		t->penalty = 12345;
	}

	/* Deleted; a new tenant gets id 1, with the same rate cap. */
	CU_ASSERT_FATAL(vnet_tenant_clear(v, 1) == 0);
	CU_ASSERT_FATAL(vnet_tenant_set(v, 1, 100, 8000) == 0);
	test_workers_synced(v);
	for (i = 0; i < v->nworkers; i++) {
		struct worker *w = &v->workers[i];
		const struct sched_tenant *t = &w->sched->t[1];

		CU_ASSERT_EQUAL(t->vtime, w->sched->vnow);
		CU_ASSERT_EQUAL(t->weight, 100);
		CU_ASSERT_EQUAL(t->cap.rate, 1000);
		CU_ASSERT_EQUAL(t->cap.tokens, (int64_t)t->cap.burst);
		CU_ASSERT_EQUAL(t->garbage.tokens, SCHED_BAD_BURST);
		CU_ASSERT_EQUAL(t->park, 0);
		/* busy as much as an id never used (tenant 2) */
		CU_ASSERT_EQUAL(sched_busy(w->sched, t),
				sched_busy(w->sched, &w->sched->t[2]));
	}
	CU_ASSERT(vnet_tenant_get(v, 1, &st) == 0);
	CU_ASSERT_EQUAL(st.packets, 0);
	CU_ASSERT_EQUAL(st.bytes, 0);
	CU_ASSERT_EQUAL(st.cycles, 0);
	CU_ASSERT_EQUAL(st.parks, 0);
	CU_ASSERT_EQUAL(st.throttles, 0);
	CU_ASSERT_EQUAL(st.quarantines, 0);
	CU_ASSERT_EQUAL(st.penalty_cycles, 0);
	CU_ASSERT_EQUAL(st.buffer_waits, 0);
	CU_ASSERT_EQUAL(st.rate_bps, 0);
	vnet_stop(v);
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "weights 1:3", test_sched_weights },
		{ "equal weights, unequal frames", test_sched_equal },
		{ "cycles apportioned to tenants", test_sched_apportion },
		{ "light tenant does not pin the others", test_sched_light_tenant },
		{ "bulk senders running dry keep their shares", test_sched_bulk_drained },
		{ "work conserving", test_sched_work_conserving },
		{ "no banked credit after idle", test_sched_no_banked_credit },
		{ "rate cap, fake clock", test_sched_rate_cap },
		{ "rate cap beside a share", test_sched_rate_and_share },
		{ "timed releases leave the others' backlog", test_sched_release_due },
		{ "virtual time wraps", test_sched_vtime_wrap },
		{ "tenants coming and going", test_sched_churn },
		{ "no stall", test_sched_no_stall },
		{ "dropped frames cost their sender", test_sched_drop_penalty },
		{ "garbage beyond its budget is parked", test_sched_bad_budget },
		{ "a new tenant's id starts fresh", test_sched_tenant_new },
		{ "a reused tenant id starts fresh on every worker",
		  test_sched_tenant_id_reused },
	};

	return cunit_run("sched", tests, sizeof(tests) / sizeof(tests[0]),
			 NULL, NULL);
}
