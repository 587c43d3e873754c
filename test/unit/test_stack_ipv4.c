// SPDX-License-Identifier: MIT
/*
 * test_stack_ipv4.c - CUnit suite for stack/ipv4.c and the checksum in
 * stack/wire.h: header validation (one counter per reason), reassembly in
 * order, reversed, interleaved, with duplicates, overlaps, bad fragments,
 * a missing last fragment and its timeout, the three memory bounds;
 * fragmentation on output checked byte by byte and by a second endpoint
 * reassembling it; routing; the protocol hook.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "frame.h"
#include "netif.h"

#include "../lib/cunit_run.h"

#include "../lib/stack_harness.h"

static uint8_t dgram[WIRE_IP4_LEN_MAX];
static uint8_t rbuf[WIRE_IP4_LEN_MAX];
static struct netif ni2;

/**
 * mk_dgram() - a UDP datagram 10.0.0.9:5000 -> 10.0.0.2:7777 in dgram[]
 * @plen:	payload length
 *
 * Return: datagram length (header included)
 */
static size_t mk_dgram(size_t plen)
{
	static const uint8_t addrs[8] = {10, 0, 0, 9, 10, 0, 0, 2};
	size_t i, n = 8 + plen;
	uint16_t c;

	put16(dgram, 5000);
	put16(dgram + 2, 7777);
	put16(dgram + 4, (uint16_t)n);
	put16(dgram + 6, 0);
	for (i = 0; i < plen; i++)
		dgram[8 + i] = (uint8_t)(i * 13 + 5 + (i >> 8));
	c = (uint16_t)~ref_csum(dgram, n,
				ref_csum(addrs, 8, 0) + 17 + (uint32_t)n);
	put16(dgram + 6, c ? c : 0xffff);
	return n;
}

/**
 * send_frag() - one fragment of dgram[] to the endpoint
 * @id:		identification
 * @off:	offset in bytes
 * @len:	length
 * @mf:		more fragments
 * @now:	time
 */
static void send_frag(uint16_t id, size_t off, size_t len, bool mf,
		      uint64_t now)
{
	uint8_t *f = malloc(46 + len);

	mk_eth(f, H_MAC, PEER_MAC, 0x0800);
	mk_ip(f, 17, ip4(9), ip4(2), id,
	      (uint16_t)((mf ? 0x2000 : 0) | off / 8), len);
	memcpy(f + 46, dgram + off, len);
	h_in(f, 46 + len, now);
	free(f);
}

/**
 * expect_dgram() - the socket holds exactly dgram[]'s payload, once
 * @s:		socket
 * @plen:	payload length
 */
static void expect_dgram(int s, size_t plen)
{
	uint16_t sport = 0;
	be32_t src = {0};
	ssize_t n;

	n = udp_recvfrom(&ni, s, rbuf, sizeof(rbuf), &src, &sport);
	CU_ASSERT_EQUAL_FATAL(n, (ssize_t)plen);
	CU_ASSERT(!memcmp(rbuf, dgram + 8, plen));
	CU_ASSERT(wire_eq32(src, ip4(9)));
	CU_ASSERT_EQUAL(sport, 5000);
	CU_ASSERT_EQUAL(udp_recvfrom(&ni, s, rbuf, sizeof(rbuf), NULL, NULL),
			-EAGAIN);
}

/**
 * test_wire() - byte order types and the checksum against references
 */
