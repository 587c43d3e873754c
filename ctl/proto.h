/* SPDX-License-Identifier: MIT */
/*
 * proto.h - the control protocol between vstackctl and vstackd
 *
 * Newline-delimited JSON over a Unix stream socket, one request and one
 * response per line:
 *
 *	{"version":1,"command":"port.add","args":{"name":"tap1","mtu":9000}}
 *	{"version":1,"ok":true,"result":{...}}
 *	{"version":1,"ok":false,"error":"one clear line"}
 *
 * proto_request_parse() checks a request completely against the command's
 * argument table (names, types, required arguments) before any handler
 * sees it, so handlers read typed values with the proto_arg_*() helpers
 * and never meet a malformed request.
 */
#ifndef VSTACK_CTL_PROTO_H
#define VSTACK_CTL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;

#define PROTO_VERSION 1
#define PROTO_MAX_REQUEST 65536 /* bytes in a request line, newline excluded */

enum proto_cmd {
	PROTO_TENANT_ADD,
	PROTO_TENANT_SET,
	PROTO_TENANT_DEL,
	PROTO_TENANT_LIST,
	PROTO_PORT_ADD,
	PROTO_PORT_DEL,
	PROTO_PORT_LIST,
	PROTO_FDB_SHOW,
	PROTO_STATS,
	PROTO_NETWORK_LIST,
	PROTO_RELOAD,
	PROTO_ENDPOINT_ADD,
	PROTO_ENDPOINT_DEL,
	PROTO_ENDPOINT_LIST,
	PROTO_CMD__COUNT
};

/**
 * struct proto_request - a parsed, validated request
 * @cmd:	command
 * @root:	the whole request object (owned)
 * @args:	its "args" object, never NULL after a successful parse
 */
struct proto_request {
	enum proto_cmd cmd;
	struct json_object *root;
	struct json_object *args;
};

const char *proto_cmd_name(enum proto_cmd cmd);
bool proto_cmd_changes_state(enum proto_cmd cmd);

int proto_request_parse(const char *buf, size_t len,
			struct proto_request *req, char *err, size_t errlen);
void proto_request_free(struct proto_request *req);

const char *proto_arg_str(const struct proto_request *req, const char *key);
int proto_arg_uint(const struct proto_request *req, const char *key,
		   uint64_t *val);
int proto_arg_bool(const struct proto_request *req, const char *key,
		   bool *val);
size_t proto_arg_list_len(const struct proto_request *req, const char *key);
const char *proto_arg_list_str(const struct proto_request *req,
			       const char *key, size_t i);

char *proto_response_ok(struct json_object *result, size_t *len);
char *proto_response_error(const char *msg, size_t *len);

char *proto_request_build(const char *command, struct json_object *args,
			  size_t *len);
int proto_response_parse(const char *buf, size_t len,
			 struct json_object **result, char *err,
			 size_t errlen);

#endif /* VSTACK_CTL_PROTO_H */
