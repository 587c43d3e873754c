/* SPDX-License-Identifier: MIT */
/*
 * vnet_priv.h - switch internals shared by vnet.c and worker.c only
 *
 * Ownership: struct vnet, its networks and its port table belong to the
 * control thread. A struct vnet_port is immutable once published to the
 * workers (WCMD_ATTACH) until every worker has acknowledged WCMD_DETACH.
 * Each worker keeps its own view of the ports (struct wport) and its own
 * statistics; the control thread only reads those, with relaxed atomics.
 */
#ifndef VSTACK_VNET_PRIV_H
#define VSTACK_VNET_PRIV_H

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>

#include "arena.h"
#include "port.h"
#include "ring.h"
#include "sched.h"
#include "vnet.h"

_Static_assert(VNET_MAX_TENANTS == SCHED_MAX_TENANTS, "tenant id range");
_Static_assert(VNET_MAX_PORTS <= FDB_PORT_LIMITS, "every port has an FDB share");

/* Operations in user_data (see ring.h) */
enum {
	WOP_READ = RING_OP_USER, /* obj: port id | queue index << 16 */
	WOP_READ_NOWAIT,         /* same, with RWF_NOWAIT */
	WOP_POLL,                /* same, POLL_ADD fallback */
	WOP_WRITE,               /* obj: destination port id */
};

#define WORKER_RING_ENTRIES 1024
#define WORKER_FILE_SLOTS 16384  /* at most: fewer under a lower open-files limit */
#define WORKER_CMDS 1024         /* power of two */
#define WORKER_READS_MAX 16      /* reads in flight per queue, at most */
#define WORKER_QUEUES_MAX 8      /* queues of one port on one worker */
#define WORKER_BULK_FRAME 16384  /* a frame this big means bulk transfer */
#define WORKER_BULK_NS 2000000ull /* ... which lasts this long after one */
#define WORKER_EXPRESS_FRAMES 2  /* small frames per port and round that go
				  * ahead of the bulk (worker_reap) */
#define WORKER_HELD_BYTES 65536  /* held bulk switched per round, at most */
#define WORKER_HELD_QUIET 16384  /* ... while quiet tenants' frames come */
#define WORKER_HELD_FRAMES 64    /* ... and in frames */

struct vnet_port {
	uint16_t id;
	uint32_t gen;         /* tells this port from a later one in its slot */
	uint16_t net;
	uint32_t tenant;
	unsigned mtu;
	char name[VNET_IFNAME_MAX];
	const struct port_ops *ops;
	struct port_dev dev;
	atomic_bool gone;     /* a worker found the device deleted */
	bool locked;          /* @sec applies; both fixed for the port's life */
	struct portsec sec;
	uint32_t fdb_max;     /* its share of the FDB (fdb_port_set_max()) */
	/* Local ports (lport.c): no device (@ops NULL), one owning worker */
	const struct vnet_lport_ops *lops;
	void *lops_ctx;
	unsigned owner;
	unsigned loffloads;   /* TUN_F_* bits it takes */
};

/* A local port as a worker serves it: what the callbacks get */
struct vnet_lctx {
	struct worker *w;
	uint16_t id;
};

/* A frame on its way to a local port on its owning worker */
struct lq_entry {
	uint8_t *buf;         /* arena buffer, or malloc()ed (hand-off) */
	uint32_t len;
	uint32_t gen;         /* vnet_port.gen of the destination */
	uint16_t port;
};

#define WORKER_LQ_MAX 1024    /* frames queued for local ports, per queue */

struct vnet_net {
	char name[VNET_NAME_MAX];
	struct fdb *fdb;
	unsigned nports;
};

enum wcmd_type {
	WCMD_ATTACH,
	WCMD_DETACH,
	WCMD_STOP,
};

struct wcmd {
	enum wcmd_type type;
	struct vnet_port *port;
	uint64_t seq;
};

/* One queue of a port, as one worker serves it */
struct wqueue {
	int slot;             /* fixed file slot */
	bool waiting;         /* the waiting read is in flight */
	uint32_t wbuf;        /* its buffer, which names it for cancelling */
	bool polling;         /* POLL_ADD in flight instead */
	bool nowait_ok;       /* RWF_NOWAIT reads work on this kernel */
	unsigned nnowait;     /* RWF_NOWAIT reads in flight */
	unsigned max_nowait;  /* at most this many */
};

