// SPDX-License-Identifier: MIT
/*
 * vs_sock.c - libvstack sockets: control calls, data, readiness
 *
 * Theory of operation
 *
 * A socket is the index of a slot in the context's socket table
 * (app_proto.h section 2). When vstackd hands us a slot (the completion
 * of VSAPP_OP_SOCKET or VSAPP_OP_ACCEPT) vs_sock_setup() checks it once:
 * the type we asked for, power-of-two ring sizes, both rings inside the
 * data area and apart, counters that agree with the sizes. The ring
 * geometry is then copied into struct vs_lsock and never read from shared
 * memory again, so every later copy stays inside those rings whatever
 * vstackd writes.
 *
 * Data (sections 3, 4). The counters the application owns (snd_tail,
 * rcv_head) have their authoritative copy in struct vs_lsock; the shared
 * ones are only published (release). The counters vstackd owns are read
 * with acquire and checked: a ring that would hold more than its size is
 * a protocol violation, after which the socket is "broken" and its data
 * calls fail with EPROTO (vs_close() still works). A send or receive that
 * moves a counter calls vs_ctx_kick(), which costs a system call only
 * while the worker sleeps.
 *
 * State and events (vsapp_sock.state, .events) are only read. The order
 * of reads matters where the stack's order of writes does: events are
 * read before rcv_tail, so that when the FIN's EOF bit is seen every byte
 * before it is seen too.
 *
 * Blocking: a call that cannot make progress waits in vs_ctx_wait() for
 * the readiness it needs (vs_sock_revents(): the same rules as
 * vs_poll()), plus error and hang-up so that it never waits for something
 * that cannot come.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "vs_priv.h"

_Static_assert(VS_SOCK_STREAM == VSAPP_SOCK_STREAM, "socket type");
_Static_assert(VS_SOCK_DGRAM == VSAPP_SOCK_DGRAM, "socket type");
_Static_assert(VS_OPT_NODELAY == VSAPP_OPT_NODELAY, "option");
_Static_assert(VS_OPT_KEEPALIVE == VSAPP_OPT_KEEPALIVE, "option");
_Static_assert(VS_OPT_REUSEADDR == VSAPP_OPT_REUSEADDR, "option");
_Static_assert(VS_OPT_ERROR == VSAPP_OPT_ERROR, "option");
_Static_assert(VS_OPT_BROADCAST == VSAPP_OPT_BROADCAST, "option");
_Static_assert(VS_OPT_SNDBUF == VSAPP_OPT_SNDBUF, "option");
_Static_assert(VS_OPT_RCVBUF == VSAPP_OPT_RCVBUF, "option");
_Static_assert(VS_OPT_NREAD > VSAPP_OPT_RCVBUF, "a local option");

/**
 * vs_sock_fail() - the POSIX way out
 * @neg:	a negative errno
 *
 * Return: -1, with errno set
 */
static int vs_sock_fail(int neg)
{
	errno = -neg;
	return -1;
}

/**
 * vs_sock_err() - a socket's error as an errno we are willing to return
 * @slot:	the slot
 *
 * Return: a positive errno (EIO when vstackd wrote nonsense or nothing)
 */
static int vs_sock_err(struct vsapp_sock *slot)
{
	int32_t e = atomic_load_explicit(&slot->err, memory_order_acquire);

	return e > 0 && e < 4096 ? e : EIO;
}

/**
 * vs_sock_get() - look a socket up
 * @ctx:	the context
 * @s:		the socket
 * @lsp:	its local state
 * @slotp:	its slot
 *
 * Return: 0, -EBADF, or the dead context's -errno
 */
static int vs_sock_get(struct vs_ctx *ctx, int s, struct vs_lsock **lsp,
		       struct vsapp_sock **slotp)
{
	int err = atomic_load(&ctx->dead);
	struct vs_lsock *ls;

	if (err)
		return -err;
	if (s < 0 || (uint32_t)s >= ctx->nsocks)
		return -EBADF;
	ls = &ctx->ls[s];
	if (ls->use != VS_LS_OPEN)
		return -EBADF;
	*lsp = ls;
	*slotp = &ctx->socks[s];
	/* The slot cannot be reused before our close completes. */
	if (atomic_load_explicit(&(*slotp)->gen, memory_order_acquire) !=
	    ls->gen)
		atomic_store(&ls->broken, true);
	return 0;
}

/**
 * vs_sock_in_data() - does a ring lie in the data area
 * @ctx:	the context
 * @off:	its offset from the start of the mapping
 * @size:	its size
 *
 * Return: true when it does
 */
static bool vs_sock_in_data(struct vs_ctx *ctx, uint64_t off, uint32_t size)
{
	return off >= ctx->data_off && off - ctx->data_off <= ctx->data_size &&
	       size <= ctx->data_size - (off - ctx->data_off);
}

/**
 * vs_sock_setup() - check a slot vstackd handed us and take it
 * @ctx:	the context, ctx->lock held
 * @idx:	the slot (res of SOCKET or ACCEPT)
 * @type:	the type we expect
 *
 * Return: 0, or -EPROTO
 */
int vs_sock_setup(struct vs_ctx *ctx, uint32_t idx, uint32_t type)
{
	volatile struct vsapp_sock *v;
	uint32_t ss, rs, min, used, st, stype;
	struct vsapp_sock *slot;
	struct vs_lsock *ls;
	uint64_t so, ro;

	/* CLOSING: the closing thread has not run since its CLOSE completed
	 * (vstackd reuses a slot only after that completion, which comes
	 * first in the queue); vs_close() sees the new generation and
	 * leaves the slot alone. */
	if (idx >= ctx->nsocks || (ctx->ls[idx].use != VS_LS_FREE &&
				   ctx->ls[idx].use != VS_LS_CLOSING))
		return -EPROTO;
	slot = &ctx->socks[idx];
	v = slot;
	ls = &ctx->ls[idx];
	stype = v->type;
	ss = v->sbuf_size;
	rs = v->rbuf_size;
	so = v->sbuf_off;
	ro = v->rbuf_off;
	min = type == VSAPP_SOCK_DGRAM ? VS_DGRAM_RING_MIN : 1;
	if (stype != type || !vs_ring_size_ok(ss, min) ||
	    !vs_ring_size_ok(rs, min) || !vs_sock_in_data(ctx, so, ss) ||
	    !vs_sock_in_data(ctx, ro, rs) || (so < ro + rs && ro < so + ss))
		return -EPROTO;
	st = atomic_load_explicit(&slot->state, memory_order_acquire);
	if (st == VSAPP_S_FREE || st > VSAPP_S_CLOSED)
		return -EPROTO;
	memset(ls, 0, sizeof(*ls));
	ls->type = type;
	ls->gen = atomic_load_explicit(&slot->gen, memory_order_acquire);
	ls->snd.base = (uint8_t *)ctx->map + so;
	ls->snd.size = ss;
	ls->rcv.base = (uint8_t *)ctx->map + ro;
	ls->rcv.size = rs;
	/* A fresh slot has zero counters; a reused one those of its last
	 * owner. Either way they must agree with vstackd's. */
	ls->snd_tail = atomic_load(&slot->snd_tail);
	ls->rcv_head = atomic_load(&slot->rcv_head);
	if (vs_ring_stream_used(atomic_load(&slot->snd_head), ls->snd_tail, ss,
				&used) ||
	    vs_ring_stream_used(ls->rcv_head, atomic_load(&slot->rcv_tail), rs,
				&used))
		return -EPROTO;
	if (type == VSAPP_SOCK_DGRAM && ((ls->snd_tail | ls->rcv_head) & 7u))
		return -EPROTO;
	ls->use = VS_LS_OPEN;
	return 0;
}

