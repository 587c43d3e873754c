// SPDX-License-Identifier: MIT
/*
 * pl_probe.c - checks of the LD_PRELOAD shim's interposition, for
 * test/integ/55_preload_interpose.sh
 *
 * An ordinary program: it uses the POSIX socket API and knows nothing of
 * vstack; the test runs it with LD_PRELOAD=libvstack-preload.so in a
 * tenant's cgroup. Its peer is a helper on a kernel stack at ADDR:
 *   ADDR:PORT     echoes what it gets
 *   ADDR:PORT+1   reads "A.B.C.D PORT\n", connects there, sends "ok",
 *                 closes (connect-back, so the probe's listeners get a
 *                 connection)
 *   ADDR:PORT+2   nothing listens (refused)
 *
 *   pl_probe CHECK ADDR PORT
 *
 * CHECK is one of the names in pl_checks[] or "all". Each prints "ok
 * NAME" or "FAIL NAME: why" and the exit status is the number of failed
 * checks. Every wait is bounded (PROBE_WAIT_MS).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <net/if.h>
#include <time.h>
#include <unistd.h>

#define PROBE_WAIT_MS 10000

static struct sockaddr_in probe_peer; /* the echo port */
static char probe_why[256];

/**
 * probe_fail() - record why a check failed
 * @fmt:	printf format
 *
 * Return: -1
 */
__attribute__((format(printf, 1, 2))) static int probe_fail(const char *fmt,
							     ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(probe_why, sizeof(probe_why), fmt, ap);
	va_end(ap);
	return -1;
}

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond))                                                   \
			return probe_fail(__VA_ARGS__);                        \
	} while (0)

/**
 * probe_addr() - the peer's address with another port
 * @delta:	added to the echo port
 *
 * Return: the address
 */
static struct sockaddr_in probe_addr(int delta)
{
	struct sockaddr_in a = probe_peer;

	a.sin_port = htons((uint16_t)(ntohs(a.sin_port) + delta));
	return a;
}

/**
 * probe_connect() - a blocking TCP connection to the peer
 * @delta:	port offset (0 echo, 1 connect-back)
 *
 * Return: the socket, or -1
 */
static int probe_connect(int delta)
{
	struct sockaddr_in a = probe_addr(delta);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return -1;
	if (connect(s, (struct sockaddr *)&a, sizeof(a))) {
		close(s);
		return -1;
	}
	return s;
}

/**
 * probe_recv_all() - read exactly @len bytes, bounded
 * @s:		the socket
 * @buf:	where
 * @len:	how many
 *
 * Return: 0, or -1
 */
