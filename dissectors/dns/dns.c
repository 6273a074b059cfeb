/* dns.c - DNS dissector over UDP and TCP (RFC 1035 4.2.1 and 4.2.2, RFC 7766): `dns` events in EVE's
 * version 2 shape, queries paired with their answers by ID per flow, and the WannaCry kill-switch
 * detections (a query for a kill-switch domain; the domain resolved, which stops the worm).
 * Wire parsing lives in dns_records.c; docs/events.md lists the events, fields and sids.
 *
 * UDP: one message per datagram, recognised on any port by content (NetBIOS name service, which
 * shares the format, is left alone). TCP: on port 53 only, messages behind a two-byte length,
 * followed across segments (a message is parsed when complete; the glue caps what is held). After
 * a gap in a TCP direction the framing is lost and the direction is given up (counted).
 *
 * Caps per flow: MAX_PENDING queries awaiting their answer (the oldest is evicted, counted),
 * MAX_EVENTS events (the rest counted), MAX_ANSWERS answers listed in an event.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dissectors/dissector.h"
#include "dissectors/inspect.h"
#include "dns_records.h"
#include "output/alert.h"
#include "util/util.h"

#define MAX_PENDING 32
#define MAX_EVENTS 1024
#define MAX_ANSWERS 32
#define MAX_ADDRS 8       /* addresses named in a kill-switch answer alert */
#define MAX_QUERY_BUFS 16 /* question names of a query published as dns.query (more: the view's overflow) */

enum kind { K_KS_QUERY = 0, K_KS_RESOLVED, K__COUNT };

static const struct alert_info kinds[K__COUNT] = {
	[K_KS_QUERY] = {1, 9003001, 1, "KAGAMI DNS WannaCry kill-switch domain lookup", "trojan-activity", 1},
	[K_KS_RESOLVED] = {1, 9003002, 1, "KAGAMI DNS WannaCry kill-switch domain resolved (kill switch active: the worm stops)", "trojan-activity", 2},
};
static const char *const kind_events[K__COUNT] = {"dns.wannacry_killswitch_query", "dns.wannacry_killswitch_resolved"};

/* ------------------------------------------------------------------ per-run counters */

enum counter {
	C_MESSAGES = 0,
	C_QUERIES,
	C_ANSWERS,
	C_INVALID,
	C_TRUNCATED,
	C_UNMATCHED,
	C_PENDING_EVICTED,
	C_EVENTS_SUPPRESSED,
	C_ANSWERS_CAPPED,
	C_GAPS,
	C_ALERTS,
	C__COUNT
};

struct dns_run {
	bool tcp;
	uint64_t c[C__COUNT];
};

/* Stats keys: the UDP and TCP tables share the "dns" map, so their keys differ. */
static const char *const udp_keys[C__COUNT] = {
	"udp_messages", "udp_queries", "udp_answers", "udp_invalid_messages", "udp_truncated_messages",
	"udp_answers_unmatched", "udp_pending_evicted", "udp_events_suppressed", "udp_answer_lists_capped",
	"udp_gaps", "udp_alerts",
};
static const char *const tcp_keys[C__COUNT] = {
	"tcp_messages", "tcp_queries", "tcp_answers", "tcp_invalid_messages", "tcp_truncated_messages",
	"tcp_answers_unmatched", "tcp_pending_evicted", "tcp_events_suppressed", "tcp_answer_lists_capped",
	"tcp_gaps", "tcp_alerts",
};

static void cnt(struct app_ctx *ctx, enum counter k)
{
	struct dns_run *r = ctx->proto;
	if (r)
		r->c[k]++;
}

/* ------------------------------------------------------------------ per-flow state */

struct pending {
	bool used;
	uint16_t id;
	const char *killswitch; /* the query named a kill-switch domain */
	uint64_t seq;
};

struct dns_state {
	struct pending pend[MAX_PENDING];
	uint64_t seq;
	uint64_t tx_id;
	uint64_t ins_tx;          /* inspection transactions published */
	uint32_t events;
	bool alerted[K__COUNT];
	uint32_t kind_count[K__COUNT];
};

