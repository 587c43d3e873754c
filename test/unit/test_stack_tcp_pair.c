// SPDX-License-Identifier: MIT
/*
 * test_stack_tcp_pair.c - two TCP instances back to back over a lossy wire
 *
 * A connects to B's listener through an in-memory wire that serialises
 * every segment with tcp_wire_build() and parses it again with
 * tcp_wire_parse(), so the wire format is exercised too. Each direction is
 * a link with a rate, a propagation delay, a bounded queue (tail drop),
 * random loss and random extra delay (reordering), all from a seeded
 * xorshift generator: a failure replays exactly.
 *
 * The streams are generated from their byte offsets; the receiver checks
 * every byte as it reads it and hashes (FNV-1a 64) what it got, compared
 * with the hash of what was sent. After the transfer both sides close, the
 * one that closed first goes through TIME-WAIT, and the test checks that
 * every connection was released and no timer is left.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "tcp.h"
#include "tcp_wire.h"

#include "../lib/cunit_run.h"

#define PAIR_PKTS    4096
#define PAIR_PKT_MAX 1600
#define PAIR_RING    (256 * 1024)

#define ADDR_A 0x0a000001
#define ADDR_B 0x0a000002
#define PORT_A 40000
#define PORT_B 80

/**
 * struct pair_pkt - a segment on the wire
 * @at:		delivery time
 * @order:	sending order, to break ties of @at
 * @to_b:	direction
 * @len:	bytes in @buf
 * @buf:	TCP header, options, payload
 */
struct pair_pkt {
	uint64_t at;
	uint64_t order;
	bool to_b;
	uint32_t len;
	uint8_t buf[PAIR_PKT_MAX];
};

/**
 * struct pair_cfg - one scenario
 */
struct pair_cfg {
	uint32_t loss_ppm;	/* per million, both directions */
	uint32_t reorder_ppm;	/* extra delay of 1..4 ms */
	uint32_t bytes_ab;	/* A to B */
	uint32_t bytes_ba;	/* B to A */
	uint32_t rate;		/* bytes per ms */
	uint32_t delay_ms;	/* one way */
	uint32_t queue;		/* bytes queued per link at most */
	uint32_t iss_a, iss_b;
	uint64_t seed;
	bool no_sack, no_ts, no_ws, reno, nodelay;
	uint32_t pause_every;	/* B stops reading for pause_ms every N ms */
	uint32_t pause_ms;
	uint32_t rbuf;		/* ring sizes, 0 = PAIR_RING */
	bool simopen;		/* B connects to A too: no listener */
};

/**
 * struct pair_side - one end
 */
struct pair_side {
	struct tcp_conn *c;
	uint64_t sent, rcvd;	/* stream offsets */
	uint64_t h_sent, h_rcvd;
	uint32_t to_send;
	bool eof, closed_called, bad;
	uint32_t stream;	/* generator of the stream this side sends */
};

static struct pair_pkt *pkts;
static unsigned npkts;
static uint64_t now, rng, link_free[2]; /* link_free: us */
static struct pair_cfg cfg;
static struct tcp_conn conn_a, conn_b, lconn;
static uint8_t *ring[4];
static unsigned releases, allocs;
static bool b_allocated;
static struct pair_side sa, sb;
static uint64_t dropped, sent_pkts;
static bool pair_quiet;

/**
 * pair_rand() - xorshift64*
 *
 * Return: 64 random bits
 */
