/* SPDX-License-Identifier: MIT */
/*
 * icmp.h - ICMP for IPv4 (RFC 792): echo, error generation with a rate
 * limit (RFC 1812 section 4.3.2.8), path MTU hints (RFC 1191)
 */
#ifndef VSTACK_ICMP_H
#define VSTACK_ICMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tbucket.h"
#include "wire.h"

struct netif;
struct ipv4_rx;

#define ICMP_RATE_BURST	  10  /* errors sent back to back */
#define ICMP_RATE_PER_SEC 100 /* sustained errors per second */
/* An error carries as much of the offending datagram as fits in 576 bytes
 * (RFC 1812 section 4.3.2.3; RFC 792 asks for at least header + 8). */
#define ICMP_ERR_MAX 576

#define ICMP_STATS(X)                                                          \
	X(RX, "rx")			    /* ICMP messages received */       \
	X(RX_SHORT, "rx_short")		    /* shorter than 8 bytes */         \
	X(RX_CSUM, "rx_csum")		    /* bad checksum */                 \
	X(RX_ECHO, "rx_echo")		    /* echo requests answered */       \
	X(RX_ECHO_BCAST, "rx_echo_bcast")   /* echo to broadcast, ignored */   \
	X(RX_FRAG_NEEDED, "rx_frag_needed") /* path MTU hints passed on */     \
	X(RX_FRAG_NEEDED_BAD, "rx_frag_needed_bad") /* unusable hints */       \
	X(RX_ERROR, "rx_error")		    /* other errors received */        \
	X(RX_OTHER, "rx_other")		    /* other types, ignored */         \
	X(TX_ECHO_REPLY, "tx_echo_reply")   /* echo replies sent */            \
	X(TX_ERROR, "tx_error")		    /* errors sent */                  \
	X(TX_RATELIMITED, "tx_ratelimited") /* errors not sent: rate limit */  \
	X(TX_SUPPRESSED,                                                       \
	  "tx_suppressed")	/* errors not sent: RFC 1122 rules */          \
	X(TX_NOBUF, "tx_nobuf") /* no buffer */

/** enum icmp_stat - ICMP counters */
enum icmp_stat {
#define ICMP_X(name, str) ICMP_STAT_##name,
	ICMP_STATS(ICMP_X)
#undef ICMP_X
		ICMP_STAT__COUNT
};

/**
 * struct icmp - per-endpoint ICMP state
 * @errors:	errors that may be sent (ICMP_RATE_PER_SEC, ICMP_RATE_BURST)
 * @stats:	counters, enum icmp_stat
 */
struct icmp {
	struct tbucket errors;
	uint64_t stats[ICMP_STAT__COUNT];
};

int icmp_send_error(struct netif *ni, uint8_t type, uint8_t code,
		    const uint8_t *ip, size_t len, bool bcast, uint64_t now_ms);
const char *icmp_stat_name(enum icmp_stat s);

#endif /* VSTACK_ICMP_H */