/**
 * vs_sock_abandon() - give back a slot we refused, without waiting
 * @ctx:	the context
 * @idx:	the slot
 */
static void vs_sock_abandon(struct vs_ctx *ctx, uint32_t idx)
{
	struct vsapp_cmd cmd = {
		.op = VSAPP_OP_CLOSE,
		.sock = idx,
		.arg = VSAPP_F_ABORT,
	};

	(void)vs_ctx_submit(ctx, &cmd, 0);
}

/**
 * vs_sock_take() - set up a slot from a completion, or give it back
 * @ctx:	the context
 * @res:	the completion's res (a slot index)
 * @type:	the type expected
 *
 * Return: the socket, or -EPROTO
 */
static int vs_sock_take(struct vs_ctx *ctx, int res, uint32_t type)
{
	int ret;

	pthread_mutex_lock(&ctx->lock);
	ret = vs_sock_setup(ctx, (uint32_t)res, type);
	pthread_mutex_unlock(&ctx->lock);
	if (ret) {
		if ((uint32_t)res < ctx->nsocks &&
		    ctx->ls[res].use == VS_LS_FREE)
			vs_sock_abandon(ctx, (uint32_t)res);
		return ret;
	}
	return res;
}

/**
 * vs_sock_call() - one command on a socket, waiting for it
 * @ctx:	the context
 * @op:		VSAPP_OP_*
 * @s:		the socket
 * @sa:		address and port, or NULL
 * @arg:	arg
 * @arg2:	arg2
 * @cqe:	the completion, or NULL
 *
 * Return: res, or -errno
 */
static int vs_sock_call(struct vs_ctx *ctx, uint16_t op, int s,
			const struct sockaddr_in *sa, uint32_t arg,
			uint32_t arg2, struct vsapp_cqe *cqe)
{
	struct vsapp_cmd cmd = {
		.op = op,
		.sock = (uint32_t)s,
		.arg = arg,
		.arg2 = arg2,
	};

	if (sa) {
		cmd.addr = sa->sin_addr.s_addr;
		cmd.port = ntohs(sa->sin_port);
	}
	return vs_ctx_call(ctx, &cmd, cqe);
}

/**
 * vs_sock_addr_ok() - check an address argument
 * @sa:		the address
 *
 * Return: 0, -EFAULT or -EAFNOSUPPORT
 */
static int vs_sock_addr_ok(const struct sockaddr_in *sa)
{
	if (!sa)
		return -EFAULT;
	if (sa->sin_family != AF_INET)
		return -EAFNOSUPPORT;
	return 0;
}

/**
 * vs_sock_bcast_denied() - a datagram to a broadcast address without
 * SO_BROADCAST
 * @ctx:	the context (the endpoint's address and prefix)
 * @ls:		the socket
 * @sa:		the destination (AF_INET)
 *
 * As Linux (udp_sendmsg(), ip4_datagram_connect()): the limited
 * broadcast, or the directed broadcast of the endpoint's prefix (a /31
 * and a /32 have none, RFC 3021), needs SO_BROADCAST. Checked here so
 * that the call fails; vstackd drops such a datagram too.
 *
 * Return: true when it must fail with EACCES
 */
static bool vs_sock_bcast_denied(struct vs_ctx *ctx, struct vs_lsock *ls,
				 const struct sockaddr_in *sa)
{
	uint32_t d = ntohl(sa->sin_addr.s_addr);
	uint32_t a = ntohl(ctx->info.addr.s_addr);
	unsigned p = ctx->info.prefix_len;
	uint32_t host = p >= 32 ? 0 : 0xffffffffu >> p;

	if (atomic_load(&ls->broadcast))
		return false;
	return d == 0xffffffffu || (p < 31 && d == (a | host));
}

/**
 * vs_sock_state() - a socket's state as the library sees it
 * @ls:		its local state
 * @slot:	its slot
 *
 * A non-blocking connect that vstackd has not taken yet leaves the slot
 * OPEN for a while: that is CONNECTING, not "not connected".
 *
 * Return: enum vsapp_state
 */
static uint32_t vs_sock_state(struct vs_lsock *ls, struct vsapp_sock *slot)
{
	uint32_t st = atomic_load_explicit(&slot->state, memory_order_acquire);

	if (st == VSAPP_S_OPEN && atomic_load(&ls->connect_res) == 1)
		return VSAPP_S_CONNECTING;
	return st;
}

/**
 * vs_sock_revents() - the readiness of one socket, from the shared counters
 * @ctx:	the context
 * @s:		the socket
 *
 * Return: VS_POLL* bits (all that apply, not only those asked for)
 */
int vs_sock_revents(struct vs_ctx *ctx, int s)
{
	uint32_t st, ev, used, head, tail;
	struct vsapp_sock *slot;
	struct vs_lsock *ls;
	int re = 0;

	if (vs_sock_get(ctx, s, &ls, &slot))
		return VS_POLLNVAL;
	if (atomic_load(&ls->broken))
		return VS_POLLERR;
	ev = atomic_load_explicit(&slot->events, memory_order_acquire);
	st = vs_sock_state(ls, slot);
	/* A pending error shows in err before (or without) the event bit,
	 * e.g. for a refused connect. */
	if ((ev & VSAPP_EV_ERR) || atomic_load(&ls->connect_res) < 0 ||
	    atomic_load_explicit(&slot->err, memory_order_acquire))
		re |= VS_POLLERR;
	if (st == VSAPP_S_LISTEN) {
		if (atomic_load_explicit(&slot->accept_q,
					 memory_order_acquire) ||
		    (ev & VSAPP_EV_ACCEPT))
			re |= VS_POLLIN;
		return re;
	}
	/* Our own published counters are read from the slot here: vs_poll()
	 * may run in another thread than the sender and the receiver. */
	tail = atomic_load_explicit(&slot->rcv_tail, memory_order_acquire);
	head = atomic_load_explicit(&slot->rcv_head, memory_order_relaxed);
	if (vs_ring_stream_used(head, tail, ls->rcv.size, &used))
		return re | VS_POLLERR;
	if (used || (ev & VSAPP_EV_EOF) || st == VSAPP_S_CLOSED)
		re |= VS_POLLIN;
	if (ev & VSAPP_EV_EOF)
		re |= VS_POLLRDHUP;
	head = atomic_load_explicit(&slot->snd_head, memory_order_acquire);
	tail = atomic_load_explicit(&slot->snd_tail, memory_order_relaxed);
	if (ls->type == VSAPP_SOCK_DGRAM) {
		if (st != VSAPP_S_CLOSED &&
		    vs_ring_dgram_fits(&ls->snd, head, tail, 1))
			re |= VS_POLLOUT;
		/* As Linux (datagram_poll()): shut both ways, hung up */
		if ((ev & VSAPP_EV_EOF) && (ev & VSAPP_EV_SHUTWR))
			re |= VS_POLLHUP;
		return re;
	}
	if (vs_ring_stream_used(head, tail, ls->snd.size, &used))
		return re | VS_POLLERR;
	if (st == VSAPP_S_CONNECTED && !(ev & VSAPP_EV_SHUTWR) &&
	    used < ls->snd.size)
		re |= VS_POLLOUT;
	/* As Linux: a stream that is not connected, closed, or shut in both
	 * directions has hung up. */
	if (st == VSAPP_S_OPEN || st == VSAPP_S_CLOSED ||
	    ((ev & VSAPP_EV_EOF) && (ev & VSAPP_EV_SHUTWR)))
		re |= VS_POLLHUP;
	return re;
}

