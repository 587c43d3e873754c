// SPDX-License-Identifier: MIT
/*
 * tcp_in.c - TCP input: RFC 9293 3.10.7 "SEGMENT ARRIVES"
 *
 * The steps follow the RFC's order for synchronized states: PAWS
 * (RFC 7323 5.3), the acceptability test and trimming to the window, RST
 * (with RFC 5961 3.2's exact-match rule and challenge ACKs), SYN (RFC 5961
 * 4: a challenge ACK), ACK (RFC 5961 5.2's range check, RTT, congestion
 * control, SACK scoreboard, dupacks and recovery, window update), data
 * (in order into the receive ring, out of order into the ring at its
 * place with its range remembered for SACK), FIN.
 *
 * The receive ring doubles as the out-of-order queue: a segment beyond a
 * hole is copied to where it belongs and its range is kept in c->ooo
 * (at most TCP_OOO_MAX ranges; a segment that would need one more is
 * dropped, which only costs a retransmission). When the hole fills, the
 * ranges that became contiguous are consumed by moving rcv_nxt.
 */

#include <errno.h>
#include <string.h>

#include "tcp_priv.h"

/**
 * tcp_in_copy() - copy payload bytes of @seg into the receive ring
 * @c:		connection
 * @seg:	segment
 * @off:	first payload byte to copy
 * @seq:	its sequence number
 * @len:	bytes
 */
static void tcp_in_copy(struct tcp_conn *c, const struct tcp_seg *seg,
			uint32_t off, uint32_t seq, uint32_t len)
{
	uint32_t mask = c->rbuf.size - 1, pos = seq - (c->irs + 1);
	unsigned i;

	for (i = 0; i < 2 && len; i++) {
		const struct tcp_iov *v = &seg->data[i];
		size_t n;

		if (off >= v->len) {
			off -= (uint32_t)v->len;
			continue;
		}
		n = v->len - off;
		if (n > len)
			n = len;
		while (n) {
			uint32_t idx = pos & mask, chunk = c->rbuf.size - idx;

			if (chunk > n)
				chunk = (uint32_t)n;
			memcpy(c->rbuf.buf + idx, v->base + off, chunk);
			pos += chunk;
			off += chunk;
			len -= chunk;
			n -= chunk;
		}
		off = 0;
	}
}

/**
 * tcp_in_ooo_insert() - remember [@s, @e) as received out of order
 * @c:	connection
 * @s:	first sequence number
 * @e:	one past the last
 *
 * Ranges stay sorted and disjoint; overlapping or touching ones merge.
 *
 * Return: true if recorded, false if it would need too many ranges
 */
static bool tcp_in_ooo_insert(struct tcp_conn *c, uint32_t s, uint32_t e)
{
	unsigned i, j, n = c->nooo;

	for (i = 0; i < n; i++)
		if (SEQ_LEQ(s, c->ooo[i].end))
			break;
	/* i: first range that could touch [s, e) */
	if (i < n && SEQ_LEQ(c->ooo[i].start, e)) {
		c->ooo[i].start = SEQ_MIN(c->ooo[i].start, s);
		c->ooo[i].end = SEQ_MAX(c->ooo[i].end, e);
		/* swallow followers now covered */
		for (j = i + 1; j < n && SEQ_LEQ(c->ooo[j].start, c->ooo[i].end);
		     j++)
			c->ooo[i].end = SEQ_MAX(c->ooo[i].end, c->ooo[j].end);
		if (j > i + 1) {
			memmove(&c->ooo[i + 1], &c->ooo[j],
				(n - j) * sizeof(c->ooo[0]));
			c->nooo = (uint8_t)(n - (j - i - 1));
		}
		c->ooo_last = (uint8_t)i;
		return true;
	}
	if (n == TCP_OOO_MAX)
		return false;
	memmove(&c->ooo[i + 1], &c->ooo[i], (n - i) * sizeof(c->ooo[0]));
	c->ooo[i].start = s;
	c->ooo[i].end = e;
	c->nooo++;
	c->ooo_last = (uint8_t)i;
	return true;
}

/**
 * tcp_in_fin() - the peer's FIN is next in sequence: consume it
 * @c:		connection
 * @now_ms:	current time
 *
 * RFC 9293 3.10.7.4, eighth step.
 */
static void tcp_in_fin(struct tcp_conn *c, uint64_t now_ms)
{
	c->rcv_nxt++;
	c->fin_rcvd = true;
	c->fin_ooo = false;
	c->nooo = 0; /* nothing follows a FIN: ranges beyond it are void */
	c->ack_now = true;
	c->events |= TCP_EV_READABLE;
	switch (c->state) {
	case TCP_SYN_RECEIVED:
	case TCP_ESTABLISHED:
		c->state = TCP_CLOSE_WAIT;
		break;
	case TCP_FIN_WAIT_1:
		if (tcp_fin_acked(c))
			tcp_enter_time_wait(c, now_ms);
		else
			c->state = TCP_CLOSING;
		break;
	case TCP_FIN_WAIT_2:
		tcp_enter_time_wait(c, now_ms);
		break;
	default:
		break;
	}
}

