/* SPDX-License-Identifier: MIT */
/*
 * cmd_priv.h - what the files of the command module share (cmd.c for
 *		tenants, ports and the rest, cmd_ep.c for endpoints); not for
 *		use outside them
 */
#ifndef VSTACK_CTL_CMD_PRIV_H
#define VSTACK_CTL_CMD_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "cmd.h"

struct json_object;
struct tenant;

void cmd_jstr(struct json_object *o, const char *k, const char *v);
void cmd_ju64(struct json_object *o, const char *k, uint64_t v);
void cmd_ji64(struct json_object *o, const char *k, int64_t v);

int cmd_state_rc(const struct cmd_ctx *c, int rc);
unsigned cmd_tenant_eps(const struct cmd_ctx *c, uint32_t id);
int cmd_ep_handle(struct cmd_ctx *c, const struct proto_request *req,
		  struct json_object *result, char *err, size_t errlen);
void cmd_ep_stats(const struct cmd_ctx *c, const struct tenant *only,
		  bool none, struct json_object *result);
void cmd_ep_fini(struct cmd_ctx *c);

#endif /* VSTACK_CTL_CMD_PRIV_H */
