// SPDX-License-Identifier: MIT
/*
 * ep_ctl.c - endpoints as the control thread sees them (stack.h)
 *
 * The control thread owns the list of endpoints and of application
 * connections; it never touches what the worker runs (netif, TCP, the
 * application contexts) except through requests (ep_request()) and the
 * counters the worker publishes (struct ep_pub, relaxed atomics).
 * Where an endpoint runs is the host's business (struct ep_host_ops):
 * vnet's local ports in the daemon (ep_vnet.c), a thread in the tests.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ep.h"

/**
 * stack_open_host() - a stack whose endpoints run on @ops
 * @ops:	the host
 * @host:	its context
 * @out:	the stack
 *
 * Return: 0 or -ENOMEM
 */
int stack_open_host(const struct ep_host_ops *ops, void *host,
		    struct stack **out)
{
	struct stack *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->hops = ops;
	s->host = host;
	*out = s;
	return 0;
}

/**
 * stack_set_one_hop() - whether endpoints added from now on use the
 * one-hop path between them (ep_hop.c); on by default
 * @s:	stack
 * @on:	true to use it
 */
void stack_set_one_hop(struct stack *s, bool on)
{
	s->no_onehop = !on;
}

/**
 * stack_close() - delete every endpoint and free the stack
 * @s:	stack
 *
 * Applications still attached lose their endpoint (stack_ep_del()) and
 * then the stack; stack_app_free() still frees them afterwards.
 */
void stack_close(struct stack *s)
{
	if (!s)
		return;
	while (s->eps)
		stack_ep_del(s, s->eps->name);
	app_stack_gone(s);
	free(s);
}

/**
 * stack_ep_find() - an endpoint by name
 * @s:		stack
 * @name:	its name
 *
 * Return: it or NULL
 */
struct ep *stack_ep_find(struct stack *s, const char *name)
{
	struct ep *ep;

	for (ep = s->eps; ep; ep = ep->next)
		if (!strcmp(ep->name, name))
			return ep;
	return NULL;
}

/**
 * stack_ep_first() - the first endpoint of the list
 * @s:	stack
 *
 * Return: it or NULL
 */
struct ep *stack_ep_first(struct stack *s)
{
	return s->eps;
}

/**
 * stack_ep_kick() - wake the worker of @ep (requests queued)
 * @s:	stack
 * @ep:	endpoint
 */
void stack_ep_kick(struct stack *s, struct ep *ep)
{
	s->hops->kick(s->host, ep);
}

/**
 * stack_ep_wake_fd() - the eventfd that wakes @ep's worker
 * @s:	stack
 * @ep:	endpoint
 *
 * Return: the fd (not to be closed by the caller) or -errno
 */
int stack_ep_wake_fd(struct stack *s, struct ep *ep)
{
	return s->hops->wake_fd(s->host, ep);
}

/**
 * stack_ep_add() - create an endpoint and attach it to a worker
 * @s:		stack
 * @spec:	what to create
 * @err:	one line on failure
 * @errlen:	room there
 *
 * Return: 0, -EEXIST, -EINVAL, -ENOMEM, or what the host returned
 */
int stack_ep_add(struct stack *s, const struct stack_ep_spec *spec, char *err,
		 size_t errlen)
{
	struct ep *ep;
	int ret;

	if (spec->name && stack_ep_find(s, spec->name)) {
		snprintf(err, errlen, "endpoint %s exists", spec->name);
		return -EEXIST;
	}
	ret = ep_create(spec, s->max_conns, &ep, err, errlen);
	if (ret)
		return ret;
	ep->tcp.onehop = !s->no_onehop;
	ret = s->hops->add(s->host, ep, err, errlen);
	if (ret) {
		ep_destroy(ep);
		return ret;
	}
	ep->next = s->eps;
	s->eps = ep;
	return 0;
}

/**
 * stack_ep_del() - detach and free an endpoint
 * @s:		stack
 * @name:	its name
 *
 * Its connections are reset; applications attached to it lose it (their
 * sockets read ENETDOWN and their app-socket connection is shut down, so
 * that they see vstackd's side gone).
 *
 * Return: 0 or -ENOENT
 */
int stack_ep_del(struct stack *s, const char *name)
{
	struct ep **pp, *ep;

	for (pp = &s->eps; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->name, name))
			break;
	ep = *pp;
	if (!ep)
		return -ENOENT;
	s->hops->del(s->host, ep);
	app_ep_gone(s, ep);
	*pp = ep->next;
	ep_destroy(ep);
	return 0;
}

/**
 * stack_ep_info() - fill the list view of an endpoint
 * @ep:		endpoint
 * @out:	result
 */
static void stack_ep_info(struct ep *ep, struct stack_ep_info *out)
{
	const struct ep_pub *p = &ep->pub;
	unsigned i;

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", ep->name);
	snprintf(out->network, sizeof(out->network), "%s", ep->network);
	out->tenant = ep->spec.tenant;
	out->addr = ep->spec.addr;
	out->prefix_len = ep->spec.prefix_len;
	out->gw = ep->spec.gw;
	out->mtu = ep->spec.mtu;
	memcpy(out->mac, ep->spec.mac, 6);
	out->port = ep->port;
	out->worker = ep->worker;
	out->tcp_conns =
		atomic_load_explicit(&p->tcp_conns, memory_order_relaxed);
	out->tcp_listen =
		atomic_load_explicit(&p->tcp_listen, memory_order_relaxed);
	out->udp_socks =
		atomic_load_explicit(&p->udp_socks, memory_order_relaxed);
	out->apps = atomic_load_explicit(&p->apps, memory_order_relaxed);
	out->rx_frames =
		atomic_load_explicit(&p->rx_frames, memory_order_relaxed);
	out->tx_frames =
		atomic_load_explicit(&p->tx_frames, memory_order_relaxed);
	out->drops = atomic_load_explicit(&p->drops, memory_order_relaxed);
	for (i = 0; i < EP_STAT__COUNT; i++) {
		out->stat_name[i] = ep_stat_name((enum ep_stat)i);
		out->stat[i] = atomic_load_explicit(&p->stats[i],
						    memory_order_relaxed);
	}
	out->nstats = EP_STAT__COUNT;
}

/**
 * stack_ep_get() - one endpoint as `endpoint list` shows it
 * @s:		stack
 * @name:	its name
 * @out:	result
 *
 * Return: 0 or -ENOENT
 */
int stack_ep_get(struct stack *s, const char *name, struct stack_ep_info *out)
{
	struct ep *ep = stack_ep_find(s, name);

	if (!ep)
		return -ENOENT;
	stack_ep_info(ep, out);
	return 0;
}

/**
 * stack_ep_foreach() - every endpoint, newest first
 * @s:		stack
 * @fn:		called for each
 * @ctx:	its argument
 */
void stack_ep_foreach(struct stack *s, stack_ep_fn fn, void *ctx)
{
	struct stack_ep_info info;
	struct ep *ep;

	for (ep = s->eps; ep; ep = ep->next) {
		stack_ep_info(ep, &info);
		fn(&info, ctx);
	}
}

/**
 * stack_tenant_has_ep() - whether a tenant has an endpoint
 * @s:		stack
 * @tenant:	tenant id
 *
 * Return: true if one of the endpoints is the tenant's
 */
bool stack_tenant_has_ep(struct stack *s, uint32_t tenant)
{
	struct ep *ep;

	for (ep = s->eps; ep; ep = ep->next)
		if (ep->spec.tenant == tenant)
			return true;
	return false;
}
