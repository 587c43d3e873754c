// SPDX-License-Identifier: MIT
/*
 * test_stack_tcp_state.c - CUnit suite for the TCP state machine
 *
 * Segments are built by hand and fed to tcp_input(); every segment TCP
 * emits is captured (header fields, options, payload) and checked. Each
 * test ends in st_done(), which asserts that the connections under test
 * were released exactly once and have no timer left.
 *
 * The peer is 10.0.0.2:5000, we are 10.0.0.1:80. Unless a test says
 * otherwise, options are off, so sequence numbers are easy to follow.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "tcp.h"
#include "tcp_priv.h" /* white box: tcp_out_pipe() */
#include "tcp_wire.h"

#include "../lib/cunit_run.h"

#define ME	0x0a000001
#define PEER	0x0a000002
#define MYPORT	80
#define PPORT	5000
#define ST_OUT	256
#define ST_KIDS 4
#define RING	4096
#define SRING	16384

/**
 * struct st_out - one captured segment
 * @seg:	as emitted (payload pointers not valid afterwards)
 * @conn:	emitting connection, NULL for a reset answering nothing
 * @data:	payload copy (first bytes)
 */
struct st_out {
	struct tcp_seg seg;
	struct tcp_conn *conn;
	uint8_t data[2048];
};

static struct st_out out[ST_OUT];
static unsigned nout, releases, allocs, evs;
static uint64_t now;
static struct tcp_conn conn, lconn, kids[ST_KIDS];
static bool kid_used[ST_KIDS];
static uint8_t sbuf[SRING], rbuf[RING], ksbuf[ST_KIDS][RING],
	krbuf[ST_KIDS][RING];
static struct tcp_cfg cfg;
static uint32_t peer_tsval, peer_tsecr;
static bool peer_ts;
static uint32_t kid_iss = 9000;

/**
 * st_output() - ops->output: capture the segment
 * @ctx:	unused
 * @c:		emitting connection
 * @seg:	segment
 */
static void st_output(void *ctx, struct tcp_conn *c, const struct tcp_seg *seg)
{
	struct st_out *o;
	size_t n0, n1;

	(void)ctx;
	CU_ASSERT_FATAL(nout < ST_OUT);
	o = &out[nout++];
	o->seg = *seg;
	o->conn = c;
	n0 = seg->data[0].len < sizeof(o->data) ? seg->data[0].len
						 : sizeof(o->data);
	if (n0)
		memcpy(o->data, seg->data[0].base, n0);
	n1 = seg->data[1].len < sizeof(o->data) - n0 ? seg->data[1].len
						     : sizeof(o->data) - n0;
	if (n1)
		memcpy(o->data + n0, seg->data[1].base, n1);
	CU_ASSERT_EQUAL(seg->len, seg->data[0].len + seg->data[1].len);
	if (seg->opts.has & TCP_O_TS)
		peer_tsecr = seg->opts.tsval;
}

/**
 * st_event() - ops->event: remember the events
 * @ctx:	unused
 * @c:		connection
 * @ev:		events
 */
static void st_event(void *ctx, struct tcp_conn *c, unsigned ev)
{
	(void)ctx;
	(void)c;
	evs |= ev;
}

static const struct tcp_ops st_ops;

/**
 * st_alloc() - ops->accept_alloc from a small pool
 * @ctx:	unused
 * @lc:		listener
 * @syn:	the SYN
 * @iss:	ISS to use
 *
 * Return: a child, NULL when the pool is empty
 */
static struct tcp_conn *st_alloc(void *ctx, struct tcp_conn *lc,
				 const struct tcp_seg *syn, uint32_t *iss)
{
	unsigned i;

	(void)ctx;
	(void)lc;
	(void)syn;
	for (i = 0; i < ST_KIDS; i++)
		if (!kid_used[i]) {
			kid_used[i] = true;
			allocs++;
			tcp_conn_init(&kids[i], &st_ops, NULL, &cfg, ksbuf[i],
				      RING, krbuf[i], RING);
			*iss = kid_iss;
			return &kids[i];
		}
	return NULL;
}

/**
 * st_release() - ops->release
 * @ctx:	unused
 * @c:		connection
 */
static void st_release(void *ctx, struct tcp_conn *c)
{
	unsigned i;

	(void)ctx;
	releases++;
	for (i = 0; i < ST_KIDS; i++)
		if (c == &kids[i]) {
			CU_ASSERT(kid_used[i]);
			kid_used[i] = false;
		}
}

static const struct tcp_ops st_ops = {
	.output = st_output,
	.event = st_event,
	.accept_alloc = st_alloc,
	.release = st_release,
};

/**
 * st_setup() - fresh state; options off, RTO min 200 ms
 *
 * Return: 0
 */
static int st_setup(void)
{
	nout = releases = allocs = evs = 0;
	now = 10000;
	memset(kid_used, 0, sizeof(kid_used));
	tcp_cfg_default(&cfg);
	cfg.use_ts = cfg.use_ws = cfg.use_sack = false;
	cfg.rto_min_ms = 200;
	cfg.msl_ms = 1000;
	cfg.mss = 1000;
	peer_ts = false;
	peer_tsval = 100;
	peer_tsecr = 0;
	kid_iss = 9000;
	return 0;
}

/**
 * st_seg() - a segment from the peer
 * @flags:	TCP_F_*
 * @seq:	sequence number
 * @ack:	acknowledgment number
 * @win:	window field
 * @data:	payload or NULL
 * @len:	its length
 *
 * Return: the segment (timestamps added when peer_ts is set)
 */
static struct tcp_seg st_seg(uint8_t flags, uint32_t seq, uint32_t ack,
			     uint16_t win, const void *data, uint32_t len)
{
	struct tcp_seg s;

	memset(&s, 0, sizeof(s));
	s.saddr = PEER;
	s.daddr = ME;
	s.sport = PPORT;
	s.dport = MYPORT;
	s.seq = seq;
	s.ack = ack;
	s.flags = flags;
	s.win = win;
	s.len = len;
	s.data[0].base = data;
	s.data[0].len = len;
	if (peer_ts) {
		s.opts.has |= TCP_O_TS;
		s.opts.tsval = peer_tsval;
		s.opts.tsecr = peer_tsecr;
	}
	return s;
}

/**
 * st_in() - feed a peer segment to @c
 * @c:		connection or listener
 * @flags:	TCP_F_*
 * @seq:	sequence number
 * @ack:	acknowledgment number
 * @win:	window
 * @data:	payload or NULL
 * @len:	its length
 */
static void st_in(struct tcp_conn *c, uint8_t flags, uint32_t seq, uint32_t ack,
		  uint16_t win, const void *data, uint32_t len)
{
	struct tcp_seg s = st_seg(flags, seq, ack, win, data, len);

	tcp_input(c, &s, now);
}

/**
 * st_last() - the last emitted segment
 *
 * Return: it (asserts there is one)
 */
static struct st_out *st_last(void)
{
	CU_ASSERT_FATAL(nout > 0);
	return &out[nout - 1];
}

/**
 * st_check() - assert the fields of an emitted segment
 * @o:		segment
 * @flags:	expected flags
 * @seq:	expected sequence number
 * @ack:	expected acknowledgment number (checked if ACK is set)
 * @len:	expected payload length
 */
static void st_check(const struct st_out *o, uint8_t flags, uint32_t seq,
		     uint32_t ack, uint32_t len)
{
	CU_ASSERT_EQUAL(o->seg.flags, flags);
	CU_ASSERT_EQUAL(o->seg.seq, seq);
	if (flags & TCP_F_ACK)
		CU_ASSERT_EQUAL(o->seg.ack, ack);
	CU_ASSERT_EQUAL(o->seg.len, len);
	CU_ASSERT_EQUAL(o->seg.saddr, ME);
	CU_ASSERT_EQUAL(o->seg.daddr, PEER);
	CU_ASSERT_EQUAL(o->seg.sport, MYPORT);
	CU_ASSERT_EQUAL(o->seg.dport, PPORT);
}

/**
 * st_timer_run() - advance the clock to @c's deadline and fire it
 * @c:	connection
 *
 * Return: the deadline that fired
 */
static uint64_t st_timer_run(struct tcp_conn *c)
{
	uint64_t d = tcp_next_deadline(c);

	CU_ASSERT_FATAL(d != UINT64_MAX);
	if (d > now)
		now = d;
	tcp_timer(c, now);
	return d;
}

/**
 * st_done() - end of test: @c released once, no timers left
 * @c:		connection
 * @want:	releases expected in total
 */
static void st_done(struct tcp_conn *c, unsigned want)
{
	CU_ASSERT(c->released);
	CU_ASSERT_EQUAL(c->state, TCP_CLOSED);
	CU_ASSERT_EQUAL(tcp_next_deadline(c), UINT64_MAX);
	CU_ASSERT_EQUAL(releases, want);
}

/**
 * st_expect_timeout() - the next timer gives @c up: a RST, CLOSED with
 * ETIMEDOUT; then the application closes it and it is released once
 * @c:		connection
 */
static void st_expect_timeout(struct tcp_conn *c)
{
	st_timer_run(c);
	CU_ASSERT_EQUAL(c->state, TCP_CLOSED);
	CU_ASSERT_EQUAL(c->err, -ETIMEDOUT);
	CU_ASSERT(st_last()->seg.flags & TCP_F_RST);
	tcp_close(c, now);
	st_done(c, 1);
}

/**
 * st_active() - connect and complete the handshake
 * @iss:	our ISS
 * @irs:	peer's ISS
 * @win:	peer's window
 */
static void st_active(uint32_t iss, uint32_t irs, uint16_t win)
{
	tcp_conn_init(&conn, &st_ops, NULL, &cfg, sbuf, SRING, rbuf, RING);
	CU_ASSERT_FATAL(tcp_connect(&conn, ME, MYPORT, PEER, PPORT, iss, now) ==
			0);
	CU_ASSERT_EQUAL(conn.state, TCP_SYN_SENT);
	st_check(st_last(), TCP_F_SYN, iss, 0, 0);
	{
		struct tcp_seg s = st_seg(TCP_F_SYN | TCP_F_ACK, irs, iss + 1,
					  win, NULL, 0);

		s.opts.has |= TCP_O_MSS;
		s.opts.mss = 1000;
		tcp_input(&conn, &s, now);
	}
	CU_ASSERT_EQUAL_FATAL(conn.state, TCP_ESTABLISHED);
	st_check(st_last(), TCP_F_ACK, iss + 1, irs + 1, 0);
	nout = 0;
}

/**
 * st_abort_conn() - end a test connection with a reset and close it
 * @c:	connection
 */
static void st_abort_conn(struct tcp_conn *c)
{
	tcp_abort(c, now);
	tcp_close(c, now);
}

/* ---------------------------------------------------------------------- */

/**
 * test_active_open() - SYN with our options, SYN-ACK, ACK (3.5 figure 6)
 */
static void test_active_open(void)
{
	struct st_out *o;

	st_setup();
	cfg.use_ts = cfg.use_ws = cfg.use_sack = true;
	tcp_conn_init(&conn, &st_ops, NULL, &cfg, sbuf, SRING, rbuf, RING);
	CU_ASSERT_EQUAL(tcp_connect(&conn, ME, MYPORT, PEER, PPORT, 100, now),
			0);
	CU_ASSERT_EQUAL(tcp_connect(&conn, ME, MYPORT, PEER, PPORT, 100, now),
			-EINVAL);
	o = st_last();
	st_check(o, TCP_F_SYN, 100, 0, 0);
	CU_ASSERT_EQUAL(o->seg.opts.has,
			TCP_O_MSS | TCP_O_WS | TCP_O_SACKOK | TCP_O_TS);
	CU_ASSERT_EQUAL(o->seg.opts.mss, 1000);
	CU_ASSERT_EQUAL(o->seg.opts.ws, 0); /* a 4 KiB ring needs no shift */
	CU_ASSERT_EQUAL(o->seg.opts.tsecr, 0);
	CU_ASSERT_EQUAL(o->seg.win, RING);
	CU_ASSERT_EQUAL(tcp_next_deadline(&conn), now + 1000); /* RFC 6298 */

	/* SYN-ACK with MSS and TS only: SACK and WS end up off */
	{
		struct tcp_seg s = st_seg(TCP_F_SYN | TCP_F_ACK, 5000, 101,
					  8000, NULL, 0);

		s.opts.has = TCP_O_MSS | TCP_O_TS;
		s.opts.mss = 600;
		s.opts.tsval = 777;
		s.opts.tsecr = o->seg.opts.tsval;
		now += 30;
		tcp_input(&conn, &s, now);
	}
	CU_ASSERT_EQUAL(conn.state, TCP_ESTABLISHED);
	CU_ASSERT(evs & TCP_EV_CONNECTED);
	CU_ASSERT(conn.ts_on);
	CU_ASSERT(!conn.sack_on);
	CU_ASSERT(!conn.ws_on);
	CU_ASSERT_EQUAL(conn.mss, 600 - 12);
	CU_ASSERT_EQUAL(conn.snd_wnd, 8000);
	CU_ASSERT_EQUAL(rto_srtt(&conn.rto), 30);
	o = st_last();
	st_check(o, TCP_F_ACK, 101, 5001, 0);
	CU_ASSERT_EQUAL(o->seg.opts.has, TCP_O_TS);
	CU_ASSERT_EQUAL(o->seg.opts.tsecr, 777);
	CU_ASSERT_EQUAL(tcp_next_deadline(&conn), UINT64_MAX);

	st_abort_conn(&conn);
	CU_ASSERT(st_last()->seg.flags & TCP_F_RST);
	st_done(&conn, 1);
}

/**
 * test_passive_open() - listener, SYN-ACK with what was offered, ACK
 */
static void test_passive_open(void)
{
	struct tcp_conn *c;
	struct tcp_seg s;
	struct st_out *o;

	st_setup();
	cfg.use_ts = cfg.use_ws = cfg.use_sack = true;
	tcp_conn_init(&lconn, &st_ops, NULL, &cfg, NULL, 0, NULL, 0);
	CU_ASSERT_EQUAL(tcp_listen(&lconn, ME, MYPORT), 0);
	CU_ASSERT_EQUAL(lconn.state, TCP_LISTEN);
	CU_ASSERT_PTR_NULL(tcp_accept(&lconn));

	s = st_seg(TCP_F_SYN, 7000, 0, 65535, NULL, 0);
	s.opts.has = TCP_O_MSS | TCP_O_SACKOK | TCP_O_WS;
	s.opts.mss = 1460;
	s.opts.ws = 7;
	tcp_input(&lconn, &s, now);
	CU_ASSERT_EQUAL(allocs, 1);
	c = &kids[0];
	CU_ASSERT_EQUAL(c->state, TCP_SYN_RECEIVED);
	CU_ASSERT_EQUAL(lconn.qlen, 1);
	o = st_last();
	CU_ASSERT_PTR_EQUAL(o->conn, c);
	st_check(o, TCP_F_SYN | TCP_F_ACK, 9000, 7001, 0);
	/* no timestamps offered: none answered (RFC 7323 3.2) */
	CU_ASSERT_EQUAL(o->seg.opts.has, TCP_O_MSS | TCP_O_SACKOK | TCP_O_WS);
	CU_ASSERT_PTR_NULL(tcp_accept(&lconn));

	/* the third step; its window is scaled by 7 */
	st_in(c, TCP_F_ACK, 7001, 9001, 100, NULL, 0);
	CU_ASSERT_EQUAL(c->state, TCP_ESTABLISHED);
	CU_ASSERT_EQUAL(c->snd_wnd, 100 << 7);
	CU_ASSERT_EQUAL(c->mss, 1000);
	CU_ASSERT(evs & TCP_EV_ACCEPT);
	CU_ASSERT_PTR_EQUAL(tcp_accept(&lconn), c);
	CU_ASSERT_EQUAL(lconn.qlen, 0);
	CU_ASSERT_PTR_NULL(tcp_accept(&lconn));

	tcp_close(&lconn, now);
	CU_ASSERT(lconn.released);
	CU_ASSERT_EQUAL(c->state, TCP_ESTABLISHED); /* accepted: not touched */
	st_abort_conn(c);
	st_done(c, 2);
}

