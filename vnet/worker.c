// SPDX-License-Identifier: MIT
/*
 * worker.c - the switch's worker threads: read, validate, learn, forward
 *
 * Theory of operation
 *
 * A worker is one thread pinned to one CPU with its own ring and buffer
 * arena. For every port it serves one or more TAP queues, keeping
 * READ_FIXED requests in flight on each (see "Reading a queue" below),
 * every one into its own arena buffer. When a read completes, the frame in
 * that buffer is validated (frame_parse), its source address learned in
 * the port's network FDB and its destination looked up; then the same
 * buffer is written with WRITE_FIXED to the destination queue, or to every
 * other port of the network for broadcast, multicast and unknown unicast.
 * Each write holds a reference on the buffer; the last completion returns
 * it to the arena. No byte of a forwarded frame is copied in user space.
 *
 * Two cases do touch the frame, both only for destinations that lack an
 * offload: a partial checksum is completed in place before any write is
 * issued, and a GSO frame is cut into MTU-sized frames in fresh buffers.
 *
 * Order: a flow arrives on one TAP queue (the tenant's kernel picks the
 * queue by flow hash), is read by one worker in completion order and
 * written to its destination's queue of that same worker, in the same
 * order; tun writes complete inline. So frames of one flow stay in order.
 *
 * Idle: after the last completion a worker keeps polling the ring for
 * busy_poll_us, yielding the CPU between looks to any other thread ready on
 * it, then sleeps in io_uring_enter() until a completion, a timer or a
 * command from the control thread (eventfd) wakes it. It does not poll
 * while bulk (GSO) traffic flows: there the CPU is worth more to the
 * tenants producing it than the microseconds polling would save. Back
 * from that sleep, the first work it finds (a completion other than the
 * eventfd's, a local port's request) wakes the control thread too if that
 * one rests (worker_active()): it does while nothing happens at all. A
 * wake-up that brought only a command from the control thread, such as a
 * tenant's new weight, is not work and leaves it resting.
 *
 * Commands (attach/detach a port, stop) arrive through a single-producer
 * single-consumer queue and are applied between batches. A detach cancels
 * the port's reads and is acknowledged only once no I/O on the port is left
 * in flight, so the control thread can then close its descriptors safely.
 *
 * Tenants. Every frame read from a port is the work of that port's tenant:
 * its packets and bytes are counted for the tenant, and the whole cost of
 * handling it (the read, parsing, learning, every write of it, software
 * segmentation) is charged to it, since the sender caused all of it. The
 * receiving tenant pays for the frames it sends in turn (a TCP receiver's
 * ACKs). Traffic from outside the host will come in through a port of its
 * own (an uplink, VXLAN); such a port will charge the destination port's
 * tenant instead, the receiver being the one who asked for it.
 *
 * A round's cost is measured with the cycle counter, from before the
 * completions are reaped to after the submission that carries the round's
 * writes and reads to the kernel (tun copies the frames during that
 * submission), and apportioned to the frames of the round by the scheduler
 * (cgroups/sched.c). The scheduler decides intake: the reads of a tenant
 * over its share or its rate cap are not posted again (worker_arm_reads,
 * worker_read_more) until it releases the tenant, and then the reads of
 * every port of that tenant on this worker are re-armed. A rate-capped
 * tenant is released by a ring timer if nothing else wakes the worker.
 * Weights and caps come from the control thread through vnet's tenant
 * table (atomics), re-read whenever its generation number moves. Tenant
 * ids are reused: an id whose epoch moved (vnet_tenant_clear()) names a new
 * tenant, and the scheduler forgets the last one's state before the new
 * one's settings are applied.
 */
#include <errno.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gso.h"
#include "sched.h"
#include "vnet_priv.h"

/**
 * worker_send() - queue a command for worker @w and wake it
 * @w:		worker
 * @type:	command
 * @p:		port it concerns, if any
 * @seq:	sequence number acknowledged through done_seq
 *
 * Called by the control thread only. The queue is far larger than the
 * commands in flight (the control thread waits for every detach), so a
 * full queue means a stuck worker: we wait rather than lose the command.
 */
void worker_send(struct worker *w, enum wcmd_type type, struct vnet_port *p,
		 uint64_t seq)
{
	uint32_t head = atomic_load_explicit(&w->cmd_head, memory_order_relaxed);

	while (head - atomic_load_explicit(&w->cmd_tail, memory_order_acquire) >=
	       WORKER_CMDS)
		usleep(100);
	w->cmds[head & (WORKER_CMDS - 1)] =
		(struct wcmd){ .type = type, .port = p, .seq = seq };
	atomic_store_explicit(&w->cmd_head, head + 1, memory_order_release);
	ring_wake(w->ring.wake_fd);
}

void worker_ack(struct worker *w, uint64_t seq)
{
	atomic_store_explicit(&w->done_seq, seq, memory_order_release);
}

/*
 * Reading a queue
 *
 * One read per queue waits for the next frame (io_uring parks it on the
 * TAP's poll queue). When it completes there are often more frames behind
 * it, so we follow it with RWF_NOWAIT reads, which take a frame if one is
 * queued and fail with EAGAIN at once if not: while a backlog lasts they
 * multiply up to reads_per_queue - 1, and when it is gone they stop. Several
 * waiting reads would instead all be woken for every frame, which costs
 * latency when traffic is light.
 *
 * Kernels before 6.4 refuse RWF_NOWAIT reads of a TAP (EOPNOTSUPP: tun
 * lacked FMODE_NOWAIT): there each queue keeps its one waiting read and no
 * more, counted once per queue in nowait_refused. The waiting read itself
 * parks on those kernels too (io_uring takes any O_NONBLOCK character
 * device as able to), as it does on 6.18. A kernel that completed it with
 * EAGAIN instead would get a POLL_ADD, and a read when that fires.
 *
 * Buffers are the worker's, shared by all tenants: the RWF_NOWAIT reads
 * of a tenant whose posted reads hold tbuf_cap of them (three quarters of
 * the arena) are not posted (counted in buf_waits), so a tenant with many
 * busy ports cannot leave the others' queues without a buffer to read
 * into. Its waiting reads, one per queue, are not limited: each queue
 * keeps the one read that makes it heard.
 */
