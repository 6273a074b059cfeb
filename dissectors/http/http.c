/* http.c - HTTP/1.0 and HTTP/1.1 (RFC 9110, RFC 9112; HTTP/0.9 requests) in both directions, parsed
 * by libhtp 0.5 configured as Suricata 4.1 configures it (its "IDS" personality): `http` events per
 * transaction with EVE's field names, `fileinfo` events per transferred body with its SHA-256, the
 * inspection buffers of every transaction (dissectors/inspect.h), app-layer events for ambiguous
 * and malformed messages (request smuggling traps), and the WannaCry kill-switch detection on the
 * Host header. Wire-level helpers (multipart bodies, parameters, Content-Range, buffer builders) are
 * in http_records.c.
 *
 * libhtp pairs responses with requests by order (pipelining), handles persistent connections,
 * interim 1xx answers, HTTP/0.9, Content-Length and chunked bodies, URI and host normalisation.
 * What this file adds:
 *   - transactions: one struct http_tx per libhtp transaction (its user data), in a list per flow
 *     in request order, capped (HTTP_MAX_OPEN_TX); the oldest is finished early at the cap;
 *   - bodies: kept up to --http-body-limit per direction for inspection, hashed whole for files;
 *     content codings of answers are undone here with zlib (libhtp's deflate decoding depends
 *     on how the body is cut) and multipart request bodies split into parts here (libhtp's own
 *     multipart parser loses bytes when bodies arrive in small pieces);
 *   - gaps: inside a body of known length libhtp steps over them (the file is marked); elsewhere
 *     the message in progress is finished as cut short and the direction resynchronises on the
 *     next request or status line (with a fresh libhtp parser when a message was in progress);
 *   - CONNECT answered 2xx and 101 Switching Protocols hand the rest of the stream back to
 *     protocol recognition (app_reprobe());
 *   - caps: header fields per message (libhtp), header bytes kept per message, body bytes kept,
 *     open transactions per flow, libhtp transactions per parser (the parser is replaced while
 *     idle), every cap counted in stats.app_layer.http.
 */
#include "config.h"

#include <htp/htp.h>
#include <nettle/sha2.h>
#include <stdlib.h>
#include <string.h>

#include "dissectors/dissector.h"
#include "dissectors/dns/dns_records.h"
#include "dissectors/inspect.h"
#include "http_records.h"
#include "output/alert.h"
#include "util/util.h"

#define HTTP_MAX_OPEN_TX 256           /* transactions held per flow (pipelined, awaiting answers) */
#define HTTP_HEADER_BYTES_MAX 65536    /* header block bytes kept per message (raw and built buffers) */
#define HTTP_HEADERS_MAX 256           /* header fields per message (libhtp's limit) */
#define HTTP_FIELD_LIMIT_SOFT 9000     /* libhtp line buffering, as Suricata sets it */
#define HTTP_FIELD_LIMIT_HARD 18000
#define HTTP_FLOW_HELD_MAX (4u << 20)  /* bytes held by the open transactions of one flow */
#define HTTP_TX_RECYCLE 1024           /* libhtp transactions per parser before it is replaced */
#define HTTP_UPLOADS_MAX 16            /* files per request (multipart parts with a file name) */

static const struct alert_info killswitch_ai = {
	1, 9003003, 1, "KAGAMI HTTP WannaCry kill-switch domain in an HTTP Host header", "trojan-activity", 1};

/* ------------------------------------------------------------ anomalies */

/* App-layer events (names as Suricata's http events where it has one). */
enum http_anom {
	HA_INVALID_CL_REQ = 0,
	HA_INVALID_CL_RESP,
	HA_INVALID_TE_REQ,
	HA_INVALID_TE_RESP,
	HA_SMUGGLING,
	HA_CL_LEADING_ZEROS,
	HA_FOLDING_REQ,
	HA_FOLDING_RESP,
	HA_INVALID_FOLDING_REQ,
	HA_INVALID_FOLDING_RESP,
	HA_MISSING_HOST,
	HA_HOST_AMBIGUOUS,
	HA_URI_HOST_INVALID,
	HA_HEADER_HOST_INVALID,
	HA_REQ_HEADER_INVALID,
	HA_RESP_HEADER_INVALID,
	HA_REQ_CHUNK_LEN,
	HA_RESP_CHUNK_LEN,
	HA_REQ_FIELD_TOO_LONG,
	HA_RESP_FIELD_TOO_LONG,
	HA_TOO_MANY_HEADERS,
	HA_HEADERS_TOO_LONG,
	HA_DECOMPRESSION_FAILED,
	HA_UNMATCHED_RESPONSE,
	HA_URI_DELIM,
	HA_METHOD_DELIM,
	HA_LEADING_WHITESPACE,
	HA_STATUS_LINE_INVALID,
	HA_REQUEST_LINE_INVALID,
	HA_HTTP09_EXTRA,
	HA_REQUEST_BODY_UNEXPECTED,
	HA_RESPONSE_BODY_UNEXPECTED,
	HA_MULTIPART_INVALID_HEADER,
	HA_MULTIPART_GENERIC,
	HA_MULTIPART_NO_FILEDATA,
	HA_RANGE_INVALID,
	HA_BYTERANGES,
	HA_COMPRESSION_BOMB,
	HA_TOO_MANY_LAYERS,
	HA_GAP,
	HA__COUNT
};

static const char *const anom_names[HA__COUNT] = {
	[HA_INVALID_CL_REQ] = "http.invalid_content_length_field_in_request",
	[HA_INVALID_CL_RESP] = "http.invalid_content_length_field_in_response",
	[HA_INVALID_TE_REQ] = "http.invalid_transfer_encoding_value_in_request",
	[HA_INVALID_TE_RESP] = "http.invalid_transfer_encoding_value_in_response",
	[HA_SMUGGLING] = "http.request_smuggling",
	[HA_CL_LEADING_ZEROS] = "http.content_length_leading_zeros",
	[HA_FOLDING_REQ] = "http.request_obsolete_line_folding",
	[HA_FOLDING_RESP] = "http.response_obsolete_line_folding",
	[HA_INVALID_FOLDING_REQ] = "http.invalid_request_field_folding",
	[HA_INVALID_FOLDING_RESP] = "http.invalid_response_field_folding",
	[HA_MISSING_HOST] = "http.missing_host_header",
	[HA_HOST_AMBIGUOUS] = "http.host_header_ambiguous",
	[HA_URI_HOST_INVALID] = "http.request_uri_host_invalid",
	[HA_HEADER_HOST_INVALID] = "http.request_header_host_invalid",
	[HA_REQ_HEADER_INVALID] = "http.request_header_invalid",
	[HA_RESP_HEADER_INVALID] = "http.response_header_invalid",
	[HA_REQ_CHUNK_LEN] = "http.invalid_request_chunk_len",
	[HA_RESP_CHUNK_LEN] = "http.invalid_response_chunk_len",
	[HA_REQ_FIELD_TOO_LONG] = "http.request_field_too_long",
	[HA_RESP_FIELD_TOO_LONG] = "http.response_field_too_long",
	[HA_TOO_MANY_HEADERS] = "http.too_many_headers",
	[HA_HEADERS_TOO_LONG] = "http.header_block_too_long",
	[HA_DECOMPRESSION_FAILED] = "http.gzip_decompression_failed",
	[HA_UNMATCHED_RESPONSE] = "http.unable_to_match_response_to_request",
	[HA_URI_DELIM] = "http.uri_delim_non_compliant",
	[HA_METHOD_DELIM] = "http.method_delim_non_compliant",
	[HA_LEADING_WHITESPACE] = "http.request_line_leading_whitespace",
	[HA_STATUS_LINE_INVALID] = "http.response_status_line_invalid",
	[HA_REQUEST_LINE_INVALID] = "http.request_line_invalid",
	[HA_HTTP09_EXTRA] = "http.data_after_http09_request",
	[HA_REQUEST_BODY_UNEXPECTED] = "http.request_body_unexpected",
	[HA_RESPONSE_BODY_UNEXPECTED] = "http.response_body_unexpected",
	[HA_MULTIPART_INVALID_HEADER] = "http.multipart_invalid_header",
	[HA_MULTIPART_GENERIC] = "http.multipart_generic_error",
	[HA_MULTIPART_NO_FILEDATA] = "http.multipart_no_filedata",
	[HA_RANGE_INVALID] = "http.range_invalid",
	[HA_BYTERANGES] = "http.response_multipart_byteranges",
	[HA_COMPRESSION_BOMB] = "http.compression_bomb",
	[HA_TOO_MANY_LAYERS] = "http.too_many_encoding_layers",
	[HA_GAP] = "http.body_gap",
};

/* libhtp's log messages (prefixes) that are anomalies of the message being parsed. */
static const struct {
	const char *prefix;
	enum http_anom a;
} log_map[] = {
	{"Request field invalid", HA_REQ_HEADER_INVALID},
	{"Response field invalid", HA_RESP_HEADER_INVALID},
	{"Request header name is not a token", HA_REQ_HEADER_INVALID},
	{"Response header name is not a token", HA_RESP_HEADER_INVALID},
	{"Request chunk encoding: Invalid chunk length", HA_REQ_CHUNK_LEN},
	{"Response chunk encoding: Invalid chunk length", HA_RESP_CHUNK_LEN},
	{"Invalid C-L field in response", HA_INVALID_CL_RESP},
	{"Ambiguous request C-L value", HA_SMUGGLING},
	{"Request buffer over", HA_REQ_FIELD_TOO_LONG},
	{"Request field length exceeds folded maximum", HA_REQ_FIELD_TOO_LONG},
	{"Response the buffer limit", HA_RESP_FIELD_TOO_LONG},
	{"Response field length exceeds folded maximum", HA_RESP_FIELD_TOO_LONG},
	{"Too many request headers", HA_TOO_MANY_HEADERS},
	{"Too many response headers", HA_TOO_MANY_HEADERS},
	{"Invalid request field folding", HA_INVALID_FOLDING_REQ},
	{"Invalid response field folding", HA_INVALID_FOLDING_RESP},
	{"Request line: URI contains non-compliant delimiter", HA_URI_DELIM},
	{"Request line: non-compliant delimiter between Method and URI", HA_METHOD_DELIM},
	{"Request line: leading whitespace", HA_LEADING_WHITESPACE},
	{"Request line: unknown method", HA_REQUEST_LINE_INVALID},
	{"Request line: missing protocol", HA_REQUEST_LINE_INVALID},
	{"Request line incomplete", HA_REQUEST_LINE_INVALID},
	{"Invalid response line", HA_STATUS_LINE_INVALID},
	{"Unexpected request body", HA_REQUEST_BODY_UNEXPECTED},
	{"Unexpected response body", HA_RESPONSE_BODY_UNEXPECTED},
	{"Unexpected Response body", HA_RESPONSE_BODY_UNEXPECTED},
};

