// SPDX-License-Identifier: MIT
/*
 * test_stack_arp.c - CUnit suite for stack/arp.c (and netif.c's frame
 * handling): announcements, replies, learning rules, resolution with a
 * bounded queue, retransmission and failure, stale entries, LRU
 * replacement, and that no buffer leaks on any path.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "frame.h"
#include "netif.h"

#include "../lib/cunit_run.h"

#include "../lib/stack_harness.h"

static const uint8_t ZERO_MAC[6];

/**
 * check_arp() - frame i is an ARP packet from us with these fields
 * @i:		frame index
 * @eth_dst:	Ethernet destination
 * @op:		operation
 * @tha:	target MAC field
 * @tpa:	target address field
 */
static void check_arp(unsigned i, const uint8_t *eth_dst, uint16_t op,
		      const uint8_t *tha, be32_t tpa)
{
	static const uint8_t zero12[12];
	uint8_t want[54];
	be32_t me = ip4(2);

	CU_ASSERT_FATAL(i < h.nout);
	memset(want, 0, sizeof(want));
	memcpy(want, zero12, 12);
	memcpy(want + 12, eth_dst, 6);
	memcpy(want + 18, H_MAC, 6);
	want[24] = 0x08, want[25] = 0x06;
	want[26] = 0, want[27] = 1, want[28] = 0x08, want[29] = 0;
	want[30] = 6, want[31] = 4, want[32] = 0, want[33] = (uint8_t)op;
	memcpy(want + 34, H_MAC, 6);
	memcpy(want + 40, &me, 4);
	memcpy(want + 44, tha, 6);
	memcpy(want + 50, &tpa, 4);
	CU_ASSERT_EQUAL(h.out_len[i], 54);
	CU_ASSERT(!memcmp(h.out[i], want, 54));
}

/**
 * send_udp() - have the endpoint send a 10-byte UDP datagram
 * @sock:	socket
 * @dst:	destination
 * @now:	time
 *
 * Return: udp_sendto() result
 */
static int send_udp(int sock, be32_t dst, uint64_t now)
{
	static const uint8_t data[10] = "0123456789";

	return udp_sendto(&ni, sock, dst, 7, data, sizeof(data), now);
}

/**
 * test_announce() - RFC 5227 announcements on netif_up()
 */
static void test_announce(void)
{
	struct netif_config c = {.prefix_len = 24, .seed = 1};

	memset(&h, 0, sizeof(h));
	memcpy(c.mac, H_MAC, 6);
	c.addr = ip4(2);
	CU_ASSERT_EQUAL_FATAL(netif_init(&ni, &c, &h_ops, &ni), 0);
	CU_ASSERT_EQUAL(ni.cfg.mtu, 1500);
	CU_ASSERT_EQUAL(h.nout, 0);
	netif_up(&ni, 1000);
	CU_ASSERT_EQUAL_FATAL(h.nout, 1);
	check_arp(0, BCAST_MAC, 1, ZERO_MAC, ip4(2));
	netif_timer(&ni, 2999);
	CU_ASSERT_EQUAL(h.nout, 1);
	netif_timer(&ni, 3000);
	CU_ASSERT_EQUAL_FATAL(h.nout, 2);
	check_arp(1, BCAST_MAC, 1, ZERO_MAC, ip4(2));
	netif_timer(&ni, 10000);
	netif_up(&ni, 10000); /* already up: no new announcement */
	CU_ASSERT_EQUAL(h.nout, 2);
	CU_ASSERT_EQUAL(ni.arp.stats[ARP_STAT_TX_ANNOUNCE], 2);
	h_teardown();
}

/**
 * test_bad_config() - netif_init() refuses what cannot work
 */
