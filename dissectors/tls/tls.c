/* tls.c - TLS dissector and Heartbleed (CVE-2014-0160) detection: per-flow state, `tls`,
 * `heartbleed` and alert events (RFC 5246, RFC 8446, RFC 6520; wire parsing in tls_records.c).
 *
 * The record layer is followed in both directions for the whole session, also after
 * ChangeCipherSpec, so encrypted heartbeat records are seen by their length. Records the
 * dissector does not need the body of (application data, encrypted records) are skipped
 * through the streaming contract without being buffered.
 *
 * Heartbeat analysis (docs/events.md lists every alert and field):
 *   - cleartext requests are checked against RFC 6520 (payload_length + 3 + 16 <= record length);
 *     an oversized request is the Heartbleed attack; a response to it proves an unpatched server
 *     (a fixed OpenSSL discards such requests silently) and the bytes it returned beyond what the
 *     request carried are the leak;
 *   - encrypted heartbeats are judged by length: shorter than the smallest well-formed heartbeat
 *     for the negotiated cipher, sent before any application data, sent though the extension was
 *     not negotiated; a response longer than the request is the leak (an estimate from lengths);
 *   - one alert per kind per flow; the counts, the verdict (success / attempt / scan / anomaly)
 *     and the leak total come in one `heartbleed` event when the flow ends.
 */
#include "config.h"

#include <nettle/md5.h>
#include <nettle/sha1.h>
#include <stdlib.h>
#include <string.h>

#include "dissectors/dissector.h"
#include "dissectors/inspect.h"
#include "output/alert.h"
#include "tls_records.h"
#include "util/util.h"

#define MAX_RECORDS_PER_CALL 512
#define HS_MAX (128 * 1024) /* a handshake message larger than this is skipped */
#define MAX_ALPN_LEN 64
#define RESYNC_WINDOW 4096

/* Kinds of heartbeat findings: one alert each per flow, counted. */
enum hb_kind {
	HB_OVERFLOW = 0,    /* cleartext request claims more than it carries (RFC 6520 length check) */
	HB_SUCCESS,         /* the server answered a Heartbleed request: memory returned */
	HB_ODD_LENGTH,      /* encrypted heartbeat shorter than the cipher allows */
	HB_EARLY,           /* encrypted heartbeat before any application data */
	HB_SCAN,            /* well-formed cleartext request during the handshake */
	HB_NOT_NEGOTIATED,  /* heartbeat although the extension was not agreed (or TLS 1.3) */
	HB_MANY,            /* more than 3 requests without responses */
	HB_INVALID,         /* unknown heartbeat type or a record too short for the header */
	HB_INFLIGHT,        /* a second request while one is unanswered */
	HB_UNSOLICITED,     /* a response with no request */
	HB_ATTEMPT,         /* flow end: Heartbleed requests, no answer (patched or not vulnerable) */
	HB__KINDS
};

static const struct {
	const char *name;  /* in the heartbleed event and app-layer event names */
	struct alert_info ai;
} hb_kinds[HB__KINDS] = {
	[HB_OVERFLOW] = {"overflow", {1, 9001001, 1, "KAGAMI TLS Heartbleed attack: heartbeat request claims more payload than the record carries", "attempted-recon", 1}},
	[HB_SUCCESS] = {"success", {1, 9001002, 1, "KAGAMI TLS Heartbleed success: server answered a Heartbleed request (unpatched, memory returned)", "successful-recon-largescale", 1}},
	[HB_ODD_LENGTH] = {"odd_length", {1, 9001003, 1, "KAGAMI TLS Heartbleed attack: encrypted heartbeat shorter than the cipher allows", "attempted-recon", 2}},
	[HB_EARLY] = {"before_appdata", {1, 9001005, 1, "KAGAMI TLS heartbeat before any application data (Heartbleed attack or scan)", "attempted-recon", 2}},
	[HB_SCAN] = {"cleartext_request", {1, 9001006, 1, "KAGAMI TLS heartbeat request before encryption (probable Heartbleed scan)", "attempted-recon", 3}},
	[HB_NOT_NEGOTIATED] = {"not_negotiated", {1, 9001007, 1, "KAGAMI TLS heartbeat without a negotiated heartbeat extension", "protocol-command-decode", 2}},
	[HB_MANY] = {"many_requests", {1, 9001008, 1, "KAGAMI TLS more than 3 heartbeat requests without responses", "attempted-recon", 2}},
	[HB_INVALID] = {"invalid", {1, 9001009, 1, "KAGAMI TLS invalid heartbeat message", "protocol-command-decode", 2}},
	[HB_INFLIGHT] = {"request_in_flight", {1, 9001010, 1, "KAGAMI TLS heartbeat request while another is in flight", "protocol-command-decode", 3}},
	[HB_UNSOLICITED] = {"unsolicited_response", {1, 9001011, 1, "KAGAMI TLS heartbeat response without a request", "protocol-command-decode", 3}},
	[HB_ATTEMPT] = {"attempt", {1, 9001012, 1, "KAGAMI TLS Heartbleed attempt: the server did not answer (patched or not vulnerable)", "attempted-recon", 2}},
};

/* app-layer event names for signatures (app-layer-event:tls.<name>) */
static const char *const hb_event_names[HB__KINDS] = {
	"tls.overflow_heartbeat_message", "tls.dataleak_heartbeat_mismatch", "tls.heartbeat_odd_length",
	"tls.heartbeat_before_appdata", "tls.heartbeat_cleartext_request", "tls.heartbeat_not_negotiated",
	"tls.heartbeat_many_requests", "tls.invalid_heartbeat_message", "tls.heartbeat_in_flight",
	"tls.heartbeat_unsolicited_response", "tls.heartbleed_attempt",
};

