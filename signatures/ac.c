/* ac.c - Aho-Corasick automaton (Aho & Corasick 1975) compiled to a DFA over byte classes.
 *
 * Build: a trie with sparse edges; compile: breadth-first failure links, then a
 * full transition table over the byte classes that occur in patterns (all
 * other bytes share class 0), so a scan is one table lookup per input byte.
 * Each state's output list includes the outputs of its failure chain.
 */
#include "config.h"

#include "ac.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

#define AC_OUT_FLAG 0x80000000u /* in a transition: the target state has outputs */
#define AC_MAX_STATES 0x7fffffffu

struct edge {
	uint8_t byte;
	uint32_t to;
	uint32_t next; /* next edge of the same state, 0 = end (edge 0 unused) */
};

struct ac {
	/* build */
	uint32_t *first_edge; /* per state */
	uint32_t *own_out;    /* per state: head of its own output list (index+1 into outs), 0 = none */
	struct edge *edges;
	size_t nedges, cap_edges;
	size_t nstates, cap_states;
	struct { uint32_t id, next; } *outs; /* own outputs, linked */
	size_t nouts, cap_outs;
	/* compiled */
	int compiled;
	uint8_t cls[256];
	size_t nclasses;
	uint32_t *delta;      /* nstates * nclasses */
	uint32_t *out_start;  /* nstates + 1 into out_ids */
	uint32_t *out_ids;
	size_t nout_ids;
};

const char *ac_strerror(int err)
{
	switch (err) {
	case AC_OK: return "success";
	case AC_ERR_TOO_LARGE: return "prefilter automaton larger than its memory cap";
	case AC_ERR_STATE: return "automaton used in the wrong phase";
	default: return "unknown prefilter error";
	}
}

static uint8_t lower(uint8_t c) { return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c; }

static uint32_t new_state(struct ac *a)
{
	if (a->nstates == a->cap_states) {
		a->cap_states = a->cap_states ? a->cap_states * 2 : 64;
		a->first_edge = kg_realloc(a->first_edge, a->cap_states * sizeof(uint32_t), "ac states");
		a->own_out = kg_realloc(a->own_out, a->cap_states * sizeof(uint32_t), "ac states");
	}
	a->first_edge[a->nstates] = 0;
	a->own_out[a->nstates] = 0;
	return (uint32_t)a->nstates++;
}

struct ac *ac_new(void)
{
	struct ac *a = kg_calloc(1, sizeof(*a), "ac");
	a->cap_edges = 64;
	a->edges = kg_malloc(a->cap_edges * sizeof(*a->edges), "ac edges");
	a->nedges = 1;
	(void)new_state(a);
	return a;
}

void ac_free(struct ac *a)
{
	if (!a)
		return;
	free(a->first_edge);
	free(a->own_out);
	free(a->edges);
	free(a->outs);
	free(a->delta);
	free(a->out_start);
	free(a->out_ids);
	free(a);
}

static uint32_t child(const struct ac *a, uint32_t s, uint8_t b)
{
	for (uint32_t e = a->first_edge[s]; e; e = a->edges[e].next)
		if (a->edges[e].byte == b)
			return a->edges[e].to;
	return 0;
}

int ac_add(struct ac *a, const uint8_t *p, size_t n, uint32_t id)
{
	if (a->compiled || n == 0)
		return AC_ERR_STATE;
	uint32_t s = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t b = lower(p[i]);
		uint32_t t = child(a, s, b);
		if (!t) {
			t = new_state(a);
			if (a->nedges == a->cap_edges) {
				a->cap_edges *= 2;
				a->edges = kg_realloc(a->edges, a->cap_edges * sizeof(*a->edges), "ac edges");
			}
			struct edge *e = &a->edges[a->nedges];
			e->byte = b;
			e->to = t;
			e->next = a->first_edge[s];
			a->first_edge[s] = (uint32_t)a->nedges++;
		}
		s = t;
	}
	if (a->nouts == a->cap_outs) {
		a->cap_outs = a->cap_outs ? a->cap_outs * 2 : 64;
		a->outs = kg_realloc(a->outs, a->cap_outs * sizeof(*a->outs), "ac outputs");
	}
	a->outs[a->nouts].id = id;
	a->outs[a->nouts].next = a->own_out[s];
	a->own_out[s] = (uint32_t)++a->nouts;
	return AC_OK;
}

