/* SPDX-License-Identifier: MIT */
/*
 * app.h - application contexts, inside stack/ only (app*.c, tests)
 *
 * A context is the daemon's side of one application attached through the
 * app protocol (app_proto.h): the shared mapping, the private copy of
 * everything the stack published (the application's copy in the mapping
 * is never trusted), the ring allocator, and the sockets. The control
 * thread builds it (app.c) and hands it to the endpoint's worker, which
 * alone touches it from then on (app_run.c) until it hands it back.
 */
#ifndef VSTACK_STACK_APP_H
#define VSTACK_STACK_APP_H

#include <stdbool.h>
#include <stdint.h>

#include "app_proto.h"
#include "ep.h"

#define APP_NSOCKS	  1024 /* socket slots per context */
#define APP_SQ_ENTRIES	  1024
#define APP_CQ_ENTRIES	  2048
#define APP_DATA_SIZE	  (8192ull << 20) /* ring area, sparse */
#define APP_PAGE	  4096u	      /* smallest ring, allocator unit */
#define APP_RING_DEFAULT  (4096u << 10) /* a window for 40 Gbit/s at 800 us */
#define APP_RING_MAX	  (4u << 20)
#define APP_ACCEPTS_MAX	  64  /* ACCEPTs waiting, per context */
/* Children in SYN-RECEIVED per context: each holds a slot and its rings
 * until the handshake completes, so a SYN flood would otherwise take every
 * slot (and, with no SYN cookies ever engaging, refuse the rest). At the
 * bound SYNs are answered with cookies, or dropped with cookies off. */
#define APP_HALFOPEN_MAX  (APP_NSOCKS / 4)
#define APP_CMDS_PER_POLL 256 /* commands taken per round */

#define APP_CHUNK	  APP_RING_MAX /* the area is cut in chunks of this */
#define APP_ORDERS	  11	       /* ring sizes APP_PAGE << 0..10 */
_Static_assert(APP_DATA_SIZE % APP_CHUNK == 0, "whole chunks");
_Static_assert((APP_PAGE << (APP_ORDERS - 1)) == APP_CHUNK, "orders");

/**
 * struct app_chunk - one chunk of the data area, holding rings of one size
 * @order:	their size is APP_PAGE << @order
 * @nfree:	slots free
 * @prev, @next: the order's list of chunks with free slots (index + 1,
 *		0: none)
 * @bits:	per slot, set when allocated (1024 slots of APP_PAGE at most)
 */
struct app_chunk {
	uint8_t order;
	uint16_t nfree;
	uint32_t prev, next;
	uint64_t bits[APP_CHUNK / APP_PAGE / 64];
};

/**
 * struct app_mem - the ring allocator of a context (app_mem.c)
 * @nchunks:	chunks in the area
 * @chunk:	per chunk: its descriptor while it holds rings, else NULL
 * @free_chunks: a stack of chunks holding nothing
 * @nfree_chunks: its depth
 * @partial:	per order: first chunk with a free slot (index + 1, 0: none)
 * @used:	bytes allocated
 */
struct app_mem {
	uint32_t nchunks;
	struct app_chunk **chunk;
	uint32_t *free_chunks;
	uint32_t nfree_chunks;
	uint32_t partial[APP_ORDERS];
	uint64_t used;
};

/**
 * struct app_sock - the stack's private state of one socket slot
 * @type:	0 free, VSAPP_SOCK_STREAM or _DGRAM
 * @state:	enum vsapp_state as published
 * @hidden:	an accepted connection not handed to the application yet
 * @halfopen:	a hidden child still in SYN-RECEIVED (counted in nhalfopen)
 * @bad:	reset for counters that made no sense: they are not read again
 * @wr_shut:	our FIN is queued
 * @rd_shut:	the application said SHUT_RD
 * @nodelay, @keepalive, @reuseaddr, @broadcast: options
 * @listener:	a hidden child: its listener's slot
 * @anext:	a hidden child: next in its listener's accept queue
 * @ahead, @atail, @aq: a listener: queue of accepted children
 * @backlog:	a listener: connections that may wait for ACCEPT (listen()'s
 *		backlog + 1, as Linux)
 * @gen:	generation published
 * @ec:		TCP connection, NULL if none
 * @udp:	UDP socket of the endpoint, -1 if none
 * @lport:	bound port
 * @raddr:	peer (DGRAM: default destination), network order
 * @rport:	peer port
 * @sbuf, @rbuf: ring offsets in the mapping
 * @ssize, @rsize: ring sizes
 * @snd_tail:	bytes of the application taken (stream positions)
 * @snd_head:	bytes published as done
 * @rcv_head:	bytes the application consumed, as seen and checked
 * @rcv_tail:	bytes published readable
 * @events:	VSAPP_EV_* published
 * @err:	positive errno published (SO_ERROR)
 * @connect_tag: tag of a CONNECT waiting for the handshake
 * @connecting: a CONNECT is waiting
 * @pos:	index in the context's list of open sockets
 */