static void *dns_new(const struct app_ctx *ctx)
{
	(void)ctx;
	return kg_calloc(1, sizeof(struct dns_state), "dns flow state");
}

static void dns_free(void *state) { free(state); }

static void pending_add(struct dns_state *st, struct app_ctx *ctx, uint16_t id, const char *ks)
{
	struct pending *slot = NULL;
	for (size_t i = 0; i < MAX_PENDING && !slot; i++)
		if (!st->pend[i].used)
			slot = &st->pend[i];
	if (!slot) {
		slot = &st->pend[0];
		for (size_t i = 1; i < MAX_PENDING; i++)
			if (st->pend[i].seq < slot->seq)
				slot = &st->pend[i];
		cnt(ctx, C_PENDING_EVICTED);
	}
	slot->used = true;
	slot->id = id;
	slot->killswitch = ks;
	slot->seq = ++st->seq;
}

/* The oldest pending query with this ID, removed; false when none. */
static bool pending_take(struct dns_state *st, uint16_t id, struct pending *out)
{
	struct pending *best = NULL;
	for (size_t i = 0; i < MAX_PENDING; i++)
		if (st->pend[i].used && st->pend[i].id == id && (!best || st->pend[i].seq < best->seq))
			best = &st->pend[i];
	if (!best)
		return false;
	*out = *best;
	best->used = false;
	return true;
}

/* ------------------------------------------------------------------ events */

static struct event *dns_event(struct dns_state *st, struct app_ctx *ctx)
{
	if (st->events >= MAX_EVENTS) {
		cnt(ctx, C_EVENTS_SUPPRESSED);
		return NULL;
	}
	st->events++;
	struct event *ev = event_begin(ctx->em, "dns", ctx->ts_us);
	event_flow(ev, ctx->flow, ctx->dir);
	ev_map(ev, "dns");
	ev_u64(ev, "version", 2);
	return ev;
}

static void ev_rrtype(struct event *ev, const char *key, uint16_t type)
{
	const char *n = dns_type_name(type);
	if (n) {
		ev_str(ev, key, n);
	} else {
		char buf[16];
		snprintf(buf, sizeof(buf), "TYPE%u", (unsigned)type);
		ev_str(ev, key, buf);
	}
}

static void ev_rcode(struct event *ev, uint8_t rcode)
{
	const char *n = dns_rcode_name(rcode);
	if (n) {
		ev_str(ev, "rcode", n);
	} else {
		char buf[16];
		snprintf(buf, sizeof(buf), "RCODE%u", (unsigned)rcode);
		ev_str(ev, "rcode", buf);
	}
}

/* The first alert of its kind in the flow starts an alert event with a "dns" map open (the caller
 * adds evidence and calls alert_end); later ones are counted. */
static struct event *finding(struct dns_state *st, struct app_ctx *ctx, enum kind k)
{
	st->kind_count[k]++;
	app_raise_event(ctx, kind_events[k]);
	if (st->alerted[k])
		return NULL;
	st->alerted[k] = true;
	cnt(ctx, C_ALERTS);
	struct event *ev = alert_begin(ctx->em, ctx->flow, ctx->dir, ctx->ts_us, &kinds[k]);
	ev_map(ev, "dns");
	return ev;
}

static void alert_end(struct event *ev)
{
	ev_end_map(ev);
	event_end(ev);
}

/* The questions of a message, for the rules. */
struct dns_qnames {
	struct dns_name name[MAX_QUERY_BUFS];
	size_t n;
	bool more; /* the message had more questions than kept */
};

/* Publish a query as its own transaction (dissectors/inspect.h): every question name as a dns.query
 * buffer (dotted, no trailing dot, bytes as on the wire: Suricata's dns.query), the opcode as an
 * attribute, progress IP_DNS_QUERY. A response is not published: no buffer or attribute of the
 * table is read from it. */
