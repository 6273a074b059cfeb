/* observe.c - fixed-point observation events (see observe.h; docs/events.md "observation").
 * Approximate counting: Space-Saving (Metwally, Agrawal, El Abbadi, "Efficient Computation of
 * Frequent and Top-k Elements in Data Streams", ICDT 2005) and Bloom filters (Bloom, CACM 1970). */
#include "config.h"

#include "observe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "geo.h"
#include "output/event.h"
#include "util/util.h"

#define KEYLEN 20
#define BLOOM_K 3       /* probes per element in the distinct-set Bloom filters */
#define HIST_K 4        /* probes per source in the history filters */
#define HIST_BITS_PER_KEY 8

/* ================================================================ distinct sets
 * A set of 64-bit keyed hashes: exact (open addressing) up to cap elements, then a Bloom
 * filter. add() says whether the element is new; past the cap "new" may be wrong with
 * probability fp() (an element seen before is never counted twice). */
struct hset {
	uint64_t *slot;
	uint32_t nslot, n, cap;
	uint8_t *bloom;
	uint64_t mbits, setbits;
	uint64_t count; /* distinct elements counted */
	bool approx;
};

static void hset_init(struct hset *s, uint32_t cap)
{
	memset(s, 0, sizeof(*s));
	s->cap = cap;
}

static void hset_free(struct hset *s)
{
	free(s->slot);
	free(s->bloom);
	memset(s, 0, sizeof(*s));
}

static void hset_clear(struct hset *s)
{
	uint32_t cap = s->cap;
	hset_free(s);
	hset_init(s, cap);
}

static bool bloom_add(struct hset *s, uint64_t h)
{
	uint64_t h1 = h, h2 = (h >> 33 | h << 31) | 1;
	bool fresh = false;
	for (int i = 0; i < BLOOM_K; i++) {
		uint64_t bit = (h1 + (uint64_t)i * h2) & (s->mbits - 1);
		uint8_t m = (uint8_t)(1u << (bit & 7));
		if (!(s->bloom[bit >> 3] & m)) {
			s->bloom[bit >> 3] |= m;
			s->setbits++;
			fresh = true;
		}
	}
	return fresh;
}

static void hset_insert_exact(struct hset *s, uint64_t h)
{
	uint32_t i = (uint32_t)h & (s->nslot - 1);
	while (s->slot[i])
		i = (i + 1) & (s->nslot - 1);
	s->slot[i] = h;
	s->n++;
}

static bool hset_add(struct hset *s, uint64_t h)
{
	if (h == 0)
		h = 1; /* 0 marks an empty slot */
	if (s->approx) {
		bool fresh = bloom_add(s, h);
		if (fresh)
			s->count++;
		return fresh;
	}
	if (s->nslot) {
		for (uint32_t i = (uint32_t)h & (s->nslot - 1); s->slot[i]; i = (i + 1) & (s->nslot - 1))
			if (s->slot[i] == h)
				return false;
	}
	if (s->n >= s->cap) { /* switch to the Bloom filter, carrying what is known */
		uint64_t m = 1024;
		while (m < (uint64_t)s->cap * 16)
			m <<= 1;
		s->mbits = m;
		s->bloom = kg_calloc(m / 8, 1, "observation bloom filter");
		for (uint32_t i = 0; i < s->nslot; i++)
			if (s->slot[i])
				bloom_add(s, s->slot[i]);
		free(s->slot);
		s->slot = NULL;
		s->nslot = 0;
		s->approx = true;
		bloom_add(s, h);
		s->count++;
		return true;
	}
	if ((uint64_t)(s->n + 1) * 2 > s->nslot) { /* grow, keeping the load under 1/2 */
		uint32_t old = s->nslot;
		uint64_t *os = s->slot;
		s->nslot = old ? old * 2 : 64;
		s->slot = kg_calloc(s->nslot, sizeof(uint64_t), "observation set");
		s->n = 0;
		for (uint32_t i = 0; i < old; i++)
			if (os[i])
				hset_insert_exact(s, os[i]);
		free(os);
	}
	hset_insert_exact(s, h);
	s->count++;
	return true;
}

/* Probability that an element not in the set is taken as seen (0 while exact). */
static double hset_fp(const struct hset *s)
{
	if (!s->approx)
		return 0.0;
	double fill = (double)s->setbits / (double)s->mbits;
	return fill * fill * fill;
}

/* ================================================================ keyed counters
 * Per-key packets and distinct "others" (sources, or ports for the per-source table). Exact up
 * to cap keys; then Space-Saving: a new key takes the place of the key with the fewest packets
 * and inherits its counts, which it may therefore overstate by at most `err`. */
struct kent {
	uint8_t key[KEYLEN];
	uint64_t packets, others, err;
	uint32_t next; /* bucket chain, index + 1 */
	uint32_t hpos; /* position in the min-heap (approximate mode) */
};

struct ktab {
	struct kent *e;
	uint32_t n, alloc, cap;
	uint32_t *bucket;
	uint32_t nbucket;
	uint32_t *heap; /* indexes, min-heap by packets, built when the table turns approximate */
	bool approx;
	uint64_t packets;   /* all packets counted, exact */
	struct hset keys;   /* distinct keys */
	struct hset pairs;  /* distinct (key, other) pairs */
	const uint8_t *hkey;
};

