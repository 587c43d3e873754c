// SPDX-License-Identifier: MIT
/*
 * pl_fd.c - libvstack-preload: descriptors of vstack sockets: close, dup, dup2, dup3,
 * fcntl, ioctl
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "pl_priv.h"

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
	r = pl_begin(fd, &s, &ctx);
	if (r <= 0)
		return r ? r : PL_REAL(ioctl)(fd, req, arg);
	r = -1;
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
