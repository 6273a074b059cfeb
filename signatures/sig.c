/* sig.c - signature matching engine module: Aho-Corasick prefilter, then per-rule verification
 * of header, flow, flowbits, payload keywords (Suricata semantics for content offset/depth/
 * distance/within, pcre, byte_test/byte_jump/byte_extract, isdataat, dsize), thresholds and
 * app-layer events; alerts in EVE form (sensor/alert.h). */
#include "config.h"

#include "sig.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "ac.h"
#include "decode/cursor.h"
#include "dissectors/dissector.h"
#include "engine/applayer.h"
#include "output/alert.h"
#include "output/event.h"
#include "util/util.h"

#define SIG_TAIL 512           /* stream bytes kept per direction so a match may straddle deliveries */
#define SIG_JOIN_NEW 512       /* new bytes joined to the tail for the straddling pass */
#define SIG_MAX_THR 16         /* threshold/detection_filter entries per flow */
#define SIG_STEP_BUDGET 4096   /* content match attempts per rule evaluation */
#define SIG_MAX_EVENTS 16      /* app-layer events looked at per packet */
#define SIG_EXCERPT 64         /* payload bytes quoted in an alert */
#define SIG_MAX_FLOW_STATES 131072 /* per-flow states held at once (about 1.4 KiB each) */
#define SIG_VAR_MAX 0xffffffffu /* byte_extract values are clamped to 32 bits */
#define SIG_PENDING_MAX 16384  /* bytes of a chunk kept for the deferred app-protocol rules */
#define SIG_PCRE_MATCH_LIMIT 100000
#define SIG_PCRE_DEPTH_LIMIT 10000

const char *sig_strerror(int err)
{
	switch (err) {
	case SIG_OK: return "success";
	case SIG_ERR_RULES: return "rules could not be loaded";
	case SIG_ERR_EMPTY: return "no rules";
	default: return "unknown signature error";
	}
}

struct thr_ent {
	uint32_t rule;
	uint32_t count;
	int64_t start_us;
};

/* Per-flow state (flow->sig). */
struct sig_flow {
	uint32_t gen;                /* rule set generation the bits belong to */
	uint8_t *bits;
	size_t nbits_bytes;
	struct thr_ent thr[SIG_MAX_THR];
	uint32_t nthr;
	uint8_t tail[2][SIG_TAIL];
	uint32_t tail_len[2];
	uint64_t stream_off[2];      /* stream bytes delivered before the current chunk */
	uint64_t gap_bytes[2];       /* f->gap_bytes[dir] when the tail was last extended */
};

struct sig_stats {
	uint64_t packets, stream_chunks, stream_chunks_skipped, evaluated, candidates, alerts, suppressed, step_limit, passed;
	uint64_t flow_states, flow_states_active, flow_states_capped, thr_full, reloads, reload_failures;
	uint64_t deferred, deferred_truncated;
};

struct sig {
	struct rule_set *rs;
	uint32_t gen;
	struct emitter *em;
	pcre2_match_data *md;
	pcre2_match_context *mc;
	uint32_t *mark;              /* per rule: epoch when it became a candidate */
	uint32_t *fired;             /* per rule: epoch when it alerted or matched (per chunk) */
	uint32_t epoch;               /* candidate marks */
	uint32_t fepoch;              /* fired marks */
	uint32_t *cands;
	size_t ncands;
	bool has_stream_rules;
	bool has_app_rules;          /* rules naming tls or smb in their header */
	bool has_generic_stream;     /* stream rules with no app in their header (tcp, ip) */
	bool app_tls, app_smb, app_dns, app_http; /* stream rules naming tls, smb, dns, http */
	uint64_t stream_app_ids;     /* bit app_id set: a stream rule names that dissector's app */
	uint8_t *join;
	/* a stream chunk delivered before the app layer had recognised the flow: the app rules
	 * run on it in packet_done, once the dissector had its turn (SIG_PENDING_MAX bytes kept) */
	uint8_t *pend;
	size_t pend_len;
	struct flow *pend_f;
	enum flow_dir pend_dir;
	int64_t pend_ts;
	uint64_t pend_off;
	struct sig_stats st;
};

/* ---------------------------------------------------------------- loading */

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int sig_load(struct rule_set **out, const struct sig_load_cfg *cfg, const char *const *paths, size_t npaths,
	     char *errbuf, size_t errlen)
{
	*out = NULL;
	int64_t t0 = mono_us();
	struct rule_set *rs = rule_set_new();
	struct rule_parse_cfg pc = {.var = cfg->var, .var_ctx = cfg->var_ctx, .lax = cfg->lax, .warn = cfg->warn};
	for (size_t i = 0; i < npaths; i++) {
		if (rule_parse_path(rs, &pc, paths[i], errbuf, errlen) != RULE_OK) {
			rule_set_free(rs);
			return SIG_ERR_RULES;
		}
	}
	if (rule_set_compile(rs, errbuf, errlen) != RULE_OK) {
		rule_set_free(rs);
		return SIG_ERR_RULES;
	}
	rs->load_us = mono_us() - t0;
	*out = rs;
	return SIG_OK;
}

