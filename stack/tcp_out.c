// SPDX-License-Identifier: MIT
/*
 * tcp_out.c - TCP output: segments, windows, Nagle, loss recovery
 *
 * Everything TCP sends is built by tcp_out_segment(): header fields,
 * options (timestamps, SACK blocks, SYN options), the advertised window and
 * the payload as up to two references into the send ring. tcp_output()
 * decides what may be sent now:
 *
 * - outside loss recovery, new data (or data again after a timeout,
 *   go-back-N from snd_una) within min(snd_wnd, cwnd) (plus limited
 *   transmit's two segments, RFC 3042), held back by the
 *   sender's silly window avoidance and Nagle's algorithm (RFC 9293
 *   3.8.6.2.1, 3.7.4) unless TCP_NODELAY is set;
 * - in loss recovery, segments chosen by RFC 6675 NextSeg() as long as
 *   cwnd - pipe >= 1 SMSS (RFC 6675 5 step C). Without SACK the scoreboard
 *   is empty and the same code behaves as NewReno (RFC 6582): the first
 *   unacknowledged segment is resent on entry and after each partial ACK;
 * - a zero window starts the persist timer (RFC 9293 3.8.6.1).
 */

#include <string.h>

#include "tcp_priv.h"

/**
 * tcp_out_window() - window field to advertise, and note the right edge
 * @c:		connection
 * @syn:	a SYN: the field is never scaled (RFC 7323 2.2)
 *
 * Receiver silly window avoidance (RFC 9293 3.8.6.2.2): the right edge
 * only moves when it can move by min(half the ring, one MSS); it never
 * moves back (3.8.6.2.1, "shrinking the window" is discouraged).
 *
 * Return: the 16-bit window field
 */
static uint16_t tcp_out_window(struct tcp_conn *c, bool syn)
{
	uint32_t free = c->rbuf.size - (c->rcv_nxt - c->rcv_read), cur = 0;
	uint32_t step = c->rbuf.size / 2, field;
	uint8_t ws = syn ? 0 : c->rcv_wscale;

	if (c->fin_rcvd)
		free = c->rbuf.size - tcp_rbuf_len(c);
	if (free > c->rbuf.size)
		free = 0;
	if (SEQ_GT(c->rcv_adv, c->rcv_nxt))
		cur = c->rcv_adv - c->rcv_nxt;
	if (step > c->cfg.mss)
		step = c->cfg.mss;
	if (free < cur || free - cur < step)
		free = cur;
	field = free >> ws;
	if (field > 65535)
		field = 65535;
	if (SEQ_GT(c->rcv_nxt + (field << ws), c->rcv_adv))
		c->rcv_adv = c->rcv_nxt + (field << ws);
	return (uint16_t)field;
}

/**
 * tcp_out_sack() - SACK blocks to send (RFC 2018 4, RFC 2883)
 * @c:	connection
 * @o:	options to fill
 *
 * A duplicate segment just received is reported first, as a D-SACK block
 * (RFC 2883 4). Then the block holding the most recently received
 * out-of-order segment; the others follow in sequence order.
 */
static void tcp_out_sack(const struct tcp_conn *c, struct tcp_opts *o)
{
	unsigned i, n = 0;

	if (c->dsack)
		o->sack[n++] = c->dsack_blk;
	if (!c->nooo) {
		if (n) {
			o->nsack = (uint8_t)n;
			o->has |= TCP_O_SACK;
		}
		return;
	}
	o->sack[n++] = c->ooo[c->ooo_last < c->nooo ? c->ooo_last : 0];
	for (i = 0; i < c->nooo && n < TCP_SACK_BLOCKS_MAX; i++)
		if (i != c->ooo_last)
			o->sack[n++] = c->ooo[i];
	o->nsack = (uint8_t)n;
	o->has |= TCP_O_SACK;
}

/**
 * tcp_out_opt_room() - payload bytes a data segment may carry now
 * @c:	connection
 *
 * c->mss already leaves room for timestamps; SACK blocks take more.
 *
 * Return: bytes
 */
