// SPDX-License-Identifier: MIT
/*
 * test_libvstack_stackd.c - libvstack against the daemon side of the app
 * interface, in one process
 *
 * The stack runs on the inline host that test_stack_app.c uses too
 * (test/lib/app_host.h): endpoint "a" (tenant 1, 10.0.0.1) and "b"
 * (tenant 2, 10.0.0.2) on an in-memory wire. Unlike there, the worker is
 * a thread of its own (pump_main()) so that the applications, two
 * libvstack contexts attached through socketpairs, block, wait and wake
 * exactly as they would against vstackd: streams of several MiB checked
 * byte by byte, datagrams echoed, non-blocking connect and accept, the
 * vs_ctx_fd() loop, and four threads sharing each context.
 */

#include <errno.h>
#include <poll.h>
#include <pthread.h>
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
#include "vs_priv.h"

#include "../lib/app_host.h"

/* ---- the worker thread and the applications ---- */

#define BIG	 (3u << 20) /* bytes of the single-stream test */
#define NTHREADS 4
#define MT_BYTES (1u << 20)

static struct stack *st;
static struct vs_ctx *ca, *cb; /* the applications on "a" and on "b" */
static volatile int stop_pump;
/* The stack is single-threaded: the worker thread and the control calls
 * of the attach take turns. */
static pthread_mutex_t pump_lock = PTHREAD_MUTEX_INITIALIZER;

/**
 * pump_main() - the worker: rounds of pump() until stopped
 * @arg:	unused
 *
 * Return: NULL
 */
static void *pump_main(void *arg)
{
	bool busy;

	(void)arg;
	while (!stop_pump) {
		pthread_mutex_lock(&pump_lock);
		busy = pump();
		pthread_mutex_unlock(&pump_lock);
		if (!busy)
			usleep(20);
	}
	return NULL;
}

/**
 * struct att - an attach running in its own thread
 * @fd:		the application's end of the socketpair
 * @ctx:	the context
 * @ret:	what vs_ctx_attach_fd() returned
 * @done:	it returned
 */
struct att {
	int fd;
	struct vs_ctx *ctx;
	int ret;
	_Atomic int done;
};

/**
 * att_main() - vs_ctx_attach_fd(), as vs_open() would after connect()
 * @arg:	struct att
 *
 * Return: NULL
 */
static void *att_main(void *arg)
{
	struct att *a = arg;

	a->ret = vs_ctx_attach_fd(a->fd, "", &a->ctx);
	atomic_store(&a->done, 1);
	return NULL;
}

/**
 * attach() - an application of @tenant, the control side played here
 * @tenant:	its tenant
 * @app:	the daemon's side of it
 *
 * Return: the context (aborts on failure: no suite runs without it)
 */
static struct vs_ctx *attach(uint32_t tenant, struct stack_app **app)
{
	struct att a = { 0 };
	pthread_t t;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv) ||
	    stack_app_new(st, sv[1], tenant, getpid(), app))
		abort();
	a.fd = sv[0];
	if (pthread_create(&t, NULL, att_main, &a))
		abort();
	while (!atomic_load(&a.done)) {
		pthread_mutex_lock(&pump_lock);
		stack_app_io(*app);
		pthread_mutex_unlock(&pump_lock);
		usleep(1000);
	}
	pthread_join(t, NULL);
	if (a.ret) {
		fprintf(stderr, "attach: %s\n", vs_open_error());
		abort();
	}
	return a.ctx;
}

/**
 * pattern() - byte @k of stream @id
 * @id:		stream
 * @k:		position
 *
 * Return: the byte
 */
static uint8_t pattern(unsigned id, uint64_t k)
{
	return (uint8_t)(k * 7 + 3 + id);
}

/**
 * struct srv - a server thread's stream: listen, accept, read to the end
 * @id:		stream (port 7000 + id, pattern)
 * @ack:	answer each read with one byte (both directions busy)
 * @ready:	listening
 * @got:	bytes read
 * @bad:	bytes that differed from the pattern
 * @err:	errno of a failure, 0 for none
 */
struct srv {
	unsigned id;
	bool ack;
	bool zc; /* read in place: vs_recv_zc(), vs_recv_done() in pieces */
	_Atomic int ready;
	uint64_t got, bad;
	int err;
};

/**
 * srv_zc_read() - check and consume part of what vs_recv_zc() shows
 * @c:	the connection
 * @s:	the server
 *
 * Consumes at most 7777 bytes at a time, so that the slices start
 * anywhere in the ring and wrap around its end.
 *
 * Return: bytes consumed, 0 at the end, -1 with errno
 */
