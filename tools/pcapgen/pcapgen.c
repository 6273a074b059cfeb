/* pcapgen.c - deterministic capture generator: pcap writer, packet builders, TCP session
 * simulator (see pcapgen.h), and the command line. Everything depends only on the scenario
 * code and its fixed seeds, so the same binary writes byte-identical captures every time. */
#include "pcapgen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define LINKTYPE_NULL 0
#define LINKTYPE_ETHERNET 1
#define LINKTYPE_RAW 101
#define LINKTYPE_LINUX_SLL 113
#define LINKTYPE_LINUX_SLL2 276

/* ------------------------------------------------------------------ writer */

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

bool pg_open(struct pg_writer *w, const char *path, int linktype)
{
	memset(w, 0, sizeof(*w));
	w->fp = fopen(path, "wb");
	if (!w->fp) {
		fprintf(stderr, "pcapgen: cannot write %s: %s\n", path, strerror(errno));
		return false;
	}
	w->linktype = linktype;
	uint8_t h[24];
	le32(h, 0xa1b2c3d4);
	h[4] = 2, h[5] = 0, h[6] = 4, h[7] = 0;
	le32(h + 8, 0);
	le32(h + 12, 0);
	le32(h + 16, 262144);
	le32(h + 20, (uint32_t)linktype);
	fwrite(h, 1, sizeof(h), w->fp);
	return true;
}

void pg_close(struct pg_writer *w)
{
	if (w->fp)
		fclose(w->fp);
	w->fp = NULL;
}

void pg_write_snapped(struct pg_writer *w, uint64_t ts_us, const uint8_t *data, size_t len, size_t caplen)
{
	uint8_t h[16];
	if (caplen > len)
		caplen = len;
	le32(h, (uint32_t)(ts_us / 1000000));
	le32(h + 4, (uint32_t)(ts_us % 1000000));
	le32(h + 8, (uint32_t)caplen);
	le32(h + 12, (uint32_t)len);
	fwrite(h, 1, sizeof(h), w->fp);
	fwrite(data, 1, caplen, w->fp);
	w->packets++;
}

void pg_write(struct pg_writer *w, uint64_t ts_us, const uint8_t *data, size_t len)
{
	pg_write_snapped(w, ts_us, data, len, len);
}

/* ------------------------------------------------------------------ rng */

void pg_rng_seed(struct pg_rng *r, uint64_t seed) { r->s = seed ? seed : 0x9e3779b97f4a7c15ULL; }

uint32_t pg_rng_u32(struct pg_rng *r)
{
	/* xorshift64* */
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return (uint32_t)((r->s * 0x2545f4914f6cdd1dULL) >> 32);
}

void pg_rng_fill(struct pg_rng *r, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)pg_rng_u32(r);
}

/* ------------------------------------------------------------------ addresses */

struct pg_addr pg_ip4(const char *s)
{
	struct pg_addr a;
	memset(&a, 0, sizeof(a));
	a.family = 4;
	if (inet_pton(AF_INET, s, a.a) != 1) {
		fprintf(stderr, "pcapgen: bad IPv4 address %s\n", s);
		exit(1);
	}
	return a;
}

struct pg_addr pg_ip6(const char *s)
{
	struct pg_addr a;
	memset(&a, 0, sizeof(a));
	a.family = 6;
	if (inet_pton(AF_INET6, s, a.a) != 1) {
		fprintf(stderr, "pcapgen: bad IPv6 address %s\n", s);
		exit(1);
	}
	return a;
}

/* ------------------------------------------------------------------ checksums */

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint16_t l4_checksum(const struct pg_addr *src, const struct pg_addr *dst, uint8_t proto, const uint8_t *l4,
			    size_t len)
{
	uint32_t sum = 0;
	size_t alen = src->family == 6 ? 16 : 4;
	sum = sum16(src->a, alen, sum);
	sum = sum16(dst->a, alen, sum);
	sum += proto;
	sum += (uint32_t)(len & 0xffff) + (uint32_t)(len >> 16);
	sum = sum16(l4, len, sum);
	uint16_t c = fold(sum);
	return c ? c : 0xffff;
}

/* ------------------------------------------------------------------ IP builders */

