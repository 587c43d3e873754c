/* SPDX-License-Identifier: MIT */
/*
 * ep.h - the endpoint runtime: inside stack/ only (ep*.c, app*.c, tests)
 *
 * An endpoint (struct ep) is a struct netif (ARP, IPv4, ICMP, UDP) plus a
 * TCP layer (ep_tcp.c): a pool of connections, a hash table on the
 * 4-tuple (listeners are entered with remote address and port 0), a timer
 * heap, and the limits. It lives in two worlds:
 *
 * - the owning worker runs it: ep_attach(), ep_input(), ep_poll(),
 *   ep_detach() (ep.c), through the host's callbacks (vnet local ports,
 *   ep_vnet.c; or a test). Only the worker touches netif, TCP and the
 *   application contexts attached to the endpoint;
 * - the control thread (ep_ctl.c) creates and deletes it, reads its
 *   counters (struct ep_pub, relaxed atomics the worker publishes) and
 *   hands work over through a mutex-protected request list (struct
 *   ep_req), then kicks the worker; it may wait for the worker's answer,
 *   the worker never waits for the control thread (it only try-locks).
 *
 * Users of TCP connections (an application socket, app_run.c; a test) see
 * a connection as a struct ep_conn and get its events through struct
 * ep_user_ops.
 */
#ifndef VSTACK_STACK_EP_H
#define VSTACK_STACK_EP_H

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netif.h"
#include "stack.h"
#include "tcp.h"

struct ep;
struct ep_conn;
struct app_ctx;

#define EP_CONNS_DEFAULT    16384 /* TCP connections and listeners */
#define EP_HALFOPEN_DEFAULT 1024  /* connections in SYN-RECEIVED */
#define EP_APPS_PER_TENANT  64	  /* application contexts per tenant */
#define EP_RTO_MIN_MS	    200	  /* RTO floor (see ep_tcp_init()) */
#define EP_GSO_BUF	    NETIF_BUF_MAX /* buffer of a TSO super-frame */
#define EP_NONE		    UINT32_MAX
#define EP_PORTS	    65536 /* port numbers */

/**
 * struct ep_user_ops - what the user of a connection provides
 * @accept:	a SYN reached listener @lec: give the new connection @ec its
 *		rings (ep_tcp_set_rings()) and return 0, -EAGAIN to drop the
 *		SYN (accept queue full: the client retries), or another
 *		negative errno to refuse it (answered with a reset)
 * @synq_full:	optional: the user holds as many half-open children as it
 *		will; a SYN to @lec is then answered with a SYN cookie (or
 *		dropped, with cookies off)
 * @event:	TCP_EV_* bits on @ec (a child: only once accepted by TCP)
 * @release:	TCP is done with @ec; its rings are the user's again and
 *		@ec is gone when this returns
 */
struct ep_user_ops {
	int (*accept)(void *user, struct ep_conn *lec, struct ep_conn *ec);
	bool (*synq_full)(void *user, struct ep_conn *lec);
	void (*event)(void *user, struct ep_conn *ec, unsigned ev);
	void (*release)(void *user, struct ep_conn *ec);
};

/**
 * struct ep_conn - a TCP connection or listener of an endpoint
 * @tcp:	TCP's control block
 * @uops:	its user's callbacks
 * @user:	their context
 * @uid:	for the user (an application: the socket index)
 * @hnext:	next in the hash chain (pool index + 1, 0: end)
 * @heap_pos:	position in the timer heap, EP_NONE when not in it
 * @deadline:	the deadline the heap holds for it
 * @in_use:	the pool slot is taken
 * @hashed:	entered in the hash table
 * @dirty:	on the list of connections whose deadline must be read again
 * @halfopen:	counted as half-open (a child in SYN-RECEIVED)
 */
struct ep_conn {
	struct tcp_conn tcp;
	const struct ep_user_ops *uops;
	void *user;
	uint32_t uid;
	uint32_t hnext;
	uint32_t heap_pos;
	uint64_t deadline;
	uint32_t gen;			/* bumped each time the slot is freed */
	uint32_t hop_epoch;		/* ep_hop.c: @hop_to valid in it */
	struct ep *hop_to;		/* ep_hop.c: one-hop peer, or NULL */
	bool in_use, hashed, dirty, halfopen;
};