static ssize_t srv_zc_read(int c, struct srv *s)
{
	struct iovec iov[2];
	ssize_t n = vs_recv_zc(ca, c, iov), k = 0;
	size_t i, j;

	if (n <= 0)
		return n;
	if ((size_t)n != iov[0].iov_len + iov[1].iov_len)
		s->bad++;
	if (n > 7777)
		n = 7777;
	for (j = 0; j < 2 && k < n; j++)
		for (i = 0; i < iov[j].iov_len && k < n; i++, k++)
			s->bad += ((uint8_t *)iov[j].iov_base)[i] !=
				  pattern(s->id, s->got + (uint64_t)k);
	/* more than a ring can hold: refused, nothing consumed */
	if (vs_recv_done(ca, c, (size_t)1 << 40) != -1 || errno != EINVAL)
		s->bad++;
	if (vs_recv_done(ca, c, (size_t)n))
		return -1;
	s->got += (uint64_t)n;
	return n;
}

/**
 * srv_main() - the server side of a stream, on context "a"
 * @arg:	struct srv
 *
 * Return: NULL
 */
static void *srv_main(void *arg)
{
	struct srv *s = arg;
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(7000 + s->id) };
	struct sockaddr_in peer;
	uint8_t *buf = malloc(65536);
	int l, c = -1;
	ssize_t n, i;

	l = vs_socket(ca, VS_SOCK_STREAM);
	if (!buf || l < 0 || vs_bind(ca, l, &a) || vs_listen(ca, l, 4))
		goto fail;
	atomic_store(&s->ready, 1);
	c = vs_accept(ca, l, &peer);
	if (c < 0 || peer.sin_addr.s_addr != htonl(0x0a000002))
		goto fail;
	while ((n = s->zc ? srv_zc_read(c, s) : vs_recv(ca, c, buf, 65536)) >
	       0) {
		if (s->zc)
			continue;
		for (i = 0; i < n; i++)
			s->bad += buf[i] != pattern(s->id, s->got + i);
		s->got += n;
		if (s->ack && vs_send(ca, c, "k", 1) != 1)
			goto fail;
	}
	if (n < 0)
		goto fail;
	vs_close(ca, c);
	vs_close(ca, l);
	free(buf);
	return NULL;
fail:
	s->err = errno ? errno : EIO;
	atomic_store(&s->ready, 1);
	free(buf);
	return NULL;
}

/**
 * cli_send() - the client side of a stream, on context "b"
 * @id:		stream
 * @total:	bytes to send
 * @chunk:	bytes per vs_send()
 *
 * Reads whatever comes back on the way, shuts down, waits for the
 * server's close.
 *
 * Return: bytes sent
 */
static uint64_t cli_send(unsigned id, uint64_t total, size_t chunk)
{
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(7000 + id),
				  .sin_addr.s_addr = htonl(0x0a000001) };
	struct vs_pollfd p = { .events = VS_POLLIN };
	uint8_t *buf = malloc(chunk);
	uint64_t sent = 0;
	char junk[4096];
	size_t i, n;
	ssize_t w;
	int c;

	c = vs_socket(cb, VS_SOCK_STREAM);
	CU_ASSERT_FATAL(buf && c >= 0);
	CU_ASSERT_FATAL(vs_connect(cb, c, &to) == 0);
	p.sock = c;
	while (sent < total) {
		n = total - sent < chunk ? total - sent : chunk;
		for (i = 0; i < n; i++)
			buf[i] = pattern(id, sent + i);
		w = vs_send(cb, c, buf, n);
		CU_ASSERT(w == (ssize_t)n);
		if (w <= 0)
			break;
		sent += (uint64_t)w;
		if (vs_poll(cb, &p, 1, 0) == 1)
			(void)vs_recv(cb, c, junk, sizeof(junk));
	}
	CU_ASSERT(vs_shutdown(cb, c, VS_SHUT_WR) == 0);
	while (vs_recv(cb, c, junk, sizeof(junk)) > 0)
		;
	CU_ASSERT(vs_close(cb, c) == 0);
	free(buf);
	return sent;
}

/**
 * test_stream() - 3 MiB one way, checked byte by byte, EOF after it
 */
static void test_stream(void)
{
	struct srv s = { .id = 0 };
	pthread_t t;

	CU_ASSERT_FATAL(pthread_create(&t, NULL, srv_main, &s) == 0);
	while (!atomic_load(&s.ready))
		usleep(1000);
	CU_ASSERT(cli_send(0, BIG, 100000) == BIG);
	pthread_join(t, NULL);
	CU_ASSERT(s.err == 0 && s.got == BIG && s.bad == 0);
}

/**
 * test_stream_zc() - the same, read in place in pieces
 */
