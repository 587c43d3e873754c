// SPDX-License-Identifier: MIT
/*
 * udp.c - UDP over IPv4 (RFC 768)
 *
 * Theory of operation
 *
 * Each endpoint has UDP_SOCK_MAX sockets, each bound to one local port on
 * the endpoint's address (there is only one). Input checks the header
 * length against the IP payload (bytes past the UDP length are ignored, a
 * UDP length past the IP payload is an error), verifies the checksum over
 * the pseudo-header unless it is zero (RFC 768: "all zero ... means that the
 * transmitter generated no checksum"; allowed for IPv4 only) or the
 * virtio-net header vouches for it, and queues the datagram on the socket
 * bound to the destination port. The queue holds the received buffers
 * themselves, no copy: each entry is (buffer, payload offset, length,
 * source). A full queue drops the datagram and counts it on the socket and
 * globally. A datagram to a port nobody listens on is answered with ICMP
 * port unreachable (RFC 1122 section 4.1.3.1), within ICMP's rate limit and
 * never for broadcasts.
 *
 * An ICMP destination unreachable that is a hard error (a port
 * unreachable above all: ECONNREFUSED) about a datagram we sent is an
 * error for the socket connected to that peer, as on Linux (udp_err():
 * hard errors, on connected sockets only): its owner reports it once.
 * Sockets that are not connected learn nothing from it: anyone could
 * send one.
 *
 * Output computes the checksum, sending 0xffff when it comes out as zero
 * (RFC 768), and lets IPv4 fragment what exceeds the MTU.
 *
 * Ephemeral ports (binding port 0) are searched linearly from a random
 * point in [UDP_EPHEMERAL_MIN, UDP_EPHEMERAL_MAX] (RFC 6056 section 3.3.1,
 * algorithm 1), drawn from a generator seeded by the caller, so that port
 * numbers cannot be guessed from earlier ones.
 */

#include <errno.h>
#include <string.h>

#include "netif_priv.h"

static const char *const udp_stat_names[] = {
#define UDP_X(name, str) str,
	UDP_STATS(UDP_X)
#undef UDP_X
};

/**
 * udp_stat_name() - name of a counter
 * @s:	counter
 *
 * Return: its name, "unknown" when out of range
 */
const char *udp_stat_name(enum udp_stat s)
{
	if ((unsigned)s >= UDP_STAT__COUNT)
		return "unknown";
	return udp_stat_names[s];
}

/**
 * udp_init() - no sockets
 * @udp:	UDP state
 * @seed:	random seed for ephemeral ports
 */
void udp_init(struct udp *udp, uint64_t seed)
{
	memset(udp, 0, sizeof(*udp));
	udp->rng = seed ^ 0x9e3779b97f4a7c15ull;
	if (!udp->rng)
		udp->rng = 1;
}

/**
 * udp_random() - next number from xorshift64*
 * @udp:	UDP state
 *
 * Return: 32 pseudo-random bits
 */
static uint32_t udp_random(struct udp *udp)
{
	uint64_t x = udp->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	udp->rng = x;
	return (uint32_t)((x * 0x2545f4914f6cdd1dull) >> 32);
}

/**
 * udp_find() - the socket bound to a port
 * @udp:	UDP state
 * @port:	port, host order
 *
 * Return: the socket, or NULL
 */
static struct udp_sock *udp_find(struct udp *udp, uint16_t port)
{
	unsigned i;

	for (i = 0; i < UDP_SOCK_MAX; i++)
		if (udp->s[i].used && udp->s[i].port == port)
			return &udp->s[i];
	return NULL;
}

/**
 * udp_sock() - a socket by number
 * @ni:		endpoint
 * @sock:	socket number
 *
 * Return: the socket, or NULL when the number is not an open socket
 */
static struct udp_sock *udp_sock(struct netif *ni, int sock)
{
	if (sock < 0 || sock >= UDP_SOCK_MAX || !ni->udp.s[sock].used)
		return NULL;
	return &ni->udp.s[sock];
}

/**
 * udp_bind() - open a socket bound to a local port
 * @ni:		endpoint
 * @port:	port, host order; 0 for an ephemeral port
 *
 * Return: socket number, -EADDRINUSE when the port is taken, -EMFILE when
 * the table is full, -EADDRNOTAVAIL when no ephemeral port is free
 */
static int udp_bind_as(struct netif *ni, uint16_t port, bool shared);

int udp_bind(struct netif *ni, uint16_t port)
{
	return udp_bind_as(ni, port, false);
}

