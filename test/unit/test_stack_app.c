// SPDX-License-Identifier: MIT
/*
 * test_stack_app.c - the app interface, daemon side, driven by a minimal
 * client that operates the shared memory exactly as app_proto.h says
 *
 * The stack runs on an inline host (stack_open_host() with
 * test/lib/app_host.h): endpoint "a" (tenant 1, 10.0.0.1) and "b" (tenant
 * 2, 10.0.0.2) attached to an in-memory wire; the "worker" is this thread, which runs ep_poll() when
 * kicked and in the pump loop, with a simulated clock. Each test client
 * (struct tc) connects through a socketpair, sends the hello, receives the
 * welcome with its three descriptors, maps the context and from then on
 * only writes what app_proto.h lets an application write: SQ entries and
 * sq_tail, cq_head, snd_tail/rcv_head, pending, app_waiting; and the
 * hostile tests write whatever they like.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "app.h"
#include "app_proto.h"
#include "ep.h"
#include "stack.h"

#include "../lib/cunit_run.h"

#include "../lib/app_host.h"

/* ---- the test client ---- */

/**
 * struct tc - a minimal application
 */
struct tc {
	int fd;
	struct stack_app *app;
	struct vsapp_welcome w;
	struct vsapp_shm *shm;
	int memfd, doorbell, wake;
	uint32_t sq_tail, cq_head;
	uint64_t next_tag;
	struct vsapp_cqe done[1024];
	unsigned ndone;
};

static struct stack *st;

/**
 * tc_hello() - connect and send a hello; the welcome is read by tc_attach
 * @c:		client
 * @tenant:	tenant the "control plane" found
 * @h:		the hello to send
 *
 * Return: what stack_app_new() returned
 */
static int tc_hello(struct tc *c, uint32_t tenant, const void *h, size_t hlen)
{
	int sv[2], ret;

	memset(c, 0, sizeof(*c));
	c->memfd = c->doorbell = c->wake = -1;
	CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0,
				   sv) == 0);
	c->fd = sv[0];
	ret = stack_app_new(st, sv[1], tenant, 1234, &c->app);
	if (ret) {
		close(sv[1]);
		c->app = NULL;
		return ret;
	}
	CU_ASSERT(stack_app_fd(c->app) == sv[1]);
	if (h)
		CU_ASSERT(send(c->fd, h, hlen, 0) == (ssize_t)hlen);
	return 0;
}

/**
 * tc_welcome() - receive the welcome and its descriptors, map the context
 * @c:	client
 *
 * Return: welcome.err
 */
static int tc_welcome(struct tc *c)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VSAPP_NFDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = &c->w, .iov_len = sizeof(c->w)};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *cm;
	int fds[VSAPP_NFDS];

	CU_ASSERT_FATAL(recvmsg(c->fd, &mh, 0) == (ssize_t)sizeof(c->w));
	CU_ASSERT_EQUAL(c->w.magic, VSAPP_MAGIC);
	if (c->w.err)
		return c->w.err;
	cm = CMSG_FIRSTHDR(&mh);
	CU_ASSERT_FATAL(cm && cm->cmsg_type == SCM_RIGHTS &&
			cm->cmsg_len == CMSG_LEN(sizeof(fds)));
	memcpy(fds, CMSG_DATA(cm), sizeof(fds));
	c->memfd = fds[0];
	c->doorbell = fds[1];
	c->wake = fds[2];
	c->shm = mmap(NULL, c->w.shm_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      c->memfd, 0);
	CU_ASSERT_FATAL(c->shm != MAP_FAILED);
	CU_ASSERT_EQUAL(c->shm->magic, VSAPP_MAGIC);
	CU_ASSERT_EQUAL(c->shm->size, c->w.shm_size);
	/* the file cannot shrink under the daemon */
	CU_ASSERT(ftruncate(c->memfd, 4096) < 0);
	return 0;
}

/**
 * tc_attach() - a client of @tenant on endpoint @name ("" for the only one)
 * @c:		client
 * @tenant:	tenant
 * @name:	endpoint
 *
 * Return: welcome.err
 */
static int tc_attach(struct tc *c, uint32_t tenant, const char *name)
{
	struct vsapp_hello h;
	int ret;

	memset(&h, 0, sizeof(h));
	h.magic = VSAPP_MAGIC;
	h.version = VSAPP_VERSION;
	snprintf(h.endpoint, sizeof(h.endpoint), "%s", name);
	ret = tc_hello(c, tenant, &h, sizeof(h));
	if (ret)
		return -ret;
	ret = stack_app_io(c->app);
	if (ret) {
		tc_welcome(c);
		stack_app_free(c->app);
		c->app = NULL;
		close(c->fd);
		return c->w.err;
	}
	return tc_welcome(c);
}

/**
 * tc_detach() - the application goes away (EOF), the daemon frees it
 * @c:	client
 */
static void tc_detach(struct tc *c)
{
	if (c->shm)
		munmap(c->shm, c->w.shm_size);
	close(c->memfd);
	close(c->doorbell);
	close(c->wake);
	close(c->fd);
	if (c->app) {
		CU_ASSERT(stack_app_io(c->app) < 0); /* EOF */
		stack_app_free(c->app);
	}
	c->app = NULL;
	c->shm = NULL;
}

/**
 * tc_sock() - a socket slot in the mapping
 * @c:	client
 * @i:	index
 *
 * Return: the slot
 */
static struct vsapp_sock *tc_sock(struct tc *c, uint32_t i)
{
	return (struct vsapp_sock *)((uint8_t *)c->shm + c->shm->socks_off) + i;
}

/**
 * tc_kick() - after making work visible: pending, and the doorbell if
 * the stack sleeps
 * @c:	client
 */
static void tc_kick(struct tc *c)
{
	uint64_t one = 1;

	atomic_store(&c->shm->pending, 1);
	if (atomic_load(&c->shm->stack_waiting))
		CU_ASSERT(write(c->doorbell, &one, 8) == 8);
}

/**
 * tc_cmd() - submit a command
 * @c:		client
 * @op:		VSAPP_OP_*
 * @sock:	socket
 * @addr:	address, network order
 * @port:	port
 * @arg:	arg
 * @arg2:	arg2
 *
 * Return: its tag
 */
static uint64_t tc_cmd(struct tc *c, uint16_t op, uint32_t sock, uint32_t addr,
		       uint16_t port, uint32_t arg, uint32_t arg2)
{
	struct vsapp_cmd *q =
		(struct vsapp_cmd *)((uint8_t *)c->shm + c->shm->sq_off);
	struct vsapp_cmd *e = &q[c->sq_tail & (c->shm->sq_entries - 1)];

	memset(e, 0, sizeof(*e));
	e->op = op;
	e->sock = sock;
	e->tag = ++c->next_tag;
	e->addr = addr;
	e->port = port;
	e->arg = arg;
	e->arg2 = arg2;
	c->sq_tail++;
	atomic_store_explicit(&c->shm->sq_tail, c->sq_tail,
			      memory_order_release);
	tc_kick(c);
	return e->tag;
}

/**
 * tc_reap() - take completions into c->done
 * @c:	client
 */
static void tc_reap(struct tc *c)
{
	uint32_t tail =
		atomic_load_explicit(&c->shm->cq_tail, memory_order_acquire);
	const struct vsapp_cqe *q =
		(const struct vsapp_cqe *)((uint8_t *)c->shm + c->shm->cq_off);

	while (c->cq_head != tail) {
		if (c->ndone == 1024) { /* keep the newest */
			memmove(c->done, c->done + 512,
				512 * sizeof(c->done[0]));
			c->ndone = 512;
		}
		if (c->ndone < 1024)
			c->done[c->ndone++] =
				q[c->cq_head & (c->shm->cq_entries - 1)];
		c->cq_head++;
	}
	atomic_store_explicit(&c->shm->cq_head, c->cq_head,
			      memory_order_release);
}

/**
 * tc_wait() - pump until the completion of @tag arrives
 * @c:		client
 * @tag:	tag
 * @out:	the completion
 *
 * Return: true if it came within 60 s of simulated time
 */
static bool tc_wait(struct tc *c, uint64_t tag, struct vsapp_cqe *out)
{
	uint64_t end = now + 60000;
	unsigned i;

	while (now < end) {
		tc_reap(c);
		for (i = 0; i < c->ndone; i++)
			if (c->done[i].tag == tag) {
				*out = c->done[i];
				c->done[i] = c->done[--c->ndone];
				return true;
			}
		pump();
	}
	return false;
}

/**
 * tc_do() - a command and its completion
 * @c:		client
 * @op:		op
 * @sock:	socket
 * @addr:	address
 * @port:	port
 * @arg:	arg
 * @arg2:	arg2
 *
 * Return: the result
 */
static int32_t tc_do(struct tc *c, uint16_t op, uint32_t sock, uint32_t addr,
		     uint16_t port, uint32_t arg, uint32_t arg2)
{
	/* Zeroed here and below: gcc -O3 cannot tell that CU_ASSERT_FATAL
	 * does not return, and warns that e.res may be read uninitialised.
	 */
	struct vsapp_cqe e = {0};

	CU_ASSERT_FATAL(
		tc_wait(c, tc_cmd(c, op, sock, addr, port, arg, arg2), &e));
	return e.res;
}

/**
 * tc_write() - write bytes into a stream socket's send ring
 * @c:		client
 * @i:		socket
 * @data:	bytes, NULL for a generated stream from @off
 * @n:		how many at most
 * @off:	stream offset (for generated bytes)
 *
 * Return: bytes written
 */
static uint32_t tc_write(struct tc *c, uint32_t i, const uint8_t *data,
			 uint32_t n, uint64_t off)
{
	struct vsapp_sock *s = tc_sock(c, i);
	uint32_t head = atomic_load(&s->snd_head),
		 tail = atomic_load(&s->snd_tail);
	uint32_t room = s->sbuf_size - (tail - head), k;
	uint8_t *ring = (uint8_t *)c->shm + s->sbuf_off;

	if (n > room)
		n = room;
	for (k = 0; k < n; k++)
		ring[(tail + k) & (s->sbuf_size - 1)] =
			data ? data[k] : (uint8_t)((off + k) * 7 + 3);
	atomic_store_explicit(&s->snd_tail, tail + n, memory_order_release);
	if (n)
		tc_kick(c);
	return n;
}

/**
 * tc_read() - consume bytes from a stream socket's receive ring
 * @c:		client
 * @i:		socket
 * @buf:	copy here, or NULL to check a generated stream from @off
 * @cap:	at most
 * @off:	stream offset
 * @bad:	set if a generated byte is wrong
 *
 * Return: bytes consumed
 */
static uint32_t tc_read(struct tc *c, uint32_t i, uint8_t *buf, uint32_t cap,
			uint64_t off, bool *bad)
{
	struct vsapp_sock *s = tc_sock(c, i);
	uint32_t head = atomic_load(&s->rcv_head),
		 tail = atomic_load(&s->rcv_tail);
	uint32_t n = tail - head, k;
	uint8_t *ring = (uint8_t *)c->shm + s->rbuf_off;

	if (n > cap)
		n = cap;
	for (k = 0; k < n; k++) {
		uint8_t b = ring[(head + k) & (s->rbuf_size - 1)];

		if (buf)
			buf[k] = b;
		else if (b != (uint8_t)((off + k) * 7 + 3))
			*bad = true;
	}
	atomic_store_explicit(&s->rcv_head, head + n, memory_order_release);
	if (n)
		tc_kick(c);
	return n;
}

/**
 * t_setup() - a stack with endpoints a (tenant 1) and b (tenant 2)
 *
 * Return: 0
 */
