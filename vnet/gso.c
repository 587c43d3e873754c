// SPDX-License-Identifier: MIT
/*
 * gso.c - software checksum completion and segmentation
 *
 * Theory of operation
 * -------------------
 * A tenant with offloads hands the switch frames whose L4 checksum is only
 * a pseudo-header sum (NEEDS_CSUM) and, with GSO, super-frames of up to
 * 64 KiB. A port that cannot take them gets them finished here:
 *
 * - gso_csum_complete() completes the checksum in place, following the
 *   virtio contract literally: sum from csum_start to the end of the IP
 *   packet, store the complement at csum_start + csum_offset.
 * - gso_segment() cuts a super-frame into frames of gso_size payload, each
 *   written into a fresh buffer from the caller's allocator (no allocation
 *   here: the caller's buffers come from its arena) and handed to emit().
 *   TCP (TSO) and UDP (USO) segments get complete headers and a complete
 *   checksum computed from scratch; the pseudo-header sum the tenant left in
 *   the frame is not trusted. Legacy UFO becomes IPv4 fragments of one UDP
 *   datagram, the way Linux implemented it.
 *
 * All inputs went through frame_parse(); the offsets it found are still
 * re-checked against the buffer so that a caller bug cannot make us read or
 * write out of bounds. Output segments never carry offload requests: their
 * vnet header is zero but for DATA_VALID.
 *
 * Checksums (RFC 1071) are summed on native-order words: the ones'
 * complement sum is byte-order independent (RFC 1071 2.B), so a value folded
 * and stored with memcpy() lands in network order on any host.
 */

#include <errno.h>
#include <string.h>

#include <linux/virtio_net.h>
#include <netinet/in.h>

#include "gso.h"

#define GSO_IPV6_HLEN	 40
#define GSO_UDP_HLEN	 8
#define GSO_TCP_FLAG_FIN 0x01
#define GSO_TCP_FLAG_PSH 0x08
#define GSO_TCP_FLAG_CWR 0x80
#define GSO_IPV4_MF	 0x2000

/* RFC 791 3.1, options */
#define GSO_IPOPT_EOL  0
#define GSO_IPOPT_NOP  1
#define GSO_IPOPT_COPY 0x80

/**
 * gso_add64() - ones' complement addition of two 64-bit words
 * @a:	first addend
 * @b:	second addend
 *
 * Return: @a + @b with the carry out added back in
 */
static inline uint64_t gso_add64(uint64_t a, uint64_t b)
{
	a += b;
	return a + (a < b);
}

/**
 * csum_partial() - ones' complement sum of a buffer (RFC 1071)
 * @data:	bytes to sum, any alignment
 * @len:	number of bytes; an odd last byte is padded with a zero byte
 * @sum:	sum to add to, as returned by an earlier call
 *
 * Sums 8 bytes at a time into a 64-bit accumulator; only the last call of a
 * sequence may have an odd @len, earlier ones must keep 16-bit words whole.
 *
 * Return: unfolded 32-bit sum of native-order 16-bit words
 */
uint32_t csum_partial(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	uint64_t acc = sum, w0, w1, w2, w3;
	uint32_t w32;
	uint16_t w16;

	while (len >= 32) {
		memcpy(&w0, p, 8);
		memcpy(&w1, p + 8, 8);
		memcpy(&w2, p + 16, 8);
		memcpy(&w3, p + 24, 8);
		acc = gso_add64(acc, w0);
		acc = gso_add64(acc, w1);
		acc = gso_add64(acc, w2);
		acc = gso_add64(acc, w3);
		p += 32;
		len -= 32;
	}
	while (len >= 8) {
		memcpy(&w0, p, 8);
		acc = gso_add64(acc, w0);
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		memcpy(&w32, p, 4);
		acc = gso_add64(acc, w32);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&w16, p, 2);
		acc = gso_add64(acc, w16);
		p += 2;
		len -= 2;
	}
	if (len) {
		/* RFC 1071 4.1: the odd byte is the first of a zero-padded word
		 */
		uint8_t last[2] = {p[0], 0};

		memcpy(&w16, last, 2);
		acc = gso_add64(acc, w16);
	}

	/* 2^32 == 1 in ones' complement arithmetic modulo 0xffff */
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffffffff) + (acc >> 32);
	return (uint32_t)acc;
}

