/* mpm.c - multi-pattern matcher: Hyperscan or the own Aho-Corasick (see mpm.h), with the
 * Hyperscan database cache. Hyperscan's API: hs_compile_lit_multi, hs_scan, hs_alloc_scratch,
 * hs_serialize_database, hs_deserialize_database (Hyperscan 5.2+ developer reference). */
#include "config.h"

#include "mpm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef HAVE_HYPERSCAN
#include <hs/hs.h>
#endif

#include "ac.h"
#include "util/util.h"

#define MPM_AC_MAX_BYTES (1024u << 20)
#define MPM_MAX_LITERAL 32 /* bytes of a pattern given to the matcher */
#define MPM_HS_MIN_PATTERNS 32 /* smaller sets use the own automaton */

struct pat {
	uint8_t *p;
	uint32_t len;
	bool nocase;
	uint32_t first_id;     /* ids: first_id, then ids[] from ext_start for ext_n more */
	uint32_t ext_start, ext_n;
	uint32_t hnext;        /* hash chain, index + 1 */
};

struct mpm {
	int kind;
	struct pat *pats;
	size_t n, cap;
	uint32_t *ext;         /* extra ids of shared patterns, grouped per pattern after compile */
	size_t next, capext;
	struct { uint32_t pat, id; } *extl; /* extra ids as added */
	uint32_t *hash;        /* pattern index + 1 */
	size_t hcap;
	struct ac *ac;
#ifdef HAVE_HYPERSCAN
	hs_database_t *db;
#endif
	size_t mem;
	bool compiled;
	bool cached;           /* the Hyperscan database came from the cache directory */
	bool bulk;             /* scans packet and stream data: Hyperscan whatever its size */
};

struct mpm_scratch {
#ifdef HAVE_HYPERSCAN
	hs_scratch_t *hs;
#endif
	int dummy;
};

bool mpm_hs_built(void)
{
#ifdef HAVE_HYPERSCAN
	return true;
#else
	return false;
#endif
}

int mpm_resolve(int kind)
{
	if (kind == MPM_AUTO)
		return mpm_hs_built() ? MPM_HS : MPM_AC;
	return kind;
}

const char *mpm_name(int kind)
{
	switch (mpm_resolve(kind)) {
	case MPM_HS: return "hs";
	default: return "ac";
	}
}

int mpm_parse(const char *s)
{
	if (!s || !*s || !strcmp(s, "auto"))
		return MPM_AUTO;
	if (!strcmp(s, "ac"))
		return MPM_AC;
	if (!strcmp(s, "hs"))
		return MPM_HS;
	return -1;
}

struct mpm *mpm_new(int kind)
{
	struct mpm *m = kg_calloc(1, sizeof(*m), "prefilter");
	m->kind = mpm_resolve(kind);
	return m;
}

void mpm_free(struct mpm *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->pats[i].p);
	free(m->pats);
	free(m->ext);
	free(m->extl);
	free(m->hash);
	ac_free(m->ac);
#ifdef HAVE_HYPERSCAN
	if (m->db)
		hs_free_database(m->db);
#endif
	free(m);
}

static uint32_t pat_hash(const uint8_t *p, size_t n, bool nocase)
{
	uint32_t h = 2166136261u ^ (nocase ? 1u : 0u);
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (nocase && c >= 'A' && c <= 'Z')
			c = (uint8_t)(c + 32);
		h = (h ^ c) * 16777619u;
	}
	return h;
}

static bool pat_eq(const struct pat *a, const uint8_t *p, size_t n, bool nocase)
{
	if (a->len != n || a->nocase != nocase)
		return false;
	if (!nocase)
		return memcmp(a->p, p, n) == 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t x = a->p[i], y = p[i];
		if (x >= 'A' && x <= 'Z')
			x = (uint8_t)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (uint8_t)(y + 32);
		if (x != y)
			return false;
	}
	return true;
}

