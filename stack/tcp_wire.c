// SPDX-License-Identifier: MIT
/*
 * tcp_wire.c - TCP header and option parsing and writing
 *
 * Parsing never trusts a length: the data offset must cover the fixed
 * header and fit in the buffer, and every option's length byte must be at
 * least 2 and stay inside the option area. A segment whose option area is
 * malformed that way is refused as a whole (RFC 9293 3.2: "be prepared to
 * handle an illegal option length"; we drop rather than reset, since a
 * forged segment must not be able to tear down a connection). A known
 * option with a wrong but well-framed length is skipped and ignored.
 */

#include <errno.h>
#include <string.h>

#include "tcp_wire.h"

/**
 * tcp_wire_get16() - read a big-endian 16-bit value
 * @p:	two bytes
 *
 * Return: host value
 */
static uint16_t tcp_wire_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/**
 * tcp_wire_get32() - read a big-endian 32-bit value
 * @p:	four bytes
 *
 * Return: host value
 */
static uint32_t tcp_wire_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/**
 * tcp_wire_put32() - write a big-endian 32-bit value
 * @p:	four bytes
 * @v:	host value
 */
static void tcp_wire_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/**
 * tcp_wire_opts_parse() - parse a TCP option area
 * @p:		first option byte
 * @len:	bytes in the option area (data offset * 4 - 20)
 * @o:		parsed options, cleared first
 *
 * Return: 0, or -EINVAL if an option's length is below 2 or runs past the
 * end of the area
 */
int tcp_wire_opts_parse(const uint8_t *p, size_t len, struct tcp_opts *o)
{
	size_t i = 0, olen, n, k;

	memset(o, 0, sizeof(*o));
	while (i < len) {
		uint8_t kind = p[i];

		if (kind == TCP_OPT_EOL)
			break;
		if (kind == TCP_OPT_NOP) {
			i++;
			continue;
		}
		if (len - i < 2)
			return -EINVAL;
		olen = p[i + 1];
		if (olen < 2 || olen > len - i)
			return -EINVAL;

		switch (kind) {
		case TCP_OPT_MSS:
			if (olen != 4)
				break;
			o->has |= TCP_O_MSS;
			o->mss = tcp_wire_get16(p + i + 2);
			break;
		case TCP_OPT_WS:
			if (olen != 3)
				break;
			o->has |= TCP_O_WS;
			/* RFC 7323 2.3: a shift above 14 is used as 14 */
			o->ws = p[i + 2] > TCP_WS_MAX ? TCP_WS_MAX : p[i + 2];
			break;
		case TCP_OPT_SACKOK:
			if (olen != 2)
				break;
			o->has |= TCP_O_SACKOK;
			break;
		case TCP_OPT_SACK:
			/* RFC 2018 3: 2 + 8n bytes, n >= 1 */
			if (olen < 10 || (olen - 2) % 8)
				break;
			n = (olen - 2) / 8;
			if (n > TCP_SACK_BLOCKS_MAX)
				n = TCP_SACK_BLOCKS_MAX;
			for (k = 0; k < n; k++) {
				o->sack[k].start =
					tcp_wire_get32(p + i + 2 + 8 * k);
				o->sack[k].end =
					tcp_wire_get32(p + i + 6 + 8 * k);
			}
			o->nsack = (uint8_t)n;
			o->has |= TCP_O_SACK;
			break;
		case TCP_OPT_TS:
			if (olen != 10)
				break;
			o->has |= TCP_O_TS;
			o->tsval = tcp_wire_get32(p + i + 2);
			o->tsecr = tcp_wire_get32(p + i + 6);
			break;
		default:
			break; /* unknown: skipped, RFC 9293 3.2 */
		}
		i += olen;
	}
	return 0;
}

/**
 * tcp_wire_sack_fit() - how many SACK blocks fit next to the other options
 * @o:	options
 *
 * Return: blocks that will be written
 */
