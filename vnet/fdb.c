// SPDX-License-Identifier: MIT
/*
 * fdb.c - a network's forwarding database (MAC address -> port)
 *
 * Theory of operation
 * ===================
 *
 * Goals: many workers look up destination addresses and refresh source
 * addresses for every frame, without locks and without writing shared cache
 * lines when nothing changed; a control thread ages and flushes entries. The
 * table never allocates after fdb_create().
 *
 * Layout: open addressing with linear probing over a power-of-two array of
 * slots, at least twice the entry limit, so the load factor of live entries
 * stays at or below 1/2. A slot is
 *
 *   word: _Atomic uint64_t, MAC address in bits 63..16, FDB_PIN (bit 15),
 *         port in bits 14..0
 *   seen: _Atomic uint32_t, last time the address was seen (ms)
 *
 * Two word values can never be a learned pair and mark free slots:
 *
 *   FDB_EMPTY      0                   00:00:00:00:00:00 is never learned
 *   FDB_TOMBSTONE  0xffffffffffffffff  broadcast is never learned, and port
 *                                      0xffff is FDB_PORT_NONE
 *
 * Readers load the word with acquire ordering and then the time; writers
 * store the time first and publish the word with release ordering, so a
 * reader that sees a pair sees at least the time it was published with.
 *
 * Who writes what:
 *
 *   - word: only with the table lock held (insert, move, age, flush);
 *   - seen: with the lock (insert, move) and lock-free by fdb_learn()'s
 *     refresh path, which stores only when the time actually changed, so a
 *     stream of frames from one address within the same millisecond costs
 *     no write at all.
 *
 * Deletions write a tombstone, since a lock-free reader may be walking a
 * probe sequence through the slot. Tombstones are reused by insertions, and
 * a tombstone directly followed by an empty slot is turned back into an
 * empty slot, repeatedly backwards: no key's probe sequence can run through
 * it, because probe sequences contain no empty slot (an insertion takes the
 * first free slot of its sequence, and clean-up never empties a slot that is
 * followed by a non-empty one). So tombstones only survive inside clusters
 * that still end in a live entry.
 *
 * Tradeoff: a rehash would remove every tombstone but moves live entries,
 * which lock-free readers could miss, or would need a second table (memory
 * and an epoch scheme). We accept that adversarial churn can leave long
 * clusters of tombstones: probes are bounded by the capacity, a miss costs
 * a flood, never a wrong answer.
 *
 * Races with lock-free readers are benign: a reader may miss an address
 * being moved or re-inserted (it floods once), or see the previous port of
 * an address being moved (the frame goes where the address was a moment
 * ago). A refresh racing with aging may lose the entry, which is learned
 * again from the next frame. A reader never sees a MAC address paired with
 * a port it was not assigned to.
 *
 * Times: uint32_t milliseconds of a monotonic clock, compared as signed
 * differences, so the clock may wrap. An entry whose age is at least the
 * aging time is absent for lookups at once (even before fdb_age() removes
 * it); an aging time of 0 therefore makes the table learn nothing useful,
 * like a Linux bridge with ageing_time 0 (hub mode). Differences must stay
 * below 2^31 ms (24.8 days), which periodic aging guarantees (aging times
 * are clamped to FDB_AGING_MAX, a day less).
 *
 * Limit: live and expired-but-not-yet-removed entries both count. When an
 * unknown address arrives at the limit, every expired entry is removed
 * first (counted as aged); if none has expired, the address is not learned
 * and counted as full. The earliest time any entry can expire is then
 * remembered, so a flood of new source addresses against a full table is
 * refused without another scan until that time.
 *
 * Pinned entries (fdb_pin()) carry FDB_PIN in their word, so a lock-free
 * reader sees it with the port. They never expire: lookups ignore their
 * time, aging and making room skip them, and learning the address from
 * another port is refused and counted (refused), on the lock-free path
 * too, so a port sending as a pinned address cannot make the workers
 * contend for the lock. They count towards the limit; pinning an absent
 * address at the limit removes the expired entries and, if that is not
 * enough, the least recently seen entry that is not pinned (ties: the
 * lowest address). Flushing the port removes them.
 *
 * Port limits (fdb_port_set_max()): each port below FDB_PORT_LIMITS has a
 * count of the unpinned entries present on it, live or expired, and a
 * limit (0: none). Both live in a per-port array next to the slots. The
 * count changes only under the lock, where an entry is inserted, moves
 * between ports, is pinned or is removed, never when an address is
 * refreshed, so the refresh path neither reads nor writes it. An address
 * that is absent, or present on another port and not pinned, is refused
 * while its port is at its limit: FDB_LEARN_PORT_FULL, counted
 * (port_full), the entry left where it was. That test comes before the
 * table's own limit, and is made without the lock too, from a relaxed
 * read of the count, so a port flooding new source addresses costs other
 * workers no contention; the locked path repeats it. Expired entries keep
 * their place in the count until they are removed, by fdb_age() (the
 * control thread's tick) or by making room at the table's limit: a port
 * at its limit is not worth a scan of the whole table per frame.
 *
 * Multicast and broadcast source addresses (and 00:00:00:00:00:00) are
 * never learned: they are not the address of a port. fdb_learn() returns
 * FDB_LEARN_REFRESH for them and changes nothing, like for port
 * FDB_PORT_NONE. The caller is expected to drop such frames anyway.
 *
 * Locking: one mutex per table, held for short bounded sections: one
 * insertion, or a chunk of FDB_SCAN_CHUNK slots of an aging or flush scan,
 * so a worker inserting an address never waits for a whole-table scan.
 */

