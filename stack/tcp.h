/* SPDX-License-Identifier: MIT */
/*
 * tcp.h - the TCP engine: connection control blocks and their state machine
 *
 * This is the public interface of TCP as a pure module: no threads, no
 * sockets, no clock of its own. The caller (the IP layer, a worker, a test)
 *
 * - owns the storage of every struct tcp_conn and of its two byte rings
 *   (tcp_conn_init()); TCP allocates nothing;
 * - finds the connection a segment belongs to (its own table, keyed by the
 *   4-tuple) and passes the parsed segment to tcp_input(), or to
 *   tcp_input_nomatch() when no connection or listener matches;
 * - gets segments to send through ops->output(), with the payload as
 *   references into the connection's send ring (valid during the call);
 * - gets events (connected, readable, writable, closed, reset, accept)
 *   through ops->event();
 * - asks tcp_next_deadline() when the connection next needs the clock and
 *   calls tcp_timer() at or after that time;
 * - gets a connection back through ops->release() once TCP will not touch
 *   it again: after tcp_close() and the end of the connection, or for a
 *   connection a listener created and nobody accepted.
 *
 * Times are milliseconds from any fixed origin (now_ms never goes back).
 * Sequence numbers are compared with seq.h only.
 */
#ifndef VSTACK_STACK_TCP_H
#define VSTACK_STACK_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cc.h"
#include "rto.h"
#include "tcp_wire.h"

/* RFC 9293 3.3.2 */
enum tcp_state {
	TCP_CLOSED = 0,
	TCP_LISTEN,
	TCP_SYN_SENT,
	TCP_SYN_RECEIVED,
	TCP_ESTABLISHED,
	TCP_FIN_WAIT_1,
	TCP_FIN_WAIT_2,
	TCP_CLOSE_WAIT,
	TCP_CLOSING,
	TCP_LAST_ACK,
	TCP_TIME_WAIT,
	TCP_STATE__COUNT
};

/* Events, ORed together in one ops->event() call */
#define TCP_EV_CONNECTED 0x01	/* reached ESTABLISHED */
#define TCP_EV_READABLE	 0x02	/* new bytes to read, or end of stream */
#define TCP_EV_WRITABLE	 0x04	/* room in the send ring again */
#define TCP_EV_CLOSED	 0x08	/* reached CLOSED in an orderly way */
#define TCP_EV_RESET	 0x10	/* aborted: see tcp_conn.err */
#define TCP_EV_ACCEPT	 0x20	/* listener: tcp_accept() has a connection */

#define TCP_OOO_MAX 8		/* out-of-order ranges kept by a receiver */
#define TCP_SB_MAX  16		/* SACKed ranges kept by a sender */
#define TCP_RTX_MAX 16		/* retransmissions RACK remembers */

struct tcp_conn;

/**
 * struct tcp_ops - what TCP calls back
 * @output:	send @seg (@c is NULL for a reset answering no connection)
 * @event:	TCP_EV_* bits happened on @c
 * @accept_alloc: a SYN reached listener @lc: return a connection made with
 *		tcp_conn_init() (buffers attached) and set *@iss, or NULL to
 *		refuse; the caller also enters it in its lookup table
 * @release:	TCP is done with @c: its storage and rings are the caller's
 */
struct tcp_ops {
	void (*output)(void *ctx, struct tcp_conn *c,
		       const struct tcp_seg *seg);
	void (*event)(void *ctx, struct tcp_conn *c, unsigned ev);
	struct tcp_conn *(*accept_alloc)(void *ctx, struct tcp_conn *lc,
					 const struct tcp_seg *syn,
					 uint32_t *iss);
	void (*release)(void *ctx, struct tcp_conn *c);
};

/**
 * struct tcp_cfg - per-connection settings (a listener passes its own on)
 * @mss:		MSS we announce (link MTU - 40 for IPv4)
 * @use_ws:		offer window scaling (RFC 7323 2)
 * @use_ts:		offer timestamps (RFC 7323 3)
 * @use_sack:		offer SACK (RFC 2018)
 * @nodelay:		disable Nagle's algorithm (TCP_NODELAY)
 * @keepalive:		send keepalive probes (RFC 9293 3.8.4)
 * @backlog:		listener: connections not yet accepted, at most
 * @rto_min_ms:		RTO lower bound (RFC 6298 2.4; 0 = 1000)
 * @rto_max_ms:		RTO upper bound (0 = 60000)
 * @delack_ms:		delayed ACK timeout (RFC 9293 3.8.6.3: < 0.5 s)
 * @msl_ms:		maximum segment lifetime; TIME-WAIT lasts 2 MSL
 * @syn_retries:	SYN or SYN-ACK retransmissions before giving up
 * @max_retries:	data retransmissions before giving up (R2)
 * @keep_idle_ms:	idle time before the first keepalive probe
 * @keep_intvl_ms:	time between probes
 * @keep_cnt:		unanswered probes before the connection is dropped
 * @cc:			congestion control, NULL for CUBIC
 * @ts_key:		secret for the timestamp clock offsets (RFC 7323
 *			7.1), random per endpoint
 */