static void rehash(struct mpm *m, size_t cap)
{
	free(m->hash);
	m->hash = kg_calloc(cap, sizeof(uint32_t), "prefilter hash");
	m->hcap = cap;
	for (size_t i = 0; i < m->n; i++) {
		size_t b = pat_hash(m->pats[i].p, m->pats[i].len, m->pats[i].nocase) & (cap - 1);
		m->pats[i].hnext = m->hash[b];
		m->hash[b] = (uint32_t)i + 1;
	}
}

void mpm_add(struct mpm *m, const uint8_t *p, size_t n, bool nocase, uint32_t id)
{
	if (m->compiled || !n)
		return;
	/* a prefix is as sound a prefilter as the whole literal; long literals make Hyperscan's
	 * build slow and the automaton deep */
	if (n > MPM_MAX_LITERAL)
		n = MPM_MAX_LITERAL;
	/* the own automaton is case-insensitive anyway: one pattern serves both forms */
	if (m->kind == MPM_AC)
		nocase = true;
	if (!m->hcap)
		rehash(m, 256);
	size_t b = pat_hash(p, n, nocase) & (m->hcap - 1);
	for (uint32_t i = m->hash[b]; i; i = m->pats[i - 1].hnext)
		if (pat_eq(&m->pats[i - 1], p, n, nocase)) {
			if (m->next == m->capext) {
				m->capext = m->capext ? m->capext * 2 : 64;
				m->extl = kg_realloc(m->extl, m->capext * sizeof(*m->extl), "prefilter ids");
			}
			m->extl[m->next].pat = i - 1;
			m->extl[m->next].id = id;
			m->next++;
			return;
		}
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 64;
		m->pats = kg_realloc(m->pats, m->cap * sizeof(*m->pats), "prefilter patterns");
	}
	struct pat *t = &m->pats[m->n];
	t->p = kg_malloc(n, "prefilter pattern");
	memcpy(t->p, p, n);
	t->len = (uint32_t)n;
	t->nocase = nocase;
	t->first_id = id;
	t->ext_start = t->ext_n = 0;
	t->hnext = m->hash[b];
	m->hash[b] = (uint32_t)++m->n;
	if (m->n * 2 > m->hcap)
		rehash(m, m->hcap * 2);
}

#ifdef HAVE_HYPERSCAN
/* The Hyperscan database cache (KAGAMI_HS_CACHE=DIR, read at each build): a database compiled
 * once is stored as DIR/kagami-hs-KEY.db (hs_serialize_database) and read back
 * (hs_deserialize_database) by later builds of the same pattern set. KEY hashes the Hyperscan
 * version and every pattern, flag and id in order; a file that does not deserialize (truncated,
 * another platform) is ignored and replaced. The directory must be trusted: a database there is
 * used as it is. */
#define MPM_CACHE_MAX_BYTES (512u << 20)

static void cache_path(char *out, size_t outlen, const char *dir, const char *const *exprs,
		       const unsigned *flags, const size_t *lens, size_t n)
{
	uint64_t h1 = 1469598103934665603ULL, h2 = 0x9e3779b97f4a7c15ULL;
#define MIX(b)                                                                    \
	do {                                                                          \
		h1 = (h1 ^ (uint8_t)(b)) * 1099511628211ULL;                             \
		h2 = (h2 ^ (uint8_t)(b)) * 0x100000001b3ULL + 0x632be59bd9b4e019ULL;     \
	} while (0)
	for (const char *v = hs_version(); *v; v++)
		MIX(*v);
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < 8; k++)
			MIX(lens[i] >> (8 * k));
		MIX(flags[i]);
		for (size_t k = 0; k < lens[i]; k++)
			MIX(exprs[i][k]);
	}
#undef MIX
	snprintf(out, outlen, "%s/kagami-hs-%016llx%016llx.db", dir, (unsigned long long)h1, (unsigned long long)h2);
}

