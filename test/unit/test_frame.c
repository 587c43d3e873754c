// SPDX-License-Identifier: MIT
/*
 * test_frame.c - CUnit suite for frame_parse()
 *
 * Frames are built by hand with tb_build() from a small description, then
 * broken one field or one byte at a time: every drop reason, every
 * truncation boundary, VLAN tags, IPv6 extension headers and the offload
 * requests the switch must accept or refuse.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <linux/if_ether.h>
#include <linux/virtio_net.h>
#include <netinet/in.h>

#include "frame.h"

#include "../lib/cunit_run.h"
#include "../lib/frame_builder.h"

static uint8_t buf[TB_CAP];

/**
 * parse() - run frame_parse() on the test buffer
 * @len:	bytes of it
 * @fi:		result
 *
 * Return: frame_parse() result
 */
static enum frame_drop parse(size_t len, struct frame_info *fi)
{
	return frame_parse(buf, len, fi);
}

static const struct tb_spec tcp4 = {
	.l3 = 4, .proto = IPPROTO_TCP, .payload = 100, .tcp_flags = 0x18};
static const struct tb_spec tcp6 = {
	.l3 = 6, .proto = IPPROTO_TCP, .payload = 100, .tcp_flags = 0x18};
static const struct tb_spec udp4 = {
	.l3 = 4, .proto = IPPROTO_UDP, .payload = 100};
static const struct tb_spec udp6 = {
	.l3 = 6, .proto = IPPROTO_UDP, .payload = 100};
static const struct tb_spec arp = {.l3 = 0};

/**
 * test_drop_names() - frame_drop_name() strings
 */
static void test_drop_names(void)
{
	static const char *const want[] = {"ok",      "short",	    "long",
					   "src_mac", "vnet_flags", "csum",
					   "gso",     "l3",	    "l4",
					   "ip_csum"};
	unsigned i;

	CU_ASSERT_EQUAL(sizeof(want) / sizeof(want[0]), FRAME_DROP__COUNT);
	for (i = 0; i < FRAME_DROP__COUNT; i++)
		CU_ASSERT_STRING_EQUAL(frame_drop_name(i), want[i]);
	CU_ASSERT_STRING_EQUAL(frame_drop_name(FRAME_DROP__COUNT), "unknown");
	CU_ASSERT_STRING_EQUAL(frame_drop_name((enum frame_drop) - 1),
			       "unknown");
}

/**
 * test_short() - shorter than vnet + Ethernet header
 */
static void test_short(void)
{
	struct frame_info fi;
	struct tb_frame f;
	size_t l;

	tb_build(buf, &arp, &f);
	for (l = 0; l < VNET_HDR_LEN + ETH_HLEN_MIN; l++)
		CU_ASSERT_EQUAL(parse(l, &fi), FRAME_DROP_SHORT);
	/* exactly an Ethernet header: ARP without its body is dropped... */
	CU_ASSERT_EQUAL(parse(VNET_HDR_LEN + ETH_HLEN_MIN, &fi), FRAME_DROP_L3);
	/* ... an ethertype we do not know is forwarded as it is */
	tb_be16(f.eth + 12, 0x88b5); /* IEEE 802 local experimental */
	CU_ASSERT_EQUAL(parse(VNET_HDR_LEN + ETH_HLEN_MIN, &fi), FRAME_OK);
	CU_ASSERT_EQUAL(fi.l3, 0);
	CU_ASSERT_EQUAL(fi.eth_len, ETH_HLEN_MIN);
	CU_ASSERT_EQUAL(fi.ethertype, 0x88b5);
	tb_be16(f.eth + 12, ETH_P_ARP);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	CU_ASSERT_EQUAL(fi.l3_off, 14);
	CU_ASSERT_EQUAL(fi.l4_off, 0);
	CU_ASSERT_EQUAL(frame_parse(NULL, 0, &fi), FRAME_DROP_SHORT);
}

/**
 * test_long() - longer than FRAME_MAX_LEN
 */
static void test_long(void)
{
	struct frame_info fi;
	struct tb_frame f;

	tb_build(buf, &arp, &f);
	CU_ASSERT_EQUAL(parse(VNET_HDR_LEN + FRAME_MAX_LEN, &fi), FRAME_OK);
	CU_ASSERT_EQUAL(fi.eth_len, FRAME_MAX_LEN);
	CU_ASSERT_EQUAL(parse(VNET_HDR_LEN + FRAME_MAX_LEN + 1, &fi),
			FRAME_DROP_LONG);
	CU_ASSERT_EQUAL(parse(TB_CAP, &fi), FRAME_DROP_LONG);
}

/**
 * test_src_mac() - group or zero source MAC
 */
static void test_src_mac(void)
{
	static const uint8_t bad[][6] = {
		{0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01},
		{0x33, 0x33, 0x00, 0x00, 0x00, 0x01},
		{0x03, 0x00, 0x00, 0x00, 0x00, 0x00},
		{0, 0, 0, 0, 0, 0},
	};
	static const uint8_t good[6] = {0x02, 0, 0, 0, 0, 0};
	struct frame_info fi;
	struct tb_frame f;
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tb_build(buf, &tcp4, &f);
		memcpy(f.eth + 6, bad[i], 6);
		CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_SRC_MAC);
	}
	memcpy(f.eth + 6, good, 6);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	/* multicast destination is fine */
	memset(f.eth, 0xff, 6);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
}

/**
 * test_vnet_flags() - unknown vnet header flags
 */
static void test_vnet_flags(void)
{
	struct frame_info fi;
	struct tb_frame f;
	unsigned bit;

	tb_build(buf, &tcp4, &f);
	buf[0] = VIRTIO_NET_HDR_F_DATA_VALID;
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	CU_ASSERT_FALSE(fi.needs_csum);
	for (bit = 2; bit < 8; bit++) {
		buf[0] = (uint8_t)(1 << bit);
		CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_VNET_FLAGS);
	}
}

/**
 * test_vlan() - one 802.1Q/802.1ad tag
 */
