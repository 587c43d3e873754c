// SPDX-License-Identifier: MIT
/*
 * test_tenant.c - unit tests of the tenant table and cgroup resolution
 *
 * cgroup layouts are faked as directory trees in a temporary directory:
 * v2 (cgroup.controllers at the root, cpu.weight files), v1 (cpu/ and
 * cpu,cpuacct/ hierarchies with cpu.shares) and hybrid (unified/ beside v1
 * hierarchies). Process resolution uses the real /proc of the test. The
 * inotify watches that follow bound cgroups are tested on such trees too.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

#include "cgroup.h"
#include "tenant.h"

static char test_dir[64];

/**
 * test_path() - path below the fixture directory
 * @rel:	relative path
 *
 * Return: static buffer (one of four, rotating)
 */
static const char *test_path(const char *rel)
{
	static char buf[4][PATH_MAX];
	static unsigned n;
	char *p = buf[n++ % 4];

	snprintf(p, PATH_MAX, "%s/%s", test_dir, rel);
	return p;
}

/**
 * test_mkdirs() - mkdir -p below the fixture directory
 * @rel:	relative path
 */
static void test_mkdirs(const char *rel)
{
	char p[PATH_MAX];
	size_t i, base = strlen(test_dir) + 1;

	if (snprintf(p, sizeof(p), "%s/%s", test_dir, rel) >= (int)sizeof(p))
		return; /* the fixture's paths are short; never happens */
	for (i = base; p[i]; i++) {
		if (p[i] != '/')
			continue;
		p[i] = '\0';
		mkdir(p, 0755);
		p[i] = '/';
	}
	mkdir(p, 0755);
}

/**
 * test_write() - write a file below the fixture directory, with parents
 * @rel:	relative path
 * @text:	contents
 *
 * Return: 0, or -1 on failure
 */
static int test_write(const char *rel, const char *text)
{
	char dir[PATH_MAX], *slash;
	FILE *fp;

	snprintf(dir, sizeof(dir), "%s", rel);
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		test_mkdirs(dir);
	}
	fp = fopen(test_path(rel), "w");
	if (!fp)
		return -1;
	fputs(text, fp);
	return fclose(fp) ? -1 : 0;
}

/**
 * test_setup() - build the fixture trees
 *
 * Return: 0, or -1 if the temporary directory cannot be made
 */
static int test_setup(void)
{
	int err = 0;

	snprintf(test_dir, sizeof(test_dir), "/tmp/vstack-test-tenant.XXXXXX");
	if (!mkdtemp(test_dir))
		return -1;

	/* v2 */
	err |= test_write("v2/cgroup.controllers", "cpu io memory pids\n");
	err |= test_write("v2/a/cpu.weight", "250\n");
	err |= test_write("v2/a/b/cpu.weight", "5000\n");
	test_mkdirs("v2/nocpu");
	err |= test_write("v2/bad/cpu.weight", "lots\n");
	err |= test_write("v2/zero/cpu.weight", "0\n");
	err |= test_write("v2/tail/cpu.weight", "250\nx");
	err |= test_write("v2/space/cpu.weight", "250 \n");
	err |= test_write("v2/long/cpu.weight",
			  "00000000000000000000000000000000"
			  "000000000000000000000000000000250\n");
	err |= test_write("v2/plainfile", "x");

	/* v1 */
	err |= test_write("v1/cpu/x/cpu.shares", "2048\n");
	err |= test_write("v1/cpu,cpuacct/y/cpu.shares", "512\n");
	err |= test_write("v1/cpu/min/cpu.shares", "2\n");
	err |= test_write("v1/cpu/max/cpu.shares", "262144\n");
	test_mkdirs("v1/memory/m");

	/* hybrid */
	err |= test_write("hy/unified/cgroup.controllers", "");
	err |= test_write("hy/unified/s/cpu.weight", "300\n");
	err |= test_write("hy/cpu/s/cpu.shares", "1024\n");
	test_mkdirs("hy/unified/t");
	err |= test_write("hy/cpu/t/cpu.shares", "4096\n");
	test_mkdirs("hy/systemd/u");
	test_mkdirs("hy/unified/docker.scope");
	err |= test_write("hy/cpu/docker/c1/cpu.shares", "256\n");
	return err ? -1 : 0;
}

/**
 * test_teardown() - remove the fixture trees
 *
 * Return: 0
 */
static int test_teardown(void)
{
	char cmd[sizeof(test_dir) + 16];

	if (test_dir[0] && !strncmp(test_dir, "/tmp/vstack-test-tenant.", 24)) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", test_dir);
		if (system(cmd))
			return -1;
	}
	return 0;
}

/**
 * test_add() - add a tenant bound to a cgroup path
 * @t:		table
 * @name:	name
 * @cgroup:	path, or NULL
 * @weight:	override or 0
 * @err:	message buffer, 256 bytes
 *
 * Return: as tenant_add()
 */
static int test_add(struct tenant_table *t, const char *name,
		    const char *cgroup, uint32_t weight, char *err)
{
	struct tenant_spec spec = {
		.name = name,
		.cgroup = cgroup,
		.weight = weight,
	};

	err[0] = '\0';
	return tenant_add(t, &spec, NULL, err, 256);
}

/**
 * test_tenant_default() - "default" exists and cannot be deleted
 */