static void test_stream_zc(void)
{
	struct srv s = { .id = 1, .zc = true };
	pthread_t t;

	CU_ASSERT_FATAL(pthread_create(&t, NULL, srv_main, &s) == 0);
	while (!atomic_load(&s.ready))
		usleep(1000);
	CU_ASSERT(cli_send(1, BIG, 100000) == BIG);
	pthread_join(t, NULL);
	CU_ASSERT(s.err == 0 && s.got == BIG && s.bad == 0);
}

/**
 * echo_main() - a UDP echo of 200 datagrams on context "a"
 * @arg:	the socket
 *
 * Return: NULL
 */
static void *echo_main(void *arg)
{
	int s = *(int *)arg, i;
	struct sockaddr_in from;
	char *buf = malloc(65536);
	ssize_t n;

	for (i = 0; buf && i < 200; i++) {
		n = vs_recvfrom(ca, s, buf, 65536, &from);
		if (n < 0 || vs_sendto(ca, s, buf, (size_t)n, &from) != n)
			break;
	}
	free(buf);
	return NULL;
}

/**
 * test_dgram() - datagrams of 1..1400 bytes there and back, through
 * both rings' wrap-around
 */
static void test_dgram(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(7) };
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(7),
				  .sin_addr.s_addr = htonl(0x0a000001) };
	static char buf[2048], in[2048];
	struct sockaddr_in from;
	struct vs_pollfd p;
	int s, c, i, ok = 0;
	size_t len;
	pthread_t t;

	s = vs_socket(ca, VS_SOCK_DGRAM);
	c = vs_socket(cb, VS_SOCK_DGRAM);
	CU_ASSERT_FATAL(s >= 0 && c >= 0);
	CU_ASSERT_FATAL(vs_bind(ca, s, &a) == 0);
	CU_ASSERT_FATAL(pthread_create(&t, NULL, echo_main, &s) == 0);
	for (i = 0; i < 200; i++) {
		len = (size_t)(i * 97) % 1400 + 1;
		memset(buf, i, len);
		CU_ASSERT(vs_sendto(cb, c, buf, len, &to) == (ssize_t)len);
		p = (struct vs_pollfd){ .sock = c, .events = VS_POLLIN };
		if (vs_poll(cb, &p, 1, 3000) != 1)
			break;
		if (vs_recvfrom(cb, c, in, sizeof(in), &from) == (ssize_t)len &&
		    in[0] == (char)i && in[len - 1] == (char)i &&
		    from.sin_port == htons(7))
			ok++;
	}
	pthread_join(t, NULL);
	CU_ASSERT(ok == 200);

	/* a datagram longer than the room: truncated, and told (MSG_TRUNC) */
	for (i = 0; i < 3; i++) {
		int mf = -1;

		memset(buf, 'a' + i, 100);
		CU_ASSERT(vs_sendto(cb, c, buf, 100, &to) == 100);
		p = (struct vs_pollfd){ .sock = s, .events = VS_POLLIN };
		CU_ASSERT_FATAL(vs_poll(ca, &p, 1, 3000) == 1);
		if (i == 0) {
			CU_ASSERT(vs_recvmsg(ca, s, in, 10, &from, 0, &mf) ==
				  10);
			CU_ASSERT(mf == VS_MSG_TRUNC && in[9] == 'a');
			CU_ASSERT(from.sin_addr.s_addr == htonl(0x0a000002));
		} else if (i == 1) {
			/* the whole length, peeked and then taken */
			CU_ASSERT(vs_recvmsg(ca, s, in, 10, NULL,
					     VS_MSG_PEEK | VS_MSG_TRUNC,
					     &mf) == 100);
			CU_ASSERT(mf == VS_MSG_TRUNC);
			CU_ASSERT(vs_recvmsg(ca, s, in, 10, NULL, VS_MSG_TRUNC,
					     NULL) == 100);
			CU_ASSERT(in[0] == 'b');
		} else {
			CU_ASSERT(vs_recvmsg(ca, s, in, sizeof(in), NULL,
					     VS_MSG_TRUNC, &mf) == 100);
			CU_ASSERT(mf == 0 && in[99] == 'c');
		}
	}
	CU_ASSERT(vs_recvmsg(ca, s, in, 10, NULL, 0x40, NULL) == -1 &&
		  errno == EINVAL);
	CU_ASSERT(vs_close(ca, s) == 0);

	/* connected to a port nobody has: the ICMP port unreachable ends
	 * the next receive with ECONNREFUSED, once (as Linux) */
	to.sin_port = htons(9);
	CU_ASSERT(vs_connect(cb, c, &to) == 0);
	/* no destination: port 0, and 0.0.0.0 (not the connected peer) */
	to.sin_port = 0;
	CU_ASSERT(vs_sendto(cb, c, "x", 1, &to) == -1 && errno == EINVAL);
	to.sin_port = htons(9);
	to.sin_addr.s_addr = 0;
	CU_ASSERT(vs_sendto(cb, c, "x", 1, &to) == -1 &&
		  errno == EHOSTUNREACH);
	to.sin_addr.s_addr = htonl(0x0a000001);
	vs_set_nonblock(cb, c, 1);
	CU_ASSERT(vs_send(cb, c, "x", 1) == 1);
	p = (struct vs_pollfd){ .sock = c, .events = VS_POLLIN };
	CU_ASSERT(vs_poll(cb, &p, 1, 3000) == 1 && (p.revents & VS_POLLERR));
	CU_ASSERT(vs_recv(cb, c, in, sizeof(in)) == -1 &&
		  errno == ECONNREFUSED);
	CU_ASSERT(vs_recv(cb, c, in, sizeof(in)) == -1 && errno == EAGAIN);
	CU_ASSERT(vs_close(cb, c) == 0);
	s = vs_socket(ca, VS_SOCK_STREAM);
	CU_ASSERT(vs_recvmsg(ca, s, in, 10, NULL, VS_MSG_TRUNC, NULL) == -1 &&
		  errno == EOPNOTSUPP);
	CU_ASSERT(vs_close(ca, s) == 0);
}