static void test_vlan(void)
{
	struct tb_spec s = tcp4;
	struct frame_info fi;
	struct tb_frame f;
	size_t l;

	s.vlan = ETH_P_8021Q;
	tb_build(buf, &s, &f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	CU_ASSERT_EQUAL(fi.l3_off, 18);
	CU_ASSERT_EQUAL(fi.ethertype, ETH_P_IP);
	CU_ASSERT_EQUAL(fi.l3, 4);
	CU_ASSERT_EQUAL(fi.l4_off, 38);
	CU_ASSERT_EQUAL(fi.l4_proto, IPPROTO_TCP);
	CU_ASSERT_EQUAL(fi.l4_hlen, 20);

	s.vlan = ETH_P_8021AD;
	s.l3 = 6;
	s.csum = true;
	tb_build(buf, &s, &f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	CU_ASSERT_EQUAL(fi.l3_off, 18);
	CU_ASSERT_EQUAL(fi.l3, 6);
	CU_ASSERT_EQUAL(fi.l4_off, 58);
	CU_ASSERT_TRUE(fi.needs_csum);

	/* a tag cut short */
	for (l = VNET_HDR_LEN + 14; l < VNET_HDR_LEN + 18; l++)
		CU_ASSERT_EQUAL(parse(l, &fi), FRAME_DROP_SHORT);
	CU_ASSERT_EQUAL(parse(VNET_HDR_LEN + 18, &fi), FRAME_DROP_L3);

	/* a second tag is just an ethertype we do not look into */
	s = tcp4;
	s.vlan = ETH_P_8021AD;
	tb_build(buf, &s, &f);
	tb_be16(f.eth + 16, ETH_P_8021Q);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	CU_ASSERT_EQUAL(fi.ethertype, ETH_P_8021Q);
	CU_ASSERT_EQUAL(fi.l3, 0);
	CU_ASSERT_EQUAL(fi.l4_off, 0);
}

/**
 * test_ipv4_ok() - IPv4 with options and padding accepted
 */
static void test_ipv4_ok(void)
{
	struct tb_spec s = tcp4;
	struct frame_info fi;
	struct tb_frame f;

	tb_build(buf, &s, &f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	CU_ASSERT_EQUAL(fi.eth_len, f.len - VNET_HDR_LEN);
	CU_ASSERT_EQUAL(fi.l3_off, 14);
	CU_ASSERT_EQUAL(fi.ethertype, ETH_P_IP);
	CU_ASSERT_EQUAL(fi.l3, 4);
	CU_ASSERT_EQUAL(fi.l4_off, 34);
	CU_ASSERT_EQUAL(fi.l4_proto, IPPROTO_TCP);
	CU_ASSERT_EQUAL(fi.l4_hlen, 20);
	CU_ASSERT_EQUAL(fi.gso_type, 0);
	CU_ASSERT_FALSE(fi.needs_csum);

	/* options and TCP options, Ethernet padding after the packet */
	s.ip_opts = 8;
	s.tcp_opts = 12;
	s.pad = 30;
	tb_build(buf, &s, &f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	CU_ASSERT_EQUAL(fi.l4_off, 42);
	CU_ASSERT_EQUAL(fi.l4_hlen, 32);

	/* the smallest frame: padding to 60 bytes */
	s = udp4;
	s.payload = 0;
	s.pad = 60 - 42;
	tb_build(buf, &s, &f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	CU_ASSERT_EQUAL(fi.l4_proto, IPPROTO_UDP);
	CU_ASSERT_EQUAL(fi.l4_hlen, 8);

	/* other protocols: L4 offset recorded, no header length */
	s = tcp4;
	s.proto = IPPROTO_ICMP;
	tb_build(buf, &s, &f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	CU_ASSERT_EQUAL(fi.l4_proto, IPPROTO_ICMP);
	CU_ASSERT_EQUAL(fi.l4_off, 34);
	CU_ASSERT_EQUAL(fi.l4_hlen, 0);
}

/**
 * test_ipv4_bad() - IPv4 header and length errors
 */
static void test_ipv4_bad(void)
{
	uint8_t save[40];
	struct frame_info fi;
	struct tb_frame f;
	uint8_t *ip;
	size_t l;

	tb_build(buf, &tcp4, &f);
	ip = f.eth + f.l3_off;

	/* every cut inside the 20-byte header */
	for (l = f.l3_off; l < f.l3_off + 20U; l++)
		CU_ASSERT_EQUAL(parse(VNET_HDR_LEN + l, &fi), FRAME_DROP_L3);
	/* cut after the header: total length beyond the frame */
	for (l = f.l3_off + 20U; l < f.ip_end; l++)
		CU_ASSERT_EQUAL(parse(VNET_HDR_LEN + l, &fi), FRAME_DROP_L3);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);

	ip[0] = 0x55; /* version 5 */
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_L3);
	ip[0] = 0x44; /* ihl 4 */
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_L3);
	ip[0] = 0x40;
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_L3);
	ip[0] = 0x4f; /* 60 bytes of header: fits in the frame... */
	memcpy(save, ip + 20, sizeof(save));
	memset(ip + 20, 1, sizeof(save)); /* (options: No Operation) */
	tb_ip4_csum(&f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	tb_be16(ip + 2, 56); /* ... but not in the total length */
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_L3);
	memcpy(ip + 20, save, sizeof(save));
	tb_be16(ip + 2, (uint16_t)(f.ip_end - f.l3_off));
	ip[0] = 0x45;

	tb_be16(ip + 2, 19); /* tot_len below the header */
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_L3);
	tb_be16(ip + 2, 0); /* BIG TCP style: no length */
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_L3);
	tb_be16(ip + 2, (uint16_t)(f.ip_end - f.l3_off + 1));
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_L3);
	/* shorter total length: the rest is padding, TCP still fits */
	tb_be16(ip + 2, 40);
	tb_ip4_csum(&f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	CU_ASSERT_EQUAL(fi.l4_hlen, 20);
	/* ihl beyond a tiny frame */
	tb_be16(ip + 2, 20);
	ip[0] = 0x46;
	CU_ASSERT_EQUAL(parse(VNET_HDR_LEN + f.l3_off + 23U, &fi),
			FRAME_DROP_L3);
}

