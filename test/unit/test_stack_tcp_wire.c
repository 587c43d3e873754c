// SPDX-License-Identifier: MIT
/*
 * test_stack_tcp_wire.c - CUnit suite for TCP's small modules
 *
 * seq.h (wrap-around comparisons), tcp_wire (header and option parsing
 * against malformed input, writing, round trips), rto (RFC 6298 numbers,
 * bounds, backoff), cc_reno (RFC 5681 growth and reductions) and cc_cubic
 * (the window against RFC 9438's W_cubic(t) and its Reno-friendly region).
 */

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "cc.h"
#include "rto.h"
#include "seq.h"
#include "tcp_wire.h"

#include "../lib/cunit_run.h"

/**
 * test_seq() - comparisons across 2^32
 */
static void test_seq(void)
{
	CU_ASSERT(SEQ_LT(1, 2));
	CU_ASSERT(SEQ_LT(0xffffffffu, 0));
	CU_ASSERT(SEQ_GT(5, 0xfffffff0u));
	CU_ASSERT(SEQ_LEQ(7, 7));
	CU_ASSERT(SEQ_GEQ(7, 7));
	CU_ASSERT(!SEQ_LT(7, 7));
	CU_ASSERT(SEQ_LT(0x7fffffffu, 0x80000000u));
	CU_ASSERT_EQUAL(SEQ_MAX(0xfffffff0u, 3), 3);
	CU_ASSERT_EQUAL(SEQ_MIN(0xfffffff0u, 3), 0xfffffff0u);
	CU_ASSERT(seq_in(0, 0xfffffff0u, 16));
	CU_ASSERT(!seq_in(16, 0xfffffff0u, 16));
	CU_ASSERT(seq_in(0xfffffff0u, 0xfffffff0u, 16));
}

/**
 * test_opts_parse() - every known option, NOPs, EOL, unknown kinds
 */
static void test_opts_parse(void)
{
	static const uint8_t o[] = {
		2, 4, 0x05, 0xb4,		/* MSS 1460 */
		1, 3, 3, 7,			/* NOP, WS 7 */
		4, 2,				/* SACK-permitted */
		8, 10, 0, 0, 0, 1, 0, 0, 0, 2,	/* TS 1, 2 */
		1, 1, 5, 18, 0, 0, 0, 10, 0, 0, 0, 20,
		0, 0, 0, 30, 0, 0, 0, 40,	/* SACK 2 blocks */
		99, 3, 0,			/* unknown, skipped */
		0, 2, 4, 0x11, 0x11,		/* EOL: the rest ignored */
	};
	struct tcp_opts p;

	CU_ASSERT_EQUAL(tcp_wire_opts_parse(o, sizeof(o), &p), 0);
	CU_ASSERT_EQUAL(p.has, TCP_O_MSS | TCP_O_WS | TCP_O_SACKOK | TCP_O_TS |
				       TCP_O_SACK);
	CU_ASSERT_EQUAL(p.mss, 1460);
	CU_ASSERT_EQUAL(p.ws, 7);
	CU_ASSERT_EQUAL(p.tsval, 1);
	CU_ASSERT_EQUAL(p.tsecr, 2);
	CU_ASSERT_EQUAL(p.nsack, 2);
	CU_ASSERT_EQUAL(p.sack[0].start, 10);
	CU_ASSERT_EQUAL(p.sack[0].end, 20);
	CU_ASSERT_EQUAL(p.sack[1].start, 30);
	CU_ASSERT_EQUAL(p.sack[1].end, 40);
}

/**
 * test_opts_malformed() - lengths that lie are refused, never read past
 */