_Static_assert(offsetof(struct ep_conn, tcp) == 0,
	       "a struct tcp_conn pointer is its struct ep_conn");

/**
 * ep_conn_of() - the struct ep_conn around a TCP control block
 * @c:	control block
 *
 * Return: its connection
 */
static inline struct ep_conn *ep_conn_of(struct tcp_conn *c)
{
	return (struct ep_conn *)((char *)c - offsetof(struct ep_conn, tcp));
}

#define EP_STATS(X)                                                            \
	X(TCP_RX, "tcp_rx")		    /* TCP segments for us */          \
	X(TCP_RX_BAD, "tcp_rx_bad")	    /* short, bad offset or options */ \
	X(TCP_RX_CSUM, "tcp_rx_csum")	    /* bad checksum */                 \
	X(TCP_RX_BCAST, "tcp_rx_bcast")	    /* sent to a broadcast address */  \
	X(TCP_RX_NOMATCH, "tcp_rx_nomatch") /* no connection or listener */    \
	X(TCP_TX, "tcp_tx")		    /* segments sent */                \
	X(TCP_TX_NOBUF, "tcp_tx_nobuf")	    /* no buffer: TCP retransmits */   \
	X(TCP_TX_ERR, "tcp_tx_err")	    /* IPv4 output refused it */       \
	X(CONN_LIMIT, "conn_limit")	  /* no connection left in the pool */ \
	X(HALFOPEN_DROP, "halfopen_drop") /* SYN dropped: half-open bound */   \
	X(COOKIE_SENT, "syncookie_sent")  /* SYN-ACKs with a cookie */         \
	X(COOKIE_OK, "syncookie_ok")	  /* connections made from a cookie */ \
	X(COOKIE_BAD, "syncookie_bad") /* ACKs whose cookie did not check */   \
	X(ACCEPT_REFUSED, "accept_refused") /* user had no slot: reset */      \
	X(ACCEPT_BACKLOG, "accept_backlog") /* accept queue full: dropped */   \
	X(PMTU, "pmtu")			    /* path MTU updates applied */     \
	X(UNREACH, "icmp_unreach") /* connects ended by ICMP unreachable */    \
	X(APP_BAD_CMD, "app_bad_cmd")	    /* malformed commands */           \
	X(APP_BAD_SOCK, "app_bad_sock")	  /* sockets reset for bad counters */ \
	X(APP_BAD_DGRAM, "app_bad_dgram") /* malformed datagram records */     \
	X(APP_UDP_DROP, "app_udp_drop")	  /* datagrams without ring room */    \
	/* of connections that ended (folded in at release) */                 \
	X(TCP_REXMIT_SEGS, "tcp_rexmit_segs") /* segments sent again */        \
	X(TCP_FAST_REXMITS, "tcp_fast_rexmits") /* loss recoveries entered */  \
	X(TCP_RTOS, "tcp_rtos")		      /* retransmission timeouts */    \
	X(TCP_DUP_ACKS, "tcp_dup_acks")	      /* duplicate ACKs received */    \
	X(TCP_OOO_SEGS, "tcp_ooo_segs")	      /* segments beyond a hole */     \
	X(TCP_DUP_SEGS, "tcp_dup_segs")	      /* data received twice */        \
	X(TCP_TLP, "tcp_tlp_probes")	      /* tail loss probes sent */      \
	X(TCP_WUPD, "tcp_wupd_resent")	      /* window updates sent again */  \
	/* the one-hop path (ep_hop.c) */                                      \
	X(HOP_TX, "hop_tx")		    /* segments queued (joined: one) */ \
	X(HOP_RX, "hop_rx")		    /* segments delivered to us */     \
	X(HOP_DROP, "hop_drop")		    /* queue full: TCP resends */      \
	X(HOP_STALE, "hop_stale")	    /* sender gone before delivery */

/** enum ep_stat - endpoint runtime counters (worker only) */
enum ep_stat {
#define EP_X(name, str) EP_STAT_##name,
	EP_STATS(EP_X)
#undef EP_X
		EP_STAT__COUNT
};
_Static_assert(EP_STAT__COUNT <= STACK_EP_STATS_MAX, "stack_ep_info.stat");