/**
 * test_ipv4_frag() - IPv4 fragments carry L4 only at offset 0
 */
static void test_ipv4_frag(void)
{
	struct tb_spec s = udp4;
	struct frame_info fi;
	struct tb_frame f;
	uint8_t *ip;

	tb_build(buf, &s, &f);
	ip = f.eth + f.l3_off;

	/* first fragment: the UDP header is there */
	tb_be16(ip + 6, 0x2000);
	tb_ip4_csum(&f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	CU_ASSERT_EQUAL(fi.l4_off, 34);
	CU_ASSERT_EQUAL(fi.l4_proto, IPPROTO_UDP);

	/* later fragments: none, whatever the first bytes look like */
	tb_be16(ip + 6, 0x2000 | 185);
	tb_ip4_csum(&f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	CU_ASSERT_EQUAL(fi.l4_off, 0);
	CU_ASSERT_EQUAL(fi.l4_proto, 0);
	CU_ASSERT_EQUAL(fi.l4_hlen, 0);
	tb_be16(ip + 6, 185);
	tb_ip4_csum(&f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	CU_ASSERT_EQUAL(fi.l4_off, 0);

	/* a later fragment has no L4 checksum to complete */
	buf[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	tb_le16(buf + 6, 34);
	tb_le16(buf + 8, 6);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_CSUM);
}

/**
 * test_ipv6_ok() - IPv6 extension headers walked
 */
static void test_ipv6_ok(void)
{
	static const uint8_t ext[] = {IPPROTO_HOPOPTS, IPPROTO_DSTOPTS,
				      IPPROTO_ROUTING, IPPROTO_FRAGMENT,
				      IPPROTO_DSTOPTS};
	struct tb_spec s = tcp6;
	struct frame_info fi;
	struct tb_frame f;

	tb_build(buf, &s, &f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	CU_ASSERT_EQUAL(fi.ethertype, ETH_P_IPV6);
	CU_ASSERT_EQUAL(fi.l3, 6);
	CU_ASSERT_EQUAL(fi.l4_off, 54);
	CU_ASSERT_EQUAL(fi.l4_proto, IPPROTO_TCP);
	CU_ASSERT_EQUAL(fi.l4_hlen, 20);

	s.ext6 = ext;
	s.n_ext6 = sizeof(ext);
	tb_build(buf, &s, &f);
	CU_ASSERT_EQUAL(f.l4_off, 54 + 40);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	CU_ASSERT_EQUAL(fi.l4_off, 94);
	CU_ASSERT_EQUAL(fi.l4_proto, IPPROTO_TCP);

	/* a longer destination options header (hdr ext len 2: 24 bytes) */
	s = udp6;
	s.ext6 = ext + 1;
	s.n_ext6 = 1;
	s.payload = 100;
	tb_build(buf, &s, &f);
	f.eth[54 + 1] = 2;
	tb_be16(f.eth + 54 + 24 + 4, (uint16_t)(f.ip_end - (54 + 24)));
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	CU_ASSERT_EQUAL(fi.l4_off, 54 + 24);
	CU_ASSERT_EQUAL(fi.l4_proto, IPPROTO_UDP);

	/* later fragment: no L4 */
	s = udp6;
	s.ext6 = ext + 3;
	s.n_ext6 = 1;
	tb_build(buf, &s, &f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	CU_ASSERT_EQUAL(fi.l4_off, 62);
	tb_be16(f.eth + 54 + 2, 100 << 3);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	CU_ASSERT_EQUAL(fi.l4_off, 0);
	CU_ASSERT_EQUAL(fi.l4_proto, 0);
	CU_ASSERT_FALSE(fi.l4_unknown); /* there is none to find */

	/* no next header, empty payload */
	s = udp6;
	s.proto = IPPROTO_NONE;
	s.payload = 0;
	s.pad = 6;
	tb_build(buf, &s, &f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	CU_ASSERT_EQUAL(fi.l3, 6);
	CU_ASSERT_EQUAL(fi.l4_proto, IPPROTO_NONE);
	CU_ASSERT_EQUAL(fi.l4_off, 54);
}

/**
 * test_ipv6_long_chain() - IPv6 extension chain bound
 */
static void test_ipv6_long_chain(void)
{
	static const uint8_t ext[] = {
		IPPROTO_DSTOPTS, IPPROTO_DSTOPTS, IPPROTO_DSTOPTS,
		IPPROTO_DSTOPTS, IPPROTO_DSTOPTS, IPPROTO_DSTOPTS,
		IPPROTO_DSTOPTS, IPPROTO_DSTOPTS, IPPROTO_DSTOPTS};
	struct tb_spec s = tcp6;
	struct frame_info fi;
	struct tb_frame f;

	s.ext6 = ext;
	s.n_ext6 = 8;
	tb_build(buf, &s, &f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	CU_ASSERT_EQUAL(fi.l4_off, 54 + 64);
	CU_ASSERT_FALSE(fi.l4_unknown);

	/* beyond the bound: forwarded without L4, saying so (portsec) */
	s.n_ext6 = 9;
	tb_build(buf, &s, &f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	CU_ASSERT_EQUAL(fi.l4_off, 0);
	CU_ASSERT_TRUE(fi.l4_unknown);
	/* ... and refused where an offload needs the L4 header */
	s.csum = true;
	s.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	s.gso_size = 1000;
	tb_build(buf, &s, &f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_GSO);
}

/**
 * test_ipv6_bad() - IPv6 header and extension errors
 */
static void test_ipv6_bad(void)
{
	static const uint8_t ext[] = {IPPROTO_DSTOPTS, IPPROTO_HOPOPTS};
	struct tb_spec s = tcp6;
	struct frame_info fi;
	struct tb_frame f;
	uint8_t *ip;
	size_t l;

	tb_build(buf, &s, &f);
	ip = f.eth + f.l3_off;
	for (l = f.l3_off; l < f.ip_end; l++)
		CU_ASSERT_EQUAL(parse(VNET_HDR_LEN + l, &fi), FRAME_DROP_L3);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);

	ip[0] = 0x40;
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_L3);
	ip[0] = 0x60;
	tb_be16(ip + 4, 0); /* jumbogram */
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_L3);
	tb_be16(ip + 4, (uint16_t)(f.ip_end - 54 + 1));
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_L3);

	/* hop-by-hop anywhere but first */
	s.ext6 = ext;
	s.n_ext6 = 2;
	tb_build(buf, &s, &f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_L3);

	/* extension header running past the payload */
	s.n_ext6 = 1;
	tb_build(buf, &s, &f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	f.eth[54 + 1] = 20;
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_L3);

	/* payload ending inside an extension header */
	f.eth[54 + 1] = 0;
	for (l = 1; l < 8; l++) {
		tb_be16(f.eth + 18, (uint16_t)l);
		CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_L3);
	}
	/* ... and inside a fragment header */
	s.ext6 = (const uint8_t[]){IPPROTO_FRAGMENT};
	tb_build(buf, &s, &f);
	for (l = 1; l < 8; l++) {
		tb_be16(f.eth + 18, (uint16_t)l);
		CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_L3);
	}
}

/**
 * check_l4_cuts() - truncate the L4 header at every length
 * @base:	frame description, TCP or UDP
 * @hlen:	L4 header length
 *
 * A short header is an L4 drop, with an offload request or without.
 */
static void check_l4_cuts(const struct tb_spec *base, uint32_t hlen)
{
	struct tb_spec s = *base;
	struct frame_info fi;
	struct tb_frame f;
	uint32_t l, ip_len;
	uint8_t *ip;

	for (l = 0; l < hlen; l++) {
		s.csum = false;
		tb_build(buf, &s, &f);
		ip = f.eth + f.l3_off;
		ip_len = f.l4_off - f.l3_off + l;
		if (s.l3 == 4) {
			tb_be16(ip + 2, (uint16_t)ip_len);
			tb_ip4_csum(&f);
		} else {
			tb_be16(ip + 4, (uint16_t)(ip_len - 40));
			if (!l) /* empty payload and next header TCP: bad IPv6
				 */
				continue;
		}
		CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_L4);

		buf[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		tb_le16(buf + 6, f.l4_off);
		tb_le16(buf + 8, 0);
		CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_L4);
	}
}

/**
 * test_l4_truncated() - truncated TCP/UDP, with and without offload
 */
static void test_l4_truncated(void)
{
	check_l4_cuts(&tcp4, 20);
	check_l4_cuts(&tcp6, 20);
	check_l4_cuts(&udp4, 8);
	check_l4_cuts(&udp6, 8);
}

/**
 * test_tcp_doff() - every TCP data offset
 */
static void test_tcp_doff(void)
{
	struct tb_spec s = tcp4;
	struct frame_info fi;
	struct tb_frame f;
	unsigned doff;

	s.payload = 20;
	for (doff = 0; doff < 16; doff++) {
		s.csum = false;
		tb_build(buf, &s, &f);
		f.eth[f.l4_off + 12] = (uint8_t)(doff << 4);
		/* 20 header + 20 payload: offsets 5..10 fit */
		if (doff >= 5 && doff <= 10) {
			CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
			CU_ASSERT_EQUAL(fi.l4_off, 34);
			CU_ASSERT_EQUAL(fi.l4_hlen, doff * 4);
		} else {
			CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_L4);
		}
		s.csum = true;
		tb_build(buf, &s, &f);
		f.eth[f.l4_off + 12] = (uint8_t)(doff << 4);
		CU_ASSERT_EQUAL(parse(f.len, &fi), doff >= 5 && doff <= 10
							   ? FRAME_OK
							   : FRAME_DROP_L4);
	}
}

