/* SPDX-License-Identifier: MIT */
/*
 * stack.h - the shared stack as the control plane sees it
 *
 * struct stack holds the endpoints. An endpoint is an IPv4 address served
 * by the shared stack for one tenant's applications on one network: a
 * local port of the switch (vnet.h, "Local ports"), owned by one worker,
 * on which the endpoint's ARP, IPv4, ICMP, UDP and TCP run in the worker's
 * pass.
 *
 * Applications reach it through the app socket: the control plane accepts
 * the connection, finds the application's tenant from its peer credentials
 * and hands the connection to stack_app_new(). From there on the app
 * protocol (stack/app_proto.h) is the stack's: the application names the
 * endpoint it wants (or gets the tenant's only one), gets a shared-memory
 * context with its sockets' buffers and queues, and talks to the worker
 * through it. When the connection closes (the application exited or
 * crashed) stack_app_free() releases everything it held: sockets are
 * reset, buffers freed.
 *
 * Every function here is for the control thread only.
 */
#ifndef VSTACK_STACK_H
#define VSTACK_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct vnet;
struct stack;
struct stack_app;

#define STACK_NAME_MAX 16 /* endpoint names, NUL included (as ports) */

int stack_open(struct vnet *v, struct stack **out);
void stack_close(struct stack *s); /* deletes every endpoint */
void stack_set_one_hop(struct stack *s, bool on);

/**
 * struct stack_ep_spec - an endpoint to add
 * @name:	1..15 characters; shares the port namespace of the switch
 * @network:	network name, NULL for "default"
 * @tenant:	tenant id whose applications it serves and who pays
 * @addr:	IPv4 address, network order
 * @prefix_len:	on-link prefix, 0..32
 * @gw:		default gateway, network order, 0 for none (must be on-link)
 * @mtu:	0 for 1500
 * @mac:	its MAC; all zero: a locally administered one derived from
 *		the name
 */
struct stack_ep_spec {
	const char *name;
	const char *network;
	uint32_t tenant;
	uint32_t addr;
	uint8_t prefix_len;
	uint32_t gw;
	unsigned mtu;
	uint8_t mac[6];
};

/**
 * struct stack_ep_info - an endpoint as `endpoint list` shows it
 * @tcp_conns:	TCP connections (not listeners) alive now
 * @tcp_listen:	listening sockets
 * @udp_socks:	UDP sockets
 * @apps:	application contexts attached
 * @rx_frames, @tx_frames: frames in and out of the endpoint
 * @drops:	frames the endpoint dropped, every reason together
 * @nstats:	named counters in @stat_name/@stat (SYN cookies, limits, TCP
 *		recovery of ended connections, ...)
 */
#define STACK_EP_STATS_MAX 64
struct stack_ep_info {
	char name[STACK_NAME_MAX];
	char network[32];
	uint32_t tenant;
	uint32_t addr;
	uint8_t prefix_len;
	uint32_t gw;
	unsigned mtu;
	uint8_t mac[6];
	int port;
	unsigned worker;
	uint64_t tcp_conns, tcp_listen, udp_socks, apps;
	uint64_t rx_frames, tx_frames, drops;
	unsigned nstats;
	const char *stat_name[STACK_EP_STATS_MAX];
	uint64_t stat[STACK_EP_STATS_MAX];
};

int stack_ep_add(struct stack *s, const struct stack_ep_spec *spec,
		 char *err, size_t errlen);
int stack_ep_del(struct stack *s, const char *name);
int stack_ep_get(struct stack *s, const char *name, struct stack_ep_info *out);
typedef void (*stack_ep_fn)(const struct stack_ep_info *ep, void *ctx);
void stack_ep_foreach(struct stack *s, stack_ep_fn fn, void *ctx);
bool stack_tenant_has_ep(struct stack *s, uint32_t tenant);

/**
 * stack_app_new() - take over an accepted app-socket connection
 * @s:		the stack
 * @fd:		the connection (SOCK_SEQPACKET, non-blocking); owned by the
 *		app from now on, closed by stack_app_free()
 * @tenant:	the tenant the control plane found for the peer
 * @pid:	the peer's pid (for messages)
 * @out:	the new application
 *
 * Return: 0, -EPERM when the tenant has no endpoint, -errno
 */
int stack_app_new(struct stack *s, int fd, uint32_t tenant, pid_t pid,
		  struct stack_app **out);

/* The connection is readable or hung up: 0 to keep it, < 0 to free it. */
int stack_app_io(struct stack_app *a);
int stack_app_fd(const struct stack_app *a);
bool stack_app_running(const struct stack_app *a);
void stack_app_free(struct stack_app *a);

#endif /* VSTACK_STACK_H */
