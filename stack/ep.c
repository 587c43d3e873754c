// SPDX-License-Identifier: MIT
/*
 * ep.c - an endpoint's life and the owning worker's entry points
 *
 * ep_create() builds the endpoint (netif configured, TCP pool mapped) on
 * the control thread; from ep_attach() to ep_detach() the owning worker
 * runs it:
 *
 * - ep_input(): a frame for the endpoint goes to netif_input(); TCP sits
 *   behind netif_ops.proto_input (ep_tcp_input()), path MTU news behind
 *   netif_ops.pmtu;
 * - ep_poll(): requests from the control thread (application contexts
 *   coming and going), the application contexts' queues and rings
 *   (app_run.c), netif_timer() and the TCP timer heap; then the counters
 *   are published for the control thread.
 *
 * Buffers come from and go to the host (struct ep_io): the worker's
 * arena behind vnet_lport_alloc()/vnet_lport_send(), or a test's.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "ep.h"
#include "netif_priv.h"

static const char *const ep_stat_names[] = {
#define EP_X(name, str) str,
	EP_STATS(EP_X)
#undef EP_X
};

/**
 * ep_stat_name() - name of a counter
 * @s:	counter
 *
 * Return: its name, "?" if out of range
 */
const char *ep_stat_name(enum ep_stat s)
{
	return (unsigned)s < EP_STAT__COUNT ? ep_stat_names[s] : "?";
}

/**
 * ep_mac_from_name() - a locally administered unicast MAC for a name
 * @name:	endpoint name
 * @mac:	result: 02:xx:xx:xx:xx:xx from an FNV-1a hash of @name
 *
 * Stable across restarts, so that the tenant's neighbours keep their ARP
 * entries; bit 1 of the first octet (locally administered) set, bit 0
 * (group) clear (IEEE 802 section 8.2).
 */
void ep_mac_from_name(const char *name, uint8_t mac[6])
{
	uint64_t h = 0xcbf29ce484222325ULL;
	int i;

	for (; *name; name++) {
		h ^= (uint8_t)*name;
		h *= 0x100000001b3ULL;
	}
	for (i = 1; i < 6; i++)
		mac[i] = (uint8_t)(h >> (8 * i));
	mac[0] = 0x02;
	if (!mac[1] && !mac[2] && !mac[3] && !mac[4] && !mac[5])
		mac[5] = 1;
}

/* ---- netif hooks: the host's buffers ---- */

/**
 * ep_ni_alloc() - netif_ops.alloc
 * @ctx:	endpoint
 * @size:	bytes
 *
 * Return: a buffer or NULL
 */
static uint8_t *ep_ni_alloc(void *ctx, size_t size)
{
	struct ep *ep = ctx;

	if (!ep->io)
		return NULL;
	return ep->io->alloc(ep->io_ctx, size);
}

/**
 * ep_ni_free() - netif_ops.free
 * @ctx:	endpoint
 * @buf:	buffer
 */
static void ep_ni_free(void *ctx, uint8_t *buf)
{
	struct ep *ep = ctx;

	ep->io->free(ep->io_ctx, buf);
}

/**
 * ep_ni_emit() - netif_ops.emit
 * @ctx:	endpoint
 * @buf:	frame
 * @len:	its length
 */
static void ep_ni_emit(void *ctx, uint8_t *buf, size_t len)
{
	struct ep *ep = ctx;

	ep->io->emit(ep->io_ctx, buf, len);
}

static const struct netif_ops ep_ni_ops = {
	.alloc = ep_ni_alloc,
	.free = ep_ni_free,
	.emit = ep_ni_emit,
	.pmtu = ep_tcp_pmtu,
	.unreach = ep_tcp_unreach,
	.proto_input = ep_tcp_input,
};

/**
 * ep_create() - build an endpoint (not attached yet)
 * @spec:	what to build
 * @max_conns:	TCP pool size, 0 for EP_CONNS_DEFAULT
 * @out:	the endpoint
 * @err:	one line on failure
 * @errlen:	room there
 *
 * Return: 0, -EINVAL (bad spec), -ENOMEM
 */
int ep_create(const struct stack_ep_spec *spec, uint32_t max_conns,
	      struct ep **out, char *err, size_t errlen)
{
	static const uint8_t zero[6];
	struct netif_config cfg;
	struct ep *ep;
	int ret;

