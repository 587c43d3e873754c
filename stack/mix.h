/* SPDX-License-Identifier: MIT */
/*
 * mix.h - keyed 64-bit mixing for the stack's hashes and secrets
 *
 * A multiply-xorshift finaliser over two words and a two-word key. Not a
 * cryptographic function: it spreads the 4-tuple over hash buckets and,
 * keyed with a secret from getrandom(), keeps hash collisions, ports, ISS,
 * SYN cookies and timestamp offsets unpredictable to an outside observer.
 */
#ifndef VSTACK_STACK_MIX_H
#define VSTACK_STACK_MIX_H

#include <stdint.h>

/**
 * mix64() - mix two words under a key
 * @a:	first word
 * @b:	second word
 * @k0:	first key word
 * @k1:	second key word
 *
 * Return: 64 mixed bits
 */
static inline uint64_t mix64(uint64_t a, uint64_t b, uint64_t k0, uint64_t k1)
{
	uint64_t x = a ^ k0;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= b + k1 + (x >> 29);
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 32;
	x *= 0x9E3779B97F4A7C15ULL;
	x ^= x >> 29;
	return x;
}

#endif /* VSTACK_STACK_MIX_H */
