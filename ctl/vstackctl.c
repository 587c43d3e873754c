// SPDX-License-Identifier: MIT
/*
 * vstackctl.c - command-line client of vstackd
 *
 * Each command turns its options into one control-protocol request, sends
 * it, and prints the result: an aligned table by default, the daemon's
 * result object with --json. Values are checked here with the same
 * parsers the daemon uses, so a typo is a usage error (exit 2) before any
 * connection is made; what only the daemon can judge (does the tenant
 * exist?) comes back as its error line (exit 1).
 *
 * stats --watch asks again every --interval seconds and shows rates
 * computed from the last two answers (the daemon's uptime_ns dates each
 * one), redrawing the screen in place on a terminal and printing one
 * block after another otherwise; stats --prometheus prints the answer in
 * the Prometheus text format (ctl/metrics.c), for node_exporter's
 * textfile collector.
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "metrics.h"
#include "parse.h"
#include "proto.h"
#include "spec.h"

#define CTL_RESPONSE_MAX (64U << 20)

#define CTL_INTERVAL_MS_DEFAULT 2000
#define CTL_INTERVAL_MS_MIN 100
#define CTL_INTERVAL_MS_MAX 3600000

static const char *ctl_socket = CONFIG_SOCKET_DEFAULT;
static bool ctl_json;

/* stats options that change what vstackctl does, not what it asks */
static bool ctl_watch;
static bool ctl_prometheus;
static unsigned ctl_interval_ms = CTL_INTERVAL_MS_DEFAULT;
static unsigned long ctl_count; /* 0: until interrupted */

/* Set by SIGINT/SIGTERM during stats --watch. */
static volatile sig_atomic_t ctl_stop;

static const char ctl_usage[] =
"Usage: vstackctl [--socket PATH] [--json] COMMAND [ARGS...]\n"
"Control vstackd, the vstack switch daemon.\n"
"\n"
"Commands:\n"
"  tenant add NAME [--cgroup PATH | --pid PID] [--weight W] [--rate BPS]\n"
"  tenant set NAME [--cgroup PATH | --pid PID] [--weight W] [--rate BPS]\n"
"  tenant del NAME\n"
"  tenant list\n"
"  port add NAME [--tenant T] [--network NET] [--type tap]\n"
"           [--netns NAME | --netns-pid PID] [--mac MAC]\n"
"           [--address ADDR/LEN]... [--mtu N] [--queues N] [--offload on|off]\n"
"           [--lock on|off] [--fdb-max N]\n"
"  port del NAME [NAME]...\n"
"  port list\n"
"  endpoint add NAME --address ADDR/LEN [--tenant T] [--network NET]\n"
"           [--gateway ADDR] [--mtu N] [--mac MAC]\n"
"  endpoint del NAME\n"
"  endpoint list\n"
"  network list\n"
"  fdb show [--network NET]\n"
"  reload\n"
"  stats [--tenant T | --port P]\n"
"  stats [--tenant T | --port P] [--prometheus]\n"
"  stats [--tenant T | --port P] --watch [--interval SEC] [--count N]\n"
"\n"
"Options:\n"
"  -s, --socket PATH   control socket (default " CONFIG_SOCKET_DEFAULT ")\n"
"  -j, --json          print the daemon's result as JSON\n"
"  -h, --help          this text; COMMAND --help for a command's options\n"
"\n"
"Exit status: 0 on success, 1 if vstackd reported an error or cannot be\n"
"reached, 2 for a usage error.\n";

/**
 * struct ctl_cmd - a command of the tool
 * @noun:	"port", "tenant", ...
 * @verb:	"add", ... or NULL for one-word commands ("stats")
 * @usage:	its --help text
 * @run:	builds the request arguments from the command's arguments
 * @wire:	protocol command
 * @print:	prints the result as a table, NULL for quiet commands
 */
struct ctl_cmd {
	const char *noun;
	const char *verb;
	const char *usage;
	int (*run)(const struct ctl_cmd *cmd, int argc, char **argv,
		   struct json_object *args);
	const char *wire;
	void (*print)(struct json_object *result);
};

/**
 * ctl_usage_error() - report a usage error and exit 2
 * @cmd:	command, or NULL for the tool
 * @fmt:	message
 */
__attribute__((format(printf, 2, 3), noreturn))
static void ctl_usage_error(const struct ctl_cmd *cmd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cmd)
		fprintf(stderr, "vstackctl: %s%s%s: %s (try 'vstackctl %s%s%s --help')\n",
			cmd->noun, cmd->verb ? " " : "",
			cmd->verb ? cmd->verb : "", msg, cmd->noun,
			cmd->verb ? " " : "", cmd->verb ? cmd->verb : "");
	else
		fprintf(stderr, "vstackctl: %s (try 'vstackctl --help')\n", msg);
	exit(2);
}

/* ---- tables ------------------------------------------------------------ */

#define CTL_TABLE_COLS 16

/**
 * struct ctl_table - rows of text cells printed in aligned columns
 * @ncols:	columns
 * @right:	right-align column (numbers)
 * @cells:	ncols * nrows strings, row 0 the header
 * @nrows:	rows, header included
 */
struct ctl_table {
	unsigned ncols;
	bool right[CTL_TABLE_COLS];
	char **cells;
	unsigned nrows;
};

/**
 * ctl_table_init() - start a table with its header
 * @t:		table
 * @hdr:	column names; a leading '>' means right-aligned
 */
static void ctl_table_init(struct ctl_table *t, const char *const *hdr)
{
	unsigned i;

	memset(t, 0, sizeof(*t));
	for (i = 0; hdr[i] && i < CTL_TABLE_COLS; i++)
		;
	t->ncols = i;
	t->cells = calloc(t->ncols, sizeof(char *));
	if (!t->cells)
		abort();
	for (i = 0; i < t->ncols; i++) {
		t->right[i] = hdr[i][0] == '>';
		t->cells[i] = strdup(hdr[i] + t->right[i]);
	}
	t->nrows = 1;
}

/**
 * ctl_table_row() - add a row
 * @t:		table
 * @...:	ncols strings (copied)
 */
static void ctl_table_row(struct ctl_table *t, ...)
{
	va_list ap;
	unsigned i;

	t->cells = realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(char *));
	if (!t->cells)
		abort();
	va_start(ap, t);
	for (i = 0; i < t->ncols; i++) {
		const char *s = va_arg(ap, const char *);

		t->cells[t->nrows * t->ncols + i] = strdup(s ? s : "");
	}
	va_end(ap);
	t->nrows++;
}

/**
 * ctl_table_print() - print a table and free it
 * @t:		table
 */
static void ctl_table_print(struct ctl_table *t)
{
	size_t w[CTL_TABLE_COLS] = { 0 };
	unsigned r, c;

	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			size_t l = strlen(t->cells[r * t->ncols + c]);

			if (l > w[c])
				w[c] = l;
		}
	}
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];
			bool last = c + 1 == t->ncols;

			if (t->right[c])
				printf("%*s", (int)w[c], s);
			else if (last)
				printf("%s", s);
			else
				printf("%-*s", (int)w[c], s);
			if (!last)
				fputs("  ", stdout);
			free(t->cells[r * t->ncols + c]);
		}
		putchar('\n');
	}
	free(t->cells);
	t->cells = NULL;
}

/**
 * ctl_get() - a member of a result object
 * @o:		object
 * @key:	member
 *
 * Return: the member, or NULL
 */
static struct json_object *ctl_get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

/**
 * ctl_str() - a member as text, for a table cell
 * @o:		object
 * @key:	member
 * @buf:	room for numbers
 * @len:	size of @buf
 *
 * Return: text; "-" for a missing or empty member
 */
static const char *ctl_str(struct json_object *o, const char *key,
			   char *buf, size_t len)
{
	struct json_object *v = ctl_get(o, key);

	if (!v)
		return "-";
	if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);

		return *s ? s : "-";
	}
	if (json_object_is_type(v, json_type_int)) {
		if (json_object_get_int64(v) < 0)
			snprintf(buf, len, "%lld",
				 (long long)json_object_get_int64(v));
		else
			snprintf(buf, len, "%llu",
				 (unsigned long long)json_object_get_uint64(v));
		return buf;
	}
	snprintf(buf, len, "%s", json_object_to_json_string(v));
	return buf;
}

/**
 * ctl_join() - a list of strings as one cell, "a,b,c"
 * @o:		object
 * @key:	member holding the list
 * @buf:	output
 * @len:	size of @buf
 *
 * Return: @buf, "-" if the list is empty
 */
static const char *ctl_join(struct json_object *o, const char *key, char *buf,
			    size_t len)
{
	struct json_object *a = ctl_get(o, key);
	size_t i, n, off = 0;

	buf[0] = '\0';
	if (!a || !json_object_is_type(a, json_type_array))
		return "-";
	n = json_object_array_length(a);
	for (i = 0; i < n && off < len; i++) {
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
					i ? "," : "",
					json_object_get_string(json_object_array_get_idx(a, i)));
	}
	return buf[0] ? buf : "-";
}

/**
 * ctl_array() - a member that is an array
 * @o:		object
 * @key:	member
 * @n:		its length
 *
 * Return: the array, or NULL with @n = 0
 */
static struct json_object *ctl_array(struct json_object *o, const char *key,
				     size_t *n)
{
	struct json_object *a = ctl_get(o, key);

	*n = a && json_object_is_type(a, json_type_array) ?
	     json_object_array_length(a) : 0;
	return *n ? a : NULL;
}

