// SPDX-License-Identifier: MIT
/*
 * vnet.c - the switch's control side: workers, networks and ports
 *
 * Everything here runs on the control thread. Changes reach the workers as
 * commands (worker_send); the control thread waits for a worker only when
 * it must know the worker let go of something (a port being deleted), and
 * then with a time limit.
 */
#include <errno.h>
#include <linux/if_tun.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "vnet_priv.h"

#define VNET_ACK_TIMEOUT_NS (5ull * 1000000000ull)

static const char *const vnet_drop_names[VNET_DROP__COUNT] = {
	[VNET_DROP_NO_BUFFER] = "no_buffer",
	[VNET_DROP_TX_ERROR] = "tx_error",
	[VNET_DROP_LINK_DOWN] = "link_down",
	[VNET_DROP_MTU] = "mtu",
	[VNET_DROP_SEGMENT] = "segment",
	[VNET_DROP_HAIRPIN] = "hairpin",
	[VNET_DROP_SPOOF] = "spoofed",
	[VNET_DROP_LINK_LOCAL] = "link_local",
};

/**
 * vnet_drop_name() - short name of a drop reason, for stats
 * @reason:	enum vnet_drop (which includes enum frame_drop)
 *
 * Return: name, "unknown" when out of range
 */
const char *vnet_drop_name(unsigned reason)
{
	if (reason < FRAME_DROP__COUNT)
		return frame_drop_name((enum frame_drop)reason);
	if (reason < VNET_DROP__COUNT)
		return vnet_drop_names[reason];
	return "unknown";
}

/**
 * vnet_config_default() - the built-in defaults
 * @c:		filled in
 */
void vnet_config_default(struct vnet_config *c)
{
	memset(c, 0, sizeof(*c));
	c->workers = 1;
	c->arena_bufs = 512;
	c->reads_per_queue = 4;
	c->fdb_limit = 8192;
	c->fdb_aging_ms = 300 * 1000;
	c->fdb_port_max = 1024; /* README.md, "Port security" */
	c->busy_poll_us = 50;
	c->napi = false;
	c->sched = true;
}

/**
 * vnet_workers() - number of worker threads
 * @v:		switch
 *
 * Return: count
 */
unsigned vnet_workers(const struct vnet *v)
{
	return v->nworkers;
}

/* CPU for worker @i: from --cpus, else the i-th CPU we may run on. */
static int vnet_worker_cpu(const struct vnet_config *c, unsigned i)
{
	cpu_set_t set;
	unsigned n = 0, want;
	int cpu;

	if (c->ncpus)
		return c->cpus[i % c->ncpus];
	if (sched_getaffinity(0, sizeof(set), &set))
		return -1;
	want = i % (unsigned)CPU_COUNT(&set);
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &set) && n++ == want)
			return cpu;
	return -1;
}

/*
 * Wait until every worker acknowledged @seq. A worker that acknowledges
 * nothing for VNET_ACK_TIMEOUT_NS is stuck; one that works through a long
 * queue of commands (vnet_port_del_many()) is not, so each step forward
 * restarts the clock.
 */
static int vnet_wait_ack(struct vnet *v, uint64_t seq)
{
	uint64_t deadline = ring_now_ns() + VNET_ACK_TIMEOUT_NS;
	unsigned i;

	for (i = 0; i < v->nworkers; i++) {
		uint64_t seen = 0, done;

		while ((done = atomic_load_explicit(&v->workers[i].done_seq,
						    memory_order_acquire)) < seq) {
			if (done != seen) {
				seen = done;
				deadline = ring_now_ns() + VNET_ACK_TIMEOUT_NS;
			} else if (ring_now_ns() > deadline) {
				return -ETIMEDOUT;
			}
			usleep(50);
		}
	}
	return 0;
}

int vnet_broadcast(struct vnet *v, enum wcmd_type type, struct vnet_port *p)
{
	uint64_t seq = ++v->seq;
	unsigned i;

	for (i = 0; i < v->nworkers; i++)
		worker_send(&v->workers[i], type, p, seq);
	return vnet_wait_ack(v, seq);
}

/* Stop and join the first @n workers; each frees its own resources. */
static void vnet_workers_join(struct vnet *v, unsigned n)
{
	uint64_t seq = ++v->seq;
	unsigned i;

	for (i = 0; i < n; i++)
		if (!v->workers[i].init_ret)
			worker_send(&v->workers[i], WCMD_STOP, NULL, seq);
	for (i = 0; i < n; i++) {
		pthread_join(v->workers[i].thread, NULL);
		sem_destroy(&v->workers[i].ready);
		pthread_mutex_destroy(&v->workers[i].ho_lock);
	}
}

/**
 * vnet_start() - create the switch and start its workers
 * @c:		configuration
 * @out:	the switch
 * @err:	one-line reason on failure (e.g. why io_uring is unusable)
 * @errlen:	size of @err
 *
 * Return: 0 or -errno
 */
