/* report-events.c - test helper for tests/report.sh: writes a deterministic msgpack event file
 * with kagami's own event builder (sensor/event.h) holding what the report draws but this
 * build's captures may lack: ten one-minute observation intervals, alerts of three signatures,
 * per-host verdict events (smb_host_verdict, as the SMB dissector writes them) and flows.
 *
 *   report-events FILE [TALKERS]   TALKERS extra flows between distinct addresses (cap tests)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "output/event.h"
#include "output/output.h"
#include "util/util.h"

#define T0 1700006400000000LL /* 2023-11-15T00:00:00Z */
#define MIN 60000000LL

static void geo(struct event *ev, const char *key, const char *country)
{
	ev_map(ev, key);
	ev_str(ev, "scope", country ? "global" : "private");
	if (country)
		ev_str(ev, "country", country);
	ev_end_map(ev);
}

static void flow(struct emitter *em, int64_t ts, const char *src, const char *sc, const char *dst, uint16_t dport,
		 uint64_t up, uint64_t down)
{
	struct event *ev = event_begin(em, "flow", ts);
	ev_str(ev, "src_ip", src);
	ev_str(ev, "dest_ip", dst);
	ev_u64(ev, "src_port", 49152);
	ev_u64(ev, "dest_port", dport);
	ev_str(ev, "proto", "TCP");
	geo(ev, "src_geo", sc);
	geo(ev, "dest_geo", NULL);
	ev_map(ev, "flow");
	ev_u64(ev, "bytes_toserver", up);
	ev_u64(ev, "bytes_toclient", down);
	ev_end_map(ev);
	event_end(ev);
}

static void alert(struct emitter *em, int64_t ts, uint64_t sid, const char *sig, uint64_t sev, const char *src,
		  const char *dst)
{
	struct event *ev = event_begin(em, "alert", ts);
	ev_str(ev, "src_ip", src);
	ev_str(ev, "dest_ip", dst);
	ev_str(ev, "proto", "TCP");
	ev_map(ev, "alert");
	ev_str(ev, "action", "allowed");
	ev_u64(ev, "gid", 1);
	ev_u64(ev, "signature_id", sid);
	ev_u64(ev, "rev", 1);
	ev_str(ev, "signature", sig);
	ev_str(ev, "category", "Attempted Administrator Privilege Gain");
	ev_u64(ev, "severity", sev);
	ev_end_map(ev);
	event_end(ev);
}

static void verdict(struct emitter *em, int64_t ts, const char *host, const char *v, const char *dialect,
		    const char *evidence)
{
	struct event *ev = event_begin(em, "smb_host_verdict", ts);
	ev_str(ev, "dest_ip", host);
	ev_map(ev, "smb");
	ev_str(ev, "verdict", v);
	ev_str(ev, "dialect", dialect);
	ev_str(ev, "evidence", evidence);
	ev_end_map(ev);
	event_end(ev);
}

struct kv {
	const char *k;
	unsigned base, slope;
};