/**
 * csum_fold() - fold a partial sum to 16 bits and complement it
 * @sum:	as returned by csum_partial()
 *
 * Return: the checksum to store, in the native word order csum_partial()
 * used, i.e. to be written with memcpy()
 */
uint16_t csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/**
 * gso_be16() - read a big-endian 16-bit field at any alignment
 * @p:	first byte
 *
 * Return: value in host order
 */
static inline uint16_t gso_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/**
 * gso_put_be16() - write a big-endian 16-bit field at any alignment
 * @p:	first byte
 * @v:	value in host order
 */
static inline void gso_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/**
 * gso_be32() - read a big-endian 32-bit field at any alignment
 * @p:	first byte
 *
 * Return: value in host order
 */
static inline uint32_t gso_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/**
 * gso_put_be32() - write a big-endian 32-bit field at any alignment
 * @p:	first byte
 * @v:	value in host order
 */
static inline void gso_put_be32(uint8_t *p, uint32_t v)
{
	gso_put_be16(p, (uint16_t)(v >> 16));
	gso_put_be16(p + 2, (uint16_t)v);
}

/**
 * gso_store_csum() - store a folded checksum into a header field
 * @field:	two bytes, any alignment
 * @csum:	as returned by csum_fold()
 */
static inline void gso_store_csum(uint8_t *field, uint16_t csum)
{
	memcpy(field, &csum, sizeof(csum));
}

/**
 * gso_ip_end() - end of the IP packet, ignoring any Ethernet padding
 * @buf:	vnet header + frame
 * @len:	its length
 * @fi:		frame_parse() result
 *
 * Return: offset from the Ethernet header where the IP packet (or, if not
 * IP, the frame) ends, never beyond the buffer
 */
static uint32_t gso_ip_end(const uint8_t *buf, size_t len,
			   const struct frame_info *fi)
{
	uint32_t eth_len = (uint32_t)(len - VNET_HDR_LEN), end = eth_len;
	const uint8_t *ip = frame_eth(buf) + fi->l3_off;

	if (fi->eth_len < eth_len)
		end = eth_len = fi->eth_len;

	if (fi->l3 == 4 && (uint32_t)fi->l3_off + 20 <= eth_len)
		end = fi->l3_off + gso_be16(ip + 2);
	else if (fi->l3 == 6 && (uint32_t)fi->l3_off + GSO_IPV6_HLEN <= eth_len)
		end = fi->l3_off + GSO_IPV6_HLEN + gso_be16(ip + 4);

	return end < eth_len ? end : eth_len;
}

/**
 * gso_csum_complete() - finish a NEEDS_CSUM frame's L4 checksum in place
 * @buf:	vnet header + frame, already accepted by frame_parse()
 * @len:	its length
 * @fi:		frame_parse() result
 *
 * The field at csum_start + csum_offset holds the pseudo-header sum, so
 * summing everything from csum_start on and storing the complement gives
 * the full checksum (virtio 1.2, 5.1.6.2). A UDP checksum that comes out as
 * 0 is sent as 0xffff, 0 meaning "no checksum" (RFC 768).
 */
