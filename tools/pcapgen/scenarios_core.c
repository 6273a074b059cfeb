/* scenarios_core.c - captures for the sensor core: TCP reassembly (reordering, retransmission,
 * overlap, loss), IPv6, fragments, VLAN/QinQ, tunnels, link types, UDP/ICMP, malformed headers. */
#include <string.h>

#include "pcapgen.h"

#define T0 1700000000000000ULL /* 2023-11-14T22:13:20Z */

/* Deterministic printable payload: "<tag> 0000: ...". */
static void fill_text(uint8_t *p, size_t n, const char *tag)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	size_t tl = strlen(tag);
	for (size_t i = 0; i < n; i++)
		p[i] = i < tl ? (uint8_t)tag[i] : (uint8_t)alphabet[(i * 7 + i / 36) % 36];
}

static bool basic(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	uint8_t req[300], resp[5000];
	fill_text(req, sizeof(req), "GET /basic HTTP/1.0");
	fill_text(resp, sizeof(resp), "HTTP/1.0 200 OK");
	struct pg_link l = {0};
	struct pg_tcp s;
	pg_tcp_init(&s, &w, &l, pg_ip4("10.1.0.1"), 40001, pg_ip4("10.1.0.2"), 80, 1000, 500000, T0);
	pg_tcp_handshake(&s);
	pg_tcp_send(&s, PG_C2S, req, sizeof(req));
	pg_tcp_send(&s, PG_S2C, resp, sizeof(resp));
	pg_tcp_close(&s, PG_C2S);
	/* the same exchange seen from a host with checksum offload: bad IP checksums */
	l.bad_ip_checksum = true;
	pg_tcp_init(&s, &w, &l, pg_ip4("10.1.0.3"), 40002, pg_ip4("10.1.0.2"), 80, 0xfffffff0u, 77, T0 + 100000);
	pg_tcp_handshake(&s); /* the client's sequence numbers wrap past 2^32 */
	pg_tcp_send(&s, PG_C2S, req, sizeof(req));
	pg_tcp_send(&s, PG_S2C, resp, sizeof(resp));
	pg_tcp_close(&s, PG_S2C);
	pg_close(&w);
	return true;
}

static bool reorder(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	uint8_t data[4000];
	fill_text(data, sizeof(data), "reordered stream");
	struct pg_link l = {0};
	struct pg_tcp s;
	/* 1: pieces out of order, one retransmitted */
	pg_tcp_init(&s, &w, &l, pg_ip4("10.2.0.1"), 41001, pg_ip4("10.2.0.2"), 9000, 11111, 22222, T0);
	pg_tcp_handshake(&s);
	static const size_t cuts[] = {500, 1000, 2000, 3000};
	static const int order[] = {0, 2, 1, 4, 3};
	pg_tcp_send_pieces(&s, PG_C2S, data, sizeof(data), cuts, 4, order, NULL, 0);
	pg_tcp_segment(&s, PG_C2S, s.isn[0] + 1 + 500, PG_ACK, data + 500, 500); /* retransmission */
	pg_tcp_send(&s, PG_S2C, data, 1000);
	pg_tcp_close(&s, PG_C2S);
	/* 2: overlapping segments with different bytes: the first arrival wins */
	pg_tcp_init(&s, &w, &l, pg_ip4("10.2.0.3"), 41002, pg_ip4("10.2.0.2"), 9000, 33333, 44444, T0 + 200000);
	pg_tcp_handshake(&s);
	uint32_t base = s.nxt[0];
	pg_tcp_segment(&s, PG_C2S, base + 1000, PG_ACK, data + 1000, 1000); /* ahead of a hole */
	uint8_t evil[600];
	memset(evil, 'X', sizeof(evil));
	pg_tcp_segment(&s, PG_C2S, base + 1200, PG_ACK, evil, sizeof(evil)); /* overlaps the queued bytes */
	pg_tcp_segment(&s, PG_C2S, base, PG_ACK, data, 1000);               /* fills the hole */
	pg_tcp_segment(&s, PG_C2S, base + 1500, PG_ACK, data + 1500, 1000); /* overlaps delivered bytes */
	s.nxt[0] = base + 2500;
	pg_tcp_ack(&s, PG_S2C);
	pg_tcp_close(&s, PG_C2S);
	/* 3: a segment lost before the capture point: the ACK shows it crossed */
	pg_tcp_init(&s, &w, &l, pg_ip4("10.2.0.4"), 41003, pg_ip4("10.2.0.2"), 9000, 55555, 66666, T0 + 400000);
	pg_tcp_handshake(&s);
	static const int drop[] = {1};
	pg_tcp_send_pieces(&s, PG_C2S, data, sizeof(data), cuts, 4, NULL, drop, 1);
	pg_tcp_send(&s, PG_S2C, data, 700);
	pg_tcp_send(&s, PG_C2S, data, 300);
	pg_tcp_close(&s, PG_C2S);
	/* 4: an ACK that overtakes its data on the mirror port: no gap */
	pg_tcp_init(&s, &w, &l, pg_ip4("10.2.0.5"), 41004, pg_ip4("10.2.0.2"), 9000, 77777, 88888, T0 + 600000);
	pg_tcp_handshake(&s);
	base = s.nxt[0];
	s.nxt[0] = base + 800;
	pg_tcp_ack(&s, PG_S2C);                                 /* ACK first */
	pg_tcp_segment(&s, PG_C2S, base, PG_ACK | PG_PSH, data, 800); /* then the data */
	pg_tcp_send(&s, PG_S2C, data, 200);
	pg_tcp_close(&s, PG_S2C);
	pg_close(&w);
	return true;
}

