// SPDX-License-Identifier: MIT
/*
 * frame.c - parsing and validation of frames from tenants
 *
 * Theory of operation
 * -------------------
 * A frame read from a tenant's TAP queue is a 12-byte virtio-net header
 * (struct vnet_hdr, little-endian) followed by an Ethernet frame. Everything
 * in it is written by the tenant, so frame_parse() treats every byte as
 * hostile: each length is checked against what is really in the buffer
 * before it is used, and nothing is read outside [buf, buf + len). Fields
 * are read byte by byte (frame_be16() and friends): the Ethernet frame starts
 * 12 bytes into the buffer, so no header is naturally aligned.
 *
 * The checks run in this order, the first failure is the drop reason:
 *
 *   1. lengths: vnet header + Ethernet header present (SHORT), Ethernet frame
 *      not above FRAME_MAX_LEN (LONG);
 *   2. source MAC: neither group nor all-zero (SRC_MAC) -- a frame with such
 *      a source would poison the forwarding database (IEEE 802.1Q 8.7);
 *   3. vnet flags: only NEEDS_CSUM and DATA_VALID are defined for frames a
 *      driver sends (virtio 1.2, 5.1.6.2) (VNET_FLAGS);
 *   4. Ethernet: at most one 802.1Q / 802.1ad tag is looked through;
 *   5. IPv4 / IPv6 header and lengths, IPv4 options' layout, and IPv4
 *      fragments that would end past 64 KiB; ARP's length (L3). Other
 *      ethertypes are not looked at, the switch forwards them as they are;
 *   6. TCP / UDP header (L4): a TCP data offset below 20 bytes or past the
 *      packet, a UDP length that lies, and a first fragment too short to
 *      hold its header are dropped here, so that no other tenant's kernel
 *      is sent what it can only drop (and a flood of them does not cost
 *      every port on the network). A chain of IPv6 extension headers too
 *      long to follow is forwarded without an L4 header recorded;
 *   7. NEEDS_CSUM start and offset inside the packet (CSUM);
 *   8. GSO type, size and headers consistent (GSO).
 *
 * What the later stages need (offsets, protocols, offload requests) ends up
 * in struct frame_info; the vnet header's hdr_len is never used, header
 * lengths are always computed here.
 */

#include <string.h>

#include <linux/if_ether.h>
#include <linux/virtio_net.h>
#include <netinet/in.h>

#include "frame.h"

#define FRAME_IPV4_HLEN_MIN 20
#define FRAME_IPV6_HLEN	    40
#define FRAME_TCP_HLEN_MIN  20
#define FRAME_UDP_HLEN	    8
#define FRAME_TCP_CSUM_OFF  16 /* offsetof(struct tcphdr, check) */
#define FRAME_UDP_CSUM_OFF  6  /* offsetof(struct udphdr, check) */
/* Linux refuses a NEEDS_CSUM start below an IPv4 header's length from the
 * start of the frame (virtio_net_hdr_to_skb(), nh_min_len) */
#define FRAME_CSUM_START_MIN 20

#define FRAME_ARP_HLEN	    8  /* hardware/protocol types and lengths, op */

#define FRAME_IPV4_MF	   0x2000
#define FRAME_IPV4_OFFMASK 0x1fff
#define FRAME_IPV6_OFFMASK 0xfff8 /* fragment header: offset << 3 */

/*
 * Bound on the IPv6 extension header chain: RFC 8200 4.1 recommends at most
 * one of each (destination options twice), so eight is generous; a longer
 * chain is forwarded without an L4 header recorded.
 */
#define FRAME_IPV6_MAX_EXT 8

#define FRAME_VNET_FLAGS_KNOWN                                                 \
	(VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID)

