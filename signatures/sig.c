/* sig.c - the signature engine module: for each packet, stream chunk, app-layer transaction view
 * (dissectors/inspect.h) and app-layer event it takes the signature group of the data (detect.h),
 * runs the group's prefilter and verifies the candidates in rule order: header, flow, flowbits and
 * xbits, header keywords, buffer lists (Suricata semantics for content offset/depth/distance/
 * within/startswith/endswith, pcre, byte_test/jump/extract/math, isdataat, bsize), transforms,
 * thresholds tracked per host across flows; IP-only rules once per flow direction. Alerts in EVE
 * form (output/alert.h). */
#include "config.h"

#include "sig.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "decode/cursor.h"
#include "detect.h"
#include "dissectors/dissector.h"
#include "dissectors/inspect.h"
#include "engine/applayer.h"
#include "hoststate.h"
#include "mpm.h"
#include "output/alert.h"
#include "output/event.h"
#include "util/util.h"
#include "xform.h"

#define SIG_TAIL 512           /* stream bytes kept per direction so a match may straddle deliveries */
#define SIG_JOIN_NEW 512       /* new bytes joined to the tail for the straddling pass */
#define SIG_STEP_BUDGET 4096   /* content match attempts per rule evaluation */
#define SIG_MAX_EVENTS 16      /* app-layer events looked at per packet */
#define SIG_EXCERPT 64         /* payload bytes quoted in an alert */
#define SIG_MAX_FLOW_STATES 131072 /* per-flow states held at once (about 1.1 KiB each) */
#define SIG_VAR_MAX 0xffffffffu /* byte_extract values are clamped to 32 bits */
#define SIG_PENDING_MAX 16384  /* bytes of a chunk kept for the deferred app-protocol rules */
#define SIG_PCRE_MATCH_LIMIT 100000
#define SIG_PCRE_DEPTH_LIMIT 10000
#define SIG_HOST_STATES 65536  /* threshold and xbits entries across flows */
#define SIG_CARRY 16           /* prefilter candidates of a chunk remembered for the next join pass */
#define SIG_MAX_FP 32          /* longest prefilter pattern (mpm.c MPM_MAX_LITERAL) */

const char *sig_strerror(int err)
{
	switch (err) {
	case SIG_OK: return "success";
	case SIG_ERR_RULES: return "rules could not be loaded";
	case SIG_ERR_EMPTY: return "no rules";
	default: return "unknown signature error";
	}
}

/* Per-flow state (flow->sig). */
struct sig_flow {
	uint32_t gen;                /* rule set generation the bits belong to */
	uint8_t *bits;
	size_t nbits_bytes;
	uint8_t tail[2][SIG_TAIL];
	uint32_t tail_len[2];
	uint64_t stream_off[2];      /* stream bytes delivered before the current chunk */
	uint64_t gap_bytes[2];       /* f->gap_bytes[dir] when the tail was last extended */
	uint32_t nb_rem[2];          /* smb: bytes left of the NetBIOS session message being delivered */
	uint32_t carry[2][SIG_CARRY]; /* candidates of the previous chunk (for the join pass) */
	uint8_t ncarry[2];
	bool carry_all[2];           /* more than SIG_CARRY: the join pass scans its whole buffer */
	bool nb_lost[2];             /* smb: record boundaries lost (a gap, a bad header) */
};

struct sig_stats {
	uint64_t packets, stream_chunks, stream_chunks_skipped, evaluated, candidates, app_filtered, alerts, suppressed, step_limit, passed;
	uint64_t flow_states, flow_states_active, flow_states_capped, reloads, reload_failures;
	uint64_t deferred, deferred_truncated, tx_views, tx_rules_run, iponly_checks, pcre_match_limit, pcre_depth_limit;
	uint64_t xform_truncated, tx_overflows;
	uint64_t scanned[4];          /* prefilter bytes scanned: packets, stream chunks, join passes, tx buffers */
};

struct prof {
	uint64_t checks, matches, ns;
};

struct sig {
	struct rule_set *rs;
	uint32_t gen;
	struct emitter *em;
	pcre2_match_data *md;
	pcre2_match_context *mc;
	struct mpm_scratch *scratch;
	struct xform_work xw, xw2;
	struct host_table *hosts;
	uint32_t *mark;              /* per rule: epoch when it became a candidate */
	uint32_t *fired;             /* per rule: epoch when it alerted or matched (per chunk) */
	uint32_t epoch, fepoch;
	const uint64_t *cur_member;  /* the group a prefilter hit must belong to */
	/* a prefilter hit of a rule naming an app protocol other than the flow's (cur_app) is no
	 * candidate (detect.rule_app; NULL = no filter) */
	const uint16_t *cur_apps;
	uint16_t cur_app;
	uint32_t acc[SIG_CARRY];     /* the prefilter candidates of the chunk being inspected */
	size_t nacc;
	bool acc_all, acc_on;
	uint16_t cur_kind;           /* tx: the buffer kind being scanned */
	uint32_t *cands;
	uint32_t *cands2;            /* a copy of the candidates (records of one chunk) */
	size_t ncands;
	bool has_stream_rules;
	uint8_t *join;
	/* the packet being processed (between the packet and packet_done callbacks) and the stream
	 * chunk delivered last for it: the payload a transaction rule's payload list sees */
	const struct packet *pkt;
	struct flow *pkt_f;
	struct flow *chunk_f;
	enum flow_dir chunk_dir;
	const uint8_t *chunk;
	size_t chunk_len;
	/* a stream chunk delivered before the app layer had recognised the flow: the app rules run on
	 * it in packet_done, once the dissector had its turn (SIG_PENDING_MAX bytes kept) */
	uint8_t *pend;
	size_t pend_len;
	struct flow *pend_f;
	uint32_t pend_nb_rem;
	size_t pend_full;            /* the chunk's whole length */
	uint16_t smb_ix;             /* rule_app_index("smb") */
	enum flow_dir pend_dir;
	int64_t pend_ts;
	uint64_t pend_off;
	/* app name -> rule app index, cached by the dissector's name pointer */
	const char *app_cache_name[8];
	uint16_t app_cache_ix[8];
	/* --rule-profile */
	size_t profile_top;
	struct prof *prof;
	struct sig_stats st;
};

/* ---------------------------------------------------------------- loading */

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int sig_load(struct rule_set **out, const struct sig_load_cfg *cfg, const char *const *paths, size_t npaths,
	     char *errbuf, size_t errlen)
{
	*out = NULL;
	int64_t t0 = mono_us();
	struct rule_set *rs = rule_set_new();
	rs->mpm = cfg->mpm;
	if (mpm_resolve(cfg->mpm) == MPM_HS && !mpm_hs_built()) {
		snprintf(errbuf, errlen, "prefilter 'hs' asked for, but kagami was built without Hyperscan");
		rule_set_free(rs);
		return SIG_ERR_RULES;
	}
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

static void fit_scratch(struct sig *s)
{
	const struct detect *d = s->rs->det;
	if (!d)
		return;
	for (size_t i = 0; i < d->nmpms; i++)
		(void)mpm_scratch_fit(s->scratch, d->mpms[i]);
	for (int dir = 0; dir < 2; dir++)
		for (size_t a = 0; d->tx[dir] && a < d->napps; a++)
			if (d->tx[dir][a].mpm)
				(void)mpm_scratch_fit(s->scratch, d->tx[dir][a].mpm);
}

static void size_for(struct sig *s)
{
	size_t n = s->rs->n ? s->rs->n : 1;
	free(s->mark);
	free(s->fired);
	free(s->cands);
	free(s->cands2);
	s->cands2 = kg_malloc(n * sizeof(uint32_t), "signature candidates");
	s->mark = kg_calloc(n, sizeof(uint32_t), "signature marks");
	s->fired = kg_calloc(n, sizeof(uint32_t), "signature marks");
	s->cands = kg_malloc(n * sizeof(uint32_t), "signature candidates");
	s->epoch = 0;
	s->fepoch = 0;
	s->has_stream_rules = false;
	s->pend_f = NULL;
	for (size_t i = 0; i < s->rs->n; i++)
		if (s->rs->rules[i]->path == PATH_STREAM)
			s->has_stream_rules = true;
	free(s->prof);
	s->prof = s->profile_top ? kg_calloc(n, sizeof(struct prof), "rule profile") : NULL;
	fit_scratch(s);
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
	if (!rs->det && rule_set_compile(rs, errbuf, errlen) != RULE_OK) {
		pcre2_match_data_free(s->md);
		pcre2_match_context_free(s->mc);
		free(s);
		rule_set_free(rs);
		return SIG_ERR_RULES;
	}
	s->rs = rs;
	s->em = em;
	s->gen = 1;
	s->scratch = mpm_scratch_new();
	s->smb_ix = rule_app_index("smb");
	s->hosts = host_table_new(SIG_HOST_STATES);
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
	mpm_scratch_free(s->scratch);
	xform_work_free(&s->xw);
	xform_work_free(&s->xw2);
	host_table_free(s->hosts);
	free(s->mark);
	free(s->fired);
	free(s->cands);
	free(s->cands2);
	free(s->join);
	free(s->pend);
	free(s->prof);
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

void sig_set_profile(struct sig *s, size_t top)
{
	s->profile_top = top;
	size_for(s);
}

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
 * the flow then gets no flowbits or cross-segment matches). */
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
		/* the rule set changed: bit numbers mean something else now */
		free(fs->bits);
		fs->bits = NULL;
		fs->nbits_bytes = 0;
		fs->gen = s->gen;
		fs->ncarry[0] = fs->ncarry[1] = 0; /* rule indexes of the old set */
		fs->carry_all[0] = fs->carry_all[1] = true;
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
	return fs && fs->bits && b / 8 < fs->nbits_bytes && (fs->bits[b / 8] >> (b % 8)) & 1;
}

