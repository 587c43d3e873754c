// SPDX-License-Identifier: MIT
/*
 * reconcile.c - bring the running daemon in line with its config file and
 *		 state directory
 *
 * Theory of operation
 *
 * Tenants, ports and endpoints come from two places: sections of the
 * config file, and
 * vstackctl commands. Both are recorded in the state directory (state.h),
 * a config object together with the canonical text of its section (its
 * "fingerprint"). That is enough to decide, for every object, what to do
 * at start-up and on reload:
 *
 * Start-up (config file C, state records S, the persistent TAPs left by
 * the last run):
 *   - a section of C whose fingerprint matches its record in S: restored
 *     from the record, so a vstackctl change made to it since (tenant set)
 *     is kept, and its TAP is reattached, not recreated;
 *   - a section that is new or changed while vstackd was down: applied
 *     from C (a changed port's old device is destroyed first);
 *   - a config record of S whose section has left C: its device is
 *     destroyed, its record removed (but a tenant that sections of C or
 *     vstackctl records of S still use is kept, as vstackctl's, as on
 *     reload);
 *   - a port whose deletion or addition was cut short (its record set
 *     aside, state.h): its device, if still there, is deleted, and the
 *     record with it;
 *   - a vstackctl record of S: restored (a port by reattaching its TAP, or
 *     creating it again if the device is gone, e.g. after a reboot). A port
 *     whose namespace is gone is forgotten with a warning: the device died
 *     with the namespace and there is nowhere to put it back.
 *
 * Endpoints follow the same rules. They have no device, so there is
 * nothing to reattach or destroy: restoring one (from its record when its
 * section is unchanged, with the MAC and MTU it ran with) is adding it to
 * the stack again, and a section or record that is gone only takes its
 * record with it. Their TCP connections do not survive a restart.
 *
 * Reload (the file re-read, against the running objects): new sections
 * are added, removed ones deleted, changed ones changed (a tenant in place;
 * a port is deleted and added again, as its device must be made anew), and
 * unchanged ones are not touched at all, so their traffic does not notice.
 * A [daemon] key that cannot change while running is reported as taking
 * effect at the next start.
 *
 * A config object that fails at start-up fails the start (FILE:LINE: why);
 * a record of S that fails is reported and skipped; on reload every change
 * is attempted and the first failure is returned.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "log.h"
#include "notify.h"
#include "reconcile.h"
#include "state.h"
#include "tenant.h"

/**
 * reconcile_fail() - note a failure; the first one is what is reported
 * @n:		counts
 * @err:	first failure so far
 * @errlen:	size of @err
 * @what:	this failure
 */
static void reconcile_fail(struct reconcile_counts *n, char *err,
			   size_t errlen, const char *what)
{
	if (!n->failed++)
		snprintf(err, errlen, "%s", what);
	log_err("%s", what);
}

/**
 * reconcile_skip() - note a state record that could not be restored
 * @n:		counts
 * @what:	why
 */
static void reconcile_skip(struct reconcile_counts *n, const char *what)
{
	n->failed++;
	log_err("%s", what);
}

/**
 * reconcile_tenant_full() - a tenant spec that says every field
 * @t:		spec as written (absent fields are defaults)
 * @full:	result: absent fields set to their defaults explicitly
 *
 * cmd_tenant_set() keeps what is not given; to make a tenant exactly what
 * a section says, every field must be given.
 */
static void reconcile_tenant_full(const struct spec_tenant *t,
				  struct spec_tenant *full)
{
	*full = *t;
	if (!full->has_pid)
		full->has_cgroup = true; /* "" unbinds */
	full->has_weight = true;	 /* 0: the cgroup's */
	full->has_rate = true;		 /* 0: no cap */
}

/**
 * reconcile_tenant_put() - add a tenant, or make an existing one match
 * @c:		state
 * @t:		spec
 * @config:	its section's fingerprint, or NULL (vstackctl)
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -errno
 */
