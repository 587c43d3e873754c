// SPDX-License-Identifier: MIT
/*
 * test_stack_icmp.c - CUnit suite for stack/icmp.c: echo replies checked
 * byte by byte (also fragmented both ways), drops, port unreachable with
 * its quote, the RFC 1122 rules on when errors must not be sent, the
 * token-bucket rate limit, and RFC 1191 path MTU hints.
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
 * mk_icmp() - ICMP message from 10.0.0.9 to the endpoint
 * @b:		buffer
 * @dst:	IP destination
 * @type:	ICMP type
 * @code:	ICMP code
 * @rest:	the 4 bytes after the checksum
 * @data:	data after the header
 * @dlen:	its length
 *
 * Return: frame length
 */
static size_t mk_icmp(uint8_t *b, be32_t dst, uint8_t type, uint8_t code,
		      const uint8_t *rest, const uint8_t *data, size_t dlen)
{
	size_t off;
	uint8_t *m;

	mk_eth(b, H_MAC, PEER_MAC, 0x0800);
	off = mk_ip(b, 1, ip4(9), dst, 0x777, 0, 8 + dlen);
	m = b + off;
	m[0] = type;
	m[1] = code;
	put16(m + 2, 0);
	memcpy(m + 4, rest, 4);
	memcpy(m + 8, data, dlen);
	put16(m + 2, (uint16_t)~ref_csum(m, 8 + dlen, 0));
	return off + 8 + dlen;
}

static uint8_t payload[4000];

/**
 * fill_payload() - pattern in payload[]
 */
static void fill_payload(void)
{
	size_t i;

	for (i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 31 + 11);
}

/**
 * test_echo() - echo reply, byte by byte
 */
static void test_echo(void)
{
	static const uint8_t idseq[4] = {0x12, 0x34, 0x00, 0x07};
	uint8_t f[200], want[64];
	const uint8_t *ip;
	size_t n;

	h_setup();
	fill_payload();
	h_learn(PEER_MAC, ip4(9), 0);
	n = mk_icmp(f, ip4(2), 8, 0, idseq, payload, 56);
	h_in(f, n, 1);
	CU_ASSERT_EQUAL_FATAL(h.nout, 1);
	ip = out_ok_ip(0, PEER_MAC);
	CU_ASSERT_EQUAL(h.out_len[0], 26 + 20 + 64);
	CU_ASSERT_EQUAL(ip[8], 64);
	CU_ASSERT_EQUAL(ip[9], 1);
	CU_ASSERT(!memcmp(ip + 16, (const uint8_t[]){10, 0, 0, 9}, 4));
	CU_ASSERT_EQUAL(get16(ip + 6), 0); /* no DF, no fragment */
	/* the reply: type 0, same id/seq/data, checksum recomputed by hand */
	memset(want, 0, sizeof(want));
	memcpy(want + 4, idseq, 4);
	memcpy(want + 8, payload, 56);
	put16(want + 2, (uint16_t)~ref_csum(want, 64, 0));
	CU_ASSERT(!memcmp(ip + 20, want, 64));
	CU_ASSERT_EQUAL(ni.icmp.stats[ICMP_STAT_RX_ECHO], 1);
	CU_ASSERT_EQUAL(ni.icmp.stats[ICMP_STAT_TX_ECHO_REPLY], 1);
	h_drain();

	/* an odd length, and a peer not yet in the ARP cache */
	n = mk_icmp(f, ip4(2), 8, 0, idseq, payload, 5);
	memcpy(f + 18, GW_MAC, 6);
	memcpy(f + 26 + 12, (const uint8_t[]){10, 0, 0, 1}, 4);
	put16(f + 36, 0);
	put16(f + 36, (uint16_t)~ref_csum(f + 26, 20, 0));
	h_in(f, n, 2);
	CU_ASSERT_EQUAL(h.nout, 1); /* ARP request */
	h_drain();
	h_learn(GW_MAC, ip4(1), 3); /* flushes the reply; check it first */
	CU_ASSERT_EQUAL(ni.icmp.stats[ICMP_STAT_TX_ECHO_REPLY], 2);
	h_teardown();
}

/**
 * test_echo_drops() - bad checksum, short, broadcast, no buffer
 */
