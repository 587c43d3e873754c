/* SPDX-License-Identifier: MIT */
/*
 * sched.h - one worker's fair-share scheduler over tenants (pure logic)
 *
 * The scheduler decides which tenants' TAP queues a worker keeps reading.
 * It does no I/O and reads no clock: the worker tells it what each round
 * cost (cycles) and what frames it handled for whom, with the time, and
 * asks whether a tenant's reads may be re-posted. See sched.c for the
 * theory of operation.
 *
 * One struct sched per worker, used by that worker's thread only; the
 * caller allocates it once (sched_create()) and nothing here allocates
 * afterwards.
 */
#ifndef VSTACK_SCHED_H
#define VSTACK_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "tbucket.h"

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#else
#include <time.h>
#endif

#define SCHED_MAX_TENANTS 1024	/* == TENANT_MAX; tenant ids index it */
#define SCHED_WEIGHT_DEFAULT 100
/* How far (in cycles at weight 100) a tenant may run ahead of the least
 * served busy tenant before its intake is parked. */
#define SCHED_QUANTUM_DEFAULT (1ull << 21)
/* A tenant that had frames in one of the last this many busy rounds still
 * counts as busy (runnable). */
#define SCHED_RUNNABLE_ROUNDS 8
/* Cost units of a frame: one for the frame, one per this many bytes. */
#define SCHED_BYTES_PER_UNIT 2048
/* Token bucket depth of a rate cap: this long at the rate, at least
 * SCHED_BURST_MIN bytes (one GSO frame must always fit). */
#define SCHED_BURST_NS 2000000ull
#define SCHED_BURST_MIN 131072ull
/* A frame this big is bulk transfer (a GSO super-frame): its sender wants
 * more than it gets even when its queue runs dry now and then. */
#define SCHED_BULK_BYTES 16384
/* A frame dropped for its sender's fault (malformed, spoofed, beyond the
 * GSO bound) costs its tenant this many times its measured cycles in
 * virtual time: a tenant that sends what nobody can use gets 1/(1 + this)
 * of the worker against one sending good traffic at the same weight. */
#define SCHED_DROP_PENALTY 16
/* And beyond a budget of such frames, this many a second in bursts of
 * SCHED_BAD_BURST, its intake is parked (SCHED_PARK_BAD) until the budget
 * is back, whoever else wants the worker: garbage must not cost the host
 * CPU its neighbours' own kernels need, and a tenant's kernel sends none. */
#define SCHED_BAD_PER_SEC 1000
#define SCHED_BAD_BURST 256
/* The worker idle this long releases tenants parked for their share:
 * about a CPU scheduler's time slice, which is how long a tenant's kernel
 * may wait for a CPU to refill its queue on a host short of CPU. (At
 * 200 us, a tenant of weight 300 beside one of 100 got 2.45-2.69 times
 * the cycles on a 2-vCPU host; at 1 ms 2.87-2.97.) */
#define SCHED_IDLE_GRACE_NS 1000000ull

/* Why a tenant's intake is parked (bits) */
enum {
	SCHED_PARK_SHARE = 1, /* ahead of its weighted share */
	SCHED_PARK_RATE = 2,  /* over its rate cap */
	SCHED_PARK_BAD = 4,   /* over its budget of dropped frames */
};
/* Parked for a time, not for a share: does not compete for one */
#define SCHED_PARK_TIMED (SCHED_PARK_RATE | SCHED_PARK_BAD)