static int reconcile_tenant_put(struct cmd_ctx *c, const struct spec_tenant *t,
				const char *config, char *err, size_t errlen)
{
	struct spec_tenant full;
	int rc;

	if (!tenant_find(c->tenants, t->name))
		return cmd_tenant_add(c, t, config, err, errlen);
	reconcile_tenant_full(t, &full);
	rc = cmd_tenant_set(c, &full, config, err, errlen);
	if (!rc && !config)
		cmd_tenant_origin(c, t->name, NULL);
	return rc;
}

/* Tenants and ports are looked up by name in four arrays (state records,
 * config sections); each element starts with its spec, and each spec with
 * its name. */
_Static_assert(offsetof(struct state_tenant, spec.name) == 0, "name first");
_Static_assert(offsetof(struct state_port, spec.name) == 0, "name first");
_Static_assert(offsetof(struct config_tenant, spec.name) == 0, "name first");
_Static_assert(offsetof(struct config_port, spec.name) == 0, "name first");
_Static_assert(offsetof(struct state_endpoint, spec.name) == 0, "name first");
_Static_assert(offsetof(struct config_endpoint, spec.name) == 0, "name first");

/**
 * reconcile_find() - the element called @name of an array of such structs
 * @base:	array
 * @n:		number of elements
 * @size:	size of one
 * @name:	name looked for
 *
 * Return: the element, or NULL
 */
static const void *reconcile_find(const void *base, unsigned n, size_t size,
				  const char *name)
{
	const char *e = base;
	unsigned i;

	for (i = 0; i < n; i++, e += size)
		if (!strcmp(e, name))
			return e;
	return NULL;
}

#define reconcile_find_tenant(snap, name) \
	((const struct state_tenant *)reconcile_find((snap)->tenants, \
		(snap)->ntenants, sizeof(*(snap)->tenants), (name)))
#define reconcile_find_port(snap, name) \
	((const struct state_port *)reconcile_find((snap)->ports, \
		(snap)->nports, sizeof(*(snap)->ports), (name)))
#define reconcile_config_tenant(cfg, name) \
	((const struct config_tenant *)reconcile_find((cfg)->tenants, \
		(cfg)->ntenants, sizeof(*(cfg)->tenants), (name)))
#define reconcile_config_port(cfg, name) \
	((const struct config_port *)reconcile_find((cfg)->ports, \
		(cfg)->nports, sizeof(*(cfg)->ports), (name)))
#define reconcile_find_endpoint(snap, name) \
	((const struct state_endpoint *)reconcile_find((snap)->endpoints, \
		(snap)->nendpoints, sizeof(*(snap)->endpoints), (name)))
#define reconcile_config_endpoint(cfg, name) \
	((const struct config_endpoint *)reconcile_find((cfg)->endpoints, \
		(cfg)->nendpoints, sizeof(*(cfg)->endpoints), (name)))

/**
 * reconcile_tenant_used() - will ports or endpoints still use a tenant?
 * @cfg:	config file
 * @snap:	state records
 * @name:	tenant
 *
 * Return: true if a [port] or [endpoint] section, or a port or endpoint
 * record of vstackctl's, names it
 */
static bool reconcile_tenant_used(const struct config *cfg,
				  const struct state_snapshot *snap,
				  const char *name)
{
	unsigned i;

	for (i = 0; i < cfg->nports; i++)
		if (!strcmp(cfg->ports[i].spec.tenant, name))
			return true;
	for (i = 0; i < cfg->nendpoints; i++)
		if (!strcmp(cfg->endpoints[i].spec.tenant, name))
			return true;
	for (i = 0; i < snap->nports; i++)
		if (!snap->ports[i].config &&
		    !strcmp(snap->ports[i].spec.tenant, name))
			return true;
	for (i = 0; i < snap->nendpoints; i++)
		if (!snap->endpoints[i].config &&
		    !strcmp(snap->endpoints[i].spec.tenant, name))
			return true;
	return false;
}

/**
 * reconcile_start_tenants() - the tenants at start-up
 * @c:		state
 * @cfg:	config file
 * @snap:	state records
 * @n:		counts
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -errno if a config section failed
 */
