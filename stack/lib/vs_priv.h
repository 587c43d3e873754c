/* SPDX-License-Identifier: MIT */
/*
 * vs_priv.h - libvstack internals: the context, the local socket table,
 * ring arithmetic; not for applications (they include vstack.h only)
 */
#ifndef VSTACK_VS_PRIV_H
#define VSTACK_VS_PRIV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app_proto.h"
#include "vstack.h"

#define VS_HIDDEN __attribute__((visibility("hidden")))

/* Limits on what vstackd may announce; beyond them the layout is refused
 * (bounds the memory the library allocates for its own tables). */
#define VS_NSOCKS_MAX	   (1u << 20)
#define VS_QUEUE_MAX	   (1u << 20)
#define VS_SHM_MAX	   (1ull << 40)
#define VS_RING_MAX	   (1u << 31)
#define VS_DGRAM_RING_MIN  32u	  /* a header and a small payload */
#define VS_DGRAM_MAX	   65507u /* the largest UDP payload over IPv4 */
#define VS_OPEN_TIMEOUT_MS 5000
#define VS_SPIN_US_DEFAULT 20 /* look this long before sleeping */
#define VS_SPIN_US_MAX	   10000

/* Tags of commands whose completion nobody waits for (a non-blocking
 * connect): the top bit set, the socket in the low 32 bits. */
#define VS_TAG_DETACHED (1ull << 63)

/**
 * struct vs_ring - one ring buffer of a socket, as validated at creation
 * @base:	first byte (inside the mapping)
 * @size:	bytes, a power of two
 */
struct vs_ring {
	uint8_t *base;
	uint32_t size;
};

enum vs_lsock_use {
	VS_LS_FREE = 0,
	VS_LS_OPEN,
	VS_LS_CLOSING,
};

/**
 * struct vs_lsock - the library's own state of one socket slot
 * @use:	enum vs_lsock_use
 * @type:	VSAPP_SOCK_*
 * @gen:	the slot's generation when the socket was made
 * @snd:	send ring (geometry copied once, never re-read from shm)
 * @rcv:	receive ring
 * @snd_tail:	bytes written: the authoritative copy of shm's snd_tail
 * @rcv_head:	bytes consumed: the authoritative copy of shm's rcv_head
 * @nonblock:	calls do not wait
 * @broken:	vstackd broke the protocol on this socket: data calls fail
 * @dgram_connected: a datagram socket with a default destination
 * @connecting:	a non-blocking connect is outstanding (under ctx->lock)
 * @connect_res: its result once done: 0 or -errno, 1 while pending
 */
struct vs_lsock {
	_Atomic int use;
	uint32_t type;
	uint32_t gen;
	struct vs_ring snd, rcv;
	uint32_t snd_tail, rcv_head;
	bool nonblock;
	_Atomic bool broken;
	bool dgram_connected;
	_Atomic bool broadcast; /* VS_OPT_BROADCAST, as vstackd holds it */
	bool connecting;
	_Atomic int connect_res;
};

/**
 * struct vs_waiter - a thread waiting for the completion of its command
 * @tag:	the command's tag
 * @done:	the completion arrived (written under ctx->lock)
 * @cqe:	a copy of it
 * @next:	the list of waiters
 */
struct vs_waiter {
	uint64_t tag;
	_Atomic int done;
	struct vsapp_cqe cqe;
	struct vs_waiter *next;
};

/**
 * struct vs_ctx - an attached application context
 * @usock:	the Unix socket to vstackd (its closing is the signal)
 * @bell:	doorbell eventfd (we write)
 * @wake:	wake-up eventfd (vstackd writes)
 * @epfd:	epoll fd holding @wake and @usock, for vs_ctx_fd()
 * @map:	the mapping of the memfd, @map_size bytes
 * @shm:	its header
 * @socks, @sq, @cq, @data: the areas, at validated offsets
 * @nsocks, @sq_entries, @cq_entries, @data_off, @data_size: copied once
 * @info:	what the welcome said
 * @lock:	protects the queues, @waiters, @polling, @epoch, tags
 * @cond:	followers wait on it for @epoch to move
 * @sq_tail, @cq_head: the authoritative copies of shm's counters
 * @next_tag:	tag of the next command
 * @waiters:	threads waiting for completions
 * @polling:	a thread sleeps on the eventfd and the socket for everyone
 * @epoch:	bumped when the poller wakes or completions were handed over
 * @dead:	0, or the errno every call now fails with
 * @armed:	vs_ctx_arm() holds app_waiting up
 * @stray:	completions nobody waited for (counted, dropped)
 * @spin_ns:	how long a waiter looks before it sleeps (VSTACK_SPIN_US)
 * @ls:		local socket table, @nsocks entries
 */
