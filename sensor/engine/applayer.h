/* applayer.h - glue between the stream/datagram layer and the dissectors of dissectors/registry.c:
 * protocol recognition, per-flow parser state, buffering caps and skip bookkeeping. */
#ifndef KAGAMI_APPLAYER_H
#define KAGAMI_APPLAYER_H

#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"
#include "output/event.h"

struct app_settings;

struct applayer;

struct applayer_stats {
	uint64_t flows_detected;    /* flows a dissector recognised */
	uint64_t flows_unknown;     /* flows no dissector recognised */
	uint64_t parse_errors;      /* directions a parser gave up on */
	uint64_t buffer_overflows;  /* directions stopped at the buffering cap */
	uint64_t gaps_resync;       /* gaps handed to a parser */
	uint64_t gaps_skipped;      /* gaps that fell inside bytes the parser skipped anyway */
	uint64_t events_raised;     /* app_raise_event() calls */
	uint64_t inspections;       /* app_inspect() calls: transactions handed to the rules */
	uint64_t inspect_overflows; /* of those, views that had more buffers than fit */
	uint64_t reprobes;          /* sessions handed back to recognition (app_reprobe()) */
};

struct applayer *applayer_new(struct emitter *em, void *engine, uint64_t max_buffer);
void applayer_free(struct applayer *al);
/* Hand the dissectors their settings (struct dissector.configure); once, before any traffic. */
void applayer_configure(struct applayer *al, const struct app_settings *s);

/* TCP bytes of one direction (see dissector.h for the contract). Returns the
 * bytes consumed; never more than len. */
size_t applayer_stream(struct applayer *al, struct flow *f, enum flow_dir dir, const uint8_t *data, size_t len,
		       int64_t ts_us);
void applayer_gap(struct applayer *al, struct flow *f, enum flow_dir dir, uint64_t gap);
/* Assign the dissector named name to flow f without probing (fuzzing, tests).
 * False when there is no such dissector for the flow's transport. */
bool applayer_set_proto(struct applayer *al, struct flow *f, const char *name, int64_t ts_us);
/* Does the app layer still need the stream bytes of direction dir (a
 * dissector is deciding or parsing it)? When false, the stream layer may stop
 * copying them. */
bool applayer_wants_stream(const struct flow *f, enum flow_dir dir);
void applayer_eof(struct applayer *al, struct flow *f, enum flow_dir dir, int64_t ts_us);
/* One UDP datagram. */
void applayer_datagram(struct applayer *al, struct flow *f, enum flow_dir dir, const uint8_t *data, size_t len,
		       int64_t ts_us);
/* The flow ends: last verdicts, free parser state. */
void applayer_flow_end(struct applayer *al, struct flow *f, int64_t ts_us);
void applayer_tick(struct applayer *al, int64_t now_us);
void applayer_run_end(struct applayer *al, int64_t now_us);

const struct applayer_stats *applayer_stats(const struct applayer *al);
/* Each dissector's own counters, one map per dissector name, into the stats
 * event's "app_layer" map. Tables sharing a name (a protocol over TCP and UDP)
 * write into one map, so their keys must differ. */
void applayer_stats_fields(const struct applayer *al, struct event *ev);
/* Name of the flow's app protocol ("tls", "smb", "failed"), or NULL. */
const char *applayer_proto_name(const struct flow *f);

/* A new packet of flow f is about to be processed: forget the app-layer
 * events of the previous one. */
void applayer_packet_begin(struct flow *f);
/* The app-layer event names raised on flow f while processing the current
 * packet (up to max), for rules matching app-layer events. */
size_t applayer_recent_events(const struct flow *f, const char **names, size_t max);

#endif
