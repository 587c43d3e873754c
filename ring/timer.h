/* SPDX-License-Identifier: MIT */
/*
 * timer.h - a binary min-heap of deadlines, no allocation after set-up
 *
 * The ring arms one IORING_OP_TIMEOUT for the earliest deadline; when it
 * fires, every expired timer's callback runs. Timers live in their owners'
 * structures; the heap holds pointers to them, bounded by its capacity.
 */
#ifndef VSTACK_TIMER_H
#define VSTACK_TIMER_H

#include <stdbool.h>
#include <stdint.h>

struct timer;
typedef void (*timer_fn)(struct timer *t, uint64_t now_ns);

/**
 * struct timer - one deadline
 * @deadline_ns:	absolute CLOCK_MONOTONIC time it fires at
 * @fn:			called once when it fires (re-add to repeat)
 * @idx:		position in the heap, -1 when not armed
 */
struct timer {
	uint64_t deadline_ns;
	timer_fn fn;
	int idx;
};

struct timer_heap {
	struct timer **v;
	unsigned n, cap;
};

int timer_heap_init(struct timer_heap *h, unsigned cap);
void timer_heap_free(struct timer_heap *h);
void timer_init(struct timer *t, timer_fn fn);
int timer_heap_add(struct timer_heap *h, struct timer *t, uint64_t deadline);
void timer_heap_del(struct timer_heap *h, struct timer *t);
struct timer *timer_heap_peek(const struct timer_heap *h);
unsigned timer_heap_run(struct timer_heap *h, uint64_t now_ns);

static inline bool timer_armed(const struct timer *t)
{
	return t->idx >= 0;
}

#endif /* VSTACK_TIMER_H */
