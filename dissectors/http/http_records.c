/* http_records.c - HTTP/1.x wire-level helpers (see http_records.h for the contracts and the specs).
 * Every read goes through struct cursor. */
#include "config.h"

#include "http_records.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* ------------------------------------------------------------ character classes */

static uint8_t lower(uint8_t c) { return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c; }
static bool is_blank(uint8_t c) { return c == ' ' || c == '\t'; }
static bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

/* RFC 9110 5.6.2 tchar */
static bool is_tchar(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c))
		return true;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

bool http_token_is(struct cursor tok, const char *lit)
{
	size_t n = strlen(lit);
	if (cur_len(&tok) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t b;
		if (!cur_u8(&tok, &b) || lower(b) != (uint8_t)lit[i])
			return false;
	}
	return true;
}

struct cursor http_trim(struct cursor c)
{
	uint8_t b;
	while (cur_peek_u8(&c, 0, &b) && is_blank(b))
		cur_skip(&c, 1);
	while (cur_len(&c) && cur_peek_u8(&c, cur_len(&c) - 1, &b) && is_blank(b))
		c.len--;
	return c;
}

/* ------------------------------------------------------------ recognition */

/* Methods of Suricata's HTTP recogniser, the WebDAV/CalDAV ones and a few more Wireshark knows. */
static const char *const methods[] = {
	"get", "post", "head", "put", "delete", "options", "connect", "patch", "trace", "propfind", "proppatch",
	"mkcol", "copy", "move", "lock", "unlock", "checkout", "uncheckout", "checkin", "update", "label",
	"report", "mkworkspace", "mkactivity", "merge", "version-control", "baseline-control", "search",
	"subscribe", "unsubscribe", "notify", "purge", "bind", "rebind", "unbind", "acl", "mkcalendar",
	"orderpatch", "link", "unlink", "query",
};

/* Skip the blank lines (CRLF / LF) a server ignores before a request line. */
static void skip_empty_lines(struct cursor *c)
{
	uint8_t b;
	while (cur_peek_u8(c, 0, &b) && (b == '\r' || b == '\n'))
		cur_skip(c, 1);
}

/* A request line with a method kagami does not list, on a complete line (without its line end):
 * an upper-case token (letters, digits, '_', '-'; 3 to 32 of them), blanks, a target in origin
 * form ("/..."), asterisk form or absolute form ("http://..."), then nothing (HTTP/0.9) or blanks
 * and "HTTP/". Strict enough that other text protocols' first lines (SMTP, FTP, SIP, RTSP) fail. */
static bool generic_request_line(struct cursor line)
{
	uint8_t b;
	size_t tok = 0;
	bool letter = false;
	while (cur_peek_u8(&line, 0, &b) && ((b >= 'A' && b <= 'Z') || is_digit(b) || b == '_' || b == '-')) {
		letter |= b >= 'A' && b <= 'Z';
		cur_skip(&line, 1);
		tok++;
	}
	if (tok < 3 || tok > 32 || !letter || !cur_peek_u8(&line, 0, &b) || !is_blank(b))
		return false;
	while (cur_peek_u8(&line, 0, &b) && is_blank(b))
		cur_skip(&line, 1);
	if (!(cur_peek_u8(&line, 0, &b) && (b == '/' || b == '*')) && !cur_peek_eq(&line, 0, "http://", 7) &&
	    !cur_peek_eq(&line, 0, "https://", 8))
		return false;
	while (cur_peek_u8(&line, 0, &b) && !is_blank(b))
		cur_skip(&line, 1);
	while (cur_peek_u8(&line, 0, &b) && is_blank(b))
		cur_skip(&line, 1);
	if (cur_len(&line) && cur_peek_u8(&line, cur_len(&line) - 1, &b) && b == '\r')
		line.len--;
	return cur_empty(&line) || cur_peek_eq(&line, 0, "HTTP/", 5);
}

/* Can c (a first line without its end yet) still become a line generic_request_line() accepts? */
static bool generic_line_prefix(struct cursor c)
{
	uint8_t b;
	size_t tok = 0;
	while (cur_peek_u8(&c, 0, &b) && ((b >= 'A' && b <= 'Z') || is_digit(b) || b == '_' || b == '-')) {
		cur_skip(&c, 1);
		tok++;
	}
	if (tok > 32 || (tok == 0 && !cur_empty(&c)))
		return false;
	if (cur_empty(&c))
		return true;
	if (tok < 3 || !is_blank(b))
		return false;
	while (cur_peek_u8(&c, 0, &b) && is_blank(b))
		cur_skip(&c, 1);
	if (cur_empty(&c))
		return true;
	/* a target: "/", "*", or a prefix of "http://" / "https://" */
	size_t k = KG_MIN(cur_len(&c), (size_t)8);
	if (!(b == '/' || b == '*') && !cur_peek_eq(&c, 0, "https://", KG_MIN(k, (size_t)8)) &&
	    !cur_peek_eq(&c, 0, "http://", KG_MIN(k, (size_t)7)))
		return false;
	while (cur_peek_u8(&c, 0, &b) && !is_blank(b)) {
		if (b < 0x20 || b == 0x7f)
			return false;
		cur_skip(&c, 1);
	}
	while (cur_peek_u8(&c, 0, &b) && is_blank(b))
		cur_skip(&c, 1);
	if (cur_len(&c) && cur_peek_u8(&c, cur_len(&c) - 1, &b) && b == '\r')
		c.len--;
	return cur_peek_eq(&c, 0, "HTTP/", KG_MIN(cur_len(&c), (size_t)5));
}