/* Port @id's waiting read found no buffer: re-arm it when one comes back. */
static void worker_starve(struct worker *w, uint16_t id)
{
	struct wport *wp = &w->ports[id];

	if (!wp->starved) {
		wp->starved = true;
		w->starved[w->nstarved++] = id;
	}
}

/* Issue one read on queue @qi of port @id; @op is WOP_READ or
 * WOP_READ_NOWAIT. Return false when out of buffers or SQEs. */
static bool worker_read(struct worker *w, uint16_t id, unsigned qi,
			unsigned op)
{
	struct wqueue *q = &w->ports[id].q[qi];
	uint32_t t = w->ports[id].tenant;
	struct io_uring_sqe *sqe;
	int buf;

	if (op == WOP_READ_NOWAIT &&
	    stat_read(&w->tstats[t].bufs) >= w->tbuf_cap) {
		stat_add(&w->tstats[t].buf_waits, 1);
		return false;
	}
	buf = arena_get(&w->arena);
	if (buf < 0) {
		if (op == WOP_READ)
			worker_starve(w, id);
		return false;
	}
	sqe = ring_sqe(&w->ring);
	if (!sqe) {
		arena_put(&w->arena, (uint32_t)buf);
		return false;
	}
	stat_add(&w->tstats[t].bufs, 1);
	io_uring_prep_read_fixed(sqe, q->slot, arena_buf(&w->arena, buf),
				 (unsigned)w->arena.buf_size, 0, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, ring_ud(op, (uint32_t)buf,
					     id | (uint32_t)qi << 16));
	if (op == WOP_READ_NOWAIT) {
		sqe->rw_flags = RWF_NOWAIT;
		q->nnowait++;
	} else {
		q->waiting = true;
		q->wbuf = (uint32_t)buf;
	}
	return true;
}

/* Wait for readability with POLL_ADD (kernels without parked TAP reads). */
static void worker_poll(struct worker *w, uint16_t id, unsigned qi)
{
	struct wqueue *q = &w->ports[id].q[qi];
	struct io_uring_sqe *sqe = ring_sqe(&w->ring);

	if (!sqe)
		return;
	io_uring_prep_poll_add(sqe, q->slot, POLLIN);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe,
				ring_ud(WOP_POLL, 0, id | (uint32_t)qi << 16));
	q->polling = true;
}

/* Make sure every queue of port @id has its waiting read. */
static void worker_arm_reads(struct worker *w, uint16_t id)
{
	struct wport *wp = &w->ports[id];
	unsigned qi;

	if (wp->detaching || wp->down ||
	    (w->sched && sched_parked(w->sched, wp->tenant)))
		return;
	for (qi = 0; qi < wp->nq; qi++) {
		struct wqueue *q = &wp->q[qi];

		if (q->waiting || q->polling)
			continue;
		if (!worker_read(w, id, qi, WOP_READ))
			return;
	}
}

/* A read brought a frame: follow it with up to @n RWF_NOWAIT reads. */
static void worker_read_more(struct worker *w, uint16_t id, unsigned qi,
			     unsigned n)
{
	struct wport *wp = &w->ports[id];
	struct wqueue *q = &wp->q[qi];

	if (wp->detaching || wp->down || !q->nowait_ok ||
	    (w->sched && sched_parked(w->sched, wp->tenant)))
		return;
	while (n-- && q->nnowait < q->max_nowait)
		if (!worker_read(w, id, qi, WOP_READ_NOWAIT))
			return;
}

/* Buffers came back: feed ports that ran dry, oldest first. */
static void worker_feed_starved(struct worker *w)
{
	while (w->nstarved && w->arena.nfree) {
		uint16_t id = w->starved[0];

		memmove(w->starved, w->starved + 1,
			--w->nstarved * sizeof(*w->starved));
		w->ports[id].starved = false;
		worker_arm_reads(w, id);
	}
}

void worker_buf_put(struct worker *w, uint32_t buf)
{
	if (arena_put(&w->arena, buf) && w->nstarved)
		worker_feed_starved(w);
}

static unsigned worker_port_inflight(const struct wport *wp)
{
	unsigned qi, n = wp->writes;

	for (qi = 0; qi < wp->nq; qi++)
		n += wp->q[qi].waiting + wp->q[qi].polling +
		     wp->q[qi].nnowait;
	return n;
}

/* ---- forwarding ------------------------------------------------------ */

struct worker_tx {
	struct worker *w;
	uint16_t dst;
};

/* Issue one WRITE_FIXED of @len bytes at @data (inside buffer @buf). */
static void worker_write(struct worker *w, uint16_t dst, uint32_t buf,
			 const uint8_t *data, size_t len)
{
	struct wport *wp = &w->ports[dst];
	struct io_uring_sqe *sqe;

	if (wp->local) {
		lport_deliver(w, dst, buf, data, len);
		return;
	}
	sqe = ring_sqe(&w->ring);
	if (!sqe) {
		stat_add(&w->stats[dst].drops[VNET_DROP_TX_ERROR], 1);
		worker_buf_put(w, buf);
		return;
	}
	io_uring_prep_write_fixed(sqe, wp->q[0].slot, data, (unsigned)len, 0,
				  0);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, ring_ud(WOP_WRITE, buf, dst));
	wp->writes++;
}

static uint8_t *worker_gso_alloc(void *ctx, size_t cap)
{
	struct worker_tx *tx = ctx;
	int buf;

	if (cap > tx->w->arena.buf_size)
		return NULL;
	buf = arena_get(&tx->w->arena);
	return buf < 0 ? NULL : arena_buf(&tx->w->arena, (uint32_t)buf);
}

static void worker_gso_emit(void *ctx, uint8_t *data, size_t len)
{
	struct worker_tx *tx = ctx;
	struct arena *a = &tx->w->arena;
	uint32_t buf = (uint32_t)((size_t)(data - a->base) / a->buf_size);

	worker_write(tx->w, tx->dst, buf, data, len);
}

