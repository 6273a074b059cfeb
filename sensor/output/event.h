/* event.h - building one msgpack event (a map) and handing it to the output; schema in docs/events.md.
 *
 * Usage (single-threaded: the analysis thread owns the emitter):
 *
 *     struct event *ev = event_begin(em, "tls", pkt_ts_us);
 *     event_flow(ev, flow, DIR_TO_SERVER);       // ids, 5-tuple, app_proto, geo
 *     ev_map(ev, "tls");
 *     ev_wirestr(ev, "sni", name, namelen);      // bytes from the wire: sanitised
 *     ev_u64(ev, "version", 0x0303);
 *     ev_end_map(ev);
 *     event_end(ev);                             // 0 or an output error code
 *
 * Map and array element counts are patched when a container closes, so callers
 * never count fields. Every msgpack-c return value is checked; the first
 * failure poisons the event, which event_end() then reports and discards.
 * Keys are ASCII literals; values from the wire must go through ev_wirestr()
 * or ev_hex().
 */
#ifndef KAGAMI_EVENT_H
#define KAGAMI_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"

struct emitter;
struct event;
struct output;

/* Adds "<key>": {...geo...} for an address; installed by the geolocation module. */
typedef void (*geo_fn)(void *ctx, struct event *ev, const char *key, int family, const uint8_t *addr);

/* Where the packets of flow f go as evidence (capture_file in docs/events.md), asked by the
 * alert builder while it builds an alert for f; installed by the evidence module
 * (engine/evidence.h). Fills ref->file (valid until the next call) and ref->packet (1-based
 * index of the packet being processed in that file, 0 = no such packet: alerts at flow end);
 * false = the flow's packets are not logged. It may write files, never events. */
struct capture_ref {
	const char *file;
	uint64_t packet;
};
typedef bool (*capture_ref_fn)(void *ctx, struct flow *f, struct capture_ref *ref);
/* Sees every event written, whole (msgpack), after the output took it (the summary). */
typedef void (*event_tap_fn)(void *ctx, const uint8_t *event, size_t len);

struct emitter *emitter_new(struct output *out);
void emitter_free(struct emitter *em);
void emitter_set_geo(struct emitter *em, geo_fn fn, void *ctx);
void emitter_set_capture_ref(struct emitter *em, capture_ref_fn fn, void *ctx);
/* The installed capture_ref_fn's answer for f (false when none is installed). */
bool emitter_capture_ref(struct emitter *em, struct flow *f, struct capture_ref *ref);
void emitter_set_tap(struct emitter *em, event_tap_fn fn, void *ctx);
void emitter_set_sensor_name(struct emitter *em, const char *name);
/* Count of events written, and of events lost to packing or output errors. */
uint64_t emitter_written(const struct emitter *em);
uint64_t emitter_failed(const struct emitter *em);
/* Alert events written. */
uint64_t emitter_alerts(const struct emitter *em);
/* First output error (0 = none). */
int emitter_error(const struct emitter *em);
/* The output's sink counters (file, forward, unix), inside the current map of ev. */
void emitter_output_stats(struct emitter *em, struct event *ev);

/* Start an event: writes "timestamp" (packet time) and "event_type". */
struct event *event_begin(struct emitter *em, const char *event_type, int64_t ts_us);
/* The flow's identity as seen in direction dir: flow_id, community_id, src/dest
 * ip and port, proto, app_proto, and src_geo/dest_geo when geolocation is on. */
void event_flow(struct event *ev, const struct flow *f, enum flow_dir dir);
/* Same fields for a packet that has no flow. */
void event_addrs(struct event *ev, int family, const uint8_t *src, uint16_t sport, const uint8_t *dst,
		 uint16_t dport, uint8_t proto);
/* Finish the event and write it; returns 0 or the output's error code. */
int event_end(struct event *ev);
/* Drop an event being built. */
void event_abort(struct event *ev);

/* Fields. key == NULL inside arrays. */
void ev_str(struct event *ev, const char *key, const char *s);
void ev_strn(struct event *ev, const char *key, const char *s, size_t n); /* trusted bytes */
void ev_wirestr(struct event *ev, const char *key, const uint8_t *s, size_t n);
void ev_u64(struct event *ev, const char *key, uint64_t v);
void ev_i64(struct event *ev, const char *key, int64_t v);
void ev_bool(struct event *ev, const char *key, bool v);
void ev_double(struct event *ev, const char *key, double v);
void ev_null(struct event *ev, const char *key);
void ev_hex(struct event *ev, const char *key, const uint8_t *p, size_t n);
void ev_ip(struct event *ev, const char *key, int family, const uint8_t *addr);
void ev_time(struct event *ev, const char *key, int64_t ts_us);
void ev_map(struct event *ev, const char *key);
void ev_end_map(struct event *ev);
void ev_array(struct event *ev, const char *key);
void ev_end_array(struct event *ev);

/* Longest string ev_wirestr() emits before it truncates (with a marker). */
#define EV_WIRESTR_MAX 1024

#endif