static void test_wire(void)
{
	static const uint8_t rfc1071[8] = {0x00, 0x01, 0xf2, 0x03,
					   0xf4, 0xf5, 0xf6, 0xf7};
	be16_t v16 = wire_be16(0x1234), c, c2;
	be32_t v32 = wire_be32(0x0a000102);
	uint8_t b[301];
	unsigned i, n;

	CU_ASSERT(!memcmp(&v16, (const uint8_t[]){0x12, 0x34}, 2));
	CU_ASSERT(!memcmp(&v32, (const uint8_t[]){10, 0, 1, 2}, 4));
	CU_ASSERT_EQUAL(wire_h16(v16), 0x1234);
	CU_ASSERT_EQUAL(wire_h32(v32), 0x0a000102);
	CU_ASSERT(wire_eq32(v32, wire_ip4(10, 0, 1, 2)));
	/* RFC 1071 section 3 example: sum ddf2 */
	CU_ASSERT_EQUAL(wire_csum_fold(wire_csum_add(rfc1071, 8, 0)), 0xddf2);
	CU_ASSERT_EQUAL(wire_h16(wire_csum(wire_csum_add(rfc1071, 8, 0))),
			(uint16_t)~0xddf2);

	for (i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(i * 151 + 7);
	for (n = 0; n <= sizeof(b); n += 7)
		CU_ASSERT_EQUAL(wire_csum_fold(wire_csum_add(b, n, 0)),
				ref_csum(b, n, 0));
	/* chaining at even boundaries equals one pass */
	CU_ASSERT_EQUAL(wire_csum_fold(wire_csum_add(b + 100, 201,
						     wire_csum_add(b, 100, 0))),
			ref_csum(b, 301, 0));

	/* RFC 1624: changing any one word (the checksum at bytes 40-41
	 * excepted) and updating incrementally gives a valid checksum, also
	 * for the edge values 0x0000 and 0xffff */
	for (i = 0; i < 90; i++) {
		unsigned w = i % 30;
		uint16_t old, nw = i % 3 == 0	? 0
				   : i % 3 == 1 ? 0xffff
						: (uint16_t)(i * 4099 + 1);

		if (w == 20)
			continue;
		put16(b + 40, 0);
		c = wire_csum(wire_csum_add(b, 60, 0));
		put16(b + 40, wire_h16(c));
		CU_ASSERT_EQUAL(ref_csum(b, 60, 0), 0xffff);
		old = get16(b + 2 * w);
		put16(b + 2 * w, nw);
		c2 = wire_csum_update16(c, old, nw);
		put16(b + 40, wire_h16(c2));
		CU_ASSERT_EQUAL(ref_csum(b, 60, 0), 0xffff);
	}
	/* 32-bit field */
	put16(b + 40, 0);
	c = wire_csum(wire_csum_add(b, 60, 0));
	memcpy(&v32, b + 12, 4);
	c2 = wire_csum_update32(c, v32, wire_ip4(192, 168, 7, 9));
	memcpy(b + 12, (const uint8_t[]){192, 168, 7, 9}, 4);
	put16(b + 40, wire_h16(c2));
	CU_ASSERT_EQUAL(ref_csum(b, 60, 0), 0xffff);
	CU_ASSERT_STRING_EQUAL(ipv4_stat_name(IPV4_STAT_FRAG_OVERLAP),
			       "frag_overlap");
	CU_ASSERT_STRING_EQUAL(ipv4_stat_name(IPV4_STAT__COUNT), "unknown");
}

/**
 * test_bad_headers() - each malformed header dropped with its counter
 */
static void test_bad_headers(void)
{
	uint8_t f[200];
	size_t n;
	int s, i;

	h_setup();
	s = udp_bind(&ni, 7777);
	for (i = 0; i < 12; i++) {
		n = mk_udp(f, ip4(9), 5000, 7777, 20, true);
		switch (i) {
		case 0:
			n = 26 + 19;
			break; /* short */
		case 1:
			f[26] = 0x65;
			break; /* version 6 */
		case 2:
			f[26] = 0x44;
			break; /* IHL 4 */
		case 3:
			f[26] = 0x4f;
			n = 26 + 40;
			break; /* IHL > packet */
		case 4:
			put16(f + 28, (uint16_t)(n - 26 + 1));
			break; /* long */
		case 5:
			put16(f + 28, 19);
			break; /* < IHL */
		case 6:
			f[26 + 10] ^= 1;
			break; /* checksum */
		case 7:
			n = mk_udp(f, wire_ip4(224, 0, 0, 1), 5000, 7777, 20,
				   true);
			break; /* mcast src */
		case 8:
			n = mk_udp(f, wire_ip4(10, 0, 0, 255), 5000, 7777, 20,
				   true);
			break; /* bcast src */
		case 9:
			n = mk_udp(f, ip4(2), 5000, 7777, 20, true);
			break;
		case 10: /* not our address */
			memcpy(f + 26 + 16, (const uint8_t[]){10, 0, 0, 3}, 4);
			put16(f + 36, 0);
			put16(f + 36, (uint16_t)~ref_csum(f + 26, 20, 0));
			break;
		case 11:
			memcpy(f + 12, BCAST_MAC, 6);
			break; /* unicast in
				  bcast frame */
		}
		/* version/IHL/length cases keep a checksum that would match */
		if (i >= 1 && i <= 5) {
			put16(f + 36, 0);
			put16(f + 36, (uint16_t)~ref_csum(
					      f + 26,
					      (f[26] & 0xf) * 4u > 20 && i != 3
						      ? (f[26] & 0xf) * 4u
						      : 20,
					      0));
		}
		h_in(f, n, 1);
	}
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_RX], 12);
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_RX_SHORT], 1);
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_RX_VERSION], 1);
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_RX_IHL], 2);
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_RX_LEN], 2);
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_RX_CSUM], 1);
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_RX_SADDR], 3);
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_RX_NOT_OURS], 2);
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_RX_DELIVERED], 0);
	CU_ASSERT_EQUAL(udp_recvfrom(&ni, s, rbuf, 100, NULL, NULL), -EAGAIN);
	CU_ASSERT_EQUAL(h.nout, 0);
	h_teardown();
}

/**
 * test_link_drops() - GSO frames, VLAN tags, foreign MACs
 */
static void test_link_drops(void)
{
	static const uint8_t other[6] = {0x02, 0, 0, 0, 0, 0x55};
	uint8_t f[200];
	size_t n;

	h_setup();
	n = mk_udp(f, ip4(9), 5000, 7777, 20, true);
	f[1] = 3; /* gso_type UDP (UFO): never passed to an endpoint */
	h_in(f, n, 1);
	n = mk_udp(f, ip4(9), 5000, 7777, 20, true);
	put16(f + 24, 0x8100);
	h_in(f, n, 1);
	n = mk_udp(f, ip4(9), 5000, 7777, 20, true);
	memcpy(f + 12, other, 6);
	h_in(f, n, 1);
	n = mk_udp(f, ip4(9), 5000, 7777, 20, true);
	f[12] = 0x01; /* multicast */
	h_in(f, n, 1);
	CU_ASSERT_EQUAL(ni.stats[NETIF_STAT_RX_GSO], 1);
	CU_ASSERT_EQUAL(ni.stats[NETIF_STAT_RX_ETHERTYPE], 1);
	CU_ASSERT_EQUAL(ni.stats[NETIF_STAT_RX_DST_MAC], 2);
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_RX], 0);
	h_teardown();
}

/**
 * test_udp_shared_port() - SO_REUSEADDR sockets share a port; a datagram
 * goes to the socket connected to its sender, else to an unconnected one,
 * never to one connected elsewhere
 */
