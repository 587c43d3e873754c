// SPDX-License-Identifier: MIT
/*
 * cc_cubic.c - CUBIC congestion control (RFC 9438)
 *
 * Theory of operation: after a reduction the window follows the cubic
 * function W_cubic(t) = C (t - K)^3 + W_max (4.2), which climbs quickly
 * back towards the window W_max where loss last happened, flattens near
 * it (concave region, 4.4) and then probes beyond it (convex region, 4.5).
 * Where standard Reno would be faster, W_est, a Reno-like estimate with the
 * additive factor alpha_cubic, takes over (Reno-friendly region, 4.3).
 * Windows are computed in segments as doubles, as the RFC writes them, and
 * converted to bytes for TCP. Below ssthresh CUBIC slow-starts as Reno
 * (4.10). A reduction multiplies by beta_cubic = 0.7 (4.6), with fast
 * convergence (4.7). No libm: the cube root is a few Newton steps.
 */

#include "cc.h"

/**
 * cc_cubic_cbrt() - cube root of a non-negative number (Newton's method)
 * @x:	operand
 *
 * Return: x^(1/3), 0 for x <= 0
 */
double cc_cubic_cbrt(double x)
{
	double y = 1.0;
	int i;

	if (x <= 0)
		return 0;
	while (y * y * y < x)
		y *= 2;
	/* from above, Newton's iteration decreases monotonically */
	for (i = 0; i < 64; i++) {
		double n = (2 * y + x / (y * y)) / 3;

		if (n >= y)
			break;
		y = n;
	}
	return y;
}

/**
 * cc_cubic_load() - current window in segments, resynced if TCP changed it
 * @c:	state
 *
 * Return: cwnd in segments
 */
static double cc_cubic_load(struct cc *c)
{
	if (c->cwnd != c->cubic.cwnd_synced)
		c->cubic.cwnd_seg = (double)c->cwnd / c->mss;
	return c->cubic.cwnd_seg;
}

/**
 * cc_cubic_store() - write the window back in bytes
 * @c:		state
 * @segs:	cwnd in segments
 */
static void cc_cubic_store(struct cc *c, double segs)
{
	double b = segs * c->mss;

	if (b >= CC_CWND_MAX) {
		b = CC_CWND_MAX;
		segs = b / c->mss;
	}
	c->cubic.cwnd_seg = segs;
	c->cwnd = (uint32_t)b;
	if (c->cwnd < c->mss)
		c->cwnd = c->mss;
	c->cubic.cwnd_synced = c->cwnd;
}

/**
 * cc_cubic_init() - initial window, no epoch, W_max unknown
 * @c:	state
 */
static void cc_cubic_init(struct cc *c)
{
	c->ssthresh = UINT32_MAX;
	c->cubic.w_max = 0;
	c->cubic.w_last_max = 0;
	c->cubic.k = 0;
	c->cubic.w_est = 0;
	c->cubic.t_epoch = 0;
	c->cubic.t_last = 0;
	cc_cubic_store(c, (double)cc_initial_window(c->mss) / c->mss);
}

/**
 * cc_cubic_on_ack() - grow the window in slow start or by the cubic
 * @c:		state
 * @acked:	bytes newly acknowledged
 * @now_ms:	current time
 * @srtt_ms:	smoothed RTT (the target is W_cubic(t + RTT), 4.2)
 */
