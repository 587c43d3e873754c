/* SPDX-License-Identifier: MIT */
/*
 * tcp_priv.h - TCP internals shared by tcp.c, tcp_in.c and tcp_out.c
 *
 * Not for callers of the TCP module: use tcp.h.
 */
#ifndef VSTACK_STACK_TCP_PRIV_H
#define VSTACK_STACK_TCP_PRIV_H

#include "seq.h"
#include "tcp.h"

#define TCP_DUPTHRESH	    3		/* RFC 5681 3.2, RFC 6675 2 */
#define TCP_DEFAULT_MSS	    536		/* RFC 9293 3.7.1 (IPv4) */
#define TCP_MIN_MSS	    48		/* payload floor, whatever we are told */
#define TCP_PMTU_MIN	    552		/* path MTU floor (NETIF_PMTU_MIN) */
#define TCP_PERSIST_MIN_MS  200
#define TCP_PERSIST_MAX_MS  60000
#define TCP_ORPHAN_PROBES   8		/* zero window probes to a closed conn */
#define TCP_PAWS_IDLE_MS    (24ULL * 24 * 3600 * 1000) /* RFC 7323 5.5 */
#define TCP_CHALLENGE_MAX   10		/* per connection and second */
#define TCP_OOW_ACK_MS	    500		/* between ACKs for bare segments out
					 * of the window (Linux's
					 * tcp_invalid_ratelimit) */

/* tcp.c */
void tcp_set_state(struct tcp_conn *c, enum tcp_state st, uint64_t now_ms);
void tcp_done(struct tcp_conn *c, int err);
void tcp_finish(struct tcp_conn *c);
void tcp_enter_time_wait(struct tcp_conn *c, uint64_t now_ms);
void tcp_negotiate(struct tcp_conn *c, const struct tcp_seg *syn,
		   uint64_t now_ms);
uint8_t tcp_wscale_for(uint32_t size);
uint32_t tcp_ts_offset(const struct tcp_conn *c);

/* tcp_out.c */
void tcp_out_segment(struct tcp_conn *c, uint32_t seq, uint32_t len,
		     uint8_t flags, uint64_t now_ms);
void tcp_out_syn(struct tcp_conn *c, uint64_t now_ms);
void tcp_out_ack(struct tcp_conn *c, uint64_t now_ms);
void tcp_out_rst(struct tcp_conn *c, uint64_t now_ms);
void tcp_out_rst_reply(const struct tcp_ops *ops, void *ctx,
		       struct tcp_conn *c, const struct tcp_seg *seg);
void tcp_output(struct tcp_conn *c, uint64_t now_ms);
void tcp_out_recovery_start(struct tcp_conn *c, uint64_t now_ms);
uint32_t tcp_out_pipe(const struct tcp_conn *c);
void tcp_out_tlp(struct tcp_conn *c, uint64_t now_ms);

/* tcp_rack.c */
void tcp_rack_sent(struct tcp_conn *c, uint32_t seq, uint32_t len);
void tcp_rack_delivered(struct tcp_conn *c, uint32_t s, uint32_t e);
void tcp_rack_trim(struct tcp_conn *c);
void tcp_rack_reset(struct tcp_conn *c);
bool tcp_rack_span(const struct tcp_conn *c, uint32_t s, uint32_t e,
		   uint32_t *span_end, bool *rtx);
void tcp_rack_check(struct tcp_conn *c, uint64_t now_ms);
void tcp_rack_timer(struct tcp_conn *c, uint64_t now_ms);
void tcp_tlp_arm(struct tcp_conn *c, uint64_t now_ms);
bool tcp_out_is_lost(const struct tcp_conn *c, uint32_t seq);
void tcp_out_persist_probe(struct tcp_conn *c, uint64_t now_ms);
uint32_t tcp_out_opt_room(const struct tcp_conn *c);

/**
 * tcp_sbuf_len() - data bytes in the send ring (sent or not)
 * @c:	connection
 *
 * Return: bytes from the oldest unacknowledged data byte to snd_end
 */
static inline uint32_t tcp_sbuf_len(const struct tcp_conn *c)
{
	uint32_t first = SEQ_MAX(c->snd_una, c->iss + 1);

	return SEQ_GT(c->snd_end, first) ? c->snd_end - first : 0;
}

/**
 * tcp_rbuf_len() - in-order bytes in the receive ring not read yet
 * @c:	connection
 *
 * Return: bytes from rcv_read to rcv_nxt, the FIN not counted
 */
static inline uint32_t tcp_rbuf_len(const struct tcp_conn *c)
{
	uint32_t end = c->fin_rcvd ? c->rcv_nxt - 1 : c->rcv_nxt;

	return end - c->rcv_read;
}

/**
 * tcp_synchronized() - RFC 9293 3.3.2 "synchronized" states
 * @c:	connection
 *
 * Return: true from ESTABLISHED on (TIME-WAIT included)
 */
static inline bool tcp_synchronized(const struct tcp_conn *c)
{
	return c->state >= TCP_ESTABLISHED;
}

/**
 * tcp_fin_sent() - whether our FIN has been sent at least once
 * @c:	connection
 *
 * Return: true if the FIN's sequence number is below snd_max
 */
static inline bool tcp_fin_sent(const struct tcp_conn *c)
{
	return c->fin_queued && SEQ_GT(c->snd_max, c->snd_end);
}

/**
 * tcp_fin_acked() - whether our FIN has been acknowledged
 * @c:	connection
 *
 * Return: true if snd_una is past the FIN
 */
static inline bool tcp_fin_acked(const struct tcp_conn *c)
{
	return c->fin_queued && SEQ_GT(c->snd_una, c->snd_end);
}

#endif /* VSTACK_STACK_TCP_PRIV_H */