struct tls_dir {
	bool encrypted;       /* this side's records are encrypted */
	bool resync;          /* after a gap: look for the next record header */
	bool sslv2_checked;
	uint8_t *hs;          /* handshake message reassembly */
	uint32_t hs_len, hs_cap;
	uint32_t hs_skip;     /* bytes of an oversized handshake message still to drop */
	uint32_t hb_cont;     /* cleartext: bytes of a multi-record heartbeat message still to come */
	uint64_t records, appdata_records, hb_records;
	uint32_t hb_requests, hb_responses; /* heartbeat messages sent by this side */
};

/* The outstanding heartbeat request and what came back for it. */
struct hb_req {
	bool active;
	bool encrypted;
	bool suspicious;      /* overflow, odd length, not negotiated or before app data */
	enum flow_dir dir;    /* who sent it */
	uint16_t rec_len;
	uint16_t payload_length; /* cleartext only */
	uint32_t resp_records;
	uint64_t resp_bytes;
	bool answered;
	bool leak_alerted;
};

struct tls_state {
	struct tls_dir d[2];
	enum flow_dir cdir;  /* direction the TLS client sends in (its ClientHello's) */
	bool have_ch, have_sh, have_cert;
	uint16_t ch_version, sh_version, version; /* legacy CH/SH versions; negotiated version */
	uint16_t cipher;
	bool tls13;
	bool sslv2_hello;
	uint8_t sni[256];
	size_t sni_len;
	uint8_t alpn[TLS_MAX_ALPN][MAX_ALPN_LEN];
	uint8_t alpn_len[TLS_MAX_ALPN];
	uint8_t nalpn;
	uint16_t client_versions[16];
	uint8_t nclient_versions;
	uint32_t nciphers_offered;
	bool hb_offered, hb_accepted;
	uint8_t hb_client_mode, hb_server_mode;
	char ja3_md5[33], ja3s_md5[33];
	struct strbuf ja3, ja3s;
	struct tls_cert_names cert;
	bool tls_event_done;
	uint32_t ins_ready;  /* inspection progress bits published (IP_TLS_*) */
	uint64_t bad_records;
	/* heartbeats */
	struct hb_req req;
	uint32_t kind_count[HB__KINDS];
	bool kind_alerted[HB__KINDS];
	uint64_t leaked_bytes;
	bool leaked_estimated;
	bool any_hb;
	bool attacker_known;
	enum flow_dir attacker_dir;
	int64_t first_hb_us, last_hb_us;
};

/* ------------------------------------------------------------------ helpers */

static void md5_hex(const struct strbuf *s, char out[33])
{
	struct md5_ctx ctx;
	uint8_t d[MD5_DIGEST_SIZE];
	md5_init(&ctx);
	md5_update(&ctx, s->len, (const uint8_t *)s->data);
	md5_digest(&ctx, sizeof(d), d);
	kg_hex(d, sizeof(d), out);
}

static bool negotiated(const struct tls_state *st, enum flow_dir sender)
{
	if (st->tls13 || !st->hb_offered || !st->hb_accepted)
		return false;
	/* the receiver's mode says whether the sender may send requests */
	uint8_t receiver_mode = sender == st->cdir ? st->hb_server_mode : st->hb_client_mode;
	return receiver_mode == 1;
}

static const struct tls_cipher_info *cipher(const struct tls_state *st)
{
	return st->have_sh ? tls_cipher_lookup(st->cipher) : NULL;
}

/* Encrypted record plaintext upper bound (record length minus the suite's overhead). */
static unsigned plaintext_max(const struct tls_state *st, unsigned rec_len)
{
	return tls_record_plaintext_max(cipher(st), st->version, rec_len);
}

/* ------------------------------------------------------------------- events */

static void ev_ip_dir(struct event *ev, const char *key, const struct flow *f, enum flow_dir side)
{
	ev_ip(ev, key, f->family, side == DIR_TO_SERVER ? f->cli : f->srv);
}

/* Heartbeat evidence common to every heartbeat alert. */
static void hb_evidence(struct event *ev, const struct tls_state *st, const struct flow *f, enum flow_dir dir,
			bool encrypted, unsigned rec_len, int payload_length)
{
	ev_map(ev, "heartbleed");
	ev_str(ev, "direction", dir == DIR_TO_SERVER ? "to_server" : "to_client");
	ev_ip_dir(ev, "sender", f, dir);
	ev_ip_dir(ev, "receiver", f, (enum flow_dir)(dir ^ 1));
	ev_bool(ev, "encrypted", encrypted);
	ev_u64(ev, "record_length", rec_len);
	if (payload_length >= 0)
		ev_u64(ev, "payload_length", (uint64_t)payload_length);
	ev_str(ev, "tls_version", tls_version_name(st->version));
	if (st->have_sh) {
		const struct tls_cipher_info *ci = cipher(st);
		ev_u64(ev, "cipher_suite", st->cipher);
		if (ci)
			ev_str(ev, "cipher", ci->name);
	}
	ev_bool(ev, "extension_negotiated", negotiated(st, dir));
	ev_u64(ev, "requests_to_server", st->d[DIR_TO_SERVER].hb_requests);
	ev_u64(ev, "requests_to_client", st->d[DIR_TO_CLIENT].hb_requests);
	ev_u64(ev, "responses_to_client", st->d[DIR_TO_CLIENT].hb_responses);
	ev_u64(ev, "responses_to_server", st->d[DIR_TO_SERVER].hb_responses);
	ev_u64(ev, "heartbeat_records", st->d[0].hb_records + st->d[1].hb_records);
	ev_u64(ev, "leaked_bytes_total", st->leaked_bytes);
}

