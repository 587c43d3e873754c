// SPDX-License-Identifier: MIT
/*
 * metrics.c - vstackd's statistics in the Prometheus text format
 *
 * Theory of operation
 *
 * The input is the stats result object (see cmd_stats()): arrays "ports",
 * "networks", "tenants" and "workers" of objects with counters, and the
 * daemon's "uptime_ns". The output is the Prometheus text exposition
 * format, version 0.0.4:
 *
 *	# HELP vstack_port_rx_packets_total Frames read from the port.
 *	# TYPE vstack_port_rx_packets_total counter
 *	vstack_port_rx_packets_total{port="tap0",network="default",tenant="a"} 12
 *
 * The format wants every line of one metric family together, under one
 * HELP and one TYPE line, so the walk is family-major: a fixed table of
 * families, and for each family every object of its array. Counters end
 * in _total; what can go down (FDB entries, CPU use now) is a gauge.
 * Drops are one family per object kind with a reason="..." label, so that
 * sum() over reasons gives the total (drops_total is therefore not
 * exported). Integers are printed as the exact decimal they are; CPU
 * nanoseconds become seconds by decimal arithmetic, not through a double.
 *
 * Label values come from names (of ports, networks, tenants) and are
 * escaped as the format says: backslash, double quote and line feed.
 *
 * Tenant members this module does not know (the scheduler's figures, say)
 * are exported generically as vstack_tenant_<member> gauges, one level of
 * nested object flattened to vstack_tenant_<member>_<sub>, so that a new
 * figure shows up without a change here; a member whose name ends in
 * _total is taken to be a counter, as Prometheus naming has it.
 */
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

#define METRICS_EXTRA_MAX 64 /* generic tenant families at most */
#define METRICS_NAME_MAX 128

enum metrics_kind {
	METRICS_VALUE,   /* the member's number */
	METRICS_DROPS,   /* one sample per member of "drops", reason="..." */
	METRICS_SECONDS, /* nanoseconds in the member, exported as seconds */
	METRICS_RATIO,   /* percent in the member, exported as a ratio */
	METRICS_INFO,    /* constant 1, the member goes into a label */
};

enum metrics_labels {
	METRICS_L_PORT,    /* port, network, tenant */
	METRICS_L_NETWORK, /* network */
	METRICS_L_TENANT,  /* tenant */
	METRICS_L_WORKER,  /* worker */
	METRICS_L_NONE,    /* top-level member, no labels */
};

/**
 * struct metrics_family - one exported metric family
 * @name:	metric name
 * @counter:	counter, else gauge
 * @help:	HELP text
 * @array:	member of the stats object holding the objects, NULL for a
 *		top-level member
 * @key:	member of each object, "a.b" for a nested one
 * @kind:	how the member becomes samples
 * @labels:	which labels identify an object
 */
struct metrics_family {
	const char *name;
	bool counter;
	const char *help;
	const char *array;
	const char *key;
	enum metrics_kind kind;
	enum metrics_labels labels;
};

/* The traffic families of ports, networks and tenants. */
#define M_TRAFFIC(obj, arr, lab, what)                                       \
	{ "vstack_" obj "_rx_packets_total", true,                           \
	  "Frames read from " what ".", arr, "rx_packets",                   \
	  METRICS_VALUE, lab },                                              \
	{ "vstack_" obj "_rx_bytes_total", true,                             \
	  "Bytes of frames read from " what                                  \
	  " (virtio-net header excluded).", arr, "rx_bytes",                 \
	  METRICS_VALUE, lab },                                              \
	{ "vstack_" obj "_tx_packets_total", true,                           \
	  "Frames written to " what ".", arr, "tx_packets",                  \
	  METRICS_VALUE, lab },                                              \
	{ "vstack_" obj "_tx_bytes_total", true,                             \
	  "Bytes of frames written to " what                                 \
	  " (virtio-net header excluded).", arr, "tx_bytes",                 \
	  METRICS_VALUE, lab },                                              \
	{ "vstack_" obj "_drops_total", true,                                \
	  "Frames dropped, counted at " what ", by reason.", arr, "drops",   \
	  METRICS_DROPS, lab }