/* ------------------------------------------------------------ per-run state */

struct http_counters {
	uint64_t requests, responses, transactions, responses_without_request;
	uint64_t files, files_truncated, files_with_gaps;
	uint64_t request_bodies_limited, response_bodies_limited; /* bodies longer than the limit */
	uint64_t header_fields_capped, header_bytes_capped;
	uint64_t open_tx_evicted, flow_memory_capped, parsers_recycled;
	uint64_t gaps_in_body, gaps_resync, parser_resets, resync_skipped_bytes, parse_errors;
	uint64_t tunnels, anomalies, uploads_capped, alerts;
};

struct http_run {
	htp_cfg_t *cfg;
	uint64_t body_limit;
	unsigned log_headers;
	struct http_counters c;
	struct inspect_tx view;   /* scratch for publish() (large: not on a libhtp callback's stack) */
};

/* ------------------------------------------------------------ per-transaction state */

enum file_state { FILE_OPEN = 0, FILE_CLOSED, FILE_TRUNCATED };

struct http_file {
	struct sha256_ctx sha;
	uint64_t size;
	bool gaps;
	enum file_state st;
	enum flow_dir dir;
	uint8_t name[HTTP_FILENAME_MAX];
	size_t name_len;
	struct strbuf keep;       /* its first bytes, for file.data (uploads only) */
};

struct http_tx {
	struct http_tx *prev, *next;
	htp_tx_t *htx;            /* libhtp's transaction; NULL once detached */
	uint64_t id;
	uint32_t ready;           /* progress bits published */
	bool request_seen, response_seen;
	bool cut[2];              /* ended by a gap, a cap or the flow's end before its message did */
	bool gap[2];              /* bytes lost inside the message */
	uint8_t resp_lines;       /* status lines parsed (interim 1xx answers included) */
	bool range_ok;
	bool tunnel;              /* CONNECT 2xx or 101: the stream went to another protocol */
	bool evicted;             /* finished early at the open transaction cap */
	struct http_range range;
	bool killswitch;
	uint64_t anom;            /* enum http_anom bits raised */
	/* inspection buffers built at the end of each head (kept for the later progress points) */
	struct strbuf uri;        /* normalised */
	struct strbuf host;       /* lower-cased */
	struct strbuf raw[2];     /* header block as sent (libhtp's header data) */
	struct strbuf raw_nc[2];  /* the same without Cookie / Set-Cookie */
	struct strbuf hdr[2];     /* "Name: value\r\n" */
	struct strbuf names[2];
	struct strbuf start[2];
	struct strbuf body[2];    /* up to the body limit: dechunked (request), decoded (response) */
	bool body_limited[2];
	uint64_t body_len[2];     /* body bytes seen (dechunked; to client also decoded) */
	/* files */
	struct http_file *resp_file;
	struct http_file *up[HTTP_UPLOADS_MAX];
	size_t nup;
	struct http_file *up_cur;  /* the multipart part being received, or the PUT body */
	bool put_upload;
	struct http_mp *mp;
	struct http_decoder *dec;  /* the response's Content-Encoding, undone here (not by libhtp) */
	size_t held;               /* bytes of the buffers above (the flow's budget) */
};

/* ------------------------------------------------------------ per-flow state */

struct http_flow {
	htp_connp_t *connp;
	struct http_run *run;
	struct app_ctx *ctx;      /* the call being served (only during parse and flow_end) */
	const struct flow *flow;
	uint64_t next_id;
	struct http_tx *head, *tail;
	size_t open;
	size_t held;
	bool resync[2];           /* dropping bytes up to the next message start */
	bool bol[2];              /* the next byte of the direction starts a line */
	bool closed[2];           /* libhtp was told the direction ended */
	bool http09;              /* an HTTP/0.9 request was seen: the parser stays */
	bool reprobe;             /* a tunnel was opened: the stream goes back to recognition */
	size_t reprobe_consumed;
	bool alerted;
	bool http09_extra;        /* bytes after an HTTP/0.9 request were reported */
};

#define CNT(hf, field) ((hf)->run->c.field++)

static void raise(struct http_flow *hf, struct http_tx *t, enum http_anom a)
{
	if (t) {
		if (t->anom & (UINT64_C(1) << a))
			return;
		t->anom |= UINT64_C(1) << a;
	}
	CNT(hf, anomalies);
	if (hf->ctx)
		app_raise_event(hf->ctx, anom_names[a]);
}

/* ------------------------------------------------------------ small helpers */

static const uint8_t *bp(const bstr *b) { return b ? bstr_ptr(b) : NULL; }
static size_t bl(const bstr *b) { return b ? bstr_len(b) : 0; }
static struct cursor bcur(const bstr *b) { return cur_make(bp(b), bl(b)); }

static const htp_header_t *header(htp_table_t *t, const char *name)
{
	return t ? htp_table_get_c(t, name) : NULL;
}

static const bstr *header_value(htp_table_t *t, const char *name)
{
	const htp_header_t *h = header(t, name);
	return h ? h->value : NULL;
}

static struct http_flow *flow_of(htp_tx_t *x) { return htp_connp_get_user_data(x->connp); }

static void held_add(struct http_flow *hf, struct http_tx *t, size_t n)
{
	t->held += n;
	hf->held += n;
}

/* Append to one of t's buffers within the flow's budget; false when it did not fit. */
static bool keep(struct http_flow *hf, struct http_tx *t, struct strbuf *sb, const void *p, size_t n)
{
	if (hf->held + n > HTTP_FLOW_HELD_MAX) {
		CNT(hf, flow_memory_capped);
		return false;
	}
	size_t before = sb->len;
	bool ok = sb_append(sb, p, n);
	held_add(hf, t, sb->len - before);
	return ok;
}

/* ------------------------------------------------------------ transactions */

static void tx_init_bufs(struct http_tx *t, uint64_t body_limit)
{
	sb_init(&t->uri, HTTP_HEADER_BYTES_MAX);
	sb_init(&t->host, HTTP_HEADER_BYTES_MAX);
	for (int d = 0; d < 2; d++) {
		sb_init(&t->raw[d], HTTP_HEADER_BYTES_MAX);
		sb_init(&t->raw_nc[d], HTTP_HEADER_BYTES_MAX);
		sb_init(&t->hdr[d], HTTP_HEADER_BYTES_MAX);
		sb_init(&t->names[d], HTTP_HEADER_BYTES_MAX);
		sb_init(&t->start[d], HTTP_HEADER_BYTES_MAX);
		sb_init(&t->body[d], body_limit ? body_limit : 1);
	}
}

static void file_free(struct http_file *f)
{
	if (!f)
		return;
	sb_free(&f->keep);
	free(f);
}

static void tx_free(struct http_flow *hf, struct http_tx *t)
{
	sb_free(&t->uri);
	sb_free(&t->host);
	for (int d = 0; d < 2; d++) {
		sb_free(&t->raw[d]);
		sb_free(&t->raw_nc[d]);
		sb_free(&t->hdr[d]);
		sb_free(&t->names[d]);
		sb_free(&t->start[d]);
		sb_free(&t->body[d]);
	}
	file_free(t->resp_file);
	for (size_t i = 0; i < t->nup; i++)
		file_free(t->up[i]);
	if (t->mp) {
		http_mp_free(t->mp);
		free(t->mp);
	}
	if (t->dec) {
		http_dec_free(t->dec);
		free(t->dec);
	}
	hf->held -= t->held;
	free(t);
}

static void tx_unlink(struct http_flow *hf, struct http_tx *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else
		hf->head = t->next;
	if (t->next)
		t->next->prev = t->prev;
	else
		hf->tail = t->prev;
	t->prev = t->next = NULL;
	hf->open--;
}

static void finish_tx(struct http_flow *hf, struct http_tx *t);

/* The user data of a libhtp transaction finished before libhtp was done with it (evicted at the
 * cap): what libhtp still reports for it is ignored. */
static const char detached_tx[] = "finished";

/* The user data of a libhtp transaction, created on first use (a response libhtp could not pair
 * with a request gets a transaction of its own). NULL when the transaction was finished early. */
static struct http_tx *tx_of(htp_tx_t *x, bool create)
{
	void *u = htp_tx_get_user_data(x);
	if (u == detached_tx)
		return NULL;
	struct http_tx *t = u;
	if (t || !create)
		return t;
	struct http_flow *hf = flow_of(x);
	if (hf->open >= HTTP_MAX_OPEN_TX && hf->head) {
		CNT(hf, open_tx_evicted);
		struct http_tx *old = hf->head;
		old->evicted = true;
		finish_tx(hf, old);
	}
	t = kg_calloc(1, sizeof(*t), "http transaction");
	t->htx = x;
	t->id = hf->next_id++;
	tx_init_bufs(t, hf->run->body_limit);
	t->prev = hf->tail;
	if (hf->tail)
		hf->tail->next = t;
	else
		hf->head = t;
	hf->tail = t;
	hf->open++;
	htp_tx_set_user_data(x, t);
	return t;
}

/* ------------------------------------------------------------ inspection */

