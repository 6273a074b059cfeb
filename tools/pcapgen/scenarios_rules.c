/* scenarios_rules.c - captures for the signature tests: WannaCry kill-switch DNS lookups
 * (RFC 1035 queries) and a TCP payload split across segments for stream matching. */
#include "config.h"

#include <string.h>

#include "pcapgen.h"

#define T0 1700200000000000ULL

/* A DNS query for name (dotted) with type A; returns its length. */
static size_t dns_query(uint8_t *buf, size_t cap, uint16_t id, const char *name, bool response)
{
	size_t n = 0;
	uint8_t hdr[12] = {(uint8_t)(id >> 8), (uint8_t)id, response ? 0x81 : 0x01, response ? 0x80 : 0x00, 0, 1,
			   0, response ? 1 : 0, 0, 0, 0, 0};
	memcpy(buf, hdr, sizeof(hdr));
	n = sizeof(hdr);
	const char *p = name;
	while (*p && n + 70 < cap) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		buf[n++] = (uint8_t)l;
		memcpy(buf + n, p, l);
		n += l;
		p += l + (dot ? 1 : 0);
	}
	buf[n++] = 0;
	static const uint8_t qtail[] = {0, 1, 0, 1};
	memcpy(buf + n, qtail, sizeof(qtail));
	n += sizeof(qtail);
	if (response) {
		/* answer: pointer to the name, A, IN, TTL 300, 4 bytes (a sinkhole address) */
		static const uint8_t ans[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 1, 0x2c, 0, 4, 10, 99, 0, 1};
		memcpy(buf + n, ans, sizeof(ans));
		n += sizeof(ans);
	}
	return n;
}

static bool wannacry_dns(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	struct pg_link l = {0};
	struct pg_addr cli = pg_ip4("10.20.0.15"), dns = pg_ip4("10.20.0.2");
	static const char *const names[] = {
		"www.example.com",                                   /* benign */
		"www.iuqerfsodp9ifjaposdfjhgosurijfaewrwergwea.com", /* the original kill switch */
		"www.ifferfsodp9ifjaposdfjhgosurijfaewrwergwea.com", /* variant */
		"www.ayylmaotjhsstasdfasdfasdfasdfasdfasdasdf.com",  /* variant */
		"fsodp9ifjaposdfjhgosurijfaewrwergwea.com.example",  /* look-alike: must not fire */
	};
	uint8_t buf[512];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		uint16_t id = (uint16_t)(0x1000 + i);
		uint16_t sport = (uint16_t)(50000 + i);
		size_t n = dns_query(buf, sizeof(buf), id, names[i], false);
		pg_udp(&w, &l, T0 + i * 1000000, cli, sport, dns, 53, buf, n);
		n = dns_query(buf, sizeof(buf), id, names[i], true);
		pg_udp(&w, &l, T0 + i * 1000000 + 20000, dns, 53, cli, sport, buf, n);
	}
	pg_close(&w);
	return true;
}

/* A marker sent in two segments (cut in its middle), once in each direction, and once whole. */
static bool stream_split(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	struct pg_link l = {0};
	struct pg_tcp s;
	pg_tcp_init(&s, &w, &l, pg_ip4("10.20.1.1"), 41000, pg_ip4("10.20.1.2"), 8443, 1000, 5000, T0);
	pg_tcp_handshake(&s);
	static const char req[] = "HELLO kagami-split-marker-0123456789 REQUEST";
	size_t cut[1] = {18}; /* inside the marker */
	pg_tcp_send_pieces(&s, 0, (const uint8_t *)req, sizeof(req) - 1, cut, 1, NULL, NULL, 0);
	static const char resp[] = "REPLY kagami-split-marker-0123456789 DONE";
	pg_tcp_send_pieces(&s, 1, (const uint8_t *)resp, sizeof(resp) - 1, cut, 1, NULL, NULL, 0);
	static const char whole[] = "AGAIN kagami-split-marker-0123456789";
	pg_tcp_send(&s, 0, (const uint8_t *)whole, sizeof(whole) - 1);
	pg_tcp_close(&s, 0);
	pg_close(&w);
	return true;
}

