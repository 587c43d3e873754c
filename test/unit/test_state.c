// SPDX-License-Identifier: MIT
/*
 * test_state.c - unit tests of the state directory (ctl/state.c)
 *
 * Records are written to and read back from a temporary directory; damaged
 * records are planted by hand, as a crash, a full disk or a curious
 * operator would leave them.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "../lib/cunit_run.h"
#include "state.h"

static char test_dir[64];

static void test_write_file(const char *rel, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", test_dir, rel);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs(text, f);
	fclose(f);
}

static bool test_exists(const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", test_dir, rel);
	return access(path, F_OK) == 0;
}

static void test_port(struct spec_port *p, const char *name)
{
	char err[256];

	spec_port_init(p);
	CU_ASSERT_FATAL(!spec_port_set(p, "name", name, err, sizeof(err)));
	CU_ASSERT_FATAL(!spec_port_set(p, "network", "blue", err, sizeof(err)));
	CU_ASSERT_FATAL(!spec_port_set(p, "tenant", "acme", err, sizeof(err)));
	CU_ASSERT_FATAL(!spec_port_set(p, "netns", "ns-1", err, sizeof(err)));
	CU_ASSERT_FATAL(!spec_port_set(p, "mac", "02:00:00:00:00:2a", err,
				       sizeof(err)));
	CU_ASSERT_FATAL(!spec_port_set(p, "address", "10.1.2.3/24", err,
				       sizeof(err)));
	CU_ASSERT_FATAL(!spec_port_set(p, "address", "fd00::3/64", err,
				       sizeof(err)));
	CU_ASSERT_FATAL(!spec_port_set(p, "mtu", "9000", err, sizeof(err)));
	CU_ASSERT_FATAL(!spec_port_set(p, "queues", "2", err, sizeof(err)));
	CU_ASSERT_FATAL(!spec_port_set(p, "offload", "off", err, sizeof(err)));
}

static void test_port_equal(const struct spec_port *a, const struct spec_port *b)
{
	char *fa = state_port_fingerprint(a), *fb = state_port_fingerprint(b);

	CU_ASSERT_PTR_NOT_NULL_FATAL(fa);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fb);
	CU_ASSERT_STRING_EQUAL(fa, fb);
	CU_ASSERT_STRING_EQUAL(a->name, b->name);
	CU_ASSERT_EQUAL(a->mtu, b->mtu);
	CU_ASSERT_EQUAL(a->naddrs, b->naddrs);
	CU_ASSERT(!memcmp(a->mac, b->mac, 6));
	CU_ASSERT_EQUAL(a->offload, b->offload);
	CU_ASSERT_EQUAL(a->has_fdb_max, b->has_fdb_max);
	CU_ASSERT_EQUAL(a->fdb_max, b->fdb_max);
	free(fa);
	free(fb);
}

static void test_roundtrip(void)
{
	struct state_snapshot snap;
	struct state_tenant t = { 0 };
	struct state_port p = { 0 }, q = { 0 };
	struct state *s;
	char err[256];

	CU_ASSERT_FATAL(!state_open(&s, test_dir, err, sizeof(err)));
	test_port(&p.spec, "tap-a");
	p.netns_dev = 4;
	p.netns_ino = 4026532177ULL;
	test_port(&q.spec, "tap-b");
	CU_ASSERT_FATAL(!spec_port_set(&q.spec, "fdb-max", "300", err,
				       sizeof(err)));
	q.config = state_port_fingerprint(&q.spec);
	CU_ASSERT_FATAL(q.config != NULL);
	spec_tenant_init(&t.spec);
	CU_ASSERT_FATAL(!spec_tenant_set(&t.spec, "name", "acme", err, sizeof(err)));
	CU_ASSERT_FATAL(!spec_tenant_set(&t.spec, "cgroup", "/acme.slice", err,
					 sizeof(err)));
	CU_ASSERT_FATAL(!spec_tenant_set(&t.spec, "weight", "300", err, sizeof(err)));
	CU_ASSERT_FATAL(!spec_tenant_set(&t.spec, "rate", "1G", err, sizeof(err)));
	t.cgroup_weight = 250;

	CU_ASSERT(!state_put_port(s, &p));
	CU_ASSERT(!state_put_port(s, &q));
	CU_ASSERT(!state_put_tenant(s, &t));
	CU_ASSERT(!state_sync(s));
	CU_ASSERT(test_exists("ports/tap-a.json"));
	CU_ASSERT(test_exists("tenants/acme.json"));

	CU_ASSERT_FATAL(!state_load(s, &snap, err, sizeof(err)));
	CU_ASSERT_EQUAL_FATAL(snap.nports, 2);
	CU_ASSERT_EQUAL_FATAL(snap.ntenants, 1);
	/* In name order. */
	test_port_equal(&snap.ports[0].spec, &p.spec);
	test_port_equal(&snap.ports[1].spec, &q.spec);
	CU_ASSERT_PTR_NULL(snap.ports[0].config);
	CU_ASSERT_EQUAL(snap.ports[0].netns_ino, 4026532177ULL);
	CU_ASSERT_EQUAL(snap.ports[0].netns_dev, 4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(snap.ports[1].config);
	CU_ASSERT_STRING_EQUAL(snap.ports[1].config, q.config);
	CU_ASSERT_STRING_EQUAL(snap.tenants[0].spec.name, "acme");
	CU_ASSERT_STRING_EQUAL(snap.tenants[0].spec.cgroup, "/acme.slice");
	CU_ASSERT_EQUAL(snap.tenants[0].spec.weight, 300);
	CU_ASSERT_EQUAL(snap.tenants[0].spec.rate_bps, 1000000000ULL);
	CU_ASSERT_EQUAL(snap.tenants[0].cgroup_weight, 250);
	CU_ASSERT_PTR_NULL(snap.tenants[0].config);
	state_snapshot_free(&snap);
	{
		struct json_object *o = json_tokener_parse(
			"{\"version\":1,\"origin\":\"vstackctl\","
			"\"name\":\"x\",\"cgroup_weight\":0}");
		struct state_tenant bad;

		CU_ASSERT_EQUAL(state_tenant_parse(o, &bad, err, sizeof(err)),
				-EINVAL);
		CU_ASSERT_STRING_EQUAL(err, "cgroup_weight: not 1..10000");
		json_object_put(o);
	}

	/* Replace, then delete. */
	p.spec.mtu = 1400;
	CU_ASSERT(!state_put_port(s, &p));
	CU_ASSERT(!state_del_port(s, "tap-b"));
	CU_ASSERT(!state_del_tenant(s, "acme"));
	CU_ASSERT(!state_del_tenant(s, "never-was"));
	CU_ASSERT_FATAL(!state_load(s, &snap, err, sizeof(err)));
	CU_ASSERT_EQUAL_FATAL(snap.nports, 1);
	CU_ASSERT_EQUAL(snap.ports[0].spec.mtu, 1400);
	CU_ASSERT_EQUAL(snap.ntenants, 0);
	state_snapshot_free(&snap);
	CU_ASSERT(!state_del_port(s, "tap-a"));
	free(q.config);
	state_close(s);
}

