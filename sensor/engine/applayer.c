/* applayer.c - stream/datagram to dissector glue (see applayer.h and dissectors/dissector.h).
 *
 * Recognition: each direction's first bytes are offered to the dissectors of
 * the flow's transport protocol, those registered for one of the flow's ports
 * first. A dissector answering PROBE_MORE holds the bytes (up to
 * PROBE_MAX_BYTES); when every dissector answered PROBE_NO for both
 * directions, the flow's app_proto is "failed" and its bytes are no longer
 * buffered.
 *
 * Re-probing (app_reprobe(), dissector.h): a dissector that sees its protocol
 * switch (HTTP CONNECT, Upgrade) ends its session; the rest of each direction
 * goes through recognition again, and the asking dissector's name stays the
 * flow's app_proto when nothing else recognises it.
 */
#include "config.h"

#include "applayer.h"

#include <stdlib.h>
#include <string.h>

#include "dissectors/dissector.h"
#include "dissectors/inspect.h"
#include "engine.h"
#include "util/util.h"

#define PROBE_MAX_BYTES 2048
#define MAX_RECENT_EVENTS 8

struct app_session {
	const struct dissector *d;
	void *state;
	bool dead[2];         /* parser stopped for this direction */
	bool probe_no[2];     /* every dissector said no for this direction */
	bool gap_pending[2];  /* tell the parser about a gap with its next data */
	uint64_t gap_bytes[2];/* bytes lost in that gap (beyond those skipped anyway) */
	uint64_t skip[2];     /* stream bytes still to skip (parser asked for them) */
	bool in_parse;        /* a parse call is running (app_reprobe() is allowed) */
	bool reprobe;         /* the running parser asked for re-probing */
	const char *outer;    /* after a re-probe: the name of the dissector that asked */
	uint16_t outer_id;
	const char *recent[MAX_RECENT_EVENTS];
	uint8_t nrecent;
};

struct applayer {
	struct emitter *em;
	void *engine;
	uint64_t max_buffer;
	void **proto;         /* per-dissector run objects */
	struct applayer_stats st;
};

struct applayer *applayer_new(struct emitter *em, void *engine, uint64_t max_buffer)
{
	struct applayer *al = kg_calloc(1, sizeof(*al), "applayer");
	al->em = em;
	al->engine = engine;
	al->max_buffer = max_buffer ? max_buffer : (1u << 20);
	al->proto = kg_calloc(dissector_count ? dissector_count : 1, sizeof(void *), "dissector run objects");
	for (size_t i = 0; i < dissector_count; i++)
		if (dissector_registry[i]->proto_new)
			al->proto[i] = dissector_registry[i]->proto_new();
	return al;
}

void applayer_free(struct applayer *al)
{
	if (!al)
		return;
	for (size_t i = 0; i < dissector_count; i++)
		if (dissector_registry[i]->proto_free)
			dissector_registry[i]->proto_free(al->proto[i]);
	free(al->proto);
	free(al);
}

void app_settings_defaults(struct app_settings *s)
{
	s->http_body_limit = APP_HTTP_BODY_LIMIT_DEFAULT;
	s->http_log_headers = 0;
}

void applayer_configure(struct applayer *al, const struct app_settings *s)
{
	for (size_t i = 0; i < dissector_count; i++)
		if (dissector_registry[i]->configure && al->proto[i])
			dissector_registry[i]->configure(al->proto[i], s);
}

const struct applayer_stats *applayer_stats(const struct applayer *al) { return &al->st; }

void applayer_stats_fields(const struct applayer *al, struct event *ev)
{
	for (size_t i = 0; i < dissector_count; i++) {
		const struct dissector *d = dissector_registry[i];
		if (!d->stats)
			continue;
		bool first = true; /* the name's map was written with an earlier table */
		for (size_t j = 0; j < i; j++)
			if (dissector_registry[j]->stats && strcmp(dissector_registry[j]->name, d->name) == 0)
				first = false;
		if (!first)
			continue;
		ev_map(ev, d->name);
		for (size_t j = i; j < dissector_count; j++) {
			const struct dissector *e = dissector_registry[j];
			if (e->stats && strcmp(e->name, d->name) == 0)
				e->stats(al->proto[j], ev);
		}
		ev_end_map(ev);
	}
}