/**
 * test_csum() - NEEDS_CSUM start and offset bounds
 */
static void test_csum(void)
{
	struct tb_spec s = tcp4;
	struct frame_info fi;
	struct tb_frame f;

	s.csum = true;
	s.pad = 10;
	tb_build(buf, &s, &f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	CU_ASSERT_TRUE(fi.needs_csum);
	CU_ASSERT_EQUAL(fi.csum_start, 34);
	CU_ASSERT_EQUAL(fi.csum_offset, 16);

	/* start before L3 */
	tb_le16(buf + 6, 13);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_CSUM);
	tb_le16(buf + 6, 0);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_CSUM);
	/* in the payload (a tunnel's inner checksum), up to the very end of
	 * the IP packet: fine */
	tb_le16(buf + 6, 54);
	tb_le16(buf + 8, (uint16_t)(f.ip_end - 54 - 2));
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	/* one further and it is in the padding */
	tb_le16(buf + 8, (uint16_t)(f.ip_end - 54 - 1));
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_CSUM);
	/* Completing it writes two bytes the tenant picks: nowhere a check
	 * has looked. Not in the IP header (addresses), not in the TCP
	 * header but at its checksum (ports, data offset). */
	tb_le16(buf + 8, 0);
	for (unsigned at = 14; at < 54; at++) {
		if (at == 34 + 16)
			continue;
		tb_le16(buf + 6, (uint16_t)at);
		CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_CSUM);
		tb_le16(buf + 6, 14);
		tb_le16(buf + 8, (uint16_t)(at - 14));
		CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_CSUM);
		tb_le16(buf + 8, 0);
	}
	tb_le16(buf + 6, 34);
	tb_le16(buf + 8, 16);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	/* UDP: its checksum is at 6 */
	s = udp4;
	s.csum = true;
	tb_build(buf, &s, &f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	CU_ASSERT_EQUAL(fi.csum_offset, 6);
	tb_le16(buf + 8, 0); /* the source port */
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_CSUM);
	tb_le16(buf + 8, 2); /* the destination port */
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_CSUM);
	/* ICMPv6 (neighbour discovery, which port security reads): never */
	s = (struct tb_spec){.l3 = 6, .proto = IPPROTO_ICMPV6, .payload = 24};
	tb_build(buf, &s, &f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	buf[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	tb_le16(buf + 6, 54);
	tb_le16(buf + 8, 2);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_CSUM);
	s = tcp4;
	s.csum = true;
	s.pad = 10;
	tb_build(buf, &s, &f);
	tb_le16(buf + 8, 0xffff);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_CSUM);
	tb_le16(buf + 6, 0xffff);
	tb_le16(buf + 8, 0);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_CSUM);

	/* VLAN: the start must be past the tag */
	s.vlan = ETH_P_8021Q;
	tb_build(buf, &s, &f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	tb_le16(buf + 6, 14);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_CSUM);

	/* ARP has no checksum: completing one would rewrite the sender's
	 * addresses after port security passed them */
	tb_build(buf, &arp, &f);
	buf[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	tb_le16(buf + 6, 28);
	tb_le16(buf + 8, 0);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_CSUM);
	/* another ethertype: bounded by the frame */
	tb_build(buf, &arp, &f);
	tb_be16(f.eth + 12, 0x88b5); /* local experimental */
	buf[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	tb_le16(buf + 6, 20);
	tb_le16(buf + 8, 20);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	CU_ASSERT_TRUE(fi.needs_csum);
	tb_le16(buf + 8, 21);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_CSUM);
	/* ... and starting no earlier than Linux takes it, 20 bytes into
	 * the frame (an IPv4 header's length): a destination's tun would
	 * refuse the write */
	tb_le16(buf + 8, 0);
	for (unsigned at = 14; at < 20; at++) {
		tb_le16(buf + 6, (uint16_t)at);
		CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_CSUM);
	}
	s = (struct tb_spec){.vlan = ETH_P_8021Q};
	tb_build(buf, &s, &f);
	tb_be16(f.eth + 16, 0x88b5);
	buf[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	tb_le16(buf + 6, 18);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_CSUM);
	tb_le16(buf + 6, 20);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
}

