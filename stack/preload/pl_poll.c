// SPDX-License-Identifier: MIT
/*
 * pl_poll.c - libvstack-preload: poll, ppoll, select, pselect and epoll
 * over vstack sockets and kernel descriptors together
 *
 * poll() and select() split their descriptors: vstack sockets are looked
 * at with vs_poll() (timeout 0), kernel ones go to ppoll(); pl_wait()
 * (pl_core.c) sleeps on the kernel ones, the context's descriptor and the
 * thread's own eventfd, so a vstack socket that becomes ready wakes the
 * sleeper. A call that names no vstack socket goes to libc directly.
 *
 * epoll. The kernel's epoll instance cannot hold vstack sockets (their
 * placeholders never become ready), so each epoll descriptor that has one
 * gets a shadow list: descriptor, socket, events, data. epoll_ctl() on a
 * vstack socket edits the shadow; on anything else it goes to the kernel.
 * epoll_wait() with a non-empty shadow waits in pl_wait() with the epoll
 * descriptor itself among the kernel descriptors (an epoll descriptor is
 * readable when its set has events), then takes the vstack events from
 * the shadow and the kernel's with epoll_wait(timeout 0).
 *
 * Level-triggered is the default. EPOLLONESHOT disables the item after
 * one report until EPOLL_CTL_MOD. EPOLLET reports a condition once, and
 * again only after it went away and came back, or after the program read
 * or wrote until the socket said EAGAIN or took less than asked (the
 * socket's in_gen/out_gen move then): what a program written for edge
 * triggering does anyway. EPOLLEXCLUSIVE and EPOLLWAKEUP are accepted and
 * ignored; EPOLLPRI never fires (no urgent data). A vstack socket whose
 * last descriptor is closed leaves every shadow list; the shadow of an
 * epoll descriptor goes away when it is closed (or dup2()ed over). A
 * dup() of an epoll descriptor does not share its shadow (unsupported).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pl_priv.h"

#define PL_POLL_STACK 32 /* entries kept on the stack */

/**
 * struct pl_epitem - a vstack socket in an epoll set's shadow
 * @fd:		the descriptor it was added under
 * @s:		the socket (a reference)
 * @events:	EPOLL* asked for, with EPOLLET/EPOLLONESHOT
 * @data:	the program's data
 * @last:	edge-triggered: conditions already reported
 * @in_gen, @out_gen: the socket's counters when @last was taken
 * @off:	one-shot item that fired
 */
struct pl_epitem {
	int fd;
	struct pl_sock *s;
	uint32_t events;
	epoll_data_t data;
	uint32_t last;
	unsigned in_gen, out_gen;
	bool off;
};

/**
 * struct pl_ep - the shadow of one epoll descriptor
 * @lock:	protects the rest
 * @refs:	the table's and each call's
 * @it:		the items, @n of @cap
 * @vp:		vs_poll() scratch, @cap entries
 * @ss:		pl_poll_socks() scratch, @cap entries
 */
struct pl_ep {
	pthread_mutex_t lock;
	_Atomic int refs;
	struct pl_epitem *it;
	struct vs_pollfd *vp;
	struct pl_sock **ss;
	int n, cap;
};

static _Atomic(struct pl_ep *) *_Atomic pl_eps;
static pthread_mutex_t pl_eps_lock = PTHREAD_MUTEX_INITIALIZER;

/**
 * pl_ep_put() - drop a reference to a shadow; the last frees it
 * @ep:		the shadow, or NULL
 */
static void pl_ep_put(struct pl_ep *ep)
{
	int i;

	if (!ep || atomic_fetch_sub(&ep->refs, 1) != 1)
		return;
	for (i = 0; i < ep->n; i++)
		pl_put(ep->it[i].s);
	pthread_mutex_destroy(&ep->lock);
	free(ep->it);
	free(ep->vp);
	free(ep->ss);
	free(ep);
}

/**
 * pl_ep_get() - the shadow of an epoll descriptor
 * @epfd:	the descriptor
 * @make:	create it when there is none
 *
 * Return: the shadow with a reference, or NULL (none, or ENOMEM)
 */
static struct pl_ep *pl_ep_get(int epfd, bool make)
{
	_Atomic(struct pl_ep *) *t = atomic_load(&pl_eps);
	struct pl_ep *ep;

