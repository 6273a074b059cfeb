/* streamdigest.c - per-flow digests of reassembled stream bytes (see streamdigest.h). */
#include "config.h"

#include "streamdigest.h"

#include <nettle/sha1.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

/* Digest state lives in a small table keyed by flow pointer; the flow's own
 * slots belong to other modules. */
struct digest {
	struct digest *next;
	const struct flow *f;
	struct sha1_ctx sha[2];
	uint64_t bytes[2];
	uint32_t chunks[2];
};

struct sdmod {
	struct digest *buckets[4096];
};

static struct digest *find(struct sdmod *m, const struct flow *f, bool create)
{
	size_t b = ((uintptr_t)f >> 4) & 4095;
	for (struct digest *d = m->buckets[b]; d; d = d->next)
		if (d->f == f)
			return d;
	if (!create)
		return NULL;
	struct digest *d = kg_calloc(1, sizeof(*d), "stream digest");
	d->f = f;
	sha1_init(&d->sha[0]);
	sha1_init(&d->sha[1]);
	d->next = m->buckets[b];
	m->buckets[b] = d;
	return d;
}

static void sd_stream(void *ctx, struct engine *e, struct flow *f, enum flow_dir dir, const uint8_t *data, size_t len,
		      int64_t ts_us)
{
	(void)e;
	(void)ts_us;
	struct digest *d = find(ctx, f, true);
	sha1_update(&d->sha[dir], len, data);
	d->bytes[dir] += len;
	d->chunks[dir]++;
}

static void sd_flow_end(void *ctx, struct engine *e, struct flow *f)
{
	struct sdmod *m = ctx;
	struct digest *d = find(m, f, false);
	if (!d || f->proto != 6)
		return;
	struct event *ev = event_begin(engine_emitter(e), "stream", f->start_us);
	event_flow(ev, f, DIR_TO_SERVER);
	ev_map(ev, "stream");
	static const char *const names[2] = {"toserver", "toclient"};
	for (int i = 0; i < 2; i++) {
		uint8_t h[SHA1_DIGEST_SIZE];
		sha1_digest(&d->sha[i], sizeof(h), h);
		ev_map(ev, names[i]);
		ev_u64(ev, "bytes", d->bytes[i]);
		ev_hex(ev, "sha1", h, sizeof(h));
		ev_u64(ev, "gaps", f->gaps[i]);
		ev_u64(ev, "gap_bytes", f->gap_bytes[i]);
		ev_end_map(ev);
	}
	ev_end_map(ev);
	event_end(ev);
	size_t b = ((uintptr_t)f >> 4) & 4095;
	for (struct digest **pp = &m->buckets[b]; *pp; pp = &(*pp)->next) {
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	}
	free(d);
}

static void sd_destroy(void *ctx)
{
	struct sdmod *m = ctx;
	for (size_t b = 0; b < 4096; b++) {
		struct digest *d = m->buckets[b];
		while (d) {
			struct digest *n = d->next;
			free(d);
			d = n;
		}
	}
	free(m);
}

void streamdigest_attach(struct engine *e)
{
	struct engine_module mod = {
		.name = "stream_digest",
		.ctx = kg_calloc(1, sizeof(struct sdmod), "stream digest module"),
		.stream = sd_stream,
		.flow_end = sd_flow_end,
		.destroy = sd_destroy,
	};
	engine_add_module(e, &mod);
}