/* Does @dst take this frame as it is, or must it be cut in software? */
static bool worker_gso_ok(unsigned offloads, const struct frame_info *fi)
{
	switch (fi->gso_type) {
	case 0:
		return true;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		return (offloads & TUN_F_TSO4) &&
		       (!fi->gso_ecn || (offloads & TUN_F_TSO_ECN));
	case VIRTIO_NET_HDR_GSO_TCPV6:
		return (offloads & TUN_F_TSO6) &&
		       (!fi->gso_ecn || (offloads & TUN_F_TSO_ECN));
	case VIRTIO_NET_HDR_GSO_UDP_L4:
		return (offloads & (TUN_F_USO4 | TUN_F_USO6)) ==
		       (TUN_F_USO4 | TUN_F_USO6);
	default:
		return false; /* legacy UFO is never passed on */
	}
}

/* Size of the largest L3 packet this frame stands for. */
static unsigned worker_l3_size(const struct frame_info *fi)
{
	if (!fi->gso_type)
		return fi->eth_len - fi->l3_off;
	return fi->l4_off - fi->l3_off + fi->l4_hlen + fi->gso_size;
}

/* Is a frame of @len bytes (virtio-net header included) bulk transfer? */
static bool worker_bulk_frame(size_t len)
{
	return len > WORKER_BULK_FRAME + VNET_HDR_LEN;
}

/* Send the frame in @buf to @dst, segmenting if @dst needs it. */
static void worker_deliver(struct worker *w, uint16_t dst, uint32_t buf,
			   const uint8_t *data, size_t len,
			   const struct frame_info *fi)
{
	struct wport *wp = &w->ports[dst];
	struct worker_tx tx = { .w = w, .dst = dst };
	int ret;

	/* Like a bridge, never hand a port a packet above its MTU. GSO
	 * frames count by the packets they stand for. */
	if (worker_l3_size(fi) > wp->mtu) {
		stat_add(&w->stats[dst].drops[VNET_DROP_MTU], 1);
		return;
	}
	if (worker_bulk_frame(len))
		wp->bulk_ms = w->now_ms;
	if (worker_gso_ok(wp->offloads, fi)) {
		arena_ref(&w->arena, buf);
		worker_write(w, dst, buf, data, len);
		return;
	}
	ret = gso_segment(data, len, fi, worker_gso_alloc, worker_gso_emit,
			  &tx);
	if (ret < 0)
		stat_add(&w->stats[dst].drops[ret == -ENOBUFS
						      ? VNET_DROP_NO_BUFFER
						      : VNET_DROP_SEGMENT],
			 1);
}

static bool worker_port_usable(const struct worker *w, uint16_t id,
			       uint16_t net)
{
	const struct wport *wp = &w->ports[id];

	return wp->p && !wp->detaching && !wp->down && wp->net == net;
}

/*
 * A frame needing a checksum goes to a port that cannot finish it: finish
 * it in place, once, before any write of this buffer is issued (they all
 * see the same bytes; a complete checksum is fine for every destination).
 * GSO frames are excluded: those are segmented for such ports instead and
 * must keep their partial checksum for the others.
 */
static void worker_csum_fixup(struct worker *w, uint8_t *data, size_t len,
			      struct frame_info *fi, uint16_t src, int dst)
{
	int32_t i;

	if (!fi->needs_csum || fi->gso_type)
		return;
	if (dst >= 0) {
		if (w->ports[dst].offloads & TUN_F_CSUM)
			return;
	} else {
		for (i = w->net_head[w->ports[src].net]; i >= 0;
		     i = w->ports[i].next)
			if (i != src && !(w->ports[i].offloads & TUN_F_CSUM))
				break;
		if (i < 0)
			return;
	}
	gso_csum_complete(data, len, fi);
	fi->needs_csum = false;
}

/* One frame read from port @src into @buf: validate, learn, forward. */
void worker_rx(struct worker *w, uint16_t src, uint32_t buf, size_t len,
	       uint32_t now_ms)
{
	struct wport *sp = &w->ports[src];
	struct vnet_port_stats *st = &w->stats[src];
	uint8_t *data = arena_buf(&w->arena, buf);
	const uint8_t *eth = frame_eth(data);
	struct vnet_hdr *vh = (struct vnet_hdr *)data;
	struct frame_info fi;
	unsigned why; /* enum frame_drop, or VNET_DROP_SPOOF */
	int dst = -1;
	int32_t i;

	stat_add(&st->rx_packets, 1);
	stat_add(&st->rx_bytes, len - VNET_HDR_LEN);
	stat_add(&w->tstats[sp->tenant].packets, 1);
	stat_add(&w->tstats[sp->tenant].bytes, len - VNET_HDR_LEN);
	if (w->sched)
		sched_note(w->sched, sp->tenant, len - VNET_HDR_LEN);
	if (worker_bulk_frame(len)) {
		w->round_bulk = true;
		sp->bulk_ms = w->now_ms;
	}

	why = frame_parse(data, len, &fi);
	if (why == FRAME_OK && sp->p->locked &&
	    !portsec_allows(&sp->p->sec, eth, &fi))
		why = VNET_DROP_SPOOF;
	/* Learn the source; another port's pinned address (a locked port's,
	 * an endpoint's) is not to be taken over: spoofed too. A port at
	 * its share of the FDB (fdb_port_set_max()) is not learned from,
	 * but its frame is forwarded: the replies are flooded, to it too. */
	if (why == FRAME_OK) {
		switch (fdb_learn(sp->fdb, eth + 6, src, now_ms)) {
		case FDB_LEARN_PINNED:
			why = VNET_DROP_SPOOF;
			break;
		case FDB_LEARN_PORT_FULL:
			counter_inc(&st->fdb_full);
			break;
		default:
			break;
		}
	}
	if (why != FRAME_OK) {
		/* The sender's fault: it pays for the garbage (sched.c). */
		stat_add(&st->drops[why], 1);
		if (w->sched)
			sched_penalize(w->sched, sp->tenant, len - VNET_HDR_LEN);
		return;
	}
	/* Link-local protocols end at the link, as at a bridge: one
	 * tenant's LLDP or 802.1X does not reach the others. Not garbage:
	 * no penalty. */
	if (frame_mac_is_bridge_local(eth)) {
		stat_add(&st->drops[VNET_DROP_LINK_LOCAL], 1);
		return;
	}

	if (!frame_mac_is_multicast(eth)) {
		dst = fdb_lookup(sp->fdb, eth, now_ms);
		if (dst == src) {
			stat_add(&st->drops[VNET_DROP_HAIRPIN], 1);
			return;
		}
		/* A port that left since it was learned: flood instead. */
		if (dst >= 0 && !worker_port_usable(w, (uint16_t)dst, sp->net))
			dst = -1;
	}

	/* The destination sees our idea of the header length, not the
	 * tenant's claim; without GSO, no length and no lone ECN bit (the
	 * destination's kernel would refuse the write, counted against its
	 * port rather than the sender). */
	if (fi.gso_type) {
		vh->hdr_len = htole16(fi.l4_off + fi.l4_hlen);
	} else {
		vh->hdr_len = 0;
		vh->gso_type = VIRTIO_NET_HDR_GSO_NONE;
		vh->gso_size = 0;
	}
	vh->num_buffers = 0;
	worker_csum_fixup(w, data, len, &fi, src, dst);

	if (dst >= 0) {
		worker_deliver(w, (uint16_t)dst, buf, data, len, &fi);
		return;
	}
	w->flooding = true; /* local ports get copies (lport_deliver) */
	for (i = w->net_head[sp->net]; i >= 0; i = w->ports[i].next) {
		if (i == src || w->ports[i].detaching || w->ports[i].down)
			continue;
		worker_deliver(w, (uint16_t)i, buf, data, len, &fi);
	}
	w->flooding = false;
}

