/* tls_records.c - TLS wire parsing (see tls_records.h for the specs). Every read goes through
 * struct cursor; a length field is checked against what remains before it is followed. */
#include "config.h"

#include "tls_records.h"

#include <stdio.h>
#include <string.h>

enum cur_status tls_record_header(struct cursor *c, struct tls_record_hdr *h)
{
	struct cursor t = *c;
	if (!cur_u8(&t, &h->type) || !cur_be16(&t, &h->version) || !cur_be16(&t, &h->length))
		return CUR_TRUNCATED;
	if (h->type < TLS_CT_CHANGE_CIPHER_SPEC || h->type > TLS_CT_HEARTBEAT)
		return CUR_INVALID;
	if ((h->version >> 8) != 3 || (h->version & 0xff) > 4)
		return CUR_INVALID;
	if (h->length > TLS_MAX_RECORD_LEN)
		return CUR_INVALID;
	*c = t;
	return CUR_OK;
}

enum cur_status tls_sslv2_hello(const struct cursor *c, uint16_t *version, size_t *len)
{
	uint8_t b0, b1, type;
	uint16_t v;
	struct cursor t = *c;
	if (!cur_u8(&t, &b0) || !cur_u8(&t, &b1) || !cur_u8(&t, &type) || !cur_be16(&t, &v))
		return CUR_TRUNCATED;
	if (!(b0 & 0x80) || type != 1 || (v >> 8) != 3 || (v & 0xff) > 3)
		return CUR_INVALID;
	size_t l = (size_t)(b0 & 0x7f) << 8 | b1;
	if (l < 9) /* msg type, version, three 2-byte lengths */
		return CUR_INVALID;
	*version = v;
	*len = l + 2;
	return CUR_OK;
}

bool tls_is_grease(uint16_t v) { return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff); }

/* Read a list of 16-bit values, keeping at most TLS_MAX_LIST. */
static bool read_u16_list(struct cursor list, uint16_t *out, uint16_t *n, bool *cut)
{
	*n = 0;
	if (cur_len(&list) % 2)
		return false;
	uint16_t v;
	while (cur_be16(&list, &v)) {
		if (*n < TLS_MAX_LIST)
			out[(*n)++] = v;
		else
			*cut = true;
	}
	return true;
}

static enum cur_status parse_extensions(struct cursor exts, struct tls_hello *h)
{
	while (!cur_empty(&exts)) {
		uint16_t type;
		struct cursor body;
		if (!cur_be16(&exts, &type) || !cur_be16_prefixed(&exts, &body))
			return CUR_INVALID;
		if (h->nexts < TLS_MAX_LIST)
			h->exts[h->nexts++] = type;
		else
			h->truncated_lists = true;
		switch (type) {
		case TLS_EXT_SERVER_NAME: {
			struct cursor list, name;
			uint8_t nt;
			if (h->msg_type != TLS_HS_CLIENT_HELLO || cur_empty(&body))
				break; /* a server acknowledges SNI with an empty extension */
			if (!cur_be16_prefixed(&body, &list))
				return CUR_INVALID;
			while (!cur_empty(&list)) {
				if (!cur_u8(&list, &nt) || !cur_be16_prefixed(&list, &name))
					return CUR_INVALID;
				if (nt == 0 && cur_empty(&h->sni))
					h->sni = name;
			}
			break;
		}
		case TLS_EXT_SUPPORTED_GROUPS: {
			struct cursor list;
			if (!cur_be16_prefixed(&body, &list) ||
			    !read_u16_list(list, h->groups, &h->ngroups, &h->truncated_lists))
				return CUR_INVALID;
			break;
		}
		case TLS_EXT_EC_POINT_FORMATS: {
			struct cursor list;
			uint8_t f;
			if (!cur_u8_prefixed(&body, &list))
				return CUR_INVALID;
			while (cur_u8(&list, &f)) {
				if (h->npoint_formats < TLS_MAX_LIST)
					h->point_formats[h->npoint_formats++] = f;
				else
					h->truncated_lists = true;
			}
			break;
		}
		case TLS_EXT_HEARTBEAT:
			h->heartbeat = true;
			if (!cur_u8(&body, &h->heartbeat_mode))
				return CUR_INVALID;
			break;
		case TLS_EXT_ALPN: {
			struct cursor list, p;
			if (!cur_be16_prefixed(&body, &list))
				return CUR_INVALID;
			while (!cur_empty(&list)) {
				if (!cur_u8_prefixed(&list, &p))
					return CUR_INVALID;
				if (h->nalpn < TLS_MAX_ALPN)
					h->alpn[h->nalpn++] = p;
			}
			break;
		}
		case TLS_EXT_SUPPORTED_VERSIONS:
			if (h->msg_type == TLS_HS_CLIENT_HELLO) {
				struct cursor list;
				if (!cur_u8_prefixed(&body, &list) ||
				    !read_u16_list(list, h->versions, &h->nversions, &h->truncated_lists))
					return CUR_INVALID;
			} else {
				uint16_t v;
				if (!cur_be16(&body, &v))
					return CUR_INVALID;
				h->versions[0] = v;
				h->nversions = 1;
			}
			break;
		default:
			break;
		}
	}
	return CUR_OK;
}