/**
 * test_simultaneous_open() - SYN crosses SYN (RFC 9293 3.5 figure 7)
 */
static void test_simultaneous_open(void)
{
	st_setup();
	tcp_conn_init(&conn, &st_ops, NULL, &cfg, sbuf, SRING, rbuf, RING);
	tcp_connect(&conn, ME, MYPORT, PEER, PPORT, 100, now);
	st_in(&conn, TCP_F_SYN, 300, 0, 4000, NULL, 0);
	CU_ASSERT_EQUAL(conn.state, TCP_SYN_RECEIVED);
	st_check(st_last(), TCP_F_SYN | TCP_F_ACK, 100, 301, 0);
	/* the peer's SYN-ACK: its ACK completes the open, nothing to send */
	nout = 0;
	st_in(&conn, TCP_F_SYN | TCP_F_ACK, 300, 101, 4000, NULL, 0);
	CU_ASSERT_EQUAL(conn.state, TCP_ESTABLISHED);
	CU_ASSERT(evs & TCP_EV_CONNECTED);
	CU_ASSERT_EQUAL(nout, 0);
	/* the same SYN-ACK again (our SYN-ACK was lost): ACKed */
	st_in(&conn, TCP_F_SYN | TCP_F_ACK, 300, 101, 4000, NULL, 0);
	CU_ASSERT_EQUAL(conn.state, TCP_ESTABLISHED);
	st_check(st_last(), TCP_F_ACK, 101, 301, 0);
	st_abort_conn(&conn);
	st_done(&conn, 1);
}

/**
 * test_active_close() - FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT, 2 MSL, CLOSED
 */
static void test_active_close(void)
{
	uint64_t t0;

	st_setup();
	st_active(100, 500, 4000);
	tcp_close(&conn, now);
	CU_ASSERT_EQUAL(conn.state, TCP_FIN_WAIT_1);
	st_check(st_last(), TCP_F_ACK | TCP_F_FIN, 101, 501, 0);
	st_in(&conn, TCP_F_ACK, 501, 102, 4000, NULL, 0);
	CU_ASSERT_EQUAL(conn.state, TCP_FIN_WAIT_2);
	nout = 0;
	st_in(&conn, TCP_F_ACK | TCP_F_FIN, 501, 102, 4000, NULL, 0);
	CU_ASSERT_EQUAL(conn.state, TCP_TIME_WAIT);
	st_check(st_last(), TCP_F_ACK, 102, 502, 0);
	t0 = now;
	CU_ASSERT_EQUAL(tcp_next_deadline(&conn), t0 + 2000);
	/* a resent FIN is ACKed again and restarts 2 MSL */
	now += 500;
	nout = 0;
	st_in(&conn, TCP_F_ACK | TCP_F_FIN, 501, 102, 4000, NULL, 0);
	st_check(st_last(), TCP_F_ACK, 102, 502, 0);
	CU_ASSERT_EQUAL(tcp_next_deadline(&conn), now + 2000);
	CU_ASSERT(!conn.released);
	st_timer_run(&conn);
	st_done(&conn, 1);
	CU_ASSERT(!(evs & TCP_EV_RESET));
}

/**
 * test_time_wait_forged_fin() - only a retransmission of the peer's FIN
 * restarts 2 MSL (RFC 9293 3.10.7.4); a FIN elsewhere in the sequence
 * space is an unacceptable segment: ACKed and dropped, the TIME-WAIT (and
 * the rings an orphan holds) ends on time
 */
static void test_time_wait_forged_fin(void)
{
	uint64_t due;
	unsigned i;

	st_setup();
	st_active(100, 500, 4000);
	tcp_close(&conn, now);
	st_in(&conn, TCP_F_ACK, 501, 102, 4000, NULL, 0);
	st_in(&conn, TCP_F_ACK | TCP_F_FIN, 501, 102, 4000, NULL, 0);
	CU_ASSERT_EQUAL_FATAL(conn.state, TCP_TIME_WAIT);
	due = tcp_next_deadline(&conn);
	for (i = 0; i < 4; i++) {
		now += 400;
		nout = 0;
		st_in(&conn, TCP_F_ACK | TCP_F_FIN, 501 + 100000 * (i + 1),
		      102, 4000, NULL, 0);
		st_in(&conn, TCP_F_ACK | TCP_F_FIN, 501 - 100000 * (i + 1),
		      102, 4000, "x", 1);
		CU_ASSERT_EQUAL(nout, 2); /* ACKed */
		CU_ASSERT_EQUAL(tcp_next_deadline(&conn), due);
	}
	st_timer_run(&conn);
	st_done(&conn, 1);
}

/**
 * test_fin_wait_2_orphan() - closed by the user, the peer never sends its
 * FIN: FIN-WAIT-2 ends after 2 MSL; after shutdown() only, it stays
 */
static void test_fin_wait_2_orphan(void)
{
	st_setup();
	st_active(100, 500, 4000);
	tcp_shutdown(&conn, now);
	st_in(&conn, TCP_F_ACK, 501, 102, 4000, NULL, 0);
	CU_ASSERT_EQUAL(conn.state, TCP_FIN_WAIT_2);
	CU_ASSERT_EQUAL(tcp_next_deadline(&conn), UINT64_MAX); /* half-open */
	st_in(&conn, TCP_F_ACK, 501, 102, 4000, "more", 4);
	CU_ASSERT_EQUAL(tcp_readable(&conn), 4);
	{
		uint8_t b[4];

		CU_ASSERT_EQUAL(tcp_recv(&conn, b, 4, now), 4);
	}
	st_timer_run(&conn); /* the delayed ACK */
	CU_ASSERT_EQUAL(tcp_next_deadline(&conn), UINT64_MAX);
	tcp_close(&conn, now);
	CU_ASSERT_EQUAL(tcp_next_deadline(&conn), now + 2000);
	st_timer_run(&conn);
	st_done(&conn, 1);
}

/**
 * test_passive_close() - CLOSE-WAIT, LAST-ACK, CLOSED
 */
static void test_passive_close(void)
{
	uint8_t b[8];

	st_setup();
	st_active(100, 500, 4000);
	st_in(&conn, TCP_F_ACK | TCP_F_FIN, 501, 101, 4000, "hi", 2);
	CU_ASSERT_EQUAL(conn.state, TCP_CLOSE_WAIT);
	st_check(st_last(), TCP_F_ACK, 101, 504, 0);
	CU_ASSERT(evs & TCP_EV_READABLE);
	CU_ASSERT(!tcp_eof(&conn));
	CU_ASSERT_EQUAL(tcp_recv(&conn, b, sizeof(b), now), 2);
	CU_ASSERT(tcp_eof(&conn));
	CU_ASSERT_EQUAL(tcp_recv(&conn, b, sizeof(b), now), 0);
	/* can still send in CLOSE-WAIT */
	CU_ASSERT_EQUAL(tcp_send(&conn, "abc", 3, now), 3);
	st_check(st_last(), TCP_F_ACK | TCP_F_PSH, 101, 504, 3);
	tcp_close(&conn, now);
	CU_ASSERT_EQUAL(conn.state, TCP_LAST_ACK);
	st_check(st_last(), TCP_F_ACK | TCP_F_FIN, 104, 504, 0);
	st_in(&conn, TCP_F_ACK, 504, 105, 4000, NULL, 0);
	st_done(&conn, 1);
}

/**
 * test_simultaneous_close() - FINs cross: CLOSING, then TIME-WAIT
 */
static void test_simultaneous_close(void)
{
	st_setup();
	st_active(100, 500, 4000);
	tcp_close(&conn, now);
	st_in(&conn, TCP_F_ACK | TCP_F_FIN, 501, 101, 4000, NULL, 0);
	CU_ASSERT_EQUAL(conn.state, TCP_CLOSING);
	st_check(st_last(), TCP_F_ACK, 102, 502, 0);
	st_in(&conn, TCP_F_ACK, 502, 102, 4000, NULL, 0);
	CU_ASSERT_EQUAL(conn.state, TCP_TIME_WAIT);
	st_timer_run(&conn);
	st_done(&conn, 1);
}

/**
 * test_fin_ack_together() - FIN-WAIT-1 straight to TIME-WAIT
 */
static void test_fin_ack_together(void)
{
	st_setup();
	st_active(100, 500, 4000);
	tcp_close(&conn, now);
	st_in(&conn, TCP_F_ACK | TCP_F_FIN, 501, 102, 4000, NULL, 0);
	CU_ASSERT_EQUAL(conn.state, TCP_TIME_WAIT);
	st_timer_run(&conn);
	st_done(&conn, 1);
}

/**
 * test_fin_retransmit() - a lost FIN is resent by the retransmission timer
 */
static void test_fin_retransmit(void)
{
	st_setup();
	st_active(100, 500, 4000);
	tcp_close(&conn, now);
	nout = 0;
	st_timer_run(&conn);
	st_check(st_last(), TCP_F_ACK | TCP_F_FIN, 101, 501, 0);
	CU_ASSERT_EQUAL(conn.stats.rtos, 1);
	st_in(&conn, TCP_F_ACK | TCP_F_FIN, 501, 102, 4000, NULL, 0);
	CU_ASSERT_EQUAL(conn.state, TCP_TIME_WAIT);
	st_timer_run(&conn);
	st_done(&conn, 1);
}

/**
 * test_rst_syn_sent() - RST needs an acceptable ACK in SYN-SENT
 */
static void test_rst_syn_sent(void)
{
	st_setup();
	tcp_conn_init(&conn, &st_ops, NULL, &cfg, sbuf, SRING, rbuf, RING);
	tcp_connect(&conn, ME, MYPORT, PEER, PPORT, 100, now);
	nout = 0;
	st_in(&conn, TCP_F_RST, 0, 0, 0, NULL, 0); /* no ACK: ignored */
	CU_ASSERT_EQUAL(conn.state, TCP_SYN_SENT);
	st_in(&conn, TCP_F_RST | TCP_F_ACK, 0, 100, 0, NULL, 0); /* bad ACK */
	CU_ASSERT_EQUAL(conn.state, TCP_SYN_SENT);
	CU_ASSERT_EQUAL(nout, 0);
	/* a bad ACK without RST is answered by a reset */
	st_in(&conn, TCP_F_ACK, 0, 5000, 0, NULL, 0);
	st_check(st_last(), TCP_F_RST, 5000, 0, 0);
	CU_ASSERT_EQUAL(conn.state, TCP_SYN_SENT);
	st_in(&conn, TCP_F_RST | TCP_F_ACK, 0, 101, 0, NULL, 0);
	CU_ASSERT_EQUAL(conn.state, TCP_CLOSED);
	CU_ASSERT_EQUAL(conn.err, -ECONNREFUSED);
	CU_ASSERT(evs & TCP_EV_RESET);
	CU_ASSERT_EQUAL(tcp_next_deadline(&conn), UINT64_MAX);
	CU_ASSERT(!conn.released);
	tcp_close(&conn, now);
	st_done(&conn, 1);
}

/**
 * test_rst_syn_received() - a passive child reset goes away silently
 */
static void test_rst_syn_received(void)
{
	st_setup();
	tcp_conn_init(&lconn, &st_ops, NULL, &cfg, NULL, 0, NULL, 0);
	tcp_listen(&lconn, ME, MYPORT);
	st_in(&lconn, TCP_F_SYN, 7000, 0, 4000, NULL, 0);
	CU_ASSERT_EQUAL(kids[0].state, TCP_SYN_RECEIVED);
	/* in window but not RCV.NXT: challenge ACK (RFC 5961 3.2) */
	nout = 0;
	st_in(&kids[0], TCP_F_RST, 7005, 0, 0, NULL, 0);
	CU_ASSERT_EQUAL(kids[0].state, TCP_SYN_RECEIVED);
	CU_ASSERT_EQUAL(nout, 1);
	st_in(&kids[0], TCP_F_RST, 7001, 0, 0, NULL, 0);
	CU_ASSERT(kids[0].released);
	CU_ASSERT_EQUAL(tcp_next_deadline(&kids[0]), UINT64_MAX);
	CU_ASSERT_EQUAL(lconn.qlen, 0);
	CU_ASSERT_EQUAL(lconn.state, TCP_LISTEN);
	CU_ASSERT_EQUAL(releases, 1);
	CU_ASSERT(!(evs & TCP_EV_RESET)); /* nobody to tell */
	tcp_close(&lconn, now);
	st_done(&lconn, 2);
}

/**
 * test_rst_simultaneous() - RST in SYN-RECEIVED reached by a simultaneous
 * open: refused, and the connection stays the user's
 */
static void test_rst_simultaneous(void)
{
	st_setup();
	tcp_conn_init(&conn, &st_ops, NULL, &cfg, sbuf, SRING, rbuf, RING);
	tcp_connect(&conn, ME, MYPORT, PEER, PPORT, 100, now);
	st_in(&conn, TCP_F_SYN, 300, 0, 4000, NULL, 0);
	CU_ASSERT_EQUAL(conn.state, TCP_SYN_RECEIVED);
	st_in(&conn, TCP_F_RST, 301, 0, 0, NULL, 0);
	CU_ASSERT_EQUAL(conn.state, TCP_CLOSED);
	CU_ASSERT_EQUAL(conn.err, -ECONNREFUSED);
	CU_ASSERT(!conn.released);
	/* CLOSED, not yet closed by the user: segments get resets */
	nout = 0;
	st_in(&conn, TCP_F_ACK, 301, 101, 4000, "x", 1);
	st_check(st_last(), TCP_F_RST, 101, 0, 0);
	st_in(&conn, TCP_F_RST, 301, 0, 0, NULL, 0);
	CU_ASSERT_EQUAL(nout, 1);
	tcp_close(&conn, now);
	st_done(&conn, 1);
	/* a released connection ignores input */
	st_in(&conn, TCP_F_ACK, 301, 101, 4000, NULL, 0);
	CU_ASSERT_EQUAL(nout, 1);
}

/**
 * st_rst_in_state() - drive a connection to @st, reset it, check the end
 * @st:		state to reach
 * @err:	error expected after the RST
 */
