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

#include "util.h"

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

#endif
