/* SPDX-License-Identifier: MIT */
/*
 * cc.h - congestion control behind an ops table
 *
 * TCP owns struct cc and calls the algorithm at four points: new data was
 * acknowledged outside recovery (on_ack), loss recovery starts (on_loss,
 * RFC 5681 3.2 / RFC 6675 5), recovery ends (on_exit), and the
 * retransmission timer expired (on_rto, RFC 5681 3.1 eq. 4). The algorithm
 * owns cwnd and ssthresh (bytes). Algorithms: NewReno (cc_reno.c,
 * RFC 5681 + RFC 6582) and CUBIC (cc_cubic.c, RFC 9438).
 */
#ifndef VSTACK_STACK_CC_H
#define VSTACK_STACK_CC_H

#include <stdint.h>

struct cc;

/**
 * struct cc_ops - one congestion control algorithm
 * @name:	its name ("reno", "cubic")
 * @init:	set the initial window; cwnd, ssthresh and state
 * @on_ack:	@acked new bytes were acknowledged outside recovery
 * @on_loss:	fast retransmit: loss detected with @flight bytes in flight
 * @on_exit:	the recovery point was acknowledged
 * @on_rto:	the retransmission timer expired with @flight bytes in flight
 */
struct cc_ops {
	const char *name;
	void (*init)(struct cc *c);
	void (*on_ack)(struct cc *c, uint32_t acked, uint64_t now_ms,
		       uint32_t srtt_ms);
	void (*on_loss)(struct cc *c, uint32_t flight, uint64_t now_ms);
	void (*on_exit)(struct cc *c, uint64_t now_ms);
	void (*on_rto)(struct cc *c, uint32_t flight, uint64_t now_ms);
};

/**
 * struct cc_cubic - CUBIC's state (RFC 9438 4.1), segments and seconds
 * @w_max:	window before the last reduction, segments
 * @w_last_max:	unused by the RFC text; kept for fast convergence (4.7)
 * @k:		time the cubic function takes back to @w_max, seconds
 * @w_est:	Reno-friendly estimate (4.3), segments
 * @cwnd_seg:	precise window, segments (cwnd in bytes is rounded)
 * @t_epoch:	start of the congestion avoidance epoch, ms; 0 = none
 * @cwnd_synced: cwnd in bytes that @cwnd_seg was last written as
 * @t_last:	time of the last on_ack() in the epoch, ms
 */
struct cc_cubic {
	double w_max;
	double w_last_max;
	double k;
	double w_est;
	double cwnd_seg;
	uint64_t t_epoch;
	uint32_t cwnd_synced;
	uint64_t t_last;
};

/**
 * struct cc - a connection's congestion control
 * @ops:	the algorithm
 * @mss:	sender maximum segment size, bytes
 * @cwnd:	congestion window, bytes
 * @ssthresh:	slow start threshold, bytes
 * @ca_acked:	bytes acknowledged towards the next CA increment (Reno)
 * @cubic:	CUBIC's state
 */
struct cc {
	const struct cc_ops *ops;
	uint32_t mss;
	uint32_t cwnd;
	uint32_t ssthresh;
	uint32_t ca_acked;
	struct cc_cubic cubic;
};

extern const struct cc_ops cc_reno_ops;
extern const struct cc_ops cc_cubic_ops;

#define CC_CWND_MAX	(1u << 30)	/* bytes: far above any window */
#define CC_CUBIC_C	0.4	/* RFC 9438 4.1 */
#define CC_CUBIC_BETA	0.7	/* RFC 9438 4.6 */
#define CC_CUBIC_GAP_MS	200	/* more than an RTT of this without an ACK
				 * that grows cwnd: not cwnd-limited */

void cc_init(struct cc *c, const struct cc_ops *ops, uint32_t mss);
uint32_t cc_initial_window(uint32_t mss);
void cc_restart(struct cc *c, uint64_t idle_ms, uint32_t rto_ms);
void cc_reno_slow_start(struct cc *c, uint32_t acked);
double cc_cubic_cbrt(double x);

#endif /* VSTACK_STACK_CC_H */