static void bit_put(struct sig_flow *fs, unsigned b, bool v)
{
	if (!fs || !fs->bits || b / 8 >= fs->nbits_bytes)
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
	size_t end_op;              /* ops of the list: [first, end_op) */
	uint64_t vars[RULE_MAX_VARS];
	int budget;
	size_t min_start, max_end;  /* span of the positive matches */
	pcre2_match_data *md;
	pcre2_match_context *mc;
	struct sig_stats *st;
	/* a non-relative pcre that failed: it fails again wherever the contents before it are
	 * found, so it is not run again in this evaluation (the ops of at most 8 such) */
	uint32_t pcre_failed[8];
	uint8_t npcre_failed;
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

static bool num_ok(const struct num_cmp *c, uint64_t x)
{
	switch (c->op) {
	case NUM_EQ: return x == c->a;
	case NUM_LT: return x < c->a;
	case NUM_GT: return x > c->a;
	case NUM_RANGE: return x > c->a && x < c->b;
	case NUM_NE: return x != c->a;
	case NUM_LE: return x <= c->a;
	case NUM_GE: return x >= c->a;
	default: return false;
	}
}

/* Read a number as byte_test/jump/extract/math describe it, at absolute offset off. */
static bool read_num(const struct mctx *m, const struct byte_read *br, int64_t off, uint64_t *out)
{
	if (off < 0)
		return false;
	struct cursor c = cur_make(m->buf, m->len), w;
	size_t nb = br->nbytes;
	if (!nb) /* string read of the rest of the buffer (Suricata 6+ byte_test:0) */
		nb = (size_t)off <= m->len ? KG_MIN(m->len - (size_t)off, (size_t)20) : 0;
	if (!nb || !cur_window(&c, (size_t)off, nb, &w))
		return false;
	uint64_t v = 0;
	if (br->string) {
		char txt[21];
		if (!cur_copy(&w, txt, nb))
			return false;
		txt[nb] = '\0';
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
		/* endswith: only the occurrence that ends the buffer counts */
		size_t k0 = 0;
		if (op->u.content.endswith) {
			if ((size_t)we != m->len)
				return op->u.content.neg && match_ops(r, i + 1, pos, m);
			k0 = dl - plen;
		}
		for (size_t k = k0; k + plen <= dl; k++) {
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

/* Contract: every op from i to the list's end matches with the detection position at pos. */
static bool match_ops(const struct rule *r, size_t i, size_t pos, struct mctx *m)
{
	if (i >= m->end_op)
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
		if (!op->u.pcre.relative && !op->u.pcre.neg)
			for (uint8_t k = 0; k < m->npcre_failed; k++)
				if (m->pcre_failed[k] == (uint32_t)i)
					return false;
		m->budget -= 16;
		int rc = pcre2_match(op->u.pcre.code, m->buf + start, m->len - start, 0, 0, m->md, m->mc);
		if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT) {
			/* a catastrophic pattern: the limit decides no match for the whole rule now,
			 * rather than being hit again at every later position the contents allow */
			if (m->st)
				rc == PCRE2_ERROR_MATCHLIMIT ? m->st->pcre_match_limit++ : m->st->pcre_depth_limit++;
			m->budget = 0;
			return false;
		}
		if (op->u.pcre.neg)
			return rc < 0 && match_ops(r, i + 1, pos, m);
		if (rc < 0) {
			if (!op->u.pcre.relative && m->npcre_failed < KG_ARRAY_LEN(m->pcre_failed))
				m->pcre_failed[m->npcre_failed++] = (uint32_t)i;
			return false;
		}
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
		int64_t base = op->u.bj.from_beginning ? 0 : op->u.bj.from_end ? (int64_t)m->len : off + op->u.bj.r.nbytes;
		int64_t np = base + (int64_t)v + op->u.bj.post_offset;
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
	case OP_BYTE_MATH: {
		int64_t off = (op->u.bm.r.relative ? (int64_t)pos : 0) + op->u.bm.r.offset.v;
		uint64_t v;
		if (!read_num(m, &op->u.bm.r, off, &v))
			return false;
		uint64_t rv = (uint64_t)rval(m, op->u.bm.rvalue);
		switch (op->u.bm.oper) {
		case BM_ADD: v += rv; break;
		case BM_SUB: v -= rv; break;
		case BM_MUL: v *= rv; break;
		case BM_DIV:
			if (!rv)
				return false;
			v /= rv;
			break;
		case BM_SHL: v = rv < 64 ? v << rv : 0; break;
		default: v = rv < 64 ? v >> rv : 0; break;
		}
		uint64_t saved = m->vars[op->u.bm.var];
		m->vars[op->u.bm.var] = clamp_var(v & 0xffffffffu);
		if (match_ops(r, i + 1, pos, m))
			return true;
		m->vars[op->u.bm.var] = saved;
		return false;
	}
	case OP_ISDATAAT: {
		int64_t at = (op->u.isdataat.relative ? (int64_t)pos : 0) + rval(m, op->u.isdataat.n);
		bool ok = at < (int64_t)m->len;
		if (op->u.isdataat.neg)
			ok = !ok;
		return ok && match_ops(r, i + 1, pos, m);
	}
	case OP_BSIZE:
		return num_ok(&op->u.bsize.c, m->len) && match_ops(r, i + 1, pos, m);
	}
	return false;
}

/* List l of rule r on buf; m is initialised by the caller except for the buffer. */
static bool match_list(const struct rule *r, int l, const uint8_t *buf, size_t len, struct mctx *m)
{
	m->buf = buf;
	m->len = len;
	m->npcre_failed = 0; /* another buffer (or another of a multi buffer): the pcres run again */
	m->end_op = (size_t)r->lists[l].first + r->lists[l].n;
	return match_ops(r, r->lists[l].first, 0, m);
}

bool sig_payload_match(struct sig *s, const struct rule *r, const uint8_t *buf, size_t len, size_t *start,
		       size_t *end)
{
	struct mctx m = {.budget = SIG_STEP_BUDGET, .min_start = SIZE_MAX, .md = s->md, .mc = s->mc, .st = &s->st};
	bool ok = true;
	for (int l = 0; l < r->nlists && ok; l++)
		if (r->lists[l].kind == 0)
			ok = match_list(r, l, buf, len, &m);
	*start = m.min_start == SIZE_MAX ? 0 : m.min_start;
	*end = m.max_end;
	return ok;
}

/* ---------------------------------------------------------------- rule checks */

enum insp_kind { IN_PACKET = 0, IN_STREAM, IN_TX, IN_EVENT, IN_IPONLY };

struct insp {
	enum insp_kind kind;
	struct flow *f;
	enum flow_dir dir;
	int64_t ts_us;
	const uint8_t *buf;  /* packet payload or stream chunk (tx: the current one, may be NULL) */
	size_t len;
	size_t straddle;     /* stream join pass: the match must span this offset (0 = any) */
	uint64_t base_off;   /* stream offset of buf[0] */
	bool no_stream_off;  /* the flow has no state: base_off unknown */
	bool app_only;       /* deferred chunk: only the rules naming an app */
	bool app_skip;       /* the app layer has not decided yet: skip the rules naming an app */
	size_t dsize;        /* packet payload size (packet pass) */
	const struct packet *pkt;
	const char *app_event;
	const struct inspect_tx *tx;
};

static bool flow_established(const struct flow *f)
{
	if (f->proto == 6)
		return f->tcp_state == TCPT_ESTABLISHED || f->tcp_state == TCPT_FIN_WAIT ||
		       (f->tcp_state == TCPT_NONE && f->pkts[0] && f->pkts[1]);
	return f->pkts[0] && f->pkts[1];
}

static uint16_t flow_app_ix(struct sig *s, const struct flow *f)
{
	const char *n = f->app_name;
	if (!n)
		return 0;
	for (int i = 0; i < 8; i++)
		if (s->app_cache_name[i] == n)
			return s->app_cache_ix[i];
	uint16_t ix = rule_app_index(n);
	memmove(s->app_cache_name + 1, s->app_cache_name, 7 * sizeof(s->app_cache_name[0]));
	memmove(s->app_cache_ix + 1, s->app_cache_ix, 7 * sizeof(s->app_cache_ix[0]));
	s->app_cache_name[0] = n;
	s->app_cache_ix[0] = ix;
	return ix;
}

/* Does a rule naming app protocol rule_app (0: none) refuse a flow of flow_app? The one test
 * of proto_ok() and of the app filter of the payload passes. */
static inline bool app_refuses(uint16_t rule_app, uint16_t flow_app) { return rule_app && rule_app != flow_app; }

static bool proto_ok(struct sig *s, const struct rule *r, const struct flow *f)
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
	case RP_IP:
		if (r->app_ix && f->proto != 6 && f->proto != 17)
			return false;
		break;
	}
	return !r->app_ix || !app_refuses(r->app_ix, flow_app_ix(s, f));
}

