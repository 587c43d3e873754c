/* SPDX-License-Identifier: MIT */
/*
 * wire.h - wire formats of Ethernet, ARP, IPv4, ICMP and UDP, and the
 * internet checksum
 *
 * Every multi-byte field that travels in network byte order has its own type
 * (be16_t, be32_t): a one-member struct, so that assigning a host-order
 * integer to it, comparing it with one or doing arithmetic on it fails to
 * compile. The only ways in and out are wire_be16()/wire_h16() and
 * wire_be32()/wire_h32(). Headers are packed structs whose sizes are checked
 * at compile time; callers only overlay them on bytes whose length they have
 * already checked.
 *
 * The checksum is the one's complement sum of RFC 1071, computed over
 * big-endian 16-bit words so that the result does not depend on the host's
 * byte order, with the incremental update of RFC 1624 (eqn. 3).
 */
#ifndef VSTACK_WIRE_H
#define VSTACK_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** be16_t - a 16-bit value in network byte order */
typedef struct {
	uint16_t be;
} be16_t;

/** be32_t - a 32-bit value in network byte order */
typedef struct {
	uint32_t be;
} be32_t;

_Static_assert(sizeof(be16_t) == 2, "be16_t is two bytes");
_Static_assert(sizeof(be32_t) == 4, "be32_t is four bytes");

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define WIRE_SWAP16(x) __builtin_bswap16(x)
#define WIRE_SWAP32(x) __builtin_bswap32(x)
#else
#define WIRE_SWAP16(x) (x)
#define WIRE_SWAP32(x) (x)
#endif

/**
 * wire_be16() - host-order value to network order
 * @h:	host-order value
 *
 * Return: @h in network byte order
 */
static inline be16_t wire_be16(uint16_t h)
{
	return (be16_t){WIRE_SWAP16(h)};
}

/**
 * wire_h16() - network-order value to host order
 * @n:	network-order value
 *
 * Return: @n in host byte order
 */
static inline uint16_t wire_h16(be16_t n)
{
	return WIRE_SWAP16(n.be);
}

/**
 * wire_be32() - host-order value to network order
 * @h:	host-order value
 *
 * Return: @h in network byte order
 */
static inline be32_t wire_be32(uint32_t h)
{
	return (be32_t){WIRE_SWAP32(h)};
}

/**
 * wire_h32() - network-order value to host order
 * @n:	network-order value
 *
 * Return: @n in host byte order
 */
static inline uint32_t wire_h32(be32_t n)
{
	return WIRE_SWAP32(n.be);
}

/**
 * wire_eq32() - two network-order values are equal
 * @a:	one
 * @b:	the other
 *
 * Return: true when equal
 */
static inline bool wire_eq32(be32_t a, be32_t b)
{
	return a.be == b.be;
}

/**
 * wire_eq16() - two network-order values are equal
 * @a:	one
 * @b:	the other
 *
 * Return: true when equal
 */
static inline bool wire_eq16(be16_t a, be16_t b)
{
	return a.be == b.be;
}

/**
 * wire_ip4() - an IPv4 address from its four dotted-quad bytes
 * @a:	first byte
 * @b:	second byte
 * @c:	third byte
 * @d:	fourth byte
 *
 * Return: the address in network byte order
 */
static inline be32_t wire_ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	return wire_be32((uint32_t)a << 24 | (uint32_t)b << 16 |
			 (uint32_t)c << 8 | d);
}

/* Ethernet (IEEE 802.3) */
#define WIRE_ETH_ALEN	  6
#define WIRE_ETH_P_IP	  0x0800
#define WIRE_ETH_P_ARP	  0x0806
#define WIRE_ETH_P_8021Q  0x8100
#define WIRE_ETH_P_8021AD 0x88a8

/** struct wire_eth - Ethernet II header */
struct wire_eth {
	uint8_t dst[WIRE_ETH_ALEN];
	uint8_t src[WIRE_ETH_ALEN];
	be16_t type;
} __attribute__((packed));
_Static_assert(sizeof(struct wire_eth) == 14, "Ethernet header is 14 bytes");