static void test_bad_config(void)
{
	struct netif_config c = {.prefix_len = 24};
	struct netif_ops no_emit = h_ops;

	memcpy(c.mac, H_MAC, 6);
	c.addr = ip4(2);
	CU_ASSERT_EQUAL(netif_init(&ni, &c, &h_ops, NULL), 0);
	no_emit.emit = NULL;
	CU_ASSERT_EQUAL(netif_init(&ni, &c, &no_emit, NULL), -EINVAL);
	c.mac[0] = 1;
	CU_ASSERT_EQUAL(netif_init(&ni, &c, &h_ops, NULL), -EINVAL);
	memset(c.mac, 0, 6);
	CU_ASSERT_EQUAL(netif_init(&ni, &c, &h_ops, NULL), -EINVAL);
	memcpy(c.mac, H_MAC, 6);
	c.prefix_len = 33;
	CU_ASSERT_EQUAL(netif_init(&ni, &c, &h_ops, NULL), -EINVAL);
	c.prefix_len = 24;
	c.mtu = 67;
	CU_ASSERT_EQUAL(netif_init(&ni, &c, &h_ops, NULL), -EINVAL);
	c.mtu = 68;
	CU_ASSERT_EQUAL(netif_init(&ni, &c, &h_ops, NULL), 0);
	c.gw = wire_ip4(10, 0, 1, 1); /* not on-link */
	CU_ASSERT_EQUAL(netif_init(&ni, &c, &h_ops, NULL), -EINVAL);
	c.gw = ip4(2); /* ourselves */
	CU_ASSERT_EQUAL(netif_init(&ni, &c, &h_ops, NULL), -EINVAL);
	c.gw = ip4(1);
	c.addr = wire_ip4(224, 0, 0, 1);
	CU_ASSERT_EQUAL(netif_init(&ni, &c, &h_ops, NULL), -EINVAL);
	c.addr = wire_ip4(0, 0, 0, 0);
	CU_ASSERT_EQUAL(netif_init(&ni, &c, &h_ops, NULL), -EINVAL);
}

/**
 * test_reply() - a request for our address is answered and teaches us
 */
static void test_reply(void)
{
	const struct arp_entry *e;
	uint8_t f[64];
	size_t n;

	h_setup();
	n = mk_arp(f, 1, BCAST_MAC, PEER_MAC, ip4(9), ZERO_MAC, ip4(2));
	memset(f + n, 0, 6); /* Ethernet padding is fine */
	h_in(f, n + 6, 5);
	CU_ASSERT_EQUAL_FATAL(h.nout, 1);
	check_arp(0, PEER_MAC, 2, PEER_MAC, ip4(9));
	e = arp_lookup(&ni.arp, ip4(9));
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(e->state, ARP_REACHABLE);
	CU_ASSERT(!memcmp(e->mac, PEER_MAC, 6));
	CU_ASSERT_EQUAL(ni.arp.stats[ARP_STAT_RX_REQUEST], 1);
	CU_ASSERT_EQUAL(ni.arp.stats[ARP_STAT_TX_REPLY], 1);
	h_drain();

	/* a reply for us (unsolicited) teaches too, and is not answered */
	n = mk_arp(f, 2, H_MAC, GW_MAC, ip4(1), H_MAC, ip4(2));
	h_in(f, n, 6);
	CU_ASSERT_EQUAL(h.nout, 0);
	e = arp_lookup(&ni.arp, ip4(1));
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT(!memcmp(e->mac, GW_MAC, 6));
	CU_ASSERT_EQUAL(ni.arp.stats[ARP_STAT_RX_REPLY], 1);
	h_teardown();
}

/**
 * test_not_for_us() - requests for others: no reply, nothing learned;
 * but an entry we already hold is updated (RFC 826 merge)
 */
