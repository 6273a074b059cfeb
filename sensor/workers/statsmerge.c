/* statsmerge.c - merging the stats events of several workers (see statsmerge.h). */
#include "config.h"

#include "statsmerge.h"

#include <msgpack.h>
#include <stdbool.h>
#include <string.h>

#include "output/event.h"
#include "util/util.h"

#define MAX_INPUTS 128
#define MAX_DEPTH 8
#define MAX_KEYS 512

static bool key_is(const msgpack_object *k, const char *s)
{
	size_t n = strlen(s);
	return k->type == MSGPACK_OBJECT_STR && k->via.str.size == n && memcmp(k->via.str.ptr, s, n) == 0;
}

static const msgpack_object *map_get(const msgpack_object *m, const msgpack_object_str *key)
{
	if (!m || m->type != MSGPACK_OBJECT_MAP)
		return NULL;
	for (uint32_t i = 0; i < m->via.map.size; i++) {
		const msgpack_object *k = &m->via.map.ptr[i].key;
		if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == key->size &&
		    memcmp(k->via.str.ptr, key->ptr, key->size) == 0)
			return &m->via.map.ptr[i].val;
	}
	return NULL;
}

static const msgpack_object *map_get_cstr(const msgpack_object *m, const char *key)
{
	msgpack_object_str k = {.size = (uint32_t)strlen(key), .ptr = key};
	return map_get(m, &k);
}

static bool ends_with(const msgpack_object_str *k, const char *suffix)
{
	size_t n = strlen(suffix);
	return k->size >= n && memcmp(k->ptr + k->size - n, suffix, n) == 0;
}

static uint64_t sum_u64(const msgpack_object *const *v, size_t n)
{
	uint64_t s = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i] && v[i]->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
			s += v[i]->via.u64;
	return s;
}

static void merge_map(struct event *ev, const msgpack_object *const *maps, size_t n, char *path, size_t pathlen,
		      int depth, stats_merge_hook hook, void *ctx);