/**
 * ctl_print_tenants() - tenant.list result as a table
 * @result:	result object
 */
static void ctl_print_tenants(struct json_object *result)
{
	static const char *const hdr[] = { "NAME", "CGROUP", ">WEIGHT",
					   ">RATE-BPS", ">PORTS", ">ENDPOINTS",
					   NULL };
	char b1[32], b2[32], b3[32], b4[32];
	struct json_object *a, *t;
	struct ctl_table tab;
	size_t i, n;

	ctl_table_init(&tab, hdr);
	a = ctl_array(result, "tenants", &n);
	for (i = 0; i < n; i++) {
		t = json_object_array_get_idx(a, i);
		ctl_table_row(&tab, ctl_str(t, "name", b1, sizeof(b1)),
			      ctl_str(t, "cgroup", b1, sizeof(b1)),
			      ctl_str(t, "weight", b1, sizeof(b1)),
			      ctl_str(t, "rate_bps", b2, sizeof(b2)),
			      ctl_str(t, "ports", b3, sizeof(b3)),
			      ctl_str(t, "endpoints", b4, sizeof(b4)));
	}
	ctl_table_print(&tab);
}

/**
 * ctl_print_ports() - port.list result as a table
 * @result:	result object
 */
static void ctl_print_ports(struct json_object *result)
{
	static const char *const hdr[] = { "NAME", "STATE", "NETWORK", "TENANT",
		"NETNS", "MAC", ">MTU", ">QUEUES", "OFFLOADS", "ADDRESSES",
		">RX-PKTS", ">TX-PKTS", ">DROPS", NULL };
	char mtu[32], q[32], rx[32], tx[32], dr[32], off[128], ad[1024];
	char state[32];
	struct json_object *a, *p;
	struct ctl_table tab;
	size_t i, n;

	ctl_table_init(&tab, hdr);
	a = ctl_array(result, "ports", &n);
	for (i = 0; i < n; i++) {
		p = json_object_array_get_idx(a, i);
		/* "locked": port security is on (--lock) */
		snprintf(state, sizeof(state), "%s%s",
			 ctl_str(p, "state", NULL, 0),
			 json_object_get_boolean(ctl_get(p, "lock")) ? ",locked"
								     : "");
		ctl_table_row(&tab, ctl_str(p, "name", NULL, 0), state,
			      ctl_str(p, "network", NULL, 0),
			      ctl_str(p, "tenant", NULL, 0),
			      ctl_str(p, "netns", NULL, 0),
			      ctl_str(p, "mac", NULL, 0),
			      ctl_str(p, "mtu", mtu, sizeof(mtu)),
			      ctl_str(p, "queues", q, sizeof(q)),
			      ctl_join(p, "offloads", off, sizeof(off)),
			      ctl_join(p, "addresses", ad, sizeof(ad)),
			      ctl_str(p, "rx_packets", rx, sizeof(rx)),
			      ctl_str(p, "tx_packets", tx, sizeof(tx)),
			      ctl_str(p, "drops_total", dr, sizeof(dr)));
	}
	ctl_table_print(&tab);
}

/**
 * ctl_print_endpoints() - endpoint.list result as a table
 * @result:	result object
 */
static void ctl_print_endpoints(struct json_object *result)
{
	static const char *const hdr[] = { "NAME", "NETWORK", "TENANT",
		"ADDRESS", "GATEWAY", "MAC", ">WORKER", ">CONNS", ">APPS",
		NULL };
	char w[32], conns[32], apps[32];
	struct json_object *a, *e;
	struct ctl_table tab;
	size_t i, n;

	ctl_table_init(&tab, hdr);
	a = ctl_array(result, "endpoints", &n);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(a, i);
		ctl_table_row(&tab, ctl_str(e, "name", NULL, 0),
			      ctl_str(e, "network", NULL, 0),
			      ctl_str(e, "tenant", NULL, 0),
			      ctl_str(e, "address", NULL, 0),
			      ctl_str(e, "gateway", NULL, 0),
			      ctl_str(e, "mac", NULL, 0),
			      ctl_str(e, "worker", w, sizeof(w)),
			      ctl_str(e, "tcp_conns", conns, sizeof(conns)),
			      ctl_str(e, "apps", apps, sizeof(apps)));
	}
	ctl_table_print(&tab);
}

/**
 * ctl_print_fdb() - fdb.show result as a table
 * @result:	result object
 */
static void ctl_print_fdb(struct json_object *result)
{
	static const char *const hdr[] = { "NETWORK", "MAC", "PORT",
					   ">AGE-S", "PINNED", NULL };
	struct json_object *a, *e;
	struct ctl_table tab;
	char age[32];
	size_t i, n;

	ctl_table_init(&tab, hdr);
	a = ctl_array(result, "entries", &n);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(a, i);
		snprintf(age, sizeof(age), "%.1f",
			 (double)json_object_get_uint64(ctl_get(e, "age_ms")) /
				 1000.0);
		ctl_table_row(&tab, ctl_str(e, "network", NULL, 0),
			      ctl_str(e, "mac", NULL, 0),
			      ctl_str(e, "port", NULL, 0), age,
			      json_object_get_boolean(ctl_get(e, "pinned"))
				      ? "yes"
				      : "no");
	}
	ctl_table_print(&tab);
}

/**
 * ctl_print_networks() - network.list result as a table
 * @result:	result object
 */
static void ctl_print_networks(struct json_object *result)
{
	static const char *const hdr[] = { "NETWORK", ">PORTS", "TENANTS",
					   ">FDB", ">FDB-LIMIT", NULL };
	struct json_object *a, *e, *t;
	char ports[16], fdb[32], lim[32], tenants[256];
	struct ctl_table tab;
	size_t i, j, n, nt;

	ctl_table_init(&tab, hdr);
	a = ctl_array(result, "networks", &n);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(a, i);
		tenants[0] = '\0';
		t = ctl_array(e, "tenants", &nt);
		for (j = 0; j < nt; j++) {
			size_t l = strlen(tenants);

			snprintf(tenants + l, sizeof(tenants) - l, "%s%s",
				 j ? "," : "",
				 json_object_get_string(
					 json_object_array_get_idx(t, j)));
		}
		ctl_table_row(&tab, ctl_str(e, "name", NULL, 0),
			      ctl_str(e, "ports", ports, sizeof(ports)),
			      tenants[0] ? tenants : "-",
			      ctl_str(e, "fdb_entries", fdb, sizeof(fdb)),
			      ctl_str(e, "fdb_limit", lim, sizeof(lim)));
	}
	ctl_table_print(&tab);
}

/**
 * ctl_print_reload() - reload result, one line
 * @result:	result object
 */
static void ctl_print_reload(struct json_object *result)
{
	printf("reloaded: %llu added, %llu changed, %llu removed, %llu unchanged\n",
	       (unsigned long long)json_object_get_uint64(ctl_get(result, "added")),
	       (unsigned long long)json_object_get_uint64(ctl_get(result, "changed")),
	       (unsigned long long)json_object_get_uint64(ctl_get(result, "removed")),
	       (unsigned long long)json_object_get_uint64(ctl_get(result, "unchanged")));
}

/**
 * ctl_print_traffic() - traffic rows (ports, tenants, totals) as a table
 * @a:		array of objects with name and counters
 * @first:	header of the first column
 */
static void ctl_print_traffic(struct json_object *a, const char *first)
{
	const char *hdr[] = { first, ">RX-PKTS", ">RX-BYTES", ">TX-PKTS",
			      ">TX-BYTES", ">DROPS", "DROP-REASONS", NULL };
	char b[5][32], reasons[512];
	struct ctl_table tab;
	struct json_object *o;
	size_t i, n = a ? json_object_array_length(a) : 0;

	ctl_table_init(&tab, hdr);
	for (i = 0; i < n; i++) {
		size_t off = 0;

		o = json_object_array_get_idx(a, i);
		reasons[0] = '\0';
		json_object_object_foreach(ctl_get(o, "drops"), k, v) {
			uint64_t c = json_object_get_uint64(v);

			if (c && off < sizeof(reasons))
				off += (size_t)snprintf(reasons + off,
							sizeof(reasons) - off,
							"%s%s=%llu",
							off ? "," : "", k,
							(unsigned long long)c);
		}
		ctl_table_row(&tab, ctl_str(o, "name", NULL, 0),
			      ctl_str(o, "rx_packets", b[0], 32),
			      ctl_str(o, "rx_bytes", b[1], 32),
			      ctl_str(o, "tx_packets", b[2], 32),
			      ctl_str(o, "tx_bytes", b[3], 32),
			      ctl_str(o, "drops_total", b[4], 32),
			      reasons[0] ? reasons : "-");
	}
	ctl_table_print(&tab);
}

/* stats --tenant without a name: show the tenants' work only */
static bool ctl_stats_tenants_only;

/**
 * ctl_bps() - bits per second, short: 950, 12.3k, 1.00G
 * @bps:	rate
 * @buf:	output
 * @len:	its size
 *
 * Return: @buf
 */
static const char *ctl_bps(uint64_t bps, char *buf, size_t len)
{
	static const char unit[] = " kMGT";
	double v = (double)bps;
	unsigned u = 0;

	while (v >= 1000.0 && u < 4) {
		v /= 1000.0;
		u++;
	}
	if (!u)
		snprintf(buf, len, "%llu", (unsigned long long)bps);
	else
		snprintf(buf, len, "%.*f%c", v < 10 ? 2 : v < 100 ? 1 : 0, v,
			 unit[u]);
	return buf;
}

