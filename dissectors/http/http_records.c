/* http_records.c - minimal HTTP/1.x request head parsing (RFC 9112 3, 5, 6.1-6.3); see
 * http_records.h for the contracts. Every read goes through struct cursor. */
#include "config.h"

#include "http_records.h"

#include <string.h>

static const char *const methods[] = {"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "CONNECT", "PATCH", "TRACE"};

enum cur_status http_method_probe(const struct cursor *data)
{
	bool prefix = false;
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		size_t n = strlen(methods[i]);
		if (cur_len(data) > n) {
			uint8_t sp;
			if (cur_peek_eq(data, 0, methods[i], n) && cur_peek_u8(data, n, &sp) && sp == ' ')
				return CUR_OK;
		} else if (cur_peek_eq(data, 0, methods[i], cur_len(data))) {
			prefix = true;
		}
	}
	return prefix ? CUR_TRUNCATED : CUR_INVALID;
}

static uint8_t lower(uint8_t c) { return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c; }

static bool name_is(struct cursor name, const char *lit)
{
	size_t n = strlen(lit);
	if (cur_len(&name) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t b;
		if (!cur_u8(&name, &b) || lower(b) != (uint8_t)lit[i])
			return false;
	}
	return true;
}

/* c without leading and trailing spaces and tabs */
static struct cursor trim(struct cursor c)
{
	uint8_t b;
	while (cur_peek_u8(&c, 0, &b) && (b == ' ' || b == '\t'))
		cur_skip(&c, 1);
	while (cur_len(&c) && cur_peek_u8(&c, cur_len(&c) - 1, &b) && (b == ' ' || b == '\t') &&
	       cur_window(&c, 0, cur_len(&c) - 1, &c))
		;
	return c;
}

/* The next line of c (without its CRLF or LF); false when no line end is in c. */
static bool next_line(struct cursor *c, struct cursor *line)
{
	long nl = cur_find(c, "\n", 1);
	if (nl < 0)
		return false;
	struct cursor l;
	if (!cur_sub(c, (size_t)nl, &l) || !cur_skip(c, 1))
		return false;
	uint8_t b;
	if (cur_len(&l) && cur_peek_u8(&l, cur_len(&l) - 1, &b) && b == '\r' && !cur_window(&l, 0, cur_len(&l) - 1, &l))
		return false;
	*line = l;
	return true;
}

/* The token of c up to the next space, c advancing past the space; false without a space. */
static bool token_sp(struct cursor *c, struct cursor *tok)
{
	long sp = cur_find(c, " ", 1);
	if (sp <= 0)
		return false;
	return cur_sub(c, (size_t)sp, tok) && cur_skip(c, 1);
}

static bool decimal(struct cursor c, uint64_t *v)
{
	uint8_t b;
	*v = 0;
	if (cur_empty(&c) || cur_len(&c) > 18)
		return false;
	while (cur_u8(&c, &b)) {
		if (b < '0' || b > '9')
			return false;
		*v = *v * 10 + (uint64_t)(b - '0');
	}
	return true;
}

enum cur_status http_request_head(const struct cursor *in, struct http_request *r)
{
	memset(r, 0, sizeof(*r));
	struct cursor c = *in;
	if (cur_len(&c) > HTTP_HEAD_MAX && !cur_window(in, 0, HTTP_HEAD_MAX, &c))
		return CUR_INVALID;
	struct cursor line;
	if (!next_line(&c, &line))
		return cur_len(in) >= HTTP_HEAD_MAX ? CUR_INVALID : CUR_TRUNCATED;
	if (!token_sp(&line, &r->method) || !token_sp(&line, &r->target) || cur_empty(&line) ||
	    !cur_peek_eq(&line, 0, "HTTP/", 5))
		return CUR_INVALID;
	r->version = line;
	for (;;) {
		if (!next_line(&c, &line))
			return cur_len(in) >= HTTP_HEAD_MAX ? CUR_INVALID : CUR_TRUNCATED;
		if (cur_empty(&line))
			break;
		long colon = cur_find(&line, ":", 1);
		if (colon <= 0)
			continue; /* not a field line: ignored */
		struct cursor name, value = line;
		if (!cur_sub(&value, (size_t)colon, &name) || !cur_skip(&value, 1))
			return CUR_INVALID;
		value = trim(value);
		if (name_is(name, "host") && !r->has_host) {
			r->host = value;
			r->has_host = true;
		} else if (name_is(name, "user-agent")) {
			r->user_agent = value;
		} else if (name_is(name, "content-length")) {
			uint64_t v;
			if (!decimal(value, &v) || (r->has_length && v != r->content_length))
				return CUR_INVALID;
			r->content_length = v;
			r->has_length = true;
		} else if (name_is(name, "transfer-encoding")) {
			if (cur_find(&value, "chunked", 7) >= 0)
				r->chunked = true;
		}
	}
	r->head_len = cur_len(in) - cur_len(&c);
	return CUR_OK;
}

struct cursor http_host_name(struct cursor host)
{
	struct cursor h = trim(host);
	uint8_t b;
	if (cur_peek_u8(&h, 0, &b) && b == '[') {
		long end = cur_find(&h, "]", 1);
		struct cursor v;
		if (end > 0 && cur_window(&h, 0, (size_t)end + 1, &v))
			return v;
		return h;
	}
	long colon = cur_find(&h, ":", 1);
	struct cursor v;
	if (colon >= 0 && cur_window(&h, 0, (size_t)colon, &v))
		return v;
	return h;
}
