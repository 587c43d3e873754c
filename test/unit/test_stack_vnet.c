// SPDX-License-Identifier: MIT
/*
 * test_stack_vnet.c - the shared stack on a real switch: endpoints as
 * vnet local ports on worker threads, applications on real eventfds
 *
 * stack_open() on a switch with two workers; endpoints "sa" (tenant 1,
 * 10.9.0.1) and "sb" (tenant 2, 10.9.0.2) on the default network. Two
 * applications attach through socketpairs (the hello, the welcome with
 * its descriptors) and talk TCP to each other through the switch, each
 * sleeping on its wake-up eventfd and ringing the doorbell as
 * app_proto.h section 5 says, so the waking protocol runs between
 * threads for real. Then one application goes away mid-stream, the other
 * sees the reset; the endpoints are listed and deleted.
 *
 * Skips (77) when the switch cannot start (no io_uring).
 */

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "app_proto.h"
#include "stack.h"
#include "vnet.h"
#include "wire.h"

#include "../lib/cunit_run.h"

static struct vnet *sw;
static struct stack *st;

/**
 * struct vc - an application
 */
struct vc {
	int fd;
	struct stack_app *app;
	struct vsapp_welcome w;
	struct vsapp_shm *shm;
	int memfd, bell, wake;
	uint32_t sq_tail, cq_head;
	uint64_t tag;
	unsigned rings; /* doorbells rung */
};

/**
 * vc_ms() - monotonic milliseconds
 *
 * Return: now
 */
static uint64_t vc_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/**
 * vc_attach() - connect, hello, welcome, map
 * @c:		application
 * @tenant:	its tenant
 *
 * Return: 0 or the welcome's err
 */
static int vc_attach(struct vc *c, uint32_t tenant)
{
	struct vsapp_hello h = {.magic = VSAPP_MAGIC, .version = VSAPP_VERSION};
	union {
		char buf[CMSG_SPACE(sizeof(int) * VSAPP_NFDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = &c->w, .iov_len = sizeof(c->w)};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	int sv[2], fds[VSAPP_NFDS];

	memset(c, 0, sizeof(*c));
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv))
		return errno;
	c->fd = sv[0];
	if (stack_app_new(st, sv[1], tenant, getpid(), &c->app))
		return EPERM;
	if (send(c->fd, &h, sizeof(h), 0) != sizeof(h))
		return EIO;
	if (stack_app_io(c->app))
		return EPROTO;
	if (recvmsg(c->fd, &mh, 0) != sizeof(c->w) || c->w.err)
		return c->w.err ? c->w.err : EIO;
	memcpy(fds, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof(fds));
	c->memfd = fds[0];
	c->bell = fds[1];
	c->wake = fds[2];
	c->shm = mmap(NULL, c->w.shm_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      c->memfd, 0);
	return c->shm == MAP_FAILED ? ENOMEM : 0;
}

/**
 * vc_detach() - the application exits
 * @c:	application
 */
static void vc_detach(struct vc *c)
{
	munmap(c->shm, c->w.shm_size);
	close(c->memfd);
	close(c->bell);
	close(c->wake);
	close(c->fd);
	CU_ASSERT(stack_app_io(c->app) < 0);
	stack_app_free(c->app);
}

/**
 * vc_sock() - a socket slot
 * @c:	application
 * @i:	index
 *
 * Return: the slot
 */
static struct vsapp_sock *vc_sock(struct vc *c, uint32_t i)
{
	return (struct vsapp_sock *)((uint8_t *)c->shm + c->shm->socks_off) + i;
}

/**
 * vc_kick() - work is visible: pending, and the doorbell if needed
 * @c:	application
 */
static void vc_kick(struct vc *c)
{
	uint64_t one = 1;

	atomic_store(&c->shm->pending, 1);
	if (atomic_load(&c->shm->stack_waiting)) {
		CU_ASSERT(write(c->bell, &one, 8) == 8);
		c->rings++;
	}
}

/**
 * vc_sleep() - wait for the stack, app_proto.h section 5
 * @c:		application
 * @ready:	the condition, checked once more after the flag is set
 * @arg:	its argument
 */
static void vc_sleep(struct vc *c, bool (*ready)(struct vc *, void *),
		     void *arg)
{
	struct pollfd p = {.fd = c->wake, .events = POLLIN};
	uint64_t v;

	atomic_store(&c->shm->app_waiting, 1);
	if (!ready(c, arg) && poll(&p, 1, 50) > 0 && read(c->wake, &v, 8) != 8)
		CU_FAIL("wake-up eventfd");
	atomic_store(&c->shm->app_waiting, 0);
}