/**
 * ctl_print_work() - the tenants' work as a table, with its total
 * @a:		stats "tenants" array
 * @tot:	stats "totals" object, or NULL
 */
static void ctl_print_work(struct json_object *a, struct json_object *tot)
{
	static const char *const hdr[] = { "TENANT", ">WEIGHT", ">PACKETS",
		">BYTES", ">CYCLES", ">SHARE", ">SHARE-NOW", ">RATE-BPS",
		">PARKS", ">THROTTLES", ">PENALTY", ">QUARANTINES", NULL };
	char b[11][32];
	struct ctl_table tab;
	struct json_object *o;
	size_t i, n = a ? json_object_array_length(a) : 0;

	ctl_table_init(&tab, hdr);
	for (i = 0; i <= n; i++) {
		o = i < n ? json_object_array_get_idx(a, i) : tot;
		if (!o)
			break;
		if (i < n) {
			snprintf(b[4], 32, "%.1f%%",
				 100.0 * json_object_get_double(
						 ctl_get(o, "share")));
			snprintf(b[5], 32, "%.1f%%",
				 100.0 * json_object_get_double(
						 ctl_get(o, "share_now")));
		} else {
			snprintf(b[4], 32, "-");
			snprintf(b[5], 32, "-");
		}
		ctl_table_row(&tab, i < n ? ctl_str(o, "name", NULL, 0) : "total",
			      i < n ? ctl_str(o, "weight", b[0], 32) : "-",
			      ctl_str(o, "packets", b[1], 32),
			      ctl_str(o, "bytes", b[2], 32),
			      ctl_str(o, "cycles", b[3], 32), b[4], b[5],
			      ctl_bps(json_object_get_uint64(
					       ctl_get(o, "rate_bps")),
				       b[6], 32),
			      ctl_str(o, "parks", b[7], 32),
			      ctl_str(o, "throttles", b[8], 32),
			      ctl_str(o, "penalty_cycles", b[9], 32),
			      ctl_str(o, "quarantines", b[10], 32));
	}
	ctl_table_print(&tab);
}

/**
 * ctl_is_scalar() - a member a table cell can show
 * @v:		member, may be NULL
 *
 * Return: true for numbers, booleans and strings
 */
static bool ctl_is_scalar(struct json_object *v)
{
	return v && (json_object_is_type(v, json_type_int) ||
		     json_object_is_type(v, json_type_double) ||
		     json_object_is_type(v, json_type_boolean) ||
		     json_object_is_type(v, json_type_string));
}

/**
 * ctl_extra_key() - note a column of ctl_print_extras(), once
 * @keys:	columns so far
 * @nk:		their number
 * @key:	member
 * @sub:	member of @key's object, or NULL
 */
static void ctl_extra_key(char (*keys)[64], unsigned *nk, const char *key,
			  const char *sub)
{
	char name[64];
	unsigned k;

	if (sub)
		snprintf(name, sizeof(name), "%.31s.%.31s", key, sub);
	else
		snprintf(name, sizeof(name), "%.63s", key);
	for (k = 0; k < *nk; k++)
		if (!strcmp(keys[k], name))
			return;
	if (*nk < CTL_TABLE_COLS - 1)
		memcpy(keys[(*nk)++], name, sizeof(name));
}

/**
 * ctl_print_extras() - members of the tenant lines that the traffic table
 *			does not show, as a table of their own
 * @a:		tenants array
 *
 * The daemon may know more about a tenant than this tool (its scheduler's
 * figures, say): every scalar member, and every scalar member of an object
 * member (as "object.member"), gets a column, so nothing it reports is
 * hidden. Nothing is printed when there is nothing more.
 */
static void ctl_print_extras(struct json_object *a)
{
	static const char *const known[] = { "name", "ports", "rx_packets",
		"rx_bytes", "tx_packets", "tx_bytes", "drops", "drops_total",
		/* shown by ctl_print_work() */
		"weight", "packets", "bytes", "cycles", "share", "share_now",
		"rate_bps", "parks", "throttles", "penalty_cycles",
		"quarantines", "buffers", "buffer_waits" };
	char keys[CTL_TABLE_COLS - 1][64], hdr_buf[CTL_TABLE_COLS - 1][64];
	const char *hdr[CTL_TABLE_COLS + 1] = { "TENANT" };
	char cells[CTL_TABLE_COLS][64];
	size_t i, n = a ? json_object_array_length(a) : 0;
	unsigned nk = 0, k, c;
	struct ctl_table tab;

	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(a, i);

		if (!o || !json_object_is_type(o, json_type_object))
			continue;
		json_object_object_foreach(o, key, v) {
			bool skip = false;

			for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
				skip |= !strcmp(key, known[k]);
			if (skip || !v)
				continue;
			if (ctl_is_scalar(v)) {
				ctl_extra_key(keys, &nk, key, NULL);
				continue;
			}
			if (!json_object_is_type(v, json_type_object))
				continue;
			json_object_object_foreach(v, sub, sv) {
				if (ctl_is_scalar(sv))
					ctl_extra_key(keys, &nk, key, sub);
			}
		}
	}
	if (!nk)
		return;
	for (k = 0; k < nk; k++) {
		size_t l;

		memcpy(hdr_buf[k], keys[k], sizeof(keys[k]));
		for (l = 0; hdr_buf[k][l]; l++) {
			char ch = hdr_buf[k][l];

			hdr_buf[k][l] = ch == '_' ? '-' :
				(ch >= 'a' && ch <= 'z') ? (char)(ch - 32) : ch;
		}
		hdr[k + 1] = hdr_buf[k];
	}
	hdr[nk + 1] = NULL;

	putchar('\n');
	ctl_table_init(&tab, hdr);
	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(a, i), *v;
		const char *cell[CTL_TABLE_COLS] = { NULL };

		cell[0] = ctl_str(o, "name", NULL, 0);
		for (k = 0; k < nk; k++) {
			char *dot = strchr(keys[k], '.');
			struct json_object *holder = o;
			char first[64];
			const char *leaf = keys[k];

			if (dot) {
				snprintf(first, sizeof(first), "%.*s",
					 (int)(dot - keys[k]), keys[k]);
				holder = ctl_get(o, first);
				leaf = dot + 1;
			}
			v = ctl_get(holder, leaf);
			cell[k + 1] = ctl_is_scalar(v) ?
				ctl_str(holder, leaf, cells[k], sizeof(cells[k])) : "-";
		}
		/* ctl_table_row() takes exactly ncols strings. */
		for (c = nk + 1; c < CTL_TABLE_COLS; c++)
			cell[c] = NULL;
		ctl_table_row(&tab, cell[0], cell[1], cell[2], cell[3], cell[4],
			      cell[5], cell[6], cell[7], cell[8], cell[9],
			      cell[10], cell[11], cell[12], cell[13], cell[14],
			      cell[15]);
	}
	ctl_table_print(&tab);
}

/**
 * ctl_print_fdb_stats() - the networks' forwarding databases as a table
 * @result:	stats result
 */
static void ctl_print_fdb_stats(struct json_object *result)
{
	static const char *const nhdr[] = { "NETWORK", ">PORTS", ">FDB",
		">LIMIT", ">LEARNED", ">MOVED", ">FULL", ">AGED", ">REFUSED",
		">PORT-FULL", NULL };
	struct json_object *a, *o, *f;
	struct ctl_table tab;
	char b[9][32];
	size_t i, n;

	ctl_table_init(&tab, nhdr);
	a = ctl_array(result, "networks", &n);
	for (i = 0; i < n; i++) {
		o = json_object_array_get_idx(a, i);
		f = ctl_get(o, "fdb");
		ctl_table_row(&tab, ctl_str(o, "name", NULL, 0),
			      ctl_str(o, "ports", b[0], 32),
			      ctl_str(f, "entries", b[1], 32),
			      ctl_str(f, "limit", b[2], 32),
			      ctl_str(f, "learned", b[3], 32),
			      ctl_str(f, "moved", b[4], 32),
			      ctl_str(f, "full", b[5], 32),
			      ctl_str(f, "aged", b[6], 32),
			      ctl_str(f, "refused", b[7], 32),
			      ctl_str(f, "port_full", b[8], 32));
	}
	ctl_table_print(&tab);
}

/**
 * ctl_print_totals() - the totals line as a traffic table
 * @result:	stats result
 */
static void ctl_print_totals(struct json_object *result)
{
	struct json_object *tot = ctl_get(result, "totals"), *totals;

	totals = json_object_new_array();
	if (tot) {
		json_object_object_add(tot, "name",
				       json_object_new_string("total"));
		json_object_array_add(totals, json_object_get(tot));
	}
	ctl_print_traffic(totals, "TOTAL");
	json_object_put(totals);
}

/**
 * ctl_print_ep_stats() - the endpoints' frame counters of a stats result,
 *			  as a table (nothing without endpoints)
 * @result:	result object
 */
