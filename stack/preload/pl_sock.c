// SPDX-License-Identifier: MIT
/*
 * pl_sock.c - libvstack-preload: the socket calls, data calls,
 * descriptors (close, dup, fcntl, ioctl) and options
 *
 * Which sockets are vstack's: socket(AF_INET, SOCK_STREAM or SOCK_DGRAM,
 * 0 or the matching protocol), with SOCK_NONBLOCK and SOCK_CLOEXEC. Every
 * other socket goes to the kernel untouched; so do AF_INET6 ones unless
 * VSTACK_PRELOAD_INET6=refuse (then they fail with EAFNOSUPPORT and a
 * program that tries IPv6 first falls back to IPv4).
 *
 * Loopback. The endpoint cannot reach 127.0.0.0/8. A socket not yet known
 * to vstackd (not bound, not connected) that binds, connects or sends to
 * a loopback address moves to the kernel: a kernel socket with the same
 * options is dup3()ed onto its descriptor, so the number stays. INADDR_ANY
 * means the endpoint's address.
 *
 * Blocking. libvstack sockets are all non-blocking; a blocking call waits
 * in pl_wait_sock() (see pl_core.c), which a close() from another thread
 * ends with EBADF, and which honours SO_RCVTIMEO/SO_SNDTIMEO (EAGAIN;
 * EINPROGRESS for connect(), as Linux).
 * A signal handler ends a wait with EINTR, unless every handler has
 * SA_RESTART and the socket no timeout: then the call goes on, as on Linux
 * (signal(7)). Writing to a connection the peer closed fails
 * with EPIPE and raises SIGPIPE unless MSG_NOSIGNAL, as on Linux.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "pl_priv.h"

/**
 * pl_vs_type() - the libvstack type for a socket() call, if it is ours
 * @domain:	socket()'s domain
 * @type:	its type without flags
 * @proto:	its protocol
 *
 * Return: VS_SOCK_STREAM, VS_SOCK_DGRAM, or 0 for the kernel
 */
static int pl_vs_type(int domain, int type, int proto)
{
	if (domain != AF_INET)
		return 0;
	if (type == SOCK_STREAM && (proto == 0 || proto == IPPROTO_TCP))
		return VS_SOCK_STREAM;
	if (type == SOCK_DGRAM && (proto == 0 || proto == IPPROTO_UDP))
		return VS_SOCK_DGRAM;
	return 0;
}

/**
 * pl_new_fd() - name a fresh libvstack socket with a descriptor
 * @c:		its context
 * @vs:		the socket
 * @type:	SOCK_STREAM or SOCK_DGRAM
 * @flags:	SOCK_NONBLOCK, SOCK_CLOEXEC
 *
 * The libvstack socket is closed on failure.
 *
 * Return: the descriptor, or -1 with errno
 */
static int pl_new_fd(struct pl_ctx *c, int vs, int type, int flags)
{
	struct vs_ctx *ctx = c->vs;
	struct pl_sock *s;
	int fd, err;

	if (vs_set_nonblock(ctx, vs, 1))
		goto fail;
	fd = pl_placeholder();
	if (fd < 0)
		goto fail;
	s = pl_sock_new(c, vs, type);
	if (!s || pl_install(fd, s)) {
		err = errno;
		pl_sock_discard(s); /* its context reference and count */
		PL_REAL(close)(fd);
		errno = err;
		goto fail;
	}
	atomic_store(&s->nonblock, (flags & SOCK_NONBLOCK) != 0);
	pl_fd_set_cloexec(fd, flags & SOCK_CLOEXEC);
	return fd;
fail:
	err = errno;
	(void)vs_close(ctx, vs);
	errno = err;
	return -1;
}

/**
 * socket() - AF_INET stream and datagram sockets on the shared stack
 */
PL_API int socket(int domain, int type, int protocol)
{
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	int vt = pl_vs_type(domain, base, protocol), vs, fd, err;
	struct pl_ctx *c;

	if (domain == AF_INET6 && pl_inet6_refused())
		return pl_fail(EAFNOSUPPORT);
	if (!vt)
		return PL_REAL(socket)(domain, type, protocol);
	c = pl_ctx_get(false);
	if (!c) {
		if (pl_fallback_kernel())
			return PL_REAL(socket)(domain, type, protocol);
		return -1;
	}
	vs = vs_socket(c->vs, vt);
	err = errno;
	pl_notify_all();
	if (vs < 0) {
		pl_ctx_put(c);
		return pl_fail(err);
	}
	fd = pl_new_fd(c, vs, base, type);
	err = errno;
	pl_ctx_put(c);
	pl_notify_all();
	errno = err;
	return fd;
}