static size_t ip_header(uint8_t *buf, const struct pg_addr *src, const struct pg_addr *dst, uint8_t proto,
			size_t l4len, uint16_t ipid)
{
	if (src->family == 4) {
		buf[0] = 0x45;
		buf[1] = 0;
		be16(buf + 2, (uint16_t)(20 + l4len));
		be16(buf + 4, ipid);
		be16(buf + 6, proto == 6 ? 0x4000 : 0);
		buf[8] = 64;
		buf[9] = proto;
		be16(buf + 10, 0);
		memcpy(buf + 12, src->a, 4);
		memcpy(buf + 16, dst->a, 4);
		be16(buf + 10, fold(sum16(buf, 20, 0)));
		return 20;
	}
	be32(buf, 0x60000000u | ((uint32_t)ipid & 0xfffff));
	be16(buf + 4, (uint16_t)l4len);
	buf[6] = proto;
	buf[7] = 64;
	memcpy(buf + 8, src->a, 16);
	memcpy(buf + 24, dst->a, 16);
	return 40;
}

size_t pg_build_tcp(uint8_t *buf, size_t cap, const struct pg_addr *src, const struct pg_addr *dst, uint16_t sport,
		    uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win, const uint8_t *payload,
		    size_t plen, uint16_t ipid)
{
	size_t thl = (flags & PG_SYN) ? 24 : 20;
	size_t ihl = src->family == 4 ? 20 : 40;
	if (ihl + thl + plen > cap)
		return 0;
	uint8_t *t = buf + ihl;
	be16(t, sport);
	be16(t + 2, dport);
	be32(t + 4, seq);
	be32(t + 8, (flags & PG_ACK) ? ack : 0);
	t[12] = (uint8_t)((thl / 4) << 4);
	t[13] = flags;
	be16(t + 14, win);
	be16(t + 16, 0);
	be16(t + 18, 0);
	if (thl == 24) { /* MSS option */
		t[20] = 2;
		t[21] = 4;
		be16(t + 22, 1460);
	}
	if (plen)
		memcpy(t + thl, payload, plen);
	be16(t + 16, l4_checksum(src, dst, 6, t, thl + plen));
	ip_header(buf, src, dst, 6, thl + plen, ipid);
	return ihl + thl + plen;
}

size_t pg_build_udp(uint8_t *buf, size_t cap, const struct pg_addr *src, const struct pg_addr *dst, uint16_t sport,
		    uint16_t dport, const uint8_t *payload, size_t plen, uint16_t ipid)
{
	size_t ihl = src->family == 4 ? 20 : 40;
	if (ihl + 8 + plen > cap)
		return 0;
	uint8_t *u = buf + ihl;
	be16(u, sport);
	be16(u + 2, dport);
	be16(u + 4, (uint16_t)(8 + plen));
	be16(u + 6, 0);
	if (plen)
		memcpy(u + 8, payload, plen);
	be16(u + 6, l4_checksum(src, dst, 17, u, 8 + plen));
	ip_header(buf, src, dst, 17, 8 + plen, ipid);
	return ihl + 8 + plen;
}

size_t pg_build_icmp(uint8_t *buf, size_t cap, const struct pg_addr *src, const struct pg_addr *dst, uint8_t type,
		     uint8_t code, uint32_t rest, const uint8_t *payload, size_t plen, uint16_t ipid)
{
	size_t ihl = src->family == 4 ? 20 : 40;
	uint8_t proto = src->family == 4 ? 1 : 58;
	if (ihl + 8 + plen > cap)
		return 0;
	uint8_t *c = buf + ihl;
	c[0] = type;
	c[1] = code;
	be16(c + 2, 0);
	be32(c + 4, rest);
	if (plen)
		memcpy(c + 8, payload, plen);
	if (proto == 1)
		be16(c + 2, fold(sum16(c, 8 + plen, 0)));
	else
		be16(c + 2, l4_checksum(src, dst, 58, c, 8 + plen));
	ip_header(buf, src, dst, proto, 8 + plen, ipid);
	return ihl + 8 + plen;
}