/**
 * tcp_in_data() - seventh and eighth steps: segment text and FIN
 * @c:		connection
 * @seg:	segment
 * @off:	payload bytes trimmed from its front
 * @seq:	sequence number of the first byte kept
 * @len:	bytes kept
 * @fin:	the FIN (after those bytes) is inside the window
 * @now_ms:	current time
 */
static void tcp_in_data(struct tcp_conn *c, const struct tcp_seg *seg,
			uint32_t off, uint32_t seq, uint32_t len, bool fin,
			uint64_t now_ms)
{
	uint32_t ring_end = c->rcv_read + c->rbuf.size;

	if (c->fin_rcvd)
		return; /* nothing after a FIN */
	if (len && c->user_closed) {
		/* RFC 2525 2.17: new data for a closed application is
		 * answered with a reset, not left to fill the window */
		tcp_out_rst(c, now_ms);
		tcp_done(c, -ECONNRESET);
		return;
	}
	if (SEQ_GT(seq + len, ring_end)) {
		len = SEQ_GT(ring_end, seq) ? ring_end - seq : 0;
		fin = false;
	}
	if (len && seq == c->rcv_nxt) {
		uint8_t before = c->nooo;

		tcp_in_copy(c, seg, off, seq, len);
		c->rcv_nxt += len;
		c->stats.bytes_in += len;
		/* consume out-of-order ranges that became contiguous */
		while (c->nooo && SEQ_LEQ(c->ooo[0].start, c->rcv_nxt)) {
			c->rcv_nxt = SEQ_MAX(c->rcv_nxt, c->ooo[0].end);
			memmove(&c->ooo[0], &c->ooo[1],
				(c->nooo - 1) * sizeof(c->ooo[0]));
			c->nooo--;
		}
		c->ooo_last = 0;
		/* RFC 5681 4.2: ACK at once when a hole was filled */
		if (before)
			c->ack_now = true;
		c->events |= TCP_EV_READABLE;
		/* RFC 9293 3.8.6.3, RFC 1122 4.2.3.2: an ACK for at least
		 * every second full-sized segment, else within delack_ms */
		c->ack_pending += len;
		if (c->ack_pending >= 2 * c->mss || !c->cfg.delack_ms)
			c->ack_now = true;
		else if (!c->t_delack)
			c->t_delack = now_ms + c->cfg.delack_ms;
	} else if (len) {
		/* out of order: keep it in place, ACK at once with SACK
		 * (RFC 5681 4.2, RFC 2018 4) */
		c->stats.ooo_segs++;
		c->ack_now = true;
		if (tcp_in_ooo_insert(c, seq, seq + len))
			tcp_in_copy(c, seg, off, seq, len);
		else {
			c->stats.ooo_drops++;
			fin = false;
		}
	}
	if (fin) {
		c->fin_ooo = true;
		c->fin_seq = seq + len;
	}
	if (c->fin_ooo && c->fin_seq == c->rcv_nxt)
		tcp_in_fin(c, now_ms);
}

/**
 * tcp_in_sack() - merge the SACK blocks of an ACK into the scoreboard
 * @c:		connection
 * @seg:	segment
 *
 * Blocks outside (snd_una, snd_max] are ignored (RFC 2018 8 leaves a
 * sender free to, and they may be forged). When the scoreboard is full
 * the highest range is forgotten: less information, never wrong.
 *
 * Return: true if the scoreboard learnt something new
 */
static bool tcp_in_sack(struct tcp_conn *c, const struct tcp_seg *seg)
{
	bool news = false;
	unsigned k;

	if (!c->sack_on || !(seg->opts.has & TCP_O_SACK))
		return false;
	for (k = 0; k < seg->opts.nsack; k++) {
		uint32_t s = seg->opts.sack[k].start, e = seg->opts.sack[k].end;
		unsigned i, j, n = c->nsb;

		if (!SEQ_LT(s, e) || SEQ_LEQ(e, c->snd_una) ||
		    SEQ_GT(e, c->snd_max) || SEQ_LT(s, c->snd_una))
			continue;
		tcp_rack_delivered(c, s, e);
		for (i = 0; i < n; i++)
			if (SEQ_LEQ(s, c->sb[i].end))
				break;
		if (i < n && SEQ_LEQ(c->sb[i].start, e)) {
			if (SEQ_LT(s, c->sb[i].start) ||
			    SEQ_GT(e, c->sb[i].end))
				news = true;
			c->sb[i].start = SEQ_MIN(c->sb[i].start, s);
			c->sb[i].end = SEQ_MAX(c->sb[i].end, e);
			for (j = i + 1;
			     j < n && SEQ_LEQ(c->sb[j].start, c->sb[i].end); j++)
				c->sb[i].end = SEQ_MAX(c->sb[i].end, c->sb[j].end);
			if (j > i + 1) {
				memmove(&c->sb[i + 1], &c->sb[j],
					(n - j) * sizeof(c->sb[0]));
				c->nsb = (uint8_t)(n - (j - i - 1));
			}
			continue;
		}
		news = true;
		if (n == TCP_SB_MAX) {
			if (i == n)
				continue;
			n--; /* forget the highest range */
		}
		memmove(&c->sb[i + 1], &c->sb[i], (n - i) * sizeof(c->sb[0]));
		c->sb[i].start = s;
		c->sb[i].end = e;
		c->nsb = (uint8_t)(n + 1);
	}
	return news;
}

