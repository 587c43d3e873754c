// SPDX-License-Identifier: MIT
/*
 * cgroup.c - cgroup resolution: process -> cgroup -> CPU weight
 *
 * A tenant's default share is the CPU weight of its cgroup, so that vstack
 * divides its workers' time the way the host's administrator already
 * divides CPU time (systemd units, container runtimes).
 *
 * Where the weight lives depends on which hierarchy has the cpu controller:
 *
 *   v2 (cgroup.controllers at the root):  ROOT/PATH/cpu.weight
 *   hybrid, cpu controller on v2:         ROOT/unified/PATH/cpu.weight
 *   hybrid or v1, cpu controller on v1:   ROOT/cpu/PATH/cpu.shares or
 *                                         ROOT/cpu,cpuacct/PATH/cpu.shares
 *
 * v1 shares become a weight with systemd's conversion (src/core/cgroup.c,
 * cgroup_cpu_shares_to_weight()): weight = shares * 100 / 1024, clamped to
 * 1..10000. It maps the v1 default (1024) to the v2 default (100), as the
 * kernel does between the two interfaces. The older OCI runtime formula,
 * 1 + (shares - 2) * 9999 / 262142, maps 1024 to 39 and was dropped by
 * runc and crun in 2025 for that reason.
 *
 * In a hybrid layout a process may sit at different paths in the v2 and
 * in the v1 cpu hierarchy (container runtimes using cgroupfs do that), so
 * both are kept: the v2 path names the tenant's cgroup, the v1 cpu path is
 * where cpu.shares is read.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"

#define CGROUP_PROC_MAX 65536
#define CGROUP_DELETED	" (deleted)"

/**
 * cgroup_copy() - copy a path into a bounded buffer
 * @dst:	destination
 * @len:	its size
 * @src:	source
 * @n:		length of @src to copy
 *
 * Return: 0, or -ENAMETOOLONG
 */
