/* scenarios_tls.c - TLS captures for the TLS dissector and the Heartbleed detections: real record,
 * handshake, certificate and heartbeat bytes (RFC 5246, RFC 8446, RFC 6520); encrypted records are
 * random bytes of the lengths the negotiated suite would produce. */
#include <string.h>

#include "pcapgen.h"

#define T0 1700100000000000ULL

/* ------------------------------------------------------------ byte builder */
struct bb {
	uint8_t b[70000];
	size_t n;
};

static void put(struct bb *b, const void *p, size_t n)
{
	memcpy(b->b + b->n, p, n);
	b->n += n;
}
static void u8(struct bb *b, uint8_t v) { b->b[b->n++] = v; }
static void u16(struct bb *b, uint16_t v)
{
	u8(b, (uint8_t)(v >> 8));
	u8(b, (uint8_t)v);
}
static void u24(struct bb *b, uint32_t v)
{
	u8(b, (uint8_t)(v >> 16));
	u16(b, (uint16_t)v);
}
/* reserve an n-byte big-endian length, return its offset */
static size_t len_open(struct bb *b, int n)
{
	size_t at = b->n;
	b->n += (size_t)n;
	return at;
}
static void len_close(struct bb *b, size_t at, int n)
{
	size_t v = b->n - at - (size_t)n;
	for (int i = n - 1; i >= 0; i--) {
		b->b[at + (size_t)i] = (uint8_t)v;
		v >>= 8;
	}
}

static void record(struct bb *out, uint8_t type, uint16_t version, const uint8_t *body, size_t n)
{
	u8(out, type);
	u16(out, version);
	u16(out, (uint16_t)n);
	put(out, body, n);
}

static void handshake(struct bb *out, uint8_t type, const struct bb *body)
{
	u8(out, type);
	u24(out, (uint32_t)body->n);
	put(out, body->b, body->n);
}

struct hello_opts {
	uint16_t version;
	const uint16_t *ciphers;
	int nciphers;
	bool heartbeat;        /* heartbeat extension, mode 1 */
	const char *sni;
	const char *alpn;
	bool tls13;            /* supported_versions */
	bool grease;
};

static void client_hello(struct bb *out, const struct hello_opts *o)
{
	struct bb h = {.n = 0};
	u16(&h, o->version);
	for (int i = 0; i < 32; i++)
		u8(&h, (uint8_t)(0x10 + i)); /* random */
	u8(&h, 0);                           /* session id */
	size_t cl = len_open(&h, 2);
	if (o->grease)
		u16(&h, 0x2a2a);
	for (int i = 0; i < o->nciphers; i++)
		u16(&h, o->ciphers[i]);
	len_close(&h, cl, 2);
	u8(&h, 1);
	u8(&h, 0); /* null compression */
	size_t el = len_open(&h, 2);
	if (o->grease) {
		u16(&h, 0x0a0a);
		u16(&h, 0);
	}
	if (o->sni) {
		u16(&h, 0);
		size_t x = len_open(&h, 2), l = len_open(&h, 2);
		u8(&h, 0);
		u16(&h, (uint16_t)strlen(o->sni));
		put(&h, o->sni, strlen(o->sni));
		len_close(&h, l, 2);
		len_close(&h, x, 2);
	}
	/* supported_groups: x25519, secp256r1 */
	u16(&h, 10);
	u16(&h, 6);
	u16(&h, 4);
	u16(&h, 29);
	u16(&h, 23);
	/* ec_point_formats: uncompressed */
	u16(&h, 11);
	u16(&h, 2);
	u8(&h, 1);
	u8(&h, 0);
	if (o->alpn) {
		u16(&h, 16);
		size_t x = len_open(&h, 2), l = len_open(&h, 2);
		u8(&h, (uint8_t)strlen(o->alpn));
		put(&h, o->alpn, strlen(o->alpn));
		len_close(&h, l, 2);
		len_close(&h, x, 2);
	}
	if (o->heartbeat) {
		u16(&h, 15);
		u16(&h, 1);
		u8(&h, 1);
	}
	if (o->tls13) {
		u16(&h, 43);
		u16(&h, 5);
		u8(&h, 4);
		u16(&h, 0x0304);
		u16(&h, 0x0303);
	}
	len_close(&h, el, 2);
	handshake(out, 1, &h);
}