static int t_setup(void)
{
	struct stack_ep_spec sp;
	char err[128];

	host_wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	CU_ASSERT_FATAL(stack_open_host(&th_ops, NULL, &st) == 0);
	memset(&sp, 0, sizeof(sp));
	sp.name = "a";
	sp.tenant = 1;
	sp.addr = wire_ip4(10, 0, 0, 1).be;
	sp.prefix_len = 24;
	CU_ASSERT_FATAL(stack_ep_add(st, &sp, err, sizeof(err)) == 0);
	sp.name = "b";
	sp.tenant = 2;
	sp.addr = wire_ip4(10, 0, 0, 2).be;
	CU_ASSERT_FATAL(stack_ep_add(st, &sp, err, sizeof(err)) == 0);
	while (pump())
		;
	return 0;
}

/**
 * t_teardown() - delete everything; no buffer may be left
 */
static void t_teardown(void)
{
	stack_close(st);
	st = NULL;
	while (w_count) {
		buf_free(NULL, wire[w_head].buf);
		w_head = (w_head + 1) % W_MAX;
		w_count--;
	}
	CU_ASSERT_EQUAL(buf_live, 0);
	close(host_wake_fd);
}

/* ---------------------------------------------------------------------- */

/**
 * test_hello() - the welcome for good and bad hellos
 */
static void test_hello(void)
{
	struct vsapp_hello h;
	struct tc c, many[EP_APPS_PER_TENANT];
	unsigned i;

	t_setup();
	/* a tenant without an endpoint: refused at once */
	CU_ASSERT_EQUAL(tc_hello(&c, 9, NULL, 0), -EPERM);
	close(c.fd);
	/* bad magic, short hello, flags set: EPROTO */
	memset(&h, 0, sizeof(h));
	h.magic = 1;
	h.version = VSAPP_VERSION;
	CU_ASSERT_EQUAL(tc_hello(&c, 1, &h, sizeof(h)), 0);
	CU_ASSERT(stack_app_io(c.app) < 0);
	CU_ASSERT_EQUAL(tc_welcome(&c), EPROTO);
	CU_ASSERT(c.w.msg[0] != 0);
	stack_app_free(c.app);
	close(c.fd);
	h.magic = VSAPP_MAGIC;
	CU_ASSERT_EQUAL(tc_hello(&c, 1, &h, 10), 0);
	CU_ASSERT(stack_app_io(c.app) < 0);
	CU_ASSERT_EQUAL(tc_welcome(&c), EPROTO);
	stack_app_free(c.app);
	close(c.fd);
	h.flags = 1;
	CU_ASSERT_EQUAL(tc_hello(&c, 1, &h, sizeof(h)), 0);
	CU_ASSERT(stack_app_io(c.app) < 0);
	CU_ASSERT_EQUAL(tc_welcome(&c), EPROTO);
	stack_app_free(c.app);
	close(c.fd);
	/* nothing to read yet: kept */
	CU_ASSERT_EQUAL(tc_hello(&c, 1, NULL, 0), 0);
	CU_ASSERT_EQUAL(stack_app_io(c.app), 0);
	close(c.fd);
	CU_ASSERT(stack_app_io(c.app) < 0); /* EOF */
	stack_app_free(c.app);
	/* another tenant's endpoint, no such endpoint: ENOENT */
	CU_ASSERT_EQUAL(tc_attach(&c, 1, "b"), ENOENT);
	CU_ASSERT_EQUAL(tc_attach(&c, 1, "zz"), ENOENT);
	/* the tenant's only one, named or not */
	CU_ASSERT_EQUAL(tc_attach(&c, 1, ""), 0);
	CU_ASSERT_STRING_EQUAL(c.w.endpoint, "a");
	CU_ASSERT_EQUAL(c.w.addr, wire_ip4(10, 0, 0, 1).be);
	CU_ASSERT_EQUAL(c.w.tenant, 1);
	CU_ASSERT_EQUAL(epa->napps, 1);
	/* bytes on a running connection end it */
	CU_ASSERT(send(c.fd, "x", 1, 0) == 1);
	CU_ASSERT(stack_app_io(c.app) < 0);
	tc_detach(&c);
	CU_ASSERT_EQUAL(epa->napps, 0);
	/* contexts per tenant */
	for (i = 0; i < EP_APPS_PER_TENANT; i++)
		CU_ASSERT_EQUAL(tc_attach(&many[i], 2, "b"), 0);
	CU_ASSERT_EQUAL(tc_attach(&c, 2, "b"), EMFILE);
	for (i = 0; i < EP_APPS_PER_TENANT; i++)
		tc_detach(&many[i]);
	t_teardown();
}

/**
 * t_listen() - a listening stream socket of @sv
 * @sv:		server app
 * @port:	port to bind
 * @sndbuf:	its send ring's bytes (0: the default)
 * @backlog:	LISTEN's backlog
 *
 * Return: the socket
 */
static uint32_t t_listen(struct tc *sv, uint16_t port, uint32_t sndbuf,
			 uint32_t backlog)
{
	int32_t r =
		tc_do(sv, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_STREAM, sndbuf);

	CU_ASSERT_FATAL(r >= 0);
	CU_ASSERT_EQUAL(tc_do(sv, VSAPP_OP_BIND, (uint32_t)r, 0, port, 0, 0),
			0);
	CU_ASSERT_EQUAL(
		tc_do(sv, VSAPP_OP_LISTEN, (uint32_t)r, 0, 0, backlog, 0), 0);
	return (uint32_t)r;
}

/**
 * t_pair() - a client on a connected to a server on b
 * @cl:		client app (a)
 * @sv:		server app (b)
 * @cs:		client socket
 * @ss:		server's accepted socket
 * @ls:		server's listener
 */
static void t_pair(struct tc *cl, struct tc *sv, uint32_t *cs, uint32_t *ss,
		   uint32_t *ls)
{
	struct vsapp_cqe e = {0};
	uint64_t atag;
	int32_t r;

	CU_ASSERT_FATAL(tc_attach(cl, 1, "") == 0);
	CU_ASSERT_FATAL(tc_attach(sv, 2, "b") == 0);
	*ls = t_listen(sv, 80, 0, 16);
	CU_ASSERT_EQUAL(atomic_load(&tc_sock(sv, *ls)->state), VSAPP_S_LISTEN);
	CU_ASSERT_EQUAL(
		tc_do(sv, VSAPP_OP_ACCEPT, *ls, 0, 0, VSAPP_F_NONBLOCK, 0),
		-EAGAIN);
	atag = tc_cmd(sv, VSAPP_OP_ACCEPT, *ls, 0, 0, 0, 0);
	r = tc_do(cl, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_STREAM, 0);
	CU_ASSERT_FATAL(r >= 0);
	*cs = (uint32_t)r;
	CU_ASSERT_EQUAL(tc_do(cl, VSAPP_OP_CONNECT, *cs,
			      wire_ip4(10, 0, 0, 2).be, 80, 0, 0),
			0);
	CU_ASSERT_EQUAL(atomic_load(&tc_sock(cl, *cs)->state),
			VSAPP_S_CONNECTED);
	CU_ASSERT_FATAL(tc_wait(sv, atag, &e));
	CU_ASSERT_FATAL(e.res >= 0);
	*ss = (uint32_t)e.res;
	CU_ASSERT_EQUAL(e.addr, wire_ip4(10, 0, 0, 1).be);
	CU_ASSERT_EQUAL(e.port, tc_sock(cl, *cs)->lport);
	CU_ASSERT_EQUAL(atomic_load(&tc_sock(sv, *ss)->state),
			VSAPP_S_CONNECTED);
}

/**
 * test_stream() - connect, accept, 2 MiB one way and 200 KiB back in the
 * shared rings, orderly close, slots and memory back
 */
static void test_stream(void)
{
	struct tc cl, sv;
	uint32_t cs, ss, ls;
	uint64_t sent = 0, rcvd = 0, back = 0, backr = 0;
	const uint64_t total = 2u << 20, btotal = 200u << 10;
	bool bad = false;
	unsigned rounds = 0;
	struct app_ctx *ca;

	t_setup();
	t_pair(&cl, &sv, &cs, &ss, &ls);
	while ((rcvd < total || backr < btotal) && rounds++ < 200000) {
		if (sent < total)
			sent += tc_write(&cl, cs, NULL,
					 (uint32_t)(total - sent < 100000
							    ? total - sent
							    : 100000),
					 sent);
		rcvd += tc_read(&sv, ss, NULL, 1u << 20, rcvd, &bad);
		if (back < btotal)
			back += tc_write(&sv, ss, NULL,
					 (uint32_t)(btotal - back), back);
		backr += tc_read(&cl, cs, NULL, 1u << 20, backr, &bad);
		pump();
	}
	CU_ASSERT_EQUAL(rcvd, total);
	CU_ASSERT_EQUAL(backr, btotal);
	CU_ASSERT(!bad);
	CU_ASSERT_EQUAL(
		tc_do(&cl, VSAPP_OP_GETOPT, cs, 0, 0, VSAPP_OPT_SNDBUF, 0),
		APP_RING_DEFAULT);
	CU_ASSERT_EQUAL(
		tc_do(&cl, VSAPP_OP_SETOPT, cs, 0, 0, VSAPP_OPT_NODELAY, 1), 0);
	CU_ASSERT_EQUAL(
		tc_do(&cl, VSAPP_OP_GETOPT, cs, 0, 0, VSAPP_OPT_NODELAY, 0), 1);
	/* the client shuts down its side: the server reads EOF */
	CU_ASSERT_EQUAL(tc_do(&cl, VSAPP_OP_SHUTDOWN, cs, 0, 0, SHUT_WR, 0), 0);
	CU_ASSERT(atomic_load(&tc_sock(&cl, cs)->events) & VSAPP_EV_SHUTWR);
	for (rounds = 0;
	     rounds < 100 &&
	     !(atomic_load(&tc_sock(&sv, ss)->events) & VSAPP_EV_EOF);
	     rounds++)
		pump();
	CU_ASSERT(atomic_load(&tc_sock(&sv, ss)->events) & VSAPP_EV_EOF);
	/* both close; the slots are free at once */
	CU_ASSERT_EQUAL(tc_do(&sv, VSAPP_OP_CLOSE, ss, 0, 0, 0, 0), 0);
	CU_ASSERT_EQUAL(tc_do(&cl, VSAPP_OP_CLOSE, cs, 0, 0, 0, 0), 0);
	CU_ASSERT_EQUAL(atomic_load(&tc_sock(&cl, cs)->state), VSAPP_S_FREE);
	CU_ASSERT_EQUAL(tc_do(&cl, VSAPP_OP_CLOSE, cs, 0, 0, 0, 0), -EBADF);
	CU_ASSERT_EQUAL(tc_do(&sv, VSAPP_OP_CLOSE, ls, 0, 0, 0, 0), 0);
	/* TIME-WAIT runs out: every connection gone, rings back */
	for (rounds = 0;
	     rounds < 100000 && (epa->tcp.nconns || epb->tcp.nconns); rounds++)
		pump();
	CU_ASSERT_EQUAL(epa->tcp.nconns, 0);
	CU_ASSERT_EQUAL(epb->tcp.nconns, 0);
	ca = epa->apps;
	CU_ASSERT_FATAL(ca != NULL);
	CU_ASSERT_EQUAL(ca->mem.used, 0);
	CU_ASSERT_EQUAL(ca->nopen, 0);
	CU_ASSERT_EQUAL(epb->apps->mem.used, 0);
	tc_detach(&cl);
	tc_detach(&sv);
	t_teardown();
}

