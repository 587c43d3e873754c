// SPDX-License-Identifier: MIT
/*
 * app_run.c - application contexts on the worker: commands, completions,
 * data in the shared rings, waking
 *
 * Theory of operation
 *
 * Every byte of the mapping the application can write is hostile. The
 * worker reads only these, and each through one place:
 *   - sq_tail and cq_head (app_service_cmds(): a submission queue that
 *     claims more than sq_entries entries, or a completion queue head
 *     beyond what was posted, is taken as "nothing to do" / "full");
 *   - a command, copied out of the queue before anything looks at it;
 *   - a socket's snd_tail and rcv_head (app_sock_service()): each must
 *     move forward by no more than what the protocol allows
 *     (tail - head <= ring size, monotonic), or the socket is reset with
 *     EINVAL and counted (app_bad_sock);
 *   - datagram record headers, copied out, checked against the ring
 *     (a bad record drops what remains of the send ring, counted);
 *   - app_waiting and pending (waking, app_proto.h section 5).
 * Offsets and sizes come from the daemon's private copies (struct
 * app_ctx, struct app_sock), never from the mapping.
 *
 * Completions. Each command gets exactly one. The worker takes a command
 * only while the completion queue has more free entries than commands
 * still waiting (CONNECT, ACCEPT), so a completion always finds room and
 * the queue is never overrun, whatever cq_head the application writes.
 *
 * Socket slots and rings. SOCKET takes a free slot and allocates both
 * rings (app_mem.c). An accepted connection takes a slot and rings of
 * the listener's context when its SYN arrives; it stays hidden from the
 * application (state FREE in the mapping) until an ACCEPT hands it over.
 * No slot or no memory: the SYN is answered with a reset (ep_tcp.c
 * counts accept_refused).
 *
 * CLOSE frees the slot at once (it may be reused by the next SOCKET), but
 * TCP may still need the rings: an orderly close sends what was written
 * first, and the FIN after it. So the connection becomes an orphan
 * (uid EP_NONE) that owns the rings; they go back to the allocator, their
 * pages punched out of the memfd, when TCP releases the connection. The
 * application cannot reach an orphan's rings through any slot any more,
 * and TCP never sees a reused slot.
 *
 * Waking (app_proto.h section 5): before the worker sleeps (poll with idle
 * set) it sets stack_waiting and looks at pending once more; the
 * application rings the doorbell only when stack_waiting is set. The
 * worker writes a context's wake-up eventfd after it made work visible
 * (a completion, moved counters) and only when app_waiting is set.
 */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "app.h"
#include "netif_priv.h"
#include "seq.h"

#define APP_DGRAM_HDR ((uint32_t)sizeof(struct vsapp_dgram))

static const struct ep_user_ops app_tcp_uops;

/**
 * app_ssock() - a socket slot in the mapping
 * @a:	context
 * @i:	slot (checked by the caller)
 *
 * Return: the slot
 */
static struct vsapp_sock *app_ssock(struct app_ctx *a, uint32_t i)
{
	return (struct vsapp_sock *)((uint8_t *)a->shm + a->socks_off) + i;
}

/**
 * app_ptr() - a pointer into the data area
 * @a:		context
 * @off:	offset in the data area (from the private state)
 *
 * Return: the pointer
 */
static uint8_t *app_ptr(struct app_ctx *a, uint64_t off)
{
	return (uint8_t *)a->shm + a->data_off + off;
}

/**
 * app_ring_free() - give a ring back, its pages punched out of the memfd
 * @a:		context
 * @off:	offset in the data area
 * @size:	its size
 */
static void app_ring_free(struct app_ctx *a, uint64_t off, uint32_t size)
{
	app_mem_free(&a->mem, off, size);
	/* the pages go back to the kernel: a long-lived application's
	 * memory follows its open sockets (a failure only costs memory) */
	if (fallocate(a->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)(a->data_off + off), size))
		return;
}

/**
 * app_cq_post() - post a completion
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
static bool app_cq_post(struct app_ctx *a, uint64_t tag, int32_t res,
			uint32_t sock, uint32_t addr, uint16_t port)
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
 * app_cq_room() - free completion entries beyond those kept for waiting
 * commands
 * @a:	context
 *
 * Return: commands that may be taken now
 */
static uint32_t app_cq_room(struct app_ctx *a)
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
 * app_tcp_state() - the application's view of a TCP state
 * @s:	TCP state
 *
 * Return: enum vsapp_state
 */