	if (epfd < 0 || epfd >= PL_FD_MAX)
		return NULL;
	if (!make && (!t || !atomic_load_explicit(&t[epfd],
						  memory_order_relaxed)))
		return NULL;
	pthread_mutex_lock(&pl_eps_lock);
	if (!t) {
		t = calloc(PL_FD_MAX, sizeof(*t));
		if (!t) {
			pthread_mutex_unlock(&pl_eps_lock);
			return NULL;
		}
		atomic_store(&pl_eps, t);
	}
	ep = atomic_load(&t[epfd]);
	if (!ep && make) {
		ep = calloc(1, sizeof(*ep));
		if (ep) {
			pthread_mutex_init(&ep->lock, NULL);
			atomic_store(&ep->refs, 1);
			atomic_store(&t[epfd], ep);
		}
	}
	if (ep)
		atomic_fetch_add(&ep->refs, 1);
	pthread_mutex_unlock(&pl_eps_lock);
	return ep;
}

/**
 * pl_epoll_forget() - an epoll descriptor is closed: drop its shadow
 * @epfd:	the descriptor (any descriptor being closed)
 */
void pl_epoll_forget(int epfd)
{
	_Atomic(struct pl_ep *) *t = atomic_load(&pl_eps);
	struct pl_ep *ep;

	if (!t || epfd < 0 || epfd >= PL_FD_MAX ||
	    !atomic_load_explicit(&t[epfd], memory_order_relaxed))
		return;
	pthread_mutex_lock(&pl_eps_lock);
	ep = atomic_exchange(&t[epfd], NULL);
	pthread_mutex_unlock(&pl_eps_lock);
	pl_ep_put(ep);
}

/**
 * pl_vs_events() - poll bits asked for, as vs_poll() bits
 * @ev:		POLLIN/POLLRDNORM/POLLOUT/POLLWRNORM/POLLRDHUP (same values
 *		as EPOLL*)
 *
 * Return: VS_POLLIN, VS_POLLOUT, VS_POLLRDHUP
 */
static short pl_vs_events(uint32_t ev)
{
	return (short)(((ev & (POLLIN | POLLRDNORM)) ? VS_POLLIN : 0) |
		       ((ev & (POLLOUT | POLLWRNORM)) ? VS_POLLOUT : 0) |
		       ((ev & POLLRDHUP) ? VS_POLLRDHUP : 0));
}

/**
 * pl_revents() - vs_poll() results as what the program asked for
 * @want:	its POLL* or EPOLL* bits (the same values)
 * @re:		vs_poll()'s revents
 *
 * Return: the bits to report
 */
static uint32_t pl_revents(uint32_t want, short re)
{
	uint32_t out = re & (VS_POLLERR | VS_POLLHUP | VS_POLLNVAL);

	if (re & VS_POLLIN)
		out |= want & (POLLIN | POLLRDNORM);
	if (re & VS_POLLOUT)
		out |= want & (POLLOUT | POLLWRNORM);
	/* the peer's FIN or SHUT_RD, as Linux; and with a hang-up */
	if ((re & (VS_POLLRDHUP | VS_POLLHUP)) && (want & POLLRDHUP))
		out |= POLLRDHUP;
	return out;
}

/**
 * pl_ep_scan() - the vstack events of a shadow
 * @ep:		the shadow
 * @out:	where to put events, or NULL to only count
 * @max:	room in @out
 *
 * With @out, edge-triggered and one-shot state moves and items whose
 * socket is gone are dropped.
 *
 * Return: events (counted or written)
 */