static bool header_ok(const struct rule *r, const struct flow *f, enum flow_dir dir)
{
	const uint8_t *src, *dst;
	uint16_t sp, dp;
	flow_endpoints(f, dir, &src, &sp, &dst, &dp);
	int fam = f->family;
	bool tcpudp = f->proto == 6 || f->proto == 17;
	if (addr_set_match(r->src, fam, src) && addr_set_match(r->dst, fam, dst) &&
	    (!tcpudp || (port_set_match(r->sport, sp) && port_set_match(r->dport, dp))))
		return true;
	if (r->bidir && addr_set_match(r->src, fam, dst) && addr_set_match(r->dst, fam, src) &&
	    (!tcpudp || (port_set_match(r->sport, dp) && port_set_match(r->dport, sp))))
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

/* ---------------------------------------------------------------- xbits and thresholds */

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

/* Key of the host state of a rule tracked by track (TRACK_* or XT_*) for data from src to dst. */
static void host_key_of(struct host_key *k, uint8_t kind, int track_src_dst_both_rule, const struct flow *f,
			enum flow_dir dir)
{
	memset(k, 0, sizeof(*k));
	k->kind = kind;
	const uint8_t *src, *dst;
	uint16_t sp, dp;
	flow_endpoints(f, dir, &src, &sp, &dst, &dp);
	size_t al = f->family == 6 ? 16 : 4;
	switch (track_src_dst_both_rule) {
	case TRACK_SRC:
		k->family = f->family;
		k->naddr = 1;
		memcpy(k->a, src, al);
		break;
	case TRACK_DST:
		k->family = f->family;
		k->naddr = 1;
		memcpy(k->a, dst, al);
		break;
	case TRACK_BOTH: {
		k->family = f->family;
		k->naddr = 2;
		bool swap = memcmp(src, dst, al) > 0;
		memcpy(k->a, swap ? dst : src, al);
		memcpy(k->b, swap ? src : dst, al);
		break;
	}
	default: break; /* by_rule: one counter */
	}
}

static int xtrack(uint8_t t) { return t == XT_SRC ? TRACK_SRC : t == XT_DST ? TRACK_DST : TRACK_BOTH; }

static bool xbit_get(struct sig *s, const struct rule *r, const struct flowbit_op *fb, unsigned bit,
		     const struct insp *in)
{
	struct host_key k;
	host_key_of(&k, HSK_XBIT, xtrack(fb->track), in->f, in->dir);
	k.id1 = name_hash(s->rs->flowbit_names[bit]);
	(void)r;
	struct host_ent *e = host_get(s->hosts, &k, false, NULL);
	return e && e->expire > in->ts_us / 1000000;
}

static void xbit_put(struct sig *s, const struct flowbit_op *fb, unsigned bit, const struct insp *in, int how)
{
	struct host_key k;
	host_key_of(&k, HSK_XBIT, xtrack(fb->track), in->f, in->dir);
	k.id1 = name_hash(s->rs->flowbit_names[bit]);
	int64_t now = in->ts_us / 1000000;
	struct host_ent *e = host_get(s->hosts, &k, how != 0, NULL);
	bool isset = e && e->expire > now;
	if (how == 0 || (how == 2 && isset)) { /* unset, or toggle off */
		if (e)
			host_del(s->hosts, e);
		return;
	}
	if (e)
		e->expire = now + (fb->expire ? fb->expire : 30);
}

static bool bits_ok(struct sig *s, const struct rule *r, const struct sig_flow *fs, const struct insp *in)
{
	for (size_t i = 0; i < r->nflowbits; i++) {
		const struct flowbit_op *fb = &r->flowbits[i];
		if (fb->cmd != FB_ISSET && fb->cmd != FB_ISNOTSET)
			continue;
		size_t set = 0;
		for (int k = 0; k < fb->nbits; k++)
			set += fb->track == XT_FLOW ? bit_get(fs, fb->bit[k]) : xbit_get(s, r, fb, fb->bit[k], in);
		bool any = set > 0, all = set == fb->nbits;
		bool ok;
		if (fb->cmd == FB_ISSET)
			ok = fb->all ? all : any;
		else
			ok = fb->all ? !all : !any; /* isnotset a&b: not all set; a|b: none set */
		if (fb->cmd == FB_ISNOTSET && !fb->all && fb->nbits > 1)
			ok = set < fb->nbits; /* Suricata: isnotset a|b is true when any of them is not set */
		if (!ok)
			return false;
	}
	return true;
}

static void bits_apply(struct sig *s, const struct rule *r, struct sig_flow *fs, const struct insp *in)
{
	for (size_t i = 0; i < r->nflowbits; i++) {
		const struct flowbit_op *fb = &r->flowbits[i];
		int how = fb->cmd == FB_SET ? 1 : fb->cmd == FB_UNSET ? 0 : fb->cmd == FB_TOGGLE ? 2 : -1;
		if (how < 0)
			continue;
		for (int k = 0; k < fb->nbits; k++) {
			if (fb->track != XT_FLOW) {
				xbit_put(s, fb, fb->bit[k], in, how);
				continue;
			}
			if (how == 2)
				bit_put(fs, fb->bit[k], !bit_get(fs, fb->bit[k]));
			else
				bit_put(fs, fb->bit[k], how == 1);
		}
	}
}

/* Suricata's threshold semantics (detect-engine-threshold.c): true = alert. Time in seconds of
 * packet time; the counter lives in the host (or host pair, or rule) entry. */
static bool thr_pass(struct sig *s, const struct rule *r, bool df, enum thr_type type, enum thr_track track,
		     uint32_t count, uint32_t seconds, const struct insp *in)
{
	struct host_key k;
	host_key_of(&k, df ? HSK_DETECTION_FILTER : HSK_THRESHOLD, track, in->f, in->dir);
	k.id1 = r->gid;
	k.id2 = r->sid;
	int64_t now = in->ts_us / 1000000;
	bool created;
	struct host_ent *e = host_get(s->hosts, &k, true, &created);
	if (created) {
		e->count = 1;
		e->sec1 = now;
		switch (type) {
		case THR_LIMIT: return true;
		case THR_THRESHOLD:
		case THR_BOTH: return count == 1;
		case THR_DETECTION_FILTER: return false;
		default: return true;
		}
	}
	bool in_window = now - e->sec1 < (int64_t)seconds;
	if (!in_window) {
		e->sec1 = now;
		e->count = 1;
		return type == THR_LIMIT || ((type == THR_THRESHOLD || type == THR_BOTH) && count == 1);
	}
	e->count++;
	switch (type) {
	case THR_LIMIT: return e->count <= count;
	case THR_THRESHOLD:
		if (e->count >= count) {
			e->count = 0;
			return true;
		}
		return false;
	case THR_BOTH: return e->count == count;
	case THR_DETECTION_FILTER: return e->count > count;
	default: return true;
	}
}

/* ---------------------------------------------------------------- header keywords */

static bool pkw_ok(const struct rule *r, const struct insp *in)
{
	const struct packet *p = in->pkt;
	const struct flow *f = in->f;
	for (int i = 0; i < r->npkw; i++) {
		const struct rule_pkw *k = &r->pkw[i];
		if (k->kind == PK_STREAM_SIZE) {
			/* Suricata: next_seq - isn, i.e. the bytes sent plus the SYN */
			uint64_t srv = f->payload_bytes[DIR_TO_CLIENT] + (f->tcp_flags[DIR_TO_CLIENT] & TH_SYN_ ? 1 : 0);
			uint64_t cli = f->payload_bytes[DIR_TO_SERVER] + (f->tcp_flags[DIR_TO_SERVER] & TH_SYN_ ? 1 : 0);
			bool a = num_ok(&k->c, srv), b = num_ok(&k->c, cli);
			bool ok = k->side == 0 ? a : k->side == 1 ? b : k->side == 2 ? a && b : a || b;
			if (f->proto != 6 || !ok)
				return false;
			continue;
		}
		if (!p)
			return false;
		struct cursor ip = cur_make(p->l3, p->l3_len);
		uint8_t b8 = 0;
		uint16_t b16 = 0;
		uint64_t v = 0;
		switch (k->kind) {
		case PK_TTL: v = p->ttl; break;
		case PK_TOS:
			if (p->family != 4 || !cur_peek_u8(&ip, 1, &b8))
				return false;
			v = b8;
			break;
		case PK_ID:
			if (p->family != 4 || !cur_peek_be16(&ip, 4, &b16))
				return false;
			v = b16;
			break;
		case PK_IPPROTO: v = p->ipproto; break;
		case PK_ITYPE:
		case PK_ICODE:
			if (p->ipproto != 1 && p->ipproto != 58)
				return false;
			v = k->kind == PK_ITYPE ? p->icmp_type : p->icmp_code;
			break;
		case PK_ICMP_ID:
		case PK_ICMP_SEQ: {
			struct cursor l4 = cur_make(p->l4, p->l4_len);
			bool echo = p->ipproto == 1 ? (p->icmp_type == 0 || p->icmp_type == 8)
				    : p->ipproto == 58 ? (p->icmp_type == 128 || p->icmp_type == 129) : false;
			if (!echo || !cur_peek_be16(&l4, k->kind == PK_ICMP_ID ? 4 : 6, &b16))
				return false;
			v = b16;
			break;
		}
		case PK_WINDOW:
		case PK_SEQ:
		case PK_ACK:
			if (p->ipproto != 6)
				return false;
			v = k->kind == PK_WINDOW ? p->win : k->kind == PK_SEQ ? p->seq : p->ack;
			break;
		case PK_FRAGOFFSET: v = p->frag_offset / 8; break;
		case PK_FLAGS: {
			if (p->ipproto != 6)
				return false;
			uint8_t fl = p->tcp_flags & (uint8_t)~k->mask;
			bool ok = k->mode == '+' ? (fl & k->bits) == k->bits
				  : k->mode == '*' ? (k->bits ? (fl & k->bits) != 0 : fl == 0)
				  : k->mode == '!' ? (fl & k->bits) != k->bits
						   : fl == k->bits;
			if (!ok)
				return false;
			continue;
		}
		case PK_FRAGBITS: {
			if (p->family != 4 || !cur_peek_be16(&ip, 6, &b16))
				return false;
			uint8_t fb = (uint8_t)((b16 >> 13) & 0x7); /* R D M from the top three bits */
			uint8_t have = (uint8_t)(((fb & 0x4) ? 0x4 : 0) | ((fb & 0x2) ? 0x2 : 0) | ((fb & 0x1) ? 0x1 : 0));
			bool ok = k->mode == '+' ? (have & k->bits) == k->bits
				  : k->mode == '*' ? (have & k->bits) != 0
				  : k->mode == '!' ? (have & k->bits) == 0
						   : have == k->bits;
			if (!ok)
				return false;
			continue;
		}
		case PK_IPOPTS: {
			uint8_t vhl;
			if (p->family != 4 || !cur_peek_u8(&ip, 0, &vhl))
				return false;
			size_t hl = (size_t)(vhl & 15) * 4;
			struct cursor opts;
			if (hl <= 20 || !cur_window(&ip, 20, hl - 20, &opts))
				return false;
			bool hit = false;
			while (!cur_empty(&opts) && !hit) {
				uint8_t t, l;
				if (!cur_u8(&opts, &t))
					break;
				if (k->bits == 255 || t == k->bits)
					hit = true;
				if (t == 0 || t == 1)
					continue;
				if (!cur_u8(&opts, &l) || l < 2 || !cur_skip(&opts, (size_t)l - 2))
					break;
			}
			if (!hit)
				return false;
			continue;
		}
		case PK_SAMEIP:
			if (memcmp(p->src, p->dst, p->family == 6 ? 16 : 4) != 0)
				return false;
			continue;
		default: return false;
		}
		if (!num_ok(&k->c, v))
			return false;
	}
	return true;
}

static bool attrs_ok(struct sig *s, const struct rule *r, const struct insp *in)
{
	for (int i = 0; i < r->nattrs; i++) {
		const struct rule_attr *a = &r->attrs[i];
		bool ok;
		if (a->attr == 255) {
			const char *n = in->f->app_name;
			if (!strcmp(a->app, "unknown"))
				ok = n == NULL;
			else if (!strcmp(a->app, "failed"))
				ok = n && !strcmp(n, "failed");
			else
				ok = flow_app_ix(s, in->f) == rule_app_index(a->app);
		} else {
			uint32_t v;
			if (!in->tx || !inspect_attr(in->tx, (enum ia_id)a->attr, &v))
				return false;
			ok = a->attr == IA_TLS_VERSION ? v == a->v : (v & a->v) != 0;
		}
		if (a->neg)
			ok = !ok;
		if (!ok)
			return false;
	}
	return true;
}

/* ---------------------------------------------------------------- alerts */

struct evidence {
	const char *buffer;          /* tx: the buffer the span is in */
	const uint8_t *buf;
	size_t len;
	size_t min_start, max_end;
	bool have;
};

static void emit_alert(struct sig *s, const struct rule *r, const struct insp *in, const struct evidence *ev_)
{
	const struct classtype *ct = NULL;
	if (r->classtype)
		for (size_t i = 0; i < s->rs->nclasses; i++)
			if (!strcmp(s->rs->classes[i].name, r->classtype))
				ct = &s->rs->classes[i];
	struct alert_info ai = {.gid = r->gid,
				.sid = r->sid,
				.rev = r->rev,
				.signature = r->msg,
				.category = r->classtype ? r->classtype : "",
				.severity = r->priority ? r->priority : ct ? ct->prio : 3};
	struct event *ev = alert_begin(s->em, in->f, in->dir, in->ts_us, &ai);
	ev_map(ev, "rule");
	ev_str(ev, "file", r->file);
	ev_u64(ev, "line", r->line);
	static const char *const kinds[] = {"packet", "stream", "app_layer", "app_event", "ip_only"};
	ev_str(ev, "inspected", in->kind == IN_EVENT && r->needs_payload ? "packet" : kinds[in->kind]);
	if (in->app_event)
		ev_str(ev, "app_event", in->app_event);
	if (ev_ && ev_->have && ev_->max_end > 0 && ev_->min_start <= ev_->max_end) {
		if (ev_->buffer)
			ev_str(ev, "buffer", ev_->buffer);
		ev_u64(ev, "match_offset", ev_->min_start);
		ev_u64(ev, "match_length", ev_->max_end - ev_->min_start);
		if (in->kind == IN_STREAM && !ev_->buffer && !in->no_stream_off)
			ev_u64(ev, "stream_offset", in->base_off + ev_->min_start);
		struct cursor c = cur_make(ev_->buf, ev_->len), w;
		size_t n = KG_MIN((size_t)SIG_EXCERPT, ev_->len - KG_MIN(ev_->len, ev_->min_start));
		if (cur_window(&c, ev_->min_start, n, &w))
			ev_hex(ev, "payload_excerpt", cur_data(&w), cur_len(&w));
	}
	ev_end_map(ev);
	(void)event_end(ev);
	s->st.alerts++;
}

/* The tx lists of r on the view in->tx in direction in->dir: each list must match one of its
 * buffers. ev receives the span of the fast pattern's list (or the first one). */
static bool tx_lists_ok(struct sig *s, const struct rule *r, const struct insp *in, struct mctx *m,
			struct evidence *ev)
{
	const struct rule_set *rs = s->rs;
	int evl = r->fp_op >= 0 ? r->ops[r->fp_op].list : -1;
	for (int l = 0; l < r->nlists; l++) {
		const struct bkind *k = &rs->kinds[r->lists[l].kind];
		if (!r->lists[l].kind)
			continue;
		const struct ib_def *def = &ib_table[k->ib];
		enum flow_dir bd = def->dirs == IBD_TS ? DIR_TO_SERVER : def->dirs == IBD_TC ? DIR_TO_CLIENT : in->dir;
		size_t nb = inspect_count(in->tx, (enum ib_id)k->ib, bd);
		bool ok = false;
		for (size_t b = 0; b < nb && !ok; b++) {
			const struct ib_buf *ib = inspect_get(in->tx, (enum ib_id)k->ib, bd, b);
			const uint8_t *p = ib->p;
			size_t n = ib->len;
			struct xform_work *xw = l == evl || evl < 0 ? &s->xw : &s->xw2;
			if (k->chain && !xform_apply(&rs->chains[k->chain], ib->p, ib->len, xw, &p, &n))
				s->st.xform_truncated++;
			size_t ms = m->min_start, me = m->max_end;
			m->min_start = SIZE_MAX;
			m->max_end = 0;
			ok = match_list(r, l, p, n, m);
			if (ok && (l == evl || (evl < 0 && !ev->have))) {
				ev->buffer = def->name;
				ev->buf = p;
				ev->len = n;
				ev->min_start = m->min_start == SIZE_MAX ? 0 : m->min_start;
				ev->max_end = m->max_end;
				ev->have = true;
			}
			m->min_start = ms;
			m->max_end = me;
		}
		if (!ok)
			return false;
	}
	return true;
}

/* Full verification of one candidate rule; alerts and applies its flowbits. True when it
 * matched (even if a threshold withheld its alert). */
static bool eval_rule(struct sig *s, const struct rule *r, const struct insp *in)
{
	s->st.evaluated++;
	if (in->kind == IN_TX) {
		/* the exactly-once contract of inspect.h */
		uint32_t need = r->prog[in->dir];
		if (!need || (need & ~in->tx->ready) || !(need & in->tx->newly))
			return false;
		s->st.tx_rules_run++;
	}
	if (!proto_ok(s, r, in->f) || !flow_ok(r, in->f, in->dir) || !header_ok(r, in->f, in->dir))
		return false;
	struct sig_flow *fs = in->f->sig;
	if (r->nflowbits && !bits_ok(s, r, fs, in))
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
		if (!ok || in->kind != IN_PACKET)
			return false;
	}
	if (r->npkw && !pkw_ok(r, in))
		return false;
	if (r->nattrs && !attrs_ok(s, r, in))
		return false;
	struct mctx m = {.budget = SIG_STEP_BUDGET, .min_start = SIZE_MAX, .md = s->md, .mc = s->mc, .st = &s->st};
	struct evidence ev = {0};
	if (in->kind == IN_TX && !tx_lists_ok(s, r, in, &m, &ev)) {
		if (m.budget <= 0)
			s->st.step_limit++;
		return false;
	}
	for (int l = 0; l < r->nlists; l++) {
		if (r->lists[l].kind)
			continue;
		if (!in->buf && in->len == 0 && in->kind == IN_TX)
			return false;
		if (!match_list(r, l, in->buf, in->len, &m)) {
			if (m.budget <= 0)
				s->st.step_limit++;
			return false;
		}
		if (in->straddle && !(m.min_start < in->straddle && m.max_end > in->straddle))
			return false;
		if (!ev.have) {
			ev = (struct evidence){NULL, in->buf, in->len, m.min_start == SIZE_MAX ? 0 : m.min_start, m.max_end, true};
		}
	}
	s->fired[r->index] = s->fepoch;
	if (s->prof)
		s->prof[r->index].matches++;
	if (r->nflowbits) {
		fs = flow_state(s, in->f);
		bits_apply(s, r, fs, in);
	}
	if (r->noalert || r->action == ACT_PASS)
		return true;
	if (r->df != THR_NONE &&
	    !thr_pass(s, r, true, THR_DETECTION_FILTER, r->df_track, r->df_count, r->df_seconds, in)) {
		s->st.suppressed++;
		return true;
	}
	if (r->thr != THR_NONE && !thr_pass(s, r, false, r->thr, r->thr_track, r->thr_count, r->thr_seconds, in)) {
		s->st.suppressed++;
		return true;
	}
	emit_alert(s, r, in, &ev);
	return true;
}

