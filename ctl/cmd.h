/* SPDX-License-Identifier: MIT */
/*
 * cmd.h - the control commands, run on the daemon's state
 *
 * vnet knows a port's switching side (network, tenant id, queues,
 * offloads, counters); the tenant table knows the accounts. What only the
 * control plane cares about (where the device went, its MAC, MTU and
 * addresses) is kept here, in the control thread's own port table.
 * Endpoints (the shared stack's, stack/stack.h) get a table of their own,
 * kept the same way (cmd_ep.c).
 */
#ifndef VSTACK_CTL_CMD_H
#define VSTACK_CTL_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "proto.h"
#include "spec.h"
#include "state.h"

struct vnet;
struct stack;
struct tenant_table;
struct json_object;

/**
 * struct cmd_port - a port as the control plane remembers it
 * @spec:	as added, with MAC and MTU always filled in
 * @tenant_id:	its tenant
 * @config:	canonical text of the config section it came from, NULL if
 *		vstackctl added it (see state.h)
 * @netns_dev:	device number of the namespace it went to (0: ours)
 * @netns_ino:	inode of that namespace
 */
struct cmd_port {
	struct spec_port spec;
	uint32_t tenant_id;
	char *config;
	uint64_t netns_dev;
	uint64_t netns_ino;
	bool reported_gone;
};

/**
 * struct cmd_endpoint - an endpoint as the control plane remembers it
 * @spec:	as added, with MAC and MTU always filled in (as the stack
 *		runs it), so that it comes back the same after a restart
 * @tenant_id:	its tenant
 * @config:	canonical text of the config section it came from, NULL if
 *		vstackctl added it (see state.h)
 */
struct cmd_endpoint {
	struct spec_endpoint spec;
	uint32_t tenant_id;
	char *config;
};

/**
 * struct cmd_tenant_unbound - a tenant restored without its missing cgroup
 * @name:	tenant
 * @cgroup:	the cgroup its record names, bound again once it is back
 */
struct cmd_tenant_unbound {
	char name[SPEC_NAME_MAX];
	char cgroup[SPEC_CGROUP_MAX];
};

/**
 * struct cmd_tenant_origin - a tenant that came from the config file
 * @name:	tenant
 * @config:	canonical text of its section
 */
struct cmd_tenant_origin {
	char name[SPEC_NAME_MAX];
	char *config;
};

#define CMD_MAX_WORKERS 64 /* VNET_MAX_WORKERS */

/**
 * struct cmd_cpu - a worker's CPU use, sampled at each control tick
 * @cpu_ns:	its CPU time at the last tick
 * @at_ns:	CLOCK_MONOTONIC of the last tick, 0 before the first
 * @pct_x100:	CPU use between the last two ticks, in 1/100 %
 * @told_nowait: the log has said that its TAP queues refuse RWF_NOWAIT
 */
struct cmd_cpu {
	uint64_t cpu_ns;
	uint64_t at_ns;
	uint64_t pct_x100;
	bool told_nowait;
};

/**
 * struct cmd_ctl_stats - the control socket's counters (kept by server.c)
 * @clients:	control connections open now
 * @requests:	requests answered
 * @throttled:	times a client's requests were held back for its budget
 */
struct cmd_ctl_stats {
	uint64_t clients;
	uint64_t requests;
	uint64_t throttled;
};

/**
 * struct cmd_ctx - the daemon's state, as commands see it
 * @vnet:	the switch
 * @stack:	the shared stack (its endpoints), NULL if not running
 * @tenants:	the tenant table
 * @ports:	control-plane port table, in the order ports were added
 * @nports:	number of @ports
 * @cap:	room in @ports
 * @eps:	control-plane endpoint table, in the order they were added
 * @neps:	number of @eps
 * @epcap:	room in @eps
 * @torigin:	tenants from the config file
 * @ntorigin:	number of @torigin
 * @unbound:	tenants waiting for their cgroup to come back
 * @nunbound:	number of @unbound
 * @state:	state directory every change is recorded in, or NULL
 * @config_path: config file for reload, or NULL
 * @daemon:	[daemon] settings in force (command line merged in)
 * @cli:	[daemon] settings given on the command line
 * @start_ns:	CLOCK_MONOTONIC at cmd_ctx_init(), for the uptime in stats
 * @cpu:	per-worker CPU use, updated by cmd_tick()
 * @ctl:	the control socket's counters
 * @restoring:	reconcile_start() is running: a record that cannot be
 *		written does not fail the change (cmd_state_rc())
 */
