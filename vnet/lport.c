// SPDX-License-Identifier: MIT
/*
 * lport.c - local ports: switch ports served by code inside a worker
 *
 * Theory of operation
 *
 * A local port is a port without a device: the shared stack's endpoints
 * (stack/) are local ports. It is attached to every worker like any port,
 * so that every worker can switch frames to it, but one worker owns it
 * (vnet_port.owner): only that one calls its callbacks (vnet_lport_ops).
 *
 * Frames to a local port. The switch (worker_rx) picks the port as it picks
 * any destination; instead of a WRITE_FIXED, worker_write() calls
 * lport_deliver():
 *   - on the owning worker, the frame is queued on the worker's local
 *     queue (lq) and handed to ops->input() at the end of the step that
 *     switched it. Never from inside that step: the step may itself be an
 *     endpoint's send, and an endpoint must not be re-entered from its own
 *     call (two endpoints on one worker talk to each other this way too);
 *   - on any other worker, the frame is copied into a malloc()ed buffer
 *     and queued on the owner's hand-off queue (ho, under a mutex), and the
 *     owner is woken through its ring's eventfd;
 *   - a frame flooded to several ports shares one arena buffer with the
 *     other destinations' writes, and an endpoint may write into what it
 *     is given: it gets a copy.
 * Both queues are bounded (WORKER_LQ_MAX); a frame that finds its queue
 * full is dropped and counted as VNET_DROP_NO_BUFFER on the port. Each
 * entry carries the port's generation, so a frame queued for a port that
 * left is freed, never given to a later port in the same slot.
 *
 * Frames from a local port. vnet_lport_send() runs worker_rx() on the
 * owning worker as if the frame had been read from a device: validation,
 * learning, accounting to the port's tenant, forwarding, all in the same
 * pass; frames to TAP queues go out with this round's submissions.
 *
 * The owner's loop calls lport_run() every round: hand-off frames, queued
 * frames, then ops->poll() of each owned port. Before the worker sleeps it
 * calls lport_run(idle = true), and arms a ring timer for the earliest
 * deadline the ports asked for.
 *
 * The control thread adds and removes local ports with the same
 * WCMD_ATTACH/WCMD_DETACH broadcast as device ports; ops->attach and
 * ops->detach run on the owner while it handles that command.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vnet_priv.h"

/* ---- worker side ------------------------------------------------------ */

/* The local-port deadline timer: the round it wakes up does the work. */
static void lport_timer_fired(struct timer *t, uint64_t now_ns)
{
	(void)t;
	(void)now_ns;
}

/**
 * lport_worker_init() - set up a worker's local-port queues
 * @w:		worker, in its own thread
 *
 * Return: 0 or -ENOMEM
 */
int lport_worker_init(struct worker *w)
{
	w->locals = calloc(VNET_MAX_PORTS, sizeof(*w->locals));
	w->lq = calloc(WORKER_LQ_MAX, sizeof(*w->lq));
	w->ho = calloc(WORKER_LQ_MAX, sizeof(*w->ho));
	timer_init(&w->ltimer, lport_timer_fired);
	if (!w->locals || !w->lq || !w->ho)
		return -ENOMEM;
	return 0;
}

/* Is @buf one of @w's arena buffers? */
static bool lport_in_arena(const struct worker *w, const uint8_t *buf)
{
	const struct arena *a = &w->arena;

	return a->base && buf >= a->base &&
	       buf < a->base + (size_t)a->nbufs * a->buf_size;
}

static uint32_t lport_arena_id(const struct worker *w, const uint8_t *buf)
{
	return (uint32_t)((size_t)(buf - w->arena.base) / w->arena.buf_size);
}

/* Give back the buffer of a queued frame, wherever it came from. */
static void lport_entry_free(struct worker *w, const struct lq_entry *e)
{
	if (lport_in_arena(w, e->buf))
		worker_buf_put(w, lport_arena_id(w, e->buf));
	else
		free(e->buf);
}

/**
 * lport_worker_cleanup() - free what lport_worker_init() and the queues hold
 * @w:		worker, stopping
 *
 * Arena buffers go with the arena; hand-off copies are freed here.
 */
