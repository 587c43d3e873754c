// SPDX-License-Identifier: MIT
/*
 * test_stack_ep.c - the endpoint runtime: two endpoints back to back
 *
 * Endpoints A (10.0.0.1) and B (10.0.0.2) are built with ep_create() and
 * attached to an in-memory wire instead of vnet: every frame one emits is
 * queued and handed to the other's ep_input() (or dropped, for the loss
 * tests), buffers come from a counting malloc. A test user (struct tu)
 * plays the application: it owns the rings of its connections and checks
 * the streams. Time is simulated: when nothing moves the clock jumps to
 * the next deadline the endpoints ask for.
 *
 * Every test ends with both endpoints detached and destroyed and checks
 * that no buffer, connection or ring is left.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "ep.h"
#include "stack.h"
#include "tcp.h"
#include "tcp_wire.h"

#include "../lib/cunit_run.h"
#include "../lib/counted_buf.h"

#define W_MAX  65536 /* frames in flight on the wire */
#define TU_MAX 12000 /* connections per side */
#define PORT_B 80

/**
 * struct w_frame - a frame on the wire
 * @buf:	buffer (virtio-net header + Ethernet)
 * @len:	bytes
 * @to_b:	direction
 */
struct w_frame {
	uint8_t *buf;
	size_t len;
	bool to_b;
};

/**
 * struct tu_conn - a test user's connection
 * @ec:		the connection
 * @sb, @rb:	its rings
 * @ev:		events seen
 * @released:	released by TCP
 * @sent, @rcvd: stream bytes
 */
struct tu_conn {
	struct ep_conn *ec;
	uint8_t *sb, *rb;
	unsigned ev;
	bool released;
	uint64_t sent, rcvd;
};

/**
 * struct tu - the user on one side
 * @c:		its connections, by uid
 * @n:		used entries of @c
 * @refuse:	refuse accepts
 * @ring:	ring size of new connections
 * @accepted:	connections TCP handed over through EV_ACCEPT
 * @releases:	release callbacks
 * @rings_live:	rings allocated and not freed
 */
struct tu {
	struct tu_conn *c;
	uint32_t n;
	bool refuse;
	uint32_t ring;
	uint32_t accepted, releases;
	long rings_live;
};

static struct w_frame *wire;
static unsigned w_head, w_count;
static uint64_t now, rng = 88172645463325252ULL;
static uint32_t loss_ppm;
static uint64_t lost;
static struct ep *epa, *epb;
static struct tu ua, ub;

/**
 * t_rand() - xorshift64
 *
 * Return: 64 random bits
 */
static uint64_t t_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/**
 * w_emit() - ep_io.emit: onto the wire towards the other endpoint
 * @ctx:	the sending endpoint
 * @buf:	frame
 * @len:	bytes
 */
static void w_emit(void *ctx, uint8_t *buf, size_t len)
{
	struct w_frame *f;

	if (w_count == W_MAX || (loss_ppm && t_rand() % 1000000 < loss_ppm)) {
		lost++;
		buf_free(NULL, buf);
		return;
	}
	f = &wire[(w_head + w_count++) % W_MAX];
	f->buf = buf;
	f->len = len;
	f->to_b = ctx == epa;
}

static const struct ep_io w_io = {
	.alloc = buf_alloc,
	.free = buf_free,
	.emit = w_emit,
};

/**
 * w_deliver_n() - hand at most @max frames on the wire to their endpoint
 * @max:	bound
 *
 * Return: frames delivered
 */
static unsigned w_deliver_n(unsigned max)
{
	unsigned n = 0;

	while (w_count && n < max) {
		struct w_frame f = wire[w_head];

		w_head = (w_head + 1) % W_MAX;
		w_count--;
		ep_input(f.to_b ? epb : epa, f.buf, f.len, now);
		n++;
	}
	return n;
}

/**
 * w_deliver() - hand every frame on the wire to its endpoint, and those
 * the endpoints send in answer
 *
 * Return: frames delivered
 */
static unsigned w_deliver(void)
{
	return w_deliver_n(UINT32_MAX);
}

/**
 * w_run() - run the pair until @done or @max_ms of simulated time
 * @done:	condition, NULL to run for @max_ms
 * @max_ms:	bound
 *
 * Return: true if @done became true
 */
static bool w_run(bool (*done)(void), uint64_t max_ms)
{
	uint64_t end = now + max_ms;

	while (now < end) {
		uint64_t da = UINT64_MAX, db = UINT64_MAX, d;
		bool busy;

		busy = w_deliver() > 0;
		busy |= ep_poll(epa, now, false, &da);
		busy |= ep_poll(epb, now, false, &db);
		busy |= w_count > 0;
		if (done && done())
			return true;
		if (busy)
			continue;
		d = da < db ? da : db;
		if (d == UINT64_MAX || d > end)
			d = end;
		now = d > now ? d : now + 1;
	}
	return done ? done() : true;
}

/* ---- the test user ---- */

/**
 * tu_take() - a user slot with rings
 * @u:	user
 *
 * Return: its uid, or EP_NONE when none is left
 */
static uint32_t tu_take(struct tu *u)
{
	struct tu_conn *c;

	if (u->n == TU_MAX)
		return EP_NONE;
	c = &u->c[u->n];
	memset(c, 0, sizeof(*c));
	c->sb = malloc(u->ring);
	c->rb = malloc(u->ring);
	u->rings_live += 2;
	return u->n++;
}

/**
 * tu_accept() - ep_user_ops.accept
 * @user:	struct tu
 * @lec:	listener
 * @ec:		new connection
 *
 * Return: 0 or -ENOMEM when refusing
 */
