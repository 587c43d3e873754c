/* SPDX-License-Identifier: MIT */
/*
 * fdb_model.h - reference model of the forwarding database, for tests
 *
 * A plain array with linear search that states the semantics of vnet/fdb.c
 * as simply as possible: test_fdb.c and fuzz_fdb.c run the same operations
 * on both and compare every result. Single-threaded; time must not run
 * backwards or advance by 2^31 ms or more between operations.
 *
 * Semantics (see the theory of operation in fdb.c):
 * - an entry is present until removed by aging or flushing; it is live
 *   while (int32_t)(now - seen) < aging; lookups and walks see live ones;
 * - learning a group address, 00:00:00:00:00:00 or FDB_PORT_NONE changes
 *   nothing and returns FDB_LEARN_REFRESH;
 * - learning a live address: same port REFRESH, other port MOVED;
 *   an expired present one: NEW, in place; an absent one at the limit:
 *   every expired entry is removed (aged) first, then NEW or FULL;
 * - a pinned entry (fdbm_pin()) never expires and is never aged; learning
 *   it from its port is REFRESH, from another PINNED (counted refused);
 *   pinning counts as learning (learned, moved) and, at the limit after
 *   aging, removes the least recently seen unpinned entry (lowest address
 *   on a tie), failing with -ENOSPC if every entry is pinned; an address
 *   pinned to another port is not pinned again (-EEXIST);
 * - a port below FDB_PORT_LIMITS with a limit (fdbm_port_set_max()) holding
 *   that many present unpinned entries learns no absent address and takes
 *   no unpinned address from another port: PORT_FULL (counted port_full),
 *   checked before the table's limit; pinning ignores port limits.
 */
#ifndef VSTACK_TEST_FDB_MODEL_H
#define VSTACK_TEST_FDB_MODEL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fdb.h"

#define FDBM_MAX 4096

struct fdbm_entry {
	uint64_t mac;
	uint16_t port;
	uint32_t seen;
	bool pinned;
};

struct fdbm {
	struct fdbm_entry e[FDBM_MAX]; /* present entries, unordered */
	unsigned n;
	uint32_t limit;
	uint32_t aging;
	uint32_t port_max[FDB_PORT_LIMITS]; /* 0: no limit */
	struct fdb_stats st;
};

/**
 * fdbm_mac48() - MAC address as an integer
 * @mac:	address
 *
 * Return: address, first octet in the high bits
 */
static inline uint64_t fdbm_mac48(const uint8_t mac[6])
{
	uint64_t m = 0;
	int i;

	for (i = 0; i < 6; i++)
		m = m << 8 | mac[i];
	return m;
}

/**
 * fdbm_init() - empty model
 * @md:		model
 * @limit:	entry limit, at most FDBM_MAX
 * @aging:	aging time, ms
 */
static inline void fdbm_init(struct fdbm *md, uint32_t limit, uint32_t aging)
{
	memset(md, 0, sizeof(*md));
	md->limit = limit;
	md->aging = aging;
	md->st.limit = limit;
}

/**
 * fdbm_expired() - has an entry reached the aging time?
 * @md:		model
 * @e:		entry
 * @now:	time, ms
 *
 * Return: true if expired
 */
static inline bool fdbm_expired(const struct fdbm *md,
				const struct fdbm_entry *e, uint32_t now)
{
	return !e->pinned && (int32_t)(now - e->seen) >= (int32_t)md->aging;
}

/**
 * fdbm_find() - present entry of an address
 * @md:		model
 * @m:		address
 *
 * Return: entry or NULL
 */
static inline struct fdbm_entry *fdbm_find(struct fdbm *md, uint64_t m)
{
	unsigned i;

	for (i = 0; i < md->n; i++)
		if (md->e[i].mac == m)
			return &md->e[i];
	return NULL;
}

/**
 * fdbm_remove() - remove entry @i
 * @md:		model
 * @i:		index
 */
static inline void fdbm_remove(struct fdbm *md, unsigned i)
{
	md->e[i] = md->e[--md->n];
	md->st.entries = md->n;
}

/**
 * fdbm_age() - remove expired entries
 * @md:		model
 * @now:	time, ms
 *
 * Return: number removed
 */
static inline unsigned fdbm_age(struct fdbm *md, uint32_t now)
{
	unsigned i = 0, removed = 0;

	while (i < md->n) {
		if (fdbm_expired(md, &md->e[i], now)) {
			fdbm_remove(md, i);
			removed++;
		} else {
			i++;
		}
	}
	md->st.aged += removed;
	return removed;
}

