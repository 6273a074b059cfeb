/* dns_records.h - DNS message parsing (RFC 1035 4.1 and 4.1.4 name compression, RFC 3596 AAAA,
 * RFC 7766 / RFC 1035 4.2.2 TCP length prefix) and the WannaCry kill-switch domain list: bytes in,
 * structs out, through struct cursor. No per-flow state here; see dns.c. */
#ifndef KAGAMI_DNS_RECORDS_H
#define KAGAMI_DNS_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/cursor.h"

#define DNS_HDR_LEN 12
#define DNS_NAME_WIRE_MAX 255 /* RFC 1035 2.3.4 */
#define DNS_NAME_TEXT_MAX 256 /* dotted text of the longest name, without a trailing dot */
#define DNS_MAX_JUMPS 32      /* compression pointers followed in one name */

struct dns_hdr {
	uint16_t id, flags;
	uint16_t qdcount, ancount, nscount, arcount;
};
static inline bool dns_is_response(const struct dns_hdr *h) { return (h->flags & 0x8000) != 0; }
static inline uint8_t dns_opcode(const struct dns_hdr *h) { return (uint8_t)((h->flags >> 11) & 0xf); }
static inline uint8_t dns_rcode(const struct dns_hdr *h) { return (uint8_t)(h->flags & 0xf); }

/* The 12-byte header: CUR_TRUNCATED when shorter. Advances past it. */
enum cur_status dns_header(struct cursor *c, struct dns_hdr *h);

struct dns_name {
	uint8_t text[DNS_NAME_TEXT_MAX]; /* labels joined by '.', bytes as on the wire */
	size_t len;
	uint8_t labels;
	uint8_t jumps;                   /* compression pointers followed */
};

/* The name at *c, a cursor inside msg (the whole DNS message, for compression pointers); c advances
 * past the name as it is stored at its place (a pointer ends it). CUR_TRUNCATED when the name runs
 * past the end of msg; CUR_INVALID for a reserved label type (0x40, 0x80), a pointer outside msg or
 * not strictly before every position already read for this name (which rules out loops), more than
 * DNS_MAX_JUMPS pointers, or a name longer than 255 bytes. */
enum cur_status dns_read_name(const struct cursor *msg, struct cursor *c, struct dns_name *n);

struct dns_question {
	struct dns_name name;
	uint16_t type, qclass;
};
enum cur_status dns_read_question(const struct cursor *msg, struct cursor *c, struct dns_question *q);

struct dns_rr {
	struct dns_name name;
	uint16_t type, rclass;
	uint32_t ttl;
	struct cursor rdata;     /* rdlength bytes */
};
/* One resource record: CUR_TRUNCATED when its fixed part or rdata runs past msg. */
enum cur_status dns_read_rr(const struct cursor *msg, struct cursor *c, struct dns_rr *rr);

/* Text form of an RR's data for A, AAAA, CNAME, NS, PTR, MX (the exchange name), TXT (the first
 * string): into out (cap >= DNS_NAME_TEXT_MAX + 8). CUR_INVALID when the rdata does not fit its type,
 * and for types kagami does not render. */
enum cur_status dns_rdata_text(const struct cursor *msg, const struct dns_rr *rr, uint8_t *out, size_t cap,
			       size_t *len);

/* Does the whole of msg parse as one DNS message (header, every question and resource record,
 * nothing left over), with at most 16 questions and a standard opcode (0-2, 4-6)? For content
 * recognition: DNS_PROBE_NBNS when it is a NetBIOS name service message (RFC 1002: a first
 * question name of one 32-letter label in 'A'..'P'), which shares the format. */
enum dns_probe { DNS_PROBE_NO = 0, DNS_PROBE_YES, DNS_PROBE_NBNS };
enum dns_probe dns_probe_message(const uint8_t *msg, size_t len);

enum {
	DNS_TYPE_A = 1,
	DNS_TYPE_NS = 2,
	DNS_TYPE_CNAME = 5,
	DNS_TYPE_SOA = 6,
	DNS_TYPE_PTR = 12,
	DNS_TYPE_MX = 15,
	DNS_TYPE_TXT = 16,
	DNS_TYPE_AAAA = 28,
};

/* "A", "AAAA", ...; NULL when kagami has no name for it. */
const char *dns_type_name(uint16_t type);
/* "NOERROR", "NXDOMAIN", ...; NULL when unnamed. */
const char *dns_rcode_name(uint8_t rcode);

/* Is name (ASCII, case-insensitive, an optional trailing dot) one of the WannaCry kill-switch
 * domains, bare or with "www."? Returns the matched domain (lower case), or NULL. */
const char *wannacry_killswitch(const uint8_t *name, size_t len);

#endif