static int cgroup_copy(char *dst, size_t len, const char *src, size_t n)
{
	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

/**
 * cgroup_has_controller() - does a v1 controller list name a controller?
 * @list:	comma-separated list, not terminated at @n
 * @n:		length of @list
 * @name:	controller, e.g. "cpu" (not matching "cpuacct" or "cpuset")
 *
 * Return: true if listed
 */
static bool cgroup_has_controller(const char *list, size_t n, const char *name)
{
	size_t nl = strlen(name), i = 0;

	while (i < n) {
		size_t j = i;

		while (j < n && list[j] != ',')
			j++;
		if (j - i == nl && !memcmp(list + i, name, nl))
			return true;
		i = j + 1;
	}
	return false;
}

/**
 * cgroup_parse_proc() - find the cgroups in a /proc/PID/cgroup text
 * @text:	file contents, NUL-terminated
 * @path:	set to the v2 path ("0::/path"), or if there is none to the
 *		v1 cpu controller's path
 * @len:	size of @path
 * @cpu_path:	if not NULL, set to the v1 cpu controller's path, or ""
 * @cpu_len:	size of @cpu_path
 *
 * Return: 0, -ENOENT if neither line is present, -ENAMETOOLONG
 */
int cgroup_parse_proc(const char *text, char *path, size_t len, char *cpu_path,
		      size_t cpu_len)
{
	const char *v2 = NULL, *cpu = NULL, *line = text;
	size_t v2n = 0, cpun = 0;
	int ret;

	while (*line) {
		const char *end = strchrnul(line, '\n');
		const char *c1 = memchr(line, ':', (size_t)(end - line));
		const char *c2, *p;
		size_t pn;

		if (!c1)
			goto next;
		c2 = memchr(c1 + 1, ':', (size_t)(end - c1 - 1));
		if (!c2)
			goto next;
		p = c2 + 1;
		pn = (size_t)(end - p);
		/* A removed cgroup still shows, marked */
		if (pn >= strlen(CGROUP_DELETED) &&
		    !memcmp(p + pn - strlen(CGROUP_DELETED), CGROUP_DELETED,
			    strlen(CGROUP_DELETED)))
			pn -= strlen(CGROUP_DELETED);
		if (!pn || *p != '/')
			goto next;

		if (c1 - line == 1 && *line == '0' && c2 == c1 + 1) {
			v2 = p;
			v2n = pn;
		} else if (cgroup_has_controller(c1 + 1, (size_t)(c2 - c1 - 1),
						 "cpu")) {
			cpu = p;
			cpun = pn;
		}
	next:
		line = *end ? end + 1 : end;
	}

	if (!v2 && !cpu)
		return -ENOENT;
	ret = v2 ? cgroup_copy(path, len, v2, v2n)
		 : cgroup_copy(path, len, cpu, cpun);
	if (ret)
		return ret;
	if (cpu_path) {
		if (cpu)
			return cgroup_copy(cpu_path, cpu_len, cpu, cpun);
		if (!cpu_len)
			return -ENAMETOOLONG;
		*cpu_path = '\0';
	}
	return 0;
}

/**
 * cgroup_of_pid() - cgroups of a process, from /proc/PID/cgroup
 * @pid:	process
 * @path:	set to its v2 cgroup path, or the v1 cpu one on v1 hosts
 * @len:	size of @path
 * @cpu_path:	if not NULL, set to its v1 cpu cgroup path, or ""
 * @cpu_len:	size of @cpu_path
 *
 * Paths are relative to the reader's cgroup namespace, as the kernel
 * shows them to vstackd.
 *
 * Return: 0, -EINVAL (bad pid), -ESRCH (no such process), -ENOENT (no
 *	   usable line), or another -errno from reading the file
 */
int cgroup_of_pid(int pid, char *path, size_t len, char *cpu_path,
		  size_t cpu_len)
{
	char name[64], *buf;
	size_t n = 0;
	int fd, ret;

	if (pid <= 0)
		return -EINVAL;
	snprintf(name, sizeof(name), "/proc/%d/cgroup", pid);
	fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;

	buf = malloc(CGROUP_PROC_MAX);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, buf + n, CGROUP_PROC_MAX - 1 - n);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			ret = errno == ENOENT ? -ESRCH : -errno;
			goto out;
		}
		if (!r)
			break;
		n += (size_t)r;
		if (n == CGROUP_PROC_MAX - 1)
			break;
	}
	buf[n] = '\0';
	ret = cgroup_parse_proc(buf, path, len, cpu_path, cpu_len);
out:
	free(buf);
	close(fd);
	return ret;
}

/**
 * cgroup_is_v2() - is the root the cgroup2 mount itself?
 * @root:	cgroup root
 *
 * Return: true if @root has cgroup.controllers
 */
static bool cgroup_is_v2(const char *root)
{
	char p[PATH_MAX];

	if (snprintf(p, sizeof(p), "%s/cgroup.controllers", root) >=
	    (int)sizeof(p))
		return false;
	return !access(p, F_OK);
}

/**
 * cgroup_is_dir() - is a path a directory?
 * @p:		path
 *
 * Return: true if so
 */
static bool cgroup_is_dir(const char *p)
{
	struct stat st;

	return !stat(p, &st) && S_ISDIR(st.st_mode);
}

/**
 * cgroup_join() - build ROOT[/HIER]PATH[/FILE]
 * @buf:	output
 * @len:	its size
 * @root:	cgroup root, no trailing '/'
 * @hier:	hierarchy directory, or NULL (v2 root)
 * @path:	cgroup path, starting with '/'
 * @file:	file name, or NULL
 *
 * Return: 0, or -ENAMETOOLONG
 */