static int tu_accept(void *user, struct ep_conn *lec, struct ep_conn *ec)
{
	struct tu *u = user;
	uint32_t id;

	(void)lec;
	if (u->refuse)
		return -ENOMEM;
	id = tu_take(u);
	if (id == EP_NONE)
		return -ENOMEM;
	u->c[id].ec = ec;
	ec->uid = id;
	ep_tcp_set_rings(ec->user == &ua ? epa : epb, ec, u->c[id].sb, u->ring,
			 u->c[id].rb, u->ring);
	return 0;
}

/**
 * tu_event() - ep_user_ops.event
 * @user:	struct tu
 * @ec:		connection
 * @ev:		events
 */
static void tu_event(void *user, struct ep_conn *ec, unsigned ev)
{
	struct tu *u = user;
	struct tcp_conn *c;

	if (ec->uid < u->n)
		u->c[ec->uid].ev |= ev;
	if (ev & TCP_EV_ACCEPT)
		while ((c = tcp_accept(&ec->tcp)))
			u->accepted++;
}

/**
 * tu_release() - ep_user_ops.release: the rings are ours again
 * @user:	struct tu
 * @ec:		connection
 */
static void tu_release(void *user, struct ep_conn *ec)
{
	struct tu *u = user;
	struct tu_conn *c;

	u->releases++;
	if (ec->uid >= u->n)
		return;
	c = &u->c[ec->uid];
	CU_ASSERT(!c->released);
	c->released = true;
	free(c->sb);
	free(c->rb);
	c->sb = c->rb = NULL;
	u->rings_live -= 2;
}

static const struct ep_user_ops tu_ops = {
	.accept = tu_accept,
	.event = tu_event,
	.release = tu_release,
};

/**
 * t_spec() - the spec of A or B
 * @name:	name
 * @last:	last octet of 10.0.0.x
 *
 * Return: the spec
 */
static struct stack_ep_spec t_spec(const char *name, uint8_t last)
{
	struct stack_ep_spec sp;

	memset(&sp, 0, sizeof(sp));
	sp.name = name;
	sp.tenant = last;
	sp.addr = wire_ip4(10, 0, 0, last).be;
	sp.prefix_len = 24;
	return sp;
}

/**
 * t_up() - fresh endpoints A and B attached to the wire
 * @max_conns:	pool size of each (0: default)
 * @ring:	ring size of the users' connections
 */
static bool t_onehop; /* the next t_up() keeps the one-hop path on */

static void t_up(uint32_t max_conns, uint32_t ring)
{
	struct stack_ep_spec sa = t_spec("a", 1), sb = t_spec("b", 2);
	char err[128];

	now = 1000;
	w_head = w_count = 0;
	loss_ppm = 0;
	lost = 0;
	memset(&ua, 0, sizeof(ua));
	memset(&ub, 0, sizeof(ub));
	ua.c = calloc(TU_MAX, sizeof(*ua.c));
	ub.c = calloc(TU_MAX, sizeof(*ub.c));
	ua.ring = ub.ring = ring;
	CU_ASSERT_FATAL(ep_create(&sa, max_conns, &epa, err, sizeof(err)) == 0);
	CU_ASSERT_FATAL(ep_create(&sb, max_conns, &epb, err, sizeof(err)) == 0);
	/* most tests exercise the frames on the wire between A and B */
	epa->tcp.onehop = epb->tcp.onehop = t_onehop;
	t_onehop = false;
	ep_attach(epa, &w_io, epa, now);
	ep_attach(epb, &w_io, epb, now);
	w_deliver();
}

/**
 * t_down() - detach and destroy both; nothing may be left
 */
static void t_down(void)
{
	uint32_t i;

	ep_detach(epa);
	ep_detach(epb);
	/* frames still on the wire: lost with the endpoints */
	while (w_count) {
		buf_free(NULL, wire[w_head].buf);
		w_head = (w_head + 1) % W_MAX;
		w_count--;
	}
	CU_ASSERT_EQUAL(epa->tcp.nconns, 0);
	CU_ASSERT_EQUAL(epb->tcp.nconns, 0);
	CU_ASSERT_EQUAL(epa->tcp.nheap, 0);
	CU_ASSERT_EQUAL(epb->tcp.nheap, 0);
	CU_ASSERT_EQUAL(epa->tcp.nhalfopen, 0);
	CU_ASSERT_EQUAL(epb->tcp.nhalfopen, 0);
	ep_destroy(epa);
	ep_destroy(epb);
	/* connections the user never gave to TCP (refused accepts) */
	for (i = 0; i < ua.n; i++)
		if (!ua.c[i].released && ua.c[i].sb) {
			free(ua.c[i].sb);
			free(ua.c[i].rb);
			ua.rings_live -= 2;
		}
	for (i = 0; i < ub.n; i++)
		if (!ub.c[i].released && ub.c[i].sb) {
			free(ub.c[i].sb);
			free(ub.c[i].rb);
			ub.rings_live -= 2;
		}
	CU_ASSERT_EQUAL(buf_live, 0);
	CU_ASSERT_EQUAL(ua.rings_live, 0);
	CU_ASSERT_EQUAL(ub.rings_live, 0);
	free(ua.c);
	free(ub.c);
}

/**
 * t_listen() - B listens on PORT_B
 * @backlog:	its backlog
 *
 * Return: the listener
 */
static struct ep_conn *t_listen(uint16_t backlog)
{
	uint32_t id = tu_take(&ub);
	struct ep_conn *l = ep_tcp_new(epb, &tu_ops, &ub, id);

