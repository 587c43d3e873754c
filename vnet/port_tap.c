// SPDX-License-Identifier: MIT
/*
 * port_tap.c - TAP back-end
 *
 * The device is created by vstackd: IFF_MULTI_QUEUE lets every worker read
 * and write its own queue (a port with a single queue gets a single-queue
 * device, far cheaper for the kernel to make), IFF_VNET_HDR puts a
 * virtio-net header in front of every frame so checksum and segmentation
 * offloads cross the boundary, IFF_NO_PI drops the packet-information
 * prefix nobody needs.
 *
 * Offloads are negotiated with TUNSETOFFLOAD, which fails with EINVAL on an
 * unknown bit: that is how we find out what the kernel supports, trying the
 * richest set first. TSO bits only mean anything together with TUN_F_CSUM,
 * and USO needs both TUN_F_USO4 and TUN_F_USO6.
 *
 * Devices are persistent (TUNSETPERSIST): they outlive vstackd, so a
 * restart or a crash does not take a tenant's interface, addresses and
 * routes away. On start vstackd attaches new queues to the device it left
 * behind; only deleting the port destroys the device.
 *
 * Queue descriptors are opened non-blocking: before Linux 6.4 tun did not
 * tell io_uring it can be read without blocking, and io_uring then hands
 * blocking reads to worker threads.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
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

/**
 * port_tap_close() - close every queue of a device
 * @dev:	device
 * @destroy:	remove the device even if it is persistent
 *
 * Without @destroy a persistent device stays, with its addresses, routes
 * and neighbours, and merely loses its carrier until a queue is attached
 * again: that is what lets a tenant's connections ride out a restart.
 *
 * The carrier is turned off here rather than left to the kernel, which
 * does it when the last reference to the queues goes: io_uring holds
 * references of its own, and older kernels (Debian 12's 6.1) drop them
 * only when the ring is torn down, some time after vstackd exits. The
 * next attach (TUNSETIFF) turns it on again.
 */
static void port_tap_close(struct port_dev *dev, bool destroy)
{
	int off = 0;
	unsigned q;

	if (destroy && dev->persist && dev->nqueues &&
	    ioctl(dev->fds[0], TUNSETPERSIST, 0) == 0)
		dev->persist = false;
	else if (!destroy && dev->nqueues)
		ioctl(dev->fds[0], TUNSETCARRIER, &off);
	for (q = 0; q < dev->nqueues; q++)
		if (dev->fds[q] >= 0)
			close(dev->fds[q]);
	dev->nqueues = 0;
}

/**
 * port_tap_netns_enter() - move the calling thread into @fd's namespace
 * @fd:		namespace to enter, -1 to stay
 * @saved:	set to our namespace (to come back to), or -1
 *
 * Opening /dev/net/tun binds the descriptor to the opener's namespace, and
 * TUNSETIFF finds an existing device by name there; so attaching to a
 * device that lives in a tenant's namespace has to be done from inside it.
 * Only the calling (control) thread moves, and only for the open.
 *
 * Return: 0 or -errno
 */
static int port_tap_netns_enter(int fd, int *saved)
{
	*saved = -1;
	if (fd < 0)
		return 0;
	*saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*saved < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET) < 0) {
		int ret = -errno;

		close(*saved);
		*saved = -1;
		return ret;
	}
	return 0;
}

/**
 * port_tap_netns_leave() - back to the namespace port_tap_netns_enter() left
 * @saved:	its @saved
 *
 * Return: 0 or -errno (the thread is then still in the other namespace)
 */
static int port_tap_netns_leave(int saved)
{
	int ret = 0;

	if (saved < 0)
		return 0;
	if (setns(saved, CLONE_NEWNET) < 0)
		ret = -errno;
	close(saved);
	return ret;
}

/* What a device must have been created with for us to attach to it. */
#define PORT_TAP_FLAGS (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR)