	if (!spec->name || !spec->name[0] ||
	    strlen(spec->name) >= STACK_NAME_MAX) {
		snprintf(err, errlen, "endpoint name must be 1..%d characters",
			 STACK_NAME_MAX - 1);
		return -EINVAL;
	}
	if (spec->network && strlen(spec->network) >= sizeof(ep->network)) {
		snprintf(err, errlen, "network name too long");
		return -EINVAL;
	}
	if (spec->mtu > 65535 || (spec->mtu && spec->mtu < NETIF_MTU_MIN)) {
		snprintf(err, errlen, "mtu must be %d..65535", NETIF_MTU_MIN);
		return -EINVAL;
	}
	memset(&cfg, 0, sizeof(cfg));
	if (memcmp(spec->mac, zero, 6))
		memcpy(cfg.mac, spec->mac, 6);
	else
		ep_mac_from_name(spec->name, cfg.mac);
	cfg.addr.be = spec->addr;
	cfg.prefix_len = spec->prefix_len;
	cfg.gw.be = spec->gw;
	cfg.mtu = (uint16_t)spec->mtu;
	if (getrandom(&cfg.seed, sizeof(cfg.seed), 0) != sizeof(cfg.seed))
		cfg.seed = (uint64_t)(uintptr_t)&cfg ^ 0x9E3779B97F4A7C15ULL;

	ep = calloc(1, sizeof(*ep));
	if (!ep) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = netif_init(&ep->ni, &cfg, &ep_ni_ops, ep);
	if (ret) {
		snprintf(err, errlen,
			 "bad address, prefix, gateway, MAC or MTU");
		free(ep);
		return ret;
	}
	ret = ep_tcp_init(ep, max_conns);
	if (ret) {
		snprintf(err, errlen, "out of memory for the TCP table");
		free(ep);
		return ret;
	}
	pthread_mutex_init(&ep->req_lock, NULL);
	ep->spec = *spec;
	memcpy(ep->spec.mac, cfg.mac, 6);
	ep->spec.mtu = ep->ni.cfg.mtu;
	snprintf(ep->name, sizeof(ep->name), "%s", spec->name);
	snprintf(ep->network, sizeof(ep->network), "%s",
		 spec->network ? spec->network : "default");
	ep->spec.name = ep->name;
	ep->spec.network = ep->network;
	ep->port = -1;
	*out = ep;
	return 0;
}

/**
 * ep_destroy() - free a detached endpoint
 * @ep:	endpoint (ep_detach() ran, or it was never attached)
 */
void ep_destroy(struct ep *ep)
{
	if (!ep)
		return;
	ep_tcp_fini(ep);
	pthread_mutex_destroy(&ep->req_lock);
	free(ep);
}

/**
 * ep_attach() - the owning worker takes the endpoint up
 * @ep:		endpoint
 * @io:		the worker's buffer and send hooks
 * @io_ctx:	their context
 * @now_ms:	current time
 */
void ep_attach(struct ep *ep, const struct ep_io *io, void *io_ctx,
	       uint64_t now_ms)
{
	ep->io = io;
	ep->io_ctx = io_ctx;
	ep->now = now_ms;
	ep->attached = true;
	if (ep_hop_attach(ep))
		ep->tcp.onehop = false; /* frames only */
	netif_up(&ep->ni, now_ms); /* RFC 5227 announcement */
	ep_publish(ep);
}

/**
 * ep_input() - a frame for the endpoint
 * @ep:		endpoint
 * @buf:	virtio-net header + Ethernet frame (taken)
 * @len:	bytes
 * @now_ms:	current time
 */
void ep_input(struct ep *ep, uint8_t *buf, size_t len, uint64_t now_ms)
{
	ep->now = now_ms;
	netif_input(&ep->ni, buf, len, now_ms);
	ep_tcp_flush(ep);
	ep_hop_drain(now_ms);
	app_run_wake_all(ep);
}

/**
 * ep_requests() - serve what the control thread queued
 * @ep:	endpoint
 *
 * The worker only try-locks: a control thread holding the lock (for a
 * list append) delays the requests by one round, never the worker.
 *
 * Return: true if there was any (or the lock was busy)
 */
static bool ep_requests(struct ep *ep)
{
	struct ep_req *r, *list = NULL, *next;

	if (!__atomic_load_n(&ep->req_head, __ATOMIC_ACQUIRE))
		return false;
	if (pthread_mutex_trylock(&ep->req_lock))
		return true;
	r = ep->req_head;
	ep->req_head = NULL;
	pthread_mutex_unlock(&ep->req_lock);
	/* newest first on the list: reverse to serve in order */
	for (; r; r = next) {
		next = r->next;
		r->next = list;
		list = r;
	}
	for (r = list; r; r = next) {
		next = r->next;
		switch (r->type) {
		case EP_REQ_APP_ADD:
			app_run_add(ep, r->app);
			break;
		case EP_REQ_APP_DEL:
			app_run_del(ep, r->app);
			break;
		}
		ep_tcp_flush(ep);
		sem_post(&r->done); /* r may be gone after this */
	}
	return true;
}

/**
 * ep_request() - queue a request for the worker (control thread)
 * @ep:	endpoint
 * @r:	request, its semaphore initialised; the caller kicks the worker
 *	and waits on r->done
 *
 * Return: 0
 */
int ep_request(struct ep *ep, struct ep_req *r)
{
	pthread_mutex_lock(&ep->req_lock);
	r->next = ep->req_head;
	__atomic_store_n(&ep->req_head, r, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&ep->req_lock);
	return 0;
}

