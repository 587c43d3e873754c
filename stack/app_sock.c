// SPDX-License-Identifier: MIT
/*
 * app_sock.c - socket slots of an application context on the worker:
 * handing them out and back, publishing their state, completions, and
 * TCP's callbacks for the connections behind them
 *
 * What the application reads of a socket (state, events, err, snd_head,
 * rcv_tail, accept_q) is written here only, from the private struct
 * app_sock: app_sock_sync() reads a stream socket's state from TCP and
 * publishes it, so that the mapping never holds anything the daemon
 * relies on. The rules the application must follow, and what happens
 * when it does not, are in app_run.c's theory of operation.
 */

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "app.h"
#include "netif_priv.h"
#include "seq.h"

/**
 * app_sock_shm() - a socket slot in the mapping
 * @a:	context
 * @i:	slot (checked by the caller)
 *
 * Return: the slot
 */
struct vsapp_sock *app_sock_shm(struct app_ctx *a, uint32_t i)
{
	return (struct vsapp_sock *)((uint8_t *)a->shm + a->socks_off) + i;
}

/**
 * app_sock_ptr() - a pointer into the data area
 * @a:		context
 * @off:	offset in the data area (from the private state)
 *
 * Return: the pointer
 */
uint8_t *app_sock_ptr(struct app_ctx *a, uint64_t off)
{
	return (uint8_t *)a->shm + a->data_off + off;
}

/**
 * app_sock_ring_free() - give a ring back, its pages punched out of the memfd
 * @a:		context
 * @off:	offset in the data area
 * @size:	its size
 */
static void app_sock_ring_free(struct app_ctx *a, uint64_t off, uint32_t size)
{
	app_mem_free(&a->mem, off, size);
	/* the pages go back to the kernel: a long-lived application's
	 * memory follows its open sockets (a failure only costs memory) */
	if (fallocate(a->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)(a->data_off + off), size))
		return;
}

/**
 * app_sock_post() - post a completion
 * @a:		context
 * @tag:	the command's tag
 * @res:	result
 * @sock:	socket
 * @addr:	peer address (ACCEPT), network order
 * @port:	peer port
 *
 * Return: true if posted; false when the application's cq_head leaves no
 * room (only a broken application gets there: room is kept, see above)
 */
bool app_sock_post(struct app_ctx *a, uint64_t tag, int32_t res, uint32_t sock,
		   uint32_t addr, uint16_t port)
{
	uint32_t head =
		atomic_load_explicit(&a->shm->cq_head, memory_order_acquire);
	struct vsapp_cqe *q, e;

	if (a->cq_tail - head >= APP_CQ_ENTRIES) {
		a->ep->stats[EP_STAT_APP_BAD_CMD]++;
		return false;
	}
	memset(&e, 0, sizeof(e));
	e.tag = tag;
	e.res = res;
	e.sock = sock;
	e.addr = addr;
	e.port = port;
	q = (struct vsapp_cqe *)((uint8_t *)a->shm + a->cq_off);
	memcpy(&q[a->cq_tail & (APP_CQ_ENTRIES - 1)], &e, sizeof(e));
	a->cq_tail++;
	atomic_store_explicit(&a->shm->cq_tail, a->cq_tail,
			      memory_order_release);
	a->need_wake = true;
	return true;
}

/**
 * app_sock_cq_room() - free completion entries beyond those kept for waiting
 * commands
 * @a:	context
 *
 * Return: commands that may be taken now
 */
uint32_t app_sock_cq_room(struct app_ctx *a)
{
	uint32_t head =
		atomic_load_explicit(&a->shm->cq_head, memory_order_acquire);
	uint32_t used = a->cq_tail - head;

	if (used > APP_CQ_ENTRIES || APP_CQ_ENTRIES - used <= a->inflight)
		return 0;
	return APP_CQ_ENTRIES - used - a->inflight;
}

/* ---- publishing ---- */

/**
 * app_sock_state_of() - the application's view of a TCP state
 * @s:	TCP state
 *
 * Return: enum vsapp_state
 */
