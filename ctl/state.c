// SPDX-License-Identifier: MIT
/*
 * state.c - the state directory: one JSON record per tenant, port and
 *	     endpoint
 *
 * See state.h for the layout and what a record holds. Writes are atomic by
 * rename(2), and each temporary file is fsync'ed before it is renamed, so
 * a crash leaves the old record or the new one, never an empty file. The
 * directory is not synced one record at a time (a lost rename only loses
 * the change, and a power cut takes the TAP devices with it anyway):
 * state_sync(), called from the control loop's tick, flushes the file
 * system once after a burst of changes, so a power cut loses at most the
 * last second of them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "state.h"

#define STATE_RECORD_MAX (64 * 1024) /* bigger files are not ours */

enum state_kind {
	STATE_TENANTS,
	STATE_PORTS,
	STATE_ENDPOINTS,
	STATE_KINDS
};

static const char *const state_kinds[STATE_KINDS] = { "tenants", "ports",
						      "endpoints" };

/**
 * struct state - an open state directory
 * @dir:	its path
 * @dirfd:	descriptor of @dir
 * @kindfd:	descriptors of its tenants/, ports/ and endpoints/
 * @dirty:	records changed since the last state_sync()
 */
struct state {
	char dir[PATH_MAX];
	int dirfd;
	int kindfd[STATE_KINDS];
	bool dirty;
};

/**
 * state_mkdir() - create directory @path (and its parents) if missing
 * @path:	directory
 *
 * Return: 0 or -errno
 */
static int state_mkdir(const char *path)
{
	char buf[PATH_MAX];
	size_t i, len = strlen(path);

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return -errno;
		buf[i] = path[i];
	}
	return 0;
}

/**
 * state_open() - open (creating if needed) the state directory @dir
 * @out:	the open directory
 * @dir:	path
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -errno
 */
int state_open(struct state **out, const char *dir, char *err, size_t errlen)
{
	struct state *s;
	unsigned k;
	int rc;

	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->dirfd = -1;
	for (k = 0; k < STATE_KINDS; k++)
		s->kindfd[k] = -1;
	if (snprintf(s->dir, sizeof(s->dir), "%s", dir) >= (int)sizeof(s->dir)) {
		rc = -ENAMETOOLONG;
		goto fail;
	}
	if ((rc = state_mkdir(dir)))
		goto fail;
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0) {
		rc = -errno;
		goto fail;
	}
	for (k = 0; k < STATE_KINDS; k++) {
		if (mkdirat(s->dirfd, state_kinds[k], 0700) < 0 &&
		    errno != EEXIST) {
			rc = -errno;
			goto fail;
		}
		s->kindfd[k] = openat(s->dirfd, state_kinds[k],
				      O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (s->kindfd[k] < 0) {
			rc = -errno;
			goto fail;
		}
		/* Probe that we can write here now, not at the first
		 * vstackctl command. */
		if (faccessat(s->kindfd[k], ".", W_OK, AT_EACCESS) < 0) {
			rc = -errno;
			goto fail;
		}
	}
	*out = s;
	return 0;

fail:
	snprintf(err, errlen, "cannot use state directory %s: %s", dir,
		 strerror(-rc));
	state_close(s);
	return rc;
}

/**
 * state_close() - close the state directory
 * @s:		state, or NULL
 */
void state_close(struct state *s)
{
	unsigned k;

	if (!s)
		return;
	if (s->dirty)
		state_sync(s);
	for (k = 0; k < STATE_KINDS; k++)
		if (s->kindfd[k] >= 0)
			close(s->kindfd[k]);
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s);
}

/**
 * state_dir() - the directory's path
 * @s:		state
 *
 * Return: path
 */
const char *state_dir(const struct state *s)
{
	return s->dir;
}

/* Records <-> JSON. Keys are the spec keys ("netns-pid"), so a record
 * reads back through the same setters as the config file. */

/**
 * state_port_json() - a port's keys as a JSON object
 * @p:		port
 *
 * Return: new object (NULL when out of memory)
 */
struct json_object *state_port_json(const struct spec_port *p)
{
	struct json_object *o = json_object_new_object(), *a;
	char buf[PARSE_CIDR_STRLEN];
	unsigned i;

