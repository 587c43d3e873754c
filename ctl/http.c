// SPDX-License-Identifier: MIT
/*
 * http.c - a minimal HTTP/1.x server for GET /metrics, in the control loop
 *
 * Theory of operation
 *
 * The control thread must never wait on a scraper: it also serves the
 * control socket and ticks the switch. So everything here is non-blocking
 * and bounded:
 *
 *  - at most HTTP_MAX_CONNS connections; one more is answered 503 (if its
 *    socket takes the few bytes at once) and closed;
 *  - a connection is READING until its request head is complete: at most
 *    HTTP_MAX_REQUEST bytes (more is 431) within HTTP_READ_TIMEOUT_MS of
 *    the accept (later is 408, so a client sending one byte a second, the
 *    "slowloris", holds a slot for a few seconds and nothing else);
 *  - then WRITING its response, built in one piece, within
 *    HTTP_WRITE_TIMEOUT_MS (a client that does not read is dropped);
 *  - then DRAINING: our side is shut down for writing and whatever the
 *    client still sends (a body we never read) is read and thrown away
 *    until it closes, for at most HTTP_DRAIN_MS; closing a socket with
 *    unread input would send a reset that can destroy the response before
 *    the client has read it (RFC 9112, section 9.6).
 *
 * Deadlines are checked whenever the loop wakes, which is at least once a
 * second (the control loop's timer), so they hold to within a second.
 *
 * One request per connection ("Connection: close"), no keep-alive, no
 * chunked bodies: a scraper needs nothing else. Routing: the path
 * HTTP_METRICS_PATH (query ignored) answers GET and HEAD, and 405 with an
 * Allow header to any other method; every other path is 404.
 *
 * The request parser is a pure function over bytes (fuzzed by
 * test/fuzz/fuzz_http.c): request line and header lines are checked
 * against the RFC 9112 grammar as far as we use it, and anything else is
 * refused, since nothing but a scraper has any business here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fdlimit.h"
#include "http.h"
#include "log.h"
#include "metrics.h"

#define HTTP_BACKLOG 16
#define HTTP_DRAIN_MS 2000
#define HTTP_ACCEPTS_PER_WAKE 16
#define HTTP_METHOD_MAX 32

enum http_state {
	HTTP_FREE,
	HTTP_READING,
	HTTP_WRITING,
	HTTP_DRAINING,
};

/**
 * struct http_conn - one client connection
 * @fd:		socket, -1 when free
 * @state:	where it is, see the theory of operation
 * @deadline:	CLOCK_MONOTONIC ms by which the current state must end
 * @in:		request bytes so far
 * @inlen:	bytes in @in
 * @out:	response (malloc'd), while WRITING
 * @outlen:	its length
 * @outoff:	bytes already sent
 */
struct http_conn {
	int fd;
	enum http_state state;
	uint64_t deadline;
	char in[HTTP_MAX_REQUEST];
	size_t inlen;
	char *out;
	size_t outlen;
	size_t outoff;
};

/**
 * struct http - the listening socket and its connections
 * @lfd:	listening socket
 * @addr:	address as given, for messages
 * @fn:		body of GET /metrics
 * @ctx:	its argument
 * @conns:	connection slots
 */
struct http {
	int lfd;
	char addr[HTTP_ADDR_MAX];
	http_body_fn fn;
	void *ctx;
	struct http_conn conns[HTTP_MAX_CONNS];
};

/* ---- parsing ------------------------------------------------------------ */

/**
 * http_tchar() - is @c a token character (RFC 9110, section 5.6.2)?
 * @c:		byte
 *
 * Return: true if so
 */
static bool http_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/**
 * http_parse_request_line() - method, target and version of a request line
 * @l:		line, without its line ending
 * @n:		its length
 * @req:	method and path are filled in
 *
 * Return: 0, -EINVAL (400), -ENAMETOOLONG (414) or -EPROTONOSUPPORT (505)
 */
static int http_parse_request_line(const char *l, size_t n,
				   struct http_request *req)
{
	size_t i = 0, m, t, q;

	while (i < n && http_tchar((unsigned char)l[i]))
		i++;
	m = i;
	if (!m || m > HTTP_METHOD_MAX || i >= n || l[i] != ' ')
		return -EINVAL;
	if (m == 3 && !memcmp(l, "GET", 3))
		req->method = HTTP_GET;
	else if (m == 4 && !memcmp(l, "HEAD", 4))
		req->method = HTTP_HEAD;
	else
		req->method = HTTP_OTHER;