/**
 * struct vs_sock_want - what a blocked data call waits for
 * @s:		the socket
 * @events:	VS_POLLIN or VS_POLLOUT (error and hang-up always count)
 * @dgram_len:	datagram send: the payload that has to fit
 */
struct vs_sock_want {
	int s;
	int events;
	uint32_t dgram_len;
};

/**
 * vs_sock_ready() - vs_ctx_wait() condition for a data call
 * @ctx:	the context
 * @arg:	struct vs_sock_want
 *
 * Return: true when the call should look again
 */
static bool vs_sock_ready(struct vs_ctx *ctx, void *arg)
{
	struct vs_sock_want *w = arg;
	struct vsapp_sock *slot;
	struct vs_lsock *ls;
	int re = vs_sock_revents(ctx, w->s);

	if (re & (VS_POLLHUP | VS_POLLNVAL))
		return true;
	if (w->dgram_len) {
		/* Called in the sending thread: its own tail is current. */
		if (vs_sock_get(ctx, w->s, &ls, &slot) ||
		    atomic_load_explicit(&slot->state, memory_order_acquire) ==
			    VSAPP_S_CLOSED)
			return true; /* closed by vstackd: nobody drains it */
		return vs_ring_dgram_fits(
			&ls->snd,
			atomic_load_explicit(&slot->snd_head,
					     memory_order_acquire),
			ls->snd_tail, w->dgram_len);
	}
	return re & (w->events | VS_POLLERR);
}

/**
 * vs_sock_block() - wait for a data call's readiness, or say EAGAIN
 * @ctx:	the context
 * @ls:		the socket's state
 * @w:		what to wait for
 *
 * Return: 0 to look again, -EAGAIN for a non-blocking socket, or -errno
 */
static int vs_sock_block(struct vs_ctx *ctx, struct vs_lsock *ls,
			 struct vs_sock_want *w)
{
	int ret;

	if (ls->nonblock) {
		ret = vs_ctx_alive(ctx);
		return ret ? ret : -EAGAIN;
	}
	ret = vs_ctx_wait(ctx, vs_sock_ready, w, -1);
	/* Closed by another thread while we slept */
	if (!ret && atomic_load(&ls->use) != VS_LS_OPEN)
		ret = -EBADF;
	return ret;
}

/**
 * vs_sock_cancelled() - the error of a command vs_close() cancelled
 * @ctx:	the context
 * @ls:		the socket's state
 * @ret:	the command's result
 *
 * vstackd completes a pending ACCEPT or CONNECT with -ECONNABORTED when
 * the socket is closed. For the thread that was waiting in it that is
 * the EBADF of a closed descriptor, not the ECONNABORTED of a vanished
 * vstackd.
 *
 * Return: @ret, or -EBADF
 */
static int vs_sock_cancelled(struct vs_ctx *ctx, struct vs_lsock *ls, int ret)
{
	if (ret == -ECONNABORTED && !atomic_load(&ctx->dead) &&
	    atomic_load(&ls->use) != VS_LS_OPEN)
		return -EBADF;
	return ret;
}

/**
 * vs_sock_publish_snd() - publish our send counter and wake the worker
 * @ctx:	the context
 * @ls:		the socket's state
 * @slot:	its slot
 */
static void vs_sock_publish_snd(struct vs_ctx *ctx, struct vs_lsock *ls,
				struct vsapp_sock *slot)
{
	atomic_store_explicit(&slot->snd_tail, ls->snd_tail,
			      memory_order_release);
	vs_ctx_kick(ctx);
}

/**
 * vs_sock_publish_rcv() - publish our receive counter and wake the worker
 * @ctx:	the context
 * @ls:		the socket's state
 * @slot:	its slot
 */
static void vs_sock_publish_rcv(struct vs_ctx *ctx, struct vs_lsock *ls,
				struct vsapp_sock *slot)
{
	atomic_store_explicit(&slot->rcv_head, ls->rcv_head,
			      memory_order_release);
	vs_ctx_kick(ctx);
}

/**
 * vs_sock_take_error() - take a socket's pending error (SO_ERROR)
 * @ctx:	the context
 * @s:		the socket
 * @ls:		its state
 *
 * vstackd clears the error it answers with; a failed non-blocking
 * connect's result kept here is the same error, dropped with it, or
 * reported instead when vstackd had none.
 *
 * Return: the error (positive errno, 0 for none), or -errno when the
 * command failed
 */
static int vs_sock_take_error(struct vs_ctx *ctx, int s, struct vs_lsock *ls)
{
	int ret, local;

	ret = vs_sock_call(ctx, VSAPP_OP_GETOPT, s, NULL, VSAPP_OPT_ERROR, 0,
			   NULL);
	if (ret < 0)
		return ret;
	pthread_mutex_lock(&ctx->lock);
	local = atomic_load(&ls->connect_res);
	if (local < 0) {
		atomic_store(&ls->connect_res, 0);
		if (!ret)
			ret = -local;
	}
	pthread_mutex_unlock(&ctx->lock);
	return ret;
}

/**
 * vs_sock_stream_error() - a stream's error, once (reset, timeout)
 * @ctx:	the context
 * @s:		the socket
 * @ls:		its state
 * @slot:	its slot
 * @again:	the error was taken already in this call
 *
 * As Linux (sock_error()): the call that finds the error reports it and
 * clears it; later calls see the connection closed (end of stream for
 * reads, EPIPE for writes), and SO_ERROR says 0. When another call took
 * it meanwhile, this one goes on as if it had never been.
 *
 * Return: -errno to report, or 0 to look again
 */
static int vs_sock_stream_error(struct vs_ctx *ctx, int s, struct vs_lsock *ls,
				struct vsapp_sock *slot, bool *again)
{
	int e;

	if (*again)
		return -vs_sock_err(slot); /* it did not go: never spin */
	*again = true;
	e = vs_sock_take_error(ctx, s, ls);
	if (e < 0)
		return e;
	return e ? -(e < 4096 ? e : EIO) : 0;
}

/**
 * vs_sock_stream_send() - copy bytes into a stream's send ring
 * @ctx:	the context
 * @s:		the socket
 * @ls:		its state
 * @slot:	its slot
 * @buf:	the bytes
 * @len:	how many
 *
 * Return: bytes taken, or -errno
 */
static ssize_t vs_sock_stream_send(struct vs_ctx *ctx, int s,
				   struct vs_lsock *ls, struct vsapp_sock *slot,
				   const uint8_t *buf, size_t len)
{
	struct vs_sock_want w = {.s = s, .events = VS_POLLOUT};
	uint32_t ev, st, used, room, n;
	bool taken = false;
	size_t done = 0;
	int ret;

	if (len > SSIZE_MAX)
		len = SSIZE_MAX;
	for (;;) {
		if (atomic_load(&ls->broken)) {
			ret = -EPROTO;
			break;
		}
		ev = atomic_load_explicit(&slot->events, memory_order_acquire);
		st = vs_sock_state(ls, slot);
		if (ev & VSAPP_EV_ERR) {
			ret = vs_sock_stream_error(ctx, s, ls, slot, &taken);
			if (ret)
				break;
			continue;
		}
		if ((ev & VSAPP_EV_SHUTWR) || st == VSAPP_S_CLOSED) {
			ret = -EPIPE;
			break;
		}
		if (st == VSAPP_S_CONNECTED) {
			if (vs_ring_stream_used(
				    atomic_load_explicit(&slot->snd_head,
							 memory_order_acquire),
				    ls->snd_tail, ls->snd.size, &used)) {
				atomic_store(&ls->broken, true);
				ret = -EPROTO;
				break;
			}
			room = ls->snd.size - used;
			n = len - done < room ? (uint32_t)(len - done) : room;
			if (n) {
				vs_ring_write(&ls->snd, ls->snd_tail,
					      buf + done, n);
				ls->snd_tail += n;
				vs_sock_publish_snd(ctx, ls, slot);
				done += n;
			}
			if (done == len || (n && ls->nonblock))
				return (ssize_t)done;
		} else if (st != VSAPP_S_CONNECTING) {
			/* As Linux (sk_stream_wait_connect()): not
			 * connected, or a listener, is EPIPE for a send */
			ret = -EPIPE;
			break;
		}
		ret = vs_sock_block(ctx, ls, &w);
		if (ret)
			break;
	}
	return done ? (ssize_t)done : ret;
}