static void test_udp_shared_port(void)
{
	uint8_t f[200];
	size_t n;
	int s1, s2;

	h_setup();
	s1 = udp_bind_shared(&ni, 7777);
	CU_ASSERT_FATAL(s1 >= 0);
	CU_ASSERT_EQUAL(udp_bind(&ni, 7777), -EADDRINUSE);
	udp_set_peer(&ni, s1, ip4(9), 5000);
	/* Only a connected socket: a stranger finds no port */
	n = mk_udp(f, ip4(9), 5001, 7777, 20, true);
	h_in(f, n, 1);
	CU_ASSERT_EQUAL(udp_recvfrom(&ni, s1, rbuf, 100, NULL, NULL), -EAGAIN);
	s2 = udp_bind_shared(&ni, 7777);
	CU_ASSERT_FATAL(s2 >= 0);
	n = mk_udp(f, ip4(9), 5000, 7777, 20, true);
	h_in(f, n, 1);
	n = mk_udp(f, ip4(9), 5001, 7777, 21, true);
	h_in(f, n, 1);
	CU_ASSERT_EQUAL(udp_recvfrom(&ni, s1, rbuf, 100, NULL, NULL), 20);
	CU_ASSERT_EQUAL(udp_recvfrom(&ni, s2, rbuf, 100, NULL, NULL), 21);
	CU_ASSERT_EQUAL(udp_recvfrom(&ni, s1, rbuf, 100, NULL, NULL), -EAGAIN);
	/* A socket bound without the option keeps its port to itself */
	CU_ASSERT(udp_bind(&ni, 7778) >= 0);
	CU_ASSERT_EQUAL(udp_bind_shared(&ni, 7778), -EADDRINUSE);
	h_teardown();
}

/**
 * test_accept_variants() - options, padding, TTL 1 and 0, broadcasts
 */
static void test_accept_variants(void)
{
	uint8_t f[200], g[200];
	size_t n;
	int s;

	h_setup();
	s = udp_bind(&ni, 7777);
	mk_dgram(20);

	/* IHL 6: four option bytes (NOPs) between header and UDP */
	n = mk_udp(g, ip4(9), 5000, 7777, 20, true);
	memcpy(f, g, 46);
	memset(f + 46, 1, 4);
	memcpy(f + 50, g + 46, n - 46);
	f[26] = 0x46;
	put16(f + 28, (uint16_t)(n - 26 + 4));
	put16(f + 36, 0);
	put16(f + 36, (uint16_t)~ref_csum(f + 26, 24, 0));
	h_in(f, n + 4, 1);
	CU_ASSERT_EQUAL(udp_recvfrom(&ni, s, rbuf, 100, NULL, NULL), 20);

	/* Ethernet padding after the datagram */
	n = mk_udp(f, ip4(9), 5000, 7777, 2, true);
	memset(f + n, 0xee, 20);
	h_in(f, n + 20, 1);
	CU_ASSERT_EQUAL(udp_recvfrom(&ni, s, rbuf, 100, NULL, NULL), 2);

	/* TTL 1 and 0: RFC 1122 3.2.1.7, a host does not discard them */
	n = mk_udp(f, ip4(9), 5000, 7777, 3, true);
	f[26 + 8] = 1;
	put16(f + 36, 0);
	put16(f + 36, (uint16_t)~ref_csum(f + 26, 20, 0));
	h_in(f, n, 1);
	f[26 + 8] = 0;
	put16(f + 36, 0);
	put16(f + 36, (uint16_t)~ref_csum(f + 26, 20, 0));
	h_in(f, n, 1);
	CU_ASSERT_EQUAL(udp_recvfrom(&ni, s, rbuf, 100, NULL, NULL), 3);
	CU_ASSERT_EQUAL(udp_recvfrom(&ni, s, rbuf, 100, NULL, NULL), 3);

	/* limited and directed broadcast, link broadcast */
	n = mk_udp(f, ip4(9), 5000, 7777, 4, false);
	memcpy(f + 12, BCAST_MAC, 6);
	memset(f + 26 + 16, 0xff, 4);
	put16(f + 36, 0);
	put16(f + 36, (uint16_t)~ref_csum(f + 26, 20, 0));
	h_in(f, n, 1);
	memcpy(f + 26 + 16, (const uint8_t[]){10, 0, 0, 255}, 4);
	put16(f + 36, 0);
	put16(f + 36, (uint16_t)~ref_csum(f + 26, 20, 0));
	h_in(f, n, 1);
	CU_ASSERT_EQUAL(udp_recvfrom(&ni, s, rbuf, 100, NULL, NULL), 4);
	CU_ASSERT_EQUAL(udp_recvfrom(&ni, s, rbuf, 100, NULL, NULL), 4);
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_RX_DELIVERED], 6);
	h_teardown();
}

/**
 * test_martian_src() - RFC 1122 3.2.1.3: a loopback source (127/8) never
 * comes from a wire, and "this network" (0/8) only as the source of a
 * host that does not know its address yet, to the limited broadcast: the
 * rest is discarded, answered with nothing
 */
