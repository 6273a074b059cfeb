/* engine.c - the analysis pipeline (see engine.h). */
#include "config.h"

#include "engine.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "applayer.h"
#include "flow/reasm.h"
#include "flow/tcpstream.h"
#include "util/util.h"

#define MAX_MODULES 8
#define TICK_US 1000000

struct engine {
	struct engine_cfg cfg;
	struct emitter *em;
	struct decode_stats dst;
	struct defrag *defrag;
	struct flow_table *flows;
	struct applayer *app;
	struct tcp_layer *tcp;
	struct engine_module mods[MAX_MODULES];
	size_t nmods;
	uint64_t reloads, reload_failures;
	int64_t now;
	int64_t next_tick;
	int64_t next_stats;
	bool started;
	bool finished;
	bool final_stats;     /* the stats event of the end of the run */
	struct capture_counters cap;
};

void engine_cfg_defaults(struct engine_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->decode.vxlan_port = 4789;
	cfg->defrag.max_datagrams = 4096;
	cfg->defrag.max_bytes = 32u << 20;
	cfg->defrag.timeout_s = 30;
	cfg->defrag.max_fragments = 128;
	cfg->flow.max_flows = 1u << 18;
	cfg->flow.timeout_s[TC_TCP_NEW] = 60;
	cfg->flow.timeout_s[TC_TCP_EST] = 3600;
	cfg->flow.timeout_s[TC_TCP_CLOSED] = 10;
	cfg->flow.timeout_s[TC_UDP] = 60;
	cfg->flow.timeout_s[TC_OTHER] = 60;
	cfg->use_nids = true;
	cfg->nids_checksums = false;
	/* libnids touches its whole stream pool at start (~180 ms of page faults at 1 << 18); a
	 * session past the table is continued by the own reassembler, so a smaller table costs no
	 * data (README, Known limitations) */
	cfg->nids_streams = 1u << 16;
	cfg->nids_hosts = 256;
	cfg->stream_max_buffer = 1u << 20;
	cfg->reasm_max_ooo = 1u << 20;
	cfg->reasm_memcap = 256u << 20;
	cfg->stats_interval_s = 60;
	cfg->emit_stats = true;
	cfg->emit_flows = true;
	app_settings_defaults(&cfg->app);
}

/* ---------------------------------------------------------------- streams */

/* The stream layer's sink (flow/tcpstream.h): libnids and the own reassembler deliver here. */
static size_t stream_data(void *ctx, struct flow *f, enum flow_dir dir, const uint8_t *data, size_t len,
			  size_t new_off, int64_t ts_us)
{
	struct engine *e = ctx;
	if (new_off < len) {
		for (size_t i = 0; i < e->nmods; i++)
			if (e->mods[i].stream)
				e->mods[i].stream(e->mods[i].ctx, e, f, dir, data + new_off, len - new_off, ts_us);
	}
	return applayer_stream(e->app, f, dir, data, len, ts_us);
}

static bool stream_wanted(void *ctx, const struct flow *f, enum flow_dir dir)
{
	struct engine *e = ctx;
	if (applayer_wants_stream(f, dir))
		return true;
	for (size_t i = 0; i < e->nmods; i++) {
		const struct engine_module *m = &e->mods[i];
		if (m->stream && (!m->wants_stream || m->wants_stream(m->ctx, f, dir)))
			return true;
	}
	return false;
}

static void stream_gap(void *ctx, struct flow *f, enum flow_dir dir, uint64_t gap, int64_t ts_us)
{
	struct engine *e = ctx;
	(void)ts_us;
	applayer_gap(e->app, f, dir, gap);
}

static void stream_eof(void *ctx, struct flow *f, enum flow_dir dir, int64_t ts_us)
{
	struct engine *e = ctx;
	applayer_eof(e->app, f, dir, ts_us);
}

static int64_t stream_now(void *ctx) { return engine_now(ctx); }

static void on_flow_end(void *ctx, struct flow *f, enum flow_end_reason why);

