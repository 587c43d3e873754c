/* SPDX-License-Identifier: MIT */
/*
 * seq.h - TCP sequence-number arithmetic modulo 2^32
 *
 * Sequence numbers wrap (RFC 9293 3.4): a < b means "a comes before b within
 * half the sequence space", computed as the sign of the 32-bit difference.
 * Every comparison of sequence numbers in the stack goes through these
 * macros; a plain '<' on two sequence numbers is a bug.
 */
#ifndef VSTACK_STACK_SEQ_H
#define VSTACK_STACK_SEQ_H

#include <stdint.h>

#define SEQ_DIFF(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)))
#define SEQ_LT(a, b)   (SEQ_DIFF(a, b) < 0)
#define SEQ_LEQ(a, b)  (SEQ_DIFF(a, b) <= 0)
#define SEQ_GT(a, b)   (SEQ_DIFF(a, b) > 0)
#define SEQ_GEQ(a, b)  (SEQ_DIFF(a, b) >= 0)
#define SEQ_MAX(a, b)  (SEQ_GT(a, b) ? (uint32_t)(a) : (uint32_t)(b))
#define SEQ_MIN(a, b)  (SEQ_LT(a, b) ? (uint32_t)(a) : (uint32_t)(b))

/**
 * seq_in() - whether @s lies in the half-open interval [@lo, @hi)
 * @s:	sequence number
 * @lo:	first in the interval
 * @hi:	one past the last
 *
 * Return: 1 if lo <= s < hi (modulo 2^32), 0 otherwise
 */
static inline int seq_in(uint32_t s, uint32_t lo, uint32_t hi)
{
	return SEQ_LEQ(lo, s) && SEQ_LT(s, hi);
}

#endif /* VSTACK_STACK_SEQ_H */
