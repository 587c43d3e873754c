// SPDX-License-Identifier: MIT
/*
 * vs_ctx.c - libvstack contexts: attaching to vstackd, the command and
 * completion queues, and waiting
 *
 * Theory of operation
 *
 * Attach (app_proto.h section 1). vs_open() connects a SOCK_SEQPACKET
 * socket to vstackd, sends one hello and reads one welcome with three file
 * descriptors. Nothing in the welcome or in the shared memory is trusted:
 * the message must have the exact size, magic and version; a refusal must
 * carry a plausible errno; a success exactly three descriptors, a memfd at
 * least as large as announced, and a header whose areas (sockets, queues,
 * data) lie inside the mapping, do not overlap, and have power-of-two
 * queue sizes. The geometry is copied once into struct vs_ctx and never
 * read from shared memory again, so a daemon that later rewrites the
 * header cannot move our accesses.
 *
 * Commands. A command goes into the submission queue under ctx->lock,
 * with a fresh tag; the thread that posted it then waits for the
 * completion with that tag. Whoever takes the lock to look at the
 * completion queue (any waiting thread) moves every completion there to
 * the waiter that owns its tag (a list of struct vs_waiter living on the
 * waiting threads' stacks), so no thread depends on another to read its
 * completion and the queue never stays full (vstackd stops taking
 * commands while it is). Completions of non-blocking connects are
 * recorded in the socket they concern; any other completion nobody waits
 * for is counted and dropped.
 *
 * Waiting (section 5). One thread at a time, the poller, sleeps in
 * poll(2) on the wake-up eventfd and the Unix socket; the others sleep on
 * ctx->cond. Every waiter raises shm->app_waiting (it is a count of
 * sleepers here; vstackd only tests it for non-zero) before its last look
 * at the condition it waits for, so whatever vstackd makes visible after
 * that look writes the eventfd, which stays readable until the poller
 * drains it. When the poller wakes it bumps ctx->epoch and wakes every
 * follower to look again, and the next poller is elected from whoever
 * still waits. A follower that took its epoch before its last look and
 * finds it moved looks again instead of sleeping, so no wake-up is lost
 * between threads either.
 *
 * vstackd gone. POLLHUP, POLLERR (or anything readable: nothing is ever
 * sent after the welcome) on the Unix socket marks the context dead with
 * ECONNABORTED and wakes everyone; every call checks ctx->dead first. A
 * call that would fail with EAGAIN looks at the socket once (poll with
 * timeout 0) so that a non-blocking loop learns it too instead of
 * spinning on EAGAIN for ever.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vs_priv.h"

static const uint64_t vs_ctx_one = 1;

/* The message of the last failed vs_open() of each thread */
static _Thread_local char vs_ctx_msg[VSAPP_MSG_MAX + 64];

/**
 * vs_ctx_set_msg() - set the calling thread's vs_open_error() message
 * @fmt:	printf format
 */
void vs_ctx_set_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(vs_ctx_msg, sizeof(vs_ctx_msg), fmt, ap);
	va_end(ap);
}

/**
 * vs_open_error() - why the last vs_open() of this thread failed
 *
 * Return: the message, "" when there was no failure
 */
VS_API const char *vs_open_error(void)
{
	return vs_ctx_msg;
}

/**
 * vs_ctx_now() - the monotonic clock
 *
 * Return: nanoseconds
 */
static int64_t vs_ctx_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/**
 * vs_ctx_deadline() - a timeout as a deadline
 * @timeout_ms:	negative for none
 *
 * Return: a monotonic time in ns, or -1 for none
 */
int64_t vs_ctx_deadline(int timeout_ms)
{
	if (timeout_ms < 0)
		return -1;
	return vs_ctx_now() + (int64_t)timeout_ms * 1000000;
}

/**
 * vs_ctx_region_ok() - does [off, off + len) lie in [lo, size)
 * @off:	start
 * @len:	length
 * @lo:		the least start allowed
 * @size:	the end of the mapping
 *
 * Return: true when it does (overflow-safe)
 */
static bool vs_ctx_region_ok(uint64_t off, uint64_t len, uint64_t lo,
			     uint64_t size)
{
	return off >= lo && off <= size && len <= size - off;
}

/**
 * vs_ctx_overlap() - do two regions share a byte
 * @a:		start of the first
 * @alen:	its length
 * @b:		start of the second
 * @blen:	its length
 *
 * Return: true when they overlap (both already checked in bounds)
 */
static bool vs_ctx_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

/**
 * vs_ctx_pow2() - a queue size check
 * @n:		entries
 *
 * Return: true for a power of two in [1, VS_QUEUE_MAX]
 */
static bool vs_ctx_pow2(uint32_t n)
{
	return n && n <= VS_QUEUE_MAX && (n & (n - 1)) == 0;
}

/**
 * vs_shm_check() - validate the header of a mapped context
 * @shm:	the mapping
 * @map_size:	its size (welcome.shm_size, checked against the memfd)
 * @out:	the layout, copied once, when valid
 * @why:	a message when not
 * @whylen:	room for it
 *
 * Return: 0, or -EPROTO
 */
int vs_shm_check(const struct vsapp_shm *shm, uint64_t map_size,
		 struct vs_layout *out, char *why, size_t whylen)
{
	const volatile struct vsapp_shm *v = shm;
	struct vs_layout l;
	uint64_t lo = sizeof(struct vsapp_shm), socks_len, sq_len, cq_len;

