/* scenarios_dns.c - DNS and HTTP captures for the DNS dissector and the WannaCry kill-switch
 * detections: real DNS messages (RFC 1035 4.1, name compression 4.1.4, TCP framing 4.2.2) and
 * HTTP/1.1 requests (RFC 9112), over UDP and TCP. */
#include <string.h>

#include "pcapgen.h"

#define T0 1700200000000000ULL

static const char ks1[] = "www.iuqerfsodp9ifjaposdfjhgosurijfaewrwergwea.com";
static const char ks2[] = "WWW.IfferfSODP9ifjaposdfjhgosurijfaewrwergwea.COM";
static const char ks3[] = "iuqssfsodp9ifjaposdfjhgosurijfaewrwergwea.com";
static const char ks4[] = "www.ayylmaotjhsstasdfasdfasdfasdfasdfasdfasdf.com";

/* ------------------------------------------------------------ message builder */
struct msg {
	uint8_t b[2048];
	size_t n;
};

static void u8(struct msg *m, uint8_t v) { m->b[m->n++] = v; }
static void u16(struct msg *m, uint16_t v)
{
	u8(m, (uint8_t)(v >> 8));
	u8(m, (uint8_t)v);
}
static void u32(struct msg *m, uint32_t v)
{
	u16(m, (uint16_t)(v >> 16));
	u16(m, (uint16_t)v);
}

static void name(struct msg *m, const char *s)
{
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);
		u8(m, (uint8_t)l);
		memcpy(m->b + m->n, s, l);
		m->n += l;
		s += l;
		if (*s == '.')
			s++;
	}
	u8(m, 0);
}

static void header(struct msg *m, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an)
{
	m->n = 0;
	u16(m, id);
	u16(m, flags);
	u16(m, qd);
	u16(m, an);
	u16(m, 0);
	u16(m, 0);
}

static void query(struct msg *m, uint16_t id, const char *qname, uint16_t type)
{
	header(m, id, 0x0100, 1, 0);
	name(m, qname);
	u16(m, type);
	u16(m, 1);
}

/* An answer repeating the question (at offset 12) and naming it by a compression pointer in each
 * record. */
struct rr {
	uint16_t type;
	const uint8_t *rdata;
	uint16_t rdlen;
	const char *rname; /* a name for CNAME/NS/PTR rdata instead of rdata */
};

static void answer(struct msg *m, uint16_t id, uint8_t rcode, const char *qname, uint16_t qtype, const struct rr *rrs,
		   int nrr)
{
	header(m, id, (uint16_t)(0x8180 | rcode), 1, (uint16_t)nrr);
	name(m, qname);
	u16(m, qtype);
	u16(m, 1);
	for (int i = 0; i < nrr; i++) {
		u16(m, 0xc00c);
		u16(m, rrs[i].type);
		u16(m, 1);
		u32(m, 300);
		if (rrs[i].rname) {
			size_t at = m->n;
			u16(m, 0);
			name(m, rrs[i].rname);
			m->b[at] = (uint8_t)((m->n - at - 2) >> 8);
			m->b[at + 1] = (uint8_t)(m->n - at - 2);
		} else {
			u16(m, rrs[i].rdlen);
			memcpy(m->b + m->n, rrs[i].rdata, rrs[i].rdlen);
			m->n += rrs[i].rdlen;
		}
	}
}

static const uint8_t sinkhole1[4] = {104, 16, 166, 101}, sinkhole2[4] = {104, 17, 244, 81};

static void udp_pair(struct pg_writer *w, uint64_t t, const char *cli, uint16_t cport, const char *srv,
		     const struct msg *q, const struct msg *a)
{
	struct pg_link l = {.encap = PG_ENC_ETH};
	pg_udp(w, &l, t, pg_ip4(cli), cport, pg_ip4(srv), 53, q->b, q->n);
	if (a)
		pg_udp(w, &l, t + 20000, pg_ip4(srv), 53, pg_ip4(cli), cport, a->b, a->n);
}