struct engine *engine_new(const struct engine_cfg *cfg, struct emitter *em, char *errbuf, size_t errlen)
{
	struct engine *e = kg_calloc(1, sizeof(*e), "engine");
	e->cfg = *cfg;
	e->em = em;
	e->defrag = defrag_new(&e->cfg.defrag);
	e->flows = flow_table_new(&e->cfg.flow, on_flow_end, e);
	e->app = applayer_new(em, e, e->cfg.stream_max_buffer);
	applayer_configure(e->app, &e->cfg.app);
	struct tcp_layer_cfg tc = {
		.use_nids = e->cfg.use_nids && !e->cfg.headers_only,
		.nids_checksums = e->cfg.nids_checksums,
		.nids_streams = e->cfg.nids_streams,
		.nids_hosts = e->cfg.nids_hosts,
		.reasm_max_ooo = e->cfg.reasm_max_ooo,
		.reasm_memcap = e->cfg.reasm_memcap,
	};
	struct stream_sink sink = {
		.ctx = e,
		.data = stream_data,
		.wanted = stream_wanted,
		.gap = stream_gap,
		.eof = stream_eof,
		.now = stream_now,
	};
	e->tcp = tcp_layer_new(&tc, &sink, errbuf, errlen);
	if (!e->tcp) {
		applayer_free(e->app);
		flow_table_free(e->flows);
		defrag_free(e->defrag);
		free(e);
		return NULL;
	}
	return e;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	if (!e->finished)
		engine_finish(e);
	flow_table_free(e->flows);
	tcp_layer_free(e->tcp);
	applayer_free(e->app);
	defrag_free(e->defrag);
	for (size_t i = 0; i < e->nmods; i++)
		if (e->mods[i].destroy)
			e->mods[i].destroy(e->mods[i].ctx);
	free(e);
}

bool engine_add_module(struct engine *e, const struct engine_module *m)
{
	if (e->nmods >= MAX_MODULES)
		return false;
	e->mods[e->nmods++] = *m;
	return true;
}

struct emitter *engine_emitter(struct engine *e) { return e->em; }
const struct engine_cfg *engine_config(const struct engine *e) { return &e->cfg; }
int64_t engine_now(const struct engine *e) { return e->now; }
struct flow_table *engine_flows(struct engine *e) { return e->flows; }

void engine_set_capture_counters(struct engine *e, const struct capture_counters *cc) { e->cap = *cc; }

void engine_app_inspect(struct engine *e, struct flow *f, const struct inspect_tx *tx, int64_t ts_us)
{
	for (size_t i = 0; i < e->nmods; i++)
		if (e->mods[i].inspect)
			e->mods[i].inspect(e->mods[i].ctx, e, f, tx, ts_us);
}

void engine_count_decode_error(struct engine *e, enum decode_err kind)
{
	if ((unsigned)kind < DE__COUNT)
		e->dst.err[kind]++;
}

/* ------------------------------------------------------------------ flows */

static void tcp_flags_hex(uint8_t fl, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	buf[0] = hex[fl >> 4];
	buf[1] = hex[fl & 15];
	buf[2] = '\0';
}

static const char *flow_state_name(const struct flow *f)
{
	if (f->proto != 6)
		return (f->pkts[0] && f->pkts[1]) ? "established" : "new";
	switch (f->tcp_state) {
	case TCPT_CLOSED: return "closed";
	case TCPT_ESTABLISHED:
	case TCPT_FIN_WAIT: return "established";
	case TCPT_NONE: return (f->pkts[0] && f->pkts[1]) ? "established" : "new";
	default: return "new";
	}
}

static void emit_flow(struct engine *e, struct flow *f, enum flow_end_reason why)
{
	struct event *ev = event_begin(e->em, "flow", f->start_us);
	event_flow(ev, f, DIR_TO_SERVER);
	ev_map(ev, "flow");
	ev_u64(ev, "pkts_toserver", f->pkts[0]);
	ev_u64(ev, "pkts_toclient", f->pkts[1]);
	ev_u64(ev, "bytes_toserver", f->bytes[0]);
	ev_u64(ev, "bytes_toclient", f->bytes[1]);
	ev_u64(ev, "payload_bytes_toserver", f->payload_bytes[0]);
	ev_u64(ev, "payload_bytes_toclient", f->payload_bytes[1]);
	ev_time(ev, "start", f->start_us);
	ev_time(ev, "end", f->last_us);
	ev_u64(ev, "age", (uint64_t)((f->last_us - f->start_us) / 1000000));
	ev_str(ev, "state", flow_state_name(f));
	ev_str(ev, "reason", flow_end_reason_name(why));
	ev_bool(ev, "alerted", f->alerted);
	ev_end_map(ev);
	if (f->proto == 6) {
		char b[3];
		ev_map(ev, "tcp");
		tcp_flags_hex(f->tcp_flags[0] | f->tcp_flags[1], b);
		ev_str(ev, "tcp_flags", b);
		tcp_flags_hex(f->tcp_flags[0], b);
		ev_str(ev, "tcp_flags_ts", b);
		tcp_flags_hex(f->tcp_flags[1], b);
		ev_str(ev, "tcp_flags_tc", b);
		uint8_t all = f->tcp_flags[0] | f->tcp_flags[1];
		if (all & TH_SYN_)
			ev_bool(ev, "syn", true);
		if (all & TH_FIN_)
			ev_bool(ev, "fin", true);
		if (all & TH_RST_)
			ev_bool(ev, "rst", true);
		if (all & TH_PSH_)
			ev_bool(ev, "psh", true);
		if (all & TH_ACK_)
			ev_bool(ev, "ack", true);
		if (all & TH_URG_)
			ev_bool(ev, "urg", true);
		if (all & TH_ECE_)
			ev_bool(ev, "ecn", true);
		if (all & TH_CWR_)
			ev_bool(ev, "cwr", true);
		ev_str(ev, "state", tcp_track_name((enum tcp_track)f->tcp_state));
		if (f->midstream)
			ev_bool(ev, "midstream", true);
		ev_u64(ev, "gaps_toserver", f->gaps[0]);
		ev_u64(ev, "gaps_toclient", f->gaps[1]);
		ev_u64(ev, "gap_bytes_toserver", f->gap_bytes[0]);
		ev_u64(ev, "gap_bytes_toclient", f->gap_bytes[1]);
		ev_u64(ev, "ack_unseen_bytes_toserver", f->ack_unseen[0]);
		ev_u64(ev, "ack_unseen_bytes_toclient", f->ack_unseen[1]);
		ev_end_map(ev);
	}
	event_end(ev);
}