/* Remember candidate id of the chunk being inspected for the next join pass. */
static void acc_add(struct sig *s, uint32_t id)
{
	if (!s->acc_on)
		return;
	size_t k;
	for (k = 0; k < s->nacc && s->acc[k] != id; k++)
		;
	if (k < s->nacc)
		return;
	if (s->nacc == SIG_CARRY)
		s->acc_all = true;
	else
		s->acc[s->nacc++] = id;
}

/* Carry the prefilter hits among the candidates from index from on (the rules without a fast
 * pattern are candidates of every pass, the anchored ones are checked in the join buffer). */
static void acc_collect(struct sig *s, size_t from)
{
	for (size_t i = from; i < s->ncands && s->acc_on; i++)
		acc_add(s, s->cands[i]);
}

static void on_cand(void *ctx, uint32_t id)
{
	struct sig *s = ctx;
	if (s->mark[id] != s->epoch) {
		s->mark[id] = s->epoch;
		s->cands[s->ncands++] = id;
	}
}

/* A prefilter hit of the map's database: a candidate when the rule is in the group. */
static void on_group_hit(void *ctx, uint32_t id)
{
	struct sig *s = ctx;
	if (!(s->cur_member[id / 64] >> (id % 64) & 1))
		return;
	/* proto_ok() would refuse it here; the next join pass may still need it (the flow's app
	 * protocol can be decided or change in between), so it is carried all the same */
	if (s->cur_apps && app_refuses(s->cur_apps[id], s->cur_app)) {
		s->st.app_filtered++;
		acc_add(s, id);
		return;
	}
	on_cand(s, id);
}

