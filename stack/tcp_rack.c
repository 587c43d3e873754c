// SPDX-License-Identifier: MIT
/*
 * tcp_rack.c - RACK-TLP loss detection (RFC 8985) for SACK connections
 *
 * RFC 6675 marks a hole lost only when DupThresh segments were SACKed
 * above it. That never happens for a lost retransmission or a lost tail,
 * and each of those costs a retransmission timeout (200 ms or more, on
 * paths whose RTT is tens of microseconds). RACK instead marks lost what
 * was sent before data that has since been delivered; TLP sends a probe
 * when the ACKs stop, so that a lost tail is reported by a SACK.
 *
 * RACK orders segments by their send time. This sender's clock has
 * milliseconds, too coarse for this, so the order is kept exactly instead:
 * - original transmissions go out in sequence order, so of two of them the
 *   lower was sent first;
 * - retransmissions are logged (struct tcp_rtx: the range, snd_max when it
 *   was sent, and a running count), so a retransmission came after every
 *   original transmission below its snd_max and before every one above.
 * The send order of any byte is then the key (m, n): (end of its segment,
 * 0) for an original transmission, (snd_max then, count) for a
 * retransmission, compared in that order. RACK.xmit_ts becomes the
 * highest key among data delivered (RFC 8985 6.2 step 2), and a byte not
 * yet delivered is lost when its key is below it (6.2 step 5).
 *
 * The reordering window (6.2 step 4) is kept where it matters: outside
 * recovery a RACK-lost hole starts recovery only after a quarter of the
 * smoothed RTT (at least 1 ms, t_rack), unless RFC 6675's DupThresh says
 * so at once; in recovery the window is zero, as RFC 8985 6.2 step 4
 * sets it when no reordering was seen.
 *
 * When the log is full the oldest entry is forgotten; its bytes then look
 * like original transmissions, which at worst resends them once more.
 */

#include "tcp_priv.h"

#define TCP_TLP_EXTRA_MS  2   /* RFC 8985 7.2: PTO = 2 SRTT + a little */
#define TCP_TLP_DELACK_MS 200 /* 7.2: WCDelAckT when one segment is out */

/**
 * tcp_rack_key_lt() - whether send key (am, an) comes before (bm, bn)
 * @am:	first key's sequence part
 * @an:	its count part
 * @bm:	second key's sequence part
 * @bn:	its count part
 *
 * Return: true if the first was sent before the second
 */
static bool tcp_rack_key_lt(uint32_t am, uint32_t an, uint32_t bm, uint32_t bn)
{
	return SEQ_LT(am, bm) || (am == bm && an < bn);
}

/**
 * tcp_rack_find() - the logged retransmission holding @seq
 * @c:		connection
 * @seq:	sequence number
 *
 * Return: its index, or -1
 */
static int tcp_rack_find(const struct tcp_conn *c, uint32_t seq)
{
	unsigned i;

	for (i = 0; i < c->nrtx; i++)
		if (SEQ_LEQ(c->rtx[i].start, seq) && SEQ_LT(seq, c->rtx[i].end))
			return (int)i;
	return -1;
}

/**
 * tcp_rack_drop() - forget log entry @i
 * @c:	connection
 * @i:	index
 */
static void tcp_rack_drop(struct tcp_conn *c, unsigned i)
{
	c->rtx[i] = c->rtx[--c->nrtx];
}

/**
 * tcp_rack_push() - add an entry, forgetting the oldest if the log is full
 * @c:	connection
 * @e:	entry
 */
static void tcp_rack_push(struct tcp_conn *c, const struct tcp_rtx *e)
{
	unsigned i, old = 0;

	if (c->nrtx == TCP_RTX_MAX) {
		for (i = 1; i < c->nrtx; i++)
			if (c->rtx[i].n < c->rtx[old].n)
				old = i;
		tcp_rack_drop(c, old);
	}
	c->rtx[c->nrtx++] = *e;
}

/**
 * tcp_rack_sent() - log a retransmission of [@seq, @seq + @len)
 * @c:		connection (SACK in use)
 * @seq:	first byte, below snd_max
 * @len:	sequence space sent
 *
 * Older entries lose the bytes sent again. A retransmission that follows
 * the previous one in both sequence and send order extends it.
 */