/**
 * gso_spec() - a valid GSO frame description
 * @type:	VIRTIO_NET_HDR_GSO_*
 * @l3:		4 or 6
 *
 * Return: description of a 4000-byte super-frame with 1000-byte segments
 */
static struct tb_spec gso_spec(uint8_t type, uint8_t l3)
{
	struct tb_spec s = {.l3 = l3,
			    .payload = 4000,
			    .gso_type = type,
			    .gso_size = 1000,
			    .csum = true};

	s.proto = (type == VIRTIO_NET_HDR_GSO_TCPV4 ||
		   type == VIRTIO_NET_HDR_GSO_TCPV6)
			  ? IPPROTO_TCP
			  : IPPROTO_UDP;
	return s;
}

/**
 * test_gso_ok() - valid TSO/USO/UFO accepted
 */
static void test_gso_ok(void)
{
	static const struct {
		uint8_t type, l3;
	} ok[] = {
		{VIRTIO_NET_HDR_GSO_TCPV4, 4},	{VIRTIO_NET_HDR_GSO_TCPV6, 6},
		{VIRTIO_NET_HDR_GSO_UDP, 4},	{VIRTIO_NET_HDR_GSO_UDP_L4, 4},
		{VIRTIO_NET_HDR_GSO_UDP_L4, 6},
	};
	struct frame_info fi;
	struct tb_spec s;
	struct tb_frame f;
	unsigned i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		s = gso_spec(ok[i].type, ok[i].l3);
		tb_build(buf, &s, &f);
		CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
		CU_ASSERT_EQUAL(fi.gso_type, ok[i].type);
		CU_ASSERT_EQUAL(fi.gso_size, 1000);
		CU_ASSERT_FALSE(fi.gso_ecn);
		CU_ASSERT_EQUAL(fi.l3, ok[i].l3);
		CU_ASSERT_EQUAL(fi.l4_off, f.l4_off);

		/* ECN bit is reported, not part of the type; USO takes
		 * none (Linux refuses SKB_GSO_UDP_L4 with anything else) */
		buf[1] |= VIRTIO_NET_HDR_GSO_ECN;
		if (ok[i].type == VIRTIO_NET_HDR_GSO_UDP_L4) {
			CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_GSO);
			buf[1] = ok[i].type;
		} else {
			CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
			CU_ASSERT_EQUAL(fi.gso_type, ok[i].type);
			CU_ASSERT_TRUE(fi.gso_ecn);
		}

		/* hdr_len is not trusted for anything */
		tb_le16(buf + 2, 0xffff);
		CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);

		/* VLAN tagged */
		s.vlan = ETH_P_8021Q;
		tb_build(buf, &s, &f);
		CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
		CU_ASSERT_EQUAL(fi.l4_off, f.l4_off);
	}

	/* ECN bit alone is not GSO */
	s = tcp4;
	tb_build(buf, &s, &f);
	buf[1] = VIRTIO_NET_HDR_GSO_ECN;
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	CU_ASSERT_EQUAL(fi.gso_type, 0);
	CU_ASSERT_FALSE(fi.gso_ecn);

	/* a super-frame of one segment is fine */
	s = gso_spec(VIRTIO_NET_HDR_GSO_TCPV4, 4);
	s.payload = 10;
	tb_build(buf, &s, &f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);

	/* largest segment size for these headers: 65535 - 20 - 20 */
	s.gso_size = 65495;
	tb_build(buf, &s, &f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	s.gso_size = 65496;
	tb_build(buf, &s, &f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_GSO);
	s = gso_spec(VIRTIO_NET_HDR_GSO_TCPV6, 6);
	s.gso_size = 65515;
	tb_build(buf, &s, &f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	s.gso_size = 65516;
	tb_build(buf, &s, &f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_GSO);
}

/**
 * expect_gso_drop() - build, tweak, expect FRAME_DROP_GSO
 * @s:		frame description
 * @at:		offset into the buffer to overwrite, or -1
 * @val:	byte to write there
 */
static void expect_gso_drop(const struct tb_spec *s, int at, uint8_t val)
{
	struct frame_info fi;
	struct tb_frame f;

	tb_build(buf, s, &f);
	if (at >= 0)
		buf[at] = val;
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_GSO);
}