	if (!o)
		return NULL;
	json_object_object_add(o, "name", json_object_new_string(p->name));
	json_object_object_add(o, "network",
			       json_object_new_string(p->network));
	json_object_object_add(o, "tenant", json_object_new_string(p->tenant));
	if (p->netns[0])
		json_object_object_add(o, "netns",
				       json_object_new_string(p->netns));
	if (p->netns_pid)
		json_object_object_add(o, "netns-pid",
				       json_object_new_int64(p->netns_pid));
	if (p->has_mac) {
		parse_mac_format(p->mac, buf);
		json_object_object_add(o, "mac", json_object_new_string(buf));
	}
	if (p->mtu)
		json_object_object_add(o, "mtu", json_object_new_int64(p->mtu));
	if (p->queues)
		json_object_object_add(o, "queues",
				       json_object_new_int64(p->queues));
	json_object_object_add(o, "offload",
			       json_object_new_string(p->offload ? "on"
								 : "off"));
	/* Only when on: records and config fingerprints made before port
	 * security existed stay as they were. */
	if (p->lock)
		json_object_object_add(o, "lock", json_object_new_string("on"));
	if (p->has_fdb_max)
		json_object_object_add(o, "fdb-max",
				       json_object_new_int64(p->fdb_max));
	a = json_object_new_array();
	for (i = 0; i < p->naddrs; i++) {
		parse_cidr_format(&p->addrs[i], buf);
		json_object_array_add(a, json_object_new_string(buf));
	}
	json_object_object_add(o, "address", a);
	return o;
}

/**
 * state_tenant_json() - a tenant's keys as a JSON object
 * @t:		tenant
 *
 * Return: new object (NULL when out of memory)
 */
struct json_object *state_tenant_json(const struct spec_tenant *t)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "name", json_object_new_string(t->name));
	if (t->has_cgroup)
		json_object_object_add(o, "cgroup",
				       json_object_new_string(t->cgroup));
	if (t->has_pid)
		json_object_object_add(o, "pid", json_object_new_int64(t->pid));
	if (t->has_weight)
		json_object_object_add(o, "weight",
				       json_object_new_int64(t->weight));
	if (t->has_rate)
		json_object_object_add(o, "rate",
				       json_object_new_uint64(t->rate_bps));
	return o;
}

/**
 * state_endpoint_json() - an endpoint's keys as a JSON object
 * @e:		endpoint
 *
 * Return: new object (NULL when out of memory)
 */
struct json_object *state_endpoint_json(const struct spec_endpoint *e)
{
	struct json_object *o = json_object_new_object();
	char buf[PARSE_CIDR_STRLEN];

	if (!o)
		return NULL;
	json_object_object_add(o, "name", json_object_new_string(e->name));
	json_object_object_add(o, "network",
			       json_object_new_string(e->network));
	json_object_object_add(o, "tenant", json_object_new_string(e->tenant));
	if (e->has_address) {
		parse_cidr_format(&e->address, buf);
		json_object_object_add(o, "address",
				       json_object_new_string(buf));
	}
	if (e->has_gateway) {
		snprintf(buf, sizeof(buf), "%u.%u.%u.%u", e->gateway[0],
			 e->gateway[1], e->gateway[2], e->gateway[3]);
		json_object_object_add(o, "gateway",
				       json_object_new_string(buf));
	}
	if (e->has_mac) {
		parse_mac_format(e->mac, buf);
		json_object_object_add(o, "mac", json_object_new_string(buf));
	}
	if (e->mtu)
		json_object_object_add(o, "mtu", json_object_new_int64(e->mtu));
	return o;
}

/**
 * state_fingerprint() - canonical text of a spec object, and free it
 * @o:		object from state_port_json(), state_tenant_json() or
 *		state_endpoint_json()
 *
 * Return: malloc'ed string, NULL when out of memory
 */
static char *state_fingerprint(struct json_object *o)
{
	char *s = o ? strdup(json_object_to_json_string_ext(
			      o, JSON_C_TO_STRING_PLAIN))
		    : NULL;

	json_object_put(o);
	return s;
}

/**
 * state_port_fingerprint() - canonical text of a port's keys
 * @p:		port
 *
 * Two ports have the same fingerprint exactly when they have the same keys.
 *
 * Return: malloc'ed string, NULL when out of memory
 */
