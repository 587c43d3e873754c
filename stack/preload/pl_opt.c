// SPDX-License-Identifier: MIT
/*
 * pl_opt.c - libvstack-preload: socket options and addresses of vstack sockets
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/time.h>

#include "pl_priv.h"

/**
 * pl_opt_int() - an int option's value from setsockopt()
 * @val:	the value
 * @len:	its length
 * @out:	the int
 *
 * Return: 0, or EINVAL / EFAULT
 */
static int pl_opt_int(const void *val, socklen_t len, int *out)
{
	if (!val)
		return EFAULT;
	if (len < sizeof(int))
		return EINVAL;
	memcpy(out, val, sizeof(int));
	return 0;
}

/**
 * pl_opt_timeo() - SO_RCVTIMEO/SO_SNDTIMEO as nanoseconds
 * @val:	struct timeval
 * @len:	its length
 * @ns:		the result, 0 for none
 *
 * Return: 0, or EINVAL / EDOM
 */
static int pl_opt_timeo(const void *val, socklen_t len, int64_t *ns)
{
	struct timeval tv;

	if (!val || len < sizeof(tv))
		return EINVAL;
	memcpy(&tv, val, sizeof(tv));
	if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
		return EDOM;
	*ns = tv.tv_sec < 0 ? 0
			    : (int64_t)tv.tv_sec * 1000000000 +
				      (int64_t)tv.tv_usec * 1000;
	return 0;
}

/**
 * pl_setopt() - setsockopt() on a vstack socket
 * @ctx:	the context
 * @s:		the socket
 * @level:	SOL_SOCKET, IPPROTO_TCP, IPPROTO_IP
 * @name:	the option
 * @val:	its value
 * @len:	its length
 *
 * Passed to vstackd: SO_REUSEADDR, SO_KEEPALIVE, TCP_NODELAY,
 * SO_BROADCAST. Kept here: SO_RCVTIMEO, SO_SNDTIMEO. Accepted and ignored
 * (the shared stack sizes and times its connections itself): SO_REUSEPORT,
 * SO_RCVBUF, SO_SNDBUF, SO_LINGER, SO_PRIORITY, SO_RCVLOWAT, TCP_KEEPIDLE,
 * TCP_KEEPINTVL, TCP_KEEPCNT, TCP_CORK, TCP_QUICKACK, TCP_USER_TIMEOUT,
 * TCP_DEFER_ACCEPT, TCP_MAXSEG, TCP_NOTSENT_LOWAT, IP_TOS, IP_TTL,
 * IP_MTU_DISCOVER, IP_RECVERR. Anything else: ENOPROTOOPT.
 *
 * Return: 0, or a positive errno
 */
static int pl_setopt(struct vs_ctx *ctx, struct pl_sock *s, int level,
		     int name, const void *val, socklen_t len)
{
	int v = 0, err, vsopt = 0, *keep = NULL;

	if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO))
		return pl_opt_timeo(val, len,
				    name == SO_RCVTIMEO ? &s->rcvtimeo_ns
							: &s->sndtimeo_ns);
	if (level == SOL_SOCKET && name == SO_LINGER)
		return val && len >= sizeof(struct linger) ? 0 : EINVAL;
	err = pl_opt_int(val, len, &v);
	if (err)
		return err;
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_REUSEADDR:
			vsopt = VS_OPT_REUSEADDR, keep = &s->opt_reuseaddr;
			break;
		case SO_KEEPALIVE:
			vsopt = VS_OPT_KEEPALIVE, keep = &s->opt_keepalive;
			break;
		case SO_REUSEPORT:
			keep = &s->opt_reuseport;
			break;
		case SO_RCVBUF:
			keep = &s->opt_rcvbuf;
			break;
		case SO_SNDBUF:
			keep = &s->opt_sndbuf;
			break;
		case SO_BROADCAST:
			vsopt = VS_OPT_BROADCAST, keep = &s->opt_broadcast;
			break;
		case SO_PRIORITY:
		case SO_RCVLOWAT:
			return 0;
		default:
			return ENOPROTOOPT;
		}
	} else if (level == IPPROTO_TCP) {
		switch (name) {
		case TCP_NODELAY:
			vsopt = VS_OPT_NODELAY, keep = &s->opt_nodelay;
			break;
		case TCP_KEEPIDLE:
		case TCP_KEEPINTVL:
		case TCP_KEEPCNT:
		case TCP_CORK:
		case TCP_QUICKACK:
		case TCP_USER_TIMEOUT:
		case TCP_DEFER_ACCEPT:
		case TCP_MAXSEG:
		case TCP_NOTSENT_LOWAT:
			return 0;
		default:
			return ENOPROTOOPT;
		}
	} else if (level == IPPROTO_IP) {
		switch (name) {
		case IP_TOS:
		case IP_TTL:
		case IP_MTU_DISCOVER:
		case IP_RECVERR:
			return 0;
		default:
			return ENOPROTOOPT;
		}
	} else {
		return ENOPROTOOPT;
	}
	if (vsopt && (s->type == SOCK_STREAM || vsopt == VS_OPT_REUSEADDR ||
		      vsopt == VS_OPT_BROADCAST)) {
		if (vs_setsockopt(ctx, s->vs, vsopt, v != 0))
			err = errno;
		pl_notify_all();
		if (err)
			return err;
	}
	*keep = v;
	return 0;
}

