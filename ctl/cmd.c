// SPDX-License-Identifier: MIT
/*
 * cmd.c - the control commands, run on the daemon's state
 *
 * Every command runs to completion on the control thread, so the port
 * table needs no lock. A command either does all it says or nothing:
 * port.add creates the TAP through vnet, then does the netlink work, and
 * deletes the port again if any step fails, so a failed add leaves no
 * device behind anywhere.
 *
 * Results are JSON objects with stable keys; vstackctl turns them into
 * tables, scripts read them with --json.
 */
#include <errno.h>
#include <json-c/json.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "cmd_priv.h"
#include "log.h"
#include "metrics.h"
#include "netlink.h"
#include "reconcile.h"
#include "stack.h"
#include "tenant.h"
#include "vnet.h"

_Static_assert(SPEC_IFNAME_MAX == VNET_IFNAME_MAX, "interface name size");
_Static_assert(SPEC_NAME_MAX == VNET_NAME_MAX, "network name size");
_Static_assert(SPEC_NAME_MAX == TENANT_NAME_MAX, "tenant name size");
_Static_assert(SPEC_CGROUP_MAX == TENANT_CGROUP_MAX, "cgroup path size");
_Static_assert(CMD_MAX_WORKERS == VNET_MAX_WORKERS, "workers");

static const struct {
	unsigned bit;
	const char *name;
} cmd_offloads[] = {
	{ TUN_F_CSUM, "csum" },	{ TUN_F_TSO4, "tso4" }, { TUN_F_TSO6, "tso6" },
	{ TUN_F_TSO_ECN, "tso_ecn" }, { TUN_F_UFO, "ufo" },
	{ TUN_F_USO4, "uso4" },	{ TUN_F_USO6, "uso6" },
};

/**
 * cmd_now_ns() - CLOCK_MONOTONIC in nanoseconds
 *
 * Return: now
 */
static uint64_t cmd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/**
 * cmd_ctx_init() - set up the command state
 * @c:		state
 * @v:		the running switch
 * @t:		the tenant table
 */
void cmd_ctx_init(struct cmd_ctx *c, struct vnet *v, struct tenant_table *t)
{
	memset(c, 0, sizeof(*c));
	c->vnet = v;
	c->tenants = t;
	c->start_ns = cmd_now_ns();
}

/**
 * cmd_tick_worker() - vnet_worker_foreach() callback: sample one worker
 * @wi:		worker
 * @ctx:	struct cmd_ctx
 */
static void cmd_tick_worker(const struct vnet_worker_info *wi, void *ctx)
{
	struct cmd_ctx *c = ctx;
	struct cmd_cpu *cpu;
	uint64_t now = cmd_now_ns();

	if (wi->id >= CMD_MAX_WORKERS)
		return;
	cpu = &c->cpu[wi->id];
	/* A CPU clock that went backwards (a worker restarted) starts over. */
	if (cpu->at_ns && now > cpu->at_ns && wi->cpu_ns >= cpu->cpu_ns)
		cpu->pct_x100 = (wi->cpu_ns - cpu->cpu_ns) * 10000 /
				(now - cpu->at_ns);
	cpu->cpu_ns = wi->cpu_ns;
	cpu->at_ns = now;
	/* Not a fault, but a backlog is then drained one read at a time,
	 * and whoever reads the log should know which path runs. */
	if (wi->nowait_refused && !cpu->told_nowait) {
		cpu->told_nowait = true;
		log_info("worker %u: this kernel's TAP queues refuse non-blocking reads (RWF_NOWAIT, before Linux 6.4): one read in flight per queue",
			 wi->id);
	}
}

static void cmd_ports_check_gone(struct cmd_ctx *c);
static void cmd_tick_tenants(struct cmd_ctx *c);

/**
 * cmd_tick() - from the control loop's timer (twice a second): follow the
 *		tenants' cgroups, sample the workers' CPU time (stats show CPU
 *		use since the last tick) and look for ports whose device went
 *		away
 * @c:		state
 */
void cmd_tick(struct cmd_ctx *c)
{
	cmd_tick_tenants(c);
	if (!c->vnet)
		return;
	vnet_worker_foreach(c->vnet, cmd_tick_worker, c);
	cmd_ports_check_gone(c);
}

/**
 * cmd_cgroups_need_tick() - must the tick follow some tenant's cgroup
 *			     (inotify cannot)?
 * @c:		state
 *
 * Return: true if so
 */
bool cmd_cgroups_need_tick(const struct cmd_ctx *c)
{
	return c->nunbound || (c->tenants && tenant_needs_poll(c->tenants));
}

/**
 * cmd_cgroup_fd() - descriptor to poll for changes of the tenants'
 *		     cgroups; it can change after every cmd_cgroup_events()
 *		     or tenant command
 * @c:		state
 *
 * Return: the descriptor, or -1
 */
int cmd_cgroup_fd(const struct cmd_ctx *c)
{
	return c->tenants ? tenant_watch_fd(c->tenants) : -1;
}

/**
 * cmd_cgroup_events() - cmd_cgroup_fd() is readable: follow the cgroups
 * @c:		state
 */
void cmd_cgroup_events(struct cmd_ctx *c)
{
	if (c->tenants && tenant_watch_read(c->tenants))
		cmd_tick_tenants(c);
}

/**
 * cmd_ctx_fini() - release the command state (ports go with vnet_stop(),
 *		    endpoints with stack_close())
 * @c:		state
 */
void cmd_ctx_fini(struct cmd_ctx *c)
{
	unsigned i;

	cmd_ep_fini(c);
	for (i = 0; i < c->nports; i++)
		free(c->ports[i].config);
	free(c->ports);
	c->ports = NULL;
	c->nports = c->cap = 0;
	for (i = 0; i < c->ntorigin; i++)
		free(c->torigin[i].config);
	free(c->torigin);
	c->torigin = NULL;
	c->ntorigin = 0;
	free(c->unbound);
	c->unbound = NULL;
	c->nunbound = 0;
}

/**
 * cmd_port_find() - a port of the control-plane table by name
 * @c:		state
 * @name:	interface name
 *
 * Return: its index, or -1
 */
static int cmd_port_find(const struct cmd_ctx *c, const char *name)
{
	unsigned i;

	for (i = 0; i < c->nports; i++) {
		if (!strcmp(c->ports[i].spec.name, name))
			return (int)i;
	}
	return -1;
}

/**
 * cmd_port_index() - a port of the control-plane table by name
 * @c:		state
 * @name:	interface name
 *
 * Return: its index in @c->ports, or -1
 */
int cmd_port_index(const struct cmd_ctx *c, const char *name)
{
	return cmd_port_find(c, name);
}

/**
 * cmd_tenant_config() - the config section a tenant came from
 * @c:		state
 * @name:	tenant
 *
 * Return: its canonical text, or NULL if vstackctl added it
 */
const char *cmd_tenant_config(const struct cmd_ctx *c, const char *name)
{
	unsigned i;

	for (i = 0; i < c->ntorigin; i++)
		if (!strcmp(c->torigin[i].name, name))
			return c->torigin[i].config;
	return NULL;
}

static int cmd_tenant_record(struct cmd_ctx *c, const char *name,
			     const char *config);

/**
 * cmd_tenant_origin() - remember where a tenant came from
 * @c:		state
 * @name:	tenant
 * @config:	canonical text of its config section, NULL for vstackctl
 *
 * A tenant that still exists and no longer has a section gets its record
 * rewritten as vstackctl's: one that still named the section would be
 * taken for a section removed while vstackd was down at the next start,
 * and the tenant deleted with it.
 *
 * Return: 0, -ENOMEM, or -errno if its record cannot be rewritten
 */
int cmd_tenant_origin(struct cmd_ctx *c, const char *name,
		      const char *config)
{
	struct cmd_tenant_origin *o;
	unsigned i;
	char *dup;

	for (i = 0; i < c->ntorigin; i++)
		if (!strcmp(c->torigin[i].name, name))
			break;
	if (!config) {
		if (i == c->ntorigin)
			return 0;
		free(c->torigin[i].config);
		c->torigin[i] = c->torigin[--c->ntorigin];
		return cmd_tenant_record(c, name, NULL);
	}
	if (!(dup = strdup(config)))
		return -ENOMEM;
	if (i == c->ntorigin) {
		o = realloc(c->torigin, (c->ntorigin + 1) * sizeof(*o));
		if (!o) {
			free(dup);
			return -ENOMEM;
		}
		c->torigin = o;
		snprintf(o[i].name, sizeof(o[i].name), "%s", name);
		o[i].config = NULL;
		c->ntorigin++;
	}
	free(c->torigin[i].config);
	c->torigin[i].config = dup;
	return 0;
}

/**
 * cmd_state_rc() - what a failed state write or removal means for the
 *		    command that made it
 * @c:		state
 * @rc:		what state_put_*() or state_del_*() returned (they log)
 *
 * A change the state directory does not hold is lost at the next start,
 * so a command fails, and undoes its change, when its record cannot be
 * written. Not so while reconcile_start() restores: what it writes is
 * already on disk (a record) or comes back with the config file, and
 * the record in place is left as it was (writes go through a rename).
 *
 * Return: @rc, or 0 while restoring
 */
int cmd_state_rc(const struct cmd_ctx *c, int rc)
{
	return c->restoring ? 0 : rc;
}

/**
 * cmd_tenant_unbound_find() - a tenant waiting for its cgroup
 * @c:		state
 * @name:	tenant
 *
 * Return: its entry, or NULL
 */
static struct cmd_tenant_unbound *cmd_tenant_unbound_find(struct cmd_ctx *c,
							  const char *name)
{
	unsigned i;

	for (i = 0; i < c->nunbound; i++)
		if (!strcmp(c->unbound[i].name, name))
			return &c->unbound[i];
	return NULL;
}

/**
 * cmd_tenant_unbound_drop() - a tenant no longer waits for its cgroup
 * @c:		state
 * @name:	tenant
 */
static void cmd_tenant_unbound_drop(struct cmd_ctx *c, const char *name)
{
	struct cmd_tenant_unbound *ub = cmd_tenant_unbound_find(c, name);

	if (ub)
		*ub = c->unbound[--c->nunbound];
}

/**
 * cmd_tenant_record() - write a tenant's state record
 * @c:		state
 * @name:	tenant
 * @config:	canonical text of its config section, NULL for vstackctl
 *
 * The record is made from the tenant table, not from what was asked:
 * a --pid is kept as the cgroup it resolved to (the process may be gone
 * at the next start), a weight only if it overrides the cgroup's.
 *
 * Return: 0 or -errno (see cmd_state_rc())
 */
