// SPDX-License-Identifier: MIT
/*
 * ep_tcp.c - TCP behind an endpoint: connection pool, lookup, timers,
 * limits, and the way segments get in and out
 *
 * Theory of operation
 *
 * Storage. The pool is one anonymous mapping of max_conns struct ep_conn
 * (MAP_NORESERVE): slots are handed out in order (hiwater) and recycled
 * through a free list, so only the pages of slots ever used are touched
 * and nothing is allocated in the packet path. The per-connection cost is
 * sizeof(struct ep_conn) plus one hash bucket, one heap entry and two
 * dirty-list entries (4 bytes each); the rings are the user's.
 *
 * Lookup. One hash table keyed on (remote address, remote port, local
 * port) with a secret key (the local address is the endpoint's, always
 * the same). A listener is entered with remote address and port 0: a
 * segment that matches no connection is tried against the listener on its
 * port, then answered by tcp_input_nomatch() (RFC 9293 3.10.7.1).
 *
 * Ports and ISS. Ephemeral ports follow RFC 6056 section 3.3.3
 * (algorithm 3: a keyed hash of the destination plus a counter, over the
 * IANA dynamic range of RFC 6335); the initial sequence number follows
 * RFC 6528 (a 4 us clock plus a keyed hash of the 4-tuple).
 *
 * Timers. A binary min-heap of connections ordered by
 * tcp_next_deadline(): ep_tcp_timers() pops what is due, so a round costs
 * O(expired * log n), never a scan of every connection. TCP changes a
 * deadline inside calls the endpoint did not make itself (a segment sent
 * for a child, an event), so every connection that TCP calls back about
 * is put on a dirty list and its deadline read again by ep_tcp_flush(),
 * which each entry point calls at its end.
 *
 * Limits. The pool bounds connections (listeners included); a SYN that
 * finds the pool empty is dropped and counted (conn_limit). Children in
 * SYN-RECEIVED are bounded by max_halfopen: at the bound a new SYN to a
 * listener is answered with a SYN cookie (RFC 4987 section 3.6) and no
 * state is kept; the ACK that returns the cookie makes the connection
 * (syncookie_sent, syncookie_ok, syncookie_bad). Cookies cost the options
 * (window scaling, timestamps, SACK: none is offered in the cookie's
 * SYN-ACK) and keep the MSS to one of eight values; that is the price RFC
 * 4987 names, paid only under a flood. With cookies off, SYNs at the
 * bound are dropped and counted (halfopen_drop) and the clients retry. A
 * user that refuses a connection (an application context without a free
 * socket slot or ring memory) gets the SYN answered with a reset
 * (accept_refused); one whose accept queue is full (-EAGAIN) has the SYN
 * dropped (accept_backlog), the client retries.
 *
 * Output. A segment is built straight into a buffer from the worker's
 * arena: TCP header and options at NETIF_L4_OFF, the payload copied once
 * from the send ring, the checksum computed, then ipv4_output() with DF
 * set (RFC 1191 path MTU discovery) writes the IPv4 and Ethernet headers
 * in front of it in the same buffer.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ep.h"
#include "mix.h"
#include "netif_priv.h"
#include "seq.h"
#include "tcp_wire.h"

#define EP_EPH_MIN    49152 /* RFC 6335 section 6 */
#define EP_EPH_MAX    65535
#define EP_TIMERS_MAX 4096 /* expired timers run per round at most */

static void ep_tcp_event(void *ctx, struct tcp_conn *c, unsigned ev);
static struct tcp_conn *ep_tcp_accept(void *ctx, struct tcp_conn *lc,
				      const struct tcp_seg *syn, uint32_t *iss);
static void ep_tcp_release(void *ctx, struct tcp_conn *c);

static const struct tcp_ops ep_tcp_ops = {
	.output = ep_tcp_output,
	.event = ep_tcp_event,
	.accept_alloc = ep_tcp_accept,
	.release = ep_tcp_release,
};

/**
 * ep_tcp_idx() - pool index of a connection
 * @t:	TCP layer
 * @ec:	connection
 *
 * Return: its index
 */
static uint32_t ep_tcp_idx(const struct ep_tcp *t, const struct ep_conn *ec)
{
	return (uint32_t)(ec - t->pool);
}

/**
 * ep_tcp_mix() - keyed 64-bit mixing with the TCP layer's secret (mix.h)
 * @t:	TCP layer (the key)
 * @a:	first word
 * @b:	second word
 *
 * Return: 64 mixed bits
 */
uint64_t ep_tcp_mix(const struct ep_tcp *t, uint64_t a, uint64_t b)
{
	return mix64(a, b, t->secret[0], t->secret[1]);
}

/**
 * ep_tcp_bucket() - hash bucket of a key
 * @t:		TCP layer
 * @raddr:	remote address (0 for a listener)
 * @rport:	remote port (0 for a listener)
 * @lport:	local port
 *
 * Return: pointer to the bucket
 */
static uint32_t *ep_tcp_bucket(struct ep_tcp *t, uint32_t raddr, uint16_t rport,
			       uint16_t lport)
{
	uint64_t h = ep_tcp_mix(t, (uint64_t)raddr << 32 | rport, lport);

	return &t->buckets[h & t->hmask];
}

/**
 * ep_tcp_lookup() - find a connection or listener by key
 * @t:		TCP layer
 * @raddr:	remote address, host order (0: listener)
 * @rport:	remote port (0: listener)
 * @lport:	local port
 *
 * Return: the connection or NULL
 */