/**
 * tcp_in_sb_trim() - drop scoreboard ranges now below snd_una
 * @c:	connection
 */
static void tcp_in_sb_trim(struct tcp_conn *c)
{
	unsigned i = 0, k;

	while (i < c->nsb && SEQ_LEQ(c->sb[i].end, c->snd_una))
		i++;
	if (i) {
		for (k = i; k < c->nsb; k++)
			c->sb[k - i] = c->sb[k];
		c->nsb = (uint8_t)(c->nsb - i);
	}
	if (c->nsb && SEQ_LT(c->sb[0].start, c->snd_una))
		c->sb[0].start = c->snd_una;
}

/**
 * tcp_in_challenge() - owe a challenge ACK, within the rate limit
 * @c:		connection
 * @now_ms:	current time
 *
 * RFC 5961 7: challenge ACKs are throttled so that forged segments cannot
 * turn the connection into an ACK generator.
 */
static void tcp_in_challenge(struct tcp_conn *c, uint64_t now_ms)
{
	c->stats.challenge_acks++;
	if (now_ms - c->chal_epoch >= 1000) {
		c->chal_epoch = now_ms;
		c->chal_count = 0;
	}
	if (c->chal_count < TCP_CHALLENGE_MAX) {
		c->chal_count++;
		c->ack_now = true;
	}
}

/**
 * tcp_in_dupack() - owe an ACK for a segment refused as out of the window
 *		     or as an old duplicate (PAWS)
 * @c:		connection
 * @seg_len:	its length, SYN and FIN included
 * @now_ms:	current time
 *
 * One carrying data (or FIN) is always answered: the sender is
 * retransmitting and needs to hear where we are. A bare ACK is answered
 * at most every TCP_OOW_ACK_MS, as by Linux: two ends that disagree on
 * the sequence space, or a forger, would otherwise have ACKs answer ACKs
 * without end. A keepalive probe (bare, one below RCV.NXT) gets its
 * answer.
 */
static void tcp_in_dupack(struct tcp_conn *c, uint32_t seg_len,
			  uint64_t now_ms)
{
	/* oow_ack_ms holds the time + 1: 0 is never */
	if (!seg_len) {
		if (c->oow_ack_ms &&
		    (uint32_t)now_ms + 1 - c->oow_ack_ms < TCP_OOW_ACK_MS)
			return;
		c->oow_ack_ms = (uint32_t)now_ms + 1;
	}
	c->ack_now = true;
}

/**
 * tcp_in_dsack() - remember duplicate data to report (RFC 2883)
 * @c:		connection
 * @s:		first duplicate sequence number
 * @e:		one past the last
 */
static void tcp_in_dsack(struct tcp_conn *c, uint32_t s, uint32_t e)
{
	if (!c->sack_on || !SEQ_LT(s, e))
		return;
	c->dsack = true;
	c->dsack_blk.start = s;
	c->dsack_blk.end = e;
}

/**
 * tcp_in_rtt() - take an RTT sample from an ACK of new data
 * @c:		connection
 * @seg:	segment
 * @ack:	its acknowledgment number
 * @now_ms:	current time
 *
 * With timestamps, RTTM (RFC 7323 4.1): now - TSecr, valid even for
 * retransmitted data. Without, one timed segment at a time, never a
 * retransmitted one (Karn, RFC 6298 3).
 */
static void tcp_in_rtt(struct tcp_conn *c, const struct tcp_seg *seg,
		       uint32_t ack, uint64_t now_ms)
{
	if (c->ts_on && (seg->opts.has & TCP_O_TS) && seg->opts.tsecr) {
		uint32_t rtt = (uint32_t)now_ms + c->ts_offset - seg->opts.tsecr;

		if ((int32_t)rtt >= 0 && rtt <= c->rto.max_ms)
			rto_sample(&c->rto, rtt);
		return;
	}
	if (c->rtt_timing && SEQ_GT(ack, c->rtt_seq)) {
		rto_sample(&c->rto, (uint32_t)(now_ms - c->rtt_start));
		c->rtt_timing = false;
	}
}

