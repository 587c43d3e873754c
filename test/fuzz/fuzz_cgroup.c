// SPDX-License-Identifier: MIT
/*
 * fuzz_cgroup.c - libFuzzer target: what cgroups/cgroup.c reads
 *
 * A tenant's cgroup comes from text vstackd does not write: a --cgroup
 * argument or config line, /proc/PID/cgroup of a tenant's process (its
 * cgroup names are the container runtime's or the tenant's own when the
 * cgroup is delegated), and cpu.weight / cpu.shares files. The first byte
 * picks what the rest is:
 *
 *   0  a /proc/PID/cgroup text, parsed into buffers of every size the
 *      input asks: a path found is NUL-terminated inside its buffer,
 *      starts with '/', holds no newline and is a line's path in the
 *      text; a smaller buffer gives the same answer or ENAMETOOLONG
 *   1  a --cgroup argument, resolved under fixture roots (v2, and hybrid
 *      with unified/ and cpu,cpuacct/): a path accepted is normal ("/a/b",
 *      no empty, "." or ".." component, no trailing '/') and names a
 *      directory of that root, never one outside it; the directories its
 *      weight is read from (and watched) are that path under each
 *      hierarchy present that may hold one, in reading order
 *   2  three strings for cgroup_contains(), checked against the rule
 *      "the cgroup is the path or one of its ancestors"
 *   3  a cpu.weight file (v2 root) and a cpu.shares file (hybrid root):
 *      accepted exactly when it is digits and at most a newline, in
 *      range, with the value (shares converted) as read by hand
 *   4  a shares value: its weight is 1..10000 and does not fall as the
 *      shares grow
 *
 * The fixture trees live in a temporary directory made at start and
 * removed at exit; one left by a run that crashed is removed by the next.
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "fuzz_check.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fx[PATH_MAX];              /* the fixture directory */
static char v2_root[PATH_MAX], hy_root[PATH_MAX];

static void fx_path(char *out, const char *rel)
{
	snprintf(out, PATH_MAX, "%s/%s", fx, rel);
}

static void fx_mkdir(const char *rel)
{
	char p[PATH_MAX];

	fx_path(p, rel);
	CHECK(!mkdir(p, 0755));
}

static void fx_write(const char *rel, const void *buf, size_t n)
{
	char p[PATH_MAX];
	FILE *fp;

	fx_path(p, rel);
	fp = fopen(p, "w");
	CHECK(fp);
	CHECK(fwrite(buf, 1, n, fp) == n || !n);
	CHECK(!fclose(fp));
}

