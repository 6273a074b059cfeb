/* fuzz_app.c - fuzz one dissector (FUZZ_PROTO) through the real app-layer glue, as the stream layer
 * drives it: input split into chunks alternating direction, each delivery in its own allocation of
 * exactly its size (unconsumed bytes followed by the new ones), so a read past what was delivered
 * is caught; gaps and the end of each direction too.
 * Input: records [ctl u8][len u16 LE][len bytes]: ctl bit 0 = direction (1 = to client),
 * bit 1 = a gap of (ctl >> 2) * 97 bytes before the chunk.
 * FUZZ_IPPROTO (6 or 17) picks the transport of a protocol registered for both (DNS); by default
 * the first table of that name. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dissectors/dissector.h"
#include "engine/applayer.h"
#include "fuzz.h"
#include "output/event.h"
#include "output/output.h"

#ifndef FUZZ_PROTO
#error FUZZ_PROTO must name the dissector to fuzz
#endif

static uint8_t proto_of(const char *name)
{
#ifdef FUZZ_IPPROTO
	(void)name;
	return FUZZ_IPPROTO;
#else
	for (size_t i = 0; i < dissector_count; i++)
		if (strcmp(dissector_registry[i]->name, name) == 0)
			return dissector_registry[i]->ipproto;
	return 0;
#endif
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t ipproto = proto_of(FUZZ_PROTO);
	if (!ipproto)
		abort(); /* the dissector is not in the registry */
	struct output *out;
	struct emitter *em = fuzz_emitter(&out);
	struct applayer *al = applayer_new(em, NULL, 256 * 1024);
	struct flow f;
	memset(&f, 0, sizeof(f));
	f.family = 4;
	f.proto = ipproto;
	static const uint8_t cli[16] = {10, 0, 0, 1}, srv[16] = {10, 0, 0, 2};
	memcpy(f.cli, cli, 16);
	memcpy(f.srv, srv, 16);
	f.cport = 49152;
	f.sport = 445;
	f.flow_id = 1;
	memcpy(f.community_id, "1:fuzz", 7);
	int64_t ts = 1500000000000000LL;
	if (!applayer_set_proto(al, &f, FUZZ_PROTO, ts))
		abort();
	uint8_t *held[2] = {NULL, NULL};
	size_t nheld[2] = {0, 0};
	size_t off = 0;
	while (off + 3 <= size) {
		uint8_t ctl = data[off];
		size_t len = (size_t)data[off + 1] | (size_t)data[off + 2] << 8;
		off += 3;
		if (len > size - off)
			len = size - off;
		int dir = ctl & 1;
		ts += 1000;
		if (ipproto == 17) {
			uint8_t *dg = malloc(len ? len : 1);
			memcpy(dg, data + off, len);
			applayer_datagram(al, &f, (enum flow_dir)dir, dg, len, ts);
			free(dg);
			off += len;
			continue;
		}
		if (ctl & 2) {
			free(held[dir]);
			held[dir] = NULL;
			nheld[dir] = 0;
			applayer_gap(al, &f, (enum flow_dir)dir, (uint64_t)(ctl >> 2) * 97 + 1);
		}
		size_t n = nheld[dir] + len;
		uint8_t *buf = malloc(n ? n : 1);
		if (nheld[dir])
			memcpy(buf, held[dir], nheld[dir]);
		memcpy(buf + nheld[dir], data + off, len);
		off += len;
		free(held[dir]);
		held[dir] = NULL;
		nheld[dir] = 0;
		size_t used = applayer_stream(al, &f, (enum flow_dir)dir, buf, n, ts);
		if (used < n) {
			held[dir] = malloc(n - used);
			memcpy(held[dir], buf + used, n - used);
			nheld[dir] = n - used;
		}
		free(buf);
	}
	for (int d = 0; d < 2; d++) {
		free(held[d]);
		applayer_eof(al, &f, (enum flow_dir)d, ts);
	}
	applayer_flow_end(al, &f, ts);
	applayer_run_end(al, ts);
	applayer_free(al);
	emitter_free(em);
	output_close(out);
	return 0;
}
