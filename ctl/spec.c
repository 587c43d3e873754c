// SPDX-License-Identifier: MIT
/*
 * spec.c - validation of port and tenant descriptions
 *
 * Keys are the config file's and vstackctl's option names ("netns-pid");
 * the control protocol spells them with '_' ("netns_pid"), so both are
 * accepted. Error texts name the value and the accepted range, because
 * they end up as the one line a user sees.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "spec.h"

/**
 * spec_key_is() - compare a key, taking '_' and '-' as the same
 * @key:	key as given
 * @name:	key as documented, with '-'
 *
 * Return: true if they match
 */
static bool spec_key_is(const char *key, const char *name)
{
	for (; *key && *name; key++, name++) {
		char c = *key == '_' ? '-' : *key;

		if (c != *name)
			return false;
	}
	return !*key && !*name;
}

/**
 * spec_copy() - copy a string into a fixed buffer, refusing truncation
 * @dst:	buffer
 * @size:	size of @dst
 * @src:	string
 *
 * Return: 0 or -ENAMETOOLONG
 */
static int spec_copy(char *dst, size_t size, const char *src)
{
	size_t len = strlen(src);

	if (len >= size)
		return -ENAMETOOLONG;
	memcpy(dst, src, len + 1);
	return 0;
}

/**
 * spec_port_init() - a port with every default in place
 * @p:		port to initialise
 */
void spec_port_init(struct spec_port *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->network, sizeof(p->network), "default");
	snprintf(p->tenant, sizeof(p->tenant), "default");
	p->offload = true;
}

/**
 * spec_port_set_uint() - set a numeric port key
 * @p:		port
 * @key:	"mtu", "queues" or "netns-pid"
 * @val:	value
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0, -EINVAL for a value out of range, -ENOENT for another key
 */
int spec_port_set_uint(struct spec_port *p, const char *key, uint64_t val,
		       char *err, size_t errlen)
{
	if (spec_key_is(key, "mtu")) {
		if (val < SPEC_MTU_MIN || val > SPEC_MTU_MAX) {
			snprintf(err, errlen, "MTU %llu out of range (%u..%u)",
				 (unsigned long long)val, SPEC_MTU_MIN,
				 SPEC_MTU_MAX);
			return -EINVAL;
		}
		p->mtu = (unsigned)val;
	} else if (spec_key_is(key, "queues")) {
		if (val < 1 || val > SPEC_QUEUES_MAX) {
			snprintf(err, errlen, "queues %llu out of range (1..%u)",
				 (unsigned long long)val, SPEC_QUEUES_MAX);
			return -EINVAL;
		}
		p->queues = (unsigned)val;
	} else if (spec_key_is(key, "netns-pid")) {
		if (val < 1 || val > INT_MAX) {
			snprintf(err, errlen, "invalid process id %llu",
				 (unsigned long long)val);
			return -EINVAL;
		}
		p->netns_pid = (int)val;
	} else {
		snprintf(err, errlen, "unknown port key '%s'", key);
		return -ENOENT;
	}
	return 0;
}

/**
 * spec_port_add_address() - add one address to a port
 * @p:		port
 * @val:	"ADDR/LEN"
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -EINVAL
 */
static int spec_port_add_address(struct spec_port *p, const char *val,
				 char *err, size_t errlen)
{
	struct parse_cidr c;
	unsigned i;

	if (parse_cidr(val, &c)) {
		snprintf(err, errlen,
			 "invalid address '%s': expected ADDR/LEN, e.g. 10.0.0.1/24 or fd00::1/64",
			 val);
		return -EINVAL;
	}
	for (i = 0; i < p->naddrs; i++) {
		if (p->addrs[i].family == c.family &&
		    !memcmp(p->addrs[i].addr, c.addr, sizeof(c.addr))) {
			snprintf(err, errlen, "address '%s' given twice", val);
			return -EINVAL;
		}
	}
	if (p->naddrs == SPEC_MAX_ADDRS) {
		snprintf(err, errlen, "too many addresses (at most %u)",
			 SPEC_MAX_ADDRS);
		return -EINVAL;
	}
	p->addrs[p->naddrs++] = c;
	return 0;
}