static void publish_query(struct dns_state *st, struct app_ctx *ctx, const struct dns_hdr *h,
			  const struct dns_qnames *qn)
{
	struct inspect_tx v;
	inspect_tx_init(&v, "dns", st->ins_tx++, ctx->dir);
	for (size_t i = 0; i < qn->n; i++)
		inspect_add(&v, IB_DNS_QUERY, ctx->dir, qn->name[i].len ? qn->name[i].text : (const uint8_t *)"",
			    qn->name[i].len);
	v.overflow = qn->more;
	inspect_set_attr(&v, IA_DNS_OPCODE, dns_opcode(h));
	inspect_progress(&v, IP_DNS_QUERY, IP_DNS_QUERY);
	app_inspect(ctx, &v);
}

static void on_query(struct dns_state *st, struct app_ctx *ctx, const struct dns_hdr *h, const struct dns_question *q,
		     bool have_q, const struct dns_qnames *qn)
{
	publish_query(st, ctx, h, qn);
	cnt(ctx, C_QUERIES);
	const char *ks = have_q ? wannacry_killswitch(q->name.text, q->name.len) : NULL;
	pending_add(st, ctx, h->id, ks);
	struct event *ev = dns_event(st, ctx);
	if (ev) {
		ev_str(ev, "type", "query");
		ev_u64(ev, "id", h->id);
		ev_u64(ev, "tx_id", st->tx_id++);
		ev_u64(ev, "opcode", dns_opcode(h));
		ev_bool(ev, "rd", (h->flags & 0x0100) != 0);
		if (have_q) {
			ev_wirestr(ev, "rrname", q->name.text, q->name.len);
			ev_rrtype(ev, "rrtype", q->type);
		}
		ev_end_map(ev);
		event_end(ev);
	}
	if (ks) {
		struct event *a = finding(st, ctx, K_KS_QUERY);
		if (a) {
			ev_str(a, "type", "query");
			ev_u64(a, "id", h->id);
			ev_wirestr(a, "rrname", q->name.text, q->name.len);
			ev_rrtype(a, "rrtype", q->type);
			ev_str(a, "killswitch_domain", ks);
			alert_end(a);
		}
	}
}