/**
 * port_tap_setiff() - bind queue descriptor @fd to the device
 * @fd:		a /dev/net/tun descriptor
 * @o:		what to open
 * @mq:		IFF_MULTI_QUEUE or 0
 * @excl:	IFF_TUN_EXCL to fail (-EBUSY) if the device exists, or 0
 *
 * Return: 0 or -errno
 */
static int port_tap_setiff(int fd, const struct port_open *o, unsigned mq,
			   unsigned excl)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", o->name);
	ifr.ifr_flags = (short)(PORT_TAP_FLAGS | mq | excl |
				(o->napi ? IFF_NAPI : 0));
	return ioctl(fd, TUNSETIFF, &ifr) < 0 ? -errno : 0;
}

/* How long a single-queue device may stay held by a daemon that died. */
#define PORT_TAP_BUSY_WAIT_MS 5000

/**
 * port_tap_setiff_wait() - attach to a single-queue device, waiting for
 *			    the previous holder to let go
 * @fd:		a /dev/net/tun descriptor
 * @o:		what to open
 *
 * A daemon killed a moment ago may still hold the device's only queue:
 * its io_uring instance is torn down, and its files released, after the
 * process is gone. Until then the kernel says EBUSY; wait, bounded.
 *
 * Return: 0 or -errno
 */
static int port_tap_setiff_wait(int fd, const struct port_open *o)
{
	unsigned waited = 0;
	int ret;

	while ((ret = port_tap_setiff(fd, o, 0, 0)) == -EBUSY &&
	       waited < PORT_TAP_BUSY_WAIT_MS) {
		usleep(10 * 1000);
		waited += 10;
	}
	return ret;
}

/**
 * port_tap_queues() - open @o->nqueues queues of the device @o->name
 * @dev:	device, @dev->fds filled in
 * @o:		what to open
 * @err:	one-line reason on failure
 * @errlen:	size of @err
 *
 * A port with one queue gets a single-queue device: the kernel makes one
 * in a fraction of the time of a multi-queue one, which it builds for 256
 * queues whatever the use (0.5 against 8 ms each at a thousand devices).
 * Attaching tries multi-queue first, then single-queue.
 *
 * Return: 0 or -errno (-ENODEV: @o->attach and there is no such device;
 * -EMLINK: it has a single queue and @o->nqueues are wanted)
 */
static int port_tap_queues(struct port_dev *dev, const struct port_open *o,
			   char *err, size_t errlen)
{
	unsigned q, mq = o->attach || o->nqueues > 1 ? IFF_MULTI_QUEUE : 0;
	struct ifreq ifr;
	int ret;

	/* TUNSETIFF on an existing multi-queue TAP would attach to it. */
	if (!!if_nametoindex(o->name) != o->attach) {
		if (o->attach) {
			snprintf(err, errlen, "interface %s is gone", o->name);
			return -ENODEV;
		}
		snprintf(err, errlen, "interface %s already exists", o->name);
		return -EEXIST;
	}
	for (q = 0; q < o->nqueues; q++) {
		int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

		if (fd < 0) {
			snprintf(err, errlen, "cannot open /dev/net/tun: %s%s",
				 strerror(errno),
				 errno == ENOENT ? " (is the tun module loaded?)"
						 : "");
			return -errno;
		}
		dev->fds[q] = fd;
		dev->nqueues = q + 1;

		/*
		 * The first queue of a new device is made with IFF_TUN_EXCL:
		 * a device of that name made since the check above (a
		 * persistent multi-queue TAP of someone else's) fails it
		 * rather than being attached to.
		 */
		ret = port_tap_setiff(fd, o, mq,
				      q == 0 && !o->attach ? IFF_TUN_EXCL : 0);
		if (ret == -EBUSY && q == 0 && !o->attach) {
			snprintf(err, errlen, "interface %s already exists",
				 o->name);
			return -EEXIST;
		}
		if (ret == -EINVAL && o->attach && q == 0) {
			/* A single-queue device (made for one queue). */
			mq = 0;
			ret = port_tap_setiff_wait(fd, o);
			if (!ret && o->nqueues > 1) {
				snprintf(err, errlen,
					 "interface %s has one queue, %u are needed",
					 o->name, o->nqueues);
				return -EMLINK;
			}
		}
		if (ret) {
			snprintf(err, errlen, "TUNSETIFF %s: %s%s", o->name,
				 strerror(-ret),
				 o->attach && ret == -EINVAL
					 ? " (not a vstack TAP device)"
					 : "");
			return ret;
		}
		if (q == 0 && o->persist && !o->attach) {
			if (ioctl(fd, TUNSETPERSIST, 1) < 0) {
				snprintf(err, errlen, "TUNSETPERSIST %s: %s",
					 o->name, strerror(errno));
				return -errno;
			}
			dev->persist = true;
		}
	}
	if (o->attach) {
		/* Only a device we made and left behind: a live TAP of
		 * someone else's (a VM's) is not persistent. */
		if (ioctl(dev->fds[0], TUNGETIFF, &ifr) < 0 ||
		    (ifr.ifr_flags & (PORT_TAP_FLAGS | IFF_PERSIST)) !=
			    (PORT_TAP_FLAGS | IFF_PERSIST)) {
			snprintf(err, errlen,
				 "interface %s is not a persistent vstack TAP device",
				 o->name);
			return -EINVAL;
		}
		dev->persist = true;
	}
	return 0;
}

