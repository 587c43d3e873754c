// SPDX-License-Identifier: MIT
/*
 * fuzz_lib_rings.c - libFuzzer target for libvstack's ring arithmetic
 * (stack/lib/vs_ring.c), the code that reads what vstackd wrote into a
 * socket's shared rings
 *
 * The rings live in memory vstackd writes; libvstack trusts none of it.
 * Two runs per input:
 *
 * 1. A hostile ring. The input's first bytes give a ring size, the two
 *    counters (mostly the writer's a little ahead of the reader's) and a
 *    receive buffer size; the rest fills the ring. Records
 *    are taken with vs_ring_dgram_get() until it says EAGAIN or EPROTO (or
 *    the ring cannot hold more). The ring and the buffer are heap blocks of
 *    exactly their size, so ASan catches any byte read or written outside
 *    them; a record taken must have a sane length, and the reader's
 *    counter may never pass the writer's.
 *
 * 2. An honest conversation. The input becomes a script of puts (payload
 *    length and a fill byte) and gets on one ring, checked against a model
 *    queue: every datagram put comes out once, whole, in order, with its
 *    bytes; a put refused for room succeeds once the reader caught up; the
 *    counters never disagree (no EPROTO). This holds the writer's and the
 *    reader's skip rules (records never wrap, the header-less tail) to
 *    each other. The stream helpers get the same treatment with the
 *    script's lengths.
 *
 * Seeds: test/fuzz/corpus/lib_rings/.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "vs_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RING_LOG_MIN 5	/* VS_DGRAM_RING_MIN */
#define RING_LOG_MAX 16 /* bounds the work per input */
#define MODEL_MAX    512

/* A little-endian value of @n bytes from @p, advancing it. */
static uint32_t take(const uint8_t **p, size_t *left, unsigned n)
{
	uint32_t v = 0;
	unsigned i;

	for (i = 0; i < n && *left; i++, (*p)++, (*left)--)
		v |= (uint32_t)**p << (8 * i);
	return v;
}

/* A ring size from one byte: a power of two the code accepts */
static uint32_t take_size(const uint8_t **p, size_t *left)
{
	return 1u << (RING_LOG_MIN + take(p, left, 1) %
					     (RING_LOG_MAX - RING_LOG_MIN + 1));
}

/* Run 1: whatever the ring and counters say, reading stays inside. */
static void hostile(const uint8_t *data, size_t size)
{
	const uint8_t *p = data;
	size_t left = size;
	uint32_t rsize = take_size(&p, &left);
	uint32_t mode = take(&p, &left, 1), head = take(&p, &left, 4);
	/* Mostly a writer a little ahead, sometimes any counter at all */
	uint32_t tail = mode & 1 ? take(&p, &left, 4)
				 : head + take(&p, &left, 2) % (2 * rsize + 1);
	size_t buflen = take(&p, &left, 2) % (VS_DGRAM_MAX + 2);
	struct vs_ring r = {.base = malloc(rsize), .size = rsize};
	uint8_t *buf = malloc(buflen ? buflen : 1);
	struct vsapp_dgram h;
	unsigned i;
	int ret;

	CHECK(r.base && buf);
	memset(r.base, 0, rsize);
	memcpy(r.base, p, left < rsize ? left : rsize);
	for (i = 0; i < rsize / 8 + 2; i++) {
		uint32_t before = head, used;

		ret = vs_ring_dgram_get(&r, &head, tail, &h, buf, buflen);
		if (ret)
			CHECK(ret == -EAGAIN || ret == -EPROTO);
		/* The reader never passes the writer, even on errors:
		 * what it consumed was in the ring. */
		if (!vs_ring_stream_used(before, tail, rsize, &used))
			CHECK(head - before <= used);
		if (ret)
			break;
		CHECK(h.len <= VS_DGRAM_MAX);
	}
	free(buf);
	free(r.base);
}

/* A datagram in flight, for the model */
struct rec {
	uint32_t len;
	uint8_t fill;
};

