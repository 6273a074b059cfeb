/* inspect.h - inspection buffers: the named byte buffers of an app-layer transaction that
 * dissectors publish for the rules (Suricata's sticky buffers and their legacy content
 * modifiers: http.uri / http_uri, dns.query / dns_query, tls.sni, file.data / file_data, ...).
 *
 * One interface between the dissectors, which publish, and the signature engine, which
 * inspects by name:
 *
 *   - the table (inspect.c) names every buffer once: its canonical name, the legacy names
 *     that mean the same buffer, the pcre modifier letter mapped to it, the app protocol and
 *     the direction(s) it exists in, and the transaction progress bit at which it is final;
 *   - a dissector that reaches a progress point of a transaction (HTTP request headers
 *     complete, a DNS query parsed, a ClientHello parsed) fills a struct inspect_tx on its
 *     stack with every buffer the transaction has so far (both directions: a response rule
 *     may look at the request's URI), says which progress bits are now set and which just
 *     became set, and calls app_inspect() (dissectors/dissector.h). The pointers only need
 *     to stay valid during that call;
 *   - the engine hands the view to every engine module with an inspect callback.
 *
 * Exactly-once contract for the consumer: a rule that needs the progress bits N (the bits
 * of the buffers it uses, plus the first bit of its direction when it has one) is evaluated
 * on a transaction at the one call where (N & ~ready) == 0 and (N & newly) != 0. Every bit
 * becomes newly set once per transaction, so the consumer needs no per-transaction memory.
 * A transaction cut short (a gap, the flow ends) sets its remaining bits at its end, with
 * whatever its buffers hold then.
 */
#ifndef KAGAMI_INSPECT_H
#define KAGAMI_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"

/* Buffer identities. The order is the table's (inspect.c); IB_NONE is no buffer. */
enum ib_id {
	IB_NONE = 0,
	/* HTTP request side (and the directional pairs: both directions) */
	IB_HTTP_URI,            /* normalised URI (libhtp's normalisation) */
	IB_HTTP_URI_RAW,
	IB_HTTP_METHOD,
	IB_HTTP_PROTOCOL,       /* both: "HTTP/1.1" */
	IB_HTTP_REQUEST_LINE,
	IB_HTTP_HEADER,         /* both: normalised "Name: value\r\n" lines, Cookie/Set-Cookie left out */
	IB_HTTP_HEADER_RAW,     /* both: the header block as sent, Cookie/Set-Cookie left out */
	IB_HTTP_HEADER_NAMES,   /* both: "\r\nName1\r\nName2\r\n\r\n" */
	IB_HTTP_COOKIE,         /* both: Cookie (to server), Set-Cookie (to client) */
	IB_HTTP_USER_AGENT,
	IB_HTTP_HOST,           /* lower-cased, port removed */
	IB_HTTP_HOST_RAW,
	IB_HTTP_ACCEPT,
	IB_HTTP_ACCEPT_ENC,
	IB_HTTP_ACCEPT_LANG,
	IB_HTTP_REFERER,
	IB_HTTP_CONNECTION,     /* both */
	IB_HTTP_CONTENT_TYPE,   /* both */
	IB_HTTP_CONTENT_LEN,    /* both */
	IB_HTTP_START,          /* both: start line, then each header field "Name: value\r\n" as libhtp
				 * folds them (cookies included), then "\r\n" (Suricata's http.start) */
	IB_HTTP_REQUEST_BODY,   /* dechunked, not decompressed; up to the body limit */
	/* HTTP response side */
	IB_HTTP_STAT_CODE,
	IB_HTTP_STAT_MSG,
	IB_HTTP_RESPONSE_LINE,
	IB_HTTP_RESPONSE_BODY,  /* dechunked and decompressed; up to the body limit */
	IB_HTTP_LOCATION,
	IB_HTTP_SERVER,
	/* files: the HTTP response body, decoded (to client), or each uploaded file of a request (to
	 * server: a PUT body, every multipart part with a file name: one buffer each) */
	IB_FILE_DATA,
	/* DNS */
	IB_DNS_QUERY,           /* each question name, dotted, as on the wire (one buffer each) */
	/* TLS */
	IB_TLS_SNI,
	IB_TLS_CERT_SUBJECT,    /* "C=US, O=..., CN=..." as Suricata prints it */
	IB_TLS_CERT_ISSUER,
	IB_TLS_CERT_SERIAL,     /* "00:AB:..." upper-case hex with colons */
	IB_TLS_CERT_FINGERPRINT,/* SHA-1 of the server certificate, "aa:bb:..." lower-case */
	IB_TLS_CERTS,           /* each certificate of the chain, DER (one buffer each) */
	IB_JA3_HASH,
	IB_JA3_STRING,
	IB_JA3S_HASH,
	IB_JA3S_STRING,
	/* SMB */
	IB_SMB_NAMED_PIPE,      /* the path of a tree connect the server answered as a pipe (IPC$) */
	IB_SMB_SHARE,           /* the path of any other tree connect (Suricata's pair of buffers) */
	IB__COUNT
};

/* Integer attributes of a transaction, for keywords that compare values rather than bytes. */
enum ia_id {
	IA_TLS_VERSION = 0,     /* the sender's version: the ClientHello's, or the one the server chose (0x0303) */
	IA_SSL_VERSIONS,        /* the same as an IA_SSLV_* bit */
	IA_SSL_STATE,           /* the handshake message that reached the view: IA_SSLS_* bits */
	IA_DNS_OPCODE,
	IA__COUNT
};