/**
 * struct sched_tenant - one tenant as one worker's scheduler sees it
 * @vtime:	virtual time: cost charged so far * 100 / weight, lifted to
 *		the system's virtual time when the tenant becomes busy
 * @cap:	rate cap, bytes (@cap.rate 0 for none)
 * @release_ns:	when parked for its rate: when @cap is out of debt
 * @garbage:	budget of dropped frames (SCHED_BAD_PER_SEC)
 * @bad_release_ns: when parked for garbage: when @garbage is out of debt
 * @last_round:	last busy round it had frames in
 * @drained_round: last round in which its TAP queue was found empty
 * @bulk_round:	last round in which it sent a bulk frame (+1, 0 never)
 * @units:	cost units noted this round
 * @bad:	of those, units of frames dropped for the tenant's fault
 * @bad_frames:	and the number of those frames
 * @bytes:	bytes noted this round
 * @weight:	1..10000
 * @members:	ports of this tenant served by this worker
 * @act:	index in struct sched's @active, -1 if not there
 * @park:	SCHED_PARK_* bits, 0 when its reads may be posted
 * @touched:	in this round's @touched list
 * @backlog:	its queue still held frames after its last busy round
 * @parks:	times parked for its share (statistics)
 * @throttles:	times parked for its rate (statistics)
 * @penalty:	cycles added to its virtual time, beyond those spent, for
 *		frames dropped for its fault (statistics)
 * @quarantines: times parked for its budget of such frames (statistics)
 */
struct sched_tenant {
	uint64_t vtime;
	struct tbucket cap;
	uint64_t release_ns;
	struct tbucket garbage;
	uint64_t bad_release_ns;
	uint64_t last_round;
	uint64_t drained_round;
	uint64_t bulk_round;
	uint64_t units;
	uint64_t bad;
	uint64_t bad_frames;
	uint64_t bytes;
	uint32_t weight;
	uint32_t members;
	int32_t act;
	uint8_t park;
	bool touched;
	bool backlog;
	uint64_t parks;
	uint64_t throttles;
	uint64_t penalty;
	uint64_t quarantines;
};

/**
 * struct sched - one worker's scheduler
 * @vnow:	system virtual time: never decreases; the least virtual time
 *		of the busy tenants. Virtual times are compared as signed
 *		differences (sched_vt_before()): they wrap after some years
 *		of weight-1 tenants keeping a worker busy, and stay within
 *		2^63 of each other.
 * @quantum:	lead over @vnow (virtual time) at which intake is parked
 * @round:	busy rounds so far (rounds in which frames were noted)
 * @nactive:	tenants with ports on this worker
 * @ntouched:	tenants with frames this round
 * @nreleased:	tenants un-parked by the last call, listed in @released
 * @nparked:	tenants parked now
 * @active:	their ids
 * @touched:	ids of the tenants noted this round
 * @released:	ids of the tenants whose reads must be re-armed
 * @t:		per tenant, by id
 */
struct sched {
	uint64_t vnow;
	uint64_t quantum;
	uint64_t round;
	uint32_t nactive;
	uint32_t ntouched;
	uint32_t nreleased;
	uint32_t nparked;
	uint16_t active[SCHED_MAX_TENANTS];
	uint16_t touched[SCHED_MAX_TENANTS];
	uint16_t released[SCHED_MAX_TENANTS];
	struct sched_tenant t[SCHED_MAX_TENANTS];
};

/**
 * sched_vt_before() - is virtual time @a before @b?
 * @a:		virtual time
 * @b:		virtual time
 *
 * Return: true if so, across the wrap of 64 bits
 */
static inline bool sched_vt_before(uint64_t a, uint64_t b)
{
	return (int64_t)(a - b) < 0;
}

/* Called by sched_round_end() with the cycles charged to each tenant */
typedef void (*sched_charge_fn)(void *ctx, uint32_t id, uint64_t cycles);

struct sched *sched_create(uint64_t quantum);
void sched_destroy(struct sched *s);
void sched_tenant_set(struct sched *s, uint32_t id, uint32_t weight,
		      uint64_t rate_bytes, uint64_t now_ns);
void sched_tenant_new(struct sched *s, uint32_t id, uint64_t now_ns);
void sched_attach(struct sched *s, uint32_t id);
void sched_detach(struct sched *s, uint32_t id);
void sched_round_end(struct sched *s, uint64_t cycles, uint64_t now_ns,
		     sched_charge_fn charge, void *ctx);
void sched_idle(struct sched *s, uint64_t now_ns);
void sched_release_due(struct sched *s, uint64_t now_ns);
bool sched_share_parked(const struct sched *s);
uint64_t sched_next_release(const struct sched *s);

