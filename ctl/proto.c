// SPDX-License-Identifier: MIT
/*
 * proto.c - the control protocol: parsing and building its JSON lines
 *
 * Requests come from any local user who can open the socket, so they are
 * untrusted input: json-c parses them in strict mode with UTF-8 checking and
 * its default nesting limit, the size is capped before parsing, and every
 * field is checked against the tables below. Anything unexpected becomes
 * one error line for the client; nothing here can make vstackd exit.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

#define PROTO_STR_MAX 4096  /* longest string argument */
#define PROTO_LIST_MAX 4096 /* longest list argument (port.del names) */

enum proto_type {
	PROTO_T_STR,
	PROTO_T_UINT,
	PROTO_T_BOOL,
	PROTO_T_STRLIST,
};

/**
 * struct proto_arg - one argument a command takes
 * @name:	JSON key
 * @type:	its JSON type
 * @required:	the request must have it
 */
struct proto_arg {
	const char *name;
	enum proto_type type;
	bool required;
};

/**
 * struct proto_cmd_def - one command
 * @name:	"noun.verb" as sent on the wire
 * @changes:	changes state: needs root or the vstack group
 * @args:	arguments, terminated by a NULL name
 */
struct proto_cmd_def {
	const char *name;
	bool changes;
	const struct proto_arg *args;
};

static const struct proto_arg proto_args_tenant[] = {
	{ "name", PROTO_T_STR, true },
	{ "cgroup", PROTO_T_STR, false },
	{ "pid", PROTO_T_UINT, false },
	{ "weight", PROTO_T_UINT, false },
	{ "rate_bps", PROTO_T_UINT, false },
	{ NULL, 0, false },
};

static const struct proto_arg proto_args_name[] = {
	{ "name", PROTO_T_STR, true },
	{ NULL, 0, false },
};

/* port.del: "name", or "names" for several at once */
static const struct proto_arg proto_args_port_del[] = {
	{ "name", PROTO_T_STR, false },
	{ "names", PROTO_T_STRLIST, false },
	{ NULL, 0, false },
};

static const struct proto_arg proto_args_none[] = {
	{ NULL, 0, false },
};

static const struct proto_arg proto_args_port_add[] = {
	{ "name", PROTO_T_STR, true },
	{ "network", PROTO_T_STR, false },
	{ "tenant", PROTO_T_STR, false },
	{ "type", PROTO_T_STR, false },
	{ "netns", PROTO_T_STR, false },
	{ "netns_pid", PROTO_T_UINT, false },
	{ "mac", PROTO_T_STR, false },
	{ "addresses", PROTO_T_STRLIST, false },
	{ "mtu", PROTO_T_UINT, false },
	{ "queues", PROTO_T_UINT, false },
	{ "offload", PROTO_T_BOOL, false },
	{ "lock", PROTO_T_BOOL, false },
	{ "fdb_max", PROTO_T_UINT, false },
	{ NULL, 0, false },
};

static const struct proto_arg proto_args_endpoint_add[] = {
	{ "name", PROTO_T_STR, true },
	{ "network", PROTO_T_STR, false },
	{ "tenant", PROTO_T_STR, false },
	{ "address", PROTO_T_STR, true },
	{ "gateway", PROTO_T_STR, false },
	{ "mtu", PROTO_T_UINT, false },
	{ "mac", PROTO_T_STR, false },
	{ NULL, 0, false },
};

static const struct proto_arg proto_args_fdb[] = {
	{ "network", PROTO_T_STR, false },
	{ NULL, 0, false },
};

static const struct proto_arg proto_args_stats[] = {
	{ "tenant", PROTO_T_STR, false },
	{ "port", PROTO_T_STR, false },
	{ NULL, 0, false },
};