static void test_martian_src(void)
{
	static const uint8_t srcs[][4] = {
		{127, 0, 0, 1}, {127, 9, 8, 7}, {0, 0, 0, 0}, {0, 1, 2, 3}};
	uint8_t f[200];
	be32_t a;
	size_t n;
	unsigned i;
	int s;

	h_setup();
	s = udp_bind(&ni, 7777);
	for (i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
		memcpy(&a, srcs[i], 4);
		n = mk_udp(f, a, 5000, 7777, 20, true);
		h_in(f, n, 1);
		n = mk_udp(f, a, 5000, 7778, 20, true); /* no such port */
		h_in(f, n, 1);
	}
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_RX_SADDR], 8);
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_RX_DELIVERED], 0);
	CU_ASSERT_EQUAL(udp_recvfrom(&ni, s, rbuf, 100, NULL, NULL), -EAGAIN);
	CU_ASSERT_EQUAL(h.nout, 0);

	/* 0.0.0.0 to 255.255.255.255 (a DHCP client, RFC 2131 4.1) */
	n = mk_udp(f, wire_ip4(0, 0, 0, 0), 68, 7777, 4, false);
	memcpy(f + 12, BCAST_MAC, 6);
	memset(f + 26 + 16, 0xff, 4);
	put16(f + 36, 0);
	put16(f + 36, (uint16_t)~ref_csum(f + 26, 20, 0));
	h_in(f, n, 1);
	CU_ASSERT_EQUAL(udp_recvfrom(&ni, s, rbuf, 100, NULL, NULL), 4);
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_RX_SADDR], 8);
	h_teardown();
}

/**
 * test_reass_orders() - in order, reverse, middle first
 */
static void test_reass_orders(void)
{
	size_t n;
	int s;

	h_setup();
	s = udp_bind(&ni, 7777);
	n = mk_dgram(3000); /* 3008: 1480 + 1480 + 48 */

	send_frag(1, 0, 1480, true, 1);
	send_frag(1, 1480, 1480, true, 2);
	CU_ASSERT_EQUAL(udp_recvfrom(&ni, s, rbuf, 100, NULL, NULL), -EAGAIN);
	send_frag(1, 2960, n - 2960, false, 3);
	expect_dgram(s, 3000);

	send_frag(2, 2960, n - 2960, false, 4);
	send_frag(2, 1480, 1480, true, 5);
	send_frag(2, 0, 1480, true, 6);
	expect_dgram(s, 3000);

	send_frag(3, 1480, 1480, true, 7);
	send_frag(3, 0, 1480, true, 8);
	send_frag(3, 2960, n - 2960, false, 9);
	expect_dgram(s, 3000);

	/* many small fragments, interleaved with another datagram */
	n = mk_dgram(1000); /* 1008 = 126 * 8 */
	{
		size_t off;

		for (off = 0; off < n; off += 16) {
			send_frag(4, off, 16, off + 16 < n, 10);
			if (off == 64)
				send_frag(5, 0, 8, true, 10);
		}
	}
	expect_dgram(s, 1000);
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_REASS_OK], 4);
	CU_ASSERT_EQUAL(ni.ip.reass_bytes, 8); /* datagram 5 still held */
	h_teardown();
	CU_ASSERT_EQUAL(ni.ip.reass_bytes, 0);
}

/**
 * test_reass_dup_overlap() - exact duplicates ignored, overlaps discard
 */
static void test_reass_dup_overlap(void)
{
	size_t n;
	int s;

	h_setup();
	s = udp_bind(&ni, 7777);
	n = mk_dgram(3000);

	send_frag(1, 0, 1480, true, 1);
	send_frag(1, 0, 1480, true, 1);
	send_frag(1, 2960, n - 2960, false, 1);
	send_frag(1, 2960, n - 2960, false, 1);
	send_frag(1, 1480, 1480, true, 1);
	expect_dgram(s, 3000);
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_FRAG_DUP], 2);
	/* a late duplicate of a finished datagram starts a new one that
	 * never completes; it times out */
	send_frag(1, 1480, 1480, true, 2);
	CU_ASSERT_EQUAL(ni.ip.reass_bytes, 1480);
	netif_timer(&ni, 2 + IPV4_REASS_TIMEOUT_MS);
	CU_ASSERT_EQUAL(ni.ip.reass_bytes, 0);
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_FRAG_TIMEOUT], 1);

	/* overlap: second fragment starts 8 bytes early */
	send_frag(2, 0, 1480, true, 3);
	send_frag(2, 1472, 1480, true, 3);
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_FRAG_OVERLAP], 1);
	CU_ASSERT_EQUAL(ni.ip.reass_bytes, 0);
	/* the rest of it cannot resurrect the datagram */
	send_frag(2, 2960, n - 2960, false, 3);
	send_frag(2, 1480, 1480, true, 3);
	CU_ASSERT_EQUAL(udp_recvfrom(&ni, s, rbuf, 100, NULL, NULL), -EAGAIN);

	/* same offset, different length: an overlap too */
	send_frag(3, 0, 1480, true, 4);
	send_frag(3, 0, 1400, true, 4);
	/* one fragment inside another */
	send_frag(4, 0, 1480, true, 4);
	send_frag(4, 8, 16, true, 4);
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_FRAG_OVERLAP], 3);
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_REASS_OK], 1);
	h_teardown();
}

/**
 * test_reass_bad() - malformed fragments and contradictory ends
 */
