// SPDX-License-Identifier: MIT
/*
 * test_switch.c - the switch end to end on real TAP devices, as root
 *
 * Three TAP ports are created through the vnet API, as vstackd does, and
 * left in this namespace with IPv6 off so that the kernel sends nothing of
 * its own on them. An AF_PACKET socket bound to each TAP plays the tenant:
 * what it sends leaves through the TAP into vstack, what vstack writes into
 * a TAP shows up on its socket. With PACKET_VNET_HDR the "tenant" can send
 * GSO super-frames, as a kernel with TSO does.
 *
 * Skips (77) when not root or without /dev/net/tun.
 */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../lib/cunit_run.h"
#include "gso.h"
#include "vnet.h"
#include "vnet_priv.h" /* white box: the workers' view of a rate cap */

#define NPORTS 4
static struct vnet *sw;
static char names[NPORTS][16];
static int psock[NPORTS];
static const char *const nets[NPORTS] = { "default", "default", "default",
					  "other" };
static const bool offl[NPORTS] = { true, true, false, true };

static const uint8_t mac[NPORTS][6] = {
	{ 0x02, 0, 0, 0, 0, 0xa1 },
	{ 0x02, 0, 0, 0, 0, 0xb2 },
	{ 0x02, 0, 0, 0, 0, 0xc3 },
	{ 0x02, 0, 0, 0, 0, 0xd4 },
};
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static void sysctl_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (write(fd, val, strlen(val)) < 0)
			perror(path);
		close(fd);
	}
}

static int link_up(const char *name)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%.15s", name);
	ret = ioctl(s, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	if (!ret)
		ret = ioctl(s, SIOCSIFFLAGS, &ifr);
	close(s);
	return ret;
}

static int link_mtu(const char *name, int mtu)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%.15s", name);
	ifr.ifr_mtu = mtu;
	ret = ioctl(s, SIOCSIFMTU, &ifr);
	close(s);
	return ret;
}