/* ---- completions ----------------------------------------------------- */

static void worker_detach_finish(struct worker *w);

static void worker_detach_check(struct worker *w, uint16_t id)
{
	if (w->ports[id].detaching && id == w->detach_port &&
	    !worker_port_inflight(&w->ports[id]))
		worker_detach_finish(w);
}

/**
 * worker_port_gone() - stop using a port whose device went away
 * @wp:		the port, as this worker serves it
 *
 * The control plane sees it in the port's state and reports it once.
 */
static void worker_port_gone(struct wport *wp)
{
	wp->down = true;
	atomic_store_explicit(&wp->p->gone, true, memory_order_relaxed);
}

/* A read (waiting or RWF_NOWAIT, as @op says) on queue @obj completed. */
static void worker_read_cqe(struct worker *w, unsigned op, uint32_t obj,
			    uint32_t buf, int res, uint32_t now_ms)
{
	uint16_t id = obj & 0xffff;
	unsigned qi = obj >> 16;
	struct wport *wp = &w->ports[id];
	struct wqueue *q = &wp->q[qi];

	stat_sub(&w->tstats[wp->tenant].bufs, 1);
	if (op == WOP_READ)
		q->waiting = false;
	else
		q->nnowait--;

	if (res > 0 && !wp->detaching) {
		counter_inc(&w->frames);
		if ((size_t)res < w->arena.buf_size)
			worker_rx(w, id, buf, (size_t)res, now_ms);
		else /* filled the whole buffer: possibly cut short */
			stat_add(&w->stats[id].drops[FRAME_DROP_LONG], 1);
		worker_buf_put(w, buf);
		/* A backlog is likely: drain it, faster while it lasts. */
		worker_read_more(w, id, qi, op == WOP_READ ? 1 : 2);
	} else {
		worker_buf_put(w, buf);
		/* The queue is empty: the tenant is not backlogged. */
		if (res == -EAGAIN && w->sched)
			sched_drained(w->sched, wp->tenant);
		if (res == -EAGAIN && op == WOP_READ && !wp->detaching)
			worker_poll(w, id, qi);
		else if ((res == -EOPNOTSUPP || res == -EINVAL) &&
			 op == WOP_READ_NOWAIT) {
			/* Counted once per queue; a second refused read
			 * in flight is no sign of a device gone. */
			if (q->nowait_ok)
				counter_inc(&w->nowait_refused);
			q->nowait_ok = false;
		} else if (res != -EAGAIN && res != -ECANCELED &&
			 res != -EINTR && !wp->detaching)
			/* EOF or EBADFD: the device went away under us
			 * (deleted from outside). Stop reading; the port
			 * stays until the control plane removes it. */
			worker_port_gone(wp);
	}
	worker_detach_check(w, id);
	worker_arm_reads(w, id);
}

static void worker_poll_cqe(struct worker *w, uint32_t obj, int res)
{
	uint16_t id = obj & 0xffff;
	struct wport *wp = &w->ports[id];

	wp->q[obj >> 16].polling = false;
	if (res < 0 && res != -ECANCELED && !wp->detaching)
		worker_port_gone(wp);
	worker_detach_check(w, id);
	worker_arm_reads(w, id);
}

static void worker_write_cqe(struct worker *w, uint16_t dst, uint32_t buf,
			     int res)
{
	struct wport *wp = &w->ports[dst];
	struct vnet_port_stats *st = &w->stats[dst];

	wp->writes--;
	if (res > (int)VNET_HDR_LEN) {
		stat_add(&st->tx_packets, 1);
		stat_add(&st->tx_bytes, (uint64_t)res - VNET_HDR_LEN);
	} else {
		/* tun refuses frames while its device is down: that is the
		 * tenant's choice, not a fault. */
		stat_add(&st->drops[res == -EIO ? VNET_DROP_LINK_DOWN
						 : VNET_DROP_TX_ERROR],
			 1);
	}
	worker_buf_put(w, buf);
	worker_detach_check(w, dst);
}

/*
 * Latency ahead of bulk
 *
 * The writes a round prepares run in order when the ring is entered, each
 * as long as the destination's kernel takes to receive it: a 64 KiB TCP
 * super-frame costs tens of microseconds there. A quiet tenant's small
 * frame must not wait behind a bulk sender's backlog, twice per round
 * trip. So reads that brought bulk (a super-frame, or more than
 * WORKER_EXPRESS_FRAMES frames from one port in a round) are held in a
 * queue, with everything after them from the same port, and each round
 * switches the small frames it reaped first, submits their writes at once,
 * and then switches only a little of the held queue (WORKER_HELD_BYTES,
 * WORKER_HELD_FRAMES; about one super-frame, WORKER_HELD_QUIET, while
 * frames of ports not in bulk traffic come through). The rest waits for
 * the next round, whose small frames go ahead of it again: a small frame
 * waits for at most one round's bulk, not for the whole backlog. Frames of
 * one port never pass each other, so no flow is reordered. After
 * submitting the small frames of a port not in bulk traffic
 * (worker_port_bulky), the worker yields its CPU to the program their
 * writes woke. Held frames count as reads in flight (their buffers are
 * still taken), so a port leaving is finished only once they are switched
 * (dropped, as it is detaching).
 */