static void size_for(struct sig *s)
{
	size_t n = s->rs->n ? s->rs->n : 1;
	free(s->mark);
	free(s->fired);
	free(s->cands);
	s->mark = kg_calloc(n, sizeof(uint32_t), "signature marks");
	s->fired = kg_calloc(n, sizeof(uint32_t), "signature marks");
	s->cands = kg_malloc(n * sizeof(uint32_t), "signature candidates");
	s->epoch = 0;
	s->fepoch = 0;
	s->has_stream_rules = false;
	s->has_app_rules = false;
	s->has_generic_stream = false;
	s->app_tls = s->app_smb = s->app_dns = s->app_http = false;
	s->pend_f = NULL;
	for (size_t i = 0; i < s->rs->n; i++) {
		const struct rule *r = s->rs->rules[i];
		if (rule_is_stream(r)) {
			s->has_stream_rules = true;
			if (!strcmp(r->app, "tls") || !strcmp(r->app, "smb"))
				s->has_app_rules = true;
			if (!r->app[0])
				s->has_generic_stream = true;
			s->app_tls |= !strcmp(r->app, "tls");
			s->app_smb |= !strcmp(r->app, "smb");
			s->app_dns |= !strcmp(r->app, "dns");
			s->app_http |= !strcmp(r->app, "http");
		}
	}
	/* once per rule load, so that a chunk's test is a bit test on the flow's app_id */
	s->stream_app_ids = 0;
	for (size_t i = 0; i < dissector_count && i + 1 < 64; i++) {
		const char *dn = dissector_registry[i]->name;
		if ((s->app_tls && !strcmp(dn, "tls")) || (s->app_smb && !strcmp(dn, "smb")) ||
		    (s->app_http && !strcmp(dn, "http")))
			s->stream_app_ids |= UINT64_C(1) << (i + 1);
	}
}

int sig_new(struct sig **out, struct rule_set *rs, struct emitter *em, char *errbuf, size_t errlen)
{
	struct sig *s = kg_calloc(1, sizeof(*s), "signature engine");
	s->md = pcre2_match_data_create(64, NULL);
	s->mc = pcre2_match_context_create(NULL);
	if (!s->md || !s->mc) {
		snprintf(errbuf, errlen, "pcre2: out of memory");
		pcre2_match_data_free(s->md);
		pcre2_match_context_free(s->mc);
		free(s);
		rule_set_free(rs);
		return SIG_ERR_RULES;
	}
	/* hostile payloads must not make a regex run away: failures past the limits are no match */
	pcre2_set_match_limit(s->mc, SIG_PCRE_MATCH_LIMIT);
	pcre2_set_depth_limit(s->mc, SIG_PCRE_DEPTH_LIMIT);
	s->rs = rs;
	s->em = em;
	s->gen = 1;
	s->join = kg_malloc(SIG_TAIL + SIG_JOIN_NEW, "signature stream join");
	s->pend = kg_malloc(SIG_PENDING_MAX, "signature pending chunk");
	size_for(s);
	*out = s;
	return SIG_OK;
}

void sig_free(struct sig *s)
{
	if (!s)
		return;
	rule_set_free(s->rs);
	pcre2_match_data_free(s->md);
	pcre2_match_context_free(s->mc);
	free(s->mark);
	free(s->fired);
	free(s->cands);
	free(s->join);
	free(s->pend);
	free(s);
}

void sig_swap(struct sig *s, struct rule_set *rs)
{
	rule_set_free(s->rs);
	s->rs = rs;
	s->gen++;
	s->st.reloads++;
	size_for(s);
}

const struct rule_set *sig_rules(const struct sig *s) { return s->rs; }

static void reload_event(struct sig *s, const char *status, const char *why, int64_t ts_us)
{
	struct event *ev = event_begin(s->em, "signatures", ts_us);
	ev_map(ev, "signatures");
	ev_str(ev, "reload", status);
	if (why)
		ev_str(ev, "error", why);
	ev_u64(ev, "rules", s->rs->n);
	ev_u64(ev, "rules_skipped", s->rs->skipped);
	ev_end_map(ev);
	(void)event_end(ev);
}

void sig_reload_failed(struct sig *s, const char *why, int64_t ts_us)
{
	s->st.reload_failures++;
	reload_event(s, "failed", why, ts_us);
}

void sig_reload_done(struct sig *s, int64_t ts_us) { reload_event(s, "ok", NULL, ts_us); }

/* ---------------------------------------------------------------- per-flow state */

/* The flow's state, created on first use; NULL when SIG_MAX_FLOW_STATES are held (counted:
 * the flow then gets no flowbits, thresholds or cross-segment matches). */