/**
 * vc_has_cqe() - whether a completion is there
 * @c:		application
 * @arg:	unused
 *
 * Return: true if so
 */
static bool vc_has_cqe(struct vc *c, void *arg)
{
	(void)arg;
	return atomic_load(&c->shm->cq_tail) != c->cq_head;
}

/**
 * vc_do() - a command, waited for
 * @c:		application
 * @op:		op
 * @sock:	socket
 * @addr:	address
 * @port:	port
 * @arg:	arg
 * @cqe:	the completion
 *
 * Return: its result
 */
static int32_t vc_do(struct vc *c, uint16_t op, uint32_t sock, uint32_t addr,
		     uint16_t port, uint32_t arg, struct vsapp_cqe *cqe)
{
	struct vsapp_cmd *q =
		(struct vsapp_cmd *)((uint8_t *)c->shm + c->shm->sq_off);
	const struct vsapp_cqe *cq =
		(const struct vsapp_cqe *)((uint8_t *)c->shm + c->shm->cq_off);
	struct vsapp_cmd *e = &q[c->sq_tail & (c->shm->sq_entries - 1)];
	uint64_t end = vc_ms() + 5000, tag = ++c->tag;
	struct vsapp_cqe r;

	memset(e, 0, sizeof(*e));
	e->op = op;
	e->sock = sock;
	e->tag = tag;
	e->addr = addr;
	e->port = port;
	e->arg = arg;
	atomic_store(&c->shm->sq_tail, ++c->sq_tail);
	vc_kick(c);
	while (vc_ms() < end) {
		while (atomic_load(&c->shm->cq_tail) != c->cq_head) {
			r = cq[c->cq_head & (c->shm->cq_entries - 1)];
			atomic_store(&c->shm->cq_head, ++c->cq_head);
			if (r.tag == tag) {
				if (cqe)
					*cqe = r;
				return r.res;
			}
		}
		vc_sleep(c, vc_has_cqe, NULL);
	}
	CU_FAIL("no completion within 5 s");
	return -ETIMEDOUT;
}

/**
 * vc_readable() - whether socket *@arg has bytes or an end
 * @c:		application
 * @arg:	socket index
 *
 * Return: true if so
 */
static bool vc_readable(struct vc *c, void *arg)
{
	struct vsapp_sock *s = vc_sock(c, *(uint32_t *)arg);

	return atomic_load(&s->rcv_tail) != atomic_load(&s->rcv_head) ||
	       atomic_load(&s->state) == VSAPP_S_CLOSED;
}

/**
 * t_up() - switch, stack and the two endpoints
 *
 * Return: 0, or 77 when the switch cannot start
 */
static int t_up(void)
{
	struct vnet_config c;
	struct stack_ep_spec sp;
	char err[256];

	vnet_config_default(&c);
	c.workers = 2;
	c.arena_bufs = 512;
	if (vnet_start(&c, &sw, err, sizeof(err))) {
		fprintf(stderr, "test_stack_vnet: vnet_start: %s\n", err);
		return 77;
	}
	if (stack_open(sw, &st))
		return 1;
	memset(&sp, 0, sizeof(sp));
	sp.name = "sa";
	sp.tenant = 1;
	sp.addr = wire_ip4(10, 9, 0, 1).be;
	sp.prefix_len = 24;
	if (stack_ep_add(st, &sp, err, sizeof(err))) {
		fprintf(stderr, "endpoint add: %s\n", err);
		return 1;
	}
	sp.name = "sb";
	sp.tenant = 2;
	sp.addr = wire_ip4(10, 9, 0, 2).be;
	if (stack_ep_add(st, &sp, err, sizeof(err))) {
		fprintf(stderr, "endpoint add: %s\n", err);
		return 1;
	}
	return 0;
}

/**
 * test_transfer() - connect, 4 MiB through the switch, reset on exit
 */
