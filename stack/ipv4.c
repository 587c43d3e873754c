// SPDX-License-Identifier: MIT
/*
 * ipv4.c - IPv4 input, output with routing, reassembly and fragmentation
 *
 * Theory of operation
 *
 * Input (RFC 791 section 3.2, RFC 1122 section 3.2.1): every field the
 * stack relies on is checked before use: version, header length, total
 * length against the bytes that arrived (Ethernet padding after the
 * datagram is cut off), header checksum, a source that can be a host and a
 * destination that is ours or a broadcast. The TTL of a datagram delivered
 * locally is not checked: RFC 1122 section 3.2.1.7 says a host "MUST NOT
 * discard a datagram just because it was received with TTL less than 2".
 * Options are skipped, not interpreted.
 *
 * Reassembly (RFC 791 section 3.2, "Fragmentation and Reassembly"): up to
 * IPV4_REASS_MAX datagrams at once, each keyed by (source, destination,
 * protocol, identification) and copied into one buffer from the caller's
 * allocator. Rather than RFC 815's hole descriptors, the fragments held are
 * kept as a short list of (offset, length): with overlaps refused, the
 * datagram is complete exactly when the last fragment has been seen and the
 * bytes held add up to its end. Overlapping fragments are the stuff of
 * evasion attacks (RFC 3128, and RFC 5722 which forbids them for IPv6), so
 * an overlap discards the whole datagram; an exact duplicate (same offset
 * and length, e.g. a retransmission by a link layer) is ignored. A
 * fragment that ends beyond 65535 bytes, that is not a multiple of 8 bytes
 * long while more follow, or that contradicts the known end of the
 * datagram, discards it too. Memory is bounded three ways: the number of
 * datagrams, IPV4_REASS_FRAGS fragments per datagram and IPV4_REASS_BYTES
 * payload bytes over all of them. A new datagram, or a fragment that
 * would go over the byte budget, evicts the datagram that started first
 * (as Linux does): dropping newcomers instead would let anyone who sends
 * IPV4_REASS_MAX stray fragments every 30 s block all reassembly. A
 * datagram in more than IPV4_REASS_FRAGS pieces is discarded. Datagrams
 * not complete IPV4_REASS_TIMEOUT_MS after their first fragment are
 * discarded, with an ICMP time exceeded when fragment zero
 * had arrived (RFC 1122 section 3.3.2). The reassembled datagram is handed
 * up with a fresh 20-byte header: options of the first fragment are not
 * kept.
 *
 * Output: the caller puts the transport message at NETIF_L4_OFF;
 * ipv4_output() writes the header, picks the next hop (on-link
 * destination, broadcast, or the gateway) and hands the datagram to ARP.
 * Fragmentation happens last, in ipv4_xmit(), once the MAC is known, so
 * that ARP queues one datagram rather than each of its fragments.
 *
 * Identification (RFC 791, RFC 6864): one counter for every destination
 * made the IDs one global sequence, so that anyone could count what the
 * endpoint sent to others (idle scans) and predict the ID of the next
 * datagram to a third party (forged fragments spliced into it). As Linux
 * (ip_idents, __ip_select_ident()), a keyed hash of the destination,
 * source and protocol picks one of IPV4_IDENTS counters and an offset
 * added to it, so destinations see unrelated sequences; a counter idle
 * for a while leaps ahead by a random amount below the idle time in ms,
 * so that destinations sharing a counter cannot count each other's
 * datagrams exactly. A datagram's fragments share its ID; a GSO
 * super-frame takes one ID per segment (the segmenter numbers them on).
 */

#include <errno.h>
#include <string.h>

#include "mix.h"
#include "netif_priv.h"

static const char *const ipv4_stat_names[] = {
#define IPV4_X(name, str) str,
	IPV4_STATS(IPV4_X)
#undef IPV4_X
};

/**
 * ipv4_stat_name() - name of a counter
 * @s:	counter
 *
 * Return: its name, "unknown" when out of range
 */
const char *ipv4_stat_name(enum ipv4_stat s)
{
	if ((unsigned)s >= IPV4_STAT__COUNT)
		return "unknown";
	return ipv4_stat_names[s];
}