#include <errno.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fdb.h"

#define FDB_EMPTY     ((uint64_t)0)
#define FDB_TOMBSTONE (~(uint64_t)0)
#define FDB_PIN	      ((uint64_t)0x8000)

#define FDB_CAPACITY_MIN 16U
#define FDB_LIMIT_MAX	 (1U << 24)
#define FDB_SCAN_CHUNK	 256U
/* A full aging scan at least this often, whatever the oldest entry says */
#define FDB_RESCAN_MS 10000U
/* Aging times stay a day below 2^31 ms: an expired entry is removed by a
 * scan long before its age would wrap and make it look fresh again. */
#define FDB_AGING_MAX ((uint32_t)INT32_MAX - 24U * 3600U * 1000U)

/* Golden-ratio multiplier (Knuth, TAOCP 6.4): spreads the vendor prefix
 * and the serial number of sequentially assigned addresses alike. */
#define FDB_HASH_MUL 0x9e3779b97f4a7c15ULL

/**
 * struct fdb_slot - one table slot
 * @word:	MAC address << 16 | port, or FDB_EMPTY or FDB_TOMBSTONE
 * @seen:	last time the address was seen, ms
 */
struct fdb_slot {
	_Atomic uint64_t word;
	_Atomic uint32_t seen;
};

/**
 * struct fdb_port - a port's share of the table
 * @learned:	unpinned entries present on the port, changed under the lock
 * @max:	at most this many (0: no limit), set by fdb_port_set_max()
 */
struct fdb_port {
	_Atomic uint32_t learned;
	_Atomic uint32_t max;
};

/**
 * struct fdb - forwarding database of one network
 * @slots:	@mask + 1 slots
 * @ports:	FDB_PORT_LIMITS ports' counts and limits
 * @mask:	capacity - 1
 * @shift:	64 - log2(capacity), for the hash
 * @limit:	most entries (live or expired, not yet removed)
 * @aging_ms:	aging time
 * @lock:	serialises every change of a slot word
 * @entries:	present entries, changed under @lock
 * @full_until:	while now is before this, a full table has nothing expired
 * @full_valid:	@full_until holds (cleared when it may be wrong)
 * @age_oldest:	fdb_age(): the oldest entry's time at the last full scan
 *		(the scan's time if it kept none), under @lock
 * @age_scanned: fdb_age(): when that scan ran, under @lock
 * @age_valid:	fdb_age(): the two above hold, under @lock
 * @learned:	addresses inserted, or re-learned after expiring
 * @moved:	addresses moved to another port
 * @full:	addresses not learned because of the limit
 * @aged:	entries removed because they expired
 * @refused:	frames refused because their address is pinned elsewhere
 * @port_full:	addresses not learned because their port is at its limit
 */
struct fdb {
	struct fdb_slot *slots;
	struct fdb_port *ports;
	uint32_t mask;
	unsigned shift;
	uint32_t limit;
	_Atomic uint32_t aging_ms;

	alignas(64) pthread_mutex_t lock;
	_Atomic uint32_t entries;
	_Atomic uint32_t full_until;
	_Atomic bool full_valid;
	uint32_t age_oldest, age_scanned;
	bool age_valid;

	alignas(64) _Atomic uint64_t learned;
	_Atomic uint64_t moved;
	_Atomic uint64_t full;
	_Atomic uint64_t aged;
	_Atomic uint64_t refused;
	_Atomic uint64_t port_full;
};

/**
 * fdb_mac48() - MAC address as a 48-bit integer
 * @mac:	address, network order
 *
 * Return: address, first octet in bits 47..40
 */
static inline uint64_t fdb_mac48(const uint8_t mac[6])
{
	return (uint64_t)mac[0] << 40 | (uint64_t)mac[1] << 32 |
	       (uint64_t)mac[2] << 24 | (uint64_t)mac[3] << 16 |
	       (uint64_t)mac[4] << 8 | (uint64_t)mac[5];
}

/**
 * fdb_mac_learnable() - may this address be learned as a source?
 * @m:		address from fdb_mac48()
 *
 * Return: false for group addresses (I/G bit set, IEEE 802-2014 8.2) and
 *	   for the all-zeros address
 */
static inline bool fdb_mac_learnable(uint64_t m)
{
	return m && !(m & (1ULL << 40));
}

/**
 * fdb_word() - pack an address and a port into a slot word
 * @m:		address from fdb_mac48()
 * @port:	port
 *
 * Return: slot word
 */
static inline uint64_t fdb_word(uint64_t m, uint16_t port)
{
	return m << 16 | port;
}

/**
 * fdb_word_mac() - address held in a slot word
 * @w:		slot word
 *
 * Return: address as from fdb_mac48()
 */
