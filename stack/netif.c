// SPDX-License-Identifier: MIT
/*
 * netif.c - a stack endpoint: configuration, Ethernet input and output
 *
 * Theory of operation: netif_input() is the only way bytes from the network
 * enter the stack. It checks the virtio-net header and the Ethernet header,
 * then hands the buffer to arp_input() or ipv4_input(), which own it from
 * there. Output goes the other way: a protocol module builds its message at
 * NETIF_L4_OFF in a buffer from netif_alloc(), ipv4_output() adds the IPv4
 * header and picks the next hop, arp_output() finds its MAC (or queues the
 * datagram), and ipv4_xmit() fragments if needed and calls netif_emit(),
 * which writes the Ethernet and virtio-net headers and passes the frame to
 * the caller. Whatever path a buffer takes, it ends in exactly one of
 * ops->emit() or ops->free().
 */

#include <errno.h>
#include <string.h>

#include "netif_priv.h"

_Static_assert(NETIF_IP_OFF == NETIF_ETH_OFF + sizeof(struct wire_eth),
	       "IPv4 header follows the Ethernet header");

static const uint8_t netif_bcast_mac[WIRE_ETH_ALEN] = {0xff, 0xff, 0xff,
						       0xff, 0xff, 0xff};

static const char *const netif_stat_names[] = {
#define NETIF_X(name, str) str,
	NETIF_STATS(NETIF_X)
#undef NETIF_X
};

/**
 * netif_stat_name() - name of a counter
 * @s:	counter
 *
 * Return: its name, "unknown" when out of range
 */
const char *netif_stat_name(enum netif_stat s)
{
	if ((unsigned)s >= NETIF_STAT__COUNT)
		return "unknown";
	return netif_stat_names[s];
}

/**
 * netif_init() - set up an endpoint (down; netif_up() brings it up)
 * @ni:		endpoint, any content
 * @cfg:	configuration
 * @ops:	caller's hooks; alloc, free and emit are required
 * @ctx:	passed to the hooks
 *
 * Return: 0, or -EINVAL for a configuration that cannot work: a multicast
 * or zero MAC, a zero/multicast/broadcast address, a prefix longer than 32,
 * an MTU below NETIF_MTU_MIN, or a gateway that is not on-link
 */
int netif_init(struct netif *ni, const struct netif_config *cfg,
	       const struct netif_ops *ops, void *ctx)
{
	static const uint8_t zero[WIRE_ETH_ALEN];
	uint32_t mask;

	if (!ops || !ops->alloc || !ops->free || !ops->emit)
		return -EINVAL;
	if ((cfg->mac[0] & 1) || !memcmp(cfg->mac, zero, WIRE_ETH_ALEN))
		return -EINVAL;
	if (!cfg->addr.be || wire_ip4_is_multicast(cfg->addr) ||
	    wire_ip4_is_bcast(cfg->addr) || cfg->prefix_len > 32)
		return -EINVAL;
	if (cfg->mtu && cfg->mtu < NETIF_MTU_MIN)
		return -EINVAL;

	memset(ni, 0, sizeof(*ni));
	ni->cfg = *cfg;
	if (!ni->cfg.mtu)
		ni->cfg.mtu = NETIF_MTU_DEFAULT;
	mask = cfg->prefix_len ? ~0u << (32 - cfg->prefix_len) : 0;
	ni->mask = wire_be32(mask);
	ni->bcast = wire_be32(wire_h32(cfg->addr) | ~mask);
	if (cfg->gw.be &&
	    (!netif_on_link(ni, cfg->gw) || wire_eq32(cfg->gw, cfg->addr)))
		return -EINVAL;
	ni->ops = ops;
	ni->ctx = ctx;
	arp_init(&ni->arp);
	ipv4_init(&ni->ip, cfg->seed);
	icmp_init(&ni->icmp, 0);
	udp_init(&ni->udp, cfg->seed);
	return 0;
}