static void cc_cubic_on_ack(struct cc *c, uint32_t acked, uint64_t now_ms,
			    uint32_t srtt_ms)
{
	struct cc_cubic *s = &c->cubic;
	double cwnd, t, target, segs, w;

	if (c->cwnd < c->ssthresh) {
		/* 4.10: slow start as in RFC 5681 */
		cc_reno_slow_start(c, acked);
		cc_cubic_store(c, (double)c->cwnd / c->mss);
		return;
	}
	cwnd = cc_cubic_load(c);
	if (!s->t_epoch) {
		/* start of a congestion avoidance stage (4.2, 4.3) */
		s->t_epoch = now_ms ? now_ms : 1;
		if (cwnd < s->w_max) {
			s->k = cc_cubic_cbrt((s->w_max - cwnd) / CC_CUBIC_C);
		} else {
			/* above the last W_max: the plateau is here */
			s->k = 0;
			s->w_max = cwnd;
		}
		s->w_est = cwnd;
	} else if (now_ms - s->t_last > (uint64_t)srtt_ms + CC_CUBIC_GAP_MS) {
		/* 5.8: t MUST NOT include the time the flow was limited by
		 * the application or idle (TCP calls here only when cwnd
		 * limited it): the epoch moves by that time */
		s->t_epoch += now_ms - s->t_last;
	}
	s->t_last = now_ms;
	segs = (double)acked / c->mss;

	/* 4.3: W_est += alpha_cubic * segments_acked / cwnd */
	{
		double alpha = 3.0 * (1 - CC_CUBIC_BETA) / (1 + CC_CUBIC_BETA);

		if (s->w_est >= s->w_max)
			alpha = 1.0; /* 4.3: once W_est reaches W_max */
		s->w_est += alpha * segs / cwnd;
	}

	t = (double)(now_ms - s->t_epoch + srtt_ms) / 1000.0;
	w = (t - s->k);
	target = CC_CUBIC_C * w * w * w + s->w_max;

	if (target < s->w_est) {
		/* 4.3: Reno-friendly region */
		cwnd = s->w_est > cwnd ? s->w_est : cwnd;
	} else {
		/* 4.4, 4.5: target clamped to [cwnd, 1.5 cwnd] */
		if (target < cwnd)
			target = cwnd;
		if (target > 1.5 * cwnd)
			target = 1.5 * cwnd;
		cwnd += (target - cwnd) / cwnd * segs;
	}
	cc_cubic_store(c, cwnd);
}

/**
 * cc_cubic_reduce() - W_max, ssthresh on a congestion event (4.6, 4.7)
 * @c:	state
 *
 * Return: the reduced window, segments
 */
static double cc_cubic_reduce(struct cc *c)
{
	struct cc_cubic *s = &c->cubic;
	double cwnd = cc_cubic_load(c), red;
	double floor2 = 2.0;

	/* 4.7: fast convergence, release bandwidth to newer flows */
	if (cwnd < s->w_max)
		s->w_max = cwnd * (1 + CC_CUBIC_BETA) / 2;
	else
		s->w_max = cwnd;
	s->w_last_max = s->w_max;
	/* 4.6: ssthresh = cwnd * beta_cubic, at least 2 segments */
	red = cwnd * CC_CUBIC_BETA;
	if (red < floor2)
		red = floor2;
	c->ssthresh = red * c->mss >= CC_CWND_MAX ? CC_CWND_MAX
						  : (uint32_t)(red * c->mss);
	s->t_epoch = 0;
	return red;
}

/**
 * cc_cubic_on_loss() - multiplicative decrease by beta_cubic (4.6)
 * @c:		state
 * @flight:	unused (4.6 allows cwnd in place of the flight size)
 * @now_ms:	unused
 */
static void cc_cubic_on_loss(struct cc *c, uint32_t flight, uint64_t now_ms)
{
	(void)flight;
	(void)now_ms;
	cc_cubic_store(c, cc_cubic_reduce(c));
}

/**
 * cc_cubic_on_exit() - recovery over: continue from ssthresh
 * @c:		state
 * @now_ms:	unused
 */
static void cc_cubic_on_exit(struct cc *c, uint64_t now_ms)
{
	(void)now_ms;
	cc_cubic_store(c, (double)c->ssthresh / c->mss);
}

/**
 * cc_cubic_on_rto() - timeout: reduce as for loss, then one segment (4.8)
 * @c:		state
 * @flight:	unused
 * @now_ms:	unused
 */
static void cc_cubic_on_rto(struct cc *c, uint32_t flight, uint64_t now_ms)
{
	(void)flight;
	(void)now_ms;
	cc_cubic_reduce(c);
	cc_cubic_store(c, 1.0);
}

const struct cc_ops cc_cubic_ops = {
	.name = "cubic",
	.init = cc_cubic_init,
	.on_ack = cc_cubic_on_ack,
	.on_loss = cc_cubic_on_loss,
	.on_exit = cc_cubic_on_exit,
	.on_rto = cc_cubic_on_rto,
};