struct tcp_cfg {
	uint16_t mss;
	bool use_ws;
	bool use_ts;
	bool use_sack;
	bool nodelay;
	bool keepalive;
	uint16_t backlog;
	uint32_t rto_min_ms;
	uint32_t rto_max_ms;
	uint32_t delack_ms;
	uint32_t msl_ms;
	uint32_t syn_retries;
	uint32_t max_retries;
	uint32_t keep_idle_ms;
	uint32_t keep_intvl_ms;
	uint32_t keep_cnt;
	const struct cc_ops *cc;
	uint64_t ts_key;
};

/**
 * struct tcp_ring - a byte ring supplied by the caller
 * @buf:	storage
 * @size:	bytes, a power of two
 *
 * Positions in the ring are sequence numbers: byte s of the stream lives
 * at buf[(s - base) & (size - 1)], base being ISS + 1 (send) or IRS + 1
 * (receive). Which part holds data follows from the sequence variables.
 */
struct tcp_ring {
	uint8_t *buf;
	uint32_t size;
};

/**
 * struct tcp_stats - per-connection counters (hot-path events)
 */
struct tcp_stats {
	uint64_t segs_in, segs_out, bytes_in, bytes_out;
	uint64_t rexmit_segs, fast_rexmits, rtos, persist_probes, keep_probes;
	uint64_t dup_acks, ooo_segs, ooo_drops, dup_segs, paws_drops;
	uint64_t bad_acks, challenge_acks, unacceptable, backlog_drops;
	uint64_t tlp_probes, wupd_resent;
};

/**
 * struct tcp_rtx - a retransmission, for RACK (tcp_rack.c)
 * @start, @end:	the range sent again
 * @smax:		snd_max when it was sent
 * @n:			its number in the connection's retransmissions
 */
struct tcp_rtx {
	uint32_t start, end, smax, n;
};

/**
 * struct tcp_conn - a connection or a listener; fields are TCP's
 *
 * Read-only for the caller: state, err, the addresses and ports, stats.
 * err is 0, or after TCP_EV_RESET: -ECONNREFUSED (reset in answer to our
 * SYN), -ECONNRESET (reset by the peer), -ETIMEDOUT (retransmissions or
 * keepalive gave up), -ECONNABORTED (tcp_abort()).
 * Sequence variables are named as in RFC 9293 3.3.1; snd_max is the
 * highest sequence number sent (snd_nxt goes back to snd_una after a
 * timeout), snd_end the end of the data queued, the FIN's number once
 * fin_queued.
 */
struct tcp_conn {
	const struct tcp_ops *ops;
	void *ctx;
	struct tcp_cfg cfg;
	enum tcp_state state;
	int err;

	uint32_t laddr, raddr;
	uint16_t lport, rport;

	/* send side */
	struct tcp_ring sbuf;
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_end;
	uint32_t snd_wnd, max_snd_wnd, snd_wl1, snd_wl2;
	uint8_t snd_wscale, rcv_wscale;
	uint16_t peer_mss;
	bool ws_on;
	uint32_t mss;			/* payload per segment, TS excluded */
	bool fin_queued;		/* user shut down the write side */

	/* receive side */
	struct tcp_ring rbuf;
	uint32_t irs, rcv_nxt, rcv_adv, rcv_read;
	bool fin_rcvd;			/* FIN consumed: end of stream */
	bool fin_ooo;			/* FIN seen beyond a hole */
	uint32_t fin_seq;		/* its sequence number */
	uint8_t nooo, ooo_last;
	struct tcp_sack_block ooo[TCP_OOO_MAX];
	bool dsack;			/* report dsack_blk (RFC 2883) */
	struct tcp_sack_block dsack_blk;
	uint32_t ack_pending;		/* bytes received, not yet ACKed */
	bool ack_now;

	/* options in use */
	bool ts_on, sack_on;
	uint32_t ts_recent, ts_offset, last_ack_sent;
	uint64_t ts_recent_age;

	/* RTT, congestion control, loss recovery */
	struct rto rto;
	bool rtt_timing;
	uint32_t rtt_seq;
	uint64_t rtt_start;
	struct cc cc;
	uint64_t snd_last_ms;	/* data last sent (0: never), RFC 5681 4.1 */
	bool in_recovery;
	bool rxt_first;		/* resend the first hole now (entry, partial ACK) */
	bool rescue_done;	/* RFC 6675 rule 4 used in this recovery */
	uint32_t recover, high_rxt, dupacks;
	uint8_t nsb;
	struct tcp_sack_block sb[TCP_SB_MAX];
	/* RACK-TLP (RFC 8985): send order of the latest delivered data,
	 * the retransmission log, the tail loss probe */
	bool rack_valid, tlp_out;
	uint8_t nrtx;
	uint32_t rack_m, rack_n, rtx_n, tlp_end;
	struct tcp_rtx rtx[TCP_RTX_MAX];