struct ep_conn *ep_tcp_lookup(struct ep_tcp *t, uint32_t raddr, uint16_t rport,
			      uint16_t lport)
{
	uint32_t i = *ep_tcp_bucket(t, raddr, rport, lport);

	while (i) {
		struct ep_conn *ec = &t->pool[i - 1];

		if (ec->tcp.lport == lport &&
		    (ec->tcp.state == TCP_LISTEN
			     ? !raddr && !rport
			     : ec->tcp.raddr == raddr &&
				       ec->tcp.rport == rport))
			return ec;
		i = ec->hnext;
	}
	return NULL;
}

/**
 * ep_tcp_hash_add() - enter a connection under its key
 * @t:		TCP layer
 * @ec:		connection (addresses and ports set)
 * @listen:	enter it as a listener
 */
static void ep_tcp_hash_add(struct ep_tcp *t, struct ep_conn *ec, bool listen)
{
	uint32_t *b = listen ? ep_tcp_bucket(t, 0, 0, ec->tcp.lport)
			     : ep_tcp_bucket(t, ec->tcp.raddr, ec->tcp.rport,
					     ec->tcp.lport);

	ec->hnext = *b;
	*b = ep_tcp_idx(t, ec) + 1;
	ec->hashed = true;
}

/**
 * ep_tcp_hash_del() - take a connection out of the table
 * @t:	TCP layer
 * @ec:	connection
 */
static void ep_tcp_hash_del(struct ep_tcp *t, struct ep_conn *ec)
{
	bool listen = ec->tcp.state == TCP_LISTEN || !ec->tcp.rport;
	uint32_t *p = listen ? ep_tcp_bucket(t, 0, 0, ec->tcp.lport)
			     : ep_tcp_bucket(t, ec->tcp.raddr, ec->tcp.rport,
					     ec->tcp.lport);
	uint32_t me = ep_tcp_idx(t, ec) + 1;

	if (!ec->hashed)
		return;
	while (*p && *p != me)
		p = &t->pool[*p - 1].hnext;
	if (*p)
		*p = ec->hnext;
	ec->hashed = false;
	ec->hnext = 0;
}

/* ---- timer heap ---- */

/**
 * ep_tcp_heap_swap() - exchange two heap entries
 * @t:	TCP layer
 * @i:	position
 * @j:	position
 */
static void ep_tcp_heap_swap(struct ep_tcp *t, uint32_t i, uint32_t j)
{
	uint32_t a = t->heap[i], b = t->heap[j];

	t->heap[i] = b;
	t->heap[j] = a;
	t->pool[b].heap_pos = i;
	t->pool[a].heap_pos = j;
}

/**
 * ep_tcp_heap_fix() - restore the heap order around position @i
 * @t:	TCP layer
 * @i:	position whose deadline changed
 */
static void ep_tcp_heap_fix(struct ep_tcp *t, uint32_t i)
{
	while (i > 0) {
		uint32_t p = (i - 1) / 2;

		if (t->pool[t->heap[p]].deadline <=
		    t->pool[t->heap[i]].deadline)
			break;
		ep_tcp_heap_swap(t, i, p);
		i = p;
	}
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < t->nheap &&
		    t->pool[t->heap[l]].deadline < t->pool[t->heap[m]].deadline)
			m = l;
		if (r < t->nheap &&
		    t->pool[t->heap[r]].deadline < t->pool[t->heap[m]].deadline)
			m = r;
		if (m == i)
			break;
		ep_tcp_heap_swap(t, i, m);
		i = m;
	}
}

/**
 * ep_tcp_heap_del() - take a connection off the heap
 * @t:	TCP layer
 * @ec:	connection
 */
static void ep_tcp_heap_del(struct ep_tcp *t, struct ep_conn *ec)
{
	uint32_t i = ec->heap_pos;

	if (i == EP_NONE)
		return;
	t->nheap--;
	if (i != t->nheap) {
		ep_tcp_heap_swap(t, i, t->nheap);
		ep_tcp_heap_fix(t, i);
	}
	ec->heap_pos = EP_NONE;
}

/**
 * ep_tcp_sched() - put a connection on the heap at its current deadline
 * @t:	TCP layer
 * @ec:	connection
 */
static void ep_tcp_sched(struct ep_tcp *t, struct ep_conn *ec)
{
	uint64_t d = tcp_next_deadline(&ec->tcp);

	if (d == UINT64_MAX || !d) {
		ep_tcp_heap_del(t, ec);
		return;
	}
	ec->deadline = d;
	if (ec->heap_pos == EP_NONE) {
		ec->heap_pos = t->nheap;
		t->heap[t->nheap++] = ep_tcp_idx(t, ec);
	}
	ep_tcp_heap_fix(t, ec->heap_pos);
}

/**
 * ep_tcp_touch() - TCP may have changed @ec's deadline: read it again at
 * the next ep_tcp_flush()
 * @ep:	endpoint
 * @ec:	connection
 */
void ep_tcp_touch(struct ep *ep, struct ep_conn *ec)
{
	struct ep_tcp *t = &ep->tcp;

	if (ec->dirty || !ec->in_use)
		return;
	if (t->ndirty == t->dirty_cap)
		ep_tcp_flush(ep); /* cannot happen: two entries per slot */
	ec->dirty = true;
	t->dirty[t->ndirty++] = ep_tcp_idx(t, ec);
}

/**
 * ep_tcp_flush() - read the deadlines of the connections touched
 * @ep:	endpoint
 */
void ep_tcp_flush(struct ep *ep)
{
	struct ep_tcp *t = &ep->tcp;
	uint32_t i;

	ep_tcp_gso_flush(ep);
	for (i = 0; i < t->ndirty; i++) {
		struct ep_conn *ec = &t->pool[t->dirty[i]];

		if (!ec->dirty || !ec->in_use)
			continue;
		ec->dirty = false;
		/* a child under its listener has no events of its own: its
		 * handshake ends here (tcp_input() on it touched it) */
		if (ec->halfopen && ec->tcp.state != TCP_SYN_RECEIVED) {
			ec->halfopen = false;
			t->nhalfopen--;
		}
		ep_tcp_sched(t, ec);
	}
	t->ndirty = 0;
}