static void ktab_init(struct ktab *t, uint32_t cap, const uint8_t *hkey)
{
	memset(t, 0, sizeof(*t));
	t->cap = cap;
	t->hkey = hkey;
	t->nbucket = 64;
	while (t->nbucket < cap)
		t->nbucket <<= 1;
	hset_init(&t->keys, cap * 2);
	hset_init(&t->pairs, cap * 2);
}

static void ktab_free(struct ktab *t)
{
	free(t->e);
	free(t->bucket);
	free(t->heap);
	hset_free(&t->keys);
	hset_free(&t->pairs);
	memset(t, 0, sizeof(*t));
}

static uint32_t kbucket(const struct ktab *t, uint64_t h);
static uint64_t khash(const struct ktab *t, const uint8_t *key);

/* Empty the table for the next interval. The index is as large as the cap (65 536 buckets by
 * default) while most intervals hold a few keys: clear only their buckets then. */
static void ktab_clear(struct ktab *t)
{
	if (t->bucket) {
		if ((uint64_t)t->n * 8 < t->nbucket) {
			for (uint32_t i = 0; i < t->n; i++)
				t->bucket[kbucket(t, khash(t, t->e[i].key))] = 0;
		} else {
			memset(t->bucket, 0, t->nbucket * sizeof(uint32_t));
		}
	}
	t->n = 0;
	t->approx = false;
	t->packets = 0;
	free(t->heap);
	t->heap = NULL;
	hset_clear(&t->keys);
	hset_clear(&t->pairs);
}

static uint32_t kbucket(const struct ktab *t, uint64_t h) { return (uint32_t)(h >> 20) & (t->nbucket - 1); }

static uint64_t khash(const struct ktab *t, const uint8_t *key) { return kg_hash64(key, KEYLEN, t->hkey); }

static void heap_swap(struct ktab *t, uint32_t a, uint32_t b)
{
	uint32_t ia = t->heap[a], ib = t->heap[b];
	t->heap[a] = ib;
	t->heap[b] = ia;
	t->e[ib].hpos = a;
	t->e[ia].hpos = b;
}

/* Sift an entry whose count grew towards the leaves. Ties keep their place (deterministic). */
static void heap_down(struct ktab *t, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < t->n && t->e[t->heap[l]].packets < t->e[t->heap[m]].packets)
			m = l;
		if (r < t->n && t->e[t->heap[r]].packets < t->e[t->heap[m]].packets)
			m = r;
		if (m == i)
			return;
		heap_swap(t, i, m);
		i = m;
	}
}

static void heap_build(struct ktab *t)
{
	t->heap = kg_malloc((size_t)t->n * sizeof(uint32_t), "observation heap");
	for (uint32_t i = 0; i < t->n; i++) {
		t->heap[i] = i;
		t->e[i].hpos = i;
	}
	for (uint32_t i = t->n / 2; i-- > 0;)
		heap_down(t, i);
}

static void unlink_entry(struct ktab *t, uint32_t idx)
{
	uint32_t *pp = &t->bucket[kbucket(t, khash(t, t->e[idx].key))];
	while (*pp && *pp != idx + 1)
		pp = &t->e[*pp - 1].next;
	if (*pp)
		*pp = t->e[idx].next;
}

/* Count w packets for key; other identifies the source (or port) for the distinct count. */
static void ktab_add(struct ktab *t, const uint8_t *key, uint64_t other, uint64_t w)
{
	uint64_t h = khash(t, key);
	bool pair_new = hset_add(&t->pairs, h ^ (other * 0x9e3779b97f4a7c15ull));
	t->packets += w;
	if (!t->bucket)
		t->bucket = kg_calloc(t->nbucket, sizeof(uint32_t), "observation index");
	uint32_t b = kbucket(t, h);
	for (uint32_t i = t->bucket[b]; i; i = t->e[i - 1].next) {
		struct kent *e = &t->e[i - 1];
		if (memcmp(e->key, key, KEYLEN) == 0) {
			e->packets += w;
			if (pair_new)
				e->others++;
			if (t->approx)
				heap_down(t, e->hpos);
			return;
		}
	}
	if (t->approx) /* while exact, the table itself holds every key */
		hset_add(&t->keys, h);
	uint32_t idx;
	if (t->n < t->cap) {
		if (t->n == t->alloc) {
			t->alloc = t->alloc ? KG_MIN(t->alloc * 2, t->cap) : KG_MIN(64u, t->cap);
			t->e = kg_realloc(t->e, (size_t)t->alloc * sizeof(*t->e), "observation table");
		}
		idx = t->n++;
		memset(&t->e[idx], 0, sizeof(t->e[idx]));
	} else {
		if (!t->approx) {
			t->approx = true;
			heap_build(t);
			for (uint32_t i = 0; i < t->n; i++)
				hset_add(&t->keys, khash(t, t->e[i].key));
			hset_add(&t->keys, h);
		}
		idx = t->heap[0]; /* Space-Saving: replace the smallest count */
		unlink_entry(t, idx);
		t->e[idx].err = t->e[idx].packets;
	}
	struct kent *e = &t->e[idx];
	memcpy(e->key, key, KEYLEN);
	e->packets += w;
	if (pair_new)
		e->others++;
	e->next = t->bucket[b];
	t->bucket[b] = idx + 1;
	if (t->approx)
		heap_down(t, e->hpos);
}

