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
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "parse.h"
#include "proto.h"
#include "spec.h"

#define CTL_RESPONSE_MAX (64U << 20)

static const char *ctl_socket = CONFIG_SOCKET_DEFAULT;
static bool ctl_json;

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
"  port del NAME\n"
"  port list\n"
"  fdb show [--network NET]\n"
"  stats [--tenant T | --port P]\n"
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
					   ">RATE-BPS", ">PORTS", NULL };
	char b1[32], b2[32], b3[32];
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
			      ctl_str(t, "ports", b3, sizeof(b3)));
	}
	ctl_table_print(&tab);
}

/**
 * ctl_print_ports() - port.list result as a table
 * @result:	result object
 */
static void ctl_print_ports(struct json_object *result)
{
	static const char *const hdr[] = { "NAME", "NETWORK", "TENANT",
		"NETNS", "MAC", ">MTU", ">QUEUES", "OFFLOADS", "ADDRESSES",
		">RX-PKTS", ">TX-PKTS", ">DROPS", NULL };
	char mtu[32], q[32], rx[32], tx[32], dr[32], off[128], ad[1024];
	struct json_object *a, *p;
	struct ctl_table tab;
	size_t i, n;

	ctl_table_init(&tab, hdr);
	a = ctl_array(result, "ports", &n);
	for (i = 0; i < n; i++) {
		p = json_object_array_get_idx(a, i);
		ctl_table_row(&tab, ctl_str(p, "name", NULL, 0),
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
 * ctl_print_fdb() - fdb.show result as a table
 * @result:	result object
 */
static void ctl_print_fdb(struct json_object *result)
{
	static const char *const hdr[] = { "NETWORK", "MAC", "PORT",
					   ">AGE-S", NULL };
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
			      ctl_str(e, "port", NULL, 0), age);
	}
	ctl_table_print(&tab);
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
 * ctl_rate() - bits per second, short: 950, 12.3k, 1.00G
 * @bps:	rate
 * @buf:	output
 * @len:	its size
 *
 * Return: @buf
 */
static const char *ctl_rate(uint64_t bps, char *buf, size_t len)
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
		">PARKS", ">THROTTLES", NULL };
	char b[9][32];
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
			      ctl_rate(json_object_get_uint64(
					       ctl_get(o, "rate_bps")),
				       b[6], 32),
			      ctl_str(o, "parks", b[7], 32),
			      ctl_str(o, "throttles", b[8], 32));
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
	static const char *const nhdr[] = { "NETWORK", ">PORTS", ">FDB",
		">LIMIT", ">LEARNED", ">MOVED", ">FULL", ">AGED", NULL };
	static const char *const whdr[] = { "WORKER", ">CPU", ">CPU-TIME",
		">FRAMES", ">BATCHES", ">IDLE-SLEEPS", "RING", NULL };
	char b[8][32];
	struct json_object *a, *o, *f, *tot, *totals;
	struct ctl_table tab;
	size_t i, n;

	if (ctl_stats_tenants_only) {
		ctl_print_work(ctl_get(result, "tenants"),
			       ctl_get(result, "totals"));
		return;
	}
	a = ctl_get(result, "ports");
	ctl_print_traffic(a, "PORT");

	putchar('\n');
	a = ctl_get(result, "tenants");
	ctl_print_traffic(a, "TENANT");

	putchar('\n');
	ctl_print_work(a, ctl_get(result, "totals"));

	putchar('\n');
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
			      ctl_str(f, "aged", b[6], 32));
	}
	ctl_table_print(&tab);

	putchar('\n');
	ctl_table_init(&tab, whdr);
	a = ctl_array(result, "workers", &n);
	for (i = 0; i < n; i++) {
		o = json_object_array_get_idx(a, i);
		snprintf(b[7], 32, "%.3fs",
			 (double)json_object_get_uint64(ctl_get(o, "cpu_ns")) /
				 1e9);
		ctl_table_row(&tab, ctl_str(o, "id", b[0], 32),
			      ctl_str(o, "cpu", b[1], 32), b[7],
			      ctl_str(o, "frames", b[2], 32),
			      ctl_str(o, "batches", b[3], 32),
			      ctl_str(o, "idle_sleeps", b[4], 32),
			      ctl_str(o, "ring_features", NULL, 0));
	}
	ctl_table_print(&tab);

	putchar('\n');
	tot = ctl_get(result, "totals");
	totals = json_object_new_array();
	if (tot) {
		json_object_object_add(tot, "name",
				       json_object_new_string("total"));
		json_object_array_add(totals, json_object_get(tot));
	}
	ctl_print_traffic(totals, "TOTAL");
	json_object_put(totals);
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
			ctl_usage_error(cmd, "invalid network name '%s'", optarg);
		json_object_object_add(args, "network",
				       json_object_new_string(optarg));
	}
	ctl_no_args(cmd, argc, argv);
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
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	/* "stats --tenant" alone: every tenant's work, nothing else */
	if (argc > 1 && !strcmp(argv[argc - 1], "--tenant")) {
		ctl_stats_tenants_only = true;
		argc--;
	}
	while ((c = ctl_getopt(cmd, argc, argv, opts)) != -1) {
		const char *key = c == 't' ? "tenant" : "port";

		if (c == 't' ? !parse_name_ok(optarg) : !parse_ifname_ok(optarg))
			ctl_usage_error(cmd, "invalid %s name '%s'", key, optarg);
		json_object_object_add(args, key, json_object_new_string(optarg));
	}
	ctl_no_args(cmd, argc, argv);
	if (ctl_get(args, "tenant") && ctl_get(args, "port"))
		ctl_usage_error(cmd, "--tenant and --port are mutually exclusive");
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
	  "Delete a tenant that has no ports left.\n",
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
	  "  --offload on|off    negotiate checksum/segmentation offloads (default on)\n",
	  ctl_run_port_add, "port.add", NULL },
	{ "port", "del",
	  "Usage: vstackctl port del NAME\n"
	  "Delete a port; its device disappears, wherever it lives.\n",
	  ctl_run_name, "port.del", NULL },
	{ "port", "list",
	  "Usage: vstackctl port list\n"
	  "List ports with their network, tenant, namespace, addresses and counters.\n",
	  ctl_run_none, "port.list", ctl_print_ports },
	{ "fdb", "show",
	  "Usage: vstackctl fdb show [--network NET]\n"
	  "Show the learned MAC addresses, of every network or of NET.\n",
	  ctl_run_fdb, "fdb.show", ctl_print_fdb },
	{ "stats", NULL,
	  "Usage: vstackctl stats [--tenant [T] | --port P]\n"
	  "Counters of ports, tenants, networks and workers; with --tenant T, the sums\n"
	  "of that tenant's ports; with --port, one port. --tenant alone shows only\n"
	  "the tenants' work: packets and bytes read from their ports, worker cycles\n"
	  "charged, share of all cycles (since start and over the last tick), rate\n"
	  "over the last tick, and how often their intake was parked for their share\n"
	  "(PARKS) or rate cap (THROTTLES).\n",
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
	int fd = -1, rc = 1;

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

		if (w < 0 && errno == EINTR)
			continue;
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
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			fprintf(stderr,
				"vstackctl: no answer from vstackd on %s within "
				"%ld s\n",
				ctl_socket, (long)reply_timeout.tv_sec);
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

	if (!strcmp(argv[0], "endpoint")) {
		fprintf(stderr, "vstackctl: endpoints need the shared stack, which this build does not have yet\n");
		exit(2);
	}
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
	if (noun_ok && (argc < 2 || !strcmp(argv[1], "--help") ||
			!strcmp(argv[1], "-h"))) {
		printf("Usage:\n");
		for (i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++) {
			if (!strcmp(ctl_cmds[i].noun, argv[0]))
				printf("  vstackctl %s %s ...\n", argv[0],
				       ctl_cmds[i].verb);
		}
		exit(argc < 2 ? 2 : 0);
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
	char *line, *resp = NULL, err[1024];
	size_t len, resplen;
	int c, used, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:s:jh", opts, NULL)) != -1) {
		switch (c) {
		case 's': ctl_socket = optarg; break;
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
	if (optind >= argc) {
		fputs(ctl_usage, stderr);
		return 2;
	}

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
	rc = ctl_call(line, len, &resp, &resplen);
	free(line);
	if (rc)
		return rc;

	if (proto_response_parse(resp, resplen, &result, err, sizeof(err))) {
		fprintf(stderr, "vstackctl: %s\n", err);
		free(resp);
		return 1;
	}
	free(resp);

	if (ctl_json)
		printf("%s\n", json_object_to_json_string_ext(result,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			JSON_C_TO_STRING_NOSLASHESCAPE));
	else if (cmd->print)
		cmd->print(result);
	json_object_put(result);
	return 0;
}
