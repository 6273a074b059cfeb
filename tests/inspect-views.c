/* inspect-views.c - test helper (not a test itself): runs captures through the real engine with one
 * engine module whose inspect callback prints every transaction view the dissectors publish
 * (dissectors/inspect.h) as a JSON line: flow, app, tx_id, direction, ready and newly set progress
 * bits, and each buffer with its canonical name, direction, length and bytes (a JSON string; bytes
 * outside printable ASCII as \u00XX). tests/http.sh asserts exact buffer bytes and the
 * exactly-once contract on generated captures with it. With -e it prints, instead, the app-layer
 * events (app_raise_event()) each packet raised, one JSON line each: flow and name.
 * Usage: inspect-views [-e] PCAP... (kagami's own events go to /dev/null). */
#include "config.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dissectors/inspect.h"
#include "engine/applayer.h"
#include "engine/engine.h"
#include "output/event.h"
#include "output/output.h"

static void json_bytes(const uint8_t *p, size_t n)
{
	putchar('"');
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			putchar(c);
		else
			printf("\\u%04x", c);
	}
	putchar('"');
}

static void on_inspect(void *ctx, struct engine *e, struct flow *f, const struct inspect_tx *tx, int64_t ts_us)
{
	(void)ctx;
	(void)e;
	(void)ts_us;
	printf("{\"flow\":%llu,\"app\":\"%s\",\"tx\":%llu,\"dir\":\"%s\",\"ready\":%u,\"newly\":%u,\"overflow\":%s,\"bufs\":[",
	       (unsigned long long)f->flow_id, tx->app, (unsigned long long)tx->tx_id,
	       tx->dir == DIR_TO_SERVER ? "ts" : "tc", tx->ready, tx->newly, tx->overflow ? "true" : "false");
	for (size_t i = 0; i < tx->n; i++) {
		const struct ib_def *d = tx->bufs[i].id < IB__COUNT ? &ib_table[tx->bufs[i].id] : NULL;
		printf("%s{\"name\":\"%s\",\"dir\":\"%s\",\"len\":%zu,\"data\":", i ? "," : "", d ? d->name : "?",
		       tx->bufs[i].dir == DIR_TO_SERVER ? "ts" : "tc", tx->bufs[i].b.len);
		json_bytes(tx->bufs[i].b.p, tx->bufs[i].b.len);
		putchar('}');
	}
	printf("]}\n");
}

static void on_packet_done(void *ctx, struct engine *e, const struct packet *pkt, struct flow *f, enum flow_dir dir)
{
	(void)ctx;
	(void)e;
	(void)pkt;
	(void)dir;
	if (!f)
		return;
	const char *names[16];
	size_t n = applayer_recent_events(f, names, 16);
	for (size_t i = 0; i < n; i++)
		printf("{\"flow\":%llu,\"event\":\"%s\"}\n", (unsigned long long)f->flow_id, names[i]);
}

int main(int argc, char **argv)
{
	bool events = argc > 1 && !strcmp(argv[1], "-e");
	if (events) {
		argv++;
		argc--;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: inspect-views [-e] PCAP...\n");
		return 1;
	}
	char err[PCAP_ERRBUF_SIZE > 256 ? PCAP_ERRBUF_SIZE : 256];
	struct output_cfg oc = {.path = "/dev/null", .format = OUT_FMT_MSGPACK};
	struct output *out;
	if (output_open(&oc, &out, err, sizeof(err)) != OUT_OK) {
		fprintf(stderr, "inspect-views: %s\n", err);
		return 1;
	}
	struct emitter *em = emitter_new(out);
	struct engine_cfg cfg;
	engine_cfg_defaults(&cfg);
	cfg.emit_stats = false;
	cfg.emit_flows = false;
	struct engine *e = engine_new(&cfg, em, err, sizeof(err));
	if (!e) {
		fprintf(stderr, "inspect-views: %s\n", err);
		return 1;
	}
	struct engine_module m = {.name = "inspect-views"};
	if (events)
		m.packet_done = on_packet_done;
	else
		m.inspect = on_inspect;
	engine_add_module(e, &m);
	int rc = 0;
	for (int a = 1; a < argc; a++) {
		pcap_t *pc = pcap_open_offline(argv[a], err);
		if (!pc) {
			fprintf(stderr, "inspect-views: %s: %s\n", argv[a], err);
			rc = 1;
			continue;
		}
		struct pcap_pkthdr *h;
		const u_char *data;
		int r;
		while ((r = pcap_next_ex(pc, &h, &data)) == 1) {
			uint8_t *copy = malloc(h->caplen ? h->caplen : 1);
			if (!copy)
				abort();
			memcpy(copy, data, h->caplen);
			struct packet pkt;
			memset(&pkt, 0, sizeof(pkt));
			pkt.ts_us = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
			pkt.caplen = h->caplen;
			pkt.wirelen = h->len;
			pkt.linktype = pcap_datalink(pc);
			pkt.data = copy;
			engine_packet(e, &pkt);
			free(copy);
		}
		if (r == -1) {
			fprintf(stderr, "inspect-views: %s: %s\n", argv[a], pcap_geterr(pc));
			rc = 1;
		}
		pcap_close(pc);
	}
	engine_finish(e);
	engine_free(e);
	emitter_free(em);
	output_close(out);
	return rc;
}