/**
 * pl_is_loopback() - is an address in 127.0.0.0/8
 * @sa:		AF_INET address
 *
 * Return: true when it is
 */
bool pl_is_loopback(const struct sockaddr_in *sa)
{
	return (ntohl(sa->sin_addr.s_addr) >> 24) == 127;
}

/**
 * pl_inet() - check and copy an AF_INET address from a caller
 * @addr:	the caller's address
 * @len:	its length
 * @out:	the copy
 *
 * Return: 0, or a positive errno (EFAULT, EINVAL, EAFNOSUPPORT)
 */
int pl_inet(const struct sockaddr *addr, socklen_t len,
		   struct sockaddr_in *out)
{
	if (!addr)
		return EFAULT;
	if (len < sizeof(*out))
		return EINVAL;
	memcpy(out, addr, sizeof(*out));
	if (out->sin_family != AF_INET)
		return EAFNOSUPPORT;
	return 0;
}

/**
 * pl_to_kernel() - move a socket vstackd has not seen used to the kernel
 * @fd:		its descriptor (stays the same number)
 * @s:		the socket (the caller's reference is kept)
 *
 * Return: 0 (fd is now a kernel socket), or -1 with errno
 */
int pl_to_kernel(int fd, struct pl_sock *s)
{
	int one = 1, k, err;
	struct pl_sock *old;

	if (atomic_load(&s->bound) || atomic_load(&s->nfds) != 1)
		return pl_fail(EADDRNOTAVAIL);
	k = PL_REAL(socket)(AF_INET,
			    s->type | SOCK_CLOEXEC |
				    (atomic_load(&s->nonblock) ? SOCK_NONBLOCK
							       : 0),
			    0);
	if (k < 0)
		return -1;
	if (s->opt_reuseaddr)
		PL_REAL(setsockopt)(k, SOL_SOCKET, SO_REUSEADDR, &one,
				    sizeof(one));
	if (s->opt_reuseport)
		PL_REAL(setsockopt)(k, SOL_SOCKET, SO_REUSEPORT, &one,
				    sizeof(one));
	if (s->opt_keepalive)
		PL_REAL(setsockopt)(k, SOL_SOCKET, SO_KEEPALIVE, &one,
				    sizeof(one));
	if (s->opt_broadcast)
		PL_REAL(setsockopt)(k, SOL_SOCKET, SO_BROADCAST, &one,
				    sizeof(one));
	if (s->opt_nodelay)
		PL_REAL(setsockopt)(k, IPPROTO_TCP, TCP_NODELAY, &one,
				    sizeof(one));
	old = pl_uninstall(fd);
	if (PL_REAL(dup3)(k, fd, pl_fd_cloexec(fd) ? O_CLOEXEC : 0) < 0) {
		err = errno;
		if (old)
			pl_install(fd, old), pl_drop_fd(old);
		PL_REAL(close)(k);
		return pl_fail(err);
	}
	PL_REAL(close)(k);
	if (old)
		pl_drop_fd(old);
	return 0;
}

/**
 * pl_kernel_now() - move a socket to the kernel for a loopback address
 * @fd:		its descriptor
 * @s:		the socket; the caller's reference is dropped
 *
 * Return: 0 (the caller makes the call on the kernel socket), or -1 with
 * errno
 */
int pl_kernel_now(int fd, struct pl_sock *s)
{
	int r = pl_to_kernel(fd, s);

	return (int)pl_done(s, r);
}

/**
 * pl_done() - end a call: leave its context, drop the reference, keep
 * errno
 * @s:		the socket
 * @ret:	the call's result
 *
 * Return: @ret
 */
long pl_done(struct pl_sock *s, long ret)
{
	int err = errno;

	pl_leave();
	pl_put(s);
	errno = err;
	return ret;
}

/**
 * pl_begin() - look a descriptor up for a call
 * @fd:		the descriptor
 * @sp:		the socket, with a reference (pl_done() drops it)
 * @ctxp:	its context
 *
 * Return: 1 a vstack socket, 0 a kernel descriptor (the caller asks
 * libc), -1 with errno (EBADFD after fork; nothing held)
 */
int pl_begin(int fd, struct pl_sock **sp, struct vs_ctx **ctxp)
{
	*sp = pl_get(fd);
	if (!*sp)
		return 0;
	*ctxp = pl_enter(*sp);
	if (!*ctxp)
		return (int)pl_done(*sp, -1);
	return 1;
}

