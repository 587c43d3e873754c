// SPDX-License-Identifier: MIT
/*
 * ep_hop.c - the one-hop path between endpoints of one worker
 *
 * A TCP segment from one endpoint to another that the same worker serves,
 * on the same network and on-link, never becomes a frame: ep_tcp_output()
 * hands the segment itself (struct tcp_seg: header fields, options and
 * the payload as references into the sender's send ring) to
 * ep_hop_output(), which queues it; ep_hop_drain() gives it to the
 * receiving endpoint's TCP input, which copies the payload straight into
 * the receiver's ring. No Ethernet, IPv4 or TCP header is written or
 * parsed, no checksum computed, no switch lookup made, and the payload is
 * copied once, from send ring to receive ring. Both ends are still TCP
 * (RFC 9293 state machines, windows, FIN and RST), so ordering, flow
 * control, shutdown and reset are theirs; consecutive data segments of a
 * connection are joined into one (up to EP_HOP_MAX_LEN) while queued, as
 * TSO would. The SYN and SYN-ACK announce a 64000-byte MSS, so that a
 * connection made in one hop sends segments of that size from the start.
 *
 * Segments are queued, never delivered from inside the sender's output:
 * the receiver's answer would otherwise run the sender's TCP input inside
 * its own output. The queue belongs to the worker thread (thread-local,
 * like the endpoints' calls), is drained at the end of each endpoint's
 * input and poll, and bounded: a full queue drops the segment (counted,
 * hop_drop), which TCP repairs like any loss.
 *
 * A queued payload lives in the sender's ring. It is only read if the
 * sending connection is still the one that queued it (its slot in use,
 * same generation): a connection reset or released in between has its
 * segments dropped, and an endpoint leaving the worker purges every
 * segment from or to it. Ring bytes are never reused before the receiver
 * acknowledged them, which it cannot do before the segment is delivered.
 *
 * The work is charged as the frames would have been: to the sending
 * endpoint's tenant in the switch's accounting (ep_io.charge).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ep.h"
#include "wire.h"

#define EP_HOP_QUEUE   1024	   /* segments queued per worker */
#define EP_HOP_MAX_LEN (64u << 10) /* payload of a joined segment */
#define EP_HOP_BUDGET  4096	   /* deliveries per drain */
#define EP_HOP_MSS     64000	   /* no frame to fit: both ends use it */

/**
 * struct ep_hop - a segment on its way
 * @to:		receiving endpoint
 * @from:	sending endpoint
 * @src:	sending connection (its ring holds the payload)
 * @gen:	@src's generation when queued
 * @seg:	the segment
 */
struct ep_hop {
	struct ep *to, *from;
	struct ep_conn *src;
	uint32_t gen;
	struct tcp_seg seg;
};

/**
 * struct ep_hop_worker - one worker's endpoints and queue
 * @eps:	endpoints attached on this thread (ep->hop_next)
 * @epoch:	changes whenever @eps does (ep_conn.hop_to caches a lookup)
 * @head:	oldest queued segment
 * @n:		queued segments
 * @draining:	ep_hop_drain() is running (deliveries queue, not recurse)
 * @q:		the queue (a ring)
 */
struct ep_hop_worker {
	struct ep *eps;
	uint32_t epoch;
	unsigned head, n;
	bool draining;
	struct ep_hop q[EP_HOP_QUEUE];
};

static _Thread_local struct ep_hop_worker *ep_hop_w;

/**
 * ep_hop_attach() - the endpoint is served by this thread from now on
 * @ep:	endpoint
 *
 * Return: 0 or -ENOMEM (the endpoint then works without the one-hop path)
 */
int ep_hop_attach(struct ep *ep)
{
	if (!ep_hop_w) {
		ep_hop_w = calloc(1, sizeof(*ep_hop_w));
		if (!ep_hop_w)
			return -ENOMEM;
	}
	ep->hop_next = ep_hop_w->eps;
	ep_hop_w->eps = ep;
	if (!++ep_hop_w->epoch)
		ep_hop_w->epoch = 1; /* 0: no lookup cached */
	ep->hop_on = true;
	return 0;
}