static bool midstream(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	uint8_t data[3000];
	fill_text(data, sizeof(data), "picked up mid-stream");
	struct pg_link l = {0};
	struct pg_tcp s;
	pg_tcp_init(&s, &w, &l, pg_ip4("10.3.0.1"), 50123, pg_ip4("10.3.0.2"), 445, 9000, 19000, T0);
	/* no handshake: the sensor starts while the session is running */
	pg_tcp_send(&s, PG_S2C, data, 1200); /* the server speaks first in the capture */
	pg_tcp_send(&s, PG_C2S, data, 3000);
	pg_tcp_send(&s, PG_S2C, data, 500);
	pg_tcp_close(&s, PG_C2S);
	pg_close(&w);
	return true;
}

static bool ipv6(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	uint8_t data[2500];
	fill_text(data, sizeof(data), "over IPv6");
	struct pg_link l = {0};
	struct pg_tcp s;
	pg_tcp_init(&s, &w, &l, pg_ip6("2001:db8::1"), 42001, pg_ip6("2001:db8::2"), 443, 1, 2, T0);
	pg_tcp_handshake(&s);
	pg_tcp_send(&s, PG_C2S, data, 2500);
	/* a data segment carrying hop-by-hop and destination options headers */
	uint8_t pkt[4000];
	size_t n = pg_build_tcp6_ext(pkt, sizeof(pkt), &s.ip[1], &s.ip[0], 443, 42001, s.nxt[1], s.nxt[0],
				     PG_ACK | PG_PSH, data, 600);
	pg_emit_ip(&w, &l, s.t, pkt, n);
	s.nxt[1] += 600;
	s.t += 1000;
	static const size_t cuts[] = {700};
	static const int order[] = {1, 0};
	pg_tcp_send_pieces(&s, PG_S2C, data, 1400, cuts, 1, order, NULL, 0);
	pg_tcp_close(&s, PG_C2S);
	/* UDP, and UDP fragmented (IPv6 fragment header) */
	struct pg_addr a = pg_ip6("2001:db8::10"), b = pg_ip6("2001:db8::53");
	pg_udp(&w, &l, T0 + 100000, a, 40000, b, 5300, data, 100);
	n = pg_build_udp(pkt, sizeof(pkt), &a, &b, 5354, 5300, data, 2000, 0);
	pg_emit_fragments(&w, &l, T0 + 101000, pkt, n, 1232, NULL, 0);
	/* ICMPv6 echo request and reply */
	n = pg_build_icmp(pkt, sizeof(pkt), &a, &b, 128, 0, 0x00010001, data, 56, 0);
	pg_emit_ip(&w, &l, T0 + 102000, pkt, n);
	n = pg_build_icmp(pkt, sizeof(pkt), &b, &a, 129, 0, 0x00010001, data, 56, 0);
	pg_emit_ip(&w, &l, T0 + 102500, pkt, n);
	pg_close(&w);
	return true;
}

