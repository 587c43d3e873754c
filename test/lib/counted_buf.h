/* SPDX-License-Identifier: MIT */
/*
 * counted_buf.h - the stack's buffer hooks (ep_io.alloc, ep_io.free) over
 * malloc, counting the buffers out: a test or fuzzer that drives
 * endpoints in memory checks buf_live is 0 at the end, i.e. every buffer
 * the stack took ended in exactly one emit or free.
 *
 * Header-only, like the other helpers here; one copy per program.
 */
#ifndef VSTACK_TEST_COUNTED_BUF_H
#define VSTACK_TEST_COUNTED_BUF_H

#include <stdint.h>
#include <stdlib.h>

/* Buffers handed out and not yet freed */
static long buf_live;

/**
 * buf_alloc() - ep_io.alloc: counted malloc
 * @ctx:	unused
 * @size:	bytes
 *
 * Return: buffer
 */
static uint8_t *buf_alloc(void *ctx, size_t size)
{
	uint8_t *b = malloc(size);

	(void)ctx;
	if (b)
		buf_live++;
	return b;
}

/**
 * buf_free() - ep_io.free
 * @ctx:	unused
 * @buf:	buffer
 */
static void buf_free(void *ctx, uint8_t *buf)
{
	(void)ctx;
	buf_live--;
	free(buf);
}

#endif /* VSTACK_TEST_COUNTED_BUF_H */