/* ---- pool ---- */

/**
 * ep_tcp_init() - set up the TCP layer of an endpoint
 * @ep:		endpoint (ni configured)
 * @max_conns:	pool size, 0 for EP_CONNS_DEFAULT
 *
 * Return: 0 or -ENOMEM
 */
int ep_tcp_init(struct ep *ep, uint32_t max_conns)
{
	struct ep_tcp *t = &ep->tcp;
	uint32_t nb = 64;
	size_t psz;

	memset(t, 0, sizeof(*t));
	t->max = max_conns ? max_conns : EP_CONNS_DEFAULT;
	t->max_halfopen = EP_HALFOPEN_DEFAULT;
	t->syncookies = true;
	t->tso = true;
	t->onehop = true;
	t->free_head = EP_NONE;
	while (nb < t->max && nb < (1u << 24))
		nb <<= 1;
	t->hmask = nb - 1;
	psz = (size_t)t->max * sizeof(struct ep_conn);
	t->pool = mmap(NULL, psz, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (t->pool == MAP_FAILED) {
		t->pool = NULL;
		return -ENOMEM;
	}
	t->dirty_cap = 2 * t->max + 16;
	t->buckets = calloc(nb, sizeof(*t->buckets));
	t->heap = calloc(t->max, sizeof(*t->heap));
	t->dirty = calloc(t->dirty_cap, sizeof(*t->dirty));
	t->bound = calloc(2 * EP_PORTS, sizeof(*t->bound));
	if (!t->buckets || !t->heap || !t->dirty || !t->bound) {
		ep_tcp_fini(ep);
		return -ENOMEM;
	}
	t->secret[0] = ep->ni.cfg.seed * 0x9E3779B97F4A7C15ULL + 1;
	t->secret[1] = (ep->ni.cfg.seed >> 17) ^ 0x632BE59BD9B4E019ULL;
	t->next_eph = (uint32_t)(ep->ni.cfg.seed >> 40);
	tcp_cfg_default(&t->cfg);
	t->cfg.mss = (uint16_t)(ep->ni.cfg.mtu - 40);
	/* RFC 6298 2.4 asks for a 1 s floor ("SHOULD"); the peers an
	 * endpoint talks to are on the same host or LAN, where RTTs are tens
	 * of microseconds and Linux's 200 ms floor is what they use
	 * themselves: a lost retransmission then costs 200 ms, not 1 s. */
	t->cfg.rto_min_ms = EP_RTO_MIN_MS;
	t->cfg.ts_key = ep_tcp_mix(t, 0x7473, 0x6b6579);
	return 0;
}

/**
 * ep_tcp_fini() - free the TCP layer (every connection must be released)
 * @ep:	endpoint
 */
void ep_tcp_fini(struct ep *ep)
{
	struct ep_tcp *t = &ep->tcp;

	if (t->pool)
		munmap(t->pool, (size_t)t->max * sizeof(struct ep_conn));
	free(t->buckets);
	free(t->heap);
	free(t->dirty);
	free(t->bound);
	t->pool = NULL;
	t->buckets = t->heap = t->dirty = t->bound = NULL;
}

/**
 * ep_tcp_new() - a connection from the pool
 * @ep:		endpoint
 * @uops:	its user's callbacks
 * @user:	their context
 * @uid:	for the user
 *
 * The connection has no rings yet: ep_tcp_set_rings() before listen or
 * connect.
 *
 * Return: the connection, NULL when the pool is exhausted (counted)
 */
struct ep_conn *ep_tcp_new(struct ep *ep, const struct ep_user_ops *uops,
			   void *user, uint32_t uid)
{
	struct ep_tcp *t = &ep->tcp;
	struct ep_conn *ec;

	if (t->free_head != EP_NONE) {
		ec = &t->pool[t->free_head];
		t->free_head = ec->hnext == 0 ? EP_NONE : ec->hnext - 1;
	} else if (t->hiwater < t->max) {
		ec = &t->pool[t->hiwater++];
	} else {
		ep->stats[EP_STAT_CONN_LIMIT]++;
		return NULL;
	}
	memset(ec, 0, sizeof(*ec));
	tcp_conn_init(&ec->tcp, &ep_tcp_ops, ep, &t->cfg, NULL, 0, NULL, 0);
	ec->uops = uops;
	ec->user = user;
	ec->uid = uid;
	ec->heap_pos = EP_NONE;
	ec->in_use = true;
	t->nconns++;
	return ec;
}

/**
 * ep_tcp_set_rings() - attach the user's rings
 * @ep:		endpoint
 * @ec:		connection (CLOSED, never used)
 * @sbuf:	send ring
 * @ssize:	its size, a power of two
 * @rbuf:	receive ring
 * @rsize:	its size, a power of two
 */
void ep_tcp_set_rings(struct ep *ep, struct ep_conn *ec, uint8_t *sbuf,
		      uint32_t ssize, uint8_t *rbuf, uint32_t rsize)
{
	struct tcp_cfg cfg = ec->tcp.cfg;

	(void)ep;
	tcp_conn_init(&ec->tcp, &ep_tcp_ops, ep, &cfg, sbuf, ssize, rbuf,
		      rsize);
}

/**
 * ep_tcp_put() - return a released connection to the pool
 * @t:	TCP layer
 * @ec:	connection
 */
static void ep_tcp_put(struct ep_tcp *t, struct ep_conn *ec)
{
	ec->in_use = false;
	ec->dirty = false;
	ec->gen++;
	ec->hop_epoch = 0;
	ec->hnext = t->free_head == EP_NONE ? 0 : t->free_head + 1;
	t->free_head = ep_tcp_idx(t, ec);
	t->nconns--;
}

/**
 * ep_tcp_port_used() - whether a listener or a connection uses a port
 * @ep:		endpoint
 * @port:	local port
 *
 * Only listeners are checked in O(1); connections by their 4-tuple.
 *
 * Return: true if a listener holds @port
 */
bool ep_tcp_port_used(struct ep *ep, uint16_t port)
{
	return ep_tcp_lookup(&ep->tcp, 0, 0, port) != NULL;
}

/**
 * ep_tcp_listen() - make @ec a listener on @port
 * @ep:		endpoint
 * @ec:		connection with rings (a listener's rings are not used but
 *		TCP wants them)
 * @port:	local port, not 0
 * @backlog:	connections not accepted yet, at most
 *
 * Return: 0, -EADDRINUSE, -EINVAL
 */
int ep_tcp_listen(struct ep *ep, struct ep_conn *ec, uint16_t port,
		  uint16_t backlog)
{
	int ret;

	if (!port)
		return -EINVAL;
	if (ep_tcp_port_used(ep, port))
		return -EADDRINUSE;
	ec->tcp.cfg.backlog = backlog ? backlog : 1;
	ret = tcp_listen(&ec->tcp, wire_h32(ep->ni.cfg.addr), port);
	if (ret)
		return ret;
	ep_tcp_hash_add(&ep->tcp, ec, true);
	ep->tcp.nlisten++;
	return 0;
}

/**
 * ep_tcp_iss() - initial sequence number (RFC 6528 section 3)
 * @t:		TCP layer
 * @raddr:	remote address
 * @rport:	remote port
 * @lport:	local port
 * @now_ms:	current time
 *
 * Return: ISN = M + F(4-tuple, secret), M a 4-microsecond clock
 */
static uint32_t ep_tcp_iss(struct ep_tcp *t, uint32_t raddr, uint16_t rport,
			   uint16_t lport, uint64_t now_ms)
{
	return (uint32_t)(now_ms * 250) +
	       (uint32_t)ep_tcp_mix(t, (uint64_t)raddr << 32 | rport,
				    (uint64_t)lport << 32 | 0x155);
}

/**
 * ep_tcp_connect() - active open
 * @ep:		endpoint
 * @ec:		connection with rings
 * @raddr:	remote address, host order
 * @rport:	remote port
 * @lport:	local port, 0 for an ephemeral one (RFC 6056 algorithm 3)
 *
 * Return: 0, -EADDRINUSE (the 4-tuple exists), -EADDRNOTAVAIL (no
 * ephemeral port free towards that destination), -EINVAL, or what
 * tcp_connect() returned
 */
int ep_tcp_connect(struct ep *ep, struct ep_conn *ec, uint32_t raddr,
		   uint16_t rport, uint16_t lport)
{
	const uint32_t n = EP_EPH_MAX - EP_EPH_MIN + 1;
	struct ep_tcp *t = &ep->tcp;
	uint32_t i, off;
	int ret;

	if (!raddr || !rport)
		return -EINVAL;
	/* no loopback in the endpoint (ipv4_output() refuses it), and TCP
	 * is for unicast peers only (RFC 1122 4.2.3.10) */
	if (raddr == wire_h32(ep->ni.cfg.addr) ||
	    wire_ip4_is_loopback(wire_be32(raddr)) ||
	    wire_ip4_is_this_net(wire_be32(raddr)))
		return -EHOSTUNREACH;
	if (netif_is_bcast(&ep->ni, wire_be32(raddr)) ||
	    wire_ip4_is_multicast(wire_be32(raddr)))
		return -ENETUNREACH;
	if (lport) {
		if (ep_tcp_lookup(t, raddr, rport, lport))
			return -EADDRINUSE;
	} else {
		/* RFC 6056 3.3.3: offset = F(local, remote, secret),
		 * port = min + (next_ephemeral + offset + i) % num; never
		 * a listener's port, nor one a socket has bound to listen
		 * on later (t->bound), as Linux (__inet_hash_connect()
		 * skips ports with a bind bucket) */
		off = (uint32_t)ep_tcp_mix(t, raddr, (uint64_t)rport << 1 | 1);
		for (i = 0; i < n; i++) {
			uint16_t p = (uint16_t)(EP_EPH_MIN +
						(t->next_eph + off + i) % n);

			if (!ep_tcp_lookup(t, raddr, rport, p) &&
			    !ep_tcp_port_used(ep, p) && !t->bound[p]) {
				lport = p;
				break;
			}
		}
		t->next_eph += i + 1;
		if (!lport)
			return -EADDRNOTAVAIL;
	}
	ret = tcp_connect(&ec->tcp, wire_h32(ep->ni.cfg.addr), lport, raddr,
			  rport, ep_tcp_iss(t, raddr, rport, lport, ep->now),
			  ep->now);
	if (ret)
		return ret;
	ep_tcp_hash_add(t, ec, false);
	ep_tcp_touch(ep, ec);
	return 0;
}

/**
 * ep_tcp_close() - the user is done with @ec
 * @ep:		endpoint
 * @ec:		connection or listener
 * @abort:	reset instead of an orderly close
 *
 * TCP keeps the connection (and its rings) until the close completes and
 * then calls the user's release.
 */
void ep_tcp_close(struct ep *ep, struct ep_conn *ec, bool abort)
{
	if (abort)
		tcp_abort(&ec->tcp, ep->now);
	/* the listener leaves the table at once: its port is free again */
	if (ec->tcp.state == TCP_LISTEN || (ec->hashed && !ec->tcp.rport)) {
		ep_tcp_hash_del(&ep->tcp, ec);
		ep->tcp.nlisten--;
	}
	ep_tcp_touch(ep, ec);
	tcp_close(&ec->tcp, ep->now);
}

/**
 * ep_tcp_timers() - run the timers that are due
 * @ep:		endpoint
 * @now_ms:	current time
 * @deadline:	lowered to the next deadline
 *
 * Return: true if the bound on timers per round was hit (more are due)
 */
bool ep_tcp_timers(struct ep *ep, uint64_t now_ms, uint64_t *deadline)
{
	struct ep_tcp *t = &ep->tcp;
	unsigned n = 0;

	ep_tcp_flush(ep);
	while (t->nheap && t->pool[t->heap[0]].deadline <= now_ms) {
		struct ep_conn *ec = &t->pool[t->heap[0]];

		if (n++ == EP_TIMERS_MAX)
			return true;
		ep_tcp_heap_del(t, ec);
		ep_tcp_touch(ep, ec);
		tcp_timer(&ec->tcp, now_ms);
		ep_tcp_flush(ep);
	}
	if (t->nheap && t->pool[t->heap[0]].deadline < *deadline)
		*deadline = t->pool[t->heap[0]].deadline;
	return false;
}

/**
 * ep_tcp_abort_all() - reset and release every connection (detach)
 * @ep:	endpoint
 *
 * Listeners first (their children go with them), then the rest; users
 * get their release callbacks.
 */
void ep_tcp_abort_all(struct ep *ep)
{
	struct ep_tcp *t = &ep->tcp;
	uint32_t i;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < t->hiwater; i++) {
			struct ep_conn *ec = &t->pool[i];

			if (!ec->in_use || ec->tcp.released)
				continue;
			if (!pass && ec->tcp.state != TCP_LISTEN)
				continue;
			ep_tcp_close(ep, ec, true);
		}
	}
	ep_tcp_flush(ep);
}