static const struct proto_cmd_def proto_cmds[PROTO_CMD__COUNT] = {
	[PROTO_TENANT_ADD] = { "tenant.add", true, proto_args_tenant },
	[PROTO_TENANT_SET] = { "tenant.set", true, proto_args_tenant },
	[PROTO_TENANT_DEL] = { "tenant.del", true, proto_args_name },
	[PROTO_TENANT_LIST] = { "tenant.list", false, proto_args_none },
	[PROTO_PORT_ADD] = { "port.add", true, proto_args_port_add },
	[PROTO_PORT_DEL] = { "port.del", true, proto_args_port_del },
	[PROTO_PORT_LIST] = { "port.list", false, proto_args_none },
	[PROTO_FDB_SHOW] = { "fdb.show", false, proto_args_fdb },
	[PROTO_STATS] = { "stats", false, proto_args_stats },
	[PROTO_NETWORK_LIST] = { "network.list", false, proto_args_none },
	[PROTO_RELOAD] = { "reload", true, proto_args_none },
	[PROTO_ENDPOINT_ADD] = { "endpoint.add", true, proto_args_endpoint_add },
	[PROTO_ENDPOINT_DEL] = { "endpoint.del", true, proto_args_name },
	[PROTO_ENDPOINT_LIST] = { "endpoint.list", false, proto_args_none },
};

/**
 * proto_cmd_name() - wire name of a command
 * @cmd:	command
 *
 * Return: static string
 */
const char *proto_cmd_name(enum proto_cmd cmd)
{
	if ((unsigned)cmd >= PROTO_CMD__COUNT)
		return "?";
	return proto_cmds[cmd].name;
}

/**
 * proto_cmd_changes_state() - does this command change vstackd's state?
 * @cmd:	command
 *
 * Return: true for add/set/del, which need root or the vstack group
 */
bool proto_cmd_changes_state(enum proto_cmd cmd)
{
	return (unsigned)cmd < PROTO_CMD__COUNT && proto_cmds[cmd].changes;
}

/**
 * proto_clean() - copy untrusted text for a message: printable, bounded
 * @dst:	output
 * @size:	size of @dst
 * @src:	text from the client
 */
static void proto_clean(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < size; i++)
		dst[i] = (src[i] >= ' ' && src[i] <= '~') ? src[i] : '?';
	dst[i] = '\0';
}

/**
 * proto_check_arg() - check one argument's value against its type
 * @a:		argument definition
 * @v:		value
 *
 * Return: NULL if it fits, otherwise what it should have been
 */
static const char *proto_check_arg(const struct proto_arg *a,
				   struct json_object *v)
{
	size_t i, n;

	switch (a->type) {
	case PROTO_T_STR:
		if (!json_object_is_type(v, json_type_string))
			return "a string";
		n = (size_t)json_object_get_string_len(v);
		if (!n || n > PROTO_STR_MAX ||
		    strlen(json_object_get_string(v)) != n)
			return "a non-empty string without NUL bytes, at most 4096 bytes";
		return NULL;
	case PROTO_T_UINT:
		if (!json_object_is_type(v, json_type_int) ||
		    json_object_get_int64(v) < 0)
			return "a non-negative integer";
		return NULL;
	case PROTO_T_BOOL:
		if (!json_object_is_type(v, json_type_boolean))
			return "true or false";
		return NULL;
	case PROTO_T_STRLIST:
		if (!json_object_is_type(v, json_type_array))
			return "a list of strings";
		n = json_object_array_length(v);
		if (n > PROTO_LIST_MAX)
			return "a list of at most 4096 strings";
		for (i = 0; i < n; i++) {
			struct json_object *e = json_object_array_get_idx(v, i);
			size_t l;

			if (!json_object_is_type(e, json_type_string))
				return "a list of strings";
			l = (size_t)json_object_get_string_len(e);
			if (!l || l > PROTO_STR_MAX ||
			    strlen(json_object_get_string(e)) != l)
				return "a list of non-empty strings without NUL bytes";
		}
		return NULL;
	}
	return "?";
}

/**
 * proto_check_args() - check a request's args against its command
 * @def:	command definition
 * @args:	the args object
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -EINVAL
 */