/**
 * spec_port_set() - set a port key from its text form
 * @p:		port
 * @key:	name, tenant, network, type, netns, netns-pid, mac, address
 *		(repeatable), mtu, queues, offload or lock
 * @val:	value as written
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0, -EINVAL for a bad value, -ENOENT for an unknown key
 */
int spec_port_set(struct spec_port *p, const char *key, const char *val,
		  char *err, size_t errlen)
{
	uint64_t u;

	if (spec_key_is(key, "name")) {
		if (!parse_ifname_ok(val)) {
			snprintf(err, errlen,
				 "invalid interface name '%s': 1..15 characters, no '/', ':' or blanks",
				 val);
			return -EINVAL;
		}
		return spec_copy(p->name, sizeof(p->name), val);
	}
	if (spec_key_is(key, "network") || spec_key_is(key, "tenant")) {
		bool net = spec_key_is(key, "network");

		if (!parse_name_ok(val)) {
			snprintf(err, errlen,
				 "invalid %s name '%s': 1..31 characters of A-Z a-z 0-9 _ . -",
				 net ? "network" : "tenant", val);
			return -EINVAL;
		}
		if (net)
			return spec_copy(p->network, sizeof(p->network), val);
		return spec_copy(p->tenant, sizeof(p->tenant), val);
	}
	if (spec_key_is(key, "type")) {
		if (strcmp(val, "tap")) {
			snprintf(err, errlen,
				 "unknown port type '%s' (this build has: tap)",
				 val);
			return -EINVAL;
		}
		return 0;
	}
	if (spec_key_is(key, "netns")) {
		if (!parse_netns_ok(val)) {
			snprintf(err, errlen,
				 "invalid network namespace name '%s'", val);
			return -EINVAL;
		}
		return spec_copy(p->netns, sizeof(p->netns), val);
	}
	if (spec_key_is(key, "mac")) {
		char buf[PARSE_MAC_STRLEN];

		if (parse_mac(val, p->mac)) {
			snprintf(err, errlen,
				 "invalid MAC address '%s': expected six hex pairs like 02:00:00:00:00:01",
				 val);
			return -EINVAL;
		}
		if (!parse_mac_is_unicast(p->mac)) {
			parse_mac_format(p->mac, buf);
			snprintf(err, errlen,
				 "MAC address %s is not a unicast address", buf);
			return -EINVAL;
		}
		p->has_mac = true;
		return 0;
	}
	if (spec_key_is(key, "address"))
		return spec_port_add_address(p, val, err, errlen);
	if (spec_key_is(key, "offload")) {
		if (parse_onoff(val, &p->offload)) {
			snprintf(err, errlen,
				 "invalid offload '%s': expected on or off", val);
			return -EINVAL;
		}
		return 0;
	}
	if (spec_key_is(key, "lock")) {
		if (parse_onoff(val, &p->lock)) {
			snprintf(err, errlen,
				 "invalid lock '%s': expected on or off", val);
			return -EINVAL;
		}
		return 0;
	}
	if (spec_key_is(key, "mtu") || spec_key_is(key, "queues") ||
	    spec_key_is(key, "netns-pid")) {
		if (parse_uint(val, &u)) {
			snprintf(err, errlen, "invalid %s '%s': expected a number",
				 key, val);
			return -EINVAL;
		}
		return spec_port_set_uint(p, key, u, err, errlen);
	}
	snprintf(err, errlen, "unknown port key '%s'", key);
	return -ENOENT;
}

/**
 * spec_port_check() - check that a port's keys make sense together
 * @p:		port
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -EINVAL
 */
int spec_port_check(const struct spec_port *p, char *err, size_t errlen)
{
	if (!p->name[0]) {
		snprintf(err, errlen, "a port needs a name");
		return -EINVAL;
	}
	if (p->netns[0] && p->netns_pid) {
		snprintf(err, errlen,
			 "--netns and --netns-pid are mutually exclusive");
		return -EINVAL;
	}
	return 0;
}

/**
 * spec_tenant_init() - a tenant with nothing set but defaults
 * @t:		tenant to initialise
 */
void spec_tenant_init(struct spec_tenant *t)
{
	memset(t, 0, sizeof(*t));
}

