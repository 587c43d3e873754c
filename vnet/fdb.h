/* SPDX-License-Identifier: MIT */
/*
 * fdb.h - a network's forwarding database (MAC address -> port)
 *
 * One table per network, shared by every worker. Lookups and refreshes of
 * known addresses are lock-free: each slot is one 64-bit word holding the
 * MAC address and the port, so a reader always sees a consistent pair, plus
 * a last-seen time. Inserting a new address, moving one to another port,
 * aging and flushing take the table's lock; they are rare next to lookups.
 *
 * An address can be pinned to a port (fdb_pin()): a locked port's own, a
 * stack endpoint's. A pinned entry never ages, and frames from any other
 * port with that source are refused (FDB_LEARN_PINNED) instead of moving
 * it, so no port can take over another's address and receive its traffic.
 * Only flushing its port removes it.
 *
 * A port can have a limit on the addresses learned from it
 * (fdb_port_set_max(), like a Linux bridge port's fdb_max_learned): at it,
 * new addresses from the port, and addresses moving to it, are not learned
 * (FDB_LEARN_PORT_FULL), so one port cannot fill the network's table and
 * push the other ports' addresses out into flooding. Pinned entries do not
 * count; an entry that is removed (aged, flushed) or moves away frees its
 * slot.
 *
 * Times are milliseconds of a monotonic clock as uint32_t, compared
 * wrap-safely. An entry not seen for the aging time is treated as absent by
 * lookups at once and removed by the next fdb_age().
 */
#ifndef VSTACK_FDB_H
#define VSTACK_FDB_H

#include <stdbool.h>
#include <stdint.h>

#define FDB_PORT_NONE 0xffff /* lookups return -1 instead */
#define FDB_PORT_MAX  0x7fff /* ports are below this */
#define FDB_PORT_LIMITS 4096 /* ports below this can have a learning limit */

struct fdb;

enum fdb_learn {
	FDB_LEARN_REFRESH = 0, /* known address, same port */
	FDB_LEARN_NEW,         /* inserted */
	FDB_LEARN_MOVED,       /* known address, now on another port */
	FDB_LEARN_FULL,        /* table at its limit: not learned, counted */
	FDB_LEARN_PINNED,      /* pinned to another port: refused, counted */
	FDB_LEARN_PORT_FULL,   /* the port at its own limit: not learned,
				* counted */
};

struct fdb_stats {
	uint32_t entries;
	uint32_t limit;
	uint64_t learned;
	uint64_t moved;
	uint64_t full;    /* addresses not learned because of the limit */
	uint64_t aged;
	uint64_t refused; /* frames from a port other than an address's pin */
	uint64_t port_full; /* addresses not learned because of their port's
			     * limit */
};

struct fdb_entry {
	uint8_t mac[6];
	uint16_t port;
	uint32_t age_ms; /* since last seen */
	bool pinned;
};

struct fdb *fdb_create(uint32_t limit, uint32_t aging_ms);
void fdb_destroy(struct fdb *f);
void fdb_set_aging(struct fdb *f, uint32_t aging_ms);
enum fdb_learn fdb_learn(struct fdb *f, const uint8_t mac[6], uint16_t port,
			 uint32_t now_ms);
int fdb_pin(struct fdb *f, const uint8_t mac[6], uint16_t port, uint32_t now_ms);
int fdb_lookup(struct fdb *f, const uint8_t mac[6], uint32_t now_ms);
unsigned fdb_age(struct fdb *f, uint32_t now_ms);
unsigned fdb_flush_port(struct fdb *f, uint16_t port);
void fdb_get_stats(struct fdb *f, struct fdb_stats *st);
int fdb_port_set_max(struct fdb *f, uint16_t port, uint32_t max);
uint32_t fdb_port_learned(struct fdb *f, uint16_t port);
typedef void (*fdb_walk_fn)(const struct fdb_entry *e, void *ctx);
void fdb_walk(struct fdb *f, uint32_t now_ms, fdb_walk_fn fn, void *ctx);

#endif /* VSTACK_FDB_H */
