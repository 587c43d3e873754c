// SPDX-License-Identifier: MIT
/*
 * app_run.c - application contexts on the worker: commands, completions,
 * data in the shared rings, waking
 *
 * Theory of operation
 *
 * Every byte of the mapping the application can write is hostile. The
 * worker reads only these, and each through one place:
 *   - sq_tail and cq_head (app_cmd_service(): a submission queue that
 *     claims more than sq_entries entries, or a completion queue head
 *     beyond what was posted, is taken as "nothing to do" / "full");
 *   - a command, copied out of the queue before anything looks at it;
 *   - a socket's snd_tail and rcv_head (app_run_sock()): each must
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
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "netif_priv.h"
#include "seq.h"

/* ---- data ---- */

/**
 * app_run_dgram_tx() - send the datagram records the application wrote
 * @a:		context
 * @i:		slot
 * @tail:	the application's snd_tail (checked: within the ring)
 */
static void app_run_dgram_tx(struct app_ctx *a, uint32_t i, uint32_t tail)
{
	struct app_sock *s = &a->socks[i];
	uint8_t *ring = app_sock_ptr(a, s->sbuf);
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
		if (s->udp < 0 && !s->wr_shut) {
			int u = s->reuseaddr ? udp_bind_shared(&a->ep->ni, 0)
					     : udp_bind(&a->ep->ni, 0);

			if (u >= 0) {
				app_sock_udp_own(a, i, u);
				udp_set_peer(&a->ep->ni, u, (be32_t){s->raddr},
					     s->rport);
			}
		}
		/* As Linux (udp_sendmsg()): EACCES without SO_BROADCAST,
		 * EPIPE after SHUT_WR; libvstack says so, a record that
		 * comes anyway is dropped */
		if (!dst || !port || s->udp < 0 || s->wr_shut ||
		    (!s->broadcast &&
		     netif_is_bcast(&a->ep->ni, (be32_t){dst})))
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
 * app_run_dgram_rx() - move received datagrams into the receive ring
 * @a:	context
 * @i:	slot (bound)
 *
 * Return: true if any moved
 */
static bool app_run_dgram_rx(struct app_ctx *a, uint32_t i)
{
	struct app_sock *s = &a->socks[i];
	struct udp_sock *us = &a->ep->ni.udp.s[s->udp];
	uint8_t *ring = app_sock_ptr(a, s->rbuf);
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
 * app_run_sock() - take what the application moved in a socket
 * @a:	context
 * @i:	slot (open, not hidden)
 *
 * Return: true if anything moved
 */
bool app_run_sock(struct app_ctx *a, uint32_t i)
{
	struct app_sock *s = &a->socks[i];
	struct vsapp_sock *ss = app_sock_shm(a, i);
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
			app_run_dgram_tx(a, i, tail);
			moved = true;
		}
		if (s->udp >= 0)
			moved |= app_run_dgram_rx(a, i);
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
	work = app_cmd_service(a);
	for (k = 0; k < a->nopen; k++) {
		uint32_t i = a->open[k];

		if (!a->socks[i].hidden)
			work |= app_run_sock(a, i);
	}
	ep_tcp_flush(a->ep);
	a->busy = work;
}

/**
 * app_run_wake() - write the context's eventfd if the application sleeps
 * @a:	context
 */
static void app_run_wake(struct app_ctx *a)
{
	uint64_t one = 1;

	if (!a->need_wake)
		return;
	a->need_wake = false;
	/*
	 * Dekker with the application (app_proto.h section 5): it raises
	 * app_waiting, fences, then looks at the counters; we published the
	 * counters (release stores) and now look at app_waiting. Without a
	 * full fence here the load may pass our stores (x86 store buffer):
	 * we read app_waiting 0, it reads the old counters, and it sleeps
	 * with its data already there, until something else wakes it.
	 */
	atomic_thread_fence(memory_order_seq_cst);
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
		if (a && ep->ni.udp.s[u].err &&
		    !a->socks[ep->udp_slot[u]].hidden) {
			app_sock_dgram_error(a, ep->udp_slot[u],
					     udp_take_error(&ep->ni, (int)u));
			busy = true;
		}
		if (a && ep->ni.udp.s[u].count &&
		    !a->socks[ep->udp_slot[u]].hidden &&
		    app_run_dgram_rx(a, ep->udp_slot[u])) {
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
		app_run_wake(a);
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
			atomic_store(&app_sock_shm(a, i)->err, err);
			atomic_store(&app_sock_shm(a, i)->events,
				     s->events | VSAPP_EV_ERR);
			atomic_store(&app_sock_shm(a, i)->state,
				     VSAPP_S_CLOSED);
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
		app_run_wake(a);
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
		app_run_wake(a);
}