static hs_database_t *cache_load(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct stat st;
	hs_database_t *db = NULL;
	if (fstat(fileno(f), &st) == 0 && st.st_size > 0 && (uint64_t)st.st_size <= MPM_CACHE_MAX_BYTES) {
		size_t n = (size_t)st.st_size;
		char *buf = kg_malloc(n, "prefilter cache");
		if (fread(buf, 1, n, f) != n || hs_deserialize_database(buf, n, &db) != HS_SUCCESS)
			db = NULL;
		free(buf);
	}
	fclose(f);
	return db;
}

/* Best effort: a cache that cannot be written costs the next build its time, nothing else. */
static void cache_store(const char *path, const hs_database_t *db)
{
	char *bytes = NULL;
	size_t n = 0;
	if (hs_serialize_database(db, &bytes, &n) != HS_SUCCESS)
		return;
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.%ld.%p.tmp", path, (long)getpid(), (const void *)db);
	FILE *f = fopen(tmp, "wb");
	if (f) {
		bool ok = fwrite(bytes, 1, n, f) == n;
		ok = fclose(f) == 0 && ok;
		if (!ok || rename(tmp, path) != 0)
			(void)unlink(tmp);
	}
	free(bytes);
}
#endif

int mpm_compile(struct mpm *m, char *errbuf, size_t errlen)
{
	if (m->compiled)
		return MPM_OK;
	/* group the extra ids per pattern */
	size_t *cnt = kg_calloc(m->n + 1, sizeof(size_t), "prefilter ids");
	for (size_t i = 0; i < m->next; i++)
		cnt[m->extl[i].pat]++;
	size_t pos = 0;
	for (size_t i = 0; i < m->n; i++) {
		m->pats[i].ext_start = (uint32_t)pos;
		m->pats[i].ext_n = 0;
		pos += cnt[i];
	}
	free(cnt);
	m->ext = kg_malloc((m->next ? m->next : 1) * sizeof(uint32_t), "prefilter ids");
	for (size_t i = 0; i < m->next; i++) {
		struct pat *t = &m->pats[m->extl[i].pat];
		m->ext[t->ext_start + t->ext_n++] = m->extl[i].id;
	}
	free(m->extl);
	m->extl = NULL;
	free(m->hash);
	m->hash = NULL;
	m->hcap = 0;
	m->mem = m->n * sizeof(struct pat) + m->next * sizeof(uint32_t);
	for (size_t i = 0; i < m->n; i++)
		m->mem += m->pats[i].len;
	/* a handful of patterns for short buffers (transactions): the automaton builds in microseconds
	 * where Hyperscan takes milliseconds; bulk data is Hyperscan's whatever the count */
	if (m->kind == MPM_HS && m->n < MPM_HS_MIN_PATTERNS && !m->bulk)
		m->kind = MPM_AC;
	if (m->kind == MPM_HS) {
#ifdef HAVE_HYPERSCAN
		if (m->n) {
			const char **exprs = kg_malloc(m->n * sizeof(*exprs), "prefilter build");
			unsigned *flags = kg_malloc(m->n * sizeof(unsigned), "prefilter build");
			unsigned *ids = kg_malloc(m->n * sizeof(unsigned), "prefilter build");
			size_t *lens = kg_malloc(m->n * sizeof(size_t), "prefilter build");
			for (size_t i = 0; i < m->n; i++) {
				exprs[i] = (const char *)m->pats[i].p;
				lens[i] = m->pats[i].len;
				flags[i] = HS_FLAG_SINGLEMATCH | (m->pats[i].nocase ? HS_FLAG_CASELESS : 0);
				ids[i] = (unsigned)i;
			}
			const char *dir = getenv("KAGAMI_HS_CACHE");
			char path[4096] = "";
			if (dir && *dir) {
				cache_path(path, sizeof(path), dir, exprs, flags, lens, m->n);
				m->db = cache_load(path);
				m->cached = m->db != NULL;
			}
			hs_compile_error_t *ce = NULL;
			hs_error_t rc = HS_SUCCESS;
			if (!m->db) {
				rc = hs_compile_lit_multi(exprs, flags, ids, lens, (unsigned)m->n, HS_MODE_BLOCK, NULL, &m->db,
							  &ce);
				if (rc == HS_SUCCESS && path[0])
					cache_store(path, m->db);
			}
			free(exprs);
			free(flags);
			free(ids);
			free(lens);
			if (rc != HS_SUCCESS) {
				snprintf(errbuf, errlen, "Hyperscan: %s", ce && ce->message ? ce->message : "compile failed");
				hs_free_compile_error(ce);
				return MPM_ERR_COMPILE;
			}
			size_t sz = 0;
			if (hs_database_size(m->db, &sz) == HS_SUCCESS)
				m->mem += sz;
		}
#else
		snprintf(errbuf, errlen, "kagami was built without Hyperscan");
		return MPM_ERR_UNAVAILABLE;
#endif
	} else {
		m->ac = ac_new();
		for (size_t i = 0; i < m->n; i++)
			(void)ac_add(m->ac, m->pats[i].p, m->pats[i].len, (uint32_t)i);
		int rc = ac_compile(m->ac, MPM_AC_MAX_BYTES);
		if (rc != AC_OK) {
			snprintf(errbuf, errlen, "prefilter: %s", ac_strerror(rc));
			return MPM_ERR_COMPILE;
		}
		m->mem += ac_memory(m->ac);
	}
	m->compiled = true;
	return MPM_OK;
}

