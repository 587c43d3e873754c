/* SPDX-License-Identifier: MIT */
/*
 * app_proto.h - the app interface: how an application and vstackd talk
 *
 * This header is the contract between libvstack (in the application) and
 * the stack (in vstackd, on the worker that owns the endpoint). Both sides
 * include it; nothing else does.
 *
 * 1. Attach. The application connects a SOCK_SEQPACKET Unix socket to
 *    vstackd's app socket (default VSAPP_SOCKET_DEFAULT) and sends one
 *    struct vsapp_hello. vstackd finds the application's tenant from the
 *    peer credentials (the cgroup of its pid), picks the endpoint (the one
 *    named in the hello, or the tenant's only one) and answers with one
 *    struct vsapp_welcome. On success the message carries three file
 *    descriptors (SCM_RIGHTS), in this order:
 *      [0] a memfd holding the context (struct vsapp_shm and what follows),
 *          to be mapped shared, read-write, whole (welcome.shm_size);
 *      [1] the doorbell: an eventfd the application writes (8 bytes, value
 *          1) to wake the worker, only when shm->stack_waiting is set;
 *      [2] the wake-up: an eventfd the worker writes to wake the
 *          application, only when shm->app_waiting is set.
 *    On failure err is a positive errno (EPERM: the tenant has no
 *    endpoint; ENOENT: no such endpoint; EMFILE: too many contexts for the
 *    tenant; EPROTO: bad hello) and msg says why in one line; vstackd
 *    then closes the connection.
 *    From then on the Unix socket carries nothing. Its closing is the
 *    signal: vstackd releases everything of an application whose socket
 *    closed (exit or crash); an application whose socket reports POLLHUP
 *    knows vstackd is gone and fails every call with ECONNABORTED.
 *
 * 2. The context (memfd). Offsets are from the start of the mapping and
 *    checked by both sides against shm_size. Counters are free-running
 *    uint32_t (they wrap); each is written by one side only and read by
 *    the other with acquire/release atomics. vstackd treats every byte the
 *    application can write as hostile: it copies a command out before
 *    looking at it, checks every index against what it published itself,
 *    and a socket whose counters make no sense is reset (EINVAL), never
 *    trusted.
 *
 *    - Submission queue (app -> stack): sq_entries struct vsapp_cmd at
 *      sq_off; the app writes entries at sq_tail and then advances
 *      sq_tail; the stack consumes from sq_head.
 *    - Completion queue (stack -> app): cq_entries struct vsapp_cqe at
 *      cq_off; the stack writes at cq_tail, the app consumes from cq_head.
 *      The stack never writes more than cq_entries ahead of cq_head: it
 *      stops taking commands while the completion queue is full.
 *    - Sockets: nsocks struct vsapp_sock at socks_off, named by index.
 *    - Data: the sockets' ring buffers, in [data_off, data_off+data_size).
 *
 * 3. Stream sockets (TCP). The stack allocates a socket's two rings in
 *    the data area (power-of-two sizes, at sbuf_off/rbuf_off) when it
 *    creates the socket (VSAPP_OP_SOCKET, or for an accepted connection).
 *    Byte k of the outgoing stream (k counted from 0) lives at
 *    sbuf[k % sbuf_size], byte k of the incoming stream at
 *    rbuf[k % rbuf_size]. The application
 *      - writes bytes [snd_tail, snd_head + sbuf_size) and then advances
 *        snd_tail (release); the stack sends them and advances snd_head
 *        as the peer acknowledges them;
 *      - reads bytes [rcv_head, rcv_tail) and then advances rcv_head; the
 *        stack places data and advances rcv_tail, and opens the window as
 *        rcv_head moves.
 *    No system call and no command per send or receive: after moving a
 *    counter the application sets shm->pending and rings the doorbell only
 *    if shm->stack_waiting is set.
 *
 * 4. Datagram sockets (UDP). The same two rings carry records: a struct
 *    vsapp_dgram, then len payload bytes, then padding to 8 bytes. A
 *    record never wraps: a writer that lacks room for the whole record
 *    before the end of the ring writes a record with len VSAPP_DGRAM_WRAP
 *    (only its header, when it fits) and continues at the ring's start.
 *    snd_tail/snd_head and rcv_tail/rcv_head count bytes of records as for
 *    streams. The stack drops (and counts) a malformed record.
 *
 * 5. Waiting. Either side, before sleeping: set its *_waiting flag
 *    (seq_cst), check once more for work, then sleep on its eventfd (the
 *    application also polls the Unix socket, so that it never hangs when
 *    vstackd is gone); on waking clear the flag. The other side, after
 *    making work visible: a full fence (or a seq_cst store that is one),
 *    then if the flag is set, write the eventfd. Both fences are needed:
 *    each side stores, then loads what the other stored. So a busy pair
 *    never makes a system call to wake the other.
 */