static const struct metrics_family metrics_families[] = {
	{ "vstack_uptime_seconds", false,
	  "Seconds since vstackd started.", NULL, "uptime_ns",
	  METRICS_SECONDS, METRICS_L_NONE },
	{ "vstack_control_clients", false,
	  "Control connections open.", NULL, "control.clients",
	  METRICS_VALUE, METRICS_L_NONE },
	{ "vstack_control_requests_total", true,
	  "Control requests answered.", NULL, "control.requests",
	  METRICS_VALUE, METRICS_L_NONE },
	{ "vstack_control_throttled_total", true,
	  "Times a control client's requests waited for its budget.", NULL,
	  "control.throttled", METRICS_VALUE, METRICS_L_NONE },

	M_TRAFFIC("port", "ports", METRICS_L_PORT, "the port"),
	{ "vstack_port_mtu", false, "MTU of the port.", "ports", "mtu",
	  METRICS_VALUE, METRICS_L_PORT },
	{ "vstack_port_queues", false, "TAP queues of the port.", "ports",
	  "queues", METRICS_VALUE, METRICS_L_PORT },
	{ "vstack_port_fdb_learned", false,
	  "MAC addresses learned from the port in its network's FDB.",
	  "ports", "fdb_learned", METRICS_VALUE, METRICS_L_PORT },
	{ "vstack_port_fdb_max", false,
	  "MAC addresses the FDB learns from the port at most (0: no limit).",
	  "ports", "fdb_max", METRICS_VALUE, METRICS_L_PORT },
	{ "vstack_port_fdb_full_total", true,
	  "Frames from the port whose source was not learned: the port was "
	  "at its fdb-max.", "ports", "fdb_full", METRICS_VALUE,
	  METRICS_L_PORT },

	M_TRAFFIC("network", "networks", METRICS_L_NETWORK,
		  "the network's ports"),
	{ "vstack_network_ports", false, "Ports in the network.", "networks",
	  "ports", METRICS_VALUE, METRICS_L_NETWORK },
	{ "vstack_network_fdb_entries", false,
	  "MAC addresses in the network's forwarding database.", "networks",
	  "fdb.entries", METRICS_VALUE, METRICS_L_NETWORK },
	{ "vstack_network_fdb_limit", false,
	  "Most MAC addresses the network's forwarding database holds.",
	  "networks", "fdb.limit", METRICS_VALUE, METRICS_L_NETWORK },
	{ "vstack_network_fdb_learned_total", true,
	  "MAC addresses learned.", "networks", "fdb.learned", METRICS_VALUE,
	  METRICS_L_NETWORK },
	{ "vstack_network_fdb_moved_total", true,
	  "MAC addresses seen moving to another port.", "networks",
	  "fdb.moved", METRICS_VALUE, METRICS_L_NETWORK },
	{ "vstack_network_fdb_full_total", true,
	  "MAC addresses not learned because the table was full.",
	  "networks", "fdb.full", METRICS_VALUE, METRICS_L_NETWORK },
	{ "vstack_network_fdb_aged_total", true,
	  "MAC addresses forgotten after their aging time.", "networks",
	  "fdb.aged", METRICS_VALUE, METRICS_L_NETWORK },
	{ "vstack_network_fdb_refused_total", true,
	  "Frames dropped for a source MAC address pinned to another port.",
	  "networks", "fdb.refused", METRICS_VALUE, METRICS_L_NETWORK },
	{ "vstack_network_fdb_port_full_total", true,
	  "MAC addresses not learned because their port was at its fdb-max.",
	  "networks", "fdb.port_full", METRICS_VALUE, METRICS_L_NETWORK },

	M_TRAFFIC("tenant", "tenants", METRICS_L_TENANT,
		  "the tenant's ports"),
	{ "vstack_tenant_ports", false, "Ports charged to the tenant.",
	  "tenants", "ports", METRICS_VALUE, METRICS_L_TENANT },

	{ "vstack_worker_info", false,
	  "A worker thread; label cpu is the CPU it is pinned to (-1: none).",
	  "workers", "cpu", METRICS_INFO, METRICS_L_WORKER },
	{ "vstack_worker_cpu_seconds_total", true,
	  "CPU time used by the worker thread.", "workers", "cpu_ns",
	  METRICS_SECONDS, METRICS_L_WORKER },
	{ "vstack_worker_cpu_ratio", false,
	  "CPU use of the worker thread over the last second (1: one CPU).",
	  "workers", "cpu_percent", METRICS_RATIO, METRICS_L_WORKER },
	{ "vstack_worker_frames_total", true,
	  "Frames handled by the worker.", "workers", "frames", METRICS_VALUE,
	  METRICS_L_WORKER },
	{ "vstack_worker_batches_total", true,
	  "Completion batches handled by the worker.", "workers", "batches",
	  METRICS_VALUE, METRICS_L_WORKER },
	{ "vstack_worker_idle_sleeps_total", true,
	  "Times the worker went to sleep for want of work.", "workers",
	  "idle_sleeps", METRICS_VALUE, METRICS_L_WORKER },
	{ "vstack_worker_express_rounds_total", true,
	  "Rounds whose small frames were sent ahead of held bulk.",
	  "workers", "express_rounds", METRICS_VALUE, METRICS_L_WORKER },
	{ "vstack_worker_nowait_refused_total", true,
	  "TAP queues on which the kernel refused non-blocking reads "
	  "(RWF_NOWAIT, before Linux 6.4): one read in flight each.",
	  "workers", "nowait_refused", METRICS_VALUE, METRICS_L_WORKER },
	{ "vstack_worker_express_yields_total", true,
	  "Express rounds after which the worker yielded its CPU to a quiet "
	  "tenant's woken program.",
	  "workers", "express_yields", METRICS_VALUE, METRICS_L_WORKER },
};