static int cmd_tenant_record(struct cmd_ctx *c, const char *name,
			     const char *config)
{
	const struct tenant *tn = tenant_find(c->tenants, name);
	const struct cmd_tenant_unbound *ub;
	struct state_tenant st;

	if (!c->state || !tn)
		return 0;
	memset(&st, 0, sizeof(st));
	spec_tenant_init(&st.spec);
	snprintf(st.spec.name, sizeof(st.spec.name), "%s", tn->name);
	if (tn->cgroup[0]) {
		snprintf(st.spec.cgroup, sizeof(st.spec.cgroup), "%s",
			 tn->cgroup);
		st.spec.has_cgroup = true;
	} else if ((ub = cmd_tenant_unbound_find(c, name))) {
		/* Still the record's cgroup, not yet back. */
		snprintf(st.spec.cgroup, sizeof(st.spec.cgroup), "%s",
			 ub->cgroup);
		st.spec.has_cgroup = true;
	}
	if (tn->weight_override) {
		st.spec.weight = tn->weight;
		st.spec.has_weight = true;
	} else if (st.spec.has_cgroup) {
		/* for a start without the cgroup: its last weight */
		st.cgroup_weight = tn->weight;
	}
	if (tn->rate_bps) {
		st.spec.rate_bps = tn->rate_bps;
		st.spec.has_rate = true;
	}
	st.config = (char *)config;
	return cmd_state_rc(c, state_put_tenant(c->state, &st));
}

/**
 * cmd_port_record() - write a port's state record
 * @c:		state
 * @p:		port
 *
 * Return: 0 or -errno (see cmd_state_rc())
 */
static int cmd_port_record(struct cmd_ctx *c, const struct cmd_port *p)
{
	struct state_port sp = { .spec = p->spec,
				 .config = p->config,
				 .netns_dev = p->netns_dev,
				 .netns_ino = p->netns_ino };

	return c->state ? cmd_state_rc(c, state_put_port(c->state, &sp)) : 0;
}

/**
 * cmd_tenant_ports() - number of ports charged to a tenant
 * @c:		state
 * @id:		tenant
 *
 * Return: count
 */
static unsigned cmd_tenant_ports(const struct cmd_ctx *c, uint32_t id)
{
	unsigned i, n = 0;

	for (i = 0; i < c->nports; i++)
		n += c->ports[i].tenant_id == id;
	return n;
}

/* JSON building. json-c returns NULL only when out of memory; adding NULL
 * then stores a JSON null, which is the most we can do about it.
 */

/**
 * cmd_jstr() - add a string member
 * @o:		object
 * @k:		key
 * @v:		value
 */