#ifndef VSTACK_APP_PROTO_H
#define VSTACK_APP_PROTO_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>

#define VSAPP_SOCKET_DEFAULT "/run/vstack/app.sock"
#define VSAPP_SOCKET_ENV     "VSTACK_APP_SOCKET"
#define VSAPP_MAGIC	     0x50415356u /* "VSAP" */
#define VSAPP_VERSION	     1
#define VSAPP_NAME_MAX	     16
#define VSAPP_MSG_MAX	     128
#define VSAPP_NFDS	     3

/* app -> vstackd, once, right after connect() */
struct vsapp_hello {
	uint32_t magic;
	uint32_t version;
	char endpoint[VSAPP_NAME_MAX]; /* "" for the tenant's only one */
	uint32_t flags;                /* 0 */
	uint32_t reserved;
};

/* vstackd -> app, once */
struct vsapp_welcome {
	uint32_t magic;
	uint32_t version;
	int32_t err;      /* 0, or a positive errno */
	uint32_t tenant;  /* the tenant the app was put in */
	uint64_t shm_size;
	uint32_t addr;    /* the endpoint's IPv4 address, network order */
	uint8_t prefix_len;
	uint8_t pad[3];
	char endpoint[VSAPP_NAME_MAX];
	char msg[VSAPP_MSG_MAX]; /* why, when err != 0 */
};

/* Commands (vsapp_cmd.op). Each gets exactly one completion, with the same
 * tag; res is >= 0 on success, a negative errno otherwise. */
enum vsapp_op {
	VSAPP_OP_NOP = 0,
	VSAPP_OP_SOCKET,   /* arg: VSAPP_SOCK_STREAM or _DGRAM; arg2: send ring
			    * bytes, arg3: receive ring bytes (0: default);
			    * res: the socket index */
	VSAPP_OP_BIND,     /* sock, addr, port (0: ephemeral); res 0 */
	VSAPP_OP_LISTEN,   /* sock, arg: listen()'s backlog, as Linux's
			    * (capped at 4096, a negative one too; one
			    * more connection may wait); res 0 */
	VSAPP_OP_ACCEPT,   /* sock (listener); completes when a connection
			    * is there: res = its socket index, addr/port the
			    * peer's; -EAGAIN at once if arg has
			    * VSAPP_F_NONBLOCK and none is */
	VSAPP_OP_CONNECT,  /* sock, addr, port; completes when established
			    * (res 0) or failed (-ECONNREFUSED, -ETIMEDOUT,
			    * ...); the failure's error is taken with it
			    * (SO_ERROR 0 after, as a blocking connect())
			    * unless arg has VSAPP_F_NONBLOCK; DGRAM: sets
			    * the default destination, 0:0 dissolves it */
	VSAPP_OP_SHUTDOWN, /* sock, arg: SHUT_RD/SHUT_WR/SHUT_RDWR; the FIN
			    * goes after every byte written before it; a
			    * listener's SHUT_RD stops it (ACCEPTs: -EINVAL);
			    * a stream whose SYN is out stops trying (the
			    * CONNECT: -ECONNRESET) and is OPEN again */
	VSAPP_OP_CLOSE,    /* sock; arg: VSAPP_F_ABORT to reset instead of
			    * an orderly close; the slot is free again once
			    * this completes */
	VSAPP_OP_SETOPT,   /* sock, arg: VSAPP_OPT_*, arg2: value */
	VSAPP_OP_GETOPT,   /* sock, arg: VSAPP_OPT_*; res: value */
	VSAPP_OP__COUNT
};

#define VSAPP_SOCK_STREAM 1
#define VSAPP_SOCK_DGRAM  2

#define VSAPP_F_NONBLOCK 0x1
#define VSAPP_F_ABORT	 0x2

enum vsapp_opt {
	VSAPP_OPT_NODELAY = 1,   /* TCP_NODELAY */
	VSAPP_OPT_KEEPALIVE,     /* SO_KEEPALIVE */
	VSAPP_OPT_REUSEADDR,     /* SO_REUSEADDR: bind over TIME-WAIT */
	VSAPP_OPT_ERROR,         /* SO_ERROR: get and clear */
	VSAPP_OPT_SNDBUF,        /* ring sizes: get only */
	VSAPP_OPT_RCVBUF,
	/* 7 is libvstack's own (VS_OPT_NREAD), never sent */
	VSAPP_OPT_BROADCAST = 8, /* SO_BROADCAST: datagrams to a broadcast
				  * address allowed */
};