void lport_worker_cleanup(struct worker *w)
{
	unsigned i;

	if (w->ho) {
		pthread_mutex_lock(&w->ho_lock);
		for (i = 0; i < w->ho_n; i++)
			free(w->ho[(w->ho_head + i) % WORKER_LQ_MAX].buf);
		w->ho_n = 0;
		pthread_mutex_unlock(&w->ho_lock);
	}
	free(w->locals);
	free(w->lq);
	free(w->ho);
	w->locals = NULL;
	w->lq = w->ho = NULL;
	w->nlocals = 0;
}

/**
 * lport_attach() - a worker takes up local port @p
 * @w:		worker
 * @p:		the port
 *
 * Every worker links it into its network's member list (to switch frames
 * to it); the owner also lists it for lport_run() and calls ops->attach.
 */
void lport_attach(struct worker *w, struct vnet_port *p)
{
	struct wport *wp = &w->ports[p->id];

	wp->p = p;
	wp->local = true;
	wp->tenant = p->tenant;
	wp->tnext = wp->tprev = -1;
	wp->fdb = w->v->nets[p->net].fdb;
	wp->net = p->net;
	wp->offloads = p->loffloads;
	wp->mtu = p->mtu;
	wp->lc = (struct vnet_lctx){ .w = w, .id = p->id };
	worker_net_link(w, p->id);
	worker_tenant_link(w, p->id);
	if (p->owner != w->id)
		return;
	w->locals[w->nlocals++] = p->id;
	p->lops->attach(p->lops_ctx, &wp->lc, w->lnow_ms);
}

/* Drop the frames for port @id from queue @q (a ring of @n at @head). */
static void lport_queue_purge(struct worker *w, struct lq_entry *q,
			      unsigned head, unsigned *n, uint16_t id)
{
	unsigned i, kept = 0;

	for (i = 0; i < *n; i++) {
		struct lq_entry e = q[(head + i) % WORKER_LQ_MAX];

		if (e.port == id)
			lport_entry_free(w, &e);
		else
			q[(head + kept++) % WORKER_LQ_MAX] = e;
	}
	*n = kept;
}

/**
 * lport_detach() - a worker lets go of local port @p
 * @w:		worker
 * @p:		the port
 *
 * The owner calls ops->detach (the port gives back every buffer it
 * holds) and drops the frames still queued for it; there is no I/O in
 * flight to wait for.
 */
void lport_detach(struct worker *w, struct vnet_port *p)
{
	struct wport *wp = &w->ports[p->id];
	unsigned i;

	worker_net_unlink(w, p->id);
	worker_tenant_unlink(w, p->id);
	if (p->owner == w->id) {
		p->lops->detach(p->lops_ctx, &wp->lc);
		lport_queue_purge(w, w->lq, w->lq_head, &w->lq_n, p->id);
		pthread_mutex_lock(&w->ho_lock);
		lport_queue_purge(w, w->ho, w->ho_head, &w->ho_n, p->id);
		atomic_store_explicit(&w->ho_pending, w->ho_n,
				      memory_order_relaxed);
		pthread_mutex_unlock(&w->ho_lock);
		for (i = 0; i < w->nlocals; i++)
			if (w->locals[i] == p->id)
				break;
		if (i < w->nlocals)
			w->locals[i] = w->locals[--w->nlocals];
	}
	wp->p = NULL;
	wp->local = false;
}

/**
 * lport_deliver() - the switch sends a frame to local port @dst
 * @w:		worker that switched it
 * @dst:	local port
 * @buf:	arena buffer holding the frame; one reference is ours
 * @data:	the frame (virtio-net header first)
 * @len:	its length
 */