/**
 * test_dgram_disconnect() - connect(AF_UNSPEC) on a datagram socket
 * dissolves the association and gives back the port connect() picked
 * (as Linux's udp_disconnect()); a port the application bound stays
 */
static void test_dgram_disconnect(void)
{
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(7),
				  .sin_addr.s_addr = htonl(0x0a000001) };
	struct sockaddr_in unspec = { .sin_family = AF_UNSPEC };
	struct sockaddr_in me = { .sin_family = AF_INET,
				  .sin_port = htons(7070) };
	struct sockaddr_in sa;
	int c;

	c = vs_socket(cb, VS_SOCK_DGRAM);
	CU_ASSERT_FATAL(c >= 0);
	CU_ASSERT(vs_connect(cb, c, &to) == 0);
	CU_ASSERT(vs_getsockname(cb, c, &sa) == 0 && sa.sin_port != 0);
	CU_ASSERT(vs_connect(cb, c, &unspec) == 0);
	CU_ASSERT(vs_getsockname(cb, c, &sa) == 0 && sa.sin_port == 0);
	CU_ASSERT(vs_getpeername(cb, c, &sa) == -1 && errno == ENOTCONN);
	CU_ASSERT(vs_send(cb, c, "x", 1) == -1 && errno == EDESTADDRREQ);
	CU_ASSERT(vs_close(cb, c) == 0);

	c = vs_socket(cb, VS_SOCK_DGRAM);
	CU_ASSERT_FATAL(c >= 0);
	CU_ASSERT(vs_bind(cb, c, &me) == 0);
	CU_ASSERT(vs_connect(cb, c, &to) == 0);
	CU_ASSERT(vs_connect(cb, c, &unspec) == 0);
	CU_ASSERT(vs_getsockname(cb, c, &sa) == 0 &&
		  sa.sin_port == htons(7070));
	CU_ASSERT(vs_close(cb, c) == 0);
}

/**
 * test_dgram_broadcast() - a datagram to the limited or the subnet's
 * directed broadcast needs SO_BROADCAST, as Linux: sendto() and connect()
 * fail with EACCES without it (udp_sendmsg(), ip4_datagram_connect())
 */
static void test_dgram_broadcast(void)
{
	struct sockaddr_in all = { .sin_family = AF_INET,
				   .sin_port = htons(9),
				   .sin_addr.s_addr = htonl(0xffffffff) };
	struct sockaddr_in net = { .sin_family = AF_INET,
				   .sin_port = htons(9),
				   .sin_addr.s_addr = htonl(0x0a0000ff) };
	struct sockaddr_in one = { .sin_family = AF_INET,
				   .sin_port = htons(9),
				   .sin_addr.s_addr = htonl(0x0a000001) };
	int c, v = -1;

	c = vs_socket(cb, VS_SOCK_DGRAM);
	CU_ASSERT_FATAL(c >= 0);
	CU_ASSERT(vs_getsockopt(cb, c, VS_OPT_BROADCAST, &v) == 0 && v == 0);
	CU_ASSERT(vs_sendto(cb, c, "x", 1, &all) == -1 && errno == EACCES);
	CU_ASSERT(vs_sendto(cb, c, "x", 1, &net) == -1 && errno == EACCES);
	CU_ASSERT(vs_connect(cb, c, &net) == -1 && errno == EACCES);
	CU_ASSERT(vs_sendto(cb, c, "x", 1, &one) == 1);
	CU_ASSERT(vs_setsockopt(cb, c, VS_OPT_BROADCAST, 1) == 0);
	CU_ASSERT(vs_getsockopt(cb, c, VS_OPT_BROADCAST, &v) == 0 && v == 1);
	CU_ASSERT(vs_sendto(cb, c, "x", 1, &all) == 1);
	CU_ASSERT(vs_sendto(cb, c, "x", 1, &net) == 1);
	CU_ASSERT(vs_connect(cb, c, &net) == 0);
	CU_ASSERT(vs_send(cb, c, "x", 1) == 1);
	CU_ASSERT(vs_close(cb, c) == 0);
}

