/* SPDX-License-Identifier: MIT */
/*
 * stack_harness.h - a test endpoint for the stack/ suites: an allocator
 * that counts every buffer, an emit hook that keeps what was sent, frame
 * builders with a reference checksum, and the checks the suites share.
 *
 * Header-only: each test program includes it once, after netif.h.
 */
#ifndef VSTACK_TEST_STACK_HARNESS_H
#define VSTACK_TEST_STACK_HARNESS_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "frame.h"
#include "netif.h"

_Static_assert(NETIF_VNET_HDR_LEN == VNET_HDR_LEN,
	       "stack and vnet agree on the virtio-net header");

/*
 * Test harness (the same in every test_stack_*.c: test/lib is not ours to
 * change). Buffers come from malloc() and are counted: h.live must be 0 at
 * the end of every test. Emitted frames are kept until h_drain().
 */
#define H_MAX_OUT 512

static const uint8_t H_MAC[6]
	__attribute__((unused)) = {0x02, 0, 0, 0, 0, 0x01}; /* endpoint */
static const uint8_t PEER_MAC[6]
	__attribute__((unused)) = {0x02, 0, 0, 0, 0, 0x09}; /* 10.0.0.9 */
static const uint8_t GW_MAC[6]
	__attribute__((unused)) = {0x02, 0, 0, 0, 0, 0x0a}; /* 10.0.0.1 */
static const uint8_t BCAST_MAC[6]
	__attribute__((unused)) = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/**
 * struct h_state - what the hooks saw
 * @live:	buffers handed out and not yet returned
 * @fail:	make alloc fail
 * @fail_at:	make alloc fail once @nalloc reaches it (0: never)
 * @nalloc:	allocations that succeeded
 * @nout:	frames emitted and not drained
 * @out:	those frames
 * @out_len:	their lengths
 * @pmtu_n:	pmtu hook calls
 * @pmtu_dst:	last pmtu destination
 * @pmtu_mtu:	last pmtu value
 * @unreach_n:	unreach hook calls
 * @unreach_dst: last unreach destination
 * @unreach_err: last unreach error
 * @proto_n:	proto_input hook calls
 * @proto_take:	proto_input takes the datagram
 */
static struct h_state {
	long live;
	bool fail;
	unsigned fail_at;
	unsigned nalloc;
	unsigned nout;
	uint8_t *out[H_MAX_OUT];
	size_t out_len[H_MAX_OUT];
	unsigned pmtu_n;
	be32_t pmtu_dst;
	uint16_t pmtu_mtu;
	unsigned unreach_n;
	be32_t unreach_dst;
	int unreach_err;
	unsigned proto_n;
	bool proto_take;
} h;

static struct netif ni;

/**
 * h_alloc() - counted malloc
 * @ctx:	unused
 * @size:	bytes
 *
 * Return: buffer or NULL when h.fail
 */
