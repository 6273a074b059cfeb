/* cursor.h - the one bounds-checked reader for packet and stream bytes (in the spirit of BoringSSL's CBS).
 *
 * Every read of wire data in kagami goes through a struct cursor. A cursor is a
 * borrowed view {p, len}; readers advance it and return false, leaving the cursor
 * unchanged, when fewer bytes remain than the read needs. "false" therefore always
 * means *truncated*; a value that was read completely but is not acceptable is
 * *invalid* and is the caller's decision (see enum cur_status for callers that
 * need to report the two apart).
 *
 * Lengths taken from the wire go through cur_sub()/cur_*_prefixed(), which check
 * them against what remains before anything is read behind them.
 */
#ifndef KAGAMI_CURSOR_H
#define KAGAMI_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cursor {
	const uint8_t *p;
	size_t len;
};

/* Outcome of a parse step where truncated and invalid must be told apart. */
enum cur_status {
	CUR_OK = 0,
	CUR_TRUNCATED = 1, /* more bytes would be needed */
	CUR_INVALID = 2,   /* the bytes are there but violate the format */
};

/* A cursor never holds a null pointer (offsetting one, even by 0, is undefined). */
static const uint8_t cur_nothing[1];

static inline void cur_init(struct cursor *c, const void *p, size_t len)
{
	c->p = p ? (const uint8_t *)p : cur_nothing;
	c->len = p ? len : 0;
}

static inline struct cursor cur_make(const void *p, size_t len)
{
	struct cursor c;
	cur_init(&c, p, len);
	return c;
}

static inline size_t cur_len(const struct cursor *c) { return c->len; }
static inline const uint8_t *cur_data(const struct cursor *c) { return c->p; }
static inline bool cur_empty(const struct cursor *c) { return c->len == 0; }
static inline bool cur_has(const struct cursor *c, size_t n) { return c->len >= n; }

static inline bool cur_skip(struct cursor *c, size_t n)
{
	if (c->len < n)
		return false;
	if (n == 0)
		return true;
	c->p += n;
	c->len -= n;
	return true;
}

/* Borrow n bytes: *out points into the underlying buffer. */
static inline bool cur_bytes(struct cursor *c, size_t n, const uint8_t **out)
{
	if (c->len < n)
		return false;
	*out = c->p;
	if (n == 0)
		return true;
	c->p += n;
	c->len -= n;
	return true;
}

static inline bool cur_copy(struct cursor *c, void *dst, size_t n)
{
	if (c->len < n)
		return false;
	if (n == 0)
		return true;
	memcpy(dst, c->p, n);
	c->p += n;
	c->len -= n;
	return true;
}

/* Split off the next n bytes as *sub and advance past them. */
static inline bool cur_sub(struct cursor *c, size_t n, struct cursor *sub)
{
	if (c->len < n)
		return false;
	sub->p = c->p;
	sub->len = n;
	if (n == 0)
		return true;
	c->p += n;
	c->len -= n;
	return true;
}

/* A view of [off, off+n) of c without advancing it (for formats with offsets). */
static inline bool cur_window(const struct cursor *c, size_t off, size_t n, struct cursor *sub)
{
	if (off > c->len || n > c->len - off)
		return false;
	sub->p = c->p + off;
	sub->len = n;
	return true;
}

/* A view from off to the end of c without advancing it; past the end, an
 * empty view and false. */
static inline bool cur_tail(const struct cursor *c, size_t off, struct cursor *sub)
{
	if (off > c->len) {
		sub->p = c->p + c->len;
		sub->len = 0;
		return false;
	}
	sub->p = c->p + off;
	sub->len = c->len - off;
	return true;
}

static inline bool cur_u8(struct cursor *c, uint8_t *v)
{
	if (c->len < 1)
		return false;
	*v = c->p[0];
	c->p += 1;
	c->len -= 1;
	return true;
}

static inline bool cur_be16(struct cursor *c, uint16_t *v)
{
	if (c->len < 2)
		return false;
	*v = (uint16_t)((uint16_t)c->p[0] << 8 | c->p[1]);
	c->p += 2;
	c->len -= 2;
	return true;
}

static inline bool cur_be24(struct cursor *c, uint32_t *v)
{
	if (c->len < 3)
		return false;
	*v = (uint32_t)c->p[0] << 16 | (uint32_t)c->p[1] << 8 | c->p[2];
	c->p += 3;
	c->len -= 3;
	return true;
}