static uint32_t app_sock_state_of(enum tcp_state s)
{
	switch (s) {
	case TCP_LISTEN:
		return VSAPP_S_LISTEN;
	case TCP_SYN_SENT:
	case TCP_SYN_RECEIVED:
		return VSAPP_S_CONNECTING;
	case TCP_CLOSED:
		return VSAPP_S_CLOSED;
	default:
		return VSAPP_S_CONNECTED;
	}
}

/**
 * app_sock_sync() - read a stream socket's state from TCP and publish it
 * @a:	context
 * @i:	slot
 */
void app_sock_sync(struct app_ctx *a, uint32_t i)
{
	struct app_sock *s = &a->socks[i];
	struct vsapp_sock *ss = app_sock_shm(a, i);
	const struct tcp_conn *c;
	uint32_t head = 0, tail = 0;

	if (s->type != VSAPP_SOCK_STREAM || !s->ec)
		goto publish;
	c = &s->ec->tcp;
	s->state = (uint8_t)app_sock_state_of(c->state);
	if (c->err && !s->err_taken) {
		s->events |= VSAPP_EV_ERR;
		if (!s->err)
			s->err = -c->err;
	}
	/* shutdown(2) SHUT_RD: reads end after the bytes already there */
	if (c->fin_rcvd || s->rd_shut)
		s->events |= VSAPP_EV_EOF;
	if (c->fin_queued)
		s->events |= VSAPP_EV_SHUTWR;
	if (c->state != TCP_LISTEN && c->state != TCP_SYN_SENT &&
	    (c->irs || c->rcv_nxt)) {
		tail = c->rcv_read - c->irs - 1 + (uint32_t)tcp_readable(c);
		if (SEQ_GT(tail, s->rcv_tail))
			s->rcv_tail = tail;
	}
	/* Our SYN acknowledged (SND.UNA moved off the ISS); not SEQ_GT(): 2 GiB
	 * into the stream SND.UNA is "before" the ISS in sequence space. */
	if (c->state != TCP_SYN_SENT && c->snd_una != c->iss) {
		head = c->snd_una - c->iss - 1;
		if (SEQ_GT(head, s->snd_tail))
			head = s->snd_tail; /* the FIN is not a byte */
		if (SEQ_GT(head, s->snd_head))
			s->snd_head = head;
	}
publish:
	if (s->hidden)
		return;
	atomic_store_explicit(&ss->snd_head, s->snd_head, memory_order_release);
	atomic_store_explicit(&ss->rcv_tail, s->rcv_tail, memory_order_release);
	atomic_store_explicit(&ss->accept_q, s->aq, memory_order_release);
	atomic_store_explicit(&ss->err, s->err, memory_order_release);
	atomic_store_explicit(&ss->events,
			      s->events | (s->aq ? VSAPP_EV_ACCEPT : 0),
			      memory_order_release);
	atomic_store_explicit(&ss->state, s->state, memory_order_release);
	a->need_wake = true;
}

/**
 * app_sock_publish_all() - publish a slot that was just handed out
 * @a:	context
 * @i:	slot
 *
 * The application's counters are reset too: streams count from 0.
 */
void app_sock_publish_all(struct app_ctx *a, uint32_t i)
{
	struct app_sock *s = &a->socks[i];
	struct vsapp_sock *ss = app_sock_shm(a, i);

	ss->type = s->type;
	ss->sbuf_size = s->ssize;
	ss->rbuf_size = s->rsize;
	ss->sbuf_off = a->data_off + s->sbuf;
	ss->rbuf_off = a->data_off + s->rbuf;
	ss->laddr = a->ep->spec.addr;
	ss->lport = s->lport;
	ss->raddr = s->raddr;
	ss->rport = s->rport;
	atomic_store_explicit(&ss->snd_tail, s->snd_tail, memory_order_relaxed);
	atomic_store_explicit(&ss->rcv_head, s->rcv_head, memory_order_relaxed);
	atomic_store_explicit(&ss->gen, s->gen, memory_order_release);
	app_sock_sync(a, i);
}

