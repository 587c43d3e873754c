/* SPDX-License-Identifier: MIT */
/*
 * app_host.h - an inline host for the app-interface suites: endpoint "a"
 * (tenant 1, 10.0.0.1) and "b" (tenant 2, 10.0.0.2) of stack_open_host()
 * attached to an in-memory wire, with counted buffers and a simulated
 * clock. pump() is one worker round: the frames on the wire delivered,
 * then ep_poll() on both endpoints; with nothing to do it moves the clock
 * to the next deadline (50 ticks at most).
 *
 * Header-only: each test program includes it once, after ep.h and
 * stack.h, and passes &th_ops to stack_open_host(); host_wake_fd is the
 * eventfd the stack hands applications as the worker's doorbell.
 */
#ifndef VSTACK_TEST_APP_HOST_H
#define VSTACK_TEST_APP_HOST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ep.h"
#include "stack.h"

#include "counted_buf.h"

#define W_MAX 16384

/* ---- the wire and the inline host ---- */

struct w_frame {
	uint8_t *buf;
	size_t len;
	struct ep *to;
};

static struct w_frame wire[W_MAX];
static unsigned w_head, w_count;
static uint64_t now = 1000;
static struct ep *epa, *epb;
static int host_wake_fd = -1;

/**
 * w_emit() - ep_io.emit: to the other endpoint (dropped if none)
 * @ctx:	sending endpoint
 * @buf:	frame
 * @len:	bytes
 */
static void w_emit(void *ctx, uint8_t *buf, size_t len)
{
	struct ep *to = ctx == epa ? epb : epa;
	struct w_frame *f;

	if (!to || w_count == W_MAX) {
		buf_free(NULL, buf);
		return;
	}
	f = &wire[(w_head + w_count++) % W_MAX];
	f->buf = buf;
	f->len = len;
	f->to = to;
}

static const struct ep_io w_io = {
	.alloc = buf_alloc,
	.free = buf_free,
	.emit = w_emit,
};

/**
 * th_add() - ep_host_ops.add: attach on this thread
 * @host:	unused
 * @ep:		endpoint
 * @err:	unused
 * @errlen:	unused
 *
 * Return: 0
 */
static int th_add(void *host, struct ep *ep, char *err, size_t errlen)
{
	(void)host;
	(void)err;
	(void)errlen;
	if (!strcmp(ep->name, "a"))
		epa = ep;
	else if (!strcmp(ep->name, "b"))
		epb = ep;
	ep_attach(ep, &w_io, ep, now);
	return 0;
}

/**
 * th_del() - ep_host_ops.del
 * @host:	unused
 * @ep:		endpoint
 */
static void th_del(void *host, struct ep *ep)
{
	unsigned i;

	(void)host;
	ep_detach(ep);
	if (ep == epa)
		epa = NULL;
	if (ep == epb)
		epb = NULL;
	/* frames for it on the wire: lost */
	for (i = 0; i < w_count; i++) {
		struct w_frame *f = &wire[(w_head + i) % W_MAX];

		if (f->to == ep)
			f->to = NULL;
	}
}

/**
 * th_kick() - ep_host_ops.kick: the worker's round, inline
 * @host:	unused
 * @ep:		endpoint
 */
static void th_kick(void *host, struct ep *ep)
{
	uint64_t d;

	(void)host;
	ep_poll(ep, now, false, &d);
}

/**
 * th_wake_fd() - ep_host_ops.wake_fd
 * @host:	unused
 * @ep:		unused
 *
 * Return: the test's eventfd
 */
static int th_wake_fd(void *host, struct ep *ep)
{
	(void)host;
	(void)ep;
	return host_wake_fd;
}

static const struct ep_host_ops th_ops = {
	.add = th_add,
	.del = th_del,
	.kick = th_kick,
	.wake_fd = th_wake_fd,
};

/**
 * pump() - one round: the wire, then both workers
 *
 * Return: true if anything happened
 */
static bool pump(void)
{
	uint64_t d = UINT64_MAX, e;
	bool busy = false;

	while (w_count) {
		struct w_frame f = wire[w_head];

		w_head = (w_head + 1) % W_MAX;
		w_count--;
		if (f.to)
			ep_input(f.to, f.buf, f.len, now);
		else
			buf_free(NULL, f.buf);
		busy = true;
	}
	if (epa) {
		busy |= ep_poll(epa, now, false, &e);
		d = e < d ? e : d;
	}
	if (epb) {
		busy |= ep_poll(epb, now, false, &e);
		d = e < d ? e : d;
	}
	if (!busy && !w_count)
		now = d != UINT64_MAX && d > now ? (d - now > 50 ? now + 50 : d)
						 : now + 1;
	return busy;
}

#endif /* VSTACK_TEST_APP_HOST_H */