int vnet_start(const struct vnet_config *c, struct vnet **out, char *err,
	       size_t errlen)
{
	struct vnet *v;
	unsigned i, started = 0;
	int ret = 0;

	if (!c->workers || c->workers > VNET_MAX_WORKERS) {
		snprintf(err, errlen, "workers must be 1 to %d",
			 VNET_MAX_WORKERS);
		return -EINVAL;
	}
	if (!c->reads_per_queue || c->reads_per_queue > WORKER_READS_MAX) {
		snprintf(err, errlen, "reads per queue must be 1 to %d",
			 WORKER_READS_MAX);
		return -EINVAL;
	}
	v = calloc(1, sizeof(*v));
	if (!v) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	v->cfg = *c;
	v->nworkers = c->workers;
	v->t0_ns = ring_now_ns();
	atomic_init(&v->tenant_hi, 1); /* the default tenant */
	v->ctl_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	v->workers = calloc(c->workers, sizeof(*v->workers));
	if (v->ctl_fd < 0 || !v->workers) {
		ret = v->ctl_fd < 0 ? -errno : -ENOMEM;
		snprintf(err, errlen, "cannot set up the switch: %s",
			 strerror(-ret));
		if (v->ctl_fd >= 0)
			close(v->ctl_fd);
		free(v->workers);
		free(v);
		return ret;
	}

	for (i = 0; i < c->workers; i++) {
		struct worker *w = &v->workers[i];

		w->v = v;
		w->id = i;
		w->cpu = vnet_worker_cpu(c, i);
		w->ring.wake_fd = -1;
		pthread_mutex_init(&w->ho_lock, NULL);
		sem_init(&w->ready, 0, 0);
		if (pthread_create(&w->thread, NULL, worker_main, w)) {
			snprintf(err, errlen, "cannot start worker %u", i);
			ret = -EAGAIN;
			sem_destroy(&w->ready);
			pthread_mutex_destroy(&w->ho_lock);
			break;
		}
		started++;
		sem_wait(&w->ready);
		if (w->init_ret) {
			snprintf(err, errlen, "%s", w->init_err);
			ret = w->init_ret;
			break;
		}
	}
	if (ret) {
		vnet_workers_join(v, started);
		close(v->ctl_fd);
		free(v->workers);
		free(v);
		return ret;
	}
	*out = v;
	return 0;
}

/* ---- networks -------------------------------------------------------- */

static int vnet_net_find(const struct vnet *v, const char *name)
{
	unsigned i;

	for (i = 0; i < VNET_MAX_NETWORKS; i++)
		if (v->nets[i].fdb && !strcmp(v->nets[i].name, name))
			return (int)i;
	return -1;
}

int vnet_net_get(struct vnet *v, const char *name, char *err, size_t errlen)
{
	int i = vnet_net_find(v, name);
	unsigned j;

	if (i >= 0)
		return i;
	if (!*name || strlen(name) >= VNET_NAME_MAX) {
		snprintf(err, errlen, "network names have 1 to %d characters",
			 VNET_NAME_MAX - 1);
		return -EINVAL;
	}
	for (j = 0; j < VNET_MAX_NETWORKS; j++) {
		struct vnet_net *n = &v->nets[j];

		if (n->fdb)
			continue;
		n->fdb = fdb_create(v->cfg.fdb_limit, v->cfg.fdb_aging_ms);
		if (!n->fdb) {
			snprintf(err, errlen, "out of memory for network %s",
				 name);
			return -ENOMEM;
		}
		snprintf(n->name, sizeof(n->name), "%s", name);
		n->nports = 0;
		return (int)j;
	}
	snprintf(err, errlen, "too many networks (at most %d)",
		 VNET_MAX_NETWORKS);
	return -ENOSPC;
}

/* A network with no port left goes away with its FDB. */
void vnet_net_put(struct vnet *v, uint16_t net)
{
	struct vnet_net *n = &v->nets[net];

	if (--n->nports)
		return;
	fdb_destroy(n->fdb);
	memset(n, 0, sizeof(*n));
}

/* ---- ports ----------------------------------------------------------- */

int vnet_port_find(const struct vnet *v, const char *name)
{
	unsigned i;

	for (i = 0; i < VNET_MAX_PORTS; i++)
		if (v->ports[i] && !strcmp(v->ports[i]->name, name))
			return (int)i;
	return -1;
}


/**
 * vnet_port_slot() - a free slot for a new port (device or local)
 * @v:		switch
 * @err:	one-line reason when there is none
 * @errlen:	size of @err
 *
 * Slots from FDB_PORT_MAX on are beyond the FDB.
 *
 * Return: the slot, or -ENOSPC
 */