/**
 * test_gso_bad() - GSO type, size and header mismatches
 */
static void test_gso_bad(void)
{
	struct tb_spec s;
	unsigned t;

	/* type and headers disagree */
	s = gso_spec(VIRTIO_NET_HDR_GSO_TCPV4, 6);
	expect_gso_drop(&s, -1, 0);
	s = gso_spec(VIRTIO_NET_HDR_GSO_TCPV6, 4);
	expect_gso_drop(&s, -1, 0);
	s = gso_spec(VIRTIO_NET_HDR_GSO_UDP, 6);
	expect_gso_drop(&s, -1, 0);
	s = gso_spec(VIRTIO_NET_HDR_GSO_TCPV4, 4);
	s.proto = IPPROTO_UDP;
	expect_gso_drop(&s, -1, 0);
	s = gso_spec(VIRTIO_NET_HDR_GSO_UDP_L4, 4);
	s.proto = IPPROTO_TCP;
	expect_gso_drop(&s, -1, 0);
	s = gso_spec(VIRTIO_NET_HDR_GSO_TCPV4, 4);
	s.proto = IPPROTO_ICMP;
	expect_gso_drop(&s, -1, 0);
	s = gso_spec(VIRTIO_NET_HDR_GSO_TCPV4, 0); /* ARP */
	expect_gso_drop(&s, -1, 0);
	buf[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	buf[6] = 14;
	{
		struct frame_info fi;

		CU_ASSERT_EQUAL(parse(VNET_HDR_LEN + 42, &fi), FRAME_DROP_GSO);
	}

	/* unknown types */
	for (t = 0; t < 0x80; t++) {
		if (t == 0 || t == 1 || t == 3 || t == 4 || t == 5)
			continue;
		s = gso_spec(VIRTIO_NET_HDR_GSO_TCPV4, 4);
		expect_gso_drop(&s, 1, (uint8_t)t);
	}

	/* no segment size, no checksum request */
	s = gso_spec(VIRTIO_NET_HDR_GSO_TCPV4, 4);
	s.gso_size = 0;
	expect_gso_drop(&s, -1, 0);
	s = gso_spec(VIRTIO_NET_HDR_GSO_UDP_L4, 6);
	expect_gso_drop(&s, 0, 0);
	expect_gso_drop(&s, 0, VIRTIO_NET_HDR_F_DATA_VALID);

	/* checksum not at the L4 header, or not at its checksum field */
	s = gso_spec(VIRTIO_NET_HDR_GSO_TCPV4, 4);
	expect_gso_drop(&s, 6, 30);
	expect_gso_drop(&s, 6, 35);
	expect_gso_drop(&s, 8, 6);
	s = gso_spec(VIRTIO_NET_HDR_GSO_UDP_L4, 4);
	expect_gso_drop(&s, 8, 16);

	/* UFO fragments must hold at least 8 bytes */
	s = gso_spec(VIRTIO_NET_HDR_GSO_UDP, 4);
	s.gso_size = 7;
	expect_gso_drop(&s, -1, 0);
	s.gso_size = 8;
	s.payload = 1000; /* 126 fragments */
	{
		struct frame_info fi;
		struct tb_frame f;

		tb_build(buf, &s, &f);
		CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	}

	/* At most FRAME_GSO_MAX_SEGS segments, whatever the type: a 64 KiB
	 * frame of 1-byte segments is one frame for its sender and thousands
	 * for a port without offloads */
	{
		static const struct {
			uint8_t type, l3;
			uint16_t size;
			uint32_t payload;
		} n[] = {
			{VIRTIO_NET_HDR_GSO_TCPV4, 4, 100, 12800},
			{VIRTIO_NET_HDR_GSO_TCPV6, 6, 100, 12800},
			{VIRTIO_NET_HDR_GSO_UDP_L4, 4, 100, 12800},
			{VIRTIO_NET_HDR_GSO_UDP_L4, 6, 1, 128},
			{VIRTIO_NET_HDR_GSO_UDP, 4, 104, 128 * 104 - 8},
		};
		struct frame_info fi;
		struct tb_frame f;
		size_t i;

		for (i = 0; i < sizeof(n) / sizeof(n[0]); i++) {
			s = gso_spec(n[i].type, n[i].l3);
			s.gso_size = n[i].size;
			s.payload = n[i].payload;
			tb_build(buf, &s, &f);
			CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
			s.payload++;
			tb_build(buf, &s, &f);
			CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_GSO);
		}
	}
	/* USO counts its segments as Linux does, to the end of the frame
	 * (virtio_net_hdr_to_skb(): skb->len past the UDP header, at most
	 * gso_size * UDP_MAX_SEGMENTS): bytes after the IP packet count,
	 * or a port with USO refuses the write (EINVAL) */
	{
		struct frame_info fi;
		struct tb_frame f;

		s = gso_spec(VIRTIO_NET_HDR_GSO_UDP_L4, 4);
		s.gso_size = 100;
		s.payload = 12800;
		s.pad = 8;
		tb_build(buf, &s, &f);
		CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_GSO);
		s.payload = 12792;
		tb_build(buf, &s, &f);
		CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
		s.payload = 12793;
		tb_build(buf, &s, &f);
		CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_GSO);
		/* TSO: Linux has no such bound, the padding is not cut */
		s = gso_spec(VIRTIO_NET_HDR_GSO_TCPV4, 4);
		s.gso_size = 100;
		s.payload = 12800;
		s.pad = 8;
		tb_build(buf, &s, &f);
		CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	}

	/* IPv4 fragment: MF, or an offset */
	s = gso_spec(VIRTIO_NET_HDR_GSO_UDP_L4, 4);
	expect_gso_drop(&s, VNET_HDR_LEN + 14 + 6, 0x20);
	s = gso_spec(VIRTIO_NET_HDR_GSO_TCPV4, 4);
	expect_gso_drop(&s, VNET_HDR_LEN + 14 + 7, 1);

	/* IPv6 fragment header, routing header */
	s = gso_spec(VIRTIO_NET_HDR_GSO_TCPV6, 6);
	s.ext6 = (const uint8_t[]){IPPROTO_FRAGMENT};
	s.n_ext6 = 1;
	expect_gso_drop(&s, -1, 0);
	s.ext6 = (const uint8_t[]){IPPROTO_ROUTING};
	expect_gso_drop(&s, -1, 0);
	/* ... destination options are fine */
	s.ext6 = (const uint8_t[]){IPPROTO_DSTOPTS};
	{
		struct frame_info fi;
		struct tb_frame f;

		tb_build(buf, &s, &f);
		CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
		CU_ASSERT_EQUAL(fi.l4_off, 14 + 48);
	}
}