static int proto_check_args(const struct proto_cmd_def *def,
			    struct json_object *args, char *err, size_t errlen)
{
	const struct proto_arg *a;
	char key[65];

	json_object_object_foreach(args, k, v) {
		const char *want;

		for (a = def->args; a->name; a++) {
			if (!strcmp(a->name, k))
				break;
		}
		proto_clean(key, sizeof(key), k);
		if (!a->name) {
			snprintf(err, errlen, "%s: unknown argument '%s'",
				 def->name, key);
			return -EINVAL;
		}
		if ((want = proto_check_arg(a, v))) {
			snprintf(err, errlen, "%s: argument '%s' must be %s",
				 def->name, key, want);
			return -EINVAL;
		}
	}
	for (a = def->args; a->name; a++) {
		if (a->required && !json_object_object_get_ex(args, a->name,
							      NULL)) {
			snprintf(err, errlen, "%s: missing argument '%s'",
				 def->name, a->name);
			return -EINVAL;
		}
	}
	return 0;
}

/**
 * proto_check_ints() - refuse integers json-c would clamp
 * @buf:	a JSON text json-c has parsed
 * @len:	its length
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * json-c (0.16) reads an integer above UINT64_MAX as UINT64_MAX and one
 * below INT64_MIN as INT64_MIN, strict mode or not, and says nothing: a
 * "rate_bps" of 10^20 became a cap of 2^64 - 1. Its objects do not keep
 * the text, so the text is looked at: outside strings, a '-' or a digit
 * starts a number, and an integer (no fraction, no exponent: those are
 * doubles, refused where an integer is expected) must fit.
 *
 * Return: 0 or -EINVAL
 */
static int proto_check_ints(const char *buf, size_t len, char *err,
			    size_t errlen)
{
	bool in_str = false;
	size_t i, start;

	for (i = 0; i < len; i++) {
		uint64_t v = 0, max = UINT64_MAX;
		bool over = false;

		if (in_str) {
			if (buf[i] == '\\')
				i++;
			else if (buf[i] == '"')
				in_str = false;
			continue;
		}
		if (buf[i] == '"') {
			in_str = true;
			continue;
		}
		if (buf[i] != '-' && (buf[i] < '0' || buf[i] > '9'))
			continue;
		start = i;
		if (buf[i] == '-') {
			max = (uint64_t)INT64_MAX + 1;
			i++;
		}
		for (; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
			unsigned d = (unsigned)(buf[i] - '0');

			if (v > (max - d) / 10)
				over = true;
			else
				v = v * 10 + d;
		}
		if (i < len && strchr(".eE", buf[i])) {
			while (i < len && strchr("0123456789.eE+-", buf[i]))
				i++;
			over = false;
		}
		if (over) {
			snprintf(err, errlen,
				 "invalid JSON: integer %.*s%s out of range",
				 (int)(i - start > 24 ? 24 : i - start),
				 buf + start, i - start > 24 ? "..." : "");
			return -EINVAL;
		}
		i--;
	}
	return 0;
}

/**
 * proto_parse_json() - parse one complete JSON text
 * @buf:	text, not necessarily NUL-terminated
 * @len:	its length
 * @obj:	result
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -EINVAL
 */
static int proto_parse_json(const char *buf, size_t len,
			    struct json_object **obj, char *err, size_t errlen)
{
	enum json_tokener_error jerr;
	struct json_tokener *tok;
	size_t end;
	int rc = 0;

