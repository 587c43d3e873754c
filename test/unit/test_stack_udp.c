// SPDX-License-Identifier: MIT
/*
 * test_stack_udp.c - CUnit suite for stack/udp.c: binding and ephemeral
 * ports, delivery and truncation, checksum and length checks, the bounded
 * receive queue, datagrams on the wire byte by byte (including the
 * zero-checksum rule), and two endpoints talking through the hooks.
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

/**
 * fix_ip() - recompute the IPv4 header checksum of a frame
 * @f:		frame
 */
static void fix_ip(uint8_t *f)
{
	put16(f + 36, 0);
	put16(f + 36, (uint16_t)~ref_csum(f + 26, 20, 0));
}

/**
 * test_bind() - explicit, duplicate, ephemeral, full table, close
 */
static void test_bind(void)
{
	int s[UDP_SOCK_MAX], i, j, p, first;

	h_setup();
	s[0] = udp_bind(&ni, 53);
	CU_ASSERT_EQUAL(s[0], 0);
	CU_ASSERT_EQUAL(udp_port(&ni, s[0]), 53);
	CU_ASSERT_EQUAL(udp_bind(&ni, 53), -EADDRINUSE);
	for (i = 1; i < UDP_SOCK_MAX; i++) {
		s[i] = udp_bind(&ni, 0);
		CU_ASSERT_FATAL(s[i] >= 0);
		p = udp_port(&ni, s[i]);
		CU_ASSERT(p >= UDP_EPHEMERAL_MIN && p <= UDP_EPHEMERAL_MAX);
		for (j = 0; j < i; j++)
			CU_ASSERT_NOT_EQUAL(p, udp_port(&ni, s[j]));
	}
	CU_ASSERT_EQUAL(udp_bind(&ni, 54), -EMFILE);
	CU_ASSERT_EQUAL(udp_bind(&ni, 0), -EMFILE);
	CU_ASSERT_EQUAL(udp_close(&ni, s[5]), 0);
	CU_ASSERT_EQUAL(udp_close(&ni, s[5]), -EBADF);
	CU_ASSERT_EQUAL(udp_port(&ni, s[5]), -EBADF);
	CU_ASSERT_EQUAL(udp_port(&ni, -1), -EBADF);
	CU_ASSERT_EQUAL(udp_port(&ni, UDP_SOCK_MAX), -EBADF);
	CU_ASSERT_EQUAL(udp_bind(&ni, 54), s[5]);
	first = udp_port(&ni, s[1]);
	h_teardown();

	/* same seed, same sequence; another seed, another start (RFC 6056:
	 * not guessable from outside without the seed) */
	h_setup();
	CU_ASSERT_EQUAL(udp_port(&ni, udp_bind(&ni, 0)), first);
	h_teardown();
	{
		struct netif_config c = {.prefix_len = 24, .seed = 4242};
		int other = 0;

		memset(&h, 0, sizeof(h));
		memcpy(c.mac, H_MAC, 6);
		c.addr = ip4(2);
		CU_ASSERT_EQUAL_FATAL(netif_init(&ni, &c, &h_ops, &ni), 0);
		for (i = 0; i < 4; i++)
			other |= udp_port(&ni, udp_bind(&ni, 0)) != first;
		CU_ASSERT(other);
		h_teardown();
	}
}

/**
 * test_receive() - delivery, source, truncation, zero checksum, broadcast
 */