/* Run 2: an honest writer and reader agree on every record. */
static void honest(const uint8_t *data, size_t size)
{
	const uint8_t *p = data;
	size_t left = size;
	uint32_t rsize = take_size(&p, &left);
	/* Both counters start anywhere (they run free across 2^32), at a
	 * record boundary. */
	uint32_t tail = take(&p, &left, 4) & ~7u, head = tail;
	struct vs_ring r = {.base = malloc(rsize), .size = rsize};
	uint8_t *pay = malloc(VS_DGRAM_MAX), *got = malloc(VS_DGRAM_MAX);
	static struct rec q[MODEL_MAX];
	unsigned qh = 0, qt = 0;
	struct vsapp_dgram h;
	int ret;

	CHECK(r.base && pay && got);
	memset(r.base, 0xa5, rsize);
	while (left) {
		uint32_t op = take(&p, &left, 2);

		if ((op & 1) && qt - qh < MODEL_MAX) { /* put */
			uint32_t len = (op >> 1) % (rsize + 1);
			uint8_t fill = (uint8_t)(op >> 8);
			uint32_t before = tail;
			bool fits = vs_ring_dgram_fits(&r, head, tail, len);

			memset(pay, fill, len);
			h = (struct vsapp_dgram){.len = len};
			ret = vs_ring_dgram_put(&r, head, &tail, &h, pay);
			CHECK(ret != -EPROTO);
			if (vs_ring_dgram_rec(len) > rsize) {
				CHECK(ret == -EMSGSIZE && tail == before);
				continue;
			}
			/* fits() promised progress: a record or the skip */
			if (fits)
				CHECK(ret == 0 || tail != before);
			/* An empty ring takes any record that fits, once
			 * the skip to its start is written and read */
			if (ret == -EAGAIN && head == before)
				CHECK(tail != before);
			if (!ret)
				q[qt++ % MODEL_MAX] = (struct rec){len, fill};
		} else { /* get */
			uint32_t i;

			ret = vs_ring_dgram_get(&r, &head, tail, &h, got,
						VS_DGRAM_MAX);
			CHECK(ret != -EPROTO);
			if (ret == -EAGAIN) {
				CHECK(qh == qt && head == tail);
				continue;
			}
			CHECK(qh != qt);
			CHECK(h.len == q[qh % MODEL_MAX].len);
			for (i = 0; i < h.len; i++)
				CHECK(got[i] == q[qh % MODEL_MAX].fill);
			qh++;
		}
	}
	/* Drain: everything put comes out */
	while (qh != qt) {
		ret = vs_ring_dgram_get(&r, &head, tail, &h, got, VS_DGRAM_MAX);
		CHECK(ret == 0 && h.len == q[qh % MODEL_MAX].len);
		qh++;
	}
	CHECK(vs_ring_dgram_get(&r, &head, tail, &h, got, VS_DGRAM_MAX) ==
		      -EAGAIN &&
	      head == tail);
	free(got);
	free(pay);
	free(r.base);
}

/* The stream helpers: a byte stream through a ring comes out the same. */
static void stream(const uint8_t *data, size_t size)
{
	const uint8_t *p = data;
	size_t left = size;
	uint32_t rsize = take_size(&p, &left);
	uint32_t tail = take(&p, &left, 4), head = tail, used;
	struct vs_ring r = {.base = malloc(rsize), .size = rsize};
	uint8_t *in = malloc(rsize), *out = malloc(rsize);
	uint8_t next_in = 0, next_out = 0;

	CHECK(r.base && in && out);
	CHECK(vs_ring_size_ok(rsize, VS_DGRAM_RING_MIN));
	while (left) {
		uint32_t op = take(&p, &left, 2), n, i;

		CHECK(!vs_ring_stream_used(head, tail, rsize, &used));
		if (op & 1) { /* write what fits */
			n = (op >> 1) % (rsize - used + 1);
			for (i = 0; i < n; i++)
				in[i] = next_in++;
			vs_ring_write(&r, tail, in, n);
			tail += n;
		} else { /* read some of what is there */
			n = (op >> 1) % (used + 1);
			vs_ring_read(&r, head, out, n);
			for (i = 0; i < n; i++)
				CHECK(out[i] == next_out++);
			head += n;
		}
	}
	/* One counter past the other by more than the ring: refused */
	CHECK(vs_ring_stream_used(head, head + rsize + 1, rsize, &used) ==
	      -EPROTO);
	free(out);
	free(in);
	free(r.base);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hostile(data, size);
	honest(data, size);
	stream(data, size);
	return 0;
}