	CU_ASSERT_FATAL(l != NULL);
	ub.c[id].ec = l;
	ep_tcp_set_rings(epb, l, ub.c[id].sb, ub.ring, ub.c[id].rb, ub.ring);
	CU_ASSERT_FATAL(ep_tcp_listen(epb, l, PORT_B, backlog) == 0);
	return l;
}

/**
 * t_connect() - A connects to B's listener
 *
 * Return: A's uid of the connection
 */
static uint32_t t_connect(void)
{
	uint32_t id = tu_take(&ua);
	struct ep_conn *c = ep_tcp_new(epa, &tu_ops, &ua, id);

	CU_ASSERT_FATAL(c != NULL);
	ua.c[id].ec = c;
	ep_tcp_set_rings(epa, c, ua.c[id].sb, ua.ring, ua.c[id].rb, ua.ring);
	CU_ASSERT_FATAL(ep_tcp_connect(epa, c, wire_h32(wire_ip4(10, 0, 0, 2)),
				       PORT_B, 0) == 0);
	ep_tcp_flush(epa);
	return id;
}

static uint32_t want_accepted;

/**
 * t_all_accepted() - w_run() condition
 *
 * Return: B's user got want_accepted connections
 */
static bool t_all_accepted(void)
{
	return ub.accepted >= want_accepted;
}

/**
 * t_stream_byte() - byte @i of a test stream
 * @i:	offset
 *
 * Return: the byte
 */
static uint8_t t_stream_byte(uint64_t i)
{
	return (uint8_t)(i * 131 + (i >> 9));
}

static uint64_t xfer_total;
static uint32_t xfer_a, xfer_b;

/**
 * t_pump() - move the test stream from A's xfer_a to B's xfer_b: fill
 * A's send ring in place, read B's receive ring in place, check bytes
 *
 * Return: true when all of xfer_total arrived
 */
static bool t_pump(void)
{
	struct tu_conn *s = &ua.c[xfer_a], *r = &ub.c[xfer_b];
	struct tcp_conn *sc = &s->ec->tcp, *rc = &r->ec->tcp;
	size_t room = tcp_writable(sc), have = tcp_readable(rc), i;
	uint32_t mask = ua.ring - 1;

	if (s->sent < xfer_total && room) {
		size_t n = xfer_total - s->sent < room ? xfer_total - s->sent
						       : room;

		for (i = 0; i < n; i++)
			s->sb[(s->sent + i) & mask] =
				t_stream_byte(s->sent + i);
		CU_ASSERT_EQUAL(tcp_send_commit(sc, n, now), n);
		ep_tcp_touch(epa, s->ec);
		ep_tcp_flush(epa);
		s->sent += n;
	}
	if (have) {
		for (i = 0; i < have; i++)
			if (r->rb[(r->rcvd + i) & (ub.ring - 1)] !=
			    t_stream_byte(r->rcvd + i))
				break;
		CU_ASSERT_EQUAL_FATAL(i, have);
		CU_ASSERT_EQUAL(tcp_recv_commit(rc, have, now), have);
		ep_tcp_touch(epb, r->ec);
		ep_tcp_flush(epb);
		r->rcvd += have;
	}
	return r->rcvd == xfer_total;
}

/**
 * t_released_all() - w_run() condition: every connection of both users
 * released
 *
 * Return: true when so
 */
static bool t_released_all(void)
{
	return epa->tcp.nconns == 0 && epb->tcp.nconns == 0;
}

/* ---------------------------------------------------------------------- */

/**
 * test_mac() - a MAC derived from the name: stable, unicast, local
 */
static void test_mac(void)
{
	uint8_t m1[6], m2[6], m3[6];

	ep_mac_from_name("ep0", m1);
	ep_mac_from_name("ep0", m2);
	ep_mac_from_name("ep1", m3);
	CU_ASSERT_EQUAL(memcmp(m1, m2, 6), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(m1, m3, 6), 0);
	CU_ASSERT_EQUAL(m1[0] & 1, 0);
	CU_ASSERT_EQUAL(m1[0] & 2, 2);
}

/**
 * t_connect_transfer() - handshake, a transfer in place, orderly close on
 * both sides, TIME-WAIT runs out, nothing left
 * @onehop:	A and B talk through the one-hop path, else through frames
 *		(with ARP first)
 */
static void t_connect_transfer(bool onehop)
{
	struct ep_conn *l;
	uint32_t a;

	t_onehop = onehop;
	t_up(0, 64 * 1024);
	l = t_listen(8);
	a = t_connect();
	want_accepted = 1;
	CU_ASSERT_FATAL(w_run(t_all_accepted, 5000));
	CU_ASSERT(ua.c[a].ev & TCP_EV_CONNECTED);
	CU_ASSERT_EQUAL(ua.c[a].ec->tcp.state, TCP_ESTABLISHED);
	CU_ASSERT_EQUAL(epb->tcp.nconns, 2);
	CU_ASSERT_EQUAL(epb->tcp.nlisten, 1);
	CU_ASSERT_EQUAL(epb->tcp.nhalfopen, 0);
	xfer_a = a;
	xfer_b = 1;
	xfer_total = 3u << 20;
	CU_ASSERT(w_run(t_pump, 60000));
	CU_ASSERT_EQUAL(ub.c[1].rcvd, xfer_total);
	/* orderly close: A first (TIME-WAIT on A), then B */
	ep_tcp_close(epa, ua.c[a].ec, false);
	w_run(NULL, 100);
	CU_ASSERT(tcp_eof(&ub.c[1].ec->tcp));
	ep_tcp_close(epb, ub.c[1].ec, false);
	ep_tcp_close(epb, l, false);
	CU_ASSERT_EQUAL(epb->tcp.nlisten, 0);
	CU_ASSERT(w_run(t_released_all, 200000));
	CU_ASSERT_EQUAL(ua.releases, 1);
	CU_ASSERT_EQUAL(ub.releases, 2);
	if (onehop) {
		/* segments joined up to 64 KiB: far fewer than MSS-sized */
		CU_ASSERT(epa->stats[EP_STAT_HOP_TX] > 0);
		CU_ASSERT(epa->stats[EP_STAT_HOP_TX] < xfer_total / 1460 / 4);
		CU_ASSERT_EQUAL(epb->stats[EP_STAT_HOP_RX] +
					epb->stats[EP_STAT_HOP_STALE],
				epa->stats[EP_STAT_HOP_TX]);
		CU_ASSERT_EQUAL(epa->stats[EP_STAT_HOP_DROP], 0);
		CU_ASSERT_EQUAL(epb->stats[EP_STAT_TCP_RX], 0); /* no frame */
	} else {
		ep_publish(epa);
		CU_ASSERT(atomic_load(&epa->pub.tx_frames) > 0);
		CU_ASSERT_EQUAL(epa->stats[EP_STAT_HOP_TX], 0);
	}
	t_down();
}