static void test_reass_bad(void)
{
	uint8_t *f;
	size_t n;
	int s;

	h_setup();
	s = udp_bind(&ni, 7777);
	n = mk_dgram(3000);

	send_frag(1, 0, 100, true, 1); /* MF, not a multiple of 8 */
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_FRAG_BAD], 1);
	/* ends past 65535 - 20 ("ping of death") */
	f = calloc(1, 46 + 24);
	mk_eth(f, H_MAC, PEER_MAC, 0x0800);
	mk_ip(f, 17, ip4(9), ip4(2), 9, 8189, 24);
	h_in(f, 46 + 24, 1);
	free(f);
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_FRAG_BAD], 2);
	CU_ASSERT_EQUAL(ni.ip.reass_bytes, 0);

	/* a last fragment ending before data already held */
	send_frag(2, 1480, 1480, true, 1);
	send_frag(2, 8, 800, false, 1);
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_FRAG_BAD], 3);
	CU_ASSERT_EQUAL(ni.ip.reass_bytes, 0);
	/* two different last fragments */
	send_frag(3, 2960, n - 2960, false, 1);
	send_frag(3, 1480, 1480, false, 1);
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_FRAG_BAD], 4);
	/* data past the known end */
	send_frag(4, 1480, 8, false, 1);
	send_frag(4, 2000, 8, true, 1);
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_FRAG_BAD], 5);
	CU_ASSERT_EQUAL(ni.ip.reass_bytes, 0);
	CU_ASSERT_EQUAL(udp_recvfrom(&ni, s, rbuf, 100, NULL, NULL), -EAGAIN);
	h_teardown();
}

/**
 * test_reass_timeout() - missing last fragment: discarded after 30 s with
 * a time exceeded quoting fragment zero; none without fragment zero
 */
static void test_reass_timeout(void)
{
	const uint8_t *ip, *ic;
	size_t n;
	int s;

	h_setup();
	s = udp_bind(&ni, 7777);
	n = mk_dgram(3000);

	send_frag(1, 0, 1480, true, 1000);
	send_frag(1, 1480, 1480, true, 2000);
	netif_timer(&ni, 1000 + IPV4_REASS_TIMEOUT_MS - 1);
	CU_ASSERT_EQUAL(h.nout, 0);
	CU_ASSERT_EQUAL(ni.ip.reass_bytes, 2960);
	h_learn(PEER_MAC, ip4(9), IPV4_REASS_TIMEOUT_MS);
	netif_timer(&ni, 1000 + IPV4_REASS_TIMEOUT_MS);
	CU_ASSERT_EQUAL(ni.ip.reass_bytes, 0);
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_FRAG_TIMEOUT], 1);
	CU_ASSERT_EQUAL_FATAL(h.nout, 1);
	ip = out_ok_ip(0, PEER_MAC);
	CU_ASSERT_EQUAL(h.out_len[0], 26 + ICMP_ERR_MAX);
	CU_ASSERT_EQUAL(ip[9], 1);
	CU_ASSERT(!memcmp(ip + 16, (const uint8_t[]){10, 0, 0, 9}, 4));
	ic = ip + 20;
	CU_ASSERT_EQUAL(ic[0], 11);
	CU_ASSERT_EQUAL(ic[1], 1);
	CU_ASSERT_EQUAL(ref_csum(ic, ICMP_ERR_MAX - 20, 0), 0xffff);
	/* the quote: fragment zero's header and data */
	CU_ASSERT_EQUAL(ic[8], 0x45);
	CU_ASSERT_EQUAL(get16(ic + 8 + 2), 1500);
	CU_ASSERT_EQUAL(get16(ic + 8 + 6), 0x2000);
	CU_ASSERT_EQUAL(ic[8 + 9], 17);
	CU_ASSERT(!memcmp(ic + 8 + 12, (const uint8_t[]){10, 0, 0, 9}, 4));
	CU_ASSERT_EQUAL(ref_csum(ic + 8, 20, 0), 0xffff);
	CU_ASSERT(!memcmp(ic + 28, dgram, ICMP_ERR_MAX - 20 - 8 - 20));
	h_drain();

	/* without fragment zero: discarded silently */
	send_frag(2, 1480, 1480, true, 40000);
	send_frag(2, 2960, n - 2960, false, 40000);
	netif_timer(&ni, 40000 + IPV4_REASS_TIMEOUT_MS);
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_FRAG_TIMEOUT], 2);
	CU_ASSERT_EQUAL(h.nout, 0);
	CU_ASSERT_EQUAL(udp_recvfrom(&ni, s, rbuf, 100, NULL, NULL), -EAGAIN);
	h_teardown();
}

/**
 * test_reass_limits() - datagram slots, fragments per datagram, bytes,
 * no buffer
 */