static int pl_ep_scan(struct pl_ep *ep, struct epoll_event *out, int max)
{
	int i, k = 0, nv = 0, n;

	pthread_mutex_lock(&ep->lock);
	for (i = 0; i < ep->n; i++) {
		struct pl_epitem *it = &ep->it[i];

		if (out && (atomic_load(&it->s->closed) || pl_stale(it->s))) {
			pl_put(it->s);
			ep->it[i--] = ep->it[--ep->n];
			continue;
		}
		ep->ss[i] = it->off || atomic_load(&it->s->closed) ||
					 pl_stale(it->s)
				    ? NULL
				    : it->s;
		ep->vp[i].events = pl_vs_events(it->events);
		nv += ep->ss[i] != NULL;
	}
	if (!nv) {
		pthread_mutex_unlock(&ep->lock);
		return 0;
	}
	(void)pl_poll_socks(ep->ss, ep->vp, (unsigned)ep->n);
	n = ep->n;
	for (i = 0; i < n && (!out || k < max); i++) {
		struct pl_epitem *it = &ep->it[i];
		uint32_t ev, report;
		unsigned g;

		if (!ep->ss[i])
			continue;
		ev = pl_revents(it->events, ep->vp[i].revents) &
		     (it->events | EPOLLERR | EPOLLHUP);
		report = ev;
		if (it->events & EPOLLET) {
			uint32_t last = it->last;

			g = atomic_load(&it->s->in_gen);
			if (g != it->in_gen)
				last &= ~(uint32_t)(EPOLLIN | EPOLLRDNORM);
			g = atomic_load(&it->s->out_gen);
			if (g != it->out_gen)
				last &= ~(uint32_t)(EPOLLOUT | EPOLLWRNORM);
			report = ev & ~last;
			if (out) {
				it->in_gen = atomic_load(&it->s->in_gen);
				it->out_gen = atomic_load(&it->s->out_gen);
				it->last = ev;
			}
		}
		if (!report)
			continue;
		if (out) {
			out[k].events = ev;
			out[k].data = it->data;
			if (it->events & EPOLLONESHOT)
				it->off = true;
		}
		k++;
	}
	pthread_mutex_unlock(&ep->lock);
	return k;
}

/**
 * pl_ep_check() - pl_wait() check for epoll_wait()
 * @arg:	the shadow
 *
 * Return: > 0 when a vstack event is there
 */
static int pl_ep_check(void *arg)
{
	return pl_ep_scan(arg, NULL, 0);
}

/**
 * pl_ep_ctl() - epoll_ctl() for a vstack socket: edit the shadow
 * @epfd:	the epoll descriptor
 * @op:		EPOLL_CTL_*
 * @fd:		the socket's descriptor
 * @s:		the socket
 * @ev:		events and data
 *
 * Return: 0, or a positive errno
 */
static int pl_ep_ctl(int epfd, int op, int fd, struct pl_sock *s,
		     const struct epoll_event *ev)
{
	struct pl_epitem *it = NULL;
	struct pl_sock *drop = NULL;
	struct pl_ep *ep;
	int i, err = 0;

	if (PL_REAL(fcntl)(epfd, F_GETFD) < 0)
		return EBADF;
	if (pl_is_sock(epfd) || epfd == fd)
		return EINVAL;
	if (pl_stale(s))
		return EBADFD;
	if (op != EPOLL_CTL_DEL && !ev)
		return EFAULT;
	ep = pl_ep_get(epfd, op == EPOLL_CTL_ADD);
	if (!ep)
		return op == EPOLL_CTL_ADD ? ENOMEM : ENOENT;
	pthread_mutex_lock(&ep->lock);
	for (i = 0; i < ep->n; i++)
		if (ep->it[i].fd == fd && ep->it[i].s == s)
			it = &ep->it[i];
	switch (op) {
	case EPOLL_CTL_ADD:
		if (it) {
			err = EEXIST;
			break;
		}
		if (ep->n == ep->cap) {
			int cap = ep->cap ? ep->cap * 2 : 8;
			struct pl_epitem *nit =
				realloc(ep->it, cap * sizeof(*nit));
			struct vs_pollfd *nvp = NULL;
			struct pl_sock **nss = NULL;

			if (nit) {
				ep->it = nit;
				nvp = realloc(ep->vp, cap * sizeof(*nvp));
			}
			if (nvp) {
				ep->vp = nvp;
				nss = realloc(ep->ss, cap * sizeof(*nss));
			}
			if (!nss) {
				err = ENOMEM;
				break;
			}
			ep->ss = nss;
			ep->cap = cap;
		}
		it = &ep->it[ep->n++];
		memset(it, 0, sizeof(*it));
		it->fd = fd;
		it->s = s;
		atomic_fetch_add(&s->refs, 1);
		/* fallthrough */
	case EPOLL_CTL_MOD:
		if (!it) {
			err = ENOENT;
			break;
		}
		it->events = ev->events;
		it->data = ev->data;
		it->last = 0;
		it->off = false;
		it->in_gen = atomic_load(&s->in_gen);
		it->out_gen = atomic_load(&s->out_gen);
		break;
	case EPOLL_CTL_DEL:
		if (!it) {
			err = ENOENT;
			break;
		}
		drop = it->s;
		*it = ep->it[--ep->n];
		break;
	default:
		err = EINVAL;
	}
	pthread_mutex_unlock(&ep->lock);
	pl_put(drop);
	pl_ep_put(ep);
	/* A sleeping epoll_wait() looks at the new item. */
	if (!err && op != EPOLL_CTL_DEL)
		pl_notify_all();
	return err;
}