	if (map_size < sizeof(struct vsapp_shm)) {
		snprintf(why, whylen, "context smaller than its header");
		return -EPROTO;
	}
	/* Each field is read once, here; later rewrites do not matter. */
	if (v->magic != VSAPP_MAGIC || v->version != VSAPP_VERSION) {
		snprintf(why, whylen, "context header: bad magic or version");
		return -EPROTO;
	}
	if (v->size != map_size) {
		snprintf(why, whylen, "context header: size %llu, welcome %llu",
			 (unsigned long long)v->size,
			 (unsigned long long)map_size);
		return -EPROTO;
	}
	l.nsocks = v->nsocks;
	l.sq_entries = v->sq_entries;
	l.cq_entries = v->cq_entries;
	l.socks_off = v->socks_off;
	l.sq_off = v->sq_off;
	l.cq_off = v->cq_off;
	l.data_off = v->data_off;
	l.data_size = v->data_size;

	if (!l.nsocks || l.nsocks > VS_NSOCKS_MAX) {
		snprintf(why, whylen, "context: %u sockets", l.nsocks);
		return -EPROTO;
	}
	if (!vs_ctx_pow2(l.sq_entries) || !vs_ctx_pow2(l.cq_entries)) {
		snprintf(why, whylen, "context: queue sizes %u/%u",
			 l.sq_entries, l.cq_entries);
		return -EPROTO;
	}
	socks_len = (uint64_t)l.nsocks * sizeof(struct vsapp_sock);
	sq_len = (uint64_t)l.sq_entries * sizeof(struct vsapp_cmd);
	cq_len = (uint64_t)l.cq_entries * sizeof(struct vsapp_cqe);
	/* The atomics in the socket slots need their alignment. */
	if (l.socks_off % alignof(struct vsapp_sock) || l.sq_off % 8 ||
	    l.cq_off % 8) {
		snprintf(why, whylen, "context: misaligned area");
		return -EPROTO;
	}
	if (!vs_ctx_region_ok(l.socks_off, socks_len, lo, map_size) ||
	    !vs_ctx_region_ok(l.sq_off, sq_len, lo, map_size) ||
	    !vs_ctx_region_ok(l.cq_off, cq_len, lo, map_size) ||
	    !vs_ctx_region_ok(l.data_off, l.data_size, lo, map_size) ||
	    !l.data_size) {
		snprintf(why, whylen, "context: area outside the mapping");
		return -EPROTO;
	}
	if (vs_ctx_overlap(l.socks_off, socks_len, l.sq_off, sq_len) ||
	    vs_ctx_overlap(l.socks_off, socks_len, l.cq_off, cq_len) ||
	    vs_ctx_overlap(l.socks_off, socks_len, l.data_off, l.data_size) ||
	    vs_ctx_overlap(l.sq_off, sq_len, l.cq_off, cq_len) ||
	    vs_ctx_overlap(l.sq_off, sq_len, l.data_off, l.data_size) ||
	    vs_ctx_overlap(l.cq_off, cq_len, l.data_off, l.data_size)) {
		snprintf(why, whylen, "context: areas overlap");
		return -EPROTO;
	}
	*out = l;
	return 0;
}

/**
 * vs_ctx_close_fds() - close the descriptors of an array
 * @fds:	the array
 * @n:		how many
 */
static void vs_ctx_close_fds(int *fds, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/**
 * vs_ctx_recv_welcome() - read the welcome and its descriptors
 * @fd:		the connected app socket
 * @w:		the welcome
 * @fds:	VSAPP_NFDS descriptors on success (all -1 on refusal)
 *
 * Return: 0 (welcome read; w->err may be a refusal), or -errno with the
 * message set
 */
static int vs_ctx_recv_welcome(int fd, struct vsapp_welcome *w, int *fds)
{
	/* One byte more than a welcome, and room for surplus descriptors,
	 * so that oversized messages show rather than being cut silently. */
	union {
		struct vsapp_welcome w;
		char raw[sizeof(struct vsapp_welcome) + 1];
	} buf;
	union {
		struct cmsghdr h;
		char raw[CMSG_SPACE(sizeof(int) * 8)];
	} ctl;
	struct iovec iov = {.iov_base = &buf, .iov_len = sizeof(buf)};
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.raw,
		.msg_controllen = sizeof(ctl.raw),
	};
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	int got[16], ngot = 0, i, ret;
	struct cmsghdr *c;
	ssize_t n;

	for (i = 0; i < VSAPP_NFDS; i++)
		fds[i] = -1;
	do {
		ret = poll(&pfd, 1, VS_OPEN_TIMEOUT_MS);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0) {
		ret = -errno;
		vs_ctx_set_msg("poll: %s", strerror(-ret));
		return ret;
	}
	if (!ret) {
		vs_ctx_set_msg("vstackd did not answer within %d ms",
			       VS_OPEN_TIMEOUT_MS);
		return -ETIMEDOUT;
	}
	do {
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		ret = -errno;
		vs_ctx_set_msg("reading the welcome: %s", strerror(-ret));
		return ret;
	}
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		size_t k, nf;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nf = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (k = 0; k < nf; k++) {
			int f;

			memcpy(&f, CMSG_DATA(c) + k * sizeof(int), sizeof(f));
			if (ngot < (int)(sizeof(got) / sizeof(got[0])))
				got[ngot++] = f;
			else
				close(f);
		}
	}
	ret = -EPROTO;
	if (!n) {
		vs_ctx_set_msg("vstackd closed the connection");
		ret = -ECONNRESET;
		goto out;
	}
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		vs_ctx_set_msg("welcome: message or descriptors truncated");
		goto out;
	}
	if ((size_t)n != sizeof(*w)) {
		vs_ctx_set_msg("welcome: %zd bytes, expected %zu", n,
			       sizeof(*w));
		goto out;
	}
	memcpy(w, &buf.w, sizeof(*w));
	if (w->magic != VSAPP_MAGIC || w->version != VSAPP_VERSION) {
		vs_ctx_set_msg("welcome: bad magic 0x%08x or version %u",
			       w->magic, w->version);
		goto out;
	}
	w->msg[sizeof(w->msg) - 1] = '\0';
	w->endpoint[sizeof(w->endpoint) - 1] = '\0';
	if (w->err) {
		if (w->err < 0 || w->err > 4095) {
			vs_ctx_set_msg("welcome: bad error %d", (int)w->err);
			goto out;
		}
		ret = 0; /* a refusal: descriptors, if any, are dropped */
		goto out;
	}
	if (ngot != VSAPP_NFDS) {
		vs_ctx_set_msg("welcome: %d descriptors, expected %d", ngot,
			       VSAPP_NFDS);
		goto out;
	}
	for (i = 0; i < VSAPP_NFDS; i++)
		fds[i] = got[i];
	return 0;
