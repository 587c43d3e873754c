// SPDX-License-Identifier: MIT
/*
 * arp.c - address resolution for IPv4 over Ethernet (RFC 826)
 *
 * Theory of operation
 *
 * The cache is a fixed array of ARP_CACHE_SIZE entries per endpoint. An
 * entry moves through these states:
 *
 *   FREE --output--> INCOMPLETE --reply/learn--> REACHABLE
 *   INCOMPLETE --ARP_MAX_REQUESTS unanswered--> FREE (queue dropped)
 *   REACHABLE --ARP_REACHABLE_MS without confirmation--> STALE (lazily)
 *   STALE --used for output--> PROBE (unicast request to the known MAC)
 *   PROBE --reply/learn--> REACHABLE
 *   PROBE --ARP_MAX_PROBES unanswered--> FREE
 *
 * STALE and PROBE entries are still used for output: the mapping is
 * probably right, and waiting would stall traffic for a round trip. While an
 * entry is INCOMPLETE, up to ARP_QUEUE_LEN datagrams wait in it (RFC 1122
 * section 2.3.2.2 asks for at least one) and are sent in order on the reply;
 * further ones are dropped, and all of them when resolution fails.
 *
 * Learning follows the merge rule of RFC 826 ("Packet Reception"): a valid
 * packet updates an existing entry for its sender whatever its target, but
 * creates an entry only when the target is our address. Requests for other
 * targets are not answered. Malformed packets (wrong hardware or protocol
 * types or lengths, truncated, a multicast or zero sender MAC, a broadcast,
 * multicast or zero sender address) teach nothing. A packet that claims our
 * own address from another MAC is counted as a conflict, not learned, and
 * answered with an announcement of our own (RFC 5227 section 2.4 (b)).
 *
 * Under attack. A tenant that sends datagrams from forged addresses of
 * the prefix (a SYN flood) makes the stack resolve every one of them: a
 * broadcast request to every port of the network for each, and entries
 * that would push out the peers we really talk to. So:
 *   - at most ARP_INCOMPLETE_MAX entries resolve at once; a new one then
 *     replaces the oldest resolving entry (its queue dropped), never a
 *     resolved one;
 *   - otherwise a free entry is taken, or the least recently used resolved
 *     one when the cache is full;
 *   - new resolutions are rate-limited (a token bucket, ARP_NEW_PER_S with
 *     bursts of ARP_NEW_BURST): beyond it the datagram is dropped and
 *     counted (rate_limited), the broadcast never sent.
 * A peer that resolved us first (its request created our entry) or that we
 * resolved before the attack keeps working through it.
 */

#include <string.h>

#include "netif_priv.h"

static const uint8_t arp_bcast_mac[WIRE_ETH_ALEN] = {0xff, 0xff, 0xff,
						     0xff, 0xff, 0xff};
static const uint8_t arp_zero_mac[WIRE_ETH_ALEN];

static const char *const arp_stat_names[] = {
#define ARP_X(name, str) str,
	ARP_STATS(ARP_X)
#undef ARP_X
};

/**
 * arp_stat_name() - name of a counter
 * @s:	counter
 *
 * Return: its name, "unknown" when out of range
 */
const char *arp_stat_name(enum arp_stat s)
{
	if ((unsigned)s >= ARP_STAT__COUNT)
		return "unknown";
	return arp_stat_names[s];
}

/**
 * arp_init() - empty cache
 * @arp:	ARP state
 */
void arp_init(struct arp *arp)
{
	memset(arp, 0, sizeof(*arp));
	tbucket_init(&arp->newres, ARP_NEW_PER_S, ARP_NEW_BURST, 0);
}

/**
 * arp_find() - cache entry for an address
 * @arp:	ARP state
 * @ip:		address
 *
 * Return: the entry, or NULL
 */
static struct arp_entry *arp_find(struct arp *arp, be32_t ip)
{
	unsigned i;

	for (i = 0; i < ARP_CACHE_SIZE; i++)
		if (arp->e[i].state != ARP_FREE && wire_eq32(arp->e[i].ip, ip))
			return &arp->e[i];
	return NULL;
}

/**
 * arp_lookup() - look at the cache entry for an address (for tests, stats)
 * @arp:	ARP state
 * @ip:		address
 *
 * Return: the entry, or NULL
 */
const struct arp_entry *arp_lookup(const struct arp *arp, be32_t ip)
{
	return arp_find((struct arp *)arp, ip);
}

/**
 * arp_release() - free an entry, dropping what is queued on it
 * @ni:		endpoint
 * @e:		entry
 */
