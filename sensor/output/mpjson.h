/* mpjson.h - bounded msgpack reader and msgpack-to-JSON transcoder (msgpack spec, RFC 8259).
 *
 * Used by `--json` output and by kagami-cat. It never trusts a declared length:
 * every count is checked against the bytes that remain (each element needs at
 * least one byte), nesting is capped, and nothing is allocated from a count.
 */
#ifndef KAGAMI_MPJSON_H
#define KAGAMI_MPJSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

enum mp_status {
	MP_OK = 0,
	MP_TRUNCATED, /* the object continues past the end of the input */
	MP_CORRUPT,   /* a byte that is not valid msgpack (0xc1), or nesting too deep */
	MP_TOO_BIG,   /* output would exceed its cap */
};

const char *mp_strerror(enum mp_status st);

#define MPJSON_SORT_KEYS 1u /* emit map keys in byte order (golden files) */

/* Measure the msgpack object at p[0..len): on MP_OK, *objlen is its size.
 * On MP_CORRUPT, *badoff is the offset of the offending byte. */
enum mp_status mp_object_size(const uint8_t *p, size_t len, size_t *objlen, size_t *badoff);

/* Transcode one complete msgpack object to JSON appended to out. */
enum mp_status mp_to_json(const uint8_t *p, size_t len, struct strbuf *out, unsigned flags);

/* Look up a top-level string field of a msgpack map (e.g. "event_type").
 * Returns false when the object is not a map or has no such string key. */
bool mp_map_get_str(const uint8_t *p, size_t len, const char *key, const uint8_t **val, size_t *vlen);

/* ---- read-only access to one complete msgpack object (kagami-report) ----
 * A struct mp_val is the exact bytes of one object. Every accessor re-checks what it reads
 * against those bytes, so a value cut out of a hostile stream can never be read past. */
enum mp_type { MP_T_BAD = 0, MP_T_NIL, MP_T_BOOL, MP_T_UINT, MP_T_INT, MP_T_FLOAT, MP_T_STR, MP_T_BIN, MP_T_EXT,
	       MP_T_ARRAY, MP_T_MAP };

struct mp_val {
	const uint8_t *p;
	size_t len;
};

struct mp_iter {
	const uint8_t *p; /* next element */
	size_t left_bytes;
	uint64_t left;    /* elements (array) or pairs (map) still to come */
};

/* A value over p[0..len): false unless the bytes start with one whole object (it is cut to it). */
bool mp_val_make(const uint8_t *p, size_t len, struct mp_val *out);
/* The value of an object already measured (mp_object_size() said it is exactly len bytes, e.g. an
 * event cut out of a stream by the msgpack reader): no second measurement. The accessors still
 * check every read against [p, p + len). */
static inline struct mp_val mp_val_of(const uint8_t *p, size_t len) { return (struct mp_val){p, len}; }
enum mp_type mp_type_of(struct mp_val v);
/* The value of string key in map v. */
bool mp_get(struct mp_val v, const char *key, struct mp_val *out);
/* A dotted path of map keys, e.g. "observation.ports.top". */
bool mp_path(struct mp_val v, const char *path, struct mp_val *out);
/* Scalars: uint (also a non-negative int), double (any number), string, bool. */
bool mp_as_uint(struct mp_val v, uint64_t *out);
bool mp_as_double(struct mp_val v, double *out);
bool mp_as_str(struct mp_val v, const uint8_t **s, size_t *n);
bool mp_as_bool(struct mp_val v, bool *out);
/* Shorthands for a path whose value is a scalar: false when absent or of another type. */
bool mp_path_uint(struct mp_val v, const char *path, uint64_t *out);
bool mp_path_str(struct mp_val v, const char *path, const uint8_t **s, size_t *n);
/* Iterate an array (mp_next) or a map (mp_next_kv). */
bool mp_iter_array(struct mp_val v, struct mp_iter *it);
bool mp_iter_map(struct mp_val v, struct mp_iter *it);
bool mp_next(struct mp_iter *it, struct mp_val *elem);
bool mp_next_kv(struct mp_iter *it, struct mp_val *key, struct mp_val *val);

#endif
