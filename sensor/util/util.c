/* util.c - small shared helpers: buffers, formatting, hashing (see util.h). */
#include "config.h"

#include "util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_GETRANDOM
#include <sys/random.h>
#endif

void kg_fatal(const char *fmt, ...)
{
	va_list ap;
	fputs("kagami: fatal: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(4);
}

void *kg_malloc(size_t n, const char *what)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		kg_fatal("out of memory allocating %zu bytes for %s", n, what);
	return p;
}

void *kg_calloc(size_t n, size_t sz, const char *what)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);
	if (!p)
		kg_fatal("out of memory allocating %zu x %zu bytes for %s", n, sz, what);
	return p;
}

void *kg_realloc(void *p, size_t n, const char *what)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		kg_fatal("out of memory growing %s to %zu bytes", what, n);
	return q;
}

char *kg_strdup(const char *s, const char *what)
{
	size_t n = strlen(s) + 1;
	char *d = kg_malloc(n, what);
	memcpy(d, s, n);
	return d;
}

void sb_init(struct strbuf *sb, size_t limit)
{
	memset(sb, 0, sizeof(*sb));
	sb->limit = limit;
}

void sb_free(struct strbuf *sb)
{
	free(sb->data);
	memset(sb, 0, sizeof(*sb));
}

void sb_reset(struct strbuf *sb)
{
	sb->len = 0;
	sb->overflow = false;
}

static bool sb_reserve(struct strbuf *sb, size_t extra)
{
	size_t need = sb->len + extra + 1; /* room for a terminating NUL */
	if (need < sb->len) {
		sb->overflow = true;
		return false;
	}
	if (sb->limit && need > sb->limit + 1) {
		sb->overflow = true;
		return false;
	}
	if (need > sb->cap) {
		size_t ncap = sb->cap ? sb->cap : 256;
		while (ncap < need)
			ncap *= 2;
		if (sb->limit && ncap > sb->limit + 1)
			ncap = sb->limit + 1;
		sb->data = kg_realloc(sb->data, ncap, "string buffer");
		sb->cap = ncap;
	}
	return true;
}

bool sb_append(struct strbuf *sb, const void *p, size_t n)
{
	if (!sb_reserve(sb, n))
		return false;
	if (n)
		memcpy(sb->data + sb->len, p, n);
	sb->len += n;
	return true;
}

bool sb_putc(struct strbuf *sb, char c) { return sb_append(sb, &c, 1); }
bool sb_puts(struct strbuf *sb, const char *s) { return sb_append(sb, s, strlen(s)); }

bool sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return false;
	if ((size_t)n < sizeof(small))
		return sb_append(sb, small, (size_t)n);
	if (!sb_reserve(sb, (size_t)n))
		return false;
	va_start(ap, fmt);
	vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
	return true;
}

const char *sb_cstr(struct strbuf *sb)
{
	if (!sb_reserve(sb, 0))
		return "";
	sb->data[sb->len] = '\0';
	return sb->data;
}

/* Days since 1970-01-01 to a civil date (proleptic Gregorian), after Howard
 * Hinnant's days_from_civil inverse: no locale, no locks, no division by 0. */
static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static char *put_digits(char *p, unsigned v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + n;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const char *p, int n, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	*out = v;
	return true;
}

bool kg_parse_time(const char *t, size_t n, int64_t *ts_us)
{
	/* 2017-05-18T10:11:12.123456+0000 */
	unsigned y, mo, d, h, mi, s, us;
	if (n != 31 || !digits(t, 4, &y) || t[4] != '-' || !digits(t + 5, 2, &mo) || t[7] != '-' ||
	    !digits(t + 8, 2, &d) || t[10] != 'T' || !digits(t + 11, 2, &h) || t[13] != ':' ||
	    !digits(t + 14, 2, &mi) || t[16] != ':' || !digits(t + 17, 2, &s) || t[19] != '.' ||
	    !digits(t + 20, 6, &us) || memcmp(t + 26, "+0000", 5) != 0)
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
		return false;
	int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
	if (secs < 0)
		return false;
	*ts_us = secs * 1000000 + us;
	return true;
}

bool kg_format_time(int64_t ts_us, char *buf, size_t buflen)
{
	/* 9999-12-31T23:59:59 UTC */
	const int64_t max_s = 253402300799LL;
	bool ok = true;
	int64_t s = ts_us / 1000000, us = ts_us % 1000000;
	if (us < 0) {
		us += 1000000;
		s -= 1;
	}
	if (s < 0) {
		s = 0;
		us = 0;
		ok = false;
	} else if (s > max_s) {
		s = max_s;
		us = 999999;
		ok = false;
	}
	if (buflen < 32) {
		if (buflen)
			buf[0] = '\0';
		return false;
	}
	int y;
	unsigned mo, d;
	civil_from_days(s / 86400, &y, &mo, &d);
	unsigned sod = (unsigned)(s % 86400);
	char *p = buf;
	p = put_digits(p, (unsigned)y, 4);
	*p++ = '-';
	p = put_digits(p, mo, 2);
	*p++ = '-';
	p = put_digits(p, d, 2);
	*p++ = 'T';
	p = put_digits(p, sod / 3600, 2);
	*p++ = ':';
	p = put_digits(p, sod / 60 % 60, 2);
	*p++ = ':';
	p = put_digits(p, sod % 60, 2);
	*p++ = '.';
	p = put_digits(p, (unsigned)us, 6);
	memcpy(p, "+0000", 6);
	return ok;
}