int vnet_port_slot(const struct vnet *v, char *err, size_t errlen)
{
	unsigned i;

	for (i = 0; i < VNET_MAX_PORTS && i < FDB_PORT_MAX; i++)
		if (!v->ports[i])
			return (int)i;
	snprintf(err, errlen, "too many ports (at most %d)", VNET_MAX_PORTS);
	return -ENOSPC;
}

/**
 * vnet_port_fdb_max() - give a new port its share of the FDB
 * @v:		switch
 * @p:		port, not published to the workers yet
 * @max:	addresses it may have learned at most (0: no limit), NULL
 *		for the switch's default
 *
 * The limit belongs to the port's slot in the FDB: set for every port that
 * takes the slot, so none inherits the one before's.
 */
void vnet_port_fdb_max(struct vnet *v, struct vnet_port *p,
		       const uint32_t *max)
{
	p->fdb_max = max ? *max : v->cfg.fdb_port_max;
	/* Slots are below VNET_MAX_PORTS, which the FDB covers */
	fdb_port_set_max(v->nets[p->net].fdb, p->id, p->fdb_max);
}

/**
 * vnet_port_unlink() - take a port no worker uses any more out of the tables
 * @v:		switch
 * @p:		port (its device is the caller's to close)
 */
static void vnet_port_unlink(struct vnet *v, struct vnet_port *p)
{
	fdb_flush_port(v->nets[p->net].fdb, p->id);
	v->ports[p->id] = NULL;
	vnet_net_put(v, p->net);
}

/**
 * vnet_port_pin() - pin a port's own MAC address in its network's FDB
 * @v:		switch
 * @p:		port, not yet in @v->ports (its id, network and name set)
 * @mac:	its address (a locked port's, a local port's)
 * @err:	one-line reason on failure
 * @errlen:	size of @err
 *
 * No other port of the network can then take the address over (fdb.h).
 *
 * Return: 0, -EEXIST when another port of the network has that address
 *	   pinned, -ENOSPC when the FDB holds nothing but pinned addresses
 */
int vnet_port_pin(struct vnet *v, struct vnet_port *p, const uint8_t mac[6],
		  char *err, size_t errlen)
{
	uint32_t now = vnet_now_ms(v, ring_now_ns());
	struct fdb *f = v->nets[p->net].fdb;
	int ret = fdb_pin(f, mac, p->id, now), other;

	if (ret == -EEXIST) {
		other = fdb_lookup(f, mac, now);
		snprintf(err, errlen,
			 "MAC address %02x:%02x:%02x:%02x:%02x:%02x is port "
			 "%s's in network %s",
			 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
			 other >= 0 && other < VNET_MAX_PORTS && v->ports[other]
				 ? v->ports[other]->name
				 : "?",
			 v->nets[p->net].name);
	} else if (ret == -ENOSPC)
		snprintf(err, errlen,
			 "network %s: forwarding database full of pinned "
			 "addresses (fdb limit)",
			 v->nets[p->net].name);
	else if (ret)
		snprintf(err, errlen, "port %s: cannot pin its MAC address",
			 p->name);
	return ret;
}

/**
 * vnet_port_add() - create a port's device and attach it to every worker
 * @v:		switch
 * @spec:	what to create
 * @err:	one-line reason on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -errno
 */
int vnet_port_add(struct vnet *v, const struct vnet_port_spec *spec,
		  char *err, size_t errlen)
{
	const char *netname = spec->network ? spec->network
					    : VNET_DEFAULT_NETWORK;
	unsigned nq = spec->queues ? spec->queues : v->nworkers;
	struct vnet_port *p;
	int id, net, ret;

	if (vnet_port_find(v, spec->name) >= 0) {
		snprintf(err, errlen, "port %s already exists", spec->name);
		return -EEXIST;
	}
	if (spec->tenant >= VNET_MAX_TENANTS) {
		snprintf(err, errlen, "tenant id %u out of range",
			 spec->tenant);
		return -EINVAL;
	}
	if (nq < v->nworkers || nq > PORT_MAX_QUEUES ||
	    nq > v->nworkers * WORKER_QUEUES_MAX) {
		snprintf(err, errlen,
			 "a port needs at least one queue per worker: %u to %u "
			 "queues with %u workers",
			 v->nworkers,
			 v->nworkers * WORKER_QUEUES_MAX < PORT_MAX_QUEUES
				 ? v->nworkers * WORKER_QUEUES_MAX
				 : PORT_MAX_QUEUES,
			 v->nworkers);
		return -EINVAL;
	}
	if ((id = vnet_port_slot(v, err, errlen)) < 0)
		return id;
	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	p->ops = port_ops_find(NULL);
	ret = p->ops->open(&p->dev,
			   &(struct port_open){ .name = spec->name,
						.nqueues = nq,
						.offload = spec->offload,
						.napi = v->cfg.napi,
						.persist = spec->persist,
						.attach = spec->attach,
						.netns_fd = spec->netns_fd },
			   err, errlen);
	if (ret) {
		free(p);
		return ret;
	}
	net = vnet_net_get(v, netname, err, errlen);
	if (net < 0) {
		p->ops->close(&p->dev, !spec->attach);
		free(p);
		return net;
	}
	v->nets[net].nports++;
	p->id = (uint16_t)id;
	p->gen = ++v->port_gen;
	p->net = (uint16_t)net;
	p->tenant = spec->tenant;
	p->mtu = spec->mtu ? spec->mtu : 1500;
	vnet_port_fdb_max(v, p, spec->fdb_max);
	if (spec->lock) {
		p->sec = *spec->lock;
		p->locked = true;
	}
	snprintf(p->name, sizeof(p->name), "%s", spec->name);
	if (p->locked && (ret = vnet_port_pin(v, p, p->sec.mac, err, errlen))) {
		vnet_net_put(v, p->net);
		p->ops->close(&p->dev, !spec->attach);
		free(p);
		return ret;
	}
	v->ports[id] = p;

	ret = vnet_broadcast(v, WCMD_ATTACH, p);
	if (ret) {
		snprintf(err, errlen, "workers did not take port %s in time",
			 spec->name);
		vnet_port_remove(v, id, !spec->attach);
	}
	return ret;
}

