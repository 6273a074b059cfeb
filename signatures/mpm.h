/* mpm.h - the multi-pattern matcher behind the rule prefilter: Hyperscan (hs_compile_lit_multi,
 * SIMD literal matching) where kagami was built with it, kagami's own Aho-Corasick automaton
 * (ac.h) elsewhere or when asked for. Both report which patterns occur; the rules verify the rest. */
#ifndef KAGAMI_MPM_H
#define KAGAMI_MPM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mpm_kind { MPM_AUTO = 0, MPM_AC, MPM_HS };
enum mpm_err { MPM_OK = 0, MPM_ERR_COMPILE, MPM_ERR_UNAVAILABLE };

/* The engine for a request (MPM_AUTO: Hyperscan when built with it, else Aho-Corasick). */
int mpm_resolve(int kind);
const char *mpm_name(int kind);
bool mpm_hs_built(void);
/* "ac", "hs" or "" -> enum mpm_kind; -1 for anything else. */
int mpm_parse(const char *s);

struct mpm;
struct mpm_scratch;

struct mpm *mpm_new(int kind);
void mpm_free(struct mpm *m);
/* Pattern p[0..n) (n >= 1), matched ignoring ASCII case when nocase; id is the caller's. The
 * same pattern added twice is stored once with both ids. */
void mpm_add(struct mpm *m, const uint8_t *p, size_t n, bool nocase, uint32_t id);
int mpm_compile(struct mpm *m, char *errbuf, size_t errlen);
size_t mpm_patterns(const struct mpm *m);
size_t mpm_memory(const struct mpm *m);
int mpm_kind_of(const struct mpm *m);
/* With KAGAMI_HS_CACHE=DIR in the environment, Hyperscan databases are stored in DIR once
 * compiled and read from there by later builds of the same patterns (mpm.c). True when m's
 * database was read from DIR. */
bool mpm_cached(const struct mpm *m);
/* The matcher scans packet and stream data (not short transaction buffers). */
void mpm_set_bulk(struct mpm *m);

/* Per-thread scratch space (Hyperscan needs one sized for every database it scans). */
struct mpm_scratch *mpm_scratch_new(void);
bool mpm_scratch_fit(struct mpm_scratch *s, const struct mpm *m);
void mpm_scratch_free(struct mpm_scratch *s);

/* cb(ctx, id) for the ids of every pattern that occurs in data (possibly more than once per id). */
typedef void (*mpm_match_fn)(void *ctx, uint32_t id);
void mpm_scan(const struct mpm *m, struct mpm_scratch *s, const uint8_t *data, size_t len, mpm_match_fn cb,
	      void *ctx);

#endif