static int probe_recv_all(int s, char *buf, size_t len)
{
	struct pollfd p = {.fd = s, .events = POLLIN};
	size_t got = 0;
	ssize_t r;

	while (got < len) {
		if (poll(&p, 1, PROBE_WAIT_MS) != 1)
			return -1;
		r = recv(s, buf + got, len - got, 0);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/**
 * probe_listener() - a TCP listener on the endpoint, any port
 * @port:	its port (host order)
 *
 * Return: the socket, or -1
 */
static int probe_listener(uint16_t *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (s < 0)
		return -1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 8) ||
	    getsockname(s, (struct sockaddr *)&a, &len)) {
		close(s);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return s;
}

/**
 * probe_call_back() - ask the helper to connect to our listener
 * @port:	the listener's port
 *
 * Return: the helper's connection (to close after the accept), or -1
 */
static int probe_call_back(uint16_t port)
{
	struct sockaddr_in me;
	socklen_t len = sizeof(me);
	char line[64];
	int c = probe_connect(1);

	if (c < 0)
		return -1;
	/* Our address: the one the connection to the helper left from. */
	if (getsockname(c, (struct sockaddr *)&me, &len)) {
		close(c);
		return -1;
	}
	snprintf(line, sizeof(line), "%s %u\n", inet_ntoa(me.sin_addr), port);
	if (send(c, line, strlen(line), 0) != (ssize_t)strlen(line)) {
		close(c);
		return -1;
	}
	return c;
}

/* --- the checks ------------------------------------------------------ */

/**
 * check_epoll_mix() - one epoll set: a vstack socket, a pipe, a timerfd;
 * level- and edge-triggered; a blocked epoll_wait() woken by the socket
 *
 * Return: 0, or -1 with probe_why
 */
static int check_epoll_mix(void)
{
	struct itimerspec its = {.it_value = {.tv_nsec = 50 * 1000000}};
	struct epoll_event ev, out[8];
	int ep, s, pfd[2], tfd, n, i, avail = 0;
	char buf[64];

	ep = epoll_create1(EPOLL_CLOEXEC);
	s = probe_connect(0);
	CHECK(ep >= 0 && s >= 0, "setup: %s", strerror(errno));
	CHECK(!pipe2(pfd, O_CLOEXEC | O_NONBLOCK), "pipe");
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	CHECK(tfd >= 0, "timerfd");
	ev = (struct epoll_event){.events = EPOLLIN, .data.u32 = 1};
	CHECK(!epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev), "add socket: %s",
	      strerror(errno));
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) && errno == EEXIST,
	      "adding twice: want EEXIST");
	ev = (struct epoll_event){.events = EPOLLIN, .data.u32 = 2};
	CHECK(!epoll_ctl(ep, EPOLL_CTL_ADD, pfd[0], &ev), "add pipe");
	ev = (struct epoll_event){.events = EPOLLIN, .data.u32 = 3};
	CHECK(!epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev), "add timerfd");

	n = epoll_wait(ep, out, 8, 0);
	CHECK(n == 0, "idle set reports %d events", n);
	/* The timer alone wakes a blocked wait. */
	CHECK(!timerfd_settime(tfd, 0, &its, NULL), "timerfd_settime");
	n = epoll_wait(ep, out, 8, PROBE_WAIT_MS);
	CHECK(n == 1 && out[0].data.u32 == 3, "timer: %d events", n);
	CHECK(read(tfd, buf, 8) == 8, "timer read");
	/* The pipe. */
	CHECK(write(pfd[1], "p", 1) == 1, "pipe write");
	n = epoll_wait(ep, out, 8, PROBE_WAIT_MS);
	CHECK(n == 1 && out[0].data.u32 == 2, "pipe: %d events", n);
	CHECK(read(pfd[0], buf, 1) == 1, "pipe read");
	/* The socket: the echo comes back while we sleep. */
	CHECK(send(s, "hello", 5, 0) == 5, "send");
	n = epoll_wait(ep, out, 8, PROBE_WAIT_MS);
	CHECK(n == 1 && out[0].data.u32 == 1 && (out[0].events & EPOLLIN),
	      "socket: %d events", n);
	/* FIONREAD and MSG_PEEK see the bytes, level-triggered repeats. */
	for (i = 0; i < 100 && avail < 5; i++) {
		CHECK(!ioctl(s, FIONREAD, &avail), "FIONREAD: %s",
		      strerror(errno));
		if (avail < 5)
			usleep(10000);
	}
	CHECK(avail == 5, "FIONREAD says %d", avail);
	CHECK(recv(s, buf, 3, MSG_PEEK) == 3 && !memcmp(buf, "hel", 3),
	      "MSG_PEEK");
	n = epoll_wait(ep, out, 8, 0);
	CHECK(n == 1, "level-triggered: %d events", n);
	CHECK(recv(s, buf, sizeof(buf), 0) == 5 && !memcmp(buf, "hello", 5),
	      "echo");
	n = epoll_wait(ep, out, 8, 0);
	CHECK(n == 0, "drained socket still reported");
	/* Edge-triggered: once per arrival. */
	ev = (struct epoll_event){.events = EPOLLIN | EPOLLET, .data.u32 = 1};
	CHECK(!epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev), "mod ET");
	CHECK(send(s, "x", 1, 0) == 1, "send");
	n = epoll_wait(ep, out, 8, PROBE_WAIT_MS);
	CHECK(n == 1, "ET: %d events", n);
	n = epoll_wait(ep, out, 8, 100);
	CHECK(n == 0, "ET reported twice without a read");
	CHECK(recv(s, buf, sizeof(buf), 0) == 1, "recv");
	CHECK(recv(s, buf, sizeof(buf), MSG_DONTWAIT) < 0 && errno == EAGAIN,
	      "want EAGAIN");
	CHECK(send(s, "y", 1, 0) == 1, "send");
	n = epoll_wait(ep, out, 8, PROBE_WAIT_MS);
	CHECK(n == 1, "ET after EAGAIN: %d events", n);
	CHECK(recv(s, buf, sizeof(buf), 0) == 1, "recv");
	/* One-shot. */
	ev = (struct epoll_event){.events = EPOLLIN | EPOLLONESHOT,
				  .data.u32 = 1};
	CHECK(!epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev), "mod oneshot");
	CHECK(send(s, "z", 1, 0) == 1, "send");
	n = epoll_wait(ep, out, 8, PROBE_WAIT_MS);
	CHECK(n == 1, "oneshot: %d events", n);
	n = epoll_wait(ep, out, 8, 100);
	CHECK(n == 0, "oneshot fired twice");
	/* Closing the socket takes it out of the set. */
	CHECK(!epoll_ctl(ep, EPOLL_CTL_DEL, s, NULL), "del");
	CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, s, NULL) && errno == ENOENT,
	      "del twice: want ENOENT");
	ev = (struct epoll_event){.events = EPOLLIN, .data.u32 = 1};
	CHECK(!epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev), "re-add");
	close(s);
	n = epoll_wait(ep, out, 8, 0);
	CHECK(n == 0, "closed socket reported");
	close(tfd);
	close(pfd[0]);
	close(pfd[1]);
	close(ep);
	return 0;
}

/**
 * check_select() - select() over two sockets and a pipe
 *
 * Return: 0, or -1
 */
static int check_select(void)
{
	int a = probe_connect(0), b = probe_connect(0), pfd[2], n, mx;
	struct timeval tv;
	fd_set rd, wr;
	char buf[8];

	CHECK(a >= 0 && b >= 0, "connect: %s", strerror(errno));
	CHECK(!pipe(pfd), "pipe");
	mx = (a > b ? a : b) > pfd[0] ? (a > b ? a : b) : pfd[0];
	FD_ZERO(&rd);
	FD_SET(a, &rd);
	FD_SET(b, &rd);
	FD_SET(pfd[0], &rd);
	tv = (struct timeval){.tv_usec = 100000};
	n = select(mx + 1, &rd, NULL, NULL, &tv);
	CHECK(n == 0, "idle select: %d", n);
	CHECK(send(b, "b", 1, 0) == 1, "send");
	FD_ZERO(&rd);
	FD_SET(a, &rd);
	FD_SET(b, &rd);
	FD_SET(pfd[0], &rd);
	tv = (struct timeval){.tv_sec = PROBE_WAIT_MS / 1000};
	n = select(mx + 1, &rd, NULL, NULL, &tv);
	CHECK(n == 1 && FD_ISSET(b, &rd) && !FD_ISSET(a, &rd) &&
		      !FD_ISSET(pfd[0], &rd),
	      "select: %d, b %d a %d", n, FD_ISSET(b, &rd), FD_ISSET(a, &rd));
	CHECK(write(pfd[1], "p", 1) == 1, "pipe write");
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_SET(a, &rd);
	FD_SET(b, &rd);
	FD_SET(pfd[0], &rd);
	FD_SET(a, &wr);
	tv = (struct timeval){.tv_sec = PROBE_WAIT_MS / 1000};
	n = select(mx + 1, &rd, &wr, NULL, &tv);
	CHECK(n == 3 && FD_ISSET(b, &rd) && FD_ISSET(pfd[0], &rd) &&
		      FD_ISSET(a, &wr),
	      "select with a pipe: %d", n);
	CHECK(read(b, buf, sizeof(buf)) == 1, "read");
	close(a);
	close(b);
	close(pfd[0]);
	close(pfd[1]);
	return 0;
}

