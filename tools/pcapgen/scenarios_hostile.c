/* scenarios_hostile.c - hostile traffic for tools/memtest (memory and time under attack): TCP
 * segments out of order, overlapping and retransmitted with other bytes behind holes that are
 * never filled (RFC 793 3.3, 3.9); IPv4 (RFC 791) and IPv6 (RFC 8200 4.5) fragment floods that
 * never complete; TLS records announcing 0xFFFF bytes (RFC 5246 6.2.1) sent one byte per segment;
 * SMB direct-TCP messages announcing 0xFFFFFF bytes (RFC 1002 4.3.1, MS-SMB2 2.1) followed by too
 * little; DNS compression pointer loops and chains (RFC 1035 4.1.4); payloads on which a
 * catastrophic-backtracking PCRE runs into its limits. Written only when named; sizes from
 * PCAPGEN_* environment variables (see each scenario); every byte depends on fixed seeds only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapgen.h"

#define T0 1700400000000000ULL

static uint32_t env_u32(const char *name, uint32_t def, uint32_t max)
{
	const char *e = getenv(name);
	if (!e || !*e)
		return def;
	unsigned long v = strtoul(e, NULL, 10);
	return v > max ? max : (uint32_t)v;
}

/* A 32-bit mix of a flow number (the finaliser of MurmurHash3): initial sequence numbers. */
static uint32_t mix32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x85ebca6bu;
	x ^= x >> 13;
	x *= 0xc2b2ae35u;
	x ^= x >> 16;
	return x;
}

static struct pg_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct pg_addr r;
	memset(&r, 0, sizeof(r));
	r.family = 4;
	r.a[0] = a, r.a[1] = b, r.a[2] = c, r.a[3] = d;
	return r;
}

/* 2001:db8:<net>::<n> */
static struct pg_addr v6(uint16_t net, uint32_t n)
{
	struct pg_addr r;
	memset(&r, 0, sizeof(r));
	r.family = 6;
	r.a[0] = 0x20, r.a[1] = 0x01, r.a[2] = 0x0d, r.a[3] = 0xb8;
	r.a[4] = (uint8_t)(net >> 8), r.a[5] = (uint8_t)net;
	r.a[12] = (uint8_t)(n >> 24), r.a[13] = (uint8_t)(n >> 16), r.a[14] = (uint8_t)(n >> 8), r.a[15] = (uint8_t)n;
	return r;
}

/* One TCP segment on plain Ethernet. */
static void seg(struct pg_writer *w, uint64_t t, const struct pg_addr *src, const struct pg_addr *dst, uint16_t sp,
		uint16_t dp, uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *p, size_t n)
{
	static uint8_t pkt[70000];
	static const struct pg_link l = {0};
	size_t len = pg_build_tcp(pkt, sizeof(pkt), src, dst, sp, dp, seq, ack, flags, 65535, p, n,
				  (uint16_t)(seq ^ (seq >> 16)));
	if (len)
		pg_emit_ip(w, &l, t, pkt, len);
}

