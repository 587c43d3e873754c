/* SPDX-License-Identifier: MIT */
/*
 * pl_priv.h - libvstack-preload internals: the real libc functions, the
 * descriptor table, the shared wait
 */
#ifndef VSTACK_PL_PRIV_H
#define VSTACK_PL_PRIV_H

#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "vstack.h"

#define PL_HIDDEN __attribute__((visibility("hidden")))
#define PL_API	  __attribute__((visibility("default")))

/* Descriptors above this are never vstack sockets (the table's size). */
#define PL_FD_MAX (1 << 20)
/* A listener whose vstackd went away tries the next one this often. */
#define PL_REVIVE_MS 100

/**
 * struct pl_real - the libc functions the shim wraps, found lazily with
 * dlsym(RTLD_NEXT) (calls may come before any constructor ran)
 */
struct pl_real {
	int (*socket)(int, int, int);
	int (*bind)(int, const struct sockaddr *, socklen_t);
	int (*listen)(int, int);
	int (*accept)(int, struct sockaddr *, socklen_t *);
	int (*accept4)(int, struct sockaddr *, socklen_t *, int);
	int (*connect)(int, const struct sockaddr *, socklen_t);
	ssize_t (*read)(int, void *, size_t);
	ssize_t (*write)(int, const void *, size_t);
	ssize_t (*readv)(int, const struct iovec *, int);
	ssize_t (*writev)(int, const struct iovec *, int);
	ssize_t (*send)(int, const void *, size_t, int);
	ssize_t (*recv)(int, void *, size_t, int);
	ssize_t (*sendto)(int, const void *, size_t, int,
			  const struct sockaddr *, socklen_t);
	ssize_t (*recvfrom)(int, void *, size_t, int, struct sockaddr *,
			    socklen_t *);
	ssize_t (*sendmsg)(int, const struct msghdr *, int);
	ssize_t (*recvmsg)(int, struct msghdr *, int);
	ssize_t (*sendfile)(int, int, off_t *, size_t);
	int (*shutdown)(int, int);
	int (*close)(int);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	int (*fcntl)(int, int, ...);
	int (*ioctl)(int, unsigned long, ...);
	int (*getsockopt)(int, int, int, void *, socklen_t *);
	int (*setsockopt)(int, int, int, const void *, socklen_t);
	int (*getsockname)(int, struct sockaddr *, socklen_t *);
	int (*getpeername)(int, struct sockaddr *, socklen_t *);
	int (*poll)(struct pollfd *, nfds_t, int);
	int (*ppoll)(struct pollfd *, nfds_t, const struct timespec *,
		     const sigset_t *);
	int (*select)(int, fd_set *, fd_set *, fd_set *, struct timeval *);
	int (*pselect)(int, fd_set *, fd_set *, fd_set *,
		       const struct timespec *, const sigset_t *);
	int (*epoll_ctl)(int, int, int, struct epoll_event *);
	int (*epoll_wait)(int, struct epoll_event *, int, int);
	int (*epoll_pwait)(int, struct epoll_event *, int, int,
			   const sigset_t *);
};

PL_HIDDEN extern struct pl_real pl_real;
PL_HIDDEN void *pl_dlsym(const char *name);