size_t pg_build_tcp6_ext(uint8_t *buf, size_t cap, const struct pg_addr *src, const struct pg_addr *dst, uint16_t sport,
			 uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *payload, size_t plen)
{
	uint8_t tmp[70000];
	size_t n = pg_build_tcp(tmp, sizeof(tmp), src, dst, sport, dport, seq, ack, flags, 65535, payload, plen, 0);
	if (!n || n + 16 > cap)
		return 0;
	memcpy(buf, tmp, 40);
	buf[6] = 0; /* hop-by-hop */
	uint8_t *e = buf + 40;
	memset(e, 0, 16);
	e[0] = 60; /* next: destination options */
	e[1] = 0;  /* 8 bytes */
	e[2] = 1;  /* PadN */
	e[3] = 4;
	e[8] = 6; /* next: TCP */
	e[9] = 0;
	e[10] = 1;
	e[11] = 4;
	memcpy(buf + 56, tmp + 40, n - 40);
	be16(buf + 4, (uint16_t)(n - 40 + 16));
	return n + 16;
}

/* ------------------------------------------------------------------ links */

static const uint8_t mac_a[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0a};
static const uint8_t mac_b[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0b};

static size_t eth_header(uint8_t *p, const uint16_t *vlan, int nvlan, uint16_t type)
{
	size_t o = 0;
	memcpy(p, mac_b, 6);
	memcpy(p + 6, mac_a, 6);
	o = 12;
	if (nvlan == 2) {
		be16(p + o, 0x88a8);
		be16(p + o + 2, vlan[0]);
		be16(p + o + 4, 0x8100);
		be16(p + o + 6, vlan[1]);
		o += 8;
	} else if (nvlan == 1) {
		be16(p + o, 0x8100);
		be16(p + o + 2, vlan[0]);
		o += 4;
	}
	be16(p + o, type);
	return o + 2;
}

static uint16_t ip_ethertype(const uint8_t *ip) { return (ip[0] >> 4) == 6 ? 0x86dd : 0x0800; }

static size_t outer_ipv4(uint8_t *p, uint8_t proto, size_t inner_len, uint16_t id)
{
	struct pg_addr s = pg_ip4("192.0.2.250"), d = pg_ip4("192.0.2.251");
	return ip_header(p, &s, &d, proto, inner_len, id);
}

