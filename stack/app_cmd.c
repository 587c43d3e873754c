// SPDX-License-Identifier: MIT
/*
 * app_cmd.c - the commands of an application context (app_proto.h,
 * enum vsapp_op), on the worker
 *
 * Each command is copied out of the submission queue before it is looked
 * at (app_cmd_service()); its socket index is checked against the slots
 * the stack handed out (app_cmd_sock()); states are checked against the
 * private state, never the mapping. Every command gets exactly one
 * completion: at once, or for CONNECT and ACCEPT when the connection is
 * there (room for it in the completion queue is kept meanwhile).
 */

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "app.h"
#include "netif_priv.h"

/* ---- commands ---- */

/**
 * app_cmd_sock() - whether a command's socket is the application's
 * @a:	context
 * @i:	index from the command
 *
 * Return: the slot or NULL
 */
static struct app_sock *app_cmd_sock(struct app_ctx *a, uint32_t i)
{
	if (i >= APP_NSOCKS || !a->socks[i].type || a->socks[i].hidden)
		return NULL;
	return &a->socks[i];
}

/**
 * app_cmd_stream_conn() - the TCP connection of a stream socket, made on
 * first use
 * @a:	context
 * @i:	slot
 *
 * Return: it, or NULL when the endpoint's pool is exhausted
 */
static struct ep_conn *app_cmd_stream_conn(struct app_ctx *a, uint32_t i)
{
	struct app_sock *s = &a->socks[i];

	if (s->ec)
		return s->ec;
	s->ec = ep_tcp_new(a->ep, &app_sock_tcp_ops, a, i);
	if (!s->ec)
		return NULL;
	ep_tcp_set_rings(a->ep, s->ec, app_sock_ptr(a, s->sbuf), s->ssize,
			 app_sock_ptr(a, s->rbuf), s->rsize);
	s->ec->tcp.cfg.nodelay = s->nodelay;
	s->ec->tcp.cfg.keepalive = s->keepalive;
	s->err_taken = false; /* a connection of its own */
	return s->ec;
}

static void app_cmd_close(struct app_ctx *a, uint32_t i, bool abort);

/**
 * app_cmd_port_taken() - whether a stream socket may not bind @port
 * @ep:		endpoint
 * @port:	local port, not 0
 * @reuse:	the binding socket has SO_REUSEADDR
 *
 * As Linux (inet_csk_bind_conflict()), a port is taken by a listener,
 * and by a socket bound to it and not listening yet unless both have
 * SO_REUSEADDR; two servers binding one port learn it at bind(), not at
 * the second listen(). Connections, and TIME-WAIT, do not hold a port
 * here: binding over them is allowed as before. The bound sockets are
 * counted per port (app_sock_bound()), so that the look costs the same
 * whatever the applications hold.
 *
 * Return: true if taken
 */
static bool app_cmd_port_taken(struct ep *ep, uint16_t port, bool reuse)
{
	const uint32_t *b = ep->tcp.bound;

	if (ep_tcp_port_used(ep, port))
		return true;
	if (!b[port])
		return false;
	return !reuse || b[port] != b[EP_PORTS + port];
}

/**
 * app_cmd_backlog() - a listener's backlog from LISTEN's arg
 * @arg:	listen()'s backlog (an int: a negative one is huge here)
 *
 * As Linux: __sys_listen() caps it at somaxconn (4096 by default; a
 * negative one too, taken as unsigned), and the accept queue is full
 * only beyond sk_max_ack_backlog (sk_acceptq_is_full()), so listen(fd, 0)
 * still lets one connection wait. TCP's backlog counts the connections
 * that may wait: one more.
 *
 * Return: the backlog, in [1, 4097]
 */
static uint16_t app_cmd_backlog(uint32_t arg)
{
	return (uint16_t)((arg > 4096 ? 4096 : arg) + 1);
}

/**
 * app_cmd_unlisten() - a listener goes: the ACCEPTs waiting on it fail,
 * the connections it has not handed over are reset
 * @a:		context
 * @i:		slot
 * @res:	what the ACCEPTs complete with
 */
