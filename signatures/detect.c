/* detect.c - building the compiled rule set (detect.h): signature group heads by transport,
 * direction and server port with their prefilters, transaction groups by app protocol, direction
 * and buffer kind, IP-only interval tables. The design follows Suricata's detection engine
 * (detect-engine-siggroup.c, detect-engine-iponly.c, detect-engine-mpm.c); the code is kagami's. */
#include "config.h"

#include "detect.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"

struct u32v {
	uint32_t *v;
	size_t n, cap;
};

static void u32_push(struct u32v *a, uint32_t x)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 16;
		a->v = kg_realloc(a->v, a->cap * sizeof(uint32_t), "rule groups");
	}
	a->v[a->n++] = x;
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

void detect_free(struct detect *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->ngroups; i++) {
		free(d->groups[i].nofp);
		free(d->groups[i].member);
		free(d->groups[i].dsize_ok);
		free(d->groups[i].anch);
	}
	free(d->groups);
	for (size_t i = 0; i < d->nmpms; i++)
		mpm_free(d->mpms[i]);
	free(d->mpms);
	for (int c = 0; c < DC__COUNT; c++)
		for (int k = 0; k < 2; k++)
			free(d->pkt_map[c][k]);
	for (int k = 0; k < 2; k++) {
		free(d->stream_map[k]);
		if (d->tx[k]) {
			for (size_t a = 0; a < d->napps; a++) {
				mpm_free(d->tx[k][a].mpm);
				free(d->tx[k][a].kinds);
				free(d->tx[k][a].nofp);
			}
			free(d->tx[k]);
		}
	}
	free(d->events);
	free(d->rule_app);
	free(d->ipo.rules);
	free(d->ipo.sets);
	free(d->ipo.bidir);
	for (int f = 0; f < 2; f++) {
		free(d->ipo.src[f].starts);
		free(d->ipo.src[f].set);
		free(d->ipo.dst[f].starts);
		free(d->ipo.dst[f].set);
	}
	free(d);
}

/* ---------------------------------------------------------------- rule selection */

static bool dir_ok(const struct rule *r, int d)
{
	if ((r->flow & RF_TO_SERVER) && d != 0)
		return false;
	if ((r->flow & RF_TO_CLIENT) && d != 1)
		return false;
	return true;
}

/* Does rule r belong to the packet groups of transport class c? */
static bool in_packet_class(const struct rule *r, int c)
{
	if (r->path == PATH_PACKET) {
		switch (r->proto) {
		case RP_TCP: return c == DC_TCP;
		case RP_UDP: return c == DC_UDP;
		case RP_ICMP: return c == DC_ICMP;
		default: return !r->app[0] || c == DC_TCP || c == DC_UDP;
		}
	}
	/* ip rules with payload keywords: reassembled data on TCP, the packet elsewhere */
	if (r->path == PATH_STREAM && r->proto == RP_IP)
		return c != DC_TCP && (!r->app[0] || c == DC_UDP);
	return false;
}

static bool in_stream(const struct rule *r) { return r->path == PATH_STREAM; }

bool detect_fp_weak(const struct rule *r, bool *anchored)
{
	*anchored = false;
	if (r->fp_op < 0 || r->lists[r->ops[r->fp_op].list].kind != 0)
		return false;
	const struct rule_op *op = &r->ops[r->fp_op];
	if (r->fp_direct) {
		*anchored = true; /* a common pattern at a few fixed positions (rules.h fp_direct) */
		return true;
	}
	if (op->u.content.len >= DETECT_MIN_FP)
		return false;
	*anchored = !op->u.content.relative && op->u.content.has_depth && op->u.content.depth.var < 0 &&
		    (!op->u.content.has_offset || op->u.content.offset.var < 0) &&
		    op->u.content.depth.v <= DETECT_MAX_ANCHOR;
	return true;
}

/* Add r's fast pattern (in list kind 0 for payload groups, or in kind k) to m; false = no fast
 * pattern there. */