/**
 * tcp_in_dupthresh() - duplicate ACKs that start loss recovery
 * @c:	connection
 *
 * RFC 5827 (early retransmit): with fewer than four segments outstanding
 * and no new segment that may be sent, three duplicate ACKs can never
 * come and only the retransmission timer would notice the loss; the
 * threshold is then the outstanding segments minus one (section 2.1).
 *
 * Return: the threshold in force
 */
static uint32_t tcp_in_dupthresh(const struct tcp_conn *c)
{
	uint32_t out = c->snd_max - c->snd_una, oseg, wnd;

	if (!c->mss)
		return TCP_DUPTHRESH;
	oseg = (out + c->mss - 1) / c->mss;
	if (oseg < 2 || oseg >= TCP_DUPTHRESH + 1)
		return TCP_DUPTHRESH;
	/* new data that may be sent: queued and inside both windows */
	wnd = c->snd_wnd < c->cc.cwnd ? c->snd_wnd : c->cc.cwnd;
	if (SEQ_LT(c->snd_max, c->snd_end) && out + c->mss <= wnd)
		return TCP_DUPTHRESH;
	return oseg - 1;
}

/**
 * tcp_in_ack() - fifth step: the ACK field (RFC 9293 3.10.7.4)
 * @c:		connection in a synchronized state
 * @seg:	segment
 * @now_ms:	current time
 *
 * Return: 0 to go on with the segment, -1 to drop it (an ACK may be owed)
 */
static int tcp_in_ack(struct tcp_conn *c, const struct tcp_seg *seg,
		      uint64_t now_ms)
{
	uint32_t ack = seg->ack, wnd = (uint32_t)seg->win << c->snd_wscale;
	bool news;

	/* RFC 5961 5.2: acceptable iff SND.UNA - MAX.SND.WND <= SEG.ACK
	 * <= SND.NXT (our snd_max); otherwise ACK and drop */
	if (SEQ_GT(ack, c->snd_max)) {
		/* a challenge ACK, throttled as the others (section 7): two
		 * ends that disagree on what was sent would otherwise answer
		 * each other's ACKs for ever */
		c->stats.bad_acks++;
		tcp_in_challenge(c, now_ms);
		return -1;
	}
	if (SEQ_LT(ack, c->snd_una - c->max_snd_wnd)) {
		tcp_in_challenge(c, now_ms);
		return -1;
	}
	c->n_probe = 0; /* the peer answers, if with a shut window */
	news = tcp_in_sack(c, seg);

	if (SEQ_GT(ack, c->snd_una)) {
		uint32_t acked = ack - c->snd_una, data = acked;
		uint32_t flight = c->snd_max - c->snd_una;

		if (c->snd_una == c->iss)
			data--; /* our SYN */
		if (c->fin_queued && SEQ_GT(ack, c->snd_end))
			data--; /* our FIN */
		tcp_in_rtt(c, seg, ack, now_ms);
		c->n_rexmt = 0;
		if (c->sack_on)
			tcp_rack_delivered(c, c->snd_una, ack);
		c->snd_una = ack;
		if (SEQ_LT(c->snd_nxt, c->snd_una))
			c->snd_nxt = c->snd_una;
		tcp_in_sb_trim(c);
		tcp_rack_trim(c);
		if (c->in_recovery) {
			if (SEQ_GEQ(ack, c->recover)) {
				/* RFC 6675 5 / RFC 6582 3.2 step 3 */
				c->in_recovery = false;
				c->rxt_first = false;
				c->dupacks = 0;
				c->cc.ops->on_exit(&c->cc, now_ms);
			} else {
				/* partial ACK (RFC 6582 3.2 step 5): without
				 * SACK, resend the next segment at once */
				c->dupacks = 0;
				if (!c->sack_on)
					c->rxt_first = true;
			}
		} else {
			c->dupacks = 0;
			/* grow cwnd only if it was what limited the sender
			 * (RFC 9438 5.8, RFC 7661): a window the receiver or
			 * the application never let us fill says nothing */
			if (data && flight + 2 * c->mss >= c->cc.cwnd)
				c->cc.ops->on_ack(&c->cc, data, now_ms,
						  rto_srtt(&c->rto));
		}
		/* RFC 6298 5.2, 5.3 */
		if (c->snd_una == c->snd_max)
			c->t_rexmt = 0;
		else if (!c->persist)
			c->t_rexmt = now_ms + rto_get(&c->rto);
		tcp_tlp_arm(c, now_ms); /* RFC 8985 7.2: on each ACK */
		if (data)
			c->events |= TCP_EV_WRITABLE;
	} else if (ack == c->snd_una && c->snd_max != c->snd_una &&
		   ((!seg->len && !(seg->flags & (TCP_F_SYN | TCP_F_FIN)) &&
		     wnd == c->snd_wnd) ||
		    news)) {
		/* RFC 5681 2 duplicate ACK; RFC 6675 counts ACKs that
		 * bring new SACK information */
		c->dupacks++;
		c->stats.dup_acks++;
		if (!c->in_recovery && !c->persist &&
		    SEQ_GEQ(c->snd_una, c->recover) &&
		    (c->dupacks >= tcp_in_dupthresh(c) ||
		     (c->sack_on && tcp_out_is_lost(c, c->snd_una))))
			tcp_out_recovery_start(c, now_ms);
	}
	/* RFC 8985 6.2: a hole sent before data now delivered */
	if (c->sack_on && !c->in_recovery && SEQ_GEQ(c->snd_una, c->recover))
		tcp_rack_check(c, now_ms);

	/* window update (RFC 9293 3.10.7.4): only from a newer segment */
	if (SEQ_LT(c->snd_wl1, seg->seq) ||
	    (c->snd_wl1 == seg->seq && SEQ_LEQ(c->snd_wl2, ack))) {
		c->snd_wnd = wnd;
		c->snd_wl1 = seg->seq;
		c->snd_wl2 = ack;
		if (wnd > c->max_snd_wnd)
			c->max_snd_wnd = wnd;
		if (wnd && c->persist) {
			/* the window opened: resume normal sending */
			c->persist = false;
			c->t_persist = 0;
			c->persist_shift = 0;
			if (c->snd_una != c->snd_max)
				c->t_rexmt = now_ms + rto_get(&c->rto);
		}
	}

	/* our FIN acknowledged */
	if (tcp_fin_acked(c)) {
		switch (c->state) {
		case TCP_FIN_WAIT_1:
			c->state = TCP_FIN_WAIT_2;
			/* nobody will read: do not wait for ever for a FIN
			 * that may never come (as most stacks do; RFC 9293
			 * sets no limit) */
			if (c->user_closed && !c->t_2msl)
				c->t_2msl = now_ms + 2ULL * c->cfg.msl_ms;
			break;
		case TCP_CLOSING:
			tcp_enter_time_wait(c, now_ms);
			break;
		case TCP_LAST_ACK:
			tcp_done(c, 0);
			return -1;
		default:
			break;
		}
	}
	return 0;
}

