/* SPDX-License-Identifier: MIT */
/*
 * vnet.h - the switch as the control plane sees it
 *
 * vnet_start() creates the worker threads (one ring and one buffer arena
 * each, pinned to a CPU) and the switch tables. Everything else here is
 * called by the single control thread, one call at a time: it changes the
 * tables and tells the workers, who pick the change up between batches. A
 * worker never waits for the control thread; the control thread waits for
 * the workers only where it must (a port is freed once every worker has let
 * go of it).
 *
 * Ports own their TAP device: vnet_port_add() creates it with one queue per
 * worker (or attaches to the persistent one an earlier run left),
 * vnet_port_del() closes the queues and destroys the device wherever it
 * lives by then (moving it into a tenant's namespace and setting its
 * addresses is the control plane's netlink work, see ctl/). vnet_stop()
 * closes the queues but leaves persistent devices in place.
 */
#ifndef VSTACK_VNET_H
#define VSTACK_VNET_H

#include <linux/if_tun.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fdb.h"
#include "frame.h"
#include "portsec.h"

/* Port offloads are TUN_F_* bits; the USO ones are missing from uapi
 * headers before Linux 6.2. */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6 0x40
#endif

#define VNET_MAX_WORKERS 64
#define VNET_MAX_PORTS 4096
#define VNET_MAX_NETWORKS 1024
#define VNET_NAME_MAX 32   /* network names, including the NUL */
#define VNET_IFNAME_MAX 16 /* IFNAMSIZ */
#define VNET_DEFAULT_NETWORK "default"
#define VNET_MAX_TENANTS 1024 /* tenant ids 0..1023 (TENANT_MAX) */

/** enum vnet_drop - every reason the switch drops a frame */
enum vnet_drop {
	/* 0 .. FRAME_DROP__COUNT-1: the frame_parse() reasons */
	VNET_DROP_NO_BUFFER = FRAME_DROP__COUNT, /* arena exhausted */
	VNET_DROP_TX_ERROR,  /* write to the destination failed */
	VNET_DROP_LINK_DOWN, /* destination device not up (EIO) */
	VNET_DROP_MTU,       /* bigger than the destination's MTU */
	VNET_DROP_SEGMENT,   /* software segmentation failed */
	VNET_DROP_HAIRPIN,   /* destination is the source port */
	VNET_DROP_SPOOF,     /* source not the locked port's (portsec.h), or
			      * another port's pinned MAC (fdb.h) */
	VNET_DROP_LINK_LOCAL, /* to 01:80:c2:00:00:01-0f, which bridges keep */
	VNET_DROP__COUNT
};

const char *vnet_drop_name(unsigned reason);

struct vnet_config {
	unsigned workers;               /* default 1 */
	unsigned ncpus;                 /* 0: CPUs of our affinity mask */
	int cpus[VNET_MAX_WORKERS];     /* worker i runs on cpus[i % ncpus] */
	uint32_t arena_bufs;            /* buffers per worker */
	uint32_t reads_per_queue;       /* reads per queue at most: one waits,
					 * the rest drain a backlog */
	uint32_t fdb_limit;             /* entries per network */
	uint32_t fdb_aging_ms;
	uint32_t fdb_port_max;          /* addresses learned per port, unless
					 * the port says (0: no limit) */
	uint32_t busy_poll_us;          /* spin this long after the last work */
	bool napi;                      /* IFF_NAPI on new TAPs (GRO on rx) */
	int (*thread_setup)(void);      /* run by each worker once its ring
					 * and arena are set up (e.g. to drop
					 * capabilities); 0 or -errno */
	bool sched;                     /* measure cycles, share by weight,
					 * apply rate caps (default on) */
};

void vnet_config_default(struct vnet_config *c);

struct vnet;

int vnet_start(const struct vnet_config *c, struct vnet **out, char *err,
	       size_t errlen);
void vnet_stop(struct vnet *v);
unsigned vnet_workers(const struct vnet *v);

/**
 * struct vnet_port_spec - what vnet_port_add() needs
 * @name:	interface name, 1..15 characters, unique among ports
 * @network:	network name, NULL for "default"; created on first use
 * @tenant:	tenant id the port's traffic is charged to
 * @offload:	negotiate checksum/TSO/USO offloads with the TAP
 * @queues:	TAP queues, 0 for one per worker; queue q is served by
 *		worker q % workers
 * @mtu:	largest L3 packet the port takes, 0 for 1500; bigger frames
 *		are dropped as a bridge drops them (GSO frames are judged by
 *		the size of their segments)
 * @persist:	make the TAP persistent: it outlives vnet_stop() (and a
 *		crash); only vnet_port_del() destroys it
 * @attach:	attach to the persistent TAP left by an earlier vstackd
 *		instead of creating one; vnet_port_add() then fails with
 *		-ENODEV if it is gone
 * @netns_fd:	with @attach, the namespace the device is in (-1: ours)
 * @lock:	lock the port to these source addresses (portsec.h), or NULL
 * @fdb_max:	most addresses the FDB learns from the port (0: no limit;
 *		its pinned address does not count), NULL for the switch's
 *		fdb_port_max
 */