/* A finding: counted always; alerted the first time its kind is seen in the flow. */
static void finding(struct tls_state *st, struct app_ctx *ctx, enum hb_kind k, enum flow_dir dir, bool encrypted,
		    unsigned rec_len, int payload_length, const char *detail_key, uint64_t detail)
{
	st->kind_count[k]++;
	app_raise_event(ctx, hb_event_names[k]);
	if (st->kind_alerted[k])
		return;
	st->kind_alerted[k] = true;
	struct event *ev = alert_begin(ctx->em, ctx->flow, dir, ctx->ts_us, &hb_kinds[k].ai);
	hb_evidence(ev, st, ctx->flow, dir, encrypted, rec_len, payload_length);
	if (detail_key)
		ev_u64(ev, detail_key, detail);
	ev_end_map(ev);
	event_end(ev);
}

static void emit_tls_event(struct tls_state *st, struct app_ctx *ctx)
{
	if (st->tls_event_done || !st->have_ch)
		return;
	st->tls_event_done = true;
	struct event *ev = event_begin(ctx->em, "tls", ctx->ts_us);
	event_flow(ev, ctx->flow, st->cdir); /* src = the TLS client */
	ev_map(ev, "tls");
	if (st->cdir != DIR_TO_SERVER)
		ev_bool(ev, "client_is_tcp_server", true);
	ev_str(ev, "version", tls_version_name(st->have_sh ? st->version : st->ch_version));
	if (st->sni_len)
		ev_wirestr(ev, "sni", st->sni, st->sni_len);
	if (st->have_cert) {
		if (st->cert.subject.len)
			ev_wirestr(ev, "subject", (const uint8_t *)st->cert.subject.data, st->cert.subject.len);
		if (st->cert.issuer.len)
			ev_wirestr(ev, "issuerdn", (const uint8_t *)st->cert.issuer.data, st->cert.issuer.len);
		if (st->cert.serial[0])
			ev_str(ev, "serial", st->cert.serial);
	}
	if (!st->sslv2_hello) {
		ev_map(ev, "ja3");
		ev_str(ev, "hash", st->ja3_md5);
		ev_strn(ev, "string", st->ja3.data ? st->ja3.data : "", st->ja3.len);
		ev_end_map(ev);
	}
	if (st->have_sh) {
		ev_map(ev, "ja3s");
		ev_str(ev, "hash", st->ja3s_md5);
		ev_strn(ev, "string", st->ja3s.data ? st->ja3s.data : "", st->ja3s.len);
		ev_end_map(ev);
		ev_u64(ev, "cipher_suite", st->cipher);
		const struct tls_cipher_info *ci = cipher(st);
		if (ci)
			ev_str(ev, "cipher", ci->name);
	}
	ev_u64(ev, "cipher_suites_offered", st->nciphers_offered);
	if (st->nclient_versions) {
		ev_array(ev, "client_versions");
		for (uint8_t i = 0; i < st->nclient_versions; i++)
			if (!tls_is_grease(st->client_versions[i]))
				ev_str(ev, NULL, tls_version_name(st->client_versions[i]));
		ev_end_array(ev);
	}
	if (st->nalpn) {
		ev_array(ev, "client_alpns");
		for (uint8_t i = 0; i < st->nalpn; i++)
			ev_wirestr(ev, NULL, st->alpn[i], st->alpn_len[i]);
		ev_end_array(ev);
	}
	ev_map(ev, "heartbeat");
	ev_bool(ev, "offered", st->hb_offered);
	if (st->hb_offered)
		ev_u64(ev, "client_mode", st->hb_client_mode);
	ev_bool(ev, "accepted", st->hb_accepted);
	if (st->hb_accepted)
		ev_u64(ev, "server_mode", st->hb_server_mode);
	ev_end_map(ev);
	ev_end_map(ev);
	event_end(ev);
}

/* ------------------------------------------------------------- inspection buffers */

#define MAX_CERT_BUFS 16 /* certificates of a chain published as tls.certs (more: the view's overflow) */

/* ssl_version's bit for a protocol version (0 when none fits). */
static uint32_t version_bit(uint16_t v)
{
	switch (v) {
	case 0x0002: return IA_SSLV_SSL2;
	case 0x0300: return IA_SSLV_SSL3;
	case 0x0301: return IA_SSLV_TLS10;
	case 0x0302: return IA_SSLV_TLS11;
	case 0x0303: return IA_SSLV_TLS12;
	case 0x0304: return IA_SSLV_TLS13;
	default: return (v >> 8) == 0x7f ? IA_SSLV_TLS13 : 0; /* TLS 1.3 drafts */
	}
}

/* Publish the handshake (the flow's one TLS transaction, tx 0) with the progress bits bits now
 * set, each once (dissectors/inspect.h). The view holds every buffer known so far: tls.sni,
 * ja3.* from the ClientHello (in the TLS client's direction), ja3s.* from the ServerHello, the
 * first certificate's names, serial and SHA-1 fingerprint and, at the Certificate message's own
 * view only (certs != NULL: borrowed from the handshake buffer), each certificate as tls.certs.
 * Attributes as Suricata's keywords read them for data of direction dir: tls.version and
 * ssl_version the sender's version (the client's ClientHello version; the server's chosen one),
 * ssl_state the handshake message that reached this point (an SSLv2-compatible hello: ssl_version
 * sslv2, no JA3). Nothing is published before a ClientHello was parsed. */