static bool add_fp(struct mpm *m, const struct rule *r, int kind, const struct rule_set *rs)
{
	(void)rs;
	if (r->fp_op < 0)
		return false;
	const struct rule_op *op = &r->ops[r->fp_op];
	if (r->lists[op->list].kind != kind)
		return false;
	mpm_add(m, op->u.content.pat, op->u.content.len, op->u.content.nocase, r->index);
	return true;
}

/* ---------------------------------------------------------------- port groups */

struct gbuild {
	struct detect *d;
	const struct rule_set *rs;
	char *errbuf;
	size_t errlen;
	int rc;
	const struct mpm *map_mpm;   /* the prefilter of the map being built */
	struct mpm **todo;           /* prefilters to compile at the end, in parallel */
	size_t ntodo;
};

static void defer_compile(struct gbuild *b, struct mpm *m)
{
	b->todo = kg_realloc(b->todo, (b->ntodo + 1) * sizeof(*b->todo), "prefilters");
	b->todo[b->ntodo++] = m;
}

struct cjob {
	struct gbuild *b;
	pthread_mutex_t lock;
	size_t next;
	int rc;
	char err[256];
};

static void *compile_worker(void *arg)
{
	struct cjob *j = arg;
	for (;;) {
		pthread_mutex_lock(&j->lock);
		size_t i = j->next++;
		pthread_mutex_unlock(&j->lock);
		if (i >= j->b->ntodo)
			return NULL;
		char err[256];
		if (mpm_compile(j->b->todo[i], err, sizeof(err)) != MPM_OK) {
			pthread_mutex_lock(&j->lock);
			if (j->rc == RULE_OK) {
				j->rc = RULE_ERR_LIMIT;
				snprintf(j->err, sizeof(j->err), "%s", err);
			}
			pthread_mutex_unlock(&j->lock);
		}
	}
}

/* Compile every deferred prefilter, on as many threads as there are CPUs (up to 8): Hyperscan's
 * build is the largest part of loading ET Open. */
static void compile_all(struct gbuild *b)
{
	struct cjob j = {.b = b, .rc = RULE_OK};
	pthread_mutex_init(&j.lock, NULL);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nt = ncpu < 1 ? 1 : ncpu > 8 ? 8 : (size_t)ncpu;
	if (nt > b->ntodo)
		nt = b->ntodo ? b->ntodo : 1;
	pthread_t th[8];
	size_t started = 0;
	for (size_t i = 1; i < nt; i++)
		if (pthread_create(&th[started], NULL, compile_worker, &j) == 0)
			started++;
	compile_worker(&j);
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&j.lock);
	if (j.rc != RULE_OK && b->rc == RULE_OK) {
		b->rc = j.rc;
		snprintf(b->errbuf, b->errlen, "%s", j.err);
	}
	for (size_t i = 0; i < b->ntodo; i++) {
		b->d->patterns += mpm_patterns(b->todo[i]);
		b->d->mem += mpm_memory(b->todo[i]);
	}
	free(b->todo);
	b->todo = NULL;
	b->ntodo = 0;
}

/* The prefilter of one map: the fast patterns of every selected rule. */
static struct mpm *map_prefilter(struct gbuild *b, const uint32_t *sel, size_t nsel)
{
	struct detect *d = b->d;
	struct mpm *m = mpm_new(d->mpm_kind);
	mpm_set_bulk(m);
	for (size_t i = 0; i < nsel; i++) {
		const struct rule *r = b->rs->rules[sel[i]];
		bool anch;
		if (!detect_fp_weak(r, &anch))
			(void)add_fp(m, r, 0, b->rs);
	}
	defer_compile(b, m);
	d->prefilters++;
	d->mpms = kg_realloc(d->mpms, (d->nmpms + 1) * sizeof(*d->mpms), "prefilters");
	d->mpms[d->nmpms++] = m;
	b->map_mpm = m;
	return m;
}