/* Does c start with methods[i] (upper case, or any case for the first nine when a target in
 * origin form follows)? CUR_OK, CUR_TRUNCATED (a prefix), CUR_INVALID. */
static enum cur_status method_match(const struct cursor *c, size_t i, bool line_end_ok)
{
	const char *m = methods[i];
	size_t n = strlen(m);
	bool exact = true, folded = true;
	uint8_t b;
	for (size_t j = 0; j < n; j++) {
		if (!cur_peek_u8(c, j, &b))
			return (exact || (folded && i < 9)) ? CUR_TRUNCATED : CUR_INVALID;
		exact = exact && b == (uint8_t)(m[j] - 32 * (m[j] >= 'a' && m[j] <= 'z'));
		folded = folded && lower(b) == (uint8_t)m[j];
	}
	if (!exact && !(folded && i < 9))
		return CUR_INVALID;
	if (!cur_peek_u8(c, n, &b))
		return CUR_TRUNCATED;
	if (exact && ((line_end_ok && (b == '\r' || b == '\n')) || is_blank(b)))
		return CUR_OK;
	if (!is_blank(b))
		return CUR_INVALID;
	/* a method in lower or mixed case: only before an origin-form target */
	uint8_t t;
	if (!cur_peek_u8(c, n + 1, &t))
		return CUR_TRUNCATED;
	return t == '/' ? CUR_OK : CUR_INVALID;
}

enum cur_status http_probe_request(const struct cursor *data)
{
	struct cursor c = *data;
	skip_empty_lines(&c);
	if (cur_empty(&c))
		return CUR_TRUNCATED;
	bool prefix = false;
	for (size_t i = 0; i < KG_ARRAY_LEN(methods); i++) {
		enum cur_status s = method_match(&c, i, true);
		if (s == CUR_OK)
			return CUR_OK;
		prefix |= s == CUR_TRUNCATED;
	}
	/* another method: the first line must be a complete request line */
	long nl = cur_find(&c, "\n", 1);
	if (nl >= 0) {
		struct cursor line;
		if (cur_window(&c, 0, (size_t)nl, &line) && generic_request_line(line))
			return CUR_OK;
		return prefix ? CUR_TRUNCATED : CUR_INVALID;
	}
	/* no line end yet: wait only while the bytes may still become such a line */
	return generic_line_prefix(c) ? CUR_TRUNCATED : prefix ? CUR_TRUNCATED : CUR_INVALID;
}

enum cur_status http_probe_response(const struct cursor *data)
{
	static const char lit[] = "HTTP/";
	size_t k = KG_MIN(cur_len(data), (size_t)5);
	if (!cur_peek_eq(data, 0, lit, k))
		return CUR_INVALID;
	uint8_t d;
	if (!cur_peek_u8(data, 5, &d))
		return CUR_TRUNCATED;
	return is_digit(d) ? CUR_OK : CUR_INVALID;
}

/* A listed method and a blank at the start of c (no blank lines skipped). */
static enum cur_status method_at(const struct cursor *c)
{
	uint8_t b;
	if (!cur_peek_u8(c, 0, &b))
		return CUR_TRUNCATED;
	bool prefix = false;
	for (size_t i = 0; i < KG_ARRAY_LEN(methods); i++) {
		enum cur_status s = method_match(c, i, false);
		if (s == CUR_OK)
			return CUR_OK;
		prefix |= s == CUR_TRUNCATED;
	}
	return prefix ? CUR_TRUNCATED : CUR_INVALID;
}

bool http_resync(const struct cursor *c, bool request, bool bol, size_t *off)
{
	size_t pos = 0;
	struct cursor t = *c;
	for (;;) {
		if (bol) {
			enum cur_status s = request ? method_at(&t) : http_probe_response(&t);
			if (s == CUR_OK) {
				*off = pos;
				return true;
			}
			if (s == CUR_TRUNCATED) {
				*off = pos;
				return false;
			}
		}
		long nl = cur_find(&t, "\n", 1);
		if (nl < 0) {
			/* the last line cannot start a message */
			*off = pos + cur_len(&t);
			return false;
		}
		cur_skip(&t, (size_t)nl + 1);
		pos += (size_t)nl + 1;
		bol = true;
	}
}

/* ------------------------------------------------------------ field values */

struct cursor http_media_type(struct cursor value)
{
	long semi = cur_find(&value, ";", 1);
	struct cursor t = value;
	if (semi >= 0 && !cur_window(&value, 0, (size_t)semi, &t))
		t = value;
	return http_trim(t);
}