static void test_reass_limits(void)
{
	uint8_t f[100];
	unsigned i, j;
	size_t n;
	int s;

	h_setup();
	s = udp_bind(&ni, 7777);
	n = mk_dgram(3000);
	for (i = 0; i < IPV4_REASS_MAX; i++)
		send_frag((uint16_t)(100 + i), 0, 1480, true, 1 + i);
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_FRAG_EVICTED], 0);
	/* a ninth datagram evicts the one that started first (id 100) */
	send_frag(99, 0, 1480, true, 20);
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_FRAG_EVICTED], 1);
	CU_ASSERT_EQUAL(h.live, IPV4_REASS_MAX);
	CU_ASSERT_EQUAL(ni.ip.reass_bytes, IPV4_REASS_MAX * 1480);
	/* the others are intact: 101 completes, and so does 99 */
	send_frag(101, 1480, 1480, true, 21);
	send_frag(101, 2960, n - 2960, false, 21);
	expect_dgram(s, 3000);
	send_frag(99, 2960, n - 2960, false, 22);
	send_frag(99, 1480, 1480, true, 22);
	expect_dgram(s, 3000);
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_FRAG_EVICTED], 1);
	/* 100's remaining pieces start over and never complete */
	send_frag(100, 1480, 1480, true, 23);
	send_frag(100, 2960, n - 2960, false, 23);
	CU_ASSERT_EQUAL(udp_recvfrom(&ni, s, rbuf, 100, NULL, NULL), -EAGAIN);
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_REASS_OK], 2);
	h_teardown();

	/* fragments per datagram: one too many discards the datagram */
	h_setup();
	for (i = 0; i <= IPV4_REASS_FRAGS; i++)
		send_frag(1, i * 16, 8, true, 1);
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_FRAG_FULL], 1);
	CU_ASSERT_EQUAL(ni.ip.reass_bytes, 0);
	CU_ASSERT_EQUAL(h.live, 0);
	h_teardown();

	/* bytes over all datagrams: going over the budget evicts the
	 * oldest datagram, never the one being added to */
	h_setup();
	mk_dgram(40000);
	for (i = 0; i < IPV4_REASS_MAX; i++)
		for (j = 0; j < 23; j++)
			send_frag((uint16_t)(200 + i), j * 1480, 1480, true,
				  1 + i);
	CU_ASSERT(ni.ip.reass_bytes <= IPV4_REASS_BYTES);
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_FRAG_EVICTED], 1);
	CU_ASSERT_EQUAL(ni.ip.reass_bytes, (IPV4_REASS_MAX - 1) * 23 * 1480);
	CU_ASSERT_EQUAL(ni.ip.reass[0].buf, NULL); /* id 200 went */
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_FRAG_FULL], 0);
	h_teardown();

	/* no buffer for a new datagram */
	h_setup();
	n = mk_udp(f, ip4(9), 5000, 7777, 8, true);
	put16(f + 26 + 6, 0x2000);
	put16(f + 36, 0);
	put16(f + 36, (uint16_t)~ref_csum(f + 26, 20, 0));
	{
		uint8_t *b = h_alloc(NULL, n);

		memcpy(b, f, n);
		h.fail = true;
		netif_input(&ni, b, n, 1);
		h.fail = false;
	}
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_FRAG_NOBUF], 1);
	h_teardown();
}

/**
 * test_fragment_output() - a UDP datagram larger than the MTU leaves in
 * fragments that another endpoint reassembles
 */
static void test_fragment_output(void)
{
	struct netif_config c = {.prefix_len = 24, .mtu = 1500, .seed = 7};
	static uint8_t data[5000];
	uint16_t id, sport;
	unsigned i;
	be32_t src;
	int s, s2;

	h_setup();
	s = udp_bind(&ni, 4000);
	h_learn(PEER_MAC, ip4(9), 0);
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i ^ (i >> 7));
	CU_ASSERT_EQUAL(udp_sendto(&ni, s, ip4(9), 9000, data, 3000, 1), 0);
	CU_ASSERT_EQUAL_FATAL(h.nout, 3);
	id = get16(h.out[0] + 26 + 4);
	for (i = 0; i < 3; i++) {
		const uint8_t *ip = out_ok_ip(i, PEER_MAC);

		CU_ASSERT_EQUAL(get16(ip + 4), id);
		CU_ASSERT_EQUAL(get16(ip + 6),
				(i < 2 ? 0x2000 : 0) | (i * 1480 / 8));
		CU_ASSERT_EQUAL(h.out_len[i],
				i < 2 ? 26 + 1500u : 26 + 20 + 3008 - 2960u);
	}
	CU_ASSERT_EQUAL(get16(h.out[0] + 46 + 4), 3008); /* UDP length */
	CU_ASSERT(!memcmp(h.out[0] + 54, data, 1472));
	CU_ASSERT(!memcmp(h.out[1] + 46, data + 1472, 1480));
	CU_ASSERT(!memcmp(h.out[2] + 46, data + 2952, 48));
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_TX_FRAGS], 3);

	/* the peer: fragments in reverse order */
	memcpy(c.mac, PEER_MAC, 6);
	c.addr = ip4(9);
	CU_ASSERT_EQUAL_FATAL(netif_init(&ni2, &c, &h_ops, &ni2), 0);
	netif_up(&ni2, 0);
	ni2.arp.announce_left = 0;
	h_free(NULL, h.out[3]); /* its announcement */
	h.nout = 3;
	s2 = udp_bind(&ni2, 9000);
	for (i = 3; i-- > 0;)
		netif_input(&ni2, h.out[i], h.out_len[i], 2);
	h.nout = 0;
	CU_ASSERT_EQUAL(
		udp_recvfrom(&ni2, s2, rbuf, sizeof(rbuf), &src, &sport), 3000);
	CU_ASSERT(!memcmp(rbuf, data, 3000));
	CU_ASSERT(wire_eq32(src, ip4(2)));
	CU_ASSERT_EQUAL(sport, 4000);

	/* the largest datagram there is, and one byte more */
	CU_ASSERT_EQUAL(
		udp_sendto(&ni, s, ip4(9), 9000, dgram, UDP_PAYLOAD_MAX, 3), 0);
	CU_ASSERT_EQUAL(h.nout, 45); /* 65515 / 1480, rounded up */
	for (i = 0; i < h.nout; i++)
		out_ok_ip(i, PEER_MAC);
	CU_ASSERT_EQUAL(
		udp_sendto(&ni, s, ip4(9), 9000, dgram, UDP_PAYLOAD_MAX + 1, 3),
		-EMSGSIZE);
	for (i = 0; i < h.nout; i++)
		netif_input(&ni2, h.out[i], h.out_len[i], 4);
	h.nout = 0;
	CU_ASSERT_EQUAL(udp_recvfrom(&ni2, s2, rbuf, sizeof(rbuf), NULL, NULL),
			UDP_PAYLOAD_MAX);
	CU_ASSERT(!memcmp(rbuf, dgram, UDP_PAYLOAD_MAX));

	/* out of buffers half way: the rest is not sent, nothing leaks */
	h.nalloc = 0;
	h.fail_at = 2; /* the datagram and its first fragment */
	CU_ASSERT_EQUAL(udp_sendto(&ni, s, ip4(9), 9000, data, 3000, 5), 0);
	h.fail_at = 0;
	CU_ASSERT_EQUAL(h.nout, 1);
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_TX_FRAG_NOBUF], 1);
	netif_close(&ni2);
	h_teardown();
}