/* Set the bits of the payload sizes (0..65535) r's dsize accepts: one or two intervals, marked
 * as ranges (a loop over every size per rule made this the largest part of building the groups). */
static void mark_range(uint8_t *bits, uint32_t a, uint32_t b)
{
	if (b > 65535)
		b = 65535;
	for (; a <= b && a % 8; a++)
		bits[a / 8] |= (uint8_t)(1u << (a % 8));
	if (a > b)
		return;
	if (b - a + 1 >= 8) {
		uint32_t whole = (b - a + 1) / 8;
		memset(bits + a / 8, 0xff, whole);
		a += whole * 8;
	}
	for (; a <= b; a++)
		bits[a / 8] |= (uint8_t)(1u << (a % 8));
}

static void dsize_mark(uint8_t *sizes, const struct rule *r)
{
	uint32_t lo = r->dsize_lo, hi = r->dsize_hi;
	switch (r->dsize_op) {
	case 0:
		mark_range(sizes, lo, lo);
		break;
	case 1:
		if (lo)
			mark_range(sizes, 0, lo - 1);
		break;
	case 2:
		mark_range(sizes, lo + 1, 65535);
		break;
	case 3:
		if (hi > lo + 1)
			mark_range(sizes, lo + 1, hi - 1);
		break;
	default:
		if (lo)
			mark_range(sizes, 0, lo - 1);
		mark_range(sizes, lo + 1, 65535);
		break;
	}
}

/* Make a group of the rules in list (sorted; duplicates allowed): member bitset, the rules
 * without a fast pattern as always-candidates. Returns its index. */
static uint16_t make_group(struct gbuild *b, const uint32_t *list, size_t n)
{
	struct detect *d = b->d;
	d->groups = kg_realloc(d->groups, (d->ngroups + 1) * sizeof(*d->groups), "rule groups");
	struct sgh *g = &d->groups[d->ngroups];
	memset(g, 0, sizeof(*g));
	size_t words = (b->rs->n + 63) / 64;
	g->member = kg_calloc(words ? words : 1, sizeof(uint64_t), "rule groups");
	g->mpm = b->map_mpm;
	struct u32v nofp = {0}, anchv = {0};
	uint8_t *sizes = kg_calloc(65536 / 8, 1, "rule groups");
	for (size_t i = 0; i < n; i++) {
		const struct rule *r = b->rs->rules[list[i]];
		if (g->member[r->index / 64] >> (r->index % 64) & 1)
			continue;
		bool anchored, weak = detect_fp_weak(r, &anchored);
		bool fp = r->fp_op >= 0 && r->lists[r->ops[r->fp_op].list].kind == 0 && !weak;
		if (weak && anchored)
			u32_push(&anchv, r->index);
		else if (weak)
			u32_push(&nofp, r->index);
		if (fp && !(r->has_dsize && r->path == PATH_PACKET))
			g->nfp++;
		if (fp && r->has_dsize && r->path == PATH_PACKET) {
			g->nfp_dsize++;
			dsize_mark(sizes, r);
		}
		g->member[r->index / 64] |= 1ULL << (r->index % 64);
		g->nrules++;
		g->sticky_apps |= r->app_ix && r->app_ix < 32 ? 1u << r->app_ix : 1u;
		if (r->fp_op < 0 || r->lists[r->ops[r->fp_op].list].kind != 0)
			u32_push(&nofp, r->index);
	}
	g->anch = anchv.v;
	g->nanch = anchv.n;
	g->dsize_ok = sizes;
	d->mem += 65536 / 8;
	if (nofp.n > 1)
		qsort(nofp.v, nofp.n, sizeof(uint32_t), u32_cmp);
	g->nofp = nofp.v;
	g->nnofp = nofp.n;
	d->rules_nofp += nofp.n;
	d->mem += words * 8 + nofp.n * 4;
	return (uint16_t)d->ngroups++;
}