void gso_csum_complete(uint8_t *buf, size_t len, const struct frame_info *fi)
{
	struct vnet_hdr *vh = (struct vnet_hdr *)buf;
	uint8_t *eth = buf + VNET_HDR_LEN;
	uint32_t end, field;
	uint16_t csum;

	if (len < VNET_HDR_LEN || !fi->needs_csum ||
	    !(vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return;

	end = gso_ip_end(buf, len, fi);
	field = (uint32_t)fi->csum_start + fi->csum_offset;
	if (fi->csum_start > end || field + 2 > end)
		return;

	csum = csum_fold(
		csum_partial(eth + fi->csum_start, end - fi->csum_start, 0));
	if (!csum && fi->l4_proto == IPPROTO_UDP &&
	    fi->csum_start == fi->l4_off && fi->csum_offset == 6)
		csum = 0xffff;
	gso_store_csum(eth + field, csum);

	vh->flags = (uint8_t)((vh->flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM) |
			      VIRTIO_NET_HDR_F_DATA_VALID);
}

/**
 * gso_pseudo_sum() - sum of the IPv4 or IPv6 pseudo-header
 * @l3:		IP header of the segment
 * @ip_ver:	4 or 6
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 * @l4_len:	L4 header + payload length
 *
 * RFC 793 3.1 / RFC 768 (IPv4), RFC 8200 8.1 (IPv6).
 *
 * Return: partial sum for csum_partial()
 */
static uint32_t gso_pseudo_sum(const uint8_t *l3, uint8_t ip_ver, uint8_t proto,
			       uint32_t l4_len)
{
	uint8_t ph[8] = {0};

	if (ip_ver == 4) {
		ph[1] = proto;
		gso_put_be16(ph + 2, (uint16_t)l4_len);
		return csum_partial(l3 + 12, 8, csum_partial(ph, 4, 0));
	}

	gso_put_be32(ph, l4_len);
	ph[7] = proto;
	return csum_partial(l3 + 8, 32, csum_partial(ph, 8, 0));
}

/**
 * gso_ip_fix() - set an output segment's IP length, id and header checksum
 * @l3:		IP header of the segment
 * @ip_ver:	4 or 6
 * @ip_len:	length of the IP packet, headers included
 * @id:		IPv4 identification to set
 */
static void gso_ip_fix(uint8_t *l3, uint8_t ip_ver, uint32_t ip_len,
		       uint16_t id)
{
	if (ip_ver == 6) {
		gso_put_be16(l3 + 4, (uint16_t)(ip_len - GSO_IPV6_HLEN));
		return;
	}

	gso_put_be16(l3 + 2, (uint16_t)ip_len);
	gso_put_be16(l3 + 4, id);
	l3[10] = l3[11] = 0;
	gso_store_csum(l3 + 10,
		       csum_fold(csum_partial(l3, (l3[0] & 0xf) * 4U, 0)));
}

/**
 * gso_out_start() - get an output buffer and write its vnet header
 * @alloc:	caller's allocator
 * @ctx:	its context
 * @cap:	bytes needed, vnet header included
 *
 * Return: the buffer, NULL when the allocator is out of buffers
 */
static uint8_t *gso_out_start(gso_alloc_fn alloc, void *ctx, size_t cap)
{
	uint8_t *out = alloc(ctx, cap);

	if (!out)
		return NULL;

	/* Fully checksummed, no offload left: a port without offloads can
	 * take it, one with offloads skips verification.
	 */
	memset(out, 0, VNET_HDR_LEN);
	out[offsetof(struct vnet_hdr, flags)] = VIRTIO_NET_HDR_F_DATA_VALID;
	return out;
}

/**
 * gso_segment_l4() - TSO and USO: one TCP segment or UDP datagram each
 * @eth:	Ethernet header of the super-frame
 * @fi:		frame_parse() result
 * @ip_end:	end of the IP packet
 * @alloc, @emit, @ctx:	as for gso_segment()
 *
 * For TCP (RFC 9293 3.1) the sequence number advances by the payload
 * already sent; FIN and PSH belong to the end of the data, CWR to its
 * start (RFC 3168 6.1.2: set on the first new segment only), so they are
 * kept on the last and the first segment respectively. IPv4 ids increase
 * by one per segment, as Linux GSO does without SKB_GSO_TCP_FIXEDID.
 *
 * Return: number of segments, or -ENOBUFS
 */
static int gso_segment_l4(const uint8_t *eth, const struct frame_info *fi,
			  uint32_t ip_end, gso_alloc_fn alloc, gso_emit_fn emit,
			  void *ctx)
{
	bool tcp = fi->l4_proto == IPPROTO_TCP;
	uint32_t hdrs = (uint32_t)fi->l4_off + fi->l4_hlen;
	uint32_t plen = ip_end - hdrs, mss = fi->gso_size;
	uint32_t nseg = plen ? (plen + mss - 1) / mss : 1;
	uint16_t id = fi->l3 == 4 ? gso_be16(eth + fi->l3_off + 4) : 0;
	uint32_t seq = tcp ? gso_be32(eth + fi->l4_off + 4) : 0;
	uint32_t i, off, chunk, seglen;
	uint8_t *out, *seg, *l4;
	uint16_t csum;

	for (i = 0, off = 0; i < nseg; i++, off += chunk) {
		chunk = plen - off < mss ? plen - off : mss;
		seglen = hdrs + chunk;

		out = gso_out_start(alloc, ctx, VNET_HDR_LEN + seglen);
		if (!out)
			return -ENOBUFS;
		seg = out + VNET_HDR_LEN;
		memcpy(seg, eth, hdrs);
		memcpy(seg + hdrs, eth + hdrs + off, chunk);

		gso_ip_fix(seg + fi->l3_off, fi->l3, seglen - fi->l3_off,
			   (uint16_t)(id + i));

		l4 = seg + fi->l4_off;
		if (tcp) {
			gso_put_be32(l4 + 4, seq + off);
			if (i + 1 < nseg)
				l4[13] &= (uint8_t) ~(GSO_TCP_FLAG_FIN |
						      GSO_TCP_FLAG_PSH);
			if (i)
				l4[13] &= (uint8_t)~GSO_TCP_FLAG_CWR;
			l4[16] = l4[17] = 0;
		} else {
			gso_put_be16(l4 + 4, (uint16_t)(GSO_UDP_HLEN + chunk));
			l4[6] = l4[7] = 0;
		}

		csum = csum_fold(csum_partial(
			l4, seglen - fi->l4_off,
			gso_pseudo_sum(seg + fi->l3_off, fi->l3, fi->l4_proto,
				       seglen - fi->l4_off)));
		if (!tcp && !csum)
			csum = 0xffff; /* RFC 768 */
		gso_store_csum(l4 + (tcp ? 16 : 6), csum);

		emit(ctx, out, VNET_HDR_LEN + seglen);
	}

	return (int)nseg;
}

/**
 * gso_ip_opts_fragment() - blank options not copied into later fragments
 * @opt:	IPv4 options of a non-first fragment
 * @len:	their length
 *
 * RFC 791 3.1: options without the "copied" flag appear in the first
 * fragment only. They are overwritten with NOPs, which keeps the header
 * length; a malformed remainder is blanked entirely.
 */
static void gso_ip_opts_fragment(uint8_t *opt, size_t len)
{
	size_t i = 0, olen;

	while (i < len) {
		if (opt[i] == GSO_IPOPT_EOL)
			return;
		if (opt[i] == GSO_IPOPT_NOP) {
			i++;
			continue;
		}
		if (len - i < 2 || opt[i + 1] < 2 || opt[i + 1] > len - i) {
			memset(opt + i, GSO_IPOPT_NOP, len - i);
			return;
		}
		olen = opt[i + 1];
		if (!(opt[i] & GSO_IPOPT_COPY))
			memset(opt + i, GSO_IPOPT_NOP, olen);
		i += olen;
	}
}

/**
 * gso_segment_ufo() - legacy UFO: fragment one UDP datagram (IPv4 only)
 * @eth:	Ethernet header of the super-frame
 * @fi:		frame_parse() result
 * @ip_end:	end of the IP packet
 * @alloc, @emit, @ctx:	as for gso_segment()
 *
 * The UDP checksum covers the whole datagram and goes into the first
 * fragment. Every fragment but the last carries gso_size bytes of IP
 * payload rounded down to a multiple of 8, all share the datagram's IP id
 * (RFC 791 3.2). A datagram that fits in one fragment is sent whole.
 *
 * Return: number of fragments, or -EINVAL, -ENOBUFS
 */
static int gso_segment_ufo(const uint8_t *eth, const struct frame_info *fi,
			   uint32_t ip_end, gso_alloc_fn alloc,
			   gso_emit_fn emit, void *ctx)
{
	uint32_t ihl = (uint32_t)fi->l4_off - fi->l3_off;
	uint32_t dgram = ip_end - fi->l4_off;
	uint32_t fsize = fi->gso_size & ~7U;
	uint32_t nfrag, i, off, chunk, seglen;
	uint8_t uh[GSO_UDP_HLEN], *out, *seg;
	uint16_t csum, frag_off;

	if (fsize < 8 || dgram < GSO_UDP_HLEN)
		return -EINVAL;
	nfrag = (dgram + fsize - 1) / fsize;

	memcpy(uh, eth + fi->l4_off, GSO_UDP_HLEN);
	gso_put_be16(uh + 4, (uint16_t)dgram);
	uh[6] = uh[7] = 0;
	csum = csum_fold(csum_partial(
		eth + fi->l4_off + GSO_UDP_HLEN, dgram - GSO_UDP_HLEN,
		csum_partial(uh, GSO_UDP_HLEN,
			     gso_pseudo_sum(eth + fi->l3_off, 4, IPPROTO_UDP,
					    dgram))));
	gso_store_csum(uh + 6, csum ? csum : 0xffff);

	for (i = 0, off = 0; i < nfrag; i++, off += chunk) {
		chunk = dgram - off < fsize ? dgram - off : fsize;
		seglen = fi->l4_off + chunk;

		out = gso_out_start(alloc, ctx, VNET_HDR_LEN + seglen);
		if (!out)
			return -ENOBUFS;
		seg = out + VNET_HDR_LEN;
		memcpy(seg, eth, fi->l4_off);
		memcpy(seg + fi->l4_off, eth + fi->l4_off + off, chunk);
		if (!i)
			memcpy(seg + fi->l4_off, uh, GSO_UDP_HLEN);
		else
			gso_ip_opts_fragment(seg + fi->l3_off + 20, ihl - 20);

		if (nfrag > 1) {
			/* DF cannot hold: the tenant asked for fragments */
			frag_off = (uint16_t)(off >> 3);
			if (i + 1 < nfrag)
				frag_off |= GSO_IPV4_MF;
			gso_put_be16(seg + fi->l3_off + 6, frag_off);
		}
		gso_ip_fix(seg + fi->l3_off, 4, ihl + chunk,
			   gso_be16(eth + fi->l3_off + 4));

		emit(ctx, out, VNET_HDR_LEN + seglen);
	}

	return (int)nfrag;
}

/**
 * gso_segment() - split a GSO frame into frames of at most gso_size payload
 * @buf:	vnet header + super-frame, accepted by frame_parse()
 * @len:	its length
 * @fi:		frame_parse() result, with gso_type set
 * @alloc:	gives one output buffer per segment
 * @emit:	takes each finished segment, in order
 * @ctx:	passed to @alloc and @emit
 *
 * Return: number of segments emitted, -EINVAL for a frame that cannot be
 * segmented, -ENOBUFS when @alloc ran out (segments emitted until then
 * stay emitted)
 */
int gso_segment(const uint8_t *buf, size_t len, const struct frame_info *fi,
		gso_alloc_fn alloc, gso_emit_fn emit, void *ctx)
{
	const uint8_t *eth = frame_eth(buf);
	uint32_t ip_end, iph;

	if (len < VNET_HDR_LEN + ETH_HLEN_MIN || !fi->gso_size || !fi->l4_off ||
	    fi->eth_len != len - VNET_HDR_LEN || fi->l4_off <= fi->l3_off)
		return -EINVAL;

	/* Re-check what frame_parse() promised, against this buffer */
	ip_end = gso_ip_end(buf, len, fi);
	if ((uint32_t)fi->l4_off + fi->l4_hlen > ip_end)
		return -EINVAL;
	iph = fi->l3 == 4 ? (eth[fi->l3_off] & 0xfU) * 4 : GSO_IPV6_HLEN;
	if (iph < 20 || (uint32_t)fi->l3_off + iph > fi->l4_off)
		return -EINVAL;
	/* One segment must still be a valid IP packet, see frame_parse() */
	if ((uint32_t)fi->l4_off + fi->l4_hlen - fi->l3_off -
		    (fi->l3 == 6 ? GSO_IPV6_HLEN : 0) + fi->gso_size >
	    UINT16_MAX)
		return -EINVAL;

	switch (fi->gso_type) {
	case VIRTIO_NET_HDR_GSO_TCPV4:
	case VIRTIO_NET_HDR_GSO_TCPV6:
		if (fi->l4_proto != IPPROTO_TCP || fi->l4_hlen < 20 ||
		    fi->l3 !=
			    (fi->gso_type == VIRTIO_NET_HDR_GSO_TCPV4 ? 4 : 6))
			return -EINVAL;
		return gso_segment_l4(eth, fi, ip_end, alloc, emit, ctx);
	case VIRTIO_NET_HDR_GSO_UDP_L4:
		if (fi->l4_proto != IPPROTO_UDP ||
		    fi->l4_hlen != GSO_UDP_HLEN || (fi->l3 != 4 && fi->l3 != 6))
			return -EINVAL;
		return gso_segment_l4(eth, fi, ip_end, alloc, emit, ctx);
	case VIRTIO_NET_HDR_GSO_UDP:
		/* the UDP header directly follows the IPv4 header */
		if (fi->l4_proto != IPPROTO_UDP || fi->l3 != 4 ||
		    fi->l4_off != fi->l3_off + iph)
			return -EINVAL;
		return gso_segment_ufo(eth, fi, ip_end, alloc, emit, ctx);
	default:
		return -EINVAL;
	}
}
