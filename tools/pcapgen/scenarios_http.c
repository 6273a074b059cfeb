/* scenarios_http.c - HTTP/1.x captures for the HTTP dissector (RFC 9110, RFC 9112): every body form
 * (Content-Length, chunked with extensions and trailers, gzip/deflate/raw deflate content codings
 * per RFC 1952/1950/1951, HEAD and 304 without body, bodies until close, uploads as PUT and as
 * multipart/form-data per RFC 7578, byte ranges per RFC 9110 14), the same session cut at every
 * byte and reordered, pipelining, 100-continue, HTTP/0.9, CONNECT with TLS inside, Upgrade, the
 * request-smuggling traps, gaps, one transaction carrying every inspection buffer, and the caps.
 * Content codings are made here by a small deflate encoder (fixed Huffman codes, greedy LZ77),
 * so the generator needs no zlib; the bench mix plays pg_http_bench_script(). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapgen.h"

#define T0 1700300000000000ULL

/* ------------------------------------------------------------ growable bytes */

struct buf {
	uint8_t *p;
	size_t n, cap;
};

/* Room for n more bytes at the end; returns where they go (the caller fills them and adds n). */
static uint8_t *grow(struct buf *b, size_t n)
{
	if (b->n + n > b->cap) {
		size_t c = b->cap ? b->cap : 256;
		while (c < b->n + n)
			c *= 2;
		uint8_t *q = realloc(b->p, c);
		if (!q) {
			fprintf(stderr, "pcapgen: out of memory\n");
			exit(1);
		}
		b->p = q;
		b->cap = c;
	}
	return b->p + b->n;
}

static void put(struct buf *b, const void *p, size_t n)
{
	uint8_t *at = grow(b, n);
	if (n)
		memcpy(at, p, n);
	b->n += n;
}

static void puts_(struct buf *b, const char *s) { put(b, s, strlen(s)); }

