/* SPDX-License-Identifier: MIT */
/*
 * frame_builder.h - hand-built test frames (vnet header + Ethernet + IP +
 * TCP/UDP) for the frame and GSO suites
 *
 * Header-only: each test program or fuzz target includes it once (all
 * inline, so one that uses a part of it builds without warnings).
 */
#ifndef VSTACK_TEST_FRAME_BUILDER_H
#define VSTACK_TEST_FRAME_BUILDER_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <linux/if_ether.h>
#include <linux/virtio_net.h>
#include <netinet/in.h>

#include "frame.h"

#define TB_CAP (VNET_HDR_LEN + FRAME_MAX_LEN + 64)

/**
 * struct tb_spec - description of a frame for tb_build()
 * @vlan:	TPID of one VLAN tag, 0 for none
 * @l3:		0 (ARP), 4 or 6
 * @proto:	L4 protocol
 * @ip_opts:	IPv4 option bytes (NOPs), multiple of 4
 * @ext6:	IPv6 extension header types, each 8 bytes long
 * @n_ext6:	number of them
 * @tcp_opts:	TCP option bytes (NOPs), multiple of 4
 * @tcp_flags:	TCP flags byte
 * @seq:	TCP sequence number, 0 for 0x11223344
 * @payload:	L4 payload bytes
 * @pad:	Ethernet padding after the IP packet
 * @gso_type:	vnet gso_type, ECN bit included
 * @gso_size:	vnet gso_size
 * @csum:	NEEDS_CSUM at the L4 checksum, pseudo-header sum in the field
 */
struct tb_spec {
	uint16_t vlan;
	uint8_t l3;
	uint8_t proto;
	uint8_t ip_opts;
	const uint8_t *ext6;
	uint8_t n_ext6;
	uint8_t tcp_opts;
	uint8_t tcp_flags;
	uint32_t seq;
	uint32_t payload;
	uint32_t pad;
	uint8_t gso_type;
	uint16_t gso_size;
	bool csum;
};

/**
 * struct tb_frame - where tb_build() put things, offsets from the Ethernet
 * header
 */
struct tb_frame {
	size_t len;
	uint8_t *eth;
	uint16_t l3_off;
	uint16_t l4_off;
	uint16_t l4_hlen;
	uint32_t ip_end;
};

/**
 * tb_be16() - write a big-endian 16-bit value
 * @p:	destination
 * @v:	value
 */
static inline void tb_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/**
 * tb_le16() - write a little-endian 16-bit value
 * @p:	destination
 * @v:	value
 */
static inline void tb_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/**
 * ref_sum() - byte-pair sum of a buffer, independent of gso.c
 * @p:	bytes
 * @n:	length
 * @s:	sum to add to
 *
 * Return: unfolded sum of big-endian 16-bit words
 */