	/* Origin form only (RFC 9112, section 3.2.1): "/path?query". */
	t = ++i;
	while (i < n && l[i] > 0x20 && l[i] < 0x7f)
		i++;
	if (i == t || l[t] != '/' || i >= n || l[i] != ' ')
		return -EINVAL;
	q = t;
	while (q < i && l[q] != '?')
		q++;
	if (q - t >= sizeof(req->path))
		return -ENAMETOOLONG;
	memcpy(req->path, l + t, q - t);
	req->path[q - t] = '\0';

	i++;
	if (n - i == 8 && (!memcmp(l + i, "HTTP/1.1", 8) ||
			   !memcmp(l + i, "HTTP/1.0", 8)))
		return 0;
	if (n - i == 8 && !memcmp(l + i, "HTTP/", 5) && l[i + 5] >= '0' &&
	    l[i + 5] <= '9' && l[i + 6] == '.' && l[i + 7] >= '0' &&
	    l[i + 7] <= '9')
		return -EPROTONOSUPPORT;
	return -EINVAL;
}

/**
 * http_parse_header() - check one header field line
 * @l:		line, without its line ending
 * @n:		its length, > 0
 *
 * No header matters to us, but a malformed one means a client we do not
 * understand (and obsolete line folding, a line starting with blanks, is
 * refused as RFC 9112 section 5.2 allows).
 *
 * Return: 0 or -EINVAL
 */
static int http_parse_header(const char *l, size_t n)
{
	size_t i = 0;

	while (i < n && http_tchar((unsigned char)l[i]))
		i++;
	if (!i || i >= n || l[i] != ':')
		return -EINVAL;
	for (i++; i < n; i++) {
		unsigned char c = (unsigned char)l[i];

		if (c != '\t' && (c < 0x20 || c == 0x7f))
			return -EINVAL;
	}
	return 0;
}

/**
 * http_request_parse() - parse a request head
 * @buf:	bytes received so far (need not be NUL-terminated)
 * @len:	their number
 * @req:	result, on success
 *
 * Lines end in CRLF or, leniently, LF (RFC 9112, section 2.2); a bare CR
 * is refused. The request line is judged as soon as it is complete, so a
 * malformed request is answered without waiting for the rest.
 *
 * Return: 0 with @req filled; -EAGAIN if the head is not complete yet;
 * -EMSGSIZE if it is not complete within HTTP_MAX_REQUEST bytes; or what
 * http_parse_request_line() and http_parse_header() return
 */
int http_request_parse(const char *buf, size_t len, struct http_request *req)
{
	size_t off = 0, lineno = 0;
	int rc;

	memset(req, 0, sizeof(*req));
	for (;;) {
		const char *nl;
		size_t n, avail = len - off;

		if (off >= HTTP_MAX_REQUEST)
			return -EMSGSIZE;
		if (avail > HTTP_MAX_REQUEST - off)
			avail = HTTP_MAX_REQUEST - off;
		nl = memchr(buf + off, '\n', avail);
		if (!nl)
			return len >= HTTP_MAX_REQUEST ? -EMSGSIZE : -EAGAIN;
		n = (size_t)(nl - (buf + off));
		if (n && buf[off + n - 1] == '\r')
			n--;
		if (memchr(buf + off, '\r', n) || memchr(buf + off, '\0', n))
			return -EINVAL;
		if (!lineno) {
			if ((rc = http_parse_request_line(buf + off, n, req)))
				return rc;
		} else if (!n) {
			req->head_len = (size_t)(nl - buf) + 1;
			return 0;
		} else if ((rc = http_parse_header(buf + off, n))) {
			return rc;
		}
		lineno++;
		off = (size_t)(nl - buf) + 1;
	}
}

/**
 * http_status_of() - the status code answering a parse error
 * @parse_rc:	http_request_parse()'s return value, not 0 or -EAGAIN
 *
 * Return: 400, 414, 431 or 505
 */
int http_status_of(int parse_rc)
{
	switch (parse_rc) {
	case -ENAMETOOLONG:
		return 414;
	case -EMSGSIZE:
		return 431;
	case -EPROTONOSUPPORT:
		return 505;
	default:
		return 400;
	}
}