static inline uint64_t fdb_word_mac(uint64_t w)
{
	return w >> 16;
}

/**
 * fdb_word_port() - port held in a slot word
 * @w:		slot word
 *
 * Return: port
 */
static inline uint16_t fdb_word_port(uint64_t w)
{
	return (uint16_t)(w & (FDB_PIN - 1));
}

/**
 * fdb_word_pinned() - is a slot word a pinned entry?
 * @w:		slot word, not FDB_EMPTY or FDB_TOMBSTONE
 *
 * Return: true if pinned
 */
static inline bool fdb_word_pinned(uint64_t w)
{
	return w & FDB_PIN;
}

/**
 * fdb_hash() - home slot of an address
 * @f:		table
 * @m:		address from fdb_mac48()
 *
 * Return: slot index
 */
static inline uint32_t fdb_hash(const struct fdb *f, uint64_t m)
{
	return (uint32_t)((m * FDB_HASH_MUL) >> f->shift) & f->mask;
}

/**
 * fdb_expired() - has an entry reached the aging time?
 * @seen:	last seen, ms
 * @now:	current time, ms
 * @aging:	aging time, ms (at most INT32_MAX)
 *
 * Return: true if (now - seen) >= aging, wrap-safe; an entry seen "in the
 *	   future" (another worker's clock read a little later) is fresh
 */
static inline bool fdb_expired(uint32_t seen, uint32_t now, uint32_t aging)
{
	return (int32_t)(now - seen) >= (int32_t)aging;
}

/**
 * fdb_clamp_aging() - keep an aging time within signed comparisons
 * @aging_ms:	requested aging time
 *
 * Return: aging time, at most FDB_AGING_MAX (about 23.8 days)
 */
static uint32_t fdb_clamp_aging(uint32_t aging_ms)
{
	return aging_ms > FDB_AGING_MAX ? FDB_AGING_MAX : aging_ms;
}

/**
 * fdb_port_count_locked() - count an entry in or out of its port's share
 * @f:		table, lock held
 * @w:		the entry's slot word
 * @delta:	+1 when it appears on its port, -1 when it leaves
 *
 * Pinned entries and ports without a share (FDB_PORT_LIMITS on) are not
 * counted.
 */
static void fdb_port_count_locked(struct fdb *f, uint64_t w, int delta)
{
	uint16_t port = fdb_word_port(w);
	_Atomic uint32_t *c;

	if (fdb_word_pinned(w) || port >= FDB_PORT_LIMITS)
		return;
	c = &f->ports[port].learned;
	atomic_store_explicit(c,
			      atomic_load_explicit(c, memory_order_relaxed) +
				      (uint32_t)delta,
			      memory_order_relaxed);
}

/**
 * fdb_port_full() - is a port at its limit?
 * @f:		table (lock held or not: the count may then be stale)
 * @port:	port
 *
 * Return: true if it has a limit and as many entries as that
 */
static inline bool fdb_port_full(struct fdb *f, uint16_t port)
{
	uint32_t max;

	if (port >= FDB_PORT_LIMITS)
		return false;
	max = atomic_load_explicit(&f->ports[port].max, memory_order_relaxed);
	return max && atomic_load_explicit(&f->ports[port].learned,
					   memory_order_relaxed) >= max;
}

/**
 * fdb_port_refuse() - count an address not learned for its port's limit
 * @f:		table
 *
 * Return: FDB_LEARN_PORT_FULL
 */
static enum fdb_learn fdb_port_refuse(struct fdb *f)
{
	atomic_fetch_add_explicit(&f->port_full, 1, memory_order_relaxed);
	return FDB_LEARN_PORT_FULL;
}

/**
 * fdb_create() - create a forwarding database
 * @limit:	most entries, 1 to 2^24
 * @aging_ms:	aging time in ms (0: every entry is expired at once)
 *
 * Return: table, or NULL with errno set (EINVAL, ENOMEM)
 */
struct fdb *fdb_create(uint32_t limit, uint32_t aging_ms)
{
	uint32_t cap = FDB_CAPACITY_MIN, i;
	unsigned bits = 4;
	struct fdb *f;

	if (!limit || limit > FDB_LIMIT_MAX) {
		errno = EINVAL;
		return NULL;
	}
	while (cap < 2 * limit) {
		cap <<= 1;
		bits++;
	}

	/* Over-aligned (lock and counters on their own cache lines) */
	f = aligned_alloc(alignof(struct fdb),
			  (sizeof(*f) + alignof(struct fdb) - 1) /
				  alignof(struct fdb) * alignof(struct fdb));
	if (!f)
		return NULL;
	memset(f, 0, sizeof(*f));
	f->slots = calloc(cap, sizeof(*f->slots));
	f->ports = calloc(FDB_PORT_LIMITS, sizeof(*f->ports));
	if (!f->slots || !f->ports) {
		free(f->slots);
		free(f->ports);
		free(f);
		errno = ENOMEM;
		return NULL;
	}
	for (i = 0; i < cap; i++) {
		atomic_init(&f->slots[i].word, FDB_EMPTY);
		atomic_init(&f->slots[i].seen, 0);
	}
	for (i = 0; i < FDB_PORT_LIMITS; i++) {
		atomic_init(&f->ports[i].learned, 0);
		atomic_init(&f->ports[i].max, 0);
	}
	if (pthread_mutex_init(&f->lock, NULL)) {
		free(f->slots);
		free(f->ports);
		free(f);
		errno = ENOMEM;
		return NULL;
	}