static void st_rst_in_state(enum tcp_state st, int err)
{
	st_setup();
	st_active(100, 500, 4000);
	switch (st) {
	case TCP_FIN_WAIT_1:
		tcp_shutdown(&conn, now);
		break;
	case TCP_FIN_WAIT_2:
		tcp_shutdown(&conn, now);
		st_in(&conn, TCP_F_ACK, 501, 102, 4000, NULL, 0);
		break;
	case TCP_CLOSE_WAIT:
		st_in(&conn, TCP_F_ACK | TCP_F_FIN, 501, 101, 4000, NULL, 0);
		break;
	case TCP_CLOSING:
		tcp_shutdown(&conn, now);
		st_in(&conn, TCP_F_ACK | TCP_F_FIN, 501, 101, 4000, NULL, 0);
		break;
	case TCP_LAST_ACK:
		st_in(&conn, TCP_F_ACK | TCP_F_FIN, 501, 101, 4000, NULL, 0);
		tcp_shutdown(&conn, now);
		break;
	case TCP_TIME_WAIT:
		tcp_shutdown(&conn, now);
		st_in(&conn, TCP_F_ACK | TCP_F_FIN, 501, 102, 4000, NULL, 0);
		break;
	default:
		break;
	}
	CU_ASSERT_EQUAL_FATAL(conn.state, st);
	{
		uint32_t rn = conn.rcv_nxt;

		/* out of window: dropped, nothing sent */
		nout = 0;
		st_in(&conn, TCP_F_RST, rn + 100000, 0, 0, NULL, 0);
		CU_ASSERT_EQUAL(conn.state, st);
		CU_ASSERT_EQUAL(nout, 0);
		/* in window, not exact: challenge ACK */
		st_in(&conn, TCP_F_RST, rn + 1, 0, 0, NULL, 0);
		CU_ASSERT_EQUAL(conn.state, st);
		CU_ASSERT_EQUAL(nout, 1);
		if (nout)
			st_check(st_last(), TCP_F_ACK, conn.snd_nxt, rn, 0);
		CU_ASSERT_EQUAL(conn.stats.challenge_acks, 1);
		/* exact */
		st_in(&conn, TCP_F_RST, rn, 0, 0, NULL, 0);
	}
	CU_ASSERT_EQUAL(conn.state, TCP_CLOSED);
	CU_ASSERT_EQUAL(conn.err, err);
	CU_ASSERT_EQUAL(tcp_next_deadline(&conn), UINT64_MAX);
	tcp_close(&conn, now);
	st_done(&conn, 1);
}

/**
 * test_rst_each_state() - RST in every synchronized state (3.10.7.4)
 */
static void test_rst_each_state(void)
{
	st_rst_in_state(TCP_ESTABLISHED, -ECONNRESET);
	st_rst_in_state(TCP_FIN_WAIT_1, -ECONNRESET);
	st_rst_in_state(TCP_FIN_WAIT_2, -ECONNRESET);
	st_rst_in_state(TCP_CLOSE_WAIT, -ECONNRESET);
	st_rst_in_state(TCP_CLOSING, 0);
	st_rst_in_state(TCP_LAST_ACK, 0);
	st_rst_in_state(TCP_TIME_WAIT, 0);
}

/**
 * test_syn_in_established() - RFC 5961 4: challenge ACK, no reset
 */
static void test_syn_in_established(void)
{
	st_setup();
	st_active(100, 500, 4000);
	st_in(&conn, TCP_F_SYN, 501, 0, 4000, NULL, 0);
	CU_ASSERT_EQUAL(conn.state, TCP_ESTABLISHED);
	st_check(st_last(), TCP_F_ACK, 101, 501, 0);
	st_in(&conn, TCP_F_SYN, 12345, 0, 4000, NULL, 0); /* out of window */
	CU_ASSERT_EQUAL(conn.state, TCP_ESTABLISHED);
	st_abort_conn(&conn);
	st_done(&conn, 1);
}

/**
 * test_challenge_limit() - RFC 5961 7: at most 10 challenge ACKs a second
 */
static void test_challenge_limit(void)
{
	unsigned i;

	st_setup();
	st_active(100, 500, 4000);
	for (i = 0; i < 15; i++)
		st_in(&conn, TCP_F_RST, 502 + i, 0, 0, NULL, 0);
	CU_ASSERT_EQUAL(nout, 10);
	CU_ASSERT_EQUAL(conn.stats.challenge_acks, 15);
	CU_ASSERT_EQUAL(conn.state, TCP_ESTABLISHED);
	now += 1000;
	st_in(&conn, TCP_F_SYN, 501, 0, 0, NULL, 0);
	CU_ASSERT_EQUAL(nout, 11);
	st_abort_conn(&conn);
	st_done(&conn, 1);
}

/**
 * test_oow_ack_throttled() - bare segments out of the window get at most
 * one ACK per TCP_OOW_ACK_MS (no ACK answering ACKs without end); ones
 * with data always get theirs; a keepalive probe is answered
 */
static void test_oow_ack_throttled(void)
{
	unsigned i;

	st_setup();
	st_active(100, 500, 4000);
	for (i = 0; i < 5; i++)
		st_in(&conn, TCP_F_ACK, 501 + 100000 + i, 101, 4000, NULL, 0);
	CU_ASSERT_EQUAL(nout, 1);
	st_check(st_last(), TCP_F_ACK, 101, 501, 0);
	for (i = 0; i < 2; i++)
		st_in(&conn, TCP_F_ACK, 501 + 100000, 101, 4000, "x", 1);
	CU_ASSERT_EQUAL(nout, 3);
	now += 500;
	/* a keepalive probe: RCV.NXT - 1, nothing in it */
	st_in(&conn, TCP_F_ACK, 500, 101, 4000, NULL, 0);
	CU_ASSERT_EQUAL(nout, 4);
	st_check(st_last(), TCP_F_ACK, 101, 501, 0);
	st_in(&conn, TCP_F_ACK, 501 + 100000, 101, 4000, NULL, 0);
	CU_ASSERT_EQUAL(nout, 4);
	CU_ASSERT_EQUAL(conn.state, TCP_ESTABLISHED);
	st_abort_conn(&conn);
	st_done(&conn, 1);
}

/**
 * test_bad_acks() - RFC 5961 5.2: ACK beyond SND.NXT, ACK far behind
 */
static void test_bad_acks(void)
{
	uint8_t b[4];

	st_setup();
	st_active(100, 500, 4000);
	nout = 0;
	/* acks what was never sent: ACK back, data not taken */
	st_in(&conn, TCP_F_ACK, 501, 200, 4000, "x", 1);
	CU_ASSERT_EQUAL(nout, 1);
	st_check(st_last(), TCP_F_ACK, 101, 501, 0);
	CU_ASSERT_EQUAL(tcp_readable(&conn), 0);
	CU_ASSERT_EQUAL(conn.stats.bad_acks, 1);
	/* far behind SND.UNA - MAX.SND.WND: challenge */
	st_in(&conn, TCP_F_ACK, 501, 100 - 5000, 4000, "x", 1);
	CU_ASSERT_EQUAL(tcp_recv(&conn, b, 4, now), 0);
	CU_ASSERT_EQUAL(conn.stats.challenge_acks, 2);
	/* no ACK bit: dropped */
	st_in(&conn, 0, 501, 0, 4000, "x", 1);
	CU_ASSERT_EQUAL(tcp_readable(&conn), 0);
	/* not this connection's 4-tuple: ignored */
	{
		struct tcp_seg s = st_seg(TCP_F_ACK, 501, 101, 4000, "x", 1);
		uint64_t segs = conn.stats.segs_in;

		s.sport = 5001;
		tcp_input(&conn, &s, now);
		CU_ASSERT_EQUAL(tcp_readable(&conn), 0);
		CU_ASSERT_EQUAL(conn.stats.segs_in, segs);
	}
	/* old duplicate ACK within the window: fine */
	st_in(&conn, TCP_F_ACK, 501, 101, 4000, "x", 1);
	CU_ASSERT_EQUAL(tcp_readable(&conn), 1);
	st_abort_conn(&conn);
	st_done(&conn, 1);
}

/**
 * test_bad_ack_throttled() - RFC 5961 5.2 and 7: the ACK sent back for an
 * ACK of data never sent is a challenge ACK, throttled like the others:
 * two ends that disagree on what was sent (a peer's bug, or a segment
 * injected into one of them) must not answer each other's ACKs for ever
 */
static void test_bad_ack_throttled(void)
{
	unsigned i;

	st_setup();
	st_active(100, 500, 4000);
	nout = 0;
	for (i = 0; i < 30; i++)
		st_in(&conn, TCP_F_ACK, 501, 200 + i, 4000, NULL, 0);
	CU_ASSERT_EQUAL(conn.stats.bad_acks, 30);
	CU_ASSERT(nout <= 10);
	CU_ASSERT(nout >= 1);
	now += 1000;
	nout = 0;
	st_in(&conn, TCP_F_ACK, 501, 300, 4000, NULL, 0);
	CU_ASSERT_EQUAL(nout, 1);
	st_check(st_last(), TCP_F_ACK, 101, 501, 0);
	st_abort_conn(&conn);
	st_done(&conn, 1);
}

/**
 * test_ack_loop() - two ends that disagree on what was sent: data
 * injected into one makes it acknowledge bytes the other never sent;
 * the other's answer is an old duplicate to the first, which ACKs it
 * again. The challenge ACK throttle ends the exchange
 */
static void test_ack_loop(void)
{
	static struct tcp_conn peer;
	static uint8_t ps[RING], pr[RING];
	struct tcp_seg s;
	unsigned n = 0, next;

	st_setup();
	st_active(100, 500, 4000);
	/* the peer's end of the same connection: ISS 500, our ISS 100 */
	tcp_conn_init(&peer, &st_ops, NULL, &cfg, ps, RING, pr, RING);
	CU_ASSERT_FATAL(tcp_connect(&peer, PEER, PPORT, ME, MYPORT, 500,
				    now) == 0);
	memset(&s, 0, sizeof(s));
	s.saddr = ME;
	s.daddr = PEER;
	s.sport = MYPORT;
	s.dport = PPORT;
	s.flags = TCP_F_SYN | TCP_F_ACK;
	s.seq = 100;
	s.ack = 501;
	s.win = 4000;
	tcp_input(&peer, &s, now);
	CU_ASSERT_EQUAL_FATAL(peer.state, TCP_ESTABLISHED);
	CU_ASSERT_EQUAL(peer.snd_max, conn.rcv_nxt);
	CU_ASSERT_EQUAL(peer.rcv_nxt, conn.snd_max);
	/* ten bytes the peer never sent, in our window */
	nout = 0;
	st_in(&conn, TCP_F_ACK, 501, 101, 4000, "0123456789", 10);
	tcp_timer(&conn, now + 500); /* the delayed ACK */
	/* each ACK goes to the other end, at the same instant */
	for (next = 0; next < nout && n < 1000; next++, n++) {
		struct tcp_seg a = out[next].seg;

		CU_ASSERT_EQUAL(a.len, 0);
		tcp_input(out[next].conn == &conn ? &peer : &conn, &a,
			  now + 500);
		if (nout >= ST_OUT - 2)
			break;
	}
	CU_ASSERT(n < 50);
	tcp_abort(&peer, now);
	tcp_close(&peer, now);
	CU_ASSERT(peer.released);
	st_abort_conn(&conn);
	st_done(&conn, 2);
}

/**
 * test_nomatch() - RFC 9293 3.10.7.1 resets for no connection
 */
static void test_nomatch(void)
{
	struct tcp_seg s;

	st_setup();
	s = st_seg(TCP_F_ACK, 10, 777, 100, "abc", 3);
	tcp_input_nomatch(&st_ops, NULL, &s);
	st_check(st_last(), TCP_F_RST, 777, 0, 0);
	s = st_seg(TCP_F_SYN, 10, 0, 100, NULL, 0);
	tcp_input_nomatch(&st_ops, NULL, &s);
	st_check(st_last(), TCP_F_RST | TCP_F_ACK, 0, 11, 0);
	s = st_seg(TCP_F_FIN, 10, 0, 100, "ab", 2);
	tcp_input_nomatch(&st_ops, NULL, &s);
	st_check(st_last(), TCP_F_RST | TCP_F_ACK, 0, 13, 0);
	nout = 0;
	s = st_seg(TCP_F_RST, 10, 0, 100, NULL, 0);
	tcp_input_nomatch(&st_ops, NULL, &s);
	CU_ASSERT_EQUAL(nout, 0);
}

/**
 * test_listen_backlog() - ACK to a listener resets; the backlog bounds
 * children; the listener's close resets the pending ones
 */
static void test_listen_backlog(void)
{
	st_setup();
	cfg.backlog = 2;
	tcp_conn_init(&lconn, &st_ops, NULL, &cfg, NULL, 0, NULL, 0);
	tcp_listen(&lconn, ME, MYPORT);
	st_in(&lconn, TCP_F_ACK, 1, 2, 100, NULL, 0);
	st_check(st_last(), TCP_F_RST, 2, 0, 0);
	nout = 0;
	st_in(&lconn, TCP_F_RST, 1, 2, 100, NULL, 0);
	CU_ASSERT_EQUAL(nout, 0);
	st_in(&lconn, TCP_F_SYN, 1000, 0, 100, NULL, 0);
	st_in(&lconn, TCP_F_SYN, 2000, 0, 100, NULL, 0);
	st_in(&lconn, TCP_F_SYN, 3000, 0, 100, NULL, 0);
	CU_ASSERT_EQUAL(allocs, 2);
	CU_ASSERT_EQUAL(lconn.qlen, 2);
	CU_ASSERT_EQUAL(lconn.stats.backlog_drops, 1);
	CU_ASSERT_EQUAL(nout, 2);
	/* the first completes; it still counts until accepted */
	st_in(&kids[0], TCP_F_ACK, 1001, 9001, 100, NULL, 0);
	CU_ASSERT_EQUAL(kids[0].state, TCP_ESTABLISHED);
	CU_ASSERT_EQUAL(lconn.qlen, 2);
	nout = 0;
	tcp_close(&lconn, now);
	CU_ASSERT_EQUAL(nout, 2); /* one reset per child */
	CU_ASSERT(out[0].seg.flags & TCP_F_RST);
	CU_ASSERT(out[1].seg.flags & TCP_F_RST);
	CU_ASSERT(kids[0].released);
	CU_ASSERT(kids[1].released);
	st_done(&lconn, 3);
}

/**
 * test_syn_received_timeout() - SYN-ACK resent with backoff, then dropped
 */
static void test_syn_received_timeout(void)
{
	uint64_t d0, d1, d2;
	unsigned i;

	st_setup();
	cfg.syn_retries = 3;
	tcp_conn_init(&lconn, &st_ops, NULL, &cfg, NULL, 0, NULL, 0);
	tcp_listen(&lconn, ME, MYPORT);
	st_in(&lconn, TCP_F_SYN, 1000, 0, 100, NULL, 0);
	d0 = now;
	nout = 0;
	d1 = st_timer_run(&kids[0]);
	CU_ASSERT_EQUAL(d1 - d0, 1000);
	st_check(st_last(), TCP_F_SYN | TCP_F_ACK, 9000, 1001, 0);
	d2 = st_timer_run(&kids[0]);
	CU_ASSERT_EQUAL(d2 - d1, 2000);
	/* a resent SYN gets the SYN-ACK again at once */
	st_in(&kids[0], TCP_F_SYN, 1000, 0, 100, NULL, 0);
	st_check(st_last(), TCP_F_SYN | TCP_F_ACK, 9000, 1001, 0);
	for (i = 0; i < 2; i++)
		st_timer_run(&kids[0]);
	CU_ASSERT(kids[0].released);
	CU_ASSERT_EQUAL(lconn.qlen, 0);
	tcp_close(&lconn, now);
	st_done(&lconn, 2);
}