static void app_cmd_unlisten(struct app_ctx *a, uint32_t i, int32_t res)
{
	struct app_sock *s = &a->socks[i];

	app_sock_accept_cancel(a, i, res);
	while (s->ahead != EP_NONE) {
		uint32_t ci = s->ahead;

		s->ahead = a->socks[ci].anext;
		a->socks[ci].hidden = true;
		a->socks[ci].listener = EP_NONE;
		app_cmd_close(a, ci, true);
	}
	s->atail = EP_NONE;
	s->aq = 0;
}

/**
 * app_cmd_disconnect() - shutdown() of a stream whose SYN is out: as
 * Linux (inet_shutdown() on SYN_SENT calls tcp_disconnect(), whatever
 * the direction), the attempt ends (no reset: the peer knows nothing of
 * it), the error is ECONNRESET, and the socket is unconnected again: it
 * may connect again, and a port it got for the attempt goes back
 * @a:	context
 * @i:	slot (CONNECTING, TCP in SYN-SENT)
 */
static void app_cmd_disconnect(struct app_ctx *a, uint32_t i)
{
	struct app_sock *s = &a->socks[i];

	/* Ours, not TCP's (ECONNABORTED): TCP's is not raised at the sync */
	s->err = ECONNRESET;
	s->events |= VSAPP_EV_ERR;
	s->err_taken = true;
	if (s->connecting) {
		s->connecting = false;
		a->inflight--;
		if (!s->connect_nb) { /* returned and taken, as it failed */
			s->err = 0;
			s->events &= ~(uint32_t)VSAPP_EV_ERR;
		}
		app_sock_post(a, s->connect_tag, -ECONNRESET, i, 0, 0);
	}
	/* released at once (app_sock_tcp_release()): s->ec is NULL */
	ep_tcp_close(a->ep, s->ec, true);
	s->state = VSAPP_S_OPEN;
	s->raddr = 0;
	s->rport = 0;
	if (s->port_locked)
		app_sock_bound(a, i, true); /* still bound, as before */
	else
		s->lport = 0;
	app_sock_shm(a, i)->lport = s->lport;
	app_sock_shm(a, i)->raddr = 0;
	app_sock_shm(a, i)->rport = 0;
	app_sock_sync(a, i);
}

/**
 * app_cmd_close() - CLOSE: the slot is free at once; TCP keeps the rings
 * @a:		context
 * @i:		slot
 * @abort:	reset instead of an orderly close
 */