static void server_hello(struct bb *out, uint16_t version, uint16_t cipher, bool heartbeat, bool tls13)
{
	struct bb h = {.n = 0};
	u16(&h, tls13 ? 0x0303 : version);
	for (int i = 0; i < 32; i++)
		u8(&h, (uint8_t)(0x80 + i));
	u8(&h, 0);
	u16(&h, cipher);
	u8(&h, 0);
	size_t el = len_open(&h, 2);
	u16(&h, 0xff01); /* renegotiation_info */
	u16(&h, 1);
	u8(&h, 0);
	if (heartbeat) {
		u16(&h, 15);
		u16(&h, 1);
		u8(&h, 1);
	}
	if (tls13) {
		u16(&h, 43);
		u16(&h, 2);
		u16(&h, 0x0304);
	}
	len_close(&h, el, 2);
	handshake(out, 2, &h);
}

/* DER: tag, length, contents */
static void der(struct bb *b, uint8_t tag, const struct bb *content)
{
	u8(b, tag);
	if (content->n < 128) {
		u8(b, (uint8_t)content->n);
	} else if (content->n < 256) {
		u8(b, 0x81);
		u8(b, (uint8_t)content->n);
	} else {
		u8(b, 0x82);
		u16(b, (uint16_t)content->n);
	}
	put(b, content->b, content->n);
}

static void der_name(struct bb *b, const char *country, const char *org, const char *cn)
{
	struct bb name = {.n = 0};
	const struct {
		uint8_t oid;
		uint8_t type;
		const char *v;
	} attrs[] = {{6, 0x13, country}, {10, 0x0c, org}, {3, 0x0c, cn}};
	for (size_t i = 0; i < 3; i++) {
		struct bb oid = {.n = 0}, val = {.n = 0}, atv = {.n = 0}, set = {.n = 0};
		u8(&oid, 0x55);
		u8(&oid, 0x04);
		u8(&oid, attrs[i].oid);
		put(&val, attrs[i].v, strlen(attrs[i].v));
		der(&atv, 0x06, &oid);
		der(&atv, attrs[i].type, &val);
		der(&set, 0x30, &atv);
		der(&name, 0x31, &set);
	}
	der(b, 0x30, &name);
}

/* A self-made X.509 certificate (DER into cert): enough structure for the subject, issuer and
 * serial; each name is C, O, CN. */
struct cert_opts {
	const uint8_t *serial;
	size_t nserial;
	const char *issuer_org, *issuer_cn, *org, *cn;
};

static void cert_der(struct bb *cert, const struct cert_opts *o)
{
	struct bb tbs = {.n = 0}, v = {.n = 0}, vv = {.n = 0}, serial = {.n = 0}, alg = {.n = 0}, algc = {.n = 0};
	u8(&vv, 2);
	der(&v, 0x02, &vv);
	der(&tbs, 0xa0, &v);
	put(&serial, o->serial, o->nserial);
	der(&tbs, 0x02, &serial);
	static const uint8_t sha256rsa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b};
	struct bb oid = {.n = 0};
	put(&oid, sha256rsa, sizeof(sha256rsa));
	der(&algc, 0x06, &oid);
	der(&alg, 0x30, &algc);
	put(&tbs, alg.b, alg.n);
	der_name(&tbs, "JP", o->issuer_org, o->issuer_cn);
	struct bb validity = {.n = 0}, t1 = {.n = 0}, vc = {.n = 0};
	put(&t1, "230101000000Z", 13);
	der(&vc, 0x17, &t1);
	der(&vc, 0x17, &t1);
	der(&validity, 0x30, &vc);
	put(&tbs, validity.b, validity.n);
	der_name(&tbs, "JP", o->org, o->cn);
	struct bb certc = {.n = 0}, sig = {.n = 0};
	der(&certc, 0x30, &tbs);
	put(&certc, alg.b, alg.n);
	u8(&sig, 0);
	for (int i = 0; i < 64; i++)
		u8(&sig, (uint8_t)(i * 7));
	der(&certc, 0x03, &sig);
	der(cert, 0x30, &certc);
}

