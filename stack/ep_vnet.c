// SPDX-License-Identifier: MIT
/*
 * ep_vnet.c - endpoints as local ports of the switch (vnet.h, "Local
 * ports")
 *
 * The only file of stack/ that calls vnet: stack_open() makes a stack
 * whose endpoints are attached with vnet_lport_add(). vnet calls the port's
 * ops on the owning worker, which map one to one onto the endpoint's
 * worker entry points (ep_attach/ep_input/ep_poll/ep_detach); buffers come
 * from the worker's arena and frames leave into the switch in the same
 * pass.
 */

#include <errno.h>

#include "ep.h"
#include "vnet.h"

/**
 * ep_vnet_alloc() - ep_io.alloc from the worker's arena
 * @ctx:	the local port
 * @size:	bytes
 *
 * Return: a buffer or NULL
 */
static uint8_t *ep_vnet_alloc(void *ctx, size_t size)
{
	return vnet_lport_alloc(ctx, size);
}

/**
 * ep_vnet_free() - ep_io.free
 * @ctx:	the local port
 * @buf:	buffer
 */
static void ep_vnet_free(void *ctx, uint8_t *buf)
{
	vnet_lport_free(ctx, buf);
}

/**
 * ep_vnet_emit() - ep_io.emit: into the switch from this port
 * @ctx:	the local port
 * @buf:	frame
 * @len:	bytes
 */
static void ep_vnet_emit(void *ctx, uint8_t *buf, size_t len)
{
	vnet_lport_send(ctx, buf, len);
}

/**
 * ep_vnet_charge() - ep_io.charge: a one-hop segment, to the switch's
 * accounting
 * @from:	the sender's local port
 * @to:		the receiver's
 * @bytes:	payload
 */
static void ep_vnet_charge(void *from, void *to, size_t bytes)
{
	vnet_lport_charge(from, to, bytes);
}

static const struct ep_io ep_vnet_io = {
	.alloc = ep_vnet_alloc,
	.free = ep_vnet_free,
	.emit = ep_vnet_emit,
	.charge = ep_vnet_charge,
};

/**
 * ep_vnet_attach() - vnet_lport_ops.attach
 * @ctx:	endpoint
 * @lc:		the local port on its worker
 * @now_ms:	current time
 */
static void ep_vnet_attach(void *ctx, struct vnet_lctx *lc, uint64_t now_ms)
{
	struct ep *ep = ctx;

	ep->worker = vnet_lport_worker_id(lc);
	ep_attach(ep, &ep_vnet_io, lc, now_ms);
}

/**
 * ep_vnet_input() - vnet_lport_ops.input
 * @ctx:	endpoint
 * @lc:		the local port
 * @buf:	frame (taken)
 * @len:	bytes
 * @now_ms:	current time
 */
static void ep_vnet_input(void *ctx, struct vnet_lctx *lc, uint8_t *buf,
			  size_t len, uint64_t now_ms)
{
	(void)lc;
	ep_input(ctx, buf, len, now_ms);
}

/**
 * ep_vnet_poll() - vnet_lport_ops.poll
 * @ctx:	endpoint
 * @lc:		the local port
 * @now_ms:	current time
 * @idle:	the worker is about to sleep
 * @deadline_ms: next call at the latest
 *
 * Return: true if there was work
 */
static bool ep_vnet_poll(void *ctx, struct vnet_lctx *lc, uint64_t now_ms,
			 bool idle, uint64_t *deadline_ms)
{
	(void)lc;
	return ep_poll(ctx, now_ms, idle, deadline_ms);
}

/**
 * ep_vnet_detach() - vnet_lport_ops.detach
 * @ctx:	endpoint
 * @lc:		the local port
 */
static void ep_vnet_detach(void *ctx, struct vnet_lctx *lc)
{
	(void)lc;
	ep_detach(ctx);
}

static const struct vnet_lport_ops ep_vnet_ops = {
	.attach = ep_vnet_attach,
	.input = ep_vnet_input,
	.poll = ep_vnet_poll,
	.detach = ep_vnet_detach,
};

/**
 * ep_vnet_add() - ep_host_ops.add: a local port for the endpoint
 * @host:	struct vnet
 * @ep:		endpoint
 * @err:	one line on failure
 * @errlen:	room there
 *
 * Return: 0 or what vnet_lport_add() returned
 */
static int ep_vnet_add(void *host, struct ep *ep, char *err, size_t errlen)
{
	struct vnet_lport_spec ls = {
		.name = ep->name,
		.network = ep->network,
		.tenant = ep->spec.tenant,
		.mtu = ep->spec.mtu,
		.mac = ep->spec.mac,
		/* TCP takes a tenant kernel's TSO super-frame as one large
		 * segment: no software segmentation, one input per 64 KiB */
		.offloads = TUN_F_CSUM | TUN_F_TSO4,
		.ops = &ep_vnet_ops,
		.ctx = ep,
	};
	int ret = vnet_lport_add(host, &ls, err, errlen);

	if (ret < 0)
		return ret;
	ep->port = ret;
	return 0;
}

/**
 * ep_vnet_del() - ep_host_ops.del
 * @host:	struct vnet
 * @ep:		endpoint
 */
static void ep_vnet_del(void *host, struct ep *ep)
{
	vnet_lport_del(host, ep->name);
}

/**
 * ep_vnet_kick() - ep_host_ops.kick
 * @host:	struct vnet
 * @ep:		endpoint
 */
static void ep_vnet_kick(void *host, struct ep *ep)
{
	vnet_lport_kick(host, ep->name);
}

/**
 * ep_vnet_wake_fd() - ep_host_ops.wake_fd
 * @host:	struct vnet
 * @ep:		endpoint
 *
 * Return: the eventfd or -errno
 */
static int ep_vnet_wake_fd(void *host, struct ep *ep)
{
	return vnet_lport_wake_fd(host, ep->name);
}

static const struct ep_host_ops ep_vnet_host = {
	.add = ep_vnet_add,
	.del = ep_vnet_del,
	.kick = ep_vnet_kick,
	.wake_fd = ep_vnet_wake_fd,
};

/**
 * stack_open() - the shared stack on a switch
 * @v:		the switch (endpoints become its local ports)
 * @out:	the stack
 *
 * Return: 0 or -ENOMEM
 */
int stack_open(struct vnet *v, struct stack **out)
{
	if (!v)
		return -EINVAL;
	return stack_open_host(&ep_vnet_host, v, out);
}