/**
 * spec_tenant_set_uint() - set a numeric tenant key
 * @t:		tenant
 * @key:	"pid", "weight" or "rate"
 * @val:	value
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0, -EINVAL for a value out of range, -ENOENT for another key
 */
int spec_tenant_set_uint(struct spec_tenant *t, const char *key, uint64_t val,
			 char *err, size_t errlen)
{
	if (spec_key_is(key, "pid")) {
		if (val < 1 || val > INT_MAX) {
			snprintf(err, errlen, "invalid process id %llu",
				 (unsigned long long)val);
			return -EINVAL;
		}
		t->pid = (int)val;
		t->has_pid = true;
	} else if (spec_key_is(key, "weight")) {
		if (val < SPEC_WEIGHT_MIN || val > SPEC_WEIGHT_MAX) {
			snprintf(err, errlen, "weight %llu out of range (%u..%u)",
				 (unsigned long long)val, SPEC_WEIGHT_MIN,
				 SPEC_WEIGHT_MAX);
			return -EINVAL;
		}
		t->weight = (uint32_t)val;
		t->has_weight = true;
	} else if (spec_key_is(key, "rate") || spec_key_is(key, "rate-bps")) {
		t->rate_bps = val;
		t->has_rate = true;
	} else {
		snprintf(err, errlen, "unknown tenant key '%s'", key);
		return -ENOENT;
	}
	return 0;
}

/**
 * spec_tenant_set() - set a tenant key from its text form
 * @t:		tenant
 * @key:	name, cgroup, pid, weight or rate
 * @val:	value as written; rate takes k/M/G/T suffixes (bits/s)
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0, -EINVAL for a bad value, -ENOENT for an unknown key
 */
int spec_tenant_set(struct spec_tenant *t, const char *key, const char *val,
		    char *err, size_t errlen)
{
	uint64_t u;

	if (spec_key_is(key, "name")) {
		if (!parse_name_ok(val)) {
			snprintf(err, errlen,
				 "invalid tenant name '%s': 1..31 characters of A-Z a-z 0-9 _ . -",
				 val);
			return -EINVAL;
		}
		return spec_copy(t->name, sizeof(t->name), val);
	}
	if (spec_key_is(key, "cgroup")) {
		const char *s;

		for (s = val; *s; s++) {
			if (*s < ' ' || *s > '~')
				break;
		}
		if (!*val || *s || strstr(val, "/../") ||
		    !strncmp(val, "../", 3) || !strcmp(val, "..") ||
		    (strlen(val) >= 3 && !strcmp(val + strlen(val) - 3, "/..")) ||
		    spec_copy(t->cgroup, sizeof(t->cgroup), val)) {
			snprintf(err, errlen, "invalid cgroup path '%.64s'",
				 val);
			return -EINVAL;
		}
		t->has_cgroup = true;
		return 0;
	}
	if (spec_key_is(key, "rate") || spec_key_is(key, "rate-bps")) {
		if (parse_rate(val, &u)) {
			snprintf(err, errlen,
				 "invalid rate '%s': expected bits per second, e.g. 500000, 250k, 10M, 1G",
				 val);
			return -EINVAL;
		}
		return spec_tenant_set_uint(t, key, u, err, errlen);
	}
	if (spec_key_is(key, "pid") || spec_key_is(key, "weight")) {
		if (parse_uint(val, &u)) {
			snprintf(err, errlen, "invalid %s '%s': expected a number",
				 key, val);
			return -EINVAL;
		}
		return spec_tenant_set_uint(t, key, u, err, errlen);
	}
	snprintf(err, errlen, "unknown tenant key '%s'", key);
	return -ENOENT;
}

/**
 * spec_tenant_check() - check that a tenant's keys make sense together
 * @t:		tenant
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -EINVAL
 */
int spec_tenant_check(const struct spec_tenant *t, char *err, size_t errlen)
{
	if (!t->name[0]) {
		snprintf(err, errlen, "a tenant needs a name");
		return -EINVAL;
	}
	if (t->has_cgroup && t->has_pid) {
		snprintf(err, errlen,
			 "--cgroup and --pid are mutually exclusive");
		return -EINVAL;
	}
	return 0;
}
