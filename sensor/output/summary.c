/* summary.c - the verdict summary, built from the run's events (see summary.h; the fields
 * read are those of docs/events.md: smb_host_verdict, heartbleed, alert, flow, stats). */
#include "config.h"

#include "summary.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mpjson.h"
#include "util/util.h"

#define MAX_HOSTS 16384
#define MAX_SIGS 16384
#define MAX_TALKERS 65536
#define MAX_TYPES 64
#define KEYLEN 48
#define SHOWN_IDS 4

/* ---------------------------------------------------------------- a capped string-keyed table */

/* Every entry starts with its key. */
struct tab {
	char **slot; /* entries (their first member is the key) */
	size_t size, n, max;
	uint64_t dropped; /* lookups of new keys past the cap */
	size_t esize;
};

static void tab_init(struct tab *t, size_t max, size_t esize)
{
	memset(t, 0, sizeof(*t));
	t->max = max;
	t->esize = esize;
}

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ULL;
	return h;
}

static void tab_grow(struct tab *t)
{
	size_t ns = t->size ? t->size * 2 : 64;
	char **nv = kg_calloc(ns, sizeof(*nv), "summary table");
	for (size_t i = 0; i < t->size; i++) {
		if (!t->slot[i])
			continue;
		size_t k = (size_t)fnv(t->slot[i]) & (ns - 1);
		while (nv[k])
			k = (k + 1) & (ns - 1);
		nv[k] = t->slot[i];
	}
	free(t->slot);
	t->slot = nv;
	t->size = ns;
}

/* The entry of key (created zeroed), or NULL past the cap (counted). */
static void *tab_get(struct tab *t, const char *key)
{
	if (!*key || strlen(key) >= KEYLEN)
		return NULL;
	if (t->size) {
		size_t k = (size_t)fnv(key) & (t->size - 1);
		while (t->slot[k]) {
			if (!strcmp(t->slot[k], key))
				return t->slot[k];
			k = (k + 1) & (t->size - 1);
		}
	}
	if (t->n >= t->max) {
		t->dropped++;
		return NULL;
	}
	if ((t->n + 1) * 2 > t->size)
		tab_grow(t);
	size_t k = (size_t)fnv(key) & (t->size - 1);
	while (t->slot[k])
		k = (k + 1) & (t->size - 1);
	char *e = kg_calloc(1, t->esize, "summary entry");
	memcpy(e, key, strlen(key) + 1);
	t->slot[k] = e;
	t->n++;
	return e;
}

/* The entries, in an array of n (caller frees the array). */
static void **tab_list(const struct tab *t)
{
	void **v = kg_malloc((t->n ? t->n : 1) * sizeof(*v), "summary list");
	size_t j = 0;
	for (size_t i = 0; i < t->size; i++)
		if (t->slot[i])
			v[j++] = t->slot[i];
	return v;
}