/**
 * app_sock_udp_own() - a UDP socket of the endpoint now belongs to slot @i
 * @a:	context
 * @i:	slot
 * @u:	UDP socket
 */
void app_sock_udp_own(struct app_ctx *a, uint32_t i, int u)
{
	a->socks[i].udp = u;
	a->socks[i].lport = (uint16_t)udp_port(&a->ep->ni, u);
	a->ep->udp_ctx[u] = a;
	a->ep->udp_slot[u] = i;
	app_sock_shm(a, i)->lport = a->socks[i].lport;
}

/**
 * app_sock_udp_release() - slot @i gives its UDP socket, and with it its
 * port, back to the endpoint (datagrams queued on it are dropped)
 * @a:	context
 * @i:	slot
 */
void app_sock_udp_release(struct app_ctx *a, uint32_t i)
{
	struct app_sock *s = &a->socks[i];

	if (s->udp < 0)
		return;
	udp_close(&a->ep->ni, s->udp);
	a->ep->udp_ctx[s->udp] = NULL;
	s->udp = -1;
	s->lport = 0;
}

/**
 * app_sock_dgram_error() - an ICMP error for a datagram socket: reported
 * once, by the application's next call (libvstack takes it with GETOPT
 * ERROR, as SO_ERROR)
 * @a:		context
 * @i:		slot
 * @err:	positive errno
 */
void app_sock_dgram_error(struct app_ctx *a, uint32_t i, int err)
{
	struct app_sock *s = &a->socks[i];

	s->err = err;
	s->events |= VSAPP_EV_ERR;
	app_sock_sync(a, i);
}

/**
 * app_sock_take_error() - take a socket's error (SO_ERROR): as Linux
 * (sock_error()), reading it clears it, and with it POLLERR; TCP keeps
 * its own, which must not come back at the next sync
 * @a:	context
 * @i:	slot
 *
 * Return: the error (positive errno), 0 for none
 */
int app_sock_take_error(struct app_ctx *a, uint32_t i)
{
	struct app_sock *s = &a->socks[i];
	int err;

	app_sock_sync(a, i);
	err = s->err;
	if (s->err && s->ec && s->ec->tcp.err)
		s->err_taken = true;
	s->err = 0;
	s->events &= ~(uint32_t)VSAPP_EV_ERR;
	app_sock_sync(a, i);
	return err;
}

/**
 * app_sock_bound() - count a stream socket as bound to its port and not
 * listening or connecting yet, or stop counting it (app_cmd.c looks at
 * the counts for BIND)
 * @a:	context
 * @i:	slot
 * @on:	bound now, or no longer
 */
void app_sock_bound(struct app_ctx *a, uint32_t i, bool on)
{
	struct app_sock *s = &a->socks[i];
	uint32_t *b = a->ep->tcp.bound;

	if (s->bound == on || !s->lport || s->type != VSAPP_SOCK_STREAM)
		return;
	s->bound = on;
	if (on) {
		b[s->lport]++;
		b[EP_PORTS + s->lport] += s->reuseaddr;
	} else {
		b[s->lport]--;
		b[EP_PORTS + s->lport] -= s->reuseaddr;
	}
}

/* ---- slots ---- */

/**
 * app_sock_ring_size() - the ring size a command asks for
 * @want:	bytes, 0 for the default
 *
 * Return: a power of two in [APP_PAGE, APP_RING_MAX], 0 if out of range
 */
uint32_t app_sock_ring_size(uint32_t want)
{
	uint32_t n = APP_PAGE;

	if (!want)
		return APP_RING_DEFAULT;
	if (want > APP_RING_MAX)
		return 0;
	while (n < want)
		n <<= 1;
	return n;
}

/**
 * app_sock_alloc() - take a free slot and its rings
 * @a:		context
 * @type:	VSAPP_SOCK_*
 * @ssize:	send ring size (a valid power of two)
 * @rsize:	receive ring size
 *
 * Return: the slot, -EMFILE (no slot), -ENOMEM (no ring memory)
 */