/**
 * vs_sock_stream_recv() - copy bytes out of a stream's receive ring
 * @ctx:	the context
 * @s:		the socket
 * @ls:		its state
 * @slot:	its slot
 * @buf:	where to put them
 * @len:	room
 *
 * Return: bytes read, 0 at end of stream, or -errno
 */
static ssize_t vs_sock_stream_recv(struct vs_ctx *ctx, int s,
				   struct vs_lsock *ls, struct vsapp_sock *slot,
				   uint8_t *buf, size_t len, struct iovec *iov)
{
	struct vs_sock_want w = {.s = s, .events = VS_POLLIN};
	uint32_t ev, st, used, n;
	bool taken = false;
	int ret;

	for (;;) {
		if (atomic_load(&ls->broken))
			return -EPROTO;
		/* Events before rcv_tail: EOF implies all data is visible. */
		ev = atomic_load_explicit(&slot->events, memory_order_acquire);
		st = vs_sock_state(ls, slot);
		if (vs_ring_stream_used(
			    ls->rcv_head,
			    atomic_load_explicit(&slot->rcv_tail,
						 memory_order_acquire),
			    ls->rcv.size, &used)) {
			atomic_store(&ls->broken, true);
			return -EPROTO;
		}
		if (used && iov) {
			/* in place: up to the ring's end, then from its start */
			uint32_t off = ls->rcv_head & (ls->rcv.size - 1);
			uint32_t first = ls->rcv.size - off;

			if (first > used)
				first = used;
			iov[0].iov_base = ls->rcv.base + off;
			iov[0].iov_len = first;
			iov[1].iov_base = ls->rcv.base;
			iov[1].iov_len = used - first;
			return used;
		}
		if (used && len) {
			n = len < used ? (uint32_t)len : used;
			vs_ring_read(&ls->rcv, ls->rcv_head, buf, n);
			ls->rcv_head += n;
			vs_sock_publish_rcv(ctx, ls, slot);
			return n;
		}
		if (!len || (ev & VSAPP_EV_EOF))
			return 0;
		if (ev & VSAPP_EV_ERR) {
			ret = vs_sock_stream_error(ctx, s, ls, slot, &taken);
			if (ret)
				return ret;
			continue;
		}
		if (st == VSAPP_S_CLOSED)
			return 0;
		if (st != VSAPP_S_CONNECTED && st != VSAPP_S_CONNECTING)
			return -ENOTCONN;
		ret = vs_sock_block(ctx, ls, &w);
		if (ret)
			return ret;
	}
}

/**
 * vs_sock_dgram_error() - take a datagram socket's pending error
 * @ctx:	the context
 * @s:		the socket
 * @slot:	its slot
 *
 * Datagram errors (ICMP) are reported once, like SO_ERROR: a GETOPT
 * fetches and clears it, so that a persistent error bit cannot make
 * every call fail or a blocked call spin. A socket vstackd closed (reset
 * for counters that made no sense) reports its error once too, and
 * EBADFD from then on: it never becomes ready again, and a blocked call
 * must not spin or sleep for ever on it.
 *
 * Return: 0 none, or -errno
 */
static int vs_sock_dgram_error(struct vs_ctx *ctx, int s,
			       struct vsapp_sock *slot)
{
	bool closed = atomic_load_explicit(&slot->state,
					   memory_order_acquire) ==
		      VSAPP_S_CLOSED;
	int r;

	if (!(atomic_load_explicit(&slot->events, memory_order_acquire) &
	      VSAPP_EV_ERR))
		return closed ? -EBADFD : 0;
	r = vs_sock_call(ctx, VSAPP_OP_GETOPT, s, NULL, VSAPP_OPT_ERROR, 0,
			 NULL);
	if (r < 0)
		return r;
	if (r > 0 && r < 4096)
		return -r;
	return closed ? -EBADFD : 0;
}

/**
 * vs_sock_dgram_send() - append one datagram record
 * @ctx:	the context
 * @s:		the socket
 * @ls:		its state
 * @slot:	its slot
 * @buf:	the payload
 * @len:	its length
 * @to:		destination, or NULL for the connected one
 *
 * Return: @len, or -errno
 */
static ssize_t vs_sock_dgram_send(struct vs_ctx *ctx, int s,
				  struct vs_lsock *ls, struct vsapp_sock *slot,
				  const void *buf, size_t len,
				  const struct sockaddr_in *to)
{
	struct vs_sock_want w = {.s = s};
	struct vsapp_dgram h = {0};
	uint32_t tail;
	int ret;

	if (len > VS_DGRAM_MAX ||
	    vs_ring_dgram_rec((uint32_t)len) > ls->snd.size)
		return -EMSGSIZE;
	if (to) {
		ret = vs_sock_addr_ok(to);
		if (ret)
			return ret;
		/* Port 0 is no destination (EINVAL, as Linux). Address 0
		 * means "the connected peer" in a record: a datagram for
		 * 0.0.0.0 (this host, which the endpoint cannot reach) must
		 * not go there. */
		if (!to->sin_port)
			return -EINVAL;
		if (!to->sin_addr.s_addr)
			return -EHOSTUNREACH;
		if (vs_sock_bcast_denied(ctx, ls, to))
			return -EACCES;
		h.addr = to->sin_addr.s_addr;
		h.port = ntohs(to->sin_port);
	} else if (!ls->dgram_connected) {
		return -EDESTADDRREQ;
	}
	h.len = (uint32_t)len;
	/* dgram_len 0 would mean "not a datagram wait": ask for >= 1. */
	w.dgram_len = h.len ? h.len : 1;
	ret = vs_sock_dgram_error(ctx, s, slot);
	if (ret)
		return ret;
	for (;;) {
		if (atomic_load(&ls->broken))
			return -EPROTO;
		/* As Linux (sock_alloc_send_pskb()): after SHUT_WR, EPIPE
		 * (and no SIGPIPE, unlike a stream) */
		if (atomic_load_explicit(&slot->events, memory_order_acquire) &
		    VSAPP_EV_SHUTWR)
			return -EPIPE;
		tail = ls->snd_tail;
		ret = vs_ring_dgram_put(
			&ls->snd,
			atomic_load_explicit(&slot->snd_head,
					     memory_order_acquire),
			&tail, &h, buf);
		if (tail != ls->snd_tail) {
			ls->snd_tail = tail;
			vs_sock_publish_snd(ctx, ls, slot);
		}
		if (!ret)
			return (ssize_t)len;
		if (ret == -EPROTO)
			atomic_store(&ls->broken, true);
		if (ret != -EAGAIN)
			return ret;
		ret = vs_sock_block(ctx, ls, &w);
		if (ret)
			return ret;
		ret = vs_sock_dgram_error(ctx, s, slot);
		if (ret)
			return ret;
	}
}

