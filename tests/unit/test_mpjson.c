/* test_mpjson.c - event builder to msgpack to JSON: field types, nesting, sanitised wire strings,
 * sorted keys; and the bounded reader on truncated, corrupt and hostile input. */
#include "config.h"

#include <msgpack.h>
#include <unistd.h>

#include "check.h"
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
	sb_free(&sb);
	return check_done("test_mpjson");
}