struct vnet_port_spec {
	const char *name;
	const char *network;
	uint32_t tenant;
	bool offload;
	unsigned queues;
	unsigned mtu;
	bool persist;
	bool attach;
	int netns_fd;
	const struct portsec *lock;
	const uint32_t *fdb_max;
};

struct vnet_port_stats {
	uint64_t rx_packets, rx_bytes; /* frames read from the port */
	uint64_t tx_packets, tx_bytes; /* frames written to the port */
	uint64_t drops[VNET_DROP__COUNT];
	uint64_t fdb_full; /* frames whose source was not learned: the port
			    * was at its fdb_max (forwarded all the same) */
};

struct vnet_port_info {
	char name[VNET_IFNAME_MAX];
	char network[VNET_NAME_MAX];
	uint32_t tenant;
	uint16_t id;          /* the port's slot, as shown in the FDB */
	unsigned queues;
	unsigned mtu;
	unsigned offloads;    /* TUN_F_* bits in force (see above) */
	bool locked;          /* port security on (portsec.h) */
	bool gone;            /* its device was deleted from outside */
	bool local;           /* a local port (no device): an endpoint */
	uint32_t fdb_max;     /* addresses learned from it at most, 0: any */
	uint32_t fdb_learned; /* addresses learned from it in the FDB now */
	struct vnet_port_stats stats; /* summed over workers */
};

struct vnet_network_info {
	char name[VNET_NAME_MAX];
	unsigned ports;
	struct fdb_stats fdb;
};

struct vnet_worker_info {
	unsigned id;
	int cpu;
	int tid;
	uint64_t cpu_ns;     /* thread CPU time */
	uint64_t batches;    /* completion batches handled */
	uint64_t frames;
	uint64_t idle_sleeps;
	uint64_t express;    /* rounds whose small frames went ahead */
	uint64_t express_yields; /* ... and then gave a woken tenant the CPU */
	uint64_t nowait_refused; /* queues refusing RWF_NOWAIT reads (< 6.4) */
	char ring_features[128];
};

int vnet_port_add(struct vnet *v, const struct vnet_port_spec *spec,
		  char *err, size_t errlen);
int vnet_port_del(struct vnet *v, const char *name);
int vnet_port_close(struct vnet *v, const char *name);
int vnet_port_del_many(struct vnet *v, const char *const *names, unsigned n);
int vnet_port_get(struct vnet *v, const char *name,
		  struct vnet_port_info *out);
typedef void (*vnet_port_fn)(const struct vnet_port_info *p, void *ctx);
void vnet_port_foreach(struct vnet *v, vnet_port_fn fn, void *ctx);

typedef void (*vnet_network_fn)(const struct vnet_network_info *n, void *ctx);
void vnet_network_foreach(struct vnet *v, vnet_network_fn fn, void *ctx);

struct vnet_fdb_row {
	const char *network;
	const char *port;
	uint8_t mac[6];
	uint32_t age_ms;
	bool pinned; /* a locked port's or an endpoint's own (fdb.h) */
};
typedef void (*vnet_fdb_fn)(const struct vnet_fdb_row *r, void *ctx);
void vnet_fdb_foreach(struct vnet *v, const char *network, vnet_fdb_fn fn,
		      void *ctx);

void vnet_worker_foreach(struct vnet *v,
			 void (*fn)(const struct vnet_worker_info *w, void *),
			 void *ctx);

/**
 * struct vnet_tenant_stats - one tenant's work, summed over workers
 * @packets:	frames read from its ports (the work it caused)
 * @bytes:	their bytes (without the virtio-net header)
 * @cycles:	worker cycles charged to it (0 with the scheduler off)
 * @parks:	times its intake was parked for being over its share
 * @throttles:	times its intake was parked for its rate cap
 * @penalty_cycles: cycles added to its virtual time for frames dropped
 *		for its fault (malformed, spoofed), beyond their cost
 * @quarantines: times its intake was parked for sending too many of them
 * @buffers:	worker buffers its posted reads hold now
 * @buffer_waits: reads not posted because it held its share of buffers
 * @rate_bps:	bits per second read from its ports over the last tick
 * @pps:	packets per second over the last tick
 * @cycles_now:	cycles charged to it over the last tick
 */
struct vnet_tenant_stats {
	uint64_t packets, bytes, cycles;
	uint64_t parks, throttles, penalty_cycles, quarantines;
	uint64_t buffers, buffer_waits;
	uint64_t rate_bps, pps, cycles_now;
};

int vnet_tenant_set(struct vnet *v, uint32_t id, uint32_t weight,
		    uint64_t rate_bps);
int vnet_tenant_clear(struct vnet *v, uint32_t id);
int vnet_tenant_get(struct vnet *v, uint32_t id,
		    struct vnet_tenant_stats *out);
