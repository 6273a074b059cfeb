/* inspect.c - the table of inspection buffers and the transaction view (see inspect.h). The names
 * and their meaning are Suricata's (doc/userguide/rules/http-keywords.rst, dns-keywords.rst,
 * tls-keywords.rst, file-keywords.rst, smb-keywords.rst). */
#include "config.h"

#include "inspect.h"

#include <string.h>

#define TS IBD_TS
#define TC IBD_TC
#define BOTH IBD_BOTH
#define HQ IP_HTTP_REQ_HEADERS
#define HQB IP_HTTP_REQ_BODY
#define HR IP_HTTP_RESP_HEADERS
#define HRB IP_HTTP_RESP_BODY

const struct ib_def ib_table[IB__COUNT] = {
	[IB_NONE] = {IB_NONE, "", NULL, NULL, 0, "", 0, 0, 0, false},
	[IB_HTTP_URI] = {IB_HTTP_URI, "http.uri", "http_uri", NULL, 'U', "http", TS, HQ, 0, false},
	[IB_HTTP_URI_RAW] = {IB_HTTP_URI_RAW, "http.uri.raw", "http_raw_uri", NULL, 'I', "http", TS, HQ, 0, false},
	[IB_HTTP_METHOD] = {IB_HTTP_METHOD, "http.method", "http_method", NULL, 'M', "http", TS, HQ, 0, false},
	[IB_HTTP_PROTOCOL] = {IB_HTTP_PROTOCOL, "http.protocol", "http_protocol", NULL, 0, "http", BOTH, HQ, HR, false},
	[IB_HTTP_REQUEST_LINE] = {IB_HTTP_REQUEST_LINE, "http.request_line", "http_request_line", NULL, 0, "http", TS,
				  HQ, 0, false},
	[IB_HTTP_HEADER] = {IB_HTTP_HEADER, "http.header", "http_header", NULL, 'H', "http", BOTH, HQ, HR, false},
	[IB_HTTP_HEADER_RAW] = {IB_HTTP_HEADER_RAW, "http.header.raw", "http_raw_header", NULL, 'D', "http", BOTH, HQ, HR,
				false},
	[IB_HTTP_HEADER_NAMES] = {IB_HTTP_HEADER_NAMES, "http.header_names", "http_header_names", NULL, 0, "http", BOTH,
				  HQ, HR, false},
	[IB_HTTP_COOKIE] = {IB_HTTP_COOKIE, "http.cookie", "http_cookie", NULL, 'C', "http", BOTH, HQ, HR, false},
	[IB_HTTP_USER_AGENT] = {IB_HTTP_USER_AGENT, "http.user_agent", "http_user_agent", NULL, 'V', "http", TS, HQ, 0,
				false},
	[IB_HTTP_HOST] = {IB_HTTP_HOST, "http.host", "http_host", NULL, 'W', "http", TS, HQ, 0, false},
	[IB_HTTP_HOST_RAW] = {IB_HTTP_HOST_RAW, "http.host.raw", "http_raw_host", NULL, 'Z', "http", TS, HQ, 0, false},
	[IB_HTTP_ACCEPT] = {IB_HTTP_ACCEPT, "http.accept", "http_accept", NULL, 0, "http", TS, HQ, 0, false},
	[IB_HTTP_ACCEPT_ENC] = {IB_HTTP_ACCEPT_ENC, "http.accept_enc", "http_accept_enc", NULL, 0, "http", TS, HQ, 0,
				false},
	[IB_HTTP_ACCEPT_LANG] = {IB_HTTP_ACCEPT_LANG, "http.accept_lang", "http_accept_lang", NULL, 0, "http", TS, HQ, 0,
				 false},
	[IB_HTTP_REFERER] = {IB_HTTP_REFERER, "http.referer", "http_referer", NULL, 0, "http", TS, HQ, 0, false},
	[IB_HTTP_CONNECTION] = {IB_HTTP_CONNECTION, "http.connection", "http_connection", NULL, 0, "http", BOTH, HQ, HR,
				false},
	[IB_HTTP_CONTENT_TYPE] = {IB_HTTP_CONTENT_TYPE, "http.content_type", "http_content_type", NULL, 0, "http", BOTH,
				  HQ, HR, false},
	[IB_HTTP_CONTENT_LEN] = {IB_HTTP_CONTENT_LEN, "http.content_len", "http_content_len", NULL, 0, "http", BOTH, HQ,
				 HR, false},
	[IB_HTTP_START] = {IB_HTTP_START, "http.start", "http_start", NULL, 0, "http", BOTH, HQ, HR, false},
	[IB_HTTP_REQUEST_BODY] = {IB_HTTP_REQUEST_BODY, "http.request_body", "http_client_body", NULL, 'P', "http", TS,
				  HQB, 0, false},
	[IB_HTTP_STAT_CODE] = {IB_HTTP_STAT_CODE, "http.stat_code", "http_stat_code", NULL, 'S', "http", TC, 0, HR, false},
	[IB_HTTP_STAT_MSG] = {IB_HTTP_STAT_MSG, "http.stat_msg", "http_stat_msg", NULL, 'Y', "http", TC, 0, HR, false},
	[IB_HTTP_RESPONSE_LINE] = {IB_HTTP_RESPONSE_LINE, "http.response_line", "http_response_line", NULL, 0, "http",
				   TC, 0, HR, false},
	[IB_HTTP_RESPONSE_BODY] = {IB_HTTP_RESPONSE_BODY, "http.response_body", "http_server_body", NULL, 'Q', "http",
				   TC, 0, HRB, false},
	[IB_HTTP_LOCATION] = {IB_HTTP_LOCATION, "http.location", NULL, NULL, 0, "http", TC, 0, HR, false},
	[IB_HTTP_SERVER] = {IB_HTTP_SERVER, "http.server", NULL, NULL, 0, "http", TC, 0, HR, false},
	[IB_FILE_DATA] = {IB_FILE_DATA, "file.data", "file_data", NULL, 0, "http", BOTH, HQB, HRB, true},
	[IB_DNS_QUERY] = {IB_DNS_QUERY, "dns.query", "dns_query", NULL, 0, "dns", TS, IP_DNS_QUERY, 0, true},
	[IB_TLS_SNI] = {IB_TLS_SNI, "tls.sni", "tls_sni", NULL, 0, "tls", TS, IP_TLS_CLIENT_HELLO, 0, false},
	[IB_TLS_CERT_SUBJECT] = {IB_TLS_CERT_SUBJECT, "tls.cert_subject", "tls_cert_subject", NULL, 0, "tls", TC, 0,
				 IP_TLS_CERT, false},
	[IB_TLS_CERT_ISSUER] = {IB_TLS_CERT_ISSUER, "tls.cert_issuer", "tls_cert_issuer", NULL, 0, "tls", TC, 0,
				IP_TLS_CERT, false},
	[IB_TLS_CERT_SERIAL] = {IB_TLS_CERT_SERIAL, "tls.cert_serial", "tls_cert_serial", NULL, 0, "tls", TC, 0,
				IP_TLS_CERT, false},
	[IB_TLS_CERT_FINGERPRINT] = {IB_TLS_CERT_FINGERPRINT, "tls.cert_fingerprint", "tls_cert_fingerprint", NULL, 0,
				     "tls", TC, 0, IP_TLS_CERT, false},
	[IB_TLS_CERTS] = {IB_TLS_CERTS, "tls.certs", NULL, NULL, 0, "tls", TC, 0, IP_TLS_CERT, true},
	[IB_JA3_HASH] = {IB_JA3_HASH, "ja3.hash", "ja3_hash", NULL, 0, "tls", TS, IP_TLS_CLIENT_HELLO, 0, false},
	[IB_JA3_STRING] = {IB_JA3_STRING, "ja3.string", "ja3_string", NULL, 0, "tls", TS, IP_TLS_CLIENT_HELLO, 0, false},
	[IB_JA3S_HASH] = {IB_JA3S_HASH, "ja3s.hash", "ja3s_hash", NULL, 0, "tls", TC, 0, IP_TLS_SERVER_HELLO, false},
	[IB_JA3S_STRING] = {IB_JA3S_STRING, "ja3s.string", "ja3s_string", NULL, 0, "tls", TC, 0, IP_TLS_SERVER_HELLO,
			    false},
	[IB_SMB_NAMED_PIPE] = {IB_SMB_NAMED_PIPE, "smb.named_pipe", NULL, NULL, 0, "smb", TS, IP_SMB_REQUEST, 0, false},
	[IB_SMB_SHARE] = {IB_SMB_SHARE, "smb.share", NULL, NULL, 0, "smb", TS, IP_SMB_REQUEST, 0, false},
};