static void test_echo_drops(void)
{
	static const uint8_t idseq[4] = {0, 1, 0, 1};
	uint8_t f[200];
	uint8_t *b;
	size_t n;

	h_setup();
	fill_payload();
	h_learn(PEER_MAC, ip4(9), 0);
	n = mk_icmp(f, ip4(2), 8, 0, idseq, payload, 10);
	f[n - 1] ^= 0x40;
	h_in(f, n, 1);
	CU_ASSERT_EQUAL(ni.icmp.stats[ICMP_STAT_RX_CSUM], 1);
	/* 4 bytes of ICMP only */
	n = mk_icmp(f, ip4(2), 8, 0, idseq, payload, 0);
	put16(f + 28, 24);
	put16(f + 36, 0);
	put16(f + 36, (uint16_t)~ref_csum(f + 26, 20, 0));
	h_in(f, n - 4, 1);
	CU_ASSERT_EQUAL(ni.icmp.stats[ICMP_STAT_RX_SHORT], 1);
	/* to the subnet broadcast: ignored (RFC 1122 3.2.2.6) */
	n = mk_icmp(f, ip4(255), 8, 0, idseq, payload, 10);
	h_in(f, n, 1);
	CU_ASSERT_EQUAL(ni.icmp.stats[ICMP_STAT_RX_ECHO_BCAST], 1);
	/* no buffer for the reply */
	n = mk_icmp(f, ip4(2), 8, 0, idseq, payload, 10);
	b = h_alloc(NULL, n);
	memcpy(b, f, n);
	h.fail = true;
	netif_input(&ni, b, n, 1);
	h.fail = false;
	CU_ASSERT_EQUAL(ni.icmp.stats[ICMP_STAT_TX_NOBUF], 1);
	CU_ASSERT_EQUAL(h.nout, 0);
	CU_ASSERT_EQUAL(ni.icmp.stats[ICMP_STAT_TX_ECHO_REPLY], 0);
	h_teardown();
}

/**
 * test_echo_fragmented() - a 3000-byte echo arrives in fragments and is
 * answered in fragments
 */
static void test_echo_fragmented(void)
{
	static uint8_t msg[3008], got[3008];
	static const uint8_t idseq[4] = {0xab, 0xcd, 0, 9};
	size_t off, len, got_len = 0;
	uint8_t *f;
	unsigned i;

	h_setup();
	fill_payload();
	h_learn(PEER_MAC, ip4(9), 0);
	msg[0] = 8;
	memcpy(msg + 4, idseq, 4);
	memcpy(msg + 8, payload, 3000);
	put16(msg + 2, (uint16_t)~ref_csum(msg, sizeof(msg), 0));
	f = malloc(46 + 1480);
	for (off = 0; off < sizeof(msg); off += len) {
		len = sizeof(msg) - off < 1480 ? sizeof(msg) - off : 1480;
		mk_eth(f, H_MAC, PEER_MAC, 0x0800);
		mk_ip(f, 1, ip4(9), ip4(2), 0x99,
		      (uint16_t)((off + len < sizeof(msg) ? 0x2000 : 0) |
				 off / 8),
		      len);
		memcpy(f + 46, msg + off, len);
		h_in(f, 46 + len, 1);
	}
	free(f);
	CU_ASSERT_EQUAL_FATAL(h.nout, 3);
	for (i = 0; i < 3; i++) {
		const uint8_t *ip = out_ok_ip(i, PEER_MAC);
		size_t l = get16(ip + 2) - 20u;

		CU_ASSERT_EQUAL(get16(ip + 6) & 0x1fff, got_len / 8);
		memcpy(got + got_len, ip + 20, l);
		got_len += l;
	}
	CU_ASSERT_EQUAL(got_len, sizeof(msg));
	CU_ASSERT_EQUAL(got[0], 0);
	CU_ASSERT(!memcmp(got + 4, msg + 4, sizeof(msg) - 4));
	CU_ASSERT_EQUAL(ref_csum(got, sizeof(got), 0), 0xffff);
	h_teardown();
}

/**
 * check_unreach() - frame i is an ICMP error about datagram @orig
 * @i:		frame
 * @type:	ICMP type
 * @code:	ICMP code
 * @orig:	the offending datagram from its IPv4 header
 * @olen:	its length
 */
