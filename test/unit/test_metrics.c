// SPDX-License-Identifier: MIT
/*
 * test_metrics.c - the stats object in the Prometheus text format
 *
 * Stats objects are built by hand, rendered, and the text is checked two
 * ways: exact lines for exact figures (escaping, big integers, seconds),
 * and a small checker of the exposition format 0.0.4 over the whole
 * output (every family has one HELP and one TYPE line before its samples,
 * its samples are together, names and labels are well-formed, counters
 * end in _total, values are numbers).
 */
#include <CUnit/Basic.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/cunit_run.h"
#include "metrics.h"

#define TEST_MAX_FAMILIES 256

/**
 * test_traffic() - add traffic counters and drops to an object
 * @o:		object
 * @base:	rx_packets; the others are derived from it
 */
static void test_traffic(struct json_object *o, uint64_t base)
{
	struct json_object *d = json_object_new_object();

	json_object_object_add(o, "rx_packets", json_object_new_uint64(base));
	json_object_object_add(o, "rx_bytes",
			       json_object_new_uint64(base * 100));
	json_object_object_add(o, "tx_packets",
			       json_object_new_uint64(base + 1));
	json_object_object_add(o, "tx_bytes",
			       json_object_new_uint64(base * 100 + 1));
	json_object_object_add(d, "short", json_object_new_uint64(base + 2));
	json_object_object_add(d, "mtu", json_object_new_uint64(0));
	json_object_object_add(o, "drops", d);
	json_object_object_add(o, "drops_total",
			       json_object_new_uint64(base + 2));
}

/**
 * test_stats() - a stats object like vstackd's, with two of everything
 * @port0:	name of the first port
 * @tenant0:	name of the first tenant (and of the port's tenant)
 * @net0:	name of the first network (and of the port's network)
 *
 * Return: new object
 */
static struct json_object *test_stats(const char *port0, const char *tenant0,
				      const char *net0)
{
	struct json_object *s = json_object_new_object(), *a, *o, *f;
	unsigned i;

	a = json_object_new_array();
	for (i = 0; i < 2; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "name",
				       json_object_new_string(i ? "tap1" : port0));
		json_object_object_add(o, "network",
				       json_object_new_string(i ? "blue" : net0));
		json_object_object_add(o, "tenant",
				       json_object_new_string(i ? "t1" : tenant0));
		json_object_object_add(o, "mtu", json_object_new_int64(1500));
		json_object_object_add(o, "queues", json_object_new_int64(2));
		json_object_object_add(o, "offloads", json_object_new_array());
		test_traffic(o, i ? 10 : UINT64_MAX / 1000);
		json_object_array_add(a, o);
	}
	json_object_object_add(s, "ports", a);

	a = json_object_new_array();
	for (i = 0; i < 2; i++) {
		o = json_object_new_object();
		f = json_object_new_object();
		json_object_object_add(o, "name",
				       json_object_new_string(i ? "blue" : net0));
		json_object_object_add(o, "ports", json_object_new_int64(1));
		test_traffic(o, 20 + i);
		json_object_object_add(f, "entries", json_object_new_int64(3));
		json_object_object_add(f, "limit", json_object_new_int64(8192));
		json_object_object_add(f, "learned", json_object_new_int64(5));
		json_object_object_add(f, "moved", json_object_new_int64(0));
		json_object_object_add(f, "full", json_object_new_int64(0));
		json_object_object_add(f, "aged", json_object_new_int64(2));
		json_object_object_add(o, "fdb", f);
		json_object_array_add(a, o);
	}
	json_object_object_add(s, "networks", a);

	a = json_object_new_array();
	for (i = 0; i < 2; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "name",
				       json_object_new_string(i ? "t1" : tenant0));
		json_object_object_add(o, "ports", json_object_new_int64(1));
		test_traffic(o, 30 + i);
		json_object_array_add(a, o);
	}
	json_object_object_add(s, "tenants", a);

	a = json_object_new_array();
	for (i = 0; i < 2; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_int64(i));
		json_object_object_add(o, "cpu", json_object_new_int64(i ? -1 : 3));
		json_object_object_add(o, "tid", json_object_new_int64(100 + i));
		json_object_object_add(o, "cpu_ns", json_object_new_uint64(
				i ? 2000000000ull : 1500000001ull));
		json_object_object_add(o, "cpu_percent",
				       json_object_new_double_s(i ? 12.5 : 0.0,
								i ? "12.50" : "0.00"));
		json_object_object_add(o, "batches", json_object_new_int64(7));
		json_object_object_add(o, "frames", json_object_new_int64(70));
		json_object_object_add(o, "idle_sleeps", json_object_new_int64(9));
		json_object_object_add(o, "ring_features",
				       json_object_new_string("defer_taskrun"));
		json_object_array_add(a, o);
	}
	json_object_object_add(s, "workers", a);
	json_object_object_add(s, "uptime_ns",
			       json_object_new_uint64(61000000000ull));
	return s;
}

