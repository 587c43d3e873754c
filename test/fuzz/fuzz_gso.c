// SPDX-License-Identifier: MIT
/*
 * fuzz_gso.c - libFuzzer target: software checksum completion and GSO
 *
 * fuzz_frame checks that what gso.c produces parses; this target checks
 * that it is right. The input is one buffer as read from a TAP queue:
 * virtio-net header + Ethernet frame. Only what frame_parse() accepts goes
 * on (gso.c is never handed anything else), then:
 *
 *  - NEEDS_CSUM: gso_csum_complete() on a copy must change nothing but the
 *    checksum field and the vnet flags, and the stored value must be the
 *    complement of the sum from csum_start to the end of the IP packet
 *    taken with the pseudo-header sum the field held (virtio 1.2, 5.1.6.2);
 *  - GSO: every segment gso_segment() emits is a plain frame whose IP
 *    packet carries at most gso_size bytes of payload (what the sender's
 *    MTU allows), with correct IPv4 header and TCP/UDP checksums, headers
 *    equal to the super-frame's but for the fields segmentation owns, TCP
 *    sequence numbers contiguous, FIN/PSH only on the last segment and CWR
 *    only on the first, and the payloads, put back together, are the
 *    super-frame's payload, byte for byte. Legacy UFO fragments are put
 *    back together and the UDP checksum verified over the datagram.
 *
 * Checksums here are computed independently of gso.c, byte by byte on
 * big-endian words (RFC 1071), by ref_sum() of test/lib/frame_builder.h.
 * Any violation traps. Each input runs again with its IPv4 header checksum
 * made right (fuzz_ip4.h).
 *
 * Seeds: test/fuzz/corpus/gso/.
 */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <linux/virtio_net.h>
#include <netinet/in.h>

#include "frame.h"
#include "gso.h"

#include "../lib/frame_builder.h"
#include "fuzz_ip4.h"
#include "fuzz_pool.h"

#define FUZZ_POOL_SIZE (16 << 20)
#define FUZZ_MAX_SEGS  65536

#define FUZZ_TCP_FIN 0x01
#define FUZZ_TCP_PSH 0x08
#define FUZZ_TCP_CWR 0x80
#define FUZZ_IPV4_MF 0x2000

/**
 * struct fuzz_out - segments gso_segment() emitted
 * @pool:	their buffers
 * @nsegs:	segments emitted
 * @seg:	each segment
 * @len:	and its length
 */
struct fuzz_out {
	struct fuzz_pool pool;
	unsigned nsegs;
	uint8_t *seg[FUZZ_MAX_SEGS];
	uint32_t len[FUZZ_MAX_SEGS];
};

static uint8_t fuzz_area[FUZZ_POOL_SIZE] __attribute__((aligned(64)));
static struct fuzz_out fuzz_out;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/**
 * fuzz_trap_unless() - trap when an invariant does not hold
 * @ok:		the invariant
 */
static inline void fuzz_trap_unless(bool ok)
{
	if (!ok)
		__builtin_trap();
}

static inline uint16_t fuzz_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t fuzz_be32(const uint8_t *p)
{
	return (uint32_t)fuzz_be16(p) << 16 | fuzz_be16(p + 2);
}

/**
 * fuzz_pseudo() - IPv4 or IPv6 pseudo-header sum (RFC 9293 3.1, RFC 8200 8.1)
 * @ip:		IP header holding the addresses
 * @ver:	4 or 6
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 * @l4_len:	TCP/UDP header + payload
 *
 * Return: unfolded sum (ref_sum() of frame_builder.h)
 */
static uint32_t fuzz_pseudo(const uint8_t *ip, uint8_t ver, uint8_t proto,
			    uint32_t l4_len)
{
	uint32_t sum = proto + (l4_len >> 16) + (l4_len & 0xffff);

	return ver == 4 ? ref_sum(ip + 12, 8, sum) : ref_sum(ip + 8, 32, sum);
}

/**
 * fuzz_ip_end() - end of the IP packet (without Ethernet padding)
 * @eth:	Ethernet header
 * @fi:		frame_parse() result
 *
 * Return: offset from @eth
 */
static uint32_t fuzz_ip_end(const uint8_t *eth, const struct frame_info *fi)
{
	if (fi->l3 == 4)
		return fi->l3_off + fuzz_be16(eth + fi->l3_off + 2);
	if (fi->l3 == 6)
		return fi->l3_off + 40U + fuzz_be16(eth + fi->l3_off + 4);
	return fi->eth_len;
}

/**
 * fuzz_alloc() - gso_alloc_fn over the static pool
 * @ctx:	struct fuzz_out
 * @cap:	bytes requested
 *
 * Return: @cap addressable bytes followed by a poisoned gap, or NULL
 */