static uint64_t set_hash(const uint32_t *v, size_t n)
{
	uint64_t h = 1469598103934665603ULL ^ n;
	for (size_t i = 0; i < n; i++)
		h = (h ^ v[i]) * 1099511628211ULL;
	return h;
}

struct pgroup {
	uint32_t *rules; /* the specific rules (port-restricted) active over a port interval */
	size_t n;
	uint64_t h;
	size_t ports;    /* ports covered */
};

struct ev {
	uint32_t port;
	uint32_t rule;
	int add;
};

static int ev_cmp(const void *x, const void *y)
{
	const struct ev *a = x, *b = y;
	return a->port < b->port ? -1 : a->port > b->port;
}

static int pg_cmp(const void *a, const void *b)
{
	const struct pgroup *x = a, *y = b;
	return x->n > y->n ? -1 : x->n < y->n;
}

/* Group the rules sel[0..nsel) by the server port they can see in direction dir, into map
 * (65536 entries): rules for every port in every group, the port-specific rules in the group of
 * their ports; the DETECT_MAX_PORT_GROUPS largest distinct sets get their own group, the others
 * share one (a superset is always correct: the header is checked per candidate). */
static uint16_t *port_groups(struct gbuild *b, const uint32_t *sel, size_t nsel, int dir)
{
	const struct rule_set *rs = b->rs;
	struct u32v base = {0};
	/* sweep events: (port, +rule) at lo, (port, -rule) at hi + 1 */
	struct ev *evs = NULL;
	size_t nev = 0, capev = 0;
	for (size_t i = 0; i < nsel; i++) {
		const struct rule *r = rs->rules[sel[i]];
		const struct port_set *a = dir == 0 ? r->dport : r->sport, *o = dir == 0 ? r->sport : r->dport;
		if (a->all || (r->bidir && o->all)) {
			u32_push(&base, r->index);
			continue;
		}
		for (int side = 0; side < (r->bidir ? 2 : 1); side++) {
			const struct port_set *ps = side ? o : a;
			for (uint32_t k = 0; k < ps->nr; k++) {
				if (nev + 2 > capev) {
					capev = capev ? capev * 2 : 64;
					evs = kg_realloc(evs, capev * sizeof(*evs), "rule groups");
				}
				evs[nev++] = (struct ev){ps->r[k].lo, r->index, 1};
				evs[nev++] = (struct ev){(uint32_t)ps->r[k].hi + 1, r->index, -1};
			}
		}
	}
	/* elementary intervals and their specific rule sets (a rule may appear twice for a bidir
	 * rule whose two port sets overlap: counted) */
	if (nev > 1)
		qsort(evs, nev, sizeof(*evs), ev_cmp);
	uint32_t *cnt = kg_calloc(rs->n ? rs->n : 1, sizeof(uint32_t), "rule groups");
	struct u32v active = {0};
	struct pgroup *pgs = NULL;
	size_t npg = 0;
	uint32_t *interval_pg = kg_malloc(65536 * sizeof(uint32_t), "rule groups"); /* port -> pg index */
	uint32_t port = 0;
	size_t e = 0;
	while (port < 65536) {
		while (e < nev && evs[e].port == port) {
			uint32_t ri = evs[e].rule;
			if (evs[e].add > 0) {
				if (cnt[ri]++ == 0)
					u32_push(&active, ri);
			} else if (--cnt[ri] == 0) {
				for (size_t k = 0; k < active.n; k++)
					if (active.v[k] == ri) {
						active.v[k] = active.v[--active.n];
						break;
					}
			}
			e++;
		}
		uint32_t next = e < nev ? evs[e].port : 65536;
		if (next > 65536)
			next = 65536;
		if (active.n > 1)
			qsort(active.v, active.n, sizeof(uint32_t), u32_cmp);
		uint64_t h = set_hash(active.v, active.n);
		size_t k;
		for (k = 0; k < npg; k++)
			if (pgs[k].h == h && pgs[k].n == active.n &&
			    (!active.n || !memcmp(pgs[k].rules, active.v, active.n * sizeof(uint32_t))))
				break;
		if (k == npg) {
			pgs = kg_realloc(pgs, (npg + 1) * sizeof(*pgs), "rule groups");
			pgs[npg].rules = active.n ? kg_malloc(active.n * sizeof(uint32_t), "rule groups") : NULL;
			if (active.n)
				memcpy(pgs[npg].rules, active.v, active.n * sizeof(uint32_t));
			pgs[npg].n = active.n;
			pgs[npg].h = h;
			pgs[npg].ports = 0;
			npg++;
		}
		pgs[k].ports += next - port;
		for (uint32_t x = port; x < next; x++)
			interval_pg[x] = (uint32_t)k;
		port = next;
	}
	free(evs);
	free(cnt);
	free(active.v);
	/* rank the distinct sets by size; the first DETECT_MAX_PORT_GROUPS - 1 keep their own group */
	size_t *order = kg_malloc((npg ? npg : 1) * sizeof(size_t), "rule groups");
	struct pgroup *sorted = kg_malloc((npg ? npg : 1) * sizeof(*sorted), "rule groups");
	memcpy(sorted, pgs, npg * sizeof(*pgs));
	for (size_t i = 0; i < npg; i++)
		sorted[i].ports = i; /* remember the original index */
	if (npg > 1)
		qsort(sorted, npg, sizeof(*sorted), pg_cmp);
	uint16_t *gid = kg_malloc((npg ? npg : 1) * sizeof(uint16_t), "rule groups");
	/* a group holds the rules for every port and the port-specific ones of its ports */
	uint16_t bg = make_group(b, base.v, base.n);
	struct u32v rest = {0};
	bool have_rest = false;
	for (size_t i = 0; i < npg; i++) {
		size_t orig = sorted[i].ports;
		order[orig] = i;
		if (!sorted[i].n) {
			gid[orig] = bg;
		} else if (i < DETECT_MAX_PORT_GROUPS - 1 || npg <= DETECT_MAX_PORT_GROUPS) {
			struct u32v all = {0};
			for (size_t k = 0; k < base.n; k++)
				u32_push(&all, base.v[k]);
			for (size_t k = 0; k < sorted[i].n; k++)
				u32_push(&all, sorted[i].rules[k]);
			gid[orig] = make_group(b, all.v, all.n);
			free(all.v);
		} else {
			for (size_t k = 0; k < sorted[i].n; k++)
				u32_push(&rest, sorted[i].rules[k]);
			have_rest = true;
			gid[orig] = UINT16_MAX;
		}
	}
	if (have_rest) {
		for (size_t k = 0; k < base.n; k++)
			u32_push(&rest, base.v[k]);
		uint16_t g = make_group(b, rest.v, rest.n);
		for (size_t i = 0; i < npg; i++)
			if (gid[i] == UINT16_MAX)
				gid[i] = g;
	}
	free(rest.v);
	uint16_t *map = kg_malloc(65536 * sizeof(uint16_t), "rule group map");
	for (uint32_t x = 0; x < 65536; x++)
		map[x] = gid[interval_pg[x]];
	for (size_t i = 0; i < npg; i++)
		free(pgs[i].rules);
	free(pgs);
	free(sorted);
	free(order);
	free(gid);
	free(interval_pg);
	free(base.v);
	return map;
}

