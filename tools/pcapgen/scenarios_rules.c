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

const struct pg_scenario pg_rules_scenarios[] = {
	{"rules-wannacry-dns", "WannaCry kill-switch DNS lookups (three names) beside benign and look-alike queries",
	 wannacry_dns},
	{"rules-stream-split", "TCP payload marker cut across two segments in each direction, then whole",
	 stream_split},
	{NULL, NULL, NULL},
};