/* ---- TCP's callbacks ---- */

/*
 * TSO output. TCP hands over one segment at a time; the full-sized data
 * segments of one burst (same connection, consecutive sequence numbers,
 * identical headers but for the sequence number and PSH) are gathered
 * into one super-frame of up to 64 KiB, sent once at the end of the burst
 * (ep_tcp_gso_flush(), from ep_tcp_flush()) with a virtio-net header that
 * asks for TCPv4 segmentation at the MSS and for the checksum: a TAP with
 * TSO takes it whole, the switch segments it for a port without, another
 * endpoint takes it as one segment. The TCP checksum field holds the
 * pseudo-header sum over the whole length, as segmentation expects.
 */

/* Bytes at which two TCP headers of one burst may differ: the sequence
 * number (4..7), PSH in the flags (13) and the checksum (16, 17). */
static bool ep_tcp_gso_same_hdr(const uint8_t *a, const uint8_t *b, size_t hl)
{
	return !memcmp(a, b, 4) && !memcmp(a + 8, b + 8, 5) &&
	       (a[13] & ~TCP_F_PSH) == (b[13] & ~TCP_F_PSH) &&
	       !memcmp(a + 14, b + 14, 2) && !memcmp(a + 18, b + 18, hl - 18);
}

/* Can this segment start or join a super-frame? */
static bool ep_tcp_gso_fits(const struct ep *ep, const struct tcp_conn *c,
			    const struct tcp_seg *seg)
{
	return ep->tcp.tso && c && c->mss && seg->len == c->mss &&
	       (seg->flags & ~TCP_F_PSH) == TCP_F_ACK;
}