static bool worker_hold(struct worker *w, uint32_t obj, int res)
{
	struct wport *wp = &w->ports[obj & 0xffff];

	if (wp->round != w->round) {
		wp->round = w->round;
		wp->rframes = 0;
	}
	if (wp->nheld) /* behind its own held frames: order */
		return true;
	return res > 0 && (worker_bulk_frame((size_t)res) ||
			   ++wp->rframes > WORKER_EXPRESS_FRAMES);
}

/* Is @ms (a stamp of @w->now_ms) within the last WORKER_BULK_NS? */
static bool worker_lately(const struct worker *w, uint32_t ms)
{
	return w->now_ms - ms <= WORKER_BULK_NS / 1000000;
}

/* Has port @id sent or been sent bulk lately (a TCP receiver's ACKs)? */
static bool worker_port_bulky(const struct worker *w, uint32_t id)
{
	return worker_lately(w, w->ports[id & 0xffff].bulk_ms);
}

/* Switch the oldest held frame. Return: its read's result */
static int worker_held_run(struct worker *w, uint32_t now_ms)
{
	struct wheld h = w->held[w->held_head];

	w->held_head = (w->held_head + 1) % w->held_cap;
	w->nheld--;
	w->ports[ring_ud_obj(h.ud) & 0xffff].nheld--;
	worker_read_cqe(w, ring_ud_op(h.ud), ring_ud_obj(h.ud),
			ring_ud_buf(h.ud), h.res, now_ms);
	return h.res;
}

static void worker_held_push(struct worker *w, uint64_t ud, int res,
			     uint32_t now_ms)
{
	struct wheld *h;

	/* Cannot fill: each held read has a buffer of its own. */
	if (w->nheld == w->held_cap)
		worker_held_run(w, now_ms);
	h = &w->held[(w->held_head + w->nheld) % w->held_cap];
	h->ud = ud;
	h->res = res;
	w->nheld++;
	w->ports[ring_ud_obj(ud) & 0xffff].nheld++;
}

/*
 * Work found: if it is the first since a sleep in the ring, a resting
 * control thread is told (vnet_worker_woke()).
 */
static void worker_active(struct worker *w)
{
	if (!w->woke)
		return;
	w->woke = false;
	vnet_worker_woke(w);
}

static void worker_reap(struct worker *w, uint32_t now_ms)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0, nexpress = 0, nquiet = 0, frames = 0;
	size_t bytes = 0, budget;

	w->round++;
	io_uring_for_each_cqe(&w->ring.uring, head, cqe) {
		uint64_t ud = io_uring_cqe_get_data64(cqe);

		n++;
		if (ring_ud_op(ud) != RING_OP_WAKE &&
		    ring_ud_op(ud) != RING_OP_CANCEL)
			worker_active(w);
		switch (ring_ud_op(ud)) {
		case WOP_READ:
		case WOP_READ_NOWAIT:
			if (worker_hold(w, ring_ud_obj(ud), cqe->res)) {
				worker_held_push(w, ud, cqe->res, now_ms);
				break;
			}
			nexpress += cqe->res > 0;
			nquiet += cqe->res > 0 &&
				  !worker_port_bulky(w, ring_ud_obj(ud));
			worker_read_cqe(w, ring_ud_op(ud), ring_ud_obj(ud),
					ring_ud_buf(ud), cqe->res, now_ms);
			break;
		case WOP_POLL:
			worker_poll_cqe(w, ring_ud_obj(ud), cqe->res);
			break;
		case WOP_WRITE:
			worker_write_cqe(w, (uint16_t)ring_ud_obj(ud),
					 ring_ud_buf(ud), cqe->res);
			break;
		case RING_OP_WAKE:
			w->ring.wake_armed = false;
			ring_wake_arm(&w->ring);
			break;
		case RING_OP_TIMEOUT:
			ring_timeout_completed(&w->ring);
			break;
		default: /* RING_OP_CANCEL: the cancelled read reports */
			break;
		}
	}
	io_uring_cq_advance(&w->ring.uring, n);
	if (nquiet)
		w->quiet_ms = now_ms;
	if (!w->nheld)
		return;
	if (nexpress && io_uring_sq_ready(&w->ring.uring)) {
		io_uring_submit(&w->ring.uring);
		counter_inc(&w->express);
		/*
		 * A quiet tenant's frame was just written into its peer's
		 * TAP, whose kernel woke the program waiting for it with a
		 * sync wake-up: often on this CPU, expecting us to step
		 * aside. Do, before the bulk held below takes the CPU for
		 * tens of microseconds; with nobody else ready it is one
		 * system call. ACKs of bulk flows do not count: their
		 * senders are not waiting for a CPU.
		 */
		if (nquiet) {
			uint64_t y0 = sched_cycles();

			sched_yield();
			w->yielded += sched_cycles() - y0;
			counter_inc(&w->express_yields);
		}
	}
	/*
	 * While quiet tenants' frames come through, a round switches about
	 * one super-frame of held bulk (WORKER_HELD_QUIET), not 64 KiB:
	 * their next frame, arriving while we are in the ring, waits for
	 * the rest of the round. Bulk alone (its ACKs are not quiet) keeps
	 * the bigger rounds and their fewer system calls.
	 */
	budget = worker_lately(w, w->quiet_ms) ? WORKER_HELD_QUIET
					       : WORKER_HELD_BYTES;
	while (w->nheld && bytes < budget &&
	       frames++ < WORKER_HELD_FRAMES) {
		int res = worker_held_run(w, now_ms);

		if (res > 0)
			bytes += (size_t)res;
	}
}

/* ---- commands -------------------------------------------------------- */

void worker_net_link(struct worker *w, uint16_t id)
{
	struct wport *wp = &w->ports[id];
	int32_t head = w->net_head[wp->net];

	wp->prev = -1;
	wp->next = head;
	if (head >= 0)
		w->ports[head].prev = id;
	w->net_head[wp->net] = id;
}

