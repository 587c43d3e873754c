// SPDX-License-Identifier: MIT
/*
 * vsperf.c - throughput, latency and datagram checks through libvstack
 *
 * Each mode is one small loop over the libvstack calls an application
 * would make. Results are one JSON line on stderr, so that stdout stays
 * free for the bytes themselves (sink --out -). Every loop ends: clients
 * after --bytes, --count or --time (capped), servers at the peer's end of
 * stream, after --once or --conns, or after --timeout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vstack.h"

#define VSPERF_BUF		(256 * 1024)
#define VSPERF_TIME_MAX		3600 /* seconds, for --time and --timeout */
#define VSPERF_COUNT_MAX	100000000ull /* --count */
#define VSPERF_SAMPLES		10000000ull  /* latencies kept */
#define VSPERF_GRACE_S		60    /* client --timeout beyond --time */
#define VSPERF_CLIENT_TIMEOUT_S 600   /* client --timeout otherwise */
#define VSPERF_LINGER_MS	30000 /* source: wait for the sink's close */

static const char vsperf_usage[] =
	"usage: vsperf [--endpoint NAME | --kernel] MODE ARGS...\n"
	"  sink PORT [--once] [--conns N] [--out -] [--copy] [--timeout SEC]\n"
	"      accept, read everything; one JSON line per connection on "
	"stderr\n"
	"      (bytes, seconds, gbps); --out - copies the bytes to stdout;\n"
	"      on libvstack the bytes are read in place (vs_recv_zc), --copy\n"
	"      reads them into a buffer with vs_recv as kernel sockets do\n"
	"  source HOST PORT (--bytes N | --time SEC | --in -) [--bytes N]\n"
	"      connect and send N bytes, for SEC seconds, or stdin\n"
	"  hold PORT --conns N [--timeout SEC]\n"
	"      accept N connections and keep them all open until their peers\n"
	"      close them; prints {\"held\": N} once all are in\n"
	"  pingpong-server PORT [--once] [--conns N] [--timeout SEC]\n"
	"      echo what each connection sends\n"
	"  pingpong HOST PORT [--size 64] [--count N | --time SEC]\n"
	"      request/response round trips; p50/p99/p99.9 in microseconds\n"
	"  udp-echo PORT [--count N] [--timeout SEC]\n"
	"      send every datagram back to its sender\n"
	"  udp-send HOST PORT --count N --size S [--window W] [--wait MS]\n"
	"      send N datagrams of S bytes, at most W (8) without an echo;\n"
	"      an echo not back within MS ms (1000) is lost\n"
	"HOST is an IPv4 address. --endpoint picks the endpoint (default: the\n"
	"tenant's only one); VSTACK_APP_SOCKET names vstackd's app socket.\n"
	"--kernel uses the kernel's sockets instead of libvstack (the same\n"
	"workload on the kernel stack, for comparison); --cc NAME sets their\n"
	"congestion control (TCP_CONGESTION).\n"
	"--timeout SEC ends any mode (exit 3); clients have one by default:\n"
	"--time + 60 s, else 600 s. Exit: 0 done, 1 failure, 2 usage.\n";

/* --kernel: the kernel's sockets instead of libvstack (see vsp_socket()) */
static bool vsperf_kernel;
/* --cc NAME: the kernel sockets' congestion control (TCP_CONGESTION) */
static const char *vsperf_cc;
/* --copy: the sink reads libvstack sockets with vs_recv(), not in place */
static bool vsperf_copy;

/**
 * struct vsperf_opts - the command line
 */
struct vsperf_opts {
	const char *endpoint;
	const char *mode;
	struct sockaddr_in addr; /* HOST PORT, or PORT (any address) */
	uint64_t bytes;		 /* 0: unset */
	unsigned time_s;	 /* 0: unset */
	uint64_t count;		 /* 0: unset */
	unsigned size;
	unsigned conns;	    /* 0: unlimited */
	unsigned timeout_s; /* 0: none */
	unsigned wait_ms;
	unsigned window;
	bool once, out_stdout, in_stdin;
};

/**
 * vsperf_die() - print one line and exit
 * @code:	exit status
 * @fmt:	printf format
 */
