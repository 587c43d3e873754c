// SPDX-License-Identifier: MIT
/*
 * fuzz_stack_input.c - libFuzzer target for a stack endpoint's input path
 *
 * The input is a sequence of records, each one frame as a worker would hand
 * it to the endpoint, with the time it arrives:
 *
 *   byte 0	time step: low 7 bits, in 10 ms units, or in seconds when
 *		the top bit is set (so that 30 s reassembly and ARP timers
 *		are reachable)
 *   bytes 1-2	frame length, little-endian (cut to what is left)
 *   then	the frame: virtio-net header + Ethernet
 *
 * The endpoint is 10.0.0.2/24 (MAC 02:00:00:00:00:01, gateway 10.0.0.1)
 * with UDP sockets on ports 7, 53 and 9999; whatever arrives on them is
 * echoed back to its sender, so that output, ARP queueing and
 * fragmentation run too. netif_timer() runs after every record.
 *
 * Checks, any failure traps:
 * - every emitted frame fits the buffer it was built in and is accepted by
 *   the switch's own frame_parse() with no offload requested;
 * - after netif_close(), every buffer the allocator handed out (and every
 *   input buffer given to the stack) has come back exactly once.
 *
 * Seeds: test/fuzz/corpus/stack_input/.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "netif.h"

#define FUZZ_MAGIC 0x5f7a5f7a5f7a5f7aull

/**
 * struct fuzz_hdr - bookkeeping in front of each buffer
 * @magic:	FUZZ_MAGIC while the buffer is out, 0 once returned
 * @size:	bytes usable after the header
 */
struct fuzz_hdr {
	uint64_t magic;
	uint64_t size;
};

static long fuzz_live;
static struct netif fuzz_ni;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/**
 * fuzz_alloc() - counted buffer with its size in front
 * @ctx:	unused
 * @size:	bytes
 *
 * Return: the buffer (never NULL below NETIF_BUF_MAX)
 */
static uint8_t *fuzz_alloc(void *ctx, size_t size)
{
	struct fuzz_hdr *h;

	(void)ctx;
	if (size > NETIF_BUF_MAX)
		__builtin_trap();
	h = malloc(sizeof(*h) + size);
	if (!h)
		return NULL;
	h->magic = FUZZ_MAGIC;
	h->size = size;
	fuzz_live++;
	return (uint8_t *)(h + 1);
}

/**
 * fuzz_hdr_of() - bookkeeping of a buffer, trapping on a foreign or
 * already returned one
 * @b:		buffer
 *
 * Return: its header
 */
static struct fuzz_hdr *fuzz_hdr_of(uint8_t *b)
{
	struct fuzz_hdr *h = (struct fuzz_hdr *)b - 1;

	if (h->magic != FUZZ_MAGIC)
		__builtin_trap();
	return h;
}

/**
 * fuzz_free() - return a buffer
 * @ctx:	unused
 * @b:		buffer
 */
static void fuzz_free(void *ctx, uint8_t *b)
{
	struct fuzz_hdr *h = fuzz_hdr_of(b);

	(void)ctx;
	h->magic = 0;
	fuzz_live--;
	free(h);
}

/**
 * fuzz_emit() - check an outgoing frame, then return its buffer
 * @ctx:	unused
 * @b:		frame
 * @len:	length
 */
static void fuzz_emit(void *ctx, uint8_t *b, size_t len)
{
	struct fuzz_hdr *h = fuzz_hdr_of(b);
	struct frame_info fi;

	if (len > h->size)
		__builtin_trap();
	if (frame_parse(b, len, &fi) != FRAME_OK || fi.gso_type ||
	    fi.needs_csum)
		__builtin_trap();
	fuzz_free(ctx, b);
}

/**
 * fuzz_pmtu() - path MTU hint: the value must be sane
 * @ctx:	unused
 * @dst:	destination
 * @mtu:	new MTU
 * @q:		quote
 * @qlen:	its length
 */