/**
 * test_shut_rd() - SHUT_RD ends a stream's reads at once, after the bytes
 * already received (shutdown(2): a reader blocked in recv() gets 0), and
 * leaves the other direction open
 */
static void test_shut_rd(void)
{
	struct tc cl, sv;
	uint32_t cs, ss, ls;
	unsigned rounds;
	bool bad = false;

	t_setup();
	t_pair(&cl, &sv, &cs, &ss, &ls);
	CU_ASSERT_EQUAL(tc_write(&cl, cs, NULL, 100, 0), 100);
	for (rounds = 0;
	     rounds < 100 && atomic_load(&tc_sock(&sv, ss)->rcv_tail) != 100;
	     rounds++)
		pump();
	CU_ASSERT_EQUAL(atomic_load(&tc_sock(&sv, ss)->rcv_tail), 100);
	CU_ASSERT_EQUAL(tc_do(&sv, VSAPP_OP_SHUTDOWN, ss, 0, 0, SHUT_RD, 0), 0);
	CU_ASSERT(atomic_load(&tc_sock(&sv, ss)->events) & VSAPP_EV_EOF);
	CU_ASSERT_FALSE(atomic_load(&tc_sock(&sv, ss)->events) &
			VSAPP_EV_SHUTWR);
	CU_ASSERT_EQUAL(atomic_load(&tc_sock(&sv, ss)->state),
			VSAPP_S_CONNECTED);
	CU_ASSERT_EQUAL(tc_read(&sv, ss, NULL, 1000, 0, &bad), 100);
	CU_ASSERT(!bad);
	/* the server still writes */
	CU_ASSERT_EQUAL(tc_write(&sv, ss, NULL, 50, 0), 50);
	for (rounds = 0;
	     rounds < 100 && atomic_load(&tc_sock(&cl, cs)->rcv_tail) != 50;
	     rounds++)
		pump();
	CU_ASSERT_EQUAL(tc_read(&cl, cs, NULL, 1000, 0, &bad), 50);
	CU_ASSERT(!bad);
	CU_ASSERT_FALSE(atomic_load(&tc_sock(&cl, cs)->events) & VSAPP_EV_EOF);
	tc_detach(&cl);
	tc_detach(&sv);
	t_teardown();
}

/**
 * test_bind_conflict() - a stream port bound by another socket (of any
 * context of the endpoint) is in use at bind(), as on Linux, unless both
 * have SO_REUSEADDR and neither listens
 */
static void test_bind_conflict(void)
{
	struct tc c1, c2;
	int32_t s1, s2, s3, s4;

	t_setup();
	CU_ASSERT_FATAL(tc_attach(&c1, 1, "") == 0);
	CU_ASSERT_FATAL(tc_attach(&c2, 1, "") == 0);
	s1 = tc_do(&c1, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_STREAM, 0);
	s2 = tc_do(&c2, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_STREAM, 0);
	s3 = tc_do(&c2, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_STREAM, 0);
	s4 = tc_do(&c1, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_STREAM, 0);
	CU_ASSERT_FATAL(s1 >= 0 && s2 >= 0 && s3 >= 0 && s4 >= 0);
	CU_ASSERT_EQUAL(tc_do(&c1, VSAPP_OP_BIND, (uint32_t)s1, 0, 8080, 0, 0),
			0);
	CU_ASSERT_EQUAL(tc_do(&c2, VSAPP_OP_BIND, (uint32_t)s2, 0, 8080, 0, 0),
			-EADDRINUSE);
	CU_ASSERT_EQUAL(tc_do(&c1, VSAPP_OP_BIND, (uint32_t)s4, 0, 8080, 0, 0),
			-EADDRINUSE);
	/* both with SO_REUSEADDR: allowed until one listens */
	CU_ASSERT_EQUAL(tc_do(&c1, VSAPP_OP_SETOPT, (uint32_t)s1, 0, 0,
			      VSAPP_OPT_REUSEADDR, 1),
			0);
	CU_ASSERT_EQUAL(tc_do(&c2, VSAPP_OP_SETOPT, (uint32_t)s3, 0, 0,
			      VSAPP_OPT_REUSEADDR, 1),
			0);
	CU_ASSERT_EQUAL(tc_do(&c2, VSAPP_OP_BIND, (uint32_t)s3, 0, 8080, 0, 0),
			0);
	CU_ASSERT_EQUAL(tc_do(&c1, VSAPP_OP_LISTEN, (uint32_t)s1, 0, 0, 4, 0),
			0);
	CU_ASSERT_EQUAL(tc_do(&c2, VSAPP_OP_LISTEN, (uint32_t)s3, 0, 0, 4, 0),
			-EADDRINUSE);
	CU_ASSERT_EQUAL(tc_do(&c1, VSAPP_OP_SETOPT, (uint32_t)s4, 0, 0,
			      VSAPP_OPT_REUSEADDR, 1),
			0);
	CU_ASSERT_EQUAL(tc_do(&c1, VSAPP_OP_BIND, (uint32_t)s4, 0, 8080, 0, 0),
			-EADDRINUSE);
	/* the port is free again once its sockets are closed */
	CU_ASSERT_EQUAL(tc_do(&c1, VSAPP_OP_CLOSE, (uint32_t)s1, 0, 0, 0, 0), 0);
	CU_ASSERT_EQUAL(tc_do(&c2, VSAPP_OP_CLOSE, (uint32_t)s3, 0, 0, 0, 0), 0);
	CU_ASSERT_EQUAL(tc_do(&c2, VSAPP_OP_BIND, (uint32_t)s2, 0, 8080, 0, 0),
			0);
	/* SO_REUSEADDR set after the bind counts, and so does clearing it */
	CU_ASSERT_EQUAL(tc_do(&c2, VSAPP_OP_SETOPT, (uint32_t)s2, 0, 0,
			      VSAPP_OPT_REUSEADDR, 1),
			0);
	CU_ASSERT_EQUAL(tc_do(&c1, VSAPP_OP_BIND, (uint32_t)s4, 0, 8080, 0, 0),
			0);
	CU_ASSERT_EQUAL(tc_do(&c2, VSAPP_OP_SETOPT, (uint32_t)s2, 0, 0,
			      VSAPP_OPT_REUSEADDR, 0),
			0);
	CU_ASSERT_EQUAL(epa->tcp.bound[8080], 2);
	CU_ASSERT_EQUAL(epa->tcp.bound[EP_PORTS + 8080], 1);
	/* an application that goes leaves nothing counted */
	tc_detach(&c1);
	tc_detach(&c2);
	for (s1 = 0; s1 < 1000; s1++)
		pump();
	CU_ASSERT_EQUAL(epa->tcp.bound[8080], 0);
	CU_ASSERT_EQUAL(epa->tcp.bound[EP_PORTS + 8080], 0);
	t_teardown();
}

/**
 * test_listen_ephemeral() - listen() without bind() picks a port no
 * socket holds: not a listener's, and not one another socket bound and
 * has not listened on yet (as Linux's inet_csk_get_port())
 */
static void test_listen_ephemeral(void)
{
	struct tc c;
	int32_t b, l;
	uint16_t first;

	t_setup();
	CU_ASSERT_FATAL(tc_attach(&c, 1, "") == 0);
	/* the first port the search would try */
	first = (uint16_t)(49152 + (uint32_t)(epa->tcp.secret[0] >> 7) % 16384);
	b = tc_do(&c, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_STREAM, 0);
	l = tc_do(&c, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_STREAM, 0);
	CU_ASSERT_FATAL(b >= 0 && l >= 0);
	CU_ASSERT_EQUAL(tc_do(&c, VSAPP_OP_BIND, (uint32_t)b, 0, first, 0, 0),
			0);
	CU_ASSERT_EQUAL(tc_do(&c, VSAPP_OP_LISTEN, (uint32_t)l, 0, 0, 4, 0), 0);
	CU_ASSERT(tc_sock(&c, (uint32_t)l)->lport >= 49152);
	CU_ASSERT_NOT_EQUAL(tc_sock(&c, (uint32_t)l)->lport, first);
	/* the bound socket can still listen on its port */
	CU_ASSERT_EQUAL(tc_do(&c, VSAPP_OP_LISTEN, (uint32_t)b, 0, 0, 4, 0), 0);
	tc_detach(&c);
	t_teardown();
}

/**
 * test_listen_again() - listen() on a listener changes its backlog and
 * succeeds, as Linux (inet_listen() on TCP_LISTEN); the port stays;
 * SHUT_WR leaves it alone
 */
static void test_listen_again(void)
{
	struct tc sv;
	uint32_t ls;

	t_setup();
	CU_ASSERT_FATAL(tc_attach(&sv, 2, "") == 0);
	ls = t_listen(&sv, 80, 0, 4);
	/* SHUT_WR on a listener changes nothing and succeeds, as Linux
	 * (inet_shutdown() on TCP_LISTEN stops it only for SHUT_RD) */
	CU_ASSERT_EQUAL(tc_do(&sv, VSAPP_OP_SHUTDOWN, ls, 0, 0, SHUT_WR, 0), 0);
	CU_ASSERT_EQUAL(atomic_load(&tc_sock(&sv, ls)->state), VSAPP_S_LISTEN);
	CU_ASSERT_FALSE(atomic_load(&tc_sock(&sv, ls)->events) &
			VSAPP_EV_SHUTWR);
	CU_ASSERT_EQUAL(tc_do(&sv, VSAPP_OP_LISTEN, ls, 0, 0, 64, 0), 0);
	CU_ASSERT_EQUAL(atomic_load(&tc_sock(&sv, ls)->state), VSAPP_S_LISTEN);
	CU_ASSERT_EQUAL(tc_sock(&sv, ls)->lport, 80);
	CU_ASSERT_EQUAL(epb->tcp.nlisten, 1);
	CU_ASSERT_EQUAL(epb->apps->socks[ls].backlog, 65);
	CU_ASSERT_EQUAL(epb->apps->socks[ls].ec->tcp.cfg.backlog, 65);
	CU_ASSERT_EQUAL(tc_do(&sv, VSAPP_OP_CLOSE, ls, 0, 0, 0, 0), 0);
	CU_ASSERT_EQUAL(epb->tcp.nlisten, 0);
	tc_detach(&sv);
	t_teardown();
}

/**
 * test_shut_notconn() - shutdown() of a socket that is not connected
 * fails with ENOTCONN, as Linux (inet_shutdown() on TCP_CLOSE): a stream
 * never connected, and a datagram socket with no peer; a connected
 * datagram socket may
 */
static void test_shut_notconn(void)
{
	struct tc c;
	int32_t t, u;

	t_setup();
	CU_ASSERT_FATAL(tc_attach(&c, 1, "") == 0);
	t = tc_do(&c, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_STREAM, 0);
	u = tc_do(&c, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_DGRAM, 0);
	CU_ASSERT_FATAL(t >= 0 && u >= 0);
	CU_ASSERT_EQUAL(
		tc_do(&c, VSAPP_OP_SHUTDOWN, (uint32_t)t, 0, 0, SHUT_RD, 0),
		-ENOTCONN);
	CU_ASSERT_EQUAL(
		tc_do(&c, VSAPP_OP_SHUTDOWN, (uint32_t)t, 0, 0, SHUT_RDWR, 0),
		-ENOTCONN);
	CU_ASSERT_EQUAL(
		tc_do(&c, VSAPP_OP_SHUTDOWN, (uint32_t)u, 0, 0, SHUT_RDWR, 0),
		-ENOTCONN);
	CU_ASSERT_EQUAL(tc_do(&c, VSAPP_OP_CONNECT, (uint32_t)u,
			      wire_ip4(10, 0, 0, 2).be, 53, 0, 0),
			0);
	CU_ASSERT_EQUAL(
		tc_do(&c, VSAPP_OP_SHUTDOWN, (uint32_t)u, 0, 0, SHUT_RD, 0), 0);
	tc_detach(&c);
	t_teardown();
}

