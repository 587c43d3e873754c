/* SPDX-License-Identifier: MIT */
/*
 * portsec.h - port security: a port locked to its MAC and IP addresses
 *
 * A locked port only lets through frames whose source is the port's own:
 * its MAC address and, when it has addresses, one of them as the IPv4 or
 * IPv6 source (and as the ARP sender). What a tenant needs to get going
 * stays allowed: 0.0.0.0 as a DHCP client and in ARP probes (RFC 5227), ::
 * in ICMPv6 for duplicate address detection (RFC 4862 5.4), and the IPv6
 * link-local address the tenant's kernel makes up from the port's MAC
 * (fe80:: and its modified EUI-64), which is the port's as if it had been
 * given it. Any other link-local address is the port's only if it was
 * given it (--address fe80::.../64; a tenant whose kernel makes up
 * stable-privacy ones, RFC 7217, needs that), as with OVN's and Neutron's
 * port security: else a tenant could take over a neighbour's fe80::
 * address. Neighbour discovery, IPv6's ARP, follows ARP's rule: an
 * advertisement, or duplicate address detection, only for one of the
 * port's addresses, link-layer address options only with the port's MAC,
 * and no router advertisements or redirects. Nor DHCP or DHCPv6 replies: a
 * locked tenant is a DHCP client, not a server. Everything else (other
 * ethertypes, VLAN-tagged frames, whose inner addresses we do not police,
 * IPv6 packets whose extension header chain is too long for frame_parse()
 * to reach their upper-layer header) is dropped and counted as spoofed.
 */
#ifndef VSTACK_PORTSEC_H
#define VSTACK_PORTSEC_H

#include <stdbool.h>
#include <stdint.h>

#include "frame.h"

#define PORTSEC_MAX_ADDRS 16

/**
 * struct portsec - what a locked port may send as
 * @mac:	its MAC address
 * @lock_ip:	police IP sources too (the port has addresses)
 * @n4:		number of @ip4
 * @ip4:	IPv4 addresses, network order
 * @n6:		number of @ip6
 * @ip6:	IPv6 addresses
 */
struct portsec {
	uint8_t mac[6];
	bool lock_ip;
	unsigned n4;
	uint8_t ip4[PORTSEC_MAX_ADDRS][4];
	unsigned n6;
	uint8_t ip6[PORTSEC_MAX_ADDRS][16];
};

bool portsec_allows(const struct portsec *ps, const uint8_t *eth,
		    const struct frame_info *fi);

#endif /* VSTACK_PORTSEC_H */