static void test_opts_malformed(void)
{
	static const uint8_t zero[] = {2, 0, 1, 1};
	static const uint8_t one[] = {8, 1, 1, 1};
	static const uint8_t past[] = {8, 10, 0, 0};
	static const uint8_t lone[] = {1, 1, 1, 2};
	static const uint8_t unk_past[] = {200, 5, 0, 0};
	static const uint8_t ws_big[] = {3, 3, 200, 0};
	static const uint8_t mss_bad[] = {2, 3, 1, 4, 2, 0, 0, 0};
	static const uint8_t sack_bad[] = {5, 6, 0, 0, 0, 1, 0, 0};
	static const uint8_t ts_bad[] = {8, 6, 0, 0, 0, 1, 0, 0};
	struct tcp_opts p;
	uint8_t heap[3];

	CU_ASSERT_EQUAL(tcp_wire_opts_parse(zero, sizeof(zero), &p), -EINVAL);
	CU_ASSERT_EQUAL(tcp_wire_opts_parse(one, sizeof(one), &p), -EINVAL);
	CU_ASSERT_EQUAL(tcp_wire_opts_parse(past, sizeof(past), &p), -EINVAL);
	CU_ASSERT_EQUAL(tcp_wire_opts_parse(lone, sizeof(lone), &p), -EINVAL);
	CU_ASSERT_EQUAL(tcp_wire_opts_parse(unk_past, sizeof(unk_past), &p),
			-EINVAL);
	/* an area of exactly 2 bytes holding half an MSS option */
	memcpy(heap, "\x02\x04\x05", 3);
	CU_ASSERT_EQUAL(tcp_wire_opts_parse(heap, 2, &p), -EINVAL);
	CU_ASSERT_EQUAL(tcp_wire_opts_parse(heap, 1, &p), -EINVAL);
	CU_ASSERT_EQUAL(tcp_wire_opts_parse(heap, 0, &p), 0);
	CU_ASSERT_EQUAL(p.has, 0);
	/* RFC 7323 2.3: shift above 14 is 14 */
	CU_ASSERT_EQUAL(tcp_wire_opts_parse(ws_big, sizeof(ws_big), &p), 0);
	CU_ASSERT_EQUAL(p.ws, 14);
	/* well framed, wrong size for the kind: ignored */
	CU_ASSERT_EQUAL(tcp_wire_opts_parse(mss_bad, sizeof(mss_bad), &p), 0);
	CU_ASSERT_EQUAL(p.has, TCP_O_SACKOK);
	CU_ASSERT_EQUAL(tcp_wire_opts_parse(sack_bad, sizeof(sack_bad), &p),
			0);
	CU_ASSERT_EQUAL(p.has, 0);
	CU_ASSERT_EQUAL(tcp_wire_opts_parse(ts_bad, sizeof(ts_bad), &p), 0);
	CU_ASSERT_EQUAL(p.has, 0);
}

/**
 * test_opts_write() - layouts, lengths, round trips, SACK fitting
 */
static void test_opts_write(void)
{
	struct tcp_opts o = {0}, p;
	uint8_t b[40];
	size_t n;
	unsigned i;

	/* SYN: MSS, WS, SACK-permitted + TS = 20 bytes */
	o.has = TCP_O_MSS | TCP_O_WS | TCP_O_SACKOK | TCP_O_TS;
	o.mss = 1460;
	o.ws = 7;
	o.tsval = 0x01020304;
	o.tsecr = 0;
	n = tcp_wire_opts_write(b, sizeof(b), &o);
	CU_ASSERT_EQUAL(n, 20);
	CU_ASSERT_EQUAL(n, tcp_wire_opts_len(&o));
	CU_ASSERT_EQUAL(b[0], TCP_OPT_MSS);
	CU_ASSERT_EQUAL(b[4], TCP_OPT_NOP);
	CU_ASSERT_EQUAL(b[8], TCP_OPT_SACKOK);
	CU_ASSERT_EQUAL(b[10], TCP_OPT_TS);
	CU_ASSERT_EQUAL(tcp_wire_opts_parse(b, n, &p), 0);
	CU_ASSERT_EQUAL(p.has, o.has);
	CU_ASSERT_EQUAL(p.mss, 1460);
	CU_ASSERT_EQUAL(p.ws, 7);
	CU_ASSERT_EQUAL(p.tsval, 0x01020304);
	/* too little room: nothing */
	CU_ASSERT_EQUAL(tcp_wire_opts_write(b, 19, &o), 0);

	/* TS + 4 SACK blocks do not fit: 3 are written (12 + 28 = 40) */
	memset(&o, 0, sizeof(o));
	o.has = TCP_O_TS | TCP_O_SACK;
	o.nsack = 4;
	for (i = 0; i < 4; i++) {
		o.sack[i].start = 100 * i;
		o.sack[i].end = 100 * i + 50;
	}
	n = tcp_wire_opts_write(b, sizeof(b), &o);
	CU_ASSERT_EQUAL(n, 40);
	CU_ASSERT_EQUAL(tcp_wire_opts_parse(b, n, &p), 0);
	CU_ASSERT_EQUAL(p.nsack, 3);
	CU_ASSERT_EQUAL(p.sack[2].start, 200);
	CU_ASSERT_EQUAL(p.sack[2].end, 250);
	/* without TS, all 4 fit: 4 + 32 = 36 */
	o.has = TCP_O_SACK;
	n = tcp_wire_opts_write(b, sizeof(b), &o);
	CU_ASSERT_EQUAL(n, 36);
	CU_ASSERT_EQUAL(tcp_wire_opts_parse(b, n, &p), 0);
	CU_ASSERT_EQUAL(p.nsack, 4);
	/* SACK-permitted alone */
	o.has = TCP_O_SACKOK;
	CU_ASSERT_EQUAL(tcp_wire_opts_write(b, sizeof(b), &o), 4);
	o.has = 0;
	CU_ASSERT_EQUAL(tcp_wire_opts_write(b, sizeof(b), &o), 0);
}