static void test_not_for_us(void)
{
	static const uint8_t new_mac[6] = {0x02, 0, 0, 0, 0, 0x77};
	const struct arp_entry *e;
	uint8_t f[64];

	h_setup();
	h_in(f, mk_arp(f, 1, BCAST_MAC, PEER_MAC, ip4(9), ZERO_MAC, ip4(3)), 1);
	CU_ASSERT_EQUAL(h.nout, 0);
	CU_ASSERT_PTR_NULL(arp_lookup(&ni.arp, ip4(9)));
	CU_ASSERT_EQUAL(ni.arp.stats[ARP_STAT_RX_NOT_FOR_US], 1);

	h_learn(PEER_MAC, ip4(9), 2);
	h_in(f, mk_arp(f, 1, BCAST_MAC, new_mac, ip4(9), ZERO_MAC, ip4(3)), 3);
	CU_ASSERT_EQUAL(h.nout, 0);
	e = arp_lookup(&ni.arp, ip4(9));
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT(!memcmp(e->mac, new_mac, 6));
	CU_ASSERT_EQUAL(e->confirmed_ms, 3);
	h_teardown();
}

/**
 * test_malformed() - nothing learned or answered from broken packets
 */
static void test_malformed(void)
{
	static const uint8_t mcast[6] = {0x01, 0, 0x5e, 0, 0, 1};
	uint8_t f[64];
	size_t n;
	int i;

	h_setup();
	for (i = 0; i < 9; i++) {
		n = mk_arp(f, 1, BCAST_MAC, PEER_MAC, ip4(9), ZERO_MAC, ip4(2));
		switch (i) {
		case 0:
			n = 53;
			break; /* truncated */
		case 1:
			f[27] = 6;
			break; /* htype 6 */
		case 2:
			f[29] = 0xdd;
			break; /* ptype */
		case 3:
			f[30] = 8;
			break; /* hlen */
		case 4:
			f[31] = 16;
			break; /* plen */
		case 5:
			f[33] = 3;
			break; /* op 3 */
		case 6:
			memcpy(f + 34, mcast, 6);
			break; /* multicast sha */
		case 7:
			memset(f + 34, 0, 6);
			break; /* zero sha */
		case 8:
			memset(f + 40, 0xff, 4);
			break; /* broadcast spa */
		}
		h_in(f, n, 1);
	}
	/* the frame's own Ethernet header too short */
	h_in(f, 25, 1);
	CU_ASSERT_EQUAL(h.nout, 0);
	CU_ASSERT_PTR_NULL(arp_lookup(&ni.arp, ip4(9)));
	CU_ASSERT_EQUAL(ni.arp.stats[ARP_STAT_RX_MALFORMED], 6);
	CU_ASSERT_EQUAL(ni.arp.stats[ARP_STAT_RX_BAD_SENDER], 3);
	CU_ASSERT_EQUAL(ni.stats[NETIF_STAT_RX_SHORT], 1);
	h_teardown();
}

/**
 * test_conflict_probe() - our address claimed by another MAC; a probe
 */
static void test_conflict_probe(void)
{
	uint8_t f[64];
	be32_t zero_ip = wire_ip4(0, 0, 0, 0);

	h_setup();
	/* someone else announces our address: counted, not learned,
	 * defended with an announcement, at most every 10 s */
	h_in(f, mk_arp(f, 1, BCAST_MAC, PEER_MAC, ip4(2), ZERO_MAC, ip4(2)), 1);
	CU_ASSERT_EQUAL_FATAL(h.nout, 1);
	check_arp(0, BCAST_MAC, 1, ZERO_MAC, ip4(2));
	CU_ASSERT_PTR_NULL(arp_lookup(&ni.arp, ip4(2)));
	CU_ASSERT_EQUAL(ni.arp.stats[ARP_STAT_RX_CONFLICT], 1);
	h_in(f, mk_arp(f, 2, H_MAC, PEER_MAC, ip4(2), H_MAC, ip4(2)),
	     ARP_DEFEND_INTERVAL_MS);
	CU_ASSERT_EQUAL(h.nout, 1);
	CU_ASSERT_EQUAL(ni.arp.stats[ARP_STAT_RX_CONFLICT], 2);
	h_in(f, mk_arp(f, 1, BCAST_MAC, PEER_MAC, ip4(2), ZERO_MAC, ip4(2)),
	     1 + ARP_DEFEND_INTERVAL_MS);
	CU_ASSERT_EQUAL(h.nout, 2);
	CU_ASSERT_EQUAL(ni.arp.stats[ARP_STAT_TX_DEFEND], 2);
	h_drain();
	/* our own announcement looped back: not a conflict */
	h_in(f, mk_arp(f, 1, BCAST_MAC, H_MAC, ip4(2), ZERO_MAC, ip4(2)), 1);
	CU_ASSERT_EQUAL(ni.arp.stats[ARP_STAT_RX_CONFLICT], 3);
	CU_ASSERT_EQUAL(h.nout, 0);

	/* RFC 5227 probe for our address: defended, sender not learned */
	h_in(f, mk_arp(f, 1, BCAST_MAC, PEER_MAC, zero_ip, ZERO_MAC, ip4(2)),
	     2);
	CU_ASSERT_EQUAL_FATAL(h.nout, 1);
	check_arp(0, PEER_MAC, 2, PEER_MAC, zero_ip);
	CU_ASSERT_PTR_NULL(arp_lookup(&ni.arp, zero_ip));
	h_teardown();
}