char *state_port_fingerprint(const struct spec_port *p)
{
	return state_fingerprint(state_port_json(p));
}

/**
 * state_tenant_fingerprint() - canonical text of a tenant's keys
 * @t:		tenant
 *
 * Return: malloc'ed string, NULL when out of memory
 */
char *state_tenant_fingerprint(const struct spec_tenant *t)
{
	return state_fingerprint(state_tenant_json(t));
}

/**
 * state_endpoint_fingerprint() - canonical text of an endpoint's keys
 * @e:		endpoint
 *
 * Return: malloc'ed string, NULL when out of memory
 */
char *state_endpoint_fingerprint(const struct spec_endpoint *e)
{
	return state_fingerprint(state_endpoint_json(e));
}

/* The record keys that are not spec keys. */
static bool state_meta_key(const char *k)
{
	return !strcmp(k, "version") || !strcmp(k, "origin") ||
	       !strcmp(k, "config") || !strcmp(k, "netns_dev") ||
	       !strcmp(k, "netns_ino") || !strcmp(k, "cgroup_weight");
}

typedef int (*state_set_fn)(void *spec, const char *key, const char *val,
			    char *err, size_t errlen);
typedef int (*state_set_uint_fn)(void *spec, const char *key, uint64_t val,
				 char *err, size_t errlen);

static int state_port_set(void *spec, const char *key, const char *val,
			  char *err, size_t errlen)
{
	return spec_port_set(spec, key, val, err, errlen);
}

static int state_port_set_uint(void *spec, const char *key, uint64_t val,
			       char *err, size_t errlen)
{
	return spec_port_set_uint(spec, key, val, err, errlen);
}

static int state_tenant_set(void *spec, const char *key, const char *val,
			    char *err, size_t errlen)
{
	return spec_tenant_set(spec, key, val, err, errlen);
}

static int state_tenant_set_uint(void *spec, const char *key, uint64_t val,
				 char *err, size_t errlen)
{
	return spec_tenant_set_uint(spec, key, val, err, errlen);
}

static int state_endpoint_set(void *spec, const char *key, const char *val,
			      char *err, size_t errlen)
{
	return spec_endpoint_set(spec, key, val, err, errlen);
}

static int state_endpoint_set_uint(void *spec, const char *key, uint64_t val,
				   char *err, size_t errlen)
{
	return spec_endpoint_set_uint(spec, key, val, err, errlen);
}

/**
 * state_spec_parse() - set a spec's keys from a record's members
 * @o:		record
 * @spec:	struct spec_port, spec_tenant or spec_endpoint, initialised
 * @set:	its text setter
 * @set_uint:	its number setter
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -EINVAL
 */
static int state_spec_parse(struct json_object *o, void *spec,
			    state_set_fn set, state_set_uint_fn set_uint,
			    char *err, size_t errlen)
{
	struct json_object_iterator it, end;
	size_t i;
	int rc;

	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "not a JSON object");
		return -EINVAL;
	}
	it = json_object_iter_begin(o);
	end = json_object_iter_end(o);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		const char *k = json_object_iter_peek_name(&it);
		struct json_object *v = json_object_iter_peek_value(&it);

		if (state_meta_key(k))
			continue;
		switch (json_object_get_type(v)) {
		case json_type_string:
			rc = set(spec, k, json_object_get_string(v), err,
				 errlen);
			break;
		case json_type_int:
			if (json_object_get_int64(v) < 0) {
				snprintf(err, errlen, "%s: negative", k);
				return -EINVAL;
			}
			rc = set_uint(spec, k, json_object_get_uint64(v), err,
				      errlen);
			break;
		case json_type_array:
			rc = 0;
			for (i = 0; !rc && i < json_object_array_length(v);
			     i++) {
				struct json_object *e =
					json_object_array_get_idx(v, i);

				if (!json_object_is_type(e, json_type_string)) {
					snprintf(err, errlen,
						 "%s: not a list of strings", k);
					return -EINVAL;
				}
				rc = set(spec, k, json_object_get_string(e),
					 err, errlen);
			}
			break;
		default:
			snprintf(err, errlen, "%s: unexpected type", k);
			return -EINVAL;
		}
		if (rc)
			return -EINVAL;
	}
	return 0;
}

