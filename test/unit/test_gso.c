// SPDX-License-Identifier: MIT
/*
 * test_gso.c - CUnit suite for checksum completion and segmentation
 *
 * Super-frames are built by hand (tb_build(), the same builder as in
 * test_frame.c), segmented through an allocator that hands out exactly
 * sized heap buffers (so ASan sees any overrun), and every segment is
 * checked against the original with an independent byte-pair checksum
 * (ref_sum()). The last test feeds random mutations of valid frames through
 * frame_parse(), gso_csum_complete() and gso_segment().
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <linux/if_ether.h>
#include <linux/virtio_net.h>
#include <netinet/in.h>

#include "frame.h"
#include "gso.h"

#include "../lib/cunit_run.h"
#include "../lib/frame_builder.h"

#define COLL_MAX 2048

/**
 * struct coll - test allocator and collector of emitted segments
 * @buf:	buffers handed out, in order
 * @cap:	their sizes
 * @len:	emitted lengths
 * @nalloc:	buffers handed out
 * @nemit:	segments emitted
 * @limit:	buffers to hand out before failing
 * @bad:	emit() saw something else than the last buffer, or too long
 */
struct coll {
	uint8_t *buf[COLL_MAX];
	size_t cap[COLL_MAX];
	size_t len[COLL_MAX];
	unsigned nalloc;
	unsigned nemit;
	unsigned limit;
	bool bad;
};

static uint8_t in[TB_CAP];
static uint8_t big[TB_CAP];

/**
 * coll_alloc() - gso_alloc_fn handing out exactly @cap heap bytes
 * @ctx:	struct coll
 * @cap:	bytes requested
 *
 * Return: buffer, NULL past the limit
 */
static uint8_t *coll_alloc(void *ctx, size_t cap)
{
	struct coll *c = ctx;
	uint8_t *b;

	if (c->nalloc >= c->limit || c->nalloc >= COLL_MAX)
		return NULL;
	b = malloc(cap);
	if (!b)
		return NULL;
	memset(b, 0xa5, cap);
	c->buf[c->nalloc] = b;
	c->cap[c->nalloc++] = cap;
	return b;
}

/**
 * coll_emit() - gso_emit_fn recording a segment
 * @ctx:	struct coll
 * @b:		segment
 * @len:	its length
 */
static void coll_emit(void *ctx, uint8_t *b, size_t len)
{
	struct coll *c = ctx;

	if (c->nemit + 1 != c->nalloc || c->buf[c->nemit] != b ||
	    len > c->cap[c->nemit])
		c->bad = true;
	c->len[c->nemit++] = len;
}

/**
 * coll_init() - empty collector
 * @c:		collector
 * @limit:	buffers to hand out
 */
static void coll_init(struct coll *c, unsigned limit)
{
	c->nalloc = c->nemit = 0;
	c->limit = limit;
	c->bad = false;
}

/**
 * coll_free() - release every buffer handed out
 * @c:	collector
 */
static void coll_free(struct coll *c)
{
	unsigned i;

	for (i = 0; i < c->nalloc; i++)
		free(c->buf[i]);
	c->nalloc = c->nemit = 0;
}

/**
 * be16() - read a big-endian 16-bit value
 * @p:	bytes
 *
 * Return: value
 */
static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/**
 * be32() - read a big-endian 32-bit value
 * @p:	bytes
 *
 * Return: value
 */
static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)be16(p) << 16 | be16(p + 2);
}

/**
 * l4_csum_ok() - verify a TCP/UDP checksum from scratch
 * @eth:	Ethernet header
 * @l3_off:	IP header offset
 * @ver:	4 or 6
 * @l4_off:	L4 header offset
 * @l4_len:	L4 header + payload length
 * @proto:	protocol for the pseudo-header
 *
 * Return: true if pseudo-header + segment sum to 0xffff
 */
static bool l4_csum_ok(const uint8_t *eth, uint32_t l3_off, int ver,
		       uint32_t l4_off, uint32_t l4_len, uint8_t proto)
{
	const uint8_t *ip = eth + l3_off;
	uint32_t s;

	if (ver == 4)
		s = ref_sum(ip + 12, 8, proto + l4_len);
	else
		s = ref_sum(ip + 8, 32, proto + l4_len);
	return ref_fold(ref_sum(eth + l4_off, l4_len, s)) == 0xffff;
}

/**
 * vnet_out_ok() - the vnet header of an output segment
 * @b:	segment buffer
 *
 * Return: true if all zero but DATA_VALID
 */
static bool vnet_out_ok(const uint8_t *b)
{
	static const uint8_t want[12] = {VIRTIO_NET_HDR_F_DATA_VALID};

	return !memcmp(b, want, sizeof(want));
}

/**
 * check_l4_segments() - verify TSO/USO output against the super-frame
 * @f:		the super-frame as built
 * @s:		its description
 * @mss:	gso_size used
 * @c:		what was emitted
 */