/**
 * test_render() - render, asserting success
 * @s:		stats object (released)
 *
 * Return: malloc'd text
 */
static char *test_render(struct json_object *s)
{
	char *out = NULL;
	size_t len = 0;

	CU_ASSERT_EQUAL(metrics_render(s, &out, &len), 0);
	json_object_put(s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_EQUAL(strlen(out), len);
	return out;
}

/**
 * test_has_line() - does the text hold this exact line?
 * @text:	output
 * @line:	line without its newline
 *
 * Return: true if found
 */
static bool test_has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line))) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
		p++;
	}
	return false;
}

#define ASSERT_LINE(text, line)                                              \
	do {                                                                 \
		if (!test_has_line(text, line))                              \
			fprintf(stderr, "\nmissing line: %s\n", line);       \
		CU_ASSERT_TRUE(test_has_line(text, line));                   \
	} while (0)

/* ---- a checker of the text format --------------------------------------- */

/**
 * struct test_family - what the checker saw of one family
 */
struct test_family {
	char name[128];
	bool counter;
	unsigned help, type, samples;
	bool closed; /* another family's lines came after its samples */
};

/**
 * struct test_check - the checker's result
 */
struct test_check {
	struct test_family fam[TEST_MAX_FAMILIES];
	unsigned nfam;
	unsigned samples;
	char why[256]; /* first problem, "" if none */
};

static bool test_name_ok(const char *s, size_t n)
{
	size_t i;

	if (!n)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     c == '_' || c == ':';

		if (!alpha && !(i && c >= '0' && c <= '9'))
			return false;
	}
	return true;
}

static struct test_family *test_fam(struct test_check *c, const char *name,
				    size_t n)
{
	unsigned i;

	for (i = 0; i < c->nfam; i++)
		if (strlen(c->fam[i].name) == n && !strncmp(c->fam[i].name, name, n))
			return &c->fam[i];
	if (c->nfam == TEST_MAX_FAMILIES || n >= sizeof(c->fam[0].name))
		return NULL;
	memset(&c->fam[c->nfam], 0, sizeof(c->fam[0]));
	memcpy(c->fam[c->nfam].name, name, n);
	return &c->fam[c->nfam++];
}

#define TEST_BAD(c, ...)                                                     \
	do {                                                                 \
		if (!(c)->why[0])                                            \
			snprintf((c)->why, sizeof((c)->why), __VA_ARGS__);   \
		return;                                                      \
	} while (0)

/**
 * test_check_sample() - check one sample line
 * @c:		checker state
 * @cur:	family of the last TYPE line, or NULL
 * @l:		line
 * @n:		its length
 */
