/* SPDX-License-Identifier: MIT */
/*
 * appsrv.h - the app socket: where applications attach to the shared stack
 *
 * The control thread accepts applications on a SOCK_SEQPACKET Unix socket
 * (default /run/vstack/app.sock), finds each one's tenant from its peer
 * credentials (the cgroup of its pid) and hands the connection to the
 * stack (stack_app_new(), stack/stack.h), which speaks the app protocol
 * from there (stack/app_proto.h). The connection stays open as long as the
 * application lives: when it closes, everything the application held in
 * the stack is released.
 *
 * The server keeps its sockets in one epoll set; the control loop polls
 * appsrv_fd() and calls appsrv_handle() when it is readable.
 */
#ifndef VSTACK_CTL_APPSRV_H
#define VSTACK_CTL_APPSRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct appsrv;
struct stack;
struct tenant_table;

#define APPSRV_MAX_APPS 4096 /* application connections at once */
/* Of them, for one peer uid other than root: one user cannot take them
 * all (the socket is open to every user). */
#define APPSRV_MAX_APPS_PER_UID 512
#define APPSRV_HELLO_MS 3000 /* from connect to hello */

int appsrv_open(struct appsrv **out, const char *path, struct stack *stack,
		struct tenant_table *tenants, char *err, size_t errlen);
int appsrv_fd(const struct appsrv *a);
void appsrv_handle(struct appsrv *a);
unsigned appsrv_count(const struct appsrv *a);
void appsrv_tick(struct appsrv *a);
bool appsrv_waiting(const struct appsrv *a);
void appsrv_close(struct appsrv *a);

#endif /* VSTACK_CTL_APPSRV_H */
