/* dissector.h - the callback table every application-layer dissector provides, and the context it gets.
 *
 * The model is Suricata's AppLayerParser: one table per protocol, listed once
 * in dissectors/registry.c. A dissector never sees packets, IP versions or
 * reassembly engines: it gets the in-order bytes of one direction of one flow,
 * with gaps announced, through parse_ts (client to server) and parse_tc.
 *
 * Streaming contract (TCP):
 *   - data[0..len) holds every byte of this direction not yet consumed: bytes a
 *     previous call left unconsumed come again, followed by new ones.
 *   - the parser sets *consumed to the bytes it is done with. *consumed may be
 *     larger than len: the excess is skipped from the stream without being
 *     delivered (a large body the parser does not need).
 *   - it returns APP_OK, or APP_ERROR to stop parsing this direction (counted).
 *   - the glue caps what may stay unconsumed (applayer.max_buffer); a parser
 *     that needs more than that is stopped for the direction.
 *   - APP_FLAG_GAP: bytes were lost just before data (ctx->gap of them, when
 *     known); partial state must be dropped and the parser must resynchronise
 *     (or return APP_ERROR). A parser that can step over the hole (inside a
 *     body of known length) may use ctx->gap to stay in sync.
 *   - APP_FLAG_EOF: the direction ended (FIN, RST, timeout); data may be empty.
 * UDP dissectors get one datagram per call; *consumed is ignored.
 *
 * Dissectors keep no mutable global state: everything lives in the state
 * object from state_new, so one sensor process can run many flows and, later,
 * many threads.
 */
#ifndef KAGAMI_DISSECTOR_H
#define KAGAMI_DISSECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"
#include "output/event.h"

enum probe_result {
	PROBE_NO = 0,   /* not this protocol */
	PROBE_YES,      /* this protocol */
	PROBE_MORE,     /* cannot tell yet: call again with more bytes */
};

enum app_status {
	APP_OK = 0,
	APP_ERROR = 1, /* give up on this direction */
};

#define PROBE_F_MIDSTREAM 0x1u

#define APP_FLAG_GAP 0x1u
#define APP_FLAG_EOF 0x2u

struct alert_info;

/* What a dissector is given on each call. */
struct app_ctx {
	struct emitter *em;     /* for events: event_begin(ctx->em, ...) */
	struct flow *flow;      /* the flow (read-only for dissectors) */
	enum flow_dir dir;      /* direction of the data in this call */
	int64_t ts_us;          /* time of the packet that completed the data */
	void *proto;            /* the dissector's per-run object (proto_new), or NULL */
	void *engine;           /* opaque: for app_raise_event() */
	uint64_t gap;           /* with APP_FLAG_GAP: stream bytes lost before data (0 = unknown) */
};

/* Report a protocol anomaly by name ("tls.overflow_heartbeat") for signatures
 * that match on app-layer events; also counted in stats. */
void app_raise_event(struct app_ctx *ctx, const char *name);

/* Hand the rest of the stream back to protocol recognition: the protocol switched (HTTP CONNECT
 * answered 2xx, 101 Switching Protocols). Called by a TCP dissector inside parse_ts/parse_tc.
 * Contract:
 *   - the bytes of this call past *consumed, and every later byte of both directions, are offered
 *     to the dissectors' probes as the start of a new stream (TLS inside CONNECT is seen as TLS);
 *   - when the call returns, the glue calls the dissector's flow_end and then state_free on its
 *     state: whatever it still holds must be written there; it gets no further data;
 *   - bytes of the other direction the dissector left unconsumed come back to the probes with
 *     that direction's next delivery;
 *   - when no dissector recognises what follows, the flow keeps the asking dissector's name as
 *     its app_proto and the rest is not parsed.
 * Calling it more than once in a call, or outside a parse call, has no further effect. */
void app_reprobe(struct app_ctx *ctx);

struct inspect_tx;
/* A transaction reached a progress point: hand its inspection buffers (dissectors/inspect.h)
 * to the rules, now. tx and what it points to need only live during the call. */
void app_inspect(struct app_ctx *ctx, const struct inspect_tx *tx);

/* Settings of the dissectors from the command line and the configuration file, handed to each
 * dissector's configure() once after proto_new(). */
struct app_settings {
	uint64_t http_body_limit;   /* HTTP body bytes kept for inspection, per message and direction */
	unsigned http_log_headers;  /* APP_HTTP_HEADERS_*: header lists in http events */
};
#define APP_HTTP_HEADERS_REQUEST 0x1u
#define APP_HTTP_HEADERS_RESPONSE 0x2u
#define APP_HTTP_BODY_LIMIT_DEFAULT (100u * 1024) /* Suricata's request/response-body-limit */
void app_settings_defaults(struct app_settings *s);

struct dissector {
	const char *name;           /* the app_proto value in events, e.g. "tls" */
	uint8_t ipproto;            /* 6 = TCP, 17 = UDP */
	const uint16_t *ports;      /* 0-terminated list tried first; NULL = none */
	bool ports_only;            /* probe only flows on one of its ports */
	/* Recognise the protocol from the first bytes of a direction. flags:
	 * PROBE_F_MIDSTREAM when the session was picked up without its handshake
	 * (the bytes may start inside a message). */
	enum probe_result (*probe)(const uint8_t *data, size_t len, enum flow_dir dir, unsigned flags);
	void *(*state_new)(const struct app_ctx *ctx);
	void (*state_free)(void *state);
	enum app_status (*parse_ts)(void *state, struct app_ctx *ctx, const uint8_t *data, size_t len, unsigned flags,
				    size_t *consumed);
	enum app_status (*parse_tc)(void *state, struct app_ctx *ctx, const uint8_t *data, size_t len, unsigned flags,
				    size_t *consumed);
	/* The flow ends: emit pending verdicts. May be NULL. */
	void (*flow_end)(void *state, struct app_ctx *ctx);
	/* Per-run object shared by all flows of this protocol (e.g. per-host
	 * verdicts), owned by the engine; passed as ctx->proto. May be NULL. */
	void *(*proto_new)(void);
	void (*proto_free)(void *proto);
	/* Apply the run's settings to the per-run object (called once, after proto_new; a run that
	 * never calls it keeps the defaults proto_new chose). May be NULL. */
	void (*configure)(void *proto, const struct app_settings *s);
	/* Periodic (live: every summary interval) and end-of-run hooks for
	 * summaries; ctx->flow is NULL. May be NULL. */
	void (*tick)(struct app_ctx *ctx);
	void (*run_end)(struct app_ctx *ctx);
	/* Add the per-run counters (what was evicted or dropped at a cap, ...) to
	 * the stats event, inside its "app_layer"."<name>" map (shared by tables of
	 * the same name: their keys must differ). May be NULL. */
	void (*stats)(void *proto, struct event *ev);
};

/* The registry (dissectors/registry.c). */
extern const struct dissector *const dissector_registry[];
extern const size_t dissector_count;

#endif