static bool frag(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	uint8_t data[3000], pkt[4000];
	fill_text(data, sizeof(data), "fragmented");
	struct pg_link l = {0};
	struct pg_addr a = pg_ip4("10.4.0.1"), b = pg_ip4("10.4.0.2");
	/* UDP datagram in three fragments, in order and then in reverse */
	size_t n = pg_build_udp(pkt, sizeof(pkt), &a, &b, 6000, 7000, data, 2500, 0x1111);
	pg_emit_fragments(&w, &l, T0, pkt, n, 1000, NULL, 0);
	static const int rev[] = {2, 1, 0};
	n = pg_build_udp(pkt, sizeof(pkt), &a, &b, 6000, 7000, data, 2500, 0x2222);
	pg_emit_fragments(&w, &l, T0 + 1000, pkt, n, 1000, rev, 3);
	/* a fragment of a datagram whose other fragments never come */
	n = pg_build_udp(pkt, sizeof(pkt), &a, &b, 6001, 7000, data, 2500, 0x3333);
	static const int first_only[] = {0};
	pg_emit_fragments(&w, &l, T0 + 2000, pkt, n, 1000, first_only, 1);
	/* a TCP session whose data segment is fragmented on the way */
	struct pg_tcp s;
	pg_tcp_init(&s, &w, &l, a, 43001, b, 8080, 5, 6, T0 + 3000);
	pg_tcp_handshake(&s);
	n = pg_build_tcp(pkt, sizeof(pkt), &a, &b, 43001, 8080, s.nxt[0], s.nxt[1], PG_ACK | PG_PSH, 65535, data,
			 1400, 0x4444);
	pkt[6] = 0; /* clear DF so that it may be fragmented */
	pkt[10] = pkt[11] = 0;
	pg_emit_fragments(&w, &l, s.t, pkt, n, 512, NULL, 0);
	s.nxt[0] += 1400;
	s.t += 1000;
	pg_tcp_ack(&s, PG_S2C);
	pg_tcp_send(&s, PG_S2C, data, 100);
	pg_tcp_close(&s, PG_C2S);
	/* after the 30 s reassembly timeout the lone fragment is dropped */
	pg_udp(&w, &l, T0 + 40000000, a, 6002, b, 7000, data, 10);
	pg_close(&w);
	return true;
}

static bool vlan(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	uint8_t data[1000];
	fill_text(data, sizeof(data), "tagged");
	struct pg_link l1 = {.encap = PG_ENC_ETH, .vlan = {100}, .nvlan = 1};
	struct pg_link l2 = {.encap = PG_ENC_ETH, .vlan = {200, 300}, .nvlan = 2};
	struct pg_tcp s;
	pg_tcp_init(&s, &w, &l1, pg_ip4("10.5.0.1"), 44001, pg_ip4("10.5.0.2"), 443, 10, 20, T0);
	pg_tcp_handshake(&s);
	pg_tcp_send(&s, PG_C2S, data, 1000);
	pg_tcp_send(&s, PG_S2C, data, 400);
	pg_tcp_close(&s, PG_C2S);
	pg_tcp_init(&s, &w, &l2, pg_ip4("10.5.0.3"), 44002, pg_ip4("10.5.0.2"), 443, 30, 40, T0 + 50000);
	pg_tcp_handshake(&s);
	pg_tcp_send(&s, PG_C2S, data, 1000);
	pg_tcp_send(&s, PG_S2C, data, 400);
	pg_tcp_close(&s, PG_C2S);
	pg_close(&w);
	return true;
}

