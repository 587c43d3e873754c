// SPDX-License-Identifier: MIT
/*
 * pl_core.c - libvstack-preload: the real functions, attaching, the
 * descriptor table, fork, and the one wait everything blocks in
 *
 * Theory of operation
 *
 * Descriptors. Every vstack socket is named by a real kernel descriptor,
 * a placeholder (a non-blocking, close-on-exec eventfd that never becomes
 * readable), so numbers never collide with the kernel's, fd_set and dup2
 * work, and the kernel hands out the numbers. A table indexed by the
 * descriptor points at a struct pl_sock; dup() and friends duplicate the
 * placeholder and point the new number at the same pl_sock. Lookups take
 * a read lock and a reference; a descriptor that is not in the table goes
 * to libc untouched (checked without a lock first, so kernel descriptors
 * pay one load).
 *
 * libvstack calls socket(), close(), poll(), read(), write(), epoll_ctl()
 * on its own descriptors (the app socket, the eventfds, its epoll fd).
 * Those calls come back through the shim, find nothing in the table and go
 * to libc: the shim never holds a lock of its own across a libvstack call.
 *
 * Waiting. Every libvstack socket is non-blocking; the shim does all the
 * waiting itself, in pl_wait(), so that a blocking recv() in one thread,
 * an epoll_wait() in another and a poll() in a third can share one
 * context. libvstack has one wake-up eventfd per context (behind
 * vs_ctx_fd()), and whoever drains it takes the wake-up from everyone
 * else. So each waiting thread first looks, for VSTACK_SPIN_US, at its
 * sockets and its kernel descriptors (yielding the CPU between looks, with
 * signals blocked until the sleep lets them in: pl_wait()); then it
 * registers an eventfd of its own, arms the context, looks at its sockets
 * once more, and sleeps in ppoll() on its kernel descriptors, the
 * context's descriptor and its own eventfd. The
 * thread that sees the context's descriptor readable drains it
 * (vs_ctx_ack()) and writes every registered thread's eventfd, so each
 * looks again. A thread that registered before draining happened is
 * always written to; one that registers later arms and looks for itself.
 * libvstack's own waits (a control call waiting for its completion, e.g.
 * vs_close()) also drain the eventfd, so every control call is followed
 * by the same broadcast.
 *
 * Closing. close() of the last descriptor of a socket marks it closed
 * and wakes every waiter; calls blocked on it end with EBADF (unlike
 * Linux, where a blocked accept() is not woken by close()). The vstack
 * socket is closed when the last call using it has returned.
 *
 * vstackd restarts. Each socket holds the context it was made in (struct
 * pl_ctx, counted); "the current context" is the one new sockets go to.
 * When vstackd goes away every call on its context fails (ECONNABORTED)
 * and the next socket() attaches afresh, so a program that makes new
 * sockets carries on once vstackd is back, and so does a socket made
 * before that gets its address after (pl_refresh()). A listener is not
 * left dead (a program retrying accept() would spin on it), nor is a
 * datagram socket with an address: it becomes an orphan, never ready,
 * its calls waiting (EAGAIN when non-blocking), and is made again on the
 * next vstackd with its address, backlog or peer, and options (pl_revive()),
 * tried at most every PL_REVIVE_MS while a wait or a call looks at it;
 * every sleep is cut to that while an orphan exists. Its old context stays
 * until no call uses it: a call holds the context it entered (pl_enter())
 * until pl_done(), in a thread-local reference (calls do not nest), and a
 * sleeping thread holds the context it sleeps on. Connections do not
 * survive: their calls fail with ECONNABORTED, as the peer's TCP sees a
 * reset.
 *
 * fork(). The child must not use its parent's context (libvstack's
 * rule): in the child the inherited vstack sockets are stale, every call
 * on them fails with EBADFD, close() only releases the descriptor; new
 * sockets attach the child on their own. The parent is unaffected.
 * exec(). Placeholders are close-on-exec whatever FD_CLOEXEC says (the
 * flag the program set is remembered and reported): the shim's state does
 * not survive exec, so the new program would find a descriptor that is
 * not a socket.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "pl_priv.h"

struct pl_real pl_real;
_Atomic uint64_t pl_fork_gen;
_Atomic int pl_nsocks;

/* fd -> socket; NULL until the first vstack socket */
static _Atomic(struct pl_sock *) *_Atomic pl_tab;
/* fd -> the FD_CLOEXEC the program asked for (placeholders always have it) */
static _Atomic unsigned char *pl_cloexec;
static pthread_rwlock_t pl_tab_lock = PTHREAD_RWLOCK_INITIALIZER;

/* The current context and every socket's ctx pointer, under the lock */
static pthread_mutex_t pl_ctx_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pl_ctx *pl_cur;
static _Atomic bool pl_attach_said;
/* VSTACK_APP_SOCKET and VSTACK_ENDPOINT as the program started with them:
 * every attach uses these (nginx, for one, empties its environment) */
static char *pl_app_socket, *pl_endpoint;
/* The context this thread's call entered (pl_enter() to pl_done()) */
static _Thread_local struct pl_ctx *pl_held;
/* Sockets waiting for vstackd to come back (pl_revive()) */
static _Atomic int pl_orphans;

static void pl_refresh(struct pl_sock *s);

/* Threads sleeping in pl_wait(), each with its own eventfd */
struct pl_waiter {
	int efd;
	struct pl_waiter *next;
};
static pthread_mutex_t pl_wait_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pl_waiter *pl_waiters;
static _Atomic int pl_nwaiters;
static _Thread_local int pl_tefd = -1;
static pthread_key_t pl_tefd_key;
static pthread_once_t pl_once = PTHREAD_ONCE_INIT;