/**
 * state_record_meta() - the origin members of a record
 * @o:		record
 * @config:	set to the canonical config section, or NULL
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -EINVAL
 */
static int state_record_meta(struct json_object *o, char **config, char *err,
			     size_t errlen)
{
	struct json_object *v, *c;

	*config = NULL;
	if (!json_object_object_get_ex(o, "version", &v) ||
	    json_object_get_int(v) != STATE_VERSION) {
		snprintf(err, errlen, "not a version %d record", STATE_VERSION);
		return -EINVAL;
	}
	if (!json_object_object_get_ex(o, "origin", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		snprintf(err, errlen, "no origin");
		return -EINVAL;
	}
	if (!strcmp(json_object_get_string(v), "config")) {
		if (!json_object_object_get_ex(o, "config", &c) ||
		    !json_object_is_type(c, json_type_object)) {
			snprintf(err, errlen, "config record without its section");
			return -EINVAL;
		}
		*config = strdup(json_object_to_json_string_ext(
			c, JSON_C_TO_STRING_PLAIN));
		if (!*config) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
	} else if (strcmp(json_object_get_string(v), "vstackctl")) {
		snprintf(err, errlen, "unknown origin");
		return -EINVAL;
	}
	return 0;
}

/**
 * state_port_parse() - a port record from its JSON
 * @o:		record
 * @p:		filled in (free p->config)
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -EINVAL
 */
int state_port_parse(struct json_object *o, struct state_port *p, char *err,
		     size_t errlen)
{
	struct json_object *v;
	int rc;

	memset(p, 0, sizeof(*p));
	spec_port_init(&p->spec);
	if ((rc = state_spec_parse(o, &p->spec, state_port_set,
				   state_port_set_uint, err, errlen)) ||
	    (rc = spec_port_check(&p->spec, err, errlen)))
		return rc;
	if ((rc = state_record_meta(o, &p->config, err, errlen)))
		return rc;
	if (json_object_object_get_ex(o, "netns_dev", &v))
		p->netns_dev = json_object_get_uint64(v);
	if (json_object_object_get_ex(o, "netns_ino", &v))
		p->netns_ino = json_object_get_uint64(v);
	return 0;
}

/**
 * state_tenant_parse() - a tenant record from its JSON
 * @o:		record
 * @t:		filled in (free t->config)
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -EINVAL
 */
int state_tenant_parse(struct json_object *o, struct state_tenant *t,
		       char *err, size_t errlen)
{
	int rc;

	struct json_object *v;
	int64_t w;

	memset(t, 0, sizeof(*t));
	spec_tenant_init(&t->spec);
	if ((rc = state_spec_parse(o, &t->spec, state_tenant_set,
				   state_tenant_set_uint, err, errlen)) ||
	    (rc = spec_tenant_check(&t->spec, err, errlen)))
		return rc;
	if (json_object_object_get_ex(o, "cgroup_weight", &v)) {
		w = json_object_get_int64(v);
		if (!json_object_is_type(v, json_type_int) || w < 1 ||
		    w > 10000) {
			snprintf(err, errlen, "cgroup_weight: not 1..10000");
			return -EINVAL;
		}
		t->cgroup_weight = (uint32_t)w;
	}
	return state_record_meta(o, &t->config, err, errlen);
}

/**
 * state_endpoint_parse() - an endpoint record from its JSON
 * @o:		record
 * @e:		filled in (free e->config)
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -EINVAL
 */
int state_endpoint_parse(struct json_object *o, struct state_endpoint *e,
			 char *err, size_t errlen)
{
	int rc;

	memset(e, 0, sizeof(*e));
	spec_endpoint_init(&e->spec);
	if ((rc = state_spec_parse(o, &e->spec, state_endpoint_set,
				   state_endpoint_set_uint, err, errlen)) ||
	    (rc = spec_endpoint_check(&e->spec, err, errlen)))
		return rc;
	return state_record_meta(o, &e->config, err, errlen);
}

/* A record is written to ".NAME.json.tmp" and renamed to "NAME.json";
 * names never start with '.' (parse.c), so the two cannot meet. */
#define STATE_TMP_PREFIX "."
#define STATE_TMP_SUFFIX ".json.tmp"
/* A port being deleted (its record renamed) or added (see state.h). */
#define STATE_DEL_SUFFIX ".json.del"

/**
 * state_is_tmp() - is @file a temporary file of state_write()?
 * @file:	directory entry name
 *
 * Return: true if so
 */
static bool state_is_tmp(const char *file)
{
	size_t len = strlen(file), pre = strlen(STATE_TMP_PREFIX),
	       suf = strlen(STATE_TMP_SUFFIX);

	return len > pre + suf && !strncmp(file, STATE_TMP_PREFIX, pre) &&
	       !strcmp(file + len - suf, STATE_TMP_SUFFIX);
}

/**
 * state_write() - write one record, atomically
 * @s:		state
 * @kind:	enum state_kind
 * @name:	object name (checked by the spec setters: no '/')
 * @suffix:	".json", or STATE_DEL_SUFFIX for a port's set-aside record
 * @o:		record (consumed)
 * @config:	canonical config section, or NULL
 *
 * Return: 0 or -errno
 */
static int state_write(struct state *s, enum state_kind kind, const char *name,
		       const char *suffix, struct json_object *o,
		       const char *config)
{
	char file[64], tmp[72];
	const char *text;
	size_t len, off = 0;
	int fd, rc = 0;

	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "version", json_object_new_int(STATE_VERSION));
	json_object_object_add(o, "origin", json_object_new_string(
						    config ? "config"
							   : "vstackctl"));
	if (config)
		json_object_object_add(o, "config",
				       json_tokener_parse(config));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							 JSON_C_TO_STRING_SPACED);
	len = strlen(text);
	snprintf(file, sizeof(file), "%s%s", name, suffix);
	snprintf(tmp, sizeof(tmp), STATE_TMP_PREFIX "%s" STATE_TMP_SUFFIX,
		 name);
	fd = openat(s->kindfd[kind], tmp,
		    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		off += (size_t)n;
	}
	if (!rc && write(fd, "\n", 1) != 1)
		rc = -EIO;
	/* The data before the name: a rename can reach the disk before the
	 * file's blocks do (ext4 without auto_da_alloc, xfs), and a crash
	 * then leaves an empty record where the old one was. Not for a
	 * set-aside record: it matters while its device exists, and a
	 * crash of the host takes the device with it. */
	if (!rc && strcmp(suffix, STATE_DEL_SUFFIX) && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (!rc && renameat(s->kindfd[kind], tmp, s->kindfd[kind], file) < 0)
		rc = -errno;
	if (rc)
		unlinkat(s->kindfd[kind], tmp, 0);
	else
		s->dirty = true;
out:
	if (rc)
		log_err("state: cannot write %s/%s/%s: %s", s->dir,
			state_kinds[kind], file, strerror(-rc));
	json_object_put(o);
	return rc;
}