/**
 * ipv4_init() - empty state
 * @ip:		IPv4 state
 * @seed:	random seed for the identifications
 */
void ipv4_init(struct ipv4 *ip, uint64_t seed)
{
	memset(ip, 0, sizeof(*ip));
	ip->ident_key[0] = mix64(seed, 0x6970, 0, 0);
	ip->ident_key[1] = mix64(seed, 0x6964, 0, 0);
	ip->ident_rng = mix64(seed, 0x726e67, 0, 0) | 1;
}

/**
 * ipv4_ident() - identifications for a datagram (theory of operation)
 * @ip:		IPv4 state
 * @saddr:	its source
 * @daddr:	its destination
 * @proto:	its protocol
 * @segs:	IDs it takes (the segments of a GSO super-frame), at least 1
 * @now_ms:	current time
 *
 * Return: the first ID; the other @segs - 1 follow it
 */
static uint16_t ipv4_ident(struct ipv4 *ip, be32_t saddr, be32_t daddr,
			   uint8_t proto, uint32_t segs, uint64_t now_ms)
{
	uint64_t h = mix64((uint64_t)wire_h32(daddr) << 8 | proto,
			   wire_h32(saddr), ip->ident_key[0], ip->ident_key[1]);
	uint32_t b = (uint32_t)(h % IPV4_IDENTS);
	uint32_t idle = (uint32_t)now_ms - ip->ident_ms[b];
	uint16_t id;

	if (idle) {
		uint64_t x = ip->ident_rng;

		/* xorshift64* */
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		ip->ident_rng = x;
		ip->ident_ms[b] = (uint32_t)now_ms;
		ip->idents[b] += (uint16_t)(((x * 0x2545f4914f6cdd1dull) >> 32) %
					    idle);
	}
	id = (uint16_t)(ip->idents[b] + (h >> 48));
	ip->idents[b] += (uint16_t)segs;
	return id;
}

/**
 * ipv4_gso_segs() - how many segments a GSO super-frame becomes
 * @buf:	the buffer (virtio-net header first)
 * @tot:	IPv4 total length
 *
 * Return: the count, 1 for a plain datagram
 */
static uint32_t ipv4_gso_segs(const uint8_t *buf, size_t tot)
{
	/* hdr_len counts from the Ethernet header, little-endian */
	uint32_t hl = (uint32_t)(buf[2] | buf[3] << 8);
	uint32_t gs = (uint32_t)(buf[4] | buf[5] << 8);
	size_t frame = 14 + tot;

	if (!buf[1] || !gs || frame <= hl)
		return 1;
	return (uint32_t)((frame - hl + gs - 1) / gs);
}

/**
 * ipv4_hdr_csum() - fill in the header checksum of a 20-byte header
 * @h:		header
 */
static void ipv4_hdr_csum(struct wire_ip4 *h)
{
	h->csum = wire_be16(0);
	h->csum = wire_csum(wire_csum_add(h, sizeof(*h), 0));
}

/**
 * ipv4_deliver() - hand a datagram for us to its protocol
 * @ni:		endpoint
 * @rx:		the datagram (its buffer passes to the protocol)
 * @now_ms:	current time
 */
static void ipv4_deliver(struct netif *ni, struct ipv4_rx *rx, uint64_t now_ms)
{
	const uint8_t *iph = rx->buf + rx->ip_off;
	struct ipv4 *ip = &ni->ip;

	switch (rx->proto) {
	case WIRE_IPPROTO_ICMP:
		ip->stats[IPV4_STAT_RX_DELIVERED]++;
		icmp_input(ni, rx, now_ms);
		return;
	case WIRE_IPPROTO_UDP:
		ip->stats[IPV4_STAT_RX_DELIVERED]++;
		udp_input(ni, rx, now_ms);
		return;
	default:
		if (ni->ops->proto_input &&
		    ni->ops->proto_input(ni->ctx, rx, now_ms)) {
			ip->stats[IPV4_STAT_RX_DELIVERED]++;
			return;
		}
	}
	/* RFC 1122 section 3.2.2.1: a host SHOULD generate protocol
	 * unreachable when the transport protocol is not supported. */
	ip->stats[IPV4_STAT_RX_NO_PROTO]++;
	icmp_send_error(ni, WIRE_ICMP_DEST_UNREACH, WIRE_ICMP_PROT_UNREACH, iph,
			rx->l4_off - rx->ip_off + rx->l4_len, rx->bcast,
			now_ms);
	netif_free(ni, rx->buf);
}