/**
 * ep_poll() - a worker round for the endpoint
 * @ep:		endpoint
 * @now_ms:	current time
 * @idle:	the worker is about to sleep
 * @deadline:	set to when the next call is wanted at the latest
 *
 * Return: true if there was work (the worker then does not sleep)
 */
bool ep_poll(struct ep *ep, uint64_t now_ms, bool idle, uint64_t *deadline)
{
	uint64_t d = UINT64_MAX, nt;
	bool busy;

	ep->now = now_ms;
	busy = ep_requests(ep);
	busy |= app_run_poll(ep, now_ms, idle);
	nt = netif_next_timer(&ep->ni);
	if (nt <= now_ms) {
		netif_timer(&ep->ni, now_ms);
		nt = netif_next_timer(&ep->ni);
	}
	if (nt < d)
		d = nt;
	busy |= ep_tcp_timers(ep, now_ms, &d);
	ep_tcp_flush(ep);
	busy |= ep_hop_drain(now_ms);
	if (ep_hop_pending())
		d = now_ms; /* segments for another endpoint wait */
	/* the control thread reads snapshots: once per millisecond is
	 * plenty, and the last one before the worker sleeps */
	if (idle || now_ms != ep->pub_ms) {
		ep->pub_ms = now_ms;
		ep_publish(ep);
	}
	*deadline = d;
	return busy;
}

/**
 * ep_detach() - the port is leaving: every connection reset, every
 * application context dropped (their memory is the control thread's to
 * free), every buffer back to the host
 * @ep:	endpoint
 */
void ep_detach(struct ep *ep)
{
	struct ep_req *r, *next;

	app_run_detach_all(ep);
	ep_tcp_abort_all(ep);
	ep_hop_detach(ep);
	ep_tcp_gso_flush(ep);
	netif_close(&ep->ni);
	/* requests still queued: answered, nothing to do any more */
	pthread_mutex_lock(&ep->req_lock);
	r = ep->req_head;
	ep->req_head = NULL;
	pthread_mutex_unlock(&ep->req_lock);
	for (; r; r = next) {
		next = r->next;
		sem_post(&r->done);
	}
	ep->attached = false;
	ep_publish(ep);
	ep->io = NULL;
}

/**
 * ep_publish() - counters for the control thread (relaxed stores)
 * @ep:	endpoint
 */
void ep_publish(struct ep *ep)
{
	struct ep_pub *p = &ep->pub;
	const struct netif *ni = &ep->ni;
	uint64_t drops, udp = 0;
	unsigned i;

	for (i = 0; i < UDP_SOCK_MAX; i++)
		udp += ni->udp.s[i].used;
	drops = ni->stats[NETIF_STAT_RX_DOWN] + ni->stats[NETIF_STAT_RX_SHORT] +
		ni->stats[NETIF_STAT_RX_GSO] +
		ni->stats[NETIF_STAT_RX_DST_MAC] +
		ni->stats[NETIF_STAT_RX_ETHERTYPE] +
		ni->stats[NETIF_STAT_TX_NOBUF] +
		ni->ip.stats[IPV4_STAT_RX_SHORT] +
		ni->ip.stats[IPV4_STAT_RX_VERSION] +
		ni->ip.stats[IPV4_STAT_RX_IHL] +
		ni->ip.stats[IPV4_STAT_RX_LEN] +
		ni->ip.stats[IPV4_STAT_RX_CSUM] +
		ni->ip.stats[IPV4_STAT_RX_SADDR] +
		ni->ip.stats[IPV4_STAT_RX_NOT_OURS] +
		ni->udp.stats[UDP_STAT_RX_CSUM] +
		ni->udp.stats[UDP_STAT_RX_NO_PORT] +
		ni->udp.stats[UDP_STAT_RX_QUEUE_FULL] +
		ep->stats[EP_STAT_TCP_RX_BAD] + ep->stats[EP_STAT_TCP_RX_CSUM] +
		ep->stats[EP_STAT_TCP_RX_BCAST] +
		ep->stats[EP_STAT_HALFOPEN_DROP] +
		ep->stats[EP_STAT_CONN_LIMIT];
	atomic_store_explicit(&p->tcp_conns, ep->tcp.nconns - ep->tcp.nlisten,
			      memory_order_relaxed);
	atomic_store_explicit(&p->tcp_listen, ep->tcp.nlisten,
			      memory_order_relaxed);
	atomic_store_explicit(&p->udp_socks, udp, memory_order_relaxed);
	atomic_store_explicit(&p->apps, ep->napps, memory_order_relaxed);
	atomic_store_explicit(&p->rx_frames, ni->stats[NETIF_STAT_RX],
			      memory_order_relaxed);
	atomic_store_explicit(&p->tx_frames, ni->stats[NETIF_STAT_TX],
			      memory_order_relaxed);
	atomic_store_explicit(&p->drops, drops, memory_order_relaxed);
	for (i = 0; i < EP_STAT__COUNT; i++)
		atomic_store_explicit(&p->stats[i], ep->stats[i],
				      memory_order_relaxed);
}