struct vsapp_cmd {
	uint16_t op;
	uint16_t flags;
	uint32_t sock;
	uint64_t tag;   /* copied into the completion */
	uint32_t addr;  /* network order */
	uint16_t port;  /* host order */
	uint16_t pad;
	uint32_t arg;
	uint32_t arg2;
	uint32_t arg3;
	uint32_t reserved;
};

struct vsapp_cqe {
	uint64_t tag;
	int32_t res;
	uint32_t sock;
	uint32_t addr;  /* ACCEPT: the peer; network order */
	uint16_t port;
	uint16_t pad;
	uint64_t reserved;
};

/* Socket states (vsapp_sock.state), written by the stack */
enum vsapp_state {
	VSAPP_S_FREE = 0,
	VSAPP_S_OPEN,       /* created, not connected or listening */
	VSAPP_S_LISTEN,
	VSAPP_S_CONNECTING,
	VSAPP_S_CONNECTED,  /* data may flow (also half-closed) */
	VSAPP_S_CLOSED,     /* the connection ended: see err, EOF */
};

/* Socket event bits (vsapp_sock.events), written by the stack */
#define VSAPP_EV_EOF	0x01 /* peer's FIN or SHUT_RD: reads end at rcv_tail */
#define VSAPP_EV_ERR	0x02 /* err is set (reset, timeout, refused) */
#define VSAPP_EV_ACCEPT 0x04 /* listener: ACCEPT completes at once */
#define VSAPP_EV_SHUTWR 0x08 /* our FIN queued, or SHUT_WR: no writes */

struct vsapp_sock {
	/* written by the stack */
	_Atomic uint32_t gen;      /* bumped each time the slot is reused */
	_Atomic uint32_t state;    /* enum vsapp_state */
	_Atomic uint32_t events;   /* VSAPP_EV_* */
	_Atomic int32_t err;       /* positive errno, 0 for none */
	uint32_t type;             /* VSAPP_SOCK_* */
	uint32_t sbuf_size, rbuf_size;
	uint32_t pad0;
	uint64_t sbuf_off, rbuf_off;
	_Atomic uint32_t snd_head; /* bytes the stack is done with */
	_Atomic uint32_t rcv_tail; /* bytes readable (end of in-order data) */
	_Atomic uint32_t accept_q; /* listener: connections ready */
	uint32_t laddr, raddr;     /* network order */
	uint16_t lport, rport;     /* host order */
	uint32_t pad1;
	/* written by the application */
	alignas(64) _Atomic uint32_t snd_tail; /* bytes written */
	_Atomic uint32_t rcv_head;             /* bytes consumed */
	uint8_t pad2[56];
};

#define VSAPP_DGRAM_WRAP 0xffffffffu

struct vsapp_dgram {
	uint32_t len;   /* payload bytes, or VSAPP_DGRAM_WRAP */
	uint32_t addr;  /* peer, network order (0 on send: the connected one) */
	uint16_t port;  /* peer, host order */
	uint16_t pad;
	uint32_t reserved;
};

struct vsapp_shm {
	uint32_t magic;
	uint32_t version;
	uint64_t size;
	uint32_t nsocks;
	uint32_t sq_entries; /* powers of two */
	uint32_t cq_entries;
	uint32_t pad0;
	uint64_t socks_off, sq_off, cq_off, data_off, data_size;

	alignas(64) _Atomic uint32_t app_waiting;   /* written by the app */
	alignas(64) _Atomic uint32_t stack_waiting; /* written by the stack */
	alignas(64) _Atomic uint32_t pending;       /* app sets, stack clears */
	alignas(64) _Atomic uint32_t sq_tail;       /* written by the app */
	_Atomic uint32_t cq_head;                   /* written by the app */
	alignas(64) _Atomic uint32_t sq_head;       /* written by the stack */
	_Atomic uint32_t cq_tail;                   /* written by the stack */
	alignas(64) uint8_t end[];
};

_Static_assert(sizeof(struct vsapp_cmd) == 40, "command size");
_Static_assert(sizeof(struct vsapp_cqe) == 32, "completion size");
_Static_assert(sizeof(struct vsapp_sock) == 192, "socket slot size");
_Static_assert(sizeof(struct vsapp_dgram) == 16, "datagram header size");

#endif /* VSTACK_APP_PROTO_H */