/**
 * setsockopt() - see pl_setopt()
 */
PL_API int setsockopt(int fd, int level, int name, const void *val,
		      socklen_t len)
{
	struct vs_ctx *ctx;
	struct pl_sock *s;
	int err;

	err = pl_begin(fd, &s, &ctx);
	if (err <= 0)
		return err ? err : PL_REAL(setsockopt)(fd, level, name, val, len);
	err = pl_setopt(ctx, s, level, name, val, len);
	return (int)pl_done(s, err ? pl_fail(err) : 0);
}

/**
 * pl_tcp_info() - TCP_INFO as far as the shared stack tells: the state
 * and the MSS; the counters and timings stay zero
 * @ctx:	the context
 * @s:		the socket
 * @ti:		filled in
 */
static void pl_tcp_info(struct vs_ctx *ctx, struct pl_sock *s,
			struct tcp_info *ti)
{
	struct sockaddr_in sa;

	memset(ti, 0, sizeof(*ti));
	if (atomic_load(&s->listening))
		ti->tcpi_state = TCP_LISTEN;
	else if (!vs_getpeername(ctx, s->vs, &sa))
		ti->tcpi_state = TCP_ESTABLISHED;
	else
		ti->tcpi_state = TCP_CLOSE;
	ti->tcpi_snd_mss = ti->tcpi_rcv_mss = ti->tcpi_advmss = 1460;
	ti->tcpi_pmtu = 1500;
}

/**
 * pl_getopt() - getsockopt() on a vstack socket
 * @ctx:	the context
 * @s:		the socket
 * @level:	SOL_SOCKET, IPPROTO_TCP, IPPROTO_IP
 * @name:	the option
 * @val:	where to put it
 * @len:	its room in, the value's length out
 *
 * TCP_CONGESTION reads "cubic" (the shared stack's default), TCP_MAXSEG
 * 1460; SO_RCVBUF/SO_SNDBUF are the ring sizes.
 *
 * Return: 0, or a positive errno
 */