static struct sig_flow *flow_state(struct sig *s, struct flow *f)
{
	struct sig_flow *fs = f->sig;
	if (!fs) {
		if (s->st.flow_states_active >= SIG_MAX_FLOW_STATES) {
			s->st.flow_states_capped++;
			return NULL;
		}
		fs = kg_calloc(1, sizeof(*fs), "signature flow state");
		fs->gen = s->gen;
		f->sig = fs;
		s->st.flow_states++;
		s->st.flow_states_active++;
	}
	if (fs->gen != s->gen) {
		/* the rule set changed: bit numbers and rule indexes mean something else now */
		free(fs->bits);
		fs->bits = NULL;
		fs->nbits_bytes = 0;
		fs->nthr = 0;
		fs->gen = s->gen;
	}
	size_t need = (s->rs->nflowbits + 7) / 8;
	if (need && !fs->bits) {
		fs->bits = kg_calloc(need, 1, "signature flowbits");
		fs->nbits_bytes = need;
	}
	return fs;
}

static bool bit_get(const struct sig_flow *fs, unsigned b)
{
	return fs->bits && b / 8 < fs->nbits_bytes && (fs->bits[b / 8] >> (b % 8)) & 1;
}

static void bit_put(struct sig_flow *fs, unsigned b, bool v)
{
	if (!fs->bits || b / 8 >= fs->nbits_bytes)
		return;
	if (v)
		fs->bits[b / 8] |= (uint8_t)(1u << (b % 8));
	else
		fs->bits[b / 8] &= (uint8_t)~(1u << (b % 8));
}

/* ---------------------------------------------------------------- payload matching */

struct mctx {
	const uint8_t *buf;
	size_t len;
	uint64_t vars[RULE_MAX_VARS];
	int budget;
	size_t min_start, max_end;  /* span of the positive matches */
	pcre2_match_data *md;
	pcre2_match_context *mc;
};

static int64_t rval(const struct mctx *m, struct rnum n) { return n.var >= 0 ? (int64_t)m->vars[n.var] : n.v; }

static uint64_t clamp_var(uint64_t v) { return v > SIG_VAR_MAX ? SIG_VAR_MAX : v; }

static bool eq_bytes(const uint8_t *a, const uint8_t *b, size_t n, bool nocase)
{
	if (!nocase)
		return memcmp(a, b, n) == 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t x = a[i], y = b[i];
		if (x >= 'A' && x <= 'Z')
			x = (uint8_t)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (uint8_t)(y + 32);
		if (x != y)
			return false;
	}
	return true;
}

/* Read a number as byte_test/jump/extract describe it, at absolute offset off. */
static bool read_num(const struct mctx *m, const struct byte_read *br, int64_t off, uint64_t *out)
{
	if (off < 0)
		return false;
	struct cursor c = cur_make(m->buf, m->len), w;
	if (!cur_window(&c, (size_t)off, br->nbytes, &w))
		return false;
	uint64_t v = 0;
	if (br->string) {
		char txt[11];
		if (!cur_copy(&w, txt, br->nbytes))
			return false;
		txt[br->nbytes] = '\0';
		char *end;
		unsigned long long x = strtoull(txt, &end, br->base);
		if (end == txt)
			return false;
		v = x;
	} else {
		for (unsigned i = 0; i < br->nbytes; i++) {
			uint8_t b;
			if (!cur_u8(&w, &b))
				return false;
			if (br->little)
				v |= (uint64_t)b << (8 * i);
			else
				v = v << 8 | b;
		}
	}
	if (br->bitmask) {
		v &= br->bitmask;
		uint64_t mk = br->bitmask;
		while (!(mk & 1)) {
			mk >>= 1;
			v >>= 1;
		}
	}
	*out = v;
	return true;
}

static bool match_ops(const struct rule *r, size_t i, size_t pos, struct mctx *m);

static bool match_content(const struct rule *r, size_t i, size_t pos, struct mctx *m)
{
	const struct rule_op *op = &r->ops[i];
	int64_t ws, we;
	if (op->u.content.relative) {
		int64_t dist = op->u.content.has_distance ? rval(m, op->u.content.distance) : 0;
		ws = (int64_t)pos + dist;
		we = op->u.content.has_within ? (int64_t)pos + dist + rval(m, op->u.content.within) : (int64_t)m->len;
		if (ws < 0)
			ws = 0;
	} else {
		ws = op->u.content.has_offset ? rval(m, op->u.content.offset) : 0;
		we = op->u.content.has_depth ? ws + rval(m, op->u.content.depth) : (int64_t)m->len;
	}
	if (we > (int64_t)m->len)
		we = (int64_t)m->len;
	const size_t plen = op->u.content.len;
	bool found = false;
	if (ws >= 0 && we - ws >= (int64_t)plen) {
		struct cursor c = cur_make(m->buf, m->len), w;
		if (!cur_window(&c, (size_t)ws, (size_t)(we - ws), &w))
			return false;
		const uint8_t *d = cur_data(&w);
		size_t dl = cur_len(&w);
		for (size_t k = 0; k + plen <= dl; k++) {
			if (!eq_bytes(d + k, op->u.content.pat, plen, op->u.content.nocase))
				continue;
			if (op->u.content.neg) {
				found = true;
				break;
			}
			if (--m->budget <= 0)
				return false;
			size_t start = (size_t)ws + k, end = start + plen;
			size_t ms = m->min_start, me = m->max_end;
			if (start < m->min_start)
				m->min_start = start;
			if (end > m->max_end)
				m->max_end = end;
			if (match_ops(r, i + 1, end, m))
				return true;
			m->min_start = ms;
			m->max_end = me;
		}
	}
	if (op->u.content.neg)
		return !found && match_ops(r, i + 1, pos, m);
	return false;
}