/* Read a quoted string (at the opening quote) into out; false when unterminated or too long. */
static bool quoted_string(struct cursor *c, uint8_t *out, size_t cap, size_t *outlen)
{
	uint8_t b;
	size_t n = 0;
	if (!cur_u8(c, &b) || b != '"')
		return false;
	for (;;) {
		if (!cur_u8(c, &b))
			return false;
		if (b == '"')
			break;
		if (b == '\\' && !cur_u8(c, &b))
			return false;
		if (n >= cap)
			return false;
		out[n++] = b;
	}
	*outlen = n;
	return true;
}

/* Advance c past the next ';' that is not inside a quoted string; false when there is none. */
static bool next_param(struct cursor *c)
{
	uint8_t b;
	bool quoted = false;
	while (cur_u8(c, &b)) {
		if (quoted) {
			if (b == '\\')
				cur_skip(c, 1);
			else if (b == '"')
				quoted = false;
		} else if (b == '"') {
			quoted = true;
		} else if (b == ';') {
			return true;
		}
	}
	return false;
}

enum cur_status http_param(struct cursor value, const char *name, uint8_t *out, size_t cap, size_t *outlen)
{
	struct cursor c = value;
	size_t nlen = strlen(name);
	while (next_param(&c)) {
		struct cursor p = c;
		uint8_t b;
		while (cur_peek_u8(&p, 0, &b) && is_blank(b))
			cur_skip(&p, 1);
		struct cursor pn = p;
		size_t k = 0;
		while (cur_peek_u8(&p, 0, &b) && is_tchar(b)) {
			cur_skip(&p, 1);
			k++;
		}
		if (!cur_window(&pn, 0, k, &pn) || k != nlen || !http_token_is(pn, name))
			continue;
		while (cur_peek_u8(&p, 0, &b) && is_blank(b))
			cur_skip(&p, 1);
		if (!cur_u8(&p, &b) || b != '=')
			continue;
		while (cur_peek_u8(&p, 0, &b) && is_blank(b))
			cur_skip(&p, 1);
		if (cur_peek_u8(&p, 0, &b) && b == '"') {
			if (!quoted_string(&p, out, cap, outlen) || *outlen == 0)
				return CUR_INVALID;
			return CUR_OK;
		}
		size_t n = 0;
		while (cur_peek_u8(&p, 0, &b) && b != ';' && !is_blank(b)) {
			if (n >= cap)
				return CUR_INVALID;
			out[n++] = b;
			cur_skip(&p, 1);
		}
		if (n == 0)
			return CUR_INVALID;
		*outlen = n;
		return CUR_OK;
	}
	return CUR_TRUNCATED;
}