/**
 * udp_port_shareable() - may another shared socket bind @port
 * @udp:	UDP state
 * @port:	port, host order
 *
 * Return: true when every socket on it was bound shared (SO_REUSEADDR on
 * all of them, as Linux asks for UDP)
 */
static bool udp_port_shareable(struct udp *udp, uint16_t port)
{
	unsigned i;

	for (i = 0; i < UDP_SOCK_MAX; i++)
		if (udp->s[i].used && udp->s[i].port == port &&
		    !udp->s[i].shared)
			return false;
	return true;
}

/**
 * udp_bind_shared() - udp_bind() for a socket with SO_REUSEADDR: the port
 * may already be held by sockets that all have it too (an iperf3 UDP
 * server connects its socket to the client and binds a new one to the
 * same port); datagrams go to the one connected to their sender, else to
 * an unconnected one (udp_input())
 * @ni:		endpoint
 * @port:	port, host order; 0 for an ephemeral port
 *
 * Return: as udp_bind()
 */
int udp_bind_shared(struct netif *ni, uint16_t port)
{
	return udp_bind_as(ni, port, true);
}

/**
 * udp_set_peer() - a socket's connected peer, for demultiplexing
 * @ni:		endpoint
 * @sock:	socket number
 * @addr:	peer address (0: not connected)
 * @port:	peer port, host order
 */
void udp_set_peer(struct netif *ni, int sock, be32_t addr, uint16_t port)
{
	struct udp_sock *s = udp_sock(ni, sock);

	if (s) {
		s->raddr = addr;
		s->rport = port;
		s->err = 0; /* about the old peer */
	}
}

/**
 * udp_set_shared() - SO_REUSEADDR set or cleared on a bound socket: as
 * Linux, a later bind() of its port looks at it as it is then
 * @ni:		endpoint
 * @sock:	socket number
 * @shared:	SO_REUSEADDR
 */
void udp_set_shared(struct netif *ni, int sock, bool shared)
{
	struct udp_sock *s = udp_sock(ni, sock);

	if (s)
		s->shared = shared;
}

/**
 * udp_bind_as() - udp_bind() and udp_bind_shared()
 * @ni:		endpoint
 * @port:	port, host order; 0 for an ephemeral port
 * @shared:	SO_REUSEADDR
 *
 * Return: as udp_bind()
 */
static int udp_bind_as(struct netif *ni, uint16_t port, bool shared)
{
	const uint32_t n = UDP_EPHEMERAL_MAX - UDP_EPHEMERAL_MIN + 1;
	struct udp *udp = &ni->udp;
	struct udp_sock *s = NULL;
	uint32_t start, i;
	int idx;

	for (idx = 0; idx < UDP_SOCK_MAX; idx++) {
		if (!udp->s[idx].used) {
			s = &udp->s[idx];
			break;
		}
	}
	if (!s)
		return -EMFILE;

	if (port) {
		if (udp_find(udp, port) &&
		    !(shared && udp_port_shareable(udp, port)))
			return -EADDRINUSE;
	} else {
		start = udp_random(udp) % n;
		for (i = 0; i < n; i++) {
			port = (uint16_t)(UDP_EPHEMERAL_MIN + (start + i) % n);
			if (!udp_find(udp, port))
				break;
		}
		if (i == n)
			return -EADDRNOTAVAIL;
	}
	memset(s, 0, sizeof(*s));
	s->used = true;
	s->shared = shared;
	s->port = port;
	return idx;
}

/**
 * udp_port() - local port of a socket
 * @ni:		endpoint
 * @sock:	socket number
 *
 * Return: the port (host order), or -EBADF
 */
int udp_port(const struct netif *ni, int sock)
{
	const struct udp_sock *s = udp_sock((struct netif *)ni, sock);

	return s ? s->port : -EBADF;
}

/**
 * udp_close() - close a socket, releasing what is queued on it
 * @ni:		endpoint
 * @sock:	socket number
 *
 * Return: 0 or -EBADF
 */
int udp_close(struct netif *ni, int sock)
{
	struct udp_sock *s = udp_sock(ni, sock);

	if (!s)
		return -EBADF;
	while (s->count) {
		netif_free(ni, s->q[s->head].buf);
		s->head = (uint8_t)((s->head + 1) % UDP_RXQ_LEN);
		s->count--;
		ni->udp.held--;
	}
	memset(s, 0, sizeof(*s));
	return 0;
}