	*obj = NULL;
	if (memchr(buf, '\0', len)) {
		snprintf(err, errlen, "invalid JSON: NUL byte in request");
		return -EINVAL;
	}
	if (len > INT32_MAX) {
		snprintf(err, errlen, "invalid JSON: too long");
		return -EINVAL;
	}
	tok = json_tokener_new();
	if (!tok) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
				    JSON_TOKENER_VALIDATE_UTF8);
	*obj = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_continue || (jerr == json_tokener_success &&
					      !*obj && len == 0)) {
		snprintf(err, errlen, "invalid JSON: unexpected end of input");
		rc = -EINVAL;
		goto out;
	}
	if (jerr != json_tokener_success) {
		snprintf(err, errlen, "invalid JSON: %s",
			 json_tokener_error_desc(jerr));
		rc = -EINVAL;
		goto out;
	}
	for (end = json_tokener_get_parse_end(tok); end < len; end++) {
		if (!strchr(" \t\r\n", buf[end])) {
			snprintf(err, errlen,
				 "invalid JSON: data after the end of the request");
			rc = -EINVAL;
			goto out;
		}
	}
	rc = proto_check_ints(buf, len, err, errlen);
out:
	if (rc) {
		json_object_put(*obj);
		*obj = NULL;
	}
	json_tokener_free(tok);
	return rc;
}

/**
 * proto_request_parse() - parse and validate one request line
 * @buf:	the line, with or without its newline
 * @len:	its length
 * @req:	result; free with proto_request_free() on success
 * @err:	the error line for the client on failure
 * @errlen:	size of @err
 *
 * Return: 0, -EMSGSIZE if too large, -EPROTONOSUPPORT for another version,
 * -EOPNOTSUPP for an unknown command, -EINVAL for anything else malformed
 */
int proto_request_parse(const char *buf, size_t len,
			struct proto_request *req, char *err, size_t errlen)
{
	struct json_object *root = NULL, *v;
	const struct proto_cmd_def *def;
	char clean[65];
	unsigned i;
	int rc;

	memset(req, 0, sizeof(*req));
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (len > PROTO_MAX_REQUEST) {
		snprintf(err, errlen, "request larger than %u bytes",
			 PROTO_MAX_REQUEST);
		return -EMSGSIZE;
	}
	if ((rc = proto_parse_json(buf, len, &root, err, errlen)))
		return rc;

	rc = -EINVAL;
	if (!json_object_is_type(root, json_type_object)) {
		snprintf(err, errlen, "invalid request: expected a JSON object");
		goto out;
	}
	json_object_object_foreach(root, k, val) {
		(void)val;
		if (strcmp(k, "version") && strcmp(k, "command") &&
		    strcmp(k, "args")) {
			proto_clean(clean, sizeof(clean), k);
			snprintf(err, errlen, "invalid request: unknown field '%s'",
				 clean);
			goto out;
		}
	}

	if (!json_object_object_get_ex(root, "version", &v)) {
		snprintf(err, errlen, "invalid request: missing 'version'");
		goto out;
	}
	if (!json_object_is_type(v, json_type_int)) {
		snprintf(err, errlen,
			 "invalid request: 'version' must be an integer");
		goto out;
	}
	if (json_object_get_int64(v) != PROTO_VERSION) {
		snprintf(err, errlen,
			 "unsupported protocol version %lld (this vstackd speaks %d)",
			 (long long)json_object_get_int64(v), PROTO_VERSION);
		rc = -EPROTONOSUPPORT;
		goto out;
	}

	if (!json_object_object_get_ex(root, "command", &v)) {
		snprintf(err, errlen, "invalid request: missing 'command'");
		goto out;
	}
	if (!json_object_is_type(v, json_type_string)) {
		snprintf(err, errlen,
			 "invalid request: 'command' must be a string");
		goto out;
	}
	for (i = 0; i < PROTO_CMD__COUNT; i++) {
		if (!strcmp(proto_cmds[i].name, json_object_get_string(v)))
			break;
	}
	if (i == PROTO_CMD__COUNT) {
		proto_clean(clean, sizeof(clean), json_object_get_string(v));
		snprintf(err, errlen, "unknown command '%s'", clean);
		rc = -EOPNOTSUPP;
		goto out;
	}
	def = &proto_cmds[i];