/* Contract: every op from i on matches with the detection position at pos. */
static bool match_ops(const struct rule *r, size_t i, size_t pos, struct mctx *m)
{
	if (i == r->nops)
		return true;
	if (m->budget <= 0)
		return false;
	const struct rule_op *op = &r->ops[i];
	switch (op->kind) {
	case OP_CONTENT:
		return match_content(r, i, pos, m);
	case OP_PCRE: {
		size_t start = op->u.pcre.relative ? pos : 0;
		if (start > m->len)
			return false;
		m->budget -= 16;
		int rc = pcre2_match(op->u.pcre.code, m->buf + start, m->len - start, 0, 0, m->md, m->mc);
		if (op->u.pcre.neg)
			return rc < 0 && match_ops(r, i + 1, pos, m);
		if (rc < 0)
			return false;
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
		size_t ms = start + ov[0], me = start + ov[1];
		if (ms < m->min_start)
			m->min_start = ms;
		if (me > m->max_end)
			m->max_end = me;
		return match_ops(r, i + 1, me, m);
	}
	case OP_BYTE_TEST: {
		int64_t off = (op->u.bt.r.relative ? (int64_t)pos : 0) + rval(m, op->u.bt.r.offset);
		uint64_t v;
		if (!read_num(m, &op->u.bt.r, off, &v))
			return false;
		uint64_t x = (uint64_t)rval(m, op->u.bt.value);
		bool ok;
		switch (op->u.bt.op) {
		case BT_LT: ok = v < x; break;
		case BT_GT: ok = v > x; break;
		case BT_EQ: ok = v == x; break;
		case BT_LE: ok = v <= x; break;
		case BT_GE: ok = v >= x; break;
		case BT_AND: ok = (v & x) != 0; break;
		case BT_XOR: ok = (v ^ x) != 0; break;
		default: ok = false; break;
		}
		if (op->u.bt.neg)
			ok = !ok;
		return ok && match_ops(r, i + 1, pos, m);
	}
	case OP_BYTE_JUMP: {
		int64_t off = (op->u.bj.r.relative ? (int64_t)pos : 0) + rval(m, op->u.bj.r.offset);
		uint64_t v;
		if (!read_num(m, &op->u.bj.r, off, &v) || v > UINT32_MAX)
			return false;
		v *= op->u.bj.multiplier;
		if (op->u.bj.align && v % 4)
			v += 4 - v % 4;
		int64_t np = (op->u.bj.from_beginning ? 0 : off + op->u.bj.r.nbytes) + (int64_t)v + op->u.bj.post_offset;
		if (np < 0 || np > (int64_t)m->len)
			return false;
		return match_ops(r, i + 1, (size_t)np, m);
	}
	case OP_BYTE_EXTRACT: {
		int64_t off = (op->u.be.r.relative ? (int64_t)pos : 0) + op->u.be.r.offset.v;
		uint64_t v;
		if (!read_num(m, &op->u.be.r, off, &v))
			return false;
		v = clamp_var(v) * op->u.be.multiplier;
		if (op->u.be.align && v % op->u.be.align)
			v += op->u.be.align - v % op->u.be.align;
		uint64_t saved = m->vars[op->u.be.var];
		m->vars[op->u.be.var] = clamp_var(v);
		if (match_ops(r, i + 1, (size_t)(off + op->u.be.r.nbytes), m))
			return true;
		m->vars[op->u.be.var] = saved;
		return false;
	}
	case OP_ISDATAAT: {
		int64_t at = (op->u.isdataat.relative ? (int64_t)pos : 0) + rval(m, op->u.isdataat.n);
		bool ok = at < (int64_t)m->len;
		if (op->u.isdataat.neg)
			ok = !ok;
		return ok && match_ops(r, i + 1, pos, m);
	}
	}
	return false;
}

bool sig_payload_match(struct sig *s, const struct rule *r, const uint8_t *buf, size_t len, size_t *start,
		       size_t *end)
{
	struct mctx m = {
		.buf = buf, .len = len, .budget = SIG_STEP_BUDGET, .min_start = SIZE_MAX, .md = s->md, .mc = s->mc};
	bool ok = match_ops(r, 0, 0, &m);
	*start = m.min_start == SIZE_MAX ? 0 : m.min_start;
	*end = m.max_end;
	return ok;
}

/* ---------------------------------------------------------------- rule checks */

struct insp {
	struct flow *f;
	enum flow_dir dir;
	int64_t ts_us;
	const uint8_t *buf;
	size_t len;
	bool stream;
	size_t straddle;     /* stream join pass: the match must span this offset (0 = any) */
	uint64_t base_off;   /* stream offset of buf[0] */
	bool no_stream_off;  /* the flow has no state: base_off unknown */
	bool app_only;       /* deferred chunk: only the rules naming tls/smb */
	bool app_skip;       /* the app layer has not decided yet: skip the rules naming tls/smb */
	size_t dsize;        /* packet payload size (packet pass) */
	const char *app_event;
};

