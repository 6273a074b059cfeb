/* test_geo.c - geolocation: special-purpose ranges (RFC 6890 and friends), lookups in the test
 * databases (tools/mkmmdb.pl) for IPv4, IPv4-mapped IPv6 and IPv6, and the bounded cache. */
#include "config.h"

#include <stdlib.h>

#include "check.h"
#include "enrich/geo.h"
#include "util/util.h"

static enum geo_scope scope(const char *ip)
{
	uint8_t a[16];
	int fam = kg_parse_ip(ip, a);
	CHECK(fam == 4 || fam == 6);
	return geo_scope_of(fam, a);
}

static void look(struct geo *g, const char *ip, struct geo_info *gi)
{
	uint8_t a[16];
	int fam = kg_parse_ip(ip, a);
	CHECK(fam == 4 || fam == 6);
	geo_lookup(g, fam, a, gi);
}

int main(void)
{
	static const struct {
		const char *ip;
		enum geo_scope s;
	} scopes[] = {
		{"10.1.2.3", GEO_SCOPE_PRIVATE},       {"172.16.0.1", GEO_SCOPE_PRIVATE},
		{"172.31.255.255", GEO_SCOPE_PRIVATE}, {"172.32.0.1", GEO_SCOPE_GLOBAL},
		{"192.168.1.1", GEO_SCOPE_PRIVATE},    {"100.64.0.1", GEO_SCOPE_PRIVATE},
		{"100.128.0.1", GEO_SCOPE_GLOBAL},     {"127.0.0.1", GEO_SCOPE_LOOPBACK},
		{"169.254.9.9", GEO_SCOPE_LINK_LOCAL}, {"192.0.2.7", GEO_SCOPE_DOCUMENTATION},
		{"198.51.100.1", GEO_SCOPE_DOCUMENTATION}, {"203.0.113.200", GEO_SCOPE_DOCUMENTATION},
		{"224.0.0.251", GEO_SCOPE_MULTICAST},  {"255.255.255.255", GEO_SCOPE_BROADCAST},
		{"240.0.0.1", GEO_SCOPE_RESERVED},     {"0.0.0.0", GEO_SCOPE_UNSPECIFIED},
		{"8.8.8.8", GEO_SCOPE_GLOBAL},         {"::", GEO_SCOPE_UNSPECIFIED},
		{"::1", GEO_SCOPE_LOOPBACK},           {"fe80::1", GEO_SCOPE_LINK_LOCAL},
		{"febf::1", GEO_SCOPE_LINK_LOCAL},     {"fec0::1", GEO_SCOPE_GLOBAL},
		{"fd12::1", GEO_SCOPE_PRIVATE},        {"fc00::1", GEO_SCOPE_PRIVATE},
		{"ff02::1", GEO_SCOPE_MULTICAST},      {"2001:db8::1", GEO_SCOPE_DOCUMENTATION},
		{"3fff:fff::1", GEO_SCOPE_DOCUMENTATION}, {"3fff:1000::1", GEO_SCOPE_GLOBAL},
		{"2001:200::1", GEO_SCOPE_GLOBAL},     {"::ffff:10.0.0.1", GEO_SCOPE_PRIVATE},
	};
	for (size_t i = 0; i < KG_ARRAY_LEN(scopes); i++) {
		enum geo_scope s = scope(scopes[i].ip);
		if (s != scopes[i].s)
			fprintf(stderr, "scope of %s: %s\n", scopes[i].ip, geo_scope_name(s));
		CHECK(s == scopes[i].s);
	}

	const char *dir = getenv("top_srcdir");
	char c[4096], a[4096];
	snprintf(c, sizeof(c), "%s/tests/data/geoip/test-country.mmdb", dir ? dir : ".");
	snprintf(a, sizeof(a), "%s/tests/data/geoip/test-asn.mmdb", dir ? dir : ".");
	const char *paths[] = {c, a};
	struct geo *g;
	char err[512];
	struct geo_cfg cfg = {.cache_entries = 64};
	int rc = geo_open(&g, paths, 2, &cfg, err, sizeof(err));
	if (rc != GEO_OK)
		fprintf(stderr, "%s\n", err);
	CHECK_EQ_U(rc, GEO_OK);
	if (rc != GEO_OK)
		return check_done("test_geo");
	struct geo_info gi;
	look(g, "1.1.200.3", &gi);
	CHECK(gi.scope == GEO_SCOPE_GLOBAL && gi.has_country && gi.has_asn);
	CHECK_STR(gi.country, "JP");
	CHECK_EQ_U(gi.asn, 64496);
	CHECK_STR(gi.as_org, "Kagami Test Net JP");
	look(g, "::ffff:1.1.0.1", &gi); /* IPv4-mapped: looked up as IPv4 */
	CHECK(gi.has_country && strcmp(gi.country, "JP") == 0);
	look(g, "2600:100f::1", &gi);
	CHECK(gi.has_country && strcmp(gi.country, "US") == 0 && gi.asn == 64500);
	look(g, "2600:1010::1", &gi); /* just outside 2600:1000::/28 */
	CHECK(!gi.has_country && !gi.has_asn && gi.scope == GEO_SCOPE_GLOBAL);
	look(g, "10.0.0.1", &gi);
	CHECK(gi.scope == GEO_SCOPE_PRIVATE && !gi.has_country);

	/* the cache: 64 entries; 200 distinct addresses twice: every lookup after the first round
	 * that was evicted misses again, results never change, and the cache never grows */
	const struct geo_stats *st = geo_get_stats(g);
	uint64_t miss0 = st->cache_misses;
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 200; i++) {
			char ip[32];
			snprintf(ip, sizeof(ip), "3.3.%d.%d", i / 100, i % 100);
			look(g, ip, &gi);
			CHECK(gi.has_country && strcmp(gi.country, "US") == 0 && gi.asn == 64498);
		}
	CHECK_EQ_U(st->cache_misses - miss0, 400);
	CHECK(st->cache_evictions >= 400 - 64 - 4);
	CHECK(st->cache_entries <= 64);
	uint64_t hits0 = st->cache_hits;
	look(g, "3.3.1.99", &gi); /* the last one looked up is still cached */
	CHECK_EQ_U(st->cache_hits - hits0, 1);
	uint64_t db0 = st->db_lookups;
	for (int i = 0; i < 1000; i++) /* a busy flow: one address, no database work */
		look(g, "3.3.1.99", &gi);
	CHECK_EQ_U(st->db_lookups, db0);
	geo_close(g);

	/* errors */
	const char *bad[] = {"/nonexistent/x.mmdb"};
	CHECK_EQ_U(geo_open(&g, bad, 1, NULL, err, sizeof(err)), GEO_E_OPEN);
	CHECK(g == NULL);
	CHECK_EQ_U(geo_open(&g, paths, 0, NULL, err, sizeof(err)), GEO_E_ARG);
	const char *many[GEO_MAX_DBS + 1];
	for (int i = 0; i <= GEO_MAX_DBS; i++)
		many[i] = c;
	CHECK_EQ_U(geo_open(&g, many, GEO_MAX_DBS + 1, NULL, err, sizeof(err)), GEO_E_TOO_MANY);
	CHECK(strcmp(geo_strerror(GEO_E_FORMAT), "not a MaxMind DB, or a corrupt one") == 0);
	return check_done("test_geo");
}