static void check_unreach(unsigned i, uint8_t type, uint8_t code,
			  const uint8_t *orig, size_t olen)
{
	size_t q = olen < 548 ? olen : 548;
	const uint8_t *ip = out_ok_ip(i, PEER_MAC);

	CU_ASSERT_EQUAL(h.out_len[i], 26 + 20 + 8 + q);
	CU_ASSERT_EQUAL(ip[9], 1);
	CU_ASSERT(!memcmp(ip + 16, (const uint8_t[]){10, 0, 0, 9}, 4));
	CU_ASSERT_EQUAL(ip[20], type);
	CU_ASSERT_EQUAL(ip[21], code);
	CU_ASSERT(!memcmp(ip + 24, (const uint8_t[]){0, 0, 0, 0}, 4));
	CU_ASSERT_EQUAL(ref_csum(ip + 20, 8 + q, 0), 0xffff);
	CU_ASSERT(!memcmp(ip + 28, orig, q));
}

/**
 * test_port_unreach() - closed ports, quoting RFC 1812 4.3.2.3 style
 */
static void test_port_unreach(void)
{
	static uint8_t f[1000];
	size_t n;

	h_setup();
	h_learn(PEER_MAC, ip4(9), 0);
	n = mk_udp(f, ip4(9), 5000, 9999, 20, true);
	h_in(f, n, 1);
	CU_ASSERT_EQUAL_FATAL(h.nout, 1);
	check_unreach(0, 3, 3, f + 26, n - 26);
	h_drain();
	n = mk_udp(f, ip4(9), 5000, 9999, 900, true);
	h_in(f, n, 1);
	CU_ASSERT_EQUAL_FATAL(h.nout, 1);
	check_unreach(0, 3, 3, f + 26, n - 26);
	CU_ASSERT_EQUAL(h.out_len[0], 26 + ICMP_ERR_MAX);
	h_drain();
	/* broadcast to a closed port: silence */
	n = mk_udp(f, ip4(9), 5000, 9999, 20, true);
	memcpy(f + 26 + 16, (const uint8_t[]){10, 0, 0, 255}, 4);
	put16(f + 36, 0);
	put16(f + 36, (uint16_t)~ref_csum(f + 26, 20, 0));
	put16(f + 46 + 6, 0);
	h_in(f, n, 1);
	CU_ASSERT_EQUAL(h.nout, 0);
	CU_ASSERT_EQUAL(ni.icmp.stats[ICMP_STAT_TX_ERROR], 2);
	CU_ASSERT_EQUAL(ni.icmp.stats[ICMP_STAT_TX_SUPPRESSED], 1);
	CU_ASSERT_EQUAL(ni.udp.stats[UDP_STAT_RX_NO_PORT], 3);
	h_teardown();
}

/**
 * test_error_rules() - RFC 1122 3.2.2: when no error may be sent
 */
static void test_error_rules(void)
{
	uint8_t d[64];
	int i;

	h_setup();
	h_learn(PEER_MAC, ip4(9), 0);
	for (i = 0; i < 9; i++) {
		memset(d, 0, sizeof(d));
		d[0] = 0x45;
		put16(d + 2, 48);
		d[8] = 64;
		d[9] = 17;
		memcpy(d + 12, (const uint8_t[]){10, 0, 0, 9}, 4);
		memcpy(d + 16, (const uint8_t[]){10, 0, 0, 2}, 4);
		switch (i) {
		case 0:
			break; /* allowed */
		case 1:
			put16(d + 6, 0x2000 | 185);
			break; /* fragment */
		case 2:
			memset(d + 12, 0, 4);
			break; /* 0.0.0.0 */
		case 3:
			d[12] = 127;
			break; /* loopback */
		case 4:
			d[12] = 230;
			break; /* multicast */
		case 5:
			d[12] = 250;
			break; /* class E */
		case 6:
			d[16] = 239;
			break; /* to mcast */
		case 7:
			d[9] = 1;
			d[20] = 3;
			break; /* ICMP error */
		case 8:
			d[9] = 1;
			d[20] = 8;
			break; /* echo: ok */
		}
		CU_ASSERT_EQUAL(icmp_send_error(&ni, 3, 3, d, 48, false, 1),
				i == 0 || i == 8 ? 0 : -EINVAL);
	}
	CU_ASSERT_EQUAL(icmp_send_error(&ni, 3, 3, d, 48, true, 1), -EINVAL);
	CU_ASSERT_EQUAL(icmp_send_error(&ni, 3, 3, d, 19, false, 1), -EINVAL);
	d[0] = 0x46; /* IHL longer than what is there */
	CU_ASSERT_EQUAL(icmp_send_error(&ni, 3, 3, d, 20, false, 1), -EINVAL);
	CU_ASSERT_EQUAL(h.nout, 2);
	CU_ASSERT_EQUAL(ni.icmp.stats[ICMP_STAT_TX_SUPPRESSED], 10);
	h_teardown();
}