static int fx_rm(const char *p, const struct stat *st, int flag,
		 struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void fx_cleanup(void)
{
	if (fx[0])
		nftw(fx, fx_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * v2/        cgroup.controllers, a/, a/b/, "sp ace"/, w/cpu.weight
 * hy/        unified/x/, unified/w/cpu.weight (never written: ENOENT
 *            falls through to v1), cpu,cpuacct/y/, cpu,cpuacct/w/,
 *            cpuset/z/
 * outside/   a sibling of the roots, to try to reach
 */
/* Fixtures left by runs that crashed (abort skips atexit): their
 * directory names carry the pid of a process that is gone */
static void fx_reap(void)
{
	struct dirent *de;
	DIR *d = opendir("/tmp");
	char p[PATH_MAX];
	int pid;

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (sscanf(de->d_name, "vstack-fuzz-cgroup.%d.", &pid) != 1 ||
		    pid <= 0 || !kill(pid, 0) || errno != ESRCH)
			continue;
		snprintf(p, sizeof(p), "/tmp/%s", de->d_name);
		nftw(p, fx_rm, 16, FTW_DEPTH | FTW_PHYS);
	}
	closedir(d);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fx_reap();
	snprintf(fx, sizeof(fx), "/tmp/vstack-fuzz-cgroup.%d.XXXXXX",
		 (int)getpid());
	CHECK(mkdtemp(fx));
	atexit(fx_cleanup);
	fx_mkdir("v2");
	fx_write("v2/cgroup.controllers", "cpu io memory\n", 14);
	fx_mkdir("v2/a");
	fx_mkdir("v2/a/b");
	fx_mkdir("v2/sp ace");
	fx_mkdir("v2/w");
	fx_mkdir("hy");
	fx_mkdir("hy/unified");
	fx_mkdir("hy/unified/x");
	fx_mkdir("hy/unified/w");
	fx_mkdir("hy/cpu,cpuacct");
	fx_mkdir("hy/cpu,cpuacct/y");
	fx_mkdir("hy/cpu,cpuacct/w");
	fx_mkdir("hy/cpuset");
	fx_mkdir("hy/cpuset/z");
	fx_mkdir("outside");
	fx_path(v2_root, "v2");
	fx_path(hy_root, "hy");
	return 0;
}

/* A NUL-terminated copy of @n bytes of @data */
static char *dup_text(const uint8_t *data, size_t n)
{
	char *s = malloc(n + 1);

	CHECK(s);
	memcpy(s, data, n);
	s[n] = '\0';
	return s;
}

/* Is @p the path of some line "H:C:@p[ (deleted)]" of @text? */
static bool line_path(const char *text, const char *p)
{
	size_t n = strlen(p);
	const char *l = text;

	while (*l) {
		const char *end = strchrnul(l, '\n');
		const char *c = memchr(l, ':', (size_t)(end - l));

		c = c ? memchr(c + 1, ':', (size_t)(end - c - 1)) : NULL;
		if (c && (size_t)(end - c - 1) >= n && !memcmp(c + 1, p, n)) {
			const char *rest = c + 1 + n;

			if (rest == end || (end - rest == 10 &&
					    !memcmp(rest, " (deleted)", 10)))
				return true;
		}
		l = *end ? end + 1 : end;
	}
	return false;
}

static void check_found(const char *text, const char *p, size_t len)
{
	CHECK(memchr(p, '\0', len));
	CHECK(p[0] == '/');
	CHECK(!strchr(p, '\n'));
	CHECK(line_path(text, p));
}

static void fuzz_proc(const uint8_t *data, size_t size)
{
	char big[PATH_MAX], bigcpu[PATH_MAX], small[256], smallcpu[256];
	size_t len, cpu_len;
	char *text;
	int r, rs;

	if (size < 2)
		return;
	len = data[0] % sizeof(small);
	cpu_len = data[1] % sizeof(smallcpu);
	text = dup_text(data + 2, size - 2);

	r = cgroup_parse_proc(text, big, sizeof(big), bigcpu, sizeof(bigcpu));
	CHECK(r == 0 || r == -ENOENT || r == -ENAMETOOLONG);
	if (!r) {
		check_found(text, big, sizeof(big));
		if (bigcpu[0])
			check_found(text, bigcpu, sizeof(bigcpu));
	}
	/* Without the cpu path: the same path */
	if (!r) {
		char again[PATH_MAX];

		CHECK(!cgroup_parse_proc(text, again, sizeof(again), NULL, 0));
		CHECK(!strcmp(again, big));
	}

	memset(small, 0x5a, sizeof(small));
	memset(smallcpu, 0x5a, sizeof(smallcpu));
	rs = cgroup_parse_proc(text, small, len, smallcpu, cpu_len);
	if (r == -ENOENT)
		CHECK(rs == -ENOENT);
	if (!r) {
		bool fits = strlen(big) < len && strlen(bigcpu) < cpu_len;

		CHECK(fits ? rs == 0 : rs == -ENAMETOOLONG);
		if (!rs) {
			CHECK(!strcmp(small, big));
			CHECK(!strcmp(smallcpu, bigcpu));
		}
	}
	/* Nothing written past either buffer (both are one byte longer) */
	CHECK((unsigned char)small[len] == 0x5a);
	CHECK((unsigned char)smallcpu[cpu_len] == 0x5a);
	free(text);
}

/* Is @p a normal cgroup path: "/" or "/a/b" without empty, "." or ".."? */
static bool normal_path(const char *p)
{
	const char *c = p;

	if (p[0] != '/')
		return false;
	if (!strcmp(p, "/"))
		return true;
	while (*c) {
		const char *e;

		c++; /* the '/' */
		e = strchrnul(c, '/');
		if (e == c || (e - c == 1 && c[0] == '.') ||
		    (e - c == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c = e;
	}
	return true;
}

/* Is the directory @dir inside @root (both resolved by the kernel)? */
static bool inside(const char *root, const char *dir)
{
	char rr[PATH_MAX], rd[PATH_MAX];
	size_t n;

	if (!realpath(root, rr) || !realpath(dir, rd))
		return false;
	n = strlen(rr);
	return !strncmp(rd, rr, n) && (rd[n] == '\0' || rd[n] == '/');
}

/* cgroup_weight_dirs() for a resolved path, against its model: the path
 * under each hierarchy present that may hold a weight, in reading order */
static void check_weight_dirs(const char *root, const char *path)
{
	static const char *const model[] = { "unified", "cpu", "cpu,cpuacct",
					     "cpuacct,cpu" };
	struct cgroup_weight_dir dirs[CGROUP_WEIGHT_DIRS];
	char want[PATH_MAX * 2];
	const char *p = strcmp(path, "/") ? path : "";
	unsigned n, k = 0;
	struct stat st;
	size_t i;
	int r;

	r = cgroup_weight_dirs(root, path, path, dirs, &n);
	CHECK(r == 0 || r == -ENAMETOOLONG);
	if (r)
		return;
	CHECK(n <= CGROUP_WEIGHT_DIRS);
	if (root == v2_root) {
		snprintf(want, sizeof(want), "%s%s", root, p);
		CHECK(n == 1 && !strcmp(dirs[0].path, want) && !dirs[0].shares);
		return;
	}
	for (i = 0; i < sizeof(model) / sizeof(model[0]); i++) {
		snprintf(want, sizeof(want), "%s/%s", root, model[i]);
		if (stat(want, &st) || !S_ISDIR(st.st_mode))
			continue;
		snprintf(want, sizeof(want), "%s/%s%s", root, model[i], p);
		CHECK(k < n && !strcmp(dirs[k].path, want) &&
		      dirs[k].shares == (i > 0));
		k++;
	}
	CHECK(k == n);
}

static void fuzz_resolve(const uint8_t *data, size_t size)
{
	static const char *const hiers[] = { "unified", "cpu,cpuacct",
					     "cpuset" };
	char path[PATH_MAX], dir[PATH_MAX * 2], *spec;
	const char *root;
	struct stat st;
	bool found = false;
	size_t len, i;
	int r;

	if (size < 1)
		return;
	root = data[0] & 1 ? hy_root : v2_root;
	len = data[0] & 2 ? 8 + data[0] % 64 : sizeof(path);
	/* The fixture root in front, as an administrator may write it */
	if (data[0] & 4) {
		char *rest = dup_text(data + 1, size - 1);

		CHECK(asprintf(&spec, "%s%s", root, rest) > 0);
		free(rest);
	} else {
		spec = dup_text(data + 1, size - 1);
	}

	r = cgroup_resolve(root, spec, path, len);
	CHECK(r == 0 || r == -ENOENT || r == -EINVAL || r == -ENAMETOOLONG);
	if (!r) {
		CHECK(strlen(path) < len);
		CHECK(normal_path(path));
		if (root == v2_root) {
			snprintf(dir, sizeof(dir), "%s%s", root,
				 strcmp(path, "/") ? path : "");
			found = !stat(dir, &st) && S_ISDIR(st.st_mode) &&
				inside(root, dir);
		}
		for (i = 0; root == hy_root && !found && i < 3; i++) {
			snprintf(dir, sizeof(dir), "%s/%s%s", root, hiers[i],
				 strcmp(path, "/") ? path : "");
			found = !stat(dir, &st) && S_ISDIR(st.st_mode) &&
				inside(root, dir);
		}
		CHECK(found);
		check_weight_dirs(root, path);
	}
	free(spec);
}

/* The model of cgroup_contains(): @c (trailing '/' trimmed) is @p or one
 * of its ancestors */
static int contains_model(const char *c, const char *p)
{
	size_t n = strlen(c);

	if (!n || !p || !*p)
		return 0;
	while (n > 1 && c[n - 1] == '/')
		n--;
	if (strncmp(p, c, n))
		return 0;
	return n == 1 || p[n] == '\0' || p[n] == '/' ? (int)n : 0;
}

static void fuzz_contains(const uint8_t *data, size_t size)
{
	char *s = dup_text(data, size);
	const char *c = s, *p, *cp;
	int want, m;

	p = c + strlen(c) + (size > strlen(c));
	p = p <= s + size ? p : s + size;
	cp = p + strlen(p) + (p < s + size);
	cp = cp <= s + size ? cp : s + size;

	want = contains_model(c, p);
	m = contains_model(c, cp);
	if (m > want)
		want = m;
	CHECK(cgroup_contains(c, p, cp) == want);
	CHECK(cgroup_contains(c, p, NULL) == contains_model(c, p));
	/* The root contains every path */
	if (*p == '/')
		CHECK(cgroup_contains("/", p, NULL) == 1);
	free(s);
}

/* What a weight or shares file holds, read by hand: digits, at most one
 * newline, nothing else, fewer than 63 bytes. Return: true and @v */
static bool number_model(const uint8_t *d, size_t n, uint64_t *v)
{
	size_t i = 0;

	if (n >= 63 || !n || d[0] < '0' || d[0] > '9')
		return false;
	*v = 0;
	for (; i < n && d[i] >= '0' && d[i] <= '9'; i++) {
		if (*v > (UINT64_MAX - (d[i] - '0')) / 10)
			return false;
		*v = *v * 10 + (d[i] - '0');
	}
	return i == n || (i == n - 1 && d[i] == '\n');
}

static void fuzz_files(const uint8_t *data, size_t size)
{
	uint32_t w = 0;
	uint64_t v;
	bool ok = number_model(data, size, &v);
	int r;

	fx_write("v2/w/cpu.weight", data, size);
	r = cgroup_read_weight(v2_root, "/w", &w);
	if (ok && v >= CGROUP_WEIGHT_MIN && v <= CGROUP_WEIGHT_MAX)
		CHECK(!r && w == v);
	else
		CHECK(r == -EINVAL);

	fx_write("hy/cpu,cpuacct/w/cpu.shares", data, size);
	r = cgroup_read_weight(hy_root, "/w", &w);
	if (ok)
		CHECK(!r && w == cgroup_shares_to_weight(v));
	else
		CHECK(r == -EINVAL);
}

static void fuzz_shares(const uint8_t *data, size_t size)
{
	uint64_t s = 0;
	uint32_t w;

	memcpy(&s, data, size < sizeof(s) ? size : sizeof(s));
	w = cgroup_shares_to_weight(s);
	CHECK(w >= CGROUP_WEIGHT_MIN && w <= CGROUP_WEIGHT_MAX);
	if (s < UINT64_MAX)
		CHECK(cgroup_shares_to_weight(s + 1) >= w);
	CHECK(cgroup_shares_to_weight(1024) == 100);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void (*const modes[])(const uint8_t *, size_t) = {
		fuzz_proc, fuzz_resolve, fuzz_contains, fuzz_files, fuzz_shares,
	};

	if (size)
		modes[data[0] % (sizeof(modes) / sizeof(modes[0]))](data + 1,
								    size - 1);
	return 0;
}