static int kent_cmp(const void *a, const void *b)
{
	const struct kent *x = *(const struct kent *const *)a, *y = *(const struct kent *const *)b;
	if (x->packets != y->packets)
		return x->packets > y->packets ? -1 : 1;
	return memcmp(x->key, y->key, KEYLEN);
}

/* The entries in descending order of packets (ties by key); *n receives how many. Caller frees. */
static const struct kent **ktab_sorted(const struct ktab *t, uint32_t *n)
{
	const struct kent **v = kg_malloc(((size_t)t->n + 1) * sizeof(*v), "observation sort");
	for (uint32_t i = 0; i < t->n; i++)
		v[i] = &t->e[i];
	qsort(v, t->n, sizeof(*v), kent_cmp);
	*n = t->n;
	return v;
}

/* ================================================================ pending SYNs */
struct pend {
	const struct flow *f;
	uint64_t syns;
	int64_t last_syn_us;
	uint64_t seq;   /* insertion order: a bucket's chain runs from the newest to the oldest */
	uint32_t next;
};

struct pendtab {
	struct pend *e;
	uint32_t n, alloc, cap, freelist;
	uint32_t live; /* flows pending now */
	uint32_t *bucket;
	uint32_t nbucket;
	uint64_t seq;
};

/* ================================================================ the observer */
struct observe {
	struct observe_cfg cfg;
	struct geo *geo;
	uint8_t hkey[16];
	bool started;
	int64_t start_us, end_us; /* current interval [start, end) */
	bool first_partial;
	uint64_t seq;             /* interval number, from 1 */
	uint64_t intervals_done;
	/* per interval */
	uint64_t packets, packets_ts, bytes;
	struct hset sources;
	struct ktab ports, countries, icmp, scan_ports, scan_srcs;
	struct hset icmp_sources, scan_sources, scan_flows;
	uint64_t syns_unanswered;
	uint64_t pending_dropped;
	/* new ports: exact, interval number + 1 of the last interval each port was seen in */
	uint32_t *port_seen[3]; /* TCP, UDP, SCTP */
	uint8_t *port_new[3];   /* bitmap: new in this interval */
	uint64_t new_ports;
	/* new sources: Bloom filters of the last OBS_HISTORY intervals + the current one */
	uint8_t *hist[OBS_HISTORY + 1];
	uint64_t hist_set[OBS_HISTORY + 1];
	uint64_t hist_mbits;
	uint32_t hist_cur;
	uint32_t hist_valid; /* previous intervals held */
	uint64_t new_sources;
	uint8_t (*new_src_list)[17];
	uint32_t new_src_n;
	struct pendtab pend;
	/* totals for stats */
	uint64_t events, approx_tables;
};

const char *observe_strerror(int err)
{
	switch (err) {
	case OBS_OK: return "success";
	case OBS_E_ARG: return "observation setting out of range";
	default: return "unknown observation error";
	}
}

static int proto_slot(uint8_t proto) { return proto == 6 ? 0 : proto == 17 ? 1 : proto == 132 ? 2 : -1; }
static const char *proto_str(uint8_t p)
{
	return p == 6 ? "TCP" : p == 17 ? "UDP" : p == 132 ? "SCTP" : p == 1 ? "ICMP" : p == 58 ? "IPv6-ICMP" : "?";
}

static uint64_t addr_hash(const struct observe *o, int family, const uint8_t *a)
{
	uint8_t k[17];
	k[0] = (uint8_t)family;
	memset(k + 1, 0, 16);
	memcpy(k + 1, a, family == 4 ? 4 : 16);
	return kg_hash64(k, sizeof(k), o->hkey);
}