out:
	vs_ctx_close_fds(got, (unsigned)ngot);
	return ret;
}

/**
 * vs_ctx_printable() - make a message from vstackd safe to print
 * @s:		NUL-terminated, changed in place
 */
static void vs_ctx_printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

/**
 * vs_ctx_free() - release everything a context holds
 * @ctx:	the context (partly built is fine)
 */
static void vs_ctx_free(struct vs_ctx *ctx)
{
	int fds[4] = {ctx->usock, ctx->bell, ctx->wake, ctx->epfd};

	vs_ctx_close_fds(fds, 4);
	if (ctx->map)
		munmap(ctx->map, ctx->map_size);
	pthread_cond_destroy(&ctx->cond);
	pthread_mutex_destroy(&ctx->lock);
	free(ctx->ls);
	free(ctx);
}

/**
 * vs_ctx_map() - map the memfd and take the layout
 * @ctx:	the context being built
 * @memfd:	the descriptor (closed here)
 * @size:	welcome.shm_size
 *
 * Return: 0, or -errno with the message set
 */
static int vs_ctx_map(struct vs_ctx *ctx, int memfd, uint64_t size)
{
	char why[96];
	struct vs_layout l;
	struct stat st;
	uint32_t sqh, cqt;
	int ret;

	ret = -EPROTO;
	if (size < sizeof(struct vsapp_shm) || size > VS_SHM_MAX ||
	    size > SIZE_MAX) {
		vs_ctx_set_msg("welcome: context size %llu",
			       (unsigned long long)size);
		goto out;
	}
	if (fstat(memfd, &st) || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size < size) {
		vs_ctx_set_msg("context memfd missing or smaller than %llu",
			       (unsigned long long)size);
		goto out;
	}
	/* Best effort: a memfd that cannot shrink cannot SIGBUS us later.
	 * It fails when vstackd did not allow sealing; nothing relies on it. */
	(void)fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK);
	ctx->map = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED,
			memfd, 0);
	if (ctx->map == MAP_FAILED) {
		ret = -errno;
		ctx->map = NULL;
		vs_ctx_set_msg("mapping the context: %s", strerror(-ret));
		goto out;
	}
	ctx->map_size = (size_t)size;
	ctx->shm = ctx->map;
	ret = vs_shm_check(ctx->shm, size, &l, why, sizeof(why));
	if (ret) {
		vs_ctx_set_msg("%s", why);
		goto out;
	}
	ctx->nsocks = l.nsocks;
	ctx->sq_entries = l.sq_entries;
	ctx->cq_entries = l.cq_entries;
	ctx->socks = (struct vsapp_sock *)((uint8_t *)ctx->map + l.socks_off);
	ctx->sq = (struct vsapp_cmd *)((uint8_t *)ctx->map + l.sq_off);
	ctx->cq = (struct vsapp_cqe *)((uint8_t *)ctx->map + l.cq_off);
	ctx->data = (uint8_t *)ctx->map + l.data_off;
	ctx->data_off = l.data_off;
	ctx->data_size = l.data_size;

	/* Start from what the queues hold (zero from a fresh vstackd). */
	ctx->sq_tail = atomic_load(&ctx->shm->sq_tail);
	ctx->cq_head = atomic_load(&ctx->shm->cq_head);
	sqh = atomic_load(&ctx->shm->sq_head);
	cqt = atomic_load(&ctx->shm->cq_tail);
	if (ctx->sq_tail - sqh > ctx->sq_entries ||
	    cqt - ctx->cq_head > ctx->cq_entries) {
		vs_ctx_set_msg("context: queue counters out of range");
		ret = -EPROTO;
		goto out;
	}
	ctx->ls = calloc(ctx->nsocks, sizeof(*ctx->ls));
	if (!ctx->ls) {
		ret = -ENOMEM;
		vs_ctx_set_msg("out of memory");
		goto out;
	}
	ret = 0;
