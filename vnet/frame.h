/* SPDX-License-Identifier: MIT */
/*
 * frame.h - parsing and validation of frames from tenants
 *
 * Every frame the switch reads starts with a virtio-net header (struct
 * vnet_hdr, 12 bytes, the layout of struct virtio_net_hdr_v1) followed by an
 * Ethernet frame. All of it comes from a tenant and is untrusted:
 * frame_parse() bounds-checks every length and header field it relies on and
 * returns the reason when a frame must be dropped. Nothing is read outside
 * [buf, buf + len).
 */
#ifndef VSTACK_FRAME_H
#define VSTACK_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Not in older uapi headers (added in Linux 6.2). */
#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5
#endif

/**
 * struct vnet_hdr - virtio-net header as exchanged with TAP (IFF_VNET_HDR,
 * TUNSETVNETHDRSZ 12); multi-byte fields are little-endian
 */
struct vnet_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
} __attribute__((packed));

_Static_assert(sizeof(struct vnet_hdr) == 12, "virtio_net_hdr_v1 is 12 bytes");

#define VNET_HDR_LEN ((size_t)sizeof(struct vnet_hdr))

/* Largest Ethernet frame accepted: a 64 KiB IP packet behind a VLAN tag. */
#define FRAME_MAX_LEN (65535 + 18)

/*
 * Segments one GSO frame may ask for: the kernel's own bound for UDP
 * (UDP_MAX_SEGMENTS), and what a tenant's TAP advertises as gso_max_segs,
 * so its kernel's TCP never builds more. A bigger one comes from a raw
 * sender, and segmenting it for a port without offloads would turn one
 * frame into thousands.
 */
#define FRAME_GSO_MAX_SEGS 128
#define ETH_HLEN_MIN 14

/** enum frame_drop - why a frame was dropped; counted per port */
enum frame_drop {
	FRAME_OK = 0,
	FRAME_DROP_SHORT,       /* shorter than vnet header + Ethernet header */
	FRAME_DROP_LONG,        /* longer than FRAME_MAX_LEN */
	FRAME_DROP_SRC_MAC,     /* multicast/broadcast or all-zero source MAC */
	FRAME_DROP_VNET_FLAGS,  /* unknown flag bits */
	FRAME_DROP_CSUM,        /* NEEDS_CSUM start/offset out of bounds */
	FRAME_DROP_GSO,         /* bad GSO type, size or headers */
	FRAME_DROP_L3,          /* malformed IPv4/IPv6 header */
	FRAME_DROP_L4,          /* malformed TCP/UDP header needed for offload */
	FRAME_DROP_IP_CSUM,     /* IPv4 header checksum wrong (not GSO) */
	FRAME_DROP__COUNT
};

/**
 * struct frame_info - what frame_parse() learned, offsets from the start of
 * the Ethernet header (not of the buffer)
 * @eth_len:	length of the Ethernet frame (buffer length - VNET_HDR_LEN)
 * @l3_off:	offset of the L3 header (14, or 18 behind one VLAN tag)
 * @ethertype:	host order, after any VLAN tag
 * @l3:		4, 6 or 0 when not IP
 * @l4_off:	offset of the L4 header, 0 when not found
 * @l4_proto:	IPPROTO_TCP, IPPROTO_UDP, other, or 0
 * @l4_hlen:	TCP header length (data offset * 4) or 8 for UDP
 * @l4_unknown:	IPv6 extension header chain too long to follow: there may
 *		be an L4 header, not found (@l4_off 0); unlike a fragment's
 *		past offset 0, one that every receiver will find
 * @gso_type:	VIRTIO_NET_HDR_GSO_* without the ECN bit
 * @gso_size:	segment payload size for GSO frames, 0 otherwise
 * @needs_csum:	the frame carries a partial checksum to complete
 */
struct frame_info {
	uint32_t eth_len;
	uint16_t l3_off;
	uint16_t ethertype;
	uint8_t l3;
	uint8_t l4_proto;
	uint16_t l4_off;
	uint16_t l4_hlen;
	bool l4_unknown;
	uint8_t gso_type;
	bool gso_ecn;
	uint16_t gso_size;
	bool needs_csum;
	uint16_t csum_start;  /* from the Ethernet header */
	uint16_t csum_offset;
};

enum frame_drop frame_parse(const uint8_t *buf, size_t len,
			    struct frame_info *fi);
const char *frame_drop_name(enum frame_drop reason);

static inline const uint8_t *frame_eth(const uint8_t *buf)
{
	return buf + VNET_HDR_LEN;
}

static inline bool frame_mac_is_multicast(const uint8_t *mac)
{
	return mac[0] & 1;
}

/*
 * frame_mac_is_bridge_local() - an IEEE 802.1D reserved group address a
 * bridge does not forward: 01:80:c2:00:00:01 to :0f (pause frames, LACP,
 * 802.1X, LLDP, ...), as a Linux bridge with its default group_fwd_mask.
 * :00, the spanning tree's, is forwarded, as by a Linux bridge without
 * STP (loops stay detectable).
 */
static inline bool frame_mac_is_bridge_local(const uint8_t *mac)
{
	return mac[0] == 0x01 && mac[1] == 0x80 && mac[2] == 0xc2 &&
	       !mac[3] && !mac[4] && mac[5] && mac[5] <= 0x0f;
}

#endif /* VSTACK_FRAME_H */