static bool tunnels(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	uint8_t data[1200];
	fill_text(data, sizeof(data), "mirrored");
	static const enum pg_encap encs[] = {PG_ENC_GRE,  PG_ENC_GRE_TEB, PG_ENC_ERSPAN2, PG_ENC_ERSPAN3,
					     PG_ENC_VXLAN, PG_ENC_MPLS,    PG_ENC_PPPOE};
	for (size_t i = 0; i < sizeof(encs) / sizeof(encs[0]); i++) {
		struct pg_link l = {.encap = encs[i]};
		if (encs[i] == PG_ENC_PPPOE) {
			l.vlan[0] = 10;
			l.vlan[1] = 20;
			l.nvlan = 2;
		}
		char cli[32];
		snprintf(cli, sizeof(cli), "10.6.%zu.1", i);
		struct pg_tcp s;
		pg_tcp_init(&s, &w, &l, pg_ip4(cli), (uint16_t)(45000 + i), pg_ip4("10.6.100.1"), 443,
			    (uint32_t)(1000 * i + 1), (uint32_t)(2000 * i + 7), T0 + i * 100000);
		pg_tcp_handshake(&s);
		pg_tcp_send(&s, PG_C2S, data, 1200);
		pg_tcp_send(&s, PG_S2C, data, 300);
		pg_tcp_close(&s, PG_C2S);
	}
	/* IPv6 inside ERSPAN III */
	struct pg_link l6 = {.encap = PG_ENC_ERSPAN3};
	struct pg_tcp s;
	pg_tcp_init(&s, &w, &l6, pg_ip6("2001:db8:6::1"), 45100, pg_ip6("2001:db8:6::2"), 22, 3, 4, T0 + 900000);
	pg_tcp_handshake(&s);
	pg_tcp_send(&s, PG_C2S, data, 100);
	pg_tcp_close(&s, PG_C2S);
	pg_close(&w);
	return true;
}

static bool linktype(const char *path, int dlt, enum pg_encap enc)
{
	struct pg_writer w;
	if (!pg_open(&w, path, dlt))
		return false;
	uint8_t data[800];
	fill_text(data, sizeof(data), "link type");
	struct pg_link l = {.encap = enc};
	struct pg_tcp s;
	pg_tcp_init(&s, &w, &l, pg_ip4("10.7.0.1"), 46001, pg_ip4("10.7.0.2"), 25, 100, 200, T0);
	pg_tcp_handshake(&s);
	pg_tcp_send(&s, PG_S2C, data, 100);
	pg_tcp_send(&s, PG_C2S, data, 800);
	pg_tcp_close(&s, PG_C2S);
	pg_tcp_init(&s, &w, &l, pg_ip6("2001:db8:7::1"), 46002, pg_ip6("2001:db8:7::2"), 25, 300, 400, T0 + 10000);
	pg_tcp_handshake(&s);
	pg_tcp_send(&s, PG_C2S, data, 200);
	pg_tcp_close(&s, PG_C2S);
	pg_close(&w);
	return true;
}

static bool lt_raw(const char *p) { return linktype(p, 101, PG_ENC_RAW); }
static bool lt_sll(const char *p) { return linktype(p, 113, PG_ENC_SLL); }
static bool lt_sll2(const char *p) { return linktype(p, 276, PG_ENC_SLL2); }
static bool lt_null(const char *p) { return linktype(p, 0, PG_ENC_NULL); }