/**
 * tcp_in_listen() - a segment for a listener (RFC 9293 3.10.7.2)
 * @lc:		listener
 * @seg:	segment
 * @now_ms:	current time
 */
static void tcp_in_listen(struct tcp_conn *lc, const struct tcp_seg *seg,
			  uint64_t now_ms)
{
	struct tcp_conn *c;
	uint32_t iss = 0;

	if (seg->flags & TCP_F_RST)
		return;
	if (seg->flags & TCP_F_ACK) {
		tcp_out_rst_reply(lc->ops, lc->ctx, lc, seg);
		return;
	}
	if (!(seg->flags & TCP_F_SYN))
		return;
	/* Either queue full (tcp_synq_leave()): the peer retries its SYN.
	 * A caller with SYN cookies answers instead when only the half-open
	 * queue is full (tcp_listen_synq_full()), and replays the SYN of a
	 * returning cookie with synq_exempt set: that connection completes
	 * at once and needs room among the established ones only. */
	if (lc->qlen - lc->qsyn >= lc->cfg.backlog ||
	    (lc->qsyn >= lc->cfg.backlog && !lc->synq_exempt)) {
		lc->stats.backlog_drops++;
		return;
	}
	if (!lc->ops->accept_alloc)
		return;
	c = lc->ops->accept_alloc(lc->ctx, lc, seg, &iss);
	if (!c)
		return;
	if (!c->sbuf.size || !c->rbuf.size || c->state != TCP_CLOSED) {
		c->user_closed = true;
		c->released = true;
		if (c->ops->release)
			c->ops->release(c->ctx, c);
		return;
	}
	c->listener = lc;
	c->passive = true;
	c->child_prev = NULL;
	c->child_next = lc->children;
	if (lc->children)
		lc->children->child_prev = c;
	lc->children = c;
	lc->qlen++;
	lc->qsyn++;
	c->in_synq = true;

	c->laddr = seg->daddr;
	c->lport = seg->dport;
	c->raddr = seg->saddr;
	c->rport = seg->sport;
	c->iss = iss;
	c->snd_una = iss;
	c->snd_end = iss + 1;
	c->recover = iss;
	c->high_rxt = iss;
	c->ts_offset = tcp_ts_offset(c);
	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1;
	c->rcv_read = c->rcv_nxt;
	c->rcv_adv = c->rcv_nxt;
	rto_init(&c->rto, c->cfg.rto_min_ms, c->cfg.rto_max_ms);
	tcp_negotiate(c, seg, now_ms);
	cc_init(&c->cc, c->cfg.cc, c->mss);
	c->state = TCP_SYN_RECEIVED;
	/* data on the SYN is not kept; the peer sends it again (3.10.7.2
	 * allows queueing it, nothing requires it) */
	c->depth++;
	tcp_out_syn(c, now_ms);
	c->depth--;
	c->snd_nxt = c->snd_max = iss + 1;
	c->t_rexmt = now_ms + rto_get(&c->rto);
	c->rtt_timing = true;
	c->rtt_seq = iss;
	c->rtt_start = now_ms;
	tcp_finish(c);
}