static bool flow_established(const struct flow *f)
{
	if (f->proto == 6)
		return f->tcp_state == TCPT_ESTABLISHED || f->tcp_state == TCPT_FIN_WAIT ||
		       (f->tcp_state == TCPT_NONE && f->pkts[0] && f->pkts[1]);
	return f->pkts[0] && f->pkts[1];
}

static bool proto_ok(const struct rule *r, const struct flow *f)
{
	switch (r->proto) {
	case RP_TCP:
		if (f->proto != 6)
			return false;
		break;
	case RP_UDP:
		if (f->proto != 17)
			return false;
		break;
	case RP_ICMP:
		if (f->proto != 1 && f->proto != 58)
			return false;
		break;
	case RP_IP: break;
	}
	if (!r->app[0])
		return true;
	if (!strcmp(r->app, "dns"))
		return (f->proto == 6 || f->proto == 17) && (f->cport == 53 || f->sport == 53);
	if (!strcmp(r->app, "http")) {
		const char *n = applayer_proto_name(f);
		if (n && !strcmp(n, "http"))
			return true;
		return f->sport == 80 || f->sport == 8080 || f->sport == 8000;
	}
	const char *n = applayer_proto_name(f);
	return n && !strcmp(n, r->app);
}

static bool header_ok(const struct rule *r, const struct flow *f, enum flow_dir dir)
{
	const uint8_t *src, *dst;
	uint16_t sp, dp;
	flow_endpoints(f, dir, &src, &sp, &dst, &dp);
	int fam = f->family;
	if (addr_set_match(r->src, fam, src) && addr_set_match(r->dst, fam, dst) && port_set_match(r->sport, sp) &&
	    port_set_match(r->dport, dp))
		return true;
	if (r->bidir && addr_set_match(r->src, fam, dst) && addr_set_match(r->dst, fam, src) &&
	    port_set_match(r->sport, dp) && port_set_match(r->dport, sp))
		return true;
	return false;
}

static bool flow_ok(const struct rule *r, const struct flow *f, enum flow_dir dir)
{
	if ((r->flow & RF_TO_SERVER) && dir != DIR_TO_SERVER)
		return false;
	if ((r->flow & RF_TO_CLIENT) && dir != DIR_TO_CLIENT)
		return false;
	if ((r->flow & RF_ESTABLISHED) && !flow_established(f))
		return false;
	if ((r->flow & RF_NOT_ESTABLISHED) && flow_established(f))
		return false;
	return true;
}

static bool flowbits_ok(const struct rule *r, const struct sig_flow *fs)
{
	for (size_t i = 0; i < r->nflowbits; i++) {
		const struct flowbit_op *fb = &r->flowbits[i];
		if (fb->cmd == FB_ISSET && !(fs && bit_get(fs, fb->bit)))
			return false;
		if (fb->cmd == FB_ISNOTSET && fs && bit_get(fs, fb->bit))
			return false;
	}
	return true;
}

static void flowbits_apply(const struct rule *r, struct sig_flow *fs)
{
	for (size_t i = 0; i < r->nflowbits; i++) {
		const struct flowbit_op *fb = &r->flowbits[i];
		if (fb->cmd == FB_SET)
			bit_put(fs, fb->bit, true);
		else if (fb->cmd == FB_UNSET)
			bit_put(fs, fb->bit, false);
		else if (fb->cmd == FB_TOGGLE)
			bit_put(fs, fb->bit, !bit_get(fs, fb->bit));
	}
}

/* One counter per (flow, rule, kind); false = the cap is reached (counted, not throttled). */
static struct thr_ent *thr_entry(struct sig *s, struct sig_flow *fs, uint32_t key, int64_t now)
{
	for (uint32_t i = 0; i < fs->nthr; i++)
		if (fs->thr[i].rule == key)
			return &fs->thr[i];
	if (fs->nthr >= SIG_MAX_THR) {
		s->st.thr_full++;
		return NULL;
	}
	struct thr_ent *t = &fs->thr[fs->nthr++];
	t->rule = key;
	t->count = 0;
	t->start_us = now;
	return t;
}

/* Suricata's threshold semantics within one flow; true = alert. */
static bool thr_pass(struct sig *s, struct sig_flow *fs, uint32_t key, enum thr_type type, uint32_t count,
		     uint32_t seconds, int64_t now)
{
	struct thr_ent *t = thr_entry(s, fs, key, now);
	if (!t)
		return true;
	if (now - t->start_us >= (int64_t)seconds * 1000000) {
		t->start_us = now;
		t->count = 0;
	}
	t->count++;
	switch (type) {
	case THR_LIMIT: return t->count <= count;
	case THR_THRESHOLD:
		if (t->count >= count) {
			t->count = 0;
			return true;
		}
		return false;
	case THR_BOTH: return t->count == count;
	case THR_DETECTION_FILTER: return t->count > count;
	default: return true;
	}
}

