/* engine.h - the analysis pipeline: decode, defragment, flows, TCP reassembly, app layer, events.
 *
 * One engine per analysis thread; it owns libnids (one instance per process,
 * see flow/tcpstream.c). Modules that watch traffic (signatures, observation) attach
 * as engine_module observers rather than being called from inside the core.
 *
 * Stage engine/ (pipeline, app-layer glue, modules): takes packets, flows and streams; gives them
 * to the dissectors and the engine modules (signatures, observation), and writes flow and stats events.
 */
#ifndef KAGAMI_ENGINE_H
#define KAGAMI_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "decode/decode.h"
#include "decode/defrag.h"
#include "decode/packet.h"
#include "dissectors/dissector.h"
#include "flow/flow.h"
#include "output/event.h"

struct engine;
struct tcp_session;
struct inspect_tx;

struct engine_cfg {
	struct decode_cfg decode;
	struct defrag_cfg defrag;
	struct flow_cfg flow;
	bool use_nids;               /* libnids for IPv4 TCP (default on) */
	bool nids_checksums;         /* let libnids verify TCP checksums (default off) */
	uint32_t nids_streams;       /* libnids hash size (it follows 3/4 of it) */
	uint32_t nids_hosts;         /* libnids IP fragment host table */
	uint64_t stream_max_buffer;  /* unconsumed bytes per direction a parser may hold */
	uint64_t reasm_max_ooo;      /* out-of-order bytes held per direction */
	uint64_t reasm_memcap;       /* out-of-order bytes held by all flows */
	uint32_t stats_interval_s;   /* periodic stats event (0 = only at the end) */
	bool emit_stats;
	bool emit_flows;
	struct app_settings app;     /* the dissectors' settings (--http-body-limit, ...) */
	/* the observer of offline/live -j N: decode, defragment and flows for the modules that
	 * need only headers (observation); no TCP reassembly, no app layer */
	bool headers_only;
	/* stats events hold only the modules' maps (the observer's share of a merged stats event) */
	bool stats_modules_only;
	/* the periodic stats event is only a marker, {"stats": {"barrier": true}} (offline -j N
	 * workers: the supervisor lines the workers up at it; full stats at the end and on SIGUSR1) */
	bool stats_barrier;
};

void engine_cfg_defaults(struct engine_cfg *cfg);

/* An observer of the pipeline. Every callback may be NULL. */
struct engine_module {
	const char *name;
	void *ctx;
	/* a decoded packet, before reassembly and the app layer */
	void (*packet)(void *ctx, struct engine *e, const struct packet *pkt, struct flow *f, enum flow_dir dir);
	/* the same packet after reassembly and the app layer saw it: app-layer
	 * events it caused are in applayer_recent_events() */
	void (*packet_done)(void *ctx, struct engine *e, const struct packet *pkt, struct flow *f,
			    enum flow_dir dir);
	/* an app-layer transaction reached a progress point and published its inspection
	 * buffers (dissectors/inspect.h; see there for the exactly-once contract) */
	void (*inspect)(void *ctx, struct engine *e, struct flow *f, const struct inspect_tx *tx, int64_t ts_us);
	/* new in-order stream bytes, each delivered exactly once */
	void (*stream)(void *ctx, struct engine *e, struct flow *f, enum flow_dir dir, const uint8_t *data,
		       size_t len, int64_t ts_us);
	/* does the module still want the stream bytes of f in direction dir?
	 * NULL = yes, whenever it has a stream callback */
	bool (*wants_stream)(void *ctx, const struct flow *f, enum flow_dir dir);
	void (*flow_end)(void *ctx, struct engine *e, struct flow *f);
	/* once per second of packet time (or wall time when live and idle) */
	void (*tick)(void *ctx, struct engine *e, int64_t now_us);
	/* add fields to the stats event (inside its "stats" map) */
	void (*stats)(void *ctx, struct engine *e, struct event *ev);
	void (*finish)(void *ctx, struct engine *e);
	/* reload hook: SIGHUP (in a supervisor, forwarded to every worker) calls it on
	 * the analysis thread, between two packets, through engine_reload(). Re-read
	 * what the module loaded from disk (rules, databases); build the new state
	 * aside and swap it in only when complete. On failure keep the old state,
	 * say why on stderr and return false. NULL = nothing to reload. */
	bool (*reload)(void *ctx, struct engine *e);
	void (*destroy)(void *ctx);
};

/* Capture-side counters the engine reports in stats events. */
struct capture_counters {
	uint64_t packets, bytes;
	uint64_t kernel_drops, kernel_ifdrops;
	uint64_t ring_drops;
	bool live;
	int tpacket_version;   /* live: TPACKET_V<n> ring of the packet socket */
};

struct engine *engine_new(const struct engine_cfg *cfg, struct emitter *em, char *errbuf, size_t errlen);
void engine_free(struct engine *e);
/* Attach an observer (up to 8); the engine calls destroy() at engine_free(). */
bool engine_add_module(struct engine *e, const struct engine_module *m);

/* Process one packet; pkt->data must stay valid and writable during the call. */
void engine_packet(struct engine *e, struct packet *pkt);
/* Advance time without a packet (live capture while idle). */
void engine_tick(struct engine *e, int64_t now_us);
/* Packet time of a packet this engine does not analyse (offline -j N: another worker's share):
 * the clock advances (and starts) exactly as the packet would have made it, so that timeouts,
 * ticks and stats intervals fall where they fall with -j 1. */
void engine_time(struct engine *e, int64_t ts_us);
/* Emit a stats event now. */
void engine_emit_stats(struct engine *e);
/* End of input: flush every flow and emit final summaries and stats. */
void engine_finish(struct engine *e);
/* Call every module's reload hook (see struct engine_module), counted in the
 * stats event as reload.requests and reload.failures. Only on the analysis
 * thread. Returns how many hooks failed. */
size_t engine_reload(struct engine *e);

void engine_set_capture_counters(struct engine *e, const struct capture_counters *cc);
/* The app layer's hand-over of a transaction view to the modules' inspect callbacks (engine/ only). */
void engine_app_inspect(struct engine *e, struct flow *f, const struct inspect_tx *tx, int64_t ts_us);
/* Count a decoding problem found outside the decoder (e.g. a clamped timestamp). */
void engine_count_decode_error(struct engine *e, enum decode_err kind);

/* Accessors for modules and the reassembly glue. */
struct emitter *engine_emitter(struct engine *e);
const struct engine_cfg *engine_config(const struct engine *e);
int64_t engine_now(const struct engine *e);
struct flow_table *engine_flows(struct engine *e);

#endif