/**
 * http_addr_parse() - a listening address, "A.B.C.D:PORT" or "[V6]:PORT"
 * @s:		text
 * @ss:		result
 * @sslen:	its length
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Only literal addresses: resolving a name at start-up would make the
 * daemon's start depend on DNS.
 *
 * Return: 0 or -EINVAL
 */
int http_addr_parse(const char *s, struct sockaddr_storage *ss,
		    socklen_t *sslen, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *p;
	unsigned long port = 0;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			goto bad;
		hl = (size_t)(rb - s - 1);
		p = s + 1;
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', (size_t)(colon - s)))
			goto bad; /* a bare IPv6 literal needs brackets */
		hl = (size_t)(colon - s);
		p = s;
	}
	if (!hl || hl >= sizeof(host))
		goto bad;
	memcpy(host, p, hl);
	host[hl] = '\0';
	for (p = colon + 1; *p >= '0' && *p <= '9' && port <= 65535; p++)
		port = port * 10 + (unsigned long)(*p - '0');
	if (p == colon + 1 || *p || port < 1 || port > 65535)
		goto bad;

	if (s[0] == '[') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			goto bad;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*sslen = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			goto bad;
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*sslen = sizeof(*a4);
	}
	return 0;
bad:
	snprintf(err, errlen,
		 "invalid metrics address '%.64s': expected ADDR:PORT with a literal IPv4 address or [IPv6] address and a port 1..65535",
		 s);
	return -EINVAL;
}

/* ---- connections -------------------------------------------------------- */

/**
 * http_now_ms() - CLOCK_MONOTONIC in milliseconds
 *
 * Return: now
 */
static uint64_t http_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/**
 * http_reason() - the reason phrase of a status code we send
 * @status:	status code
 *
 * Return: phrase
 */
static const char *http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Internal Server Error";
	}
}

/**
 * http_response() - build a whole response
 * @status:	status code
 * @type:	Content-Type of @body
 * @body:	body
 * @blen:	its length
 * @head_only:	a HEAD request: headers only, Content-Length of the body
 * @len:	length of the result
 *
 * Return: malloc'd response, or NULL when out of memory
 */
static char *http_response(int status, const char *type, const char *body,
			   size_t blen, bool head_only, size_t *len)
{
	char head[256];
	size_t hl;
	char *r;
	int n;

	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%sConnection: close\r\n\r\n",
		     status, http_reason(status), type, blen,
		     status == 405 ? "Allow: GET, HEAD\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(head))
		return NULL;
	hl = (size_t)n;
	if (head_only)
		blen = 0;
	r = malloc(hl + blen + 1);
	if (!r)
		return NULL;
	memcpy(r, head, hl);
	if (blen)
		memcpy(r + hl, body, blen);
	r[hl + blen] = '\0';
	*len = hl + blen;
	return r;
}

/**
 * http_error_response() - a response with a one-line text body
 * @status:	status code
 * @head_only:	a HEAD request
 * @len:	length of the result
 *
 * Return: malloc'd response, or NULL when out of memory
 */
static char *http_error_response(int status, bool head_only, size_t *len)
{
	char body[64];
	int n = snprintf(body, sizeof(body), "%d %s\n", status,
			 http_reason(status));

	return http_response(status, "text/plain; charset=utf-8", body,
			     (size_t)n, head_only, len);
}

/**
 * http_conn_close() - free a slot
 * @c:		connection
 */
static void http_conn_close(struct http_conn *c)
{
	close(c->fd);
	free(c->out);
	c->fd = -1;
	c->state = HTTP_FREE;
	c->out = NULL;
	c->inlen = c->outlen = c->outoff = 0;
}

/**
 * http_conn_drain() - done writing: shut our side, read what is left
 * @c:		connection
 */
static void http_conn_drain(struct http_conn *c)
{
	free(c->out);
	c->out = NULL;
	shutdown(c->fd, SHUT_WR);
	c->state = HTTP_DRAINING;
	c->deadline = http_now_ms() + HTTP_DRAIN_MS;
}

/**
 * http_conn_flush() - send as much of the response as the socket takes
 * @c:		connection, WRITING
 */