uint32_t tcp_out_opt_room(const struct tcp_conn *c)
{
	struct tcp_opts o = {0};
	size_t extra;

	if (!c->sack_on || (!c->nooo && !c->dsack))
		return c->mss;
	if (c->ts_on)
		o.has |= TCP_O_TS;
	tcp_out_sack(c, &o);
	extra = tcp_wire_opts_len(&o) - (c->ts_on ? 12 : 0);
	if (c->mss >= extra + TCP_MIN_MSS)
		return c->mss - (uint32_t)extra;
	return c->mss < TCP_MIN_MSS ? c->mss : TCP_MIN_MSS;
}

/**
 * tcp_out_segment() - build one segment and hand it to ops->output()
 * @c:		connection
 * @seq:	sequence number
 * @len:	payload bytes from the send ring at @seq
 * @flags:	TCP_F_* bits
 * @now_ms:	current time (timestamp value)
 */
void tcp_out_segment(struct tcp_conn *c, uint32_t seq, uint32_t len,
		     uint8_t flags, uint64_t now_ms)
{
	struct tcp_seg s;

	memset(&s, 0, sizeof(s));
	s.saddr = c->laddr;
	s.daddr = c->raddr;
	s.sport = c->lport;
	s.dport = c->rport;
	s.seq = seq;
	s.flags = flags;
	if (flags & TCP_F_ACK)
		s.ack = c->rcv_nxt;
	s.win = tcp_out_window(c, flags & TCP_F_SYN);

	if (flags & TCP_F_SYN) {
		/* RFC 9293 3.7.1, RFC 7323 1.3, RFC 2018 2: SYN options,
		 * on a SYN-ACK only those the peer offered */
		s.opts.has |= TCP_O_MSS;
		s.opts.mss = c->cfg.mss;
		if (c->ws_on) {
			s.opts.has |= TCP_O_WS;
			s.opts.ws = c->rcv_wscale;
		}
		if (c->sack_on)
			s.opts.has |= TCP_O_SACKOK;
	} else if (c->sack_on && (flags & TCP_F_ACK) && !(flags & TCP_F_RST)) {
		tcp_out_sack(c, &s.opts);
	}
	if (c->ts_on && !(flags & TCP_F_RST)) {
		s.opts.has |= TCP_O_TS;
		s.opts.tsval = (uint32_t)now_ms + c->ts_offset;
		/* RFC 7323 3.2: TSecr is 0 unless ACK is set */
		s.opts.tsecr = (flags & TCP_F_ACK) ? c->ts_recent : 0;
	}

	if (len) {
		uint32_t off = (seq - (c->iss + 1)) & (c->sbuf.size - 1);
		uint32_t first = c->sbuf.size - off;

		if (first > len)
			first = len;
		s.data[0].base = c->sbuf.buf + off;
		s.data[0].len = first;
		if (len > first) {
			s.data[1].base = c->sbuf.buf;
			s.data[1].len = len - first;
		}
		s.len = len;
		c->stats.bytes_out += len;
	}

	if (s.opts.has & TCP_O_SACK)
		c->dsack = false; /* reported once */
	if (flags & TCP_F_ACK) {
		c->last_ack_sent = c->rcv_nxt;
		c->ack_pending = 0;
		c->ack_now = false;
		c->t_delack = 0;
	}
	c->stats.segs_out++;
	c->ops->output(c->ctx, c, &s);
}

/**
 * tcp_out_syn() - send our SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED)
 * @c:		connection
 * @now_ms:	current time
 */
void tcp_out_syn(struct tcp_conn *c, uint64_t now_ms)
{
	uint8_t fl = TCP_F_SYN;

	if (c->state == TCP_SYN_RECEIVED)
		fl |= TCP_F_ACK;
	/* sent before: the ACK may answer either copy, so it gives no RTT
	 * sample (Karn, RFC 6298 3), whatever made us send it again */
	if (SEQ_GT(c->snd_max, c->iss))
		c->rtt_timing = false;
	tcp_out_segment(c, c->iss, 0, fl, now_ms);
}