/**
 * ipv4_reass_release() - free a reassembly slot and its buffer
 * @ni:		endpoint
 * @r:		slot
 */
static void ipv4_reass_release(struct netif *ni, struct ipv4_reass *r)
{
	netif_free(ni, r->buf);
	ni->ip.reass_bytes -= r->received;
	memset(r, 0, sizeof(*r));
}

/**
 * ipv4_reass_evict_oldest() - give up the datagram that started first
 * @ni:		endpoint
 * @keep:	a slot not to evict, or NULL
 *
 * Return: the slot freed, or NULL when there was none to evict
 */
static struct ipv4_reass *ipv4_reass_evict_oldest(struct netif *ni,
						  const struct ipv4_reass *keep)
{
	struct ipv4_reass *r, *old = NULL;
	unsigned i;

	for (i = 0; i < IPV4_REASS_MAX; i++) {
		r = &ni->ip.reass[i];
		if (r->buf && r != keep &&
		    (!old || r->expires_ms < old->expires_ms))
			old = r;
	}
	if (old) {
		ni->ip.stats[IPV4_STAT_FRAG_EVICTED]++;
		ipv4_reass_release(ni, old);
	}
	return old;
}

/**
 * ipv4_reass_find() - the slot for a fragment, or a new one
 * @ni:		endpoint
 * @rx:		the fragment
 * @id:		its identification
 * @now_ms:	current time
 *
 * Return: the slot (evicting the oldest datagram when all are taken); NULL
 * when no buffer could be had
 */
static struct ipv4_reass *ipv4_reass_find(struct netif *ni,
					  const struct ipv4_rx *rx, be16_t id,
					  uint64_t now_ms)
{
	struct ipv4_reass *r, *free_slot = NULL;
	unsigned i;

	for (i = 0; i < IPV4_REASS_MAX; i++) {
		r = &ni->ip.reass[i];
		if (!r->buf) {
			if (!free_slot)
				free_slot = r;
			continue;
		}
		if (wire_eq32(r->saddr, rx->saddr) &&
		    wire_eq32(r->daddr, rx->daddr) && wire_eq16(r->id, id) &&
		    r->proto == rx->proto)
			return r;
	}
	r = free_slot ? free_slot : ipv4_reass_evict_oldest(ni, NULL);
	r->buf = netif_alloc(ni, NETIF_BUF_MAX);
	if (!r->buf) {
		ni->ip.stats[IPV4_STAT_FRAG_NOBUF]++;
		return NULL;
	}
	/* Keep the link-layer header of the first fragment seen, so the
	 * reassembled datagram looks like any other received frame. */
	memcpy(r->buf, rx->buf, NETIF_IP_OFF);
	r->saddr = rx->saddr;
	r->daddr = rx->daddr;
	r->id = id;
	r->proto = rx->proto;
	r->bcast = rx->bcast;
	r->expires_ms = now_ms + IPV4_REASS_TIMEOUT_MS;
	return r;
}

/**
 * ipv4_reass_hdr() - write a 20-byte header for a slot's datagram
 * @r:		slot
 * @len:	payload length to state
 * @frag:	fragment field, host order
 */
static void ipv4_reass_hdr(struct ipv4_reass *r, uint32_t len, uint16_t frag)
{
	struct wire_ip4 *h = (struct wire_ip4 *)(r->buf + NETIF_IP_OFF);

	h->ver_ihl = 0x45;
	h->tos = r->tos;
	h->tot_len = wire_be16((uint16_t)(WIRE_IP4_HLEN_MIN + len));
	h->id = r->id;
	h->frag_off = wire_be16(frag);
	h->ttl = r->ttl;
	h->proto = r->proto;
	h->saddr = r->saddr;
	h->daddr = r->daddr;
	ipv4_hdr_csum(h);
}