/* A worker's view of one port */
struct wport {
	struct vnet_port *p;  /* NULL: not attached on this worker */
	struct fdb *fdb;
	uint16_t net;
	unsigned offloads;
	unsigned mtu;
	unsigned nq;
	struct wqueue q[WORKER_QUEUES_MAX];
	unsigned writes;      /* writes in flight to this port */
	bool detaching;
	bool down;            /* the device went away under us */
	bool starved;         /* on the starved list */
	int32_t next, prev;   /* in its network's member list */
	uint32_t tenant;      /* who pays for its frames */
	int32_t tnext, tprev; /* in its tenant's member list */
	bool local;           /* a local port (lport.c) */
	struct vnet_lctx lc;  /* on its owning worker: the callbacks' handle */
	uint64_t round;       /* the round @rframes counts for */
	unsigned rframes;     /* frames read from it in that round */
	unsigned nheld;       /* its completions in the worker's held queue */
	uint32_t bulk_ms;     /* when it last sent or was sent a bulk frame */
};

/* A read completion held back behind small frames (worker_reap) */
struct wheld {
	uint64_t ud;
	int32_t res;
};

/* A tenant's work on one worker (written by it, read by the control
 * thread with stat_read) */
struct wtenant_stats {
	uint64_t packets, bytes, cycles;
	uint64_t bufs;      /* buffers its posted reads hold now */
	uint64_t buf_waits; /* reads not posted: it held its share */
};

struct worker {
	struct vnet *v;
	unsigned id;
	int cpu;
	pthread_t thread;
	_Atomic int tid;
	struct ring ring;
	bool ring_ok;
	struct arena arena;

	/* Commands from the control thread: single producer, single
	 * consumer; done_seq acknowledges them in order. */
	struct wcmd cmds[WORKER_CMDS];
	_Atomic uint32_t cmd_head, cmd_tail;
	_Atomic uint64_t done_seq;
	uint64_t detach_seq;  /* a detach waiting for its I/O to finish */
	bool round_bulk;      /* this round forwarded a bulk frame */
	uint16_t detach_port;
	bool stop;

	/* Start-up handshake */
	sem_t ready;
	int init_ret;
	char init_err[RING_ERRLEN];

	struct wport *ports;               /* [VNET_MAX_PORTS] */
	struct vnet_port_stats *stats;     /* [VNET_MAX_PORTS] */
	int32_t *net_head;                 /* [VNET_MAX_NETWORKS] */
	int *free_slots;                   /* stack of file slots */
	unsigned nslots, nfree_slots;      /* table size (open-files limit) */
	uint16_t *starved;                 /* ports waiting for buffers */
	unsigned nstarved;
	struct wheld *held;                /* FIFO of held completions */
	unsigned held_cap;                 /* its size: arena buffers */
	unsigned held_head, nheld;
	uint64_t round;                    /* rounds that reaped */
	uint32_t quiet_ms;                 /* last express frame of a port
					    * not in bulk traffic */

	/* Accounting and scheduling (see worker.c, "Tenants") */
	struct wtenant_stats *tstats;      /* [VNET_MAX_TENANTS] */
	uint32_t tbuf_cap;                 /* most bufs one tenant may hold */
	int32_t *tenant_head;              /* [VNET_MAX_TENANTS] */
	struct sched *sched;               /* NULL: scheduler off */
	uint32_t tenant_gen;               /* tenant settings applied */
	uint32_t *tenant_epoch;            /* [VNET_MAX_TENANTS]: the
					    * vnet.tenant_epoch applied */
	struct timer sched_timer;          /* releases parked tenants */
	uint64_t idle_since;               /* no work since, 0: working */
	uint64_t yielded;                  /* cycles of this round given
					    * away (express yields): no
					    * tenant's work */

	/* Local ports (lport.c). @lq: frames for the local ports we own,
	 * delivered after the step that switched them (never from inside
	 * another port's callback); @ho: frames other workers switched to
	 * them, under @ho_lock. */
	uint16_t *locals;                  /* ids of the local ports we own */
	unsigned nlocals;
	struct lq_entry *lq;               /* [WORKER_LQ_MAX], a ring */
	unsigned lq_head, lq_n;
	pthread_mutex_t ho_lock;
	struct lq_entry *ho;               /* [WORKER_LQ_MAX], a ring */
	unsigned ho_head, ho_n;
	_Atomic unsigned ho_pending;       /* ho_n, read without the lock */
	struct timer ltimer;               /* next local-port deadline */
	bool flooding;                     /* the frame goes to many ports */
	uint32_t now_ms;                   /* this round's time (FDB: wraps) */
	uint64_t lnow_ms;                  /* the same, 64-bit, for local
					    * ports (TCP timers must not wrap
					    * after 49 days) */

	bool woke; /* back from a sleep in the ring, no work seen since */