static bool udp_icmp(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	uint8_t data[512], pkt[2048];
	fill_text(data, sizeof(data), "datagram");
	struct pg_link l = {0};
	struct pg_addr a = pg_ip4("10.8.0.1"), b = pg_ip4("10.8.0.2"), c = pg_ip4("10.8.0.3");
	for (int i = 0; i < 3; i++) {
		pg_udp(&w, &l, T0 + (uint64_t)i * 1000, a, 33000, b, 161, data, 60);
		pg_udp(&w, &l, T0 + (uint64_t)i * 1000 + 300, b, 161, a, 33000, data, 200);
	}
	/* one-way UDP to a closed port answered by ICMP port unreachable */
	pg_udp(&w, &l, T0 + 5000, a, 33001, c, 9999, data, 40);
	size_t n = pg_build_udp(pkt, sizeof(pkt), &a, &c, 33001, 9999, data, 40, 0);
	uint8_t icmp[2048];
	size_t m = pg_build_icmp(icmp, sizeof(icmp), &c, &a, 3, 3, 0, pkt, n, 7);
	pg_emit_ip(&w, &l, T0 + 5100, icmp, m);
	/* ping: request and reply are one flow */
	for (int i = 0; i < 2; i++) {
		m = pg_build_icmp(icmp, sizeof(icmp), &a, &b, 8, 0, 0x12340000u | (uint32_t)i, data, 32, 0);
		pg_emit_ip(&w, &l, T0 + 6000 + (uint64_t)i * 1000, icmp, m);
		m = pg_build_icmp(icmp, sizeof(icmp), &b, &a, 0, 0, 0x12340000u | (uint32_t)i, data, 32, 0);
		pg_emit_ip(&w, &l, T0 + 6200 + (uint64_t)i * 1000, icmp, m);
	}
	/* the UDP conversation resumes after its 60 s timeout: a new flow */
	pg_udp(&w, &l, T0 + 120000000, a, 33000, b, 161, data, 60);
	pg_close(&w);
	return true;
}

static bool reuse(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	uint8_t data[600];
	fill_text(data, sizeof(data), "again");
	struct pg_link l = {0};
	struct pg_tcp s;
	for (int i = 0; i < 2; i++) {
		pg_tcp_init(&s, &w, &l, pg_ip4("10.9.0.1"), 47001, pg_ip4("10.9.0.2"), 80, 1000u + (uint32_t)i * 7777,
			    2000u + (uint32_t)i * 9999, T0 + (uint64_t)i * 2000000);
		pg_tcp_handshake(&s);
		pg_tcp_send(&s, PG_C2S, data, 100u + (size_t)i * 100);
		pg_tcp_send(&s, PG_S2C, data, 600);
		pg_tcp_close(&s, PG_C2S);
	}
	/* reset by the server, then a new connection from the same port */
	pg_tcp_init(&s, &w, &l, pg_ip4("10.9.0.1"), 47002, pg_ip4("10.9.0.2"), 80, 5000, 6000, T0 + 5000000);
	pg_tcp_handshake(&s);
	pg_tcp_send(&s, PG_C2S, data, 50);
	pg_tcp_reset(&s, PG_S2C);
	pg_tcp_init(&s, &w, &l, pg_ip4("10.9.0.1"), 47002, pg_ip4("10.9.0.2"), 80, 7000, 8000, T0 + 5500000);
	pg_tcp_handshake(&s);
	pg_tcp_send(&s, PG_C2S, data, 70);
	pg_tcp_close(&s, PG_C2S);
	/* a SYN that is never answered (a scan) and times out */
	pg_tcp_init(&s, &w, &l, pg_ip4("10.9.0.66"), 47100, pg_ip4("10.9.0.2"), 3389, 1, 2, T0 + 6000000);
	pg_tcp_segment(&s, PG_C2S, 1, PG_SYN, NULL, 0);
	pg_udp(&w, &l, T0 + 200000000, pg_ip4("10.9.0.1"), 1, pg_ip4("10.9.0.2"), 2, data, 1);
	pg_close(&w);
	return true;
}