static void publish(struct tls_state *st, struct app_ctx *ctx, uint32_t bits, enum flow_dir dir,
		    const struct cursor *certs, size_t ncerts, bool more_certs)
{
	uint32_t newly = bits & ~st->ins_ready;
	if (!newly || !st->have_ch)
		return;
	st->ins_ready |= newly;
	enum flow_dir cd = st->cdir, sd = (enum flow_dir)(st->cdir ^ 1);
	struct inspect_tx v;
	inspect_tx_init(&v, "tls", 0, dir);
	if (st->sni_len)
		inspect_add(&v, IB_TLS_SNI, cd, st->sni, st->sni_len);
	if (st->ja3_md5[0]) { /* not for an SSLv2-compatible hello */
		inspect_add(&v, IB_JA3_HASH, cd, (const uint8_t *)st->ja3_md5, strlen(st->ja3_md5));
		inspect_add(&v, IB_JA3_STRING, cd,
			    st->ja3.data ? (const uint8_t *)st->ja3.data : (const uint8_t *)"", st->ja3.len);
	}
	if (st->have_sh) {
		inspect_add(&v, IB_JA3S_HASH, sd, (const uint8_t *)st->ja3s_md5, strlen(st->ja3s_md5));
		inspect_add(&v, IB_JA3S_STRING, sd,
			    st->ja3s.data ? (const uint8_t *)st->ja3s.data : (const uint8_t *)"", st->ja3s.len);
	}
	char fp[3 * SHA1_DIGEST_SIZE];
	if (st->have_cert) {
		if (st->cert.subject.len)
			inspect_add(&v, IB_TLS_CERT_SUBJECT, sd, (const uint8_t *)st->cert.subject.data,
				    st->cert.subject.len);
		if (st->cert.issuer.len)
			inspect_add(&v, IB_TLS_CERT_ISSUER, sd, (const uint8_t *)st->cert.issuer.data,
				    st->cert.issuer.len);
		if (st->cert.serial_text[0])
			inspect_add(&v, IB_TLS_CERT_SERIAL, sd, (const uint8_t *)st->cert.serial_text,
				    strlen(st->cert.serial_text));
	}
	if (ncerts) {
		struct sha1_ctx h;
		uint8_t d[SHA1_DIGEST_SIZE];
		sha1_init(&h);
		sha1_update(&h, cur_len(&certs[0]), cur_data(&certs[0]));
		sha1_digest(&h, sizeof(d), d);
		kg_hex_sep(d, sizeof(d), ':', false, fp);
		inspect_add(&v, IB_TLS_CERT_FINGERPRINT, sd, (const uint8_t *)fp, strlen(fp));
		for (size_t i = 0; i < ncerts; i++)
			inspect_add(&v, IB_TLS_CERTS, sd, cur_data(&certs[i]), cur_len(&certs[i]));
	}
	if (more_certs)
		v.overflow = true;
	if (dir == cd) {
		inspect_set_attr(&v, IA_TLS_VERSION, st->ch_version);
		inspect_set_attr(&v, IA_SSL_VERSIONS, st->sslv2_hello ? IA_SSLV_SSL2 : version_bit(st->ch_version));
		inspect_set_attr(&v, IA_SSL_STATE, IA_SSLS_CLIENT_HELLO);
	} else if (st->have_sh) {
		inspect_set_attr(&v, IA_TLS_VERSION, st->version);
		inspect_set_attr(&v, IA_SSL_VERSIONS, version_bit(st->version));
		inspect_set_attr(&v, IA_SSL_STATE, IA_SSLS_SERVER_HELLO);
	}
	inspect_progress(&v, st->ins_ready, newly);
	app_inspect(ctx, &v);
}

/* ------------------------------------------------------------- handshake */

static void on_client_hello(struct tls_state *st, struct cursor body)
{
	struct tls_hello h;
	if (tls_parse_hello(body, TLS_HS_CLIENT_HELLO, &h) != CUR_OK) {
		st->bad_records++;
		return;
	}
	st->have_ch = true;
	st->ch_version = h.version;
	st->nciphers_offered = h.nciphers_total;
	st->sni_len = KG_MIN(cur_len(&h.sni), sizeof(st->sni));
	if (st->sni_len)
		memcpy(st->sni, h.sni.p, st->sni_len);
	st->nalpn = h.nalpn;
	for (uint8_t i = 0; i < h.nalpn; i++) {
		st->alpn_len[i] = (uint8_t)KG_MIN(cur_len(&h.alpn[i]), (size_t)MAX_ALPN_LEN);
		memcpy(st->alpn[i], h.alpn[i].p, st->alpn_len[i]);
	}
	st->nclient_versions = (uint8_t)KG_MIN(h.nversions, (uint16_t)KG_ARRAY_LEN(st->client_versions));
	memcpy(st->client_versions, h.versions, st->nclient_versions * sizeof(uint16_t));
	st->hb_offered = h.heartbeat;
	st->hb_client_mode = h.heartbeat_mode;
	sb_reset(&st->ja3);
	tls_ja3_string(&h, &st->ja3);
	md5_hex(&st->ja3, st->ja3_md5);
}

static void on_server_hello(struct tls_state *st, struct cursor body)
{
	struct tls_hello h;
	if (tls_parse_hello(body, TLS_HS_SERVER_HELLO, &h) != CUR_OK) {
		st->bad_records++;
		return;
	}
	st->have_sh = true;
	st->sh_version = h.version;
	st->version = tls_hello_selected_version(&h);
	st->cipher = h.ciphers[0];
	st->hb_accepted = h.heartbeat;
	st->hb_server_mode = h.heartbeat_mode;
	sb_reset(&st->ja3s);
	tls_ja3s_string(&h, &st->ja3s);
	md5_hex(&st->ja3s, st->ja3s_md5);
	if (st->version == 0x0304) {
		/* TLS 1.3: everything after the ServerHello is encrypted */
		st->tls13 = true;
		st->d[st->cdir ^ 1].encrypted = true;
	}
}