/**
 * probe_nb_connect() - a non-blocking connect's outcome
 * @delta:	port offset
 * @err:	SO_ERROR after it
 *
 * Return: 0, or -1
 */
static int probe_nb_connect(int delta, int *err)
{
	struct sockaddr_in a = probe_addr(delta);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), r;
	struct pollfd p = {.events = POLLOUT};
	socklen_t len = sizeof(*err);

	CHECK(s >= 0, "socket");
	r = connect(s, (struct sockaddr *)&a, sizeof(a));
	CHECK(r < 0 && errno == EINPROGRESS, "connect: %d %s", r,
	      strerror(errno));
	CHECK(fcntl(s, F_GETFL) & O_NONBLOCK, "F_GETFL lost O_NONBLOCK");
	p.fd = s;
	CHECK(poll(&p, 1, PROBE_WAIT_MS) == 1, "poll timed out");
	CHECK(!getsockopt(s, SOL_SOCKET, SO_ERROR, err, &len), "SO_ERROR");
	close(s);
	return 0;
}

/**
 * check_nb_connect() - EINPROGRESS, then SO_ERROR 0 or ECONNREFUSED
 *
 * Return: 0, or -1
 */
static int check_nb_connect(void)
{
	int err = -1;

	if (probe_nb_connect(0, &err))
		return -1;
	CHECK(err == 0, "SO_ERROR %d after a good connect", err);
	if (probe_nb_connect(2, &err))
		return -1;
	CHECK(err == ECONNREFUSED, "SO_ERROR %s to a closed port",
	      strerror(err));
	return 0;
}

/**
 * check_fork() - a forked child: inherited vstack sockets fail with
 * EBADFD, new ones work; the parent's listener still accepts
 *
 * Return: 0, or -1
 */
