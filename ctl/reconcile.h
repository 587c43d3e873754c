/* SPDX-License-Identifier: MIT */
/*
 * reconcile.h - bring the running daemon in line with its config file and
 *		 state directory, at start-up and on reload
 */
#ifndef VSTACK_CTL_RECONCILE_H
#define VSTACK_CTL_RECONCILE_H

#include <stddef.h>

struct cmd_ctx;
struct config;
struct state_snapshot;
struct json_object;

/**
 * struct reconcile_counts - what a start-up or a reload did
 */
struct reconcile_counts {
	unsigned added, changed, removed, unchanged, restored, failed;
};

int reconcile_start(struct cmd_ctx *c, const struct config *cfg,
		    const struct state_snapshot *snap,
		    struct reconcile_counts *n, char *err, size_t errlen);
int reconcile_reload(struct cmd_ctx *c, struct reconcile_counts *n,
		     char *err, size_t errlen);

#endif /* VSTACK_CTL_RECONCILE_H */