/* Tenant members exported by the table above, or not numbers at all. */
static const char *const metrics_tenant_known[] = {
	"name", "ports", "rx_packets", "rx_bytes", "tx_packets", "tx_bytes",
	"drops", "drops_total",
};
#define METRICS_TENANT_KNOWN \
	(sizeof(metrics_tenant_known) / sizeof(metrics_tenant_known[0]))

/**
 * metrics_get() - a member by path, "a" or "a.b"
 * @o:		object
 * @path:	member path
 *
 * Return: the member, or NULL
 */
static struct json_object *metrics_get(struct json_object *o, const char *path)
{
	const char *dot = strchr(path, '.');
	struct json_object *v = NULL;
	char first[64];

	if (!o || !json_object_is_type(o, json_type_object))
		return NULL;
	if (!dot)
		return json_object_object_get_ex(o, path, &v) ? v : NULL;
	snprintf(first, sizeof(first), "%.*s", (int)(dot - path), path);
	if (!json_object_object_get_ex(o, first, &v))
		return NULL;
	return metrics_get(v, dot + 1);
}

/**
 * metrics_is_number() - can this member be a sample value?
 * @v:		member, may be NULL
 *
 * Return: true for integers, doubles and booleans
 */
static bool metrics_is_number(struct json_object *v)
{
	return v && (json_object_is_type(v, json_type_int) ||
		     json_object_is_type(v, json_type_double) ||
		     json_object_is_type(v, json_type_boolean));
}

/**
 * metrics_double() - print a double as the format spells it
 * @f:		output
 * @d:		value
 */
static void metrics_double(FILE *f, double d)
{
	if (isnan(d))
		fputs("NaN", f);
	else if (isinf(d))
		fputs(d > 0 ? "+Inf" : "-Inf", f);
	else
		fprintf(f, "%.10g", d);
}

/**
 * metrics_seconds() - print nanoseconds as exact decimal seconds
 * @f:		output
 * @ns:		nanoseconds
 *
 * 1500000000 prints as 1.5, 2000000000 as 2: no rounding through a double.
 */