/**
 * tcp_out_ack() - send <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> now
 * @c:		connection
 * @now_ms:	current time
 *
 * SND.NXT here is snd_max, the highest sequence number sent: after a
 * timeout snd_nxt goes back to snd_una for go-back-N, and an ACK carrying
 * that older number would fail the peer's acceptability test (it has
 * received up to snd_max), which drops the ACK it carries. Two ends that
 * both timed out would then ignore each other's ACKs for ever.
 */
void tcp_out_ack(struct tcp_conn *c, uint64_t now_ms)
{
	if (c->state == TCP_SYN_RECEIVED) {
		/* the peer has not seen our SYN acknowledged: resend it */
		tcp_out_syn(c, now_ms);
		return;
	}
	tcp_out_segment(c, c->snd_max, 0, TCP_F_ACK, now_ms);
}

/**
 * tcp_out_rst() - send <SEQ=SND.NXT><CTL=RST> on an abort (RFC 9293 3.10.4)
 * @c:		connection
 * @now_ms:	current time
 *
 * SND.NXT is snd_max, as for tcp_out_ack().
 */
void tcp_out_rst(struct tcp_conn *c, uint64_t now_ms)
{
	tcp_out_segment(c, c->snd_max, 0, TCP_F_RST | TCP_F_ACK, now_ms);
}

/**
 * tcp_out_rst_reply() - reset answering @seg (RFC 9293 3.10.7.1)
 * @ops:	output
 * @ctx:	its context
 * @c:		connection the answer is about, or NULL
 * @seg:	the offending segment, never itself a RST
 *
 * If it has ACK: <SEQ=SEG.ACK><CTL=RST>; otherwise
 * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
 */
void tcp_out_rst_reply(const struct tcp_ops *ops, void *ctx,
		       struct tcp_conn *c, const struct tcp_seg *seg)
{
	struct tcp_seg r;

	if (seg->flags & TCP_F_RST)
		return;
	memset(&r, 0, sizeof(r));
	r.saddr = seg->daddr;
	r.daddr = seg->saddr;
	r.sport = seg->dport;
	r.dport = seg->sport;
	if (seg->flags & TCP_F_ACK) {
		r.seq = seg->ack;
		r.flags = TCP_F_RST;
	} else {
		r.seq = 0;
		r.ack = seg->seq + seg->len + !!(seg->flags & TCP_F_SYN) +
			!!(seg->flags & TCP_F_FIN);
		r.flags = TCP_F_RST | TCP_F_ACK;
	}
	if (c)
		c->stats.segs_out++;
	ops->output(ctx, c, &r);
}

/**
 * tcp_out_is_lost() - RFC 6675 IsLost(SeqNum)
 * @c:		connection
 * @seq:	an unSACKed sequence number above snd_una
 *
 * Return: true if DupThresh discontiguous SACKed ranges, or more than
 * (DupThresh - 1) * SMSS SACKed bytes, lie above @seq
 */
bool tcp_out_is_lost(const struct tcp_conn *c, uint32_t seq)
{
	uint32_t bytes = 0, n = 0;
	unsigned i;

	for (i = 0; i < c->nsb; i++) {
		if (SEQ_LEQ(c->sb[i].start, seq))
			continue;
		bytes += c->sb[i].end - c->sb[i].start;
		n++;
	}
	return n >= TCP_DUPTHRESH || bytes > (TCP_DUPTHRESH - 1) * c->mss;
}

/**
 * tcp_out_pipe_sack() - SetPipe() with RACK's view of the holes
 * @c:	connection, SACK in use
 *
 * An unSACKed byte is in the network unless it is lost: an original
 * transmission RFC 6675 or RACK declared lost has left it, a
 * retransmission counts until RACK declares it lost too (tcp_rack.c).
 *
 * Return: bytes
 */
