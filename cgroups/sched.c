// SPDX-License-Identifier: MIT
/*
 * sched.c - one worker's fair-share scheduler over tenants
 *
 * Theory of operation
 *
 * What is shared is the worker's CPU time. Every round (one pass over the
 * ring's completions and the submission that follows) the worker measures
 * the cycles it spent and tells us which tenants' frames it handled:
 * sched_note() per frame, sched_round_end() with the cycles. The cycles are
 * apportioned to the tenants in proportion to cost units (one per frame
 * plus one per SCHED_BYTES_PER_UNIT bytes: a frame has a fixed cost and a
 * cost per byte copied), and each tenant's virtual time advances by its
 * cycles * 100 / weight. This is start-time fair queueing over measured
 * cost, with the tenant's TAP queue as its queue.
 *
 * Intake control. We cannot reorder what the kernel has already completed,
 * and dropping frames we read would waste the work of reading them. What we
 * control is whether a tenant's reads are posted again: a tenant whose
 * virtual time runs more than a quantum ahead of the system's virtual time
 * is *parked* (SCHED_PARK_SHARE): the worker posts no new reads on its
 * queues, its frames wait in its own TAP queue, the queue fills and the
 * tenant's kernel backs off (TCP sees the drops at its own device, its
 * congestion window shrinks). The worker's time goes to the others. A
 * parked tenant is released as soon as the system's virtual time catches
 * up with it, and sched_released lists who was released so the worker
 * re-arms their reads.
 *
 * System virtual time (@vnow) is the least virtual time among the busy
 * (backlogged) tenants, and never goes back. A tenant is busy while it is
 * parked for its share, or while its queue holds frames: it had frames in
 * one of the last SCHED_RUNNABLE_ROUNDS busy rounds and no read found its
 * queue empty since (sched_drained()). A tenant whose queue runs dry gets
 * everything it asks for and is not owed anything: it must not hold @vnow
 * back (a TCP receiver's ACKs cost little and would otherwise pin it, and
 * park everyone else). A tenant that becomes busy again starts at no less
 * than @vnow, so being idle earns no credit (no banked share to burst with
 * later).
 *
 * Work conservation. Parking only makes sense while the worker has more
 * work than time: once the worker has found nothing to do for a short
 * grace (SCHED_IDLE_GRACE_NS, timed by the worker with a ring timer, so it
 * need not spin), sched_idle() releases every tenant parked for its share
 * and forgets the others' backlog: whoever they were parked for did not use
 * the time. (The grace lets a busy tenant whose own kernel is slow to refill
 * its queue, on a host short of CPU, keep its share; without it the parked
 * tenant would take every gap.) A tenant that is alone busy is never
 * parked: its virtual time is @vnow. And the least-served busy tenant is
 * never parked for its share, so some tenant can always proceed: parking
 * cannot stall the worker.
 *
 * Penalty. A frame the worker drops for its sender's fault (it does not
 * parse, it is spoofed, it asks for more segments than allowed) still cost
 * a read and a look; sched_penalize() marks its units, and its part of the
 * round's cycles enters the tenant's virtual time SCHED_DROP_PENALTY times
 * over. At equal weights a tenant sending only such frames gets about
 * 1/(1 + SCHED_DROP_PENALTY) of a worker its good neighbours also want,
 * instead of half; alone, it is still never parked (work conservation).
 * A well-behaved tenant's kernel never sends such frames.
 *
 * Garbage budget. Share is not all a flood of such frames costs: on a host
 * short of CPU, the worker time they take is CPU the neighbours' own
 * kernels and programs need, even while they do not want the worker. So a
 * tenant also has a budget of dropped frames, a token bucket of
 * SCHED_BAD_PER_SEC frames a second, SCHED_BAD_BURST deep; a tenant in
 * debt is parked (SCHED_PARK_BAD, "quarantined") until its debt is paid
 * back, whether or not anyone else is busy. Its frames wait in its TAP
 * queue meanwhile, and its kernel drops what does not fit: it loses its
 * own traffic, nobody else's.
 *
 * Rate caps are token buckets in bytes per second, depth SCHED_BURST_NS at
 * the rate (at least SCHED_BURST_MIN). Every byte noted is charged, also
 * bytes of reads that were in flight when the tenant was parked, so the
 * long-run rate is the cap. A tenant in debt is parked (SCHED_PARK_RATE)
 * until the time its debt is paid back; the worker arms a ring timer for
 * sched_next_release() so that the release happens even when nothing else
 * wakes it.
 *
 * Tenant ids are reused (cgroups/tenant.c): an id given to a new tenant
 * is reset with sched_tenant_new(), so that nothing the last tenant owed,
 * was owed or was parked for carries over to a stranger.
 *
 * Cost of a round: O(tenants noted) for charging and O(tenants with ports
 * on this worker) for the park/release decisions, no allocation.
 */
