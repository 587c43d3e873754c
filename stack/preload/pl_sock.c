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
 * ends with EBADF, and which honours SO_RCVTIMEO/SO_SNDTIMEO (EAGAIN).
 * A signal ends a wait with EINTR, as a handler without SA_RESTART does on
 * Linux; the caller retries. Writing to a connection the peer closed fails
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

#define PL_CHUNK 65536 /* sendfile() and gathered datagrams */

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
 * @vs:		the socket
 * @type:	SOCK_STREAM or SOCK_DGRAM
 * @flags:	SOCK_NONBLOCK, SOCK_CLOEXEC
 *
 * The libvstack socket is closed on failure.
 *
 * Return: the descriptor, or -1 with errno
 */
static int pl_new_fd(int vs, int type, int flags)
{
	struct vs_ctx *ctx = pl_ctx_now();
	struct pl_sock *s;
	int fd, err;

	if (vs_set_nonblock(ctx, vs, 1))
		goto fail;
	fd = pl_placeholder();
	if (fd < 0)
		goto fail;
	s = pl_sock_new(vs, type);
	if (!s || pl_install(fd, s)) {
		err = errno;
		free(s);
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
	struct vs_ctx *ctx;

	if (domain == AF_INET6 && pl_inet6_refused())
		return pl_fail(EAFNOSUPPORT);
	if (!vt)
		return PL_REAL(socket)(domain, type, protocol);
	ctx = pl_ctx_get();
	if (!ctx) {
		if (pl_fallback_kernel())
			return PL_REAL(socket)(domain, type, protocol);
		return -1;
	}
	vs = vs_socket(ctx, vt);
	err = errno;
	pl_notify_all();
	if (vs < 0)
		return pl_fail(err);
	fd = pl_new_fd(vs, base, type);
	pl_notify_all();
	return fd;
}

/**
 * pl_is_loopback() - is an address in 127.0.0.0/8
 * @sa:		AF_INET address
 *
 * Return: true when it is
 */
static bool pl_is_loopback(const struct sockaddr_in *sa)
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
static int pl_inet(const struct sockaddr *addr, socklen_t len,
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
static int pl_to_kernel(int fd, struct pl_sock *s)
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
 * pl_enter() - the context for a call on a socket
 * @s:		the socket
 *
 * Return: the context, or NULL with errno (EBADFD: inherited across
 * fork(); ECONNABORTED)
 */
static struct vs_ctx *pl_enter(struct pl_sock *s)
{
	struct vs_ctx *ctx;

	if (pl_stale(s)) {
		errno = EBADFD;
		return NULL;
	}
	ctx = pl_ctx_now();
	if (!ctx)
		errno = ECONNABORTED;
	return ctx;
}

/**
 * pl_done() - end a call: drop the reference, keep errno
 * @s:		the socket
 * @ret:	the call's result
 *
 * Return: @ret
 */
static long pl_done(struct pl_sock *s, long ret)
{
	int err = errno;

	pl_put(s);
	errno = err;
	return ret;
}

/**
 * bind() - INADDR_ANY is the endpoint's address; loopback goes to the
 * kernel
 */
PL_API int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct pl_sock *s = pl_get(fd);
	struct sockaddr_in sa;
	struct vs_ctx *ctx;
	int r, err;

	if (!s)
		return PL_REAL(bind)(fd, addr, len);
	if (!(ctx = pl_enter(s)))
		return pl_done(s, -1);
	err = pl_inet(addr, len, &sa);
	if (err)
		return pl_done(s, pl_fail(err));
	if (pl_is_loopback(&sa)) {
		r = pl_to_kernel(fd, s);
		pl_put(s);
		return r ? r : PL_REAL(bind)(fd, addr, len);
	}
	r = vs_bind(ctx, s->vs, &sa);
	if (!r)
		atomic_store(&s->bound, true);
	err = errno;
	pl_notify_all();
	errno = err;
	return pl_done(s, r);
}

/**
 * listen() - make a listener
 */
PL_API int listen(int fd, int backlog)
{
	struct pl_sock *s = pl_get(fd);
	struct vs_ctx *ctx;
	int r, err;

	if (!s)
		return PL_REAL(listen)(fd, backlog);
	if (!(ctx = pl_enter(s)))
		return pl_done(s, -1);
	/* Again on a listener: Linux only changes the backlog (nginx). */
	if (atomic_load(&s->listening))
		return pl_done(s, 0);
	r = vs_listen(ctx, s->vs, backlog);
	err = errno;
	if (!r) {
		atomic_store(&s->bound, true);
		atomic_store(&s->listening, true);
	}
	pl_notify_all();
	errno = err;
	return pl_done(s, r);
}

/**
 * pl_addr_out() - give an address back the way the kernel does
 * @sa:		the address
 * @addr:	the caller's buffer, or NULL
 * @len:	its size in, the address's out
 */
static void pl_addr_out(const struct sockaddr_in *sa, struct sockaddr *addr,
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
	struct pl_sock *s = pl_get(fd);
	struct sockaddr_in peer;
	struct vs_ctx *ctx;
	int vs, nfd, w, err;

	if (!s)
		return PL_REAL(accept4)(fd, addr, len, flags);
	if (!(ctx = pl_enter(s)))
		return pl_done(s, -1);
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return pl_done(s, pl_fail(EINVAL));
	for (;;) {
		vs = vs_accept(ctx, s->vs, &peer);
		err = errno;
		if (vs >= 0)
			break;
		if (err != EAGAIN)
			return pl_done(s, pl_fail(err));
		atomic_fetch_add(&s->in_gen, 1);
		if (atomic_load(&s->nonblock))
			return pl_done(s, pl_fail(EAGAIN));
		w = pl_wait_sock(s, POLLIN, s->rcvtimeo_ns);
		if (w)
			return pl_done(s, pl_fail(-w));
	}
	pl_notify_all();
	nfd = pl_new_fd(vs, SOCK_STREAM, flags);
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
static int pl_sock_error(struct vs_ctx *ctx, struct pl_sock *s)
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
	struct pl_sock *s = pl_get(fd);
	struct sockaddr_in sa;
	struct vs_ctx *ctx;
	int r, err, w;

	if (!s)
		return PL_REAL(connect)(fd, addr, len);
	if (!(ctx = pl_enter(s)))
		return pl_done(s, -1);
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
	if (pl_is_loopback(&sa)) {
		r = pl_to_kernel(fd, s);
		pl_put(s);
		return r ? r : PL_REAL(connect)(fd, addr, len);
	}
	r = vs_connect(ctx, s->vs, &sa);
	err = errno;
	pl_notify_all();
	if (!r || err != EINPROGRESS) {
		if (!r)
			atomic_store(&s->bound, true);
		errno = err;
		return pl_done(s, r);
	}
	atomic_store(&s->bound, true);
	if (atomic_load(&s->nonblock))
		return pl_done(s, pl_fail(EINPROGRESS));
	w = pl_wait_sock(s, POLLOUT, s->sndtimeo_ns);
	if (w)
		return pl_done(s, pl_fail(w == -EAGAIN ? ETIMEDOUT : -w));
	err = pl_sock_error(ctx, s);
	return pl_done(s, err ? pl_fail(err) : 0);
}

/**
 * pl_recv() - the receive calls on a vstack socket
 * @s:		the socket (the caller's reference)
 * @buf:	where to put the bytes
 * @len:	room
 * @flags:	MSG_DONTWAIT, MSG_PEEK, MSG_WAITALL (others: EOPNOTSUPP)
 * @from:	the sender, or NULL
 *
 * Return: bytes, or -1 with errno
 */
static ssize_t pl_recv(struct pl_sock *s, void *buf, size_t len, int flags,
		       struct sockaddr_in *from)
{
	struct vs_ctx *ctx = pl_enter(s);
	size_t got = 0;
	ssize_t r;
	int w, err;

	if (!ctx)
		return -1;
	if (flags & ~(MSG_DONTWAIT | MSG_PEEK | MSG_WAITALL | MSG_NOSIGNAL |
		      MSG_CMSG_CLOEXEC))
		return pl_fail(EOPNOTSUPP);
	for (;;) {
		if (flags & MSG_PEEK)
			r = vs_peek(ctx, s->vs, buf, len, from);
		else
			r = vs_recvfrom(ctx, s->vs, (char *)buf + got,
					len - got, from);
		err = errno;
		if (s->type == SOCK_DGRAM)
			pl_notify_all();
		if (r >= 0) {
			if (s->type == SOCK_DGRAM || (flags & MSG_PEEK))
				return r;
			got += (size_t)r;
			if ((size_t)r == 0 || got == len ||
			    !(flags & MSG_WAITALL)) {
				if (got < len)
					atomic_fetch_add(&s->in_gen, 1);
				return (ssize_t)got;
			}
			continue;
		}
		if (err != EAGAIN)
			return got ? (ssize_t)got : pl_fail(err);
		atomic_fetch_add(&s->in_gen, 1);
		if (atomic_load(&s->nonblock) || (flags & MSG_DONTWAIT))
			return got ? (ssize_t)got : pl_fail(EAGAIN);
		w = pl_wait_sock(s, POLLIN, s->rcvtimeo_ns);
		if (w)
			return got ? (ssize_t)got : pl_fail(-w);
	}
}

/**
 * pl_send() - the send calls on a vstack socket
 * @s:		the socket (the caller's reference)
 * @buf:	the bytes
 * @len:	how many
 * @flags:	MSG_DONTWAIT, MSG_NOSIGNAL, MSG_MORE (ignored)
 * @to:		datagram destination, or NULL
 *
 * A blocking stream send returns when everything is in the send ring.
 *
 * Return: bytes taken, or -1 with errno
 */
static ssize_t pl_send(struct pl_sock *s, const void *buf, size_t len,
		       int flags, const struct sockaddr_in *to)
{
	struct vs_ctx *ctx = pl_enter(s);
	size_t done = 0;
	ssize_t r;
	int w, err;

	if (!ctx)
		return -1;
	if (flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL | MSG_MORE | MSG_EOR))
		return pl_fail(EOPNOTSUPP);
	for (;;) {
		r = vs_sendto(ctx, s->vs, (const char *)buf + done,
			      len - done, to);
		err = errno;
		if (s->type == SOCK_DGRAM) {
			pl_notify_all();
			if (r >= 0) {
				atomic_store(&s->bound, true);
				return r;
			}
		} else if (r >= 0) {
			done += (size_t)r;
			if (done == len)
				return (ssize_t)done;
			err = EAGAIN;
		}
		if (err == EPIPE && s->type == SOCK_STREAM &&
		    !(flags & MSG_NOSIGNAL))
			raise(SIGPIPE);
		if (err != EAGAIN)
			return done ? (ssize_t)done : pl_fail(err);
		atomic_fetch_add(&s->out_gen, 1);
		if (atomic_load(&s->nonblock) || (flags & MSG_DONTWAIT))
			return done ? (ssize_t)done : pl_fail(EAGAIN);
		w = pl_wait_sock(s, POLLOUT, s->sndtimeo_ns);
		if (w)
			return done ? (ssize_t)done : pl_fail(-w);
	}
}