static void emit_alert(struct sig *s, const struct rule *r, const struct insp *in, const struct mctx *m)
{
	struct alert_info ai = {.gid = r->gid,
				.sid = r->sid,
				.rev = r->rev,
				.signature = r->msg,
				.category = r->classtype ? r->classtype : "",
				.severity = rule_severity(r)};
	struct event *ev = alert_begin(s->em, in->f, in->dir, in->ts_us, &ai);
	ev_map(ev, "rule");
	ev_str(ev, "file", r->file);
	ev_u64(ev, "line", r->line);
	ev_str(ev, "inspected", in->app_event && !r->needs_payload ? "app_event" : in->stream ? "stream" : "packet");
	if (in->app_event)
		ev_str(ev, "app_event", in->app_event);
	if (m && m->max_end > 0 && m->min_start <= m->max_end) {
		ev_u64(ev, "match_offset", m->min_start);
		ev_u64(ev, "match_length", m->max_end - m->min_start);
		if (in->stream && !in->no_stream_off)
			ev_u64(ev, "stream_offset", in->base_off + m->min_start);
		struct cursor c = cur_make(in->buf, in->len), w;
		size_t n = KG_MIN((size_t)SIG_EXCERPT, in->len - m->min_start);
		if (cur_window(&c, m->min_start, n, &w))
			ev_hex(ev, "payload_excerpt", cur_data(&w), cur_len(&w));
	}
	ev_end_map(ev);
	(void)event_end(ev);
	s->st.alerts++;
}

/* Full verification of one candidate rule; alerts and applies its flowbits. True when it
 * matched (even if a threshold withheld its alert). */
static bool eval_rule(struct sig *s, const struct rule *r, const struct insp *in)
{
	s->st.evaluated++;
	if (!proto_ok(r, in->f) || !flow_ok(r, in->f, in->dir) || !header_ok(r, in->f, in->dir))
		return false;
	struct sig_flow *fs = in->f->sig;
	if (!flowbits_ok(r, fs))
		return false;
	if (r->has_dsize) {
		size_t d = in->dsize;
		bool ok;
		switch (r->dsize_op) {
		case 0: ok = d == r->dsize_lo; break;
		case 1: ok = d < r->dsize_lo; break;
		case 2: ok = d > r->dsize_lo; break;
		case 3: ok = d > r->dsize_lo && d < r->dsize_hi; break;
		default: ok = d != r->dsize_lo; break;
		}
		if (!ok)
			return false;
	}
	struct mctx m = {.buf = in->buf,
			 .len = in->len,
			 .budget = SIG_STEP_BUDGET,
			 .min_start = SIZE_MAX,
			 .md = s->md,
			 .mc = s->mc};
	if (r->nops) {
		if (!match_ops(r, 0, 0, &m)) {
			if (m.budget <= 0)
				s->st.step_limit++;
			return false;
		}
		if (in->straddle && !(m.min_start < in->straddle && m.max_end > in->straddle))
			return false;
	}
	s->fired[r->index] = s->fepoch;
	if (r->nflowbits) {
		fs = flow_state(s, in->f);
		if (fs)
			flowbits_apply(r, fs);
	}
	if (r->noalert || r->action == ACT_PASS)
		return true;
	if (r->thr != THR_NONE || r->df != THR_NONE) {
		fs = flow_state(s, in->f);
		bool ok = true;
		if (!fs)
			goto alert;
		if (r->df != THR_NONE)
			ok = thr_pass(s, fs, r->index * 2 + 1, THR_DETECTION_FILTER, r->df_count, r->df_seconds, in->ts_us);
		if (ok && r->thr != THR_NONE)
			ok = thr_pass(s, fs, r->index * 2, r->thr, r->thr_count, r->thr_seconds, in->ts_us);
		if (!ok) {
			s->st.suppressed++;
			return true;
		}
	}
alert:
	emit_alert(s, r, in, r->nops ? &m : NULL);
	return true;
}

