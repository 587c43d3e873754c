// SPDX-License-Identifier: MIT
/*
 * parse.c - value parsers shared by vstackd, vstackctl and the config file
 *
 * Numbers are plain decimal: no sign, no leading or trailing blanks, no
 * octal or hex surprises from strtoul's base 0. Names follow the rules of
 * the thing they name (IFNAMSIZ and dev_valid_name() for interfaces, a file
 * name below /run/netns for namespaces) and are otherwise kept to a small
 * character set, so they are safe in tables, JSON and log lines alike.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "parse.h"

/**
 * parse_uint() - parse a decimal unsigned number
 * @s:		text, digits only
 * @out:	result
 *
 * Return: 0, -EINVAL if @s is not a number, -ERANGE if it overflows 64 bits
 */
int parse_uint(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned d;

		if (*s < '0' || *s > '9')
			return -EINVAL;
		d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/**
 * parse_uint_key() - parse_uint() for a named setting, with its message
 * @key:	the setting, for the message
 * @s:		text
 * @out:	result
 * @err:	one line on failure: not a number, or too large
 * @errlen:	size of @err
 *
 * Return: 0 or -EINVAL
 */
int parse_uint_key(const char *key, const char *s, uint64_t *out, char *err,
		   size_t errlen)
{
	int rc = parse_uint(s, out);

	if (rc == -ERANGE)
		snprintf(err, errlen, "invalid %s '%s': too large", key, s);
	else if (rc)
		snprintf(err, errlen, "invalid %s '%s': expected a number",
			 key, s ? s : "");
	return rc ? -EINVAL : 0;
}

/**
 * parse_rate() - parse a rate in bits per second, with an SI suffix
 * @s:		e.g. "100000", "250k", "10M", "1G" (k, M, G, T: powers of 1000)
 * @out:	result, bits per second
 *
 * Return: 0, -EINVAL if malformed, -ERANGE on overflow
 */
int parse_rate(const char *s, uint64_t *out)
{
	char num[32];
	uint64_t v, mult = 1;
	size_t len;
	int rc;

	if (!s || !*s)
		return -EINVAL;
	len = strlen(s);
	if (len >= sizeof(num))
		return -ERANGE;
	memcpy(num, s, len + 1);

	switch (num[len - 1]) {
	case 'k': case 'K': mult = 1000ULL; break;
	case 'm': case 'M': mult = 1000000ULL; break;
	case 'g': case 'G': mult = 1000000000ULL; break;
	case 't': case 'T': mult = 1000000000000ULL; break;
	default: break;
	}
	if (mult != 1)
		num[--len] = '\0';

	rc = parse_uint(num, &v);
	if (rc)
		return rc;
	if (v && mult > UINT64_MAX / v)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

/**
 * parse_onoff() - parse a boolean
 * @s:		on/off, yes/no, true/false, 1/0 (any case)
 * @out:	result
 *
 * Return: 0 or -EINVAL
 */
int parse_onoff(const char *s, bool *out)
{
	static const char *const on[] = { "on", "yes", "true", "1" };
	static const char *const off[] = { "off", "no", "false", "0" };
	unsigned i;

	for (i = 0; i < sizeof(on) / sizeof(on[0]); i++) {
		if (!strcasecmp(s, on[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, off[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

/**
 * parse_hex() - value of one hexadecimal digit
 * @c:		character
 *
 * Return: 0..15, or -1 if @c is not a hex digit
 */
static int parse_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/**
 * parse_mac() - parse a MAC address
 * @s:		six pairs of hex digits separated by ':' ("02:00:5e:10:00:01")
 * @mac:	result
 *
 * Return: 0 or -EINVAL
 */
int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned i;

	if (!s || strlen(s) != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		int hi = parse_hex(s[i * 3]), lo = parse_hex(s[i * 3 + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		if (i < 5 && s[i * 3 + 2] != ':')
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/**
 * parse_mac_format() - print a MAC address the way parse_mac() reads it
 * @mac:	address
 * @buf:	output, lower-case, NUL-terminated
 */
void parse_mac_format(const uint8_t mac[6], char buf[PARSE_MAC_STRLEN])
{
	snprintf(buf, PARSE_MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

/**
 * parse_mac_is_unicast() - can this address be given to an interface?
 * @mac:	address
 *
 * Return: false for group (multicast, broadcast) and all-zero addresses
 */
bool parse_mac_is_unicast(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	return !(mac[0] & 1) && memcmp(mac, zero, 6);
}

/**
 * parse_cidr() - parse an interface address "ADDR/LEN"
 * @s:		IPv4 or IPv6 address, '/', prefix length (required)
 * @c:		result
 *
 * Unspecified and multicast addresses are refused: an interface cannot
 * own them.
 *
 * Return: 0 or -EINVAL
 */
int parse_cidr(const char *s, struct parse_cidr *c)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash;
	uint64_t prefix;
	size_t len;

	if (!s || !(slash = strchr(s, '/')))
		return -EINVAL;
	len = (size_t)(slash - s);
	if (!len || len >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, len);
	addr[len] = '\0';

	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, addr, c->addr) == 1) {
		c->family = AF_INET;
		if (!memcmp(c->addr, "\0\0\0\0", 4) || (c->addr[0] & 0xf0) == 0xe0)
			return -EINVAL;
	} else if (inet_pton(AF_INET6, addr, c->addr) == 1) {
		static const uint8_t any6[16];

		c->family = AF_INET6;
		if (!memcmp(c->addr, any6, 16) || c->addr[0] == 0xff)
			return -EINVAL;
	} else {
		return -EINVAL;
	}

	if (parse_uint(slash + 1, &prefix) ||
	    prefix > (c->family == AF_INET ? 32U : 128U))
		return -EINVAL;
	c->prefix = (unsigned)prefix;
	return 0;
}

/**
 * parse_cidr_format() - print an address the way parse_cidr() reads it
 * @c:		address
 * @buf:	output
 */
void parse_cidr_format(const struct parse_cidr *c, char buf[PARSE_CIDR_STRLEN])
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(c->family, c->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, PARSE_CIDR_STRLEN, "%s/%u", a, c->prefix);
}

/**
 * parse_cpu_num() - parse one CPU number of a list
 * @s:		start of the number
 * @end:	set to the first character after it
 * @cpu:	result, below CPU_SETSIZE
 *
 * Return: 0 or -EINVAL
 */
static int parse_cpu_num(const char *s, const char **end, int *cpu)
{
	long v = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (*s - '0');
		if (v >= CPU_SETSIZE)
			return -EINVAL;
	}
	*end = s;
	*cpu = (int)v;
	return 0;
}

/**
 * parse_cpus() - parse a CPU list such as "0,2-3"
 * @s:		comma-separated CPU numbers and inclusive ranges
 * @cpus:	result, in the order given
 * @max:	room in @cpus
 * @n:		number of CPUs stored
 * @err:	reason on failure
 * @errlen:	size of @err
 *
 * Return: 0, -EINVAL if malformed or a CPU repeats, -E2BIG if more than @max
 */
int parse_cpus(const char *s, int *cpus, unsigned max, unsigned *n,
	       char *err, size_t errlen)
{
	unsigned count = 0, i;
	const char *p = s;

	if (!s || !*s) {
		snprintf(err, errlen, "empty CPU list");
		return -EINVAL;
	}
	for (;;) {
		int lo, hi, cpu;

		if (parse_cpu_num(p, &p, &lo))
			goto bad;
		hi = lo;
		if (*p == '-' && (parse_cpu_num(p + 1, &p, &hi) || hi < lo))
			goto bad;
		for (cpu = lo; cpu <= hi; cpu++) {
			for (i = 0; i < count; i++) {
				if (cpus[i] == cpu) {
					snprintf(err, errlen,
						 "CPU %d listed twice", cpu);
					return -EINVAL;
				}
			}
			if (count == max) {
				snprintf(err, errlen, "more than %u CPUs", max);
				return -E2BIG;
			}
			cpus[count++] = cpu;
		}
		if (!*p)
			break;
		if (*p++ != ',')
			goto bad;
	}
	*n = count;
	return 0;
bad:
	snprintf(err, errlen,
		 "expected CPU numbers below %d and ranges, like 0,2-3",
		 CPU_SETSIZE);
	return -EINVAL;
}

/**
 * parse_ifname_ok() - is @s a valid interface name?
 * @s:		name
 *
 * Follows the kernel's dev_valid_name(): 1..15 bytes, no '/', ':' or
 * blanks; we also keep to printable ASCII. Stricter than the kernel, a name
 * may not start with '.' (so not "." or ".." either): the name is also the
 * name of the port's or endpoint's record in the state directory, where a
 * leading dot marks a write in progress (state.c).
 *
 * Return: true if valid
 */
bool parse_ifname_ok(const char *s)
{
	size_t len = s ? strlen(s) : 0;

	if (!len || len > 15 || s[0] == '.')
		return false;
	for (; *s; s++) {
		if (*s <= ' ' || *s > '~' || *s == '/' || *s == ':')
			return false;
	}
	return true;
}

/**
 * parse_name_ok() - is @s a valid network or tenant name?
 * @s:		name, [A-Za-z0-9_.-]{1,31}, not starting with '.'
 *
 * A tenant's name is the name of its record in the state directory, where
 * a leading dot marks a write in progress (state.c); networks follow the
 * same rule so that the two kinds of name read alike.
 *
 * Return: true if valid
 */
bool parse_name_ok(const char *s)
{
	size_t len = s ? strlen(s) : 0;

	if (!len || len > 31 || s[0] == '.')
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz"
			 "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789_.-") == len;
}

/**
 * parse_netns_ok() - is @s a valid name for a namespace in /run/netns?
 * @s:		name: a file name, printable ASCII without blanks
 *
 * Return: true if valid
 */
bool parse_netns_ok(const char *s)
{
	size_t len = s ? strlen(s) : 0;

	if (!len || len > NAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++) {
		if (*s <= ' ' || *s > '~' || *s == '/')
			return false;
	}
	return true;
}