/* Parse the complete handshake messages in the direction's buffer. */
static void drain_handshake(struct tls_state *st, struct app_ctx *ctx, enum flow_dir dir)
{
	struct tls_dir *ds = &st->d[dir];
	struct cursor c = cur_make(ds->hs, ds->hs_len);
	for (;;) {
		uint8_t type;
		uint32_t mlen;
		struct cursor t = c, body;
		if (!cur_u8(&t, &type) || !cur_be24(&t, &mlen))
			break;
		if (mlen > HS_MAX) {
			/* drop this message as it streams by */
			ds->hs_skip = (uint32_t)(mlen - KG_MIN((size_t)mlen, cur_len(&t)));
			cur_skip(&t, KG_MIN((size_t)mlen, cur_len(&t)));
			c = t;
			st->bad_records++;
			continue;
		}
		if (!cur_sub(&t, mlen, &body))
			break; /* message continues in the next record */
		c = t;
		switch (type) {
		case TLS_HS_CLIENT_HELLO:
			if (!st->have_ch) {
				/* the TLS client is whoever says hello first, usually the TCP client
				 * (a Meterpreter stage, for one, speaks TLS from the TCP server) */
				st->cdir = dir;
				on_client_hello(st, body);
				publish(st, ctx, IP_TLS_CLIENT_HELLO, dir, NULL, 0, false);
			}
			break;
		case TLS_HS_SERVER_HELLO:
			if (dir != st->cdir && st->have_ch && !st->have_sh) {
				on_server_hello(st, body);
				if (st->have_sh)
					publish(st, ctx, IP_TLS_SERVER_HELLO, dir, NULL, 0, false);
			}
			break;
		case TLS_HS_CERTIFICATE:
			if (dir != st->cdir && !st->have_cert && !st->tls13) {
				if (tls_parse_certificate(body, &st->cert) == CUR_OK)
					st->have_cert = true;
				else
					st->bad_records++;
				struct cursor chain[MAX_CERT_BUFS];
				bool more = false;
				size_t n = tls_certificate_chain(body, chain, MAX_CERT_BUFS, &more);
				/* a Certificate before any ServerHello: the ServerHello is past */
				publish(st, ctx, IP_TLS_SERVER_HELLO | IP_TLS_CERT, dir, chain, n, more);
			}
			break;
		case TLS_HS_SERVER_HELLO_DONE:
			emit_tls_event(st, ctx);
			break;
		default:
			break;
		}
	}
	/* keep the unparsed tail */
	size_t rest = cur_len(&c);
	if (rest && c.p != ds->hs)
		memmove(ds->hs, c.p, rest);
	ds->hs_len = (uint32_t)rest;
}

static void on_handshake_record(struct tls_state *st, struct app_ctx *ctx, enum flow_dir dir, struct cursor body)
{
	struct tls_dir *ds = &st->d[dir];
	if (ds->hs_skip) {
		size_t k = KG_MIN((size_t)ds->hs_skip, cur_len(&body));
		ds->hs_skip -= (uint32_t)k;
		cur_skip(&body, k);
	}
	size_t n = cur_len(&body);
	if (!n)
		return;
	if (ds->hs_len + n > HS_MAX) {
		ds->hs_len = 0; /* cannot be a message we keep: start over at the next record */
		st->bad_records++;
		return;
	}
	if (ds->hs_len + n > ds->hs_cap) {
		uint32_t ncap = ds->hs_cap ? ds->hs_cap : 4096;
		while (ncap < ds->hs_len + n)
			ncap *= 2;
		ds->hs = kg_realloc(ds->hs, ncap, "tls handshake buffer");
		ds->hs_cap = ncap;
	}
	memcpy(ds->hs + ds->hs_len, body.p, n);
	ds->hs_len += (uint32_t)n;
	drain_handshake(st, ctx, dir);
}

/* ------------------------------------------------------------- heartbeats */

static void note_attacker(struct tls_state *st, enum flow_dir dir)
{
	if (!st->attacker_known) {
		st->attacker_known = true;
		st->attacker_dir = dir;
	}
}

/* A new request from dir: checks shared by cleartext and encrypted requests. */
static void new_request(struct tls_state *st, struct app_ctx *ctx, enum flow_dir dir, bool encrypted, unsigned rec_len,
			int payload_length)
{
	struct tls_dir *ds = &st->d[dir];
	if (st->req.active && st->req.dir == dir && !st->req.answered)
		finding(st, ctx, HB_INFLIGHT, dir, encrypted, rec_len, payload_length, NULL, 0);
	ds->hb_requests++;
	memset(&st->req, 0, sizeof(st->req));
	st->req.active = true;
	st->req.encrypted = encrypted;
	st->req.dir = dir;
	st->req.rec_len = (uint16_t)rec_len;
	st->req.payload_length = payload_length >= 0 ? (uint16_t)payload_length : 0;
	if (!negotiated(st, dir)) {
		st->req.suspicious = true;
		note_attacker(st, dir);
		finding(st, ctx, HB_NOT_NEGOTIATED, dir, encrypted, rec_len, payload_length, NULL, 0);
	}
	enum flow_dir other = (enum flow_dir)(dir ^ 1);
	if (ds->hb_requests > st->d[other].hb_responses + 3)
		finding(st, ctx, HB_MANY, dir, encrypted, rec_len, payload_length, "unanswered",
			ds->hb_requests - st->d[other].hb_responses);
}

