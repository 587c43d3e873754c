// SPDX-License-Identifier: MIT
/*
 * fuzz_app_cmds.c - libFuzzer target for the app interface, daemon side
 *
 * Every input starts from the same world: endpoints A (10.0.0.1) and B
 * (10.0.0.2) on an in-memory wire (pools of 64 connections, at most 2
 * half-open: SYN cookies beyond), one application context on each
 * (app_ctx_create() + app_run_add(), as the control thread and the worker
 * would do it). The input plays both applications, and plays them badly:
 * it is a sequence of records,
 *
 *   byte 0: bits 0-2 what, bit 7 which context (A or B)
 *     0, 5  a command: 40 bytes of struct vsapp_cmd written into the SQ at
 *           sq_tail, then sq_tail advanced; op is taken modulo 12 (so that
 *           bad ops show up), sock modulo 8 unless bit 6 of byte 0 is set,
 *           addr mapped from its low two bits to A, B, 0 or left as is,
 *           port 80 when its top bit is clear
 *     1     a counter: socket (1 byte, modulo 8), field (1 byte: snd_tail,
 *           rcv_head, sq_tail, cq_head, pending, app_waiting, a layout
 *           field of the header), value (4 bytes), added to the current
 *           value when bit 6 of byte 0 is set, else stored as is
 *     2     bytes into a socket's send ring at snd_tail (1 byte socket, 1
 *           byte length), then snd_tail advanced by that much
 *     3     time passes: 1 byte, times 7 ms
 *     4     the application reaps its completion queue; and consumes all
 *           it may read from the sockets (rcv_head = rcv_tail)
 *     6, 7  nothing but a worker round
 * After each record both workers run a round (frames on the wire are
 * delivered first, pending is set for both contexts).
 *
 * Checks, any failure traps: the worker never writes past the mapping
 * (ASan on the mapping's neighbours is not enough: every completion must
 * lie within cq_entries of the application's cq_head and never overwrite
 * one the application has not reaped), and at the end, after both
 * contexts are given back (app_run_del(), as when the application
 * exits), no TCP connection is left, every ring is back in the allocator
 * and every frame buffer has come back.
 *
 * Seeds: test/fuzz/corpus/app_cmds/.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "app_proto.h"
#include "ep.h"

#include "../lib/counted_buf.h"

#define FZ_WIRE 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz_frame {
	uint8_t *buf;
	size_t len;
	struct ep *to;
};

static struct fz_frame fz_wire[FZ_WIRE];
static unsigned fz_head, fz_count;
static uint64_t fz_now;
static struct ep *fz_ep[2];
static struct app_ctx *fz_ctx[2];

/**
 * fz_emit() - ep_io.emit: to the other endpoint
 * @ctx:	sender
 * @buf:	frame
 * @len:	bytes
 */
static void fz_emit(void *ctx, uint8_t *buf, size_t len)
{
	struct fz_frame *f;

	if (fz_count == FZ_WIRE) {
		buf_free(NULL, buf);
		return;
	}
	f = &fz_wire[(fz_head + fz_count++) % FZ_WIRE];
	f->buf = buf;
	f->len = len;
	f->to = ctx == fz_ep[0] ? fz_ep[1] : fz_ep[0];
}

static const struct ep_io fz_io = {
	.alloc = buf_alloc,
	.free = buf_free,
	.emit = fz_emit,
};

/**
 * fz_round() - deliver the wire, then a worker round on both endpoints
 */
static void fz_round(void)
{
	uint32_t head[2], tail[2];
	unsigned n = fz_count, i;
	uint64_t d;

	/* the application's cq_head does not move during the round */
	for (i = 0; i < 2; i++) {
		head[i] = atomic_load(&fz_ctx[i]->shm->cq_head);
		tail[i] = atomic_load(&fz_ctx[i]->shm->cq_tail);
	}
	while (n--) {
		struct fz_frame f = fz_wire[fz_head];

		fz_head = (fz_head + 1) % FZ_WIRE;
		fz_count--;
		ep_input(f.to, f.buf, f.len, fz_now);
	}
	for (i = 0; i < 2; i++) {
		atomic_store(&fz_ctx[i]->shm->pending, 1);
		ep_poll(fz_ep[i], fz_now, false, &d);
	}
	/* never more than cq_entries ahead of the head it was given; a
	 * queue the application claims to be over-full gets nothing */
	for (i = 0; i < 2; i++) {
		uint32_t t = atomic_load(&fz_ctx[i]->shm->cq_tail);

		if (tail[i] - head[i] >= APP_CQ_ENTRIES) {
			if (t != tail[i])
				__builtin_trap();
		} else if (t - head[i] > APP_CQ_ENTRIES) {
			__builtin_trap();
		}
	}
}