static int reconcile_start_tenants(struct cmd_ctx *c, const struct config *cfg,
				   const struct state_snapshot *snap,
				   struct reconcile_counts *n, char *err,
				   size_t errlen)
{
	char why[512], msg[1024];
	unsigned i;
	int rc;

	for (i = 0; i < cfg->ntenants; i++) {
		const struct spec_tenant *t = &cfg->tenants[i].spec;
		const struct state_tenant *rec =
			reconcile_find_tenant(snap, t->name);
		char *fp = state_tenant_fingerprint(t);
		bool same = fp && rec && rec->config && !strcmp(rec->config, fp);

		if (!fp)
			return -ENOMEM;
		rc = reconcile_tenant_put(c, same ? &rec->spec : t, fp, why,
					  sizeof(why));
		free(fp);
		if (rc) {
			snprintf(err, errlen, "%s:%u: tenant %s: %s", cfg->file,
				 cfg->tenants[i].line, t->name, why);
			return rc;
		}
		if (same)
			n->restored++;
		else
			n->added++;
	}
	for (i = 0; i < snap->ntenants; i++) {
		const struct state_tenant *rec = &snap->tenants[i];
		const struct tenant *tn;

		if (reconcile_config_tenant(cfg, rec->spec.name))
			continue;
		if (rec->config &&
		    (!strcmp(rec->spec.name, TENANT_DEFAULT) ||
		     !reconcile_tenant_used(cfg, snap, rec->spec.name))) {
			/* Its section left the file while we were down
			 * ("default", always there, is back to its
			 * defaults). */
			if (c->state)
				state_del_tenant(c->state, rec->spec.name);
			n->removed++;
			continue;
		}
		/* Ports or endpoints still use it: keep it, as if vstackctl
		 * had added it (as a reload does). */
		if (rec->config)
			log_warn("tenant %s left the config file but stays: "
				 "ports or endpoints use it",
				 rec->spec.name);
		rc = reconcile_tenant_put(c, &rec->spec, NULL, why,
					  sizeof(why));
		tn = tenant_find(c->tenants, rec->spec.name);
		if (rc && rec->spec.has_cgroup && (!tn || !tn->cgroup[0])) {
			/* Most likely its cgroup is gone: keep the account
			 * (and its ports), and the record as it is; it is
			 * bound again when the cgroup comes back. */
			log_warn("tenant %s: %s; restored without its cgroup until it is back",
				 rec->spec.name, why);
			rc = cmd_tenant_restore_unbound(c, &rec->spec,
							rec->cgroup_weight,
							why, sizeof(why));
		}
		if (rc) {
			snprintf(msg, sizeof(msg),
				 "tenant %s: cannot restore it: %s",
				 rec->spec.name, why);
			reconcile_skip(n, msg);
			continue;
		}
		n->restored++;
	}
	return 0;
}

/**
 * reconcile_start_ports() - the ports at start-up
 * @c:		state
 * @cfg:	config file
 * @snap:	state records
 * @n:		counts
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -errno if a config section failed
 */