/* A response record (or one record of a multi-record response) from dir. */
static void response_record(struct tls_state *st, struct app_ctx *ctx, enum flow_dir dir, bool encrypted,
			    unsigned rec_len, int payload_length, bool first_of_message)
{
	struct hb_req *r = &st->req;
	if (first_of_message) {
		st->d[dir].hb_responses++;
		r->answered = true;
	}
	r->resp_records++;
	r->resp_bytes += rec_len;
	if (!r->suspicious && !(encrypted && r->resp_bytes >= (uint64_t)r->rec_len + 256))
		return;
	uint64_t leak;
	bool estimated = encrypted || r->encrypted;
	if (!estimated && first_of_message && payload_length >= 0) {
		/* bytes returned beyond what the request carried */
		uint64_t carried = r->rec_len >= 3 ? r->rec_len - 3u : 0;
		leak = (uint64_t)payload_length > carried ? (uint64_t)payload_length - carried : 0;
	} else if (!estimated) {
		leak = 0; /* continuation records: counted with the first */
	} else {
		/* from lengths: this record's plaintext (less the heartbeat header and padding for
		 * the first record) beyond the payload the request could carry */
		unsigned plain = plaintext_max(st, rec_len);
		unsigned carried = 0; /* continuation records are all payload */
		if (r->resp_records == 1) {
			/* the response's own header and padding, and the payload the
			 * request may have carried */
			unsigned req_plain = plaintext_max(st, r->rec_len);
			unsigned req_payload = req_plain > 3 ? req_plain - 3 : 0;
			carried = req_payload + 19;
		}
		leak = plain > carried ? plain - carried : 0;
		st->leaked_estimated = true;
	}
	st->leaked_bytes += leak;
	bool larger = !encrypted || r->resp_bytes > r->rec_len;
	if (larger && (r->suspicious || leak > 0) && (first_of_message || !r->leak_alerted)) {
		/* counted once per response message, however many records it takes */
		r->leak_alerted = true;
		note_attacker(st, r->dir);
		finding(st, ctx, HB_SUCCESS, dir, encrypted, rec_len, payload_length, "leaked_bytes", leak);
	}
}

static void on_heartbeat(struct tls_state *st, struct app_ctx *ctx, enum flow_dir dir, const struct tls_record_hdr *h,
			 struct cursor body)
{
	struct tls_dir *ds = &st->d[dir];
	enum flow_dir other = (enum flow_dir)(dir ^ 1);
	unsigned rec_len = h->length;
	st->any_hb = true;
	ds->hb_records++;
	if (!st->first_hb_us)
		st->first_hb_us = ctx->ts_us;
	st->last_hb_us = ctx->ts_us;

	if (ds->encrypted) {
		/* Only the length is visible. A record from the side that has no request
		 * outstanding towards it is a new request; from the answering side, part of
		 * the response. */
		bool is_response = st->req.active && st->req.dir == other;
		if (st->tls13)
			finding(st, ctx, HB_NOT_NEGOTIATED, dir, true, rec_len, -1, NULL, 0);
		if (!is_response) {
			new_request(st, ctx, dir, true, rec_len, -1);
			if (st->d[0].appdata_records + st->d[1].appdata_records == 0) {
				st->req.suspicious = true;
				note_attacker(st, dir);
				finding(st, ctx, HB_EARLY, dir, true, rec_len, -1, NULL, 0);
			}
			unsigned min = tls_min_heartbeat_record(cipher(st), st->version);
			if (rec_len < 19 || (min && rec_len < min)) {
				st->req.suspicious = true;
				note_attacker(st, dir);
				finding(st, ctx, HB_ODD_LENGTH, dir, true, rec_len, -1, "minimum_length", min ? min : 19);
			}
		} else {
			/* consecutive records of one response: a full-size record is followed by more */
			bool first = st->req.resp_records == 0 || ds->hb_cont == 0;
			response_record(st, ctx, dir, true, rec_len, -1, first);
			unsigned plain = plaintext_max(st, rec_len);
			ds->hb_cont = plain >= 16384 ? 1 : 0;
		}
		return;
	}

	/* cleartext */
	if (ds->hb_cont) {
		/* continuation of a heartbeat message larger than one record */
		ds->hb_cont = rec_len >= ds->hb_cont ? 0 : ds->hb_cont - rec_len;
		if (st->req.active && st->req.dir == other)
			response_record(st, ctx, dir, false, rec_len, -1, false);
		return;
	}
	struct tls_heartbeat hb;
	if (rec_len < 3 || tls_parse_heartbeat(body, &hb) != CUR_OK) {
		finding(st, ctx, HB_INVALID, dir, false, rec_len, -1, NULL, 0);
		return;
	}
	uint32_t msg_len = 3u + hb.payload_length + 16u;
	if (hb.type == 1) {
		new_request(st, ctx, dir, false, rec_len, hb.payload_length);
		if (msg_len > rec_len) {
			st->req.suspicious = true;
			note_attacker(st, dir);
			uint32_t overread = 3u + hb.payload_length > rec_len ? 3u + hb.payload_length - rec_len : 0;
			finding(st, ctx, HB_OVERFLOW, dir, false, rec_len, hb.payload_length, "overread_bytes", overread);
		} else if (dir == st->cdir) {
			finding(st, ctx, HB_SCAN, dir, false, rec_len, hb.payload_length, NULL, 0);
		}
	} else if (hb.type == 2) {
		/* a response longer than one record continues in the next ones */
		if (msg_len > rec_len && hb.payload_length + 3u > rec_len)
			ds->hb_cont = hb.payload_length + 3u - rec_len;
		if (!(st->req.active && st->req.dir == other) || st->req.answered) {
			/* no request outstanding, or it was answered already */
			finding(st, ctx, HB_UNSOLICITED, dir, false, rec_len, hb.payload_length, NULL, 0);
			return;
		}
		response_record(st, ctx, dir, false, rec_len, hb.payload_length, true);
	} else {
		finding(st, ctx, HB_INVALID, dir, false, rec_len, hb.payload_length, "heartbeat_type", hb.type);
	}
}

/* --------------------------------------------------------------- records */

/* After a gap: the offset of the next plausible record header (two in a row when
 * the buffer holds them), or -1. */
static long find_record(const uint8_t *data, size_t len)
{
	size_t lim = KG_MIN(len, (size_t)RESYNC_WINDOW);
	for (size_t i = 0; i + TLS_RECORD_HEADER_LEN <= lim; i++) {
		struct cursor c = cur_make(data + i, len - i);
		struct tls_record_hdr h;
		if (tls_record_header(&c, &h) != CUR_OK || h.length == 0)
			continue;
		struct cursor next;
		struct tls_record_hdr h2;
		if (cur_tail(&c, h.length, &next)) {
			enum cur_status s2 = tls_record_header(&next, &h2);
			if (s2 == CUR_INVALID)
				continue;
		}
		return (long)i;
	}
	return -1;
}