/**
 * test_syn_sent_timeout() - SYN resent with backoff, then ETIMEDOUT
 */
static void test_syn_sent_timeout(void)
{
	uint64_t prev = now, d;
	unsigned i;

	st_setup();
	cfg.syn_retries = 2;
	tcp_conn_init(&conn, &st_ops, NULL, &cfg, sbuf, SRING, rbuf, RING);
	tcp_connect(&conn, ME, MYPORT, PEER, PPORT, 100, now);
	prev = now;
	for (i = 0; i < 2; i++) {
		nout = 0;
		d = st_timer_run(&conn);
		CU_ASSERT_EQUAL(d - prev, 1000u << i);
		prev = d;
		st_check(st_last(), TCP_F_SYN, 100, 0, 0);
	}
	st_timer_run(&conn);
	CU_ASSERT_EQUAL(conn.state, TCP_CLOSED);
	CU_ASSERT_EQUAL(conn.err, -ETIMEDOUT);
	tcp_close(&conn, now);
	st_done(&conn, 1);
}

/**
 * test_iw_after_syn_loss() - RFC 5681 3.1, RFC 6928 2: when the SYN or
 * the SYN-ACK had to be sent again, the initial window is one segment;
 * otherwise it is the usual one (both ends, CUBIC and Reno)
 */
static void test_iw_after_syn_loss(void)
{
	const struct cc_ops *ops[] = {NULL, &cc_reno_ops};
	struct tcp_seg s;
	struct tcp_conn *c;
	unsigned k, lost;

	for (k = 0; k < 4; k++) {
		lost = k & 1;
		/* active */
		st_setup();
		cfg.cc = ops[k >> 1];
		tcp_conn_init(&conn, &st_ops, NULL, &cfg, sbuf, SRING, rbuf,
			      RING);
		CU_ASSERT_FATAL(tcp_connect(&conn, ME, MYPORT, PEER, PPORT,
					    100, now) == 0);
		if (lost) {
			st_timer_run(&conn);
			st_check(st_last(), TCP_F_SYN, 100, 0, 0);
		}
		s = st_seg(TCP_F_SYN | TCP_F_ACK, 500, 101, 60000, NULL, 0);
		s.opts.has = TCP_O_MSS;
		s.opts.mss = 1000;
		tcp_input(&conn, &s, now);
		CU_ASSERT_EQUAL_FATAL(conn.state, TCP_ESTABLISHED);
		CU_ASSERT_EQUAL(conn.cc.cwnd,
				lost ? conn.mss : cc_initial_window(conn.mss));
		st_abort_conn(&conn);
		st_done(&conn, 1);

		/* passive */
		st_setup();
		cfg.cc = ops[k >> 1];
		tcp_conn_init(&lconn, &st_ops, NULL, &cfg, NULL, 0, NULL, 0);
		CU_ASSERT_EQUAL(tcp_listen(&lconn, ME, MYPORT), 0);
		s = st_seg(TCP_F_SYN, 7000, 0, 60000, NULL, 0);
		s.opts.has = TCP_O_MSS;
		s.opts.mss = 1000;
		tcp_input(&lconn, &s, now);
		c = &kids[0];
		if (lost) {
			st_timer_run(c);
			st_check(st_last(), TCP_F_SYN | TCP_F_ACK, 9000, 7001,
				 0);
		}
		st_in(c, TCP_F_ACK, 7001, 9001, 60000, NULL, 0);
		CU_ASSERT_EQUAL_FATAL(c->state, TCP_ESTABLISHED);
		CU_ASSERT_EQUAL(c->cc.cwnd,
				lost ? c->mss : cc_initial_window(c->mss));
		CU_ASSERT_PTR_EQUAL(tcp_accept(&lconn), c);
		tcp_close(&lconn, now);
		st_abort_conn(c);
		st_done(c, 2);
	}
}

/**
 * test_data_in_order() - data, delayed ACK, every second segment ACKed
 */
static void test_data_in_order(void)
{
	uint8_t d[1000], b[3000];

	st_setup();
	memset(d, 'a', sizeof(d));
	st_active(100, 500, 4000);
	st_in(&conn, TCP_F_ACK, 501, 101, 4000, d, 1000);
	CU_ASSERT_EQUAL(nout, 0); /* delayed */
	CU_ASSERT_EQUAL(tcp_next_deadline(&conn), now + 40);
	st_in(&conn, TCP_F_ACK, 1501, 101, 4000, d, 1000);
	CU_ASSERT_EQUAL(nout, 1); /* second full segment: ACK now */
	st_check(st_last(), TCP_F_ACK, 101, 2501, 0);
	CU_ASSERT_EQUAL(st_last()->seg.win, RING - 2000);
	CU_ASSERT_EQUAL(tcp_next_deadline(&conn), UINT64_MAX);
	st_in(&conn, TCP_F_ACK | TCP_F_PSH, 2501, 101, 4000, d, 10);
	CU_ASSERT_EQUAL(nout, 1);
	st_timer_run(&conn);
	CU_ASSERT_EQUAL(nout, 2);
	st_check(st_last(), TCP_F_ACK, 101, 2511, 0);
	CU_ASSERT_EQUAL(tcp_recv(&conn, b, sizeof(b), now), 2010);
	st_abort_conn(&conn);
	st_done(&conn, 1);
}

/**
 * test_out_of_order() - holes, SACK blocks, duplicates, overlap
 */
static void test_out_of_order(void)
{
	uint8_t d[4000], b[4000];
	struct st_out *o;
	unsigned i;

	st_setup();
	cfg.use_sack = true;
	for (i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t)i;
	tcp_conn_init(&conn, &st_ops, NULL, &cfg, sbuf, SRING, rbuf, RING);
	tcp_connect(&conn, ME, MYPORT, PEER, PPORT, 100, now);
	{
		struct tcp_seg s = st_seg(TCP_F_SYN | TCP_F_ACK, 500, 101, 4000,
					  NULL, 0);

		s.opts.has = TCP_O_SACKOK;
		tcp_input(&conn, &s, now);
	}
	CU_ASSERT(conn.sack_on);
	nout = 0;
	/* bytes 200..299 first: immediate ACK with one SACK block */
	st_in(&conn, TCP_F_ACK, 501 + 200, 101, 4000, d + 200, 100);
	o = st_last();
	st_check(o, TCP_F_ACK, 101, 501, 0);
	CU_ASSERT_EQUAL(o->seg.opts.nsack, 1);
	CU_ASSERT_EQUAL(o->seg.opts.sack[0].start, 701);
	CU_ASSERT_EQUAL(o->seg.opts.sack[0].end, 801);
	/* 400..499: the newest block comes first (RFC 2018 4) */
	st_in(&conn, TCP_F_ACK, 501 + 400, 101, 4000, d + 400, 100);
	o = st_last();
	CU_ASSERT_EQUAL(o->seg.opts.nsack, 2);
	CU_ASSERT_EQUAL(o->seg.opts.sack[0].start, 901);
	CU_ASSERT_EQUAL(o->seg.opts.sack[1].start, 701);
	/* a duplicate of 200..299 changes nothing */
	st_in(&conn, TCP_F_ACK, 501 + 200, 101, 4000, d + 200, 100);
	CU_ASSERT_EQUAL(conn.nooo, 2);
	/* 250..449 bridges both */
	st_in(&conn, TCP_F_ACK, 501 + 250, 101, 4000, d + 250, 200);
	CU_ASSERT_EQUAL(conn.nooo, 1);
	CU_ASSERT_EQUAL(conn.ooo[0].start, 701);
	CU_ASSERT_EQUAL(conn.ooo[0].end, 1001);
	CU_ASSERT_EQUAL(tcp_readable(&conn), 0);
	/* 0..249 fills the hole (overlapping 200..249): ACK at once */
	nout = 0;
	st_in(&conn, TCP_F_ACK, 501, 101, 4000, d, 250);
	o = st_last();
	st_check(o, TCP_F_ACK, 101, 1001, 0);
	CU_ASSERT_EQUAL(o->seg.opts.nsack, 0);
	CU_ASSERT_EQUAL(tcp_readable(&conn), 500);
	/* an old segment entirely below RCV.NXT: ACK, nothing new */
	nout = 0;
	st_in(&conn, TCP_F_ACK, 501 + 100, 101, 4000, d + 100, 100);
	CU_ASSERT_EQUAL(nout, 1);
	CU_ASSERT_EQUAL(conn.stats.dup_segs, 1);
	/* ... reported as a D-SACK block (RFC 2883), once */
	o = st_last();
	CU_ASSERT_EQUAL(o->seg.opts.nsack, 1);
	CU_ASSERT_EQUAL(o->seg.opts.sack[0].start, 601);
	CU_ASSERT_EQUAL(o->seg.opts.sack[0].end, 701);
	CU_ASSERT(!conn.dsack);
	/* partly old: the new part is taken, the old one D-SACKed */
	nout = 0;
	st_in(&conn, TCP_F_ACK, 501 + 450, 101, 4000, d + 450, 100);
	CU_ASSERT_EQUAL(tcp_readable(&conn), 550);
	CU_ASSERT_EQUAL(nout, 1);
	o = st_last();
	CU_ASSERT_EQUAL(o->seg.opts.nsack, 1);
	CU_ASSERT_EQUAL(o->seg.opts.sack[0].start, 951);
	CU_ASSERT_EQUAL(o->seg.opts.sack[0].end, 1001);
	CU_ASSERT_EQUAL(tcp_recv(&conn, b, sizeof(b), now), 550);
	CU_ASSERT_EQUAL(memcmp(b, d, 550), 0);
	st_abort_conn(&conn);
	st_done(&conn, 1);
}

/**
 * test_ooo_bounded() - more holes than TCP_OOO_MAX: the extra is dropped
 */
static void test_ooo_bounded(void)
{
	uint8_t d[10];
	unsigned i;

	st_setup();
	memset(d, 7, sizeof(d));
	st_active(100, 500, 4000);
	for (i = 0; i < TCP_OOO_MAX + 1; i++)
		st_in(&conn, TCP_F_ACK, 501 + 20 * (i + 1), 101, 4000, d, 10);
	CU_ASSERT_EQUAL(conn.nooo, TCP_OOO_MAX);
	CU_ASSERT_EQUAL(conn.stats.ooo_drops, 1);
	CU_ASSERT_EQUAL(conn.stats.ooo_segs, TCP_OOO_MAX + 1);
	/* an out-of-order FIN beyond the holes waits for them */
	st_in(&conn, TCP_F_ACK | TCP_F_FIN, 501 + 20, 101, 4000, d, 10);
	CU_ASSERT_EQUAL(conn.state, TCP_ESTABLISHED);
	st_abort_conn(&conn);
	st_done(&conn, 1);
}

/**
 * test_ooo_fin() - a FIN beyond a hole is consumed once the hole fills
 */
static void test_ooo_fin(void)
{
	st_setup();
	st_active(100, 500, 4000);
	st_in(&conn, TCP_F_ACK | TCP_F_FIN, 511, 101, 4000, "0123456789", 10);
	CU_ASSERT_EQUAL(conn.state, TCP_ESTABLISHED);
	st_in(&conn, TCP_F_ACK, 501, 101, 4000, "abcdefghij", 10);
	CU_ASSERT_EQUAL(conn.state, TCP_CLOSE_WAIT);
	st_check(st_last(), TCP_F_ACK, 101, 522, 0);
	CU_ASSERT_EQUAL(tcp_readable(&conn), 20);
	st_abort_conn(&conn);
	st_done(&conn, 1);
}

/**
 * test_receive_zero_window() - the ring fills: window 0, a segment beyond
 * is refused with an ACK, reading sends a window update
 */
static void test_receive_zero_window(void)
{
	static uint8_t d[RING];
	uint8_t b[2048];
	unsigned i;

	st_setup();
	st_active(100, 500, 4000);
	for (i = 0; i < 4; i++)
		st_in(&conn, TCP_F_ACK, 501 + 1000 * i, 101, 4000, d, 1000);
	st_in(&conn, TCP_F_ACK, 4501, 101, 4000, d, 96);
	tcp_timer(&conn, now + 100); /* flush the delayed ACK */
	now += 100;
	st_check(st_last(), TCP_F_ACK, 101, 501 + RING, 0);
	CU_ASSERT_EQUAL(st_last()->seg.win, 0);
	/* beyond the window: not taken, ACKed */
	nout = 0;
	st_in(&conn, TCP_F_ACK, 501 + RING, 101, 4000, d, 1);
	CU_ASSERT_EQUAL(nout, 1);
	CU_ASSERT_EQUAL(st_last()->seg.win, 0);
	CU_ASSERT_EQUAL(tcp_readable(&conn), RING);
	/* a zero-length ACK at RCV.NXT is still processed */
	CU_ASSERT_EQUAL(tcp_send(&conn, "z", 1, now), 1);
	st_in(&conn, TCP_F_ACK, 501 + RING, 102, 4000, NULL, 0);
	CU_ASSERT_EQUAL(conn.snd_una, 102);
	/* reading a little: no update (receiver SWS avoidance) */
	nout = 0;
	CU_ASSERT_EQUAL(tcp_recv(&conn, b, 100, now), 100);
	CU_ASSERT_EQUAL(nout, 0);
	/* reading 2 MSS: update */
	CU_ASSERT_EQUAL(tcp_recv(&conn, b, 2000, now), 2000);
	CU_ASSERT_EQUAL(nout, 1);
	st_check(st_last(), TCP_F_ACK, 102, 501 + RING, 0);
	CU_ASSERT_EQUAL(st_last()->seg.win, 2100);
	/* the update reopened a closed window: nothing comes, so it is sent
	 * again (it may have been lost), three times at most */
	CU_ASSERT(conn.t_wupd != 0);
	nout = 0;
	for (i = 0; i < 5 && conn.t_wupd; i++)
		st_timer_run(&conn);
	CU_ASSERT_EQUAL(conn.stats.wupd_resent, 3);
	CU_ASSERT_EQUAL(nout, 3);
	CU_ASSERT_EQUAL(st_last()->seg.win, 2100);
	/* data after an update: no resend */
	CU_ASSERT_EQUAL(tcp_recv(&conn, b, 1996, now), 1996);
	CU_ASSERT(conn.t_wupd == 0); /* the window was open: no timer */
	st_in(&conn, TCP_F_ACK, 501 + RING, 102, 4000, d, 1000);
	CU_ASSERT_EQUAL(conn.stats.wupd_resent, 3);
	st_abort_conn(&conn);
	st_done(&conn, 1);
}

/**
 * test_send_commit() - bytes written straight into the ring at the stream
 * position are sent from there; the ring wraps; no more than the room
 */
