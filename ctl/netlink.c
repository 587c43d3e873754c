// SPDX-License-Identifier: MIT
/*
 * netlink.c - link set-up of a port's device, through libnl-route-3
 *
 * A netlink socket talks to the namespace it was created in, for its whole
 * life. To configure a device once it lives in a tenant's namespace we
 * switch the calling thread into that namespace with setns(2), create a
 * socket there and switch straight back: the socket stays bound to the
 * tenant's namespace while the thread (the control thread, which also owns
 * the control socket) is back in ours. Only the creation of the socket
 * happens in the foreign namespace; nothing else runs there.
 *
 * libnl reports its own NLE_* codes; netlink_errno() maps them back to
 * errno values so that callers keep the usual 0/-errno convention.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

#include "netlink.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

/* Our own network namespace, to come back to after a setns(). */
static int netlink_self_fd = -1;

/**
 * netlink_errno() - map a libnl error to an errno value
 * @nlerr:	negative NLE_* code
 *
 * Return: negative errno
 */
static int netlink_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_NOMEM: return -ENOMEM;
	case NLE_EXIST: return -EEXIST;
	case NLE_INVAL: return -EINVAL;
	case NLE_RANGE: return -ERANGE;
	case NLE_OPNOTSUPP: return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT: return -EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND: return -ENOENT;
	case NLE_NODEV: return -ENODEV;
	case NLE_NOADDR: return -EADDRNOTAVAIL;
	case NLE_BUSY: return -EBUSY;
	case NLE_PERM: return -EPERM;
	case NLE_NOACCESS: return -EACCES;
	case NLE_AGAIN: return -EAGAIN;
	case NLE_INTR: return -EINTR;
	default: return -EIO;
	}
}

/**
 * netlink_init() - remember vstackd's own network namespace
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -errno
 */
int netlink_init(char *err, size_t errlen)
{
	int rc;

	if (netlink_self_fd >= 0)
		return 0;
	netlink_self_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (netlink_self_fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot open our network namespace: %s",
			 strerror(-rc));
		return rc;
	}
	return 0;
}

/**
 * netlink_fini() - release what netlink_init() took
 */
void netlink_fini(void)
{
	if (netlink_self_fd >= 0)
		close(netlink_self_fd);
	netlink_self_fd = -1;
}

/**
 * netlink_netns_open() - open a network namespace by name or by process
 * @name:	name in /run/netns (as "ip netns add" makes), or NULL
 * @pid:	process whose namespace to use, if @name is NULL
 * @fd:	result, close-on-exec
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0, -ENOENT if there is no such namespace or process, or -errno
 */
int netlink_netns_open(const char *name, int pid, int *fd, char *err,
		       size_t errlen)
{
	char path[320], what[300];
	struct statfs sfs;
	int rc;

	if (name) {
		snprintf(path, sizeof(path), "/run/netns/%s", name);
		snprintf(what, sizeof(what), "network namespace '%s'", name);
	} else {
		snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
		snprintf(what, sizeof(what), "network namespace of process %d",
			 pid);
	}

	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0) {
		rc = -errno;
		if (rc == -ENOENT && name)
			snprintf(err, errlen, "network namespace '%s' not found",
				 name);
		else if (rc == -ENOENT)
			snprintf(err, errlen, "process %d not found", pid);
		else
			snprintf(err, errlen, "cannot open %s: %s", what,
				 strerror(-rc));
		return rc;
	}
	/* A name left in /run/netns after its namespace went away is an
	 * empty file, not an nsfs mount: setns() would fail later, less
	 * clearly.
	 */
	if (fstatfs(*fd, &sfs) || sfs.f_type != NSFS_MAGIC) {
		snprintf(err, errlen, "%s not found (%s is not a namespace)",
			 what, path);
		close(*fd);
		*fd = -1;
		return -ENOENT;
	}
	return 0;
}

/**
 * netlink_link_exists() - is there a device of this name in our namespace?
 * @ifname:	name
 *
 * Return: its ifindex, or 0
 */
int netlink_link_exists(const char *ifname)
{
	return (int)if_nametoindex(ifname);
}

/**
 * netlink_socket() - a connected NETLINK_ROUTE socket in a namespace
 * @netns_fd:	namespace, -1 for ours
 * @sk:		result
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -errno
 */