/**
 * test_fragment_odd_mtu() - an MTU whose payload room is not a multiple of
 * 8: every fragment but the last carries a multiple of 8
 */
static void test_fragment_odd_mtu(void)
{
	struct netif_config c = {.prefix_len = 24, .mtu = 1006, .seed = 3};
	static uint8_t data[2000];
	unsigned i;
	int s;

	memset(&h, 0, sizeof(h));
	memcpy(c.mac, H_MAC, 6);
	c.addr = ip4(2);
	CU_ASSERT_EQUAL_FATAL(netif_init(&ni, &c, &h_ops, &ni), 0);
	netif_up(&ni, 0);
	ni.arp.announce_left = 0;
	h_drain();
	h_learn(PEER_MAC, ip4(9), 0);
	s = udp_bind(&ni, 4000);
	CU_ASSERT_EQUAL(udp_sendto(&ni, s, ip4(9), 9000, data, 2000, 1), 0);
	CU_ASSERT_EQUAL_FATAL(h.nout, 3); /* 2008 = 984 + 984 + 40 */
	for (i = 0; i < 3; i++) {
		const uint8_t *ip = out_ok_ip(i, PEER_MAC);

		CU_ASSERT_EQUAL(get16(ip + 2), i < 2 ? 20 + 984 : 20 + 40);
		CU_ASSERT_EQUAL(get16(ip + 6) & 0x1fff, i * 984 / 8);
		CU_ASSERT(h.out_len[i] <= 26 + 1006u);
	}
	h_teardown();
}

/**
 * test_route() - next hop choice and refusals
 */
static void test_route(void)
{
	static const uint8_t mcast_mac[6] = {0x01, 0, 0x5e, 0, 0, 0xfb};
	struct netif_config c = {.prefix_len = 24, .seed = 1};
	uint8_t *b;
	int s;

	h_setup();
	s = udp_bind(&ni, 4000);
	CU_ASSERT_EQUAL(udp_sendto(&ni, s, ip4(2), 1, "x", 1, 1),
			-EHOSTUNREACH);
	/* RFC 1122 3.2.1.3: loopback and "this network" never leave a
	 * host (they would go to the gateway) */
	CU_ASSERT_EQUAL(
		udp_sendto(&ni, s, wire_ip4(127, 0, 0, 1), 1, "x", 1, 1),
		-EHOSTUNREACH);
	CU_ASSERT_EQUAL(
		udp_sendto(&ni, s, wire_ip4(127, 3, 2, 1), 1, "x", 1, 1),
		-EHOSTUNREACH);
	CU_ASSERT_EQUAL(udp_sendto(&ni, s, wire_ip4(0, 1, 2, 3), 1, "x", 1, 1),
			-EHOSTUNREACH);
	CU_ASSERT_EQUAL(h.nout, 0);
	CU_ASSERT_EQUAL(ni.arp.stats[ARP_STAT_TX_REQUEST], 0);
	CU_ASSERT_EQUAL(
		udp_sendto(&ni, s, wire_ip4(255, 255, 255, 255), 1, "x", 1, 1),
		0);
	CU_ASSERT_EQUAL(udp_sendto(&ni, s, ip4(255), 1, "x", 1, 1), 0);
	CU_ASSERT_EQUAL(
		udp_sendto(&ni, s, wire_ip4(224, 0, 0, 251), 1, "x", 1, 1), 0);
	CU_ASSERT_EQUAL_FATAL(h.nout, 3);
	out_ok_ip(0, BCAST_MAC);
	out_ok_ip(1, BCAST_MAC);
	out_ok_ip(2, mcast_mac);
	CU_ASSERT_EQUAL(ni.arp.stats[ARP_STAT_TX_REQUEST], 0);
	/* DF and larger than the MTU */
	b = netif_alloc(&ni, NETIF_L4_OFF + 1481);
	CU_ASSERT_EQUAL(ipv4_output(&ni, b, 1481, 17, ip4(9), true, 1),
			-EMSGSIZE);
	b = netif_alloc(&ni, NETIF_L4_OFF + 1480);
	CU_ASSERT_EQUAL(ipv4_output(&ni, b, 1480, 17, ip4(9), true, 1), 0);
	h_teardown();

	/* no gateway */
	memset(&h, 0, sizeof(h));
	memcpy(c.mac, H_MAC, 6);
	c.addr = ip4(2);
	CU_ASSERT_EQUAL_FATAL(netif_init(&ni, &c, &h_ops, &ni), 0);
	b = h_alloc(NULL, NETIF_L4_OFF + 8);
	CU_ASSERT_EQUAL(ipv4_output(&ni, b, 8, 17, ip4(9), false, 1),
			-ENETDOWN);
	netif_up(&ni, 0);
	h_drain();
	s = udp_bind(&ni, 4000);
	CU_ASSERT_EQUAL(udp_sendto(&ni, s, wire_ip4(8, 8, 8, 8), 53, "x", 1, 1),
			-ENETUNREACH);
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_TX_NO_ROUTE], 1);
	h_teardown();
}