const struct ib_def *ib_lookup(const char *name)
{
	if (!name || !*name)
		return NULL;
	for (size_t i = 1; i < IB__COUNT; i++) {
		const struct ib_def *d = &ib_table[i];
		if (!strcmp(d->name, name) || (d->legacy && !strcmp(d->legacy, name)) ||
		    (d->legacy2 && !strcmp(d->legacy2, name)))
			return d;
	}
	return NULL;
}

const struct ib_def *ib_lookup_pcre(char flag)
{
	if (!flag)
		return NULL;
	for (size_t i = 1; i < IB__COUNT; i++)
		if (ib_table[i].pcre_flag == flag)
			return &ib_table[i];
	return NULL;
}

uint32_t ib_first_progress(const char *app, enum flow_dir dir)
{
	if (!app)
		return 0;
	if (!strcmp(app, "http"))
		return dir == DIR_TO_SERVER ? IP_HTTP_REQ_HEADERS : IP_HTTP_RESP_HEADERS;
	if (!strcmp(app, "dns"))
		return dir == DIR_TO_SERVER ? IP_DNS_QUERY : IP_DNS_RESPONSE;
	if (!strcmp(app, "tls"))
		return dir == DIR_TO_SERVER ? IP_TLS_CLIENT_HELLO : IP_TLS_SERVER_HELLO;
	if (!strcmp(app, "smb"))
		return dir == DIR_TO_SERVER ? IP_SMB_REQUEST : 0;
	return 0;
}