/**
 * pl_dlsym() - the next definition of a libc function
 * @name:	its name
 *
 * A missing one is fatal: the program would call through NULL.
 *
 * Return: the function
 */
void *pl_dlsym(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);

	if (!f) {
		static const char m[] = "libvstack-preload: a libc function "
					"is missing\n";

		(void)!write(2, m, sizeof(m) - 1);
		abort();
	}
	return f;
}

/**
 * pl_fail() - the POSIX way out
 * @err:	a positive errno
 *
 * Return: -1 with errno set
 */
int pl_fail(int err)
{
	errno = err;
	return -1;
}

/**
 * pl_now() - the monotonic clock
 *
 * Return: nanoseconds
 */
int64_t pl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/**
 * pl_deadline_ms() - a poll-style timeout as a deadline
 * @timeout_ms:	negative for none
 *
 * Return: monotonic ns, or -1 for none
 */
int64_t pl_deadline_ms(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : pl_now() + (int64_t)timeout_ms * 1000000;
}

/**
 * pl_tefd_free() - thread exit: close the thread's wake-up eventfd
 * @v:		the descriptor + 1
 */
static void pl_tefd_free(void *v)
{
	PL_REAL(close)((int)(intptr_t)v - 1);
}

/**
 * pl_atfork_child() - in the child: forget the parent's context
 *
 * Only the forking thread exists here, so the locks are made afresh
 * (another thread may have held them at fork time). The parent's context
 * is closed on our side only (its descriptors are the child's copies);
 * its sockets become stale through pl_fork_gen.
 */
static void pl_atfork_child(void)
{
	struct pl_ctx *old = pl_cur;

	pthread_mutex_init(&pl_ctx_lock, NULL);
	pthread_mutex_init(&pl_wait_lock, NULL);
	pthread_rwlock_init(&pl_tab_lock, NULL);
	pl_waiters = NULL;
	atomic_store(&pl_nwaiters, 0);
	atomic_fetch_add(&pl_fork_gen, 1);
	atomic_store(&pl_orphans, 0);
	pl_cur = NULL;
	/* Shared with the parent's thread: a fresh one when needed. */
	if (pl_tefd >= 0) {
		PL_REAL(close)(pl_tefd);
		pl_tefd = -1;
		pthread_setspecific(pl_tefd_key, NULL);
	}
	/* The inherited sockets still point at it: they free the wrapper. */
	if (old) {
		vs_close_ctx(old->vs);
		old->vs = NULL;
		pl_ctx_put(old);
	}
}

/**
 * pl_init_once() - the thread key and the fork handler
 */
static void pl_init_once(void)
{
	const char *v;

	pthread_key_create(&pl_tefd_key, pl_tefd_free);
	pthread_atfork(NULL, NULL, pl_atfork_child);
	v = getenv("VSTACK_APP_SOCKET");
	pl_app_socket = v && *v ? strdup(v) : NULL;
	v = getenv("VSTACK_ENDPOINT");
	pl_endpoint = v && *v ? strdup(v) : NULL;
}

/**
 * pl_init() - the constructor; everything also works before it ran
 */
__attribute__((constructor)) static void pl_init(void)
{
	pthread_once(&pl_once, pl_init_once);
}

/**
 * pl_env_on() - is an environment variable set to something true
 * @name:	the variable
 *
 * Return: true for a non-empty value other than "0"
 */
static bool pl_env_on(const char *name)
{
	const char *v = getenv(name);

	return v && *v && strcmp(v, "0");
}

/**
 * pl_fallback_kernel() - VSTACK_PRELOAD_FALLBACK: use the kernel when
 * vstackd cannot be reached
 *
 * Return: true when set
 */
bool pl_fallback_kernel(void)
{
	return pl_env_on("VSTACK_PRELOAD_FALLBACK");
}

/**
 * pl_inet6_refused() - VSTACK_PRELOAD_INET6=refuse: AF_INET6 sockets fail
 * with EAFNOSUPPORT instead of going to the kernel
 *
 * Return: true when set so
 */
bool pl_inet6_refused(void)
{
	const char *v = getenv("VSTACK_PRELOAD_INET6");

	return v && !strcmp(v, "refuse");
}

/**
 * pl_ctx_put() - drop a reference to a context; the last closes it
 * @c:		the context, or NULL
 */