static void __attribute__((noreturn, format(printf, 2, 3)))
vsperf_die(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("vsperf: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

/**
 * vsperf_now() - monotonic seconds
 *
 * Return: the time
 */
static double vsperf_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/**
 * vsperf_num() - parse an unsigned number with an optional K/M/G suffix
 * @opt:	the option, for the message
 * @s:		the text
 * @max:	the largest value accepted
 *
 * Return: the value (exits on a bad one)
 */
static uint64_t vsperf_num(const char *opt, const char *s, uint64_t max)
{
	unsigned long long v;
	uint64_t mult = 1;
	char *end;

	if (!s)
		vsperf_die(2, "%s needs a value", opt);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (end == s || *s == '-' || errno)
		vsperf_die(2, "%s: not a number: %s", opt, s);
	if (*end == 'K' || *end == 'k')
		mult = 1024, end++;
	else if (*end == 'M' || *end == 'm')
		mult = 1024 * 1024, end++;
	else if (*end == 'G' || *end == 'g')
		mult = 1024ull * 1024 * 1024, end++;
	if (*end)
		vsperf_die(2, "%s: not a number: %s", opt, s);
	if (v > max / mult)
		vsperf_die(2, "%s: out of range (at most %" PRIu64 "): %s", opt,
			   max, s);
	return v * mult;
}

/**
 * vsperf_port() - parse a port
 * @s:		the text
 *
 * Return: the port (exits on a bad one)
 */
static uint16_t vsperf_port(const char *s)
{
	uint64_t p = vsperf_num("PORT", s, 65535);

	if (!p)
		vsperf_die(2, "PORT must be 1..65535");
	return (uint16_t)p;
}

/**
 * vsperf_parse() - the command line into options
 * @argc:	count
 * @argv:	arguments
 * @o:		filled in
 */
static void vsperf_parse(int argc, char **argv, struct vsperf_opts *o)
{
	const char *pos[3] = {0};
	unsigned npos = 0, want;
	int i;

	memset(o, 0, sizeof(*o));
	o->size = 64;
	o->wait_ms = 1000;
	o->window = 8;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(vsperf_usage, stdout);
			exit(0);
		} else if (!strcmp(a, "--endpoint")) {
			if (!v)
				vsperf_die(2, "--endpoint needs a name");
			o->endpoint = v, i++;
		} else if (!strcmp(a, "--kernel")) {
			vsperf_kernel = true;
		} else if (!strcmp(a, "--copy")) {
			vsperf_copy = true;
		} else if (!strcmp(a, "--cc")) {
			if (!v)
				vsperf_die(2, "--cc needs a congestion control name");
			vsperf_cc = v, i++;
		} else if (!strcmp(a, "--once")) {
			o->once = true;
		} else if (!strcmp(a, "--out")) {
			if (!v || strcmp(v, "-"))
				vsperf_die(2, "--out takes only - (stdout)");
			o->out_stdout = true, i++;
		} else if (!strcmp(a, "--in")) {
			if (!v || strcmp(v, "-"))
				vsperf_die(2, "--in takes only - (stdin)");
			o->in_stdin = true, i++;
		} else if (!strcmp(a, "--bytes")) {
			o->bytes = vsperf_num(a, v, UINT64_MAX / 2), i++;
			if (!o->bytes)
				vsperf_die(2, "--bytes must be at least 1");
		} else if (!strcmp(a, "--time")) {
			o->time_s = (unsigned)vsperf_num(a, v, VSPERF_TIME_MAX);
			i++;
			if (!o->time_s)
				vsperf_die(2, "--time must be at least 1");
		} else if (!strcmp(a, "--count")) {
			o->count = vsperf_num(a, v, VSPERF_COUNT_MAX), i++;
			if (!o->count)
				vsperf_die(2, "--count must be at least 1");
		} else if (!strcmp(a, "--size")) {
			o->size = (unsigned)vsperf_num(a, v, 65507), i++;
			if (!o->size)
				vsperf_die(2, "--size must be at least 1");
		} else if (!strcmp(a, "--conns")) {
			o->conns = (unsigned)vsperf_num(a, v, UINT_MAX), i++;
		} else if (!strcmp(a, "--timeout")) {
			o->timeout_s =
				(unsigned)vsperf_num(a, v, VSPERF_TIME_MAX);
			i++;
		} else if (!strcmp(a, "--window")) {
			o->window = (unsigned)vsperf_num(a, v, 4096), i++;
			if (!o->window)
				vsperf_die(2, "--window must be at least 1");
		} else if (!strcmp(a, "--wait")) {
			o->wait_ms = (unsigned)vsperf_num(a, v, 600000), i++;
		} else if (a[0] == '-' && a[1]) {
			vsperf_die(2, "unknown option %s (try -h)", a);
		} else if (!o->mode) {
			o->mode = a;
		} else if (npos < 3) {
			pos[npos++] = a;
		} else {
			vsperf_die(2, "too many arguments (try -h)");
		}
	}
	if (!o->mode)
		vsperf_die(2, "no mode given (try -h)");
	if (!strcmp(o->mode, "sink") || !strcmp(o->mode, "pingpong-server") ||
	    !strcmp(o->mode, "udp-echo") || !strcmp(o->mode, "hold"))
		want = 1;
	else if (!strcmp(o->mode, "source") || !strcmp(o->mode, "pingpong") ||
		 !strcmp(o->mode, "udp-send"))
		want = 2;
	else
		vsperf_die(2, "unknown mode %s (try -h)", o->mode);
	if (npos != want)
		vsperf_die(2, "%s takes %s", o->mode,
			   want == 1 ? "PORT" : "HOST PORT");
	o->addr.sin_family = AF_INET;
	if (want == 2) {
		if (inet_pton(AF_INET, pos[0], &o->addr.sin_addr) != 1)
			vsperf_die(2, "HOST must be an IPv4 address: %s",
				   pos[0]);
	}
	o->addr.sin_port = htons(vsperf_port(pos[want - 1]));
	if (o->once)
		o->conns = 1;
	if (!strcmp(o->mode, "source")) {
		if (o->in_stdin && o->time_s)
			vsperf_die(2, "--in - and --time do not go together");
		if (!o->in_stdin && !o->bytes == !o->time_s)
			vsperf_die(2, "source needs one of --bytes N, "
				      "--time SEC, --in -");
	}
	if (!strcmp(o->mode, "pingpong") && o->count > VSPERF_SAMPLES)
		vsperf_die(2, "--count: at most %llu round trips",
			   (unsigned long long)VSPERF_SAMPLES);
	if (!strcmp(o->mode, "pingpong") && o->count && o->time_s)
		vsperf_die(2, "pingpong takes --count or --time, not both");
	if (!strcmp(o->mode, "pingpong") && !o->count && !o->time_s)
		o->count = 10000;
	if (!strcmp(o->mode, "udp-send") && !o->count)
		vsperf_die(2, "udp-send needs --count N");
	/* A client never waits for ever on a peer that stopped reading. */
	if (want == 2 && !o->timeout_s)
		o->timeout_s = o->time_s ? o->time_s + VSPERF_GRACE_S
					 : VSPERF_CLIENT_TIMEOUT_S;
}