	if (!json_object_object_get_ex(root, "args", &v)) {
		v = json_object_new_object();
		if (!v || json_object_object_add(root, "args", v)) {
			json_object_put(v);
			snprintf(err, errlen, "out of memory");
			rc = -ENOMEM;
			goto out;
		}
	} else if (!json_object_is_type(v, json_type_object)) {
		snprintf(err, errlen, "invalid request: 'args' must be an object");
		goto out;
	}
	if ((rc = proto_check_args(def, v, err, errlen)))
		goto out;

	req->cmd = (enum proto_cmd)i;
	req->root = root;
	req->args = v;
	return 0;
out:
	json_object_put(root);
	return rc;
}

/**
 * proto_request_free() - release a parsed request
 * @req:	request
 */
void proto_request_free(struct proto_request *req)
{
	json_object_put(req->root);
	req->root = req->args = NULL;
}

/**
 * proto_arg_str() - a string argument
 * @req:	validated request
 * @key:	argument name
 *
 * Return: its value (valid while @req is), or NULL if absent
 */
const char *proto_arg_str(const struct proto_request *req, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req->args, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/**
 * proto_arg_uint() - an unsigned integer argument
 * @req:	validated request
 * @key:	argument name
 * @val:	its value
 *
 * Return: 0, or -ENOENT if absent
 */
int proto_arg_uint(const struct proto_request *req, const char *key,
		   uint64_t *val)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req->args, key, &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0)
		return -ENOENT;
	*val = json_object_get_uint64(v);
	return 0;
}

/**
 * proto_arg_bool() - a boolean argument
 * @req:	validated request
 * @key:	argument name
 * @val:	its value
 *
 * Return: 0, or -ENOENT if absent
 */
int proto_arg_bool(const struct proto_request *req, const char *key,
		   bool *val)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req->args, key, &v) ||
	    !json_object_is_type(v, json_type_boolean))
		return -ENOENT;
	*val = json_object_get_boolean(v);
	return 0;
}

/**
 * proto_arg_list_len() - number of strings in a list argument
 * @req:	validated request
 * @key:	argument name
 *
 * Return: length, 0 if absent
 */
size_t proto_arg_list_len(const struct proto_request *req, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req->args, key, &v) ||
	    !json_object_is_type(v, json_type_array))
		return 0;
	return json_object_array_length(v);
}

/**
 * proto_arg_list_str() - one string of a list argument
 * @req:	validated request
 * @key:	argument name
 * @i:		index, below proto_arg_list_len()
 *
 * Return: the string, or NULL
 */
const char *proto_arg_list_str(const struct proto_request *req,
			       const char *key, size_t i)
{
	struct json_object *v, *e;

	if (!json_object_object_get_ex(req->args, key, &v) ||
	    !json_object_is_type(v, json_type_array))
		return NULL;
	e = json_object_array_get_idx(v, i);
	if (!e || !json_object_is_type(e, json_type_string))
		return NULL;
	return json_object_get_string(e);
}

/**
 * proto_line() - serialise an object as one protocol line
 * @obj:	object, released here
 * @len:	length of the line, newline included
 *
 * Return: malloc'd NUL-terminated line, or NULL on allocation failure
 */
static char *proto_line(struct json_object *obj, size_t *len)
{
	const char *s;
	char *line = NULL;
	size_t n;

	if (!obj)
		return NULL;
	s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
						JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s) {
		n = strlen(s);
		line = malloc(n + 2);
		if (line) {
			memcpy(line, s, n);
			line[n] = '\n';
			line[n + 1] = '\0';
			if (len)
				*len = n + 1;
		}
	}
	json_object_put(obj);
	return line;
}

/**
 * proto_response_ok() - build a success response
 * @result:	result object, owned by the response from now on (NULL: {})
 * @len:	length of the line
 *
 * Return: malloc'd line ending in a newline, or NULL if out of memory
 */