/**
 * port_tap_open() - create TAP device @o->name, or attach to it
 * @dev:	filled in
 * @o:		what to open; a new device is created in our namespace,
 *		an existing one is looked for in @o->netns_fd
 * @err:	one-line reason on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -errno; -ENODEV when @o->attach finds no device
 */
static int port_tap_open(struct port_dev *dev, const struct port_open *o,
			 char *err, size_t errlen)
{
	int hdrsz = (int)VNET_HDR_LEN, ret, saved, back;

	memset(dev, 0, sizeof(*dev));
	if (!o->nqueues || o->nqueues > PORT_MAX_QUEUES) {
		snprintf(err, errlen, "a port has 1 to %d queues",
			 PORT_MAX_QUEUES);
		return -EINVAL;
	}
	if (strlen(o->name) >= IFNAMSIZ || !*o->name) {
		snprintf(err, errlen, "interface names have 1 to %d characters",
			 IFNAMSIZ - 1);
		return -EINVAL;
	}
	snprintf(dev->name, sizeof(dev->name), "%s", o->name);

	if ((ret = port_tap_netns_enter(o->attach ? o->netns_fd : -1,
					&saved))) {
		snprintf(err, errlen,
			 "cannot enter the namespace of interface %s: %s",
			 o->name, strerror(-ret));
		return ret;
	}
	ret = port_tap_queues(dev, o, err, errlen);
	if ((back = port_tap_netns_leave(saved))) {
		snprintf(err, errlen,
			 "cannot return to vstackd's network namespace: %s",
			 strerror(-back));
		ret = back;
	}
	if (ret)
		goto out_close;

	/* Header size and offloads belong to the device: set them once. */
	if (ioctl(dev->fds[0], TUNSETVNETHDRSZ, &hdrsz) < 0) {
		ret = -errno;
		snprintf(err, errlen, "TUNSETVNETHDRSZ %s: %s", o->name,
			 strerror(errno));
		goto out_close;
	}
	ret = port_tap_offload(dev->fds[0], o->offload, &dev->offloads);
	if (ret) {
		snprintf(err, errlen, "TUNSETOFFLOAD %s: %s", o->name,
			 strerror(-ret));
		goto out_close;
	}
	return 0;

out_close:
	/* A device we attached to is not ours to destroy on failure. */
	port_tap_close(dev, !o->attach);
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
