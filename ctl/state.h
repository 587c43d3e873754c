/* SPDX-License-Identifier: MIT */
/*
 * state.h - the state directory: what the daemon runs, kept across restarts
 *
 * Every tenant, port and endpoint the daemon has is one small JSON file in
 * the state directory (default /var/lib/vstack): tenants/NAME.json,
 * ports/NAME.json, endpoints/NAME.json.
 * A change rewrites or removes one file (written beside it, then renamed
 * over it), so a change costs the same with 10 or 4,000 ports, and a crash
 * at any instant leaves either the old or the new record, never half.
 *
 * Deleting a port renames its record to ports/NAME.json.del before the
 * device goes, and removes that file after: a crash in between leaves a
 * device no record would claim, and the next start, finding the renamed
 * record, finishes the deletion (reconcile.c). Adding one writes such a
 * record before the device is made (state_put_port_pending()), so a
 * crash before the port has its record does not leave a device either.
 * state_put_port() removes a stale NAME.json.del, and a NAME.json beside
 * one wins.
 *
 * A record remembers where its object came from: a [tenant]/[port]/[endpoint]
 * section
 * of the config file (then it also keeps that section, canonically, as
 * "config", so a changed section can be told from an unchanged one), or a
 * vstackctl command. See reconcile.c for how start-up and reload use it.
 *
 * Records are read back as untrusted input: every value goes through the
 * same spec setters as a vstackctl argument, and a bad record is reported
 * and skipped, never trusted.
 */
#ifndef VSTACK_CTL_STATE_H
#define VSTACK_CTL_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spec.h"

#define STATE_DIR_DEFAULT "/var/lib/vstack"
#define STATE_VERSION 1

struct json_object;
struct state;

/**
 * struct state_port - a port's record
 * @spec:	the port as it runs (MAC and MTU always filled in)
 * @config:	canonical JSON of its config section, NULL if added by
 *		vstackctl (owned by the record)
 * @netns_dev:	device of the namespace it was moved to (0: vstackd's)
 * @netns_ino:	inode of that namespace; tells a namespace from a later one
 *		that reuses its name or its process id
 */
struct state_port {
	struct spec_port spec;
	char *config;
	uint64_t netns_dev;
	uint64_t netns_ino;
};

/**
 * struct state_tenant - a tenant's record
 * @spec:	the tenant as it runs: its cgroup as a path (a --pid is
 *		resolved when the tenant is added), weight only if overridden
 * @config:	as for struct state_port
 */
struct state_tenant {
	struct spec_tenant spec;
	char *config;
	uint32_t cgroup_weight; /* last read from its cgroup, 0: none */
};

/**
 * struct state_endpoint - an endpoint's record
 * @spec:	the endpoint as it runs (MAC and MTU always filled in)
 * @config:	as for struct state_port
 */
struct state_endpoint {
	struct spec_endpoint spec;
	char *config;
};

/**
 * struct state_snapshot - every record of a state directory, each kind in
 *			   name order
 * @deleting:	ports whose deletion was cut short (NAME.json.del): their
 *		devices may still be there, and are to go
 * @ndeleting:	number of @deleting
 */
struct state_snapshot {
	struct state_tenant *tenants;
	unsigned ntenants;
	struct state_port *ports;
	unsigned nports;
	struct state_port *deleting;
	unsigned ndeleting;
	struct state_endpoint *endpoints;
	unsigned nendpoints;
};

int state_open(struct state **out, const char *dir, char *err,
	       size_t errlen);
void state_close(struct state *s);
const char *state_dir(const struct state *s);
int state_load(struct state *s, struct state_snapshot *snap, char *err,
	       size_t errlen);
void state_snapshot_free(struct state_snapshot *snap);

int state_put_port(struct state *s, const struct state_port *p);
int state_put_tenant(struct state *s, const struct state_tenant *t);
int state_put_endpoint(struct state *s, const struct state_endpoint *e);
int state_del_port(struct state *s, const char *name);
int state_put_port_pending(struct state *s, const struct state_port *p);
int state_port_deleting(struct state *s, const char *name);
int state_port_deleted(struct state *s, const char *name);
int state_del_endpoint(struct state *s, const char *name);
int state_del_tenant(struct state *s, const char *name);
int state_sync(struct state *s);

struct json_object *state_port_json(const struct spec_port *p);
struct json_object *state_tenant_json(const struct spec_tenant *t);
struct json_object *state_endpoint_json(const struct spec_endpoint *e);
int state_port_parse(struct json_object *o, struct state_port *p, char *err,
		     size_t errlen);
int state_endpoint_parse(struct json_object *o, struct state_endpoint *e,
			 char *err, size_t errlen);
int state_tenant_parse(struct json_object *o, struct state_tenant *t,
		       char *err, size_t errlen);
char *state_port_fingerprint(const struct spec_port *p);
char *state_tenant_fingerprint(const struct spec_tenant *t);
char *state_endpoint_fingerprint(const struct spec_endpoint *e);

#endif /* VSTACK_CTL_STATE_H */