enum cur_status tls_parse_hello(struct cursor body, uint8_t msg_type, struct tls_hello *h)
{
	memset(h, 0, sizeof(*h));
	h->msg_type = msg_type;
	struct cursor sid;
	if (!cur_be16(&body, &h->version) || !cur_skip(&body, 32) || !cur_u8_prefixed(&body, &sid))
		return CUR_INVALID;
	if (cur_len(&sid) > 32)
		return CUR_INVALID;
	if (msg_type == TLS_HS_CLIENT_HELLO) {
		struct cursor ciphers, comp;
		if (!cur_be16_prefixed(&body, &ciphers) || cur_len(&ciphers) % 2 ||
		    !cur_u8_prefixed(&body, &comp))
			return CUR_INVALID;
		h->nciphers_total = (uint32_t)(cur_len(&ciphers) / 2);
		if (!read_u16_list(ciphers, h->ciphers, &h->nciphers, &h->truncated_lists))
			return CUR_INVALID;
	} else {
		uint8_t comp;
		if (!cur_be16(&body, &h->ciphers[0]) || !cur_u8(&body, &comp))
			return CUR_INVALID;
		h->nciphers = 1;
		h->nciphers_total = 1;
	}
	if (cur_empty(&body))
		return CUR_OK; /* no extensions (SSLv3, old clients) */
	struct cursor exts;
	if (!cur_be16_prefixed(&body, &exts))
		return CUR_INVALID;
	return parse_extensions(exts, h);
}

uint16_t tls_hello_selected_version(const struct tls_hello *h)
{
	if (h->msg_type == TLS_HS_SERVER_HELLO && h->nversions == 1)
		return h->versions[0];
	return h->version;
}

static void join_u16(struct strbuf *out, const uint16_t *v, uint16_t n)
{
	bool first = true;
	for (uint16_t i = 0; i < n; i++) {
		if (tls_is_grease(v[i]))
			continue;
		sb_printf(out, first ? "%u" : "-%u", v[i]);
		first = false;
	}
}

void tls_ja3_string(const struct tls_hello *ch, struct strbuf *out)
{
	sb_printf(out, "%u,", ch->version);
	join_u16(out, ch->ciphers, ch->nciphers);
	sb_putc(out, ',');
	join_u16(out, ch->exts, ch->nexts);
	sb_putc(out, ',');
	join_u16(out, ch->groups, ch->ngroups);
	sb_putc(out, ',');
	for (uint16_t i = 0; i < ch->npoint_formats; i++)
		sb_printf(out, i ? "-%u" : "%u", ch->point_formats[i]);
}

void tls_ja3s_string(const struct tls_hello *sh, struct strbuf *out)
{
	sb_printf(out, "%u,%u,", sh->version, sh->ciphers[0]);
	join_u16(out, sh->exts, sh->nexts);
}

