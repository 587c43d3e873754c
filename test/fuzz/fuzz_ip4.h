/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ip4.h - let mutated frames past the IPv4 header checksum
 *
 * frame_parse() drops an IPv4 packet (not a GSO super-frame) whose header
 * checksum is wrong. A mutation of the header almost never keeps the sum
 * right, so the frame targets run every input twice: as it is, and with
 * the checksum of its IPv4 header (if it has one) made right, so the checks
 * behind it are fuzzed as well. Header-only, included by one target each.
 */
#ifndef VSTACK_FUZZ_IP4_H
#define VSTACK_FUZZ_IP4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "frame.h"

/**
 * fuzz_ip4_fix() - give the IPv4 header of a frame its right checksum
 * @buf:	vnet header + Ethernet frame, writable
 * @len:	its length
 *
 * Finds the header where frame_parse() looks for it (after at most one
 * 802.1Q/802.1ad tag), if it is there whole.
 *
 * Return: true if @buf holds such a header and its checksum was changed
 */
static inline bool fuzz_ip4_fix(uint8_t *buf, size_t len)
{
	size_t l3 = VNET_HDR_LEN + 14, ihl, i;
	uint32_t sum = 0;
	uint16_t type, old;

	if (len < l3)
		return false;
	type = (uint16_t)(buf[l3 - 2] << 8 | buf[l3 - 1]);
	if (type == 0x8100 || type == 0x88a8) {
		l3 += 4;
		if (len < l3)
			return false;
		type = (uint16_t)(buf[l3 - 2] << 8 | buf[l3 - 1]);
	}
	if (type != 0x0800 || len < l3 + 20)
		return false;
	ihl = (buf[l3] & 0xfu) * 4u;
	if (ihl < 20 || l3 + ihl > len)
		return false;
	old = (uint16_t)(buf[l3 + 10] << 8 | buf[l3 + 11]);
	buf[l3 + 10] = buf[l3 + 11] = 0;
	for (i = 0; i < ihl; i += 2)
		sum += (uint32_t)(buf[l3 + i] << 8 | buf[l3 + i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	buf[l3 + 10] = (uint8_t)(sum >> 8);
	buf[l3 + 11] = (uint8_t)sum;
	return sum != old;
}

/**
 * fuzz_ip4_both() - run a target's body on an input as it is, and again
 *		     with its IPv4 header checksum made right if that changes it
 * @data:	input
 * @size:	its length
 * @one:	the body
 */
static inline void fuzz_ip4_both(const uint8_t *data, size_t size,
				 void (*one)(const uint8_t *, size_t))
{
	static uint8_t fixed[VNET_HDR_LEN + FRAME_MAX_LEN + 1];

	one(data, size);
	if (size <= sizeof(fixed)) {
		memcpy(fixed, data, size);
		if (fuzz_ip4_fix(fixed, size))
			one(fixed, size);
	}
}

#endif /* VSTACK_FUZZ_IP4_H */