/**
 * ep_hop_detach() - the endpoint leaves: out of the list, its segments
 * out of the queue
 * @ep:	endpoint
 */
void ep_hop_detach(struct ep *ep)
{
	struct ep_hop_worker *w = ep_hop_w;
	struct ep **pp;
	unsigned i, n, keep = 0;

	if (!ep->hop_on || !w)
		return;
	ep->hop_on = false;
	if (!++w->epoch)
		w->epoch = 1;
	for (pp = &w->eps; *pp; pp = &(*pp)->hop_next)
		if (*pp == ep) {
			*pp = ep->hop_next;
			break;
		}
	n = w->n;
	for (i = 0; i < n; i++) {
		struct ep_hop *h = &w->q[(w->head + i) % EP_HOP_QUEUE];

		if (h->to != ep && h->from != ep)
			w->q[(w->head + keep++) % EP_HOP_QUEUE] = *h;
	}
	w->n = keep;
	if (!w->eps && !w->draining) {
		free(w);
		ep_hop_w = NULL;
	}
}

/**
 * ep_hop_peer() - the endpoint of this worker that @daddr reaches in one
 * hop from @ep
 * @ep:		sender
 * @daddr:	destination, host order
 *
 * Same network, destination on-link for @ep (a gateway's route would
 * leave the network), and that endpoint's own address.
 *
 * Return: it or NULL
 */
static struct ep *ep_hop_peer(const struct ep *ep, uint32_t daddr)
{
	struct ep *e;

	if (!netif_on_link(&ep->ni, wire_be32(daddr)))
		return NULL;
	for (e = ep_hop_w->eps; e; e = e->hop_next)
		if (e != ep && e->tcp.onehop && e->attached &&
		    wire_h32(e->ni.cfg.addr) == daddr &&
		    !strcmp(e->network, ep->network))
			return e;
	return NULL;
}

/**
 * ep_hop_join() - append @seg's payload to the queued segment @h
 * @h:		the last queued segment
 * @seg:	the next one of the same connection
 *
 * Possible when @seg follows @h in sequence, both carry only ACK (and
 * PSH) and data, and the payloads make at most two slices together (the
 * ring's wrap). The joined segment takes @seg's acknowledgment, window
 * and options: the newest.
 *
 * Return: true if joined
 */
static bool ep_hop_join(struct ep_hop *h, const struct tcp_seg *seg)
{
	struct tcp_iov v[4];
	unsigned n = 0, i, k = 0;

	if ((h->seg.flags & ~TCP_F_PSH) != TCP_F_ACK ||
	    (seg->flags & ~TCP_F_PSH) != TCP_F_ACK || !h->seg.len ||
	    !seg->len || h->seg.seq + h->seg.len != seg->seq ||
	    h->seg.len + seg->len > EP_HOP_MAX_LEN)
		return false;
	for (i = 0; i < 2; i++)
		if (h->seg.data[i].len)
			v[n++] = h->seg.data[i];
	for (i = 0; i < 2; i++)
		if (seg->data[i].len)
			v[n++] = seg->data[i];
	for (i = 1; i < n; i++) {
		if ((const uint8_t *)v[k].base + v[k].len == v[i].base)
			v[k].len += v[i].len;
		else
			v[++k] = v[i];
	}
	if (k > 1)
		return false;
	h->seg.data[0] = v[0];
	h->seg.data[1] = k ? v[1] : (struct tcp_iov){0};
	h->seg.len += seg->len;
	h->seg.ack = seg->ack;
	h->seg.win = seg->win;
	h->seg.opts = seg->opts;
	h->seg.flags |= seg->flags;
	return true;
}