/**
 * ipv4_reass() - add a fragment to its datagram, deliver it when complete
 * @ni:		endpoint
 * @rx:		the fragment (its buffer is consumed)
 * @frag:	fragment field, host order
 * @now_ms:	current time
 */
static void ipv4_reass(struct netif *ni, struct ipv4_rx *rx, uint16_t frag,
		       uint64_t now_ms)
{
	const struct wire_ip4 *h =
		(const struct wire_ip4 *)(rx->buf + rx->ip_off);
	uint32_t off = (uint32_t)(frag & WIRE_IP4_OFFMASK) * 8;
	uint32_t len = rx->l4_len, end = off + len, i;
	bool more = frag & WIRE_IP4_MF;
	struct ipv4 *ip = &ni->ip;
	struct ipv4_reass *r;
	struct ipv4_rx whole;

	ip->stats[IPV4_STAT_FRAG_RX]++;
	/* RFC 791: every fragment but the last carries a multiple of 8
	 * bytes; and nothing may end past the largest datagram. */
	if (!len || (more && len % 8) ||
	    end > WIRE_IP4_LEN_MAX - WIRE_IP4_HLEN_MIN) {
		ip->stats[IPV4_STAT_FRAG_BAD]++;
		goto drop;
	}

	r = ipv4_reass_find(ni, rx, h->id, now_ms);
	if (!r)
		goto drop;

	for (i = 0; i < r->nfrags; i++) {
		const struct ipv4_frag *f = &r->frags[i];

		if (f->off == off && f->len == len) {
			ip->stats[IPV4_STAT_FRAG_DUP]++;
			goto drop;
		}
		if (off < (uint32_t)f->off + f->len && f->off < end) {
			ip->stats[IPV4_STAT_FRAG_OVERLAP]++;
			goto discard;
		}
	}
	if (r->have_last && (end > r->total || !more)) {
		/* Past the end, or a second, different last fragment. */
		ip->stats[IPV4_STAT_FRAG_BAD]++;
		goto discard;
	}
	if (!more) {
		for (i = 0; i < r->nfrags; i++) {
			if ((uint32_t)r->frags[i].off + r->frags[i].len > end) {
				ip->stats[IPV4_STAT_FRAG_BAD]++;
				goto discard;
			}
		}
	}
	if (r->nfrags == IPV4_REASS_FRAGS) {
		/* Sent in pieces this small, it is an attack, not data. */
		ip->stats[IPV4_STAT_FRAG_FULL]++;
		goto discard;
	}
	while (ip->reass_bytes + len > IPV4_REASS_BYTES) {
		if (!ipv4_reass_evict_oldest(ni, r)) {
			ip->stats[IPV4_STAT_FRAG_FULL]++;
			if (!r->nfrags)
				ipv4_reass_release(ni, r);
			goto drop;
		}
	}

	memcpy(r->buf + NETIF_L4_OFF + off, rx->buf + rx->l4_off, len);
	r->frags[r->nfrags].off = (uint16_t)off;
	r->frags[r->nfrags].len = (uint16_t)len;
	r->nfrags++;
	r->received += len;
	ip->reass_bytes += len;
	if (r->nfrags == 1) {
		r->tos = h->tos;
		r->ttl = h->ttl;
	}
	if (!off)
		r->first_len = (uint16_t)len;
	if (!more) {
		r->have_last = true;
		r->total = end;
	}
	netif_free(ni, rx->buf);

	if (!r->have_last || r->received != r->total)
		return;

	/* Disjoint pieces inside [0, total) adding up to total: complete. */
	ipv4_reass_hdr(r, r->total, 0);
	whole = (struct ipv4_rx){
		.buf = r->buf,
		.ip_off = NETIF_IP_OFF,
		.l4_off = NETIF_L4_OFF,
		.l4_len = r->total,
		.saddr = r->saddr,
		.daddr = r->daddr,
		.proto = r->proto,
		.bcast = r->bcast,
	};
	r->buf = NULL;
	ipv4_reass_release(ni, r);
	ip->stats[IPV4_STAT_REASS_OK]++;
	ipv4_deliver(ni, &whole, now_ms);
	return;

discard:
	ipv4_reass_release(ni, r);
drop:
	netif_free(ni, rx->buf);
}