static int netlink_socket(int netns_fd, struct nl_sock **sk, char *err,
			  size_t errlen)
{
	int rc = 0, nlrc, sys_errno;

	*sk = nl_socket_alloc();
	if (!*sk) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET)) {
		rc = -errno;
		snprintf(err, errlen, "cannot enter network namespace: %s",
			 strerror(-rc));
		goto out;
	}
	errno = 0;
	nlrc = nl_connect(*sk, NETLINK_ROUTE);
	/* libnl turns most system errors (EMFILE among them) into "Unspecific
	 * failure"; the errno of its failed call says more. */
	sys_errno = nlrc == -NLE_FAILURE ? errno : 0;
	if (netns_fd >= 0 && setns(netlink_self_fd, CLONE_NEWNET)) {
		/* Cannot happen with the fd we opened ourselves; if it does,
		 * this thread is stranded in the tenant's namespace.
		 */
		rc = -errno;
		snprintf(err, errlen,
			 "cannot return to our network namespace: %s",
			 strerror(-rc));
		goto out;
	}
	if (nlrc < 0) {
		rc = sys_errno ? -sys_errno : netlink_errno(nlrc);
		snprintf(err, errlen, "cannot open a netlink socket: %s",
			 sys_errno ? strerror(sys_errno) : nl_geterror(nlrc));
	}
out:
	if (rc) {
		nl_socket_free(*sk);
		*sk = NULL;
	}
	return rc;
}

/**
 * netlink_link_delete() - delete a device, in a namespace or in ours
 * @netns_fd:	namespace the device is in, -1 for ours
 * @ifname:	device
 * @kind:	delete it only if it is of this kind ("tun" for a TAP), or
 *		NULL for any
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * For a persistent TAP that cannot be attached to as it is (see
 * cmd_port_restore()): RTM_DELLINK removes it whoever holds it.
 *
 * Return: 0, -ENODEV (or -ENOENT) if there is no such device,
 * -EMEDIUMTYPE if it is not of @kind, or -errno
 */
int netlink_link_delete(int netns_fd, const char *ifname, const char *kind,
			char *err, size_t errlen)
{
	struct rtnl_link *link = NULL;
	const char *type;
	struct nl_sock *sk;
	int rc, nlrc;

	if ((rc = netlink_socket(netns_fd, &sk, err, errlen)))
		return rc;
	nlrc = rtnl_link_get_kernel(sk, 0, ifname, &link);
	if (nlrc >= 0 && kind &&
	    (!(type = rtnl_link_get_type(link)) || strcmp(type, kind))) {
		snprintf(err, errlen, "%s is not a %s device", ifname, kind);
		rc = -EMEDIUMTYPE;
	} else if (nlrc >= 0) {
		nlrc = rtnl_link_delete(sk, link);
	}
	if (link)
		rtnl_link_put(link);
	nl_socket_free(sk);
	if (nlrc < 0) {
		rc = netlink_errno(nlrc);
		snprintf(err, errlen, "cannot delete %s: %s", ifname,
			 nl_geterror(nlrc));
	}
	return rc;
}

/**
 * netlink_change() - apply a change to a device
 * @sk:		socket in the device's namespace
 * @ifname:	device
 * @chg:	the change
 * @link:	if not NULL, the device as found, for the caller
 *
 * Return: 0 or a negative NLE_* code
 */
static int netlink_change(struct nl_sock *sk, const char *ifname,
			  struct rtnl_link *chg, struct rtnl_link **link)
{
	struct rtnl_link *cur = NULL;
	int nlrc;

	nlrc = rtnl_link_get_kernel(sk, 0, ifname, &cur);
	if (nlrc < 0)
		return nlrc;
	nlrc = rtnl_link_change(sk, cur, chg, 0);
	if (link && !nlrc)
		*link = cur;
	else
		rtnl_link_put(cur);
	return nlrc;
}

/**
 * netlink_gso_segs() - limit the segments of the GSO frames a device takes
 * @sk:		socket in the device's namespace
 * @ifname:	device
 * @segs:	at most this many
 *
 * The tenant's kernel then segments bigger ones itself, before the TAP
 * (libnl has no setter for IFLA_GSO_MAX_SEGS, so the message is built
 * here). Kernels before 5.19 cannot change it and ignore the attribute;
 * the switch drops such frames either way (frame.h).
 *
 * Return: 0 or a negative NLE_* code
 */
static int netlink_gso_segs(struct nl_sock *sk, const char *ifname,
			    uint32_t segs)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct nl_msg *msg;

	msg = nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK);
	if (!msg)
		return -NLE_NOMEM;
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(msg, IFLA_IFNAME, ifname) < 0 ||
	    nla_put_u32(msg, IFLA_GSO_MAX_SEGS, segs) < 0) {
		nlmsg_free(msg);
		return -NLE_NOMEM;
	}
	return nl_send_sync(sk, msg); /* frees @msg */
}

/**
 * netlink_addr_add() - add one address to a device
 * @sk:		socket in the device's namespace
 * @ifindex:	device
 * @c:		address
 *
 * Return: 0 or a negative NLE_* code
 */
