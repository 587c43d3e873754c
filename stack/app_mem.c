// SPDX-License-Identifier: MIT
/*
 * app_mem.c - the ring allocator of an application context
 *
 * Rings are powers of two from APP_PAGE (4 KiB) to APP_RING_MAX (4 MiB),
 * each aligned to its size. The data area is cut into chunks of
 * APP_RING_MAX; a chunk in use holds rings of one size only, in slots
 * marked in a bitmap, and goes back to the free chunks when its last ring
 * is freed. Chunks with a free slot are on a list per size, so allocating
 * and freeing are O(1) plus a bitmap scan of at most 16 words; there is no
 * fragmentation across sizes beyond one partly used chunk per size.
 *
 * The bookkeeping is private to the daemon (never in the shared mapping)
 * and grows with the chunks in use, not with the area: the area is large
 * and sparse (APP_DATA_SIZE), and a per-page table over it would cost
 * vstackd megabytes per application (a buddy system did). Offsets are
 * from the start of the data area.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"

#define APP_SLOTS(o) ((uint32_t)(APP_CHUNK / APP_PAGE) >> (o))

/**
 * app_mem_init() - an allocator over @size bytes
 * @m:		allocator
 * @size:	bytes, a multiple of APP_CHUNK
 *
 * Return: 0 or -ENOMEM
 */
int app_mem_init(struct app_mem *m, uint64_t size)
{
	uint32_t i;

	memset(m, 0, sizeof(*m));
	m->nchunks = (uint32_t)(size / APP_CHUNK);
	m->chunk = calloc(m->nchunks, sizeof(*m->chunk));
	m->free_chunks = malloc((size_t)m->nchunks * sizeof(*m->free_chunks));
	if (!m->chunk || !m->free_chunks) {
		app_mem_fini(m);
		return -ENOMEM;
	}
	/* lowest chunks first: the area is used from its start */
	for (i = 0; i < m->nchunks; i++)
		m->free_chunks[i] = m->nchunks - 1 - i;
	m->nfree_chunks = m->nchunks;
	return 0;
}

/**
 * app_mem_fini() - free the allocator's own state
 * @m:	allocator
 */
void app_mem_fini(struct app_mem *m)
{
	uint32_t i;

	for (i = 0; m->chunk && i < m->nchunks; i++)
		free(m->chunk[i]);
	free(m->chunk);
	free(m->free_chunks);
	m->chunk = NULL;
	m->free_chunks = NULL;
}

/**
 * app_mem_order() - order of a ring of @size bytes
 * @size:	bytes
 *
 * Return: smallest order whose ring holds @size, APP_ORDERS if none does
 */
static uint32_t app_mem_order(uint32_t size)
{
	uint32_t o = 0;

	while (o < APP_ORDERS && (uint64_t)APP_PAGE << o < size)
		o++;
	return o;
}

/* the order's list of chunks with free slots */
static void app_mem_link(struct app_mem *m, uint32_t idx)
{
	struct app_chunk *c = m->chunk[idx];

	c->prev = 0;
	c->next = m->partial[c->order];
	if (c->next)
		m->chunk[c->next - 1]->prev = idx + 1;
	m->partial[c->order] = idx + 1;
}

static void app_mem_unlink(struct app_mem *m, uint32_t idx)
{
	struct app_chunk *c = m->chunk[idx];

	if (c->prev)
		m->chunk[c->prev - 1]->next = c->next;
	else
		m->partial[c->order] = c->next;
	if (c->next)
		m->chunk[c->next - 1]->prev = c->prev;
	c->prev = c->next = 0;
}

/**
 * app_mem_alloc() - a ring of at least @size bytes, aligned to its size
 * @m:		allocator
 * @size:	bytes, at most APP_CHUNK
 *
 * Return: its offset, or -ENOMEM
 */
int64_t app_mem_alloc(struct app_mem *m, uint32_t size)
{
	uint32_t o = app_mem_order(size), idx, w, b;
	struct app_chunk *c;

	if (o >= APP_ORDERS)
		return -ENOMEM;
	if (m->partial[o]) {
		idx = m->partial[o] - 1;
		c = m->chunk[idx];
	} else {
		if (!m->nfree_chunks)
			return -ENOMEM;
		idx = m->free_chunks[m->nfree_chunks - 1];
		c = calloc(1, sizeof(*c));
		if (!c)
			return -ENOMEM;
		m->nfree_chunks--;
		c->order = (uint8_t)o;
		c->nfree = (uint16_t)APP_SLOTS(o);
		/* bits past the last slot read as taken */
		for (w = 0; w < APP_CHUNK / APP_PAGE / 64; w++)
			if (w * 64 >= APP_SLOTS(o))
				c->bits[w] = ~0ull;
			else if ((w + 1) * 64 > APP_SLOTS(o))
				c->bits[w] = ~0ull << (APP_SLOTS(o) - w * 64);
		m->chunk[idx] = c;
		app_mem_link(m, idx);
	}
	for (w = 0; ~c->bits[w] == 0; w++)
		;
	b = (uint32_t)__builtin_ctzll(~c->bits[w]);
	c->bits[w] |= 1ull << b;
	if (!--c->nfree)
		app_mem_unlink(m, idx);
	m->used += (uint64_t)APP_PAGE << o;
	return (int64_t)idx * APP_CHUNK +
	       (int64_t)(w * 64 + b) * ((int64_t)APP_PAGE << o);
}

/**
 * app_mem_free() - give a ring back
 * @m:		allocator
 * @off:	offset app_mem_alloc() returned
 * @size:	the size asked for then
 */
void app_mem_free(struct app_mem *m, uint64_t off, uint32_t size)
{
	uint32_t o = app_mem_order(size), idx = (uint32_t)(off / APP_CHUNK);
	uint32_t slot;
	struct app_chunk *c;

	if (o >= APP_ORDERS || idx >= m->nchunks || !m->chunk[idx])
		return;
	c = m->chunk[idx];
	slot = (uint32_t)((off % APP_CHUNK) / ((uint64_t)APP_PAGE << o));
	if (c->order != o || !(c->bits[slot / 64] & (1ull << (slot % 64))))
		return; /* not ours to free: a caller's bug, nothing touched */
	c->bits[slot / 64] &= ~(1ull << (slot % 64));
	m->used -= (uint64_t)APP_PAGE << o;
	if (!c->nfree++)
		app_mem_link(m, idx);
	if (c->nfree == APP_SLOTS(o)) {
		app_mem_unlink(m, idx);
		free(c);
		m->chunk[idx] = NULL;
		m->free_chunks[m->nfree_chunks++] = idx;
	}
}