static void ctl_print_ep_stats(struct json_object *result)
{
	static const char *const hdr[] = { "ENDPOINT", "NETWORK", "TENANT",
		">RX-FRAMES", ">TX-FRAMES", ">DROPS", NULL };
	char b[3][32];
	struct json_object *a, *e;
	struct ctl_table tab;
	size_t i, n;

	if (!(a = ctl_array(result, "endpoints", &n)))
		return;
	putchar('\n');
	ctl_table_init(&tab, hdr);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(a, i);
		ctl_table_row(&tab, ctl_str(e, "name", NULL, 0),
			      ctl_str(e, "network", NULL, 0),
			      ctl_str(e, "tenant", NULL, 0),
			      ctl_str(e, "rx_frames", b[0], 32),
			      ctl_str(e, "tx_frames", b[1], 32),
			      ctl_str(e, "drops", b[2], 32));
	}
	ctl_table_print(&tab);
}

/**
 * ctl_print_stats() - stats result as tables: ports, tenants, networks,
 *		     workers, totals
 * @result:	result object
 */
static void ctl_print_stats(struct json_object *result)
{
	static const char *const whdr[] = { "WORKER", ">CPU", ">CPU-TIME",
		">CPU%", ">FRAMES", ">BATCHES", ">IDLE-SLEEPS", "RING", NULL };
	char b[8][32], ring[160];
	struct json_object *a, *o;
	struct ctl_table tab;
	size_t i, n;
	uint64_t refused;

	if (ctl_stats_tenants_only) {
		ctl_print_work(ctl_get(result, "tenants"),
			       ctl_get(result, "totals"));
		return;
	}
	ctl_print_traffic(ctl_get(result, "ports"), "PORT");
	putchar('\n');
	ctl_print_traffic(ctl_get(result, "tenants"), "TENANT");
	putchar('\n');
	ctl_print_work(ctl_get(result, "tenants"), ctl_get(result, "totals"));
	ctl_print_extras(ctl_get(result, "tenants"));
	putchar('\n');
	ctl_print_traffic(ctl_get(result, "networks"), "NETWORK");
	putchar('\n');
	ctl_print_fdb_stats(result);
	ctl_print_ep_stats(result);

	putchar('\n');
	ctl_table_init(&tab, whdr);
	a = ctl_array(result, "workers", &n);
	for (i = 0; i < n; i++) {
		o = json_object_array_get_idx(a, i);
		snprintf(b[6], 32, "%.3fs",
			 (double)json_object_get_uint64(ctl_get(o, "cpu_ns")) /
				 1e9);
		snprintf(b[7], 32, "%.1f",
			 json_object_get_double(ctl_get(o, "cpu_percent")));
		/* kernels before 6.4: one read in flight per such queue */
		refused = json_object_get_uint64(ctl_get(o, "nowait_refused"));
		snprintf(ring, sizeof(ring), refused ?
			 "%s (RWF_NOWAIT refused: %llu queues)" : "%s",
			 ctl_str(o, "ring_features", NULL, 0),
			 (unsigned long long)refused);
		ctl_table_row(&tab, ctl_str(o, "id", b[0], 32),
			      ctl_str(o, "cpu", b[1], 32), b[6], b[7],
			      ctl_str(o, "frames", b[2], 32),
			      ctl_str(o, "batches", b[3], 32),
			      ctl_str(o, "idle_sleeps", b[4], 32), ring);
	}
	ctl_table_print(&tab);

	putchar('\n');
	ctl_print_totals(result);
}

/* ---- stats --watch -------------------------------------------------------- */

/**
 * ctl_si() - a rate in a short form: 950, 12.3k, 4.56M, 1.20G
 * @v:		value
 * @buf:	output
 * @len:	size of @buf
 *
 * Return: @buf
 */
static const char *ctl_si(double v, char *buf, size_t len)
{
	static const char *const unit[] = { "", "k", "M", "G", "T", "P" };
	unsigned u = 0;

	while (v >= 999.95 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		v /= 1000.0;
		u++;
	}
	if (!u)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.*f%s", v < 9.995 ? 2 : v < 99.95 ? 1 : 0,
			 v, unit[u]);
	return buf;
}

/**
 * ctl_index() - an object mapping names to the entries of an array
 * @a:		array of objects with a "name" (or an "id")
 *
 * Return: new object, holding references to the entries
 */
static struct json_object *ctl_index(struct json_object *a)
{
	struct json_object *idx = json_object_new_object();
	size_t i, n = a && json_object_is_type(a, json_type_array) ?
		      json_object_array_length(a) : 0;

	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(a, i);
		struct json_object *k = ctl_get(o, "name");

		if (!k)
			k = ctl_get(o, "id");
		if (k)
			json_object_object_add(idx, json_object_get_string(k),
					       json_object_get(o));
	}
	return idx;
}

/**
 * ctl_rate() - per-second rate of a counter between two samples
 * @cur:	object now
 * @prev:	the same object in the previous sample, or NULL
 * @key:	counter member
 * @dt:		seconds between the samples
 * @mult:	factor (8 for bits from bytes)
 * @buf:	output
 * @len:	size of @buf
 *
 * Return: the rate as text, or "-" when it cannot be known (first sample,
 * or a counter that went back: the object was deleted and made again)
 */
static const char *ctl_rate(struct json_object *cur, struct json_object *prev,
			    const char *key, double dt, double mult, char *buf,
			    size_t len)
{
	struct json_object *a = ctl_get(cur, key), *b = ctl_get(prev, key);
	uint64_t x, y;

	if (!a || !b || dt <= 0)
		return "-";
	x = json_object_get_uint64(a);
	y = json_object_get_uint64(b);
	if (x < y)
		return "-";
	return ctl_si((double)(x - y) * mult / dt, buf, len);
}

/**
 * ctl_print_rates() - traffic rows (ports, tenants, networks) with rates
 * @a:		array of objects now
 * @prev:	ctl_index() of the previous sample's array, or NULL
 * @first:	header of the first column
 * @dt:		seconds between the samples
 */
static void ctl_print_rates(struct json_object *a, struct json_object *prev,
			    const char *first, double dt)
{
	const char *hdr[] = { first, ">RX-PKT/S", ">RX-BIT/S", ">TX-PKT/S",
			      ">TX-BIT/S", ">DROP/S", ">RX-PKTS", ">TX-PKTS",
			      ">DROPS", NULL };
	char b[8][32];
	struct ctl_table tab;
	size_t i, n = a && json_object_is_type(a, json_type_array) ?
		      json_object_array_length(a) : 0;

	ctl_table_init(&tab, hdr);
	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(a, i);
		struct json_object *p = NULL, *name = ctl_get(o, "name");

		if (prev && name)
			p = ctl_get(prev, json_object_get_string(name));
		ctl_table_row(&tab, ctl_str(o, "name", NULL, 0),
			      ctl_rate(o, p, "rx_packets", dt, 1, b[0], 32),
			      ctl_rate(o, p, "rx_bytes", dt, 8, b[1], 32),
			      ctl_rate(o, p, "tx_packets", dt, 1, b[2], 32),
			      ctl_rate(o, p, "tx_bytes", dt, 8, b[3], 32),
			      ctl_rate(o, p, "drops_total", dt, 1, b[4], 32),
			      ctl_str(o, "rx_packets", b[5], 32),
			      ctl_str(o, "tx_packets", b[6], 32),
			      ctl_str(o, "drops_total", b[7], 32));
	}
	ctl_table_print(&tab);
}

/**
 * ctl_print_watch() - one stats --watch frame
 * @cur:	this sample
 * @prev:	the previous sample, or NULL
 * @dt:		seconds between them
 *
 * CPU use is computed from the two samples' cpu_ns, so it covers the same
 * interval as the traffic rates; before the second sample it is the
 * daemon's figure for its last second.
 */
static void ctl_print_watch(struct json_object *cur, struct json_object *prev,
			    double dt)
{
	static const char *const whdr[] = { "WORKER", ">CPU", ">CPU%",
		">CPU-TIME", ">FRAMES/S", ">FRAMES", NULL };
	static const char *const sections[][2] = {
		{ "ports", "PORT" }, { "tenants", "TENANT" },
		{ "networks", "NETWORK" },
	};
	struct json_object *idx = NULL, *a, *o, *p, *tot, *ta;
	struct ctl_table tab;
	char b[6][32];
	size_t i, n;

	if (ctl_stats_tenants_only) {
		/* The daemon's share and rate figures are per tick already. */
		ctl_print_work(ctl_get(cur, "tenants"), ctl_get(cur, "totals"));
		return;
	}
	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		idx = prev ? ctl_index(ctl_get(prev, sections[i][0])) : NULL;
		ctl_print_rates(ctl_get(cur, sections[i][0]), idx,
				sections[i][1], dt);
		json_object_put(idx);
		if (i == 1)
			ctl_print_extras(ctl_get(cur, "tenants"));
		putchar('\n');
	}

	idx = prev ? ctl_index(ctl_get(prev, "workers")) : NULL;
	ctl_table_init(&tab, whdr);
	a = ctl_array(cur, "workers", &n);
	for (i = 0; i < n; i++) {
		o = json_object_array_get_idx(a, i);
		p = idx ? ctl_get(idx, ctl_str(o, "id", b[0], 32)) : NULL;
		if (p && dt > 0 &&
		    json_object_get_uint64(ctl_get(o, "cpu_ns")) >=
			    json_object_get_uint64(ctl_get(p, "cpu_ns")))
			snprintf(b[1], 32, "%.1f",
				 (double)(json_object_get_uint64(ctl_get(o, "cpu_ns")) -
					  json_object_get_uint64(ctl_get(p, "cpu_ns"))) /
					 (dt * 1e7));
		else
			snprintf(b[1], 32, "%.1f",
				 json_object_get_double(ctl_get(o, "cpu_percent")));
		snprintf(b[2], 32, "%.3fs",
			 (double)json_object_get_uint64(ctl_get(o, "cpu_ns")) /
				 1e9);
		ctl_table_row(&tab, ctl_str(o, "id", b[0], 32),
			      ctl_str(o, "cpu", b[3], 32), b[1], b[2],
			      ctl_rate(o, p, "frames", dt, 1, b[4], 32),
			      ctl_str(o, "frames", b[5], 32));
	}
	ctl_table_print(&tab);
	json_object_put(idx);

	putchar('\n');
	tot = ctl_get(cur, "totals");
	ta = json_object_new_array();
	if (tot) {
		json_object_object_add(tot, "name",
				       json_object_new_string("total"));
		json_object_array_add(ta, json_object_get(tot));
	}
	idx = NULL;
	if (prev && ctl_get(prev, "totals")) {
		idx = json_object_new_object();
		json_object_object_add(idx, "total",
				       json_object_get(ctl_get(prev, "totals")));
	}
	ctl_print_rates(ta, idx, "TOTAL", dt);
	json_object_put(ta);
	json_object_put(idx);
}