/* ARP for IPv4 over Ethernet, RFC 826 */
#define WIRE_ARP_HRD_ETHER  1
#define WIRE_ARP_OP_REQUEST 1
#define WIRE_ARP_OP_REPLY   2

/** struct wire_arp - ARP packet for Ethernet hardware and IPv4 protocol */
struct wire_arp {
	be16_t htype;
	be16_t ptype;
	uint8_t hlen;
	uint8_t plen;
	be16_t oper;
	uint8_t sha[WIRE_ETH_ALEN];
	be32_t spa;
	uint8_t tha[WIRE_ETH_ALEN];
	be32_t tpa;
} __attribute__((packed));
_Static_assert(sizeof(struct wire_arp) == 28, "Ethernet/IPv4 ARP is 28 bytes");

/* IPv4, RFC 791 */
#define WIRE_IP4_HLEN_MIN 20
#define WIRE_IP4_LEN_MAX  65535
#define WIRE_IP4_DF	  0x4000
#define WIRE_IP4_MF	  0x2000
#define WIRE_IP4_OFFMASK  0x1fff
#define WIRE_IPPROTO_ICMP 1
#define WIRE_IPPROTO_TCP  6
#define WIRE_IPPROTO_UDP  17

/** struct wire_ip4 - IPv4 header without options */
struct wire_ip4 {
	uint8_t ver_ihl;
	uint8_t tos;
	be16_t tot_len;
	be16_t id;
	be16_t frag_off;
	uint8_t ttl;
	uint8_t proto;
	be16_t csum;
	be32_t saddr;
	be32_t daddr;
} __attribute__((packed));
_Static_assert(sizeof(struct wire_ip4) == WIRE_IP4_HLEN_MIN,
	       "IPv4 header is 20 bytes");

/* ICMP, RFC 792 */
#define WIRE_ICMP_ECHOREPLY	0
#define WIRE_ICMP_DEST_UNREACH	3
#define WIRE_ICMP_ECHO		8
#define WIRE_ICMP_TIME_EXCEEDED 11
#define WIRE_ICMP_PARAMPROB	12
#define WIRE_ICMP_NET_UNREACH	0
#define WIRE_ICMP_HOST_UNREACH	1
#define WIRE_ICMP_PROT_UNREACH	2
#define WIRE_ICMP_PORT_UNREACH	3
#define WIRE_ICMP_FRAG_NEEDED	4
#define WIRE_ICMP_EXC_TTL	0
#define WIRE_ICMP_EXC_FRAGTIME	1

/** struct wire_icmp - ICMP header: type, code, checksum, 4 type bytes */
struct wire_icmp {
	uint8_t type;
	uint8_t code;
	be16_t csum;
	union {
		struct {
			be16_t id;
			be16_t seq;
		} echo;
		struct {
			be16_t unused;
			be16_t mtu; /* RFC 1191 section 4 */
		} frag;
		uint8_t raw[4];
	} un;
} __attribute__((packed));
_Static_assert(sizeof(struct wire_icmp) == 8, "ICMP header is 8 bytes");

/** struct wire_udp - UDP header, RFC 768 */
struct wire_udp {
	be16_t sport;
	be16_t dport;
	be16_t len;
	be16_t csum;
} __attribute__((packed));
_Static_assert(sizeof(struct wire_udp) == 8, "UDP header is 8 bytes");

/**
 * wire_csum_add() - add bytes to an unfolded one's complement sum
 * @p:		bytes
 * @n:		how many; only the last call of a chain may pass an odd count
 * @sum:	sum so far
 *
 * The bytes are taken as big-endian 16-bit words (RFC 1071 section 2): the
 * sum is a plain integer, independent of host byte order. 64-bit
 * accumulation cannot overflow for anything shorter than 2^48 bytes.
 *
 * Return: the new unfolded sum
 */
static inline uint64_t wire_csum_add(const void *p, size_t n, uint64_t sum)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (n & 1)
		sum += (uint32_t)b[n - 1] << 8; /* padded with a zero byte */
	return sum;
}