/**
 * test_header() - build and parse a header; data offset checks
 */
static void test_header(void)
{
	struct tcp_seg s = {0}, p;
	uint8_t b[100];
	size_t hl;

	s.sport = 1234;
	s.dport = 80;
	s.seq = 0xdeadbeef;
	s.ack = 0x01020304;
	s.flags = TCP_F_ACK | TCP_F_PSH;
	s.win = 65000;
	s.opts.has = TCP_O_TS;
	s.opts.tsval = 5;
	s.opts.tsecr = 6;
	hl = tcp_wire_build(b, sizeof(b), &s);
	CU_ASSERT_EQUAL(hl, 32);
	CU_ASSERT_EQUAL(b[0], 1234 >> 8);
	CU_ASSERT_EQUAL(b[4], 0xde);
	CU_ASSERT_EQUAL(b[12], 8 << 4);
	CU_ASSERT_EQUAL(b[13], TCP_F_ACK | TCP_F_PSH);
	memcpy(b + hl, "payload", 7);
	CU_ASSERT_EQUAL(tcp_wire_parse(b, hl + 7, &p), 0);
	CU_ASSERT_EQUAL(p.sport, 1234);
	CU_ASSERT_EQUAL(p.dport, 80);
	CU_ASSERT_EQUAL(p.seq, 0xdeadbeef);
	CU_ASSERT_EQUAL(p.ack, 0x01020304);
	CU_ASSERT_EQUAL(p.flags, TCP_F_ACK | TCP_F_PSH);
	CU_ASSERT_EQUAL(p.win, 65000);
	CU_ASSERT_EQUAL(p.opts.tsecr, 6);
	CU_ASSERT_EQUAL(p.len, 7);
	CU_ASSERT_PTR_EQUAL(p.data[0].base, b + hl);
	CU_ASSERT_EQUAL(memcmp(p.data[0].base, "payload", 7), 0);
	/* short, offset below 5, offset past the end */
	CU_ASSERT_EQUAL(tcp_wire_parse(b, 19, &p), -EINVAL);
	b[12] = 4 << 4;
	CU_ASSERT_EQUAL(tcp_wire_parse(b, 60, &p), -EINVAL);
	b[12] = 15 << 4;
	CU_ASSERT_EQUAL(tcp_wire_parse(b, 59, &p), -EINVAL);
	b[12] = 5 << 4;
	CU_ASSERT_EQUAL(tcp_wire_parse(b, 20, &p), 0);
	CU_ASSERT_EQUAL(p.len, 0);
	CU_ASSERT_EQUAL(tcp_wire_build(b, 31, &s), 0);
	/* network-order types: host value round trip */
	CU_ASSERT_EQUAL(tcp_ntoh32(tcp_hton32(0x11223344)), 0x11223344);
	CU_ASSERT_EQUAL(tcp_ntoh16(tcp_hton16(0xabcd)), 0xabcd);
}

/**
 * test_csum() - the checksum of a known segment (computed independently),
 * and a segment carrying its checksum sums to 0
 */
static void test_csum(void)
{
	struct tcp_seg s = {0};
	uint8_t b[64];
	uint16_t c;
	size_t hl;

	s.sport = 1234;
	s.dport = 80;
	s.seq = 0xdeadbeef;
	s.ack = 0x01020304;
	s.flags = TCP_F_ACK | TCP_F_PSH;
	s.win = 65000;
	hl = tcp_wire_build(b, sizeof(b), &s);
	memcpy(b + hl, "hello", 5);
	c = tcp_wire_csum4(0x0a000001, 0x0a000002, b, hl + 5);
	CU_ASSERT_EQUAL(c, 0xb344);
	b[16] = (uint8_t)(c >> 8);
	b[17] = (uint8_t)c;
	CU_ASSERT_EQUAL(tcp_wire_csum4(0x0a000001, 0x0a000002, b, hl + 5), 0);
	CU_ASSERT_NOT_EQUAL(tcp_wire_csum4(0x0a000001, 0x0a000003, b, hl + 5),
			    0);
}