/**
 * test_shut_connecting() - shutdown() of a stream still connecting (SYN
 * sent, no answer) ends the attempt, as Linux (inet_shutdown() on
 * SYN_SENT calls tcp_disconnect(), whatever @how): it returns 0, the
 * CONNECT waiting fails with ECONNRESET (a non-blocking one leaves it for
 * SO_ERROR, a blocking one takes it), the port picked for it goes back,
 * and the socket may connect again
 */
static void test_shut_connecting(void)
{
	uint32_t nowhere = wire_ip4(10, 0, 0, 77).be;
	struct vsapp_cqe e = {0};
	uint64_t tag;
	unsigned k;
	int32_t t;
	struct tc c;

	t_setup();
	CU_ASSERT_FATAL(tc_attach(&c, 1, "") == 0);
	t = tc_do(&c, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_STREAM, 0);
	CU_ASSERT_FATAL(t >= 0);
	tag = tc_cmd(&c, VSAPP_OP_CONNECT, (uint32_t)t, nowhere, 80,
		     VSAPP_F_NONBLOCK, 0);
	for (k = 0; k < 5; k++)
		pump();
	CU_ASSERT_EQUAL(atomic_load(&tc_sock(&c, (uint32_t)t)->state),
			VSAPP_S_CONNECTING);
	CU_ASSERT_EQUAL(
		tc_do(&c, VSAPP_OP_SHUTDOWN, (uint32_t)t, 0, 0, SHUT_WR, 0), 0);
	CU_ASSERT_FATAL(tc_wait(&c, tag, &e));
	CU_ASSERT_EQUAL(e.res, -ECONNRESET);
	CU_ASSERT_EQUAL(atomic_load(&tc_sock(&c, (uint32_t)t)->state),
			VSAPP_S_OPEN);
	CU_ASSERT_EQUAL(tc_sock(&c, (uint32_t)t)->lport, 0);
	CU_ASSERT_EQUAL(tc_sock(&c, (uint32_t)t)->rport, 0);
	CU_ASSERT_EQUAL(epa->tcp.nconns, 0);
	CU_ASSERT_EQUAL(epa->apps->inflight, 0);
	CU_ASSERT_EQUAL(tc_do(&c, VSAPP_OP_GETOPT, (uint32_t)t, 0, 0,
			      VSAPP_OPT_ERROR, 0),
			ECONNRESET);
	/* again, blocking, shut for reading: the error goes with the CONNECT */
	tag = tc_cmd(&c, VSAPP_OP_CONNECT, (uint32_t)t, nowhere, 80, 0, 0);
	for (k = 0; k < 5; k++)
		pump();
	CU_ASSERT_EQUAL(atomic_load(&tc_sock(&c, (uint32_t)t)->state),
			VSAPP_S_CONNECTING);
	CU_ASSERT_EQUAL(
		tc_do(&c, VSAPP_OP_SHUTDOWN, (uint32_t)t, 0, 0, SHUT_RD, 0), 0);
	CU_ASSERT_FATAL(tc_wait(&c, tag, &e));
	CU_ASSERT_EQUAL(e.res, -ECONNRESET);
	CU_ASSERT_EQUAL(atomic_load(&tc_sock(&c, (uint32_t)t)->err), 0);
	CU_ASSERT_EQUAL(tc_do(&c, VSAPP_OP_GETOPT, (uint32_t)t, 0, 0,
			      VSAPP_OPT_ERROR, 0),
			0);
	CU_ASSERT_EQUAL(atomic_load(&tc_sock(&c, (uint32_t)t)->state),
			VSAPP_S_OPEN);
	/* a port the application bound stays bound */
	CU_ASSERT_EQUAL(tc_do(&c, VSAPP_OP_BIND, (uint32_t)t, 0, 4000, 0, 0),
			0);
	tag = tc_cmd(&c, VSAPP_OP_CONNECT, (uint32_t)t, nowhere, 80,
		     VSAPP_F_NONBLOCK, 0);
	for (k = 0; k < 5; k++)
		pump();
	CU_ASSERT_EQUAL(
		tc_do(&c, VSAPP_OP_SHUTDOWN, (uint32_t)t, 0, 0, SHUT_RDWR, 0),
		0);
	CU_ASSERT_FATAL(tc_wait(&c, tag, &e));
	CU_ASSERT_EQUAL(tc_sock(&c, (uint32_t)t)->lport, 4000);
	CU_ASSERT_EQUAL(epa->tcp.bound[4000], 1);
	CU_ASSERT_EQUAL(tc_do(&c, VSAPP_OP_CLOSE, (uint32_t)t, 0, 0, 0, 0), 0);
	CU_ASSERT_EQUAL(epa->tcp.bound[4000], 0);
	CU_ASSERT_EQUAL(epa->tcp.nconns, 0);
	tc_detach(&c);
	t_teardown();
}

/**
 * test_shut_listener() - SHUT_RD on a listener stops it, as on Linux: an
 * ACCEPT waiting (a thread blocked in accept()) fails with EINVAL, and so
 * does the next one; the slot is still the application's to close
 */
static void test_shut_listener(void)
{
	struct vsapp_cqe e = {0};
	struct tcp_seg seg;
	struct tc sv;
	uint32_t ls;
	uint64_t atag;
	unsigned k;

	t_setup();
	CU_ASSERT_FATAL(tc_attach(&sv, 2, "") == 0);
	ls = t_listen(&sv, 80, 0, 16);
	atag = tc_cmd(&sv, VSAPP_OP_ACCEPT, ls, 0, 0, 0, 0);
	for (k = 0; k < 10; k++)
		pump();
	/* a half-open child, from a peer that never answers */
	memset(&seg, 0, sizeof(seg));
	seg.saddr = 0x0a000063;
	seg.daddr = 0x0a000002;
	seg.sport = 1024;
	seg.dport = 80;
	seg.flags = TCP_F_SYN;
	seg.win = 65535;
	ep_tcp_seg_input(epb, &seg, now);
	ep_tcp_flush(epb);
	CU_ASSERT_EQUAL(epb->apps->nhalfopen, 1);
	CU_ASSERT_EQUAL(tc_do(&sv, VSAPP_OP_SHUTDOWN, ls, 0, 0, SHUT_RDWR, 0),
			0);
	CU_ASSERT_EQUAL(epb->apps->nhalfopen, 0);
	CU_ASSERT_FATAL(tc_wait(&sv, atag, &e));
	CU_ASSERT_EQUAL(e.res, -EINVAL);
	CU_ASSERT_EQUAL(tc_do(&sv, VSAPP_OP_ACCEPT, ls, 0, 0, 0, 0), -EINVAL);
	CU_ASSERT_EQUAL(atomic_load(&tc_sock(&sv, ls)->state), VSAPP_S_CLOSED);
	CU_ASSERT_EQUAL(atomic_load(&tc_sock(&sv, ls)->err), 0);
	CU_ASSERT_EQUAL(epb->tcp.nlisten, 0);
	CU_ASSERT_EQUAL(epb->tcp.nconns, 0);
	CU_ASSERT_EQUAL(epb->apps->inflight, 0);
	/* the port is free again */
	k = (uint32_t)tc_do(&sv, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_STREAM,
			    0);
	CU_ASSERT_EQUAL(tc_do(&sv, VSAPP_OP_BIND, k, 0, 80, 0, 0), 0);
	CU_ASSERT_EQUAL(tc_do(&sv, VSAPP_OP_LISTEN, k, 0, 0, 16, 0), 0);
	CU_ASSERT_EQUAL(tc_do(&sv, VSAPP_OP_CLOSE, k, 0, 0, 0, 0), 0);
	CU_ASSERT_EQUAL(tc_do(&sv, VSAPP_OP_CLOSE, ls, 0, 0, 0, 0), 0);
	CU_ASSERT_EQUAL(epb->apps->nopen, 0);
	CU_ASSERT_EQUAL(epb->apps->mem.used, 0);
	tc_detach(&sv);
	t_teardown();
}

/**
 * t_dgram_send() - write one datagram record
 * @c:		client
 * @i:		socket
 * @addr:	destination or 0
 * @port:	its port
 * @p:		payload
 * @n:		length
 */
static void t_dgram_send(struct tc *c, uint32_t i, uint32_t addr, uint16_t port,
			 const void *p, uint32_t n)
{
	struct vsapp_sock *s = tc_sock(c, i);
	uint32_t tail = atomic_load(&s->snd_tail);
	uint32_t pos = tail & (s->sbuf_size - 1), need = 16 + ((n + 7) & ~7u);
	uint8_t *ring = (uint8_t *)c->shm + s->sbuf_off;
	struct vsapp_dgram d = {.len = n, .addr = addr, .port = port};

	if (s->sbuf_size - pos < need) {
		struct vsapp_dgram w = {.len = VSAPP_DGRAM_WRAP};

		if (s->sbuf_size - pos >= 16)
			memcpy(ring + pos, &w, 16);
		tail += s->sbuf_size - pos;
		pos = 0;
	}
	memcpy(ring + pos, &d, 16);
	memcpy(ring + pos + 16, p, n);
	atomic_store_explicit(&s->snd_tail, tail + need, memory_order_release);
	tc_kick(c);
}

/**
 * t_dgram_recv() - read one datagram record
 * @c:		client
 * @i:		socket
 * @d:		its header
 * @p:		payload (room for 2048)
 *
 * Return: true if there was one
 */
static bool t_dgram_recv(struct tc *c, uint32_t i, struct vsapp_dgram *d,
			 uint8_t *p)
{
	struct vsapp_sock *s = tc_sock(c, i);
	uint32_t head = atomic_load(&s->rcv_head),
		 tail = atomic_load(&s->rcv_tail);
	uint8_t *ring = (uint8_t *)c->shm + s->rbuf_off;
	uint32_t pos;

	for (;;) {
		if (head == tail)
			return false;
		pos = head & (s->rbuf_size - 1);
		if (s->rbuf_size - pos < 16) {
			head += s->rbuf_size - pos;
			continue;
		}
		memcpy(d, ring + pos, 16);
		if (d->len == VSAPP_DGRAM_WRAP) {
			head += s->rbuf_size - pos;
			continue;
		}
		break;
	}
	memcpy(p, ring + pos + 16, d->len < 2048 ? d->len : 2048);
	atomic_store_explicit(&s->rcv_head, head + 16 + ((d->len + 7) & ~7u),
			      memory_order_release);
	tc_kick(c);
	return true;
}

/**
 * test_dgram() - UDP records both ways, wrapping, a malformed record
 */