#include <stdlib.h>
#include <string.h>

#include "sched.h"

/**
 * sched_create() - a scheduler with every tenant at the default weight
 * @quantum:	lead in virtual time (cycles at weight 100) before a tenant
 *		is parked, 0 for SCHED_QUANTUM_DEFAULT
 *
 * Return: scheduler, or NULL when out of memory
 */
struct sched *sched_create(uint64_t quantum)
{
	struct sched *s = calloc(1, sizeof(*s));
	uint32_t i;

	if (!s)
		return NULL;
	s->quantum = quantum ? quantum : SCHED_QUANTUM_DEFAULT;
	for (i = 0; i < SCHED_MAX_TENANTS; i++) {
		s->t[i].weight = SCHED_WEIGHT_DEFAULT;
		s->t[i].act = -1;
		s->t[i].drained_round = UINT64_MAX;
		/* Full from the start: earned since time 0. */
		tbucket_init(&s->t[i].garbage, SCHED_BAD_PER_SEC,
			     SCHED_BAD_BURST, 0);
	}
	return s;
}

/**
 * sched_destroy() - free a scheduler
 * @s:		scheduler, or NULL
 */
void sched_destroy(struct sched *s)
{
	free(s);
}

/**
 * sched_release() - clear park bits of a tenant, listing it if now free
 * @s:		scheduler
 * @id:		tenant
 * @bits:	SCHED_PARK_* bits to clear
 */
static void sched_release(struct sched *s, uint32_t id, uint8_t bits)
{
	struct sched_tenant *t = &s->t[id];

	if (!(t->park & bits))
		return;
	t->park &= (uint8_t)~bits;
	if (t->park)
		return;
	s->nparked--;
	/* It is busy from here on: its queue filled while it was parked. */
	t->last_round = s->round;
	t->backlog = true;
	s->released[s->nreleased++] = (uint16_t)id;
}

/**
 * sched_park() - set a park bit
 * @s:		scheduler
 * @t:		tenant
 * @bit:	SCHED_PARK_SHARE or SCHED_PARK_RATE
 */
static void sched_park(struct sched *s, struct sched_tenant *t, uint8_t bit)
{
	if (t->park & bit)
		return;
	if (!t->park)
		s->nparked++;
	t->park |= bit;
	/* Statistics another thread reads: whole stores, never torn. */
	if (bit == SCHED_PARK_SHARE)
		__atomic_store_n(&t->parks, t->parks + 1, __ATOMIC_RELAXED);
	else if (bit == SCHED_PARK_RATE)
		__atomic_store_n(&t->throttles, t->throttles + 1,
				 __ATOMIC_RELAXED);
	else
		__atomic_store_n(&t->quarantines, t->quarantines + 1,
				 __ATOMIC_RELAXED);
}

/**
 * sched_timed_due() - has a timed park's time come?
 * @b:		the bucket the tenant is in debt to
 * @release_ns:	when it is due; moved on if it is still in debt
 * @now_ns:	current time
 *
 * Return: true if the tenant is out of debt
 */
static bool sched_timed_due(struct tbucket *b, uint64_t *release_ns,
			    uint64_t now_ns)
{
	if (now_ns < *release_ns)
		return false;
	tbucket_refill(b, now_ns);
	*release_ns = tbucket_ready_ns(b);
	return !*release_ns;
}