static uint32_t tcp_out_pipe_sack(const struct tcp_conn *c)
{
	uint32_t pipe = 0, start = c->snd_una;
	unsigned i;

	for (i = 0; i <= c->nsb; i++) {
		uint32_t end = i < c->nsb ? c->sb[i].start : c->snd_max;
		uint32_t s = start, span;
		bool rtx;

		while (SEQ_LT(s, end)) {
			if (!tcp_rack_span(c, s, end, &span, &rtx))
				pipe += span - s;
			s = span;
		}
		if (i < c->nsb)
			start = SEQ_MAX(start, c->sb[i].end);
	}
	return pipe;
}

/**
 * tcp_out_scan() - NextSeg() rules (1) and (3) over the holes, with SACK
 * @c:		connection
 * @lost:	rule (1): the first lost run (and, on entry to recovery,
 *		snd_una's segment whatever its state); else rule (3): the
 *		first run neither lost nor yet retransmitted below the
 *		highest SACKed byte
 * @seq:	where it starts
 * @len:	its length, at most a segment
 *
 * Return: true if there is one
 */
static bool tcp_out_scan(const struct tcp_conn *c, bool lost, uint32_t *seq,
			 uint32_t *len)
{
	uint32_t start = c->snd_una, room = tcp_out_opt_room(c);
	uint32_t hi = c->nsb ? c->sb[c->nsb - 1].end : c->snd_una;
	unsigned i;

	for (i = 0; i <= c->nsb; i++) {
		uint32_t end = i < c->nsb ? c->sb[i].start : c->snd_max;
		uint32_t s = start, span;
		bool rtx, l;

		if (!lost && !SEQ_LT(s, hi))
			break;
		while (SEQ_LT(s, end)) {
			l = tcp_rack_span(c, s, end, &span, &rtx);
			if (lost ? l || (c->rxt_first && s == c->snd_una)
				 : !l && !rtx) {
				*seq = s;
				*len = span - s < room ? span - s : room;
				return true;
			}
			s = span;
		}
		if (i < c->nsb)
			start = SEQ_MAX(start, c->sb[i].end);
	}
	return false;
}

/**
 * tcp_out_pipe() - RFC 6675 SetPipe(): bytes presumed in the network
 * @c:	connection
 *
 * With SACK, tcp_out_pipe_sack(). Without, the one hole counts, once more
 * where it was retransmitted (below HighRxt), and each duplicate ACK stands
 * for one segment that left the network (RFC 6582's inflation).
 *
 * Return: bytes
 */
uint32_t tcp_out_pipe(const struct tcp_conn *c)
{
	uint32_t pipe = 0, start = c->snd_una, above = 0, cnt = c->nsb;
	unsigned i;

	if (c->sack_on)
		return tcp_out_pipe_sack(c);
	for (i = 0; i < c->nsb; i++)
		above += c->sb[i].end - c->sb[i].start;
	for (i = 0; i <= c->nsb; i++) {
		uint32_t end = i < c->nsb ? c->sb[i].start : c->snd_max;

		if (SEQ_LT(start, end)) {
			uint32_t hole = end - start, rx = 0;
			bool lost = cnt >= TCP_DUPTHRESH ||
				    above > (TCP_DUPTHRESH - 1) * c->mss;

			if (!lost)
				pipe += hole;
			if (SEQ_GT(c->high_rxt, start))
				rx = c->high_rxt - start;
			pipe += rx < hole ? rx : hole;
		}
		if (i < c->nsb) {
			above -= c->sb[i].end - c->sb[i].start;
			cnt--;
			start = SEQ_MAX(start, c->sb[i].end);
		}
	}
	{
		uint64_t d = (uint64_t)c->dupacks * c->mss;

		pipe = d >= pipe ? 0 : pipe - (uint32_t)d;
	}
	return pipe;
}