/* A Certificate handshake message carrying the chain certs[0..n). */
static void certificate_chain_msg(struct bb *out, const struct cert_opts *certs, int n)
{
	struct bb body = {.n = 0};
	size_t l = len_open(&body, 3);
	for (int i = 0; i < n; i++) {
		struct bb cert = {.n = 0};
		cert_der(&cert, &certs[i]);
		size_t l1 = len_open(&body, 3);
		put(&body, cert.b, cert.n);
		len_close(&body, l1, 3);
	}
	len_close(&body, l, 3);
	handshake(out, 11, &body);
}

/* One certificate for cn, issued by the test root. */
static void certificate_msg(struct bb *out, const char *cn)
{
	static const uint8_t serial[] = {0x0a, 0x1b, 0x2c};
	struct cert_opts o = {serial, sizeof(serial), "Kagami Test CA", "Kagami Test Root", "Kagami Test", cn};
	certificate_chain_msg(out, &o, 1);
}

static void server_hello_done(struct bb *out)
{
	struct bb empty = {.n = 0};
	handshake(out, 14, &empty);
}

/* an encrypted record of n bytes (random content) */
static void enc_record(struct bb *out, struct pg_rng *r, uint8_t type, uint16_t version, size_t n)
{
	u8(out, type);
	u16(out, version);
	u16(out, (uint16_t)n);
	pg_rng_fill(r, out->b + out->n, n);
	out->n += n;
}

/* ------------------------------------------------------------ sessions */

struct tls_sess {
	struct pg_tcp tcp;
	struct pg_rng rng;
	uint16_t version;
	uint16_t cipher;
};

static const uint16_t cbc_suites[] = {0xc014, 0xc013, 0x0035, 0x002f, 0x000a};

static void open_session(struct tls_sess *s, struct pg_writer *w, const char *cli, const char *srv, uint16_t port,
			 uint64_t t0, uint16_t version, uint16_t cipher)
{
	struct pg_link l = {0};
	pg_tcp_init(&s->tcp, w, &l, pg_ip4(cli), 50000, pg_ip4(srv), port, 0x1000, 0x2000, t0);
	pg_rng_seed(&s->rng, t0);
	s->version = version;
	s->cipher = cipher;
	pg_tcp_handshake(&s->tcp);
}

/* ClientHello .. ServerHelloDone, with or without the heartbeat extension. */
static void hello_flight(struct tls_sess *s, bool hb_client, bool hb_server, const char *sni)
{
	struct bb ch = {.n = 0}, rec = {.n = 0};
	struct hello_opts o = {.version = s->version, .ciphers = cbc_suites, .nciphers = 5, .heartbeat = hb_client,
			       .sni = sni, .alpn = "http/1.1"};
	client_hello(&ch, &o);
	record(&rec, 22, 0x0301, ch.b, ch.n);
	pg_tcp_send(&s->tcp, PG_C2S, rec.b, rec.n);
	struct bb flight = {.n = 0}, sh = {.n = 0}, cert = {.n = 0}, done = {.n = 0};
	server_hello(&sh, s->version, s->cipher, hb_server, false);
	certificate_msg(&cert, sni ? sni : "victim.example");
	server_hello_done(&done);
	/* several records in one segment */
	record(&flight, 22, s->version, sh.b, sh.n);
	record(&flight, 22, s->version, cert.b, cert.n);
	record(&flight, 22, s->version, done.b, done.n);
	pg_tcp_send(&s->tcp, PG_S2C, flight.b, flight.n);
}

