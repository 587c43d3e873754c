// SPDX-License-Identifier: MIT
/*
 * vs_ring.c - ring arithmetic for socket buffers (app_proto.h sections 3, 4)
 *
 * Counters are free-running uint32_t: byte k of a stream lives at
 * base[k % size], and since size is a power of two no larger than 2^31,
 * k % size stays right across the counters' wrap at 2^32. The bytes in a
 * ring are tail - head (unsigned, so also across the wrap); more than
 * size means one side lied, and every function here says so instead of
 * following it.
 *
 * Datagram records: struct vsapp_dgram, len payload bytes, padding to 8.
 * A record never wraps. A writer that lacks room for the whole record
 * before the end of the ring skips to the ring's start, writing a header
 * with len VSAPP_DGRAM_WRAP first when one fits (when fewer than 16 bytes
 * are left there is no header: a reader that finds fewer than 16 bytes
 * before the end skips them too). The skipped bytes count as bytes of the
 * ring: the counter moves by what was left before the end, so that the
 * next record starts at offset 0. This is our reading of section 4; the
 * stack must skip the same way.
 *
 * These functions touch only the ring bytes given to them and never
 * further than base + size: whatever the counters say, offsets are taken
 * modulo size and lengths are checked against what lies before the end.
 */
#include <errno.h>
#include <string.h>

#include "vs_priv.h"

#define VS_DGRAM_HDR ((uint32_t)sizeof(struct vsapp_dgram))

/**
 * vs_ring_size_ok() - is this a usable ring size
 * @size:	bytes announced by vstackd
 * @min:	the least this socket type can work with
 *
 * Return: true for a power of two in [@min, 2^31]
 */
bool vs_ring_size_ok(uint32_t size, uint32_t min)
{
	return size >= min && size <= VS_RING_MAX && (size & (size - 1)) == 0;
}

/**
 * vs_ring_stream_used() - bytes between two counters of a ring
 * @head:	the consumer's counter
 * @tail:	the producer's counter
 * @size:	the ring's size
 * @used:	tail - head, when it makes sense
 *
 * Return: 0, or -EPROTO when tail - head exceeds the ring
 */
int vs_ring_stream_used(uint32_t head, uint32_t tail, uint32_t size,
			uint32_t *used)
{
	uint32_t n = tail - head;

	if (n > size)
		return -EPROTO;
	*used = n;
	return 0;
}

/**
 * vs_ring_write() - copy bytes into a ring at a stream position
 * @r:		the ring
 * @pos:	the counter value of the first byte
 * @src:	the bytes
 * @len:	how many, at most r->size
 */
void vs_ring_write(const struct vs_ring *r, uint32_t pos, const void *src,
		   uint32_t len)
{
	uint32_t off = pos & (r->size - 1);
	uint32_t first;

	if (len > r->size)
		len = r->size;
	first = r->size - off;
	if (first > len)
		first = len;
	memcpy(r->base + off, src, first);
	memcpy(r->base, (const uint8_t *)src + first, len - first);
}

/**
 * vs_ring_read() - copy bytes out of a ring at a stream position
 * @r:		the ring
 * @pos:	the counter value of the first byte
 * @dst:	where to put them
 * @len:	how many, at most r->size
 */
void vs_ring_read(const struct vs_ring *r, uint32_t pos, void *dst,
		  uint32_t len)
{
	uint32_t off = pos & (r->size - 1);
	uint32_t first;

	if (len > r->size)
		len = r->size;
	first = r->size - off;
	if (first > len)
		first = len;
	memcpy(dst, r->base + off, first);
	memcpy((uint8_t *)dst + first, r->base, len - first);
}

/**
 * vs_ring_dgram_rec() - ring bytes of a record with a given payload
 * @len:	payload bytes, at most VS_DGRAM_MAX
 *
 * Return: header + payload, rounded up to 8
 */
uint32_t vs_ring_dgram_rec(uint32_t len)
{
	return (VS_DGRAM_HDR + len + 7u) & ~7u;
}

/**
 * vs_ring_dgram_fits() - could a put of this record make progress now
 * @r:		the send ring
 * @head:	the consumer's counter
 * @tail:	ours
 * @len:	payload bytes
 *
 * Progress is writing the record, or the skip to the ring's start that
 * has to come before it (after which the record needs the ring from 0).
 *
 * Return: true when vs_ring_dgram_put() would not return -EAGAIN at once
 */