static void test_check_sample(struct test_check *c, struct test_family *cur,
			      const char *l, size_t n)
{
	size_t i = 0, j;
	char num[64], *end;

	while (i < n && l[i] != '{' && l[i] != ' ')
		i++;
	if (!test_name_ok(l, i))
		TEST_BAD(c, "bad metric name in: %.*s", (int)n, l);
	if (!cur || strlen(cur->name) != i || strncmp(cur->name, l, i))
		TEST_BAD(c, "sample outside its family: %.*s", (int)n, l);
	if (i < n && l[i] == '{') {
		i++;
		while (i < n && l[i] != '}') {
			j = i;
			while (i < n && l[i] != '=')
				i++;
			if (!test_name_ok(l + j, i - j) || l[j] == ':')
				TEST_BAD(c, "bad label name in: %.*s", (int)n, l);
			if (++i >= n || l[i] != '"')
				TEST_BAD(c, "label value not quoted: %.*s", (int)n, l);
			for (i++; i < n && l[i] != '"'; i++) {
				if (l[i] != '\\')
					continue;
				if (++i >= n || !strchr("\\\"n", l[i]))
					TEST_BAD(c, "bad escape in: %.*s", (int)n, l);
			}
			if (i >= n)
				TEST_BAD(c, "unterminated label value: %.*s", (int)n, l);
			i++;
			if (i < n && l[i] == ',')
				i++;
		}
		if (i >= n)
			TEST_BAD(c, "unterminated labels: %.*s", (int)n, l);
		i++;
	}
	if (i >= n || l[i] != ' ')
		TEST_BAD(c, "no space before the value: %.*s", (int)n, l);
	i++;
	if (n - i == 0 || n - i >= sizeof(num))
		TEST_BAD(c, "bad value in: %.*s", (int)n, l);
	memcpy(num, l + i, n - i);
	num[n - i] = '\0';
	if (strcmp(num, "NaN") && strcmp(num, "+Inf") && strcmp(num, "-Inf")) {
		(void)strtod(num, &end);
		if (*end || strchr(num, ' '))
			TEST_BAD(c, "value is not a number: %.*s", (int)n, l);
	}
	cur->samples++;
	c->samples++;
}

/**
 * test_check_text() - check a whole exposition
 * @c:		result
 * @text:	output of metrics_render()
 */
static void test_check_text(struct test_check *c, const char *text)
{
	struct test_family *cur = NULL, *f;
	const char *l = text, *nl;
	unsigned i;

	memset(c, 0, sizeof(*c));
	if (*text && text[strlen(text) - 1] != '\n')
		TEST_BAD(c, "output does not end with a newline");
	for (; *l; l = nl + 1) {
		size_t n;

		nl = strchr(l, '\n');
		n = (size_t)(nl - l);
		if (!n)
			TEST_BAD(c, "empty line");
		if (!strncmp(l, "# HELP ", 7) || !strncmp(l, "# TYPE ", 7)) {
			const char *name = l + 7, *sp;

			sp = memchr(name, ' ', n - 7);
			if (!sp || !test_name_ok(name, (size_t)(sp - name)))
				TEST_BAD(c, "bad comment line: %.*s", (int)n, l);
			f = test_fam(c, name, (size_t)(sp - name));
			if (!f)
				TEST_BAD(c, "too many families");
			if (f->closed || f->samples)
				TEST_BAD(c, "%s: HELP/TYPE after its samples", f->name);
			if (cur && cur != f)
				cur->closed = true;
			cur = f;
			if (l[2] == 'H') {
				f->help++;
				continue;
			}
			f->type++;
			if (!strncmp(sp + 1, "counter\n", 8))
				f->counter = true;
			else if (strncmp(sp + 1, "gauge\n", 6))
				TEST_BAD(c, "unexpected type: %.*s", (int)n, l);
			continue;
		}
		if (l[0] == '#')
			TEST_BAD(c, "unexpected comment: %.*s", (int)n, l);
		if (cur && cur->closed)
			TEST_BAD(c, "%s: samples not together", cur->name);
		test_check_sample(c, cur, l, n);
		if (c->why[0])
			return;
	}
	for (i = 0; i < c->nfam; i++) {
		f = &c->fam[i];
		if (f->help != 1 || f->type != 1)
			TEST_BAD(c, "%s: %u HELP and %u TYPE lines", f->name,
				 f->help, f->type);
		if (f->counter != (strlen(f->name) > 6 &&
				   !strcmp(f->name + strlen(f->name) - 6, "_total")))
			TEST_BAD(c, "%s: counter iff _total broken", f->name);
	}
}