/**
 * test_proto_hook() - other protocols go to the hook, or get a protocol
 * unreachable
 */
static void test_proto_hook(void)
{
	uint8_t f[200];
	const uint8_t *ip;
	size_t n;

	h_setup();
	h_learn(PEER_MAC, ip4(9), 0);
	n = mk_udp(f, ip4(9), 5000, 7777, 20, true);
	f[26 + 9] = 6; /* TCP */
	put16(f + 36, 0);
	put16(f + 36, (uint16_t)~ref_csum(f + 26, 20, 0));
	h.proto_take = true;
	h_in(f, n, 1);
	CU_ASSERT_EQUAL(h.proto_n, 1);
	CU_ASSERT_EQUAL(h.nout, 0);
	h.proto_take = false;
	h_in(f, n, 1);
	CU_ASSERT_EQUAL(h.proto_n, 2);
	CU_ASSERT_EQUAL_FATAL(h.nout, 1);
	ip = out_ok_ip(0, PEER_MAC);
	CU_ASSERT_EQUAL(ip[20], 3);
	CU_ASSERT_EQUAL(ip[21], 2);
	CU_ASSERT(!memcmp(ip + 28, f + 26, n - 26));
	CU_ASSERT_EQUAL(h.out_len[0], 26 + 20 + 8 + n - 26);
	CU_ASSERT_EQUAL(ni.ip.stats[IPV4_STAT_RX_NO_PROTO], 1);
	h_teardown();
}

/**
 * out_id() - send one byte to @dst and read the datagram's identification
 * @s:		UDP socket
 * @dst:	destination (learnt already)
 * @now:	time
 *
 * Return: the ID
 */
static uint16_t out_id(int s, be32_t dst, uint64_t now)
{
	uint16_t id;

	CU_ASSERT_EQUAL(udp_sendto(&ni, s, dst, 9000, "x", 1, now), 0);
	CU_ASSERT_EQUAL_FATAL(h.nout, 1);
	id = get16(out_ok_ip(0, PEER_MAC) + 4);
	h_drain();
	return id;
}

/**
 * test_ident() - identifications: a sequence per destination, unrelated
 * between destinations, one per GSO segment, a leap after idle
 */
static void test_ident(void)
{
	uint16_t a, b, prev;
	unsigned i, seq = 0;
	uint8_t *buf;
	int s;

	h_setup();
	s = udp_bind(&ni, 4000);
	for (i = 9; i < 30; i++)
		h_learn(PEER_MAC, ip4((uint8_t)i), 0);
	h_drain();
	a = out_id(s, ip4(9), 1);
	CU_ASSERT_EQUAL(out_id(s, ip4(9), 1), (uint16_t)(a + 1));
	/* others do not continue (or reveal) 10.0.0.9's sequence */
	prev = (uint16_t)(a + 1);
	for (i = 10; i < 30; i++) {
		b = out_id(s, ip4((uint8_t)i), 1);
		seq += b == (uint16_t)(prev + 1);
		prev = b;
	}
	CU_ASSERT(seq < 3);
	CU_ASSERT_EQUAL(out_id(s, ip4(9), 1), (uint16_t)(a + 2));

	/* a TSO super-frame of 4 segments (4000 bytes, gso_size 1000) */
	buf = netif_alloc(&ni, NETIF_L4_OFF + 4020);
	CU_ASSERT_FATAL(buf != NULL);
	memset(buf, 0, NETIF_L4_OFF + 4020);
	buf[1] = NETIF_VNET_GSO_TCPV4;
	buf[2] = 14 + 20 + 20;
	buf[4] = 1000 & 0xff, buf[5] = 1000 >> 8;
	/* (UDP's protocol number: the protocol is hashed too) */
	CU_ASSERT_EQUAL(ipv4_output(&ni, buf, 4020, 17, ip4(9), true, 1), 0);
	CU_ASSERT_EQUAL_FATAL(h.nout, 1);
	CU_ASSERT_EQUAL(get16(h.out[0] + 26 + 4), (uint16_t)(a + 3));
	h_drain();
	CU_ASSERT_EQUAL(out_id(s, ip4(9), 1), (uint16_t)(a + 7));

	/* idle for a second: a leap of less than 1000 */
	b = out_id(s, ip4(9), 1001);
	CU_ASSERT((uint16_t)(b - (a + 8)) < 1000);
	h_teardown();
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{"wire", test_wire},
		{"bad_headers", test_bad_headers},
		{"link_drops", test_link_drops},
		{"accept_variants", test_accept_variants},
		{"martian_src", test_martian_src},
		{"udp_shared_port", test_udp_shared_port},
		{"reass_orders", test_reass_orders},
		{"reass_dup_overlap", test_reass_dup_overlap},
		{"reass_bad", test_reass_bad},
		{"reass_timeout", test_reass_timeout},
		{"reass_limits", test_reass_limits},
		{"fragment_output", test_fragment_output},
		{"fragment_odd_mtu", test_fragment_odd_mtu},
		{"route", test_route},
		{"proto_hook", test_proto_hook},
		{"ident", test_ident},
	};

	return cunit_run("stack_ipv4", tests, sizeof(tests) / sizeof(tests[0]),
			 NULL, NULL);
}
