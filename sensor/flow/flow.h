/* flow.h - the flow table: bidirectional TCP/UDP/ICMP/IP flows with stable ids, timeouts and caps.
 * Stage flow/ (flow table, Community ID, TCP stream layer, own reassembler): takes decoded packets;
 * gives flows with their counters and state, and in-order stream bytes and gaps (tcpstream.h). */
#ifndef KAGAMI_FLOW_H
#define KAGAMI_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "communityid.h"
#include "decode/packet.h"

enum flow_dir {
	DIR_TO_SERVER = 0, /* sent by the client (the side that opened the flow) */
	DIR_TO_CLIENT = 1,
};

/* Flow-level TCP state, from the flags seen on the wire in both directions. */
enum tcp_track {
	TCPT_NONE = 0,   /* no SYN seen: picked up mid-stream, or not TCP */
	TCPT_SYN_SENT,
	TCPT_SYN_RECV,
	TCPT_ESTABLISHED,
	TCPT_FIN_WAIT,   /* one side sent FIN */
	TCPT_CLOSED,     /* both FINs, or a RST */
};
const char *tcp_track_name(enum tcp_track s);

enum flow_end_reason {
	FLOW_END_TIMEOUT = 0,
	FLOW_END_EVICTED,  /* table full: the flow made room for a new one */
	FLOW_END_SHUTDOWN, /* end of input or signal */
	FLOW_END_REUSED,   /* a new connection on the same 5-tuple after close */
};
const char *flow_end_reason_name(enum flow_end_reason r);

/* Timeout classes: each keeps its flows in last-activity order. */
enum flow_tclass { TC_TCP_NEW = 0, TC_TCP_EST, TC_TCP_CLOSED, TC_UDP, TC_OTHER, TC__COUNT };

struct flow_key {
	uint8_t a[16], b[16]; /* canonical order: (a, pa) <= (b, pb) */
	uint16_t pa, pb;
	uint8_t proto, family;
	uint8_t pad[2];
};

struct flow {
	struct flow *hnext;
	struct flow *prev, *next; /* in its timeout class list */
	struct flow_key key;
	uint64_t flow_id;         /* 53-bit, stable for the same flow and start time */
	char community_id[COMMUNITY_ID_LEN];
	uint8_t family, proto;
	uint8_t tclass;
	uint8_t tcp_state;        /* enum tcp_track */
	uint8_t cli[16], srv[16]; /* client = the side that opened the flow */
	uint16_t cport, sport;
	int64_t start_us, last_us;
	uint64_t pkts[2], bytes[2], payload_bytes[2];
	uint8_t tcp_flags[2];
	bool midstream;           /* TCP without a SYN from the client */
	bool alerted;
	bool seq_init[2];
	uint32_t seq_next[2];     /* highest sequence number sent + 1, per direction */
	uint32_t ack_hi[2];       /* highest sequence acknowledged, per data direction */
	uint64_t acks;            /* ACKs that acknowledged new data (for capture loss) */
	uint64_t ack_unseen[2];   /* bytes acknowledged that the sensor never saw, per data direction */
	uint32_t ack_gaps[2];
	uint64_t gaps[2], gap_bytes[2]; /* reassembly gaps, reported by the stream layer */
	uint8_t icmp_type, icmp_code;
	uint16_t app_id;          /* dissector registry index + 1; 0 = none yet */
	bool app_failed;          /* no dissector recognised the flow */
	const char *app_name;     /* the app layer's name for it ("tls", "failed"), NULL = none yet;
				   * set by the app layer, read by the event builder */
	void *tcp;                /* reassembly session (flow/tcpstream.c) */
	void *app;                /* app-layer session (applayer.c) */
	void *sig;                /* signature engine per-flow state */
};

struct flow_cfg {
	uint32_t max_flows;
	uint32_t timeout_s[TC__COUNT];
	uint16_t community_id_seed;
};

struct flow_stats {
	uint64_t created, ended, timed_out, evicted, reused;
	uint64_t active, peak_active;
	uint64_t tcp_acks, tcp_ack_gaps, tcp_ack_unseen_bytes; /* capture-loss estimate */
	uint64_t midstream;
};

struct flow_table;

/* Called for every flow that ends, before it is freed. */
typedef void (*flow_end_fn)(void *ctx, struct flow *f, enum flow_end_reason why);

struct flow_table *flow_table_new(const struct flow_cfg *cfg, flow_end_fn on_end, void *ctx);
void flow_table_free(struct flow_table *ft);

/* Find or create the flow of pkt and account the packet to it: counters, TCP
 * state, sequence tracking. *dir receives the packet's direction. Never fails:
 * when the table is full the least valuable flow is evicted first. */
struct flow *flow_packet(struct flow_table *ft, const struct packet *pkt, enum flow_dir *dir);

/* End every flow idle past its timeout at packet time now_us. */
void flow_expire(struct flow_table *ft, int64_t now_us);
/* End every flow (end of run). */
void flow_flush_all(struct flow_table *ft, enum flow_end_reason why);
/* End one flow now. */
void flow_end(struct flow_table *ft, struct flow *f, enum flow_end_reason why);

const struct flow_stats *flow_table_stats(const struct flow_table *ft);
/* Addresses of the packet direction dir: src/dst and ports. */
void flow_endpoints(const struct flow *f, enum flow_dir dir, const uint8_t **src, uint16_t *sport,
		    const uint8_t **dst, uint16_t *dport);

#endif