/**
 * vsperf_alarm_handler() - --timeout ran out
 * @sig:	SIGALRM
 */
static void vsperf_alarm_handler(int sig)
{
	static const char m[] = "vsperf: --timeout reached\n";

	(void)sig;
	/* Blocking libvstack calls carry on across signals: leave at once. */
	if (write(2, m, sizeof(m) - 1) < 0)
		_exit(3);
	_exit(3);
}

/*
 * The socket calls, through libvstack or, with --kernel, through the
 * kernel's own sockets: the same tool measures both paths, so a benchmark
 * compares the stacks and not two programs.
 */

static int vsp_socket(struct vs_ctx *ctx, int type)
{
	int s;

	if (!vsperf_kernel)
		return vs_socket(ctx, type);
	s = socket(AF_INET,
		   (type == VS_SOCK_STREAM ? SOCK_STREAM : SOCK_DGRAM) |
			   SOCK_CLOEXEC,
		   0);
	/* a listener passes it on to the connections it accepts */
	if (s >= 0 && vsperf_cc && type == VS_SOCK_STREAM &&
	    setsockopt(s, IPPROTO_TCP, TCP_CONGESTION, vsperf_cc,
		       (socklen_t)strlen(vsperf_cc)))
		vsperf_die(1, "--cc %s: %s", vsperf_cc, strerror(errno));
	return s;
}

static int vsp_setsockopt(struct vs_ctx *ctx, int s, int opt, int val)
{
	if (!vsperf_kernel)
		return vs_setsockopt(ctx, s, opt, val);
	if (opt == VS_OPT_NODELAY)
		return setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &val,
				  sizeof(val));
	if (opt == VS_OPT_REUSEADDR)
		return setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &val,
				  sizeof(val));
	errno = ENOPROTOOPT;
	return -1;
}

static int vsp_bind(struct vs_ctx *ctx, int s, const struct sockaddr_in *a)
{
	if (!vsperf_kernel)
		return vs_bind(ctx, s, a);
	return bind(s, (const struct sockaddr *)a, sizeof(*a));
}

static int vsp_listen(struct vs_ctx *ctx, int s, int backlog)
{
	return vsperf_kernel ? listen(s, backlog) : vs_listen(ctx, s, backlog);
}