/**
 * test_rate_limit() - token bucket: a burst, then ICMP_RATE_PER_SEC
 */
static void test_rate_limit(void)
{
	uint8_t f[200];
	size_t n;
	int i;

	h_setup();
	h_learn(PEER_MAC, ip4(9), 0);
	n = mk_udp(f, ip4(9), 5000, 9999, 20, true);
	for (i = 0; i < 25; i++)
		h_in(f, n, 5000);
	CU_ASSERT_EQUAL(h.nout, ICMP_RATE_BURST);
	CU_ASSERT_EQUAL(ni.icmp.stats[ICMP_STAT_TX_RATELIMITED],
			25 - ICMP_RATE_BURST);
	h_drain();
	/* one token every 1000 / ICMP_RATE_PER_SEC ms */
	h_in(f, n, 5000 + 1000 / ICMP_RATE_PER_SEC - 1);
	CU_ASSERT_EQUAL(h.nout, 0);
	h_in(f, n, 5000 + 1000 / ICMP_RATE_PER_SEC);
	CU_ASSERT_EQUAL(h.nout, 1);
	h_in(f, n, 5000 + 1000 / ICMP_RATE_PER_SEC);
	CU_ASSERT_EQUAL(h.nout, 1);
	h_drain();
	/* a long pause refills the bucket, no further */
	for (i = 0; i < 25; i++)
		h_in(f, n, 25000);
	CU_ASSERT_EQUAL(h.nout, ICMP_RATE_BURST);
	/* time going backwards does not mint tokens */
	h_drain();
	h_in(f, n, 100);
	CU_ASSERT_EQUAL(h.nout, 0);
	h_teardown();
}

/**
 * mk_frag_needed() - "fragmentation needed" quoting a datagram of ours
 * @b:		buffer
 * @mtu:	next-hop MTU field
 * @src:	source of the quoted datagram
 * @qtot:	total length of the quoted datagram
 * @qlen:	bytes of quote (header and data)
 *
 * Return: frame length
 */
static size_t mk_frag_needed(uint8_t *b, uint16_t mtu, be32_t src,
			     uint16_t qtot, size_t qlen)
{
	uint8_t q[28] = {0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 6};
	uint8_t rest[4] = {0, 0, 0, 0};

	put16(q + 2, qtot);
	memcpy(q + 12, &src, 4);
	memcpy(q + 16, (const uint8_t[]){192, 0, 2, 1}, 4);
	put16(q + 10, (uint16_t)~ref_csum(q, 20, 0));
	put16(rest + 2, mtu);
	return mk_icmp(b, ip4(2), 3, 4, rest, q, qlen);
}

/**
 * test_frag_needed() - path MTU hints reach the hook when sound
 */
static void test_frag_needed(void)
{
	uint8_t f[200];

	h_setup();
	h_in(f, mk_frag_needed(f, 1400, ip4(2), 1500, 28), 1);
	CU_ASSERT_EQUAL(h.pmtu_n, 1);
	CU_ASSERT_EQUAL(h.pmtu_mtu, 1400);
	CU_ASSERT(wire_eq32(h.pmtu_dst, wire_ip4(192, 0, 2, 1)));
	/* MTU field zero (pre-RFC 1191 router): next plateau down */
	h_in(f, mk_frag_needed(f, 0, ip4(2), 1500, 28), 1);
	CU_ASSERT_EQUAL(h.pmtu_n, 2);
	CU_ASSERT_EQUAL(h.pmtu_mtu, 1492);
	h_in(f, mk_frag_needed(f, 0, ip4(2), 1006, 28), 1);
	CU_ASSERT_EQUAL(h.pmtu_mtu, 552); /* 508, raised to the floor */
	/* below Linux's min_pmtu: raised to it */
	h_in(f, mk_frag_needed(f, 68, ip4(2), 1500, 28), 1);
	CU_ASSERT_EQUAL(h.pmtu_n, 4);
	CU_ASSERT_EQUAL(h.pmtu_mtu, 552);
	/* bogus ones */
	h_in(f, mk_frag_needed(f, 67, ip4(2), 1500, 28), 1);   /* < 68 */
	h_in(f, mk_frag_needed(f, 1500, ip4(2), 1500, 28), 1); /* >= ours */
	h_in(f, mk_frag_needed(f, 1400, ip4(9), 1500, 28), 1); /* not ours */
	h_in(f, mk_frag_needed(f, 1400, ip4(2), 1400, 28), 1); /* fits */
	h_in(f, mk_frag_needed(f, 1400, ip4(2), 1500, 19), 1); /* short */
	h_in(f, mk_frag_needed(f, 300, ip4(2), 552, 28), 1); /* 552 fits */
	CU_ASSERT_EQUAL(h.pmtu_n, 4);
	CU_ASSERT_EQUAL(ni.icmp.stats[ICMP_STAT_RX_FRAG_NEEDED], 4);
	CU_ASSERT_EQUAL(ni.icmp.stats[ICMP_STAT_RX_FRAG_NEEDED_BAD], 6);
	CU_ASSERT_EQUAL(h.nout, 0); /* never an error about an error */
	h_teardown();
}