void tcp_rack_sent(struct tcp_conn *c, uint32_t seq, uint32_t len)
{
	uint32_t end = seq + len, n = ++c->rtx_n;
	struct tcp_rtx add = {seq, end, c->snd_max, n}, tail;
	bool split = false;
	unsigned i = 0;

	if (!len)
		return;
	/* older entries lose [seq, end); at most one holds it strictly
	 * inside (entries are disjoint): its tail is added after the scan,
	 * which an addition may reorder */
	while (i < c->nrtx) {
		struct tcp_rtx *e = &c->rtx[i];

		if (!SEQ_LT(e->start, end) || !SEQ_LT(seq, e->end)) {
			i++;
		} else if (SEQ_GEQ(e->start, seq) && SEQ_LEQ(e->end, end)) {
			tcp_rack_drop(c, i);
		} else if (SEQ_LT(e->start, seq) && SEQ_GT(e->end, end)) {
			tail = *e;
			tail.start = end;
			e->end = seq;
			split = true;
			i++;
		} else {
			if (SEQ_LT(e->start, seq))
				e->end = seq;
			else
				e->start = end;
			i++;
		}
	}
	if (split)
		tcp_rack_push(c, &tail);
	/* the previous retransmission, just before in sequence: extend it */
	for (i = 0; i < c->nrtx; i++) {
		struct tcp_rtx *e = &c->rtx[i];

		if (e->end == seq && e->n == n - 1 && e->smax == c->snd_max) {
			e->end = end;
			e->n = n;
			return;
		}
	}
	tcp_rack_push(c, &add);
}

/**
 * tcp_rack_delivered() - RFC 8985 6.2 step 2 for [@s, @e), now delivered
 * @c:	connection
 * @s:	first byte (cumulatively or selectively acknowledged)
 * @e:	one past the last
 */
void tcp_rack_delivered(struct tcp_conn *c, uint32_t s, uint32_t e)
{
	uint32_t m = 0, n = 0;
	bool have = false;
	unsigned i;

	if (!SEQ_LT(s, e))
		return;
	for (i = 0; i < c->nrtx; i++) {
		const struct tcp_rtx *r = &c->rtx[i];

		if (!SEQ_LT(r->start, e) || !SEQ_LT(s, r->end))
			continue;
		if (!have || tcp_rack_key_lt(m, n, r->smax, r->n)) {
			m = r->smax;
			n = r->n;
			have = true;
		}
	}
	/* the last byte as an original transmission: (e, 0) */
	if (tcp_rack_find(c, e - 1) < 0 &&
	    (!have || tcp_rack_key_lt(m, n, e, 0))) {
		m = e;
		n = 0;
		have = true;
	}
	if (!c->rack_valid || tcp_rack_key_lt(c->rack_m, c->rack_n, m, n)) {
		c->rack_m = m;
		c->rack_n = n;
		c->rack_valid = true;
	}
}

/**
 * tcp_rack_trim() - forget what lies below snd_una
 * @c:	connection
 */
void tcp_rack_trim(struct tcp_conn *c)
{
	unsigned i = 0;

	while (i < c->nrtx) {
		struct tcp_rtx *e = &c->rtx[i];

		if (SEQ_LEQ(e->end, c->snd_una)) {
			tcp_rack_drop(c, i);
			continue;
		}
		if (SEQ_LT(e->start, c->snd_una))
			e->start = c->snd_una;
		i++;
	}
	if (c->tlp_out && SEQ_GEQ(c->snd_una, c->tlp_end))
		c->tlp_out = false; /* RFC 8985 7.4: the episode is over */
}

/**
 * tcp_rack_reset() - after a timeout: everything is sent anew
 * @c:	connection
 */
void tcp_rack_reset(struct tcp_conn *c)
{
	c->nrtx = 0;
	c->rack_valid = false;
	c->tlp_out = false;
	c->t_tlp = 0;
	c->t_rack = 0;
}

/**
 * tcp_rack_span() - loss state of the hole bytes from @s
 * @c:		connection (SACK in use)
 * @s:		an unSACKed byte in [snd_una, snd_max)
 * @e:		end of its hole
 * @span_end:	set to the end of the run of bytes from @s in the same state
 *		(and, for retransmitted bytes, the same log entry)
 * @rtx:	set to whether those bytes were retransmitted
 *
 * Lost: RACK says so (sent before the latest delivered data), or, for
 * bytes only sent once, RFC 6675 IsLost() does.
 *
 * Return: true if the run is lost
 */