void lport_deliver(struct worker *w, uint16_t dst, uint32_t buf,
		   const uint8_t *data, size_t len)
{
	struct vnet_port *p = w->ports[dst].p;
	struct worker *o = &w->v->workers[p->owner];
	struct vnet_port_stats *st = &w->stats[dst];
	struct lq_entry e = { .len = (uint32_t)len, .gen = p->gen,
			      .port = dst };
	bool wake;

	if (o == w) {
		if (w->lq_n == WORKER_LQ_MAX)
			goto drop;
		if (w->flooding || data != arena_buf(&w->arena, buf)) {
			int nb = arena_get(&w->arena);

			if (nb < 0)
				goto drop;
			e.buf = arena_buf(&w->arena, (uint32_t)nb);
			memcpy(e.buf, data, len);
			worker_buf_put(w, buf);
		} else {
			e.buf = arena_buf(&w->arena, buf);
		}
		w->lq[(w->lq_head + w->lq_n++) % WORKER_LQ_MAX] = e;
		goto sent;
	}

	/* Copy before giving the buffer back: ours may be its last
	 * reference (a segment's), and a buffer back in the arena is the
	 * next read's, which may be submitted at once (worker_read()). */
	e.buf = malloc(len);
	if (e.buf)
		memcpy(e.buf, data, len);
	worker_buf_put(w, buf);
	if (!e.buf) {
		stat_add(&st->drops[VNET_DROP_NO_BUFFER], 1);
		return;
	}
	pthread_mutex_lock(&o->ho_lock);
	if (o->ho_n == WORKER_LQ_MAX) {
		pthread_mutex_unlock(&o->ho_lock);
		free(e.buf);
		stat_add(&st->drops[VNET_DROP_NO_BUFFER], 1);
		return;
	}
	wake = !o->ho_n;
	o->ho[(o->ho_head + o->ho_n++) % WORKER_LQ_MAX] = e;
	atomic_store_explicit(&o->ho_pending, o->ho_n, memory_order_release);
	pthread_mutex_unlock(&o->ho_lock);
	if (wake)
		ring_wake(o->ring.wake_fd);
sent:
	stat_add(&st->tx_packets, 1);
	stat_add(&st->tx_bytes, len - VNET_HDR_LEN);
	return;
drop:
	worker_buf_put(w, buf);
	stat_add(&st->drops[VNET_DROP_NO_BUFFER], 1);
}

/* Move what other workers handed us onto our local queue. */
static void lport_take_handoffs(struct worker *w)
{
	pthread_mutex_lock(&w->ho_lock);
	while (w->ho_n && w->lq_n < WORKER_LQ_MAX) {
		w->lq[(w->lq_head + w->lq_n++) % WORKER_LQ_MAX] =
			w->ho[w->ho_head];
		w->ho_head = (w->ho_head + 1) % WORKER_LQ_MAX;
		w->ho_n--;
	}
	atomic_store_explicit(&w->ho_pending, w->ho_n, memory_order_relaxed);
	pthread_mutex_unlock(&w->ho_lock);
}

/* Hand the queued frames to their ports, at most one queue's worth (what
 * they send meanwhile waits for the next round). Return true if any. */
static bool lport_input_queued(struct worker *w)
{
	unsigned n = w->lq_n;

	if (!n)
		return false;
	while (n--) {
		struct lq_entry e = w->lq[w->lq_head];
		struct wport *wp = &w->ports[e.port];

		w->lq_head = (w->lq_head + 1) % WORKER_LQ_MAX;
		w->lq_n--;
		if (wp->p && wp->local && wp->p->gen == e.gen)
			wp->p->lops->input(wp->p->lops_ctx, &wp->lc, e.buf,
					   e.len, w->lnow_ms);
		else
			lport_entry_free(w, &e);
	}
	return true;
}

/**
 * lport_run() - a worker round's work for its local ports
 * @w:		worker (with nlocals > 0, or frames queued)
 * @idle:	the worker is about to sleep
 *
 * Return: true if there was work (the worker should not sleep)
 */
bool lport_run(struct worker *w, bool idle)
{
	uint64_t next = UINT64_MAX;
	bool busy = false;
	unsigned i;

	if (atomic_load_explicit(&w->ho_pending, memory_order_acquire))
		lport_take_handoffs(w);
	busy |= lport_input_queued(w);
	for (i = 0; i < w->nlocals; i++) {
		struct wport *wp = &w->ports[w->locals[i]];
		uint64_t dl = UINT64_MAX;

		busy |= wp->p->lops->poll(wp->p->lops_ctx, &wp->lc, w->lnow_ms,
					  idle && !busy, &dl);
		if (dl < next)
			next = dl;
	}
	/* Frames the polls switched to our own ports go in this round. */
	busy |= lport_input_queued(w);
	if (w->lq_n || next <= w->lnow_ms)
		busy = true;
	if (idle && !busy && next != UINT64_MAX) {
		uint64_t delay_ns = (next - w->lnow_ms) * 1000000ull;

		if (timer_armed(&w->ltimer))
			ring_timer_del(&w->ring, &w->ltimer);
		ring_timer_add(&w->ring, &w->ltimer, delay_ns);
	}
	return busy;
}

/* ---- callbacks' side --------------------------------------------------- */