static void test_damaged(void)
{
	struct state_snapshot snap;
	struct state_port p = { 0 };
	struct state *s;
	char err[256], big[70000];

	CU_ASSERT_FATAL(!state_open(&s, test_dir, err, sizeof(err)));
	test_port(&p.spec, "good");
	CU_ASSERT(!state_put_port(s, &p));

	test_write_file("ports/notjson.json", "{ \"name\": ");
	test_write_file("ports/oldver.json",
			"{\"name\":\"oldver\",\"version\":0,\"origin\":\"vstackctl\"}");
	test_write_file("ports/other.json",
			"{\"name\":\"someone\",\"version\":1,\"origin\":\"vstackctl\"}");
	test_write_file("ports/badmac.json",
			"{\"name\":\"badmac\",\"mac\":\"ff:ff:ff:ff:ff:ff\",\"version\":1,\"origin\":\"vstackctl\"}");
	test_write_file("ports/neg.json",
			"{\"name\":\"neg\",\"mtu\":-1,\"version\":1,\"origin\":\"vstackctl\"}");
	test_write_file("ports/unknown.json",
			"{\"name\":\"unknown\",\"colour\":\"red\",\"version\":1,\"origin\":\"vstackctl\"}");
	test_write_file("ports/noorigin.json", "{\"name\":\"noorigin\",\"version\":1}");
	test_write_file("ports/nocfg.json",
			"{\"name\":\"nocfg\",\"version\":1,\"origin\":\"config\"}");
	test_write_file("ports/addrs.json",
			"{\"name\":\"addrs\",\"address\":[1,2],\"version\":1,\"origin\":\"vstackctl\"}");
	test_write_file("tenants/dots.json",
			"{\"name\":\"dots\",\"cgroup\":\"../../etc\",\"version\":1,\"origin\":\"vstackctl\"}");
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	test_write_file("ports/huge.json", big);
	test_write_file("ports/.crashed.json.tmp", "{");
	test_write_file("ports/README", "not a record");

	CU_ASSERT_FATAL(!state_load(s, &snap, err, sizeof(err)));
	CU_ASSERT_EQUAL(snap.nports, 1);
	CU_ASSERT_EQUAL(snap.ntenants, 0);
	if (snap.nports)
		CU_ASSERT_STRING_EQUAL(snap.ports[0].spec.name, "good");
	state_snapshot_free(&snap);
	CU_ASSERT(!test_exists("ports/.crashed.json.tmp"));
	state_close(s);
}