static void add_sb(struct inspect_tx *v, enum ib_id id, enum flow_dir d, struct strbuf *sb, bool present)
{
	if (present)
		inspect_add(v, id, d, sb->len ? (const uint8_t *)sb->data : (const uint8_t *)"", sb->len);
}

static void add_bstr(struct inspect_tx *v, enum ib_id id, enum flow_dir d, const bstr *b)
{
	if (b)
		inspect_add(v, id, d, bl(b) ? bp(b) : (const uint8_t *)"", bl(b));
}

static void add_request(struct inspect_tx *v, struct http_tx *t)
{
	htp_tx_t *x = t->htx;
	const enum flow_dir ts = DIR_TO_SERVER;
	if (!x || !t->request_seen)
		return;
	add_sb(v, IB_HTTP_URI, ts, &t->uri, true);
	add_bstr(v, IB_HTTP_URI_RAW, ts, x->request_uri);
	add_bstr(v, IB_HTTP_METHOD, ts, x->request_method);
	add_bstr(v, IB_HTTP_PROTOCOL, ts, x->request_protocol);
	add_bstr(v, IB_HTTP_REQUEST_LINE, ts, x->request_line);
	add_sb(v, IB_HTTP_HEADER, ts, &t->hdr[ts], true);
	add_sb(v, IB_HTTP_HEADER_RAW, ts, &t->raw_nc[ts], true);
	add_sb(v, IB_HTTP_HEADER_NAMES, ts, &t->names[ts], true);
	add_sb(v, IB_HTTP_START, ts, &t->start[ts], true);
	add_bstr(v, IB_HTTP_COOKIE, ts, header_value(x->request_headers, "cookie"));
	add_bstr(v, IB_HTTP_USER_AGENT, ts, header_value(x->request_headers, "user-agent"));
	add_sb(v, IB_HTTP_HOST, ts, &t->host, x->request_hostname != NULL);
	if (x->parsed_uri_raw && x->parsed_uri_raw->hostname)
		add_bstr(v, IB_HTTP_HOST_RAW, ts, x->parsed_uri_raw->hostname);
	else
		add_bstr(v, IB_HTTP_HOST_RAW, ts, header_value(x->request_headers, "host"));
	add_bstr(v, IB_HTTP_ACCEPT, ts, header_value(x->request_headers, "accept"));
	add_bstr(v, IB_HTTP_ACCEPT_ENC, ts, header_value(x->request_headers, "accept-encoding"));
	add_bstr(v, IB_HTTP_ACCEPT_LANG, ts, header_value(x->request_headers, "accept-language"));
	add_bstr(v, IB_HTTP_REFERER, ts, header_value(x->request_headers, "referer"));
	add_bstr(v, IB_HTTP_CONNECTION, ts, header_value(x->request_headers, "connection"));
	add_bstr(v, IB_HTTP_CONTENT_TYPE, ts, header_value(x->request_headers, "content-type"));
	add_bstr(v, IB_HTTP_CONTENT_LEN, ts, header_value(x->request_headers, "content-length"));
}

static void add_request_body(struct inspect_tx *v, struct http_tx *t)
{
	const enum flow_dir ts = DIR_TO_SERVER;
	if (!t->request_seen)
		return;
	add_sb(v, IB_HTTP_REQUEST_BODY, ts, &t->body[ts], true);
	if (t->put_upload)
		add_sb(v, IB_FILE_DATA, ts, &t->body[ts], true);
	for (size_t i = 0; i < t->nup; i++)
		if (t->up[i] != t->up_cur || !t->put_upload)
			add_sb(v, IB_FILE_DATA, ts, &t->up[i]->keep, true);
}

static void add_response(struct inspect_tx *v, struct http_tx *t)
{
	htp_tx_t *x = t->htx;
	const enum flow_dir tc = DIR_TO_CLIENT;
	if (!x || !t->response_seen)
		return;
	add_bstr(v, IB_HTTP_PROTOCOL, tc, x->response_protocol);
	add_bstr(v, IB_HTTP_STAT_CODE, tc, x->response_status);
	add_bstr(v, IB_HTTP_STAT_MSG, tc, x->response_message);
	add_bstr(v, IB_HTTP_RESPONSE_LINE, tc, x->response_line);
	add_sb(v, IB_HTTP_HEADER, tc, &t->hdr[tc], true);
	add_sb(v, IB_HTTP_HEADER_RAW, tc, &t->raw_nc[tc], true);
	add_sb(v, IB_HTTP_HEADER_NAMES, tc, &t->names[tc], true);
	add_sb(v, IB_HTTP_START, tc, &t->start[tc], true);
	add_bstr(v, IB_HTTP_COOKIE, tc, header_value(x->response_headers, "set-cookie"));
	add_bstr(v, IB_HTTP_CONNECTION, tc, header_value(x->response_headers, "connection"));
	add_bstr(v, IB_HTTP_CONTENT_TYPE, tc, header_value(x->response_headers, "content-type"));
	add_bstr(v, IB_HTTP_CONTENT_LEN, tc, header_value(x->response_headers, "content-length"));
	add_bstr(v, IB_HTTP_LOCATION, tc, header_value(x->response_headers, "location"));
	add_bstr(v, IB_HTTP_SERVER, tc, header_value(x->response_headers, "server"));
}

static void add_response_body(struct inspect_tx *v, struct http_tx *t)
{
	const enum flow_dir tc = DIR_TO_CLIENT;
	if (!t->response_seen)
		return;
	add_sb(v, IB_HTTP_RESPONSE_BODY, tc, &t->body[tc], true);
	add_sb(v, IB_FILE_DATA, tc, &t->body[tc], true);
}

/* Publish t with the progress bits bits now set (exactly once each; see inspect.h). */
static void publish(struct http_flow *hf, struct http_tx *t, uint32_t bits, enum flow_dir dir)
{
	uint32_t newly = bits & ~t->ready;
	if (!newly || !hf->ctx)
		return;
	t->ready |= newly;
	struct inspect_tx *v = &hf->run->view;
	inspect_tx_init(v, "http", t->id, dir);
	if (t->ready & IP_HTTP_REQ_HEADERS)
		add_request(v, t);
	if (t->ready & IP_HTTP_REQ_BODY)
		add_request_body(v, t);
	if (t->ready & IP_HTTP_RESP_HEADERS)
		add_response(v, t);
	if (t->ready & IP_HTTP_RESP_BODY)
		add_response_body(v, t);
	inspect_progress(v, t->ready, newly);
	app_inspect(hf->ctx, v);
}

/* ------------------------------------------------------------ files */

static struct http_file *file_open(enum flow_dir dir, const uint8_t *name, size_t nlen, uint64_t keep_limit)
{
	struct http_file *f = kg_calloc(1, sizeof(*f), "http file");
	sha256_init(&f->sha);
	f->dir = dir;
	f->name_len = KG_MIN(nlen, sizeof(f->name));
	if (f->name_len)
		memcpy(f->name, name, f->name_len);
	sb_init(&f->keep, keep_limit ? keep_limit : 1);
	return f;
}

static void file_data(struct http_file *f, const uint8_t *p, size_t n)
{
	sha256_update(&f->sha, n, p);
	f->size += n;
}

/* Does the file hold a whole object (for its hash to name something)? */
static bool file_whole(const struct http_tx *t, const struct http_file *f)
{
	if (f->st != FILE_CLOSED || f->gaps)
		return false;
	if (f == t->resp_file && t->range_ok)
		return !t->range.unsatisfied && t->range.first == 0 && t->range.length_known &&
		       t->range.last + 1 == t->range.length;
	return true;
}

static void log_http_brief(struct event *ev, struct http_tx *t)
{
	htp_tx_t *x = t->htx;
	ev_map(ev, "http");
	if (x && t->request_seen) {
		if (x->request_hostname)
			ev_wirestr(ev, "hostname", (const uint8_t *)t->host.data, t->host.len);
		if (x->request_uri)
			ev_wirestr(ev, "url", bp(x->request_uri), bl(x->request_uri));
		if (x->request_method)
			ev_wirestr(ev, "http_method", bp(x->request_method), bl(x->request_method));
		const bstr *ua = header_value(x->request_headers, "user-agent");
		if (ua)
			ev_wirestr(ev, "http_user_agent", bp(ua), bl(ua));
	}
	if (x && t->response_seen) {
		if (x->response_status_number > 0)
			ev_u64(ev, "status", (uint64_t)x->response_status_number);
		const bstr *ct = header_value(x->response_headers, "content-type");
		if (ct) {
			struct cursor mt = http_media_type(bcur(ct));
			ev_wirestr(ev, "http_content_type", cur_data(&mt), cur_len(&mt));
		}
	}
	ev_end_map(ev);
}

/* Close a file (st: FILE_CLOSED or FILE_TRUNCATED) and write its fileinfo event. */
static void file_close(struct http_flow *hf, struct http_tx *t, struct http_file *f, enum file_state st)
{
	if (!f || f->st != FILE_OPEN)
		return;
	f->st = st;
	CNT(hf, files);
	if (st == FILE_TRUNCATED)
		CNT(hf, files_truncated);
	if (f->gaps)
		CNT(hf, files_with_gaps);
	if (!hf->ctx)
		return;
	struct event *ev = event_begin(hf->ctx->em, "fileinfo", hf->ctx->ts_us);
	event_flow(ev, hf->ctx->flow, f->dir == DIR_TO_CLIENT ? DIR_TO_CLIENT : DIR_TO_SERVER);
	log_http_brief(ev, t);
	ev_map(ev, "fileinfo");
	ev_wirestr(ev, "filename", f->name, f->name_len);
	ev_bool(ev, "gaps", f->gaps);
	ev_str(ev, "state", st == FILE_CLOSED ? "CLOSED" : "TRUNCATED");
	if (file_whole(t, f)) {
		uint8_t dg[SHA256_DIGEST_SIZE];
		struct sha256_ctx c = f->sha;
		sha256_digest(&c, sizeof(dg), dg);
		ev_hex(ev, "sha256", dg, sizeof(dg));
	}
	ev_bool(ev, "stored", false);
	ev_u64(ev, "size", f->size);
	ev_u64(ev, "tx_id", t->id);
	ev_str(ev, "direction", f->dir == DIR_TO_CLIENT ? "to_client" : "to_server");
	if (f == t->resp_file && t->range_ok && !t->range.unsatisfied) {
		ev_map(ev, "content_range");
		ev_u64(ev, "start", t->range.first);
		ev_u64(ev, "end", t->range.last);
		if (t->range.length_known)
			ev_u64(ev, "size", t->range.length);
		ev_end_map(ev);
	}
	ev_end_map(ev);
	event_end(ev);
}