struct app_sock {
	uint8_t type, state;
	bool hidden, halfopen, bad, wr_shut, rd_shut, nodelay, keepalive,
		reuseaddr, broadcast;
	bool connecting;
	bool connect_nb; /* the CONNECT waiting had VSAPP_F_NONBLOCK */
	bool bound;	/* counted in ep->tcp.bound (app_sock_bound()) */
	/* the application bound a port (not 0) itself: a UDP disconnect
	 * keeps it (Linux's SOCK_BINDPORT_LOCK) */
	bool port_locked;
	uint32_t listener, anext, ahead, atail, aq;
	uint16_t backlog;
	uint32_t gen;
	struct ep_conn *ec;
	int udp;
	uint16_t lport, rport;
	uint32_t raddr;
	uint64_t sbuf, rbuf;
	uint32_t ssize, rsize;
	uint32_t snd_tail, snd_head, rcv_head, rcv_tail;
	uint32_t events;
	int err;
	bool err_taken; /* TCP's error was read (SO_ERROR): not raised again */
	uint64_t connect_tag;
	uint32_t pos;
};

/**
 * struct app_accept - an ACCEPT waiting for a connection
 * @sock:	listener
 * @tag:	the command's tag
 */
struct app_accept {
	uint32_t sock;
	uint64_t tag;
};

/**
 * struct app_ctx - one application context
 * @shm:	the mapping
 * @size:	its size
 * @memfd:	the memfd (for holes punched in freed rings)
 * @wake_fd:	eventfd the worker writes to wake the application
 * @ep:		endpoint (worker side)
 * @socks_off, @sq_off, @cq_off, @data_off: the layout, private copies (the
 *		application can write the ones in the header)
 * @mem:	ring allocator
 * @socks:	private state of each slot
 * @open:	slots in use (also hidden ones), @nopen of them
 * @nhalfopen:	hidden children in SYN-RECEIVED (APP_HALFOPEN_MAX at most)
 * @sq_head:	commands taken
 * @cq_tail:	completions posted
 * @inflight:	CONNECT and ACCEPT commands waiting (CQ room kept for them)
 * @accepts:	ACCEPTs waiting, @naccepts of them
 * @busy:	there was work in the last round: look again without waiting
 *		for shm->pending
 * @need_wake:	completions or counters published since the last wake-up
 * @dead:	the endpoint went away: nothing is served any more
 * @attached:	on the worker's list
 * @next:	the endpoint's list of contexts (worker)
 */
struct app_ctx {
	struct vsapp_shm *shm;
	size_t size;
	int memfd;
	int wake_fd;
	struct ep *ep;
	uint64_t socks_off, sq_off, cq_off, data_off;
	struct app_mem mem;
	struct app_sock socks[APP_NSOCKS];
	uint32_t open[APP_NSOCKS];
	uint32_t nopen;
	uint32_t nhalfopen;
	uint32_t sq_head, cq_tail;
	uint32_t inflight;
	struct app_accept accepts[APP_ACCEPTS_MAX];
	uint32_t naccepts;
	bool busy, need_wake, dead, attached;
	struct app_ctx *next;
};

/* app_mem.c */
int app_mem_init(struct app_mem *m, uint64_t size);
void app_mem_fini(struct app_mem *m);
int64_t app_mem_alloc(struct app_mem *m, uint32_t size);
void app_mem_free(struct app_mem *m, uint64_t off, uint32_t size);

/* app.c (control thread) */
int app_ctx_create(struct ep *ep, struct app_ctx **out);
void app_ctx_destroy(struct app_ctx *a);

#define APP_DGRAM_HDR ((uint32_t)sizeof(struct vsapp_dgram))

/* app_sock.c (worker) */
extern const struct ep_user_ops app_sock_tcp_ops;
struct vsapp_sock *app_sock_shm(struct app_ctx *a, uint32_t i);
uint8_t *app_sock_ptr(struct app_ctx *a, uint64_t off);
bool app_sock_post(struct app_ctx *a, uint64_t tag, int32_t res, uint32_t sock,
		   uint32_t addr, uint16_t port);
uint32_t app_sock_cq_room(struct app_ctx *a);
void app_sock_sync(struct app_ctx *a, uint32_t i);
void app_sock_publish_all(struct app_ctx *a, uint32_t i);
void app_sock_udp_own(struct app_ctx *a, uint32_t i, int u);
void app_sock_udp_release(struct app_ctx *a, uint32_t i);
void app_sock_dgram_error(struct app_ctx *a, uint32_t i, int err);
int app_sock_take_error(struct app_ctx *a, uint32_t i);
void app_sock_bound(struct app_ctx *a, uint32_t i, bool on);
uint32_t app_sock_ring_size(uint32_t want);
int app_sock_alloc(struct app_ctx *a, uint8_t type, uint32_t ssize,
		   uint32_t rsize);
void app_sock_free(struct app_ctx *a, uint32_t i, bool rings);
void app_sock_reset(struct app_ctx *a, uint32_t i);
void app_sock_accept_give(struct app_ctx *a, uint32_t li, uint64_t tag);
void app_sock_accept_cancel(struct app_ctx *a, uint32_t li, int32_t res);

/* app_cmd.c (worker) */
bool app_cmd_service(struct app_ctx *a);

/* app_run.c (worker) */
void app_run_service(struct app_ctx *a, uint64_t now_ms);
bool app_run_sock(struct app_ctx *a, uint32_t i);

#endif /* VSTACK_STACK_APP_H */