/**
 * test_dgram_shut_wr() - after SHUT_WR a datagram socket's sends fail
 * with EPIPE, as Linux; with no peer shutdown() says ENOTCONN and takes
 * effect all the same
 */
static void test_dgram_shut_wr(void)
{
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(7),
				  .sin_addr.s_addr = htonl(0x0a000001) };
	int c, d;

	c = vs_socket(cb, VS_SOCK_DGRAM);
	d = vs_socket(cb, VS_SOCK_DGRAM);
	CU_ASSERT_FATAL(c >= 0 && d >= 0);
	CU_ASSERT(vs_connect(cb, c, &to) == 0);
	CU_ASSERT(vs_shutdown(cb, c, VS_SHUT_WR) == 0);
	CU_ASSERT(vs_send(cb, c, "x", 1) == -1 && errno == EPIPE);
	CU_ASSERT(vs_sendto(cb, c, "x", 1, &to) == -1 && errno == EPIPE);
	CU_ASSERT(vs_shutdown(cb, d, VS_SHUT_WR) == -1 && errno == ENOTCONN);
	CU_ASSERT(vs_sendto(cb, d, "x", 1, &to) == -1 && errno == EPIPE);
	CU_ASSERT(vs_close(cb, c) == 0);
	CU_ASSERT(vs_close(cb, d) == 0);
}

/**
 * struct rcv - a blocking vs_recv() in a thread of its own
 * @s:		the socket
 * @res:	what it returned; -2 until it does
 */
struct rcv {
	int s;
	_Atomic int res;
};

/**
 * recv_main() - the thread of a struct rcv
 * @arg:	struct rcv
 *
 * Return: NULL
 */
static void *recv_main(void *arg)
{
	struct rcv *r = arg;
	char buf[16];

	atomic_store(&r->res, (int)vs_recv(ca, r->s, buf, sizeof(buf)));
	return NULL;
}

/**
 * test_dgram_shut_rd() - SHUT_RD ends a vs_recv() blocked on a datagram
 * socket in another thread, as Linux (a common way to stop a receiving
 * thread, on an unconnected socket too, where shutdown() says ENOTCONN):
 * it returns 0, and so do later blocking receives; a non-blocking one
 * says EAGAIN; vs_poll() says VS_POLLIN and VS_POLLRDHUP
 */
static void test_dgram_shut_rd(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(7100) };
	struct vs_pollfd p;
	struct rcv r;
	int s, i;
	char buf[16];
	pthread_t t;

	s = vs_socket(ca, VS_SOCK_DGRAM);
	CU_ASSERT_FATAL(s >= 0);
	CU_ASSERT(vs_bind(ca, s, &a) == 0);
	r.s = s;
	atomic_init(&r.res, -2);
	CU_ASSERT_FATAL(pthread_create(&t, NULL, recv_main, &r) == 0);
	usleep(50000);
	CU_ASSERT(vs_shutdown(ca, s, VS_SHUT_RD) == -1 && errno == ENOTCONN);
	for (i = 0; i < 300 && atomic_load(&r.res) == -2; i++)
		usleep(10000);
	CU_ASSERT(atomic_load(&r.res) == 0);
	if (atomic_load(&r.res) == -2) {
		vs_close(ca, s); /* ends the receive: EBADF */
		pthread_join(t, NULL);
		return;
	}
	pthread_join(t, NULL);
	CU_ASSERT(vs_recv(ca, s, buf, sizeof(buf)) == 0);
	vs_set_nonblock(ca, s, 1);
	CU_ASSERT(vs_recv(ca, s, buf, sizeof(buf)) == -1 && errno == EAGAIN);
	p = (struct vs_pollfd){ .sock = s,
				.events = VS_POLLIN | VS_POLLRDHUP };
	CU_ASSERT(vs_poll(ca, &p, 1, 0) == 1 &&
		  p.revents == (VS_POLLIN | VS_POLLRDHUP));
	CU_ASSERT(vs_close(ca, s) == 0);
}