/* ------------------------------------------------------------ multipart uploads */

static void mp_part_begin(void *u, const struct http_mp_part *p)
{
	struct http_tx *t = u;
	struct http_flow *hf = flow_of(t->htx);
	t->up_cur = NULL;
	if (!p->filename)
		return;
	if (t->nup >= HTTP_UPLOADS_MAX) {
		CNT(hf, uploads_capped);
		return;
	}
	/* file.data of all uploads of a request share the body limit */
	uint64_t used = 0;
	for (size_t i = 0; i < t->nup; i++)
		used += t->up[i]->keep.len;
	uint64_t room = hf->run->body_limit > used ? hf->run->body_limit - used : 0;
	t->up_cur = file_open(DIR_TO_SERVER, p->filename, p->filename_len, room);
	t->up[t->nup++] = t->up_cur;
}

static void mp_part_data(void *u, const uint8_t *p, size_t n)
{
	struct http_tx *t = u;
	if (!t->up_cur)
		return;
	file_data(t->up_cur, p, n);
	size_t room = t->up_cur->keep.limit - t->up_cur->keep.len;
	if (room)
		keep(flow_of(t->htx), t, &t->up_cur->keep, p, KG_MIN(room, n));
}

static void mp_part_gap(void *u, uint64_t n)
{
	struct http_tx *t = u;
	(void)n;
	if (t->up_cur)
		t->up_cur->gaps = true;
}

static void mp_part_end(void *u, bool complete)
{
	struct http_tx *t = u;
	struct http_flow *hf = flow_of(t->htx);
	if (t->up_cur) {
		if (t->up_cur->size == 0 && complete)
			raise(hf, t, HA_MULTIPART_NO_FILEDATA);
		file_close(hf, t, t->up_cur, complete ? FILE_CLOSED : FILE_TRUNCATED);
	}
	t->up_cur = NULL;
}

static void mp_anomaly(void *u, enum http_mp_anomaly a)
{
	struct http_tx *t = u;
	struct http_flow *hf = flow_of(t->htx);
	raise(hf, t, a == HTTP_MP_INVALID_HEADER ? HA_MULTIPART_INVALID_HEADER : HA_MULTIPART_GENERIC);
}

static const struct http_mp_cb mp_cb = {mp_part_begin, mp_part_data, mp_part_gap, mp_part_end, mp_anomaly};

/* ------------------------------------------------------------ heads */

static bool flag(const htp_tx_t *x, uint64_t f) { return (x->flags & f) != 0; }

/* Build the header buffers of direction d from libhtp's table and the raw block. */
static void build_head_bufs(struct http_flow *hf, struct http_tx *t, enum flow_dir d)
{
	htp_tx_t *x = t->htx;
	htp_table_t *tab = d == DIR_TO_SERVER ? x->request_headers : x->response_headers;
	const bstr *line = d == DIR_TO_SERVER ? x->request_line : x->response_line;
	const char *cookie = d == DIR_TO_SERVER ? "cookie" : "set-cookie";
	size_t n = tab ? htp_table_size(tab) : 0;
	if (n > HTTP_HEADERS_MAX || flag(x, HTP_HEADERS_TOO_MANY)) {
		CNT(hf, header_fields_capped);
		raise(hf, t, HA_TOO_MANY_HEADERS);
	}
	struct strbuf *hdr = &t->hdr[d], *names = &t->names[d], *start = &t->start[d];
	if (line) {
		sb_append(start, bp(line), bl(line));
		sb_append(start, "\r\n", 2);
	}
	for (size_t i = 0; i < n; i++) {
		htp_header_t *h = htp_table_get_index(tab, i, NULL);
		if (!h || !h->name)
			continue;
		struct cursor name = bcur(h->name), value = bcur(h->value);
		if (!http_token_is(name, cookie))
			http_buf_header_line(hdr, name, value);
		http_buf_header_name(names, name);
		http_buf_header_line(start, name, value);
	}
	if (n)
		sb_append(names, "\r\n\r\n", 4);
	sb_append(start, "\r\n", 2);
	http_buf_raw_without(&t->raw_nc[d], cur_make(t->raw[d].data, t->raw[d].len), cookie);
	if (!t->raw[d].overflow && (hdr->overflow || names->overflow || start->overflow || t->raw_nc[d].overflow))
		CNT(hf, header_bytes_capped);
	held_add(hf, t, hdr->len + names->len + start->len + t->raw_nc[d].len);
}

/* Content-Length with leading zeros: servers read it in decimal, some proxies did not. */
static bool cl_leading_zeros(const bstr *cl)
{
	struct cursor c = http_trim(bcur(cl));
	uint8_t a, b;
	return cur_peek_u8(&c, 0, &a) && a == '0' && cur_peek_u8(&c, 1, &b) && b >= '0' && b <= '9';
}

static void request_anomalies(struct http_flow *hf, struct http_tx *t)
{
	htp_tx_t *x = t->htx;
	if (flag(x, HTP_REQUEST_SMUGGLING))
		raise(hf, t, HA_SMUGGLING);
	if (flag(x, HTP_REQUEST_INVALID_C_L))
		raise(hf, t, HA_INVALID_CL_REQ);
	if (flag(x, HTP_REQUEST_INVALID_T_E))
		raise(hf, t, HA_INVALID_TE_REQ);
	if (flag(x, HTP_INVALID_FOLDING))
		raise(hf, t, HA_INVALID_FOLDING_REQ);
	if (flag(x, HTP_HOST_MISSING))
		raise(hf, t, HA_MISSING_HOST);
	if (flag(x, HTP_HOST_AMBIGUOUS))
		raise(hf, t, HA_HOST_AMBIGUOUS);
	if (flag(x, HTP_HOSTU_INVALID))
		raise(hf, t, HA_URI_HOST_INVALID);
	if (flag(x, HTP_HOSTH_INVALID))
		raise(hf, t, HA_HEADER_HOST_INVALID);
	htp_table_t *tab = x->request_headers;
	if (http_raw_folded(cur_make(t->raw[DIR_TO_SERVER].data, t->raw[DIR_TO_SERVER].len)))
		raise(hf, t, HA_FOLDING_REQ);
	const bstr *cl = header_value(tab, "content-length");
	if (cl && cl_leading_zeros(cl))
		raise(hf, t, HA_CL_LEADING_ZEROS);
	/* both framings: libhtp flags it only when it can parse the length */
	if (cl && header(tab, "transfer-encoding"))
		raise(hf, t, HA_SMUGGLING);
}

/* A request whose length cannot be known: a Content-Length that is not a plain decimal number,
 * without Transfer-Encoding. A server answers 400 and closes (RFC 9112 6.3); libhtp would read
 * "-1" as 1 and swallow what follows as body. kagami ends the request there and reads on from
 * the next request line, so what a lenient server would take as a request is not hidden. */
static bool request_length_invalid(const htp_tx_t *x)
{
	const bstr *cl = header_value(x->request_headers, "content-length");
	return cl && !header(x->request_headers, "transfer-encoding") && !http_decimal_valid(bcur(cl));
}

/* The host as rules see it: lower case, no trailing dot (libhtp removed the port). */
static void build_host(struct http_tx *t)
{
	const bstr *h = t->htx->request_hostname;
	struct cursor c = bcur(h);
	uint8_t b;
	while (cur_u8(&c, &b))
		sb_putc(&t->host, (char)(b >= 'A' && b <= 'Z' ? b + 32 : b));
	while (t->host.len && t->host.data[t->host.len - 1] == '.')
		t->host.len--;
}

/* http.uri: path, "?" and the query URL-decoded, "#" and the fragment (Suricata's construction on
 * libhtp's normalised path). */
static void build_uri(struct http_flow *hf, struct http_tx *t)
{
	const htp_uri_t *u = t->htx->parsed_uri;
	if (!u)
		return;
	if (u->path)
		sb_append(&t->uri, bp(u->path), bl(u->path));
	if (u->query) {
		bstr *q = bstr_dup(u->query);
		if (q) {
			uint64_t flags = 0;
			htp_urldecode_inplace(hf->run->cfg, HTP_DECODER_URLENCODED, q, &flags);
			sb_putc(&t->uri, '?');
			sb_append(&t->uri, bp(q), bl(q));
			bstr_free(q);
		}
	}
	if (u->fragment) {
		sb_putc(&t->uri, '#');
		sb_append(&t->uri, bp(u->fragment), bl(u->fragment));
	}
	held_add(hf, t, t->uri.len + t->host.len);
}

static void killswitch_check(struct http_flow *hf, struct http_tx *t)
{
	const char *ks = wannacry_killswitch((const uint8_t *)t->host.data, t->host.len);
	if (!ks)
		return;
	t->killswitch = true;
	app_raise_event(hf->ctx, "http.wannacry_killswitch_host");
	if (hf->alerted)
		return;
	hf->alerted = true;
	CNT(hf, alerts);
	htp_tx_t *x = t->htx;
	struct event *a = alert_begin(hf->ctx->em, hf->ctx->flow, DIR_TO_SERVER, hf->ctx->ts_us, &killswitch_ai);
	ev_map(a, "http");
	const bstr *host = header_value(x->request_headers, "host");
	if (host)
		ev_wirestr(a, "hostname", bp(host), bl(host));
	else
		ev_wirestr(a, "hostname", (const uint8_t *)t->host.data, t->host.len);
	ev_wirestr(a, "url", bp(x->request_uri), bl(x->request_uri));
	ev_wirestr(a, "http_method", bp(x->request_method), bl(x->request_method));
	ev_str(a, "killswitch_domain", ks);
	ev_end_map(a);
	event_end(a);
}

