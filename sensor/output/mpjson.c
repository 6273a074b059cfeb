/* mpjson.c - bounded msgpack reader and msgpack-to-JSON transcoder (msgpack spec, RFC 8259). */
#include "config.h"

#include "mpjson.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "decode/cursor.h"

#define MP_MAX_DEPTH 64

const char *mp_strerror(enum mp_status st)
{
	switch (st) {
	case MP_OK: return "ok";
	case MP_TRUNCATED: return "truncated msgpack object";
	case MP_CORRUPT: return "corrupt msgpack data";
	case MP_TOO_BIG: return "object too large to convert";
	}
	return "unknown msgpack status";
}

/* Decoded header of one msgpack item. For containers, n is the element count
 * (map: pairs); for str/bin/ext, n is the payload length. */
enum mp_kind { K_NIL, K_BOOL, K_UINT, K_INT, K_FLOAT, K_STR, K_BIN, K_EXT, K_ARRAY, K_MAP };
struct mp_item {
	enum mp_kind kind;
	uint64_t u;
	int64_t i;
	double d;
	uint64_t n;
	int8_t ext_type;
	const uint8_t *payload;
};

static enum mp_status read_len(struct cursor *c, int width, uint64_t *n)
{
	uint8_t b8;
	uint16_t b16;
	uint32_t b32;
	switch (width) {
	case 1:
		if (!cur_u8(c, &b8))
			return MP_TRUNCATED;
		*n = b8;
		return MP_OK;
	case 2:
		if (!cur_be16(c, &b16))
			return MP_TRUNCATED;
		*n = b16;
		return MP_OK;
	default:
		if (!cur_be32(c, &b32))
			return MP_TRUNCATED;
		*n = b32;
		return MP_OK;
	}
}

/* Read one item header; for str/bin/ext also take the payload. */
static enum mp_status read_item(struct cursor *c, struct mp_item *it)
{
	uint8_t t;
	enum mp_status st;
	memset(it, 0, sizeof(*it));
	if (!cur_u8(c, &t))
		return MP_TRUNCATED;
	if (t <= 0x7f) {
		it->kind = K_UINT;
		it->u = t;
		return MP_OK;
	}
	if (t >= 0xe0) {
		it->kind = K_INT;
		it->i = (int8_t)t;
		return MP_OK;
	}
	if ((t & 0xf0) == 0x80) {
		it->kind = K_MAP;
		it->n = t & 0x0f;
		goto container;
	}
	if ((t & 0xf0) == 0x90) {
		it->kind = K_ARRAY;
		it->n = t & 0x0f;
		goto container;
	}
	if ((t & 0xe0) == 0xa0) {
		it->kind = K_STR;
		it->n = t & 0x1f;
		goto payload;
	}
	switch (t) {
	case 0xc0: it->kind = K_NIL; return MP_OK;
	case 0xc2: it->kind = K_BOOL; it->u = 0; return MP_OK;
	case 0xc3: it->kind = K_BOOL; it->u = 1; return MP_OK;
	case 0xc4: case 0xc5: case 0xc6:
		it->kind = K_BIN;
		if ((st = read_len(c, 1 << (t - 0xc4), &it->n)) != MP_OK)
			return st;
		goto payload;
	case 0xc7: case 0xc8: case 0xc9: {
		uint8_t et;
		it->kind = K_EXT;
		if ((st = read_len(c, 1 << (t - 0xc7), &it->n)) != MP_OK)
			return st;
		if (!cur_u8(c, &et))
			return MP_TRUNCATED;
		it->ext_type = (int8_t)et;
		goto payload;
	}
	case 0xca: {
		uint32_t v;
		float f;
		if (!cur_be32(c, &v))
			return MP_TRUNCATED;
		memcpy(&f, &v, 4);
		it->kind = K_FLOAT;
		it->d = f;
		return MP_OK;
	}
	case 0xcb: {
		uint64_t v;
		if (!cur_be64(c, &v))
			return MP_TRUNCATED;
		memcpy(&it->d, &v, 8);
		it->kind = K_FLOAT;
		return MP_OK;
	}
	case 0xcc: case 0xcd: case 0xce: case 0xcf: {
		uint64_t v = 0;
		it->kind = K_UINT;
		if (t == 0xcf) {
			if (!cur_be64(c, &v))
				return MP_TRUNCATED;
		} else if ((st = read_len(c, 1 << (t - 0xcc), &v)) != MP_OK)
			return st;
		it->u = v;
		return MP_OK;
	}
	case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
		uint64_t v = 0;
		it->kind = K_INT;
		if (t == 0xd3) {
			if (!cur_be64(c, &v))
				return MP_TRUNCATED;
			it->i = (int64_t)v;
		} else {
			if ((st = read_len(c, 1 << (t - 0xd0), &v)) != MP_OK)
				return st;
			if (t == 0xd0)
				it->i = (int8_t)v;
			else if (t == 0xd1)
				it->i = (int16_t)v;
			else
				it->i = (int32_t)v;
		}
		return MP_OK;
	}
	case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8: {
		uint8_t et;
		it->kind = K_EXT;
		it->n = 1u << (t - 0xd4);
		if (!cur_u8(c, &et))
			return MP_TRUNCATED;
		it->ext_type = (int8_t)et;
		goto payload;
	}
	case 0xd9: case 0xda: case 0xdb:
		it->kind = K_STR;
		if ((st = read_len(c, 1 << (t - 0xd9), &it->n)) != MP_OK)
			return st;
		goto payload;
	case 0xdc: case 0xdd:
		it->kind = K_ARRAY;
		if ((st = read_len(c, t == 0xdc ? 2 : 4, &it->n)) != MP_OK)
			return st;
		goto container;
	case 0xde: case 0xdf:
		it->kind = K_MAP;
		if ((st = read_len(c, t == 0xde ? 2 : 4, &it->n)) != MP_OK)
			return st;
		goto container;
	default:
		return MP_CORRUPT; /* 0xc1 is never used */
	}