/* ---------------------------------------------------------------- transactions */

static void build_tx(struct gbuild *b)
{
	struct detect *d = b->d;
	const struct rule_set *rs = b->rs;
	d->napps = rule_app_count();
	for (int dir = 0; dir < 2; dir++) {
		d->tx[dir] = kg_calloc(d->napps, sizeof(struct txg), "tx groups");
		for (size_t a = 1; a < d->napps; a++) {
			struct txg *g = &d->tx[dir][a];
			struct u32v nofp = {0};
			for (size_t i = 0; i < rs->n; i++) {
				const struct rule *r = rs->rules[i];
				if (r->path != PATH_TX || !r->prog[dir] || rule_app_index(r->tx_app) != a)
					continue;
				g->nrules++;
				int kind = r->fp_op >= 0 ? r->lists[r->ops[r->fp_op].list].kind : -1;
				if (kind <= 0) {
					u32_push(&nofp, r->index);
					continue;
				}
				size_t k;
				for (k = 0; k < g->nk; k++)
					if (g->kinds[k] == kind)
						break;
				if (k == g->nk) {
					g->kinds = kg_realloc(g->kinds, (g->nk + 1) * sizeof(*g->kinds), "tx groups");
					g->kinds[g->nk++] = (uint16_t)kind;
				}
				/* transaction buffers are short (a URI, a host name): the automaton scans them
				 * without Hyperscan's per-call cost and builds in a fraction of its time */
				if (!g->mpm)
					g->mpm = mpm_new(MPM_AC);
				add_fp(g->mpm, r, kind, rs);
			}
			if (g->mpm) {
				defer_compile(b, g->mpm);
				d->prefilters++;
			}
			g->nofp = nofp.v;
			g->nnofp = nofp.n;
			d->rules_nofp += nofp.n;
		}
	}
}