static void test_send_commit(void)
{
	unsigned i;

	st_setup();
	cfg.nodelay = true;
	st_active(100, 500, 60000);
	/* stream byte k at sbuf[k & (size - 1)]: k = s - ISS - 1 */
	for (i = 0; i < 500; i++)
		sbuf[i] = (uint8_t)(i * 7);
	CU_ASSERT_EQUAL(tcp_send_commit(&conn, 500, now), 500);
	CU_ASSERT_EQUAL(conn.snd_end, 601);
	CU_ASSERT_EQUAL(nout, 1);
	st_check(st_last(), TCP_F_ACK | TCP_F_PSH, 101, 501, 500);
	for (i = 0; i < 500; i++)
		if (st_last()->data[i] != (uint8_t)(i * 7))
			break;
	CU_ASSERT_EQUAL(i, 500);
	st_in(&conn, TCP_F_ACK, 501, 601, 60000, NULL, 0);
	CU_ASSERT_EQUAL(conn.snd_una, 601);
	/* fill up to SRING - 100 and ack, so the next write wraps */
	CU_ASSERT_EQUAL(tcp_send_commit(&conn, SRING - 600, now), SRING - 600);
	for (i = 0; i < 100 && conn.snd_una != conn.snd_end; i++) {
		nout = 0;
		st_in(&conn, TCP_F_ACK, 501, conn.snd_max, 60000, NULL, 0);
	}
	CU_ASSERT_EQUAL(conn.snd_una, 101 + SRING - 100);
	for (i = 0; i < 300; i++)
		sbuf[(SRING - 100 + i) & (SRING - 1)] = (uint8_t)(i + 1);
	nout = 0;
	CU_ASSERT_EQUAL(tcp_send_commit(&conn, 300, now), 300);
	CU_ASSERT_EQUAL(nout, 1);
	CU_ASSERT_EQUAL(st_last()->seg.len, 300);
	CU_ASSERT_EQUAL(st_last()->seg.data[0].len, 100);
	CU_ASSERT_EQUAL(st_last()->seg.data[1].len, 200);
	for (i = 0; i < 300; i++)
		if (st_last()->data[i] != (uint8_t)(i + 1))
			break;
	CU_ASSERT_EQUAL(i, 300);
	/* more than the room: clipped */
	CU_ASSERT_EQUAL(tcp_writable(&conn), SRING - 300);
	CU_ASSERT_EQUAL(tcp_send_commit(&conn, SRING, now), SRING - 300);
	CU_ASSERT_EQUAL(tcp_send_commit(&conn, 1, now), 0);
	CU_ASSERT_EQUAL(tcp_send_commit(&conn, 0, now), 0);
	/* after shutdown nothing is taken */
	st_in(&conn, TCP_F_ACK, 501, conn.snd_max, 60000, NULL, 0);
	CU_ASSERT_EQUAL(tcp_shutdown(&conn, now), 0);
	CU_ASSERT_EQUAL(tcp_send_commit(&conn, 10, now), 0);
	st_abort_conn(&conn);
	st_done(&conn, 1);
}

/**
 * test_set_keepalive() - SO_KEEPALIVE on an established connection starts
 * the idle timer at once; off stops it
 */
static void test_set_keepalive(void)
{
	st_setup();
	st_active(100, 500, 4000);
	CU_ASSERT_EQUAL(tcp_next_deadline(&conn), UINT64_MAX);
	tcp_set_keepalive(&conn, true, now);
	CU_ASSERT_EQUAL(tcp_next_deadline(&conn), now + cfg.keep_idle_ms);
	tcp_set_keepalive(&conn, false, now);
	CU_ASSERT_EQUAL(tcp_next_deadline(&conn), UINT64_MAX);
	st_abort_conn(&conn);
	st_done(&conn, 1);
}

/**
 * test_recv_commit() - the reader consumes in place: the bytes are at
 * rbuf[k & (size - 1)], the window update follows the same rule as
 * tcp_recv(), more than is readable is not taken
 */
static void test_recv_commit(void)
{
	static uint8_t d[RING];
	unsigned i;

	st_setup();
	for (i = 0; i < RING; i++)
		d[i] = (uint8_t)(i * 13 + 1);
	st_active(100, 500, 4000);
	for (i = 0; i < 4; i++)
		st_in(&conn, TCP_F_ACK, 501 + 1000 * i, 101, 4000,
		      d + 1000 * i, 1000);
	st_in(&conn, TCP_F_ACK, 4501, 101, 4000, d + 4000, 96);
	tcp_timer(&conn, now + 100);
	now += 100;
	CU_ASSERT_EQUAL(st_last()->seg.win, 0);
	CU_ASSERT_EQUAL(tcp_readable(&conn), RING);
	CU_ASSERT_EQUAL(memcmp(rbuf, d, RING), 0); /* byte k at rbuf[k] */
	/* a little: no update (receiver SWS avoidance) */
	nout = 0;
	CU_ASSERT_EQUAL(tcp_recv_commit(&conn, 100, now), 100);
	CU_ASSERT_EQUAL(nout, 0);
	CU_ASSERT_EQUAL(conn.rcv_read, 601);
	/* two MSS: update */
	CU_ASSERT_EQUAL(tcp_recv_commit(&conn, 2000, now), 2000);
	CU_ASSERT_EQUAL(nout, 1);
	st_check(st_last(), TCP_F_ACK, 101, 501 + RING, 0);
	CU_ASSERT_EQUAL(st_last()->seg.win, 2100);
	/* new data lands at the wrapped position */
	st_in(&conn, TCP_F_ACK | TCP_F_PSH, 501 + RING, 101, 4000, "wxyz", 4);
	CU_ASSERT_EQUAL(memcmp(rbuf, "wxyz", 4), 0);
	/* more than readable: clipped */
	CU_ASSERT_EQUAL(tcp_recv_commit(&conn, 100000, now), RING - 2100 + 4);
	CU_ASSERT_EQUAL(tcp_readable(&conn), 0);
	CU_ASSERT_EQUAL(tcp_recv_commit(&conn, 1, now), 0);
	st_abort_conn(&conn);
	st_done(&conn, 1);
}

/**
 * test_persist() - the peer's zero window: probes with backoff, then the
 * window opens and the data flows
 */
static void test_persist(void)
{
	uint8_t d[3000];
	uint64_t d1, d2, d3;

	st_setup();
	memset(d, 'p', sizeof(d));
	st_active(100, 500, 0);
	CU_ASSERT_EQUAL(tcp_send(&conn, d, 3000, now), 3000);
	CU_ASSERT_EQUAL(nout, 0); /* no window */
	CU_ASSERT(conn.persist);
	d1 = st_timer_run(&conn);
	CU_ASSERT_EQUAL(nout, 1);
	st_check(st_last(), TCP_F_ACK, 101, 501, 1); /* one byte probe */
	/* the probe is not taken: window still 0 */
	st_in(&conn, TCP_F_ACK, 501, 101, 0, NULL, 0);
	d2 = st_timer_run(&conn);
	st_check(st_last(), TCP_F_ACK, 101, 501, 1);
	st_in(&conn, TCP_F_ACK, 501, 101, 0, NULL, 0);
	d3 = st_timer_run(&conn);
	CU_ASSERT(d3 - d2 > d2 - d1); /* backing off */
	CU_ASSERT_EQUAL(conn.state, TCP_ESTABLISHED); /* never gives up */
	/* the probe byte taken, window opens: the rest goes out */
	nout = 0;
	st_in(&conn, TCP_F_ACK, 501, 102, 4000, NULL, 0);
	CU_ASSERT(!conn.persist);
	CU_ASSERT_EQUAL(nout, 2); /* the short tail waits: Nagle */
	st_check(&out[0], TCP_F_ACK, 102, 501, 1000);
	st_check(&out[1], TCP_F_ACK, 1102, 501, 1000);
	CU_ASSERT_EQUAL(out[0].data[0], 'p');
	st_in(&conn, TCP_F_ACK, 501, 2102, 4000, NULL, 0);
	CU_ASSERT_EQUAL(nout, 3);
	st_check(&out[2], TCP_F_ACK | TCP_F_PSH, 2102, 501, 999);
	st_in(&conn, TCP_F_ACK, 501, 3101, 4000, NULL, 0);
	CU_ASSERT_EQUAL(tcp_next_deadline(&conn), UINT64_MAX);
	st_abort_conn(&conn);
	st_done(&conn, 1);
}

/**
 * test_persist_gives_up() - a shut window is waited out for as long as
 * the peer answers the probes; probes nobody answers end the connection
 * after max_retries, and a closed one gives up after TCP_ORPHAN_PROBES
 * whether they are answered or not
 */
static void test_persist_gives_up(void)
{
	uint8_t d[100];
	unsigned i;

	st_setup();
	cfg.max_retries = 5;
	memset(d, 'p', sizeof(d));
	st_active(100, 500, 0);
	CU_ASSERT_EQUAL(tcp_send(&conn, d, sizeof(d), now), sizeof(d));
	CU_ASSERT(conn.persist);
	for (i = 0; i < 3 * cfg.max_retries; i++) {
		st_timer_run(&conn);
		st_in(&conn, TCP_F_ACK, 501, 101, 0, NULL, 0);
	}
	CU_ASSERT_EQUAL(conn.state, TCP_ESTABLISHED);
	/* the peer goes silent: max_retries probes, then a RST */
	for (i = 0; i < cfg.max_retries; i++) {
		nout = 0;
		st_timer_run(&conn);
		st_check(st_last(), TCP_F_ACK, 101, 501, 1);
	}
	CU_ASSERT_EQUAL(conn.state, TCP_ESTABLISHED);
	st_expect_timeout(&conn);

	/* closed by its application, the peer answering with a shut window */
	st_setup();
	st_active(100, 500, 0);
	CU_ASSERT_EQUAL(tcp_send(&conn, d, sizeof(d), now), sizeof(d));
	tcp_close(&conn, now);
	CU_ASSERT_EQUAL(conn.state, TCP_FIN_WAIT_1);
	for (i = 0; i < TCP_ORPHAN_PROBES; i++) {
		st_timer_run(&conn);
		CU_ASSERT_EQUAL(conn.state, TCP_FIN_WAIT_1);
		st_in(&conn, TCP_F_ACK, 501, 101, 0, NULL, 0);
	}
	st_timer_run(&conn);
	CU_ASSERT_EQUAL(conn.state, TCP_CLOSED);
	CU_ASSERT(st_last()->seg.flags & TCP_F_RST);
	st_done(&conn, 1);
}

/**
 * test_small_window_override() - a window below one MSS is used after
 * the persist timeout (RFC 9293 3.8.6.2.1 (d))
 */
static void test_small_window_override(void)
{
	uint8_t d[2000];

	st_setup();
	memset(d, 'q', sizeof(d));
	st_active(100, 500, 4000);
	/* the peer shrinks its window below one MSS and half the largest */
	st_in(&conn, TCP_F_ACK, 501, 101, 300, NULL, 0);
	tcp_send(&conn, d, 2000, now);
	CU_ASSERT_EQUAL(nout, 0);
	st_timer_run(&conn);
	st_check(st_last(), TCP_F_ACK, 101, 501, 300);
	/* acked, window still 300: persisting again; a write that does not
	 * change that keeps the timer where it is */
	st_in(&conn, TCP_F_ACK, 501, 401, 300, NULL, 0);
	CU_ASSERT(conn.persist);
	{
		uint64_t t = tcp_next_deadline(&conn);

		now += 50;
		tcp_send(&conn, d, 10, now);
		CU_ASSERT_EQUAL(tcp_next_deadline(&conn), t);
	}
	/* the window grows to take a full segment: sent at once */
	nout = 0;
	st_in(&conn, TCP_F_ACK, 501, 401, 1000, NULL, 0);
	CU_ASSERT(!conn.persist);
	CU_ASSERT_EQUAL(nout, 1);
	st_check(st_last(), TCP_F_ACK, 401, 501, 1000);
	st_abort_conn(&conn);
	st_done(&conn, 1);
}

/**
 * test_nagle() - small writes wait for the ACK unless TCP_NODELAY
 */
static void test_nagle(void)
{
	st_setup();
	st_active(100, 500, 4000);
	tcp_send(&conn, "a", 1, now);
	CU_ASSERT_EQUAL(nout, 1); /* nothing outstanding: goes */
	tcp_send(&conn, "b", 1, now);
	tcp_send(&conn, "c", 1, now);
	CU_ASSERT_EQUAL(nout, 1); /* held */
	st_in(&conn, TCP_F_ACK, 501, 102, 4000, NULL, 0);
	CU_ASSERT_EQUAL(nout, 2);
	st_check(st_last(), TCP_F_ACK | TCP_F_PSH, 102, 501, 2);
	CU_ASSERT_EQUAL(memcmp(st_last()->data, "bc", 2), 0);
	tcp_set_nodelay(&conn, true, now);
	tcp_send(&conn, "d", 1, now);
	CU_ASSERT_EQUAL(nout, 3);
	st_check(st_last(), TCP_F_ACK | TCP_F_PSH, 104, 501, 1);
	st_abort_conn(&conn);
	st_done(&conn, 1);
}

/**
 * test_wraparound() - ISS just below 2^32: sending and receiving across
 */
static void test_wraparound(void)
{
	uint8_t d[1000], b[3000];
	unsigned i;

	st_setup();
	for (i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t)(i * 7);
	st_active(0xfffffc00u, 0xfffffe00u, 4000);
	CU_ASSERT_EQUAL(tcp_send(&conn, d, 1000, now), 1000);
	CU_ASSERT_EQUAL(tcp_send(&conn, d, 1000, now), 1000);
	CU_ASSERT_EQUAL(nout, 2);
	st_check(&out[0], TCP_F_ACK | TCP_F_PSH, 0xfffffc01u, 0xfffffe01u,
		 1000);
	st_check(&out[1], TCP_F_ACK | TCP_F_PSH, 0xfffffc01u + 1000,
		 0xfffffe01u, 1000);
	CU_ASSERT_EQUAL(memcmp(out[1].data, d, 1000), 0);
	st_in(&conn, TCP_F_ACK, 0xfffffe01u, 0xfffffc01u + 2000, 4000, NULL,
	      0);
	CU_ASSERT_EQUAL(conn.snd_una, 0x000003d1u);
	/* receive across 0: a hole at the wrap first */
	st_in(&conn, TCP_F_ACK, 0xfffffe01u + 1000, 0x3d1, 4000, d, 1000);
	st_in(&conn, TCP_F_ACK, 0xfffffe01u, 0x3d1, 4000, d, 1000);
	CU_ASSERT_EQUAL(conn.rcv_nxt, 0xfffffe01u + 2000);
	CU_ASSERT_EQUAL(tcp_recv(&conn, b, sizeof(b), now), 2000);
	CU_ASSERT_EQUAL(memcmp(b + 1000, d, 1000), 0);
	st_abort_conn(&conn);
	st_done(&conn, 1);
}

/**
 * test_rto_backoff() - RTO expires, doubles, gives up after max_retries
 */