/**
 * test_nonblock() - non-blocking accept and connect, the vs_ctx_fd()
 * loop, a refused connect, end of stream
 */
static void test_nonblock(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(6000) };
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(6000),
				  .sin_addr.s_addr = htonl(0x0a000001) };
	struct pollfd pf = { .events = POLLIN };
	struct vs_pollfd p;
	int l, c, c2, c3, s, v = -1;
	char buf[16];

	l = vs_socket(ca, VS_SOCK_STREAM);
	c = vs_socket(cb, VS_SOCK_STREAM);
	CU_ASSERT_FATAL(l >= 0 && c >= 0);
	CU_ASSERT(vs_bind(ca, l, &a) == 0 && vs_listen(ca, l, 4) == 0);
	vs_set_nonblock(ca, l, 1);
	vs_set_nonblock(cb, c, 1);
	CU_ASSERT(vs_accept(ca, l, NULL) == -1 && errno == EAGAIN);
	CU_ASSERT(vs_connect(cb, c, &to) == -1 && errno == EINPROGRESS);
	p = (struct vs_pollfd){ .sock = c, .events = VS_POLLOUT };
	CU_ASSERT(vs_poll(cb, &p, 1, 3000) == 1 && p.revents == VS_POLLOUT);
	CU_ASSERT(vs_getsockopt(cb, c, VS_OPT_ERROR, &v) == 0 && v == 0);
	CU_ASSERT(vs_connect(cb, c, &to) == -1 && errno == EISCONN);
	p = (struct vs_pollfd){ .sock = l, .events = VS_POLLIN };
	CU_ASSERT(vs_poll(ca, &p, 1, 3000) == 1 && p.revents == VS_POLLIN);
	s = vs_accept(ca, l, NULL);
	CU_ASSERT_FATAL(s >= 0);
	vs_set_nonblock(ca, s, 1);
	CU_ASSERT(vs_recv(ca, s, buf, sizeof(buf)) == -1 && errno == EAGAIN);

	/* The event-loop pattern of vstack.h */
	CU_ASSERT(vs_ctx_arm(ca) == 0);
	p = (struct vs_pollfd){ .sock = s, .events = VS_POLLIN };
	CU_ASSERT(vs_poll(ca, &p, 1, 0) == 0);
	CU_ASSERT(vs_send(cb, c, "hello", 5) == 5);
	pf.fd = vs_ctx_fd(ca);
	CU_ASSERT(poll(&pf, 1, 3000) == 1);
	CU_ASSERT(vs_ctx_ack(ca) == 0);
	CU_ASSERT(vs_poll(ca, &p, 1, 0) == 1);
	CU_ASSERT(vs_recv(ca, s, buf, sizeof(buf)) == 5);
	/* SHUT_RD: reads end at once, the peer still connected */
	CU_ASSERT(vs_shutdown(ca, s, VS_SHUT_RD) == 0);
	CU_ASSERT(vs_recv(ca, s, buf, sizeof(buf)) == 0);

	/* Refused, non-blocking: error and hang-up, then SO_ERROR */
	c2 = vs_socket(cb, VS_SOCK_STREAM);
	vs_set_nonblock(cb, c2, 1);
	to.sin_port = htons(6001);
	CU_ASSERT(vs_connect(cb, c2, &to) == -1 && errno == EINPROGRESS);
	p = (struct vs_pollfd){ .sock = c2, .events = VS_POLLOUT };
	CU_ASSERT(vs_poll(cb, &p, 1, 3000) == 1 && (p.revents & VS_POLLERR));
	CU_ASSERT(vs_getsockopt(cb, c2, VS_OPT_ERROR, &v) == 0 &&
		  v == ECONNREFUSED);
	/* read once: cleared, and POLLERR with it (as Linux) */
	CU_ASSERT(vs_getsockopt(cb, c2, VS_OPT_ERROR, &v) == 0 && v == 0);
	p = (struct vs_pollfd){ .sock = c2, .events = VS_POLLIN };
	CU_ASSERT(vs_poll(cb, &p, 1, 0) == 1 && !(p.revents & VS_POLLERR));

	/* Refused, blocking: connect() reports it, SO_ERROR is 0 after
	 * (as Linux: the error is taken by the call that returns it) */
	c3 = vs_socket(cb, VS_SOCK_STREAM);
	CU_ASSERT_FATAL(c3 >= 0);
	CU_ASSERT(vs_connect(cb, c3, &to) == -1 && errno == ECONNREFUSED);
	CU_ASSERT(vs_getsockopt(cb, c3, VS_OPT_ERROR, &v) == 0 && v == 0);
	p = (struct vs_pollfd){ .sock = c3, .events = VS_POLLIN };
	CU_ASSERT(vs_poll(cb, &p, 1, 0) >= 0 && !(p.revents & VS_POLLERR));
	vs_close(cb, c3);

	/* The peer closes: end of stream */
	CU_ASSERT(vs_close(cb, c) == 0);
	p = (struct vs_pollfd){ .sock = s, .events = VS_POLLIN };
	CU_ASSERT(vs_poll(ca, &p, 1, 3000) == 1);
	CU_ASSERT(vs_recv(ca, s, buf, sizeof(buf)) == 0);
	vs_close(ca, s);
	vs_close(ca, l);
	vs_close(cb, c2);
}