/**
 * tcp_out_send_at() - send up to @max bytes of data from @seq, with FIN
 * @c:		connection
 * @seq:	first sequence number
 * @max:	payload limit
 * @now_ms:	current time
 *
 * The FIN goes with the last data byte, or alone at snd_end.
 *
 * Return: sequence space used (data + FIN), 0 if nothing was sent
 */
static uint32_t tcp_out_send_at(struct tcp_conn *c, uint32_t seq,
				uint32_t max, uint64_t now_ms)
{
	uint32_t avail = SEQ_GT(c->snd_end, seq) ? c->snd_end - seq : 0;
	uint32_t len = avail < max ? avail : max;
	uint8_t fl = TCP_F_ACK;

	if (c->fin_queued && len == avail && SEQ_LEQ(seq, c->snd_end) &&
	    c->state != TCP_ESTABLISHED && c->state != TCP_CLOSE_WAIT)
		fl |= TCP_F_FIN;
	if (!len && !(fl & TCP_F_FIN))
		return 0;
	if (len && len == avail)
		fl |= TCP_F_PSH;
	if (SEQ_LT(seq, c->snd_max)) {
		c->stats.rexmit_segs++;
		c->rtt_timing = false; /* Karn (RFC 6298 3) */
		if (c->sack_on)
			tcp_rack_sent(c, seq, len + !!(fl & TCP_F_FIN));
	} else if (!c->rtt_timing && !c->ts_on && len) {
		c->rtt_timing = true;
		c->rtt_seq = seq;
		c->rtt_start = now_ms;
	}
	if (len)
		c->snd_last_ms = now_ms;
	tcp_out_segment(c, seq, len, fl, now_ms);
	return len + !!(fl & TCP_F_FIN);
}

/**
 * tcp_out_advance() - account for sequence space sent at snd_nxt
 * @c:		connection
 * @used:	sequence space
 * @now_ms:	current time
 */
static void tcp_out_advance(struct tcp_conn *c, uint32_t used,
			    uint64_t now_ms)
{
	c->snd_nxt += used;
	if (SEQ_GT(c->snd_nxt, c->snd_max))
		c->snd_max = c->snd_nxt;
	/* RFC 6298 5.1: start the timer if it is not running */
	if (!c->t_rexmt && !c->persist)
		c->t_rexmt = now_ms + rto_get(&c->rto);
	if (!c->t_tlp)
		tcp_tlp_arm(c, now_ms);
}

/**
 * tcp_out_next_seg() - RFC 6675 NextSeg()
 * @c:		connection
 * @seq:	where to send from
 * @len:	how much at most
 *
 * Return: true if there is something to send
 */
static bool tcp_out_next_seg(const struct tcp_conn *c, uint32_t *seq,
			     uint32_t *len, bool *rescue)
{
	uint32_t room = tcp_out_opt_room(c), start;

	*rescue = false;
	/* (1) the first lost unSACKed run; the first hole counts as lost on
	 * entry (RFC 6675 5 step 4.2) and, without SACK, after each partial
	 * ACK (RFC 6582 3.2 step 5), from HighRxt */
	if (c->sack_on) {
		if (tcp_out_scan(c, true, seq, len))
			return true;
	} else if (c->rxt_first) {
		start = SEQ_MAX(c->snd_una, c->high_rxt);
		if (SEQ_LT(start, c->snd_max)) {
			*seq = start;
			*len = c->snd_max - start < room ? c->snd_max - start
							 : room;
			return true;
		}
	}
	/* (2) new data the receiver's window allows */
	if (SEQ_GT(c->snd_end, c->snd_nxt) ||
	    (c->fin_queued && !tcp_fin_sent(c))) {
		uint32_t wend = c->snd_una + c->snd_wnd;

		if (SEQ_GT(wend, c->snd_nxt) || !SEQ_GT(c->snd_end, c->snd_nxt)) {
			uint32_t w = SEQ_GT(wend, c->snd_nxt) ?
					     wend - c->snd_nxt : 0;

			*seq = c->snd_nxt;
			*len = w < room ? w : room;
			return true;
		}
	}
	/* (3) an unSACKed, not yet lost byte below the highest SACKed one */
	if (!c->nsb)
		return false;
	if (tcp_out_scan(c, false, seq, len))
		return true;
	/* (4) once per recovery, a rescue retransmission of the highest
	 * unSACKed data, so that a lost tail does not wait for the RTO */
	start = c->sb[c->nsb - 1].end;
	if (!c->rescue_done && SEQ_LT(start, c->snd_max)) {
		uint32_t end = tcp_fin_sent(c) ? c->snd_end : c->snd_max;
		uint32_t n = SEQ_GT(end, start) ? end - start : 0;

		if (n > room)
			n = room;
		*seq = end - n;
		*len = n;
		*rescue = true;
		return true;
	}
	return false;
}