/* An ICMP echo request (type 8, id 0x1234, seq 7) as a raw IPv4 packet. */
static void icmp_echo(struct pg_writer *w, const struct pg_link *l, uint64_t t, struct pg_addr src, struct pg_addr dst)
{
	uint8_t ip[20 + 8 + 8] = {0x45, 0, 0, sizeof(ip), 0, 9, 0, 0, 64, 1, 0, 0};
	memcpy(ip + 12, src.a, 4);
	memcpy(ip + 16, dst.a, 4);
	uint8_t *icmp = ip + 20;
	icmp[0] = 8;
	icmp[4] = 0x12;
	icmp[5] = 0x34;
	icmp[7] = 7;
	memcpy(icmp + 8, "PINGDATA", 8);
	pg_emit_ip(w, l, t, ip, sizeof(ip));
}

/* Keyword matching on the wire (tests/rules.sh "keywords"): a TCP session whose payloads and
 * headers the header keywords, startswith/endswith/dsize and tcp-pkt/tcp-stream rules look at;
 * an ICMP echo; three sessions from one source (thresholds and xbits across flows); flows from a
 * listed address (IP-only rules); two SMB messages in one segment (per-record offsets). */
static bool keywords(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	struct pg_link l = {0};
	struct pg_addr cli = pg_ip4("10.20.2.1"), srv = pg_ip4("10.20.2.2"), bad = pg_ip4("198.51.100.7");
	struct pg_tcp s;
	pg_tcp_init(&s, &w, &l, cli, 42000, srv, 7777, 1000, 9000, T0);
	pg_tcp_handshake(&s);
	static const char a[] = "KWSTART middle KWEND";
	pg_tcp_send(&s, 0, (const uint8_t *)a, sizeof(a) - 1);
	static const char b[] = "tiny";
	pg_tcp_send(&s, 1, (const uint8_t *)b, sizeof(b) - 1);
	pg_tcp_close(&s, 0);
	icmp_echo(&w, &l, T0 + 2000000, cli, srv);
	/* three sessions from cli, each with the marker; the first also sets an xbit */
	for (int k = 0; k < 3; k++) {
		pg_tcp_init(&s, &w, &l, cli, (uint16_t)(43000 + k), srv, 7778, 2000u + (uint32_t)k, 7000, T0 + 3000000 + (uint64_t)k * 100000);
		pg_tcp_handshake(&s);
		static const char m[] = "THRESH-MARK";
		pg_tcp_send(&s, 0, (const uint8_t *)m, sizeof(m) - 1);
		pg_tcp_close(&s, 0);
	}
	/* two flows from a listed address: IP-only once per flow direction */
	for (int k = 0; k < 2; k++) {
		pg_tcp_init(&s, &w, &l, bad, (uint16_t)(44000 + k), srv, 80, 3000, 8000, T0 + 4000000 + (uint64_t)k * 100000);
		pg_tcp_handshake(&s);
		pg_tcp_close(&s, 0);
	}
	/* two NetBIOS session messages in one segment to 445: an SMB header at offset 4 of each */
	pg_tcp_init(&s, &w, &l, cli, 45000, srv, 445, 4000, 6000, T0 + 5000000);
	pg_tcp_handshake(&s);
	uint8_t smb[2 * 40];
	memset(smb, 0, sizeof(smb));
	for (int k = 0; k < 2; k++) {
		uint8_t *m = smb + 40 * k;
		m[3] = 36;
		memcpy(m + 4, "\xffSMB", 4);
		m[8] = k ? 0x32 : 0x72; /* TRANSACTION2 after NEGOTIATE */
	}
	pg_tcp_send(&s, 0, smb, sizeof(smb));
	pg_tcp_close(&s, 0);
	pg_close(&w);
	return true;
}

const struct pg_scenario pg_rules_scenarios[] = {
	{"rules-keywords", "keyword matching on the wire: header keywords, startswith/endswith, dsize, ICMP, thresholds and xbits across flows, IP-only, two SMB records in a segment",
	 keywords},
	{"rules-wannacry-dns", "WannaCry kill-switch DNS lookups (three names) beside benign and look-alike queries",
	 wannacry_dns},
	{"rules-stream-split", "TCP payload marker cut across two segments in each direction, then whole",
	 stream_split},
	{NULL, NULL, NULL},
};