static void app_cmd_close(struct app_ctx *a, uint32_t i, bool abort)
{
	struct app_sock *s = &a->socks[i];
	struct ep_conn *ec = s->ec;

	if (!abort && s->type == VSAPP_SOCK_STREAM && !s->hidden)
		app_run_sock(a, i); /* data written before the close */
	ec = s->ec;
	if (s->connecting) {
		s->connecting = false;
		a->inflight--;
		app_sock_post(a, s->connect_tag, -ECONNABORTED, i, 0, 0);
	}
	if (s->state == VSAPP_S_LISTEN || s->ahead != EP_NONE)
		app_cmd_unlisten(a, i, -ECONNABORTED);
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
		s = app_cmd_sock(a, c->sock);
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
		ssz = app_sock_ring_size(c->arg2);
		rsz = app_sock_ring_size(c->arg3);
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
			r = s->reuseaddr ? udp_bind_shared(&ep->ni, c->port)
					 : udp_bind(&ep->ni, c->port);
			if (r >= 0) {
				app_sock_udp_own(a, c->sock, r);
				s->port_locked = c->port != 0;
				r = 0;
			}
			*res = r;
		} else {
			*res = c->port && app_cmd_port_taken(ep, c->port,
							     s->reuseaddr)
				       ? -EADDRINUSE
				       : 0;
			if (!*res) {
				s->lport = c->port;
				s->port_locked = c->port != 0;
				app_sock_bound(a, c->sock, true);
			}
		}
		app_sock_shm(a, c->sock)->lport = s->lport;
		return true;
	case VSAPP_OP_LISTEN:
		if (s->type == VSAPP_SOCK_STREAM &&
		    s->state == VSAPP_S_LISTEN && s->ec) {
			/* Again on a listener: as Linux (inet_listen()), only
			 * the backlog changes. */
			s->backlog = app_cmd_backlog(c->arg);
			s->ec->tcp.cfg.backlog = s->backlog;
			*res = 0;
			return true;
		}
		if (s->type != VSAPP_SOCK_STREAM || s->state != VSAPP_S_OPEN) {
			*res = -EINVAL;
			return true;
		}
		ec = app_cmd_stream_conn(a, c->sock);
		if (!ec) {
			*res = -ENOBUFS;
			return true;
		}
		if (!s->lport) {
			/* An ephemeral port no socket holds: as Linux
			 * (inet_csk_get_port() with port 0), the bind
			 * conflict check, with no SO_REUSEADDR exception
			 * since this socket is about to listen. */
			uint32_t k, p0 = (uint32_t)(ep->tcp.secret[0] >> 7);

			for (k = 0; k < 16384; k++) {
				uint16_t p =
					(uint16_t)(49152 + (p0 + k) % 16384);

				if (!app_cmd_port_taken(ep, p, false)) {
					s->lport = p;
					break;
				}
			}
			if (!s->lport) {
				*res = -EADDRINUSE; /* as Linux: none free */
				return true;
			}
		}
		s->backlog = app_cmd_backlog(c->arg);
		*res = ep_tcp_listen(ep, ec, s->lport, s->backlog);
		if (!*res) {
			app_sock_bound(a, c->sock, false);
			s->state = VSAPP_S_LISTEN;
			app_sock_shm(a, c->sock)->lport = s->lport;
			app_sock_sync(a, c->sock);
		}
		return true;
	case VSAPP_OP_ACCEPT:
		if (s->state != VSAPP_S_LISTEN) {
			*res = -EINVAL;
			return true;
		}
		if (s->aq) {
			app_sock_accept_give(a, c->sock, c->tag);
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
			/* As Linux (ip4_datagram_connect()): a broadcast
			 * peer needs SO_BROADCAST. */
			if (c->addr && !s->broadcast &&
			    netif_is_bcast(&ep->ni, (be32_t){c->addr})) {
				*res = -EACCES;
				return true;
			}
			/* As Linux (inet_autobind()): connecting an unbound
			 * socket gives it its ephemeral port now, so that
			 * getsockname() tells the port its datagrams will
			 * come from. */
			if (s->udp < 0 && c->addr) {
				r = s->reuseaddr ? udp_bind_shared(&ep->ni, 0)
						 : udp_bind(&ep->ni, 0);
				if (r < 0) {
					*res = r;
					return true;
				}
				app_sock_udp_own(a, c->sock, r);
			}
			if (!c->addr && !c->port && s->udp >= 0 &&
			    !s->port_locked) {
				/* As Linux (udp_disconnect()): dissolving the
				 * association gives back a port the socket
				 * got automatically (or bound as port 0); the
				 * next send or connect picks one again. What
				 * the application wrote before goes first,
				 * from the old port. */
				app_run_sock(a, c->sock);
				app_sock_udp_release(a, c->sock);
				app_sock_shm(a, c->sock)->lport = 0;
			}
			s->raddr = c->addr;
			s->rport = c->port;
			if (s->udp >= 0)
				udp_set_peer(&ep->ni, s->udp, (be32_t){c->addr},
					     c->port);
			app_sock_shm(a, c->sock)->raddr = c->addr;
			app_sock_shm(a, c->sock)->rport = c->port;
			*res = 0;
			return true;
		}
		if (s->state != VSAPP_S_OPEN) {
			*res = s->state == VSAPP_S_CONNECTING ? -EALREADY
							      : -EISCONN;
			return true;
		}
		ec = app_cmd_stream_conn(a, c->sock);
		if (!ec) {
			*res = -ENOBUFS;
			return true;
		}
		s->raddr = c->addr;
		s->rport = c->port;
		s->connecting = true;
		s->connect_nb = (c->arg & VSAPP_F_NONBLOCK) != 0;
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
		app_sock_bound(a, c->sock, false);
		s->lport = ec->tcp.lport;
		app_sock_shm(a, c->sock)->lport = s->lport;
		app_sock_shm(a, c->sock)->raddr = s->raddr;
		app_sock_shm(a, c->sock)->rport = s->rport;
		app_sock_sync(a, c->sock);
		return false;
	case VSAPP_OP_SHUTDOWN:
		if (c->arg > SHUT_RDWR) {
			*res = -EINVAL;
			return true;
		}
		if (s->type == VSAPP_SOCK_STREAM &&
		    s->state == VSAPP_S_CONNECTING && s->ec &&
		    s->ec->tcp.state == TCP_SYN_SENT) {
			app_cmd_disconnect(a, c->sock);
			*res = 0;
			return true;
		}
		if (c->arg != SHUT_WR && s->state == VSAPP_S_LISTEN) {
			/* As Linux (tcp_disconnect()): the listener stops, and
			 * an accept() blocked on it returns EINVAL. TCP gives
			 * the slot back its rings (app_sock_tcp_release()). */
			app_cmd_unlisten(a, c->sock, -EINVAL);
			ep_tcp_close(ep, s->ec, true);
			*res = 0;
			return true;
		}
		if (s->state == VSAPP_S_LISTEN) {
			/* SHUT_WR: a listener has nothing to send; as Linux
			 * (inet_shutdown()) it goes on, and the call succeeds.
			 */
			*res = 0;
			return true;
		}
		if (c->arg != SHUT_WR) {
			s->rd_shut = true;
			/* a stream's is TCP's EOF too (app_sock_sync()) */
			if (s->type == VSAPP_SOCK_DGRAM)
				s->events |= VSAPP_EV_EOF;
			app_sock_sync(a, c->sock); /* EOF, wakes a reader */
		}
		if (c->arg != SHUT_RD && s->type == VSAPP_SOCK_DGRAM &&
		    !s->wr_shut) {
			/* As Linux (SEND_SHUTDOWN): later sends fail with
			 * EPIPE, here or in libvstack; what was written
			 * before goes first. */
			app_run_sock(a, c->sock);
			s->wr_shut = true;
			s->events |= VSAPP_EV_SHUTWR;
			app_sock_sync(a, c->sock);
		}
		/* As Linux (inet_shutdown() on TCP_CLOSE): a stream never
		 * connected or already closed, and a datagram socket with no
		 * peer, answer ENOTCONN; SHUT_RD, and a datagram socket's
		 * SHUT_WR, have taken effect all the same. */
		if (s->type == VSAPP_SOCK_DGRAM
			    ? !s->raddr && !s->rport
			    : s->state == VSAPP_S_OPEN ||
				      s->state == VSAPP_S_CLOSED) {
			*res = -ENOTCONN;
			return true;
		}
		*res = 0;
		if (c->arg != SHUT_RD && s->type == VSAPP_SOCK_STREAM) {
			if (!s->ec || s->state != VSAPP_S_CONNECTED) {
				*res = -ENOTCONN;
				return true;
			}
			app_run_sock(a, c->sock);
			if (s->ec) {
				ep_tcp_touch(ep, s->ec);
				*res = tcp_shutdown(&s->ec->tcp, ep->now);
				app_sock_sync(a, c->sock);
			}
		}
		return true;
	case VSAPP_OP_CLOSE:
		app_cmd_close(a, c->sock, c->arg & VSAPP_F_ABORT);
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
		case VSAPP_OPT_BROADCAST:
			s->broadcast = c->arg2 != 0;
			break;
		case VSAPP_OPT_REUSEADDR:
			if (s->bound) {
				/* counted again, as it is now */
				app_sock_bound(a, c->sock, false);
				s->reuseaddr = c->arg2 != 0;
				app_sock_bound(a, c->sock, true);
			}
			s->reuseaddr = c->arg2 != 0;
			if (s->udp >= 0)
				udp_set_shared(&ep->ni, s->udp, s->reuseaddr);
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
		case VSAPP_OPT_BROADCAST:
			*res = s->broadcast;
			break;
		case VSAPP_OPT_ERROR:
			*res = app_sock_take_error(a, c->sock);
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
 * app_cmd_service() - take commands while the completion queue has room
 * @a:	context
 *
 * Return: true if any was taken
 */
bool app_cmd_service(struct app_ctx *a)
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
	while (a->sq_head != tail && n < APP_CMDS_PER_POLL &&
	       app_sock_cq_room(a)) {
		struct vsapp_cmd c;
		int32_t res = 0;

		memcpy(&c, &q[a->sq_head & (APP_SQ_ENTRIES - 1)], sizeof(c));
		a->sq_head++;
		atomic_store_explicit(&a->shm->sq_head, a->sq_head,
				      memory_order_release);
		if (app_cmd(a, &c, &res))
			app_sock_post(a, c.tag, res, c.sock, 0, 0);
		n++;
	}
	return n > 0;
}
