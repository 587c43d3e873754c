// SPDX-License-Identifier: MIT
/*
 * tcp.c - TCP connections: life cycle, user calls and timers
 *
 * Theory of operation
 *
 * A struct tcp_conn is one TCP control block (RFC 9293 3.3.1) in one of
 * the eleven states of RFC 9293 3.3.2:
 *
 *   CLOSED --connect--> SYN-SENT --SYN,ACK--> ESTABLISHED
 *   SYN-SENT --SYN (simultaneous open)--> SYN-RECEIVED --ACK--> ESTABLISHED
 *   LISTEN --SYN--> (a new connection in) SYN-RECEIVED --ACK--> ESTABLISHED
 *   ESTABLISHED --close--> FIN-WAIT-1 --ACK of FIN--> FIN-WAIT-2
 *   FIN-WAIT-1 --FIN--> CLOSING --ACK of FIN--> TIME-WAIT
 *   FIN-WAIT-1 --FIN + ACK of FIN--> TIME-WAIT
 *   FIN-WAIT-2 --FIN--> TIME-WAIT --2 MSL--> CLOSED
 *   ESTABLISHED --FIN--> CLOSE-WAIT --close--> LAST-ACK --ACK--> CLOSED
 *   any synchronized state --valid RST, abort, give up--> CLOSED
 *
 * Events are input segments (tcp_in.c), user calls (this file) and timer
 * expirations (tcp_timer() below). A listener is a connection in LISTEN:
 * a SYN makes the caller allocate a child (ops->accept_alloc) which lives
 * in SYN-RECEIVED, counted against the listener's backlog, until the
 * handshake completes and tcp_accept() hands it to the user. Children
 * that die before being accepted are released silently.
 *
 * Timers are deadlines in the control block: retransmission (also used
 * for SYN and SYN-ACK), persist, delayed ACK, keepalive and 2 MSL. The
 * caller reads the earliest with tcp_next_deadline().
 *
 * Every entry point (input, timer, user call) collects events and ends
 * with tcp_finish(), which delivers them and, once a connection is CLOSED
 * and nobody holds it any more, calls ops->release(). A user call made
 * from inside an event callback nests; only the outermost call releases.
 */

#include <errno.h>
#include <string.h>

#include "mix.h"
#include "tcp_priv.h"

static const char *const tcp_state_names[TCP_STATE__COUNT] = {
	"CLOSED",      "LISTEN",      "SYN-SENT",   "SYN-RECEIVED",
	"ESTABLISHED", "FIN-WAIT-1",  "FIN-WAIT-2", "CLOSE-WAIT",
	"CLOSING",     "LAST-ACK",    "TIME-WAIT",
};

/**
 * tcp_state_name() - RFC 9293 name of a state
 * @s:	state
 *
 * Return: static string, "?" for an unknown value
 */
const char *tcp_state_name(enum tcp_state s)
{
	if ((unsigned)s >= TCP_STATE__COUNT)
		return "?";
	return tcp_state_names[s];
}

/**
 * tcp_cfg_default() - defaults: everything on, Nagle on, RFC timers
 * @cfg:	filled in
 */
void tcp_cfg_default(struct tcp_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mss = 1460;
	cfg->use_ws = true;
	cfg->use_ts = true;
	cfg->use_sack = true;
	cfg->backlog = 128;
	cfg->rto_min_ms = RTO_MIN_MS;
	cfg->rto_max_ms = RTO_MAX_MS;
	cfg->delack_ms = 40;
	/* RFC 9293 3.4.2 assumes an MSL of 2 minutes; 30 s (TIME-WAIT of
	 * 60 s) is what hosts use in practice */
	cfg->msl_ms = 30000;
	cfg->syn_retries = 6;
	cfg->max_retries = 15;
	cfg->keep_idle_ms = 7200000;	/* RFC 1122 4.2.3.6: >= 2 hours */
	cfg->keep_intvl_ms = 75000;
	cfg->keep_cnt = 9;
}

/**
 * tcp_ring_pow2() - largest power of two not above @n
 * @n:	size offered
 *
 * Return: usable ring size (0 if @n is 0)
 */
static uint32_t tcp_ring_pow2(uint32_t n)
{
	uint32_t p = 1;

	if (!n)
		return 0;
	while (p <= n / 2)
		p <<= 1;
	return p;
}

/**
 * tcp_conn_init() - set up a control block in CLOSED
 * @c:		storage
 * @ops:	callbacks
 * @ctx:	their context
 * @cfg:	settings, NULL for tcp_cfg_default()
 * @sbuf:	send ring storage
 * @ssize:	its size (rounded down to a power of two)
 * @rbuf:	receive ring storage
 * @rsize:	its size (rounded down to a power of two)
 */