static inline uint32_t ref_sum(const uint8_t *p, size_t n, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

/**
 * ref_fold() - fold a sum to 16 bits
 * @s:	sum
 *
 * Return: folded sum, not complemented
 */
static inline uint16_t ref_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/**
 * tb_ip4_csum() - recompute the IPv4 header checksum after an edit
 * @f:	a frame tb_build() made with l3 = 4
 *
 * Tests that break another field of the header call this to keep the
 * checksum right, so that what they test is that field.
 */
static inline void tb_ip4_csum(const struct tb_frame *f)
{
	uint8_t *ip = f->eth + f->l3_off;
	uint32_t ihl = (ip[0] & 0xfu) * 4u;

	tb_be16(ip + 10, 0);
	tb_be16(ip + 10, (uint16_t)~ref_fold(ref_sum(ip, ihl, 0)));
}

/**
 * tb_build() - build vnet header + Ethernet frame from a description
 * @b:	output buffer of TB_CAP bytes
 * @s:	description
 * @f:	offsets of what was built
 *
 * Return: total length
 */
static inline size_t tb_build(uint8_t *b, const struct tb_spec *s, struct tb_frame *f)
{
	static const uint8_t dst[6] = {0x52, 0x54, 0x00, 0x00, 0x00, 0x02};
	static const uint8_t src[6] = {0x52, 0x54, 0x00, 0x00, 0x00, 0x01};
	uint8_t *eth = b + VNET_HDR_LEN, *ip, *l4;
	uint32_t off, ihl = 0, l4_hlen = 0, l4_len, i, ps;
	uint8_t nh;

	memset(b, 0, VNET_HDR_LEN + 256);
	memset(f, 0, sizeof(*f));
	f->eth = eth;
	memcpy(eth, dst, 6);
	memcpy(eth + 6, src, 6);
	off = 12;
	if (s->vlan) {
		tb_be16(eth + off, s->vlan);
		tb_be16(eth + off + 2, 42);
		off += 4;
	}
	tb_be16(eth + off, s->l3 == 4	? ETH_P_IP
			   : s->l3 == 6 ? ETH_P_IPV6
					: ETH_P_ARP);
	off += 2;
	f->l3_off = (uint16_t)off;
	ip = eth + off;

	if (!s->l3) {
		/* ARP request, RFC 826 */
		static const uint8_t arp[28] = {
			0,  1, 8, 0, 6, 4, 0, 1, 0x52, 0x54, 0,	 0, 0, 1,
			10, 0, 0, 1, 0, 0, 0, 0, 0,    0,    10, 0, 0, 2};
		memcpy(ip, arp, sizeof(arp));
		b[1] = s->gso_type;
		tb_le16(b + 4, s->gso_size);
		f->len = VNET_HDR_LEN + off + sizeof(arp);
		f->ip_end = off + sizeof(arp);
		return f->len;
	}

	if (s->l3 == 4) {
		ihl = 20 + s->ip_opts;
		ip[0] = (uint8_t)(0x40 | ihl / 4);
		tb_be16(ip + 4, 0x1234);
		tb_be16(ip + 6, 0x4000); /* DF */
		ip[8] = 64;
		ip[9] = s->proto;
		ip[12] = 10, ip[15] = 1;
		ip[16] = 10, ip[19] = 2;
		memset(ip + 20, 1, s->ip_opts);
		off += ihl;
	} else {
		ip[0] = 0x60;
		ip[7] = 64;
		ip[8] = 0xfd, ip[23] = 1;
		ip[24] = 0xfd, ip[39] = 2;
		off += 40;
		nh = s->n_ext6 ? s->ext6[0] : s->proto;
		ip[6] = nh;
		for (i = 0; i < s->n_ext6; i++) {
			memset(eth + off, 0, 8);
			eth[off] =
				i + 1 < s->n_ext6 ? s->ext6[i + 1] : s->proto;
			if (s->ext6[i] == IPPROTO_DSTOPTS ||
			    s->ext6[i] == IPPROTO_HOPOPTS) {
				eth[off + 2] = 1; /* PadN, 4 bytes */
				eth[off + 3] = 4;
			} else if (s->ext6[i] == IPPROTO_FRAGMENT) {
				tb_be16(eth + off + 4, 0xabcd);
			}
			off += 8;
		}
	}

	f->l4_off = (uint16_t)off;
	l4 = eth + off;
	if (s->proto == IPPROTO_TCP) {
		l4_hlen = 20 + s->tcp_opts;
		memset(l4, 0, l4_hlen);
		tb_be16(l4, 1000);
		tb_be16(l4 + 2, 2000);
		i = s->seq ? s->seq : 0x11223344;
		tb_be16(l4 + 4, (uint16_t)(i >> 16));
		tb_be16(l4 + 6, (uint16_t)i);
		tb_be16(l4 + 8, 0x5566), tb_be16(l4 + 10, 0x7788);
		l4[12] = (uint8_t)(l4_hlen / 4 << 4);
		l4[13] = s->tcp_flags;
		tb_be16(l4 + 14, 65535);
		memset(l4 + 20, 1, s->tcp_opts);
	} else if (s->proto == IPPROTO_UDP) {
		l4_hlen = 8;
		tb_be16(l4, 1000);
		tb_be16(l4 + 2, 2000);
		l4_len = 8 + s->payload;
		tb_be16(l4 + 4, l4_len > 0xffff ? 0 : (uint16_t)l4_len);
		l4[6] = l4[7] = 0;
	}
	f->l4_hlen = (uint16_t)l4_hlen;
	off += l4_hlen;
	for (i = 0; i < s->payload; i++)
		eth[off + i] = (uint8_t)(i * 7 + 3) ^ (uint8_t)(i >> 8);
	off += s->payload;
	f->ip_end = off;

	if (s->l3 == 4) {
		tb_be16(ip + 2, (uint16_t)(off - f->l3_off));
		tb_be16(ip + 10, (uint16_t)~ref_fold(ref_sum(ip, ihl, 0)));
	} else {
		tb_be16(ip + 4, (uint16_t)(off - f->l3_off - 40));
	}

	/* L4 checksum: pseudo-header only for NEEDS_CSUM, complete otherwise */
	l4_len = off - f->l4_off;
	if (s->l3 == 4)
		ps = ref_sum(ip + 12, 8, s->proto + l4_len);
	else
		ps = ref_sum(ip + 8, 32,
			     s->proto + (l4_len & 0xffff) + (l4_len >> 16));
	if (s->proto == IPPROTO_TCP || s->proto == IPPROTO_UDP) {
		uint8_t *field = l4 + (s->proto == IPPROTO_TCP ? 16 : 6);

		if (s->csum) {
			tb_be16(field, ref_fold(ps));
		} else {
			uint16_t c =
				(uint16_t)~ref_fold(ref_sum(l4, l4_len, ps));
			tb_be16(field, c ? c : 0xffff);
		}
	}

	memset(eth + off, 0, s->pad);
	off += s->pad;

	b[0] = s->csum ? VIRTIO_NET_HDR_F_NEEDS_CSUM : 0;
	b[1] = s->gso_type;
	tb_le16(b + 2, (uint16_t)(f->l4_off + l4_hlen));
	tb_le16(b + 4, s->gso_size);
	if (s->csum) {
		tb_le16(b + 6, f->l4_off);
		tb_le16(b + 8, s->proto == IPPROTO_TCP ? 16 : 6);
	}

	f->len = VNET_HDR_LEN + off;
	return f->len;
}

#endif /* VSTACK_TEST_FRAME_BUILDER_H */
