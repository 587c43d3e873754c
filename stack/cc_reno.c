// SPDX-License-Identifier: MIT
/*
 * cc_reno.c - NewReno congestion control (RFC 5681, RFC 6582)
 *
 * Slow start and congestion avoidance count bytes (RFC 5681 3.1 with the
 * appropriate byte counting of RFC 3465, L = 2 SMSS). The window on
 * entering recovery is ssthresh: TCP runs RFC 6675's pipe algorithm during
 * recovery, which replaces RFC 6582's artificial inflation by 3 SMSS.
 */

#include "cc.h"

/**
 * cc_initial_window() - IW (RFC 6928 2: min(10 MSS, max(2 MSS, 14600)))
 * @mss:	sender MSS
 *
 * Return: initial window, bytes
 */
uint32_t cc_initial_window(uint32_t mss)
{
	uint32_t hi = 2 * mss > 14600 ? 2 * mss : 14600;

	return 10 * mss < hi ? 10 * mss : hi;
}

/**
 * cc_init() - start a connection's congestion control
 * @c:		state
 * @ops:	algorithm, NULL for CUBIC
 * @mss:	sender MSS
 */
void cc_init(struct cc *c, const struct cc_ops *ops, uint32_t mss)
{
	c->ops = ops ? ops : &cc_cubic_ops;
	c->mss = mss ? mss : 536;
	c->ops->init(c);
}

/**
 * cc_restart() - the window after an idle period, for any algorithm
 * @c:		state
 * @idle_ms:	time since data was last sent, more than @rto_ms
 * @rto_ms:	the retransmission timeout
 *
 * RFC 5681 4.1: after more than an RTO without sending, the ACK clock is
 * gone and cwnd no longer tells what the path takes; a TCP SHOULD start
 * again from no more than RW = min(IW, cwnd). As Linux
 * (tcp_cwnd_restart(), RFC 2861): ssthresh keeps at least 3/4 of the old
 * window, so that slow start climbs back to it quickly, and cwnd halves
 * for each RTO of idleness, down to RW.
 */
void cc_restart(struct cc *c, uint64_t idle_ms, uint32_t rto_ms)
{
	uint32_t rw = cc_initial_window(c->mss), cwnd = c->cwnd;
	uint32_t keep = cwnd / 2 + cwnd / 4;

	if (rw > cwnd)
		rw = cwnd;
	if (c->ssthresh < keep)
		c->ssthresh = keep;
	if (!rto_ms)
		rto_ms = 1;
	while (idle_ms > rto_ms && cwnd > rw) {
		cwnd >>= 1;
		idle_ms -= rto_ms;
	}
	c->cwnd = cwnd > rw ? cwnd : rw;
}

/**
 * cc_reno_slow_start() - slow start growth (RFC 5681 3.1 eq. 2, RFC 3465)
 * @c:		state
 * @acked:	bytes newly acknowledged
 */
void cc_reno_slow_start(struct cc *c, uint32_t acked)
{
	uint32_t inc = acked < 2 * c->mss ? acked : 2 * c->mss;

	c->cwnd = c->cwnd + inc > CC_CWND_MAX || c->cwnd + inc < c->cwnd ?
			  CC_CWND_MAX : c->cwnd + inc;
}

/**
 * cc_reno_init() - initial window, ssthresh "arbitrarily high" (3.1)
 * @c:	state
 */
static void cc_reno_init(struct cc *c)
{
	c->cwnd = cc_initial_window(c->mss);
	c->ssthresh = UINT32_MAX;
	c->ca_acked = 0;
}

/**
 * cc_reno_on_ack() - slow start below ssthresh, else one SMSS per cwnd
 * @c:		state
 * @acked:	bytes newly acknowledged
 * @now_ms:	unused
 * @srtt_ms:	unused
 */
static void cc_reno_on_ack(struct cc *c, uint32_t acked, uint64_t now_ms,
			   uint32_t srtt_ms)
{
	(void)now_ms;
	(void)srtt_ms;
	if (c->cwnd < c->ssthresh) {
		cc_reno_slow_start(c, acked);
		return;
	}
	/* 3.1: cwnd += SMSS once per cwnd of acknowledged bytes */
	c->ca_acked += acked;
	if (c->ca_acked >= c->cwnd) {
		c->ca_acked -= c->cwnd;
		if (c->cwnd + c->mss <= CC_CWND_MAX)
			c->cwnd += c->mss;
	}
}

/**
 * cc_reno_ssthresh() - RFC 5681 3.1 eq. 4: max(FlightSize / 2, 2 SMSS)
 * @c:		state
 * @flight:	bytes in flight
 *
 * Return: the new ssthresh
 */
static uint32_t cc_reno_ssthresh(const struct cc *c, uint32_t flight)
{
	uint32_t h = flight / 2;

	return h > 2 * c->mss ? h : 2 * c->mss;
}

/**
 * cc_reno_on_loss() - halve on fast retransmit (RFC 5681 3.2 step 2)
 * @c:		state
 * @flight:	bytes in flight
 * @now_ms:	unused
 */
static void cc_reno_on_loss(struct cc *c, uint32_t flight, uint64_t now_ms)
{
	(void)now_ms;
	c->ssthresh = cc_reno_ssthresh(c, flight);
	c->cwnd = c->ssthresh;
	c->ca_acked = 0;
}

/**
 * cc_reno_on_exit() - deflate to ssthresh (RFC 6582 3.2 step 3)
 * @c:		state
 * @now_ms:	unused
 */
static void cc_reno_on_exit(struct cc *c, uint64_t now_ms)
{
	(void)now_ms;
	c->cwnd = c->ssthresh;
}

/**
 * cc_reno_on_rto() - loss window of one segment (RFC 5681 3.1 eq. 4)
 * @c:		state
 * @flight:	bytes in flight
 * @now_ms:	unused
 */
static void cc_reno_on_rto(struct cc *c, uint32_t flight, uint64_t now_ms)
{
	(void)now_ms;
	c->ssthresh = cc_reno_ssthresh(c, flight);
	c->cwnd = c->mss;
	c->ca_acked = 0;
}

const struct cc_ops cc_reno_ops = {
	.name = "reno",
	.init = cc_reno_init,
	.on_ack = cc_reno_on_ack,
	.on_loss = cc_reno_on_loss,
	.on_exit = cc_reno_on_exit,
	.on_rto = cc_reno_on_rto,
};