/**
 * pl_dest() - a sendto() destination
 * @addr:	the caller's, or NULL
 * @len:	its length
 * @out:	the copy
 * @to:		@out, or NULL when there is none
 *
 * Return: 0, or a positive errno
 */
static int pl_dest(const struct sockaddr *addr, socklen_t len,
		   struct sockaddr_in *out, const struct sockaddr_in **to)
{
	*to = NULL;
	if (!addr)
		return 0;
	*to = out;
	return pl_inet(addr, len, out);
}

/**
 * sendto() - datagrams to any peer; streams ignore the address
 */
PL_API ssize_t sendto(int fd, const void *buf, size_t len, int flags,
		      const struct sockaddr *addr, socklen_t alen)
{
	struct pl_sock *s = pl_get(fd);
	const struct sockaddr_in *to;
	struct sockaddr_in sa;
	int err;

	if (!s)
		return PL_REAL(sendto)(fd, buf, len, flags, addr, alen);
	if (s->type == SOCK_STREAM)
		return pl_done(s, pl_send(s, buf, len, flags, NULL));
	err = pl_dest(addr, alen, &sa, &to);
	if (err)
		return pl_done(s, pl_fail(err));
	if (to && pl_is_loopback(to) && !pl_stale(s) &&
	    !atomic_load(&s->bound)) {
		int r = pl_to_kernel(fd, s);

		pl_put(s);
		return r ? r : PL_REAL(sendto)(fd, buf, len, flags, addr, alen);
	}
	return pl_done(s, pl_send(s, buf, len, flags, to));
}