/**
 * ipv4_input() - an IPv4 packet from the link
 * @ni:		endpoint
 * @buf:	frame (ownership passes here), IPv4 header at NETIF_IP_OFF
 * @len:	frame length, at least NETIF_IP_OFF
 * @link_bcast:	the Ethernet destination was broadcast
 * @csum_trusted: the virtio-net header vouches for the transport checksum
 * @now_ms:	current time
 */
void ipv4_input(struct netif *ni, uint8_t *buf, size_t len, bool link_bcast,
		bool csum_trusted, uint64_t now_ms)
{
	size_t avail = len - NETIF_IP_OFF;
	const struct wire_ip4 *h;
	struct ipv4 *ip = &ni->ip;
	struct ipv4_rx rx;
	unsigned ihl, tot;
	uint16_t frag;
	bool dst_bcast;

	ip->stats[IPV4_STAT_RX]++;
	if (avail < sizeof(*h)) {
		ip->stats[IPV4_STAT_RX_SHORT]++;
		goto drop;
	}
	h = (const struct wire_ip4 *)(buf + NETIF_IP_OFF);
	if (h->ver_ihl >> 4 != 4) {
		ip->stats[IPV4_STAT_RX_VERSION]++;
		goto drop;
	}
	ihl = (h->ver_ihl & 0xfu) * 4;
	if (ihl < WIRE_IP4_HLEN_MIN || ihl > avail) {
		ip->stats[IPV4_STAT_RX_IHL]++;
		goto drop;
	}
	tot = wire_h16(h->tot_len);
	if (tot < ihl || tot > avail) {
		ip->stats[IPV4_STAT_RX_LEN]++;
		goto drop;
	}
	if (!wire_csum_ok(wire_csum_add(h, ihl, 0))) {
		ip->stats[IPV4_STAT_RX_CSUM]++;
		goto drop;
	}
	/* RFC 1122 section 3.2.1.3: a source that is broadcast or multicast
	 * cannot be a host; our own address coming in is a spoof or a loop. */
	if (wire_ip4_is_multicast(h->saddr) || netif_is_bcast(ni, h->saddr) ||
	    wire_eq32(h->saddr, ni->cfg.addr)) {
		ip->stats[IPV4_STAT_RX_SADDR]++;
		goto drop;
	}
	/* Same section: { 127, <any> } "MUST NOT appear outside a host"
	 * (an application may trust it as local), and { 0, <any> } is only
	 * the source of a host that does not know its address yet, talking
	 * to the limited broadcast (RFC 2131 4.1). Linux calls both martian. */
	if (wire_ip4_is_loopback(h->saddr) ||
	    (wire_ip4_is_this_net(h->saddr) && !wire_ip4_is_bcast(h->daddr))) {
		ip->stats[IPV4_STAT_RX_SADDR]++;
		goto drop;
	}
	dst_bcast = netif_is_bcast(ni, h->daddr);
	/* RFC 1122 section 3.3.6: a unicast datagram received in a
	 * link-layer broadcast SHOULD be discarded. */
	if ((!dst_bcast && !wire_eq32(h->daddr, ni->cfg.addr)) ||
	    (link_bcast && !dst_bcast)) {
		ip->stats[IPV4_STAT_RX_NOT_OURS]++;
		goto drop;
	}

	rx = (struct ipv4_rx){
		.buf = buf,
		.ip_off = NETIF_IP_OFF,
		.l4_off = NETIF_IP_OFF + ihl,
		.l4_len = tot - ihl,
		.saddr = h->saddr,
		.daddr = h->daddr,
		.proto = h->proto,
		.bcast = dst_bcast || link_bcast,
		.csum_trusted = csum_trusted,
	};
	frag = wire_h16(h->frag_off);
	if (frag & (WIRE_IP4_MF | WIRE_IP4_OFFMASK)) {
		ipv4_reass(ni, &rx, frag, now_ms);
		return;
	}
	ipv4_deliver(ni, &rx, now_ms);
	return;
drop:
	netif_free(ni, buf);
}

