// SPDX-License-Identifier: MIT
/*
 * fuzz_config.c - libFuzzer target: the configuration file
 *
 * The input is a config file's contents, handed to config_parse_buffer()
 * exactly as config_parse_file() hands it what it read (no NUL added).
 * Whatever it holds must be refused with a "FILE:LINE: message" or
 * accepted, never crash or leak. What is accepted must be sound:
 *
 *  - every name is one the control protocol would take too, tenant names
 *    unique, port and endpoint names unique across both kinds;
 *  - every section passes its spec_*_check() again, and its header line
 *    is inside the file, in file order;
 *  - [daemon] values are inside their documented ranges;
 *  - written out again as INI (canonical keys, from the state records'
 *    JSON, which reconcile.c compares sections by) and parsed a second
 *    time, it is the same configuration (unless a canonical line came out
 *    longer than the parser takes).
 *
 * Seeds: test/fuzz/corpus/config/.
 */
#include <ini.h>
#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "parse.h"
#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/**
 * fuzz_section() - write one section as INI from its canonical JSON
 * @f:		output
 * @kind:	"tenant", "port" or "endpoint"
 * @o:		state_*_json() of the section (consumed)
 *
 * Every key but "name" (which is in the header) becomes KEY =VALUE, an
 * array one line per element, as the file would repeat the key. No blank
 * after '=': inih reads ";x" in "KEY =;x" as the value but as a comment
 * in "KEY = ;x" (an inline comment needs a blank before it).
 */
static void fuzz_section(FILE *f, const char *kind, struct json_object *o)
{
	struct json_object *name;
	size_t i;

	if (!o || !json_object_object_get_ex(o, "name", &name))
		abort();
	fprintf(f, "[%s %s]\n", kind, json_object_get_string(name));
	json_object_object_foreach(o, k, v)
	{
		if (!strcmp(k, "name"))
			continue;
		if (json_object_is_type(v, json_type_array)) {
			for (i = 0; i < json_object_array_length(v); i++)
				fprintf(f, "%s =%s\n", k,
					json_object_get_string(
						json_object_array_get_idx(v, i)));
		} else {
			fprintf(f, "%s =%s\n", k, json_object_get_string(v));
		}
	}
	json_object_put(o);
}

/**
 * fuzz_daemon() - write the [daemon] keys that were set
 * @f:		output
 * @d:		settings
 *
 * Free text values as in fuzz_section(): no blank after '='.
 */
static void fuzz_daemon(FILE *f, const struct config_daemon *d)
{
	unsigned i;

	fprintf(f, "[daemon]\n");
	if (d->set & CONFIG_WORKERS)
		fprintf(f, "workers = %u\n", d->workers);
	if (d->set & CONFIG_CPUS) {
		fprintf(f, "cpus = ");
		for (i = 0; i < d->ncpus; i++)
			fprintf(f, "%s%d", i ? "," : "", d->cpus[i]);
		fprintf(f, "\n");
	}
	if (d->set & CONFIG_SOCKET)
		fprintf(f, "socket =%s\n", d->socket);
	if (d->set & CONFIG_APP_SOCKET)
		fprintf(f, "app-socket =%s\n", d->app_socket);
	if (d->set & CONFIG_LOG_LEVEL)
		fprintf(f, "log-level = %s\n", log_level_name(d->log_level));
	if (d->set & CONFIG_FDB_LIMIT)
		fprintf(f, "fdb-limit = %u\n", d->fdb_limit);
	if (d->set & CONFIG_FDB_AGING)
		fprintf(f, "fdb-aging = %u\n", d->fdb_aging_s);
	if (d->set & CONFIG_FDB_MAX)
		fprintf(f, "fdb-max = %u\n", d->fdb_max);
	if (d->set & CONFIG_BUSY_POLL)
		fprintf(f, "busy-poll = %u\n", d->busy_poll_us);
	if (d->set & CONFIG_ARENA_BUFS)
		fprintf(f, "arena-bufs = %u\n", d->arena_bufs);
	if (d->set & CONFIG_NAPI)
		fprintf(f, "napi = %s\n", d->napi ? "on" : "off");
	if (d->set & CONFIG_STATE)
		fprintf(f, "state =%s\n", d->state);
	if (d->set & CONFIG_METRICS)
		fprintf(f, "metrics =%s\n", d->metrics);
	if (d->set & CONFIG_SCHED)
		fprintf(f, "sched = %s\n", d->sched ? "on" : "off");
	if (d->set & CONFIG_ONE_HOP)
		fprintf(f, "one-hop = %s\n", d->one_hop ? "on" : "off");
}

/**
 * fuzz_daemon_same() - do two [daemon] settings say the same?
 * @a:		first
 * @b:		second
 *
 * Return: true if the same keys are set to the same values
 */