/**
 * test_resolve_queue() - datagrams wait for the reply, in order; the
 * queue is bounded
 */
static void test_resolve_queue(void)
{
	const struct arp_entry *e;
	uint8_t f[64];
	int s, i;

	h_setup();
	s = udp_bind(&ni, 1000);
	CU_ASSERT_FATAL(s >= 0);
	for (i = 0; i < ARP_QUEUE_LEN + 2; i++)
		CU_ASSERT_EQUAL(send_udp(s, ip4(9), 10), 0);
	/* one request, nothing else */
	CU_ASSERT_EQUAL_FATAL(h.nout, 1);
	check_arp(0, BCAST_MAC, 1, ZERO_MAC, ip4(9));
	e = arp_lookup(&ni.arp, ip4(9));
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(e->state, ARP_INCOMPLETE);
	CU_ASSERT_EQUAL(e->qlen, ARP_QUEUE_LEN);
	CU_ASSERT_EQUAL(ni.arp.stats[ARP_STAT_QUEUED], ARP_QUEUE_LEN);
	CU_ASSERT_EQUAL(ni.arp.stats[ARP_STAT_QUEUE_DROP], 2);
	CU_ASSERT_EQUAL(h.live, 1 + ARP_QUEUE_LEN);
	h_drain();

	h_in(f, mk_arp(f, 2, H_MAC, PEER_MAC, ip4(9), H_MAC, ip4(2)), 20);
	CU_ASSERT_EQUAL_FATAL(h.nout, ARP_QUEUE_LEN);
	for (i = 0; i < ARP_QUEUE_LEN; i++) {
		const uint8_t *ip = out_ok_ip((unsigned)i, PEER_MAC);

		CU_ASSERT_EQUAL(ip[9], 17);
		/* identifications in sending order */
		if (i)
			CU_ASSERT_EQUAL(
				get16(ip + 4),
				(uint16_t)(get16(h.out[i - 1] + 30) + 1));
	}
	CU_ASSERT_EQUAL(e->state, ARP_REACHABLE);
	CU_ASSERT_EQUAL(e->qlen, 0);
	h_drain();
	/* resolved: the next datagram goes straight out */
	CU_ASSERT_EQUAL(send_udp(s, ip4(9), 30), 0);
	CU_ASSERT_EQUAL(h.nout, 1);
	out_ok_ip(0, PEER_MAC);
	h_teardown();
}

/**
 * test_resolve_fail() - ARP_MAX_REQUESTS requests, then the queue is
 * dropped
 */