/**
 * tcp_out_recovery() - send what RFC 6675 allows during loss recovery
 * @c:		connection
 * @force:	send one segment regardless of pipe (entry, step 4.2)
 * @now_ms:	current time
 */
static void tcp_out_recovery(struct tcp_conn *c, bool force, uint64_t now_ms)
{
	unsigned guard;

	for (guard = 0; guard < 1024; guard++) {
		uint32_t seq, len, used;
		bool rescue;

		/* RFC 6582 3.2 step 5: the partial-ACK retransmission goes
		 * regardless of the window */
		if (!force && !c->rxt_first &&
		    tcp_out_pipe(c) + c->mss > c->cc.cwnd)
			break;
		if (!tcp_out_next_seg(c, &seq, &len, &rescue))
			break;
		used = tcp_out_send_at(c, seq, len, now_ms);
		if (!used)
			break;
		force = false;
		if (seq == c->snd_una)
			c->rxt_first = false;
		if (rescue) {
			/* rule (4): HighRxt is not moved */
			c->rescue_done = true;
		} else if (SEQ_LT(seq, c->snd_max)) {
			if (SEQ_GT(seq + used, c->high_rxt))
				c->high_rxt = seq + used;
			if (!c->t_rexmt)
				c->t_rexmt = now_ms + rto_get(&c->rto);
		} else {
			tcp_out_advance(c, used, now_ms);
		}
	}
}

/**
 * tcp_out_recovery_start() - fast retransmit (RFC 6675 5 step 4)
 * @c:		connection
 * @now_ms:	current time
 */
void tcp_out_recovery_start(struct tcp_conn *c, uint64_t now_ms)
{
	c->in_recovery = true;
	c->recover = c->snd_max;
	c->high_rxt = c->snd_una;
	c->rxt_first = true;
	c->rescue_done = !c->sack_on; /* rule (4) is SACK's */
	c->stats.fast_rexmits++;
	c->cc.ops->on_loss(&c->cc, c->snd_max - c->snd_una, now_ms);
	tcp_out_recovery(c, true, now_ms);
}

/**
 * tcp_out_tlp() - the probe timeout expired: send a tail loss probe
 * @c:		connection
 * @now_ms:	current time
 *
 * RFC 8985 7.3: new data if the windows allow one segment of it, else the
 * last segment sent, again. Its ACK, with a SACK for the probe, shows the
 * loss of whatever went before it to RACK. cwnd is left alone; the
 * retransmission timer runs on (7.3: rearm the RTO).
 */