int app_sock_alloc(struct app_ctx *a, uint8_t type, uint32_t ssize,
		   uint32_t rsize)
{
	struct app_sock *s;
	int64_t so, ro;
	uint32_t i, gen;

	if (a->nopen == APP_NSOCKS)
		return -EMFILE;
	for (i = 0; i < APP_NSOCKS; i++)
		if (!a->socks[i].type)
			break;
	if (i == APP_NSOCKS)
		return -EMFILE;
	so = app_mem_alloc(&a->mem, ssize);
	if (so < 0)
		return -ENOMEM;
	ro = app_mem_alloc(&a->mem, rsize);
	if (ro < 0) {
		app_sock_ring_free(a, (uint64_t)so, ssize);
		return -ENOMEM;
	}
	s = &a->socks[i];
	gen = s->gen;
	memset(s, 0, sizeof(*s));
	s->gen = gen + 1;
	s->type = type;
	s->state = VSAPP_S_OPEN;
	s->udp = -1;
	s->listener = s->anext = s->ahead = s->atail = EP_NONE;
	s->sbuf = (uint64_t)so;
	s->rbuf = (uint64_t)ro;
	s->ssize = ssize;
	s->rsize = rsize;
	s->pos = a->nopen;
	a->open[a->nopen++] = i;
	return (int)i;
}

/**
 * app_sock_free() - give a slot back
 * @a:		context
 * @i:		slot
 * @rings:	free the rings too (false: an orphan connection owns them)
 */
void app_sock_free(struct app_ctx *a, uint32_t i, bool rings)
{
	struct app_sock *s = &a->socks[i];
	struct vsapp_sock *ss = app_sock_shm(a, i);
	uint32_t last;

	app_sock_bound(a, i, false);
	if (rings) {
		app_sock_ring_free(a, s->sbuf, s->ssize);
		app_sock_ring_free(a, s->rbuf, s->rsize);
	}
	app_sock_udp_release(a, i);
	if (s->halfopen) {
		s->halfopen = false;
		a->nhalfopen--;
	}
	last = a->open[--a->nopen];
	a->open[s->pos] = last;
	a->socks[last].pos = s->pos;
	if (!s->hidden) {
		atomic_store_explicit(&ss->state, VSAPP_S_FREE,
				      memory_order_release);
		atomic_store_explicit(&ss->gen, s->gen + 1,
				      memory_order_release);
	}
	s->gen++;
	s->type = 0;
	s->ec = NULL;
	s->udp = -1;
}

/**
 * app_sock_reset() - the application broke a socket's rules: reset it
 * @a:	context
 * @i:	slot
 */
void app_sock_reset(struct app_ctx *a, uint32_t i)
{
	struct app_sock *s = &a->socks[i];

	a->ep->stats[EP_STAT_APP_BAD_SOCK]++;
	s->bad = true;
	if (s->ec && s->ec->tcp.state != TCP_CLOSED) {
		ep_tcp_touch(a->ep, s->ec);
		tcp_abort(&s->ec->tcp, a->ep->now);
	}
	s->state = VSAPP_S_CLOSED;
	s->events |= VSAPP_EV_ERR;
	s->err = EINVAL;
	app_sock_sync(a, i);
	s->state = VSAPP_S_CLOSED; /* whatever TCP says */
	s->err = EINVAL;
	atomic_store_explicit(&app_sock_shm(a, i)->state, VSAPP_S_CLOSED,
			      memory_order_release);
	atomic_store_explicit(&app_sock_shm(a, i)->err, EINVAL,
			      memory_order_release);
}

/* ---- accept ---- */

/**
 * app_sock_accept_give() - hand the oldest accepted connection of a listener
 * to the application
 * @a:		context
 * @li:		listener slot (its queue is not empty)
 * @tag:	the ACCEPT's tag
 */
void app_sock_accept_give(struct app_ctx *a, uint32_t li, uint64_t tag)
{
	struct app_sock *l = &a->socks[li];
	uint32_t ci = l->ahead;
	struct app_sock *c = &a->socks[ci];

	l->ahead = c->anext;
	if (l->ahead == EP_NONE)
		l->atail = EP_NONE;
	l->aq--;
	c->anext = c->listener = EP_NONE;
	c->hidden = false;
	app_sock_publish_all(a, ci);
	app_sock_sync(a, li);
	app_sock_post(a, tag, (int32_t)ci, ci, c->raddr, c->rport);
}