static void test_receive(void)
{
	uint8_t f[200], r[64];
	uint16_t sport = 0;
	be32_t src = {0};
	size_t n, i;
	int s;

	h_setup();
	s = udp_bind(&ni, 7777);
	CU_ASSERT_EQUAL(udp_recvfrom(&ni, s, r, sizeof(r), NULL, NULL),
			-EAGAIN);
	CU_ASSERT_EQUAL(udp_recvfrom(&ni, 9, r, sizeof(r), NULL, NULL), -EBADF);
	n = mk_udp(f, ip4(9), 5000, 7777, 20, true);
	h_in(f, n, 1);
	CU_ASSERT_EQUAL(h.live, 1); /* queued, not copied */
	CU_ASSERT_EQUAL(udp_recvfrom(&ni, s, r, sizeof(r), &src, &sport), 20);
	CU_ASSERT(!memcmp(r, f + 54, 20));
	CU_ASSERT(wire_eq32(src, ip4(9)));
	CU_ASSERT_EQUAL(sport, 5000);
	CU_ASSERT_EQUAL(h.live, 0);

	/* truncated read reports the full length, copies no more than asked */
	h_in(f, n, 1);
	memset(r, 0xcc, sizeof(r));
	CU_ASSERT_EQUAL(udp_recvfrom(&ni, s, r, 5, NULL, NULL), 20);
	CU_ASSERT(!memcmp(r, f + 54, 5));
	for (i = 5; i < sizeof(r); i++)
		CU_ASSERT_EQUAL(r[i], 0xcc);

	/* no checksum (RFC 768, IPv4) */
	n = mk_udp(f, ip4(9), 5001, 7777, 3, false);
	CU_ASSERT_EQUAL(get16(f + 46 + 6), 0);
	h_in(f, n, 1);
	CU_ASSERT_EQUAL(udp_recvfrom(&ni, s, r, sizeof(r), NULL, &sport), 3);
	CU_ASSERT_EQUAL(sport, 5001);

	/* empty payload */
	n = mk_udp(f, ip4(9), 5002, 7777, 0, true);
	h_in(f, n, 1);
	CU_ASSERT_EQUAL(udp_recvfrom(&ni, s, r, sizeof(r), NULL, NULL), 0);

	/* to the broadcast address */
	n = mk_udp(f, ip4(9), 5003, 7777, 4, false);
	memcpy(f + 12, BCAST_MAC, 6);
	memset(f + 26 + 16, 0xff, 4);
	fix_ip(f);
	h_in(f, n, 1);
	CU_ASSERT_EQUAL(udp_recvfrom(&ni, s, r, sizeof(r), NULL, NULL), 4);
	CU_ASSERT_EQUAL(ni.udp.stats[UDP_STAT_RX_DELIVERED], 5);
	h_teardown();
}

/**
 * test_bad_input() - checksum, lengths; what the vnet header vouches for
 */
static void test_bad_input(void)
{
	uint8_t f[200], r[64];
	size_t n;
	int s;

	h_setup();
	s = udp_bind(&ni, 7777);
	n = mk_udp(f, ip4(9), 5000, 7777, 20, true);
	f[60] ^= 0x10;
	h_in(f, n, 1);
	CU_ASSERT_EQUAL(ni.udp.stats[UDP_STAT_RX_CSUM], 1);
	CU_ASSERT_EQUAL(udp_recvfrom(&ni, s, r, sizeof(r), NULL, NULL),
			-EAGAIN);
	/* the same with DATA_VALID or NEEDS_CSUM in the vnet header */
	f[0] = NETIF_VNET_F_DATA_VALID;
	h_in(f, n, 1);
	f[0] = NETIF_VNET_F_NEEDS_CSUM;
	h_in(f, n, 1);
	CU_ASSERT_EQUAL(udp_recvfrom(&ni, s, r, sizeof(r), NULL, NULL), 20);
	CU_ASSERT_EQUAL(udp_recvfrom(&ni, s, r, sizeof(r), NULL, NULL), 20);
	CU_ASSERT_EQUAL(ni.udp.stats[UDP_STAT_RX_CSUM], 1);

	/* UDP length past the IP payload */
	n = mk_udp(f, ip4(9), 5000, 7777, 20, false);
	put16(f + 46 + 4, 29);
	h_in(f, n, 1);
	/* UDP length below the header */
	put16(f + 46 + 4, 7);
	h_in(f, n, 1);
	CU_ASSERT_EQUAL(ni.udp.stats[UDP_STAT_RX_LEN], 2);
	/* IP payload shorter than a UDP header */
	n = mk_udp(f, ip4(9), 5000, 7777, 0, false);
	put16(f + 28, 27);
	fix_ip(f);
	h_in(f, n - 1, 1);
	CU_ASSERT_EQUAL(ni.udp.stats[UDP_STAT_RX_SHORT], 1);
	/* bytes past the UDP length are not part of the datagram */
	n = mk_udp(f, ip4(9), 5000, 7777, 20, true);
	memset(f + n, 0x99, 6);
	put16(f + 28, (uint16_t)(get16(f + 28) + 6));
	fix_ip(f);
	h_in(f, n + 6, 1);
	CU_ASSERT_EQUAL(udp_recvfrom(&ni, s, r, sizeof(r), NULL, NULL), 20);
	CU_ASSERT_EQUAL(ni.udp.stats[UDP_STAT_RX_DELIVERED], 3);
	CU_ASSERT_EQUAL(h.nout, 0);
	h_teardown();
}