static int cgroup_join(char *buf, size_t len, const char *root,
		       const char *hier, const char *path, const char *file)
{
	int n;

	if (!strcmp(path, "/"))
		path = "";
	n = snprintf(buf, len, "%s%s%s%s%s%s", root, hier ? "/" : "",
		     hier ? hier : "", path, file ? "/" : "", file ? file : "");
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/**
 * cgroup_root_norm() - cgroup root without trailing slashes
 * @root:	as given
 * @buf:	output
 * @len:	its size
 *
 * Return: 0, or -ENAMETOOLONG
 */
static int cgroup_root_norm(const char *root, char *buf, size_t len)
{
	size_t n = strlen(root);

	while (n > 1 && root[n - 1] == '/')
		n--;
	return cgroup_copy(buf, len, root, n);
}

/**
 * cgroup_has_dotdot() - does a path have a ".." component?
 * @path:	cgroup path
 *
 * The kernel shows a process outside the reader's cgroup namespace with
 * one ("/../../system.slice/x"): a path vstackd cannot reach.
 *
 * Return: true if it has
 */
bool cgroup_has_dotdot(const char *path)
{
	while (*path) {
		const char *e = strchrnul(path, '/');

		if (e - path == 2 && path[0] == '.' && path[1] == '.')
			return true;
		path = *e ? e + 1 : e;
	}
	return false;
}

/**
 * cgroup_norm() - normalise a cgroup path: "/a/b", "/" for the root
 * @in:		path, with or without leading '/'
 * @out:	output
 * @len:	its size
 *
 * Return: 0, -EINVAL for a ".." component, -ENAMETOOLONG
 */
static int cgroup_norm(const char *in, char *out, size_t len)
{
	size_t o = 0;

	while (*in) {
		const char *e = strchrnul(in, '/');
		size_t n = (size_t)(e - in);

		if (n == 2 && in[0] == '.' && in[1] == '.')
			return -EINVAL;
		if (n && !(n == 1 && in[0] == '.')) {
			if (o + 1 + n >= len)
				return -ENAMETOOLONG;
			out[o++] = '/';
			memcpy(out + o, in, n);
			o += n;
		}
		in = *e ? e + 1 : e;
	}
	if (!o) {
		if (len < 2)
			return -ENAMETOOLONG;
		out[o++] = '/';
	}
	out[o] = '\0';
	return 0;
}

/**
 * cgroup_resolve() - turn a --cgroup argument into a cgroup path
 * @root:	cgroup root, e.g. /sys/fs/cgroup
 * @spec:	a file system path below @root (in a v1 or hybrid layout it
 *		includes the hierarchy, e.g. ROOT/unified/a), or a cgroup
 *		path ("/a/b" or "a/b")
 * @path:	set to the normalised cgroup path
 * @len:	size of @path
 *
 * The cgroup must exist: as ROOT/PATH on v2, else in some hierarchy.
 *
 * Return: 0, -ENOENT, -EINVAL (".." in the path), -ENAMETOOLONG
 */
int cgroup_resolve(const char *root, const char *spec, char *path, size_t len)
{
	char r[PATH_MAX], p[PATH_MAX];
	const char *rel = spec;
	bool v2, found = false;
	struct dirent *de;
	size_t rn;
	DIR *d;
	int ret;

	ret = cgroup_root_norm(root, r, sizeof(r));
	if (ret)
		return ret;
	v2 = cgroup_is_v2(r);
	rn = strlen(r);

	if (!strncmp(spec, r, rn) && (spec[rn] == '/' || !spec[rn]) &&
	    strcmp(r, "/")) {
		rel = spec + rn;
		if (!v2) {
			/* Skip the hierarchy: ROOT/unified/a is cgroup /a */
			while (*rel == '/')
				rel++;
			rel = strchrnul(rel, '/');
		}
	}
	ret = cgroup_norm(rel, path, len);
	if (ret)
		return ret;

	if (v2) {
		ret = cgroup_join(p, sizeof(p), r, NULL, path, NULL);
		return ret ? ret : cgroup_is_dir(p) ? 0 : -ENOENT;
	}

	d = opendir(r);
	if (!d)
		return -ENOENT;
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (cgroup_join(p, sizeof(p), r, de->d_name, path, NULL))
			continue;
		found = cgroup_is_dir(p);
	}
	closedir(d);
	return found ? 0 : -ENOENT;
}

