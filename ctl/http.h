/* SPDX-License-Identifier: MIT */
/*
 * http.h - a minimal HTTP/1.x server for GET /metrics, in the control loop
 *
 * Just enough HTTP for a Prometheus scraper: one request per connection,
 * GET or HEAD of one path, "Connection: close". The sockets are
 * non-blocking and live in the control thread's poll loop (see server.c):
 * http_pollfds() fills HTTP_POLLFDS poll entries, http_handle() acts on
 * their events and on the connections' deadlines.
 */
#ifndef VSTACK_CTL_HTTP_H
#define VSTACK_CTL_HTTP_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define HTTP_MAX_CONNS 8          /* concurrent connections */
#define HTTP_POLLFDS (1 + HTTP_MAX_CONNS)
#define HTTP_MAX_REQUEST 4096     /* request line and headers, bytes */
#define HTTP_PATH_MAX 256         /* request target, bytes */
#define HTTP_READ_TIMEOUT_MS 5000 /* from accept to the end of the headers */
#define HTTP_WRITE_TIMEOUT_MS 10000 /* to write the response */
#define HTTP_ADDR_MAX 64          /* "[v6 literal]:port" and its NUL */
#define HTTP_METRICS_PATH "/metrics"

enum http_method {
	HTTP_GET,
	HTTP_HEAD,
	HTTP_OTHER, /* any other token: 405 */
};

/**
 * struct http_request - a parsed request head
 * @method:	method
 * @path:	request target up to '?', NUL-terminated
 * @head_len:	bytes of the head, final blank line included
 */
struct http_request {
	enum http_method method;
	char path[HTTP_PATH_MAX];
	size_t head_len;
};

int http_request_parse(const char *buf, size_t len, struct http_request *req);
int http_status_of(int parse_rc);

int http_addr_parse(const char *s, struct sockaddr_storage *ss,
		    socklen_t *sslen, char *err, size_t errlen);

/**
 * typedef http_body_fn - produce the body of GET /metrics
 * @ctx:	as given to http_open()
 * @body:	malloc'd body on success
 * @len:	its length
 *
 * Return: 0 or -errno (the client gets a 500)
 */
typedef int (*http_body_fn)(void *ctx, char **body, size_t *len);

struct http;

int http_open(struct http **out, const char *addr, http_body_fn fn,
	      void *ctx, char *err, size_t errlen);
void http_close(struct http *h);
unsigned http_pollfds(struct http *h, struct pollfd *pfd);
bool http_busy(const struct http *h);
void http_handle(struct http *h, const struct pollfd *pfd);

#endif /* VSTACK_CTL_HTTP_H */