size_t mpm_patterns(const struct mpm *m) { return m->n; }
size_t mpm_memory(const struct mpm *m) { return m->mem; }
int mpm_kind_of(const struct mpm *m) { return m->kind; }
bool mpm_cached(const struct mpm *m) { return m->cached; }
void mpm_set_bulk(struct mpm *m) { m->bulk = true; }

struct mpm_scratch *mpm_scratch_new(void) { return kg_calloc(1, sizeof(struct mpm_scratch), "prefilter scratch"); }

bool mpm_scratch_fit(struct mpm_scratch *s, const struct mpm *m)
{
#ifdef HAVE_HYPERSCAN
	if (m->kind == MPM_HS && m->db)
		return hs_alloc_scratch(m->db, &s->hs) == HS_SUCCESS;
#else
	(void)s;
	(void)m;
#endif
	return true;
}

void mpm_scratch_free(struct mpm_scratch *s)
{
	if (!s)
		return;
#ifdef HAVE_HYPERSCAN
	if (s->hs)
		hs_free_scratch(s->hs);
#endif
	free(s);
}

struct scan_ctx {
	const struct mpm *m;
	mpm_match_fn cb;
	void *ctx;
};

static void report(const struct mpm *m, uint32_t pi, mpm_match_fn cb, void *ctx)
{
	const struct pat *t = &m->pats[pi];
	cb(ctx, t->first_id);
	for (uint32_t k = 0; k < t->ext_n; k++)
		cb(ctx, m->ext[t->ext_start + k]);
}

static int on_ac(void *vctx, uint32_t id, size_t end)
{
	(void)end;
	struct scan_ctx *sc = vctx;
	report(sc->m, id, sc->cb, sc->ctx);
	return 0;
}

#ifdef HAVE_HYPERSCAN
static int on_hs(unsigned id, unsigned long long from, unsigned long long to, unsigned flags, void *vctx)
{
	(void)from;
	(void)to;
	(void)flags;
	struct scan_ctx *sc = vctx;
	report(sc->m, id, sc->cb, sc->ctx);
	return 0;
}
#endif

void mpm_scan(const struct mpm *m, struct mpm_scratch *s, const uint8_t *data, size_t len, mpm_match_fn cb,
	      void *ctx)
{
	if (!m || !m->compiled || !m->n || !len)
		return;
	struct scan_ctx sc = {m, cb, ctx};
#ifdef HAVE_HYPERSCAN
	if (m->kind == MPM_HS) {
		if (s && s->hs && len <= UINT32_MAX)
			(void)hs_scan(m->db, (const char *)data, (unsigned)len, 0, s->hs, on_hs, &sc);
		return;
	}
#else
	(void)s;
#endif
	ac_scan(m->ac, data, len, on_ac, &sc);
}