static void test_dgram(void)
{
	struct tc cl, sv;
	struct vsapp_dgram d;
	uint8_t p[2048], msg[1000];
	int32_t cs, ss;
	unsigned i, got = 0, rounds;
	uint16_t lport;

	t_setup();
	CU_ASSERT_FATAL(tc_attach(&cl, 1, "") == 0);
	CU_ASSERT_FATAL(tc_attach(&sv, 2, "") == 0);
	ss = tc_do(&sv, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_DGRAM, 0);
	CU_ASSERT_FATAL(ss >= 0);
	CU_ASSERT_EQUAL(tc_do(&sv, VSAPP_OP_BIND, (uint32_t)ss, 0, 53, 0, 0),
			0);
	/* small rings (4 KiB) so that records wrap */
	{
		struct vsapp_cqe e = {0};
		uint64_t t = tc_cmd(&cl, VSAPP_OP_SOCKET, 0, 0, 0,
				    VSAPP_SOCK_DGRAM, 4096);

		((struct vsapp_cmd *)((uint8_t *)cl.shm +
				      cl.shm->sq_off))[(cl.sq_tail - 1) &
						       (cl.shm->sq_entries - 1)]
			.arg3 = 4096;
		CU_ASSERT_FATAL(tc_wait(&cl, t, &e));
		cs = e.res;
	}
	CU_ASSERT_FATAL(cs >= 0);
	CU_ASSERT_EQUAL(tc_sock(&cl, (uint32_t)cs)->sbuf_size, 4096);
	CU_ASSERT_EQUAL(tc_sock(&cl, (uint32_t)cs)->lport, 0);
	CU_ASSERT_EQUAL(tc_do(&cl, VSAPP_OP_CONNECT, (uint32_t)cs,
			      wire_ip4(10, 0, 0, 2).be, 53, 0, 0),
			0);
	/* connect() picked the ephemeral port (getsockname() shows it) */
	lport = tc_sock(&cl, (uint32_t)cs)->lport;
	CU_ASSERT(lport >= UDP_EPHEMERAL_MIN);
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	for (i = 0; i < 40; i++) {
		msg[0] = (uint8_t)i;
		t_dgram_send(&cl, (uint32_t)cs,
			     i & 1 ? wire_ip4(10, 0, 0, 2).be : 0, 53, msg,
			     300 + i * 7);
		for (rounds = 0; rounds < 20; rounds++)
			pump();
		while (t_dgram_recv(&sv, (uint32_t)ss, &d, p)) {
			CU_ASSERT_EQUAL(d.len, 300 + got * 7);
			CU_ASSERT_EQUAL(p[0], (uint8_t)got);
			CU_ASSERT_EQUAL(d.addr, wire_ip4(10, 0, 0, 1).be);
			CU_ASSERT_EQUAL(d.port, lport);
			got++;
		}
	}
	if (got != 40)
		printf("got %u bad %lu drop %lu udp rx %lu qfull %lu noport "
		       "%lu\n",
		       got, (unsigned long)epa->stats[EP_STAT_APP_BAD_DGRAM],
		       (unsigned long)epb->stats[EP_STAT_APP_UDP_DROP],
		       (unsigned long)epb->ni.udp.stats[UDP_STAT_RX],
		       (unsigned long)epb->ni.udp.stats[UDP_STAT_RX_QUEUE_FULL],
		       (unsigned long)epb->ni.udp.stats[UDP_STAT_RX_NO_PORT]);
	CU_ASSERT_EQUAL(got, 40);
	/* and back, to the address the datagram came from */
	t_dgram_send(&sv, (uint32_t)ss, wire_ip4(10, 0, 0, 1).be,
		     tc_sock(&cl, (uint32_t)cs)->lport, "pong", 4);
	for (rounds = 0; rounds < 20; rounds++)
		pump();
	CU_ASSERT(t_dgram_recv(&cl, (uint32_t)cs, &d, p));
	CU_ASSERT_EQUAL(d.len, 4);
	CU_ASSERT_EQUAL(memcmp(p, "pong", 4), 0);
	/* a record longer than the ring: dropped and counted */
	{
		struct vsapp_sock *s = tc_sock(&cl, (uint32_t)cs);
		uint32_t tail = atomic_load(&s->snd_tail);
		uint8_t *ring = (uint8_t *)cl.shm + s->sbuf_off;
		struct vsapp_dgram bad = {.len = 3000};
		uint32_t pos = tail & 4095;

		if (4096 - pos < 16) {
			tail += 4096 - pos;
			pos = 0;
		}
		memcpy(ring + pos, &bad, 16);
		atomic_store(&s->snd_tail, tail + 16);
		tc_kick(&cl);
		for (rounds = 0; rounds < 5; rounds++)
			pump();
		CU_ASSERT_EQUAL(epa->stats[EP_STAT_APP_BAD_DGRAM], 1);
		CU_ASSERT_EQUAL(atomic_load(&s->snd_head), tail + 16);
	}
	CU_ASSERT_EQUAL(tc_do(&cl, VSAPP_OP_CLOSE, (uint32_t)cs, 0, 0, 0, 0),
			0);
	CU_ASSERT_EQUAL(tc_do(&sv, VSAPP_OP_CLOSE, (uint32_t)ss, 0, 0, 0, 0),
			0);
	tc_detach(&cl);
	tc_detach(&sv);
	t_teardown();
}

/**
 * t_udp_holders() - the endpoint's UDP sockets on a port
 * @ep:		endpoint
 * @port:	port
 *
 * Return: how many
 */
static unsigned t_udp_holders(struct ep *ep, uint16_t port)
{
	unsigned i, n = 0;

	for (i = 0; i < UDP_SOCK_MAX; i++)
		n += ep->ni.udp.s[i].used && ep->ni.udp.s[i].port == port;
	return n;
}

/**
 * test_dgram_disconnect() - connect(AF_UNSPEC) (CONNECT to 0:0) gives
 * back a port the socket got automatically, at connect() or at its first
 * send, as Linux (udp_disconnect() without SOCK_BINDPORT_LOCK); a port
 * the application bound stays
 */
static void test_dgram_disconnect(void)
{
	uint32_t peer = wire_ip4(10, 0, 0, 2).be;
	uint16_t lport;
	unsigned k;
	int32_t u;
	struct tc c;

	t_setup();
	CU_ASSERT_FATAL(tc_attach(&c, 1, "") == 0);
	/* autobound at connect() */
	u = tc_do(&c, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_DGRAM, 0);
	CU_ASSERT_FATAL(u >= 0);
	CU_ASSERT_EQUAL(
		tc_do(&c, VSAPP_OP_CONNECT, (uint32_t)u, peer, 53, 0, 0), 0);
	lport = tc_sock(&c, (uint32_t)u)->lport;
	CU_ASSERT(lport >= UDP_EPHEMERAL_MIN);
	CU_ASSERT_EQUAL(t_udp_holders(epa, lport), 1);
	CU_ASSERT_EQUAL(tc_do(&c, VSAPP_OP_CONNECT, (uint32_t)u, 0, 0, 0, 0),
			0);
	CU_ASSERT_EQUAL(tc_sock(&c, (uint32_t)u)->lport, 0);
	CU_ASSERT_EQUAL(tc_sock(&c, (uint32_t)u)->raddr, 0);
	CU_ASSERT_EQUAL(t_udp_holders(epa, lport), 0);
	/* autobound at the first send, then disconnected */
	t_dgram_send(&c, (uint32_t)u, peer, 53, "x", 1);
	for (k = 0; k < 5; k++)
		pump();
	lport = tc_sock(&c, (uint32_t)u)->lport;
	CU_ASSERT(lport >= UDP_EPHEMERAL_MIN);
	CU_ASSERT_EQUAL(tc_do(&c, VSAPP_OP_CONNECT, (uint32_t)u, 0, 0, 0, 0),
			0);
	CU_ASSERT_EQUAL(tc_sock(&c, (uint32_t)u)->lport, 0);
	CU_ASSERT_EQUAL(t_udp_holders(epa, lport), 0);
	CU_ASSERT_EQUAL(tc_do(&c, VSAPP_OP_CLOSE, (uint32_t)u, 0, 0, 0, 0), 0);
	/* bound by the application: the port stays */
	u = tc_do(&c, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_DGRAM, 0);
	CU_ASSERT_FATAL(u >= 0);
	CU_ASSERT_EQUAL(tc_do(&c, VSAPP_OP_BIND, (uint32_t)u, 0, 5353, 0, 0),
			0);
	CU_ASSERT_EQUAL(
		tc_do(&c, VSAPP_OP_CONNECT, (uint32_t)u, peer, 53, 0, 0), 0);
	CU_ASSERT_EQUAL(tc_do(&c, VSAPP_OP_CONNECT, (uint32_t)u, 0, 0, 0, 0),
			0);
	CU_ASSERT_EQUAL(tc_sock(&c, (uint32_t)u)->lport, 5353);
	CU_ASSERT_EQUAL(t_udp_holders(epa, 5353), 1);
	CU_ASSERT_EQUAL(tc_do(&c, VSAPP_OP_CLOSE, (uint32_t)u, 0, 0, 0, 0), 0);
	CU_ASSERT_EQUAL(t_udp_holders(epa, 5353), 0);
	tc_detach(&c);
	t_teardown();
}

/**
 * test_dgram_broadcast() - without SO_BROADCAST a datagram socket cannot
 * reach a broadcast address, as Linux: CONNECT fails with EACCES and a
 * record for one is dropped, not sent
 */
static void test_dgram_broadcast(void)
{
	uint32_t bc = wire_ip4(10, 0, 0, 255).be, all = 0xffffffffu;
	uint64_t tx;
	unsigned k;
	int32_t u;
	struct tc c;

	t_setup();
	CU_ASSERT_FATAL(tc_attach(&c, 1, "") == 0);
	u = tc_do(&c, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_DGRAM, 0);
	CU_ASSERT_FATAL(u >= 0);
	CU_ASSERT_EQUAL(tc_do(&c, VSAPP_OP_GETOPT, (uint32_t)u, 0, 0,
			      VSAPP_OPT_BROADCAST, 0),
			0);
	CU_ASSERT_EQUAL(tc_do(&c, VSAPP_OP_CONNECT, (uint32_t)u, bc, 9, 0, 0),
			-EACCES);
	CU_ASSERT_EQUAL(tc_do(&c, VSAPP_OP_CONNECT, (uint32_t)u, all, 9, 0, 0),
			-EACCES);
	tx = epa->ni.udp.stats[UDP_STAT_TX];
	t_dgram_send(&c, (uint32_t)u, bc, 9, "x", 1);
	t_dgram_send(&c, (uint32_t)u, all, 9, "x", 1);
	for (k = 0; k < 5; k++)
		pump();
	CU_ASSERT_EQUAL(epa->ni.udp.stats[UDP_STAT_TX], tx);
	CU_ASSERT_EQUAL(tc_do(&c, VSAPP_OP_SETOPT, (uint32_t)u, 0, 0,
			      VSAPP_OPT_BROADCAST, 1),
			0);
	CU_ASSERT_EQUAL(tc_do(&c, VSAPP_OP_GETOPT, (uint32_t)u, 0, 0,
			      VSAPP_OPT_BROADCAST, 0),
			1);
	t_dgram_send(&c, (uint32_t)u, bc, 9, "x", 1);
	t_dgram_send(&c, (uint32_t)u, all, 9, "x", 1);
	for (k = 0; k < 5; k++)
		pump();
	CU_ASSERT_EQUAL(epa->ni.udp.stats[UDP_STAT_TX], tx + 2);
	CU_ASSERT_EQUAL(tc_do(&c, VSAPP_OP_CONNECT, (uint32_t)u, bc, 9, 0, 0),
			0);
	CU_ASSERT_EQUAL(tc_do(&c, VSAPP_OP_CLOSE, (uint32_t)u, 0, 0, 0, 0), 0);
	tc_detach(&c);
	t_teardown();
}

/**
 * test_dgram_reuse_late() - SO_REUSEADDR set after bind() counts for a
 * datagram port, as Linux (the second bind() looks at sk_reuse of both
 * sockets as they are then), and so does clearing it
 */
