/* http.c - minimal HTTP/1.x request dissector (RFC 9112): `http` events with the request line, Host
 * and User-Agent, and the WannaCry kill-switch detection on the Host header (the worm's HTTP GET to
 * its kill-switch domain). Responses are not parsed. Wire parsing lives in http_records.c.
 *
 * Requests are followed on a connection as long as their bodies can be skipped from their
 * Content-Length; a chunked request body, a malformed or oversized head ends parsing of the
 * direction (counted). Caps: MAX_EVENTS http events per flow, the rest counted.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dissectors/dissector.h"
#include "dissectors/dns/dns_records.h"
#include "http_records.h"
#include "output/alert.h"
#include "util/util.h"

#define MAX_EVENTS 256

static const struct alert_info killswitch_ai = {
	1, 9003003, 1, "KAGAMI HTTP WannaCry kill-switch domain in an HTTP Host header", "trojan-activity", 1};

struct http_run {
	uint64_t requests, events_suppressed, invalid_heads, chunked_unfollowed, gaps, alerts;
};

struct http_state {
	uint32_t events;
	bool alerted;
	uint32_t killswitch_requests;
};

#define CNT(ctx, field)                                                                                  \
	do {                                                                                             \
		struct http_run *r_ = (ctx)->proto;                                                      \
		if (r_)                                                                                  \
			r_->field++;                                                                     \
	} while (0)

static enum probe_result http_probe(const uint8_t *data, size_t len, enum flow_dir dir, unsigned flags)
{
	(void)flags;
	if (dir != DIR_TO_SERVER)
		return PROBE_NO;
	struct cursor c = cur_make(data, len);
	switch (http_method_probe(&c)) {
	case CUR_OK:
		return PROBE_YES;
	case CUR_TRUNCATED:
		return PROBE_MORE;
	default:
		return PROBE_NO;
	}
}

static void *http_new(const struct app_ctx *ctx)
{
	(void)ctx;
	return kg_calloc(1, sizeof(struct http_state), "http flow state");
}

static void http_free(void *state) { free(state); }

/* The Host header's name in a buffer of our own (for the kill-switch match). */
static const char *killswitch_host(const struct http_request *r)
{
	if (!r->has_host)
		return NULL;
	struct cursor h = http_host_name(r->host);
	uint8_t buf[DNS_NAME_TEXT_MAX];
	size_t n = cur_len(&h);
	if (n > sizeof(buf) || !cur_copy(&h, buf, n))
		return NULL;
	return wannacry_killswitch(buf, n);
}

static void on_request(struct http_state *st, struct app_ctx *ctx, const struct http_request *r)
{
	CNT(ctx, requests);
	if (st->events < MAX_EVENTS) {
		st->events++;
		struct event *ev = event_begin(ctx->em, "http", ctx->ts_us);
		event_flow(ev, ctx->flow, DIR_TO_SERVER);
		ev_map(ev, "http");
		if (r->has_host)
			ev_wirestr(ev, "hostname", cur_data(&r->host), cur_len(&r->host));
		ev_wirestr(ev, "url", cur_data(&r->target), cur_len(&r->target));
		ev_wirestr(ev, "http_method", cur_data(&r->method), cur_len(&r->method));
		ev_wirestr(ev, "protocol", cur_data(&r->version), cur_len(&r->version));
		if (cur_len(&r->user_agent))
			ev_wirestr(ev, "http_user_agent", cur_data(&r->user_agent), cur_len(&r->user_agent));
		if (r->has_length)
			ev_u64(ev, "request_content_length", r->content_length);
		ev_end_map(ev);
		event_end(ev);
	} else {
		CNT(ctx, events_suppressed);
	}
	const char *ks = killswitch_host(r);
	if (!ks)
		return;
	st->killswitch_requests++;
	app_raise_event(ctx, "http.wannacry_killswitch_host");
	if (st->alerted)
		return;
	st->alerted = true;
	CNT(ctx, alerts);
	struct event *a = alert_begin(ctx->em, ctx->flow, DIR_TO_SERVER, ctx->ts_us, &killswitch_ai);
	ev_map(a, "http");
	ev_wirestr(a, "hostname", cur_data(&r->host), cur_len(&r->host));
	ev_wirestr(a, "url", cur_data(&r->target), cur_len(&r->target));
	ev_wirestr(a, "http_method", cur_data(&r->method), cur_len(&r->method));
	ev_str(a, "killswitch_domain", ks);
	ev_end_map(a);
	event_end(a);
}

static enum app_status http_parse_ts(void *state, struct app_ctx *ctx, const uint8_t *data, size_t len, unsigned flags,
				     size_t *consumed)
{
	struct http_state *st = state;
	*consumed = 0;
	if (flags & APP_FLAG_GAP) {
		CNT(ctx, gaps);
		return APP_ERROR; /* no resynchronisation inside a stream of requests */
	}
	if (flags & APP_FLAG_EOF)
		return APP_OK;
	struct cursor c = cur_make(data, len);
	/* each request consumes at least its request line: bounded by len */
	while (!cur_empty(&c)) {
		struct http_request r;
		enum cur_status s = http_request_head(&c, &r);
		if (s == CUR_TRUNCATED)
			return APP_OK; /* the head is not complete yet */
		if (s != CUR_OK) {
			CNT(ctx, invalid_heads);
			return APP_ERROR;
		}
		on_request(st, ctx, &r);
		if (r.chunked) {
			CNT(ctx, chunked_unfollowed);
			return APP_ERROR;
		}
		*consumed += r.head_len;
		if (!cur_skip(&c, r.head_len))
			return APP_ERROR;
		uint64_t body = r.has_length ? r.content_length : 0;
		if (body > cur_len(&c)) {
			/* the rest of the body is skipped by the glue */
			*consumed += (size_t)KG_MIN(body, (uint64_t)SIZE_MAX / 2);
			return APP_OK;
		}
		*consumed += (size_t)body;
		if (!cur_skip(&c, (size_t)body))
			return APP_ERROR;
	}
	return APP_OK;
}

static enum app_status http_parse_tc(void *state, struct app_ctx *ctx, const uint8_t *data, size_t len, unsigned flags,
				     size_t *consumed)
{
	(void)state;
	(void)ctx;
	(void)data;
	(void)flags;
	*consumed = len; /* responses are not parsed */
	return APP_OK;
}

static void *http_run_new(void) { return kg_calloc(1, sizeof(struct http_run), "http run"); }
static void http_run_free(void *p) { free(p); }

static void http_stats(void *proto, struct event *ev)
{
	const struct http_run *r = proto;
	if (!r)
		return;
	ev_u64(ev, "requests", r->requests);
	ev_u64(ev, "events_suppressed", r->events_suppressed);
	ev_u64(ev, "invalid_heads", r->invalid_heads);
	ev_u64(ev, "chunked_requests_unfollowed", r->chunked_unfollowed);
	ev_u64(ev, "gaps", r->gaps);
	ev_u64(ev, "alerts", r->alerts);
}

static const uint16_t http_ports[] = {80, 8080, 0};

const struct dissector http_dissector = {
	.name = "http",
	.ipproto = 6,
	.ports = http_ports,
	.ports_only = false,
	.probe = http_probe,
	.state_new = http_new,
	.state_free = http_free,
	.parse_ts = http_parse_ts,
	.parse_tc = http_parse_tc,
	.proto_new = http_run_new,
	.proto_free = http_run_free,
	.stats = http_stats,
};