/* Merge the values under one key of every input and write "key": merged. */
static void merge_value(struct event *ev, const msgpack_object_str *key, const msgpack_object *const *vals, size_t n,
			char *path, size_t pathlen, int depth, stats_merge_hook hook, void *ctx)
{
	const msgpack_object *first = NULL;
	for (size_t i = 0; i < n && !first; i++)
		first = vals[i];
	if (!first)
		return;
	char kbuf[256];
	size_t kl = KG_MIN(key->size, sizeof(kbuf) - 1);
	memcpy(kbuf, key->ptr, kl);
	kbuf[kl] = '\0';
	bool take_first = ends_with(key, "_version");
	switch (first->type) {
	case MSGPACK_OBJECT_MAP: {
		if (depth >= MAX_DEPTH)
			return;
		size_t orig = strlen(path), pl = orig;
		if (pl + kl + 2 < pathlen) {
			if (pl)
				path[pl++] = '.';
			memcpy(path + pl, kbuf, kl + 1);
		}
		ev_map(ev, kbuf);
		merge_map(ev, vals, n, path, pathlen, depth + 1, hook, ctx);
		ev_end_map(ev);
		path[orig] = '\0';
		return;
	}
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
	case MSGPACK_OBJECT_NEGATIVE_INTEGER: {
		if (take_first) {
			if (first->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
				ev_u64(ev, kbuf, first->via.u64);
			else
				ev_i64(ev, kbuf, first->via.i64);
			return;
		}
		bool neg = false;
		int64_t si = 0;
		uint64_t su = 0;
		for (size_t i = 0; i < n; i++) {
			if (!vals[i])
				continue;
			if (vals[i]->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
				neg = true;
				si += vals[i]->via.i64;
			} else if (vals[i]->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
				su += vals[i]->via.u64;
			}
		}
		if (neg)
			ev_i64(ev, kbuf, si + (int64_t)su);
		else
			ev_u64(ev, kbuf, su);
		return;
	}
	case MSGPACK_OBJECT_BOOLEAN: {
		bool any = false;
		for (size_t i = 0; i < n; i++)
			if (vals[i] && vals[i]->type == MSGPACK_OBJECT_BOOLEAN && vals[i]->via.boolean)
				any = true;
		ev_bool(ev, kbuf, any);
		return;
	}
	case MSGPACK_OBJECT_STR:
		ev_strn(ev, kbuf, first->via.str.ptr, first->via.str.size);
		return;
	case MSGPACK_OBJECT_NIL:
		ev_null(ev, kbuf);
		return;
	default:
		/* floats do not add up; arrays and binary are not counters */
		return;
	}
}

static void merge_map(struct event *ev, const msgpack_object *const *maps, size_t n, char *path, size_t pathlen,
		      int depth, stats_merge_hook hook, void *ctx)
{
	const msgpack_object_str *keys[MAX_KEYS];
	size_t nk = 0;
	for (size_t i = 0; i < n; i++) {
		const msgpack_object *m = maps[i];
		if (!m || m->type != MSGPACK_OBJECT_MAP)
			continue;
		for (uint32_t j = 0; j < m->via.map.size && nk < MAX_KEYS; j++) {
			const msgpack_object *k = &m->via.map.ptr[j].key;
			if (k->type != MSGPACK_OBJECT_STR)
				continue;
			bool seen = false;
			for (size_t x = 0; x < nk && !seen; x++)
				seen = keys[x]->size == k->via.str.size && !memcmp(keys[x]->ptr, k->via.str.ptr, k->via.str.size);
			if (!seen)
				keys[nk++] = &k->via.str;
		}
	}
	bool in_loss = strcmp(path, "capture_loss") == 0;
	for (size_t x = 0; x < nk; x++) {
		if (depth == 0 && keys[x]->size == 6 && !memcmp(keys[x]->ptr, "worker", 6))
			continue;
		const msgpack_object *vals[MAX_INPUTS];
		for (size_t i = 0; i < n; i++)
			vals[i] = map_get(maps[i], keys[x]);
		if (in_loss && keys[x]->size == 7 && !memcmp(keys[x]->ptr, "percent", 7)) {
			const msgpack_object *a[MAX_INPUTS], *g[MAX_INPUTS];
			for (size_t i = 0; i < n; i++) {
				a[i] = map_get_cstr(maps[i], "acks");
				g[i] = map_get_cstr(maps[i], "ack_gaps");
			}
			uint64_t acks = sum_u64(a, n), gaps = sum_u64(g, n);
			ev_double(ev, "percent", acks ? 100.0 * (double)gaps / (double)acks : 0.0);
			continue;
		}
		merge_value(ev, keys[x], vals, n, path, pathlen, depth, hook, ctx);
	}
	if (hook && depth > 0)
		hook(ctx, ev, path);
}

size_t stats_merge(struct event *ev, const uint8_t *const *evs, const size_t *lens, size_t n,
		   stats_merge_hook hook, void *ctx)
{
	if (n > MAX_INPUTS)
		n = MAX_INPUTS;
	msgpack_unpacked un[MAX_INPUTS];
	const msgpack_object *stats[MAX_INPUTS] = {NULL};
	size_t ok = 0;
	for (size_t i = 0; i < n; i++) {
		msgpack_unpacked_init(&un[i]);
		stats[i] = NULL;
		size_t off = 0;
		if (!evs[i] || msgpack_unpack_next(&un[i], (const char *)evs[i], lens[i], &off) != MSGPACK_UNPACK_SUCCESS)
			continue;
		const msgpack_object *root = &un[i].data;
		const msgpack_object *t = map_get_cstr(root, "event_type");
		if (!t || !key_is(t, "stats"))
			continue;
		stats[i] = map_get_cstr(root, "stats");
		if (stats[i] && stats[i]->type == MSGPACK_OBJECT_MAP)
			ok++;
		else
			stats[i] = NULL;
	}
	char path[256] = "";
	merge_map(ev, stats, n, path, sizeof(path), 0, hook, ctx);
	for (size_t i = 0; i < n; i++)
		msgpack_unpacked_destroy(&un[i]);
	return ok;
}