void cmd_jstr(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

/**
 * cmd_ju64() - add an unsigned integer member
 * @o:		object
 * @k:		key
 * @v:		value
 */
void cmd_ju64(struct json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

/**
 * cmd_ji64() - add a signed integer member
 * @o:		object
 * @k:		key
 * @v:		value
 */
void cmd_ji64(struct json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

/**
 * cmd_json_tenant() - a tenant as JSON
 * @c:		state
 * @tn:		tenant
 *
 * Return: new object
 */
static struct json_object *cmd_json_tenant(const struct cmd_ctx *c,
					   const struct tenant *tn)
{
	struct json_object *o = json_object_new_object();

	cmd_ju64(o, "id", tn->id);
	cmd_jstr(o, "name", tn->name);
	cmd_jstr(o, "cgroup", tn->cgroup);
	cmd_ju64(o, "weight", tn->weight);
	cmd_jstr(o, "weight_from", tn->weight_override ? "override" : "cgroup");
	cmd_ju64(o, "rate_bps", tn->rate_bps);
	cmd_ju64(o, "ports", cmd_tenant_ports(c, tn->id));
	cmd_ju64(o, "endpoints", cmd_tenant_eps(c, tn->id));
	cmd_jstr(o, "cgroup_state",
		 !tn->cgroup[0] ? "" : tn->cgroup_lost ? "lost" : "ok");
	return o;
}

/**
 * cmd_tenant_push() - hand a tenant's weight and rate cap to the workers
 * @c:		state
 * @tn:		tenant
 */
static void cmd_tenant_push(const struct cmd_ctx *c, const struct tenant *tn)
{
	int rc;

	if (!c->vnet)
		return;
	rc = vnet_tenant_set(c->vnet, tn->id, tn->weight, tn->rate_bps);
	if (rc)
		log_warn("tenant %s: workers refused weight %u: %s", tn->name,
			 tn->weight, strerror(-rc));
}

/**
 * cmd_tenant_event() - tenant_refresh() callback: log, tell the workers
 * @tn:		tenant
 * @ev:		what happened
 * @old_weight:	weight before a change
 * @err:	-errno for TENANT_CGROUP_LOST
 * @ctx:	struct cmd_ctx
 */
static void cmd_tenant_event(const struct tenant *tn, enum tenant_event ev,
			     uint32_t old_weight, int err, void *ctx)
{
	struct cmd_ctx *c = ctx;

	switch (ev) {
	case TENANT_WEIGHT_CHANGED:
		log_info("tenant %s: cgroup %s weight %u -> %u", tn->name,
			 tn->cgroup, old_weight, tn->weight);
		cmd_tenant_push(c, tn);
		/* the record keeps the last weight (a failure is logged) */
		cmd_tenant_record(c, tn->name, cmd_tenant_config(c, tn->name));
		break;
	case TENANT_CGROUP_LOST:
		log_warn("tenant %s: cgroup %s %s (%s); keeping weight %u",
			 tn->name, tn->cgroup,
			 err == -ENOENT ? "has disappeared" : "cannot be read",
			 strerror(-err), tn->weight);
		break;
	case TENANT_CGROUP_BACK:
		log_info("tenant %s: cgroup %s readable again", tn->name,
			 tn->cgroup);
		break;
	}
}

/**
 * cmd_tick_tenants() - follow the tenants' cgroups (weights, lost cgroups)
 * @c:		state
 */
static void cmd_tick_tenants(struct cmd_ctx *c)
{
	unsigned i;

	if (!c->tenants)
		return;
	tenant_refresh(c->tenants, cmd_tenant_event, c);
	/* Tenants restored without their cgroup: bind each again as soon
	 * as its cgroup is back (its record never stopped naming it). */
	for (i = c->nunbound; i-- > 0;) {
		struct cmd_tenant_unbound ub = c->unbound[i];
		const struct tenant *tn = tenant_find(c->tenants, ub.name);
		struct tenant_spec ts;

		if (!tn || tn->cgroup[0]) {
			cmd_tenant_unbound_drop(c, ub.name);
			continue;
		}
		memset(&ts, 0, sizeof(ts));
		ts.name = ub.name;
		ts.cgroup = ub.cgroup;
		ts.weight = tn->weight_override ? tn->weight : 0;
		ts.rate_bps = tn->rate_bps;
		if (tenant_set(c->tenants, &ts, NULL, 0))
			continue;
		cmd_tenant_unbound_drop(c, ub.name);
		tn = tenant_find(c->tenants, ub.name);
		log_info("tenant %s: cgroup %s is back; bound to it again (weight %u)",
			 ub.name, ub.cgroup, tn->weight);
		cmd_tenant_push(c, tn);
		cmd_tenant_record(c, ub.name, NULL); /* its weight now */
	}
}

/**
 * cmd_tenant_restore_unbound() - restore a tenant whose cgroup is missing
 * @c:		state
 * @t:		its record's spec, with the cgroup
 * @weight:	the weight its cgroup last had (the record's), 0 if unknown
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * The account comes back (its ports and endpoints need it) without a
 * binding; its record keeps naming the cgroup, and the tick binds the
 * tenant to it again once it exists (cmd_tick_tenants()). The tenant
 * "default" is there from the start (unbound); it only waits.
 *
 * Return: 0 or -errno
 */
int cmd_tenant_restore_unbound(struct cmd_ctx *c, const struct spec_tenant *t,
			       uint32_t weight, char *err, size_t errlen)
{
	struct cmd_tenant_unbound *ub;
	struct spec_tenant bare = *t;
	int rc;

	ub = realloc(c->unbound, (c->nunbound + 1) * sizeof(*ub));
	if (!ub) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->unbound = ub;
	ub = &c->unbound[c->nunbound++];
	snprintf(ub->name, sizeof(ub->name), "%s", t->name);
	snprintf(ub->cgroup, sizeof(ub->cgroup), "%s", t->cgroup);
	bare.has_cgroup = false;
	bare.cgroup[0] = '\0';
	if (!tenant_find(c->tenants, t->name))
		rc = cmd_tenant_add(c, &bare, NULL, err, errlen);
	else if (bare.has_weight || bare.has_rate)
		/* "default", which is always there: what the record says
		 * but the cgroup */
		rc = cmd_tenant_set(c, &bare, NULL, err, errlen);
	else
		rc = 0;
	if (rc) {
		cmd_tenant_unbound_drop(c, t->name);
		return rc;
	}
	/* It keeps the weight it had until its cgroup is back. */
	if (!t->has_weight && weight &&
	    !tenant_set_unbound_weight(c->tenants, t->name, weight)) {
		cmd_tenant_record(c, t->name, NULL);
		cmd_tenant_push(c, tenant_find(c->tenants, t->name));
	}
	return 0;
}

/**
 * struct cmd_traffic - counters summed over some ports
 */
struct cmd_traffic {
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint64_t drops[VNET_DROP__COUNT];
};

/**
 * cmd_traffic_add() - add a port's counters to a sum
 * @sum:	sum
 * @st:		port counters
 */
static void cmd_traffic_add(struct cmd_traffic *sum,
			    const struct vnet_port_stats *st)
{
	unsigned i;

	sum->rx_packets += st->rx_packets;
	sum->rx_bytes += st->rx_bytes;
	sum->tx_packets += st->tx_packets;
	sum->tx_bytes += st->tx_bytes;
	for (i = 0; i < VNET_DROP__COUNT; i++)
		sum->drops[i] += st->drops[i];
}

/**
 * cmd_json_traffic() - add counters to an object
 * @o:		object
 * @t:		counters
 *
 * "drops" lists every reason, zero or not, so its keys never change.
 */
static void cmd_json_traffic(struct json_object *o, const struct cmd_traffic *t)
{
	struct json_object *d = json_object_new_object();
	uint64_t total = 0;
	unsigned i;

	cmd_ju64(o, "rx_packets", t->rx_packets);
	cmd_ju64(o, "rx_bytes", t->rx_bytes);
	cmd_ju64(o, "tx_packets", t->tx_packets);
	cmd_ju64(o, "tx_bytes", t->tx_bytes);
	/* Reason 0 is FRAME_OK, not a drop. */
	for (i = 1; i < VNET_DROP__COUNT; i++) {
		cmd_ju64(d, vnet_drop_name(i), t->drops[i]);
		total += t->drops[i];
	}
	json_object_object_add(o, "drops", d);
	cmd_ju64(o, "drops_total", total);
}

/**
 * cmd_port_info() - vnet's view of a port of our table
 * @c:		state
 * @p:		port
 * @info:	result, zeroed if vnet does not know the port
 */
static void cmd_port_info(const struct cmd_ctx *c, const struct cmd_port *p,
			  struct vnet_port_info *info)
{
	memset(info, 0, sizeof(*info));
	if (vnet_port_get(c->vnet, p->spec.name, info))
		log_warn("port %s: not known to the switch", p->spec.name);
}

/**
 * cmd_json_port_info() - a port as JSON: our table and vnet's view merged
 * @c:		state
 * @p:		port
 * @info:	vnet's view of it, read by the caller
 *
 * Return: new object
 */
static struct json_object *cmd_json_port_info(const struct cmd_ctx *c,
					      const struct cmd_port *p,
					      const struct vnet_port_info *info)
{
	struct json_object *o = json_object_new_object(), *a;
	struct cmd_traffic t = { 0 };
	const struct tenant *tn;
	char buf[PARSE_CIDR_STRLEN];
	unsigned i;

	cmd_jstr(o, "name", p->spec.name);
	cmd_jstr(o, "network", p->spec.network);
	tn = tenant_get(c->tenants, p->tenant_id);
	cmd_jstr(o, "tenant", tn ? tn->name : "?");
	if (p->spec.netns[0]) {
		cmd_jstr(o, "netns", p->spec.netns);
	} else if (p->spec.netns_pid) {
		snprintf(buf, sizeof(buf), "pid:%d", p->spec.netns_pid);
		cmd_jstr(o, "netns", buf);
	} else {
		cmd_jstr(o, "netns", "");
	}
	parse_mac_format(p->spec.mac, buf);
	cmd_jstr(o, "mac", buf);
	cmd_ju64(o, "mtu", p->spec.mtu);
	a = json_object_new_array();
	for (i = 0; i < p->spec.naddrs; i++) {
		parse_cidr_format(&p->spec.addrs[i], buf);
		json_object_array_add(a, json_object_new_string(buf));
	}
	json_object_object_add(o, "addresses", a);
	cmd_ju64(o, "id", info->id);
	cmd_ju64(o, "queues", info->queues);
	a = json_object_new_array();
	for (i = 0; i < sizeof(cmd_offloads) / sizeof(cmd_offloads[0]); i++) {
		if (info->offloads & cmd_offloads[i].bit)
			json_object_array_add(a,
				json_object_new_string(cmd_offloads[i].name));
	}
	json_object_object_add(o, "offloads", a);
	json_object_object_add(o, "lock", json_object_new_boolean(p->spec.lock));
	cmd_ju64(o, "fdb_max", info->fdb_max);
	cmd_ju64(o, "fdb_learned", info->fdb_learned);
	cmd_ju64(o, "fdb_full", info->stats.fdb_full);
	cmd_jstr(o, "state", info->gone ? "gone" : "up");
	cmd_traffic_add(&t, &info->stats);
	cmd_json_traffic(o, &t);
	return o;
}

/**
 * cmd_json_port() - a port as JSON, with its counters as they are now
 * @c:		state
 * @p:		port
 *
 * Return: new object
 */
static struct json_object *cmd_json_port(const struct cmd_ctx *c,
					 const struct cmd_port *p)
{
	struct vnet_port_info info;

	cmd_port_info(c, p, &info);
	return cmd_json_port_info(c, p, &info);
}

/**
 * cmd_tenant_spec() - the tenant module's spec from ours
 * @t:		our spec
 * @ts:		result, pointing into @t
 */
static void cmd_tenant_spec(const struct spec_tenant *t,
			    struct tenant_spec *ts)
{
	memset(ts, 0, sizeof(*ts));
	ts->name = t->name;
	ts->cgroup = t->has_cgroup ? t->cgroup : NULL;
	ts->pid = t->has_pid ? t->pid : 0;
	ts->weight = t->has_weight ? t->weight : 0;
	ts->rate_bps = t->has_rate ? t->rate_bps : 0;
}

/**
 * cmd_tenant_add() - add a tenant
 * @c:		state
 * @t:		the tenant
 * @config:	canonical text of its config section, NULL for vstackctl
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -errno
 */
int cmd_tenant_add(struct cmd_ctx *c, const struct spec_tenant *t,
		   const char *config, char *err, size_t errlen)
{
	struct tenant_spec ts;
	uint32_t id;
	int rc;

	if ((rc = spec_tenant_check(t, err, errlen)))
		return rc;
	if (tenant_find(c->tenants, t->name)) {
		snprintf(err, errlen, "tenant '%s' already exists", t->name);
		return -EEXIST;
	}
	cmd_tenant_spec(t, &ts);
	err[0] = '\0';
	rc = tenant_add(c->tenants, &ts, &id, err, errlen);
	if (rc) {
		if (!err[0])
			snprintf(err, errlen, "cannot add tenant '%s': %s",
				 t->name, strerror(-rc));
		return rc;
	}
	if ((rc = cmd_tenant_record(c, t->name, config))) {
		tenant_del(c->tenants, t->name);
		snprintf(err, errlen,
			 "tenant '%s' not added: cannot write its record in %s: %s",
			 t->name, state_dir(c->state), strerror(-rc));
		return rc;
	}
	if (cmd_tenant_origin(c, t->name, config))
		log_warn("tenant %s: out of memory noting its config section",
			 t->name);
	if (c->vnet)
		vnet_tenant_clear(c->vnet, id);
	cmd_tenant_push(c, tenant_get(c->tenants, id));
	log_info("tenant %s added (id %u)", t->name, id);
	return 0;
}

/**
 * cmd_tenant_set() - change a tenant; what is not given stays as it is
 * @c:		state
 * @t:		the changes
 * @config:	its config section's new canonical text, NULL to keep
 *		where it came from as it is
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -errno
 */
int cmd_tenant_set(struct cmd_ctx *c, const struct spec_tenant *t,
		   const char *config, char *err, size_t errlen)
{
	struct cmd_tenant_unbound *ub, ub_was;
	char was_cgroup[TENANT_CGROUP_MAX];
	struct tenant_spec ts, was;
	bool had_ub = false;
	const struct tenant *cur;
	int rc, wrc;

	if ((rc = spec_tenant_check(t, err, errlen)))
		return rc;
	if (!(cur = tenant_find(c->tenants, t->name))) {
		snprintf(err, errlen, "tenant '%s' not found", t->name);
		return -ENOENT;
	}
	if (!t->has_cgroup && !t->has_pid && !t->has_weight && !t->has_rate) {
		snprintf(err, errlen,
			 "tenant set %s: nothing to change (give --cgroup, --pid, --weight or --rate)",
			 t->name);
		return -EINVAL;
	}
	/* Spell out the current values of what is not changed, so that the
	 * tenant module need not guess what an absent field means.
	 */
	cmd_tenant_spec(t, &ts);
	if (!t->has_cgroup && !t->has_pid)
		ts.cgroup = cur->cgroup[0] ? cur->cgroup : NULL;
	if (!t->has_weight)
		ts.weight = cur->weight_override ? cur->weight : 0;
	if (!t->has_rate)
		ts.rate_bps = cur->rate_bps;
	/* And what it is now, to go back to if the record cannot be
	 * written ("" unbinds). */
	snprintf(was_cgroup, sizeof(was_cgroup), "%s", cur->cgroup);
	memset(&was, 0, sizeof(was));
	was.name = t->name;
	was.cgroup = was_cgroup;
	was.weight = cur->weight_override ? cur->weight : 0;
	was.rate_bps = cur->rate_bps;

	err[0] = '\0';
	rc = tenant_set(c->tenants, &ts, err, errlen);
	if (rc) {
		if (!err[0])
			snprintf(err, errlen, "cannot change tenant '%s': %s",
				 t->name, strerror(-rc));
		return rc;
	}
	/* A new binding (or none) replaces the one waiting for its cgroup. */
	if ((t->has_cgroup || t->has_pid) &&
	    (ub = cmd_tenant_unbound_find(c, t->name))) {
		ub_was = *ub;
		cmd_tenant_unbound_drop(c, t->name);
		had_ub = true;
	}
	if ((rc = cmd_tenant_record(c, t->name,
				    config ? config
					   : cmd_tenant_config(c, t->name)))) {
		if (had_ub && (ub = realloc(c->unbound, (c->nunbound + 1) *
							 sizeof(*ub)))) {
			c->unbound = ub;
			c->unbound[c->nunbound++] = ub_was;
		}
		wrc = tenant_set(c->tenants, &was, NULL, 0);
		if (wrc)
			log_err("tenant %s: cannot undo the change: %s",
				t->name, strerror(-wrc));
		snprintf(err, errlen,
			 "tenant '%s' %s: cannot write its record in %s: %s",
			 t->name,
			 wrc ? "changed but not saved (lost at restart)"
			     : "not changed",
			 state_dir(c->state), strerror(-rc));
		if (wrc)
			cmd_tenant_push(c, tenant_find(c->tenants, t->name));
		return rc;
	}
	if (config && cmd_tenant_origin(c, t->name, config))
		log_warn("tenant %s: out of memory noting its config section",
			 t->name);
	cmd_tenant_push(c, tenant_find(c->tenants, t->name));
	log_info("tenant %s changed", t->name);
	return 0;
}

/**
 * cmd_tenant_del() - delete a tenant that has no ports and no endpoints
 * @c:		state
 * @name:	tenant
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0, -ENOENT, -EBUSY if it still has ports or endpoints, or -errno
 */
int cmd_tenant_del(struct cmd_ctx *c, const char *name, char *err,
		   size_t errlen)
{
	const struct tenant *tn = tenant_find(c->tenants, name);
	unsigned n;
	int rc;

	if (!tn) {
		snprintf(err, errlen, "tenant '%s' not found", name);
		return -ENOENT;
	}
	if (!strcmp(name, TENANT_DEFAULT) || tn->id == 0) {
		snprintf(err, errlen, "tenant '%s' cannot be deleted", name);
		return -EPERM;
	}
	if ((n = cmd_tenant_ports(c, tn->id))) {
		snprintf(err, errlen,
			 "tenant '%s' still has %u port%s: delete %s first",
			 name, n, n == 1 ? "" : "s", n == 1 ? "it" : "them");
		return -EBUSY;
	}
	/* The stack is asked too: it is what applications attach through. */
	if ((n = cmd_tenant_eps(c, tn->id)) ||
	    (c->stack && stack_tenant_has_ep(c->stack, tn->id))) {
		if (!n)
			n = 1;
		snprintf(err, errlen,
			 "tenant '%s' still has %u endpoint%s: delete %s first",
			 name, n, n == 1 ? "" : "s", n == 1 ? "it" : "them");
		return -EBUSY;
	}
	/* The record first: a tenant that cannot be forgotten on disk
	 * would come back at the next start. */
	if (c->state &&
	    (rc = cmd_state_rc(c, state_del_tenant(c->state, name)))) {
		snprintf(err, errlen,
			 "tenant '%s' not deleted: cannot remove its record in %s: %s",
			 name, state_dir(c->state), strerror(-rc));
		return rc;
	}
	if ((rc = tenant_del(c->tenants, name))) {
		snprintf(err, errlen, "cannot delete tenant '%s': %s", name,
			 strerror(-rc));
		if (cmd_tenant_record(c, name, cmd_tenant_config(c, name)))
			log_err("tenant %s: its record is gone, the tenant is not",
				name);
		return rc;
	}
	cmd_tenant_origin(c, name, NULL);
	cmd_tenant_unbound_drop(c, name);
	log_info("tenant %s deleted", name);
	return 0;
}

/**
 * cmd_portsec() - the port security policy of a port
 * @p:		port, MAC filled in
 * @ps:		filled in when the port is locked
 *
 * Return: @ps, or NULL when the port is not locked
 */
static const struct portsec *cmd_portsec(const struct spec_port *p,
					 struct portsec *ps)
{
	unsigned i;

	if (!p->lock)
		return NULL;
	memset(ps, 0, sizeof(*ps));
	memcpy(ps->mac, p->mac, 6);
	for (i = 0; i < p->naddrs; i++) {
		const struct parse_cidr *a = &p->addrs[i];

		if (a->family == AF_INET && ps->n4 < PORTSEC_MAX_ADDRS)
			memcpy(ps->ip4[ps->n4++], a->addr, 4);
		else if (a->family == AF_INET6 && ps->n6 < PORTSEC_MAX_ADDRS)
			memcpy(ps->ip6[ps->n6++], a->addr, 16);
	}
	ps->lock_ip = ps->n4 || ps->n6;
	return ps;
}

/**
 * cmd_port_room() - make room for one more port in the table
 * @c:		state
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0, -ENOSPC or -ENOMEM
 */
static int cmd_port_room(struct cmd_ctx *c, char *err, size_t errlen)
{
	if (c->nports >= VNET_MAX_PORTS) {
		snprintf(err, errlen, "too many ports (at most %u)",
			 VNET_MAX_PORTS);
		return -ENOSPC;
	}
	if (c->nports == c->cap) {
		unsigned cap = c->cap ? c->cap * 2 : 16;
		struct cmd_port *np = realloc(c->ports, cap * sizeof(*np));

		if (!np) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		c->ports = np;
		c->cap = cap;
	}
	return 0;
}

/**
 * cmd_port_netns() - open the namespace a port goes to
 * @p:		port
 * @fd:		set to the namespace, or -1 for vstackd's own
 * @dev:	set to its device number (0 for our own)
 * @ino:	set to its inode number (0 for our own)
 * @desc:	set to how the user named it, for messages
 * @desclen:	size of @desc
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -errno
 */
static int cmd_port_netns(const struct spec_port *p, int *fd, uint64_t *dev,
			  uint64_t *ino, char *desc, size_t desclen, char *err,
			  size_t errlen)
{
	struct stat st;
	int rc;

	*fd = -1;
	*dev = *ino = 0;
	desc[0] = '\0';
	if (!p->netns[0] && !p->netns_pid)
		return 0;
	rc = netlink_netns_open(p->netns[0] ? p->netns : NULL, p->netns_pid,
				fd, err, errlen);
	if (rc)
		return rc;
	if (fstat(*fd, &st) == 0) {
		*dev = st.st_dev;
		*ino = st.st_ino;
	}
	if (p->netns[0])
		snprintf(desc, desclen, "network namespace '%s'", p->netns);
	else
		snprintf(desc, desclen, "the network namespace of process %d",
			 p->netns_pid);
	return 0;
}

/**
 * cmd_port_unlink() - delete a port's device through netlink
 * @spec:	the port as it was asked for (name, namespace)
 * @kind:	only a device of this kind ("tun"), or NULL for any
 * @dev:	device of the namespace the port was made in (0: not known)
 * @ino:	inode of that namespace (0: not known)
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * A namespace found by the port's name or process id that is not the one
 * it was made in (@dev, @ino) is someone else's, and so is a device of the
 * name that is not of @kind: nothing is deleted then. (Namespace inode
 * numbers are reused, so the first catches only some replacements.)
 *
 * Return: 0 (also if it was gone, or not ours) or -errno
 */
static int cmd_port_unlink(const struct spec_port *spec, const char *kind,
			   uint64_t dev, uint64_t ino, char *err,
			   size_t errlen)
{
	uint64_t d, i;
	char desc[300];
	int rc, fd;

	if ((rc = cmd_port_netns(spec, &fd, &d, &i, desc, sizeof(desc), err,
				 errlen)))
		return rc;
	if (!ino || (d == dev && i == ino))
		rc = netlink_link_delete(fd, spec->name, kind, err, errlen);
	if (fd >= 0)
		close(fd);
	return rc == -ENODEV || rc == -ENOENT || rc == -EMEDIUMTYPE ? 0 : rc;
}

/**
 * cmd_port_vanish() - make sure the device of a port just deleted is gone
 * @spec:	the port as it was asked for
 * @dev:	device of the namespace it was made in
 * @ino:	inode of that namespace
 *
 * vnet turns the device's persistence off and closes its queues, and the
 * device goes with the last reference to them. But io_uring holds
 * references of its own to the files it has registered, and older kernels
 * (Debian 12's 6.1 among them) let go of a file taken out of the table
 * only once every request submitted before had completed: on a switch
 * with idle ports, not at all, so the device stayed and a new port of
 * the same name was refused. Deleting it through netlink does not wait
 * for that; where it is already gone this costs one request. Only a TAP
 * in the port's own namespace is deleted (see cmd_port_unlink()).
 */
static void cmd_port_vanish(const struct spec_port *spec, uint64_t dev,
			    uint64_t ino)
{
	char err[256];
	int rc = cmd_port_unlink(spec, "tun", dev, ino, err, sizeof(err));

	/* No namespace any more (its process or name went): nothing in it
	 * to delete that anyone could see. */
	if (rc && rc != -ENOENT && rc != -ESRCH)
		log_warn("port %s: its device may outlive it: %s", spec->name,
			 err);
}

/**
 * cmd_port_can_replace() - could a port be made anew as @p says?
 * @c:		state
 * @p:		the port's new description (same name as the running one)
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * A changed port is deleted and added again (its device must be made
 * anew). What would make the add fail for sure, and can be known first,
 * is checked before the delete: its keys together, its tenant and its
 * namespace. A typo in a section's netns then leaves the running port
 * as it is, instead of deleting it and failing to make the new one.
 *
 * Return: 0 or -errno
 */
int cmd_port_can_replace(struct cmd_ctx *c, const struct spec_port *p,
			 char *err, size_t errlen)
{
	uint64_t dev, ino;
	char desc[300];
	int rc, fd;

	if ((rc = spec_port_check(p, err, errlen)))
		return rc;
	if (!tenant_find(c->tenants, p->tenant)) {
		snprintf(err, errlen,
			 "tenant '%s' not found (add it first: vstackctl tenant add %s)",
			 p->tenant, p->tenant);
		return -ENOENT;
	}
	if ((rc = cmd_port_netns(p, &fd, &dev, &ino, desc, sizeof(desc), err,
				 errlen)))
		return rc;
	if (fd >= 0)
		close(fd);
	return 0;
}

/**
 * struct cmd_port_adding - a port whose device is being made
 * @c:		state
 * @port:	the port, as it will be recorded
 * @pending:	its set-aside record is written (state_put_port_pending())
 */
struct cmd_port_adding {
	struct cmd_ctx *c;
	const struct cmd_port *port;
	bool pending;
};

/**
 * cmd_port_pending() - record where a port's new device is, until the
 *			port has its record
 * @a:		the port being added
 * @moved:	the device is in the port's namespace (else in ours)
 *
 * Before the device is made, it is recorded as in vstackd's namespace,
 * where it is made and where no device of its name was; once it has moved
 * (netlink_link_setup() says so), as in the port's. Not as in the port's
 * from the start: a device of the name found there after a crash before
 * the move would be someone else's. vstackd killed in between leaves the
 * record, and the next start deletes the device (cmd_port_finish_del()).
 *
 * Return: 0 or -errno
 */
static int cmd_port_pending(struct cmd_port_adding *a, bool moved)
{
	struct state_port sp = { .spec = a->port->spec,
				 .config = a->port->config };
	int rc;

	if (moved) {
		sp.netns_dev = a->port->netns_dev;
		sp.netns_ino = a->port->netns_ino;
	} else {
		sp.spec.netns[0] = '\0';
		sp.spec.netns_pid = 0;
	}
	rc = state_put_port_pending(a->c->state, &sp);
	a->pending |= !rc;
	return rc;
}

/* netlink_link_setup()'s word that the device moved */
static void cmd_port_moved(void *ctx)
{
	struct cmd_port_adding *a = ctx;

	if (a->pending && cmd_port_pending(a, true))
		log_warn("port %s: a crash before its record is written would leave its device",
			 a->port->spec.name);
}

/**
 * cmd_port_add() - add a port: TAP through vnet, then netlink set-up
 * @c:		state
 * @p:		the port
 * @config:	canonical text of its config section, NULL for vstackctl
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * The TAP is persistent: it stays when vstackd stops or dies, and the
 * next vstackd attaches to it again (cmd_port_restore()).
 *
 * Return: 0 or -errno; on failure nothing is left behind
 */
int cmd_port_add(struct cmd_ctx *c, const struct spec_port *p,
		 const char *config, char *err, size_t errlen)
{
	struct vnet_port_spec vs = { 0 };
	struct netlink_setup ns = { 0 };
	struct cmd_port_adding adding = { .c = c, .port = NULL };
	const struct tenant *tn;
	struct cmd_port port;
	struct portsec sec;
	char desc[300];
	int rc, fd = -1;
	bool added = false;

	if ((rc = spec_port_check(p, err, errlen)))
		return rc;
	if (cmd_port_find(c, p->name) >= 0) {
		snprintf(err, errlen, "port '%s' already exists", p->name);
		return -EEXIST;
	}
	if (cmd_ep_index(c, p->name) >= 0) {
		snprintf(err, errlen,
			 "an endpoint named '%s' already exists (ports and endpoints share names)",
			 p->name);
		return -EEXIST;
	}
	if (netlink_link_exists(p->name)) {
		snprintf(err, errlen,
			 "an interface named '%s' already exists in vstackd's network namespace",
			 p->name);
		return -EEXIST;
	}
	if (!(tn = tenant_find(c->tenants, p->tenant))) {
		snprintf(err, errlen,
			 "tenant '%s' not found (add it first: vstackctl tenant add %s)",
			 p->tenant, p->tenant);
		return -ENOENT;
	}
	if ((rc = cmd_port_room(c, err, errlen)))
		return rc;

	memset(&port, 0, sizeof(port));
	port.spec = *p;
	port.tenant_id = tn->id;
	if (config && !(port.config = strdup(config))) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (!port.spec.mtu)
		port.spec.mtu = SPEC_MTU_DEFAULT;
	if (!port.spec.has_mac) {
		/* Ours, so that port list can show it wherever the device
		 * went: random, locally administered, unicast.
		 */
		if (getrandom(port.spec.mac, 6, 0) != 6) {
			rc = -errno;
			snprintf(err, errlen, "cannot generate a MAC address: %s",
				 strerror(-rc));
			goto out;
		}
		port.spec.mac[0] = (uint8_t)((port.spec.mac[0] & 0xfe) | 0x02);
		port.spec.has_mac = true;
	}

	if ((rc = cmd_port_netns(p, &fd, &port.netns_dev, &port.netns_ino,
				 desc, sizeof(desc), err, errlen)))
		goto out;

	/* Also while restoring: a new section's port has no record yet
	 * (and one being made again has, which wins at the next start). */
	adding.port = &port;
	if (c->state &&
	    (rc = cmd_state_rc(c, cmd_port_pending(&adding, false)))) {
		snprintf(err, errlen,
			 "port '%s' not added: cannot write its record in %s: %s",
			 p->name, state_dir(c->state), strerror(-rc));
		goto out;
	}

	vs.name = p->name;
	vs.network = p->network;
	vs.tenant = tn->id;
	vs.offload = p->offload;
	vs.queues = p->queues;
	vs.mtu = port.spec.mtu;
	vs.persist = true;
	vs.lock = cmd_portsec(&port.spec, &sec);
	vs.fdb_max = p->has_fdb_max ? &p->fdb_max : NULL;
	err[0] = '\0';
	if ((rc = vnet_port_add(c->vnet, &vs, err, errlen))) {
		if (!err[0])
			snprintf(err, errlen, "cannot add port '%s': %s",
				 p->name, strerror(-rc));
		goto out;
	}
	added = true;

	ns.ifname = p->name;
	memcpy(ns.mac, port.spec.mac, 6);
	ns.mtu = port.spec.mtu;
	ns.gso_max_segs = FRAME_GSO_MAX_SEGS;
	ns.netns_fd = fd;
	ns.netns_desc = desc;
	ns.addrs = p->addrs;
	ns.naddrs = p->naddrs;
	ns.moved = cmd_port_moved;
	ns.moved_ctx = &adding;
	if ((rc = netlink_link_setup(&ns, err, errlen)))
		goto out;

	if ((rc = cmd_port_record(c, &port))) {
		snprintf(err, errlen,
			 "port '%s' not added: cannot write its record in %s: %s",
			 p->name, state_dir(c->state), strerror(-rc));
		goto out;
	}
	c->ports[c->nports++] = port;
	log_info("port %s added (network %s, tenant %s%s%s)", p->name,
		 p->network, tn->name, fd >= 0 ? ", in " : "",
		 fd >= 0 ? desc : "");
out:
	if (rc && added) {
		int drc = vnet_port_del(c->vnet, p->name);

		if (drc)
			log_err("port %s: rollback failed: %s", p->name,
				strerror(-drc));
		else
			cmd_port_vanish(p, port.netns_dev, port.netns_ino);
		added = drc != 0; /* the next start deletes what is left */
	}
	if (rc && !added && adding.pending)
		state_port_deleted(c->state, p->name);
	if (rc)
		free(port.config);
	if (fd >= 0)
		close(fd);
	return rc;
}

/**
 * cmd_port_attach() - attach to a port's device left by an earlier run
 * @c:		state
 * @sp:		the port's record
 * @tenant:	tenant id to charge (0 for a device about to be destroyed)
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0; -ESRCH if the namespace it was in is gone (and the device
 * with it), -ENODEV if the device is gone, or another -errno
 */
static int cmd_port_attach(struct cmd_ctx *c, const struct state_port *sp,
			   uint32_t tenant, char *err, size_t errlen)
{
	struct vnet_port_spec vs = { 0 };
	uint64_t dev, ino;
	struct portsec sec;
	char desc[300];
	int rc, fd;

	rc = cmd_port_netns(&sp->spec, &fd, &dev, &ino, desc, sizeof(desc),
			    err, errlen);
	if (rc == -ENOENT || rc == -ESRCH ||
	    (!rc && sp->netns_ino && (dev != sp->netns_dev ||
				      ino != sp->netns_ino))) {
		/* A namespace by the same name (or process id) is a new
		 * one: the device died with the old. */
		snprintf(err, errlen, "%s is gone",
			 !rc ? desc : "its network namespace");
		rc = -ESRCH;
		goto out;
	}
	if (rc)
		goto out;
	vs.name = sp->spec.name;
	vs.network = sp->spec.network;
	vs.tenant = tenant;
	vs.offload = sp->spec.offload;
	vs.queues = sp->spec.queues;
	vs.mtu = sp->spec.mtu;
	vs.persist = true;
	vs.attach = true;
	vs.netns_fd = fd;
	vs.lock = cmd_portsec(&sp->spec, &sec);
	vs.fdb_max = sp->spec.has_fdb_max ? &sp->spec.fdb_max : NULL;
	err[0] = '\0';
	rc = vnet_port_add(c->vnet, &vs, err, errlen);
	if (rc && !err[0])
		snprintf(err, errlen, "%s", strerror(-rc));
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/**
 * cmd_port_restore() - bring back a port from its state record
 * @c:		state
 * @sp:		the record
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * The device normally still exists (persistent, in the tenant's
 * namespace, with its addresses): we attach new queues to it and the
 * tenant's connections carry on. If it is gone (the host rebooted, someone
 * deleted it) it is created again as recorded, MAC address included.
 *
 * Return: 0; -ESRCH if the port's namespace is gone; or -errno
 */
int cmd_port_restore(struct cmd_ctx *c, const struct state_port *sp,
		     char *err, size_t errlen)
{
	const struct tenant *tn = tenant_find(c->tenants, sp->spec.tenant);
	struct cmd_port port;
	int rc;

	if (!tn) {
		snprintf(err, errlen, "tenant '%s' not found", sp->spec.tenant);
		return -ENOENT;
	}
	if (cmd_port_find(c, sp->spec.name) >= 0) {
		snprintf(err, errlen, "port '%s' already exists",
			 sp->spec.name);
		return -EEXIST;
	}
	if (cmd_ep_index(c, sp->spec.name) >= 0) {
		snprintf(err, errlen,
			 "an endpoint named '%s' already exists (ports and endpoints share names)",
			 sp->spec.name);
		return -EEXIST;
	}
	if ((rc = cmd_port_room(c, err, errlen)))
		return rc;
	rc = cmd_port_attach(c, sp, tn->id, err, errlen);
	if (rc == -EMLINK) {
		/* Made with one queue by a vstackd with one worker; this one
		 * has more. A device cannot grow queues: make it anew (its
		 * tenant sees the link go and come back). */
		log_warn("port %s: %s; making its device again", sp->spec.name,
			 err);
		if ((rc = cmd_port_unlink(&sp->spec, NULL, 0, 0, err,
					  errlen)))
			return rc;
		rc = -ENODEV;
	}
	if (rc == -ENODEV) {
		log_info("port %s: its device is gone; creating it again",
			 sp->spec.name);
		return cmd_port_add(c, &sp->spec, sp->config, err, errlen);
	}
	if (rc)
		return rc;
	memset(&port, 0, sizeof(port));
	port.spec = sp->spec;
	port.tenant_id = tn->id;
	port.netns_dev = sp->netns_dev;
	port.netns_ino = sp->netns_ino;
	if (sp->config && !(port.config = strdup(sp->config))) {
		vnet_port_close(c->vnet, sp->spec.name);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->ports[c->nports++] = port;
	log_info("port %s reattached (network %s, tenant %s)", sp->spec.name,
		 sp->spec.network, tn->name);
	return 0;
}

/**
 * cmd_port_unmake() - delete the device of a port we do not have
 * @c:		state
 * @sp:		its record (the port is not in the table)
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 (also if the device or its namespace is gone) or -errno
 */
static int cmd_port_unmake(struct cmd_ctx *c, const struct state_port *sp,
			   char *err, size_t errlen)
{
	int rc = cmd_port_attach(c, sp, 0, err, errlen);

	if (rc == -ENODEV || rc == -ESRCH)
		rc = 0;
	else if (!rc && !(rc = vnet_port_del(c->vnet, sp->spec.name)))
		cmd_port_vanish(&sp->spec, sp->netns_dev, sp->netns_ino);
	return rc;
}

/**
 * cmd_port_destroy() - destroy the device of a port we no longer have
 * @c:		state
 * @sp:		its record (the port is not in the table)
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * For a port whose config section was removed, or changed, while vstackd
 * was not running. A device that is already gone is no error.
 *
 * Return: 0 or -errno
 */
int cmd_port_destroy(struct cmd_ctx *c, const struct state_port *sp,
		     char *err, size_t errlen)
{
	int rc = cmd_port_unmake(c, sp, err, errlen);

	if (!rc && c->state)
		state_del_port(c->state, sp->spec.name);
	return rc;
}

/**
 * cmd_port_finish_del() - finish a port deletion a crash cut short
 * @c:		state
 * @sp:		its record, as renamed by cmd_port_unrecord() or written by
 *		cmd_port_pending()
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * vstackd died between renaming the record and deleting the device, or
 * between making a device and recording its port: the persistent TAP is
 * left, with no record to claim it. It is found as any port's device is,
 * by the record (name, kind, the namespace it was made in or moved to),
 * so only a device that vstackd made goes.
 *
 * Return: 0 or -errno
 */
int cmd_port_finish_del(struct cmd_ctx *c, const struct state_port *sp,
			char *err, size_t errlen)
{
	int rc = cmd_port_unmake(c, sp, err, errlen);

	if (!rc && c->state)
		state_port_deleted(c->state, sp->spec.name);
	return rc;
}

/**
 * cmd_ports_check_gone() - the control loop's periodic look at the ports
 * @c:		state
 *
 * A port whose device was deleted from outside (ip link del, its namespace
 * destroyed) stays, marked gone, until it is deleted or the daemon
 * restarts; it is reported once, here, not from the workers.
 */
static void cmd_walk_port_gone(const struct vnet_port_info *info, void *ctx)
{
	struct cmd_ctx *c = ctx;
	struct cmd_port *p;
	int i;

	if (!info->gone || (i = cmd_port_find(c, info->name)) < 0 ||
	    (p = &c->ports[i])->reported_gone)
		return;
	p->reported_gone = true;
	log_warn("port %s: its device was deleted from outside; the port is down until 'vstackctl port del %s'",
		 p->spec.name, p->spec.name);
}

static void cmd_ports_check_gone(struct cmd_ctx *c)
{
	/* One walk over the switch's ports, not a lookup per port. */
	vnet_port_foreach(c->vnet, cmd_walk_port_gone, c);
}

/**
 * cmd_port_forget() - drop a deleted port from our table, and the record
 *		       cmd_port_unrecord() set aside
 * @c:		state
 * @i:		its index in @c->ports
 */
static void cmd_port_forget(struct cmd_ctx *c, unsigned i)
{
	char name[SPEC_IFNAME_MAX];

	snprintf(name, sizeof(name), "%s", c->ports[i].spec.name);
	if (c->state)
		state_port_deleted(c->state, name);
	free(c->ports[i].config);
	memmove(&c->ports[i], &c->ports[i + 1],
		(c->nports - i - 1) * sizeof(c->ports[0]));
	c->nports--;
	log_info("port %s deleted", name);
}

/**
 * cmd_port_unrecord() - remove a port's record before the port goes
 * @c:		state
 * @i:		its index in @c->ports
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * First the record, then the device: a device cannot be brought back,
 * a record can (cmd_port_record()) if deleting the device fails. The
 * record is set aside (state_port_deleting()), not removed, until the
 * device is gone (cmd_port_forget()): were vstackd killed in between,
 * the next start would find a device without a record, and no way to
 * tell it from a user's; it finds the set-aside record instead, and
 * finishes the deletion (cmd_port_finish_del()).
 *
 * Return: 0 or -errno (see cmd_state_rc())
 */
static int cmd_port_unrecord(struct cmd_ctx *c, unsigned i, char *err,
			     size_t errlen)
{
	const char *name = c->ports[i].spec.name;
	int rc;

	if (!c->state ||
	    !(rc = cmd_state_rc(c, state_port_deleting(c->state, name))))
		return 0;
	snprintf(err, errlen,
		 "port '%.64s' not deleted: cannot remove its record in %s: %s",
		 name, state_dir(c->state), strerror(-rc));
	return rc;
}

/**
 * cmd_port_rerecord() - write again the record of a port that stays
 * @c:		state
 * @i:		its index in @c->ports
 */
static void cmd_port_rerecord(struct cmd_ctx *c, unsigned i)
{
	if (cmd_port_record(c, &c->ports[i]))
		log_err("port %s: not deleted, but its record is gone (lost at restart)",
			c->ports[i].spec.name);
}

/*
 * Was port @name's device deleted from outside (vnet saw it go)? Asked
 * before the port is deleted: its device is then not looked for again,
 * since a device of its name now may be someone else's.
 */
static bool cmd_port_device_gone(struct cmd_ctx *c, const char *name)
{
	struct vnet_port_info info;

	return !vnet_port_get(c->vnet, name, &info) && info.gone;
}

/**
 * cmd_port_del() - delete a port; its device vanishes wherever it is
 * @c:		state
 * @name:	interface name
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0, -ENOENT or -errno
 */
int cmd_port_del(struct cmd_ctx *c, const char *name, char *err,
		 size_t errlen)
{
	int i = cmd_port_find(c, name), rc;
	bool gone;

	if (i < 0) {
		snprintf(err, errlen, "port '%s' not found", name);
		return -ENOENT;
	}
	gone = cmd_port_device_gone(c, name);
	if ((rc = cmd_port_unrecord(c, (unsigned)i, err, errlen)))
		return rc;
	if ((rc = vnet_port_del(c->vnet, name))) {
		snprintf(err, errlen, "cannot delete port '%s': %s", name,
			 strerror(-rc));
		cmd_port_rerecord(c, (unsigned)i);
		return rc;
	}
	if (!gone)
		cmd_port_vanish(&c->ports[i].spec, c->ports[i].netns_dev,
				c->ports[i].netns_ino);
	cmd_port_forget(c, (unsigned)i);
	return 0;
}

/**
 * cmd_port_del_many() - delete several ports together
 * @c:		state
 * @names:	interface names
 * @n:		number of @names
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * All or nothing as far as names go: an unknown or repeated name deletes
 * none. The devices are destroyed in parallel (vnet_port_del_many()).
 *
 * Return: 0, -ENOENT, -EINVAL or -errno
 */
static int cmd_port_del_many(struct cmd_ctx *c, const char *const *names,
			     unsigned n, char *err, size_t errlen)
{
	unsigned i, j;
	bool *gone;
	int rc, k;

	for (i = 0; i < n; i++) {
		if (cmd_port_find(c, names[i]) < 0) {
			snprintf(err, errlen, "port '%.64s' not found (no port deleted)",
				 names[i]);
			return -ENOENT;
		}
		for (j = 0; j < i; j++) {
			if (!strcmp(names[i], names[j])) {
				snprintf(err, errlen, "port '%.64s' named twice",
					 names[i]);
				return -EINVAL;
			}
		}
	}
	gone = calloc(n ? n : 1, sizeof(*gone));
	if (!gone) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		k = cmd_port_find(c, names[i]);
		if ((rc = cmd_port_unrecord(c, (unsigned)k, err, errlen))) {
			while (i--)
				cmd_port_rerecord(c, (unsigned)cmd_port_find(
							     c, names[i]));
			free(gone);
			return rc;
		}
		gone[i] = cmd_port_device_gone(c, names[i]);
	}
	rc = vnet_port_del_many(c->vnet, names, n);
	/* What vnet let go of is gone; a port it kept (a worker did not
	 * let go in time) stays in our table too, and gets its record
	 * back. */
	for (i = 0; i < n; i++) {
		struct vnet_port_info info;

		if ((k = cmd_port_find(c, names[i])) < 0)
			continue;
		if (!vnet_port_get(c->vnet, names[i], &info)) {
			cmd_port_rerecord(c, (unsigned)k);
			continue;
		}
		if (!gone[i])
			cmd_port_vanish(&c->ports[k].spec,
					c->ports[k].netns_dev,
					c->ports[k].netns_ino);
		cmd_port_forget(c, (unsigned)k);
	}
	free(gone);
	if (rc)
		snprintf(err, errlen, "cannot delete every port: %s",
			 strerror(-rc));
	return rc;
}

/**
 * cmd_req_port_del() - port.del: one "name", or several "names"
 * @c:		state
 * @req:	request
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -errno
 */
static int cmd_req_port_del(struct cmd_ctx *c, const struct proto_request *req,
			    char *err, size_t errlen)
{
	const char *name = proto_arg_str(req, "name");
	size_t i, n = proto_arg_list_len(req, "names");
	const char **names;
	int rc;

	if (!!name == !!n) {
		snprintf(err, errlen, "port.del: give 'name' or 'names'");
		return -EINVAL;
	}
	if (name)
		return cmd_port_del(c, name, err, errlen);
	if (n > VNET_MAX_PORTS) {
		snprintf(err, errlen, "port.del: at most %u names", VNET_MAX_PORTS);
		return -EINVAL;
	}
	if (!(names = calloc(n, sizeof(*names)))) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		names[i] = proto_arg_list_str(req, "names", i);
	rc = cmd_port_del_many(c, names, (unsigned)n, err, errlen);
	free(names);
	return rc;
}

/**
 * cmd_req_tenant() - our tenant spec from a request's arguments
 * @req:	tenant.add or tenant.set request
 * @t:		result
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -EINVAL
 */
static int cmd_req_tenant(const struct proto_request *req,
			  struct spec_tenant *t, char *err, size_t errlen)
{
	static const char *const ukeys[] = { "pid", "weight", "rate_bps" };
	const char *s;
	uint64_t u;
	unsigned i;
	int rc;

	spec_tenant_init(t);
	if ((rc = spec_tenant_set(t, "name", proto_arg_str(req, "name"), err,
				  errlen)))
		return rc;
	if ((s = proto_arg_str(req, "cgroup")) &&
	    (rc = spec_tenant_set(t, "cgroup", s, err, errlen)))
		return rc;
	for (i = 0; i < sizeof(ukeys) / sizeof(ukeys[0]); i++) {
		if (!proto_arg_uint(req, ukeys[i], &u) &&
		    (rc = spec_tenant_set_uint(t, ukeys[i], u, err, errlen)))
			return rc;
	}
	return spec_tenant_check(t, err, errlen);
}

/**
 * cmd_req_port() - our port spec from a port.add request's arguments
 * @req:	port.add request
 * @p:		result
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -EINVAL
 */
static int cmd_req_port(const struct proto_request *req, struct spec_port *p,
			char *err, size_t errlen)
{
	static const char *const skeys[] = { "name", "network", "tenant",
					     "type", "netns", "mac" };
	static const char *const ukeys[] = { "netns_pid", "mtu", "queues",
					     "fdb_max" };
	const char *s;
	uint64_t u;
	size_t i, n;
	int rc;

	spec_port_init(p);
	for (i = 0; i < sizeof(skeys) / sizeof(skeys[0]); i++) {
		if ((s = proto_arg_str(req, skeys[i])) &&
		    (rc = spec_port_set(p, skeys[i], s, err, errlen)))
			return rc;
	}
	for (i = 0; i < sizeof(ukeys) / sizeof(ukeys[0]); i++) {
		if (!proto_arg_uint(req, ukeys[i], &u) &&
		    (rc = spec_port_set_uint(p, ukeys[i], u, err, errlen)))
			return rc;
	}
	n = proto_arg_list_len(req, "addresses");
	for (i = 0; i < n; i++) {
		rc = spec_port_set(p, "address",
				   proto_arg_list_str(req, "addresses", i),
				   err, errlen);
		if (rc)
			return rc;
	}
	proto_arg_bool(req, "offload", &p->offload);
	proto_arg_bool(req, "lock", &p->lock);
	return spec_port_check(p, err, errlen);
}

/**
 * struct cmd_walk - state of a foreach walk building a JSON array
 * @c:		command state
 * @arr:	array being filled
 * @filter:	name to match, or NULL
 * @found:	@filter matched something
 */
struct cmd_walk {
	const struct cmd_ctx *c;
	struct json_object *arr;
	const char *filter;
	bool found;
};

/**
 * cmd_walk_tenant() - tenant_foreach() callback: one tenant.list entry
 * @tn:		tenant
 * @ctx:	struct cmd_walk
 */
static void cmd_walk_tenant(const struct tenant *tn, void *ctx)
{
	struct cmd_walk *w = ctx;

	json_object_array_add(w->arr, cmd_json_tenant(w->c, tn));
}

/**
 * cmd_walk_fdb() - vnet_fdb_foreach() callback: one fdb.show entry
 * @r:		FDB row
 * @ctx:	struct cmd_walk
 */
static void cmd_walk_fdb(const struct vnet_fdb_row *r, void *ctx)
{
	struct cmd_walk *w = ctx;
	struct json_object *o = json_object_new_object();
	char mac[PARSE_MAC_STRLEN];

	parse_mac_format(r->mac, mac);
	cmd_jstr(o, "network", r->network);
	cmd_jstr(o, "mac", mac);
	cmd_jstr(o, "port", r->port ? r->port : "");
	cmd_ju64(o, "age_ms", r->age_ms);
	json_object_object_add(o, "pinned", json_object_new_boolean(r->pinned));
	json_object_array_add(w->arr, o);
}

/**
 * cmd_walk_network_find() - vnet_network_foreach() callback: name lookup
 * @n:		network
 * @ctx:	struct cmd_walk, @filter is the name looked for
 */
static void cmd_walk_network_find(const struct vnet_network_info *n,
				  void *ctx)
{
	struct cmd_walk *w = ctx;

	if (!strcmp(n->name, w->filter))
		w->found = true;
}

/**
 * cmd_walk_network_list() - vnet_network_foreach() callback: one
 *			     network.list entry
 * @n:		network
 * @ctx:	struct cmd_walk
 *
 * A network exists while ports use it (endpoints are ports of the switch
 * too); "tenants" are those ports' and endpoints' tenants.
 */
static void cmd_walk_network_list(const struct vnet_network_info *n,
				  void *ctx)
{
	struct cmd_walk *w = ctx;
	struct json_object *o = json_object_new_object(), *t;
	const struct cmd_ctx *c = w->c;
	unsigned i, j;

	cmd_jstr(o, "name", n->name);
	cmd_ju64(o, "ports", n->ports);
	t = json_object_new_array();
	for (i = 0; i < c->nports; i++) {
		const struct tenant *tn;
		bool seen = false;

		if (strcmp(c->ports[i].spec.network, n->name))
			continue;
		for (j = 0; j < i && !seen; j++)
			seen = !strcmp(c->ports[j].spec.network, n->name) &&
			       c->ports[j].tenant_id == c->ports[i].tenant_id;
		if (!seen && (tn = tenant_get(c->tenants, c->ports[i].tenant_id)))
			json_object_array_add(t, json_object_new_string(tn->name));
	}
	/* Endpoints are ports of the switch too: their tenants, not seen
	 * among the ports' already. */
	for (i = 0; i < c->neps; i++) {
		const struct cmd_endpoint *e = &c->eps[i];
		const struct tenant *tn;
		bool seen = false;

		if (strcmp(e->spec.network, n->name))
			continue;
		for (j = 0; j < c->nports && !seen; j++)
			seen = !strcmp(c->ports[j].spec.network, n->name) &&
			       c->ports[j].tenant_id == e->tenant_id;
		for (j = 0; j < i && !seen; j++)
			seen = !strcmp(c->eps[j].spec.network, n->name) &&
			       c->eps[j].tenant_id == e->tenant_id;
		if (!seen && (tn = tenant_get(c->tenants, e->tenant_id)))
			json_object_array_add(t, json_object_new_string(tn->name));
	}
	json_object_object_add(o, "tenants", t);
	cmd_ju64(o, "fdb_entries", n->fdb.entries);
	cmd_ju64(o, "fdb_limit", n->fdb.limit);
	json_object_array_add(w->arr, o);
}

/**
 * cmd_reload() - re-read the config file and apply what changed
 * @c:		state
 * @result:	{"added":N,"changed":N,"removed":N,"unchanged":N}
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -errno (see reconcile_reload())
 */
static int cmd_reload(struct cmd_ctx *c, struct json_object *result,
		      char *err, size_t errlen)
{
	struct reconcile_counts n;
	int rc;

	log_info("reload requested");
	rc = reconcile_reload(c, &n, err, errlen);
	if (rc == -EIO) {
		char first[512];

		snprintf(first, sizeof(first), "%s", err);
		snprintf(err, errlen,
			 "reload: %u change%s failed (the others were made); first: %s",
			 n.failed, n.failed == 1 ? "" : "s", first);
	}
	if (rc)
		return rc;
	cmd_ju64(result, "added", n.added);
	cmd_ju64(result, "changed", n.changed);
	cmd_ju64(result, "removed", n.removed);
	cmd_ju64(result, "unchanged", n.unchanged);
	return 0;
}

/**
 * cmd_fdb_show() - the forwarding databases, of one network or all
 * @c:		state
 * @req:	fdb.show request
 * @result:	{"entries":[...]}
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -ENOENT for an unknown network
 */
static int cmd_fdb_show(struct cmd_ctx *c, const struct proto_request *req,
			struct json_object *result, char *err, size_t errlen)
{
	struct cmd_walk w = { .c = c, .filter = proto_arg_str(req, "network") };

	if (w.filter) {
		vnet_network_foreach(c->vnet, cmd_walk_network_find, &w);
		if (!w.found) {
			snprintf(err, errlen, "network '%.64s' not found",
				 w.filter);
			return -ENOENT;
		}
	}
	w.arr = json_object_new_array();
	json_object_object_add(result, "entries", w.arr);
	vnet_fdb_foreach(c->vnet, w.filter, cmd_walk_fdb, &w);
	return 0;
}

/**
 * struct cmd_stats - state of a stats command
 * @c:		command state
 * @port:	only this port, or -1
 * @tenant:	only this tenant's ports, or NULL
 * @networks:	networks array
 * @workers:	workers array
 * @snap:	every port's counters, read once, in port table order: the
 *		sums per network, per tenant and in total all add up the
 *		same figures, so they agree exactly even under traffic
 */
struct cmd_stats {
	const struct cmd_ctx *c;
	int port;
	const struct tenant *tenant;
	struct json_object *networks;
	struct json_object *workers;
	struct vnet_port_stats *snap;
};

/**
 * cmd_stats_selected() - is a port part of the stats asked for?
 * @s:		stats state
 * @i:		port index
 *
 * Return: true if selected
 */
static bool cmd_stats_selected(const struct cmd_stats *s, unsigned i)
{
	if (s->port >= 0)
		return (int)i == s->port;
	if (s->tenant)
		return s->c->ports[i].tenant_id == s->tenant->id;
	return true;
}

/**
 * cmd_walk_network() - vnet_network_foreach() callback: one stats network
 * @n:		network
 * @ctx:	struct cmd_stats
 */
static void cmd_walk_network(const struct vnet_network_info *n, void *ctx)
{
	struct cmd_stats *s = ctx;
	struct cmd_traffic t = { 0 };
	struct json_object *o, *f;
	bool used = !s->tenant && s->port < 0;
	unsigned i;

	/* Counters: the sum over its ports that the stats are about. */
	for (i = 0; i < s->c->nports; i++) {
		if (!cmd_stats_selected(s, i) ||
		    strcmp(s->c->ports[i].spec.network, n->name))
			continue;
		used = true;
		cmd_traffic_add(&t, &s->snap[i]);
	}
	if (!used)
		return;

	o = json_object_new_object();
	f = json_object_new_object();
	cmd_jstr(o, "name", n->name);
	cmd_ju64(o, "ports", n->ports);
	cmd_json_traffic(o, &t);
	cmd_ju64(f, "entries", n->fdb.entries);
	cmd_ju64(f, "limit", n->fdb.limit);
	cmd_ju64(f, "learned", n->fdb.learned);
	cmd_ju64(f, "moved", n->fdb.moved);
	cmd_ju64(f, "full", n->fdb.full);
	cmd_ju64(f, "aged", n->fdb.aged);
	cmd_ju64(f, "refused", n->fdb.refused);
	cmd_ju64(f, "port_full", n->fdb.port_full);
	json_object_object_add(o, "fdb", f);
	json_object_array_add(s->networks, o);
}

/**
 * cmd_walk_worker() - vnet_worker_foreach() callback: one stats worker
 * @wi:		worker
 * @ctx:	struct cmd_stats
 */
static void cmd_walk_worker(const struct vnet_worker_info *wi, void *ctx)
{
	struct cmd_stats *s = ctx;
	struct json_object *o = json_object_new_object();
	uint64_t pct = wi->id < CMD_MAX_WORKERS ? s->c->cpu[wi->id].pct_x100 : 0;
	char txt[32];

	cmd_ju64(o, "id", wi->id);
	cmd_ji64(o, "cpu", wi->cpu);
	cmd_ji64(o, "tid", wi->tid);
	cmd_ju64(o, "cpu_ns", wi->cpu_ns);
	/* Over the last control tick (one second); the text form keeps
	 * json-c from printing 17 digits.
	 */
	snprintf(txt, sizeof(txt), "%llu.%02llu",
		 (unsigned long long)(pct / 100),
		 (unsigned long long)(pct % 100));
	json_object_object_add(o, "cpu_percent",
			       json_object_new_double_s((double)pct / 100.0,
							txt));
	cmd_ju64(o, "batches", wi->batches);
	cmd_ju64(o, "frames", wi->frames);
	cmd_ju64(o, "idle_sleeps", wi->idle_sleeps);
	cmd_ju64(o, "express_rounds", wi->express);
	cmd_ju64(o, "express_yields", wi->express_yields);
	cmd_ju64(o, "nowait_refused", wi->nowait_refused);
	cmd_jstr(o, "ring_features", wi->ring_features);
	json_object_array_add(s->workers, o);
}

/**
 * struct cmd_tenant_sum - one tenant's line in stats
 */
struct cmd_tenant_sum {
	struct cmd_stats *s;
	struct json_object *arr;
	uint64_t all_cycles, all_cycles_now;
	struct vnet_tenant_stats sum;
};

/**
 * cmd_walk_tenant_cycles() - tenant_foreach() callback: sum every
 *			      tenant's cycles, the base of the shares
 * @tn:		tenant
 * @ctx:	struct cmd_tenant_sum
 */
static void cmd_walk_tenant_cycles(const struct tenant *tn, void *ctx)
{
	struct cmd_tenant_sum *ts = ctx;
	struct vnet_tenant_stats st;

	if (vnet_tenant_get(ts->s->c->vnet, tn->id, &st))
		return;
	ts->all_cycles += st.cycles;
	ts->all_cycles_now += st.cycles_now;
}

/**
 * cmd_json_work() - a tenant's work (or a sum of them) as members
 * @o:		object
 * @st:		counters
 */
static void cmd_json_work(struct json_object *o,
			  const struct vnet_tenant_stats *st)
{
	cmd_ju64(o, "packets", st->packets);
	cmd_ju64(o, "bytes", st->bytes);
	cmd_ju64(o, "cycles", st->cycles);
	cmd_ju64(o, "rate_bps", st->rate_bps);
	cmd_ju64(o, "pps", st->pps);
	cmd_ju64(o, "parks", st->parks);
	cmd_ju64(o, "throttles", st->throttles);
	cmd_ju64(o, "penalty_cycles", st->penalty_cycles);
	cmd_ju64(o, "quarantines", st->quarantines);
	cmd_ju64(o, "buffers", st->buffers);
	cmd_ju64(o, "buffer_waits", st->buffer_waits);
}

/**
 * cmd_walk_tenant_sum() - tenant_foreach() callback: one stats tenant,
 *			   its ports' counters summed
 * @tn:		tenant
 * @ctx:	struct cmd_tenant_sum
 */
static void cmd_walk_tenant_sum(const struct tenant *tn, void *ctx)
{
	struct cmd_tenant_sum *ts = ctx;
	const struct cmd_ctx *c = ts->s->c;
	struct cmd_traffic t = { 0 };
	struct vnet_tenant_stats st;
	struct json_object *o;
	unsigned i, n = 0;

	if (ts->s->tenant && ts->s->tenant->id != tn->id)
		return;
	if (ts->s->port >= 0 && c->ports[ts->s->port].tenant_id != tn->id)
		return;
	for (i = 0; i < c->nports; i++) {
		if (c->ports[i].tenant_id != tn->id)
			continue;
		n++;
		cmd_traffic_add(&t, &ts->s->snap[i]);
	}
	o = json_object_new_object();
	cmd_jstr(o, "name", tn->name);
	cmd_ju64(o, "ports", n);
	cmd_json_traffic(o, &t);
	cmd_ju64(o, "weight", tn->weight);
	cmd_ju64(o, "rate_cap_bps", tn->rate_bps);
	if (!vnet_tenant_get(c->vnet, tn->id, &st)) {
		cmd_json_work(o, &st);
		json_object_object_add(o, "share",
			json_object_new_double(ts->all_cycles
				? (double)st.cycles / (double)ts->all_cycles
				: 0.0));
		json_object_object_add(o, "share_now",
			json_object_new_double(ts->all_cycles_now
				? (double)st.cycles_now /
					  (double)ts->all_cycles_now
				: 0.0));
		ts->sum.packets += st.packets;
		ts->sum.bytes += st.bytes;
		ts->sum.cycles += st.cycles;
		ts->sum.rate_bps += st.rate_bps;
		ts->sum.pps += st.pps;
		ts->sum.parks += st.parks;
		ts->sum.throttles += st.throttles;
		ts->sum.penalty_cycles += st.penalty_cycles;
		ts->sum.quarantines += st.quarantines;
		ts->sum.buffers += st.buffers;
		ts->sum.buffer_waits += st.buffer_waits;
	}
	json_object_array_add(ts->arr, o);
}

/**
 * cmd_stats() - counters of ports, networks, tenants and workers
 * @c:		state
 * @req:	stats request, with an optional "port" or "tenant" filter
 * @result:	{"ports","networks","tenants","endpoints","workers","totals",
 *		"control","uptime_ns"}
 *
 * Each tenant carries its ports' traffic counters (rx_packets, ...,
 * drops) and its work as the workers accounted it: packets and bytes read
 * from its ports, cycles charged to it, share (its fraction of all
 * tenants' cycles since start) and share_now (the same over the last
 * tick), rate_bps and pps (over the last tick), parks and throttles
 * (times its intake was parked for its share and for its rate cap),
 * penalty_cycles (cycles added to its virtual time for frames dropped for
 * its fault), quarantines (times parked for sending too many of them),
 * buffers (worker buffers its reads hold now) and buffer_waits (reads not
 * posted because it held its share of them),
 * weight and rate_cap_bps. totals holds the sums of the same work fields
 * over the tenants listed, and sched (whether cycles are measured).
 * endpoints holds the shared stack's endpoints with their frame counters
 * (rx_frames, tx_frames, drops): the tenant's with --tenant, none with
 * --port.
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0, -EINVAL for both filters, -ENOENT for an unknown one
 */
static int cmd_stats(struct cmd_ctx *c, const struct proto_request *req,
		     struct json_object *result, char *err, size_t errlen)
{
	const char *port = proto_arg_str(req, "port");
	const char *tenant = proto_arg_str(req, "tenant");
	struct cmd_stats s = { .c = c, .port = -1 };
	struct cmd_tenant_sum ts = { .s = &s };
	struct cmd_traffic tot = { 0 };
	struct json_object *ports, *totals, *ctl;
	struct vnet_port_info info;
	unsigned i, n = 0;

	if (port && tenant) {
		snprintf(err, errlen,
			 "stats: --port and --tenant are mutually exclusive");
		return -EINVAL;
	}
	if (port && (s.port = cmd_port_find(c, port)) < 0) {
		if (cmd_ep_index(c, port) >= 0)
			snprintf(err, errlen,
				 "'%s' is an endpoint, not a port: see stats or endpoint list",
				 port);
		else
			snprintf(err, errlen, "port '%.64s' not found", port);
		return -ENOENT;
	}
	if (tenant && !(s.tenant = tenant_find(c->tenants, tenant))) {
		snprintf(err, errlen, "tenant '%.64s' not found", tenant);
		return -ENOENT;
	}

	s.snap = calloc(c->nports ? c->nports : 1, sizeof(*s.snap));
	if (!s.snap) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ports = json_object_new_array();
	json_object_object_add(result, "ports", ports);
	for (i = 0; i < c->nports; i++) {
		cmd_port_info(c, &c->ports[i], &info);
		s.snap[i] = info.stats;
		if (!cmd_stats_selected(&s, i))
			continue;
		json_object_array_add(ports, cmd_json_port_info(c, &c->ports[i],
								&info));
		cmd_traffic_add(&tot, &info.stats);
		n++;
	}

	s.networks = json_object_new_array();
	json_object_object_add(result, "networks", s.networks);
	vnet_network_foreach(c->vnet, cmd_walk_network, &s);

	ts.arr = json_object_new_array();
	json_object_object_add(result, "tenants", ts.arr);
	tenant_foreach(c->tenants, cmd_walk_tenant_cycles, &ts);
	tenant_foreach(c->tenants, cmd_walk_tenant_sum, &ts);

	cmd_ep_stats(c, s.tenant, s.port >= 0, result);

	s.workers = json_object_new_array();
	json_object_object_add(result, "workers", s.workers);
	vnet_worker_foreach(c->vnet, cmd_walk_worker, &s);

	totals = json_object_new_object();
	cmd_ju64(totals, "ports", n);
	cmd_json_traffic(totals, &tot);
	/* The work of the tenants listed above, summed */
	cmd_json_work(totals, &ts.sum);
	json_object_object_add(totals, "sched",
			       json_object_new_boolean(
				       vnet_sched_enabled(c->vnet)));
	json_object_object_add(result, "totals", totals);
	ctl = json_object_new_object();
	cmd_ju64(ctl, "clients", c->ctl.clients);
	cmd_ju64(ctl, "requests", c->ctl.requests);
	cmd_ju64(ctl, "throttled", c->ctl.throttled);
	json_object_object_add(result, "control", ctl);
	cmd_ju64(result, "uptime_ns", cmd_now_ns() - c->start_ns);
	free(s.snap);
	return 0;
}

/**
 * cmd_handle() - run one validated request
 * @c:		state
 * @req:	request
 * @result:	on success, the result object (owned by the caller)
 * @err:	on failure, the one line for the client
 * @errlen:	size of @err
 *
 * Return: 0 or -errno
 */
int cmd_handle(struct cmd_ctx *c, const struct proto_request *req,
	       struct json_object **result, char *err, size_t errlen)
{
	struct json_object *r = json_object_new_object(), *arr;
	struct spec_tenant t;
	struct spec_port p;
	const struct tenant *tn;
	struct cmd_walk w = { .c = c };
	unsigned i;
	int rc = 0;

	*result = NULL;
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}

	switch (req->cmd) {
	case PROTO_TENANT_ADD:
	case PROTO_TENANT_SET:
		if ((rc = cmd_req_tenant(req, &t, err, errlen)))
			break;
		if (req->cmd == PROTO_TENANT_ADD)
			rc = cmd_tenant_add(c, &t, NULL, err, errlen);
		else
			rc = cmd_tenant_set(c, &t, NULL, err, errlen);
		if (!rc && (tn = tenant_find(c->tenants, t.name)))
			json_object_object_add(r, "tenant",
					       cmd_json_tenant(c, tn));
		break;
	case PROTO_TENANT_DEL:
		rc = cmd_tenant_del(c, proto_arg_str(req, "name"), err, errlen);
		break;
	case PROTO_TENANT_LIST:
		w.arr = json_object_new_array();
		json_object_object_add(r, "tenants", w.arr);
		tenant_foreach(c->tenants, cmd_walk_tenant, &w);
		break;
	case PROTO_PORT_ADD:
		if ((rc = cmd_req_port(req, &p, err, errlen)))
			break;
		if ((rc = cmd_port_add(c, &p, NULL, err, errlen)))
			break;
		json_object_object_add(r, "port",
				       cmd_json_port(c, &c->ports[c->nports - 1]));
		break;
	case PROTO_PORT_DEL:
		rc = cmd_req_port_del(c, req, err, errlen);
		break;
	case PROTO_PORT_LIST:
		arr = json_object_new_array();
		json_object_object_add(r, "ports", arr);
		for (i = 0; i < c->nports; i++)
			json_object_array_add(arr, cmd_json_port(c,
							&c->ports[i]));
		break;
	case PROTO_FDB_SHOW:
		rc = cmd_fdb_show(c, req, r, err, errlen);
		break;
	case PROTO_STATS:
		rc = cmd_stats(c, req, r, err, errlen);
		break;
	case PROTO_NETWORK_LIST:
		w.arr = json_object_new_array();
		json_object_object_add(r, "networks", w.arr);
		vnet_network_foreach(c->vnet, cmd_walk_network_list, &w);
		break;
	case PROTO_RELOAD:
		rc = cmd_reload(c, r, err, errlen);
		break;
	case PROTO_ENDPOINT_ADD:
	case PROTO_ENDPOINT_DEL:
	case PROTO_ENDPOINT_LIST:
		rc = cmd_ep_handle(c, req, r, err, errlen);
		break;
	default:
		snprintf(err, errlen, "unknown command");
		rc = -EOPNOTSUPP;
		break;
	}

	if (rc) {
		json_object_put(r);
		return rc;
	}
	*result = r;
	return 0;
}

/**
 * cmd_metrics() - http_body_fn: the whole stats in the Prometheus format
 * @ctx:	struct cmd_ctx
 * @body:	malloc'd text on success
 * @len:	its length
 *
 * The same request as "vstackctl stats", so a scrape and stats --json
 * always agree on what exists and how it is counted.
 *
 * Return: 0 or -errno
 */
int cmd_metrics(void *ctx, char **body, size_t *len)
{
	static const char line[] = "{\"version\":1,\"command\":\"stats\"}";
	struct json_object *result = NULL;
	struct proto_request req;
	char err[256];
	int rc;

	if ((rc = proto_request_parse(line, sizeof(line) - 1, &req, err,
				      sizeof(err))))
		return rc;
	rc = cmd_handle(ctx, &req, &result, err, sizeof(err));
	proto_request_free(&req);
	if (rc)
		return rc;
	rc = metrics_render(result, body, len);
	json_object_put(result);
	return rc;
}