/* Key exchange, CCS and Finished both ways: everything after is encrypted. */
static void finish_handshake(struct tls_sess *s)
{
	struct bb c = {.n = 0}, sv = {.n = 0};
	enc_record(&c, &s->rng, 22, s->version, 70); /* ClientKeyExchange (opaque here) */
	static const uint8_t one = 1;
	record(&c, 20, s->version, &one, 1);
	enc_record(&c, &s->rng, 22, s->version, 48); /* Finished */
	pg_tcp_send(&s->tcp, PG_C2S, c.b, c.n);
	record(&sv, 20, s->version, &one, 1);
	enc_record(&sv, &s->rng, 22, s->version, 48);
	pg_tcp_send(&s->tcp, PG_S2C, sv.b, sv.n);
}

static void appdata(struct tls_sess *s, int dir, size_t n)
{
	struct bb b = {.n = 0};
	enc_record(&b, &s->rng, 23, s->version, n);
	pg_tcp_send(&s->tcp, dir, b.b, b.n);
}

/* A cleartext heartbeat message: type, claimed payload length, the payload and padding
 * actually present. */
static void hb_clear(struct bb *out, uint16_t version, uint8_t type, uint16_t claimed, size_t present, size_t padding)
{
	u8(out, 24);
	u16(out, version);
	u16(out, (uint16_t)(3 + present + padding));
	u8(out, type);
	u16(out, claimed);
	for (size_t i = 0; i < present; i++)
		u8(out, (uint8_t)('A' + i % 26));
	for (size_t i = 0; i < padding; i++)
		u8(out, 0xcc);
}

/* ------------------------------------------------------------ scenarios */

/* The classic probe against a vulnerable server: an 8-byte record claiming 0x4000 bytes,
 * sent split over segments; the server answers with 16384 bytes of "memory" in two records. */
static bool hb_clear_vulnerable(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	struct tls_sess s;
	open_session(&s, &w, "198.51.100.7", "10.0.0.80", 443, T0, 0x0302, 0xc014);
	hello_flight(&s, true, true, "shop.example.com");
	struct bb req = {.n = 0};
	hb_clear(&req, 0x0302, 1, 0x4000, 0, 0); /* 18 03 02 00 03 01 40 00 */
	static const size_t cuts[] = {1, 2, 5, 6};
	pg_tcp_send_pieces(&s.tcp, PG_C2S, req.b, req.n, cuts, 4, NULL, NULL, 0);
	/* the answer: 3 + 16384 + 16 bytes in two records */
	struct bb resp = {.n = 0}, body = {.n = 0};
	u8(&body, 2);
	u16(&body, 0x4000);
	for (int i = 0; i < 0x4000 + 16; i++)
		u8(&body, (uint8_t)(i * 13 + 5));
	record(&resp, 24, 0x0302, body.b, 16384);
	record(&resp, 24, 0x0302, body.b + 16384, body.n - 16384);
	pg_tcp_send(&s.tcp, PG_S2C, resp.b, resp.n);
	pg_tcp_close(&s.tcp, PG_C2S);
	pg_close(&w);
	return true;
}

/* The same probe against a patched server: silence, then the client gives up. */
static bool hb_clear_patched(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	struct tls_sess s;
	open_session(&s, &w, "198.51.100.7", "10.0.0.81", 443, T0 + 1000000, 0x0303, 0xc013);
	hello_flight(&s, true, true, NULL);
	struct bb req = {.n = 0};
	hb_clear(&req, 0x0303, 1, 0xffff, 0, 16);
	pg_tcp_send(&s.tcp, PG_C2S, req.b, req.n);
	pg_tcp_advance(&s.tcp, 5000000);
	pg_tcp_close(&s.tcp, PG_C2S);
	pg_close(&w);
	return true;
}

/* Encrypted attack on a non-standard port (TLS found by content): a 32-byte heartbeat where
 * AES-CBC-SHA under TLS 1.0 needs at least 48, answered by two full-size records. */
static bool hb_encrypted_success(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	struct tls_sess s;
	open_session(&s, &w, "203.0.113.9", "10.0.0.82", 9443, T0 + 2000000, 0x0301, 0xc014);
	hello_flight(&s, true, true, NULL);
	finish_handshake(&s);
	struct bb req = {.n = 0}, resp = {.n = 0};
	enc_record(&req, &s.rng, 24, 0x0301, 32);
	pg_tcp_send(&s.tcp, PG_C2S, req.b, req.n);
	enc_record(&resp, &s.rng, 24, 0x0301, 16416);
	enc_record(&resp, &s.rng, 24, 0x0301, 16416);
	/* the answer arrives in many small segments */
	s.tcp.mss = 700;
	pg_tcp_send(&s.tcp, PG_S2C, resp.b, resp.n);
	s.tcp.mss = 1460;
	pg_tcp_close(&s.tcp, PG_C2S);
	pg_close(&w);
	return true;
}

