// SPDX-License-Identifier: MIT
/*
 * port_tap.c - TAP back-end
 *
 * The device is created by vstackd and lives as long as its queue
 * descriptors: IFF_MULTI_QUEUE lets every worker read and write its own
 * queue, IFF_VNET_HDR puts a virtio-net header in front of every frame so
 * checksum and segmentation offloads cross the boundary, IFF_NO_PI drops
 * the packet-information prefix nobody needs.
 *
 * Offloads are negotiated with TUNSETOFFLOAD, which fails with EINVAL on an
 * unknown bit: that is how we find out what the kernel supports, trying the
 * richest set first. TSO bits only mean anything together with TUN_F_CSUM,
 * and USO needs both TUN_F_USO4 and TUN_F_USO6.
 *
 * Queue descriptors are opened non-blocking: before Linux 6.4 tun did not
 * tell io_uring it can be read without blocking, and io_uring then hands
 * blocking reads to worker threads.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "frame.h"
#include "port.h"

/* Richest first; the first the kernel accepts is kept. */
static const unsigned port_tap_offload_sets[] = {
	TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN | TUN_F_USO4 |
		TUN_F_USO6,
	TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN,
	TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6,
	TUN_F_CSUM,
	0,
};

static int port_tap_offload(int fd, bool offload, unsigned *got)
{
	unsigned i;

	for (i = 0; i < sizeof(port_tap_offload_sets) / sizeof(unsigned); i++) {
		unsigned set = port_tap_offload_sets[i];

		if (!offload && set)
			continue;
		if (!ioctl(fd, TUNSETOFFLOAD, set)) {
			*got = set;
			return 0;
		}
		if (errno != EINVAL)
			return -errno;
	}
	return -EINVAL;
}

static void port_tap_close(struct port_dev *dev)
{
	unsigned q;

	for (q = 0; q < dev->nqueues; q++)
		if (dev->fds[q] >= 0)
			close(dev->fds[q]);
	dev->nqueues = 0;
}

/**
 * port_tap_open() - create TAP device @name with @nqueues queues
 * @dev:	filled in
 * @name:	interface name, must not exist yet
 * @nqueues:	1..PORT_MAX_QUEUES
 * @offload:	negotiate offloads; without, the tenant's kernel sends only
 *		complete, checksummed frames and gets only those
 * @napi:	IFF_NAPI: frames we write go through GRO
 * @err:	one-line reason on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -errno
 */
static int port_tap_open(struct port_dev *dev, const char *name,
			 unsigned nqueues, bool offload, bool napi, char *err,
			 size_t errlen)
{
	int hdrsz = (int)VNET_HDR_LEN, ret = 0;
	struct ifreq ifr;
	unsigned q;

	memset(dev, 0, sizeof(*dev));
	if (!nqueues || nqueues > PORT_MAX_QUEUES) {
		snprintf(err, errlen, "a port has 1 to %d queues",
			 PORT_MAX_QUEUES);
		return -EINVAL;
	}
	if (strlen(name) >= IFNAMSIZ || !*name) {
		snprintf(err, errlen, "interface names have 1 to %d characters",
			 IFNAMSIZ - 1);
		return -EINVAL;
	}
	/* TUNSETIFF on an existing multi-queue TAP would attach to it. */
	if (if_nametoindex(name)) {
		snprintf(err, errlen, "interface %s already exists", name);
		return -EEXIST;
	}
	snprintf(dev->name, sizeof(dev->name), "%s", name);

	for (q = 0; q < nqueues; q++) {
		int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

		if (fd < 0) {
			ret = -errno;
			snprintf(err, errlen, "cannot open /dev/net/tun: %s%s",
				 strerror(errno),
				 errno == ENOENT ? " (is the tun module loaded?)"
						 : "");
			goto out_close;
		}
		dev->fds[q] = fd;
		dev->nqueues = q + 1;

		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
		ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR |
				IFF_MULTI_QUEUE | (napi ? IFF_NAPI : 0);
		if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
			ret = -errno;
			snprintf(err, errlen, "TUNSETIFF %s: %s", name,
				 strerror(errno));
			goto out_close;
		}
	}

	/* Header size and offloads belong to the device: set them once. */
	if (ioctl(dev->fds[0], TUNSETVNETHDRSZ, &hdrsz) < 0) {
		ret = -errno;
		snprintf(err, errlen, "TUNSETVNETHDRSZ %s: %s", name,
			 strerror(errno));
		goto out_close;
	}
	ret = port_tap_offload(dev->fds[0], offload, &dev->offloads);
	if (ret) {
		snprintf(err, errlen, "TUNSETOFFLOAD %s: %s", name,
			 strerror(-ret));
		goto out_close;
	}
	return 0;

out_close:
	port_tap_close(dev);
	return ret;
}

const struct port_ops port_tap_ops = {
	.type = "tap",
	.open = port_tap_open,
	.close = port_tap_close,
};

/**
 * port_ops_find() - the back-end called @type
 * @type:	"tap", or NULL for the default
 *
 * Return: ops, or NULL when there is no such back-end
 */
const struct port_ops *port_ops_find(const char *type)
{
	if (!type || !strcmp(type, "tap"))
		return &port_tap_ops;
	return NULL;
}