/**
 * vnet_port_remove() - detach a port from every worker and close it
 * @v:		switch
 * @id:		its slot
 * @destroy:	destroy the device too, persistent or not
 *
 * Return: 0, or -ETIMEDOUT if a worker did not let go in time (the port
 *	   then stays, detached, rather than be freed under it)
 */
int vnet_port_remove(struct vnet *v, int id, bool destroy)
{
	struct vnet_port *p = v->ports[id];
	int ret;

	ret = vnet_broadcast(v, WCMD_DETACH, p);
	if (ret)
		return ret;
	vnet_port_unlink(v, p);
	if (p->ops)
		p->ops->close(&p->dev, destroy);
	free(p);
	return 0;
}

/**
 * vnet_port_del() - remove a port and destroy its device
 * @v:		switch
 * @name:	port name
 *
 * Return: 0, -ENOENT, or -ETIMEDOUT (see vnet_port_remove())
 */
int vnet_port_del(struct vnet *v, const char *name)
{
	int id = vnet_port_find(v, name);

	if (id < 0)
		return -ENOENT;
	if (v->ports[id]->lops)
		return -EINVAL; /* vnet_lport_del() */
	return vnet_port_remove(v, id, true);
}

/* Threads that destroy devices at once in vnet_port_del_many(). */
#define VNET_CLOSE_THREADS 16

/**
 * struct vnet_closer - devices to destroy, shared by the closing threads
 * @ports:	detached ports, owned
 * @n:		number of @ports
 * @next:	next one to take
 */
struct vnet_closer {
	struct vnet_port **ports;
	unsigned n;
	atomic_uint next;
};

/**
 * vnet_closer_run() - a closing thread: destroy devices until none is left
 * @arg:	struct vnet_closer
 *
 * Return: NULL
 */
static void *vnet_closer_run(void *arg)
{
	struct vnet_closer *cl = arg;
	unsigned i;

	while ((i = atomic_fetch_add(&cl->next, 1)) < cl->n)
		cl->ports[i]->ops->close(&cl->ports[i]->dev, true);
	return NULL;
}

/**
 * vnet_port_del_many() - remove ports and destroy their devices, together
 * @v:		switch
 * @names:	port names (unknown ones are skipped)
 * @n:		number of @names
 *
 * Destroying a network device costs the kernel a wait for RCU (some
 * 20 ms, most of it idle), one device after another when done one at a
 * time. The ports are detached from the workers one by one, then their
 * devices are destroyed by several threads at once, so that those waits
 * overlap: deleting a thousand ports takes about a second, not twenty.
 * Every device is gone when this returns.
 *
 * Return: 0, or -ETIMEDOUT if a worker did not let go of the ports in
 * time (they all stay then, detached), or -ENOMEM
 */