void tcp_out_tlp(struct tcp_conn *c, uint64_t now_ms)
{
	uint32_t room = tcp_out_opt_room(c), end, n, used = 0;
	uint32_t wnd = c->snd_wnd < c->cc.cwnd ? c->snd_wnd : c->cc.cwnd;

	c->t_tlp = 0;
	if (!c->sack_on || c->in_recovery || c->persist || c->tlp_out ||
	    c->snd_una == c->snd_max || !tcp_synchronized(c))
		return;
	c->stats.tlp_probes++;
	if (c->snd_nxt == c->snd_max && SEQ_GT(c->snd_end, c->snd_nxt) &&
	    c->snd_max - c->snd_una + room <= wnd) {
		used = tcp_out_send_at(c, c->snd_nxt, room, now_ms);
		if (used)
			tcp_out_advance(c, used, now_ms);
	}
	if (!used) {
		end = tcp_fin_sent(c) ? c->snd_end : c->snd_max;
		n = SEQ_GT(end, c->snd_una) ? end - c->snd_una : 0;
		if (n > room)
			n = room;
		tcp_out_send_at(c, end - n, n, now_ms);
	}
	c->tlp_out = true;
	c->tlp_end = c->snd_max;
	c->t_tlp = 0;
	if (!c->t_rexmt)
		c->t_rexmt = now_ms + rto_get(&c->rto);
}

/**
 * tcp_out_persist_ival() - the persist timeout: RTO, backed off
 * @c:	connection
 *
 * Return: milliseconds, within [TCP_PERSIST_MIN_MS, TCP_PERSIST_MAX_MS]
 */
static uint32_t tcp_out_persist_ival(const struct tcp_conn *c)
{
	uint64_t t = rto_get(&c->rto);

	if (t < TCP_PERSIST_MIN_MS)
		t = TCP_PERSIST_MIN_MS;
	if (c->persist_shift >= 16)
		return TCP_PERSIST_MAX_MS;
	t <<= c->persist_shift;
	return t > TCP_PERSIST_MAX_MS ? TCP_PERSIST_MAX_MS : (uint32_t)t;
}

/**
 * tcp_out_persist_probe() - zero window probe (RFC 9293 3.8.6.1)
 * @c:		connection
 * @now_ms:	current time
 *
 * One byte beyond the window (or the FIN); the receiver answers with an
 * ACK carrying its current window. Probing goes on, backing off, for as
 * long as the receiver answers (RFC 1122 4.2.2.17).
 */
void tcp_out_persist_probe(struct tcp_conn *c, uint64_t now_ms)
{
	uint32_t used, room = tcp_out_opt_room(c);

	c->stats.persist_probes++;
	if (c->snd_wnd && c->snd_nxt == c->snd_una) {
		/* a window too small for SWS avoidance: use it anyway */
		c->persist = false;
		c->t_persist = 0;
		used = tcp_out_send_at(c, c->snd_nxt,
				       c->snd_wnd < room ? c->snd_wnd : room,
				       now_ms);
		tcp_out_advance(c, used, now_ms);
		return;
	}
	used = tcp_out_send_at(c, c->snd_una, 1, now_ms);
	if (used && SEQ_LT(c->snd_nxt, c->snd_una + used)) {
		c->snd_nxt = c->snd_una + used;
		if (SEQ_GT(c->snd_nxt, c->snd_max))
			c->snd_max = c->snd_nxt;
	}
	if (c->persist_shift < 16)
		c->persist_shift++;
	c->t_persist = now_ms + tcp_out_persist_ival(c);
}

/**
 * tcp_output() - send whatever the windows, Nagle and recovery allow
 * @c:		connection
 * @now_ms:	current time
 *
 * Ends with a pure ACK if one is owed and no segment carried it.
 */