out:
	close(memfd);
	return ret;
}

/**
 * vs_ctx_spin_env() - how long to look before sleeping
 *
 * A waiter that sleeps costs the worker an eventfd write and itself a
 * wake-up, tens of microseconds; a reply that comes sooner than that is
 * better caught by looking. VSTACK_SPIN_US sets the time (0: never look).
 *
 * Return: microseconds
 */
static int64_t vs_ctx_spin_env(void)
{
	const char *e = getenv("VSTACK_SPIN_US");
	char *end;
	long v;

	if (!e || !*e)
		return VS_SPIN_US_DEFAULT;
	v = strtol(e, &end, 10);
	if (*end || v < 0)
		return VS_SPIN_US_DEFAULT;
	return v > VS_SPIN_US_MAX ? VS_SPIN_US_MAX : v;
}

/**
 * vs_ctx_attach_fd() - say hello on a connected app socket and attach
 * @fd:		SOCK_SEQPACKET, connected to vstackd; owned by the context
 *		from now on (closed on failure too)
 * @endpoint:	endpoint name, NULL or "" for the tenant's only one
 * @out:	the context
 *
 * Return: 0, or -errno with the vs_open_error() message set
 */
int vs_ctx_attach_fd(int fd, const char *endpoint, struct vs_ctx **out)
{
	struct vsapp_hello hello = {
		.magic = VSAPP_MAGIC,
		.version = VSAPP_VERSION,
	};
	struct vsapp_welcome w;
	struct epoll_event ev;
	pthread_condattr_t ca;
	struct vs_ctx *ctx;
	int fds[VSAPP_NFDS], ret;
	ssize_t n;

	vs_ctx_msg[0] = '\0';
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx) {
		close(fd);
		vs_ctx_set_msg("out of memory");
		return -ENOMEM;
	}
	ctx->usock = fd;
	ctx->bell = ctx->wake = ctx->epfd = -1;
	pthread_mutex_init(&ctx->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ctx->cond, &ca);
	pthread_condattr_destroy(&ca);

	if (endpoint && strlen(endpoint) >= VSAPP_NAME_MAX) {
		vs_ctx_set_msg("endpoint name longer than %d characters",
			       VSAPP_NAME_MAX - 1);
		ret = -ENAMETOOLONG;
		goto fail;
	}
	if (endpoint)
		memcpy(hello.endpoint, endpoint, strlen(endpoint));
	n = send(fd, &hello, sizeof(hello), MSG_NOSIGNAL);
	if (n != (ssize_t)sizeof(hello)) {
		ret = n < 0 ? -errno : -EPROTO;
		vs_ctx_set_msg("sending the hello: %s", strerror(-ret));
		goto fail;
	}
	ret = vs_ctx_recv_welcome(fd, &w, fds);
	if (ret)
		goto fail;
	if (w.err) {
		vs_ctx_printable(w.msg);
		vs_ctx_set_msg("%s", w.msg[0] ? w.msg : strerror(w.err));
		ret = -w.err;
		goto fail;
	}
	ctx->bell = fds[1];
	ctx->wake = fds[2];
	ret = vs_ctx_map(ctx, fds[0], w.shm_size);
	if (ret)
		goto fail;
	/* Never block on the eventfds: a full doorbell counter already
	 * means "wake up", an empty wake-up means nothing to drain. */
	if (fcntl(ctx->bell, F_SETFL, O_NONBLOCK) ||
	    fcntl(ctx->wake, F_SETFL, O_NONBLOCK) ||
	    fcntl(ctx->usock, F_SETFL, O_NONBLOCK)) {
		ret = -errno;
		vs_ctx_set_msg("eventfd: %s", strerror(-ret));
		goto fail;
	}
	ctx->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ctx->epfd < 0) {
		ret = -errno;
		vs_ctx_set_msg("epoll_create1: %s", strerror(-ret));
		goto fail;
	}
	ev.events = EPOLLIN;
	ev.data.fd = ctx->wake;
	if (epoll_ctl(ctx->epfd, EPOLL_CTL_ADD, ctx->wake, &ev)) {
		ret = -errno;
		vs_ctx_set_msg("epoll_ctl: %s", strerror(-ret));
		goto fail;
	}
	ev.events = EPOLLIN | EPOLLRDHUP;
	ev.data.fd = ctx->usock;
	if (epoll_ctl(ctx->epfd, EPOLL_CTL_ADD, ctx->usock, &ev)) {
		ret = -errno;
		vs_ctx_set_msg("epoll_ctl: %s", strerror(-ret));
		goto fail;
	}
	vs_ctx_printable(w.endpoint);
	memcpy(ctx->info.endpoint, w.endpoint, sizeof(ctx->info.endpoint));
	ctx->info.addr.s_addr = w.addr;
	ctx->info.prefix_len = w.prefix_len > 32 ? 32 : w.prefix_len;
	ctx->info.tenant = w.tenant;
	ctx->next_tag = 1;
	ctx->spin_ns = vs_ctx_spin_env() * 1000;
	*out = ctx;
	return 0;
fail:
	vs_ctx_free(ctx);
	return ret;
}