enum cur_status tls_parse_heartbeat(struct cursor body, struct tls_heartbeat *hb)
{
	if (!cur_u8(&body, &hb->type) || !cur_be16(&body, &hb->payload_length))
		return CUR_TRUNCATED;
	return CUR_OK;
}

/* ----------------------------------------------------------- certificates */

/* One DER TLV (ITU-T X.690): single-byte tags, definite lengths up to 4 bytes. */
static bool der_tlv(struct cursor *c, uint8_t *tag, struct cursor *val)
{
	struct cursor t = *c;
	uint8_t l0;
	if (!cur_u8(&t, tag) || (*tag & 0x1f) == 0x1f || !cur_u8(&t, &l0))
		return false;
	size_t len = l0;
	if (l0 & 0x80) {
		unsigned n = l0 & 0x7f;
		if (n == 0 || n > 4)
			return false;
		len = 0;
		for (unsigned i = 0; i < n; i++) {
			uint8_t b;
			if (!cur_u8(&t, &b))
				return false;
			len = len << 8 | b;
		}
	}
	if (!cur_sub(&t, len, val))
		return false;
	*c = t;
	return true;
}

static const struct {
	const uint8_t *oid;
	uint8_t len;
	const char *key;
} attr_names[] = {
	{(const uint8_t *)"\x55\x04\x03", 3, "CN"},
	{(const uint8_t *)"\x55\x04\x06", 3, "C"},
	{(const uint8_t *)"\x55\x04\x07", 3, "L"},
	{(const uint8_t *)"\x55\x04\x08", 3, "ST"},
	{(const uint8_t *)"\x55\x04\x09", 3, "street"},
	{(const uint8_t *)"\x55\x04\x0a", 3, "O"},
	{(const uint8_t *)"\x55\x04\x0b", 3, "OU"},
	{(const uint8_t *)"\x55\x04\x05", 3, "serialNumber"},
	{(const uint8_t *)"\x55\x04\x04", 3, "SN"},
	{(const uint8_t *)"\x55\x04\x2a", 3, "GN"},
	{(const uint8_t *)"\x55\x04\x0c", 3, "title"},
	{(const uint8_t *)"\x55\x04\x0f", 3, "businessCategory"},
	{(const uint8_t *)"\x55\x04\x11", 3, "postalCode"},
	{(const uint8_t *)"\x55\x04\x61", 3, "organizationIdentifier"},
	{(const uint8_t *)"\x2b\x06\x01\x04\x01\x82\x37\x3c\x02\x01\x01", 11, "jurisdictionL"},
	{(const uint8_t *)"\x2b\x06\x01\x04\x01\x82\x37\x3c\x02\x01\x02", 11, "jurisdictionST"},
	{(const uint8_t *)"\x2b\x06\x01\x04\x01\x82\x37\x3c\x02\x01\x03", 11, "jurisdictionC"},
	{(const uint8_t *)"\x2a\x86\x48\x86\xf7\x0d\x01\x09\x01", 9, "emailAddress"},
	{(const uint8_t *)"\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x19", 10, "DC"},
};

static void oid_text(struct cursor oid, struct strbuf *out)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(attr_names); i++) {
		if (cur_len(&oid) == attr_names[i].len && memcmp(oid.p, attr_names[i].oid, attr_names[i].len) == 0) {
			sb_puts(out, attr_names[i].key);
			return;
		}
	}
	/* dotted form */
	uint64_t v = 0;
	bool first = true;
	uint8_t b;
	while (cur_u8(&oid, &b)) {
		if (v > (UINT64_MAX >> 7))
			return;
		v = v << 7 | (b & 0x7f);
		if (b & 0x80)
			continue;
		if (first) {
			unsigned x = v < 80 ? (unsigned)(v / 40) : 2;
			sb_printf(out, "%u.%llu", x, (unsigned long long)(v - 40ULL * x));
			first = false;
		} else {
			sb_printf(out, ".%llu", (unsigned long long)v);
		}
		v = 0;
	}
}