struct vs_ctx {
	int usock, bell, wake, epfd;
	void *map;
	size_t map_size;
	struct vsapp_shm *shm;
	struct vsapp_sock *socks;
	struct vsapp_cmd *sq;
	struct vsapp_cqe *cq;
	uint8_t *data;
	uint32_t nsocks, sq_entries, cq_entries;
	uint64_t data_off, data_size;
	struct vs_ctx_info info;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint32_t sq_tail, cq_head;
	uint64_t next_tag;
	struct vs_waiter *waiters;
	bool polling;
	uint64_t epoch;
	_Atomic int dead;
	_Atomic bool armed;
	uint64_t stray;
	int64_t spin_ns;

	struct vs_lsock *ls;
};

/**
 * struct vs_layout - the context's areas as checked by vs_shm_check()
 */
struct vs_layout {
	uint32_t nsocks, sq_entries, cq_entries;
	uint64_t socks_off, sq_off, cq_off, data_off, data_size;
};

/* vs_ring.c: pure ring arithmetic */
VS_HIDDEN bool vs_ring_size_ok(uint32_t size, uint32_t min);
VS_HIDDEN int vs_ring_stream_used(uint32_t head, uint32_t tail, uint32_t size,
				  uint32_t *used);
VS_HIDDEN void vs_ring_write(const struct vs_ring *r, uint32_t pos,
			     const void *src, uint32_t len);
VS_HIDDEN void vs_ring_read(const struct vs_ring *r, uint32_t pos, void *dst,
			    uint32_t len);
VS_HIDDEN uint32_t vs_ring_dgram_rec(uint32_t len);
VS_HIDDEN bool vs_ring_dgram_fits(const struct vs_ring *r, uint32_t head,
				  uint32_t tail, uint32_t len);
VS_HIDDEN int vs_ring_dgram_put(const struct vs_ring *r, uint32_t head,
				uint32_t *tail, const struct vsapp_dgram *h,
				const void *payload);
VS_HIDDEN int vs_ring_dgram_get(const struct vs_ring *r, uint32_t *head,
				uint32_t tail, struct vsapp_dgram *h, void *buf,
				size_t buflen);

/* vs_ctx.c: attach, queues, waiting */
VS_HIDDEN int vs_shm_check(const struct vsapp_shm *shm, uint64_t map_size,
			   struct vs_layout *out, char *why, size_t whylen);
VS_HIDDEN int vs_ctx_attach_fd(int fd, const char *endpoint,
			       struct vs_ctx **out);
VS_HIDDEN void vs_ctx_set_msg(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
VS_HIDDEN int vs_ctx_call(struct vs_ctx *ctx, struct vsapp_cmd *cmd,
			  struct vsapp_cqe *cqe);
VS_HIDDEN int vs_ctx_submit(struct vs_ctx *ctx, struct vsapp_cmd *cmd,
			    uint64_t tag);
VS_HIDDEN void vs_ctx_kick(struct vs_ctx *ctx);
VS_HIDDEN int vs_ctx_alive(struct vs_ctx *ctx);
VS_HIDDEN void vs_ctx_reap(struct vs_ctx *ctx);
VS_HIDDEN int64_t vs_ctx_deadline(int timeout_ms);
typedef bool (*vs_ready_fn)(struct vs_ctx *ctx, void *arg);
VS_HIDDEN int vs_ctx_wait(struct vs_ctx *ctx, vs_ready_fn ready, void *arg,
			  int64_t deadline);

/* vs_sock.c: sockets */
VS_HIDDEN int vs_sock_revents(struct vs_ctx *ctx, int s);
VS_HIDDEN int vs_sock_setup(struct vs_ctx *ctx, uint32_t idx, uint32_t type);

#endif /* VSTACK_VS_PRIV_H */