/* ---------------------------------------------------------------- IP-only */

struct set_tab {
	uint64_t *sets;
	size_t n, cap, words;
	uint32_t *hash; /* index + 1 */
	size_t hcap;
};

static uint64_t bits_hash(const uint64_t *b, size_t w)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < w; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	return h;
}

static uint32_t set_intern(struct set_tab *t, const uint64_t *bits)
{
	if ((t->n + 1) * 2 > t->hcap) {
		size_t cap = t->hcap ? t->hcap * 2 : 256;
		free(t->hash);
		t->hash = kg_calloc(cap, sizeof(uint32_t), "ip-only sets");
		t->hcap = cap;
		for (size_t i = 0; i < t->n; i++) {
			size_t s = bits_hash(&t->sets[i * t->words], t->words) & (cap - 1);
			while (t->hash[s])
				s = (s + 1) & (cap - 1);
			t->hash[s] = (uint32_t)i + 1;
		}
	}
	size_t s = bits_hash(bits, t->words) & (t->hcap - 1);
	for (; t->hash[s]; s = (s + 1) & (t->hcap - 1))
		if (!memcmp(&t->sets[(t->hash[s] - 1) * t->words], bits, t->words * sizeof(uint64_t)))
			return t->hash[s] - 1;
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->sets = kg_realloc(t->sets, t->cap * t->words * sizeof(uint64_t), "ip-only sets");
	}
	memcpy(&t->sets[t->n * t->words], bits, t->words * sizeof(uint64_t));
	t->hash[s] = (uint32_t)t->n + 1;
	return (uint32_t)t->n++;
}

struct aev {
	struct addr_num at;
	uint32_t bit;
	int add;
};

static int aev_cmp(const void *a, const void *b)
{
	const struct aev *x = a, *y = b;
	if (x->at.hi != y->at.hi)
		return x->at.hi < y->at.hi ? -1 : 1;
	return x->at.lo < y->at.lo ? -1 : x->at.lo > y->at.lo;
}