	/* timers: absolute deadlines, 0 = not armed */
	uint64_t t_rexmt, t_persist, t_delack, t_keep, t_2msl, t_tlp, t_rack;
	uint64_t t_wupd;		/* resend a window update (tcp.c) */
	uint32_t wupd_nxt;		/* rcv_nxt when it was sent */
	uint8_t wupd_n;			/* times resent */
	uint32_t n_rexmt, persist_shift, n_keep;
	uint32_t n_probe;		/* zero window probes unanswered */
	bool persist;
	uint64_t chal_epoch;		/* challenge ACK rate limit window */
	uint32_t chal_count;
	uint32_t oow_ack_ms;		/* last ACK for a bare segment out of
					 * the window: low 32 bits of the ms,
					 * + 1 (0: none yet) */

	/* listener and children */
	struct tcp_conn *listener;
	struct tcp_conn *child_next, *child_prev;
	struct tcp_conn *children;
	uint16_t qlen;			/* children: half-open + not accepted */
	uint16_t qsyn;			/* of those, half-open (SYN-RECEIVED) */
	bool in_synq;			/* child counted in its listener's qsyn */
	bool synq_exempt;		/* listener: the caller vouches for this
					 * SYN (a returning cookie) */
	bool passive;

	/* life cycle */
	unsigned events;
	unsigned depth;
	bool user_closed, released;

	struct tcp_stats stats;
};

void tcp_cfg_default(struct tcp_cfg *cfg);
void tcp_conn_init(struct tcp_conn *c, const struct tcp_ops *ops, void *ctx,
		   const struct tcp_cfg *cfg, uint8_t *sbuf, uint32_t ssize,
		   uint8_t *rbuf, uint32_t rsize);
int tcp_listen(struct tcp_conn *c, uint32_t laddr, uint16_t lport);
int tcp_connect(struct tcp_conn *c, uint32_t laddr, uint16_t lport,
		uint32_t raddr, uint16_t rport, uint32_t iss, uint64_t now_ms);
struct tcp_conn *tcp_accept(struct tcp_conn *lc);
void tcp_synq_leave(struct tcp_conn *c);

/**
 * tcp_listen_synq_full() - is a listener's half-open queue at its bound?
 * @lc:		listener
 *
 * Return: true when a new SYN would be dropped for want of room among the
 *	   half-open children while established ones still fit: the moment
 *	   to answer with a SYN cookie instead (RFC 4987 3.6)
 */
static inline bool tcp_listen_synq_full(const struct tcp_conn *lc)
{
	return lc->qsyn >= lc->cfg.backlog &&
	       lc->qlen - lc->qsyn < lc->cfg.backlog;
}

/**
 * tcp_listen_acceptq_full() - are a listener's completed connections at
 *			       its bound?
 * @lc:		listener
 *
 * Return: true when nobody accepted backlog established connections yet
 */
static inline bool tcp_listen_acceptq_full(const struct tcp_conn *lc)
{
	return lc->qlen - lc->qsyn >= lc->cfg.backlog;
}
size_t tcp_send(struct tcp_conn *c, const void *data, size_t len,
		uint64_t now_ms);
size_t tcp_recv(struct tcp_conn *c, void *data, size_t len, uint64_t now_ms);
size_t tcp_send_commit(struct tcp_conn *c, size_t n, uint64_t now_ms);
size_t tcp_recv_commit(struct tcp_conn *c, size_t n, uint64_t now_ms);
size_t tcp_readable(const struct tcp_conn *c);
size_t tcp_writable(const struct tcp_conn *c);
bool tcp_eof(const struct tcp_conn *c);
int tcp_shutdown(struct tcp_conn *c, uint64_t now_ms);
void tcp_close(struct tcp_conn *c, uint64_t now_ms);
void tcp_abort(struct tcp_conn *c, uint64_t now_ms);
void tcp_set_nodelay(struct tcp_conn *c, bool on, uint64_t now_ms);
void tcp_set_keepalive(struct tcp_conn *c, bool on, uint64_t now_ms);
int tcp_pmtu(struct tcp_conn *c, uint32_t seq, uint32_t mtu, uint64_t now_ms);
int tcp_unreach(struct tcp_conn *c, uint32_t seq, int err, uint64_t now_ms);
void tcp_set_link_mss(struct tcp_conn *c, uint32_t mss);

void tcp_input(struct tcp_conn *c, const struct tcp_seg *seg, uint64_t now_ms);
void tcp_input_nomatch(const struct tcp_ops *ops, void *ctx,
		       const struct tcp_seg *seg);

uint64_t tcp_next_deadline(const struct tcp_conn *c);
void tcp_timer(struct tcp_conn *c, uint64_t now_ms);

const char *tcp_state_name(enum tcp_state s);

#endif /* VSTACK_STACK_TCP_H */