payload:
	if (!cur_bytes(c, (size_t)it->n, &it->payload))
		return MP_TRUNCATED;
	return MP_OK;
container:
	/* Each element takes at least one byte: a count larger than what is left
	 * cannot be satisfied, whatever follows. */
	if (it->n > cur_len(c) / (it->kind == K_MAP ? 2 : 1))
		return MP_TRUNCATED;
	return MP_OK;
}

static enum mp_status skip_object(struct cursor *c, int depth, const uint8_t *base, size_t *badoff)
{
	struct mp_item it;
	const uint8_t *at = c->p;
	enum mp_status st = read_item(c, &it);
	if (st != MP_OK) {
		if (st == MP_CORRUPT && badoff)
			*badoff = (size_t)(at - base);
		return st;
	}
	if (it.kind != K_ARRAY && it.kind != K_MAP)
		return MP_OK;
	if (depth >= MP_MAX_DEPTH) {
		if (badoff)
			*badoff = (size_t)(at - base);
		return MP_CORRUPT;
	}
	uint64_t elems = it.kind == K_MAP ? it.n * 2 : it.n;
	for (uint64_t k = 0; k < elems; k++) {
		if ((st = skip_object(c, depth + 1, base, badoff)) != MP_OK)
			return st;
	}
	return MP_OK;
}

/* Step over the item at c's position without decoding it (the same outcomes as read_item()):
 * *container says it is an array or a map, *children how many items follow in it (twice the
 * pairs for a map). The framing of every event the sinks and the supervisor pass on goes
 * through here, so it reads only type bytes and lengths. */
static enum mp_status skip_item(struct cursor *c, bool *container, uint64_t *children)
{
	uint8_t t;
	uint64_t n = 0;
	enum mp_status st;
	*container = false;
	*children = 0;
	if (!cur_u8(c, &t))
		return MP_TRUNCATED;
	if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3)
		return MP_OK;
	if ((t & 0xe0) == 0xa0) {
		n = t & 0x1f;
		goto payload;
	}
	if ((t & 0xe0) == 0x80) { /* 0x80 fixmap, 0x90 fixarray */
		n = t & 0x0f;
		if ((t & 0xf0) == 0x80)
			n *= 2;
		goto container;
	}
	switch (t) {
	case 0xc4: case 0xc5: case 0xc6:
		if ((st = read_len(c, 1 << (t - 0xc4), &n)) != MP_OK)
			return st;
		goto payload;
	case 0xc7: case 0xc8: case 0xc9:
		if ((st = read_len(c, 1 << (t - 0xc7), &n)) != MP_OK)
			return st;
		if (!cur_skip(c, 1))
			return MP_TRUNCATED;
		goto payload;
	case 0xca: return cur_skip(c, 4) ? MP_OK : MP_TRUNCATED;
	case 0xcb: return cur_skip(c, 8) ? MP_OK : MP_TRUNCATED;
	case 0xcc: case 0xcd: case 0xce: case 0xcf:
		return cur_skip(c, (size_t)1 << (t - 0xcc)) ? MP_OK : MP_TRUNCATED;
	case 0xd0: case 0xd1: case 0xd2: case 0xd3:
		return cur_skip(c, (size_t)1 << (t - 0xd0)) ? MP_OK : MP_TRUNCATED;
	case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
		n = 1u << (t - 0xd4);
		if (!cur_skip(c, 1))
			return MP_TRUNCATED;
		goto payload;
	case 0xd9: case 0xda: case 0xdb:
		if ((st = read_len(c, 1 << (t - 0xd9), &n)) != MP_OK)
			return st;
		goto payload;
	case 0xdc: case 0xdd:
		if ((st = read_len(c, t == 0xdc ? 2 : 4, &n)) != MP_OK)
			return st;
		goto container;
	case 0xde: case 0xdf:
		if ((st = read_len(c, t == 0xde ? 2 : 4, &n)) != MP_OK)
			return st;
		if (n > cur_len(c) / 2)
			return MP_TRUNCATED;
		n *= 2;
		goto container;
	default:
		return MP_CORRUPT; /* 0xc1 is never used */
	}