int ac_compile(struct ac *a, size_t max_bytes)
{
	if (a->compiled)
		return AC_ERR_STATE;
	/* byte classes: bytes used by some edge (lower case; upper case maps to the same class) */
	bool used[256] = {false};
	for (size_t e = 1; e < a->nedges; e++)
		used[a->edges[e].byte] = true;
	a->nclasses = 1;
	uint8_t map[256] = {0};
	for (int b = 0; b < 256; b++)
		if (used[b])
			map[b] = (uint8_t)a->nclasses++;
	for (int b = 0; b < 256; b++)
		a->cls[b] = map[lower((uint8_t)b)];
	size_t ns = a->nstates, nc = a->nclasses;
	if (ns * nc > AC_MAX_STATES || ns > SIZE_MAX / nc / sizeof(uint32_t) || ns * nc * sizeof(uint32_t) > max_bytes)
		return AC_ERR_TOO_LARGE;
	a->delta = kg_calloc(ns * nc, sizeof(uint32_t), "ac table");
	uint32_t *fail = kg_calloc(ns, sizeof(uint32_t), "ac failure links");
	uint32_t *queue = kg_malloc(ns * sizeof(uint32_t), "ac queue");
	size_t qh = 0, qt = 0;
	/* root: edges go to children, everything else stays at the root */
	for (uint32_t e = a->first_edge[0]; e; e = a->edges[e].next) {
		a->delta[map[a->edges[e].byte]] = a->edges[e].to;
		fail[a->edges[e].to] = 0;
		queue[qt++] = a->edges[e].to;
	}
	while (qh < qt) {
		uint32_t s = queue[qh++];
		/* default: the failure state's transitions (already complete: BFS order) */
		memcpy(&a->delta[(size_t)s * nc], &a->delta[(size_t)fail[s] * nc], nc * sizeof(uint32_t));
		for (uint32_t e = a->first_edge[s]; e; e = a->edges[e].next) {
			uint32_t t = a->edges[e].to;
			uint8_t c = map[a->edges[e].byte];
			fail[t] = a->delta[(size_t)fail[s] * nc + c];
			a->delta[(size_t)s * nc + c] = t;
			queue[qt++] = t;
		}
	}
	/* outputs: own list plus the failure chain's, in BFS order so fail[s] is done first */
	a->out_start = kg_calloc(ns + 1, sizeof(uint32_t), "ac outputs");
	size_t *cnt = kg_calloc(ns, sizeof(size_t), "ac outputs");
	size_t total = 0;
	for (size_t i = 0; i <= qt; i++) {
		uint32_t s = i == 0 ? 0 : queue[i - 1];
		size_t c = 0;
		for (uint32_t o = a->own_out[s]; o; o = a->outs[o - 1].next)
			c++;
		if (s)
			c += cnt[fail[s]];
		cnt[s] = c;
		total += c;
	}
	if (total > max_bytes / sizeof(uint32_t)) {
		free(cnt);
		free(fail);
		free(queue);
		return AC_ERR_TOO_LARGE;
	}
	a->out_ids = kg_malloc((total ? total : 1) * sizeof(uint32_t), "ac outputs");
	/* lay out in state-number order */
	size_t pos = 0;
	for (size_t s = 0; s < ns; s++) {
		a->out_start[s] = (uint32_t)pos;
		pos += cnt[s];
	}
	a->out_start[ns] = (uint32_t)pos;
	for (size_t i = 0; i <= qt; i++) {
		uint32_t s = i == 0 ? 0 : queue[i - 1];
		size_t w = a->out_start[s];
		for (uint32_t o = a->own_out[s]; o; o = a->outs[o - 1].next)
			a->out_ids[w++] = a->outs[o - 1].id;
		if (s)
			for (uint32_t k = a->out_start[fail[s]]; k < a->out_start[fail[s] + 1]; k++)
				a->out_ids[w++] = a->out_ids[k];
	}
	a->nout_ids = total;
	/* transitions hold the target's row offset (state * classes), so a scan needs no
	 * multiply, and the high bit when the target has outputs, so it skips the output
	 * lookup for the rest */
	for (size_t k = 0; k < ns * nc; k++) {
		uint32_t t = a->delta[k];
		a->delta[k] = (uint32_t)(t * nc) | (cnt[t] ? AC_OUT_FLAG : 0);
	}
	free(cnt);
	free(fail);
	free(queue);
	a->compiled = 1;
	return AC_OK;
}

size_t ac_states(const struct ac *a) { return a->nstates; }

size_t ac_memory(const struct ac *a)
{
	return a->nstates * a->nclasses * sizeof(uint32_t) + (a->nstates + 1 + a->nout_ids) * sizeof(uint32_t);
}

/* Contract: reads data[0..len) once, in order; never past len. */
void ac_scan(const struct ac *a, const uint8_t *data, size_t len, ac_match_fn cb, void *ctx)
{
	if (!a->compiled || a->nstates < 2)
		return;
	const size_t nc = a->nclasses;
	const uint32_t *delta = a->delta;
	const uint8_t *cls = a->cls;
	uint32_t row = 0;
	for (size_t i = 0; i < len; i++) {
		uint32_t t = delta[row + cls[data[i]]];
		row = t & ~AC_OUT_FLAG;
		if (KG_LIKELY(!(t & AC_OUT_FLAG)))
			continue;
		size_t s = row / nc;
		uint32_t o = a->out_start[s], oe = a->out_start[s + 1];
		for (; o < oe; o++)
			if (cb(ctx, a->out_ids[o], i + 1))
				return;
	}
}
