// SPDX-License-Identifier: MIT
/*
 * cmd_ep.c - the endpoint commands: endpoint.add, endpoint.del,
 *	      endpoint.list, and endpoints in stats
 *
 * Theory of operation
 *
 * An endpoint is an IPv4 address that the shared stack serves for one
 * tenant's applications on one network (stack/stack.h). The stack knows
 * what runs (its local port, worker, sockets, counters); the control plane
 * keeps, as for ports, its own table of what was asked (struct
 * cmd_endpoint) and where it came from, and records every change in the
 * state directory (endpoints/NAME.json, state.h).
 *
 * Endpoints and ports are both ports of the switch and share one name
 * space: a name is refused here if either table has it (cmd_port_add()
 * checks the endpoint table the same way).
 *
 * An endpoint has no device: nothing of it outlives vstackd. Restoring one
 * at start-up (reconcile.c) is adding it again from its record, with the
 * MAC and MTU it ran with; its TCP connections are gone (the applications
 * see them reset when vstackd goes away).
 *
 * Like every command, these run to completion on the control thread: the
 * table needs no lock, and a failed add leaves nothing behind.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_priv.h"
#include "log.h"
#include "stack.h"
#include "tenant.h"
#include "vnet.h"

_Static_assert(SPEC_IFNAME_MAX == STACK_NAME_MAX, "endpoint name size");

/**
 * cmd_ep_index() - an endpoint of the control-plane table by name
 * @c:		state
 * @name:	endpoint name
 *
 * Return: its index in @c->eps, or -1
 */
int cmd_ep_index(const struct cmd_ctx *c, const char *name)
{
	unsigned i;

	for (i = 0; i < c->neps; i++) {
		if (!strcmp(c->eps[i].spec.name, name))
			return (int)i;
	}
	return -1;
}

/**
 * cmd_tenant_eps() - number of endpoints of a tenant
 * @c:		state
 * @id:		tenant
 *
 * Return: count
 */
unsigned cmd_tenant_eps(const struct cmd_ctx *c, uint32_t id)
{
	unsigned i, n = 0;

	for (i = 0; i < c->neps; i++)
		n += c->eps[i].tenant_id == id;
	return n;
}

/**
 * cmd_ep_address_taken() - does another endpoint of its network have its
 *			    address?
 * @c:		state
 * @e:		the endpoint to add (or to change: its own entry, by name,
 *		does not count)
 * @err:	message if so
 * @errlen:	size of @err
 *
 * Two endpoints of one network with one address would both answer ARP
 * for it, and a neighbour would reach one or the other by turns.
 *
 * Return: 0, or -EADDRINUSE
 */
int cmd_ep_address_taken(const struct cmd_ctx *c, const struct spec_endpoint *e,
			 char *err, size_t errlen)
{
	unsigned i;

	for (i = 0; i < c->neps; i++) {
		const struct spec_endpoint *o = &c->eps[i].spec;

		if (strcmp(o->name, e->name) &&
		    !strcmp(o->network, e->network) &&
		    !memcmp(o->address.addr, e->address.addr, 4)) {
			snprintf(err, errlen,
				 "endpoint '%s' has address %u.%u.%u.%u in network '%s'",
				 o->name, o->address.addr[0],
				 o->address.addr[1], o->address.addr[2],
				 o->address.addr[3], o->network);
			return -EADDRINUSE;
		}
	}
	return 0;
}

/**
 * cmd_ep_room() - make room for one more endpoint in the table
 * @c:		state
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0, -ENOSPC or -ENOMEM
 */
static int cmd_ep_room(struct cmd_ctx *c, char *err, size_t errlen)
{
	/* Both are ports of the switch. */
	if (c->nports + c->neps >= VNET_MAX_PORTS) {
		snprintf(err, errlen,
			 "too many ports and endpoints (at most %u)",
			 VNET_MAX_PORTS);
		return -ENOSPC;
	}
	if (c->neps == c->epcap) {
		unsigned cap = c->epcap ? c->epcap * 2 : 16;
		struct cmd_endpoint *n = realloc(c->eps, cap * sizeof(*n));

		if (!n) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		c->eps = n;
		c->epcap = cap;
	}
	return 0;
}

/**
 * cmd_ep_record() - write an endpoint's state record
 * @c:		state
 * @ep:		endpoint
 *
 * Return: 0 or -errno (see cmd_state_rc())
 */