static uint8_t *fuzz_alloc(void *ctx, size_t cap)
{
	struct fuzz_out *o = ctx;

	if (o->nsegs == FUZZ_MAX_SEGS) {
		o->pool.dry = true;
		return NULL;
	}
	return fuzz_pool_alloc(&o->pool, cap);
}

/**
 * fuzz_emit() - gso_emit_fn: keep the segment for the checks
 * @ctx:	struct fuzz_out
 * @buf:	segment
 * @len:	its length
 */
static void fuzz_emit(void *ctx, uint8_t *buf, size_t len)
{
	struct fuzz_out *o = ctx;

	fuzz_trap_unless(buf == o->pool.last && len <= o->pool.last_cap);
	o->seg[o->nsegs] = buf;
	o->len[o->nsegs++] = (uint32_t)len;
}

/**
 * fuzz_check_csum() - gso_csum_complete() on a copy, checked
 * @data:	input, accepted by frame_parse() with NEEDS_CSUM
 * @size:	its length
 * @fi:		frame_parse() result
 */
static void fuzz_check_csum(const uint8_t *data, size_t size,
			    const struct frame_info *fi)
{
	static uint8_t copy[VNET_HDR_LEN + FRAME_MAX_LEN];
	const uint8_t *eth = data + VNET_HDR_LEN;
	uint32_t end = fuzz_ip_end(eth, fi);
	uint32_t field = (uint32_t)fi->csum_start + fi->csum_offset;
	uint32_t at = VNET_HDR_LEN + field;
	uint32_t sum;

	memcpy(copy, data, size);
	gso_csum_complete(copy, size, fi);

	/* The vnet header: NEEDS_CSUM traded for DATA_VALID, nothing else */
	fuzz_trap_unless(copy[0] == ((data[0] & ~VIRTIO_NET_HDR_F_NEEDS_CSUM) |
				     VIRTIO_NET_HDR_F_DATA_VALID));
	fuzz_trap_unless(!memcmp(copy + 1, data + 1, at - 1));
	fuzz_trap_unless(!memcmp(copy + at + 2, data + at + 2, size - at - 2));

	/* A field at an odd distance from csum_start straddles two summed
	 * words: only TCP and UDP headers' even offsets are meaningful.
	 */
	if (fi->csum_offset & 1)
		return;
	sum = ref_sum(copy + VNET_HDR_LEN + fi->csum_start,
		       end - fi->csum_start, fuzz_be16(data + at));
	fuzz_trap_unless(ref_fold(sum) == 0xffff);
	if (fi->l4_proto == IPPROTO_UDP && fi->csum_start == fi->l4_off &&
	    fi->csum_offset == 6)
		fuzz_trap_unless(fuzz_be16(copy + at)); /* RFC 768: not 0 */
}

/**
 * fuzz_check_ip() - a segment's IP header against the super-frame's
 * @in:		super-frame's Ethernet header
 * @seg:	segment's Ethernet header
 * @seg_len:	segment's Ethernet length
 * @fi:		super-frame's frame_parse() result
 * @id:		IPv4 id the segment must carry
 * @ufo:	IPv4 fragment: the fragment field is the segmenter's too
 */
static void fuzz_check_ip(const uint8_t *in, const uint8_t *seg,
			  uint32_t seg_len, const struct frame_info *fi,
			  uint16_t id, bool ufo)
{
	const uint8_t *a = in + fi->l3_off, *b = seg + fi->l3_off;
	uint32_t ihl;

	/* Ethernet (and VLAN) header copied */
	fuzz_trap_unless(!memcmp(in, seg, fi->l3_off));

	if (fi->l3 == 6) {
		fuzz_trap_unless(fuzz_be16(b + 4) == seg_len - fi->l3_off - 40);
		fuzz_trap_unless(!memcmp(a, b, 4));
		fuzz_trap_unless(!memcmp(a + 6, b + 6, fi->l4_off - fi->l3_off - 6));
		return;
	}
	ihl = (a[0] & 0xfU) * 4;
	fuzz_trap_unless(b[0] == a[0] && b[1] == a[1]);
	fuzz_trap_unless(fuzz_be16(b + 2) == seg_len - fi->l3_off);
	fuzz_trap_unless(fuzz_be16(b + 4) == id);
	if (!ufo)
		fuzz_trap_unless(!memcmp(a + 6, b + 6, 2));
	fuzz_trap_unless(!memcmp(a + 8, b + 8, 2));   /* ttl, protocol */
	fuzz_trap_unless(!memcmp(a + 12, b + 12, 8)); /* addresses */
	fuzz_trap_unless(ref_fold(ref_sum(b, ihl, 0)) == 0xffff);
}