/**
 * wire_csum_fold() - fold an unfolded sum to 16 bits (end-around carry)
 * @sum:	unfolded sum
 *
 * Return: the folded sum, not complemented
 */
static inline uint16_t wire_csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/**
 * wire_csum() - checksum field value for an unfolded sum
 * @sum:	unfolded sum over everything covered, checksum field as zero
 *
 * Return: the one's complement of the folded sum, in network order
 */
static inline be16_t wire_csum(uint64_t sum)
{
	return wire_be16((uint16_t)~wire_csum_fold(sum));
}

/**
 * wire_csum_ok() - check a received checksum
 * @sum:	unfolded sum over everything covered, checksum field included
 *
 * Return: true when the folded sum is all ones (RFC 1071 section 1)
 */
static inline bool wire_csum_ok(uint64_t sum)
{
	return wire_csum_fold(sum) == 0xffff;
}

/**
 * wire_csum_pseudo4() - sum of the IPv4 pseudo-header (RFC 768, RFC 9293)
 * @saddr:	source address
 * @daddr:	destination address
 * @proto:	protocol number
 * @len:	transport length (header and data)
 *
 * Return: unfolded sum
 */
static inline uint64_t wire_csum_pseudo4(be32_t saddr, be32_t daddr,
					 uint8_t proto, uint16_t len)
{
	uint32_t s = wire_h32(saddr), d = wire_h32(daddr);

	return (uint64_t)(s >> 16) + (s & 0xffff) + (d >> 16) + (d & 0xffff) +
	       proto + len;
}

/**
 * wire_csum_update16() - update a checksum after one 16-bit word changed
 * @csum:	checksum field as it is
 * @old:	the word's old value (host order)
 * @new:	the word's new value (host order)
 *
 * RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), which, unlike eqn. 2 of RFC
 * 1141, never produces 0x0000 from a sum that is not all zero.
 *
 * Return: the new checksum field
 */
static inline be16_t wire_csum_update16(be16_t csum, uint16_t old, uint16_t new)
{
	uint64_t sum = (uint16_t)~wire_h16(csum);

	sum += (uint16_t)~old;
	sum += new;
	return wire_be16((uint16_t)~wire_csum_fold(sum));
}

/**
 * wire_csum_update32() - update a checksum after a 32-bit field changed
 * @csum:	checksum field as it is
 * @old:	old value
 * @new:	new value
 *
 * Return: the new checksum field
 */
static inline be16_t wire_csum_update32(be16_t csum, be32_t old, be32_t new)
{
	uint32_t o = wire_h32(old), n = wire_h32(new);

	csum = wire_csum_update16(csum, (uint16_t)(o >> 16),
				  (uint16_t)(n >> 16));
	return wire_csum_update16(csum, (uint16_t)o, (uint16_t)n);
}

/**
 * wire_ip4_is_multicast() - class D address (224.0.0.0/4)
 * @a:	address
 *
 * Return: true when multicast
 */
static inline bool wire_ip4_is_multicast(be32_t a)
{
	return (wire_h32(a) & 0xf0000000u) == 0xe0000000u;
}

/**
 * wire_ip4_is_bcast() - limited broadcast 255.255.255.255
 * @a:	address
 *
 * Return: true when limited broadcast
 */
static inline bool wire_ip4_is_bcast(be32_t a)
{
	return a.be == 0xffffffffu;
}

/**
 * wire_ip4_is_loopback() - loopback address (127.0.0.0/8), which "MUST
 * NOT appear outside a host" (RFC 1122 3.2.1.3)
 * @a:	address
 *
 * Return: true when loopback
 */
static inline bool wire_ip4_is_loopback(be32_t a)
{
	return wire_h32(a) >> 24 == 127;
}

/**
 * wire_ip4_is_this_net() - "this network" (0.0.0.0/8, RFC 1122 3.2.1.3):
 * only ever a source, of a host that does not know its address yet
 * @a:	address
 *
 * Return: true when in 0.0.0.0/8
 */
static inline bool wire_ip4_is_this_net(be32_t a)
{
	return wire_h32(a) >> 24 == 0;
}

#endif /* VSTACK_WIRE_H */
