/* test_tls_records.c - TLS wire parsing: record headers (truncated vs invalid), hellos and their
 * extensions, JA3/JA3S strings (GREASE left out), heartbeat headers, certificate names, the
 * certificate chain and the colon-hex forms of tls.cert_serial / tls.cert_fingerprint, and the
 * minimum encrypted heartbeat lengths against Zeek's published table. */
#include "config.h"

#include "check.h"
#include "dissectors/tls/tls_records.h"

int main(void)
{
	struct tls_record_hdr h;
	struct cursor c;

	static const uint8_t rec[] = {0x18, 0x03, 0x02, 0x00, 0x03, 0x01, 0x40, 0x00};
	c = cur_make(rec, sizeof(rec));
	CHECK(tls_record_header(&c, &h) == CUR_OK && h.type == 24 && h.version == 0x0302 && h.length == 3);
	struct tls_heartbeat hb;
	CHECK(tls_parse_heartbeat(c, &hb) == CUR_OK && hb.type == 1 && hb.payload_length == 0x4000);
	c = cur_make(rec, 4);
	CHECK(tls_record_header(&c, &h) == CUR_TRUNCATED && cur_len(&c) == 4);
	static const uint8_t badtype[] = {0x19, 0x03, 0x01, 0x00, 0x01};
	c = cur_make(badtype, sizeof(badtype));
	CHECK(tls_record_header(&c, &h) == CUR_INVALID);
	static const uint8_t badver[] = {0x16, 0x04, 0x01, 0x00, 0x01};
	c = cur_make(badver, sizeof(badver));
	CHECK(tls_record_header(&c, &h) == CUR_INVALID);
	static const uint8_t toolong[] = {0x17, 0x03, 0x03, 0x48, 0x01};
	c = cur_make(toolong, sizeof(toolong));
	CHECK(tls_record_header(&c, &h) == CUR_INVALID); /* 18433 > 2^14 + 2048 */
	CHECK(tls_parse_heartbeat(cur_make(rec + 5, 2), &hb) == CUR_TRUNCATED);

	/* ClientHello: legacy 0x0303, ciphers (GREASE 0x1a1a first), SNI, groups with GREASE,
	 * point formats, heartbeat mode 1, ALPN h2, supported_versions */
	static const uint8_t ch[] = {
		0x03, 0x03, /* version */
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27,
		28, 29, 30, 31, /* random */
		0x00,                                     /* session id */
		0x00, 0x06, 0x1a, 0x1a, 0xc0, 0x2f, 0x00, 0x2f, /* ciphers */
		0x01, 0x00,                               /* compression */
		0x00, 0x31,                               /* extensions length: 49 */
		0x0a, 0x0a, 0x00, 0x00,                   /* GREASE extension */
		0x00, 0x00, 0x00, 0x0b, 0x00, 0x09, 0x00, 0x00, 0x06, 'e', 'x', '.', 'c', 'o', 'm', /* SNI */
		0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x3a, 0x3a, 0x00, 0x1d, /* groups: GREASE, x25519 */
		0x00, 0x0b, 0x00, 0x02, 0x01, 0x00,       /* point formats */
		0x00, 0x0f, 0x00, 0x01, 0x01,             /* heartbeat, mode 1 */
		0x00, 0x10, 0x00, 0x05, 0x00, 0x03, 0x02, 'h', '2', /* ALPN */
	};
	struct tls_hello hello;
	CHECK(tls_parse_hello(cur_make(ch, sizeof(ch)), TLS_HS_CLIENT_HELLO, &hello) == CUR_OK);
	CHECK(hello.version == 0x0303 && hello.nciphers == 3 && hello.heartbeat && hello.heartbeat_mode == 1);
	CHECK(cur_len(&hello.sni) == 6 && memcmp(hello.sni.p, "ex.com", 6) == 0);
	CHECK(hello.nalpn == 1 && cur_len(&hello.alpn[0]) == 2);
	struct strbuf ja3;
	sb_init(&ja3, 0);
	tls_ja3_string(&hello, &ja3);
	CHECK_STR(sb_cstr(&ja3), "771,49199-47,0-10-11-15-16,29,0");
	sb_free(&ja3);
	/* a hello whose extensions block claims more than it has is invalid, not a crash */
	uint8_t broken[sizeof(ch)];
	memcpy(broken, ch, sizeof(ch));
	broken[45] = 0x7f; /* extensions length */
	CHECK(tls_parse_hello(cur_make(broken, sizeof(broken)), TLS_HS_CLIENT_HELLO, &hello) == CUR_INVALID);
	/* every truncation of the hello fails cleanly, except the one that ends right after
	 * the compression methods: a valid hello without extensions */
	for (size_t n = 0; n < sizeof(ch); n++)
		CHECK((tls_parse_hello(cur_make(ch, n), TLS_HS_CLIENT_HELLO, &hello) == CUR_OK) == (n == 45));

	/* ServerHello without extensions (SSLv3 style) and with supported_versions */
	static const uint8_t sh[] = {0x03, 0x01, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
				     19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 0x00, 0x00, 0x88, 0x00};
	CHECK(tls_parse_hello(cur_make(sh, sizeof(sh)), TLS_HS_SERVER_HELLO, &hello) == CUR_OK);
	CHECK(hello.ciphers[0] == 0x0088 && tls_hello_selected_version(&hello) == 0x0301);
	struct strbuf ja3s;
	sb_init(&ja3s, 0);
	tls_ja3s_string(&hello, &ja3s);
	CHECK_STR(sb_cstr(&ja3s), "769,136,");
	sb_free(&ja3s);

	/* GREASE values: all sixteen, and nothing else */
	int grease = 0;
	for (uint32_t v = 0; v < 65536; v++)
		grease += tls_is_grease((uint16_t)v);
	CHECK_EQ_U(grease, 16);
	CHECK(tls_is_grease(0xfafa) && !tls_is_grease(0x0a0b));

	/* SSLv2-compatible hello */
	static const uint8_t v2[] = {0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10};
	uint16_t ver;
	size_t l;
	CHECK(tls_sslv2_hello(&(struct cursor){v2, sizeof(v2)}, &ver, &l) == CUR_OK && ver == 0x0301 && l == 48);
	CHECK(tls_sslv2_hello(&(struct cursor){v2, 4}, &ver, &l) == CUR_TRUNCATED);

	/* minimum encrypted heartbeat records: Zeek's tables (policy/protocols/ssl/heartbleed.zeek) */
	static const struct {
		uint16_t cipher, version;
		unsigned min;
	} mins[] = {
		{0xc014, 0x0301, 48}, {0x002f, 0x0301, 48}, {0x000a, 0x0301, 40}, {0x0005, 0x0301, 39},
		{0x0004, 0x0301, 35}, {0xc014, 0x0303, 64}, {0x003c, 0x0303, 80}, {0xc028, 0x0303, 96},
		{0xc02f, 0x0303, 43}, {0x009d, 0x0302, 43}, {0x000a, 0x0302, 48}, {0x0088, 0x0301, 48},
	};
	for (size_t i = 0; i < KG_ARRAY_LEN(mins); i++) {
		const struct tls_cipher_info *ci = tls_cipher_lookup(mins[i].cipher);
		CHECK(ci != NULL);
		if (ci && tls_min_heartbeat_record(ci, mins[i].version) != mins[i].min) {
			fprintf(stderr, "cipher 0x%04x version 0x%04x\n", mins[i].cipher, mins[i].version);
			CHECK_EQ_U(tls_min_heartbeat_record(ci, mins[i].version), mins[i].min);
		}
	}
	CHECK(tls_min_heartbeat_record(NULL, 0x0303) == 0);
	CHECK_EQ_U(tls_record_plaintext_max(tls_cipher_lookup(0xc014), 0x0301, 16416), 16395);
	CHECK_EQ_U(tls_record_plaintext_max(tls_cipher_lookup(0xc014), 0x0301, 10), 0);

	/* certificate: version, serial, issuer, subject; then a cut-off copy */
	static const uint8_t certmsg[] = {
		0x00, 0x00, 0x56, 0x00, 0x00, 0x53, /* list, cert lengths */
		0x30, 0x51, 0x30, 0x4f, 0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x02, 0x12, 0x34, /* version 3, serial */
		0x30, 0x03, 0x06, 0x01, 0x00,                                               /* sigalg */
		0x30, 0x17, 0x31, 0x15, 0x30, 0x13, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x0c, 'I', 's', 's', 'u', 'e',
		'r', ' ', 'C', 'A', ' ', '1', '!', /* issuer CN */
		0x30, 0x00,                        /* validity */
		0x30, 0x24, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, 'J', 'P', 0x31, 0x15,
		0x30, 0x13, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x0c, 'w', 'w', 'w', '.', 'e', 'x', 'a', 'm', 'p',
		'l', 'e', '.', /* subject C, CN */
	};
	struct tls_cert_names names;
	sb_init(&names.subject, 0);
	sb_init(&names.issuer, 0);
	CHECK(tls_parse_certificate(cur_make(certmsg, sizeof(certmsg)), &names) == CUR_OK);
	CHECK_STR(sb_cstr(&names.issuer), "CN=Issuer CA 1!");
	CHECK_STR(sb_cstr(&names.subject), "C=JP, CN=www.example.");
	CHECK_STR(names.serial, "1234");
	CHECK_STR(names.serial_text, "12:34"); /* tls.cert_serial: upper case, colons */
	/* the chain: one certificate here; a second one appended to the list; a cut list */
	struct cursor chain[2];
	bool more = true;
	CHECK(tls_certificate_chain(cur_make(certmsg, sizeof(certmsg)), chain, 2, &more) == 1 && !more &&
	      cur_len(&chain[0]) == 0x53 && cur_data(&chain[0]) == certmsg + 6);
	static const uint8_t two[] = {0x00, 0x00, 0x0a, 0x00, 0x00, 0x02, 0x30, 0x00, 0x00, 0x00, 0x03, 0x30, 0x01, 0x00};
	CHECK(tls_certificate_chain(cur_make(two, sizeof(two)), chain, 2, &more) == 1 && !more); /* 2nd runs past */
	static const uint8_t two_ok[] = {0x00, 0x00, 0x0a, 0x00, 0x00, 0x02, 0x30, 0x00, 0x00, 0x00, 0x02, 0x30, 0x00};
	CHECK(tls_certificate_chain(cur_make(two_ok, sizeof(two_ok)), chain, 2, &more) == 2 && !more &&
	      cur_data(&chain[1]) == two_ok + 11);
	CHECK(tls_certificate_chain(cur_make(two_ok, sizeof(two_ok)), chain, 1, &more) == 1 && more);
	CHECK(tls_certificate_chain(cur_make(two_ok, 2), chain, 2, &more) == 0);
	for (size_t n = 0; n + 1 < sizeof(certmsg); n++) {
		sb_reset(&names.subject);
		sb_reset(&names.issuer);
		CHECK(tls_parse_certificate(cur_make(certmsg, n), &names) != CUR_OK);
	}
	sb_free(&names.subject);
	sb_free(&names.issuer);
	CHECK_STR(tls_version_name(0x0304), "TLS 1.3");
	/* Suricata's forms: serial "00:C3:5A:17", fingerprint lower case */
	char hx[3 * 20];
	static const uint8_t ser[] = {0x00, 0xc3, 0x5a, 0x17}, fp[] = {0x5e, 0xc6, 0x0f, 0xa0};
	kg_hex_sep(ser, sizeof(ser), ':', true, hx);
	CHECK_STR(hx, "00:C3:5A:17");
	kg_hex_sep(fp, sizeof(fp), ':', false, hx);
	CHECK_STR(hx, "5e:c6:0f:a0");
	kg_hex_sep(ser, 1, ':', true, hx);
	CHECK_STR(hx, "00");
	kg_hex_sep(ser, 0, ':', true, hx);
	CHECK_STR(hx, "");
	return check_done("test_tls_records");
}
