/* scenarios_bench.c - the large mixed capture for benchmarks (tools/bench): many interleaved TCP
 * sessions playing protocol scripts (TLS 1.2 with certificates and application data, HTTP
 * downloads with plain, chunked and gzip bodies, SMB when its area provides a script, opaque
 * payloads), DNS queries and answers, background UDP, port scans and a few attacks (a Heartbleed
 * session every 4096 sessions). Written only when named; its size comes from PCAPGEN_BENCH_MB
 * (default 1024). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pcapgen.h"

#define T0 1700000000000000ULL
#define ACTIVE 256
#define SCRIPT_CAP (96 * 1024)

struct bsess {
	struct pg_tcp s;
	struct pg_script sc;
	int phase;
	int k;          /* message being sent */
	size_t sent;    /* bytes of it sent */
	int segs;       /* segments since the last ACK */
	bool live;
};

static uint8_t blob[65536];

static void start(struct bsess *b, struct pg_writer *w, struct pg_rng *r, uint64_t t, uint32_t n)
{
	char cli[32], srv[32];
	snprintf(cli, sizeof(cli), "10.%u.%u.%u", 20 + (n >> 16) % 50, (n >> 8) & 255, (n & 255) | 1);
	snprintf(srv, sizeof(srv), "172.16.%u.%u", (n % 64), 10 + n % 7);
	struct pg_link l = {0};
	static const uint16_t ports[] = {443, 80, 443, 445, 8080, 443, 25, 993};
	uint16_t port = ports[n % 8];
	pg_tcp_init(&b->s, w, &l, pg_ip4(cli), (uint16_t)(1024 + (n * 7919) % 60000), pg_ip4(srv), port,
		    pg_rng_u32(r), pg_rng_u32(r), t);
	b->s.step_us = 0;
	b->phase = 0;
	b->k = 0;
	b->sent = 0;
	b->segs = 0;
	b->live = true;
	b->sc.len = 0;
	b->sc.n = 0;
	size_t req = 200 + pg_rng_u32(r) % 600, resp = 2000 + pg_rng_u32(r) % 60000;
	if (port == 443) {
		char sni[64];
		snprintf(sni, sizeof(sni), "api%u.example.net", n % 500);
		pg_tls_bench_script(&b->sc, r, sni, req, resp, n % 4096 == 4090);
	} else if (port == 80 || port == 8080) {
		/* downloads: plain, chunked, gzip, gzip and chunked (scenarios_http.c) */
		pg_http_bench_script(&b->sc, r, n, resp);
	} else if (port == 445) {
		pg_smb_bench_script(&b->sc, blob + (n % 4096), sizeof(blob) - 4096, resp);
	} else {
		pg_script_add(&b->sc, PG_C2S, blob, req);
		pg_script_add(&b->sc, PG_S2C, blob + (n % 4096), resp);
	}
}

/* one step of a session: emits one or two packets */
static void step(struct bsess *b)
{
	struct pg_tcp *s = &b->s;
	switch (b->phase) {
	case 0:
		pg_tcp_segment(s, PG_C2S, s->nxt[0], PG_SYN, NULL, 0);
		s->nxt[0]++;
		b->phase++;
		return;
	case 1:
		pg_tcp_segment(s, PG_S2C, s->nxt[1], PG_SYN | PG_ACK, NULL, 0);
		s->nxt[1]++;
		b->phase++;
		return;
	case 2:
		pg_tcp_segment(s, PG_C2S, s->nxt[0], PG_ACK, NULL, 0);
		b->phase++;
		return;
	case 3: {
		if (b->k >= b->sc.n) {
			b->phase++;
			return;
		}
		int d = b->sc.msg[b->k].dir;
		size_t left = b->sc.msg[b->k].len - b->sent;
		size_t n = left > 1448 ? 1448 : left;
		pg_tcp_segment(s, d, s->nxt[d], PG_ACK | PG_PSH, b->sc.buf + b->sc.msg[b->k].off + b->sent, n);
		s->nxt[d] += (uint32_t)n;
		b->sent += n;
		if (++b->segs == 2 || b->sent == b->sc.msg[b->k].len) {
			pg_tcp_ack(s, 1 - d);
			b->segs = 0;
		}
		if (b->sent == b->sc.msg[b->k].len) {
			b->k++;
			b->sent = 0;
		}
		return;
	}
	default:
		pg_tcp_close(s, PG_C2S);
		b->live = false;
		return;
	}
}