/**
 * ep_tcp_gso_add() - append a segment to the super-frame being built
 * @ep:	endpoint
 * @c:	connection
 * @seg: the segment
 * @hl:	its TCP header length
 *
 * A segment that cannot join flushes the super-frame first.
 *
 * Return: true if the segment was taken
 */
static bool ep_tcp_gso_add(struct ep *ep, struct tcp_conn *c,
			   const struct tcp_seg *seg, size_t hl)
{
	struct ep_gso *g = &ep->tcp.gso;
	uint8_t hdr[TCP_HDR_LEN + 40], *p;

	if (!g->b)
		return false;
	if (!ep_tcp_gso_fits(ep, c, seg) || c != g->c || hl != g->hl ||
	    seg->seq != g->next_seq || seg->len != g->seg_len ||
	    g->l4 + seg->len > WIRE_IP4_LEN_MAX - WIRE_IP4_HLEN_MIN ||
	    NETIF_L4_OFF + g->l4 + seg->len > EP_GSO_BUF) {
		ep_tcp_gso_flush(ep);
		return false;
	}
	p = g->b + NETIF_L4_OFF;
	tcp_wire_build(hdr, hl, seg);
	if (!ep_tcp_gso_same_hdr(hdr, p, hl)) {
		ep_tcp_gso_flush(ep);
		return false;
	}
	p[13] |= hdr[13] & TCP_F_PSH;
	if (seg->data[0].len)
		memcpy(p + g->l4, seg->data[0].base, seg->data[0].len);
	if (seg->data[1].len)
		memcpy(p + g->l4 + seg->data[0].len, seg->data[1].base,
		       seg->data[1].len);
	g->l4 += seg->len;
	g->next_seq += seg->len;
	g->nseg++;
	ep->stats[EP_STAT_TCP_TX]++;
	return true;
}