/**
 * state_port_record() - a port's record as JSON, without the meta keys
 * @p:		record
 *
 * Return: new object (NULL when out of memory)
 */
static struct json_object *state_port_record(const struct state_port *p)
{
	struct json_object *o = state_port_json(&p->spec);

	if (o && p->netns_ino) {
		json_object_object_add(o, "netns_dev",
				       json_object_new_uint64(p->netns_dev));
		json_object_object_add(o, "netns_ino",
				       json_object_new_uint64(p->netns_ino));
	}
	return o;
}

/**
 * state_put_port() - record a port (replacing its record)
 * @s:		state
 * @p:		record
 *
 * Return: 0 or -errno (logged)
 */
int state_put_port(struct state *s, const struct state_port *p)
{
	int rc;

	rc = state_write(s, STATE_PORTS, p->spec.name, ".json",
			 state_port_record(p), p->config);
	/* The port stays after all (its device could not be deleted), or
	 * is a new one of the name: no deletion to finish. */
	if (!rc)
		state_port_deleted(s, p->spec.name);
	return rc;
}

/**
 * state_put_tenant() - record a tenant (replacing its record)
 * @s:		state
 * @t:		record
 *
 * Return: 0 or -errno (logged)
 */
int state_put_tenant(struct state *s, const struct state_tenant *t)
{
	struct json_object *o = state_tenant_json(&t->spec);

	if (o && t->cgroup_weight)
		json_object_object_add(o, "cgroup_weight",
				       json_object_new_int64(t->cgroup_weight));
	return state_write(s, STATE_TENANTS, t->spec.name, ".json", o,
			   t->config);
}