	f->mask = cap - 1;
	f->shift = 64 - bits;
	f->limit = limit;
	atomic_init(&f->aging_ms, fdb_clamp_aging(aging_ms));
	atomic_init(&f->entries, 0);
	atomic_init(&f->full_until, 0);
	atomic_init(&f->full_valid, false);
	atomic_init(&f->learned, 0);
	atomic_init(&f->moved, 0);
	atomic_init(&f->full, 0);
	atomic_init(&f->aged, 0);
	atomic_init(&f->refused, 0);
	atomic_init(&f->port_full, 0);
	return f;
}

/**
 * fdb_destroy() - free a forwarding database
 * @f:		table, or NULL; no other thread may use it any more
 */
void fdb_destroy(struct fdb *f)
{
	if (!f)
		return;
	pthread_mutex_destroy(&f->lock);
	free(f->slots);
	free(f->ports);
	free(f);
}

/**
 * fdb_set_aging() - change the aging time
 * @f:		table
 * @aging_ms:	new aging time, ms (clamped to FDB_AGING_MAX)
 *
 * A longer aging time revives entries that expired but were not removed
 * yet; call fdb_age() first to avoid that.
 */
void fdb_set_aging(struct fdb *f, uint32_t aging_ms)
{
	pthread_mutex_lock(&f->lock);
	atomic_store_explicit(&f->aging_ms, fdb_clamp_aging(aging_ms),
			      memory_order_relaxed);
	atomic_store_explicit(&f->full_valid, false, memory_order_relaxed);
	pthread_mutex_unlock(&f->lock);
}

/**
 * fdb_find() - lock-free probe for an address
 * @f:		table
 * @m:		address from fdb_mac48()
 * @word:	set to the slot word found (acquire-loaded)
 *
 * Return: slot index, or -1 if absent
 */
static inline int64_t fdb_find(const struct fdb *f, uint64_t m, uint64_t *word)
{
	uint32_t i = fdb_hash(f, m), n;

	for (n = 0; n <= f->mask; n++, i = (i + 1) & f->mask) {
		uint64_t w = atomic_load_explicit(&f->slots[i].word,
						  memory_order_acquire);

		if (w == FDB_EMPTY)
			return -1;
		if (w != FDB_TOMBSTONE && fdb_word_mac(w) == m) {
			*word = w;
			return i;
		}
	}
	return -1;
}

/**
 * fdb_lookup() - find the port of a destination address
 * @f:		table
 * @mac:	destination address
 * @now_ms:	current time, ms
 *
 * Lock-free; never writes to the table.
 *
 * Return: port, or -1 if the address is unknown, expired or a group address
 */
int fdb_lookup(struct fdb *f, const uint8_t mac[6], uint32_t now_ms)
{
	uint64_t m = fdb_mac48(mac), w;
	uint32_t aging, seen;
	int64_t i;

	if (!fdb_mac_learnable(m))
		return -1;
	i = fdb_find(f, m, &w);
	if (i < 0)
		return -1;
	seen = atomic_load_explicit(&f->slots[i].seen, memory_order_relaxed);
	aging = atomic_load_explicit(&f->aging_ms, memory_order_relaxed);
	if (!fdb_word_pinned(w) && fdb_expired(seen, now_ms, aging))
		return -1;
	return fdb_word_port(w);
}

/**
 * fdb_remove_locked() - turn a slot into a tombstone, clean up behind it
 * @f:		table, lock held
 * @i:		slot index, holding a present entry
 *
 * If the next slot is empty, this tombstone and the run of tombstones
 * right before it end no probe sequence and become empty slots again.
 */
static void fdb_remove_locked(struct fdb *f, uint32_t i)
{
	uint32_t n;

	fdb_port_count_locked(
		f,
		atomic_load_explicit(&f->slots[i].word, memory_order_relaxed),
		-1);
	atomic_store_explicit(&f->slots[i].word, FDB_TOMBSTONE,
			      memory_order_release);
	atomic_store_explicit(
		&f->entries,
		atomic_load_explicit(&f->entries, memory_order_relaxed) - 1,
		memory_order_relaxed);

	if (atomic_load_explicit(&f->slots[(i + 1) & f->mask].word,
				 memory_order_relaxed) != FDB_EMPTY)
		return;
	for (n = 0; n <= f->mask; n++, i = (i - 1) & f->mask) {
		if (atomic_load_explicit(&f->slots[i].word,
					 memory_order_relaxed) != FDB_TOMBSTONE)
			break;
		atomic_store_explicit(&f->slots[i].word, FDB_EMPTY,
				      memory_order_release);
	}
}

/**
 * fdb_age_range_locked() - remove expired entries from a range of slots
 * @f:		table, lock held
 * @from:	first slot
 * @to:		one past the last slot
 * @now:	current time, ms
 * @min_seen:	if not NULL, set to the oldest time among entries kept,
 *		and left alone if none is kept
 *
 * Return: number of entries removed
 */
