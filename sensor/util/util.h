/* util.h - small shared helpers: growable byte/string buffer, time and address formatting, hashing. */
#ifndef KAGAMI_UTIL_H
#define KAGAMI_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KG_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define KG_MIN(a, b) ((a) < (b) ? (a) : (b))
#define KG_MAX(a, b) ((a) > (b) ? (a) : (b))

#if defined(__GNUC__)
#define KG_LIKELY(x) __builtin_expect(!!(x), 1)
#define KG_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define KG_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define KG_NORETURN __attribute__((noreturn))
#define KG_FALLTHROUGH __attribute__((fallthrough))
#else
#define KG_FALLTHROUGH
#define KG_LIKELY(x) (x)
#define KG_UNLIKELY(x) (x)
#define KG_PRINTF(f, a)
#define KG_NORETURN
#endif

/* The programs' exit status (kagami(8), EXIT STATUS). */
enum kg_exit {
	KG_EXIT_OK = 0,
	KG_EXIT_USAGE = 1,    /* usage or configuration error */
	KG_EXIT_INPUT = 2,    /* an input could not be read completely */
	KG_EXIT_OUTPUT = 3,   /* events could not be written */
	KG_EXIT_INTERNAL = 4, /* out of memory, library failure */
};

/* Allocation that never returns NULL: kagami caps every structure that grows
 * with input, so running out of memory is a deployment fault; it is reported
 * with the site and the process exits (exit code 4). */
void *kg_malloc(size_t n, const char *what);
void *kg_calloc(size_t n, size_t sz, const char *what);
void *kg_realloc(void *p, size_t n, const char *what);
char *kg_strdup(const char *s, const char *what);
KG_NORETURN void kg_fatal(const char *fmt, ...) KG_PRINTF(1, 2);

/* Growable byte buffer; cap (0 = none) bounds its size: appends past the cap
 * fail and set the overflow flag instead of growing. */
struct strbuf {
	char *data;
	size_t len;
	size_t cap;   /* allocated */
	size_t limit; /* 0 = unlimited */
	bool overflow;
};

void sb_init(struct strbuf *sb, size_t limit);
void sb_free(struct strbuf *sb);
void sb_reset(struct strbuf *sb);
bool sb_append(struct strbuf *sb, const void *p, size_t n);
bool sb_putc(struct strbuf *sb, char c);
bool sb_puts(struct strbuf *sb, const char *s);
bool sb_printf(struct strbuf *sb, const char *fmt, ...) KG_PRINTF(2, 3);
const char *sb_cstr(struct strbuf *sb); /* NUL-terminated view (appends no visible byte) */

/* ISO 8601 UTC with microseconds, e.g. "2017-05-18T10:11:12.123456+0000".
 * Timestamps past year 9999 are clamped; returns false when clamped. buf >= 32. */
bool kg_format_time(int64_t ts_us, char *buf, size_t buflen);
/* The inverse: s[0..n) in exactly that form (31 characters, "+0000") into microseconds since
 * the epoch; false when it is anything else or before 1970. */
bool kg_parse_time(const char *s, size_t n, int64_t *ts_us);

/* Text form of an IPv4 (family 4) or IPv6 (family 6) address. buf >= 46. */
void kg_format_ip(int family, const uint8_t *addr, char *buf, size_t buflen);
/* Parse an address into 16 bytes (v4 in the first 4); returns family or 0. */
int kg_parse_ip(const char *s, uint8_t out[16]);

/* The Internet checksum (RFC 1071) of p[0..n): 0 when a header that carries its
 * own checksum is intact. */
uint16_t kg_inet_checksum(const uint8_t *p, size_t n);

/* Lowercase hex of n bytes into buf (needs 2n+1). */
void kg_hex(const uint8_t *p, size_t n, char *buf);
/* Hex of n bytes into buf, the byte pairs joined by sep unless it is '\0' ("00:1a:ff"), upper-case
 * digits when upper; buf needs 3n bytes with a separator (NUL included; "" when n is 0), else
 * 2n+1. Suricata's tls.cert_serial (':', upper) and tls.cert_fingerprint (':', lower) forms. */
void kg_hex_sep(const uint8_t *p, size_t n, char sep, bool upper, char *buf);

/* Keyed 64-bit hash (SipHash-1-3); key is per process. */
uint64_t kg_hash64(const void *p, size_t n, const uint8_t key[16]);

/* Fast keyed hash of n 64-bit words for per-packet hash tables (multiply-fold
 * mixing with a per-process random seed, in the style of wyhash). Cheaper
 * than SipHash; the random seed keeps chains from being aimed at offline. */
static inline uint64_t kg_mix64(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t kg_hash_words(const uint64_t *w, size_t n, uint64_t seed)
{
	uint64_t h = seed ^ 0xa0761d6478bd642fULL;
	for (size_t i = 0; i < n; i++)
		h = kg_mix64(h ^ w[i], 0xe7037ed1a0b428dbULL);
	return kg_mix64(h, 0x8ebc6af09c88c6e3ULL ^ n);
}
/* Wall-clock time (CLOCK_REALTIME) in microseconds since the epoch. */
int64_t kg_wall_us(void);
/* Fill buf with random bytes from the kernel (falls back to time/pid mixing). */
void kg_random(void *buf, size_t n);

/* Parse a size like "64M", "1G", "4096" into bytes; false when malformed. */
bool kg_parse_size(const char *s, uint64_t *out);
/* Parse a duration like "60", "60s", "5m", "1h" into seconds. */
bool kg_parse_duration(const char *s, uint64_t *out_seconds);

#endif