void kg_format_ip(int family, const uint8_t *addr, char *buf, size_t buflen)
{
	if (family != 6 && buflen >= 16) {
		char *p = buf;
		for (int i = 0; i < 4; i++) {
			unsigned v = addr[i];
			if (v >= 100)
				*p++ = (char)('0' + v / 100);
			if (v >= 10)
				*p++ = (char)('0' + v / 10 % 10);
			*p++ = (char)('0' + v % 10);
			*p++ = i < 3 ? '.' : '\0';
		}
		return;
	}
	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, addr, buf, (socklen_t)buflen))
		snprintf(buf, buflen, "?");
}

int kg_parse_ip(const char *s, uint8_t out[16])
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, s, out) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, out) == 1)
		return 6;
	return 0;
}

uint16_t kg_inet_checksum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;
	size_t i = 0;
	for (; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (i < n)
		sum += (uint32_t)p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void kg_hex_sep(const uint8_t *p, size_t n, char sep, bool upper, char *buf)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (i && sep)
			buf[o++] = sep;
		buf[o++] = digits[p[i] >> 4];
		buf[o++] = digits[p[i] & 15];
	}
	buf[o] = '\0';
}

void kg_hex(const uint8_t *p, size_t n, char *buf) { kg_hex_sep(p, n, '\0', false, buf); }

/* SipHash-1-3 (Aumasson & Bernstein), written from the published description. */
#define ROTL64(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
static inline uint64_t load_le64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}
#define SIPROUND                                                                                             \
	do {                                                                                                 \
		v0 += v1;                                                                                    \
		v1 = ROTL64(v1, 13);                                                                         \
		v1 ^= v0;                                                                                    \
		v0 = ROTL64(v0, 32);                                                                         \
		v2 += v3;                                                                                    \
		v3 = ROTL64(v3, 16);                                                                         \
		v3 ^= v2;                                                                                    \
		v0 += v3;                                                                                    \
		v3 = ROTL64(v3, 21);                                                                         \
		v3 ^= v0;                                                                                    \
		v2 += v1;                                                                                    \
		v1 = ROTL64(v1, 17);                                                                         \
		v1 ^= v2;                                                                                    \
		v2 = ROTL64(v2, 32);                                                                         \
	} while (0)

uint64_t kg_hash64(const void *data, size_t n, const uint8_t key[16])
{
	const uint8_t *p = data;
	uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t m = load_le64(p + i);
		v3 ^= m;
		SIPROUND;
		v0 ^= m;
	}
	uint64_t b = (uint64_t)n << 56;
	switch (n - i) {
	case 7: b |= (uint64_t)p[i + 6] << 48; KG_FALLTHROUGH;
	case 6: b |= (uint64_t)p[i + 5] << 40; KG_FALLTHROUGH;
	case 5: b |= (uint64_t)p[i + 4] << 32; KG_FALLTHROUGH;
	case 4: b |= (uint64_t)p[i + 3] << 24; KG_FALLTHROUGH;
	case 3: b |= (uint64_t)p[i + 2] << 16; KG_FALLTHROUGH;
	case 2: b |= (uint64_t)p[i + 1] << 8;  KG_FALLTHROUGH;
	case 1: b |= (uint64_t)p[i]; break;
	default: break;
	}
	v3 ^= b;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

int64_t kg_wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void kg_random(void *buf, size_t n)
{
	uint8_t *p = buf;
	size_t got = 0;
#ifdef HAVE_GETRANDOM
	while (got < n) {
		ssize_t r = getrandom(p + got, n - got, 0);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			break;
		}
		got += (size_t)r;
	}
#endif
	if (got < n) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ ((uint64_t)getpid() << 40);
		for (; got < n; got++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			p[got] = (uint8_t)x;
		}
	}
}

bool kg_parse_size(const char *s, uint64_t *out)
{
	char *end;
	if (!isdigit((unsigned char)*s)) /* strtoull would accept "-1" and " 1" */
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return false;
	uint64_t mul = 1;
	switch (toupper((unsigned char)*end)) {
	case '\0': break;
	case 'K': mul = 1ULL << 10; end++; break;
	case 'M': mul = 1ULL << 20; end++; break;
	case 'G': mul = 1ULL << 30; end++; break;
	default: return false;
	}
	if (*end == 'i' || *end == 'I')
		end++;
	if ((*end == 'b' || *end == 'B'))
		end++;
	if (*end != '\0')
		return false;
	if (v > UINT64_MAX / mul)
		return false;
	*out = v * mul;
	return true;
}

bool kg_parse_duration(const char *s, uint64_t *out_seconds)
{
	char *end;
	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return false;
	uint64_t mul = 1;
	switch (*end) {
	case '\0': break;
	case 's': end++; break;
	case 'm': mul = 60; end++; break;
	case 'h': mul = 3600; end++; break;
	case 'd': mul = 86400; end++; break;
	default: return false;
	}
	if (*end != '\0' || v > UINT64_MAX / mul)
		return false;
	*out_seconds = v * mul;
	return true;
}
