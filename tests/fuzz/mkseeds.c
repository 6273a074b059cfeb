/* mkseeds.c - build fuzzing seeds from captures: for each capture, an engine seed (its first
 * packets in fuzz_engine's format) and, for every flow a dissector recognised, an app seed (the
 * flow's stream chunks or datagrams in fuzz_app's format) under OUTDIR/app_<proto>/.
 *   mkseeds OUTDIR CAPTURE... */
#include "config.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/applayer.h"
#include "engine/engine.h"
#include "output/event.h"
#include "output/output.h"
#include "util/util.h"

#define SEED_MAX (64 * 1024)

struct rec {
	struct rec *next;
	const struct flow *f;
	struct strbuf sb;
};

struct seedmod {
	const char *outdir;
	const char *name;
	struct rec *recs;
	unsigned written;
};

static struct rec *rec_for(struct seedmod *m, const struct flow *f)
{
	for (struct rec *r = m->recs; r; r = r->next)
		if (r->f == f)
			return r;
	struct rec *r = kg_calloc(1, sizeof(*r), "seed record");
	r->f = f;
	sb_init(&r->sb, SEED_MAX);
	r->next = m->recs;
	m->recs = r;
	return r;
}

static void add_chunk(struct seedmod *m, const struct flow *f, int dir, const uint8_t *p, size_t n)
{
	struct rec *r = rec_for(m, f);
	while (n) {
		size_t k = n > 4096 ? 4096 : n;
		uint8_t hdr[3] = {(uint8_t)dir, (uint8_t)k, (uint8_t)(k >> 8)};
		if (!sb_append(&r->sb, hdr, 3) || !sb_append(&r->sb, p, k))
			return;
		p += k;
		n -= k;
	}
}

static void sm_stream(void *ctx, struct engine *e, struct flow *f, enum flow_dir dir, const uint8_t *data, size_t len,
		      int64_t ts)
{
	(void)e;
	(void)ts;
	add_chunk(ctx, f, dir, data, len);
}

static void sm_packet(void *ctx, struct engine *e, const struct packet *pkt, struct flow *f, enum flow_dir dir)
{
	(void)e;
	if (pkt->ipproto == 17 && pkt->payload_len)
		add_chunk(ctx, f, dir, pkt->payload, pkt->payload_len);
}

static void sm_flow_end(void *ctx, struct engine *e, struct flow *f)
{
	(void)e;
	struct seedmod *m = ctx;
	struct rec **pp = &m->recs;
	while (*pp && (*pp)->f != f)
		pp = &(*pp)->next;
	struct rec *r = *pp;
	if (!r)
		return;
	*pp = r->next;
	const char *app = applayer_proto_name(f);
	if (app && strcmp(app, "failed") != 0 && r->sb.len) {
		char dir[4096], path[4400];
		snprintf(dir, sizeof(dir), "%s/app_%s", m->outdir, app);
		mkdir(dir, 0755);
		snprintf(path, sizeof(path), "%s/%s-%llu", dir, m->name, (unsigned long long)f->flow_id);
		FILE *fp = fopen(path, "wb");
		if (fp) {
			fwrite(r->sb.data, 1, r->sb.len, fp);
			fclose(fp);
			m->written++;
		}
	}
	sb_free(&r->sb);
	free(r);
}

static int one(const char *outdir, const char *path)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, eb);
	if (!p) {
		fprintf(stderr, "mkseeds: %s: %s\n", path, eb);
		return 1;
	}
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	char name[256];
	snprintf(name, sizeof(name), "%s", base);
	char *dot = strrchr(name, '.');
	if (dot)
		*dot = '\0';

	char err[256];
	struct output_cfg oc = {.path = "/dev/null"};
	struct output *out;
	if (output_open(&oc, &out, err, sizeof(err)) != OUT_OK)
		return 1;
	struct emitter *em = emitter_new(out);
	struct engine_cfg cfg;
	engine_cfg_defaults(&cfg);
	cfg.nids_streams = 1024;
	struct engine *e = engine_new(&cfg, em, err, sizeof(err));
	if (!e)
		return 1;
	struct seedmod sm = {.outdir = outdir, .name = name};
	struct engine_module mod = {.name = "seeds", .ctx = &sm, .stream = sm_stream, .packet = sm_packet,
				    .flow_end = sm_flow_end};
	engine_add_module(e, &mod);

	/* engine seed: the link type index, then the first packets */
	static const int lts[] = {DLT_EN10MB, DLT_RAW, DLT_LINUX_SLL, 276, DLT_NULL, DLT_LOOP, 228, 229};
	uint8_t lt_index = 0;
	for (uint8_t i = 0; i < sizeof(lts) / sizeof(lts[0]); i++)
		if (lts[i] == pcap_datalink(p))
			lt_index = i;
	struct strbuf seed;
	sb_init(&seed, SEED_MAX);
	sb_putc(&seed, (char)lt_index);
	struct pcap_pkthdr *h;
	const u_char *d;
	struct packet pkt;
	memset(&pkt, 0, sizeof(pkt));
	uint8_t *copy = kg_malloc(262144, "packet");
	while (pcap_next_ex(p, &h, &d) == 1) {
		uint32_t n = h->caplen > 65535 ? 65535 : h->caplen;
		uint8_t hdr[3] = {10, (uint8_t)n, (uint8_t)(n >> 8)};
		if (seed.len + 3 + n <= SEED_MAX) {
			sb_append(&seed, hdr, 3);
			sb_append(&seed, d, n);
		}
		memcpy(copy, d, h->caplen);
		pkt.ts_us = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
		pkt.caplen = h->caplen;
		pkt.wirelen = h->len;
		pkt.linktype = pcap_datalink(p);
		pkt.data = copy;
		engine_packet(e, &pkt);
	}
	engine_finish(e);
	char dir[4096], sp[4400];
	snprintf(dir, sizeof(dir), "%s/engine", outdir);
	mkdir(dir, 0755);
	snprintf(sp, sizeof(sp), "%s/%s", dir, name);
	FILE *fp = fopen(sp, "wb");
	if (fp) {
		fwrite(seed.data, 1, seed.len, fp);
		fclose(fp);
	}
	sb_free(&seed);
	free(copy);
	engine_free(e);
	emitter_free(em);
	output_close(out);
	pcap_close(p);
	printf("%s: %u app seeds\n", name, sm.written);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: mkseeds OUTDIR CAPTURE...\n");
		return 1;
	}
	mkdir(argv[1], 0755);
	int rc = 0;
	for (int i = 2; i < argc; i++)
		rc |= one(argv[1], argv[i]);
	return rc;
}