void pg_emit_ip(struct pg_writer *w, const struct pg_link *l, uint64_t ts_us, const uint8_t *ip, size_t iplen)
{
	static uint8_t frame[70000 + 256];
	static uint16_t outer_id = 1;
	static uint32_t gre_seq = 1;
	uint8_t ipcopy[70000];
	size_t o = 0;
	if (iplen > sizeof(ipcopy))
		return;
	memcpy(ipcopy, ip, iplen);
	if (l->bad_ip_checksum && (ipcopy[0] >> 4) == 4) {
		ipcopy[10] = 0xde; /* what a sender with checksum offload puts on the wire capture */
		ipcopy[11] = 0xad;
	}
	ip = ipcopy;
	switch (l->encap) {
	case PG_ENC_ETH:
		o = eth_header(frame, l->vlan, l->nvlan, ip_ethertype(ip));
		break;
	case PG_ENC_RAW:
		o = 0;
		break;
	case PG_ENC_NULL:
		le32(frame, (ip[0] >> 4) == 6 ? 30 : 2);
		o = 4;
		break;
	case PG_ENC_SLL:
		memset(frame, 0, 16);
		be16(frame + 2, 1);
		be16(frame + 4, 6);
		memcpy(frame + 6, mac_a, 6);
		be16(frame + 14, ip_ethertype(ip));
		o = 16;
		break;
	case PG_ENC_SLL2:
		memset(frame, 0, 20);
		be16(frame, ip_ethertype(ip));
		be32(frame + 4, 2);
		be16(frame + 8, 1);
		frame[10] = 0;
		frame[11] = 6;
		memcpy(frame + 12, mac_a, 6);
		o = 20;
		break;
	case PG_ENC_MPLS:
		o = eth_header(frame, l->vlan, l->nvlan, 0x8847);
		be32(frame + o, (100u << 12) | 64);           /* label 100, not bottom */
		be32(frame + o + 4, (200u << 12) | 0x100 | 64); /* label 200, bottom of stack */
		o += 8;
		break;
	case PG_ENC_PPPOE:
		o = eth_header(frame, l->vlan, l->nvlan, 0x8864);
		frame[o] = 0x11;
		frame[o + 1] = 0;
		be16(frame + o + 2, 0x1234);
		be16(frame + o + 4, (uint16_t)(iplen + 2));
		be16(frame + o + 6, (ip[0] >> 4) == 6 ? 0x0057 : 0x0021);
		o += 8;
		break;
	case PG_ENC_GRE:
	case PG_ENC_GRE_TEB:
	case PG_ENC_ERSPAN2:
	case PG_ENC_ERSPAN3: {
		uint8_t inner[70000 + 64];
		size_t il = 0;
		uint8_t gre[32];
		size_t gl;
		if (l->encap == PG_ENC_GRE) {
			memcpy(inner, ip, iplen);
			il = iplen;
			be16(gre, 0);
			be16(gre + 2, ip_ethertype(ip));
			gl = 4;
		} else {
			il = eth_header(inner, NULL, 0, ip_ethertype(ip));
			memcpy(inner + il, ip, iplen);
			il += iplen;
			if (l->encap == PG_ENC_GRE_TEB) {
				be16(gre, 0);
				be16(gre + 2, 0x6558);
				gl = 4;
			} else if (l->encap == PG_ENC_ERSPAN2) {
				be16(gre, 0x1000);
				be16(gre + 2, 0x88be);
				be32(gre + 4, gre_seq++);
				/* ERSPAN II: ver 1, vlan 0, session 7, index 0 */
				be16(gre + 8, 0x1000);
				be16(gre + 10, 0x0007);
				be32(gre + 12, 0);
				gl = 16;
			} else {
				be16(gre, 0x1000);
				be16(gre + 2, 0x22eb);
				be32(gre + 4, gre_seq++);
				/* ERSPAN III: ver 2, session 9, timestamp, sgt, O bit + platform sub-header */
				be16(gre + 8, 0x2000);
				be16(gre + 10, 0x0009);
				be32(gre + 12, (uint32_t)(ts_us & 0xffffffffu));
				be16(gre + 16, 0);
				be16(gre + 18, 0x0001);
				memset(gre + 20, 0, 8);
				gl = 28;
			}
		}
		o = eth_header(frame, l->vlan, l->nvlan, 0x0800);
		o += outer_ipv4(frame + o, 47, gl + il, outer_id++);
		memcpy(frame + o, gre, gl);
		o += gl;
		memcpy(frame + o, inner, il);
		pg_write(w, ts_us, frame, o + il);
		return;
	}
	case PG_ENC_VXLAN: {
		o = eth_header(frame, l->vlan, l->nvlan, 0x0800);
		size_t inner_eth = 14;
		size_t udp_len = 8 + 8 + inner_eth + iplen;
		o += outer_ipv4(frame + o, 17, udp_len, outer_id++);
		be16(frame + o, 49152);
		be16(frame + o + 2, 4789);
		be16(frame + o + 4, (uint16_t)udp_len);
		be16(frame + o + 6, 0);
		o += 8;
		frame[o] = 0x08;
		frame[o + 1] = frame[o + 2] = frame[o + 3] = 0;
		frame[o + 4] = 0;
		frame[o + 5] = 0x10;
		frame[o + 6] = 0x01;
		frame[o + 7] = 0;
		o += 8;
		o += eth_header(frame + o, NULL, 0, ip_ethertype(ip));
		break;
	}
	}
	memcpy(frame + o, ip, iplen);
	pg_write(w, ts_us, frame, o + iplen);
}

void pg_emit_fragments(struct pg_writer *w, const struct pg_link *l, uint64_t ts_us, const uint8_t *ip, size_t iplen,
		       size_t fragsize, const int *order, int norder)
{
	bool v6 = (ip[0] >> 4) == 6;
	size_t hl = v6 ? 40 : (size_t)(ip[0] & 15) * 4;
	size_t plen = iplen - hl;
	int nfrag = (int)((plen + fragsize - 1) / fragsize);
	uint8_t frag[70000];
	static uint32_t id6 = 0x1000;
	id6++;
	for (int k = 0; k < nfrag; k++) {
		int i = order && k < norder ? order[k] : k;
		size_t off = (size_t)i * fragsize;
		size_t n = plen - off < fragsize ? plen - off : fragsize;
		bool more = off + n < plen;
		size_t o;
		if (!v6) {
			memcpy(frag, ip, hl);
			be16(frag + 2, (uint16_t)(hl + n));
			be16(frag + 6, (uint16_t)((more ? 0x2000 : 0) | (off / 8)));
			be16(frag + 10, 0);
			be16(frag + 10, fold(sum16(frag, hl, 0)));
			o = hl;
		} else {
			memcpy(frag, ip, 40);
			frag[6] = 44;
			be16(frag + 4, (uint16_t)(8 + n));
			frag[40] = ip[6];
			frag[41] = 0;
			be16(frag + 42, (uint16_t)(off | (more ? 1 : 0)));
			be32(frag + 44, id6);
			o = 48;
		}
		memcpy(frag + o, ip + hl + off, n);
		pg_emit_ip(w, l, ts_us + (uint64_t)k * 10, frag, o + n);
	}
}