static bool fuzz_daemon_same(const struct config_daemon *a,
			     const struct config_daemon *b)
{
	unsigned s = a->set;

	return a->set == b->set &&
	       (!(s & CONFIG_WORKERS) || a->workers == b->workers) &&
	       (!(s & CONFIG_CPUS) ||
		(a->ncpus == b->ncpus &&
		 !memcmp(a->cpus, b->cpus, a->ncpus * sizeof(a->cpus[0])))) &&
	       (!(s & CONFIG_SOCKET) || !strcmp(a->socket, b->socket)) &&
	       (!(s & CONFIG_APP_SOCKET) ||
		!strcmp(a->app_socket, b->app_socket)) &&
	       (!(s & CONFIG_LOG_LEVEL) || a->log_level == b->log_level) &&
	       (!(s & CONFIG_FDB_LIMIT) || a->fdb_limit == b->fdb_limit) &&
	       (!(s & CONFIG_FDB_AGING) || a->fdb_aging_s == b->fdb_aging_s) &&
	       (!(s & CONFIG_FDB_MAX) || a->fdb_max == b->fdb_max) &&
	       (!(s & CONFIG_BUSY_POLL) ||
		a->busy_poll_us == b->busy_poll_us) &&
	       (!(s & CONFIG_ARENA_BUFS) || a->arena_bufs == b->arena_bufs) &&
	       (!(s & CONFIG_NAPI) || a->napi == b->napi) &&
	       (!(s & CONFIG_STATE) || !strcmp(a->state, b->state)) &&
	       (!(s & CONFIG_METRICS) || !strcmp(a->metrics, b->metrics)) &&
	       (!(s & CONFIG_SCHED) || a->sched == b->sched) &&
	       (!(s & CONFIG_ONE_HOP) || a->one_hop == b->one_hop);
}

/**
 * fuzz_check_daemon() - [daemon] values inside their documented ranges
 * @d:		settings
 */
static void fuzz_check_daemon(const struct config_daemon *d)
{
	if ((d->set & CONFIG_WORKERS) &&
	    (d->workers < 1 || d->workers > CONFIG_MAX_CPUS))
		abort();
	if ((d->set & CONFIG_CPUS) && (!d->ncpus || d->ncpus > CONFIG_MAX_CPUS))
		abort();
	if ((d->set & CONFIG_SOCKET) && !d->socket[0])
		abort();
	if ((d->set & CONFIG_STATE) && d->state[0] != '/')
		abort();
	if ((d->set & CONFIG_FDB_LIMIT) &&
	    (!d->fdb_limit || d->fdb_limit > 1U << 24))
		abort();
	if ((d->set & CONFIG_FDB_MAX) && d->fdb_max > 1U << 24)
		abort();
	if ((d->set & CONFIG_ARENA_BUFS) &&
	    (d->arena_bufs < 64 || d->arena_bufs > CONFIG_ARENA_BUFS_MAX))
		abort();
}

/* qsort() comparison of two names */
static int fuzz_strcmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/**
 * fuzz_section_ok() - one accepted section's invariants
 * @name_ok:	its name is valid for its kind
 * @line:	its header line
 * @prev:	header line of the section of this kind before it (updated)
 * @lines:	lines in the input
 * @check:	what its spec_*_check() says now
 */
static void fuzz_section_ok(bool name_ok, unsigned line, unsigned *prev,
			    unsigned lines, int check)
{
	if (!name_ok || line <= *prev || line > lines || check)
		abort();
	*prev = line;
}

/**
 * fuzz_names_unique() - no name twice
 * @names:	names (sorted here)
 * @n:		how many
 */
static void fuzz_names_unique(const char **names, unsigned n)
{
	unsigned i;

	qsort(names, n, sizeof(*names), fuzz_strcmp);
	for (i = 1; i < n; i++)
		if (!strcmp(names[i - 1], names[i]))
			abort();
}

/**
 * fuzz_check() - invariants of an accepted configuration
 * @c:		parsed configuration
 * @lines:	lines in the input (a last one without newline counts)
 */