static void on_answer(struct dns_state *st, struct app_ctx *ctx, const struct cursor *msg, struct cursor *c,
		      const struct dns_hdr *h, const struct dns_question *q, bool have_q)
{
	cnt(ctx, C_ANSWERS);
	struct pending p = {0};
	bool matched = pending_take(st, h->id, &p);
	if (!matched)
		cnt(ctx, C_UNMATCHED);
	const char *ks = have_q ? wannacry_killswitch(q->name.text, q->name.len) : NULL;
	if (!ks && matched)
		ks = p.killswitch;
	/* addresses of the answer section (for the kill-switch evidence) */
	uint8_t addrs[MAX_ADDRS][64];
	size_t addr_len[MAX_ADDRS];
	size_t naddrs = 0, total_addrs = 0;
	struct event *ev = dns_event(st, ctx);
	if (ev) {
		char flags[8];
		snprintf(flags, sizeof(flags), "%04x", (unsigned)h->flags);
		ev_str(ev, "type", "answer");
		ev_u64(ev, "id", h->id);
		ev_str(ev, "flags", flags);
		ev_bool(ev, "qr", true);
		ev_bool(ev, "aa", (h->flags & 0x0400) != 0);
		ev_bool(ev, "tc", (h->flags & 0x0200) != 0);
		ev_bool(ev, "rd", (h->flags & 0x0100) != 0);
		ev_bool(ev, "ra", (h->flags & 0x0080) != 0);
		ev_u64(ev, "opcode", dns_opcode(h));
		if (have_q) {
			ev_wirestr(ev, "rrname", q->name.text, q->name.len);
			ev_rrtype(ev, "rrtype", q->type);
		}
		ev_rcode(ev, dns_rcode(h));
		ev_bool(ev, "query_seen", matched);
	}
	bool listed = false, truncated = false;
	for (unsigned i = 0; i < h->ancount; i++) {
		struct dns_rr rr;
		enum cur_status s = dns_read_rr(msg, c, &rr);
		if (s != CUR_OK) {
			truncated = true;
			cnt(ctx, s == CUR_TRUNCATED ? C_TRUNCATED : C_INVALID);
			break;
		}
		uint8_t text[DNS_NAME_TEXT_MAX + 8];
		size_t tlen = 0;
		bool have_text = dns_rdata_text(msg, &rr, text, sizeof(text), &tlen) == CUR_OK;
		if (have_text && (rr.type == DNS_TYPE_A || rr.type == DNS_TYPE_AAAA)) {
			if (naddrs < MAX_ADDRS && tlen <= sizeof(addrs[0])) {
				memcpy(addrs[naddrs], text, tlen);
				addr_len[naddrs++] = tlen;
			}
			total_addrs++;
		}
		if (!ev)
			continue;
		if (i >= MAX_ANSWERS) {
			if (i == MAX_ANSWERS)
				cnt(ctx, C_ANSWERS_CAPPED);
			continue;
		}
		if (!listed) {
			ev_array(ev, "answers");
			listed = true;
		}
		ev_map(ev, NULL);
		ev_wirestr(ev, "rrname", rr.name.text, rr.name.len);
		ev_rrtype(ev, "rrtype", rr.type);
		ev_u64(ev, "ttl", rr.ttl);
		if (have_text)
			ev_wirestr(ev, "rdata", text, tlen);
		ev_end_map(ev);
	}
	if (ev) {
		if (listed)
			ev_end_array(ev);
		if (h->ancount > MAX_ANSWERS)
			ev_u64(ev, "answers_total", h->ancount);
		if (truncated)
			ev_bool(ev, "answers_truncated", true);
		ev_end_map(ev);
		event_end(ev);
	}
	if (ks && dns_rcode(h) == 0 && total_addrs) {
		struct event *a = finding(st, ctx, K_KS_RESOLVED);
		if (a) {
			ev_str(a, "type", "answer");
			ev_u64(a, "id", h->id);
			if (have_q) {
				ev_wirestr(a, "rrname", q->name.text, q->name.len);
				ev_rrtype(a, "rrtype", q->type);
			}
			ev_rcode(a, dns_rcode(h));
			ev_str(a, "killswitch_domain", ks);
			ev_array(a, "addresses");
			for (size_t i = 0; i < naddrs; i++)
				ev_wirestr(a, NULL, addrs[i], addr_len[i]);
			ev_end_array(a);
			alert_end(a);
		}
	}
}

/* One DNS message. false when it does not parse (counted). */
static bool on_message(struct dns_state *st, struct app_ctx *ctx, const uint8_t *data, size_t len)
{
	cnt(ctx, C_MESSAGES);
	struct cursor msg = cur_make(data, len), c = msg;
	struct dns_hdr h;
	if (dns_header(&c, &h) != CUR_OK) {
		cnt(ctx, C_TRUNCATED);
		return false;
	}
	struct dns_question q;
	bool have_q = false;
	struct dns_qnames qn;
	qn.n = 0;
	qn.more = false;
	/* the first question names the transaction in the events; the rules see every one */
	for (unsigned i = 0; i < h.qdcount; i++) {
		struct dns_question tmp;
		enum cur_status s = dns_read_question(&msg, &c, i == 0 ? &q : &tmp);
		if (s != CUR_OK) {
			cnt(ctx, s == CUR_TRUNCATED ? C_TRUNCATED : C_INVALID);
			if (i == 0)
				return false;
			break;
		}
		if (i == 0)
			have_q = true;
		if (qn.n < MAX_QUERY_BUFS)
			qn.name[qn.n++] = i == 0 ? q.name : tmp.name;
		else
			qn.more = true;
	}
	if (dns_is_response(&h))
		on_answer(st, ctx, &msg, &c, &h, &q, have_q);
	else
		on_query(st, ctx, &h, &q, have_q, &qn);
	return true;
}

/* ------------------------------------------------------------------ UDP */

static enum probe_result dns_udp_probe(const uint8_t *data, size_t len, enum flow_dir dir, unsigned flags)
{
	(void)dir;
	(void)flags;
	return dns_probe_message(data, len) == DNS_PROBE_YES ? PROBE_YES : PROBE_NO;
}

