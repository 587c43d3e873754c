/* SPDX-License-Identifier: MIT */
/*
 * port.h - port back-ends behind one ops table
 *
 * A back-end opens the device a port stands for and hands the switch one
 * file descriptor per queue: frames are read from and written to these
 * descriptors, each preceded by a virtio-net header. Today's back-end is
 * TAP (port_tap.c); vhost-net and VXLAN come later behind the same table.
 */
#ifndef VSTACK_PORT_H
#define VSTACK_PORT_H

#include <stdbool.h>
#include <stddef.h>

#include "vnet.h"

#define PORT_MAX_QUEUES 64

/**
 * struct port_dev - an open device
 * @name:	interface name
 * @fds:	one non-blocking descriptor per queue
 * @nqueues:	number of queues
 * @offloads:	TUN_F_* bits the device accepted
 * @persist:	the device is persistent (TUNSETPERSIST)
 */
struct port_dev {
	char name[16];
	int fds[PORT_MAX_QUEUES];
	unsigned nqueues;
	unsigned offloads;
	bool persist;
};

/**
 * struct port_open - how to open a port's device
 * @name:	interface name
 * @nqueues:	queues to open, 1..PORT_MAX_QUEUES
 * @offload:	negotiate offloads; without, the tenant's kernel sends only
 *		complete, checksummed frames and gets only those
 * @napi:	IFF_NAPI: frames we write go through GRO
 * @persist:	the device outlives its queue descriptors (a daemon restart)
 * @attach:	open the existing device @name instead of creating it
 * @netns_fd:	with @attach: the namespace the device lives in, -1 for ours
 */
struct port_open {
	const char *name;
	unsigned nqueues;
	bool offload;
	bool napi;
	bool persist;
	bool attach;
	int netns_fd;
};

/**
 * struct port_ops - a back-end
 * @type:	name used by --type
 * @open:	create or attach the device; -ENODEV when @attach finds none
 * @close:	close every queue; @destroy also removes a persistent device
 */
struct port_ops {
	const char *type;
	int (*open)(struct port_dev *dev, const struct port_open *o, char *err,
		    size_t errlen);
	void (*close)(struct port_dev *dev, bool destroy);
};

extern const struct port_ops port_tap_ops;

const struct port_ops *port_ops_find(const char *type);

#endif /* VSTACK_PORT_H */