/**
 * vs_open_at() - attach to vstackd through a given app socket
 * @path:	the app socket; NULL or "" for VSTACK_APP_SOCKET, else
 *		the default
 * @endpoint:	endpoint name, NULL or "" for the tenant's only one
 *
 * Return: the context, or NULL with errno set
 */
VS_API struct vs_ctx *vs_open_at(const char *path, const char *endpoint)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct vs_ctx *ctx;
	int fd, ret;

	if (!path || !*path)
		path = getenv(VSAPP_SOCKET_ENV);
	if (!path || !*path)
		path = VSAPP_SOCKET_DEFAULT;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		vs_ctx_set_msg("app socket path too long: %s", path);
		errno = ENAMETOOLONG;
		return NULL;
	}
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = errno;
		vs_ctx_set_msg("socket: %s", strerror(ret));
		errno = ret;
		return NULL;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ret = errno;
		vs_ctx_set_msg("connecting to %s: %s", path, strerror(ret));
		close(fd);
		errno = ret;
		return NULL;
	}
	ret = vs_ctx_attach_fd(fd, endpoint, &ctx);
	if (ret) {
		errno = -ret;
		return NULL;
	}
	return ctx;
}

/**
 * vs_open() - attach to vstackd
 * @endpoint:	endpoint name, NULL or "" for the tenant's only one
 *
 * Return: the context, or NULL with errno set
 */
VS_API struct vs_ctx *vs_open(const char *endpoint)
{
	return vs_open_at(NULL, endpoint);
}

/**
 * vs_close_ctx() - detach and free
 * @ctx:	the context, or NULL
 */
VS_API void vs_close_ctx(struct vs_ctx *ctx)
{
	if (ctx)
		vs_ctx_free(ctx);
}

/**
 * vs_ctx_get_info() - what the welcome said
 * @ctx:	the context
 * @info:	filled in
 *
 * Return: 0
 */
VS_API int vs_ctx_get_info(struct vs_ctx *ctx, struct vs_ctx_info *info)
{
	*info = ctx->info;
	return 0;
}

/**
 * vs_ctx_kill() - mark the context dead and wake every waiter
 * @ctx:	the context
 * @err:	ECONNABORTED or EPROTO
 */
static void vs_ctx_kill(struct vs_ctx *ctx, int err)
{
	int zero = 0;

	if (atomic_compare_exchange_strong(&ctx->dead, &zero, err)) {
		pthread_mutex_lock(&ctx->lock);
		ctx->epoch++;
		pthread_cond_broadcast(&ctx->cond);
		pthread_mutex_unlock(&ctx->lock);
	}
}

/**
 * vs_ctx_usock_gone() - does a poll result on the app socket mean gone
 * @revents:	what poll said
 *
 * Nothing is ever sent to us after the welcome, so readable (end of
 * file, or a protocol violation) counts as gone as well.
 *
 * Return: true when the context is lost
 */
static bool vs_ctx_usock_gone(short revents)
{
	return revents & (POLLHUP | POLLERR | POLLNVAL | POLLIN | POLLRDHUP);
}

/**
 * vs_ctx_alive() - check, with one system call, that vstackd is there
 * @ctx:	the context
 *
 * Return: 0, or -ECONNABORTED / -EPROTO (the context is dead)
 */
int vs_ctx_alive(struct vs_ctx *ctx)
{
	struct pollfd p = {.fd = ctx->usock, .events = POLLIN | POLLRDHUP};
	int err = atomic_load(&ctx->dead);

	if (err)
		return -err;
	if (poll(&p, 1, 0) > 0 && vs_ctx_usock_gone(p.revents)) {
		vs_ctx_kill(ctx, ECONNABORTED);
		return -ECONNABORTED;
	}
	return 0;
}

/**
 * vs_ctx_error() - is vstackd still there (vstack.h)
 * @ctx:	the context
 *
 * Return: 0, or the positive errno of a dead context
 */
VS_API int vs_ctx_error(struct vs_ctx *ctx)
{
	return -vs_ctx_alive(ctx);
}

/**
 * vs_ctx_kick() - tell the worker that counters moved
 * @ctx:	the context
 *
 * The store of pending and the load of stack_waiting are sequentially
 * consistent, pairing with the worker's store of stack_waiting and load
 * of pending (section 5): one of the two sides sees the other.
 */
void vs_ctx_kick(struct vs_ctx *ctx)
{
	static const uint64_t one = 1;

	atomic_store(&ctx->shm->pending, 1);
	if (atomic_load(&ctx->shm->stack_waiting)) {
		/* EAGAIN: the counter is full, which already wakes it. */
		if (write(ctx->bell, &one, sizeof(one)) < 0 && errno != EAGAIN)
			(void)vs_ctx_alive(ctx);
	}
}

/**
 * vs_ctx_detached() - is a tag that of a pending non-blocking connect
 * @ctx:	the context, ctx->lock held
 * @tag:	the completion's tag
 *
 * Such tags are VS_TAG_DETACHED | 31 bits of the slot's generation << 32
 * | the slot (vs_connect()).
 *
 * Return: true when the socket in it waits for this completion
 */
static bool vs_ctx_detached(struct vs_ctx *ctx, uint64_t tag)
{
	uint32_t idx = (uint32_t)tag;

	return (tag & VS_TAG_DETACHED) && idx < ctx->nsocks &&
	       ctx->ls[idx].use == VS_LS_OPEN && ctx->ls[idx].connecting &&
	       ((tag >> 32) & 0x7fffffffu) == (ctx->ls[idx].gen & 0x7fffffffu);
}