/* ------------------------------------------------------------------ TCP sessions */

void pg_tcp_init(struct pg_tcp *s, struct pg_writer *w, const struct pg_link *l, struct pg_addr cli, uint16_t cport,
		 struct pg_addr srv, uint16_t sport, uint32_t isn_c, uint32_t isn_s, uint64_t t0)
{
	memset(s, 0, sizeof(*s));
	s->w = w;
	if (l)
		s->link = *l;
	s->ip[0] = cli;
	s->ip[1] = srv;
	s->port[0] = cport;
	s->port[1] = sport;
	s->isn[0] = isn_c;
	s->isn[1] = isn_s;
	s->nxt[0] = isn_c;
	s->nxt[1] = isn_s;
	s->t = t0;
	s->step_us = 1000;
	s->mss = 1460;
	s->ipid[0] = (uint16_t)(isn_c >> 3);
	s->ipid[1] = (uint16_t)(isn_s >> 3);
	s->ack_each = true;
}

void pg_tcp_advance(struct pg_tcp *s, uint64_t us) { s->t += us; }

void pg_tcp_segment(struct pg_tcp *s, int dir, uint32_t seq, uint8_t flags, const uint8_t *data, size_t len)
{
	uint8_t pkt[70000];
	size_t n = pg_build_tcp(pkt, sizeof(pkt), &s->ip[dir], &s->ip[dir ^ 1], s->port[dir], s->port[dir ^ 1], seq,
				s->nxt[dir ^ 1], flags, 65535, data, len, s->ipid[dir]++);
	if (!n)
		return;
	pg_emit_ip(s->w, &s->link, s->t, pkt, n);
	s->t += s->step_us;
}

void pg_tcp_handshake(struct pg_tcp *s)
{
	pg_tcp_segment(s, PG_C2S, s->nxt[0], PG_SYN, NULL, 0);
	s->nxt[0]++;
	pg_tcp_segment(s, PG_S2C, s->nxt[1], PG_SYN | PG_ACK, NULL, 0);
	s->nxt[1]++;
	pg_tcp_segment(s, PG_C2S, s->nxt[0], PG_ACK, NULL, 0);
}

void pg_tcp_ack(struct pg_tcp *s, int dir) { pg_tcp_segment(s, dir, s->nxt[dir], PG_ACK, NULL, 0); }

void pg_tcp_send(struct pg_tcp *s, int dir, const uint8_t *data, size_t len)
{
	size_t off = 0;
	while (off < len) {
		size_t n = len - off > s->mss ? s->mss : len - off;
		uint8_t fl = PG_ACK | (off + n == len ? PG_PSH : 0);
		pg_tcp_segment(s, dir, s->nxt[dir], fl, data + off, n);
		s->nxt[dir] += (uint32_t)n;
		off += n;
		if (s->ack_each)
			pg_tcp_ack(s, dir ^ 1);
	}
}

void pg_tcp_send_pieces(struct pg_tcp *s, int dir, const uint8_t *data, size_t len, const size_t *cuts, int ncuts,
			const int *order, const int *drop, int ndrop)
{
	int npieces = ncuts + 1;
	for (int k = 0; k < npieces; k++) {
		int i = order ? order[k] : k;
		size_t start = i == 0 ? 0 : cuts[i - 1];
		size_t end = i == ncuts ? len : cuts[i];
		bool dropped = false;
		for (int d = 0; d < ndrop; d++)
			if (drop[d] == i)
				dropped = true;
		if (dropped)
			continue;
		pg_tcp_segment(s, dir, s->nxt[dir] + (uint32_t)start, PG_ACK | PG_PSH, data + start, end - start);
	}
	s->nxt[dir] += (uint32_t)len;
	pg_tcp_ack(s, dir ^ 1);
}