static unsigned tcp_wire_sack_fit(const struct tcp_opts *o)
{
	size_t used = 0;
	unsigned n;

	if (!(o->has & TCP_O_SACK))
		return 0;
	if (o->has & TCP_O_MSS)
		used += 4;
	if (o->has & TCP_O_WS)
		used += 4;
	if (o->has & (TCP_O_TS | TCP_O_SACKOK))
		used += 12 * !!(o->has & TCP_O_TS) +
			4 * !(o->has & TCP_O_TS);
	n = o->nsack > TCP_SACK_BLOCKS_MAX ? TCP_SACK_BLOCKS_MAX : o->nsack;
	while (n && used + 4 + 8 * n > TCP_OPT_MAX)
		n--;
	return n;
}

/**
 * tcp_wire_opts_len() - bytes tcp_wire_opts_write() will write for @o
 * @o:	options
 *
 * Return: length, a multiple of 4, at most TCP_OPT_MAX
 */
size_t tcp_wire_opts_len(const struct tcp_opts *o)
{
	size_t l = 0;
	unsigned n = tcp_wire_sack_fit(o);

	if (o->has & TCP_O_MSS)
		l += 4;
	if (o->has & TCP_O_WS)
		l += 4;
	if (o->has & TCP_O_TS)
		l += 12; /* SACKOK rides in the two padding bytes */
	else if (o->has & TCP_O_SACKOK)
		l += 4;
	if (n)
		l += 4 + 8 * n;
	return l;
}

/**
 * tcp_wire_opts_write() - write options, padded to a multiple of 4 bytes
 * @p:		destination
 * @cap:	room at @p
 * @o:		options; SACK blocks that do not fit in 40 bytes are left out
 *
 * Layout: MSS | NOP WS | (SACKOK or NOP NOP) TS | NOP NOP SACK, the usual
 * arrangement that keeps the 32-bit fields aligned.
 *
 * Return: bytes written, 0 if @cap is too small (or there is nothing)
 */
size_t tcp_wire_opts_write(uint8_t *p, size_t cap, const struct tcp_opts *o)
{
	size_t l = tcp_wire_opts_len(o), i = 0;
	unsigned n = tcp_wire_sack_fit(o), k;

	if (l > cap)
		return 0;
	if (o->has & TCP_O_MSS) {
		p[i++] = TCP_OPT_MSS;
		p[i++] = 4;
		p[i++] = (uint8_t)(o->mss >> 8);
		p[i++] = (uint8_t)o->mss;
	}
	if (o->has & TCP_O_WS) {
		p[i++] = TCP_OPT_NOP;
		p[i++] = TCP_OPT_WS;
		p[i++] = 3;
		p[i++] = o->ws;
	}
	if (o->has & TCP_O_TS) {
		if (o->has & TCP_O_SACKOK) {
			p[i++] = TCP_OPT_SACKOK;
			p[i++] = 2;
		} else {
			p[i++] = TCP_OPT_NOP;
			p[i++] = TCP_OPT_NOP;
		}
		p[i++] = TCP_OPT_TS;
		p[i++] = 10;
		tcp_wire_put32(p + i, o->tsval);
		tcp_wire_put32(p + i + 4, o->tsecr);
		i += 8;
	} else if (o->has & TCP_O_SACKOK) {
		p[i++] = TCP_OPT_NOP;
		p[i++] = TCP_OPT_NOP;
		p[i++] = TCP_OPT_SACKOK;
		p[i++] = 2;
	}
	if (n) {
		p[i++] = TCP_OPT_NOP;
		p[i++] = TCP_OPT_NOP;
		p[i++] = TCP_OPT_SACK;
		p[i++] = (uint8_t)(2 + 8 * n);
		for (k = 0; k < n; k++) {
			tcp_wire_put32(p + i, o->sack[k].start);
			tcp_wire_put32(p + i + 4, o->sack[k].end);
			i += 8;
		}
	}
	return i;
}