	/* Read by the control thread (stat_read) */
	uint64_t batches, frames, idle_sleeps, express, express_yields;
	uint64_t nowait_refused; /* queues whose RWF_NOWAIT reads failed */
	_Atomic uint64_t wakes; /* returns from a sleep in the ring that
				 * brought work (worker_active()) */
	char features[128];
};

/* The control thread's view of a tenant's counters: what they were when
 * the tenant was (re)created, and at the last tick, for rates. */
struct vnet_tenant_mark {
	struct vnet_tenant_stats base;
	uint64_t tick_packets, tick_bytes, tick_cycles;
	uint64_t rate_bps, pps, cycles_now;
};

struct vnet {
	struct vnet_config cfg;
	unsigned nworkers;
	struct worker *workers;
	uint64_t t0_ns;
	uint64_t seq;
	struct vnet_port *ports[VNET_MAX_PORTS];
	struct vnet_net nets[VNET_MAX_NETWORKS];

	/* Tenant settings published to the workers: each value is read
	 * whole (atomics); a worker re-reads them all when tenant_gen
	 * moves. Weight 0 means "never set": the default. */
	_Atomic uint32_t tenant_weight[VNET_MAX_TENANTS];
	_Atomic uint64_t tenant_rate[VNET_MAX_TENANTS]; /* bytes/s */
	_Atomic uint32_t tenant_gen;
	/* Moved by vnet_tenant_clear(): the id names a new tenant, whose
	 * scheduler state starts afresh on every worker (tenant ids are
	 * reused). Read by the workers with the settings. */
	_Atomic uint32_t tenant_epoch[VNET_MAX_TENANTS];
	uint32_t port_gen;                /* last vnet_port.gen given */
	struct vnet_tenant_mark tenant_mark[VNET_MAX_TENANTS];
	/* One past the highest tenant id ever set or cleared (at least 1:
	 * the default tenant); the tick takes rates below it only */
	_Atomic uint32_t tenant_hi;
	uint64_t tick_ns;

	/* The control thread resting (vnet_ctl_rest()): the first worker
	 * to wake from a sleep in its ring clears @ctl_resting and writes
	 * @ctl_fd. @ctl_seen: the workers' counters at the last look. */
	_Atomic bool ctl_resting;
	int ctl_fd;
	uint64_t ctl_seen;
};

/* vnet.c, for lport.c */
int vnet_broadcast(struct vnet *v, enum wcmd_type type, struct vnet_port *p);
int vnet_net_get(struct vnet *v, const char *name, char *err, size_t errlen);
void vnet_net_put(struct vnet *v, uint16_t net);
int vnet_port_pin(struct vnet *v, struct vnet_port *p, const uint8_t mac[6],
		  char *err, size_t errlen);
int vnet_port_find(const struct vnet *v, const char *name);
int vnet_port_slot(const struct vnet *v, char *err, size_t errlen);
void vnet_port_fdb_max(struct vnet *v, struct vnet_port *p,
		       const uint32_t *max);
int vnet_port_remove(struct vnet *v, int id, bool destroy);

void *worker_main(void *arg);
void vnet_worker_woke(struct worker *w);
void worker_rx(struct worker *w, uint16_t src, uint32_t buf, size_t len,
	       uint32_t now_ms);
void worker_buf_put(struct worker *w, uint32_t buf);
void worker_net_link(struct worker *w, uint16_t id);
void worker_net_unlink(struct worker *w, uint16_t id);
void worker_tenant_link(struct worker *w, uint16_t id);
void worker_tenant_unlink(struct worker *w, uint16_t id);
void worker_ack(struct worker *w, uint64_t seq);

/* lport.c: the worker's side of local ports */
int lport_worker_init(struct worker *w);
void lport_worker_cleanup(struct worker *w);
void lport_attach(struct worker *w, struct vnet_port *p);
void lport_detach(struct worker *w, struct vnet_port *p);
void lport_deliver(struct worker *w, uint16_t dst, uint32_t buf,
		   const uint8_t *data, size_t len);
bool lport_run(struct worker *w, bool idle);
void worker_send(struct worker *w, enum wcmd_type type, struct vnet_port *p,
		 uint64_t seq);

static inline uint32_t vnet_now_ms(const struct vnet *v, uint64_t now_ns)
{
	return (uint32_t)((now_ns - v->t0_ns) / 1000000ull);
}

/* Statistics are written by one worker and read by the control thread:
 * relaxed loads and stores compile to plain moves and never tear. */
static inline void stat_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n,
			 __ATOMIC_RELAXED);
}

static inline void counter_inc(uint64_t *c)
{
	stat_add(c, 1);
}

static inline void stat_sub(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) - n,
			 __ATOMIC_RELAXED);
}

static inline uint64_t stat_read(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

#endif /* VSTACK_VNET_PRIV_H */