payload:
	return cur_skip(c, (size_t)n) ? MP_OK : MP_TRUNCATED;
container:
	/* each element takes at least one byte (see read_item()) */
	if (n > cur_len(c))
		return MP_TRUNCATED;
	*container = true;
	*children = n;
	return MP_OK;
}

enum mp_status mp_object_size(const uint8_t *p, size_t len, size_t *objlen, size_t *badoff)
{
	struct cursor c = cur_make(p, len);
	uint64_t left[MP_MAX_DEPTH + 1]; /* items still to step over at each depth */
	int d = 0;
	left[0] = 1;
	for (;;) {
		while (d >= 0 && left[d] == 0)
			d--;
		if (d < 0)
			break;
		left[d]--;
		const uint8_t *at = c.p;
		bool container;
		uint64_t kids;
		enum mp_status st = skip_item(&c, &container, &kids);
		if (st == MP_OK && container && d >= MP_MAX_DEPTH)
			st = MP_CORRUPT;
		if (st != MP_OK) {
			if (st == MP_CORRUPT && badoff)
				*badoff = (size_t)(at - p);
			return st;
		}
		if (container)
			left[++d] = kids;
	}
	*objlen = len - cur_len(&c);
	return MP_OK;
}

/* The reference for mp_object_size() (tests): the recursive walk over read_item(). */
enum mp_status mp_object_size_slow(const uint8_t *p, size_t len, size_t *objlen, size_t *badoff);
enum mp_status mp_object_size_slow(const uint8_t *p, size_t len, size_t *objlen, size_t *badoff)
{
	struct cursor c = cur_make(p, len);
	enum mp_status st = skip_object(&c, 0, p, badoff);
	if (st == MP_OK)
		*objlen = len - cur_len(&c);
	return st;
}

/* ------------------------------------------------------------------ JSON */

static bool json_string(struct strbuf *out, const uint8_t *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	if (!sb_putc(out, '"'))
		return false;
	size_t i = 0;
	while (i < n) {
		uint8_t ch = s[i];
		if (ch == '"' || ch == '\\') {
			char esc[2] = {'\\', (char)ch};
			if (!sb_append(out, esc, 2))
				return false;
			i++;
			continue;
		}
		if (ch < 0x20 || ch == 0x7f) {
			char esc[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};
			const char *shortform = NULL;
			switch (ch) {
			case '\n': shortform = "\\n"; break;
			case '\r': shortform = "\\r"; break;
			case '\t': shortform = "\\t"; break;
			default: break;
			}
			if (!(shortform ? sb_puts(out, shortform) : sb_append(out, esc, 6)))
				return false;
			i++;
			continue;
		}
		if (ch < 0x80) {
			if (!sb_putc(out, (char)ch))
				return false;
			i++;
			continue;
		}
		/* Validate one UTF-8 sequence; invalid bytes become U+FFFD. */
		size_t need = 0;
		uint32_t cp = 0, min = 0;
		if ((ch & 0xe0) == 0xc0) {
			need = 1;
			cp = ch & 0x1f;
			min = 0x80;
		} else if ((ch & 0xf0) == 0xe0) {
			need = 2;
			cp = ch & 0x0f;
			min = 0x800;
		} else if ((ch & 0xf8) == 0xf0) {
			need = 3;
			cp = ch & 0x07;
			min = 0x10000;
		}
		bool ok = need > 0;
		if (ok) {
			for (size_t k = 1; k <= need; k++) {
				if (i + k >= n || (s[i + k] & 0xc0) != 0x80) {
					ok = false;
					break;
				}
				cp = cp << 6 | (s[i + k] & 0x3f);
			}
		}
		if (ok && (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)))
			ok = false;
		if (ok) {
			if (!sb_append(out, s + i, need + 1))
				return false;
			i += need + 1;
		} else {
			if (!sb_puts(out, "\xef\xbf\xbd"))
				return false;
			i++;
		}
	}
	return sb_putc(out, '"');
}