/**
 * send() - sendto() without an address
 */
PL_API ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	struct pl_sock *s = pl_get(fd);

	if (!s)
		return PL_REAL(send)(fd, buf, len, flags);
	return pl_done(s, pl_send(s, buf, len, flags, NULL));
}

/**
 * write() - send() for vstack sockets
 */
PL_API ssize_t write(int fd, const void *buf, size_t len)
{
	struct pl_sock *s = pl_get(fd);

	if (!s)
		return PL_REAL(write)(fd, buf, len);
	return pl_done(s, pl_send(s, buf, len, 0, NULL));
}

/**
 * recvfrom() - a datagram and its sender, or stream bytes
 */
PL_API ssize_t recvfrom(int fd, void *buf, size_t len, int flags,
			struct sockaddr *addr, socklen_t *alen)
{
	struct pl_sock *s = pl_get(fd);
	struct sockaddr_in from;
	ssize_t r;

	if (!s)
		return PL_REAL(recvfrom)(fd, buf, len, flags, addr, alen);
	memset(&from, 0, sizeof(from));
	r = pl_recv(s, buf, len, flags, addr ? &from : NULL);
	if (r >= 0)
		pl_addr_out(&from, addr, alen);
	return pl_done(s, r);
}

/**
 * recv() - recvfrom() without the sender
 */