/**
 * vs_sock_from() - a datagram's sender as a struct sockaddr_in
 * @from:	filled in, or NULL
 * @h:		the datagram's header
 */
static void vs_sock_from(struct sockaddr_in *from, const struct vsapp_dgram *h)
{
	if (!from)
		return;
	memset(from, 0, sizeof(*from));
	from->sin_family = AF_INET;
	from->sin_addr.s_addr = h->addr;
	from->sin_port = htons(h->port);
}

/**
 * vs_sock_dgram_recv() - take one datagram record
 * @ctx:	the context
 * @s:		the socket
 * @ls:		its state
 * @slot:	its slot
 * @buf:	where to put the payload
 * @len:	room
 * @from:	the sender, or NULL
 * @whole:	set to the datagram's length
 *
 * Return: bytes copied, or -errno
 */
static ssize_t vs_sock_dgram_recv(struct vs_ctx *ctx, int s,
				  struct vs_lsock *ls, struct vsapp_sock *slot,
				  void *buf, size_t len,
				  struct sockaddr_in *from, uint32_t *whole)
{
	struct vs_sock_want w = {.s = s, .events = VS_POLLIN};
	struct vsapp_dgram h;
	uint32_t head;
	int ret;

	ret = vs_sock_dgram_error(ctx, s, slot);
	if (ret)
		return ret;
	for (;;) {
		if (atomic_load(&ls->broken))
			return -EPROTO;
		head = ls->rcv_head;
		ret = vs_ring_dgram_get(
			&ls->rcv, &head,
			atomic_load_explicit(&slot->rcv_tail,
					     memory_order_acquire),
			&h, buf, len);
		if (head != ls->rcv_head) {
			ls->rcv_head = head;
			vs_sock_publish_rcv(ctx, ls, slot);
		}
		if (!ret) {
			vs_sock_from(from, &h);
			*whole = h.len;
			return h.len < len ? h.len : len;
		}
		if (ret == -EPROTO) {
			atomic_store(&ls->broken, true);
			return ret;
		}
		/* As Linux (__skb_wait_for_more_packets()): after SHUT_RD a
		 * receive that would wait returns 0 (one already waiting
		 * wakes up); a non-blocking one still says EAGAIN. */
		if (!ls->nonblock &&
		    (atomic_load_explicit(&slot->events, memory_order_acquire) &
		     VSAPP_EV_EOF)) {
			*whole = 0;
			return 0;
		}
		ret = vs_sock_block(ctx, ls, &w);
		if (ret)
			return ret;
		/* An error that arrived while we slept ends the wait. */
		ret = vs_sock_dgram_error(ctx, s, slot);
		if (ret)
			return ret;
	}
}

/**
 * vs_socket() - create a socket
 * @ctx:	the context
 * @type:	VS_SOCK_STREAM or VS_SOCK_DGRAM
 *
 * Return: the socket, or -1 with errno
 */
VS_API int vs_socket(struct vs_ctx *ctx, int type)
{
	struct vsapp_cmd cmd = {.op = VSAPP_OP_SOCKET};
	int err = atomic_load(&ctx->dead), res;

	if (err)
		return vs_sock_fail(-err);
	if (type != VS_SOCK_STREAM && type != VS_SOCK_DGRAM)
		return vs_sock_fail(-EINVAL);
	cmd.arg = (uint32_t)type;
	res = vs_ctx_call(ctx, &cmd, NULL);
	if (res < 0)
		return vs_sock_fail(res);
	res = vs_sock_take(ctx, res, (uint32_t)type);
	return res < 0 ? vs_sock_fail(res) : res;
}

/**
 * vs_bind() - give a socket its local port
 * @ctx:	the context
 * @s:		the socket
 * @addr:	the address
 *
 * Return: 0, or -1 with errno
 */
VS_API int vs_bind(struct vs_ctx *ctx, int s, const struct sockaddr_in *addr)
{
	struct vsapp_sock *slot;
	struct vs_lsock *ls;
	int ret;

	ret = vs_sock_get(ctx, s, &ls, &slot);
	if (!ret)
		ret = vs_sock_addr_ok(addr);
	if (!ret)
		ret = vs_sock_call(ctx, VSAPP_OP_BIND, s, addr, 0, 0, NULL);
	return ret < 0 ? vs_sock_fail(ret) : 0;
}

/**
 * vs_listen() - make a stream socket a listener
 * @ctx:	the context
 * @s:		the socket
 * @backlog:	the backlog, as listen(2)'s (vstackd caps it)
 *
 * Return: 0, or -1 with errno
 */
VS_API int vs_listen(struct vs_ctx *ctx, int s, int backlog)
{
	struct vsapp_sock *slot;
	struct vs_lsock *ls;
	int ret;

	ret = vs_sock_get(ctx, s, &ls, &slot);
	if (!ret && ls->type != VSAPP_SOCK_STREAM)
		ret = -EOPNOTSUPP;
	if (!ret)
		ret = vs_sock_call(ctx, VSAPP_OP_LISTEN, s, NULL,
				   (uint32_t)backlog, 0, NULL);
	return ret < 0 ? vs_sock_fail(ret) : 0;
}

/**
 * vs_accept() - take a connection from a listener
 * @ctx:	the context
 * @s:		the listener
 * @peer:	the peer, or NULL
 *
 * Return: the new socket, or -1 with errno
 */
VS_API int vs_accept(struct vs_ctx *ctx, int s, struct sockaddr_in *peer)
{
	struct vsapp_sock *slot;
	struct vsapp_cqe cqe;
	struct vs_lsock *ls;
	int ret;

	ret = vs_sock_get(ctx, s, &ls, &slot);
	if (ret)
		return vs_sock_fail(ret);
	if (ls->type != VSAPP_SOCK_STREAM)
		return vs_sock_fail(-EOPNOTSUPP);
	/* Non-blocking and nothing queued: say so without a round trip. */
	if (ls->nonblock &&
	    !atomic_load_explicit(&slot->accept_q, memory_order_acquire) &&
	    !(atomic_load_explicit(&slot->events, memory_order_acquire) &
	      VSAPP_EV_ACCEPT)) {
		ret = vs_ctx_alive(ctx);
		return vs_sock_fail(ret ? ret : -EAGAIN);
	}
	ret = vs_sock_call(ctx, VSAPP_OP_ACCEPT, s, NULL,
			   ls->nonblock ? VSAPP_F_NONBLOCK : 0, 0, &cqe);
	if (ret < 0)
		return vs_sock_fail(vs_sock_cancelled(ctx, ls, ret));
	ret = vs_sock_take(ctx, ret, VSAPP_SOCK_STREAM);
	if (ret < 0)
		return vs_sock_fail(ret);
	if (peer) {
		memset(peer, 0, sizeof(*peer));
		peer->sin_family = AF_INET;
		peer->sin_addr.s_addr = cqe.addr;
		peer->sin_port = htons(cqe.port);
	}
	return ret;
}

/**
 * vs_connect() - connect a socket
 * @ctx:	the context
 * @s:		the socket
 * @addr:	the peer
 *
 * Return: 0, or -1 with errno
 */