struct kv_span {
	const uint8_t *key;
	size_t keylen;
	const uint8_t *kobj; /* the key object (for non-string keys) */
	size_t kobjlen;
	const uint8_t *val;
	size_t vallen;
};

static int kv_cmp(const void *a, const void *b)
{
	const struct kv_span *x = a, *y = b;
	size_t n = KG_MIN(x->keylen, y->keylen);
	int r = n ? memcmp(x->key, y->key, n) : 0;
	if (r)
		return r;
	return x->keylen < y->keylen ? -1 : x->keylen > y->keylen;
}

static enum mp_status to_json(struct cursor *c, struct strbuf *out, unsigned flags, int depth);

/* A map key rendered as a JSON string: strings as they are, other scalars as text. */
static enum mp_status key_to_json(const uint8_t *p, size_t len, struct strbuf *out, unsigned flags, int depth)
{
	struct cursor c = cur_make(p, len);
	struct mp_item it;
	enum mp_status st = read_item(&c, &it);
	if (st != MP_OK)
		return st;
	if (it.kind == K_STR)
		return json_string(out, it.payload, (size_t)it.n) ? MP_OK : MP_TOO_BIG;
	struct strbuf tmp;
	sb_init(&tmp, 1 << 20);
	c = cur_make(p, len);
	st = to_json(&c, &tmp, flags, depth + 1);
	if (st == MP_OK && !json_string(out, (const uint8_t *)tmp.data, tmp.len))
		st = MP_TOO_BIG;
	sb_free(&tmp);
	return st;
}

static enum mp_status to_json(struct cursor *c, struct strbuf *out, unsigned flags, int depth)
{
	struct mp_item it;
	enum mp_status st;
	if (depth > MP_MAX_DEPTH)
		return MP_CORRUPT;
	if ((st = read_item(c, &it)) != MP_OK)
		return st;
	bool ok = true;
	switch (it.kind) {
	case K_NIL: ok = sb_puts(out, "null"); break;
	case K_BOOL: ok = sb_puts(out, it.u ? "true" : "false"); break;
	case K_UINT: ok = sb_printf(out, "%llu", (unsigned long long)it.u); break;
	case K_INT: ok = sb_printf(out, "%lld", (long long)it.i); break;
	case K_FLOAT:
		if (isfinite(it.d))
			ok = sb_printf(out, "%.17g", it.d);
		else
			ok = sb_puts(out, "null");
		break;
	case K_STR: ok = json_string(out, it.payload, (size_t)it.n); break;
	case K_BIN: {
		char *hex = kg_malloc((size_t)it.n * 2 + 1, "bin to hex");
		kg_hex(it.payload, (size_t)it.n, hex);
		ok = sb_putc(out, '"') && sb_append(out, hex, (size_t)it.n * 2) && sb_putc(out, '"');
		free(hex);
		break;
	}
	case K_EXT: {
		char *hex = kg_malloc((size_t)it.n * 2 + 1, "ext to hex");
		kg_hex(it.payload, (size_t)it.n, hex);
		ok = sb_printf(out, "{\"ext_type\":%d,\"data\":\"", it.ext_type) &&
		     sb_append(out, hex, (size_t)it.n * 2) && sb_puts(out, "\"}");
		free(hex);
		break;
	}
	case K_ARRAY:
		if (!sb_putc(out, '['))
			return MP_TOO_BIG;
		for (uint64_t k = 0; k < it.n; k++) {
			if (k && !sb_putc(out, ','))
				return MP_TOO_BIG;
			if ((st = to_json(c, out, flags, depth + 1)) != MP_OK)
				return st;
		}
		ok = sb_putc(out, ']');
		break;
	case K_MAP: {
		/* Collect the spans first (count already bounded by remaining bytes). */
		struct kv_span *kv = it.n ? kg_calloc((size_t)it.n, sizeof(*kv), "json map") : NULL;
		for (uint64_t k = 0; k < it.n; k++) {
			struct mp_item kit;
			struct cursor kc = *c;
			kv[k].kobj = c->p;
			if ((st = skip_object(c, depth + 1, NULL, NULL)) != MP_OK) {
				free(kv);
				return st;
			}
			kv[k].kobjlen = (size_t)(c->p - kv[k].kobj);
			if (read_item(&kc, &kit) == MP_OK && kit.kind == K_STR) {
				kv[k].key = kit.payload;
				kv[k].keylen = (size_t)kit.n;
			} else {
				kv[k].key = kv[k].kobj;
				kv[k].keylen = kv[k].kobjlen;
			}
			kv[k].val = c->p;
			if ((st = skip_object(c, depth + 1, NULL, NULL)) != MP_OK) {
				free(kv);
				return st;
			}
			kv[k].vallen = (size_t)(c->p - kv[k].val);
		}
		if ((flags & MPJSON_SORT_KEYS) && it.n > 1)
			qsort(kv, (size_t)it.n, sizeof(*kv), kv_cmp);
		ok = sb_putc(out, '{');
		for (uint64_t k = 0; ok && k < it.n; k++) {
			if (k && !sb_putc(out, ','))
				ok = false;
			if (ok && (st = key_to_json(kv[k].kobj, kv[k].kobjlen, out, flags, depth)) != MP_OK) {
				free(kv);
				return st;
			}
			if (ok && !sb_putc(out, ':'))
				ok = false;
			struct cursor vc = cur_make(kv[k].val, kv[k].vallen);
			if (ok && (st = to_json(&vc, out, flags, depth + 1)) != MP_OK) {
				free(kv);
				return st;
			}
		}
		free(kv);
		ok = ok && sb_putc(out, '}');
		break;
	}
	}
	return ok ? MP_OK : MP_TOO_BIG;
}