/* A DNS query for an A record and its answer (RFC 1035 4.1). */
static size_t dns_msg(uint8_t *p, size_t cap, uint16_t id, const char *name, bool answer, uint32_t addr)
{
	size_t n = 0;
	if (cap < 300)
		return 0;
	p[n++] = (uint8_t)(id >> 8);
	p[n++] = (uint8_t)id;
	p[n++] = answer ? 0x81 : 0x01;
	p[n++] = answer ? 0x80 : 0x00;
	static const uint8_t counts_q[8] = {0, 1, 0, 0, 0, 0, 0, 0}, counts_a[8] = {0, 1, 0, 1, 0, 0, 0, 0};
	memcpy(p + n, answer ? counts_a : counts_q, 8);
	n += 8;
	const char *l = name;
	while (*l && n < 260) {
		const char *dot = strchr(l, '.');
		size_t k = dot ? (size_t)(dot - l) : strlen(l);
		p[n++] = (uint8_t)k;
		memcpy(p + n, l, k);
		n += k;
		l += k + (dot ? 1 : 0);
	}
	p[n++] = 0;
	static const uint8_t q_a_in[4] = {0, 1, 0, 1};
	memcpy(p + n, q_a_in, 4);
	n += 4;
	if (answer) {
		static const uint8_t rr[10] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x01, 0x2c}; /* ptr, A, IN, TTL 300 */
		memcpy(p + n, rr, 10);
		n += 10;
		p[n++] = 0;
		p[n++] = 4;
		p[n++] = (uint8_t)(addr >> 24);
		p[n++] = (uint8_t)(addr >> 16);
		p[n++] = (uint8_t)(addr >> 8);
		p[n++] = (uint8_t)addr;
	}
	return n;
}

static bool bench_mix(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	const char *mb = getenv("PCAPGEN_BENCH_MB");
	uint64_t target = (uint64_t)(mb ? strtoull(mb, NULL, 10) : 1024) << 20;
	struct pg_rng r;
	pg_rng_seed(&r, 20261122);
	pg_rng_fill(&r, blob, sizeof(blob));
	static struct bsess act[ACTIVE];
	for (int i = 0; i < ACTIVE; i++) {
		act[i].sc.buf = malloc(SCRIPT_CAP);
		act[i].sc.cap = SCRIPT_CAP;
		if (!act[i].sc.buf) {
			pg_close(&w);
			return false;
		}
	}
	uint64_t t = T0;
	uint32_t n = 0;
	uint64_t written = 0, loops = 0;
	struct pg_link l = {0};
	while (written < target) {
		for (int i = 0; i < ACTIVE; i++) {
			struct bsess *b = &act[i];
			if (!b->live)
				start(b, &w, &r, t, n++);
			b->s.t = t;
			step(b);
			t += 2;
		}
		loops++;
		/* DNS query and answer, background UDP, a scan probe, a ping */
		uint32_t h = pg_rng_u32(&r);
		char a[32], name[64];
		uint8_t q[320];
		snprintf(a, sizeof(a), "10.30.%u.%u", (h >> 8) & 255, (h & 254) | 1);
		snprintf(name, sizeof(name), "host%u.svc%u.example.org", h % 10000, (h >> 16) % 50);
		size_t ql = dns_msg(q, sizeof(q), (uint16_t)h, name, false, 0);
		pg_udp(&w, &l, t, pg_ip4(a), (uint16_t)(1024 + h % 50000), pg_ip4("10.0.0.53"), 53, q, ql);
		ql = dns_msg(q, sizeof(q), (uint16_t)h, name, true, 0xc6336400u | (h & 255));
		pg_udp(&w, &l, t + 1, pg_ip4("10.0.0.53"), 53, pg_ip4(a), (uint16_t)(1024 + h % 50000), q, ql);
		pg_udp(&w, &l, t + 2, pg_ip4("10.40.0.9"), 5004, pg_ip4("10.40.0.10"), 5004, blob, 1200);
		if (loops % 4 == 0) {
			struct pg_tcp sc;
			char src[32];
			snprintf(src, sizeof(src), "198.51.100.%u", 1 + (h % 200));
			pg_tcp_init(&sc, &w, &l, pg_ip4(src), 40000, pg_ip4("172.16.0.10"), (uint16_t)(1 + h % 10000), h, 0,
				    t + 3);
			pg_tcp_segment(&sc, PG_C2S, h, PG_SYN, NULL, 0);
		}
		t += 10;
		if (loops % 64 == 0) {
			struct stat sb;
			fflush(w.fp);
			if (fstat(fileno(w.fp), &sb) == 0)
				written = (uint64_t)sb.st_size;
		}
	}
	pg_close(&w);
	for (int i = 0; i < ACTIVE; i++)
		free(act[i].sc.buf);
	return true;
}