static int pl_getopt(struct vs_ctx *ctx, struct pl_sock *s, int level,
		     int name, void *val, socklen_t *len)
{
	struct tcp_info ti;
	struct timeval tv;
	struct linger lg = {0};
	const void *src = NULL;
	socklen_t srclen = sizeof(int);
	int v = 0;

	if (!val || !len)
		return EFAULT;
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_TYPE:
			v = s->type;
			break;
		case SO_DOMAIN:
			v = AF_INET;
			break;
		case SO_PROTOCOL:
			v = s->type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
			break;
		case SO_ERROR:
			v = pl_sock_error(ctx, s);
			break;
		case SO_ACCEPTCONN:
			v = atomic_load(&s->listening);
			break;
		case SO_REUSEADDR:
			v = s->opt_reuseaddr;
			break;
		case SO_REUSEPORT:
			v = s->opt_reuseport;
			break;
		case SO_KEEPALIVE:
			v = s->opt_keepalive;
			break;
		case SO_BROADCAST:
			v = s->opt_broadcast;
			break;
		case SO_RCVBUF:
		case SO_SNDBUF:
			if (vs_getsockopt(ctx, s->vs,
					  name == SO_RCVBUF ? VS_OPT_RCVBUF
							    : VS_OPT_SNDBUF,
					  &v))
				return errno;
			pl_notify_all();
			break;
		case SO_RCVTIMEO:
		case SO_SNDTIMEO: {
			int64_t ns = name == SO_RCVTIMEO ? s->rcvtimeo_ns
							 : s->sndtimeo_ns;

			tv.tv_sec = ns / 1000000000;
			tv.tv_usec = (ns % 1000000000) / 1000;
			src = &tv, srclen = sizeof(tv);
			break;
		}
		case SO_LINGER:
			src = &lg, srclen = sizeof(lg);
			break;
		default:
			return ENOPROTOOPT;
		}
	} else if (level == IPPROTO_TCP && s->type == SOCK_STREAM) {
		switch (name) {
		case TCP_NODELAY:
			v = s->opt_nodelay;
			break;
		case TCP_MAXSEG:
			v = 1460;
			break;
		case TCP_INFO:
			pl_tcp_info(ctx, s, &ti);
			src = &ti, srclen = sizeof(ti);
			break;
		case TCP_CONGESTION:
			src = "cubic", srclen = sizeof("cubic");
			break;
		default:
			return ENOPROTOOPT;
		}
	} else if (level == IPPROTO_IP) {
		switch (name) {
		case IP_TOS:
			v = 0;
			break;
		case IP_TTL:
			v = 64;
			break;
		default:
			return ENOPROTOOPT;
		}
	} else {
		return ENOPROTOOPT;
	}
	if (!src)
		src = &v;
	if (*len < srclen)
		srclen = *len;
	memcpy(val, src, srclen);
	*len = srclen;
	return 0;
}

/**
 * getsockopt() - see pl_getopt()
 */
PL_API int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	struct vs_ctx *ctx;
	struct pl_sock *s;
	int err;

	err = pl_begin(fd, &s, &ctx);
	if (err <= 0)
		return err ? err : PL_REAL(getsockopt)(fd, level, name, val, len);
	err = pl_getopt(ctx, s, level, name, val, len);
	return (int)pl_done(s, err ? pl_fail(err) : 0);
}

/**
 * pl_name() - getsockname() and getpeername() on a vstack socket
 * @fd:		the descriptor
 * @addr:	where to put the address
 * @len:	its room in, the address's length out
 * @peer:	the peer's address rather than ours
 *
 * Return: 0, or -1 with errno; -2 for a kernel descriptor
 */
static int pl_name(int fd, struct sockaddr *addr, socklen_t *len, bool peer)
{
	struct sockaddr_in sa;
	struct vs_ctx *ctx;
	struct pl_sock *s;
	int r;

	r = pl_begin(fd, &s, &ctx);
	if (r <= 0)
		return r ? r : -2;
	if (!addr || !len)
		return (int)pl_done(s, pl_fail(EFAULT));
	r = peer ? vs_getpeername(ctx, s->vs, &sa)
		 : vs_getsockname(ctx, s->vs, &sa);
	/* Waiting for vstackd to come back: where it will be made again */
	if (r && errno == ECONNABORTED && !peer && pl_noted_local(s, &sa))
		r = 0;
	if (!r)
		pl_addr_out(&sa, addr, len);
	return (int)pl_done(s, r);
}

/** getsockname() - the local address and port */
PL_API int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	int r = pl_name(fd, addr, len, false);

	return r == -2 ? PL_REAL(getsockname)(fd, addr, len) : r;
}

/** getpeername() - the peer */
PL_API int getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	int r = pl_name(fd, addr, len, true);

	return r == -2 ? PL_REAL(getpeername)(fd, addr, len) : r;
}
