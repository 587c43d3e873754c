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
 * frame_parse() as a plain frame; anything else traps. Each input runs
 * again with its IPv4 header checksum made right (fuzz_ip4.h).
 *
 * Seeds: test/fuzz/corpus/frame/.
 */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "frame.h"
#include "gso.h"

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