const char *applayer_proto_name(const struct flow *f) { return f->app_name; }

static struct app_session *session(struct flow *f)
{
	if (!f->app)
		f->app = kg_calloc(1, sizeof(struct app_session), "app session");
	return f->app;
}

static void make_ctx(struct applayer *al, struct flow *f, enum flow_dir dir, int64_t ts_us, struct app_ctx *ctx)
{
	ctx->em = al->em;
	ctx->flow = f;
	ctx->dir = dir;
	ctx->ts_us = ts_us;
	ctx->proto = f->app_id ? al->proto[f->app_id - 1] : NULL;
	ctx->engine = al;
	ctx->gap = 0;
}

void app_reprobe(struct app_ctx *ctx)
{
	struct app_session *s = ctx->flow ? ctx->flow->app : NULL;
	if (s && s->in_parse)
		s->reprobe = true;
}

void app_raise_event(struct app_ctx *ctx, const char *name)
{
	struct applayer *al = ctx->engine;
	struct app_session *s = ctx->flow ? ctx->flow->app : NULL;
	al->st.events_raised++;
	if (!s)
		return;
	if (s->nrecent < MAX_RECENT_EVENTS)
		s->recent[s->nrecent++] = name;
}

void app_inspect(struct app_ctx *ctx, const struct inspect_tx *tx)
{
	struct applayer *al = ctx->engine;
	al->st.inspections++;
	if (tx->overflow)
		al->st.inspect_overflows++;
	if (ctx->flow && al->engine) /* no engine: the app layer alone (fuzzing) */
		engine_app_inspect(al->engine, ctx->flow, tx, ctx->ts_us);
}

void applayer_packet_begin(struct flow *f)
{
	struct app_session *s = f->app;
	if (s)
		s->nrecent = 0;
}

size_t applayer_recent_events(const struct flow *f, const char **names, size_t max)
{
	const struct app_session *s = f->app;
	if (!s)
		return 0;
	size_t n = KG_MIN((size_t)s->nrecent, max);
	for (size_t i = 0; i < n; i++)
		names[i] = s->recent[i];
	return n;
}

static bool port_match(const struct dissector *d, const struct flow *f)
{
	if (!d->ports)
		return false;
	for (const uint16_t *p = d->ports; *p; p++)
		if (*p == f->sport || *p == f->cport)
			return true;
	return false;
}

/* Try the dissectors on the first bytes of a direction. Returns the chosen
 * dissector, or NULL with *more set when some dissector needs more bytes. */
static const struct dissector *probe(struct flow *f, enum flow_dir dir, const uint8_t *data, size_t len, bool *more,
				     size_t *index)
{
	*more = false;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < dissector_count; i++) {
			const struct dissector *d = dissector_registry[i];
			if (d->ipproto != f->proto || !d->probe)
				continue;
			bool pm = port_match(d, f);
			if ((pass == 0) != pm)
				continue;
			if (d->ports_only && !pm)
				continue;
			enum probe_result r = d->probe(data, len, dir, f->midstream ? PROBE_F_MIDSTREAM : 0);
			if (r == PROBE_YES) {
				*index = i;
				return d;
			}
			if (r == PROBE_MORE)
				*more = true;
		}
	}
	return NULL;
}

/* Ensure the flow has a dissector; false while undecided or when none fits. */
static bool ensure_dissector(struct applayer *al, struct flow *f, struct app_session *s, enum flow_dir dir,
			     const uint8_t *data, size_t len, int64_t ts_us, bool *hold)
{
	*hold = false;
	if (s->d)
		return true;
	if (f->app_failed || s->probe_no[dir])
		return false;
	bool more;
	size_t idx = 0;
	const struct dissector *d = probe(f, dir, data, len, &more, &idx);
	if (d) {
		s->d = d;
		f->app_id = (uint16_t)(idx + 1);
		f->app_name = d->name;
		al->st.flows_detected++;
		struct app_ctx ctx;
		make_ctx(al, f, dir, ts_us, &ctx);
		s->state = d->state_new ? d->state_new(&ctx) : NULL;
		return true;
	}
	if (more && len < PROBE_MAX_BYTES) {
		*hold = true;
		return false;
	}
	s->probe_no[dir] = true;
	/* UDP has no second chance; TCP gives up once both sides said no (a
	 * protocol may begin after a payload: a Meterpreter stage, then TLS) */
	if (f->proto != 6 || (s->probe_no[0] && s->probe_no[1])) {
		f->app_failed = true;
		if (s->outer) {
			/* a tunnel nothing recognised: the flow stays what it was */
			f->app_name = s->outer;
			f->app_id = s->outer_id;
		} else {
			f->app_name = "failed";
			al->st.flows_unknown++;
		}
	}
	return false;
}