/**
 * test_rto() - RFC 6298 2.2, 2.3, 2.4, 5.5
 */
static void test_rto(void)
{
	struct rto r;
	unsigned i;

	rto_init(&r, 200, 0);
	CU_ASSERT_EQUAL(rto_get(&r), 1000); /* 2.1 */
	/* 2.2: SRTT = R, RTTVAR = R/2, RTO = R + 4 * R/2 = 3R */
	rto_sample(&r, 100);
	CU_ASSERT_EQUAL(rto_srtt(&r), 100);
	CU_ASSERT_EQUAL(rto_get(&r), 300);
	/* 2.3 with R' = 100: RTTVAR = 3/4 * 50 = 37.5, SRTT = 100 */
	rto_sample(&r, 100);
	CU_ASSERT_EQUAL(rto_srtt(&r), 100);
	CU_ASSERT_EQUAL(rto_get(&r), 250); /* 100 + 4 * 37.5 */
	/* R' = 180: RTTVAR = 3/4 37.5 + 1/4 80 = 48.1; SRTT = 110 */
	rto_sample(&r, 180);
	CU_ASSERT_EQUAL(rto_srtt(&r), 110);
	CU_ASSERT(rto_get(&r) >= 301 && rto_get(&r) <= 303);
	/* 5.5 backoff doubles, up to the maximum */
	for (i = 0; i < 20; i++)
		rto_backoff(&r);
	CU_ASSERT_EQUAL(rto_get(&r), RTO_MAX_MS);
	/* a new sample undoes the backoff */
	rto_sample(&r, 110);
	CU_ASSERT(rto_get(&r) < 400);
	/* 2.4 floor: 1 s by default */
	rto_init(&r, 0, 0);
	rto_sample(&r, 1);
	CU_ASSERT_EQUAL(rto_get(&r), 1000);
	rto_init(&r, 200, 0);
	for (i = 0; i < 50; i++)
		rto_sample(&r, 1);
	CU_ASSERT_EQUAL(rto_get(&r), 200);
}

/**
 * test_reno() - RFC 5681: IW, slow start, CA, halving, loss window
 */
static void test_reno(void)
{
	struct cc c;
	unsigned i;

	cc_init(&c, &cc_reno_ops, 1000);
	CU_ASSERT_STRING_EQUAL(c.ops->name, "reno");
	CU_ASSERT_EQUAL(c.cwnd, 10000); /* RFC 6928 */
	CU_ASSERT_EQUAL(cc_initial_window(1460), 14600);
	CU_ASSERT_EQUAL(cc_initial_window(9000), 18000);
	/* slow start: + min(acked, 2 SMSS) per ACK (RFC 3465 L = 2) */
	c.ops->on_ack(&c, 1000, 0, 0);
	CU_ASSERT_EQUAL(c.cwnd, 11000);
	c.ops->on_ack(&c, 5000, 0, 0);
	CU_ASSERT_EQUAL(c.cwnd, 13000);
	/* loss: ssthresh = flight / 2 */
	c.ops->on_loss(&c, 12000, 0);
	CU_ASSERT_EQUAL(c.ssthresh, 6000);
	CU_ASSERT_EQUAL(c.cwnd, 6000);
	c.ops->on_exit(&c, 0);
	CU_ASSERT_EQUAL(c.cwnd, 6000);
	/* CA: one SMSS per cwnd of ACKed bytes */
	for (i = 0; i < 6; i++)
		c.ops->on_ack(&c, 1000, 0, 0);
	CU_ASSERT_EQUAL(c.cwnd, 7000);
	/* floor 2 SMSS; RTO: one segment */
	c.ops->on_rto(&c, 1000, 0);
	CU_ASSERT_EQUAL(c.ssthresh, 2000);
	CU_ASSERT_EQUAL(c.cwnd, 1000);
}

