/* scenarios_obs.c - captures for fixed-point observation and geolocation: port scans from
 * sources in several countries of the test databases (tools/mkmmdb.pl), answered and unanswered
 * SYNs, ICMP, IPv6, over several one-minute intervals with an empty one between. The counts
 * tests/observe.sh expects follow from this file; they are worked out in its comments. */
#include <string.h>

#include "pcapgen.h"

#define T_OBS 1700000400000000ULL /* 2023-11-14T22:20:00Z, a whole minute */
#define SEC 1000000ULL
#define MS 1000ULL

/* One SYN that nobody answers. */
static void syn(struct pg_writer *w, const char *src, uint16_t sport, const char *dst, uint16_t dport, uint64_t t)
{
	struct pg_link l = {0};
	struct pg_tcp s;
	bool v6 = strchr(src, ':') != NULL;
	pg_tcp_init(&s, w, &l, v6 ? pg_ip6(src) : pg_ip4(src), sport, v6 ? pg_ip6(dst) : pg_ip4(dst), dport,
		    0x10000u * sport + dport, 0, t);
	pg_tcp_segment(&s, PG_C2S, s.isn[0], PG_SYN, NULL, 0);
}

static void icmp(struct pg_writer *w, const char *src, const char *dst, uint8_t type, uint16_t seq, uint64_t t)
{
	struct pg_link l = {0};
	struct pg_addr a = pg_ip4(src), b = pg_ip4(dst);
	uint8_t pkt[200], payload[32];
	memset(payload, 0x61, sizeof(payload));
	size_t n = pg_build_icmp(pkt, sizeof(pkt), &a, &b, type, 0, 0x4b470000u | seq, payload, sizeof(payload), seq);
	if (n)
		pg_emit_ip(w, &l, t, pkt, n);
}

static bool scan(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	struct pg_link l = {0};
	struct pg_tcp s;
	uint8_t req[100], resp[200];
	memset(req, 'q', sizeof(req));
	memset(resp, 'r', sizeof(resp));

	/* ---- interval 1: [T, T+60s) */
	/* JP scanner: one SYN to each of the ports 20..59 of 10.20.0.1, never answered */
	for (uint16_t p = 20; p < 60; p++)
		syn(&w, "1.1.0.5", (uint16_t)(40000 + p), "10.20.0.1", p, T_OBS + 1 * SEC + p * 10 * MS);
	/* FR scanner: ports 22, 23, 445 of 10.20.0.2, each SYN retransmitted once, never answered */
	static const uint16_t fr_ports[] = {22, 23, 445};
	for (int r = 0; r < 2; r++)
		for (int i = 0; i < 3; i++) {
			pg_tcp_init(&s, &w, &l, pg_ip4("2.2.0.7"), (uint16_t)(41000 + i), pg_ip4("10.20.0.2"), fr_ports[i],
				    0x10000u * (41000u + i) + fr_ports[i], 0, T_OBS + (2 + r) * SEC + (uint64_t)i * 10 * MS);
			pg_tcp_segment(&s, PG_C2S, s.isn[0], PG_SYN, NULL, 0);
		}
	/* US client: a whole HTTPS-port session (answered) and a SYN to port 80 refused with a RST */
	pg_tcp_init(&s, &w, &l, pg_ip4("3.3.0.9"), 50000, pg_ip4("10.20.0.1"), 443, 1000, 2000, T_OBS + 5 * SEC);
	pg_tcp_handshake(&s);
	pg_tcp_send(&s, PG_C2S, req, sizeof(req));
	pg_tcp_send(&s, PG_S2C, resp, sizeof(resp));
	pg_tcp_close(&s, PG_C2S);
	pg_tcp_init(&s, &w, &l, pg_ip4("3.3.0.9"), 50001, pg_ip4("10.20.0.1"), 80, 3000, 4000, T_OBS + 6 * SEC);
	pg_tcp_segment(&s, PG_C2S, s.nxt[0], PG_SYN, NULL, 0);
	s.nxt[0]++;
	pg_tcp_segment(&s, PG_S2C, 0, PG_RST | PG_ACK, NULL, 0);
	/* DE host pings 10.20.0.1 three times; two replies come back */
	for (uint16_t i = 0; i < 3; i++) {
		icmp(&w, "5.5.0.1", "10.20.0.1", 8, i, T_OBS + 10 * SEC + i * 100 * MS);
		if (i < 2)
			icmp(&w, "10.20.0.1", "5.5.0.1", 0, i, T_OBS + 10 * SEC + i * 100 * MS + 5 * MS);
	}
	/* IPv6: a JP SYN to port 22 (never answered) and two DE DNS queries */
	syn(&w, "2001:200::10", 45000, "fd00::1", 22, T_OBS + 12 * SEC);
	pg_udp(&w, &l, T_OBS + 13 * SEC, pg_ip6("2a01:100::5"), 5353, pg_ip6("fd00::1"), 53, req, 40);
	pg_udp(&w, &l, T_OBS + 13 * SEC + 100 * MS, pg_ip6("2a01:100::5"), 5353, pg_ip6("fd00::1"), 53, req, 40);
	/* US: a SYN half a second before the interval ends, answered 0.2 s into the next one (the
	 * grace period keeps it from counting as unanswered) */
	pg_tcp_init(&s, &w, &l, pg_ip4("3.3.0.10"), 50100, pg_ip4("10.20.0.1"), 8080, 5000, 6000,
		    T_OBS + 59 * SEC + 500 * MS);
	pg_tcp_segment(&s, PG_C2S, s.nxt[0], PG_SYN, NULL, 0);
	s.nxt[0]++;

	/* ---- interval 2: [T+60s, T+120s) */
	s.t = T_OBS + 60 * SEC + 200 * MS;
	pg_tcp_segment(&s, PG_S2C, s.nxt[1], PG_SYN | PG_ACK, NULL, 0);
	s.nxt[1]++;
	pg_tcp_segment(&s, PG_C2S, s.nxt[0], PG_ACK, NULL, 0);
	/* the JP scanner again, ports 20..24 (seen before) */
	for (uint16_t p = 20; p < 25; p++)
		syn(&w, "1.1.0.5", (uint16_t)(42000 + p), "10.20.0.1", p, T_OBS + 61 * SEC + p * 10 * MS);
	/* a new BR source, on a new port */
	syn(&w, "6.6.0.1", 43000, "10.20.0.3", 3389, T_OBS + 62 * SEC);
	/* a source whose database record has only a registered country (NL), on new UDP port 161 */
	pg_udp(&w, &l, T_OBS + 63 * SEC, pg_ip4("7.7.0.1"), 1161, pg_ip4("10.20.0.3"), 161, req, 30);

	/* ---- interval 3: [T+120s, T+180s) is empty */
	/* ---- interval 4: [T+180s, T+240s) */
	/* a source no country database knows, on a port seen before */
	syn(&w, "4.4.0.1", 44000, "10.20.0.1", 445, T_OBS + 185 * SEC);
	/* the JP scanner on a new port */
	syn(&w, "1.1.0.5", 44001, "10.20.0.1", 60, T_OBS + 186 * SEC);
	pg_close(&w);
	return true;
}

const struct pg_scenario pg_obs_scenarios[] = {
	{"obs-scan", "scans, answered and refused SYNs, ICMP, IPv6, from test-database countries, 4 intervals", scan},
	{NULL, NULL, NULL},
};