VS_API int vs_connect(struct vs_ctx *ctx, int s, const struct sockaddr_in *addr)
{
	static const struct sockaddr_in none = {.sin_family = AF_INET};
	struct vsapp_cmd cmd = {.op = VSAPP_OP_CONNECT};
	struct vsapp_sock *slot;
	struct vs_lsock *ls;
	uint64_t tag;
	int ret;

	ret = vs_sock_get(ctx, s, &ls, &slot);
	/* connect(2): AF_UNSPEC dissolves a datagram socket's association,
	 * which the command says as peer 0:0 */
	if (!ret && addr && addr->sin_family == AF_UNSPEC &&
	    ls->type == VSAPP_SOCK_DGRAM)
		addr = &none;
	if (!ret)
		ret = vs_sock_addr_ok(addr);
	if (ret)
		return vs_sock_fail(ret);
	if (ls->type == VSAPP_SOCK_DGRAM) {
		if (vs_sock_bcast_denied(ctx, ls, addr))
			return vs_sock_fail(-EACCES);
		ret = vs_sock_call(ctx, VSAPP_OP_CONNECT, s, addr, 0, 0, NULL);
		if (ret < 0)
			return vs_sock_fail(ret);
		ls->dgram_connected =
			addr->sin_addr.s_addr != 0 || addr->sin_port != 0;
		return 0;
	}
	pthread_mutex_lock(&ctx->lock);
	if (ls->connecting) {
		pthread_mutex_unlock(&ctx->lock);
		return vs_sock_fail(-EALREADY);
	}
	ret = atomic_exchange(&ls->connect_res, 0);
	if (ret < 0) {
		/* The outcome of the last non-blocking connect, once. */
		pthread_mutex_unlock(&ctx->lock);
		return vs_sock_fail(ret);
	}
	if (atomic_load_explicit(&slot->state, memory_order_acquire) ==
	    VSAPP_S_CONNECTED) {
		pthread_mutex_unlock(&ctx->lock);
		return vs_sock_fail(-EISCONN);
	}
	if (!ls->nonblock) {
		pthread_mutex_unlock(&ctx->lock);
		ret = vs_sock_call(ctx, VSAPP_OP_CONNECT, s, addr, 0, 0, NULL);
		return ret < 0 ? vs_sock_fail(vs_sock_cancelled(ctx, ls, ret))
			       : 0;
	}
	ls->connecting = true;
	atomic_store(&ls->connect_res, 1);
	pthread_mutex_unlock(&ctx->lock);
	cmd.sock = (uint32_t)s;
	cmd.addr = addr->sin_addr.s_addr;
	cmd.port = ntohs(addr->sin_port);
	cmd.arg = VSAPP_F_NONBLOCK; /* a failure's error stays for SO_ERROR */
	/* The generation in the tag keeps a late completion from landing
	 * on a later socket in the same slot. */
	tag = VS_TAG_DETACHED | ((uint64_t)(ls->gen & 0x7fffffffu) << 32) |
	      (uint32_t)s;
	ret = vs_ctx_submit(ctx, &cmd, tag);
	if (ret) {
		pthread_mutex_lock(&ctx->lock);
		ls->connecting = false;
		atomic_store(&ls->connect_res, 0);
		pthread_mutex_unlock(&ctx->lock);
		return vs_sock_fail(ret);
	}
	return vs_sock_fail(-EINPROGRESS);
}

/**
 * vs_send() - write to a socket
 * @ctx:	the context
 * @s:		the socket
 * @buf:	the bytes
 * @len:	how many
 *
 * Return: bytes taken, or -1 with errno
 */
VS_API ssize_t vs_send(struct vs_ctx *ctx, int s, const void *buf, size_t len)
{
	return vs_sendto(ctx, s, buf, len, NULL);
}

/**
 * vs_sendto() - send, to an address for datagrams
 * @ctx:	the context
 * @s:		the socket
 * @buf:	the bytes
 * @len:	how many
 * @to:		destination or NULL
 *
 * Return: bytes taken, or -1 with errno
 */
VS_API ssize_t vs_sendto(struct vs_ctx *ctx, int s, const void *buf, size_t len,
			 const struct sockaddr_in *to)
{
	struct vsapp_sock *slot;
	struct vs_lsock *ls;
	ssize_t ret;

	ret = vs_sock_get(ctx, s, &ls, &slot);
	if (ret)
		return vs_sock_fail((int)ret);
	if (!buf && len)
		return vs_sock_fail(-EFAULT);
	if (ls->type == VSAPP_SOCK_DGRAM)
		ret = vs_sock_dgram_send(ctx, s, ls, slot, buf, len, to);
	else
		ret = vs_sock_stream_send(ctx, s, ls, slot, buf, len);
	return ret < 0 ? vs_sock_fail((int)ret) : ret;
}

/**
 * vs_recv() - read from a socket
 * @ctx:	the context
 * @s:		the socket
 * @buf:	where to put the bytes
 * @len:	room
 *
 * Return: bytes read, 0 at end of stream, or -1 with errno
 */
VS_API ssize_t vs_recv(struct vs_ctx *ctx, int s, void *buf, size_t len)
{
	return vs_recvfrom(ctx, s, buf, len, NULL);
}

/**
 * vs_recvfrom() - receive, with the sender
 * @ctx:	the context
 * @s:		the socket
 * @buf:	where to put the bytes
 * @len:	room
 * @from:	the sender (stream: the peer), or NULL
 *
 * Return: bytes read, or -1 with errno
 */
VS_API ssize_t vs_recvfrom(struct vs_ctx *ctx, int s, void *buf, size_t len,
			   struct sockaddr_in *from)
{
	return vs_recvmsg(ctx, s, buf, len, from, 0, NULL);
}

/**
 * vs_recv_zc() - the received bytes of a stream socket, in place
 * @ctx:	the context
 * @s:		the socket (stream)
 * @iov:	set to at most two slices of the receive ring (the second
 *		when the bytes wrap around its end), both empty at end of
 *		stream
 *
 * Blocks like vs_recv() while nothing is there. The bytes stay, and the
 * window stays closed over them, until vs_recv_done() gives them back.
 *
 * Return: bytes in @iov, 0 at end of stream, or -1 with errno (as
 * vs_recv(); EOPNOTSUPP for a datagram socket)
 */
VS_API ssize_t vs_recv_zc(struct vs_ctx *ctx, int s, struct iovec iov[2])
{
	struct vsapp_sock *slot;
	struct vs_lsock *ls;
	ssize_t ret;

	ret = vs_sock_get(ctx, s, &ls, &slot);
	if (!ret && !iov)
		ret = -EFAULT;
	if (!ret && ls->type != VSAPP_SOCK_STREAM)
		ret = -EOPNOTSUPP;
	if (ret)
		return vs_sock_fail((int)ret);
	iov[0] = iov[1] = (struct iovec){0};
	ret = vs_sock_stream_recv(ctx, s, ls, slot, NULL, SIZE_MAX, iov);
	return ret < 0 ? vs_sock_fail((int)ret) : ret;
}

/**
 * vs_recv_done() - consume bytes vs_recv_zc() showed
 * @ctx:	the context
 * @s:		the socket
 * @len:	how many, from the first; at most what is there
 *
 * Return: 0, or -1 with errno (EINVAL: more than there is)
 */
VS_API int vs_recv_done(struct vs_ctx *ctx, int s, size_t len)
{
	struct vsapp_sock *slot;
	struct vs_lsock *ls;
	uint32_t used;
	int ret;

	ret = vs_sock_get(ctx, s, &ls, &slot);
	if (!ret && ls->type != VSAPP_SOCK_STREAM)
		ret = -EOPNOTSUPP;
	if (!ret && vs_ring_stream_used(ls->rcv_head,
					atomic_load_explicit(&slot->rcv_tail,
							     memory_order_acquire),
					ls->rcv.size, &used)) {
		atomic_store(&ls->broken, true);
		ret = -EPROTO;
	}
	if (!ret && len > used)
		ret = -EINVAL;
	if (ret)
		return vs_sock_fail(ret);
	if (len) {
		ls->rcv_head += (uint32_t)len;
		vs_sock_publish_rcv(ctx, ls, slot);
	}
	return 0;
}

