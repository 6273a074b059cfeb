/* test_cursor.c - the bounds-checked reader: every accessor fails without moving on short input. */
#include "config.h"

#include "check.h"
#include "decode/cursor.h"

int main(void)
{
	static const uint8_t b[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09};
	struct cursor c = cur_make(b, sizeof(b));
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	CHECK(cur_u8(&c, &u8) && u8 == 1);
	CHECK(cur_be16(&c, &u16) && u16 == 0x0203);
	CHECK(cur_le16(&c, &u16) && u16 == 0x0504);
	CHECK(cur_be24(&c, &u32) && u32 == 0x060708);
	CHECK_EQ_U(cur_len(&c), 1);
	/* a failed read leaves the cursor where it was */
	CHECK(!cur_be16(&c, &u16));
	CHECK_EQ_U(cur_len(&c), 1);
	CHECK(!cur_be32(&c, &u32) && !cur_le32(&c, &u32) && !cur_be64(&c, &u64) && !cur_le64(&c, &u64));
	CHECK(!cur_skip(&c, 2));
	CHECK(cur_u8(&c, &u8) && u8 == 9);
	CHECK(cur_empty(&c) && !cur_u8(&c, &u8));

	c = cur_make(b, sizeof(b));
	CHECK(cur_le32(&c, &u32) && u32 == 0x04030201);
	c = cur_make(b, sizeof(b));
	CHECK(cur_be64(&c, &u64) && u64 == 0x0102030405060708ULL);
	c = cur_make(b, sizeof(b));
	CHECK(cur_le64(&c, &u64) && u64 == 0x0807060504030201ULL);

	/* length-prefixed sub-cursors: a length from the wire is checked before use */
	static const uint8_t lp[] = {0x00, 0x03, 'a', 'b', 'c', 0x05, 'x'};
	struct cursor sub;
	c = cur_make(lp, sizeof(lp));
	CHECK(cur_be16_prefixed(&c, &sub) && cur_len(&sub) == 3 && sub.p[0] == 'a');
	CHECK(!cur_u8_prefixed(&c, &sub)); /* claims 5, only 1 left */
	CHECK_EQ_U(cur_len(&c), 2);         /* nothing consumed */
	static const uint8_t lp24[] = {0x00, 0x00, 0x02, 0xaa, 0xbb};
	c = cur_make(lp24, sizeof(lp24));
	CHECK(cur_be24_prefixed(&c, &sub) && cur_len(&sub) == 2 && cur_empty(&c));

	/* windows and peeks never move the cursor */
	c = cur_make(b, sizeof(b));
	CHECK(cur_window(&c, 2, 3, &sub) && sub.p[0] == 3 && cur_len(&sub) == 3);
	CHECK(!cur_window(&c, 8, 2, &sub));
	CHECK(!cur_window(&c, (size_t)-1, 2, &sub)); /* offset overflow */
	CHECK(cur_peek_be16(&c, 7, &u16) && u16 == 0x0809);
	CHECK(!cur_peek_be16(&c, 8, &u16));
	CHECK(cur_peek_le32(&c, 0, &u32) && u32 == 0x04030201);
	CHECK(cur_peek_eq(&c, 1, "\x02\x03", 2) && !cur_peek_eq(&c, 8, "\x09\x0a", 2));
	CHECK(cur_find(&c, "\x05\x06", 2) == 4 && cur_find(&c, "\x09\x0a", 2) == -1);
	CHECK_EQ_U(cur_len(&c), sizeof(b));

	/* NULL data is an empty cursor */
	c = cur_make(NULL, 10);
	CHECK(cur_empty(&c) && !cur_u8(&c, &u8));
	return check_done("test_cursor");
}