/**
 * test_other_types() - errors and other types are counted, not answered
 */
static void test_other_types(void)
{
	static const uint8_t rest[4];
	uint8_t f[200], q[28] = {0x45};

	h_setup();
	h_learn(PEER_MAC, ip4(9), 0);
	h_in(f, mk_icmp(f, ip4(2), 11, 0, rest, q, 28), 1);
	h_in(f, mk_icmp(f, ip4(2), 3, 1, rest, q, 28), 1);
	h_in(f, mk_icmp(f, ip4(2), 5, 1, rest, q, 28), 1);
	h_in(f, mk_icmp(f, ip4(2), 0, 0, rest, q, 8), 1);
	h_in(f, mk_icmp(f, ip4(2), 13, 0, rest, q, 12), 1);
	h_in(f, mk_icmp(f, ip4(2), 200, 0, rest, q, 12), 1);
	CU_ASSERT_EQUAL(ni.icmp.stats[ICMP_STAT_RX], 6);
	CU_ASSERT_EQUAL(ni.icmp.stats[ICMP_STAT_RX_ERROR], 3);
	CU_ASSERT_EQUAL(ni.icmp.stats[ICMP_STAT_RX_OTHER], 3);
	CU_ASSERT_EQUAL(h.nout, 0);
	CU_ASSERT_STRING_EQUAL(icmp_stat_name(ICMP_STAT_TX_RATELIMITED),
			       "tx_ratelimited");
	CU_ASSERT_STRING_EQUAL(icmp_stat_name(ICMP_STAT__COUNT), "unknown");
	h_teardown();
}

/**
 * mk_unreach() - destination unreachable quoting a UDP or TCP datagram
 * @b:		buffer
 * @code:	its code
 * @proto:	protocol of the quoted datagram
 * @dst:	IP destination of the ICMP message
 * @src:	source of the quoted datagram
 * @sport:	its source port
 * @dport:	its destination port (at 192.0.2.1)
 *
 * Return: frame length
 */
static size_t mk_unreach(uint8_t *b, uint8_t code, uint8_t proto, be32_t dst,
			 be32_t src, uint16_t sport, uint16_t dport)
{
	static const uint8_t rest[4];
	uint8_t q[28] = {0x45, 0, 0, 28, 0, 1, 0, 0, 64, proto};

	memcpy(q + 12, &src, 4);
	memcpy(q + 16, (const uint8_t[]){192, 0, 2, 1}, 4);
	put16(q + 10, (uint16_t)~ref_csum(q, 20, 0));
	put16(q + 20, sport);
	put16(q + 22, dport);
	put16(q + 24, 8);
	return mk_icmp(b, dst, 3, code, rest, q, sizeof(q));
}

/**
 * mk_udp_unreach() - "port unreachable" quoting a UDP datagram
 * @b:		buffer
 * @dst:	IP destination of the ICMP message
 * @src:	source of the quoted datagram
 * @sport:	its source port
 * @dport:	its destination port (at 192.0.2.1)
 *
 * Return: frame length
 */
static size_t mk_udp_unreach(uint8_t *b, be32_t dst, be32_t src,
			     uint16_t sport, uint16_t dport)
{
	return mk_unreach(b, 3, 17, dst, src, sport, dport);
}

/**
 * test_udp_refused() - a port unreachable is an error for the UDP socket
 * connected to that port, once; nobody else's
 */