/**
 * pl_ctl_done() - end a control call: wake the waiters, drop the reference
 * @s:		the socket
 * @ret:	the call's result, errno set when -1
 *
 * A control call may have drained the context's wake-up in libvstack's own
 * wait (pl_core.c, "Waiting"): every waiter looks again.
 *
 * Return: @ret, errno kept
 */
static int pl_ctl_done(struct pl_sock *s, int ret)
{
	int err = errno;

	pl_notify_all();
	errno = err;
	return (int)pl_done(s, ret);
}

/**
 * pl_again() - a call on @s could not go on: wait, or fail
 * @s:		the socket
 * @err:	what libvstack said
 * @gen:	its in_gen or out_gen, moved for EPOLLET
 * @flags:	the call's flags (MSG_DONTWAIT)
 * @events:	POLLIN or POLLOUT to wait for
 * @timeout_ns:	SO_RCVTIMEO or SO_SNDTIMEO, 0 for none
 * @ctxp:	the call's context, entered again after the wait
 *
 * EAGAIN waits (unless non-blocking). So does ECONNABORTED on a socket
 * that is made again on the next vstackd (pl_revive()): after the wait it
 * may live in a new context, hence @ctxp.
 *
 * Return: 0 to try again, or the errno to fail with
 */
int pl_again(struct pl_sock *s, int err, _Atomic unsigned *gen, int flags,
	     short events, int64_t timeout_ns, struct vs_ctx **ctxp)
{
	if (err == ECONNABORTED && pl_revive(s) != -EINVAL)
		err = EAGAIN;
	if (err != EAGAIN)
		return err;
	atomic_fetch_add(gen, 1);
	if (atomic_load(&s->nonblock) || (flags & MSG_DONTWAIT))
		return EAGAIN;
	err = -pl_wait_sock(s, events, timeout_ns);
	if (err)
		return err;
	*ctxp = pl_enter(s);
	return *ctxp ? 0 : errno;
}

/**
 * bind() - INADDR_ANY is the endpoint's address; loopback goes to the
 * kernel
 */
PL_API int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct sockaddr_in sa;
	struct vs_ctx *ctx;
	struct pl_sock *s;
	int r, err;

	r = pl_begin(fd, &s, &ctx);
	if (r <= 0)
		return r ? r : PL_REAL(bind)(fd, addr, len);
	err = pl_inet(addr, len, &sa);
	if (err)
		return pl_done(s, pl_fail(err));
	if (pl_is_loopback(&sa))
		return pl_kernel_now(fd, s) ? -1 : PL_REAL(bind)(fd, addr, len);
	r = vs_bind(ctx, s->vs, &sa);
	if (!r) {
		atomic_store(&s->bound, true);
		if (s->type == SOCK_DGRAM)
			pl_note_local(ctx, s); /* for a vstackd restart */
	}
	return pl_ctl_done(s, r);
}

/**
 * listen() - make a listener
 */
PL_API int listen(int fd, int backlog)
{
	struct vs_ctx *ctx;
	struct pl_sock *s;
	int r;

	r = pl_begin(fd, &s, &ctx);
	if (r <= 0)
		return r ? r : PL_REAL(listen)(fd, backlog);
	/* Again on a listener (nginx): vstackd only changes the backlog,
	 * as Linux */
	r = vs_listen(ctx, s->vs, backlog);
	if (!r) {
		/* What it listens on again after a vstackd restart */
		pl_note_local(ctx, s);
		s->backlog = backlog;
		atomic_store(&s->bound, true);
		atomic_store(&s->listening, true);
	}
	return pl_ctl_done(s, r);
}

/**
 * pl_addr_out() - give an address back the way the kernel does
 * @sa:		the address
 * @addr:	the caller's buffer, or NULL
 * @len:	its size in, the address's out
 */
void pl_addr_out(const struct sockaddr_in *sa, struct sockaddr *addr,
			socklen_t *len)
{
	if (!addr || !len)
		return;
	memcpy(addr, sa, *len < sizeof(*sa) ? *len : sizeof(*sa));
	*len = sizeof(*sa);
}

/**
 * accept4() - take a connection; the new socket is vstack's too
 */