static void metrics_seconds(FILE *f, uint64_t ns)
{
	char frac[16];
	int n;

	fprintf(f, "%llu", (unsigned long long)(ns / 1000000000ull));
	if (!(ns % 1000000000ull))
		return;
	n = snprintf(frac, sizeof(frac), "%09llu",
		     (unsigned long long)(ns % 1000000000ull));
	while (n > 0 && frac[n - 1] == '0')
		frac[--n] = '\0';
	fprintf(f, ".%s", frac);
}

/**
 * metrics_value() - print a member as a sample value
 * @f:		output
 * @v:		member, a number (see metrics_is_number())
 * @kind:	METRICS_VALUE, METRICS_SECONDS or METRICS_RATIO
 */
static void metrics_value(FILE *f, struct json_object *v,
			  enum metrics_kind kind)
{
	bool dbl = json_object_is_type(v, json_type_double);

	if (json_object_is_type(v, json_type_boolean)) {
		fputs(json_object_get_boolean(v) ? "1" : "0", f);
	} else if (kind == METRICS_RATIO) {
		metrics_double(f, json_object_get_double(v) / 100.0);
	} else if (dbl && kind == METRICS_SECONDS) {
		metrics_double(f, json_object_get_double(v) / 1e9);
	} else if (dbl) {
		metrics_double(f, json_object_get_double(v));
	} else if (json_object_get_int64(v) < 0) {
		/* Negative nanoseconds do not happen; print what we got. */
		int64_t i = json_object_get_int64(v);

		if (kind == METRICS_SECONDS)
			metrics_double(f, (double)i / 1e9);
		else
			fprintf(f, "%lld", (long long)i);
	} else if (kind == METRICS_SECONDS) {
		metrics_seconds(f, json_object_get_uint64(v));
	} else {
		fprintf(f, "%llu",
			(unsigned long long)json_object_get_uint64(v));
	}
}

/**
 * metrics_escape() - print a label value, escaped
 * @f:		output
 * @s:		value
 *
 * The format escapes backslash, double quote and line feed in label
 * values, and nothing else.
 */
