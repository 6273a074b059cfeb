/* test_dns_records.c - DNS wire parsing (names with compression pointers and their loop limits,
 * truncated vs invalid, records, rdata text), content recognition (NetBIOS name service left out),
 * and the WannaCry kill-switch matcher (HTTP's helpers: test_http_records.c). */
#include "config.h"

#include "check.h"
#include "dissectors/dns/dns_records.h"

static bool name_is(const struct dns_name *n, const char *s)
{
	return n->len == strlen(s) && memcmp(n->text, s, n->len) == 0;
}

static bool ks(const char *s, const char *want)
{
	const char *got = wannacry_killswitch((const uint8_t *)s, strlen(s));
	return want ? got && strcmp(got, want) == 0 : got == NULL;
}

int main(void)
{
	/* an answer: question www.example.com A, one A record named by a pointer to offset 12 */
	static const uint8_t ans[] = {
		0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
		3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1,
		0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 93, 184, 216, 34,
	};
	struct cursor msg = cur_make(ans, sizeof(ans)), c = msg;
	struct dns_hdr h;
	CHECK(dns_header(&c, &h) == CUR_OK && h.id == 0x1234 && dns_is_response(&h) && dns_rcode(&h) == 0 &&
	      h.qdcount == 1 && h.ancount == 1);
	struct dns_question q;
	CHECK(dns_read_question(&msg, &c, &q) == CUR_OK && name_is(&q.name, "www.example.com") && q.type == 1 &&
	      q.name.labels == 3 && q.name.jumps == 0);
	struct dns_rr rr;
	CHECK(dns_read_rr(&msg, &c, &rr) == CUR_OK && name_is(&rr.name, "www.example.com") && rr.name.jumps == 1 &&
	      rr.ttl == 3600 && cur_len(&rr.rdata) == 4 && cur_empty(&c));
	uint8_t text[DNS_NAME_TEXT_MAX + 8];
	size_t tl;
	CHECK(dns_rdata_text(&msg, &rr, text, sizeof(text), &tl) == CUR_OK && tl == 13 &&
	      memcmp(text, "93.184.216.34", 13) == 0);
	CHECK(dns_probe_message(ans, sizeof(ans)) == DNS_PROBE_YES);
	CHECK(dns_probe_message(ans, sizeof(ans) - 1) == DNS_PROBE_NO); /* record cut */
	c = cur_make(ans, 11);
	CHECK(dns_header(&c, &h) == CUR_TRUNCATED);

	/* a record whose rdata runs past the message: truncated */
	c = msg;
	cur_skip(&c, 12 + 17 + 4);
	struct cursor cut = cur_make(ans, sizeof(ans) - 2);
	struct cursor cc = cur_make(ans + 33, sizeof(ans) - 2 - 33);
	CHECK(dns_read_rr(&cut, &cc, &rr) == CUR_TRUNCATED);

	/* a pointer to itself, a forward pointer, a reserved label type: invalid */
	static const uint8_t self[] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1};
	msg = cur_make(self, sizeof(self));
	c = msg;
	cur_skip(&c, 12);
	CHECK(dns_read_question(&msg, &c, &q) == CUR_INVALID);
	static const uint8_t fwd[] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x10, 0, 1, 1, 'a', 0};
	msg = cur_make(fwd, sizeof(fwd));
	c = msg;
	cur_skip(&c, 12);
	CHECK(dns_read_question(&msg, &c, &q) == CUR_INVALID);
	static const uint8_t resv[] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x41, 'a', 0, 0, 1, 0, 1};
	msg = cur_make(resv, sizeof(resv));
	c = msg;
	cur_skip(&c, 12);
	CHECK(dns_read_question(&msg, &c, &q) == CUR_INVALID);
	/* a label running past the end: truncated */
	static const uint8_t shortl[] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 9, 'a', 'b'};
	msg = cur_make(shortl, sizeof(shortl));
	c = msg;
	cur_skip(&c, 12);
	CHECK(dns_read_question(&msg, &c, &q) == CUR_TRUNCATED);

	/* a chain of backward pointers: followed up to DNS_MAX_JUMPS, refused beyond */
	static uint8_t chain[12 + 2 + 2 * 40];
	memset(chain, 0, sizeof(chain));
	chain[12] = 0; /* the root name at 12 */
	chain[13] = 0;
	for (int i = 0; i < 40; i++) {
		size_t at = 14 + 2 * (size_t)i;
		size_t to = i == 0 ? 12 : at - 2;
		chain[at] = (uint8_t)(0xc0 | (to >> 8));
		chain[at + 1] = (uint8_t)to;
	}
	msg = cur_make(chain, sizeof(chain));
	struct dns_name n;
	c = msg;
	cur_skip(&c, 14 + 2 * (DNS_MAX_JUMPS - 1));
	CHECK(dns_read_name(&msg, &c, &n) == CUR_OK && n.jumps == DNS_MAX_JUMPS && n.len == 0);
	c = msg;
	cur_skip(&c, 14 + 2 * 39);
	CHECK(dns_read_name(&msg, &c, &n) == CUR_INVALID);

	/* a name longer than 255 bytes on the wire */
	static uint8_t longname[12 + 5 * 64 + 1 + 4];
	memset(longname, 0, sizeof(longname));
	longname[5] = 1;
	for (int i = 0; i < 5; i++) {
		longname[12 + 64 * i] = 63;
		memset(longname + 12 + 64 * i + 1, 'x', 63);
	}
	msg = cur_make(longname, sizeof(longname));
	c = msg;
	cur_skip(&c, 12);
	CHECK(dns_read_name(&msg, &c, &n) == CUR_INVALID);

	/* NetBIOS name service query (RFC 1002 encoded name): not DNS */
	static const uint8_t nbns[] = {0x80, 0x01, 0x01, 0x10, 0, 1, 0, 0, 0, 0, 0, 0, 32,
				       'F', 'H', 'E', 'P', 'F', 'C', 'E', 'L', 'E', 'H', 'F', 'C', 'E', 'P', 'F', 'F',
				       'F', 'A', 'C', 'A', 'C', 'A', 'C', 'A', 'C', 'A', 'C', 'A', 'C', 'A', 'C', 'A',
				       0, 0, 0x20, 0, 1};
	CHECK(dns_probe_message(nbns, sizeof(nbns)) == DNS_PROBE_NBNS);

	/* kill-switch domains: bare, www., any case, trailing dot; not lookalikes */
	CHECK(ks("iuqerfsodp9ifjaposdfjhgosurijfaewrwergwea.com", "iuqerfsodp9ifjaposdfjhgosurijfaewrwergwea.com"));
	CHECK(ks("www.iuqerfsodp9ifjaposdfjhgosurijfaewrwergwea.com.", "iuqerfsodp9ifjaposdfjhgosurijfaewrwergwea.com"));
	CHECK(ks("WWW.IFFERFSODP9IFJAPOSDFJHGOSURIJFAEWRWERGWEA.COM", "ifferfsodp9ifjaposdfjhgosurijfaewrwergwea.com"));
	CHECK(ks("www.iuqssfsodp9ifjaposdfjhgosurijfaewrwergwea.com", "iuqssfsodp9ifjaposdfjhgosurijfaewrwergwea.com"));
	CHECK(ks("ayylmaotjhsstasdfasdfasdfasdfasdfasdfasdf.com", "ayylmaotjhsstasdfasdfasdfasdfasdfasdfasdf.com"));
	CHECK(ks("xiuqerfsodp9ifjaposdfjhgosurijfaewrwergwea.com", NULL));
	CHECK(ks("mail.iuqerfsodp9ifjaposdfjhgosurijfaewrwergwea.com", NULL));
	CHECK(ks("iuqerfsodp9ifjaposdfjhgosurijfaewrwergwea.com.evil.net", NULL));
	CHECK(ks("www.", NULL));
	CHECK(ks("", NULL));

	return check_done("test_dns_records");
}
