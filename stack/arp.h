/* SPDX-License-Identifier: MIT */
/*
 * arp.h - address resolution for IPv4 over Ethernet (RFC 826)
 *
 * A fixed-size cache per endpoint; see arp.c for the states and the rules.
 */
#ifndef VSTACK_ARP_H
#define VSTACK_ARP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tbucket.h"
#include "wire.h"

struct netif;

#define ARP_CACHE_SIZE		 64    /* entries per endpoint */
#define ARP_QUEUE_LEN		 3     /* datagrams held per unresolved entry */
#define ARP_REACHABLE_MS	 30000 /* a confirmed entry stays reachable */
#define ARP_RETRANS_MS		 1000  /* between requests for one address */
#define ARP_MAX_REQUESTS	 3     /* broadcast requests before giving up */
#define ARP_MAX_PROBES		 3     /* unicast probes of a stale entry */
#define ARP_ANNOUNCE_NUM	 2     /* RFC 5227 section 1.1 */
#define ARP_ANNOUNCE_INTERVAL_MS 2000  /* RFC 5227 section 1.1 */
#define ARP_DEFEND_INTERVAL_MS	 10000 /* RFC 5227 section 1.1 */
#define ARP_INCOMPLETE_MAX	 (ARP_CACHE_SIZE / 2) /* resolving at once */
#define ARP_NEW_PER_S		 200   /* new resolutions per second ... */
#define ARP_NEW_BURST		 50    /* ... and in a burst */

/** enum arp_state - state of a cache entry */
enum arp_state {
	ARP_FREE = 0,	/* slot unused */
	ARP_INCOMPLETE, /* request sent, no answer yet; datagrams queued */
	ARP_REACHABLE,	/* confirmed less than ARP_REACHABLE_MS ago */
	ARP_STALE,	/* older: still used, revalidated on next use */
	ARP_PROBE,	/* stale and in use: unicast requests sent */
};

/**
 * struct arp_entry - one cache entry
 * @ip:		protocol address
 * @mac:	hardware address (valid unless ARP_INCOMPLETE)
 * @state:	enum arp_state
 * @tries:	requests or probes sent in this state
 * @qlen:	datagrams in @q
 * @confirmed_ms: last time the mapping was confirmed by a packet
 * @used_ms:	last time it was used for output (for LRU replacement),
 *		0 for one learned from a request and not used since
 * @next_ms:	when to send the next request or probe, or give up
 * @q:		buffers waiting for resolution, oldest first
 */
struct arp_entry {
	be32_t ip;
	uint8_t mac[WIRE_ETH_ALEN];
	uint8_t state;
	uint8_t tries;
	uint8_t qlen;
	uint64_t confirmed_ms;
	uint64_t used_ms;
	uint64_t next_ms;
	uint8_t *q[ARP_QUEUE_LEN];
};

#define ARP_STATS(X)                                                           \
	X(RX, "rx")			  /* ARP packets received */           \
	X(RX_MALFORMED, "rx_malformed")	  /* short, wrong types or lengths */  \
	X(RX_BAD_SENDER, "rx_bad_sender") /* multicast/zero MAC, bad IP */     \
	X(RX_CONFLICT, "rx_conflict") /* someone else claims our address */    \
	X(RX_NOT_FOR_US, "rx_not_for_us") /* target is not our address */      \
	X(RX_REQUEST, "rx_request") /* requests for our address answered */    \
	X(RX_REPLY, "rx_reply")	    /* replies for our address */              \
	X(LEARNED, "learned")	    /* entries created or updated */           \
	X(EVICTED, "evicted") /* entries replaced when the cache was full */   \
	X(TX_REQUEST, "tx_request")   /* requests and probes sent */           \
	X(TX_REPLY, "tx_reply")	      /* replies sent */                       \
	X(TX_ANNOUNCE, "tx_announce") /* gratuitous announcements sent */      \
	X(TX_DEFEND, "tx_defend") /* announcements defending our address */    \
	X(RESOLVE_FAILED, "resolve_failed") /* gave up on an address */        \
	X(QUEUE_DROP,                                                          \
	  "queue_drop")	    /* datagrams dropped: queue full or failed */      \
	X(QUEUED, "queued") /* datagrams queued while resolving */             \
	X(RATE_LIMITED, "rate_limited") /* new resolution refused: too many */

/** enum arp_stat - ARP counters */
enum arp_stat {
#define ARP_X(name, str) ARP_STAT_##name,
	ARP_STATS(ARP_X)
#undef ARP_X
		ARP_STAT__COUNT
};

/**
 * struct arp - per-endpoint ARP state
 * @e:		the cache
 * @announce_left: gratuitous announcements still to send
 * @announce_ms: when to send the next one
 * @defended:	an announcement defending our address was sent
 * @defend_ms:	when
 * @newres:	new resolutions allowed (ARP_NEW_PER_S, ARP_NEW_BURST)
 * @stats:	counters, enum arp_stat
 */
struct arp {
	struct arp_entry e[ARP_CACHE_SIZE];
	uint8_t announce_left;
	uint64_t announce_ms;
	bool defended;
	uint64_t defend_ms;
	struct tbucket newres;
	uint64_t stats[ARP_STAT__COUNT];
};

const struct arp_entry *arp_lookup(const struct arp *arp, be32_t ip);
const char *arp_stat_name(enum arp_stat s);

#endif /* VSTACK_ARP_H */
