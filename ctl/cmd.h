/* SPDX-License-Identifier: MIT */
/*
 * cmd.h - the control commands, run on the daemon's state
 *
 * vnet knows a port's switching side (network, tenant id, queues,
 * offloads, counters); the tenant table knows the accounts. What only the
 * control plane cares about (where the device went, its MAC, MTU and
 * addresses) is kept here, in the control thread's own port table.
 */
#ifndef VSTACK_CTL_CMD_H
#define VSTACK_CTL_CMD_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "spec.h"

struct vnet;
struct tenant_table;
struct json_object;

/**
 * struct cmd_port - a port as the control plane remembers it
 * @spec:	as added, with MAC and MTU always filled in
 * @tenant_id:	its tenant
 */
struct cmd_port {
	struct spec_port spec;
	uint32_t tenant_id;
};

/**
 * struct cmd_ctx - the daemon's state, as commands see it
 * @vnet:	the switch
 * @tenants:	the tenant table
 * @ports:	control-plane port table, in the order ports were added
 * @nports:	number of @ports
 * @cap:	room in @ports
 */
struct cmd_ctx {
	struct vnet *vnet;
	struct tenant_table *tenants;
	struct cmd_port *ports;
	unsigned nports;
	unsigned cap;
};

void cmd_ctx_init(struct cmd_ctx *c, struct vnet *v, struct tenant_table *t);
void cmd_ctx_fini(struct cmd_ctx *c);

int cmd_tenant_add(struct cmd_ctx *c, const struct spec_tenant *t,
		   char *err, size_t errlen);
int cmd_tenant_set(struct cmd_ctx *c, const struct spec_tenant *t,
		   char *err, size_t errlen);
int cmd_port_add(struct cmd_ctx *c, const struct spec_port *p, char *err,
		 size_t errlen);
int cmd_port_del(struct cmd_ctx *c, const char *name, char *err,
		 size_t errlen);

void cmd_tick(struct cmd_ctx *c);

int cmd_handle(struct cmd_ctx *c, const struct proto_request *req,
	       struct json_object **result, char *err, size_t errlen);

#endif /* VSTACK_CTL_CMD_H */