/**
 * vs_shutdown() - end one or both directions
 * @ctx:	the context
 * @s:		the socket
 * @how:	VS_SHUT_*
 *
 * Return: 0, or -1 with errno
 */
VS_API int vs_shutdown(struct vs_ctx *ctx, int s, int how)
{
	struct vsapp_sock *slot;
	struct vs_lsock *ls;
	int ret;

	ret = vs_sock_get(ctx, s, &ls, &slot);
	if (!ret && how != VS_SHUT_RD && how != VS_SHUT_WR &&
	    how != VS_SHUT_RDWR)
		ret = -EINVAL;
	if (!ret)
		ret = vs_sock_call(ctx, VSAPP_OP_SHUTDOWN, s, NULL,
				   (uint32_t)how, 0, NULL);
	return ret < 0 ? vs_sock_fail(ret) : 0;
}

/**
 * vs_close() - close a socket
 * @ctx:	the context
 * @s:		the socket
 *
 * Return: 0, or -1 with errno (the number is released either way)
 */
VS_API int vs_close(struct vs_ctx *ctx, int s)
{
	struct vs_lsock *ls;
	uint32_t gen;
	int ret;

	if (s < 0 || (uint32_t)s >= ctx->nsocks)
		return vs_sock_fail(-EBADF);
	pthread_mutex_lock(&ctx->lock);
	ls = &ctx->ls[s];
	if (ls->use != VS_LS_OPEN) {
		pthread_mutex_unlock(&ctx->lock);
		return vs_sock_fail(-EBADF);
	}
	ls->use = VS_LS_CLOSING;
	gen = ls->gen;
	pthread_mutex_unlock(&ctx->lock);
	ret = vs_sock_call(ctx, VSAPP_OP_CLOSE, s, NULL, 0, 0, NULL);
	pthread_mutex_lock(&ctx->lock);
	/* Unless another thread already took the slot again (vs_sock_setup) */
	if (ls->use == VS_LS_CLOSING && ls->gen == gen)
		memset(ls, 0, sizeof(*ls));
	pthread_mutex_unlock(&ctx->lock);
	return ret < 0 ? vs_sock_fail(ret) : 0;
}

/**
 * vs_set_nonblock() - make a socket's calls non-blocking or blocking
 * @ctx:	the context
 * @s:		the socket
 * @on:		non-zero for non-blocking
 *
 * Return: 0, or -1 with errno
 */
VS_API int vs_set_nonblock(struct vs_ctx *ctx, int s, int on)
{
	struct vsapp_sock *slot;
	struct vs_lsock *ls;
	int ret;

	ret = vs_sock_get(ctx, s, &ls, &slot);
	if (ret)
		return vs_sock_fail(ret);
	ls->nonblock = on != 0;
	return 0;
}

/**
 * vs_setsockopt() - set an option
 * @ctx:	the context
 * @s:		the socket
 * @opt:	VS_OPT_*
 * @value:	the value
 *
 * Return: 0, or -1 with errno
 */
VS_API int vs_setsockopt(struct vs_ctx *ctx, int s, int opt, int value)
{
	struct vsapp_sock *slot;
	struct vs_lsock *ls;
	int ret;

	ret = vs_sock_get(ctx, s, &ls, &slot);
	if (!ret && (opt < VS_OPT_NODELAY || opt > VS_OPT_RCVBUF) &&
	    opt != VS_OPT_BROADCAST)
		ret = -ENOPROTOOPT;
	if (!ret)
		ret = vs_sock_call(ctx, VSAPP_OP_SETOPT, s, NULL, (uint32_t)opt,
				   (uint32_t)value, NULL);
	if (!ret && opt == VS_OPT_BROADCAST)
		atomic_store(&ls->broadcast, value != 0);
	return ret < 0 ? vs_sock_fail(ret) : 0;
}

/**
 * vs_sock_peek() - copy the next bytes or datagram without taking them
 * @ls:		the socket's state
 * @slot:	its slot
 * @buf:	where to copy (may be NULL when @len is 0)
 * @len:	room
 * @from:	datagram: the sender, or NULL
 *
 * Only the copy of our counter moves; nothing is published.
 *
 * Return: bytes copied (datagram: @len at most; *@whole the payload's
 * length), -EAGAIN, or -errno
 */
static ssize_t vs_sock_peek(struct vs_lsock *ls, struct vsapp_sock *slot,
			    void *buf, size_t len, struct sockaddr_in *from,
			    uint32_t *whole)
{
	uint32_t head = atomic_load_explicit(&slot->rcv_head,
					     memory_order_relaxed);
	uint32_t tail = atomic_load_explicit(&slot->rcv_tail,
					     memory_order_acquire);
	uint32_t ev = atomic_load_explicit(&slot->events, memory_order_acquire);
	struct vsapp_dgram h;
	uint32_t used, st;
	int ret;

	if (atomic_load(&ls->broken))
		return -EPROTO;
	if (ls->type == VSAPP_SOCK_DGRAM) {
		ret = vs_ring_dgram_get(&ls->rcv, &head, tail, &h, buf, len);
		if (ret)
			return ret;
		vs_sock_from(from, &h);
		*whole = h.len;
		return h.len < len ? h.len : len;
	}
	if (vs_ring_stream_used(head, tail, ls->rcv.size, &used))
		return -EPROTO;
	*whole = used;
	if (used && len) {
		used = len < used ? (uint32_t)len : used;
		vs_ring_read(&ls->rcv, head, buf, used);
		return used;
	}
	st = vs_sock_state(ls, slot);
	if (!len || (ev & VSAPP_EV_EOF) || st == VSAPP_S_CLOSED)
		return 0;
	if (ev & VSAPP_EV_ERR)
		return -vs_sock_err(slot);
	if (st != VSAPP_S_CONNECTED && st != VSAPP_S_CONNECTING)
		return -ENOTCONN;
	return -EAGAIN;
}

/**
 * vs_sock_nread() - VS_OPT_NREAD: bytes ready, or the next datagram's size
 * @ls:		the socket's state
 * @slot:	its slot
 *
 * Return: the count (0 when nothing is there), or -errno
 */
static int vs_sock_nread(struct vs_lsock *ls, struct vsapp_sock *slot)
{
	uint32_t whole = 0;
	ssize_t r;

	if (atomic_load_explicit(&slot->state, memory_order_acquire) ==
	    VSAPP_S_LISTEN)
		return 0;
	r = vs_sock_peek(ls, slot, NULL, 0, NULL, &whole);
	if (r < 0 && r != -EAGAIN && r != -ENOTCONN)
		return (int)r;
	return whole > INT_MAX ? INT_MAX : (int)whole;
}

/**
 * vs_recvmsg() - receive with flags: peek, a datagram's whole length
 * @ctx:	the context
 * @s:		the socket
 * @buf:	where to put the bytes
 * @len:	room
 * @from:	the sender (stream: the peer), or NULL
 * @flags:	VS_MSG_PEEK, VS_MSG_TRUNC
 * @msg_flags:	VS_MSG_TRUNC if a datagram did not fit, or NULL
 *
 * Return: bytes read (VS_MSG_TRUNC: the datagram's length), or -1 with
 * errno
 */
VS_API ssize_t vs_recvmsg(struct vs_ctx *ctx, int s, void *buf, size_t len,
			  struct sockaddr_in *from, int flags, int *msg_flags)
{
	struct vsapp_sock *slot;
	struct vs_lsock *ls;
	uint32_t whole = 0;
	ssize_t ret;

