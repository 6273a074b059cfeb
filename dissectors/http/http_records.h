/* http_records.h - HTTP/1.x wire-level helpers that libhtp does not provide, all through struct cursor:
 * protocol recognition (RFC 9112 3 request line, 4 status line), header field values (RFC 9110 5.6
 * tokens, quoted strings, parameters), Content-Disposition file names (RFC 6266, RFC 8187
 * ext-values), multipart boundaries and bodies (RFC 2046 5.1, RFC 7578), Content-Range (RFC 9110
 * 14.4), X-Forwarded-For, and the builders of the inspection buffers Suricata defines on top of
 * libhtp's parse (http.header, http.header_names, http.header.raw without cookies, http.start).
 *
 * libhtp (http.c) parses the messages themselves; what is here reads bytes libhtp handed over (header
 * values, body chunks) or bytes of the stream, and never keeps per-flow state except the multipart
 * parser's own, which its caller owns. */
#ifndef KAGAMI_HTTP_RECORDS_H
#define KAGAMI_HTTP_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/cursor.h"
#include "util/util.h"

/* ------------------------------------------------------------ recognition */

/* Do the first bytes of a client's stream look like an HTTP request? CUR_OK when they start (after
 * blank lines, which servers ignore) with a request method Suricata or Wireshark know (any case),
 * followed by a space or a tab, or when a complete first line reads "TOKEN SP TARGET SP HTTP/d.d" (a
 * method kagami does not list: QUERY, custom WebDAV verbs). CUR_TRUNCATED while a method or such a
 * line may still follow (the caller bounds how long it waits); CUR_INVALID otherwise. */
enum cur_status http_probe_request(const struct cursor *data);
/* Do the first bytes of a server's stream start with "HTTP/" and a digit (a status line)? Same
 * results. */
enum cur_status http_probe_response(const struct cursor *data);

/* Resynchronisation after lost bytes: the offset in c of the first line that starts a request (a
 * listed method and a blank) or, when !request, a response ("HTTP/" and a digit). c's first byte
 * counts as a line start when bol. True with *off set; false with *off = the bytes of c that cannot
 * be part of one (the caller drops them and offers the rest, at most a method's length, again with
 * more bytes; whether the next byte starts a line is whether the last dropped one was a LF). */
bool http_resync(const struct cursor *c, bool request, bool bol, size_t *off);

/* ------------------------------------------------------------ field values */

/* Case-insensitive comparison of a field name (or any token) with a lower-case literal. */
bool http_token_is(struct cursor tok, const char *lower);
/* c without leading and trailing blanks (SP, HT). */
struct cursor http_trim(struct cursor c);
/* The media type of a Content-Type value: up to the first ';', blanks trimmed ("text/html"). */
struct cursor http_media_type(struct cursor value);

/* A parameter of a header value ("multipart/form-data; boundary=x", "attachment; filename=y"):
 * the value of the first parameter named name (case-insensitive), a token or a quoted string,
 * copied into out with quoted-pair escapes removed (RFC 9110 5.6.4). Returns CUR_OK with *outlen
 * set, CUR_TRUNCATED when there is no such parameter, CUR_INVALID when its value is empty, longer
 * than cap or an unterminated quoted string. */
enum cur_status http_param(struct cursor value, const char *name, uint8_t *out, size_t cap, size_t *outlen);

#define HTTP_FILENAME_MAX 1024 /* file names kept from Content-Disposition */
/* The file name of a Content-Disposition value: filename* (RFC 8187: charset'lang'pct-encoded,
 * percent-decoded, any charset kept as bytes) when present and valid, else filename. Same results
 * as http_param(); out holds at least HTTP_FILENAME_MAX bytes. */
enum cur_status http_cd_filename(struct cursor value, uint8_t *out, size_t *outlen);

#define HTTP_BOUNDARY_MAX 200 /* Suricata's cap (RFC 2046 allows 70) */
/* The boundary of a multipart Content-Type value (any multipart/ subtype): CUR_OK with the boundary
 * in out (cap HTTP_BOUNDARY_MAX), CUR_TRUNCATED when the value is not multipart or names no
 * boundary, CUR_INVALID when the boundary is empty, too long or malformed. */
