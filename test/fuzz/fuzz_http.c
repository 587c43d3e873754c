// SPDX-License-Identifier: MIT
/*
 * fuzz_http.c - libFuzzer target: the metrics endpoint's request parser
 *
 * Anyone who can reach the metrics port can send these bytes. The parser
 * must answer anything with a verdict, never read outside the buffer, and
 * keep its promises: a complete head lies within the bytes given and
 * within HTTP_MAX_REQUEST, its path is a NUL-terminated origin-form path,
 * and a prefix of a request is never judged complete sooner than the
 * whole (the server parses growing prefixes as bytes arrive). The same
 * bytes, as text, go to the listening-address parser of --metrics.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_request req, pre;
	struct sockaddr_storage ss;
	socklen_t sslen;
	char text[HTTP_ADDR_MAX * 2], err[256];
	int rc, prc, st;

	rc = http_request_parse((const char *)data, size, &req);
	if (rc == 0) {
		if (req.head_len == 0 || req.head_len > size ||
		    req.head_len > HTTP_MAX_REQUEST)
			abort();
		if (req.path[0] != '/' ||
		    strnlen(req.path, sizeof(req.path)) >= sizeof(req.path))
			abort();
		if (req.method != HTTP_GET && req.method != HTTP_HEAD &&
		    req.method != HTTP_OTHER)
			abort();
		/* One byte short of the head is not complete yet. */
		prc = http_request_parse((const char *)data, req.head_len - 1,
					 &pre);
		if (prc == 0)
			abort();
	} else if (rc != -EAGAIN) {
		st = http_status_of(rc);
		if (st != 400 && st != 414 && st != 431 && st != 505)
			abort();
	}

	if (size < sizeof(text)) {
		memcpy(text, data, size);
		text[size] = '\0';
		if (!http_addr_parse(text, &ss, &sslen, err, sizeof(err)) &&
		    sslen > sizeof(ss))
			abort();
	}
	return 0;
}