int vnet_port_del_many(struct vnet *v, const char *const *names, unsigned n)
{
	struct vnet_closer cl = { .n = 0 };
	pthread_t th[VNET_CLOSE_THREADS];
	unsigned i, w, nth = 0;
	int ret = 0;

	cl.ports = calloc(n ? n : 1, sizeof(*cl.ports));
	if (!cl.ports)
		return -ENOMEM;
	atomic_init(&cl.next, 0);
	for (i = 0; i < n; i++) {
		int id = vnet_port_find(v, names[i]);

		if (id >= 0 && !v->ports[id]->lops)
			cl.ports[cl.n++] = v->ports[id];
	}
	/* Every detach queued at once, one wait for the last: a worker
	 * handles its commands in order and acknowledges each when done, so
	 * a busy host costs one wake-up here, not one per port. */
	for (i = 0; i < cl.n; i++) {
		++v->seq;
		for (w = 0; w < v->nworkers; w++)
			worker_send(&v->workers[w], WCMD_DETACH, cl.ports[i],
				    v->seq);
	}
	if (cl.n && (ret = vnet_wait_ack(v, v->seq))) {
		/* As vnet_port_remove(): a port a worker may still use
		 * stays, detached, rather than be freed under it. */
		free(cl.ports);
		return ret;
	}
	for (i = 0; i < cl.n; i++)
		vnet_port_unlink(v, cl.ports[i]);
	while (nth < VNET_CLOSE_THREADS && nth * 4 < cl.n &&
	       !pthread_create(&th[nth], NULL, vnet_closer_run, &cl))
		nth++;
	vnet_closer_run(&cl); /* this thread too, and alone if none started */
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < cl.n; i++)
		free(cl.ports[i]);
	free(cl.ports);
	return 0;
}

/**
 * vnet_port_close() - remove a port but leave its persistent device
 * @v:		switch
 * @name:	port name
 *
 * Return: 0, -ENOENT, or -ETIMEDOUT (see vnet_port_remove())
 */
int vnet_port_close(struct vnet *v, const char *name)
{
	int id = vnet_port_find(v, name);

	if (id < 0)
		return -ENOENT;
	if (v->ports[id]->lops)
		return -EINVAL; /* vnet_lport_del() */
	return vnet_port_remove(v, id, false);
}

static void vnet_port_fill(struct vnet *v, const struct vnet_port *p,
			   struct vnet_port_info *out)
{
	struct vnet_port_stats *sum = &out->stats;
	unsigned i, r;

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", p->name);
	snprintf(out->network, sizeof(out->network), "%s",
		 v->nets[p->net].name);
	out->tenant = p->tenant;
	out->id = p->id;
	out->queues = p->dev.nqueues;
	out->mtu = p->mtu;
	out->offloads = p->lops ? p->loffloads : p->dev.offloads;
	out->locked = p->locked;
	out->local = p->lops != NULL;
	out->gone = atomic_load_explicit(&p->gone, memory_order_relaxed);
	out->fdb_max = p->fdb_max;
	out->fdb_learned = fdb_port_learned(v->nets[p->net].fdb, p->id);
	for (i = 0; i < v->nworkers; i++) {
		const struct vnet_port_stats *s = &v->workers[i].stats[p->id];

		sum->rx_packets += stat_read(&s->rx_packets);
		sum->rx_bytes += stat_read(&s->rx_bytes);
		sum->tx_packets += stat_read(&s->tx_packets);
		sum->tx_bytes += stat_read(&s->tx_bytes);
		for (r = 0; r < VNET_DROP__COUNT; r++)
			sum->drops[r] += stat_read(&s->drops[r]);
		sum->fdb_full += stat_read(&s->fdb_full);
	}
}

/**
 * vnet_port_get() - one port's description and statistics
 * @v:		switch
 * @name:	port name
 * @out:	filled in
 *
 * Return: 0 or -ENOENT
 */
int vnet_port_get(struct vnet *v, const char *name,
		  struct vnet_port_info *out)
{
	int id = vnet_port_find(v, name);

	if (id < 0)
		return -ENOENT;
	vnet_port_fill(v, v->ports[id], out);
	return 0;
}

/**
 * vnet_port_foreach() - call @fn for every port, in slot order
 * @v:		switch
 * @fn:		callback
 * @ctx:	its argument
 */
void vnet_port_foreach(struct vnet *v, vnet_port_fn fn, void *ctx)
{
	struct vnet_port_info info;
	unsigned i;

	for (i = 0; i < VNET_MAX_PORTS; i++) {
		if (!v->ports[i])
			continue;
		vnet_port_fill(v, v->ports[i], &info);
		fn(&info, ctx);
	}
}

/**
 * vnet_network_foreach() - call @fn for every network that has ports
 * @v:		switch
 * @fn:		callback
 * @ctx:	its argument
 */
void vnet_network_foreach(struct vnet *v, vnet_network_fn fn, void *ctx)
{
	struct vnet_network_info info;
	unsigned i;

	for (i = 0; i < VNET_MAX_NETWORKS; i++) {
		const struct vnet_net *n = &v->nets[i];

		if (!n->fdb)
			continue;
		memset(&info, 0, sizeof(info));
		snprintf(info.name, sizeof(info.name), "%s", n->name);
		info.ports = n->nports;
		fdb_get_stats(n->fdb, &info.fdb);
		fn(&info, ctx);
	}
}

struct vnet_fdb_walk {
	struct vnet *v;
	const char *network;
	vnet_fdb_fn fn;
	void *ctx;
};