/**
 * test_shut_connecting() - shutdown() during a non-blocking connect ends
 * the attempt, as Linux: 0, then VS_POLLERR and ECONNRESET for SO_ERROR,
 * and the socket may connect again (EINPROGRESS)
 */
static void test_shut_connecting(void)
{
	struct sockaddr_in nowhere = { .sin_family = AF_INET,
				       .sin_port = htons(80),
				       .sin_addr.s_addr = htonl(0x0a00004d) };
	struct vs_pollfd p;
	int c, v = -1;

	c = vs_socket(cb, VS_SOCK_STREAM);
	CU_ASSERT_FATAL(c >= 0);
	vs_set_nonblock(cb, c, 1);
	CU_ASSERT(vs_connect(cb, c, &nowhere) == -1 && errno == EINPROGRESS);
	CU_ASSERT(vs_shutdown(cb, c, VS_SHUT_WR) == 0);
	p = (struct vs_pollfd){ .sock = c, .events = VS_POLLOUT };
	CU_ASSERT(vs_poll(cb, &p, 1, 3000) == 1 && (p.revents & VS_POLLERR));
	CU_ASSERT(vs_getsockopt(cb, c, VS_OPT_ERROR, &v) == 0 &&
		  v == ECONNRESET);
	CU_ASSERT(vs_connect(cb, c, &nowhere) == -1 && errno == EINPROGRESS);
	/* and ended again, so that no completion comes after the close */
	CU_ASSERT(vs_shutdown(cb, c, VS_SHUT_RDWR) == 0);
	CU_ASSERT(vs_poll(cb, &p, 1, 3000) == 1 && (p.revents & VS_POLLERR));
	CU_ASSERT(vs_close(cb, c) == 0);
}

/**
 * test_send_notconn() - a send on a stream that is not connected (never
 * connected, or a listener) fails with EPIPE, as Linux
 * (sk_stream_wait_connect()), where a receive says ENOTCONN
 */
static void test_send_notconn(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(6020) };
	char buf[4];
	int c;

	c = vs_socket(cb, VS_SOCK_STREAM);
	CU_ASSERT_FATAL(c >= 0);
	CU_ASSERT(vs_send(cb, c, "x", 1) == -1 && errno == EPIPE);
	vs_set_nonblock(cb, c, 1);
	CU_ASSERT(vs_recv(cb, c, buf, sizeof(buf)) == -1 && errno == ENOTCONN);
	CU_ASSERT(vs_bind(cb, c, &a) == 0 && vs_listen(cb, c, 1) == 0);
	CU_ASSERT(vs_send(cb, c, "x", 1) == -1 && errno == EPIPE);
	CU_ASSERT(vs_close(cb, c) == 0);
}

/**
 * test_reset() - a connection reset by the peer: the error once (the
 * call that finds it), then a closed stream, as Linux reports it
 */
static void test_reset(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(6010) };
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(6010),
				  .sin_addr.s_addr = htonl(0x0a000001) };
	struct vs_pollfd p;
	int l, c, s, v = -1;
	char buf[16];

	l = vs_socket(ca, VS_SOCK_STREAM);
	c = vs_socket(cb, VS_SOCK_STREAM);
	CU_ASSERT_FATAL(l >= 0 && c >= 0);
	CU_ASSERT(vs_bind(ca, l, &a) == 0 && vs_listen(ca, l, 4) == 0);
	CU_ASSERT_FATAL(vs_connect(cb, c, &to) == 0);
	s = vs_accept(ca, l, NULL);
	CU_ASSERT_FATAL(s >= 0);
	/* closed with unread data: a reset (RFC 9293 3.10.4) */
	CU_ASSERT(vs_send(cb, c, "data", 4) == 4);
	p = (struct vs_pollfd){ .sock = s, .events = VS_POLLIN };
	CU_ASSERT(vs_poll(ca, &p, 1, 3000) == 1);
	CU_ASSERT(vs_close(ca, s) == 0);
	p = (struct vs_pollfd){ .sock = c, .events = VS_POLLIN };
	CU_ASSERT(vs_poll(cb, &p, 1, 3000) == 1 && (p.revents & VS_POLLERR));
	CU_ASSERT(vs_recv(cb, c, buf, sizeof(buf)) == -1 &&
		  errno == ECONNRESET);
	CU_ASSERT(vs_recv(cb, c, buf, sizeof(buf)) == 0);
	CU_ASSERT(vs_send(cb, c, "x", 1) == -1 && errno == EPIPE);
	CU_ASSERT(vs_getsockopt(cb, c, VS_OPT_ERROR, &v) == 0 && v == 0);
	CU_ASSERT(vs_poll(cb, &p, 1, 0) == 1 && !(p.revents & VS_POLLERR));
	vs_close(cb, c);
	vs_close(ca, l);
}