/**
 * test_gso_l4_bad() - GSO with malformed L3/L4 headers
 */
static void test_gso_l4_bad(void)
{
	struct tb_spec s = gso_spec(VIRTIO_NET_HDR_GSO_TCPV4, 4);
	struct frame_info fi;
	struct tb_frame f;

	/* malformed TCP header under TSO is an L4 drop */
	tb_build(buf, &s, &f);
	f.eth[f.l4_off + 12] = 0x40;
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_L4);
	/* even without NEEDS_CSUM: GSO alone depends on it */
	tb_build(buf, &s, &f);
	f.eth[f.l4_off + 12] = 0x40;
	buf[0] = 0;
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_L4);

	/* BIG TCP (tot_len 0): an L3 drop */
	tb_build(buf, &s, &f);
	tb_be16(f.eth + 14 + 2, 0);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_L3);
	s = gso_spec(VIRTIO_NET_HDR_GSO_TCPV6, 6);
	tb_build(buf, &s, &f);
	tb_be16(f.eth + 14 + 4, 0);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_L3);
}

/**
 * test_gso_source_route() - no GSO under an IPv4 source route: the
 * TCP/UDP pseudo-header holds the final destination, not the IP header's
 * next hop, which the segmenter sums (as an IPv6 routing header)
 */
static void test_gso_source_route(void)
{
	static const uint8_t types[] = {VIRTIO_NET_HDR_GSO_TCPV4,
					VIRTIO_NET_HDR_GSO_UDP,
					VIRTIO_NET_HDR_GSO_UDP_L4};
	static const uint8_t lsrr[8] = {1, 0x83, 7, 4, 10, 0, 0, 9};
	static const uint8_t ssrr[8] = {1, 0x89, 7, 4, 10, 0, 0, 9};
	static const uint8_t rr[8] = {1, 7, 7, 4, 0, 0, 0, 0};
	struct frame_info fi;
	struct tb_spec s;
	struct tb_frame f;
	size_t i;

	for (i = 0; i < sizeof(types); i++) {
		s = gso_spec(types[i], 4);
		s.ip_opts = 8;
		tb_build(buf, &s, &f);
		CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
		memcpy(f.eth + 34, rr, 8); /* Record Route: fine */
		CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
		memcpy(f.eth + 34, lsrr, 8);
		CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_GSO);
		memcpy(f.eth + 34, ssrr, 8);
		CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_GSO);
	}
	/* without GSO a source route is the receivers' business */
	s = tcp4;
	s.ip_opts = 8;
	s.csum = true;
	tb_build(buf, &s, &f);
	memcpy(f.eth + 34, lsrr, 8);
	tb_ip4_csum(&f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
}

/**
 * test_ipv4_options() - the layout of IPv4 options is checked
 */
static void test_ipv4_options(void)
{
	static const struct {
		uint8_t o[8];
		enum frame_drop want;
	} cases[] = {
		{{1, 1, 1, 1, 1, 1, 1, 1}, FRAME_OK},        /* NOPs */
		{{0, 0xff, 0xff, 0xff, 0xff}, FRAME_OK},     /* EOL, then junk */
		{{148, 4, 0, 0, 1, 1, 1, 0}, FRAME_OK},      /* Router Alert */
		{{7, 8, 4, 0, 0, 0, 0, 0}, FRAME_OK},        /* Record Route */
		{{148, 0, 0, 0, 1, 1, 1, 1}, FRAME_DROP_L3}, /* length 0 */
		{{148, 1, 0, 0, 1, 1, 1, 1}, FRAME_DROP_L3}, /* length 1 */
		{{1, 1, 1, 7, 6, 0, 0, 0}, FRAME_DROP_L3},   /* past the end */
		{{1, 1, 1, 1, 1, 1, 1, 7}, FRAME_DROP_L3},   /* no length byte */
	};
	struct tb_spec s = udp4;
	struct frame_info fi;
	struct tb_frame f;
	size_t i;

	s.ip_opts = 8;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tb_build(buf, &s, &f);
		memcpy(f.eth + f.l3_off + 20, cases[i].o, 8);
		tb_ip4_csum(&f);
		CU_ASSERT_EQUAL(parse(f.len, &fi), cases[i].want);
	}
}

/**
 * test_l4_lengths() - UDP lengths that lie, tiny first fragments, and
 * fragments past 64 KiB
 */