static int packet_socket(const char *ifname, bool vnet)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(ETH_P_ALL) };
	int one = 1, rcvbuf = 16 << 20, s;

	s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (s < 0)
		return -1;
	if (vnet)
		setsockopt(s, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one));
	/* Our own transmissions would show up too: not wanted. */
	setsockopt(s, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	/* Room for a whole burst: socket overflow is not what we test. */
	setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (bind(s, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		close(s);
		return -1;
	}
	return s;
}

/**
 * port_up() - add a port, bring it up without IPv6, open a socket on it
 * @v:		switch
 * @ps:		the port's spec; its name is set to @name
 * @name:	filled with "vs<tag><pid><c>" (16 bytes)
 * @tag:	the test's letter
 * @c:		the port's letter
 *
 * Return: a packet socket on the port, vnet header on, or -1 (said why)
 */
static int port_up(struct vnet *v, struct vnet_port_spec *ps, char *name,
		   char tag, char c)
{
	char err[256], path[128];

	snprintf(name, 16, "vs%c%d%c", tag, (int)getpid(), c);
	ps->name = name;
	if (vnet_port_add(v, ps, err, sizeof(err))) {
		fprintf(stderr, "port add %s: %s\n", name, err);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
		 name);
	sysctl_write(path, "1");
	if (link_up(name))
		return -1;
	return packet_socket(name, true);
}

static int suite_init(void)
{
	struct vnet_config c;
	char err[256];
	unsigned i;

	vnet_config_default(&c);
	c.workers = 2;
	c.arena_bufs = 64;
	if (vnet_start(&c, &sw, err, sizeof(err))) {
		fprintf(stderr, "vnet_start: %s\n", err);
		return 1;
	}
	for (i = 0; i < NPORTS; i++) {
		struct vnet_port_spec ps = { .name = names[i],
					     .network = nets[i],
					     .offload = offl[i] };

		psock[i] = port_up(sw, &ps, names[i], 'u', (char)('a' + i));
		if (psock[i] < 0)
			return 1;
	}
	return 0;
}

static int suite_clean(void)
{
	unsigned i;

	for (i = 0; i < NPORTS; i++)
		if (psock[i] > 0)
			close(psock[i]);
	vnet_stop(sw);
	return 0;
}

/* ---- frame builders -------------------------------------------------- */

/* vnet header + Ethernet + IPv4 + UDP with a 32-bit sequence number. */
static size_t build_udp(uint8_t *b, const uint8_t *dst, const uint8_t *src,
			uint32_t seq, size_t payload)
{
	struct virtio_net_hdr vh = { 0 };
	struct iphdr ip = { 0 };
	struct udphdr uh = { 0 };
	uint8_t *p = b;
	uint16_t et = htons(ETH_P_IP);

	memcpy(p, &vh, sizeof(vh));
	p += sizeof(vh);
	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	memcpy(p + 12, &et, 2);
	p += 14;
	ip.version = 4;
	ip.ihl = 5;
	ip.ttl = 64;
	ip.protocol = IPPROTO_UDP;
	ip.tot_len = htons((uint16_t)(20 + 8 + payload));
	ip.saddr = htonl(0x0a4d0001);
	ip.daddr = htonl(0x0a4d0002);
	ip.check = csum_fold(csum_partial(&ip, 20, 0));
	memcpy(p, &ip, 20);
	p += 20;
	uh.source = htons(4000);
	uh.dest = htons(4001);
	uh.len = htons((uint16_t)(8 + payload));
	memcpy(p, &uh, 8);
	p += 8;
	memset(p, 0x5a, payload);
	seq = htonl(seq);
	memcpy(p, &seq, 4);
	return (size_t)(p - b) + payload;
}

static int send_frame(int port, const uint8_t *b, size_t len)
{
	return send(psock[port], b, len, 0) == (ssize_t)len ? 0 : -errno;
}

/* Next frame on @port within @ms, vnet header included; 0 if none. */
static size_t recv_frame(int port, uint8_t *b, size_t cap, int ms)
{
	struct pollfd pfd = { .fd = psock[port], .events = POLLIN };
	ssize_t n;

	if (poll(&pfd, 1, ms) <= 0)
		return 0;
	n = recv(psock[port], b, cap, 0);
	return n > 0 ? (size_t)n : 0;
}

static void drain(void)
{
	static uint8_t b[70000];
	int i;

	for (i = 0; i < NPORTS; i++)
		while (recv_frame(i, b, sizeof(b), 20))
			;
}

/* Count frames on @port from @src MAC within @ms. */
static unsigned count_from(int port, const uint8_t *src, int ms)
{
	static uint8_t b[70000];
	unsigned n = 0;
	size_t len;

	while ((len = recv_frame(port, b, sizeof(b), ms)))
		if (len >= 10 + 14 && !memcmp(b + 10 + 6, src, 6))
			n++;
	return n;
}

static uint64_t port_drops(int port, unsigned reason)
{
	struct vnet_port_info pi;

	if (vnet_port_get(sw, names[port], &pi))
		return 0;
	return pi.stats.drops[reason];
}

/* ---- tests ----------------------------------------------------------- */

/* PACKET_VNET_HDR puts the 10-byte legacy virtio_net_hdr first. */
#define PVH 10

static void test_flood_and_learn(void)
{
	uint8_t b[2048];
	size_t len;

	drain();
	/* Broadcast from A reaches B and C, not D (other network). */
	len = build_udp(b, bcast, mac[0], 1, 64);
	CU_ASSERT_FATAL(send_frame(0, b, len) == 0);
	CU_ASSERT(count_from(1, mac[0], 200) == 1);
	CU_ASSERT(count_from(2, mac[0], 200) == 1);
	CU_ASSERT(count_from(3, mac[0], 200) == 0);

	/* A's address is learned: a unicast to it from B reaches only A. */
	len = build_udp(b, mac[0], mac[1], 2, 64);
	CU_ASSERT_FATAL(send_frame(1, b, len) == 0);
	CU_ASSERT(count_from(0, mac[1], 200) == 1);
	CU_ASSERT(count_from(2, mac[1], 100) == 0);
	CU_ASSERT(count_from(3, mac[1], 100) == 0);

	/* Unknown unicast floods within the network only. */
	{
		static const uint8_t nobody[6] = { 2, 9, 9, 9, 9, 9 };

		len = build_udp(b, nobody, mac[2], 3, 64);
		CU_ASSERT_FATAL(send_frame(2, b, len) == 0);
		CU_ASSERT(count_from(0, mac[2], 200) == 1);
		CU_ASSERT(count_from(1, mac[2], 200) == 1);
		CU_ASSERT(count_from(3, mac[2], 100) == 0);
	}
}

struct fdb_seen {
	bool a_on_a;
	bool d_anywhere_but_other;
};

static void fdb_row(const struct vnet_fdb_row *r, void *ctx)
{
	struct fdb_seen *s = ctx;

	if (!memcmp(r->mac, mac[0], 6) && !strcmp(r->port, names[0]) &&
	    !strcmp(r->network, "default"))
		s->a_on_a = true;
	if (!memcmp(r->mac, mac[3], 6) && strcmp(r->network, "other"))
		s->d_anywhere_but_other = true;
}

static void test_fdb_contents(void)
{
	struct fdb_seen s = { 0 };
	uint8_t b[2048];
	size_t len;

	len = build_udp(b, bcast, mac[3], 9, 64);
	CU_ASSERT_FATAL(send_frame(3, b, len) == 0);
	CU_ASSERT(count_from(0, mac[3], 150) == 0);
	vnet_fdb_foreach(sw, NULL, fdb_row, &s);
	CU_ASSERT(s.a_on_a);
	CU_ASSERT(!s.d_anywhere_but_other);
}

static void test_malformed_counted(void)
{
	static const uint8_t mcast_src[6] = { 0x03, 0, 0, 0, 0, 1 };
	uint64_t before = port_drops(0, FRAME_DROP_SRC_MAC);
	uint64_t before_l3 = port_drops(0, FRAME_DROP_L3);
	uint8_t b[2048];
	size_t len;

	drain();
	len = build_udp(b, bcast, mcast_src, 1, 64);
	CU_ASSERT_FATAL(send_frame(0, b, len) == 0);
	CU_ASSERT(count_from(1, mcast_src, 200) == 0);
	CU_ASSERT(port_drops(0, FRAME_DROP_SRC_MAC) == before + 1);

	/* IPv4 header claiming more bytes than the frame has. */
	len = build_udp(b, bcast, mac[0], 1, 64);
	b[PVH + 14 + 2] = 0x05; /* tot_len = 0x05xx > frame */
	CU_ASSERT_FATAL(send_frame(0, b, len) == 0);
	CU_ASSERT(count_from(1, mac[0], 200) == 0);
	CU_ASSERT(port_drops(0, FRAME_DROP_L3) == before_l3 + 1);
}

/* Reserved group addresses: :01-:0f end at the switch, as at a Linux
 * bridge (counted, not forwarded); :00, the spanning tree's, floods. */
static void test_link_local_kept(void)
{
	uint8_t dst[6] = { 0x01, 0x80, 0xc2, 0x00, 0x00, 0x00 };
	static const uint8_t last[] = { 0x01, 0x02, 0x03, 0x0e, 0x0f };
	uint64_t before = port_drops(0, VNET_DROP_LINK_LOCAL);
	uint8_t b[2048];
	size_t len, i;

	drain();
	for (i = 0; i < sizeof(last); i++) {
		dst[5] = last[i];
		len = build_udp(b, dst, mac[0], 1, 64);
		CU_ASSERT_FATAL(send_frame(0, b, len) == 0);
	}
	CU_ASSERT(count_from(1, mac[0], 200) == 0);
	CU_ASSERT(count_from(2, mac[0], 100) == 0);
	CU_ASSERT(port_drops(0, VNET_DROP_LINK_LOCAL) == before + sizeof(last));

	dst[5] = 0x00;
	len = build_udp(b, dst, mac[0], 2, 64);
	CU_ASSERT_FATAL(send_frame(0, b, len) == 0);
	CU_ASSERT(count_from(1, mac[0], 200) == 1);
	CU_ASSERT(count_from(2, mac[0], 200) == 1);
	/* and :10 is no longer reserved */
	dst[5] = 0x10;
	len = build_udp(b, dst, mac[0], 3, 64);
	CU_ASSERT_FATAL(send_frame(0, b, len) == 0);
	CU_ASSERT(count_from(1, mac[0], 200) == 1);
	CU_ASSERT(port_drops(0, VNET_DROP_LINK_LOCAL) == before + sizeof(last));
}

static void test_mtu_enforced(void)
{
	static uint8_t b[4096];
	uint64_t before = port_drops(1, VNET_DROP_MTU);
	size_t len;

	drain();
	/* A may send jumbo frames, B (MTU 1500 in vstack) may not get them. */
	CU_ASSERT_FATAL(link_mtu(names[0], 9000) == 0);
	len = build_udp(b, mac[1], mac[0], 77, 3000);
	CU_ASSERT_FATAL(send_frame(0, b, len) == 0);
	CU_ASSERT(count_from(1, mac[0], 200) == 0);
	CU_ASSERT(port_drops(1, VNET_DROP_MTU) == before + 1);
	/* A full-sized 1500-byte packet still goes through. */
	len = build_udp(b, mac[1], mac[0], 78, 1500 - 28);
	CU_ASSERT_FATAL(send_frame(0, b, len) == 0);
	CU_ASSERT(count_from(1, mac[0], 200) == 1);
	CU_ASSERT(link_mtu(names[0], 1500) == 0);
}

static void test_order_kept(void)
{
	static uint8_t b[2048];
	uint32_t expect = 0, seq;
	unsigned i, got = 0;
	size_t len;

	drain();
	/* A learned B earlier; 2000 frames of one flow from B to A. */
	for (i = 0; i < 2000; i++) {
		len = build_udp(b, mac[0], mac[1], i, 200);
		if (send_frame(1, b, len))
			break;
		if (i % 64 == 63) /* stay within the TAP queue */
			usleep(1000);
	}
	while ((len = recv_frame(0, b, sizeof(b), 300))) {
		if (memcmp(b + PVH + 6, mac[1], 6))
			continue;
		memcpy(&seq, b + PVH + 14 + 20 + 8, 4);
		seq = ntohl(seq);
		/* Losses are possible on a loaded machine; reordering
		 * never is. */
		CU_ASSERT(seq >= expect);
		if (seq < expect)
			break;
		expect = seq + 1;
		got++;
	}
	if (got <= 1000)
		fprintf(stderr, "order_kept: only %u of 2000 arrived\n", got);
	CU_ASSERT(got > 1000);
}

/* A 60 KB TCP super-frame from A, as a kernel with TSO sends it. */
static size_t build_tso(uint8_t *b, const uint8_t *dst, size_t payload,
			uint16_t mss)
{
	struct virtio_net_hdr vh = { 0 };
	struct iphdr ip = { 0 };
	struct tcphdr th = { 0 };
	uint8_t *p = b + PVH;
	uint16_t et = htons(ETH_P_IP);
	uint32_t pseudo;
	size_t i;

	memcpy(p, dst, 6);
	memcpy(p + 6, mac[0], 6);
	memcpy(p + 12, &et, 2);
	ip.version = 4;
	ip.ihl = 5;
	ip.ttl = 64;
	ip.protocol = IPPROTO_TCP;
	ip.id = htons(100);
	ip.tot_len = htons((uint16_t)(20 + 20 + payload));
	ip.saddr = htonl(0x0a4d0001);
	ip.daddr = htonl(0x0a4d0003);
	ip.check = csum_fold(csum_partial(&ip, 20, 0));
	memcpy(p + 14, &ip, 20);
	th.source = htons(5000);
	th.dest = htons(5001);
	th.seq = htonl(1000);
	th.doff = 5;
	th.ack = 1;
	th.psh = 1;
	th.window = htons(1000);
	/* NEEDS_CSUM: the field holds the pseudo-header sum. */
	pseudo = csum_partial(&ip.saddr, 8, 0) + htons(IPPROTO_TCP) +
		 htons((uint16_t)(20 + payload));
	th.check = (uint16_t)~csum_fold(pseudo);
	memcpy(p + 34, &th, 20);
	for (i = 0; i < payload; i++)
		p[54 + i] = (uint8_t)(i * 13 + 7);

	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	vh.gso_size = mss;
	vh.hdr_len = 54;
	vh.csum_start = 34;
	vh.csum_offset = 16;
	memcpy(b, &vh, sizeof(vh));
	return PVH + 54 + payload;
}

static bool tcp_csum_ok(const uint8_t *ipp)
{
	struct iphdr ip;
	uint16_t tl;
	uint32_t sum;

	memcpy(&ip, ipp, 20);
	tl = (uint16_t)(ntohs(ip.tot_len) - 20);
	sum = csum_partial(&ip.saddr, 8, 0) + htons(IPPROTO_TCP) + htons(tl);
	sum = csum_partial(ipp + 20, tl, sum);
	return csum_fold(sum) == 0 || csum_fold(sum) == 0xffff;
}

/*
 * Bulk is held behind small frames, and what is held may wait for later
 * rounds (worker_reap): the frames of a flow must still leave in the order
 * they came, super-frames and small frames mixed. One TCP flow from A to
 * B: 100 times a 30 KB TSO frame and two small segments, each numbered in
 * its sequence field.
 */
static void test_order_kept_bulk(void)
{
	static uint8_t b[70000];
	uint32_t expect = 0, seq;
	unsigned i, got = 0, big = 0;
	size_t len;

	drain();
	for (i = 0; i < 300; i++) {
		len = build_tso(b, mac[1], i % 3 ? 100 : 30000, 1400);
		if (i % 3) { /* small: no segmentation asked */
			b[1] = VIRTIO_NET_HDR_GSO_NONE;
			memset(b + 4, 0, 2);
		}
		seq = htonl(i);
		memcpy(b + PVH + 14 + 20 + 4, &seq, 4);
		if (send_frame(0, b, len))
			break;
		if (i % 30 == 29) /* stay within the TAP queue */
			usleep(2000);
	}
	while ((len = recv_frame(1, b, sizeof(b), 300))) {
		const uint8_t *ipp = b + PVH + 14;

		if (len < PVH + 14 + 20 + 20 || memcmp(b + PVH + 6, mac[0], 6) ||
		    ipp[9] != IPPROTO_TCP)
			continue;
		memcpy(&seq, ipp + 24, 4);
		seq = ntohl(seq);
		CU_ASSERT(seq >= expect);
		if (seq < expect) {
			fprintf(stderr, "order_kept_bulk: %u after %u\n", seq,
				expect - 1);
			break;
		}
		expect = seq + 1;
		got++;
		big += len > 10000;
	}
	if (got <= 150 || big < 30)
		fprintf(stderr, "order_kept_bulk: %u of 300 arrived, %u big\n",
			got, big);
	CU_ASSERT(got > 150);
	CU_ASSERT(big >= 30);
}

static void test_tso_to_port_without_offload(void)
{
	static uint8_t b[70000], r[70000];
	const size_t payload = 60000;
	const uint16_t mss = 1448;
	size_t len, got_payload = 0;
	unsigned segs = 0, big_on_b = 0;
	uint32_t next_seq = 1000;

	drain();
	/* Destination unknown to the FDB: flooded to B (TSO) and C (none). */
	{
		static const uint8_t nobody[6] = { 2, 7, 7, 7, 7, 7 };

		len = build_tso(b, nobody, payload, mss);
	}
	CU_ASSERT_FATAL(send_frame(0, b, len) == 0);

	/* C gets MSS-sized frames, checksums complete, payload intact. */
	while ((len = recv_frame(2, r, sizeof(r), 300))) {
		const uint8_t *ipp = r + PVH + 14;
		struct iphdr ip;
		struct tcphdr th;
		size_t pl, i;

		if (memcmp(r + PVH + 6, mac[0], 6))
			continue;
		memcpy(&ip, ipp, 20);
		memcpy(&th, ipp + 20, 20);
		CU_ASSERT(csum_fold(csum_partial(ipp, 20, 0)) == 0 ||
			  csum_fold(csum_partial(ipp, 20, 0)) == 0xffff);
		CU_ASSERT(tcp_csum_ok(ipp));
		pl = ntohs(ip.tot_len) - 40u;
		CU_ASSERT(pl <= mss);
		CU_ASSERT(ntohl(th.seq) == next_seq);
		for (i = 0; i < pl; i++)
			if (ipp[40 + i] !=
			    (uint8_t)((got_payload + i) * 13 + 7))
				break;
		CU_ASSERT(i == pl);
		next_seq += (uint32_t)pl;
		got_payload += pl;
		segs++;
	}
	CU_ASSERT(segs == (payload + mss - 1) / mss);
	CU_ASSERT(got_payload == payload);

	/* B has TSO: it gets the super-frame as one. */
	while ((len = recv_frame(1, r, sizeof(r), 200)))
		if (!memcmp(r + PVH + 6, mac[0], 6) && len > PVH + 54 + 10000)
			big_on_b++;
	CU_ASSERT(big_on_b == 1);
}

static void test_port_del_removes_device(void)
{
	struct vnet_port_info pi;

	CU_ASSERT(vnet_port_get(sw, names[2], &pi) == 0);
	CU_ASSERT(pi.stats.rx_packets > 0);
	CU_ASSERT(pi.stats.tx_packets > 0);
	close(psock[2]);
	psock[2] = -1;
	CU_ASSERT(vnet_port_del(sw, names[2]) == 0);
	CU_ASSERT(if_nametoindex(names[2]) == 0);
	CU_ASSERT(vnet_port_get(sw, names[2], &pi) == -ENOENT);
	CU_ASSERT(vnet_port_del(sw, names[2]) == -ENOENT);
}

/*
 * One tenant's reads cannot hold the whole arena: a switch of its own with
 * 16 buffers (a tenant may hold 12) and up to 8 reads per queue; tenant 1
 * has three ports and floods all three, tenant 2 has one. Tenant 1 is
 * refused reads beyond its share (buffer_waits), tenant 2 is still read,
 * and once the flood is over each port holds exactly its one waiting read
 * again (the books balance).
 */
static void test_tenant_buffer_cap(void)
{
	static const uint8_t nobody[6] = { 2, 8, 8, 8, 8, 8 };
	struct vnet_tenant_stats t1, t2;
	struct vnet_port_info pi;
	struct vnet_config c;
	struct vnet *v = NULL;
	char nm[4][16], err[256];
	int s[4] = { -1, -1, -1, -1 };
	uint64_t rx0;
	uint8_t b[2048];
	unsigned i, k;
	size_t len;

	vnet_config_default(&c);
	c.workers = 1;
	c.arena_bufs = 16;
	c.reads_per_queue = 8;
	CU_ASSERT_FATAL(vnet_start(&c, &v, err, sizeof(err)) == 0);
	for (i = 0; i < 4; i++) {
		struct vnet_port_spec ps = { .name = nm[i], .network = "cap",
					     .offload = true,
					     .tenant = i < 3 ? 1 : 2 };

		s[i] = port_up(v, &ps, nm[i], 'b', (char)('a' + i));
		CU_ASSERT_FATAL(s[i] >= 0);
	}
	usleep(100000);

	/* A backlog on all three of tenant 1's queues: a rate cap (its
	 * bucket holds 128 KiB, a third of the burst) holds its reads back
	 * while the frames queue, then goes; every read that completes then
	 * asks for more. The frames go to their sender's own address
	 * (dropped as hairpins at once), so that no buffer is held by a
	 * write and only reads compete for them. */
	CU_ASSERT_FATAL(vnet_tenant_set(v, 1, 100, 8000) == 0);
	for (k = 0; k < 200; k++)
		for (i = 0; i < 3; i++) {
			len = build_udp(b, mac[i], mac[i], k, 1400);
			CU_ASSERT(send(s[i], b, len, 0) == (ssize_t)len);
		}
	usleep(100000);
	CU_ASSERT(vnet_tenant_get(v, 1, &t1) == 0);
	CU_ASSERT(t1.throttles > 0);
	CU_ASSERT(t1.packets < 600);
	/* a cap below a byte a second is a cap (1 byte/s), not none (0) */
	CU_ASSERT_FATAL(vnet_tenant_set(v, 1, 100, 7) == 0);
	CU_ASSERT_EQUAL(atomic_load(&v->tenant_rate[1]), 1);
	CU_ASSERT_FATAL(vnet_tenant_set(v, 1, 100, 0) == 0);
	usleep(500000);
	CU_ASSERT(vnet_tenant_get(v, 1, &t1) == 0);
	CU_ASSERT(t1.buffer_waits > 0);
	CU_ASSERT(t1.packets >= 600);

	/* Tenant 2 is read as ever */
	CU_ASSERT(vnet_port_get(v, nm[3], &pi) == 0);
	rx0 = pi.stats.rx_packets;
	for (k = 0; k < 5; k++) {
		len = build_udp(b, nobody, mac[3], k, 64);
		CU_ASSERT(send(s[3], b, len, 0) == (ssize_t)len);
	}
	usleep(200000);
	CU_ASSERT(vnet_port_get(v, nm[3], &pi) == 0);
	CU_ASSERT_EQUAL(pi.stats.rx_packets, rx0 + 5);

	/* Quiet again: one waiting read, one buffer, per port */
	CU_ASSERT(vnet_tenant_get(v, 1, &t1) == 0);
	CU_ASSERT(vnet_tenant_get(v, 2, &t2) == 0);
	CU_ASSERT_EQUAL(t1.buffers, 3);
	CU_ASSERT_EQUAL(t2.buffers, 1);
	CU_ASSERT_EQUAL(t2.buffer_waits, 0);

	for (i = 0; i < 4; i++)
		if (s[i] >= 0)
			close(s[i]);
	vnet_stop(v);
}

struct net_fdb {
	const char *name;
	struct fdb_stats fdb;
};

static void net_fdb(const struct vnet_network_info *n, void *ctx)
{
	struct net_fdb *nf = ctx;

	if (!strcmp(n->name, nf->name))
		nf->fdb = n->fdb;
}

/* A port at its share of the FDB (fdb_max) is not learned from, and
 * counted; the others' addresses are learned all the same and their
 * unicast does not reach it. */
static void test_fdb_port_limit(void)
{
	static const uint32_t four = 4;
	struct net_fdb nf = { .name = "lim" };
	struct vnet_port_info pi;
	struct vnet_config c;
	struct vnet *v = NULL;
	char nm[3][16], err[256];
	int s[3] = { -1, -1, -1 };
	uint8_t b[2048], src[6];
	static uint8_t rb[70000];
	unsigned i, k, to_a = 0, to_b = 0;
	size_t len;

	vnet_config_default(&c);
	c.workers = 1;
	c.arena_bufs = 64;
	CU_ASSERT_FATAL(vnet_start(&c, &v, err, sizeof(err)) == 0);
	for (i = 0; i < 3; i++) {
		/* a: the attacker, 4 addresses at most; b, c: defaults */
		struct vnet_port_spec ps = { .name = nm[i], .network = "lim",
					     .offload = true,
					     .fdb_max = i ? NULL : &four };

		s[i] = port_up(v, &ps, nm[i], 'l', (char)('a' + i));
		CU_ASSERT_FATAL(s[i] >= 0);
	}
	usleep(100000);

	for (k = 0; k < 20; k++) {
		uint8_t r[6] = { 0x02, 0xee, 0, 0, 0, (uint8_t)k };

		len = build_udp(b, bcast, r, k, 64);
		CU_ASSERT(send(s[0], b, len, 0) == (ssize_t)len);
	}
	memcpy(src, mac[1], 6);
	len = build_udp(b, bcast, src, 100, 64);
	CU_ASSERT(send(s[1], b, len, 0) == (ssize_t)len);
	usleep(200000);

	CU_ASSERT_FATAL(vnet_port_get(v, nm[0], &pi) == 0);
	CU_ASSERT_EQUAL(pi.fdb_max, 4);
	CU_ASSERT_EQUAL(pi.fdb_learned, 4);
	CU_ASSERT_EQUAL(pi.stats.fdb_full, 16);
	CU_ASSERT_EQUAL(pi.stats.rx_packets, 20); /* forwarded all the same */
	CU_ASSERT_FATAL(vnet_port_get(v, nm[1], &pi) == 0);
	CU_ASSERT_EQUAL(pi.fdb_max, c.fdb_port_max);
	CU_ASSERT_EQUAL(pi.fdb_learned, 1);
	vnet_network_foreach(v, net_fdb, &nf);
	CU_ASSERT_EQUAL(nf.fdb.port_full, 16);
	CU_ASSERT_EQUAL(nf.fdb.entries, 5);

	/* c to b: b's address was learned, a does not see it */
	for (i = 0; i < 3; i++)
		while (recv(s[i], rb, sizeof(rb), MSG_DONTWAIT) > 0)
			;
	len = build_udp(b, src, mac[2], 200, 64);
	CU_ASSERT(send(s[2], b, len, 0) == (ssize_t)len);
	usleep(200000);
	while (recv(s[0], rb, sizeof(rb), MSG_DONTWAIT) > 0)
		to_a++;
	while (recv(s[1], rb, sizeof(rb), MSG_DONTWAIT) > 0)
		to_b++;
	CU_ASSERT_EQUAL(to_a, 0);
	CU_ASSERT_EQUAL(to_b, 1);

	for (i = 0; i < 3; i++)
		if (s[i] >= 0)
			close(s[i]);
	vnet_stop(v);
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "flood_and_learn", test_flood_and_learn },
		{ "fdb_contents", test_fdb_contents },
		{ "malformed_counted", test_malformed_counted },
		{ "link_local_kept", test_link_local_kept },
		{ "mtu_enforced", test_mtu_enforced },
		{ "order_kept", test_order_kept },
		{ "order_kept_bulk", test_order_kept_bulk },
		{ "tso_to_port_without_offload",
		  test_tso_to_port_without_offload },
		{ "port_del_removes_device", test_port_del_removes_device },
		{ "tenant_buffer_cap", test_tenant_buffer_cap },
		{ "fdb_port_limit", test_fdb_port_limit },
	};

	if (geteuid() != 0 || access("/dev/net/tun", R_OK | W_OK)) {
		fprintf(stderr, "skipped: needs root and /dev/net/tun\n");
		return 77;
	}
	return cunit_run("switch", tests, sizeof(tests) / sizeof(tests[0]),
			 suite_init, suite_clean);
}
