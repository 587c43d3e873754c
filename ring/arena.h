/* SPDX-License-Identifier: MIT */
/*
 * arena.h - a worker's registered buffer arena
 *
 * One anonymous mapping cut into equal buffers, registered with the ring as
 * a single fixed buffer (index 0), so READ_FIXED/WRITE_FIXED skip the page
 * pinning that plain reads and writes pay on every call. Buffers are handed
 * out from a LIFO free stack (the most recently freed buffer is the one still
 * in cache) and carry a reference count: a flooded frame is one buffer
 * referenced by several writes, returned when the last one completes.
 *
 * The arena belongs to one thread; nothing here is locked.
 */
#ifndef VSTACK_ARENA_H
#define VSTACK_ARENA_H

#include <stddef.h>
#include <stdint.h>

struct ring;

/* A 64 KiB GSO frame, its Ethernet/VLAN header and the virtio-net header,
 * rounded up to whole pages. */
#define ARENA_BUF_SIZE (68 * 1024)

struct arena {
	uint8_t *base;
	size_t buf_size;
	uint32_t nbufs;
	uint32_t nfree;
	uint32_t *free;   /* stack of free buffer ids */
	uint16_t *refs;   /* references per buffer, 0 when free */
	size_t map_len;
};

int arena_init(struct arena *a, uint32_t nbufs, size_t buf_size);
void arena_free(struct arena *a);
int arena_register(struct arena *a, struct ring *r, char *err, size_t errlen);
int arena_get(struct arena *a);
void arena_ref(struct arena *a, uint32_t id);
int arena_put(struct arena *a, uint32_t id);

static inline uint8_t *arena_buf(const struct arena *a, uint32_t id)
{
	return a->base + (size_t)id * a->buf_size;
}

#endif /* VSTACK_ARENA_H */