/* ------------------------------------------------------------ libhtp callbacks */

static int cb_request_start(htp_tx_t *x)
{
	tx_of(x, true);
	return HTP_OK;
}

static int cb_request_line(htp_tx_t *x)
{
	struct http_tx *t = tx_of(x, true);
	if (!t)
		return HTP_OK;
	t->request_seen = true;
	if (x->is_protocol_0_9)
		flow_of(x)->http09 = true;
	return HTP_OK;
}

/* Header block bytes as libhtp reads them. A block longer than HTTP_HEADER_BYTES_MAX is kept up
 * to it (counted, an anomaly): libhtp goes on parsing the fields, which it bounds itself
 * (HTTP_HEADERS_MAX fields of at most HTTP_FIELD_LIMIT_HARD bytes; the return value of this hook
 * does not stop it). */
static int cb_header_data(htp_tx_data_t *d, enum flow_dir dir)
{
	struct http_tx *t = tx_of(d->tx, true);
	struct http_flow *hf = flow_of(d->tx);
	if (t && d->data && d->len) {
		if (dir == DIR_TO_SERVER && (t->ready & IP_HTTP_REQ_HEADERS))
			return HTP_OK; /* trailers */
		if (dir == DIR_TO_CLIENT && (t->ready & IP_HTTP_RESP_HEADERS))
			return HTP_OK;
		if (t->raw[dir].len + d->len > HTTP_HEADER_BYTES_MAX && !t->raw[dir].overflow) {
			CNT(hf, header_bytes_capped);
			raise(hf, t, HA_HEADERS_TOO_LONG);
		}
		keep(hf, t, &t->raw[dir], d->data, d->len);
	}
	return HTP_OK;
}

static int cb_request_header_data(htp_tx_data_t *d) { return cb_header_data(d, DIR_TO_SERVER); }
static int cb_response_header_data(htp_tx_data_t *d) { return cb_header_data(d, DIR_TO_CLIENT); }

/* The request head is complete: its buffers, anomalies, uploads, the kill-switch check, and the
 * first progress point. Once per transaction (also for a head libhtp gave up on). */
static void request_head(struct http_flow *hf, struct http_tx *t)
{
	htp_tx_t *x = t->htx;
	if (t->ready & IP_HTTP_REQ_HEADERS)
		return;
	t->request_seen = true;
	CNT(hf, requests);
	build_head_bufs(hf, t, DIR_TO_SERVER);
	build_host(t);
	build_uri(hf, t);
	request_anomalies(hf, t);
	/* uploads: a multipart body's parts with a file name, or a PUT body */
	const bstr *ct = header_value(x->request_headers, "content-type");
	uint8_t boundary[HTTP_BOUNDARY_MAX];
	size_t blen = 0;
	if (ct && http_multipart_boundary(bcur(ct), boundary, &blen) == CUR_OK) {
		t->mp = kg_malloc(sizeof(*t->mp), "multipart parser");
		http_mp_init(t->mp, boundary, blen, &mp_cb, t);
	} else if (x->request_method_number == HTP_M_PUT) {
		const bstr *path = x->parsed_uri ? x->parsed_uri->path : NULL;
		t->put_upload = true;
		t->up_cur = file_open(DIR_TO_SERVER, bp(path), bl(path), 0);
		t->up[t->nup++] = t->up_cur;
	}
	killswitch_check(hf, t);
	publish(hf, t, IP_HTTP_REQ_HEADERS, DIR_TO_SERVER);
}

static int cb_request_headers(htp_tx_t *x)
{
	struct http_tx *t = tx_of(x, true);
	if (!t)
		return HTP_OK;
	struct http_flow *hf = flow_of(x);
	request_head(hf, t);
	if (request_length_invalid(x)) {
		raise(hf, t, HA_INVALID_CL_REQ);
		return HTP_ERROR; /* feed() starts over at the next request line */
	}
	return HTP_OK;
}

/* Body bytes of direction dir (libhtp: data NULL and len > 0 is a gap; len 0 the end). */
static void body_bytes(struct http_flow *hf, struct http_tx *t, enum flow_dir dir, const uint8_t *p, size_t n)
{
	struct strbuf *b = &t->body[dir];
	if (!p) {
		t->gap[dir] = true;
		CNT(hf, gaps_in_body);
		raise(hf, t, HA_GAP);
		if (dir == DIR_TO_SERVER) {
			if (t->mp)
				http_mp_gap(t->mp, n);
			else if (t->put_upload && t->up_cur)
				t->up_cur->gaps = true;
		} else if (t->resp_file) {
			t->resp_file->gaps = true;
		}
		return;
	}
	t->body_len[dir] += n;
	size_t room = hf->run->body_limit > b->len ? (size_t)(hf->run->body_limit - b->len) : 0;
	if (room && !keep(hf, t, b, p, KG_MIN(room, n)))
		room = 0;
	if (n > room && !t->body_limited[dir]) {
		t->body_limited[dir] = true;
		if (dir == DIR_TO_SERVER)
			CNT(hf, request_bodies_limited);
		else
			CNT(hf, response_bodies_limited);
	}
	if (dir == DIR_TO_SERVER) {
		if (t->mp)
			http_mp_feed(t->mp, p, n);
		else if (t->put_upload && t->up_cur)
			file_data(t->up_cur, p, n);
	} else {
		if (!t->resp_file) {
			htp_tx_t *x = t->htx;
			uint8_t name[HTTP_FILENAME_MAX];
			size_t nlen = 0;
			const bstr *cd = header_value(x->response_headers, "content-disposition");
			if (!cd || http_cd_filename(bcur(cd), name, &nlen) != CUR_OK) {
				const bstr *path = x->parsed_uri ? x->parsed_uri->path : NULL;
				nlen = KG_MIN(bl(path), sizeof(name));
				if (nlen)
					memcpy(name, bp(path), nlen);
			}
			t->resp_file = file_open(DIR_TO_CLIENT, name, nlen, 0);
		}
		file_data(t->resp_file, p, n);
	}
}

static int cb_request_body_data(htp_tx_data_t *d)
{
	struct http_tx *t = tx_of(d->tx, false);
	if (t && d->len > 0)
		body_bytes(flow_of(d->tx), t, DIR_TO_SERVER, d->data, d->len);
	return HTP_OK;
}

/* End of a request's body: its uploads close (cut: truncated). */
static void request_body_end(struct http_flow *hf, struct http_tx *t, bool cut)
{
	if (t->mp) {
		if (cut) {
			if (t->up_cur)
				file_close(hf, t, t->up_cur, FILE_TRUNCATED);
			t->up_cur = NULL;
		}
		http_mp_finish(t->mp);
	}
	if (t->put_upload && t->up_cur) {
		/* a PUT without a body is no file */
		if (t->up_cur->size || cut)
			file_close(hf, t, t->up_cur, cut ? FILE_TRUNCATED : FILE_CLOSED);
		else
			t->up_cur->st = FILE_CLOSED;
	}
}

static int cb_request_complete(htp_tx_t *x)
{
	struct http_flow *hf = flow_of(x);
	struct http_tx *t = tx_of(x, false);
	if (!t)
		return HTP_OK;
	request_body_end(hf, t, false);
	publish(hf, t, IP_HTTP_REQ_HEADERS | IP_HTTP_REQ_BODY, DIR_TO_SERVER);
	return HTP_OK;
}

/* A 206 answer in multipart/byteranges without Content-Length: libhtp does not follow its body. */
static bool multipart_byteranges(const htp_tx_t *x)
{
	const bstr *ct = header_value(x->response_headers, "content-type");
	if (!ct || header(x->response_headers, "content-length"))
		return false;
	struct cursor mt = http_media_type(bcur(ct));
	return http_token_is(mt, "multipart/byteranges");
}

static int cb_response_line(htp_tx_t *x)
{
	struct http_tx *t = tx_of(x, true);
	if (!t)
		return HTP_OK;
	if (t->resp_lines < 255)
		t->resp_lines++;
	return HTP_OK;
}

/* The header block of the final answer only: libhtp hands interim (1xx) answers' header lines and
 * the final status line to the header data hook too. */
static void strip_interim(struct http_tx *t)
{
	const bstr *line = t->htx->response_line;
	struct strbuf *raw = &t->raw[DIR_TO_CLIENT];
	if (t->resp_lines < 2 || !line || !bl(line))
		return;
	struct cursor c = cur_make(raw->data, raw->len);
	long at = -1, from = 0;
	for (;;) {
		struct cursor rest;
		if (!cur_tail(&c, (size_t)from, &rest))
			break;
		long k = cur_find(&rest, bp(line), bl(line));
		if (k < 0)
			break;
		at = from + k;
		from = at + 1;
	}
	if (at < 0)
		return;
	struct cursor after;
	if (!cur_tail(&c, (size_t)at, &after))
		return;
	long nl = cur_find(&after, "\n", 1);
	size_t cut = nl >= 0 ? (size_t)at + (size_t)nl + 1 : raw->len;
	memmove(raw->data, raw->data + cut, raw->len - cut);
	raw->len -= cut;
}

static void body_bytes(struct http_flow *hf, struct http_tx *t, enum flow_dir dir, const uint8_t *p, size_t n);

static void dec_emit(void *u, const uint8_t *p, size_t n)
{
	struct http_tx *t = u;
	body_bytes(flow_of(t->htx), t, DIR_TO_CLIENT, p, n);
}

static void dec_event(void *u, enum http_dec_event e)
{
	struct http_tx *t = u;
	struct http_flow *hf = flow_of(t->htx);
	if (e == HTTP_DEC_ERROR)
		raise(hf, t, HA_DECOMPRESSION_FAILED);
	else if (e == HTTP_DEC_BOMB)
		raise(hf, t, HA_COMPRESSION_BOMB);
	else if (e == HTTP_DEC_LAYERS)
		raise(hf, t, HA_TOO_MANY_LAYERS);
}