int observe_new(struct observe **out, const struct observe_cfg *cfg, struct geo *geo, char *errbuf, size_t errlen)
{
	*out = NULL;
	if (!cfg->interval_s || cfg->top_n < 1 || cfg->top_n > 1000 || cfg->max_keys < 16 || cfg->max_keys > (1u << 24)) {
		snprintf(errbuf, errlen, "observation: interval %u s, top %u, max keys %u: %s", cfg->interval_s,
			 cfg->top_n, cfg->max_keys, observe_strerror(OBS_E_ARG));
		return OBS_E_ARG;
	}
	struct observe *o = kg_calloc(1, sizeof(*o), "observation");
	o->cfg = *cfg;
	o->geo = geo;
	kg_random(o->hkey, sizeof(o->hkey));
	uint32_t mk = cfg->max_keys;
	hset_init(&o->sources, mk);
	hset_init(&o->icmp_sources, mk);
	hset_init(&o->scan_sources, mk);
	hset_init(&o->scan_flows, mk);
	ktab_init(&o->ports, mk, o->hkey);
	ktab_init(&o->countries, mk, o->hkey);
	ktab_init(&o->icmp, mk, o->hkey);
	ktab_init(&o->scan_ports, mk, o->hkey);
	ktab_init(&o->scan_srcs, mk, o->hkey);
	for (int i = 0; i < 3; i++) {
		o->port_seen[i] = kg_calloc(65536, sizeof(uint32_t), "observation port history");
		o->port_new[i] = kg_calloc(65536 / 8, 1, "observation new ports");
	}
	o->hist_mbits = 1024;
	while (o->hist_mbits < (uint64_t)mk * HIST_BITS_PER_KEY)
		o->hist_mbits <<= 1;
	for (int i = 0; i <= OBS_HISTORY; i++)
		o->hist[i] = kg_calloc(o->hist_mbits / 8, 1, "observation source history");
	o->new_src_list = kg_calloc(cfg->top_n, sizeof(*o->new_src_list), "observation new sources");
	o->pend.cap = mk * 4; /* flows awaiting an answer: a scan is many of them */
	o->pend.nbucket = 64;
	while (o->pend.nbucket < mk)
		o->pend.nbucket <<= 1;
	*out = o;
	return OBS_OK;
}

void observe_free(struct observe *o)
{
	if (!o)
		return;
	hset_free(&o->sources);
	hset_free(&o->icmp_sources);
	hset_free(&o->scan_sources);
	hset_free(&o->scan_flows);
	ktab_free(&o->ports);
	ktab_free(&o->countries);
	ktab_free(&o->icmp);
	ktab_free(&o->scan_ports);
	ktab_free(&o->scan_srcs);
	for (int i = 0; i < 3; i++) {
		free(o->port_seen[i]);
		free(o->port_new[i]);
	}
	for (int i = 0; i <= OBS_HISTORY; i++)
		free(o->hist[i]);
	free(o->new_src_list);
	free(o->pend.e);
	free(o->pend.bucket);
	free(o);
}

/* ---------------------------------------------------------------- history of sources */

static bool hist_test(const struct observe *o, const uint8_t *f, uint64_t h)
{
	uint64_t h2 = (h >> 29 | h << 35) | 1;
	for (int i = 0; i < HIST_K; i++) {
		uint64_t bit = (h + (uint64_t)i * h2) & (o->hist_mbits - 1);
		if (!(f[bit >> 3] & (1u << (bit & 7))))
			return false;
	}
	return true;
}

/* Add to the current filter; true when it was not there yet. */
static bool hist_add(struct observe *o, uint64_t h)
{
	uint8_t *f = o->hist[o->hist_cur];
	uint64_t h2 = (h >> 29 | h << 35) | 1;
	bool fresh = false;
	for (int i = 0; i < HIST_K; i++) {
		uint64_t bit = (h + (uint64_t)i * h2) & (o->hist_mbits - 1);
		uint8_t m = (uint8_t)(1u << (bit & 7));
		if (!(f[bit >> 3] & m)) {
			f[bit >> 3] |= m;
			o->hist_set[o->hist_cur]++;
			fresh = true;
		}
	}
	return fresh;
}

/* Probability that a source never seen is taken for one seen in the previous intervals. */
static double hist_fp(const struct observe *o)
{
	double miss = 1.0;
	for (uint32_t k = 1; k <= o->hist_valid; k++) {
		uint32_t i = (o->hist_cur + OBS_HISTORY + 1 - k) % (OBS_HISTORY + 1);
		double fill = (double)o->hist_set[i] / (double)o->hist_mbits;
		double p = 1.0;
		for (int j = 0; j < HIST_K; j++)
			p *= fill;
		miss *= 1.0 - p;
	}
	return 1.0 - miss;
}

static void note_source(struct observe *o, int family, const uint8_t *a, uint64_t h)
{
	if (!hist_add(o, h))
		return; /* seen in this interval already (or a false positive of the current filter) */
	for (uint32_t k = 1; k <= o->hist_valid; k++) {
		uint32_t i = (o->hist_cur + OBS_HISTORY + 1 - k) % (OBS_HISTORY + 1);
		if (hist_test(o, o->hist[i], h))
			return;
	}
	o->new_sources++;
	if (o->new_src_n < o->cfg.top_n) {
		uint8_t *d = o->new_src_list[o->new_src_n++];
		d[0] = (uint8_t)family;
		memset(d + 1, 0, 16);
		memcpy(d + 1, a, family == 4 ? 4 : 16);
	}
}

/* ---------------------------------------------------------------- pending SYNs */

static uint32_t pend_bucket(const struct observe *o, const struct flow *f)
{
	uintptr_t p = (uintptr_t)f;
	return (uint32_t)(kg_hash64(&p, sizeof(p), o->hkey)) & (o->pend.nbucket - 1);
}

static struct pend *pend_find(struct observe *o, const struct flow *f, uint32_t **link)
{
	if (!o->pend.bucket)
		return NULL;
	uint32_t *pp = &o->pend.bucket[pend_bucket(o, f)];
	while (*pp) {
		struct pend *p = &o->pend.e[*pp - 1];
		if (p->f == f) {
			if (link)
				*link = pp;
			return p;
		}
		pp = &p->next;
	}
	return NULL;
}