static void test_dgram_reuse_late(void)
{
	struct tc c;
	int32_t u1, u2, u3;

	t_setup();
	CU_ASSERT_FATAL(tc_attach(&c, 1, "") == 0);
	u1 = tc_do(&c, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_DGRAM, 0);
	u2 = tc_do(&c, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_DGRAM, 0);
	u3 = tc_do(&c, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_DGRAM, 0);
	CU_ASSERT_FATAL(u1 >= 0 && u2 >= 0 && u3 >= 0);
	CU_ASSERT_EQUAL(tc_do(&c, VSAPP_OP_BIND, (uint32_t)u1, 0, 5000, 0, 0),
			0);
	CU_ASSERT_EQUAL(tc_do(&c, VSAPP_OP_SETOPT, (uint32_t)u1, 0, 0,
			      VSAPP_OPT_REUSEADDR, 1),
			0);
	CU_ASSERT_EQUAL(tc_do(&c, VSAPP_OP_SETOPT, (uint32_t)u2, 0, 0,
			      VSAPP_OPT_REUSEADDR, 1),
			0);
	CU_ASSERT_EQUAL(tc_do(&c, VSAPP_OP_BIND, (uint32_t)u2, 0, 5000, 0, 0),
			0);
	CU_ASSERT_EQUAL(tc_do(&c, VSAPP_OP_SETOPT, (uint32_t)u1, 0, 0,
			      VSAPP_OPT_REUSEADDR, 0),
			0);
	CU_ASSERT_EQUAL(tc_do(&c, VSAPP_OP_SETOPT, (uint32_t)u3, 0, 0,
			      VSAPP_OPT_REUSEADDR, 1),
			0);
	CU_ASSERT_EQUAL(tc_do(&c, VSAPP_OP_BIND, (uint32_t)u3, 0, 5000, 0, 0),
			-EADDRINUSE);
	tc_detach(&c);
	t_teardown();
}

/**
 * test_dgram_shut_wr() - SHUT_WR on a datagram socket ends its sends, as
 * Linux (sock_alloc_send_pskb(): EPIPE once SEND_SHUTDOWN is set): the
 * slot says so (VSAPP_EV_SHUTWR) and a record written anyway is dropped;
 * on a socket with no peer shutdown() says ENOTCONN but takes effect
 * all the same (inet_shutdown() on TCP_CLOSE)
 */
static void test_dgram_shut_wr(void)
{
	uint32_t peer = wire_ip4(10, 0, 0, 2).be;
	uint64_t tx;
	unsigned k;
	int32_t u, v;
	struct tc c;

	t_setup();
	CU_ASSERT_FATAL(tc_attach(&c, 1, "") == 0);
	u = tc_do(&c, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_DGRAM, 0);
	v = tc_do(&c, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_DGRAM, 0);
	CU_ASSERT_FATAL(u >= 0 && v >= 0);
	CU_ASSERT_EQUAL(
		tc_do(&c, VSAPP_OP_CONNECT, (uint32_t)u, peer, 53, 0, 0), 0);
	CU_ASSERT_EQUAL(
		tc_do(&c, VSAPP_OP_SHUTDOWN, (uint32_t)u, 0, 0, SHUT_WR, 0), 0);
	CU_ASSERT(atomic_load(&tc_sock(&c, (uint32_t)u)->events) &
		  VSAPP_EV_SHUTWR);
	CU_ASSERT_FALSE(atomic_load(&tc_sock(&c, (uint32_t)u)->events) &
			VSAPP_EV_EOF);
	tx = epa->ni.udp.stats[UDP_STAT_TX];
	t_dgram_send(&c, (uint32_t)u, 0, 0, "x", 1);
	t_dgram_send(&c, (uint32_t)u, peer, 54, "x", 1);
	for (k = 0; k < 5; k++)
		pump();
	CU_ASSERT_EQUAL(epa->ni.udp.stats[UDP_STAT_TX], tx);
	/* no peer: ENOTCONN, and shut all the same */
	CU_ASSERT_EQUAL(
		tc_do(&c, VSAPP_OP_SHUTDOWN, (uint32_t)v, 0, 0, SHUT_WR, 0),
		-ENOTCONN);
	CU_ASSERT(atomic_load(&tc_sock(&c, (uint32_t)v)->events) &
		  VSAPP_EV_SHUTWR);
	t_dgram_send(&c, (uint32_t)v, peer, 53, "x", 1);
	for (k = 0; k < 5; k++)
		pump();
	CU_ASSERT_EQUAL(epa->ni.udp.stats[UDP_STAT_TX], tx);
	tc_detach(&c);
	t_teardown();
}

/**
 * test_dgram_shut_rd() - SHUT_RD on a datagram socket is published
 * (VSAPP_EV_EOF), so that libvstack ends a receive blocked on it, as
 * Linux wakes it (a common way to stop a receiving thread), also on a
 * socket with no peer, where shutdown() says ENOTCONN; datagrams go on
 * arriving, as on Linux
 */
static void test_dgram_shut_rd(void)
{
	struct vsapp_dgram d;
	uint8_t p[2048];
	unsigned k;
	int32_t u, v;
	struct tc c, c2;

	t_setup();
	CU_ASSERT_FATAL(tc_attach(&c, 1, "") == 0);
	CU_ASSERT_FATAL(tc_attach(&c2, 2, "") == 0);
	u = tc_do(&c, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_DGRAM, 0);
	v = tc_do(&c2, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_DGRAM, 0);
	CU_ASSERT_FATAL(u >= 0 && v >= 0);
	CU_ASSERT_EQUAL(tc_do(&c, VSAPP_OP_BIND, (uint32_t)u, 0, 5000, 0, 0),
			0);
	CU_ASSERT_EQUAL(
		tc_do(&c, VSAPP_OP_SHUTDOWN, (uint32_t)u, 0, 0, SHUT_RD, 0),
		-ENOTCONN);
	CU_ASSERT(atomic_load(&tc_sock(&c, (uint32_t)u)->events) &
		  VSAPP_EV_EOF);
	CU_ASSERT_FALSE(atomic_load(&tc_sock(&c, (uint32_t)u)->events) &
			VSAPP_EV_SHUTWR);
	t_dgram_send(&c2, (uint32_t)v, wire_ip4(10, 0, 0, 1).be, 5000, "x", 1);
	for (k = 0; k < 10; k++)
		pump();
	CU_ASSERT(t_dgram_recv(&c, (uint32_t)u, &d, p) && d.len == 1);
	tc_detach(&c);
	tc_detach(&c2);
	t_teardown();
}

/**
 * test_hostile() - what a broken application can write: bad commands,
 * bad indices, counters that make no sense, a lying cq_head
 */
static void test_hostile(void)
{
	const struct {
		be32_t addr;
		int err;
	} bad_peers[] = {
		{ wire_ip4(10, 0, 0, 1), -EHOSTUNREACH },
		{ wire_ip4(10, 0, 0, 255), -ENETUNREACH },
		{ wire_ip4(127, 0, 0, 1), -EHOSTUNREACH },
		{ wire_ip4(0, 1, 2, 3), -EHOSTUNREACH },
	};
	struct tc cl, sv;
	uint32_t cs, ss, ls, k;
	struct vsapp_sock *s;
	struct vsapp_cqe e = {0};
	uint64_t t;
	size_t i;

	t_setup();
	t_pair(&cl, &sv, &cs, &ss, &ls);
	/* unknown op, socket out of range, a free slot, a hidden one */
	CU_ASSERT_EQUAL(tc_do(&cl, 77, cs, 0, 0, 0, 0), -EINVAL);
	CU_ASSERT_EQUAL(tc_do(&cl, VSAPP_OP_LISTEN, 1u << 30, 0, 0, 0, 0),
			-EBADF);
	CU_ASSERT_EQUAL(tc_do(&cl, VSAPP_OP_LISTEN, APP_NSOCKS - 1, 0, 0, 0, 0),
			-EBADF);
	CU_ASSERT_EQUAL(tc_do(&cl, VSAPP_OP_SOCKET, 0, 0, 0, 9, 0), -EINVAL);
	CU_ASSERT_EQUAL(tc_do(&cl, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_STREAM,
			      1u << 31),
			-EINVAL);
	CU_ASSERT_EQUAL(tc_do(&cl, VSAPP_OP_CONNECT, cs, 1, 1, 0, 0), -EISCONN);
	/* no connection to ourselves, the subnet's broadcast address,
	 * loopback or "this network" */
	t = (uint64_t)tc_do(&cl, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_STREAM,
			    0);
	for (i = 0; i < sizeof(bad_peers) / sizeof(bad_peers[0]); i++)
		CU_ASSERT_EQUAL(tc_do(&cl, VSAPP_OP_CONNECT, (uint32_t)t,
				      bad_peers[i].addr.be, 80, 0, 0),
				bad_peers[i].err);
	CU_ASSERT_EQUAL(tc_do(&cl, VSAPP_OP_CLOSE, (uint32_t)t, 0, 0, 0, 0), 0);
	CU_ASSERT_EQUAL(
		tc_do(&cl, VSAPP_OP_SETOPT, cs, 0, 0, VSAPP_OPT_KEEPALIVE, 1),
		0);
	CU_ASSERT_EQUAL(
		tc_do(&cl, VSAPP_OP_GETOPT, cs, 0, 0, VSAPP_OPT_KEEPALIVE, 0),
		1);
	CU_ASSERT_EQUAL(tc_do(&cl, VSAPP_OP_SHUTDOWN, cs, 0, 0, 7, 0), -EINVAL);
	/* the layout in the header is the app's to scribble on: ignored */
	{
		struct vsapp_shm save = *cl.shm;
		uint64_t tag;

		tag = tc_cmd(&cl, VSAPP_OP_NOP, 0, 0, 0, 0, 0);
		cl.shm->socks_off = 1ull << 40;
		cl.shm->sq_off = 3;
		cl.shm->cq_off = 5;
		cl.shm->data_off = ~0ull;
		cl.shm->sq_entries = 7;
		for (k = 0; k < 5; k++)
			pump();
		cl.shm->socks_off = save.socks_off;
		cl.shm->sq_off = save.sq_off;
		cl.shm->cq_off = save.cq_off;
		cl.shm->data_off = save.data_off;
		cl.shm->sq_entries = save.sq_entries;
		CU_ASSERT(tc_wait(&cl, tag, &e));
	}
	/* snd_tail beyond the ring: the socket is reset, counted */
	s = tc_sock(&cl, cs);
	atomic_store(&s->snd_tail,
		     atomic_load(&s->snd_head) + s->sbuf_size + 1);
	tc_kick(&cl);
	pump();
	CU_ASSERT_EQUAL(atomic_load(&s->state), VSAPP_S_CLOSED);
	CU_ASSERT_EQUAL(atomic_load(&s->err), EINVAL);
	CU_ASSERT_EQUAL(epa->stats[EP_STAT_APP_BAD_SOCK], 1);
	for (k = 0; k < 10; k++)
		pump();
	/* the peer got a reset */
	CU_ASSERT_EQUAL(atomic_load(&tc_sock(&sv, ss)->state), VSAPP_S_CLOSED);
	CU_ASSERT_EQUAL(atomic_load(&tc_sock(&sv, ss)->err), ECONNRESET);
	/* rcv_head beyond rcv_tail: reset too */
	CU_ASSERT_EQUAL(tc_do(&cl, VSAPP_OP_CLOSE, cs, 0, 0, 0, 0), 0);
	CU_ASSERT_EQUAL(tc_do(&sv, VSAPP_OP_CLOSE, ss, 0, 0, 0, 0), 0);
	t = tc_do(&cl, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_STREAM, 0);
	CU_ASSERT((int64_t)t >= 0);
	atomic_store(&tc_sock(&cl, (uint32_t)t)->rcv_head, 5);
	tc_kick(&cl);
	pump();
	CU_ASSERT_EQUAL(atomic_load(&tc_sock(&cl, (uint32_t)t)->err), EINVAL);
	CU_ASSERT_EQUAL(tc_do(&cl, VSAPP_OP_CLOSE, (uint32_t)t, 0, 0, 0, 0), 0);
	/* sq_tail far ahead of sq_head: nothing is taken */
	atomic_store(&cl.shm->sq_tail, cl.sq_tail + 100000);
	tc_kick(&cl);
	pump();
	CU_ASSERT_EQUAL(atomic_load(&cl.shm->sq_head), cl.sq_tail);
	atomic_store(&cl.shm->sq_tail, cl.sq_tail);
	/* cq_head that never moves: the CQ fills and the stack stops
	 * taking commands; no completion is ever overwritten */
	tc_reap(&cl);
	cl.ndone = 0;
	for (k = 0; k < 8; k++) {
		while (cl.sq_tail - atomic_load(&cl.shm->sq_head) <
		       APP_SQ_ENTRIES)
			tc_cmd(&cl, VSAPP_OP_NOP, 0, 0, 0, 0, 0);
		pump();
	}
	CU_ASSERT_EQUAL(atomic_load(&cl.shm->cq_tail) - cl.cq_head,
			APP_CQ_ENTRIES);
	k = atomic_load(&cl.shm->sq_head);
	CU_ASSERT(cl.sq_tail - k > 0);
	pump();
	pump();
	CU_ASSERT_EQUAL(atomic_load(&cl.shm->sq_head), k);
	CU_ASSERT_EQUAL(atomic_load(&cl.shm->cq_tail) - cl.cq_head,
			APP_CQ_ENTRIES);
	/* cq_head beyond cq_tail: taken as full too */
	atomic_store(&cl.shm->cq_head, cl.cq_head + 5 * APP_CQ_ENTRIES);
	pump();
	atomic_store(&cl.shm->cq_head, cl.cq_head);
	cl.ndone = 0;
	tc_reap(&cl);
	cl.ndone = 0;
	CU_ASSERT(tc_wait(&cl, tc_cmd(&cl, VSAPP_OP_NOP, 0, 0, 0, 0, 0), &e));
	CU_ASSERT_EQUAL(e.res, 0);
	tc_detach(&cl);
	tc_detach(&sv);
	t_teardown();
}