/**
 * sched_busy() - does tenant @t count as busy (backlogged)?
 * @s:		scheduler
 * @t:		tenant
 *
 * Busy: parked for its share, or it had frames in a recent busy round and
 * either its queue was not found empty since or it is moving bulk data. A
 * tenant held by its rate cap or its garbage budget does not compete for
 * shares: it must not hold the system's virtual time back while it waits.
 * Nor does a tenant of small frames whose queue runs empty (a TCP
 * receiver's ACKs, a request/response exchange): it gets all it asks for,
 * so its small virtual time must not hold back the others either. A bulk
 * sender whose queue runs empty now and then is still busy: on a host short
 * of CPU its queue runs dry because its own kernel competes for CPU with
 * the others, and parking them is what gives it its share.
 *
 * Return: true if busy
 */
static inline bool sched_busy(const struct sched *s,
			      const struct sched_tenant *t)
{
	if (t->park)
		return !(t->park & SCHED_PARK_TIMED);
	return s->round - t->last_round <= SCHED_RUNNABLE_ROUNDS &&
	       (t->backlog || s->round + 1 - t->bulk_round <= SCHED_RUNNABLE_ROUNDS);
}

/**
 * sched_drained() - a read found tenant @id's TAP queue empty
 * @s:		scheduler
 * @id:		tenant
 *
 * The worker calls this when a RWF_NOWAIT read (or a waiting read on a
 * kernel that cannot park it) fails with EAGAIN.
 */
static inline void sched_drained(struct sched *s, uint32_t id)
{
	if (id >= SCHED_MAX_TENANTS)
		return;
	s->t[id].drained_round = s->round;
	s->t[id].backlog = false;
}

/**
 * sched_note() - a frame of @bytes was handled for tenant @id this round
 * @s:		scheduler
 * @id:		tenant (ids beyond the table are ignored)
 * @bytes:	frame length
 *
 * The first frame of a tenant that was not busy lifts its virtual time to
 * the system's: time spent idle (or with nothing queued) is not credit to
 * spend later.
 */
static inline void sched_note(struct sched *s, uint32_t id, uint64_t bytes)
{
	struct sched_tenant *t;

	if (id >= SCHED_MAX_TENANTS)
		return;
	t = &s->t[id];
	if (!t->touched) {
		t->touched = true;
		s->touched[s->ntouched++] = (uint16_t)id;
		if (!sched_busy(s, t) && sched_vt_before(t->vtime, s->vnow))
			t->vtime = s->vnow;
	}
	t->units += 1 + bytes / SCHED_BYTES_PER_UNIT;
	t->bytes += bytes;
	if (bytes >= SCHED_BULK_BYTES)
		t->bulk_round = s->round + 1;
}

/**
 * sched_penalize() - the frame just noted for @id was dropped for its fault
 * @s:		scheduler
 * @id:		tenant (ids beyond the table are ignored)
 * @bytes:	frame length, as given to sched_note()
 *
 * Its share of the round's cycles is charged SCHED_DROP_PENALTY times
 * over in virtual time (not in the cycles reported: those stay what the
 * worker spent). Garbage then costs its sender, not its neighbours: a
 * tenant flooding malformed or spoofed frames is parked long before the
 * tenants whose frames it competes with. Beyond SCHED_BAD_PER_SEC such
 * frames it is parked outright until its budget is back.
 */
static inline void sched_penalize(struct sched *s, uint32_t id, uint64_t bytes)
{
	if (id >= SCHED_MAX_TENANTS)
		return;
	s->t[id].bad += 1 + bytes / SCHED_BYTES_PER_UNIT;
	s->t[id].bad_frames++;
}

/**
 * sched_parked() - may tenant @id's reads be posted?
 * @s:		scheduler
 * @id:		tenant
 *
 * Return: true if its intake is parked
 */
static inline bool sched_parked(const struct sched *s, uint32_t id)
{
	return id < SCHED_MAX_TENANTS && s->t[id].park;
}

/**
 * sched_cycles() - the CPU's cycle counter (TSC), or nanoseconds where
 *		    there is none
 *
 * Return: a count that only grows on one CPU
 */
static inline uint64_t sched_cycles(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __rdtsc();
#else
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
#endif
}

#endif /* VSTACK_SCHED_H */