static void vnet_fdb_entry(const struct fdb_entry *e, void *ctx)
{
	struct vnet_fdb_walk *wk = ctx;
	struct vnet_fdb_row row = { .network = wk->network };

	if (e->port >= VNET_MAX_PORTS || !wk->v->ports[e->port])
		return;
	row.port = wk->v->ports[e->port]->name;
	memcpy(row.mac, e->mac, 6);
	row.age_ms = e->age_ms;
	row.pinned = e->pinned;
	wk->fn(&row, wk->ctx);
}

/**
 * vnet_fdb_foreach() - call @fn for every live FDB entry
 * @v:		switch
 * @network:	only this network, or NULL for all
 * @fn:		callback
 * @ctx:	its argument
 */
void vnet_fdb_foreach(struct vnet *v, const char *network, vnet_fdb_fn fn,
		      void *ctx)
{
	uint32_t now = vnet_now_ms(v, ring_now_ns());
	unsigned i;

	for (i = 0; i < VNET_MAX_NETWORKS; i++) {
		struct vnet_net *n = &v->nets[i];
		struct vnet_fdb_walk wk = {
			.v = v, .network = n->name, .fn = fn, .ctx = ctx
		};

		if (!n->fdb || (network && strcmp(network, n->name)))
			continue;
		fdb_walk(n->fdb, now, vnet_fdb_entry, &wk);
	}
}

static uint64_t vnet_thread_cpu_ns(int tid)
{
	unsigned long long ut = 0, st = 0;
	char path[64], buf[1024], *p;
	FILE *f;
	long hz = sysconf(_SC_CLK_TCK);

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!p)
		return 0;
	/* The command name may hold spaces: fields start after ')'. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2,
			 "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			 &ut, &st) != 2)
		return 0;
	return (ut + st) * (1000000000ull / (unsigned long long)hz);
}

/**
 * vnet_worker_cpu_ns() - a worker thread's CPU time, to the nanosecond
 * @w:		worker
 * @tid:	its thread id, for the /proc fallback
 *
 * The thread's CPU clock counts in nanoseconds where /proc counts in clock
 * ticks (10 ms), which is too coarse for a CPU share over one second.
 *
 * Return: CPU time in ns, 0 if unknown
 */
static uint64_t vnet_worker_cpu_ns(const struct worker *w, int tid)
{
	struct timespec ts;
	clockid_t cid;

	if (tid > 0 && !pthread_getcpuclockid(w->thread, &cid) &&
	    !clock_gettime(cid, &ts))
		return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	return vnet_thread_cpu_ns(tid);
}

/**
 * vnet_worker_foreach() - call @fn with every worker's figures
 * @v:		switch
 * @fn:		callback
 * @ctx:	its argument
 */
void vnet_worker_foreach(struct vnet *v,
			 void (*fn)(const struct vnet_worker_info *w, void *),
			 void *ctx)
{
	struct vnet_worker_info info;
	unsigned i;

	for (i = 0; i < v->nworkers; i++) {
		struct worker *w = &v->workers[i];

		memset(&info, 0, sizeof(info));
		info.id = i;
		info.cpu = w->cpu;
		info.tid = atomic_load(&w->tid);
		info.cpu_ns = vnet_worker_cpu_ns(w, info.tid);
		info.batches = stat_read(&w->batches);
		info.frames = stat_read(&w->frames);
		info.idle_sleeps = stat_read(&w->idle_sleeps);
		info.express = stat_read(&w->express);
		info.express_yields = stat_read(&w->express_yields);
		info.nowait_refused = stat_read(&w->nowait_refused);
		snprintf(info.ring_features, sizeof(info.ring_features), "%s",
			 w->features);
		fn(&info, ctx);
	}
}

/* ---- tenants --------------------------------------------------------- */

/* Tenant @id is in use: the tick takes its rates from now on. */
static void vnet_tenant_seen(struct vnet *v, uint32_t id)
{
	uint32_t hi = atomic_load_explicit(&v->tenant_hi, memory_order_relaxed);

	while (id >= hi && !atomic_compare_exchange_weak_explicit(
				   &v->tenant_hi, &hi, id + 1,
				   memory_order_relaxed, memory_order_relaxed))
		;
}

/**
 * vnet_tenant_set() - publish a tenant's weight and rate cap to the workers
 * @v:		switch
 * @id:		tenant id
 * @weight:	1..10000
 * @rate_bps:	cap in bits per second, 0 for none
 *
 * The workers pick the change up before their next round.
 *
 * Return: 0, or -EINVAL for an id or weight out of range
 */