/* ---- commands ------------------------------------------------------------ */

static const struct option ctl_opt_help[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 },
};

/**
 * ctl_getopt() - getopt_long for a command, with --help and --json built in
 * @cmd:	command
 * @argc:	its argument count (argv[0] is the command)
 * @argv:	its arguments
 * @opts:	its options, followed by the built-in ones
 *
 * Return: the option's value, or -1 at the end
 */
static int ctl_getopt(const struct ctl_cmd *cmd, int argc, char **argv,
		      const struct option *opts)
{
	int c = getopt_long(argc, argv, ":hj", opts, NULL);

	switch (c) {
	case 'h':
		fputs(cmd->usage, stdout);
		exit(0);
	case 'j':
		ctl_json = true;
		return ctl_getopt(cmd, argc, argv, opts);
	case ':':
		ctl_usage_error(cmd, "option '%s' needs a value",
				argv[optind - 1]);
	case '?':
		ctl_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
	default:
		return c;
	}
}

/**
 * ctl_name_arg() - the one positional NAME of a command
 * @cmd:	command
 * @argc:	argument count
 * @argv:	arguments, options already taken
 *
 * Return: the name
 */
static const char *ctl_name_arg(const struct ctl_cmd *cmd, int argc,
				char **argv)
{
	if (optind >= argc)
		ctl_usage_error(cmd, "missing NAME");
	if (optind + 1 < argc)
		ctl_usage_error(cmd, "unexpected argument '%s'",
				argv[optind + 1]);
	return argv[optind];
}

/**
 * ctl_no_args() - a command that takes no positional argument
 * @cmd:	command
 * @argc:	argument count
 * @argv:	arguments, options already taken
 */
static void ctl_no_args(const struct ctl_cmd *cmd, int argc, char **argv)
{
	if (optind < argc)
		ctl_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
}

/**
 * ctl_run_tenant() - arguments of tenant add and tenant set
 * @cmd:	command
 * @argc:	argument count
 * @argv:	arguments
 * @args:	request arguments to fill
 *
 * Return: 0 (usage errors exit 2)
 */
