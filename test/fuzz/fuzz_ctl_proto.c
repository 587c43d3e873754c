// SPDX-License-Identifier: MIT
/*
 * fuzz_ctl_proto.c - libFuzzer target: control requests and config files
 *
 * The same bytes go to the request parser (as one line from a client) and
 * to the config file parser (as a file's contents): both read text from
 * outside the daemon and must answer anything with an error, never crash
 * or leak.
 */
#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_request req;
	struct json_object *res;
	struct config c;
	char err[512];
	size_t len;
	char *line;

	if (!proto_request_parse((const char *)data, size, &req, err,
				 sizeof(err))) {
		/* Exercise the typed accessors on whatever was accepted. */
		uint64_t u;
		bool b;
		size_t i, n = proto_arg_list_len(&req, "addresses");

		(void)proto_arg_str(&req, "name");
		(void)proto_arg_uint(&req, "mtu", &u);
		(void)proto_arg_bool(&req, "offload", &b);
		for (i = 0; i < n; i++)
			(void)proto_arg_list_str(&req, "addresses", i);
		proto_request_free(&req);
	} else {
		line = proto_response_error(err, &len);
		free(line);
	}

	if (!proto_response_parse((const char *)data, size, &res, err,
				  sizeof(err)))
		json_object_put(res);

	config_parse_buffer(&c, "fuzz.ini", (const char *)data, size, err,
			    sizeof(err));
	config_free(&c);
	return 0;
}