PL_API ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	struct pl_sock *s = pl_get(fd);

	if (!s)
		return PL_REAL(recv)(fd, buf, len, flags);
	return pl_done(s, pl_recv(s, buf, len, flags, NULL));
}

/**
 * read() - recv() for vstack sockets
 */
PL_API ssize_t read(int fd, void *buf, size_t len)
{
	struct pl_sock *s = pl_get(fd);

	if (!s)
		return PL_REAL(read)(fd, buf, len);
	return pl_done(s, pl_recv(s, buf, len, 0, NULL));
}

/* _FORTIFY_SOURCE builds of Debian's programs call these. */
PL_API ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen);
PL_API ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen,
			  int flags);
PL_API ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen,
			      int flags, struct sockaddr *addr,
			      socklen_t *alen);

/**
 * pl_chk() - the check of the _chk variants
 * @len:	bytes asked for
 * @buflen:	the buffer's real size
 */
static void pl_chk(size_t len, size_t buflen)
{
	if (len > buflen)
		abort(); /* what glibc's __chk_fail() does, less the message */
}

/** __read_chk() - read() with the fortify check */
ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	pl_chk(len, buflen);
	return read(fd, buf, len);
}

/** __recv_chk() - recv() with the fortify check */
ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags)
{
	pl_chk(len, buflen);
	return recv(fd, buf, len, flags);
}

/** __recvfrom_chk() - recvfrom() with the fortify check */
ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen,
		       int flags, struct sockaddr *addr, socklen_t *alen)
{
	pl_chk(len, buflen);
	return recvfrom(fd, buf, len, flags, addr, alen);
}

/**
 * pl_iov_len() - the total of an iovec array, checked
 * @iov:	the array
 * @cnt:	its length
 * @total:	the sum
 *
 * Return: 0, or EINVAL
 */
static int pl_iov_len(const struct iovec *iov, int cnt, size_t *total)
{
	size_t t = 0;
	int i;

	if (cnt < 0 || cnt > IOV_MAX)
		return EINVAL;
	for (i = 0; i < cnt; i++) {
		if (iov[i].iov_len > SSIZE_MAX - t)
			return EINVAL;
		t += iov[i].iov_len;
	}
	*total = t;
	return 0;
}

/**
 * pl_sendv() - gathered sends
 * @s:		the socket
 * @iov:	the pieces
 * @cnt:	how many
 * @flags:	send flags
 * @to:		datagram destination, or NULL
 *
 * A stream sends piece after piece (blocking: all of them; non-blocking:
 * up to the first that does not fit whole). A datagram is gathered into
 * one buffer first.
 *
 * Return: bytes, or -1 with errno
 */