static enum app_status dns_udp_parse(void *state, struct app_ctx *ctx, const uint8_t *data, size_t len, unsigned flags,
				     size_t *consumed)
{
	*consumed = len;
	if (flags & APP_FLAG_EOF)
		return APP_OK;
	return on_message(state, ctx, data, len) ? APP_OK : APP_ERROR;
}

/* ------------------------------------------------------------------ TCP */

static enum probe_result dns_tcp_probe(const uint8_t *data, size_t len, enum flow_dir dir, unsigned flags)
{
	(void)dir;
	struct cursor c = cur_make(data, len);
	uint16_t n;
	if (flags & PROBE_F_MIDSTREAM)
		return PROBE_NO;
	if (!cur_be16(&c, &n))
		return PROBE_MORE;
	if (n < DNS_HDR_LEN)
		return PROBE_NO;
	struct cursor m;
	if (cur_sub(&c, n, &m))
		return dns_probe_message(cur_data(&m), cur_len(&m)) == DNS_PROBE_YES ? PROBE_YES : PROBE_NO;
	/* incomplete: a plausible header asks for more */
	struct dns_hdr h;
	if (dns_header(&c, &h) != CUR_OK)
		return PROBE_MORE;
	uint8_t op = dns_opcode(&h);
	if (h.qdcount == 0 || h.qdcount > 16 || op == 3 || op > 6)
		return PROBE_NO;
	return PROBE_MORE;
}

static enum app_status dns_tcp_parse(void *state, struct app_ctx *ctx, const uint8_t *data, size_t len, unsigned flags,
				     size_t *consumed)
{
	struct dns_state *st = state;
	*consumed = 0;
	if (flags & APP_FLAG_GAP) {
		cnt(ctx, C_GAPS);
		return APP_ERROR; /* the length framing is lost */
	}
	struct cursor c = cur_make(data, len);
	for (;;) {
		struct cursor t = c, m;
		uint16_t n;
		if (!cur_be16(&t, &n) || !cur_sub(&t, n, &m))
			break; /* wait for the rest of the message */
		if (!on_message(st, ctx, cur_data(&m), cur_len(&m)))
			cnt(ctx, C_INVALID); /* framing intact: go on with the next message */
		c = t;
		*consumed = len - cur_len(&c);
	}
	if ((flags & APP_FLAG_EOF) && !cur_empty(&c))
		cnt(ctx, C_TRUNCATED);
	return APP_OK;
}

/* ------------------------------------------------------------------ per-run object and tables */

static void *dns_udp_run_new(void) { return kg_calloc(1, sizeof(struct dns_run), "dns run"); }

static void *dns_tcp_run_new(void)
{
	struct dns_run *r = kg_calloc(1, sizeof(struct dns_run), "dns run");
	r->tcp = true;
	return r;
}

static void dns_run_free(void *p) { free(p); }

static void dns_stats(void *proto, struct event *ev)
{
	const struct dns_run *r = proto;
	if (!r)
		return;
	const char *const *keys = r->tcp ? tcp_keys : udp_keys;
	for (int i = 0; i < C__COUNT; i++)
		ev_u64(ev, keys[i], r->c[i]);
}

static const uint16_t dns_ports[] = {53, 0};

const struct dissector dns_udp_dissector = {
	.name = "dns",
	.ipproto = 17,
	.ports = dns_ports,
	.ports_only = false,
	.probe = dns_udp_probe,
	.state_new = dns_new,
	.state_free = dns_free,
	.parse_ts = dns_udp_parse,
	.parse_tc = dns_udp_parse,
	.proto_new = dns_udp_run_new,
	.proto_free = dns_run_free,
	.stats = dns_stats,
};

const struct dissector dns_tcp_dissector = {
	.name = "dns",
	.ipproto = 6,
	.ports = dns_ports,
	.ports_only = true, /* a length prefix is too weak a signature on other ports */
	.probe = dns_tcp_probe,
	.state_new = dns_new,
	.state_free = dns_free,
	.parse_ts = dns_tcp_parse,
	.parse_tc = dns_tcp_parse,
	.proto_new = dns_tcp_run_new,
	.proto_free = dns_run_free,
	.stats = dns_stats,
};