/**
 * ep_tcp_gso_start() - keep a built segment as the start of a super-frame
 * @ep:	endpoint
 * @c:	connection
 * @seg: the segment
 * @b:	its buffer (header and payload written, no checksum yet)
 * @hl:	its TCP header length
 *
 * Only a buffer large enough for a whole super-frame can grow into one:
 * the segment is then copied into such a buffer.
 *
 * Return: true if the segment was taken
 */
static bool ep_tcp_gso_start(struct ep *ep, struct tcp_conn *c,
			     const struct tcp_seg *seg, uint8_t *b, size_t hl)
{
	struct ep_gso *g = &ep->tcp.gso;
	uint8_t *big;

	if (!ep_tcp_gso_fits(ep, c, seg))
		return false;
	big = netif_alloc(&ep->ni, EP_GSO_BUF);
	if (!big)
		return false;
	memcpy(big + NETIF_L4_OFF, b + NETIF_L4_OFF, hl + seg->len);
	netif_free(&ep->ni, b);
	*g = (struct ep_gso){ .b = big, .c = c, .hl = (uint32_t)hl,
			      .l4 = (uint32_t)(hl + seg->len),
			      .next_seq = seg->seq + seg->len,
			      .seg_len = seg->len, .nseg = 1,
			      .saddr = seg->saddr, .daddr = seg->daddr };
	ep->stats[EP_STAT_TCP_TX]++;
	return true;
}

/**
 * ep_tcp_gso_flush() - send the super-frame being built, if any
 * @ep:	endpoint
 */
void ep_tcp_gso_flush(struct ep *ep)
{
	struct ep_gso *g = &ep->tcp.gso;
	uint8_t *b = g->b, *p;
	uint16_t ck;

	if (!b)
		return;
	g->b = NULL;
	p = b + NETIF_L4_OFF;
	if (g->nseg == 1) {
		ck = tcp_wire_csum4(g->saddr, g->daddr, p, g->l4);
	} else {
		uint16_t hdr_len = 14 + WIRE_IP4_HLEN_MIN + (uint16_t)g->hl;

		/* virtio_net_hdr: NEEDS_CSUM, GSO_TCPV4, hdr_len, gso_size,
		 * csum_start, csum_offset (little-endian, from the Ethernet
		 * header) */
		b[0] = NETIF_VNET_F_NEEDS_CSUM;
		b[1] = NETIF_VNET_GSO_TCPV4;
		b[2] = (uint8_t)hdr_len, b[3] = (uint8_t)(hdr_len >> 8);
		b[4] = (uint8_t)g->seg_len, b[5] = (uint8_t)(g->seg_len >> 8);
		b[6] = 14 + WIRE_IP4_HLEN_MIN, b[7] = 0;
		b[8] = 16, b[9] = 0;
		ck = wire_csum_fold(wire_csum_pseudo4(
			wire_be32(g->saddr), wire_be32(g->daddr),
			WIRE_IPPROTO_TCP, (uint16_t)g->l4));
	}
	p[16] = (uint8_t)(ck >> 8);
	p[17] = (uint8_t)ck;
	if (ipv4_output(&ep->ni, b, g->l4, WIRE_IPPROTO_TCP,
			wire_be32(g->daddr), true, ep->now))
		ep->stats[EP_STAT_TCP_TX_ERR]++;
}

/**
 * ep_tcp_output() - tcp_ops.output: build the segment into an arena
 * buffer and send it through IPv4 with DF
 * @ctx:	endpoint
 * @c:		connection (NULL for a reset answering no connection)
 * @seg:	segment
 */
void ep_tcp_output(void *ctx, struct tcp_conn *c, const struct tcp_seg *seg)
{
	struct ep *ep = ctx;
	size_t hl = TCP_HDR_LEN + tcp_wire_opts_len(&seg->opts);
	size_t l4 = hl + seg->len;
	uint16_t ck;
	uint8_t *b, *p;

	if (c)
		ep_tcp_touch(ep, ep_conn_of(c));
	if (ep->tcp.mute)
		return;
	if (c && ep_hop_output(ep, c, seg))
		return;
	if (l4 > WIRE_IP4_LEN_MAX - WIRE_IP4_HLEN_MIN) {
		ep->stats[EP_STAT_TCP_TX_ERR]++;
		return;
	}
	if (ep_tcp_gso_add(ep, c, seg, hl))
		return;
	b = netif_alloc(&ep->ni, NETIF_L4_OFF + l4);
	if (!b) {
		ep->stats[EP_STAT_TCP_TX_NOBUF]++;
		return; /* lost like on a wire: TCP's timers resend */
	}
	p = b + NETIF_L4_OFF;
	tcp_wire_build(p, hl, seg);
	if (seg->data[0].len)
		memcpy(p + hl, seg->data[0].base, seg->data[0].len);
	if (seg->data[1].len)
		memcpy(p + hl + seg->data[0].len, seg->data[1].base,
		       seg->data[1].len);
	if (ep_tcp_gso_start(ep, c, seg, b, hl))
		return;
	ck = tcp_wire_csum4(seg->saddr, seg->daddr, p, l4);
	p[16] = (uint8_t)(ck >> 8);
	p[17] = (uint8_t)ck;
	if (ipv4_output(&ep->ni, b, l4, WIRE_IPPROTO_TCP, wire_be32(seg->daddr),
			true, ep->now)) {
		ep->stats[EP_STAT_TCP_TX_ERR]++;
		return;
	}
	ep->stats[EP_STAT_TCP_TX]++;
}

/**
 * ep_tcp_event() - tcp_ops.event: bookkeeping, then the user's callback
 * @ctx:	endpoint
 * @c:		connection
 * @ev:		TCP_EV_* bits
 */