static inline uint8_t *h_alloc(void *ctx, size_t size)
{
	uint8_t *b;

	(void)ctx;
	CU_ASSERT(size <= NETIF_BUF_MAX);
	if (h.fail || (h.fail_at && h.nalloc >= h.fail_at))
		return NULL;
	h.nalloc++;
	b = malloc(size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	memset(b, 0xa5, size);
	h.live++;
	return b;
}

/**
 * h_free() - counted free
 * @ctx:	unused
 * @b:		buffer
 */
static inline void h_free(void *ctx, uint8_t *b)
{
	(void)ctx;
	CU_ASSERT_PTR_NOT_NULL(b);
	h.live--;
	free(b);
}

/**
 * h_emit() - keep an emitted frame
 * @ctx:	unused
 * @b:		frame
 * @len:	its length
 */
static inline void h_emit(void *ctx, uint8_t *b, size_t len)
{
	(void)ctx;
	CU_ASSERT_FATAL(h.nout < H_MAX_OUT);
	h.out[h.nout] = b;
	h.out_len[h.nout] = len;
	h.nout++;
}

/**
 * h_pmtu() - record a path MTU hint
 * @ctx:	unused
 * @dst:	destination
 * @mtu:	new MTU
 * @q:		quote
 * @qlen:	its length
 */
static inline void h_pmtu(void *ctx, be32_t dst, uint16_t mtu, const uint8_t *q,
			  size_t qlen)
{
	(void)ctx;
	CU_ASSERT(qlen >= 20 && q != NULL);
	h.pmtu_n++;
	h.pmtu_dst = dst;
	h.pmtu_mtu = mtu;
}

/**
 * h_unreach() - record a destination unreachable for TCP
 * @ctx:	unused
 * @dst:	destination
 * @err:	its errno
 * @q:		quote
 * @qlen:	its length
 */
static inline void h_unreach(void *ctx, be32_t dst, int err, const uint8_t *q,
			     size_t qlen)
{
	(void)ctx;
	CU_ASSERT(qlen >= 20 && q != NULL);
	h.unreach_n++;
	h.unreach_dst = dst;
	h.unreach_err = err;
}

/**
 * h_proto() - proto_input hook: takes the datagram when h.proto_take
 * @ctx:	endpoint
 * @rx:		datagram
 * @now:	time
 *
 * Return: h.proto_take
 */
static inline bool h_proto(void *ctx, struct ipv4_rx *rx, uint64_t now)
{
	(void)now;
	h.proto_n++;
	if (!h.proto_take)
		return false;
	h_free(ctx, rx->buf);
	return true;
}

static const struct netif_ops h_ops = {
	.alloc = h_alloc,
	.free = h_free,
	.emit = h_emit,
	.pmtu = h_pmtu,
	.unreach = h_unreach,
	.proto_input = h_proto,
};

/**
 * h_drain() - forget emitted frames, returning their buffers
 */
static inline void h_drain(void)
{
	unsigned i;

	for (i = 0; i < h.nout; i++)
		h_free(NULL, h.out[i]);
	h.nout = 0;
}

/**
 * ip4() - address helper
 * @d:	last byte of 10.0.0.x
 *
 * Return: 10.0.0.@d
 */
static inline be32_t ip4(uint8_t d)
{
	return wire_ip4(10, 0, 0, d);
}

/**
 * h_setup() - endpoint 10.0.0.2/24 via 10.0.0.1, MTU 1500, up at t=0,
 * its announcements done
 */
static inline void h_setup(void)
{
	struct netif_config c = {.prefix_len = 24, .mtu = 1500, .seed = 42};

	memset(&h, 0, sizeof(h));
	memcpy(c.mac, H_MAC, 6);
	c.addr = ip4(2);
	c.gw = ip4(1);
	CU_ASSERT_EQUAL_FATAL(netif_init(&ni, &c, &h_ops, &ni), 0);
	netif_up(&ni, 0);
	h_drain();
	/* the second announcement would interleave with what tests check;
	 * announcements have their own test */
	ni.arp.announce_left = 0;
}

/**
 * h_teardown() - close the endpoint and check nothing leaked
 */
static inline void h_teardown(void)
{
	netif_close(&ni);
	h_drain();
	CU_ASSERT_EQUAL(h.live, 0);
}

/**
 * put16() - big-endian store, independent of wire.h
 * @p:	destination
 * @v:	value
 */
static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/**
 * get16() - big-endian load, independent of wire.h
 * @p:	source
 *
 * Return: value
 */
static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/**
 * ref_csum() - reference internet checksum, independent of wire.h
 * @p:		bytes
 * @n:		length
 * @s:		initial sum
 *
 * Return: folded one's complement sum (0xffff over a correct message)
 */
static inline uint16_t ref_csum(const uint8_t *p, size_t n, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/**
 * h_in() - feed bytes to the endpoint in a counted buffer
 * @f:		vnet header + frame
 * @len:	length
 * @now:	time
 */
static inline void h_in(const uint8_t *f, size_t len, uint64_t now)
{
	uint8_t *b = h_alloc(NULL, len ? len : 1);

	memcpy(b, f, len);
	netif_input(&ni, b, len, now);
}

/**
 * mk_eth() - vnet header (zero) and Ethernet header
 * @b:		buffer
 * @dst:	destination MAC
 * @src:	source MAC
 * @type:	ethertype
 */
static inline void mk_eth(uint8_t *b, const uint8_t *dst, const uint8_t *src,
			  uint16_t type)
{
	memset(b, 0, 12);
	memcpy(b + 12, dst, 6);
	memcpy(b + 18, src, 6);
	put16(b + 24, type);
}

/**
 * mk_arp() - a full ARP frame
 * @b:		buffer (at least 54 bytes)
 * @op:		operation
 * @eth_dst:	Ethernet destination
 * @sha:	sender MAC
 * @spa:	sender address
 * @tha:	target MAC
 * @tpa:	target address
 *
 * Return: frame length
 */
static inline size_t mk_arp(uint8_t *b, uint16_t op, const uint8_t *eth_dst,
			    const uint8_t *sha, be32_t spa, const uint8_t *tha,
			    be32_t tpa)
{
	uint8_t *a = b + 26;

	mk_eth(b, eth_dst, sha, 0x0806);
	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, sha, 6);
	memcpy(a + 14, &spa, 4);
	memcpy(a + 18, tha, 6);
	memcpy(a + 24, &tpa, 4);
	return 54;
}

/**
 * h_learn() - teach the endpoint a neighbour with an ARP request to it
 * @mac:	neighbour MAC
 * @ip:		neighbour address
 * @now:	time
 */
static inline void h_learn(const uint8_t *mac, be32_t ip, uint64_t now)
{
	static const uint8_t zero[6];
	uint8_t f[64];

	h_in(f, mk_arp(f, 1, BCAST_MAC, mac, ip, zero, ip4(2)), now);
	h_drain(); /* the reply */
}

/**
 * mk_ip() - IPv4 header with a correct checksum, after mk_eth()
 * @b:		buffer (frame start)
 * @proto:	protocol
 * @src:	source
 * @dst:	destination
 * @id:		identification
 * @frag:	flags and offset field
 * @plen:	payload length
 *
 * Return: offset of the payload in @b
 */
static inline size_t mk_ip(uint8_t *b, uint8_t proto, be32_t src, be32_t dst,
			   uint16_t id, uint16_t frag, size_t plen)
{
	uint8_t *ip = b + 26;

	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, (uint16_t)(20 + plen));
	put16(ip + 4, id);
	put16(ip + 6, frag);
	ip[8] = 64;
	ip[9] = proto;
	put16(ip + 10, 0);
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	put16(ip + 10, (uint16_t)~ref_csum(ip, 20, 0));
	return 46;
}