/**
 * sched_timed_check() - release a tenant parked for its rate cap or its
 *			 garbage budget whose time has come
 * @s:		scheduler
 * @id:		tenant
 * @now_ns:	current time
 *
 * A tenant still in debt gets a new release time, so a timer armed for it
 * never fires in a loop. It did not compete while parked, so
 * it comes back at no less than the system's virtual time: no credit.
 */
static void sched_timed_check(struct sched *s, uint32_t id, uint64_t now_ns)
{
	struct sched_tenant *t = &s->t[id];
	uint8_t done = 0;

	if ((t->park & SCHED_PARK_RATE) &&
	    sched_timed_due(&t->cap, &t->release_ns, now_ns))
		done |= SCHED_PARK_RATE;
	if ((t->park & SCHED_PARK_BAD) &&
	    sched_timed_due(&t->garbage, &t->bad_release_ns, now_ns))
		done |= SCHED_PARK_BAD;
	if (!done)
		return;
	if (sched_vt_before(t->vtime, s->vnow))
		t->vtime = s->vnow;
	sched_release(s, id, done);
}

/**
 * sched_tenant_set() - set a tenant's weight and rate cap
 * @s:		scheduler
 * @id:		tenant
 * @weight:	1..10000 (0 and larger values are clamped)
 * @rate_bytes:	cap in bytes per second, 0 for none
 * @now_ns:	current time
 */
void sched_tenant_set(struct sched *s, uint32_t id, uint32_t weight,
		      uint64_t rate_bytes, uint64_t now_ns)
{
	struct sched_tenant *t;

	if (id >= SCHED_MAX_TENANTS)
		return;
	t = &s->t[id];
	t->weight = weight < 1 ? 1 : weight > 10000 ? 10000 : weight;
	if (rate_bytes > (1ull << 40))
		rate_bytes = 1ull << 40;
	if (rate_bytes != t->cap.rate) {
		uint64_t burst = rate_bytes * SCHED_BURST_NS / TBUCKET_NS;

		tbucket_init(&t->cap, rate_bytes,
			     burst < SCHED_BURST_MIN ? SCHED_BURST_MIN : burst,
			     now_ns);
		sched_release(s, id, SCHED_PARK_RATE);
	}
}

/**
 * sched_tenant_new() - tenant @id is a new tenant: forget the last one's
 * @s:		scheduler
 * @id:		tenant
 * @now_ns:	current time
 *
 * Tenant ids are reused (cgroups/tenant.c), and what we hold for an id
 * outlives the tenant that had it: a lead in virtual time (debt, which
 * sched_attach() keeps), a rate cap's debt (kept while the cap stays the
 * same), a garbage budget's debt, backlog and park state. The new tenant
 * starts as an id never seen: at the system's virtual time, owing nothing
 * and owed nothing, with a full garbage budget, the default weight and no
 * cap until sched_tenant_set(). Its ports already attached here stay; if
 * it was parked it is released (listed in @s->released). The statistics
 * (@parks, @throttles, @penalty, @quarantines) only grow: whoever reports
 * them per tenant subtracts what they were (vnet_tenant_clear()).
 */
void sched_tenant_new(struct sched *s, uint32_t id, uint64_t now_ns)
{
	struct sched_tenant *t;

	if (id >= SCHED_MAX_TENANTS)
		return;
	t = &s->t[id];
	sched_release(s, id, t->park);
	t->vtime = s->vnow;
	t->weight = SCHED_WEIGHT_DEFAULT;
	memset(&t->cap, 0, sizeof(t->cap));
	t->release_ns = 0;
	tbucket_init(&t->garbage, SCHED_BAD_PER_SEC, SCHED_BAD_BURST, now_ns);
	t->bad_release_ns = 0;
	/* As sched_create() leaves an id, whatever sched_release() said */
	t->last_round = 0;
	t->drained_round = UINT64_MAX;
	t->bulk_round = 0;
	t->backlog = false;
}

/**
 * sched_attach() - a port of tenant @id is now served by this worker
 * @s:		scheduler
 * @id:		tenant
 */
