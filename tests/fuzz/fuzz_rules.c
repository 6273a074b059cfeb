/* fuzz_rules.c - fuzz the rule parser (lax and strict) with every keyword of README "Signatures",
 * the detection build (groups, IP-only tables, prefilters) and the matcher: every parsed rule runs
 * on the input bytes as a payload, and the rule set runs on transaction views of every app whose
 * buffers all hold the input (after transforms) and on a packet carrying it. */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "decode/packet.h"
#include "dissectors/inspect.h"
#include "flow/flow.h"
#include "fuzz.h"
#include "output/event.h"
#include "output/output.h"
#include "signatures/rules.h"
#include "signatures/sig.h"

static const char *fuzz_var(void *ctx, const char *name)
{
	(void)ctx;
	if (!strcmp(name, "A"))
		return "[10.0.0.0/8,!10.1.0.0/16,$B]";
	if (!strcmp(name, "B"))
		return "[::1,fe80::/10]";
	if (!strcmp(name, "L"))
		return "[$L]";
	return NULL;
}

static void run_views(struct sig *s, const uint8_t *data, size_t size)
{
	static const char *const apps[] = {"http", "dns", "tls", "smb"};
	struct flow f;
	memset(&f, 0, sizeof(f));
	f.family = 4;
	f.proto = 6;
	inet_pton(AF_INET, "10.2.3.4", f.cli);
	inet_pton(AF_INET, "192.0.2.1", f.srv);
	f.cport = 40000;
	f.sport = 80;
	f.tcp_state = TCPT_ESTABLISHED;
	f.pkts[0] = 1;
	f.pkts[1] = 1;
	for (size_t a = 0; a < sizeof(apps) / sizeof(apps[0]); a++) {
		f.app_name = apps[a];
		struct inspect_tx tx;
		inspect_tx_init(&tx, apps[a], 1, DIR_TO_SERVER);
		for (int id = 1; id < IB__COUNT; id++) {
			if (strcmp(ib_table[id].app, apps[a]) != 0)
				continue;
			if (ib_table[id].dirs & IBD_TS)
				inspect_add(&tx, (enum ib_id)id, DIR_TO_SERVER, data, size);
			if (ib_table[id].dirs & IBD_TC)
				inspect_add(&tx, (enum ib_id)id, DIR_TO_CLIENT, data, size);
		}
		inspect_set_attr(&tx, IA_TLS_VERSION, size ? data[0] : 0);
		inspect_progress(&tx, 0xffffffffu, 0xffffffffu);
		sig_inspect_view(s, &f, &tx, 1000000);
	}
	f.app_name = NULL;
	struct packet p;
	memset(&p, 0, sizeof(p));
	uint8_t ip[40] = {0x46, 0, 0, 40, 0, 1, 0x20, 0, 64, 6, 0, 0, 10, 2, 3, 4, 192, 0, 2, 1, 7, 4, 0, 0};
	p.family = 4;
	p.l3 = ip;
	p.l3_len = sizeof(ip);
	memcpy(p.src, ip + 12, 4);
	memcpy(p.dst, ip + 16, 4);
	p.ipproto = 6;
	p.ttl = 64;
	p.l4 = ip + 24;
	p.l4_len = 16;
	p.tcp_flags = size ? data[size - 1] : 0;
	p.payload = data;
	p.payload_len = size;
	p.ts_us = 1000000;
	sig_packet_view(s, &p, &f, DIR_TO_SERVER);
	sig_flow_done(s, &f);
}

/* alerts go to /dev/null, through the real event builder */
static struct emitter *rules_emitter(void)
{
	static struct emitter *em;
	if (!em) {
		char err[256];
		struct output_cfg oc = {.path = "/dev/null", .format = OUT_FMT_MSGPACK};
		struct output *out;
		if (output_open(&oc, &out, err, sizeof(err)) != OUT_OK)
			abort();
		em = emitter_new(out);
	}
	return em;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[1024];
	for (int lax = 0; lax < 2; lax++) {
		struct rule_parse_cfg cfg = {.var = fuzz_var, .lax = lax == 1};
		struct rule_set *rs = rule_set_new();
		rs->mpm = 1; /* the own automaton: Hyperscan's build is too slow per input */
		(void)rule_parse_text(rs, &cfg, (const char *)data, size, "fuzz.rules", err, sizeof(err));
		if (lax && rule_set_compile(rs, err, sizeof(err)) == RULE_OK) {
			struct sig *s;
			if (sig_new(&s, rs, rules_emitter(), err, sizeof(err)) != SIG_OK)
				abort();
			const struct rule_set *cur = sig_rules(s);
			for (size_t i = 0; i < cur->n; i++) {
				size_t a, b;
				if (sig_payload_match(s, cur->rules[i], data, size, &a, &b) && (a > size || b > size))
					abort();
			}
			run_views(s, data, size);
			sig_free(s);
			continue;
		}
		rule_set_free(rs);
	}
	return 0;
}