static void http_conn_flush(struct http_conn *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = send(c->fd, c->out + c->outoff,
				 c->outlen - c->outoff, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			http_conn_close(c);
			return;
		}
		c->outoff += (size_t)n;
	}
	http_conn_drain(c);
}

/**
 * http_conn_respond() - start writing a response
 * @c:		connection
 * @resp:	malloc'd response, or NULL (out of memory: hang up)
 * @len:	its length
 */
static void http_conn_respond(struct http_conn *c, char *resp, size_t len)
{
	if (!resp) {
		http_conn_close(c);
		return;
	}
	c->out = resp;
	c->outlen = len;
	c->outoff = 0;
	c->state = HTTP_WRITING;
	c->deadline = http_now_ms() + HTTP_WRITE_TIMEOUT_MS;
	http_conn_flush(c);
}

/**
 * http_conn_request() - answer a complete request
 * @h:		server
 * @c:		connection
 * @req:	the request
 */
static void http_conn_request(struct http *h, struct http_conn *c,
			      const struct http_request *req)
{
	bool head = req->method == HTTP_HEAD;
	char *body = NULL, *resp;
	size_t blen = 0, len = 0;
	int rc;

	if (strcmp(req->path, HTTP_METRICS_PATH)) {
		resp = http_error_response(404, head, &len);
	} else if (req->method == HTTP_OTHER) {
		resp = http_error_response(405, false, &len);
	} else if ((rc = h->fn(h->ctx, &body, &blen))) {
		log_warn("metrics: cannot render: %s", strerror(-rc));
		resp = http_error_response(500, head, &len);
	} else {
		resp = http_response(200, METRICS_CONTENT_TYPE, body, blen,
				     head, &len);
	}
	free(body);
	http_conn_respond(c, resp, len);
}

/**
 * http_conn_read() - take what a client sent
 * @h:		server
 * @c:		connection, READING or DRAINING
 */
static void http_conn_read(struct http *h, struct http_conn *c)
{
	struct http_request req;
	char sink[4096];
	ssize_t n;
	int rc;

	if (c->state == HTTP_DRAINING) {
		n = recv(c->fd, sink, sizeof(sink), 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			http_conn_close(c);
		return;
	}
	n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			http_conn_close(c);
		return;
	}
	if (n == 0) {
		/* Gone before its request was complete: nobody to answer. */
		http_conn_close(c);
		return;
	}
	c->inlen += (size_t)n;
	rc = http_request_parse(c->in, c->inlen, &req);
	if (rc == -EAGAIN)
		return;
	if (rc) {
		size_t len = 0;
		char *resp;

		log_debug("metrics: refusing a request (%d)",
			  http_status_of(rc));
		resp = http_error_response(http_status_of(rc), false, &len);
		http_conn_respond(c, resp, len);
		return;
	}
	http_conn_request(h, c, &req);
}

/**
 * http_accept() - take new connections while there are free slots
 * @h:		server
 */
static void http_accept(struct http *h)
{
	/* No free slot, or no descriptor: the same answer. */
	static const char busy[] =
		"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
	unsigned i, k;

	for (k = 0; k < HTTP_ACCEPTS_PER_WAKE; k++) {
		struct http_conn *c = NULL;
		int fd = fdlimit_accept(h->lfd, "metrics", busy,
					sizeof(busy) - 1);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("metrics: accept on %s: %s", h->addr,
					 strerror(errno));
			return;
		}
		for (i = 0; i < HTTP_MAX_CONNS; i++) {
			if (h->conns[i].state == HTTP_FREE) {
				c = &h->conns[i];
				break;
			}
		}
		if (!c) {
			if (send(fd, busy, sizeof(busy) - 1,
				 MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
				/* It sees the connection close instead. */
			}
			close(fd);
			continue;
		}
		c->fd = fd;
		c->state = HTTP_READING;
		c->inlen = 0;
		c->deadline = http_now_ms() + HTTP_READ_TIMEOUT_MS;
	}
}

/**
 * http_open() - listen for scrapers
 * @out:	result
 * @addr:	"A.B.C.D:PORT" or "[V6]:PORT"
 * @fn:		produces the body of GET /metrics
 * @ctx:	its argument
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -errno
 */