static void ipo_tab(struct iponly *ipo, struct set_tab *st, const struct rule_set *rs, bool src, int fam,
		    struct ipo_tab *out)
{
	struct aev *evs = NULL;
	size_t nev = 0, cap = 0;
	struct addr_num maxv = fam ? (struct addr_num){UINT64_MAX, UINT64_MAX} : (struct addr_num){0, 0xffffffffu};
	for (size_t i = 0; i < ipo->n; i++) {
		const struct rule *r = rs->rules[ipo->rules[i]];
		const struct addr_set *s = src ? r->src : r->dst;
		const struct addr_range *rg = fam ? s->r6 : s->r4;
		uint32_t nr = fam ? s->n6 : s->n4;
		for (uint32_t k = 0; k < nr; k++) {
			if (nev + 2 > cap) {
				cap = cap ? cap * 2 : 256;
				evs = kg_realloc(evs, cap * sizeof(*evs), "ip-only build");
			}
			evs[nev++] = (struct aev){rg[k].lo, (uint32_t)i, 1};
			if (memcmp(&rg[k].hi, &maxv, sizeof(maxv)) != 0) {
				struct addr_num e = rg[k].hi;
				if (++e.lo == 0)
					e.hi++;
				evs[nev++] = (struct aev){e, (uint32_t)i, -1};
			}
		}
	}
	if (nev > 1)
		qsort(evs, nev, sizeof(*evs), aev_cmp);
	uint64_t *cur = kg_calloc(ipo->words ? ipo->words : 1, sizeof(uint64_t), "ip-only build");
	uint32_t *cnt = kg_calloc(ipo->n ? ipo->n : 1, sizeof(uint32_t), "ip-only build");
	size_t capo = 0;
	out->n = 0;
	/* the interval from 0 up to the first event */
	size_t e = 0;
	struct addr_num at = {0, 0};
	for (;;) {
		while (e < nev && !aev_cmp(&evs[e], &(struct aev){at, 0, 0})) {
			uint32_t bit = evs[e].bit;
			if (evs[e].add > 0) {
				if (cnt[bit]++ == 0)
					cur[bit / 64] |= 1ULL << (bit % 64);
			} else if (--cnt[bit] == 0) {
				cur[bit / 64] &= ~(1ULL << (bit % 64));
			}
			e++;
		}
		if (out->n == capo) {
			capo = capo ? capo * 2 : 64;
			out->starts = kg_realloc(out->starts, capo * sizeof(*out->starts), "ip-only tables");
			out->set = kg_realloc(out->set, capo * sizeof(uint32_t), "ip-only tables");
		}
		out->starts[out->n] = at;
		out->set[out->n] = set_intern(st, cur);
		out->n++;
		if (e >= nev)
			break;
		at = evs[e].at;
	}
	free(evs);
	free(cur);
	free(cnt);
}

static void build_iponly(struct gbuild *b)
{
	struct detect *d = b->d;
	const struct rule_set *rs = b->rs;
	struct iponly *ipo = &d->ipo;
	struct u32v rules = {0};
	for (size_t i = 0; i < rs->n; i++)
		if (rs->rules[i]->path == PATH_IPONLY)
			u32_push(&rules, (uint32_t)i);
	ipo->rules = rules.v;
	ipo->n = rules.n;
	ipo->words = (rules.n + 63) / 64;
	if (!ipo->n)
		return;
	ipo->bidir = kg_calloc(ipo->words, sizeof(uint64_t), "ip-only sets");
	for (size_t i = 0; i < ipo->n; i++)
		if (rs->rules[ipo->rules[i]]->bidir)
			ipo->bidir[i / 64] |= 1ULL << (i % 64);
	struct set_tab st = {.words = ipo->words};
	for (int fam = 0; fam < 2; fam++) {
		ipo_tab(ipo, &st, rs, true, fam, &ipo->src[fam]);
		ipo_tab(ipo, &st, rs, false, fam, &ipo->dst[fam]);
	}
	ipo->sets = st.sets;
	ipo->nsets = st.n;
	free(st.hash);
	d->mem += st.n * st.words * 8;
	for (int fam = 0; fam < 2; fam++)
		d->mem += (ipo->src[fam].n + ipo->dst[fam].n) * (sizeof(struct addr_num) + 4);
}