enum {
	IA_SSLV_SSL2 = 1u << 0, IA_SSLV_SSL3 = 1u << 1, IA_SSLV_TLS10 = 1u << 2, IA_SSLV_TLS11 = 1u << 3,
	IA_SSLV_TLS12 = 1u << 4, IA_SSLV_TLS13 = 1u << 5,
};
enum {
	IA_SSLS_CLIENT_HELLO = 1u << 0, IA_SSLS_SERVER_HELLO = 1u << 1, IA_SSLS_CLIENT_KEYX = 1u << 2,
	IA_SSLS_SERVER_KEYX = 1u << 3, IA_SSLS_UNKNOWN = 1u << 4,
};

/* Progress bits, per app protocol (the table says which protocol a bit belongs to). */
enum {
	IP_HTTP_REQ_HEADERS = 1u << 0,  /* request line and headers complete */
	IP_HTTP_REQ_BODY = 1u << 1,     /* request body complete (or cut at the limit, a gap, the end) */
	IP_HTTP_RESP_HEADERS = 1u << 2,
	IP_HTTP_RESP_BODY = 1u << 3,
	IP_DNS_QUERY = 1u << 0,
	IP_DNS_RESPONSE = 1u << 1,
	IP_TLS_CLIENT_HELLO = 1u << 0,
	IP_TLS_SERVER_HELLO = 1u << 1,
	IP_TLS_CERT = 1u << 2,          /* the server's Certificate message */
	IP_SMB_REQUEST = 1u << 0,
};

/* Where a buffer exists. */
enum ib_dirs { IBD_TS = 1, IBD_TC = 2, IBD_BOTH = 3 };

struct ib_def {
	enum ib_id id;
	const char *name;       /* canonical (sticky buffer) name: "http.uri" */
	const char *legacy;     /* the content modifier / old sticky name ("http_uri"), or NULL */
	const char *legacy2;    /* a second old name ("http_raw_uri" and "http.uri.raw"), or NULL */
	char pcre_flag;         /* pcre modifier mapped to it ('U'), or 0 */
	const char *app;        /* app protocol: "http", "dns", "tls", "smb" (file.data: "http") */
	uint8_t dirs;           /* enum ib_dirs */
	uint8_t prog_ts;        /* progress bit at which the to-server buffer is final (0 = none) */
	uint8_t prog_tc;        /* same for the to-client buffer */
	bool multi;             /* may hold several buffers per transaction (dns.query, tls.certs) */
};

/* The table, indexed by enum ib_id (entry 0 is IB_NONE). */
extern const struct ib_def ib_table[IB__COUNT];
/* The buffer a rule keyword names (canonical or legacy name), or NULL. */
const struct ib_def *ib_lookup(const char *name);
/* The buffer a pcre modifier letter maps to ('U' -> http.uri), or NULL. */
const struct ib_def *ib_lookup_pcre(char flag);
/* The app protocol's first progress bit in direction dir (its "direction gate"), 0 if none. */
uint32_t ib_first_progress(const char *app, enum flow_dir dir);

/* One published buffer. */
struct ib_buf {
	const uint8_t *p;
	size_t len;
};

#define INSPECT_TX_MAX_BUFS 96

/* A transaction as the rules see it at one progress point (built by the dissector on its stack). */
struct inspect_tx {
	const char *app;        /* "http", ... (the ib_def.app of its buffers) */
	uint64_t tx_id;         /* per flow, increasing */
	enum flow_dir dir;      /* direction of the data that reached this progress point */
	uint32_t ready;         /* progress bits set now */
	uint32_t newly;         /* bits that became set at this call (a subset of ready) */
	uint32_t attr_set;      /* which attributes are set (1 << enum ia_id) */
	uint32_t attr[IA__COUNT];
	size_t n;
	bool overflow;          /* more buffers were added than fit (counted by the consumer) */
	struct {
		uint16_t id;    /* enum ib_id */
		uint8_t dir;    /* enum flow_dir */
		struct ib_buf b;
	} bufs[INSPECT_TX_MAX_BUFS];
};

void inspect_tx_init(struct inspect_tx *tx, const char *app, uint64_t tx_id, enum flow_dir dir);
/* Add buffer id of direction dir (ignored when p is NULL; an empty buffer is a buffer). */
void inspect_add(struct inspect_tx *tx, enum ib_id id, enum flow_dir dir, const uint8_t *p, size_t len);
void inspect_set_attr(struct inspect_tx *tx, enum ia_id a, uint32_t v);
/* The progress now, and what became set at this call. */
void inspect_progress(struct inspect_tx *tx, uint32_t ready, uint32_t newly);

/* How many buffers id of direction dir tx holds (0 = absent; more than 1 for multi buffers). */
size_t inspect_count(const struct inspect_tx *tx, enum ib_id id, enum flow_dir dir);
/* The k-th buffer id of direction dir, or NULL. */
const struct ib_buf *inspect_get(const struct inspect_tx *tx, enum ib_id id, enum flow_dir dir, size_t k);
bool inspect_attr(const struct inspect_tx *tx, enum ia_id a, uint32_t *v);

#endif