/**
 * tcp_in_syn_sent() - a segment in SYN-SENT (RFC 9293 3.10.7.3)
 * @c:		connection
 * @seg:	segment
 * @now_ms:	current time
 */
static void tcp_in_syn_sent(struct tcp_conn *c, const struct tcp_seg *seg,
			    uint64_t now_ms)
{
	bool ack_ok = false;

	if (seg->flags & TCP_F_ACK) {
		if (SEQ_LEQ(seg->ack, c->iss) || SEQ_GT(seg->ack, c->snd_max)) {
			tcp_out_rst_reply(c->ops, c->ctx, c, seg);
			return;
		}
		ack_ok = true;
	}
	if (seg->flags & TCP_F_RST) {
		/* RFC 5961 3.2 / RFC 9293: only with an acceptable ACK */
		if (ack_ok)
			tcp_done(c, -ECONNREFUSED);
		return;
	}
	if (!(seg->flags & TCP_F_SYN))
		return;
	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1;
	c->rcv_read = c->rcv_nxt;
	c->rcv_adv = c->rcv_nxt;
	tcp_negotiate(c, seg, now_ms);
	if (!c->ws_on)
		c->rcv_wscale = 0;
	c->cc.mss = c->mss;
	c->cc.ops->init(&c->cc);
	if (ack_ok) {
		c->snd_una = seg->ack;
		tcp_in_rtt(c, seg, seg->ack, now_ms);
		/* RFC 5681 3.1, RFC 6928 2: our SYN was lost, the initial
		 * window is one segment */
		if (c->n_rexmt)
			c->cc.cwnd = c->cc.mss;
		c->n_rexmt = 0;
		c->t_rexmt = 0;
		tcp_set_state(c, TCP_ESTABLISHED, now_ms);
		c->ack_now = true;
		tcp_output(c, now_ms);
		return;
	}
	/* simultaneous open: SYN-RECEIVED, our SYN again with an ACK */
	c->state = TCP_SYN_RECEIVED;
	tcp_out_syn(c, now_ms);
}

/**
 * tcp_in_acceptable() - the segment acceptability test (RFC 9293 3.10.7.4)
 * @c:		connection
 * @seq:	SEG.SEQ
 * @seg_len:	SEG.LEN (SYN and FIN included)
 * @wnd:	RCV.WND
 *
 * Return: true if some of the segment lies in the window
 */
static bool tcp_in_acceptable(const struct tcp_conn *c, uint32_t seq,
			      uint32_t seg_len, uint32_t wnd)
{
	uint32_t lo = c->rcv_nxt, hi = c->rcv_nxt + wnd;

	/* a zero-length segment may sit right at the window's edge: a
	 * sender that filled the window ACKs with SEQ = RCV.NXT + RCV.WND
	 * (RFC 9293 writes "<"; nothing is lost by accepting it) */
	if (!seg_len)
		return wnd ? SEQ_LEQ(lo, seq) && SEQ_LEQ(seq, hi) : seq == lo;
	if (!wnd)
		return false;
	return seq_in(seq, lo, hi) || seq_in(seq + seg_len - 1, lo, hi);
}

/**
 * tcp_in_sync() - a segment in SYN-RECEIVED or a synchronized state
 * @c:		connection
 * @seg:	segment
 * @now_ms:	current time
 */