static void test_transfer(void)
{
	struct vc a, b;
	struct vsapp_cqe e;
	struct stack_ep_info info;
	uint32_t ls, cs, ss;
	uint64_t sent = 0, rcvd = 0, end;
	const uint64_t total = 4u << 20;
	bool bad = false;

	CU_ASSERT_FATAL(vc_attach(&a, 1) == 0);
	CU_ASSERT_FATAL(vc_attach(&b, 2) == 0);
	ls = (uint32_t)vc_do(&b, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_STREAM,
			     NULL);
	CU_ASSERT_EQUAL(vc_do(&b, VSAPP_OP_BIND, ls, 0, 5001, 0, NULL), 0);
	CU_ASSERT_EQUAL(vc_do(&b, VSAPP_OP_LISTEN, ls, 0, 0, 8, NULL), 0);
	cs = (uint32_t)vc_do(&a, VSAPP_OP_SOCKET, 0, 0, 0, VSAPP_SOCK_STREAM,
			     NULL);
	CU_ASSERT_EQUAL(vc_do(&a, VSAPP_OP_CONNECT, cs,
			      wire_ip4(10, 9, 0, 2).be, 5001, 0, NULL),
			0);
	CU_ASSERT_FATAL(vc_do(&b, VSAPP_OP_ACCEPT, ls, 0, 0, 0, &e) >= 0);
	ss = (uint32_t)e.res;
	CU_ASSERT_EQUAL(e.addr, wire_ip4(10, 9, 0, 1).be);
	/* a writes, b reads; b sleeps on its eventfd when there is nothing */
	end = vc_ms() + 20000;
	while (rcvd < total && vc_ms() < end) {
		struct vsapp_sock *s = vc_sock(&a, cs), *r = vc_sock(&b, ss);
		uint32_t head = atomic_load(&s->snd_head),
			 tail = atomic_load(&s->snd_tail);
		uint32_t room = s->sbuf_size - (tail - head), k;
		uint8_t *ring = (uint8_t *)a.shm + s->sbuf_off;

		if (room && sent < total) {
			if (room > total - sent)
				room = (uint32_t)(total - sent);
			for (k = 0; k < room; k++)
				ring[(tail + k) & (s->sbuf_size - 1)] =
					(uint8_t)((sent + k) * 13);
			atomic_store(&s->snd_tail, tail + room);
			sent += room;
			vc_kick(&a);
		}
		head = atomic_load(&r->rcv_head);
		tail = atomic_load(&r->rcv_tail);
		ring = (uint8_t *)b.shm + r->rbuf_off;
		for (k = 0; k < tail - head; k++)
			if (ring[(head + k) & (r->rbuf_size - 1)] !=
			    (uint8_t)((rcvd + k) * 13))
				bad = true;
		rcvd += tail - head;
		if (tail != head) {
			atomic_store(&r->rcv_head, tail);
			vc_kick(&b);
		} else {
			vc_sleep(&b, vc_readable, &ss);
		}
	}
	CU_ASSERT_EQUAL(rcvd, total);
	CU_ASSERT(!bad);
	printf("\n  4 MiB through the switch; doorbells rung: a %u, b %u\n",
	       a.rings, b.rings);
	CU_ASSERT_EQUAL(stack_ep_get(st, "sb", &info), 0);
	CU_ASSERT_EQUAL(info.tcp_conns, 1);
	CU_ASSERT_EQUAL(info.tcp_listen, 1);
	CU_ASSERT_EQUAL(info.apps, 1);
	CU_ASSERT(info.rx_frames > 100);
	/* a exits: b's connection is reset */
	vc_detach(&a);
	end = vc_ms() + 5000;
	while (atomic_load(&vc_sock(&b, ss)->state) != VSAPP_S_CLOSED &&
	       vc_ms() < end)
		vc_sleep(&b, vc_readable, &ss);
	CU_ASSERT_EQUAL(atomic_load(&vc_sock(&b, ss)->state), VSAPP_S_CLOSED);
	CU_ASSERT_EQUAL(atomic_load(&vc_sock(&b, ss)->err), ECONNRESET);
	vc_detach(&b);
	CU_ASSERT_EQUAL(stack_ep_get(st, "sa", &info), 0);
	end = vc_ms() + 2000;
	while (info.tcp_conns && vc_ms() < end) {
		usleep(10000);
		stack_ep_get(st, "sa", &info);
	}
	CU_ASSERT_EQUAL(info.tcp_conns, 0);
	CU_ASSERT_EQUAL(info.apps, 0);
}

/**
 * main() - run the suite
 *
 * Return: 0 if every test passed, 77 if skipped
 */
int main(void)
{
	static const struct cunit_test tests[] = {
		{"TCP between two applications through the switch",
		 test_transfer},
	};
	int ret = t_up();

	if (ret)
		return ret;
	ret = cunit_run("stack_vnet", tests, sizeof(tests) / sizeof(tests[0]),
			NULL, NULL);
	if (stack_ep_del(st, "sa")) {
		fprintf(stderr, "endpoint del failed\n");
		ret = 1;
	}
	stack_close(st);
	vnet_stop(sw);
	return ret;
}
