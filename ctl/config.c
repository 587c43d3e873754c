// SPDX-License-Identifier: MIT
/*
 * config.c - the [daemon] settings and the INI config file
 *
 * inih does the INI syntax. It is fed through ini_parse_stream() with our
 * own line reader, for two reasons: the Debian build of inih does not pass
 * line numbers to the handler (INI_HANDLER_LINENO is off), and it does not
 * call the handler for a section without keys. The reader counts lines and
 * notices section headers itself, so every error names FILE:LINE and an
 * empty "[tenant blue]" still creates the tenant. The reader also refuses
 * lines longer than inih's buffer, which inih would otherwise split into
 * two lines silently.
 *
 * The reader and inih must agree on what each line is. inih skips every
 * isspace() character at the start of a line, and reads an indented line
 * after a key as a continuation of that key's value (INI_ALLOW_MULTILINE),
 * without taking off an inline comment as it does on a KEY = VALUE line.
 * An indented "[daemon]" after "socket = /x" set the socket to "[daemon]"
 * while the reader switched sections, and "  /y ; old" after it set the
 * socket to "/y ; old"; a header behind a form feed was a section for inih
 * and not for the reader. So the reader skips the same blanks as inih and
 * refuses every indented line after a key but blank lines and comments
 * (found by fuzz_config, its first case by reading inih while writing it).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "http.h"

_Static_assert(CONFIG_METRICS_MAX == HTTP_ADDR_MAX, "metrics address size");

#define CONFIG_FILE_MAX (1U << 20)
#define CONFIG_MAX_TENANTS 1024 /* TENANT_MAX */
#define CONFIG_MAX_PORTS 4096   /* VNET_MAX_PORTS; endpoints count as ports */
#define CONFIG_KEYS_MAX 32      /* more distinct keys than a section has */
#define CONFIG_KEY_LEN 24       /* longer than any key */

enum config_section {
	CONFIG_SEC_NONE,
	CONFIG_SEC_DAEMON,
	CONFIG_SEC_TENANT,
	CONFIG_SEC_PORT,
	CONFIG_SEC_ENDPOINT,
};

/**
 * struct config_seen - a key given in a section, to refuse it a second time
 * @name:	key, '_' written as '-'
 * @line:	line it is on
 */
struct config_seen {
	char name[CONFIG_KEY_LEN];
	unsigned line;
};

/**
 * struct config_ctx - state of one parse
 * @c:		config being filled
 * @buf:	file contents
 * @len:	length of @buf
 * @off:	offset of the next line
 * @line:	number of the line last read, from 1
 * @sec:	kind of the current section
 * @key_seen:	inih has passed a key since the last section header, so it
 *		would take an indented line for a continuation of that key
 * @sec_name:	the current section, "port a", for messages
 * @keys:	keys given in the current section
 * @nkeys:	number of @keys
 * @dkeys:	keys given in [daemon], which may come in several sections
 * @ndkeys:	number of @dkeys
 * @rc:		first error, 0 if none
 * @err_line:	line of @rc
 * @msg:	message of @rc, without FILE:LINE
 */
struct config_ctx {
	struct config *c;
	const char *buf;
	size_t len;
	size_t off;
	unsigned line;
	enum config_section sec;
	bool key_seen;
	char sec_name[80];
	struct config_seen keys[CONFIG_KEYS_MAX];
	unsigned nkeys;
	struct config_seen dkeys[CONFIG_KEYS_MAX];
	unsigned ndkeys;
	int rc;
	unsigned err_line;
	char msg[256];
};

/**
 * config_uint() - parse a number in a range, for [daemon] keys
 * @key:	key, for the message
 * @val:	text
 * @min:	smallest value accepted
 * @max:	largest value accepted
 * @out:	result
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -EINVAL
 */