enum mp_status mp_to_json(const uint8_t *p, size_t len, struct strbuf *out, unsigned flags)
{
	struct cursor c = cur_make(p, len);
	return to_json(&c, out, flags, 0);
}

bool mp_map_get_str(const uint8_t *p, size_t len, const char *key, const uint8_t **val, size_t *vlen)
{
	struct cursor c = cur_make(p, len);
	struct mp_item it;
	size_t klen = strlen(key);
	if (read_item(&c, &it) != MP_OK || it.kind != K_MAP)
		return false;
	for (uint64_t k = 0; k < it.n; k++) {
		struct mp_item ki, vi;
		struct cursor save = c;
		if (read_item(&save, &ki) != MP_OK)
			return false;
		bool match = ki.kind == K_STR && ki.n == klen && memcmp(ki.payload, key, klen) == 0;
		if (skip_object(&c, 1, NULL, NULL) != MP_OK)
			return false;
		if (match) {
			struct cursor vc = c;
			if (read_item(&vc, &vi) != MP_OK || vi.kind != K_STR)
				return false;
			*val = vi.payload;
			*vlen = (size_t)vi.n;
			return true;
		}
		if (skip_object(&c, 1, NULL, NULL) != MP_OK)
			return false;
	}
	return false;
}

/* ------------------------------------------------------------------ read-only access */

bool mp_val_make(const uint8_t *p, size_t len, struct mp_val *out)
{
	size_t n, bad;
	if (!p || mp_object_size(p, len, &n, &bad) != MP_OK)
		return false;
	out->p = p;
	out->len = n;
	return true;
}

static bool item_of(struct mp_val v, struct mp_item *it, struct cursor *rest)
{
	struct cursor c = cur_make(v.p, v.len);
	if (!v.p || read_item(&c, it) != MP_OK)
		return false;
	if (rest)
		*rest = c;
	return true;
}

enum mp_type mp_type_of(struct mp_val v)
{
	struct mp_item it;
	if (!item_of(v, &it, NULL))
		return MP_T_BAD;
	switch (it.kind) {
	case K_NIL: return MP_T_NIL;
	case K_BOOL: return MP_T_BOOL;
	case K_UINT: return MP_T_UINT;
	case K_INT: return MP_T_INT;
	case K_FLOAT: return MP_T_FLOAT;
	case K_STR: return MP_T_STR;
	case K_BIN: return MP_T_BIN;
	case K_EXT: return MP_T_EXT;
	case K_ARRAY: return MP_T_ARRAY;
	case K_MAP: return MP_T_MAP;
	}
	return MP_T_BAD;
}