/* The response head is complete (the final answer's: interim 1xx ones are libhtp's). Returns
 * whether the protocol switched (CONNECT 2xx, 101): the stream goes back to recognition. */
static bool response_head(struct http_flow *hf, struct http_tx *t)
{
	htp_tx_t *x = t->htx;
	if (t->response_seen)
		return false;
	t->response_seen = true;
	CNT(hf, responses);
	if (!t->request_seen) {
		/* raised here, not from libhtp's message: it logs it before making the transaction */
		CNT(hf, responses_without_request);
		raise(hf, t, HA_UNMATCHED_RESPONSE);
	}
	strip_interim(t);
	build_head_bufs(hf, t, DIR_TO_CLIENT);
	htp_table_t *tab = x->response_headers;
	if (http_raw_folded(cur_make(t->raw[DIR_TO_CLIENT].data, t->raw[DIR_TO_CLIENT].len)))
		raise(hf, t, HA_FOLDING_RESP);
	const bstr *cr = header_value(tab, "content-range");
	if (cr) {
		t->range_ok = http_content_range(bcur(cr), &t->range) == CUR_OK;
		if (!t->range_ok)
			raise(hf, t, HA_RANGE_INVALID);
	}
	if (multipart_byteranges(x))
		raise(hf, t, HA_BYTERANGES);
	const bstr *te = header_value(tab, "transfer-encoding");
	if (te && !http_token_is(http_trim(bcur(te)), "chunked"))
		raise(hf, t, HA_INVALID_TE_RESP); /* libhtp reads such a body as if not chunked */
	const bstr *ce = header_value(tab, "content-encoding");
	if (ce) {
		t->dec = kg_malloc(sizeof(*t->dec), "content decoder");
		if (!http_dec_init(t->dec, bcur(ce), dec_emit, dec_event, t)) {
			free(t->dec);
			t->dec = NULL;
		}
	}
	int st = x->response_status_number;
	if ((x->request_method_number == HTP_M_CONNECT && st >= 200 && st < 300) || st == 101) {
		/* a tunnel has no bodies: the transaction is complete */
		CNT(hf, tunnels);
		t->tunnel = true;
		publish(hf, t, IP_HTTP_REQ_HEADERS | IP_HTTP_REQ_BODY | IP_HTTP_RESP_HEADERS | IP_HTTP_RESP_BODY,
			DIR_TO_CLIENT);
		return true;
	}
	publish(hf, t, IP_HTTP_RESP_HEADERS, DIR_TO_CLIENT);
	return false;
}

static int cb_response_headers(htp_tx_t *x)
{
	struct http_tx *t = tx_of(x, true);
	if (!t)
		return HTP_OK;
	struct http_flow *hf = flow_of(x);
	if (response_head(hf, t)) {
		hf->reprobe = true;
		hf->reprobe_consumed = htp_connp_res_data_consumed(x->connp);
		return HTP_STOP;
	}
	return HTP_OK;
}

static int cb_response_body_data(htp_tx_data_t *d)
{
	struct http_tx *t = tx_of(d->tx, false);
	if (!t || d->len == 0)
		return HTP_OK;
	if (!t->response_seen)
		response_head(flow_of(d->tx), t); /* HTTP/0.9: an answer without a head */
	if (t->dec) {
		if (d->data) {
			http_dec_feed(t->dec, d->data, d->len);
		} else {
			http_dec_gap(t->dec); /* a coded stream cannot go on past a hole */
			body_bytes(flow_of(d->tx), t, DIR_TO_CLIENT, NULL, d->len);
		}
		return HTP_OK;
	}
	body_bytes(flow_of(d->tx), t, DIR_TO_CLIENT, d->data, d->len);
	return HTP_OK;
}

static int cb_response_complete(htp_tx_t *x)
{
	struct http_flow *hf = flow_of(x);
	struct http_tx *t = tx_of(x, false);
	if (!t)
		return HTP_OK;
	if (!t->response_seen)
		response_head(hf, t);
	file_close(hf, t, t->resp_file, FILE_CLOSED);
	publish(hf, t, IP_HTTP_RESP_HEADERS | IP_HTTP_RESP_BODY, DIR_TO_CLIENT);
	return HTP_OK;
}

static int cb_transaction_complete(htp_tx_t *x)
{
	struct http_tx *t = tx_of(x, false);
	if (t)
		finish_tx(flow_of(x), t);
	return HTP_OK;
}

/* ------------------------------------------------------------ the http event */

static void log_headers(struct event *ev, const char *key, htp_table_t *tab)
{
	ev_array(ev, key);
	for (size_t i = 0, n = tab ? htp_table_size(tab) : 0; i < n; i++) {
		htp_header_t *h = htp_table_get_index(tab, i, NULL);
		if (!h || !h->name)
			continue;
		ev_map(ev, NULL);
		ev_wirestr(ev, "name", bp(h->name), bl(h->name));
		ev_wirestr(ev, "value", bp(h->value), bl(h->value));
		ev_end_map(ev);
	}
	ev_end_array(ev);
}

static void log_http(struct http_flow *hf, struct http_tx *t)
{
	htp_tx_t *x = t->htx;
	struct event *ev = event_begin(hf->ctx->em, "http", hf->ctx->ts_us);
	event_flow(ev, hf->ctx->flow, DIR_TO_SERVER);
	ev_u64(ev, "tx_id", t->id);
	ev_map(ev, "http");
	if (t->request_seen) {
		if (x->request_hostname)
			ev_wirestr(ev, "hostname", (const uint8_t *)t->host.data, t->host.len);
		if (x->request_port_number > 0)
			ev_u64(ev, "http_port", (uint64_t)x->request_port_number);
		if (x->request_uri)
			ev_wirestr(ev, "url", bp(x->request_uri), bl(x->request_uri));
		const bstr *ua = header_value(x->request_headers, "user-agent");
		if (ua)
			ev_wirestr(ev, "http_user_agent", bp(ua), bl(ua));
		const bstr *xff = header_value(x->request_headers, "x-forwarded-for");
		char addr[64];
		if (xff && http_xff_client(bcur(xff), addr, sizeof(addr)))
			ev_str(ev, "xff", addr);
		const bstr *ref = header_value(x->request_headers, "referer");
		if (ref)
			ev_wirestr(ev, "http_refer", bp(ref), bl(ref));
		if (x->request_method)
			ev_wirestr(ev, "http_method", bp(x->request_method), bl(x->request_method));
		if (x->request_protocol)
			ev_wirestr(ev, "protocol", bp(x->request_protocol), bl(x->request_protocol));
		else if (x->is_protocol_0_9)
			ev_str(ev, "protocol", "HTTP/0.9");
		const bstr *qct = header_value(x->request_headers, "content-type");
		if (qct) {
			struct cursor mt = http_media_type(bcur(qct));
			ev_wirestr(ev, "request_content_type", cur_data(&mt), cur_len(&mt));
		}
		ev_u64(ev, "request_body_length", t->body_len[DIR_TO_SERVER]);
	}
	if (t->response_seen) {
		const bstr *ct = header_value(x->response_headers, "content-type");
		if (ct) {
			struct cursor mt = http_media_type(bcur(ct));
			ev_wirestr(ev, "http_content_type", cur_data(&mt), cur_len(&mt));
		}
		if (x->response_status_number > 0)
			ev_u64(ev, "status", (uint64_t)x->response_status_number);
		else if (x->response_status)
			ev_wirestr(ev, "status_text", bp(x->response_status), bl(x->response_status));
		const bstr *loc = header_value(x->response_headers, "location");
		if (loc)
			ev_wirestr(ev, "redirect", bp(loc), bl(loc));
		const bstr *cr = header_value(x->response_headers, "content-range");
		if (cr) {
			ev_map(ev, "content_range");
			ev_wirestr(ev, "raw", bp(cr), bl(cr));
			if (t->range_ok && !t->range.unsatisfied) {
				ev_u64(ev, "start", t->range.first);
				ev_u64(ev, "end", t->range.last);
			}
			if (t->range_ok && t->range.length_known)
				ev_u64(ev, "size", t->range.length);
			ev_end_map(ev);
		}
	}
	ev_u64(ev, "length", x->response_message_len > 0 ? (uint64_t)x->response_message_len : 0);
	if (t->response_seen)
		ev_u64(ev, "response_body_length", t->body_len[DIR_TO_CLIENT]);
	if (t->request_seen && (hf->run->log_headers & APP_HTTP_HEADERS_REQUEST))
		log_headers(ev, "request_headers", x->request_headers);
	if (t->response_seen && (hf->run->log_headers & APP_HTTP_HEADERS_RESPONSE))
		log_headers(ev, "response_headers", x->response_headers);
	/* kagami: how complete the transaction is, and what was odd about it */
	if (!t->request_seen)
		ev_bool(ev, "request_seen", false);
	if (!t->response_seen)
		ev_bool(ev, "response_seen", false);
	if (t->cut[0] || t->cut[1]) {
		ev_array(ev, "truncated");
		if (t->cut[DIR_TO_SERVER])
			ev_str(ev, NULL, "request");
		if (t->cut[DIR_TO_CLIENT])
			ev_str(ev, NULL, "response");
		ev_end_array(ev);
	}
	if (t->gap[0] || t->gap[1])
		ev_bool(ev, "gaps", true);
	if (t->evicted)
		ev_bool(ev, "evicted", true);
	if (t->anom) {
		ev_array(ev, "anomalies");
		for (int a = 0; a < HA__COUNT; a++)
			if (t->anom & (UINT64_C(1) << a))
				ev_str(ev, NULL, anom_names[a] + 5);
		ev_end_array(ev);
	}
	ev_end_map(ev);
	event_end(ev);
	CNT(hf, transactions);
}

/* End t: files it still has open are truncated, its remaining progress bits are published with
 * what it holds, its event is written, and it leaves the flow and libhtp's transaction. */
