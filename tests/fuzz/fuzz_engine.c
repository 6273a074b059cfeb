/* fuzz_engine.c - fuzz the whole packet pipeline: decoder, defragmentation, flows, libnids and the
 * own reassembler, the app layer and every dissector, events.
 * Input: byte 0 picks the link type; then records [ctl u8][len u16 LE][len bytes], one packet
 * each, every packet in its own allocation of exactly its size; ctl's low 5 bits advance the
 * clock by 2^n microseconds (to reach timeouts). */
#include "config.h"

#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "fuzz.h"
#include "output/event.h"
#include "output/output.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

static const int linktypes[] = {DLT_EN10MB, DLT_RAW, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_NULL, DLT_LOOP, 228, 229};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct output *out;
	struct emitter *em = fuzz_emitter(&out);
	struct engine_cfg cfg;
	engine_cfg_defaults(&cfg);
	cfg.flow.max_flows = 256;
	cfg.nids_streams = 128;
	cfg.defrag.max_datagrams = 16;
	cfg.reasm_max_ooo = 64 * 1024;
	cfg.reasm_memcap = 1 << 20;
	cfg.stats_interval_s = 30;
	char err[256];
	struct engine *e = engine_new(&cfg, em, err, sizeof(err));
	if (!e)
		abort();
	int lt = linktypes[data[0] % (sizeof(linktypes) / sizeof(linktypes[0]))];
	size_t off = 1;
	int64_t ts = 1500000000000000LL;
	while (off + 3 <= size) {
		uint8_t ctl = data[off];
		size_t len = (size_t)data[off + 1] | (size_t)data[off + 2] << 8;
		off += 3;
		if (len > size - off)
			len = size - off;
		ts += (int64_t)1 << (ctl & 31);
		uint8_t *copy = malloc(len ? len : 1);
		if (!copy)
			abort();
		memcpy(copy, data + off, len);
		struct packet pkt;
		memset(&pkt, 0, sizeof(pkt));
		pkt.ts_us = ts;
		pkt.caplen = (uint32_t)len;
		pkt.wirelen = (uint32_t)len + ((ctl & 0x20) ? 100 : 0);
		pkt.linktype = lt;
		pkt.data = copy;
		engine_packet(e, &pkt);
		free(copy);
		off += len;
	}
	engine_finish(e);
	engine_free(e);
	emitter_free(em);
	output_close(out);
	return 0;
}