/**
 * struct ep_pub - what the worker publishes for the control thread
 *
 * Written by the worker (relaxed stores at the end of each poll), read by
 * the control thread (relaxed loads): each value is a snapshot.
 */
struct ep_pub {
	_Atomic uint64_t tcp_conns, tcp_listen, udp_socks, apps;
	_Atomic uint64_t rx_frames, tx_frames, drops;
	_Atomic uint64_t stats[EP_STAT__COUNT];
};

/**
 * struct ep_io - how the endpoint reaches its worker's buffers and switch
 * @alloc:	a buffer of @size bytes or NULL
 * @free:	give one back
 * @emit:	send a frame (takes the buffer)
 * @charge:	optional: account a one-hop segment to the sender (ep_hop.c)
 */
struct ep_io {
	uint8_t *(*alloc)(void *ctx, size_t size);
	void (*free)(void *ctx, uint8_t *buf);
	void (*emit)(void *ctx, uint8_t *buf, size_t len);
	void (*charge)(void *from, void *to, size_t bytes);
};

/**
 * struct ep_gso - a TSO super-frame under construction (ep_tcp_output())
 * @b:		its buffer (NULL: none)
 * @c:		the connection its segments are from
 * @hl:		TCP header length of every segment in it
 * @l4:		TCP bytes so far (header and payload)
 * @next_seq:	sequence number the next segment must have to join it
 * @seg_len:	payload of each segment (the connection's MSS then)
 * @nseg:	segments in it
 * @saddr, @daddr: addresses, host order
 */
struct ep_gso {
	uint8_t *b;
	struct tcp_conn *c;
	uint32_t hl, l4, next_seq, seg_len, nseg;
	uint32_t saddr, daddr;
};

/**
 * struct ep_tcp - the TCP layer of an endpoint (ep_tcp.c)
 * @pool:	connections, @max of them, pages touched as they are used
 * @max:	pool size
 * @hiwater:	slots ever used (the pool grows through them in order)
 * @free_head:	first free slot below @hiwater (linked via hnext), EP_NONE
 * @nconns:	connections in use (listeners included)
 * @nlisten:	listeners
 * @nhalfopen:	children in SYN-RECEIVED
 * @max_halfopen: bound on @nhalfopen
 * @syncookies:	at the bound, answer SYNs with cookies (RFC 4987 3.6)
 *		instead of dropping them
 * @cookie_last: when the last cookie was sent (ACKs are checked against
 *		cookies only for two time slots after that)
 * @cookie_iss:	ISS for the child being made from a cookie, with
 * @cookie:	set while it is made (ep_tcp_accept() takes it)
 * @mute:	drop segments TCP sends (the SYN-ACK of a child made from a
 *		cookie: the peer had it already)
 * @tso:	coalesce full-sized data segments of one burst into TSO
 *		super-frames (struct ep_gso; on by default)
 * @gso:	the super-frame being built
 * @buckets:	hash table, pool index + 1, 0 empty
 * @hmask:	buckets - 1
 * @heap:	timer heap of pool indices, ordered by deadline
 * @nheap:	entries in @heap
 * @dirty:	pool indices whose deadline must be read again
 * @ndirty:	entries in @dirty
 * @dirty_cap:	its size
 * @secret:	keys of the hash, ISS and ephemeral port functions
 * @next_eph:	RFC 6056 algorithm 3 counter
 * @bound:	per port, the applications' stream sockets bound to it and
 *		not listening or connecting yet (app_sock_bound()); at
 *		EP_PORTS + port, how many of them have SO_REUSEADDR
 * @cfg:	TCP settings for new connections
 */
struct ep_tcp {
	struct ep_conn *pool;
	uint32_t max, hiwater, free_head;
	uint32_t nconns, nlisten, nhalfopen, max_halfopen;
	bool syncookies, cookie, mute, tso, onehop;
	struct ep_gso gso;
	uint32_t cookie_iss;
	uint64_t cookie_last;
	uint32_t *buckets;
	uint32_t hmask;
	uint32_t *heap;
	uint32_t nheap;
	uint32_t *dirty;
	uint32_t ndirty, dirty_cap;
	uint64_t secret[2];
	uint32_t next_eph;
	uint32_t *bound;
	struct tcp_cfg cfg;
};