/**
 * epoll_ctl() - vstack sockets go to the shadow, the rest to the kernel
 */
PL_API int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	struct pl_sock *s = pl_get(fd);
	int err;

	if (!s)
		return PL_REAL(epoll_ctl)(epfd, op, fd, ev);
	err = pl_ep_ctl(epfd, op, fd, s, ev);
	pl_put(s);
	return err ? pl_fail(err) : 0;
}

/**
 * pl_epoll_wait() - epoll_wait() over a shadow and the kernel's set
 * @epfd:	the epoll descriptor
 * @evs:	the events
 * @max:	room
 * @timeout:	milliseconds, -1 for ever
 * @mask:	signal mask while waiting, or NULL
 *
 * Return: events, 0 on timeout, or -1 with errno
 */
static int pl_epoll_wait(int epfd, struct epoll_event *evs, int max,
			 int timeout, const sigset_t *mask)
{
	struct pl_ep *ep = pl_ep_get(epfd, false);
	int64_t deadline = pl_deadline_ms(timeout);
	struct pollfd kfds[3];
	int r, nv, nk;

	if (!ep || !ep->n) {
		pl_ep_put(ep);
		return PL_REAL(epoll_pwait)(epfd, evs, max, timeout, mask);
	}
	if (max <= 0 || !evs) {
		pl_ep_put(ep);
		return pl_fail(max <= 0 ? EINVAL : EFAULT);
	}
	for (;;) {
		kfds[0] = (struct pollfd){.fd = epfd, .events = POLLIN};
		r = pl_wait(pl_ep_check, ep, kfds, 1, deadline, mask, NULL);
		if (r < 0) {
			pl_ep_put(ep);
			return pl_fail(-r);
		}
		nv = pl_ep_scan(ep, evs, max);
		nk = 0;
		if (nv < max && (r == PL_WAIT_KERNEL || nv)) {
			nk = PL_REAL(epoll_wait)(epfd, evs + nv, max - nv, 0);
			if (nk < 0)
				nk = 0;
		}
		if (nv + nk || !r) {
			pl_ep_put(ep);
			return nv + nk;
		}
	}
}

/** epoll_wait() - see pl_epoll_wait() */
PL_API int epoll_wait(int epfd, struct epoll_event *evs, int max, int timeout)
{
	return pl_epoll_wait(epfd, evs, max, timeout, NULL);
}

/** epoll_pwait() - epoll_wait() with a signal mask */
PL_API int epoll_pwait(int epfd, struct epoll_event *evs, int max, int timeout,
		       const sigset_t *mask)
{
	return pl_epoll_wait(epfd, evs, max, timeout, mask);
}

/**
 * struct pl_pollset - poll()'s vstack part
 * @ss:		the sockets, NULL for stale ones
 * @vp:		vs_poll() items, one for each
 * @n:		how many
 */
struct pl_pollset {
	struct pl_sock **ss;
	struct vs_pollfd *vp;
	unsigned n;
};

/**
 * pl_poll_check() - pl_wait() check for poll()
 * @arg:	struct pl_pollset
 *
 * Return: items ready
 */
static int pl_poll_check(void *arg)
{
	struct pl_pollset *ps = arg;

	return pl_poll_socks(ps->ss, ps->vp, ps->n);
}