static void test_tenant_default(void)
{
	struct tenant_table *t = tenant_table_create(test_path("v2"));
	const struct tenant *tn;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	tn = tenant_get(t, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tn);
	CU_ASSERT_STRING_EQUAL(tn->name, TENANT_DEFAULT);
	CU_ASSERT_STRING_EQUAL(tn->cgroup, "");
	CU_ASSERT_EQUAL(tn->weight, TENANT_WEIGHT_DEFAULT);
	CU_ASSERT_FALSE(tn->weight_override);
	CU_ASSERT_EQUAL(tn->rate_bps, 0);
	CU_ASSERT_PTR_EQUAL(tenant_find(t, "default"), tn);
	CU_ASSERT_EQUAL(tenant_del(t, "default"), -EBUSY);
	CU_ASSERT_EQUAL(tenant_del(t, "nobody"), -ENOENT);
	CU_ASSERT_EQUAL(tenant_del(t, NULL), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(tenant_find(t, "default"));
	CU_ASSERT_PTR_NULL(tenant_get(t, 1));
	CU_ASSERT_PTR_NULL(tenant_get(t, TENANT_MAX));
	tenant_table_destroy(t);
	tenant_table_destroy(NULL);
}

/**
 * test_tenant_names() - name validation and duplicates
 */
static void test_tenant_names(void)
{
	struct tenant_table *t = tenant_table_create(test_path("v2"));
	char err[256], n31[32], n32[33];

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	memset(n31, 'a', 31);
	n31[31] = '\0';
	memset(n32, 'b', 32);
	n32[32] = '\0';

	CU_ASSERT_EQUAL(test_add(t, "", NULL, 0, err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "tenant name must be 1-31 characters of "
				    "A-Z a-z 0-9 _ . -");
	CU_ASSERT_EQUAL(test_add(t, NULL, NULL, 0, err), -EINVAL);
	CU_ASSERT_EQUAL(test_add(t, n32, NULL, 0, err), -EINVAL);
	CU_ASSERT_EQUAL(test_add(t, "a b", NULL, 0, err), -EINVAL);
	CU_ASSERT_EQUAL(test_add(t, "a/b", NULL, 0, err), -EINVAL);
	CU_ASSERT_EQUAL(test_add(t, "caf\xc3\xa9", NULL, 0, err), -EINVAL);
	CU_ASSERT_EQUAL(test_add(t, "x\n", NULL, 0, err), -EINVAL);
	CU_ASSERT_EQUAL(tenant_add(t, NULL, NULL, NULL, 0), -EINVAL);

	CU_ASSERT_EQUAL(test_add(t, n31, NULL, 0, err), 0);
	CU_ASSERT_EQUAL(test_add(t, "Ok-name_1.x", NULL, 0, err), 0);
	CU_ASSERT_EQUAL(test_add(t, "Ok-name_1.x", NULL, 0, err), -EEXIST);
	CU_ASSERT_STRING_EQUAL(err, "tenant Ok-name_1.x already exists");
	CU_ASSERT_EQUAL(test_add(t, "default", NULL, 0, err), -EEXIST);
	/* Names are case-sensitive */
	CU_ASSERT_EQUAL(test_add(t, "OK-name_1.x", NULL, 0, err), 0);
	/* No message buffer is fine */
	CU_ASSERT_EQUAL(
		tenant_add(t, &(struct tenant_spec){.name = ""}, NULL, NULL, 0),
		-EINVAL);
	tenant_table_destroy(t);
}

/**
 * test_tenant_v2() - v2 layout: paths, cpu.weight, missing files
 */
static void test_tenant_v2(void)
{
	static const char *const no_weight[] = { "nocpu", "bad",   "zero",
						 "tail",  "space", "long" };
	struct tenant_table *t = tenant_table_create(test_path("v2/"));
	const struct tenant *tn;
	char err[256], want[PATH_MAX + 64];
	size_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);

	CU_ASSERT_EQUAL(test_add(t, "a", "a", 0, err), 0);
	tn = tenant_find(t, "a");
	CU_ASSERT_PTR_NOT_NULL_FATAL(tn);
	CU_ASSERT_STRING_EQUAL(tn->cgroup, "/a");
	CU_ASSERT_EQUAL(tn->weight, 250);
	CU_ASSERT_FALSE(tn->weight_override);

	/* Absolute below the root, cgroup path, messy spellings */
	CU_ASSERT_EQUAL(test_add(t, "ab1", test_path("v2/a/b"), 0, err), 0);
	CU_ASSERT_STRING_EQUAL(tenant_find(t, "ab1")->cgroup, "/a/b");
	CU_ASSERT_EQUAL(tenant_find(t, "ab1")->weight, 5000);
	CU_ASSERT_EQUAL(test_add(t, "ab2", "/a//b/", 0, err), 0);
	CU_ASSERT_STRING_EQUAL(tenant_find(t, "ab2")->cgroup, "/a/b");
	CU_ASSERT_EQUAL(test_add(t, "ab3", "./a/./b", 0, err), 0);
	CU_ASSERT_STRING_EQUAL(tenant_find(t, "ab3")->cgroup, "/a/b");

	/* The root cgroup has no cpu.weight: default */
	CU_ASSERT_EQUAL(test_add(t, "root", "/", 0, err), 0);
	CU_ASSERT_STRING_EQUAL(tenant_find(t, "root")->cgroup, "/");
	CU_ASSERT_EQUAL(tenant_find(t, "root")->weight, TENANT_WEIGHT_DEFAULT);
	CU_ASSERT_EQUAL(test_add(t, "root2", test_path("v2"), 0, err), 0);
	CU_ASSERT_STRING_EQUAL(tenant_find(t, "root2")->cgroup, "/");

	/* No, unreadable or invalid cpu.weight: default. Invalid is anything
	 * but digits and one newline, or more than a number fills. */
	for (i = 0; i < sizeof(no_weight) / sizeof(no_weight[0]); i++) {
		CU_ASSERT_EQUAL(test_add(t, no_weight[i], no_weight[i], 0, err),
				0);
		CU_ASSERT_EQUAL(tenant_find(t, no_weight[i])->weight,
				TENANT_WEIGHT_DEFAULT);
	}

	/* Unbound tenant: default */
	CU_ASSERT_EQUAL(test_add(t, "free", NULL, 0, err), 0);
	CU_ASSERT_STRING_EQUAL(tenant_find(t, "free")->cgroup, "");
	CU_ASSERT_EQUAL(tenant_find(t, "free")->weight, TENANT_WEIGHT_DEFAULT);

	/* Missing, not a directory, escaping */
	CU_ASSERT_EQUAL(test_add(t, "m", "missing", 0, err), -ENOENT);
	snprintf(want, sizeof(want), "cgroup missing not found under %s",
		 test_path("v2"));
	CU_ASSERT_STRING_EQUAL(err, want);
	CU_ASSERT_PTR_NULL(tenant_find(t, "m"));
	CU_ASSERT_EQUAL(test_add(t, "m", "plainfile", 0, err), -ENOENT);
	CU_ASSERT_EQUAL(test_add(t, "m", "a/../../etc", 0, err), -EINVAL);
	CU_ASSERT_EQUAL(test_add(t, "m", test_path("v2/../v1"), 0, err),
			-EINVAL);
	/* An absolute path elsewhere is a cgroup path, and not found */
	CU_ASSERT_EQUAL(test_add(t, "m", "/etc", 0, err), -ENOENT);
	tenant_table_destroy(t);
}

/**
 * test_tenant_v1() - v1 layout: cpu.shares converted like systemd
 */
static void test_tenant_v1(void)
{
	struct tenant_table *t = tenant_table_create(test_path("v1"));
	char err[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(test_add(t, "x", "/x", 0, err), 0);
	CU_ASSERT_EQUAL(tenant_find(t, "x")->weight, 200);
	CU_ASSERT_EQUAL(test_add(t, "y", "y", 0, err), 0);
	CU_ASSERT_EQUAL(tenant_find(t, "y")->weight, 50);
	CU_ASSERT_EQUAL(test_add(t, "min", "min", 0, err), 0);
	CU_ASSERT_EQUAL(tenant_find(t, "min")->weight, 1);
	CU_ASSERT_EQUAL(test_add(t, "max", "max", 0, err), 0);
	CU_ASSERT_EQUAL(tenant_find(t, "max")->weight, 10000);

	/* Only in another hierarchy: exists, default weight */
	CU_ASSERT_EQUAL(test_add(t, "m", "m", 0, err), 0);
	CU_ASSERT_EQUAL(tenant_find(t, "m")->weight, TENANT_WEIGHT_DEFAULT);
	/* A file system path names the hierarchy, which is dropped */
	CU_ASSERT_EQUAL(test_add(t, "x2", test_path("v1/cpu/x"), 0, err), 0);
	CU_ASSERT_STRING_EQUAL(tenant_find(t, "x2")->cgroup, "/x");
	CU_ASSERT_EQUAL(tenant_find(t, "x2")->weight, 200);
	CU_ASSERT_EQUAL(test_add(t, "mm", test_path("v1/memory/m"), 0, err), 0);
	CU_ASSERT_STRING_EQUAL(tenant_find(t, "mm")->cgroup, "/m");
	CU_ASSERT_EQUAL(test_add(t, "no", "nothere", 0, err), -ENOENT);

	CU_ASSERT_EQUAL(cgroup_shares_to_weight(1024), 100);
	CU_ASSERT_EQUAL(cgroup_shares_to_weight(0), 1);
	CU_ASSERT_EQUAL(cgroup_shares_to_weight(UINT64_MAX), 10000);
	tenant_table_destroy(t);
}

/**
 * test_tenant_hybrid() - hybrid layout: unified/ first, then v1 cpu
 */
static void test_tenant_hybrid(void)
{
	struct tenant_table *t = tenant_table_create(test_path("hy"));
	uint32_t w = 0;
	char err[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(test_add(t, "s", "s", 0, err), 0);
	CU_ASSERT_EQUAL(tenant_find(t, "s")->weight, 300);
	CU_ASSERT_EQUAL(test_add(t, "t", "t", 0, err), 0);
	CU_ASSERT_EQUAL(tenant_find(t, "t")->weight, 400);
	CU_ASSERT_EQUAL(test_add(t, "u", "u", 0, err), 0);
	CU_ASSERT_EQUAL(tenant_find(t, "u")->weight, TENANT_WEIGHT_DEFAULT);
	CU_ASSERT_EQUAL(test_add(t, "s2", test_path("hy/unified/s"), 0, err),
			0);
	CU_ASSERT_STRING_EQUAL(tenant_find(t, "s2")->cgroup, "/s");
	CU_ASSERT_EQUAL(test_add(t, "root", test_path("hy/unified"), 0, err),
			0);
	CU_ASSERT_STRING_EQUAL(tenant_find(t, "root")->cgroup, "/");

	/* v2 and v1 cpu paths apart (a runtime using cgroupfs) */
	CU_ASSERT_EQUAL(cgroup_read_weight_split(test_path("hy"),
						 "/docker.scope", "/docker/c1",
						 &w),
			0);
	CU_ASSERT_EQUAL(w, 25);
	CU_ASSERT_EQUAL(
		cgroup_read_weight(test_path("hy"), "/docker.scope", &w),
		-ENOENT);
	tenant_table_destroy(t);
}

/**
 * test_tenant_weights() - explicit weights and their range
 */
static void test_tenant_weights(void)
{
	struct tenant_table *t = tenant_table_create(test_path("v2"));
	char err[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(test_add(t, "w1", "a", 7, err), 0);
	CU_ASSERT_EQUAL(tenant_find(t, "w1")->weight, 7);
	CU_ASSERT_TRUE(tenant_find(t, "w1")->weight_override);
	CU_ASSERT_EQUAL(test_add(t, "w2", NULL, 1, err), 0);
	CU_ASSERT_EQUAL(tenant_find(t, "w2")->weight, 1);
	CU_ASSERT_EQUAL(test_add(t, "w3", NULL, 10000, err), 0);
	CU_ASSERT_EQUAL(tenant_find(t, "w3")->weight, 10000);
	CU_ASSERT_EQUAL(test_add(t, "w4", NULL, 10001, err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err,
			       "tenant w4: weight must be 1-10000 (got 10001)");
	CU_ASSERT_EQUAL(test_add(t, "w5", NULL, UINT32_MAX, err), -EINVAL);
	CU_ASSERT_PTR_NULL(tenant_find(t, "w4"));
	tenant_table_destroy(t);
}

/**
 * test_tenant_pid() - --pid: the test's own process, real /proc
 */
static void test_tenant_pid(void)
{
	struct tenant_spec spec = {.name = "self", .pid = getpid()};
	char err[256], path[TENANT_CGROUP_MAX], cpu[TENANT_CGROUP_MAX];
	struct tenant_table *t = tenant_table_create(NULL);
	const struct tenant *tn;
	uint32_t id = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(
		cgroup_of_pid(getpid(), path, sizeof(path), cpu, sizeof(cpu)),
		0);
	CU_ASSERT_EQUAL(path[0], '/');

	CU_ASSERT_EQUAL(tenant_add(t, &spec, &id, err, sizeof(err)), 0);
	tn = tenant_get(t, id);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tn);
	CU_ASSERT_STRING_EQUAL(tn->name, "self");
	CU_ASSERT_STRING_EQUAL(tn->cgroup, path);
	CU_ASSERT(tn->weight >= 1 && tn->weight <= 10000);
	fprintf(stderr, "(cgroup %s cpu %s weight %u) ", tn->cgroup,
		cpu[0] ? cpu : "-", tn->weight);

	/* The host's own root cgroup, by path */
	CU_ASSERT_EQUAL(test_add(t, "hostroot", "/", 0, err), 0);

	spec.name = "gone";
	spec.pid = 0x3fffffff;
	CU_ASSERT_EQUAL(tenant_add(t, &spec, NULL, err, sizeof(err)), -ESRCH);
	spec.pid = -1;
	CU_ASSERT_EQUAL(tenant_add(t, &spec, NULL, err, sizeof(err)), -EINVAL);
	spec.pid = getpid();
	spec.cgroup = "/";
	CU_ASSERT_EQUAL(tenant_add(t, &spec, NULL, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "tenant gone: give a cgroup or a pid, "
				    "not both");
	CU_ASSERT_EQUAL(cgroup_of_pid(0, path, sizeof(path), NULL, 0), -EINVAL);
	tenant_table_destroy(t);
}

/**
 * test_tenant_parse() - /proc/PID/cgroup texts of each layout
 */
static void test_tenant_parse(void)
{
	char p[64], c[64];

	/* outside the reader's cgroup namespace, as the kernel shows it */
	CU_ASSERT(cgroup_has_dotdot("/../../system.slice/x"));
	CU_ASSERT(cgroup_has_dotdot("/a/.."));
	CU_ASSERT(!cgroup_has_dotdot("/"));
	CU_ASSERT(!cgroup_has_dotdot("/a/..b/b../.c"));

	CU_ASSERT_EQUAL(cgroup_parse_proc("0::/user.slice/a.scope\n", p,
					  sizeof(p), c, sizeof(c)),
			0);
	CU_ASSERT_STRING_EQUAL(p, "/user.slice/a.scope");
	CU_ASSERT_STRING_EQUAL(c, "");

	CU_ASSERT_EQUAL(cgroup_parse_proc("12:cpuset:/x\n"
					  "5:cpuacct:/y\n"
					  "4:cpu,cpuacct:/docker/c1\n"
					  "1:name=systemd:/system.slice/d\n"
					  "0::/system.slice/d\n",
					  p, sizeof(p), c, sizeof(c)),
			0);
	CU_ASSERT_STRING_EQUAL(p, "/system.slice/d");
	CU_ASSERT_STRING_EQUAL(c, "/docker/c1");

	/* v1 only: the cpu controller's path */
	CU_ASSERT_EQUAL(cgroup_parse_proc("3:cpuset:/x\n2:cpuacct,cpu:/q\n", p,
					  sizeof(p), NULL, 0),
			0);
	CU_ASSERT_STRING_EQUAL(p, "/q");

	/* Removed cgroup, no trailing newline */
	CU_ASSERT_EQUAL(cgroup_parse_proc("0::/old (deleted)", p, sizeof(p), c,
					  sizeof(c)),
			0);
	CU_ASSERT_STRING_EQUAL(p, "/old");

	/* Nothing usable, malformed, too long */
	CU_ASSERT_EQUAL(cgroup_parse_proc("3:cpuset:/x\n2:cpuacct:/y\n", p,
					  sizeof(p), c, sizeof(c)),
			-ENOENT);
	CU_ASSERT_EQUAL(cgroup_parse_proc("garbage\n::\n0:\n", p, sizeof(p), c,
					  sizeof(c)),
			-ENOENT);
	CU_ASSERT_EQUAL(cgroup_parse_proc("", p, sizeof(p), c, sizeof(c)),
			-ENOENT);
	CU_ASSERT_EQUAL(cgroup_parse_proc("0::/0123456789", p, 8, c, sizeof(c)),
			-ENAMETOOLONG);
}

/**
 * test_tenant_set() - change weight, rate and binding
 */
static void test_tenant_set(void)
{
	struct tenant_table *t = tenant_table_create(test_path("v2"));
	struct tenant_spec spec = {.name = "a", .cgroup = "a"};
	const struct tenant *tn;
	char err[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(tenant_add(t, &spec, NULL, err, sizeof(err)), 0);
	tn = tenant_find(t, "a");
	CU_ASSERT_PTR_NOT_NULL_FATAL(tn);

	/* Weight and rate, binding kept (no cgroup, no pid) */
	spec = (struct tenant_spec){
		.name = "a", .weight = 9, .rate_bps = 1000000};
	CU_ASSERT_EQUAL(tenant_set(t, &spec, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(tn->weight, 9);
	CU_ASSERT_TRUE(tn->weight_override);
	CU_ASSERT_EQUAL(tn->rate_bps, 1000000);
	CU_ASSERT_STRING_EQUAL(tn->cgroup, "/a");

	/* Back to the cgroup's weight */
	spec.weight = 0;
	CU_ASSERT_EQUAL(tenant_set(t, &spec, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(tn->weight, 250);
	CU_ASSERT_FALSE(tn->weight_override);

	/* Rebind */
	spec.cgroup = "a/b";
	CU_ASSERT_EQUAL(tenant_set(t, &spec, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(tn->cgroup, "/a/b");
	CU_ASSERT_EQUAL(tn->weight, 5000);

	/* Failure changes nothing */
	spec.cgroup = "missing";
	spec.rate_bps = 5;
	CU_ASSERT_EQUAL(tenant_set(t, &spec, err, sizeof(err)), -ENOENT);
	CU_ASSERT_STRING_EQUAL(tn->cgroup, "/a/b");
	CU_ASSERT_EQUAL(tn->rate_bps, 1000000);
	spec.cgroup = NULL;
	spec.weight = 20000;
	CU_ASSERT_EQUAL(tenant_set(t, &spec, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(tn->weight, 5000);

	/* The current path given back is kept without a new check */
	CU_ASSERT_EQUAL_FATAL(test_write("v2/tmp/cpu.weight", "60\n"), 0);
	spec = (struct tenant_spec){.name = "a", .cgroup = "tmp"};
	CU_ASSERT_EQUAL(tenant_set(t, &spec, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(tn->weight, 60);
	CU_ASSERT_EQUAL(unlink(test_path("v2/tmp/cpu.weight")), 0);
	CU_ASSERT_EQUAL(rmdir(test_path("v2/tmp")), 0);
	spec = (struct tenant_spec){
		.name = "a", .cgroup = tn->cgroup, .rate_bps = 7};
	CU_ASSERT_EQUAL(tenant_set(t, &spec, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(tn->cgroup, "/tmp");
	CU_ASSERT_EQUAL(tn->weight, TENANT_WEIGHT_DEFAULT);
	CU_ASSERT_EQUAL(tn->rate_bps, 7);

	/* Unbind */
	spec.cgroup = "";
	CU_ASSERT_EQUAL(tenant_set(t, &spec, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(tn->cgroup, "");

	/* The default tenant can be tuned; unknown tenants cannot */
	spec = (struct tenant_spec){.name = "default", .weight = 300};
	CU_ASSERT_EQUAL(tenant_set(t, &spec, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(tenant_get(t, 0)->weight, 300);
	spec.name = "nobody";
	CU_ASSERT_EQUAL(tenant_set(t, &spec, err, sizeof(err)), -ENOENT);
	CU_ASSERT_STRING_EQUAL(err, "tenant nobody not found");
	tenant_table_destroy(t);
}

/**
 * test_count_fn() - tenant_foreach() callback: check order, count
 * @tn:		tenant
 * @ctx:	long[2]: last id seen, number of calls
 */
static void test_count_fn(const struct tenant *tn, void *ctx)
{
	long *c = ctx;

	CU_ASSERT((long)tn->id > c[0]);
	c[0] = tn->id;
	c[1]++;
}

/**
 * test_tenant_table() - ids, deletion, reuse, full table, foreach
 */
static void test_tenant_table(void)
{
	struct tenant_table *t = tenant_table_create(test_path("v2"));
	struct tenant_spec spec = {0};
	uint32_t id1 = 0, id2 = 0, id3 = 0, i;
	long c[2] = {-1, 0};
	char err[256], name[32];

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	spec.name = "one";
	CU_ASSERT_EQUAL(tenant_add(t, &spec, &id1, err, sizeof(err)), 0);
	spec.name = "two";
	CU_ASSERT_EQUAL(tenant_add(t, &spec, &id2, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(id1, 1);
	CU_ASSERT_EQUAL(id2, 2);
	CU_ASSERT_EQUAL(tenant_del(t, "one"), 0);
	CU_ASSERT_EQUAL(tenant_del(t, "one"), -ENOENT);
	CU_ASSERT_PTR_NULL(tenant_get(t, id1));
	/* A deleted id is not handed out again at once */
	spec.name = "one";
	CU_ASSERT_EQUAL(tenant_add(t, &spec, &id3, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(id3, 3);
	CU_ASSERT_STRING_EQUAL(tenant_get(t, id3)->name, "one");

	tenant_foreach(t, test_count_fn, c);
	CU_ASSERT_EQUAL(c[1], 3);

	/* Fill up: TENANT_MAX tenants including "default" */
	for (i = 3; i < TENANT_MAX; i++) {
		snprintf(name, sizeof(name), "t%u", i);
		spec.name = name;
		CU_ASSERT_EQUAL(tenant_add(t, &spec, NULL, err, sizeof(err)),
				0);
	}
	spec.name = "onemore";
	CU_ASSERT_EQUAL(tenant_add(t, &spec, NULL, err, sizeof(err)), -ENOSPC);
	/* The freed id 1 is the last one left, and is found */
	CU_ASSERT_PTR_NOT_NULL(tenant_get(t, 1));
	CU_ASSERT_EQUAL(tenant_del(t, "two"), 0);
	CU_ASSERT_EQUAL(tenant_add(t, &spec, &id1, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(id1, 2);
	c[0] = -1;
	c[1] = 0;
	tenant_foreach(t, test_count_fn, c);
	CU_ASSERT_EQUAL(c[1], TENANT_MAX);
	tenant_table_destroy(t);
}

/**
 * main() - run the suite
 *
 * Return: 0 if every test passed
 */
/**
 * struct test_events - what tenant_refresh() reported
 */
struct test_events {
	unsigned changed, lost, back;
	uint32_t old_weight;
	int err;
	char last[TENANT_NAME_MAX];
};

static void test_event(const struct tenant *tn, enum tenant_event ev,
		       uint32_t old_weight, int err, void *ctx)
{
	struct test_events *e = ctx;

	snprintf(e->last, sizeof(e->last), "%s", tn->name);
	switch (ev) {
	case TENANT_WEIGHT_CHANGED:
		e->changed++;
		e->old_weight = old_weight;
		break;
	case TENANT_CGROUP_LOST:
		e->lost++;
		e->err = err;
		break;
	case TENANT_CGROUP_BACK:
		e->back++;
		break;
	}
}

/**
 * test_tenant_refresh() - weights follow the cgroups (v2 and v1 files);
 *			   a cgroup that goes away is reported once and the
 *			   tenant keeps its last weight; an override stays
 */
static void test_tenant_refresh(void)
{
	struct tenant_table *t = tenant_table_create(test_path("rf/"));
	struct tenant_table *t1 = tenant_table_create(test_path("rf1/"));
	struct test_events e = { 0 };
	char err[256];
	unsigned i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t1);
	CU_ASSERT_EQUAL(test_write("rf/cgroup.controllers", "cpu\n"), 0);
	CU_ASSERT_EQUAL(test_write("rf/g/cpu.weight", "100\n"), 0);
	CU_ASSERT_EQUAL(test_write("rf1/cpu/h/cpu.shares", "1024\n"), 0);
	CU_ASSERT_EQUAL(test_add(t, "g", "g", 0, err), 0);
	CU_ASSERT_EQUAL(test_add(t, "pinned", "g", 700, err), 0);
	CU_ASSERT_EQUAL(test_add(t, "free", NULL, 0, err), 0);
	CU_ASSERT_EQUAL(test_add(t1, "h", "h", 0, err), 0);
	CU_ASSERT_EQUAL(tenant_find(t, "g")->weight, 100);
	CU_ASSERT_EQUAL(tenant_find(t1, "h")->weight, 100);

	/* Nothing changed: nothing reported */
	CU_ASSERT_EQUAL(tenant_refresh(t, test_event, &e), 0);
	CU_ASSERT_EQUAL(e.changed + e.lost + e.back, 0);

	/* v2 weight and v1 shares change */
	CU_ASSERT_EQUAL(test_write("rf/g/cpu.weight", "300\n"), 0);
	CU_ASSERT_EQUAL(test_write("rf1/cpu/h/cpu.shares", "512\n"), 0);
	CU_ASSERT_EQUAL(tenant_refresh(t, test_event, &e), 1);
	CU_ASSERT_EQUAL(e.changed, 1);
	CU_ASSERT_EQUAL(e.old_weight, 100);
	CU_ASSERT_STRING_EQUAL(e.last, "g");
	CU_ASSERT_EQUAL(tenant_find(t, "g")->weight, 300);
	CU_ASSERT_EQUAL(tenant_find(t, "pinned")->weight, 700);
	CU_ASSERT_EQUAL(tenant_refresh(t1, NULL, NULL), 1);
	CU_ASSERT_EQUAL(tenant_find(t1, "h")->weight, 50);

	/* Unreadable (malformed) weight: lost once, weight kept */
	CU_ASSERT_EQUAL(test_write("rf/g/cpu.weight", "many\n"), 0);
	memset(&e, 0, sizeof(e));
	for (i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(tenant_refresh(t, test_event, &e), 0);
	CU_ASSERT_EQUAL(e.lost, 2); /* g and pinned share the cgroup */
	CU_ASSERT_EQUAL(e.err, -EINVAL);
	CU_ASSERT_EQUAL(tenant_find(t, "g")->weight, 300);
	CU_ASSERT_TRUE(tenant_find(t, "g")->cgroup_lost);

	/* Readable again: back once, and the new weight is taken */
	CU_ASSERT_EQUAL(test_write("rf/g/cpu.weight", "400\n"), 0);
	CU_ASSERT_EQUAL(tenant_refresh(t, test_event, &e), 1);
	CU_ASSERT_EQUAL(tenant_refresh(t, test_event, &e), 0);
	CU_ASSERT_EQUAL(e.back, 2);
	CU_ASSERT_EQUAL(tenant_find(t, "g")->weight, 400);
	CU_ASSERT_FALSE(tenant_find(t, "g")->cgroup_lost);

	/* The cgroup disappears: reported once, -ENOENT, weight kept */
	CU_ASSERT_EQUAL(unlink(test_path("rf/g/cpu.weight")), 0);
	CU_ASSERT_EQUAL(rmdir(test_path("rf/g")), 0);
	memset(&e, 0, sizeof(e));
	for (i = 0; i < 5; i++)
		tenant_refresh(t, test_event, &e);
	CU_ASSERT_EQUAL(e.lost, 2);
	CU_ASSERT_EQUAL(e.err, -ENOENT);
	CU_ASSERT_EQUAL(e.changed, 0);
	CU_ASSERT_EQUAL(tenant_find(t, "g")->weight, 400);
	CU_ASSERT_EQUAL(tenant_find(t, "pinned")->weight, 700);

	/* Rebinding (tenant_set with another cgroup) clears the state */
	CU_ASSERT_EQUAL(test_write("rf/k/cpu.weight", "20\n"), 0);
	{
		struct tenant_spec spec = { .name = "g", .cgroup = "k" };

		CU_ASSERT_EQUAL(tenant_set(t, &spec, err, sizeof(err)), 0);
	}
	CU_ASSERT_FALSE(tenant_find(t, "g")->cgroup_lost);
	CU_ASSERT_EQUAL(tenant_find(t, "g")->weight, 20);
	tenant_table_destroy(t);
	tenant_table_destroy(t1);
}

/* The watch descriptor turns readable within a second, and its events
 * call for a refresh. */
static bool test_watch_wait(struct tenant_table *t)
{
	struct pollfd p = { .fd = tenant_watch_fd(t), .events = POLLIN };

	if (p.fd < 0 || poll(&p, 1, 1000) != 1)
		return false;
	return tenant_watch_read(t);
}

/* There is a watch descriptor, and nothing that calls for a refresh
 * arrives on it within 100 ms. */
static bool test_watch_quiet(struct tenant_table *t)
{
	struct pollfd p = { .fd = tenant_watch_fd(t), .events = POLLIN };

	if (p.fd < 0)
		return false;
	if (poll(&p, 1, 100) == 0)
		return true;
	return !tenant_watch_read(t);
}

/**
 * test_tenant_watch() - bound cgroups followed through inotify: a weight
 *			 written or its file chmod'ed is an event, other
 *			 files and other cgroups are not; the cgroup
 *			 removed and made again are events, and the new
 *			 directory is watched; v1 shares on a hybrid tree;
 *			 a cgroup whose parent is missing in a hierarchy
 *			 needs the timer; no descriptor without bound
 *			 tenants
 */
static void test_tenant_watch(void)
{
	struct tenant_table *t = tenant_table_create(test_path("wt/"));
	struct tenant_table *t1 = tenant_table_create(test_path("wt1"));
	struct test_events e = { 0 };
	char err[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t1);
	CU_ASSERT_EQUAL(test_write("wt/cgroup.controllers", "cpu\n"), 0);
	CU_ASSERT_EQUAL(test_write("wt/s/g/cpu.weight", "100\n"), 0);
	test_mkdirs("wt1/unified/s");
	CU_ASSERT_EQUAL(test_write("wt1/cpu/s/h/cpu.shares", "1024\n"), 0);
	CU_ASSERT_EQUAL(test_write("wt1/cpu/d/e/cpu.shares", "1024\n"), 0);

	/* Nothing bound: nothing to watch or poll */
	CU_ASSERT_EQUAL(test_add(t, "free", NULL, 0, err), 0);
	CU_ASSERT_EQUAL(tenant_watch_fd(t), -1);
	CU_ASSERT_FALSE(tenant_needs_poll(t));
	CU_ASSERT_FALSE(tenant_watch_read(t));

	CU_ASSERT_EQUAL(test_add(t, "g", "s/g", 0, err), 0);
	CU_ASSERT_TRUE(tenant_watch_fd(t) >= 0);
	CU_ASSERT_FALSE(tenant_needs_poll(t));
	CU_ASSERT_TRUE(test_watch_quiet(t));

	/* The weight written: an event, and the refresh takes it */
	CU_ASSERT_EQUAL(test_write("wt/s/g/cpu.weight", "300\n"), 0);
	CU_ASSERT_TRUE(test_watch_wait(t));
	CU_ASSERT_EQUAL(tenant_refresh(t, test_event, &e), 1);
	CU_ASSERT_EQUAL(tenant_find(t, "g")->weight, 300);

	/* Other files of the cgroup, other cgroups beside it: noise */
	CU_ASSERT_EQUAL(test_write("wt/s/g/cgroup.procs", "1\n"), 0);
	CU_ASSERT_EQUAL(test_write("wt/s/other/cpu.weight", "9\n"), 0);
	CU_ASSERT_TRUE(test_watch_quiet(t));

	/* The weight file's mode changed (it may have become unreadable) */
	CU_ASSERT_EQUAL(chmod(test_path("wt/s/g/cpu.weight"), 0600), 0);
	CU_ASSERT_TRUE(test_watch_wait(t));

	/* The cgroup removed: an event, and the refresh finds it lost */
	CU_ASSERT_EQUAL(unlink(test_path("wt/s/g/cpu.weight")), 0);
	CU_ASSERT_EQUAL(unlink(test_path("wt/s/g/cgroup.procs")), 0);
	CU_ASSERT_EQUAL(rmdir(test_path("wt/s/g")), 0);
	CU_ASSERT_TRUE(test_watch_wait(t));
	tenant_refresh(t, test_event, &e);
	CU_ASSERT_EQUAL(e.lost, 1);
	CU_ASSERT_FALSE(tenant_needs_poll(t)); /* its parent is watched */

	/* Made again: an event on the parent, back with its weight; then
	 * the new directory is watched */
	CU_ASSERT_EQUAL(test_write("wt/s/g/cpu.weight", "700\n"), 0);
	CU_ASSERT_TRUE(test_watch_wait(t));
	tenant_refresh(t, test_event, &e);
	CU_ASSERT_EQUAL(e.back, 1);
	CU_ASSERT_EQUAL(tenant_find(t, "g")->weight, 700);
	CU_ASSERT_TRUE(test_watch_quiet(t));
	CU_ASSERT_EQUAL(test_write("wt/s/g/cpu.weight", "800\n"), 0);
	CU_ASSERT_TRUE(test_watch_wait(t));
	tenant_refresh(t, test_event, &e);
	CU_ASSERT_EQUAL(tenant_find(t, "g")->weight, 800);

	/* The last bound tenant gone: no descriptor */
	CU_ASSERT_EQUAL(tenant_del(t, "g"), 0);
	CU_ASSERT_EQUAL(tenant_watch_fd(t), -1);
	CU_ASSERT_FALSE(tenant_needs_poll(t));

	/* Hybrid: v1 cpu.shares followed */
	CU_ASSERT_EQUAL(test_add(t1, "h", "s/h", 0, err), 0);
	CU_ASSERT_FALSE(tenant_needs_poll(t1));
	CU_ASSERT_EQUAL(test_write("wt1/cpu/s/h/cpu.shares", "2048\n"), 0);
	CU_ASSERT_TRUE(test_watch_wait(t1));
	tenant_refresh(t1, NULL, NULL);
	CU_ASSERT_EQUAL(tenant_find(t1, "h")->weight, 200);

	/* unified/d is missing: d/e could appear there unseen, so the timer
	 * must follow it; not once that tenant is gone */
	CU_ASSERT_EQUAL(test_add(t1, "deep", "d/e", 0, err), 0);
	CU_ASSERT_TRUE(tenant_needs_poll(t1));
	/* A tenant added beside it leaves its watches standing */
	CU_ASSERT_EQUAL(test_write("wt1/cpu/s/h/cpu.shares", "3072\n"), 0);
	CU_ASSERT_TRUE(test_watch_wait(t1));
	tenant_refresh(t1, NULL, NULL);
	CU_ASSERT_EQUAL(tenant_find(t1, "h")->weight, 300);
	CU_ASSERT_EQUAL(tenant_del(t1, "deep"), 0);
	CU_ASSERT_FALSE(tenant_needs_poll(t1));
	CU_ASSERT_TRUE(tenant_watch_fd(t1) >= 0);

	tenant_table_destroy(t);
	tenant_table_destroy(t1);
}

/* Which tenant an application belongs to: the deepest containing cgroup. */
static void test_cgroup_contains(void)
{
	CU_ASSERT_EQUAL(cgroup_contains("/a", "/a", ""), 2);
	CU_ASSERT_EQUAL(cgroup_contains("/a", "/a/b/c", NULL), 2);
	CU_ASSERT_EQUAL(cgroup_contains("/a/", "/a/b", NULL), 2);
	CU_ASSERT_EQUAL(cgroup_contains("/a/b", "/a/b/c", ""), 4);
	CU_ASSERT_EQUAL(cgroup_contains("/a", "/ab", ""), 0);
	CU_ASSERT_EQUAL(cgroup_contains("/a/b", "/a", ""), 0);
	CU_ASSERT_EQUAL(cgroup_contains("/", "/x/y", ""), 1);
	CU_ASSERT_EQUAL(cgroup_contains("", "/x", "/x"), 0);
	CU_ASSERT_EQUAL(cgroup_contains("/a", "", ""), 0);
	/* v1 cpu hierarchy where the unified path differs (hybrid). */
	CU_ASSERT_EQUAL(cgroup_contains("/t1", "/user.slice/s", "/t1/app"),
			3);
}

int main(void)
{
	CU_pSuite suite;
	unsigned failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return CU_get_error();
	suite = CU_add_suite("tenant", test_setup, test_teardown);
	if (!suite ||
	    !CU_add_test(suite, "default tenant", test_tenant_default) ||
	    !CU_add_test(suite, "names", test_tenant_names) ||
	    !CU_add_test(suite, "v2 layout", test_tenant_v2) ||
	    !CU_add_test(suite, "v1 layout", test_tenant_v1) ||
	    !CU_add_test(suite, "hybrid layout", test_tenant_hybrid) ||
	    !CU_add_test(suite, "weights", test_tenant_weights) ||
	    !CU_add_test(suite, "pid", test_tenant_pid) ||
	    !CU_add_test(suite, "parse /proc/PID/cgroup", test_tenant_parse) ||
	    !CU_add_test(suite, "cgroup contains", test_cgroup_contains) ||
	    !CU_add_test(suite, "set", test_tenant_set) ||
	    !CU_add_test(suite, "table", test_tenant_table) ||
	    !CU_add_test(suite, "refresh", test_tenant_refresh) ||
	    !CU_add_test(suite, "watch", test_tenant_watch)) {
		CU_cleanup_registry();
		return CU_get_error() ? (int)CU_get_error() : 1;
	}

	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_tests_failed() + CU_get_number_of_failures();
	/* A suite whose set-up failed ran nothing: that is a failure too */
	failed += CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