void inspect_tx_init(struct inspect_tx *tx, const char *app, uint64_t tx_id, enum flow_dir dir)
{
	tx->app = app;
	tx->tx_id = tx_id;
	tx->dir = dir;
	tx->ready = tx->newly = 0;
	tx->attr_set = 0;
	tx->n = 0;
	tx->overflow = false;
}

void inspect_add(struct inspect_tx *tx, enum ib_id id, enum flow_dir dir, const uint8_t *p, size_t len)
{
	if (!p || (unsigned)id >= IB__COUNT || id == IB_NONE)
		return;
	if (tx->n >= INSPECT_TX_MAX_BUFS) {
		tx->overflow = true;
		return;
	}
	tx->bufs[tx->n].id = (uint16_t)id;
	tx->bufs[tx->n].dir = (uint8_t)dir;
	tx->bufs[tx->n].b.p = p;
	tx->bufs[tx->n].b.len = len;
	tx->n++;
}

void inspect_set_attr(struct inspect_tx *tx, enum ia_id a, uint32_t v)
{
	if ((unsigned)a >= IA__COUNT)
		return;
	tx->attr[a] = v;
	tx->attr_set |= 1u << a;
}

void inspect_progress(struct inspect_tx *tx, uint32_t ready, uint32_t newly)
{
	tx->ready = ready;
	tx->newly = newly & ready;
}

size_t inspect_count(const struct inspect_tx *tx, enum ib_id id, enum flow_dir dir)
{
	size_t k = 0;
	for (size_t i = 0; i < tx->n; i++)
		if (tx->bufs[i].id == id && tx->bufs[i].dir == dir)
			k++;
	return k;
}

const struct ib_buf *inspect_get(const struct inspect_tx *tx, enum ib_id id, enum flow_dir dir, size_t k)
{
	for (size_t i = 0; i < tx->n; i++)
		if (tx->bufs[i].id == id && tx->bufs[i].dir == dir && k-- == 0)
			return &tx->bufs[i].b;
	return NULL;
}

bool inspect_attr(const struct inspect_tx *tx, enum ia_id a, uint32_t *v)
{
	if ((unsigned)a >= IA__COUNT || !(tx->attr_set & (1u << a)))
		return false;
	*v = tx->attr[a];
	return true;
}