static void test_resolve_fail(void)
{
	int s;

	h_setup();
	s = udp_bind(&ni, 1000);
	CU_ASSERT_EQUAL(send_udp(s, ip4(9), 100), 0);
	CU_ASSERT_EQUAL(send_udp(s, ip4(9), 100), 0);
	CU_ASSERT_EQUAL(h.nout, 1);
	netif_timer(&ni, 1099);
	CU_ASSERT_EQUAL(h.nout, 1);
	netif_timer(&ni, 1100);
	CU_ASSERT_EQUAL(h.nout, 2);
	netif_timer(&ni, 2100);
	CU_ASSERT_EQUAL_FATAL(h.nout, ARP_MAX_REQUESTS);
	check_arp(2, BCAST_MAC, 1, ZERO_MAC, ip4(9));
	CU_ASSERT_EQUAL(h.live, ARP_MAX_REQUESTS + 2);
	netif_timer(&ni, 3099);
	CU_ASSERT_PTR_NOT_NULL(arp_lookup(&ni.arp, ip4(9)));
	netif_timer(&ni, 3100);
	CU_ASSERT_EQUAL(h.nout, ARP_MAX_REQUESTS);
	CU_ASSERT_PTR_NULL(arp_lookup(&ni.arp, ip4(9)));
	CU_ASSERT_EQUAL(ni.arp.stats[ARP_STAT_RESOLVE_FAILED], 1);
	CU_ASSERT_EQUAL(ni.arp.stats[ARP_STAT_QUEUE_DROP], 2);
	CU_ASSERT_EQUAL(h.live, ARP_MAX_REQUESTS); /* only the requests */
	h_teardown();
}

/**
 * test_stale_probe() - an old entry is revalidated with unicast probes and
 * removed when they go unanswered; an answer keeps it
 */
static void test_stale_probe(void)
{
	const struct arp_entry *e;
	uint8_t f[64];
	int s;

	h_setup();
	s = udp_bind(&ni, 1000);
	h_learn(PEER_MAC, ip4(9), 0);
	CU_ASSERT_EQUAL(send_udp(s, ip4(9), ARP_REACHABLE_MS - 1), 0);
	CU_ASSERT_EQUAL(h.nout, 1); /* reachable: just the datagram */
	h_drain();

	CU_ASSERT_EQUAL(send_udp(s, ip4(9), ARP_REACHABLE_MS), 0);
	/* stale: a unicast probe, and the datagram still goes out */
	CU_ASSERT_EQUAL_FATAL(h.nout, 2);
	check_arp(0, PEER_MAC, 1, ZERO_MAC, ip4(9));
	out_ok_ip(1, PEER_MAC);
	e = arp_lookup(&ni.arp, ip4(9));
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(e->state, ARP_PROBE);
	h_drain();

	/* the peer answers the probe: reachable again */
	h_in(f, mk_arp(f, 2, H_MAC, PEER_MAC, ip4(9), H_MAC, ip4(2)),
	     ARP_REACHABLE_MS + 5);
	CU_ASSERT_EQUAL(e->state, ARP_REACHABLE);
	netif_timer(&ni, ARP_REACHABLE_MS + 5000);
	CU_ASSERT_EQUAL(h.nout, 0);

	/* stale again, and this time nobody answers */
	CU_ASSERT_EQUAL(send_udp(s, ip4(9), 3 * ARP_REACHABLE_MS), 0);
	CU_ASSERT_EQUAL(h.nout, 2);
	netif_timer(&ni, 3 * ARP_REACHABLE_MS + ARP_RETRANS_MS);
	netif_timer(&ni, 3 * ARP_REACHABLE_MS + 2 * ARP_RETRANS_MS);
	CU_ASSERT_EQUAL_FATAL(h.nout, 1 + ARP_MAX_PROBES);
	check_arp(3, PEER_MAC, 1, ZERO_MAC, ip4(9));
	CU_ASSERT_PTR_NOT_NULL(arp_lookup(&ni.arp, ip4(9)));
	netif_timer(&ni, 3 * ARP_REACHABLE_MS + 3 * ARP_RETRANS_MS);
	CU_ASSERT_PTR_NULL(arp_lookup(&ni.arp, ip4(9)));
	CU_ASSERT_EQUAL(ni.arp.stats[ARP_STAT_RESOLVE_FAILED], 1);
	h_teardown();
}