static void test_connect_transfer(void)
{
	t_connect_transfer(false);
}

/**
 * test_onehop_transfer() - the same between endpoints of one worker
 * through the one-hop path: no frame, the payload copied ring to ring
 */
static void test_onehop_transfer(void)
{
	t_connect_transfer(true);
}

/**
 * test_loss() - a transfer over a wire that loses 3% of the frames
 */
static void test_loss(void)
{
	struct ep_conn *l;
	uint32_t a;

	t_up(0, 128 * 1024);
	l = t_listen(8);
	a = t_connect();
	want_accepted = 1;
	CU_ASSERT_FATAL(w_run(t_all_accepted, 20000));
	loss_ppm = 30000;
	xfer_a = a;
	xfer_b = 1;
	xfer_total = 2u << 20;
	CU_ASSERT(w_run(t_pump, 600000));
	CU_ASSERT_EQUAL(ub.c[1].rcvd, xfer_total);
	CU_ASSERT(lost > 0);
	CU_ASSERT(ua.c[a].ec->tcp.stats.rexmit_segs > 0);
	loss_ppm = 0;
	ep_tcp_close(epa, ua.c[a].ec, true);
	ep_tcp_close(epb, ub.c[1].ec, true);
	ep_tcp_close(epb, l, true);
	CU_ASSERT(w_run(t_released_all, 1000));
	t_down();
}

static uint32_t many_n;

/**
 * t_many_up() - w_run() condition: every client established
 *
 * Return: true when so
 */
static bool t_many_up(void)
{
	uint32_t i;

	if (ub.accepted < many_n)
		return false;
	for (i = 0; i < many_n; i++)
		if (ua.c[i].ec->tcp.state != TCP_ESTABLISHED)
			return false;
	return true;
}

/**
 * test_many() - 10,000 concurrent connections on one endpoint: all open,
 * each carries a message each way, then all are reset and released
 */
static void test_many(void)
{
	struct ep_conn *l;
	uint32_t i, ok = 0;

	many_n = 10000;
	t_up(0, 4096);
	l = t_listen(4096);
	printf("\n  struct ep_conn: %zu bytes (struct tcp_conn %zu), "
	       "+ 16 bytes of table, heap and dirty list per connection\n",
	       sizeof(struct ep_conn), sizeof(struct tcp_conn));
	for (i = 0; i < many_n; i++) {
		t_connect();
		if (i % 500 == 499)
			w_run(NULL, 1); /* not all SYNs in one burst */
	}
	CU_ASSERT_FATAL(w_run(t_many_up, 60000));
	CU_ASSERT_EQUAL(epb->tcp.nconns, many_n + 1);
	CU_ASSERT_EQUAL(epa->tcp.nconns, many_n);
	CU_ASSERT_EQUAL(epb->stats[EP_STAT_HALFOPEN_DROP], 0);
	ep_publish(epb);
	CU_ASSERT_EQUAL(atomic_load(&epb->pub.tcp_conns), many_n);
	CU_ASSERT_EQUAL(atomic_load(&epb->pub.tcp_listen), 1);
	/* 16 bytes from every client */
	for (i = 0; i < many_n; i++) {
		memcpy(ua.c[i].sb, "0123456789abcdef", 16);
		CU_ASSERT(tcp_send_commit(&ua.c[i].ec->tcp, 16, now) == 16);
		ep_tcp_touch(epa, ua.c[i].ec);
	}
	ep_tcp_flush(epa);
	w_run(NULL, 500);
	for (i = 1; i <= many_n; i++)
		if (tcp_readable(&ub.c[i].ec->tcp) == 16 &&
		    !memcmp(ub.c[i].rb, "0123456789abcdef", 16))
			ok++;
	CU_ASSERT_EQUAL(ok, many_n);
	for (i = 0; i < many_n; i++)
		ep_tcp_close(epa, ua.c[i].ec, true);
	w_run(NULL, 100);
	for (i = 1; i <= many_n; i++)
		ep_tcp_close(epb, ub.c[i].ec, false);
	ep_tcp_close(epb, l, false);
	CU_ASSERT(w_run(t_released_all, 10000));
	CU_ASSERT_EQUAL(ua.releases, many_n);
	CU_ASSERT_EQUAL(ub.releases, many_n + 1);
	t_down();
}

