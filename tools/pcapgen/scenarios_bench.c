/* scenarios_bench.c - the large mixed capture for benchmarks (tools/bench): many interleaved TCP
 * sessions, DNS-like and background UDP, port scans and pings. Written only when named; its size
 * comes from PCAPGEN_BENCH_MB (default 1024). Protocol areas add their traffic through
 * bench_extra_* hooks. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pcapgen.h"

#define T0 1700000000000000ULL
#define ACTIVE 256

struct bsess {
	struct pg_tcp s;
	int phase;
	size_t req, resp, sent;
	bool live;
};

static uint8_t blob[65536];

static void start(struct bsess *b, struct pg_writer *w, struct pg_rng *r, uint64_t t, uint32_t n)
{
	char cli[32], srv[32];
	snprintf(cli, sizeof(cli), "10.%u.%u.%u", 20 + (n >> 16) % 50, (n >> 8) & 255, (n & 255) | 1);
	snprintf(srv, sizeof(srv), "172.16.%u.%u", (n % 64), 10 + n % 7);
	struct pg_link l = {0};
	static const uint16_t ports[] = {80, 443, 445, 8080, 25, 993};
	pg_tcp_init(&b->s, w, &l, pg_ip4(cli), (uint16_t)(1024 + (n * 7919) % 60000), pg_ip4(srv),
		    ports[n % 6], pg_rng_u32(r), pg_rng_u32(r), t);
	b->s.step_us = 0;
	b->phase = 0;
	b->req = 200 + pg_rng_u32(r) % 600;
	b->resp = 2000 + pg_rng_u32(r) % 60000;
	b->sent = 0;
	b->live = true;
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
	case 3:
		pg_tcp_segment(s, PG_C2S, s->nxt[0], PG_ACK | PG_PSH, blob, b->req);
		s->nxt[0] += (uint32_t)b->req;
		b->phase++;
		return;
	case 4: {
		size_t n = b->resp - b->sent > 1448 ? 1448 : b->resp - b->sent;
		pg_tcp_segment(s, PG_S2C, s->nxt[1], PG_ACK, blob + (b->sent % 4096), n);
		s->nxt[1] += (uint32_t)n;
		b->sent += n;
		if ((b->sent / 1448) % 2 == 0 || b->sent == b->resp)
			pg_tcp_ack(s, PG_C2S);
		if (b->sent == b->resp)
			b->phase++;
		return;
	}
	default:
		pg_tcp_close(s, PG_C2S);
		b->live = false;
		return;
	}
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
		/* DNS-like request/answer, background UDP, a scan probe, a ping */
		uint8_t q[64];
		pg_rng_fill(&r, q, sizeof(q));
		uint32_t h = pg_rng_u32(&r);
		char a[32];
		snprintf(a, sizeof(a), "10.30.%u.%u", (h >> 8) & 255, (h & 254) | 1);
		pg_udp(&w, &l, t, pg_ip4(a), (uint16_t)(1024 + h % 50000), pg_ip4("10.0.0.53"), 53, q, 40);
		pg_udp(&w, &l, t + 1, pg_ip4("10.0.0.53"), 53, pg_ip4(a), (uint16_t)(1024 + h % 50000), blob, 120);
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
		if (loops % 512 == 0) {
			struct stat sb;
			fflush(w.fp);
			if (fstat(fileno(w.fp), &sb) == 0)
				written = (uint64_t)sb.st_size;
		}
	}
	pg_close(&w);
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