/**
 * vs_ctx_reap_locked() - hand the completions in the queue to their waiters
 * @ctx:	the context, ctx->lock held
 */
static void vs_ctx_reap_locked(struct vs_ctx *ctx)
{
	uint32_t tail =
		atomic_load_explicit(&ctx->shm->cq_tail, memory_order_acquire);
	bool handed = false;
	struct vs_waiter *w;
	struct vsapp_cqe c;

	if (tail == ctx->cq_head)
		return;
	if (tail - ctx->cq_head > ctx->cq_entries) {
		/* More completions than the queue holds: vstackd is broken. */
		pthread_mutex_unlock(&ctx->lock);
		vs_ctx_kill(ctx, EPROTO);
		pthread_mutex_lock(&ctx->lock);
		return;
	}
	while (ctx->cq_head != tail) {
		memcpy(&c, &ctx->cq[ctx->cq_head & (ctx->cq_entries - 1)],
		       sizeof(c));
		ctx->cq_head++;
		for (w = ctx->waiters; w; w = w->next)
			if (w->tag == c.tag && !atomic_load(&w->done))
				break;
		if (w) {
			w->cqe = c;
			atomic_store(&w->done, 1);
			handed = true;
		} else if (vs_ctx_detached(ctx, c.tag)) {
			struct vs_lsock *ls = &ctx->ls[(uint32_t)c.tag];

			ls->connecting = false;
			atomic_store(&ls->connect_res, c.res > 0 ? 0 : c.res);
			handed = true;
		} else {
			ctx->stray++;
		}
	}
	atomic_store_explicit(&ctx->shm->cq_head, ctx->cq_head,
			      memory_order_release);
	if (handed) {
		ctx->epoch++;
		pthread_cond_broadcast(&ctx->cond);
		/* The poller sleeps on the eventfd, not on the condition:
		 * when another thread reaped its completion (vs_poll(),
		 * vs_ctx_ack(), a follower), perhaps after draining the
		 * wake-up meant for it, only the eventfd wakes it. */
		if (ctx->polling)
			(void)!write(ctx->wake, &vs_ctx_one, sizeof(vs_ctx_one));
	}
	/* The worker may be waiting for room in the completion queue. */
	vs_ctx_kick(ctx);
}

/**
 * vs_ctx_reap() - hand completions over, taking the lock
 * @ctx:	the context
 */
void vs_ctx_reap(struct vs_ctx *ctx)
{
	pthread_mutex_lock(&ctx->lock);
	vs_ctx_reap_locked(ctx);
	pthread_mutex_unlock(&ctx->lock);
}

/**
 * vs_ctx_drain() - reset the wake-up eventfd
 * @ctx:	the context
 *
 * Non-blocking: nothing to drain is fine.
 */
static void vs_ctx_drain(struct vs_ctx *ctx)
{
	uint64_t v;

	if (read(ctx->wake, &v, sizeof(v)) < 0 && errno != EAGAIN &&
	    errno != EINTR)
		vs_ctx_kill(ctx, ECONNABORTED);
}

/**
 * vs_ctx_sleep() - the poller's sleep on the eventfd and the app socket
 * @ctx:	the context
 * @deadline:	monotonic ns, -1 for none
 */
static void vs_ctx_sleep(struct vs_ctx *ctx, int64_t deadline)
{
	struct pollfd p[2] = {
		{.fd = ctx->wake, .events = POLLIN},
		{.fd = ctx->usock, .events = POLLIN | POLLRDHUP},
	};
	int timeout = -1, n;

	if (deadline >= 0) {
		int64_t left = deadline - vs_ctx_now();

		if (left < 0)
			left = 0;
		/* Round up: waking before the deadline would spin. */
		timeout = left > (int64_t)1000000 * 3600000
				  ? 3600000
				  : (int)((left + 999999) / 1000000);
	}
	n = poll(p, 2, timeout);
	if (n <= 0)
		return; /* timeout, or EINTR: the caller looks again */
	if (vs_ctx_usock_gone(p[1].revents))
		vs_ctx_kill(ctx, ECONNABORTED);
	if (p[0].revents & POLLIN)
		vs_ctx_drain(ctx);
	else if (p[0].revents & (POLLERR | POLLNVAL))
		vs_ctx_kill(ctx, ECONNABORTED);
}

/**
 * vs_ctx_spin() - look at a condition for a short while without sleeping
 * @ctx:	the context
 * @ready:	the condition
 * @arg:	its argument
 * @deadline:	monotonic ns, -1 for none
 *
 * Only a hint: vs_ctx_wait() looks again anyway. Completions are reaped
 * only when the queue holds some, so an idle spin takes no lock.
 */
