/* dns_records.c - DNS message parsing (RFC 1035 4.1, 4.1.4; RFC 3596) and the WannaCry kill-switch
 * domains; see dns_records.h for the contracts. Every read goes through struct cursor. */
#include "config.h"

#include "dns_records.h"

#include <stdio.h>
#include <string.h>

#include "util/util.h"

enum cur_status dns_header(struct cursor *c, struct dns_hdr *h)
{
	struct cursor t = *c;
	if (cur_len(&t) < DNS_HDR_LEN)
		return CUR_TRUNCATED;
	cur_be16(&t, &h->id);
	cur_be16(&t, &h->flags);
	cur_be16(&t, &h->qdcount);
	cur_be16(&t, &h->ancount);
	cur_be16(&t, &h->nscount);
	cur_be16(&t, &h->arcount);
	*c = t;
	return CUR_OK;
}

enum cur_status dns_read_name(const struct cursor *msg, struct cursor *c, struct dns_name *n)
{
	struct cursor r = *c;       /* where the labels are read */
	struct cursor after = *c;   /* where the caller continues */
	bool jumped = false;
	size_t wire = 0;
	/* lowest offset read so far: every pointer must go strictly below it */
	size_t low = (size_t)(cur_data(c) - cur_data(msg));
	n->len = 0;
	n->labels = 0;
	n->jumps = 0;
	for (;;) {
		uint8_t l;
		if (!cur_u8(&r, &l))
			return CUR_TRUNCATED;
		if ((l & 0xc0) == 0xc0) {
			uint8_t lo;
			if (!cur_u8(&r, &lo))
				return CUR_TRUNCATED;
			size_t target = ((size_t)(l & 0x3f) << 8) | lo;
			if (!jumped) {
				after = r;
				jumped = true;
			}
			if (++n->jumps > DNS_MAX_JUMPS || target >= low || !cur_tail(msg, target, &r))
				return CUR_INVALID;
			low = target;
			continue;
		}
		if (l & 0xc0)
			return CUR_INVALID; /* 0x40 extended and 0x80 reserved label types */
		wire += 1u + l;
		if (wire > DNS_NAME_WIRE_MAX)
			return CUR_INVALID;
		if (l == 0)
			break;
		const uint8_t *p;
		if (!cur_bytes(&r, l, &p))
			return CUR_TRUNCATED;
		if (n->labels)
			n->text[n->len++] = '.';
		memcpy(n->text + n->len, p, l);
		n->len += l;
		n->labels++;
	}
	*c = jumped ? after : r;
	return CUR_OK;
}

enum cur_status dns_read_question(const struct cursor *msg, struct cursor *c, struct dns_question *q)
{
	struct cursor t = *c;
	enum cur_status s = dns_read_name(msg, &t, &q->name);
	if (s != CUR_OK)
		return s;
	if (!cur_be16(&t, &q->type) || !cur_be16(&t, &q->qclass))
		return CUR_TRUNCATED;
	*c = t;
	return CUR_OK;
}

enum cur_status dns_read_rr(const struct cursor *msg, struct cursor *c, struct dns_rr *rr)
{
	struct cursor t = *c;
	uint16_t rdlen;
	enum cur_status s = dns_read_name(msg, &t, &rr->name);
	if (s != CUR_OK)
		return s;
	if (!cur_be16(&t, &rr->type) || !cur_be16(&t, &rr->rclass) || !cur_be32(&t, &rr->ttl) ||
	    !cur_be16(&t, &rdlen) || !cur_sub(&t, rdlen, &rr->rdata))
		return CUR_TRUNCATED;
	*c = t;
	return CUR_OK;
}

static enum cur_status name_text(const struct cursor *msg, struct cursor rd, uint8_t *out, size_t cap, size_t *len)
{
	struct dns_name n;
	enum cur_status s = dns_read_name(msg, &rd, &n);
	if (s != CUR_OK)
		return CUR_INVALID;
	*len = KG_MIN(n.len, cap);
	memcpy(out, n.text, *len);
	return CUR_OK;
}