bool vnet_sched_enabled(const struct vnet *v);

/*
 * Local ports: ports with no device, served by code running inside a
 * worker (the shared stack's endpoints, stack/). A local port belongs to
 * one network and one tenant like any port and is switched like one, but
 * one worker owns it: the frames for it are handed to its ops->input() on
 * that worker (frames that arrive on another worker are copied over to it),
 * and the frames it sends enter the switch on that worker as if read from
 * a device, in the same pass. vnet calls the ops on the owning worker only,
 * never two at a time.
 */
struct vnet_lctx; /* a local port as its worker serves it (opaque) */

/**
 * struct vnet_lport_ops - what a local port's owner provides
 * @attach:	the owning worker took the port up (before any other call)
 * @input:	a frame for the port: virtio-net header and Ethernet frame,
 *		@len bytes; checksums complete and no GSO unless the port
 *		takes those offloads (vnet_lport_spec.offloads); the callee
 *		owns @buf and gives it back with vnet_lport_free()
 * @poll:	called once per worker round while attached, and with @idle
 *		set just before the worker sleeps: do pending work (queues
 *		filled by other threads, expired timers); return true if
 *		there was any (the worker then does not sleep). Set
 *		*@deadline_ms to when it wants the next call at the latest,
 *		UINT64_MAX for no deadline.
 * @detach:	the port is leaving: give back every buffer still held;
 *		no call follows
 */
struct vnet_lport_ops {
	void (*attach)(void *ctx, struct vnet_lctx *lc, uint64_t now_ms);
	void (*input)(void *ctx, struct vnet_lctx *lc, uint8_t *buf,
		      size_t len, uint64_t now_ms);
	bool (*poll)(void *ctx, struct vnet_lctx *lc, uint64_t now_ms,
		     bool idle, uint64_t *deadline_ms);
	void (*detach)(void *ctx, struct vnet_lctx *lc);
};

/**
 * struct vnet_lport_spec - what vnet_lport_add() needs
 * @name:	port name, unique among all ports (device or local)
 * @network:	network name, NULL for "default"
 * @tenant:	tenant charged for its traffic
 * @mtu:	largest L3 packet it takes, 0 for 1500
 * @mac:	its MAC address, pinned in the network's FDB (fdb_pin()) so
 *		that no other port can take it over; NULL: learned as usual
 * @offloads:	TUN_F_* bits: TUN_F_CSUM, the port takes frames with
 *		VIRTIO_NET_HDR_F_NEEDS_CSUM (partial checksum); with it,
 *		TUN_F_TSO4/TSO6, GSO super-frames, which it treats as one
 *		large segment (0: complete, segmented frames only)
 * @ops:	its callbacks
 * @ctx:	their first argument
 */
struct vnet_lport_spec {
	const char *name;
	const char *network;
	uint32_t tenant;
	unsigned mtu;
	const uint8_t *mac;
	unsigned offloads;
	const struct vnet_lport_ops *ops;
	void *ctx;
};

/*
 * Control thread: vnet_lport_add() returns the port id once the owning
 * worker has attached it (ops->attach ran), vnet_lport_del() once it has
 * detached it (ops->detach ran and no frame for it is in flight).
 * vnet_lport_worker() names the owning worker; vnet_lport_wake_fd() is an
 * eventfd that wakes it when 8 bytes are written to it (it may be handed
 * to other processes); vnet_lport_kick() wakes it from one of our threads
 * (after queueing work that ops->poll picks up).
 */
int vnet_lport_add(struct vnet *v, const struct vnet_lport_spec *spec,
		   char *err, size_t errlen);
int vnet_lport_del(struct vnet *v, const char *name);
int vnet_lport_worker(struct vnet *v, const char *name);
int vnet_lport_wake_fd(struct vnet *v, const char *name);
void vnet_lport_kick(struct vnet *v, const char *name);

/*
 * The owning worker, inside the callbacks only: buffers come from the
 * worker's arena (NULL when it is empty or @size is larger than a buffer);
 * vnet_lport_send() takes ownership and switches the frame (virtio-net
 * header and Ethernet frame, checksums complete) from this port.
 */
uint8_t *vnet_lport_alloc(struct vnet_lctx *lc, size_t size);
void vnet_lport_free(struct vnet_lctx *lc, uint8_t *buf);
void vnet_lport_send(struct vnet_lctx *lc, uint8_t *buf, size_t len);
void vnet_lport_charge(struct vnet_lctx *from, struct vnet_lctx *to,
		       size_t bytes);
unsigned vnet_lport_worker_id(const struct vnet_lctx *lc);

void vnet_tick(struct vnet *v);
bool vnet_ctl_quiet(struct vnet *v);
bool vnet_ctl_rest(struct vnet *v);
void vnet_ctl_awake(struct vnet *v);
int vnet_ctl_fd(const struct vnet *v);

#endif /* VSTACK_VNET_H */