/**
 * fuzz_check_l4() - TSO and USO output
 * @data:	super-frame (vnet header + frame)
 * @fi:		its frame_parse() result
 * @o:		the segments
 * @ret:	what gso_segment() returned
 */
static void fuzz_check_l4(const uint8_t *data, const struct frame_info *fi,
			  const struct fuzz_out *o, int ret)
{
	const uint8_t *in = data + VNET_HDR_LEN, *in_l4 = in + fi->l4_off;
	bool tcp = fi->l4_proto == IPPROTO_TCP;
	uint32_t hdrs = (uint32_t)fi->l4_off + fi->l4_hlen;
	uint32_t plen = fuzz_ip_end(in, fi) - hdrs, mss = fi->gso_size;
	uint32_t nseg = plen ? (plen + mss - 1) / mss : 1, off = 0, i;
	uint16_t id = fi->l3 == 4 ? fuzz_be16(in + fi->l3_off + 4) : 0;
	uint8_t flags = tcp ? in_l4[13] : 0;

	fuzz_trap_unless(ret < 0 || (uint32_t)ret == nseg);
	for (i = 0; i < o->nsegs; i++) {
		const uint8_t *seg = o->seg[i] + VNET_HDR_LEN;
		const uint8_t *l4 = seg + fi->l4_off;
		uint32_t seg_len = o->len[i] - VNET_HDR_LEN, chunk;
		uint8_t want = flags;

		fuzz_trap_unless(seg_len >= hdrs);
		chunk = seg_len - hdrs;
		/* Within the sender's MTU; only the last one may be short */
		fuzz_trap_unless(chunk <= mss && off + chunk <= plen);
		fuzz_trap_unless(i + 1 == nseg ? off + chunk == plen
					       : chunk == mss);
		fuzz_trap_unless(!memcmp(seg + hdrs, in + hdrs + off, chunk));
		fuzz_check_ip(in, seg, seg_len, fi, (uint16_t)(id + i), false);

		fuzz_trap_unless(!memcmp(in_l4, l4, 4)); /* ports */
		if (tcp) {
			fuzz_trap_unless(fuzz_be32(l4 + 4) ==
					 fuzz_be32(in_l4 + 4) + off);
			if (i + 1 < nseg)
				want &= (uint8_t)~(FUZZ_TCP_FIN | FUZZ_TCP_PSH);
			if (i)
				want &= (uint8_t)~FUZZ_TCP_CWR;
			fuzz_trap_unless(l4[13] == want);
			fuzz_trap_unless(!memcmp(in_l4 + 8, l4 + 8, 5));
			fuzz_trap_unless(!memcmp(in_l4 + 14, l4 + 14, 2));
			fuzz_trap_unless(!memcmp(in_l4 + 18, l4 + 18,
						 fi->l4_hlen - 18U));
		} else {
			fuzz_trap_unless(fuzz_be16(l4 + 4) == 8 + chunk);
			fuzz_trap_unless(fuzz_be16(l4 + 6)); /* RFC 768 */
		}
		fuzz_trap_unless(
			ref_fold(ref_sum(l4, seg_len - fi->l4_off,
					   fuzz_pseudo(seg + fi->l3_off, fi->l3,
						       fi->l4_proto,
						       seg_len - fi->l4_off))) ==
			0xffff);
		off += chunk;
	}
	if (ret > 0)
		fuzz_trap_unless(off == plen);
}

/**
 * fuzz_check_ufo() - legacy UFO output: IPv4 fragments of one datagram
 * @data:	super-frame (vnet header + frame)
 * @fi:		its frame_parse() result
 * @o:		the fragments
 * @ret:	what gso_segment() returned
 */