static void test_l4_lengths(void)
{
	struct tb_spec s = udp4;
	struct frame_info fi;
	struct tb_frame f;
	uint8_t *ip, *uh;
	uint16_t ulen;

	s.payload = 100;
	tb_build(buf, &s, &f);
	ip = f.eth + f.l3_off;
	uh = f.eth + f.l4_off;
	ulen = (uint16_t)(f.ip_end - f.l4_off);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	tb_be16(uh + 4, (uint16_t)(ulen - 1)); /* shorter: trailing bytes */
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	tb_be16(uh + 4, 8);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	tb_be16(uh + 4, 7);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_L4);
	tb_be16(uh + 4, (uint16_t)(ulen + 1));
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_L4);
	/* a first fragment's UDP length is the whole datagram's */
	tb_be16(uh + 4, 4000);
	tb_be16(ip + 6, 0x2000);
	tb_ip4_csum(&f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	/* a first fragment too short for the UDP header */
	tb_be16(ip + 2, 20 + 4);
	tb_ip4_csum(&f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_L4);
	/* a later fragment carries no header at all */
	tb_be16(ip + 6, 0x2000 | 1);
	tb_ip4_csum(&f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	/* the last fragment may end at 65535, not past it */
	tb_be16(ip + 2, (uint16_t)(f.ip_end - f.l3_off));
	tb_ip4_csum(&f);
	tb_be16(ip + 6, (uint16_t)((65535 - (f.ip_end - f.l4_off)) / 8));
	tb_ip4_csum(&f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	tb_be16(ip + 6, 0x1fff);
	tb_ip4_csum(&f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_L3);

	/* a first fragment may cut TCP options, not the fixed header */
	s = tcp4;
	s.payload = 0;
	tb_build(buf, &s, &f);
	ip = f.eth + f.l3_off;
	tb_be16(ip + 6, 0x2000);
	tb_ip4_csum(&f);
	f.eth[f.l4_off + 12] = 8 << 4; /* 32 bytes claimed, 20 there */
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	tb_be16(ip + 6, 0);
	tb_ip4_csum(&f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_L4);
}

/**
 * test_ipv4_csum() - a wrong IPv4 header checksum is dropped, except on
 * a GSO super-frame
 */
static void test_ipv4_csum(void)
{
	struct tb_spec s = tcp4;
	struct frame_info fi;
	struct tb_frame f;
	uint8_t *ip;
	unsigned i;

	/* every single-bit error in the header is caught */
	for (i = 0; i < 20 * 8; i++) {
		tb_build(buf, &s, &f);
		ip = f.eth + f.l3_off;
		ip[i / 8] ^= (uint8_t)(1u << (i % 8));
		CU_ASSERT_NOT_EQUAL(parse(f.len, &fi), FRAME_OK);
	}
	tb_build(buf, &s, &f);
	ip = f.eth + f.l3_off;
	ip[8]--; /* TTL: only the checksum says so */
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_IP_CSUM);
	tb_be16(ip + 10, 0); /* "not computed" is no exception in IPv4 */
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_IP_CSUM);
	tb_ip4_csum(&f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);

	/* options are covered too */
	s.ip_opts = 8;
	tb_build(buf, &s, &f);
	ip = f.eth + f.l3_off;
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	ip[27] = 0; /* No Operation becomes End of Option List */
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_IP_CSUM);

	/* a checksum offload request is about L4: IPv4's is still checked */
	s = tcp4;
	s.csum = true;
	tb_build(buf, &s, &f);
	ip = f.eth + f.l3_off;
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	ip[11] ^= 1;
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_DROP_IP_CSUM);

	/* a GSO super-frame's is left to the segments */
	s.payload = 3000;
	s.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	s.gso_size = 1448;
	tb_build(buf, &s, &f);
	ip = f.eth + f.l3_off;
	tb_be16(ip + 10, 0);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	CU_ASSERT_EQUAL(fi.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
}

/**
 * test_arp_len() - ARP must hold the addresses its header announces
 */
static void test_arp_len(void)
{
	struct frame_info fi;
	struct tb_frame f;

	tb_build(buf, &arp, &f);
	CU_ASSERT_EQUAL(parse(f.len, &fi), FRAME_OK);
	CU_ASSERT_EQUAL(parse(VNET_HDR_LEN + 14 + 27, &fi), FRAME_DROP_L3);
	CU_ASSERT_EQUAL(parse(VNET_HDR_LEN + 14 + 28, &fi), FRAME_OK);
	f.eth[14 + 4] = 200; /* hardware address length */
	CU_ASSERT_EQUAL(parse(VNET_HDR_LEN + 14 + 28, &fi), FRAME_DROP_L3);
}

/**
 * main() - run the suite
 *
 * Return: 0 when every assertion held, 1 otherwise
 */
int main(void)
{
	static const struct cunit_test tests[] = {
		{"frame_drop_name() strings", test_drop_names},
		{"shorter than vnet + Ethernet header", test_short},
		{"longer than FRAME_MAX_LEN", test_long},
		{"group or zero source MAC", test_src_mac},
		{"unknown vnet header flags", test_vnet_flags},
		{"one 802.1Q/802.1ad tag", test_vlan},
		{"IPv4 with options and padding accepted", test_ipv4_ok},
		{"IPv4 header and length errors", test_ipv4_bad},
		{"IPv4 fragments carry L4 only at offset 0", test_ipv4_frag},
		{"IPv6 extension headers walked", test_ipv6_ok},
		{"IPv6 extension chain bound", test_ipv6_long_chain},
		{"IPv6 header and extension errors", test_ipv6_bad},
		{"truncated TCP/UDP, with and without offload",
		 test_l4_truncated},
		{"every TCP data offset", test_tcp_doff},
		{"NEEDS_CSUM start and offset bounds", test_csum},
		{"valid TSO/USO/UFO accepted", test_gso_ok},
		{"GSO type, size and header mismatches", test_gso_bad},
		{"GSO with malformed L3/L4 headers", test_gso_l4_bad},
		{"GSO under an IPv4 source route", test_gso_source_route},
		{"IPv4 option layout", test_ipv4_options},
		{"IPv4 header checksum", test_ipv4_csum},
		{"UDP lengths, tiny and oversize fragments", test_l4_lengths},
		{"ARP length", test_arp_len},
	};

	return cunit_run("frame", tests, sizeof(tests) / sizeof(tests[0]), NULL,
			 NULL);
}
