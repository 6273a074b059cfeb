/* ac.h - Aho-Corasick multi-pattern matcher (Aho & Corasick, CACM 18(6), 1975), case-insensitive,
 * used as the rule prefilter: it says which patterns occur; the rules verify the rest. */
#ifndef KAGAMI_AC_H
#define KAGAMI_AC_H

#include <stddef.h>
#include <stdint.h>

enum ac_err { AC_OK = 0, AC_ERR_TOO_LARGE, AC_ERR_STATE };
const char *ac_strerror(int err);

struct ac;

/* Build phase: add patterns (matched ignoring ASCII case), then compile. */
struct ac *ac_new(void);
void ac_free(struct ac *a);
/* Pattern bytes p[0..n) (n >= 1) with the caller's id. */
int ac_add(struct ac *a, const uint8_t *p, size_t n, uint32_t id);
/* Build the automaton; max_bytes caps its memory (AC_ERR_TOO_LARGE past it). */
int ac_compile(struct ac *a, size_t max_bytes);
size_t ac_states(const struct ac *a);
size_t ac_memory(const struct ac *a);

/* Scan data; cb(ctx, id, end_offset) for every occurrence of every pattern
 * (end_offset = index just past the match). Scanning stops when cb returns nonzero. */
typedef int (*ac_match_fn)(void *ctx, uint32_t id, size_t end);
void ac_scan(const struct ac *a, const uint8_t *data, size_t len, ac_match_fn cb, void *ctx);

#endif