static void metrics_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '"')
			fputs("\\\"", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

/**
 * metrics_help() - print a HELP text, escaped (backslash, line feed)
 * @f:		output
 * @s:		text
 */
static void metrics_help(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

/**
 * metrics_label() - print one label, name="value", with a leading comma
 *		     unless it is the first
 * @f:		output
 * @first:	true for the first label; cleared
 * @name:	label name
 * @o:		object
 * @key:	member holding the value
 */
static void metrics_label(FILE *f, bool *first, const char *name,
			  struct json_object *o, const char *key)
{
	struct json_object *v = metrics_get(o, key);

	fprintf(f, "%s%s=\"", *first ? "" : ",", name);
	*first = false;
	/* json_object_get_string() prints numbers (worker ids) as JSON. */
	metrics_escape(f, v ? json_object_get_string(v) : "");
	fputc('"', f);
}

/**
 * metrics_labels() - print the labels that identify an object, no braces
 * @f:		output
 * @o:		object
 * @labels:	which labels
 *
 * Return: false if no label was printed
 */
static bool metrics_labels(FILE *f, struct json_object *o,
			   enum metrics_labels labels)
{
	bool first = true;

	switch (labels) {
	case METRICS_L_PORT:
		metrics_label(f, &first, "port", o, "name");
		metrics_label(f, &first, "network", o, "network");
		metrics_label(f, &first, "tenant", o, "tenant");
		break;
	case METRICS_L_NETWORK:
		metrics_label(f, &first, "network", o, "name");
		break;
	case METRICS_L_TENANT:
		metrics_label(f, &first, "tenant", o, "name");
		break;
	case METRICS_L_WORKER:
		metrics_label(f, &first, "worker", o, "id");
		break;
	case METRICS_L_NONE:
		break;
	}
	return !first;
}

/**
 * metrics_header() - the HELP and TYPE lines of a family
 * @f:		output
 * @name:	metric name
 * @counter:	counter, else gauge
 * @help:	help text
 */
static void metrics_header(FILE *f, const char *name, bool counter,
			   const char *help)
{
	fprintf(f, "# HELP %s ", name);
	metrics_help(f, help);
	fprintf(f, "\n# TYPE %s %s\n", name, counter ? "counter" : "gauge");
}

/**
 * metrics_object() - the samples of one family for one object
 * @f:		output
 * @fam:	family
 * @o:		object (or the stats object, for a top-level member)
 */
static void metrics_object(FILE *f, const struct metrics_family *fam,
			   struct json_object *o)
{
	struct json_object *v = metrics_get(o, fam->key);

	if (fam->kind == METRICS_DROPS) {
		if (!v || !json_object_is_type(v, json_type_object))
			return;
		json_object_object_foreach(v, reason, n) {
			if (!metrics_is_number(n))
				continue;
			fprintf(f, "%s{", fam->name);
			metrics_labels(f, o, fam->labels);
			fputs(",reason=\"", f);
			metrics_escape(f, reason);
			fputs("\"} ", f);
			metrics_value(f, n, METRICS_VALUE);
			fputc('\n', f);
		}
		return;
	}
	if (fam->kind == METRICS_INFO) {
		fprintf(f, "%s{", fam->name);
		metrics_labels(f, o, fam->labels);
		fprintf(f, ",%s=\"", fam->key);
		metrics_escape(f, v ? json_object_get_string(v) : "");
		fputs("\"} 1\n", f);
		return;
	}
	if (!metrics_is_number(v))
		return;
	fputs(fam->name, f);
	if (fam->labels != METRICS_L_NONE) {
		fputc('{', f);
		metrics_labels(f, o, fam->labels);
		fputc('}', f);
	}
	fputc(' ', f);
	metrics_value(f, v, fam->kind);
	fputc('\n', f);
}

/**
 * metrics_family() - one family: its header and every object's samples
 * @f:		output
 * @fam:	family
 * @stats:	stats object
 */
static void metrics_family(FILE *f, const struct metrics_family *fam,
			   struct json_object *stats)
{
	struct json_object *a;
	size_t i, n;

	metrics_header(f, fam->name, fam->counter, fam->help);
	if (!fam->array) {
		metrics_object(f, fam, stats);
		return;
	}
	a = metrics_get(stats, fam->array);
	if (!a || !json_object_is_type(a, json_type_array))
		return;
	n = json_object_array_length(a);
	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(a, i);

		if (o && json_object_is_type(o, json_type_object))
			metrics_object(f, fam, o);
	}
}

/**
 * struct metrics_extra - a generic tenant family
 * @name:	metric name
 * @key:	member path, "a" or "a.b"
 */
struct metrics_extra {
	char name[METRICS_NAME_MAX];
	char key[METRICS_NAME_MAX];
};

/**
 * metrics_name_append() - append a JSON member name to a metric name,
 *			   with every character the format does not allow
 *			   in names replaced by '_'
 * @name:	metric name so far
 * @key:	member name
 *
 * Return: false if the result would not fit
 */
static bool metrics_name_append(char *name, const char *key)
{
	size_t n = strlen(name);

	for (; *key; key++) {
		char c = *key;

		if (n + 1 >= METRICS_NAME_MAX)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_'))
			c = '_';
		name[n++] = c;
	}
	name[n] = '\0';
	return true;
}

/**
 * metrics_extra_add() - note a generic tenant family, once
 * @x:		families so far
 * @nx:		their number
 * @key:	member
 * @sub:	member of @key's object, or NULL
 */
static void metrics_extra_add(struct metrics_extra *x, unsigned *nx,
			      const char *key, const char *sub)
{
	struct metrics_extra e;
	unsigned i;

	if (*nx >= METRICS_EXTRA_MAX || !*key || (sub && !*sub))
		return;
	if (strchr(key, '.') || (sub && strchr(sub, '.')))
		return; /* not expressible as a metrics_get() path */
	snprintf(e.name, sizeof(e.name), "vstack_tenant_");
	if (!metrics_name_append(e.name, key) ||
	    (sub && (!metrics_name_append(e.name, "_") ||
		     !metrics_name_append(e.name, sub))))
		return;
	if (snprintf(e.key, sizeof(e.key), "%s%s%s", key, sub ? "." : "",
		     sub ? sub : "") >= (int)sizeof(e.key))
		return;
	/* Two members that sanitize to one name, or to a fixed family's
	 * name, would make a family appear twice: keep the first.
	 */
	for (i = 0; i < sizeof(metrics_families) / sizeof(metrics_families[0]);
	     i++)
		if (!strcmp(metrics_families[i].name, e.name))
			return;
	for (i = 0; i < *nx; i++)
		if (!strcmp(x[i].name, e.name))
			return;
	x[(*nx)++] = e;
}

/**
 * metrics_extras() - find the tenant members the fixed table lacks
 * @stats:	stats object
 * @x:		result
 *
 * Return: number of generic families in @x, in order of first appearance
 */
static unsigned metrics_extras(struct json_object *stats,
			       struct metrics_extra *x)
{
	struct json_object *a = metrics_get(stats, "tenants");
	unsigned nx = 0, k;
	size_t i, n;

	if (!a || !json_object_is_type(a, json_type_array))
		return 0;
	n = json_object_array_length(a);
	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(a, i);

		if (!o || !json_object_is_type(o, json_type_object))
			continue;
		json_object_object_foreach(o, key, v) {
			bool known = false;

			for (k = 0; k < METRICS_TENANT_KNOWN; k++)
				known |= !strcmp(key, metrics_tenant_known[k]);
			if (known || !v)
				continue;
			if (metrics_is_number(v)) {
				metrics_extra_add(x, &nx, key, NULL);
				continue;
			}
			if (!json_object_is_type(v, json_type_object))
				continue;
			json_object_object_foreach(v, sub, sv) {
				if (metrics_is_number(sv))
					metrics_extra_add(x, &nx, key, sub);
			}
		}
	}
	return nx;
}