	ret = vs_sock_get(ctx, s, &ls, &slot);
	if (!ret && !buf && len)
		ret = -EFAULT;
	if (!ret && (flags & ~(VS_MSG_PEEK | VS_MSG_TRUNC)))
		ret = -EINVAL;
	if (!ret && (flags & VS_MSG_TRUNC) && ls->type != VSAPP_SOCK_DGRAM)
		ret = -EOPNOTSUPP;
	if (ret)
		return vs_sock_fail((int)ret);
	if (flags & VS_MSG_PEEK) {
		ret = vs_sock_peek(ls, slot, buf, len, from, &whole);
		if (ret == -EAGAIN) {
			int alive = vs_ctx_alive(ctx);

			ret = alive ? alive : -EAGAIN;
		}
	} else if (ls->type == VSAPP_SOCK_DGRAM) {
		ret = vs_sock_dgram_recv(ctx, s, ls, slot, buf, len, from,
					 &whole);
	} else {
		ret = vs_sock_stream_recv(ctx, s, ls, slot, buf, len, NULL);
		if (ret >= 0 && from)
			(void)vs_getpeername(ctx, s, from);
	}
	if (ret < 0)
		return vs_sock_fail((int)ret);
	if (ls->type != VSAPP_SOCK_DGRAM)
		whole = 0; /* a stream's bytes are never cut off */
	if (msg_flags)
		*msg_flags = whole > len ? VS_MSG_TRUNC : 0;
	if (flags & VS_MSG_TRUNC)
		return whole;
	return ret;
}

/**
 * vs_peek() - copy the next bytes or datagram, leaving them to read
 * @ctx:	the context
 * @s:		the socket
 * @buf:	where to put them
 * @len:	room
 * @from:	datagram: the sender, or NULL
 *
 * Return: bytes copied, or -1 with errno
 */
VS_API ssize_t vs_peek(struct vs_ctx *ctx, int s, void *buf, size_t len,
		       struct sockaddr_in *from)
{
	return vs_recvmsg(ctx, s, buf, len, from, VS_MSG_PEEK, NULL);
}

/**
 * vs_getsockopt() - read an option
 * @ctx:	the context
 * @s:		the socket
 * @opt:	VS_OPT_*
 * @value:	the value
 *
 * Return: 0, or -1 with errno
 */
VS_API int vs_getsockopt(struct vs_ctx *ctx, int s, int opt, int *value)
{
	struct vsapp_sock *slot;
	struct vs_lsock *ls;
	int ret;

	ret = vs_sock_get(ctx, s, &ls, &slot);
	if (!ret && !value)
		ret = -EFAULT;
	if (!ret && opt == VS_OPT_NREAD) {
		ret = vs_sock_nread(ls, slot);
		if (ret < 0)
			return vs_sock_fail(ret);
		*value = ret;
		return 0;
	}
	if (!ret && (opt < VS_OPT_NODELAY || opt > VS_OPT_RCVBUF) &&
	    opt != VS_OPT_BROADCAST)
		ret = -ENOPROTOOPT;
	if (!ret && opt == VS_OPT_ERROR)
		ret = vs_sock_take_error(ctx, s, ls);
	else if (!ret)
		ret = vs_sock_call(ctx, VSAPP_OP_GETOPT, s, NULL, (uint32_t)opt,
				   0, NULL);
	if (ret < 0)
		return vs_sock_fail(ret);
	*value = ret;
	return 0;
}

/**
 * vs_getsockname() - a socket's local address
 * @ctx:	the context
 * @s:		the socket
 * @addr:	filled in
 *
 * Return: 0, or -1 with errno
 */
VS_API int vs_getsockname(struct vs_ctx *ctx, int s, struct sockaddr_in *addr)
{
	volatile struct vsapp_sock *v;
	struct vsapp_sock *slot;
	struct vs_lsock *ls;
	int ret;

	ret = vs_sock_get(ctx, s, &ls, &slot);
	if (!ret && !addr)
		ret = -EFAULT;
	if (ret)
		return vs_sock_fail(ret);
	v = slot;
	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = v->laddr;
	addr->sin_port = htons(v->lport);
	return 0;
}

/**
 * vs_getpeername() - a connected socket's peer
 * @ctx:	the context
 * @s:		the socket
 * @addr:	filled in
 *
 * Return: 0, or -1 with errno
 */
VS_API int vs_getpeername(struct vs_ctx *ctx, int s, struct sockaddr_in *addr)
{
	volatile struct vsapp_sock *v;
	struct vsapp_sock *slot;
	struct vs_lsock *ls;
	uint32_t st;
	int ret;

	ret = vs_sock_get(ctx, s, &ls, &slot);
	if (!ret && !addr)
		ret = -EFAULT;
	if (ret)
		return vs_sock_fail(ret);
	v = slot;
	st = atomic_load_explicit(&slot->state, memory_order_acquire);
	if ((ls->type == VSAPP_SOCK_STREAM && st != VSAPP_S_CONNECTED) ||
	    (ls->type == VSAPP_SOCK_DGRAM && !ls->dgram_connected))
		return vs_sock_fail(-ENOTCONN);
	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = v->raddr;
	addr->sin_port = htons(v->rport);
	return 0;
}

/**
 * struct vs_sock_pollset - vs_poll()'s arguments for vs_ctx_wait()
 * @items:	the items
 * @n:		how many
 * @nready:	items with revents, from the last look
 */
struct vs_sock_pollset {
	struct vs_pollfd *items;
	unsigned n;
	int nready;
};

/**
 * vs_sock_poll_scan() - fill in revents
 * @ctx:	the context
 * @arg:	struct vs_sock_pollset
 *
 * Return: true when any item is ready
 */
static bool vs_sock_poll_scan(struct vs_ctx *ctx, void *arg)
{
	struct vs_sock_pollset *ps = arg;
	const int always = VS_POLLERR | VS_POLLHUP | VS_POLLNVAL;
	unsigned i;
	int re;

	ps->nready = 0;
	for (i = 0; i < ps->n; i++) {
		struct vs_pollfd *p = &ps->items[i];

		p->revents = 0;
		if (p->sock < 0)
			continue;
		re = vs_sock_revents(ctx, p->sock);
		p->revents = (short)(re & (p->events | always));
		if (p->revents)
			ps->nready++;
	}
	return ps->nready > 0;
}

/**
 * vs_poll() - readiness of sockets, waiting while none is ready
 * @ctx:	the context
 * @items:	the sockets
 * @n:		how many
 * @timeout_ms:	-1 for ever, 0 not at all
 *
 * Return: items ready, 0 on timeout, or -1 with errno
 */
VS_API int vs_poll(struct vs_ctx *ctx, struct vs_pollfd *items, unsigned n,
		   int timeout_ms)
{
	struct vs_sock_pollset ps = {.items = items, .n = n};
	int ret;

	if (n && !items)
		return vs_sock_fail(-EFAULT);
	if (n > INT_MAX)
		return vs_sock_fail(-EINVAL);
	ret = atomic_load(&ctx->dead);
	if (ret)
		return vs_sock_fail(-ret);
	vs_ctx_reap(ctx);
	if (vs_sock_poll_scan(ctx, &ps))
		return ps.nready;
	if (!timeout_ms) {
		ret = vs_ctx_alive(ctx);
		return ret ? vs_sock_fail(ret) : 0;
	}
	ret = vs_ctx_wait(ctx, vs_sock_poll_scan, &ps,
			  vs_ctx_deadline(timeout_ms));
	if (ret == -ETIMEDOUT)
		return 0;
	if (ret)
		return vs_sock_fail(ret);
	return ps.nready;
}
