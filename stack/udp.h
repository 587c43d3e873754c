/* SPDX-License-Identifier: MIT */
/*
 * udp.h - UDP over IPv4 (RFC 768): a bounded socket table per endpoint
 *
 * Sockets are small integers. Ports are host order in this interface,
 * addresses network order (be32_t), like the fields they come from.
 */
#ifndef VSTACK_UDP_H
#define VSTACK_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "wire.h"

struct netif;
struct ipv4_rx;

#define UDP_SOCK_MAX 64 /* sockets per endpoint */
#define UDP_RXQ_LEN  16 /* datagrams queued per socket */
/* Datagrams queued in all of an endpoint's sockets. Each holds the buffer
 * it came in, which may be one of its worker's I/O buffers, shared by every
 * tenant's ports on that worker (512 by default): sockets whose
 * application does not read must not take them all. */
#define UDP_HELD_MAX 32
/* Ephemeral ports: the IANA dynamic range (RFC 6335 section 6), searched
 * from a random point (RFC 6056 section 3.3.1, algorithm 1). */
#define UDP_EPHEMERAL_MIN 49152
#define UDP_EPHEMERAL_MAX 65535
#define UDP_PAYLOAD_MAX	  (WIRE_IP4_LEN_MAX - WIRE_IP4_HLEN_MIN - 8)

/**
 * struct udp_rxq_entry - a datagram waiting to be read
 * @buf:	the buffer it arrived in
 * @off:	offset of the payload in @buf
 * @len:	payload length
 * @saddr:	source address
 * @sport:	source port, host order
 */
struct udp_rxq_entry {
	uint8_t *buf;
	uint32_t off;
	uint16_t len;
	be32_t saddr;
	uint16_t sport;
};

/**
 * struct udp_sock - one socket
 * @used:	slot in use
 * @port:	local port, host order
 * @head:	index of the oldest queued datagram
 * @count:	datagrams queued
 * @drops:	datagrams dropped because the queue was full
 * @err:	pending error (positive errno) from an ICMP message about a
 *		datagram to the connected peer; the owner takes it
 *		(udp_take_error())
 * @q:		receive queue, a ring
 */
struct udp_sock {
	bool used;
	bool shared;      /* SO_REUSEADDR: the port may have other sockets */
	uint16_t port;
	uint16_t rport;   /* connected peer (0: none), host order */
	be32_t raddr;     /* connected peer, for demultiplexing */
	uint8_t head;
	uint8_t count;
	uint16_t err;
	uint64_t drops;
	struct udp_rxq_entry q[UDP_RXQ_LEN];
};

#define UDP_STATS(X)                                                           \
	X(RX, "rx")			  /* datagrams received */             \
	X(RX_SHORT, "rx_short")		  /* shorter than the header */        \
	X(RX_LEN, "rx_len")		  /* length field vs IP payload */     \
	X(RX_CSUM, "rx_csum")		  /* bad checksum */                   \
	X(RX_NO_PORT, "rx_no_port")	  /* no socket on the port */          \
	X(RX_QUEUE_FULL, "rx_queue_full") /* socket queue full */              \
	X(RX_DELIVERED, "rx_delivered")	  /* queued on a socket */             \
	X(TX, "tx")			  /* datagrams sent */                 \
	X(TX_NOBUF, "tx_nobuf")		  /* no buffer */                      \
	X(TX_ERROR, "tx_error")		  /* IPv4 output refused it */         \
	X(RX_ICMP_ERR, "rx_icmp_err")	  /* ICMP errors given to sockets */

/** enum udp_stat - UDP counters */
enum udp_stat {
#define UDP_X(name, str) UDP_STAT_##name,
	UDP_STATS(UDP_X)
#undef UDP_X
		UDP_STAT__COUNT
};

/**
 * struct udp - per-endpoint UDP state
 * @s:		socket table
 * @rng:	state of the port randomiser (xorshift64*)
 * @held:	datagrams queued in all sockets (UDP_HELD_MAX at most)
 * @stats:	counters, enum udp_stat
 */
struct udp {
	struct udp_sock s[UDP_SOCK_MAX];
	uint64_t rng;
	uint32_t held;
	uint64_t stats[UDP_STAT__COUNT];
};

int udp_bind(struct netif *ni, uint16_t port);
int udp_bind_shared(struct netif *ni, uint16_t port);
void udp_set_peer(struct netif *ni, int sock, be32_t addr, uint16_t port);
void udp_set_shared(struct netif *ni, int sock, bool shared);
int udp_port(const struct netif *ni, int sock);
int udp_close(struct netif *ni, int sock);
int udp_sendto(struct netif *ni, int sock, be32_t daddr, uint16_t dport,
	       const void *data, size_t len, uint64_t now_ms);
ssize_t udp_recvfrom(struct netif *ni, int sock, void *data, size_t cap,
		     be32_t *saddr, uint16_t *sport);
int udp_take_error(struct netif *ni, int sock);
const char *udp_stat_name(enum udp_stat s);

#endif /* VSTACK_UDP_H */