static int netlink_addr_add(struct nl_sock *sk, int ifindex,
			    const struct parse_cidr *c)
{
	struct rtnl_addr *addr = rtnl_addr_alloc();
	struct nl_addr *local;
	int nlrc;

	if (!addr)
		return -NLE_NOMEM;
	local = nl_addr_build(c->family, c->addr,
			      c->family == AF_INET ? 4 : 16);
	if (!local) {
		rtnl_addr_put(addr);
		return -NLE_NOMEM;
	}
	nl_addr_set_prefixlen(local, (int)c->prefix);
	rtnl_addr_set_ifindex(addr, ifindex);
	nlrc = rtnl_addr_set_local(addr, local);
	if (!nlrc)
		nlrc = rtnl_addr_add(sk, addr, 0);
	nl_addr_put(local);
	rtnl_addr_put(addr);
	return nlrc;
}

/**
 * netlink_link_setup() - set up a port's new device
 * @s:		what to do
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * MAC and MTU are set in our namespace, then the device moves (if it
 * does), then it is brought up and given its addresses where it now
 * lives, found again by name: its ifindex may differ there. On failure the
 * device is left as it is; the caller deletes the port, which destroys it.
 *
 * Return: 0 or -errno
 */
int netlink_link_setup(const struct netlink_setup *s, char *err,
		       size_t errlen)
{
	struct nl_sock *sk = NULL, *sk_ns = NULL, *where;
	struct rtnl_link *chg = NULL, *link = NULL;
	struct nl_addr *lladdr = NULL;
	char mac[PARSE_MAC_STRLEN];
	int rc = 0, nlrc;
	unsigned i;

	if ((rc = netlink_init(err, errlen)))
		return rc;
	if ((rc = netlink_socket(-1, &sk, err, errlen)))
		return rc;

	chg = rtnl_link_alloc();
	lladdr = nl_addr_build(AF_LLC, s->mac, 6);
	if (!chg || !lladdr) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	rtnl_link_set_addr(chg, lladdr);
	if (s->mtu)
		rtnl_link_set_mtu(chg, s->mtu);
	if ((nlrc = netlink_change(sk, s->ifname, chg, NULL)) < 0) {
		parse_mac_format(s->mac, mac);
		rc = netlink_errno(nlrc);
		snprintf(err, errlen, "cannot set MAC %s / MTU %u on %s: %s",
			 mac, s->mtu, s->ifname, nl_geterror(nlrc));
		goto out;
	}
	rtnl_link_put(chg);
	chg = NULL;
	if (s->gso_max_segs &&
	    (nlrc = netlink_gso_segs(sk, s->ifname, s->gso_max_segs)) < 0) {
		rc = netlink_errno(nlrc);
		snprintf(err, errlen, "cannot set gso_max_segs %u on %s: %s",
			 s->gso_max_segs, s->ifname, nl_geterror(nlrc));
		goto out;
	}

	where = sk;
	if (s->netns_fd >= 0) {
		chg = rtnl_link_alloc();
		if (!chg) {
			snprintf(err, errlen, "out of memory");
			rc = -ENOMEM;
			goto out;
		}
		rtnl_link_set_ns_fd(chg, s->netns_fd);
		if ((nlrc = netlink_change(sk, s->ifname, chg, NULL)) < 0) {
			rc = netlink_errno(nlrc);
			if (rc == -EEXIST)
				snprintf(err, errlen,
					 "an interface named '%s' already exists in %s",
					 s->ifname, s->netns_desc);
			else
				snprintf(err, errlen,
					 "cannot move %s into %s: %s",
					 s->ifname, s->netns_desc,
					 nl_geterror(nlrc));
			goto out;
		}
		rtnl_link_put(chg);
		chg = NULL;
		if (s->moved)
			s->moved(s->moved_ctx);
		if ((rc = netlink_socket(s->netns_fd, &sk_ns, err, errlen)))
			goto out;
		where = sk_ns;
	}

	chg = rtnl_link_alloc();
	if (!chg) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	rtnl_link_set_flags(chg, IFF_UP);
	if ((nlrc = netlink_change(where, s->ifname, chg, &link)) < 0) {
		rc = netlink_errno(nlrc);
		snprintf(err, errlen, "cannot bring %s up%s%s: %s", s->ifname,
			 s->netns_fd >= 0 ? " in " : "",
			 s->netns_fd >= 0 ? s->netns_desc : "",
			 nl_geterror(nlrc));
		goto out;
	}

	for (i = 0; i < s->naddrs; i++) {
		char a[PARSE_CIDR_STRLEN];

		nlrc = netlink_addr_add(where, rtnl_link_get_ifindex(link),
					&s->addrs[i]);
		if (nlrc < 0) {
			parse_cidr_format(&s->addrs[i], a);
			rc = netlink_errno(nlrc);
			snprintf(err, errlen, "cannot add address %s to %s: %s",
				 a, s->ifname, nl_geterror(nlrc));
			goto out;
		}
	}
out:
	if (link)
		rtnl_link_put(link);
	if (chg)
		rtnl_link_put(chg);
	nl_addr_put(lladdr);
	nl_socket_free(sk_ns);
	nl_socket_free(sk);
	return rc;
}