int http_open(struct http **out, const char *addr, http_body_fn fn,
	      void *ctx, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct http *h;
	socklen_t sslen = 0;
	unsigned i;
	int rc, one = 1;

	*out = NULL;
	if ((rc = http_addr_parse(addr, &ss, &sslen, err, errlen)))
		return rc;
	h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	snprintf(h->addr, sizeof(h->addr), "%s", addr);
	h->fn = fn;
	h->ctx = ctx;
	for (i = 0; i < HTTP_MAX_CONNS; i++)
		h->conns[i].fd = -1;
	h->lfd = socket(ss.ss_family,
			SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->lfd < 0) {
		rc = -errno;
		snprintf(err, errlen, "metrics: socket: %s", strerror(-rc));
		goto out;
	}
	setsockopt(h->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(h->lfd, (struct sockaddr *)&ss, sslen) ||
	    listen(h->lfd, HTTP_BACKLOG)) {
		rc = -errno;
		snprintf(err, errlen, "metrics: cannot listen on %s: %s", addr,
			 strerror(-rc));
		goto out;
	}
	*out = h;
	return 0;
out:
	if (h->lfd >= 0)
		close(h->lfd);
	free(h);
	return rc;
}

/**
 * http_close() - close every connection and the listening socket
 * @h:		server, may be NULL
 */
void http_close(struct http *h)
{
	unsigned i;

	if (!h)
		return;
	for (i = 0; i < HTTP_MAX_CONNS; i++)
		if (h->conns[i].state != HTTP_FREE)
			http_conn_close(&h->conns[i]);
	close(h->lfd);
	free(h);
}

/**
 * http_pollfds() - the poll entries of the server
 * @h:		server
 * @pfd:	HTTP_POLLFDS entries to fill: the listening socket, then one
 *		per connection slot (fd -1 when free)
 *
 * Return: HTTP_POLLFDS
 */
unsigned http_pollfds(struct http *h, struct pollfd *pfd)
{
	unsigned i;

	pfd[0] = (struct pollfd){ .fd = h->lfd, .events = POLLIN };
	for (i = 0; i < HTTP_MAX_CONNS; i++) {
		const struct http_conn *c = &h->conns[i];

		pfd[1 + i] = (struct pollfd){ .fd = c->fd };
		if (c->state == HTTP_WRITING)
			pfd[1 + i].events = POLLOUT;
		else if (c->state != HTTP_FREE)
			pfd[1 + i].events = POLLIN;
	}
	return HTTP_POLLFDS;
}

/**
 * http_busy() - is a connection open (its deadline needs the tick)?
 * @h:		server
 *
 * Return: true if so
 */
bool http_busy(const struct http *h)
{
	unsigned i;

	for (i = 0; i < HTTP_MAX_CONNS; i++)
		if (h->conns[i].state != HTTP_FREE)
			return true;
	return false;
}

/**
 * http_handle() - act on poll events and expired deadlines
 * @h:		server
 * @pfd:	the entries http_pollfds() filled, with their revents
 */
void http_handle(struct http *h, const struct pollfd *pfd)
{
	uint64_t now;
	unsigned i;

	for (i = 0; i < HTTP_MAX_CONNS; i++) {
		struct http_conn *c = &h->conns[i];
		short re = pfd[1 + i].revents;

		if (c->state == HTTP_FREE || pfd[1 + i].fd != c->fd || !re)
			continue;
		if (c->state == HTTP_WRITING && (re & POLLOUT))
			http_conn_flush(c);
		else if (c->state != HTTP_WRITING && (re & (POLLIN | POLLHUP)))
			http_conn_read(h, c);
		else if (re & (POLLERR | POLLHUP | POLLNVAL))
			http_conn_close(c);
	}

	now = http_now_ms();
	for (i = 0; i < HTTP_MAX_CONNS; i++) {
		struct http_conn *c = &h->conns[i];

		if (c->state == HTTP_FREE || now < c->deadline)
			continue;
		if (c->state == HTTP_READING) {
			static const char slow[] =
				"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

			log_debug("metrics: request not complete within %u ms",
				  HTTP_READ_TIMEOUT_MS);
			if (send(c->fd, slow, sizeof(slow) - 1,
				 MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
				/* It sees the connection close instead. */
			}
		}
		http_conn_close(c);
	}

	if (pfd[0].revents & POLLIN)
		http_accept(h);
}
