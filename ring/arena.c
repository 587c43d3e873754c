// SPDX-License-Identifier: MIT
/*
 * arena.c - registered buffer arena
 *
 * The arena is one mapping so that it can be registered as a single fixed
 * buffer: the kernel pins its pages once, at registration, instead of on
 * every read and write. Registration is charged against RLIMIT_MEMLOCK for
 * processes without CAP_IPC_LOCK, which is the usual reason it fails; the
 * error message says so and gives the figures.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "arena.h"
#include "ring.h"

#define ARENA_HUGE ((size_t)2 << 20)

/* Map @len bytes aligned to a huge page, so all of it can be backed by them. */
static uint8_t *arena_map_aligned(size_t len)
{
	uint8_t *p, *al;

	p = mmap(NULL, len + ARENA_HUGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	al = (uint8_t *)(((uintptr_t)p + ARENA_HUGE - 1) & ~(ARENA_HUGE - 1));
	if (al > p)
		munmap(p, (size_t)(al - p));
	munmap(al + len, (size_t)(p + ARENA_HUGE - al));
	return al;
}

/**
 * arena_init() - map @nbufs buffers of @buf_size bytes
 * @a:		arena to set up
 * @nbufs:	number of buffers, at most 2^24 (the user_data buffer field)
 * @buf_size:	bytes per buffer, rounded up to a multiple of 64
 *
 * Return: 0, -EINVAL or -ENOMEM
 */
int arena_init(struct arena *a, uint32_t nbufs, size_t buf_size)
{
	uint32_t i;

	memset(a, 0, sizeof(*a));
	if (!nbufs || nbufs > (1u << 24) || !buf_size)
		return -EINVAL;
	buf_size = (buf_size + 63) & ~(size_t)63;
	a->buf_size = buf_size;
	a->nbufs = nbufs;
	a->map_len = (size_t)nbufs * buf_size;
	/*
	 * Huge pages where the kernel gives them (THP, madvise mode): the
	 * registered buffer then has few, large segments, which makes every
	 * copy in and out of the TAPs cheaper. Ask before touching the pages,
	 * then touch them all so that nothing faults on the data path.
	 */
	a->map_len = (a->map_len + ARENA_HUGE - 1) & ~(size_t)(ARENA_HUGE - 1);
	a->base = arena_map_aligned(a->map_len);
	if (!a->base)
		return -ENOMEM;
	madvise(a->base, a->map_len, MADV_HUGEPAGE);
	memset(a->base, 0, a->map_len);

	a->free = calloc(nbufs, sizeof(*a->free));
	a->refs = calloc(nbufs, sizeof(*a->refs));
	if (!a->free || !a->refs) {
		arena_free(a);
		return -ENOMEM;
	}
	/* Low ids on top of the stack: they are handed out first. */
	for (i = 0; i < nbufs; i++)
		a->free[i] = nbufs - 1 - i;
	a->nfree = nbufs;
	return 0;
}

/**
 * arena_free() - unmap the arena (unregistering is the ring's business)
 * @a:		arena
 */
void arena_free(struct arena *a)
{
	if (a->base)
		munmap(a->base, a->map_len);
	free(a->free);
	free(a->refs);
	memset(a, 0, sizeof(*a));
}

/**
 * arena_register() - register the arena as fixed buffer 0 of @r
 * @a:		arena
 * @r:		ring of the thread that owns the arena
 * @err:	filled with a one-line explanation on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -errno from IORING_REGISTER_BUFFERS
 */
int arena_register(struct arena *a, struct ring *r, char *err, size_t errlen)
{
	struct iovec iov = { .iov_base = a->base, .iov_len = a->map_len };
	struct rlimit rl;
	int ret;

	ret = io_uring_register_buffers(&r->uring, &iov, 1);
	if (!ret)
		return 0;

	if (ret == -ENOMEM && !getrlimit(RLIMIT_MEMLOCK, &rl) &&
	    rl.rlim_cur != RLIM_INFINITY) {
		snprintf(err, errlen,
			 "cannot register %zu MiB of I/O buffers: the memlock "
			 "limit is %llu KiB (raise it with ulimit -l or "
			 "LimitMEMLOCK=, run with CAP_IPC_LOCK, or lower "
			 "--arena-bufs)",
			 a->map_len >> 20,
			 (unsigned long long)rl.rlim_cur >> 10);
	} else {
		snprintf(err, errlen,
			 "cannot register %zu MiB of I/O buffers with io_uring: "
			 "%s",
			 a->map_len >> 20, strerror(-ret));
	}
	return ret;
}

/**
 * arena_get() - take a free buffer, with one reference
 * @a:		arena
 *
 * Return: buffer id, or -ENOBUFS when all are in use
 */
int arena_get(struct arena *a)
{
	uint32_t id;

	if (!a->nfree)
		return -ENOBUFS;
	id = a->free[--a->nfree];
	a->refs[id] = 1;
	return (int)id;
}

/**
 * arena_ref() - one more user of buffer @id (e.g. one more flood write)
 * @a:		arena
 * @id:		buffer in use
 */
void arena_ref(struct arena *a, uint32_t id)
{
	a->refs[id]++;
}

/**
 * arena_put() - drop one reference; the last one returns the buffer
 * @a:		arena
 * @id:		buffer in use
 *
 * Return: 1 if the buffer went back to the free stack, 0 if still in use
 */
int arena_put(struct arena *a, uint32_t id)
{
	if (--a->refs[id])
		return 0;
	a->free[a->nfree++] = id;
	return 1;
}