static void finish_tx(struct http_flow *hf, struct http_tx *t)
{
	htp_tx_t *x = t->htx;
	if (x && hf->ctx) {
		if (!(t->ready & IP_HTTP_REQ_BODY) && t->request_seen) {
			t->cut[DIR_TO_SERVER] = true;
			request_body_end(hf, t, true);
		}
		if (t->resp_file && t->resp_file->st == FILE_OPEN) {
			t->cut[DIR_TO_CLIENT] = true;
			file_close(hf, t, t->resp_file, FILE_TRUNCATED);
		}
		if (t->response_seen && !(t->ready & IP_HTTP_RESP_BODY))
			t->cut[DIR_TO_CLIENT] = true;
		publish(hf, t, IP_HTTP_REQ_HEADERS | IP_HTTP_REQ_BODY | IP_HTTP_RESP_HEADERS | IP_HTTP_RESP_BODY,
			DIR_TO_SERVER);
		if (t->request_seen || t->response_seen)
			log_http(hf, t);
	}
	if (x)
		htp_tx_set_user_data(x, (void *)detached_tx);
	tx_unlink(hf, t);
	tx_free(hf, t);
}

static void finish_all(struct http_flow *hf)
{
	while (hf->head)
		finish_tx(hf, hf->head);
}

/* ------------------------------------------------------------ libhtp's messages */

/* libhtp's log hook, called as each message is logged: the message names an anomaly of the
 * transaction in progress in its direction (libhtp does not always give the transaction). */
static int cb_log(htp_log_t *l)
{
	if (!l || !l->msg || !l->connp || l->level > HTP_LOG_WARNING)
		return HTP_OK;
	struct http_flow *hf = htp_connp_get_user_data(l->connp);
	if (!hf)
		return HTP_OK;
	htp_tx_t *lx = l->tx;
	if (!lx)
		lx = !strncmp(l->msg, "Response", 8) ? htp_connp_get_out_tx(l->connp) : htp_connp_get_in_tx(l->connp);
	struct http_tx *t = lx ? tx_of(lx, false) : NULL;
	for (size_t k = 0; k < KG_ARRAY_LEN(log_map); k++)
		if (!strncmp(l->msg, log_map[k].prefix, strlen(log_map[k].prefix))) {
			raise(hf, t, log_map[k].a);
			break;
		}
	return HTP_OK;
}

/* libhtp keeps every message for the connection's life: drop them once the hook saw them (freed
 * as htp_conn_destroy() frees them). */
static void check_log(struct http_flow *hf)
{
	htp_conn_t *conn = htp_connp_get_connection(hf->connp);
	if (!conn || !conn->messages)
		return;
	size_t n = htp_list_size(conn->messages);
	for (size_t i = 0; i < n; i++) {
		htp_log_t *l = htp_list_get(conn->messages, i);
		if (l) {
			free((void *)l->msg);
			free(l);
		}
	}
	htp_list_clear(conn->messages);
	htp_connp_clear_error(hf->connp);
}

/* ------------------------------------------------------------ the parser's life */

static htp_cfg_t *make_cfg(void)
{
	htp_cfg_t *cfg = htp_config_create();
	if (!cfg)
		kg_fatal("libhtp: cannot create a configuration");
	/* Suricata 4.1 (app-layer-htp.c, suricata.yaml default-config) */
	htp_config_set_server_personality(cfg, HTP_SERVER_IDS);
	htp_config_set_convert_lowercase(cfg, HTP_DECODER_URL_PATH, 0);
	htp_config_set_plusspace_decode(cfg, HTP_DECODER_URLENCODED, 0);
	htp_config_set_parse_request_cookies(cfg, 0);
	htp_config_set_parse_request_auth(cfg, 0);
	htp_config_set_field_limits(cfg, HTTP_FIELD_LIMIT_SOFT, HTTP_FIELD_LIMIT_HARD);
	/* content codings are undone by http_records.c's decoder (http_dec_*), not by libhtp: 0.5.42
	 * chooses between zlib and raw deflate per delivered piece, so a "deflate" body sent a few
	 * bytes per segment decodes to garbage (an evasion); its time limit also measures
	 * wall-clock time, which would make the decoded bytes depend on the machine's load */
	htp_config_set_response_decompression(cfg, 0);
	htp_config_set_lzma_layers(cfg, 0);
	htp_config_set_number_headers_limit(cfg, HTTP_HEADERS_MAX);
	htp_config_set_tx_auto_destroy(cfg, 1);
	htp_config_set_log_level(cfg, HTP_LOG_WARNING);
	htp_config_register_request_start(cfg, cb_request_start);
	htp_config_register_request_line(cfg, cb_request_line);
	htp_config_register_request_header_data(cfg, cb_request_header_data);
	htp_config_register_request_headers(cfg, cb_request_headers);
	htp_config_register_request_body_data(cfg, cb_request_body_data);
	htp_config_register_request_complete(cfg, cb_request_complete);
	htp_config_register_response_line(cfg, cb_response_line);
	htp_config_register_response_header_data(cfg, cb_response_header_data);
	htp_config_register_response_headers(cfg, cb_response_headers);
	htp_config_register_response_body_data(cfg, cb_response_body_data);
	htp_config_register_response_complete(cfg, cb_response_complete);
	htp_config_register_transaction_complete(cfg, cb_transaction_complete);
	htp_config_register_log(cfg, cb_log);
	return cfg;
}

static void parser_open(struct http_flow *hf)
{
	hf->connp = htp_connp_create(hf->run->cfg);
	if (!hf->connp)
		kg_fatal("libhtp: cannot create a connection parser");
	htp_connp_set_user_data(hf->connp, hf);
	htp_connp_open(hf->connp, NULL, hf->flow ? hf->flow->cport : 0, NULL, hf->flow ? hf->flow->sport : 0, NULL);
	hf->closed[0] = hf->closed[1] = false;
}

static void parser_close(struct http_flow *hf)
{
	if (!hf->connp)
		return;
	/* transactions still held by libhtp lose their user data first */
	for (struct http_tx *t = hf->head; t; t = t->next)
		if (t->htx) {
			htp_tx_set_user_data(t->htx, NULL);
			t->htx = NULL;
		}
	htp_connp_destroy_all(hf->connp);
	hf->connp = NULL;
}

/* Replace the parser (all transactions finished first): after a gap it could not step over, a
 * stream error, or when it has made HTTP_TX_RECYCLE transactions. */
static void parser_reset(struct http_flow *hf)
{
	finish_all(hf);
	parser_close(hf);
	parser_open(hf);
}

static bool dir_idle(struct http_flow *hf, enum flow_dir d)
{
	return d == DIR_TO_SERVER ? htp_connp_get_in_tx(hf->connp) == NULL : htp_connp_get_out_tx(hf->connp) == NULL;
}

/* Replace a parser that made many transactions while nothing is in progress (libhtp's list of
 * transactions only grows). */
static void maybe_recycle(struct http_flow *hf)
{
	htp_conn_t *conn = htp_connp_get_connection(hf->connp);
	if (hf->open || hf->http09 || hf->reprobe || !conn || htp_list_size(conn->transactions) < HTTP_TX_RECYCLE)
		return;
	if (!dir_idle(hf, DIR_TO_SERVER) || !dir_idle(hf, DIR_TO_CLIENT))
		return;
	CNT(hf, parsers_recycled);
	bool resync[2] = {hf->resync[0], hf->resync[1]};
	parser_close(hf);
	parser_open(hf);
	hf->resync[0] = resync[0];
	hf->resync[1] = resync[1];
}

/* Bytes were lost before the next data of direction d. */
static void on_gap(struct http_flow *hf, enum flow_dir d, uint64_t n, const htp_time_t *tv)
{
	if (hf->resync[d])
		return; /* still looking for a message start */
	if (n > 0 && n <= SIZE_MAX) {
		int r = d == DIR_TO_SERVER ? htp_connp_req_data(hf->connp, tv, NULL, (size_t)n)
					   : htp_connp_res_data(hf->connp, tv, NULL, (size_t)n);
		check_log(hf);
		if (r == HTP_STREAM_DATA || r == HTP_STREAM_DATA_OTHER || r == HTP_STREAM_TUNNEL)
			return; /* libhtp stepped over it inside a body */
	}
	CNT(hf, gaps_resync);
	/* the message in progress in d is cut; the resynchronisation takes the first byte after the
	 * hole as a line start (segments usually begin with a message) */
	if (dir_idle(hf, d)) {
		hf->resync[d] = true;
		hf->bol[d] = true;
		return;
	}
	bool other_idle = dir_idle(hf, (enum flow_dir)!d);
	for (struct http_tx *t = hf->head; t; t = t->next) {
		t->gap[d] = true;
		if (t->htx && (d == DIR_TO_SERVER ? t->htx->request_progress < HTP_REQUEST_COMPLETE
						  : t->htx->response_progress < HTP_RESPONSE_COMPLETE))
			raise(hf, t, HA_GAP);
	}
	CNT(hf, parser_resets);
	parser_reset(hf);
	hf->resync[d] = true;
	hf->bol[d] = true;
	if (!other_idle) {
		hf->resync[!d] = true;
		hf->bol[!d] = false;
	}
}

/* libhtp gave up on direction d: the head of the message in progress, when libhtp parsed it but
 * had not reported it (an answer in multipart/byteranges without a length), is reported as it
 * stands. */
static void salvage(struct http_flow *hf, enum flow_dir d)
{
	htp_tx_t *x = d == DIR_TO_SERVER ? htp_connp_get_in_tx(hf->connp) : htp_connp_get_out_tx(hf->connp);
	struct http_tx *t = x ? tx_of(x, false) : NULL;
	if (!t)
		return;
	if (d == DIR_TO_SERVER && x->request_line && x->request_progress >= HTP_REQUEST_HEADERS)
		request_head(hf, t);
	else if (d == DIR_TO_CLIENT && x->response_status_number > 0 && x->response_progress >= HTP_RESPONSE_HEADERS)
		response_head(hf, t);
}