/**
 * ep_hop_output() - send @seg in one hop if its destination allows
 * @ep:		sending endpoint
 * @c:		its connection
 * @seg:	the segment
 *
 * Return: true if taken (queued, joined or dropped for a full queue),
 * false to send it as a frame
 */
bool ep_hop_output(struct ep *ep, struct tcp_conn *c, const struct tcp_seg *seg)
{
	struct ep_hop_worker *w = ep_hop_w;
	struct ep_conn *ec = ep_conn_of(c);
	struct ep_hop *h;
	struct ep *to;

	if (!ep->hop_on || !ep->tcp.onehop || !w)
		return false;
	if (ec->hop_epoch != w->epoch) {
		ec->hop_to = ep_hop_peer(ep, seg->daddr);
		ec->hop_epoch = w->epoch;
	}
	to = ec->hop_to;
	if (!to)
		return false;
	ep->stats[EP_STAT_TCP_TX]++;
	if (ep->io && ep->io->charge)
		ep->io->charge(ep->io_ctx, to->io_ctx, seg->len);
	if (w->n) {
		h = &w->q[(w->head + w->n - 1) % EP_HOP_QUEUE];
		if (h->src == ec && h->gen == ec->gen && h->to == to &&
		    ep_hop_join(h, seg))
			return true;
	}
	if (w->n == EP_HOP_QUEUE) {
		ep->stats[EP_STAT_HOP_DROP]++;
		return true; /* lost like on a wire: TCP resends */
	}
	h = &w->q[(w->head + w->n++) % EP_HOP_QUEUE];
	h->to = to;
	h->from = ep;
	h->src = ec;
	h->gen = ec->gen;
	h->seg = *seg;
	if (seg->flags & TCP_F_SYN) {
		/* no frame will carry this connection's segments: both ends
		 * announce and use EP_HOP_MSS (one segment per 64 KB, not
		 * per 1460 bytes) */
		tcp_set_link_mss(c, EP_HOP_MSS);
		h->seg.opts.mss = EP_HOP_MSS;
	}
	ep->stats[EP_STAT_HOP_TX]++;
	return true;
}

/**
 * ep_hop_pending() - whether segments wait for ep_hop_drain()
 *
 * Return: true if some do
 */
bool ep_hop_pending(void)
{
	return ep_hop_w && ep_hop_w->n;
}

/**
 * ep_hop_drain() - deliver queued segments, those their delivery queues
 * too, up to EP_HOP_BUDGET
 * @now_ms:	current time
 *
 * Return: true if segments are left (the worker must come back at once)
 */
bool ep_hop_drain(uint64_t now_ms)
{
	struct ep_hop_worker *w = ep_hop_w;
	unsigned budget;
	struct ep *e;

	if (!w || w->draining || !w->n)
		return false;
	w->draining = true;
	for (budget = EP_HOP_BUDGET; w->n && budget; budget--) {
		struct ep_hop h = w->q[w->head];

		w->head = (w->head + 1) % EP_HOP_QUEUE;
		w->n--;
		/* a payload is read from the sender's ring: only while that
		 * connection lives */
		if (h.seg.len && (!h.src->in_use || h.src->gen != h.gen ||
				  h.src->tcp.state == TCP_CLOSED)) {
			h.from->stats[EP_STAT_HOP_STALE]++;
			continue;
		}
		h.to->now = now_ms;
		h.to->stats[EP_STAT_HOP_RX]++;
		h.to->hop_rx = true;
		ep_tcp_seg_input(h.to, &h.seg, now_ms);
	}
	/* once per receiving endpoint, not per segment: timers read again,
	 * its applications woken */
	for (e = w->eps; e; e = e->hop_next)
		if (e->hop_rx) {
			e->hop_rx = false;
			ep_tcp_flush(e);
			app_run_wake_all(e);
		}
	w->draining = false;
	if (!w->eps) {
		free(w);
		ep_hop_w = NULL;
		return false;
	}
	return w->n != 0;
}