/**
 * pl_poll() - poll()/ppoll() with vstack sockets among the descriptors
 * @fds:	the program's array
 * @n:		its length
 * @deadline:	monotonic ns, -1 for none
 * @mask:	signal mask while waiting, or NULL
 *
 * Return: entries with revents, 0 at the deadline, -1 with errno; -2 when
 * no vstack socket is named (the caller asks libc)
 */
static int pl_poll(struct pollfd *fds, nfds_t n, int64_t deadline,
		   const sigset_t *mask)
{
	struct pollfd kst[PL_POLL_STACK + 2], *k = kst;
	struct vs_pollfd vst[PL_POLL_STACK], *vp = vst;
	struct pl_sock *sst[PL_POLL_STACK], **socks = sst;
	struct pl_sock *vsst[PL_POLL_STACK], **vss = vsst;
	struct pl_pollset ps = {0};
	nfds_t i, nk = 0, nvs = 0;
	int r, ready = 0, err = 0;

	if (!pl_nsocks)
		return -2;
	for (i = 0; i < n; i++)
		if (pl_is_sock(fds[i].fd))
			nvs++;
	if (!nvs)
		return -2;
	if (n > PL_POLL_STACK) {
		k = malloc((n + 2) * sizeof(*k));
		vp = malloc(n * sizeof(*vp));
		vss = malloc(n * sizeof(*vss));
		socks = calloc(n, sizeof(*socks)); /* put at "out" */
		if (!k || !vp || !vss || !socks) {
			err = ENOMEM;
			goto out;
		}
	}
	/* Sorted out once: kernel entries keep their order in k[]. */
	for (i = 0; i < n; i++) {
		struct pl_sock *s = pl_get(fds[i].fd);

		socks[i] = s;
		fds[i].revents = 0;
		if (!s) {
			k[nk++] = fds[i];
			continue;
		}
		if (pl_stale(s))
			deadline = pl_now(); /* POLLNVAL: do not sleep */
		vss[ps.n] = pl_stale(s) ? NULL : s;
		vp[ps.n].events = pl_vs_events((uint16_t)fds[i].events);
		vp[ps.n].revents = 0;
		ps.n++;
	}
	ps.ss = vss;
	ps.vp = vp;
	r = pl_wait(pl_poll_check, &ps, k, nk, deadline, mask, NULL);
	if (r < 0) {
		err = -r;
		goto out;
	}
	(void)pl_poll_check(&ps);
	if (r != PL_WAIT_KERNEL && nk) {
		struct timespec zero = {0};

		if (PL_REAL(ppoll)(k, nk, &zero, NULL) < 0)
			for (i = 0; i < nk; i++)
				k[i].revents = 0;
	}
	for (i = 0, nk = 0, ps.n = 0; i < n; i++) {
		if (!socks[i])
			fds[i].revents = k[nk++].revents;
		else if (pl_stale(socks[i]))
			fds[i].revents = POLLNVAL, ps.n++;
		else
			fds[i].revents = (short)pl_revents(
				(uint16_t)fds[i].events, vp[ps.n++].revents);
		if (fds[i].revents)
			ready++;
	}
out:
	for (i = 0; socks && i < n; i++)
		pl_put(socks[i]);
	if (k != kst) {
		free(k);
		free(vp);
		free(vss);
		free(socks);
	}
	return err ? pl_fail(err) : ready;
}

/**
 * pl_ts_deadline() - a timespec timeout as a deadline
 * @ts:		the timeout, or NULL for none
 *
 * Return: monotonic ns, or -1
 */
static int64_t pl_ts_deadline(const struct timespec *ts)
{
	if (!ts)
		return -1;
	return pl_now() + (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

/** poll() - see pl_poll() */
PL_API int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	int r = pl_poll(fds, n, pl_deadline_ms(timeout), NULL);

	return r == -2 ? PL_REAL(poll)(fds, n, timeout) : r;
}

/** ppoll() - poll() with a timespec and a signal mask */
PL_API int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts,
		 const sigset_t *mask)
{
	int r = pl_poll(fds, n, pl_ts_deadline(ts), mask);

	return r == -2 ? PL_REAL(ppoll)(fds, n, ts, mask) : r;
}

PL_API int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t len);
PL_API int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *ts,
		       const sigset_t *mask, size_t len);