/* A tx prefilter hit: a candidate when the rule's fast pattern is in the kind being scanned. */
static void on_tx_hit(void *ctx, uint32_t id)
{
	struct sig *s = ctx;
	const struct rule *r = s->rs->rules[id];
	if (r->lists[r->ops[r->fp_op].list].kind == s->cur_kind)
		on_cand(s, id);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static void begin_cands(struct sig *s, bool new_chunk)
{
	size_t nr = s->rs->n ? s->rs->n : 1;
	if (++s->epoch == 0) {
		memset(s->mark, 0, nr * sizeof(uint32_t));
		s->epoch = 1;
	}
	if (new_chunk && ++s->fepoch == 0) {
		memset(s->fired, 0, nr * sizeof(uint32_t));
		s->fepoch = 1;
	}
	s->ncands = 0;
}

static void add_list(struct sig *s, const uint32_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		on_cand(s, v[i]);
}

/* Set the app filter of the payload passes to flow f's app protocol, then add v[0..n) less the
 * rules naming another app protocol (proto_ok() would refuse them). */
static void add_payload_list(struct sig *s, const struct flow *f, const uint32_t *v, size_t n)
{
	s->cur_apps = s->rs->det->rule_app;
	s->cur_app = flow_app_ix(s, f);
	for (size_t i = 0; i < n; i++) {
		if (app_refuses(s->cur_apps[v[i]], s->cur_app))
			s->st.app_filtered++;
		else
			on_cand(s, v[i]);
	}
}

/* Verify the candidates in rule order, pass rules first (Suricata's action order): one that
 * matches ends the inspection. */
static void run_cands(struct sig *s, const struct insp *in)
{
	const struct rule_set *rs = s->rs;
	s->st.candidates += s->ncands;
	/* the always-candidates come first and sorted, the prefilter hits after them: an insertion
	 * sort is linear on that unless there are many hits */
	if (s->ncands > 256) {
		qsort(s->cands, s->ncands, sizeof(uint32_t), cmp_u32);
	} else {
		for (size_t i = 1; i < s->ncands; i++) {
			uint32_t x = s->cands[i];
			size_t j = i;
			for (; j > 0 && s->cands[j - 1] > x; j--)
				s->cands[j] = s->cands[j - 1];
			s->cands[j] = x;
		}
	}
	for (int round = rs->has_pass ? 0 : 1; round < 2; round++) {
		for (size_t i = 0; i < s->ncands; i++) {
			const struct rule *r = rs->rules[s->cands[i]];
			if ((r->action == ACT_PASS) != (round == 0))
				continue;
			if (s->fired[r->index] == s->fepoch)
				continue;
			if (in->kind == IN_STREAM && r->app_ix && (in->app_skip || (in->app_only && false)))
				continue;
			if (in->app_only && !r->app_ix)
				continue;
			bool hit;
			if (s->prof) {
				int64_t t0 = mono_ns();
				hit = eval_rule(s, r, in);
				s->prof[r->index].checks++;
				s->prof[r->index].ns += (uint64_t)(mono_ns() - t0);
			} else {
				hit = eval_rule(s, r, in);
			}
			if (hit && round == 0) {
				s->st.passed++;
				return;
			}
		}
	}
}

static uint16_t server_port(const struct flow *f) { return f->sport; }

static int dclass(const struct flow *f)
{
	return f->proto == 6 ? DC_TCP : f->proto == 17 ? DC_UDP : (f->proto == 1 || f->proto == 58) ? DC_ICMP : DC_OTHER;
}

/* The anchored short fast pattern of r (detect_fp_weak) at one of its few positions in buf? */
static bool anchored_hit(const struct rule *r, const uint8_t *buf, size_t len)
{
	const struct rule_op *op = &r->ops[r->fp_op];
	size_t off = op->u.content.has_offset ? (size_t)op->u.content.offset.v : 0;
	size_t end = off + (size_t)op->u.content.depth.v, pl = op->u.content.len;
	if (end > len)
		end = len;
	for (size_t k = off; k + pl <= end; k++)
		if (eq_bytes(buf + k, op->u.content.pat, pl, op->u.content.nocase))
			return true;
	return false;
}

/* Prefilter then verify a packet or a stream chunk with its group. */
static void inspect_payload(struct sig *s, const struct insp *in, bool new_chunk)
{
	const struct detect *d = s->rs->det;
	const struct sgh *g;
	if (in->kind == IN_STREAM) {
		g = &d->groups[d->stream_map[in->dir][server_port(in->f)]];
	} else {
		int c = dclass(in->f);
		g = &d->groups[d->pkt_map[c][in->dir][c <= DC_UDP ? server_port(in->f) : 0]];
	}
	if (!g->nrules)
		return;
	begin_cands(s, new_chunk);
	add_payload_list(s, in->f, g->nofp, g->nnofp);
	s->cur_member = g->member;
	for (size_t i = 0; i < g->nanch; i++)
		if (anchored_hit(s->rs->rules[g->anch[i]], in->buf, in->len))
			on_cand(s, g->anch[i]);
	size_t nalways = s->ncands;
	/* one scan of the map's prefilter; for a packet whose size no dsize rule of the group
	 * accepts, only when the group has prefiltered rules without dsize */
	bool dsz_ok = g->nfp_dsize && in->kind == IN_PACKET && in->dsize < 65536 &&
		      (g->dsize_ok[in->dsize / 8] >> (in->dsize % 8) & 1);
	if (in->len && (g->nfp || dsz_ok)) {
		mpm_scan(g->mpm, s->scratch, in->buf, in->len, on_group_hit, s);
		s->st.scanned[in->kind == IN_STREAM] += in->len;
	}
	acc_collect(s, nalways);
	run_cands(s, in);
}

/* The join pass of a stream chunk (tail of the earlier bytes + the start of the new ones; a match
 * must span the boundary at j->straddle). A fast pattern in that buffer lies in the tail (the
 * previous chunk's pass found it), in the new bytes (this chunk's pass found it) or across the
 * boundary (a scan of the 2 * SIG_MAX_FP bytes around it finds it): those candidates, not a scan
 * of the whole buffer. */
static void inspect_join(struct sig *s, const struct insp *j, const struct sig_flow *fs, enum flow_dir dir)
{
	const struct detect *d = s->rs->det;
	const struct sgh *g = &d->groups[d->stream_map[dir][server_port(j->f)]];
	if (!g->nrules)
		return;
	begin_cands(s, false);
	add_payload_list(s, j->f, g->nofp, g->nnofp);
	/* an anchored fast pattern sits at fixed positions of the buffer the rule is verified on */
	for (size_t i = 0; i < g->nanch; i++)
		if (anchored_hit(s->rs->rules[g->anch[i]], j->buf, j->len))
			on_cand(s, g->anch[i]);
	s->cur_member = g->member;
	if (!g->nfp) {
		/* no prefiltered rule in the group */
	} else if (fs->carry_all[dir] || s->acc_all) {
		mpm_scan(g->mpm, s->scratch, j->buf, j->len, on_group_hit, s);
		s->st.scanned[2] += j->len;
	} else {
		add_payload_list(s, j->f, fs->carry[dir], fs->ncarry[dir]);
		add_payload_list(s, j->f, s->acc, s->nacc);
		size_t a = j->straddle > SIG_MAX_FP - 1 ? j->straddle - (SIG_MAX_FP - 1) : 0;
		size_t b = KG_MIN(j->len, j->straddle + SIG_MAX_FP - 1);
		mpm_scan(g->mpm, s->scratch, j->buf + a, b - a, on_group_hit, s);
		s->st.scanned[2] += b - a;
	}
	run_cands(s, j);
}

/* SMB flows: inspect each NetBIOS session message (RFC 1002 4.3.1: type, 17-bit length) of a
 * chunk as a buffer of its own, so offsets count from the record as ET's smb rules expect
 * (Suricata's SMB parser cuts the raw stream at record ends the same way). *rem carries the bytes
 * left of a record across chunks; a piece that continues a record is inspected on its own. */
static void inspect_records(struct sig *s, const struct insp *in, uint32_t *rem, bool *lost)
{
	struct {
		size_t off, len;
	} pieces[64];
	size_t np = 0;
	struct cursor c = cur_make(in->buf, in->len);
	size_t off = 0;
	while (!cur_empty(&c) && np < KG_ARRAY_LEN(pieces)) {
		size_t n;
		if (np == KG_ARRAY_LEN(pieces) - 1) {
			n = cur_len(&c); /* the rest as one piece */
			*lost = true;
		} else if (*rem) {
			n = KG_MIN((size_t)*rem, cur_len(&c));
			*rem -= (uint32_t)n;
		} else {
			uint8_t type, fl;
			uint16_t l16;
			if (*lost || !cur_peek_u8(&c, 0, &type) || !cur_peek_u8(&c, 1, &fl) || !cur_peek_be16(&c, 2, &l16) ||
			    (type != 0x00 && type != 0x81 && type != 0x82 && type != 0x83 && type != 0x84 && type != 0x85) ||
			    (fl & 0xfe)) {
				*lost = true;
				n = cur_len(&c);
			} else {
				size_t rl = 4 + ((size_t)(fl & 1) << 16 | l16);
				n = KG_MIN(rl, cur_len(&c));
				*rem = (uint32_t)(rl - n);
			}
		}
		pieces[np].off = off;
		pieces[np].len = n;
		np++;
		(void)cur_skip(&c, n);
		off += n;
	}
	if (np <= 1) {
		inspect_payload(s, in, true);
		return;
	}
	/* one prefilter scan of the whole chunk; its candidates are verified on each record (a
	 * rule alerts at most once per chunk), with the anchored short patterns checked per record */
	const struct detect *d = s->rs->det;
	const struct sgh *g = &d->groups[d->stream_map[in->dir][server_port(in->f)]];
	if (!g->nrules)
		return;
	begin_cands(s, true);
	add_payload_list(s, in->f, g->nofp, g->nnofp);
	s->cur_member = g->member;
	size_t nalways = s->ncands;
	if (g->nfp) {
		mpm_scan(g->mpm, s->scratch, in->buf, in->len, on_group_hit, s);
		s->st.scanned[1] += in->len;
	}
	acc_collect(s, nalways);
	size_t nbase = s->ncands;
	memcpy(s->cands2, s->cands, nbase * sizeof(uint32_t));
	for (size_t k = 0; k < np; k++) {
		struct insp piece = *in;
		piece.buf = in->buf + pieces[k].off;
		piece.len = pieces[k].len;
		piece.base_off = in->base_off + pieces[k].off;
		memcpy(s->cands, s->cands2, nbase * sizeof(uint32_t));
		s->ncands = nbase;
		for (size_t i = 0; i < g->nanch; i++)
			if (s->mark[g->anch[i]] != s->epoch && anchored_hit(s->rs->rules[g->anch[i]], piece.buf, piece.len))
				s->cands[s->ncands++] = g->anch[i];
		run_cands(s, &piece);
	}
}

static bool is_smb(struct sig *s, const struct flow *f) { return flow_app_ix(s, f) == s->smb_ix; }

/* ---------------------------------------------------------------- module callbacks */

static void iponly_cb(void *ctx, uint32_t rule)
{
	struct sig *s = ctx;
	on_cand(s, rule);
}

static void sig_packet(void *ctx, struct engine *e, const struct packet *pkt, struct flow *f, enum flow_dir dir)
{
	(void)e;
	(void)dir;
	struct sig *s = ctx;
	s->pkt = pkt;
	s->pkt_f = f;
	s->chunk_f = NULL;
}

static void sig_packet_done(void *ctx, struct engine *e, const struct packet *pkt, struct flow *f,
			    enum flow_dir dir)
{
	(void)e;
	struct sig *s = ctx;
	if (!s->rs->n)
		goto out;
	if (s->pend_f) {
		if (s->pend_f == f && f->app_name) {
			struct insp pin = {.kind = IN_STREAM, .f = f, .dir = s->pend_dir, .ts_us = s->pend_ts, .buf = s->pend,
					   .len = s->pend_len, .base_off = s->pend_off, .no_stream_off = f->sig == NULL,
					   .app_only = true, .pkt = pkt};
			s->st.deferred++;
			if (is_smb(s, f)) {
				/* the records of the chunk the SMB dissector recognised; the record
				 * left open continues in the next chunk */
				uint32_t rem = s->pend_nb_rem;
				bool lost = false;
				inspect_records(s, &pin, &rem, &lost);
				struct sig_flow *pfs = f->sig;
				if (pfs && s->pend_len == s->pend_full) {
					pfs->nb_rem[s->pend_dir] = rem;
					pfs->nb_lost[s->pend_dir] = lost;
				}
			} else {
				inspect_payload(s, &pin, true);
			}
		}
		s->pend_f = NULL;
	}
	s->st.packets++;
	struct insp in = {.kind = IN_PACKET, .f = f, .dir = dir, .ts_us = pkt->ts_us, .buf = pkt->payload,
			  .len = pkt->payload_len, .dsize = pkt->payload_len, .pkt = pkt};
	if (!in.buf)
		in.len = 0;
	/* IP-only rules: once per flow direction, on its first packet */
	const struct detect *d = s->rs->det;
	if (d->ipo.n && f->pkts[dir] == 1) {
		const uint8_t *src, *dst;
		uint16_t sp, dp;
		flow_endpoints(f, dir, &src, &sp, &dst, &dp);
		begin_cands(s, true);
		s->st.iponly_checks++;
		iponly_match(&d->ipo, f->family, src, dst, iponly_cb, s);
		struct insp ip = in;
		ip.kind = IN_IPONLY;
		ip.buf = NULL;
		ip.len = 0;
		run_cands(s, &ip);
	}
	inspect_payload(s, &in, true);
	const char *names[SIG_MAX_EVENTS];
	size_t n = d->nevents ? applayer_recent_events(f, names, SIG_MAX_EVENTS) : 0;
	for (size_t i = 0; i < n; i++) {
		bool dup = false;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(names[i], names[j]))
				dup = true;
		if (dup)
			continue;
		struct insp ev = in;
		ev.kind = IN_EVENT;
		ev.app_event = names[i];
		begin_cands(s, true);
		for (size_t k = 0; k < d->nevents; k++)
			if (!strcmp(s->rs->rules[d->events[k]]->app_event, names[i]))
				on_cand(s, d->events[k]);
		run_cands(s, &ev);
	}
out:
	s->pkt = NULL;
	s->pkt_f = NULL;
	s->chunk_f = NULL;
}