enum ep_req_type {
	EP_REQ_APP_ADD, /* attach an application context */
	EP_REQ_APP_DEL, /* release one: every socket reset, rings freed */
};

/**
 * struct ep_req - work the control thread hands to the worker
 * @type:	enum ep_req_type
 * @app:	the context concerned
 * @done:	posted by the worker when done
 * @next:	list link
 */
struct ep_req {
	enum ep_req_type type;
	struct app_ctx *app;
	sem_t done;
	struct ep_req *next;
};

/**
 * struct ep - an endpoint
 * @ni:		ARP, IPv4, ICMP, UDP
 * @tcp:	TCP
 * @io:		the host's buffer and send hooks
 * @io_ctx:	their context (vnet: the local port's struct vnet_lctx)
 * @now:	time of the current worker call
 * @pub_ms:	when the counters were last published
 * @attached:	between ep_attach() and ep_detach()
 * @stats:	counters, enum ep_stat
 * @apps:	application contexts the worker serves (app_run.c)
 * @napps:	how many
 * @udp_ctx:	per UDP socket of @ni: the context whose socket it is
 * @udp_slot:	and its slot there
 * @req_lock:	protects @req_head
 * @req_head:	requests from the control thread, newest first
 * @pub:	counters for the control thread
 * @spec:	what the control plane asked for (name, network, ... copied)
 * @name, @network: storage for @spec's strings
 * @port:	vnet port id
 * @worker:	owning worker
 * @next:	the stack's list of endpoints (control thread)
 * @hop_next:	the worker's list of endpoints (ep_hop.c)
 * @hop_on:	on that list
 * @hop_rx:	segments delivered in the current ep_hop_drain()
 */
struct ep {
	struct netif ni;
	struct ep_tcp tcp;
	const struct ep_io *io;
	void *io_ctx;
	uint64_t now;
	uint64_t pub_ms;
	bool attached;
	uint64_t stats[EP_STAT__COUNT];
	struct app_ctx *apps;
	uint32_t napps;
	struct app_ctx *udp_ctx[UDP_SOCK_MAX];
	uint32_t udp_slot[UDP_SOCK_MAX];

	pthread_mutex_t req_lock;
	struct ep_req *req_head;
	struct ep_pub pub;

	struct stack_ep_spec spec;
	char name[STACK_NAME_MAX];
	char network[32];
	int port;
	unsigned worker;
	struct ep *next;
	struct ep *hop_next;
	bool hop_on;
	bool hop_rx;		/* ep_hop_drain() delivered to it */
};

/* ep.c: life cycle and the worker's entry points */
int ep_create(const struct stack_ep_spec *spec, uint32_t max_conns,
	      struct ep **out, char *err, size_t errlen);
void ep_destroy(struct ep *ep);
void ep_mac_from_name(const char *name, uint8_t mac[6]);
void ep_attach(struct ep *ep, const struct ep_io *io, void *io_ctx,
	       uint64_t now_ms);
void ep_input(struct ep *ep, uint8_t *buf, size_t len, uint64_t now_ms);
bool ep_poll(struct ep *ep, uint64_t now_ms, bool idle, uint64_t *deadline);
void ep_detach(struct ep *ep);
void ep_publish(struct ep *ep);
int ep_request(struct ep *ep, struct ep_req *r);
const char *ep_stat_name(enum ep_stat s);

/* ep_tcp.c: the TCP layer */
int ep_tcp_init(struct ep *ep, uint32_t max_conns);
void ep_tcp_fini(struct ep *ep);
struct ep_conn *ep_tcp_new(struct ep *ep, const struct ep_user_ops *uops,
			   void *user, uint32_t uid);
void ep_tcp_set_rings(struct ep *ep, struct ep_conn *ec, uint8_t *sbuf,
		      uint32_t ssize, uint8_t *rbuf, uint32_t rsize);
int ep_tcp_listen(struct ep *ep, struct ep_conn *ec, uint16_t port,
		  uint16_t backlog);
int ep_tcp_connect(struct ep *ep, struct ep_conn *ec, uint32_t raddr,
		   uint16_t rport, uint16_t lport);