static int reconcile_start_ports(struct cmd_ctx *c, const struct config *cfg,
				 const struct state_snapshot *snap,
				 struct reconcile_counts *n, char *err,
				 size_t errlen)
{
	char why[512], msg[1024];
	unsigned i;
	int rc;

	/* Deletions and additions a crash cut short, first: a section or
	 * record of the same name may want the device's name. */
	for (i = 0; i < snap->ndeleting; i++) {
		const struct state_port *rec = &snap->deleting[i];

		rc = cmd_port_finish_del(c, rec, why, sizeof(why));
		if (rc) {
			snprintf(msg, sizeof(msg),
				 "port %s: vstackd stopped while adding or deleting it, and its device cannot be removed: %s",
				 rec->spec.name, why);
			reconcile_skip(n, msg);
		} else {
			log_info("port %s: vstackd stopped while adding or deleting it; its device is deleted",
				 rec->spec.name);
		}
	}
	for (i = 0; i < cfg->nports; i++) {
		const struct spec_port *p = &cfg->ports[i].spec;
		const struct state_port *rec = reconcile_find_port(snap, p->name);
		char *fp = state_port_fingerprint(p);
		bool same = fp && rec && rec->config && !strcmp(rec->config, fp);

		if (!fp)
			return -ENOMEM;
		if (same) {
			rc = cmd_port_restore(c, rec, why, sizeof(why));
			if (rc == -ESRCH) {
				/* Its namespace is new: make it anew. */
				log_warn("port %s: %s; creating it again",
					 p->name, why);
				same = false;
			}
		}
		if (!same) {
			if (rec && (rc = cmd_port_destroy(c, rec, why,
							  sizeof(why))))
				log_warn("port %s: cannot remove the old device: %s",
					 p->name, why);
			rc = cmd_port_add(c, p, fp, why, sizeof(why));
		}
		free(fp);
		if (rc) {
			snprintf(err, errlen, "%s:%u: port %s: %s", cfg->file,
				 cfg->ports[i].line, p->name, why);
			return rc;
		}
		if (same)
			n->restored++;
		else
			n->added++;
	}
	for (i = 0; i < snap->nports; i++) {
		const struct state_port *rec = &snap->ports[i];

		if (reconcile_config_port(cfg, rec->spec.name))
			continue;
		if (rec->config) {
			rc = cmd_port_destroy(c, rec, why, sizeof(why));
			if (rc) {
				snprintf(msg, sizeof(msg),
					 "port %s: its section is gone but its device cannot be removed: %s",
					 rec->spec.name, why);
				reconcile_skip(n, msg);
			} else {
				log_info("port %s: its section left the config file; removed",
					 rec->spec.name);
				n->removed++;
			}
			continue;
		}
		rc = cmd_port_restore(c, rec, why, sizeof(why));
		if (rc == -ESRCH) {
			log_warn("port %s: %s; the port is forgotten",
				 rec->spec.name, why);
			if (c->state)
				state_del_port(c->state, rec->spec.name);
			n->removed++;
		} else if (rc) {
			snprintf(msg, sizeof(msg),
				 "port %s: cannot restore it: %s (its record is kept)",
				 rec->spec.name, why);
			reconcile_skip(n, msg);
		} else {
			n->restored++;
		}
	}
	return 0;
}

/**
 * reconcile_start_endpoints() - the endpoints at start-up
 * @c:		state
 * @cfg:	config file
 * @snap:	state records
 * @n:		counts
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -errno if a config section failed
 */
static int reconcile_start_endpoints(struct cmd_ctx *c,
				     const struct config *cfg,
				     const struct state_snapshot *snap,
				     struct reconcile_counts *n, char *err,
				     size_t errlen)
{
	char why[512], msg[1024];
	unsigned i;
	int rc;

	for (i = 0; i < cfg->nendpoints; i++) {
		const struct spec_endpoint *e = &cfg->endpoints[i].spec;
		const struct state_endpoint *rec =
			reconcile_find_endpoint(snap, e->name);
		char *fp = state_endpoint_fingerprint(e);
		bool same = fp && rec && rec->config && !strcmp(rec->config, fp);

		if (!fp)
			return -ENOMEM;
		/* Unchanged: as it ran (its MAC and MTU), from its record. */
		rc = cmd_ep_add(c, same ? &rec->spec : e, fp, why, sizeof(why));
		free(fp);
		if (rc) {
			snprintf(err, errlen, "%s:%u: endpoint %s: %s",
				 cfg->file, cfg->endpoints[i].line, e->name,
				 why);
			return rc;
		}
		if (same)
			n->restored++;
		else
			n->added++;
	}
	for (i = 0; i < snap->nendpoints; i++) {
		const struct state_endpoint *rec = &snap->endpoints[i];

		if (reconcile_config_endpoint(cfg, rec->spec.name))
			continue;
		if (rec->config) {
			/* Its section left the file while we were down. */
			if (c->state)
				state_del_endpoint(c->state, rec->spec.name);
			log_info("endpoint %s: its section left the config file; removed",
				 rec->spec.name);
			n->removed++;
			continue;
		}
		rc = cmd_ep_add(c, &rec->spec, NULL, why, sizeof(why));
		if (rc) {
			snprintf(msg, sizeof(msg),
				 "endpoint %s: cannot restore it: %s (its record is kept)",
				 rec->spec.name, why);
			reconcile_skip(n, msg);
		} else {
			n->restored++;
		}
	}
	return 0;
}

