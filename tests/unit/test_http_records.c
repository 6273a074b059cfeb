/* test_http_records.c - the HTTP wire-level helpers (dissectors/http/http_records.h): recognition of
 * requests and responses, resynchronisation after lost bytes, header parameters and file names
 * (RFC 6266, RFC 8187), multipart boundaries, Content-Range, X-Forwarded-For, the buffer builders
 * (cookie lines left out of the raw block, obsolete folding), and the streaming multipart parser,
 * which must find the same parts however the body is cut (every split point, every byte apart)
 * and across gaps. */
#include "config.h"

#include "check.h"
#include "dissectors/http/http_records.h"

#include <zlib.h>

static struct cursor cs(const char *s) { return cur_make(s, strlen(s)); }

static enum cur_status req(const char *s)
{
	struct cursor c = cs(s);
	return http_probe_request(&c);
}

static enum cur_status resp(const char *s)
{
	struct cursor c = cs(s);
	return http_probe_response(&c);
}

static bool param_is(const char *value, const char *name, const char *want)
{
	uint8_t out[256];
	size_t n = 0;
	if (http_param(cs(value), name, out, sizeof(out), &n) != CUR_OK)
		return want == NULL;
	return want && n == strlen(want) && memcmp(out, want, n) == 0;
}

static bool fname_is(const char *value, const char *want)
{
	uint8_t out[HTTP_FILENAME_MAX];
	size_t n = 0;
	if (http_cd_filename(cs(value), out, &n) != CUR_OK)
		return want == NULL;
	return want && n == strlen(want) && memcmp(out, want, n) == 0;
}

/* ------------------------------------------------------------ multipart harness */

struct mp_rec {
	char log[4096];
	size_t n;
	int parts, ends_complete, ends_cut, gaps;
	int anom[8];
};

static void rec(struct mp_rec *r, const char *s, size_t n)
{
	if (r->n + n < sizeof(r->log)) {
		memcpy(r->log + r->n, s, n);
		r->n += n;
		r->log[r->n] = '\0';
	}
}

static void on_begin(void *u, const struct http_mp_part *p)
{
	struct mp_rec *r = u;
	r->parts++;
	rec(r, "[", 1);
	rec(r, (const char *)cur_data(&p->name), cur_len(&p->name));
	if (p->filename) {
		rec(r, "|", 1);
		rec(r, (const char *)p->filename, p->filename_len);
	}
	if (cur_len(&p->content_type)) {
		rec(r, "|", 1);
		rec(r, (const char *)cur_data(&p->content_type), cur_len(&p->content_type));
	}
	rec(r, "]", 1);
}

static void on_data(void *u, const uint8_t *p, size_t n)
{
	CHECK(n > 0);
	rec(u, (const char *)p, n);
}

static void on_gap(void *u, uint64_t n)
{
	struct mp_rec *r = u;
	(void)n;
	r->gaps++;
	rec(r, "<gap>", 5);
}

static void on_end(void *u, bool complete)
{
	struct mp_rec *r = u;
	if (complete)
		r->ends_complete++;
	else
		r->ends_cut++;
	rec(r, complete ? "{end}" : "{cut}", 5);
}

static void on_anom(void *u, enum http_mp_anomaly a)
{
	struct mp_rec *r = u;
	if ((unsigned)a < 8)
		r->anom[a]++;
}

static const struct http_mp_cb cb = {on_begin, on_data, on_gap, on_end, on_anom};

/* Parse body in pieces cut at the given offsets (ascending, 0-terminated list) */
static void mp_run_cuts(struct mp_rec *r, const char *boundary, const char *body, size_t len, const size_t *cuts,
			size_t ncuts)
{
	struct http_mp m;
	memset(r, 0, sizeof(*r));
	http_mp_init(&m, (const uint8_t *)boundary, strlen(boundary), &cb, r);
	size_t at = 0;
	for (size_t i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : len;
		if (end > at) {
			/* each piece in its own allocation of exactly its size */
			uint8_t *piece = malloc(end - at);
			memcpy(piece, body + at, end - at);
			http_mp_feed(&m, piece, end - at);
			free(piece);
		}
		at = end;
	}
	http_mp_finish(&m);
	http_mp_free(&m);
}