/* The stream group of flow f in direction dir, NULL when no stream rule can apply to it (its
 * group is empty, or every rule of the group names an app the flow is not). */
static const struct sgh *stream_group(struct sig *s, const struct flow *f, enum flow_dir dir)
{
	const struct detect *d = s->rs->det;
	const struct sgh *g = &d->groups[d->stream_map[dir][server_port(f)]];
	if (!g->nrules)
		return NULL;
	if ((g->sticky_apps & 1) || (!f->app_id && !f->app_failed))
		return g;
	uint16_t ix = flow_app_ix(s, f);
	return ix && ix < 32 && (g->sticky_apps >> ix & 1) ? g : NULL;
}

static bool sig_wants_stream(void *ctx, const struct flow *f, enum flow_dir dir)
{
	struct sig *s = ctx;
	return s->has_stream_rules && f->proto == 6 && stream_group(s, f, dir) != NULL;
}

static void sig_stream(void *ctx, struct engine *e, struct flow *f, enum flow_dir dir, const uint8_t *data,
		       size_t len, int64_t ts_us)
{
	(void)e;
	struct sig *s = ctx;
	s->chunk_f = f;
	s->chunk_dir = dir;
	s->chunk = data;
	s->chunk_len = len;
	if (!s->has_stream_rules || !len)
		return;
	const struct sgh *g = stream_group(s, f, dir);
	if (!g) {
		/* no stream rule's header can apply to this flow: its bytes are neither copied nor scanned */
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
		fs->nb_lost[dir] = true;
		fs->ncarry[dir] = 0;
	}
	struct insp in = {.kind = IN_STREAM, .f = f, .dir = dir, .ts_us = ts_us, .buf = data, .len = len,
			  .base_off = fs ? fs->stream_off[dir] : 0, .no_stream_off = !fs,
			  .pkt = s->pkt_f == f ? s->pkt : NULL};
	if (f->app_id == 0 && !f->app_failed && (g->sticky_apps & ~1u)) {
		/* modules see a chunk before the app layer does: keep it for packet_done */
		in.app_skip = true;
		s->pend_len = KG_MIN(len, (size_t)SIG_PENDING_MAX);
		s->pend_full = len;
		if (s->pend_len < len)
			s->st.deferred_truncated++;
		memcpy(s->pend, data, s->pend_len);
		s->pend_f = f;
		s->pend_dir = dir;
		s->pend_ts = ts_us;
		s->pend_off = in.base_off;
		s->pend_nb_rem = fs ? fs->nb_rem[dir] : 0;
	}
	/* pass 1: the new bytes on their own (offset/depth count from the chunk start; SMB: from
	 * each NetBIOS message); the deferred app rules see them in packet_done */
	s->nacc = 0;
	s->acc_all = false;
	s->acc_on = fs != NULL;
	if (fs && is_smb(s, f))
		inspect_records(s, &in, &fs->nb_rem[dir], &fs->nb_lost[dir]);
	else
		inspect_payload(s, &in, true);
	s->acc_on = false;
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
		inspect_join(s, &j, fs, dir);
	}
	/* this chunk's candidates serve the next join pass */
	fs->carry_all[dir] = s->acc_all;
	fs->ncarry[dir] = (uint8_t)s->nacc;
	memcpy(fs->carry[dir], s->acc, s->nacc * sizeof(uint32_t));
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