/**
 * cgroup_shares_to_weight() - v1 cpu.shares to a v2 cpu.weight
 * @shares:	cpu.shares value
 *
 * systemd's conversion: 1024 (v1 default) is 100 (v2 default).
 *
 * Return: weight, 1..10000
 */
uint32_t cgroup_shares_to_weight(uint64_t shares)
{
	uint64_t w;

	if (shares > UINT64_MAX / 100)
		return CGROUP_WEIGHT_MAX;
	w = shares * 100 / 1024;
	if (w < CGROUP_WEIGHT_MIN)
		return CGROUP_WEIGHT_MIN;
	if (w > CGROUP_WEIGHT_MAX)
		return CGROUP_WEIGHT_MAX;
	return (uint32_t)w;
}

/**
 * cgroup_read_u64() - read a file holding one decimal number
 * @file:	path
 * @v:		set to the number
 *
 * The file holds digits and at most a newline after them, nothing else;
 * a file too long for the buffer is not one (a weight or a shares value
 * is at most 20 digits).
 *
 * Return: 0, -EINVAL if the contents are not a number, or -errno
 */
static int cgroup_read_u64(const char *file, uint64_t *v)
{
	char buf[64], *end;
	ssize_t n;
	int fd;

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	buf[n] = '\0';

	if ((size_t)n == sizeof(buf) - 1 || buf[0] < '0' || buf[0] > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoull(buf, &end, 10);
	if (errno || end + (*end == '\n') != buf + n)
		return -EINVAL;
	return 0;
}

/**
 * cgroup_try_weight() - read a cpu.weight file
 * @file:	path
 * @weight:	set to the weight
 *
 * Return: 0, -EINVAL if out of 1..10000 or not a number, or -errno
 */
static int cgroup_try_weight(const char *file, uint32_t *weight)
{
	uint64_t v;
	int ret;

	ret = cgroup_read_u64(file, &v);
	if (ret)
		return ret;
	if (v < CGROUP_WEIGHT_MIN || v > CGROUP_WEIGHT_MAX)
		return -EINVAL;
	*weight = (uint32_t)v;
	return 0;
}

/**
 * cgroup_try_shares() - read a cpu.shares file as a weight
 * @file:	path
 * @weight:	set to the converted weight
 *
 * Return: 0, -EINVAL if not a number, or -errno
 */
static int cgroup_try_shares(const char *file, uint32_t *weight)
{
	uint64_t v;
	int ret;

	ret = cgroup_read_u64(file, &v);
	if (ret)
		return ret;
	*weight = cgroup_shares_to_weight(v);
	return 0;
}

/* v1 hierarchies that may hold cpu.shares, in the order they are read */
static const char *const cgroup_v1_cpu[] = { "cpu", "cpu,cpuacct",
					     "cpuacct,cpu" };

/**
 * cgroup_weight_dirs() - the directories a cgroup's CPU weight is read from
 * @root:	cgroup root
 * @path:	cgroup path in the v2 hierarchy
 * @cpu_path:	cgroup path in the v1 cpu hierarchy (hybrid or v1 layouts)
 * @dirs:	set to the directories, in the order cgroup_read_weight_split()
 *		tries them, each with the file it holds the weight in; only
 *		hierarchies present under @root are named, the directories
 *		themselves may be missing
 * @n:		set to their number
 *
 * Return: 0, or -ENAMETOOLONG
 */
int cgroup_weight_dirs(const char *root, const char *path,
		       const char *cpu_path,
		       struct cgroup_weight_dir dirs[CGROUP_WEIGHT_DIRS],
		       unsigned *n)
{
	char r[PATH_MAX], h[PATH_MAX];
	size_t i;
	int ret;

	*n = 0;
	ret = cgroup_root_norm(root, r, sizeof(r));
	if (ret)
		return ret;
	if (cgroup_is_v2(r)) {
		ret = cgroup_join(dirs[0].path, PATH_MAX, r, NULL, path, NULL);
		dirs[0].shares = false;
		if (!ret)
			*n = 1;
		return ret;
	}
	if (!cgroup_join(h, sizeof(h), r, "unified", "/", NULL) &&
	    cgroup_is_dir(h)) {
		ret = cgroup_join(dirs[*n].path, PATH_MAX, r, "unified", path,
				  NULL);
		if (ret)
			return ret;
		dirs[(*n)++].shares = false;
	}
	for (i = 0; i < sizeof(cgroup_v1_cpu) / sizeof(cgroup_v1_cpu[0]); i++) {
		if (cgroup_join(h, sizeof(h), r, cgroup_v1_cpu[i], "/", NULL) ||
		    !cgroup_is_dir(h))
			continue;
		ret = cgroup_join(dirs[*n].path, PATH_MAX, r, cgroup_v1_cpu[i],
				  cpu_path, NULL);
		if (ret)
			return ret;
		dirs[(*n)++].shares = true;
	}
	return 0;
}

/**
 * cgroup_read_weight_split() - CPU weight, v2 and v1 cpu paths apart
 * @root:	cgroup root
 * @path:	cgroup path in the v2 hierarchy
 * @cpu_path:	cgroup path in the v1 cpu hierarchy (hybrid or v1 layouts)
 * @weight:	set to the weight, 1..10000
 *
 * Return: 0, -ENOENT if no weight file was found, or the error of the
 *	   last file that was present but unreadable or malformed
 */
int cgroup_read_weight_split(const char *root, const char *path,
			     const char *cpu_path, uint32_t *weight)
{
	struct cgroup_weight_dir dirs[CGROUP_WEIGHT_DIRS];
	char p[PATH_MAX + sizeof("/cpu.weight")];
	int ret, err = -ENOENT;
	unsigned n, i;

	ret = cgroup_weight_dirs(root, path, cpu_path, dirs, &n);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		/* path is shorter than PATH_MAX: a copy, not a format (gcc
		 * misjudges the sizes of a "%s/%s" here) */
		size_t len = strnlen(dirs[i].path, PATH_MAX - 1);

		memcpy(p, dirs[i].path, len);
		memcpy(p + len, dirs[i].shares ? "/cpu.shares" : "/cpu.weight",
		       sizeof("/cpu.weight"));
		ret = dirs[i].shares ? cgroup_try_shares(p, weight)
				     : cgroup_try_weight(p, weight);
		if (!ret)
			return 0;
		if (ret != -ENOENT)
			err = ret;
	}
	return err;
}