static void pend_syn(struct observe *o, const struct flow *f, int64_t ts)
{
	struct pend *p = pend_find(o, f, NULL);
	if (p) {
		p->syns++;
		p->last_syn_us = ts;
		return;
	}
	struct pendtab *t = &o->pend;
	uint32_t idx;
	if (t->freelist) {
		idx = t->freelist - 1;
		t->freelist = t->e[idx].next;
	} else if (t->n < t->cap) {
		if (t->n == t->alloc) {
			t->alloc = t->alloc ? KG_MIN(t->alloc * 2, t->cap) : KG_MIN(64u, t->cap);
			t->e = kg_realloc(t->e, (size_t)t->alloc * sizeof(*t->e), "observation pending SYNs");
		}
		idx = t->n++;
	} else {
		o->pending_dropped++;
		return;
	}
	if (!t->bucket)
		t->bucket = kg_calloc(t->nbucket, sizeof(uint32_t), "observation pending index");
	uint32_t b = pend_bucket(o, f);
	p = &t->e[idx];
	p->f = f;
	p->seq = ++t->seq;
	p->syns = 1;
	p->last_syn_us = ts;
	p->next = t->bucket[b];
	t->bucket[b] = idx + 1;
	t->live++;
}

/* Judge a pending flow now: unanswered when the server never sent a packet. */
static void pend_judge(struct observe *o, struct pend *p)
{
	const struct flow *f = p->f;
	if (f->pkts[DIR_TO_CLIENT])
		return;
	uint8_t key[KEYLEN];
	memset(key, 0, sizeof(key));
	key[0] = (uint8_t)(f->sport >> 8);
	key[1] = (uint8_t)f->sport;
	uint64_t src = addr_hash(o, f->family, f->cli);
	ktab_add(&o->scan_ports, key, src, p->syns);
	uint8_t skey[KEYLEN];
	memset(skey, 0, sizeof(skey));
	skey[0] = f->family;
	memcpy(skey + 1, f->cli, f->family == 4 ? 4 : 16);
	ktab_add(&o->scan_srcs, skey, f->sport, p->syns);
	o->syns_unanswered += p->syns;
	hset_add(&o->scan_sources, src);
	uintptr_t fp = (uintptr_t)f;
	hset_add(&o->scan_flows, kg_hash64(&fp, sizeof(fp), o->hkey) ^ f->flow_id);
}

static void pend_remove(struct observe *o, struct pend *p, uint32_t *link)
{
	uint32_t idx = (uint32_t)(p - o->pend.e);
	*link = p->next;
	p->f = NULL;
	p->next = o->pend.freelist;
	o->pend.freelist = idx + 1;
	o->pend.live--;
}

static bool pend_due(const struct pend *p, int64_t cutoff, bool final)
{
	return final || p->last_syn_us < cutoff || p->f->pkts[DIR_TO_CLIENT];
}

struct pend_ref {
	uint32_t bucket;
	uint32_t idx;
	uint64_t seq;
};

static int pend_ref_cmp(const void *a, const void *b)
{
	const struct pend_ref *x = a, *y = b;
	if (x->bucket != y->bucket)
		return x->bucket < y->bucket ? -1 : 1;
	return x->seq > y->seq ? -1 : x->seq < y->seq ? 1 : 0; /* newest first, as the chain runs */
}

/* At an interval's end: judge every pending SYN older than the grace period (all when final),
 * in bucket order and, within a bucket, chain order (the order decides which keys an
 * approximate table keeps). With few flows pending (the usual case: the index has 4 x
 * --observe-max-keys buckets) the due entries are found in the entry array and sorted into
 * that order, instead of walking every bucket. */
static void pend_sweep(struct observe *o, int64_t cutoff, bool final)
{
	struct pendtab *t = &o->pend;
	if (!t->bucket || !t->live)
		return;
	if ((uint64_t)t->live * 16 >= t->nbucket) {
		for (uint32_t b = 0; b < t->nbucket; b++) {
			uint32_t *pp = &t->bucket[b];
			while (*pp) {
				struct pend *p = &t->e[*pp - 1];
				if (pend_due(p, cutoff, final)) {
					pend_judge(o, p);
					pend_remove(o, p, pp);
				} else {
					pp = &p->next;
				}
			}
		}
		return;
	}
	struct pend_ref *due = kg_malloc((size_t)t->live * sizeof(*due), "observation sweep");
	uint32_t n = 0;
	for (uint32_t i = 0; i < t->n && n < t->live; i++) {
		struct pend *p = &t->e[i];
		if (p->f && pend_due(p, cutoff, final))
			due[n++] = (struct pend_ref){pend_bucket(o, p->f), i, p->seq};
	}
	qsort(due, n, sizeof(*due), pend_ref_cmp);
	for (uint32_t k = 0; k < n; k++) {
		struct pend *p = &t->e[due[k].idx];
		uint32_t *pp = &t->bucket[due[k].bucket];
		while (*pp && *pp != due[k].idx + 1)
			pp = &t->e[*pp - 1].next;
		if (!*pp)
			continue; /* cannot happen: every live entry is on its chain */
		pend_judge(o, p);
		pend_remove(o, p, pp);
	}
	free(due);
}

