/* SPDX-License-Identifier: MIT */
/*
 * tenant.h - tenant accounts
 *
 * A tenant is who pays for the work and gets a share: a name bound to a
 * cgroup (given as a path, or as the cgroup of a process) whose CPU weight
 * is its default weight. Tenant 0 is "default", present from the start,
 * and takes every port or endpoint added without --tenant.
 *
 * The table is owned by the control thread.
 */
#ifndef VSTACK_TENANT_H
#define VSTACK_TENANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TENANT_MAX 1024
#define TENANT_NAME_MAX 32
#define TENANT_CGROUP_MAX 512
#define TENANT_DEFAULT "default"
#define TENANT_WEIGHT_DEFAULT 100

struct tenant {
	uint32_t id;
	char name[TENANT_NAME_MAX];
	char cgroup[TENANT_CGROUP_MAX]; /* path below the cgroup root, or "" */
	uint32_t weight;       /* in force: override or the cgroup's */
	bool weight_override;  /* set with --weight */
	uint64_t rate_bps;     /* 0: no cap */
	bool cgroup_lost;      /* its cgroup is gone or unreadable: the
				* last weight read stays in force */
};

struct tenant_spec {
	const char *name;
	const char *cgroup; /* NULL or path (absolute or below the root) */
	int pid;            /* > 0: use this process's cgroup */
	uint32_t weight;    /* 0: from the cgroup (or the default) */
	uint64_t rate_bps;
};

struct tenant_table;

struct tenant_table *tenant_table_create(const char *cgroup_root);
void tenant_table_destroy(struct tenant_table *t);
int tenant_add(struct tenant_table *t, const struct tenant_spec *spec,
	       uint32_t *id, char *err, size_t errlen);
int tenant_set_unbound_weight(struct tenant_table *t, const char *name,
			      uint32_t weight);
int tenant_set(struct tenant_table *t, const struct tenant_spec *spec,
	       char *err, size_t errlen);
int tenant_del(struct tenant_table *t, const char *name);
const struct tenant *tenant_find(const struct tenant_table *t,
				 const char *name);
const struct tenant *tenant_get(const struct tenant_table *t, uint32_t id);
typedef void (*tenant_fn)(const struct tenant *tn, void *ctx);
void tenant_foreach(const struct tenant_table *t, tenant_fn fn, void *ctx);

/* What tenant_refresh() found out about a tenant */
enum tenant_event {
	TENANT_WEIGHT_CHANGED, /* the cgroup's weight changed: in force now */
	TENANT_CGROUP_LOST,    /* cgroup gone or unreadable (once) */
	TENANT_CGROUP_BACK,    /* readable again */
};
typedef void (*tenant_event_fn)(const struct tenant *tn,
				enum tenant_event ev, uint32_t old_weight,
				int err, void *ctx);
unsigned tenant_refresh(struct tenant_table *t, tenant_event_fn fn,
			void *ctx);
int tenant_watch_fd(const struct tenant_table *t);
bool tenant_watch_read(struct tenant_table *t);
bool tenant_needs_poll(const struct tenant_table *t);

#endif /* VSTACK_TENANT_H */