static uint64_t pair_rand(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

/**
 * pair_byte() - byte @i of stream @s
 * @s:	stream id
 * @i:	offset
 *
 * Return: the byte
 */
static uint8_t pair_byte(uint32_t s, uint64_t i)
{
	uint64_t x = (i >> 3) * 0x9E3779B97F4A7C15ULL + s * 0x632BE59BD9B4E019ULL;

	x ^= x >> 29;
	return (uint8_t)(x >> (8 * (i & 7)));
}

/**
 * pair_fnv() - FNV-1a over one more chunk
 * @h:	hash so far
 * @p:	bytes
 * @n:	how many
 *
 * Return: new hash
 */
static uint64_t pair_fnv(uint64_t h, const uint8_t *p, size_t n)
{
	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/**
 * pair_output() - ops->output: serialise onto the wire, maybe lose it
 * @ctx:	unused
 * @c:		sender (NULL for a stray reset)
 * @seg:	segment
 */
static void pair_output(void *ctx, struct tcp_conn *c, const struct tcp_seg *seg)
{
	struct pair_pkt *p;
	bool to_b = seg->saddr == ADDR_A;
	size_t hl;
	uint64_t t, ser;
	int d = to_b ? 0 : 1;

	(void)ctx;
	(void)c;
	sent_pkts++;
	if (pair_rand() % 1000000 < cfg.loss_ppm) {
		dropped++;
		return;
	}
	/* link: serialisation at rate (microseconds), bounded queue, tail
	 * drop */
	if (link_free[d] < now * 1000)
		link_free[d] = now * 1000;
	if ((link_free[d] - now * 1000) * cfg.rate / 1000 > cfg.queue) {
		dropped++;
		return;
	}
	CU_ASSERT_FATAL(npkts < PAIR_PKTS);
	p = &pkts[npkts++];
	hl = tcp_wire_build(p->buf, sizeof(p->buf), seg);
	CU_ASSERT_FATAL(hl >= 20);
	CU_ASSERT_FATAL(hl + seg->len <= sizeof(p->buf));
	if (seg->data[0].len)
		memcpy(p->buf + hl, seg->data[0].base, seg->data[0].len);
	if (seg->data[1].len)
		memcpy(p->buf + hl + seg->data[0].len, seg->data[1].base,
		       seg->data[1].len);
	p->len = (uint32_t)(hl + seg->len);
	{
		uint16_t ck = tcp_wire_csum4(seg->saddr, seg->daddr, p->buf,
					     p->len);

		p->buf[16] = (uint8_t)(ck >> 8);
		p->buf[17] = (uint8_t)ck;
	}
	/* an MSS-sized segment must fit a 1500-byte IP packet */
	CU_ASSERT(p->len + 20 <= 1500);
	ser = (uint64_t)p->len * 1000 / cfg.rate;
	link_free[d] += ser ? ser : 1;
	t = (link_free[d] + 999) / 1000 + cfg.delay_ms;
	if (pair_rand() % 1000000 < cfg.reorder_ppm)
		t += 1 + pair_rand() % 4;
	p->at = t;
	p->order = sent_pkts;
	p->to_b = to_b;
}

/**
 * pair_event() - ops->event: nothing to do, the loop polls
 * @ctx:	unused
 * @c:		connection
 * @ev:		events
 */
static void pair_event(void *ctx, struct tcp_conn *c, unsigned ev)
{
	(void)ctx;
	(void)c;
	(void)ev;
}

static const struct tcp_ops pair_ops;

/**
 * pair_cfg_tcp() - TCP settings of a scenario
 * @t:	filled in
 */
static void pair_cfg_tcp(struct tcp_cfg *t)
{
	tcp_cfg_default(t);
	t->use_sack = !cfg.no_sack;
	t->use_ts = !cfg.no_ts;
	t->use_ws = !cfg.no_ws;
	t->nodelay = cfg.nodelay;
	t->rto_min_ms = 200;
	t->cc = cfg.reno ? &cc_reno_ops : &cc_cubic_ops;
	t->msl_ms = 1000;
	t->backlog = 1;
}

/**
 * pair_accept_alloc() - ops->accept_alloc: B's one connection
 * @ctx:	unused
 * @lc:		listener
 * @syn:	the SYN
 * @iss:	B's ISS
 *
 * Return: conn_b, or NULL if it is taken
 */
static struct tcp_conn *pair_accept_alloc(void *ctx, struct tcp_conn *lc,
					  const struct tcp_seg *syn,
					  uint32_t *iss)
{
	struct tcp_cfg t;
	uint32_t rs = cfg.rbuf ? cfg.rbuf : PAIR_RING;

	(void)ctx;
	(void)lc;
	(void)syn;
	if (b_allocated)
		return NULL;
	b_allocated = true;
	allocs++;
	pair_cfg_tcp(&t);
	tcp_conn_init(&conn_b, &pair_ops, NULL, &t, ring[2], PAIR_RING, ring[3],
		      rs);
	*iss = cfg.iss_b;
	return &conn_b;
}

/**
 * pair_release() - ops->release
 * @ctx:	unused
 * @c:		connection
 */
static void pair_release(void *ctx, struct tcp_conn *c)
{
	(void)ctx;
	if (c == &conn_b)
		b_allocated = false;
	releases++;
}

static const struct tcp_ops pair_ops = {
	.output = pair_output,
	.event = pair_event,
	.accept_alloc = pair_accept_alloc,
	.release = pair_release,
};

/**
 * pair_deliver() - parse a wire packet and give it to its connection
 * @p:	packet
 */
static void pair_deliver(const struct pair_pkt *p)
{
	struct tcp_seg seg;
	struct tcp_conn *c;

	CU_ASSERT_FATAL(tcp_wire_parse(p->buf, p->len, &seg) == 0);
	seg.saddr = p->to_b ? ADDR_A : ADDR_B;
	seg.daddr = p->to_b ? ADDR_B : ADDR_A;
	CU_ASSERT(tcp_wire_csum4(seg.saddr, seg.daddr, p->buf, p->len) == 0);
	if (p->to_b) {
		if (b_allocated && !conn_b.released)
			c = &conn_b;
		else if (lconn.state == TCP_LISTEN)
			c = &lconn;
		else
			c = NULL;
	} else {
		c = conn_a.released ? NULL : &conn_a;
	}
	if (c)
		tcp_input(c, &seg, now);
	else
		tcp_input_nomatch(&pair_ops, NULL, &seg);
}

/**
 * pair_pump() - let one side's application send and read
 * @s:		side
 * @reading:	whether it reads now
 */
static void pair_pump(struct pair_side *s, bool reading)
{
	static uint8_t buf[65536];
	struct tcp_conn *c = s->c;
	size_t n, i;

	if (!c || c->state == TCP_CLOSED)
		return;
	while (s->sent < s->to_send) {
		size_t want = s->to_send - s->sent, room = tcp_writable(c);

		if (want > sizeof(buf))
			want = sizeof(buf);
		if (want > room)
			want = room;
		if (!want)
			break;
		for (i = 0; i < want; i++)
			buf[i] = pair_byte(s->stream, s->sent + i);
		n = tcp_send(c, buf, want, now);
		s->h_sent = pair_fnv(s->h_sent, buf, n);
		s->sent += n;
		if (n < want)
			break;
	}
	if (s->sent == s->to_send && !s->closed_called &&
	    (c->state == TCP_ESTABLISHED || c->state == TCP_CLOSE_WAIT)) {
		if (tcp_shutdown(c, now) == 0)
			s->closed_called = true;
	}
	while (reading && (n = tcp_recv(c, buf, sizeof(buf), now))) {
		for (i = 0; i < n; i++)
			if (buf[i] != pair_byte(s->stream ^ 1, s->rcvd + i))
				s->bad = true;
		s->h_rcvd = pair_fnv(s->h_rcvd, buf, n);
		s->rcvd += n;
	}
	if (tcp_eof(c))
		s->eof = true;
}

/**
 * pair_run() - run a scenario to its end and check everything
 * @pc:	scenario
 */
static void pair_run(const struct pair_cfg *pc)
{
	struct tcp_cfg t;
	uint64_t h0 = 0xcbf29ce484222325ULL, limit;
	unsigned i, steps = 0;
	uint32_t rs;

	cfg = *pc;
	if (!cfg.rate)
		cfg.rate = 12500; /* 100 Mbit/s */
	if (!cfg.queue)
		cfg.queue = 200000;
	if (!cfg.delay_ms)
		cfg.delay_ms = 5;
	rs = cfg.rbuf ? cfg.rbuf : PAIR_RING;
	rng = cfg.seed ? cfg.seed : 88172645463325252ULL;
	now = 1000;
	npkts = 0;
	link_free[0] = link_free[1] = 0;
	releases = allocs = 0;
	b_allocated = false;
	dropped = sent_pkts = 0;
	memset(&sa, 0, sizeof(sa));
	memset(&sb, 0, sizeof(sb));
	sa.h_sent = sa.h_rcvd = sb.h_sent = sb.h_rcvd = h0;
	sa.to_send = cfg.bytes_ab;
	sb.to_send = cfg.bytes_ba;
	sa.stream = 2;
	sb.stream = 3;

	pair_cfg_tcp(&t);
	tcp_conn_init(&lconn, &pair_ops, NULL, &t, ring[2], PAIR_RING, ring[3],
		      rs);
	if (!cfg.simopen)
		CU_ASSERT_FATAL(tcp_listen(&lconn, ADDR_B, PORT_B) == 0);
	tcp_conn_init(&conn_a, &pair_ops, NULL, &t, ring[0], PAIR_RING, ring[1],
		      rs);
	sa.c = &conn_a;
	CU_ASSERT_FATAL(tcp_connect(&conn_a, ADDR_A, PORT_A, ADDR_B, PORT_B,
				    cfg.iss_a, now) == 0);
	if (cfg.simopen) {
		/* both ends open actively at the same time: SYNs cross */
		tcp_conn_init(&conn_b, &pair_ops, NULL, &t, ring[2], PAIR_RING,
			      ring[3], rs);
		b_allocated = true;
		allocs++;
		sb.c = &conn_b;
		CU_ASSERT_FATAL(tcp_connect(&conn_b, ADDR_B, PORT_B, ADDR_A,
					    PORT_A, cfg.iss_b, now) == 0);
	}

	limit = now + 900000; /* 15 simulated minutes */
	while (now < limit) {
		uint64_t next = UINT64_MAX, d;
		bool b_reads = true;
		unsigned best = 0;

		steps++;
		if (!sb.c) {
			struct tcp_conn *acc = tcp_accept(&lconn);

			if (acc) {
				CU_ASSERT(acc == &conn_b);
				sb.c = acc;
				/* one connection only: the listener goes */
				tcp_close(&lconn, now);
			}
		}
		if (cfg.pause_every &&
		    (now % cfg.pause_every) < cfg.pause_ms)
			b_reads = false;
		pair_pump(&sa, true);
		pair_pump(&sb, b_reads);

		if (sa.c && sa.c->state == TCP_CLOSED && !sa.c->user_closed) {
			tcp_close(sa.c, now);
		}
		if (sb.c && sb.c->state == TCP_CLOSED && !sb.c->user_closed)
			tcp_close(sb.c, now);
		/* close for good once both directions ended */
		if (sa.eof && sa.closed_called && !sa.c->user_closed)
			tcp_close(sa.c, now);
		if (sb.c && sb.eof && sb.closed_called && !sb.c->user_closed)
			tcp_close(sb.c, now);
		if (conn_a.released && sb.c && conn_b.released && npkts == 0)
			break;

		for (i = 0; i < npkts; i++)
			if (pkts[i].at < next ||
			    (pkts[i].at == next &&
			     pkts[i].order < pkts[best].order)) {
				next = pkts[i].at;
				best = i;
			}
		if (!conn_a.released) {
			d = tcp_next_deadline(&conn_a);
			if (d < next)
				next = d;
		}
		if (b_allocated && !conn_b.released) {
			d = tcp_next_deadline(&conn_b);
			if (d < next)
				next = d;
		}
		if (lconn.state == TCP_LISTEN) {
			d = tcp_next_deadline(&lconn);
			if (d < next)
				next = d;
		}
		if (cfg.pause_every) {
			/* wake up when reading resumes */
			d = now - now % cfg.pause_every + cfg.pause_ms;
			if (d <= now)
				d = now - now % cfg.pause_every +
				    cfg.pause_every;
			if (d < next)
				next = d;
		}
		if (next == UINT64_MAX)
			break;
		if (next > now)
			now = next;
		if (npkts && pkts[best].at <= now) {
			struct pair_pkt p = pkts[best];

			pkts[best] = pkts[--npkts];
			pair_deliver(&p);
			continue;
		}
		if (!conn_a.released && tcp_next_deadline(&conn_a) <= now)
			tcp_timer(&conn_a, now);
		if (b_allocated && !conn_b.released &&
		    tcp_next_deadline(&conn_b) <= now)
			tcp_timer(&conn_b, now);
	}
	if (now >= limit || !sb.c)
		fprintf(stderr, "\n  stuck: A %s una %u nxt %u max %u end %u "
				"wnd %u cwnd %u | B %s rcvd %llu/%u\n",
			tcp_state_name(conn_a.state), conn_a.snd_una,
			conn_a.snd_nxt, conn_a.snd_max, conn_a.snd_end,
			conn_a.snd_wnd, conn_a.cc.cwnd,
			tcp_state_name(conn_b.state),
			(unsigned long long)sb.rcvd, cfg.bytes_ab);
	if (!pair_quiet)
		fprintf(stderr, " [%llu ms, %u steps, %llu pkts, %llu lost, A: %llu "
			"rexmit %llu fast %llu rto | B: %llu rexmit]",
		(unsigned long long)(now - 1000), steps,
		(unsigned long long)sent_pkts, (unsigned long long)dropped,
		(unsigned long long)conn_a.stats.rexmit_segs,
		(unsigned long long)conn_a.stats.fast_rexmits,
		(unsigned long long)conn_a.stats.rtos,
		(unsigned long long)conn_b.stats.rexmit_segs);
	CU_ASSERT_FATAL(sb.c != NULL);
	CU_ASSERT(now < limit);
	CU_ASSERT(!sa.bad);
	CU_ASSERT(!sb.bad);
	CU_ASSERT_EQUAL(sb.rcvd, cfg.bytes_ab);
	CU_ASSERT_EQUAL(sa.rcvd, cfg.bytes_ba);
	CU_ASSERT_EQUAL(sb.h_rcvd, sa.h_sent);
	CU_ASSERT_EQUAL(sa.h_rcvd, sb.h_sent);
	CU_ASSERT(sa.eof);
	CU_ASSERT(sb.eof);
	CU_ASSERT_EQUAL(conn_a.err, 0);
	CU_ASSERT_EQUAL(conn_b.err, 0);
	/* everything released: A, B and the listener */
	CU_ASSERT(conn_a.released);
	CU_ASSERT(conn_b.released);
	CU_ASSERT(lconn.released || cfg.simopen);
	CU_ASSERT_EQUAL(releases, cfg.simopen ? 2 : 3);
	CU_ASSERT_EQUAL(allocs, 1);
	CU_ASSERT_EQUAL(tcp_next_deadline(&conn_a), UINT64_MAX);
	CU_ASSERT_EQUAL(tcp_next_deadline(&conn_b), UINT64_MAX);
	CU_ASSERT_EQUAL(npkts, 0);
}

/**
 * test_clean() - no loss, one direction, 4 MB
 */
static void test_clean(void)
{
	struct pair_cfg c = {.bytes_ab = 4 << 20, .iss_a = 1000,
			     .iss_b = 5000000, .queue = 4 << 20};

	pair_run(&c);
	CU_ASSERT_EQUAL(conn_a.stats.rexmit_segs, 0);
}

/**
 * test_loss_01() - 0.1% loss, 1% reordering, both directions, 4 MB each
 */
static void test_loss_01(void)
{
	struct pair_cfg c = {.loss_ppm = 1000, .reorder_ppm = 10000,
			     .bytes_ab = 4 << 20, .bytes_ba = 4 << 20,
			     .iss_a = 0xfffff000u, .iss_b = 0x7ffffff0u,
			     .seed = 1};

	pair_run(&c);
}

/**
 * test_loss_2() - 2% loss, 2% reordering, both directions, 3 MB each
 */
static void test_loss_2(void)
{
	struct pair_cfg c = {.loss_ppm = 20000, .reorder_ppm = 20000,
			     .bytes_ab = 3 << 20, .bytes_ba = 3 << 20,
			     .iss_a = 0xffffffffu, .iss_b = 0xfff00000u,
			     .seed = 2};

	pair_run(&c);
	CU_ASSERT(conn_a.stats.fast_rexmits > 0);
}

/**
 * test_loss_2_newreno() - 2% loss without SACK and timestamps, Reno
 */
static void test_loss_2_newreno(void)
{
	struct pair_cfg c = {.loss_ppm = 20000, .reorder_ppm = 5000,
			     .bytes_ab = 2 << 20, .bytes_ba = 256 << 10,
			     .iss_a = 0xfffff000u, .iss_b = 77,
			     .no_sack = true, .no_ts = true, .reno = true,
			     .seed = 3};

	pair_run(&c);
}

/**
 * test_loss_2_noopts() - 2% loss, no options at all (536-byte MSS)
 */
static void test_loss_2_noopts(void)
{
	struct pair_cfg c = {.loss_ppm = 20000, .bytes_ab = 1 << 20,
			     .bytes_ba = 1 << 20, .iss_a = 5, .iss_b = 6,
			     .no_sack = true, .no_ts = true, .no_ws = true,
			     .seed = 4, .rbuf = 65536};

	pair_run(&c);
}

/**
 * test_slow_reader() - B stops reading 300 ms out of every second: zero
 * windows, probes and window updates, with 0.1% loss
 */
static void test_slow_reader(void)
{
	struct pair_cfg c = {.loss_ppm = 1000, .bytes_ab = 3 << 20,
			     .iss_a = 0x80000000u, .iss_b = 0xfffffff0u,
			     .pause_every = 1000, .pause_ms = 300,
			     .rbuf = 32768, .seed = 5};

	pair_run(&c);
	CU_ASSERT(conn_a.stats.persist_probes > 0);
}

/**
 * test_nodelay_small_ring() - TCP_NODELAY, small rings, 2% loss
 */
static void test_nodelay_small_ring(void)
{
	struct pair_cfg c = {.loss_ppm = 20000, .reorder_ppm = 20000,
			     .bytes_ab = 1 << 20, .bytes_ba = 1 << 20,
			     .nodelay = true, .rbuf = 16384, .iss_a = 1,
			     .iss_b = 2, .seed = 6};

	pair_run(&c);
}

/**
 * test_simultaneous_open() - both ends connect at once (RFC 9293 3.5
 * figure 7), then 1 MB each way with 1% loss
 */
static void test_simultaneous_open(void)
{
	struct pair_cfg c = {.simopen = true, .loss_ppm = 10000,
			     .bytes_ab = 1 << 20, .bytes_ba = 1 << 20,
			     .iss_a = 0xfffffff0u, .iss_b = 100, .seed = 7};
	unsigned i;

	pair_run(&c);
	/* and with SYNs or SYN-ACKs lost: 20 seeds of 20% loss, small */
	pair_quiet = true;
	for (i = 0; i < 20 && !CU_get_number_of_failures(); i++) {
		c.loss_ppm = 200000;
		c.bytes_ab = 2000;
		c.bytes_ba = 3000;
		c.seed = 100 + i;
		pair_run(&c);
	}
	pair_quiet = false;
}

/**
 * test_seeds() - 640 seeds of 2-5% loss and reordering, ISS anywhere,
 * options varied: 256 KB each way
 */
static void test_seeds(void)
{
	unsigned i;

	pair_quiet = true;
	for (i = 0; i < 640; i++) {
		struct pair_cfg c = {.loss_ppm = 20000 + 1000 * (i % 31),
				     .reorder_ppm = 30000,
				     .bytes_ab = 256 << 10,
				     .bytes_ba = (i % 3) ? 256 << 10 : 100,
				     .iss_a = (uint32_t)(0xfffffffu * i * 37),
				     .iss_b = 0u - (uint32_t)i * 1000,
				     .no_sack = i % 4 == 1, .no_ts = i % 5 == 2,
				     .reno = i % 2, .nodelay = i % 3 == 0,
				     .rbuf = i % 2 ? 65536 : 0,
				     .seed = 1000 + i};

		pair_run(&c);
		if (CU_get_number_of_failures()) {
			fprintf(stderr, " seed %u failed", i);
			break;
		}
	}
	pair_quiet = false;
}

/**
 * test_random_configs() - 1000 drawn scenarios: 0-15% loss, 0-10%
 * reordering, rings of 4 KiB to 256 KiB, 1-21 MB/s links with 1-50 ms
 * delay, a reader that pauses or not, any mix of options, any ISS
 */
static void test_random_configs(void)
{
	unsigned i;

	pair_quiet = true;
	for (i = 0; i < 1000; i++) {
		uint64_t r = (uint64_t)(i + 1) * 0x9E3779B97F4A7C15ULL;
		struct pair_cfg c = {
			.loss_ppm = (uint32_t)(r % 150000),
			.reorder_ppm = (uint32_t)((r >> 8) % 100000),
			.bytes_ab = (uint32_t)((r >> 16) % 300000),
			.bytes_ba = (uint32_t)((r >> 24) % 300000),
			.iss_a = (uint32_t)(r >> 32),
			.iss_b = (uint32_t)(r >> 20),
			.no_sack = (r >> 40) & 1,
			.no_ts = (r >> 41) & 1,
			.no_ws = (r >> 42) & 1,
			.reno = (r >> 43) & 1,
			.nodelay = (r >> 44) & 1,
			.rbuf = 4096u << ((r >> 45) % 7),
			.pause_every = (r >> 48) & 1 ? 700 : 0,
			.pause_ms = 200,
			.rate = 1000 + (uint32_t)((r >> 50) % 20000),
			.delay_ms = 1 + (uint32_t)((r >> 52) % 50),
			.seed = 5000 + i,
		};

		pair_run(&c);
		if (CU_get_number_of_failures()) {
			fprintf(stderr, " configuration %u failed", i);
			break;
		}
	}
	pair_quiet = false;
}

/*
 * Many short connections: clients open one connection each from ports
 * 40000 + n, send a request whose first four bytes give its length, the
 * server answers with a response derived from n and closes first (so it
 * holds TIME-WAIT), the client reads to the end and closes. The listener
 * stays open throughout and its children come from a fixed pool.
 */
#define MS_CLIENTS 8
#define MS_SERVERS 24
#define MS_RING	   16384

/**
 * struct ms_end - one end of a short connection
 * @c:		the connection
 * @used:	slot taken (until released)
 * @n:		connection number
 * @want:	bytes expected (request or response)
 * @got:	bytes received
 * @sent:	bytes sent
 * @len:	bytes to send
 * @bad:	a received byte was wrong
 * @closed:	tcp_close() called
 */
struct ms_end {
	struct tcp_conn c;
	bool used;
	uint32_t n, want, got, sent, len;
	bool bad, closed;
};

static struct ms_end ms_cli[MS_CLIENTS], ms_srv[MS_SERVERS];
static uint8_t ms_rings[MS_CLIENTS + MS_SERVERS][2][MS_RING];
static unsigned ms_done, ms_allocs, ms_releases;
static struct tcp_conn ms_lis;

static const struct tcp_ops ms_ops;

/**
 * ms_cfg() - settings of both ends
 * @t:	filled in
 */
static void ms_cfg(struct tcp_cfg *t)
{
	tcp_cfg_default(t);
	t->rto_min_ms = 200;
	t->msl_ms = 500;
	t->backlog = 8;
	t->nodelay = true;
}

/**
 * ms_accept_alloc() - a server slot for a SYN
 * @ctx:	unused
 * @lc:		listener
 * @syn:	the SYN
 * @iss:	ISS
 *
 * Return: the slot's connection, NULL when all are busy
 */
static struct tcp_conn *ms_accept_alloc(void *ctx, struct tcp_conn *lc,
					const struct tcp_seg *syn,
					uint32_t *iss)
{
	struct tcp_cfg t;
	unsigned i;

	(void)ctx;
	(void)lc;
	for (i = 0; i < MS_SERVERS; i++) {
		struct ms_end *e = &ms_srv[i];

		if (e->used)
			continue;
		memset(e, 0, sizeof(*e));
		e->used = true;
		e->n = syn->sport - PORT_A;
		e->want = 4; /* the length comes first */
		ms_cfg(&t);
		tcp_conn_init(&e->c, &ms_ops, NULL, &t,
			      ms_rings[MS_CLIENTS + i][0], MS_RING,
			      ms_rings[MS_CLIENTS + i][1], MS_RING);
		*iss = (uint32_t)pair_rand();
		ms_allocs++;
		return &e->c;
	}
	return NULL;
}

/**
 * ms_release() - ops->release: the slot is free again
 * @ctx:	unused
 * @c:		connection
 */
static void ms_release(void *ctx, struct tcp_conn *c)
{
	struct ms_end *e = (struct ms_end *)c;

	(void)ctx;
	ms_releases++;
	if (c == &ms_lis)
		return;
	CU_ASSERT(e->used);
	CU_ASSERT(!e->bad);
	if (e >= ms_cli && e < ms_cli + MS_CLIENTS) {
		/* a client finished: all of the response was there */
		CU_ASSERT_EQUAL(e->got, e->want);
		CU_ASSERT_EQUAL(e->c.err, 0);
		ms_done++;
	}
	e->used = false;
}

static const struct tcp_ops ms_ops = {
	.output = pair_output,
	.event = pair_event,
	.accept_alloc = ms_accept_alloc,
	.release = ms_release,
};

/**
 * ms_deliver() - demultiplex a wire packet by port
 * @p:	packet
 */
static void ms_deliver(const struct pair_pkt *p)
{
	struct tcp_conn *c = NULL;
	struct tcp_seg seg;
	unsigned i;

	CU_ASSERT_FATAL(tcp_wire_parse(p->buf, p->len, &seg) == 0);
	seg.saddr = p->to_b ? ADDR_A : ADDR_B;
	seg.daddr = p->to_b ? ADDR_B : ADDR_A;
	if (p->to_b) {
		for (i = 0; i < MS_SERVERS && !c; i++)
			if (ms_srv[i].used && !ms_srv[i].c.released &&
			    ms_srv[i].c.rport == seg.sport)
				c = &ms_srv[i].c;
		if (!c)
			c = &ms_lis;
	} else {
		for (i = 0; i < MS_CLIENTS && !c; i++)
			if (ms_cli[i].used && !ms_cli[i].c.released &&
			    ms_cli[i].c.lport == seg.dport)
				c = &ms_cli[i].c;
	}
	if (c)
		tcp_input(c, &seg, now);
	else
		tcp_input_nomatch(&ms_ops, NULL, &seg);
}

/**
 * ms_io() - let one end's application send, read and close
 * @e:		end
 * @server:	whether it is the server side
 */
static void ms_io(struct ms_end *e, bool server)
{
	uint8_t buf[4096];
	size_t n, i;

	if (!e->used || e->c.released || e->closed)
		return;
	if (e->c.state == TCP_CLOSED) {
		e->closed = true;
		tcp_close(&e->c, now);
		return;
	}
	while (e->sent < e->len) {
		size_t k = e->len - e->sent < sizeof(buf) ? e->len - e->sent
							  : sizeof(buf);

		for (i = 0; i < k; i++) {
			uint32_t off = e->sent + (uint32_t)i;

			buf[i] = !server && off < 4 ? (uint8_t)(e->len >> (8 * off))
						    : pair_byte(e->n + server, off);
		}
		n = tcp_send(&e->c, buf, k, now);
		e->sent += (uint32_t)n;
		if (n < k)
			break;
	}
	while ((n = tcp_recv(&e->c, buf, sizeof(buf), now))) {
		for (i = 0; i < n; i++) {
			uint32_t off = e->got + (uint32_t)i;

			if (server && off < 4)
				e->want = (off ? e->want : 0) |
					  (uint32_t)buf[i] << (8 * off);
			else if (buf[i] != pair_byte(e->n + !server, off))
				e->bad = true;
		}
		e->got += (uint32_t)n;
	}
	if (server && !e->len && e->got >= 4 && e->got == e->want) {
		/* the whole request is in: answer */
		e->len = 1 + (e->n * 7919) % 30000;
		ms_io(e, server);
		return;
	}
	if (server && e->len && e->sent == e->len) {
		/* all of the answer queued: close first */
		tcp_close(&e->c, now);
		e->closed = true;
		return;
	}
	if (!server && tcp_eof(&e->c)) {
		tcp_close(&e->c, now);
		e->closed = true;
	}
}

/**
 * test_many_short() - 200 request/response connections, 8 at a time,
 * over a wire with 1% loss; the listener and its pool serve them all
 */
static void test_many_short(void)
{
	const unsigned total = 200;
	struct tcp_cfg t;
	unsigned started = 0, i, guard;

	memset(&cfg, 0, sizeof(cfg));
	cfg.loss_ppm = 10000;
	cfg.reorder_ppm = 10000;
	cfg.rate = 12500;
	cfg.queue = 200000;
	cfg.delay_ms = 2;
	rng = 12345;
	now = 1000;
	npkts = 0;
	link_free[0] = link_free[1] = 0;
	memset(ms_cli, 0, sizeof(ms_cli));
	memset(ms_srv, 0, sizeof(ms_srv));
	ms_done = ms_allocs = ms_releases = 0;
	ms_cfg(&t);
	tcp_conn_init(&ms_lis, &ms_ops, NULL, &t, NULL, 0, NULL, 0);
	CU_ASSERT_FATAL(tcp_listen(&ms_lis, ADDR_B, PORT_B) == 0);

	for (guard = 0; guard < 2000000 && ms_done < total; guard++) {
		uint64_t next = UINT64_MAX, d;
		unsigned best = 0;

		/* start connections in free client slots */
		for (i = 0; i < MS_CLIENTS && started < total; i++) {
			struct ms_end *e = &ms_cli[i];

			if (e->used)
				continue;
			memset(e, 0, sizeof(*e));
			e->used = true;
			e->n = started++;
			e->len = 4 + (e->n * 104729) % 20000;
			e->want = 1 + (e->n * 7919) % 30000;
			tcp_conn_init(&e->c, &ms_ops, NULL, &t, ms_rings[i][0],
				      MS_RING, ms_rings[i][1], MS_RING);
			CU_ASSERT_FATAL(tcp_connect(&e->c, ADDR_A,
						    (uint16_t)(PORT_A + e->n),
						    ADDR_B, PORT_B,
						    (uint32_t)pair_rand(),
						    now) == 0);
		}
		for (i = 0; i < MS_CLIENTS; i++)
			ms_io(&ms_cli[i], false);
		for (i = 0; i < MS_SERVERS; i++)
			ms_io(&ms_srv[i], true);
		while (tcp_accept(&ms_lis))
			; /* the pool's slots are the server's own */

		for (i = 0; i < npkts; i++)
			if (pkts[i].at < next ||
			    (pkts[i].at == next &&
			     pkts[i].order < pkts[best].order)) {
				next = pkts[i].at;
				best = i;
			}
		for (i = 0; i < MS_CLIENTS + MS_SERVERS; i++) {
			struct ms_end *e = i < MS_CLIENTS ? &ms_cli[i]
							  : &ms_srv[i - MS_CLIENTS];

			if (!e->used || e->c.released)
				continue;
			d = tcp_next_deadline(&e->c);
			if (d < next)
				next = d;
		}
		if (next == UINT64_MAX)
			break;
		if (next > now)
			now = next;
		if (npkts && pkts[best].at <= now) {
			struct pair_pkt pk = pkts[best];

			pkts[best] = pkts[--npkts];
			ms_deliver(&pk);
			continue;
		}
		for (i = 0; i < MS_CLIENTS + MS_SERVERS; i++) {
			struct ms_end *e = i < MS_CLIENTS ? &ms_cli[i]
							  : &ms_srv[i - MS_CLIENTS];

			if (e->used && !e->c.released &&
			    tcp_next_deadline(&e->c) <= now)
				tcp_timer(&e->c, now);
		}
	}
	CU_ASSERT_EQUAL(ms_done, total);
	/* let the servers' TIME-WAITs run out */
	for (guard = 0; guard < 100000; guard++) {
		uint64_t next = UINT64_MAX;

		for (i = 0; i < MS_SERVERS; i++)
			if (ms_srv[i].used && !ms_srv[i].c.released &&
			    tcp_next_deadline(&ms_srv[i].c) < next)
				next = tcp_next_deadline(&ms_srv[i].c);
		if (next == UINT64_MAX)
			break;
		now = next > now ? next : now;
		for (i = 0; i < MS_SERVERS; i++)
			if (ms_srv[i].used && !ms_srv[i].c.released &&
			    tcp_next_deadline(&ms_srv[i].c) <= now)
				tcp_timer(&ms_srv[i].c, now);
		npkts = 0; /* last ACKs: nobody is left to get them */
	}
	for (i = 0; i < MS_SERVERS; i++)
		CU_ASSERT(!ms_srv[i].used);
	CU_ASSERT_EQUAL(ms_lis.qlen, 0);
	tcp_close(&ms_lis, now);
	CU_ASSERT(ms_lis.released);
	/* every server connection made was released, and every client */
	CU_ASSERT_EQUAL(ms_releases, ms_allocs + total + 1);
	if (!pair_quiet)
		fprintf(stderr, " [%llu ms, %u server connections]",
			(unsigned long long)(now - 1000), ms_allocs);
}

/**
 * pair_init() - rings and the packet pool
 *
 * Return: 0, -1 without memory
 */
static int pair_init(void)
{
	unsigned i;

	pkts = calloc(PAIR_PKTS, sizeof(*pkts));
	for (i = 0; i < 4; i++)
		ring[i] = malloc(PAIR_RING);
	return pkts && ring[0] && ring[1] && ring[2] && ring[3] ? 0 : -1;
}

/**
 * pair_clean() - free what pair_init() took
 *
 * Return: 0
 */
static int pair_clean(void)
{
	unsigned i;

	free(pkts);
	for (i = 0; i < 4; i++)
		free(ring[i]);
	return 0;
}

/**
 * main() - run the suite
 *
 * Return: 0 when every assertion held, 1 otherwise
 */
int main(void)
{
	static const struct cunit_test tests[] = {
		{"clean 4 MB", test_clean},
		{"0.1% loss, reordering, both ways", test_loss_01},
		{"2% loss, reordering, both ways", test_loss_2},
		{"2% loss, NewReno without SACK", test_loss_2_newreno},
		{"2% loss, no options", test_loss_2_noopts},
		{"slow reader: zero window", test_slow_reader},
		{"nodelay, small rings, 2% loss", test_nodelay_small_ring},
		{"simultaneous open", test_simultaneous_open},
		{"640 seeds, 2-5% loss", test_seeds},
		{"1000 random configurations", test_random_configs},
		{"200 short connections", test_many_short},
	};

	return cunit_run("stack_tcp_pair", tests,
			 sizeof(tests) / sizeof(tests[0]), pair_init,
			 pair_clean);
}
