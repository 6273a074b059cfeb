/* hoststate.c - the bounded per-host state table (see hoststate.h): chained hash, LRU list. */
#include "config.h"

#include "hoststate.h"

#include <stdlib.h>
#include <string.h>

#include "util/util.h"

struct host_table {
	struct host_ent **hash;
	size_t hcap, n, cap;
	struct host_ent *head, *tail; /* most recently used first */
	uint64_t evictions;
};

struct host_table *host_table_new(size_t cap)
{
	struct host_table *t = kg_calloc(1, sizeof(*t), "host state");
	t->cap = cap ? cap : 1;
	t->hcap = 1;
	while (t->hcap < t->cap)
		t->hcap <<= 1;
	t->hash = kg_calloc(t->hcap, sizeof(*t->hash), "host state");
	return t;
}

void host_table_free(struct host_table *t)
{
	if (!t)
		return;
	for (struct host_ent *e = t->head, *n; e; e = n) {
		n = e->next;
		free(e);
	}
	free(t->hash);
	free(t);
}

static size_t key_hash(const struct host_key *k, size_t cap)
{
	const uint8_t *p = (const uint8_t *)k;
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return (size_t)(h ^ (h >> 29)) & (cap - 1);
}

static void lru_unlink(struct host_table *t, struct host_ent *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		t->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		t->tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_front(struct host_table *t, struct host_ent *e)
{
	e->prev = NULL;
	e->next = t->head;
	if (t->head)
		t->head->prev = e;
	t->head = e;
	if (!t->tail)
		t->tail = e;
}

void host_del(struct host_table *t, struct host_ent *e)
{
	size_t b = key_hash(&e->key, t->hcap);
	for (struct host_ent **pp = &t->hash[b]; *pp; pp = &(*pp)->hnext)
		if (*pp == e) {
			*pp = e->hnext;
			break;
		}
	lru_unlink(t, e);
	free(e);
	t->n--;
}

struct host_ent *host_get(struct host_table *t, const struct host_key *key, bool create, bool *created)
{
	if (created)
		*created = false;
	size_t b = key_hash(key, t->hcap);
	for (struct host_ent *e = t->hash[b]; e; e = e->hnext)
		if (!memcmp(&e->key, key, sizeof(*key))) {
			if (t->head != e) {
				lru_unlink(t, e);
				lru_front(t, e);
			}
			return e;
		}
	if (!create)
		return NULL;
	if (t->n >= t->cap && t->tail) {
		host_del(t, t->tail);
		t->evictions++;
	}
	struct host_ent *e = kg_calloc(1, sizeof(*e), "host state");
	e->key = *key;
	b = key_hash(key, t->hcap);
	e->hnext = t->hash[b];
	t->hash[b] = e;
	lru_front(t, e);
	t->n++;
	if (created)
		*created = true;
	return e;
}

size_t host_entries(const struct host_table *t) { return t->n; }
uint64_t host_evictions(const struct host_table *t) { return t->evictions; }