/**
 * test_halfopen() - SYN-RECEIVED bounded: at the bound new SYNs are
 * dropped and counted; they get in once the others complete
 */
static void test_halfopen(void)
{
	struct ep_conn *l;
	uint32_t i;

	t_up(0, 4096);
	epb->tcp.max_halfopen = 4;
	epb->tcp.syncookies = false;
	l = t_listen(64);
	/* resolve ARP first so that the SYNs all go at once */
	t_connect();
	want_accepted = 1;
	CU_ASSERT_FATAL(w_run(t_all_accepted, 5000));
	for (i = 0; i < 10; i++)
		t_connect();
	CU_ASSERT_EQUAL(w_count, 10);
	w_deliver_n(10); /* 10 SYNs to B, the SYN-ACKs stay on the wire */
	CU_ASSERT_EQUAL(epb->tcp.nhalfopen, 4);
	CU_ASSERT_EQUAL(epb->stats[EP_STAT_HALFOPEN_DROP], 6);
	/* the clients retry their SYNs: all get in eventually */
	want_accepted = 11;
	CU_ASSERT(w_run(t_all_accepted, 30000));
	CU_ASSERT_EQUAL(epb->tcp.nhalfopen, 0);
	ep_tcp_abort_all(epa);
	ep_tcp_abort_all(epb);
	(void)l;
	CU_ASSERT(w_run(t_released_all, 1000));
	t_down();
}

/**
 * test_synq_full_cookies() - a listener whose half-open queue is full
 * (forged SYNs would keep it so) answers with cookies, and the returning
 * ACKs make connections although the queue is still full: half-open
 * children never take the room of completed ones
 */
static void test_synq_full_cookies(void)
{
	struct ep_conn *l;
	uint32_t i;

	t_up(0, 4096);
	l = t_listen(4);
	t_connect();
	want_accepted = 1;
	CU_ASSERT_FATAL(w_run(t_all_accepted, 5000));
	for (i = 0; i < 10; i++)
		t_connect();
	w_deliver_n(10); /* 10 SYNs: 4 half-open children, 6 cookies */
	CU_ASSERT_EQUAL(l->tcp.qsyn, 4);
	CU_ASSERT_EQUAL(epb->stats[EP_STAT_COOKIE_SENT], 6);
	CU_ASSERT(tcp_listen_synq_full(&l->tcp));
	CU_ASSERT(!tcp_listen_acceptq_full(&l->tcp));
	want_accepted = 11;
	CU_ASSERT(w_run(t_all_accepted, 30000));
	CU_ASSERT_EQUAL(epb->stats[EP_STAT_COOKIE_OK], 6);
	CU_ASSERT_EQUAL(l->tcp.qsyn, 0);
	ep_tcp_abort_all(epa);
	ep_tcp_abort_all(epb);
	CU_ASSERT(w_run(t_released_all, 1000));
	t_down();
}

/**
 * test_syncookies() - at the half-open bound SYNs are answered with
 * cookies (RFC 4987 3.6): no state, and the returning ACKs make the
 * connections, which then carry data; a forged cookie is refused
 */
static void test_syncookies(void)
{
	uint32_t i, a;
	struct tcp_seg fake;

	t_up(0, 4096);
	epb->tcp.max_halfopen = 4;
	t_listen(64);
	t_connect();
	want_accepted = 1;
	CU_ASSERT_FATAL(w_run(t_all_accepted, 5000));
	for (i = 0; i < 10; i++)
		t_connect();
	w_deliver_n(10); /* 10 SYNs: 4 children, 6 cookies */
	CU_ASSERT_EQUAL(epb->tcp.nhalfopen, 4);
	CU_ASSERT_EQUAL(epb->stats[EP_STAT_COOKIE_SENT], 6);
	CU_ASSERT_EQUAL(epb->tcp.nconns, 1 + 1 + 4); /* no state for cookies */
	w_deliver(); /* SYN-ACKs and the ACKs: all 10 established at once */
	CU_ASSERT_EQUAL(epb->stats[EP_STAT_COOKIE_OK], 6);
	CU_ASSERT_EQUAL(ub.accepted, 11);
	CU_ASSERT_EQUAL(epb->tcp.nhalfopen, 0);
	for (i = 1; i <= 10; i++)
		CU_ASSERT_EQUAL(ua.c[i].ec->tcp.state, TCP_ESTABLISHED);
	/* a cookie connection carries data (no options: MSS from the
	 * cookie, no window scaling) */
	a = 10;
	CU_ASSERT(!ua.c[a].ec->tcp.ws_on);
	xfer_a = a;
	xfer_b = ub.n - 1;
	for (i = 1; i < ub.n; i++)
		if (ub.c[i].ec &&
		    ub.c[i].ec->tcp.rport == ua.c[a].ec->tcp.lport)
			xfer_b = i;
	xfer_total = 100000;
	CU_ASSERT(w_run(t_pump, 20000));
	/* a forged cookie: counted, answered with a reset, no state */
	{
		struct ipv4_rx rx;
		uint8_t *b = buf_alloc(NULL, 200);
		uint16_t ck;
		size_t hl;

		memset(&fake, 0, sizeof(fake));
		fake.saddr = wire_h32(wire_ip4(10, 0, 0, 1));
		fake.daddr = wire_h32(wire_ip4(10, 0, 0, 2));
		fake.sport = 33333;
		fake.dport = PORT_B;
		fake.seq = 1000;
		fake.ack = 0x12345678;
		fake.flags = TCP_F_ACK;
		fake.win = 1000;
		hl = tcp_wire_build(b + NETIF_L4_OFF, 100, &fake);
		ck = tcp_wire_csum4(fake.saddr, fake.daddr, b + NETIF_L4_OFF,
				    hl);
		b[NETIF_L4_OFF + 16] = (uint8_t)(ck >> 8);
		b[NETIF_L4_OFF + 17] = (uint8_t)ck;
		memset(&rx, 0, sizeof(rx));
		rx.buf = b;
		rx.l4_off = NETIF_L4_OFF;
		rx.l4_len = (uint32_t)hl;
		rx.saddr = wire_ip4(10, 0, 0, 1);
		rx.daddr = wire_ip4(10, 0, 0, 2);
		rx.proto = WIRE_IPPROTO_TCP;
		i = epb->tcp.nconns;
		CU_ASSERT(ep_tcp_input(epb, &rx, now));
		CU_ASSERT_EQUAL(epb->stats[EP_STAT_COOKIE_BAD], 1);
		CU_ASSERT_EQUAL(epb->tcp.nconns, i);
		CU_ASSERT_EQUAL(w_count, 1); /* the reset */
	}
	ep_tcp_abort_all(epa);
	ep_tcp_abort_all(epb);
	CU_ASSERT(w_run(t_released_all, 1000));
	t_down();
}