static ssize_t pl_sendv(struct pl_sock *s, const struct iovec *iov, int cnt,
			int flags, const struct sockaddr_in *to)
{
	size_t total, off = 0;
	ssize_t r, done = 0;
	char *buf;
	int i, err;

	err = pl_iov_len(iov, cnt, &total);
	if (err)
		return pl_fail(err);
	if (s->type == SOCK_DGRAM && cnt != 1) {
		if (total > PL_CHUNK)
			return pl_fail(EMSGSIZE);
		buf = malloc(total ? total : 1);
		if (!buf)
			return pl_fail(ENOMEM);
		for (i = 0; i < cnt; i++) {
			memcpy(buf + off, iov[i].iov_base, iov[i].iov_len);
			off += iov[i].iov_len;
		}
		r = pl_send(s, buf, total, flags, to);
		err = errno;
		free(buf);
		errno = err;
		return r;
	}
	for (i = 0; i < cnt; i++) {
		if (!iov[i].iov_len)
			continue;
		r = pl_send(s, iov[i].iov_base, iov[i].iov_len, flags, to);
		if (r < 0)
			return done ? done : -1;
		done += r;
		if ((size_t)r < iov[i].iov_len)
			break;
	}
	return done;
}

/**
 * pl_recvv() - scattered receives
 * @s:		the socket
 * @iov:	the pieces
 * @cnt:	how many
 * @flags:	receive flags
 * @from:	the sender, or NULL
 *
 * A stream fills the first piece as recv() would, then the next ones
 * only with what is already there. A datagram lands in one buffer and is
 * scattered.
 *
 * Return: bytes, or -1 with errno
 */
static ssize_t pl_recvv(struct pl_sock *s, const struct iovec *iov, int cnt,
			int flags, struct sockaddr_in *from)
{
	size_t total, off = 0, n;
	ssize_t r, done = 0;
	char *buf;
	int i, err;

	err = pl_iov_len(iov, cnt, &total);
	if (err)
		return pl_fail(err);
	if (s->type == SOCK_DGRAM && cnt != 1) {
		buf = malloc(total ? total : 1);
		if (!buf)
			return pl_fail(ENOMEM);
		r = pl_recv(s, buf, total, flags, from);
		err = errno;
		for (i = 0; r > 0 && i < cnt && off < (size_t)r; i++) {
			n = iov[i].iov_len < (size_t)r - off ? iov[i].iov_len
							     : (size_t)r - off;
			memcpy(iov[i].iov_base, buf + off, n);
			off += n;
		}
		free(buf);
		errno = err;
		return r;
	}
	for (i = 0; i < cnt; i++) {
		if (!iov[i].iov_len)
			continue;
		r = pl_recv(s, iov[i].iov_base, iov[i].iov_len,
			    done ? flags | MSG_DONTWAIT : flags, from);
		if (r < 0)
			return done ? done : -1;
		done += r;
		if ((size_t)r < iov[i].iov_len)
			break;
	}
	return done;
}

/**
 * writev() - gathered write
 */
PL_API ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	struct pl_sock *s = pl_get(fd);

	if (!s)
		return PL_REAL(writev)(fd, iov, cnt);
	return pl_done(s, pl_sendv(s, iov, cnt, 0, NULL));
}

/**
 * readv() - scattered read
 */
PL_API ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
	struct pl_sock *s = pl_get(fd);

	if (!s)
		return PL_REAL(readv)(fd, iov, cnt);
	return pl_done(s, pl_recvv(s, iov, cnt, 0, NULL));
}

/**
 * sendmsg() - gathered send; ancillary data is refused (EOPNOTSUPP)
 */
PL_API ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct pl_sock *s = pl_get(fd);
	const struct sockaddr_in *to = NULL;
	struct sockaddr_in sa;
	int err;

	if (!s)
		return PL_REAL(sendmsg)(fd, msg, flags);
	if (msg->msg_controllen)
		return pl_done(s, pl_fail(EOPNOTSUPP));
	if (s->type == SOCK_DGRAM) {
		err = pl_dest(msg->msg_name, msg->msg_namelen, &sa, &to);
		if (err)
			return pl_done(s, pl_fail(err));
	}
	return pl_done(s, pl_sendv(s, msg->msg_iov, (int)msg->msg_iovlen,
				   flags, to));
}