/* A transaction view: the tx rules of its app and each direction, prefiltered on its buffers. */
static void sig_inspect_tx(struct sig *s, struct flow *f, const struct inspect_tx *tx, int64_t ts_us)
{
	const struct detect *d = s->rs->det;
	uint16_t app = rule_app_index(tx->app);
	if (!app || app >= d->napps)
		return;
	s->st.tx_views++;
	if (tx->overflow)
		s->st.tx_overflows++;
	for (int dir = 0; dir < 2; dir++) {
		const struct txg *g = &d->tx[dir][app];
		if (!g->nrules)
			continue;
		begin_cands(s, true);
		add_list(s, g->nofp, g->nnofp);
		for (size_t k = 0; k < g->nk; k++) {
			const struct bkind *bk = &s->rs->kinds[g->kinds[k]];
			s->cur_kind = g->kinds[k];
			const struct ib_def *def = &ib_table[bk->ib];
			enum flow_dir bd = def->dirs == IBD_TS ? DIR_TO_SERVER : def->dirs == IBD_TC ? DIR_TO_CLIENT
												  : (enum flow_dir)dir;
			size_t nb = inspect_count(tx, (enum ib_id)bk->ib, bd);
			for (size_t b = 0; b < nb; b++) {
				const struct ib_buf *ib = inspect_get(tx, (enum ib_id)bk->ib, bd, b);
				const uint8_t *p = ib->p;
				size_t n = ib->len;
				if (bk->chain && !xform_apply(&s->rs->chains[bk->chain], ib->p, ib->len, &s->xw, &p, &n))
					s->st.xform_truncated++;
				mpm_scan(g->mpm, s->scratch, p, n, on_tx_hit, s);
				s->st.scanned[3] += n;
			}
		}
		struct insp in = {.kind = IN_TX, .f = f, .dir = (enum flow_dir)dir, .ts_us = ts_us, .tx = tx,
				  .pkt = s->pkt_f == f ? s->pkt : NULL};
		if (s->chunk_f == f && s->chunk_dir == (enum flow_dir)dir) {
			in.buf = s->chunk;
			in.len = s->chunk_len;
		} else if (s->pkt_f == f && s->pkt && s->pkt->payload) {
			in.buf = s->pkt->payload;
			in.len = s->pkt->payload_len;
		}
		in.dsize = in.len;
		run_cands(s, &in);
	}
}