/**
 * cubic_w() - RFC 9438 eq. 1: W_cubic(t) = C (t - K)^3 + W_max
 * @t:		seconds
 * @k:		K
 * @wmax:	W_max
 *
 * Return: segments
 */
static double cubic_w(double t, double k, double wmax)
{
	double d = t - k;

	return CC_CUBIC_C * d * d * d + wmax;
}

/**
 * cubic_rtt() - one RTT of ACKs: cwnd segments ACKed one by one
 * @c:		state
 * @now:	time at the start of the RTT, ms
 * @rtt:	RTT, ms
 */
static void cubic_rtt(struct cc *c, uint64_t now, uint32_t rtt)
{
	unsigned n = c->cwnd / c->mss, i;

	for (i = 0; i < n; i++)
		c->ops->on_ack(c, c->mss, now + (uint64_t)rtt * i / n, rtt);
}

/**
 * test_cubic_curve() - after a loss at W_max = 100 segments the window
 * follows W_cubic(t): back at W_max at t = K, convex beyond
 */
static void test_cubic_curve(void)
{
	const uint32_t rtt = 100;
	struct cc c;
	uint64_t now = 1000, t0;
	double k, w, exp;
	unsigned r;

	CU_ASSERT(cc_cubic_cbrt(27.0) > 2.999999 && cc_cubic_cbrt(27.0) < 3.000001);
	CU_ASSERT(cc_cubic_cbrt(0.001) > 0.0999 && cc_cubic_cbrt(0.001) < 0.1001);
	CU_ASSERT_EQUAL(cc_cubic_cbrt(0), 0);

	cc_init(&c, &cc_cubic_ops, 1000);
	CU_ASSERT_STRING_EQUAL(c.ops->name, "cubic");
	c.cwnd = 100000;
	c.ssthresh = 50000;
	c.ops->on_loss(&c, 100000, now);
	/* 4.6: cwnd = ssthresh = 0.7 W_max */
	CU_ASSERT_EQUAL(c.cwnd, 70000);
	CU_ASSERT_EQUAL(c.ssthresh, 70000);
	c.ops->on_exit(&c, now);
	/* K = cbrt(W_max (1 - beta) / C) = cbrt(75) = 4.217 s */
	k = cc_cubic_cbrt(100 * (1 - CC_CUBIC_BETA) / CC_CUBIC_C);
	CU_ASSERT(k * k * k * CC_CUBIC_C > 29.99 && k * k * k * CC_CUBIC_C < 30.01);
	t0 = now;
	for (r = 0; r < 70; r++) {
		cubic_rtt(&c, now, rtt);
		now += rtt;
		/* the target is W_cubic(t + RTT), reached within an RTT */
		w = (double)c.cwnd / c.mss;
		exp = cubic_w((double)(now - t0) / 1000.0, k, 100);
		if (r >= 3 && r <= 60) {
			if (!(w > exp * 0.96 && w < exp * 1.04))
				fprintf(stderr, "\n  t %.1f s: cwnd %.2f, W_cubic %.2f",
					(now - t0) / 1000.0, w, exp);
			CU_ASSERT(w > exp * 0.96 && w < exp * 1.04);
		}
	}
	/* concave then plateau then convex: at 6 s, 0.4 * 1.78^3 above */
	CU_ASSERT(c.cwnd > 101000);
}

/**
 * test_cubic_friendly() - with a small W_max the Reno-friendly estimate
 * W_est (4.3) is above W_cubic and sets cwnd
 */
static void test_cubic_friendly(void)
{
	const uint32_t rtt = 100;
	double alpha = 3 * (1 - CC_CUBIC_BETA) / (1 + CC_CUBIC_BETA);
	struct cc c;
	uint64_t now = 1000, t0;
	double w, west, wc, k;
	unsigned r;

	cc_init(&c, &cc_cubic_ops, 1000);
	c.cwnd = 10000;
	c.ssthresh = 5000;
	c.ops->on_loss(&c, 10000, now);
	CU_ASSERT_EQUAL(c.cwnd, 7000);
	k = cc_cubic_cbrt(10 * (1 - CC_CUBIC_BETA) / CC_CUBIC_C);
	t0 = now;
	west = 7;
	for (r = 0; r < 5; r++) {
		unsigned n = c.cwnd / c.mss;

		cubic_rtt(&c, now, rtt);
		now += rtt;
		/* W_est += alpha * acked / cwnd per ACK: about alpha per RTT */
		west += alpha * n / ((double)c.cwnd / c.mss);
	}
	w = (double)c.cwnd / c.mss;
	wc = cubic_w((double)(now - t0) / 1000.0, k, 10);
	CU_ASSERT(w > wc + 0.3); /* above the cubic curve ... */
	CU_ASSERT(w > west - 0.3 && w < west + 0.3); /* ... on W_est */
	/* RTO: ssthresh from beta, one segment */
	c.ops->on_rto(&c, c.cwnd, now);
	CU_ASSERT_EQUAL(c.cwnd, 1000);
	CU_ASSERT(c.ssthresh >= 2000);
	/* slow start below ssthresh */
	c.ops->on_ack(&c, 1000, now, rtt);
	CU_ASSERT_EQUAL(c.cwnd, 2000);
}