/**
 * app_sock_accept_match() - serve waiting ACCEPTs of listener @li
 * @a:	context
 * @li:	listener slot
 */
static void app_sock_accept_match(struct app_ctx *a, uint32_t li)
{
	uint32_t k = 0;

	while (k < a->naccepts && a->socks[li].aq) {
		if (a->accepts[k].sock != li) {
			k++;
			continue;
		}
		a->inflight--;
		app_sock_accept_give(a, li, a->accepts[k].tag);
		memmove(&a->accepts[k], &a->accepts[k + 1],
			(a->naccepts - k - 1) * sizeof(a->accepts[0]));
		a->naccepts--;
	}
}

/**
 * app_sock_accept_cancel() - fail the ACCEPTs waiting on @li
 * @a:		context
 * @li:		listener slot
 * @res:	their result
 */
void app_sock_accept_cancel(struct app_ctx *a, uint32_t li, int32_t res)
{
	uint32_t k = 0;

	while (k < a->naccepts) {
		if (a->accepts[k].sock != li) {
			k++;
			continue;
		}
		a->inflight--;
		app_sock_post(a, a->accepts[k].tag, res, li, 0, 0);
		memmove(&a->accepts[k], &a->accepts[k + 1],
			(a->naccepts - k - 1) * sizeof(a->accepts[0]));
		a->naccepts--;
	}
}

/* ---- TCP's user callbacks ---- */

/**
 * app_sock_tcp_accept() - ep_user_ops.accept: a slot and rings for a SYN
 * @user:	context
 * @lec:	listener
 * @ec:		the new connection
 *
 * Return: 0, or -errno to refuse (the SYN is answered with a reset)
 */
static int app_sock_tcp_accept(void *user, struct ep_conn *lec,
			       struct ep_conn *ec)
{
	struct app_ctx *a = user;
	uint32_t li = lec->uid;
	struct app_sock *l, *c;
	int ci;

	if (a->dead || li >= APP_NSOCKS)
		return -EINVAL;
	l = &a->socks[li];
	/* Completed connections waiting for ACCEPT: ours (aq) and TCP's
	 * (established, not yet handed over); the half-open ones have their
	 * own bound (tcp_listen_synq_full()). */
	if ((uint32_t)l->aq + lec->tcp.qlen - lec->tcp.qsyn >= l->backlog ||
	    a->nhalfopen >= APP_HALFOPEN_MAX)
		return -EAGAIN;
	ci = app_sock_alloc(a, VSAPP_SOCK_STREAM, l->ssize, l->rsize);
	if (ci < 0)
		return ci;
	c = &a->socks[ci];
	c->hidden = true;
	c->halfopen = true;
	a->nhalfopen++;
	c->listener = li;
	c->state = VSAPP_S_CONNECTING;
	c->ec = ec;
	c->nodelay = l->nodelay;
	c->keepalive = l->keepalive;
	ec->uid = (uint32_t)ci;
	ec->tcp.cfg.nodelay = l->nodelay;
	ec->tcp.cfg.keepalive = l->keepalive;
	ep_tcp_set_rings(a->ep, ec, app_sock_ptr(a, c->sbuf), c->ssize,
			 app_sock_ptr(a, c->rbuf), c->rsize);
	return 0;
}

/**
 * app_sock_tcp_event() - ep_user_ops.event
 * @user:	context
 * @ec:		connection
 * @ev:		TCP_EV_* bits
 */