void sched_attach(struct sched *s, uint32_t id)
{
	struct sched_tenant *t;

	if (id >= SCHED_MAX_TENANTS)
		return;
	t = &s->t[id];
	if (t->members++)
		return;
	t->act = (int32_t)s->nactive;
	s->active[s->nactive++] = (uint16_t)id;
	if (sched_vt_before(t->vtime, s->vnow))
		t->vtime = s->vnow;
}

/**
 * sched_detach() - a port of tenant @id left this worker
 * @s:		scheduler
 * @id:		tenant
 *
 * The last port going takes the tenant out of the decisions; its park
 * state is cleared (nothing is left to read from).
 */
void sched_detach(struct sched *s, uint32_t id)
{
	struct sched_tenant *t;
	uint16_t last;

	if (id >= SCHED_MAX_TENANTS || !s->t[id].members)
		return;
	t = &s->t[id];
	if (--t->members)
		return;
	if (t->park) {
		t->park = 0;
		s->nparked--;
	}
	last = s->active[--s->nactive];
	s->active[t->act] = last;
	s->t[last].act = t->act;
	t->act = -1;
}

/**
 * sched_decide() - advance the system virtual time, park and release
 * @s:		scheduler
 * @now_ns:	current time
 */
static void sched_decide(struct sched *s, uint64_t now_ns)
{
	uint64_t vmin = 0;
	unsigned nbusy = 0;
	uint32_t i;

	for (i = 0; i < s->nactive; i++) {
		struct sched_tenant *t = &s->t[s->active[i]];

		if (!sched_busy(s, t))
			continue;
		if (!nbusy++ || sched_vt_before(t->vtime, vmin))
			vmin = t->vtime;
	}
	if (nbusy && sched_vt_before(s->vnow, vmin))
		s->vnow = vmin;

	for (i = 0; i < s->nactive; i++) {
		uint32_t id = s->active[i];
		struct sched_tenant *t = &s->t[id];

		sched_timed_check(s, id, now_ns);
		if (!sched_busy(s, t))
			continue;
		if (sched_vt_before(s->vnow + s->quantum, t->vtime)) {
			/* Alone busy means vtime == vnow: never parked. */
			if (nbusy > 1)
				sched_park(s, t, SCHED_PARK_SHARE);
		} else {
			sched_release(s, id, SCHED_PARK_SHARE);
		}
	}
}

/**
 * sched_charge() - charge a tenant its part of a round
 * @s:		scheduler
 * @t:		tenant
 * @cycles:	its cycles
 * @now_ns:	current time
 */
static void sched_charge(struct sched *s, struct sched_tenant *t,
			 uint64_t cycles, uint64_t now_ns)
{
	uint64_t v = cycles;

	if (t->bad) {
		uint64_t bad = t->bad > t->units ? t->units : t->bad;
		uint64_t pen = (uint64_t)((unsigned __int128)cycles * bad /
					  t->units) *
			       (SCHED_DROP_PENALTY - 1);

		v += pen;
		__atomic_store_n(&t->penalty, t->penalty + pen,
				 __ATOMIC_RELAXED);
		if (!tbucket_take(&t->garbage, t->bad_frames, now_ns)) {
			t->bad_release_ns = tbucket_ready_ns(&t->garbage);
			sched_park(s, t, SCHED_PARK_BAD);
		}
	}
	t->vtime += v * SCHED_WEIGHT_DEFAULT / t->weight;
	/* Queue found empty during this round: no backlog left. */
	t->backlog = t->drained_round != s->round;
	t->last_round = s->round + 1;
	if (!t->cap.rate)
		return;
	if (!tbucket_take(&t->cap, t->bytes, now_ns)) {
		t->release_ns = tbucket_ready_ns(&t->cap);
		sched_park(s, t, SCHED_PARK_RATE);
	}
}

/**
 * sched_round_end() - charge a round's cycles and decide who may read
 * @s:		scheduler
 * @cycles:	cycles the round took
 * @now_ns:	current time
 * @charge:	called with each tenant's part of @cycles, or NULL
 * @ctx:	passed to @charge
 *
 * Afterwards @s->released lists the tenants whose reads must be re-armed.
 */
