/* fuzz_mpjson.c - fuzz kagami-cat's msgpack reader and JSON transcoder on arbitrary bytes. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "output/mpjson.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		abort();
	if (size)
		memcpy(copy, data, size);
	struct strbuf sb;
	sb_init(&sb, 1u << 22);
	size_t off = 0;
	while (off < size) {
		size_t len = 0, bad = 0;
		if (mp_object_size(copy + off, size - off, &len, &bad) != MP_OK)
			break;
		const uint8_t *v;
		size_t vl;
		(void)mp_map_get_str(copy + off, len, "event_type", &v, &vl);
		sb_reset(&sb);
		(void)mp_to_json(copy + off, len, &sb, MPJSON_SORT_KEYS);
		sb_reset(&sb);
		(void)mp_to_json(copy + off, len, &sb, 0);
		off += len;
	}
	sb_free(&sb);
	free(copy);
	return 0;
}