/* Encrypted attack on a server that does not answer; the attacker keeps trying. */
static bool hb_encrypted_noreply(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	struct tls_sess s;
	open_session(&s, &w, "203.0.113.10", "10.0.0.83", 443, T0 + 3000000, 0x0303, 0x002f);
	hello_flight(&s, true, true, NULL);
	finish_handshake(&s);
	for (int i = 0; i < 5; i++) {
		struct bb req = {.n = 0};
		enc_record(&req, &s.rng, 24, 0x0303, 40); /* TLS 1.2 AES-CBC-SHA needs 64 */
		pg_tcp_send(&s.tcp, PG_C2S, req.b, req.n);
	}
	pg_tcp_close(&s.tcp, PG_S2C);
	pg_close(&w);
	return true;
}

/* A heartbeat in a session where neither hello carried the extension. */
static bool hb_not_negotiated(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	struct tls_sess s;
	open_session(&s, &w, "203.0.113.11", "10.0.0.84", 443, T0 + 4000000, 0x0303, 0xc013);
	hello_flight(&s, false, false, "mail.example.org");
	finish_handshake(&s);
	appdata(&s, PG_C2S, 300);
	appdata(&s, PG_S2C, 900);
	struct bb req = {.n = 0};
	enc_record(&req, &s.rng, 24, 0x0303, 64);
	pg_tcp_send(&s.tcp, PG_C2S, req.b, req.n);
	pg_tcp_close(&s.tcp, PG_C2S);
	pg_close(&w);
	return true;
}

/* Benign: negotiated heartbeats after application data, well-formed lengths, answered with
 * records of the same size. No alert. */
static bool hb_benign(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	struct tls_sess s;
	open_session(&s, &w, "10.0.0.20", "10.0.0.85", 443, T0 + 5000000, 0x0303, 0xc013);
	hello_flight(&s, true, true, "intranet.example");
	finish_handshake(&s);
	appdata(&s, PG_C2S, 500);
	appdata(&s, PG_S2C, 4000);
	for (int i = 0; i < 3; i++) {
		struct bb req = {.n = 0}, resp = {.n = 0};
		pg_tcp_advance(&s.tcp, 30000000);
		enc_record(&req, &s.rng, 24, 0x0303, 80); /* TLS 1.2 AES-128-CBC-SHA: 16 IV + 64 */
		pg_tcp_send(&s.tcp, PG_C2S, req.b, req.n);
		enc_record(&resp, &s.rng, 24, 0x0303, 80);
		pg_tcp_send(&s.tcp, PG_S2C, resp.b, resp.n);
	}
	pg_tcp_close(&s.tcp, PG_C2S);
	pg_close(&w);
	return true;
}

/* TLS 1.3 (supported_versions), GREASE values, ALPN; the whole ClientHello split into
 * 9-byte segments; records several to a segment afterwards. */