/**
 * metrics_render() - the stats result in the Prometheus text format
 * @stats:	result object of the stats command
 * @out:	malloc'd text on success, NUL-terminated
 * @len:	its length
 *
 * Members that are missing or of another type than expected are left
 * out; the function never fails on the object's contents.
 *
 * Return: 0, or -ENOMEM
 */
int metrics_render(struct json_object *stats, char **out, size_t *len)
{
	struct metrics_extra *x;
	size_t i, n;
	char help[METRICS_NAME_MAX + 64];
	FILE *f;

	*out = NULL;
	*len = 0;
	x = calloc(METRICS_EXTRA_MAX, sizeof(*x));
	if (!x)
		return -ENOMEM;
	f = open_memstream(out, len);
	if (!f) {
		free(x);
		return -ENOMEM;
	}
	for (i = 0; i < sizeof(metrics_families) / sizeof(metrics_families[0]);
	     i++)
		metrics_family(f, &metrics_families[i], stats);

	n = metrics_extras(stats, x);
	for (i = 0; i < n; i++) {
		struct metrics_family fam = {
			.name = x[i].name,
			.help = help,
			.array = "tenants",
			.key = x[i].key,
			.kind = METRICS_VALUE,
			.labels = METRICS_L_TENANT,
		};
		size_t l = strlen(x[i].name);

		fam.counter = l > 6 && !strcmp(x[i].name + l - 6, "_total");
		snprintf(help, sizeof(help),
			 "Tenant figure '%s' of vstackctl stats --json.",
			 x[i].key);
		metrics_family(f, &fam, stats);
	}
	free(x);
	if (ferror(f)) {
		fclose(f);
		free(*out);
		*out = NULL;
		*len = 0;
		return -ENOMEM;
	}
	if (fclose(f)) {
		free(*out);
		*out = NULL;
		*len = 0;
		return -ENOMEM;
	}
	return 0;
}
