// SPDX-License-Identifier: MIT
/*
 * rto.c - retransmission timeout estimation (RFC 6298)
 */

#include "rto.h"

/**
 * rto_clamp() - bound a timeout to [min, max]
 * @r:	estimator
 * @v:	timeout, ms
 *
 * Return: the bounded timeout
 */
static uint32_t rto_clamp(const struct rto *r, uint64_t v)
{
	if (v < r->min_ms)
		return r->min_ms;
	if (v > r->max_ms)
		return r->max_ms;
	return (uint32_t)v;
}

/**
 * rto_init() - reset an estimator: no sample yet, RTO = 1 s (RFC 6298 2.1)
 * @r:		estimator
 * @min_ms:	lower bound (RFC 6298 2.4 says 1 s; 0 means that)
 * @max_ms:	upper bound (0 means RTO_MAX_MS)
 */
void rto_init(struct rto *r, uint32_t min_ms, uint32_t max_ms)
{
	r->srtt8 = 0;
	r->rttvar4 = 0;
	r->min_ms = min_ms ? min_ms : RTO_MIN_MS;
	r->max_ms = max_ms ? max_ms : RTO_MAX_MS;
	if (r->max_ms < r->min_ms)
		r->max_ms = r->min_ms;
	r->shift = 0;
	r->rto_ms = RTO_INITIAL_MS;
	if (r->rto_ms < r->min_ms)
		r->rto_ms = r->min_ms;
	if (r->rto_ms > r->max_ms)
		r->rto_ms = r->max_ms;
}

/**
 * rto_sample() - feed one RTT measurement (RFC 6298 2.2, 2.3)
 * @r:		estimator
 * @rtt_ms:	measured round-trip time
 *
 * A new sample also undoes the exponential backoff (RFC 6298 5.7 lets the
 * timer be recomputed once an ACK for new data arrives).
 */
void rto_sample(struct rto *r, uint32_t rtt_ms)
{
	uint32_t var;

	if (rtt_ms > r->max_ms)
		rtt_ms = r->max_ms;
	if (!r->srtt8) {
		/* 2.2: SRTT <- R, RTTVAR <- R/2 */
		r->srtt8 = (rtt_ms << 3) | 1; /* |1: a 0 ms RTT is a sample */
		r->rttvar4 = rtt_ms << 1;
	} else {
		/* 2.3: RTTVAR <- 3/4 RTTVAR + 1/4 |SRTT - R'| ... */
		int32_t err = (int32_t)rtt_ms - (int32_t)(r->srtt8 >> 3);

		if (err < 0)
			err = -err;
		r->rttvar4 = r->rttvar4 - (r->rttvar4 >> 2) + (uint32_t)err;
		/* ... SRTT <- 7/8 SRTT + 1/8 R' */
		r->srtt8 = r->srtt8 - (r->srtt8 >> 3) + rtt_ms;
		if (!r->srtt8)
			r->srtt8 = 1;
	}
	/* RTO <- SRTT + max(G, K*RTTVAR), K = 4, G = 1 ms */
	var = r->rttvar4; /* 4 * RTTVAR == rttvar4 */
	if (var < 1)
		var = 1;
	r->rto_ms = rto_clamp(r, (uint64_t)(r->srtt8 >> 3) + var);
	r->shift = 0;
}

/**
 * rto_backoff() - double the timeout after it expired (RFC 6298 5.5)
 * @r:	estimator
 */
void rto_backoff(struct rto *r)
{
	if (r->shift < 16)
		r->shift++;
}

/**
 * rto_get() - the timeout to arm now, backoff included
 * @r:	estimator
 *
 * Return: milliseconds, within [min, max]
 */
uint32_t rto_get(const struct rto *r)
{
	return rto_clamp(r, (uint64_t)r->rto_ms << r->shift);
}

/**
 * rto_srtt() - smoothed RTT
 * @r:	estimator
 *
 * Return: milliseconds, 0 before the first sample
 */
uint32_t rto_srtt(const struct rto *r)
{
	return r->srtt8 >> 3;
}