static int cmd_ep_record(struct cmd_ctx *c, const struct cmd_endpoint *ep)
{
	struct state_endpoint se = { .spec = ep->spec, .config = ep->config };

	return c->state ? cmd_state_rc(c, state_put_endpoint(c->state, &se))
			: 0;
}

/**
 * cmd_ep_stack_spec() - the stack's spec of an endpoint from ours
 * @e:		our spec, checked
 * @tenant:	tenant id
 * @ss:		result, pointing into @e
 */
static void cmd_ep_stack_spec(const struct spec_endpoint *e, uint32_t tenant,
			      struct stack_ep_spec *ss)
{
	memset(ss, 0, sizeof(*ss));
	ss->name = e->name;
	ss->network = e->network;
	ss->tenant = tenant;
	memcpy(&ss->addr, e->address.addr, 4);
	ss->prefix_len = (uint8_t)e->address.prefix;
	if (e->has_gateway)
		memcpy(&ss->gw, e->gateway, 4);
	ss->mtu = e->mtu ? e->mtu : SPEC_MTU_DEFAULT;
	if (e->has_mac)
		memcpy(ss->mac, e->mac, 6);
}

/**
 * cmd_ep_add() - add an endpoint to the shared stack
 * @c:		state
 * @e:		the endpoint
 * @config:	canonical text of its config section, NULL for vstackctl
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Also how an endpoint is restored from its record: it has no device to
 * find again, so it is simply added anew.
 *
 * Return: 0 or -errno; on failure nothing is left behind
 */
int cmd_ep_add(struct cmd_ctx *c, const struct spec_endpoint *e,
	       const char *config, char *err, size_t errlen)
{
	struct stack_ep_spec ss;
	struct stack_ep_info info;
	const struct tenant *tn;
	struct cmd_endpoint ep;
	int rc;

	if ((rc = spec_endpoint_check(e, err, errlen)))
		return rc;
	if (!c->stack) {
		snprintf(err, errlen,
			 "endpoint '%s': the shared stack is not running",
			 e->name);
		return -EOPNOTSUPP;
	}
	if (cmd_ep_index(c, e->name) >= 0) {
		snprintf(err, errlen, "endpoint '%s' already exists", e->name);
		return -EEXIST;
	}
	if (cmd_port_index(c, e->name) >= 0) {
		snprintf(err, errlen,
			 "a port named '%s' already exists (ports and endpoints share names)",
			 e->name);
		return -EEXIST;
	}
	if (!(tn = tenant_find(c->tenants, e->tenant))) {
		snprintf(err, errlen,
			 "tenant '%s' not found (add it first: vstackctl tenant add %s)",
			 e->tenant, e->tenant);
		return -ENOENT;
	}
	if ((rc = cmd_ep_address_taken(c, e, err, errlen)))
		return rc;
	if ((rc = cmd_ep_room(c, err, errlen)))
		return rc;

	memset(&ep, 0, sizeof(ep));
	ep.spec = *e;
	ep.tenant_id = tn->id;
	if (config && !(ep.config = strdup(config))) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	cmd_ep_stack_spec(e, tn->id, &ss);
	err[0] = '\0';
	if ((rc = stack_ep_add(c->stack, &ss, err, errlen))) {
		if (!err[0])
			snprintf(err, errlen, "cannot add endpoint '%s': %s",
				 e->name, strerror(-rc));
		free(ep.config);
		return rc;
	}
	/* Keep the MAC and MTU it runs with, so that a restart brings it
	 * back the same (neighbours' ARP caches stay right). */
	if (!stack_ep_get(c->stack, e->name, &info)) {
		memcpy(ep.spec.mac, info.mac, 6);
		ep.spec.has_mac = true;
		ep.spec.mtu = info.mtu;
	} else {
		log_warn("endpoint %s: added, but the stack does not show it",
			 e->name);
		if (!ep.spec.mtu)
			ep.spec.mtu = SPEC_MTU_DEFAULT;
	}
	if ((rc = cmd_ep_record(c, &ep))) {
		int drc = stack_ep_del(c->stack, e->name);

		if (drc)
			log_err("endpoint %s: rollback failed: %s", e->name,
				strerror(-drc));
		snprintf(err, errlen,
			 "endpoint '%s' not added: cannot write its record in %s: %s",
			 e->name, state_dir(c->state), strerror(-rc));
		free(ep.config);
		return rc;
	}
	c->eps[c->neps++] = ep;
	log_info("endpoint %s added (network %s, tenant %s)", e->name,
		 e->network, tn->name);
	return 0;
}