void tcp_conn_init(struct tcp_conn *c, const struct tcp_ops *ops, void *ctx,
		   const struct tcp_cfg *cfg, uint8_t *sbuf, uint32_t ssize,
		   uint8_t *rbuf, uint32_t rsize)
{
	memset(c, 0, sizeof(*c));
	c->ops = ops;
	c->ctx = ctx;
	if (cfg)
		c->cfg = *cfg;
	else
		tcp_cfg_default(&c->cfg);
	if (c->cfg.mss < 64)
		c->cfg.mss = 64;
	/* RFC 9293 3.8.6.3: an ACK is never delayed by 0.5 s or more */
	if (c->cfg.delack_ms >= 500)
		c->cfg.delack_ms = 499;
	c->sbuf.buf = sbuf;
	c->sbuf.size = tcp_ring_pow2(ssize);
	c->rbuf.buf = rbuf;
	c->rbuf.size = tcp_ring_pow2(rsize);
	c->state = TCP_CLOSED;
}

/**
 * tcp_wscale_for() - smallest shift that lets the window cover @size
 * @size:	receive ring size
 *
 * Return: shift, at most TCP_WS_MAX (RFC 7323 2.3)
 */
uint8_t tcp_wscale_for(uint32_t size)
{
	uint8_t ws = 0;

	while (ws < TCP_WS_MAX && (size >> ws) > 65535)
		ws++;
	return ws;
}

/**
 * tcp_ts_offset() - the timestamp clock offset of a connection
 * @c:	connection whose ISS is set
 *
 * RFC 7323 5.4 and 7.1: random per connection, so that TSval does not
 * give away the clock (the host's uptime) or link connections to one
 * host. The peer knows our ISS, so the offset must not follow from it
 * alone: a keyed mix of the ISS (the ISS is already unique per
 * connection and unpredictable, RFC 6528).
 *
 * Return: the offset added to the millisecond clock
 */
uint32_t tcp_ts_offset(const struct tcp_conn *c)
{
	return (uint32_t)mix64(c->iss, 0, c->cfg.ts_key, c->cfg.ts_key >> 7);
}

/**
 * tcp_synq_leave() - a listener's child is no longer half-open
 * @c:		the child (SYN-RECEIVED until now, or leaving the listener)
 *
 * A listener keeps two queues in one list of children, as BSD and Linux
 * do: the half-open ones (SYN-RECEIVED, @qsyn of them) and the
 * established ones nobody accepted yet (@qlen - @qsyn). Each is bounded
 * by the backlog on its own, so that half-open connections from forged
 * SYNs never take the room of connections that completed (see
 * tcp_listen_synq_full()).
 */
void tcp_synq_leave(struct tcp_conn *c)
{
	if (c->in_synq && c->listener) {
		c->listener->qsyn--;
		c->in_synq = false;
	}
}

/**
 * tcp_set_state() - change state, with the bookkeeping of the new one
 * @c:		connection
 * @st:		new state
 * @now_ms:	current time
 */
void tcp_set_state(struct tcp_conn *c, enum tcp_state st, uint64_t now_ms)
{
	enum tcp_state old = c->state;

	c->state = st;
	if (st == TCP_ESTABLISHED && old != TCP_ESTABLISHED) {
		c->events |= TCP_EV_CONNECTED | TCP_EV_WRITABLE;
		if (c->cfg.keepalive)
			c->t_keep = now_ms + c->cfg.keep_idle_ms;
		if (c->listener) {
			tcp_synq_leave(c);
			c->listener->events |= TCP_EV_ACCEPT;
		}
		if (c->fin_queued) {
			/* close() in SYN-RECEIVED (RFC 9293 3.10.4) */
			c->state = TCP_FIN_WAIT_1;
		}
	}
}

/**
 * tcp_enter_time_wait() - TIME-WAIT for 2 MSL (RFC 9293 3.10.7.4)
 * @c:		connection
 * @now_ms:	current time
 */
void tcp_enter_time_wait(struct tcp_conn *c, uint64_t now_ms)
{
	c->state = TCP_TIME_WAIT;
	c->t_rexmt = c->t_persist = c->t_keep = c->t_delack = 0;
	c->persist = false;
	c->t_2msl = now_ms + 2ULL * c->cfg.msl_ms;
	if (!c->t_2msl)
		c->t_2msl = 1;
}

/**
 * tcp_done() - the connection is over: CLOSED, no timers
 * @c:		connection
 * @err:	0 for an orderly end, -ECONNRESET, -ECONNREFUSED, -ETIMEDOUT...
 */
void tcp_done(struct tcp_conn *c, int err)
{
	if (c->state == TCP_CLOSED && c->err)
		return;
	c->state = TCP_CLOSED;
	c->err = err;
	c->t_rexmt = c->t_persist = c->t_keep = c->t_delack = c->t_2msl = 0;
	c->t_tlp = c->t_rack = c->t_wupd = 0;
	c->persist = false;
	c->events |= err ? TCP_EV_RESET : TCP_EV_CLOSED;
}

/**
 * tcp_unlink_child() - take @c off its listener's list
 * @c:	a connection not accepted yet
 */