/**
 * t_quote() - what an ICMP error quotes of a segment of @c: an IPv4
 * header and the first 8 bytes of TCP (ports, sequence number)
 * @q:		28 bytes to fill
 * @c:		connection from A to B's PORT_B
 * @seq:	the quoted sequence number
 */
static void t_quote(uint8_t q[28], const struct tcp_conn *c, uint32_t seq)
{
	memset(q, 0, 28);
	q[0] = 0x45;
	q[9] = WIRE_IPPROTO_TCP;
	q[20] = (uint8_t)(c->lport >> 8);
	q[21] = (uint8_t)c->lport;
	q[22] = PORT_B >> 8;
	q[23] = PORT_B & 0xff;
	q[24] = (uint8_t)(seq >> 24);
	q[25] = (uint8_t)(seq >> 16);
	q[26] = (uint8_t)(seq >> 8);
	q[27] = (uint8_t)seq;
}

/**
 * test_pmtu() - "fragmentation needed" quoting one of our segments lowers
 * the connection's MSS; a quote for no connection changes nothing
 */
static void test_pmtu(void)
{
	uint8_t q[28];
	struct tcp_conn *c;
	uint32_t a, seq;

	t_up(0, 65536);
	t_listen(8);
	a = t_connect();
	want_accepted = 1;
	CU_ASSERT_FATAL(w_run(t_all_accepted, 5000));
	c = &ua.c[a].ec->tcp;
	CU_ASSERT_EQUAL(c->mss, 1460 - (c->ts_on ? 12 : 0));
	memset(ua.c[a].sb, 'p', 20000);
	tcp_send_commit(c, 20000, now); /* segments in flight */
	ep_tcp_flush(epa);
	seq = c->snd_una;
	t_quote(q, c, seq);
	ep_tcp_pmtu(epa, wire_ip4(10, 0, 0, 2), 1200, q, sizeof(q));
	CU_ASSERT_EQUAL(epa->stats[EP_STAT_PMTU], 1);
	CU_ASSERT_EQUAL(c->mss, 1160 - (c->ts_on ? 12 : 0));
	/* another port: no connection, nothing happens */
	q[23] ^= 1;
	ep_tcp_pmtu(epa, wire_ip4(10, 0, 0, 2), 600, q, sizeof(q));
	CU_ASSERT_EQUAL(c->mss, 1160 - (c->ts_on ? 12 : 0));
	/* short or not TCP: ignored */
	ep_tcp_pmtu(epa, wire_ip4(10, 0, 0, 2), 600, q, 20);
	q[9] = 17;
	ep_tcp_pmtu(epa, wire_ip4(10, 0, 0, 2), 600, q, sizeof(q));
	CU_ASSERT_EQUAL(epa->stats[EP_STAT_PMTU], 1);
	ep_tcp_abort_all(epa);
	ep_tcp_abort_all(epb);
	CU_ASSERT(w_run(t_released_all, 1000));
	t_down();
}

/**
 * test_unreach() - an ICMP destination unreachable quoting our SYN ends
 * the connect with its error (as Linux: a firewall's reject, a router's
 * host unreachable); quoting another sequence number, nothing
 */
static void test_unreach(void)
{
	uint8_t q[28];
	struct tcp_conn *c;
	uint32_t a;

	t_up(0, 65536);
	a = t_connect(); /* the SYN stays on the wire: no answer */
	c = &ua.c[a].ec->tcp;
	CU_ASSERT_EQUAL_FATAL(c->state, TCP_SYN_SENT);
	t_quote(q, c, c->iss + 1); /* not our SYN's */
	ep_tcp_unreach(epa, wire_ip4(10, 0, 0, 2), EHOSTUNREACH, q, sizeof(q));
	CU_ASSERT_EQUAL(c->state, TCP_SYN_SENT);
	t_quote(q, c, c->iss);
	ep_tcp_unreach(epa, wire_ip4(10, 0, 0, 3), EHOSTUNREACH, q, sizeof(q));
	CU_ASSERT_EQUAL(c->state, TCP_SYN_SENT); /* another destination */
	ep_tcp_unreach(epa, wire_ip4(10, 0, 0, 2), EHOSTUNREACH, q, sizeof(q));
	CU_ASSERT_EQUAL(c->state, TCP_CLOSED);
	CU_ASSERT_EQUAL(c->err, -EHOSTUNREACH);
	CU_ASSERT(ua.c[a].ev & TCP_EV_RESET);
	CU_ASSERT_EQUAL(epa->stats[EP_STAT_UNREACH], 1);
	ep_tcp_close(epa, ua.c[a].ec, true);
	ep_tcp_abort_all(epb);
	CU_ASSERT(w_run(t_released_all, 1000));
	t_down();
}