void worker_net_unlink(struct worker *w, uint16_t id)
{
	struct wport *wp = &w->ports[id];

	if (wp->prev >= 0)
		w->ports[wp->prev].next = wp->next;
	else
		w->net_head[wp->net] = wp->next;
	if (wp->next >= 0)
		w->ports[wp->next].prev = wp->prev;
	wp->next = wp->prev = -1;
}

/* Port @id joins its tenant's list; the tenant joins the scheduler. */
void worker_tenant_link(struct worker *w, uint16_t id)
{
	struct wport *wp = &w->ports[id];
	int32_t head = w->tenant_head[wp->tenant];

	wp->tprev = -1;
	wp->tnext = head;
	if (head >= 0)
		w->ports[head].tprev = id;
	w->tenant_head[wp->tenant] = id;
	if (w->sched)
		sched_attach(w->sched, wp->tenant);
}

void worker_tenant_unlink(struct worker *w, uint16_t id)
{
	struct wport *wp = &w->ports[id];

	if (wp->tprev >= 0)
		w->ports[wp->tprev].tnext = wp->tnext;
	else
		w->tenant_head[wp->tenant] = wp->tnext;
	if (wp->tnext >= 0)
		w->ports[wp->tnext].tprev = wp->tprev;
	wp->tnext = wp->tprev = -1;
	if (w->sched)
		sched_detach(w->sched, wp->tenant);
}

static void worker_attach(struct worker *w, struct vnet_port *p)
{
	struct wport *wp = &w->ports[p->id];
	unsigned q, nw = w->v->nworkers;

	memset(wp, 0, sizeof(*wp));
	memset(&w->stats[p->id], 0, sizeof(w->stats[p->id]));
	if (p->lops) {
		lport_attach(w, p);
		return;
	}
	wp->tenant = p->tenant;
	wp->tnext = wp->tprev = -1;
	wp->fdb = w->v->nets[p->net].fdb;
	wp->net = p->net;
	wp->offloads = p->dev.offloads;
	wp->mtu = p->mtu;
	for (q = w->id; q < p->dev.nqueues && wp->nq < WORKER_QUEUES_MAX;
	     q += nw) {
		struct wqueue *wq = &wp->q[wp->nq];

		if (!w->nfree_slots)
			break;
		wq->slot = w->free_slots[--w->nfree_slots];
		if (ring_files_set(&w->ring, (unsigned)wq->slot,
				   p->dev.fds[q])) {
			w->free_slots[w->nfree_slots++] = wq->slot;
			break;
		}
		wq->max_nowait = w->v->cfg.reads_per_queue - 1;
		wq->nowait_ok = true;
		wp->nq++;
	}
	wp->p = p;
	if (!wp->nq) {
		/* No queue here (cannot happen with queues >= workers, which
		 * vnet_port_add enforces): stay detached on this worker. */
		wp->p = NULL;
		return;
	}
	worker_net_link(w, p->id);
	worker_tenant_link(w, p->id);
	worker_arm_reads(w, p->id);
}

static void worker_detach_finish(struct worker *w)
{
	struct wport *wp = &w->ports[w->detach_port];
	unsigned qi;

	for (qi = 0; qi < wp->nq; qi++) {
		ring_files_set(&w->ring, (unsigned)wp->q[qi].slot, -1);
		w->free_slots[w->nfree_slots++] = wp->q[qi].slot;
	}
	wp->p = NULL;
	wp->nq = 0;
	wp->detaching = false;
	worker_ack(w, w->detach_seq);
	w->detach_seq = 0;
}

static void worker_detach(struct worker *w, struct vnet_port *p,
			  uint64_t seq)
{
	struct wport *wp = &w->ports[p->id];
	unsigned qi, i;

	if (!wp->p) {
		worker_ack(w, seq);
		return;
	}
	if (wp->local) {
		lport_detach(w, p);
		worker_ack(w, seq);
		return;
	}
	worker_net_unlink(w, p->id);
	worker_tenant_unlink(w, p->id);
	if (wp->starved) {
		for (i = 0; i < w->nstarved; i++)
			if (w->starved[i] == p->id)
				break;
		memmove(w->starved + i, w->starved + i + 1,
			(w->nstarved - i - 1) * sizeof(*w->starved));
		w->nstarved--;
		wp->starved = false;
	}
	wp->detaching = true;
	w->detach_seq = seq;
	w->detach_port = p->id;
	/* RWF_NOWAIT reads complete at once; the waiting read or poll of
	 * each queue must be cancelled. */
	for (qi = 0; qi < wp->nq; qi++) {
		struct wqueue *q = &wp->q[qi];
		uint32_t obj = p->id | (uint32_t)qi << 16;
		struct io_uring_sqe *sqe;

		if (!q->waiting && !q->polling)
			continue;
		sqe = ring_sqe(&w->ring);
		if (!sqe)
			continue;
		io_uring_prep_cancel64(sqe,
				       q->waiting
					       ? ring_ud(WOP_READ, q->wbuf, obj)
					       : ring_ud(WOP_POLL, 0, obj),
				       0);
		io_uring_sqe_set_data64(sqe, ring_ud(RING_OP_CANCEL, 0, 0));
	}
	if (!worker_port_inflight(wp))
		worker_detach_finish(w);
}

static void worker_commands(struct worker *w)
{
	uint32_t tail = atomic_load_explicit(&w->cmd_tail, memory_order_relaxed);

	/* A detach in progress holds the queue: acknowledgements stay in
	 * order. */
	while (!w->detach_seq &&
	       tail != atomic_load_explicit(&w->cmd_head, memory_order_acquire)) {
		struct wcmd c = w->cmds[tail & (WORKER_CMDS - 1)];

		atomic_store_explicit(&w->cmd_tail, ++tail,
				      memory_order_release);
		switch (c.type) {
		case WCMD_ATTACH:
			worker_attach(w, c.port);
			worker_ack(w, c.seq);
			break;
		case WCMD_DETACH:
			worker_detach(w, c.port, c.seq);
			break;
		case WCMD_STOP:
			w->stop = true;
			worker_ack(w, c.seq);
			return;
		}
	}
}

/* ---- tenants --------------------------------------------------------- */