static bool nids_gap(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	uint8_t data[20000];
	fill_text(data, sizeof(data), "libnids hand-over");
	struct pg_link l = {0};
	struct pg_tcp s;
	/* many segments after a lost one: more than libnids' 64 KiB queue would hold */
	pg_tcp_init(&s, &w, &l, pg_ip4("10.10.0.1"), 48001, pg_ip4("10.10.0.2"), 8443, 4242, 2424, T0);
	pg_tcp_handshake(&s);
	size_t cuts[13];
	for (int i = 0; i < 13; i++)
		cuts[i] = (size_t)(i + 1) * 1400;
	static const int drop[] = {2};
	pg_tcp_send_pieces(&s, PG_C2S, data, 14 * 1400, cuts, 13, NULL, drop, 1);
	pg_tcp_send(&s, PG_S2C, data, 3000);
	pg_tcp_send(&s, PG_C2S, data + 100, 900);
	pg_tcp_close(&s, PG_C2S);
	/* out of order but complete: libnids reorders by itself, no gap */
	pg_tcp_init(&s, &w, &l, pg_ip4("10.10.0.3"), 48002, pg_ip4("10.10.0.2"), 8443, 1, 1, T0 + 500000);
	pg_tcp_handshake(&s);
	static const size_t c2[] = {1000, 2000, 3000};
	static const int o2[] = {3, 2, 1, 0};
	pg_tcp_send_pieces(&s, PG_C2S, data, 4000, c2, 3, o2, NULL, 0);
	pg_tcp_send(&s, PG_S2C, data, 10);
	pg_tcp_close(&s, PG_S2C);
	pg_close(&w);
	return true;
}

static bool malformed(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	uint8_t data[256], pkt[2048], frame[2048];
	fill_text(data, sizeof(data), "bad");
	struct pg_addr a = pg_ip4("10.11.0.1"), b = pg_ip4("10.11.0.2");
	uint64_t t = T0;
	/* a frame shorter than an Ethernet header */
	pg_write(&w, t++, (const uint8_t *)"\x02\x00\x00", 3);
	/* a zero-length frame */
	pg_write(&w, t++, frame, 0);
	size_t n = pg_build_tcp(pkt, sizeof(pkt), &a, &b, 1234, 80, 1, 0, PG_SYN, 1024, NULL, 0, 1);
	static const uint8_t eth[14] = {2, 0, 0, 0, 0, 0xb, 2, 0, 0, 0, 0, 0xa, 0x08, 0x00};
	/* IPv4 header cut short */
	memcpy(frame, eth, 14);
	memcpy(frame + 14, pkt, 12);
	pg_write(&w, t++, frame, 26);
	/* bad IP version, bad IHL, total length below the header */
	memcpy(frame + 14, pkt, n);
	frame[14] = 0x55;
	pg_write(&w, t++, frame, 14 + n);
	frame[14] = 0x43;
	pg_write(&w, t++, frame, 14 + n);
	frame[14] = 0x45;
	frame[16] = 0;
	frame[17] = 10;
	pg_write(&w, t++, frame, 14 + n);
	/* TCP data offset below 5, and a TCP header cut short */
	memcpy(frame + 14, pkt, n);
	frame[14 + 20 + 12] = 0x30;
	pg_write(&w, t++, frame, 14 + n);
	memcpy(frame + 14, pkt, n);
	frame[16] = 0;
	frame[17] = 30;
	pg_write(&w, t++, frame, 14 + 30);
	/* UDP length larger than the datagram */
	n = pg_build_udp(pkt, sizeof(pkt), &a, &b, 53, 53, data, 20, 2);
	memcpy(frame + 14, pkt, n);
	frame[14 + 24] = 0xff;
	frame[14 + 25] = 0x00;
	pg_write(&w, t++, frame, 14 + n);
	/* IPv6 with a truncated extension header */
	struct pg_addr a6 = pg_ip6("2001:db8:11::1"), b6 = pg_ip6("2001:db8:11::2");
	n = pg_build_udp(pkt, sizeof(pkt), &a6, &b6, 1, 2, data, 4, 0);
	memcpy(frame, eth, 14);
	frame[12] = 0x86;
	frame[13] = 0xdd;
	memcpy(frame + 14, pkt, 40);
	frame[14 + 6] = 0; /* hop-by-hop follows ... */
	frame[14 + 40] = 17;
	frame[14 + 41] = 10; /* ... claiming 88 bytes */
	pg_write(&w, t++, frame, 14 + 40 + 8);
	/* GRE version 1 and a 5-deep GRE nest */
	memcpy(frame, eth, 14);
	uint8_t *ip = frame + 14;
	size_t il = pg_build_udp(ip, 1500, &a, &b, 1, 2, data, 8, 3);
	for (int depth = 0; depth < 6; depth++) {
		uint8_t tmp[2048];
		tmp[0] = 0;
		tmp[1] = depth == 0 ? 1 : 0; /* version 1 on the innermost */
		tmp[2] = 0x08;
		tmp[3] = 0x00;
		memcpy(tmp + 4, ip, il);
		uint8_t outer[2048];
		struct pg_addr oa = pg_ip4("192.0.2.1"), ob = pg_ip4("192.0.2.2");
		size_t ol = pg_build_udp(outer, sizeof(outer), &oa, &ob, 1, 1, NULL, 0, 4);
		(void)ol;
		/* hand-built IPv4 header with protocol 47 */
		uint8_t h[20] = {0x45, 0, 0, 0, 0, 5, 0, 0, 64, 47, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2};
		size_t tot = 20 + 4 + il;
		h[2] = (uint8_t)(tot >> 8);
		h[3] = (uint8_t)tot;
		memcpy(outer, h, 20);
		memcpy(outer + 20, tmp, 4 + il);
		memcpy(ip, outer, tot);
		il = tot;
		if (depth == 0)
			pg_write(&w, t++, frame, 14 + il);
	}
	pg_write(&w, t++, frame, 14 + il);
	/* a snapped packet: captured length below the wire length */
	struct pg_link l = {0};
	(void)l;
	n = pg_build_tcp(pkt, sizeof(pkt), &a, &b, 2000, 80, 1, 0, PG_SYN, 1024, NULL, 0, 9);
	memcpy(frame, eth, 14);
	memcpy(frame + 14, pkt, n);
	pg_write_snapped(&w, t++, frame, 14 + n, 14 + 30);
	/* an unknown ethertype (not an error) and ARP */
	frame[12] = 0x88;
	frame[13] = 0xb5;
	pg_write(&w, t++, frame, 60);
	frame[12] = 0x08;
	frame[13] = 0x06;
	pg_write(&w, t++, frame, 42);
	pg_close(&w);
	return true;
}