static void check_l4_segments(const struct tb_frame *f, const struct tb_spec *s,
			      uint32_t mss, const struct coll *c)
{
	static uint8_t join[FRAME_MAX_LEN];
	const uint8_t *eth0 = f->eth, *ip0 = eth0 + f->l3_off;
	uint32_t hdrs = f->l4_off + f->l4_hlen, plen = f->ip_end - hdrs;
	uint32_t nseg = plen ? (plen + mss - 1) / mss : 1;
	uint32_t off = 0, chunk, i, seglen;
	bool tcp = s->proto == IPPROTO_TCP;
	struct frame_info fi;
	const uint8_t *seg, *ip, *l4;
	uint8_t flags0 = eth0[f->l4_off + 13], want;

	CU_ASSERT_FALSE(c->bad);
	CU_ASSERT_EQUAL_FATAL(c->nemit, nseg);
	for (i = 0; i < nseg; i++, off += chunk) {
		chunk = plen - off < mss ? plen - off : mss;
		seglen = hdrs + chunk;
		CU_ASSERT_EQUAL_FATAL(c->len[i], VNET_HDR_LEN + seglen);
		CU_ASSERT_TRUE(vnet_out_ok(c->buf[i]));
		CU_ASSERT_EQUAL(frame_parse(c->buf[i], c->len[i], &fi),
				FRAME_OK);
		CU_ASSERT_EQUAL(fi.gso_type, 0);
		CU_ASSERT_EQUAL(fi.l4_off, f->l4_off);
		CU_ASSERT_EQUAL(fi.l4_hlen, f->l4_hlen);

		seg = c->buf[i] + VNET_HDR_LEN;
		ip = seg + f->l3_off;
		l4 = seg + f->l4_off;
		CU_ASSERT_EQUAL(memcmp(seg, eth0, f->l3_off), 0);
		if (s->l3 == 4) {
			uint32_t ihl = (ip[0] & 0xf) * 4U;

			CU_ASSERT_EQUAL(be16(ip + 2), seglen - f->l3_off);
			CU_ASSERT_EQUAL(be16(ip + 4),
					(uint16_t)(be16(ip0 + 4) + i));
			CU_ASSERT_EQUAL(ref_fold(ref_sum(ip, ihl, 0)), 0xffff);
			CU_ASSERT_EQUAL(memcmp(ip + 6, ip0 + 6, 4), 0);
			CU_ASSERT_EQUAL(memcmp(ip + 12, ip0 + 12, ihl - 12), 0);
		} else {
			CU_ASSERT_EQUAL(be16(ip + 4), seglen - f->l3_off - 40);
			CU_ASSERT_EQUAL(memcmp(ip, ip0, 4), 0);
			CU_ASSERT_EQUAL(memcmp(ip + 6, ip0 + 6,
					       f->l4_off - f->l3_off - 6),
					0);
		}

		if (tcp) {
			CU_ASSERT_EQUAL(be32(l4 + 4),
					be32(eth0 + f->l4_off + 4) + off);
			want = flags0;
			if (i + 1 < nseg)
				want &= (uint8_t)~0x09; /* FIN, PSH */
			if (i)
				want &= (uint8_t)~0x80; /* CWR */
			CU_ASSERT_EQUAL(l4[13], want);
			CU_ASSERT_EQUAL(memcmp(l4, eth0 + f->l4_off, 4), 0);
			CU_ASSERT_EQUAL(memcmp(l4 + 8, eth0 + f->l4_off + 8, 5),
					0);
			CU_ASSERT_EQUAL(
				memcmp(l4 + 14, eth0 + f->l4_off + 14, 2), 0);
			CU_ASSERT_EQUAL(memcmp(l4 + 18, eth0 + f->l4_off + 18,
					       f->l4_hlen - 18),
					0);
		} else {
			CU_ASSERT_EQUAL(be16(l4 + 4), 8 + chunk);
			CU_ASSERT_NOT_EQUAL(be16(l4 + 6), 0);
			CU_ASSERT_EQUAL(memcmp(l4, eth0 + f->l4_off, 4), 0);
		}
		CU_ASSERT_TRUE(l4_csum_ok(seg, f->l3_off, s->l3, f->l4_off,
					  seglen - f->l4_off, s->proto));
		memcpy(join + off, seg + hdrs, chunk);
	}
	CU_ASSERT_EQUAL(off, plen);
	CU_ASSERT_EQUAL(memcmp(join, eth0 + hdrs, plen), 0);
}

/**
 * run_segment() - build a super-frame, parse it, segment it, check it
 * @s:	frame description, with gso_type and gso_size
 *
 * Return: gso_segment() result
 */
static int run_segment(const struct tb_spec *s)
{
	static struct coll c;
	struct frame_info fi;
	struct tb_frame f;
	int ret;

	tb_build(in, s, &f);
	CU_ASSERT_EQUAL_FATAL(frame_parse(in, f.len, &fi), FRAME_OK);
	coll_init(&c, COLL_MAX);
	ret = gso_segment(in, f.len, &fi, coll_alloc, coll_emit, &c);
	CU_ASSERT_EQUAL(ret, (int)c.nemit);
	if (ret > 0)
		check_l4_segments(&f, s, s->gso_size, &c);
	coll_free(&c);
	return ret;
}