/**
 * test_connect_skips_bound() - connect()'s ephemeral port is none an
 * application's socket has bound (and not listened on yet), as Linux
 * (__inet_hash_connect() skips ports with a bind bucket)
 */
static void test_connect_skips_bound(void)
{
	const uint16_t free_port = 50000;
	uint32_t a, p;

	t_up(0, 65536);
	for (p = 49152; p <= 65535; p++)
		epa->tcp.bound[p] = p != free_port;
	a = t_connect();
	CU_ASSERT_EQUAL(ua.c[a].ec->tcp.lport, free_port);
	for (p = 49152; p <= 65535; p++)
		epa->tcp.bound[p] = 0;
	ep_tcp_close(epa, ua.c[a].ec, true);
	ep_tcp_abort_all(epb);
	CU_ASSERT(w_run(t_released_all, 1000));
	t_down();
}

/**
 * test_conn_limit() - the pool bounds connections; a refused accept is
 * answered with a reset (the client sees ECONNREFUSED)
 */
static void test_conn_limit(void)
{
	uint32_t i, a;

	t_up(4, 4096);
	t_listen(64);
	for (i = 0; i < 3; i++)
		t_connect();
	want_accepted = 3;
	CU_ASSERT(w_run(t_all_accepted, 5000));
	/* B: listener + 3: full; the 4th SYN is dropped and counted */
	CU_ASSERT_EQUAL(epb->tcp.nconns, 4);
	a = t_connect();
	w_run(NULL, 50);
	CU_ASSERT(epb->stats[EP_STAT_CONN_LIMIT] >= 1);
	CU_ASSERT_EQUAL(ua.c[a].ec->tcp.state, TCP_SYN_SENT);
	/* A's pool is full too */
	CU_ASSERT_PTR_NULL(ep_tcp_new(epa, &tu_ops, &ua, 99));
	ep_tcp_close(epa, ua.c[a].ec, true);
	/* room again on B, but its user refuses: reset, ECONNREFUSED */
	ep_tcp_close(epb, ub.c[1].ec, true);
	ep_tcp_close(epa, ua.c[0].ec, true);
	w_run(NULL, 50);
	ub.refuse = true;
	a = t_connect();
	w_run(NULL, 50);
	CU_ASSERT_EQUAL(epb->stats[EP_STAT_ACCEPT_REFUSED], 1);
	CU_ASSERT(ua.c[a].ev & TCP_EV_RESET);
	CU_ASSERT_EQUAL(ua.c[a].ec->tcp.err, -ECONNREFUSED);
	ep_tcp_abort_all(epa);
	ep_tcp_abort_all(epb);
	CU_ASSERT(w_run(t_released_all, 1000));
	t_down();
}

/**
 * test_nomatch_and_bad() - a SYN to a closed port gets a reset, a bad
 * checksum is counted and dropped
 */
static void test_nomatch_and_bad(void)
{
	uint32_t a;

	t_up(0, 4096);
	a = t_connect(); /* nobody listens on B */
	w_run(NULL, 100);
	CU_ASSERT(ua.c[a].ev & TCP_EV_RESET);
	CU_ASSERT_EQUAL(ua.c[a].ec->tcp.err, -ECONNREFUSED);
	CU_ASSERT(epb->stats[EP_STAT_TCP_RX_NOMATCH] >= 1);
	ep_tcp_close(epa, ua.c[a].ec, false);
	CU_ASSERT(w_run(t_released_all, 100));
	/* corrupt the next frame from A: a byte of the TCP header */
	a = t_connect();
	CU_ASSERT_FATAL(w_count == 1);
	wire[w_head].buf[NETIF_L4_OFF + 4] ^= 0x40;
	w_deliver();
	CU_ASSERT_EQUAL(epb->stats[EP_STAT_TCP_RX_CSUM], 1);
	ep_tcp_close(epa, ua.c[a].ec, true);
	CU_ASSERT(w_run(t_released_all, 100));
	t_down();
}

/**
 * t_detach_live() - detaching with live connections resets and releases
 * them all, buffers included
 * @onehop:	with segments queued on the one-hop path (purged, never
 *		delivered from a ring that is gone)
 */
static void t_detach_live(bool onehop)
{
	uint32_t i;

	t_onehop = onehop;
	t_up(0, 8192);
	t_listen(64);
	for (i = 0; i < 20; i++)
		t_connect();
	want_accepted = 20;
	CU_ASSERT(w_run(t_all_accepted, 5000));
	for (i = 0; i < 20; i++) {
		memset(ua.c[i].sb, 'x', 5000);
		tcp_send_commit(&ua.c[i].ec->tcp, 5000, now);
		ep_tcp_touch(epa, ua.c[i].ec);
	}
	ep_tcp_flush(epa);
	CU_ASSERT_EQUAL(ep_hop_pending(), onehop);
	/* frames (or one-hop segments) in flight, data queued, then both go */
	t_down();
	CU_ASSERT(!ep_hop_pending());
}

static void test_detach_live(void)
{
	t_detach_live(false);
}

static void test_onehop_detach(void)
{
	t_detach_live(true);
}

/* ---- control side: stack_open_host() with an inline host ---- */

static int host_adds, host_dels;

/**
 * th_add() - ep_host_ops.add: attach at once on this thread
 * @host:	unused
 * @ep:		endpoint
 * @err:	unused
 * @errlen:	unused
 *
 * Return: 0
 */