static void fuzz_check_ufo(const uint8_t *data, const struct frame_info *fi,
			   const struct fuzz_out *o, int ret)
{
	static uint8_t dgram_out[65536];
	const uint8_t *in = data + VNET_HDR_LEN;
	uint32_t dgram = fuzz_ip_end(in, fi) - fi->l4_off;
	uint32_t fsize = fi->gso_size & ~7U, off = 0, i;
	uint32_t nfrag = (dgram + fsize - 1) / fsize;
	uint16_t id = fuzz_be16(in + fi->l3_off + 4);

	fuzz_trap_unless(ret < 0 || (uint32_t)ret == nfrag);
	for (i = 0; i < o->nsegs; i++) {
		const uint8_t *seg = o->seg[i] + VNET_HDR_LEN;
		const uint8_t *ip = seg + fi->l3_off;
		uint32_t seg_len = o->len[i] - VNET_HDR_LEN, chunk;
		uint16_t frag = fuzz_be16(ip + 6);

		fuzz_trap_unless(seg_len >= fi->l4_off);
		chunk = seg_len - fi->l4_off;
		fuzz_trap_unless(chunk <= fsize && off + chunk <= dgram);
		fuzz_trap_unless(i + 1 == nfrag ? off + chunk == dgram
						: chunk == fsize);
		fuzz_check_ip(in, seg, seg_len, fi, id, true);
		if (nfrag == 1)
			fuzz_trap_unless(frag == fuzz_be16(in + fi->l3_off + 6));
		else
			fuzz_trap_unless(frag == ((off >> 3) | (i + 1 < nfrag ?
							FUZZ_IPV4_MF : 0)));
		/* the first fragment keeps every option */
		if (!i)
			fuzz_trap_unless(!memcmp(in + fi->l3_off + 20, ip + 20,
						 fi->l4_off - fi->l3_off - 20U));
		memcpy(dgram_out + off, seg + fi->l4_off, chunk);
		off += chunk;
	}
	if (ret < 0)
		return;
	fuzz_trap_unless(off == dgram);
	/* Put back together: the input's datagram with its length and a
	 * checksum over all of it.
	 */
	fuzz_trap_unless(!memcmp(dgram_out, in + fi->l4_off, 4));
	fuzz_trap_unless(fuzz_be16(dgram_out + 4) == dgram);
	fuzz_trap_unless(!memcmp(dgram_out + 8, in + fi->l4_off + 8, dgram - 8));
	fuzz_trap_unless(fuzz_be16(dgram_out + 6));
	fuzz_trap_unless(
		ref_fold(ref_sum(dgram_out, dgram,
				   fuzz_pseudo(in + fi->l3_off, 4, IPPROTO_UDP,
					       dgram))) == 0xffff);
}

/**
 * fuzz_check_segments() - every segment a plain, sound frame
 * @fi:		super-frame's frame_parse() result
 * @o:		the segments
 */
static void fuzz_check_segments(const struct frame_info *fi,
				 const struct fuzz_out *o)
{
	static const uint8_t zero[VNET_HDR_LEN];
	struct frame_info sfi;
	unsigned i;

	for (i = 0; i < o->nsegs; i++) {
		fuzz_trap_unless(o->len[i] >= VNET_HDR_LEN + fi->l4_off);
		fuzz_trap_unless(o->seg[i][0] == VIRTIO_NET_HDR_F_DATA_VALID);
		fuzz_trap_unless(!memcmp(o->seg[i] + 1, zero + 1,
					 VNET_HDR_LEN - 1));
		fuzz_trap_unless(frame_parse(o->seg[i], o->len[i], &sfi) ==
				 FRAME_OK);
		fuzz_trap_unless(!sfi.gso_type && !sfi.needs_csum &&
				 sfi.l3 == fi->l3 && sfi.l3_off == fi->l3_off);
	}
}

/**
 * fuzz_one() - check completion and segmentation of one buffer
 * @data:	vnet header + frame
 * @size:	its length
 */
static void fuzz_one(const uint8_t *data, size_t size)
{
	struct fuzz_out *o = &fuzz_out;
	struct frame_info fi;
	int ret;

	if (frame_parse(data, size, &fi) != FRAME_OK)
		return;
	fuzz_trap_unless(size <= VNET_HDR_LEN + FRAME_MAX_LEN);

	if (fi.needs_csum)
		fuzz_check_csum(data, size, &fi);
	if (!fi.gso_type)
		return;

	o->pool = (struct fuzz_pool){.area = fuzz_area, .size = sizeof(fuzz_area)};
	o->nsegs = 0;
	ret = gso_segment(data, size, &fi, fuzz_alloc, fuzz_emit, o);
	/* frame_parse() vouched for the frame: only running out of output
	 * buffers may stop the segmenter, after what it emitted till then.
	 */
	fuzz_trap_unless(ret > 0 || (ret == -ENOBUFS && o->pool.dry));
	fuzz_trap_unless(ret < 0 || (unsigned)ret == o->nsegs);

	fuzz_check_segments(&fi, o);
	if (fi.gso_type == VIRTIO_NET_HDR_GSO_UDP)
		fuzz_check_ufo(data, &fi, o, ret);
	else
		fuzz_check_l4(data, &fi, o, ret);

	FUZZ_POISON(fuzz_area, o->pool.used);
}

/**
 * LLVMFuzzerTestOneInput() - one fuzz input, as it is and with its IPv4
 *			      header checksum made right (fuzz_ip4.h)
 * @data:	vnet header + frame
 * @size:	its length
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_ip4_both(data, size, fuzz_one);
	return 0;
}

/**
 * LLVMFuzzerInitialize() - poison the whole output pool once
 * @argc:	unused
 * @argv:	unused
 *
 * Return: 0
 */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	FUZZ_POISON(fuzz_area, sizeof(fuzz_area));
	return 0;
}
