/* tcpstream.h - TCP stream layer: libnids for IPv4 sessions seen from their SYN, kagami's own
 * reassembler (reasm.h) for IPv6, mid-stream pick-ups and sessions libnids cannot finish.
 * Both deliver through the same struct stream_sink, so dissectors never know which one served them.
 * Takes: the packets of TCP flows. Gives: in-order stream bytes, gaps and ends, to the sink. */
#ifndef KAGAMI_TCPSTREAM_H
#define KAGAMI_TCPSTREAM_H

#include <stdint.h>

#include "decode/packet.h"
#include "flow.h"

struct tcp_layer;

struct tcp_layer_stats {
	uint64_t sessions_nids;    /* sessions reassembled by libnids */
	uint64_t sessions_own;     /* sessions reassembled by the own reassembler from the start */
	uint64_t handovers;        /* libnids sessions continued by the own reassembler */
	uint64_t memcap_handovers; /* of which because their out-of-order queue met the memcap */
	uint64_t streams_dropped;  /* directions no longer reassembled: nobody wanted their bytes */
	uint64_t nids_unfed;       /* IPv4 TCP packets not given to libnids (snapped) */
	uint64_t nids_warnings[16];/* libnids warnings by NIDS_WARN_* number */
	uint64_t ooo_memory;       /* out-of-order queues held now (own, shadow and libnids', overhead included) */
	uint64_t ooo_memory_peak;
	uint64_t buffered;         /* unconsumed bytes held by the own reassembler */
};

struct tcp_layer_cfg {
	bool use_nids;              /* libnids for IPv4 TCP seen from the SYN */
	bool nids_checksums;        /* let libnids verify TCP checksums */
	uint32_t nids_streams;      /* libnids hash size (0 = 65536) */
	uint32_t nids_hosts;        /* libnids IP fragment host table (0 = 256) */
	uint64_t reasm_max_ooo;     /* out-of-order bytes held per direction */
	uint64_t reasm_memcap;      /* out-of-order queues of all flows (own and libnids') */
};

/* Where the stream layer delivers (the engine). Every callback is required. */
struct stream_sink {
	void *ctx;
	/* bytes of one direction; data[new_off..len) are new. Returns the bytes consumed;
	 * the stream layer keeps the rest and delivers it again with more. */
	size_t (*data)(void *ctx, struct flow *f, enum flow_dir dir, const uint8_t *data, size_t len, size_t new_off,
		       int64_t ts_us);
	/* does anything still want direction dir's bytes? When not, the stream layer stops
	 * copying them (sequence tracking goes on) */
	bool (*wanted)(void *ctx, const struct flow *f, enum flow_dir dir);
	/* gap bytes were lost in direction dir before the next delivery */
	void (*gap)(void *ctx, struct flow *f, enum flow_dir dir, uint64_t gap, int64_t ts_us);
	/* the direction ended */
	void (*eof)(void *ctx, struct flow *f, enum flow_dir dir, int64_t ts_us);
	/* current packet time, for deliveries outside a packet */
	int64_t (*now)(void *ctx);
};

/* One per process: libnids is a singleton. cfg and sink are copied. */
struct tcp_layer *tcp_layer_new(const struct tcp_layer_cfg *cfg, const struct stream_sink *sink, char *errbuf,
				size_t errlen);
void tcp_layer_free(struct tcp_layer *tl);
void tcp_layer_packet(struct tcp_layer *tl, struct flow *f, enum flow_dir dir, struct packet *pkt);
/* The flow ends: deliver what is pending (with gaps), EOF, free the session. */
void tcp_layer_flow_end(struct tcp_layer *tl, struct flow *f, int64_t ts_us);
const struct tcp_layer_stats *tcp_layer_stats(const struct tcp_layer *tl);
const struct reasm_stats *tcp_layer_reasm_stats(const struct tcp_layer *tl);
const char *tcp_layer_nids_warning_name(int n);

#endif