bool vs_ring_dgram_fits(const struct vs_ring *r, uint32_t head, uint32_t tail,
			uint32_t len)
{
	uint32_t used, room, to_end, need = vs_ring_dgram_rec(len);

	if (vs_ring_stream_used(head, tail, r->size, &used))
		return true; /* let the put report it */
	room = r->size - used;
	to_end = r->size - (tail & (r->size - 1));
	if (need <= to_end)
		return room >= need;
	return room >= to_end;
}

/**
 * vs_ring_dgram_put() - append one datagram record
 * @r:		the send ring (a power of two, at least VS_DGRAM_RING_MIN)
 * @head:	the consumer's counter, as last read
 * @tail:	our counter; moved past what was written, also on -EAGAIN
 *		when only the skip to the ring's start was written (the
 *		caller publishes it either way)
 * @h:		the header (its len is the payload's)
 * @payload:	h->len bytes
 *
 * Return: 0 written, -EAGAIN no room now, -EMSGSIZE never fits,
 * -EPROTO the counters make no sense
 */
int vs_ring_dgram_put(const struct vs_ring *r, uint32_t head, uint32_t *tail,
		      const struct vsapp_dgram *h, const void *payload)
{
	uint32_t used, room, off, to_end, need;
	struct vsapp_dgram wrap = {.len = VSAPP_DGRAM_WRAP};

	if (h->len > VS_DGRAM_MAX || vs_ring_dgram_rec(h->len) > r->size)
		return -EMSGSIZE;
	need = vs_ring_dgram_rec(h->len);
	if (vs_ring_stream_used(head, *tail, r->size, &used))
		return -EPROTO;
	room = r->size - used;
	off = *tail & (r->size - 1);
	if (off & 7u)
		return -EPROTO; /* our own counter: cannot happen */
	to_end = r->size - off;
	if (need > to_end) {
		if (room < to_end)
			return -EAGAIN;
		if (to_end >= VS_DGRAM_HDR)
			memcpy(r->base + off, &wrap, sizeof(wrap));
		*tail += to_end;
		room -= to_end;
		off = 0;
		if (room < need)
			return -EAGAIN;
	} else if (room < need) {
		return -EAGAIN;
	}
	memcpy(r->base + off, h, sizeof(*h));
	memcpy(r->base + off + VS_DGRAM_HDR, payload, h->len);
	/* Padding bytes are left as they are: a reader skips them. */
	*tail += need;
	return 0;
}

/**
 * vs_ring_dgram_get() - take one datagram record
 * @r:		the receive ring
 * @head:	our counter; moved past skips and the record taken, also
 *		when -EAGAIN follows a skip (the caller publishes it)
 * @tail:	the producer's counter, as last read
 * @h:		filled with the record's header (len: the whole payload)
 * @buf:	where to copy the payload
 * @buflen:	room in @buf: a longer payload is truncated
 *
 * Return: 0, -EAGAIN no record, -EPROTO a malformed record or counters
 * (nothing was copied; the caller must not go on reading this ring)
 */
int vs_ring_dgram_get(const struct vs_ring *r, uint32_t *head, uint32_t tail,
		      struct vsapp_dgram *h, void *buf, size_t buflen)
{
	uint32_t avail, off, to_end, rec;
	size_t n;

	for (;;) {
		if (vs_ring_stream_used(*head, tail, r->size, &avail))
			return -EPROTO;
		if (!avail)
			return -EAGAIN;
		off = *head & (r->size - 1);
		if (off & 7u)
			return -EPROTO;
		to_end = r->size - off;
		if (to_end < VS_DGRAM_HDR) {
			/* No room for a header here: the writer skipped. */
			if (avail < to_end)
				return -EPROTO;
			*head += to_end;
			continue;
		}
		if (avail < VS_DGRAM_HDR)
			return -EPROTO;
		memcpy(h, r->base + off, sizeof(*h));
		if (h->len == VSAPP_DGRAM_WRAP) {
			if (avail < to_end)
				return -EPROTO;
			*head += to_end;
			continue;
		}
		if (h->len > VS_DGRAM_MAX)
			return -EPROTO;
		rec = vs_ring_dgram_rec(h->len);
		if (rec > to_end || rec > avail)
			return -EPROTO;
		n = h->len < buflen ? h->len : buflen;
		if (n)
			memcpy(buf, r->base + off + VS_DGRAM_HDR, n);
		*head += rec;
		return 0;
	}
}