static bool tls13(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	struct tls_sess s;
	open_session(&s, &w, "10.0.0.21", "10.0.0.86", 443, T0 + 6000000, 0x0303, 0x1301);
	static const uint16_t suites13[] = {0x1301, 0x1302, 0x1303, 0xc02f};
	struct bb ch = {.n = 0}, rec = {.n = 0};
	struct hello_opts o = {.version = 0x0303, .ciphers = suites13, .nciphers = 4, .sni = "www.example.net",
			       .alpn = "h2", .tls13 = true, .grease = true};
	client_hello(&ch, &o);
	record(&rec, 22, 0x0301, ch.b, ch.n);
	size_t cuts[64];
	int ncuts = 0;
	for (size_t at = 9; at < rec.n && ncuts < 64; at += 9)
		cuts[ncuts++] = at;
	pg_tcp_send_pieces(&s.tcp, PG_C2S, rec.b, rec.n, cuts, ncuts, NULL, NULL, 0);
	struct bb sh = {.n = 0}, flight = {.n = 0};
	server_hello(&sh, 0x0303, 0x1301, false, true);
	record(&flight, 22, 0x0303, sh.b, sh.n);
	static const uint8_t one = 1;
	record(&flight, 20, 0x0303, &one, 1);
	enc_record(&flight, &s.rng, 23, 0x0303, 2100); /* EncryptedExtensions .. Finished */
	pg_tcp_send(&s.tcp, PG_S2C, flight.b, flight.n);
	struct bb c = {.n = 0};
	record(&c, 20, 0x0303, &one, 1);
	enc_record(&c, &s.rng, 23, 0x0303, 53);
	enc_record(&c, &s.rng, 23, 0x0303, 400);
	pg_tcp_send(&s.tcp, PG_C2S, c.b, c.n);
	appdata(&s, PG_S2C, 9000);
	pg_tcp_close(&s.tcp, PG_C2S);
	pg_close(&w);
	return true;
}

/* A scanner's well-formed cleartext request during the handshake (answered), then odd
 * messages: an unknown heartbeat type and a response nobody asked for. */
static bool hb_anomalies(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	struct tls_sess s;
	open_session(&s, &w, "198.51.100.20", "10.0.0.87", 443, T0 + 7000000, 0x0303, 0xc013);
	hello_flight(&s, true, true, NULL);
	struct bb req = {.n = 0}, resp = {.n = 0}, bad = {.n = 0}, unsol = {.n = 0};
	hb_clear(&req, 0x0303, 1, 16, 16, 16);
	pg_tcp_send(&s.tcp, PG_C2S, req.b, req.n);
	hb_clear(&resp, 0x0303, 2, 16, 16, 16);
	pg_tcp_send(&s.tcp, PG_S2C, resp.b, resp.n);
	hb_clear(&bad, 0x0303, 7, 4, 4, 16);
	pg_tcp_send(&s.tcp, PG_C2S, bad.b, bad.n);
	hb_clear(&unsol, 0x0303, 2, 8, 8, 16);
	pg_tcp_send(&s.tcp, PG_S2C, unsol.b, unsol.n);
	pg_tcp_close(&s.tcp, PG_C2S);
	pg_close(&w);
	return true;
}

/* The cleartext flight of a session with a certificate chain: the ClientHello of o, then
 * ServerHello, Certificate (certs[0..n)) and ServerHelloDone in one segment. */
static void chain_flight(struct tls_sess *s, const struct hello_opts *o, const struct cert_opts *certs, int n)
{
	struct bb ch = {.n = 0}, rec = {.n = 0};
	client_hello(&ch, o);
	record(&rec, 22, 0x0301, ch.b, ch.n);
	pg_tcp_send(&s->tcp, PG_C2S, rec.b, rec.n);
	struct bb flight = {.n = 0}, sh = {.n = 0}, cert = {.n = 0}, done = {.n = 0};
	server_hello(&sh, s->version, s->cipher, false, false);
	certificate_chain_msg(&cert, certs, n);
	server_hello_done(&done);
	record(&flight, 22, s->version, sh.b, sh.n);
	record(&flight, 22, s->version, cert.b, cert.n);
	record(&flight, 22, s->version, done.b, done.n);
	pg_tcp_send(&s->tcp, PG_S2C, flight.b, flight.n);
}

/* Two TLS 1.2 sessions for the TLS inspection buffers. The first: SNI shop.kagami-test.example and
 * a chain of two certificates (the leaf, serial 00:C3:5A:17, issued by Kagami Issuing CA; that CA,
 * issued by Kagami Test Root). The near miss: a TLS 1.1 session on port 8443 with other ciphers
 * (another JA3), SNI shop.kagami-test.other and one certificate (serial 00:C3:5A:18) from Other CA. */