/**
 * test_free_mid_transfer() - an application vanishes during a transfer:
 * its connections are reset, its rings and memory released, the peer
 * sees the reset, the endpoint keeps serving the other applications
 */
static void test_free_mid_transfer(void)
{
	struct tc cl, sv;
	uint32_t cs, ss, ls, k;
	uint64_t sent = 0, rcvd = 0;
	bool bad = false;

	t_setup();
	t_pair(&cl, &sv, &cs, &ss, &ls);
	for (k = 0; k < 200; k++) {
		sent += tc_write(&cl, cs, NULL, 50000, sent);
		rcvd += tc_read(&sv, ss, NULL, 1u << 20, rcvd, &bad);
		pump();
	}
	CU_ASSERT(rcvd > 0);
	CU_ASSERT(!bad);
	/* more sockets: a listener and a connection in progress */
	k = (uint32_t)tc_do(&cl, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_STREAM,
			    0);
	CU_ASSERT_EQUAL(tc_do(&cl, VSAPP_OP_LISTEN, k, 0, 0, 4, 0), 0);
	tc_cmd(&cl, VSAPP_OP_ACCEPT, k, 0, 0, 0, 0);
	pump();
	CU_ASSERT_EQUAL(epa->tcp.nconns, 2);
	tc_detach(&cl); /* the application exits */
	CU_ASSERT_EQUAL(epa->tcp.nconns, 0);
	CU_ASSERT_EQUAL(epa->napps, 0);
	for (k = 0; k < 10; k++) {
		rcvd += tc_read(&sv, ss, NULL, 1u << 20, rcvd, &bad);
		pump();
	}
	CU_ASSERT_EQUAL(atomic_load(&tc_sock(&sv, ss)->state), VSAPP_S_CLOSED);
	CU_ASSERT_EQUAL(atomic_load(&tc_sock(&sv, ss)->err), ECONNRESET);
	/* the server application carries on */
	CU_ASSERT_EQUAL(tc_do(&sv, VSAPP_OP_CLOSE, ss, 0, 0, 0, 0), 0);
	CU_ASSERT_EQUAL(tc_do(&sv, VSAPP_OP_NOP, 0, 0, 0, 0, 0), 0);
	CU_ASSERT_EQUAL(epb->tcp.nconns, 1); /* the listener */
	CU_ASSERT(epb->apps->mem.used > 0);
	tc_detach(&sv);
	CU_ASSERT_EQUAL(epb->tcp.nconns, 0);
	t_teardown();
}

/**
 * test_many_sockets() - 300 connections between two contexts at once,
 * small rings, churned twice: slots, accept queues and the ring allocator
 * come back to empty
 */
static void test_many_sockets(void)
{
	enum { N = 300 };
	static uint32_t cs[N], ss[N];
	static uint64_t ctag[N], atag[N];
	struct tc cl, sv;
	struct vsapp_cqe e = {0};
	uint32_t ls, i, round, ok;
	struct vsapp_cmd *q;
	int32_t r;

	t_setup();
	CU_ASSERT_FATAL(tc_attach(&cl, 1, "") == 0);
	CU_ASSERT_FATAL(tc_attach(&sv, 2, "") == 0);
	ls = t_listen(&sv, 7000, 4096, 1000);
	for (round = 0; round < 2; round++) {
		for (i = 0; i < N; i++) {
			uint64_t t = tc_cmd(&cl, VSAPP_OP_SOCKET, 0, 0, 0,
					    VSAPP_SOCK_STREAM, 4096);

			q = (struct vsapp_cmd *)((uint8_t *)cl.shm +
						 cl.shm->sq_off);
			q[(cl.sq_tail - 1) & (cl.shm->sq_entries - 1)].arg3 =
				4096;
			CU_ASSERT_FATAL(tc_wait(&cl, t, &e));
			CU_ASSERT_FATAL(e.res >= 0);
			cs[i] = (uint32_t)e.res;
			CU_ASSERT_EQUAL(tc_sock(&cl, cs[i])->rbuf_size, 4096);
		}
		/* all CONNECTs and ACCEPTs in flight together */
		for (i = 0; i < N; i++) {
			ctag[i] = tc_cmd(&cl, VSAPP_OP_CONNECT, cs[i],
					 wire_ip4(10, 0, 0, 2).be, 7000, 0, 0);
			if (i < APP_ACCEPTS_MAX)
				atag[i] = tc_cmd(&sv, VSAPP_OP_ACCEPT, ls, 0, 0,
						 0, 0);
		}
		for (i = 0; i < N; i++) {
			CU_ASSERT_FATAL(tc_wait(&cl, ctag[i], &e));
			CU_ASSERT_EQUAL(e.res, 0);
		}
		for (i = 0; i < N; i++) {
			if (i >= APP_ACCEPTS_MAX)
				atag[i] = tc_cmd(&sv, VSAPP_OP_ACCEPT, ls, 0, 0,
						 0, 0);
			CU_ASSERT_FATAL(tc_wait(&sv, atag[i], &e));
			CU_ASSERT_FATAL(e.res >= 0);
			ss[i] = (uint32_t)e.res;
		}
		CU_ASSERT_EQUAL(epb->tcp.nconns, N + 1);
		CU_ASSERT_EQUAL(atomic_load(&tc_sock(&sv, ls)->accept_q), 0);
		/* 100 bytes each way on each, then both sides close */
		for (i = 0; i < N; i++)
			CU_ASSERT_EQUAL(tc_write(&cl, cs[i], NULL, 100, 0),
					100);
		for (i = 0; i < 50; i++)
			pump();
		ok = 0;
		for (i = 0; i < N; i++) {
			bool bad = false;

			ok += tc_read(&sv, ss[i], NULL, 1000, 0, &bad) == 100 &&
			      !bad;
		}
		CU_ASSERT_EQUAL(ok, N);
		for (i = 0; i < N; i++) {
			r = tc_do(&cl, VSAPP_OP_CLOSE, cs[i], 0, 0, 0, 0);
			CU_ASSERT_EQUAL(r, 0);
			r = tc_do(&sv, VSAPP_OP_CLOSE, ss[i], 0, 0, 0, 0);
			CU_ASSERT_EQUAL(r, 0);
		}
		for (i = 0; i < 200000 && epa->tcp.nconns; i++)
			pump();
		CU_ASSERT_EQUAL(epa->tcp.nconns, 0);
		CU_ASSERT_EQUAL(epb->tcp.nconns, 1);
		CU_ASSERT_EQUAL(epa->apps->mem.used, 0);
		CU_ASSERT_EQUAL(epb->apps->mem.used, 4096u + APP_RING_DEFAULT);
	}
	tc_detach(&cl);
	tc_detach(&sv);
	t_teardown();
}

/**
 * test_backlog() - a listener whose accept queue is full drops further
 * SYNs (counted); they get in once the application accepts. Its backlog
 * is Linux's: listen(fd, 0) lets one connection wait (the queue is full
 * beyond sk_max_ack_backlog, not at it), a negative backlog or one above
 * somaxconn (4096) is 4096
 */
static void test_backlog(void)
{
	struct tc cl, sv;
	struct vsapp_cqe e = {0};
	uint32_t ls, c1, c2;
	uint64_t t1, t2;

	t_setup();
	CU_ASSERT_FATAL(tc_attach(&cl, 1, "") == 0);
	CU_ASSERT_FATAL(tc_attach(&sv, 2, "") == 0);
	ls = t_listen(&sv, 81, 0, 0);
	CU_ASSERT_EQUAL(epb->apps->socks[ls].backlog, 1);
	c1 = (uint32_t)tc_do(&cl, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_STREAM,
			     0);
	c2 = (uint32_t)tc_do(&cl, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_STREAM,
			     0);
	t1 = tc_cmd(&cl, VSAPP_OP_CONNECT, c1, wire_ip4(10, 0, 0, 2).be, 81, 0,
		    0);
	CU_ASSERT_FATAL(tc_wait(&cl, t1, &e));
	CU_ASSERT_EQUAL(e.res, 0);
	CU_ASSERT_EQUAL(atomic_load(&tc_sock(&sv, ls)->accept_q), 1);
	CU_ASSERT(atomic_load(&tc_sock(&sv, ls)->events) & VSAPP_EV_ACCEPT);
	t2 = tc_cmd(&cl, VSAPP_OP_CONNECT, c2, wire_ip4(10, 0, 0, 2).be, 81, 0,
		    0);
	pump();
	pump();
	CU_ASSERT(epb->stats[EP_STAT_ACCEPT_BACKLOG] >= 1);
	CU_ASSERT_EQUAL(atomic_load(&tc_sock(&cl, c2)->state),
			VSAPP_S_CONNECTING);
	CU_ASSERT(tc_do(&sv, VSAPP_OP_ACCEPT, ls, 0, 0, 0, 0) >= 0);
	CU_ASSERT_FATAL(tc_wait(&cl, t2, &e)); /* the SYN again, after RTO */
	CU_ASSERT_EQUAL(e.res, 0);
	CU_ASSERT(tc_do(&sv, VSAPP_OP_ACCEPT, ls, 0, 0, 0, 0) >= 0);
	CU_ASSERT_EQUAL(tc_do(&sv, VSAPP_OP_LISTEN, ls, 0, 0, 1, 0), 0);
	CU_ASSERT_EQUAL(epb->apps->socks[ls].backlog, 2);
	CU_ASSERT_EQUAL(tc_do(&sv, VSAPP_OP_LISTEN, ls, 0, 0, 0xffffffffu, 0),
			0);
	CU_ASSERT_EQUAL(epb->apps->socks[ls].backlog, 4097);
	CU_ASSERT_EQUAL(tc_do(&sv, VSAPP_OP_LISTEN, ls, 0, 0, 100000, 0), 0);
	CU_ASSERT_EQUAL(epb->apps->socks[ls].ec->tcp.cfg.backlog, 4097);
	tc_detach(&cl);
	tc_detach(&sv);
	t_teardown();
}