static void on_flow_end(void *ctx, struct flow *f, enum flow_end_reason why)
{
	struct engine *e = ctx;
	int64_t ts = KG_MAX(f->last_us, e->now);
	if (f->proto == 6 && !e->cfg.headers_only)
		tcp_layer_flow_end(e->tcp, f, ts);
	if (!e->cfg.headers_only)
		applayer_flow_end(e->app, f, ts);
	for (size_t i = 0; i < e->nmods; i++)
		if (e->mods[i].flow_end)
			e->mods[i].flow_end(e->mods[i].ctx, e, f);
	if (e->cfg.emit_flows)
		emit_flow(e, f, why);
}

/* ---------------------------------------------------------------- packets */

static void emit_barrier(struct engine *e)
{
	struct event *ev = event_begin(e->em, "stats", e->now);
	ev_map(ev, "stats");
	ev_bool(ev, "barrier", true);
	ev_end_map(ev);
	event_end(ev);
}

static void run_tick(struct engine *e)
{
	flow_expire(e->flows, e->now);
	defrag_expire(e->defrag, e->now, &e->dst);
	for (size_t i = 0; i < e->nmods; i++)
		if (e->mods[i].tick)
			e->mods[i].tick(e->mods[i].ctx, e, e->now);
	if (e->cfg.stats_interval_s && e->now >= e->next_stats) {
		if (e->next_stats) { /* not at the very first packet */
			applayer_tick(e->app, e->now);
			if (e->cfg.emit_stats && e->cfg.stats_barrier)
				emit_barrier(e);
			else if (e->cfg.emit_stats)
				engine_emit_stats(e);
		}
		e->next_stats = e->now + (int64_t)e->cfg.stats_interval_s * 1000000;
	}
	e->next_tick = e->now + TICK_US;
}

static void advance_time(struct engine *e, int64_t ts)
{
	if (!e->started) {
		e->started = true;
		e->now = ts;
		e->next_tick = ts + TICK_US;
		e->next_stats = e->cfg.stats_interval_s ? ts + (int64_t)e->cfg.stats_interval_s * 1000000 : 0;
		return;
	}
	if (ts > e->now)
		e->now = ts;
	if (e->now >= e->next_tick)
		run_tick(e);
}

void engine_tick(struct engine *e, int64_t now_us)
{
	if (!e->started)
		return;
	advance_time(e, now_us);
}

void engine_time(struct engine *e, int64_t ts_us) { advance_time(e, ts_us); }