static int config_uint(const char *key, const char *val, uint64_t min,
		       uint64_t max, uint64_t *out, char *err, size_t errlen)
{
	uint64_t v;

	if (parse_uint_key(key, val, &v, err, errlen))
		return -EINVAL;
	if (v < min || v > max) {
		snprintf(err, errlen, "%s %llu out of range (%llu..%llu)", key,
			 (unsigned long long)v, (unsigned long long)min,
			 (unsigned long long)max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/**
 * config_onoff() - read an on/off setting
 * @key:	its name, for the message
 * @val:	on, off (or yes/no, true/false, 1/0)
 * @out:	set on success
 * @err:	message buffer
 * @errlen:	size of @err
 *
 * Return: 0 or -EINVAL with @err set
 */
static int config_onoff(const char *key, const char *val, bool *out,
			char *err, size_t errlen)
{
	if (parse_onoff(val, out)) {
		snprintf(err, errlen, "invalid %s '%s': expected on or off",
			 key, val);
		return -EINVAL;
	}
	return 0;
}

/**
 * config_daemon_set() - set one daemon setting from its text form
 * @d:		settings
 * @key:	workers, cpus, socket, app-socket, log-level, fdb-limit,
 *		fdb-aging (seconds), fdb-max (addresses learned per port,
 *		0: no limit), busy-poll (microseconds), arena-bufs,
 *		napi or state (directory), metrics (ADDR:PORT of the
 *		Prometheus endpoint), sched or one-hop
 * @val:	value as written
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0, -EINVAL for a bad value, -ENOENT for an unknown key
 */
int config_daemon_set(struct config_daemon *d, const char *key,
		      const char *val, char *err, size_t errlen)
{
	const char *given = key;
	char name[CONFIG_KEY_LEN];
	uint64_t v;
	size_t i;
	int rc;

	/* '_' and '-' are the same in key names, as for the other
	 * sections (spec.c): log_level is log-level. */
	for (i = 0; key[i] && i + 1 < sizeof(name); i++)
		name[i] = key[i] == '_' ? '-' : key[i];
	name[i] = '\0';
	if (!key[i])
		key = name;

	if (!strcmp(key, "workers")) {
		if ((rc = config_uint(key, val, 1, CONFIG_MAX_CPUS, &v, err,
				      errlen)))
			return rc;
		d->workers = (unsigned)v;
		d->set |= CONFIG_WORKERS;
	} else if (!strcmp(key, "cpus")) {
		char why[128];

		if (parse_cpus(val, d->cpus, CONFIG_MAX_CPUS, &d->ncpus, why,
			       sizeof(why))) {
			snprintf(err, errlen, "invalid cpus '%s': %s", val, why);
			return -EINVAL;
		}
		d->set |= CONFIG_CPUS;
	} else if (!strcmp(key, "socket")) {
		/* Absolute: a daemon that forks leaves for "/" first. */
		if (*val != '/' || strlen(val) >= sizeof(d->socket)) {
			snprintf(err, errlen,
				 "invalid socket path '%.64s': an absolute "
				 "path of at most %zu characters",
				 val, sizeof(d->socket) - 1);
			return -EINVAL;
		}
		snprintf(d->socket, sizeof(d->socket), "%s", val);
		d->set |= CONFIG_SOCKET;
	} else if (!strcmp(key, "app-socket")) {
		/* Only carried for now: the app socket is opened with the
		 * shared stack's app interface. */
		if (*val != '/' || strlen(val) >= sizeof(d->app_socket)) {
			snprintf(err, errlen,
				 "invalid app socket path '%.64s': an absolute "
				 "path of at most %zu characters",
				 val, sizeof(d->app_socket) - 1);
			return -EINVAL;
		}
		snprintf(d->app_socket, sizeof(d->app_socket), "%s", val);
		d->set |= CONFIG_APP_SOCKET;
	} else if (!strcmp(key, "log-level")) {
		if (log_level_parse(val, &d->log_level)) {
			snprintf(err, errlen,
				 "invalid log-level '%s': expected error, warn, info or debug",
				 val);
			return -EINVAL;
		}
		d->set |= CONFIG_LOG_LEVEL;
	} else if (!strcmp(key, "fdb-limit")) {
		if ((rc = config_uint(key, val, 1, 1U << 24, &v, err, errlen)))
			return rc;
		d->fdb_limit = (uint32_t)v;
		d->set |= CONFIG_FDB_LIMIT;
	} else if (!strcmp(key, "fdb-aging")) {
		/* Seconds, kept in milliseconds by vnet, whose FDB compares
		 * times as signed 32-bit differences: at most 23 days. */
		if ((rc = config_uint(key, val, 1, 2000000, &v, err, errlen)))
			return rc;
		d->fdb_aging_s = (uint32_t)v;
		d->set |= CONFIG_FDB_AGING;
	} else if (!strcmp(key, "fdb-max")) {
		if ((rc = config_uint(key, val, 0, SPEC_FDB_MAX_MAX, &v, err,
				      errlen)))
			return rc;
		d->fdb_max = (uint32_t)v;
		d->set |= CONFIG_FDB_MAX;
	} else if (!strcmp(key, "busy-poll")) {
		if ((rc = config_uint(key, val, 0, 1000000, &v, err, errlen)))
			return rc;
		d->busy_poll_us = (uint32_t)v;
		d->set |= CONFIG_BUSY_POLL;
	} else if (!strcmp(key, "arena-bufs")) {
		if ((rc = config_uint(key, val, 64, CONFIG_ARENA_BUFS_MAX, &v,
				      err, errlen)))
			return rc;
		d->arena_bufs = (uint32_t)v;
		d->set |= CONFIG_ARENA_BUFS;
	} else if (!strcmp(key, "napi")) {
		if ((rc = config_onoff(key, val, &d->napi, err, errlen)))
			return rc;
		d->set |= CONFIG_NAPI;
	} else if (!strcmp(key, "state")) {
		if (*val != '/' || strlen(val) >= sizeof(d->state)) {
			snprintf(err, errlen,
				 "invalid state directory '%.64s': an absolute path of at most %zu characters",
				 val, sizeof(d->state) - 1);
			return -EINVAL;
		}
		snprintf(d->state, sizeof(d->state), "%s", val);
		d->set |= CONFIG_STATE;
	} else if (!strcmp(key, "metrics")) {
		struct sockaddr_storage ss;
		socklen_t sslen;

		if (strlen(val) >= sizeof(d->metrics) ||
		    http_addr_parse(val, &ss, &sslen, err, errlen)) {
			snprintf(err, errlen,
				 "invalid metrics address '%.64s': expected ADDR:PORT (127.0.0.1:9470, [::1]:9470)",
				 val);
			return -EINVAL;
		}
		snprintf(d->metrics, sizeof(d->metrics), "%s", val);
		d->set |= CONFIG_METRICS;
	} else if (!strcmp(key, "sched")) {
		if ((rc = config_onoff(key, val, &d->sched, err, errlen)))
			return rc;
		d->set |= CONFIG_SCHED;
	} else if (!strcmp(key, "one-hop")) {
		if ((rc = config_onoff(key, val, &d->one_hop, err, errlen)))
			return rc;
		d->set |= CONFIG_ONE_HOP;
	} else {
		snprintf(err, errlen, "unknown daemon key '%s'", given);
		return -ENOENT;
	}
	return 0;
}

/**
 * config_daemon_merge() - override settings with those set in @src
 * @dst:	settings to change
 * @src:	settings that win where set (the command line)
 */
void config_daemon_merge(struct config_daemon *dst,
			 const struct config_daemon *src)
{
	if (src->set & CONFIG_WORKERS)
		dst->workers = src->workers;
	if (src->set & CONFIG_CPUS) {
		dst->ncpus = src->ncpus;
		memcpy(dst->cpus, src->cpus, sizeof(dst->cpus));
	}
	if (src->set & CONFIG_SOCKET)
		memcpy(dst->socket, src->socket, sizeof(dst->socket));
	if (src->set & CONFIG_APP_SOCKET)
		memcpy(dst->app_socket, src->app_socket,
		       sizeof(dst->app_socket));
	if (src->set & CONFIG_LOG_LEVEL)
		dst->log_level = src->log_level;
	if (src->set & CONFIG_FDB_LIMIT)
		dst->fdb_limit = src->fdb_limit;
	if (src->set & CONFIG_FDB_AGING)
		dst->fdb_aging_s = src->fdb_aging_s;
	if (src->set & CONFIG_FDB_MAX)
		dst->fdb_max = src->fdb_max;
	if (src->set & CONFIG_BUSY_POLL)
		dst->busy_poll_us = src->busy_poll_us;
	if (src->set & CONFIG_ARENA_BUFS)
		dst->arena_bufs = src->arena_bufs;
	if (src->set & CONFIG_NAPI)
		dst->napi = src->napi;
	if (src->set & CONFIG_STATE)
		memcpy(dst->state, src->state, sizeof(dst->state));
	if (src->set & CONFIG_METRICS)
		memcpy(dst->metrics, src->metrics, sizeof(dst->metrics));
	if (src->set & CONFIG_SCHED)
		dst->sched = src->sched;
	if (src->set & CONFIG_ONE_HOP)
		dst->one_hop = src->one_hop;
	dst->set |= src->set;
}

/**
 * config_fail() - record the first error of a parse
 * @ctx:	parse state
 * @line:	line the error is on
 * @rc:		-errno
 * @fmt:	message
 */
__attribute__((format(printf, 4, 5)))
static void config_fail(struct config_ctx *ctx, unsigned line, int rc,
			const char *fmt, ...)
{
	va_list ap;

	if (ctx->rc)
		return;
	ctx->rc = rc;
	ctx->err_line = line;
	va_start(ap, fmt);
	vsnprintf(ctx->msg, sizeof(ctx->msg), fmt, ap);
	va_end(ap);
}

/**
 * config_trim() - strip leading and trailing blanks in place
 * @s:		string
 *
 * Return: @s without leading blanks
 */
static char *config_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
			 e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/**
 * config_name_taken() - is a port or endpoint name already a section?
 * @ctx:	parse state
 * @name:	name of the new [port] or [endpoint] section
 *
 * Ports and endpoints share one namespace (both are ports of the switch):
 * a name given twice, in either kind of section, is refused here.
 *
 * Return: true if taken (the error is recorded)
 */
static bool config_name_taken(struct config_ctx *ctx, const char *name)
{
	const struct config *c = ctx->c;
	unsigned i;

	for (i = 0; i < c->nports; i++) {
		if (!strcmp(c->ports[i].spec.name, name)) {
			config_fail(ctx, ctx->line, -EEXIST,
				    "duplicate section [port %s] (first on line %u)",
				    name, c->ports[i].line);
			return true;
		}
	}
	for (i = 0; i < c->nendpoints; i++) {
		if (!strcmp(c->endpoints[i].spec.name, name)) {
			config_fail(ctx, ctx->line, -EEXIST,
				    "duplicate section [endpoint %s] (first on line %u)",
				    name, c->endpoints[i].line);
			return true;
		}
	}
	if (c->nports + c->nendpoints == CONFIG_MAX_PORTS) {
		config_fail(ctx, ctx->line, -E2BIG,
			    "too many ports and endpoints (at most %u)",
			    CONFIG_MAX_PORTS);
		return true;
	}
	return false;
}

/**
 * config_endpoint_section() - start an [endpoint NAME] section
 * @ctx:	parse state
 * @name:	its name
 */
static void config_endpoint_section(struct config_ctx *ctx, const char *name)
{
	struct config *c = ctx->c;
	struct config_endpoint *e;
	char why[160];

	if (config_name_taken(ctx, name))
		return;
	e = realloc(c->endpoints, (c->nendpoints + 1) * sizeof(*e));
	if (!e) {
		config_fail(ctx, ctx->line, -ENOMEM, "out of memory");
		return;
	}
	c->endpoints = e;
	e += c->nendpoints;
	spec_endpoint_init(&e->spec);
	e->line = ctx->line;
	if (spec_endpoint_set(&e->spec, "name", name, why, sizeof(why))) {
		config_fail(ctx, ctx->line, -EINVAL, "%s", why);
		return;
	}
	c->nendpoints++;
	ctx->sec = CONFIG_SEC_ENDPOINT;
}

/**
 * config_section() - start a section if @raw is a section header
 * @ctx:	parse state
 * @raw:	the line as read
 */
static void config_section(struct config_ctx *ctx, const char *raw)
{
	char text[256], *kind, *name, *end, *rest;
	struct config *c = ctx->c;
	size_t indent;
	unsigned i;

	if (ctx->line == 1 && !strncmp(raw, "\xef\xbb\xbf", 3))
		raw += 3;
	/* inih's lskip(): isspace() */
	indent = strspn(raw, " \t\n\v\f\r");
	raw += indent;
	if (indent && ctx->key_seen && !strchr(";#", *raw)) {
		config_fail(ctx, ctx->line, -EINVAL,
			    "indented line after a key (it would continue that key's value): start it at the beginning of the line");
		return;
	}
	if (*raw != '[')
		return;
	snprintf(text, sizeof(text), "%s", raw + 1);
	if (!(end = strchr(text, ']')))
		return; /* inih reports the syntax error */
	ctx->key_seen = false;
	/* inih ignores whatever follows the ']': "[port a] mtu = 9000"
	 * would lose its key without a word. */
	rest = end + 1 + strspn(end + 1, " \t\n\v\f\r");
	if (*rest && !strchr(";#", *rest)) {
		config_fail(ctx, ctx->line, -EINVAL,
			    "text after the section header (a KEY = VALUE goes "
			    "on a line of its own)");
		return;
	}
	*end = '\0';
	kind = config_trim(text);
	name = kind + strcspn(kind, " \t");
	if (*name)
		*name++ = '\0';
	name = config_trim(name);
	snprintf(ctx->sec_name, sizeof(ctx->sec_name), "%.32s%s%.40s", kind,
		 *name ? " " : "", name);
	ctx->nkeys = 0;

	if (!strcmp(kind, "daemon") && !*name) {
		ctx->sec = CONFIG_SEC_DAEMON;
	} else if (!strcmp(kind, "tenant") && *name) {
		struct config_tenant *t;

		for (i = 0; i < c->ntenants; i++) {
			if (!strcmp(c->tenants[i].spec.name, name)) {
				config_fail(ctx, ctx->line, -EEXIST,
					    "duplicate section [tenant %s] (first on line %u)",
					    name, c->tenants[i].line);
				return;
			}
		}
		if (c->ntenants == CONFIG_MAX_TENANTS) {
			config_fail(ctx, ctx->line, -E2BIG,
				    "too many tenants (at most %u)",
				    CONFIG_MAX_TENANTS);
			return;
		}
		t = realloc(c->tenants, (c->ntenants + 1) * sizeof(*t));
		if (!t) {
			config_fail(ctx, ctx->line, -ENOMEM, "out of memory");
			return;
		}
		c->tenants = t;
		t += c->ntenants;
		spec_tenant_init(&t->spec);
		t->line = ctx->line;
		if (spec_tenant_set(&t->spec, "name", name, ctx->msg,
				    sizeof(ctx->msg))) {
			config_fail(ctx, ctx->line, -EINVAL, "%s", ctx->msg);
			return;
		}
		c->ntenants++;
		ctx->sec = CONFIG_SEC_TENANT;
	} else if (!strcmp(kind, "port") && *name) {
		struct config_port *p;
		char why[160];

		if (config_name_taken(ctx, name))
			return;
		p = realloc(c->ports, (c->nports + 1) * sizeof(*p));
		if (!p) {
			config_fail(ctx, ctx->line, -ENOMEM, "out of memory");
			return;
		}
		c->ports = p;
		p += c->nports;
		spec_port_init(&p->spec);
		p->line = ctx->line;
		if (spec_port_set(&p->spec, "name", name, why, sizeof(why))) {
			config_fail(ctx, ctx->line, -EINVAL, "%s", why);
			return;
		}
		c->nports++;
		ctx->sec = CONFIG_SEC_PORT;
	} else if (!strcmp(kind, "endpoint") && *name) {
		config_endpoint_section(ctx, name);
	} else if (!strcmp(kind, "tenant") || !strcmp(kind, "port") ||
		   !strcmp(kind, "endpoint")) {
		config_fail(ctx, ctx->line, -EINVAL,
			    "section [%s] needs a name: [%s NAME]", kind, kind);
	} else {
		config_fail(ctx, ctx->line, -EINVAL,
			    "unknown section [%.64s%s%.64s] (expected [daemon], [tenant NAME], [port NAME] or [endpoint NAME])",
			    kind, *name ? " " : "", name);
	}
}

/**
 * config_read_line() - inih reader: next line of the buffer, counted
 * @str:	inih's line buffer
 * @num:	its size
 * @stream:	struct config_ctx
 *
 * Return: @str, or NULL at the end or on error
 */
static char *config_read_line(char *str, int num, void *stream)
{
	struct config_ctx *ctx = stream;
	const char *start, *nl;
	size_t l;

	if (ctx->rc || ctx->off >= ctx->len)
		return NULL;
	start = ctx->buf + ctx->off;
	nl = memchr(start, '\n', ctx->len - ctx->off);
	l = nl ? (size_t)(nl - start) + 1 : ctx->len - ctx->off;
	ctx->line++;
	if (memchr(start, '\0', l)) {
		config_fail(ctx, ctx->line, -EINVAL, "NUL byte in line");
		return NULL;
	}
	if (num < 2 || l > (size_t)num - 1) {
		config_fail(ctx, ctx->line, -EINVAL,
			    "line longer than %d characters", num - 2);
		return NULL;
	}
	memcpy(str, start, l);
	str[l] = '\0';
	ctx->off += l;

	config_section(ctx, str);
	return ctx->rc ? NULL : str;
}

/**
 * config_key_again() - refuse a key given twice in a section
 * @ctx:	parse state
 * @name:	key
 *
 * inih hands over every KEY = VALUE, and a setter called twice keeps the
 * last value: "mtu = 9000" lost to an "mtu = 1500" further down without a
 * word. A key may be given once per section, except a port's address,
 * which adds one address each time. [daemon] keys are counted across all
 * [daemon] sections, since they set the same settings. Aliases count as
 * one key: netns_pid and netns-pid, a tenant's rate and rate-bps.
 *
 * Return: true if @name was given before (the error is recorded)
 */
static bool config_key_again(struct config_ctx *ctx, const char *name)
{
	bool daemon = ctx->sec == CONFIG_SEC_DAEMON;
	struct config_seen *keys = daemon ? ctx->dkeys : ctx->keys;
	unsigned *n = daemon ? &ctx->ndkeys : &ctx->nkeys, i;
	char key[CONFIG_KEY_LEN];

	/* Longer than every key: the setter refuses it. */
	if (strlen(name) >= sizeof(key))
		return false;
	for (i = 0; name[i]; i++)
		key[i] = name[i] == '_' ? '-' : name[i];
	key[i] = '\0';
	if (ctx->sec == CONFIG_SEC_TENANT && !strcmp(key, "rate-bps"))
		snprintf(key, sizeof(key), "rate");
	if (ctx->sec == CONFIG_SEC_PORT && !strcmp(key, "address"))
		return false;
	for (i = 0; i < *n; i++) {
		if (!strcmp(keys[i].name, key)) {
			config_fail(ctx, ctx->line, -EINVAL,
				    "duplicate key '%s' in [%s] (first on line %u)",
				    name, ctx->sec_name, keys[i].line);
			return true;
		}
	}
	/* Only keys the setters take stay in the list (an unknown one ends
	 * the parse), so it does not fill up. */
	if (*n < CONFIG_KEYS_MAX) {
		memcpy(keys[*n].name, key, sizeof(key));
		keys[(*n)++].line = ctx->line;
	}
	return false;
}

/**
 * config_handler() - inih handler: one KEY = VALUE in the current section
 * @user:	struct config_ctx
 * @section:	section as inih saw it (we use our own, see above)
 * @name:	key
 * @value:	value
 *
 * Return: 1 (errors are kept in the context, with their line)
 */
static int config_handler(void *user, const char *section, const char *name,
			  const char *value)
{
	struct config_ctx *ctx = user;
	struct config *c = ctx->c;
	char msg[200];
	int rc = 0;

	(void)section;
	if (ctx->rc || !name)
		return 1;
	ctx->key_seen = true;
	if (ctx->sec != CONFIG_SEC_NONE && config_key_again(ctx, name))
		return 1;

	switch (ctx->sec) {
	case CONFIG_SEC_NONE:
		snprintf(msg, sizeof(msg),
			 "key '%.64s' outside a section", name);
		rc = -EINVAL;
		break;
	case CONFIG_SEC_DAEMON:
		rc = config_daemon_set(&c->daemon, name, value, msg,
				       sizeof(msg));
		break;
	case CONFIG_SEC_TENANT:
		if (!strcmp(name, "name")) {
			snprintf(msg, sizeof(msg),
				 "unknown tenant key 'name' (the name is in the section header)");
			rc = -ENOENT;
			break;
		}
		rc = spec_tenant_set(&c->tenants[c->ntenants - 1].spec, name,
				     value, msg, sizeof(msg));
		break;
	case CONFIG_SEC_PORT:
		if (!strcmp(name, "name")) {
			snprintf(msg, sizeof(msg),
				 "unknown port key 'name' (the name is in the section header)");
			rc = -ENOENT;
			break;
		}
		rc = spec_port_set(&c->ports[c->nports - 1].spec, name, value,
				   msg, sizeof(msg));
		break;
	case CONFIG_SEC_ENDPOINT:
		if (!strcmp(name, "name")) {
			snprintf(msg, sizeof(msg),
				 "unknown endpoint key 'name' (the name is in the section header)");
			rc = -ENOENT;
			break;
		}
		rc = spec_endpoint_set(&c->endpoints[c->nendpoints - 1].spec,
				       name, value, msg, sizeof(msg));
		break;
	}
	if (rc)
		config_fail(ctx, ctx->line, rc, "%s", msg);
	return 1;
}

/**
 * config_parse_buffer() - parse a config file held in memory
 * @c:		result; free with config_free() whatever the return value
 * @name:	file name for messages
 * @buf:	contents (need not be NUL-terminated)
 * @len:	length of @buf
 * @err:	"FILE:LINE: message" on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -errno
 */
int config_parse_buffer(struct config *c, const char *name, const char *buf,
			size_t len, char *err, size_t errlen)
{
	struct config_ctx ctx = { .c = c, .buf = buf, .len = len };
	unsigned i;
	int line;

	memset(c, 0, sizeof(*c));
	snprintf(c->file, sizeof(c->file), "%s", name);

	line = ini_parse_stream(config_read_line, &ctx, config_handler, &ctx);
	if (line > 0)
		config_fail(&ctx, (unsigned)line, -EINVAL,
			    "syntax error (expected KEY = VALUE or [SECTION])");
	else if (line < 0)
		config_fail(&ctx, 0, -ENOMEM, "out of memory");

	/* inih reports its first syntax error only at the end: keep the
	 * earlier of the two errors.
	 */
	if (line > 0 && ctx.err_line > (unsigned)line) {
		ctx.rc = 0;
		config_fail(&ctx, (unsigned)line, -EINVAL,
			    "syntax error (expected KEY = VALUE or [SECTION])");
	}

	for (i = 0; !ctx.rc && i < c->ntenants; i++) {
		if (spec_tenant_check(&c->tenants[i].spec, ctx.msg,
				      sizeof(ctx.msg))) {
			ctx.rc = -EINVAL;
			ctx.err_line = c->tenants[i].line;
		}
	}
	for (i = 0; !ctx.rc && i < c->nports; i++) {
		if (spec_port_check(&c->ports[i].spec, ctx.msg,
				    sizeof(ctx.msg))) {
			ctx.rc = -EINVAL;
			ctx.err_line = c->ports[i].line;
		}
	}

	for (i = 0; !ctx.rc && i < c->nendpoints; i++) {
		if (spec_endpoint_check(&c->endpoints[i].spec, ctx.msg,
					sizeof(ctx.msg))) {
			ctx.rc = -EINVAL;
			ctx.err_line = c->endpoints[i].line;
		}
	}

	if (ctx.rc)
		snprintf(err, errlen, "%s:%u: %s", c->file, ctx.err_line,
			 ctx.msg);
	return ctx.rc;
}

/**
 * config_parse_file() - read and parse a config file
 * @c:		result; free with config_free() whatever the return value
 * @path:	file
 * @err:	one line on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -errno
 */
int config_parse_file(struct config *c, const char *path, char *err,
		      size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	struct stat st;
	int fd, rc;

	memset(c, 0, sizeof(*c));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot read config file %s: %s", path,
			 strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    st.st_size > CONFIG_FILE_MAX) {
		rc = -EINVAL;
		snprintf(err, errlen,
			 "config file %s: not a regular file of at most %u bytes",
			 path, CONFIG_FILE_MAX);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			snprintf(err, errlen, "cannot read config file %s: %s",
				 path, strerror(-rc));
			goto out;
		}
		len += (size_t)n;
	}
	rc = config_parse_buffer(c, path, buf, len, err, errlen);
out:
	free(buf);
	close(fd);
	return rc;
}

/**
 * config_free() - release what a parse allocated
 * @c:		config
 */
void config_free(struct config *c)
{
	free(c->tenants);
	free(c->ports);
	free(c->endpoints);
	c->tenants = NULL;
	c->ports = NULL;
	c->endpoints = NULL;
	c->ntenants = c->nports = c->nendpoints = 0;
}