static int hexval(uint8_t c)
{
	if (is_digit(c))
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* RFC 8187 ext-value: charset "'" [language] "'" value-chars (percent-encoded). */
static bool ext_value(const uint8_t *in, size_t inlen, uint8_t *out, size_t *outlen)
{
	struct cursor c = cur_make(in, inlen);
	long q1 = cur_find(&c, "'", 1);
	if (q1 < 0 || !cur_skip(&c, (size_t)q1 + 1))
		return false;
	long q2 = cur_find(&c, "'", 1);
	if (q2 < 0 || !cur_skip(&c, (size_t)q2 + 1))
		return false;
	size_t n = 0;
	uint8_t b;
	while (cur_u8(&c, &b)) {
		if (b == '%') {
			uint8_t h, l;
			if (!cur_u8(&c, &h) || !cur_u8(&c, &l) || hexval(h) < 0 || hexval(l) < 0)
				return false;
			b = (uint8_t)(hexval(h) << 4 | hexval(l));
		}
		if (n >= HTTP_FILENAME_MAX)
			return false;
		out[n++] = b;
	}
	*outlen = n;
	return n > 0;
}

enum cur_status http_cd_filename(struct cursor value, uint8_t *out, size_t *outlen)
{
	uint8_t ext[HTTP_FILENAME_MAX];
	size_t elen = 0;
	if (http_param(value, "filename*", ext, sizeof(ext), &elen) == CUR_OK && ext_value(ext, elen, out, outlen))
		return CUR_OK;
	return http_param(value, "filename", out, HTTP_FILENAME_MAX, outlen);
}

enum cur_status http_multipart_boundary(struct cursor value, uint8_t *out, size_t *outlen)
{
	struct cursor mt = http_media_type(value);
	if (cur_len(&mt) < 10 || !cur_window(&mt, 0, 10, &mt) || !http_token_is(mt, "multipart/"))
		return CUR_TRUNCATED;
	enum cur_status s = http_param(value, "boundary", out, HTTP_BOUNDARY_MAX, outlen);
	if (s != CUR_OK)
		return s;
	for (size_t i = 0; i < *outlen; i++)
		if (out[i] < 0x20 || out[i] == 0x7f)
			return CUR_INVALID;
	return CUR_OK;
}

/* A decimal number below 2^63; advances c past its digits. */
static bool decimal(struct cursor *c, uint64_t *v)
{
	uint8_t b;
	size_t n = 0;
	*v = 0;
	while (cur_peek_u8(c, 0, &b) && is_digit(b)) {
		if (*v > (UINT64_C(1) << 63) / 10)
			return false;
		*v = *v * 10 + (uint64_t)(b - '0');
		cur_skip(c, 1);
		n++;
	}
	return n > 0 && *v < (UINT64_C(1) << 63);
}

enum cur_status http_content_range(struct cursor value, struct http_range *r)
{
	memset(r, 0, sizeof(*r));
	struct cursor c = http_trim(value);
	struct cursor unit;
	uint8_t b;
	if (!cur_window(&c, 0, 5, &unit) || !http_token_is(unit, "bytes") || !cur_skip(&c, 5))
		return CUR_INVALID;
	size_t blanks = 0;
	while (cur_peek_u8(&c, 0, &b) && is_blank(b)) {
		cur_skip(&c, 1);
		blanks++;
	}
	if (!blanks)
		return CUR_INVALID;
	if (cur_peek_u8(&c, 0, &b) && b == '*') {
		cur_skip(&c, 1);
		r->unsatisfied = true;
	} else {
		if (!decimal(&c, &r->first) || !cur_u8(&c, &b) || b != '-' || !decimal(&c, &r->last) ||
		    r->last < r->first)
			return CUR_INVALID;
	}
	if (!cur_u8(&c, &b) || b != '/')
		return CUR_INVALID;
	if (cur_peek_u8(&c, 0, &b) && b == '*') {
		cur_skip(&c, 1);
		if (r->unsatisfied)
			return CUR_INVALID;
	} else {
		if (!decimal(&c, &r->length))
			return CUR_INVALID;
		r->length_known = true;
		if (!r->unsatisfied && r->last >= r->length)
			return CUR_INVALID;
	}
	return cur_empty(&c) ? CUR_OK : CUR_INVALID;
}

bool http_xff_client(struct cursor value, char *out, size_t cap)
{
	struct cursor c = value;
	long comma;
	while ((comma = cur_find(&c, ",", 1)) >= 0)
		if (!cur_skip(&c, (size_t)comma + 1))
			return false;
	c = http_trim(c);
	size_t n = cur_len(&c);
	if (n == 0 || n >= cap || !cur_copy(&c, out, n))
		return false;
	out[n] = '\0';
	uint8_t addr[16];
	return kg_parse_ip(out, addr) != 0;
}

/* ------------------------------------------------------------ buffer builders */

void http_buf_header_line(struct strbuf *sb, struct cursor name, struct cursor value)
{
	sb_append(sb, cur_data(&name), cur_len(&name));
	sb_append(sb, ": ", 2);
	sb_append(sb, cur_data(&value), cur_len(&value));
	sb_append(sb, "\r\n", 2);
}

void http_buf_header_name(struct strbuf *sb, struct cursor name)
{
	sb_append(sb, "\r\n", 2);
	sb_append(sb, cur_data(&name), cur_len(&name));
}

void http_buf_raw_without(struct strbuf *sb, struct cursor raw, const char *skip)
{
	struct cursor c = raw;
	bool skipping = false;
	while (!cur_empty(&c)) {
		long nl = cur_find(&c, "\n", 1);
		size_t n = nl >= 0 ? (size_t)nl + 1 : cur_len(&c);
		struct cursor line;
		if (!cur_sub(&c, n, &line))
			return;
		uint8_t b0;
		bool folded = cur_peek_u8(&line, 0, &b0) && is_blank(b0);
		if (!folded) {
			long colon = cur_find(&line, ":", 1);
			struct cursor name;
			skipping = colon > 0 && cur_window(&line, 0, (size_t)colon, &name) &&
				   http_token_is(http_trim(name), skip);
		}
		if (!skipping)
			sb_append(sb, cur_data(&line), cur_len(&line));
	}
}

bool http_raw_folded(struct cursor raw)
{
	struct cursor c = raw;
	bool first = true;
	while (!cur_empty(&c)) {
		uint8_t b;
		if (!first && cur_peek_u8(&c, 0, &b) && is_blank(b))
			return true;
		if ((cur_peek_u8(&c, 0, &b) && b == '\n') || cur_peek_eq(&c, 0, "\r\n", 2))
			return false; /* the empty line: the block ends */
		long nl = cur_find(&c, "\n", 1);
		if (nl < 0)
			return false;
		cur_skip(&c, (size_t)nl + 1);
		first = false;
	}
	return false;
}

bool http_decimal_valid(struct cursor value)
{
	struct cursor c = http_trim(value);
	uint64_t v;
	return decimal(&c, &v) && cur_empty(&c);
}

/* ------------------------------------------------------------ content codings */

/* A gzip member's parts (RFC 1952 2.3), read by kagami so zlib inflates raw deflate and does not
 * compute the member's CRC-32 (a tenth of the time of a gzip-heavy capture). */
enum gz_state { GZ_HEAD = 0, GZ_XLEN, GZ_EXTRA, GZ_NAME, GZ_COMMENT, GZ_HCRC, GZ_BODY, GZ_TRAILER };

enum { GZ_FHCRC = 2, GZ_FEXTRA = 4, GZ_FNAME = 8, GZ_FCOMMENT = 16 };

struct zl {
	z_stream z;
	bool ready;     /* inflateInit2 done */
	bool ended;     /* the stream ended: later bytes are trailing garbage, ignored */
	uint8_t gst;    /* enum gz_state */
	uint8_t flg;    /* the member's FLG */
	uint8_t buf[10];
	uint8_t nbuf;
	uint32_t need;  /* bytes still to skip in GZ_EXTRA, GZ_HCRC, GZ_TRAILER */
	uint32_t members;
};

bool http_dec_init(struct http_decoder *d, struct cursor ce, http_dec_out emit, http_dec_ev event, void *u)
{
	memset(d, 0, sizeof(*d));
	d->emit = emit;
	d->event = event;
	d->u = u;
	enum http_coding list[HTTP_DECODE_LAYERS];
	int n = 0;
	bool unknown = false, too_many = false;
	struct cursor c = ce;
	while (!cur_empty(&c)) {
		long comma = cur_find(&c, ",", 1);
		struct cursor tok;
		if (!cur_sub(&c, comma >= 0 ? (size_t)comma : cur_len(&c), &tok))
			break;
		if (comma >= 0)
			cur_skip(&c, 1);
		tok = http_media_type(tok); /* blanks and any ";parameter" off */
		enum http_coding k;
		if (cur_empty(&tok) || http_token_is(tok, "identity"))
			continue;
		if (http_token_is(tok, "gzip") || http_token_is(tok, "x-gzip"))
			k = HTTP_CODING_GZIP;
		else if (http_token_is(tok, "deflate"))
			k = HTTP_CODING_DEFLATE;
		else {
			unknown = true;
			continue;
		}
		if (n < HTTP_DECODE_LAYERS)
			list[n++] = k;
		else
			too_many = true;
	}
	if (unknown) {
		event(u, HTTP_DEC_UNKNOWN);
		return false;
	}
	if (too_many) {
		event(u, HTTP_DEC_LAYERS);
		return false;
	}
	if (n == 0)
		return false;
	d->n = n;
	memcpy(d->c, list, sizeof(list[0]) * (size_t)n);
	return true;
}

static void dec_out(struct http_decoder *d, const uint8_t *p, size_t n)
{
	if (d->stopped || !n)
		return;
	d->out += n;
	if (d->out > HTTP_BOMB_LIMIT && d->out / HTTP_BOMB_RATIO > d->in) {
		d->stopped = true;
		d->event(d->u, HTTP_DEC_BOMB);
		return;
	}
	d->emit(d->u, p, n);
}

static void layer(struct http_decoder *d, int i, const uint8_t *p, size_t n);

static bool zlib_header(const uint8_t b[2])
{
	return (b[0] & 0x0f) == 8 && (b[0] >> 4) <= 7 && ((unsigned)b[0] << 8 | b[1]) % 31 == 0;
}

static void dec_error(struct http_decoder *d)
{
	d->passthrough = true;
	d->event(d->u, HTTP_DEC_ERROR);
}

enum inf_result { INF_MORE = 0, INF_END, INF_FAIL };

/* Inflate layer i's bytes of *c (consumed as zlib reads them), handing its output to layer i - 1:
 * INF_END when the deflate stream ended (the rest of *c follows it). */
static enum inf_result inflate_some(struct http_decoder *d, int i, struct cursor *c)
{
	struct zl *zl = d->z[i];
	uint8_t out[16384];
	zl->z.next_in = (Bytef *)(uintptr_t)cur_data(c);
	zl->z.avail_in = (uInt)cur_len(c);
	enum inf_result res = INF_MORE;
	for (;;) {
		if (d->stopped || d->passthrough)
			break;
		zl->z.next_out = out;
		zl->z.avail_out = sizeof(out);
		int rc = inflate(&zl->z, Z_NO_FLUSH);
		size_t got = sizeof(out) - zl->z.avail_out;
		if (got)
			layer(d, i - 1, out, got);
		if (rc == Z_STREAM_END) {
			res = INF_END;
			break;
		}
		if (rc != Z_OK && rc != Z_BUF_ERROR) {
			dec_error(d);
			res = INF_FAIL;
			break;
		}
		if ((zl->z.avail_in == 0 && got < sizeof(out)) || (rc == Z_BUF_ERROR && got == 0))
			break;
	}
	cur_skip(c, cur_len(c) - zl->z.avail_in);
	return res;
}

static bool inflate_ready(struct http_decoder *d, struct zl *zl, int wbits)
{
	if (zl->ready)
		return true;
	if (inflateInit2(&zl->z, wbits) != Z_OK) {
		dec_error(d);
		return false;
	}
	zl->ready = true;
	return true;
}

static void deflate_layer(struct http_decoder *d, int i, struct cursor c);

/* The next part of a gzip member after its fixed header or an optional field. */
static void gz_next(struct zl *zl, enum gz_state after)
{
	if (after < GZ_XLEN && (zl->flg & GZ_FEXTRA)) {
		zl->gst = GZ_XLEN;
		zl->nbuf = 0;
	} else if (after < GZ_NAME && (zl->flg & GZ_FNAME)) {
		zl->gst = GZ_NAME;
	} else if (after < GZ_COMMENT && (zl->flg & GZ_FCOMMENT)) {
		zl->gst = GZ_COMMENT;
	} else if (after < GZ_HCRC && (zl->flg & GZ_FHCRC)) {
		zl->gst = GZ_HCRC;
		zl->need = 2;
	} else {
		zl->gst = GZ_BODY;
	}
}

static void gzip_layer(struct http_decoder *d, int i, struct cursor c)
{
	struct zl *zl = d->z[i];
	uint8_t b;
	while (!cur_empty(&c) && !zl->ended && !d->stopped && !d->passthrough) {
		switch ((enum gz_state)zl->gst) {
		case GZ_HEAD:
			if (zl->nbuf == 0 && cur_peek_u8(&c, 0, &b) && b != 0x1f) {
				if (zl->members) {
					zl->ended = true; /* trailing bytes after the last member */
					return;
				}
				/* labelled gzip but zlib or raw deflate: decoded as what it is */
				d->c[i] = HTTP_CODING_DEFLATE;
				deflate_layer(d, i, c);
				return;
			}
			while (zl->nbuf < 10 && cur_u8(&c, &zl->buf[zl->nbuf]))
				zl->nbuf++;
			if (zl->nbuf < 10)
				return;
			if (zl->buf[1] != 0x8b || zl->buf[2] != 8) {
				dec_error(d);
				return;
			}
			zl->flg = zl->buf[3];
			zl->nbuf = 0;
			gz_next(zl, GZ_HEAD);
			break;
		case GZ_XLEN:
			while (zl->nbuf < 2 && cur_u8(&c, &zl->buf[zl->nbuf]))
				zl->nbuf++;
			if (zl->nbuf < 2)
				return;
			zl->need = (uint32_t)zl->buf[0] | (uint32_t)zl->buf[1] << 8;
			zl->gst = GZ_EXTRA;
			break;
		case GZ_EXTRA:
		case GZ_HCRC:
		case GZ_TRAILER: {
			size_t k = KG_MIN((size_t)zl->need, cur_len(&c));
			cur_skip(&c, k);
			zl->need -= (uint32_t)k;
			if (zl->need)
				return;
			if (zl->gst == GZ_TRAILER) {
				zl->gst = GZ_HEAD;
				zl->nbuf = 0;
				zl->members++;
			} else {
				gz_next(zl, (enum gz_state)zl->gst);
			}
			break;
		}
		case GZ_NAME:
		case GZ_COMMENT: {
			static const uint8_t nul[1] = {0};
			long z = cur_find(&c, nul, 1);
			if (z < 0)
				return;
			cur_skip(&c, (size_t)z + 1);
			gz_next(zl, (enum gz_state)zl->gst);
			break;
		}
		case GZ_BODY:
			if (!inflate_ready(d, zl, -15))
				return;
			if (inflate_some(d, i, &c) != INF_END)
				return;
			if (inflateReset(&zl->z) != Z_OK) {
				dec_error(d);
				return;
			}
			zl->gst = GZ_TRAILER;
			zl->need = 8;
			break;
		}
	}
}

/* deflate: zlib (RFC 1950) or raw (RFC 1951), decided on the first two bytes wherever they fall. */
static void deflate_layer(struct http_decoder *d, int i, struct cursor c)
{
	struct zl *zl = d->z[i];
	if (!zl->ready) {
		while (d->npeek[i] < 2 && cur_u8(&c, &d->peek[i][d->npeek[i]]))
			d->npeek[i]++;
		if (d->npeek[i] < 2)
			return;
		if (!inflate_ready(d, zl, zlib_header(d->peek[i]) ? 15 : -15))
			return;
		struct cursor pk = cur_make(d->peek[i], 2);
		if (inflate_some(d, i, &pk) == INF_END) {
			zl->ended = true;
			return;
		}
	}
	if (!cur_empty(&c) && inflate_some(d, i, &c) == INF_END)
		zl->ended = true;
}

static void layer(struct http_decoder *d, int i, const uint8_t *p, size_t n)
{
	if (i < 0) {
		dec_out(d, p, n);
		return;
	}
	if (!d->z[i])
		d->z[i] = kg_calloc(1, sizeof(struct zl), "inflate stream");
	const struct zl *zl = d->z[i];
	if (zl->ended || !n)
		return;
	if (d->c[i] == HTTP_CODING_GZIP)
		gzip_layer(d, i, cur_make(p, n));
	else
		deflate_layer(d, i, cur_make(p, n));
}

void http_dec_feed(struct http_decoder *d, const uint8_t *p, size_t n)
{
	if (d->stopped || !n)
		return;
	d->in += n;
	if (d->passthrough) {
		d->emit(d->u, p, n);
		return;
	}
	layer(d, d->n - 1, p, n);
}

void http_dec_gap(struct http_decoder *d) { d->stopped = true; }

void http_dec_free(struct http_decoder *d)
{
	for (int i = 0; i < HTTP_DECODE_LAYERS; i++) {
		struct zl *zl = d->z[i];
		if (!zl)
			continue;
		if (zl->ready)
			inflateEnd(&zl->z);
		free(zl);
		d->z[i] = NULL;
	}
}

/* ------------------------------------------------------------ multipart */

void http_mp_init(struct http_mp *m, const uint8_t *boundary, size_t blen, const struct http_mp_cb *cb, void *u)
{
	memset(m, 0, sizeof(*m));
	if (blen > HTTP_BOUNDARY_MAX)
		blen = HTTP_BOUNDARY_MAX;
	memcpy(m->delim, "\n--", 3);
	memcpy(m->delim + 3, boundary, blen);
	m->dlen = blen + 3;
	m->cb = cb;
	m->u = u;
	sb_init(&m->hold, HTTP_MP_HEADERS_MAX + sizeof(m->delim) + 4);
	/* a virtual line end before the body, so a delimiter on its first line is found */
	sb_append(&m->hold, "\n", 1);
	m->st = HTTP_MP_PREAMBLE;
}

void http_mp_free(struct http_mp *m) { sb_free(&m->hold); }

static void part_data(struct http_mp *m, struct cursor d)
{
	if (m->in_part && cur_len(&d))
		m->cb->part_data(m->u, cur_data(&d), cur_len(&d));
}

static void part_end(struct http_mp *m, bool complete)
{
	if (m->in_part) {
		m->in_part = false;
		m->cb->part_end(m->u, complete);
	}
}

/* Parse one part's header block (lines without their CRLF/LF, empty line excluded) and start it. */
static void part_headers(struct http_mp *m, struct cursor block)
{
	struct http_mp_part p;
	memset(&p, 0, sizeof(p));
	uint8_t fname[HTTP_FILENAME_MAX];
	static const uint8_t empty[1];
	p.name = cur_make(empty, 0);
	p.content_type = cur_make(empty, 0);
	while (!cur_empty(&block)) {
		long nl = cur_find(&block, "\n", 1);
		struct cursor line;
		size_t n = nl >= 0 ? (size_t)nl : cur_len(&block);
		if (!cur_sub(&block, n, &line))
			break;
		if (nl >= 0)
			cur_skip(&block, 1);
		uint8_t b;
		if (cur_len(&line) && cur_peek_u8(&line, cur_len(&line) - 1, &b) && b == '\r')
			line.len--;
		if (cur_peek_u8(&line, 0, &b) && is_blank(b))
			continue; /* obsolete folding: continuation ignored */
		long colon = cur_find(&line, ":", 1);
		struct cursor name, value = line;
		if (colon <= 0 || !cur_sub(&value, (size_t)colon, &name) || !cur_skip(&value, 1)) {
			m->cb->anomaly(m->u, HTTP_MP_INVALID_HEADER);
			continue;
		}
		value = http_trim(value);
		if (cur_empty(&value)) {
			m->cb->anomaly(m->u, HTTP_MP_INVALID_HEADER);
			continue;
		}
		name = http_trim(name);
		if (http_token_is(name, "content-disposition")) {
			uint8_t nm[256];
			size_t nlen = 0;
			/* the views must point into the block: find the name's value there */
			if (http_param(value, "name", nm, sizeof(nm), &nlen) == CUR_OK) {
				long at = cur_find(&value, nm, nlen);
				struct cursor v;
				if (at >= 0 && cur_window(&value, (size_t)at, nlen, &v))
					p.name = v;
			}
			size_t flen = 0;
			if (http_cd_filename(value, fname, &flen) == CUR_OK) {
				p.filename = fname;
				p.filename_len = flen;
			}
		} else if (http_token_is(name, "content-type")) {
			p.content_type = value;
		}
	}
	m->in_part = true;
	m->cb->part_begin(m->u, &p);
}

/* HTTP_MP_HEADERS: a complete header block at the start of c starts its part and leaves c at the
 * LF of the empty line (held as lead_lf). False while the block is incomplete. */
static bool headers_step(struct http_mp *m, struct cursor *c)
{
	struct cursor t = *c;
	size_t block = 0;
	bool done = false;
	long nl;
	while ((nl = cur_find(&t, "\n", 1)) >= 0) {
		struct cursor line;
		if (!cur_sub(&t, (size_t)nl, &line) || !cur_skip(&t, 1))
			break;
		uint8_t b;
		if (cur_empty(&line) || (cur_len(&line) == 1 && cur_peek_u8(&line, 0, &b) && b == '\r')) {
			done = true;
			break;
		}
		block = cur_len(c) - cur_len(&t);
	}
	if (!done) {
		if (cur_len(c) > HTTP_MP_HEADERS_MAX) {
			m->cb->anomaly(m->u, HTTP_MP_HEADERS_TOO_LONG);
			m->st = HTTP_MP_STOPPED;
			*c = cur_make(NULL, 0);
		}
		return false;
	}
	struct cursor hb;
	if (!cur_window(c, 0, block, &hb))
		return false;
	part_headers(m, hb);
	size_t used = cur_len(c) - cur_len(&t);
	cur_skip(c, used - 1);
	m->lead_lf = true;
	m->st = HTTP_MP_DATA;
	return true;
}

/* Process the held bytes as far as they go; keep the undecided rest at the front of hold. */
static void mp_run(struct http_mp *m)
{
	struct cursor c = cur_make(m->hold.data, m->hold.len);
	for (;;) {
		if (m->st == HTTP_MP_EPILOGUE || m->st == HTTP_MP_STOPPED) {
			c = cur_make(NULL, 0);
			break;
		}
		if (m->st == HTTP_MP_HEADERS) {
			if (!headers_step(m, &c))
				break;
			continue;
		}
		/* HTTP_MP_PREAMBLE or HTTP_MP_DATA. The LF ending a part's header block is not data,
		 * but a delimiter may begin with it (a part without data and without its CRLF). */
		if (m->lead_lf) {
			size_t k = KG_MIN(cur_len(&c), m->dlen);
			if (!cur_peek_eq(&c, 0, m->delim, k)) {
				cur_skip(&c, 1);
				m->lead_lf = false;
			} else if (k < m->dlen) {
				break;
			} else {
				m->lead_lf = false;
			}
		}
		long at = cur_find(&c, m->delim, m->dlen);
		if (at < 0) {
			/* keep what may be the start of a delimiter, and a CR before it */
			size_t keep = KG_MIN(cur_len(&c), m->dlen);
			struct cursor d;
			if (cur_sub(&c, cur_len(&c) - keep, &d) && m->st == HTTP_MP_DATA)
				part_data(m, d);
			break;
		}
		/* after the boundary: "--" (the close delimiter), or padding up to a line end */
		struct cursor after;
		if (!cur_tail(&c, (size_t)at + m->dlen, &after))
			break;
		uint8_t b0, b1;
		if (!cur_peek_u8(&after, 0, &b0))
			break;
		bool close = false;
		size_t skip;
		if (b0 == '-') {
			if (!cur_peek_u8(&after, 1, &b1))
				break;
			close = b1 == '-';
		}
		if (close) {
			skip = 2;
		} else {
			long nl = cur_find(&after, "\n", 1);
			if (nl < 0) {
				if (cur_len(&after) > 256) {
					m->cb->anomaly(m->u, HTTP_MP_INVALID_HEADER);
					part_end(m, false);
					m->st = HTTP_MP_STOPPED;
				}
				break;
			}
			skip = (size_t)nl + 1;
		}
		struct cursor d;
		if (!cur_sub(&c, (size_t)at, &d))
			break;
		uint8_t cr;
		if (cur_len(&d) && cur_peek_u8(&d, cur_len(&d) - 1, &cr) && cr == '\r')
			d.len--;
		if (m->st == HTTP_MP_DATA) {
			part_data(m, d);
			part_end(m, true);
		}
		m->any = true;
		cur_skip(&c, m->dlen + skip);
		m->st = close ? HTTP_MP_EPILOGUE : HTTP_MP_HEADERS;
	}
	size_t rest = cur_len(&c);
	if (rest && cur_data(&c) != (const uint8_t *)m->hold.data)
		memmove(m->hold.data, cur_data(&c), rest);
	m->hold.len = rest;
}

void http_mp_feed(struct http_mp *m, const uint8_t *p, size_t n)
{
	struct cursor in = cur_make(p, n);
	while (!cur_empty(&in) && m->st != HTTP_MP_EPILOGUE && m->st != HTTP_MP_STOPPED) {
		size_t room = m->hold.limit - m->hold.len;
		size_t k = KG_MIN(room, cur_len(&in));
		const uint8_t *b;
		if (k == 0 || !cur_bytes(&in, k, &b) || !sb_append(&m->hold, b, k)) {
			/* hold is full and undecided: only a header block that is too long does this */
			m->cb->anomaly(m->u, HTTP_MP_HEADERS_TOO_LONG);
			m->st = HTTP_MP_STOPPED;
			part_end(m, false);
			break;
		}
		mp_run(m);
	}
}

/* The held bytes of a part, as data (the lead LF excepted). */
static void flush_held(struct http_mp *m)
{
	struct cursor d = cur_make(m->hold.data, m->hold.len);
	if (m->lead_lf)
		cur_skip(&d, 1);
	m->lead_lf = false;
	part_data(m, d);
	m->hold.len = 0;
}

void http_mp_gap(struct http_mp *m, uint64_t n)
{
	if (m->st == HTTP_MP_DATA && m->in_part) {
		flush_held(m);
		m->cb->part_gap(m->u, n);
		return;
	}
	if (m->st == HTTP_MP_EPILOGUE || m->st == HTTP_MP_STOPPED)
		return;
	m->cb->anomaly(m->u, HTTP_MP_GAP);
	part_end(m, false);
	m->st = HTTP_MP_STOPPED;
}

void http_mp_finish(struct http_mp *m)
{
	if (m->st == HTTP_MP_DATA && m->in_part) {
		flush_held(m);
		m->cb->anomaly(m->u, HTTP_MP_NO_CLOSE);
	} else if (m->st == HTTP_MP_HEADERS) {
		m->cb->anomaly(m->u, HTTP_MP_NO_CLOSE);
	} else if (m->st == HTTP_MP_PREAMBLE && !m->any) {
		m->cb->anomaly(m->u, HTTP_MP_NO_PARTS);
	}
	part_end(m, false);
	m->st = HTTP_MP_STOPPED;
	m->hold.len = 0;
}