/**
 * reconcile_start() - create the tenants, ports and endpoints at start-up
 * @c:		state, with no tenant but "default", no port and no endpoint
 *		yet
 * @cfg:	the config file (may have no sections)
 * @snap:	the state directory's records (may be empty)
 * @n:		what was done
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -errno if a config section could not be applied (a state
 * record that cannot be restored is logged and counted in @n->failed)
 */
int reconcile_start(struct cmd_ctx *c, const struct config *cfg,
		    const struct state_snapshot *snap,
		    struct reconcile_counts *n, char *err, size_t errlen)
{
	int rc;

	memset(n, 0, sizeof(*n));
	/* A full state directory must not keep objects from coming back:
	 * their records are on disk already, or their sections are. */
	c->restoring = true;
	if (!(rc = reconcile_start_tenants(c, cfg, snap, n, err, errlen)) &&
	    !(rc = reconcile_start_ports(c, cfg, snap, n, err, errlen)))
		rc = reconcile_start_endpoints(c, cfg, snap, n, err, errlen);
	c->restoring = false;
	return rc;
}

/**
 * reconcile_daemon() - apply what can change of the [daemon] section
 * @c:		state
 * @file:	the re-read [daemon] section
 */
static void reconcile_daemon(struct cmd_ctx *c, const struct config_daemon *file)
{
	static const struct {
		unsigned bit;
		const char *key;
	} later[] = {
		{ CONFIG_WORKERS, "workers" },	   { CONFIG_CPUS, "cpus" },
		{ CONFIG_SOCKET, "socket" },	   { CONFIG_FDB_LIMIT, "fdb-limit" },
		{ CONFIG_FDB_AGING, "fdb-aging" }, { CONFIG_BUSY_POLL, "busy-poll" },
		{ CONFIG_ARENA_BUFS, "arena-bufs" }, { CONFIG_NAPI, "napi" },
		{ CONFIG_APP_SOCKET, "app-socket" }, { CONFIG_ONE_HOP, "one-hop" },
		{ CONFIG_FDB_MAX, "fdb-max" },	   { CONFIG_SCHED, "sched" },
		{ CONFIG_STATE, "state" },	   { CONFIG_METRICS, "metrics" },
	};
	struct config_daemon d = *file;
	unsigned i;

	/* The command line still wins over the file. */
	config_daemon_merge(&d, &c->cli);
	if (!(d.set & CONFIG_SOCKET))
		snprintf(d.socket, sizeof(d.socket), "%s", c->daemon.socket);
	if (!(d.set & CONFIG_APP_SOCKET))
		snprintf(d.app_socket, sizeof(d.app_socket), "%s",
			 c->daemon.app_socket);
	for (i = 0; i < sizeof(later) / sizeof(later[0]); i++) {
		unsigned b = later[i].bit;
		bool differs;

		if ((d.set & b) != (c->daemon.set & b)) {
			differs = true;
		} else if (!(d.set & b)) {
			differs = false;
		} else {
			switch (b) {
			case CONFIG_WORKERS: differs = d.workers != c->daemon.workers; break;
			case CONFIG_CPUS:
				differs = d.ncpus != c->daemon.ncpus ||
					  memcmp(d.cpus, c->daemon.cpus,
						 d.ncpus * sizeof(d.cpus[0]));
				break;
			case CONFIG_SOCKET: differs = strcmp(d.socket, c->daemon.socket); break;
			case CONFIG_FDB_LIMIT: differs = d.fdb_limit != c->daemon.fdb_limit; break;
			case CONFIG_FDB_AGING: differs = d.fdb_aging_s != c->daemon.fdb_aging_s; break;
			case CONFIG_FDB_MAX: differs = d.fdb_max != c->daemon.fdb_max; break;
			case CONFIG_BUSY_POLL: differs = d.busy_poll_us != c->daemon.busy_poll_us; break;
			case CONFIG_ARENA_BUFS: differs = d.arena_bufs != c->daemon.arena_bufs; break;
			case CONFIG_APP_SOCKET:
				differs = strcmp(d.app_socket, c->daemon.app_socket);
				break;
			case CONFIG_NAPI: differs = d.napi != c->daemon.napi; break;
			case CONFIG_ONE_HOP: differs = d.one_hop != c->daemon.one_hop; break;
			case CONFIG_SCHED: differs = d.sched != c->daemon.sched; break;
			case CONFIG_STATE: differs = strcmp(d.state, c->daemon.state); break;
			default: differs = strcmp(d.metrics, c->daemon.metrics); break;
			}
		}
		if (differs)
			log_warn("reload: [daemon] %s changed; it takes effect when vstackd is restarted",
				 later[i].key);
	}
	/* A log-level gone from the file (and not on the command line) is
	 * the default again, as at a start with this file. */
	if (!(d.set & CONFIG_LOG_LEVEL))
		d.log_level = LOG_LEVEL_INFO;
	if (d.log_level != log_get_level()) {
		log_set_level(d.log_level);
		log_info("reload: log level is now %s",
			 log_level_name(d.log_level));
	}
	c->daemon.log_level = d.log_level;
	c->daemon.set = (c->daemon.set & ~(unsigned)CONFIG_LOG_LEVEL) |
			(d.set & CONFIG_LOG_LEVEL);
}