static unsigned fdb_age_range_locked(struct fdb *f, uint32_t from, uint32_t to,
				     uint32_t now, uint32_t *min_seen)
{
	uint32_t aging =
		atomic_load_explicit(&f->aging_ms, memory_order_relaxed);
	unsigned removed = 0;
	uint32_t i;

	for (i = from; i < to; i++) {
		uint64_t w = atomic_load_explicit(&f->slots[i].word,
						  memory_order_relaxed);
		uint32_t seen;

		if (w == FDB_EMPTY || w == FDB_TOMBSTONE || fdb_word_pinned(w))
			continue;
		seen = atomic_load_explicit(&f->slots[i].seen,
					    memory_order_relaxed);
		if (fdb_expired(seen, now, aging)) {
			fdb_remove_locked(f, i);
			removed++;
		} else if (min_seen && (int32_t)(seen - *min_seen) < 0) {
			*min_seen = seen;
		}
	}
	if (removed)
		atomic_fetch_add_explicit(&f->aged, removed,
					  memory_order_relaxed);
	return removed;
}

/**
 * fdb_make_room_locked() - at the limit, remove every expired entry
 * @f:		table, lock held
 * @now:	current time, ms
 *
 * Remembers, when nothing expired, the earliest time an entry can expire:
 * entry times only grow (refresh, re-learn) and new entries are younger,
 * so until then another scan cannot find anything.
 *
 * Return: true if there is room for one more entry
 */
static bool fdb_make_room_locked(struct fdb *f, uint32_t now)
{
	uint32_t aging =
		atomic_load_explicit(&f->aging_ms, memory_order_relaxed);
	uint32_t min_seen = now;

	if (atomic_load_explicit(&f->full_valid, memory_order_relaxed) &&
	    (int32_t)(now - atomic_load_explicit(&f->full_until,
						 memory_order_relaxed)) < 0)
		return false;

	fdb_age_range_locked(f, 0, f->mask + 1, now, &min_seen);
	if (atomic_load_explicit(&f->entries, memory_order_relaxed) < f->limit)
		return true;

	atomic_store_explicit(&f->full_until, min_seen + aging,
			      memory_order_relaxed);
	atomic_store_explicit(&f->full_valid, true, memory_order_relaxed);
	return false;
}

/**
 * fdb_free_slot_locked() - where an absent address would be inserted
 * @f:		table, lock held, below its limit
 * @m:		address from fdb_mac48(), absent
 *
 * Live entries are at most half the slots, so there is always one.
 *
 * Return: the first empty slot or tombstone of its probe sequence
 */
static int64_t fdb_free_slot_locked(const struct fdb *f, uint64_t m)
{
	uint32_t i = fdb_hash(f, m), n;

	for (n = 0; n <= f->mask; n++, i = (i + 1) & f->mask) {
		uint64_t w = atomic_load_explicit(&f->slots[i].word,
						  memory_order_relaxed);

		if (w == FDB_EMPTY || w == FDB_TOMBSTONE)
			return i;
	}
	return -1;
}

/**
 * fdb_learn_pinned() - a frame's source address is pinned
 * @f:		table
 * @s:		its slot
 * @w:		the slot's word (pinned)
 * @port:	port the frame came from
 * @now:	current time, ms
 *
 * Return: FDB_LEARN_REFRESH from its own port, else FDB_LEARN_PINNED
 */
static enum fdb_learn fdb_learn_pinned(struct fdb *f, struct fdb_slot *s,
				       uint64_t w, uint16_t port, uint32_t now)
{
	if (fdb_word_port(w) != port) {
		atomic_fetch_add_explicit(&f->refused, 1, memory_order_relaxed);
		return FDB_LEARN_PINNED;
	}
	if (atomic_load_explicit(&s->seen, memory_order_relaxed) != now)
		atomic_store_explicit(&s->seen, now, memory_order_relaxed);
	return FDB_LEARN_REFRESH;
}

/**
 * fdb_evict_locked() - remove the least recently seen entry not pinned
 * @f:		table, lock held
 * @now:	current time, ms
 *
 * Ties go to the lowest address, so the choice does not depend on where
 * the entries sit.
 *
 * Return: true if one was removed, false if every entry is pinned
 */
static bool fdb_evict_locked(struct fdb *f, uint32_t now)
{
	int64_t victim = -1;
	uint32_t i, age = 0;
	uint64_t vm = 0;

	for (i = 0; i <= f->mask; i++) {
		uint64_t w = atomic_load_explicit(&f->slots[i].word,
						  memory_order_relaxed);
		uint32_t seen, a;

		if (w == FDB_EMPTY || w == FDB_TOMBSTONE || fdb_word_pinned(w))
			continue;
		seen = atomic_load_explicit(&f->slots[i].seen,
					    memory_order_relaxed);
		a = (int32_t)(now - seen) > 0 ? now - seen : 0;
		if (victim < 0 || a > age ||
		    (a == age && fdb_word_mac(w) < vm)) {
			victim = i;
			age = a;
			vm = fdb_word_mac(w);
		}
	}
	if (victim < 0)
		return false;
	fdb_remove_locked(f, (uint32_t)victim);
	return true;
}