void pg_tcp_close(struct pg_tcp *s, int first)
{
	int other = first ^ 1;
	pg_tcp_segment(s, first, s->nxt[first], PG_FIN | PG_ACK, NULL, 0);
	s->nxt[first]++;
	pg_tcp_segment(s, other, s->nxt[other], PG_FIN | PG_ACK, NULL, 0);
	s->nxt[other]++;
	pg_tcp_ack(s, first);
}

void pg_tcp_reset(struct pg_tcp *s, int dir) { pg_tcp_segment(s, dir, s->nxt[dir], PG_RST | PG_ACK, NULL, 0); }

void pg_udp(struct pg_writer *w, const struct pg_link *l, uint64_t ts_us, struct pg_addr src, uint16_t sport,
	    struct pg_addr dst, uint16_t dport, const uint8_t *payload, size_t plen)
{
	uint8_t pkt[70000];
	static uint16_t id = 100;
	size_t n = pg_build_udp(pkt, sizeof(pkt), &src, &dst, sport, dport, payload, plen, id++);
	if (n)
		pg_emit_ip(w, l, ts_us, pkt, n);
}

/* ------------------------------------------------------------------ scripts */

bool pg_script_add(struct pg_script *s, int dir, const uint8_t *data, size_t len)
{
	if (s->len + len > s->cap)
		return false;
	if (s->n > 0 && s->msg[s->n - 1].dir == dir) {
		s->msg[s->n - 1].len += len;
	} else {
		if (s->n == PG_SCRIPT_MSGS)
			return false;
		s->msg[s->n].dir = dir;
		s->msg[s->n].off = s->len;
		s->msg[s->n].len = len;
		s->n++;
	}
	memcpy(s->buf + s->len, data, len);
	s->len += len;
	return true;
}

/* ------------------------------------------------------------------ main */

static const struct pg_scenario *const tables[] = {
	pg_core_scenarios,
	pg_tls_scenarios,
	pg_obs_scenarios,
	pg_smb_scenarios,
	pg_dns_scenarios,
	pg_rules_scenarios,
	pg_http_scenarios,
	/* new tables go last: pg_udp's IP ID counter runs across the scenarios in this order */
	pg_probe_scenarios,
	pg_dns_query_scenarios,
	pg_tls_et_scenarios,
	pg_dns_et_scenarios,
};

/* scenarios written only when named */
static const struct pg_scenario *const ondemand[] = {
	pg_bench_scenarios,
	pg_http_bench_scenarios,
	pg_hostile_scenarios,
};

static void usage(void)
{
	fprintf(stderr, "usage: pcapgen [-l] [-o DIR] [NAME...]\n"
			"Write the generated test captures (all, or the named ones) into DIR (default .).\n"
			"  -l   list the scenarios\n");
}

int main(int argc, char **argv)
{
	const char *dir = ".";
	bool list = false;
	int first = 1;
	for (; first < argc && argv[first][0] == '-'; first++) {
		if (!strcmp(argv[first], "-l")) {
			list = true;
		} else if (!strcmp(argv[first], "-o") && first + 1 < argc) {
			dir = argv[++first];
		} else {
			usage();
			return 1;
		}
	}
	int rc = 0, matched = 0;
	size_t ntables = sizeof(tables) / sizeof(tables[0]);
	size_t nall = ntables + sizeof(ondemand) / sizeof(ondemand[0]);
	for (size_t t = 0; t < nall; t++) {
		const struct pg_scenario *table = t < ntables ? tables[t] : ondemand[t - ntables];
		for (const struct pg_scenario *sc = table; sc->name; sc++) {
			bool want = first >= argc && t < ntables;
			for (int i = first; i < argc; i++)
				if (!strcmp(argv[i], sc->name))
					want = true;
			if (!want)
				continue;
			matched++;
			if (list) {
				printf("%-32s %s\n", sc->name, sc->what);
				continue;
			}
			char path[4096];
			snprintf(path, sizeof(path), "%s/%s.pcap", dir, sc->name);
			if (!sc->write(path)) {
				fprintf(stderr, "pcapgen: %s failed\n", sc->name);
				rc = 1;
			}
		}
	}
	if (first < argc && matched < argc - first) {
		fprintf(stderr, "pcapgen: unknown scenario name given (see -l)\n");
		rc = 1;
	}
	return rc;
}