/* ---------------------------------------------------------------- the event */

static void key_ip(const uint8_t *k, char *buf, size_t n) { kg_format_ip(k[0], k + 1, buf, n); }

static void emit_table_meta(struct event *ev, const struct ktab *t, const char *keys_name)
{
	ev_u64(ev, "packets", t->packets);
	ev_u64(ev, keys_name, t->approx ? t->keys.count : t->n);
	ev_bool(ev, "approximate", t->approx || t->keys.approx || t->pairs.approx);
	if (t->approx)
		ev_u64(ev, "error_bound", t->e[t->heap[0]].packets);
	if (t->keys.approx || t->pairs.approx)
		ev_double(ev, "distinct_error_rate", KG_MAX(hset_fp(&t->keys), hset_fp(&t->pairs)));
}

static void emit_entry_err(struct event *ev, const struct ktab *t, const struct kent *e)
{
	if (t->approx)
		ev_u64(ev, "packets_error", e->err);
}

static void emit_observation(struct observe *o, struct engine *eng, bool final)
{
	struct emitter *em = engine_emitter(eng);
	uint32_t top = o->cfg.top_n, n;
	char ip[64];
	struct event *ev = event_begin(em, "observation", o->start_us);
	ev_map(ev, "observation");
	ev_time(ev, "start", o->start_us);
	ev_time(ev, "end", o->end_us);
	ev_u64(ev, "interval", o->cfg.interval_s);
	ev_bool(ev, "partial", (o->intervals_done == 0 && o->first_partial) || final);
	ev_u64(ev, "packets", o->packets);
	ev_u64(ev, "bytes", o->bytes);
	ev_u64(ev, "packets_toserver", o->packets_ts);
	ev_u64(ev, "sources", o->sources.count);
	if (o->sources.approx)
		ev_double(ev, "sources_error_rate", hset_fp(&o->sources));

	/* destination ports */
	const struct kent **v = ktab_sorted(&o->ports, &n);
	ev_map(ev, "ports");
	emit_table_meta(ev, &o->ports, "ports");
	ev_array(ev, "top");
	for (uint32_t i = 0; i < n && i < top; i++) {
		ev_map(ev, NULL);
		ev_str(ev, "proto", proto_str(v[i]->key[0]));
		ev_u64(ev, "port", (uint64_t)v[i]->key[1] << 8 | v[i]->key[2]);
		ev_u64(ev, "packets", v[i]->packets);
		ev_u64(ev, "sources", v[i]->others);
		emit_entry_err(ev, &o->ports, v[i]);
		ev_end_map(ev);
	}
	ev_end_array(ev);
	ev_end_map(ev);
	free(v);

	/* source countries */
	if (o->geo) {
		v = ktab_sorted(&o->countries, &n);
		ev_map(ev, "countries");
		emit_table_meta(ev, &o->countries, "countries");
		ev_array(ev, "top");
		for (uint32_t i = 0; i < n && i < top; i++) {
			ev_map(ev, NULL);
			ev_strn(ev, "country", (const char *)v[i]->key, strnlen((const char *)v[i]->key, KEYLEN));
			ev_u64(ev, "packets", v[i]->packets);
			ev_u64(ev, "sources", v[i]->others);
			emit_entry_err(ev, &o->countries, v[i]);
			ev_end_map(ev);
		}
		ev_end_array(ev);
		ev_end_map(ev);
		free(v);
	}

	/* ICMP */
	v = ktab_sorted(&o->icmp, &n);
	ev_map(ev, "icmp");
	ev_u64(ev, "packets", o->icmp.packets);
	ev_u64(ev, "sources", o->icmp_sources.count);
	ev_bool(ev, "approximate", o->icmp.approx || o->icmp.pairs.approx || o->icmp_sources.approx);
	if (o->icmp.approx)
		ev_u64(ev, "error_bound", o->icmp.e[o->icmp.heap[0]].packets);
	ev_array(ev, "top");
	for (uint32_t i = 0; i < n && i < top; i++) {
		ev_map(ev, NULL);
		ev_str(ev, "proto", proto_str(v[i]->key[0]));
		ev_u64(ev, "type", v[i]->key[1]);
		ev_u64(ev, "packets", v[i]->packets);
		ev_u64(ev, "sources", v[i]->others);
		emit_entry_err(ev, &o->icmp, v[i]);
		ev_end_map(ev);
	}
	ev_end_array(ev);
	ev_end_map(ev);
	free(v);

	/* unanswered SYNs */
	ev_map(ev, "scans");
	ev_u64(ev, "syns", o->syns_unanswered);
	ev_u64(ev, "flows", o->scan_flows.count);
	ev_u64(ev, "sources", o->scan_sources.count);
	ev_u64(ev, "untracked", o->pending_dropped);
	ev_bool(ev, "approximate", o->scan_ports.approx || o->scan_srcs.approx || o->scan_ports.pairs.approx ||
					   o->scan_srcs.pairs.approx || o->scan_sources.approx);
	if (o->scan_ports.approx)
		ev_u64(ev, "error_bound", o->scan_ports.e[o->scan_ports.heap[0]].packets);
	v = ktab_sorted(&o->scan_ports, &n);
	ev_array(ev, "top_ports");
	for (uint32_t i = 0; i < n && i < top; i++) {
		ev_map(ev, NULL);
		ev_u64(ev, "port", (uint64_t)v[i]->key[0] << 8 | v[i]->key[1]);
		ev_u64(ev, "syns", v[i]->packets);
		ev_u64(ev, "sources", v[i]->others);
		emit_entry_err(ev, &o->scan_ports, v[i]);
		ev_end_map(ev);
	}
	ev_end_array(ev);
	free(v);
	v = ktab_sorted(&o->scan_srcs, &n);
	ev_array(ev, "top_sources");
	for (uint32_t i = 0; i < n && i < top; i++) {
		ev_map(ev, NULL);
		key_ip(v[i]->key, ip, sizeof(ip));
		ev_str(ev, "src_ip", ip);
		ev_u64(ev, "syns", v[i]->packets);
		ev_u64(ev, "ports", v[i]->others);
		emit_entry_err(ev, &o->scan_srcs, v[i]);
		ev_end_map(ev);
	}
	ev_end_array(ev);
	ev_end_map(ev);
	free(v);

	/* new ports and sources */
	ev_map(ev, "new");
	ev_u64(ev, "history", o->hist_valid);
	ev_u64(ev, "ports_total", o->new_ports);
	v = ktab_sorted(&o->ports, &n);
	ev_array(ev, "ports");
	uint32_t listed = 0;
	for (uint32_t i = 0; i < n && listed < top; i++) {
		int s = proto_slot(v[i]->key[0]);
		uint16_t port = (uint16_t)(v[i]->key[1] << 8 | v[i]->key[2]);
		if (s < 0 || !(o->port_new[s][port >> 3] & (1u << (port & 7))))
			continue;
		listed++;
		ev_map(ev, NULL);
		ev_str(ev, "proto", proto_str(v[i]->key[0]));
		ev_u64(ev, "port", port);
		ev_u64(ev, "packets", v[i]->packets);
		ev_u64(ev, "sources", v[i]->others);
		ev_end_map(ev);
	}
	ev_end_array(ev);
	free(v);
	ev_u64(ev, "sources_total", o->new_sources);
	ev_array(ev, "sources");
	for (uint32_t i = 0; i < o->new_src_n; i++) {
		key_ip(o->new_src_list[i], ip, sizeof(ip));
		ev_str(ev, NULL, ip);
	}
	ev_end_array(ev);
	ev_double(ev, "sources_error_rate", hist_fp(o));
	ev_end_map(ev);

	ev_end_map(ev);
	event_end(ev);
	o->events++;
}

