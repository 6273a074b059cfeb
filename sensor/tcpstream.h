/* tcpstream.h - TCP stream layer: libnids for IPv4 sessions seen from their SYN, kagami's own
 * reassembler (reasm.h) for IPv6, mid-stream pick-ups and sessions libnids cannot finish.
 * Both feed the same engine_stream_* interface, so dissectors never know which one served them. */
#ifndef KAGAMI_TCPSTREAM_H
#define KAGAMI_TCPSTREAM_H

#include <stdint.h>

#include "engine.h"
#include "flow.h"
#include "packet.h"

struct tcp_layer;

struct tcp_layer_stats {
	uint64_t sessions_nids;    /* sessions reassembled by libnids */
	uint64_t sessions_own;     /* sessions reassembled by the own reassembler from the start */
	uint64_t handovers;        /* libnids sessions continued by the own reassembler */
	uint64_t streams_dropped;  /* directions no longer reassembled: nobody wanted their bytes */
	uint64_t nids_unfed;       /* IPv4 TCP packets not given to libnids (snapped) */
	uint64_t nids_warnings[16];/* libnids warnings by NIDS_WARN_* number */
	uint64_t ooo_memory;       /* out-of-order bytes held now */
	uint64_t ooo_memory_peak;
	uint64_t buffered;         /* unconsumed bytes held by the own reassembler */
};

/* One per process: libnids is a singleton. */
struct tcp_layer *tcp_layer_new(struct engine *e, const struct engine_cfg *cfg, char *errbuf, size_t errlen);
void tcp_layer_free(struct tcp_layer *tl);
void tcp_layer_packet(struct tcp_layer *tl, struct flow *f, enum flow_dir dir, struct packet *pkt);
/* The flow ends: deliver what is pending (with gaps), EOF, free the session. */
void tcp_layer_flow_end(struct tcp_layer *tl, struct flow *f, int64_t ts_us);
const struct tcp_layer_stats *tcp_layer_stats(const struct tcp_layer *tl);
const struct reasm_stats *tcp_layer_reasm_stats(const struct tcp_layer *tl);
const char *tcp_layer_nids_warning_name(int n);

#endif
