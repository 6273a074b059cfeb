/* defrag.h - IPv4 (RFC 791) and IPv6 (RFC 8200 section 4.5) fragment reassembly with hard caps. */
#ifndef KAGAMI_DEFRAG_H
#define KAGAMI_DEFRAG_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "packet.h"

struct defrag;

struct defrag_cfg {
	uint32_t max_datagrams;   /* datagrams under reassembly at once */
	uint64_t max_bytes;       /* buffered fragment bytes, all datagrams together */
	uint32_t timeout_s;       /* a datagram not complete after this is dropped */
	uint32_t max_fragments;   /* fragments per datagram */
};

enum defrag_result {
	DF_HELD,     /* stored; the datagram is not complete yet */
	DF_COMPLETE, /* *out holds the whole datagram (valid until the next call) */
	DF_DROPPED,  /* not stored: malformed, over a cap (counted in st) */
};

struct defrag *defrag_new(const struct defrag_cfg *cfg);
void defrag_free(struct defrag *df);

/* Add a fragment decoded by decode_packet() (pkt->fragment set). Overlapping
 * bytes keep what arrived first (counted as frag_overlap). */
enum defrag_result defrag_add(struct defrag *df, const struct packet *pkt, uint8_t **out, size_t *outlen,
			      struct decode_stats *st);

/* Drop datagrams older than the timeout at packet time now_us. */
void defrag_expire(struct defrag *df, int64_t now_us, struct decode_stats *st);

uint64_t defrag_memory(const struct defrag *df);
uint32_t defrag_pending(const struct defrag *df);

#endif