/* PL_REAL(name) - the next definition of name (libc's), resolved once */
#define PL_REAL(name)                                                         \
	(__atomic_load_n(&pl_real.name, __ATOMIC_ACQUIRE)                     \
		 ? pl_real.name                                               \
		 : (__atomic_store_n(&pl_real.name,                           \
				     (__typeof__(pl_real.name))pl_dlsym(#name), \
				     __ATOMIC_RELEASE),                       \
		    pl_real.name))

/**
 * struct pl_ctx - a libvstack context and who holds it
 * @vs:		the context; NULL once closed in a forked child
 * @refs:	the current context's own (pl_core.c), each socket made on
 *		it, and each call or sleep using it; the last one closes it
 */
struct pl_ctx {
	struct vs_ctx *vs;
	_Atomic int refs;
};

/**
 * struct pl_sock - one vstack socket, named by one or more descriptors
 * @refs:	references: each descriptor, each call in flight, each
 *		epoll registration; the last one closes the vstack socket
 * @nfds:	descriptors naming it; when it drops to 0 the socket is
 *		closed for its users (@closed) even if a call still runs
 * @closed:	no descriptor names it any more: blocked calls end (EBADF)
 * @ctx:	the context it lives in (a reference); a listener moves to
 *		the next vstackd's context (pl_revive()), under pl_ctx_lock
 * @vs:		the libvstack socket in @ctx (written before @ctx moves)
 * @type:	SOCK_STREAM or SOCK_DGRAM
 * @gen:	pl_fork_gen when it was made: after fork(2) it is stale
 * @nonblock:	O_NONBLOCK (a file status flag: shared by dups)
 * @bound:	bind() or listen() or connect() reached vstackd: it can no
 *		longer move to the kernel
 * @listening:	listen() succeeded
 * @laddr:	the address and port of a listener or a datagram socket
 *		(port 0: none yet), @backlog a listener's backlog, @raddr
 *		a datagram socket's peer (connect()): what it is made again
 *		with after vstackd restarted (under pl_revive_lock)
 * @noted:	@laddr was taken (pl_note_local())
 * @orphan:	its vstackd went away, it is not made again yet
 * @revive_next: monotonic ns before which it is not tried again
 * @revive_said: its last failure to listen again was told (stderr)
 * @in_gen:	bumped when a read came back short or with EAGAIN (EPOLLET)
 * @out_gen:	the same for writes
 * @rcvtimeo_ns, @sndtimeo_ns: SO_RCVTIMEO/SO_SNDTIMEO, 0 for none
 * @opt_*:	options kept here because vstackd ignores or lacks them
 */
struct pl_sock {
	_Atomic int refs;
	_Atomic int nfds;
	_Atomic bool closed;
	struct pl_ctx *_Atomic ctx;
	_Atomic int vs;
	int type;
	uint64_t gen;
	_Atomic bool nonblock;
	_Atomic bool bound;
	_Atomic bool listening;
	struct sockaddr_in laddr, raddr;
	_Atomic bool noted;
	int backlog;
	_Atomic bool orphan;
	int64_t revive_next;
	int revive_said;
	_Atomic unsigned in_gen, out_gen;
	int64_t rcvtimeo_ns, sndtimeo_ns;
	int opt_reuseaddr, opt_reuseport, opt_keepalive, opt_nodelay;
	int opt_broadcast;
	int opt_rcvbuf, opt_sndbuf;
};

/* pl_core.c */
PL_HIDDEN extern _Atomic uint64_t pl_fork_gen;
PL_HIDDEN extern _Atomic int pl_nsocks;
PL_HIDDEN struct pl_ctx *pl_ctx_get(bool quiet);
PL_HIDDEN struct pl_ctx *pl_ctx_current(void);
PL_HIDDEN void pl_ctx_put(struct pl_ctx *c);
PL_HIDDEN struct pl_ctx *pl_sock_ctx(struct pl_sock *s);
PL_HIDDEN struct pl_ctx *pl_entered(void);
PL_HIDDEN void pl_leave(void);
PL_HIDDEN int pl_revive(struct pl_sock *s);
PL_HIDDEN void pl_note_local(struct vs_ctx *ctx, struct pl_sock *s);
PL_HIDDEN bool pl_forget_local(struct vs_ctx *ctx, struct pl_sock *s);
PL_HIDDEN bool pl_noted_local(struct pl_sock *s, struct sockaddr_in *out);
PL_HIDDEN void pl_note_peer(struct pl_sock *s, const struct sockaddr_in *peer);
PL_HIDDEN short pl_sock_poll(struct pl_sock *s, short events);
PL_HIDDEN int pl_poll_socks(struct pl_sock *const *socks,
			    struct vs_pollfd *vp, unsigned n);
PL_HIDDEN bool pl_fallback_kernel(void);
PL_HIDDEN bool pl_inet6_refused(void);
PL_HIDDEN struct pl_sock *pl_get(int fd);
PL_HIDDEN void pl_put(struct pl_sock *s);
PL_HIDDEN bool pl_is_sock(int fd);
PL_HIDDEN bool pl_stale(const struct pl_sock *s);
PL_HIDDEN int pl_install(int fd, struct pl_sock *s);
PL_HIDDEN struct pl_sock *pl_uninstall(int fd);
PL_HIDDEN void pl_drop_fd(struct pl_sock *s);
PL_HIDDEN void pl_sock_discard(struct pl_sock *s);
PL_HIDDEN struct pl_sock *pl_sock_new(struct pl_ctx *c, int vs, int type);
PL_HIDDEN int pl_placeholder(void);
PL_HIDDEN bool pl_fd_cloexec(int fd);
PL_HIDDEN void pl_fd_set_cloexec(int fd, bool on);
PL_HIDDEN void pl_notify_all(void);
PL_HIDDEN int64_t pl_now(void);
PL_HIDDEN int64_t pl_deadline_ms(int timeout_ms);
PL_HIDDEN int pl_fail(int err);

/* pl_wait() check: > 0 ready, 0 not yet, < 0 -errno */
typedef int (*pl_check_fn)(void *arg);
#define PL_WAIT_CHECK  1 /* the check said ready */
#define PL_WAIT_KERNEL 2 /* a kernel descriptor is ready (revents valid) */
PL_HIDDEN int pl_wait(pl_check_fn check, void *arg, struct pollfd *kfds,
		      nfds_t nk, int64_t deadline, const sigset_t *mask,
		      struct pl_sock *watch);
PL_HIDDEN int pl_wait_sock(struct pl_sock *s, short events, int64_t timeout_ns);

/* pl_sock.c: shared by the call wrappers */
struct sockaddr_in;
PL_HIDDEN struct vs_ctx *pl_enter(struct pl_sock *s);
PL_HIDDEN int pl_begin(int fd, struct pl_sock **sp, struct vs_ctx **ctxp);
PL_HIDDEN int pl_again(struct pl_sock *s, int err, _Atomic unsigned *gen,
		       int flags, short events, int64_t timeout_ns,
		       struct vs_ctx **ctxp);
PL_HIDDEN long pl_done(struct pl_sock *s, long ret);
PL_HIDDEN bool pl_is_loopback(const struct sockaddr_in *sa);
PL_HIDDEN int pl_inet(const struct sockaddr *addr, socklen_t len,
		      struct sockaddr_in *out);
PL_HIDDEN int pl_to_kernel(int fd, struct pl_sock *s);
PL_HIDDEN int pl_kernel_now(int fd, struct pl_sock *s);
PL_HIDDEN void pl_addr_out(const struct sockaddr_in *sa, struct sockaddr *addr,
			   socklen_t *len);
PL_HIDDEN int pl_sock_error(struct vs_ctx *ctx, struct pl_sock *s);

/* pl_poll.c */
PL_HIDDEN void pl_epoll_forget(int epfd);

#endif /* VSTACK_PL_PRIV_H */
