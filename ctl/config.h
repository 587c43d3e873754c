/* SPDX-License-Identifier: MIT */
/*
 * config.h - vstackd settings: the [daemon] keys, and the config file
 *
 * The file is INI (parsed by inih) with the same keys as the command line:
 *
 *	[daemon]		workers, cpus, socket, app-socket, log-level,
 *				fdb-limit, fdb-aging, fdb-max, busy-poll,
 *				arena-bufs, napi, state, metrics, sched,
 *				one-hop
 *	[tenant NAME]		cgroup, pid, weight, rate
 *	[port NAME]		tenant, network, type, netns, netns-pid, mac,
 *				address (repeatable), mtu, queues, offload,
 *				lock, fdb-max
 *	[endpoint NAME]		tenant, network, address, gateway, mtu,
 *				mac
 *
 * Command-line options are set into the same struct config_daemon with
 * config_daemon_set(); each field remembers whether it was set, so the
 * command line can override the file key by key.
 */
#ifndef VSTACK_CTL_CONFIG_H
#define VSTACK_CTL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "spec.h"

#define CONFIG_SOCKET_DEFAULT "/run/vstack/vstackd.sock"
#define CONFIG_SOCKET_MAX 108 /* sizeof(sun_path) */
#define CONFIG_MAX_CPUS 64    /* VNET_MAX_WORKERS */
/* A worker's arena is registered as one buffer, which io_uring takes up to
 * 1 GiB: 1 GiB / ARENA_BUF_SIZE (68 KiB, ring/arena.h) */
#define CONFIG_ARENA_BUFS_MAX 15420
#define CONFIG_PATH_MAX 256

enum config_key {
	CONFIG_WORKERS = 1U << 0,
	CONFIG_CPUS = 1U << 1,
	CONFIG_SOCKET = 1U << 2,
	CONFIG_LOG_LEVEL = 1U << 3,
	CONFIG_FDB_LIMIT = 1U << 4,
	CONFIG_FDB_AGING = 1U << 5,
	CONFIG_BUSY_POLL = 1U << 6,
	CONFIG_ARENA_BUFS = 1U << 7,
	CONFIG_NAPI = 1U << 8,
	CONFIG_STATE = 1U << 9,
	CONFIG_METRICS = 1U << 10,
	CONFIG_SCHED = 1U << 11,
	CONFIG_APP_SOCKET = 1U << 12,
	CONFIG_ONE_HOP = 1U << 13,
	CONFIG_FDB_MAX = 1U << 14,
};

#define CONFIG_METRICS_MAX 64 /* HTTP_ADDR_MAX */

/**
 * struct config_daemon - daemon settings; a field counts only if its
 *			  CONFIG_* bit is in @set
 */
struct config_daemon {
	unsigned set;
	unsigned workers;
	unsigned ncpus;
	int cpus[CONFIG_MAX_CPUS];
	char socket[CONFIG_SOCKET_MAX];
	char app_socket[CONFIG_SOCKET_MAX];
	enum log_level log_level;
	uint32_t fdb_limit;
	uint32_t fdb_aging_s;
	uint32_t fdb_max; /* addresses learned per port, 0: no limit */
	uint32_t busy_poll_us;
	uint32_t arena_bufs;
	bool napi;
	char state[CONFIG_PATH_MAX];
	char metrics[CONFIG_METRICS_MAX];
	bool sched;
	bool one_hop;
};

/**
 * struct config_tenant - a [tenant NAME] section
 * @spec:	its keys
 * @line:	line of the section header
 */
struct config_tenant {
	struct spec_tenant spec;
	unsigned line;
};

/**
 * struct config_port - a [port NAME] section
 * @spec:	its keys
 * @line:	line of the section header
 */
struct config_port {
	struct spec_port spec;
	unsigned line;
};

/**
 * struct config_endpoint - an [endpoint NAME] section
 * @spec:	its keys
 * @line:	line of the section header
 */
struct config_endpoint {
	struct spec_endpoint spec;
	unsigned line;
};

/**
 * struct config - a parsed config file
 * @file:	name used in messages
 * @daemon:	[daemon] keys
 * @tenants:	[tenant NAME] sections, in file order
 * @ntenants:	number of @tenants
 * @ports:	[port NAME] sections, in file order
 * @nports:	number of @ports
 * @endpoints:	[endpoint NAME] sections, in file order
 * @nendpoints:	number of @endpoints
 */
struct config {
	char file[CONFIG_PATH_MAX];
	struct config_daemon daemon;
	struct config_tenant *tenants;
	unsigned ntenants;
	struct config_port *ports;
	unsigned nports;
	struct config_endpoint *endpoints;
	unsigned nendpoints;
};

int config_daemon_set(struct config_daemon *d, const char *key,
		      const char *val, char *err, size_t errlen);
void config_daemon_merge(struct config_daemon *dst,
			 const struct config_daemon *src);

int config_parse_buffer(struct config *c, const char *name, const char *buf,
			size_t len, char *err, size_t errlen);
int config_parse_file(struct config *c, const char *path, char *err,
		      size_t errlen);
void config_free(struct config *c);

#endif /* VSTACK_CTL_CONFIG_H */