static void test_udp_refused(void)
{
	be32_t peer = wire_ip4(192, 0, 2, 1);
	uint8_t f[200];
	int s, s2;

	h_setup();
	s = udp_bind(&ni, 4000);
	s2 = udp_bind(&ni, 4001);
	CU_ASSERT_FATAL(s >= 0 && s2 >= 0);
	udp_set_peer(&ni, s, peer, 53);
	h_in(f, mk_udp_unreach(f, ip4(2), ip4(2), 4000, 53), 1);
	CU_ASSERT_EQUAL(udp_take_error(&ni, s), ECONNREFUSED);
	CU_ASSERT_EQUAL(udp_take_error(&ni, s), 0);
	/* not connected, another peer, not ours, sent to a broadcast */
	h_in(f, mk_udp_unreach(f, ip4(2), ip4(2), 4001, 53), 1);
	h_in(f, mk_udp_unreach(f, ip4(2), ip4(2), 4000, 54), 1);
	h_in(f, mk_udp_unreach(f, ip4(2), ip4(7), 4000, 53), 1);
	h_in(f, mk_udp_unreach(f, ip4(255), ip4(2), 4000, 53), 1);
	CU_ASSERT_EQUAL(udp_take_error(&ni, s), 0);
	CU_ASSERT_EQUAL(udp_take_error(&ni, s2), 0);
	CU_ASSERT_EQUAL(ni.udp.stats[UDP_STAT_RX_ICMP_ERR], 1);
	/* connecting elsewhere forgets an error about the old peer */
	h_in(f, mk_udp_unreach(f, ip4(2), ip4(2), 4000, 53), 1);
	udp_set_peer(&ni, s, peer, 54);
	CU_ASSERT_EQUAL(udp_take_error(&ni, s), 0);
	/* soft errors (host unreachable) are not the socket's; hard ones
	 * (communication prohibited) are */
	h_in(f, mk_unreach(f, 1, 17, ip4(2), ip4(2), 4000, 54), 1);
	CU_ASSERT_EQUAL(udp_take_error(&ni, s), 0);
	h_in(f, mk_unreach(f, 13, 17, ip4(2), ip4(2), 4000, 54), 1);
	CU_ASSERT_EQUAL(udp_take_error(&ni, s), EHOSTUNREACH);
	CU_ASSERT_EQUAL(h.unreach_n, 0); /* not TCP */
	CU_ASSERT_EQUAL(h.nout, 0);
	h_teardown();
}

/**
 * test_tcp_unreach() - destination unreachables quoting a TCP segment of
 * ours reach the unreach hook with the errno of their code
 */
static void test_tcp_unreach(void)
{
	static const struct {
		uint8_t code;
		int err;
	} want[] = {{0, ENETUNREACH},  {1, EHOSTUNREACH}, {2, ENOPROTOOPT},
		    {3, ECONNREFUSED}, {10, EHOSTUNREACH}, {13, EHOSTUNREACH}};
	uint8_t f[200];
	unsigned i;

	h_setup();
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		h_in(f, mk_unreach(f, want[i].code, 6, ip4(2), ip4(2), 4000,
				   80),
		     1);
		CU_ASSERT_EQUAL(h.unreach_n, i + 1);
		CU_ASSERT_EQUAL(h.unreach_err, want[i].err);
		CU_ASSERT(wire_eq32(h.unreach_dst, wire_ip4(192, 0, 2, 1)));
	}
	/* not about a datagram of ours, to a broadcast, an unknown code */
	h_in(f, mk_unreach(f, 1, 6, ip4(2), ip4(7), 4000, 80), 1);
	h_in(f, mk_unreach(f, 1, 6, ip4(255), ip4(2), 4000, 80), 1);
	h_in(f, mk_unreach(f, 16, 6, ip4(2), ip4(2), 4000, 80), 1);
	CU_ASSERT_EQUAL(h.unreach_n, i);
	CU_ASSERT_EQUAL(h.nout, 0);
	h_teardown();
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{"echo", test_echo},
		{"echo_drops", test_echo_drops},
		{"echo_fragmented", test_echo_fragmented},
		{"port_unreach", test_port_unreach},
		{"error_rules", test_error_rules},
		{"rate_limit", test_rate_limit},
		{"frag_needed", test_frag_needed},
		{"other_types", test_other_types},
		{"udp_refused", test_udp_refused},
		{"tcp_unreach", test_tcp_unreach},
	};

	return cunit_run("stack_icmp", tests, sizeof(tests) / sizeof(tests[0]),
			 NULL, NULL);
}