/**
 * fdb_learn_locked() - slow path of fdb_learn(), and fdb_pin(), lock held
 * @f:		table
 * @m:		address from fdb_mac48(), learnable
 * @port:	port it was seen on
 * @now:	current time, ms
 * @pin:	fdb_pin(): the entry made or moved is pinned; an entry pinned
 *		to another port is not taken over (FDB_LEARN_PINNED, not
 *		counted as refused) and, at the limit, the least recently
 *		seen unpinned entry makes room (FDB_LEARN_FULL, not counted
 *		as full, only if every entry is pinned); port limits do
 *		not apply
 *
 * Return: what happened, see enum fdb_learn
 */
static enum fdb_learn fdb_learn_locked(struct fdb *f, uint64_t m, uint16_t port,
				       uint32_t now, bool pin)
{
	uint32_t aging =
		atomic_load_explicit(&f->aging_ms, memory_order_relaxed);
	uint32_t i = fdb_hash(f, m), n, seen;
	uint64_t w = FDB_EMPTY, pw = fdb_word(m, port) | (pin ? FDB_PIN : 0);
	int64_t found = -1, room = -1;

	/* Probe to the end of the sequence: the address may sit beyond a
	 * tombstone we would otherwise reuse. */
	for (n = 0; n <= f->mask; n++, i = (i + 1) & f->mask) {
		w = atomic_load_explicit(&f->slots[i].word,
					 memory_order_relaxed);
		if (w == FDB_EMPTY) {
			if (room < 0)
				room = i;
			break;
		}
		if (w == FDB_TOMBSTONE) {
			if (room < 0)
				room = i;
			continue;
		}
		if (fdb_word_mac(w) == m) {
			found = i;
			break;
		}
	}

	if (found >= 0) {
		enum fdb_learn ret;

		if (fdb_word_pinned(w) && !pin)
			return fdb_learn_pinned(f, &f->slots[found], w, port,
						now);
		if (fdb_word_pinned(w) && fdb_word_port(w) != port)
			return FDB_LEARN_PINNED;
		/* Moving in takes a slot of the port's share */
		if (!pin && fdb_word_port(w) != port && fdb_port_full(f, port))
			return fdb_port_refuse(f);
		seen = atomic_load_explicit(&f->slots[found].seen,
					    memory_order_relaxed);
		if (!fdb_word_pinned(w) && fdb_expired(seen, now, aging)) {
			/* Absent for lookups already: learned anew, in place */
			atomic_fetch_add_explicit(&f->learned, 1,
						  memory_order_relaxed);
			ret = FDB_LEARN_NEW;
		} else if (fdb_word_port(w) == port) {
			/* Another worker got here first */
			ret = FDB_LEARN_REFRESH;
		} else {
			atomic_fetch_add_explicit(&f->moved, 1,
						  memory_order_relaxed);
			ret = FDB_LEARN_MOVED;
		}
		atomic_store_explicit(&f->slots[found].seen, now,
				      memory_order_relaxed);
		if (w != pw) {
			fdb_port_count_locked(f, w, -1);
			fdb_port_count_locked(f, pw, 1);
			atomic_store_explicit(&f->slots[found].word, pw,
					      memory_order_release);
		}
		return ret;
	}

	if (!pin && fdb_port_full(f, port))
		return fdb_port_refuse(f);
	if (atomic_load_explicit(&f->entries, memory_order_relaxed) >=
	    f->limit) {
		if (!fdb_make_room_locked(f, now) &&
		    !(pin && fdb_evict_locked(f, now))) {
			if (!pin)
				atomic_fetch_add_explicit(&f->full, 1,
							  memory_order_relaxed);
			return FDB_LEARN_FULL;
		}
		/* Removals may have emptied slots: find the first free one
		 * again. The address is still absent. */
		room = fdb_free_slot_locked(f, m);
	}

	/* Live entries are at most half the slots: there is always room */
	if (room < 0)
		return FDB_LEARN_FULL;

	atomic_store_explicit(&f->slots[room].seen, now, memory_order_relaxed);
	atomic_store_explicit(&f->slots[room].word, pw, memory_order_release);
	fdb_port_count_locked(f, pw, 1);
	atomic_store_explicit(
		&f->entries,
		atomic_load_explicit(&f->entries, memory_order_relaxed) + 1,
		memory_order_relaxed);
	atomic_fetch_add_explicit(&f->learned, 1, memory_order_relaxed);
	return FDB_LEARN_NEW;
}

/**
 * fdb_learn() - learn or refresh a source address
 * @f:		table
 * @mac:	source address of a frame
 * @port:	port the frame came from
 * @now_ms:	current time, ms
 *
 * A known address on the same port is refreshed without the lock, writing
 * the time only if it changed. Group addresses, 00:00:00:00:00:00 and ports
 * from FDB_PORT_MAX on (FDB_PORT_NONE) are never learned:
 * FDB_LEARN_REFRESH, nothing changes. An address pinned to another port is
 * refused: FDB_LEARN_PINNED, nothing changes. A new address, or one moving
 * in, while the port is at its limit: FDB_LEARN_PORT_FULL, nothing
 * changes.
 *
 * Return: what happened, see enum fdb_learn
 */