int vnet_tenant_set(struct vnet *v, uint32_t id, uint32_t weight,
		    uint64_t rate_bps)
{
	if (id >= VNET_MAX_TENANTS || !weight || weight > 10000)
		return -EINVAL;
	vnet_tenant_seen(v, id);
	atomic_store_explicit(&v->tenant_weight[id], weight,
			      memory_order_relaxed);
	/* in bytes, rounded up: 1 to 7 bit/s is a cap too, not none */
	atomic_store_explicit(&v->tenant_rate[id], rate_bps / 8 + !!(rate_bps % 8),
			      memory_order_relaxed);
	atomic_fetch_add_explicit(&v->tenant_gen, 1, memory_order_release);
	{
		unsigned i;

		for (i = 0; i < v->nworkers; i++)
			ring_wake(v->workers[i].ring.wake_fd);
	}
	return 0;
}

/* Sum a tenant's counters over the workers, as they are now. */
static void vnet_tenant_sum(struct vnet *v, uint32_t id,
			    struct vnet_tenant_stats *out)
{
	unsigned i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < v->nworkers; i++) {
		const struct worker *w = &v->workers[i];
		const struct wtenant_stats *t = &w->tstats[id];

		out->packets += stat_read(&t->packets);
		out->bytes += stat_read(&t->bytes);
		out->cycles += stat_read(&t->cycles);
		out->buffers += stat_read(&t->bufs);
		out->buffer_waits += stat_read(&t->buf_waits);
		if (w->sched) {
			out->parks += stat_read(&w->sched->t[id].parks);
			out->throttles +=
				stat_read(&w->sched->t[id].throttles);
			out->penalty_cycles +=
				stat_read(&w->sched->t[id].penalty);
			out->quarantines +=
				stat_read(&w->sched->t[id].quarantines);
		}
	}
}

/**
 * vnet_tenant_clear() - start a tenant id's counters from zero
 * @v:		switch
 * @id:		tenant id, given to a new tenant
 *
 * The workers' counters only grow; what they hold for @id now (from a
 * deleted tenant that had the id) becomes the base subtracted from then on.
 * Settings go back to the defaults, and every worker's scheduler forgets
 * what it held for the id (sched_tenant_new()) before it next applies
 * the settings: the new tenant inherits no debt, credit or park.
 *
 * Return: 0 or -EINVAL
 */
int vnet_tenant_clear(struct vnet *v, uint32_t id)
{
	struct vnet_tenant_mark *m;

	if (id >= VNET_MAX_TENANTS)
		return -EINVAL;
	m = &v->tenant_mark[id];
	memset(m, 0, sizeof(*m));
	vnet_tenant_sum(v, id, &m->base);
	m->tick_packets = m->base.packets;
	m->tick_bytes = m->base.bytes;
	m->tick_cycles = m->base.cycles;
	/* Published by the generation vnet_tenant_set() moves (release) */
	atomic_fetch_add_explicit(&v->tenant_epoch[id], 1,
				  memory_order_relaxed);
	return vnet_tenant_set(v, id, 100, 0);
}

/**
 * vnet_tenant_get() - a tenant's work, summed over the workers
 * @v:		switch
 * @id:		tenant id
 * @out:	filled in; rates are those of the last tick
 *
 * Return: 0 or -EINVAL
 */
int vnet_tenant_get(struct vnet *v, uint32_t id,
		    struct vnet_tenant_stats *out)
{
	const struct vnet_tenant_mark *m;

	if (id >= VNET_MAX_TENANTS)
		return -EINVAL;
	m = &v->tenant_mark[id];
	vnet_tenant_sum(v, id, out);
	out->packets -= m->base.packets;
	out->bytes -= m->base.bytes;
	out->cycles -= m->base.cycles;
	out->parks -= m->base.parks;
	out->throttles -= m->base.throttles;
	out->penalty_cycles -= m->base.penalty_cycles;
	out->quarantines -= m->base.quarantines;
	out->buffer_waits -= m->base.buffer_waits;
	out->rate_bps = m->rate_bps;
	out->pps = m->pps;
	out->cycles_now = m->cycles_now;
	return 0;
}

/**
 * vnet_sched_enabled() - is the scheduler (cycle accounting) on?
 * @v:		switch
 *
 * Return: true if so
 */
bool vnet_sched_enabled(const struct vnet *v)
{
	return v->cfg.sched;
}

/* Tick: rates of every tenant in use over the time since the last tick. */
static void vnet_tenant_tick(struct vnet *v, uint64_t now)
{
	uint64_t dt = now - v->tick_ns;
	uint32_t hi = atomic_load_explicit(&v->tenant_hi, memory_order_relaxed);
	struct vnet_tenant_stats s;
	uint32_t id;

	for (id = 0; id < hi; id++) {
		struct vnet_tenant_mark *m = &v->tenant_mark[id];

		vnet_tenant_sum(v, id, &s);
		if (v->tick_ns && dt) {
			m->rate_bps = (uint64_t)((s.bytes - m->tick_bytes) *
						 8.0 * 1e9 / (double)dt);
			m->pps = (uint64_t)((s.packets - m->tick_packets) *
					    1e9 / (double)dt);
			m->cycles_now = s.cycles - m->tick_cycles;
		}
		m->tick_packets = s.packets;
		m->tick_bytes = s.bytes;
		m->tick_cycles = s.cycles;
	}
	v->tick_ns = now;
}

