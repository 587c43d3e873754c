/* SPDX-License-Identifier: MIT */
/*
 * tbucket.h - a token bucket
 *
 * One rate limiter for every budget in vstack: a tenant's rate cap and its
 * budget of dropped frames (cgroups/sched.c), a control client's requests
 * (ctl/server.c), an endpoint's new ARP resolutions and ICMP errors
 * (stack/). Tokens are earned at @rate a second up to @burst; a user takes
 * them either only when there are enough (tbucket_try()) or regardless,
 * going into debt that is paid back at the rate (tbucket_take(),
 * tbucket_ready_ns()).
 *
 * Time is CLOCK_MONOTONIC nanoseconds. Time that earned less than a token
 * is kept for the next refill, so a slow rate is not lost to rounding, and
 * a clock that goes back earns nothing. The arithmetic is done in 128 bits:
 * any rate up to 2^63 a second and any gap in time are exact.
 */
#ifndef VSTACK_TBUCKET_H
#define VSTACK_TBUCKET_H

#include <stdbool.h>
#include <stdint.h>

#define TBUCKET_NS 1000000000ull

/**
 * struct tbucket - a token bucket
 * @tokens:	tokens that may be taken now (negative: in debt)
 * @rate:	tokens earned a second, 0 for none
 * @burst:	most tokens it holds
 * @stamp_ns:	time up to which @tokens was earned
 */
struct tbucket {
	int64_t tokens;
	uint64_t rate;
	uint64_t burst;
	uint64_t stamp_ns;
};

/**
 * tbucket_init() - a full bucket
 * @b:		bucket
 * @rate:	tokens a second (at most 2^63)
 * @burst:	depth (at most 2^63 - 1)
 * @now_ns:	current time
 */
static inline void tbucket_init(struct tbucket *b, uint64_t rate,
				uint64_t burst, uint64_t now_ns)
{
	b->rate = rate;
	b->burst = burst;
	b->tokens = (int64_t)burst;
	b->stamp_ns = now_ns;
}

/**
 * tbucket_refill() - add the tokens earned up to @now_ns
 * @b:		bucket
 * @now_ns:	current time
 */
static inline void tbucket_refill(struct tbucket *b, uint64_t now_ns)
{
	unsigned __int128 add;
	__int128 room;

	if (now_ns <= b->stamp_ns || !b->rate)
		return;
	add = (unsigned __int128)(now_ns - b->stamp_ns) * b->rate / TBUCKET_NS;
	room = (__int128)b->burst - b->tokens;
	if ((__int128)add >= room) {
		b->tokens = (int64_t)b->burst;
		b->stamp_ns = now_ns;
	} else if (add) {
		b->tokens += (int64_t)add;
		/* Only the time those tokens took: keep the fraction. */
		b->stamp_ns += (uint64_t)(add * TBUCKET_NS / b->rate);
	}
}

/**
 * tbucket_try() - take @n tokens if the bucket holds them
 * @b:		bucket
 * @n:		tokens
 * @now_ns:	current time
 *
 * Return: true if taken, false (nothing taken) if there are too few
 */
static inline bool tbucket_try(struct tbucket *b, uint64_t n, uint64_t now_ns)
{
	tbucket_refill(b, now_ns);
	if (b->tokens < 0 || (uint64_t)b->tokens < n)
		return false;
	b->tokens -= (int64_t)n;
	return true;
}

/**
 * tbucket_take() - take @n tokens, into debt if need be
 * @b:		bucket
 * @n:		tokens (at most 2^62)
 * @now_ns:	current time
 *
 * Return: true if the bucket is still out of debt
 */
static inline bool tbucket_take(struct tbucket *b, uint64_t n, uint64_t now_ns)
{
	tbucket_refill(b, now_ns);
	/* A debt beyond 2^62 would take centuries to pay at any rate that
	 * matters: stop there rather than wrap. */
	if (b->tokens - INT64_MIN / 2 < (int64_t)n)
		b->tokens = INT64_MIN / 2;
	else
		b->tokens -= (int64_t)n;
	return b->tokens >= 0;
}

/**
 * tbucket_ready_ns() - when the bucket is out of debt
 * @b:		bucket
 *
 * Return: CLOCK_MONOTONIC ns at which @tokens is back at 0 (later than the
 * last refill), 0 if not in debt, UINT64_MAX if never (no rate)
 */
static inline uint64_t tbucket_ready_ns(const struct tbucket *b)
{
	unsigned __int128 ns;

	if (b->tokens >= 0)
		return 0;
	if (!b->rate)
		return UINT64_MAX;
	ns = ((unsigned __int128)-(__int128)b->tokens * TBUCKET_NS + b->rate -
	      1) / b->rate + b->stamp_ns;
	return ns > UINT64_MAX ? UINT64_MAX : (uint64_t)ns;
}

#endif