/**
 * test_family_of() - the checker's record of a family
 * @c:		checker result
 * @name:	family
 *
 * Return: the record, or NULL
 */
static const struct test_family *test_family_of(const struct test_check *c,
						const char *name)
{
	unsigned i;

	for (i = 0; i < c->nfam; i++)
		if (!strcmp(c->fam[i].name, name))
			return &c->fam[i];
	return NULL;
}

/* ---- the tests ------------------------------------------------------------ */

/* The checker itself must catch what it is there to catch. */
static void test_checker_fails(void)
{
	static const char *const bad[] = {
		"# HELP a x\n# TYPE a gauge\na 1\n# HELP a x\n",
		"# HELP a x\n# TYPE a gauge\na 1\n# HELP b x\n# TYPE b gauge\nb 1\na 2\n",
		"# HELP a_total x\n# TYPE a_total gauge\na_total 1\n",
		"# HELP a x\n# TYPE a gauge\na{l=\"x\"y\"} 1\n",
		"# HELP a x\n# TYPE a gauge\na{l=\"x\\t\"} 1\n",
		"# HELP a x\n# TYPE a gauge\na 1x\n",
		"# HELP 1a x\n# TYPE 1a gauge\n1a 1\n",
		"# HELP a x\n# TYPE a gauge\nb 1\n",
		"# TYPE a gauge\na 1\n",
		"# HELP a x\n# TYPE a gauge\na{l=\"x\"} 1",
	};
	struct test_check c;
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		test_check_text(&c, bad[i]);
		if (!c.why[0])
			fprintf(stderr, "\nchecker accepted: %s\n", bad[i]);
		CU_ASSERT_NOT_EQUAL(c.why[0], '\0');
	}
	test_check_text(&c, "# HELP a_total x\n# TYPE a_total counter\n"
			    "a_total{l=\"q\\\"b\\\\s\\n\"} 1\n");
	CU_ASSERT_STRING_EQUAL(c.why, "");
}

static void test_wellformed(void)
{
	char *out = test_render(test_stats("tap0", "t0", "default"));
	static const char *const want[] = {
		"vstack_uptime_seconds", "vstack_port_rx_packets_total",
		"vstack_port_rx_bytes_total", "vstack_port_tx_packets_total",
		"vstack_port_tx_bytes_total", "vstack_port_drops_total",
		"vstack_port_mtu", "vstack_network_rx_packets_total",
		"vstack_network_drops_total", "vstack_network_fdb_entries",
		"vstack_network_fdb_learned_total", "vstack_tenant_rx_bytes_total",
		"vstack_tenant_drops_total", "vstack_tenant_ports",
		"vstack_worker_cpu_seconds_total", "vstack_worker_cpu_ratio",
		"vstack_worker_frames_total", "vstack_worker_info",
	};
	const struct test_family *f;
	struct test_check c;
	unsigned i;

	test_check_text(&c, out);
	if (c.why[0])
		fprintf(stderr, "\n%s\n%s", c.why, out);
	CU_ASSERT_STRING_EQUAL(c.why, "");
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		f = test_family_of(&c, want[i]);
		CU_ASSERT_PTR_NOT_NULL(f);
		if (f)
			CU_ASSERT_TRUE(f->samples > 0);
	}
	/* Two ports times two reasons. */
	f = test_family_of(&c, "vstack_port_drops_total");
	CU_ASSERT_TRUE(f && f->samples == 4);
	/* drops_total is a sum over reasons: not exported on its own. */
	CU_ASSERT_PTR_NULL(strstr(out, "drops_total_total"));
	CU_ASSERT_PTR_NULL(test_family_of(&c, "vstack_tenant_drops_total_total"));
	free(out);
}