static void arp_release(struct netif *ni, struct arp_entry *e)
{
	unsigned i;

	for (i = 0; i < e->qlen; i++) {
		netif_free(ni, e->q[i]);
		ni->arp.stats[ARP_STAT_QUEUE_DROP]++;
	}
	memset(e, 0, sizeof(*e));
}

/**
 * arp_slot() - a free entry, replacing one when the cache is full
 * @ni:		endpoint
 *
 * Return: a zeroed entry in state ARP_FREE
 */
static struct arp_entry *arp_slot(struct netif *ni)
{
	struct arp_entry *lru = NULL, *lru_inc = NULL, *free = NULL, *e;
	unsigned i, ninc = 0;

	for (i = 0; i < ARP_CACHE_SIZE; i++) {
		e = &ni->arp.e[i];
		if (e->state == ARP_FREE) {
			if (!free)
				free = e;
		} else if (e->state == ARP_INCOMPLETE) {
			ninc++;
			if (!lru_inc || e->used_ms < lru_inc->used_ms)
				lru_inc = e;
		} else if (!lru || e->used_ms < lru->used_ms) {
			lru = e;
		}
	}
	/* Resolving entries are bounded: the oldest makes room. */
	if (ninc >= ARP_INCOMPLETE_MAX)
		e = lru_inc;
	else if (free)
		return free;
	else
		e = lru ? lru : lru_inc;
	ni->arp.stats[ARP_STAT_EVICTED]++;
	arp_release(ni, e);
	return e;
}

/**
 * arp_send() - build and send an ARP packet
 * @ni:		endpoint
 * @oper:	WIRE_ARP_OP_REQUEST or WIRE_ARP_OP_REPLY
 * @eth_dst:	Ethernet destination
 * @tha:	target hardware address field
 * @tpa:	target protocol address field
 */
static void arp_send(struct netif *ni, uint16_t oper, const uint8_t *eth_dst,
		     const uint8_t *tha, be32_t tpa)
{
	size_t len = NETIF_IP_OFF + sizeof(struct wire_arp);
	struct wire_arp *a;
	uint8_t *b;

	b = netif_alloc(ni, len);
	if (!b)
		return;
	a = (struct wire_arp *)(b + NETIF_IP_OFF);
	a->htype = wire_be16(WIRE_ARP_HRD_ETHER);
	a->ptype = wire_be16(WIRE_ETH_P_IP);
	a->hlen = WIRE_ETH_ALEN;
	a->plen = 4;
	a->oper = wire_be16(oper);
	memcpy(a->sha, ni->cfg.mac, WIRE_ETH_ALEN);
	a->spa = ni->cfg.addr;
	memcpy(a->tha, tha, WIRE_ETH_ALEN);
	a->tpa = tpa;
	netif_emit(ni, b, len, eth_dst, WIRE_ETH_P_ARP);
}

/**
 * arp_request() - send a request for an entry's address
 * @ni:		endpoint
 * @e:		entry: broadcast while INCOMPLETE, unicast probe otherwise
 * @now_ms:	current time
 */
static void arp_request(struct netif *ni, struct arp_entry *e, uint64_t now_ms)
{
	const uint8_t *dst =
		e->state == ARP_INCOMPLETE ? arp_bcast_mac : e->mac;

	/* RFC 826 leaves the target hardware address of a request
	 * unspecified; zero is what RFC 5227 section 2.1.1 asks for. */
	arp_send(ni, WIRE_ARP_OP_REQUEST, dst, arp_zero_mac, e->ip);
	ni->arp.stats[ARP_STAT_TX_REQUEST]++;
	e->tries++;
	e->next_ms = now_ms + ARP_RETRANS_MS;
}

/**
 * arp_resolved() - an entry got a (new) hardware address
 * @ni:		endpoint
 * @e:		entry
 * @mac:	hardware address
 * @now_ms:	current time
 *
 * Sends what was waiting, in the order it was queued.
 */
static void arp_resolved(struct netif *ni, struct arp_entry *e,
			 const uint8_t *mac, uint64_t now_ms)
{
	uint8_t *q[ARP_QUEUE_LEN];
	unsigned i, n = e->qlen;

	memcpy(e->mac, mac, WIRE_ETH_ALEN);
	e->state = ARP_REACHABLE;
	e->tries = 0;
	e->confirmed_ms = now_ms;
	e->qlen = 0;
	memcpy(q, e->q, sizeof(q));
	ni->arp.stats[ARP_STAT_LEARNED]++;
	for (i = 0; i < n; i++)
		ipv4_xmit(ni, q[i], e->mac);
}

