// SPDX-License-Identifier: MIT
/*
 * spec.c - validation of port and tenant descriptions
 *
 * Keys are the config file's and vstackctl's option names ("netns-pid");
 * the control protocol spells them with '_' ("netns_pid"), so both are
 * accepted. Error texts name the value and the accepted range, because
 * they end up as the one line a user sees.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <sys/socket.h>
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

/* Keys ports and endpoints share: the same checks and the same words. */

/**
 * spec_set_ifname() - set a port's or endpoint's name
 * @dst:	name buffer, SPEC_IFNAME_MAX bytes
 * @what:	"interface" or "endpoint", for the message
 * @val:	name as given
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -EINVAL
 */
static int spec_set_ifname(char *dst, const char *what, const char *val,
			   char *err, size_t errlen)
{
	if (!parse_ifname_ok(val)) {
		snprintf(err, errlen,
			 "invalid %s name '%s': " PARSE_IFNAME_RULE,
			 what, val);
		return -EINVAL;
	}
	return spec_copy(dst, SPEC_IFNAME_MAX, val);
}

/**
 * spec_set_owner() - set the network or the tenant of a port or endpoint
 * @network:	network buffer, SPEC_NAME_MAX bytes
 * @tenant:	tenant buffer, SPEC_NAME_MAX bytes
 * @key:	"network" or "tenant"
 * @val:	name as given
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -EINVAL
 */
static int spec_set_owner(char *network, char *tenant, const char *key,
			  const char *val, char *err, size_t errlen)
{
	bool net = spec_key_is(key, "network");

	if (!parse_name_ok(val)) {
		snprintf(err, errlen,
			 "invalid %s name '%s': " PARSE_NAME_RULE,
			 net ? "network" : "tenant", val);
		return -EINVAL;
	}
	if (net)
		return spec_copy(network, SPEC_NAME_MAX, val);
	return spec_copy(tenant, SPEC_NAME_MAX, val);
}

/**
 * spec_set_mac() - set a unicast MAC address
 * @mac:	result
 * @has_mac:	set to true on success
 * @val:	"xx:xx:xx:xx:xx:xx"
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -EINVAL
 */
static int spec_set_mac(uint8_t mac[6], bool *has_mac, const char *val,
			char *err, size_t errlen)
{
	char buf[PARSE_MAC_STRLEN];
	uint8_t m[6];

	if (parse_mac(val, m)) {
		snprintf(err, errlen,
			 "invalid MAC address '%s': expected six hex pairs like 02:00:00:00:00:01",
			 val);
		return -EINVAL;
	}
	if (!parse_mac_is_unicast(m)) {
		parse_mac_format(m, buf);
		snprintf(err, errlen, "MAC address %s is not a unicast address",
			 buf);
		return -EINVAL;
	}
	memcpy(mac, m, 6);
	*has_mac = true;
	return 0;
}

/**
 * spec_set_mtu() - set an MTU
 * @mtu:	result
 * @val:	value
 * @max:	largest MTU accepted
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -EINVAL
 */
static int spec_set_mtu(unsigned *mtu, uint64_t val, unsigned max, char *err,
			size_t errlen)
{
	if (val < SPEC_MTU_MIN || val > max) {
		snprintf(err, errlen, "MTU %llu out of range (%u..%u)",
			 (unsigned long long)val, SPEC_MTU_MIN, max);
		return -EINVAL;
	}
	*mtu = (unsigned)val;
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
 * @key:	"mtu", "queues", "netns-pid" or "fdb-max"
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
		return spec_set_mtu(&p->mtu, val, SPEC_MTU_MAX, err, errlen);
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
	} else if (spec_key_is(key, "fdb-max")) {
		if (val > SPEC_FDB_MAX_MAX) {
			snprintf(err, errlen,
				 "fdb-max %llu out of range (0..%u, 0: no limit)",
				 (unsigned long long)val, SPEC_FDB_MAX_MAX);
			return -EINVAL;
		}
		p->fdb_max = (uint32_t)val;
		p->has_fdb_max = true;
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
 *		(repeatable), mtu, queues, offload, lock or fdb-max
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

	if (spec_key_is(key, "name"))
		return spec_set_ifname(p->name, "interface", val, err, errlen);
	if (spec_key_is(key, "network") || spec_key_is(key, "tenant"))
		return spec_set_owner(p->network, p->tenant, key, val, err,
				      errlen);
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
	if (spec_key_is(key, "mac"))
		return spec_set_mac(p->mac, &p->has_mac, val, err, errlen);
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
	    spec_key_is(key, "netns-pid") || spec_key_is(key, "fdb-max")) {
		if (parse_uint_key(key, val, &u, err, errlen))
			return -EINVAL;
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
			 "netns and netns-pid are mutually exclusive");
		return -EINVAL;
	}
	return 0;
}

/**
 * spec_endpoint_init() - an endpoint with every default in place
 * @e:		endpoint to initialise
 */
void spec_endpoint_init(struct spec_endpoint *e)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->network, sizeof(e->network), "default");
	snprintf(e->tenant, sizeof(e->tenant), "default");
}

/**
 * spec_endpoint_set_uint() - set a numeric endpoint key
 * @e:		endpoint
 * @key:	"mtu"
 * @val:	value
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0, -EINVAL for a value out of range, -ENOENT for another key
 */
int spec_endpoint_set_uint(struct spec_endpoint *e, const char *key,
			   uint64_t val, char *err, size_t errlen)
{
	if (spec_key_is(key, "mtu"))
		return spec_set_mtu(&e->mtu, val, SPEC_EP_MTU_MAX, err, errlen);
	snprintf(err, errlen, "unknown endpoint key '%s'", key);
	return -ENOENT;
}