/* N concurrent TCP sessions (PCAPGEN_FLOWS, default 1000000): handshake and one small request
 * and answer each, none closed, so all are open at the end. */
static bool bench_flows(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	const char *e = getenv("PCAPGEN_FLOWS");
	uint32_t n = e ? (uint32_t)strtoul(e, NULL, 10) : 1000000;
	struct pg_link l = {0};
	uint64_t t = T0;
	static const uint8_t req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	static const uint8_t resp[] = "HTTP/1.1 204 No Content\r\n\r\n";
	for (uint32_t i = 0; i < n; i++) {
		struct pg_addr c, s;
		memset(&c, 0, sizeof(c));
		memset(&s, 0, sizeof(s));
		c.family = s.family = 4;
		c.a[0] = 10;
		c.a[1] = (uint8_t)(i >> 16);
		c.a[2] = (uint8_t)(i >> 8);
		c.a[3] = (uint8_t)i;
		s.a[0] = 172;
		s.a[1] = 16;
		s.a[2] = (uint8_t)(i % 251);
		s.a[3] = 1;
		struct pg_tcp sess;
		pg_tcp_init(&sess, &w, &l, c, (uint16_t)(1024 + i % 60000), s, 80, i * 2654435761u, i * 40503u, t);
		sess.step_us = 1;
		pg_tcp_handshake(&sess);
		pg_tcp_segment(&sess, PG_C2S, sess.nxt[0], PG_ACK | PG_PSH, req, sizeof(req) - 1);
		sess.nxt[0] += sizeof(req) - 1;
		pg_tcp_segment(&sess, PG_S2C, sess.nxt[1], PG_ACK | PG_PSH, resp, sizeof(resp) - 1);
		sess.nxt[1] += sizeof(resp) - 1;
		t = sess.t;
	}
	pg_close(&w);
	return true;
}

/* A SYN flood: PCAPGEN_SYNS SYNs (default 2000000) from random sources and ports, none answered. */
static bool bench_synflood(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	const char *e = getenv("PCAPGEN_SYNS");
	uint32_t n = e ? (uint32_t)strtoul(e, NULL, 10) : 2000000;
	struct pg_rng r;
	pg_rng_seed(&r, 4242);
	struct pg_link l = {0};
	struct pg_addr dst = pg_ip4("172.16.0.80");
	for (uint32_t i = 0; i < n; i++) {
		struct pg_addr src;
		memset(&src, 0, sizeof(src));
		src.family = 4;
		uint32_t a = pg_rng_u32(&r);
		memcpy(src.a, &a, 4);
		uint8_t pkt[128];
		size_t len = pg_build_tcp(pkt, sizeof(pkt), &src, &dst, (uint16_t)pg_rng_u32(&r), 80, pg_rng_u32(&r), 0,
					  PG_SYN, 512, NULL, 0, (uint16_t)i);
		pg_emit_ip(&w, &l, T0 + i * 2ULL, pkt, len);
	}
	pg_close(&w);
	return true;
}

const struct pg_scenario pg_bench_scenarios[] = {
	{"bench-flows", "many concurrent TCP sessions for tools/memtest (PCAPGEN_FLOWS, default 1000000)", bench_flows},
	{"bench-synflood", "SYN flood from random sources (PCAPGEN_SYNS, default 2000000)", bench_synflood},
	{"bench-mix", "large mixed capture for tools/bench (PCAPGEN_BENCH_MB, default 1024)", bench_mix},
	{NULL, NULL, NULL},
};