/**
 * ipv4_output() - send a transport message
 * @ni:		endpoint
 * @buf:	buffer from netif_alloc() with the message at NETIF_L4_OFF
 *		(ownership passes here, also on error)
 * @l4_len:	message length
 * @proto:	protocol number
 * @daddr:	destination
 * @df:		set Don't Fragment (path MTU discovery, RFC 1191)
 * @now_ms:	current time
 *
 * Return: 0 when sent or queued for ARP; -ENETDOWN, -EMSGSIZE (longer than
 * a datagram can be, or than the MTU with @df), -EHOSTUNREACH (our own
 * address, 127/8 or 0/8: there is no loopback here) or -ENETUNREACH
 * (off-link, no gateway)
 */
int ipv4_output(struct netif *ni, uint8_t *buf, size_t l4_len, uint8_t proto,
		be32_t daddr, bool df, uint64_t now_ms)
{
	struct wire_ip4 *h = (struct wire_ip4 *)(buf + NETIF_IP_OFF);
	size_t tot = WIRE_IP4_HLEN_MIN + l4_len;
	uint8_t mac[WIRE_ETH_ALEN];
	be32_t nexthop;
	int ret;

	if (!ni->up) {
		ret = -ENETDOWN;
		goto err;
	}
	/* A GSO super-frame (buf[1], the virtio-net gso_type) is cut into
	 * segments that fit the MTU below us. */
	if (tot > WIRE_IP4_LEN_MAX || (df && tot > ni->cfg.mtu && !buf[1])) {
		ni->ip.stats[IPV4_STAT_TX_TOO_BIG]++;
		ret = -EMSGSIZE;
		goto err;
	}

	nexthop = wire_be32(0);
	if (netif_is_bcast(ni, daddr)) {
		memset(mac, 0xff, sizeof(mac));
	} else if (wire_ip4_is_multicast(daddr)) {
		/* RFC 1112 section 6.4: 01:00:5e + low 23 bits. */
		uint32_t a = wire_h32(daddr);

		mac[0] = 0x01, mac[1] = 0x00, mac[2] = 0x5e;
		mac[3] = (uint8_t)(a >> 16 & 0x7f);
		mac[4] = (uint8_t)(a >> 8);
		mac[5] = (uint8_t)a;
	} else if (wire_eq32(daddr, ni->cfg.addr) ||
		   wire_ip4_is_loopback(daddr) || wire_ip4_is_this_net(daddr)) {
		/* RFC 1122 3.2.1.3: loopback and "this network" addresses
		 * never leave a host; the gateway is no way to them */
		ni->ip.stats[IPV4_STAT_TX_NO_ROUTE]++;
		ret = -EHOSTUNREACH;
		goto err;
	} else if (netif_on_link(ni, daddr)) {
		nexthop = daddr;
	} else if (ni->cfg.gw.be) {
		nexthop = ni->cfg.gw;
	} else {
		ni->ip.stats[IPV4_STAT_TX_NO_ROUTE]++;
		ret = -ENETUNREACH;
		goto err;
	}

	h->ver_ihl = 0x45;
	h->tos = 0;
	h->tot_len = wire_be16((uint16_t)tot);
	h->id = wire_be16(ipv4_ident(&ni->ip, ni->cfg.addr, daddr, proto,
				     ipv4_gso_segs(buf, tot), now_ms));
	h->frag_off = wire_be16(df ? WIRE_IP4_DF : 0);
	h->ttl = IPV4_TTL;
	h->proto = proto;
	h->saddr = ni->cfg.addr;
	h->daddr = daddr;
	ipv4_hdr_csum(h);
	ni->ip.stats[IPV4_STAT_TX]++;

	if (nexthop.be)
		arp_output(ni, buf, nexthop, now_ms);
	else
		ipv4_xmit(ni, buf, mac);
	return 0;
err:
	netif_free(ni, buf);
	return ret;
}