/**
 * state_put_endpoint() - record an endpoint (replacing its record)
 * @s:		state
 * @e:		record
 *
 * Return: 0 or -errno (logged)
 */
int state_put_endpoint(struct state *s, const struct state_endpoint *e)
{
	return state_write(s, STATE_ENDPOINTS, e->spec.name, ".json",
			   state_endpoint_json(&e->spec), e->config);
}

/**
 * state_del() - remove a record file
 * @s:		state
 * @kind:	enum state_kind
 * @name:	object name
 * @suffix:	".json", or STATE_DEL_SUFFIX for a port's set-aside record
 *
 * Return: 0 (also if there was none) or -errno (logged)
 */
static int state_del(struct state *s, enum state_kind kind, const char *name,
		     const char *suffix)
{
	char file[72];

	snprintf(file, sizeof(file), "%s%s", name, suffix);
	if (unlinkat(s->kindfd[kind], file, 0) < 0 && errno != ENOENT) {
		log_err("state: cannot remove %s/%s/%s: %s", s->dir,
			state_kinds[kind], file, strerror(errno));
		return -errno;
	}
	s->dirty = true;
	return 0;
}

int state_del_port(struct state *s, const char *name)
{
	return state_del(s, STATE_PORTS, name, ".json");
}

/**
 * state_put_port_pending() - record a device being made for a port
 * @s:		state
 * @p:		the port as its device is at this point (where it is)
 *
 * Written as a set-aside record (NAME.json.del) before the device is
 * made: vstackd killed before the port has its record leaves this one,
 * and the next start deletes the device, as for a deletion cut short.
 * state_put_port() ends it.
 *
 * Return: 0 or -errno (logged)
 */
int state_put_port_pending(struct state *s, const struct state_port *p)
{
	return state_write(s, STATE_PORTS, p->spec.name, STATE_DEL_SUFFIX,
			   state_port_record(p), p->config);
}

/**
 * state_port_deleting() - mark a port's record as being deleted
 * @s:		state
 * @name:	port name
 *
 * The record is renamed, not rewritten: it keeps what the next start
 * needs to find the device (its namespace), and a rename needs no room on
 * a full disk, where deleting a port should still work.
 *
 * Return: 0 (also if there was no record) or -errno (logged)
 */
int state_port_deleting(struct state *s, const char *name)
{
	char file[64], del[72];

	snprintf(file, sizeof(file), "%s.json", name);
	snprintf(del, sizeof(del), "%s" STATE_DEL_SUFFIX, name);
	if (renameat(s->kindfd[STATE_PORTS], file, s->kindfd[STATE_PORTS],
		     del) < 0 && errno != ENOENT) {
		log_err("state: cannot rename %s/ports/%s: %s", s->dir, file,
			strerror(errno));
		return -errno;
	}
	s->dirty = true;
	return 0;
}

/**
 * state_port_deleted() - a port's deletion is complete: forget its record
 * @s:		state
 * @name:	port name
 *
 * Return: 0 (also if there was none) or -errno (logged)
 */
int state_port_deleted(struct state *s, const char *name)
{
	return state_del(s, STATE_PORTS, name, STATE_DEL_SUFFIX);
}

int state_del_endpoint(struct state *s, const char *name)
{
	return state_del(s, STATE_ENDPOINTS, name, ".json");
}

int state_del_tenant(struct state *s, const char *name)
{
	return state_del(s, STATE_TENANTS, name, ".json");
}

/**
 * state_sync() - make the records written so far durable
 * @s:		state
 *
 * Return: 0 or -errno
 */
int state_sync(struct state *s)
{
	if (!s->dirty)
		return 0;
	s->dirty = false;
	if (syncfs(s->dirfd) < 0) {
		log_warn("state: cannot flush %s: %s", s->dir, strerror(errno));
		return -errno;
	}
	return 0;
}