static void test_endpoint(struct spec_endpoint *e, const char *name)
{
	char err[256];

	spec_endpoint_init(e);
	CU_ASSERT_FATAL(!spec_endpoint_set(e, "name", name, err, sizeof(err)));
	CU_ASSERT_FATAL(!spec_endpoint_set(e, "network", "blue", err, sizeof(err)));
	CU_ASSERT_FATAL(!spec_endpoint_set(e, "tenant", "acme", err, sizeof(err)));
	CU_ASSERT_FATAL(!spec_endpoint_set(e, "address", "10.1.2.3/24", err,
					   sizeof(err)));
	CU_ASSERT_FATAL(!spec_endpoint_set(e, "gateway", "10.1.2.1", err,
					   sizeof(err)));
	CU_ASSERT_FATAL(!spec_endpoint_set(e, "mac", "02:00:00:00:00:2b", err,
					   sizeof(err)));
	CU_ASSERT_FATAL(!spec_endpoint_set(e, "mtu", "9000", err, sizeof(err)));
}

static void test_endpoint_roundtrip(void)
{
	struct state_endpoint a = { 0 }, b = { 0 };
	struct state_snapshot snap;
	struct state *s;
	char err[256], *fa, *fb;

	CU_ASSERT_FATAL(!state_open(&s, test_dir, err, sizeof(err)));
	CU_ASSERT(test_exists("endpoints"));
	test_endpoint(&a.spec, "ep-a");
	test_endpoint(&b.spec, "ep-b");
	/* The least an endpoint can be: a name and an address. */
	spec_endpoint_init(&b.spec);
	CU_ASSERT_FATAL(!spec_endpoint_set(&b.spec, "name", "ep-b", err, sizeof(err)));
	CU_ASSERT_FATAL(!spec_endpoint_set(&b.spec, "address", "192.168.7.9/32",
					   err, sizeof(err)));
	b.config = state_endpoint_fingerprint(&b.spec);
	CU_ASSERT_FATAL(b.config != NULL);
	CU_ASSERT(!state_put_endpoint(s, &b));
	CU_ASSERT(!state_put_endpoint(s, &a));
	CU_ASSERT(test_exists("endpoints/ep-a.json"));

	CU_ASSERT_FATAL(!state_load(s, &snap, err, sizeof(err)));
	CU_ASSERT_EQUAL_FATAL(snap.nendpoints, 2);
	/* In name order, every key back as it was. */
	CU_ASSERT_STRING_EQUAL(snap.endpoints[0].spec.name, "ep-a");
	CU_ASSERT_STRING_EQUAL(snap.endpoints[0].spec.network, "blue");
	CU_ASSERT_STRING_EQUAL(snap.endpoints[0].spec.tenant, "acme");
	CU_ASSERT(snap.endpoints[0].spec.has_address);
	CU_ASSERT_EQUAL(snap.endpoints[0].spec.address.prefix, 24);
	CU_ASSERT(!memcmp(snap.endpoints[0].spec.address.addr, "\x0a\x01\x02\x03", 4));
	CU_ASSERT(snap.endpoints[0].spec.has_gateway);
	CU_ASSERT(!memcmp(snap.endpoints[0].spec.gateway, "\x0a\x01\x02\x01", 4));
	CU_ASSERT(snap.endpoints[0].spec.has_mac);
	CU_ASSERT_EQUAL(snap.endpoints[0].spec.mac[5], 0x2b);
	CU_ASSERT_EQUAL(snap.endpoints[0].spec.mtu, 9000);
	CU_ASSERT_PTR_NULL(snap.endpoints[0].config);
	fa = state_endpoint_fingerprint(&snap.endpoints[0].spec);
	fb = state_endpoint_fingerprint(&a.spec);
	CU_ASSERT_STRING_EQUAL(fa, fb);
	free(fa);
	free(fb);
	CU_ASSERT_STRING_EQUAL(snap.endpoints[1].spec.name, "ep-b");
	CU_ASSERT_STRING_EQUAL(snap.endpoints[1].spec.tenant, "default");
	CU_ASSERT_FALSE(snap.endpoints[1].spec.has_gateway);
	CU_ASSERT_FALSE(snap.endpoints[1].spec.has_mac);
	CU_ASSERT_EQUAL(snap.endpoints[1].spec.mtu, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(snap.endpoints[1].config);
	CU_ASSERT_STRING_EQUAL(snap.endpoints[1].config, b.config);
	state_snapshot_free(&snap);

	/* Replace, then delete. */
	a.spec.mtu = 1400;
	CU_ASSERT(!state_put_endpoint(s, &a));
	CU_ASSERT(!state_del_endpoint(s, "ep-b"));
	CU_ASSERT(!state_del_endpoint(s, "never-was"));
	CU_ASSERT_FATAL(!state_load(s, &snap, err, sizeof(err)));
	CU_ASSERT_EQUAL_FATAL(snap.nendpoints, 1);
	CU_ASSERT_EQUAL(snap.endpoints[0].spec.mtu, 1400);
	state_snapshot_free(&snap);
	CU_ASSERT(!state_del_endpoint(s, "ep-a"));
	CU_ASSERT(!test_exists("endpoints/ep-a.json"));
	free(b.config);
	state_close(s);
}

static void test_endpoint_damaged(void)
{
	struct state_snapshot snap;
	struct state_endpoint e = { 0 };
	struct state *s;
	char err[256];

	CU_ASSERT_FATAL(!state_open(&s, test_dir, err, sizeof(err)));
	test_endpoint(&e.spec, "good");
	CU_ASSERT(!state_put_endpoint(s, &e));

#define EP_REC(name, keys) \
	test_write_file("endpoints/" name ".json", "{\"name\":\"" name "\"," keys \
			"\"version\":1,\"origin\":\"vstackctl\"}")
	EP_REC("noaddr", "");
	EP_REC("v6", "\"address\":\"fd00::1/64\",");
	EP_REC("twoaddr", "\"address\":[\"10.0.0.1/24\",\"10.0.0.2/24\"],");
	EP_REC("gwout", "\"address\":\"10.0.0.2/24\",\"gateway\":\"10.0.9.1\",");
	EP_REC("mtu", "\"address\":\"10.0.0.2/24\",\"mtu\":65536,");
	EP_REC("negmtu", "\"address\":\"10.0.0.2/24\",\"mtu\":-5,");
	EP_REC("netns", "\"address\":\"10.0.0.2/24\",\"netns\":\"x\",");
	EP_REC("bcastmac", "\"address\":\"10.0.0.2/24\",\"mac\":\"ff:ff:ff:ff:ff:ff\",");
	EP_REC("gwnum", "\"address\":\"10.0.0.2/24\",\"gateway\":167772161,");
	EP_REC("sixteen-chars-xx", "\"address\":\"10.0.0.2/24\",");
#undef EP_REC
	test_write_file("endpoints/other.json",
			"{\"name\":\"someone\",\"address\":\"10.0.0.2/24\",\"version\":1,\"origin\":\"vstackctl\"}");
	test_write_file("endpoints/cfg.json",
			"{\"name\":\"cfg\",\"address\":\"10.0.0.2/24\",\"version\":1,\"origin\":\"config\"}");
	test_write_file("endpoints/array.json", "[1,2,3]");
	test_write_file("endpoints/.crashed.json.tmp", "{");

	CU_ASSERT_FATAL(!state_load(s, &snap, err, sizeof(err)));
	CU_ASSERT_EQUAL(snap.nendpoints, 1);
	if (snap.nendpoints)
		CU_ASSERT_STRING_EQUAL(snap.endpoints[0].spec.name, "good");
	state_snapshot_free(&snap);
	CU_ASSERT(!test_exists("endpoints/.crashed.json.tmp"));
	CU_ASSERT(!state_del_endpoint(s, "good"));
	state_close(s);
}

static void test_fingerprint(void)
{
	struct spec_port a, b;
	struct spec_tenant t, u;
	char err[128], *fa, *fb;

	test_port(&a, "x");
	test_port(&b, "x");
	fa = state_port_fingerprint(&a);
	fb = state_port_fingerprint(&b);
	CU_ASSERT_STRING_EQUAL(fa, fb);
	free(fb);
	b.mtu = 1500;
	fb = state_port_fingerprint(&b);
	CU_ASSERT_STRING_NOT_EQUAL(fa, fb);
	free(fa);
	free(fb);

	spec_tenant_init(&t);
	spec_tenant_init(&u);
	spec_tenant_set(&t, "name", "t", err, sizeof(err));
	spec_tenant_set(&u, "name", "t", err, sizeof(err));
	fa = state_tenant_fingerprint(&t);
	spec_tenant_set(&u, "weight", "100", err, sizeof(err));
	fb = state_tenant_fingerprint(&u);
	/* An explicit default is a change: the section said something else. */
	CU_ASSERT_STRING_NOT_EQUAL(fa, fb);
	free(fa);
	free(fb);

	{
		struct spec_endpoint e, f;

		test_endpoint(&e, "e");
		test_endpoint(&f, "e");
		fa = state_endpoint_fingerprint(&e);
		fb = state_endpoint_fingerprint(&f);
		CU_ASSERT_STRING_EQUAL(fa, fb);
		free(fb);
		f.has_gateway = false;
		fb = state_endpoint_fingerprint(&f);
		CU_ASSERT_STRING_NOT_EQUAL(fa, fb);
		free(fa);
		free(fb);
	}
}

static void test_open_errors(void)
{
	struct state *s = NULL;
	char err[256], path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/file", test_dir);
	test_write_file("file", "x");
	CU_ASSERT(state_open(&s, path, err, sizeof(err)) < 0);
	CU_ASSERT(strstr(err, "cannot use state directory") != NULL);
	snprintf(path, sizeof(path), "%s/new/deeper", test_dir);
	CU_ASSERT_FATAL(!state_open(&s, path, err, sizeof(err)));
	CU_ASSERT_STRING_EQUAL(state_dir(s), path);
	state_close(s);
}

/*
 * A name is the name of its record file, and the loader skips the writer's
 * temporary files (".NAME.json.tmp"): no name may start with '.', and every
 * name accepted, dots inside included, must come back from the directory.
 */
static void test_dot_names(void)
{
	static const char *const bad[] = { ".t1", ".", "..", ".json" };
	struct state_snapshot snap;
	struct state_tenant t = { 0 };
	struct state_port p = { 0 };
	struct spec_endpoint e;
	struct state *s;
	char err[256], path[PATH_MAX];
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		spec_tenant_init(&t.spec);
		CU_ASSERT(spec_tenant_set(&t.spec, "name", bad[i], err,
					  sizeof(err)) == -EINVAL);
		CU_ASSERT(strstr(err, "not starting with '.'") != NULL);
		spec_port_init(&p.spec);
		CU_ASSERT(spec_port_set(&p.spec, "name", bad[i], err,
					sizeof(err)) == -EINVAL);
		CU_ASSERT(spec_port_set(&p.spec, "tenant", bad[i], err,
					sizeof(err)) == -EINVAL);
		CU_ASSERT(spec_port_set(&p.spec, "network", bad[i], err,
					sizeof(err)) == -EINVAL);
		spec_endpoint_init(&e);
		CU_ASSERT(spec_endpoint_set(&e, "name", bad[i], err,
					    sizeof(err)) == -EINVAL);
	}

	snprintf(path, sizeof(path), "%s/dots", test_dir);
	CU_ASSERT_FATAL(!state_open(&s, path, err, sizeof(err)));
	spec_tenant_init(&t.spec);
	CU_ASSERT_FATAL(!spec_tenant_set(&t.spec, "name", "t.1.", err,
					 sizeof(err)));
	CU_ASSERT(!state_put_tenant(s, &t));
	test_port(&p.spec, "p..1.json");
	CU_ASSERT(!state_put_port(s, &p));
	CU_ASSERT_FATAL(!state_load(s, &snap, err, sizeof(err)));
	CU_ASSERT_EQUAL(snap.ntenants, 1);
	CU_ASSERT_EQUAL(snap.nports, 1);
	if (snap.ntenants)
		CU_ASSERT_STRING_EQUAL(snap.tenants[0].spec.name, "t.1.");
	if (snap.nports)
		CU_ASSERT_STRING_EQUAL(snap.ports[0].spec.name, "p..1.json");
	state_snapshot_free(&snap);
	state_close(s);
}