static void sig_inspect(void *ctx, struct engine *e, struct flow *f, const struct inspect_tx *tx, int64_t ts_us)
{
	(void)e;
	struct sig *s = ctx;
	if (s->rs->n && tx)
		sig_inspect_tx(s, f, tx, ts_us);
}

void sig_inspect_view(struct sig *s, struct flow *f, const struct inspect_tx *tx, int64_t ts_us)
{
	sig_inspect(s, NULL, f, tx, ts_us);
}

static void sig_flow_end(void *ctx, struct engine *e, struct flow *f)
{
	(void)e;
	struct sig *s = ctx;
	if (s->pend_f == f)
		s->pend_f = NULL;
	if (s->chunk_f == f)
		s->chunk_f = NULL;
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
	const struct detect *d = s->rs->det;
	ev_u64(ev, "rules", s->rs->n);
	ev_u64(ev, "rules_skipped", s->rs->skipped);
	ev_str(ev, "prefilter", mpm_name(d->mpm_kind));
	ev_u64(ev, "rules_without_fast_pattern", d->rules_nofp);
	ev_u64(ev, "rules_ip_only", d->ipo.n);
	ev_u64(ev, "groups", d->ngroups);
	ev_u64(ev, "prefilters", d->prefilters);
	ev_u64(ev, "prefilter_patterns", d->patterns);
	ev_u64(ev, "prefilter_bytes", d->mem);
	ev_u64(ev, "load_us", (uint64_t)s->rs->load_us);
	ev_u64(ev, "packets_inspected", s->st.packets);
	ev_u64(ev, "stream_chunks_inspected", s->st.stream_chunks);
	ev_u64(ev, "stream_chunks_skipped", s->st.stream_chunks_skipped);
	ev_u64(ev, "tx_views", s->st.tx_views);
	ev_u64(ev, "tx_view_overflows", s->st.tx_overflows);
	ev_u64(ev, "tx_rules_run", s->st.tx_rules_run);
	ev_u64(ev, "ip_only_checks", s->st.iponly_checks);
	ev_u64(ev, "scanned_packet_bytes", s->st.scanned[0]);
	ev_u64(ev, "scanned_stream_bytes", s->st.scanned[1]);
	ev_u64(ev, "scanned_join_bytes", s->st.scanned[2]);
	ev_u64(ev, "scanned_tx_bytes", s->st.scanned[3]);
	ev_u64(ev, "candidates", s->st.candidates);
	ev_u64(ev, "candidates_other_app", s->st.app_filtered);
	ev_u64(ev, "rules_evaluated", s->st.evaluated);
	ev_u64(ev, "alerts", s->st.alerts);
	ev_u64(ev, "alerts_suppressed", s->st.suppressed);
	ev_u64(ev, "passed", s->st.passed);
	ev_u64(ev, "match_step_limit", s->st.step_limit);
	ev_u64(ev, "pcre_match_limit", s->st.pcre_match_limit);
	ev_u64(ev, "pcre_depth_limit", s->st.pcre_depth_limit);
	ev_u64(ev, "transform_truncated", s->st.xform_truncated);
	ev_u64(ev, "flow_states", s->st.flow_states);
	ev_u64(ev, "flow_states_active", s->st.flow_states_active);
	ev_u64(ev, "flow_states_capped", s->st.flow_states_capped);
	ev_u64(ev, "deferred_chunks", s->st.deferred);
	ev_u64(ev, "deferred_truncated", s->st.deferred_truncated);
	ev_u64(ev, "host_states", host_entries(s->hosts));
	ev_u64(ev, "host_state_evictions", host_evictions(s->hosts));
	ev_u64(ev, "reloads", s->st.reloads);
	ev_u64(ev, "reload_failures", s->st.reload_failures);
}

struct prof_row {
	uint32_t rule;
	uint64_t ns;
};

static int prof_cmp(const void *a, const void *b)
{
	const struct prof_row *x = a, *y = b;
	return x->ns > y->ns ? -1 : x->ns < y->ns;
}

void sig_profile_report(struct sig *s, FILE *out)
{
	if (!s->prof || !s->rs->n)
		return;
	struct prof_row *rows = kg_malloc(s->rs->n * sizeof(*rows), "rule profile");
	uint64_t total = 0;
	for (size_t i = 0; i < s->rs->n; i++) {
		rows[i].rule = (uint32_t)i;
		rows[i].ns = s->prof[i].ns;
		total += s->prof[i].ns;
	}
	qsort(rows, s->rs->n, sizeof(*rows), prof_cmp);
	fprintf(out, "kagami: rule profile (top %zu of %zu rules by time; %.3f s in rule checks)\n", s->profile_top,
		s->rs->n, (double)total / 1e9);
	fprintf(out, "%5s %10s %12s %10s %10s %10s  %s\n", "rank", "sid", "checks", "matches", "ms", "ns/check", "rule");
	for (size_t i = 0; i < s->profile_top && i < s->rs->n; i++) {
		const struct rule *r = s->rs->rules[rows[i].rule];
		const struct prof *p = &s->prof[rows[i].rule];
		if (!p->checks)
			break;
		fprintf(out, "%5zu %10u %12llu %10llu %10.2f %10llu  %s:%u %s\n", i + 1, r->sid,
			(unsigned long long)p->checks, (unsigned long long)p->matches, (double)p->ns / 1e6,
			(unsigned long long)(p->ns / p->checks), r->file, r->line, r->msg);
	}
	free(rows);
}

static void sig_finish(void *ctx, struct engine *e)
{
	(void)e;
	struct sig *s = ctx;
	if (s->prof)
		sig_profile_report(s, stderr);
}

static void sig_destroy(void *ctx) { (void)ctx; /* owned by sensor_modules: sig_free() */ }

void sig_packet_view(struct sig *s, const struct packet *pkt, struct flow *f, enum flow_dir dir)
{
	sig_packet(s, NULL, pkt, f, dir);
	sig_packet_done(s, NULL, pkt, f, dir);
}

void sig_flow_done(struct sig *s, struct flow *f) { sig_flow_end(s, NULL, f); }
uint64_t sig_alerts(const struct sig *s) { return s->st.alerts; }

bool sig_attach(struct sig *s, struct engine *e)
{
	struct engine_module m = {
		.name = "signatures",
		.ctx = s,
		.packet = sig_packet,
		.packet_done = sig_packet_done,
		.inspect = sig_inspect,
		.stream = sig_stream,
		.wants_stream = sig_wants_stream,
		.flow_end = sig_flow_end,
		.stats = sig_stats_cb,
		.finish = sig_finish,
		.destroy = sig_destroy,
	};
	return engine_add_module(e, &m);
}