/**
 * test_gateway() - off-link destinations resolve the gateway
 */
static void test_gateway(void)
{
	int s;

	h_setup();
	s = udp_bind(&ni, 1000);
	CU_ASSERT_EQUAL(send_udp(s, wire_ip4(192, 0, 2, 1), 1), 0);
	CU_ASSERT_EQUAL_FATAL(h.nout, 1);
	check_arp(0, BCAST_MAC, 1, ZERO_MAC, ip4(1));
	h_drain();
	h_learn(GW_MAC, ip4(1), 2);
	CU_ASSERT_EQUAL_FATAL(h.nout, 0); /* h_learn drained the flush */
	CU_ASSERT_EQUAL(send_udp(s, wire_ip4(192, 0, 2, 1), 3), 0);
	CU_ASSERT_EQUAL_FATAL(h.nout, 1);
	{
		const uint8_t *ip = out_ok_ip(0, GW_MAC);

		CU_ASSERT(!memcmp(ip + 16, (const uint8_t[]){192, 0, 2, 1}, 4));
	}
	h_teardown();
}

/**
 * test_next_timer() - netif_next_timer() follows announcements, requests,
 * probes and reassembly
 */
static void test_next_timer(void)
{
	uint8_t f[100];
	size_t n;
	int s;

	h_setup();
	CU_ASSERT_EQUAL(netif_next_timer(&ni), UINT64_MAX);
	s = udp_bind(&ni, 1000);
	send_udp(s, ip4(9), 50);
	CU_ASSERT_EQUAL(netif_next_timer(&ni), 50 + ARP_RETRANS_MS);
	netif_timer(&ni, 50 + ARP_RETRANS_MS);
	CU_ASSERT_EQUAL(netif_next_timer(&ni), 50 + 2 * ARP_RETRANS_MS);
	h_in(f, mk_arp(f, 2, H_MAC, PEER_MAC, ip4(9), H_MAC, ip4(2)), 1100);
	CU_ASSERT_EQUAL(netif_next_timer(&ni), UINT64_MAX);
	/* a fragment waiting for the rest */
	n = mk_udp(f, ip4(9), 5000, 7777, 8, true);
	put16(f + 26 + 6, 0x2000);
	put16(f + 36, 0);
	put16(f + 36, (uint16_t)~ref_csum(f + 26, 20, 0));
	h_in(f, n, 5000);
	CU_ASSERT_EQUAL(netif_next_timer(&ni), 5000 + IPV4_REASS_TIMEOUT_MS);
	/* a stale entry being probed comes first */
	send_udp(s, ip4(9), 1100 + ARP_REACHABLE_MS);
	CU_ASSERT_EQUAL(netif_next_timer(&ni),
			1100 + ARP_REACHABLE_MS + ARP_RETRANS_MS);
	h_drain();
	h_teardown();
	CU_ASSERT_EQUAL(netif_next_timer(&ni), UINT64_MAX);

	/* the second announcement */
	h_setup();
	ni.arp.announce_left = 1;
	ni.arp.announce_ms = ARP_ANNOUNCE_INTERVAL_MS;
	CU_ASSERT_EQUAL(netif_next_timer(&ni), ARP_ANNOUNCE_INTERVAL_MS);
	h_teardown();
}

/**
 * test_lru() - a full cache replaces its least recently used entry
 */