/* Name ::= SEQUENCE OF SET OF AttributeTypeAndValue (RFC 5280 4.1.2.4) */
static bool format_name(struct cursor name, struct strbuf *out)
{
	bool first = true;
	while (!cur_empty(&name)) {
		uint8_t tag;
		struct cursor rdn;
		if (!der_tlv(&name, &tag, &rdn) || tag != 0x31)
			return false;
		while (!cur_empty(&rdn)) {
			struct cursor atv, oid, val;
			uint8_t vt;
			if (!der_tlv(&rdn, &tag, &atv) || tag != 0x30 || !der_tlv(&atv, &tag, &oid) || tag != 0x06 ||
			    !der_tlv(&atv, &vt, &val))
				return false;
			if (!first)
				sb_puts(out, ", ");
			first = false;
			oid_text(oid, out);
			sb_putc(out, '=');
			if (vt == 0x1e) { /* BMPString: UTF-16BE, kept for the ASCII range */
				uint16_t u;
				while (cur_be16(&val, &u))
					sb_putc(out, u < 0x80 ? (char)u : '?');
			} else {
				sb_append(out, val.p, cur_len(&val));
			}
		}
	}
	return true;
}

enum cur_status tls_parse_certificate(struct cursor body, struct tls_cert_names *out)
{
	struct cursor list, cert;
	out->serial[0] = '\0';
	out->serial_text[0] = '\0';
	/* TLS <= 1.2: certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1> */
	if (!cur_be24_prefixed(&body, &list) || !cur_be24_prefixed(&list, &cert))
		return CUR_INVALID;
	uint8_t tag;
	struct cursor c, tbs, f;
	if (!der_tlv(&cert, &tag, &c) || tag != 0x30 || !der_tlv(&c, &tag, &tbs) || tag != 0x30)
		return CUR_INVALID;
	if (!der_tlv(&tbs, &tag, &f))
		return CUR_INVALID;
	if (tag == 0xa0 && !der_tlv(&tbs, &tag, &f)) /* [0] version, then the serial */
		return CUR_INVALID;
	if (tag != 0x02)
		return CUR_INVALID;
	size_t sl = KG_MIN(cur_len(&f), (size_t)20);
	kg_hex(f.p, sl, out->serial);
	kg_hex_sep(f.p, KG_MIN(cur_len(&f), (size_t)TLS_SERIAL_MAX), ':', true, out->serial_text);
	struct cursor sigalg, issuer, validity, subject;
	if (!der_tlv(&tbs, &tag, &sigalg) || tag != 0x30 || !der_tlv(&tbs, &tag, &issuer) || tag != 0x30 ||
	    !der_tlv(&tbs, &tag, &validity) || tag != 0x30 || !der_tlv(&tbs, &tag, &subject) || tag != 0x30)
		return CUR_INVALID;
	if (!format_name(issuer, &out->issuer) || !format_name(subject, &out->subject))
		return CUR_INVALID;
	return CUR_OK;
}

size_t tls_certificate_chain(struct cursor body, struct cursor *certs, size_t max, bool *more)
{
	struct cursor list, cert;
	size_t n = 0;
	*more = false;
	if (!cur_be24_prefixed(&body, &list))
		return 0;
	while (!cur_empty(&list) && cur_be24_prefixed(&list, &cert)) {
		if (n == max) {
			*more = true;
			break;
		}
		certs[n++] = cert;
	}
	return n;
}

/* ------------------------------------------------------------ cipher suites */

#define AEAD_GCM 24   /* 8-byte explicit nonce + 16-byte tag */
#define AEAD_CHACHA 16 /* tag only */