static void tcp_unlink_child(struct tcp_conn *c)
{
	struct tcp_conn *lc = c->listener;

	if (!lc)
		return;
	tcp_synq_leave(c);
	if (c->child_prev)
		c->child_prev->child_next = c->child_next;
	else
		lc->children = c->child_next;
	if (c->child_next)
		c->child_next->child_prev = c->child_prev;
	c->child_next = c->child_prev = NULL;
	c->listener = NULL;
	lc->qlen--;
}

/**
 * tcp_finish() - deliver collected events; release a finished connection
 * @c:	connection
 *
 * A connection is released when it is CLOSED and either the user closed
 * it or it was a listener's child nobody accepted. Only the outermost
 * entry point releases (see the theory of operation).
 */
void tcp_finish(struct tcp_conn *c)
{
	unsigned ev;

	c->depth++;
	while ((ev = c->events)) {
		c->events = 0;
		/* a child not accepted yet is not the user's: its listener
		 * speaks for it (TCP_EV_ACCEPT); a closed one has no user */
		if (!c->listener && c->ops->event && !c->user_closed)
			c->ops->event(c->ctx, c, ev);
	}
	c->depth--;
	if (c->depth || c->released || c->state != TCP_CLOSED)
		return;
	if (!c->user_closed && !c->listener)
		return;
	tcp_unlink_child(c);
	c->released = true;
	if (c->ops->release)
		c->ops->release(c->ctx, c);
}

/**
 * tcp_listen() - passive open (RFC 9293 3.10.1)
 * @c:		connection in CLOSED
 * @laddr:	local address (0: any)
 * @lport:	local port
 *
 * Return: 0, -EINVAL if @c is not CLOSED or has no rings
 */
int tcp_listen(struct tcp_conn *c, uint32_t laddr, uint16_t lport)
{
	if (c->state != TCP_CLOSED || c->user_closed)
		return -EINVAL;
	c->laddr = laddr;
	c->lport = lport;
	c->state = TCP_LISTEN;
	return 0;
}

/**
 * tcp_set_send_mss() - our sending MSS from the peer's and ours
 * @c:	connection whose peer_mss and options are known
 *
 * The smaller of the two, less the timestamp option carried by every
 * segment (RFC 6691), never below TCP_MIN_MSS.
 */
static void tcp_set_send_mss(struct tcp_conn *c)
{
	uint32_t mss = c->peer_mss < c->cfg.mss ? c->peer_mss : c->cfg.mss;

	if (c->ts_on)
		mss = mss > 12 ? mss - 12 : 0;
	if (mss < TCP_MIN_MSS)
		mss = TCP_MIN_MSS;
	c->mss = mss;
	c->cc.mss = mss;
}

/**
 * tcp_negotiate() - options of the connection from the peer's SYN
 * @c:		connection (our offer in cfg)
 * @syn:	the SYN or SYN-ACK received
 * @now_ms:	current time
 *
 * Window scaling, timestamps and SACK are used only if both SYNs carried
 * them (RFC 7323 1.3, 3.2; RFC 2018 2). Our MSS for sending is the
 * peer's, 536 if it gave none (RFC 9293 3.7.1), less the timestamp option
 * carried by every segment (RFC 6691).
 */
void tcp_negotiate(struct tcp_conn *c, const struct tcp_seg *syn,
		   uint64_t now_ms)
{
	const struct tcp_opts *o = &syn->opts;

	c->ws_on = c->cfg.use_ws && (o->has & TCP_O_WS);
	c->snd_wscale = c->ws_on ? o->ws : 0;
	c->rcv_wscale = c->ws_on ? tcp_wscale_for(c->rbuf.size) : 0;
	c->ts_on = c->cfg.use_ts && (o->has & TCP_O_TS);
	if (c->ts_on) {
		c->ts_recent = o->tsval;
		c->ts_recent_age = now_ms;
	}
	c->sack_on = c->cfg.use_sack && (o->has & TCP_O_SACKOK);
	c->peer_mss = (o->has & TCP_O_MSS) && o->mss ? o->mss : TCP_DEFAULT_MSS;
	tcp_set_send_mss(c);
	/* the window of a SYN is never scaled (RFC 7323 2.2) */
	c->snd_wnd = syn->win;
	c->max_snd_wnd = c->snd_wnd;
	c->snd_wl1 = syn->seq;
	c->snd_wl2 = syn->ack;
}

/**
 * tcp_set_link_mss() - the largest segment the link takes, for a path
 * that carries segments of any size (no frames: ep_hop.c)
 * @c:		connection whose SYN or SYN-ACK is going out
 * @mss:	MSS to announce and use, at most 65495 (RFC 9293 3.7.1:
 *		what we can receive is ours to say)
 *
 * In SYN-SENT the peer's SYN-ACK decides with it (tcp_negotiate()); in
 * SYN-RECEIVED the peer's SYN is already known, so the sending MSS and the
 * initial window (RFC 6928, in MSS) are set again here, before any data.
 */
void tcp_set_link_mss(struct tcp_conn *c, uint32_t mss)
{
	c->cfg.mss = mss;
	if (c->state != TCP_SYN_RECEIVED)
		return;
	tcp_set_send_mss(c);
	c->cc.ops->init(&c->cc);
}