static int ctl_run_tenant(const struct ctl_cmd *cmd, int argc, char **argv,
			  struct json_object *args)
{
	static const struct option opts[] = {
		{ "cgroup", required_argument, NULL, 'c' },
		{ "pid", required_argument, NULL, 'p' },
		{ "weight", required_argument, NULL, 'w' },
		{ "rate", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct spec_tenant t;
	const char *key;
	char err[256];
	int c;

	spec_tenant_init(&t);
	while ((c = ctl_getopt(cmd, argc, argv, opts)) != -1) {
		key = c == 'c' ? "cgroup" : c == 'p' ? "pid" :
		      c == 'w' ? "weight" : "rate";
		if (spec_tenant_set(&t, key, optarg, err, sizeof(err)))
			ctl_usage_error(cmd, "%s", err);
	}
	if (spec_tenant_set(&t, "name", ctl_name_arg(cmd, argc, argv), err,
			    sizeof(err)) ||
	    spec_tenant_check(&t, err, sizeof(err)))
		ctl_usage_error(cmd, "%s", err);
	if (!strcmp(cmd->verb, "set") && !t.has_cgroup && !t.has_pid &&
	    !t.has_weight && !t.has_rate)
		ctl_usage_error(cmd, "nothing to change: give --cgroup, --pid, --weight or --rate");

	json_object_object_add(args, "name", json_object_new_string(t.name));
	if (t.has_cgroup)
		json_object_object_add(args, "cgroup",
				       json_object_new_string(t.cgroup));
	if (t.has_pid)
		json_object_object_add(args, "pid", json_object_new_int(t.pid));
	if (t.has_weight)
		json_object_object_add(args, "weight",
				       json_object_new_int64(t.weight));
	if (t.has_rate)
		json_object_object_add(args, "rate_bps",
				       json_object_new_uint64(t.rate_bps));
	return 0;
}

/**
 * ctl_run_name() - arguments of a command taking only NAME (del)
 * @cmd:	command
 * @argc:	argument count
 * @argv:	arguments
 * @args:	request arguments to fill
 *
 * Return: 0 (usage errors exit 2)
 */
static int ctl_run_name(const struct ctl_cmd *cmd, int argc, char **argv,
			struct json_object *args);

/**
 * ctl_run_port_del() - arguments of port del: one NAME, or several
 * @cmd:	command
 * @argc:	argument count
 * @argv:	arguments
 * @args:	request arguments to fill: "name", or "names" for several
 *
 * Return: 0 (usage errors exit 2)
 */
static int ctl_run_port_del(const struct ctl_cmd *cmd, int argc, char **argv,
			    struct json_object *args)
{
	struct json_object *names;
	int i;

	while (ctl_getopt(cmd, argc, argv, ctl_opt_help) != -1)
		;
	if (optind + 1 >= argc)
		return ctl_run_name(cmd, argc, argv, args);
	names = json_object_new_array();
	for (i = optind; i < argc; i++) {
		if (!parse_ifname_ok(argv[i]))
			ctl_usage_error(cmd, "invalid port name '%s': " PARSE_IFNAME_RULE,
					argv[i]);
		json_object_array_add(names, json_object_new_string(argv[i]));
	}
	json_object_object_add(args, "names", names);
	return 0;
}

static int ctl_run_name(const struct ctl_cmd *cmd, int argc, char **argv,
			struct json_object *args)
{
	while (ctl_getopt(cmd, argc, argv, ctl_opt_help) != -1)
		;
	json_object_object_add(args, "name",
		json_object_new_string(ctl_name_arg(cmd, argc, argv)));
	return 0;
}

/**
 * ctl_run_none() - arguments of a command taking none (list)
 * @cmd:	command
 * @argc:	argument count
 * @argv:	arguments
 * @args:	unused
 *
 * Return: 0 (usage errors exit 2)
 */
static int ctl_run_none(const struct ctl_cmd *cmd, int argc, char **argv,
			struct json_object *args)
{
	(void)args;
	while (ctl_getopt(cmd, argc, argv, ctl_opt_help) != -1)
		;
	ctl_no_args(cmd, argc, argv);
	return 0;
}

/**
 * ctl_run_port_add() - arguments of port add, checked as vstackd will
 * @cmd:	command
 * @argc:	argument count
 * @argv:	arguments
 * @args:	request arguments to fill
 *
 * Return: 0 (usage errors exit 2)
 */
static int ctl_run_port_add(const struct ctl_cmd *cmd, int argc, char **argv,
			    struct json_object *args)
{
	static const struct option opts[] = {
		{ "tenant", required_argument, NULL, 't' },
		{ "network", required_argument, NULL, 'n' },
		{ "type", required_argument, NULL, 'T' },
		{ "netns", required_argument, NULL, 'N' },
		{ "netns-pid", required_argument, NULL, 'P' },
		{ "mac", required_argument, NULL, 'm' },
		{ "address", required_argument, NULL, 'a' },
		{ "mtu", required_argument, NULL, 'M' },
		{ "queues", required_argument, NULL, 'q' },
		{ "offload", required_argument, NULL, 'o' },
		{ "lock", required_argument, NULL, 'L' },
		{ "fdb-max", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct json_object *addrs = json_object_new_array();
	const char *key = NULL, *type = NULL, *mac = NULL;
	struct spec_port p;
	char err[256];
	unsigned i;
	int c;

	spec_port_init(&p);
	while ((c = ctl_getopt(cmd, argc, argv, opts)) != -1) {
		/* The option's long name is the spec key. */
		for (i = 0; opts[i].name; i++) {
			if (opts[i].val == c)
				key = opts[i].name;
		}
		if (c == 'T')
			type = optarg;
		if (c == 'm')
			mac = optarg;
		if (c == 'a')
			json_object_array_add(addrs,
					      json_object_new_string(optarg));
		if (spec_port_set(&p, key, optarg, err, sizeof(err)))
			ctl_usage_error(cmd, "%s", err);
	}
	if (spec_port_set(&p, "name", ctl_name_arg(cmd, argc, argv), err,
			  sizeof(err)) ||
	    spec_port_check(&p, err, sizeof(err)))
		ctl_usage_error(cmd, "%s", err);

	json_object_object_add(args, "name", json_object_new_string(p.name));
	json_object_object_add(args, "network",
			       json_object_new_string(p.network));
	json_object_object_add(args, "tenant", json_object_new_string(p.tenant));
	if (type)
		json_object_object_add(args, "type",
				       json_object_new_string(type));
	if (p.netns[0])
		json_object_object_add(args, "netns",
				       json_object_new_string(p.netns));
	if (p.netns_pid)
		json_object_object_add(args, "netns_pid",
				       json_object_new_int(p.netns_pid));
	if (mac)
		json_object_object_add(args, "mac", json_object_new_string(mac));
	if (p.mtu)
		json_object_object_add(args, "mtu", json_object_new_int64(p.mtu));
	if (p.queues)
		json_object_object_add(args, "queues",
				       json_object_new_int64(p.queues));
	json_object_object_add(args, "offload",
			       json_object_new_boolean(p.offload));
	if (p.lock)
		json_object_object_add(args, "lock", json_object_new_boolean(true));
	if (p.has_fdb_max)
		json_object_object_add(args, "fdb_max",
				       json_object_new_int64(p.fdb_max));
	if (json_object_array_length(addrs))
		json_object_object_add(args, "addresses", addrs);
	else
		json_object_put(addrs);
	return 0;
}

/**
 * ctl_run_fdb() - arguments of fdb show
 * @cmd:	command
 * @argc:	argument count
 * @argv:	arguments
 * @args:	request arguments to fill
 *
 * Return: 0 (usage errors exit 2)
 */
static int ctl_run_fdb(const struct ctl_cmd *cmd, int argc, char **argv,
		       struct json_object *args)
{
	static const struct option opts[] = {
		{ "network", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = ctl_getopt(cmd, argc, argv, opts)) != -1) {
		if (!parse_name_ok(optarg))
			ctl_usage_error(cmd, "invalid network name '%s': " PARSE_NAME_RULE,
					optarg);
		json_object_object_add(args, "network",
				       json_object_new_string(optarg));
	}
	ctl_no_args(cmd, argc, argv);
	return 0;
}

/**
 * ctl_parse_interval() - seconds with up to three decimals, as ms
 * @s:		text, "2", "0.5"
 * @ms:		result
 *
 * Return: 0, or -EINVAL outside CTL_INTERVAL_MS_MIN..CTL_INTERVAL_MS_MAX
 */
static int ctl_parse_interval(const char *s, unsigned *ms)
{
	unsigned long long v = 0;
	unsigned frac = 0, digits = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned)(*p - '0');
		if (v > CTL_INTERVAL_MS_MAX / 1000)
			return -EINVAL;
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (++digits > 3)
				return -EINVAL;
			frac = frac * 10 + (unsigned)(*p - '0');
		}
		if (!digits)
			return -EINVAL;
		while (digits++ < 3)
			frac *= 10;
	}
	if (*p)
		return -EINVAL;
	v = v * 1000 + frac;
	if (v < CTL_INTERVAL_MS_MIN || v > CTL_INTERVAL_MS_MAX)
		return -EINVAL;
	*ms = (unsigned)v;
	return 0;
}

/**
 * ctl_run_stats() - arguments of stats
 * @cmd:	command
 * @argc:	argument count
 * @argv:	arguments
 * @args:	request arguments to fill
 *
 * Return: 0 (usage errors exit 2)
 */
static int ctl_run_stats(const struct ctl_cmd *cmd, int argc, char **argv,
			 struct json_object *args)
{
	static const struct option opts[] = {
		{ "tenant", required_argument, NULL, 't' },
		{ "port", required_argument, NULL, 'p' },
		{ "watch", no_argument, NULL, 'w' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'n' },
		{ "prometheus", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	bool interval = false, count = false;
	uint64_t u;
	int c, i;

	/* "stats --tenant" alone: every tenant's work, nothing else. Alone
	 * also when an option follows it ("--tenant --watch" is not a
	 * tenant named "--watch"; a name starting with '-' is given as
	 * --tenant=NAME). */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--tenant") ||
		    (i + 1 < argc && argv[i + 1][0] != '-'))
			continue;
		ctl_stats_tenants_only = true;
		memmove(&argv[i], &argv[i + 1],
			(size_t)(argc - i) * sizeof(*argv));
		argc--;
		break;
	}
	while ((c = ctl_getopt(cmd, argc, argv, opts)) != -1) {
		const char *key = c == 't' ? "tenant" : "port";

		switch (c) {
		case 'w':
			ctl_watch = true;
			continue;
		case 'P':
			ctl_prometheus = true;
			continue;
		case 'i':
			if (ctl_parse_interval(optarg, &ctl_interval_ms))
				ctl_usage_error(cmd, "invalid interval '%s': seconds, %g..%u (e.g. 0.5)",
						optarg, CTL_INTERVAL_MS_MIN / 1000.0,
						CTL_INTERVAL_MS_MAX / 1000);
			interval = true;
			continue;
		case 'n':
			if (parse_uint(optarg, &u) || !u || u > UINT32_MAX)
				ctl_usage_error(cmd, "invalid count '%s': a number of samples, 1 or more",
						optarg);
			ctl_count = (unsigned long)u;
			count = true;
			continue;
		}
		if (c == 't' && !parse_name_ok(optarg))
			ctl_usage_error(cmd, "invalid %s name '%s': " PARSE_NAME_RULE,
					key, optarg);
		if (c != 't' && !parse_ifname_ok(optarg))
			ctl_usage_error(cmd, "invalid %s name '%s': " PARSE_IFNAME_RULE,
					key, optarg);
		json_object_object_add(args, key, json_object_new_string(optarg));
	}
	ctl_no_args(cmd, argc, argv);
	if ((ctl_stats_tenants_only || ctl_get(args, "tenant")) &&
	    ctl_get(args, "port"))
		ctl_usage_error(cmd, "--tenant and --port are mutually exclusive");
	if ((interval || count) && !ctl_watch)
		ctl_usage_error(cmd, "--interval and --count go with --watch");
	if (ctl_prometheus && (ctl_watch || ctl_json))
		ctl_usage_error(cmd, "--prometheus goes with neither --watch nor --json");
	return 0;
}

/**
 * ctl_run_endpoint_add() - arguments of endpoint add, checked as vstackd
 *			    will
 * @cmd:	command
 * @argc:	argument count
 * @argv:	arguments
 * @args:	request arguments to fill
 *
 * Return: 0 (usage errors exit 2)
 */
static int ctl_run_endpoint_add(const struct ctl_cmd *cmd, int argc,
				char **argv, struct json_object *args)
{
	static const struct option opts[] = {
		{ "tenant", required_argument, NULL, 't' },
		{ "network", required_argument, NULL, 'n' },
		{ "address", required_argument, NULL, 'a' },
		{ "gateway", required_argument, NULL, 'g' },
		{ "mtu", required_argument, NULL, 'M' },
		{ "mac", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *key = NULL, *address = NULL, *gateway = NULL, *mac = NULL;
	struct spec_endpoint e;
	char err[256];
	unsigned i;
	int c;

	spec_endpoint_init(&e);
	while ((c = ctl_getopt(cmd, argc, argv, opts)) != -1) {
		/* The option's long name is the spec key. */
		for (i = 0; opts[i].name; i++) {
			if (opts[i].val == c)
				key = opts[i].name;
		}
		if (c == 'a')
			address = optarg;
		if (c == 'g')
			gateway = optarg;
		if (c == 'm')
			mac = optarg;
		if (spec_endpoint_set(&e, key, optarg, err, sizeof(err)))
			ctl_usage_error(cmd, "%s", err);
	}
	if (spec_endpoint_set(&e, "name", ctl_name_arg(cmd, argc, argv), err,
			      sizeof(err)) ||
	    spec_endpoint_check(&e, err, sizeof(err)))
		ctl_usage_error(cmd, "%s", err);

	json_object_object_add(args, "name", json_object_new_string(e.name));
	json_object_object_add(args, "network",
			       json_object_new_string(e.network));
	json_object_object_add(args, "tenant", json_object_new_string(e.tenant));
	json_object_object_add(args, "address", json_object_new_string(address));
	if (gateway)
		json_object_object_add(args, "gateway",
				       json_object_new_string(gateway));
	if (e.mtu)
		json_object_object_add(args, "mtu", json_object_new_int64(e.mtu));
	if (mac)
		json_object_object_add(args, "mac", json_object_new_string(mac));
	return 0;
}

static const struct ctl_cmd ctl_cmds[] = {
	{ "tenant", "add",
	  "Usage: vstackctl tenant add NAME [--cgroup PATH | --pid PID] [--weight W] [--rate BPS]\n"
	  "Add a tenant: an account that pays for its ports' work and gets a share.\n"
	  "  --cgroup PATH   bind it to this cgroup (below /sys/fs/cgroup)\n"
	  "  --pid PID       bind it to the cgroup of this process\n"
	  "  --weight W      share, 1..10000 (default: the cgroup's cpu.weight)\n"
	  "  --rate BPS      cap in bits per second; k, M, G suffixes (0: none)\n",
	  ctl_run_tenant, "tenant.add", NULL },
	{ "tenant", "set",
	  "Usage: vstackctl tenant set NAME [--cgroup PATH | --pid PID] [--weight W] [--rate BPS]\n"
	  "Change a tenant; what is not given stays as it is. Options as for tenant add.\n",
	  ctl_run_tenant, "tenant.set", NULL },
	{ "tenant", "del",
	  "Usage: vstackctl tenant del NAME\n"
	  "Delete a tenant that has no ports and no endpoints left.\n",
	  ctl_run_name, "tenant.del", NULL },
	{ "tenant", "list",
	  "Usage: vstackctl tenant list\n"
	  "List tenants: cgroup, weight in force, rate cap and number of ports.\n",
	  ctl_run_none, "tenant.list", ctl_print_tenants },
	{ "port", "add",
	  "Usage: vstackctl port add NAME [OPTION]...\n"
	  "Add a port: a TAP device NAME switched by vstackd.\n"
	  "  --tenant T          charge its work to tenant T (default: default)\n"
	  "  --network NET       L2 network it belongs to (default: default)\n"
	  "  --type tap          back-end (only tap for now)\n"
	  "  --netns NAME        move the device into network namespace NAME\n"
	  "  --netns-pid PID     ... or into the namespace of process PID\n"
	  "  --mac MAC           its MAC address (default: random, local)\n"
	  "  --address ADDR/LEN  add this IPv4 or IPv6 address; repeatable\n"
	  "  --mtu N             MTU, 68..65521 (default 1500)\n"
	  "  --queues N          TAP queues, 1..64 (default: one per worker)\n"
	  "  --offload on|off    negotiate checksum/segmentation offloads (default on)\n"
	  "  --lock on|off       port security: drop frames whose source MAC is not\n"
	  "                      the port's, or (with addresses) whose source IP is\n"
	  "                      not one of them (default off)\n"
	  "  --fdb-max N         learn at most N MAC addresses from it, 0: no limit\n"
	  "                      (default: vstackd's fdb-max, 1024 unless set)\n",
	  ctl_run_port_add, "port.add", NULL },
	{ "port", "del",
	  "Usage: vstackctl port del NAME [NAME]...\n"
	  "Delete ports; their devices disappear, wherever they live. Several ports\n"
	  "in one command are deleted together, much faster than one by one (the\n"
	  "kernel's wait per destroyed device overlaps); if one NAME is unknown,\n"
	  "none is deleted.\n",
	  ctl_run_port_del, "port.del", NULL },
	{ "port", "list",
	  "Usage: vstackctl port list\n"
	  "List ports with their network, tenant, namespace, addresses and counters.\n",
	  ctl_run_none, "port.list", ctl_print_ports },
	{ "endpoint", "add",
	  "Usage: vstackctl endpoint add NAME --address ADDR/LEN [OPTION]...\n"
	  "Add a stack endpoint: an IPv4 address served by vstackd's shared stack\n"
	  "for the applications of a tenant (through libvstack or its preload shim).\n"
	  "NAME shares the name space of ports.\n"
	  "  --address ADDR/LEN  its IPv4 address and on-link prefix (required)\n"
	  "  --tenant T          whose applications it serves, who pays (default:\n"
	  "                      default)\n"
	  "  --network NET       L2 network it belongs to (default: default)\n"
	  "  --gateway ADDR      default gateway, inside the prefix (default: none)\n"
	  "  --mtu N             MTU, 68..65535 (default 1500)\n"
	  "  --mac MAC           its MAC address (default: derived from NAME)\n",
	  ctl_run_endpoint_add, "endpoint.add", NULL },
	{ "endpoint", "del",
	  "Usage: vstackctl endpoint del NAME\n"
	  "Delete an endpoint; its connections are reset and its sockets closed.\n",
	  ctl_run_name, "endpoint.del", NULL },
	{ "endpoint", "list",
	  "Usage: vstackctl endpoint list\n"
	  "List endpoints with their network, tenant, address, gateway, MAC, the\n"
	  "worker serving each, its TCP connections and attached applications.\n",
	  ctl_run_none, "endpoint.list", ctl_print_endpoints },
	{ "fdb", "show",
	  "Usage: vstackctl fdb show [--network NET]\n"
	  "Show the learned MAC addresses, of every network or of NET.\n",
	  ctl_run_fdb, "fdb.show", ctl_print_fdb },
	{ "network", "list",
	  "Usage: vstackctl network list\n"
	  "List networks (L2 domains, each with its own FDB): ports, tenants, FDB use.\n",
	  ctl_run_none, "network.list", ctl_print_networks },
	{ "reload", NULL,
	  "Usage: vstackctl reload\n"
	  "Re-read vstackd's config file and apply what changed: new sections are\n"
	  "added, removed ones deleted, changed ones changed; unchanged ports and\n"
	  "endpoints are not touched. Same as sending vstackd SIGHUP, but reports\n"
	  "the outcome.\n",
	  ctl_run_none, "reload", ctl_print_reload },
	{ "stats", NULL,
	  "Usage: vstackctl stats [--tenant [T] | --port P] [--prometheus]\n"
	  "       vstackctl stats [--tenant [T] | --port P] --watch [--interval SEC] [--count N]\n"
	  "Counters of ports, tenants, networks and workers: packets, bytes, drops by\n"
	  "reason, the tenants' work, worker CPU time and CPU use. With --tenant T,\n"
	  "that tenant's ports; with --port, one port. --tenant alone shows only the\n"
	  "tenants' work: packets and bytes read from their ports, worker cycles\n"
	  "charged, share of all cycles (since start and over the last tick), rate\n"
	  "over the last tick, and how often their intake was parked for their share\n"
	  "(PARKS) or rate cap (THROTTLES).\n"
	  "  --watch         ask again every interval and show rates (packets/s, bits/s,\n"
	  "                  CPU %) from the last two answers; on a terminal the screen\n"
	  "                  is redrawn in place, otherwise one block follows another\n"
	  "                  (with --json: one JSON object a line). Ends on Ctrl-C or\n"
	  "                  SIGTERM (exit 0), or when vstackd goes away (exit 1)\n"
	  "  --interval SEC  seconds between samples, 0.1..3600 (default 2)\n"
	  "  --count N       stop after N samples\n"
	  "  --prometheus    print in the Prometheus text format (for node_exporter's\n"
	  "                  textfile collector; vstackd --metrics serves the same)\n",
	  ctl_run_stats, "stats", ctl_print_stats },
};

/* ---- talking to vstackd -------------------------------------------------- */

/**
 * ctl_call() - send one request, read its response line
 * @line:	request line
 * @len:	its length
 * @resp:	malloc'd response line, on success
 * @resplen:	its length
 *
 * Return: 0, or the exit status after one line on stderr saying why the
 * daemon could not be asked (2 for a bad socket path, 1 otherwise)
 */
static int ctl_call(const char *line, size_t len, char **resp,
		    size_t *resplen)
{
	const struct timeval reply_timeout = { .tv_sec = 60 };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t cap = 65536, n = 0, off = 0;
	char *buf = NULL, *nl;
	int fd = -1, rc = 1, send_errno = 0;

	if (strlen(ctl_socket) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "vstackctl: socket path too long: %s\n",
			ctl_socket);
		return 2;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", ctl_socket);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;

		fprintf(stderr, "vstackctl: cannot connect to %s: %s%s\n",
			ctl_socket, strerror(e),
			e == EACCES ? " (needs root or the vstack group)"
			: (e == ENOENT || e == ECONNREFUSED)
				? " (is vstackd running?)"
				: "");
		goto out;
	}
	/* A daemon that accepts but never answers must not hang us. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &reply_timeout,
		   sizeof(reply_timeout));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &reply_timeout,
		   sizeof(reply_timeout));
	while (off < len) {
		ssize_t w = send(fd, line + off, len - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR && ctl_stop)
			goto out;
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EPIPE || errno == ECONNRESET)) {
			/* vstackd answered and closed before reading: a
			 * refusal (too many connections, no descriptors)
			 * may be waiting to be read. */
			send_errno = errno;
			break;
		}
		if (w < 0) {
			fprintf(stderr, "vstackctl: cannot send to %s: %s\n",
				ctl_socket, strerror(errno));
			goto out;
		}
		off += (size_t)w;
	}