void tcp_output(struct tcp_conn *c, uint64_t now_ms)
{
	bool can_data = c->state == TCP_ESTABLISHED ||
			c->state == TCP_CLOSE_WAIT ||
			c->state == TCP_FIN_WAIT_1 || c->state == TCP_CLOSING ||
			c->state == TCP_LAST_ACK;
	unsigned guard;

	if (c->state == TCP_CLOSED || c->state == TCP_LISTEN ||
	    c->state == TCP_SYN_SENT)
		return;
	if (can_data && c->persist) {
		uint32_t avail = SEQ_GT(c->snd_end, c->snd_nxt) ?
					 c->snd_end - c->snd_nxt : 0;
		uint32_t room = tcp_out_opt_room(c);

		/* a small window that now takes all the data, or a full
		 * segment, ends persisting; otherwise the timer decides */
		if (!c->snd_wnd || !avail ||
		    c->snd_wnd < (avail < room ? avail : room))
			goto ack;
		c->persist = false;
		c->t_persist = 0;
		if (c->snd_una != c->snd_max && !c->t_rexmt)
			c->t_rexmt = now_ms + rto_get(&c->rto);
	}
	if (can_data && c->in_recovery) {
		tcp_out_recovery(c, false, now_ms);
		goto persist;
	}
	/* RFC 5681 4.1: idle (nothing in flight) for longer than the RTO,
	 * data to send: restart from a small window (cc_restart()) */
	if (can_data && c->snd_last_ms && c->snd_una == c->snd_max &&
	    SEQ_GT(c->snd_end, c->snd_nxt) &&
	    now_ms - c->snd_last_ms > rto_get(&c->rto)) {
		cc_restart(&c->cc, now_ms - c->snd_last_ms, rto_get(&c->rto));
		c->snd_last_ms = now_ms;
	}
	for (guard = 0; can_data && guard < 4096; guard++) {
		/* RFC 3042 limited transmit: each of the first two dupacks
		 * lets one new segment out beyond cwnd */
		uint32_t cwnd = c->cc.cwnd + (c->dupacks < 2 ? c->dupacks : 2) *
						    c->mss;
		uint32_t win = c->snd_wnd < cwnd ? c->snd_wnd : cwnd;
		uint32_t flight = c->snd_nxt - c->snd_una;
		uint32_t usable = win > flight ? win - flight : 0;
		uint32_t avail = SEQ_GT(c->snd_end, c->snd_nxt) ?
					 c->snd_end - c->snd_nxt : 0;
		uint32_t room = tcp_out_opt_room(c), len, used;
		bool fin = c->fin_queued && SEQ_LEQ(c->snd_nxt, c->snd_end);
		bool rexmit = SEQ_LT(c->snd_nxt, c->snd_max);

		/* after a timeout snd_wnd may be below what was in flight */
		if (rexmit && usable == 0 && c->snd_wnd &&
		    c->snd_nxt == c->snd_una)
			usable = c->mss;
		len = avail < room ? avail : room;
		if (len > usable)
			len = usable;
		if (!len && !(fin && !avail))
			break;
		/* RFC 9293 3.8.6.2.1 sender SWS avoidance, 3.7.4 Nagle:
		 * a short segment goes only if it is all there is and either
		 * nothing is outstanding or Nagle is off, or it fills half
		 * the largest window seen */
		if (len && len < room && !rexmit) {
			bool all = len == avail;
			bool idle = c->snd_nxt == c->snd_una;

			if (!(all && (idle || c->cfg.nodelay)) &&
			    len < c->max_snd_wnd / 2)
				break;
		}
		used = tcp_out_send_at(c, c->snd_nxt, len, now_ms);
		if (!used)
			break;
		tcp_out_advance(c, used, now_ms);
		if (!SEQ_LEQ(c->snd_nxt, c->snd_end))
			break; /* FIN sent */
	}
persist:
	/* RFC 9293 3.8.6.1 and 3.8.6.2.1 (d): data waits, nothing is in
	 * flight to bring an ACK, and the window is closed or too small for
	 * the silly window rules: the persist timer probes or overrides */
	if (can_data && !c->persist && !c->in_recovery &&
	    c->snd_nxt == c->snd_una && !c->t_rexmt &&
	    (SEQ_GT(c->snd_end, c->snd_nxt) ||
	     (c->fin_queued && !tcp_fin_sent(c)))) {
		c->persist = true;
		c->persist_shift = 0;
		c->n_probe = 0;
		c->t_persist = now_ms + tcp_out_persist_ival(c);
	}
ack:
	if (c->ack_now)
		tcp_out_ack(c, now_ms);
}