static int th_add(void *host, struct ep *ep, char *err, size_t errlen)
{
	(void)host;
	(void)err;
	(void)errlen;
	ep->port = 100 + host_adds++;
	ep_attach(ep, &w_io, ep, now);
	return 0;
}

/**
 * th_del() - ep_host_ops.del
 * @host:	unused
 * @ep:		endpoint
 */
static void th_del(void *host, struct ep *ep)
{
	(void)host;
	host_dels++;
	ep_detach(ep);
}

/**
 * th_kick() - ep_host_ops.kick: run the worker's poll inline
 * @host:	unused
 * @ep:		endpoint
 */
static void th_kick(void *host, struct ep *ep)
{
	uint64_t d;

	(void)host;
	ep_poll(ep, now, false, &d);
}

/**
 * th_wake_fd() - ep_host_ops.wake_fd
 * @host:	unused
 * @ep:		unused
 *
 * Return: -ENOSYS
 */
static int th_wake_fd(void *host, struct ep *ep)
{
	(void)host;
	(void)ep;
	return -ENOSYS;
}

static const struct ep_host_ops th_ops = {
	.add = th_add,
	.del = th_del,
	.kick = th_kick,
	.wake_fd = th_wake_fd,
};

static unsigned fe_count;

/**
 * t_fe() - stack_ep_foreach() callback
 * @ep:		info
 * @ctx:	unused
 */
static void t_fe(const struct stack_ep_info *ep, void *ctx)
{
	(void)ctx;
	(void)ep;
	fe_count++;
}

/**
 * test_control() - stack_ep_add/get/foreach/del and the tenant check
 */
static void test_control(void)
{
	struct stack_ep_spec sp = t_spec("ep0", 7);
	struct stack_ep_info info;
	struct stack *s;
	char err[128];

	CU_ASSERT_FATAL(stack_open_host(&th_ops, NULL, &s) == 0);
	CU_ASSERT_EQUAL(stack_ep_add(s, &sp, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(stack_ep_add(s, &sp, err, sizeof(err)), -EEXIST);
	sp.name = "averyveryverylongname";
	CU_ASSERT_EQUAL(stack_ep_add(s, &sp, err, sizeof(err)), -EINVAL);
	sp = t_spec("ep1", 8);
	sp.gw = wire_ip4(192, 168, 0, 1).be; /* not on-link */
	CU_ASSERT_EQUAL(stack_ep_add(s, &sp, err, sizeof(err)), -EINVAL);
	sp.gw = wire_ip4(10, 0, 0, 254).be;
	sp.network = "blue";
	CU_ASSERT_EQUAL(stack_ep_add(s, &sp, err, sizeof(err)), 0);
	CU_ASSERT(stack_tenant_has_ep(s, 7));
	CU_ASSERT(stack_tenant_has_ep(s, 8));
	CU_ASSERT(!stack_tenant_has_ep(s, 9));
	CU_ASSERT_EQUAL(stack_ep_get(s, "ep1", &info), 0);
	CU_ASSERT_STRING_EQUAL(info.name, "ep1");
	CU_ASSERT_STRING_EQUAL(info.network, "blue");
	CU_ASSERT_EQUAL(info.mtu, 1500);
	CU_ASSERT_EQUAL(info.mac[0], 0x02);
	CU_ASSERT_EQUAL(info.tenant, 8);
	CU_ASSERT(info.tx_frames >= 1); /* the ARP announcement */
	CU_ASSERT_EQUAL(stack_ep_get(s, "nope", &info), -ENOENT);
	fe_count = 0;
	stack_ep_foreach(s, t_fe, NULL);
	CU_ASSERT_EQUAL(fe_count, 2);
	CU_ASSERT_EQUAL(stack_ep_del(s, "ep0"), 0);
	CU_ASSERT_EQUAL(stack_ep_del(s, "ep0"), -ENOENT);
	CU_ASSERT(!stack_tenant_has_ep(s, 7));
	stack_close(s);
	CU_ASSERT_EQUAL(host_dels, 2);
	/* the announcements were emitted to the wire: drop them */
	while (w_count) {
		buf_free(NULL, wire[w_head].buf);
		w_head = (w_head + 1) % W_MAX;
		w_count--;
	}
	CU_ASSERT_EQUAL(buf_live, 0);
}

/**
 * main() - run the suite
 *
 * Return: 0 if every test passed
 */
int main(void)
{
	static const struct cunit_test tests[] = {
		{"MAC from the name", test_mac},
		{"connect, transfer in place, close", test_connect_transfer},
		{"transfer with loss", test_loss},
		{"10,000 concurrent connections", test_many},
		{"half-open bound", test_halfopen},
		{"SYN cookies", test_syncookies},
		{"SYN queue full: cookies", test_synq_full_cookies},
		{"path MTU from ICMP", test_pmtu},
		{"ICMP unreachable ends a connect", test_unreach},
		{"connect() skips bound ports", test_connect_skips_bound},
		{"connection limit, refused accept", test_conn_limit},
		{"no listener, bad checksum", test_nomatch_and_bad},
		{"detach with live connections", test_detach_live},
		{"one hop: connect, transfer, close", test_onehop_transfer},
		{"one hop: detach with segments queued", test_onehop_detach},
		{"control side", test_control},
	};
	int ret;

	wire = calloc(W_MAX, sizeof(*wire));
	ret = cunit_run("stack_ep", tests, sizeof(tests) / sizeof(tests[0]),
			NULL, NULL);
	free(wire);
	return ret;
}