static void worker_sched_apply(struct worker *w, uint64_t now);
static void worker_sched_idle(struct worker *w, uint64_t now);

/* Apply the control thread's tenant settings if they changed. */
static void worker_tenants_sync(struct worker *w, uint64_t now)
{
	struct vnet *v = w->v;
	uint32_t gen = atomic_load_explicit(&v->tenant_gen,
					    memory_order_acquire);
	uint32_t i;

	if (gen == w->tenant_gen || !w->sched)
		return;
	w->tenant_gen = gen;
	for (i = 0; i < VNET_MAX_TENANTS; i++) {
		uint32_t wt = atomic_load_explicit(&v->tenant_weight[i],
						   memory_order_relaxed);
		uint64_t rate = atomic_load_explicit(&v->tenant_rate[i],
						     memory_order_relaxed);
		uint32_t epoch = atomic_load_explicit(&v->tenant_epoch[i],
						      memory_order_relaxed);

		/* A new tenant has the id: nothing of the last one's */
		if (epoch != w->tenant_epoch[i]) {
			w->tenant_epoch[i] = epoch;
			sched_tenant_new(w->sched, i, now);
		}
		sched_tenant_set(w->sched, i, wt ? wt : SCHED_WEIGHT_DEFAULT,
				 rate, now);
	}
	/* A lifted cap releases a tenant at once. */
	worker_sched_apply(w, now);
}

/* The rate-cap timer fired: the round it wakes up decides. */
static void worker_sched_timer(struct timer *t, uint64_t now_ns)
{
	(void)t;
	(void)now_ns;
}

/* Re-arm the reads of the tenants the scheduler released, and keep the
 * timer set for the next release from a rate cap or a garbage budget. */
static void worker_sched_apply(struct worker *w, uint64_t now)
{
	struct sched *s = w->sched;
	uint64_t next;
	uint32_t i;

	for (i = 0; i < s->nreleased; i++) {
		int32_t id;

		for (id = w->tenant_head[s->released[i]]; id >= 0;
		     id = w->ports[id].tnext)
			worker_arm_reads(w, (uint16_t)id);
	}
	s->nreleased = 0;
	if (!s->nparked)
		return;
	next = sched_next_release(s);
	if (!next || (timer_armed(&w->sched_timer) &&
		      w->sched_timer.deadline_ns <= next))
		return;
	if (timer_armed(&w->sched_timer))
		ring_timer_del(&w->ring, &w->sched_timer);
	ring_timer_add(&w->ring, &w->sched_timer, next > now ? next - now : 0);
}

/*
 * A round found no work while a tenant is parked: release rate-capped
 * tenants whose time came at once, share-parked ones once the worker has
 * been idle for SCHED_IDLE_GRACE_NS. The sched timer is armed for the end
 * of the grace, so a worker that sleeps meanwhile still releases them.
 */
static void worker_sched_idle(struct worker *w, uint64_t now)
{
	struct sched *s = w->sched;
	uint64_t end;

	if (!sched_share_parked(s)) {
		sched_release_due(s, now);
		worker_sched_apply(w, now);
		return;
	}
	if (!w->idle_since)
		w->idle_since = now;
	end = w->idle_since + SCHED_IDLE_GRACE_NS;
	if (now >= end) {
		sched_idle(s, now);
		w->idle_since = 0;
		worker_sched_apply(w, now);
		return;
	}
	if (!timer_armed(&w->sched_timer) || w->sched_timer.deadline_ns > end) {
		if (timer_armed(&w->sched_timer))
			ring_timer_del(&w->ring, &w->sched_timer);
		ring_timer_add(&w->ring, &w->sched_timer, end - now);
	}
}

/* sched_round_end() callback: count the cycles charged to a tenant. */
static void worker_charge(void *ctx, uint32_t id, uint64_t cycles)
{
	struct worker *w = ctx;

	stat_add(&w->tstats[id].cycles, cycles);
}

/* ---- thread ---------------------------------------------------------- */

/*
 * The size of a worker's table of registered files. The kernel refuses a
 * table larger than the open-files limit (EMFILE), and every slot holds a
 * queue descriptor the process also keeps open, so a table of the limit's
 * size can never be the one to run out: the limit is reached first, where
 * opening the queue fails with a clear message.
 */
static unsigned worker_file_slots(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= WORKER_FILE_SLOTS)
		return WORKER_FILE_SLOTS;
	return rl.rlim_cur ? (unsigned)rl.rlim_cur : 1;
}