static bool tls_chain(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	static const uint8_t s1[] = {0x00, 0xc3, 0x5a, 0x17}, s2[] = {0x10, 0x01}, s3[] = {0x00, 0xc3, 0x5a, 0x18};
	const struct cert_opts chain[] = {
		{s1, sizeof(s1), "Kagami Test CA", "Kagami Issuing CA", "Kagami Shop", "shop.kagami-test.example"},
		{s2, sizeof(s2), "Kagami Test CA", "Kagami Test Root", "Kagami Test CA", "Kagami Issuing CA"},
	};
	const struct cert_opts other = {s3, sizeof(s3), "Other CA", "Other Issuing CA", "Other Shop",
					"shop.kagami-test.other"};
	static const uint16_t suites2[] = {0x002f, 0x0035, 0x000a};
	for (int k = 0; k < 2; k++) {
		struct tls_sess s;
		uint16_t ver = k == 0 ? 0x0303 : 0x0302;
		open_session(&s, &w, k == 0 ? "10.0.0.30" : "10.0.0.31", k == 0 ? "198.51.100.7" : "198.51.100.8",
			     k == 0 ? 443 : 8443, T0 + 8000000 + (uint64_t)k * 1000000, ver, k == 0 ? 0xc013 : 0x002f);
		struct hello_opts o = {.version = ver, .ciphers = k == 0 ? cbc_suites : suites2, .nciphers = k == 0 ? 5 : 3,
				       .sni = k == 0 ? "shop.kagami-test.example" : "shop.kagami-test.other",
				       .alpn = "http/1.1"};
		if (k == 0)
			chain_flight(&s, &o, chain, 2);
		else
			chain_flight(&s, &o, &other, 1);
		finish_handshake(&s);
		appdata(&s, PG_C2S, 300);
		appdata(&s, PG_S2C, 1200);
		pg_tcp_close(&s.tcp, PG_C2S);
	}
	pg_close(&w);
	return true;
}

const struct pg_scenario pg_tls_scenarios[] = {
	{"tls-hb-anomalies", "cleartext scan request, unknown heartbeat type, unsolicited response", hb_anomalies},
	{"tls-hb-clear-vulnerable", "cleartext Heartbleed probe answered with 16 KiB in two records", hb_clear_vulnerable},
	{"tls-hb-clear-patched", "cleartext Heartbleed probe, no answer", hb_clear_patched},
	{"tls-hb-encrypted-success", "encrypted short heartbeat on port 9443 answered by 2 full records", hb_encrypted_success},
	{"tls-hb-encrypted-noreply", "five short encrypted heartbeats, no answer", hb_encrypted_noreply},
	{"tls-hb-not-negotiated", "encrypted heartbeat without the extension", hb_not_negotiated},
	{"tls-hb-benign", "negotiated, well-formed, answered heartbeats after application data", hb_benign},
	{"tls-13", "TLS 1.3 handshake with GREASE and ALPN, ClientHello in 9-byte segments", tls13},
	{"tls-chain", "TLS 1.2 with SNI and a two-certificate chain; a TLS 1.1 near miss on 8443", tls_chain},
	{NULL, NULL, NULL},
};

/* For ET Open rules on the TLS buffers (tests/rules-et-buffers.sh): a session to an external
 * server with the SNI api.2ip.ua (sid 2033214: tls.sni, bsize 10), a leaf certificate for
 * files.kagami-test.gdn issued by ZeroSSL (2031223: tls.cert_subject endswith .gdn and
 * tls.cert_issuer ZeroSSL) with serial 00:E7:F9:B6:DE:A6:57:93:E2:44:6A:3B:95:C6:B3:EC:DF
 * (2024788: tls.cert_serial). The near miss on another server: the SNI
 * api.2ip.ua.kagami-test.example (longer than the bsize), files.kagami-test.gdn.example (not at
 * the end), issuer Other CA, the serial without its last byte. */