static const char mp_body[] = "preamble to ignore\r\n"
			      "--XyZ\r\n"
			      "Content-Disposition: form-data; name=\"field\"\r\n"
			      "\r\n"
			      "value with --XyZ- inside\r\n"
			      "--XyZ \t\r\n"
			      "Content-Disposition: form-data; name=\"up\"; filename=\"ev il.exe\"\r\n"
			      "Content-Type: application/octet-stream\r\n"
			      "\r\n"
			      "MZ\x90\x00PAYLOAD\r\n\r\n--Xy\r\n"
			      "--XyZ\r\n"
			      "Content-Disposition: form-data; name=\"empty\"; filename=\"e.txt\"\r\n"
			      "\r\n"
			      "\r\n"
			      "--XyZ--\r\n"
			      "epilogue --XyZ\r\n";
static const char mp_want[] = "[field]value with --XyZ- inside{end}"
			      "[up|ev il.exe|application/octet-stream]MZ\x90\x00PAYLOAD\r\n\r\n--Xy{end}"
			      "[empty|e.txt]{end}";

/* ------------------------------------------------------------ decoder harness */

struct dec_rec {
	uint8_t out[65536];
	size_t n;
	int ev[4];
};

static void d_out(void *u, const uint8_t *p, size_t n)
{
	struct dec_rec *r = u;
	CHECK(n > 0);
	if (r->n + n <= sizeof(r->out)) {
		memcpy(r->out + r->n, p, n);
		r->n += n;
	}
}

static void d_ev(void *u, enum http_dec_event e)
{
	struct dec_rec *r = u;
	if ((unsigned)e < 4)
		r->ev[e]++;
}

/* zlib's encoder: windowBits 31 gzip, 15 zlib, -15 raw */
static size_t z_encode(const uint8_t *in, size_t n, uint8_t *out, size_t cap, int wbits)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	deflateInit2(&z, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	deflate(&z, Z_FINISH);
	size_t k = z.total_out;
	deflateEnd(&z);
	return k;
}

/* Decode enc (coding ce) fed step bytes at a time; true when the output is plain exactly. */
static bool dec_is(const char *ce, const uint8_t *enc, size_t n, size_t step, const uint8_t *plain, size_t pn,
		   struct dec_rec *r)
{
	struct http_decoder d;
	memset(r, 0, sizeof(*r));
	if (!http_dec_init(&d, cs(ce), d_out, d_ev, r))
		return false;
	for (size_t i = 0; i < n; i += step) {
		size_t k = n - i < step ? n - i : step;
		uint8_t *piece = malloc(k);
		memcpy(piece, enc + i, k);
		http_dec_feed(&d, piece, k);
		free(piece);
	}
	http_dec_free(&d);
	return r->n == pn && memcmp(r->out, plain, pn) == 0;
}