static void test_rto_backoff(void)
{
	uint64_t prev, d;
	unsigned i;

	st_setup();
	cfg.max_retries = 3;
	st_active(100, 500, 4000);
	tcp_send(&conn, "hello", 5, now);
	prev = now;
	/* the handshake's sample was 0 ms: RTO is the 200 ms floor */
	CU_ASSERT_EQUAL(rto_get(&conn.rto), 200);
	for (i = 0; i < 3; i++) {
		nout = 0;
		d = st_timer_run(&conn);
		CU_ASSERT_EQUAL(d - prev, 200u << i);
		prev = d;
		st_check(st_last(), TCP_F_ACK | TCP_F_PSH, 101, 501, 5);
		CU_ASSERT_EQUAL(conn.cc.cwnd, conn.mss);
	}
	CU_ASSERT_EQUAL(conn.stats.rtos, 3);
	st_expect_timeout(&conn);
}

/**
 * test_rto_ssthresh_held() - RFC 5681 3.1: ssthresh comes down on the
 * first timeout of a segment and is held constant when the same segment
 * times out again (RFC 9438 4.8: CUBIC follows Reno there); cwnd stays
 * one segment
 */
static void test_rto_ssthresh_held(void)
{
	static uint8_t d[8000];
	const struct cc_ops *ops[] = {NULL, &cc_reno_ops};
	uint32_t ssthresh;
	unsigned k, i;

	for (k = 0; k < 2; k++) {
		st_setup();
		cfg.cc = ops[k];
		st_active(100, 500, 60000);
		CU_ASSERT_EQUAL(tcp_send(&conn, d, sizeof(d), now), sizeof(d));
		CU_ASSERT_EQUAL(conn.snd_max, 101 + 8000);
		st_timer_run(&conn);
		ssthresh = conn.cc.ssthresh;
		CU_ASSERT(ssthresh >= 4 * conn.mss);
		CU_ASSERT_EQUAL(conn.cc.cwnd, conn.mss);
		for (i = 0; i < 3; i++) {
			st_timer_run(&conn);
			CU_ASSERT_EQUAL(conn.stats.rtos, 2 + i);
			CU_ASSERT_EQUAL(conn.cc.ssthresh, ssthresh);
			CU_ASSERT_EQUAL(conn.cc.cwnd, conn.mss);
		}
		/* progress: the next timeout is a first one again */
		st_in(&conn, TCP_F_ACK, 501, 101 + conn.mss, 60000, NULL, 0);
		CU_ASSERT_EQUAL(conn.n_rexmt, 0);
		st_abort_conn(&conn);
		st_done(&conn, 1);
	}
}

/**
 * test_ack_after_rto() - after a timeout snd_nxt goes back for go-back-N,
 * but ACKs carry the highest sequence sent: the peer has seen it, and an
 * older one would fail its acceptability test with the ACK inside
 */
static void test_ack_after_rto(void)
{
	static uint8_t d[3000];

	st_setup();
	st_active(100, 500, 4000);
	tcp_send(&conn, d, 3000, now);
	CU_ASSERT_EQUAL(conn.snd_max, 3101);
	st_timer_run(&conn);
	CU_ASSERT_EQUAL(conn.snd_nxt, 1101); /* one segment resent */
	nout = 0;
	st_in(&conn, TCP_F_ACK | TCP_F_PSH, 501, 101, 4000, "ab", 2);
	st_timer_run(&conn); /* the delayed ACK */
	st_check(st_last(), TCP_F_ACK, 3101, 503, 0);
	st_abort_conn(&conn);
	CU_ASSERT_EQUAL(st_last()->seg.seq, 3101);
	st_done(&conn, 1);
}

/**
 * test_old_segment_ack() - the ACK of an old duplicate still counts; an
 * empty segment at the right edge of the window is acceptable
 */
static void test_old_segment_ack(void)
{
	static uint8_t d[2000];

	st_setup();
	st_active(100, 500, 4000);
	st_in(&conn, TCP_F_ACK, 501, 101, 4000, "abcd", 4);
	tcp_send(&conn, d, 2000, now);
	/* the peer went back after a timeout: SEQ below RCV.NXT */
	nout = 0;
	st_in(&conn, TCP_F_ACK, 501, 1101, 4000, NULL, 0);
	CU_ASSERT_EQUAL(conn.snd_una, 1101);
	CU_ASSERT_EQUAL(nout, 1); /* and it is told where we are */
	st_check(st_last(), TCP_F_ACK, 2101, 505, 0);
	/* old, with data: ACK taken, data not */
	st_in(&conn, TCP_F_ACK, 501, 2101, 4000, "abcd", 4);
	CU_ASSERT_EQUAL(conn.snd_una, 2101);
	CU_ASSERT_EQUAL(tcp_readable(&conn), 4);
	/* an empty segment at RCV.NXT + RCV.WND */
	tcp_send(&conn, d, 10, now);
	st_in(&conn, TCP_F_ACK, 505 + RING - 4, 2111, 4000, NULL, 0);
	CU_ASSERT_EQUAL(conn.snd_una, 2111);
	/* one past it: not acceptable */
	tcp_send(&conn, d, 10, now);
	st_in(&conn, TCP_F_ACK, 505 + RING - 3, 2121, 4000, NULL, 0);
	CU_ASSERT_EQUAL(conn.snd_una, 2111);
	/* an old RST or SYN stays without effect */
	st_in(&conn, TCP_F_RST, 501, 0, 0, NULL, 0);
	st_in(&conn, TCP_F_SYN | TCP_F_ACK, 400, 2121, 4000, NULL, 0);
	CU_ASSERT_EQUAL(conn.state, TCP_ESTABLISHED);
	CU_ASSERT_EQUAL(conn.snd_una, 2111);
	st_abort_conn(&conn);
	st_done(&conn, 1);
}

/**
 * test_rtt_karn_synack() - Karn (RFC 6298 3) for the SYN-ACK: one sent
 * again for the peer's retransmitted SYN (or as an ACK in SYN-RECEIVED)
 * gives no RTT sample; a SYN-ACK sent once does
 */
static void test_rtt_karn_synack(void)
{
	struct tcp_conn *c;
	unsigned k;

	for (k = 0; k < 3; k++) {
		st_setup();
		tcp_conn_init(&lconn, &st_ops, NULL, &cfg, NULL, 0, NULL, 0);
		CU_ASSERT_EQUAL(tcp_listen(&lconn, ME, MYPORT), 0);
		st_in(&lconn, TCP_F_SYN, 7000, 0, 4000, NULL, 0);
		c = &kids[0];
		CU_ASSERT_EQUAL_FATAL(c->state, TCP_SYN_RECEIVED);
		now += 1000;
		if (k == 1) {
			/* our SYN-ACK was lost: the peer's SYN again */
			st_in(c, TCP_F_SYN, 7000, 0, 4000, NULL, 0);
			st_check(st_last(), TCP_F_SYN | TCP_F_ACK, 9000, 7001,
				 0);
		} else if (k == 2) {
			/* an out-of-window segment: answered by a SYN-ACK */
			st_in(c, TCP_F_ACK, 7000 + 100000, 9001, 4000, NULL,
			      0);
			st_check(st_last(), TCP_F_SYN | TCP_F_ACK, 9000, 7001,
				 0);
		}
		now += 10;
		st_in(c, TCP_F_ACK, 7001, 9001, 4000, NULL, 0);
		CU_ASSERT_EQUAL(c->state, TCP_ESTABLISHED);
		if (k) {
			CU_ASSERT_EQUAL(c->rto.srtt8, 0); /* no sample */
		} else {
			CU_ASSERT_EQUAL(rto_srtt(&c->rto), 1010);
		}
		CU_ASSERT_PTR_EQUAL(tcp_accept(&lconn), c);
		tcp_close(&lconn, now);
		st_abort_conn(c);
		st_done(c, 2);
	}
}

/**
 * test_rtt_karn() - the RTT of a retransmitted segment is not sampled
 */
static void test_rtt_karn(void)
{
	st_setup();
	st_active(100, 500, 4000);
	CU_ASSERT_EQUAL(rto_srtt(&conn.rto), 0); /* handshake: 0 ms */
	tcp_send(&conn, "a", 1, now);
	now += 80;
	st_in(&conn, TCP_F_ACK, 501, 102, 4000, NULL, 0);
	CU_ASSERT_EQUAL(rto_srtt(&conn.rto), 10); /* 0 + 80 / 8 */
	tcp_send(&conn, "b", 1, now);
	st_timer_run(&conn); /* retransmitted */
	CU_ASSERT_EQUAL(conn.stats.rtos, 1);
	now += 500;
	st_in(&conn, TCP_F_ACK, 501, 103, 4000, NULL, 0);
	CU_ASSERT_EQUAL(rto_srtt(&conn.rto), 10); /* Karn: no sample */
	st_abort_conn(&conn);
	st_done(&conn, 1);
}

/**
 * st_sack_ack() - peer ACK with SACK blocks
 * @ack:	acknowledgment number
 * @n:		blocks
 * @b:		blocks (start, end pairs)
 */
static void st_sack_ack(uint32_t ack, unsigned n, const uint32_t *b)
{
	struct tcp_seg s = st_seg(TCP_F_ACK, 501, ack, 60000, NULL, 0);
	unsigned i;

	s.opts.has |= TCP_O_SACK;
	s.opts.nsack = (uint8_t)n;
	for (i = 0; i < n; i++) {
		s.opts.sack[i].start = b[2 * i];
		s.opts.sack[i].end = b[2 * i + 1];
	}
	tcp_input(&conn, &s, now);
}

/**
 * st_sack_conn() - connected with SACK, peer MSS 1000, nothing sent yet
 * @syn_resent:	the SYN timed out and went again before the SYN-ACK came
 */
static void st_sack_conn(bool syn_resent)
{
	st_setup();
	cfg.use_sack = true;
	tcp_conn_init(&conn, &st_ops, NULL, &cfg, sbuf, SRING, rbuf, RING);
	tcp_connect(&conn, ME, MYPORT, PEER, PPORT, 100, now);
	if (syn_resent)
		st_timer_run(&conn);
	{
		struct tcp_seg s = st_seg(TCP_F_SYN | TCP_F_ACK, 500, 101,
					  60000, NULL, 0);

		s.opts.has = TCP_O_SACKOK | TCP_O_MSS;
		s.opts.mss = 1000;
		tcp_input(&conn, &s, now);
	}
	nout = 0;
}

/**
 * test_sack_recovery() - RFC 6675: SACKs mark a hole lost, it is resent,
 * pipe limits sending, a partial ACK keeps recovery, the full one ends it
 */
static void test_sack_recovery(void)
{
	static uint8_t d[12000];
	uint32_t cwnd, blk[6];
	unsigned i;

	st_sack_conn(false);
	CU_ASSERT_EQUAL(tcp_send(&conn, d, 4000, now), 4000);
	CU_ASSERT_EQUAL(nout, 4); /* IW 10 allows all */
	cwnd = conn.cc.cwnd;
	/* segment 1 (101..1100) lost; 2, 3, 4 SACKed one by one */
	nout = 0;
	blk[0] = 1101;
	blk[1] = 2101;
	st_sack_ack(101, 1, blk);
	CU_ASSERT(!conn.in_recovery);
	blk[1] = 3101;
	st_sack_ack(101, 1, blk);
	CU_ASSERT(!conn.in_recovery);
	CU_ASSERT_EQUAL(nout, 0);
	blk[1] = 4101;
	st_sack_ack(101, 1, blk);
	CU_ASSERT(conn.in_recovery);
	CU_ASSERT_EQUAL(conn.stats.fast_rexmits, 1);
	CU_ASSERT_EQUAL(nout, 1);
	st_check(st_last(), TCP_F_ACK, 101, 501, 1000);
	/* CUBIC: cwnd * 0.7 */
	CU_ASSERT_EQUAL(conn.cc.ssthresh, (uint32_t)(cwnd / 1000.0 * 0.7 * 1000));
	CU_ASSERT_EQUAL(conn.cc.cwnd, conn.cc.ssthresh);
	CU_ASSERT_EQUAL(tcp_out_pipe(&conn), 1000); /* the retransmission */
	/* new data goes out as pipe allows */
	nout = 0;
	CU_ASSERT_EQUAL(tcp_send(&conn, d, 8000, now), 8000);
	CU_ASSERT(nout >= 1);
	CU_ASSERT_EQUAL(out[0].seg.seq, 4101);
	CU_ASSERT(tcp_out_pipe(&conn) <= conn.cc.cwnd);
	/* full ACK of the recovery point: recovery ends */
	st_sack_ack(4101, 0, blk);
	CU_ASSERT(!conn.in_recovery);
	CU_ASSERT_EQUAL(conn.nsb, 0);
	for (i = 0; i < 20 && conn.snd_una != conn.snd_max; i++)
		st_sack_ack(conn.snd_max, 0, blk);
	CU_ASSERT_EQUAL(conn.snd_una, 12101);
	st_abort_conn(&conn);
	st_done(&conn, 1);
}

/**
 * test_limited_transmit() - RFC 3042: the first two dupacks each send one
 * new segment beyond cwnd; the third starts fast retransmit
 */
static void test_limited_transmit(void)
{
	static uint8_t d[13000];

	st_setup();
	st_active(100, 500, 60000);
	CU_ASSERT_EQUAL(tcp_send(&conn, d, 13000, now), 13000);
	CU_ASSERT_EQUAL(nout, 10); /* IW */
	nout = 0;
	st_in(&conn, TCP_F_ACK, 501, 101, 60000, NULL, 0);
	CU_ASSERT_EQUAL(nout, 1);
	st_check(st_last(), TCP_F_ACK, 10101, 501, 1000);
	st_in(&conn, TCP_F_ACK, 501, 101, 60000, NULL, 0);
	CU_ASSERT_EQUAL(nout, 2);
	st_check(st_last(), TCP_F_ACK, 11101, 501, 1000);
	CU_ASSERT(!conn.in_recovery);
	st_in(&conn, TCP_F_ACK, 501, 101, 60000, NULL, 0);
	CU_ASSERT(conn.in_recovery);
	st_check(&out[2], TCP_F_ACK, 101, 501, 1000);
	st_abort_conn(&conn);
	st_done(&conn, 1);
}

/**
 * test_cwnd_limited() - cwnd grows only while it limits the sender
 */
static void test_cwnd_limited(void)
{
	static uint8_t d[10000];
	uint32_t iw;

	st_setup();
	cfg.nodelay = true;
	st_active(100, 500, 60000);
	iw = conn.cc.cwnd;
	CU_ASSERT_EQUAL(iw, 10000);
	/* a trickle: the application limits, cwnd stays */
	tcp_send(&conn, d, 100, now);
	st_in(&conn, TCP_F_ACK, 501, 201, 60000, NULL, 0);
	CU_ASSERT_EQUAL(conn.cc.cwnd, iw);
	/* a full window: slow start */
	CU_ASSERT_EQUAL(tcp_send(&conn, d, 10000, now), 10000);
	CU_ASSERT_EQUAL(conn.snd_max, 10201);
	st_in(&conn, TCP_F_ACK, 501, 2201, 60000, NULL, 0);
	CU_ASSERT_EQUAL(conn.cc.cwnd, iw + 2000);
	st_abort_conn(&conn);
	st_done(&conn, 1);
}