static enum app_status parse_dir(struct tls_state *st, struct app_ctx *ctx, enum flow_dir dir, const uint8_t *data,
				 size_t len, unsigned flags, size_t *consumed)
{
	struct tls_dir *ds = &st->d[dir];
	*consumed = 0;
	if (flags & APP_FLAG_GAP) {
		ds->resync = true;
		ds->hs_len = 0;
		ds->hs_skip = 0;
		ds->hb_cont = 0;
	}
	if (flags & APP_FLAG_EOF)
		return APP_OK;
	struct cursor c = cur_make(data, len);
	if (ds->resync) {
		long at = find_record(data, len);
		if (at < 0) {
			/* keep the last bytes: a header may straddle the next delivery */
			*consumed = len > TLS_RECORD_HEADER_LEN ? KG_MIN(len - TLS_RECORD_HEADER_LEN, (size_t)RESYNC_WINDOW) : 0;
			return APP_OK;
		}
		cur_skip(&c, (size_t)at);
		ds->resync = false;
	}
	if (!ds->sslv2_checked && dir == DIR_TO_SERVER && ds->records == 0) {
		uint16_t v;
		size_t l;
		enum cur_status s = tls_sslv2_hello(&c, &v, &l);
		if (s == CUR_TRUNCATED)
			return APP_OK;
		ds->sslv2_checked = true;
		if (s == CUR_OK) {
			st->sslv2_hello = true;
			st->have_ch = true;
			st->ch_version = v;
			ds->records++;
			publish(st, ctx, IP_TLS_CLIENT_HELLO, dir, NULL, 0, false);
			*consumed = l; /* the rest follows as TLS records */
			return APP_OK;
		}
	}
	ds->sslv2_checked = true;
	for (int n = 0; n < MAX_RECORDS_PER_CALL; n++) {
		struct cursor t = c;
		struct tls_record_hdr h;
		enum cur_status s = tls_record_header(&t, &h);
		if (s == CUR_TRUNCATED)
			break;
		if (s == CUR_INVALID) {
			st->bad_records++;
			if (ds->records == 0) {
				/* no record yet this way: the protocol may start later in the
				 * stream (a payload before the TLS session): look for it */
				ds->resync = true;
				*consumed = len - cur_len(&c) + 1;
				return APP_OK;
			}
			app_raise_event(ctx, "tls.invalid_record");
			return APP_ERROR; /* not (or no longer) TLS */
		}
		size_t need = 0;
		if (!ds->encrypted && (h.type == TLS_CT_HANDSHAKE))
			need = h.length;
		else if (!ds->encrypted && h.type == TLS_CT_HEARTBEAT && !ds->hb_cont)
			need = KG_MIN((size_t)h.length, (size_t)3);
		if (cur_len(&t) < need)
			break; /* wait for the rest of the record */
		struct cursor body;
		cur_window(&t, 0, KG_MIN((size_t)h.length, cur_len(&t)), &body);
		ds->records++;
		switch (h.type) {
		case TLS_CT_CHANGE_CIPHER_SPEC:
			ds->encrypted = true;
			if (dir != st->cdir)
				emit_tls_event(st, ctx);
			break;
		case TLS_CT_HANDSHAKE:
			if (!ds->encrypted)
				on_handshake_record(st, ctx, dir, body);
			break;
		case TLS_CT_APPLICATION_DATA:
			ds->appdata_records++;
			ds->encrypted = true; /* TLS 1.3 client, or after CCS */
			emit_tls_event(st, ctx);
			break;
		case TLS_CT_HEARTBEAT:
			on_heartbeat(st, ctx, dir, &h, body);
			break;
		default:
			break;
		}
		size_t total = TLS_RECORD_HEADER_LEN + (size_t)h.length;
		if (total <= cur_len(&c)) {
			cur_skip(&c, total);
			continue;
		}
		/* the record's body runs past what we have: skip it as it arrives */
		*consumed = (len - cur_len(&c)) + total;
		return APP_OK;
	}
	*consumed = len - cur_len(&c);
	return APP_OK;
}

/* -------------------------------------------------------------- dissector */

static enum probe_result tls_probe(const uint8_t *data, size_t len, enum flow_dir dir, unsigned flags)
{
	(void)flags;
	struct cursor c = cur_make(data, len);
	uint8_t b0;
	if (!cur_peek_u8(&c, 0, &b0))
		return PROBE_MORE;
	if (dir == DIR_TO_SERVER && (b0 & 0x80)) {
		uint16_t v;
		size_t l;
		enum cur_status s = tls_sslv2_hello(&c, &v, &l);
		return s == CUR_OK ? PROBE_YES : s == CUR_TRUNCATED ? PROBE_MORE : PROBE_NO;
	}
	if (b0 < TLS_CT_CHANGE_CIPHER_SPEC || b0 > TLS_CT_HEARTBEAT)
		return PROBE_NO;
	struct tls_record_hdr h;
	enum cur_status s = tls_record_header(&c, &h);
	if (s == CUR_TRUNCATED)
		return PROBE_MORE;
	if (s != CUR_OK || h.length == 0)
		return PROBE_NO;
	if (h.type == TLS_CT_HANDSHAKE) {
		/* a ClientHello or ServerHello must follow */
		uint8_t ht;
		if (!cur_peek_u8(&c, 0, &ht))
			return PROBE_MORE;
		return ht == TLS_HS_CLIENT_HELLO || ht == TLS_HS_SERVER_HELLO ? PROBE_YES : PROBE_NO;
	}
	/* picked up mid-session: a TLS <= 1.2 record header must be followed by another */
	if ((h.version & 0xff) > 3)
		return PROBE_NO;
	struct cursor next;
	if (!cur_tail(&c, h.length, &next) || cur_len(&next) < TLS_RECORD_HEADER_LEN)
		return len < 2048 ? PROBE_MORE : PROBE_NO;
	struct tls_record_hdr h2;
	return tls_record_header(&next, &h2) == CUR_OK ? PROBE_YES : PROBE_NO;
}