static int on_fp(void *ctx, uint32_t id, size_t end)
{
	(void)end;
	struct sig *s = ctx;
	if (s->mark[id] != s->epoch) {
		s->mark[id] = s->epoch;
		s->cands[s->ncands++] = id;
	}
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Is rule r inspected on this kind of buffer for flow f? */
static bool path_ok(const struct rule *r, const struct insp *in)
{
	if (r->app_event)
		return in->app_event && !in->stream && !strcmp(r->app_event, in->app_event);
	if (in->app_event)
		return false;
	bool stream_rule = in->f->proto == 6 && rule_is_stream(r);
	if (in->stream) {
		bool app = !strcmp(r->app, "tls") || !strcmp(r->app, "smb");
		if ((in->app_only && !app) || (in->app_skip && app))
			return false;
		return stream_rule;
	}
	if (stream_rule || (r->flow & RF_ONLY_STREAM))
		return false;
	return true;
}

/* Prefilter then verify every candidate, in rule order. new_chunk: a new packet or stream
 * delivery starts (a rule alerts at most once per chunk, whichever pass matches it). */
static void inspect(struct sig *s, const struct insp *in, bool new_chunk)
{
	const struct rule_set *rs = s->rs;
	size_t nr = rs->n ? rs->n : 1;
	if (++s->epoch == 0) {
		memset(s->mark, 0, nr * sizeof(uint32_t));
		s->epoch = 1;
	}
	if (new_chunk && ++s->fepoch == 0) {
		memset(s->fired, 0, nr * sizeof(uint32_t));
		s->fepoch = 1;
	}
	s->ncands = 0;
	const struct rule_group *g = &rs->grp[in->app_event ? RG_APP_EVENT
					      : in->stream  ? RG_TCP_STREAM
					      : in->f->proto == 6 ? RG_TCP_PACKET
								  : RG_OTHER_PACKET];
	for (size_t i = 0; i < g->nnofp; i++) {
		s->mark[g->nofp[i]] = s->epoch;
		s->cands[s->ncands++] = g->nofp[i];
	}
	if (in->len && g->ac && !in->app_event)
		ac_scan(g->ac, in->buf, in->len, on_fp, s);
	s->st.candidates += s->ncands;
	qsort(s->cands, s->ncands, sizeof(uint32_t), cmp_u32);
	/* pass rules first (Suricata's action order): one that matches ends the inspection */
	for (int round = rs->has_pass ? 0 : 1; round < 2; round++) {
		for (size_t i = 0; i < s->ncands; i++) {
			const struct rule *r = rs->rules[s->cands[i]];
			if ((r->action == ACT_PASS) != (round == 0))
				continue;
			if (s->fired[r->index] == s->fepoch || !path_ok(r, in))
				continue;
			if (eval_rule(s, r, in) && round == 0) {
				s->st.passed++;
				return;
			}
		}
	}
}

/* ---------------------------------------------------------------- module callbacks */

static void sig_packet_done(void *ctx, struct engine *e, const struct packet *pkt, struct flow *f,
			    enum flow_dir dir)
{
	(void)e;
	struct sig *s = ctx;
	if (!s->rs->n)
		return;
	if (s->pend_f) {
		if (s->pend_f == f && applayer_proto_name(f)) {
			struct insp pin = {.f = f, .dir = s->pend_dir, .ts_us = s->pend_ts, .buf = s->pend,
					   .len = s->pend_len, .stream = true, .base_off = s->pend_off,
					   .no_stream_off = f->sig == NULL, .app_only = true};
			s->st.deferred++;
			inspect(s, &pin, true);
		}
		s->pend_f = NULL;
	}
	s->st.packets++;
	struct insp in = {.f = f, .dir = dir, .ts_us = pkt->ts_us, .buf = pkt->payload, .len = pkt->payload_len,
			  .dsize = pkt->payload_len};
	if (!in.buf)
		in.len = 0;
	inspect(s, &in, true);
	const char *names[SIG_MAX_EVENTS];
	size_t n = applayer_recent_events(f, names, SIG_MAX_EVENTS);
	for (size_t i = 0; i < n; i++) {
		bool dup = false;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(names[i], names[j]))
				dup = true;
		if (dup)
			continue;
		in.app_event = names[i];
		inspect(s, &in, true);
	}
}

static bool sig_wants_stream(void *ctx, const struct flow *f, enum flow_dir dir)
{
	(void)dir;
	const struct sig *s = ctx;
	return s->has_stream_rules && f->proto == 6;
}

/* Could a stream rule naming an app (tls, smb, dns, http) apply to flow f, whose app-layer
 * protocol is decided? The same header tests as the rule's own (dns: port 53; http: the
 * HTTP dissector or ports 80, 8000, 8080), once per rule kind rather than per rule. */
static bool stream_rules_apply(const struct sig *s, const struct flow *f)
{
	if (f->app_id && f->app_id < 64 && (s->stream_app_ids >> f->app_id & 1))
		return true;
	if (s->app_dns && (f->cport == 53 || f->sport == 53))
		return true;
	return s->app_http && (f->sport == 80 || f->sport == 8080 || f->sport == 8000);
}