/**
 * vnet_lport_alloc() - an arena buffer for a frame the port will send
 * @lc:		the port, on its owning worker
 * @size:	bytes needed
 *
 * Return: the buffer, or NULL when the arena is empty or @size too big
 */
uint8_t *vnet_lport_alloc(struct vnet_lctx *lc, size_t size)
{
	struct worker *w = lc->w;
	int buf;

	if (size > w->arena.buf_size)
		return NULL;
	buf = arena_get(&w->arena);
	return buf < 0 ? NULL : arena_buf(&w->arena, (uint32_t)buf);
}

/**
 * vnet_lport_free() - give back a buffer input() handed over or alloc() gave
 * @lc:		the port, on its owning worker
 * @buf:	the buffer (any pointer into it)
 */
void vnet_lport_free(struct vnet_lctx *lc, uint8_t *buf)
{
	struct lq_entry e = { .buf = buf };

	if (buf)
		lport_entry_free(lc->w, &e);
}

/**
 * vnet_lport_send() - switch a frame from the port
 * @lc:		the port, on its owning worker
 * @buf:	the frame: virtio-net header, Ethernet frame; owned by vnet
 *		from now on
 * @len:	its length
 *
 * A frame in a buffer that is not the arena's (one input() got from
 * another worker) is copied into one first.
 */
void vnet_lport_send(struct vnet_lctx *lc, uint8_t *buf, size_t len)
{
	struct worker *w = lc->w;
	uint8_t *data = buf;
	int id;

	if (!lport_in_arena(w, buf)) {
		id = len <= w->arena.buf_size ? arena_get(&w->arena) : -1;
		if (id < 0) {
			free(buf);
			stat_add(&w->stats[lc->id].drops[VNET_DROP_NO_BUFFER],
				 1);
			return;
		}
		data = arena_buf(&w->arena, (uint32_t)id);
		memcpy(data, buf, len);
		free(buf);
	} else {
		id = (int)lport_arena_id(w, buf);
		if (buf != arena_buf(&w->arena, (uint32_t)id) ||
		    len > w->arena.buf_size) {
			/* Frames start at their buffer's start. */
			stat_add(&w->stats[lc->id].drops[FRAME_DROP_LONG], 1);
			worker_buf_put(w, (uint32_t)id);
			return;
		}
	}
	worker_rx(w, lc->id, (uint32_t)id, len, w->now_ms);
	worker_buf_put(w, (uint32_t)id);
}

/**
 * vnet_lport_charge() - account traffic that went between two local ports
 * of this worker without becoming a frame (the stack's one-hop path)
 * @from:	sending port (its tenant pays, as for a frame it sent)
 * @to:		receiving port
 * @bytes:	payload moved
 *
 * Counted as one packet: the sender's port and tenant receive counters,
 * the scheduler's note of the tenant's work, the receiver's transmit
 * counters, as worker_rx() and a delivery would.
 */
void vnet_lport_charge(struct vnet_lctx *from, struct vnet_lctx *to,
		       size_t bytes)
{
	struct worker *w = from->w;
	struct vnet_port_stats *st = &w->stats[from->id];
	uint32_t tenant = w->ports[from->id].tenant;

	stat_add(&st->rx_packets, 1);
	stat_add(&st->rx_bytes, bytes);
	stat_add(&w->tstats[tenant].packets, 1);
	stat_add(&w->tstats[tenant].bytes, bytes);
	if (w->sched)
		sched_note(w->sched, tenant, bytes);
	if (to && to->w == w) {
		stat_add(&w->stats[to->id].tx_packets, 1);
		stat_add(&w->stats[to->id].tx_bytes, bytes);
	}
}

/**
 * vnet_lport_worker_id() - which worker runs the callbacks
 * @lc:		the port
 *
 * Return: the worker's index
 */
unsigned vnet_lport_worker_id(const struct vnet_lctx *lc)
{
	return lc->w->id;
}

/* ---- control thread ---------------------------------------------------- */

/* The worker owning the fewest local ports. */
static unsigned lport_pick_owner(const struct vnet *v)
{
	unsigned n[VNET_MAX_WORKERS] = { 0 }, i, best = 0;

	for (i = 0; i < VNET_MAX_PORTS; i++)
		if (v->ports[i] && v->ports[i]->lops)
			n[v->ports[i]->owner]++;
	for (i = 1; i < v->nworkers; i++)
		if (n[i] < n[best])
			best = i;
	return best;
}