void pl_ctx_put(struct pl_ctx *c)
{
	if (!c || atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	vs_close_ctx(c->vs);
	free(c);
}

/**
 * pl_ctx_current() - the current context, if attached
 *
 * Return: it with a reference (pl_ctx_put() it), or NULL
 */
struct pl_ctx *pl_ctx_current(void)
{
	struct pl_ctx *c;

	pthread_mutex_lock(&pl_ctx_lock);
	c = pl_cur;
	if (c)
		atomic_fetch_add(&c->refs, 1);
	pthread_mutex_unlock(&pl_ctx_lock);
	return c;
}

/**
 * pl_ctx_get() - the current context, attaching when there is none or
 * its vstackd has gone away
 * @quiet:	do not say a failure (a listener trying the next vstackd)
 *
 * VSTACK_ENDPOINT names the endpoint (default: the tenant's only one),
 * VSTACK_APP_SOCKET the app socket, both as they were when the shim was
 * loaded. A failure is said once on stderr, in one line; the next
 * socket() tries again.
 *
 * Return: the context with a reference (pl_ctx_put() it), or NULL with
 * errno set
 */
struct pl_ctx *pl_ctx_get(bool quiet)
{
	struct pl_ctx *c, *gone = NULL;
	struct vs_ctx *vs;
	int err;

	pthread_once(&pl_once, pl_init_once);
	pthread_mutex_lock(&pl_ctx_lock);
	if (pl_cur && vs_ctx_error(pl_cur->vs)) {
		gone = pl_cur; /* its sockets keep it while they last */
		pl_cur = NULL;
	}
	if (!pl_cur) {
		vs = vs_open_at(pl_app_socket, pl_endpoint);
		c = vs ? calloc(1, sizeof(*c)) : NULL;
		if (!c) {
			err = vs ? ENOMEM : errno;
			vs_close_ctx(vs);
			if (!quiet && !atomic_exchange(&pl_attach_said, true))
				fprintf(stderr,
					"libvstack-preload: cannot attach to "
					"vstackd: %s (%s)\n",
					vs ? strerror(err) : vs_open_error(),
					pl_fallback_kernel()
						? "using the kernel's stack"
						: "AF_INET sockets fail");
			pthread_mutex_unlock(&pl_ctx_lock);
			pl_ctx_put(gone);
			errno = err;
			return NULL;
		}
		c->vs = vs;
		atomic_store(&c->refs, 1); /* the current context's own */
		pl_cur = c;
	}
	c = pl_cur;
	atomic_fetch_add(&c->refs, 1);
	pthread_mutex_unlock(&pl_ctx_lock);
	pl_ctx_put(gone);
	return c;
}

/**
 * pl_sock_ctx() - the context a socket lives in
 * @s:		the socket (not stale)
 *
 * Return: it with a reference (pl_ctx_put() it)
 */
struct pl_ctx *pl_sock_ctx(struct pl_sock *s)
{
	struct pl_ctx *c;

	pthread_mutex_lock(&pl_ctx_lock);
	c = atomic_load(&s->ctx);
	atomic_fetch_add(&c->refs, 1);
	pthread_mutex_unlock(&pl_ctx_lock);
	return c;
}

/**
 * pl_entered() - the context this thread's call entered (pl_enter())
 *
 * Return: it (the call's reference), or NULL
 */
struct pl_ctx *pl_entered(void)
{
	return pl_held;
}

/**
 * pl_leave() - the call no longer uses the context it entered
 */
void pl_leave(void)
{
	struct pl_ctx *c = pl_held;

	pl_held = NULL;
	pl_ctx_put(c);
}

/**
 * pl_enter() - the context for a call on a socket, held until pl_done()
 * @s:		the socket
 *
 * Entering again (a call looping after a wait) leaves the previous one:
 * a listener may have moved to the next vstackd meanwhile.
 *
 * Return: the context, or NULL with errno (EBADFD: inherited across
 * fork())
 */
struct vs_ctx *pl_enter(struct pl_sock *s)
{
	struct pl_ctx *c;

	if (pl_stale(s)) {
		errno = EBADFD;
		return NULL;
	}
	c = pl_sock_ctx(s);
	/* A socket without an address whose vstackd went away: afresh */
	if (!atomic_load(&s->bound) && !atomic_load(&s->listening) &&
	    vs_ctx_error(c->vs)) {
		pl_ctx_put(c);
		pl_refresh(s);
		c = pl_sock_ctx(s);
	}
	pl_leave();
	pl_held = c;
	return c->vs;
}

/**
 * pl_orphan_set() - mark a socket as waiting for vstackd, or not
 * @s:		the socket
 * @on:		waiting
 */
static void pl_orphan_set(struct pl_sock *s, bool on)
{
	if (atomic_exchange(&s->orphan, on) != on)
		atomic_fetch_add(&pl_orphans, on ? 1 : -1);
}

/*
 * What a socket is made again with: a listener's address, backlog and
 * options, a datagram socket's address and peer. Written by the calls
 * that set them, read by pl_revive(), both under this lock.
 */
static pthread_mutex_t pl_revive_lock = PTHREAD_MUTEX_INITIALIZER;

/**
 * pl_note_local() - remember a socket's address, to bind it there again
 * after a vstackd restart
 * @ctx:	its context
 * @s:		the socket
 *
 * A datagram socket that only sent has its port once the worker took the
 * datagram: until then nothing is noted, and the next send looks again
 * (a read of the slot, no command).
 */
void pl_note_local(struct vs_ctx *ctx, struct pl_sock *s)
{
	struct sockaddr_in sa;

	if (vs_getsockname(ctx, s->vs, &sa) || !sa.sin_port)
		return;
	sa.sin_family = AF_INET;
	pthread_mutex_lock(&pl_revive_lock);
	s->laddr = sa;
	pthread_mutex_unlock(&pl_revive_lock);
	atomic_store(&s->noted, true);
}

/**
 * pl_forget_local() - a datagram socket's disconnect gave its port back:
 * forget the address pl_note_local() took
 * @ctx:	its context
 * @s:		the socket
 *
 * As Linux (udp_disconnect()), a port the socket got automatically goes
 * back with the association; the socket is then as one never used: made
 * afresh, without an address, after a vstackd restart (pl_refresh()),
 * not bound to a port that may be another socket's by then. A port the
 * program bound stays, and so does what was noted.
 *
 * Return: true if the port went back
 */
bool pl_forget_local(struct vs_ctx *ctx, struct pl_sock *s)
{
	struct sockaddr_in sa;

	if (vs_getsockname(ctx, s->vs, &sa) || sa.sin_port)
		return false;
	pthread_mutex_lock(&pl_revive_lock);
	memset(&s->laddr, 0, sizeof(s->laddr));
	pthread_mutex_unlock(&pl_revive_lock);
	atomic_store(&s->noted, false);
	atomic_store(&s->bound, false);
	return true;
}

/**
 * pl_noted_local() - the address pl_note_local() took
 * @s:		the socket
 * @out:	the address
 *
 * Return: true when there is one
 */
bool pl_noted_local(struct pl_sock *s, struct sockaddr_in *out)
{
	if (!atomic_load(&s->noted))
		return false;
	pthread_mutex_lock(&pl_revive_lock);
	*out = s->laddr;
	pthread_mutex_unlock(&pl_revive_lock);
	return true;
}

/**
 * pl_note_peer() - remember a datagram socket's peer (connect())
 * @s:		the socket
 * @peer:	the peer, or NULL when the association was dissolved
 */
void pl_note_peer(struct pl_sock *s, const struct sockaddr_in *peer)
{
	pthread_mutex_lock(&pl_revive_lock);
	if (peer)
		s->raddr = *peer;
	else
		memset(&s->raddr, 0, sizeof(s->raddr));
	pthread_mutex_unlock(&pl_revive_lock);
}

/**
 * pl_remake() - make a socket again in a context (pl_revive_lock held)
 * @c:		the context
 * @s:		the old socket: type, options, and unless it never had an
 *		address, that address and its backlog or peer
 *
 * Return: the new libvstack socket, or -errno
 */
static int pl_remake(struct pl_ctx *c, const struct pl_sock *s)
{
	bool stream = s->type == SOCK_STREAM;
	bool placed = atomic_load(&s->bound) || atomic_load(&s->listening);
	int vs = vs_socket(c->vs, stream ? VS_SOCK_STREAM : VS_SOCK_DGRAM);
	int err;

	if (vs < 0)
		return -errno;
	if (vs_set_nonblock(c->vs, vs, 1) ||
	    (s->opt_reuseaddr &&
	     vs_setsockopt(c->vs, vs, VS_OPT_REUSEADDR, 1)) ||
	    (s->opt_broadcast &&
	     vs_setsockopt(c->vs, vs, VS_OPT_BROADCAST, 1)) ||
	    (stream && s->opt_keepalive &&
	     vs_setsockopt(c->vs, vs, VS_OPT_KEEPALIVE, 1)) ||
	    (stream && s->opt_nodelay &&
	     vs_setsockopt(c->vs, vs, VS_OPT_NODELAY, 1)) ||
	    (placed && vs_bind(c->vs, vs, &s->laddr)) ||
	    (placed && stream && vs_listen(c->vs, vs, s->backlog)) ||
	    (placed && !stream && s->raddr.sin_port &&
	     vs_connect(c->vs, vs, &s->raddr))) {
		err = errno;
		(void)vs_close(c->vs, vs);
		return -err;
	}
	return vs;
}

/**
 * pl_sock_move() - a socket made again takes its new place
 * @s:		the socket
 * @c:		its new context, whose reference the socket takes
 * @vs:		its new libvstack socket there
 * @old:	its old context, with the caller's reference
 *
 * Called with pl_revive_lock held, which it releases.
 */
static void pl_sock_move(struct pl_sock *s, struct pl_ctx *c, int vs,
			 struct pl_ctx *old)
{
	/* @vs before @ctx: a call that sees the new context sees the new
	 * socket; one that entered the old one fails there (it is dead). */
	pthread_mutex_lock(&pl_ctx_lock);
	atomic_store(&s->vs, vs);
	atomic_store(&s->ctx, c);
	pthread_mutex_unlock(&pl_ctx_lock);
	pthread_mutex_unlock(&pl_revive_lock);
	pl_ctx_put(old); /* the socket's */
	pl_ctx_put(old); /* the caller's */
	pl_notify_all();
}

/**
 * pl_revive() - a socket whose vstackd went away is made on the next
 * @s:		the socket
 *
 * Listeners are made again, and datagram sockets with an address (bound,
 * connected, or that sent); connections are not (their peer saw them
 * end). At most one try per PL_REVIVE_MS per socket; while vstackd is not
 * back that is one failed connect() to the app socket. A failure once it
 * is back (the port taken, the endpoint gone) is said on stderr, once for
 * each different error, and tried again.
 *
 * Return: 0 the socket is alive (it was, or is made again now), -EAGAIN
 * not yet (it stays an orphan: never ready, its calls wait), -EINVAL not
 * a socket that is made again
 */
int pl_revive(struct pl_sock *s)
{
	struct pl_ctx *old, *c;
	int64_t now;
	int vs;

	if (pl_stale(s))
		return -EINVAL;
	pthread_mutex_lock(&pl_revive_lock);
	if (!atomic_load(&s->listening) &&
	    !(s->type == SOCK_DGRAM && s->laddr.sin_port)) {
		pthread_mutex_unlock(&pl_revive_lock);
		return -EINVAL;
	}
	old = pl_sock_ctx(s);
	if (!vs_ctx_error(old->vs)) {
		pl_orphan_set(s, false);
		pthread_mutex_unlock(&pl_revive_lock);
		pl_ctx_put(old);
		return 0;
	}
	pl_orphan_set(s, true);
	now = pl_now();
	if (now < s->revive_next || atomic_load(&s->closed)) {
		pthread_mutex_unlock(&pl_revive_lock);
		pl_ctx_put(old);
		return -EAGAIN;
	}
	s->revive_next = now + (int64_t)PL_REVIVE_MS * 1000000;
	c = pl_ctx_get(true);
	vs = c ? pl_remake(c, s) : -EAGAIN;
	if (vs < 0) {
		if (c && s->revive_said != -vs) {
			char a[INET_ADDRSTRLEN] = "?";

			s->revive_said = -vs;
			inet_ntop(AF_INET, &s->laddr.sin_addr, a, sizeof(a));
			fprintf(stderr,
				"libvstack-preload: cannot %s on %s:%u again "
				"after vstackd restarted: %s (trying again)\n",
				s->type == SOCK_STREAM ? "listen" : "bind", a,
				ntohs(s->laddr.sin_port), strerror(-vs));
		}
		pthread_mutex_unlock(&pl_revive_lock);
		pl_ctx_put(c);
		pl_ctx_put(old);
		return -EAGAIN;
	}
	pl_orphan_set(s, false);
	s->revive_said = 0;
	pl_sock_move(s, c, vs, old);
	return 0;
}

/**
 * pl_refresh() - a socket made before vstackd went away that never had an
 * address (socket() before the restart, connect() after) is made afresh
 * on the next vstackd
 * @s:		the socket (not stale)
 *
 * pl_enter() calls it when it found the socket's context dead; that look
 * costs a system call, paid only by sockets without an address (the calls
 * before bind(), connect() or the first datagram), and it is made again
 * here under the lock. If there is no vstackd yet the socket stays as it
 * is and the call fails as on any dead context.
 */
static void pl_refresh(struct pl_sock *s)
{
	struct pl_ctx *old, *c;
	int vs;

	pthread_mutex_lock(&pl_revive_lock);
	old = pl_sock_ctx(s);
	if (atomic_load(&s->bound) || atomic_load(&s->listening) ||
	    atomic_load(&s->closed) || !vs_ctx_error(old->vs)) {
		pthread_mutex_unlock(&pl_revive_lock);
		pl_ctx_put(old);
		return;
	}
	c = pl_ctx_get(true);
	vs = c ? pl_remake(c, s) : -EAGAIN;
	if (vs < 0) {
		pthread_mutex_unlock(&pl_revive_lock);
		pl_ctx_put(c);
		pl_ctx_put(old);
		return;
	}
	pl_sock_move(s, c, vs, old);
}

/**
 * pl_sock_poll() - vs_poll() one socket in its own context
 * @s:		the socket (not stale)
 * @events:	VS_POLLIN and/or VS_POLLOUT
 *
 * A socket whose vstackd went away has hung up, unless it is made again
 * on the next vstackd (pl_revive()): it is not ready until then.
 *
 * Return: the revents
 */
short pl_sock_poll(struct pl_sock *s, short events)
{
	struct pl_ctx *c = pl_sock_ctx(s);
	struct vs_pollfd p = {.sock = atomic_load(&s->vs), .events = events};

	if (vs_poll(c->vs, &p, 1, 0) < 0) {
		p.revents = VS_POLLERR | VS_POLLHUP;
		if (pl_revive(s) != -EINVAL) {
			p.revents = 0;
			pl_ctx_put(c);
			c = pl_sock_ctx(s);
			p.sock = atomic_load(&s->vs);
			if (vs_poll(c->vs, &p, 1, 0) < 0)
				p.revents = 0;
		}
	}
	pl_ctx_put(c);
	return p.revents;
}

/**
 * pl_poll_socks() - vs_poll() sockets that may live in different contexts
 * @socks:	the sockets; NULL entries are skipped (revents 0)
 * @vp:		the items: events in, revents out (sock is set here)
 * @n:		how many
 *
 * Those of the current context are looked at in one vs_poll(), the rest
 * (after a vstackd restart) one by one with pl_sock_poll().
 *
 * Return: items with revents
 */
int pl_poll_socks(struct pl_sock *const *socks, struct vs_pollfd *vp,
		  unsigned n)
{
	struct pl_ctx *c = pl_ctx_current();
	bool batch = false;
	unsigned i;
	int ready = 0;

	for (i = 0; i < n; i++) {
		vp[i].revents = 0;
		vp[i].sock = -1;
		if (socks[i] && c && atomic_load(&socks[i]->ctx) == c) {
			vp[i].sock = atomic_load(&socks[i]->vs);
			batch = true;
		}
	}
	if (batch && vs_poll(c->vs, vp, n, 0) < 0)
		for (i = 0; i < n; i++)
			vp[i].sock = -1; /* gone just now: one by one */
	for (i = 0; i < n; i++) {
		if (!socks[i])
			continue;
		if (vp[i].sock < 0)
			vp[i].revents = pl_sock_poll(socks[i], vp[i].events);
		if (vp[i].revents)
			ready++;
	}
	pl_ctx_put(c);
	return ready;
}

/**
 * pl_table() - the table, made on first use
 *
 * Return: it, or NULL (ENOMEM)
 */
static _Atomic(struct pl_sock *) *pl_table(void)
{
	_Atomic(struct pl_sock *) *t = atomic_load(&pl_tab);

	if (t)
		return t;
	pthread_rwlock_wrlock(&pl_tab_lock);
	t = atomic_load(&pl_tab);
	if (!t) {
		/* Pages are touched only where descriptors are. */
		pl_cloexec = calloc(PL_FD_MAX, sizeof(*pl_cloexec));
		t = calloc(PL_FD_MAX, sizeof(*t));
		if (t && pl_cloexec)
			atomic_store(&pl_tab, t);
		else
			t = NULL;
	}
	pthread_rwlock_unlock(&pl_tab_lock);
	return t;
}

/**
 * pl_is_sock() - does a descriptor name a vstack socket (no lock: a hint
 * for the fast path, pl_get() decides)
 * @fd:		the descriptor
 *
 * Return: true when it does
 */
bool pl_is_sock(int fd)
{
	_Atomic(struct pl_sock *) *t = atomic_load_explicit(&pl_tab,
							    memory_order_acquire);

	return t && fd >= 0 && fd < PL_FD_MAX &&
	       atomic_load_explicit(&t[fd], memory_order_relaxed);
}

/**
 * pl_get() - take a reference on the socket a descriptor names
 * @fd:		the descriptor
 *
 * Return: the socket (pl_put() it), or NULL for a kernel descriptor
 */
struct pl_sock *pl_get(int fd)
{
	struct pl_sock *s;

	if (!pl_is_sock(fd))
		return NULL;
	pthread_rwlock_rdlock(&pl_tab_lock);
	s = atomic_load(&pl_tab[fd]);
	if (s)
		atomic_fetch_add(&s->refs, 1);
	pthread_rwlock_unlock(&pl_tab_lock);
	return s;
}

/**
 * pl_stale() - was the socket inherited across fork()
 * @s:		the socket
 *
 * Return: true when it belongs to the parent's context
 */
bool pl_stale(const struct pl_sock *s)
{
	return s->gen != atomic_load(&pl_fork_gen);
}

/**
 * pl_sock_new() - a socket object for a libvstack socket
 * @c:		its context (the socket takes a reference)
 * @vs:		the libvstack socket (non-blocking already)
 * @type:	SOCK_STREAM or SOCK_DGRAM
 *
 * Return: it with no reference yet (pl_install() takes the first), or
 * NULL (ENOMEM)
 */
struct pl_sock *pl_sock_new(struct pl_ctx *c, int vs, int type)
{
	struct pl_sock *s = calloc(1, sizeof(*s));

	if (!s || !pl_table()) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	atomic_fetch_add(&c->refs, 1);
	atomic_store(&s->ctx, c);
	s->vs = vs;
	s->type = type;
	s->gen = atomic_load(&pl_fork_gen);
	atomic_fetch_add(&pl_nsocks, 1);
	return s;
}

/**
 * pl_sock_discard() - undo pl_sock_new() for a socket never installed
 * @s:		the socket, or NULL; its libvstack socket stays the caller's
 */
void pl_sock_discard(struct pl_sock *s)
{
	if (!s)
		return;
	atomic_fetch_sub(&pl_nsocks, 1);
	pl_ctx_put(atomic_load(&s->ctx));
	free(s);
}

/**
 * pl_placeholder() - a kernel descriptor to name a vstack socket
 *
 * Return: the descriptor, or -1 with errno
 */
int pl_placeholder(void)
{
	return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

/**
 * pl_install() - let a descriptor name a socket
 * @fd:		the descriptor (a placeholder or a copy of one)
 * @s:		the socket; gains a descriptor and a reference
 *
 * Return: 0, or -1 with errno (EMFILE beyond the table)
 */
int pl_install(int fd, struct pl_sock *s)
{
	_Atomic(struct pl_sock *) *t = pl_table();

	if (!t)
		return pl_fail(ENOMEM);
	if (fd < 0 || fd >= PL_FD_MAX)
		return pl_fail(EMFILE);
	atomic_fetch_add(&s->refs, 1);
	atomic_fetch_add(&s->nfds, 1);
	pthread_rwlock_wrlock(&pl_tab_lock);
	atomic_store(&t[fd], s);
	pthread_rwlock_unlock(&pl_tab_lock);
	return 0;
}

/**
 * pl_uninstall() - a descriptor no longer names its socket
 * @fd:		the descriptor (closed by the caller afterwards)
 *
 * Return: the socket, still holding the descriptor's reference (give it
 * to pl_drop_fd()), or NULL
 */
struct pl_sock *pl_uninstall(int fd)
{
	struct pl_sock *s;

	if (!pl_is_sock(fd))
		return NULL;
	pthread_rwlock_wrlock(&pl_tab_lock);
	s = atomic_exchange(&pl_tab[fd], NULL);
	pthread_rwlock_unlock(&pl_tab_lock);
	return s;
}

/**
 * pl_drop_fd() - release a descriptor's hold on a socket
 * @s:		the socket from pl_uninstall()
 *
 * The last descriptor marks it closed and wakes every waiter.
 */
void pl_drop_fd(struct pl_sock *s)
{
	if (atomic_fetch_sub(&s->nfds, 1) == 1) {
		atomic_store(&s->closed, true);
		pl_notify_all();
	}
	pl_put(s);
}

/**
 * pl_put() - drop a reference; the last closes the vstack socket
 * @s:		the socket, or NULL
 */
void pl_put(struct pl_sock *s)
{
	struct pl_ctx *c;

	if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	c = atomic_load(&s->ctx);
	if (!pl_stale(s)) {
		pl_orphan_set(s, false);
		if (s->vs >= 0) {
			(void)vs_close(c->vs, s->vs);
			pl_notify_all();
		}
		atomic_fetch_sub(&pl_nsocks, 1);
	}
	pl_ctx_put(c);
	free(s);
}

/**
 * pl_fd_cloexec() - the FD_CLOEXEC a program set on a vstack descriptor
 * @fd:		the descriptor
 *
 * Return: the flag
 */
bool pl_fd_cloexec(int fd)
{
	return pl_cloexec && fd >= 0 && fd < PL_FD_MAX && pl_cloexec[fd];
}

/**
 * pl_fd_set_cloexec() - remember a program's FD_CLOEXEC
 * @fd:		the descriptor
 * @on:		the flag
 */
void pl_fd_set_cloexec(int fd, bool on)
{
	if (pl_cloexec && fd >= 0 && fd < PL_FD_MAX)
		pl_cloexec[fd] = on;
}

/**
 * pl_thread_efd() - the calling thread's wake-up eventfd
 *
 * Return: the descriptor, or -1
 */
static int pl_thread_efd(void)
{
	if (pl_tefd < 0) {
		pthread_once(&pl_once, pl_init_once);
		pl_tefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (pl_tefd >= 0)
			pthread_setspecific(pl_tefd_key,
					    (void *)(intptr_t)(pl_tefd + 1));
	}
	return pl_tefd;
}

/**
 * pl_notify_all() - make every waiting thread look again
 */
void pl_notify_all(void)
{
	static const uint64_t one = 1;
	struct pl_waiter *w;

	if (!atomic_load(&pl_nwaiters))
		return;
	pthread_mutex_lock(&pl_wait_lock);
	for (w = pl_waiters; w; w = w->next)
		(void)!PL_REAL(write)(w->efd, &one, sizeof(one));
	pthread_mutex_unlock(&pl_wait_lock);
}

/**
 * pl_wait_register() - list a waiter
 * @w:		it, with its eventfd
 */
static void pl_wait_register(struct pl_waiter *w)
{
	pthread_mutex_lock(&pl_wait_lock);
	w->next = pl_waiters;
	pl_waiters = w;
	atomic_fetch_add(&pl_nwaiters, 1);
	pthread_mutex_unlock(&pl_wait_lock);
}

/**
 * pl_wait_unregister() - take a waiter off the list
 * @w:		it
 */
static void pl_wait_unregister(struct pl_waiter *w)
{
	struct pl_waiter **p;

	pthread_mutex_lock(&pl_wait_lock);
	for (p = &pl_waiters; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			atomic_fetch_sub(&pl_nwaiters, 1);
			break;
		}
	pthread_mutex_unlock(&pl_wait_lock);
}

/**
 * pl_timespec_left() - time left to a deadline
 * @deadline:	monotonic ns, -1 for none
 * @ts:		filled in
 *
 * Return: @ts, or NULL for no deadline
 */
static struct timespec *pl_timespec_left(int64_t deadline, struct timespec *ts)
{
	int64_t left;

	if (deadline < 0)
		return NULL;
	left = deadline - pl_now();
	if (left < 0)
		left = 0;
	ts->tv_sec = left / 1000000000;
	ts->tv_nsec = left % 1000000000;
	return ts;
}

/**
 * pl_look() - one look for pl_wait(): the watched socket, then the check
 * @check:	as pl_wait()'s
 * @arg:	its argument
 * @watch:	as pl_wait()'s
 *
 * Return: -EBADF (@watch closed), PL_WAIT_CHECK, the check's -errno, or 0
 * when there is nothing yet
 */
static int pl_look(pl_check_fn check, void *arg, struct pl_sock *watch)
{
	int c;

	if (watch && atomic_load(&watch->closed))
		return -EBADF;
	c = check(arg);
	return c < 0 ? c : c ? PL_WAIT_CHECK : 0;
}

/**
 * pl_spin() - pl_wait()'s look before sleeping
 * @check:	as pl_wait()'s
 * @arg:	its argument
 * @kfds:	the kernel descriptors
 * @nk:		how many
 * @end:	monotonic ns at which to stop looking
 * @watch:	as pl_wait()'s
 *
 * Looks at the vstack sockets and, without waiting, at the kernel
 * descriptors, yielding the CPU between looks: a program that would run on
 * this CPU (the peer we wait for, often) must not be held up by our
 * looking.
 *
 * Return: PL_WAIT_CHECK, PL_WAIT_KERNEL or -errno as pl_wait(), or 0 to
 * go on and sleep
 */
static int pl_spin(pl_check_fn check, void *arg, struct pollfd *kfds,
		   nfds_t nk, int64_t end, struct pl_sock *watch)
{
	struct timespec zero = {0, 0};
	int r;

	while (pl_now() < end) {
		r = pl_look(check, arg, watch);
		if (r)
			return r;
		if (nk) {
			r = PL_REAL(ppoll)(kfds, nk, &zero, NULL);
			if (r > 0)
				return PL_WAIT_KERNEL;
			if (r < 0 && errno != EINTR)
				return -errno;
		}
		sched_yield();
	}
	return 0;
}

/* pl_wait() after its look: arm, sleep in ppoll(), until something */
static int pl_wait_sleep(pl_check_fn check, void *arg, struct pollfd *kfds,
			 nfds_t nk, int64_t deadline, const sigset_t *mask,
			 struct pl_sock *watch)
{
	struct timespec ts, *tp;
	struct pl_waiter w;
	struct pl_ctx *c;
	int64_t cap, left;
	nfds_t i, n;
	int r, err;

	for (;;) {
		r = pl_look(check, arg, watch);
		if (r)
			return r;
		if (deadline >= 0 && pl_now() >= deadline) {
			if (!nk)
				return 0;
			ts.tv_sec = ts.tv_nsec = 0;
			r = PL_REAL(ppoll)(kfds, nk, &ts, NULL);
			return r > 0 ? PL_WAIT_KERNEL : r < 0 ? -errno : 0;
		}
		n = nk;
		w.efd = pl_thread_efd();
		/* Looked up every time round: after a vstackd restart the
		 * current context is a new one. */
		c = pl_ctx_current();
		if (c && w.efd >= 0) {
			pl_wait_register(&w);
			/* Arm, then look: anything after the arm wakes us. */
			r = 0;
			if (!vs_ctx_arm(c->vs) &&
			    !(r = pl_look(check, arg, watch))) {
				kfds[n++] = (struct pollfd){
					.fd = vs_ctx_fd(c->vs),
					.events = POLLIN};
				kfds[n++] = (struct pollfd){.fd = w.efd,
							    .events = POLLIN};
			} else {
				pl_wait_unregister(&w);
				if (r) {
					pl_ctx_put(c);
					return r;
				}
				/* vstackd gone: its descriptor says nothing
				 * more, we look every PL_REVIVE_MS below. */
			}
		}
		/*
		 * Nothing would wake us for a vstack socket when this thread
		 * has no eventfd (EMFILE: look every 10 ms) or vstackd is
		 * gone; and a socket waiting for the next vstackd is tried
		 * only when someone looks at it.
		 */
		cap = -1;
		if (n == nk && w.efd < 0)
			cap = 10000000;
		else if (n == nk || atomic_load(&pl_orphans))
			cap = (int64_t)PL_REVIVE_MS * 1000000;
		tp = pl_timespec_left(deadline, &ts);
		left = tp ? (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec : -1;
		if (cap >= 0 && (left < 0 || left > cap)) {
			ts.tv_sec = cap / 1000000000;
			ts.tv_nsec = cap % 1000000000;
			tp = &ts;
		}
		r = PL_REAL(ppoll)(kfds, n, tp, mask);
		err = errno;
		if (n > nk) {
			pl_wait_unregister(&w);
			if (kfds[nk].revents) {
				(void)vs_ctx_ack(c->vs);
				pl_notify_all();
			}
			if (kfds[nk + 1].revents) {
				uint64_t v;

				(void)!PL_REAL(read)(w.efd, &v, sizeof(v));
			}
		}
		pl_ctx_put(c);
		if (r < 0)
			return -err;
		for (i = 0; i < nk; i++)
			if (kfds[i].revents)
				return PL_WAIT_KERNEL;
	}
}

/**
 * pl_wait() - wait for vstack sockets and kernel descriptors together
 * @check:	looks at the vstack sockets (never blocks)
 * @arg:	its argument
 * @kfds:	the kernel descriptors, with room for two more entries
 * @nk:		how many
 * @deadline:	monotonic ns, -1 for none; a past one looks once
 * @mask:	signal mask while sleeping (ppoll), or NULL
 * @watch:	a socket whose closing ends the wait (EBADF), or NULL
 *
 * See "Waiting" at the top. The kernel descriptors' revents are valid
 * only when PL_WAIT_KERNEL is returned.
 *
 * Return: PL_WAIT_CHECK, PL_WAIT_KERNEL, 0 at the deadline, or -errno
 * (-EINTR, -EBADF for @watch, the check's error)
 */
int pl_wait(pl_check_fn check, void *arg, struct pollfd *kfds, nfds_t nk,
	    int64_t deadline, const sigset_t *mask, struct pl_sock *watch)
{
	struct pl_ctx *c = pl_ctx_current();
	int64_t now = pl_now(), end;
	sigset_t all, orig;
	int r;

	/* As long as libvstack's own blocking calls look (VSTACK_SPIN_US) */
	end = now + (c ? vs_ctx_spin_ns(c->vs) : 0);
	pl_ctx_put(c);
	if (deadline >= 0 && deadline < end)
		end = deadline;
	/*
	 * A signal whose handler ran while we looked would not interrupt the
	 * sleep that follows (the call would not fail with EINTR as it must
	 * without SA_RESTART). So signals stay blocked from the look to the
	 * sleep, and ppoll() lets them in atomically with the caller's mask:
	 * one that came meanwhile interrupts the sleep at once.
	 */
	sigfillset(&all);
	if (end <= now || pthread_sigmask(SIG_BLOCK, &all, &orig))
		return pl_wait_sleep(check, arg, kfds, nk, deadline, mask,
				     watch);
	r = pl_spin(check, arg, kfds, nk, end, watch);
	if (!r)
		r = pl_wait_sleep(check, arg, kfds, nk, deadline,
				  mask ? mask : &orig, watch);
	pthread_sigmask(SIG_SETMASK, &orig, NULL);
	return r;
}

/**
 * struct pl_one - pl_wait_sock()'s check argument
 */
struct pl_one {
	struct pl_sock *s;
	short events;
};

/**
 * pl_check_one() - pl_wait() check for one socket
 * @arg:	struct pl_one
 *
 * Return: 1 when ready (or in error), 0 otherwise (a listener waiting for
 * vstackd to come back, too)
 */
static int pl_check_one(void *arg)
{
	struct pl_one *o = arg;

	/* An error is "ready": the call itself reports it. */
	return pl_sock_poll(o->s, o->events) != 0;
}

/**
 * pl_signals_restart() - would the kernel restart a socket call that a
 *			  signal handler interrupted?
 *
 * Yes if the handler has SA_RESTART. Which signal came is not known here,
 * so: yes if every handler of a signal that can interrupt a wait (not a
 * fault) has SA_RESTART. glibc's signal() sets it; Python's handlers, for
 * one, do not, and rely on EINTR to run.
 *
 * Return: true if so
 */
static bool pl_signals_restart(void)
{
	struct sigaction sa;
	int sig;

	for (sig = 1; sig < NSIG; sig++) {
		if (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE ||
		    sig == SIGILL || sig == SIGTRAP || sig == SIGKILL ||
		    sig == SIGSTOP)
			continue;
		if (sigaction(sig, NULL, &sa))
			continue; /* reserved by the C library */
		if (!(sa.sa_flags & SA_SIGINFO) &&
		    (sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN))
			continue;
		if (!(sa.sa_flags & SA_RESTART))
			return false;
	}
	return true;
}

/**
 * pl_wait_sock() - a blocking call's wait for one socket
 * @s:		the socket
 * @events:	POLLIN or POLLOUT
 * @timeout_ns:	0 for none (SO_RCVTIMEO/SO_SNDTIMEO)
 *
 * A signal handler ends the wait with EINTR, as on Linux: unless the
 * handlers have SA_RESTART and the socket no timeout (signal(7)), when
 * the caller looks again and waits on.
 *
 * Return: 0 to try again, or -errno (EBADF closed, EAGAIN timed out,
 * EINTR)
 */
int pl_wait_sock(struct pl_sock *s, short events, int64_t timeout_ns)
{
	struct pl_one o = {.s = s, .events = events};
	struct pollfd kfds[2];
	int r;

	r = pl_wait(pl_check_one, &o, kfds, 0,
		    timeout_ns > 0 ? pl_now() + timeout_ns : -1, NULL, s);
	if (r == 0)
		return -EAGAIN;
	if (r == -EINTR)
		return timeout_ns <= 0 && pl_signals_restart() ? 0 : -EINTR;
	return r < 0 ? r : 0;
}