/* The dissector asked for re-probing: end its session and make the flow undecided again. */
static void end_for_reprobe(struct applayer *al, struct flow *f, struct app_session *s, enum flow_dir dir,
			    int64_t ts_us)
{
	struct app_ctx ctx;
	make_ctx(al, f, dir, ts_us, &ctx);
	if (s->d->flow_end)
		s->d->flow_end(s->state, &ctx);
	if (s->d->state_free)
		s->d->state_free(s->state);
	s->outer = s->d->name;
	s->outer_id = f->app_id;
	s->d = NULL;
	s->state = NULL;
	for (int d = 0; d < 2; d++) {
		s->dead[d] = false;
		s->probe_no[d] = false;
		s->gap_pending[d] = false;
		s->gap_bytes[d] = 0;
		s->skip[d] = 0;
	}
	s->reprobe = false;
	al->st.reprobes++;
}

/* Run the dissector's parser on a delivery (ctx made by the caller). */
static enum app_status run_parser(struct app_session *s, struct app_ctx *ctx, enum flow_dir dir, const uint8_t *data,
				  size_t len, unsigned flags, size_t *consumed)
{
	s->in_parse = true;
	enum app_status rc = (dir == DIR_TO_SERVER ? s->d->parse_ts : s->d->parse_tc)(s->state, ctx, data, len, flags,
											    consumed);
	s->in_parse = false;
	return rc;
}

size_t applayer_stream(struct applayer *al, struct flow *f, enum flow_dir dir, const uint8_t *data, size_t len,
		       int64_t ts_us)
{
	struct app_session *s = session(f);
	if (s->dead[dir])
		return len;
	/* bytes the parser asked to skip */
	if (s->skip[dir]) {
		uint64_t k = KG_MIN(s->skip[dir], (uint64_t)len);
		s->skip[dir] -= k;
		if (k == len)
			return len;
		size_t used = applayer_stream(al, f, dir, data + k, len - (size_t)k, ts_us);
		return (size_t)k + used;
	}
	bool hold;
	if (!ensure_dissector(al, f, s, dir, data, len, ts_us, &hold))
		return hold ? 0 : len;
	struct app_ctx ctx;
	make_ctx(al, f, dir, ts_us, &ctx);
	unsigned flags = s->gap_pending[dir] ? APP_FLAG_GAP : 0;
	ctx.gap = s->gap_bytes[dir];
	s->gap_pending[dir] = false;
	s->gap_bytes[dir] = 0;
	size_t consumed = 0;
	enum app_status rc = run_parser(s, &ctx, dir, data, len, flags, &consumed);
	if (s->reprobe) {
		end_for_reprobe(al, f, s, dir, ts_us);
		if (consumed >= len)
			return len;
		return consumed + applayer_stream(al, f, dir, data + consumed, len - consumed, ts_us);
	}
	if (rc != APP_OK) {
		s->dead[dir] = true;
		al->st.parse_errors++;
		return len;
	}
	if (consumed > len) {
		s->skip[dir] += consumed - len;
		return len;
	}
	if (len - consumed > al->max_buffer) {
		s->dead[dir] = true;
		al->st.buffer_overflows++;
		return len;
	}
	return consumed;
}