static const uint64_t *ipo_lookup(const struct iponly *ipo, const struct ipo_tab *t, struct addr_num x)
{
	size_t lo = 0, hi = t->n;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		const struct addr_num *s = &t->starts[mid];
		if (s->hi < x.hi || (s->hi == x.hi && s->lo <= x.lo))
			lo = mid;
		else
			hi = mid;
	}
	return &ipo->sets[(size_t)t->set[lo] * ipo->words];
}

void iponly_match(const struct iponly *ipo, int family, const uint8_t *src, const uint8_t *dst,
		  void (*cb)(void *ctx, uint32_t rule), void *ctx)
{
	if (!ipo->n || (family != 4 && family != 6))
		return;
	int f = family == 6;
	struct addr_num s = addr_num_of(family, src), t = addr_num_of(family, dst);
	const uint64_t *fs = ipo_lookup(ipo, &ipo->src[f], s), *fd = ipo_lookup(ipo, &ipo->dst[f], t);
	const uint64_t *rs = ipo_lookup(ipo, &ipo->src[f], t), *rd = ipo_lookup(ipo, &ipo->dst[f], s);
	for (size_t w = 0; w < ipo->words; w++) {
		uint64_t m = (fs[w] & fd[w]) | (rs[w] & rd[w] & ipo->bidir[w]);
		while (m) {
			int bit = __builtin_ctzll(m);
			m &= m - 1;
			cb(ctx, ipo->rules[w * 64 + (size_t)bit]);
		}
	}
}

/* ---------------------------------------------------------------- build */

int detect_build(struct rule_set *rs, int mpm_kind, char *errbuf, size_t errlen)
{
	struct detect *d = kg_calloc(1, sizeof(*d), "detection engine");
	d->mpm_kind = mpm_resolve(mpm_kind);
	struct gbuild b = {d, rs, errbuf, errlen, RULE_OK, NULL, NULL, 0};
	struct u32v sel = {0};
	for (int c = 0; c < DC__COUNT; c++)
		for (int dir = 0; dir < 2; dir++) {
			sel.n = 0;
			for (size_t i = 0; i < rs->n; i++)
				if (in_packet_class(rs->rules[i], c) && dir_ok(rs->rules[i], dir))
					u32_push(&sel, (uint32_t)i);
			(void)map_prefilter(&b, sel.v, sel.n);
			if (c == DC_TCP || c == DC_UDP) {
				d->pkt_map[c][dir] = port_groups(&b, sel.v, sel.n, dir);
			} else {
				d->pkt_map[c][dir] = kg_malloc(sizeof(uint16_t), "rule group map");
				d->pkt_map[c][dir][0] = make_group(&b, sel.v, sel.n);
			}
		}
	for (int dir = 0; dir < 2; dir++) {
		sel.n = 0;
		for (size_t i = 0; i < rs->n; i++)
			if (in_stream(rs->rules[i]) && dir_ok(rs->rules[i], dir))
				u32_push(&sel, (uint32_t)i);
		(void)map_prefilter(&b, sel.v, sel.n);
		d->stream_map[dir] = port_groups(&b, sel.v, sel.n, dir);
	}
	free(sel.v);
	build_tx(&b);
	struct u32v ev = {0};
	for (size_t i = 0; i < rs->n; i++)
		if (rs->rules[i]->path == PATH_EVENT)
			u32_push(&ev, (uint32_t)i);
	d->events = ev.v;
	d->nevents = ev.n;
	d->rule_app = kg_malloc((rs->n ? rs->n : 1) * sizeof(uint16_t), "rule apps");
	for (size_t i = 0; i < rs->n; i++)
		d->rule_app[i] = rs->rules[i]->app_ix;
	d->mem += rs->n * sizeof(uint16_t);
	build_iponly(&b);
	compile_all(&b);
	d->mem += 16 * 65536 * sizeof(uint16_t);
	if (b.rc != RULE_OK) {
		detect_free(d);
		return b.rc;
	}
	rs->det = d;
	return RULE_OK;
}
