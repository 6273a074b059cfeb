/* xform.c - rule buffer transforms (see xform.h; semantics as Suricata 7's detect-transform-*.c
 * documentation describes them). */
#include "config.h"

#include "xform.h"

#include <stdlib.h>
#include <string.h>

#include <nettle/md5.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "util/util.h"

void xform_work_free(struct xform_work *w)
{
	free(w->buf[0]);
	free(w->buf[1]);
	if (w->md)
		pcre2_match_data_free(w->md);
	memset(w, 0, sizeof(*w));
}

static uint8_t *room(struct xform_work *w, int k, size_t n)
{
	if (n > w->cap[k]) {
		size_t c = w->cap[k] ? w->cap[k] : 256;
		while (c < n)
			c *= 2;
		w->buf[k] = kg_realloc(w->buf[k], c, "transform buffer");
		w->cap[k] = c;
	}
	return w->buf[k];
}

static bool is_ws(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

static int hexv(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* One transform from src[0..n) into dst (room for n + 1 or 32 bytes); the new length. */
static size_t one(const struct xform *x, const uint8_t *src, size_t n, uint8_t *dst, struct xform_work *w)
{
	size_t o = 0;
	switch (x->kind) {
	case XF_LOWER:
	case XF_UPPER:
		for (size_t i = 0; i < n; i++) {
			uint8_t c = src[i];
			if (x->kind == XF_LOWER && c >= 'A' && c <= 'Z')
				c = (uint8_t)(c + 32);
			else if (x->kind == XF_UPPER && c >= 'a' && c <= 'z')
				c = (uint8_t)(c - 32);
			dst[o++] = c;
		}
		return o;
	case XF_DOTPREFIX:
		dst[0] = '.';
		if (n)
			memcpy(dst + 1, src, n);
		return n + 1;
	case XF_STRIP_WS:
		for (size_t i = 0; i < n; i++)
			if (!is_ws(src[i]))
				dst[o++] = src[i];
		return o;
	case XF_COMPRESS_WS:
		for (size_t i = 0; i < n; i++) {
			if (is_ws(src[i])) {
				if (o && dst[o - 1] == ' ' && i && is_ws(src[i - 1]))
					continue;
				dst[o++] = ' ';
			} else {
				dst[o++] = src[i];
			}
		}
		return o;
	case XF_URL_DECODE:
		for (size_t i = 0; i < n; i++) {
			if (src[i] == '%' && i + 2 < n + 0 && hexv(src[i + 1]) >= 0 && hexv(src[i + 2]) >= 0) {
				dst[o++] = (uint8_t)(hexv(src[i + 1]) << 4 | hexv(src[i + 2]));
				i += 2;
			} else if (src[i] == '+') {
				dst[o++] = ' ';
			} else {
				dst[o++] = src[i];
			}
		}
		return o;
	case XF_XOR:
		for (size_t i = 0; i < n; i++)
			dst[i] = src[i] ^ x->key[i % x->keylen];
		return n;
	case XF_MD5: {
		struct md5_ctx c;
		md5_init(&c);
		md5_update(&c, n, src);
		md5_digest(&c, MD5_DIGEST_SIZE, dst);
		return MD5_DIGEST_SIZE;
	}
	case XF_SHA1: {
		struct sha1_ctx c;
		sha1_init(&c);
		sha1_update(&c, n, src);
		sha1_digest(&c, SHA1_DIGEST_SIZE, dst);
		return SHA1_DIGEST_SIZE;
	}
	case XF_SHA256: {
		struct sha256_ctx c;
		sha256_init(&c);
		sha256_update(&c, n, src);
		sha256_digest(&c, SHA256_DIGEST_SIZE, dst);
		return SHA256_DIGEST_SIZE;
	}
	case XF_PCREXFORM: {
		if (!w->md)
			w->md = pcre2_match_data_create(16, NULL);
		if (w->md && pcre2_match(x->code, src, n, 0, 0, w->md, NULL) >= 2) {
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(w->md);
			if (ov[2] <= ov[3] && ov[3] <= n) {
				memcpy(dst, src + ov[2], ov[3] - ov[2]);
				return ov[3] - ov[2];
			}
		}
		if (n)
			memcpy(dst, src, n); /* no match: the buffer stays as it is */
		return n;
	}
	case XF_HEADER_LOWER: {
		bool name = true;
		for (size_t i = 0; i < n; i++) {
			uint8_t c = src[i];
			if (c == '\n')
				name = true;
			else if (c == ':')
				name = false;
			else if (name && c >= 'A' && c <= 'Z')
				c = (uint8_t)(c + 32);
			dst[o++] = c;
		}
		return o;
	}
	default:
		if (n)
			memcpy(dst, src, n);
		return n;
	}
}

bool xform_apply(const struct xchain *ch, const uint8_t *in, size_t len, struct xform_work *w, const uint8_t **out,
		 size_t *outlen)
{
	bool whole = true;
	const uint8_t *cur = in;
	size_t n = len;
	for (int i = 0; i < ch->n; i++) {
		if (n > XFORM_MAX_OUT - 1) {
			n = XFORM_MAX_OUT - 1;
			whole = false;
		}
		uint8_t *dst = room(w, i & 1, n + 33);
		n = one(&ch->x[i], cur, n, dst, w);
		cur = dst;
	}
	*out = cur;
	*outlen = n;
	return whole;
}