int main(void)
{
	/* recognition */
	CHECK(req("GET / HTTP/1.1\r\n") == CUR_OK);
	CHECK(req("get /index.html HTTP/1.1\r\n") == CUR_OK); /* lower case, as servers accept */
	CHECK(req("\r\n\r\nPOST /x HTTP/1.0") == CUR_OK);   /* blank lines first */
	CHECK(req("PROPFIND\t/dav HTTP/1.1") == CUR_OK);
	CHECK(req("OPTIONS\r\nHost: x\r\n") == CUR_OK);       /* a method alone on its line */
	CHECK(req("link type18fmt07elsz6") == CUR_INVALID); /* rare methods: upper case only */
	CHECK(req("get the file\r\n") == CUR_INVALID);       /* lower case: only before a '/' */
	CHECK(req("Post /form HTTP/1.1\r\n") == CUR_OK);
	CHECK(req("LINK /a HTTP/1.1\r\n") == CUR_OK);
	CHECK(req("GE") == CUR_TRUNCATED);
	CHECK(req("ge") == CUR_TRUNCATED);
	CHECK(req("") == CUR_TRUNCATED);
	CHECK(req("QUERY /users HTTP/1.1\r\n") == CUR_OK); /* listed */
	CHECK(req("CCM_POST / HTTP/1.\r\n") == CUR_OK);     /* generic: token, target, HTTP/ */
	CHECK(req("CCM_POST /HTTP/1.1\r\n") == CUR_OK);     /* generic HTTP/0.9 form */
	CHECK(req("CCM_POST / HTT") == CUR_TRUNCATED);      /* may still become one */
	CHECK(req("CCM_POST /x") == CUR_TRUNCATED);
	CHECK(req("CCM_POST ") == CUR_TRUNCATED);
	CHECK(req("HELLO kagami-split") == CUR_INVALID);    /* not a target: decided now */
	CHECK(req("CCM_POST / FTP/1.0") == CUR_INVALID);
	CHECK(req("EHLO mail.example.com\r\n") == CUR_INVALID);
	CHECK(req("USER anonymous\r\n") == CUR_INVALID);
	CHECK(req("INVITE sip:bob@example.com SIP/2.0\r\n") == CUR_INVALID);
	CHECK(req("DESCRIBE rtsp://h/s RTSP/1.0\r\n") == CUR_INVALID);
	CHECK(req("T / HTTP\r\n") == CUR_INVALID); /* too short a token */
	CHECK(req("\x16\x03\x01\x02\x00") == CUR_INVALID);
	CHECK(req("SSH-2.0-OpenSSH_8.9\r\n") == CUR_INVALID);
	CHECK(resp("HTTP/1.1 200 OK\r\n") == CUR_OK);
	CHECK(resp("HTTP/") == CUR_TRUNCATED);
	CHECK(resp("HTT") == CUR_TRUNCATED);
	CHECK(resp("HTTP/x") == CUR_INVALID);
	CHECK(resp("SSH-2.0") == CUR_INVALID);

	/* resynchronisation */
	size_t off = 0;
	struct cursor c = cs("tail of a body\r\nGET /next HTTP/1.1\r\n");
	CHECK(http_resync(&c, true, false, &off) && off == 16);
	c = cs("GET /now HTTP/1.1\r\n");
	CHECK(http_resync(&c, true, true, &off) && off == 0);
	CHECK(!http_resync(&c, true, false, &off) && off == c.len); /* not at a line start */
	c = cs("junk\nxx GET / HTTP/1.1\n");
	CHECK(!http_resync(&c, true, false, &off) && off == c.len);
	c = cs("junk\r\nPO");
	CHECK(!http_resync(&c, true, false, &off) && off == 6); /* "PO" may be a POST: kept */
	c = cs("data\nlock the door\nPUT /x HTTP/1.1\n");
	CHECK(http_resync(&c, true, false, &off) && off == 19);
	c = cs("body\r\nHTTP/1.1 404 Not Found\r\n");
	CHECK(http_resync(&c, false, false, &off) && off == 6);
	c = cs("body\r\nHTTP/");
	CHECK(!http_resync(&c, false, false, &off) && off == 6);

	/* field values */
	CHECK(http_token_is(cs("Content-Type"), "content-type"));
	CHECK(!http_token_is(cs("Content-Typ"), "content-type"));
	struct cursor mt = http_media_type(cs(" text/html ; charset=utf-8"));
	CHECK(cur_len(&mt) == 9 && !memcmp(cur_data(&mt), "text/html", 9));
	CHECK(param_is("multipart/form-data; boundary=abc", "boundary", "abc"));
	CHECK(param_is("multipart/form-data;boundary=\"a;b\\\"c\"", "boundary", "a;b\"c"));
	CHECK(param_is("x; other=\"boundary=no\"; boundary = yes", "boundary", "yes"));
	CHECK(param_is("x; boundary=", "boundary", NULL));
	CHECK(param_is("x; boundary=\"unterminated", "boundary", NULL));
	CHECK(param_is("x; boundaryx=1", "boundary", NULL));
	CHECK(fname_is("attachment; filename=\"a b.exe\"", "a b.exe"));
	CHECK(fname_is("attachment; filename=plain.txt", "plain.txt"));
	CHECK(fname_is("attachment; filename=\"fallback.txt\"; filename*=UTF-8''%E2%82%AC%20rates.txt",
		       "\xe2\x82\xac rates.txt"));
	CHECK(fname_is("attachment; filename*=UTF-8''bad%zz; filename=ok.txt", "ok.txt"));
	CHECK(fname_is("inline", NULL));
	uint8_t bnd[HTTP_BOUNDARY_MAX];
	size_t blen = 0;
	CHECK(http_multipart_boundary(cs("multipart/form-data; boundary=----Web123"), bnd, &blen) == CUR_OK &&
	      blen == 10 && !memcmp(bnd, "----Web123", 10));
	CHECK(http_multipart_boundary(cs("MULTIPART/mixed; boundary=\"q q\""), bnd, &blen) == CUR_OK && blen == 3);
	CHECK(http_multipart_boundary(cs("text/plain; boundary=x"), bnd, &blen) == CUR_TRUNCATED);
	CHECK(http_multipart_boundary(cs("multipart/form-data"), bnd, &blen) == CUR_TRUNCATED);
	char longb[300] = "multipart/form-data; boundary=";
	memset(longb + strlen(longb), 'b', 220);
	CHECK(http_multipart_boundary(cs(longb), bnd, &blen) == CUR_INVALID);

	struct http_range r;
	CHECK(http_content_range(cs("bytes 0-499/1234"), &r) == CUR_OK && r.first == 0 && r.last == 499 &&
	      r.length_known && r.length == 1234 && !r.unsatisfied);
	CHECK(http_content_range(cs("bytes 500-999/*"), &r) == CUR_OK && !r.length_known);
	CHECK(http_content_range(cs("bytes */1234"), &r) == CUR_OK && r.unsatisfied && r.length == 1234);
	CHECK(http_content_range(cs("bytes 5-4/10"), &r) == CUR_INVALID);
	CHECK(http_content_range(cs("bytes 0-10/10"), &r) == CUR_INVALID);
	CHECK(http_content_range(cs("items 0-1/2"), &r) == CUR_INVALID);
	CHECK(http_content_range(cs("bytes 0-18446744073709551616/5"), &r) == CUR_INVALID);
	CHECK(http_content_range(cs("bytes -1-5/10"), &r) == CUR_INVALID);

	char ip[64];
	CHECK(http_xff_client(cs("203.0.113.7, 10.0.0.1 , 198.51.100.9"), ip, sizeof(ip)) &&
	      !strcmp(ip, "198.51.100.9"));
	CHECK(http_xff_client(cs("2001:db8::1"), ip, sizeof(ip)) && !strcmp(ip, "2001:db8::1"));
	CHECK(!http_xff_client(cs("unknown"), ip, sizeof(ip)));
	CHECK(!http_xff_client(cs("1.2.3.4, "), ip, sizeof(ip)));

	CHECK(http_decimal_valid(cs(" 42 ")));
	CHECK(http_decimal_valid(cs("0000000050")));
	CHECK(!http_decimal_valid(cs("-1")));
	CHECK(!http_decimal_valid(cs("18446744073709551615")));
	CHECK(!http_decimal_valid(cs("5, 5")));
	CHECK(!http_decimal_valid(cs("")));
	CHECK(!http_decimal_valid(cs("0x10")));

	/* buffer builders */
	struct strbuf sb;
	sb_init(&sb, 0);
	http_buf_raw_without(&sb, cs("Host: a\r\nCookie: x=1\r\n  ; y=2\r\ncookie : z\nAccept: */*\r\n\r\n"), "cookie");
	CHECK_STR(sb_cstr(&sb), "Host: a\r\nAccept: */*\r\n\r\n");
	sb_reset(&sb);
	http_buf_raw_without(&sb, cs("Set-Cookie: a\r\nServer: s\r\nSet-Cookie2: b\r\nX: 1"), "set-cookie");
	CHECK_STR(sb_cstr(&sb), "Server: s\r\nSet-Cookie2: b\r\nX: 1");
	sb_reset(&sb);
	http_buf_header_line(&sb, cs("Host"), cs("example.com"));
	http_buf_header_name(&sb, cs("Host"));
	CHECK_STR(sb_cstr(&sb), "Host: example.com\r\n\r\nHost");
	sb_free(&sb);
	CHECK(http_raw_folded(cs("Transfer-Encoding:\r\n chunked\r\n\r\n")));
	CHECK(http_raw_folded(cs("A: 1\n\tmore\n\n")));
	CHECK(!http_raw_folded(cs("A: 1\r\nB: 2\r\n\r\n body")));
	CHECK(!http_raw_folded(cs("A: 1\r\n\r\n folded-looking body")));

	/* multipart: in one piece */
	struct mp_rec a, b;
	mp_run_cuts(&a, "XyZ", mp_body, sizeof(mp_body) - 1, NULL, 0);
	CHECK_EQ_U(a.n, sizeof(mp_want) - 1);
	CHECK(memcmp(a.log, mp_want, sizeof(mp_want) - 1) == 0);
	CHECK_EQ_U(a.parts, 3);
	CHECK_EQ_U(a.ends_complete, 3);
	CHECK_EQ_U(a.ends_cut, 0);
	/* cut at every byte boundary, and every byte on its own */
	for (size_t k = 1; k < sizeof(mp_body) - 1; k++) {
		mp_run_cuts(&b, "XyZ", mp_body, sizeof(mp_body) - 1, &k, 1);
		CHECK(b.n == a.n && memcmp(a.log, b.log, a.n) == 0);
		if (b.n != a.n || memcmp(a.log, b.log, a.n)) {
			fprintf(stderr, "split at %zu: %s\n", k, b.log);
			break;
		}
	}
	size_t every[sizeof(mp_body)];
	for (size_t k = 0; k + 2 < sizeof(mp_body); k++)
		every[k] = k + 1;
	mp_run_cuts(&b, "XyZ", mp_body, sizeof(mp_body) - 1, every, sizeof(mp_body) - 2);
	CHECK(b.n == a.n && memcmp(a.log, b.log, a.n) == 0);

	/* LF-only lines, a part without data and without its CRLF, no preamble */
	static const char lf[] = "--b\nContent-Disposition: form-data; name=\"n\"\n\n--b\n"
				 "Content-Disposition: form-data; name=\"f\"; filename=\"x\"\n\nDATA\n--b--";
	mp_run_cuts(&b, "b", lf, sizeof(lf) - 1, NULL, 0);
	CHECK_STR(b.log, "[n]{end}[f|x]DATA{end}");

	/* no close delimiter: the part is cut and reported */
	static const char open_part[] = "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\nDATA";
	mp_run_cuts(&b, "b", open_part, sizeof(open_part) - 1, NULL, 0);
	CHECK_STR(b.log, "[f|x]DATA{cut}");
	CHECK_EQ_U(b.anom[HTTP_MP_NO_CLOSE], 1);
	/* nothing multipart at all */
	mp_run_cuts(&b, "b", "just text", 9, NULL, 0);
	CHECK_EQ_U(b.parts, 0);
	CHECK_EQ_U(b.anom[HTTP_MP_NO_PARTS], 1);
	/* a header line without a colon; a header block past the cap stops the parser */
	static const char badh[] = "--b\r\nnocolon\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--b--\r\n";
	mp_run_cuts(&b, "b", badh, sizeof(badh) - 1, NULL, 0);
	CHECK_STR(b.log, "[a]v{end}");
	CHECK_EQ_U(b.anom[HTTP_MP_INVALID_HEADER], 1);
	static char bigh[HTTP_MP_HEADERS_MAX + 200];
	memcpy(bigh, "--b\r\nX: ", 8);
	memset(bigh + 8, 'a', sizeof(bigh) - 9);
	mp_run_cuts(&b, "b", bigh, sizeof(bigh) - 1, NULL, 0);
	CHECK_EQ_U(b.parts, 0);
	CHECK_EQ_U(b.anom[HTTP_MP_HEADERS_TOO_LONG], 1);

	/* a gap inside part data: the part goes on, marked; outside data: parsing stops */
	struct http_mp m;
	memset(&b, 0, sizeof(b));
	http_mp_init(&m, (const uint8_t *)"b", 1, &cb, &b);
	static const char g1[] = "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\nAB";
	http_mp_feed(&m, (const uint8_t *)g1, sizeof(g1) - 1);
	http_mp_gap(&m, 100);
	http_mp_feed(&m, (const uint8_t *)"CD\r\n--b--\r\n", 11);
	http_mp_finish(&m);
	http_mp_free(&m);
	CHECK_STR(b.log, "[f|x]AB<gap>CD{end}");
	memset(&b, 0, sizeof(b));
	http_mp_init(&m, (const uint8_t *)"b", 1, &cb, &b);
	http_mp_feed(&m, (const uint8_t *)"--b\r\nContent-Disp", 17);
	http_mp_gap(&m, 10);
	http_mp_feed(&m, (const uint8_t *)"\r\n\r\nx\r\n--b--", 12);
	http_mp_finish(&m);
	http_mp_free(&m);
	CHECK_EQ_U(b.parts, 0);
	CHECK_EQ_U(b.anom[HTTP_MP_GAP], 1);
	/* content codings, whatever the pieces */
	static uint8_t plain[20000], enc[30000], enc2[30000];
	for (size_t i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)("the quick brown fox jumps over the lazy dog "[i % 44] + (i / 997) % 3);
	struct dec_rec dr;
	const int wb[3] = {31, 15, -15};
	const char *const names[3] = {"gzip", "deflate", "deflate"};
	for (int k = 0; k < 3; k++) {
		size_t n = z_encode(plain, sizeof(plain), enc, sizeof(enc), wb[k]);
		const size_t steps[] = {1, 2, 3, 4, 5, 7, 64, 100000};
		for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++)
			CHECK(dec_is(names[k], enc, n, steps[s], plain, sizeof(plain), &dr));
	}
	size_t gn = z_encode(plain, sizeof(plain), enc, sizeof(enc), 31);
	CHECK(dec_is("x-gzip", enc, gn, 13, plain, sizeof(plain), &dr));
	CHECK(dec_is(" GZIP ;q=1", enc, gn, 13, plain, sizeof(plain), &dr));
	CHECK(dec_is("identity, gzip", enc, gn, 13, plain, sizeof(plain), &dr));
	/* two members: both decoded */
	memcpy(enc + gn, enc, gn);
	static uint8_t two[40000];
	memcpy(two, plain, sizeof(plain));
	memcpy(two + sizeof(plain), plain, sizeof(plain));
	CHECK(dec_is("gzip", enc, gn * 2, 1000, two, sizeof(two), &dr));
	CHECK(dec_is("gzip", enc, gn * 2, 1, two, sizeof(two), &dr));
	/* gzip header fields (extra, name, comment, header CRC), at every piece size */
	{
		z_stream z;
		memset(&z, 0, sizeof(z));
		deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
		static Bytef xtra[8] = {'A', 'B', 4, 0, 'd', 'a', 't', 'a'}, name[] = "report.txt", comment[] = "a comment";
		gz_header h;
		memset(&h, 0, sizeof(h));
		h.extra = xtra;
		h.extra_len = 8;
		h.name = name;
		h.comment = comment;
		h.hcrc = 1;
		deflateSetHeader(&z, &h);
		z.next_in = plain;
		z.avail_in = sizeof(plain);
		z.next_out = enc;
		z.avail_out = sizeof(enc);
		deflate(&z, Z_FINISH);
		size_t hn = z.total_out;
		deflateEnd(&z);
		CHECK(enc[3] == (2 | 4 | 8 | 16));
		const size_t steps[] = {1, 2, 3, 11, 100000};
		for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++)
			CHECK(dec_is("gzip", enc, hn, steps[k], plain, sizeof(plain), &dr));
	}
	/* labelled gzip but zlib or raw deflate: decoded as what it is */
	size_t zn0 = z_encode(plain, sizeof(plain), enc2, sizeof(enc2), 15);
	CHECK(dec_is("gzip", enc2, zn0, 1, plain, sizeof(plain), &dr));
	zn0 = z_encode(plain, sizeof(plain), enc2, sizeof(enc2), -15);
	CHECK(dec_is("gzip", enc2, zn0, 7, plain, sizeof(plain), &dr));
	/* trailing garbage after the last member: ignored */
	gn = z_encode(plain, sizeof(plain), enc, sizeof(enc), 31);
	memcpy(enc + gn, "garbage", 7);
	CHECK(dec_is("gzip", enc, gn + 7, 5, plain, sizeof(plain), &dr) && dr.ev[HTTP_DEC_ERROR] == 0);
	/* a corrupt member: an error, and what follows as sent */
	gn = z_encode(plain, sizeof(plain), enc, sizeof(enc), 31);
	enc[1] = 0x8c;
	memset(&dr, 0, sizeof(dr));
	CHECK(!dec_is("gzip", enc, gn, 1000, plain, sizeof(plain), &dr) && dr.ev[HTTP_DEC_ERROR] == 1);
	gn = z_encode(plain, sizeof(plain), enc, sizeof(enc), 31);
	/* two layers: gzip applied first, then deflate */
	size_t zn = z_encode(enc, gn, enc2, sizeof(enc2), 15);
	CHECK(dec_is("gzip, deflate", enc2, zn, 3, plain, sizeof(plain), &dr));
	/* not decoded: identity only, unknown codings, three layers */
	struct http_decoder d;
	CHECK(!http_dec_init(&d, cs("identity"), d_out, d_ev, &dr));
	memset(&dr, 0, sizeof(dr));
	CHECK(!http_dec_init(&d, cs("br"), d_out, d_ev, &dr) && dr.ev[HTTP_DEC_UNKNOWN] == 1);
	CHECK(!http_dec_init(&d, cs("gzip, gzip, gzip"), d_out, d_ev, &dr) && dr.ev[HTTP_DEC_LAYERS] == 1);
	/* garbage: an error, then the bytes as sent */
	memset(&dr, 0, sizeof(dr));
	CHECK(http_dec_init(&d, cs("gzip"), d_out, d_ev, &dr));
	http_dec_feed(&d, (const uint8_t *)"not gzip at all", 15);
	http_dec_feed(&d, (const uint8_t *)"raw", 3);
	http_dec_free(&d);
	CHECK(dr.ev[HTTP_DEC_ERROR] == 1 && dr.n == 3 && !memcmp(dr.out, "raw", 3));
	/* a bomb: 64 MiB of zeros deflated twice (one layer cannot pass 1032:1) stop past the limit */
	{
		z_stream z;
		memset(&z, 0, sizeof(z));
		deflateInit2(&z, 9, Z_DEFLATED, 15, 9, Z_DEFAULT_STRATEGY);
		static uint8_t zeros[65536], once[200000];
		z.next_out = once;
		z.avail_out = sizeof(once);
		for (int i = 0; i < 1024; i++) {
			z.next_in = zeros;
			z.avail_in = sizeof(zeros);
			deflate(&z, i == 1023 ? Z_FINISH : Z_NO_FLUSH);
		}
		size_t on = z.total_out;
		deflateEnd(&z);
		size_t tn = z_encode(once, on, enc2, sizeof(enc2), 15);
		memset(&dr, 0, sizeof(dr));
		CHECK(http_dec_init(&d, cs("deflate, deflate"), d_out, d_ev, &dr));
		http_dec_feed(&d, enc2, tn);
		http_dec_free(&d);
		CHECK_EQ_U(dr.ev[HTTP_DEC_BOMB], 1);
		CHECK(d.out <= HTTP_BOMB_LIMIT + 16384 * 2);
	}
	return check_done("test_http_records");
}