/* The next whole object at the cursor, as a value; advances the cursor past it. */
static bool take_val(struct cursor *c, struct mp_val *out)
{
	const uint8_t *at = c->p;
	if (skip_object(c, 1, NULL, NULL) != MP_OK)
		return false;
	out->p = at;
	out->len = (size_t)(c->p - at);
	return true;
}

bool mp_iter_array(struct mp_val v, struct mp_iter *it)
{
	struct mp_item item;
	struct cursor c;
	if (!item_of(v, &item, &c) || item.kind != K_ARRAY)
		return false;
	it->p = c.p;
	it->left_bytes = cur_len(&c);
	it->left = item.n;
	return true;
}

bool mp_iter_map(struct mp_val v, struct mp_iter *it)
{
	struct mp_item item;
	struct cursor c;
	if (!item_of(v, &item, &c) || item.kind != K_MAP)
		return false;
	it->p = c.p;
	it->left_bytes = cur_len(&c);
	it->left = item.n;
	return true;
}

bool mp_next(struct mp_iter *it, struct mp_val *elem)
{
	if (!it->left)
		return false;
	struct cursor c = cur_make(it->p, it->left_bytes);
	if (!take_val(&c, elem)) {
		it->left = 0;
		return false;
	}
	it->p = c.p;
	it->left_bytes = cur_len(&c);
	it->left--;
	return true;
}

bool mp_next_kv(struct mp_iter *it, struct mp_val *key, struct mp_val *val)
{
	if (!it->left)
		return false;
	struct cursor c = cur_make(it->p, it->left_bytes);
	if (!take_val(&c, key) || !take_val(&c, val)) {
		it->left = 0;
		return false;
	}
	it->p = c.p;
	it->left_bytes = cur_len(&c);
	it->left--;
	return true;
}

bool mp_as_str(struct mp_val v, const uint8_t **s, size_t *n)
{
	struct mp_item it;
	if (!item_of(v, &it, NULL) || it.kind != K_STR)
		return false;
	*s = it.payload;
	*n = (size_t)it.n;
	return true;
}

static bool get_n(struct mp_val v, const char *key, size_t klen, struct mp_val *out)
{
	struct mp_iter it;
	struct mp_val k, val;
	if (!mp_iter_map(v, &it))
		return false;
	while (mp_next_kv(&it, &k, &val)) {
		const uint8_t *s;
		size_t n;
		if (mp_as_str(k, &s, &n) && n == klen && memcmp(s, key, klen) == 0) {
			*out = val;
			return true;
		}
	}
	return false;
}

bool mp_get(struct mp_val v, const char *key, struct mp_val *out) { return get_n(v, key, strlen(key), out); }

bool mp_path(struct mp_val v, const char *path, struct mp_val *out)
{
	struct mp_val cur = v;
	const char *p = path;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (!get_n(cur, p, n, &cur))
			return false;
		if (!dot)
			break;
		p = dot + 1;
	}
	*out = cur;
	return true;
}

bool mp_as_uint(struct mp_val v, uint64_t *out)
{
	struct mp_item it;
	if (!item_of(v, &it, NULL))
		return false;
	if (it.kind == K_UINT) {
		*out = it.u;
		return true;
	}
	if (it.kind == K_INT && it.i >= 0) {
		*out = (uint64_t)it.i;
		return true;
	}
	return false;
}

bool mp_as_double(struct mp_val v, double *out)
{
	struct mp_item it;
	if (!item_of(v, &it, NULL))
		return false;
	switch (it.kind) {
	case K_UINT: *out = (double)it.u; return true;
	case K_INT: *out = (double)it.i; return true;
	case K_FLOAT: *out = it.d; return true;
	default: return false;
	}
}

bool mp_as_bool(struct mp_val v, bool *out)
{
	struct mp_item it;
	if (!item_of(v, &it, NULL) || it.kind != K_BOOL)
		return false;
	*out = it.u != 0;
	return true;
}

bool mp_path_uint(struct mp_val v, const char *path, uint64_t *out)
{
	struct mp_val x;
	return mp_path(v, path, &x) && mp_as_uint(x, out);
}

bool mp_path_str(struct mp_val v, const char *path, const uint8_t **s, size_t *n)
{
	struct mp_val x;
	return mp_path(v, path, &x) && mp_as_str(x, s, n);
}