struct cmd_ctx {
	struct vnet *vnet;
	struct stack *stack;
	struct tenant_table *tenants;
	struct cmd_port *ports;
	unsigned nports;
	unsigned cap;
	struct cmd_endpoint *eps;
	unsigned neps;
	unsigned epcap;
	struct cmd_tenant_origin *torigin;
	unsigned ntorigin;
	struct cmd_tenant_unbound *unbound;
	unsigned nunbound;
	struct state *state;
	const char *config_path;
	struct config_daemon daemon;
	struct config_daemon cli;
	uint64_t start_ns;
	struct cmd_cpu cpu[CMD_MAX_WORKERS];
	struct cmd_ctl_stats ctl;
	bool restoring;
};

void cmd_ctx_init(struct cmd_ctx *c, struct vnet *v, struct tenant_table *t);
void cmd_ctx_fini(struct cmd_ctx *c);
void cmd_tick(struct cmd_ctx *c);
bool cmd_cgroups_need_tick(const struct cmd_ctx *c);
int cmd_cgroup_fd(const struct cmd_ctx *c);
void cmd_cgroup_events(struct cmd_ctx *c);

int cmd_tenant_add(struct cmd_ctx *c, const struct spec_tenant *t,
		   const char *config, char *err, size_t errlen);
int cmd_tenant_set(struct cmd_ctx *c, const struct spec_tenant *t,
		   const char *config, char *err, size_t errlen);
int cmd_tenant_del(struct cmd_ctx *c, const char *name, char *err,
		   size_t errlen);
int cmd_tenant_restore_unbound(struct cmd_ctx *c, const struct spec_tenant *t,
			       uint32_t weight, char *err, size_t errlen);
const char *cmd_tenant_config(const struct cmd_ctx *c, const char *name);
int cmd_tenant_origin(struct cmd_ctx *c, const char *name,
		      const char *config);
int cmd_port_can_replace(struct cmd_ctx *c, const struct spec_port *p,
			 char *err, size_t errlen);
int cmd_port_add(struct cmd_ctx *c, const struct spec_port *p,
		 const char *config, char *err, size_t errlen);
int cmd_port_restore(struct cmd_ctx *c, const struct state_port *sp,
		     char *err, size_t errlen);
int cmd_port_destroy(struct cmd_ctx *c, const struct state_port *sp,
		     char *err, size_t errlen);
int cmd_port_finish_del(struct cmd_ctx *c, const struct state_port *sp,
			char *err, size_t errlen);
int cmd_port_del(struct cmd_ctx *c, const char *name, char *err,
		 size_t errlen);
int cmd_port_index(const struct cmd_ctx *c, const char *name);
int cmd_ep_add(struct cmd_ctx *c, const struct spec_endpoint *e,
	       const char *config, char *err, size_t errlen);
int cmd_ep_del(struct cmd_ctx *c, const char *name, char *err,
	       size_t errlen);
int cmd_ep_index(const struct cmd_ctx *c, const char *name);
int cmd_ep_address_taken(const struct cmd_ctx *c, const struct spec_endpoint *e,
			 char *err, size_t errlen);


int cmd_handle(struct cmd_ctx *c, const struct proto_request *req,
	       struct json_object **result, char *err, size_t errlen);
int cmd_metrics(void *ctx, char **body, size_t *len);

#endif /* VSTACK_CTL_CMD_H */