static void app_sock_tcp_event(void *user, struct ep_conn *ec, unsigned ev)
{
	struct app_ctx *a = user;
	uint32_t i = ec->uid;
	struct app_sock *s;
	struct tcp_conn *c;

	if (i >= APP_NSOCKS)
		return; /* an orphan: nobody listens */
	s = &a->socks[i];
	if (ev & TCP_EV_ACCEPT) {
		while ((c = tcp_accept(&ec->tcp))) {
			struct ep_conn *cec = (struct ep_conn *)(void *)c;
			uint32_t ci = cec->uid;

			if (ci >= APP_NSOCKS)
				continue;
			if (a->socks[ci].halfopen) {
				a->socks[ci].halfopen = false;
				a->nhalfopen--;
			}
			a->socks[ci].raddr = wire_be32(c->raddr).be;
			a->socks[ci].rport = c->rport;
			a->socks[ci].lport = c->lport;
			if (s->atail == EP_NONE)
				s->ahead = ci;
			else
				a->socks[s->atail].anext = ci;
			s->atail = ci;
			s->aq++;
			app_sock_sync(a, ci);
		}
		app_sock_accept_match(a, i);
	}
	app_sock_sync(a, i);
	if (s->connecting &&
	    (ev & (TCP_EV_CONNECTED | TCP_EV_RESET | TCP_EV_CLOSED))) {
		int32_t res =
			(ev & TCP_EV_CONNECTED) && !ec->tcp.err
				? 0
				: (ec->tcp.err ? ec->tcp.err : -ECONNREFUSED);

		s->connecting = false;
		a->inflight--;
		/* As Linux: a blocking connect() returns the error and
		 * takes it (inet_wait_for_connect(), then sock_error()),
		 * so SO_ERROR says 0 after it; a non-blocking one leaves
		 * it for SO_ERROR or the next call. Taken before the
		 * completion is posted, so the application never sees it
		 * in the slot. */
		if (res && !s->connect_nb)
			(void)app_sock_take_error(a, i);
		app_sock_post(a, s->connect_tag, res, i, 0, 0);
	}
}

/**
 * app_sock_tcp_release() - ep_user_ops.release
 * @user:	context
 * @ec:		connection TCP is done with
 */
static void app_sock_tcp_release(void *user, struct ep_conn *ec)
{
	struct app_ctx *a = user;
	uint32_t i = ec->uid;
	struct app_sock *s;

	if (i >= APP_NSOCKS) {
		/* an orphan: the rings were its own */
		uint8_t *base = app_sock_ptr(a, 0);

		if (ec->tcp.sbuf.buf)
			app_sock_ring_free(a,
					   (uint64_t)(ec->tcp.sbuf.buf - base),
					   ec->tcp.sbuf.size);
		if (ec->tcp.rbuf.buf)
			app_sock_ring_free(a,
					   (uint64_t)(ec->tcp.rbuf.buf - base),
					   ec->tcp.rbuf.size);
		return;
	}
	s = &a->socks[i];
	if (s->hidden) {
		/* a child never handed over: out of its listener's queue */
		if (s->listener < APP_NSOCKS) {
			struct app_sock *l = &a->socks[s->listener];
			uint32_t *pp = &l->ahead, prev = EP_NONE;

			while (*pp != EP_NONE && *pp != i) {
				prev = *pp;
				pp = &a->socks[*pp].anext;
			}
			if (*pp == i) {
				*pp = s->anext;
				if (l->atail == i)
					l->atail = prev;
				l->aq--;
			}
		}
		app_sock_free(a, i, true);
		return;
	}
	s->ec = NULL;
	s->state = VSAPP_S_CLOSED;
	app_sock_sync(a, i);
}

/**
 * app_sock_tcp_synq_full() - ep_user_ops.synq_full
 * @user:	context
 * @lec:	listener
 *
 * Return: true when the context holds APP_HALFOPEN_MAX half-open children
 */
static bool app_sock_tcp_synq_full(void *user, struct ep_conn *lec)
{
	const struct app_ctx *a = user;

	(void)lec;
	return a->nhalfopen >= APP_HALFOPEN_MAX;
}

const struct ep_user_ops app_sock_tcp_ops = {
	.accept = app_sock_tcp_accept,
	.synq_full = app_sock_tcp_synq_full,
	.event = app_sock_tcp_event,
	.release = app_sock_tcp_release,
};
