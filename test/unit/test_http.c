// SPDX-License-Identifier: MIT
/*
 * test_http.c - the metrics endpoint's request and address parsers, and
 *		 the metrics key of the daemon settings
 */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/cunit_run.h"
#include "config.h"
#include "http.h"

/**
 * struct http_case - one request and the verdict expected
 * @text:	request bytes
 * @rc:		http_request_parse() result
 * @method:	method, when @rc is 0
 * @path:	path, when @rc is 0
 */
struct http_case {
	const char *text;
	int rc;
	enum http_method method;
	const char *path;
};

static void test_request_parse(void)
{
	static const struct http_case cases[] = {
		{ "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 0, HTTP_GET, "/metrics" },
		{ "GET /metrics HTTP/1.0\r\n\r\n", 0, HTTP_GET, "/metrics" },
		{ "HEAD /metrics?a=b HTTP/1.1\n\n", 0, HTTP_HEAD, "/metrics" },
		{ "POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", 0, HTTP_OTHER, "/metrics" },
		{ "get /metrics HTTP/1.1\r\n\r\n", 0, HTTP_OTHER, "/metrics" },
		{ "GET / HTTP/1.1\r\nA:\r\nB: \t x\r\n\r\n", 0, HTTP_GET, "/" },
		/* Not complete yet. */
		{ "", -EAGAIN, 0, NULL },
		{ "GET /metrics HTTP/1.1", -EAGAIN, 0, NULL },
		{ "GET /metrics HTTP/1.1\r\nHost: x\r\n", -EAGAIN, 0, NULL },
		{ "GET /metrics HTTP/1.1\r\nHost: x\r\n\r", -EAGAIN, 0, NULL },
		/* Malformed: 400 at once, without waiting for the rest. */
		{ "GET /metrics\r\n", -EINVAL, 0, NULL },
		{ "GET  /metrics HTTP/1.1\r\n", -EINVAL, 0, NULL },
		{ "GET metrics HTTP/1.1\r\n", -EINVAL, 0, NULL },
		{ "GET http://h/metrics HTTP/1.1\r\n", -EINVAL, 0, NULL },
		{ "GET /metrics HTTP/1.1 \r\n", -EINVAL, 0, NULL },
		{ "GET /metrics FTP/1.1\r\n", -EINVAL, 0, NULL },
		{ "G(T /metrics HTTP/1.1\r\n", -EINVAL, 0, NULL },
		{ "\r\nGET /metrics HTTP/1.1\r\n\r\n", -EINVAL, 0, NULL },
		{ "GET /metrics HTTP/1.1\rX\n\r\n", -EINVAL, 0, NULL },
		{ "GET /metrics HTTP/1.1\r\n folded: x\r\n\r\n", -EINVAL, 0, NULL },
		{ "GET /metrics HTTP/1.1\r\nNo colon\r\n\r\n", -EINVAL, 0, NULL },
		{ "GET /metrics HTTP/1.1\r\nA: b\x01\r\n\r\n", -EINVAL, 0, NULL },
		{ "GET /metrics HTTP/1.1\r\n: b\r\n\r\n", -EINVAL, 0, NULL },
		{ "GET /metrics HTTP/2.0\r\n\r\n", -EPROTONOSUPPORT, 0, NULL },
		{ "GET /metrics HTTP/0.9\r\n\r\n", -EPROTONOSUPPORT, 0, NULL },
	};
	struct http_request req;
	unsigned i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct http_case *c = &cases[i];
		int rc = http_request_parse(c->text, strlen(c->text), &req);

		if (rc != c->rc)
			fprintf(stderr, "\ncase %u: got %d, want %d\n", i, rc,
				c->rc);
		CU_ASSERT_EQUAL(rc, c->rc);
		if (rc || c->rc)
			continue;
		CU_ASSERT_EQUAL(req.method, c->method);
		CU_ASSERT_STRING_EQUAL(req.path, c->path);
		CU_ASSERT_TRUE(req.head_len <= strlen(c->text));
	}
	/* A NUL byte in a header. */
	CU_ASSERT_EQUAL(http_request_parse("GET / HTTP/1.1\r\nA: \0\r\n\r\n", 24,
					   &req), -EINVAL);
}