/**
 * netif_up() - start serving the endpoint's address
 * @ni:		endpoint
 * @now_ms:	current time
 *
 * Announces the address with gratuitous ARP (RFC 5227 section 2.3) so that
 * neighbours holding an old mapping for it update their caches.
 */
void netif_up(struct netif *ni, uint64_t now_ms)
{
	if (ni->up)
		return;
	ni->up = true;
	arp_announce(ni, now_ms);
}

/**
 * netif_close() - take the endpoint down and release every buffer it holds
 * @ni:		endpoint
 *
 * Datagrams waiting for ARP, fragments being reassembled and data queued on
 * UDP sockets are all given back to ops->free(); sockets are closed.
 */
void netif_close(struct netif *ni)
{
	ni->up = false;
	arp_flush(ni);
	ipv4_flush(ni);
	udp_flush(ni);
}

/**
 * netif_input() - a frame for this endpoint
 * @ni:		endpoint
 * @buf:	virtio-net header + Ethernet frame; ownership passes to the
 * stack
 * @len:	bytes in @buf
 * @now_ms:	current time
 *
 * A TCPv4 GSO frame (a tenant kernel's TSO super-frame, which the switch
 * passes on unsegmented because the endpoint's port takes TSO4) is one
 * IPv4 datagram whose total length covers every segment: TCP takes it as
 * one large segment. Other GSO types are refused (the switch segments
 * them). NEEDS_CSUM and DATA_VALID both mean the transport checksum needs
 * no verification (the sender is a local guest whose checksum is still to
 * be completed, or the switch has checked it).
 */
void netif_input(struct netif *ni, uint8_t *buf, size_t len, uint64_t now_ms)
{
	const struct wire_eth *eth;
	bool link_bcast;
	uint16_t type;
	uint8_t flags;

	ni->stats[NETIF_STAT_RX]++;
	if (!ni->up) {
		ni->stats[NETIF_STAT_RX_DOWN]++;
		goto drop;
	}
	if (len < NETIF_VNET_HDR_LEN + sizeof(struct wire_eth)) {
		ni->stats[NETIF_STAT_RX_SHORT]++;
		goto drop;
	}
	flags = buf[0];
	if (buf[1] /* gso_type */ &&
	    (buf[1] & 0x7f) != NETIF_VNET_GSO_TCPV4) {
		ni->stats[NETIF_STAT_RX_GSO]++;
		goto drop;
	}

	eth = (const struct wire_eth *)(buf + NETIF_ETH_OFF);
	link_bcast = !memcmp(eth->dst, netif_bcast_mac, WIRE_ETH_ALEN);
	if (!link_bcast && memcmp(eth->dst, ni->cfg.mac, WIRE_ETH_ALEN)) {
		ni->stats[NETIF_STAT_RX_DST_MAC]++;
		goto drop;
	}

	type = wire_h16(eth->type);
	if (type == WIRE_ETH_P_ARP) {
		arp_input(ni, buf, len, now_ms);
		return;
	}
	if (type == WIRE_ETH_P_IP) {
		ipv4_input(ni, buf, len, link_bcast,
			   flags & (NETIF_VNET_F_NEEDS_CSUM |
				    NETIF_VNET_F_DATA_VALID),
			   now_ms);
		return;
	}
	/* An endpoint is an untagged host: VLAN-tagged frames are not ours. */
	ni->stats[NETIF_STAT_RX_ETHERTYPE]++;
drop:
	netif_free(ni, buf);
}

/**
 * netif_timer() - run the protocol timers
 * @ni:		endpoint
 * @now_ms:	current time
 */
void netif_timer(struct netif *ni, uint64_t now_ms)
{
	if (!ni->up)
		return;
	arp_timer(ni, now_ms);
	ipv4_timer(ni, now_ms);
}