/* ------------------------------------------------------------ scenarios */

/* WannaCry's lookup of its kill-switch domain over UDP, answered with the sinkhole addresses (kill
 * switch active); a later variant's domain in mixed case answered NXDOMAIN; the bare domain of a
 * third variant with no answer. */
static bool dns_killswitch_udp(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	struct msg q, a;
	const struct rr rrs[] = {{1, sinkhole1, 4, NULL}, {1, sinkhole2, 4, NULL}};
	query(&q, 0x1a2b, ks1, 1);
	answer(&a, 0x1a2b, 0, ks1, 1, rrs, 2);
	udp_pair(&w, T0, "192.168.56.101", 61000, "192.168.56.1", &q, &a);
	query(&q, 0x2b3c, ks2, 1);
	answer(&a, 0x2b3c, 3, ks2, 1, NULL, 0);
	udp_pair(&w, T0 + 1000000, "192.168.56.102", 61001, "192.168.56.1", &q, &a);
	query(&q, 0x3c4d, ks3, 1);
	udp_pair(&w, T0 + 2000000, "192.168.56.103", 61002, "192.168.56.1", &q, NULL);
	pg_close(&w);
	return true;
}

/* The same lookup over TCP port 53 (RFC 7766): the query's length prefix split from its message,
 * the answer in 7-byte segments. */
static bool dns_killswitch_tcp(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	struct pg_link l = {.encap = PG_ENC_ETH};
	struct pg_tcp s;
	pg_tcp_init(&s, &w, &l, pg_ip4("192.168.56.104"), 49800, pg_ip4("192.168.56.1"), 53, 1000, 50000, T0);
	pg_tcp_handshake(&s);
	struct msg q, a;
	uint8_t framed[2100];
	query(&q, 0x4d5e, ks4, 1);
	framed[0] = (uint8_t)(q.n >> 8);
	framed[1] = (uint8_t)q.n;
	memcpy(framed + 2, q.b, q.n);
	const size_t qcut[] = {1, 2};
	pg_tcp_send_pieces(&s, PG_C2S, framed, q.n + 2, qcut, 2, NULL, NULL, 0);
	const struct rr rrs[] = {{1, sinkhole1, 4, NULL}};
	answer(&a, 0x4d5e, 0, ks4, 1, rrs, 1);
	framed[0] = (uint8_t)(a.n >> 8);
	framed[1] = (uint8_t)a.n;
	memcpy(framed + 2, a.b, a.n);
	size_t cuts[64];
	int ncuts = 0;
	for (size_t off = 7; off < a.n + 2 && ncuts < 64; off += 7)
		cuts[ncuts++] = off;
	pg_tcp_send_pieces(&s, PG_S2C, framed, a.n + 2, cuts, ncuts, NULL, NULL, 0);
	pg_tcp_close(&s, PG_C2S);
	pg_close(&w);
	return true;
}

/* WannaCry's HTTP GET to its kill-switch domain (Host with a port), after a benign request on the
 * same connection. */
static bool http_killswitch(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	struct pg_link l = {.encap = PG_ENC_ETH};
	struct pg_tcp s;
	pg_tcp_init(&s, &w, &l, pg_ip4("192.168.56.105"), 49900, pg_ip4("104.16.166.101"), 80, 7000, 90000, T0);
	pg_tcp_handshake(&s);
	static const char r1[] = "POST /upload HTTP/1.1\r\nHost: files.example.org\r\nContent-Length: 11\r\n\r\nhello world";
	static const char r2[] = "GET / HTTP/1.1\r\nHost: www.iuqerfsodp9ifjaposdfjhgosurijfaewrwergwea.com:80\r\n"
				 "Cache-Control: no-cache\r\n\r\n";
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	pg_tcp_send(&s, PG_C2S, (const uint8_t *)r1, sizeof(r1) - 1);
	pg_tcp_send(&s, PG_S2C, (const uint8_t *)resp, sizeof(resp) - 1);
	pg_tcp_send(&s, PG_C2S, (const uint8_t *)r2, sizeof(r2) - 1);
	pg_tcp_send(&s, PG_S2C, (const uint8_t *)resp, sizeof(resp) - 1);
	pg_tcp_close(&s, PG_C2S);
	pg_close(&w);
	return true;
}