static void ep_tcp_event(void *ctx, struct tcp_conn *c, unsigned ev)
{
	struct ep *ep = ctx;
	struct ep_conn *ec = ep_conn_of(c);

	ep_tcp_touch(ep, ec);
	if (ec->halfopen && c->state != TCP_SYN_RECEIVED) {
		ec->halfopen = false;
		ep->tcp.nhalfopen--;
	}
	if (ec->uops && ec->uops->event)
		ec->uops->event(ec->user, ec, ev);
}

/**
 * ep_tcp_accept() - tcp_ops.accept_alloc: a SYN for a listener
 * @ctx:	endpoint
 * @lc:		listener
 * @syn:	the SYN
 * @iss:	set to our ISS
 *
 * Return: a new child with the user's rings, or NULL (dropped, or
 * answered with a reset when the user refused it)
 */
static struct tcp_conn *ep_tcp_accept(void *ctx, struct tcp_conn *lc,
				      const struct tcp_seg *syn, uint32_t *iss)
{
	struct ep *ep = ctx;
	struct ep_conn *lec = ep_conn_of(lc), *ec;
	struct ep_tcp *t = &ep->tcp;
	int ret;

	if (t->nhalfopen >= t->max_halfopen && !t->cookie) {
		ep->stats[EP_STAT_HALFOPEN_DROP]++;
		return NULL;
	}
	ec = ep_tcp_new(ep, lec->uops, lec->user, EP_NONE);
	if (!ec)
		return NULL;
	ec->tcp.cfg = lc->cfg;
	ret = lec->uops && lec->uops->accept
		      ? lec->uops->accept(lec->user, lec, ec)
		      : -EINVAL;
	if (ret == -EAGAIN) {
		/* the user's accept queue is full: drop, the client
		 * retries its SYN (as a full listen queue does) */
		ep->stats[EP_STAT_ACCEPT_BACKLOG]++;
		ep_tcp_put(t, ec);
		return NULL;
	}
	if (ret || !ec->tcp.sbuf.size) {
		ep->stats[EP_STAT_ACCEPT_REFUSED]++;
		ep_tcp_put(t, ec);
		tcp_input_nomatch(&ep_tcp_ops, ep, syn);
		return NULL;
	}
	ec->tcp.laddr = syn->daddr;
	ec->tcp.lport = syn->dport;
	ec->tcp.raddr = syn->saddr;
	ec->tcp.rport = syn->sport;
	ep_tcp_hash_add(t, ec, false);
	ec->halfopen = true;
	t->nhalfopen++;
	*iss = t->cookie ? t->cookie_iss
			 : ep_tcp_iss(t, syn->saddr, syn->sport, syn->dport,
				      ep->now);
	ep_tcp_touch(ep, ec);
	return &ec->tcp;
}

/**
 * ep_tcp_release() - tcp_ops.release: out of the table, back to the pool
 * @ctx:	endpoint
 * @c:		connection
 */
static void ep_tcp_release(void *ctx, struct tcp_conn *c)
{
	struct ep *ep = ctx;
	struct ep_conn *ec = ep_conn_of(c);
	struct ep_tcp *t = &ep->tcp;

	if (ec->hashed) {
		if (!c->rport)
			t->nlisten--;
		ep_tcp_hash_del(t, ec);
	}
	ep_tcp_heap_del(t, ec);
	if (ec->halfopen) {
		ec->halfopen = false;
		t->nhalfopen--;
	}
	ep->stats[EP_STAT_TCP_REXMIT_SEGS] += c->stats.rexmit_segs;
	ep->stats[EP_STAT_TCP_FAST_REXMITS] += c->stats.fast_rexmits;
	ep->stats[EP_STAT_TCP_RTOS] += c->stats.rtos;
	ep->stats[EP_STAT_TCP_DUP_ACKS] += c->stats.dup_acks;
	ep->stats[EP_STAT_TCP_OOO_SEGS] += c->stats.ooo_segs;
	ep->stats[EP_STAT_TCP_DUP_SEGS] += c->stats.dup_segs;
	ep->stats[EP_STAT_TCP_TLP] += c->stats.tlp_probes;
	ep->stats[EP_STAT_TCP_WUPD] += c->stats.wupd_resent;
	if (ec->uops && ec->uops->release)
		ec->uops->release(ec->user, ec);
	ep_tcp_put(t, ec);
}

/* ---- from IPv4 ---- */

/**
 * ep_tcp_input() - netif_ops.proto_input: a datagram for us
 * @ctx:	endpoint
 * @rx:		the datagram
 * @now_ms:	current time
 *
 * Return: true (taken: TCP), false for other protocols
 */
bool ep_tcp_input(void *ctx, struct ipv4_rx *rx, uint64_t now_ms)
{
	struct ep *ep = ctx;
	struct tcp_seg seg;
	const uint8_t *p = rx->buf + rx->l4_off;

	if (rx->proto != WIRE_IPPROTO_TCP)
		return false;
	ep->now = now_ms;
	ep->stats[EP_STAT_TCP_RX]++;
	/* RFC 1122 4.2.3.10: a SYN to a broadcast or multicast address is
	 * ignored; so is everything else sent there */
	if (rx->bcast || wire_ip4_is_multicast(rx->daddr)) {
		ep->stats[EP_STAT_TCP_RX_BCAST]++;
		goto out;
	}
	if (!rx->csum_trusted &&
	    tcp_wire_csum4(wire_h32(rx->saddr), wire_h32(rx->daddr), p,
			   rx->l4_len)) {
		ep->stats[EP_STAT_TCP_RX_CSUM]++;
		goto out;
	}
	if (tcp_wire_parse(p, rx->l4_len, &seg)) {
		ep->stats[EP_STAT_TCP_RX_BAD]++;
		goto out;
	}
	seg.saddr = wire_h32(rx->saddr);
	seg.daddr = wire_h32(rx->daddr);
	ep_tcp_seg_input(ep, &seg, now_ms);
out:
	netif_free(&ep->ni, rx->buf);
	ep_tcp_flush(ep);
	return true;
}