/* ---------------------------------------------------------------- intervals */

static void reset_interval(struct observe *o)
{
	o->packets = o->packets_ts = o->bytes = 0;
	hset_clear(&o->sources);
	hset_clear(&o->icmp_sources);
	hset_clear(&o->scan_sources);
	hset_clear(&o->scan_flows);
	ktab_clear(&o->ports);
	ktab_clear(&o->countries);
	ktab_clear(&o->icmp);
	ktab_clear(&o->scan_ports);
	ktab_clear(&o->scan_srcs);
	o->syns_unanswered = 0;
	o->pending_dropped = 0;
	if (o->new_ports) /* else no bit was set */
		for (int i = 0; i < 3; i++)
			memset(o->port_new[i], 0, 65536 / 8);
	o->new_ports = 0;
	o->new_sources = 0;
	o->new_src_n = 0;
}

static void count_approx(struct observe *o)
{
	const struct ktab *ts[] = {&o->ports, &o->countries, &o->icmp, &o->scan_ports, &o->scan_srcs};
	for (size_t i = 0; i < KG_ARRAY_LEN(ts); i++)
		if (ts[i]->approx || ts[i]->pairs.approx || ts[i]->keys.approx)
			o->approx_tables++;
}

/* The current history filter becomes a previous one; the oldest is emptied for reuse (a filter
 * with no bit set is empty already). */
static void hist_advance(struct observe *o)
{
	o->hist_cur = (o->hist_cur + 1) % (OBS_HISTORY + 1);
	if (o->hist_set[o->hist_cur])
		memset(o->hist[o->hist_cur], 0, o->hist_mbits / 8);
	o->hist_set[o->hist_cur] = 0;
	if (o->hist_valid < OBS_HISTORY)
		o->hist_valid++;
}

/* Close the current interval (write its event when anything was seen) and open the one that
 * holds now_us. Intervals are aligned to multiples of the interval since the epoch. */