static void fuzz_check(const struct config *c, unsigned lines)
{
	const char **names = calloc(c->ntenants + c->nports + c->nendpoints + 1,
				    sizeof(*names));
	unsigned i, n = 0, prev = 0;
	char err[256];

	if (!names)
		abort();
	fuzz_check_daemon(&c->daemon);
	for (i = 0; i < c->ntenants; i++) {
		const struct spec_tenant *t = &c->tenants[i].spec;

		fuzz_section_ok(parse_name_ok(t->name), c->tenants[i].line,
				&prev, lines,
				spec_tenant_check(t, err, sizeof(err)));
		names[n++] = t->name;
	}
	fuzz_names_unique(names, n);

	/* Ports and endpoints: one namespace */
	for (i = 0, n = 0, prev = 0; i < c->nports; i++) {
		const struct spec_port *p = &c->ports[i].spec;

		fuzz_section_ok(parse_ifname_ok(p->name), c->ports[i].line,
				&prev, lines,
				spec_port_check(p, err, sizeof(err)));
		names[n++] = p->name;
	}
	for (i = 0, prev = 0; i < c->nendpoints; i++) {
		const struct spec_endpoint *e = &c->endpoints[i].spec;

		fuzz_section_ok(parse_ifname_ok(e->name), c->endpoints[i].line,
				&prev, lines,
				spec_endpoint_check(e, err, sizeof(err)));
		names[n++] = e->name;
	}
	fuzz_names_unique(names, n);
	free(names);
}

/**
 * fuzz_same_text() - compare two fingerprints and free them
 * @f1:		first, may be NULL (out of memory)
 * @f2:		second, likewise
 *
 * Return: true if both exist and are equal
 */
static bool fuzz_same_text(char *f1, char *f2)
{
	bool same = f1 && f2 && !strcmp(f1, f2);

	free(f1);
	free(f2);
	return same;
}

/**
 * fuzz_fingerprints_same() - same sections, in the same order, same keys
 * @a:		first configuration
 * @b:		second
 *
 * Return: true if every section's canonical text matches
 */
static bool fuzz_fingerprints_same(const struct config *a,
				   const struct config *b)
{
	bool same = a->ntenants == b->ntenants && a->nports == b->nports &&
		    a->nendpoints == b->nendpoints;
	unsigned i;

	for (i = 0; same && i < a->ntenants; i++)
		same = fuzz_same_text(
			state_tenant_fingerprint(&a->tenants[i].spec),
			state_tenant_fingerprint(&b->tenants[i].spec));
	for (i = 0; same && i < a->nports; i++)
		same = fuzz_same_text(state_port_fingerprint(&a->ports[i].spec),
				      state_port_fingerprint(&b->ports[i].spec));
	for (i = 0; same && i < a->nendpoints; i++)
		same = fuzz_same_text(
			state_endpoint_fingerprint(&a->endpoints[i].spec),
			state_endpoint_fingerprint(&b->endpoints[i].spec));
	return same;
}

/**
 * fuzz_longest_line() - length of the longest line, newline included
 * @text:	text
 * @len:	its length
 *
 * Return: that length
 */
static size_t fuzz_longest_line(const char *text, size_t len)
{
	size_t longest = 0, start = 0, i;

	for (i = 0; i < len; i++) {
		if (text[i] == '\n') {
			if (i + 1 - start > longest)
				longest = i + 1 - start;
			start = i + 1;
		}
	}
	return len - start > longest ? len - start : longest;
}

/**
 * LLVMFuzzerTestOneInput() - one fuzz input
 * @data:	a config file's contents
 * @size:	their length
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c, again;
	unsigned lines = 0, i;
	char err[512], *text = NULL;
	size_t len = 0;
	FILE *f;

	err[0] = '\0';
	if (config_parse_buffer(&c, "fuzz.conf", (const char *)data, size, err,
				sizeof(err))) {
		/* A refusal names the file and a line. */
		if (strncmp(err, "fuzz.conf:", 10))
			abort();
		config_free(&c);
		return 0;
	}

	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (size && data[size - 1] != '\n')
		lines++;
	fuzz_check(&c, lines);

	f = open_memstream(&text, &len);
	if (!f)
		abort();
	fuzz_daemon(f, &c.daemon);
	for (i = 0; i < c.ntenants; i++)
		fuzz_section(f, "tenant", state_tenant_json(&c.tenants[i].spec));
	for (i = 0; i < c.nports; i++)
		fuzz_section(f, "port", state_port_json(&c.ports[i].spec));
	for (i = 0; i < c.nendpoints; i++)
		fuzz_section(f, "endpoint",
			     state_endpoint_json(&c.endpoints[i].spec));
	if (fclose(f))
		abort();
	/* Canonical values can be longer than the input's ("cpus = 0-63",
	 * "rate = 10G"): a line too long for inih is no round trip. */
	if (fuzz_longest_line(text, len) > INI_MAX_LINE - 2) {
		free(text);
		config_free(&c);
		return 0;
	}

	if (config_parse_buffer(&again, "again.conf", text, len, err,
				sizeof(err))) {
		fprintf(stderr, "written out, refused: %s\n%s", err, text);
		abort();
	}
	if (!fuzz_daemon_same(&c.daemon, &again.daemon) ||
	    !fuzz_fingerprints_same(&c, &again)) {
		fprintf(stderr, "written out, parsed differently:\n%s", text);
		abort();
	}
	free(text);
	config_free(&again);
	config_free(&c);
	return 0;
}
