/* SPDX-License-Identifier: MIT */
/*
 * fuzz_pool.h - output buffers for the GSO fuzz targets
 *
 * gso_segment() writes each segment into a buffer from the caller's
 * allocator. Here they come from one static area, handed out in order with
 * a poisoned gap after each under ASan, so that writing even one byte past
 * the size asked for is caught; the pool is reset for every input.
 * Header-only, included by one target each.
 */
#ifndef VSTACK_FUZZ_POOL_H
#define VSTACK_FUZZ_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define FUZZ_POISON(p, n)   ASAN_POISON_MEMORY_REGION(p, n)
#define FUZZ_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#endif
#endif
#ifndef FUZZ_POISON
#define FUZZ_POISON(p, n)   ((void)(p), (void)(n))
#define FUZZ_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define FUZZ_REDZONE 32

/**
 * struct fuzz_pool - bump allocator over a static area, reset per input
 * @area:	the area
 * @size:	its size
 * @used:	bytes handed out, redzones included
 * @dry:	an allocation was refused
 * @last:	buffer handed out last
 * @last_cap:	its size
 */
struct fuzz_pool {
	uint8_t *area;
	size_t size;
	size_t used;
	bool dry;
	uint8_t *last;
	size_t last_cap;
};

/**
 * fuzz_pool_alloc() - gso_alloc_fn body over the pool
 * @p:		pool
 * @cap:	bytes requested
 *
 * Return: @cap addressable bytes followed by a poisoned gap, or NULL
 */
static inline uint8_t *fuzz_pool_alloc(struct fuzz_pool *p, size_t cap)
{
	uint8_t *b;

	if (cap > p->size - p->used || p->size - p->used - cap < FUZZ_REDZONE) {
		p->dry = true;
		return NULL;
	}
	b = p->area + p->used;
	FUZZ_UNPOISON(b, cap);
	p->used += (cap + FUZZ_REDZONE + 7) & ~(size_t)7;
	p->last = b;
	p->last_cap = cap;
	return b;
}

#endif /* VSTACK_FUZZ_POOL_H */
