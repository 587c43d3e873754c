/* SPDX-License-Identifier: MIT */
/*
 * netif.h - a stack endpoint: one MAC and one IPv4 address on one network
 *
 * An endpoint (struct netif) is the unit the shared stack serves: a MAC
 * address, an IPv4 address with its prefix, an optional gateway and an MTU,
 * plus the state of every protocol module (ARP cache, reassembly, ICMP rate
 * limit, UDP sockets). It does no I/O, starts no thread and reads no clock:
 *
 * - frames come in through netif_input(), which takes ownership of the
 *   buffer (it is released with ops->free(), at once or when the data has
 *   been consumed, e.g. read from a UDP socket);
 * - frames go out through ops->emit(), which takes ownership of a buffer
 *   the stack got from ops->alloc();
 * - time is the caller's now_ms argument; netif_timer() runs retransmission
 *   and expiry, at netif_next_timer() or simply every NETIF_TICK_MS.
 *
 * Every buffer holds a virtio-net header (12 bytes, all zero on output: no
 * offload requested) and then the Ethernet frame, so that the worker can
 * write it to a TAP queue as it is. Buffers the stack asks for are at most
 * NETIF_BUF_MAX bytes: the header plus a 64 KiB IPv4 datagram behind an
 * Ethernet header.
 *
 * Module map: wire.h (formats, checksum), netif.c (this: Ethernet in/out),
 * arp.c (RFC 826 resolution), ipv4.c (RFC 791 input, routing, reassembly,
 * fragmentation), icmp.c (RFC 792 echo and errors), udp.c (RFC 768 sockets).
 */
#ifndef VSTACK_NETIF_H
#define VSTACK_NETIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arp.h"
#include "icmp.h"
#include "ipv4.h"
#include "udp.h"
#include "wire.h"

/* The virtio-net header in front of every frame (vnet/frame.h, struct
 * vnet_hdr); restated here so that stack/ does not depend on vnet/ headers.
 * The unit tests check both agree. */
#define NETIF_VNET_HDR_LEN	12
#define NETIF_VNET_F_NEEDS_CSUM 1
#define NETIF_VNET_F_DATA_VALID 2
#define NETIF_VNET_GSO_TCPV4	1 /* VIRTIO_NET_HDR_GSO_TCPV4 (0x80: ECN) */

/* Offsets of each header in a buffer built by the stack. */
#define NETIF_ETH_OFF NETIF_VNET_HDR_LEN
#define NETIF_IP_OFF  (NETIF_ETH_OFF + 14)
#define NETIF_L4_OFF  (NETIF_IP_OFF + WIRE_IP4_HLEN_MIN)

/* Largest buffer the stack asks for. */
#define NETIF_BUF_MAX ((size_t)NETIF_IP_OFF + WIRE_IP4_LEN_MAX)

/* Smallest MTU an IPv4 link may have, RFC 791 ("every internet module must
 * be able to forward a datagram of 68 octets"). */
#define NETIF_MTU_MIN	  68
#define NETIF_MTU_DEFAULT 1500

/* Smallest path MTU an ICMP "fragmentation needed" may set, as Linux's
 * net.ipv4.route.min_pmtu: a forged message with a tiny MTU must not make
 * every later segment to that destination a few dozen bytes. */
#define NETIF_PMTU_MIN 552

/* How often netif_timer() wants to run. */
#define NETIF_TICK_MS 100

/**
 * struct netif_ops - what the caller provides
 * @alloc:	a buffer of at least @size bytes (size <= NETIF_BUF_MAX), or
 *		NULL when none is free; never blocks
 * @free:	give back a buffer that @alloc or the caller handed over
 * @emit:	send a frame (virtio-net header + Ethernet), @len bytes from
 *		the start of @buf; takes ownership of @buf
 * @pmtu:	optional: an ICMP "fragmentation needed" (RFC 1191) lowered
 *		the path MTU towards @dst to @mtu; @quote is the quoted IPv4
 *		header and data, @quote_len bytes of it
 * @unreach:	optional: an ICMP destination unreachable (but not
 *		"fragmentation needed") about a datagram of ours to @dst;
 *		@err is the errno its code means (icmp_unreach_err()),
 *		@quote as for @pmtu
 * @proto_input: optional: an IPv4 datagram for us with a protocol the
 *		stack does not handle itself (e.g. TCP); takes ownership of
 *		rx->buf and returns true, or returns false (buffer still
 *		owned by the stack) to have it answered with an ICMP
 *		protocol unreachable
 */