static int check_fork(void)
{
	uint16_t port;
	int l = probe_listener(&port), st = 0, c, a;
	pid_t pid;
	char buf[4];

	CHECK(l >= 0, "listener: %s", strerror(errno));
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (!pid) {
		struct pollfd pf = {.fd = l, .events = POLLIN};
		int s;

		alarm(PROBE_WAIT_MS / 1000 + 5);
		if (accept(l, NULL, NULL) >= 0 || errno != EBADFD)
			_exit(2);
		/* poll() says POLLNVAL at once, as for a closed descriptor */
		if (poll(&pf, 1, PROBE_WAIT_MS) != 1 || pf.revents != POLLNVAL)
			_exit(5);
		if (close(l))
			_exit(3);
		s = probe_connect(0);
		if (s < 0 || send(s, "c", 1, 0) != 1 ||
		    probe_recv_all(s, buf, 1) || buf[0] != 'c') {
			fprintf(stderr, "child: socket %d: %s\n", s,
				strerror(errno));
			_exit(4);
		}
		close(s);
		_exit(0);
	}
	CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
	CHECK(WIFEXITED(st) && !WEXITSTATUS(st),
	      "child failed (%d): 2 accept, 3 close, 4 new socket, 5 poll",
	      WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	c = probe_call_back(port);
	CHECK(c >= 0, "connect-back request");
	a = accept(l, NULL, NULL);
	CHECK(a >= 0, "parent accept after fork: %s", strerror(errno));
	CHECK(!probe_recv_all(a, buf, 2) && !memcmp(buf, "ok", 2),
	      "connect-back data");
	close(a);
	close(c);
	close(l);
	return 0;
}

/**
 * struct probe_blocked - a thread blocked in one call
 */
struct probe_blocked {
	int fd;
	int accept; /* accept(), else recv() */
	_Atomic int done;
	int ret, err;
};

/**
 * probe_block() - the blocked thread
 * @arg:	struct probe_blocked
 *
 * Return: NULL
 */
static void *probe_block(void *arg)
{
	struct probe_blocked *b = arg;
	char buf[8];

	b->ret = b->accept ? accept(b->fd, NULL, NULL)
			   : (int)recv(b->fd, buf, sizeof(buf), 0);
	b->err = errno;
	atomic_store(&b->done, 1);
	return NULL;
}

/**
 * probe_close_wakes() - close() from another thread ends a blocked call
 * @fd:		the socket
 * @acc:	accept() rather than recv()
 *
 * Return: 0, or -1
 */
static int probe_close_wakes(int fd, int acc)
{
	struct probe_blocked b = {.fd = fd, .accept = acc};
	pthread_t t;
	int i;

	CHECK(!pthread_create(&t, NULL, probe_block, &b), "thread");
	usleep(200000);
	CHECK(!atomic_load(&b.done), "%s returned at once (%d %s)",
	      acc ? "accept" : "recv", b.ret, strerror(b.err));
	CHECK(!close(fd), "close");
	for (i = 0; i < PROBE_WAIT_MS / 10 && !atomic_load(&b.done); i++)
		usleep(10000);
	CHECK(atomic_load(&b.done), "%s still blocked after close",
	      acc ? "accept" : "recv");
	pthread_join(t, NULL);
	CHECK(b.ret < 0 && b.err == EBADF, "%s: %d %s, want EBADF",
	      acc ? "accept" : "recv", b.ret, strerror(b.err));
	return 0;
}

/**
 * check_close_thread() - close() unblocks accept() and recv()
 *
 * Return: 0, or -1
 */
static int check_close_thread(void)
{
	uint16_t port;
	int l = probe_listener(&port), s = probe_connect(0);

	CHECK(l >= 0 && s >= 0, "setup: %s", strerror(errno));
	if (probe_close_wakes(l, 1))
		return -1;
	return probe_close_wakes(s, 0);
}

/**
 * check_dup2() - dup2() onto a socket's descriptor and from it, dup()
 *
 * Return: 0, or -1
 */
static int check_dup2(void)
{
	int s = probe_connect(0), pfd[2], d = 100, e, r;
	char buf[8];

	CHECK(s >= 0, "connect");
	CHECK(!pipe(pfd), "pipe");
	CHECK(dup2(s, d) == d, "dup2: %s", strerror(errno));
	CHECK(fcntl(d, F_GETFD) == 0, "dup2 copy has FD_CLOEXEC");
	CHECK(!close(s), "close original");
	CHECK(write(d, "e", 1) == 1, "write through the copy");
	CHECK(!probe_recv_all(d, buf, 1) && buf[0] == 'e', "echo");
	e = dup(d);
	CHECK(e >= 0, "dup");
	/* A pipe dup2()ed onto the socket's descriptor */
	CHECK(dup2(pfd[1], d) == d, "dup2 onto the socket: %s",
	      strerror(errno));
	CHECK(write(d, "p", 1) == 1, "write to the pipe through d");
	CHECK(read(pfd[0], buf, 1) == 1 && buf[0] == 'p', "pipe data");
	/* The socket lives on in e */
	CHECK(send(e, "f", 1, 0) == 1, "send via dup: %s", strerror(errno));
	CHECK(!probe_recv_all(e, buf, 1) && buf[0] == 'f', "echo via dup");
	/* A socket dup2()ed onto a pipe's descriptor */
	CHECK(dup2(e, pfd[0]) == pfd[0], "dup2 onto a pipe");
	r = (int)send(pfd[0], "g", 1, 0);
	CHECK(r == 1, "send via the former pipe descriptor");
	CHECK(!probe_recv_all(e, buf, 1) && buf[0] == 'g', "echo");
	close(e);
	close(pfd[0]);
	close(d);
	close(pfd[1]);
	return 0;
}

/**
 * check_unsupported() - clear errnos for what the shim does not do, and
 * loopback going to the kernel
 *
 * Return: 0, or -1
 */
static int check_unsupported(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	char buf[16], ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = buf, .iov_len = 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	struct ifconf ifc = {0};
	struct ip_mreq mr = {0};
	socklen_t len = sizeof(a);
	int s = probe_connect(0), u, l, c, k, sp[2], v;

	CHECK(s >= 0, "connect");
	CHECK(recv(s, buf, 1, MSG_OOB) < 0 && errno == EOPNOTSUPP,
	      "MSG_OOB: want EOPNOTSUPP, %s", strerror(errno));
	memset(ctl, 0, sizeof(ctl));
	m.msg_control = ctl;
	m.msg_controllen = sizeof(ctl);
	CHECK(sendmsg(s, &m, 0) < 0 && errno == EOPNOTSUPP,
	      "sendmsg with control data: want EOPNOTSUPP, %s",
	      strerror(errno));
	CHECK(ioctl(s, SIOCGIFCONF, &ifc) < 0 && errno == ENOTTY,
	      "SIOCGIFCONF: want ENOTTY, %s", strerror(errno));
	CHECK(fcntl(s, F_SETOWN, getpid()) < 0 && errno == EINVAL,
	      "F_SETOWN: want EINVAL");
	CHECK(setsockopt(s, SOL_SOCKET, SO_TIMESTAMP, &(int){1}, sizeof(int)) &&
		      errno == ENOPROTOOPT,
	      "SO_TIMESTAMP: want ENOPROTOOPT");
	CHECK(!setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &(int){1}, sizeof(int)),
	      "SO_REUSEPORT accepted");
	len = sizeof(buf);
	CHECK(!getsockopt(s, IPPROTO_TCP, TCP_CONGESTION, buf, &len),
	      "TCP_CONGESTION read");
	len = sizeof(v);
	CHECK(!getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len) &&
		      v == SOCK_STREAM,
	      "SO_TYPE");
	CHECK(sendfile(1, s, NULL, 1) < 0 && errno == EINVAL,
	      "sendfile from a socket: want EINVAL");
	u = socket(AF_INET, SOCK_DGRAM, 0);
	CHECK(u >= 0, "udp socket");
	CHECK(setsockopt(u, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) &&
		      errno == ENOPROTOOPT,
	      "IP_ADD_MEMBERSHIP: want ENOPROTOOPT");
	a.sin_addr.s_addr = inet_addr("192.0.2.1");
	CHECK(bind(u, (struct sockaddr *)&a, sizeof(a)) &&
		      errno == EADDRNOTAVAIL,
	      "bind to a foreign address: want EADDRNOTAVAIL, %s",
	      strerror(errno));
	close(u);
	/* AF_UNIX stays with the kernel */
	CHECK(!socketpair(AF_UNIX, SOCK_STREAM, 0, sp), "socketpair");
	CHECK(write(sp[0], "u", 1) == 1 && read(sp[1], buf, 1) == 1,
	      "unix socketpair");
	close(sp[0]);
	close(sp[1]);
	/* Loopback goes to the kernel: a listener and a connection there */
	l = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = 0;
	len = sizeof(a);
	CHECK(l >= 0 && !bind(l, (struct sockaddr *)&a, sizeof(a)) &&
		      !listen(l, 1) &&
		      !getsockname(l, (struct sockaddr *)&a, &len),
	      "loopback listener: %s", strerror(errno));
	c = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(c >= 0 && !connect(c, (struct sockaddr *)&a, sizeof(a)),
	      "loopback connect: %s", strerror(errno));
	k = accept(l, NULL, NULL);
	CHECK(k >= 0 && write(c, "l", 1) == 1 && read(k, buf, 1) == 1,
	      "loopback data");
	close(k);
	close(c);
	close(l);
	close(s);
	return 0;
}