/**
 * vnet_tick() - from the control thread's timer: age the FDBs, and take
 *		 the tenants' rates over the time since the last tick
 * @v:		switch
 */
void vnet_tick(struct vnet *v)
{
	uint64_t now_ns = ring_now_ns();
	uint32_t now = vnet_now_ms(v, now_ns);
	unsigned i;

	for (i = 0; i < VNET_MAX_NETWORKS; i++)
		if (v->nets[i].fdb)
			fdb_age(v->nets[i].fdb, now);
	vnet_tenant_tick(v, now_ns);
}

/* ---- the control thread at rest --------------------------------------- */

/* What the workers have done: it moves whenever one handles anything. */
static uint64_t vnet_ctl_work(struct vnet *v)
{
	uint64_t sum = 0;
	unsigned i;

	for (i = 0; i < v->nworkers; i++) {
		struct worker *w = &v->workers[i];

		sum += atomic_load(&w->wakes) + stat_read(&w->batches) +
		       stat_read(&w->idle_sleeps);
	}
	return sum;
}

/**
 * vnet_ctl_quiet() - have the workers done nothing since the last call?
 * @v:		switch
 *
 * Return: true if no worker handled anything or slept or woke since the
 * last call (or vnet_ctl_rest())
 */
bool vnet_ctl_quiet(struct vnet *v)
{
	uint64_t now = vnet_ctl_work(v);
	bool quiet = now == v->ctl_seen;

	v->ctl_seen = now;
	return quiet;
}

/**
 * vnet_ctl_rest() - the control thread would rest: may it?
 * @v:		switch
 *
 * Marks it resting, then looks at the workers once more: a worker back
 * from a sleep in its ring counts its wake-up at the first work it finds
 * and then reads the mark (vnet_worker_woke()), so either it sees the mark
 * and writes vnet_ctl_fd(), or this look sees its wake-up. A wake-up that
 * brought only a command (vnet_tenant_set() from the control thread
 * itself) is no work and leaves the control thread resting. Call it only
 * after the workers have been quiet (vnet_ctl_quiet()) for longer than
 * they spin before sleeping (busy-poll, at most a second): they are all
 * asleep then.
 *
 * Return: true if resting is fine (vnet_ctl_fd() turns readable when a
 * worker wakes), false if a worker did something meanwhile
 */
bool vnet_ctl_rest(struct vnet *v)
{
	atomic_store(&v->ctl_resting, true);
	if (vnet_ctl_quiet(v))
		return true;
	atomic_store(&v->ctl_resting, false);
	return false;
}

/**
 * vnet_ctl_awake() - the control thread is back from resting
 * @v:		switch
 */
void vnet_ctl_awake(struct vnet *v)
{
	uint64_t n;

	atomic_store(&v->ctl_resting, false);
	while (read(v->ctl_fd, &n, sizeof(n)) == sizeof(n))
		;
}

/**
 * vnet_ctl_fd() - the eventfd a worker writes when it wakes while the
 *		   control thread rests
 * @v:		switch
 *
 * Return: the descriptor (non-blocking; vnet_ctl_awake() empties it)
 */
int vnet_ctl_fd(const struct vnet *v)
{
	return v->ctl_fd;
}

/**
 * vnet_worker_woke() - a worker back from sleeping in its ring found work
 * @w:		worker
 *
 * The other half of vnet_ctl_rest(): count the wake-up, then look at the
 * mark, in that order (both sequentially consistent, as the control
 * thread's store of the mark and load of the counts are).
 */
void vnet_worker_woke(struct worker *w)
{
	struct vnet *v = w->v;

	atomic_fetch_add(&w->wakes, 1);
	if (atomic_load(&v->ctl_resting) &&
	    atomic_exchange(&v->ctl_resting, false))
		ring_wake(v->ctl_fd);
}

/**
 * vnet_stop() - close every port, stop the workers, free the switch
 * @v:		switch
 *
 * Persistent devices stay, for the next vstackd to attach to.
 */
void vnet_stop(struct vnet *v)
{
	unsigned i;

	if (!v)
		return;
	for (i = 0; i < VNET_MAX_PORTS; i++)
		if (v->ports[i])
			vnet_port_remove(v, (int)i, false);
	vnet_workers_join(v, v->nworkers);
	for (i = 0; i < VNET_MAX_NETWORKS; i++)
		if (v->nets[i].fdb)
			fdb_destroy(v->nets[i].fdb);
	close(v->ctl_fd);
	free(v->workers);
	free(v);
}