/**
 * test_queue_full() - bounded queue, drops counted, order kept
 */
static void test_queue_full(void)
{
	uint8_t f[200], r[64];
	uint16_t sport;
	size_t n;
	int s, i;

	h_setup();
	s = udp_bind(&ni, 7777);
	for (i = 0; i < UDP_RXQ_LEN + 3; i++) {
		n = mk_udp(f, ip4(9), (uint16_t)(6000 + i), 7777, 8, true);
		h_in(f, n, 1);
	}
	CU_ASSERT_EQUAL(h.live, UDP_RXQ_LEN);
	CU_ASSERT_EQUAL(ni.udp.s[s].drops, 3);
	CU_ASSERT_EQUAL(ni.udp.stats[UDP_STAT_RX_QUEUE_FULL], 3);
	for (i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(
			udp_recvfrom(&ni, s, r, sizeof(r), NULL, &sport), 8);
		CU_ASSERT_EQUAL(sport, 6000 + i);
	}
	/* room again; the ring wraps */
	for (i = 0; i < 5; i++) {
		n = mk_udp(f, ip4(9), (uint16_t)(7000 + i), 7777, 8, true);
		h_in(f, n, 1);
	}
	CU_ASSERT_EQUAL(ni.udp.s[s].drops, 3);
	for (i = 5; i < UDP_RXQ_LEN; i++) {
		udp_recvfrom(&ni, s, r, sizeof(r), NULL, &sport);
		CU_ASSERT_EQUAL(sport, 6000 + i);
	}
	udp_recvfrom(&ni, s, r, sizeof(r), NULL, &sport);
	CU_ASSERT_EQUAL(sport, 7000);
	/* closing releases the rest */
	CU_ASSERT_EQUAL(h.live, 4);
	CU_ASSERT_EQUAL(udp_close(&ni, s), 0);
	CU_ASSERT_EQUAL(h.live, 0);
	h_teardown();
}

/**
 * test_held_bound() - sockets nobody reads hold at most UDP_HELD_MAX
 * buffers of the endpoint in all; reading or closing gives them back
 */
static void test_held_bound(void)
{
	uint8_t f[200], r[64];
	int s[UDP_SOCK_MAX], i, k;
	size_t n;

	h_setup();
	for (k = 0; k < UDP_SOCK_MAX; k++) {
		s[k] = udp_bind(&ni, (uint16_t)(8000 + k));
		CU_ASSERT_FATAL(s[k] >= 0);
		for (i = 0; i < UDP_RXQ_LEN; i++) {
			n = mk_udp(f, ip4(9), 6000, (uint16_t)(8000 + k), 8,
				   true);
			h_in(f, n, 1);
		}
	}
	CU_ASSERT_EQUAL(h.live, UDP_HELD_MAX);
	CU_ASSERT_EQUAL(ni.udp.held, UDP_HELD_MAX);
	CU_ASSERT_EQUAL(ni.udp.stats[UDP_STAT_RX_QUEUE_FULL],
			UDP_SOCK_MAX * UDP_RXQ_LEN - UDP_HELD_MAX);
	/* one read makes room for one more, anywhere */
	CU_ASSERT_EQUAL(udp_recvfrom(&ni, s[0], r, sizeof(r), NULL, NULL), 8);
	n = mk_udp(f, ip4(9), 6000, 8000 + UDP_SOCK_MAX - 1, 8, true);
	h_in(f, n, 1);
	CU_ASSERT_EQUAL(ni.udp.held, UDP_HELD_MAX);
	for (k = 0; k < UDP_SOCK_MAX; k++)
		CU_ASSERT_EQUAL(udp_close(&ni, s[k]), 0);
	CU_ASSERT_EQUAL(h.live, 0);
	CU_ASSERT_EQUAL(ni.udp.held, 0);
	h_teardown();
}

