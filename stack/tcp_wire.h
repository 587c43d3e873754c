/* SPDX-License-Identifier: MIT */
/*
 * tcp_wire.h - TCP header and options as they are on the wire
 *
 * Multi-byte header fields have their own network-order types
 * (tcp_be16_t, tcp_be32_t): assigning one to a host integer, or the other
 * way round, does not compile, so every conversion is an explicit
 * tcp_ntoh16()/tcp_hton32() call.
 *
 * A parsed segment (struct tcp_seg) holds host-order values only; it is
 * what TCP input takes and what TCP output hands to its caller.
 * tcp_wire_parse() and tcp_wire_build() convert between the two and are
 * bounds-checked: a header or an option that lies about its length is
 * refused, never read past (RFC 9293 3.1, 3.2; RFC 7323; RFC 2018).
 */
#ifndef VSTACK_STACK_TCP_WIRE_H
#define VSTACK_STACK_TCP_WIRE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	uint16_t be;
} tcp_be16_t;
typedef struct {
	uint32_t be;
} tcp_be32_t;

/**
 * tcp_hton16() - host to network order, 16 bits
 * @v:	host value
 *
 * Return: the network-order value
 */
static inline tcp_be16_t tcp_hton16(uint16_t v)
{
	tcp_be16_t r = {__builtin_bswap16(v)};

#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	r.be = v;
#endif
	return r;
}

/**
 * tcp_ntoh16() - network to host order, 16 bits
 * @v:	network value
 *
 * Return: the host-order value
 */
static inline uint16_t tcp_ntoh16(tcp_be16_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return v.be;
#else
	return __builtin_bswap16(v.be);
#endif
}

/**
 * tcp_hton32() - host to network order, 32 bits
 * @v:	host value
 *
 * Return: the network-order value
 */
static inline tcp_be32_t tcp_hton32(uint32_t v)
{
	tcp_be32_t r = {__builtin_bswap32(v)};

#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	r.be = v;
#endif
	return r;
}

/**
 * tcp_ntoh32() - network to host order, 32 bits
 * @v:	network value
 *
 * Return: the host-order value
 */
static inline uint32_t tcp_ntoh32(tcp_be32_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return v.be;
#else
	return __builtin_bswap32(v.be);
#endif
}

/**
 * struct tcp_hdr - the fixed TCP header (RFC 9293 3.1)
 * @sport:	source port
 * @dport:	destination port
 * @seq:	sequence number
 * @ack:	acknowledgment number
 * @off:	data offset in 32-bit words, upper four bits
 * @flags:	control bits (TCP_F_*)
 * @win:	window, unscaled
 * @csum:	checksum (the IP layer's business: it needs the pseudo-header)
 * @urp:	urgent pointer (ignored: RFC 9293 3.8.5 lets new code not use it)
 */
struct tcp_hdr {
	tcp_be16_t sport;
	tcp_be16_t dport;
	tcp_be32_t seq;
	tcp_be32_t ack;
	uint8_t off;
	uint8_t flags;
	tcp_be16_t win;
	tcp_be16_t csum;
	tcp_be16_t urp;
};
_Static_assert(sizeof(struct tcp_hdr) == 20, "TCP header is 20 bytes");

#define TCP_F_FIN 0x01
#define TCP_F_SYN 0x02
#define TCP_F_RST 0x04
#define TCP_F_PSH 0x08
#define TCP_F_ACK 0x10
#define TCP_F_URG 0x20
#define TCP_F_ECE 0x40
#define TCP_F_CWR 0x80

#define TCP_HDR_LEN	20
#define TCP_HDR_MAX	60
#define TCP_OPT_MAX	40

/* Option kinds (IANA; RFC 9293 3.2, RFC 7323, RFC 2018) */
#define TCP_OPT_EOL	 0
#define TCP_OPT_NOP	 1
#define TCP_OPT_MSS	 2
#define TCP_OPT_WS	 3
#define TCP_OPT_SACKOK	 4
#define TCP_OPT_SACK	 5
#define TCP_OPT_TS	 8

/* Which options a struct tcp_opts carries */
#define TCP_O_MSS	0x01
#define TCP_O_WS	0x02
#define TCP_O_SACKOK	0x04
#define TCP_O_SACK	0x08
#define TCP_O_TS	0x10

#define TCP_SACK_BLOCKS_MAX 4	/* 2 + 4 * 8 = 34 <= 40 (RFC 2018 3) */
#define TCP_WS_MAX	    14	/* RFC 7323 2.3 */

/**
 * struct tcp_sack_block - one SACK block, host order
 * @start:	first sequence number of the block
 * @end:	one past the last
 */
struct tcp_sack_block {
	uint32_t start;
	uint32_t end;
};

/**
 * struct tcp_opts - the options TCP understands, host order
 * @has:	TCP_O_* bits of the options present
 * @ws:		window shift (TCP_O_WS), clamped to TCP_WS_MAX
 * @nsack:	SACK blocks in @sack (TCP_O_SACK)
 * @mss:	maximum segment size (TCP_O_MSS)
 * @tsval:	timestamp value (TCP_O_TS)
 * @tsecr:	timestamp echo reply (TCP_O_TS)
 * @sack:	SACK blocks
 */
struct tcp_opts {
	uint8_t has;
	uint8_t ws;
	uint8_t nsack;
	uint16_t mss;
	uint32_t tsval;
	uint32_t tsecr;
	struct tcp_sack_block sack[TCP_SACK_BLOCKS_MAX];
};

/**
 * struct tcp_iov - a piece of payload
 * @base:	first byte
 * @len:	bytes
 */
struct tcp_iov {
	const uint8_t *base;
	size_t len;
};

/**
 * struct tcp_seg - a segment, parsed or to be built, host order
 * @saddr:	IPv4 source address (host order; TCP only compares it)
 * @daddr:	IPv4 destination address
 * @sport:	source port
 * @dport:	destination port
 * @seq:	sequence number
 * @ack:	acknowledgment number
 * @flags:	TCP_F_* bits
 * @win:	window field as on the wire (not scaled)
 * @opts:	options
 * @len:	payload bytes, @data[0].len + @data[1].len
 * @data:	payload, in up to two pieces (a ring buffer wraps)
 */
struct tcp_seg {
	uint32_t saddr;
	uint32_t daddr;
	uint16_t sport;
	uint16_t dport;
	uint32_t seq;
	uint32_t ack;
	uint8_t flags;
	uint16_t win;
	struct tcp_opts opts;
	uint32_t len;
	struct tcp_iov data[2];
};

int tcp_wire_opts_parse(const uint8_t *p, size_t len, struct tcp_opts *o);
size_t tcp_wire_opts_len(const struct tcp_opts *o);
size_t tcp_wire_opts_write(uint8_t *p, size_t cap, const struct tcp_opts *o);
int tcp_wire_parse(const uint8_t *buf, size_t len, struct tcp_seg *seg);
size_t tcp_wire_build(uint8_t *buf, size_t cap, const struct tcp_seg *seg);
uint16_t tcp_wire_csum4(uint32_t saddr, uint32_t daddr, const uint8_t *buf,
			size_t len);

#endif /* VSTACK_STACK_TCP_WIRE_H */