/**
 * ipv4_xmit() - put a datagram on the link, fragmenting it if needed
 * @ni:		endpoint
 * @buf:	datagram built by ipv4_output() (ownership passes here)
 * @mac:	destination MAC
 *
 * RFC 791 section 3.2: each fragment carries the header with its offset in
 * 8-byte units and MF on all but the last; all fragments but the last hold
 * the largest multiple of 8 that fits the MTU.
 */
void ipv4_xmit(struct netif *ni, uint8_t *buf, const uint8_t *mac)
{
	const struct wire_ip4 *h =
		(const struct wire_ip4 *)(buf + NETIF_IP_OFF);
	uint32_t tot = wire_h16(h->tot_len), plen, chunk, off, n;
	struct wire_ip4 *fh;
	uint8_t *f;

	if (tot <= ni->cfg.mtu || buf[1] /* GSO: see ipv4_output() */) {
		netif_emit(ni, buf, NETIF_IP_OFF + tot, mac, WIRE_ETH_P_IP);
		return;
	}
	if (wire_h16(h->frag_off) & WIRE_IP4_DF) {
		/* Only if the MTU shrank while the datagram waited for ARP. */
		ni->ip.stats[IPV4_STAT_TX_TOO_BIG]++;
		goto out;
	}

	plen = tot - WIRE_IP4_HLEN_MIN;
	chunk = (ni->cfg.mtu - WIRE_IP4_HLEN_MIN) & ~7u;
	for (off = 0; off < plen; off += n) {
		n = plen - off < chunk ? plen - off : chunk;
		f = netif_alloc(ni, NETIF_L4_OFF + n);
		if (!f) {
			/* The receiver cannot use the rest without this one. */
			ni->ip.stats[IPV4_STAT_TX_FRAG_NOBUF]++;
			break;
		}
		fh = (struct wire_ip4 *)(f + NETIF_IP_OFF);
		memcpy(fh, h, sizeof(*fh));
		fh->tot_len = wire_be16((uint16_t)(WIRE_IP4_HLEN_MIN + n));
		fh->frag_off = wire_be16(
			(uint16_t)(off / 8 |
				   (off + n < plen ? WIRE_IP4_MF : 0)));
		ipv4_hdr_csum(fh);
		memcpy(f + NETIF_L4_OFF, buf + NETIF_L4_OFF + off, n);
		ni->ip.stats[IPV4_STAT_TX_FRAGS]++;
		netif_emit(ni, f, NETIF_L4_OFF + n, mac, WIRE_ETH_P_IP);
	}
out:
	netif_free(ni, buf);
}

/**
 * ipv4_timer() - discard datagrams whose reassembly timed out
 * @ni:		endpoint
 * @now_ms:	current time
 */
void ipv4_timer(struct netif *ni, uint64_t now_ms)
{
	struct ipv4_reass *r;
	unsigned i;

	for (i = 0; i < IPV4_REASS_MAX; i++) {
		r = &ni->ip.reass[i];
		if (!r->buf || now_ms < r->expires_ms)
			continue;
		ni->ip.stats[IPV4_STAT_FRAG_TIMEOUT]++;
		if (r->first_len) {
			/* RFC 1122 section 3.3.2: time exceeded, quoting the
			 * first fragment, when it is the one we have. */
			ipv4_reass_hdr(r, r->first_len, WIRE_IP4_MF);
			icmp_send_error(ni, WIRE_ICMP_TIME_EXCEEDED,
					WIRE_ICMP_EXC_FRAGTIME,
					r->buf + NETIF_IP_OFF,
					WIRE_IP4_HLEN_MIN + r->first_len,
					r->bcast, now_ms);
		}
		ipv4_reass_release(ni, r);
	}
}

/**
 * ipv4_flush() - drop every datagram being reassembled
 * @ni:		endpoint
 */
void ipv4_flush(struct netif *ni)
{
	unsigned i;

	for (i = 0; i < IPV4_REASS_MAX; i++)
		if (ni->ip.reass[i].buf)
			ipv4_reass_release(ni, &ni->ip.reass[i]);
}