/**
 * reconcile_reload_tenants() - add and change the file's tenants
 * @c:		state
 * @cfg:	re-read config file
 * @n:		counts
 * @err:	first failure
 * @errlen:	size of @err
 */
static void reconcile_reload_tenants(struct cmd_ctx *c,
				     const struct config *cfg,
				     struct reconcile_counts *n, char *err,
				     size_t errlen)
{
	char why[512], msg[1024];
	unsigned i;

	for (i = 0; i < cfg->ntenants; i++) {
		const struct spec_tenant *t = &cfg->tenants[i].spec;
		const char *cur = cmd_tenant_config(c, t->name);
		bool exists = tenant_find(c->tenants, t->name);
		char *fp = state_tenant_fingerprint(t);

		if (!fp) {
			reconcile_fail(n, err, errlen, "reload: out of memory");
			return;
		}
		if (exists && cur && !strcmp(cur, fp)) {
			n->unchanged++;
		} else if (reconcile_tenant_put(c, t, fp, why, sizeof(why))) {
			snprintf(msg, sizeof(msg), "%s:%u: tenant %s: %s",
				 cfg->file, cfg->tenants[i].line, t->name, why);
			reconcile_fail(n, err, errlen, msg);
		} else if (exists) {
			n->changed++;
		} else {
			n->added++;
		}
		free(fp);
	}
}

/**
 * reconcile_reload_ports() - add, change and remove the file's ports
 * @c:		state
 * @cfg:	re-read config file
 * @n:		counts
 * @err:	first failure
 * @errlen:	size of @err
 */
static void reconcile_reload_ports(struct cmd_ctx *c, const struct config *cfg,
				   struct reconcile_counts *n, char *err,
				   size_t errlen)
{
	char why[512], msg[1024], name[SPEC_IFNAME_MAX];
	unsigned i;
	int k;

	/* Removed sections first, so a name can move between sections. */
	for (k = (int)c->nports - 1; k >= 0; k--) {
		const struct cmd_port *p = &c->ports[k];

		if (!p->config || reconcile_config_port(cfg, p->spec.name))
			continue;
		snprintf(name, sizeof(name), "%s", p->spec.name);
		if (cmd_port_del(c, name, why, sizeof(why))) {
			snprintf(msg, sizeof(msg), "reload: port %s: %s", name,
				 why);
			reconcile_fail(n, err, errlen, msg);
		} else {
			n->removed++;
		}
	}
	for (i = 0; i < cfg->nports; i++) {
		const struct spec_port *p = &cfg->ports[i].spec;
		int at = cmd_port_index(c, p->name);
		char *fp = state_port_fingerprint(p);
		bool changed = at >= 0;

		if (!fp) {
			reconcile_fail(n, err, errlen, "reload: out of memory");
			return;
		}
		if (at >= 0 && c->ports[at].config &&
		    !strcmp(c->ports[at].config, fp)) {
			n->unchanged++;
			free(fp);
			continue;
		}
		if (at >= 0 && cmd_port_can_replace(c, p, why, sizeof(why))) {
			snprintf(msg, sizeof(msg),
				 "%s:%u: port %s: %s (the port is kept as it was)",
				 cfg->file, cfg->ports[i].line, p->name, why);
			reconcile_fail(n, err, errlen, msg);
		} else if (at >= 0 &&
			   cmd_port_del(c, p->name, why, sizeof(why))) {
			snprintf(msg, sizeof(msg), "%s:%u: port %s: %s",
				 cfg->file, cfg->ports[i].line, p->name, why);
			reconcile_fail(n, err, errlen, msg);
		} else if (cmd_port_add(c, p, fp, why, sizeof(why))) {
			snprintf(msg, sizeof(msg), "%s:%u: port %s: %s",
				 cfg->file, cfg->ports[i].line, p->name, why);
			reconcile_fail(n, err, errlen, msg);
		} else if (changed) {
			n->changed++;
		} else {
			n->added++;
		}
		free(fp);
	}
}

