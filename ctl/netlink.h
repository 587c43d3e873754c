/* SPDX-License-Identifier: MIT */
/*
 * netlink.h - link set-up of a port's device, through libnl-route-3
 *
 * vnet creates a port's TAP in vstackd's own network namespace. From
 * there, netlink_link_setup() gives it its MAC address and MTU, moves it
 * into the tenant's namespace, brings it up and adds its addresses there.
 */
#ifndef VSTACK_CTL_NETLINK_H
#define VSTACK_CTL_NETLINK_H

#include <stddef.h>
#include <stdint.h>

#include "parse.h"

/**
 * struct netlink_setup - what to do with a new device
 * @ifname:	device, in vstackd's namespace
 * @mac:	MAC address to set
 * @mtu:	MTU to set, 0 to leave it
 * @gso_max_segs: segments a GSO frame sent into it may have, 0 to leave it
 * @netns_fd:	namespace to move it to, -1 to keep it in ours
 * @netns_desc:	the namespace as the user named it, for messages
 * @addrs:	addresses to add once it is up
 * @naddrs:	number of @addrs
 * @moved:	called once it has moved to @netns_fd, or NULL
 * @moved_ctx:	argument of @moved
 */
struct netlink_setup {
	const char *ifname;
	uint8_t mac[6];
	unsigned mtu;
	unsigned gso_max_segs;
	int netns_fd;
	const char *netns_desc;
	const struct parse_cidr *addrs;
	unsigned naddrs;
	void (*moved)(void *ctx);
	void *moved_ctx;
};

int netlink_init(char *err, size_t errlen);
void netlink_fini(void);
int netlink_netns_open(const char *name, int pid, int *fd, char *err,
		       size_t errlen);
int netlink_link_exists(const char *ifname);
int netlink_link_delete(int netns_fd, const char *ifname, const char *kind,
			char *err, size_t errlen);
int netlink_link_setup(const struct netlink_setup *s, char *err,
		       size_t errlen);

#endif /* VSTACK_CTL_NETLINK_H */