/**
 * arp_input() - an ARP packet
 * @ni:		endpoint
 * @buf:	frame (ownership passes here)
 * @len:	its length
 * @now_ms:	current time
 */
void arp_input(struct netif *ni, uint8_t *buf, size_t len, uint64_t now_ms)
{
	struct arp *arp = &ni->arp;
	const struct wire_arp *a;
	struct arp_entry *e;
	uint8_t sha[WIRE_ETH_ALEN];
	bool merged = false;
	uint16_t oper;
	be32_t spa;

	arp->stats[ARP_STAT_RX]++;
	/* Ethernet padding after the 28 bytes is allowed. */
	if (len < NETIF_IP_OFF + sizeof(*a)) {
		arp->stats[ARP_STAT_RX_MALFORMED]++;
		goto out;
	}
	a = (const struct wire_arp *)(buf + NETIF_IP_OFF);
	oper = wire_h16(a->oper);
	if (wire_h16(a->htype) != WIRE_ARP_HRD_ETHER ||
	    wire_h16(a->ptype) != WIRE_ETH_P_IP || a->hlen != WIRE_ETH_ALEN ||
	    a->plen != 4 ||
	    (oper != WIRE_ARP_OP_REQUEST && oper != WIRE_ARP_OP_REPLY)) {
		arp->stats[ARP_STAT_RX_MALFORMED]++;
		goto out;
	}
	if ((a->sha[0] & 1) || !memcmp(a->sha, arp_zero_mac, WIRE_ETH_ALEN) ||
	    wire_ip4_is_multicast(a->spa) || netif_is_bcast(ni, a->spa)) {
		arp->stats[ARP_STAT_RX_BAD_SENDER]++;
		goto out;
	}
	memcpy(sha, a->sha, WIRE_ETH_ALEN);
	spa = a->spa;

	if (wire_eq32(spa, ni->cfg.addr)) {
		/* Our own announcement looped back is harmless; anything else
		 * is another host using our address (RFC 5227 section 2.4).
		 * Never learn it: it would divert our own traffic. */
		if (!memcmp(sha, ni->cfg.mac, WIRE_ETH_ALEN))
			goto out;
		arp->stats[ARP_STAT_RX_CONFLICT]++;
		/* The address is ours by configuration, so we keep it and
		 * defend it (section 2.4 (b)): one announcement, to put
		 * neighbours' caches right, at most every
		 * ARP_DEFEND_INTERVAL_MS so that two defenders do not loop. */
		if (!arp->defended ||
		    now_ms - arp->defend_ms >= ARP_DEFEND_INTERVAL_MS) {
			arp->defended = true;
			arp->defend_ms = now_ms;
			arp_send(ni, WIRE_ARP_OP_REQUEST, arp_bcast_mac,
				 arp_zero_mac, ni->cfg.addr);
			arp->stats[ARP_STAT_TX_DEFEND]++;
		}
		goto out;
	}

	/* RFC 826: "If the pair <protocol type, sender protocol address> is
	 * already in my translation table, update the sender hardware
	 * address field of the entry with the new information". A sender
	 * address of 0.0.0.0 is an RFC 5227 probe: nothing to learn. */
	if (spa.be) {
		e = arp_find(arp, spa);
		if (e) {
			arp_resolved(ni, e, sha, now_ms);
			merged = true;
		}
	}

	if (!wire_eq32(a->tpa, ni->cfg.addr)) {
		arp->stats[ARP_STAT_RX_NOT_FOR_US]++;
		goto out;
	}

	/* "?Am I the target protocol address? Yes: If Merge_flag is false,
	 * add the triplet to the translation table." */
	if (spa.be && !merged) {
		e = arp_slot(ni);
		e->ip = spa;
		/* Never used for output: the first to make room, so that
		 * requests from a flood of made-up senders push out each
		 * other, not the peers we send to (arp_slot()). */
		e->used_ms = 0;
		arp_resolved(ni, e, sha, now_ms);
	}

	if (oper == WIRE_ARP_OP_REPLY) {
		arp->stats[ARP_STAT_RX_REPLY]++;
		goto out;
	}
	arp->stats[ARP_STAT_RX_REQUEST]++;
	/* Reply to the sender's hardware address (not the frame's source),
	 * with its protocol address as target, 0.0.0.0 for a probe. */
	arp_send(ni, WIRE_ARP_OP_REPLY, sha, sha, spa);
	arp->stats[ARP_STAT_TX_REPLY]++;
out:
	netif_free(ni, buf);
}