/**
 * cli_main() - cli_send() of 1 MiB in 20,000-byte sends, as a thread
 * @arg:	struct srv of the stream (its id)
 *
 * Return: NULL
 */
static void *cli_main(void *arg)
{
	struct srv *s = arg;

	CU_ASSERT(cli_send(s->id, MT_BYTES, 20000) == MT_BYTES);
	return NULL;
}

/**
 * test_threads() - four streams at once, each end in a thread of its own,
 * four threads per context: completions and wake-ups reach the right one
 */
static void test_threads(void)
{
	pthread_t ts[NTHREADS], tc[NTHREADS];
	struct srv s[NTHREADS];
	int i;

	for (i = 0; i < NTHREADS; i++) {
		s[i] = (struct srv){ .id = 1 + i, .ack = true };
		CU_ASSERT_FATAL(pthread_create(&ts[i], NULL, srv_main,
					       &s[i]) == 0);
	}
	for (i = 0; i < NTHREADS; i++)
		while (!atomic_load(&s[i].ready))
			usleep(1000);
	for (i = 0; i < NTHREADS; i++)
		CU_ASSERT_FATAL(pthread_create(&tc[i], NULL, cli_main,
					       &s[i]) == 0);
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(tc[i], NULL);
		pthread_join(ts[i], NULL);
		CU_ASSERT(s[i].err == 0 && s[i].got == MT_BYTES &&
			  s[i].bad == 0);
	}
	CU_ASSERT(ca->stray == 0 && cb->stray == 0);
}

/**
 * main() - the stack, two applications, the worker, the suite
 *
 * Return: 0 when every assertion held
 */
int main(void)
{
	struct stack_app *aa, *ab;
	struct stack_ep_spec sp;
	char err[128];
	unsigned fails;
	pthread_t pt;
	CU_pSuite s;

	host_wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (stack_open_host(&th_ops, NULL, &st))
		return 1;
	memset(&sp, 0, sizeof(sp));
	sp.name = "a";
	sp.tenant = 1;
	sp.addr = wire_ip4(10, 0, 0, 1).be;
	sp.prefix_len = 24;
	if (stack_ep_add(st, &sp, err, sizeof(err)))
		return 1;
	sp.name = "b";
	sp.tenant = 2;
	sp.addr = wire_ip4(10, 0, 0, 2).be;
	if (stack_ep_add(st, &sp, err, sizeof(err)))
		return 1;
	while (pump())
		;
	ca = attach(1, &aa);
	cb = attach(2, &ab);
	if (pthread_create(&pt, NULL, pump_main, NULL))
		return 1;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("libvstack_stackd", NULL, NULL);
	CU_add_test(s, "stream", test_stream);
	CU_add_test(s, "stream read in place", test_stream_zc);
	CU_add_test(s, "dgram", test_dgram);
	CU_add_test(s, "dgram disconnect", test_dgram_disconnect);
	CU_add_test(s, "dgram broadcast", test_dgram_broadcast);
	CU_add_test(s, "dgram SHUT_WR", test_dgram_shut_wr);
	CU_add_test(s, "dgram SHUT_RD", test_dgram_shut_rd);
	CU_add_test(s, "reset", test_reset);
	CU_add_test(s, "send on a stream not connected", test_send_notconn);
	CU_add_test(s, "shutdown while connecting", test_shut_connecting);
	CU_add_test(s, "nonblock", test_nonblock);
	CU_add_test(s, "threads", test_threads);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	stop_pump = 1;
	pthread_join(pt, NULL);
	vs_close_ctx(ca);
	vs_close_ctx(cb);
	stack_app_free(aa);
	stack_app_free(ab);
	stack_close(st);
	return fails ? 1 : 0;
}