/**
 * test_send() - the datagram on the wire, byte by byte
 */
static void test_send(void)
{
	uint8_t want[13];
	const uint8_t *ip;
	uint32_t ps;
	int s;

	h_setup();
	h_learn(PEER_MAC, ip4(9), 0);
	s = udp_bind(&ni, 1000);
	CU_ASSERT_EQUAL(udp_sendto(&ni, s, ip4(9), 53, "hello", 5, 1), 0);
	CU_ASSERT_EQUAL_FATAL(h.nout, 1);
	ip = out_ok_ip(0, PEER_MAC);
	CU_ASSERT_EQUAL(h.out_len[0], 26 + 20 + 13);
	CU_ASSERT_EQUAL(ip[1], 0);
	CU_ASSERT_EQUAL(get16(ip + 6), 0);
	CU_ASSERT_EQUAL(ip[8], 64);
	CU_ASSERT_EQUAL(ip[9], 17);
	CU_ASSERT(!memcmp(ip + 16, (const uint8_t[]){10, 0, 0, 9}, 4));
	put16(want, 1000);
	put16(want + 2, 53);
	put16(want + 4, 13);
	put16(want + 6, 0);
	memcpy(want + 8, "hello", 5);
	ps = ref_csum((const uint8_t[]){10, 0, 0, 2, 10, 0, 0, 9}, 8, 0) + 17 +
	     13;
	put16(want + 6, (uint16_t)~ref_csum(want, 13, ps));
	CU_ASSERT(!memcmp(ip + 20, want, 13));
	CU_ASSERT_EQUAL(ni.udp.stats[UDP_STAT_TX], 1);
	h_teardown();
}

/**
 * test_send_zero_csum() - a checksum that computes to 0 goes out as 0xffff
 */
static void test_send_zero_csum(void)
{
	uint8_t hdr[8], w[2];
	const uint8_t *ip;
	uint32_t s32;
	uint16_t fold;
	int s;

	h_setup();
	h_learn(PEER_MAC, ip4(9), 0);
	s = udp_bind(&ni, 1000);
	/* pick the 2 payload bytes so that the sum folds to 0xffff */
	put16(hdr, 1000);
	put16(hdr + 2, 53);
	put16(hdr + 4, 10);
	put16(hdr + 6, 0);
	s32 = ref_csum((const uint8_t[]){10, 0, 0, 2, 10, 0, 0, 9}, 8, 0) + 17 +
	      10;
	fold = ref_csum(hdr, 8, s32);
	put16(w, (uint16_t)(0xffff - fold));
	CU_ASSERT_EQUAL(udp_sendto(&ni, s, ip4(9), 53, w, 2, 1), 0);
	CU_ASSERT_EQUAL_FATAL(h.nout, 1);
	ip = out_ok_ip(0, PEER_MAC);
	CU_ASSERT_EQUAL(get16(ip + 20 + 6), 0xffff);
	/* and the receiver's check accepts it */
	CU_ASSERT_EQUAL(ref_csum(ip + 20, 10, s32), 0xffff);
	h_teardown();
}

/**
 * test_send_errors() - what udp_sendto() refuses
 */