static void test_lru(void)
{
	uint8_t mac[6] = {0x02, 0, 0, 0, 1, 0};
	int i, s;

	h_setup();
	s = udp_bind(&ni, 1000);
	for (i = 0; i < ARP_CACHE_SIZE; i++) {
		mac[5] = (uint8_t)(i + 10);
		h_learn(mac, ip4((uint8_t)(i + 10)), (uint64_t)i);
	}
	/* use every entry but the one for .12, in order */
	for (i = 0; i < ARP_CACHE_SIZE; i++)
		if (i != 2)
			CU_ASSERT_EQUAL(send_udp(s, ip4((uint8_t)(i + 10)),
						 100 + (uint64_t)i),
					0);
	h_drain();
	CU_ASSERT_EQUAL(ni.arp.stats[ARP_STAT_EVICTED], 0);
	mac[5] = 200;
	h_learn(mac, ip4(200), 500);
	CU_ASSERT_EQUAL(ni.arp.stats[ARP_STAT_EVICTED], 1);
	CU_ASSERT_PTR_NULL(arp_lookup(&ni.arp, ip4(12)));
	CU_ASSERT_PTR_NOT_NULL(arp_lookup(&ni.arp, ip4(200)));
	CU_ASSERT_PTR_NOT_NULL(arp_lookup(&ni.arp, ip4(11)));
	CU_ASSERT_PTR_NOT_NULL(arp_lookup(&ni.arp, ip4(13)));
	h_teardown();
}

#define PEERS 8 /* resolved neighbours 10.0.0.10 .. 10.0.0.17 */

/* Teach the endpoint PEERS neighbours at @now; with @s >= 0 also send
 * each a datagram on socket @s (an entry used for output). */
static void peers_learn(int s, uint64_t now)
{
	uint8_t mac[6] = {0x02, 0, 0, 0, 2, 0};
	unsigned i;

	for (i = 0; i < PEERS; i++) {
		mac[5] = (uint8_t)(i + 10);
		h_learn(mac, ip4((uint8_t)(i + 10)), now);
		if (s >= 0)
			CU_ASSERT_EQUAL(send_udp(s, ip4((uint8_t)(i + 10)), now),
					0);
	}
	h_drain();
}

/* Every one of the PEERS neighbours is still in the cache. */
static void peers_check_kept(void)
{
	unsigned i;

	for (i = 0; i < PEERS; i++)
		CU_ASSERT_PTR_NOT_NULL(arp_lookup(&ni.arp, ip4((uint8_t)(i + 10))));
}

/**
 * test_flood_keeps_resolved() - datagrams to many unresolved addresses
 * (replies to a forged-source flood) neither push out the peers we talk to
 * nor broadcast without bound
 */
static void test_flood_keeps_resolved(void)
{
	unsigned i, inc = 0;
	uint64_t now = 1000;
	int s;

	h_setup();
	s = udp_bind(&ni, 1000);
	peers_learn(-1, now);
	/* 200 other addresses of the prefix, 1 ms apart */
	for (i = 0; i < 200; i++, now++)
		send_udp(s, ip4((uint8_t)(i + 30)), now);
	h_drain();
	peers_check_kept();
	for (i = 0; i < ARP_CACHE_SIZE; i++)
		inc += ni.arp.e[i].state == ARP_INCOMPLETE;
	CU_ASSERT(inc <= ARP_INCOMPLETE_MAX);
	/* the burst and ARP_NEW_PER_S over those 200 ms; the rest refused
	 * and counted, their broadcasts never sent */
	CU_ASSERT(ni.arp.stats[ARP_STAT_TX_REQUEST] <=
		  ARP_NEW_BURST + ARP_NEW_PER_S / 5 + 1);
	CU_ASSERT(ni.arp.stats[ARP_STAT_RATE_LIMITED] >=
		  200 - ARP_NEW_BURST - ARP_NEW_PER_S / 5 - 1);
	/* the peers still get datagrams at once */
	CU_ASSERT_EQUAL(send_udp(s, ip4(12), now), 0);
	CU_ASSERT_EQUAL(h.nout, 1);
	h_teardown();
}

/**
 * test_request_flood_keeps_used() - requests for our address from many
 * forged senders (learned, RFC 826) do not push out the peers we send to:
 * an entry never used for output is the first to make room
 */