static void *tls_new(const struct app_ctx *ctx)
{
	(void)ctx;
	struct tls_state *st = kg_calloc(1, sizeof(*st), "tls state");
	sb_init(&st->ja3, 8192);
	sb_init(&st->ja3s, 2048);
	sb_init(&st->cert.subject, 2048);
	sb_init(&st->cert.issuer, 2048);
	return st;
}

static void tls_free(void *p)
{
	struct tls_state *st = p;
	if (!st)
		return;
	free(st->d[0].hs);
	free(st->d[1].hs);
	sb_free(&st->ja3);
	sb_free(&st->ja3s);
	sb_free(&st->cert.subject);
	sb_free(&st->cert.issuer);
	free(st);
}

static enum app_status tls_parse_ts(void *state, struct app_ctx *ctx, const uint8_t *data, size_t len, unsigned flags,
				    size_t *consumed)
{
	return parse_dir(state, ctx, DIR_TO_SERVER, data, len, flags, consumed);
}

static enum app_status tls_parse_tc(void *state, struct app_ctx *ctx, const uint8_t *data, size_t len, unsigned flags,
				    size_t *consumed)
{
	return parse_dir(state, ctx, DIR_TO_CLIENT, data, len, flags, consumed);
}

static const char *verdict(const struct tls_state *st)
{
	if (st->kind_count[HB_SUCCESS])
		return "success";
	if (st->kind_count[HB_OVERFLOW] || st->kind_count[HB_ODD_LENGTH] || st->kind_count[HB_NOT_NEGOTIATED] ||
	    st->kind_count[HB_EARLY])
		return "attempt";
	if (st->kind_count[HB_SCAN])
		return "scan";
	for (int k = 0; k < HB__KINDS; k++)
		if (st->kind_count[k])
			return "anomaly";
	return "benign";
}

static void tls_flow_end(void *state, struct app_ctx *ctx)
{
	struct tls_state *st = state;
	/* the progress points never reached (no ServerHello, no Certificate: TLS 1.3, a cut session) */
	publish(st, ctx, IP_TLS_CLIENT_HELLO | IP_TLS_SERVER_HELLO | IP_TLS_CERT, (enum flow_dir)(st->cdir ^ 1), NULL,
		0, false);
	emit_tls_event(st, ctx);
	if (!st->any_hb)
		return;
	const char *v = verdict(st);
	enum flow_dir adir = st->attacker_known ? st->attacker_dir : DIR_TO_SERVER;
	if (strcmp(v, "attempt") == 0) {
		/* the requests went unanswered: a patched or not vulnerable server */
		struct tls_dir *a = &st->d[adir];
		finding(st, ctx, HB_ATTEMPT, adir, a->encrypted, st->req.rec_len, -1, "unanswered_requests",
			a->hb_requests);
	}
	struct event *ev = event_begin(ctx->em, "heartbleed", st->first_hb_us);
	event_flow(ev, ctx->flow, DIR_TO_SERVER);
	ev_map(ev, "heartbleed");
	ev_str(ev, "verdict", v);
	if (st->attacker_known) {
		ev_ip_dir(ev, "attacker", ctx->flow, adir);
		ev_ip_dir(ev, "victim", ctx->flow, (enum flow_dir)(adir ^ 1));
	}
	ev_u64(ev, "leaked_bytes", st->leaked_bytes);
	ev_bool(ev, "leaked_bytes_estimated", st->leaked_estimated);
	ev_u64(ev, "requests_to_server", st->d[DIR_TO_SERVER].hb_requests);
	ev_u64(ev, "requests_to_client", st->d[DIR_TO_CLIENT].hb_requests);
	ev_u64(ev, "responses_to_client", st->d[DIR_TO_CLIENT].hb_responses);
	ev_u64(ev, "responses_to_server", st->d[DIR_TO_SERVER].hb_responses);
	ev_u64(ev, "records_to_server", st->d[DIR_TO_SERVER].hb_records);
	ev_u64(ev, "records_to_client", st->d[DIR_TO_CLIENT].hb_records);
	ev_bool(ev, "encrypted", st->d[0].encrypted || st->d[1].encrypted);
	ev_bool(ev, "extension_negotiated", negotiated(st, st->cdir));
	ev_str(ev, "tls_version", tls_version_name(st->version));
	if (st->have_sh) {
		const struct tls_cipher_info *ci = cipher(st);
		ev_u64(ev, "cipher_suite", st->cipher);
		if (ci)
			ev_str(ev, "cipher", ci->name);
	}
	ev_time(ev, "first_seen", st->first_hb_us);
	ev_time(ev, "last_seen", st->last_hb_us);
	ev_map(ev, "counts");
	for (int k = 0; k < HB__KINDS; k++)
		if (st->kind_count[k])
			ev_u64(ev, hb_kinds[k].name, st->kind_count[k]);
	ev_end_map(ev);
	ev_end_map(ev);
	event_end(ev);
}

static const uint16_t tls_ports[] = {443, 465, 563, 636, 853, 989, 990, 992, 993, 994, 995, 4443, 8443, 0};

const struct dissector tls_dissector = {
	.name = "tls",
	.ipproto = 6,
	.ports = tls_ports,
	.ports_only = false,
	.probe = tls_probe,
	.state_new = tls_new,
	.state_free = tls_free,
	.parse_ts = tls_parse_ts,
	.parse_tc = tls_parse_tc,
	.flow_end = tls_flow_end,
};