/**
 * tcp_connect() - active open: send a SYN (RFC 9293 3.10.1)
 * @c:		connection in CLOSED, made by tcp_conn_init()
 * @laddr:	local address
 * @lport:	local port
 * @raddr:	remote address
 * @rport:	remote port
 * @iss:	initial send sequence number (RFC 6528: the caller's hash)
 * @now_ms:	current time
 *
 * Return: 0, -EINVAL if @c is not CLOSED or lacks rings
 */
int tcp_connect(struct tcp_conn *c, uint32_t laddr, uint16_t lport,
		uint32_t raddr, uint16_t rport, uint32_t iss, uint64_t now_ms)
{
	if (c->state != TCP_CLOSED || c->user_closed || !c->sbuf.size ||
	    !c->rbuf.size)
		return -EINVAL;
	c->laddr = laddr;
	c->lport = lport;
	c->raddr = raddr;
	c->rport = rport;
	c->iss = iss;
	c->snd_una = c->snd_nxt = c->snd_max = iss;
	c->snd_end = iss + 1;
	c->recover = iss;
	c->high_rxt = iss;
	c->ts_offset = tcp_ts_offset(c);
	/* our offer; tcp_negotiate() keeps what the peer accepts */
	c->ws_on = c->cfg.use_ws;
	c->rcv_wscale = c->ws_on ? tcp_wscale_for(c->rbuf.size) : 0;
	c->ts_on = c->cfg.use_ts;
	c->sack_on = c->cfg.use_sack;
	c->mss = c->cfg.mss;
	rto_init(&c->rto, c->cfg.rto_min_ms, c->cfg.rto_max_ms);
	cc_init(&c->cc, c->cfg.cc, c->cfg.mss);
	c->state = TCP_SYN_SENT;
	/* time the SYN (RFC 6298 2.2 takes the first sample from it) */
	c->rtt_timing = true;
	c->rtt_seq = iss;
	c->rtt_start = now_ms;
	c->depth++;
	tcp_out_syn(c, now_ms);
	c->depth--;
	c->snd_nxt = c->snd_max = iss + 1;
	c->t_rexmt = now_ms + rto_get(&c->rto);
	tcp_finish(c);
	return 0;
}

/**
 * tcp_accept() - take an established connection from a listener
 * @lc:	listener
 *
 * Return: the connection, now the user's (to be closed with tcp_close()),
 * or NULL if none is ready
 */
struct tcp_conn *tcp_accept(struct tcp_conn *lc)
{
	struct tcp_conn *c, *found = NULL;

	if (lc->state != TCP_LISTEN)
		return NULL;
	/* children are linked newest first: the last usable one found is
	 * the oldest, served first */
	for (c = lc->children; c; c = c->child_next)
		if (c->state != TCP_SYN_RECEIVED && c->state != TCP_CLOSED)
			found = c;
	if (!found)
		return NULL;
	tcp_unlink_child(found);
	return found;
}

/**
 * tcp_readable() - bytes the user can read now
 * @c:	connection
 *
 * Return: in-order bytes waiting in the receive ring
 */
size_t tcp_readable(const struct tcp_conn *c)
{
	/* nothing before the peer's SYN; nothing after a reset (RFC 9293
	 * 3.10.7.4: queued data is flushed) */
	if (c->state == TCP_LISTEN || c->state == TCP_SYN_SENT ||
	    !c->rbuf.size || c->err ||
	    (c->state == TCP_CLOSED && !c->rcv_nxt && !c->irs))
		return 0;
	return tcp_rbuf_len(c);
}

/**
 * tcp_eof() - whether the peer's FIN has been read up to
 * @c:	connection
 *
 * Return: true when all data was read and the stream has ended
 */
bool tcp_eof(const struct tcp_conn *c)
{
	return c->fin_rcvd && !tcp_rbuf_len(c);
}

/**
 * tcp_writable() - room in the send ring
 * @c:	connection
 *
 * Return: bytes tcp_send() would take now
 */
size_t tcp_writable(const struct tcp_conn *c)
{
	if (c->fin_queued || !(c->state == TCP_ESTABLISHED ||
			       c->state == TCP_CLOSE_WAIT ||
			       c->state == TCP_SYN_SENT ||
			       c->state == TCP_SYN_RECEIVED))
		return 0;
	return c->sbuf.size - tcp_sbuf_len(c);
}

/**
 * tcp_send_commit() - queue bytes the caller already wrote into the ring
 * @c:		connection
 * @n:		bytes written at the stream position snd_end (byte s of the
 *		stream at sbuf[(s - ISS - 1) & (size - 1)])
 * @now_ms:	current time
 *
 * The zero-copy form of tcp_send() (RFC 9293 3.10.2): an application that
 * shares the ring writes the bytes itself and only the sequence variables
 * move here. Bytes beyond tcp_writable() are not taken.
 *
 * Return: bytes queued (less than @n when the ring is full; 0 when the
 * connection cannot send any more)
 */
