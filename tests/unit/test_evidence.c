/* test_evidence.c - the evidence log (engine/evidence.h) and its files (output/pcapfile.h),
 * through a real engine fed with hand-built Ethernet/IPv4/UDP packets: the per-flow ring keeps
 * a flow's last packets before its alert (the others counted), the memory cap evicts the oldest
 * packet of any flow first, the alert names the file and the index of its packet, an alert at
 * flow end names the flow's file without an index, later packets follow; and the writer's
 * numbering after the files already there, rotation by size, the file cap (oldest removed, other
 * workers' files untouched) and a new file for another link type. */
#include "config.h"

#include <dirent.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "engine/engine.h"
#include "engine/evidence.h"
#include "output/alert.h"
#include "output/output.h"
#include "output/pcapfile.h"
#include "util/util.h"

static char tmpdir[256];

/* One Ethernet/IPv4/UDP packet 10.0.0.1:sport -> 10.0.0.2:53 whose payload starts with
 * "<tag> <seq>" and is len bytes long. */
static size_t build(uint8_t *buf, uint16_t sport, const char *tag, unsigned seq, size_t len)
{
	memset(buf, 0, 14 + 28 + len);
	buf[12] = 0x08; /* IPv4 */
	uint8_t *ip = buf + 14;
	size_t tot = 28 + len;
	ip[0] = 0x45;
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[8] = 64;
	ip[9] = 17;
	ip[12] = 10, ip[15] = 1;
	ip[16] = 10, ip[19] = 2;
	uint16_t c = kg_inet_checksum(ip, 20);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	uint8_t *udp = ip + 20;
	udp[0] = (uint8_t)(sport >> 8);
	udp[1] = (uint8_t)sport;
	udp[3] = 53;
	udp[4] = (uint8_t)((8 + len) >> 8);
	udp[5] = (uint8_t)(8 + len);
	char p[32];
	int n = snprintf(p, sizeof(p), "%s %u", tag, seq);
	memcpy(udp + 8, p, KG_MIN((size_t)n, len));
	return 14 + tot;
}

static int64_t clock_us = 1500000000LL * 1000000;

static void feed(struct engine *e, uint16_t sport, const char *tag, unsigned seq, size_t len)
{
	static uint8_t buf[2048];
	struct packet pkt;
	memset(&pkt, 0, sizeof(pkt));
	pkt.caplen = pkt.wirelen = (uint32_t)build(buf, sport, tag, seq, len);
	pkt.linktype = 1; /* DLT_EN10MB */
	pkt.ts_us = (clock_us += 1000);
	pkt.data = buf;
	engine_packet(e, &pkt);
}

/* The probe: an alert on a packet whose payload starts with "ALERT" (packet_done, as the
 * rules do), and one at flow end for flows from port 4444 (as the dissectors' verdicts). */
static const struct alert_info probe_ai = {.sid = 9999999, .signature = "test", .severity = 3};
static void probe_done(void *ctx, struct engine *e, const struct packet *pkt, struct flow *f, enum flow_dir dir)
{
	(void)ctx;
	if (pkt->payload_len >= 5 && !memcmp(pkt->payload, "ALERT", 5))
		event_end(alert_begin(engine_emitter(e), f, dir, pkt->ts_us, &probe_ai));
}
static void probe_end(void *ctx, struct engine *e, struct flow *f)
{
	(void)ctx;
	if (f->cport == 4444)
		event_end(alert_begin(engine_emitter(e), f, DIR_TO_SERVER, f->last_us, &probe_ai));
}

/* The packets of a pcap file: their payload tags ("seq" strings), into tags (n at most). */
static size_t read_pcap(const char *path, char tags[][32], size_t max, uint32_t *linktype, uint32_t *snaplen)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return (size_t)-1;
	uint8_t h[24], r[16];
	static uint8_t data[70000];
	size_t n = 0;
	if (fread(h, 1, 24, fp) != 24) {
		fclose(fp);
		return (size_t)-1;
	}
	uint32_t magic;
	memcpy(&magic, h, 4);
	memcpy(snaplen, h + 16, 4);
	memcpy(linktype, h + 20, 4);
	if (magic != 0xa1b2c3d4u) {
		fclose(fp);
		return (size_t)-1;
	}
	while (fread(r, 1, 16, fp) == 16) {
		uint32_t incl;
		memcpy(&incl, r + 8, 4);
		if (incl > sizeof(data) || fread(data, 1, incl, fp) != incl)
			break;
		if (n < max) {
			size_t l = incl > 42 ? KG_MIN((size_t)incl - 42, (size_t)31) : 0;
			memcpy(tags[n], data + 42, l);
			tags[n][l] = '\0';
		}
		n++;
	}
	fclose(fp);
	return n;
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* The value of "key": N in the last line of text that has it. */
static long long json_num(const char *text, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	const char *p = text, *last = NULL;
	while ((p = strstr(p, pat)) != NULL)
		last = p++;
	return last ? atoll(last + strlen(pat)) : -1;
}

