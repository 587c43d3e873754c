// SPDX-License-Identifier: MIT
/*
 * pl_io.c - libvstack-preload: the data calls on vstack sockets: read,
 * write, readv, writev, send, recv, sendto, recvfrom, sendmsg, recvmsg,
 * sendfile
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "pl_priv.h"

#define PL_CHUNK 65536 /* sendfile() and gathered datagrams */

/**
 * pl_recv() - the receive calls on a vstack socket
 * @s:		the socket (the caller's reference)
 * @buf:	where to put the bytes
 * @len:	room
 * @flags:	MSG_DONTWAIT, MSG_PEEK, MSG_WAITALL, MSG_TRUNC (datagram:
 *		return its whole length, as Linux for UDP); others: EOPNOTSUPP
 * @from:	the sender, or NULL
 * @trunc:	set to MSG_TRUNC when a datagram was longer than @len, else
 *		0; or NULL
 *
 * Return: bytes, or -1 with errno
 */
static ssize_t pl_recv(struct pl_sock *s, void *buf, size_t len, int flags,
		       struct sockaddr_in *from, int *trunc)
{
	struct vs_ctx *ctx = pl_enter(s);
	size_t got = 0;
	int err, mf = 0;
	ssize_t r;

	if (!ctx)
		return -1;
	if (flags & ~(MSG_DONTWAIT | MSG_PEEK | MSG_WAITALL | MSG_NOSIGNAL |
		      MSG_CMSG_CLOEXEC | MSG_TRUNC) ||
	    ((flags & MSG_TRUNC) && s->type != SOCK_DGRAM))
		return pl_fail(EOPNOTSUPP);
	if (trunc)
		*trunc = 0;
	for (;;) {
		r = vs_recvmsg(ctx, s->vs, (char *)buf + got, len - got, from,
			       (flags & MSG_PEEK ? VS_MSG_PEEK : 0) |
				       (flags & MSG_TRUNC ? VS_MSG_TRUNC : 0),
			       &mf);
		err = errno;
		if (r >= 0 && trunc && (mf & VS_MSG_TRUNC))
			*trunc = MSG_TRUNC;
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
		/* As Linux: a datagram socket shut for reading (SHUT_RD,
		 * maybe by another thread to stop this one) ends a receive
		 * that would wait with 0; libvstack's socket is non-blocking
		 * and says EAGAIN, and the wait would end at once, for ever */
		if (err == EAGAIN && s->type == SOCK_DGRAM &&
		    !atomic_load(&s->nonblock) && !(flags & MSG_DONTWAIT) &&
		    (pl_sock_poll(s, VS_POLLRDHUP) & VS_POLLRDHUP))
			return 0;
		err = pl_again(s, err, &s->in_gen, flags, POLLIN,
			       s->rcvtimeo_ns, &ctx);
		if (err)
			return got ? (ssize_t)got : pl_fail(err);
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
	int err;

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
				if (!atomic_load(&s->noted))
					pl_note_local(ctx, s); /* restarts */
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
		err = pl_again(s, err, &s->out_gen, flags, POLLOUT,
			       s->sndtimeo_ns, &ctx);
		if (err)
			return done ? (ssize_t)done : pl_fail(err);
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
		if (pl_kernel_now(fd, s))
			return -1;
		return PL_REAL(sendto)(fd, buf, len, flags, addr, alen);
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
	r = pl_recv(s, buf, len, flags, addr ? &from : NULL, NULL);
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
	return pl_done(s, pl_recv(s, buf, len, flags, NULL, NULL));
}

/**
 * read() - recv() for vstack sockets
 */
PL_API ssize_t read(int fd, void *buf, size_t len)
{
	struct pl_sock *s = pl_get(fd);

	if (!s)
		return PL_REAL(read)(fd, buf, len);
	return pl_done(s, pl_recv(s, buf, len, 0, NULL, NULL));
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
 * pl_iov_buf() - check an iovec array; a datagram in several pieces
 * gets one buffer for all of it
 * @s:		the socket
 * @iov:	the pieces
 * @cnt:	how many
 * @out:	sending (a datagram larger than PL_CHUNK is EMSGSIZE)
 * @total:	their total, at most PL_CHUNK for a received datagram
 * @buf:	the buffer (free() it), or NULL: go piece by piece
 *
 * Return: 0, or a positive errno
 */
static int pl_iov_buf(struct pl_sock *s, const struct iovec *iov, int cnt,
		      bool out, size_t *total, char **buf)
{
	int err = pl_iov_len(iov, cnt, total);

	*buf = NULL;
	if (err || s->type != SOCK_DGRAM || cnt == 1)
		return err;
	if (*total > PL_CHUNK) {
		if (out)
			return EMSGSIZE;
		*total = PL_CHUNK; /* no datagram is longer */
	}
	*buf = malloc(*total ? *total : 1);
	return *buf ? 0 : ENOMEM;
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

	err = pl_iov_buf(s, iov, cnt, true, &total, &buf);
	if (err)
		return pl_fail(err);
	if (buf) {
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
 * @trunc:	MSG_TRUNC when a datagram did not fit, else 0; or NULL
 *
 * A stream fills the first piece as recv() would, then the next ones
 * only with what is already there. A datagram lands in one buffer and is
 * scattered.
 *
 * Return: bytes, or -1 with errno
 */
static ssize_t pl_recvv(struct pl_sock *s, const struct iovec *iov, int cnt,
			int flags, struct sockaddr_in *from, int *trunc)
{
	size_t total, off = 0, n, got;
	ssize_t r, done = 0;
	char *buf;
	int i, err;

	if (trunc)
		*trunc = 0;
	err = pl_iov_buf(s, iov, cnt, false, &total, &buf);
	if (err)
		return pl_fail(err);
	if (buf) {
		r = pl_recv(s, buf, total, flags, from, trunc);
		err = errno;
		/* with MSG_TRUNC, r may be more than there is in buf */
		got = r > 0 && (size_t)r < total ? (size_t)r : total;
		for (i = 0; r > 0 && i < cnt && off < got; i++) {
			n = iov[i].iov_len < got - off ? iov[i].iov_len
						       : got - off;
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
			    done ? flags | MSG_DONTWAIT : flags, from, trunc);
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
	return pl_done(s, pl_recvv(s, iov, cnt, 0, NULL, NULL));
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
 * recvmsg() - scattered receive with the sender; no ancillary data;
 * MSG_TRUNC in msg_flags when a datagram was longer than the pieces
 */
PL_API ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct pl_sock *s = pl_get(fd);
	struct sockaddr_in from;
	int trunc = 0;
	ssize_t r;

	if (!s)
		return PL_REAL(recvmsg)(fd, msg, flags);
	memset(&from, 0, sizeof(from));
	r = pl_recvv(s, msg->msg_iov, (int)msg->msg_iovlen, flags,
		     msg->msg_name ? &from : NULL, &trunc);
	if (r >= 0) {
		if (msg->msg_name)
			pl_addr_out(&from, msg->msg_name, &msg->msg_namelen);
		msg->msg_controllen = 0;
		msg->msg_flags = trunc;
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