size_t tcp_send_commit(struct tcp_conn *c, size_t n, uint64_t now_ms)
{
	size_t room = tcp_writable(c);

	if (n > room)
		n = room;
	if (!n)
		return 0;
	c->snd_end += (uint32_t)n;
	c->depth++;
	tcp_output(c, now_ms);
	c->depth--;
	tcp_finish(c);
	return n;
}

/**
 * tcp_send() - queue bytes for sending (RFC 9293 3.10.2)
 * @c:		connection
 * @data:	bytes
 * @len:	how many
 * @now_ms:	current time
 *
 * Copies into the send ring at snd_end and commits (tcp_send_commit()).
 *
 * Return: bytes queued (less than @len when the ring is full; 0 when the
 * connection cannot send any more)
 */
size_t tcp_send(struct tcp_conn *c, const void *data, size_t len,
		uint64_t now_ms)
{
	size_t room = tcp_writable(c), n, off, first;

	n = len < room ? len : room;
	if (!n)
		return 0;
	off = (c->snd_end - (c->iss + 1)) & (c->sbuf.size - 1);
	first = c->sbuf.size - off;
	if (first > n)
		first = n;
	memcpy(c->sbuf.buf + off, data, first);
	memcpy(c->sbuf.buf, (const uint8_t *)data + first, n - first);
	return tcp_send_commit(c, n, now_ms);
}

/**
 * tcp_wupd_ival() - first wait before a window update is sent again
 * @c:	connection
 *
 * Return: two smoothed RTTs, at least 2 ms
 */
static uint32_t tcp_wupd_ival(const struct tcp_conn *c)
{
	uint32_t t = 2 * rto_srtt(&c->rto);

	return t < 2 ? 2 : t;
}

/**
 * tcp_recv_commit() - the caller consumed bytes from the receive ring
 * @c:		connection
 * @n:		bytes read at the stream position rcv_read
 * @now_ms:	current time
 *
 * The zero-copy form of tcp_recv(). Reading opens the receive window;
 * when it opened by enough to matter (RFC 9293 3.8.6.2.2) a window update
 * is sent at once. More than tcp_readable() is not taken.
 *
 * Return: bytes consumed
 */
size_t tcp_recv_commit(struct tcp_conn *c, size_t n, uint64_t now_ms)
{
	size_t have = tcp_readable(c);
	uint32_t cur, free;

	if (n > have)
		n = have;
	if (!n)
		return 0;
	c->rcv_read += (uint32_t)n;

	cur = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	free = c->rbuf.size - tcp_rbuf_len(c);
	/* the same threshold as the window itself (tcp_out_window()):
	 * the right edge moves by min(half the ring, one MSS) */
	if (tcp_synchronized(c) && !c->fin_rcvd && free > cur &&
	    free - cur >= (c->rbuf.size / 2 < c->cfg.mss ? c->rbuf.size / 2
							 : c->cfg.mss)) {
		c->ack_now = true;
		c->depth++;
		tcp_output(c, now_ms);
		c->depth--;
		/* the window was closed to the peer: if this update is lost,
		 * only its persist timer (an RTO, 200 ms or more) would find
		 * out; send it again unless data comes (tcp_timer_wupd()) */
		if (cur < c->mss) {
			c->wupd_nxt = c->rcv_nxt;
			c->wupd_n = 0;
			c->t_wupd = now_ms + tcp_wupd_ival(c);
		}
	}
	tcp_finish(c);
	return n;
}

/**
 * tcp_timer_wupd() - resend a window update that reopened a closed window
 * @c:		connection
 * @now_ms:	current time
 *
 * Window updates are pure ACKs, never acknowledged: RFC 9293 3.8.6.1
 * leaves a lost one to the sender's persist timer. When nothing has
 * arrived since the update and the window is still open, it is sent
 * again, up to three times, the interval doubling each time.
 */
static void tcp_timer_wupd(struct tcp_conn *c, uint64_t now_ms)
{
	c->t_wupd = 0;
	if (!tcp_synchronized(c) || c->state == TCP_TIME_WAIT ||
	    c->fin_rcvd || c->rcv_nxt != c->wupd_nxt ||
	    !SEQ_GT(c->rcv_adv, c->rcv_nxt) ||
	    c->rcv_adv - c->rcv_nxt < c->mss)
		return;
	c->stats.wupd_resent++;
	tcp_out_ack(c, now_ms);
	if (++c->wupd_n < 3)
		c->t_wupd = now_ms + ((uint64_t)tcp_wupd_ival(c) << c->wupd_n);
}

/**
 * tcp_recv() - read received bytes (RFC 9293 3.10.3)
 * @c:		connection
 * @data:	destination
 * @len:	room there
 * @now_ms:	current time
 *
 * Copies from the receive ring at rcv_read and commits
 * (tcp_recv_commit(), which sends a window update when it matters).
 *
 * Return: bytes read, 0 if none (see tcp_eof())
 */