/**
 * ep_tcp_seg_input() - a parsed segment for us: to its connection or
 * listener (SYN cookies under pressure), or answered as matching none
 * @ep:		endpoint
 * @seg:	the segment, addresses in host order
 * @now_ms:	current time
 *
 * From a frame (ep_tcp_input()) or straight from another endpoint of this
 * worker (ep_hop.c); the caller runs ep_tcp_flush() once it is done.
 */
void ep_tcp_seg_input(struct ep *ep, struct tcp_seg *seg, uint64_t now_ms)
{
	struct ep_conn *ec;

	ec = ep_tcp_lookup(&ep->tcp, seg->saddr, seg->sport, seg->dport);
	if (!ec)
		ec = ep_tcp_lookup(&ep->tcp, 0, 0, seg->dport);
	if (!ec || !seg->sport) {
		ep->stats[EP_STAT_TCP_RX_NOMATCH]++;
		tcp_input_nomatch(&ep_tcp_ops, ep, seg);
		return;
	}
	if (ec->tcp.state == TCP_LISTEN) {
		struct ep_tcp *t = &ep->tcp;

		if ((seg->flags & (TCP_F_SYN | TCP_F_ACK | TCP_F_RST)) ==
			    TCP_F_SYN &&
		    t->syncookies &&
		    (t->nhalfopen >= t->max_halfopen ||
		     tcp_listen_synq_full(&ec->tcp) ||
		     (ec->uops && ec->uops->synq_full &&
		      ec->uops->synq_full(ec->user, ec))) &&
		    !tcp_listen_acceptq_full(&ec->tcp)) {
			ep_cookie_syn(ep, ec, seg);
			return;
		}
		if ((seg->flags & TCP_F_ACK) && ep_cookie_ack(ep, ec, seg))
			return;
	}
	ep_tcp_touch(ep, ec);
	tcp_input(&ec->tcp, seg, now_ms);
}

/**
 * ep_tcp_quoted() - the connection a quoted TCP segment of ours was from
 * @ep:		endpoint
 * @dst:	the quoted destination
 * @quote:	the quoted IPv4 header and at least 8 bytes of TCP
 * @quote_len:	bytes at @quote
 * @seq:	the quoted sequence number
 *
 * Return: the connection (not a listener), or NULL
 */
static struct ep_conn *ep_tcp_quoted(struct ep *ep, be32_t dst,
				     const uint8_t *quote, size_t quote_len,
				     uint32_t *seq)
{
	struct ep_conn *ec;
	size_t ihl;
	uint16_t sport, dport;

	if (quote_len < WIRE_IP4_HLEN_MIN)
		return NULL;
	ihl = (size_t)(quote[0] & 0xf) * 4;
	if (ihl < WIRE_IP4_HLEN_MIN || quote_len < ihl + 8 ||
	    quote[9] != WIRE_IPPROTO_TCP)
		return NULL;
	sport = (uint16_t)(quote[ihl] << 8 | quote[ihl + 1]);
	dport = (uint16_t)(quote[ihl + 2] << 8 | quote[ihl + 3]);
	*seq = (uint32_t)quote[ihl + 4] << 24 |
	       (uint32_t)quote[ihl + 5] << 16 |
	       (uint32_t)quote[ihl + 6] << 8 | quote[ihl + 7];
	ec = ep_tcp_lookup(&ep->tcp, wire_h32(dst), dport, sport);
	if (!ec || ec->tcp.state == TCP_LISTEN)
		return NULL;
	return ec;
}

/**
 * ep_tcp_unreach() - netif_ops.unreach: an ICMP destination unreachable
 * for a segment we sent (tcp_unreach() decides)
 * @ctx:	endpoint
 * @dst:	destination of the quoted segment
 * @err:	what it means (a positive errno)
 * @quote:	quoted IPv4 header and data
 * @quote_len:	bytes at @quote
 */
void ep_tcp_unreach(void *ctx, be32_t dst, int err, const uint8_t *quote,
		    size_t quote_len)
{
	struct ep *ep = ctx;
	struct ep_conn *ec;
	uint32_t seq;

	ec = ep_tcp_quoted(ep, dst, quote, quote_len, &seq);
	if (!ec || ec->tcp.state != TCP_SYN_SENT)
		return;
	ep_tcp_touch(ep, ec);
	if (!tcp_unreach(&ec->tcp, seq, err, ep->now))
		ep->stats[EP_STAT_UNREACH]++;
}

/**
 * ep_tcp_pmtu() - netif_ops.pmtu: "fragmentation needed" for a segment
 * we sent (RFC 1191, checked against the connection by tcp_pmtu(), RFC
 * 5927)
 * @ctx:	endpoint
 * @dst:	destination of the datagram the router could not forward
 * @mtu:	the next-hop MTU
 * @quote:	quoted IPv4 header and at least 8 bytes of TCP
 * @quote_len:	bytes at @quote
 */
void ep_tcp_pmtu(void *ctx, be32_t dst, uint16_t mtu, const uint8_t *quote,
		 size_t quote_len)
{
	struct ep *ep = ctx;
	struct ep_conn *ec;
	uint32_t seq;

	ec = ep_tcp_quoted(ep, dst, quote, quote_len, &seq);
	if (!ec)
		return;
	ep_tcp_touch(ep, ec);
	if (!tcp_pmtu(&ec->tcp, seq, mtu, ep->now))
		ep->stats[EP_STAT_PMTU]++;
}