static bool tls_et(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	static const uint8_t hit[] = {0x00, 0xe7, 0xf9, 0xb6, 0xde, 0xa6, 0x57, 0x93, 0xe2,
				      0x44, 0x6a, 0x3b, 0x95, 0xc6, 0xb3, 0xec, 0xdf};
	const struct cert_opts certs[2] = {
		{hit, sizeof(hit), "ZeroSSL", "ZeroSSL RSA Domain Secure Site CA", "Kagami Test", "files.kagami-test.gdn"},
		{hit, sizeof(hit) - 1, "Other CA", "Other Issuing CA", "Kagami Test", "files.kagami-test.gdn.example"},
	};
	static const char *const snis[2] = {"api.2ip.ua", "api.2ip.ua.kagami-test.example"};
	for (int k = 0; k < 2; k++) {
		struct tls_sess s;
		open_session(&s, &w, "10.0.0.40", k == 0 ? "203.0.113.9" : "203.0.113.10", 443,
			     T0 + 12000000 + (uint64_t)k * 1000000, 0x0303, 0xc013);
		struct hello_opts o = {.version = 0x0303, .ciphers = cbc_suites, .nciphers = 5, .sni = snis[k],
				       .alpn = "http/1.1"};
		chain_flight(&s, &o, &certs[k], 1);
		finish_handshake(&s);
		appdata(&s, PG_C2S, 200);
		appdata(&s, PG_S2C, 600);
		pg_tcp_close(&s.tcp, PG_C2S);
	}
	pg_close(&w);
	return true;
}

/* Listed after every older table (pcapgen.c). */
const struct pg_scenario pg_tls_et_scenarios[] = {
	{"tls-et", "SNI, certificate subject, issuer and serial that ET Open rules name; near misses", tls_et},
	{NULL, NULL, NULL},
};

/* ------------------------------------------------------------ benchmark script */

/* A record stream scripted for the mixed benchmark capture (tools/bench): the same messages
 * as hello_flight/finish_handshake, then application data in records of at most 16 KiB. */
void pg_tls_bench_script(struct pg_script *s, struct pg_rng *r, const char *sni, size_t req, size_t resp, bool attack)
{
	static struct bb out, body, sh, cert, done;
	const uint16_t v = 0x0303, cipher = 0xc014;
	struct hello_opts o = {.version = v, .ciphers = cbc_suites, .nciphers = 5, .heartbeat = attack, .sni = sni,
			       .alpn = "http/1.1"};
	out.n = body.n = 0;
	client_hello(&body, &o);
	record(&out, 22, 0x0301, body.b, body.n);
	pg_script_add(s, PG_C2S, out.b, out.n);
	out.n = sh.n = cert.n = done.n = 0;
	server_hello(&sh, v, cipher, attack, false);
	certificate_msg(&cert, sni);
	server_hello_done(&done);
	record(&out, 22, v, sh.b, sh.n);
	record(&out, 22, v, cert.b, cert.n);
	record(&out, 22, v, done.b, done.n);
	pg_script_add(s, PG_S2C, out.b, out.n);
	if (attack) {
		/* the classic probe before the key exchange: 3 bytes claiming 16384 */
		out.n = 0;
		hb_clear(&out, v, 1, 0x4000, 0, 0);
		pg_script_add(s, PG_C2S, out.b, out.n);
		out.n = 0;
		hb_clear(&out, v, 2, 0x4000, 0x4000 - 3 - 16, 16);
		pg_script_add(s, PG_S2C, out.b, out.n);
		return;
	}
	static const uint8_t one = 1;
	out.n = 0;
	enc_record(&out, r, 22, v, 70);
	record(&out, 20, v, &one, 1);
	enc_record(&out, r, 22, v, 48);
	pg_script_add(s, PG_C2S, out.b, out.n);
	out.n = 0;
	record(&out, 20, v, &one, 1);
	enc_record(&out, r, 22, v, 48);
	pg_script_add(s, PG_S2C, out.b, out.n);
	out.n = 0;
	enc_record(&out, r, 23, v, req);
	pg_script_add(s, PG_C2S, out.b, out.n);
	while (resp > 0) {
		size_t k = resp > 16384 ? 16384 : resp;
		out.n = 0;
		enc_record(&out, r, 23, v, k);
		if (!pg_script_add(s, PG_S2C, out.b, out.n))
			break;
		resp -= k;
	}
}

