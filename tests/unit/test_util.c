/* test_util.c - time and address formatting (checked against gmtime_r/inet_ntop over many values),
 * size and duration parsing, the keyed hashes. */
#include "config.h"

#include <arpa/inet.h>
#include <time.h>

#include "check.h"
#include "util/util.h"

int main(void)
{
	char buf[64], ref[64];
	/* against gmtime_r: the epoch, leap days, century rules, 2038, far future */
	static const int64_t fixed[] = {0, 951782400, 951868799, 4107542400LL, 2147483647, 2147483648LL,
					1700000000, 253402300799LL, 68169600, 1078012800};
	uint64_t x = 88172645463325252ULL;
	for (int i = 0; i < 20000; i++) {
		int64_t s;
		if (i < (int)KG_ARRAY_LEN(fixed)) {
			s = fixed[i];
		} else {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			s = (int64_t)(x % 253402300800ULL);
		}
		int64_t us = (int64_t)(x % 1000000);
		kg_format_time(s * 1000000 + us, buf, sizeof(buf));
		time_t t = (time_t)s;
		struct tm tm;
		gmtime_r(&t, &tm);
		snprintf(ref, sizeof(ref), "%04d-%02d-%02dT%02d:%02d:%02d.%06d+0000", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)us);
		if (strcmp(buf, ref) != 0) {
			CHECK_STR(buf, ref);
			break;
		}
		int64_t back = -1; /* and back again */
		if (!kg_parse_time(buf, strlen(buf), &back) || back != s * 1000000 + us) {
			CHECK(kg_parse_time(buf, strlen(buf), &back) && back == s * 1000000 + us);
			break;
		}
	}
	int64_t t;
	CHECK(!kg_parse_time("2017-05-18T10:11:12.123456+0900", 31, &t));
	CHECK(!kg_parse_time("2017-05-18T10:11:12.123456+000", 30, &t));
	CHECK(!kg_parse_time("2017-13-18T10:11:12.123456+0000", 31, &t));
	CHECK(!kg_parse_time("2017-05-18 10:11:12.123456+0000", 31, &t));
	CHECK(kg_parse_time("1970-01-01T00:00:01.000002+0000", 31, &t) && t == 1000002);
	CHECK(kg_format_time(0, buf, sizeof(buf)));
	CHECK_STR(buf, "1970-01-01T00:00:00.000000+0000");
	/* out of range: clamped and reported */
	CHECK(!kg_format_time(-1, buf, sizeof(buf)));
	CHECK_STR(buf, "1970-01-01T00:00:00.000000+0000");
	CHECK(!kg_format_time(INT64_MAX, buf, sizeof(buf)));
	CHECK_STR(buf, "9999-12-31T23:59:59.999999+0000");
	CHECK(!kg_format_time(0, buf, 10)); /* too small a buffer */

	/* IPv4 fast path and IPv6 */
	uint8_t a[16] = {0};
	for (int i = 0; i < 5000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(a, &x, 4);
		if (i == 0)
			memset(a, 0, 4);
		if (i == 1)
			memset(a, 255, 4);
		kg_format_ip(4, a, buf, sizeof(buf));
		inet_ntop(AF_INET, a, ref, sizeof(ref));
		if (strcmp(buf, ref) != 0) {
			CHECK_STR(buf, ref);
			break;
		}
	}
	CHECK(kg_parse_ip("2001:db8::1", a) == 6);
	kg_format_ip(6, a, buf, sizeof(buf));
	CHECK_STR(buf, "2001:db8::1");
	CHECK(kg_parse_ip("10.0.0.300", a) == 0);

	uint64_t v;
	CHECK(kg_parse_size("64M", &v) && v == 64u << 20);
	CHECK(kg_parse_size("1GiB", &v) && v == 1u << 30);
	CHECK(kg_parse_size("4096", &v) && v == 4096);
	CHECK(!kg_parse_size("12X", &v) && !kg_parse_size("", &v) && !kg_parse_size("99999999999999999999G", &v));
	CHECK(kg_parse_duration("90s", &v) && v == 90);
	CHECK(kg_parse_duration("5m", &v) && v == 300);
	CHECK(kg_parse_duration("1h", &v) && v == 3600);
	CHECK(!kg_parse_duration("1y", &v) && !kg_parse_duration("-1", &v));

	/* hashes: keyed (different seeds differ), stable for one seed */
	uint64_t w[5] = {1, 2, 3, 4, 5};
	CHECK(kg_hash_words(w, 5, 1) == kg_hash_words(w, 5, 1));
	CHECK(kg_hash_words(w, 5, 1) != kg_hash_words(w, 5, 2));
	w[4] = 6;
	CHECK(kg_hash_words(w, 5, 1) != kg_hash_words((uint64_t[5]){1, 2, 3, 4, 5}, 5, 1));
	uint8_t k1[16] = {1}, k2[16] = {2};
	CHECK(kg_hash64("abc", 3, k1) != kg_hash64("abc", 3, k2));
	return check_done("test_util");
}