static void tcp_in_sync(struct tcp_conn *c, const struct tcp_seg *seg,
			uint64_t now_ms)
{
	uint32_t seg_len = seg->len + !!(seg->flags & TCP_F_SYN) +
			   !!(seg->flags & TCP_F_FIN);
	uint32_t wnd = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt
						       : 0;
	uint32_t seq = seg->seq, off = 0, len = seg->len;
	bool fin = seg->flags & TCP_F_FIN, has_ts = seg->opts.has & TCP_O_TS;
	bool stale = false; /* an old duplicate, kept for its ACK field */
	uint8_t flags = seg->flags;

	/* a retransmitted SYN: our SYN-ACK got lost, send it again */
	if (c->state == TCP_SYN_RECEIVED && (seg->flags & TCP_F_SYN) &&
	    !(seg->flags & (TCP_F_ACK | TCP_F_RST)) && seg->seq == c->irs) {
		tcp_out_syn(c, now_ms);
		return;
	}
	/* simultaneous open (RFC 9293 3.5 figure 7): the peer's SYN-ACK
	 * repeats the SYN we have; what counts is the ACK it carries, so
	 * the SYN is trimmed off as a duplicate byte would be */
	if (c->state == TCP_SYN_RECEIVED && (flags & TCP_F_SYN) &&
	    (flags & TCP_F_ACK) && seq == c->irs) {
		flags &= (uint8_t)~TCP_F_SYN;
		seq++;
		seg_len--;
	}

	/* RFC 7323 3.2: with timestamps on, a non-RST segment without one
	 * is dropped */
	if (c->ts_on && !has_ts && !(flags & TCP_F_RST) &&
	    tcp_synchronized(c))
		return;
	/* RFC 7323 5.3 PAWS: an old timestamp means an old duplicate */
	if (c->ts_on && has_ts && !(flags & TCP_F_RST) &&
	    SEQ_LT(seg->opts.tsval, c->ts_recent) &&
	    now_ms - c->ts_recent_age < TCP_PAWS_IDLE_MS) {
		c->stats.paws_drops++;
		tcp_in_dupack(c, seg_len, now_ms);
		return;
	}

	/* first: sequence number */
	if (!tcp_in_acceptable(c, seq, seg_len, wnd)) {
		/* a zero window still takes ACKs and RSTs at RCV.NXT */
		if (!wnd && seq == c->rcv_nxt) {
			if (len || fin)
				c->ack_now = true; /* refused: say so */
			len = 0;
			fin = false;
		} else {
			bool old = SEQ_LEQ(seq + seg_len, c->rcv_nxt);

			c->stats.unacceptable++;
			if (flags & TCP_F_RST)
				return;
			c->stats.dup_segs++;
			tcp_in_dupack(c, seg_len, now_ms);
			if (len && old)
				tcp_in_dsack(c, seq, seq + len);
			/* a resent FIN in TIME-WAIT restarts 2 MSL: the one
			 * taken (its number is RCV.NXT - 1), not a FIN anywhere
			 * else, which anyone knowing the 4-tuple could send to
			 * keep the connection (and an orphan's rings) for ever */
			if (c->state == TCP_TIME_WAIT && fin &&
			    seq + seg_len == c->rcv_nxt)
				tcp_enter_time_wait(c, now_ms);
			/* An old duplicate is ACKed, and (as BSD-derived
			 * stacks do) its ACK field is still used: a sender
			 * that went back to SND.UNA after a timeout sends
			 * ACKs whose SEQ we passed, and ignoring them could
			 * leave two such ends deaf to each other. RFC 5961
			 * 5.2 still bounds which ACKs count. Anything else
			 * out of window is dropped (RFC 9293 3.10.7.4). */
			if (!old || (flags & TCP_F_SYN) || !(flags & TCP_F_ACK) ||
			    c->state == TCP_SYN_RECEIVED)
				return;
			stale = true;
			seq = c->rcv_nxt;
			len = 0;
			fin = false;
		}
	}

	/* second: RST (RFC 5961 3.2) */
	if (flags & TCP_F_RST) {
		if (seq != c->rcv_nxt) {
			tcp_in_challenge(c, now_ms);
			return;
		}
		switch (c->state) {
		case TCP_SYN_RECEIVED:
			/* passive: back to LISTEN, i.e. the child goes;
			 * active (simultaneous open): refused */
			tcp_done(c, c->passive ? 0 : -ECONNREFUSED);
			break;
		case TCP_CLOSING:
		case TCP_LAST_ACK:
		case TCP_TIME_WAIT:
			tcp_done(c, 0);
			break;
		default:
			tcp_done(c, -ECONNRESET);
			break;
		}
		return;
	}

	/* fourth: SYN (RFC 5961 4: always a challenge ACK) */
	if (flags & TCP_F_SYN) {
		if (c->state == TCP_SYN_RECEIVED && c->passive) {
			tcp_done(c, 0); /* RFC 9293: back to LISTEN */
			return;
		}
		tcp_in_challenge(c, now_ms);
		return;
	}

	/* fifth: ACK */
	if (!(flags & TCP_F_ACK))
		return;
	if (c->state == TCP_SYN_RECEIVED) {
		if (!SEQ_GT(seg->ack, c->snd_una) ||
		    SEQ_GT(seg->ack, c->snd_max)) {
			tcp_out_rst_reply(c->ops, c->ctx, c, seg);
			return;
		}
		c->snd_wnd = (uint32_t)seg->win << c->snd_wscale;
		c->max_snd_wnd = c->snd_wnd;
		c->snd_wl1 = seg->seq;
		c->snd_wl2 = seg->ack;
		/* RFC 5681 3.1, RFC 6928 2: the SYN-ACK (or, in a
		 * simultaneous open, the SYN) was lost: one segment */
		if (c->n_rexmt)
			c->cc.cwnd = c->cc.mss;
		c->n_rexmt = 0;
		tcp_set_state(c, TCP_ESTABLISHED, now_ms);
	}

	if (tcp_in_ack(c, seg, now_ms))
		return;
	/* RFC 9293 3.8.4: the peer answered; only a segment that passed the
	 * sequence and ACK checks says so (anything else is dropped, and may
	 * be forged: it must not keep a dead connection alive) */
	if (c->cfg.keepalive && c->state != TCP_CLOSED &&
	    c->state != TCP_TIME_WAIT) {
		c->t_keep = now_ms + c->cfg.keep_idle_ms;
		c->n_keep = 0;
	}

	/* RFC 7323 4.3: TS.Recent from a segment that covers Last.ACK.sent,
	 * once it has passed the window and ACK checks (RFC 7323 5.3 R3,
	 * RFC 5961): never from an old duplicate, whose SEQ an off-path
	 * sender can pick from half the space, nor from an unacceptable ACK */
	if (c->ts_on && has_ts && !stale && SEQ_LEQ(seq, c->last_ack_sent) &&
	    SEQ_GEQ(seg->opts.tsval, c->ts_recent)) {
		c->ts_recent = seg->opts.tsval;
		c->ts_recent_age = now_ms;
	}
	if (c->state == TCP_TIME_WAIT) {
		if (fin) {
			c->ack_now = true;
			tcp_enter_time_wait(c, now_ms);
		}
		return;
	}

	/* trim to the window: what precedes RCV.NXT, what exceeds it */
	if (SEQ_LT(seq, c->rcv_nxt)) {
		uint32_t d = c->rcv_nxt - seq;

		tcp_in_dsack(c, seq, seq + (d < len ? d : len));
		if (d >= len) {
			off = len;
			len = 0;
			if (SEQ_LT(seg->seq + seg->len, c->rcv_nxt))
				fin = false;
		} else {
			off = d;
			len -= d;
		}
		seq = c->rcv_nxt;
		c->ack_now = true; /* partly duplicate: tell the sender */
	}
	wnd = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	if (SEQ_GT(seq + len, c->rcv_nxt + wnd)) {
		len = SEQ_GT(c->rcv_nxt + wnd, seq) ? c->rcv_nxt + wnd - seq : 0;
		fin = false;
	}

	/* seventh and eighth: text and FIN, in the states that take them */
	switch (c->state) {
	case TCP_ESTABLISHED:
	case TCP_FIN_WAIT_1:
	case TCP_FIN_WAIT_2:
		tcp_in_data(c, seg, off, seq, len, fin, now_ms);
		break;
	default:
		break;
	}
}

