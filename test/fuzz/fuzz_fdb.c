// SPDX-License-Identifier: MIT
/*
 * fuzz_fdb.c - libFuzzer target: forwarding database against its model
 *
 * The input is a program for vnet/fdb.c, run in lockstep on the reference
 * model of test/lib/fdb_model.h; any difference aborts.
 *
 *   header, 6 bytes:
 *     limit - 1 (mod 32), aging time / 16 ms (0: 0 ms), start time (4 bytes,
 *     little endian, so the clock wraps in some runs)
 *   then 3 bytes per operation:
 *     op:    bits 0..2 kind (0-2 learn, or pin if kind 2 and bit 3,
 *            3-4 lookup, 5 age, 6 flush port, or set the port's limit
 *            if bit 3, 7 check walk and counters, or change the aging
 *            time if bit 3)
 *            bit 4: time advance in units of 64 ms instead of 1 ms
 *     addr:  bits 0..5 address number, bit 6 group address, 0xff all-zeros;
 *            for kind 7 with bit 3: new aging time / 16 ms; for kind 6
 *            with bit 3: bits 0..2 the port's limit (0: none)
 *     arg:   bits 0..2 port (7: FDB_PORT_NONE), bits 3..7 time advance
 *
 * The aging time only changes after both sides aged: the table keeps
 * expired entries until they are removed, and a longer aging time would
 * revive them (documented in fdb.c), which the model does not mirror.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fdb.h"
#include "../lib/fdb_model.h"

#define FUZZ_MACS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/**
 * fuzz_fdb_fail() - report a mismatch and abort
 * @what:	operation
 * @op:		operation number
 * @got:	result of the table
 * @want:	result of the model
 */
static void fuzz_fdb_fail(const char *what, size_t op, long got, long want)
{
	fprintf(stderr, "fdb mismatch: op %zu %s: table %ld, model %ld\n", op,
		what, got, want);
	abort();
}

/**
 * fuzz_fdb_mac() - address for an address byte
 * @mac:	filled in
 * @b:		address byte
 */
static void fuzz_fdb_mac(uint8_t mac[6], uint8_t b)
{
	mac[0] = (b & 0x40) ? 0x03 : 0x02;
	mac[1] = 0x00;
	mac[2] = 0x5e;
	mac[3] = 0x00;
	mac[4] = (uint8_t)((b & 0x3f) * 37);
	mac[5] = b & 0x3f;
	if (b == 0xff)
		mac[0] = mac[5] = mac[4] = mac[2] = 0;
}

/**
 * fuzz_fdb_check() - compare walk, counters and every lookup
 * @f:		table
 * @md:		model
 * @now:	time, ms
 * @op:		operation number, for the report
 */
static void fuzz_fdb_check(struct fdb *f, struct fdbm *md, uint32_t now,
			   size_t op)
{
	unsigned i;

	if (!fdbm_walk_matches(f, md, now))
		fuzz_fdb_fail("walk", op, 0, 0);
	if (!fdbm_stats_match(f, md))
		fuzz_fdb_fail("stats", op, 0, 0);
	if (!fdbm_ports_match(f, md, 7))
		fuzz_fdb_fail("port counts", op, 0, 0);
	for (i = 0; i < FUZZ_MACS; i++) {
		uint8_t mac[6];

		fuzz_fdb_mac(mac, (uint8_t)i);
		if (fdb_lookup(f, mac, now) != fdbm_lookup(md, mac, now))
			fuzz_fdb_fail("final lookup", op,
				      fdb_lookup(f, mac, now),
				      fdbm_lookup(md, mac, now));
	}
}

/**
 * LLVMFuzzerTestOneInput() - run one program
 * @data:	input
 * @size:	its length
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fdbm md;
	uint32_t limit, aging, now, advanced = 0;
	struct fdb *f;
	size_t op, p;

	if (size < 6)
		return 0;
	limit = 1 + data[0] % 32;
	aging = data[1] * 16U;
	now = (uint32_t)data[2] | (uint32_t)data[3] << 8 |
	      (uint32_t)data[4] << 16 | (uint32_t)data[5] << 24;

	f = fdb_create(limit, aging);
	if (!f)
		abort();
	fdbm_init(&md, limit, aging);

	for (op = 0, p = 6; p + 3 <= size; op++, p += 3) {
		uint8_t kind = data[p] & 7, addr = data[p + 1];
		uint8_t arg = data[p + 2];
		uint16_t port = arg & 7;
		uint32_t step = arg >> 3;
		uint8_t mac[6];
		long a, b;

		if (data[p] & 0x10)
			step *= 64;
		/* The model needs differences below 2^31 ms */
		if (advanced + step > (1U << 30))
			break;
		advanced += step;
		now += step;
		if (port == 7)
			port = FDB_PORT_NONE;
		fuzz_fdb_mac(mac, addr);

		switch (kind) {
		case 2:
			if (data[p] & 0x08) {
				a = fdb_pin(f, mac, port, now);
				b = fdbm_pin(&md, mac, port, now);
				if (a != b)
					fuzz_fdb_fail("pin", op, a, b);
				break;
			}
			/* fall through */
		case 0:
		case 1:
			a = fdb_learn(f, mac, port, now);
			b = fdbm_learn(&md, mac, port, now);
			if (a != b)
				fuzz_fdb_fail("learn", op, a, b);
			break;
		case 3:
		case 4:
			a = fdb_lookup(f, mac, now);
			b = fdbm_lookup(&md, mac, now);
			if (a != b)
				fuzz_fdb_fail("lookup", op, a, b);
			break;
		case 5:
			a = fdb_age(f, now);
			b = fdbm_age(&md, now);
			if (a != b)
				fuzz_fdb_fail("age", op, a, b);
			break;
		case 6:
			if (data[p] & 0x08) {
				a = fdb_port_set_max(f, port, addr & 7U);
				b = fdbm_port_set_max(&md, port, addr & 7U);
				if (a != b)
					fuzz_fdb_fail("port limit", op, a, b);
				break;
			}
			a = fdb_flush_port(f, port);
			b = fdbm_flush_port(&md, port);
			if (a != b)
				fuzz_fdb_fail("flush", op, a, b);
			break;
		default:
			if (data[p] & 0x08) {
				a = fdb_age(f, now);
				b = fdbm_age(&md, now);
				if (a != b)
					fuzz_fdb_fail("age", op, a, b);
				fdb_set_aging(f, addr * 16U);
				md.aging = addr * 16U;
			}
			fuzz_fdb_check(f, &md, now, op);
			break;
		}
	}
	fuzz_fdb_check(f, &md, now, op);
	fdb_destroy(f);
	return 0;
}