static int worker_setup(struct worker *w)
{
	const struct vnet_config *c = &w->v->cfg;
	size_t nports = VNET_MAX_PORTS;
	unsigned i;
	int ret;

	ret = ring_init(&w->ring, WORKER_RING_ENTRIES, w->init_err,
			sizeof(w->init_err));
	if (ret)
		return ret;
	w->ring_ok = true;
	w->nslots = worker_file_slots();
	ret = ring_files_init(&w->ring, w->nslots);
	if (ret == -EMFILE) {
		snprintf(w->init_err, sizeof(w->init_err),
			 "cannot register %u io_uring file slots: over the "
			 "open-files limit (ulimit -n, LimitNOFILE=)",
			 w->nslots);
		return ret;
	}
	if (ret) {
		snprintf(w->init_err, sizeof(w->init_err),
			 "cannot register %u io_uring file slots: %s",
			 w->nslots, strerror(-ret));
		return ret;
	}
	ret = arena_init(&w->arena, c->arena_bufs, ARENA_BUF_SIZE);
	if (ret) {
		snprintf(w->init_err, sizeof(w->init_err),
			 "cannot map %u I/O buffers: %s", c->arena_bufs,
			 strerror(-ret));
		return ret;
	}
	ret = arena_register(&w->arena, &w->ring, w->init_err,
			     sizeof(w->init_err));
	if (ret)
		return ret;

	w->ports = calloc(nports, sizeof(*w->ports));
	w->stats = calloc(nports, sizeof(*w->stats));
	w->net_head = malloc(VNET_MAX_NETWORKS * sizeof(*w->net_head));
	w->free_slots = malloc(w->nslots * sizeof(*w->free_slots));
	w->starved = malloc(nports * sizeof(*w->starved));
	w->held_cap = c->arena_bufs;
	w->held = malloc(w->held_cap * sizeof(*w->held));
	w->tstats = calloc(VNET_MAX_TENANTS, sizeof(*w->tstats));
	w->tbuf_cap = c->arena_bufs - c->arena_bufs / 4;
	w->tenant_head = malloc(VNET_MAX_TENANTS * sizeof(*w->tenant_head));
	w->tenant_epoch = calloc(VNET_MAX_TENANTS, sizeof(*w->tenant_epoch));
	if (c->sched)
		w->sched = sched_create(0);
	if (!w->ports || !w->stats || !w->net_head || !w->free_slots ||
	    !w->starved || !w->held || !w->tstats || !w->tenant_head ||
	    !w->tenant_epoch || (c->sched && !w->sched)) {
		snprintf(w->init_err, sizeof(w->init_err), "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < VNET_MAX_NETWORKS; i++)
		w->net_head[i] = -1;
	for (i = 0; i < VNET_MAX_TENANTS; i++)
		w->tenant_head[i] = -1;
	timer_init(&w->sched_timer, worker_sched_timer);
	worker_tenants_sync(w, ring_now_ns());
	for (i = 0; i < w->nslots; i++)
		w->free_slots[i] = (int)(w->nslots - 1 - i);
	w->nfree_slots = w->nslots;
	ring_features_describe(&w->ring.feat, w->features, sizeof(w->features));
	ret = lport_worker_init(w);
	if (ret)
		snprintf(w->init_err, sizeof(w->init_err), "out of memory");
	return ret;
}

static void worker_pin(struct worker *w)
{
	char name[16];
	cpu_set_t set;

	if (w->cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	snprintf(name, sizeof(name), "vstack-w%u", w->id);
	pthread_setname_np(pthread_self(), name);
}

/* Release what worker_setup() took, whatever part of it succeeded. */
static void worker_cleanup(struct worker *w)
{
	if (w->ring_ok)
		ring_exit(&w->ring);
	w->ring_ok = false;
	arena_free(&w->arena);
	free(w->ports);
	free(w->stats);
	free(w->net_head);
	free(w->free_slots);
	free(w->starved);
	free(w->held);
	free(w->tstats);
	free(w->tenant_head);
	free(w->tenant_epoch);
	sched_destroy(w->sched);
	lport_worker_cleanup(w);
	w->ports = NULL;
	w->stats = NULL;
	w->tstats = NULL;
	w->tenant_epoch = NULL;
	w->sched = NULL;
}

/**
 * worker_main() - a worker thread
 * @arg:	its struct worker
 *
 * Return: NULL
 */
void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t busy_ns = (uint64_t)w->v->cfg.busy_poll_us * 1000;
	uint64_t spin_until, last_bulk = 0;

	atomic_store(&w->tid, (int)syscall(SYS_gettid));
	worker_pin(w);
	w->init_ret = worker_setup(w);
	if (!w->init_ret && w->v->cfg.thread_setup)
		w->init_ret = w->v->cfg.thread_setup();
	if (w->init_ret) {
		worker_cleanup(w);
		sem_post(&w->ready);
		return NULL;
	}
	sem_post(&w->ready);

	ring_wake_arm(&w->ring);
	spin_until = ring_now_ns() + busy_ns;
	while (!w->stop) {
		uint64_t now, c0 = 0;
		bool block = false, busy = false;

		worker_commands(w);
		if (w->stop)
			break;
		/* One clock read per round: it dates the batch for the FDB
		 * and decides whether we have been idle long enough. */
		now = ring_now_ns();
		w->now_ms = vnet_now_ms(w->v, now);
		w->lnow_ms = (now - w->v->t0_ns) / 1000000ull;
		worker_tenants_sync(w, now);
		if (w->sched)
			c0 = sched_cycles();
		/* Local ports first: what they send joins this round's
		 * submissions. */
		if (w->nlocals && lport_run(w, false)) {
			worker_active(w);
			busy = true;
			spin_until = now + busy_ns;
		}
		if (io_uring_cq_ready(&w->ring.uring) || w->nheld) {
			busy = true;
			w->round_bulk = false;
			worker_reap(w, w->now_ms);
			/* Frames the completions switched to local ports. */
			if (w->lq_n)
				lport_run(w, false);
			if (w->round_bulk)
				last_bulk = now;
			/*
			 * Spinning pays when small frames go back and forth
			 * (request/response): the next one comes within
			 * microseconds. While GSO super-frames flow (bulk
			 * transfer, with small ACKs in between) each takes
			 * the sender far longer to fill, and the CPU we would
			 * spin on is better left to the tenants.
			 */
			spin_until = now - last_bulk < WORKER_BULK_NS
					     ? now
					     : now + busy_ns;
			counter_inc(&w->batches);
		} else {
			/* Nothing to do: after the grace, whoever a tenant
			 * was parked for does not need the time. */
			if (w->sched && w->sched->nparked)
				worker_sched_idle(w, now);
			if (now < spin_until) {
				/*
				 * Still looking: let whoever else is ready
				 * on this CPU run first. That is often the
				 * tenant thread whose reply we look for
				 * (ping-pong through the shim: without the
				 * yield it waited out our whole look, and
				 * 1-5% of round trips took 50-150 us). With
				 * nothing else ready it costs a system call.
				 */
				sched_yield();
			} else if (w->nlocals && lport_run(w, true)) {
				worker_active(w);
			} else {
				/* Local ports got a last look: their
				 * applications wake us through the ring's
				 * eventfd once they know we sleep. */
				block = true;
				counter_inc(&w->idle_sleeps);
			}
		}
		ring_wait(&w->ring, block);
		if (block)
			w->woke = true;
		if (busy && w->sched) {
			/* The round's cycles, less those other programs ran
			 * in while we stepped aside for them. */
			uint64_t cycles = sched_cycles() - c0 - w->yielded;

			/* a counter that went back (a thread moved to a
			 * CPU whose TSC lags) charges nothing, not 2^64 */
			if ((int64_t)cycles < 0)
				cycles = 0;

			if (w->sched->ntouched)
				w->idle_since = 0;
			sched_round_end(w->sched, cycles, now, worker_charge,
					w);
			worker_sched_apply(w, now);
		}
		w->yielded = 0;
	}
	worker_cleanup(w);
	return NULL;
}