/**
 * fz_sock() - a socket slot in a context's mapping (private layout)
 * @a:	context
 * @i:	index
 *
 * Return: the slot
 */
static struct vsapp_sock *fz_sock(struct app_ctx *a, uint32_t i)
{
	return (struct vsapp_sock *)((uint8_t *)a->shm + a->socks_off) + i;
}

/**
 * fz_setup() - the world every input starts from
 */
static void fz_setup(void)
{
	struct stack_ep_spec sp;
	char err[128];
	int i;

	memset(&sp, 0, sizeof(sp));
	sp.prefix_len = 24;
	for (i = 0; i < 2; i++) {
		sp.name = i ? "b" : "a";
		sp.tenant = (uint32_t)i + 1;
		sp.addr = wire_ip4(10, 0, 0, (uint8_t)(i + 1)).be;
		if (ep_create(&sp, 64, &fz_ep[i], err, sizeof(err)))
			__builtin_trap();
	}
	fz_now = 1000;
	/* small bounds so that SYN cookies and the pool limit are reached */
	for (i = 0; i < 2; i++) {
		fz_ep[i]->tcp.max_halfopen = 2;
		ep_attach(fz_ep[i], &fz_io, fz_ep[i], fz_now);
	}
	for (i = 0; i < 2; i++) {
		if (app_ctx_create(fz_ep[i], &fz_ctx[i]))
			__builtin_trap();
		app_run_add(fz_ep[i], fz_ctx[i]);
	}
	fz_round();
}

/**
 * fz_teardown() - give the contexts back, detach; check nothing is left
 */
static void fz_teardown(void)
{
	int i;

	for (i = 0; i < 2; i++) {
		app_run_del(fz_ep[i], fz_ctx[i]);
		if (fz_ctx[i]->mem.used || fz_ctx[i]->nopen)
			__builtin_trap();
	}
	for (i = 0; i < 2; i++) {
		if (fz_ep[i]->tcp.nconns || fz_ep[i]->tcp.nheap ||
		    fz_ep[i]->tcp.nhalfopen)
			__builtin_trap();
		ep_detach(fz_ep[i]);
	}
	while (fz_count) {
		buf_free(NULL, fz_wire[fz_head].buf);
		fz_head = (fz_head + 1) % FZ_WIRE;
		fz_count--;
	}
	for (i = 0; i < 2; i++) {
		app_ctx_destroy(fz_ctx[i]);
		ep_destroy(fz_ep[i]);
	}
	if (buf_live)
		__builtin_trap();
}

/**
 * fz_cmd() - write a command into a context's SQ
 * @a:		context
 * @flags:	record byte 0
 * @p:		40 bytes
 */
static void fz_cmd(struct app_ctx *a, uint8_t flags, const uint8_t *p)
{
	struct vsapp_shm *shm = a->shm;
	struct vsapp_cmd c,
		*q = (struct vsapp_cmd *)((uint8_t *)shm + a->sq_off);
	uint32_t tail = atomic_load(&shm->sq_tail);

	memcpy(&c, p, sizeof(c));
	c.op %= VSAPP_OP__COUNT + 2;
	if (!(flags & 0x40))
		c.sock %= 8;
	switch (c.addr & 3) {
	case 0:
		c.addr = wire_ip4(10, 0, 0, 1).be;
		break;
	case 1:
		c.addr = wire_ip4(10, 0, 0, 2).be;
		break;
	case 2:
		c.addr = 0;
		break;
	}
	if (!(c.port & 0x8000))
		c.port = 80;
	if (c.op == VSAPP_OP_SOCKET && !(c.arg2 & 0x80000000u)) {
		c.arg2 &= 0x7fff; /* mostly sizes that work */
		c.arg3 &= 0x7fff;
	}
	q[tail & (APP_SQ_ENTRIES - 1)] = c;
	atomic_store(&shm->sq_tail, tail + 1);
}