bool ep_tcp_port_used(struct ep *ep, uint16_t port);
void ep_tcp_close(struct ep *ep, struct ep_conn *ec, bool abort);
void ep_tcp_touch(struct ep *ep, struct ep_conn *ec);
void ep_tcp_flush(struct ep *ep);
bool ep_tcp_timers(struct ep *ep, uint64_t now_ms, uint64_t *deadline);
void ep_tcp_abort_all(struct ep *ep);
bool ep_tcp_input(void *ctx, struct ipv4_rx *rx, uint64_t now_ms);
uint64_t ep_tcp_mix(const struct ep_tcp *t, uint64_t a, uint64_t b);
struct ep_conn *ep_tcp_lookup(struct ep_tcp *t, uint32_t raddr, uint16_t rport,
			      uint16_t lport);
void ep_tcp_output(void *ctx, struct tcp_conn *c, const struct tcp_seg *seg);
void ep_tcp_gso_flush(struct ep *ep);
void ep_tcp_seg_input(struct ep *ep, struct tcp_seg *seg, uint64_t now_ms);

/* ep_hop.c: the one-hop path between endpoints of one worker */
int ep_hop_attach(struct ep *ep);
void ep_hop_detach(struct ep *ep);
bool ep_hop_output(struct ep *ep, struct tcp_conn *c,
		   const struct tcp_seg *seg);
bool ep_hop_pending(void);
bool ep_hop_drain(uint64_t now_ms);

/* ep_cookie.c: SYN cookies */
void ep_cookie_syn(struct ep *ep, struct ep_conn *lec,
		   const struct tcp_seg *syn);
bool ep_cookie_ack(struct ep *ep, struct ep_conn *lec,
		   const struct tcp_seg *ack);
void ep_tcp_unreach(void *ctx, be32_t dst, int err, const uint8_t *quote,
		    size_t quote_len);
void ep_tcp_pmtu(void *ctx, be32_t dst, uint16_t mtu, const uint8_t *quote,
		 size_t quote_len);

/* app_run.c: application contexts on the worker */
bool app_run_poll(struct ep *ep, uint64_t now_ms, bool idle);
void app_run_add(struct ep *ep, struct app_ctx *a);
void app_run_del(struct ep *ep, struct app_ctx *a);
void app_run_detach_all(struct ep *ep);
void app_run_wake_all(struct ep *ep);

/*
 * ep_ctl.c: the control thread's side. The host places an endpoint on a
 * worker: vnet local ports (ep_vnet.c, behind stack_open()) or a test.
 */

/**
 * struct ep_host_ops - where endpoints run
 * @add:	attach @ep: on return its worker has run ep_attach(); fill
 *		ep->port and ep->worker; 0 or -errno (and @err)
 * @del:	detach @ep: on return its worker has run ep_detach()
 * @kick:	wake @ep's worker (requests are queued)
 * @wake_fd:	an eventfd that wakes @ep's worker when written (the caller
 *		dups it), or -errno
 */
struct ep_host_ops {
	int (*add)(void *host, struct ep *ep, char *err, size_t errlen);
	void (*del)(void *host, struct ep *ep);
	void (*kick)(void *host, struct ep *ep);
	int (*wake_fd)(void *host, struct ep *ep);
};

/**
 * struct stack - the control thread's view
 * @hops:	where endpoints run
 * @host:	its context
 * @eps:	endpoints, a list
 * @apps:	application connections (app.c), a list
 * @max_conns:	TCP pool size of new endpoints (0: default)
 */
struct stack {
	const struct ep_host_ops *hops;
	void *host;
	struct ep *eps;
	struct stack_app *apps;
	uint32_t max_conns;
	bool no_onehop;
};

int stack_open_host(const struct ep_host_ops *ops, void *host,
		    struct stack **out);
void app_ep_gone(struct stack *s, struct ep *ep);
void app_stack_gone(struct stack *s);
struct ep *stack_ep_find(struct stack *s, const char *name);
void stack_ep_kick(struct stack *s, struct ep *ep);
int stack_ep_wake_fd(struct stack *s, struct ep *ep);
struct ep *stack_ep_first(struct stack *s);

#endif /* VSTACK_STACK_EP_H */