/**
 * udp_sendto() - send a datagram
 * @ni:		endpoint
 * @sock:	socket number (gives the source port)
 * @daddr:	destination address
 * @dport:	destination port, host order, not 0
 * @data:	payload
 * @len:	its length, at most UDP_PAYLOAD_MAX
 * @now_ms:	current time
 *
 * Return: 0 when sent or queued for ARP; -EBADF, -EINVAL (port 0),
 * -EMSGSIZE, -ENOBUFS, or what ipv4_output() returned
 */
int udp_sendto(struct netif *ni, int sock, be32_t daddr, uint16_t dport,
	       const void *data, size_t len, uint64_t now_ms)
{
	struct udp_sock *s = udp_sock(ni, sock);
	struct udp *udp = &ni->udp;
	struct wire_udp *u;
	uint16_t ulen;
	uint8_t *b;
	be16_t csum;
	int ret;

	if (!s)
		return -EBADF;
	if (!dport)
		return -EINVAL;
	if (len > UDP_PAYLOAD_MAX)
		return -EMSGSIZE;
	ulen = (uint16_t)(sizeof(*u) + len);
	b = netif_alloc(ni, NETIF_L4_OFF + ulen);
	if (!b) {
		udp->stats[UDP_STAT_TX_NOBUF]++;
		return -ENOBUFS;
	}
	u = (struct wire_udp *)(b + NETIF_L4_OFF);
	u->sport = wire_be16(s->port);
	u->dport = wire_be16(dport);
	u->len = wire_be16(ulen);
	u->csum = wire_be16(0);
	memcpy(u + 1, data, len);
	csum = wire_csum(
		wire_csum_add(u, ulen,
			      wire_csum_pseudo4(ni->cfg.addr, daddr,
						WIRE_IPPROTO_UDP, ulen)));
	/* RFC 768: a computed zero is sent as all ones. */
	u->csum = csum.be ? csum : wire_be16(0xffff);

	ret = ipv4_output(ni, b, ulen, WIRE_IPPROTO_UDP, daddr, false, now_ms);
	if (ret) {
		udp->stats[UDP_STAT_TX_ERROR]++;
		return ret;
	}
	udp->stats[UDP_STAT_TX]++;
	return 0;
}

/**
 * udp_recvfrom() - take the oldest queued datagram
 * @ni:		endpoint
 * @sock:	socket number
 * @data:	where to copy the payload
 * @cap:	room at @data; a longer datagram is truncated
 * @saddr:	source address, or NULL
 * @sport:	source port, host order, or NULL
 *
 * Return: the datagram's full length (more than @cap when truncated, like
 * MSG_TRUNC), -EAGAIN when nothing is queued, -EBADF
 */
ssize_t udp_recvfrom(struct netif *ni, int sock, void *data, size_t cap,
		     be32_t *saddr, uint16_t *sport)
{
	struct udp_sock *s = udp_sock(ni, sock);
	struct udp_rxq_entry *e;
	ssize_t len;

	if (!s)
		return -EBADF;
	if (!s->count)
		return -EAGAIN;
	e = &s->q[s->head];
	memcpy(data, e->buf + e->off, e->len < cap ? e->len : cap);
	if (saddr)
		*saddr = e->saddr;
	if (sport)
		*sport = e->sport;
	len = e->len;
	netif_free(ni, e->buf);
	s->head = (uint8_t)((s->head + 1) % UDP_RXQ_LEN);
	s->count--;
	ni->udp.held--;
	return len;
}

/**
 * udp_icmp_error() - an ICMP error quoting a datagram we sent
 * @ni:		endpoint
 * @quote:	the quoted IPv4 header and what follows (at least its
 *		header, checked by the caller to be from our address)
 * @qlen:	bytes at @quote
 * @err:	the error for the socket, a positive errno
 *
 * The socket bound to the quoted source port and connected to the
 * quoted destination gets @err (theory of operation).
 */
void udp_icmp_error(struct netif *ni, const uint8_t *quote, size_t qlen,
		    int err)
{
	const struct wire_ip4 *q = (const struct wire_ip4 *)quote;
	size_t ihl = (size_t)(q->ver_ihl & 0xfu) * 4;
	const struct wire_udp *u;
	struct udp_sock *s;
	unsigned i;

	/* only the first fragment holds the UDP header */
	if (q->proto != WIRE_IPPROTO_UDP || ihl < sizeof(*q) ||
	    qlen < ihl + sizeof(*u) ||
	    (wire_h16(q->frag_off) & WIRE_IP4_OFFMASK))
		return;
	u = (const struct wire_udp *)(quote + ihl);
	for (i = 0; i < UDP_SOCK_MAX; i++) {
		s = &ni->udp.s[i];
		if (s->used && s->port == wire_h16(u->sport) && s->rport &&
		    s->rport == wire_h16(u->dport) &&
		    wire_eq32(s->raddr, q->daddr)) {
			s->err = (uint16_t)err;
			ni->udp.stats[UDP_STAT_RX_ICMP_ERR]++;
			return;
		}
	}
}