/**
 * test_cubic_app_limited() - RFC 9438 5.8: t in W_cubic(t) MUST NOT count
 * the time the flow was limited by the application (TCP calls on_ack()
 * only while cwnd limits it): after 30 s without growth the window goes
 * on from where it was, not from W_cubic(30 s) (there the 1.5 cwnd
 * bound would let it grow by half in one RTT)
 */
static void test_cubic_app_limited(void)
{
	const uint32_t rtt = 100;
	struct cc a, b;
	uint64_t now = 1000;
	unsigned r;

	cc_init(&a, &cc_cubic_ops, 1000);
	a.cwnd = 100000;
	a.ops->on_loss(&a, 100000, now);
	a.ops->on_exit(&a, now);
	for (r = 0; r < 10; r++) {
		cubic_rtt(&a, now, rtt);
		now += rtt;
	}
	b = a;
	/* a: goes on at once; b: 30 s of application-limited time first */
	cubic_rtt(&a, now, rtt);
	cubic_rtt(&b, now + 30000, rtt);
	CU_ASSERT(b.cwnd < a.cwnd + a.mss);
	CU_ASSERT(b.cwnd > a.cwnd - a.mss);
	CU_ASSERT(b.cwnd < 95000); /* W_cubic(1.2 s) is about 89 */
}

/**
 * test_cc_bounds() - windows never pass CC_CWND_MAX, however long they grow
 */
static void test_cc_bounds(void)
{
	const struct cc_ops *ops[] = {&cc_reno_ops, &cc_cubic_ops};
	unsigned k, i;

	for (k = 0; k < 2; k++) {
		struct cc c;

		cc_init(&c, ops[k], 1460);
		for (i = 0; i < 200000; i++)
			c.ops->on_ack(&c, 65535, 1000 + i, 1);
		CU_ASSERT(c.cwnd <= CC_CWND_MAX);
		CU_ASSERT(c.cwnd >= CC_CWND_MAX / 2);
		c.ops->on_loss(&c, c.cwnd, 3000000);
		CU_ASSERT(c.ssthresh <= CC_CWND_MAX);
		CU_ASSERT(c.cwnd <= CC_CWND_MAX);
		for (i = 0; i < 100000; i++)
			c.ops->on_ack(&c, 65535, 3000000 + (uint64_t)i * 100,
				      1);
		CU_ASSERT(c.cwnd <= CC_CWND_MAX);
		/* an MSS of 48 (path MTU) on a huge window */
		c.mss = 48;
		c.ops->on_loss(&c, c.cwnd, 20000000);
		CU_ASSERT(c.ssthresh <= CC_CWND_MAX);
		c.ops->on_rto(&c, c.cwnd, 20000001);
		CU_ASSERT(c.cwnd >= 48 && c.cwnd <= 1460);
	}
}

/**
 * main() - run the suite
 *
 * Return: 0 when every assertion held, 1 otherwise
 */
int main(void)
{
	static const struct cunit_test tests[] = {
		{"sequence arithmetic", test_seq},
		{"option parsing", test_opts_parse},
		{"malformed options", test_opts_malformed},
		{"option writing", test_opts_write},
		{"header build and parse", test_header},
		{"checksum", test_csum},
		{"RTO (RFC 6298)", test_rto},
		{"NewReno (RFC 5681)", test_reno},
		{"CUBIC window curve (RFC 9438)", test_cubic_curve},
		{"CUBIC Reno-friendly region", test_cubic_friendly},
		{"CUBIC: application-limited time", test_cubic_app_limited},
		{"window bounds", test_cc_bounds},
	};

	return cunit_run("stack_tcp_wire", tests,
			 sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}