bool tcp_rack_span(const struct tcp_conn *c, uint32_t s, uint32_t e,
		   uint32_t *span_end, bool *rtx)
{
	int k = tcp_rack_find(c, s);
	unsigned i;

	if (k >= 0) {
		const struct tcp_rtx *r = &c->rtx[k];

		*span_end = SEQ_LT(r->end, e) ? r->end : e;
		*rtx = true;
		return c->rack_valid &&
		       tcp_rack_key_lt(r->smax, r->n, c->rack_m, c->rack_n);
	}
	*span_end = e;
	*rtx = false;
	for (i = 0; i < c->nrtx; i++)
		if (SEQ_GT(c->rtx[i].start, s) &&
		    SEQ_LT(c->rtx[i].start, *span_end))
			*span_end = c->rtx[i].start;
	if (tcp_out_is_lost(c, s))
		return true;
	if (!c->rack_valid || !SEQ_LT(s, c->rack_m))
		return false;
	if (SEQ_LT(c->rack_m, *span_end))
		*span_end = c->rack_m;
	return true;
}

/**
 * tcp_rack_una_lost() - whether snd_una's segment is lost, RACK's way
 * @c:	connection
 *
 * Return: true if snd_una is unSACKed and sent before delivered data
 */
static bool tcp_rack_una_lost(const struct tcp_conn *c)
{
	uint32_t end = c->nsb ? c->sb[0].start : c->snd_max, span;
	bool rtx;

	if (!SEQ_LT(c->snd_una, end))
		return false;
	return tcp_rack_span(c, c->snd_una, end, &span, &rtx);
}

/**
 * tcp_rack_check() - after an ACK outside recovery: a loss RACK sees
 * @c:		connection
 * @now_ms:	current time
 *
 * Starts recovery at once when RFC 6675 would, else after the reordering
 * window (t_rack, tcp_rack_timer()).
 */
void tcp_rack_check(struct tcp_conn *c, uint64_t now_ms)
{
	uint32_t w;

	if (!c->sack_on || c->in_recovery || c->persist ||
	    c->snd_una == c->snd_max || !tcp_rack_una_lost(c)) {
		c->t_rack = 0;
		return;
	}
	if (tcp_out_is_lost(c, c->snd_una)) {
		tcp_out_recovery_start(c, now_ms);
		return;
	}
	if (c->t_rack)
		return;
	w = rto_srtt(&c->rto) / 4;
	c->t_rack = now_ms + (w ? w : 1);
}

/**
 * tcp_rack_timer() - the reordering window passed (RFC 8985 6.3)
 * @c:		connection
 * @now_ms:	current time
 */
void tcp_rack_timer(struct tcp_conn *c, uint64_t now_ms)
{
	c->t_rack = 0;
	if (!c->in_recovery && c->sack_on && !c->persist &&
	    c->snd_una != c->snd_max && SEQ_GEQ(c->snd_una, c->recover) &&
	    tcp_rack_una_lost(c))
		tcp_out_recovery_start(c, now_ms);
}

/**
 * tcp_tlp_arm() - schedule a tail loss probe (RFC 8985 7.2)
 * @c:		connection
 * @now_ms:	current time
 *
 * Only with SACK, outside recovery, with data in flight and no probe
 * outstanding; never later than the retransmission timer.
 */
void tcp_tlp_arm(struct tcp_conn *c, uint64_t now_ms)
{
	/* 7.2: 2 SRTT, or TCP_RTO_INIT while there is no RTT sample (the
	 * handshake gave none when a SYN was sent again) */
	uint64_t pto = c->rto.srtt8 ? 2ULL * rto_srtt(&c->rto) +
					      TCP_TLP_EXTRA_MS
				    : RTO_INITIAL_MS;

	c->t_tlp = 0;
	if (!c->sack_on || c->in_recovery || c->persist || c->tlp_out ||
	    c->snd_una == c->snd_max || !tcp_synchronized(c))
		return;
	if (c->snd_max - c->snd_una <= c->mss)
		pto += TCP_TLP_DELACK_MS;
	if (c->t_rexmt && now_ms + pto >= c->t_rexmt)
		return;
	c->t_tlp = now_ms + pto;
}