size_t tcp_recv(struct tcp_conn *c, void *data, size_t len, uint64_t now_ms)
{
	size_t have = tcp_readable(c), n, off, first;

	n = len < have ? len : have;
	if (!n)
		return 0;
	off = (c->rcv_read - (c->irs + 1)) & (c->rbuf.size - 1);
	first = c->rbuf.size - off;
	if (first > n)
		first = n;
	memcpy(data, c->rbuf.buf + off, first);
	memcpy((uint8_t *)data + first, c->rbuf.buf, n - first);
	return tcp_recv_commit(c, n, now_ms);
}

/**
 * tcp_shutdown() - no more data from us: queue a FIN (RFC 9293 3.10.4)
 * @c:		connection
 * @now_ms:	current time
 *
 * Return: 0, -ENOTCONN when there is no connection to shut down
 */
int tcp_shutdown(struct tcp_conn *c, uint64_t now_ms)
{
	switch (c->state) {
	case TCP_SYN_RECEIVED:
		/* FIN once established (tcp_set_state()) */
		c->fin_queued = true;
		return 0;
	case TCP_ESTABLISHED:
		c->fin_queued = true;
		c->state = TCP_FIN_WAIT_1;
		break;
	case TCP_CLOSE_WAIT:
		c->fin_queued = true;
		c->state = TCP_LAST_ACK;
		break;
	case TCP_FIN_WAIT_1:
	case TCP_FIN_WAIT_2:
	case TCP_CLOSING:
	case TCP_LAST_ACK:
	case TCP_TIME_WAIT:
		return 0;
	default:
		return -ENOTCONN;
	}
	c->depth++;
	tcp_output(c, now_ms);
	c->depth--;
	tcp_finish(c);
	return 0;
}

/**
 * tcp_abort() - reset the connection (RFC 9293 3.10.5)
 * @c:		connection
 * @now_ms:	current time
 *
 * Sends a RST in the states where the peer knows the connection; the
 * connection is the user's to tcp_close() afterwards (as after any
 * reset).
 */
void tcp_abort(struct tcp_conn *c, uint64_t now_ms)
{
	struct tcp_conn *ch;

	c->depth++;
	if (c->state == TCP_LISTEN) {
		while ((ch = c->children)) {
			tcp_unlink_child(ch);
			tcp_out_rst(ch, now_ms);
			tcp_done(ch, -ECONNABORTED);
			ch->user_closed = true;
			tcp_finish(ch);
		}
		c->state = TCP_CLOSED;
	} else if (c->state == TCP_SYN_RECEIVED || tcp_synchronized(c)) {
		if (c->state != TCP_TIME_WAIT)
			tcp_out_rst(c, now_ms);
		tcp_done(c, -ECONNABORTED);
	} else if (c->state != TCP_CLOSED) {
		tcp_done(c, -ECONNABORTED);
	}
	c->depth--;
	tcp_finish(c);
}

/**
 * tcp_close() - the user is done with @c (RFC 9293 3.10.4)
 * @c:		connection
 * @now_ms:	current time
 *
 * Open connections send a FIN and finish in the background; TCP releases
 * them when they reach CLOSED. Closing with unread data resets instead
 * (RFC 2525 2.17), as does closing a listener's pending children.
 */
void tcp_close(struct tcp_conn *c, uint64_t now_ms)
{
	if (c->user_closed)
		return;
	c->depth++;
	switch (c->state) {
	case TCP_LISTEN:
	case TCP_SYN_SENT:
		tcp_abort(c, now_ms);
		c->state = TCP_CLOSED;
		break;
	case TCP_SYN_RECEIVED:
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
		if (tcp_rbuf_len(c)) {
			tcp_abort(c, now_ms);
			break;
		}
		tcp_shutdown(c, now_ms);
		break;
	case TCP_FIN_WAIT_2:
		/* see tcp_in_ack(): an orphan does not wait for ever */
		if (!c->t_2msl)
			c->t_2msl = now_ms + 2ULL * c->cfg.msl_ms;
		break;
	default:
		break;
	}
	c->user_closed = true;
	c->depth--;
	tcp_finish(c);
}

/**
 * tcp_set_nodelay() - switch Nagle's algorithm off (on) (TCP_NODELAY)
 * @c:		connection
 * @on:		true disables Nagle
 * @now_ms:	current time
 */
void tcp_set_nodelay(struct tcp_conn *c, bool on, uint64_t now_ms)
{
	c->cfg.nodelay = on;
	c->depth++;
	tcp_output(c, now_ms);
	c->depth--;
	tcp_finish(c);
}

/**
 * tcp_set_keepalive() - turn keepalive probes on or off (SO_KEEPALIVE)
 * @c:		connection
 * @on:		probe an idle connection (RFC 9293 3.8.4)
 * @now_ms:	current time
 *
 * On a synchronized connection the idle timer starts now; off, it stops.
 */
void tcp_set_keepalive(struct tcp_conn *c, bool on, uint64_t now_ms)
{
	c->cfg.keepalive = on;
	c->n_keep = 0;
	if (!on)
		c->t_keep = 0;
	else if (c->state == TCP_ESTABLISHED || c->state == TCP_CLOSE_WAIT ||
		 c->state == TCP_FIN_WAIT_2)
		c->t_keep = now_ms + c->cfg.keep_idle_ms;
}