static uint32_t app_tcp_state(enum tcp_state s)
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
static void app_sock_sync(struct app_ctx *a, uint32_t i)
{
	struct app_sock *s = &a->socks[i];
	struct vsapp_sock *ss = app_ssock(a, i);
	const struct tcp_conn *c;
	uint32_t head = 0, tail = 0;

	if (s->type != VSAPP_SOCK_STREAM || !s->ec)
		goto publish;
	c = &s->ec->tcp;
	s->state = (uint8_t)app_tcp_state(c->state);
	if (c->err) {
		s->events |= VSAPP_EV_ERR;
		if (!s->err)
			s->err = -c->err;
	}
	if (c->fin_rcvd)
		s->events |= VSAPP_EV_EOF;
	if (c->fin_queued)
		s->events |= VSAPP_EV_SHUTWR;
	if (c->state != TCP_LISTEN && c->state != TCP_SYN_SENT &&
	    (c->irs || c->rcv_nxt)) {
		tail = c->rcv_read - c->irs - 1 + (uint32_t)tcp_readable(c);
		if (SEQ_GT(tail, s->rcv_tail))
			s->rcv_tail = tail;
	}
	if (c->state != TCP_SYN_SENT && SEQ_GT(c->snd_una, c->iss)) {
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
static void app_sock_publish_all(struct app_ctx *a, uint32_t i)
{
	struct app_sock *s = &a->socks[i];
	struct vsapp_sock *ss = app_ssock(a, i);

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
 * app_udp_own() - a UDP socket of the endpoint now belongs to slot @i
 * @a:	context
 * @i:	slot
 * @u:	UDP socket
 */
static void app_udp_own(struct app_ctx *a, uint32_t i, int u)
{
	a->socks[i].udp = u;
	a->socks[i].lport = (uint16_t)udp_port(&a->ep->ni, u);
	a->ep->udp_ctx[u] = a;
	a->ep->udp_slot[u] = i;
	app_ssock(a, i)->lport = a->socks[i].lport;
}

/* ---- slots ---- */

/**
 * app_ring_size() - the ring size a command asks for
 * @want:	bytes, 0 for the default
 *
 * Return: a power of two in [APP_PAGE, APP_RING_MAX], 0 if out of range
 */
static uint32_t app_ring_size(uint32_t want)
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
static int app_sock_alloc(struct app_ctx *a, uint8_t type, uint32_t ssize,
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
		app_ring_free(a, (uint64_t)so, ssize);
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
static void app_sock_free(struct app_ctx *a, uint32_t i, bool rings)
{
	struct app_sock *s = &a->socks[i];
	struct vsapp_sock *ss = app_ssock(a, i);
	uint32_t last;

	if (rings) {
		app_ring_free(a, s->sbuf, s->ssize);
		app_ring_free(a, s->rbuf, s->rsize);
	}
	if (s->udp >= 0) {
		udp_close(&a->ep->ni, s->udp);
		a->ep->udp_ctx[s->udp] = NULL;
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
static void app_sock_reset(struct app_ctx *a, uint32_t i)
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
	atomic_store_explicit(&app_ssock(a, i)->state, VSAPP_S_CLOSED,
			      memory_order_release);
	atomic_store_explicit(&app_ssock(a, i)->err, EINVAL,
			      memory_order_release);
}

/* ---- accept ---- */

/**
 * app_accept_give() - hand the oldest accepted connection of a listener
 * to the application
 * @a:		context
 * @li:		listener slot (its queue is not empty)
 * @tag:	the ACCEPT's tag
 */
static void app_accept_give(struct app_ctx *a, uint32_t li, uint64_t tag)
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
	app_cq_post(a, tag, (int32_t)ci, ci, c->raddr, c->rport);
}

/**
 * app_accept_match() - serve waiting ACCEPTs of listener @li
 * @a:	context
 * @li:	listener slot
 */
static void app_accept_match(struct app_ctx *a, uint32_t li)
{
	uint32_t k = 0;

	while (k < a->naccepts && a->socks[li].aq) {
		if (a->accepts[k].sock != li) {
			k++;
			continue;
		}
		a->inflight--;
		app_accept_give(a, li, a->accepts[k].tag);
		memmove(&a->accepts[k], &a->accepts[k + 1],
			(a->naccepts - k - 1) * sizeof(a->accepts[0]));
		a->naccepts--;
	}
}

/**
 * app_accept_cancel() - fail the ACCEPTs waiting on @li
 * @a:		context
 * @li:		listener slot
 * @res:	their result
 */
static void app_accept_cancel(struct app_ctx *a, uint32_t li, int32_t res)
{
	uint32_t k = 0;

	while (k < a->naccepts) {
		if (a->accepts[k].sock != li) {
			k++;
			continue;
		}
		a->inflight--;
		app_cq_post(a, a->accepts[k].tag, res, li, 0, 0);
		memmove(&a->accepts[k], &a->accepts[k + 1],
			(a->naccepts - k - 1) * sizeof(a->accepts[0]));
		a->naccepts--;
	}
}

/* ---- TCP's user callbacks ---- */

/**
 * app_tcp_accept() - ep_user_ops.accept: a slot and rings for a SYN
 * @user:	context
 * @lec:	listener
 * @ec:		the new connection
 *
 * Return: 0, or -errno to refuse (the SYN is answered with a reset)
 */
static int app_tcp_accept(void *user, struct ep_conn *lec, struct ep_conn *ec)
{
	struct app_ctx *a = user;
	uint32_t li = lec->uid;
	struct app_sock *l, *c;
	int ci;

	if (a->dead || li >= APP_NSOCKS)
		return -EINVAL;
	l = &a->socks[li];
	if ((uint32_t)l->aq + lec->tcp.qlen >= l->backlog)
		return -EAGAIN;
	ci = app_sock_alloc(a, VSAPP_SOCK_STREAM, l->ssize, l->rsize);
	if (ci < 0)
		return ci;
	c = &a->socks[ci];
	c->hidden = true;
	c->listener = li;
	c->state = VSAPP_S_CONNECTING;
	c->ec = ec;
	c->nodelay = l->nodelay;
	c->keepalive = l->keepalive;
	ec->uid = (uint32_t)ci;
	ec->tcp.cfg.nodelay = l->nodelay;
	ec->tcp.cfg.keepalive = l->keepalive;
	ep_tcp_set_rings(a->ep, ec, app_ptr(a, c->sbuf), c->ssize,
			 app_ptr(a, c->rbuf), c->rsize);
	return 0;
}

/**
 * app_tcp_event() - ep_user_ops.event
 * @user:	context
 * @ec:		connection
 * @ev:		TCP_EV_* bits
 */
static void app_tcp_event(void *user, struct ep_conn *ec, unsigned ev)
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
		app_accept_match(a, i);
	}
	app_sock_sync(a, i);
	if (s->connecting &&
	    (ev & (TCP_EV_CONNECTED | TCP_EV_RESET | TCP_EV_CLOSED))) {
		s->connecting = false;
		a->inflight--;
		app_cq_post(
			a, s->connect_tag,
			(ev & TCP_EV_CONNECTED) && !ec->tcp.err
				? 0
				: (ec->tcp.err ? ec->tcp.err : -ECONNREFUSED),
			i, 0, 0);
	}
}

/**
 * app_tcp_release() - ep_user_ops.release
 * @user:	context
 * @ec:		connection TCP is done with
 */
static void app_tcp_release(void *user, struct ep_conn *ec)
{
	struct app_ctx *a = user;
	uint32_t i = ec->uid;
	struct app_sock *s;

	if (i >= APP_NSOCKS) {
		/* an orphan: the rings were its own */
		uint8_t *base = app_ptr(a, 0);

		if (ec->tcp.sbuf.buf)
			app_ring_free(a, (uint64_t)(ec->tcp.sbuf.buf - base),
				      ec->tcp.sbuf.size);
		if (ec->tcp.rbuf.buf)
			app_ring_free(a, (uint64_t)(ec->tcp.rbuf.buf - base),
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

static const struct ep_user_ops app_tcp_uops = {
	.accept = app_tcp_accept,
	.event = app_tcp_event,
	.release = app_tcp_release,
};

/* ---- data ---- */

/**
 * app_dgram_tx() - send the datagram records the application wrote
 * @a:		context
 * @i:		slot
 * @tail:	the application's snd_tail (checked: within the ring)
 */
static void app_dgram_tx(struct app_ctx *a, uint32_t i, uint32_t tail)
{
	struct app_sock *s = &a->socks[i];
	uint8_t *ring = app_ptr(a, s->sbuf);
	struct vsapp_dgram d;

	while (s->snd_head != tail) {
		uint32_t pos = s->snd_head & (s->ssize - 1);
		uint32_t rem = s->ssize - pos, avail = tail - s->snd_head;
		uint32_t need, dst;
		uint16_t port;

		if (rem < APP_DGRAM_HDR) {
			if (avail < rem)
				goto bad;
			s->snd_head += rem; /* no room for a header: wrap */
			continue;
		}
		if (avail < APP_DGRAM_HDR)
			goto bad;
		memcpy(&d, ring + pos, sizeof(d));
		if (d.len == VSAPP_DGRAM_WRAP) {
			if (avail < rem)
				goto bad;
			s->snd_head += rem;
			continue;
		}
		need = APP_DGRAM_HDR + ((d.len + 7) & ~7u);
		if (d.len > UDP_PAYLOAD_MAX || need > rem || need > avail)
			goto bad;
		dst = d.addr ? d.addr : s->raddr;
		port = d.addr ? d.port : s->rport;
		if (s->udp < 0) {
			int u = udp_bind(&a->ep->ni, 0);

			if (u >= 0)
				app_udp_own(a, i, u);
		}
		if (!dst || !port || s->udp < 0)
			a->ep->stats[EP_STAT_APP_UDP_DROP]++;
		else
			udp_sendto(&a->ep->ni, s->udp, (be32_t){dst}, port,
				   ring + pos + APP_DGRAM_HDR, d.len,
				   a->ep->now);
		s->snd_head += need;
	}
	return;
bad:
	a->ep->stats[EP_STAT_APP_BAD_DGRAM]++;
	s->snd_head = tail; /* what follows cannot be framed: dropped */
}

/**
 * app_dgram_rx() - move received datagrams into the receive ring
 * @a:	context
 * @i:	slot (bound)
 *
 * Return: true if any moved
 */
static bool app_dgram_rx(struct app_ctx *a, uint32_t i)
{
	struct app_sock *s = &a->socks[i];
	struct udp_sock *us = &a->ep->ni.udp.s[s->udp];
	uint8_t *ring = app_ptr(a, s->rbuf);
	bool moved = false;

	while (us->count) {
		uint32_t len = us->q[us->head].len;
		uint32_t need = APP_DGRAM_HDR + ((len + 7) & ~7u);
		uint32_t pos = s->rcv_tail & (s->rsize - 1);
		uint32_t rem = s->rsize - pos, skip = rem < need ? rem : 0;
		struct vsapp_dgram d;
		be32_t saddr;
		uint16_t sport;
		uint8_t one;

		if (need > s->rsize) {
			udp_recvfrom(&a->ep->ni, s->udp, &one, 0, NULL, NULL);
			a->ep->stats[EP_STAT_APP_UDP_DROP]++;
			continue;
		}
		if ((s->rcv_tail - s->rcv_head) + skip + need > s->rsize)
			break; /* the queue of 16 holds it meanwhile */
		if (skip) {
			if (skip >= APP_DGRAM_HDR) {
				memset(&d, 0, sizeof(d));
				d.len = VSAPP_DGRAM_WRAP;
				memcpy(ring + pos, &d, sizeof(d));
			}
			s->rcv_tail += skip;
			pos = 0;
		}
		memset(&d, 0, sizeof(d));
		d.len = (uint32_t)udp_recvfrom(&a->ep->ni, s->udp,
					       ring + pos + APP_DGRAM_HDR, len,
					       &saddr, &sport);
		d.addr = saddr.be;
		d.port = sport;
		memcpy(ring + pos, &d, sizeof(d));
		s->rcv_tail += need;
		moved = true;
	}
	return moved;
}

/**
 * app_sock_service() - take what the application moved in a socket
 * @a:	context
 * @i:	slot (open, not hidden)
 *
 * Return: true if anything moved
 */
static bool app_sock_service(struct app_ctx *a, uint32_t i)
{
	struct app_sock *s = &a->socks[i];
	struct vsapp_sock *ss = app_ssock(a, i);
	uint32_t tail, head, d;
	bool moved = false;

	if (s->bad)
		return false; /* reset: nothing more is read */
	tail = atomic_load_explicit(&ss->snd_tail, memory_order_acquire);
	head = atomic_load_explicit(&ss->rcv_head, memory_order_acquire);
	/* monotonic, and never beyond what the protocol allows */
	if (tail - s->snd_head > s->ssize || tail - s->snd_tail > s->ssize ||
	    head - s->rcv_head > s->rcv_tail - s->rcv_head) {
		app_sock_reset(a, i);
		return true;
	}
	if (s->type == VSAPP_SOCK_DGRAM) {
		if (head != s->rcv_head) {
			s->rcv_head = head;
			moved = true;
		}
		if (tail != s->snd_tail) {
			s->snd_tail = tail;
			app_dgram_tx(a, i, tail);
			moved = true;
		}
		if (s->udp >= 0)
			moved |= app_dgram_rx(a, i);
		if (moved)
			app_sock_sync(a, i);
		return moved;
	}
	if (!s->ec)
		return false;
	d = head - s->rcv_head;
	if (d) {
		s->rcv_head +=
			(uint32_t)tcp_recv_commit(&s->ec->tcp, d, a->ep->now);
		s->rcv_head = head; /* all of it was published as readable */
		moved = true;
	}
	d = tail - s->snd_tail;
	if (d) {
		size_t n = tcp_send_commit(&s->ec->tcp, d, a->ep->now);

		s->snd_tail += (uint32_t)n;
		moved = n > 0;
	}
	if (moved) {
		ep_tcp_touch(a->ep, s->ec);
		if (s->ec)
			app_sock_sync(a, i);
	}
	return moved;
}

/* ---- commands ---- */

/**
 * app_sock_ok() - whether a command's socket is the application's
 * @a:	context
 * @i:	index from the command
 *
 * Return: the slot or NULL
 */
static struct app_sock *app_sock_ok(struct app_ctx *a, uint32_t i)
{
	if (i >= APP_NSOCKS || !a->socks[i].type || a->socks[i].hidden)
		return NULL;
	return &a->socks[i];
}

/**
 * app_stream_conn() - the TCP connection of a stream socket, made on
 * first use
 * @a:	context
 * @i:	slot
 *
 * Return: it, or NULL when the endpoint's pool is exhausted
 */
static struct ep_conn *app_stream_conn(struct app_ctx *a, uint32_t i)
{
	struct app_sock *s = &a->socks[i];

	if (s->ec)
		return s->ec;
	s->ec = ep_tcp_new(a->ep, &app_tcp_uops, a, i);
	if (!s->ec)
		return NULL;
	ep_tcp_set_rings(a->ep, s->ec, app_ptr(a, s->sbuf), s->ssize,
			 app_ptr(a, s->rbuf), s->rsize);
	s->ec->tcp.cfg.nodelay = s->nodelay;
	s->ec->tcp.cfg.keepalive = s->keepalive;
	return s->ec;
}

/**
 * app_close() - CLOSE: the slot is free at once; TCP keeps the rings
 * @a:		context
 * @i:		slot
 * @abort:	reset instead of an orderly close
 */
static void app_close(struct app_ctx *a, uint32_t i, bool abort)
{
	struct app_sock *s = &a->socks[i];
	struct ep_conn *ec = s->ec;

	if (!abort && s->type == VSAPP_SOCK_STREAM && !s->hidden)
		app_sock_service(a, i); /* data written before the close */
	ec = s->ec;
	if (s->connecting) {
		s->connecting = false;
		a->inflight--;
		app_cq_post(a, s->connect_tag, -ECONNABORTED, i, 0, 0);
	}
	if (s->state == VSAPP_S_LISTEN || s->ahead != EP_NONE) {
		app_accept_cancel(a, i, -ECONNABORTED);
		while (s->ahead != EP_NONE) {
			uint32_t ci = s->ahead;

			s->ahead = a->socks[ci].anext;
			a->socks[ci].hidden = true;
			a->socks[ci].listener = EP_NONE;
			app_close(a, ci, true);
		}
		s->atail = EP_NONE;
		s->aq = 0;
	}
	app_sock_free(a, i, !ec);
	if (ec) {
		ec->uid = EP_NONE; /* an orphan owning the rings */
		ep_tcp_close(a->ep, ec, abort);
	}
}

/**
 * app_cmd() - run one command
 * @a:		context
 * @c:		the command (a private copy)
 * @res:	its result, when it completes now
 *
 * Return: true if it completed now, false if it waits (CONNECT, ACCEPT)
 */
static bool app_cmd(struct app_ctx *a, const struct vsapp_cmd *c, int32_t *res)
{
	struct ep *ep = a->ep;
	struct app_sock *s = NULL;
	struct ep_conn *ec;
	uint32_t ssz, rsz;
	int r;

	if (c->op != VSAPP_OP_NOP && c->op != VSAPP_OP_SOCKET) {
		s = app_sock_ok(a, c->sock);
		if (!s) {
			*res = -EBADF;
			return true;
		}
	}
	switch (c->op) {
	case VSAPP_OP_NOP:
		*res = 0;
		return true;
	case VSAPP_OP_SOCKET:
		ssz = app_ring_size(c->arg2);
		rsz = app_ring_size(c->arg3);
		if ((c->arg != VSAPP_SOCK_STREAM &&
		     c->arg != VSAPP_SOCK_DGRAM) ||
		    !ssz || !rsz) {
			*res = -EINVAL;
			return true;
		}
		r = app_sock_alloc(a, (uint8_t)c->arg, ssz, rsz);
		if (r >= 0)
			app_sock_publish_all(a, (uint32_t)r);
		*res = r;
		return true;
	case VSAPP_OP_BIND:
		if (c->addr && c->addr != ep->spec.addr) {
			*res = -EADDRNOTAVAIL;
			return true;
		}
		if (s->state != VSAPP_S_OPEN || s->lport || s->udp >= 0) {
			*res = -EINVAL;
			return true;
		}
		if (s->type == VSAPP_SOCK_DGRAM) {
			r = udp_bind(&ep->ni, c->port);
			if (r >= 0) {
				app_udp_own(a, c->sock, r);
				r = 0;
			}
			*res = r;
		} else {
			*res = c->port && ep_tcp_port_used(ep, c->port)
				       ? -EADDRINUSE
				       : 0;
			if (!*res)
				s->lport = c->port;
		}
		app_ssock(a, c->sock)->lport = s->lport;
		return true;
	case VSAPP_OP_LISTEN:
		if (s->type != VSAPP_SOCK_STREAM || s->state != VSAPP_S_OPEN) {
			*res = -EINVAL;
			return true;
		}
		ec = app_stream_conn(a, c->sock);
		if (!ec) {
			*res = -ENOBUFS;
			return true;
		}
		if (!s->lport) {
			/* an ephemeral port no listener holds */
			uint32_t k, p0 = (uint32_t)(ep->tcp.secret[0] >> 7);

			for (k = 0; k < 16384; k++) {
				uint16_t p =
					(uint16_t)(49152 + (p0 + k) % 16384);

				if (!ep_tcp_port_used(ep, p)) {
					s->lport = p;
					break;
				}
			}
		}
		s->backlog = (uint16_t)(c->arg ? (c->arg > 4096 ? 4096 : c->arg)
					       : 128);
		*res = ep_tcp_listen(ep, ec, s->lport, s->backlog);
		if (!*res) {
			s->state = VSAPP_S_LISTEN;
			app_ssock(a, c->sock)->lport = s->lport;
			app_sock_sync(a, c->sock);
		}
		return true;
	case VSAPP_OP_ACCEPT:
		if (s->state != VSAPP_S_LISTEN) {
			*res = -EINVAL;
			return true;
		}
		if (s->aq) {
			app_accept_give(a, c->sock, c->tag);
			return false; /* posted already */
		}
		if ((c->arg & VSAPP_F_NONBLOCK) ||
		    a->naccepts == APP_ACCEPTS_MAX) {
			*res = (c->arg & VSAPP_F_NONBLOCK) ? -EAGAIN : -EBUSY;
			return true;
		}
		a->accepts[a->naccepts].sock = c->sock;
		a->accepts[a->naccepts++].tag = c->tag;
		a->inflight++;
		return false;
	case VSAPP_OP_CONNECT:
		if (s->type == VSAPP_SOCK_DGRAM) {
			s->raddr = c->addr;
			s->rport = c->port;
			app_ssock(a, c->sock)->raddr = c->addr;
			app_ssock(a, c->sock)->rport = c->port;
			*res = 0;
			return true;
		}
		if (s->state != VSAPP_S_OPEN) {
			*res = s->state == VSAPP_S_CONNECTING ? -EALREADY
							      : -EISCONN;
			return true;
		}
		ec = app_stream_conn(a, c->sock);
		if (!ec) {
			*res = -ENOBUFS;
			return true;
		}
		s->raddr = c->addr;
		s->rport = c->port;
		s->connecting = true;
		s->connect_tag = c->tag;
		a->inflight++;
		r = ep_tcp_connect(ep, ec, wire_h32((be32_t){c->addr}), c->port,
				   s->lport);
		if (r) {
			s->connecting = false;
			a->inflight--;
			*res = r;
			return true;
		}
		s->lport = ec->tcp.lport;
		app_ssock(a, c->sock)->lport = s->lport;
		app_ssock(a, c->sock)->raddr = s->raddr;
		app_ssock(a, c->sock)->rport = s->rport;
		app_sock_sync(a, c->sock);
		return false;
	case VSAPP_OP_SHUTDOWN:
		if (c->arg > SHUT_RDWR) {
			*res = -EINVAL;
			return true;
		}
		if (c->arg != SHUT_WR)
			s->rd_shut = true;
		*res = 0;
		if (c->arg != SHUT_RD && s->type == VSAPP_SOCK_STREAM) {
			if (!s->ec || s->state != VSAPP_S_CONNECTED) {
				*res = -ENOTCONN;
				return true;
			}
			app_sock_service(a, c->sock);
			if (s->ec) {
				ep_tcp_touch(ep, s->ec);
				*res = tcp_shutdown(&s->ec->tcp, ep->now);
				app_sock_sync(a, c->sock);
			}
		}
		return true;
	case VSAPP_OP_CLOSE:
		app_close(a, c->sock, c->arg & VSAPP_F_ABORT);
		*res = 0;
		return true;
	case VSAPP_OP_SETOPT:
		*res = 0;
		switch (c->arg) {
		case VSAPP_OPT_NODELAY:
			s->nodelay = c->arg2 != 0;
			if (s->ec) {
				ep_tcp_touch(ep, s->ec);
				tcp_set_nodelay(&s->ec->tcp, s->nodelay,
						ep->now);
			}
			break;
		case VSAPP_OPT_KEEPALIVE:
			s->keepalive = c->arg2 != 0;
			if (s->ec) {
				ep_tcp_touch(ep, s->ec);
				tcp_set_keepalive(&s->ec->tcp, s->keepalive,
						  ep->now);
			}
			break;
		case VSAPP_OPT_REUSEADDR:
			s->reuseaddr = c->arg2 != 0;
			break;
		default:
			*res = -ENOPROTOOPT;
		}
		return true;
	case VSAPP_OP_GETOPT:
		switch (c->arg) {
		case VSAPP_OPT_NODELAY:
			*res = s->nodelay;
			break;
		case VSAPP_OPT_KEEPALIVE:
			*res = s->keepalive;
			break;
		case VSAPP_OPT_REUSEADDR:
			*res = s->reuseaddr;
			break;
		case VSAPP_OPT_ERROR:
			*res = s->err;
			s->err = 0;
			atomic_store_explicit(&app_ssock(a, c->sock)->err, 0,
					      memory_order_release);
			break;
		case VSAPP_OPT_SNDBUF:
			*res = (int32_t)s->ssize;
			break;
		case VSAPP_OPT_RCVBUF:
			*res = (int32_t)s->rsize;
			break;
		default:
			*res = -ENOPROTOOPT;
		}
		return true;
	default:
		ep->stats[EP_STAT_APP_BAD_CMD]++;
		*res = -EINVAL;
		return true;
	}
}

/**
 * app_service_cmds() - take commands while the completion queue has room
 * @a:	context
 *
 * Return: true if any was taken
 */
static bool app_service_cmds(struct app_ctx *a)
{
	uint32_t tail =
		atomic_load_explicit(&a->shm->sq_tail, memory_order_acquire);
	const struct vsapp_cmd *q =
		(const struct vsapp_cmd *)((uint8_t *)a->shm + a->sq_off);
	unsigned n = 0;

	if (tail - a->sq_head > APP_SQ_ENTRIES) {
		a->ep->stats[EP_STAT_APP_BAD_CMD]++;
		return false; /* nonsense: nothing is taken */
	}
	while (a->sq_head != tail && n < APP_CMDS_PER_POLL && app_cq_room(a)) {
		struct vsapp_cmd c;
		int32_t res = 0;

		memcpy(&c, &q[a->sq_head & (APP_SQ_ENTRIES - 1)], sizeof(c));
		a->sq_head++;
		atomic_store_explicit(&a->shm->sq_head, a->sq_head,
				      memory_order_release);
		if (app_cmd(a, &c, &res))
			app_cq_post(a, c.tag, res, c.sock, 0, 0);
		n++;
	}
	return n > 0;
}

/**
 * app_run_service() - one round for a context: commands, then data
 * @a:		context
 * @now_ms:	current time
 */
void app_run_service(struct app_ctx *a, uint64_t now_ms)
{
	bool work;
	uint32_t k;

	a->ep->now = now_ms;
	work = app_service_cmds(a);
	for (k = 0; k < a->nopen; k++) {
		uint32_t i = a->open[k];

		if (!a->socks[i].hidden)
			work |= app_sock_service(a, i);
	}
	ep_tcp_flush(a->ep);
	a->busy = work;
}

/**
 * app_wake() - write the context's eventfd if the application sleeps
 * @a:	context
 */
static void app_wake(struct app_ctx *a)
{
	uint64_t one = 1;

	if (!a->need_wake)
		return;
	a->need_wake = false;
	if (atomic_load(&a->shm->app_waiting) &&
	    write(a->wake_fd, &one, sizeof(one)) < 0)
		return; /* the counter is full: it is awake anyway */
}

/**
 * app_run_poll() - a worker round for the endpoint's contexts
 * @ep:		endpoint
 * @now_ms:	current time
 * @idle:	the worker is about to sleep
 *
 * Return: true if there was work
 */
bool app_run_poll(struct ep *ep, uint64_t now_ms, bool idle)
{
	struct app_ctx *a;
	bool busy = false;
	unsigned u;

	/* datagrams that arrived since: into their sockets' rings (64
	 * sockets per endpoint at most, a cheap look) */
	for (u = 0; u < UDP_SOCK_MAX; u++) {
		a = ep->udp_ctx[u];
		if (a && ep->ni.udp.s[u].count &&
		    !a->socks[ep->udp_slot[u]].hidden &&
		    app_dgram_rx(a, ep->udp_slot[u])) {
			app_sock_sync(a, ep->udp_slot[u]);
			busy = true;
		}
	}

	for (a = ep->apps; a; a = a->next) {
		struct vsapp_shm *shm = a->shm;

		if (!idle && atomic_load(&shm->stack_waiting))
			atomic_store(&shm->stack_waiting, 0);
		if (atomic_exchange(&shm->pending, 0) || a->busy) {
			app_run_service(a, now_ms);
			busy |= a->busy;
		}
		if (idle && !a->busy) {
			/* app_proto.h 5: flag, then look once more */
			atomic_store(&shm->stack_waiting, 1);
			if (atomic_exchange(&shm->pending, 0)) {
				atomic_store(&shm->stack_waiting, 0);
				app_run_service(a, now_ms);
				busy = true;
			}
		}
		app_wake(a);
	}
	return busy;
}

/**
 * app_run_add() - the worker takes a context
 * @ep:	endpoint
 * @a:	context
 */
void app_run_add(struct ep *ep, struct app_ctx *a)
{
	a->ep = ep;
	a->attached = true;
	a->next = ep->apps;
	ep->apps = a;
	ep->napps++;
}

/**
 * app_run_release() - reset every connection of a context and free its
 * slots (listeners first, so that their children go with them)
 * @ep:		endpoint
 * @a:		context
 * @err:	what the sockets read as err (the context may live on)
 */
static void app_run_release(struct ep *ep, struct app_ctx *a, int err)
{
	struct ep_tcp *t = &ep->tcp;
	uint32_t i;
	int pass;

	a->dead = true;
	while (a->naccepts) {
		a->naccepts--;
		a->inflight--;
	}
	for (i = 0; i < APP_NSOCKS; i++) {
		struct app_sock *s = &a->socks[i];

		if (!s->type)
			continue;
		s->connecting = false;
		if (s->ec)
			s->ec->uid = EP_NONE; /* rings go with the connection */
		if (!s->hidden) {
			atomic_store(&app_ssock(a, i)->err, err);
			atomic_store(&app_ssock(a, i)->events,
				     s->events | VSAPP_EV_ERR);
			atomic_store(&app_ssock(a, i)->state, VSAPP_S_CLOSED);
		}
		s->hidden = true; /* no more publishing */
		app_sock_free(a, i, !s->ec);
	}
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < t->hiwater; i++) {
			struct ep_conn *ec = &t->pool[i];

			if (!ec->in_use || ec->user != a || ec->tcp.released)
				continue;
			if (!pass && ec->tcp.state != TCP_LISTEN)
				continue;
			ec->uid = EP_NONE;
			ep_tcp_close(ep, ec, true);
		}
	ep_tcp_flush(ep);
}

/**
 * app_run_unlink() - take a context off the worker's list
 * @ep:	endpoint
 * @a:	context
 */
static void app_run_unlink(struct ep *ep, struct app_ctx *a)
{
	struct app_ctx **pp;

	for (pp = &ep->apps; *pp; pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			ep->napps--;
			break;
		}
	a->attached = false;
}

/**
 * app_run_del() - the worker gives a context back (its application left)
 * @ep:	endpoint
 * @a:	context
 */
void app_run_del(struct ep *ep, struct app_ctx *a)
{
	if (!a->attached)
		return;
	app_run_release(ep, a, ECONNABORTED);
	app_run_unlink(ep, a);
}

/**
 * app_run_detach_all() - the endpoint leaves: every context is dropped
 * (sockets read ENETDOWN) and woken
 * @ep:	endpoint
 */
void app_run_detach_all(struct ep *ep)
{
	while (ep->apps) {
		struct app_ctx *a = ep->apps;

		app_run_release(ep, a, ENETDOWN);
		a->need_wake = true;
		app_wake(a);
		app_run_unlink(ep, a);
	}
}

/**
 * app_run_wake_all() - wake the applications that have news (after input)
 * @ep:	endpoint
 */
void app_run_wake_all(struct ep *ep)
{
	struct app_ctx *a;

	for (a = ep->apps; a; a = a->next)
		app_wake(a);
}
