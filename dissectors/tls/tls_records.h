/* tls_records.h - TLS wire parsing (RFC 5246, RFC 8446, RFC 6520 heartbeat, RFC 6066 SNI,
 * RFC 7301 ALPN, RFC 5280 certificate names): bytes in, structs out, through struct cursor.
 * No per-flow state here; see tls.c. */
#ifndef KAGAMI_TLS_RECORDS_H
#define KAGAMI_TLS_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/cursor.h"
#include "util/util.h"

enum {
	TLS_CT_CHANGE_CIPHER_SPEC = 20,
	TLS_CT_ALERT = 21,
	TLS_CT_HANDSHAKE = 22,
	TLS_CT_APPLICATION_DATA = 23,
	TLS_CT_HEARTBEAT = 24,
};

enum {
	TLS_HS_CLIENT_HELLO = 1,
	TLS_HS_SERVER_HELLO = 2,
	TLS_HS_CERTIFICATE = 11,
	TLS_HS_SERVER_HELLO_DONE = 14,
	TLS_HS_FINISHED = 20,
};

enum {
	TLS_EXT_SERVER_NAME = 0,
	TLS_EXT_SUPPORTED_GROUPS = 10,
	TLS_EXT_EC_POINT_FORMATS = 11,
	TLS_EXT_HEARTBEAT = 15,
	TLS_EXT_ALPN = 16,
	TLS_EXT_SUPPORTED_VERSIONS = 43,
};

#define TLS_RECORD_HEADER_LEN 5
#define TLS_MAX_RECORD_LEN (16384 + 2048) /* RFC 5246 6.2.3: TLSCiphertext.length */

struct tls_record_hdr {
	uint8_t type;
	uint16_t version;
	uint16_t length;
};

/* A record header: CUR_TRUNCATED below 5 bytes; CUR_INVALID for an unknown
 * content type, a version outside SSLv3..TLS 1.3 (0x0300..0x0304) or a length
 * above TLS_MAX_RECORD_LEN. Advances past the header on success. */
enum cur_status tls_record_header(struct cursor *c, struct tls_record_hdr *h);

/* Does this look like an SSLv2-compatible ClientHello (RFC 5246 appendix E.2)?
 * Needs 5 bytes; sets *len to the bytes of the whole message. */
enum cur_status tls_sslv2_hello(const struct cursor *c, uint16_t *version, size_t *len);

#define TLS_MAX_LIST 128 /* cipher suites, extensions, groups kept per hello */
#define TLS_MAX_ALPN 8

struct tls_hello {
	uint8_t msg_type;             /* 1 client, 2 server */
	uint16_t version;             /* legacy_version */
	uint16_t ciphers[TLS_MAX_LIST];
	uint16_t nciphers;            /* client: offered (capped); server: 1 */
	uint32_t nciphers_total;      /* client: offered, uncapped */
	uint16_t exts[TLS_MAX_LIST];
	uint16_t nexts;
	uint16_t groups[TLS_MAX_LIST];
	uint16_t ngroups;
	uint8_t point_formats[TLS_MAX_LIST];
	uint16_t npoint_formats;
	uint16_t versions[TLS_MAX_LIST]; /* supported_versions: client list or server choice */
	uint16_t nversions;
	struct cursor sni;            /* host_name, borrowed from the input */
	struct cursor alpn[TLS_MAX_ALPN];
	uint8_t nalpn;
	bool heartbeat;               /* extension present */
	uint8_t heartbeat_mode;       /* 1 peer_allowed_to_send, 2 peer_not_allowed_to_send */
	bool truncated_lists;         /* some list was longer than kept */
};

/* Parse a ClientHello or ServerHello body (after the 4-byte handshake header).
 * CUR_INVALID on lengths that do not add up. */
enum cur_status tls_parse_hello(struct cursor body, uint8_t msg_type, struct tls_hello *h);

/* The version a ServerHello chose: supported_versions when present (TLS 1.3). */
uint16_t tls_hello_selected_version(const struct tls_hello *h);

/* JA3 / JA3S strings (salesforce/ja3): decimal fields joined by '-', sections by ',',
 * GREASE values (RFC 8701) left out. */
void tls_ja3_string(const struct tls_hello *ch, struct strbuf *out);
void tls_ja3s_string(const struct tls_hello *sh, struct strbuf *out);
bool tls_is_grease(uint16_t v);

/* RFC 6520 HeartbeatMessage header. */
struct tls_heartbeat {
	uint8_t type;            /* 1 request, 2 response */
	uint16_t payload_length; /* as claimed */
};
/* Needs the first 3 bytes of the record body. */
enum cur_status tls_parse_heartbeat(struct cursor body, struct tls_heartbeat *hb);

/* Certificate message (TLS <= 1.2): the first certificate's subject and issuer
 * as RFC 4514-like strings ("C=US, O=Example, CN=example.com", the RDNs in the
 * certificate's order, as Suricata prints them), its serial in hex (serial: the
 * first 20 bytes, lower case, for the tls event; serial_text: Suricata's
 * tls.cert_serial form, every byte upper case and colon-separated, "00:1A:FF",
 * up to TLS_SERIAL_MAX bytes). Fields absent stay empty. */
#define TLS_SERIAL_MAX 32
struct tls_cert_names {
	struct strbuf subject, issuer;
	char serial[2 * 20 + 1];
	char serial_text[3 * TLS_SERIAL_MAX];
};
enum cur_status tls_parse_certificate(struct cursor body, struct tls_cert_names *out);

/* The certificates of a Certificate message (TLS <= 1.2: certificate_list of ASN.1Cert), as
 * cursors into body (DER, one per certificate, in the order sent): at most max of them into
 * certs; *more is set when the list holds more. Returns how many were stored; stops at the first
 * certificate whose length runs past the list. */
size_t tls_certificate_chain(struct cursor body, struct cursor *certs, size_t max, bool *more);

/* Cipher suites: name and record overhead, for heartbeat length checks. */
struct tls_cipher_info {
	uint16_t id;
	const char *name;
	uint8_t mac_len;    /* HMAC length; 0 for AEAD */
	uint8_t block_len;  /* CBC block size; 0 for stream or AEAD */
	uint8_t aead_overhead; /* explicit nonce + tag for AEAD suites */
};
const struct tls_cipher_info *tls_cipher_lookup(uint16_t id);
/* Smallest encrypted record a valid heartbeat (3-byte header, no payload,
 * 16 bytes of padding) can have under this suite and version; 0 if unknown. */
unsigned tls_min_heartbeat_record(const struct tls_cipher_info *ci, uint16_t version);
/* Largest plaintext an encrypted record of rec_len bytes can hold under this
 * suite and version (record length less the MAC or AEAD overhead, the explicit
 * IV and at least one byte of CBC padding; 0 if none). With no cipher known,
 * rec_len itself. */
unsigned tls_record_plaintext_max(const struct tls_cipher_info *ci, uint16_t version, unsigned rec_len);

/* "TLS 1.2", "SSLv3", "TLS 1.3", or "UNDETERMINED". */
const char *tls_version_name(uint16_t v);

#endif
