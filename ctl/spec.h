/* SPDX-License-Identifier: MIT */
/*
 * spec.h - what a port or a tenant should look like
 *
 * A port or tenant can be described by the config file ([port NAME] keys),
 * by vstackctl options or by control protocol arguments. All of them land
 * in these structs through the same setters, so a value is accepted or
 * refused with the same words wherever it comes from. The setters check
 * single values; spec_port_check() checks how they combine.
 *
 * An endpoint ([endpoint NAME], vstackctl endpoint add) is an IPv4 address
 * served by the shared stack: it shares the port's name, network, tenant,
 * MAC and MTU keys, with the same words, and adds one address and a
 * gateway.
 */
#ifndef VSTACK_CTL_SPEC_H
#define VSTACK_CTL_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parse.h"

#define SPEC_IFNAME_MAX 16   /* IFNAMSIZ, as VNET_IFNAME_MAX */
#define SPEC_NAME_MAX 32     /* as VNET_NAME_MAX and TENANT_NAME_MAX */
#define SPEC_NETNS_MAX 256   /* NAME_MAX + 1 */
#define SPEC_CGROUP_MAX 512  /* as TENANT_CGROUP_MAX */
#define SPEC_MAX_ADDRS 16
#define SPEC_MTU_MIN 68
#define SPEC_MTU_MAX 65521   /* 65535 minus the Ethernet header, TAP's limit */
#define SPEC_MTU_DEFAULT 1500
#define SPEC_EP_MTU_MAX 65535 /* no device in between: the IPv4 limit */
#define SPEC_QUEUES_MAX 64
#define SPEC_FDB_MAX_MAX (1U << 24) /* fdb-max: the largest fdb-limit */
#define SPEC_WEIGHT_MIN 1    /* cgroup v2 cpu.weight range */
#define SPEC_WEIGHT_MAX 10000

/**
 * struct spec_port - a port to add
 * @name:	interface name
 * @network:	network name ("default" unless given)
 * @tenant:	tenant name ("default" unless given)
 * @netns:	target namespace name in /run/netns, "" for none
 * @netns_pid:	target namespace as a process's, 0 for none
 * @has_mac:	@mac was given (otherwise one is generated)
 * @mac:	unicast MAC address
 * @mtu:	MTU, 0 for the default
 * @queues:	TAP queues, 0 for one per worker
 * @offload:	negotiate checksum/segmentation offloads
 * @lock:	port security: only its MAC (and addresses) as source
 * @has_fdb_max: @fdb_max was given (otherwise the daemon's fdb-max)
 * @fdb_max:	MAC addresses the FDB learns from it at most, 0: no limit
 * @naddrs:	number of @addrs
 * @addrs:	addresses to add inside the target namespace
 */
struct spec_port {
	char name[SPEC_IFNAME_MAX];
	char network[SPEC_NAME_MAX];
	char tenant[SPEC_NAME_MAX];
	char netns[SPEC_NETNS_MAX];
	int netns_pid;
	bool has_mac;
	uint8_t mac[6];
	unsigned mtu;
	unsigned queues;
	bool offload;
	bool lock;
	bool has_fdb_max;
	uint32_t fdb_max;
	unsigned naddrs;
	struct parse_cidr addrs[SPEC_MAX_ADDRS];
};

/**
 * struct spec_tenant - a tenant to add, or the changes to one
 * @name:	tenant name
 * @cgroup:	cgroup path, valid if @has_cgroup
 * @pid:	process whose cgroup to use, valid if @has_pid
 * @weight:	weight, valid if @has_weight
 * @rate_bps:	rate cap in bits per second (0: none), valid if @has_rate
 */
struct spec_tenant {
	char name[SPEC_NAME_MAX];
	char cgroup[SPEC_CGROUP_MAX];
	int pid;
	uint32_t weight;
	uint64_t rate_bps;
	bool has_cgroup, has_pid, has_weight, has_rate;
};

/**
 * struct spec_endpoint - an endpoint to add
 * @name:	endpoint name, 1..15 characters (it shares the port names)
 * @network:	network name ("default" unless given)
 * @tenant:	tenant name ("default" unless given)
 * @has_address: @address was given (required, see spec_endpoint_check())
 * @address:	its IPv4 address and on-link prefix
 * @has_gateway: @gateway was given
 * @gateway:	default gateway, IPv4, network order, inside @address's
 *		prefix
 * @has_mac:	@mac was given (otherwise the stack derives one)
 * @mac:	unicast MAC address
 * @mtu:	MTU, 0 for the default (SPEC_MTU_DEFAULT)
 */
struct spec_endpoint {
	char name[SPEC_IFNAME_MAX];
	char network[SPEC_NAME_MAX];
	char tenant[SPEC_NAME_MAX];
	bool has_address;
	struct parse_cidr address;
	bool has_gateway;
	uint8_t gateway[4];
	bool has_mac;
	uint8_t mac[6];
	unsigned mtu;
};

void spec_port_init(struct spec_port *p);
int spec_port_set(struct spec_port *p, const char *key, const char *val,
		  char *err, size_t errlen);
int spec_port_set_uint(struct spec_port *p, const char *key, uint64_t val,
		       char *err, size_t errlen);
int spec_port_check(const struct spec_port *p, char *err, size_t errlen);

void spec_endpoint_init(struct spec_endpoint *e);
int spec_endpoint_set(struct spec_endpoint *e, const char *key,
		      const char *val, char *err, size_t errlen);
int spec_endpoint_set_uint(struct spec_endpoint *e, const char *key,
			   uint64_t val, char *err, size_t errlen);
int spec_endpoint_check(const struct spec_endpoint *e, char *err,
			size_t errlen);

void spec_tenant_init(struct spec_tenant *t);
int spec_tenant_set(struct spec_tenant *t, const char *key, const char *val,
		    char *err, size_t errlen);
int spec_tenant_set_uint(struct spec_tenant *t, const char *key, uint64_t val,
			 char *err, size_t errlen);
int spec_tenant_check(const struct spec_tenant *t, char *err, size_t errlen);

#endif /* VSTACK_CTL_SPEC_H */