/**
 * test_unreach() - an ICMP destination unreachable ends a connection
 * still opening with its error, if it quotes our SYN; a synchronized one
 * carries on
 */
static void test_unreach(void)
{
	st_setup();
	tcp_conn_init(&conn, &st_ops, NULL, &cfg, sbuf, SRING, rbuf, RING);
	CU_ASSERT_FATAL(tcp_connect(&conn, ME, MYPORT, PEER, PPORT, 100, now) ==
			0);
	CU_ASSERT_EQUAL(tcp_unreach(&conn, 5000, EHOSTUNREACH, now), -EINVAL);
	CU_ASSERT_EQUAL(conn.state, TCP_SYN_SENT);
	CU_ASSERT_EQUAL(tcp_unreach(&conn, 100, EHOSTUNREACH, now), 0);
	CU_ASSERT_EQUAL(conn.state, TCP_CLOSED);
	CU_ASSERT_EQUAL(conn.err, -EHOSTUNREACH);
	CU_ASSERT(evs & TCP_EV_RESET);
	CU_ASSERT_EQUAL(tcp_next_deadline(&conn), UINT64_MAX);
	tcp_close(&conn, now);
	st_done(&conn, 1);

	st_setup();
	st_active(100, 500, 60000);
	CU_ASSERT_EQUAL(tcp_unreach(&conn, 101, ECONNREFUSED, now), -EINVAL);
	CU_ASSERT_EQUAL(conn.state, TCP_ESTABLISHED);
	st_abort_conn(&conn);
	st_done(&conn, 1);
}

/**
 * st_round() - send @len bytes of a full window, ACKed two segments at a
 * time
 * @d:		the bytes
 * @len:	how many (a multiple of 2000)
 *
 * Return: segments sent at once
 */
static unsigned st_round(const uint8_t *d, uint32_t len)
{
	uint32_t una = conn.snd_una, i;
	unsigned n;

	nout = 0;
	CU_ASSERT_EQUAL(tcp_send(&conn, d, len, now), len);
	n = nout;
	for (i = 2000; i <= len; i += 2000)
		st_in(&conn, TCP_F_ACK, 501, una + i, 60000, NULL, 0);
	CU_ASSERT_EQUAL(conn.snd_una, una + len);
	return n;
}

/**
 * test_idle_restart() - RFC 5681 4.1: after more than an RTO without
 * sending, at most the initial window goes out
 */
static void test_idle_restart(void)
{
	static uint8_t d[16000];
	uint32_t cwnd;

	st_setup();
	cfg.nodelay = true;
	st_active(100, 500, 60000);
	conn.cc.cwnd = 16000; /* a window grown to 16 segments */
	CU_ASSERT_EQUAL(st_round(d, 16000), 16);
	/* idle for less than the RTO: the window stays */
	now += 50;
	CU_ASSERT_EQUAL(st_round(d, 16000), 16);
	cwnd = conn.cc.cwnd;
	/* idle for many RTOs: back to the initial window; ssthresh keeps
	 * 3/4 of the old one */
	now += 10000;
	CU_ASSERT_EQUAL(st_round(d, 16000), 10);
	CU_ASSERT(conn.cc.ssthresh >= cwnd / 2 + cwnd / 4);
	st_abort_conn(&conn);
	st_done(&conn, 1);
}

/**
 * test_sack_rescue() - RFC 6675 rule 4: the lost last segment is resent
 * once in recovery instead of waiting for the RTO
 */
static void test_sack_rescue(void)
{
	static uint8_t d[6000];
	uint32_t blk[2] = {1101, 5101};
	unsigned i, found = 0;

	st_sack_conn(false);
	tcp_send(&conn, d, 6000, now);
	nout = 0;
	/* segments 1 and 6 lost, 2-5 SACKed */
	st_sack_ack(101, 1, blk);
	CU_ASSERT(conn.in_recovery);
	for (i = 0; i < nout; i++) {
		if (out[i].seg.seq == 101)
			found |= 1;
		if (out[i].seg.seq == 5101 && out[i].seg.len == 1000)
			found |= 2;
	}
	CU_ASSERT_EQUAL(found, 3);
	CU_ASSERT(conn.rescue_done);
	CU_ASSERT_EQUAL(conn.high_rxt, 1101); /* rule 4 leaves HighRxt */
	/* no second rescue in the same recovery */
	nout = 0;
	blk[1] = 5101;
	st_sack_ack(101, 1, blk);
	for (i = 0; i < nout; i++)
		CU_ASSERT(out[i].seg.seq != 5101);
	st_abort_conn(&conn);
	st_done(&conn, 1);
}

/**
 * test_tlp() - RFC 8985 7: a lost tail gets a probe, not a timeout; the
 * probe's SACK shows RACK what was lost before it
 */
static void test_tlp(void)
{
	static uint8_t d[4000];
	uint32_t blk[2] = {3101, 4101}, cwnd;

	st_sack_conn(false);
	tcp_send(&conn, d, sizeof(d), now);
	nout = 0;
	cwnd = conn.cc.cwnd;
	/* nothing comes back: the probe timer is before the RTO */
	CU_ASSERT(conn.t_tlp != 0);
	CU_ASSERT(conn.t_tlp < conn.t_rexmt);
	st_timer_run(&conn);
	CU_ASSERT_EQUAL(conn.stats.tlp_probes, 1);
	CU_ASSERT_EQUAL(conn.stats.rtos, 0);
	CU_ASSERT_EQUAL(nout, 1); /* the last segment again */
	st_check(st_last(), TCP_F_ACK | TCP_F_PSH, 3101, 501, 1000);
	CU_ASSERT_EQUAL(conn.cc.cwnd, cwnd); /* 7.3: cwnd untouched */
	CU_ASSERT(conn.tlp_out);
	CU_ASSERT_EQUAL(conn.t_tlp, 0); /* one probe per episode */
	/* its SACK: 1-3 were sent before it; after the reordering
	 * window they are lost and resent */
	nout = 0;
	st_sack_ack(101, 1, blk);
	CU_ASSERT(!conn.in_recovery);
	CU_ASSERT(conn.t_rack != 0);
	st_timer_run(&conn);
	CU_ASSERT(conn.in_recovery);
	CU_ASSERT(nout >= 1);
	CU_ASSERT_EQUAL(out[0].seg.seq, 101);
	CU_ASSERT_EQUAL(conn.stats.rtos, 0);
	st_abort_conn(&conn);
	st_done(&conn, 1);
}

/**
 * test_tlp_no_srtt() - RFC 8985 7.2: without an RTT sample (the SYN was
 * sent again, Karn) the probe timeout is TCP_RTO_INIT, 1 s, not 2 * 0 ms
 */
static void test_tlp_no_srtt(void)
{
	static uint8_t d[4000];

	st_sack_conn(true); /* no RTT sample from the handshake */
	CU_ASSERT_EQUAL_FATAL(conn.state, TCP_ESTABLISHED);
	CU_ASSERT_EQUAL(conn.rto.srtt8, 0);
	tcp_send(&conn, d, sizeof(d), now);
	CU_ASSERT(conn.snd_max != conn.snd_una);
	/* armed, and not at 2 * 0 ms + a little */
	CU_ASSERT(conn.t_tlp >= now + 1000);
	st_abort_conn(&conn);
	st_done(&conn, 1);
}

/**
 * test_rack_lost_rexmit() - RFC 8985 6.2: a lost retransmission is seen
 * when data sent after it is delivered, and sent again before any RTO
 */
static void test_rack_lost_rexmit(void)
{
	static uint8_t d[12000];
	uint32_t blk[4] = {1101, 4101}, cnt = 0, hi;
	unsigned i;

	st_sack_conn(false);
	tcp_send(&conn, d, 4000, now);
	nout = 0;
	/* segment 1 lost, 2-4 SACKed: recovery, 1 resent */
	st_sack_ack(101, 1, blk);
	CU_ASSERT(conn.in_recovery);
	CU_ASSERT_EQUAL(out[0].seg.seq, 101);
	CU_ASSERT_EQUAL(tcp_out_pipe(&conn), 1000);
	/* new data goes after the retransmission... */
	nout = 0;
	tcp_send(&conn, d, 8000, now);
	CU_ASSERT(nout >= 1);
	CU_ASSERT_EQUAL(out[0].seg.seq, 4101);
	hi = out[0].seg.seq + out[0].seg.len;
	/* ...and is SACKed while the retransmission of 1 is not: lost */
	nout = 0;
	blk[1] = hi;
	st_sack_ack(101, 1, blk);
	for (i = 0; i < nout; i++)
		cnt += out[i].seg.seq == 101;
	CU_ASSERT_EQUAL(cnt, 1);
	CU_ASSERT_EQUAL(conn.stats.rtos, 0);
	/* the second retransmission arrives: everything up to hi is in */
	st_sack_ack(hi, 0, blk);
	CU_ASSERT_EQUAL(conn.snd_una, hi);
	st_abort_conn(&conn);
	st_done(&conn, 1);
}

/**
 * rtx_check() - the log's entries are disjoint and non-empty
 * @c:	connection
 *
 * Return: bytes they cover
 */
static uint32_t rtx_check(const struct tcp_conn *c)
{
	uint32_t total = 0;
	unsigned i, j;

	for (i = 0; i < c->nrtx; i++) {
		CU_ASSERT(SEQ_LT(c->rtx[i].start, c->rtx[i].end));
		total += c->rtx[i].end - c->rtx[i].start;
		for (j = i + 1; j < c->nrtx; j++)
			CU_ASSERT(SEQ_LEQ(c->rtx[i].end, c->rtx[j].start) ||
				  SEQ_LEQ(c->rtx[j].end, c->rtx[i].start));
	}
	return total;
}

/**
 * test_rack_log() - the retransmission log: consecutive resends join,
 * a resend inside an older one splits it, the log stays disjoint and
 * bounded, a wrapped sequence space changes nothing
 */
static void test_rack_log(void)
{
	static const uint32_t bases[] = {1000, 0xfffff000u}; /* across 2^32 */
	static struct tcp_conn c;
	uint32_t base, k;
	unsigned b;

	for (b = 0; b < 2; b++) {
		base = bases[b];
		memset(&c, 0, sizeof(c));
		c.snd_max = base + 100000;
		tcp_rack_sent(&c, base, 1000);
		tcp_rack_sent(&c, base + 1000, 1000); /* joins */
		CU_ASSERT_EQUAL(c.nrtx, 1);
		CU_ASSERT_EQUAL(c.rtx[0].end, base + 2000);
		CU_ASSERT_EQUAL(c.rtx[0].n, 2);
		/* inside: split, the middle newer (the piece before it may take
		 * the newer number: later, never earlier, is safe) */
		tcp_rack_sent(&c, base + 500, 100);
		CU_ASSERT(c.nrtx >= 2);
		CU_ASSERT_EQUAL(rtx_check(&c), 2000);
		tcp_rack_sent(&c, base, 2000); /* all again: one entry */
		CU_ASSERT_EQUAL(c.nrtx, 1);
		CU_ASSERT_EQUAL(rtx_check(&c), 2000);
		/* scattered resends: never more than TCP_RTX_MAX entries */
		for (k = 0; k < 40; k++)
			tcp_rack_sent(&c, base + 3000 + k * 2000, 500);
		CU_ASSERT_EQUAL(c.nrtx, TCP_RTX_MAX);
		rtx_check(&c);
		/* everything below snd_una forgotten */
		c.snd_una = base + 3000 + 39 * 2000;
		tcp_rack_trim(&c);
		CU_ASSERT_EQUAL(c.nrtx, 1);
	}
}

/**
 * test_newreno_recovery() - no SACK: three dupacks, partial ACK resends
 */
static void test_newreno_recovery(void)
{
	static uint8_t d[5000];
	unsigned i;

	st_setup();
	cfg.cc = &cc_reno_ops;
	st_active(100, 500, 60000);
	tcp_send(&conn, d, 5000, now);
	CU_ASSERT_EQUAL(nout, 5);
	nout = 0;
	for (i = 0; i < 3; i++)
		st_in(&conn, TCP_F_ACK, 501, 101, 60000, NULL, 0);
	CU_ASSERT(conn.in_recovery);
	CU_ASSERT_EQUAL(conn.dupacks, 3);
	CU_ASSERT_EQUAL(nout, 1);
	st_check(st_last(), TCP_F_ACK, 101, 501, 1000);
	CU_ASSERT_EQUAL(conn.cc.ssthresh, 2500); /* FlightSize / 2 */
	/* partial ACK: segment 2 lost too, resent at once */
	nout = 0;
	st_in(&conn, TCP_F_ACK, 501, 1101, 60000, NULL, 0);
	CU_ASSERT(conn.in_recovery);
	CU_ASSERT_EQUAL(nout, 1);
	st_check(st_last(), TCP_F_ACK, 1101, 501, 1000);
	st_in(&conn, TCP_F_ACK, 501, 5101, 60000, NULL, 0);
	CU_ASSERT(!conn.in_recovery);
	CU_ASSERT_EQUAL(conn.cc.cwnd, 2500);
	st_abort_conn(&conn);
	st_done(&conn, 1);
}

/**
 * test_timestamps_paws() - TS echo, TS.Recent, PAWS drop, RTTM
 */
static void test_timestamps_paws(void)
{
	struct tcp_seg s;
	uint32_t tsr;

	st_setup();
	cfg.use_ts = true;
	tcp_conn_init(&conn, &st_ops, NULL, &cfg, sbuf, SRING, rbuf, RING);
	tcp_connect(&conn, ME, MYPORT, PEER, PPORT, 100, now);
	peer_ts = true;
	peer_tsval = 1000;
	now += 20;
	st_in(&conn, TCP_F_SYN | TCP_F_ACK, 500, 101, 4000, NULL, 0);
	CU_ASSERT(conn.ts_on);
	CU_ASSERT_EQUAL(rto_srtt(&conn.rto), 20);
	peer_tsval = 1010;
	st_in(&conn, TCP_F_ACK | TCP_F_PSH, 501, 101, 4000, "abc", 3);
	CU_ASSERT_EQUAL(conn.ts_recent, 1010);
	tcp_timer(&conn, now + 40);
	CU_ASSERT_EQUAL(st_last()->seg.opts.tsecr, 1010);
	/* an old timestamp: PAWS drops it and ACKs (RFC 7323 5.3) */
	nout = 0;
	peer_tsval = 900;
	st_in(&conn, TCP_F_ACK, 504, 101, 4000, "def", 3);
	CU_ASSERT_EQUAL(conn.stats.paws_drops, 1);
	CU_ASSERT_EQUAL(tcp_readable(&conn), 3);
	CU_ASSERT_EQUAL(nout, 1);
	/* without a timestamp at all: dropped silently (RFC 7323 3.2) */
	nout = 0;
	s = st_seg(TCP_F_ACK, 504, 101, 4000, "def", 3);
	s.opts.has = 0;
	tcp_input(&conn, &s, now);
	CU_ASSERT_EQUAL(tcp_readable(&conn), 3);
	CU_ASSERT_EQUAL(nout, 0);
	/* RTTM: an ACK echoing our clock gives the sample */
	peer_tsval = 1020;
	tcp_send(&conn, "x", 1, now);
	now += 80;
	st_in(&conn, TCP_F_ACK, 504, 102, 4000, NULL, 0);
	CU_ASSERT(rto_srtt(&conn.rto) > 20);
	/* forgeries with a timestamp far ahead leave TS.Recent alone (RFC
	 * 7323 5.3, RFC 5961): an old duplicate, its ACK acceptable or not,
	 * and a segment in the window acknowledging data never sent.
	 * Otherwise PAWS would drop every real segment after them. */
	tsr = conn.ts_recent;
	peer_tsval = tsr + 0x40000000u;
	st_in(&conn, TCP_F_ACK, 504 - 0x10000000u, 102, 4000, NULL, 0);
	st_in(&conn, TCP_F_ACK, 504 - 0x10000000u, 0xdeadbeef, 4000, NULL, 0);
	st_in(&conn, TCP_F_ACK, 504, 102 + 0x40000000u, 4000, NULL, 0);
	CU_ASSERT_EQUAL(conn.ts_recent, tsr);
	peer_tsval = tsr + 10;
	st_in(&conn, TCP_F_ACK | TCP_F_PSH, 504, 102, 4000, "ghi", 3);
	CU_ASSERT_EQUAL(tcp_readable(&conn), 6);
	CU_ASSERT_EQUAL(conn.ts_recent, tsr + 10);
	st_abort_conn(&conn);
	st_done(&conn, 1);
}

