/* SPDX-License-Identifier: MIT */
/*
 * gso.h - software checksum completion and segmentation
 *
 * Used only when a destination port lacks an offload the frame needs: a
 * port created without offloads must still receive correct, fully
 * checksummed, MTU-sized frames from one that has them.
 */
#ifndef VSTACK_GSO_H
#define VSTACK_GSO_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

/**
 * gso_csum_complete() - finish a NEEDS_CSUM frame's L4 checksum in place
 * @buf:	vnet header + frame, already accepted by frame_parse()
 * @len:	its length
 * @fi:		frame_parse() result
 *
 * Sums from csum_start to the end of the IP packet, Ethernet padding
 * excluded (of the frame when not IP; the field already holds the
 * pseudo-header sum), stores the folded result at csum_start + csum_offset,
 * clears NEEDS_CSUM and sets DATA_VALID in the vnet header. A frame without
 * NEEDS_CSUM is left alone.
 */
void gso_csum_complete(uint8_t *buf, size_t len, const struct frame_info *fi);

/**
 * gso_alloc_fn - hand out an output buffer of at least @cap bytes
 * Return: the buffer, or NULL when none is available (segmentation stops)
 */
typedef uint8_t *(*gso_alloc_fn)(void *ctx, size_t cap);

/**
 * gso_emit_fn - one finished segment: vnet header (all zero but DATA_VALID)
 * followed by a complete Ethernet frame of @len bytes in total
 */
typedef void (*gso_emit_fn)(void *ctx, uint8_t *buf, size_t len);

/**
 * gso_segment() - split a GSO frame into frames of at most gso_size payload
 * @buf, @len, @fi:	the frame, accepted by frame_parse() with gso_type set
 *
 * TCPv4/TCPv6 (TSO): headers copied into every segment; IPv4 total length,
 * id (+1 per segment) and header checksum, IPv6 payload length, TCP
 * sequence number, flags (FIN/PSH only on the last, CWR only on the first)
 * and full TCP checksum fixed per segment.
 * UDP_L4 (USO): each segment is a UDP datagram with its own length and
 * checksum. Legacy UFO (GSO_UDP) becomes IPv4 fragments.
 *
 * Return: number of segments emitted, or -errno (-EINVAL for a frame that
 * cannot be segmented, -ENOBUFS when @alloc ran out after some were emitted
 * -- already emitted segments stay emitted).
 */
int gso_segment(const uint8_t *buf, size_t len, const struct frame_info *fi,
		gso_alloc_fn alloc, gso_emit_fn emit, void *ctx);

/* Internet checksum helpers (RFC 1071), shared with the tests. */
uint32_t csum_partial(const void *data, size_t len, uint32_t sum);
uint16_t csum_fold(uint32_t sum);

#endif /* VSTACK_GSO_H */