/**
 * probe_udp_trunc() - a 9-byte datagram echoed and read short, as Linux
 * reads it: recvmsg() says MSG_TRUNC in msg_flags, recv() with MSG_TRUNC
 * returns the whole length
 * @u:		a UDP socket connected to the echo
 * @p:		its pollfd
 *
 * Return: 0, or -1
 */
static int probe_udp_trunc(int u, struct pollfd *p)
{
	char x[2], y[2], z[4];
	struct iovec iov[2] = {{.iov_base = x, .iov_len = 2},
			       {.iov_base = y, .iov_len = 2}};
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};
	int i, ok = 0;
	ssize_t r;

	for (i = 0; i < 5 && !ok; i++) {
		CHECK(send(u, "truncated", 9, 0) == 9, "send: %s",
		      strerror(errno));
		if (poll(p, 1, 1000) != 1)
			continue;
		m.msg_flags = 0;
		r = recvmsg(u, &m, 0);
		CHECK(r == 4 && !memcmp(x, "tr", 2) && !memcmp(y, "un", 2),
		      "short recvmsg: %zd", r);
		CHECK(m.msg_flags & MSG_TRUNC, "recvmsg: no MSG_TRUNC in "
		      "msg_flags (%#x)", (unsigned)m.msg_flags);
		ok = 1;
	}
	CHECK(ok, "no UDP echo to read short");
	for (i = 0, ok = 0; i < 5 && !ok; i++) {
		CHECK(send(u, "truncated", 9, 0) == 9, "send: %s",
		      strerror(errno));
		if (poll(p, 1, 1000) != 1)
			continue;
		r = recv(u, z, sizeof(z), MSG_TRUNC);
		CHECK(r == 9 && !memcmp(z, "trun", 4),
		      "recv with MSG_TRUNC: %zd (%s), want 9", r,
		      r < 0 ? strerror(errno) : "");
		ok = 1;
	}
	CHECK(ok, "no UDP echo to read with MSG_TRUNC");
	return 0;
}

/**
 * check_udp() - datagrams: sendto/recvfrom, connected send/recv,
 * sendmsg/recvmsg with several pieces, a short read (MSG_TRUNC), the
 * port connect() picks, ECONNREFUSED from a closed port
 *
 * Return: 0, or -1
 */
static int check_udp(void)
{
	struct sockaddr_in a = probe_addr(0), from;
	struct iovec iov[2];
	struct msghdr m = {0};
	struct pollfd p;
	socklen_t len = sizeof(from);
	char buf[64];
	int u = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), i, ok = 0;

	CHECK(u >= 0, "socket");
	p = (struct pollfd){.fd = u, .events = POLLIN};
	/* UDP may be lost: a few tries. */
	for (i = 0; i < 5 && !ok; i++) {
		CHECK(sendto(u, "dgram", 5, 0, (struct sockaddr *)&a,
			     sizeof(a)) == 5,
		      "sendto: %s", strerror(errno));
		if (poll(&p, 1, 1000) == 1 &&
		    recvfrom(u, buf, sizeof(buf), 0, (struct sockaddr *)&from,
			     &len) == 5)
			ok = !memcmp(buf, "dgram", 5) &&
			     from.sin_port == a.sin_port;
	}
	CHECK(ok, "no UDP echo");
	CHECK(!connect(u, (struct sockaddr *)&a, sizeof(a)), "udp connect");
	iov[0] = (struct iovec){.iov_base = "ab", .iov_len = 2};
	iov[1] = (struct iovec){.iov_base = "cd", .iov_len = 2};
	m.msg_iov = iov;
	m.msg_iovlen = 2;
	for (i = 0, ok = 0; i < 5 && !ok; i++) {
		char x[2], y[8];

		CHECK(sendmsg(u, &m, 0) == 4, "sendmsg: %s", strerror(errno));
		iov[0] = (struct iovec){.iov_base = x, .iov_len = 2};
		iov[1] = (struct iovec){.iov_base = y, .iov_len = 8};
		if (poll(&p, 1, 1000) == 1 && recvmsg(u, &m, 0) == 4)
			ok = !memcmp(x, "ab", 2) && !memcmp(y, "cd", 2);
		iov[0] = (struct iovec){.iov_base = "ab", .iov_len = 2};
		iov[1] = (struct iovec){.iov_base = "cd", .iov_len = 2};
	}
	CHECK(ok, "no UDP echo of sendmsg");
	if (probe_udp_trunc(u, &p))
		return -1;
	close(u);
	/* connect() on an unbound socket picks its port (as Linux) */
	u = socket(AF_INET, SOCK_DGRAM, 0);
	len = sizeof(from);
	CHECK(u >= 0 && !connect(u, (struct sockaddr *)&a, sizeof(a)) &&
		      !getsockname(u, (struct sockaddr *)&from, &len),
	      "udp connect of a new socket: %s", strerror(errno));
	CHECK(from.sin_port != 0, "getsockname after connect: port 0");
	/* connected to a port nobody has: the port unreachable it earns
	 * ends a receive with ECONNREFUSED (as Linux) */
	a = probe_addr(2);
	CHECK(!connect(u, (struct sockaddr *)&a, sizeof(a)), "udp connect");
	p = (struct pollfd){.fd = u, .events = POLLIN};
	for (i = 0, ok = 0; i < 5 && !ok; i++) {
		CHECK(send(u, "x", 1, 0) == 1 || errno == ECONNREFUSED,
		      "send: %s", strerror(errno));
		if (poll(&p, 1, 1000) == 1 && recv(u, buf, 1, 0) < 0)
			ok = errno == ECONNREFUSED;
	}
	CHECK(ok, "no ECONNREFUSED from a closed UDP port");
	close(u);
	return 0;
}

static volatile sig_atomic_t probe_sigpipes;

static void probe_on_pipe(int sig)
{
	(void)sig;
	probe_sigpipes++;
}