void sched_round_end(struct sched *s, uint64_t cycles, uint64_t now_ns,
		     sched_charge_fn charge, void *ctx)
{
	uint64_t units = 0, left = cycles;
	uint32_t i;

	s->nreleased = 0;
	if (!s->ntouched) {
		if (s->nparked)
			sched_decide(s, now_ns);
		return;
	}
	for (i = 0; i < s->ntouched; i++)
		units += s->t[s->touched[i]].units;
	for (i = 0; i < s->ntouched; i++) {
		uint32_t id = s->touched[i];
		struct sched_tenant *t = &s->t[id];
		/* The last one takes the rounding remainder, so the parts
		 * add up to @cycles exactly. */
		uint64_t c = i + 1 == s->ntouched
				     ? left
				     : (uint64_t)((unsigned __int128)cycles *
						  t->units / units);

		if (c > left)
			c = left;
		left -= c;
		sched_charge(s, t, c, now_ns);
		if (charge)
			charge(ctx, id, c);
		t->units = t->bad = t->bad_frames = t->bytes = 0;
		t->touched = false;
	}
	s->ntouched = 0;
	s->round++;
	sched_decide(s, now_ns);
}

/**
 * sched_idle() - a round found no work: release share-parked tenants
 * @s:		scheduler
 * @now_ns:	current time
 *
 * Whoever a tenant was parked for left the worker idle, so the parked
 * tenant may go on (work conservation), and no tenant that is not parked
 * counts as backlogged any more. Tenants parked for their rate cap or
 * garbage budget whose time has come are released too (those whose time
 * has not come stay parked: the worker being idle is no reason to let
 * them go early). @s->released lists them.
 */
void sched_idle(struct sched *s, uint64_t now_ns)
{
	uint32_t i;

	s->nreleased = 0;
	if (!s->nparked)
		return;
	for (i = 0; i < s->nactive; i++) {
		uint32_t id = s->active[i];
		struct sched_tenant *t = &s->t[id];

		if (!t->park) {
			t->backlog = false;
			t->bulk_round = 0;
			continue;
		}
		sched_timed_check(s, id, now_ns);
		sched_release(s, id, SCHED_PARK_SHARE);
	}
}

/**
 * sched_release_due() - release tenants parked for their rate cap or
 *			 garbage budget whose time has come, and nothing else
 * @s:		scheduler
 * @now_ns:	current time
 *
 * For a worker that found no work while nobody is parked for a share: a
 * moment's gap in the others' traffic says nothing about their backlog
 * (unlike the idle grace sched_idle() ends), so busy tenants stay busy.
 * @s->released lists the released tenants.
 */
void sched_release_due(struct sched *s, uint64_t now_ns)
{
	uint32_t i;

	s->nreleased = 0;
	for (i = 0; i < s->nactive && s->nparked; i++)
		if (s->t[s->active[i]].park)
			sched_timed_check(s, s->active[i], now_ns);
}

/**
 * sched_share_parked() - is any tenant parked for its share?
 * @s:		scheduler
 *
 * Return: true if so (the worker then times its idle grace)
 */
bool sched_share_parked(const struct sched *s)
{
	uint32_t i;

	if (!s->nparked)
		return false;
	for (i = 0; i < s->nactive; i++)
		if (s->t[s->active[i]].park & SCHED_PARK_SHARE)
			return true;
	return false;
}

/**
 * sched_next_release() - earliest time a tenant parked for its rate cap or
 *			  its garbage budget is released
 * @s:		scheduler
 *
 * Return: CLOCK_MONOTONIC ns, or 0 if no tenant is parked for either
 */
uint64_t sched_next_release(const struct sched *s)
{
	uint64_t next = 0;
	uint32_t i;

	if (!s->nparked)
		return 0;
	for (i = 0; i < s->nactive; i++) {
		const struct sched_tenant *t = &s->t[s->active[i]];

		if ((t->park & SCHED_PARK_RATE) &&
		    (!next || t->release_ns < next))
			next = t->release_ns;
		if ((t->park & SCHED_PARK_BAD) &&
		    (!next || t->bad_release_ns < next))
			next = t->bad_release_ns;
	}
	return next;
}