void engine_packet(struct engine *e, struct packet *pkt)
{
	advance_time(e, pkt->ts_us);
	if (decode_packet(pkt, &e->cfg.decode, &e->dst) != DEC_OK || !pkt->family)
		return;
	if (pkt->fragment) {
		uint8_t *dg;
		size_t dglen;
		if (defrag_add(e->defrag, pkt, &dg, &dglen, &e->dst) != DF_COMPLETE)
			return;
		if (decode_ip_datagram(pkt, dg, dglen, &e->cfg.decode, &e->dst) != DEC_OK || pkt->fragment)
			return;
	}
	enum flow_dir dir;
	struct flow *f = flow_packet(e->flows, pkt, &dir);
	applayer_packet_begin(f);
	for (size_t i = 0; i < e->nmods; i++)
		if (e->mods[i].packet)
			e->mods[i].packet(e->mods[i].ctx, e, pkt, f, dir);
	switch (e->cfg.headers_only ? 0 : pkt->ipproto) {
	case 6:
		tcp_layer_packet(e->tcp, f, dir, pkt);
		break;
	case 17:
		if (pkt->payload_len)
			applayer_datagram(e->app, f, dir, pkt->payload, pkt->payload_len, pkt->ts_us);
		break;
	default:
		break;
	}
	for (size_t i = 0; i < e->nmods; i++)
		if (e->mods[i].packet_done)
			e->mods[i].packet_done(e->mods[i].ctx, e, pkt, f, dir);
}

/* ------------------------------------------------------------------ stats */

static void emit_module_stats(struct engine *e, struct event *ev);