struct run {
	struct output *out;
	struct emitter *em;
	struct engine *e;
	struct evidence *ev;
	char events[300], dir[300];
};

static void run_start(struct run *r, const char *name, uint32_t prebuffer, uint64_t memcap)
{
	char err[256];
	snprintf(r->events, sizeof(r->events), "%s/%s.json", tmpdir, name);
	snprintf(r->dir, sizeof(r->dir), "%s/%s", tmpdir, name);
	struct output_cfg oc = {.path = r->events, .format = OUT_FMT_JSON};
	CHECK(output_open(&oc, &r->out, err, sizeof(err)) == OUT_OK);
	r->em = emitter_new(r->out);
	struct engine_cfg cfg;
	engine_cfg_defaults(&cfg);
	cfg.stats_interval_s = 0;
	r->e = engine_new(&cfg, r->em, err, sizeof(err));
	CHECK(r->e != NULL);
	struct engine_module probe = {.name = "probe", .packet_done = probe_done, .flow_end = probe_end};
	CHECK(engine_add_module(r->e, &probe));
	struct evidence_cfg ec;
	evidence_cfg_defaults(&ec);
	ec.dir = r->dir;
	ec.prebuffer = prebuffer;
	ec.memcap = memcap;
	CHECK(evidence_new(&r->ev, &ec, 0, err, sizeof(err)) == 0);
	emitter_set_capture_ref(r->em, evidence_capture_ref, r->ev);
	CHECK(evidence_attach(r->ev, r->e));
	evidence_set_snaplen(r->ev, 65535);
}

static void run_end(struct run *r)
{
	engine_finish(r->e);
	engine_free(r->e);
	evidence_free(r->ev);
	emitter_free(r->em);
	CHECK(output_close(r->out) == OUT_OK);
}

static void test_ring(void)
{
	struct run r;
	run_start(&r, "ring", 4, 64u << 20);
	for (unsigned i = 1; i <= 9; i++)
		feed(r.e, 1000, "p", i, 100);
	feed(r.e, 1000, "ALERT", 10, 100);
	feed(r.e, 1000, "p", 11, 100);
	feed(r.e, 1000, "p", 12, 100);
	feed(r.e, 2000, "other", 1, 100); /* never alerts: never written */
	run_end(&r);
	char tags[32][32], path[400];
	uint32_t lt, sl;
	snprintf(path, sizeof(path), "%s/kagami-0-000001.pcap", r.dir);
	size_t n = read_pcap(path, tags, 32, &lt, &sl);
	CHECK_EQ_U(n, 6); /* packets 7..10 from the ring, 11 and 12 after the alert */
	CHECK(n >= 6 && !strcmp(tags[0], "p 7") && !strcmp(tags[3], "ALERT 10") && !strcmp(tags[5], "p 12"));
	CHECK_EQ_U(lt, 1);
	CHECK_EQ_U(sl, 65535);
	const char *ev = slurp(r.events);
	CHECK(ev && strstr(ev, "\"capture_file\":\"") && strstr(ev, "kagami-0-000001.pcap\""));
	CHECK_EQ_U(json_num(ev, "capture_file_packet"), 4); /* the ALERT packet is the 4th in the file */
	CHECK_EQ_U(json_num(ev, "prebuffer_evicted"), 6);
	CHECK_EQ_U(json_num(ev, "flows_logged"), 1);
	CHECK_EQ_U(json_num(ev, "packets_written"), 6);
}

static void test_memcap(void)
{
	struct run r;
	run_start(&r, "memcap", 65536, 1u << 20);
	for (unsigned i = 1; i <= 5; i++)
		feed(r.e, 2000, "early", i, 1400);
	for (unsigned i = 1; i <= 800; i++) /* 800 x 1.5 KB: past 1 MiB, the oldest go first */
		feed(r.e, 3000, "bulk", i, 1400);
	feed(r.e, 2000, "ALERT", 6, 1400);
	run_end(&r);
	char tags[8][32], path[400];
	uint32_t lt, sl;
	snprintf(path, sizeof(path), "%s/kagami-0-000001.pcap", r.dir);
	size_t n = read_pcap(path, tags, 8, &lt, &sl);
	CHECK_EQ_U(n, 1);
	CHECK(n == 1 && !strcmp(tags[0], "ALERT 6"));
	const char *ev = slurp(r.events);
	CHECK_EQ_U(json_num(ev, "memcap_evicted"), 5);
	CHECK_EQ_U(json_num(ev, "capture_file_packet"), 1);
	CHECK(json_num(ev, "prebuffer_bytes_peak") <= (1 << 20));
	CHECK(json_num(ev, "prebuffer_bytes_peak") > (1 << 20) - 2000);
}