struct netif_ops {
	uint8_t *(*alloc)(void *ctx, size_t size);
	void (*free)(void *ctx, uint8_t *buf);
	void (*emit)(void *ctx, uint8_t *buf, size_t len);
	void (*pmtu)(void *ctx, be32_t dst, uint16_t mtu, const uint8_t *quote,
		     size_t quote_len);
	void (*unreach)(void *ctx, be32_t dst, int err, const uint8_t *quote,
			size_t quote_len);
	bool (*proto_input)(void *ctx, struct ipv4_rx *rx, uint64_t now_ms);
};

/**
 * struct netif_config - how an endpoint is set up
 * @mac:	its unicast MAC address
 * @addr:	its IPv4 address
 * @prefix_len:	length of the on-link prefix, 0 to 32
 * @gw:		default gateway, 0.0.0.0 for none; must be on-link
 * @mtu:	link MTU, NETIF_MTU_MIN to 65535; 0 means NETIF_MTU_DEFAULT
 * @seed:	random seed for the IPv4 identification and ephemeral ports
 *		(RFC 6056); the caller reads it from getrandom()
 */
struct netif_config {
	uint8_t mac[WIRE_ETH_ALEN];
	be32_t addr;
	uint8_t prefix_len;
	be32_t gw;
	uint16_t mtu;
	uint64_t seed;
};

#define NETIF_STATS(X)                                                         \
	X(RX, "rx")			/* frames handed to netif_input() */   \
	X(RX_DOWN, "rx_down")		/* endpoint not up */                  \
	X(RX_SHORT, "rx_short")		/* shorter than vnet + Ethernet */     \
	X(RX_GSO, "rx_gso")		/* GSO frame other than TCPv4 */       \
	X(RX_DST_MAC, "rx_dst_mac")	/* neither our MAC nor broadcast */    \
	X(RX_ETHERTYPE, "rx_ethertype") /* not ARP nor IPv4 (VLAN too) */      \
	X(TX, "tx")			/* frames emitted */                   \
	X(TX_NOBUF, "tx_nobuf")		/* allocator had no buffer */

/** enum netif_stat - endpoint-level counters */
enum netif_stat {
#define NETIF_X(name, str) NETIF_STAT_##name,
	NETIF_STATS(NETIF_X)
#undef NETIF_X
		NETIF_STAT__COUNT
};

/**
 * struct netif - one endpoint
 * @cfg:	configuration as given (mtu filled in)
 * @mask:	netmask from the prefix length
 * @bcast:	directed broadcast address of the prefix
 * @ops:	caller's hooks
 * @ctx:	their context
 * @up:		netif_up() was called and netif_close() not yet
 * @stats:	counters, enum netif_stat
 * @arp:	ARP cache
 * @ip:		IPv4 state (reassembly, identification)
 * @icmp:	ICMP state (rate limit)
 * @udp:	UDP sockets
 */
struct netif {
	struct netif_config cfg;
	be32_t mask;
	be32_t bcast;
	const struct netif_ops *ops;
	void *ctx;
	bool up;
	uint64_t stats[NETIF_STAT__COUNT];
	struct arp arp;
	struct ipv4 ip;
	struct icmp icmp;
	struct udp udp;
};

int netif_init(struct netif *ni, const struct netif_config *cfg,
	       const struct netif_ops *ops, void *ctx);
void netif_up(struct netif *ni, uint64_t now_ms);
void netif_close(struct netif *ni);
void netif_input(struct netif *ni, uint8_t *buf, size_t len, uint64_t now_ms);
void netif_timer(struct netif *ni, uint64_t now_ms);
uint64_t netif_next_timer(const struct netif *ni);
const char *netif_stat_name(enum netif_stat s);

/* For protocol modules, here and outside (TCP): buffers from the caller's
 * allocator, and where an address stands. */
uint8_t *netif_alloc(struct netif *ni, size_t size);
void netif_free(struct netif *ni, uint8_t *buf);
bool netif_on_link(const struct netif *ni, be32_t addr);
bool netif_is_bcast(const struct netif *ni, be32_t addr);

#endif /* VSTACK_NETIF_H */