/** __poll_chk() - poll() with the fortify check */
int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t len)
{
	if (len / sizeof(*fds) < n)
		abort();
	return poll(fds, n, timeout);
}

/** __ppoll_chk() - ppoll() with the fortify check */
int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *ts,
		const sigset_t *mask, size_t len)
{
	if (len / sizeof(*fds) < n)
		abort();
	return ppoll(fds, n, ts, mask);
}

/**
 * pl_select() - select()/pselect() through pl_poll()
 * @nfds:	one more than the highest descriptor
 * @rd:		read set, or NULL
 * @wr:		write set, or NULL
 * @ex:		exception set, or NULL
 * @deadline:	monotonic ns, -1 for none
 * @mask:	signal mask while waiting, or NULL
 *
 * Return: bits set, 0 at the deadline, -1 with errno; -2 when no vstack
 * socket is in the sets
 */
static int pl_select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex,
		     int64_t deadline, const sigset_t *mask)
{
	struct pollfd *p;
	int fd, n = 0, any = 0, r, i;

	if (!pl_nsocks || nfds < 0)
		return -2;
	if (nfds > FD_SETSIZE)
		nfds = FD_SETSIZE;
	for (fd = 0; fd < nfds; fd++) {
		bool in = (rd && FD_ISSET(fd, rd)) || (wr && FD_ISSET(fd, wr)) ||
			  (ex && FD_ISSET(fd, ex));

		if (in) {
			n++;
			any |= pl_is_sock(fd);
		}
	}
	if (!any)
		return -2;
	p = calloc(n, sizeof(*p));
	if (!p)
		return pl_fail(ENOMEM);
	for (fd = 0, i = 0; fd < nfds; fd++) {
		short ev = 0;

		if (rd && FD_ISSET(fd, rd))
			ev |= POLLIN;
		if (wr && FD_ISSET(fd, wr))
			ev |= POLLOUT;
		if (ex && FD_ISSET(fd, ex))
			ev |= POLLPRI;
		if (ev)
			p[i++] = (struct pollfd){.fd = fd, .events = ev};
	}
	r = pl_poll(p, (nfds_t)n, deadline, mask);
	if (r < 0) {
		free(p);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (p[i].revents & POLLNVAL) {
			free(p);
			return pl_fail(EBADF);
		}
	if (rd)
		FD_ZERO(rd);
	if (wr)
		FD_ZERO(wr);
	if (ex)
		FD_ZERO(ex);
	for (i = 0, r = 0; i < n; i++) {
		short re = p[i].revents, ev = p[i].events;

		if (rd && (ev & POLLIN) && (re & (POLLIN | POLLHUP | POLLERR)))
			FD_SET(p[i].fd, rd), r++;
		if (wr && (ev & POLLOUT) && (re & (POLLOUT | POLLERR)))
			FD_SET(p[i].fd, wr), r++;
		if (ex && (ev & POLLPRI) && (re & POLLPRI))
			FD_SET(p[i].fd, ex), r++;
	}
	free(p);
	return r;
}

/**
 * select() - see pl_select(); the timeout is updated with what is left,
 * as on Linux
 */
PL_API int select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex,
		  struct timeval *tv)
{
	int64_t deadline = -1, left;
	int r;

	if (tv)
		deadline = pl_now() + (int64_t)tv->tv_sec * 1000000000 +
			   (int64_t)tv->tv_usec * 1000;
	r = pl_select(nfds, rd, wr, ex, deadline, NULL);
	if (r == -2)
		return PL_REAL(select)(nfds, rd, wr, ex, tv);
	if (tv) {
		left = deadline - pl_now();
		if (left < 0)
			left = 0;
		tv->tv_sec = left / 1000000000;
		tv->tv_usec = (left % 1000000000) / 1000;
	}
	return r;
}

/** pselect() - select() with a timespec and a signal mask */
PL_API int pselect(int nfds, fd_set *rd, fd_set *wr, fd_set *ex,
		   const struct timespec *ts, const sigset_t *mask)
{
	int r = pl_select(nfds, rd, wr, ex, pl_ts_deadline(ts), mask);

	return r == -2 ? PL_REAL(pselect)(nfds, rd, wr, ex, ts, mask) : r;
}