/**
 * spec_ip4_usable() - can an endpoint own, or route through, this address?
 * @a:		IPv4 address, network order
 *
 * Return: false for 0.0.0.0/8, loopback, multicast, the reserved class E
 * and the limited broadcast
 */
static bool spec_ip4_usable(const uint8_t a[4])
{
	return a[0] != 0 && a[0] != 127 && a[0] < 224;
}

/**
 * spec_endpoint_set() - set an endpoint key from its text form
 * @e:		endpoint
 * @key:	name, tenant, network, address, gateway, mtu or mac
 * @val:	value as written
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0, -EINVAL for a bad value, -ENOENT for an unknown key
 */
int spec_endpoint_set(struct spec_endpoint *e, const char *key,
		      const char *val, char *err, size_t errlen)
{
	uint64_t u;

	if (spec_key_is(key, "name"))
		return spec_set_ifname(e->name, "endpoint", val, err, errlen);
	if (spec_key_is(key, "network") || spec_key_is(key, "tenant"))
		return spec_set_owner(e->network, e->tenant, key, val, err,
				      errlen);
	if (spec_key_is(key, "mac"))
		return spec_set_mac(e->mac, &e->has_mac, val, err, errlen);
	if (spec_key_is(key, "address")) {
		struct parse_cidr c;

		if (strchr(val, ':')) {
			snprintf(err, errlen,
				 "invalid address '%s': endpoints are IPv4 for now",
				 val);
			return -EINVAL;
		}
		if (parse_cidr(val, &c) || c.family != AF_INET ||
		    !spec_ip4_usable(c.addr)) {
			snprintf(err, errlen,
				 "invalid address '%s': expected ADDR/LEN, e.g. 10.0.0.1/24",
				 val);
			return -EINVAL;
		}
		if (e->has_address) {
			snprintf(err, errlen,
				 "address '%s': an endpoint has one address",
				 val);
			return -EINVAL;
		}
		e->address = c;
		e->has_address = true;
		return 0;
	}
	if (spec_key_is(key, "gateway")) {
		uint8_t a[4];

		if (strchr(val, ':')) {
			snprintf(err, errlen,
				 "invalid gateway '%s': endpoints are IPv4 for now",
				 val);
			return -EINVAL;
		}
		if (inet_pton(AF_INET, val, a) != 1 || !spec_ip4_usable(a)) {
			snprintf(err, errlen,
				 "invalid gateway '%s': expected an IPv4 address, e.g. 10.0.0.1",
				 val);
			return -EINVAL;
		}
		memcpy(e->gateway, a, 4);
		e->has_gateway = true;
		return 0;
	}
	if (spec_key_is(key, "mtu")) {
		if (parse_uint_key(key, val, &u, err, errlen))
			return -EINVAL;
		return spec_endpoint_set_uint(e, key, u, err, errlen);
	}
	snprintf(err, errlen, "unknown endpoint key '%s'", key);
	return -ENOENT;
}

/**
 * spec_ip4_host() - an IPv4 address as a host-order number
 * @a:		address, network order
 *
 * Return: the number
 */
static uint32_t spec_ip4_host(const uint8_t a[4])
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
	       (uint32_t)a[2] << 8 | a[3];
}

/**
 * spec_endpoint_check() - check that an endpoint's keys make sense together
 * @e:		endpoint
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * The address must not be its subnet's network or broadcast address (on
 * prefixes up to /30; /31 has neither, RFC 3021), and the gateway must be
 * on-link: inside the address's prefix, a host of it, not the endpoint
 * itself.
 *
 * Return: 0 or -EINVAL
 */
int spec_endpoint_check(const struct spec_endpoint *e, char *err,
			size_t errlen)
{
	char a[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];
	uint32_t addr, mask, gw;

	if (!e->name[0]) {
		snprintf(err, errlen, "an endpoint needs a name");
		return -EINVAL;
	}
	if (!e->has_address) {
		snprintf(err, errlen,
			 "endpoint %s needs an address (--address ADDR/LEN, e.g. 10.0.0.1/24)",
			 e->name);
		return -EINVAL;
	}
	inet_ntop(AF_INET, e->address.addr, a, sizeof(a));
	addr = spec_ip4_host(e->address.addr);
	mask = e->address.prefix ? ~0U << (32 - e->address.prefix) : 0;
	if (e->address.prefix <= 30 &&
	    ((addr & ~mask) == 0 || (addr & ~mask) == ~mask)) {
		snprintf(err, errlen,
			 "address %s/%u is the network or broadcast address of its prefix",
			 a, e->address.prefix);
		return -EINVAL;
	}
	if (!e->has_gateway)
		return 0;
	inet_ntop(AF_INET, e->gateway, g, sizeof(g));
	gw = spec_ip4_host(e->gateway);
	if ((gw & mask) != (addr & mask)) {
		snprintf(err, errlen, "gateway %s is not inside %s/%u", g, a,
			 e->address.prefix);
		return -EINVAL;
	}
	if (gw == addr) {
		snprintf(err, errlen, "gateway %s is the endpoint's own address",
			 g);
		return -EINVAL;
	}
	if (e->address.prefix <= 30 &&
	    ((gw & ~mask) == 0 || (gw & ~mask) == ~mask)) {
		snprintf(err, errlen,
			 "gateway %s is the network or broadcast address of %s/%u",
			 g, a, e->address.prefix);
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
				 "invalid tenant name '%s': " PARSE_NAME_RULE,
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
		if (parse_uint_key(key, val, &u, err, errlen))
			return -EINVAL;
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
			 "cgroup and pid are mutually exclusive");
		return -EINVAL;
	}
	return 0;
}