/**
 * struct frame_ctx - parser state that does not go into struct frame_info
 * @eth:	start of the Ethernet frame
 * @ip_end:	end of the IP packet (without Ethernet padding) from @eth
 * @frag:	IPv4 fragment, or IPv6 packet with a fragment header
 * @srcroute:	IPv6 packet with a routing header, or IPv4 packet with a
 *		source route option: the TCP/UDP pseudo-header's destination
 *		is not the header's (RFC 8200 8.1, RFC 791 3.1)
 * @offload:	NEEDS_CSUM or GSO requested: L4 headers must be sound
 * @gso:	GSO requested
 */
struct frame_ctx {
	const uint8_t *eth;
	uint32_t ip_end;
	bool frag;
	bool srcroute;
	bool offload;
	bool gso;
};

/**
 * frame_be16() - read a big-endian 16-bit field at any alignment
 * @p:	first byte of the field
 *
 * Return: the value in host order
 */
static inline uint16_t frame_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/**
 * frame_le16() - read a little-endian 16-bit vnet header field
 * @p:	first byte of the field
 *
 * Return: the value in host order
 */
static inline uint16_t frame_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/**
 * frame_src_mac_bad() - check the source MAC of a frame
 * @mac:	six bytes of source address
 *
 * Return: true for a group (multicast, broadcast) or all-zero address
 */
static bool frame_src_mac_bad(const uint8_t *mac)
{
	static const uint8_t zero[ETH_ALEN];

	return frame_mac_is_multicast(mac) || !memcmp(mac, zero, ETH_ALEN);
}

/**
 * frame_ipv4_opts_ok() - check the layout of IPv4 options
 * @o:		first option byte
 * @len:	bytes of options (IHL * 4 - 20)
 * @srcroute:	set if there is a Loose (131) or Strict (137) Source and
 *		Record Route: the packet's destination is then its next hop
 *		and the pseudo-header sums the final one, last in the route
 *
 * RFC 791 3.1: End of Option List (0) ends them, No Operation (1) is one
 * byte, every other option has a length byte of at least 2 that keeps it
 * inside the header. What the options say is the receiver's business.
 *
 * Return: true if every option lies inside the header
 */
static bool frame_ipv4_opts_ok(const uint8_t *o, uint32_t len, bool *srcroute)
{
	uint32_t i = 0;

	while (i < len) {
		if (o[i] == 0) /* End of Option List */
			return true;
		if (o[i] == 1) { /* No Operation */
			i++;
			continue;
		}
		if (len - i < 2 || o[i + 1] < 2 || o[i + 1] > len - i)
			return false;
		if (o[i] == 131 || o[i] == 137)
			*srcroute = true;
		i += o[i + 1];
	}
	return true;
}

/**
 * frame_ipv4_csum_ok() - check an IPv4 header checksum
 * @ip:		the header
 * @ihl:	its length in bytes, a multiple of 4 from 20 to 60
 *
 * RFC 1071: the ones' complement sum of the header, checksum included,
 * is all ones.
 *
 * Return: true if it is
 */