/**
 * fdbm_port_learned() - present unpinned entries of a port
 * @md:		model
 * @port:	port
 *
 * Return: count (0 for ports from FDB_PORT_LIMITS on: not counted)
 */
static inline uint32_t fdbm_port_learned(const struct fdbm *md, uint16_t port)
{
	uint32_t n = 0;
	unsigned i;

	if (port >= FDB_PORT_LIMITS)
		return 0;
	for (i = 0; i < md->n; i++)
		n += md->e[i].port == port && !md->e[i].pinned;
	return n;
}

/**
 * fdbm_port_full() - is a port at its limit?
 * @md:		model
 * @port:	port
 *
 * Return: true if it has a limit and that many entries
 */
static inline bool fdbm_port_full(const struct fdbm *md, uint16_t port)
{
	return port < FDB_PORT_LIMITS && md->port_max[port] &&
	       fdbm_port_learned(md, port) >= md->port_max[port];
}

/**
 * fdbm_port_set_max() - limit a port's learned addresses
 * @md:		model
 * @port:	port
 * @max:	limit, 0 for none
 *
 * Return: as fdb_port_set_max()
 */
static inline int fdbm_port_set_max(struct fdbm *md, uint16_t port,
				    uint32_t max)
{
	if (port >= FDB_PORT_LIMITS)
		return max ? -EINVAL : 0;
	md->port_max[port] = max;
	return 0;
}

/**
 * fdbm_learn() - learn a source address
 * @md:		model
 * @mac:	address
 * @port:	port
 * @now:	time, ms
 *
 * Return: as fdb_learn()
 */
static inline enum fdb_learn fdbm_learn(struct fdbm *md, const uint8_t mac[6],
					uint16_t port, uint32_t now)
{
	uint64_t m = fdbm_mac48(mac);
	struct fdbm_entry *e;

	if (!m || (mac[0] & 1) || port >= FDB_PORT_MAX)
		return FDB_LEARN_REFRESH;

	e = fdbm_find(md, m);
	if (e && e->pinned && e->port != port) {
		md->st.refused++;
		return FDB_LEARN_PINNED;
	}
	if ((!e || e->port != port) && fdbm_port_full(md, port)) {
		md->st.port_full++;
		return FDB_LEARN_PORT_FULL;
	}
	if (e) {
		enum fdb_learn ret;

		if (fdbm_expired(md, e, now)) {
			md->st.learned++;
			ret = FDB_LEARN_NEW;
		} else if (e->port == port) {
			ret = FDB_LEARN_REFRESH;
		} else {
			md->st.moved++;
			ret = FDB_LEARN_MOVED;
		}
		e->port = port;
		e->seen = now;
		return ret;
	}

	if (md->n >= md->limit) {
		fdbm_age(md, now);
		if (md->n >= md->limit) {
			md->st.full++;
			return FDB_LEARN_FULL;
		}
	}
	md->e[md->n].mac = m;
	md->e[md->n].port = port;
	md->e[md->n].seen = now;
	md->e[md->n].pinned = false;
	md->n++;
	md->st.entries = md->n;
	md->st.learned++;
	return FDB_LEARN_NEW;
}

/**
 * fdbm_pin() - pin an address to a port
 * @md:		model
 * @mac:	address
 * @port:	port
 * @now:	time, ms
 *
 * Return: as fdb_pin()
 */
static inline int fdbm_pin(struct fdbm *md, const uint8_t mac[6], uint16_t port,
			   uint32_t now)
{
	uint64_t m = fdbm_mac48(mac);
	struct fdbm_entry *e;

	if (!m || (mac[0] & 1) || port >= FDB_PORT_MAX)
		return -EINVAL;
	e = fdbm_find(md, m);
	if (e && e->pinned && e->port != port)
		return -EEXIST;
	if (e) {
		if (fdbm_expired(md, e, now))
			md->st.learned++;
		else if (e->port != port)
			md->st.moved++;
	} else {
		if (md->n >= md->limit)
			fdbm_age(md, now);
		if (md->n >= md->limit) {
			unsigned i, v = md->n;

			for (i = 0; i < md->n; i++) {
				const struct fdbm_entry *c = &md->e[i];

				if (c->pinned)
					continue;
				if (v == md->n ||
				    (int32_t)(c->seen - md->e[v].seen) < 0 ||
				    (c->seen == md->e[v].seen &&
				     c->mac < md->e[v].mac))
					v = i;
			}
			if (v == md->n)
				return -ENOSPC;
			fdbm_remove(md, v);
		}
		e = &md->e[md->n++];
		e->mac = m;
		md->st.entries = md->n;
		md->st.learned++;
	}
	e->port = port;
	e->seen = now;
	e->pinned = true;
	return 0;
}