const struct pg_scenario pg_core_scenarios[] = {
	{"core-tcp-basic", "IPv4 TCP sessions, one with bad IP checksums and sequence wrap", basic},
	{"core-tcp-reorder", "out-of-order, retransmitted, overlapping and lost segments", reorder},
	{"core-tcp-midstream", "TCP session without its handshake", midstream},
	{"core-nids-gap", "IPv4 sessions libnids cannot finish alone (lost segment), and reordering", nids_gap},
	{"core-ipv6", "IPv6 TCP with extension headers, fragmented UDP, ICMPv6 echo", ipv6},
	{"core-frag", "IPv4 fragments in order, reversed, incomplete; fragmented TCP segment", frag},
	{"core-vlan", "802.1Q and QinQ tagged sessions", vlan},
	{"core-tunnels", "GRE, GRE-TEB, ERSPAN II/III, VXLAN, MPLS, PPPoE over QinQ", tunnels},
	{"core-link-raw", "raw IP link type", lt_raw},
	{"core-link-sll", "Linux cooked capture v1", lt_sll},
	{"core-link-sll2", "Linux cooked capture v2", lt_sll2},
	{"core-link-null", "BSD loopback link type", lt_null},
	{"core-udp-icmp", "UDP request/response, ICMP unreachable, ping, UDP flow timeout", udp_icmp},
	{"core-reuse", "5-tuple reuse after FIN and after RST, unanswered SYN", reuse},
	{"core-malformed", "truncated and invalid headers of every layer", malformed},
	{NULL, NULL, NULL},
};