/**
 * tcp_wire_parse() - parse a TCP segment (header, options, payload)
 * @buf:	first byte of the TCP header
 * @len:	bytes from there to the end of the IP payload
 * @seg:	result; addresses are left for the caller to fill
 *
 * Return: 0, or -EINVAL for a short buffer, a data offset below 5 or past
 * @len, or a malformed option area
 */
int tcp_wire_parse(const uint8_t *buf, size_t len, struct tcp_seg *seg)
{
	struct tcp_hdr h;
	size_t hl;

	if (len < TCP_HDR_LEN)
		return -EINVAL;
	memcpy(&h, buf, sizeof(h));
	hl = (size_t)(h.off >> 4) * 4;
	if (hl < TCP_HDR_LEN || hl > len)
		return -EINVAL;
	if (tcp_wire_opts_parse(buf + TCP_HDR_LEN, hl - TCP_HDR_LEN,
				&seg->opts))
		return -EINVAL;
	seg->sport = tcp_ntoh16(h.sport);
	seg->dport = tcp_ntoh16(h.dport);
	seg->seq = tcp_ntoh32(h.seq);
	seg->ack = tcp_ntoh32(h.ack);
	seg->flags = h.flags;
	seg->win = tcp_ntoh16(h.win);
	seg->len = (uint32_t)(len - hl);
	seg->data[0].base = buf + hl;
	seg->data[0].len = len - hl;
	seg->data[1].base = NULL;
	seg->data[1].len = 0;
	return 0;
}

/**
 * tcp_wire_build() - write the header and options of @seg
 * @buf:	destination
 * @cap:	room at @buf
 * @seg:	segment; its payload is not copied, the checksum is left 0
 *
 * Return: header length written, 0 if @cap is too small
 */
size_t tcp_wire_build(uint8_t *buf, size_t cap, const struct tcp_seg *seg)
{
	size_t ol = tcp_wire_opts_len(&seg->opts);
	struct tcp_hdr h;

	if (cap < TCP_HDR_LEN + ol)
		return 0;
	h.sport = tcp_hton16(seg->sport);
	h.dport = tcp_hton16(seg->dport);
	h.seq = tcp_hton32(seg->seq);
	h.ack = tcp_hton32(seg->ack);
	h.off = (uint8_t)(((TCP_HDR_LEN + ol) / 4) << 4);
	h.flags = seg->flags;
	h.win = tcp_hton16(seg->win);
	h.csum = tcp_hton16(0);
	h.urp = tcp_hton16(0);
	memcpy(buf, &h, sizeof(h));
	if (ol)
		tcp_wire_opts_write(buf + TCP_HDR_LEN, ol, &seg->opts);
	return TCP_HDR_LEN + ol;
}

/**
 * tcp_wire_csum4() - TCP checksum over the IPv4 pseudo-header and segment
 * @saddr:	source address, host order
 * @daddr:	destination address, host order
 * @buf:	TCP header and payload, checksum field included
 * @len:	their length (at most 65535 - 20)
 *
 * RFC 9293 3.1: the 16-bit ones' complement of the ones' complement sum
 * of the pseudo-header (addresses, zero, protocol 6, TCP length) and the
 * segment. With the field zero the result is what goes in it; over a
 * segment carrying a correct checksum the result is 0.
 *
 * Return: the checksum, host order (store it big-endian)
 */
uint16_t tcp_wire_csum4(uint32_t saddr, uint32_t daddr, const uint8_t *buf,
			size_t len)
{
	uint64_t sum = 0;
	size_t i;

	sum += (saddr >> 16) + (saddr & 0xffff);
	sum += (daddr >> 16) + (daddr & 0xffff);
	sum += 6; /* IPPROTO_TCP */
	sum += (uint32_t)len;
	for (i = 0; i + 1 < len; i += 2)
		sum += tcp_wire_get16(buf + i);
	if (len & 1)
		sum += (uint32_t)buf[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}