bool applayer_set_proto(struct applayer *al, struct flow *f, const char *name, int64_t ts_us)
{
	struct app_session *s = session(f);
	if (s->d)
		return false;
	for (size_t i = 0; i < dissector_count; i++) {
		const struct dissector *d = dissector_registry[i];
		if (d->ipproto != f->proto || strcmp(d->name, name) != 0)
			continue;
		s->d = d;
		f->app_id = (uint16_t)(i + 1);
		f->app_name = d->name;
		struct app_ctx ctx;
		make_ctx(al, f, DIR_TO_SERVER, ts_us, &ctx);
		s->state = d->state_new ? d->state_new(&ctx) : NULL;
		return true;
	}
	return false;
}

bool applayer_wants_stream(const struct flow *f, enum flow_dir dir)
{
	const struct app_session *s = f->app;
	if (f->app_failed)
		return false;
	if (!s)
		return true;
	if (s->d)
		return !s->dead[dir];
	/* undecided: a dissector chosen from the other direction will want this one */
	return true;
}

void applayer_gap(struct applayer *al, struct flow *f, enum flow_dir dir, uint64_t gap)
{
	struct app_session *s = session(f);
	if (s->skip[dir] >= gap) {
		/* the lost bytes were to be skipped anyway: still in sync */
		s->skip[dir] -= gap;
		al->st.gaps_skipped++;
		return;
	}
	uint64_t lost = gap - s->skip[dir];
	s->skip[dir] = 0;
	if (s->d && !s->dead[dir]) {
		s->gap_pending[dir] = true;
		s->gap_bytes[dir] += lost;
		al->st.gaps_resync++;
	}
}

void applayer_eof(struct applayer *al, struct flow *f, enum flow_dir dir, int64_t ts_us)
{
	struct app_session *s = f->app;
	if (!s || !s->d || s->dead[dir])
		return;
	struct app_ctx ctx;
	make_ctx(al, f, dir, ts_us, &ctx);
	unsigned flags = APP_FLAG_EOF | (s->gap_pending[dir] ? APP_FLAG_GAP : 0);
	ctx.gap = s->gap_bytes[dir];
	s->gap_pending[dir] = false;
	s->gap_bytes[dir] = 0;
	size_t consumed = 0;
	run_parser(s, &ctx, dir, NULL, 0, flags, &consumed);
	if (s->reprobe) {
		end_for_reprobe(al, f, s, dir, ts_us);
		return; /* the other direction may still bring the new protocol */
	}
	s->dead[dir] = true;
}

void applayer_datagram(struct applayer *al, struct flow *f, enum flow_dir dir, const uint8_t *data, size_t len,
		       int64_t ts_us)
{
	struct app_session *s = session(f);
	bool hold;
	if (!ensure_dissector(al, f, s, dir, data, len, ts_us, &hold))
		return;
	if (s->dead[dir])
		return;
	struct app_ctx ctx;
	make_ctx(al, f, dir, ts_us, &ctx);
	size_t consumed = 0;
	if ((dir == DIR_TO_SERVER ? s->d->parse_ts : s->d->parse_tc)(s->state, &ctx, data, len, 0, &consumed) !=
	    APP_OK)
		al->st.parse_errors++; /* a bad datagram does not stop the next one */
}

void applayer_flow_end(struct applayer *al, struct flow *f, int64_t ts_us)
{
	struct app_session *s = f->app;
	if (!s)
		return;
	if (s->d) {
		struct app_ctx ctx;
		make_ctx(al, f, DIR_TO_SERVER, ts_us, &ctx);
		if (s->d->flow_end)
			s->d->flow_end(s->state, &ctx);
		if (s->d->state_free)
			s->d->state_free(s->state);
	}
	free(s);
	f->app = NULL;
}

static void each_proto(struct applayer *al, int64_t now_us, bool end)
{
	for (size_t i = 0; i < dissector_count; i++) {
		const struct dissector *d = dissector_registry[i];
		void (*fn)(struct app_ctx *) = end ? d->run_end : d->tick;
		if (!fn)
			continue;
		struct app_ctx ctx = {.em = al->em, .flow = NULL, .dir = DIR_TO_SERVER, .ts_us = now_us,
				      .proto = al->proto[i], .engine = al};
		fn(&ctx);
	}
}

void applayer_tick(struct applayer *al, int64_t now_us) { each_proto(al, now_us, false); }
void applayer_run_end(struct applayer *al, int64_t now_us) { each_proto(al, now_us, true); }