static void test_send_errors(void)
{
	int s;

	h_setup();
	s = udp_bind(&ni, 1000);
	CU_ASSERT_EQUAL(udp_sendto(&ni, s + 1, ip4(9), 53, "x", 1, 1), -EBADF);
	CU_ASSERT_EQUAL(udp_sendto(&ni, -1, ip4(9), 53, "x", 1, 1), -EBADF);
	CU_ASSERT_EQUAL(udp_sendto(&ni, s, ip4(9), 0, "x", 1, 1), -EINVAL);
	CU_ASSERT_EQUAL(
		udp_sendto(&ni, s, ip4(9), 53, "x", UDP_PAYLOAD_MAX + 1, 1),
		-EMSGSIZE);
	h.fail = true;
	CU_ASSERT_EQUAL(udp_sendto(&ni, s, ip4(9), 53, "x", 1, 1), -ENOBUFS);
	h.fail = false;
	CU_ASSERT_EQUAL(ni.udp.stats[UDP_STAT_TX_NOBUF], 1);
	CU_ASSERT_EQUAL(udp_sendto(&ni, s, ip4(2), 53, "x", 1, 1),
			-EHOSTUNREACH);
	CU_ASSERT_EQUAL(ni.udp.stats[UDP_STAT_TX_ERROR], 1);
	CU_ASSERT_EQUAL(ni.udp.stats[UDP_STAT_TX], 0);
	CU_ASSERT_STRING_EQUAL(udp_stat_name(UDP_STAT_RX_QUEUE_FULL),
			       "rx_queue_full");
	CU_ASSERT_STRING_EQUAL(udp_stat_name(UDP_STAT__COUNT), "unknown");
	h_teardown();
}

/**
 * test_two_endpoints() - a request and its answer between two endpoints
 * wired back to back through the hooks
 */
static void test_two_endpoints(void)
{
	struct netif_config c = {.prefix_len = 24, .seed = 9};
	static struct netif peer;
	uint8_t r[64];
	uint16_t sport;
	be32_t src;
	unsigned i, k;
	int a, b;

	h_setup();
	memcpy(c.mac, PEER_MAC, 6);
	c.addr = ip4(9);
	CU_ASSERT_EQUAL_FATAL(netif_init(&peer, &c, &h_ops, &peer), 0);
	netif_up(&peer, 0);
	a = udp_bind(&ni, 0);
	b = udp_bind(&peer, 53);
	CU_ASSERT_EQUAL(udp_sendto(&ni, a, ip4(9), 53, "query", 5, 1), 0);
	/* shuttle frames: each goes to both (broadcasts) or the right one */
	for (k = 0; k < 10 && h.nout; k++) {
		unsigned n = h.nout;
		uint8_t *out[H_MAX_OUT];
		size_t len[H_MAX_OUT];

		memcpy(out, h.out, n * sizeof(out[0]));
		memcpy(len, h.out_len, n * sizeof(len[0]));
		h.nout = 0;
		for (i = 0; i < n; i++) {
			bool to_ni = !memcmp(out[i] + 12, H_MAC, 6) ||
				     out[i][12] == 0xff;
			bool to_peer = !memcmp(out[i] + 12, PEER_MAC, 6) ||
				       out[i][12] == 0xff;

			if (to_ni && to_peer) {
				uint8_t *copy = h_alloc(NULL, len[i]);

				memcpy(copy, out[i], len[i]);
				netif_input(&ni, copy, len[i], 2);
			} else if (to_ni) {
				netif_input(&ni, out[i], len[i], 2);
				continue;
			}
			if (to_peer)
				netif_input(&peer, out[i], len[i], 2);
			else
				h_free(NULL, out[i]);
		}
		if (k == 1)
			CU_ASSERT_EQUAL(udp_recvfrom(&peer, b, r, sizeof(r),
						     &src, &sport),
					5);
		if (k == 1) {
			CU_ASSERT(wire_eq32(src, ip4(2)));
			CU_ASSERT_EQUAL(sport, udp_port(&ni, a));
			CU_ASSERT_EQUAL(udp_sendto(&peer, b, src, sport,
						   "answer", 6, 3),
					0);
		}
	}
	CU_ASSERT_EQUAL(udp_recvfrom(&ni, a, r, sizeof(r), &src, &sport), 6);
	CU_ASSERT(!memcmp(r, "answer", 6));
	CU_ASSERT_EQUAL(sport, 53);
	netif_close(&peer);
	h_teardown();
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{"bind", test_bind},
		{"receive", test_receive},
		{"bad_input", test_bad_input},
		{"queue_full", test_queue_full},
		{"held_bound", test_held_bound},
		{"send", test_send},
		{"send_zero_csum", test_send_zero_csum},
		{"send_errors", test_send_errors},
		{"two_endpoints", test_two_endpoints},
	};

	return cunit_run("stack_udp", tests, sizeof(tests) / sizeof(tests[0]),
			 NULL, NULL);
}
