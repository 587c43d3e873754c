// SPDX-License-Identifier: MIT
/*
 * timer.c - binary min-heap of deadlines
 *
 * Insertion, removal and expiry are O(log n); the heap array is allocated
 * once with a fixed capacity so that arming a timer on the packet path never
 * allocates.
 */
#include <errno.h>
#include <stdlib.h>

#include "timer.h"

/**
 * timer_heap_init() - allocate a heap for up to @cap armed timers
 * @h:		heap to set up
 * @cap:	capacity
 *
 * Return: 0 or -ENOMEM
 */
int timer_heap_init(struct timer_heap *h, unsigned cap)
{
	h->v = calloc(cap, sizeof(*h->v));
	if (!h->v)
		return -ENOMEM;
	h->n = 0;
	h->cap = cap;
	return 0;
}

/**
 * timer_heap_free() - release the heap's storage (timers are the owners')
 * @h:		heap
 */
void timer_heap_free(struct timer_heap *h)
{
	free(h->v);
	h->v = NULL;
	h->n = h->cap = 0;
}

/**
 * timer_init() - prepare a timer that is not armed
 * @t:		timer
 * @fn:		callback run when it fires
 */
void timer_init(struct timer *t, timer_fn fn)
{
	t->deadline_ns = 0;
	t->fn = fn;
	t->idx = -1;
}

static void timer_heap_set(struct timer_heap *h, unsigned i, struct timer *t)
{
	h->v[i] = t;
	t->idx = (int)i;
}

static void timer_heap_up(struct timer_heap *h, unsigned i)
{
	struct timer *t = h->v[i];

	while (i > 0) {
		unsigned parent = (i - 1) / 2;

		if (h->v[parent]->deadline_ns <= t->deadline_ns)
			break;
		timer_heap_set(h, i, h->v[parent]);
		i = parent;
	}
	timer_heap_set(h, i, t);
}

static void timer_heap_down(struct timer_heap *h, unsigned i)
{
	struct timer *t = h->v[i];

	for (;;) {
		unsigned c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n &&
		    h->v[c + 1]->deadline_ns < h->v[c]->deadline_ns)
			c++;
		if (t->deadline_ns <= h->v[c]->deadline_ns)
			break;
		timer_heap_set(h, i, h->v[c]);
		i = c;
	}
	timer_heap_set(h, i, t);
}

/**
 * timer_heap_add() - arm @t for @deadline, re-arming it if already armed
 * @h:		heap
 * @t:		timer
 * @deadline:	absolute time in ns
 *
 * Return: 0, or -ENOSPC when the heap is full
 */
int timer_heap_add(struct timer_heap *h, struct timer *t, uint64_t deadline)
{
	if (timer_armed(t))
		timer_heap_del(h, t);
	if (h->n == h->cap)
		return -ENOSPC;
	t->deadline_ns = deadline;
	h->v[h->n] = t;
	t->idx = (int)h->n;
	h->n++;
	timer_heap_up(h, h->n - 1);
	return 0;
}

/**
 * timer_heap_del() - disarm @t; nothing happens if it is not armed
 * @h:		heap
 * @t:		timer
 */
void timer_heap_del(struct timer_heap *h, struct timer *t)
{
	unsigned i;

	if (!timer_armed(t))
		return;
	i = (unsigned)t->idx;
	t->idx = -1;
	h->n--;
	if (i == h->n)
		return;
	h->v[i] = h->v[h->n];
	h->v[i]->idx = (int)i;
	timer_heap_up(h, i);
	timer_heap_down(h, (unsigned)h->v[i]->idx);
}

/**
 * timer_heap_peek() - the earliest armed timer
 * @h:		heap
 *
 * Return: the timer, or NULL when none is armed
 */
struct timer *timer_heap_peek(const struct timer_heap *h)
{
	return h->n ? h->v[0] : NULL;
}

/**
 * timer_heap_run() - fire every timer whose deadline is not after @now_ns
 * @h:		heap
 * @now_ns:	current time
 *
 * A callback may re-arm its own timer (or others); a timer re-armed for a
 * time not after @now_ns fires again in the next call, not in this one, so a
 * zero-delay timer cannot spin here forever.
 *
 * Return: number of timers fired
 */
unsigned timer_heap_run(struct timer_heap *h, uint64_t now_ns)
{
	unsigned fired = 0, budget = h->n;

	while (h->n && budget--) {
		struct timer *t = h->v[0];

		if (t->deadline_ns > now_ns)
			break;
		timer_heap_del(h, t);
		fired++;
		t->fn(t, now_ns);
	}
	return fired;
}