enum cur_status dns_rdata_text(const struct cursor *msg, const struct dns_rr *rr, uint8_t *out, size_t cap,
			       size_t *len)
{
	struct cursor rd = rr->rdata;
	*len = 0;
	switch (rr->type) {
	case DNS_TYPE_A:
	case DNS_TYPE_AAAA: {
		size_t n = rr->type == DNS_TYPE_A ? 4 : 16;
		uint8_t a[16] = {0};
		char buf[48];
		if (cur_len(&rd) != n || cap < sizeof(buf))
			return CUR_INVALID;
		cur_copy(&rd, a, n);
		kg_format_ip(n == 4 ? 4 : 6, a, buf, sizeof(buf));
		*len = strlen(buf);
		memcpy(out, buf, *len);
		return CUR_OK;
	}
	case DNS_TYPE_CNAME:
	case DNS_TYPE_NS:
	case DNS_TYPE_PTR:
		return name_text(msg, rd, out, cap, len);
	case DNS_TYPE_MX: {
		uint16_t pref;
		if (!cur_be16(&rd, &pref))
			return CUR_INVALID;
		return name_text(msg, rd, out, cap, len);
	}
	case DNS_TYPE_TXT: {
		struct cursor s;
		if (!cur_u8_prefixed(&rd, &s))
			return CUR_INVALID;
		*len = KG_MIN(cur_len(&s), cap);
		cur_copy(&s, out, *len);
		return CUR_OK;
	}
	default:
		return CUR_INVALID;
	}
}

const char *dns_type_name(uint16_t type)
{
	switch (type) {
	case 1: return "A";
	case 2: return "NS";
	case 5: return "CNAME";
	case 6: return "SOA";
	case 12: return "PTR";
	case 15: return "MX";
	case 16: return "TXT";
	case 28: return "AAAA";
	case 33: return "SRV";
	case 35: return "NAPTR";
	case 41: return "OPT";
	case 43: return "DS";
	case 46: return "RRSIG";
	case 47: return "NSEC";
	case 48: return "DNSKEY";
	case 64: return "SVCB";
	case 65: return "HTTPS";
	case 99: return "SPF";
	case 252: return "AXFR";
	case 255: return "ANY";
	case 257: return "CAA";
	default: return NULL;
	}
}

const char *dns_rcode_name(uint8_t rcode)
{
	static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
					    "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"};
	return rcode < KG_ARRAY_LEN(names) ? names[rcode] : NULL;
}

/* The kill-switch domains of the WannaCry variants of May 2017 (the first one of 12 May and the
 * later variants' replacements); WannaCry looks up www.<domain>. */
static const char *const killswitch[] = {
	"iuqerfsodp9ifjaposdfjhgosurijfaewrwergwea.com",
	"ifferfsodp9ifjaposdfjhgosurijfaewrwergwea.com",
	"iuqssfsodp9ifjaposdfjhgosurijfaewrwergwea.com",
	"ayylmaotjhsstasdfasdfasdfasdfasdfasdfasdf.com",
};

static uint8_t lower(uint8_t c) { return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c; }

static bool eq_nocase(struct cursor c, const char *lit)
{
	size_t n = strlen(lit);
	if (cur_len(&c) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t b;
		if (!cur_u8(&c, &b) || lower(b) != (uint8_t)lit[i])
			return false;
	}
	return true;
}

const char *wannacry_killswitch(const uint8_t *name, size_t len)
{
	struct cursor c = cur_make(name, len);
	uint8_t last;
	struct cursor w;
	if (len && cur_peek_u8(&c, len - 1, &last) && last == '.' && cur_window(&c, 0, len - 1, &w))
		c = w;
	if (cur_window(&c, 0, 4, &w) && eq_nocase(w, "www.") && !cur_skip(&c, 4))
		return NULL;
	for (size_t i = 0; i < KG_ARRAY_LEN(killswitch); i++)
		if (eq_nocase(c, killswitch[i]))
			return killswitch[i];
	return NULL;
}

static bool nbns_name(const struct dns_name *n)
{
	if (n->labels != 1 || n->len != 32)
		return false;
	for (size_t i = 0; i < n->len; i++)
		if (n->text[i] < 'A' || n->text[i] > 'P')
			return false;
	return true;
}

enum dns_probe dns_probe_message(const uint8_t *data, size_t len)
{
	struct cursor msg = cur_make(data, len), c = msg;
	struct dns_hdr h;
	if (dns_header(&c, &h) != CUR_OK)
		return DNS_PROBE_NO;
	uint8_t op = dns_opcode(&h);
	if (h.qdcount == 0 || h.qdcount > 16 || op == 3 || op > 6)
		return DNS_PROBE_NO;
	bool nbns = false;
	for (unsigned i = 0; i < h.qdcount; i++) {
		struct dns_question q;
		if (dns_read_question(&msg, &c, &q) != CUR_OK)
			return DNS_PROBE_NO;
		if (i == 0)
			nbns = nbns_name(&q.name);
	}
	unsigned nrr = (unsigned)h.ancount + h.nscount + h.arcount;
	for (unsigned i = 0; i < nrr; i++) {
		struct dns_rr rr;
		if (dns_read_rr(&msg, &c, &rr) != CUR_OK)
			return DNS_PROBE_NO;
	}
	if (!cur_empty(&c))
		return DNS_PROBE_NO;
	return nbns ? DNS_PROBE_NBNS : DNS_PROBE_YES;
}