static inline bool cur_be32(struct cursor *c, uint32_t *v)
{
	if (c->len < 4)
		return false;
	*v = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 | (uint32_t)c->p[2] << 8 | c->p[3];
	c->p += 4;
	c->len -= 4;
	return true;
}

static inline bool cur_be64(struct cursor *c, uint64_t *v)
{
	uint32_t hi = 0, lo = 0;
	if (c->len < 8)
		return false;
	cur_be32(c, &hi);
	cur_be32(c, &lo);
	*v = (uint64_t)hi << 32 | lo;
	return true;
}

static inline bool cur_le16(struct cursor *c, uint16_t *v)
{
	if (c->len < 2)
		return false;
	*v = (uint16_t)((uint16_t)c->p[1] << 8 | c->p[0]);
	c->p += 2;
	c->len -= 2;
	return true;
}

static inline bool cur_le32(struct cursor *c, uint32_t *v)
{
	if (c->len < 4)
		return false;
	*v = (uint32_t)c->p[3] << 24 | (uint32_t)c->p[2] << 16 | (uint32_t)c->p[1] << 8 | c->p[0];
	c->p += 4;
	c->len -= 4;
	return true;
}

static inline bool cur_le64(struct cursor *c, uint64_t *v)
{
	uint32_t lo = 0, hi = 0;
	if (c->len < 8)
		return false;
	cur_le32(c, &lo);
	cur_le32(c, &hi);
	*v = (uint64_t)hi << 32 | lo;
	return true;
}

/* Peek readers: read at offset off from the current position, never advance. */
static inline bool cur_peek_u8(const struct cursor *c, size_t off, uint8_t *v)
{
	if (off >= c->len)
		return false;
	*v = c->p[off];
	return true;
}

static inline bool cur_peek_be16(const struct cursor *c, size_t off, uint16_t *v)
{
	struct cursor t;
	return cur_tail(c, off, &t) && cur_be16(&t, v);
}

static inline bool cur_peek_be24(const struct cursor *c, size_t off, uint32_t *v)
{
	struct cursor t;
	return cur_tail(c, off, &t) && cur_be24(&t, v);
}

static inline bool cur_peek_be32(const struct cursor *c, size_t off, uint32_t *v)
{
	struct cursor t;
	return cur_tail(c, off, &t) && cur_be32(&t, v);
}

static inline bool cur_peek_le16(const struct cursor *c, size_t off, uint16_t *v)
{
	struct cursor t;
	return cur_tail(c, off, &t) && cur_le16(&t, v);
}

static inline bool cur_peek_le32(const struct cursor *c, size_t off, uint32_t *v)
{
	struct cursor t;
	return cur_tail(c, off, &t) && cur_le32(&t, v);
}

/* True when the next n bytes equal mem (false also when fewer remain). */
static inline bool cur_peek_eq(const struct cursor *c, size_t off, const void *mem, size_t n)
{
	if (off > c->len || n > c->len - off)
		return false;
	return memcmp(c->p + off, mem, n) == 0;
}

/* Length-prefixed sub-cursors: read an N-byte big-endian length, then split off
 * that many bytes. On truncation nothing is consumed. */
static inline bool cur_u8_prefixed(struct cursor *c, struct cursor *sub)
{
	struct cursor t = *c;
	uint8_t n;
	if (!cur_u8(&t, &n) || !cur_sub(&t, n, sub))
		return false;
	*c = t;
	return true;
}

static inline bool cur_be16_prefixed(struct cursor *c, struct cursor *sub)
{
	struct cursor t = *c;
	uint16_t n;
	if (!cur_be16(&t, &n) || !cur_sub(&t, n, sub))
		return false;
	*c = t;
	return true;
}

static inline bool cur_be24_prefixed(struct cursor *c, struct cursor *sub)
{
	struct cursor t = *c;
	uint32_t n;
	if (!cur_be24(&t, &n) || !cur_sub(&t, n, sub))
		return false;
	*c = t;
	return true;
}

/* Position of the first occurrence of needle in c, or -1. Does not advance. */
static inline long cur_find(const struct cursor *c, const void *needle, size_t n)
{
	if (n == 0)
		return 0;
	if (n > c->len)
		return -1;
	const uint8_t *hit = (const uint8_t *)memmem(c->p, c->len, needle, n);
	return hit ? (long)(hit - c->p) : -1;
}

#endif /* KAGAMI_CURSOR_H */