/**
 * state_read() - parse one record file
 * @dfd:	its directory
 * @file:	its name
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: the JSON object, or NULL with @err set
 */
static struct json_object *state_read(int dfd, const char *file, char *err,
				      size_t errlen)
{
	struct json_object *o = NULL;
	char *buf = NULL;
	struct stat st;
	ssize_t n;
	int fd;

	fd = openat(dfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > STATE_RECORD_MAX) {
		snprintf(err, errlen, "not a record file");
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	n = read(fd, buf, (size_t)st.st_size);
	if (n != st.st_size) {
		snprintf(err, errlen, "short read");
		goto out;
	}
	buf[n] = '\0';
	o = json_tokener_parse(buf);
	if (!o)
		snprintf(err, errlen, "not valid JSON");
out:
	free(buf);
	close(fd);
	return o;
}

/**
 * state_add_record() - parse one record and append it to the snapshot
 * @kind:	enum state_kind
 * @o:		the record
 * @name:	its file name without ".json"
 * @snap:	snapshot to append to
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -errno
 */
static int state_add_record(enum state_kind kind, struct json_object *o,
			    const char *name, struct state_snapshot *snap,
			    char *err, size_t errlen)
{
	static const char *const what[STATE_KINDS] = { "tenant", "port",
						       "endpoint" };
	const char *got;
	char *config;
	void *grown;
	int rc;

	union {
		struct state_tenant t;
		struct state_port p;
		struct state_endpoint e;
	} r;

	switch (kind) {
	case STATE_TENANTS:
		rc = state_tenant_parse(o, &r.t, err, errlen);
		got = r.t.spec.name;
		config = r.t.config;
		break;
	case STATE_PORTS:
		rc = state_port_parse(o, &r.p, err, errlen);
		got = r.p.spec.name;
		config = r.p.config;
		break;
	default:
		rc = state_endpoint_parse(o, &r.e, err, errlen);
		got = r.e.spec.name;
		config = r.e.config;
		break;
	}
	if (rc) {
		free(config);
		return rc;
	}
	if (strcmp(got, name)) {
		snprintf(err, errlen, "record is for %s '%s'", what[kind], got);
		free(config);
		return -EINVAL;
	}

	switch (kind) {
	case STATE_TENANTS:
		if ((grown = realloc(snap->tenants,
				     (snap->ntenants + 1) * sizeof(r.t)))) {
			snap->tenants = grown;
			snap->tenants[snap->ntenants++] = r.t;
		}
		break;
	case STATE_PORTS:
		if ((grown = realloc(snap->ports,
				     (snap->nports + 1) * sizeof(r.p)))) {
			snap->ports = grown;
			snap->ports[snap->nports++] = r.p;
		}
		break;
	default:
		if ((grown = realloc(snap->endpoints,
				     (snap->nendpoints + 1) * sizeof(r.e)))) {
			snap->endpoints = grown;
			snap->endpoints[snap->nendpoints++] = r.e;
		}
		break;
	}
	rc = grown ? 0 : -ENOMEM;
	if (rc) {
		snprintf(err, errlen, "out of memory");
		free(config);
	}
	return rc;
}

/**
 * state_load_kind() - read every record of one kind
 * @s:		state
 * @kind:	enum state_kind
 * @snap:	records are appended here
 *
 * A record that does not parse is reported and skipped: a damaged file
 * must not keep the daemon from starting with everything else.
 *
 * Return: 0 or -errno
 */
static int state_load_kind(struct state *s, enum state_kind kind,
			   struct state_snapshot *snap,
			   struct state_snapshot *deleting)
{
	int fd = dup(s->kindfd[kind]);
	struct dirent *de;
	char err[256];
	DIR *d;

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name), sfx = 5;
		struct state_snapshot *to = snap;
		struct json_object *o;
		char name[64];
		int rc = 0;

		if (state_is_tmp(de->d_name)) {
			/* A write cut short by a crash. */
			unlinkat(s->kindfd[kind], de->d_name, 0);
			continue;
		}
		/* Anything else named *.json is read, whatever its first
		 * character: a record the setters would refuse (".t1") is
		 * reported below, never dropped without a word. */
		if (deleting && len > strlen(STATE_DEL_SUFFIX) &&
		    !strcmp(de->d_name + len - strlen(STATE_DEL_SUFFIX),
			    STATE_DEL_SUFFIX)) {
			sfx = strlen(STATE_DEL_SUFFIX);
			to = deleting;
		} else if (len <= 5 || strcmp(de->d_name + len - 5, ".json")) {
			continue;
		}
		if (len - sfx >= sizeof(name))
			continue;
		memcpy(name, de->d_name, len - sfx);
		name[len - sfx] = '\0';
		if (!(o = state_read(s->kindfd[kind], de->d_name, err,
				     sizeof(err))))
			rc = -EINVAL;
		else
			rc = state_add_record(kind, o, name, to, err,
					      sizeof(err));
		json_object_put(o);
		if (rc)
			log_warn("state: %s/%s/%s: %s; record ignored", s->dir,
				 state_kinds[kind], de->d_name, err);
	}
	closedir(d);
	return 0;
}