/**
 * tcp_pmtu() - the path MTU went down (ICMP fragmentation needed)
 * @c:		connection
 * @seq:	sequence number of the segment quoted in the ICMP message
 * @mtu:	next-hop MTU it gave (IPv4 packet size)
 * @now_ms:	current time
 *
 * RFC 5927 4.1: the quoted sequence number must be one in flight, else
 * the message is ignored (it may be forged). The send MSS shrinks to fit
 * (RFC 1191 6.4), for a path MTU of TCP_PMTU_MIN at least (as Linux's
 * min_pmtu: a forged message must not shrink segments to a few bytes), and
 * what is in flight is sent again at the new size; this is not
 * congestion, so cwnd stays (RFC 1191 6.5).
 *
 * Return: 0 if the MSS changed, -EINVAL if the message was ignored
 */
int tcp_pmtu(struct tcp_conn *c, uint32_t seq, uint32_t mtu, uint64_t now_ms)
{
	uint32_t mss;

	if (!tcp_synchronized(c) || c->state == TCP_TIME_WAIT ||
	    !seq_in(seq, c->snd_una, c->snd_max) || mtu < 68)
		return -EINVAL;
	if (mtu < TCP_PMTU_MIN)
		mtu = TCP_PMTU_MIN;
	mss = mtu - 40;
	if (c->ts_on)
		mss -= 12;
	if (mss < TCP_MIN_MSS)
		mss = TCP_MIN_MSS;
	if (mss >= c->mss)
		return -EINVAL;
	c->mss = mss;
	c->cc.mss = mss;
	c->depth++;
	/* resend from snd_una at the new size (go-back-N, no cwnd change) */
	c->snd_nxt = c->snd_una;
	c->rtt_timing = false;
	c->nsb = 0;
	tcp_rack_reset(c);
	c->in_recovery = false;
	c->rxt_first = false;
	c->dupacks = 0;
	c->high_rxt = c->snd_una;
	c->recover = c->snd_max;
	tcp_output(c, now_ms);
	c->depth--;
	tcp_finish(c);
	return 0;
}

/**
 * tcp_unreach() - an ICMP destination unreachable about a segment we sent
 * @c:		connection
 * @seq:	sequence number of the segment quoted in the message
 * @err:	what the message means (a positive errno)
 * @now_ms:	current time
 *
 * A connection still opening (SYN-SENT) fails with @err at once, as on
 * Linux (tcp_v4_err()): a firewall's reject or a router that cannot
 * reach the host will answer every SYN the same way, and the
 * application should not wait a minute of retransmissions to learn it.
 * A synchronized connection carries on (RFC 1122 4.2.3.9: soft errors;
 * RFC 5461: routes come back). RFC 5927 4.1: the quoted sequence number
 * must be in flight (our SYN), else the message may be forged.
 *
 * Return: 0 if the connection failed, -EINVAL if the message was ignored
 */
int tcp_unreach(struct tcp_conn *c, uint32_t seq, int err, uint64_t now_ms)
{
	(void)now_ms;
	if (c->state != TCP_SYN_SENT || !seq_in(seq, c->snd_una, c->snd_max) ||
	    err <= 0)
		return -EINVAL;
	c->depth++;
	tcp_done(c, -err);
	c->depth--;
	tcp_finish(c);
	return 0;
}

/**
 * tcp_next_deadline() - when tcp_timer() must next run
 * @c:	connection
 *
 * Return: the earliest armed deadline, UINT64_MAX if none is
 */
uint64_t tcp_next_deadline(const struct tcp_conn *c)
{
	const uint64_t t[] = {c->t_rexmt, c->t_persist, c->t_delack,
			      c->t_keep,  c->t_2msl,   c->t_tlp,
			      c->t_rack,  c->t_wupd};
	uint64_t best = UINT64_MAX;
	unsigned i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i] && t[i] < best)
			best = t[i];
	return best;
}

/**
 * tcp_timer_rexmt() - the retransmission timer expired (RFC 6298 5.4-5.6)
 * @c:		connection
 * @now_ms:	current time
 *
 * SYN and SYN-ACK are resent up to syn_retries times, data up to
 * max_retries times (RFC 9293 3.8.3 R2), then the connection is given up.
 * A data timeout collapses cwnd (RFC 5681 3.1), leaves recovery, forgets
 * the SACK scoreboard (the receiver may renege, RFC 2018 8) and resends
 * from snd_una; dupacks for data sent before it do not start a fast
 * retransmit (RFC 6582 4.1: recover = highest sequence sent).
 */