static void vs_ctx_spin(struct vs_ctx *ctx, vs_ready_fn ready, void *arg,
			int64_t deadline)
{
	int64_t end, now;
	unsigned i;

	if (ctx->spin_ns <= 0)
		return;
	now = vs_ctx_now();
	end = now + ctx->spin_ns;
	if (deadline >= 0 && deadline < end)
		end = deadline;
	while (now < end && !atomic_load(&ctx->dead)) {
		if (atomic_load_explicit(&ctx->shm->cq_tail,
					 memory_order_acquire) !=
		    atomic_load_explicit(&ctx->shm->cq_head,
					 memory_order_relaxed))
			vs_ctx_reap(ctx);
		if (ready(ctx, arg))
			return;
		for (i = 0; i < 32; i++)
#if defined(__x86_64__) || defined(__i386__)
			__builtin_ia32_pause();
#else
			atomic_signal_fence(memory_order_seq_cst);
#endif
		/* A program that would run on this CPU (the peer we wait
		 * for, often) goes first: looking must not hold it up. */
		sched_yield();
		now = vs_ctx_now();
	}
}

/**
 * vs_ctx_wait() - wait until a condition holds, vstackd dies, or a deadline
 * @ctx:	the context
 * @ready:	the condition; called without ctx->lock, after the
 *		completion queue was reaped
 * @arg:	its argument
 * @deadline:	monotonic ns, -1 for none
 *
 * Return: 0 (@ready said true), -ETIMEDOUT, or -errno of a dead context
 */
int vs_ctx_wait(struct vs_ctx *ctx, vs_ready_fn ready, void *arg,
		int64_t deadline)
{
	struct vsapp_shm *shm = ctx->shm;
	uint64_t epoch;
	int err, ret;

	vs_ctx_spin(ctx, ready, arg, deadline);
	for (;;) {
		err = atomic_load(&ctx->dead);
		if (err)
			return -err;
		/* Raise the flag first, then look: section 5. */
		atomic_fetch_add(&shm->app_waiting, 1);
		atomic_thread_fence(memory_order_seq_cst);
		pthread_mutex_lock(&ctx->lock);
		vs_ctx_reap_locked(ctx);
		epoch = ctx->epoch;
		pthread_mutex_unlock(&ctx->lock);
		if (ready(ctx, arg)) {
			ret = 0;
			goto out;
		}
		if (deadline >= 0 && vs_ctx_now() >= deadline) {
			ret = -ETIMEDOUT;
			goto out;
		}
		pthread_mutex_lock(&ctx->lock);
		if (ctx->epoch != epoch || atomic_load(&ctx->dead)) {
			pthread_mutex_unlock(&ctx->lock);
		} else if (ctx->polling) {
			/* Follower: the poller wakes us when anything moved. */
			if (deadline >= 0) {
				struct timespec ts = {
					.tv_sec = deadline / 1000000000,
					.tv_nsec = deadline % 1000000000,
				};

				pthread_cond_timedwait(&ctx->cond, &ctx->lock,
						       &ts);
			} else {
				pthread_cond_wait(&ctx->cond, &ctx->lock);
			}
			pthread_mutex_unlock(&ctx->lock);
		} else {
			ctx->polling = true;
			pthread_mutex_unlock(&ctx->lock);
			vs_ctx_sleep(ctx, deadline);
			pthread_mutex_lock(&ctx->lock);
			ctx->polling = false;
			ctx->epoch++;
			pthread_cond_broadcast(&ctx->cond);
			pthread_mutex_unlock(&ctx->lock);
		}
		atomic_fetch_sub(&shm->app_waiting, 1);
	}
out:
	atomic_fetch_sub(&shm->app_waiting, 1);
	return ret;
}

/**
 * vs_ctx_sq_room() - vs_ctx_wait() condition: the submission queue has room
 * @ctx:	the context
 * @arg:	unused
 *
 * Return: true when it has (or the counters are broken: the submitter
 * reports that)
 */
static bool vs_ctx_sq_room(struct vs_ctx *ctx, void *arg)
{
	uint32_t head =
		atomic_load_explicit(&ctx->shm->sq_head, memory_order_acquire);

	(void)arg;
	/* ctx->sq_tail is read without the lock: only a hint. */
	return (uint32_t)(__atomic_load_n(&ctx->sq_tail, __ATOMIC_RELAXED) -
			  head) < ctx->sq_entries;
}

/**
 * vs_ctx_post_locked() - put a command into the submission queue
 * @ctx:	the context, ctx->lock held (dropped while waiting for room)
 * @cmd:	the command, with its tag set
 * @w:		a waiter to list before the command is visible, or NULL
 *
 * Return: 0, or -errno (dead context)
 */
static int vs_ctx_post_locked(struct vs_ctx *ctx, struct vsapp_cmd *cmd,
			      struct vs_waiter *w)
{
	uint32_t head, used;
	int ret, err;

	for (;;) {
		err = atomic_load(&ctx->dead);
		if (err)
			return -err;
		head = atomic_load_explicit(&ctx->shm->sq_head,
					    memory_order_acquire);
		used = ctx->sq_tail - head;
		if (used > ctx->sq_entries) {
			pthread_mutex_unlock(&ctx->lock);
			vs_ctx_kill(ctx, EPROTO);
			pthread_mutex_lock(&ctx->lock);
			return -EPROTO;
		}
		if (used < ctx->sq_entries)
			break;
		pthread_mutex_unlock(&ctx->lock);
		vs_ctx_kick(ctx);
		ret = vs_ctx_wait(ctx, vs_ctx_sq_room, NULL, -1);
		pthread_mutex_lock(&ctx->lock);
		if (ret)
			return ret;
	}
	if (w) {
		w->next = ctx->waiters;
		ctx->waiters = w;
	}
	memcpy(&ctx->sq[ctx->sq_tail & (ctx->sq_entries - 1)], cmd,
	       sizeof(*cmd));
	__atomic_store_n(&ctx->sq_tail, ctx->sq_tail + 1, __ATOMIC_RELAXED);
	atomic_store_explicit(&ctx->shm->sq_tail, ctx->sq_tail,
			      memory_order_release);
	return 0;
}