/* Benign lookups: A with a CNAME chain, AAAA, MX, TXT, NXDOMAIN; names that resemble the kill-switch
 * domains but are not them (a longer label, the domain under another zone); an HTTP request to a
 * lookalike host. */
static bool dns_benign(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	struct msg q, a;
	static const uint8_t v4[4] = {93, 184, 216, 34};
	static const uint8_t v6[16] = {0x26, 0x06, 0x28, 0x00, 0x02, 0x20, 0, 1, 0x2, 0x48, 0x18, 0x93, 0x25, 0xc8, 0x19, 0x46};
	static const uint8_t txt[] = "\x0bv=spf1 -all";
	static const uint8_t mx[] = {0, 10, 4, 'm', 'a', 'i', 'l', 0xc0, 0x0c};
	const struct rr cname[] = {{5, NULL, 0, "edge.example.net"}, {1, v4, 4, NULL}};
	query(&q, 0x0101, "www.example.com", 1);
	answer(&a, 0x0101, 0, "www.example.com", 1, cname, 2);
	udp_pair(&w, T0, "10.20.0.5", 50001, "10.20.0.1", &q, &a);
	const struct rr aaaa[] = {{28, v6, 16, NULL}};
	query(&q, 0x0102, "www.example.com", 28);
	answer(&a, 0x0102, 0, "www.example.com", 28, aaaa, 1);
	udp_pair(&w, T0 + 100000, "10.20.0.5", 50002, "10.20.0.1", &q, &a);
	const struct rr mxr[] = {{15, mx, sizeof(mx), NULL}};
	query(&q, 0x0103, "example.com", 15);
	answer(&a, 0x0103, 0, "example.com", 15, mxr, 1);
	udp_pair(&w, T0 + 200000, "10.20.0.5", 50003, "10.20.0.1", &q, &a);
	const struct rr txtr[] = {{16, txt, sizeof(txt) - 1, NULL}};
	query(&q, 0x0104, "example.com", 16);
	answer(&a, 0x0104, 0, "example.com", 16, txtr, 1);
	udp_pair(&w, T0 + 300000, "10.20.0.5", 50004, "10.20.0.1", &q, &a);
	query(&q, 0x0105, "xiuqerfsodp9ifjaposdfjhgosurijfaewrwergwea.com", 1);
	answer(&a, 0x0105, 3, "xiuqerfsodp9ifjaposdfjhgosurijfaewrwergwea.com", 1, NULL, 0);
	udp_pair(&w, T0 + 400000, "10.20.0.5", 50005, "10.20.0.1", &q, &a);
	const struct rr lk[] = {{1, v4, 4, NULL}};
	query(&q, 0x0106, "iuqerfsodp9ifjaposdfjhgosurijfaewrwergwea.com.example.net", 1);
	answer(&a, 0x0106, 0, "iuqerfsodp9ifjaposdfjhgosurijfaewrwergwea.com.example.net", 1, lk, 1);
	udp_pair(&w, T0 + 500000, "10.20.0.5", 50006, "10.20.0.1", &q, &a);
	struct pg_link l = {.encap = PG_ENC_ETH};
	struct pg_tcp s;
	pg_tcp_init(&s, &w, &l, pg_ip4("10.20.0.5"), 50100, pg_ip4("93.184.216.34"), 80, 11000, 22000, T0 + 600000);
	pg_tcp_handshake(&s);
	static const char req[] = "GET /iuqerfsodp9ifjaposdfjhgosurijfaewrwergwea.com HTTP/1.1\r\n"
				  "Host: www.iuqerfsodp9ifjaposdfjhgosurijfaewrwergwea.com.example.net\r\n"
				  "User-Agent: curl/8.5.0\r\n\r\n";
	static const char resp[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
	pg_tcp_send(&s, PG_C2S, (const uint8_t *)req, sizeof(req) - 1);
	pg_tcp_send(&s, PG_S2C, (const uint8_t *)resp, sizeof(resp) - 1);
	pg_tcp_close(&s, PG_C2S);
	pg_close(&w);
	return true;
}

/* A valid query, then hostile DNS messages on the same flow: a name whose compression pointer
 * points at itself, a forward pointer, a record running past the datagram, a truncated header;
 * then a valid query again (a bad datagram does not stop the next one). */
static bool dns_malformed(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	struct pg_link l = {.encap = PG_ENC_ETH};
	struct msg m;
	query(&m, 0x0bac, "first.example", 1);
	pg_udp(&w, &l, T0, pg_ip4("10.30.0.7"), 40000, pg_ip4("10.30.0.1"), 53, m.b, m.n);
	header(&m, 0x0bad, 0x0100, 1, 0);
	u16(&m, 0xc00c); /* pointer to itself */
	u16(&m, 1);
	u16(&m, 1);
	pg_udp(&w, &l, T0 + 500, pg_ip4("10.30.0.7"), 40000, pg_ip4("10.30.0.1"), 53, m.b, m.n);
	header(&m, 0x0bae, 0x8180, 1, 1);
	name(&m, "loop.example");
	u16(&m, 1);
	u16(&m, 1);
	u16(&m, 0xc040); /* forward pointer */
	u16(&m, 1);
	u16(&m, 1);
	u32(&m, 60);
	u16(&m, 4);
	u32(&m, 0x0a000001);
	pg_udp(&w, &l, T0 + 1000, pg_ip4("10.30.0.1"), 53, pg_ip4("10.30.0.7"), 40000, m.b, m.n);
	header(&m, 0x0baf, 0x8180, 1, 1);
	name(&m, "short.example");
	u16(&m, 1);
	u16(&m, 1);
	u16(&m, 0xc00c);
	u16(&m, 1);
	u16(&m, 1);
	u32(&m, 60);
	u16(&m, 400); /* rdlength past the end */
	u32(&m, 0x0a000001);
	pg_udp(&w, &l, T0 + 2000, pg_ip4("10.30.0.1"), 53, pg_ip4("10.30.0.7"), 40000, m.b, m.n);
	pg_udp(&w, &l, T0 + 3000, pg_ip4("10.30.0.7"), 40000, pg_ip4("10.30.0.1"), 53, m.b, 7);
	query(&m, 0x0bb0, "ok.example", 1);
	pg_udp(&w, &l, T0 + 4000, pg_ip4("10.30.0.7"), 40000, pg_ip4("10.30.0.1"), 53, m.b, m.n);
	pg_close(&w);
	return true;
}

/* Queries for the dns.query buffer: one message with two questions (update.kagami-test.example,
 * then cdn.kagami-test.example), answered; the near misses cdn.kagami-test.example.org and
 * CDN.Kagami-Test.Example (mixed case, as on the wire); a query over TCP 53 for
 * tcp.kagami-test.example. */
static bool dns_queries(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	struct msg q, a;
	static const uint8_t v4[4] = {192, 0, 2, 44};
	header(&q, 0x2201, 0x0100, 2, 0);
	name(&q, "update.kagami-test.example");
	u16(&q, 1);
	u16(&q, 1);
	name(&q, "cdn.kagami-test.example");
	u16(&q, 1);
	u16(&q, 1);
	const struct rr ar[] = {{1, v4, 4, NULL}};
	answer(&a, 0x2201, 0, "update.kagami-test.example", 1, ar, 1);
	udp_pair(&w, T0 + 900000, "10.40.0.5", 50201, "10.40.0.1", &q, &a);
	query(&q, 0x2202, "cdn.kagami-test.example.org", 1);
	answer(&a, 0x2202, 3, "cdn.kagami-test.example.org", 1, NULL, 0);
	udp_pair(&w, T0 + 1000000, "10.40.0.5", 50202, "10.40.0.1", &q, &a);
	query(&q, 0x2203, "CDN.Kagami-Test.Example", 1);
	udp_pair(&w, T0 + 1100000, "10.40.0.5", 50203, "10.40.0.1", &q, NULL);
	struct pg_link l = {.encap = PG_ENC_ETH};
	struct pg_tcp s;
	pg_tcp_init(&s, &w, &l, pg_ip4("10.40.0.5"), 50300, pg_ip4("10.40.0.1"), 53, 31000, 42000, T0 + 1200000);
	pg_tcp_handshake(&s);
	query(&q, 0x2204, "tcp.kagami-test.example", 1);
	uint8_t framed[2 + sizeof(q.b)];
	framed[0] = (uint8_t)(q.n >> 8);
	framed[1] = (uint8_t)q.n;
	memcpy(framed + 2, q.b, q.n);
	pg_tcp_send(&s, PG_C2S, framed, q.n + 2);
	answer(&a, 0x2204, 0, "tcp.kagami-test.example", 1, ar, 1);
	framed[0] = (uint8_t)(a.n >> 8);
	framed[1] = (uint8_t)a.n;
	memcpy(framed + 2, a.b, a.n);
	pg_tcp_send(&s, PG_S2C, framed, a.n + 2);
	pg_tcp_close(&s, PG_C2S);
	pg_close(&w);
	return true;
}

const struct pg_scenario pg_dns_scenarios[] = {
	{"dns-killswitch-udp", "WannaCry kill-switch lookups over UDP: resolved, NXDOMAIN (mixed case), unanswered", dns_killswitch_udp},
	{"dns-killswitch-tcp", "WannaCry kill-switch lookup over TCP 53 in split segments, resolved", dns_killswitch_tcp},
	{"http-killswitch", "HTTP GET with a kill-switch Host (with port) after a POST on the same connection", http_killswitch},
	{"dns-benign", "benign A/CNAME, AAAA, MX, TXT lookups, kill-switch lookalike names and HTTP Host", dns_benign},
	{"dns-malformed", "DNS compression loop, forward pointer, overlong rdata, cut header, then a valid query", dns_malformed},
	{NULL, NULL, NULL},
};

/* Listed after every older table (pg_udp's IP ID counter runs across scenarios). */
const struct pg_scenario pg_dns_query_scenarios[] = {
	{"dns-queries", "a two-question query, near-miss names, a query over TCP, for dns.query", dns_queries},
	{NULL, NULL, NULL},
};

/* For ET Open rules on dns.query (tests/rules-et-buffers.sh): a lookup of cdn.honeypoc.io,
 * answered (sid 2034111: dns.query, content honeypoc.io, endswith); the near miss
 * honeypoc.io.kagami-test.example (not at the end). */
static bool dns_et(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	struct msg q, a;
	static const uint8_t v4[4] = {192, 0, 2, 45};
	const struct rr ar[] = {{1, v4, 4, NULL}};
	query(&q, 0x2301, "cdn.honeypoc.io", 1);
	answer(&a, 0x2301, 0, "cdn.honeypoc.io", 1, ar, 1);
	udp_pair(&w, T0 + 1300000, "10.40.0.6", 50401, "10.40.0.1", &q, &a);
	query(&q, 0x2302, "honeypoc.io.kagami-test.example", 1);
	answer(&a, 0x2302, 3, "honeypoc.io.kagami-test.example", 1, NULL, 0);
	udp_pair(&w, T0 + 1400000, "10.40.0.6", 50402, "10.40.0.1", &q, &a);
	pg_close(&w);
	return true;
}

/* Listed after every older table (pcapgen.c). */
const struct pg_scenario pg_dns_et_scenarios[] = {
	{"dns-et", "a lookup that an ET Open dns.query rule names; a near miss", dns_et},
	{NULL, NULL, NULL},
};