PL_API int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	struct sockaddr_in peer;
	struct vs_ctx *ctx;
	struct pl_sock *s;
	int vs, nfd, err;

	nfd = pl_begin(fd, &s, &ctx);
	if (nfd <= 0)
		return nfd ? nfd : PL_REAL(accept4)(fd, addr, len, flags);
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return pl_done(s, pl_fail(EINVAL));
	for (;;) {
		vs = vs_accept(ctx, s->vs, &peer);
		err = errno;
		if (vs >= 0)
			break;
		err = pl_again(s, err, &s->in_gen, 0, POLLIN, s->rcvtimeo_ns,
			       &ctx);
		if (err)
			return pl_done(s, pl_fail(err));
	}
	pl_notify_all();
	nfd = pl_new_fd(pl_entered(), vs, SOCK_STREAM, flags);
	err = errno;
	pl_notify_all();
	if (nfd >= 0) {
		struct pl_sock *n = pl_get(nfd);

		if (n) {
			atomic_store(&n->bound, true);
			n->opt_nodelay = s->opt_nodelay;
			n->opt_keepalive = s->opt_keepalive;
			pl_put(n);
		}
		pl_addr_out(&peer, addr, len);
	}
	errno = err;
	return pl_done(s, nfd);
}

/**
 * accept() - accept4() without flags
 */
PL_API int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	return accept4(fd, addr, len, 0);
}

/**
 * pl_sock_error() - SO_ERROR: take the socket's pending error
 * @ctx:	the context
 * @s:		the socket
 *
 * Return: the error (0 none)
 */
int pl_sock_error(struct vs_ctx *ctx, struct pl_sock *s)
{
	int v = 0;

	if (vs_getsockopt(ctx, s->vs, VS_OPT_ERROR, &v))
		v = errno;
	pl_notify_all();
	return v;
}

/**
 * connect() - connect; loopback peers go to the kernel
 */
PL_API int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct sockaddr_in sa;
	struct vs_ctx *ctx;
	struct pl_sock *s;
	int64_t deadline;
	bool gone = false;
	int r, err, w;

	r = pl_begin(fd, &s, &ctx);
	if (r <= 0)
		return r ? r : PL_REAL(connect)(fd, addr, len);
	if (s->type == SOCK_DGRAM && addr && len >= sizeof(sa_family_t) &&
	    addr->sa_family == AF_UNSPEC) {
		/* Dissolve the association (connect(2)). */
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
	} else {
		err = pl_inet(addr, len, &sa);
		if (err)
			return pl_done(s, pl_fail(err));
	}
	if (pl_is_loopback(&sa))
		return pl_kernel_now(fd, s) ? -1 : PL_REAL(connect)(fd, addr, len);
	r = vs_connect(ctx, s->vs, &sa);
	err = errno;
	if (!r && s->type == SOCK_DGRAM) { /* for a vstackd restart */
		pl_note_peer(s, sa.sin_port ? &sa : NULL);
		if (!sa.sin_port && !sa.sin_addr.s_addr)
			gone = pl_forget_local(ctx, s); /* disconnected */
		else if (!atomic_load(&s->noted))
			pl_note_local(ctx, s);
	}
	pl_notify_all();
	if (!r || err != EINPROGRESS) {
		if (!r && !gone)
			atomic_store(&s->bound, true);
		errno = err;
		return pl_done(s, r);
	}
	atomic_store(&s->bound, true);
	if (atomic_load(&s->nonblock))
		return pl_done(s, pl_fail(EINPROGRESS));
	/* Until it is connected or failed: a wait a restarting signal
	 * ended is no answer (the handshake goes on meanwhile; EINTR too).
	 * SO_SNDTIMEO running out is EINPROGRESS, as Linux (socket(7),
	 * inet_stream_connect()): the attempt goes on. */
	deadline = s->sndtimeo_ns > 0 ? pl_now() + s->sndtimeo_ns : 0;
	do {
		int64_t left = deadline ? deadline - pl_now() : 0;

		if (deadline && left <= 0)
			return pl_done(s, pl_fail(EINPROGRESS));
		w = pl_wait_sock(s, POLLOUT, left);
		if (w)
			return pl_done(
				s, pl_fail(w == -EAGAIN ? EINPROGRESS : -w));
	} while (!pl_sock_poll(s, POLLOUT));
	err = pl_sock_error(ctx, s);
	return pl_done(s, err ? pl_fail(err) : 0);
}

/**
 * shutdown() - end a direction
 */
PL_API int shutdown(int fd, int how)
{
	struct vs_ctx *ctx;
	struct pl_sock *s;
	int r;

	r = pl_begin(fd, &s, &ctx);
	if (r <= 0)
		return r ? r : PL_REAL(shutdown)(fd, how);
	r = vs_shutdown(ctx, s->vs, how);
	if (!r && how != SHUT_WR)
		atomic_store(&s->listening, false); /* a listener stopped */
	return pl_ctl_done(s, r);
}