	for (;;) {
		ssize_t r;

		if (!buf || n == cap) {
			char *bigger;

			if (buf && cap >= CTL_RESPONSE_MAX) {
				fprintf(stderr, "vstackctl: response from "
						"vstackd too large\n");
				goto out;
			}
			if (buf)
				cap *= 2;
			bigger = realloc(buf, cap);
			if (!bigger) {
				fprintf(stderr, "vstackctl: out of memory\n");
				goto out;
			}
			buf = bigger;
		}
		r = recv(fd, buf + n, cap - n, 0);
		/* stats --watch interrupted: leave quietly. */
		if (r < 0 && errno == EINTR && ctl_stop)
			goto out;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			fprintf(stderr,
				"vstackctl: no answer from vstackd on %s within "
				"%ld s\n",
				ctl_socket, (long)reply_timeout.tv_sec);
			goto out;
		}
		if ((r < 0 || (r == 0 && !n)) && send_errno) {
			fprintf(stderr, "vstackctl: cannot send to %s: %s\n",
				ctl_socket, strerror(send_errno));
			goto out;
		}
		if (r < 0) {
			fprintf(stderr, "vstackctl: cannot read from %s: %s\n",
				ctl_socket, strerror(errno));
			goto out;
		}
		if (r == 0) {
			fprintf(stderr, "vstackctl: vstackd closed the "
					"connection without answering\n");
			goto out;
		}
		nl = memchr(buf + n, '\n', (size_t)r);
		n += (size_t)r;
		if (nl) {
			*resp = buf;
			*resplen = (size_t)(nl - buf);
			buf = NULL;
			rc = 0;
			goto out;
		}
	}
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