static void test_exact_numbers(void)
{
	char *out = test_render(test_stats("tap0", "t0", "default"));
	char line[256];

	snprintf(line, sizeof(line),
		 "vstack_port_rx_packets_total{port=\"tap0\",network=\"default\",tenant=\"t0\"} %llu",
		 (unsigned long long)(UINT64_MAX / 1000));
	ASSERT_LINE(out, line);
	snprintf(line, sizeof(line),
		 "vstack_port_rx_bytes_total{port=\"tap0\",network=\"default\",tenant=\"t0\"} %llu",
		 (unsigned long long)(UINT64_MAX / 1000 * 100));
	ASSERT_LINE(out, line);
	ASSERT_LINE(out, "vstack_port_tx_bytes_total{port=\"tap1\",network=\"blue\",tenant=\"t1\"} 1001");
	ASSERT_LINE(out, "vstack_port_drops_total{port=\"tap1\",network=\"blue\",tenant=\"t1\",reason=\"short\"} 12");
	ASSERT_LINE(out, "vstack_port_drops_total{port=\"tap1\",network=\"blue\",tenant=\"t1\",reason=\"mtu\"} 0");
	ASSERT_LINE(out, "vstack_port_mtu{port=\"tap1\",network=\"blue\",tenant=\"t1\"} 1500");
	ASSERT_LINE(out, "vstack_network_rx_packets_total{network=\"blue\"} 21");
	ASSERT_LINE(out, "vstack_network_drops_total{network=\"default\",reason=\"short\"} 22");
	ASSERT_LINE(out, "vstack_network_fdb_entries{network=\"blue\"} 3");
	ASSERT_LINE(out, "vstack_network_fdb_aged_total{network=\"blue\"} 2");
	ASSERT_LINE(out, "vstack_tenant_tx_packets_total{tenant=\"t1\"} 32");
	ASSERT_LINE(out, "vstack_tenant_ports{tenant=\"t0\"} 1");
	/* Nanoseconds to seconds, exactly. */
	ASSERT_LINE(out, "vstack_worker_cpu_seconds_total{worker=\"0\"} 1.500000001");
	ASSERT_LINE(out, "vstack_worker_cpu_seconds_total{worker=\"1\"} 2");
	ASSERT_LINE(out, "vstack_worker_cpu_ratio{worker=\"1\"} 0.125");
	ASSERT_LINE(out, "vstack_worker_cpu_ratio{worker=\"0\"} 0");
	ASSERT_LINE(out, "vstack_worker_info{worker=\"0\",cpu=\"3\"} 1");
	ASSERT_LINE(out, "vstack_worker_info{worker=\"1\",cpu=\"-1\"} 1");
	ASSERT_LINE(out, "vstack_uptime_seconds 61");
	ASSERT_LINE(out, "# TYPE vstack_port_rx_packets_total counter");
	ASSERT_LINE(out, "# TYPE vstack_network_fdb_entries gauge");
	ASSERT_LINE(out, "# TYPE vstack_worker_cpu_ratio gauge");
	free(out);
}

static void test_escaping(void)
{
	char *out = test_render(test_stats("ta\"p", "t\\0\nx", "n\"\\\n"));
	struct test_check c;

	test_check_text(&c, out);
	if (c.why[0])
		fprintf(stderr, "\n%s\n%s", c.why, out);
	CU_ASSERT_STRING_EQUAL(c.why, "");
	ASSERT_LINE(out, "vstack_port_tx_packets_total{port=\"ta\\\"p\",network=\"n\\\"\\\\\\n\",tenant=\"t\\\\0\\nx\"} 18446744073709552");
	ASSERT_LINE(out, "vstack_tenant_ports{tenant=\"t\\\\0\\nx\"} 1");
	ASSERT_LINE(out, "vstack_network_ports{network=\"n\\\"\\\\\\n\"} 1");
	free(out);
}