/**
 * recvmsg() - scattered receive with the sender; no ancillary data
 */
PL_API ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct pl_sock *s = pl_get(fd);
	struct sockaddr_in from;
	ssize_t r;

	if (!s)
		return PL_REAL(recvmsg)(fd, msg, flags);
	memset(&from, 0, sizeof(from));
	r = pl_recvv(s, msg->msg_iov, (int)msg->msg_iovlen, flags,
		     msg->msg_name ? &from : NULL);
	if (r >= 0) {
		if (msg->msg_name)
			pl_addr_out(&from, msg->msg_name, &msg->msg_namelen);
		msg->msg_controllen = 0;
		msg->msg_flags = 0;
	}
	return pl_done(s, r);
}

/**
 * sendfile() - to a vstack socket: read from the file, send the bytes
 *
 * Bytes read but not taken by a non-blocking socket are given back to the
 * file's offset (or not counted in *offset).
 */
PL_API ssize_t sendfile(int out, int in, off_t *offset, size_t count)
{
	struct pl_sock *s;
	ssize_t n, r, done = 0;
	char *buf;
	int err = 0;

	if (pl_is_sock(in))
		return pl_fail(EINVAL);
	s = pl_get(out);
	if (!s)
		return PL_REAL(sendfile)(out, in, offset, count);
	buf = malloc(PL_CHUNK);
	if (!buf)
		return pl_done(s, pl_fail(ENOMEM));
	while ((size_t)done < count) {
		size_t want = count - done < PL_CHUNK ? count - done : PL_CHUNK;

		n = offset ? pread(in, buf, want, *offset)
			   : PL_REAL(read)(in, buf, want);
		if (n <= 0) {
			err = n < 0 ? errno : 0;
			break;
		}
		r = pl_send(s, buf, (size_t)n, done ? MSG_DONTWAIT : 0, NULL);
		if (r < 0) {
			err = errno;
			r = 0;
		}
		if (offset)
			*offset += r;
		else if (r < n)
			lseek(in, r - n, SEEK_CUR);
		done += r;
		if (r < n)
			break;
	}
	free(buf);
	if (!done && err)
		return pl_done(s, pl_fail(err));
	return pl_done(s, done);
}

PL_API ssize_t sendfile64(int out, int in, off_t *offset, size_t count);

/** sendfile64() - sendfile() (glibc's name with 64-bit offsets) */
ssize_t sendfile64(int out, int in, off_t *offset, size_t count)
{
	return sendfile(out, in, offset, count);
}

/**
 * shutdown() - end a direction
 */
PL_API int shutdown(int fd, int how)
{
	struct pl_sock *s = pl_get(fd);
	struct vs_ctx *ctx;
	int r, err;

	if (!s)
		return PL_REAL(shutdown)(fd, how);
	if (!(ctx = pl_enter(s)))
		return pl_done(s, -1);
	r = vs_shutdown(ctx, s->vs, how);
	err = errno;
	pl_notify_all();
	errno = err;
	return pl_done(s, r);
}

/**
 * close() - release the descriptor; the last one closes the socket
 */
PL_API int close(int fd)
{
	struct pl_sock *s = pl_uninstall(fd);

	if (!s) {
		pl_epoll_forget(fd);
		return PL_REAL(close)(fd);
	}
	PL_REAL(close)(fd);
	pl_drop_fd(s);
	return 0;
}

/**
 * pl_dup_onto() - let @nfd name what @fd names
 * @fd:		the source (a vstack socket or not)
 * @nfd:	the target, or -1 for the lowest free one >= @min
 * @min:	F_DUPFD's argument
 * @cloexec:	the program's FD_CLOEXEC for the new descriptor
 *
 * Return: the new descriptor, or -1 with errno
 */