/**
 * udp_take_error() - take a socket's pending error
 * @ni:		endpoint
 * @sock:	socket number
 *
 * Return: the error (positive errno), 0 for none or a bad socket
 */
int udp_take_error(struct netif *ni, int sock)
{
	struct udp_sock *s = udp_sock(ni, sock);
	int err;

	if (!s)
		return 0;
	err = s->err;
	s->err = 0;
	return err;
}

/**
 * udp_demux() - the socket a datagram is for
 * @udp:	UDP state
 * @dport:	destination port, host order
 * @saddr:	sender
 * @sport:	its port, host order
 *
 * A socket connected to the sender first, else one connected to nobody;
 * a socket connected to someone else never gets it (connect(2) on UDP).
 *
 * Return: the socket, or NULL
 */
static struct udp_sock *udp_demux(struct udp *udp, uint16_t dport,
				  be32_t saddr, uint16_t sport)
{
	struct udp_sock *any = NULL, *s;
	unsigned i;

	for (i = 0; i < UDP_SOCK_MAX; i++) {
		s = &udp->s[i];
		if (!s->used || s->port != dport)
			continue;
		if (!s->rport && !s->raddr.be) {
			if (!any)
				any = s;
		} else if (s->raddr.be == saddr.be && s->rport == sport) {
			return s;
		}
	}
	return any;
}

/**
 * udp_input() - a UDP datagram for us
 * @ni:		endpoint
 * @rx:		the datagram (its buffer is consumed or queued)
 * @now_ms:	current time
 */
void udp_input(struct netif *ni, struct ipv4_rx *rx, uint64_t now_ms)
{
	const struct wire_udp *u;
	struct udp *udp = &ni->udp;
	struct udp_rxq_entry *e;
	struct udp_sock *s;
	uint16_t ulen;

	udp->stats[UDP_STAT_RX]++;
	if (rx->l4_len < sizeof(*u)) {
		udp->stats[UDP_STAT_RX_SHORT]++;
		goto drop;
	}
	u = (const struct wire_udp *)(rx->buf + rx->l4_off);
	ulen = wire_h16(u->len);
	if (ulen < sizeof(*u) || ulen > rx->l4_len) {
		udp->stats[UDP_STAT_RX_LEN]++;
		goto drop;
	}
	if (u->csum.be && !rx->csum_trusted &&
	    !wire_csum_ok(
		    wire_csum_add(u, ulen,
				  wire_csum_pseudo4(rx->saddr, rx->daddr,
						    WIRE_IPPROTO_UDP, ulen)))) {
		udp->stats[UDP_STAT_RX_CSUM]++;
		goto drop;
	}

	s = udp_demux(udp, wire_h16(u->dport), rx->saddr, wire_h16(u->sport));
	if (!s) {
		udp->stats[UDP_STAT_RX_NO_PORT]++;
		icmp_send_error(ni, WIRE_ICMP_DEST_UNREACH,
				WIRE_ICMP_PORT_UNREACH, rx->buf + rx->ip_off,
				rx->l4_off - rx->ip_off + rx->l4_len, rx->bcast,
				now_ms);
		goto drop;
	}
	if (s->count == UDP_RXQ_LEN || udp->held >= UDP_HELD_MAX) {
		s->drops++;
		udp->stats[UDP_STAT_RX_QUEUE_FULL]++;
		goto drop;
	}
	e = &s->q[(s->head + s->count) % UDP_RXQ_LEN];
	e->buf = rx->buf;
	e->off = rx->l4_off + (uint32_t)sizeof(*u);
	e->len = (uint16_t)(ulen - sizeof(*u));
	e->saddr = rx->saddr;
	e->sport = wire_h16(u->sport);
	s->count++;
	udp->held++;
	udp->stats[UDP_STAT_RX_DELIVERED]++;
	return;
drop:
	netif_free(ni, rx->buf);
}

/**
 * udp_flush() - close every socket
 * @ni:		endpoint
 */
void udp_flush(struct netif *ni)
{
	int i;

	for (i = 0; i < UDP_SOCK_MAX; i++)
		if (ni->udp.s[i].used)
			udp_close(ni, i);
}