/**
 * test_csum_partial() - csum_partial() against a byte-pair sum
 */
static void test_csum_partial(void)
{
	static uint8_t data[4096 + 16];
	uint32_t seed = 1, n, o, k, split;
	uint16_t got, want;
	uint8_t out[2];

	for (n = 0; n < sizeof(data); n++) {
		seed = seed * 1103515245 + 12345;
		data[n] = (uint8_t)(seed >> 16);
	}
	for (n = 0; n <= 300; n++) {
		for (o = 0; o < 8; o++) {
			got = csum_fold(csum_partial(data + o, n, 0));
			memcpy(out, &got, 2);
			want = (uint16_t)~ref_fold(ref_sum(data + o, n, 0));
			CU_ASSERT_EQUAL(be16(out), want);
		}
	}
	for (k = 0; k < 200; k++) {
		seed = seed * 1103515245 + 12345;
		n = seed % 4096;
		o = (seed >> 13) % 8;
		split = ((seed >> 3) % (n + 1)) & ~1U; /* keep words whole */
		got = csum_fold(csum_partial(data + o + split, n - split,
					     csum_partial(data + o, split, 0)));
		memcpy(out, &got, 2);
		want = (uint16_t)~ref_fold(ref_sum(data + o, n, 0));
		CU_ASSERT_EQUAL(be16(out), want);
	}

	/* all ones: the sum saturates but must keep folding */
	memset(data, 0xff, sizeof(data));
	got = csum_fold(csum_partial(data, sizeof(data), 0xffffffff));
	CU_ASSERT_EQUAL(got, 0);
	memset(data, 0, sizeof(data));
	CU_ASSERT_EQUAL(csum_fold(csum_partial(data, sizeof(data), 0)), 0xffff);
}

/**
 * test_csum_rfc1071() - csum_fold() on the RFC 1071 example
 */
static void test_csum_rfc1071(void)
{
	/* RFC 1071 3: sum of these words is ddf2, the checksum 220d */
	static const uint8_t words[8] = {0x00, 0x01, 0xf2, 0x03,
					 0xf4, 0xf5, 0xf6, 0xf7};
	uint16_t c = csum_fold(csum_partial(words, sizeof(words), 0));
	uint8_t out[2];

	memcpy(out, &c, 2);
	CU_ASSERT_EQUAL(be16(out), 0x220d);
	/* odd length: the last byte is the high byte of a padded word */
	c = csum_fold(csum_partial(words, 7, 0));
	memcpy(out, &c, 2);
	CU_ASSERT_EQUAL(be16(out), (uint16_t) ~(0x0001 + 0xf203 + 0xf4f5 +
						0xf600 - 0x20000 + 2));
}

/**
 * complete_and_check() - gso_csum_complete() then verify the L4 checksum
 * @s:	frame description with csum set
 */
static void complete_and_check(const struct tb_spec *s)
{
	struct frame_info fi;
	struct tb_frame f;
	uint8_t pad_before[64];

	tb_build(in, s, &f);
	memset(f.eth + f.ip_end, 0x5a, s->pad); /* padding must not count */
	memcpy(pad_before, f.eth + f.ip_end, s->pad);
	CU_ASSERT_EQUAL_FATAL(frame_parse(in, f.len, &fi), FRAME_OK);
	gso_csum_complete(in, f.len, &fi);
	CU_ASSERT_EQUAL(in[0], VIRTIO_NET_HDR_F_DATA_VALID);
	CU_ASSERT_TRUE(l4_csum_ok(f.eth, f.l3_off, s->l3, f.l4_off,
				  f.ip_end - f.l4_off, s->proto));
	CU_ASSERT_EQUAL(memcmp(pad_before, f.eth + f.ip_end, s->pad), 0);
	CU_ASSERT_EQUAL(frame_parse(in, f.len, &fi), FRAME_OK);
	CU_ASSERT_FALSE(fi.needs_csum);
}

/**
 * test_csum_complete() - gso_csum_complete() stops at the IP end
 */
