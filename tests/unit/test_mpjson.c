/* test_mpjson.c - event builder to msgpack to JSON: field types, nesting, sanitised wire strings,
 * sorted keys; and the bounded reader on truncated, corrupt and hostile input. */
#include "config.h"

#include <msgpack.h>
#include <unistd.h>

#include "check.h"

enum mp_status mp_object_size_slow(const uint8_t *p, size_t len, size_t *objlen, size_t *badoff);
#include "output/event.h"
#include "output/mpjson.h"
#include "output/output.h"
#include "util/util.h"

int main(void)
{
	char tmpl[] = "/tmp/kagami-mpjson-XXXXXX";
	int fd = mkstemp(tmpl);
	CHECK(fd >= 0);
	close(fd);
	struct output_cfg oc = {.path = tmpl, .format = OUT_FMT_JSON, .json_flags = MPJSON_SORT_KEYS};
	struct output *out;
	char err[256];
	CHECK(output_open(&oc, &out, err, sizeof(err)) == OUT_OK);
	struct emitter *em = emitter_new(out);
	struct event *ev = event_begin(em, "test", 1500000000123456LL);
	ev_u64(ev, "zeta", 18446744073709551615ULL);
	ev_i64(ev, "neg", -5);
	ev_bool(ev, "yes", true);
	ev_map(ev, "inner");
	ev_str(ev, "b", "two");
	ev_str(ev, "a", "one");
	ev_array(ev, "list");
	ev_u64(ev, NULL, 1);
	ev_u64(ev, NULL, 2);
	ev_end_array(ev);
	ev_end_map(ev);
	static const uint8_t hostile[] = "evil\n{\"x\":1}\x01\xff\xc3\xa9";
	ev_wirestr(ev, "wire", hostile, sizeof(hostile) - 1);
	ev_hex(ev, "hex", (const uint8_t *)"\x00\xab", 2);
	ev_null(ev, "nothing");
	CHECK(event_end(ev) == OUT_OK);
	/* misuse: a map closed as an array poisons the event; it is not written */
	ev = event_begin(em, "broken", 0);
	ev_map(ev, "m");
	ev_end_array(ev);
	CHECK(event_end(ev) == OUT_E_ENCODE);
	CHECK_EQ_U(emitter_written(em), 1);
	CHECK_EQ_U(emitter_failed(em), 1);
	CHECK(output_close(out) == OUT_OK);
	emitter_free(em);

	FILE *fp = fopen(tmpl, "r");
	char line[4096] = "";
	CHECK(fp && fgets(line, sizeof(line), fp));
	if (fp)
		fclose(fp);
	unlink(tmpl);
	CHECK_STR(line, "{\"event_type\":\"test\",\"hex\":\"00ab\",\"inner\":{\"a\":\"one\",\"b\":\"two\",\"list\":[1,2]},"
			"\"neg\":-5,\"nothing\":null,\"timestamp\":\"2017-07-14T02:40:00.123456+0000\","
			"\"wire\":\"evil\\\\x0a{\\\"x\\\":1}\\\\x01\\\\xff\xc3\xa9\",\"yes\":true,"
			"\"zeta\":18446744073709551615}\n");

	/* the reader: truncation, corruption, hostile counts */
	struct strbuf sb;
	sb_init(&sb, 1 << 20);
	size_t len = 0, bad = 0;
	static const uint8_t trunc[] = {0x82, 0xa1, 'a', 0x01, 0xa1};
	CHECK(mp_object_size(trunc, sizeof(trunc), &len, &bad) == MP_TRUNCATED);
	static const uint8_t corrupt[] = {0x81, 0xa1, 'a', 0xc1};
	CHECK(mp_object_size(corrupt, sizeof(corrupt), &len, &bad) == MP_CORRUPT);
	CHECK_EQ_U(bad, 3);
	/* an array claiming 4 billion elements in 5 bytes allocates nothing */
	static const uint8_t huge[] = {0xdd, 0xff, 0xff, 0xff, 0xff};
	CHECK(mp_object_size(huge, sizeof(huge), &len, &bad) == MP_TRUNCATED);
	CHECK(mp_to_json(huge, sizeof(huge), &sb, 0) == MP_TRUNCATED);
	/* nesting deeper than the cap is rejected, not recursed into */
	uint8_t deep[200];
	memset(deep, 0x91, sizeof(deep));
	deep[sizeof(deep) - 1] = 0x01;
	CHECK(mp_object_size(deep, sizeof(deep), &len, &bad) == MP_CORRUPT);
	/* invalid UTF-8 in a string becomes U+FFFD */
	static const uint8_t bad_utf8[] = {0xa2, 0xc3, 0x28};
	sb_reset(&sb);
	CHECK(mp_to_json(bad_utf8, sizeof(bad_utf8), &sb, 0) == MP_OK);
	CHECK_STR(sb_cstr(&sb), "\"\xef\xbf\xbd(\"");
	/* floats that JSON cannot express become null */
	uint8_t nan[9] = {0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0};
	sb_reset(&sb);
	CHECK(mp_to_json(nan, sizeof(nan), &sb, 0) == MP_OK);
	CHECK_STR(sb_cstr(&sb), "null");
	const uint8_t *v;
	size_t vl;
	static const uint8_t map[] = {0x82, 0xa1, 'x', 0x01, 0xaa, 'e', 'v', 'e', 'n', 't', '_', 't', 'y', 'p', 'e', 0xa3, 'd', 'n', 's'};
	CHECK(mp_map_get_str(map, sizeof(map), "event_type", &v, &vl) && vl == 3 && memcmp(v, "dns", 3) == 0);
	CHECK(!mp_map_get_str(map, sizeof(map), "x", &v, &vl));
	/* the framing fast path (mp_object_size) agrees with the recursive reference on every
	 * prefix and on random mutations of a real-shaped event, in status, size and bad offset */
	static const uint8_t evb[] = {0x84, 0xa9, 't', 'i', 'm', 'e', 's', 't', 'a', 'm', 'p', 0xa3, '2', '0', '1',
				     0xaa, 'e', 'v', 'e', 'n', 't', '_', 't', 'y', 'p', 'e', 0xa4, 'f', 'l', 'o', 'w',
				     0xa1, 'n', 0xde, 0x00, 0x02, 0xa1, 'a', 0xcd, 0x12, 0x34, 0xa1, 'b', 0x93, 0xcb,
				     0, 0, 0, 0, 0, 0, 0, 0, 0xd4, 0x01, 0x7f, 0xc4, 0x02, 0xff, 0xfe, 0xa1, 'z', 0xdc,
				     0x00, 0x01, 0xc7, 0x01, 0x05, 0xaa};
	uint8_t buf[sizeof(evb)];
	uint64_t x = 0x9e3779b97f4a7c15ull;
	int disagree = 0;
	for (int round = 0; round < 200000; round++) {
		memcpy(buf, evb, sizeof(evb));
		size_t n = sizeof(evb);
		if (round > 0) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[x % sizeof(evb)] = (uint8_t)(x >> 24);
			if (round & 1)
				buf[(x >> 32) % sizeof(evb)] = (uint8_t)(x >> 40);
			n = (size_t)((x >> 48) % (sizeof(evb) + 1));
		}
		size_t l1 = 0, l2 = 0, b1 = 0, b2 = 0;
		enum mp_status s1 = mp_object_size(buf, n, &l1, &b1), s2 = mp_object_size_slow(buf, n, &l2, &b2);
		if (s1 != s2 || (s1 == MP_OK && l1 != l2) || (s1 == MP_CORRUPT && b1 != b2))
			disagree++;
	}
	CHECK_EQ_U(disagree, 0);
	size_t l = 0;
	CHECK(mp_object_size(evb, sizeof(evb), &l, &bad) == MP_OK && l == sizeof(evb));
	sb_free(&sb);
	return check_done("test_mpjson");
}