static int vsp_accept(struct vs_ctx *ctx, int s, struct sockaddr_in *peer)
{
	socklen_t len = sizeof(*peer);

	if (!vsperf_kernel)
		return vs_accept(ctx, s, peer);
	return accept4(s, (struct sockaddr *)peer, peer ? &len : NULL,
		       SOCK_CLOEXEC);
}

static int vsp_connect(struct vs_ctx *ctx, int s, const struct sockaddr_in *a)
{
	if (!vsperf_kernel)
		return vs_connect(ctx, s, a);
	return connect(s, (const struct sockaddr *)a, sizeof(*a));
}

static ssize_t vsp_send(struct vs_ctx *ctx, int s, const void *b, size_t n)
{
	return vsperf_kernel ? send(s, b, n, MSG_NOSIGNAL)
			     : vs_send(ctx, s, b, n);
}

static ssize_t vsp_recv(struct vs_ctx *ctx, int s, void *b, size_t n)
{
	return vsperf_kernel ? recv(s, b, n, 0) : vs_recv(ctx, s, b, n);
}

static ssize_t vsp_sendto(struct vs_ctx *ctx, int s, const void *b, size_t n,
			  const struct sockaddr_in *to)
{
	if (!vsperf_kernel)
		return vs_sendto(ctx, s, b, n, to);
	return sendto(s, b, n, MSG_NOSIGNAL, (const struct sockaddr *)to,
		      sizeof(*to));
}

static ssize_t vsp_recvfrom(struct vs_ctx *ctx, int s, void *b, size_t n,
			    struct sockaddr_in *from)
{
	socklen_t len = sizeof(*from);

	if (!vsperf_kernel)
		return vs_recvfrom(ctx, s, b, n, from);
	return recvfrom(s, b, n, 0, (struct sockaddr *)from, &len);
}

static int vsp_shutdown(struct vs_ctx *ctx, int s, int how)
{
	return vsperf_kernel ? shutdown(s, how) : vs_shutdown(ctx, s, how);
}

static int vsp_close(struct vs_ctx *ctx, int s)
{
	return vsperf_kernel ? close(s) : vs_close(ctx, s);
}