/**
 * fdbm_lookup() - port of a destination address
 * @md:		model
 * @mac:	address
 * @now:	time, ms
 *
 * Return: port or -1
 */
static inline int fdbm_lookup(struct fdbm *md, const uint8_t mac[6],
			      uint32_t now)
{
	struct fdbm_entry *e = fdbm_find(md, fdbm_mac48(mac));

	if (!e || fdbm_expired(md, e, now))
		return -1;
	return e->port;
}

/**
 * fdbm_flush_port() - remove every entry of a port
 * @md:		model
 * @port:	port
 *
 * Return: number removed
 */
static inline unsigned fdbm_flush_port(struct fdbm *md, uint16_t port)
{
	unsigned i = 0, removed = 0;

	while (i < md->n) {
		if (md->e[i].port == port) {
			fdbm_remove(md, i);
			removed++;
		} else {
			i++;
		}
	}
	return removed;
}

/**
 * fdbm_live() - number of live entries
 * @md:		model
 * @now:	time, ms
 *
 * Return: count
 */
static inline unsigned fdbm_live(const struct fdbm *md, uint32_t now)
{
	unsigned i, n = 0;

	for (i = 0; i < md->n; i++)
		n += !fdbm_expired(md, &md->e[i], now);
	return n;
}

/**
 * struct fdbm_walk_ctx - state of a walk compared against the model
 * @md:		model
 * @now:	time of the walk
 * @count:	entries reported
 * @bad:	entries reported that the model does not have, live, alike
 */
struct fdbm_walk_ctx {
	struct fdbm *md;
	uint32_t now;
	unsigned count;
	unsigned bad;
};

/**
 * fdbm_walk_check() - fdb_walk() callback: check one entry against the model
 * @en:		entry reported
 * @ctx:	struct fdbm_walk_ctx
 */
static inline void fdbm_walk_check(const struct fdb_entry *en, void *ctx)
{
	struct fdbm_walk_ctx *w = ctx;
	struct fdbm_entry *e = fdbm_find(w->md, fdbm_mac48(en->mac));

	w->count++;
	if (!e || fdbm_expired(w->md, e, w->now) || e->port != en->port ||
	    e->pinned != en->pinned ||
	    en->age_ms !=
		    ((int32_t)(w->now - e->seen) > 0 ? w->now - e->seen : 0))
		w->bad++;
}

/**
 * fdbm_walk_matches() - does fdb_walk() report exactly the live entries?
 * @f:		table
 * @md:		model
 * @now:	time, ms
 *
 * Return: true if every live entry is reported once, correctly
 */
static inline bool fdbm_walk_matches(struct fdb *f, struct fdbm *md,
				     uint32_t now)
{
	struct fdbm_walk_ctx w = {.md = md, .now = now};

	fdb_walk(f, now, fdbm_walk_check, &w);
	/* Addresses are unique in the table, so count + bad covers it */
	return !w.bad && w.count == fdbm_live(md, now);
}

/**
 * fdbm_stats_match() - are the table's counters the model's?
 * @f:		table
 * @md:		model
 *
 * Return: true if equal
 */
static inline bool fdbm_stats_match(struct fdb *f, const struct fdbm *md)
{
	struct fdb_stats st;

	fdb_get_stats(f, &st);
	return st.entries == md->st.entries && st.limit == md->st.limit &&
	       st.learned == md->st.learned && st.moved == md->st.moved &&
	       st.full == md->st.full && st.aged == md->st.aged &&
	       st.refused == md->st.refused && st.port_full == md->st.port_full;
}

/**
 * fdbm_ports_match() - are the table's per-port counts the model's?
 * @f:		table
 * @md:		model
 * @ports:	ports 0 .. @ports - 1 are compared
 *
 * Return: true if equal
 */
static inline bool fdbm_ports_match(struct fdb *f, const struct fdbm *md,
				    unsigned ports)
{
	unsigned p;

	for (p = 0; p < ports; p++)
		if (fdb_port_learned(f, (uint16_t)p) !=
		    fdbm_port_learned(md, (uint16_t)p))
			return false;
	return true;
}

#endif /* VSTACK_TEST_FDB_MODEL_H */