static void sig_stream(void *ctx, struct engine *e, struct flow *f, enum flow_dir dir, const uint8_t *data,
		       size_t len, int64_t ts_us)
{
	(void)e;
	struct sig *s = ctx;
	if (!s->has_stream_rules || !len)
		return;
	if (!s->has_generic_stream && (f->app_id || f->app_failed) && !stream_rules_apply(s, f)) {
		/* every stream rule names an app its header restricts to flows this one is not
		 * (the app layer has decided): its bytes are neither copied nor scanned */
		s->st.stream_chunks_skipped++;
		return;
	}
	s->st.stream_chunks++;
	struct sig_flow *fs = flow_state(s, f);
	if (fs && f->gap_bytes[dir] != fs->gap_bytes[dir]) {
		/* a reassembly gap: the tail is not contiguous with the new bytes any more, and the
		 * stream offset moves past the lost bytes */
		fs->stream_off[dir] += f->gap_bytes[dir] - fs->gap_bytes[dir];
		fs->gap_bytes[dir] = f->gap_bytes[dir];
		fs->tail_len[dir] = 0;
	}
	struct insp in = {.f = f, .dir = dir, .ts_us = ts_us, .buf = data, .len = len, .stream = true,
			  .base_off = fs ? fs->stream_off[dir] : 0, .no_stream_off = !fs};
	if (s->has_app_rules && f->app_id == 0 && !f->app_failed) {
		/* modules see a chunk before the app layer does: keep it for packet_done */
		in.app_skip = true;
		s->pend_len = KG_MIN(len, (size_t)SIG_PENDING_MAX);
		if (s->pend_len < len)
			s->st.deferred_truncated++;
		memcpy(s->pend, data, s->pend_len);
		s->pend_f = f;
		s->pend_dir = dir;
		s->pend_ts = ts_us;
		s->pend_off = in.base_off;
	}
	/* pass 1: the new bytes on their own (offset/depth count from the chunk start) */
	inspect(s, &in, true);
	if (!fs)
		return;
	/* pass 2: tail of earlier bytes + the start of the new ones, for matches spanning both */
	uint32_t tl = fs->tail_len[dir];
	if (tl) {
		size_t nn = KG_MIN(len, (size_t)SIG_JOIN_NEW);
		memcpy(s->join, fs->tail[dir], tl);
		memcpy(s->join + tl, data, nn);
		struct insp j = in;
		j.buf = s->join;
		j.len = tl + nn;
		j.straddle = tl;
		j.base_off = fs->stream_off[dir] - tl;
		inspect(s, &j, false);
	}
	/* keep the last SIG_TAIL bytes */
	if (len >= SIG_TAIL) {
		memcpy(fs->tail[dir], data + len - SIG_TAIL, SIG_TAIL);
		fs->tail_len[dir] = SIG_TAIL;
	} else {
		size_t keep = KG_MIN((size_t)tl, (size_t)SIG_TAIL - len);
		memmove(fs->tail[dir], fs->tail[dir] + tl - keep, keep);
		memcpy(fs->tail[dir] + keep, data, len);
		fs->tail_len[dir] = (uint32_t)(keep + len);
	}
	fs->stream_off[dir] += len;
}

static void sig_flow_end(void *ctx, struct engine *e, struct flow *f)
{
	(void)e;
	struct sig *s = ctx;
	if (s->pend_f == f)
		s->pend_f = NULL;
	struct sig_flow *fs = f->sig;
	if (!fs)
		return;
	free(fs->bits);
	free(fs);
	f->sig = NULL;
	s->st.flow_states_active--;
}

static void sig_stats_cb(void *ctx, struct engine *e, struct event *ev)
{
	(void)e;
	struct sig *s = ctx;
	ev_u64(ev, "rules", s->rs->n);
	ev_u64(ev, "rules_skipped", s->rs->skipped);
	size_t nofp = 0, states = 0, bytes = 0;
	for (size_t g = 0; g < KG_ARRAY_LEN(s->rs->grp); g++) {
		nofp += s->rs->grp[g].nnofp;
		if (s->rs->grp[g].ac) {
			states += ac_states(s->rs->grp[g].ac);
			bytes += ac_memory(s->rs->grp[g].ac);
		}
	}
	ev_u64(ev, "rules_without_fast_pattern", nofp);
	ev_u64(ev, "prefilter_states", states);
	ev_u64(ev, "prefilter_bytes", bytes);
	ev_u64(ev, "load_us", (uint64_t)s->rs->load_us);
	ev_u64(ev, "packets_inspected", s->st.packets);
	ev_u64(ev, "stream_chunks_inspected", s->st.stream_chunks);
	ev_u64(ev, "stream_chunks_skipped", s->st.stream_chunks_skipped);
	ev_u64(ev, "candidates", s->st.candidates);
	ev_u64(ev, "rules_evaluated", s->st.evaluated);
	ev_u64(ev, "alerts", s->st.alerts);
	ev_u64(ev, "alerts_suppressed", s->st.suppressed);
	ev_u64(ev, "passed", s->st.passed);
	ev_u64(ev, "match_step_limit", s->st.step_limit);
	ev_u64(ev, "flow_states", s->st.flow_states);
	ev_u64(ev, "flow_states_active", s->st.flow_states_active);
	ev_u64(ev, "flow_states_capped", s->st.flow_states_capped);
	ev_u64(ev, "deferred_chunks", s->st.deferred);
	ev_u64(ev, "deferred_truncated", s->st.deferred_truncated);
	ev_u64(ev, "threshold_state_full", s->st.thr_full);
	ev_u64(ev, "reloads", s->st.reloads);
	ev_u64(ev, "reload_failures", s->st.reload_failures);
}

static void sig_destroy(void *ctx) { (void)ctx; /* owned by sensor_modules: sig_free() */ }

bool sig_attach(struct sig *s, struct engine *e)
{
	struct engine_module m = {
		.name = "signatures",
		.ctx = s,
		.packet_done = sig_packet_done,
		.stream = sig_stream,
		.wants_stream = sig_wants_stream,
		.flow_end = sig_flow_end,
		.stats = sig_stats_cb,
		.destroy = sig_destroy,
	};
	return engine_add_module(e, &m);
}