/**
 * pseudo() - pseudo-header sum for the datagram in a frame
 * @ip:		IPv4 header
 * @l4len:	transport length
 *
 * Return: unfolded sum
 */
static inline uint32_t pseudo(const uint8_t *ip, size_t l4len)
{
	return ref_csum(ip + 12, 8, 0) + ip[9] + (uint32_t)l4len;
}

/**
 * mk_udp() - UDP datagram to the endpoint, payload bytes i*7+1
 * @b:		buffer
 * @src:	source address
 * @sport:	source port
 * @dport:	destination port
 * @plen:	payload length
 * @csum:	compute the checksum (else leave 0)
 *
 * Return: frame length
 */
static inline size_t mk_udp(uint8_t *b, be32_t src, uint16_t sport,
			    uint16_t dport, size_t plen, bool csum)
{
	size_t off, i;
	uint8_t *u;

	mk_eth(b, H_MAC, PEER_MAC, 0x0800);
	off = mk_ip(b, 17, src, ip4(2), 0x4242, 0, 8 + plen);
	u = b + off;
	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, (uint16_t)(8 + plen));
	put16(u + 6, 0);
	for (i = 0; i < plen; i++)
		u[8 + i] = (uint8_t)(i * 7 + 1);
	if (csum) {
		uint16_t c = (uint16_t)~ref_csum(u, 8 + plen,
						 pseudo(b + 26, 8 + plen));
		put16(u + 6, c ? c : 0xffff);
	}
	return off + 8 + plen;
}

/**
 * out_ok_ip() - frame i is an IPv4 frame from us to @mac with valid
 * header checksum and lengths
 * @i:		frame index
 * @mac:	expected destination MAC
 *
 * Return: its IPv4 header
 */
static inline const uint8_t *out_ok_ip(unsigned i, const uint8_t *mac)
{
	static const uint8_t zero[12];
	const uint8_t *f = h.out[i];

	CU_ASSERT_FATAL(i < h.nout);
	CU_ASSERT_FATAL(h.out_len[i] >= 46);
	CU_ASSERT(!memcmp(f, zero, 12));
	CU_ASSERT(!memcmp(f + 12, mac, 6));
	CU_ASSERT(!memcmp(f + 18, H_MAC, 6));
	CU_ASSERT_EQUAL(get16(f + 24), 0x0800);
	CU_ASSERT_EQUAL(f[26], 0x45);
	CU_ASSERT_EQUAL(get16(f + 28), h.out_len[i] - 26);
	CU_ASSERT_EQUAL(ref_csum(f + 26, 20, 0), 0xffff);
	CU_ASSERT(!memcmp(f + 26 + 12, (const uint8_t[]){10, 0, 0, 2}, 4));
	return f + 26;
}

#endif /* VSTACK_TEST_STACK_HARNESS_H */