/**
 * cgroup_read_weight() - CPU weight of a cgroup
 * @root:	cgroup root
 * @path:	cgroup path (the same in every hierarchy)
 * @weight:	set to the weight, 1..10000
 *
 * Return: 0, -ENOENT if no weight file was found, or another -errno
 */
int cgroup_read_weight(const char *root, const char *path, uint32_t *weight)
{
	return cgroup_read_weight_split(root, path, path, weight);
}

/**
 * cgroup_contains() - how well a cgroup contains a process's cgroups
 * @cgroup:	a cgroup path, e.g. a tenant's ("" for none)
 * @path:	the process's cgroup (v2, or its named v1 hierarchy)
 * @cpu_path:	its cgroup in the v1 cpu hierarchy, or "" / NULL
 *
 * "/" contains every cgroup; "/a" contains "/a" and "/a/b", not "/ab".
 *
 * Return: the length of @cgroup (trailing '/' excluded) when it is @path or
 *	   @cpu_path or one of their ancestors, so that the deepest of
 *	   several nested cgroups scores highest; 0 when it is neither
 */
int cgroup_contains(const char *cgroup, const char *path, const char *cpu_path)
{
	const char *cand[2] = { path, cpu_path };
	size_t n = strlen(cgroup);
	unsigned i;

	if (!n)
		return 0;
	while (n > 1 && cgroup[n - 1] == '/')
		n--;
	for (i = 0; i < 2; i++) {
		const char *p = cand[i];

		if (!p || !*p || strncmp(p, cgroup, n))
			continue;
		if (n == 1 || p[n] == '\0' || p[n] == '/')
			return (int)n;
	}
	return 0;
}