enum fdb_learn fdb_learn(struct fdb *f, const uint8_t mac[6], uint16_t port,
			 uint32_t now_ms)
{
	uint64_t m = fdb_mac48(mac), w;
	enum fdb_learn ret;
	int64_t i;

	if (!fdb_mac_learnable(m) || port >= FDB_PORT_MAX)
		return FDB_LEARN_REFRESH;

	i = fdb_find(f, m, &w);
	if (i >= 0 && fdb_word_pinned(w)) {
		return fdb_learn_pinned(f, &f->slots[i], w, port, now_ms);
	} else if (i >= 0 && fdb_word_port(w) == port) {
		struct fdb_slot *s = &f->slots[i];
		uint32_t seen, aging;

		seen = atomic_load_explicit(&s->seen, memory_order_relaxed);
		aging = atomic_load_explicit(&f->aging_ms,
					     memory_order_relaxed);
		if (!fdb_expired(seen, now_ms, aging)) {
			if (seen != now_ms)
				atomic_store_explicit(&s->seen, now_ms,
						      memory_order_relaxed);
			return FDB_LEARN_REFRESH;
		}
	} else if (fdb_port_full(f, port)) {
		/* Absent, or on another port: not for a port at its limit.
		 * The known address on this port took the branch above. */
		return fdb_port_refuse(f);
	} else if (i < 0 &&
		   atomic_load_explicit(&f->entries, memory_order_relaxed) >=
			   f->limit &&
		   atomic_load_explicit(&f->full_valid, memory_order_relaxed) &&
		   (int32_t)(now_ms -
			     atomic_load_explicit(&f->full_until,
						  memory_order_relaxed)) < 0) {
		/* Full, and nothing can have expired yet: refuse a flood of
		 * new addresses without contending for the lock. The test is
		 * repeated under the lock if this one raced. */
		atomic_fetch_add_explicit(&f->full, 1, memory_order_relaxed);
		return FDB_LEARN_FULL;
	}

	pthread_mutex_lock(&f->lock);
	ret = fdb_learn_locked(f, m, port, now_ms, false);
	pthread_mutex_unlock(&f->lock);
	return ret;
}

/**
 * fdb_pin() - pin an address to a port
 * @f:		table
 * @mac:	address (a locked port's, an endpoint's)
 * @port:	its port, below FDB_PORT_MAX
 * @now_ms:	current time, ms
 *
 * The entry is made or moved to @port, pinned: it never ages and frames
 * with this source from other ports are refused until fdb_flush_port()
 * of @port. Counted like learning it (learned, or moved from another
 * port). At the limit, expired entries are removed (aged) and, if none
 * had expired, the least recently seen entry that is not pinned.
 *
 * Return: 0, -EINVAL for a group or all-zeros address or a bad port,
 *	   -EEXIST if it is pinned to another port, -ENOSPC if every entry
 *	   is pinned already
 */
int fdb_pin(struct fdb *f, const uint8_t mac[6], uint16_t port, uint32_t now_ms)
{
	uint64_t m = fdb_mac48(mac);
	enum fdb_learn ret;

	if (!fdb_mac_learnable(m) || port >= FDB_PORT_MAX)
		return -EINVAL;
	pthread_mutex_lock(&f->lock);
	ret = fdb_learn_locked(f, m, port, now_ms, true);
	pthread_mutex_unlock(&f->lock);
	if (ret == FDB_LEARN_PINNED)
		return -EEXIST;
	return ret == FDB_LEARN_FULL ? -ENOSPC : 0;
}

/**
 * fdb_age() - remove expired entries
 * @f:		table
 * @now_ms:	current time, ms
 *
 * Scans in chunks, taking the lock for one chunk at a time. A scan notes
 * its oldest entry: entry times only grow (refresh, re-learn) and entries
 * learned later are younger, so until that one expires no other can, and
 * the next calls return at once (an idle daemon's tick stays cheap). They
 * scan anyway every FDB_RESCAN_MS, and when the aging time is shortened
 * the oldest entry is judged by the new one.
 *
 * Return: number of entries removed
 */
unsigned fdb_age(struct fdb *f, uint32_t now_ms)
{
	uint32_t aging =
		atomic_load_explicit(&f->aging_ms, memory_order_relaxed);
	uint32_t from, oldest = now_ms;
	unsigned removed = 0;
	bool skip;

	pthread_mutex_lock(&f->lock);
	skip = f->age_valid && !fdb_expired(f->age_oldest, now_ms, aging) &&
	       (int32_t)(now_ms - f->age_scanned) < (int32_t)FDB_RESCAN_MS;
	pthread_mutex_unlock(&f->lock);
	if (skip)
		return 0;
	for (from = 0; from <= f->mask; from += FDB_SCAN_CHUNK) {
		uint32_t to = from + FDB_SCAN_CHUNK;

		if (to > f->mask + 1)
			to = f->mask + 1;
		pthread_mutex_lock(&f->lock);
		/* Forget the full-table hint now and then, so that it cannot
		 * outlive a wrap of the signed time difference */
		if (!from)
			atomic_store_explicit(&f->full_valid, false,
					      memory_order_relaxed);
		removed += fdb_age_range_locked(f, from, to, now_ms, &oldest);
		pthread_mutex_unlock(&f->lock);
	}
	pthread_mutex_lock(&f->lock);
	f->age_oldest = oldest;
	f->age_scanned = now_ms;
	f->age_valid = true;
	pthread_mutex_unlock(&f->lock);
	return removed;
}

