/* http_records.h - a minimal HTTP/1.x request head parser (RFC 9112 3 request line, 5 header
 * fields; RFC 9110 7.2 Host): bytes in, views out, through struct cursor. Only what the sensor
 * reports is kept: method, target, version, Host, User-Agent and the body framing. */
#ifndef KAGAMI_HTTP_RECORDS_H
#define KAGAMI_HTTP_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/cursor.h"

#define HTTP_HEAD_MAX 16384 /* request line and header fields, CRLFCRLF included */

/* Does data begin with a request method token and a space (GET, POST, HEAD, PUT, DELETE,
 * OPTIONS, CONNECT, PATCH, TRACE)? CUR_OK yes, CUR_TRUNCATED a prefix of one, CUR_INVALID no. */
enum cur_status http_method_probe(const struct cursor *data);

struct http_request {
	struct cursor method, target, version;
	struct cursor host, user_agent; /* empty when absent */
	bool has_host;
	bool has_length;
	uint64_t content_length;
	bool chunked;             /* Transfer-Encoding names chunked */
	size_t head_len;          /* bytes of the head, the blank line included */
};

/* The request head at the start of c. CUR_TRUNCATED when its end (an empty line) is not within
 * c yet and c is shorter than HTTP_HEAD_MAX; CUR_INVALID when the request line is malformed, the
 * head is longer than HTTP_HEAD_MAX, or a Content-Length is not a decimal number (or repeats with
 * a different value). The views point into c's bytes. */
enum cur_status http_request_head(const struct cursor *c, struct http_request *r);

/* The host of a Host field value: without a trailing ":port", surrounding blanks or IPv6
 * brackets' port. */
struct cursor http_host_name(struct cursor host);

#endif
