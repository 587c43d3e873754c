/* SPDX-License-Identifier: MIT */
/*
 * cgroup.h - cgroup resolution: process -> cgroup -> CPU weight
 *
 * Paths handled here are cgroup paths: relative to the root of a hierarchy,
 * starting with '/' ("/" is the root cgroup), as in /proc/PID/cgroup.
 *
 * Layouts of the cgroup root (usually /sys/fs/cgroup):
 *   v2:      the root is the cgroup2 mount (it has cgroup.controllers);
 *   hybrid:  a tmpfs with v1 hierarchies (cpu/, cpu,cpuacct/, ...) and the
 *            cgroup2 mount at unified/;
 *   v1:      the same without unified/.
 */
#ifndef VSTACK_CGROUP_H
#define VSTACK_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CGROUP_WEIGHT_MIN 1
#define CGROUP_WEIGHT_MAX 10000
#define CGROUP_WEIGHT_DIRS 4 /* v2; or unified and three v1 hierarchies */

int cgroup_parse_proc(const char *text, char *path, size_t len, char *cpu_path,
		      size_t cpu_len);
int cgroup_of_pid(int pid, char *path, size_t len, char *cpu_path,
		  size_t cpu_len);
int cgroup_resolve(const char *root, const char *spec, char *path, size_t len);
bool cgroup_has_dotdot(const char *path);
int cgroup_contains(const char *cgroup, const char *path,
		    const char *cpu_path);
uint32_t cgroup_shares_to_weight(uint64_t shares);
int cgroup_read_weight_split(const char *root, const char *path,
			     const char *cpu_path, uint32_t *weight);
int cgroup_read_weight(const char *root, const char *path, uint32_t *weight);
/* A directory a CPU weight is read from, and the file holding it */
struct cgroup_weight_dir {
	char path[PATH_MAX];
	bool shares; /* v1: cpu.shares; else cpu.weight */
};
int cgroup_weight_dirs(const char *root, const char *path,
		       const char *cpu_path,
		       struct cgroup_weight_dir dirs[CGROUP_WEIGHT_DIRS],
		       unsigned *n);

#endif /* VSTACK_CGROUP_H */