static void tcp_timer_rexmt(struct tcp_conn *c, uint64_t now_ms)
{
	c->t_rexmt = 0;
	c->stats.rtos++;
	if (c->state == TCP_SYN_SENT || c->state == TCP_SYN_RECEIVED) {
		if (++c->n_rexmt > c->cfg.syn_retries) {
			tcp_done(c, -ETIMEDOUT);
			return;
		}
		rto_backoff(&c->rto);
		c->rtt_timing = false;
		tcp_out_syn(c, now_ms);
		c->t_rexmt = now_ms + rto_get(&c->rto);
		return;
	}
	if (c->snd_una == c->snd_max || c->state == TCP_TIME_WAIT)
		return;
	if (++c->n_rexmt > c->cfg.max_retries) {
		tcp_out_rst(c, now_ms);
		tcp_done(c, -ETIMEDOUT);
		return;
	}
	/* RFC 5681 3.1: ssthresh comes down on the first timeout of a
	 * segment and "is held constant" when it times out again (RFC 9438
	 * 4.8: CUBIC follows Reno there); cwnd is one segment since then */
	if (c->n_rexmt == 1)
		c->cc.ops->on_rto(&c->cc, c->snd_max - c->snd_una, now_ms);
	else
		c->cc.cwnd = c->cc.mss;
	rto_backoff(&c->rto);
	c->in_recovery = false;
	c->rxt_first = false;
	c->nsb = 0;
	tcp_rack_reset(c);
	c->dupacks = 0;
	c->recover = c->snd_max;
	c->high_rxt = c->snd_una;
	c->snd_nxt = c->snd_una;
	c->rtt_timing = false;
	tcp_output(c, now_ms);
	if (!c->t_rexmt && !c->persist)
		c->t_rexmt = now_ms + rto_get(&c->rto);
}

/**
 * tcp_timer_persist() - a zero window probe is due
 * @c:		connection
 * @now_ms:	current time
 *
 * A receiver may keep its window shut for as long as it answers the
 * probes (RFC 1122 4.2.2.17). Probes nobody answers count as
 * retransmissions do, max_retries of them end the connection; and one
 * its application has closed, which nobody would ever write to or read
 * from again, gives up after TCP_ORPHAN_PROBES, answered or not (as
 * Linux does with tcp_orphan_retries). Otherwise a peer that shuts its
 * window and then goes away, or keeps it shut, holds the connection and
 * its buffers for ever.
 */
static void tcp_timer_persist(struct tcp_conn *c, uint64_t now_ms)
{
	if (c->n_probe >= c->cfg.max_retries ||
	    (c->user_closed && c->persist_shift >= TCP_ORPHAN_PROBES)) {
		tcp_out_rst(c, now_ms);
		tcp_done(c, -ETIMEDOUT);
		return;
	}
	c->n_probe++;
	tcp_out_persist_probe(c, now_ms);
}

/**
 * tcp_timer_keep() - keepalive (RFC 9293 3.8.4, RFC 1122 4.2.3.6)
 * @c:		connection
 * @now_ms:	current time
 *
 * The probe is <SEQ=SND.UNA-1><ACK=RCV.NXT> with no data: the peer must
 * answer it with an ACK. Unanswered keep_cnt times, the connection dies.
 */
static void tcp_timer_keep(struct tcp_conn *c, uint64_t now_ms)
{
	c->t_keep = 0;
	if (!c->cfg.keepalive || !tcp_synchronized(c) ||
	    c->state == TCP_TIME_WAIT)
		return;
	if (c->n_keep >= c->cfg.keep_cnt) {
		tcp_out_rst(c, now_ms);
		tcp_done(c, -ETIMEDOUT);
		return;
	}
	if (c->snd_una != c->snd_max) {
		/* data outstanding: the retransmission timer watches */
		c->t_keep = now_ms + c->cfg.keep_idle_ms;
		return;
	}
	c->n_keep++;
	c->stats.keep_probes++;
	tcp_out_segment(c, c->snd_una - 1, 0, TCP_F_ACK, now_ms);
	c->t_keep = now_ms + c->cfg.keep_intvl_ms;
}

/**
 * tcp_timer() - run every timer that is due
 * @c:		connection
 * @now_ms:	current time
 */
void tcp_timer(struct tcp_conn *c, uint64_t now_ms)
{
	c->depth++;
	if (c->t_2msl && c->t_2msl <= now_ms) {
		c->t_2msl = 0;
		tcp_done(c, 0);
	}
	if (c->t_delack && c->t_delack <= now_ms) {
		c->t_delack = 0;
		if (tcp_synchronized(c))
			tcp_out_ack(c, now_ms);
	}
	if (c->t_rexmt && c->t_rexmt <= now_ms)
		tcp_timer_rexmt(c, now_ms);
	if (c->t_rack && c->t_rack <= now_ms)
		tcp_rack_timer(c, now_ms);
	if (c->t_tlp && c->t_tlp <= now_ms)
		tcp_out_tlp(c, now_ms);
	if (c->t_wupd && c->t_wupd <= now_ms)
		tcp_timer_wupd(c, now_ms);
	if (c->t_persist && c->t_persist <= now_ms) {
		c->t_persist = 0;
		if (c->persist)
			tcp_timer_persist(c, now_ms);
	}
	if (c->t_keep && c->t_keep <= now_ms)
		tcp_timer_keep(c, now_ms);
	c->depth--;
	tcp_finish(c);
}
