/* SPDX-License-Identifier: MIT */
/*
 * netif_priv.h - how the modules of stack/ call each other
 *
 * Internal to stack/: the input chain (netif -> arp/ipv4 -> icmp/udp), the
 * output chain (ipv4_output -> arp_output -> ipv4_xmit -> netif_emit),
 * timers and teardown. Code outside stack/ uses netif.h and the public
 * parts of each module's header.
 */
#ifndef VSTACK_NETIF_PRIV_H
#define VSTACK_NETIF_PRIV_H

#include "netif.h"

/* netif.c */
void netif_emit(struct netif *ni, uint8_t *buf, size_t len,
		const uint8_t *dst_mac, uint16_t ethertype);

/* arp.c */
void arp_init(struct arp *arp);
void arp_input(struct netif *ni, uint8_t *buf, size_t len, uint64_t now_ms);
void arp_output(struct netif *ni, uint8_t *buf, be32_t nexthop,
		uint64_t now_ms);
void arp_announce(struct netif *ni, uint64_t now_ms);
void arp_timer(struct netif *ni, uint64_t now_ms);
void arp_flush(struct netif *ni);

/* ipv4.c */
void ipv4_init(struct ipv4 *ip, uint64_t seed);
void ipv4_input(struct netif *ni, uint8_t *buf, size_t len, bool link_bcast,
		bool csum_trusted, uint64_t now_ms);
void ipv4_xmit(struct netif *ni, uint8_t *buf, const uint8_t *mac);
void ipv4_timer(struct netif *ni, uint64_t now_ms);
void ipv4_flush(struct netif *ni);

/* icmp.c */
void icmp_init(struct icmp *icmp, uint64_t now_ms);
void icmp_input(struct netif *ni, struct ipv4_rx *rx, uint64_t now_ms);

/* udp.c */
void udp_init(struct udp *udp, uint64_t seed);
void udp_input(struct netif *ni, struct ipv4_rx *rx, uint64_t now_ms);
void udp_icmp_error(struct netif *ni, const uint8_t *quote, size_t qlen,
		    int err);
void udp_flush(struct netif *ni);

#endif /* VSTACK_NETIF_PRIV_H */