void engine_emit_stats(struct engine *e)
{
	struct event *ev = event_begin(e->em, "stats", e->now);
	ev_map(ev, "stats");
	if (e->final_stats)
		ev_bool(ev, "final", true);
	if (e->cfg.stats_modules_only) {
		emit_module_stats(e, ev);
		ev_end_map(ev);
		event_end(ev);
		return;
	}

	ev_map(ev, "capture");
	ev_u64(ev, "packets", e->cap.packets);
	ev_u64(ev, "bytes", e->cap.bytes);
	ev_u64(ev, "kernel_drops", e->cap.kernel_drops);
	ev_u64(ev, "kernel_ifdrops", e->cap.kernel_ifdrops);
	ev_u64(ev, "ring_drops", e->cap.ring_drops);
	if (e->cap.live && e->cap.tpacket_version > 0)
		ev_u64(ev, "tpacket_version", (uint64_t)e->cap.tpacket_version);
	ev_end_map(ev);

	const struct decode_stats *d = &e->dst;
	ev_map(ev, "decoder");
	ev_u64(ev, "packets", d->packets);
	ev_u64(ev, "bytes", d->bytes);
	ev_u64(ev, "ipv4", d->ipv4);
	ev_u64(ev, "ipv6", d->ipv6);
	ev_u64(ev, "tcp", d->tcp);
	ev_u64(ev, "udp", d->udp);
	ev_u64(ev, "icmp", d->icmp);
	ev_u64(ev, "other_ip", d->other_ip);
	ev_u64(ev, "non_ip", d->non_ip);
	ev_u64(ev, "tunneled", d->tunneled);
	ev_u64(ev, "fragments", d->fragments);
	ev_u64(ev, "reassembled", d->reassembled);
	ev_map(ev, "errors");
	for (int i = 0; i < DE__COUNT; i++)
		if (d->err[i])
			ev_u64(ev, decode_err_name((enum decode_err)i), d->err[i]);
	ev_end_map(ev);
	ev_end_map(ev);

	const struct flow_stats *fs = flow_table_stats(e->flows);
	ev_map(ev, "flow");
	ev_u64(ev, "active", fs->active);
	ev_u64(ev, "peak_active", fs->peak_active);
	ev_u64(ev, "created", fs->created);
	ev_u64(ev, "ended", fs->ended);
	ev_u64(ev, "timed_out", fs->timed_out);
	ev_u64(ev, "evicted", fs->evicted);
	ev_u64(ev, "reused", fs->reused);
	ev_u64(ev, "midstream", fs->midstream);
	ev_end_map(ev);

	const struct tcp_layer_stats *ts = tcp_layer_stats(e->tcp);
	const struct reasm_stats *rs = tcp_layer_reasm_stats(e->tcp);
	ev_map(ev, "tcp");
	ev_u64(ev, "sessions_nids", ts->sessions_nids);
	ev_u64(ev, "sessions_own", ts->sessions_own);
	ev_u64(ev, "handovers", ts->handovers);
	ev_u64(ev, "memcap_handovers", ts->memcap_handovers);
	ev_u64(ev, "streams_dropped", ts->streams_dropped);
	ev_u64(ev, "reassembly_memory", ts->ooo_memory);
	ev_u64(ev, "reassembly_memory_peak", ts->ooo_memory_peak);
	ev_u64(ev, "segments_own", rs->segments);
	ev_u64(ev, "ooo_segments", rs->ooo_segments);
	ev_u64(ev, "overlaps", rs->overlaps);
	ev_u64(ev, "retransmissions", rs->retransmissions);
	ev_u64(ev, "gaps", rs->gaps);
	ev_u64(ev, "gap_bytes", rs->gap_bytes);
	ev_u64(ev, "ooo_dropped_bytes", rs->ooo_dropped);
	ev_u64(ev, "memcap_gaps", rs->memcap_gaps);
	ev_u64(ev, "memcap_gap_bytes", rs->memcap_gap_bytes);
	ev_u64(ev, "nids_unfed", ts->nids_unfed);
	ev_map(ev, "nids_warnings");
	for (int i = 0; i < 16; i++)
		if (ts->nids_warnings[i])
			ev_u64(ev, tcp_layer_nids_warning_name(i), ts->nids_warnings[i]);
	ev_end_map(ev);
	ev_end_map(ev);

	ev_map(ev, "capture_loss");
	ev_u64(ev, "acks", fs->tcp_acks);
	ev_u64(ev, "ack_gaps", fs->tcp_ack_gaps);
	ev_u64(ev, "unseen_bytes", fs->tcp_ack_unseen_bytes);
	ev_double(ev, "percent", fs->tcp_acks ? 100.0 * (double)fs->tcp_ack_gaps / (double)fs->tcp_acks : 0.0);
	ev_end_map(ev);

	ev_map(ev, "defrag");
	ev_u64(ev, "pending", defrag_pending(e->defrag));
	ev_u64(ev, "memory", defrag_memory(e->defrag));
	ev_end_map(ev);

	const struct applayer_stats *as = applayer_stats(e->app);
	ev_map(ev, "app_layer");
	ev_u64(ev, "flows_detected", as->flows_detected);
	ev_u64(ev, "flows_unknown", as->flows_unknown);
	ev_u64(ev, "parse_errors", as->parse_errors);
	ev_u64(ev, "buffer_overflows", as->buffer_overflows);
	ev_u64(ev, "gaps_resync", as->gaps_resync);
	ev_u64(ev, "gaps_skipped", as->gaps_skipped);
	ev_u64(ev, "events_raised", as->events_raised);
	ev_u64(ev, "inspections", as->inspections);
	ev_u64(ev, "inspect_overflows", as->inspect_overflows);
	ev_u64(ev, "reprobes", as->reprobes);
	applayer_stats_fields(e->app, ev);
	ev_end_map(ev);

	emit_module_stats(e, ev);

	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		ev_map(ev, "process");
		ev_u64(ev, "peak_rss_bytes", (uint64_t)ru.ru_maxrss * 1024); /* Linux: KiB */
		ev_u64(ev, "cpu_user_us", (uint64_t)ru.ru_utime.tv_sec * 1000000 + (uint64_t)ru.ru_utime.tv_usec);
		ev_u64(ev, "cpu_system_us", (uint64_t)ru.ru_stime.tv_sec * 1000000 + (uint64_t)ru.ru_stime.tv_usec);
		ev_end_map(ev);
	}

	ev_map(ev, "reload");
	ev_u64(ev, "requests", e->reloads);
	ev_u64(ev, "failures", e->reload_failures);
	ev_end_map(ev);

	ev_map(ev, "output");
	ev_u64(ev, "events", emitter_written(e->em));
	ev_u64(ev, "failed", emitter_failed(e->em));
	emitter_output_stats(e->em, ev);
	ev_end_map(ev);

	ev_end_map(ev);
	event_end(ev);
}

/* Each module's map of the stats event. */
static void emit_module_stats(struct engine *e, struct event *ev)
{
	for (size_t i = 0; i < e->nmods; i++)
		if (e->mods[i].stats) {
			ev_map(ev, e->mods[i].name);
			e->mods[i].stats(e->mods[i].ctx, e, ev);
			ev_end_map(ev);
		}
}

size_t engine_reload(struct engine *e)
{
	size_t failed = 0;
	e->reloads++;
	for (size_t i = 0; i < e->nmods; i++)
		if (e->mods[i].reload && !e->mods[i].reload(e->mods[i].ctx, e))
			failed++;
	e->reload_failures += failed;
	return failed;
}

void engine_finish(struct engine *e)
{
	if (e->finished)
		return;
	e->finished = true;
	flow_flush_all(e->flows, FLOW_END_SHUTDOWN);
	e->final_stats = true;
	applayer_run_end(e->app, e->now);
	for (size_t i = 0; i < e->nmods; i++)
		if (e->mods[i].finish)
			e->mods[i].finish(e->mods[i].ctx, e);
	if (e->cfg.emit_stats)
		engine_emit_stats(e);
}