static void test_request_flood_keeps_used(void)
{
	uint8_t mac[6] = {0x02, 0, 0, 0, 3, 0};
	uint64_t now = 1000;
	unsigned i;
	int s;

	h_setup();
	s = udp_bind(&ni, 1000);
	peers_learn(s, now);
	/* 200 requests from as many made-up senders, 1 ms apart */
	for (i = 0; i < 200; i++, now++) {
		mac[5] = (uint8_t)i;
		h_learn(mac, ip4((uint8_t)(i + 30)), now);
	}
	peers_check_kept();
	/* the latest sender is known (and answered) all the same */
	CU_ASSERT_PTR_NOT_NULL(arp_lookup(&ni.arp, ip4(229)));
	/* the peers still get datagrams at once, with no request */
	h.nout = 0;
	CU_ASSERT_EQUAL(send_udp(s, ip4(12), now), 0);
	CU_ASSERT_EQUAL(h.nout, 1);
	h_teardown();
}

/**
 * test_close_releases() - closing with datagrams queued releases them
 */
static void test_close_releases(void)
{
	int s;

	h_setup();
	s = udp_bind(&ni, 1000);
	send_udp(s, ip4(9), 1);
	send_udp(s, ip4(8), 1);
	CU_ASSERT_EQUAL(h.live, 4); /* two requests, two datagrams */
	h_teardown();
	/* and an endpoint that is down drops input */
	h_in((const uint8_t[64]){0}, 60, 2);
	CU_ASSERT_EQUAL(ni.stats[NETIF_STAT_RX_DOWN], 1);
	CU_ASSERT_EQUAL(h.live, 0);
}

/**
 * test_nobuf() - no buffer for a reply: counted, nothing leaks
 */
static void test_nobuf(void)
{
	uint8_t f[64];
	uint8_t *b;

	h_setup();
	b = h_alloc(NULL, 54);
	memcpy(b, f,
	       mk_arp(f, 1, BCAST_MAC, PEER_MAC, ip4(9), ZERO_MAC, ip4(2)));
	memcpy(b, f, 54);
	h.fail = true;
	netif_input(&ni, b, 54, 1);
	h.fail = false;
	CU_ASSERT_EQUAL(h.nout, 0);
	CU_ASSERT_EQUAL(ni.stats[NETIF_STAT_TX_NOBUF], 1);
	h_teardown();
}

/**
 * test_stat_names() - counter names exist and are unique per module
 */
static void test_stat_names(void)
{
	unsigned i, j;

	for (i = 0; i < ARP_STAT__COUNT; i++)
		for (j = 0; j < i; j++)
			CU_ASSERT(strcmp(arp_stat_name(i), arp_stat_name(j)));
	CU_ASSERT_STRING_EQUAL(arp_stat_name(ARP_STAT_RX), "rx");
	CU_ASSERT_STRING_EQUAL(arp_stat_name(ARP_STAT__COUNT), "unknown");
	CU_ASSERT_STRING_EQUAL(netif_stat_name(NETIF_STAT_TX_NOBUF),
			       "tx_nobuf");
	CU_ASSERT_STRING_EQUAL(netif_stat_name(NETIF_STAT__COUNT), "unknown");
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{"announce", test_announce},
		{"bad_config", test_bad_config},
		{"reply", test_reply},
		{"not_for_us", test_not_for_us},
		{"malformed", test_malformed},
		{"conflict_probe", test_conflict_probe},
		{"resolve_queue", test_resolve_queue},
		{"resolve_fail", test_resolve_fail},
		{"stale_probe", test_stale_probe},
		{"gateway", test_gateway},
		{"next_timer", test_next_timer},
		{"lru", test_lru},
		{"flood_keeps_resolved", test_flood_keeps_resolved},
		{"request_flood_keeps_used", test_request_flood_keeps_used},
		{"close_releases", test_close_releases},
		{"nobuf", test_nobuf},
		{"stat_names", test_stat_names},
	};

	return cunit_run("stack_arp", tests, sizeof(tests) / sizeof(tests[0]),
			 NULL, NULL);
}