/*
 * A port's deletion sets its record aside (NAME.json.del) until the
 * device is gone: a crash in between must leave what the next start
 * needs to find the device, not nothing.
 */
static void test_port_deleting(void)
{
	struct state_snapshot snap;
	struct state_port p = { 0 };
	char err[256], path[PATH_MAX];
	struct state *s;

	snprintf(path, sizeof(path), "%s/deleting", test_dir);
	CU_ASSERT_FATAL(!state_open(&s, path, err, sizeof(err)));
	test_port(&p.spec, "gone0");
	p.netns_dev = 4;
	p.netns_ino = 4026532000ULL;
	CU_ASSERT(!state_put_port(s, &p));
	test_port(&p.spec, "kept0");
	CU_ASSERT(!state_put_port(s, &p));

	/* Set aside, as when vstackd is killed before the device goes. */
	CU_ASSERT(!state_port_deleting(s, "gone0"));
	CU_ASSERT(!test_exists("deleting/ports/gone0.json"));
	CU_ASSERT(test_exists("deleting/ports/gone0.json.del"));
	CU_ASSERT(!state_port_deleting(s, "none0"));
	CU_ASSERT_FATAL(!state_load(s, &snap, err, sizeof(err)));
	CU_ASSERT_EQUAL_FATAL(snap.nports, 1);
	CU_ASSERT_STRING_EQUAL(snap.ports[0].spec.name, "kept0");
	CU_ASSERT_EQUAL_FATAL(snap.ndeleting, 1);
	CU_ASSERT_STRING_EQUAL(snap.deleting[0].spec.name, "gone0");
	CU_ASSERT_STRING_EQUAL(snap.deleting[0].spec.netns, "ns-1");
	CU_ASSERT_EQUAL(snap.deleting[0].netns_ino, 4026532000ULL);
	state_snapshot_free(&snap);

	/* Done: nothing left. */
	CU_ASSERT(!state_port_deleted(s, "gone0"));
	CU_ASSERT(!test_exists("deleting/ports/gone0.json.del"));
	CU_ASSERT_FATAL(!state_load(s, &snap, err, sizeof(err)));
	CU_ASSERT_EQUAL(snap.nports, 1);
	CU_ASSERT_EQUAL(snap.ndeleting, 0);
	state_snapshot_free(&snap);

	/* A port that stays after all (or a new one of the name) gets a
	 * record, which puts an end to the deletion. */
	CU_ASSERT(!state_port_deleting(s, "kept0"));
	CU_ASSERT(!state_put_port(s, &p));
	CU_ASSERT(!test_exists("deleting/ports/kept0.json.del"));
	/* A record beside a set-aside one wins, and the other goes. */
	CU_ASSERT(!state_port_deleting(s, "kept0"));
	CU_ASSERT(!state_put_port(s, &p));
	test_write_file("deleting/ports/kept0.json.del",
			"{ \"version\": 1, \"origin\": \"vstackctl\", \"name\": \"kept0\" }");
	CU_ASSERT_FATAL(!state_load(s, &snap, err, sizeof(err)));
	CU_ASSERT_EQUAL(snap.nports, 1);
	CU_ASSERT_EQUAL(snap.ndeleting, 0);
	CU_ASSERT(!test_exists("deleting/ports/kept0.json.del"));
	state_snapshot_free(&snap);

	/* A port being added: its device is recorded as set aside until
	 * the port has its record. */
	test_port(&p.spec, "new0");
	CU_ASSERT(!state_put_port_pending(s, &p));
	CU_ASSERT(test_exists("deleting/ports/new0.json.del"));
	CU_ASSERT(!test_exists("deleting/ports/new0.json"));
	CU_ASSERT_FATAL(!state_load(s, &snap, err, sizeof(err)));
	CU_ASSERT_EQUAL(snap.nports, 1);
	CU_ASSERT_EQUAL_FATAL(snap.ndeleting, 1);
	CU_ASSERT_STRING_EQUAL(snap.deleting[0].spec.name, "new0");
	state_snapshot_free(&snap);
	CU_ASSERT(!state_put_port(s, &p));
	CU_ASSERT(!test_exists("deleting/ports/new0.json.del"));
	CU_ASSERT(test_exists("deleting/ports/new0.json"));
	state_close(s);
}

static int test_init(void)
{
	snprintf(test_dir, sizeof(test_dir), "/tmp/vstack-state.XXXXXX");
	return mkdtemp(test_dir) ? 0 : -1;
}

static int test_clean(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", test_dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "records round-trip", test_roundtrip },
		{ "damaged records are skipped", test_damaged },
		{ "endpoint records round-trip", test_endpoint_roundtrip },
		{ "damaged endpoint records are skipped", test_endpoint_damaged },
		{ "fingerprints", test_fingerprint },
		{ "open errors", test_open_errors },
		{ "no name starts with a dot", test_dot_names },
		{ "a port being deleted", test_port_deleting },
	};

	return cunit_run("state", tests, sizeof(tests) / sizeof(tests[0]),
			 test_init, test_clean);
}