/**
 * reconcile_reload_gone_endpoints() - delete endpoints whose section is gone
 * @c:		state
 * @cfg:	re-read config file
 * @n:		counts
 * @err:	first failure
 * @errlen:	size of @err
 *
 * Before any section is added, so that a name can move between a [port]
 * and an [endpoint] section in one reload.
 */
static void reconcile_reload_gone_endpoints(struct cmd_ctx *c,
					    const struct config *cfg,
					    struct reconcile_counts *n,
					    char *err, size_t errlen)
{
	char why[512], msg[1024], name[SPEC_IFNAME_MAX];
	int k;

	for (k = (int)c->neps - 1; k >= 0; k--) {
		const struct cmd_endpoint *e = &c->eps[k];

		if (!e->config || reconcile_config_endpoint(cfg, e->spec.name))
			continue;
		snprintf(name, sizeof(name), "%s", e->spec.name);
		if (cmd_ep_del(c, name, why, sizeof(why))) {
			snprintf(msg, sizeof(msg), "reload: endpoint %s: %s",
				 name, why);
			reconcile_fail(n, err, errlen, msg);
		} else {
			n->removed++;
		}
	}
}

/**
 * reconcile_reload_endpoints() - add and change the file's endpoints
 * @c:		state
 * @cfg:	re-read config file
 * @n:		counts
 * @err:	first failure
 * @errlen:	size of @err
 *
 * A changed endpoint is deleted and added again: its sockets are reset.
 */
static void reconcile_reload_endpoints(struct cmd_ctx *c,
				       const struct config *cfg,
				       struct reconcile_counts *n, char *err,
				       size_t errlen)
{
	char why[512], msg[1024];
	unsigned i;

	for (i = 0; i < cfg->nendpoints; i++) {
		const struct spec_endpoint *e = &cfg->endpoints[i].spec;
		int at = cmd_ep_index(c, e->name);
		char *fp = state_endpoint_fingerprint(e);

		if (!fp) {
			reconcile_fail(n, err, errlen, "reload: out of memory");
			return;
		}
		if (at >= 0 && c->eps[at].config &&
		    !strcmp(c->eps[at].config, fp)) {
			n->unchanged++;
		} else if (at >= 0 && !tenant_find(c->tenants, e->tenant)) {
			/* As for a port (cmd_port_can_replace()): not
			 * deleted for an add that must fail. */
			snprintf(msg, sizeof(msg),
				 "%s:%u: endpoint %s: tenant '%s' not found (the endpoint is kept as it was)",
				 cfg->file, cfg->endpoints[i].line, e->name,
				 e->tenant);
			reconcile_fail(n, err, errlen, msg);
		} else if (at >= 0 &&
			   cmd_ep_address_taken(c, e, why, sizeof(why))) {
			snprintf(msg, sizeof(msg),
				 "%s:%u: endpoint %s: %s (the endpoint is kept as it was)",
				 cfg->file, cfg->endpoints[i].line, e->name,
				 why);
			reconcile_fail(n, err, errlen, msg);
		} else if ((at >= 0 && cmd_ep_del(c, e->name, why,
						  sizeof(why))) ||
			   cmd_ep_add(c, e, fp, why, sizeof(why))) {
			snprintf(msg, sizeof(msg), "%s:%u: endpoint %s: %s",
				 cfg->file, cfg->endpoints[i].line, e->name,
				 why);
			reconcile_fail(n, err, errlen, msg);
		} else if (at >= 0) {
			n->changed++;
		} else {
			n->added++;
		}
		free(fp);
	}
}