/**
 * fz_counter() - write a counter or a header field
 * @a:		context
 * @flags:	record byte 0
 * @p:		socket, field, 4 bytes of value
 */
static void fz_counter(struct app_ctx *a, uint8_t flags, const uint8_t *p)
{
	struct vsapp_sock *s = fz_sock(a, p[0] % 8);
	struct vsapp_shm *shm = a->shm;
	uint32_t v, cur = 0;
	_Atomic uint32_t *f = NULL;

	memcpy(&v, p + 2, 4);
	switch (p[1] % 8) {
	case 0:
		f = &s->snd_tail;
		break;
	case 1:
		f = &s->rcv_head;
		break;
	case 2:
		f = &shm->sq_tail;
		break;
	case 3:
		f = &shm->cq_head;
		break;
	case 4:
		f = &shm->pending;
		break;
	case 5:
		f = &shm->app_waiting;
		break;
	case 6:
		shm->socks_off = v;
		shm->sq_off = v;
		shm->data_off = (uint64_t)v << 20;
		shm->sq_entries = v;
		return;
	default:
		memcpy((uint8_t *)s + 160 + (v % 32), p + 2, 1); /* pad2 */
		return;
	}
	cur = atomic_load(f);
	atomic_store(f, flags & 0x40 ? cur + v : v);
}

/**
 * fz_write() - bytes into a socket's send ring at snd_tail
 * @a:	context
 * @p:	socket, length, then the bytes
 * @n:	bytes at @p
 *
 * Return: bytes of the record used
 */
static size_t fz_write(struct app_ctx *a, const uint8_t *p, size_t n)
{
	struct app_sock *ps = &a->socks[p[0] % 8];
	struct vsapp_sock *s = fz_sock(a, p[0] % 8);
	uint32_t len = p[1], tail, k;
	uint8_t *ring;

	if (len > n - 2)
		len = (uint32_t)(n - 2);
	/* the ring as the stack placed it (the private copy: the mapping's
	 * copy is the application's to spoil) */
	if (!ps->type || !ps->ssize)
		return 2 + len;
	ring = (uint8_t *)a->shm + a->data_off + ps->sbuf;
	tail = atomic_load(&s->snd_tail);
	for (k = 0; k < len; k++)
		ring[(tail + k) & (ps->ssize - 1)] = p[2 + k];
	atomic_store(&s->snd_tail, tail + len);
	return 2 + len;
}

/**
 * fz_reap() - the application reaps its completions and reads everything
 * @a:	context
 * @i:	which one
 */
static void fz_reap(struct app_ctx *a, int i)
{
	uint32_t k;

	(void)i;
	atomic_store(&a->shm->cq_head, atomic_load(&a->shm->cq_tail));
	for (k = 0; k < 8; k++)
		atomic_store(&fz_sock(a, k)->rcv_head,
			     atomic_load(&fz_sock(a, k)->rcv_tail));
}

/**
 * LLVMFuzzerTestOneInput() - run one input
 * @data:	records
 * @size:	bytes
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	fz_setup();
	while (off < size) {
		uint8_t op = data[off++];
		int which = op >> 7;
		struct app_ctx *a = fz_ctx[which];
		size_t left = size - off;

		switch (op & 7) {
		case 0:
		case 5:
			if (left < sizeof(struct vsapp_cmd))
				goto out;
			fz_cmd(a, op, data + off);
			off += sizeof(struct vsapp_cmd);
			break;
		case 1:
			if (left < 6)
				goto out;
			fz_counter(a, op, data + off);
			off += 6;
			break;
		case 2:
			if (left < 2)
				goto out;
			off += fz_write(a, data + off, left);
			break;
		case 3:
			if (left < 1)
				goto out;
			fz_now += 7u * data[off++];
			break;
		case 4:
			fz_reap(a, which);
			break;
		default:
			break;
		}
		fz_round();
	}
out:
	/* a few rounds more with the layout restored, so that the end is
	 * not only what happened to be in flight */
	fz_now += 1;
	fz_round();
	fz_teardown();
	return 0;
}