static void roll(struct observe *o, struct engine *e, int64_t now_us, bool final)
{
	pend_sweep(o, o->end_us - OBS_SYN_GRACE_US, final);
	if (o->packets) {
		emit_observation(o, e, final);
		count_approx(o);
	}
	o->intervals_done++;
	/* the history: the current filter becomes a previous one */
	hist_advance(o);
	reset_interval(o);
	if (final)
		return;
	int64_t len = (int64_t)o->cfg.interval_s * 1000000;
	int64_t start = now_us - ((now_us % len) + len) % len;
	uint64_t skipped = start > o->end_us ? (uint64_t)((start - o->end_us) / len) : 0;
	/* empty intervals in between still age the history */
	for (uint64_t i = 0; i < skipped && i < OBS_HISTORY + 1; i++)
		hist_advance(o);
	/* anything older than the history is simply old: keep the interval numbers small */
	o->seq += 1 + KG_MIN(skipped, (uint64_t)OBS_HISTORY + 1);
	o->start_us = start;
	o->end_us = start + len;
}

static void begin(struct observe *o, int64_t ts)
{
	int64_t len = (int64_t)o->cfg.interval_s * 1000000;
	o->started = true;
	o->start_us = ts - ((ts % len) + len) % len;
	o->end_us = o->start_us + len;
	o->first_partial = ts > o->start_us;
	o->seq = 1;
}

static void obs_tick(void *ctx, struct engine *e, int64_t now_us)
{
	struct observe *o = ctx;
	if (o->started && now_us >= o->end_us)
		roll(o, e, now_us, false);
}

static void country_key(struct observe *o, int family, const uint8_t *a, uint8_t *key)
{
	struct geo_info gi;
	geo_lookup(o->geo, family, a, &gi);
	memset(key, 0, KEYLEN);
	const char *label = gi.scope != GEO_SCOPE_GLOBAL ? geo_scope_name(gi.scope)
			    : gi.has_country	      ? gi.country
						      : "unknown";
	memcpy(key, label, KG_MIN(strlen(label), (size_t)KEYLEN - 1));
}

static void obs_packet(void *ctx, struct engine *e, const struct packet *pkt, struct flow *f, enum flow_dir dir)
{
	struct observe *o = ctx;
	int64_t now = KG_MAX(engine_now(e), pkt->ts_us);
	if (!o->started)
		begin(o, now);
	else if (now >= o->end_us)
		roll(o, e, now, false);
	o->packets++;
	o->bytes += pkt->ip_total_len;
	if (pkt->ipproto == 1 || pkt->ipproto == 58) {
		uint8_t key[KEYLEN];
		memset(key, 0, sizeof(key));
		key[0] = pkt->ipproto;
		key[1] = pkt->icmp_type;
		uint64_t src = addr_hash(o, pkt->family, pkt->src);
		ktab_add(&o->icmp, key, src, 1);
		hset_add(&o->icmp_sources, src);
	}
	if (!f || dir != DIR_TO_SERVER)
		return;
	o->packets_ts++;
	uint64_t src = addr_hash(o, f->family, f->cli);
	hset_add(&o->sources, src);
	note_source(o, f->family, f->cli, src);
	int slot = proto_slot(f->proto);
	if (slot >= 0) {
		uint8_t key[KEYLEN];
		memset(key, 0, sizeof(key));
		key[0] = f->proto;
		key[1] = (uint8_t)(f->sport >> 8);
		key[2] = (uint8_t)f->sport;
		ktab_add(&o->ports, key, src, 1);
		uint32_t *seen = &o->port_seen[slot][f->sport];
		uint32_t cur = (uint32_t)o->seq;
		if (*seen != cur) {
			if (*seen == 0 || cur - *seen > OBS_HISTORY) {
				o->port_new[slot][f->sport >> 3] |= (uint8_t)(1u << (f->sport & 7));
				o->new_ports++;
			}
			*seen = cur;
		}
	}
	if (o->geo) {
		uint8_t key[KEYLEN];
		country_key(o, f->family, f->cli, key);
		ktab_add(&o->countries, key, src, 1);
	}
	if (f->proto == 6 && (pkt->tcp_flags & (TH_SYN_ | TH_ACK_)) == TH_SYN_ && !f->pkts[DIR_TO_CLIENT])
		pend_syn(o, f, pkt->ts_us);
}

static void obs_flow_end(void *ctx, struct engine *e, struct flow *f)
{
	(void)e;
	struct observe *o = ctx;
	uint32_t *link;
	struct pend *p = pend_find(o, f, &link);
	if (p) {
		pend_judge(o, p);
		pend_remove(o, p, link);
	}
}

static void obs_finish(void *ctx, struct engine *e)
{
	struct observe *o = ctx;
	if (o->started)
		roll(o, e, engine_now(e), true);
	o->started = false;
}

static void obs_stats(void *ctx, struct engine *e, struct event *ev)
{
	(void)e;
	struct observe *o = ctx;
	ev_u64(ev, "events", o->events);
	ev_u64(ev, "approximate_tables", o->approx_tables);
	ev_u64(ev, "pending_syn_flows", o->pend.live);
}

bool observe_attach(struct observe *o, struct engine *e)
{
	struct engine_module m = {
		.name = "observation",
		.ctx = o,
		.packet = obs_packet,
		.flow_end = obs_flow_end,
		.tick = obs_tick,
		.stats = obs_stats,
		.finish = obs_finish,
	};
	return engine_add_module(e, &m);
}