/**
 * arp_new_allowed() - may a new resolution start now? (token bucket)
 * @arp:	ARP state
 * @now_ms:	current time
 *
 * Return: true, taking a token, or false when the rate is used up
 */
static bool arp_new_allowed(struct arp *arp, uint64_t now_ms)
{
	return tbucket_try(&arp->newres, 1, now_ms * 1000000ull);
}

/**
 * arp_output() - send an IPv4 datagram to a next hop, resolving its MAC
 * @ni:		endpoint
 * @buf:	datagram with its IPv4 header at NETIF_IP_OFF (ownership
 *		passes here)
 * @nexthop:	on-link next hop
 * @now_ms:	current time
 */
void arp_output(struct netif *ni, uint8_t *buf, be32_t nexthop, uint64_t now_ms)
{
	struct arp *arp = &ni->arp;
	struct arp_entry *e = arp_find(arp, nexthop);

	if (e && e->state != ARP_INCOMPLETE) {
		e->used_ms = now_ms;
		if (e->state == ARP_REACHABLE &&
		    now_ms - e->confirmed_ms >= ARP_REACHABLE_MS)
			e->state = ARP_STALE;
		if (e->state == ARP_STALE) {
			e->state = ARP_PROBE;
			e->tries = 0;
			arp_request(ni, e, now_ms);
		}
		ipv4_xmit(ni, buf, e->mac);
		return;
	}

	if (!e) {
		if (!arp_new_allowed(arp, now_ms)) {
			arp->stats[ARP_STAT_RATE_LIMITED]++;
			netif_free(ni, buf);
			return;
		}
		e = arp_slot(ni);
		e->ip = nexthop;
		e->state = ARP_INCOMPLETE;
		e->used_ms = now_ms;
		arp_request(ni, e, now_ms);
	}
	if (e->qlen == ARP_QUEUE_LEN) {
		arp->stats[ARP_STAT_QUEUE_DROP]++;
		netif_free(ni, buf);
		return;
	}
	e->q[e->qlen++] = buf;
	arp->stats[ARP_STAT_QUEUED]++;
}

/**
 * arp_announce() - start gratuitous announcements of our address
 * @ni:		endpoint
 * @now_ms:	current time
 *
 * RFC 5227 section 2.3: ARP_ANNOUNCE_NUM requests, ARP_ANNOUNCE_INTERVAL_MS
 * apart, with our address as both sender and target and a zero target
 * hardware address, broadcast. The first goes out now, the rest from
 * arp_timer().
 */
void arp_announce(struct netif *ni, uint64_t now_ms)
{
	ni->arp.announce_left = ARP_ANNOUNCE_NUM;
	ni->arp.announce_ms = now_ms;
	arp_timer(ni, now_ms);
}

/**
 * arp_timer() - announcements, retransmissions, giving up
 * @ni:		endpoint
 * @now_ms:	current time
 */
void arp_timer(struct netif *ni, uint64_t now_ms)
{
	struct arp *arp = &ni->arp;
	struct arp_entry *e;
	unsigned i;

	if (arp->announce_left && now_ms >= arp->announce_ms) {
		arp_send(ni, WIRE_ARP_OP_REQUEST, arp_bcast_mac, arp_zero_mac,
			 ni->cfg.addr);
		arp->stats[ARP_STAT_TX_ANNOUNCE]++;
		arp->announce_left--;
		arp->announce_ms = now_ms + ARP_ANNOUNCE_INTERVAL_MS;
	}

	for (i = 0; i < ARP_CACHE_SIZE; i++) {
		e = &arp->e[i];
		if (e->state != ARP_INCOMPLETE && e->state != ARP_PROBE)
			continue;
		if (now_ms < e->next_ms)
			continue;
		if (e->tries < (e->state == ARP_INCOMPLETE ? ARP_MAX_REQUESTS
							   : ARP_MAX_PROBES)) {
			arp_request(ni, e, now_ms);
			continue;
		}
		arp->stats[ARP_STAT_RESOLVE_FAILED]++;
		arp_release(ni, e);
	}
}

/**
 * arp_flush() - empty the cache, dropping every queued datagram
 * @ni:		endpoint
 */
void arp_flush(struct netif *ni)
{
	unsigned i;

	for (i = 0; i < ARP_CACHE_SIZE; i++)
		if (ni->arp.e[i].state != ARP_FREE)
			arp_release(ni, &ni->arp.e[i]);
	ni->arp.announce_left = 0;
}