enum cur_status http_multipart_boundary(struct cursor value, uint8_t *out, size_t *outlen);

/* Content-Range of a 206 answer: "bytes FIRST-LAST/LENGTH", LENGTH may be "*"; "bytes * /LENGTH"
 * (no space) for an unsatisfied range. */
struct http_range {
	uint64_t first, last;  /* inclusive; only when !unsatisfied */
	uint64_t length;       /* complete length, when length_known */
	bool length_known;
	bool unsatisfied;
};
/* CUR_OK, or CUR_INVALID for anything else (another unit, LAST < FIRST, LAST >= LENGTH, numbers
 * past 2^63). */
enum cur_status http_content_range(struct cursor value, struct http_range *r);

/* The client address an X-Forwarded-For value names for a reverse proxy in front of the server:
 * the last element of the list, blanks trimmed, when it is an IPv4 or IPv6 address (Suricata's
 * "reverse" deployment). out gets its text (cap 46). False when absent or not an address. */
bool http_xff_client(struct cursor value, char *out, size_t cap);

/* Does a header block (as sent, first field line first) fold a field over lines (a line starting
 * with SP or HT before the empty line: RFC 9112 5.2 obs-fold)? */
bool http_raw_folded(struct cursor raw);
/* Is a Content-Length value a plain decimal number below 2^63 (blanks around it allowed)? "-1",
 * "+5", "5, 5", "0x10" and 2^64 are not. */
bool http_decimal_valid(struct cursor value);

/* ------------------------------------------------------------ inspection buffer builders */

/* Append "Name: value\r\n" (http.header, Suricata's form: libhtp's normalised header fields). */
void http_buf_header_line(struct strbuf *sb, struct cursor name, struct cursor value);
/* Append "\r\nName" (http.header_names; the caller closes the list with "\r\n\r\n"). */
void http_buf_header_name(struct strbuf *sb, struct cursor name);
/* Append the header block raw (bytes as sent: field lines with their line ends, obsolete folding
 * and the empty line that ends it) without the field lines named skip (case-insensitive) and
 * their folded continuation lines. A final line without a line end is kept. */
void http_buf_raw_without(struct strbuf *sb, struct cursor raw, const char *skip);

/* ------------------------------------------------------------ content codings */

#define HTTP_DECODE_LAYERS 2         /* Suricata's response-body-decompress-layer-limit */
#define HTTP_BOMB_LIMIT (1u << 20)   /* decoded bytes past which the ratio is checked (libhtp's) */
#define HTTP_BOMB_RATIO 2048         /* decoded : encoded past which decoding stops (libhtp's) */

enum http_coding { HTTP_CODING_GZIP = 1, HTTP_CODING_DEFLATE };

enum http_dec_event {
	HTTP_DEC_ERROR = 0,     /* the data is not what its coding says: the rest is passed on as sent */
	HTTP_DEC_BOMB,          /* decoding stopped at the bomb limit */
	HTTP_DEC_LAYERS,        /* more codings than HTTP_DECODE_LAYERS: not decoded */
	HTTP_DEC_UNKNOWN,       /* a coding kagami does not decode (br, compress, zstd): not decoded */
};

typedef void (*http_dec_out)(void *u, const uint8_t *p, size_t n);
typedef void (*http_dec_ev)(void *u, enum http_dec_event e);

/* A streaming decoder of a Content-Encoding list (RFC 9110 8.4: codings in the order applied,
 * undone last first): gzip and x-gzip (RFC 1952, concatenated members too), deflate as zlib
 * (RFC 1950) or, as some servers send it, raw (RFC 1951), told apart by the first two bytes
 * whatever the pieces the body comes in; identity is skipped. The decoded bytes do not depend on
 * how the body is cut. */