static void test_tenant_extras(void)
{
	struct json_object *s = test_stats("tap0", "t0", "default");
	struct json_object *a = NULL, *t0, *t1, *sched;
	const struct test_family *f;
	struct test_check c;
	char *out;

	json_object_object_get_ex(s, "tenants", &a);
	t0 = json_object_array_get_idx(a, 0);
	t1 = json_object_array_get_idx(a, 1);
	json_object_object_add(t0, "cycles_total", json_object_new_uint64(123456789012ull));
	json_object_object_add(t0, "share", json_object_new_double(0.25));
	json_object_object_add(t0, "rate-limited", json_object_new_boolean(1));
	json_object_object_add(t0, "cgroup", json_object_new_string("/x"));
	sched = json_object_new_object();
	json_object_object_add(sched, "weight", json_object_new_int64(200));
	json_object_object_add(sched, "mode", json_object_new_string("fair"));
	json_object_object_add(t1, "sched", sched);
	json_object_object_add(t1, "share", json_object_new_double(0.75));
	out = test_render(s);

	test_check_text(&c, out);
	if (c.why[0])
		fprintf(stderr, "\n%s\n%s", c.why, out);
	CU_ASSERT_STRING_EQUAL(c.why, "");
	ASSERT_LINE(out, "# TYPE vstack_tenant_cycles_total counter");
	ASSERT_LINE(out, "vstack_tenant_cycles_total{tenant=\"t0\"} 123456789012");
	ASSERT_LINE(out, "# TYPE vstack_tenant_share gauge");
	ASSERT_LINE(out, "vstack_tenant_share{tenant=\"t0\"} 0.25");
	ASSERT_LINE(out, "vstack_tenant_share{tenant=\"t1\"} 0.75");
	ASSERT_LINE(out, "vstack_tenant_rate_limited{tenant=\"t0\"} 1");
	ASSERT_LINE(out, "vstack_tenant_sched_weight{tenant=\"t1\"} 200");
	f = test_family_of(&c, "vstack_tenant_share");
	CU_ASSERT_TRUE(f && f->samples == 2);
	CU_ASSERT_PTR_NULL(strstr(out, "cgroup"));
	CU_ASSERT_PTR_NULL(strstr(out, "sched_mode"));
	free(out);
}

static void test_odd_input(void)
{
	struct json_object *s = json_object_new_object(), *a, *o;
	struct test_check c;
	char *out;

	/* Nothing at all: headers only, still well-formed. */
	out = test_render(json_object_get(s));
	test_check_text(&c, out);
	CU_ASSERT_STRING_EQUAL(c.why, "");
	CU_ASSERT_EQUAL(c.samples, 0);
	free(out);

	/* Wrong types everywhere: skipped, not trusted. */
	json_object_object_add(s, "ports", json_object_new_string("x"));
	a = json_object_new_array();
	json_object_array_add(a, json_object_new_int(5));
	o = json_object_new_object();
	json_object_object_add(o, "rx_packets", json_object_new_string("12"));
	json_object_object_add(o, "drops", json_object_new_array());
	json_object_object_add(o, "fdb", json_object_new_int(1));
	json_object_array_add(a, o);
	json_object_object_add(s, "networks", a);
	json_object_object_add(s, "uptime_ns", json_object_new_string("soon"));
	out = test_render(s);
	test_check_text(&c, out);
	CU_ASSERT_STRING_EQUAL(c.why, "");
	/* Only the label-only info family could have samples: no workers. */
	CU_ASSERT_EQUAL(c.samples, 0);
	free(out);
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "checker catches malformed text", test_checker_fails },
		{ "well-formed exposition", test_wellformed },
		{ "exact numbers", test_exact_numbers },
		{ "label value escaping", test_escaping },
		{ "generic tenant figures", test_tenant_extras },
		{ "missing and mistyped members", test_odd_input },
	};

	return cunit_run("metrics", tests, sizeof(tests) / sizeof(tests[0]),
			 NULL, NULL);
}