/**
 * cmd_ep_del() - delete an endpoint; its sockets are reset
 * @c:		state
 * @name:	endpoint name
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0, -ENOENT or -errno
 */
int cmd_ep_del(struct cmd_ctx *c, const char *name, char *err, size_t errlen)
{
	char n[SPEC_IFNAME_MAX];
	int i = cmd_ep_index(c, name), rc;

	if (i < 0) {
		snprintf(err, errlen, "endpoint '%.64s' not found", name);
		return -ENOENT;
	}
	/* The record first, as for ports: it can be written again if the
	 * stack refuses, sockets reset cannot be brought back. */
	if (c->state &&
	    (rc = cmd_state_rc(c, state_del_endpoint(c->state, name)))) {
		snprintf(err, errlen,
			 "endpoint '%.64s' not deleted: cannot remove its record in %s: %s",
			 name, state_dir(c->state), strerror(-rc));
		return rc;
	}
	/* Already gone from the stack is what we want. */
	if (c->stack && (rc = stack_ep_del(c->stack, name)) && rc != -ENOENT) {
		snprintf(err, errlen, "cannot delete endpoint '%s': %s", name,
			 strerror(-rc));
		if (cmd_ep_record(c, &c->eps[i]))
			log_err("endpoint %s: not deleted, but its record is gone (lost at restart)",
				name);
		return rc;
	}
	snprintf(n, sizeof(n), "%s", c->eps[i].spec.name);
	free(c->eps[i].config);
	memmove(&c->eps[i], &c->eps[i + 1],
		(c->neps - (unsigned)i - 1) * sizeof(c->eps[0]));
	c->neps--;
	log_info("endpoint %s deleted", n);
	return 0;
}

/**
 * cmd_ep_fini() - release the endpoint table (the endpoints themselves go
 *		   with stack_close())
 * @c:		state
 */
void cmd_ep_fini(struct cmd_ctx *c)
{
	unsigned i;

	for (i = 0; i < c->neps; i++)
		free(c->eps[i].config);
	free(c->eps);
	c->eps = NULL;
	c->neps = c->epcap = 0;
}

/**
 * cmd_ep_info() - the stack's view of an endpoint of our table
 * @c:		state
 * @ep:		endpoint
 * @info:	result, zeroed if the stack does not know it
 *
 * Return: true if the stack knows it
 */
static bool cmd_ep_info(const struct cmd_ctx *c, const struct cmd_endpoint *ep,
			struct stack_ep_info *info)
{
	memset(info, 0, sizeof(*info));
	if (c->stack && !stack_ep_get(c->stack, ep->spec.name, info))
		return true;
	log_warn("endpoint %s: not known to the stack", ep->spec.name);
	return false;
}

/**
 * cmd_ep_json() - an endpoint as JSON: our table and the stack's view
 * @c:		state
 * @ep:		endpoint
 *
 * Every field of struct stack_ep_info is there; "address" holds the
 * address and its prefix length, "gateway" is "" without one, "port" is
 * the switch's port id (-1 while the stack does not know the endpoint).
 *
 * Return: new object
 */
static struct json_object *cmd_ep_json(const struct cmd_ctx *c,
				       const struct cmd_endpoint *ep)
{
	struct json_object *o = json_object_new_object(), *stats;
	char buf[PARSE_CIDR_STRLEN], gw[INET_ADDRSTRLEN] = "";
	unsigned i;
	const struct tenant *tn = tenant_get(c->tenants, ep->tenant_id);
	struct stack_ep_info info;
	bool known = cmd_ep_info(c, ep, &info);

	cmd_jstr(o, "name", ep->spec.name);
	cmd_jstr(o, "network", ep->spec.network);
	cmd_jstr(o, "tenant", tn ? tn->name : "?");
	cmd_ju64(o, "tenant_id", ep->tenant_id);
	parse_cidr_format(&ep->spec.address, buf);
	cmd_jstr(o, "address", buf);
	if (ep->spec.has_gateway)
		inet_ntop(AF_INET, ep->spec.gateway, gw, sizeof(gw));
	cmd_jstr(o, "gateway", gw);
	parse_mac_format(known ? info.mac : ep->spec.mac, buf);
	cmd_jstr(o, "mac", buf);
	cmd_ju64(o, "mtu", known ? info.mtu : ep->spec.mtu);
	cmd_jstr(o, "state", known ? "up" : "gone");
	cmd_ji64(o, "port", known ? info.port : -1);
	cmd_ju64(o, "worker", info.worker);
	cmd_ju64(o, "tcp_conns", info.tcp_conns);
	cmd_ju64(o, "tcp_listen", info.tcp_listen);
	cmd_ju64(o, "udp_socks", info.udp_socks);
	cmd_ju64(o, "apps", info.apps);
	cmd_ju64(o, "rx_frames", info.rx_frames);
	cmd_ju64(o, "tx_frames", info.tx_frames);
	cmd_ju64(o, "drops", info.drops);
	stats = json_object_new_object();
	for (i = 0; i < info.nstats; i++)
		cmd_ju64(stats, info.stat_name[i], info.stat[i]);
	json_object_object_add(o, "stats", stats);
	return o;
}