static void fuzz_pmtu(void *ctx, be32_t dst, uint16_t mtu, const uint8_t *q,
		      size_t qlen)
{
	(void)ctx;
	(void)dst;
	(void)q;
	if (mtu < NETIF_PMTU_MIN || mtu >= fuzz_ni.cfg.mtu || qlen < 20)
		__builtin_trap();
}

/**
 * fuzz_unreach() - destination unreachable for TCP: an errno, a quote of
 * a TCP datagram from us
 * @ctx:	unused
 * @dst:	destination
 * @err:	its errno
 * @q:		quote
 * @qlen:	its length
 */
static void fuzz_unreach(void *ctx, be32_t dst, int err, const uint8_t *q,
			 size_t qlen)
{
	(void)ctx;
	(void)dst;
	if (err <= 0 || qlen < 20 || q[9] != WIRE_IPPROTO_TCP)
		__builtin_trap();
}

static const struct netif_ops fuzz_ops = {
	.alloc = fuzz_alloc,
	.free = fuzz_free,
	.emit = fuzz_emit,
	.pmtu = fuzz_pmtu,
	.unreach = fuzz_unreach,
};

/**
 * fuzz_echo() - send back whatever the sockets hold
 * @socks:	socket numbers
 * @n:		how many
 * @now:	time
 */
static void fuzz_echo(const int *socks, unsigned n, uint64_t now)
{
	static uint8_t buf[WIRE_IP4_LEN_MAX];
	uint16_t sport;
	be32_t src;
	ssize_t len;
	unsigned i;

	for (i = 0; i < n; i++) {
		while ((len = udp_recvfrom(&fuzz_ni, socks[i], buf, sizeof(buf),
					   &src, &sport)) >= 0) {
			if ((size_t)len > sizeof(buf))
				__builtin_trap();
			if (sport)
				udp_sendto(&fuzz_ni, socks[i], src, sport, buf,
					   (size_t)len, now);
		}
	}
}

/**
 * LLVMFuzzerTestOneInput() - one sequence of frames
 * @data:	records, see the top of the file
 * @size:	length
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t ports[] = {7, 53, 9999};
	struct netif_config cfg = {
		.mac = {0x02, 0, 0, 0, 0, 0x01},
		.prefix_len = 24,
		.mtu = 1500,
		.seed = 0x1234,
	};
	int socks[sizeof(ports) / sizeof(ports[0])];
	uint64_t now = 1000;
	size_t off = 0, len;
	unsigned i;
	uint8_t *b;

	cfg.addr = wire_ip4(10, 0, 0, 2);
	cfg.gw = wire_ip4(10, 0, 0, 1);
	fuzz_live = 0;
	if (netif_init(&fuzz_ni, &cfg, &fuzz_ops, NULL))
		__builtin_trap();
	netif_up(&fuzz_ni, now);
	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		socks[i] = udp_bind(&fuzz_ni, ports[i]);
		if (socks[i] < 0)
			__builtin_trap();
	}

	while (size - off >= 3) {
		uint8_t step = data[off];

		now += (uint64_t)(step & 0x7f) * (step & 0x80 ? 1000 : 10);
		len = (size_t)data[off + 1] | (size_t)data[off + 2] << 8;
		off += 3;
		if (len > size - off)
			len = size - off;
		b = fuzz_alloc(NULL, len ? len : 1);
		if (!b)
			break;
		memcpy(b, data + off, len);
		off += len;
		netif_input(&fuzz_ni, b, len, now);
		fuzz_echo(socks, sizeof(socks) / sizeof(socks[0]), now);
		netif_timer(&fuzz_ni, now);
	}
	/* let every timer run out */
	netif_timer(&fuzz_ni, now + 60000);
	netif_timer(&fuzz_ni, now + 120000);

	netif_close(&fuzz_ni);
	if (fuzz_live)
		__builtin_trap();
	return 0;
}