static void test_flow_end(void)
{
	struct run r;
	run_start(&r, "end", 128, 64u << 20);
	for (unsigned i = 1; i <= 3; i++)
		feed(r.e, 4444, "q", i, 50);
	run_end(&r); /* engine_finish ends the flow: the probe alerts there */
	char tags[8][32], path[400];
	uint32_t lt, sl;
	snprintf(path, sizeof(path), "%s/kagami-0-000001.pcap", r.dir);
	CHECK_EQ_U(read_pcap(path, tags, 8, &lt, &sl), 3);
	const char *ev = slurp(r.events);
	CHECK(ev && strstr(ev, "kagami-0-000001.pcap\""));
	CHECK(!strstr(ev, "capture_file_packet")); /* no packet was being processed */
}

static size_t count_files(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	size_t n = 0;
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL)
		n += !strncmp(de->d_name, prefix, strlen(prefix));
	if (d)
		closedir(d);
	return n;
}

static bool exists(const char *dir, const char *name)
{
	char p[400];
	struct stat sb;
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return stat(p, &sb) == 0;
}

static void touch(const char *dir, const char *name)
{
	char p[400];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *fp = fopen(p, "w");
	CHECK(fp != NULL);
	if (fp)
		fclose(fp);
}

static void test_writer(void)
{
	char dir[300], err[256];
	snprintf(dir, sizeof(dir), "%s/writer", tmpdir);
	CHECK(mkdir(dir, 0700) == 0);
	touch(dir, "kagami-0-000041.pcap");
	touch(dir, "kagami-1-000099.pcap");
	touch(dir, "notes.txt");
	struct pcapfile_cfg cfg = {.dir = dir, .worker = 0, .max_bytes = 4096, .max_files = 3};
	struct pcapfile *w;
	CHECK(pcapfile_open(&w, &cfg, err, sizeof(err)) == PCF_OK);
	static uint8_t data[1000];
	struct pcapfile_rec rec = {.dlt = 1, .snaplen = 1500, .caplen = 1000, .wirelen = 1000, .data = data};
	struct pcapfile_pos pos;
	for (int i = 0; i < 20; i++) {
		rec.ts_us = 1000000LL * (i + 1);
		CHECK(pcapfile_write(w, &rec, &pos));
	}
	/* 4 records of 1016 bytes fit 4096 with the header: files 42..46; the cap keeps 3 */
	CHECK_EQ_U(pos.seq, 46);
	CHECK_EQ_U(pos.index, 4);
	CHECK(!pcapfile_on_disk(w, &pos));
	CHECK(pcapfile_flush(w));
	CHECK(pcapfile_on_disk(w, &pos));
	CHECK(!exists(dir, "kagami-0-000041.pcap") && !exists(dir, "kagami-0-000043.pcap"));
	CHECK(exists(dir, "kagami-0-000044.pcap") && exists(dir, "kagami-0-000046.pcap"));
	CHECK(exists(dir, "kagami-1-000099.pcap") && exists(dir, "notes.txt"));
	/* another link type: a file of its own */
	rec.dlt = DLT_RAW; /* written as LINKTYPE_RAW, 101 */
	CHECK(pcapfile_write(w, &rec, &pos));
	CHECK_EQ_U(pos.seq, 47);
	CHECK_EQ_U(pos.index, 1);
	struct pcapfile_stats st;
	pcapfile_get_stats(w, &st);
	CHECK_EQ_U(st.files_opened, 6);
	CHECK_EQ_U(st.files_removed, 4); /* 41, 42, 43, 44 */
	CHECK_EQ_U(st.files, 3);
	pcapfile_close(w);
	CHECK_EQ_U(count_files(dir, "kagami-0-"), 3);
	char tags[8][32], path[400];
	uint32_t lt, sl;
	snprintf(path, sizeof(path), "%s/kagami-0-000047.pcap", dir);
	CHECK_EQ_U(read_pcap(path, tags, 8, &lt, &sl), 1);
	CHECK_EQ_U(lt, 101);
	CHECK_EQ_U(sl, 1500);
	snprintf(path, sizeof(path), "%s/kagami-0-000046.pcap", dir);
	CHECK_EQ_U(read_pcap(path, tags, 8, &lt, &sl), 4);
	CHECK_EQ_U(lt, 1);
	struct stat sb;
	CHECK(stat(path, &sb) == 0 && sb.st_size == 24 + 4 * 1016);
	/* a path that is a file: refused with its code */
	snprintf(path, sizeof(path), "%s/notes.txt", dir);
	cfg.dir = path;
	CHECK(pcapfile_open(&w, &cfg, err, sizeof(err)) == PCF_E_NOTDIR);
	CHECK(strstr(err, "not a directory") != NULL);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/kagami-evidence.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_ring();
	test_memcap();
	test_flow_end();
	test_writer();
	int rc = check_done("test_evidence");
	if (rc == 0) {
		char cmd[400];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
	return rc;
}
