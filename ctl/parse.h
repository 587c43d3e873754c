/* SPDX-License-Identifier: MIT */
/*
 * parse.h - value parsers shared by vstackd, vstackctl and the config file
 *
 * Every value a user or a control client gives goes through one of these,
 * so the command line, the config file and the control protocol accept
 * exactly the same spellings. They never allocate and never log.
 */
#ifndef VSTACK_CTL_PARSE_H
#define VSTACK_CTL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PARSE_CIDR_STRLEN 64 /* INET6_ADDRSTRLEN + "/128" */
#define PARSE_MAC_STRLEN 18

/**
 * struct parse_cidr - an interface address with its prefix length
 * @family:	AF_INET or AF_INET6
 * @addr:	address, network order (4 or 16 bytes used)
 * @prefix:	prefix length, 0..32 or 0..128
 */
struct parse_cidr {
	int family;
	uint8_t addr[16];
	unsigned prefix;
};

int parse_uint(const char *s, uint64_t *out);
int parse_uint_key(const char *key, const char *s, uint64_t *out, char *err,
		   size_t errlen);
int parse_rate(const char *s, uint64_t *out);
int parse_onoff(const char *s, bool *out);
int parse_mac(const char *s, uint8_t mac[6]);
void parse_mac_format(const uint8_t mac[6], char buf[PARSE_MAC_STRLEN]);
bool parse_mac_is_unicast(const uint8_t mac[6]);
int parse_cidr(const char *s, struct parse_cidr *c);
void parse_cidr_format(const struct parse_cidr *c,
		       char buf[PARSE_CIDR_STRLEN]);
int parse_cpus(const char *s, int *cpus, unsigned max, unsigned *n,
	       char *err, size_t errlen);
/* What parse_ifname_ok() and parse_name_ok() accept, for messages */
#define PARSE_IFNAME_RULE \
	"1..15 characters, no '/', ':' or blanks, not starting with '.'"
#define PARSE_NAME_RULE \
	"1..31 characters of A-Z a-z 0-9 _ . -, not starting with '.'"
bool parse_ifname_ok(const char *s);
bool parse_name_ok(const char *s);
bool parse_netns_ok(const char *s);

#endif /* VSTACK_CTL_PARSE_H */