char *proto_response_ok(struct json_object *result, size_t *len)
{
	struct json_object *root = json_object_new_object();

	if (!result)
		result = json_object_new_object();
	if (!root || !result) {
		json_object_put(root);
		json_object_put(result);
		return NULL;
	}
	json_object_object_add(root, "version",
			       json_object_new_int(PROTO_VERSION));
	json_object_object_add(root, "ok", json_object_new_boolean(1));
	json_object_object_add(root, "result", result);
	return proto_line(root, len);
}

/**
 * proto_response_error() - build an error response
 * @msg:	the one line the user will see
 * @len:	length of the line
 *
 * Return: malloc'd line ending in a newline, or NULL if out of memory
 */
char *proto_response_error(const char *msg, size_t *len)
{
	struct json_object *root = json_object_new_object();

	if (!root)
		return NULL;
	json_object_object_add(root, "version",
			       json_object_new_int(PROTO_VERSION));
	json_object_object_add(root, "ok", json_object_new_boolean(0));
	json_object_object_add(root, "error", json_object_new_string(msg));
	return proto_line(root, len);
}

/**
 * proto_request_build() - build a request line (client side)
 * @command:	wire name, e.g. "port.add"
 * @args:	arguments, owned by the request from now on (NULL: none)
 * @len:	length of the line
 *
 * Return: malloc'd line ending in a newline, or NULL if out of memory
 */
char *proto_request_build(const char *command, struct json_object *args,
			  size_t *len)
{
	struct json_object *root = json_object_new_object();

	if (!args)
		args = json_object_new_object();
	if (!root || !args) {
		json_object_put(root);
		json_object_put(args);
		return NULL;
	}
	json_object_object_add(root, "version",
			       json_object_new_int(PROTO_VERSION));
	json_object_object_add(root, "command",
			       json_object_new_string(command));
	json_object_object_add(root, "args", args);
	return proto_line(root, len);
}

/**
 * proto_response_parse() - parse a response line (client side)
 * @buf:	the line
 * @len:	its length
 * @result:	on success, the result object, owned by the caller
 * @err:	the daemon's error text, or what was wrong with the response
 * @errlen:	size of @err
 *
 * Return: 0, -EREMOTEIO if the daemon reported an error (@err holds its
 * text), -EPROTO if the response is malformed
 */
int proto_response_parse(const char *buf, size_t len,
			 struct json_object **result, char *err,
			 size_t errlen)
{
	struct json_object *root, *v, *ok;
	char why[128];
	int rc = -EPROTO;

	*result = NULL;
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (proto_parse_json(buf, len, &root, why, sizeof(why))) {
		snprintf(err, errlen, "malformed response from vstackd: %s",
			 why);
		return -EPROTO;
	}
	if (!json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "version", &v) ||
	    !json_object_is_type(v, json_type_int)) {
		snprintf(err, errlen, "malformed response from vstackd");
		goto out;
	}
	if (json_object_get_int64(v) != PROTO_VERSION) {
		snprintf(err, errlen,
			 "vstackd speaks protocol version %lld, this vstackctl speaks %d",
			 (long long)json_object_get_int64(v), PROTO_VERSION);
		goto out;
	}
	if (!json_object_object_get_ex(root, "ok", &ok) ||
	    !json_object_is_type(ok, json_type_boolean)) {
		snprintf(err, errlen, "malformed response from vstackd");
		goto out;
	}
	if (!json_object_get_boolean(ok)) {
		if (json_object_object_get_ex(root, "error", &v) &&
		    json_object_is_type(v, json_type_string))
			proto_clean(err, errlen, json_object_get_string(v));
		else
			snprintf(err, errlen, "vstackd reported an error");
		rc = -EREMOTEIO;
		goto out;
	}
	if (!json_object_object_get_ex(root, "result", &v) ||
	    !json_object_is_type(v, json_type_object)) {
		snprintf(err, errlen, "malformed response from vstackd");
		goto out;
	}
	*result = json_object_get(v);
	rc = 0;
out:
	json_object_put(root);
	return rc;
}