static int pl_dup_onto(int fd, int nfd, int min, bool cloexec)
{
	struct pl_sock *s = pl_get(fd), *old = NULL;
	int r, err;

	if (nfd >= 0) {
		old = pl_uninstall(nfd);
		pl_epoll_forget(nfd);
		r = PL_REAL(dup3)(fd, nfd,
				  (s || cloexec) ? O_CLOEXEC : 0);
	} else {
		r = PL_REAL(fcntl)(fd, cloexec ? F_DUPFD_CLOEXEC : F_DUPFD,
				   min);
	}
	err = errno;
	if (r >= 0 && s) {
		if (nfd < 0)
			PL_REAL(fcntl)(r, F_SETFD, FD_CLOEXEC);
		if (pl_install(r, s)) {
			err = errno;
			PL_REAL(close)(r);
			r = -1;
		} else {
			pl_fd_set_cloexec(r, cloexec);
		}
	}
	if (r < 0 && old)
		pl_install(nfd, old); /* dup3 failed: nfd is unchanged */
	if (old)
		pl_drop_fd(old);
	pl_put(s);
	errno = err;
	return r;
}

/**
 * dup() - another descriptor for the same socket
 */
PL_API int dup(int fd)
{
	if (!pl_is_sock(fd))
		return PL_REAL(dup)(fd);
	return pl_dup_onto(fd, -1, 0, false);
}

/**
 * dup3() - @nfd names what @fd names (closing what @nfd named)
 */
PL_API int dup3(int fd, int nfd, int flags)
{
	if (!pl_is_sock(fd) && !pl_is_sock(nfd))
		return PL_REAL(dup3)(fd, nfd, flags);
	if (fd == nfd)
		return pl_fail(EINVAL);
	if (flags & ~O_CLOEXEC)
		return pl_fail(EINVAL);
	return pl_dup_onto(fd, nfd, 0, flags & O_CLOEXEC);
}

/**
 * dup2() - dup3() without flags; the same number is a no-op
 */
PL_API int dup2(int fd, int nfd)
{
	if (!pl_is_sock(fd) && !pl_is_sock(nfd))
		return PL_REAL(dup2)(fd, nfd);
	if (fd == nfd)
		return PL_REAL(fcntl)(fd, F_GETFD) < 0 ? -1 : nfd;
	return pl_dup_onto(fd, nfd, 0, false);
}

/**
 * pl_fcntl() - fcntl() on a vstack socket
 * @fd:		its descriptor
 * @s:		the socket
 * @cmd:	the command
 * @arg:	its argument
 *
 * O_NONBLOCK is the socket's (shared by dups); FD_CLOEXEC is remembered
 * per descriptor; F_DUPFD makes a descriptor for the same socket. Locks,
 * owners, signals and leases fail with EINVAL.
 *
 * Return: as fcntl(2)
 */
static int pl_fcntl(int fd, struct pl_sock *s, int cmd, uintptr_t arg)
{
	switch (cmd) {
	case F_GETFL:
		return O_RDWR | (atomic_load(&s->nonblock) ? O_NONBLOCK : 0);
	case F_SETFL:
		atomic_store(&s->nonblock, (arg & O_NONBLOCK) != 0);
		return 0;
	case F_GETFD:
		return pl_fd_cloexec(fd) ? FD_CLOEXEC : 0;
	case F_SETFD:
		pl_fd_set_cloexec(fd, arg & FD_CLOEXEC);
		return 0;
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		return pl_dup_onto(fd, -1, (int)arg, cmd == F_DUPFD_CLOEXEC);
	default:
		return pl_fail(EINVAL);
	}
}

/**
 * fcntl() - see pl_fcntl() for vstack sockets
 */
PL_API int fcntl(int fd, int cmd, ...)
{
	struct pl_sock *s;
	uintptr_t arg;
	va_list ap;
	int r;

	va_start(ap, cmd);
	arg = va_arg(ap, uintptr_t);
	va_end(ap);
	s = pl_get(fd);
	if (!s)
		return PL_REAL(fcntl)(fd, cmd, arg);
	r = pl_fcntl(fd, s, cmd, arg);
	return (int)pl_done(s, r);
}

PL_API int fcntl64(int fd, int cmd, ...);

