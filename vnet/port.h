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
 */
struct port_dev {
	char name[16];
	int fds[PORT_MAX_QUEUES];
	unsigned nqueues;
	unsigned offloads;
};

/**
 * struct port_ops - a back-end
 * @type:	name used by --type
 * @open:	create/attach the device with @nqueues queues
 * @close:	close every queue
 */
struct port_ops {
	const char *type;
	int (*open)(struct port_dev *dev, const char *name, unsigned nqueues,
		    bool offload, bool napi, char *err, size_t errlen);
	void (*close)(struct port_dev *dev);
};

extern const struct port_ops port_tap_ops;

const struct port_ops *port_ops_find(const char *type);

#endif /* VSTACK_PORT_H */