static void test_request_limits(void)
{
	struct http_request req;
	char *big = malloc(HTTP_MAX_REQUEST * 2);
	size_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	/* A head that does not end within HTTP_MAX_REQUEST: 431. */
	n = (size_t)snprintf(big, HTTP_MAX_REQUEST * 2, "GET /metrics HTTP/1.1\r\nX: ");
	memset(big + n, 'a', HTTP_MAX_REQUEST * 2 - n);
	CU_ASSERT_EQUAL(http_request_parse(big, HTTP_MAX_REQUEST - 1, &req), -EAGAIN);
	CU_ASSERT_EQUAL(http_request_parse(big, HTTP_MAX_REQUEST, &req), -EMSGSIZE);
	CU_ASSERT_EQUAL(http_request_parse(big, HTTP_MAX_REQUEST * 2, &req), -EMSGSIZE);
	CU_ASSERT_EQUAL(http_status_of(-EMSGSIZE), 431);

	/* Many short header lines add up to the same limit. */
	for (n = 0; n + 5 <= HTTP_MAX_REQUEST * 2; n += 5)
		memcpy(big + n, "A: b\n", 5);
	memcpy(big, "GET / HTTP/1.1\n", 15);
	CU_ASSERT_EQUAL(http_request_parse(big, n, &req), -EMSGSIZE);

	/* The longest path that fits, and one byte more: 414. */
	memcpy(big, "GET /", 5);
	memset(big + 5, 'p', HTTP_PATH_MAX - 2);
	n = 5 + HTTP_PATH_MAX - 2;
	memcpy(big + n, " HTTP/1.1\r\n\r\n", 13);
	CU_ASSERT_EQUAL(http_request_parse(big, n + 13, &req), 0);
	CU_ASSERT_EQUAL(strlen(req.path), HTTP_PATH_MAX - 1);
	memmove(big + n + 1, big + n, 13);
	big[n] = 'p';
	CU_ASSERT_EQUAL(http_request_parse(big, n + 14, &req), -ENAMETOOLONG);
	CU_ASSERT_EQUAL(http_status_of(-ENAMETOOLONG), 414);
	free(big);
}

static void test_addr_parse(void)
{
	static const char *const bad[] = {
		"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
		"127.0.0.1:99999999999999999999", "127.0.0.1:9x", ":9470",
		"localhost:9470", "::1:9470", "[::1]", "[::1]9470", "[::1:9470",
		"[127.0.0.1]:9470", "256.0.0.1:9470", "[]:1", "1.2.3.4:+5",
	};
	struct sockaddr_storage ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	socklen_t len = 0;
	char err[256], buf[64];
	unsigned i;

	CU_ASSERT_EQUAL(http_addr_parse("127.0.0.1:9470", &ss, &len, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ss.ss_family, AF_INET);
	CU_ASSERT_EQUAL(len, sizeof(*a4));
	CU_ASSERT_EQUAL(ntohs(a4->sin_port), 9470);
	CU_ASSERT_EQUAL(ntohl(a4->sin_addr.s_addr), 0x7f000001);
	CU_ASSERT_EQUAL(http_addr_parse("0.0.0.0:65535", &ss, &len, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ntohs(a4->sin_port), 65535);

	CU_ASSERT_EQUAL(http_addr_parse("[::1]:1", &ss, &len, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ss.ss_family, AF_INET6);
	CU_ASSERT_EQUAL(len, sizeof(*a6));
	CU_ASSERT_EQUAL(ntohs(a6->sin6_port), 1);
	inet_ntop(AF_INET6, &a6->sin6_addr, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "::1");
	CU_ASSERT_EQUAL(http_addr_parse("[fd00:7a::2]:9470", &ss, &len, err, sizeof(err)), 0);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc;

		err[0] = '\0';
		rc = http_addr_parse(bad[i], &ss, &len, err, sizeof(err));
		if (rc != -EINVAL)
			fprintf(stderr, "\naccepted '%s'\n", bad[i]);
		CU_ASSERT_EQUAL(rc, -EINVAL);
		CU_ASSERT_NOT_EQUAL(err[0], '\0');
	}
}

static void test_config_metrics(void)
{
	static const char ini[] = "[daemon]\nmetrics = [::1]:9470\n";
	struct config_daemon d = { 0 }, cli = { 0 };
	struct config c;
	char err[256];

	CU_ASSERT_EQUAL(config_daemon_set(&d, "metrics", "127.0.0.1:9470", err,
					  sizeof(err)), 0);
	CU_ASSERT_TRUE(d.set & CONFIG_METRICS);
	CU_ASSERT_STRING_EQUAL(d.metrics, "127.0.0.1:9470");
	CU_ASSERT_EQUAL(config_daemon_set(&cli, "metrics", "[::]:9471", err,
					  sizeof(err)), 0);
	config_daemon_merge(&d, &cli);
	CU_ASSERT_STRING_EQUAL(d.metrics, "[::]:9471");

	err[0] = '\0';
	CU_ASSERT_EQUAL(config_daemon_set(&cli, "metrics", "localhost:9470",
					  err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "localhost:9470"));
	CU_ASSERT_STRING_EQUAL(cli.metrics, "[::]:9471");

	CU_ASSERT_EQUAL_FATAL(config_parse_buffer(&c, "t.ini", ini,
						  sizeof(ini) - 1, err,
						  sizeof(err)), 0);
	CU_ASSERT_TRUE(c.daemon.set & CONFIG_METRICS);
	CU_ASSERT_STRING_EQUAL(c.daemon.metrics, "[::1]:9470");
	config_free(&c);
	CU_ASSERT_EQUAL(config_parse_buffer(&c, "t.ini", "[daemon]\nmetrics = 1.2.3.4\n",
					    27, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.ini:2:"));
	config_free(&c);
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "request parser verdicts", test_request_parse },
		{ "request size limits", test_request_limits },
		{ "listening address parser", test_addr_parse },
		{ "[daemon] metrics and --metrics", test_config_metrics },
	};

	return cunit_run("http", tests, sizeof(tests) / sizeof(tests[0]),
			 NULL, NULL);
}