/**
 * tcp_input() - process one segment for @c (RFC 9293 3.10.7)
 * @c:		the connection or listener the caller's lookup found
 * @seg:	parsed segment (addresses included)
 * @now_ms:	current time
 */
void tcp_input(struct tcp_conn *c, const struct tcp_seg *seg, uint64_t now_ms)
{
	struct tcp_conn *lc = c->listener;

	if (c->released)
		return;
	/* the payload must be what the segment says it is */
	if (seg->len != seg->data[0].len + seg->data[1].len ||
	    (seg->len && !seg->data[0].base && seg->data[0].len) ||
	    (seg->data[1].len && !seg->data[1].base))
		return;
	/* the caller's lookup must have matched the 4-tuple */
	if (c->state != TCP_LISTEN && c->state != TCP_CLOSED &&
	    (seg->sport != c->rport || seg->dport != c->lport ||
	     seg->saddr != c->raddr || seg->daddr != c->laddr))
		return;
	c->depth++;
	c->stats.segs_in++;
	switch (c->state) {
	case TCP_CLOSED:
		tcp_out_rst_reply(c->ops, c->ctx, c, seg);
		break;
	case TCP_LISTEN:
		tcp_in_listen(c, seg, now_ms);
		break;
	case TCP_SYN_SENT:
		tcp_in_syn_sent(c, seg, now_ms);
		break;
	default:
		tcp_in_sync(c, seg, now_ms);
		if (c->state != TCP_CLOSED)
			tcp_output(c, now_ms);
		break;
	}
	c->depth--;
	tcp_finish(c);
	if (lc)
		tcp_finish(lc);
}

/**
 * tcp_input_nomatch() - a segment for no connection (RFC 9293 3.10.7.1)
 * @ops:	output callback
 * @ctx:	its context
 * @seg:	the segment
 *
 * Answered with a reset unless it is one.
 */
void tcp_input_nomatch(const struct tcp_ops *ops, void *ctx,
		       const struct tcp_seg *seg)
{
	tcp_out_rst_reply(ops, ctx, NULL, seg);
}