static int state_tenant_cmp(const void *a, const void *b)
{
	return strcmp(((const struct state_tenant *)a)->spec.name,
		      ((const struct state_tenant *)b)->spec.name);
}

static int state_port_cmp(const void *a, const void *b)
{
	return strcmp(((const struct state_port *)a)->spec.name,
		      ((const struct state_port *)b)->spec.name);
}

static int state_endpoint_cmp(const void *a, const void *b)
{
	return strcmp(((const struct state_endpoint *)a)->spec.name,
		      ((const struct state_endpoint *)b)->spec.name);
}

/**
 * state_load() - read every record of the state directory
 * @s:		state
 * @snap:	filled in; free with state_snapshot_free()
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -errno
 */
int state_load(struct state *s, struct state_snapshot *snap, char *err,
	       size_t errlen)
{
	struct state_snapshot deleting;
	unsigned k, i, j;
	int rc;

	memset(snap, 0, sizeof(*snap));
	memset(&deleting, 0, sizeof(deleting));
	for (k = 0; k < STATE_KINDS; k++) {
		if ((rc = state_load_kind(s, (enum state_kind)k, snap,
					  k == STATE_PORTS ? &deleting
							   : NULL))) {
			snprintf(err, errlen, "cannot read %s/%s: %s", s->dir,
				 state_kinds[k], strerror(-rc));
			state_snapshot_free(&deleting);
			state_snapshot_free(snap);
			return rc;
		}
	}
	/* A record beside a deletion's is newer (state_put_port() did not
	 * get to remove the old one): the port is the record's. */
	snap->deleting = deleting.ports;
	for (i = 0; i < deleting.nports; i++) {
		struct state_port *d = &deleting.ports[i];

		for (j = 0; j < snap->nports; j++) {
			if (!strcmp(snap->ports[j].spec.name, d->spec.name))
				break;
		}
		if (j < snap->nports) {
			state_port_deleted(s, d->spec.name);
			free(d->config);
			continue;
		}
		snap->deleting[snap->ndeleting++] = *d;
	}
	/* In name order, not the directory's: the same every start. */
	if (snap->ntenants)
		qsort(snap->tenants, snap->ntenants, sizeof(*snap->tenants),
		      state_tenant_cmp);
	if (snap->nports)
		qsort(snap->ports, snap->nports, sizeof(*snap->ports),
		      state_port_cmp);
	if (snap->nendpoints)
		qsort(snap->endpoints, snap->nendpoints,
		      sizeof(*snap->endpoints), state_endpoint_cmp);
	return 0;
}

/**
 * state_snapshot_free() - free what state_load() read
 * @snap:	records
 */
void state_snapshot_free(struct state_snapshot *snap)
{
	unsigned i;

	for (i = 0; i < snap->ntenants; i++)
		free(snap->tenants[i].config);
	for (i = 0; i < snap->nports; i++)
		free(snap->ports[i].config);
	for (i = 0; i < snap->ndeleting; i++)
		free(snap->deleting[i].config);
	free(snap->deleting);
	for (i = 0; i < snap->nendpoints; i++)
		free(snap->endpoints[i].config);
	free(snap->tenants);
	free(snap->ports);
	free(snap->endpoints);
	memset(snap, 0, sizeof(*snap));
}