/**
 * vs_ctx_submit() - post a command nobody waits for
 * @ctx:	the context
 * @cmd:	the command
 * @tag:	its tag (VS_TAG_DETACHED | socket, or 0 for "ignore")
 *
 * Return: 0, or -errno
 */
int vs_ctx_submit(struct vs_ctx *ctx, struct vsapp_cmd *cmd, uint64_t tag)
{
	int ret;

	cmd->tag = tag;
	pthread_mutex_lock(&ctx->lock);
	ret = vs_ctx_post_locked(ctx, cmd, NULL);
	pthread_mutex_unlock(&ctx->lock);
	if (!ret)
		vs_ctx_kick(ctx);
	return ret;
}

/**
 * vs_ctx_done() - vs_ctx_wait() condition: a waiter's completion is there
 * @ctx:	the context
 * @arg:	the struct vs_waiter
 *
 * Return: true when it is
 */
static bool vs_ctx_done(struct vs_ctx *ctx, void *arg)
{
	struct vs_waiter *w = arg;

	(void)ctx;
	return atomic_load(&w->done);
}

/**
 * vs_ctx_unlist() - take a waiter off the list
 * @ctx:	the context, ctx->lock held
 * @w:		the waiter
 */
static void vs_ctx_unlist(struct vs_ctx *ctx, struct vs_waiter *w)
{
	struct vs_waiter **p;

	for (p = &ctx->waiters; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			return;
		}
}

/**
 * vs_ctx_call() - post a command and wait for its completion
 * @ctx:	the context
 * @cmd:	the command (its tag is set here)
 * @cqe:	the completion, or NULL
 *
 * Return: the completion's res (>= 0 or -errno), or -errno when the
 * context died first
 */
int vs_ctx_call(struct vs_ctx *ctx, struct vsapp_cmd *cmd,
		struct vsapp_cqe *cqe)
{
	struct vs_waiter w = {0};
	int ret;

	pthread_mutex_lock(&ctx->lock);
	/* Tags never have the detached bit: 2^63 commands do not happen. */
	w.tag = ctx->next_tag++ & ~VS_TAG_DETACHED;
	cmd->tag = w.tag;
	ret = vs_ctx_post_locked(ctx, cmd, &w);
	pthread_mutex_unlock(&ctx->lock);
	if (ret)
		return ret;
	vs_ctx_kick(ctx);
	ret = vs_ctx_wait(ctx, vs_ctx_done, &w, -1);
	pthread_mutex_lock(&ctx->lock);
	vs_ctx_unlist(ctx, &w);
	pthread_mutex_unlock(&ctx->lock);
	if (ret)
		return ret;
	if (cqe)
		*cqe = w.cqe;
	return w.cqe.res;
}

/**
 * vs_ctx_fd() - the descriptor for event loops
 * @ctx:	the context
 *
 * Return: the epoll descriptor holding the wake-up eventfd and the socket
 */
VS_API int vs_ctx_fd(struct vs_ctx *ctx)
{
	return ctx->epfd;
}

/**
 * vs_ctx_arm() - raise app_waiting for an outside event loop
 * @ctx:	the context
 *
 * Return: 0, or -1 with errno set
 */
VS_API int vs_ctx_arm(struct vs_ctx *ctx)
{
	int err = atomic_load(&ctx->dead);

	if (err) {
		errno = err;
		return -1;
	}
	if (!atomic_exchange(&ctx->armed, true))
		atomic_fetch_add(&ctx->shm->app_waiting, 1);
	atomic_thread_fence(memory_order_seq_cst);
	return 0;
}

/**
 * vs_ctx_spin_ns() - how long a blocking call looks before it sleeps
 * @ctx:	the context
 *
 * Return: nanoseconds (VSTACK_SPIN_US), 0 for never
 */
VS_API int64_t vs_ctx_spin_ns(struct vs_ctx *ctx)
{
	return ctx->spin_ns > 0 ? ctx->spin_ns : 0;
}

/**
 * vs_ctx_ack() - drain the wake-up, lower app_waiting, check vstackd
 * @ctx:	the context
 *
 * Return: 0, or -1 with errno set
 */
VS_API int vs_ctx_ack(struct vs_ctx *ctx)
{
	int ret;

	if (atomic_exchange(&ctx->armed, false))
		atomic_fetch_sub(&ctx->shm->app_waiting, 1);
	vs_ctx_drain(ctx);
	pthread_mutex_lock(&ctx->lock);
	vs_ctx_reap_locked(ctx);
	/* A blocking call of another thread may sleep on the eventfd we
	 * just drained (its completion, or room in the queue, not there
	 * yet): give the wake-up back, it looks again. */
	if (ctx->polling)
		(void)!write(ctx->wake, &vs_ctx_one, sizeof(vs_ctx_one));
	pthread_mutex_unlock(&ctx->lock);
	ret = vs_ctx_alive(ctx);
	if (ret) {
		errno = -ret;
		return -1;
	}
	return 0;
}