static void printf_(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void printf_(struct buf *b, const char *fmt, ...)
{
	char tmp[4096];
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (k > 0)
		put(b, tmp, (size_t)k < sizeof(tmp) ? (size_t)k : sizeof(tmp) - 1);
}

static void freeb(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* ------------------------------------------------------------ deflate (RFC 1951), fixed Huffman */

struct bits {
	struct buf *out;
	uint32_t acc;
	int n;
};

static void bits_put(struct bits *w, uint32_t v, int n)
{
	w->acc |= v << w->n;
	w->n += n;
	while (w->n >= 8) {
		uint8_t b = (uint8_t)w->acc;
		put(w->out, &b, 1);
		w->acc >>= 8;
		w->n -= 8;
	}
}

/* Huffman codes are sent most significant bit first */
static void bits_code(struct bits *w, uint32_t code, int len)
{
	uint32_t r = 0;
	for (int i = 0; i < len; i++)
		r |= ((code >> i) & 1) << (len - 1 - i);
	bits_put(w, r, len);
}

static void lit(struct bits *w, int v)
{
	if (v < 144)
		bits_code(w, (uint32_t)(0x30 + v), 8);
	else if (v < 256)
		bits_code(w, (uint32_t)(0x190 + v - 144), 9);
	else if (v < 280)
		bits_code(w, (uint32_t)(v - 256), 7);
	else
		bits_code(w, (uint32_t)(0xc0 + v - 280), 8);
}

static const uint16_t len_base[29] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67,
				      83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t dist_base[30] = {1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769,
				       1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11,
				       12, 12, 13, 13};

static void match(struct bits *w, size_t len, size_t dist)
{
	int i = 28;
	while (len_base[i] > len)
		i--;
	lit(w, 257 + i);
	bits_put(w, (uint32_t)(len - len_base[i]), len_extra[i]);
	int d = 29;
	while (dist_base[d] > dist)
		d--;
	bits_code(w, (uint32_t)d, 5);
	bits_put(w, (uint32_t)(dist - dist_base[d]), dist_extra[d]);
}

/* One final block with the fixed codes; greedy matches found through a hash of 3-byte prefixes. */
static void deflate_raw(struct buf *out, const uint8_t *p, size_t n)
{
	enum { HBITS = 13, WIN = 32768, MAXLEN = 258 };
	static int32_t head[1 << HBITS];
	for (size_t i = 0; i < (1u << HBITS); i++)
		head[i] = -1;
	struct bits w = {out, 0, 0};
	bits_put(&w, 1, 1); /* BFINAL */
	bits_put(&w, 1, 2); /* BTYPE = fixed */
	size_t i = 0;
	while (i < n) {
		size_t best = 0, dist = 0;
		if (i + 3 <= n) {
			uint32_t h = ((uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2]) * 2654435761u >> (32 - HBITS);
			int32_t cand = head[h];
			head[h] = (int32_t)i;
			if (cand >= 0 && i - (size_t)cand <= WIN) {
				size_t k = 0;
				while (k < MAXLEN && i + k < n && p[(size_t)cand + k] == p[i + k])
					k++;
				if (k >= 3) {
					best = k;
					dist = i - (size_t)cand;
				}
			}
		}
		if (best) {
			match(&w, best, dist);
			i += best;
		} else {
			lit(&w, p[i]);
			i++;
		}
	}
	lit(&w, 256);
	bits_put(&w, 0, 7); /* flush */
}

static uint32_t crc32_of(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
	}
	return ~c;
}

static uint32_t adler32_of(const uint8_t *p, size_t n)
{
	uint32_t a = 1, b = 0;
	for (size_t i = 0; i < n; i++) {
		a = (a + p[i]) % 65521;
		b = (b + a) % 65521;
	}
	return b << 16 | a;
}

static void le32(struct buf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	put(b, x, 4);
}

static void be32(struct buf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	put(b, x, 4);
}

/* RFC 1952 gzip member (no file name, mtime 0). */
static void gzip_of(struct buf *out, const uint8_t *p, size_t n)
{
	static const uint8_t hdr[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
	put(out, hdr, sizeof(hdr));
	deflate_raw(out, p, n);
	le32(out, crc32_of(p, n));
	le32(out, (uint32_t)n);
}

/* RFC 1950 zlib stream. */
static void zlib_of(struct buf *out, const uint8_t *p, size_t n)
{
	static const uint8_t hdr[2] = {0x78, 0x9c};
	put(out, hdr, 2);
	deflate_raw(out, p, n);
	be32(out, adler32_of(p, n));
}

/* ------------------------------------------------------------ message pieces */

/* Deterministic text that compresses like a web page. */
static void page_text(struct buf *b, const char *title, size_t lines)
{
	printf_(b, "<!DOCTYPE html>\n<html><head><title>%s</title></head>\n<body>\n", title);
	for (size_t i = 0; i < lines; i++)
		printf_(b, "<p class=\"row%zu\">Line %zu of %s: the quick brown fox jumps over the lazy dog.</p>\n",
			i % 7, i, title);
	puts_(b, "</body></html>\n");
}

/* body as chunks of at most csize bytes (the first with an extension), then trailer lines */
static void chunked(struct buf *out, const uint8_t *p, size_t n, size_t csize, const char *trailer)
{
	size_t off = 0;
	bool first = true;
	while (off < n) {
		size_t k = n - off < csize ? n - off : csize;
		printf_(out, first ? "%zx;name=\"first\"\r\n" : "%zx\r\n", k);
		put(out, p + off, k);
		puts_(out, "\r\n");
		off += k;
		first = false;
	}
	puts_(out, "0\r\n");
	if (trailer)
		puts_(out, trailer);
	puts_(out, "\r\n");
}

static void response(struct buf *out, const char *status, const char *headers, const uint8_t *body, size_t n,
		     bool cl)
{
	printf_(out, "HTTP/1.1 %s\r\nServer: kagami-test/1.0\r\n%s", status, headers);
	if (cl)
		printf_(out, "Content-Length: %zu\r\n", n);
	puts_(out, "\r\n");
	put(out, body, n);
}

/* ------------------------------------------------------------ sessions */

struct sess {
	struct pg_writer *w;
	struct pg_tcp s;
	int mode;        /* 0 whole messages, 1 a byte per segment, 2 reordered pieces */
};

static void sess_open(struct sess *x, struct pg_writer *w, const char *cli, uint16_t cport, const char *srv,
		      uint16_t sport, uint64_t t, int mode)
{
	struct pg_link l = {.encap = PG_ENC_ETH};
	x->w = w;
	x->mode = mode;
	pg_tcp_init(&x->s, w, &l, pg_ip4(cli), cport, pg_ip4(srv), sport, 1000 + cport, 500000 + cport * 3u, t);
	pg_tcp_handshake(&x->s);
}

/* Send a message from side dir, whole (cut at the MSS), a byte per segment, or in pieces of 7
 * bytes sent in a scrambled order. */
static void send_msg(struct sess *x, int dir, const struct buf *m)
{
	if (!m->n)
		return;
	if (x->mode == 0) {
		pg_tcp_send(&x->s, dir, m->p, m->n);
		return;
	}
	size_t piece = x->mode == 1 ? 1 : 7;
	int ncuts = (int)((m->n - 1) / piece);
	size_t *cuts = calloc((size_t)ncuts + 1, sizeof(*cuts));
	int *order = calloc((size_t)ncuts + 1, sizeof(*order));
	for (int i = 0; i < ncuts; i++)
		cuts[i] = (size_t)(i + 1) * piece;
	/* mode 2: each group of 5 pieces goes last to first, the group after that first to last */
	for (int i = 0; i <= ncuts; i++)
		order[i] = i;
	if (x->mode == 2)
		for (int g = 0; g * 5 <= ncuts; g += 2)
			for (int a = g * 5, b = g * 5 + 4 > ncuts ? ncuts : g * 5 + 4; a < b; a++, b--) {
				int t = order[a];
				order[a] = order[b];
				order[b] = t;
			}
	pg_tcp_send_pieces(&x->s, dir, m->p, m->n, cuts, ncuts, x->mode == 2 ? order : NULL, NULL, 0);
	free(cuts);
	free(order);
}

static void send_str(struct sess *x, int dir, const char *s)
{
	struct buf b = {0};
	puts_(&b, s);
	send_msg(x, dir, &b);
	freeb(&b);
}

/* ------------------------------------------------------------ the bodies session */

static const char multipart_boundary[] = "----kagamiFormBoundary7MA4YWxk";

/* One persistent connection, a transaction per body form (see the file comment). */
static void bodies_session(struct pg_writer *w, uint64_t t, int mode, uint16_t cport)
{
	struct sess x;
	sess_open(&x, w, "192.168.70.10", cport, "198.51.100.80", 80, t, mode);
	struct buf q = {0}, r = {0}, body = {0}, enc = {0}, ch = {0};
	const char *ua = "User-Agent: kagami-pcapgen/1.0\r\n";
#define REQ(...)                                                                                             \
	do {                                                                                                 \
		q.n = 0;                                                                                     \
		printf_(&q, __VA_ARGS__);                                                                    \
		send_msg(&x, PG_C2S, &q);                                                                    \
	} while (0)
#define RESP()                                                                                               \
	do {                                                                                                 \
		send_msg(&x, PG_S2C, &r);                                                                    \
		r.n = 0;                                                                                     \
		body.n = enc.n = ch.n = 0;                                                                   \
	} while (0)

	/* 0: Content-Length */
	REQ("GET /cl.txt HTTP/1.1\r\nHost: bodies.example\r\n%s\r\n", ua);
	puts_(&body, "hello, content-length\n");
	response(&r, "200 OK", "Content-Type: text/plain\r\n", body.p, body.n, true);
	RESP();
	/* 1: chunked, with a chunk extension and a trailer */
	REQ("GET /chunked.js HTTP/1.1\r\nHost: bodies.example\r\n%s\r\n", ua);
	for (int i = 0; i < 20; i++)
		printf_(&body, "var v%d = %d; // chunked script line\n", i, i * i);
	chunked(&ch, body.p, body.n, 250, "X-Checksum: done\r\n");
	response(&r, "200 OK", "Content-Type: application/javascript\r\nTransfer-Encoding: chunked\r\n", ch.p, ch.n,
		 false);
	RESP();
	/* 2: gzip */
	REQ("GET /gzip.html HTTP/1.1\r\nHost: bodies.example\r\nAccept-Encoding: gzip, deflate\r\n%s\r\n", ua);
	page_text(&body, "gzip page", 25);
	gzip_of(&enc, body.p, body.n);
	response(&r, "200 OK", "Content-Type: text/html; charset=utf-8\r\nContent-Encoding: gzip\r\n", enc.p, enc.n,
		 true);
	RESP();
	/* 3: gzip and chunked */
	REQ("GET /gzip-chunked.css HTTP/1.1\r\nHost: bodies.example\r\nAccept-Encoding: gzip\r\n%s\r\n", ua);
	for (int i = 0; i < 30; i++)
		printf_(&body, ".c%d { margin: %dpx; padding: %dpx; color: #%06x; }\n", i, i % 9, i % 5, i * 4099);
	gzip_of(&enc, body.p, body.n);
	chunked(&ch, enc.p, enc.n, 100, NULL);
	response(&r, "200 OK",
		 "Content-Type: text/css\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", ch.p, ch.n,
		 false);
	RESP();
	/* 4: deflate as RFC 9110 means it (zlib) */
	REQ("GET /deflate.json HTTP/1.1\r\nHost: bodies.example\r\nAccept-Encoding: deflate\r\n%s\r\n", ua);
	puts_(&body, "{\"items\": [");
	for (int i = 0; i < 20; i++)
		printf_(&body, "%s{\"id\": %d, \"name\": \"item %d\", \"tags\": [\"a\", \"b\"]}", i ? ", " : "", i, i);
	puts_(&body, "]}\n");
	zlib_of(&enc, body.p, body.n);
	response(&r, "200 OK", "Content-Type: application/json\r\nContent-Encoding: deflate\r\n", enc.p, enc.n, true);
	RESP();
	/* 5: deflate without the zlib header (what some servers send) */
	REQ("GET /rawdeflate.txt HTTP/1.1\r\nHost: bodies.example\r\n%s\r\n", ua);
	for (int i = 0; i < 12; i++)
		printf_(&body, "raw deflate line %d: lorem ipsum dolor sit amet\n", i);
	deflate_raw(&enc, body.p, body.n);
	response(&r, "200 OK", "Content-Type: text/plain\r\nContent-Encoding: deflate\r\n", enc.p, enc.n, true);
	RESP();
	/* 6: HEAD: a length, no body */
	REQ("HEAD /cl.txt HTTP/1.1\r\nHost: bodies.example\r\n%s\r\n", ua);
	puts_(&r, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 22\r\n\r\n");
	RESP();
	/* 7: 304 without body */
	REQ("GET /cached.png HTTP/1.1\r\nHost: bodies.example\r\nIf-None-Match: \"abc\"\r\n%s\r\n", ua);
	puts_(&r, "HTTP/1.1 304 Not Modified\r\nETag: \"abc\"\r\n\r\n");
	RESP();
	/* 8: form POST with a length */
	static const char form[] = "user=alice&msg=%41+b+c";
	REQ("POST /form HTTP/1.1\r\nHost: bodies.example\r\nContent-Type: application/x-www-form-urlencoded\r\n"
	    "Content-Length: %zu\r\n%s\r\n%s", sizeof(form) - 1, ua, form);
	response(&r, "200 OK", "Content-Type: text/plain\r\n", (const uint8_t *)"ok\n", 3, true);
	RESP();
	/* 9: chunked request body */
	q.n = 0;
	printf_(&q, "POST /api/batch HTTP/1.1\r\nHost: bodies.example\r\nContent-Type: application/json\r\n"
		    "Transfer-Encoding: chunked\r\n%s\r\n", ua);
	static const char jb[] = "{\"op\": \"batch\", \"items\": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}";
	chunked(&q, (const uint8_t *)jb, sizeof(jb) - 1, 16, NULL);
	send_msg(&x, PG_C2S, &q);
	response(&r, "200 OK", "Content-Type: application/json\r\n", (const uint8_t *)"{\"ok\": true}", 12, true);
	RESP();
	/* 10: PUT upload */
	q.n = 0;
	static const char pdf[] = "%PDF-1.4\n% fake report for kagami\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";
	printf_(&q, "PUT /files/report.pdf HTTP/1.1\r\nHost: bodies.example\r\nContent-Type: application/pdf\r\n"
		    "Content-Length: %zu\r\n%s\r\n", sizeof(pdf) - 1, ua);
	put(&q, pdf, sizeof(pdf) - 1);
	send_msg(&x, PG_C2S, &q);
	response(&r, "201 Created", "Location: /files/report.pdf\r\n", NULL, 0, true);
	RESP();
	/* 11: multipart/form-data upload: a field and two files */
	struct buf mp = {0};
	printf_(&mp, "--%s\r\nContent-Disposition: form-data; name=\"comment\"\r\n\r\nquarterly numbers\r\n",
		multipart_boundary);
	printf_(&mp, "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"evil.exe\"\r\n"
		     "Content-Type: application/x-msdownload\r\n\r\n", multipart_boundary);
	static const uint8_t mz[] = {'M', 'Z', 0x90, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0xff, 0xff,
				     'T', 'h', 'i', 's', ' ', 'p', 'r', 'o', 'g', 'r', 'a', 'm', '\r', '\n', '-', '-'};
	put(&mp, mz, sizeof(mz));
	printf_(&mp, "\r\n--%s\r\nContent-Disposition: form-data; name=\"notes\"; filename=\"notes.txt\"\r\n"
		     "Content-Type: text/plain\r\n\r\nplain notes, two lines\nsecond line\n\r\n--%s--\r\n",
		multipart_boundary, multipart_boundary);
	q.n = 0;
	printf_(&q, "POST /upload HTTP/1.1\r\nHost: bodies.example\r\nContent-Type: multipart/form-data; boundary=%s\r\n"
		    "Content-Length: %zu\r\n%s\r\n", multipart_boundary, mp.n, ua);
	put(&q, mp.p, mp.n);
	send_msg(&x, PG_C2S, &q);
	freeb(&mp);
	response(&r, "200 OK", "Content-Type: text/plain\r\n", (const uint8_t *)"stored 2 files\n", 15, true);
	RESP();
	/* 12: a byte range */
	REQ("GET /big.iso HTTP/1.1\r\nHost: bodies.example\r\nRange: bytes=100-199\r\n%s\r\n", ua);
	for (int i = 0; i < 100; i++) {
		uint8_t b = (uint8_t)(100 + i);
		put(&body, &b, 1);
	}
	response(&r, "206 Partial Content", "Content-Type: application/octet-stream\r\nContent-Range: bytes 100-199/1000\r\n",
		 body.p, body.n, true);
	RESP();
	/* 13: a file name from Content-Disposition */
	REQ("GET /dl?id=7 HTTP/1.1\r\nHost: bodies.example\r\n%s\r\n", ua);
	puts_(&body, "{\\rtf1 fake invoice}\n");
	response(&r, "200 OK", "Content-Type: application/msword\r\nContent-Disposition: attachment; filename=\"invoice.doc\"\r\n",
		 body.p, body.n, true);
	RESP();
	/* 14: a body until the server closes */
	REQ("GET /close HTTP/1.1\r\nHost: bodies.example\r\nConnection: close\r\n%s\r\n", ua);
	puts_(&r, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nthe body ends with the connection\n");
	RESP();
	pg_tcp_close(&x.s, PG_S2C);
#undef REQ
#undef RESP
	freeb(&q);
	freeb(&r);
	freeb(&body);
	freeb(&enc);
	freeb(&ch);
}

static bool w_bodies(const char *path, int mode)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	bodies_session(&w, T0, mode, 50100);
	pg_close(&w);
	return true;
}

static bool http_bodies(const char *path) { return w_bodies(path, 0); }
static bool http_bytewise(const char *path) { return w_bodies(path, 1); }
static bool http_reorder(const char *path) { return w_bodies(path, 2); }

/* ------------------------------------------------------------ pipelining and protocol switches */

static bool http_pipeline(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	struct sess x;
	uint64_t t = T0 + 10000000;
	/* five pipelined requests in one segment, the answers in one segment */
	sess_open(&x, &w, "192.168.70.11", 50200, "198.51.100.81", 80, t, 0);
	struct buf q = {0}, r = {0};
	for (int i = 0; i < 5; i++)
		printf_(&q, "GET /p%d HTTP/1.1\r\nHost: pipe.example\r\n\r\n", i);
	send_msg(&x, PG_C2S, &q);
	static const int codes[5] = {200, 404, 200, 301, 200};
	for (int i = 0; i < 5; i++) {
		char body[32];
		int n = snprintf(body, sizeof(body), "answer %d\n", i);
		printf_(&r, "HTTP/1.1 %d %s\r\nContent-Length: %d\r\n%s\r\n%s", codes[i], codes[i] == 404 ? "Not Found" :
			codes[i] == 301 ? "Moved Permanently" : "OK", n, codes[i] == 301 ? "Location: /new\r\n" : "", body);
	}
	send_msg(&x, PG_S2C, &r);
	/* 100-continue on the same connection */
	send_str(&x, PG_C2S, "POST /expect HTTP/1.1\r\nHost: pipe.example\r\nExpect: 100-continue\r\n"
			     "Content-Length: 11\r\n\r\n");
	send_str(&x, PG_S2C, "HTTP/1.1 100 Continue\r\nX-Interim: yes\r\n\r\n");
	send_str(&x, PG_C2S, "hello world");
	send_str(&x, PG_S2C, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nthanx");
	pg_tcp_close(&x.s, PG_C2S);
	/* HTTP/0.9 */
	sess_open(&x, &w, "192.168.70.11", 50201, "198.51.100.81", 80, t + 1000000, 0);
	send_str(&x, PG_C2S, "GET /old.html\r\n");
	send_str(&x, PG_S2C, "<html>an HTTP/0.9 answer ends with the connection</html>\n");
	pg_tcp_close(&x.s, PG_S2C);
	/* CONNECT: a TLS session inside the tunnel */
	sess_open(&x, &w, "192.168.70.11", 50202, "198.51.100.82", 3128, t + 2000000, 0);
	send_str(&x, PG_C2S, "CONNECT secure.example:443 HTTP/1.1\r\nHost: secure.example:443\r\n"
			     "Proxy-Authorization: Basic a2FnYW1pOnRlc3Q=\r\n\r\n");
	send_str(&x, PG_S2C, "HTTP/1.1 200 Connection established\r\n\r\n");
	struct pg_script sc = {0};
	sc.cap = 64 * 1024;
	sc.buf = malloc(sc.cap);
	struct pg_rng rng;
	pg_rng_seed(&rng, 4242);
	pg_tls_bench_script(&sc, &rng, "secure.example", 300, 2000, false);
	for (int i = 0; i < sc.n; i++)
		pg_tcp_send(&x.s, sc.msg[i].dir, sc.buf + sc.msg[i].off, sc.msg[i].len);
	free(sc.buf);
	pg_tcp_close(&x.s, PG_C2S);
	/* a CONNECT refused: the connection goes on as HTTP */
	sess_open(&x, &w, "192.168.70.11", 50203, "198.51.100.82", 3128, t + 3000000, 0);
	send_str(&x, PG_C2S, "CONNECT blocked.example:443 HTTP/1.1\r\nHost: blocked.example:443\r\n\r\n");
	send_str(&x, PG_S2C, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n"
			     "Content-Length: 0\r\n\r\n");
	send_str(&x, PG_C2S, "GET http://plain.example/after HTTP/1.1\r\nHost: plain.example\r\n\r\n");
	send_str(&x, PG_S2C, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	pg_tcp_close(&x.s, PG_C2S);
	/* Upgrade to WebSocket (101): frames after it are not HTTP */
	sess_open(&x, &w, "192.168.70.11", 50204, "198.51.100.83", 80, t + 4000000, 0);
	send_str(&x, PG_C2S, "GET /chat HTTP/1.1\r\nHost: ws.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
			     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
	send_str(&x, PG_S2C, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
			     "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81\x05hello");
	static const uint8_t frame[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
	pg_tcp_send(&x.s, PG_C2S, frame, sizeof(frame));
	send_str(&x, PG_C2S, "GET /not-a-request HTTP/1.1\r\n\r\n");
	pg_tcp_close(&x.s, PG_C2S);
	/* an answer whose request the sensor missed (picked up mid-stream: the server speaks) */
	sess_open(&x, &w, "192.168.70.11", 50205, "198.51.100.81", 8080, t + 5000000, 0);
	send_str(&x, PG_S2C, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlate");
	send_str(&x, PG_C2S, "GET /next HTTP/1.1\r\nHost: pipe.example\r\n\r\n");
	send_str(&x, PG_S2C, "HTTP/1.1 204 No Content\r\n\r\n");
	pg_tcp_close(&x.s, PG_C2S);
	freeb(&q);
	freeb(&r);
	pg_close(&w);
	return true;
}

/* ------------------------------------------------------------ request smuggling traps */

/* Each trap on its own connection; the server's answers follow the way nginx/Apache read them. */
static bool http_smuggling(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	static const char *const traps[] = {
		/* 0: both framings: Transfer-Encoding wins (RFC 9112 6.1), the GET is a request */
		"POST /cl-te HTTP/1.1\r\nHost: t.example\r\nContent-Length: 30\r\nTransfer-Encoding: chunked\r\n\r\n"
		"0\r\n\r\nGET /smuggled-cl-te HTTP/1.1\r\nHost: t.example\r\n\r\n",
		/* 1: Transfer-Encoding folded over two lines */
		"POST /fold HTTP/1.1\r\nHost: t.example\r\nTransfer-Encoding:\r\n chunked\r\n\r\n"
		"0\r\n\r\nGET /smuggled-fold HTTP/1.1\r\nHost: t.example\r\n\r\n",
		/* 2: a negative length */
		"POST /negative HTTP/1.1\r\nHost: t.example\r\nContent-Length: -1\r\n\r\n"
		"GET /smuggled-negative HTTP/1.1\r\nHost: t.example\r\n\r\n",
		/* 3: a length of 2^64 */
		"POST /huge HTTP/1.1\r\nHost: t.example\r\nContent-Length: 18446744073709551616\r\n\r\n"
		"GET /smuggled-huge HTTP/1.1\r\nHost: t.example\r\n\r\n",
		/* 4: leading zeros: decimal 12 */
		"POST /zeros HTTP/1.1\r\nHost: t.example\r\nContent-Length: 00000000012\r\n\r\n"
		"twelve bytesGET /after-zeros HTTP/1.1\r\nHost: t.example\r\n\r\n",
		/* 5: a chunk size of 2^64 */
		"POST /chunk-overflow HTTP/1.1\r\nHost: t.example\r\nTransfer-Encoding: chunked\r\n\r\n"
		"10000000000000000\r\n\r\nGET /smuggled-chunk HTTP/1.1\r\nHost: t.example\r\n\r\n",
		/* 6: chunked not last */
		"POST /te-order HTTP/1.1\r\nHost: t.example\r\nTransfer-Encoding: chunked, identity\r\n\r\n"
		"0\r\n\r\nGET /smuggled-te-order HTTP/1.1\r\nHost: t.example\r\n\r\n",
		/* 7: two Host headers that disagree, and an absolute URI naming a third */
		"GET http://uri.example/x HTTP/1.1\r\nHost: one.example\r\nHost: two.example\r\n\r\n",
		/* 8: HTTP/1.1 without Host */
		"GET /nohost HTTP/1.1\r\nAccept: */*\r\n\r\n",
		/* 9: two different lengths */
		"POST /two-lengths HTTP/1.1\r\nHost: t.example\r\nContent-Length: 5\r\nContent-Length: 40\r\n\r\n"
		"helloGET /smuggled-two-lengths HTTP/1.1\r\nHost: t.example\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(traps) / sizeof(traps[0]); i++) {
		struct sess x;
		sess_open(&x, &w, "192.168.70.12", (uint16_t)(50300 + i), "198.51.100.84", 80, T0 + 20000000 + i * 1000000,
			  0);
		send_str(&x, PG_C2S, traps[i]);
		send_str(&x, PG_S2C, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
		pg_tcp_close(&x.s, PG_S2C);
	}
	pg_close(&w);
	return true;
}

/* ------------------------------------------------------------ gaps */

static bool http_gaps(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	struct sess x;
	uint64_t t = T0 + 40000000;
	struct buf b = {0};
	/* 1: a hole inside a body of known length: stepped over, the file marked; the next
	 *    transaction parses normally */
	sess_open(&x, &w, "192.168.70.13", 50400, "198.51.100.85", 80, t, 0);
	send_str(&x, PG_C2S, "GET /hole.bin HTTP/1.1\r\nHost: gaps.example\r\n\r\n");
	puts_(&b, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 3000\r\n\r\n");
	for (int i = 0; i < 3000; i++) {
		uint8_t c = (uint8_t)('a' + i % 26);
		put(&b, &c, 1);
	}
	size_t cuts[2] = {b.n - 3000 + 1000, b.n - 3000 + 2000};
	int drop[1] = {1};
	pg_tcp_send_pieces(&x.s, PG_S2C, b.p, b.n, cuts, 2, NULL, drop, 1);
	send_str(&x, PG_C2S, "GET /after-hole HTTP/1.1\r\nHost: gaps.example\r\n\r\n");
	send_str(&x, PG_S2C, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfine\n");
	pg_tcp_close(&x.s, PG_C2S);
	/* 2: a hole inside a chunked body: that answer is cut, the parser starts over at the next
	 *    status line */
	sess_open(&x, &w, "192.168.70.13", 50401, "198.51.100.85", 80, t + 1000000, 0);
	send_str(&x, PG_C2S, "GET /chunked-hole HTTP/1.1\r\nHost: gaps.example\r\n\r\n");
	b.n = 0;
	puts_(&b, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
	size_t head = b.n;
	struct buf text = {0};
	page_text(&text, "chunked with a hole", 30);
	chunked(&b, text.p, text.n, 500, NULL);
	size_t c2[2] = {head + 700, head + 1400};
	pg_tcp_send_pieces(&x.s, PG_S2C, b.p, b.n, c2, 2, NULL, drop, 1);
	send_str(&x, PG_C2S, "GET /after-chunked-hole HTTP/1.1\r\nHost: gaps.example\r\n\r\n");
	send_str(&x, PG_S2C, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n");
	pg_tcp_close(&x.s, PG_C2S);
	/* 3: a hole inside a request head: that request is cut, the next one is found */
	sess_open(&x, &w, "192.168.70.13", 50402, "198.51.100.85", 80, t + 2000000, 0);
	b.n = 0;
	puts_(&b, "GET /head-hole HTTP/1.1\r\nHost: gaps.example\r\nX-Padding: 0123456789012345678901234567890123456789\r\n"
		  "User-Agent: lost\r\n\r\n");
	size_t c3[2] = {30, 60};
	pg_tcp_send_pieces(&x.s, PG_C2S, b.p, b.n, c3, 2, NULL, drop, 1);
	send_str(&x, PG_S2C, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
	send_str(&x, PG_C2S, "GET /after-head-hole HTTP/1.1\r\nHost: gaps.example\r\n\r\n");
	send_str(&x, PG_S2C, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n");
	pg_tcp_close(&x.s, PG_C2S);
	/* 4: a whole answer lost between two complete transactions */
	sess_open(&x, &w, "192.168.70.13", 50403, "198.51.100.85", 80, t + 3000000, 0);
	send_str(&x, PG_C2S, "GET /one HTTP/1.1\r\nHost: gaps.example\r\n\r\n");
	send_str(&x, PG_S2C, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\none\n");
	send_str(&x, PG_C2S, "GET /two HTTP/1.1\r\nHost: gaps.example\r\n\r\n");
	b.n = 0;
	puts_(&b, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ntwo\nHTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nthree\n");
	size_t c4[1] = {42};
	int drop0[1] = {0};
	send_str(&x, PG_C2S, "GET /three HTTP/1.1\r\nHost: gaps.example\r\n\r\n");
	pg_tcp_send_pieces(&x.s, PG_S2C, b.p, b.n, c4, 1, NULL, drop0, 1);
	pg_tcp_close(&x.s, PG_C2S);
	freeb(&b);
	freeb(&text);
	pg_close(&w);
	return true;
}

/* ------------------------------------------------------------ every inspection buffer */

static bool http_buffers(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	struct sess x;
	sess_open(&x, &w, "192.168.70.14", 50500, "198.51.100.86", 8080, T0 + 50000000, 0);
	send_str(&x, PG_C2S,
		 "POST /a/b/../c/%41%2e%2e/d%20e?q=%41%42+c&x=%2F#frag HTTP/1.1\r\n"
		 "Host: WWW.Buffers.Example.:8080\r\n"
		 "User-Agent: Mozilla/5.0 (kagami buffers)\r\n"
		 "Accept: text/html, */*;q=0.1\r\n"
		 "Accept-Encoding: gzip, br\r\n"
		 "Accept-Language: ja, en;q=0.5\r\n"
		 "Referer: http://ref.example/start\r\n"
		 "Cookie: session=abc123\r\n"
		 "Connection: keep-alive\r\n"
		 "X-Forwarded-For: 203.0.113.9, 198.51.100.250\r\n"
		 "Content-Type: text/plain\r\n"
		 "Content-Length: 12\r\n"
		 "\r\n"
		 "request body");
	send_str(&x, PG_S2C,
		 "HTTP/1.1 302 Found here\r\n"
		 "Server: nginx/1.25.0\r\n"
		 "Location: https://login.example/\r\n"
		 "Set-Cookie: id=42; HttpOnly\r\n"
		 "Connection: keep-alive\r\n"
		 "Content-Type: text/html; charset=utf-8\r\n"
		 "Content-Length: 13\r\n"
		 "\r\n"
		 "response body");
	pg_tcp_close(&x.s, PG_C2S);
	pg_close(&w);
	return true;
}

/* ------------------------------------------------------------ caps */

static bool http_caps(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	struct sess x;
	uint64_t t = T0 + 60000000;
	struct buf b = {0};
	/* 1: more header fields than the cap (300 > 256) */
	sess_open(&x, &w, "192.168.70.15", 50600, "198.51.100.87", 80, t, 0);
	puts_(&b, "GET /many-headers HTTP/1.1\r\nHost: caps.example\r\n");
	for (int i = 0; i < 300; i++)
		printf_(&b, "X-Field-%d: %d\r\n", i, i);
	puts_(&b, "\r\n");
	send_msg(&x, PG_C2S, &b);
	send_str(&x, PG_S2C, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	/* 2: a header block larger than the bytes kept (70 lines of 1000 bytes) */
	b.n = 0;
	puts_(&b, "GET /big-headers HTTP/1.1\r\nHost: caps.example\r\n");
	for (int i = 0; i < 70; i++) {
		printf_(&b, "X-Big-%d: ", i);
		for (int k = 0; k < 1000; k++)
			put(&b, "A", 1);
		puts_(&b, "\r\n");
	}
	puts_(&b, "\r\n");
	send_msg(&x, PG_C2S, &b);
	send_str(&x, PG_S2C, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	/* 3: a download larger than the body limit (110 KiB > 100 KiB), hashed whole */
	send_str(&x, PG_C2S, "GET /large.bin HTTP/1.1\r\nHost: caps.example\r\n\r\n");
	b.n = 0;
	puts_(&b, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 112640\r\n\r\n");
	struct pg_rng rng;
	pg_rng_seed(&rng, 77);
	pg_rng_fill(&rng, grow(&b, 112640), 112640);
	b.n += 112640;
	send_msg(&x, PG_S2C, &b);
	pg_tcp_close(&x.s, PG_C2S);
	/* 4: 300 pipelined requests never answered: the oldest open transactions are finished at
	 *    the cap (256) */
	sess_open(&x, &w, "192.168.70.15", 50601, "198.51.100.87", 80, t + 1000000, 0);
	b.n = 0;
	for (int i = 0; i < 300; i++)
		printf_(&b, "GET /q%d HTTP/1.1\r\nHost: caps.example\r\n\r\n", i);
	send_msg(&x, PG_C2S, &b);
	pg_tcp_close(&x.s, PG_C2S);
	/* 5: 1200 transactions on one connection, 100 pipelined at a time: the libhtp parser is
	 *    replaced once, at an idle point after 1024, without losing the pairing */
	sess_open(&x, &w, "192.168.70.15", 50602, "198.51.100.87", 80, t + 2000000, 0);
	struct buf a = {0};
	for (int batch = 0; batch < 12; batch++) {
		b.n = 0;
		a.n = 0;
		for (int i = 0; i < 100; i++) {
			int k = batch * 100 + i;
			printf_(&b, "GET /t%d HTTP/1.1\r\nHost: caps.example\r\n\r\n", k);
			printf_(&a, "HTTP/1.1 %d %s\r\nContent-Length: 0\r\n\r\n", k % 3 ? 204 : 404,
				k % 3 ? "No Content" : "Not Found");
		}
		send_msg(&x, PG_C2S, &b);
		send_msg(&x, PG_S2C, &a);
	}
	pg_tcp_close(&x.s, PG_C2S);
	freeb(&a);
	freeb(&b);
	pg_close(&w);
	return true;
}

/* ------------------------------------------------------------ the bench mix */

void pg_http_bench_script(struct pg_script *sc, struct pg_rng *r, uint32_t n, size_t resp)
{
	struct buf q = {0}, body = {0}, enc = {0}, out = {0};
	int kind = (int)(n % 4); /* 0 plain, 1 chunked, 2 gzip, 3 gzip + chunked */
	printf_(&q, "GET /download/%08x/%s HTTP/1.1\r\nHost: dl%u.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n"
		    "Accept: */*\r\nAccept-Encoding: gzip, deflate\r\nCookie: sid=%08x\r\n\r\n",
		pg_rng_u32(r), kind >= 2 ? "page.html" : "file.bin", n % 1000, pg_rng_u32(r));
	pg_script_add(sc, PG_C2S, q.p, q.n);
	if (kind >= 2) {
		char title[32];
		snprintf(title, sizeof(title), "download %u", n);
		while (body.n < resp * 3)
			page_text(&body, title, 40);
		gzip_of(&enc, body.p, body.n);
	} else {
		pg_rng_fill(r, grow(&enc, resp), resp);
		enc.n += resp;
	}
	const char *ce = kind >= 2 ? "Content-Encoding: gzip\r\n" : "";
	if (kind == 1 || kind == 3) {
		printf_(&out, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n%sTransfer-Encoding: chunked\r\n\r\n",
			kind == 3 ? "text/html" : "application/octet-stream", ce);
		chunked(&out, enc.p, enc.n, 8192, NULL);
	} else {
		printf_(&out, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n%sContent-Length: %zu\r\n\r\n",
			kind == 2 ? "text/html" : "application/octet-stream", ce, enc.n);
		put(&out, enc.p, enc.n);
	}
	for (size_t off = 0; off < out.n;) {
		size_t k = out.n - off > 4096 ? 4096 : out.n - off;
		if (!pg_script_add(sc, PG_S2C, out.p + off, k))
			break;
		off += k;
	}
	freeb(&q);
	freeb(&body);
	freeb(&enc);
	freeb(&out);
}

/* A large HTTP-only capture for the parser's throughput (tools/bench-http): downloads of every
 * kind one after the other on many connections. Written only when named; PCAPGEN_HTTP_MB (default
 * 256) sets its size. */
static bool http_bench(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	const char *mb = getenv("PCAPGEN_HTTP_MB");
	uint64_t target = (uint64_t)(mb ? strtoul(mb, NULL, 10) : 256) << 20;
	struct pg_rng rng;
	pg_rng_seed(&rng, 2024);
	struct pg_script sc = {0};
	sc.cap = 512 * 1024;
	sc.buf = malloc(sc.cap);
	uint64_t t = T0 + 100000000;
	for (uint32_t n = 0;; n++) {
		long pos = ftell(w.fp);
		if (pos < 0 || (uint64_t)pos >= target)
			break;
		char cli[32];
		snprintf(cli, sizeof(cli), "10.80.%u.%u", (n >> 8) & 255, (n & 255) | 1);
		struct pg_link l = {.encap = PG_ENC_ETH};
		struct pg_tcp s;
		pg_tcp_init(&s, &w, &l, pg_ip4(cli), (uint16_t)(20000 + n % 40000), pg_ip4("172.20.0.80"), 80,
			    pg_rng_u32(&rng), pg_rng_u32(&rng), t);
		s.step_us = 10;
		pg_tcp_handshake(&s);
		for (int k = 0; k < 4; k++) {
			sc.len = 0;
			sc.n = 0;
			pg_http_bench_script(&sc, &rng, n * 4 + (uint32_t)k, 2000 + pg_rng_u32(&rng) % 60000);
			for (int i = 0; i < sc.n; i++)
				pg_tcp_send(&s, sc.msg[i].dir, sc.buf + sc.msg[i].off, sc.msg[i].len);
		}
		pg_tcp_close(&s, PG_C2S);
		t = s.t + 1000;
	}
	free(sc.buf);
	pg_close(&w);
	return true;
}

const struct pg_scenario pg_http_scenarios[] = {
	{"http-bodies", "one keep-alive connection, a transaction per body form: length, chunked with trailer, gzip, gzip+chunked, deflate, raw deflate, HEAD, 304, form POST, chunked POST, PUT, multipart upload, range, attachment name, body until close", http_bodies},
	{"http-bytewise", "http-bodies with every message sent a byte per segment", http_bytewise},
	{"http-reorder", "http-bodies with every message cut in 7-byte pieces sent out of order", http_reorder},
	{"http-pipeline", "5 pipelined requests, 100-continue, HTTP/0.9, CONNECT with TLS inside, refused CONNECT, WebSocket upgrade, an answer without its request", http_pipeline},
	{"http-smuggling", "request smuggling traps: CL+TE, folded TE, negative and 2^64 lengths, leading zeros, 2^64 chunk, TE order, two Hosts, no Host, two lengths", http_smuggling},
	{"http-gaps", "holes in a body of known length, in a chunked body, in a request head, and a lost answer", http_gaps},
	{"http-buffers", "one transaction with every header an inspection buffer is made of", http_buffers},
	{"http-caps", "300 header fields, a 70 KB header block, a 110 KiB download, 300 unanswered pipelined requests, 1200 transactions on one connection", http_caps},
	{NULL, NULL, NULL},
};

const struct pg_scenario pg_http_bench_scenarios[] = {
	{"bench-http", "large HTTP-only capture (downloads: plain, chunked, gzip, gzip+chunked)", http_bench},
	{NULL, NULL, NULL},
};