static void tab_free(struct tab *t)
{
	for (size_t i = 0; i < t->size; i++)
		free(t->slot[i]);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

/* ---------------------------------------------------------------- what is kept */

enum { SRV_NONE, SRV_PROBED, SRV_PATCHED, SRV_VULNERABLE, SRV_EXPLOITED, SRV_INFECTED };
enum { CLI_NONE, CLI_SCANNER, CLI_ATTACKER };
enum { HB_NONE, HB_ANOMALY, HB_SCAN, HB_ATTEMPT, HB_SUCCESS };
static const char *const srv_names[] = {"", "probed", "patched", "vulnerable", "exploited", "infected"};
static const char *const cli_names[] = {"", "scanner", "attacker"};

struct host {
	char key[KEYLEN];
	int srv, cli, hb;
	bool hb_attacker, hb_estimated;
	uint64_t hb_leaked;
	uint64_t dp_answers, dp_absent, dp_requests;
	uint64_t ids[SUMMARY_HOST_IDS];
	size_t nids;
};

struct sig {
	char key[KEYLEN]; /* "gid:sid" */
	uint64_t gid, sid, n, severity;
	char name[128];
};

struct talker {
	char key[KEYLEN];
	uint64_t sent, recv, flows;
};

struct etype {
	char key[KEYLEN];
	uint64_t n;
};

struct summary {
	struct tab hosts, sigs, talkers, types;
	uint64_t events, alerts, flows;
	char first[40], last[40]; /* flow start and end times, ISO 8601 (they sort as text) */
	uint8_t *stats;           /* the last stats event (one of a supervisor when there is one) */
	size_t stats_len;
	bool stats_merged;
};

struct summary *summary_new(void)
{
	struct summary *s = kg_calloc(1, sizeof(*s), "summary");
	tab_init(&s->hosts, MAX_HOSTS, sizeof(struct host));
	tab_init(&s->sigs, MAX_SIGS, sizeof(struct sig));
	tab_init(&s->talkers, MAX_TALKERS, sizeof(struct talker));
	tab_init(&s->types, MAX_TYPES, sizeof(struct etype));
	return s;
}

void summary_free(struct summary *s)
{
	if (!s)
		return;
	tab_free(&s->hosts);
	tab_free(&s->sigs);
	tab_free(&s->talkers);
	tab_free(&s->types);
	free(s->stats);
	free(s);
}

/* ---------------------------------------------------------------- reading events */

/* A string field as a C string (printable ASCII; others become '?'); false when absent. */
static bool str_at(struct mp_val v, const char *path, char *buf, size_t n)
{
	const uint8_t *p;
	size_t l;
	if (!n || !mp_path_str(v, path, &p, &l))
		return false;
	size_t k = 0;
	for (size_t i = 0; i < l && k + 1 < n; i++)
		buf[k++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
	buf[k] = '\0';
	return true;
}

static uint64_t uint_at(struct mp_val v, const char *path)
{
	uint64_t u = 0;
	return mp_path_uint(v, path, &u) ? u : 0;
}

static int rank_of(const char *name, const char *const *names, int n)
{
	for (int i = 1; i < n; i++)
		if (!strcmp(name, names[i]))
			return i;
	return 0;
}

static void add_id(struct host *h, uint64_t id)
{
	for (size_t i = 0; i < h->nids; i++)
		if (h->ids[i] == id)
			return;
	if (h->nids < SUMMARY_HOST_IDS)
		h->ids[h->nids++] = id;
}

static void on_smb_verdict(struct summary *s, struct mp_val v)
{
	char host[KEYLEN], role[16], verdict[16];
	if (!str_at(v, "smb_host_verdict.host", host, sizeof(host)) ||
	    !str_at(v, "smb_host_verdict.role", role, sizeof(role)) ||
	    !str_at(v, "smb_host_verdict.verdict", verdict, sizeof(verdict)))
		return;
	struct host *h = tab_get(&s->hosts, host);
	if (!h)
		return;
	if (!strcmp(role, "server")) {
		h->srv = KG_MAX(h->srv, rank_of(verdict, srv_names, (int)KG_ARRAY_LEN(srv_names)));
		h->dp_answers = KG_MAX(h->dp_answers, uint_at(v, "smb_host_verdict.counts.doublepulsar_answers"));
		h->dp_absent = KG_MAX(h->dp_absent, uint_at(v, "smb_host_verdict.counts.doublepulsar_absent"));
	} else {
		h->cli = KG_MAX(h->cli, rank_of(verdict, cli_names, (int)KG_ARRAY_LEN(cli_names)));
		h->dp_requests = KG_MAX(h->dp_requests, uint_at(v, "smb_host_verdict.counts.doublepulsar_requests"));
	}
	struct mp_val ids, id;
	struct mp_iter it;
	if (mp_path(v, "smb_host_verdict.flow_ids", &ids) && mp_iter_array(ids, &it))
		while (mp_next(&it, &id)) {
			uint64_t u;
			if (mp_as_uint(id, &u))
				add_id(h, u);
		}
}

static void on_heartbleed(struct summary *s, struct mp_val v)
{
	static const char *const names[] = {"", "anomaly", "scan", "attempt", "success"};
	char verdict[16], who[KEYLEN];
	if (!str_at(v, "heartbleed.verdict", verdict, sizeof(verdict)))
		return;
	int r = rank_of(verdict, names, (int)KG_ARRAY_LEN(names));
	if (r == HB_NONE)
		return; /* benign heartbeats */
	uint64_t fid = uint_at(v, "flow_id");
	if (str_at(v, "heartbleed.victim", who, sizeof(who))) {
		struct host *h = tab_get(&s->hosts, who);
		if (h) {
			h->hb = KG_MAX(h->hb, r);
			if (r == HB_SUCCESS) {
				h->hb_leaked += uint_at(v, "heartbleed.leaked_bytes");
				bool est = false;
				struct mp_val e;
				if (mp_path(v, "heartbleed.leaked_bytes_estimated", &e) && mp_as_bool(e, &est) && est)
					h->hb_estimated = true;
			}
			add_id(h, fid);
		}
	}
	if (str_at(v, "heartbleed.attacker", who, sizeof(who))) {
		struct host *h = tab_get(&s->hosts, who);
		if (h) {
			h->hb_attacker = true;
			add_id(h, fid);
		}
	}
}

static void on_alert(struct summary *s, struct mp_val v)
{
	uint64_t gid = uint_at(v, "alert.gid"), sid = uint_at(v, "alert.signature_id");
	char key[KEYLEN];
	snprintf(key, sizeof(key), "%llu:%llu", (unsigned long long)gid, (unsigned long long)sid);
	s->alerts++;
	struct sig *g = tab_get(&s->sigs, key);
	if (!g)
		return;
	if (!g->n) {
		g->gid = gid;
		g->sid = sid;
		g->severity = uint_at(v, "alert.severity");
		if (!str_at(v, "alert.signature", g->name, sizeof(g->name)))
			g->name[0] = '\0';
	}
	g->n++;
}

static void talk(struct summary *s, const char *ip, uint64_t sent, uint64_t recv)
{
	struct talker *t = tab_get(&s->talkers, ip);
	if (!t)
		return;
	t->sent += sent;
	t->recv += recv;
	t->flows++;
}

static void on_flow(struct summary *s, struct mp_val v)
{
	char src[KEYLEN], dst[KEYLEN], t[40];
	s->flows++;
	if (str_at(v, "flow.start", t, sizeof(t)) && (!s->first[0] || strcmp(t, s->first) < 0))
		memcpy(s->first, t, sizeof(t));
	if (str_at(v, "flow.end", t, sizeof(t)) && strcmp(t, s->last) > 0)
		memcpy(s->last, t, sizeof(t));
	if (!str_at(v, "src_ip", src, sizeof(src)) || !str_at(v, "dest_ip", dst, sizeof(dst)))
		return;
	uint64_t ts = uint_at(v, "flow.bytes_toserver"), tc = uint_at(v, "flow.bytes_toclient");
	talk(s, src, ts, tc);
	talk(s, dst, tc, ts);
}

static void on_stats(struct summary *s, const uint8_t *p, size_t n, struct mp_val v)
{
	struct mp_val x;
	bool merged = mp_path(v, "stats.supervisor", &x);
	bool worker = mp_path(v, "stats.worker", &x);
	/* with -j N: a worker's own stats event does not replace the supervisor's merged one */
	if (worker && (s->stats_merged || s->stats))
		return;
	free(s->stats);
	s->stats = kg_malloc(n, "summary stats");
	memcpy(s->stats, p, n);
	s->stats_len = n;
	s->stats_merged = merged;
}

void summary_event(void *ctx, const uint8_t *event, size_t len)
{
	struct summary *s = ctx;
	struct mp_val v;
	char type[KEYLEN];
	if (!mp_val_make(event, len, &v) || !str_at(v, "event_type", type, sizeof(type)))
		return;
	s->events++;
	struct etype *et = tab_get(&s->types, type);
	if (et)
		et->n++;
	if (!strcmp(type, "alert"))
		on_alert(s, v);
	else if (!strcmp(type, "flow"))
		on_flow(s, v);
	else if (!strcmp(type, "smb_host_verdict"))
		on_smb_verdict(s, v);
	else if (!strcmp(type, "heartbleed"))
		on_heartbleed(s, v);
	else if (!strcmp(type, "stats"))
		on_stats(s, event, len, v);
}

/* ---------------------------------------------------------------- printing */

/* How severe a host's verdicts are, for the order of the table. */
static int severity(const struct host *h)
{
	static const int srv[] = {0, 40, 50, 80, 90, 100};
	static const int cli[] = {0, 45, 70};
	static const int hb[] = {0, 20, 30, 60, 85};
	int r = KG_MAX(srv[h->srv], KG_MAX(cli[h->cli], hb[h->hb]));
	return KG_MAX(r, h->hb_attacker ? 55 : 0);
}

/* Addresses in numeric order: IPv4 before IPv6, then by their bytes. */
static int addr_cmp(const char *a, const char *b)
{
	uint8_t x[16], y[16];
	int fa = kg_parse_ip(a, x), fb = kg_parse_ip(b, y);
	if (fa != fb)
		return fa < fb ? -1 : 1;
	int c = fa ? memcmp(x, y, fa == 4 ? 4 : 16) : 0;
	return c ? c : strcmp(a, b);
}

static int host_cmp(const void *pa, const void *pb)
{
	const struct host *a = *(const struct host *const *)pa, *b = *(const struct host *const *)pb;
	int sa = severity(a), sb = severity(b);
	if (sa != sb)
		return sa > sb ? -1 : 1;
	return addr_cmp(a->key, b->key);
}

static int sig_cmp(const void *pa, const void *pb)
{
	const struct sig *a = *(const struct sig *const *)pa, *b = *(const struct sig *const *)pb;
	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	if (a->gid != b->gid)
		return a->gid < b->gid ? -1 : 1;
	return a->sid < b->sid ? -1 : a->sid > b->sid;
}

static int talker_cmp(const void *pa, const void *pb)
{
	const struct talker *a = *(const struct talker *const *)pa, *b = *(const struct talker *const *)pb;
	uint64_t x = a->sent + a->recv, y = b->sent + b->recv;
	if (x != y)
		return x > y ? -1 : 1;
	return addr_cmp(a->key, b->key);
}

static int type_cmp(const void *pa, const void *pb)
{
	const struct etype *a = *(const struct etype *const *)pa, *b = *(const struct etype *const *)pb;
	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	return strcmp(a->key, b->key);
}

/* Append "sep" and text to a cell. */
static void cell_add(char *cell, size_t n, const char *text)
{
	size_t l = strlen(cell);
	snprintf(cell + l, n - l, "%s%s", l ? ", " : "", text);
}

static void host_cells(const struct host *h, char *ms, char *dp, char *hb, size_t n)
{
	char t[64];
	ms[0] = dp[0] = hb[0] = '\0';
	if (h->srv)
		cell_add(ms, n, srv_names[h->srv]);
	if (h->cli)
		cell_add(ms, n, cli_names[h->cli]);
	if (h->dp_answers)
		cell_add(dp, n, "implant");
	else if (h->dp_absent)
		cell_add(dp, n, "absent");
	if (h->dp_requests) {
		snprintf(t, sizeof(t), "sent %llu", (unsigned long long)h->dp_requests);
		cell_add(dp, n, t);
	}
	static const char *const hbn[] = {"", "anomaly", "scanned", "attempted", "unpatched"};
	if (h->hb == HB_SUCCESS) {
		snprintf(t, sizeof(t), "unpatched (%s%llu B leaked)", h->hb_estimated ? "~" : "",
			 (unsigned long long)h->hb_leaked);
		cell_add(hb, n, t);
	} else if (h->hb) {
		cell_add(hb, n, hbn[h->hb]);
	}
	if (h->hb_attacker)
		cell_add(hb, n, "attacker");
	if (!ms[0])
		snprintf(ms, n, "-");
	if (!dp[0])
		snprintf(dp, n, "-");
	if (!hb[0])
		snprintf(hb, n, "-");
}

/* Print text cut to at most w columns ("..." marks a cut). */
static void put_cut(FILE *fp, const char *text, size_t w)
{
	size_t l = strlen(text);
	if (l <= w || w < 4)
		fprintf(fp, "%s", text);
	else
		fprintf(fp, "%.*s...", (int)(w - 3), text);
}

static void print_hosts(const struct summary *s, FILE *fp)
{
	fprintf(fp, "\nVerdicts by host (most severe first)\n");
	if (!s->hosts.n) {
		fprintf(fp, "  no MS17-010, DoublePulsar or Heartbleed finding\n");
		return;
	}
	struct host **v = (struct host **)tab_list(&s->hosts);
	qsort(v, s->hosts.n, sizeof(*v), host_cmp);
	size_t hw = 4, mw = 8, dw = 12;
	char ms[96], dp[96], hb[96];
	for (size_t i = 0; i < s->hosts.n; i++) {
		host_cells(v[i], ms, dp, hb, sizeof(ms));
		hw = KG_MAX(hw, strlen(v[i]->key));
		mw = KG_MAX(mw, strlen(ms));
		dw = KG_MAX(dw, strlen(dp));
	}
	size_t used = 2 + hw + 2 + mw + 2 + dw + 2;
	size_t bw = used < SUMMARY_WIDTH ? SUMMARY_WIDTH - used : 4;
	fprintf(fp, "  %-*s  %-*s  %-*s  %s\n", (int)hw, "host", (int)mw, "MS17-010", (int)dw, "DoublePulsar",
		"Heartbleed");
	for (size_t i = 0; i < s->hosts.n; i++) {
		const struct host *h = v[i];
		host_cells(h, ms, dp, hb, sizeof(ms));
		fprintf(fp, "  %-*s  %-*s  %-*s  ", (int)hw, h->key, (int)mw, ms, (int)dw, dp);
		put_cut(fp, hb, bw);
		fprintf(fp, "\n");
		if (h->nids) {
			fprintf(fp, "    flows:");
			for (size_t k = 0; k < h->nids && k < SHOWN_IDS; k++)
				fprintf(fp, " %llu", (unsigned long long)h->ids[k]);
			if (h->nids > SHOWN_IDS)
				fprintf(fp, " (+%zu)", h->nids - SHOWN_IDS);
			fprintf(fp, "\n");
		}
	}
	if (s->hosts.dropped)
		fprintf(fp, "  (%llu verdicts of hosts past the %u-host cap not counted)\n",
			(unsigned long long)s->hosts.dropped, MAX_HOSTS);
	free(v);
}

static void print_alerts(const struct summary *s, FILE *fp)
{
	fprintf(fp, "\nAlerts by signature (%llu alerts, %zu signatures)\n", (unsigned long long)s->alerts, s->sigs.n);
	if (!s->sigs.n) {
		fprintf(fp, "  none\n");
		return;
	}
	struct sig **v = (struct sig **)tab_list(&s->sigs);
	qsort(v, s->sigs.n, sizeof(*v), sig_cmp);
	size_t kw = 7;
	for (size_t i = 0; i < s->sigs.n; i++)
		kw = KG_MAX(kw, strlen(v[i]->key));
	fprintf(fp, "  %7s  %-*s  %3s  %s\n", "count", (int)kw, "gid:sid", "sev", "signature");
	for (size_t i = 0; i < s->sigs.n; i++) {
		fprintf(fp, "  %7llu  %-*s  %3llu  ", (unsigned long long)v[i]->n, (int)kw, v[i]->key,
			(unsigned long long)v[i]->severity);
		put_cut(fp, v[i]->name, SUMMARY_WIDTH - (2 + 7 + 2 + kw + 2 + 3 + 2));
		fprintf(fp, "\n");
	}
	if (s->sigs.dropped)
		fprintf(fp, "  (%llu alerts of signatures past the %u-signature cap not counted)\n",
			(unsigned long long)s->sigs.dropped, MAX_SIGS);
	free(v);
}

static void print_talkers(const struct summary *s, FILE *fp)
{
	fprintf(fp, "\nTop talkers (bytes sent and received, from %llu flow events)\n", (unsigned long long)s->flows);
	if (!s->talkers.n) {
		fprintf(fp, "  no flow events\n");
		return;
	}
	struct talker **v = (struct talker **)tab_list(&s->talkers);
	qsort(v, s->talkers.n, sizeof(*v), talker_cmp);
	size_t aw = 7;
	for (size_t i = 0; i < s->talkers.n && i < SUMMARY_TALKERS; i++)
		aw = KG_MAX(aw, strlen(v[i]->key));
	fprintf(fp, "  %-*s  %14s  %14s  %8s\n", (int)aw, "address", "sent", "received", "flows");
	for (size_t i = 0; i < s->talkers.n && i < SUMMARY_TALKERS; i++)
		fprintf(fp, "  %-*s  %14llu  %14llu  %8llu\n", (int)aw, v[i]->key, (unsigned long long)v[i]->sent,
			(unsigned long long)v[i]->recv, (unsigned long long)v[i]->flows);
	if (s->talkers.n > SUMMARY_TALKERS)
		fprintf(fp, "  (%zu more addresses)\n", s->talkers.n - SUMMARY_TALKERS);
	if (s->talkers.dropped)
		fprintf(fp, "  (%llu flow ends past the %u-address cap not counted)\n",
			(unsigned long long)s->talkers.dropped, MAX_TALKERS);
	free(v);
}

/* Counters whose name says a loss at a cap: "drop", "evict" or "capped" in the key. */
static bool is_loss(const char *key)
{
	return strstr(key, "drop") || strstr(key, "evict") || strstr(key, "capped");
}

struct loss {
	char path[96];
	uint64_t v;
};

static void collect_losses(struct mp_val m, const char *prefix, struct loss *out, size_t *n, size_t max, int depth)
{
	struct mp_iter it;
	struct mp_val k, v;
	if (depth > 6 || !mp_iter_map(m, &it))
		return;
	while (mp_next_kv(&it, &k, &v)) {
		const uint8_t *ks;
		size_t kl;
		if (!mp_as_str(k, &ks, &kl) || kl >= 48)
			continue;
		char key[48], path[96];
		memcpy(key, ks, kl);
		key[kl] = '\0';
		snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", key);
		uint64_t u;
		if (mp_type_of(v) == MP_T_MAP) {
			collect_losses(v, path, out, n, max, depth + 1);
		} else if (is_loss(key) && mp_as_uint(v, &u) && u && *n < max) {
			memcpy(out[*n].path, path, sizeof(path));
			out[*n].v = u;
			(*n)++;
		}
	}
}

static int loss_cmp(const void *a, const void *b)
{
	return strcmp(((const struct loss *)a)->path, ((const struct loss *)b)->path);
}

static void print_stats(const struct summary *s, FILE *fp)
{
	struct mp_val ev, st;
	fprintf(fp, "\nTraffic (the last stats event)\n");
	if (!s->stats || !mp_val_make(s->stats, s->stats_len, &ev) || !mp_get(ev, "stats", &st)) {
		fprintf(fp, "  no stats event (--no-stats)\n");
		return;
	}
	fprintf(fp, "  %-15s %llu captured, %llu decoded (%llu bytes)\n", "packets",
		(unsigned long long)uint_at(st, "capture.packets"), (unsigned long long)uint_at(st, "decoder.packets"),
		(unsigned long long)uint_at(st, "decoder.bytes"));
	struct mp_val errs, k, v;
	struct mp_iter it;
	bool any = false;
	if (mp_path(st, "decoder.errors", &errs) && mp_iter_map(errs, &it))
		while (mp_next_kv(&it, &k, &v)) {
			const uint8_t *ks;
			size_t kl;
			uint64_t u;
			if (!mp_as_str(k, &ks, &kl) || !mp_as_uint(v, &u) || kl > 60)
				continue;
			fprintf(fp, "  %-15s %.*s %llu\n", any ? "" : "decode errors", (int)kl, (const char *)ks,
				(unsigned long long)u);
			any = true;
		}
	if (!any)
		fprintf(fp, "  %-15s none\n", "decode errors");
	uint64_t acks = uint_at(st, "capture_loss.acks"), gaps = uint_at(st, "capture_loss.ack_gaps");
	if (acks)
		fprintf(fp, "  %-15s %.1f%% estimated (%llu of %llu ACKs acknowledged data never seen)\n", "capture loss",
			100.0 * (double)gaps / (double)acks, (unsigned long long)gaps, (unsigned long long)acks);

	struct loss losses[64];
	size_t nl = 0;
	collect_losses(st, "", losses, &nl, KG_ARRAY_LEN(losses), 0);
	qsort(losses, nl, sizeof(*losses), loss_cmp);
	fprintf(fp, "\nDropped or evicted (stats counters not zero)\n");
	if (!nl)
		fprintf(fp, "  none\n");
	for (size_t i = 0; i < nl; i++)
		fprintf(fp, "  %-60s %llu\n", losses[i].path, (unsigned long long)losses[i].v);

	struct mp_val pl;
	if (mp_get(st, "pcap_log", &pl)) {
		char dir[256] = "", mode[16] = "";
		str_at(pl, "directory", dir, sizeof(dir));
		str_at(pl, "mode", mode, sizeof(mode));
		fprintf(fp, "\nEvidence pcaps (--pcap-log-mode %s)\n", mode);
		fprintf(fp, "  %-15s ", "directory");
		put_cut(fp, dir, SUMMARY_WIDTH - 18);
		fprintf(fp, "\n  %-15s %llu packets of %llu alerted flows, %llu bytes\n", "written",
			(unsigned long long)uint_at(pl, "packets_written"), (unsigned long long)uint_at(pl, "flows_logged"),
			(unsigned long long)uint_at(pl, "bytes_written"));
		fprintf(fp, "  %-15s %llu opened, %llu removed at the file cap, %llu in the directory\n", "files",
			(unsigned long long)uint_at(pl, "files_opened"), (unsigned long long)uint_at(pl, "files_removed"),
			(unsigned long long)uint_at(pl, "files"));
		uint64_t werr = uint_at(pl, "write_errors") + uint_at(pl, "open_errors");
		if (werr)
			fprintf(fp, "  %-15s %llu (%llu packets not written)\n", "write errors", (unsigned long long)werr,
				(unsigned long long)uint_at(pl, "packets_dropped"));
	}
}

static void print_types(const struct summary *s, FILE *fp)
{
	struct etype **v = (struct etype **)tab_list(&s->types);
	qsort(v, s->types.n, sizeof(*v), type_cmp);
	size_t col = (size_t)fprintf(fp, "  %-15s %llu:", "events", (unsigned long long)s->events);
	for (size_t i = 0; i < s->types.n; i++) {
		char t[80];
		int l = snprintf(t, sizeof(t), " %s %llu%s", v[i]->key, (unsigned long long)v[i]->n,
				 i + 1 < s->types.n ? "," : "");
		if (col + (size_t)l > SUMMARY_WIDTH) {
			fprintf(fp, "\n  %-15s", "");
			col = 18;
		}
		fputs(t, fp);
		col += (size_t)l;
	}
	fprintf(fp, "\n");
	free(v);
}

void summary_print(const struct summary *s, FILE *fp)
{
	int w = fprintf(fp, "\n== kagami summary: the verdicts first (built from this run's events) ") - 1;
	for (int i = w; i < SUMMARY_WIDTH; i++)
		fputc('=', fp);
	fputc('\n', fp);
	if (s->first[0])
		fprintf(fp, "  %-15s %s .. %s (packet time)\n", "flows", s->first, s->last);
	print_types(s, fp);
	print_hosts(s, fp);
	print_alerts(s, fp);
	print_talkers(s, fp);
	print_stats(s, fp);
	for (int i = 0; i < SUMMARY_WIDTH; i++)
		fputc('=', fp);
	fputc('\n', fp);
	fflush(fp);
}
