/* SPDX-License-Identifier: MIT */
/*
 * ipv4.h - IPv4 input, output with routing, reassembly and fragmentation
 * (RFC 791, RFC 815, RFC 1122 section 3.2.1)
 */
#ifndef VSTACK_IPV4_H
#define VSTACK_IPV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

struct netif;

#define IPV4_TTL	      64	   /* RFC 1700 default */
#define IPV4_REASS_MAX	      8		   /* datagrams being reassembled */
#define IPV4_REASS_FRAGS      64	   /* fragments per datagram */
#define IPV4_REASS_BYTES      (256 * 1024) /* payload held, all datagrams */
#define IPV4_REASS_TIMEOUT_MS 30000	   /* RFC 791 suggests 15 s or more */
#define IPV4_IDENTS	      256	   /* identification counters */

/**
 * struct ipv4_rx - a received datagram for us, as handed to upper layers
 * @buf:	the buffer (owned by whoever the rx is handed to)
 * @ip_off:	offset of the IPv4 header in @buf
 * @l4_off:	offset of the payload in @buf
 * @l4_len:	payload length (total length minus header; padding removed)
 * @saddr:	source address
 * @daddr:	destination address
 * @proto:	protocol number
 * @bcast:	sent to a broadcast address (IP or link layer)
 * @csum_trusted: the sender's virtio-net header says the transport
 *		checksum is valid or left to complete (NEEDS_CSUM/DATA_VALID)
 */
struct ipv4_rx {
	uint8_t *buf;
	uint32_t ip_off;
	uint32_t l4_off;
	uint32_t l4_len;
	be32_t saddr;
	be32_t daddr;
	uint8_t proto;
	bool bcast;
	bool csum_trusted;
};

/**
 * struct ipv4_frag - one fragment held for reassembly
 * @off:	payload offset in bytes
 * @len:	payload length
 */
struct ipv4_frag {
	uint16_t off;
	uint16_t len;
};

/**
 * struct ipv4_reass - one datagram being reassembled
 * @buf:	reassembly buffer (NETIF_BUF_MAX), NULL when the slot is free
 * @saddr:	key: source
 * @daddr:	key: destination
 * @id:		key: identification
 * @proto:	key: protocol
 * @tos:	type of service of the first fragment seen
 * @ttl:	time to live of the first fragment seen
 * @bcast:	the fragments were sent to a broadcast address
 * @nfrags:	fragments held
 * @have_last:	the fragment with MF clear arrived, @total is known
 * @first_len:	payload length of the fragment at offset 0, 0 if not seen
 * @total:	payload length of the whole datagram, once @have_last
 * @received:	payload bytes held
 * @expires_ms:	when the datagram is given up (set by its first fragment)
 * @frags:	the fragments held, in arrival order
 */
struct ipv4_reass {
	uint8_t *buf;
	be32_t saddr;
	be32_t daddr;
	be16_t id;
	uint8_t proto;
	uint8_t tos;
	uint8_t ttl;
	bool bcast;
	uint8_t nfrags;
	bool have_last;
	uint16_t first_len;
	uint32_t total;
	uint32_t received;
	uint64_t expires_ms;
	struct ipv4_frag frags[IPV4_REASS_FRAGS];
};

#define IPV4_STATS(X)                                                          \
	X(RX, "rx")			/* IPv4 packets received */            \
	X(RX_SHORT, "rx_short")		/* shorter than the header */          \
	X(RX_VERSION, "rx_version")	/* version is not 4 */                 \
	X(RX_IHL, "rx_ihl")		/* header length < 20 or > packet */   \
	X(RX_LEN, "rx_len")		/* total length vs frame */            \
	X(RX_CSUM, "rx_csum")		/* bad header checksum */              \
	X(RX_SADDR, "rx_saddr")		/* martian source address */           \
	X(RX_NOT_OURS, "rx_not_ours")	/* destination is not ours */          \
	X(RX_DELIVERED, "rx_delivered") /* handed to ICMP/UDP/hook */          \
	X(RX_NO_PROTO, "rx_no_proto")	/* protocol not handled */             \
	X(FRAG_RX, "frag_rx")		/* fragments received */               \
	X(FRAG_BAD, "frag_bad")		/* malformed fragment */               \
	X(FRAG_DUP, "frag_dup")		/* exact duplicate, ignored */         \
	X(FRAG_OVERLAP, "frag_overlap") /* overlap: datagram dropped */        \
	X(FRAG_EVICTED, "frag_evicted") /* evicted for newer ones */           \
	X(FRAG_FULL, "frag_full") /* too many fragments in one datagram */     \
	X(FRAG_TIMEOUT, "frag_timeout") /* datagrams timed out */              \
	X(FRAG_NOBUF, "frag_nobuf")	/* no buffer for reassembly */         \
	X(REASS_OK, "reass_ok")		/* datagrams reassembled */            \
	X(TX, "tx")			/* datagrams sent */                   \
	X(TX_NO_ROUTE, "tx_no_route")	/* off-link and no gateway */          \
	X(TX_TOO_BIG, "tx_too_big")	/* DF set and larger than MTU */       \
	X(TX_FRAGS, "tx_frags")		/* fragments produced */               \
	X(TX_FRAG_NOBUF,                                                       \
	  "tx_frag_nobuf") /* datagram lost: no fragment buffer */

/** enum ipv4_stat - IPv4 counters */
enum ipv4_stat {
#define IPV4_X(name, str) IPV4_STAT_##name,
	IPV4_STATS(IPV4_X)
#undef IPV4_X
		IPV4_STAT__COUNT
};

/**
 * struct ipv4 - per-endpoint IPv4 state
 * @reass:	datagrams being reassembled
 * @reass_bytes: payload bytes held in @reass
 * @idents:	identification counters; a keyed hash of the destination
 *		picks one (ipv4_ident())
 * @ident_ms:	when each counter was last used (low 32 bits of the time)
 * @ident_key:	the hash's key, from the seed
 * @ident_rng:	xorshift64* state for the leaps of idle counters
 * @stats:	counters, enum ipv4_stat
 */
struct ipv4 {
	struct ipv4_reass reass[IPV4_REASS_MAX];
	uint32_t reass_bytes;
	uint16_t idents[IPV4_IDENTS];
	uint32_t ident_ms[IPV4_IDENTS];
	uint64_t ident_key[2];
	uint64_t ident_rng;
	uint64_t stats[IPV4_STAT__COUNT];
};

int ipv4_output(struct netif *ni, uint8_t *buf, size_t l4_len, uint8_t proto,
		be32_t daddr, bool df, uint64_t now_ms);
const char *ipv4_stat_name(enum ipv4_stat s);

#endif /* VSTACK_IPV4_H */