/**
 * check_udp_shut() - shutdown() of a UDP socket, as Linux: after SHUT_WR
 * sends fail with EPIPE and raise no SIGPIPE (only streams do); SHUT_RD
 * of a bound socket (ENOTCONN: it has no peer, but it takes effect) ends
 * a recv() blocked in another thread with 0, and later blocking ones
 * return 0 at once (no wait, no spin), a MSG_DONTWAIT one EAGAIN
 *
 * Return: 0, or -1
 */
static int check_udp_shut(void)
{
	struct sockaddr_in a = probe_addr(0), any = {.sin_family = AF_INET};
	struct sigaction sa = {.sa_handler = probe_on_pipe};
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct probe_blocked b = {0};
	pthread_t t;
	ssize_t r;
	int e, i;
	char c;

	CHECK(u >= 0, "socket");
	CHECK(!connect(u, (struct sockaddr *)&a, sizeof(a)), "connect: %s",
	      strerror(errno));
	CHECK(!shutdown(u, SHUT_WR), "shutdown SHUT_WR: %s", strerror(errno));
	CHECK(!sigaction(SIGPIPE, &sa, NULL), "sigaction");
	probe_sigpipes = 0;
	r = send(u, "x", 1, 0);
	e = errno;
	signal(SIGPIPE, SIG_IGN);
	CHECK(r < 0 && e == EPIPE, "send after SHUT_WR: %zd (%s), want EPIPE",
	      r, strerror(e));
	CHECK(!probe_sigpipes, "send after SHUT_WR raised SIGPIPE");
	close(u);
	b.fd = socket(AF_INET, SOCK_DGRAM, 0);
	CHECK(b.fd >= 0 && !bind(b.fd, (struct sockaddr *)&any, sizeof(any)),
	      "bind: %s", strerror(errno));
	CHECK(!pthread_create(&t, NULL, probe_block, &b), "thread");
	usleep(200000);
	CHECK(!atomic_load(&b.done), "recv returned at once (%d %s)", b.ret,
	      strerror(b.err));
	r = shutdown(b.fd, SHUT_RD);
	e = errno;
	for (i = 0; i < PROBE_WAIT_MS / 10 && !atomic_load(&b.done); i++)
		usleep(10000);
	if (!atomic_load(&b.done))
		close(b.fd); /* ends it: EBADF */
	pthread_join(t, NULL);
	CHECK(r < 0 && e == ENOTCONN,
	      "shutdown SHUT_RD: %zd (%s), want ENOTCONN", r, strerror(e));
	CHECK(b.ret == 0, "the blocked recv after SHUT_RD: %d (%s), want 0",
	      b.ret, strerror(b.err));
	r = recv(b.fd, &c, 1, 0);
	CHECK(r == 0, "recv after SHUT_RD: %zd (%s), want 0", r,
	      strerror(errno));
	r = recv(b.fd, &c, 1, MSG_DONTWAIT);
	CHECK(r < 0 && errno == EAGAIN,
	      "recv MSG_DONTWAIT after SHUT_RD: %zd (%s), want EAGAIN", r,
	      strerror(errno));
	close(b.fd);
	return 0;
}

/**
 * check_passthrough() - what the shim passes to vstackd, seen as Linux
 * shows it: SO_BROADCAST (without it a datagram to the limited broadcast
 * fails with EACCES, at sendto() and connect(); with it, it goes), and
 * listen() again on a listener (only the backlog changes: the call
 * succeeds, the port stays, connections are still accepted)
 *
 * Return: 0, or -1
 */
static int check_passthrough(void)
{
	struct sockaddr_in all = {.sin_family = AF_INET,
				  .sin_port = probe_peer.sin_port,
				  .sin_addr.s_addr = htonl(INADDR_BROADCAST)};
	struct sockaddr_in a;
	int u = socket(AF_INET, SOCK_DGRAM, 0), one = 1, v = -1, l, c, k;
	socklen_t len = sizeof(v);
	uint16_t port;
	char buf[4];
	ssize_t r;

	CHECK(u >= 0, "socket");
	CHECK(!getsockopt(u, SOL_SOCKET, SO_BROADCAST, &v, &len) && v == 0,
	      "SO_BROADCAST before: %d (%s)", v, strerror(errno));
	r = sendto(u, "b", 1, 0, (struct sockaddr *)&all, sizeof(all));
	CHECK(r < 0 && errno == EACCES,
	      "sendto broadcast without SO_BROADCAST: %zd (%s), want EACCES", r,
	      strerror(errno));
	CHECK(connect(u, (struct sockaddr *)&all, sizeof(all)) < 0 &&
		      errno == EACCES,
	      "connect to broadcast without SO_BROADCAST: want EACCES, %s",
	      strerror(errno));
	CHECK(!setsockopt(u, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)),
	      "SO_BROADCAST: %s", strerror(errno));
	len = sizeof(v);
	CHECK(!getsockopt(u, SOL_SOCKET, SO_BROADCAST, &v, &len) && v == 1,
	      "SO_BROADCAST after: %d (%s)", v, strerror(errno));
	r = sendto(u, "b", 1, 0, (struct sockaddr *)&all, sizeof(all));
	CHECK(r == 1, "sendto broadcast with SO_BROADCAST: %zd (%s)", r,
	      strerror(errno));
	CHECK(!connect(u, (struct sockaddr *)&all, sizeof(all)),
	      "connect to broadcast with SO_BROADCAST: %s", strerror(errno));
	close(u);

	l = probe_listener(&port);
	CHECK(l >= 0, "listener: %s", strerror(errno));
	CHECK(!listen(l, 1), "listen again: %s", strerror(errno));
	len = sizeof(a);
	CHECK(!getsockname(l, (struct sockaddr *)&a, &len) &&
		      ntohs(a.sin_port) == port,
	      "the port after listen again: %u, was %u", ntohs(a.sin_port),
	      port);
	len = sizeof(v);
	CHECK(!getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) && v == 1,
	      "SO_ACCEPTCONN after listen again: %d", v);
	c = probe_call_back(port);
	CHECK(c >= 0, "connect-back request: %s", strerror(errno));
	k = accept(l, NULL, NULL);
	CHECK(k >= 0, "accept after listen again: %s", strerror(errno));
	CHECK(!probe_recv_all(k, buf, 2) && !memcmp(buf, "ok", 2),
	      "no \"ok\" from the connect-back");
	close(k);
	close(c);
	close(l);
	return 0;
}