/**
 * netif_next_timer() - when netif_timer() next has work to do
 * @ni:		endpoint
 *
 * Lets the worker arm one ring timer instead of ticking: the earliest of
 * the next ARP announcement, request or probe, and reassembly expiry.
 *
 * Return: that time in ms, or UINT64_MAX when nothing is pending
 */
uint64_t netif_next_timer(const struct netif *ni)
{
	uint64_t next = UINT64_MAX;
	unsigned i;

	if (!ni->up)
		return next;
	if (ni->arp.announce_left && ni->arp.announce_ms < next)
		next = ni->arp.announce_ms;
	for (i = 0; i < ARP_CACHE_SIZE; i++) {
		const struct arp_entry *e = &ni->arp.e[i];

		if ((e->state == ARP_INCOMPLETE || e->state == ARP_PROBE) &&
		    e->next_ms < next)
			next = e->next_ms;
	}
	for (i = 0; i < IPV4_REASS_MAX; i++) {
		const struct ipv4_reass *r = &ni->ip.reass[i];

		if (r->buf && r->expires_ms < next)
			next = r->expires_ms;
	}
	return next;
}

/**
 * netif_alloc() - a buffer from the caller, counted when there is none
 * @ni:		endpoint
 * @size:	bytes needed, at most NETIF_BUF_MAX
 *
 * Return: the buffer, or NULL
 */
uint8_t *netif_alloc(struct netif *ni, size_t size)
{
	uint8_t *b;

	if (size > NETIF_BUF_MAX) {
		ni->stats[NETIF_STAT_TX_NOBUF]++;
		return NULL;
	}
	b = ni->ops->alloc(ni->ctx, size);
	if (!b)
		ni->stats[NETIF_STAT_TX_NOBUF]++;
	else /* no offload asked for, unless the builder asks (TSO) */
		memset(b, 0, NETIF_VNET_HDR_LEN);
	return b;
}

/**
 * netif_free() - give a buffer back to the caller
 * @ni:		endpoint
 * @buf:	buffer, or NULL
 */
void netif_free(struct netif *ni, uint8_t *buf)
{
	if (buf)
		ni->ops->free(ni->ctx, buf);
}

/**
 * netif_emit() - write virtio-net and Ethernet headers, send the frame
 * @ni:		endpoint
 * @buf:	buffer with the Ethernet payload at NETIF_IP_OFF
 * @len:	total length, headers included
 * @dst_mac:	destination MAC
 * @ethertype:	host order
 */
void netif_emit(struct netif *ni, uint8_t *buf, size_t len,
		const uint8_t *dst_mac, uint16_t ethertype)
{
	struct wire_eth *eth = (struct wire_eth *)(buf + NETIF_ETH_OFF);

	/* the virtio-net header is as netif_alloc() left it (zero: no
	 * offload) or as the builder set it (a TCP super-frame) */
	memcpy(eth->dst, dst_mac, WIRE_ETH_ALEN);
	memcpy(eth->src, ni->cfg.mac, WIRE_ETH_ALEN);
	eth->type = wire_be16(ethertype);
	ni->stats[NETIF_STAT_TX]++;
	ni->ops->emit(ni->ctx, buf, len);
}

/**
 * netif_on_link() - an address is inside the endpoint's prefix
 * @ni:		endpoint
 * @addr:	address
 *
 * Return: true when on-link
 */
bool netif_on_link(const struct netif *ni, be32_t addr)
{
	return !((addr.be ^ ni->cfg.addr.be) & ni->mask.be);
}

/**
 * netif_is_bcast() - limited or directed broadcast of the prefix
 * @ni:		endpoint
 * @addr:	address
 *
 * A /31 has no broadcast address (RFC 3021) and a /32 none either.
 *
 * Return: true when @addr is a broadcast address for the endpoint
 */
bool netif_is_bcast(const struct netif *ni, be32_t addr)
{
	if (wire_ip4_is_bcast(addr))
		return true;
	return ni->cfg.prefix_len < 31 && wire_eq32(addr, ni->bcast);
}
