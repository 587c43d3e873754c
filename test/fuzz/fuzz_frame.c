// SPDX-License-Identifier: MIT
/*
 * fuzz_frame.c - libFuzzer target for frame_parse() and software GSO
 *
 * The input is one buffer as read from a TAP queue: vnet header + Ethernet
 * frame. A frame that frame_parse() accepts also goes through
 * gso_csum_complete() (on a copy: the input is read-only) and, with GSO,
 * through gso_segment(). Output buffers come from a fixed static pool, with
 * poisoned gaps between them under ASan so that writing past a requested
 * size is caught. Every segment produced must itself be accepted by
 * frame_parse() as a plain frame; anything else traps. Port security
 * (portsec.c, which reads neighbour discovery options) judges every frame
 * that parses too, locked to the frame's own source MAC so that its IP
 * and ICMPv6 checks run. Each input runs again with its IPv4 header
 * checksum made right (fuzz_ip4.h).
 *
 * Seeds: test/fuzz/corpus/frame/.
 */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "frame.h"
#include "gso.h"
#include "portsec.h"

#include "fuzz_ip4.h"
#include "fuzz_pool.h"

#define FUZZ_POOL_SIZE (1 << 20)

static uint8_t fuzz_area[FUZZ_POOL_SIZE] __attribute__((aligned(64)));

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/**
 * fuzz_alloc() - gso_alloc_fn over the static pool
 * @ctx:	struct fuzz_pool
 * @cap:	bytes requested
 *
 * Return: @cap addressable bytes followed by a poisoned gap, or NULL
 */
static uint8_t *fuzz_alloc(void *ctx, size_t cap)
{
	return fuzz_pool_alloc(ctx, cap);
}

/**
 * fuzz_emit() - gso_emit_fn: check the segment is a sound plain frame
 * @ctx:	struct fuzz_pool
 * @buf:	segment
 * @len:	its length
 */
static void fuzz_emit(void *ctx, uint8_t *buf, size_t len)
{
	struct fuzz_pool *p = ctx;
	struct frame_info fi;

	if (buf != p->last || len > p->last_cap)
		__builtin_trap();
	if (frame_parse(buf, len, &fi) != FRAME_OK || fi.gso_type ||
	    fi.needs_csum)
		__builtin_trap();
}

/**
 * fuzz_portsec() - judge a parsed frame as port security does
 * @data:	vnet header + frame, accepted by frame_parse()
 * @fi:		what frame_parse() found
 *
 * The policy: the frame's source MAC, 10.0.0.1 and fd00::1.
 */
static void fuzz_portsec(const uint8_t *data, const struct frame_info *fi)
{
	static const uint8_t ip4[4] = {10, 0, 0, 1};
	static const uint8_t ip6[16] = {0xfd, [15] = 1};
	struct portsec ps = {.lock_ip = true, .n4 = 1, .n6 = 1};

	memcpy(ps.mac, frame_eth(data) + 6, 6);
	memcpy(ps.ip4[0], ip4, 4);
	memcpy(ps.ip6[0], ip6, 16);
	(void)portsec_allows(&ps, frame_eth(data), fi);
}

/**
 * fuzz_one() - parse one buffer, complete and segment what passes
 * @data:	vnet header + frame
 * @size:	its length
 */
static void fuzz_one(const uint8_t *data, size_t size)
{
	static uint8_t copy[VNET_HDR_LEN + FRAME_MAX_LEN];
	struct fuzz_pool pool = {.area = fuzz_area, .size = sizeof(fuzz_area)};
	struct frame_info fi;
	int ret;

	if (frame_parse(data, size, &fi) != FRAME_OK)
		return;
	if (size > sizeof(copy))
		__builtin_trap(); /* frame_parse() let a long frame through */
	fuzz_portsec(data, &fi);

	memcpy(copy, data, size);
	gso_csum_complete(copy, size, &fi);

	if (!fi.gso_type)
		return;

	FUZZ_POISON(fuzz_area, sizeof(fuzz_area));
	ret = gso_segment(data, size, &fi, fuzz_alloc, fuzz_emit, &pool);
	FUZZ_UNPOISON(fuzz_area, sizeof(fuzz_area));
	if (ret == 0 || (ret < 0 && ret != -ENOBUFS))
		__builtin_trap();
}

/**
 * LLVMFuzzerTestOneInput() - one fuzz input
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