/**
 * test_synflood() - spoofed SYNs take at most APP_HALFOPEN_MAX of a
 * context's slots; beyond that they are answered with SYN cookies, and
 * the application can still open sockets
 */
static void test_synflood(void)
{
	struct tc sv;
	uint32_t k;

	t_setup();
	CU_ASSERT_FATAL(tc_attach(&sv, 2, "") == 0);
	t_listen(&sv, 80, 0, 4096);
	for (k = 0; k < 2000; k++) {
		struct tcp_seg seg;

		memset(&seg, 0, sizeof(seg));
		seg.saddr = 0x0a000063; /* 10.0.0.99, never answers */
		seg.daddr = 0x0a000002;
		seg.sport = (uint16_t)(1024 + k);
		seg.dport = 80;
		seg.seq = 1000 * k;
		seg.flags = TCP_F_SYN;
		seg.win = 65535;
		ep_tcp_seg_input(epb, &seg, now);
		ep_tcp_flush(epb);
	}
	CU_ASSERT(epb->apps->nhalfopen <= APP_HALFOPEN_MAX);
	CU_ASSERT(epb->apps->nopen <= APP_HALFOPEN_MAX + 1);
	CU_ASSERT(epb->stats[EP_STAT_COOKIE_SENT] >= 2000 - APP_HALFOPEN_MAX);
	CU_ASSERT(tc_do(&sv, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_STREAM, 0) >=
		  0);
	tc_detach(&sv);
	t_teardown();
}

/**
 * test_accept_refused() - a listener's context without free slots: the
 * connection is refused with a reset and counted
 */
static void test_accept_refused(void)
{
	struct tc cl, sv;
	uint32_t cs, ss, ls;
	int32_t r;
	unsigned n = 0;

	t_setup();
	t_pair(&cl, &sv, &cs, &ss, &ls);
	/* fill the server's slots */
	do {
		r = tc_do(&sv, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_STREAM,
			  4096);
		n++;
	} while (r >= 0 && n < APP_NSOCKS + 2);
	CU_ASSERT(r == -EMFILE || r == -ENOMEM);
	r = tc_do(&cl, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_STREAM, 0);
	CU_ASSERT_FATAL(r >= 0);
	CU_ASSERT_EQUAL(tc_do(&cl, VSAPP_OP_CONNECT, (uint32_t)r,
			      wire_ip4(10, 0, 0, 2).be, 80, 0, 0),
			-ECONNREFUSED);
	CU_ASSERT_EQUAL(epb->stats[EP_STAT_ACCEPT_REFUSED], 1);
	/* the completion took the error (a blocking connect()) */
	CU_ASSERT_EQUAL(atomic_load(&tc_sock(&cl, (uint32_t)r)->err), 0);
	tc_detach(&cl);
	tc_detach(&sv);
	t_teardown();
}

/**
 * test_connect_error_taken() - a CONNECT the application waits for
 * (blocking connect()) hands its error over in the completion: SO_ERROR
 * says 0 afterwards, as Linux (inet_wait_for_connect() and sock_error()
 * take sk_err); one made with VSAPP_F_NONBLOCK leaves it for SO_ERROR,
 * once
 */
static void test_connect_error_taken(void)
{
	uint32_t peer = wire_ip4(10, 0, 0, 2).be;
	struct vsapp_cqe e = {0};
	struct tc c;
	int32_t s;

	t_setup();
	CU_ASSERT_FATAL(tc_attach(&c, 1, "") == 0);
	s = tc_do(&c, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_STREAM, 0);
	CU_ASSERT_FATAL(s >= 0);
	CU_ASSERT_EQUAL(
		tc_do(&c, VSAPP_OP_CONNECT, (uint32_t)s, peer, 81, 0, 0),
		-ECONNREFUSED);
	CU_ASSERT_EQUAL(atomic_load(&tc_sock(&c, (uint32_t)s)->err), 0);
	CU_ASSERT_FALSE(atomic_load(&tc_sock(&c, (uint32_t)s)->events) &
			VSAPP_EV_ERR);
	CU_ASSERT_EQUAL(tc_do(&c, VSAPP_OP_GETOPT, (uint32_t)s, 0, 0,
			      VSAPP_OPT_ERROR, 0),
			0);
	CU_ASSERT_EQUAL(tc_do(&c, VSAPP_OP_CLOSE, (uint32_t)s, 0, 0, 0, 0), 0);
	/* non-blocking: the error stays until SO_ERROR reads it */
	s = tc_do(&c, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_STREAM, 0);
	CU_ASSERT_FATAL(s >= 0);
	CU_ASSERT_FATAL(tc_wait(&c,
				tc_cmd(&c, VSAPP_OP_CONNECT, (uint32_t)s, peer,
				       81, VSAPP_F_NONBLOCK, 0),
				&e));
	CU_ASSERT_EQUAL(e.res, -ECONNREFUSED);
	CU_ASSERT_EQUAL(atomic_load(&tc_sock(&c, (uint32_t)s)->err),
			ECONNREFUSED);
	CU_ASSERT(atomic_load(&tc_sock(&c, (uint32_t)s)->events) &
		  VSAPP_EV_ERR);
	CU_ASSERT_EQUAL(tc_do(&c, VSAPP_OP_GETOPT, (uint32_t)s, 0, 0,
			      VSAPP_OPT_ERROR, 0),
			ECONNREFUSED);
	CU_ASSERT_EQUAL(tc_do(&c, VSAPP_OP_GETOPT, (uint32_t)s, 0, 0,
			      VSAPP_OPT_ERROR, 0),
			0);
	CU_ASSERT_EQUAL(tc_do(&c, VSAPP_OP_CLOSE, (uint32_t)s, 0, 0, 0, 0), 0);
	tc_detach(&c);
	t_teardown();
}

/**
 * test_ep_deleted() - the endpoint goes while an application uses it
 */
static void test_ep_deleted(void)
{
	struct tc cl, sv;
	uint32_t cs, ss, ls;
	char b;

	t_setup();
	t_pair(&cl, &sv, &cs, &ss, &ls);
	CU_ASSERT_EQUAL(stack_ep_del(st, "a"), 0);
	CU_ASSERT_EQUAL(atomic_load(&tc_sock(&cl, cs)->state), VSAPP_S_CLOSED);
	CU_ASSERT_EQUAL(atomic_load(&tc_sock(&cl, cs)->err), ENETDOWN);
	/* the app's connection is shut down: it sees vstackd's side gone */
	CU_ASSERT_EQUAL(recv(cl.fd, &b, 1, MSG_DONTWAIT), 0);
	tc_detach(&cl);
	/* the stack closes before the server application is freed */
	t_teardown();
	tc_detach(&sv);
}

/**
 * main() - run the suite
 *
 * Return: 0 if every test passed
 */
/**
 * test_mem() - the ring allocator: sizes aligned to themselves, never
 * overlapping, the whole area usable, chunks given back and reused
 */
static void test_mem(void)
{
	static int64_t off[4096];
	static uint32_t sz[4096];
	struct app_mem m;
	uint64_t area = 64ull * APP_CHUNK;
	unsigned i, j, n = 0;
	int64_t o;

	CU_ASSERT_FATAL(app_mem_init(&m, area) == 0);
	CU_ASSERT(app_mem_alloc(&m, APP_CHUNK + 1) == -ENOMEM);
	/* a mix of sizes until the area is full */
	for (i = 0; n < 4096; i++) {
		uint32_t want = (uint32_t)APP_PAGE << (i * 7 % APP_ORDERS);

		o = app_mem_alloc(&m, want - (i % 3)); /* rounded up */
		if (o < 0)
			break;
		CU_ASSERT(o % want == 0);
		CU_ASSERT((uint64_t)o + want <= area);
		off[n] = o;
		sz[n++] = want;
	}
	CU_ASSERT(n > 64);
	CU_ASSERT(m.used <= area);
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			CU_ASSERT(off[i] + sz[i] <= off[j] ||
				  off[j] + sz[j] <= off[i]);
	/* every other one back, then all: the chunks come back whole */
	for (i = 0; i < n; i += 2)
		app_mem_free(&m, (uint64_t)off[i], sz[i]);
	app_mem_free(&m, (uint64_t)off[1], sz[1] / 2); /* wrong size: ignored */
	for (i = 1; i < n; i += 2)
		app_mem_free(&m, (uint64_t)off[i], sz[i]);
	CU_ASSERT_EQUAL(m.used, 0);
	CU_ASSERT_EQUAL(m.nfree_chunks, m.nchunks);
	/* the whole area in the largest rings, then in the smallest */
	for (i = 0, j = 0; i < 64; i++) {
		o = app_mem_alloc(&m, APP_CHUNK);
		CU_ASSERT(o >= 0 && o % APP_CHUNK == 0 && (uint64_t)o < area);
		j += o >= 0 && (unsigned)(o / APP_CHUNK) < 64;
	}
	CU_ASSERT_EQUAL(j, 64);
	CU_ASSERT_EQUAL(m.used, area);
	CU_ASSERT(app_mem_alloc(&m, APP_PAGE) == -ENOMEM);
	for (i = 0; i < 64; i++)
		app_mem_free(&m, (uint64_t)i * APP_CHUNK, APP_CHUNK);
	CU_ASSERT_EQUAL(m.used, 0);
	for (i = 0; i < 64 * (APP_CHUNK / APP_PAGE); i++)
		if (app_mem_alloc(&m, APP_PAGE) < 0)
			break;
	CU_ASSERT_EQUAL(i, 64 * (APP_CHUNK / APP_PAGE));
	CU_ASSERT_EQUAL(m.used, area);
	app_mem_fini(&m);
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{"hello and welcome", test_hello},
		{"stream: connect, accept, transfer, close", test_stream},
		{"SHUT_RD ends the reads", test_shut_rd},
		{"shutdown() of a socket not connected", test_shut_notconn},
		{"SHUT_RD on a listener fails the ACCEPTs", test_shut_listener},
		{"shutdown() of a stream still connecting",
		 test_shut_connecting},
		{"a bound port is in use at bind()", test_bind_conflict},
		{"listen() without bind() skips bound ports",
		 test_listen_ephemeral},
		{"listen() again on a listener", test_listen_again},
		{"datagrams", test_dgram},
		{"UDP disconnect gives back an automatic port",
		 test_dgram_disconnect},
		{"UDP broadcast needs SO_BROADCAST", test_dgram_broadcast},
		{"UDP SO_REUSEADDR set after bind()", test_dgram_reuse_late},
		{"UDP SHUT_WR ends the sends", test_dgram_shut_wr},
		{"UDP SHUT_RD is published", test_dgram_shut_rd},
		{"hostile values", test_hostile},
		{"application freed mid-transfer", test_free_mid_transfer},
		{"300 connections between two contexts, twice",
		 test_many_sockets},
		{"accept queue full: SYNs dropped", test_backlog},
		{"SYN flood: half-open children bounded", test_synflood},
		{"accept refused when the context is full",
		 test_accept_refused},
		{"a failed blocking CONNECT takes its error",
		 test_connect_error_taken},
		{"endpoint deleted under an application", test_ep_deleted},
		{"ring allocator", test_mem},
	};

	return cunit_run("stack_app", tests, sizeof(tests) / sizeof(tests[0]),
			 NULL, NULL);
}