/**
 * cmd_req_ep() - our endpoint spec from an endpoint.add request
 * @req:	request
 * @e:		result
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -EINVAL
 */
static int cmd_req_ep(const struct proto_request *req,
		      struct spec_endpoint *e, char *err, size_t errlen)
{
	static const char *const skeys[] = { "name", "network", "tenant",
					     "address", "gateway", "mac" };
	const char *s;
	uint64_t u;
	size_t i;
	int rc;

	spec_endpoint_init(e);
	for (i = 0; i < sizeof(skeys) / sizeof(skeys[0]); i++) {
		if ((s = proto_arg_str(req, skeys[i])) &&
		    (rc = spec_endpoint_set(e, skeys[i], s, err, errlen)))
			return rc;
	}
	if (!proto_arg_uint(req, "mtu", &u) &&
	    (rc = spec_endpoint_set_uint(e, "mtu", u, err, errlen)))
		return rc;
	return spec_endpoint_check(e, err, errlen);
}

/**
 * cmd_ep_handle() - run endpoint.add, endpoint.del or endpoint.list
 * @c:		state
 * @req:	request, validated against its argument table
 * @result:	add: {"endpoint":{...}}; list: {"endpoints":[...]}
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -errno
 */
int cmd_ep_handle(struct cmd_ctx *c, const struct proto_request *req,
		  struct json_object *result, char *err, size_t errlen)
{
	struct spec_endpoint e;
	struct json_object *arr;
	unsigned i;
	int rc = 0;

	switch (req->cmd) {
	case PROTO_ENDPOINT_ADD:
		if ((rc = cmd_req_ep(req, &e, err, errlen)) ||
		    (rc = cmd_ep_add(c, &e, NULL, err, errlen)))
			break;
		json_object_object_add(result, "endpoint",
				       cmd_ep_json(c, &c->eps[c->neps - 1]));
		break;
	case PROTO_ENDPOINT_DEL:
		rc = cmd_ep_del(c, proto_arg_str(req, "name"), err, errlen);
		break;
	case PROTO_ENDPOINT_LIST:
		arr = json_object_new_array();
		json_object_object_add(result, "endpoints", arr);
		for (i = 0; i < c->neps; i++)
			json_object_array_add(arr, cmd_ep_json(c, &c->eps[i]));
		break;
	default:
		snprintf(err, errlen, "unknown command");
		rc = -EOPNOTSUPP;
		break;
	}
	return rc;
}

/**
 * cmd_ep_stats() - the endpoints' frame counters, for stats
 * @c:		state
 * @only:	only this tenant's endpoints, or NULL for all
 * @none:	list none (stats of one port)
 * @result:	gets "endpoints": [{name, network, tenant, rx_frames,
 *		tx_frames, drops}]
 */
void cmd_ep_stats(const struct cmd_ctx *c, const struct tenant *only,
		  bool none, struct json_object *result)
{
	struct json_object *arr = json_object_new_array(), *o;
	struct stack_ep_info info;
	const struct tenant *tn;
	unsigned i;

	json_object_object_add(result, "endpoints", arr);
	for (i = 0; !none && i < c->neps; i++) {
		const struct cmd_endpoint *ep = &c->eps[i];

		if (only && ep->tenant_id != only->id)
			continue;
		cmd_ep_info(c, ep, &info);
		tn = tenant_get(c->tenants, ep->tenant_id);
		o = json_object_new_object();
		cmd_jstr(o, "name", ep->spec.name);
		cmd_jstr(o, "network", ep->spec.network);
		cmd_jstr(o, "tenant", tn ? tn->name : "?");
		cmd_ju64(o, "rx_frames", info.rx_frames);
		cmd_ju64(o, "tx_frames", info.tx_frames);
		cmd_ju64(o, "drops", info.drops);
		json_object_array_add(arr, o);
	}
}