/**
 * ctl_request() - ask vstackd, parse its answer
 * @line:	request line
 * @len:	its length
 * @result:	the result object, on success
 *
 * Return: 0, or the exit status after one line on stderr
 */
static int ctl_request(const char *line, size_t len,
		       struct json_object **result)
{
	char *resp = NULL, err[1024];
	size_t resplen = 0;
	int rc;

	*result = NULL;
	rc = ctl_call(line, len, &resp, &resplen);
	if (rc)
		return rc;
	if (proto_response_parse(resp, resplen, result, err, sizeof(err))) {
		fprintf(stderr, "vstackctl: %s\n", err);
		free(resp);
		return 1;
	}
	free(resp);
	return 0;
}

/**
 * ctl_on_signal() - SIGINT/SIGTERM during stats --watch: stop
 * @sig:	signal
 */
static void ctl_on_signal(int sig)
{
	(void)sig;
	ctl_stop = 1;
}

/**
 * ctl_now_ns() - CLOCK_MONOTONIC in nanoseconds
 *
 * Return: now
 */
static uint64_t ctl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/**
 * ctl_sleep_until() - sleep until a CLOCK_MONOTONIC time, or a signal
 * @until:	deadline, ns
 * @sigs:	SIGINT and SIGTERM
 *
 * The signals are blocked while ctl_stop is checked and unblocked only
 * inside ppoll(), so one arriving just before the sleep still ends it.
 */
static void ctl_sleep_until(uint64_t until, const sigset_t *sigs)
{
	sigset_t old;

	sigprocmask(SIG_BLOCK, sigs, &old);
	while (!ctl_stop) {
		uint64_t now = ctl_now_ns();
		struct timespec ts;

		if (now >= until)
			break;
		ts.tv_sec = (time_t)((until - now) / 1000000000ull);
		ts.tv_nsec = (long)((until - now) % 1000000000ull);
		ppoll(NULL, 0, &ts, &old);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/**
 * ctl_watch_header() - the line above each stats --watch frame
 * @cur:	this sample
 * @i:		its number, from 1
 */
static void ctl_watch_header(struct json_object *cur, unsigned long i)
{
	uint64_t up = json_object_get_uint64(ctl_get(cur, "uptime_ns")) /
		      1000000000ull;
	char when[32], count[48] = "";
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	if (ctl_count)
		snprintf(count, sizeof(count), " of %lu", ctl_count);
	printf("vstackctl stats: every %.1f s, sample %lu%s, vstackd up %llud %02llu:%02llu:%02llu  %s\n\n",
	       ctl_interval_ms / 1000.0, i, count,
	       (unsigned long long)(up / 86400),
	       (unsigned long long)(up / 3600 % 24),
	       (unsigned long long)(up / 60 % 60),
	       (unsigned long long)(up % 60), when);
}

/**
 * ctl_stats_watch() - stats --watch: sample, print, sleep, until told
 * @line:	the stats request
 * @len:	its length
 *
 * Rates need the time between two samples: the daemon's uptime_ns dates
 * each answer where it was made, so the time the request took on the way
 * does not count; our own clock is the fallback.
 *
 * Return: 0 after --count samples or a signal, else the exit status of
 * the request that failed (its one line already on stderr)
 */
static int ctl_stats_watch(const char *line, size_t len)
{
	struct json_object *cur = NULL, *prev = NULL;
	bool tty = !ctl_json && isatty(STDOUT_FILENO);
	uint64_t next = ctl_now_ns(), t_cur = 0, t_prev = 0;
	struct sigaction sa;
	unsigned long i;
	sigset_t sigs;
	int rc = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ctl_on_signal; /* no SA_RESTART: recv() returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);

	for (i = 1; !ctl_count || i <= ctl_count; i++) {
		if (i > 1) {
			next += (uint64_t)ctl_interval_ms * 1000000ull;
			ctl_sleep_until(next, &sigs);
		}
		if (ctl_stop)
			break;
		rc = ctl_request(line, len, &cur);
		if (ctl_stop)
			break;
		if (rc)
			break; /* ctl_request() said why, in one line */
		t_cur = ctl_get(cur, "uptime_ns") ?
			json_object_get_uint64(ctl_get(cur, "uptime_ns")) :
			ctl_now_ns();

		if (ctl_json) {
			printf("%s\n", json_object_to_json_string_ext(cur,
				JSON_C_TO_STRING_PLAIN |
				JSON_C_TO_STRING_NOSLASHESCAPE));
		} else {
			/* Home and clear: the frame replaces the last one. */
			if (tty)
				fputs("\033[H\033[2J", stdout);
			else if (i > 1)
				putchar('\n');
			ctl_watch_header(cur, i);
			ctl_print_watch(cur, prev,
					prev && t_cur > t_prev ?
					(double)(t_cur - t_prev) / 1e9 : 0);
		}
		if (fflush(stdout) == EOF) {
			rc = 1; /* the reader went away: nothing to do */
			break;
		}
		json_object_put(prev);
		prev = cur;
		cur = NULL;
		t_prev = t_cur;
	}
	json_object_put(cur);
	json_object_put(prev);
	return ctl_stop ? 0 : rc;
}

/**
 * ctl_find() - the command named by the first words of @argv
 * @argc:	words left
 * @argv:	words
 * @used:	words the command name took
 *
 * Return: the command; exits 2 if there is none
 */
static const struct ctl_cmd *ctl_find(int argc, char **argv, int *used)
{
	bool noun_ok = false;
	unsigned i;

	for (i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++) {
		const struct ctl_cmd *c = &ctl_cmds[i];

		if (strcmp(c->noun, argv[0]))
			continue;
		noun_ok = true;
		if (!c->verb) {
			*used = 1;
			return c;
		}
		if (argc > 1 && !strcmp(c->verb, argv[1])) {
			*used = 2;
			return c;
		}
	}
	/* A noun alone is an error: one line naming its verbs, on stderr.
	 * Asked for, the list of its commands is the help, on stdout. */
	if (noun_ok && argc < 2) {
		char verbs[128] = "";
		size_t off = 0;

		for (i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++) {
			if (strcmp(ctl_cmds[i].noun, argv[0]) ||
			    off >= sizeof(verbs))
				continue;
			off += (size_t)snprintf(verbs + off, sizeof(verbs) - off,
						"%s%s", off ? ", " : "",
						ctl_cmds[i].verb);
		}
		ctl_usage_error(NULL, "'%s' needs a command: %s", argv[0],
				verbs);
	}
	if (noun_ok && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("Usage:\n");
		for (i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++) {
			if (!strcmp(ctl_cmds[i].noun, argv[0]))
				printf("  vstackctl %s %s ...\n", argv[0],
				       ctl_cmds[i].verb);
		}
		exit(0);
	}
	if (noun_ok)
		ctl_usage_error(NULL, "unknown command '%s %s'", argv[0],
				argv[1]);
	ctl_usage_error(NULL, "unknown command '%s'", argv[0]);
}

/**
 * main() - vstackctl [--socket PATH] [--json] COMMAND [ARGS...]
 * @argc:	argument count
 * @argv:	arguments
 *
 * Return: 0, 1 for a daemon error, 2 for a usage error
 */
int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct json_object *args, *result = NULL;
	const struct ctl_cmd *cmd;
	char *line, *text = NULL;
	size_t len, tlen = 0;
	int c, used, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:s:jh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!*optarg)
				ctl_usage_error(NULL, "empty socket path");
			ctl_socket = optarg;
			break;
		case 'j': ctl_json = true; break;
		case 'h': fputs(ctl_usage, stdout); return 0;
		case ':':
			ctl_usage_error(NULL, "option '%s' needs a value",
					argv[optind - 1]);
		default:
			ctl_usage_error(NULL, "unknown option '%s'",
					argv[optind - 1]);
		}
	}
	if (optind >= argc)
		ctl_usage_error(NULL, "missing COMMAND");

	cmd = ctl_find(argc - optind, argv + optind, &used);
	/* The command's own getopt sees "noun verb ARGS": skip the name. */
	argc -= optind + used - 1;
	argv += optind + used - 1;
	optind = 0; /* full reset of getopt's state */

	args = json_object_new_object();
	cmd->run(cmd, argc, argv, args);
	line = proto_request_build(cmd->wire, args, &len);
	if (!line) {
		fprintf(stderr, "vstackctl: out of memory\n");
		return 1;
	}
	if (ctl_watch) {
		rc = ctl_stats_watch(line, len);
		free(line);
		return rc;
	}
	rc = ctl_request(line, len, &result);
	free(line);
	if (rc)
		return rc;

	if (ctl_prometheus) {
		if (metrics_render(result, &text, &tlen)) {
			fprintf(stderr, "vstackctl: out of memory\n");
			rc = 1;
		} else {
			fwrite(text, 1, tlen, stdout);
		}
		free(text);
	} else if (ctl_json)
		printf("%s\n", json_object_to_json_string_ext(result,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			JSON_C_TO_STRING_NOSLASHESCAPE));
	else if (cmd->print)
		cmd->print(result);
	json_object_put(result);
	return rc;
}