/* Feed data of direction d to libhtp. Sets *consumed; false when libhtp gave up on d. */
static bool feed(struct http_flow *hf, enum flow_dir d, const uint8_t *data, size_t len, const htp_time_t *tv,
		 size_t *consumed)
{
	struct cursor c = cur_make(data, len);
	*consumed = 0;
	while (!cur_empty(&c)) {
		if (hf->resync[d]) {
			size_t off = 0;
			bool found = http_resync(&c, d == DIR_TO_SERVER, hf->bol[d], &off);
			if (off) {
				uint8_t last = 0;
				cur_peek_u8(&c, off - 1, &last);
				hf->bol[d] = last == '\n';
				hf->run->c.resync_skipped_bytes += off;
				cur_skip(&c, off);
				*consumed += off;
			}
			if (!found)
				return true; /* the undecided rest comes again with more bytes */
			hf->resync[d] = false;
		}
		size_t n = cur_len(&c);
		int r = d == DIR_TO_SERVER ? htp_connp_req_data(hf->connp, tv, cur_data(&c), n)
					   : htp_connp_res_data(hf->connp, tv, cur_data(&c), n);
		size_t used = d == DIR_TO_SERVER ? htp_connp_req_data_consumed(hf->connp)
						 : htp_connp_res_data_consumed(hf->connp);
		if (used > n)
			used = n;
		check_log(hf);
		htp_conn_t *conn = htp_connp_get_connection(hf->connp);
		if (d == DIR_TO_SERVER && conn && (conn->flags & HTP_CONN_HTTP_0_9_EXTRA) && !hf->http09_extra) {
			hf->http09_extra = true;
			raise(hf, hf->tail, HA_HTTP09_EXTRA);
		}
		switch (r) {
		case HTP_STREAM_DATA:
		case HTP_STREAM_TUNNEL:
		case HTP_STREAM_CLOSED:
			*consumed += n;
			return true;
		case HTP_STREAM_DATA_OTHER:
			/* libhtp waits for the other direction (a CONNECT's answer): the rest comes
			 * again with this direction's next delivery */
			*consumed += used;
			return true;
		case HTP_STREAM_STOP:
			if (hf->reprobe) {
				*consumed += hf->reprobe_consumed <= n ? hf->reprobe_consumed : used;
				return true;
			}
			*consumed += n;
			return true;
		default: {
			/* libhtp gave up on this direction: start over at the next message (at least
			 * one byte on, so the same bytes cannot stop it again) */
			CNT(hf, parse_errors);
			CNT(hf, parser_resets);
			salvage(hf, d);
			size_t skip = used ? used : 1;
			uint8_t last = 0;
			cur_peek_u8(&c, skip - 1, &last);
			cur_skip(&c, skip);
			*consumed += skip;
			bool other_idle = dir_idle(hf, (enum flow_dir)!d);
			parser_reset(hf);
			hf->resync[d] = true;
			hf->bol[d] = last == '\n';
			if (!other_idle) {
				hf->resync[!d] = true;
				hf->bol[!d] = false;
			}
			break;
		}
		}
	}
	return true;
}

/* The direction ended: libhtp finishes what ends with the connection (bodies until close). */
static void on_eof(struct http_flow *hf, enum flow_dir d, const htp_time_t *tv)
{
	if (hf->closed[d])
		return;
	hf->closed[d] = true;
	if (d == DIR_TO_SERVER && !hf->closed[DIR_TO_CLIENT])
		htp_connp_req_close(hf->connp, tv);
	else if (hf->closed[DIR_TO_SERVER] && hf->closed[DIR_TO_CLIENT])
		htp_connp_close(hf->connp, tv);
	check_log(hf);
}

/* ------------------------------------------------------------ dissector callbacks */

static enum probe_result http_probe(const uint8_t *data, size_t len, enum flow_dir dir, unsigned flags)
{
	(void)flags;
	struct cursor c = cur_make(data, len);
	enum cur_status s = dir == DIR_TO_SERVER ? http_probe_request(&c) : http_probe_response(&c);
	return s == CUR_OK ? PROBE_YES : s == CUR_TRUNCATED ? PROBE_MORE : PROBE_NO;
}

static void *http_new(const struct app_ctx *ctx)
{
	struct http_flow *hf = kg_calloc(1, sizeof(*hf), "http flow state");
	hf->run = ctx->proto;
	hf->flow = ctx->flow;
	hf->bol[0] = hf->bol[1] = true;
	if (!hf->run)
		kg_fatal("http: no per-run state");
	parser_open(hf);
	return hf;
}

static void http_free(void *state)
{
	struct http_flow *hf = state;
	if (!hf)
		return;
	/* transactions left (flow_end not called): dropped without events */
	while (hf->head) {
		struct http_tx *t = hf->head;
		if (t->htx)
			htp_tx_set_user_data(t->htx, NULL);
		tx_unlink(hf, t);
		tx_free(hf, t);
	}
	parser_close(hf);
	free(hf);
}

static enum app_status http_parse(struct http_flow *hf, struct app_ctx *ctx, enum flow_dir d, const uint8_t *data,
				  size_t len, unsigned flags, size_t *consumed)
{
	*consumed = 0;
	if (hf->reprobe) {
		*consumed = len; /* the protocol has switched: the glue re-probes after this call */
		return APP_OK;
	}
	hf->ctx = ctx;
	htp_time_t tv = {.tv_sec = (time_t)(ctx->ts_us / 1000000), .tv_usec = (suseconds_t)(ctx->ts_us % 1000000)};
	if (flags & APP_FLAG_GAP)
		on_gap(hf, d, ctx->gap, &tv);
	if (len)
		feed(hf, d, data, len, &tv, consumed);
	if ((flags & APP_FLAG_EOF) && !hf->reprobe)
		on_eof(hf, d, &tv);
	if (hf->reprobe)
		app_reprobe(ctx);
	else
		maybe_recycle(hf);
	hf->ctx = NULL;
	return APP_OK;
}

static enum app_status http_parse_ts(void *state, struct app_ctx *ctx, const uint8_t *data, size_t len, unsigned flags,
				     size_t *consumed)
{
	return http_parse(state, ctx, DIR_TO_SERVER, data, len, flags, consumed);
}

static enum app_status http_parse_tc(void *state, struct app_ctx *ctx, const uint8_t *data, size_t len, unsigned flags,
				     size_t *consumed)
{
	return http_parse(state, ctx, DIR_TO_CLIENT, data, len, flags, consumed);
}

static void http_flow_end(void *state, struct app_ctx *ctx)
{
	struct http_flow *hf = state;
	hf->ctx = ctx;
	htp_time_t tv = {.tv_sec = (time_t)(ctx->ts_us / 1000000), .tv_usec = (suseconds_t)(ctx->ts_us % 1000000)};
	if (!hf->reprobe && hf->connp && (!hf->closed[0] || !hf->closed[1])) {
		hf->closed[0] = hf->closed[1] = true;
		htp_connp_close(hf->connp, &tv);
		check_log(hf);
	}
	finish_all(hf);
	hf->ctx = NULL;
}

static void *http_run_new(void)
{
	struct http_run *r = kg_calloc(1, sizeof(*r), "http run");
	r->cfg = make_cfg();
	r->body_limit = APP_HTTP_BODY_LIMIT_DEFAULT;
	return r;
}

static void http_run_free(void *p)
{
	struct http_run *r = p;
	if (!r)
		return;
	htp_config_destroy(r->cfg);
	free(r);
}

static void http_configure(void *proto, const struct app_settings *s)
{
	struct http_run *r = proto;
	r->body_limit = s->http_body_limit;
	r->log_headers = s->http_log_headers;
}

static void http_stats(void *proto, struct event *ev)
{
	const struct http_run *r = proto;
	if (!r)
		return;
	const struct http_counters *c = &r->c;
	ev_u64(ev, "requests", c->requests);
	ev_u64(ev, "responses", c->responses);
	ev_u64(ev, "transactions", c->transactions);
	ev_u64(ev, "responses_without_request", c->responses_without_request);
	ev_u64(ev, "files", c->files);
	ev_u64(ev, "files_truncated", c->files_truncated);
	ev_u64(ev, "files_with_gaps", c->files_with_gaps);
	ev_u64(ev, "request_bodies_limited", c->request_bodies_limited);
	ev_u64(ev, "response_bodies_limited", c->response_bodies_limited);
	ev_u64(ev, "header_fields_capped", c->header_fields_capped);
	ev_u64(ev, "header_bytes_capped", c->header_bytes_capped);
	ev_u64(ev, "open_tx_evicted", c->open_tx_evicted);
	ev_u64(ev, "flow_memory_capped", c->flow_memory_capped);
	ev_u64(ev, "uploads_capped", c->uploads_capped);
	ev_u64(ev, "parsers_recycled", c->parsers_recycled);
	ev_u64(ev, "gaps_in_body", c->gaps_in_body);
	ev_u64(ev, "gaps_resync", c->gaps_resync);
	ev_u64(ev, "parser_resets", c->parser_resets);
	ev_u64(ev, "resync_skipped_bytes", c->resync_skipped_bytes);
	ev_u64(ev, "parse_errors", c->parse_errors);
	ev_u64(ev, "tunnels", c->tunnels);
	ev_u64(ev, "anomalies", c->anomalies);
	ev_u64(ev, "alerts", c->alerts);
}

static const uint16_t http_ports[] = {80, 8080, 8000, 3128, 0};

const struct dissector http_dissector = {
	.name = "http",
	.ipproto = 6,
	.ports = http_ports,
	.ports_only = false,
	.probe = http_probe,
	.state_new = http_new,
	.state_free = http_free,
	.parse_ts = http_parse_ts,
	.parse_tc = http_parse_tc,
	.flow_end = http_flow_end,
	.proto_new = http_run_new,
	.proto_free = http_run_free,
	.configure = http_configure,
	.stats = http_stats,
};