static void udp(struct pg_writer *w, uint64_t t, const struct pg_addr *src, const struct pg_addr *dst, uint16_t sp,
		uint16_t dp, const uint8_t *p, size_t n)
{
	static uint8_t pkt[70000];
	static const struct pg_link l = {0};
	size_t len = pg_build_udp(pkt, sizeof(pkt), src, dst, sp, dp, p, n, (uint16_t)(t >> 3));
	if (len)
		pg_emit_ip(w, &l, t, pkt, len);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* ------------------------------------------------------------ hostile-ooo */

/* Byte o of a direction's stream, version v (a retransmission carries v = 1: other bytes for the
 * same sequence numbers). The stream is a run of 64-byte TLS application-data records, so a
 * session picked up mid-stream is recognised and stays wanted. */
static uint8_t ooo_byte(uint32_t o, int v)
{
	static const uint8_t hdr[5] = {0x17, 0x03, 0x03, 0x00, 0x3b};
	if (o % 64 < 5)
		return hdr[o % 64];
	return (uint8_t)('a' + (o * 7 + (uint32_t)v * 11) % 26);
}

struct ooo_flow {
	struct pg_addr c, s;
	uint16_t cp, sp;
	uint32_t cbase, sbase; /* sequence number of stream byte 0, per direction */
	int kind;              /* 0, 1: IPv4 with handshake (libnids); 2: IPv4 mid-stream; 3: IPv6 */
};

static void ooo_flow(struct ooo_flow *f, uint32_t i)
{
	f->kind = (int)(i % 4);
	if (f->kind == 3) {
		f->c = v6(0x64, i);
		f->s = v6(0x443, 1 + i % 64);
	} else {
		f->c = v4(10, (uint8_t)(64 + (i >> 16)), (uint8_t)(i >> 8), (uint8_t)i);
		f->s = v4(172, 21, (uint8_t)(i % 250), 1);
	}
	f->cp = (uint16_t)(20000 + i % 40000);
	f->sp = 443;
	uint32_t ic = mix32(i * 2 + 1), is = mix32(i * 2 + 2);
	f->cbase = ic + 1;
	f->sbase = is + 1;
}

/* Stream bytes [from, to) of version v from side dir (0 = client), as one segment. */
static void ooo_data(struct pg_writer *w, uint64_t t, const struct ooo_flow *f, int dir, uint32_t from, uint32_t to,
		     int v)
{
	uint8_t p[512];
	for (uint32_t o = from; o < to && o - from < sizeof(p); o++)
		p[o - from] = ooo_byte(o, v);
	if (dir == 0)
		seg(w, t, &f->c, &f->s, f->cp, f->sp, f->cbase + from, f->sbase, PG_ACK | PG_PSH, p, to - from);
	else
		seg(w, t, &f->s, &f->c, f->sp, f->cp, f->sbase + from, f->cbase, PG_ACK | PG_PSH, p, to - from);
}

/* PCAPGEN_OOO_FLOWS (default 200000) TCP sessions open at once. Each step is taken by every
 * session before the next step, so all of them hold their queues together. Per session: a
 * handshake (a quarter picked up mid-stream, a quarter IPv6), then the client's stream with its
 * first 64 bytes never sent: segments after the hole out of order, one overlapping two others,
 * two retransmissions with other bytes, a second hole, PCAPGEN_OOO_TINY (default 12) one-byte
 * segments one byte apart (each its own queue entry); the server's stream with a hole too, a
 * retransmission with other bytes, and ACKs that never acknowledge past a hole. */
static bool hostile_ooo(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	uint32_t n = env_u32("PCAPGEN_OOO_FLOWS", 200000, 1u << 22);
	uint32_t tiny = env_u32("PCAPGEN_OOO_TINY", 12, 256);
	uint64_t t = T0;
	uint32_t steps = 11 + tiny;
	for (uint32_t step = 0; step < steps; step++) {
		for (uint32_t i = 0; i < n; i++, t++) {
			struct ooo_flow f;
			ooo_flow(&f, i);
			bool hs = f.kind != 2;
			switch (step) {
			case 0:
				if (hs)
					seg(&w, t, &f.c, &f.s, f.cp, f.sp, f.cbase - 1, 0, PG_SYN, NULL, 0);
				break;
			case 1:
				if (hs)
					seg(&w, t, &f.s, &f.c, f.sp, f.cp, f.sbase - 1, f.cbase, PG_SYN | PG_ACK, NULL, 0);
				break;
			case 2:
				if (hs)
					seg(&w, t, &f.c, &f.s, f.cp, f.sp, f.cbase, f.sbase, PG_ACK, NULL, 0);
				break;
			case 3: ooo_data(&w, t, &f, 0, 128, 192, 0); break;
			case 4: ooo_data(&w, t, &f, 0, 64, 128, 0); break;
			case 5: ooo_data(&w, t, &f, 0, 96, 256, 0); break;  /* overlaps both, adds [192, 256) */
			case 6: ooo_data(&w, t, &f, 0, 128, 192, 1); break; /* retransmission, other bytes */
			case 7: ooo_data(&w, t, &f, 0, 320, 384, 0); break; /* [256, 320) never comes */
			case 8: ooo_data(&w, t, &f, 1, 64, 192, 0); break;  /* server: [0, 64) never comes */
			case 9: ooo_data(&w, t, &f, 1, 64, 128, 1); break;  /* retransmission, other bytes */
			case 10: /* the client acknowledges the server's stream only up to its hole */
				seg(&w, t, &f.c, &f.s, f.cp, f.sp, f.cbase, f.sbase, PG_ACK, NULL, 0);
				break;
			default: { /* one-byte segments with one-byte holes between them */
				uint32_t o = 400 + 2 * (step - 11);
				ooo_data(&w, t, &f, 0, o, o + 1, (int)(step & 1));
				break;
			}
			}
		}
	}
	pg_close(&w);
	return true;
}

/* ------------------------------------------------------------ hostile-frag */

static uint16_t csum16(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* One fragment: payload bytes [off, off+n) of datagram id (UDP), more = MF set. */
static void frag(struct pg_writer *w, uint64_t t, const struct pg_addr *src, const struct pg_addr *dst, uint32_t id,
		 uint32_t off, bool more, const uint8_t *p, size_t n)
{
	static uint8_t pkt[70000];
	static const struct pg_link l = {0};
	size_t h;
	if (src->family == 4) {
		memset(pkt, 0, 20);
		pkt[0] = 0x45;
		put16(pkt + 2, (uint16_t)(20 + n));
		put16(pkt + 4, (uint16_t)id);
		put16(pkt + 6, (uint16_t)((more ? 0x2000 : 0) | (off / 8)));
		pkt[8] = 64;
		pkt[9] = 17;
		memcpy(pkt + 12, src->a, 4);
		memcpy(pkt + 16, dst->a, 4);
		put16(pkt + 10, csum16(pkt, 20));
		h = 20;
	} else {
		memset(pkt, 0, 48);
		put32(pkt, 0x60000000u);
		put16(pkt + 4, (uint16_t)(8 + n));
		pkt[6] = 44;
		pkt[7] = 64;
		memcpy(pkt + 8, src->a, 16);
		memcpy(pkt + 24, dst->a, 16);
		pkt[40] = 17;
		put16(pkt + 42, (uint16_t)(off | (more ? 1 : 0)));
		put32(pkt + 44, id);
		h = 48;
	}
	memcpy(pkt + h, p, n);
	pg_emit_ip(w, &l, t, pkt, h + n);
}

/* PCAPGEN_FRAG_DGRAMS (default 200000) fragmented UDP datagrams from as many sources, 100 us
 * apart (so the run spans several reassembly timeouts), IPv4 and IPv6 alike: tiny fragments
 * whose last never comes, overlapping fragments, a fragment at the end of the 64 KiB payload
 * space (each makes a reassembly buffer of 64 KiB), a first and a last with the middle missing,
 * every 64th one of 200 tiny fragments (past the per-datagram cap), and a complete datagram in
 * three fragments every 16th, IPv4 and IPv6 (reassembly still works under the flood). */
static bool hostile_frag(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	uint32_t n = env_u32("PCAPGEN_FRAG_DGRAMS", 200000, 1u << 24);
	static uint8_t p[4096];
	for (size_t k = 0; k < sizeof(p); k++)
		p[k] = (uint8_t)(k * 13 + 7);
	const struct pg_addr d4 = v4(172, 22, 0, 1), d6 = v6(0x22, 1);
	uint64_t t = T0;
	for (uint32_t d = 0; d < n; d++) {
		bool six = (d / 8) % 2 == 1;
		struct pg_addr s = six ? v6(0x100, d) : v4(10, (uint8_t)(100 + (d >> 16)), (uint8_t)(d >> 8), (uint8_t)d);
		const struct pg_addr *dst = six ? &d6 : &d4;
		uint32_t id = six ? mix32(d) : (d & 0xffff);
		switch (d % 8) {
		case 0: case 1: /* tiny fragments, the last never comes */
			for (uint32_t k = 0; k < 3; k++)
				frag(&w, t += 100, &s, dst, id, 16 * k, true, p, 8);
			break;
		case 2: /* overlapping fragments */
			frag(&w, t += 100, &s, dst, id, 0, true, p, 24);
			frag(&w, t += 100, &s, dst, id, 8, true, p + 100, 24);
			frag(&w, t += 100, &s, dst, id, 16, true, p + 200, 32);
			break;
		case 3: /* a fragment at the end of the payload space: a 64 KiB buffer */
			frag(&w, t += 100, &s, dst, id, 0, true, p, 64);
			frag(&w, t += 100, &s, dst, id, 65512, true, p, 16);
			break;
		case 4: /* first and last, the middle never comes */
			frag(&w, t += 100, &s, dst, id, 0, true, p, 512);
			frag(&w, t += 100, &s, dst, id, 1024, false, p, 100);
			break;
		case 5:
		case 6:
			if (d % 64 == 5) { /* more fragments than a datagram may have */
				for (uint32_t k = 0; k < 200; k++)
					frag(&w, t += 100, &s, dst, id, 16 * k, true, p, 8);
				break;
			}
			/* overlapping, same offset twice with other bytes */
			frag(&w, t += 100, &s, dst, id, 0, true, p, 256);
			frag(&w, t += 100, &s, dst, id, 0, true, p + 1000, 256);
			break;
		default: /* every 16th: a complete datagram of 8 + 2000 bytes in three fragments */
			if ((d / 16) % 2 == 0) {
				uint8_t dg[2008];
				put16(dg, 40000);
				put16(dg + 2, 9999);
				put16(dg + 4, sizeof(dg));
				put16(dg + 6, 0); /* no UDP checksum (IPv4 only; IPv6 gets one below) */
				memcpy(dg + 8, p, 2000);
				if (six) { /* UDP over IPv6 needs a checksum (RFC 8200 8.1) */
					uint32_t sum = 0;
					for (int k = 0; k < 16; k += 2)
						sum += (uint32_t)s.a[k] << 8 | s.a[k + 1], sum += (uint32_t)dst->a[k] << 8 | dst->a[k + 1];
					sum += 17 + sizeof(dg);
					for (size_t k = 0; k < sizeof(dg); k += 2)
						sum += (uint32_t)dg[k] << 8 | dg[k + 1];
					while (sum >> 16)
						sum = (sum & 0xffff) + (sum >> 16);
					uint16_t c = (uint16_t)~sum;
					put16(dg + 6, c ? c : 0xffff);
				}
				frag(&w, t += 100, &s, dst, id, 1000, true, dg + 1000, 1000);
				frag(&w, t += 100, &s, dst, id, 0, true, dg, 1000);
				frag(&w, t += 100, &s, dst, id, 2000, false, dg + 2000, 8);
			} else {
				frag(&w, t += 100, &s, dst, id, 8, true, p, 8);
			}
			break;
		}
	}
	pg_close(&w);
	return true;
}

/* ------------------------------------------------------------ hostile-tls */

/* A TLS 1.2 ClientHello (hello = true) or ServerHello record into p; returns its length. */
static size_t tls_hello(uint8_t *p, bool client, uint32_t seed)
{
	size_t n = 0;
	p[n++] = 0x16, p[n++] = 0x03, p[n++] = client ? 0x01 : 0x03, n += 2; /* record, length below */
	p[n++] = client ? 0x01 : 0x02, n += 3;                               /* handshake, length below */
	p[n++] = 0x03, p[n++] = 0x03;
	for (int k = 0; k < 32; k++)
		p[n++] = (uint8_t)mix32(seed + (uint32_t)k);
	p[n++] = 0; /* session id */
	if (client) {
		static const uint8_t suites[8] = {0x00, 0x06, 0xc0, 0x2f, 0xc0, 0x30, 0x00, 0x9c};
		memcpy(p + n, suites, sizeof(suites)), n += sizeof(suites);
		p[n++] = 1, p[n++] = 0; /* compression: null */
	} else {
		p[n++] = 0xc0, p[n++] = 0x2f, p[n++] = 0;
	}
	p[n++] = 0, p[n++] = 0; /* no extensions */
	put16(p + 3, (uint16_t)(n - 5));
	p[6] = 0, put16(p + 7, (uint16_t)(n - 9));
	return n;
}

/* Byte o of the record a session sends one byte per segment: a handshake record announcing
 * 0xFFFF bytes (big) or the largest length a record may have, 16384 + 2048 (RFC 5246 6.2.3),
 * holding a Certificate message of that size, then filler. */
static uint8_t tls_byte(uint32_t o, bool big)
{
	uint16_t rl = big ? 0xffff : 16384 + 2048;
	uint32_t ml = rl - 4u;
	uint8_t h[9] = {0x16, 0x03, 0x03, (uint8_t)(rl >> 8), (uint8_t)rl, 0x0b, (uint8_t)(ml >> 16),
			(uint8_t)(ml >> 8), (uint8_t)ml};
	return o < 9 ? h[o] : (uint8_t)(o * 31 + 7);
}

/* PCAPGEN_TLS_SESSIONS (default 1000) TLS sessions in parallel on 443: handshake, ClientHello,
 * ServerHello, then the client sends the first PCAPGEN_TLS_BYTES (default 2048) bytes of a
 * record one byte per segment, every session's byte k before any session's byte k+1, and never
 * the rest: even sessions a record announcing 0xFFFF bytes, odd ones the largest legal record
 * (18432 bytes). Then PCAPGEN_TLS_FULL (default 4) sessions, two of each kind, send their whole
 * record one byte per segment (65540 and 18437 segments), then an alert record. */
static bool hostile_tls(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	uint32_t n = env_u32("PCAPGEN_TLS_SESSIONS", 1000, 1u << 16);
	uint32_t bytes = env_u32("PCAPGEN_TLS_BYTES", 2048, 65540);
	uint32_t full = env_u32("PCAPGEN_TLS_FULL", 4, 256);
	uint64_t t = T0;
	const struct pg_addr srv = v4(172, 23, 0, 1);
	uint8_t ch[128], sh[128];
	for (uint32_t phase = 0; phase < 2; phase++) {
		uint32_t ns = phase == 0 ? n : full;
		for (uint32_t step = 0;; step++) {
			bool more = false;
			for (uint32_t i = 0; i < ns; i++, t++) {
				uint32_t fid = phase << 16 | i;
				struct pg_addr c = v4(10, (uint8_t)(120 + phase), (uint8_t)(i >> 8), (uint8_t)i);
				uint16_t cp = (uint16_t)(30000 + i);
				uint32_t cb = mix32(fid * 2 + 1) + 1, sb = mix32(fid * 2 + 2) + 1;
				bool big = i % 2 == 0;
				size_t chl = tls_hello(ch, true, fid), shl = tls_hello(sh, false, fid + 99);
				uint32_t len = phase == 0 ? bytes : big ? 5 + 0xffff : 5 + 16384 + 2048;
				uint32_t c0 = cb + (uint32_t)chl, s0 = sb + (uint32_t)shl; /* after the hellos */
				if (step < 5 + len + 1)
					more = true;
				switch (step) {
				case 0: seg(&w, t, &c, &srv, cp, 443, cb - 1, 0, PG_SYN, NULL, 0); continue;
				case 1: seg(&w, t, &srv, &c, 443, cp, sb - 1, cb, PG_SYN | PG_ACK, NULL, 0); continue;
				case 2: seg(&w, t, &c, &srv, cp, 443, cb, sb, PG_ACK, NULL, 0); continue;
				case 3: seg(&w, t, &c, &srv, cp, 443, cb, sb, PG_ACK | PG_PSH, ch, chl); continue;
				case 4: seg(&w, t, &srv, &c, 443, cp, sb, c0, PG_ACK | PG_PSH, sh, shl); continue;
				default: break;
				}
				uint32_t o = step - 5;
				if (o < len) {
					uint8_t b = tls_byte(o, big);
					seg(&w, t, &c, &srv, cp, 443, c0 + o, s0, PG_ACK | PG_PSH, &b, 1);
				} else if (o == len && phase == 1) {
					static const uint8_t alert[7] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28};
					seg(&w, t, &c, &srv, cp, 443, c0 + o, s0, PG_ACK | PG_PSH, alert, sizeof(alert));
				} else if (o == len) { /* the server acknowledges what came */
					seg(&w, t, &srv, &c, 443, cp, s0, c0 + len, PG_ACK, NULL, 0);
				}
			}
			if (!more)
				break;
		}
	}
	pg_close(&w);
	return true;
}

/* ------------------------------------------------------------ hostile-smb */

/* PCAPGEN_SMB_SESSIONS (default 50000) SMB sessions on 445 in parallel: the client's first
 * message announces 0xFFFFFF bytes in its direct-TCP header (an SMB1 NEGOTIATE header, then
 * 1 KiB), the server answers with an SMB2 header announcing 0xFFFFFF bytes too, and neither ever
 * sends the rest. Every 4th session sends its first 40 bytes one byte per segment; every 8th is
 * picked up mid-stream (no handshake). */
static bool hostile_smb(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	uint32_t n = env_u32("PCAPGEN_SMB_SESSIONS", 50000, 1u << 22);
	static uint8_t cmsg[4 + 32 + 1024], smsg[4 + 64 + 128];
	memset(cmsg, 0, sizeof(cmsg));
	cmsg[0] = 0x00, cmsg[1] = 0xff, cmsg[2] = 0xff, cmsg[3] = 0xff;
	memcpy(cmsg + 4, "\xffSMB\x72", 5);
	cmsg[4 + 9] = 0x18; /* flags */
	for (size_t k = 36; k < sizeof(cmsg); k++)
		cmsg[k] = (uint8_t)(k * 3);
	memset(smsg, 0, sizeof(smsg));
	smsg[0] = 0x00, smsg[1] = 0xff, smsg[2] = 0xff, smsg[3] = 0xff;
	memcpy(smsg + 4, "\xfeSMB", 4);
	smsg[8] = 64; /* StructureSize */
	smsg[4 + 16] = 0x01; /* flags: a response */
	for (size_t k = 68; k < sizeof(smsg); k++)
		smsg[k] = (uint8_t)(k * 5);
	uint64_t t = T0;
	for (uint32_t step = 0; step < 3 + 40 + 3; step++) {
		for (uint32_t i = 0; i < n; i++, t++) {
			struct pg_addr c = v4(10, (uint8_t)(140 + (i >> 16)), (uint8_t)(i >> 8), (uint8_t)i);
			struct pg_addr s = v4(172, 24, (uint8_t)(i % 200), 45);
			uint16_t cp = (uint16_t)(10000 + i % 50000);
			uint32_t cb = mix32(i * 2 + 11) + 1, sb = mix32(i * 2 + 12) + 1;
			bool mid = i % 8 == 7, bytewise = i % 4 == 1;
			if (step < 3) {
				if (mid)
					continue;
				if (step == 0)
					seg(&w, t, &c, &s, cp, 445, cb - 1, 0, PG_SYN, NULL, 0);
				else if (step == 1)
					seg(&w, t, &s, &c, 445, cp, sb - 1, cb, PG_SYN | PG_ACK, NULL, 0);
				else
					seg(&w, t, &c, &s, cp, 445, cb, sb, PG_ACK, NULL, 0);
				continue;
			}
			uint32_t k = step - 3;
			if (k < 40) {
				if (bytewise)
					seg(&w, t, &c, &s, cp, 445, cb + k, sb, PG_ACK | PG_PSH, cmsg + k, 1);
				else if (k == 0)
					seg(&w, t, &c, &s, cp, 445, cb, sb, PG_ACK | PG_PSH, cmsg, 40);
				continue;
			}
			if (k == 40)
				seg(&w, t, &c, &s, cp, 445, cb + 40, sb, PG_ACK | PG_PSH, cmsg + 40, sizeof(cmsg) - 40);
			else if (k == 41)
				seg(&w, t, &s, &c, 445, cp, sb, cb + sizeof(cmsg), PG_ACK | PG_PSH, smsg, sizeof(smsg));
			else
				seg(&w, t, &c, &s, cp, 445, cb + sizeof(cmsg), sb + sizeof(smsg), PG_ACK, NULL, 0);
		}
	}
	pg_close(&w);
	return true;
}

/* ------------------------------------------------------------ hostile-dns */

/* A DNS message of kind k into m (at most cap bytes); returns its length. */
static size_t dns_hostile_msg(uint8_t *m, size_t cap, uint32_t k, uint16_t id)
{
	size_t n = 12;
	memset(m, 0, 12);
	put16(m, id);
	switch (k) {
	case 0: /* a question whose name is a pointer to itself */
		put16(m + 2, 0x0100);
		put16(m + 4, 1);
		m[n++] = 0xc0, m[n++] = 12;
		put16(m + n, 1), put16(m + n + 2, 1), n += 4;
		return n;
	case 1: /* an answer: a good question, a record whose name is a two-pointer loop */
		put16(m + 2, 0x8180);
		put16(m + 4, 1);
		put16(m + 6, 1);
		memcpy(m + n, "\x07" "example\x03" "com\x00", 13), n += 13;
		put16(m + n, 1), put16(m + n + 2, 1), n += 4;
		m[n] = 0xc0, m[n + 1] = (uint8_t)(n + 2), m[n + 2] = 0xc0, m[n + 3] = (uint8_t)n; /* a -> b -> a */
		n += 4;
		put16(m + n, 1), put16(m + n + 2, 1), put32(m + n + 4, 60), put16(m + n + 8, 4), n += 10;
		memcpy(m + n, "\x01\x02\x03\x04", 4), n += 4;
		return n;
	case 2:
	case 3: { /* a chain: NULL-record rdata of names, each a label and a pointer to the one
		   * before; then as many A records as fit, all named by the end of the chain (kind 3:
		   * a chain too long for a name of 255 bytes) */
		uint32_t hops = k == 2 ? 100 : 180;
		put16(m + 2, 0x8180);
		put16(m + 4, 1);
		memcpy(m + n, "\x04" "loop\x07" "example\x00", 14), n += 14;
		put16(m + n, 1), put16(m + n + 2, 1), n += 4;
		m[n++] = 0xc0, m[n++] = 12;
		put16(m + n, 10), put16(m + n + 2, 1), put32(m + n + 4, 0), put16(m + n + 8, (uint16_t)(hops * 4));
		n += 10;
		size_t prev = 12, last = 12;
		for (uint32_t h = 0; h < hops; h++) {
			last = n;
			m[n++] = 1, m[n++] = (uint8_t)('a' + h % 26);
			m[n++] = (uint8_t)(0xc0 | (prev >> 8)), m[n++] = (uint8_t)prev;
			prev = last;
		}
		uint16_t an = 1;
		while (n + 16 <= cap && an < 0xffff) {
			m[n++] = (uint8_t)(0xc0 | (last >> 8)), m[n++] = (uint8_t)last;
			put16(m + n, 1), put16(m + n + 2, 1), put32(m + n + 4, 60), put16(m + n + 8, 4), n += 10;
			put32(m + n, 0x0a000001u + an), n += 4;
			an++;
		}
		put16(m + 6, an);
		return n;
	}
	case 4: /* a pointer forward, past the end of the message */
		put16(m + 2, 0x0100);
		put16(m + 4, 1);
		m[n++] = 0xc0, m[n++] = 0xff;
		put16(m + n, 1), put16(m + n + 2, 1), n += 4;
		return n;
	default: /* a query counting 0xFFFF questions, each a pointer to the one before */
		put16(m + 2, 0x0100);
		put16(m + 4, 0xffff);
		memcpy(m + n, "\x03" "www\x00", 5), n += 5;
		put16(m + n, 1), put16(m + n + 2, 1), n += 4;
		for (size_t prev = 12; n + 6 <= cap; n += 6) { /* question j: a chain of j pointers */
			m[n] = (uint8_t)(0xc0 | (prev >> 8)), m[n + 1] = (uint8_t)prev;
			put16(m + n + 2, 1), put16(m + n + 4, 1);
			prev = n;
		}
		return n;
	}
}

/* PCAPGEN_DNS_MSGS (default 200000) hostile DNS messages over UDP, 5 us apart, between one
 * server and 4096 clients whose flows start with a plain query (pointer loops, long pointer chains named by every record, chains
 * making names past 255 bytes, pointers past the end, thousands of questions by pointer; every
 * 32nd message in a 9000-byte datagram), plus every 16th message a query on one busy flow that
 * is never answered (its pending queries overflow), and a TCP/53 session carrying every
 * 64th message with two-byte length framing. */
static bool hostile_dns(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	uint32_t n = env_u32("PCAPGEN_DNS_MSGS", 200000, 1u << 26);
	static uint8_t m[9000 + 2];
	const struct pg_addr srv = v4(172, 25, 0, 53), busy = v4(10, 160, 0, 1);
	const struct pg_addr tc = v4(10, 161, 0, 1);
	uint32_t tcb = 1000001, tsb = 5000001;
	uint64_t t = T0;
	seg(&w, t++, &tc, &srv, 40053, 53, tcb - 1, 0, PG_SYN, NULL, 0);
	seg(&w, t++, &srv, &tc, 53, 40053, tsb - 1, tcb, PG_SYN | PG_ACK, NULL, 0);
	seg(&w, t++, &tc, &srv, 40053, 53, tcb, tsb, PG_ACK, NULL, 0);
	static const uint8_t plain[35] = {0, 33, 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'w', 'w', 'w',
					  7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'o', 'r', 'g', 0, 0, 1, 0, 1};
	seg(&w, t++, &tc, &srv, 40053, 53, tcb, tsb, PG_ACK | PG_PSH, plain, sizeof(plain)); /* starts as DNS */
	tcb += sizeof(plain);
	for (uint32_t i = 0; i < n; i++) {
		t += 5;
		uint32_t k = i % 6;
		size_t cap = i % 32 == 31 ? 9000 : 1400;
		size_t len = dns_hostile_msg(m + 2, cap, k, (uint16_t)mix32(i));
		struct pg_addr c = v4(10, 162, (uint8_t)((i >> 8) & 15), (uint8_t)i);
		uint16_t cp = (uint16_t)(1024 + (i & 4095));
		bool answer = k == 1 || k == 2 || k == 3;
		if (i < 4096) { /* each client's flow starts as DNS: a plain query first */
			uint8_t q[40];
			put16(q, (uint16_t)~i), put16(q + 2, 0x0100), put16(q + 4, 1), memset(q + 6, 0, 6);
			memcpy(q + 12, "\x03" "www\x07" "example\x03" "org\x00", 17);
			put16(q + 29, 1), put16(q + 31, 1);
			udp(&w, t++, &c, &srv, cp, 53, q, 33);
		}
		if (answer)
			udp(&w, t, &srv, &c, 53, cp, m + 2, len);
		else
			udp(&w, t, &c, &srv, cp, 53, m + 2, len);
		if (i % 16 == 0) { /* a query never answered, on one flow */
			uint8_t q[32];
			size_t ql = 0;
			put16(q, (uint16_t)i), put16(q + 2, 0x0100), put16(q + 4, 1), memset(q + 6, 0, 6), ql = 12;
			memcpy(q + ql, "\x04" "busy\x00", 6), ql += 6;
			put16(q + ql, 1), put16(q + ql + 2, 1), ql += 4;
			udp(&w, t + 1, &busy, &srv, 5353, 53, q, ql);
		}
		if (i % 64 == 0) { /* over TCP, framed */
			put16(m, (uint16_t)len);
			if (answer) {
				seg(&w, t + 2, &srv, &tc, 53, 40053, tsb, tcb, PG_ACK | PG_PSH, m, len + 2);
				tsb += (uint32_t)len + 2;
			} else {
				seg(&w, t + 2, &tc, &srv, 40053, 53, tcb, tsb, PG_ACK | PG_PSH, m, len + 2);
				tcb += (uint32_t)len + 2;
			}
		}
	}
	pg_close(&w);
	return true;
}

/* ------------------------------------------------------------ hostile-pcre */

/* PCAPGEN_PCRE_PKTS (default 4000) packets on which tests/data/rules/hostile-pcre.rules runs into
 * PCRE2's limits: TCP segments of 1400 bytes of 'a' and a final '!' on 8 sessions to port 7000
 * (the match limit: /(a+)+$/ backtracks exponentially), and every 8th packet a UDP datagram of
 * 12000 'a' and a '!' to port 7001 (the depth limit: /^(a|b)*c/ nests a backtracking frame per
 * byte). */
static bool hostile_pcre(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	uint32_t n = env_u32("PCAPGEN_PCRE_PKTS", 4000, 1u << 24);
	static uint8_t p[12001];
	memset(p, 'a', sizeof(p));
	const struct pg_addr srv = v4(172, 26, 0, 7);
	uint32_t cb[8], sb[8];
	uint64_t t = T0;
	for (uint32_t s = 0; s < 8; s++) {
		struct pg_addr c = v4(10, 170, 0, (uint8_t)(1 + s));
		cb[s] = mix32(s + 100) + 1;
		sb[s] = mix32(s + 200) + 1;
		seg(&w, t++, &c, &srv, (uint16_t)(50000 + s), 7000, cb[s] - 1, 0, PG_SYN, NULL, 0);
		seg(&w, t++, &srv, &c, 7000, (uint16_t)(50000 + s), sb[s] - 1, cb[s], PG_SYN | PG_ACK, NULL, 0);
		seg(&w, t++, &c, &srv, (uint16_t)(50000 + s), 7000, cb[s], sb[s], PG_ACK, NULL, 0);
	}
	for (uint32_t i = 0; i < n; i++) {
		t += 10;
		struct pg_addr c = v4(10, 170, 0, (uint8_t)(1 + i % 8));
		if (i % 8 == 7) {
			p[12000] = '!';
			udp(&w, t, &c, &srv, (uint16_t)(50000 + i % 8), 7001, p, 12001);
			p[12000] = 'a';
			continue;
		}
		uint32_t s = i % 8;
		p[1399] = '!';
		seg(&w, t, &c, &srv, (uint16_t)(50000 + s), 7000, cb[s], sb[s], PG_ACK | PG_PSH, p, 1400);
		p[1399] = 'a';
		cb[s] += 1400;
	}
	pg_close(&w);
	return true;
}

const struct pg_scenario pg_hostile_scenarios[] = {
	{"hostile-ooo", "concurrent TCP sessions of out-of-order, overlapping, retransmitted segments behind holes never filled (PCAPGEN_OOO_FLOWS, default 200000)", hostile_ooo},
	{"hostile-frag", "IPv4 and IPv6 fragment flood: datagrams never completed, overlaps, tiny and far fragments (PCAPGEN_FRAG_DGRAMS, default 200000)", hostile_frag},
	{"hostile-tls", "TLS records announcing 0xFFFF bytes, one byte per segment, many sessions in parallel (PCAPGEN_TLS_SESSIONS, default 1000)", hostile_tls},
	{"hostile-smb", "SMB messages announcing 0xFFFFFF bytes and then too little, many sessions in parallel (PCAPGEN_SMB_SESSIONS, default 50000)", hostile_smb},
	{"hostile-dns", "DNS compression pointer loops and chains at a high rate, UDP and TCP (PCAPGEN_DNS_MSGS, default 200000)", hostile_dns},
	{"hostile-pcre", "payloads a catastrophic-backtracking PCRE meets on every packet (PCAPGEN_PCRE_PKTS, default 4000)", hostile_pcre},
	{NULL, NULL, NULL},
};