/** fcntl64() - fcntl() (glibc's name for it with 64-bit offsets) */
int fcntl64(int fd, int cmd, ...)
{
	uintptr_t arg;
	va_list ap;

	va_start(ap, cmd);
	arg = va_arg(ap, uintptr_t);
	va_end(ap);
	if (!pl_is_sock(fd)) {
		static int (*real)(int, int, ...);

		if (!__atomic_load_n(&real, __ATOMIC_ACQUIRE))
			__atomic_store_n(&real,
					 (int (*)(int, int, ...))pl_dlsym(
						 "fcntl64"),
					 __ATOMIC_RELEASE);
		return real(fd, cmd, arg);
	}
	return fcntl(fd, cmd, arg);
}

/**
 * ioctl() - FIONBIO and FIONREAD on vstack sockets; others ENOTTY
 */
PL_API int ioctl(int fd, unsigned long req, ...)
{
	struct pl_sock *s;
	struct vs_ctx *ctx;
	void *arg;
	va_list ap;
	int r = -1;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	s = pl_get(fd);
	if (!s)
		return PL_REAL(ioctl)(fd, req, arg);
	if (!(ctx = pl_enter(s)))
		return (int)pl_done(s, -1);
	if (!arg && (req == FIONBIO || req == FIONREAD))
		return (int)pl_done(s, pl_fail(EFAULT));
	if (req == FIONBIO) {
		atomic_store(&s->nonblock, *(int *)arg != 0);
		r = 0;
	} else if (req == FIONREAD) {
		r = vs_getsockopt(ctx, s->vs, VS_OPT_NREAD, (int *)arg);
	} else {
		errno = ENOTTY;
	}
	return (int)pl_done(s, r);
}

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
 * Passed to vstackd: SO_REUSEADDR, SO_KEEPALIVE, TCP_NODELAY. Kept here:
 * SO_RCVTIMEO, SO_SNDTIMEO. Accepted and ignored (the shared stack sizes
 * and times its connections itself): SO_REUSEPORT, SO_RCVBUF, SO_SNDBUF,
 * SO_LINGER, SO_PRIORITY, SO_BROADCAST, SO_RCVLOWAT, TCP_KEEPIDLE,
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
		case SO_PRIORITY:
		case SO_BROADCAST:
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
	if (vsopt && s->type == SOCK_STREAM) {
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
	struct pl_sock *s = pl_get(fd);
	struct vs_ctx *ctx;
	int err;

	if (!s)
		return PL_REAL(setsockopt)(fd, level, name, val, len);
	if (!(ctx = pl_enter(s)))
		return (int)pl_done(s, -1);
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
	struct pl_sock *s = pl_get(fd);
	struct vs_ctx *ctx;
	int err;

	if (!s)
		return PL_REAL(getsockopt)(fd, level, name, val, len);
	if (!(ctx = pl_enter(s)))
		return (int)pl_done(s, -1);
	err = pl_getopt(ctx, s, level, name, val, len);
	return (int)pl_done(s, err ? pl_fail(err) : 0);
}

/**
 * getsockname() - the local address and port
 */
PL_API int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	struct pl_sock *s = pl_get(fd);
	struct sockaddr_in sa;
	struct vs_ctx *ctx;
	int r;

	if (!s)
		return PL_REAL(getsockname)(fd, addr, len);
	if (!(ctx = pl_enter(s)))
		return (int)pl_done(s, -1);
	if (!addr || !len)
		return (int)pl_done(s, pl_fail(EFAULT));
	r = vs_getsockname(ctx, s->vs, &sa);
	if (!r)
		pl_addr_out(&sa, addr, len);
	return (int)pl_done(s, r);
}

/**
 * getpeername() - the peer
 */
PL_API int getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	struct pl_sock *s = pl_get(fd);
	struct sockaddr_in sa;
	struct vs_ctx *ctx;
	int r;

	if (!s)
		return PL_REAL(getpeername)(fd, addr, len);
	if (!(ctx = pl_enter(s)))
		return (int)pl_done(s, -1);
	if (!addr || !len)
		return (int)pl_done(s, pl_fail(EFAULT));
	r = vs_getpeername(ctx, s->vs, &sa);
	if (!r)
		pl_addr_out(&sa, addr, len);
	return (int)pl_done(s, r);
}