/**
 * fdb_flush_port() - remove every entry of a port
 * @f:		table
 * @port:	port being deleted or reset
 *
 * Removes expired entries of the port too. Scans in chunks, taking the
 * lock for one chunk at a time.
 *
 * Return: number of entries removed
 */
unsigned fdb_flush_port(struct fdb *f, uint16_t port)
{
	unsigned removed = 0;
	uint32_t from, i;

	for (from = 0; from <= f->mask; from += FDB_SCAN_CHUNK) {
		uint32_t to = from + FDB_SCAN_CHUNK;

		if (to > f->mask + 1)
			to = f->mask + 1;
		pthread_mutex_lock(&f->lock);
		for (i = from; i < to; i++) {
			uint64_t w = atomic_load_explicit(&f->slots[i].word,
							  memory_order_relaxed);

			if (w == FDB_EMPTY || w == FDB_TOMBSTONE ||
			    fdb_word_port(w) != port)
				continue;
			fdb_remove_locked(f, i);
			removed++;
		}
		pthread_mutex_unlock(&f->lock);
	}
	return removed;
}

/**
 * fdb_get_stats() - read counters
 * @f:		table
 * @st:		filled in; counters are each read atomically, not as a set
 */
void fdb_get_stats(struct fdb *f, struct fdb_stats *st)
{
	st->entries = atomic_load_explicit(&f->entries, memory_order_relaxed);
	st->limit = f->limit;
	st->learned = atomic_load_explicit(&f->learned, memory_order_relaxed);
	st->moved = atomic_load_explicit(&f->moved, memory_order_relaxed);
	st->full = atomic_load_explicit(&f->full, memory_order_relaxed);
	st->aged = atomic_load_explicit(&f->aged, memory_order_relaxed);
	st->refused = atomic_load_explicit(&f->refused, memory_order_relaxed);
	st->port_full =
		atomic_load_explicit(&f->port_full, memory_order_relaxed);
}

/**
 * fdb_port_set_max() - limit the addresses learned from a port
 * @f:		table
 * @port:	port, below FDB_PORT_LIMITS
 * @max:	most unpinned entries on it, 0 for no limit
 *
 * A port above a new, lower limit keeps its entries; it learns again once
 * aging, flushing or moves took it below. The limit stays with the port
 * number: set it again when the number goes to another port.
 *
 * Return: 0, or -EINVAL for a port from FDB_PORT_LIMITS on with a limit
 */
int fdb_port_set_max(struct fdb *f, uint16_t port, uint32_t max)
{
	if (port >= FDB_PORT_LIMITS)
		return max ? -EINVAL : 0;
	atomic_store_explicit(&f->ports[port].max, max, memory_order_relaxed);
	return 0;
}

/**
 * fdb_port_learned() - unpinned entries on a port
 * @f:		table
 * @port:	port
 *
 * Return: entries present (live or expired, not yet removed), 0 for a port
 *	   from FDB_PORT_LIMITS on (not counted)
 */
uint32_t fdb_port_learned(struct fdb *f, uint16_t port)
{
	if (port >= FDB_PORT_LIMITS)
		return 0;
	return atomic_load_explicit(&f->ports[port].learned,
				    memory_order_relaxed);
}

/**
 * fdb_walk() - report every live entry
 * @f:		table
 * @now_ms:	current time, ms, for the ages
 * @fn:		called once per live (not expired) entry, without the lock
 * @ctx:	passed to @fn
 *
 * Lock-free: entries changing during the walk may be reported in their old
 * or new state, or missed. An entry seen slightly "in the future" by
 * another worker's clock has age 0.
 */
void fdb_walk(struct fdb *f, uint32_t now_ms, fdb_walk_fn fn, void *ctx)
{
	uint32_t aging =
		atomic_load_explicit(&f->aging_ms, memory_order_relaxed);
	uint32_t i;

	for (i = 0; i <= f->mask; i++) {
		uint64_t w = atomic_load_explicit(&f->slots[i].word,
						  memory_order_acquire);
		struct fdb_entry e;
		uint64_t m;
		uint32_t seen;
		int k;

		if (w == FDB_EMPTY || w == FDB_TOMBSTONE)
			continue;
		seen = atomic_load_explicit(&f->slots[i].seen,
					    memory_order_relaxed);
		if (!fdb_word_pinned(w) && fdb_expired(seen, now_ms, aging))
			continue;

		m = fdb_word_mac(w);
		for (k = 0; k < 6; k++)
			e.mac[k] = (uint8_t)(m >> (40 - 8 * k));
		e.port = fdb_word_port(w);
		e.pinned = fdb_word_pinned(w);
		e.age_ms = (int32_t)(now_ms - seen) > 0 ? now_ms - seen : 0;
		fn(&e, ctx);
	}
}