/**
 * check_connect_timeo() - a blocking connect() whose SO_SNDTIMEO runs out
 * fails with EINPROGRESS, as Linux (socket(7)); the attempt goes on, so
 * connect() again says EALREADY
 *
 * Return: 0, or -1
 */
static int check_connect_timeo(void)
{
	struct timeval tv = {.tv_usec = 200000};
	struct sockaddr_in a = probe_peer;
	struct timespec t0, t1;
	int s = socket(AF_INET, SOCK_STREAM, 0), r, e;
	long ms;

	/* an address of the peer's subnet that nobody has: no answer */
	a.sin_addr.s_addr = htonl((ntohl(a.sin_addr.s_addr) & ~0xffu) | 77);
	CHECK(s >= 0, "socket");
	CHECK(!setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)),
	      "SO_SNDTIMEO");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = connect(s, (struct sockaddr *)&a, sizeof(a));
	e = errno;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	     (t1.tv_nsec - t0.tv_nsec) / 1000000;
	CHECK(r < 0 && e == EINPROGRESS,
	      "connect with SO_SNDTIMEO: %d (%s) after %ld ms, want "
	      "EINPROGRESS",
	      r, strerror(e), ms);
	CHECK(ms >= 150 && ms < 5000, "connect took %ld ms, want 200", ms);
	r = connect(s, (struct sockaddr *)&a, sizeof(a));
	CHECK(r < 0 && errno == EALREADY,
	      "connect again: %d (%s), want EALREADY", r, strerror(errno));
	close(s);
	return 0;
}

/**
 * check_rdhup() - the peer's FIN is POLLRDHUP (poll) and EPOLLRDHUP
 * (epoll) with POLLIN, as Linux, and no POLLHUP while our side is open
 *
 * Return: 0, or -1
 */
static int check_rdhup(void)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP}, out;
	struct pollfd p = {.events = POLLIN | POLLRDHUP};
	uint16_t port;
	int l = probe_listener(&port), c, k, ep, i, n = 0;
	char buf[4];

	CHECK(l >= 0, "listener: %s", strerror(errno));
	c = probe_call_back(port);
	CHECK(c >= 0, "connect-back request: %s", strerror(errno));
	k = accept(l, NULL, NULL);
	CHECK(k >= 0, "accept: %s", strerror(errno));
	CHECK(!probe_recv_all(k, buf, 2) && !memcmp(buf, "ok", 2),
	      "no \"ok\" from the connect-back");
	/* the helper closes after its "ok": wait for its FIN */
	p.fd = k;
	for (i = 0; i < PROBE_WAIT_MS / 10; i++) {
		n = poll(&p, 1, 10);
		if (n == 1 && (p.revents & POLLRDHUP))
			break;
	}
	CHECK(n == 1 && p.revents == (POLLIN | POLLRDHUP),
	      "poll after the peer's FIN: %d, revents %#x, want "
	      "POLLIN|POLLRDHUP",
	      n, (unsigned)p.revents);
	ep = epoll_create1(0);
	CHECK(ep >= 0, "epoll_create1");
	CHECK(!epoll_ctl(ep, EPOLL_CTL_ADD, k, &ev), "epoll_ctl");
	n = epoll_wait(ep, &out, 1, PROBE_WAIT_MS);
	CHECK(n == 1 && out.events == (EPOLLIN | EPOLLRDHUP),
	      "epoll after the peer's FIN: %d, events %#x, want "
	      "EPOLLIN|EPOLLRDHUP",
	      n, n == 1 ? out.events : 0);
	CHECK(recv(k, buf, 1, 0) == 0, "no end of stream");
	close(ep);
	close(k);
	close(c);
	close(l);
	return 0;
}

/**
 * check_blocking() - blocking send/recv of 4 MiB through the echo, with
 * writev/readv, SO_RCVTIMEO
 *
 * Return: 0, or -1
 */
static int check_blocking(void)
{
	struct timeval tv = {.tv_usec = 200000};
	static char out[1 << 16], in[1 << 16];
	size_t total = 4 << 20, sent = 0, got = 0;
	int s = probe_connect(0), i;
	struct iovec iov[2];
	ssize_t r;
	pid_t pid;

	CHECK(s >= 0, "connect");
	for (i = 0; i < (int)sizeof(out); i++)
		out[i] = (char)(i * 7);
	CHECK(!setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)),
	      "SO_RCVTIMEO");
	CHECK(recv(s, in, 1, 0) < 0 && errno == EAGAIN,
	      "recv with SO_RCVTIMEO: want EAGAIN, %s", strerror(errno));
	tv.tv_sec = PROBE_WAIT_MS / 1000;
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (!pid) {
		/* A child may not use its parent's vstack sockets. */
		_exit(send(s, "x", 1, 0) < 0 && errno == EBADFD ? 0 : 1);
	}
	waitpid(pid, &i, 0);
	CHECK(WIFEXITED(i) && !WEXITSTATUS(i), "child send: want EBADFD");
	while (got < total) {
		if (sent < total) {
			iov[0] = (struct iovec){.iov_base = out,
						.iov_len = 1000};
			iov[1] = (struct iovec){.iov_base = out + 1000,
						.iov_len = sizeof(out) - 1000};
			r = writev(s, iov, 2);
			CHECK(r == (ssize_t)sizeof(out), "writev: %zd %s", r,
			      strerror(errno));
			sent += (size_t)r;
		}
		iov[0] = (struct iovec){.iov_base = in, .iov_len = 100};
		iov[1] = (struct iovec){.iov_base = in + 100,
					.iov_len = sizeof(in) - 100};
		r = readv(s, iov, 2);
		CHECK(r > 0, "readv: %zd %s", r, strerror(errno));
		for (i = 0; i < r; i++)
			CHECK(in[i] == out[(got + (size_t)i) % sizeof(out)],
			      "data differs at %zu", got + (size_t)i);
		got += (size_t)r;
	}
	CHECK(!shutdown(s, SHUT_WR), "shutdown");
	CHECK(recv(s, in, 1, 0) == 0, "EOF after shutdown");
	close(s);
	return 0;
}