/**
 * vnet_lport_add() - add a local port and have its worker take it up
 * @v:		switch
 * @spec:	what to add
 * @err:	one-line reason on failure
 * @errlen:	size of @err
 *
 * Return: the port's id (>= 0) once its owner ran ops->attach, or -errno
 */
int vnet_lport_add(struct vnet *v, const struct vnet_lport_spec *spec,
		   char *err, size_t errlen)
{
	const char *netname = spec->network ? spec->network
					    : VNET_DEFAULT_NETWORK;
	struct vnet_port *p;
	int id, net, ret;

	if (!spec->name || !*spec->name ||
	    strlen(spec->name) >= VNET_IFNAME_MAX) {
		snprintf(err, errlen, "port names have 1 to %d characters",
			 VNET_IFNAME_MAX - 1);
		return -EINVAL;
	}
	if (vnet_port_find(v, spec->name) >= 0) {
		snprintf(err, errlen, "port %s already exists", spec->name);
		return -EEXIST;
	}
	if (spec->tenant >= VNET_MAX_TENANTS || !spec->ops) {
		snprintf(err, errlen, "tenant id %u out of range",
			 spec->tenant);
		return -EINVAL;
	}
	if ((id = vnet_port_slot(v, err, errlen)) < 0)
		return id;
	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	net = vnet_net_get(v, netname, err, errlen);
	if (net < 0) {
		free(p);
		return net;
	}
	v->nets[net].nports++;
	p->id = (uint16_t)id;
	p->gen = ++v->port_gen;
	p->net = (uint16_t)net;
	p->tenant = spec->tenant;
	p->mtu = spec->mtu ? spec->mtu : 1500;
	vnet_port_fdb_max(v, p, NULL);
	p->lops = spec->ops;
	p->lops_ctx = spec->ctx;
	/* TSO only with checksum offload, as for a TAP (TUNSETOFFLOAD). */
	p->loffloads = spec->offloads & (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6);
	if (!(p->loffloads & TUN_F_CSUM))
		p->loffloads = 0;
	p->owner = lport_pick_owner(v);
	snprintf(p->name, sizeof(p->name), "%s", spec->name);
	if (spec->mac && (ret = vnet_port_pin(v, p, spec->mac, err, errlen))) {
		vnet_net_put(v, net);
		free(p);
		return ret;
	}
	v->ports[id] = p;

	ret = vnet_broadcast(v, WCMD_ATTACH, p);
	if (ret) {
		snprintf(err, errlen, "workers did not take port %s in time",
			 spec->name);
		vnet_port_remove(v, id, false);
		return ret;
	}
	return id;
}

/* The local port called @name, or NULL. */
static struct vnet_port *lport_find(struct vnet *v, const char *name)
{
	int id = vnet_port_find(v, name);

	return id >= 0 && v->ports[id]->lops ? v->ports[id] : NULL;
}

/**
 * vnet_lport_del() - remove a local port
 * @v:		switch
 * @name:	its name
 *
 * Return: 0 once its owner ran ops->detach, -ENOENT, -ETIMEDOUT
 */
int vnet_lport_del(struct vnet *v, const char *name)
{
	struct vnet_port *p = lport_find(v, name);

	return p ? vnet_port_remove(v, p->id, false) : -ENOENT;
}

/**
 * vnet_lport_worker() - the worker that owns a local port
 * @v:		switch
 * @name:	its name
 *
 * Return: the worker's index, or -ENOENT
 */
int vnet_lport_worker(struct vnet *v, const char *name)
{
	struct vnet_port *p = lport_find(v, name);

	return p ? (int)p->owner : -ENOENT;
}

/**
 * vnet_lport_wake_fd() - the eventfd that wakes a local port's worker
 * @v:		switch
 * @name:	its name
 *
 * Return: the descriptor (the worker's; dup() it to hand it out), or
 *	   -ENOENT
 */
int vnet_lport_wake_fd(struct vnet *v, const char *name)
{
	struct vnet_port *p = lport_find(v, name);

	return p ? v->workers[p->owner].ring.wake_fd : -ENOENT;
}

/**
 * vnet_lport_kick() - wake a local port's worker so that it polls the port
 * @v:		switch
 * @name:	its name
 */
void vnet_lport_kick(struct vnet *v, const char *name)
{
	struct vnet_port *p = lport_find(v, name);

	if (p)
		ring_wake(v->workers[p->owner].ring.wake_fd);
}