/**
 * test_ts_offset_secret() - RFC 7323 7.1: the timestamp clock's offset is
 * random per connection and secret; the peer, who sees our ISS, must not
 * be able to take it off our TSval and read our clock (uptime). Same ISS
 * and time: the offset follows the key, and is not a function of the
 * ISS alone
 */
static void test_ts_offset_secret(void)
{
	uint32_t tsval[3];
	unsigned k;

	for (k = 0; k < 3; k++) {
		st_setup();
		cfg.use_ts = true;
		cfg.ts_key = k < 2 ? 0x1234567890abcdefULL : 42;
		tcp_conn_init(&conn, &st_ops, NULL, &cfg, sbuf, SRING, rbuf,
			      RING);
		CU_ASSERT_FATAL(tcp_connect(&conn, ME, MYPORT, PEER, PPORT,
					    100, now) == 0);
		CU_ASSERT_FATAL(st_last()->seg.opts.has & TCP_O_TS);
		tsval[k] = st_last()->seg.opts.tsval;
		CU_ASSERT_NOT_EQUAL(tsval[k] - (uint32_t)now,
				    100u * 2654435761u);
		st_abort_conn(&conn);
		st_done(&conn, 1);
	}
	CU_ASSERT_EQUAL(tsval[0], tsval[1]);
	CU_ASSERT_NOT_EQUAL(tsval[0], tsval[2]);
}

/**
 * test_window_scale() - our window field is shifted, the peer's scaled
 */
static void test_window_scale(void)
{
	static uint8_t big_r[1 << 20];
	struct tcp_seg s;

	st_setup();
	cfg.use_ws = true;
	tcp_conn_init(&conn, &st_ops, NULL, &cfg, sbuf, SRING, big_r,
		      sizeof(big_r));
	tcp_connect(&conn, ME, MYPORT, PEER, PPORT, 100, now);
	CU_ASSERT_EQUAL(st_last()->seg.opts.ws, 5); /* 1 MiB >> 5 = 32768 */
	CU_ASSERT_EQUAL(st_last()->seg.win, 65535); /* SYN: not scaled */
	s = st_seg(TCP_F_SYN | TCP_F_ACK, 500, 101, 1000, NULL, 0);
	s.opts.has = TCP_O_WS;
	s.opts.ws = 20; /* clamped to 14 by the parser; here taken as is */
	s.opts.ws = 2;
	tcp_input(&conn, &s, now);
	CU_ASSERT_EQUAL(conn.snd_wnd, 1000); /* the SYN's is not scaled */
	st_check(st_last(), TCP_F_ACK, 101, 501, 0);
	CU_ASSERT_EQUAL(st_last()->seg.win, 32768);
	st_in(&conn, TCP_F_ACK, 501, 101, 1000, NULL, 0);
	CU_ASSERT_EQUAL(conn.snd_wnd, 4000);
	st_abort_conn(&conn);
	st_done(&conn, 1);
}

/**
 * st_keepalive_conn() - connected with keepalive: probes after 10 s idle,
 * then every second, given up after 3 unanswered
 */
static void st_keepalive_conn(void)
{
	st_setup();
	cfg.keepalive = true;
	cfg.keep_idle_ms = 10000;
	cfg.keep_intvl_ms = 1000;
	cfg.keep_cnt = 3;
	st_active(100, 500, 4000);
}

/**
 * test_keepalive() - probes on an idle connection, then ETIMEDOUT
 */
static void test_keepalive(void)
{
	unsigned i;

	st_keepalive_conn();
	CU_ASSERT_EQUAL(tcp_next_deadline(&conn), now + 10000);
	st_timer_run(&conn);
	st_check(st_last(), TCP_F_ACK, 100, 501, 0); /* SND.UNA - 1 */
	/* answered: idle again */
	st_in(&conn, TCP_F_ACK, 501, 101, 4000, NULL, 0);
	CU_ASSERT_EQUAL(tcp_next_deadline(&conn), now + 10000);
	for (i = 0; i < 3; i++)
		st_timer_run(&conn);
	CU_ASSERT_EQUAL(conn.stats.keep_probes, 4);
	CU_ASSERT_EQUAL(conn.state, TCP_ESTABLISHED);
	st_timer_run(&conn);
	CU_ASSERT_EQUAL(conn.state, TCP_CLOSED);
	CU_ASSERT_EQUAL(conn.err, -ETIMEDOUT);
	tcp_close(&conn, now);
	st_done(&conn, 1);
}

/**
 * test_keepalive_forged() - segments that fail the sequence or ACK checks
 * (forged, or old duplicates) are dropped: they do not show the peer is
 * alive, so the idle timer and the unanswered probes go on; an acceptable
 * segment restarts them
 */
static void test_keepalive_forged(void)
{
	uint64_t due;
	unsigned i;

	st_keepalive_conn();
	due = tcp_next_deadline(&conn);
	CU_ASSERT_EQUAL(due, now + 10000);
	now += 5000;
	/* out of window: data, an ACK, a RST, a FIN far away */
	st_in(&conn, TCP_F_ACK, 500 + 100000, 101, 4000, "x", 1);
	st_in(&conn, TCP_F_ACK, 500 - 100000, 101 - 100000, 4000, "x", 1);
	st_in(&conn, TCP_F_RST, 500 + 100000, 0, 0, NULL, 0);
	/* in window, but acknowledging what was never sent */
	st_in(&conn, TCP_F_ACK, 501, 5000, 4000, NULL, 0);
	CU_ASSERT_EQUAL(conn.state, TCP_ESTABLISHED);
	CU_ASSERT_EQUAL(tcp_next_deadline(&conn), due);
	/* the probes go unanswered but for forged segments: given up */
	st_timer_run(&conn);
	st_check(st_last(), TCP_F_ACK, 100, 501, 0);
	for (i = 0; i < 3; i++) {
		st_in(&conn, TCP_F_ACK, 500 + 100000 + i, 101, 4000, NULL, 0);
		st_timer_run(&conn);
	}
	CU_ASSERT_EQUAL(conn.state, TCP_CLOSED);
	CU_ASSERT_EQUAL(conn.err, -ETIMEDOUT);
	tcp_close(&conn, now);
	st_done(&conn, 1);

	/* an acceptable segment restarts the idle time */
	st_keepalive_conn();
	now += 5000;
	st_in(&conn, TCP_F_ACK, 501, 101, 4000, NULL, 0);
	CU_ASSERT_EQUAL(tcp_next_deadline(&conn), now + 10000);
	st_abort_conn(&conn);
	st_done(&conn, 1);
}

/**
 * test_close_unread() - closing with unread data resets (RFC 2525 2.17)
 */
static void test_close_unread(void)
{
	st_setup();
	st_active(100, 500, 4000);
	st_in(&conn, TCP_F_ACK, 501, 101, 4000, "data", 4);
	tcp_close(&conn, now);
	CU_ASSERT(st_last()->seg.flags & TCP_F_RST);
	st_done(&conn, 1);
}

/**
 * test_data_after_close() - data for a closed application: reset
 */
static void test_data_after_close(void)
{
	st_setup();
	st_active(100, 500, 4000);
	tcp_close(&conn, now);
	CU_ASSERT_EQUAL(conn.state, TCP_FIN_WAIT_1);
	st_in(&conn, TCP_F_ACK, 501, 102, 4000, "late", 4);
	st_check(st_last(), TCP_F_RST | TCP_F_ACK, 102, 501, 0);
	st_done(&conn, 1);
}

/**
 * test_pmtu() - fragmentation needed: checked, MSS lowered, resent
 */
static void test_pmtu(void)
{
	static uint8_t d[3000];
	uint32_t cwnd;
	unsigned i;

	st_setup();
	st_active(100, 500, 60000);
	tcp_send(&conn, d, 3000, now);
	CU_ASSERT_EQUAL(nout, 3);
	cwnd = conn.cc.cwnd;
	/* a sequence number not in flight: ignored (RFC 5927) */
	CU_ASSERT_EQUAL(tcp_pmtu(&conn, 5000, 576, now), -EINVAL);
	CU_ASSERT_EQUAL(tcp_pmtu(&conn, 100, 576, now), -EINVAL);
	/* larger than now: ignored */
	CU_ASSERT_EQUAL(tcp_pmtu(&conn, 101, 1500, now), -EINVAL);
	nout = 0;
	CU_ASSERT_EQUAL(tcp_pmtu(&conn, 1101, 576, now), 0);
	CU_ASSERT_EQUAL(conn.mss, 536);
	CU_ASSERT_EQUAL(conn.cc.cwnd, cwnd);
	CU_ASSERT(nout >= 5);
	for (i = 0; i < nout; i++)
		CU_ASSERT(out[i].seg.len <= 536);
	CU_ASSERT_EQUAL(out[0].seg.seq, 101);
	/* never below Linux's min_pmtu of 552: MSS 512, not 48 */
	CU_ASSERT_EQUAL(tcp_pmtu(&conn, 1101, 68, now), 0);
	CU_ASSERT_EQUAL(conn.mss, 512);
	CU_ASSERT_EQUAL(tcp_pmtu(&conn, 1101, 100, now), -EINVAL);
	st_abort_conn(&conn);
	st_done(&conn, 1);
}

/**
 * test_mss_clamp() - segments never exceed the peer's MSS
 */
static void test_mss_clamp(void)
{
	static uint8_t d[2000];
	struct tcp_seg s;

	st_setup();
	cfg.nodelay = true;
	tcp_conn_init(&conn, &st_ops, NULL, &cfg, sbuf, SRING, rbuf, RING);
	tcp_connect(&conn, ME, MYPORT, PEER, PPORT, 100, now);
	s = st_seg(TCP_F_SYN | TCP_F_ACK, 500, 101, 60000, NULL, 0);
	tcp_input(&conn, &s, now); /* no MSS option: 536 */
	nout = 0;
	tcp_send(&conn, d, 2000, now);
	CU_ASSERT_EQUAL(nout, 4);
	CU_ASSERT_EQUAL(out[0].seg.len, 536);
	CU_ASSERT_EQUAL(out[3].seg.len, 2000 - 3 * 536);
	st_abort_conn(&conn);
	st_done(&conn, 1);
}

/**
 * main() - run the suite
 *
 * Return: 0 when every assertion held, 1 otherwise
 */
int main(void)
{
	static const struct cunit_test tests[] = {
		{"active open", test_active_open},
		{"passive open", test_passive_open},
		{"simultaneous open", test_simultaneous_open},
		{"active close, TIME-WAIT", test_active_close},
		{"FIN-WAIT-2 orphan", test_fin_wait_2_orphan},
		{"TIME-WAIT: a FIN elsewhere", test_time_wait_forged_fin},
		{"passive close", test_passive_close},
		{"simultaneous close", test_simultaneous_close},
		{"FIN and ACK together", test_fin_ack_together},
		{"FIN retransmitted", test_fin_retransmit},
		{"RST in SYN-SENT", test_rst_syn_sent},
		{"RST in SYN-RECEIVED", test_rst_syn_received},
		{"RST in each synchronized state", test_rst_each_state},
		{"RST after simultaneous open; CLOSED", test_rst_simultaneous},
		{"SYN in ESTABLISHED", test_syn_in_established},
		{"challenge ACK limit", test_challenge_limit},
		{"out-of-window ACKs throttled", test_oow_ack_throttled},
		{"bad ACKs", test_bad_acks},
		{"ACKs of unsent data: throttled", test_bad_ack_throttled},
		{"no ACK loop between ends that disagree", test_ack_loop},
		{"no connection", test_nomatch},
		{"listen backlog", test_listen_backlog},
		{"SYN-RECEIVED timeout", test_syn_received_timeout},
		{"SYN-SENT timeout", test_syn_sent_timeout},
		{"initial window after a lost SYN", test_iw_after_syn_loss},
		{"data in order, delayed ACK", test_data_in_order},
		{"out of order, duplicates, SACK", test_out_of_order},
		{"out-of-order queue bounded", test_ooo_bounded},
		{"out-of-order FIN", test_ooo_fin},
		{"receive zero window", test_receive_zero_window},
		{"persist probes", test_persist},
		{"persist gives up", test_persist_gives_up},
		{"small window override", test_small_window_override},
		{"Nagle and TCP_NODELAY", test_nagle},
		{"sequence wrap-around", test_wraparound},
		{"RTO backoff and give-up", test_rto_backoff},
		{"ACK after a timeout", test_ack_after_rto},
		{"ssthresh held on repeated timeouts", test_rto_ssthresh_held},
		{"ACK of an old segment, window edge", test_old_segment_ack},
		{"Karn", test_rtt_karn},
		{"Karn: SYN-ACK sent again", test_rtt_karn_synack},
		{"SACK loss recovery", test_sack_recovery},
		{"SACK rescue retransmission", test_sack_rescue},
		{"tail loss probe", test_tlp},
		{"tail loss probe without an RTT", test_tlp_no_srtt},
		{"RACK: lost retransmission", test_rack_lost_rexmit},
		{"RACK: retransmission log", test_rack_log},
		{"NewReno loss recovery", test_newreno_recovery},
		{"cwnd grows only when it limits", test_cwnd_limited},
		{"limited transmit", test_limited_transmit},
		{"timestamps and PAWS", test_timestamps_paws},
		{"window scaling", test_window_scale},
		{"timestamp offset is secret", test_ts_offset_secret},
		{"keepalive", test_keepalive},
		{"keepalive: forged segments", test_keepalive_forged},
		{"close with unread data", test_close_unread},
		{"data after close", test_data_after_close},
		{"MSS", test_mss_clamp},
		{"path MTU", test_pmtu},
		{"restart after idle", test_idle_restart},
		{"ICMP unreachable while opening", test_unreach},
		{"zero-copy send commit", test_send_commit},
		{"zero-copy receive commit", test_recv_commit},
		{"keepalive switched on and off", test_set_keepalive},
	};

	return cunit_run("stack_tcp_state", tests,
			 sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}