static volatile sig_atomic_t probe_alarms;

static void probe_on_alarm(int sig)
{
	(void)sig;
	probe_alarms++;
}

/* Thread: 50 ms, then one byte into the echo connection */
static void *probe_send_later(void *arg)
{
	int s = *(int *)arg;

	usleep(50000);
	if (send(s, "x", 1, MSG_NOSIGNAL) != 1)
		return (void *)1;
	return NULL;
}

/*
 * A signal handler interrupts poll() and epoll_wait() on a vstack socket
 * with EINTR (they are never restarted), also when the signal comes while
 * the shim still looks before sleeping: run once with VSTACK_SPIN_US=10000
 * (a 10 ms look) and the alarm 2 ms into the wait. A blocking recv() is
 * interrupted too, but with SA_RESTART it goes on and gets its byte
 * (signal(7)).
 */
static int check_signal(void)
{
	struct itimerval it = {.it_value = {.tv_usec = 2000}};
	struct sigaction sa = {.sa_handler = probe_on_alarm}; /* no SA_RESTART */
	struct pollfd p;
	struct epoll_event ev = {.events = EPOLLIN}, out;
	int s = probe_connect(0), ep, r, e;

	CHECK(s >= 0, "connect");
	CHECK(!sigaction(SIGALRM, &sa, NULL), "sigaction");
	p = (struct pollfd){.fd = s, .events = POLLIN};
	probe_alarms = 0;
	CHECK(!setitimer(ITIMER_REAL, &it, NULL), "setitimer");
	r = poll(&p, 1, PROBE_WAIT_MS);
	e = errno;
	CHECK(r < 0 && e == EINTR && probe_alarms == 1,
	      "poll: want EINTR after the handler, got %d (%s), %d alarms", r,
	      strerror(e), (int)probe_alarms);
	ep = epoll_create1(0);
	CHECK(ep >= 0, "epoll_create1");
	ev.data.fd = s;
	CHECK(!epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev), "epoll_ctl");
	CHECK(!setitimer(ITIMER_REAL, &it, NULL), "setitimer");
	r = epoll_wait(ep, &out, 1, PROBE_WAIT_MS);
	e = errno;
	CHECK(r < 0 && e == EINTR && probe_alarms == 2,
	      "epoll_wait: want EINTR after the handler, got %d (%s), %d alarms",
	      r, strerror(e), (int)probe_alarms);
	{
		char c;
		pthread_t t;
		void *tr;

		CHECK(!setitimer(ITIMER_REAL, &it, NULL), "setitimer");
		r = (int)recv(s, &c, 1, 0);
		e = errno;
		CHECK(r < 0 && e == EINTR && probe_alarms == 3,
		      "recv: want EINTR after the handler, got %d (%s), %d alarms",
		      r, strerror(e), (int)probe_alarms);
		sa.sa_flags = SA_RESTART;
		CHECK(!sigaction(SIGALRM, &sa, NULL), "sigaction");
		CHECK(!pthread_create(&t, NULL, probe_send_later, &s), "thread");
		CHECK(!setitimer(ITIMER_REAL, &it, NULL), "setitimer");
		r = (int)recv(s, &c, 1, 0);
		e = errno;
		pthread_join(t, &tr);
		CHECK(!tr, "the thread's send");
		CHECK(r == 1 && c == 'x' && probe_alarms == 4,
		      "recv with SA_RESTART: want the byte after the handler, got %d (%s), %d alarms",
		      r, strerror(e), (int)probe_alarms);
	}
	signal(SIGALRM, SIG_DFL);
	close(ep);
	close(s);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(void);
} pl_checks[] = {
	{"epoll_mix", check_epoll_mix},
	{"select", check_select},
	{"nb_connect", check_nb_connect},
	{"fork", check_fork},
	{"close_thread", check_close_thread},
	{"dup2", check_dup2},
	{"unsupported", check_unsupported},
	{"udp", check_udp},
	{"udp_shut", check_udp_shut},
	{"passthrough", check_passthrough},
	{"connect_timeo", check_connect_timeo},
	{"rdhup", check_rdhup},
	{"blocking", check_blocking},
	{"signal", check_signal},
};

int main(int argc, char **argv)
{
	unsigned i;
	int failed = 0, any = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: pl_probe CHECK|all ADDR PORT\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	probe_peer.sin_family = AF_INET;
	probe_peer.sin_port = htons((uint16_t)atoi(argv[3]));
	if (inet_pton(AF_INET, argv[2], &probe_peer.sin_addr) != 1) {
		fprintf(stderr, "pl_probe: bad address %s\n", argv[2]);
		return 2;
	}
	for (i = 0; i < sizeof(pl_checks) / sizeof(pl_checks[0]); i++) {
		if (strcmp(argv[1], "all") && strcmp(argv[1], pl_checks[i].name))
			continue;
		any = 1;
		probe_why[0] = 0;
		if (pl_checks[i].fn()) {
			printf("FAIL %s: %s\n", pl_checks[i].name, probe_why);
			failed++;
		} else {
			printf("ok %s\n", pl_checks[i].name);
		}
		fflush(stdout);
	}
	if (!any) {
		fprintf(stderr, "pl_probe: no check %s\n", argv[1]);
		return 2;
	}
	return failed;
}
