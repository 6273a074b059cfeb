/* test_inspect.c - the inspection buffer table and the transaction view (dissectors/inspect.h):
 * every name and legacy name resolves to its buffer, pcre modifiers map as Suricata maps them,
 * views hold what was added and say when they overflowed, and the exactly-once rule holds over
 * a transaction's progress points. */
#include "config.h"

#include "check.h"
#include "dissectors/inspect.h"

int main(void)
{
	/* the table is indexed by id, and names are unique */
	for (size_t i = 1; i < IB__COUNT; i++) {
		CHECK_EQ_U(ib_table[i].id, i);
		CHECK(ib_lookup(ib_table[i].name) == &ib_table[i]);
		if (ib_table[i].legacy)
			CHECK(ib_lookup(ib_table[i].legacy) == &ib_table[i]);
		CHECK(ib_table[i].dirs >= IBD_TS && ib_table[i].dirs <= IBD_BOTH);
		CHECK(!(ib_table[i].dirs & IBD_TS) || ib_table[i].prog_ts);
		CHECK(!(ib_table[i].dirs & IBD_TC) || ib_table[i].prog_tc);
		for (size_t j = i + 1; j < IB__COUNT; j++)
			CHECK(strcmp(ib_table[i].name, ib_table[j].name) != 0);
	}
	CHECK(ib_lookup("http_uri")->id == IB_HTTP_URI);
	CHECK(ib_lookup("http_raw_uri")->id == IB_HTTP_URI_RAW);
	CHECK(ib_lookup("file_data")->id == IB_FILE_DATA);
	CHECK(ib_lookup("file.data")->multi); /* each uploaded file of a request is a buffer */
	CHECK(!ib_lookup("http.uri")->multi);
	CHECK(ib_lookup("dns_query")->id == IB_DNS_QUERY);
	CHECK(ib_lookup("tls_sni")->id == IB_TLS_SNI);
	CHECK(ib_lookup("ja3_hash")->id == IB_JA3_HASH);
	CHECK(ib_lookup("http_client_body")->id == IB_HTTP_REQUEST_BODY);
	CHECK(ib_lookup("http_server_body")->id == IB_HTTP_RESPONSE_BODY);
	CHECK(ib_lookup("http.nothing") == NULL);
	CHECK(ib_lookup("") == NULL);
	const char flags[] = "UIPQHDMCSYVWZ";
	const enum ib_id ids[] = {IB_HTTP_URI, IB_HTTP_URI_RAW, IB_HTTP_REQUEST_BODY, IB_HTTP_RESPONSE_BODY,
				  IB_HTTP_HEADER, IB_HTTP_HEADER_RAW, IB_HTTP_METHOD, IB_HTTP_COOKIE,
				  IB_HTTP_STAT_CODE, IB_HTTP_STAT_MSG, IB_HTTP_USER_AGENT, IB_HTTP_HOST,
				  IB_HTTP_HOST_RAW};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		CHECK(ib_lookup_pcre(flags[i]) && ib_lookup_pcre(flags[i])->id == ids[i]);
	CHECK(ib_lookup_pcre('R') == NULL);
	CHECK_EQ_U(ib_first_progress("http", DIR_TO_CLIENT), IP_HTTP_RESP_HEADERS);
	CHECK_EQ_U(ib_first_progress("tls", DIR_TO_SERVER), IP_TLS_CLIENT_HELLO);
	CHECK_EQ_U(ib_first_progress("nope", DIR_TO_SERVER), 0);

	/* a view: buffers by id and direction, multi buffers, attributes */
	static struct inspect_tx tx;
	inspect_tx_init(&tx, "http", 7, DIR_TO_SERVER);
	const uint8_t uri[] = "/a?b", hdr[] = "Host: x\r\n", rhdr[] = "Server: y\r\n";
	inspect_add(&tx, IB_HTTP_URI, DIR_TO_SERVER, uri, 4);
	inspect_add(&tx, IB_HTTP_HEADER, DIR_TO_SERVER, hdr, 9);
	inspect_add(&tx, IB_HTTP_HEADER, DIR_TO_CLIENT, rhdr, 11);
	inspect_add(&tx, IB_HTTP_METHOD, DIR_TO_SERVER, NULL, 3); /* absent */
	inspect_add(&tx, IB_HTTP_HOST, DIR_TO_SERVER, hdr, 0);     /* empty is present */
	CHECK_EQ_U(inspect_count(&tx, IB_HTTP_URI, DIR_TO_SERVER), 1);
	CHECK_EQ_U(inspect_count(&tx, IB_HTTP_METHOD, DIR_TO_SERVER), 0);
	CHECK_EQ_U(inspect_count(&tx, IB_HTTP_HOST, DIR_TO_SERVER), 1);
	CHECK(inspect_get(&tx, IB_HTTP_HEADER, DIR_TO_CLIENT, 0)->p == rhdr);
	CHECK(inspect_get(&tx, IB_HTTP_HEADER, DIR_TO_SERVER, 0)->len == 9);
	CHECK(inspect_get(&tx, IB_HTTP_HEADER, DIR_TO_SERVER, 1) == NULL);
	uint32_t v = 0;
	CHECK(!inspect_attr(&tx, IA_TLS_VERSION, &v));
	inspect_set_attr(&tx, IA_TLS_VERSION, 0x0303);
	CHECK(inspect_attr(&tx, IA_TLS_VERSION, &v) && v == 0x0303);
	inspect_tx_init(&tx, "dns", 1, DIR_TO_SERVER);
	for (int i = 0; i < 3; i++)
		inspect_add(&tx, IB_DNS_QUERY, DIR_TO_SERVER, uri, (size_t)i + 1);
	CHECK_EQ_U(inspect_count(&tx, IB_DNS_QUERY, DIR_TO_SERVER), 3);
	CHECK_EQ_U(inspect_get(&tx, IB_DNS_QUERY, DIR_TO_SERVER, 2)->len, 3);
	for (int i = 0; i < INSPECT_TX_MAX_BUFS + 5; i++)
		inspect_add(&tx, IB_DNS_QUERY, DIR_TO_SERVER, uri, 1);
	CHECK(tx.overflow);
	CHECK_EQ_U(tx.n, INSPECT_TX_MAX_BUFS);

	/* exactly once: a rule needing request headers + response headers, and one needing the
	 * response body, each evaluated at exactly one of the four progress points */
	const uint32_t steps[] = {IP_HTTP_REQ_HEADERS, IP_HTTP_REQ_BODY, IP_HTTP_RESP_HEADERS, IP_HTTP_RESP_BODY};
	const uint32_t needs[] = {IP_HTTP_REQ_HEADERS | IP_HTTP_RESP_HEADERS, IP_HTTP_RESP_BODY, IP_HTTP_REQ_HEADERS,
				  IP_HTTP_REQ_HEADERS | ib_first_progress("http", DIR_TO_CLIENT)};
	const int at[] = {2, 3, 0, 2};
	for (size_t r = 0; r < 4; r++) {
		uint32_t ready = 0;
		int hits = 0, where = -1;
		for (int k = 0; k < 4; k++) {
			ready |= steps[k];
			inspect_progress(&tx, ready, steps[k]);
			if ((needs[r] & ~tx.ready) == 0 && (needs[r] & tx.newly) != 0) {
				hits++;
				where = k;
			}
		}
		CHECK_EQ_U(hits, 1);
		CHECK_EQ_U(where, at[r]);
	}
	return check_done("test_inspect");
}
