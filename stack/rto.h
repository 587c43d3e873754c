/* SPDX-License-Identifier: MIT */
/*
 * rto.h - retransmission timeout estimation (RFC 6298)
 *
 * SRTT and RTTVAR are kept in milliseconds scaled by 8 and by 4, so the
 * gains 1/8 and 1/4 of RFC 6298 2.3 are shifts. Karn's algorithm (RFC 6298
 * 3) is the caller's part: it must not pass samples taken from
 * retransmitted segments unless they are timestamp echoes (RFC 7323 4).
 */
#ifndef VSTACK_STACK_RTO_H
#define VSTACK_STACK_RTO_H

#include <stdint.h>

#define RTO_INITIAL_MS 1000	/* RFC 6298 2.1 */
#define RTO_MIN_MS     1000	/* RFC 6298 2.4 ("SHOULD"); 200 is common */
#define RTO_MAX_MS     60000	/* RFC 6298 2.5 allows a cap of >= 60 s */

/**
 * struct rto - one connection's estimator
 * @srtt8:	smoothed RTT, ms << 3, 0 before the first sample
 * @rttvar4:	RTT variation, ms << 2
 * @min_ms:	lower bound of the timeout
 * @max_ms:	upper bound of the timeout, also of the backed-off one
 * @rto_ms:	current timeout, without backoff
 * @shift:	number of doublings applied since the last sample (5.5)
 */
struct rto {
	uint32_t srtt8;
	uint32_t rttvar4;
	uint32_t min_ms;
	uint32_t max_ms;
	uint32_t rto_ms;
	uint32_t shift;
};

void rto_init(struct rto *r, uint32_t min_ms, uint32_t max_ms);
void rto_sample(struct rto *r, uint32_t rtt_ms);
void rto_backoff(struct rto *r);
uint32_t rto_get(const struct rto *r);
uint32_t rto_srtt(const struct rto *r);

#endif /* VSTACK_STACK_RTO_H */