static void observation(struct emitter *em, int64_t start, int i)
{
	static const struct kv ports[] = {{"445", 900, 160}, {"23", 700, 20},  {"22", 420, 10}, {"3389", 260, 30},
					  {"80", 200, 0},    {"443", 150, 5},  {"8080", 90, 8}, {"1433", 60, 2},
					  {"5555", 40, 6},   {"6379", 30, 1}};
	static const struct kv countries[] = {{"CN", 800, 60}, {"US", 520, 20}, {"RU", 300, 40}, {"NL", 240, 5},
					      {"BR", 180, 10}, {"JP", 120, 0},  {"DE", 90, 3},   {"VN", 70, 12},
					      {"IN", 60, 4},   {"KR", 50, 2}};
	struct event *ev = event_begin(em, "observation", start);
	ev_map(ev, "observation");
	ev_time(ev, "start", start);
	ev_time(ev, "end", start + MIN);
	ev_u64(ev, "interval", 60);
	ev_bool(ev, "partial", false);
	uint64_t total = 0;
	for (size_t k = 0; k < KG_ARRAY_LEN(ports); k++)
		total += ports[k].base + ports[k].slope * (unsigned)i;
	ev_u64(ev, "packets", total);
	ev_map(ev, "ports");
	ev_u64(ev, "packets", total);
	ev_bool(ev, "approximate", false);
	ev_array(ev, "top");
	for (size_t k = 0; k < KG_ARRAY_LEN(ports); k++) {
		ev_map(ev, NULL);
		ev_str(ev, "proto", "TCP");
		ev_u64(ev, "port", strtoul(ports[k].k, NULL, 10));
		ev_u64(ev, "packets", ports[k].base + ports[k].slope * (unsigned)i + (unsigned)((i * 37 + (int)k * 11) % 50));
		ev_u64(ev, "sources", 10 + k);
		ev_end_map(ev);
	}
	ev_end_array(ev);
	ev_end_map(ev);
	ev_map(ev, "countries");
	ev_array(ev, "top");
	for (size_t k = 0; k < KG_ARRAY_LEN(countries); k++) {
		ev_map(ev, NULL);
		ev_str(ev, "country", countries[k].k);
		ev_u64(ev, "packets", countries[k].base + countries[k].slope * (unsigned)i);
		ev_u64(ev, "sources", 5 + k);
		ev_end_map(ev);
	}
	ev_end_array(ev);
	ev_end_map(ev);
	ev_map(ev, "scans");
	ev_u64(ev, "syns", 300 + 40 * (unsigned)i);
	ev_array(ev, "top_ports");
	ev_map(ev, NULL);
	ev_u64(ev, "port", 445);
	ev_u64(ev, "syns", 200 + 30 * (unsigned)i);
	ev_u64(ev, "sources", 12);
	ev_end_map(ev);
	ev_map(ev, NULL);
	ev_u64(ev, "port", 23);
	ev_u64(ev, "syns", 100 + 10 * (unsigned)i);
	ev_u64(ev, "sources", 7);
	ev_end_map(ev);
	ev_end_array(ev);
	ev_end_map(ev);
	ev_map(ev, "new");
	ev_u64(ev, "sources_total", 3);
	ev_end_map(ev);
	ev_end_map(ev);
	event_end(ev);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: report-events FILE [TALKERS]\n");
		return 1;
	}
	unsigned long talkers = argc > 2 ? strtoul(argv[2], NULL, 10) : 0;
	struct output_cfg oc = {.path = argv[1], .format = OUT_FMT_MSGPACK};
	struct output *out;
	char err[256];
	if (output_open(&oc, &out, err, sizeof(err)) != OUT_OK) {
		fprintf(stderr, "report-events: %s\n", err);
		return 1;
	}
	struct emitter *em = emitter_new(out);
	for (int i = 0; i < 10; i++) {
		int64_t t = T0 + i * MIN;
		observation(em, t, i);
		for (int k = 0; k < 1 + i / 2; k++)
			alert(em, t + 5000000 + k * 1000000, 9002001, "ETERNALBLUE MS17-010 exploit attempt (SMBv1 Trans2)", 1,
			      "203.0.113.66", "192.168.56.10");
		if (i >= 6)
			alert(em, t + 30000000, 9002020, "DoublePulsar backdoor ping (SMB Trans2 SESSION_SETUP)", 1,
			      "203.0.113.66", "192.168.56.12");
		if (i % 3 == 0)
			alert(em, t + 40000000, 9001001, "TLS heartbeat request longer than its record (Heartbleed probe)", 2,
			      "198.51.100.7", "192.168.56.20");
		flow(em, t + 1000000, "203.0.113.66", "CN", "192.168.56.10", 445, 40000 + 3000 * (uint64_t)i, 9000);
		flow(em, t + 2000000, "192.168.56.20", NULL, "198.51.100.80", 443, 120000, 2400000);
	}
	verdict(em, T0 + 2 * MIN, "192.168.56.12", "vulnerable", "NT LM 0.12", "STATUS_INSUFF_SERVER_RESOURCES to PeekNamedPipe");
	verdict(em, T0 + 5 * MIN, "192.168.56.10", "vulnerable", "NT LM 0.12", "STATUS_INSUFF_SERVER_RESOURCES to PeekNamedPipe");
	verdict(em, T0 + 6 * MIN, "192.168.56.11", "patched", "NT LM 0.12", "STATUS_ACCESS_DENIED to PeekNamedPipe");
	verdict(em, T0 + 8 * MIN, "192.168.56.12", "compromised", "NT LM 0.12", "DoublePulsar ping answered (MID 0x51)");
	for (unsigned long k = 0; k < talkers; k++) {
		char a[32];
		snprintf(a, sizeof(a), "10.%lu.%lu.%lu", (k >> 16) & 255, (k >> 8) & 255, k & 255);
		flow(em, T0 + 9 * MIN, a, NULL, "192.168.56.99", 80, 100, 100);
	}
	int rc = emitter_error(em);
	emitter_free(em);
	if (output_close(out) != OUT_OK || rc) {
		fprintf(stderr, "report-events: writing %s failed\n", argv[1]);
		return 1;
	}
	return 0;
}