static void test_csum_complete(void)
{
	struct tb_spec s = {.l3 = 4,
			    .proto = IPPROTO_TCP,
			    .payload = 1001,
			    .csum = true,
			    .pad = 17};
	struct frame_info fi;
	struct tb_frame f;
	uint8_t copy[256];
	uint32_t sum;

	complete_and_check(&s);
	s.vlan = ETH_P_8021Q;
	complete_and_check(&s);
	s.l3 = 6;
	s.proto = IPPROTO_UDP;
	complete_and_check(&s);
	s.ext6 = (const uint8_t[]){IPPROTO_DSTOPTS};
	s.n_ext6 = 1;
	complete_and_check(&s);
	s.l3 = 4;
	s.payload = 0;
	complete_and_check(&s);

	/* UDP data that sums to a zero checksum is sent as 0xffff */
	s = (struct tb_spec){
		.l3 = 4, .proto = IPPROTO_UDP, .payload = 10, .csum = true};
	tb_build(in, &s, &f);
	f.eth[f.l4_off + 8] = f.eth[f.l4_off + 9] = 0;
	/* the field holds the pseudo-header sum: choose the first payload
	 * word so that header, field and payload sum to ffff
	 */
	sum = ref_sum(f.eth + f.l4_off, f.ip_end - f.l4_off, 0);
	tb_be16(f.eth + f.l4_off + 8, (uint16_t)(0xffff - ref_fold(sum)));
	CU_ASSERT_EQUAL_FATAL(frame_parse(in, f.len, &fi), FRAME_OK);
	gso_csum_complete(in, f.len, &fi);
	CU_ASSERT_EQUAL(be16(f.eth + f.l4_off + 6), 0xffff);
	CU_ASSERT_TRUE(l4_csum_ok(f.eth, 14, 4, f.l4_off, f.ip_end - f.l4_off,
				  IPPROTO_UDP));

	/* without NEEDS_CSUM nothing changes */
	s = (struct tb_spec){.l3 = 4, .proto = IPPROTO_TCP, .payload = 100};
	tb_build(in, &s, &f);
	memcpy(copy, in, sizeof(copy));
	CU_ASSERT_EQUAL_FATAL(frame_parse(in, f.len, &fi), FRAME_OK);
	gso_csum_complete(in, f.len, &fi);
	CU_ASSERT_EQUAL(memcmp(copy, in, sizeof(copy)), 0);

	/* not IP (nor ARP, which has no checksum): summed to the end of
	 * the frame */
	s = (struct tb_spec){.l3 = 0};
	tb_build(in, &s, &f);
	f.eth[12] = 0x88;
	f.eth[13] = 0xb5; /* local experimental ethertype */
	in[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	in[6] = 20; /* Linux takes no earlier start (frame.c) */
	in[8] = 4;
	f.eth[24] = f.eth[25] = 0; /* where the checksum goes */
	CU_ASSERT_EQUAL_FATAL(frame_parse(in, f.len, &fi), FRAME_OK);
	gso_csum_complete(in, f.len, &fi);
	CU_ASSERT_EQUAL(in[0], VIRTIO_NET_HDR_F_DATA_VALID);
	CU_ASSERT_EQUAL(ref_fold(ref_sum(f.eth + 20, 22, 0)), 0xffff);
}

/**
 * test_tso4() - TSO of IPv4 super-frames up to 64 KiB
 */
static void test_tso4(void)
{
	struct tb_spec s = {.l3 = 4,
			    .proto = IPPROTO_TCP,
			    .payload = 60000,
			    .tcp_opts = 12,
			    .tcp_flags = 0x80 | 0x10 | 0x08 | 1,
			    .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
			    .gso_size = 1448,
			    .csum = true};

	CU_ASSERT_EQUAL(run_segment(&s), 42);
	/* ECN, IPv4 options, VLAN, Ethernet padding */
	s.gso_type |= VIRTIO_NET_HDR_GSO_ECN;
	s.ip_opts = 4;
	s.vlan = ETH_P_8021Q;
	s.pad = 3;
	CU_ASSERT_EQUAL(run_segment(&s), 42);
	/* exact multiple, one segment, no payload at all */
	s.payload = 1448 * 3;
	CU_ASSERT_EQUAL(run_segment(&s), 3);
	s.payload = 1448;
	CU_ASSERT_EQUAL(run_segment(&s), 1);
	s.payload = 1;
	CU_ASSERT_EQUAL(run_segment(&s), 1);
	s.payload = 0;
	CU_ASSERT_EQUAL(run_segment(&s), 1);
	/* the largest super-frame, as many segments as a frame may have */
	s = (struct tb_spec){.l3 = 4,
			     .proto = IPPROTO_TCP,
			     .payload = 65535 - 40,
			     .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
			     .gso_size = 512,
			     .csum = true,
			     .tcp_flags = 0x19};
	CU_ASSERT_EQUAL(run_segment(&s), FRAME_GSO_MAX_SEGS);
	/* sequence number wrapping */
	s.payload = 3000;
	s.gso_size = 1000;
	s.seq = 0xfffffc00;
	CU_ASSERT_EQUAL(run_segment(&s), 3);
}

/**
 * test_tso6() - TSO of IPv6 super-frames with extension headers
 */
static void test_tso6(void)
{
	static const uint8_t ext[] = {IPPROTO_HOPOPTS, IPPROTO_DSTOPTS};
	struct tb_spec s = {.l3 = 6,
			    .proto = IPPROTO_TCP,
			    .payload = 60000,
			    .tcp_opts = 12,
			    .tcp_flags = 0x80 | 0x10 | 0x08,
			    .gso_type = VIRTIO_NET_HDR_GSO_TCPV6,
			    .gso_size = 1428,
			    .csum = true};

	CU_ASSERT_EQUAL(run_segment(&s), 43);
	s.ext6 = ext;
	s.n_ext6 = 2;
	s.vlan = ETH_P_8021AD;
	s.pad = 9;
	CU_ASSERT_EQUAL(run_segment(&s), 43);
	/* the largest frame: FRAME_MAX_LEN with the tag */
	s.pad = 0;
	s.payload = FRAME_MAX_LEN - 18 - 40 - 16 - 32;
	s.gso_size = 9000;
	CU_ASSERT_EQUAL(run_segment(&s), 8);
}

/**
 * test_uso() - USO over IPv4 and IPv6
 */
static void test_uso(void)
{
	struct tb_spec s = {.l3 = 4,
			    .proto = IPPROTO_UDP,
			    .payload = 30000,
			    .gso_type = VIRTIO_NET_HDR_GSO_UDP_L4,
			    .gso_size = 1472,
			    .csum = true};

	CU_ASSERT_EQUAL(run_segment(&s), 21);
	s.l3 = 6;
	s.gso_size = 1452;
	CU_ASSERT_EQUAL(run_segment(&s), 21);
	s.ext6 = (const uint8_t[]){IPPROTO_DSTOPTS};
	s.n_ext6 = 1;
	s.vlan = ETH_P_8021Q;
	CU_ASSERT_EQUAL(run_segment(&s), 21);
	s.payload = 100;
	CU_ASSERT_EQUAL(run_segment(&s), 1);
	s.payload = 0;
	CU_ASSERT_EQUAL(run_segment(&s), 1);
}

/**
 * check_ufo() - segment a UFO frame and reassemble the fragments
 * @s:		frame description
 * @opts:	IPv4 options to put in, s->ip_opts bytes
 * @later:	what the options must look like in later fragments
 */
static void check_ufo(const struct tb_spec *s, const uint8_t *opts,
		      const uint8_t *later)
{
	static uint8_t join[FRAME_MAX_LEN];
	static struct coll c;
	uint32_t ihl = 20 + s->ip_opts, fsize = s->gso_size & ~7U;
	uint32_t dgram, nfrag, i, off, chunk, fo;
	struct frame_info fi;
	struct tb_frame f;
	const uint8_t *ip;
	int ret;

	tb_build(in, s, &f);
	if (s->ip_opts) {
		uint8_t *ip0 = f.eth + f.l3_off;

		memcpy(ip0 + 20, opts, s->ip_opts);
		ip0[10] = ip0[11] = 0;
		tb_be16(ip0 + 10, (uint16_t)~ref_fold(ref_sum(ip0, ihl, 0)));
	}
	dgram = f.ip_end - f.l4_off;
	nfrag = (dgram + fsize - 1) / fsize;
	CU_ASSERT_EQUAL_FATAL(frame_parse(in, f.len, &fi), FRAME_OK);

	coll_init(&c, COLL_MAX);
	ret = gso_segment(in, f.len, &fi, coll_alloc, coll_emit, &c);
	CU_ASSERT_EQUAL(ret, (int)nfrag);
	CU_ASSERT_EQUAL_FATAL(c.nemit, nfrag);
	CU_ASSERT_FALSE(c.bad);

	for (i = 0, off = 0; i < nfrag; i++, off += chunk) {
		const uint8_t *seg = c.buf[i] + VNET_HDR_LEN;

		chunk = (uint32_t)c.len[i] - VNET_HDR_LEN - f.l4_off;
		ip = seg + f.l3_off;
		CU_ASSERT_TRUE(vnet_out_ok(c.buf[i]));
		CU_ASSERT_EQUAL(frame_parse(c.buf[i], c.len[i], &fi), FRAME_OK);
		CU_ASSERT_EQUAL(memcmp(seg, f.eth, f.l3_off), 0);
		CU_ASSERT_EQUAL(be16(ip + 2), ihl + chunk);
		CU_ASSERT_EQUAL(be16(ip + 4), 0x1234);
		CU_ASSERT_EQUAL(ref_fold(ref_sum(ip, ihl, 0)), 0xffff);
		fo = be16(ip + 6);
		if (nfrag == 1) {
			CU_ASSERT_EQUAL(fo, 0x4000); /* untouched DF */
		} else {
			CU_ASSERT_EQUAL((fo & 0x1fff) * 8U, off);
			CU_ASSERT_EQUAL(!!(fo & 0x2000), i + 1 < nfrag);
			CU_ASSERT_EQUAL(fo & 0xc000, 0);
		}
		if (i + 1 < nfrag) {
			CU_ASSERT_EQUAL(chunk, fsize);
			CU_ASSERT_EQUAL(chunk % 8, 0);
		}
		if (s->ip_opts)
			CU_ASSERT_EQUAL(
				memcmp(ip + 20, i ? later : opts, s->ip_opts),
				0);
		CU_ASSERT_FATAL(off + chunk <= dgram);
		memcpy(join + off, seg + f.l4_off, chunk);
	}
	CU_ASSERT_EQUAL(off, dgram);
	/* reassembled: same ports and data, right length, valid checksum */
	CU_ASSERT_EQUAL(memcmp(join, f.eth + f.l4_off, 4), 0);
	CU_ASSERT_EQUAL(be16(join + 4), dgram);
	CU_ASSERT_EQUAL(memcmp(join + 8, f.eth + f.l4_off + 8, dgram - 8), 0);
	CU_ASSERT_NOT_EQUAL(be16(join + 6), 0);
	memcpy(big, f.eth, f.l4_off);
	memcpy(big + f.l4_off, join, dgram);
	tb_be16(big + f.l3_off + 2, (uint16_t)(ihl + dgram));
	CU_ASSERT_TRUE(
		l4_csum_ok(big, f.l3_off, 4, f.l4_off, dgram, IPPROTO_UDP));
	coll_free(&c);
}

/**
 * test_ufo() - UFO fragments reassemble to the datagram
 */
static void test_ufo(void)
{
	/* Router Alert (copied), Record Route (not copied) */
	static const uint8_t opts[8] = {0x94, 4, 0, 0, 7, 4, 4, 0};
	static const uint8_t later[8] = {0x94, 4, 0, 0, 1, 1, 1, 1};
	/* malformed: length runs past the end; frame_parse() refuses it */
	static const uint8_t bad[8] = {0x94, 4, 0, 0, 7, 9, 4, 0};
	struct frame_info fi;
	struct tb_frame f;
	struct tb_spec s = {.l3 = 4,
			    .proto = IPPROTO_UDP,
			    .payload = 20000,
			    .gso_type = VIRTIO_NET_HDR_GSO_UDP,
			    .gso_size = 1480,
			    .csum = true};

	check_ufo(&s, NULL, NULL);
	s.gso_size = 1477; /* rounded down to 1472 */
	check_ufo(&s, NULL, NULL);
	s.vlan = ETH_P_8021Q;
	s.ip_opts = 8;
	check_ufo(&s, opts, later);
	tb_build(in, &s, &f);
	memcpy(f.eth + f.l3_off + 20, bad, sizeof(bad));
	CU_ASSERT_EQUAL(frame_parse(in, f.len, &fi), FRAME_DROP_L3);
	s.gso_size = 8;
	s.payload = 1000;
	check_ufo(&s, opts, later);
	s.payload = 100; /* one fragment: sent whole */
	s.gso_size = 1480;
	check_ufo(&s, opts, later);
	s.payload = 65535 - 28;
	s.ip_opts = 0;
	check_ufo(&s, NULL, NULL);
}

/**
 * test_enobufs() - -ENOBUFS when the allocator runs dry
 */
static void test_enobufs(void)
{
	struct tb_spec s = {.l3 = 4,
			    .proto = IPPROTO_TCP,
			    .payload = 10000,
			    .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
			    .gso_size = 1000,
			    .csum = true};
	static struct coll c;
	struct frame_info fi;
	struct tb_frame f;
	unsigned limit;

	tb_build(in, &s, &f);
	CU_ASSERT_EQUAL_FATAL(frame_parse(in, f.len, &fi), FRAME_OK);
	for (limit = 0; limit < 10; limit++) {
		coll_init(&c, limit);
		CU_ASSERT_EQUAL(
			gso_segment(in, f.len, &fi, coll_alloc, coll_emit, &c),
			-ENOBUFS);
		CU_ASSERT_EQUAL(c.nemit, limit);
		CU_ASSERT_FALSE(c.bad);
		coll_free(&c);
	}
	coll_init(&c, 10);
	CU_ASSERT_EQUAL(gso_segment(in, f.len, &fi, coll_alloc, coll_emit, &c),
			10);
	coll_free(&c);

	s.gso_type = VIRTIO_NET_HDR_GSO_UDP;
	s.proto = IPPROTO_UDP;
	tb_build(in, &s, &f);
	CU_ASSERT_EQUAL_FATAL(frame_parse(in, f.len, &fi), FRAME_OK);
	coll_init(&c, 3);
	CU_ASSERT_EQUAL(gso_segment(in, f.len, &fi, coll_alloc, coll_emit, &c),
			-ENOBUFS);
	CU_ASSERT_EQUAL(c.nemit, 3);
	coll_free(&c);
}

/**
 * test_einval() - -EINVAL for frames that cannot be segmented
 */
static void test_einval(void)
{
	struct tb_spec s = {.l3 = 4, .proto = IPPROTO_TCP, .payload = 1000};
	static struct coll c;
	struct frame_info fi, bad;
	struct tb_frame f;

	tb_build(in, &s, &f);
	CU_ASSERT_EQUAL_FATAL(frame_parse(in, f.len, &fi), FRAME_OK);
	coll_init(&c, 10);
	CU_ASSERT_EQUAL(gso_segment(in, f.len, &fi, coll_alloc, coll_emit, &c),
			-EINVAL);

	s.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	s.gso_size = 100;
	s.csum = true;
	tb_build(in, &s, &f);
	CU_ASSERT_EQUAL_FATAL(frame_parse(in, f.len, &fi), FRAME_OK);
	/* an info that does not match the buffer */
	bad = fi;
	bad.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	CU_ASSERT_EQUAL(gso_segment(in, f.len, &bad, coll_alloc, coll_emit, &c),
			-EINVAL);
	bad = fi;
	bad.l4_off = 0;
	CU_ASSERT_EQUAL(gso_segment(in, f.len, &bad, coll_alloc, coll_emit, &c),
			-EINVAL);
	bad = fi;
	bad.l4_hlen = 60000;
	CU_ASSERT_EQUAL(gso_segment(in, f.len, &bad, coll_alloc, coll_emit, &c),
			-EINVAL);
	CU_ASSERT_EQUAL(
		gso_segment(in, f.len - 1, &fi, coll_alloc, coll_emit, &c),
		-EINVAL);
	bad = fi;
	bad.gso_type = 2;
	CU_ASSERT_EQUAL(gso_segment(in, f.len, &bad, coll_alloc, coll_emit, &c),
			-EINVAL);
	CU_ASSERT_EQUAL(c.nalloc, 0);
	coll_free(&c);
}

/**
 * rnd() - xorshift32, a fixed sequence for reproducible mutations
 * @s:	state
 *
 * Return: next value
 */
static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

#define MUT_SEEDS 10
#define MUT_ITERS 200000

static const uint8_t mut_hbh[] = {IPPROTO_HOPOPTS};
static const uint8_t mut_chain[] = {IPPROTO_DSTOPTS, IPPROTO_ROUTING,
				    IPPROTO_FRAGMENT};

/**
 * test_mutations() - random mutations through parse, csum and GSO
 */
static void test_mutations(void)
{
	static const struct tb_spec seeds[MUT_SEEDS] = {
		{.l3 = 4,
		 .proto = IPPROTO_TCP,
		 .payload = 2000,
		 .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
		 .gso_size = 500,
		 .csum = true,
		 .tcp_flags = 0x99,
		 .tcp_opts = 12},
		{.l3 = 6,
		 .proto = IPPROTO_TCP,
		 .payload = 2000,
		 .gso_type = VIRTIO_NET_HDR_GSO_TCPV6,
		 .gso_size = 300,
		 .csum = true,
		 .tcp_flags = 0x99,
		 .ext6 = mut_hbh,
		 .n_ext6 = 1},
		{.l3 = 4,
		 .proto = IPPROTO_UDP,
		 .payload = 1500,
		 .gso_type = VIRTIO_NET_HDR_GSO_UDP_L4,
		 .gso_size = 400,
		 .csum = true,
		 .vlan = ETH_P_8021Q},
		{.l3 = 6,
		 .proto = IPPROTO_UDP,
		 .payload = 1500,
		 .gso_type = VIRTIO_NET_HDR_GSO_UDP_L4,
		 .gso_size = 400,
		 .csum = true},
		{.l3 = 4,
		 .proto = IPPROTO_UDP,
		 .payload = 1500,
		 .gso_type = VIRTIO_NET_HDR_GSO_UDP,
		 .gso_size = 300,
		 .csum = true,
		 .ip_opts = 8},
		{.l3 = 4,
		 .proto = IPPROTO_TCP,
		 .payload = 60,
		 .csum = true,
		 .pad = 6},
		{.l3 = 6,
		 .proto = IPPROTO_UDP,
		 .payload = 60,
		 .csum = true,
		 .ext6 = mut_chain,
		 .n_ext6 = 3},
		{.l3 = 0},
		{.l3 = 4, .proto = IPPROTO_ICMP, .payload = 64},
		{.l3 = 6,
		 .proto = IPPROTO_TCP,
		 .payload = 10,
		 .vlan = ETH_P_8021AD},
	};
	static uint8_t seedbuf[MUT_SEEDS][4096];
	static uint8_t work[TB_CAP], copy[TB_CAP];
	static size_t seedlen[MUT_SEEDS];
	static struct coll c;
	unsigned ok = 0, segs = 0, bad_inv = 0, bad_seg = 0, bad_ret = 0;
	uint32_t st = 0x9e3779b9, r, it, m, nm, at, k;
	struct frame_info fi, fs;
	struct tb_frame f;
	size_t len;
	int ret;

	for (k = 0; k < MUT_SEEDS; k++) {
		seedlen[k] = tb_build(work, &seeds[k], &f);
		CU_ASSERT_FATAL(seedlen[k] <= sizeof(seedbuf[k]));
		memcpy(seedbuf[k], work, seedlen[k]);
		CU_ASSERT_EQUAL(frame_parse(work, seedlen[k], &fi), FRAME_OK);
	}

	for (it = 0; it < MUT_ITERS; it++) {
		k = rnd(&st) % MUT_SEEDS;
		len = seedlen[k];
		memcpy(work, seedbuf[k], len);
		nm = 1 + rnd(&st) % 4;
		for (m = 0; m < nm; m++) {
			r = rnd(&st);
			switch (r % 8) {
			case 0:
			case 1:
			case 2: /* a header byte */
				at = (r >> 8) % (len < 140 ? len : 140);
				work[at] = (uint8_t)rnd(&st);
				break;
			case 3: /* a bit anywhere */
				at = (r >> 8) % len;
				work[at] ^= (uint8_t)(1 << (r >> 3) % 8);
				break;
			case 4: /* truncate */
				len = (r >> 8) % (len + 1);
				break;
			case 5: /* vnet header field */
				at = (r >> 8) % VNET_HDR_LEN;
				work[at] =
					(uint8_t)((r >> 16) % 4 ? (r >> 20) % 8
								: rnd(&st));
				break;
			case 6: /* a 16-bit length-ish value */
				at = (r >> 8) % (len < 100 ? len : 100);
				if (at + 1 < len)
					tb_be16(work + at,
						(uint16_t)(rnd(&st) % 2
								   ? rnd(&st)
								   : len - at -
									     rnd(&st) %
										     64));
				break;
			default: /* extend with garbage */
				at = (r >> 8) % 300;
				if (len + at <= 4096) {
					memset(work + len, (uint8_t)r, at);
					len += at;
				}
				break;
			}
			if (!len)
				break;
		}

		if (frame_parse(work, len, &fi) != FRAME_OK)
			continue;
		ok++;

		/* what frame_parse() promises about a frame it accepts */
		if (fi.eth_len != len - VNET_HDR_LEN ||
		    (fi.l3_off != 14 && fi.l3_off != 18) ||
		    (uint32_t)fi.l4_off + fi.l4_hlen > fi.eth_len ||
		    (fi.l4_off && fi.l4_off < fi.l3_off + 20) ||
		    (fi.needs_csum &&
		     (uint32_t)fi.csum_start + fi.csum_offset + 2 >
			     fi.eth_len) ||
		    (fi.gso_type && (!fi.l4_off || !fi.gso_size)))
			bad_inv++;

		/* Completing the checksum of a frame whose checksum field is
		 * the L4 one keeps it valid (GSO frames lose NEEDS_CSUM, and a
		 * tenant may aim its checksum at its own IP header: both
		 * legitimately fail to parse afterwards).
		 */
		memcpy(copy, work, len);
		gso_csum_complete(copy, len, &fi);
		ret = frame_parse(copy, len, &fs);
		if (!fi.gso_type && fi.needs_csum && fi.l4_off &&
		    fi.csum_start == fi.l4_off &&
		    ((fi.l4_proto == IPPROTO_TCP && fi.csum_offset == 16) ||
		     (fi.l4_proto == IPPROTO_UDP && fi.csum_offset == 6)) &&
		    (ret != FRAME_OK || copy[0] != VIRTIO_NET_HDR_F_DATA_VALID))
			bad_inv++;

		if (!fi.gso_type)
			continue;
		coll_init(&c, 64);
		ret = gso_segment(work, len, &fi, coll_alloc, coll_emit, &c);
		if (c.bad || (ret != (int)c.nemit && ret != -ENOBUFS))
			bad_ret++;
		for (m = 0; m < c.nemit; m++) {
			segs++;
			if (frame_parse(c.buf[m], c.len[m], &fs) != FRAME_OK ||
			    fs.gso_type || !vnet_out_ok(c.buf[m]))
				bad_seg++;
		}
		coll_free(&c);
	}

	printf("\n    %u iterations, %u accepted, %u segments\n", MUT_ITERS, ok,
	       segs);
	CU_ASSERT(ok > MUT_ITERS / 20);
	CU_ASSERT(segs > 0);
	CU_ASSERT_EQUAL(bad_inv, 0);
	CU_ASSERT_EQUAL(bad_ret, 0);
	CU_ASSERT_EQUAL(bad_seg, 0);
}

/**
 * main() - run the suite
 *
 * Return: 0 when every assertion held, 1 otherwise
 */
int main(void)
{
	static const struct cunit_test tests[] = {
		{"csum_partial() against a byte-pair sum", test_csum_partial},
		{"csum_fold() on the RFC 1071 example", test_csum_rfc1071},
		{"gso_csum_complete() stops at the IP end", test_csum_complete},
		{"TSO of IPv4 super-frames up to 64 KiB", test_tso4},
		{"TSO of IPv6 super-frames with extension headers", test_tso6},
		{"USO over IPv4 and IPv6", test_uso},
		{"UFO fragments reassemble to the datagram", test_ufo},
		{"-ENOBUFS when the allocator runs dry", test_enobufs},
		{"-EINVAL for frames that cannot be segmented", test_einval},
		{"random mutations through parse, csum and GSO",
		 test_mutations},
	};

	return cunit_run("gso", tests, sizeof(tests) / sizeof(tests[0]), NULL,
			 NULL);
}
