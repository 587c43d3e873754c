/* SPDX-License-Identifier: MIT */
/*
 * server.h - the control socket and the control thread's event loop
 */
#ifndef VSTACK_CTL_SERVER_H
#define VSTACK_CTL_SERVER_H

#include <signal.h>
#include <stddef.h>

struct cmd_ctx;
struct vnet;
struct server;
struct http;
struct appsrv;

#define SERVER_GROUP "vstack"

int server_signals_block(sigset_t *set);
int server_open(struct server **out, const char *path, char *err,
		size_t errlen);
int server_run(struct server *s, struct cmd_ctx *cmd, struct vnet *v,
	       const sigset_t *sigs);
void server_close(struct server *s);
void server_set_http(struct server *s, struct http *h);
void server_set_apps(struct server *s, struct appsrv *a);
int server_mkdir_parent(const char *path);

#endif /* VSTACK_CTL_SERVER_H */