/**
 * reconcile_reload_gone_tenants() - remove tenants whose section is gone
 * @c:		state
 * @cfg:	re-read config file
 * @n:		counts
 * @err:	first failure
 * @errlen:	size of @err
 */
static void reconcile_reload_gone_tenants(struct cmd_ctx *c,
					  const struct config *cfg,
					  struct reconcile_counts *n, char *err,
					  size_t errlen)
{
	char why[512], msg[1024], name[SPEC_NAME_MAX];
	struct spec_tenant bare;
	unsigned i = 0;

	while (i < c->ntorigin) {
		snprintf(name, sizeof(name), "%s", c->torigin[i].name);
		if (reconcile_config_tenant(cfg, name)) {
			i++;
			continue;
		}
		if (!strcmp(name, TENANT_DEFAULT)) {
			/* Always there: back to its defaults. */
			spec_tenant_init(&bare);
			snprintf(bare.name, sizeof(bare.name), "%s", name);
			if (reconcile_tenant_put(c, &bare, NULL, why,
						 sizeof(why))) {
				snprintf(msg, sizeof(msg),
					 "reload: tenant %s: %s", name, why);
				reconcile_fail(n, err, errlen, msg);
				cmd_tenant_origin(c, name, NULL);
			} else {
				n->changed++;
			}
			continue; /* its origin entry is gone now */
		}
		if (cmd_tenant_del(c, name, why, sizeof(why))) {
			/* Ports or endpoints added by vstackctl still use
			 * it: keep it, as if vstackctl had added it. */
			log_warn("reload: tenant %s left the config file but stays: %s",
				 name, why);
			cmd_tenant_origin(c, name, NULL);
			continue;
		}
		n->removed++;
	}
}

/**
 * reconcile_reload() - re-read the config file and apply what changed
 * @c:		state (c->config_path is the file)
 * @n:		what was done
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0, -ENOENT without a config file, -EINVAL if the file does not
 * parse (nothing is changed then), or -EIO if some change failed (the
 * others were made; @err has the first failure)
 */
int reconcile_reload(struct cmd_ctx *c, struct reconcile_counts *n,
		     char *err, size_t errlen)
{
	struct config cfg = { .file = "" };
	int rc;

	memset(n, 0, sizeof(*n));
	if (!c->config_path) {
		snprintf(err, errlen,
			 "reload: vstackd was started without --config; there is nothing to re-read");
		return -ENOENT;
	}
	/* systemd (Type=notify) wants RELOADING=1 first and READY=1 once
	 * the reload is over, whatever its outcome. */
	notify_reloading("Reloading %s", c->config_path);
	if ((rc = config_parse_file(&cfg, c->config_path, err, errlen))) {
		config_free(&cfg);
		notify_ready("Serving; the reload of %s failed: %s",
			     c->config_path, err);
		return rc;
	}
	reconcile_daemon(c, &cfg.daemon);
	reconcile_reload_tenants(c, &cfg, n, err, errlen);
	reconcile_reload_gone_endpoints(c, &cfg, n, err, errlen);
	reconcile_reload_ports(c, &cfg, n, err, errlen);
	reconcile_reload_endpoints(c, &cfg, n, err, errlen);
	reconcile_reload_gone_tenants(c, &cfg, n, err, errlen);
	config_free(&cfg);
	log_info("reload of %s: %u added, %u changed, %u removed, %u unchanged%s",
		 c->config_path, n->added, n->changed, n->removed, n->unchanged,
		 n->failed ? ", some changes failed" : "");
	notify_ready("Serving; reloaded %s: %u added, %u changed, %u removed%s",
		     c->config_path, n->added, n->changed, n->removed,
		     n->failed ? ", some changes failed" : "");
	return n->failed ? -EIO : 0;
}