static bool frame_ipv4_csum_ok(const uint8_t *ip, uint32_t ihl)
{
	uint32_t sum = 0, i;

	for (i = 0; i < ihl; i += 2)
		sum += (uint32_t)ip[i] << 8 | ip[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/**
 * frame_parse_arp() - check that an ARP packet holds its addresses
 * @fi:		frame info, l3_off and eth_len set
 * @eth:	the Ethernet frame
 *
 * RFC 826: after the fixed eight bytes come two hardware and two protocol
 * addresses of the lengths the header gives.
 *
 * Return: FRAME_OK or FRAME_DROP_L3
 */
static enum frame_drop frame_parse_arp(const struct frame_info *fi,
				       const uint8_t *eth)
{
	uint32_t room = fi->eth_len - fi->l3_off;
	const uint8_t *a = eth + fi->l3_off;

	if (room < FRAME_ARP_HLEN ||
	    room < FRAME_ARP_HLEN + 2U * a[4] + 2U * a[5])
		return FRAME_DROP_L3;
	return FRAME_OK;
}

/**
 * frame_parse_ipv4() - validate an IPv4 header, find the L4 header
 * @c:		parser state, @c->ip_end, @c->frag and @c->srcroute set here
 * @fi:		frame info, l3_off and eth_len set, l4_off/l4_proto set here
 * @l4_off:	set to the L4 header offset, 0 for a non-first fragment
 * @proto:	set to the IP protocol number
 *
 * Ethernet padding after the IP packet is allowed (tot_len below the room
 * left), a total length above it or below the header length is not. A total
 * length of 0 (what Linux writes for a BIG TCP packet above 64 KiB) fails
 * the same check: such super-frames are not accepted.
 *
 * The header checksum is checked unless the frame asks for GSO: every
 * receiver drops a packet whose checksum is wrong (RFC 1122 3.2.1.2), so
 * passing it on only costs the receivers, while a GSO super-frame is not
 * a packet yet; each segment gets its checksum when it is cut (gso.c, or
 * the receiving kernel), and some senders leave the super-frame's blank.
 *
 * Return: FRAME_OK, FRAME_DROP_L3 or FRAME_DROP_IP_CSUM
 */
static enum frame_drop frame_parse_ipv4(struct frame_ctx *c,
					const struct frame_info *fi,
					uint32_t *l4_off, uint8_t *proto)
{
	uint32_t room = fi->eth_len - fi->l3_off;
	const uint8_t *ip = c->eth + fi->l3_off;
	uint32_t ihl, tot;
	uint16_t frag;

	if (room < FRAME_IPV4_HLEN_MIN || ip[0] >> 4 != 4)
		return FRAME_DROP_L3;

	ihl = (ip[0] & 0xf) * 4U;
	if (ihl < FRAME_IPV4_HLEN_MIN || ihl > room)
		return FRAME_DROP_L3;

	tot = frame_be16(ip + 2);
	if (tot < ihl || tot > room)
		return FRAME_DROP_L3;

	if (!frame_ipv4_opts_ok(ip + FRAME_IPV4_HLEN_MIN,
				ihl - FRAME_IPV4_HLEN_MIN, &c->srcroute))
		return FRAME_DROP_L3;
	if (!c->gso && !frame_ipv4_csum_ok(ip, ihl))
		return FRAME_DROP_IP_CSUM;

	c->ip_end = fi->l3_off + tot;
	*proto = ip[9];

	frag = frame_be16(ip + 6);
	c->frag = frag & (FRAME_IPV4_MF | FRAME_IPV4_OFFMASK);
	/* Reassembled, it would be longer than an IP packet can be (the
	 * "ping of death") */
	if ((frag & FRAME_IPV4_OFFMASK) * 8U + tot - ihl > UINT16_MAX)
		return FRAME_DROP_L3;
	/* RFC 791: only the fragment at offset 0 carries the L4 header */
	*l4_off = (frag & FRAME_IPV4_OFFMASK) ? 0 : fi->l3_off + ihl;

	return FRAME_OK;
}

/**
 * frame_ipv6_is_ext() - tell extension headers we walk from L4 protocols
 * @nh:	next header value
 *
 * Return: true for hop-by-hop, routing, fragment and destination options
 */
static bool frame_ipv6_is_ext(uint8_t nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
	       nh == IPPROTO_FRAGMENT || nh == IPPROTO_DSTOPTS;
}

/**
 * frame_parse_ipv6() - validate an IPv6 header, walk extension headers
 * @c:		parser state, @c->ip_end, @c->frag and @c->srcroute set here
 * @fi:		frame info, l3_off and eth_len set; l4_unknown set here
 * @l4_off:	set to the L4 header offset, 0 when there is none to find
 * @proto:	set to the protocol of the header at @l4_off
 *
 * Walks hop-by-hop, routing, destination options and fragment headers
 * (RFC 8200 4.3-4.6), each checked to lie inside the payload. A payload
 * length of 0 is only valid without any payload (next header 59): a
 * jumbogram (RFC 2675) is not accepted.
 *
 * Return: FRAME_OK or FRAME_DROP_L3
 */
static enum frame_drop frame_parse_ipv6(struct frame_ctx *c,
					struct frame_info *fi,
					uint32_t *l4_off, uint8_t *proto)
{
	uint32_t room = fi->eth_len - fi->l3_off;
	const uint8_t *ip = c->eth + fi->l3_off;
	uint32_t plen, off, hlen;
	const uint8_t *h;
	uint8_t nh;
	int i;

	if (room < FRAME_IPV6_HLEN || ip[0] >> 4 != 6)
		return FRAME_DROP_L3;

	plen = frame_be16(ip + 4);
	nh = ip[6];
	if (plen > room - FRAME_IPV6_HLEN)
		return FRAME_DROP_L3;
	if (!plen && nh != IPPROTO_NONE)
		return FRAME_DROP_L3;

	c->ip_end = fi->l3_off + FRAME_IPV6_HLEN + plen;
	off = fi->l3_off + FRAME_IPV6_HLEN;
	*l4_off = 0;
	*proto = 0;

	for (i = 0;; i++) {
		h = c->eth + off;

		switch (nh) {
		case IPPROTO_HOPOPTS:
			/* RFC 8200 4.1: only right after the IPv6 header */
			if (i)
				return FRAME_DROP_L3;
			/* fall through */
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if (c->ip_end - off < 2)
				return FRAME_DROP_L3;
			hlen = (h[1] + 1U) * 8;
			if (c->ip_end - off < hlen)
				return FRAME_DROP_L3;
			if (nh == IPPROTO_ROUTING)
				c->srcroute = true;
			break;
		case IPPROTO_FRAGMENT:
			hlen = 8;
			if (c->ip_end - off < hlen)
				return FRAME_DROP_L3;
			c->frag = true;
			/* RFC 8200 4.5: no L4 header past offset 0 */
			if (frame_be16(h + 2) & FRAME_IPV6_OFFMASK)
				return FRAME_OK;
			break;
		default:
			*l4_off = off;
			*proto = nh;
			return FRAME_OK;
		}

		nh = h[0];
		off += hlen;

		/* chain too long to follow: forwarded without an L4 header */
		if (i + 1 == FRAME_IPV6_MAX_EXT && frame_ipv6_is_ext(nh)) {
			fi->l4_unknown = true;
			return FRAME_OK;
		}
	}
}

/**
 * frame_parse_l4() - check and record the TCP/UDP header
 * @c:		parser state after L3
 * @fi:		frame info, l4 fields set here, gso_type not yet
 * @l4_off:	offset of the L4 header from the Ethernet header, 0 if none
 * @proto:	its protocol
 * @gso:	the frame asks for segmentation
 *
 * A packet's TCP header must fit its data offset, which is at least 20
 * bytes; a UDP length must cover the header and lie inside the packet. In
 * a first fragment (RFC 1858: no tiny fragments) only the fixed part of the
 * header must be there, and a UDP length counts the whole datagram; a GSO
 * super-frame's lengths are the segmenter's to write.
 *
 * Return: FRAME_OK or FRAME_DROP_L4
 */
static enum frame_drop frame_parse_l4(const struct frame_ctx *c,
				      struct frame_info *fi, uint32_t l4_off,
				      uint8_t proto, bool gso)
{
	uint32_t room, hlen, ulen;

	if (!l4_off || l4_off > UINT16_MAX)
		return FRAME_OK;

	room = c->ip_end - l4_off;

	switch (proto) {
	case IPPROTO_TCP:
		if (room < FRAME_TCP_HLEN_MIN)
			return FRAME_DROP_L4;
		hlen = (c->eth[l4_off + 12] >> 4) * 4U;
		if (hlen < FRAME_TCP_HLEN_MIN)
			return FRAME_DROP_L4;
		if (hlen > room) {
			if (!c->frag)
				return FRAME_DROP_L4;
			/* The rest of it is in the next fragment: nothing
			 * to act on here */
			if (c->offload)
				return FRAME_DROP_L4;
			return FRAME_OK;
		}
		break;
	case IPPROTO_UDP:
		if (room < FRAME_UDP_HLEN)
			return FRAME_DROP_L4;
		hlen = FRAME_UDP_HLEN;
		ulen = frame_be16(c->eth + l4_off + 4);
		if (!c->frag && !gso && (ulen < hlen || ulen > room))
			return FRAME_DROP_L4;
		break;
	default:
		hlen = 0;
		break;
	}

	fi->l4_off = (uint16_t)l4_off;
	fi->l4_proto = proto;
	fi->l4_hlen = (uint16_t)hlen;
	return FRAME_OK;
}

/**
 * frame_check_csum() - validate a NEEDS_CSUM request
 * @c:		parser state after L4
 * @fi:		frame info with csum_start and csum_offset
 *
 * The checksum covers csum_start up to the end of the packet and is stored
 * at csum_start + csum_offset (virtio 1.2, 5.1.6.2): both must lie past the
 * Ethernet header and, for IP, inside the IP packet, which is where
 * gso_csum_complete() stops summing. The start must also be where Linux
 * takes it, FRAME_CSUM_START_MIN bytes in or more: a frame passed on with
 * an earlier one makes the destination's tun refuse the write, an error
 * counted against the destination.
 *
 * Completing it writes two bytes of the tenant's choosing into a frame
 * that has been checked (these headers, port security) and that other
 * ports receive. So for IP the field must be the TCP or UDP checksum
 * itself, or lie in the L4 payload (a tunnel's inner checksum), or past
 * the start of an L4 header we do not parse (GRE...): never in the IP
 * header, the addresses, the ports or ICMP. ARP has no checksum; a frame
 * of another ethertype is not looked into beyond its MAC addresses.
 *
 * Return: FRAME_OK or FRAME_DROP_CSUM
 */
static enum frame_drop frame_check_csum(const struct frame_ctx *c,
					const struct frame_info *fi)
{
	uint32_t end = fi->l3 ? c->ip_end : fi->eth_len;
	uint32_t start = fi->csum_start, off = fi->csum_offset;

	if (start < fi->l3_off || start < FRAME_CSUM_START_MIN ||
	    start + off + 2 > end)
		return FRAME_DROP_CSUM;
	if (fi->ethertype == ETH_P_ARP)
		return FRAME_DROP_CSUM;
	if (!fi->l3)
		return FRAME_OK;
	if (!fi->l4_off || start < fi->l4_off)
		return FRAME_DROP_CSUM; /* a fragment, or the IP header */
	if (fi->l4_proto == IPPROTO_ICMP || fi->l4_proto == IPPROTO_ICMPV6)
		return FRAME_DROP_CSUM; /* never offloaded; port security
					 * reads neighbour discovery */
	if (fi->l4_proto != IPPROTO_TCP && fi->l4_proto != IPPROTO_UDP)
		return FRAME_OK;
	if (start >= (uint32_t)fi->l4_off + fi->l4_hlen)
		return FRAME_OK;
	if (start == fi->l4_off &&
	    off == (fi->l4_proto == IPPROTO_TCP ? FRAME_TCP_CSUM_OFF
						: FRAME_UDP_CSUM_OFF))
		return FRAME_OK;
	return FRAME_DROP_CSUM;
}

/**
 * frame_check_gso() - validate a GSO request against the parsed headers
 * @c:		parser state after L4
 * @fi:		frame info, complete but for the GSO fields
 * @raw_type:	gso_type byte of the vnet header, with the ECN bit
 * @gso_size:	gso_size of the vnet header
 *
 * The segmenter (gso.c) and any port we pass the frame to with its offload
 * rely on this: the type matches the headers, the checksum request points
 * at the TCP/UDP checksum, and one segment's headers plus gso_size fit in an
 * IP packet. Fragments are never segmented; an IPv6 routing header would
 * change the pseudo-header's destination (RFC 8200 8.1), which the
 * segmenter does not follow, so it is refused as well, and so is an IPv4
 * source route (both in @c->srcroute).
 *
 * Return: FRAME_OK or FRAME_DROP_GSO
 */
static enum frame_drop frame_check_gso(const struct frame_ctx *c,
				       struct frame_info *fi, uint8_t raw_type,
				       uint16_t gso_size)
{
	uint8_t type = raw_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	uint32_t ip_hdrs, limit, payload, seg;
	uint8_t proto;

	fi->gso_type = type;
	fi->gso_ecn = raw_type & VIRTIO_NET_HDR_GSO_ECN;
	fi->gso_size = gso_size;

	switch (type) {
	case VIRTIO_NET_HDR_GSO_TCPV4:
		if (fi->l3 != 4)
			return FRAME_DROP_GSO;
		proto = IPPROTO_TCP;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		if (fi->l3 != 6)
			return FRAME_DROP_GSO;
		proto = IPPROTO_TCP;
		break;
	case VIRTIO_NET_HDR_GSO_UDP:
		if (fi->l3 != 4)
			return FRAME_DROP_GSO;
		proto = IPPROTO_UDP;
		/* fragments carry multiples of 8 bytes (RFC 791) */
		if (gso_size < 8)
			return FRAME_DROP_GSO;
		break;
	case VIRTIO_NET_HDR_GSO_UDP_L4:
		if (fi->l3 != 4 && fi->l3 != 6)
			return FRAME_DROP_GSO;
		/* ECN is TCP's: Linux refuses USO with the bit (EINVAL on
		 * the write), so a port we passed it to would not take it */
		if (fi->gso_ecn)
			return FRAME_DROP_GSO;
		proto = IPPROTO_UDP;
		break;
	default:
		return FRAME_DROP_GSO;
	}

	if (!fi->l4_off || fi->l4_proto != proto || c->frag || c->srcroute)
		return FRAME_DROP_GSO;
	if (!fi->needs_csum || !gso_size)
		return FRAME_DROP_GSO;
	if (fi->csum_start != fi->l4_off)
		return FRAME_DROP_GSO;
	if (fi->csum_offset !=
	    (proto == IPPROTO_TCP ? FRAME_TCP_CSUM_OFF : FRAME_UDP_CSUM_OFF))
		return FRAME_DROP_GSO;

	/* Each segment is a complete IP packet, its length must fit 16 bits */
	ip_hdrs = fi->l4_off + fi->l4_hlen - fi->l3_off;
	limit = UINT16_MAX + (fi->l3 == 6 ? FRAME_IPV6_HLEN : 0);
	if (ip_hdrs + gso_size > limit)
		return FRAME_DROP_GSO;

	/* UFO cuts the datagram, UDP header included, into fragments of a
	 * multiple of 8 bytes; the others cut the payload after the headers.
	 * For USO, Linux counts to the end of the frame, padding included
	 * (virtio_net_hdr_to_skb(): at most UDP_MAX_SEGMENTS, else EINVAL),
	 * and so do we: a port we pass the frame to would refuse it. */
	if (type == VIRTIO_NET_HDR_GSO_UDP) {
		payload = c->ip_end - fi->l4_off;
		seg = gso_size & ~7U;
	} else if (type == VIRTIO_NET_HDR_GSO_UDP_L4) {
		payload = fi->eth_len - (fi->l4_off + fi->l4_hlen);
		seg = gso_size;
	} else {
		payload = c->ip_end - (fi->l4_off + fi->l4_hlen);
		seg = gso_size;
	}
	if ((payload + seg - 1) / seg > FRAME_GSO_MAX_SEGS)
		return FRAME_DROP_GSO;

	return FRAME_OK;
}

/**
 * frame_parse() - validate a frame from a tenant and locate its headers
 * @buf:	vnet header followed by the Ethernet frame
 * @len:	bytes in @buf
 * @fi:		filled with what was found; meaningful only for FRAME_OK
 *
 * Return: FRAME_OK, or the reason to drop the frame
 */
enum frame_drop frame_parse(const uint8_t *buf, size_t len,
			    struct frame_info *fi)
{
	struct frame_ctx c = {0};
	uint8_t vflags, gso_raw, gso, proto = 0;
	uint32_t l4_off = 0;
	enum frame_drop ret;
	const uint8_t *eth;
	uint16_t type;

	memset(fi, 0, sizeof(*fi));

	if (len < VNET_HDR_LEN + ETH_HLEN_MIN)
		return FRAME_DROP_SHORT;
	if (len - VNET_HDR_LEN > FRAME_MAX_LEN)
		return FRAME_DROP_LONG;

	eth = c.eth = frame_eth(buf);
	fi->eth_len = (uint32_t)(len - VNET_HDR_LEN);

	if (frame_src_mac_bad(eth + ETH_ALEN))
		return FRAME_DROP_SRC_MAC;

	vflags = buf[offsetof(struct vnet_hdr, flags)];
	if (vflags & ~FRAME_VNET_FLAGS_KNOWN)
		return FRAME_DROP_VNET_FLAGS;

	fi->needs_csum = vflags & VIRTIO_NET_HDR_F_NEEDS_CSUM;
	if (fi->needs_csum) {
		fi->csum_start =
			frame_le16(buf + offsetof(struct vnet_hdr, csum_start));
		fi->csum_offset = frame_le16(
			buf + offsetof(struct vnet_hdr, csum_offset));
	}
	gso_raw = buf[offsetof(struct vnet_hdr, gso_type)];
	gso = gso_raw & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	c.offload = fi->needs_csum || gso;
	c.gso = gso;

	/* One 802.1Q or 802.1ad tag; an inner tag is just another ethertype */
	fi->l3_off = ETH_HLEN_MIN;
	type = frame_be16(eth + 12);
	if (type == ETH_P_8021Q || type == ETH_P_8021AD) {
		if (fi->eth_len < ETH_HLEN_MIN + 4)
			return FRAME_DROP_SHORT;
		fi->l3_off += 4;
		type = frame_be16(eth + 16);
	}
	fi->ethertype = type;
	c.ip_end = fi->eth_len;

	if (type == ETH_P_IP) {
		fi->l3 = 4;
		ret = frame_parse_ipv4(&c, fi, &l4_off, &proto);
	} else if (type == ETH_P_IPV6) {
		fi->l3 = 6;
		ret = frame_parse_ipv6(&c, fi, &l4_off, &proto);
	} else if (type == ETH_P_ARP) {
		ret = frame_parse_arp(fi, eth);
	} else {
		ret = FRAME_OK;
	}
	if (ret != FRAME_OK)
		return ret;

	ret = frame_parse_l4(&c, fi, l4_off, proto, gso);
	if (ret != FRAME_OK)
		return ret;

	/* a GSO request names its checksum too: its own checks go first */
	if (gso) {
		ret = frame_check_gso(
			&c, fi, gso_raw,
			frame_le16(buf + offsetof(struct vnet_hdr, gso_size)));
		if (ret != FRAME_OK)
			return ret;
	}
	if (fi->needs_csum)
		ret = frame_check_csum(&c, fi);
	return ret;
}

/**
 * frame_drop_name() - short name of a drop reason, for counters and logs
 * @reason:	FRAME_OK or a FRAME_DROP_* value
 *
 * Return: a static snake_case string, "unknown" for values out of range
 */
const char *frame_drop_name(enum frame_drop reason)
{
	static const char *const names[FRAME_DROP__COUNT] = {
		[FRAME_OK] = "ok",
		[FRAME_DROP_SHORT] = "short",
		[FRAME_DROP_LONG] = "long",
		[FRAME_DROP_SRC_MAC] = "src_mac",
		[FRAME_DROP_VNET_FLAGS] = "vnet_flags",
		[FRAME_DROP_CSUM] = "csum",
		[FRAME_DROP_GSO] = "gso",
		[FRAME_DROP_L3] = "l3",
		[FRAME_DROP_L4] = "l4",
		[FRAME_DROP_IP_CSUM] = "ip_csum",
	};

	if ((unsigned)reason >= FRAME_DROP__COUNT)
		return "unknown";
	return names[reason];
}