static const struct tls_cipher_info ciphers[] = {
	{0x0004, "TLS_RSA_WITH_RC4_128_MD5", 16, 0, 0},
	{0x0005, "TLS_RSA_WITH_RC4_128_SHA", 20, 0, 0},
	{0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", 20, 8, 0},
	{0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA", 20, 8, 0},
	{0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA", 20, 8, 0},
	{0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA", 20, 16, 0},
	{0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA", 20, 16, 0},
	{0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", 20, 16, 0},
	{0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", 20, 16, 0},
	{0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA", 20, 16, 0},
	{0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", 20, 16, 0},
	{0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256", 32, 16, 0},
	{0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256", 32, 16, 0},
	{0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA", 20, 16, 0},
	{0x0045, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA", 20, 16, 0},
	{0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", 32, 16, 0},
	{0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", 32, 16, 0},
	{0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA", 20, 16, 0},
	{0x0087, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA", 20, 16, 0},
	{0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA", 20, 16, 0},
	{0x0096, "TLS_RSA_WITH_SEED_CBC_SHA", 20, 16, 0},
	{0x009a, "TLS_DHE_RSA_WITH_SEED_CBC_SHA", 20, 16, 0},
	{0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256", 0, 0, AEAD_GCM},
	{0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384", 0, 0, AEAD_GCM},
	{0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", 0, 0, AEAD_GCM},
	{0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", 0, 0, AEAD_GCM},
	{0xc007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", 20, 0, 0},
	{0xc008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA", 20, 8, 0},
	{0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 20, 16, 0},
	{0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", 20, 16, 0},
	{0xc011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA", 20, 0, 0},
	{0xc012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", 20, 8, 0},
	{0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 20, 16, 0},
	{0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", 20, 16, 0},
	{0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", 32, 16, 0},
	{0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", 48, 16, 0},
	{0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", 32, 16, 0},
	{0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", 48, 16, 0},
	{0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0, 0, AEAD_GCM},
	{0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 0, 0, AEAD_GCM},
	{0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0, 0, AEAD_GCM},
	{0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 0, 0, AEAD_GCM},
	{0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 0, 0, AEAD_CHACHA},
	{0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", 0, 0, AEAD_CHACHA},
	{0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 0, 0, AEAD_CHACHA},
	{0x1301, "TLS_AES_128_GCM_SHA256", 0, 0, 16},
	{0x1302, "TLS_AES_256_GCM_SHA384", 0, 0, 16},
	{0x1303, "TLS_CHACHA20_POLY1305_SHA256", 0, 0, 16},
};

const struct tls_cipher_info *tls_cipher_lookup(uint16_t id)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(ciphers); i++)
		if (ciphers[i].id == id)
			return &ciphers[i];
	return NULL;
}

#define HB_MIN_PLAINTEXT 19u /* type + payload_length + no payload + 16 bytes of padding */

unsigned tls_min_heartbeat_record(const struct tls_cipher_info *ci, uint16_t version)
{
	if (!ci)
		return 0;
	if (ci->aead_overhead)
		return HB_MIN_PLAINTEXT + ci->aead_overhead;
	if (!ci->block_len)
		return HB_MIN_PLAINTEXT + ci->mac_len;
	unsigned b = ci->block_len;
	unsigned body = HB_MIN_PLAINTEXT + ci->mac_len + 1; /* + padding length byte */
	body = (body + b - 1) / b * b;
	return body + (version >= 0x0302 ? b : 0); /* explicit IV from TLS 1.1 */
}

unsigned tls_record_plaintext_max(const struct tls_cipher_info *ci, uint16_t version, unsigned rec_len)
{
	unsigned overhead;
	if (!ci)
		return rec_len;
	if (ci->aead_overhead)
		overhead = ci->aead_overhead;
	else if (!ci->block_len)
		overhead = ci->mac_len;
	else
		overhead = ci->mac_len + 1 + (version >= 0x0302 ? ci->block_len : 0);
	return rec_len > overhead ? rec_len - overhead : 0;
}

const char *tls_version_name(uint16_t v)
{
	switch (v) {
	case 0x0002: return "SSLv2";
	case 0x0300: return "SSLv3";
	case 0x0301: return "TLS 1.0";
	case 0x0302: return "TLS 1.1";
	case 0x0303: return "TLS 1.2";
	case 0x0304: return "TLS 1.3";
	default: return "UNDETERMINED";
	}
}