struct http_decoder {
	int n;                                  /* layers */
	enum http_coding c[HTTP_DECODE_LAYERS]; /* c[n-1] is undone first */
	void *z[HTTP_DECODE_LAYERS];            /* zlib streams, made on first data */
	uint8_t peek[HTTP_DECODE_LAYERS][2];    /* deflate: bytes held until zlib/raw is decided */
	uint8_t npeek[HTTP_DECODE_LAYERS];
	bool passthrough;                       /* an error: the rest goes out as it came */
	bool stopped;                           /* bomb limit or a gap: nothing more goes out */
	uint64_t in, out;
	http_dec_out emit;
	http_dec_ev event;
	void *u;
};

/* Set d up for the Content-Encoding value ce. False when there is nothing to decode (absent,
 * identity only); d is then unused. Unknown codings and too many layers report an event and
 * return false (the body is inspected as sent, as libhtp does). */
bool http_dec_init(struct http_decoder *d, struct cursor ce, http_dec_out emit, http_dec_ev event, void *u);
void http_dec_feed(struct http_decoder *d, const uint8_t *p, size_t n);
/* Bytes were lost: a coded stream cannot go on. */
void http_dec_gap(struct http_decoder *d);
void http_dec_free(struct http_decoder *d);

/* ------------------------------------------------------------ multipart bodies */

#define HTTP_MP_HEADERS_MAX 8192 /* bytes of one part's header block */

struct http_mp_part {
	struct cursor name;          /* Content-Disposition name, as sent (empty when absent) */
	struct cursor content_type;  /* the part's Content-Type value (empty when absent) */
	const uint8_t *filename;     /* Content-Disposition file name (decoded), NULL when none */
	size_t filename_len;
};

enum http_mp_anomaly {
	HTTP_MP_INVALID_HEADER = 0,  /* a part header line without a colon, or with nothing after it */
	HTTP_MP_HEADERS_TOO_LONG,    /* a part's header block past HTTP_MP_HEADERS_MAX: parsing stops */
	HTTP_MP_NO_CLOSE,            /* the body ended inside a part (no closing delimiter) */
	HTTP_MP_NO_PARTS,            /* the body ended without a single delimiter */
	HTTP_MP_GAP,                 /* bytes lost outside part data: parsing stops */
};

/* What the parser finds, reported to its owner while it is fed. */
struct http_mp_cb {
	void (*part_begin)(void *u, const struct http_mp_part *p); /* views valid during the call */
	void (*part_data)(void *u, const uint8_t *p, size_t n);   /* n > 0 */
	void (*part_gap)(void *u, uint64_t n);                    /* bytes lost inside part data */
	void (*part_end)(void *u, bool complete);                 /* complete: a delimiter ended it */
	void (*anomaly)(void *u, enum http_mp_anomaly a);
};

enum http_mp_state { HTTP_MP_PREAMBLE = 0, HTTP_MP_HEADERS, HTTP_MP_DATA, HTTP_MP_EPILOGUE, HTTP_MP_STOPPED };

/* A streaming multipart parser (RFC 2046 5.1.1): delimiter lines "--boundary" ending in CRLF or LF,
 * transport padding after them, header blocks, part data, the close delimiter "--boundary--".
 * It holds at most HTTP_MP_HEADERS_MAX plus a delimiter of bytes between two feeds, so the parts
 * come out the same however the body is cut. Nested multiparts are data of their part. */
struct http_mp {
	uint8_t delim[HTTP_BOUNDARY_MAX + 3]; /* "\n--" boundary */
	size_t dlen;
	enum http_mp_state st;
	bool in_part;
	bool any;            /* a delimiter was seen */
	bool lead_lf;        /* hold starts with the LF that ended a part's headers (not data) */
	struct strbuf hold;  /* bytes not decided yet */
	const struct http_mp_cb *cb;
	void *u;
};

void http_mp_init(struct http_mp *m, const uint8_t *boundary, size_t blen, const struct http_mp_cb *cb, void *u);
void http_mp_feed(struct http_mp *m, const uint8_t *p, size_t n);
/* n body bytes were lost. */
void http_mp_gap(struct http_mp *m, uint64_t n);
/* The body ended: flush what is held, end an open part (incomplete). */
void http_mp_finish(struct http_mp *m);
void http_mp_free(struct http_mp *m);

#endif
