// SPDX-License-Identifier: MIT
/*
 * app_mem.c - a buddy allocator for the rings of an application context
 *
 * Rings are powers of two from APP_PAGE up, so a binary buddy system
 * (Knuth, TAOCP vol. 1, 2.5) fits them without waste inside the block and
 * merges freed neighbours back, so that a long-lived application that
 * opens and closes sockets does not fragment its area. The state is
 * private to the daemon (never in the shared mapping): per page, the order
 * of the block that starts there and whether it is free, and doubly linked
 * free lists per order through page indices. Offsets are from the start of
 * the data area.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"

/**
 * app_mem_push() - put a free block on its list
 * @m:		allocator
 * @pg:		its first page
 * @order:	its order
 */
static void app_mem_push(struct app_mem *m, uint32_t pg, uint32_t order)
{
	m->order[pg] = (uint8_t)(order | APP_MEM_FREE);
	m->prev[pg] = EP_NONE;
	m->next[pg] = m->head[order];
	if (m->head[order] != EP_NONE)
		m->prev[m->head[order]] = pg;
	m->head[order] = pg;
}

/**
 * app_mem_unlink() - take a free block off its list
 * @m:		allocator
 * @pg:		its first page
 * @order:	its order
 */
static void app_mem_unlink(struct app_mem *m, uint32_t pg, uint32_t order)
{
	if (m->prev[pg] != EP_NONE)
		m->next[m->prev[pg]] = m->next[pg];
	else
		m->head[order] = m->next[pg];
	if (m->next[pg] != EP_NONE)
		m->prev[m->next[pg]] = m->prev[pg];
	m->order[pg] = (uint8_t)order;
}

/**
 * app_mem_init() - an allocator over @size bytes
 * @m:		allocator
 * @size:	bytes, a multiple of APP_PAGE
 *
 * Return: 0 or -ENOMEM
 */
int app_mem_init(struct app_mem *m, uint64_t size)
{
	uint32_t pg = 0, o;

	memset(m, 0, sizeof(*m));
	m->npages = (uint32_t)(size / APP_PAGE);
	m->order = calloc(m->npages, 1);
	m->next = calloc(m->npages, sizeof(*m->next));
	m->prev = calloc(m->npages, sizeof(*m->prev));
	if (!m->order || !m->next || !m->prev) {
		app_mem_fini(m);
		return -ENOMEM;
	}
	for (o = 0; o < 32; o++)
		m->head[o] = EP_NONE;
	while ((2u << m->maxorder) <= m->npages && m->maxorder < 30)
		m->maxorder++;
	/* the area in the largest aligned blocks that fit */
	while (pg < m->npages) {
		o = m->maxorder;
		while ((pg & ((1u << o) - 1)) || pg + (1u << o) > m->npages)
			o--;
		app_mem_push(m, pg, o);
		pg += 1u << o;
	}
	return 0;
}

/**
 * app_mem_fini() - free the allocator's own state
 * @m:	allocator
 */
void app_mem_fini(struct app_mem *m)
{
	free(m->order);
	free(m->next);
	free(m->prev);
	m->order = NULL;
	m->next = m->prev = NULL;
}

/**
 * app_mem_order() - order of a block of @size bytes
 * @size:	bytes
 *
 * Return: smallest order whose block holds @size
 */
static uint32_t app_mem_order(uint32_t size)
{
	uint32_t o = 0;

	while ((uint64_t)APP_PAGE << o < size)
		o++;
	return o;
}

/**
 * app_mem_alloc() - a block of at least @size bytes, aligned to its size
 * @m:		allocator
 * @size:	bytes
 *
 * Return: its offset, or -ENOMEM
 */
int64_t app_mem_alloc(struct app_mem *m, uint32_t size)
{
	uint32_t want = app_mem_order(size), o = want, pg;

	while (o <= m->maxorder && m->head[o] == EP_NONE)
		o++;
	if (o > m->maxorder)
		return -ENOMEM;
	pg = m->head[o];
	app_mem_unlink(m, pg, o);
	while (o > want) {
		o--;
		app_mem_push(m, pg + (1u << o), o);
	}
	m->order[pg] = (uint8_t)want;
	m->used += (uint64_t)APP_PAGE << want;
	return (int64_t)pg * APP_PAGE;
}

/**
 * app_mem_free() - give a block back, merging it with its free buddies
 * @m:		allocator
 * @off:	offset app_mem_alloc() returned
 * @size:	the size asked for then
 */
void app_mem_free(struct app_mem *m, uint64_t off, uint32_t size)
{
	uint32_t o = app_mem_order(size), pg = (uint32_t)(off / APP_PAGE);

	m->used -= (uint64_t)APP_PAGE << o;
	while (o < m->maxorder) {
		uint32_t buddy = pg ^ (1u << o);

		if (buddy >= m->npages || m->order[buddy] != (o | APP_MEM_FREE))
			break;
		app_mem_unlink(m, buddy, o);
		if (buddy < pg)
			pg = buddy;
		o++;
	}
	app_mem_push(m, pg, o);
}