static int vsp_set_nonblock(struct vs_ctx *ctx, int s, int on)
{
	int fl;

	if (!vsperf_kernel)
		return vs_set_nonblock(ctx, s, on);
	fl = fcntl(s, F_GETFL);
	return fcntl(s, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

static int vsp_poll(struct vs_ctx *ctx, struct vs_pollfd *p, unsigned n,
		    int timeout_ms)
{
	struct pollfd k;
	int r;

	if (!vsperf_kernel)
		return vs_poll(ctx, p, n, timeout_ms);
	/* One socket at a time is all vsperf asks about. */
	k = (struct pollfd){ .fd = p->sock, .events = p->events };
	r = poll(&k, n ? 1 : 0, timeout_ms);
	p->revents = k.revents;
	return r;
}

/**
 * vsperf_strerror() - an error's text, naming vstackd when it went away
 * @err:	errno value
 *
 * Return: the text
 */
static const char *vsperf_strerror(int err)
{
	if (err == ECONNABORTED && !vsperf_kernel)
		return "vstackd went away (the connection to it is lost)";
	return strerror(err);
}

/**
 * vsperf_listener() - a bound, listening stream socket
 * @ctx:	the context
 * @o:		options (the port)
 *
 * Return: the socket (exits on failure)
 */
static int vsperf_listener(struct vs_ctx *ctx, const struct vsperf_opts *o)
{
	int s = vsp_socket(ctx, VS_SOCK_STREAM);

	if (s < 0)
		vsperf_die(1, "socket: %s", vsperf_strerror(errno));
	(void)vsp_setsockopt(ctx, s, VS_OPT_REUSEADDR, 1);
	if (vsp_bind(ctx, s, &o->addr) < 0)
		vsperf_die(1, "bind port %u: %s", ntohs(o->addr.sin_port),
			   vsperf_strerror(errno));
	if (vsp_listen(ctx, s, 128) < 0)
		vsperf_die(1, "listen: %s", vsperf_strerror(errno));
	return s;
}

/**
 * vsperf_connect() - a connected stream socket
 * @ctx:	the context
 * @o:		options (HOST PORT)
 *
 * Return: the socket (exits on failure)
 */
static int vsperf_connect(struct vs_ctx *ctx, const struct vsperf_opts *o)
{
	char a[INET_ADDRSTRLEN];
	int s = vsp_socket(ctx, VS_SOCK_STREAM);

	if (s < 0)
		vsperf_die(1, "socket: %s", vsperf_strerror(errno));
	if (vsp_connect(ctx, s, &o->addr) < 0) {
		inet_ntop(AF_INET, &o->addr.sin_addr, a, sizeof(a));
		vsperf_die(1, "connect %s:%u: %s", a, ntohs(o->addr.sin_port),
			   vsperf_strerror(errno));
	}
	return s;
}

/**
 * vsperf_write_all() - write a buffer to a file descriptor
 * @fd:		the descriptor
 * @p:		bytes
 * @n:		how many
 *
 * Return: 0, or -1 with errno
 */
static int vsperf_write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/**
 * vsperf_send_all() - send a whole buffer on a stream socket
 * @ctx:	the context
 * @s:		the socket
 * @p:		bytes
 * @n:		how many
 *
 * Return: 0, or -1 with errno
 */
static int vsperf_send_all(struct vs_ctx *ctx, int s, const char *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = vsp_send(ctx, s, p, n);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/**
 * vsperf_rate() - print a throughput result line
 * @mode:	the mode
 * @bytes:	bytes moved
 * @secs:	seconds taken
 */
static void vsperf_rate(const char *mode, uint64_t bytes, double secs)
{
	fprintf(stderr,
		"{\"mode\":\"%s\",\"bytes\":%" PRIu64
		",\"seconds\":%.6f,\"gbps\":%.4f}\n",
		mode, bytes, secs,
		secs > 0 ? (double)bytes * 8 / secs / 1e9 : 0.0);
}

/**
 * vsperf_sink_recv() - the sink's read: in place on libvstack
 * @ctx:	the context
 * @s:		the connection
 * @buf:	a buffer for kernel sockets (and --copy)
 * @out_fd:	where the bytes go, -1 nowhere
 *
 * libvstack's receive ring is readable in place (vs_recv_zc()): the bytes
 * are written out from there, or just consumed, with no copy; kernel
 * sockets (and --copy) copy them into @buf with recv().
 *
 * Return: bytes taken, 0 at the end, -1 with errno
 */
static ssize_t vsperf_sink_recv(struct vs_ctx *ctx, int s, char *buf,
				int out_fd)
{
	struct iovec iov[2];
	ssize_t n;
	int i;

	if (vsperf_kernel || vsperf_copy) {
		n = vsp_recv(ctx, s, buf, VSPERF_BUF);
		if (n > 0 && out_fd >= 0 && vsperf_write_all(out_fd, buf, (size_t)n))
			vsperf_die(1, "writing stdout: %s", vsperf_strerror(errno));
		return n;
	}
	n = vs_recv_zc(ctx, s, iov);
	if (n <= 0)
		return n;
	for (i = 0; out_fd >= 0 && i < 2; i++)
		if (iov[i].iov_len &&
		    vsperf_write_all(out_fd, iov[i].iov_base, iov[i].iov_len))
			vsperf_die(1, "writing stdout: %s", vsperf_strerror(errno));
	if (vs_recv_done(ctx, s, (size_t)n))
		return -1;
	return n;
}

/**
 * vsperf_sink() - accept connections and read them to the end
 * @ctx:	the context
 * @o:		options
 *
 * Return: exit status
 */
static int vsperf_sink(struct vs_ctx *ctx, const struct vsperf_opts *o)
{
	char *buf = malloc(VSPERF_BUF);
	int l = vsperf_listener(ctx, o), c, status = 0;
	unsigned served;
	uint64_t total;
	double t0;
	ssize_t n;

	if (!buf)
		vsperf_die(1, "out of memory");
	for (served = 0; !o->conns || served < o->conns; served++) {
		c = vsp_accept(ctx, l, NULL);
		if (c < 0)
			vsperf_die(1, "accept: %s", vsperf_strerror(errno));
		total = 0;
		t0 = vsperf_now();
		while ((n = vsperf_sink_recv(ctx, c, buf,
					     o->out_stdout ? 1 : -1)) > 0)
			total += (uint64_t)n;
		if (n < 0) {
			fprintf(stderr, "vsperf: recv: %s\n", vsperf_strerror(errno));
			status = 1;
		}
		vsperf_rate("sink", total, vsperf_now() - t0);
		vsp_close(ctx, c);
	}
	vsp_close(ctx, l);
	free(buf);
	return status;
}

/**
 * vsperf_source() - connect and send
 * @ctx:	the context
 * @o:		options
 *
 * After the last byte: shut down the sending side and wait for the
 * sink's close, so that the bytes are known to have arrived before this
 * process (and with it the context) goes away.
 *
 * Return: exit status
 */
static int vsperf_source(struct vs_ctx *ctx, const struct vsperf_opts *o)
{
	char *buf = malloc(VSPERF_BUF);
	int s = vsperf_connect(ctx, o);
	struct vs_pollfd p = {.sock = s, .events = VS_POLLIN};
	uint64_t total = 0, want;
	double t0, end, t1;
	size_t chunk;
	ssize_t n;
	char junk[64];

	if (!buf)
		vsperf_die(1, "out of memory");
	memset(buf, 'v', VSPERF_BUF);
	t0 = vsperf_now();
	end = t0 + o->time_s;
	want = o->bytes ? o->bytes : UINT64_MAX;
	while (total < want) {
		chunk = want - total < VSPERF_BUF ? (size_t)(want - total)
						  : VSPERF_BUF;
		if (o->in_stdin) {
			n = read(0, buf, chunk);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				vsperf_die(1, "reading stdin: %s",
					   vsperf_strerror(errno));
			if (!n)
				break;
			chunk = (size_t)n;
		} else if (o->time_s && vsperf_now() >= end) {
			break;
		}
		if (vsperf_send_all(ctx, s, buf, chunk))
			vsperf_die(1, "send: %s", vsperf_strerror(errno));
		total += chunk;
	}
	t1 = vsperf_now();
	if (vsp_shutdown(ctx, s, VS_SHUT_WR) < 0)
		vsperf_die(1, "shutdown: %s", vsperf_strerror(errno));
	/* Wait (bounded) for the sink to read everything and close. */
	while (vsp_poll(ctx, &p, 1, VSPERF_LINGER_MS) == 1 &&
	       (n = vsp_recv(ctx, s, junk, sizeof(junk))) > 0)
		;
	vsperf_rate("source", total, t1 - t0);
	vsp_close(ctx, s);
	free(buf);
	return 0;
}

/**
 * vsperf_hold() - accept connections and keep them open
 * @ctx:	the context
 * @o:		options (--conns: how many)
 *
 * For "many concurrent connections": all --conns are accepted and held,
 * one line says so, then each is read until its peer closes it.
 *
 * Return: exit status
 */
static int vsperf_hold(struct vs_ctx *ctx, const struct vsperf_opts *o)
{
	int l = vsperf_listener(ctx, o), *c;
	unsigned i, n = o->conns;
	char buf[4096];

	if (!n)
		vsperf_die(2, "hold needs --conns N");
	c = calloc(n, sizeof(*c));
	if (!c)
		vsperf_die(1, "out of memory");
	for (i = 0; i < n; i++) {
		c[i] = vsp_accept(ctx, l, NULL);
		if (c[i] < 0)
			vsperf_die(1, "accept %u of %u: %s", i + 1, n,
				   vsperf_strerror(errno));
	}
	fprintf(stderr, "{\"mode\":\"hold\",\"held\":%u}\n", n);
	for (i = 0; i < n; i++) {
		while (vsp_recv(ctx, c[i], buf, sizeof(buf)) > 0)
			;
		vsp_close(ctx, c[i]);
	}
	vsp_close(ctx, l);
	free(c);
	return 0;
}

/**
 * vsperf_pp_server() - echo every connection's bytes back
 * @ctx:	the context
 * @o:		options
 *
 * Return: exit status
 */
static int vsperf_pp_server(struct vs_ctx *ctx, const struct vsperf_opts *o)
{
	char *buf = malloc(VSPERF_BUF);
	int l = vsperf_listener(ctx, o), c;
	unsigned served;
	ssize_t n;

	if (!buf)
		vsperf_die(1, "out of memory");
	for (served = 0; !o->conns || served < o->conns; served++) {
		c = vsp_accept(ctx, l, NULL);
		if (c < 0)
			vsperf_die(1, "accept: %s", vsperf_strerror(errno));
		(void)vsp_setsockopt(ctx, c, VS_OPT_NODELAY, 1);
		while ((n = vsp_recv(ctx, c, buf, VSPERF_BUF)) > 0)
			if (vsperf_send_all(ctx, c, buf, (size_t)n))
				break;
		vsp_close(ctx, c);
	}
	vsp_close(ctx, l);
	free(buf);
	return 0;
}

/**
 * vsperf_cmp() - qsort order for latencies
 * @a:		one
 * @b:		the other
 *
 * Return: <0, 0, >0
 */
static int vsperf_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/**
 * vsperf_pct() - a percentile of sorted samples
 * @v:		sorted samples
 * @n:		how many (> 0)
 * @p:		0..1
 *
 * Return: the nearest-rank value
 */
static double vsperf_pct(const double *v, uint64_t n, double p)
{
	uint64_t k = (uint64_t)(p * (double)n + 0.999999);

	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1];
}

/**
 * vsperf_pingpong() - request/response round trips
 * @ctx:	the context
 * @o:		options
 *
 * Return: exit status
 */
static int vsperf_pingpong(struct vs_ctx *ctx, const struct vsperf_opts *o)
{
	uint64_t cap = o->count ? o->count : VSPERF_SAMPLES, n = 0, got;
	double *lat = malloc(cap * sizeof(double)), t, end, sum = 0;
	char *buf = malloc(o->size);
	int s = vsperf_connect(ctx, o);
	ssize_t r;

	if (!lat || !buf)
		vsperf_die(1, "out of memory");
	memset(buf, 'p', o->size);
	(void)vsp_setsockopt(ctx, s, VS_OPT_NODELAY, 1);
	end = vsperf_now() + o->time_s;
	while (n < cap && (!o->time_s || vsperf_now() < end)) {
		t = vsperf_now();
		if (vsperf_send_all(ctx, s, buf, o->size))
			vsperf_die(1, "send: %s", vsperf_strerror(errno));
		for (got = 0; got < o->size; got += (uint64_t)r) {
			r = vsp_recv(ctx, s, buf + got, o->size - got);
			if (r < 0)
				vsperf_die(1, "recv: %s", vsperf_strerror(errno));
			if (!r)
				vsperf_die(1,
					   "the server closed after %" PRIu64
					   " round trips",
					   n);
		}
		lat[n] = (vsperf_now() - t) * 1e6;
		sum += lat[n++];
	}
	qsort(lat, n, sizeof(double), vsperf_cmp);
	fprintf(stderr,
		"{\"mode\":\"pingpong\",\"size\":%u,\"count\":%" PRIu64
		",\"mean_us\":%.2f,\"p50_us\":%.2f,\"p99_us\":%.2f,"
		"\"p999_us\":%.2f}\n",
		o->size, n, n ? sum / (double)n : 0.0,
		n ? vsperf_pct(lat, n, 0.5) : 0.0,
		n ? vsperf_pct(lat, n, 0.99) : 0.0,
		n ? vsperf_pct(lat, n, 0.999) : 0.0);
	vsp_shutdown(ctx, s, VS_SHUT_WR);
	vsp_close(ctx, s);
	free(lat);
	free(buf);
	return 0;
}

/**
 * vsperf_udp_echo() - send datagrams back
 * @ctx:	the context
 * @o:		options
 *
 * Return: exit status
 */
static int vsperf_udp_echo(struct vs_ctx *ctx, const struct vsperf_opts *o)
{
	static char buf[65536];
	struct sockaddr_in from;
	int s = vsp_socket(ctx, VS_SOCK_DGRAM);
	uint64_t n;
	ssize_t r;

	if (s < 0)
		vsperf_die(1, "socket: %s", vsperf_strerror(errno));
	if (vsp_bind(ctx, s, &o->addr) < 0)
		vsperf_die(1, "bind port %u: %s", ntohs(o->addr.sin_port),
			   vsperf_strerror(errno));
	for (n = 0; !o->count || n < o->count; n++) {
		r = vsp_recvfrom(ctx, s, buf, sizeof(buf), &from);
		if (r < 0)
			vsperf_die(1, "recvfrom: %s", vsperf_strerror(errno));
		if (vsp_sendto(ctx, s, buf, (size_t)r, &from) < 0)
			fprintf(stderr, "vsperf: sendto: %s\n",
				vsperf_strerror(errno));
	}
	fprintf(stderr, "{\"mode\":\"udp-echo\",\"echoed\":%" PRIu64 "}\n", n);
	vsp_close(ctx, s);
	return 0;
}

/**
 * vsperf_udp_take() - take the echoes that are there, or wait for one
 * @ctx:	the context
 * @s:		the socket
 * @wait_ms:	0: only take what is there; else wait this long for one
 * @recvd:	echoes, counted up
 * @bytes:	their bytes, counted up
 *
 * Return: echoes taken
 */
static uint64_t vsperf_udp_take(struct vs_ctx *ctx, int s, int wait_ms,
				uint64_t *recvd, uint64_t *bytes)
{
	static char buf[65536];
	struct vs_pollfd p = {.sock = s, .events = VS_POLLIN};
	uint64_t n = 0;
	ssize_t r;

	if (wait_ms && vsp_poll(ctx, &p, 1, wait_ms) != 1)
		return 0;
	while ((r = vsp_recv(ctx, s, buf, sizeof(buf))) >= 0) {
		n++;
		*bytes += (uint64_t)r;
	}
	*recvd += n;
	return n;
}

/**
 * vsperf_udp_send() - send datagrams, count the echoes
 * @ctx:	the context
 * @o:		options
 *
 * At most --window datagrams are out without an echo: UDP has no flow
 * control, and a burst larger than the receiver's queue would be
 * dropped, which is not what a test wants to measure. A window with no
 * echo for --wait ms counts as lost and the sending goes on.
 *
 * Return: exit status (1 when a send failed)
 */
static int vsperf_udp_send(struct vs_ctx *ctx, const struct vsperf_opts *o)
{
	char *buf = malloc(o->size);
	int s = vsp_socket(ctx, VS_SOCK_DGRAM), status = 0;
	uint64_t sent, recvd = 0, bytes = 0, lost = 0;
	double t0, t1;

	if (s < 0)
		vsperf_die(1, "socket: %s", vsperf_strerror(errno));
	if (!buf)
		vsperf_die(1, "out of memory");
	memset(buf, 'u', o->size);
	/* Non-blocking receive; sends block only while our ring is full. */
	vsp_set_nonblock(ctx, s, 1);
	t0 = vsperf_now();
	for (sent = 0; sent < o->count; sent++) {
		while (sent > recvd + lost &&
		       sent - recvd - lost >= o->window &&
		       !vsperf_udp_take(ctx, s, (int)o->wait_ms, &recvd,
					&bytes))
			lost = sent - recvd; /* the window timed out */
		if (vsp_sendto(ctx, s, buf, o->size, &o->addr) < 0) {
			if (errno == EAGAIN) {
				vsperf_udp_take(ctx, s, 1, &recvd, &bytes);
				sent--;
				continue;
			}
			fprintf(stderr, "vsperf: sendto: %s\n",
				vsperf_strerror(errno));
			status = 1;
			break;
		}
		vsperf_udp_take(ctx, s, 0, &recvd, &bytes);
	}
	while (recvd + lost < sent &&
	       vsperf_udp_take(ctx, s, (int)o->wait_ms, &recvd, &bytes))
		;
	t1 = vsperf_now();
	fprintf(stderr,
		"{\"mode\":\"udp-send\",\"size\":%u,\"sent\":%" PRIu64
		",\"received\":%" PRIu64 ",\"received_bytes\":%" PRIu64
		",\"seconds\":%.6f}\n",
		o->size, sent, recvd, bytes, t1 - t0);
	vsp_close(ctx, s);
	free(buf);
	return status;
}

/**
 * main() - vsperf
 * @argc:	count
 * @argv:	arguments
 *
 * Return: 0, 1 on a run-time failure, 2 on a usage error
 */
int main(int argc, char **argv)
{
	struct vsperf_opts o;
	struct vs_ctx *ctx;
	int ret;

	vsperf_parse(argc, argv, &o);
	signal(SIGPIPE, SIG_IGN);
	if (o.timeout_s) {
		signal(SIGALRM, vsperf_alarm_handler);
		alarm(o.timeout_s);
	}
	ctx = vsperf_kernel ? NULL : vs_open(o.endpoint);
	if (!ctx && !vsperf_kernel)
		vsperf_die(1, "cannot attach to vstackd: %s",
			   vs_open_error()[0] ? vs_open_error()
					      : vsperf_strerror(errno));
	if (!strcmp(o.mode, "sink"))
		ret = vsperf_sink(ctx, &o);
	else if (!strcmp(o.mode, "source"))
		ret = vsperf_source(ctx, &o);
	else if (!strcmp(o.mode, "pingpong-server"))
		ret = vsperf_pp_server(ctx, &o);
	else if (!strcmp(o.mode, "pingpong"))
		ret = vsperf_pingpong(ctx, &o);
	else if (!strcmp(o.mode, "hold"))
		ret = vsperf_hold(ctx, &o);
	else if (!strcmp(o.mode, "udp-echo"))
		ret = vsperf_udp_echo(ctx, &o);
	else
		ret = vsperf_udp_send(ctx, &o);
	if (ctx)
		vs_close_ctx(ctx);
	return ret;
}
