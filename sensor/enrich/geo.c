/* geo.c - geolocation with libmaxminddb (MaxMind DB format spec 2.0; special-purpose ranges of
 * RFC 6890, RFC 5737, RFC 3849, RFC 9637, RFC 6598, RFC 4193); see geo.h. */
#include "config.h"

#include "geo.h"

#include <arpa/inet.h>
#include <errno.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "engine/engine.h"
#include "output/event.h"
#include "util/util.h"

#define GEO_DEFAULT_CACHE 16384u
#define GEO_MIN_CACHE 64u
#define GEO_PROBE_NODES 100000u /* search-tree nodes visited at open to find a first record */

struct geo_db {
	MMDB_s mmdb;
	char *path;
	bool v6; /* the search tree holds IPv6 (and IPv4 under ::/96) */
};

struct geo_entry {
	uint8_t addr[16];
	uint8_t family; /* 0 = free slot */
	uint8_t ref;    /* CLOCK reference bit */
	uint32_t next;  /* chain in the bucket, index + 1 (0 = end) */
	struct geo_info info;
};

struct geo {
	struct geo_db db[GEO_MAX_DBS];
	size_t ndb;
	struct geo_entry *ent;
	uint32_t *bucket; /* index + 1 of the first entry, 0 = empty */
	uint32_t cap, nbucket, used, hand;
	uint8_t hkey[16];
	struct geo_stats st;
};

const char *geo_strerror(int err)
{
	switch (err) {
	case GEO_OK: return "success";
	case GEO_E_OPEN: return "cannot open the database";
	case GEO_E_FORMAT: return "not a MaxMind DB, or a corrupt one";
	case GEO_E_NO_FIELDS: return "the database has no country or ASN fields";
	case GEO_E_TOO_MANY: return "too many databases";
	case GEO_E_ARG: return "invalid argument";
	default: return "unknown geolocation error";
	}
}

/* ---------------------------------------------------------------- scopes */

static bool in4(const uint8_t *a, uint32_t net, unsigned bits)
{
	uint32_t v = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
	uint32_t mask = bits ? ~0u << (32 - bits) : 0;
	return (v & mask) == net;
}

static bool is_v4_mapped(const uint8_t *a)
{
	static const uint8_t pfx[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	return memcmp(a, pfx, 12) == 0;
}

enum geo_scope geo_scope_of(int family, const uint8_t *a)
{
	if (family == 6 && is_v4_mapped(a))
		return geo_scope_of(4, a + 12);
	if (family == 4) {
		if (in4(a, 0x00000000, 8))
			return GEO_SCOPE_UNSPECIFIED;
		if (in4(a, 0x0a000000, 8) || in4(a, 0xac100000, 12) || in4(a, 0xc0a80000, 16) || in4(a, 0x64400000, 10))
			return GEO_SCOPE_PRIVATE;
		if (in4(a, 0x7f000000, 8))
			return GEO_SCOPE_LOOPBACK;
		if (in4(a, 0xa9fe0000, 16))
			return GEO_SCOPE_LINK_LOCAL;
		if (in4(a, 0xc0000200, 24) || in4(a, 0xc6336400, 24) || in4(a, 0xcb007100, 24))
			return GEO_SCOPE_DOCUMENTATION;
		if (in4(a, 0xe0000000, 4))
			return GEO_SCOPE_MULTICAST;
		if (in4(a, 0xffffffff, 32))
			return GEO_SCOPE_BROADCAST;
		if (in4(a, 0xf0000000, 4))
			return GEO_SCOPE_RESERVED;
		return GEO_SCOPE_GLOBAL;
	}
	static const uint8_t zero[16];
	if (memcmp(a, zero, 16) == 0)
		return GEO_SCOPE_UNSPECIFIED;
	if (memcmp(a, zero, 15) == 0 && a[15] == 1)
		return GEO_SCOPE_LOOPBACK;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return GEO_SCOPE_LINK_LOCAL;
	if ((a[0] & 0xfe) == 0xfc)
		return GEO_SCOPE_PRIVATE;
	if (a[0] == 0xff)
		return GEO_SCOPE_MULTICAST;
	if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8)
		return GEO_SCOPE_DOCUMENTATION;
	if (a[0] == 0x3f && a[1] == 0xff && (a[2] & 0xf0) == 0x00)
		return GEO_SCOPE_DOCUMENTATION; /* 3fff::/20, RFC 9637 */
	return GEO_SCOPE_GLOBAL;
}

const char *geo_scope_name(enum geo_scope s)
{
	switch (s) {
	case GEO_SCOPE_GLOBAL: return "global";
	case GEO_SCOPE_PRIVATE: return "private";
	case GEO_SCOPE_LOOPBACK: return "loopback";
	case GEO_SCOPE_LINK_LOCAL: return "link_local";
	case GEO_SCOPE_DOCUMENTATION: return "documentation";
	case GEO_SCOPE_MULTICAST: return "multicast";
	case GEO_SCOPE_BROADCAST: return "broadcast";
	case GEO_SCOPE_UNSPECIFIED: return "unspecified";
	case GEO_SCOPE_RESERVED: return "reserved";
	}
	return "global";
}

/* ---------------------------------------------------------------- reading records */

/* Copy an ISO 3166-1 alpha-2 code if the value is one (two ASCII letters). */
static bool take_country(const MMDB_entry_data_s *d, char out[3])
{
	if (!d->has_data || d->type != MMDB_DATA_TYPE_UTF8_STRING || d->data_size != 2)
		return false;
	for (int i = 0; i < 2; i++) {
		char c = d->utf8_string[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c < 'A' || c > 'Z')
			return false;
		out[i] = c;
	}
	out[2] = '\0';
	return true;
}

/* Fill the fields of info still missing from one database record. Returns false when the
 * record's data could not be decoded. */
static bool read_record(struct geo *g, MMDB_entry_s *entry, struct geo_info *info)
{
	MMDB_entry_data_s d;
	bool ok = true;
	int st;
	if (!info->has_country) {
		static const char *const paths[][3] = {
			{"country", "iso_code", NULL},
			{"registered_country", "iso_code", NULL},
			{"country_code", NULL, NULL},
		};
		for (size_t i = 0; i < KG_ARRAY_LEN(paths) && !info->has_country; i++) {
			st = MMDB_get_value(entry, &d, paths[i][0], paths[i][1], NULL);
			if (st == MMDB_SUCCESS && d.has_data) {
				if (take_country(&d, info->country))
					info->has_country = true;
				else if (g)
					g->st.bad_values++;
			} else if (st != MMDB_SUCCESS && st != MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR &&
				   st != MMDB_INVALID_LOOKUP_PATH_ERROR) {
				ok = false;
			}
		}
	}
	if (!info->has_asn) {
		st = MMDB_get_value(entry, &d, "autonomous_system_number", NULL);
		if (st == MMDB_SUCCESS && d.has_data) {
			if (d.type == MMDB_DATA_TYPE_UINT32 || d.type == MMDB_DATA_TYPE_UINT16) {
				info->asn = d.type == MMDB_DATA_TYPE_UINT32 ? d.uint32 : d.uint16;
				info->has_asn = true;
			} else if (d.type == MMDB_DATA_TYPE_UINT64 && d.uint64 <= UINT32_MAX) {
				info->asn = (uint32_t)d.uint64;
				info->has_asn = true;
			} else if (g) {
				g->st.bad_values++;
			}
		} else if (st != MMDB_SUCCESS && st != MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR) {
			ok = false;
		}
		if (info->has_asn) {
			st = MMDB_get_value(entry, &d, "autonomous_system_organization", NULL);
			if (st == MMDB_SUCCESS && d.has_data && d.type == MMDB_DATA_TYPE_UTF8_STRING) {
				size_t n = KG_MIN((size_t)d.data_size, (size_t)GEO_ORG_MAX - 1);
				/* cut at a character boundary */
				while (n < d.data_size && n > 0 && ((uint8_t)d.utf8_string[n] & 0xc0) == 0x80)
					n--;
				memcpy(info->as_org, d.utf8_string, n);
				info->as_org[n] = '\0';
			} else if (st != MMDB_SUCCESS && st != MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR) {
				ok = false;
			}
		}
	}
	return ok;
}

/* ---------------------------------------------------------------- open */

/* Walk the search tree from the root to the first data record (bounded), decode it whole and
 * check it has a field kagami reads. Catches truncated or corrupt trees and data sections, and
 * databases of another kind, at start. */
static int probe_db(struct geo_db *db, char *errbuf, size_t errlen)
{
	uint32_t stack[160];
	size_t sp = 0, visited = 0;
	uint32_t nodes = db->mmdb.metadata.node_count;
	stack[sp++] = 0;
	while (sp && visited < GEO_PROBE_NODES) {
		uint32_t n = stack[--sp];
		visited++;
		MMDB_search_node_s node;
		int st = MMDB_read_node(&db->mmdb, n, &node);
		if (st != MMDB_SUCCESS) {
			snprintf(errbuf, errlen, "%s: %s: search tree node %u: %s", db->path, geo_strerror(GEO_E_FORMAT), n,
				 MMDB_strerror(st));
			return GEO_E_FORMAT;
		}
		uint8_t types[2] = {node.right_record_type, node.left_record_type};
		uint64_t recs[2] = {node.right_record, node.left_record};
		MMDB_entry_s entries[2] = {node.right_record_entry, node.left_record_entry};
		for (int side = 1; side >= 0; side--) { /* left first */
			if (types[side] == MMDB_RECORD_TYPE_DATA) {
				MMDB_entry_data_list_s *list = NULL;
				st = MMDB_get_entry_data_list(&entries[side], &list);
				MMDB_free_entry_data_list(list);
				if (st != MMDB_SUCCESS) {
					snprintf(errbuf, errlen, "%s: %s: data section: %s", db->path,
						 geo_strerror(GEO_E_FORMAT), MMDB_strerror(st));
					return GEO_E_FORMAT;
				}
				struct geo_info info;
				memset(&info, 0, sizeof(info));
				if (!read_record(NULL, &entries[side], &info)) {
					snprintf(errbuf, errlen, "%s: %s: a record cannot be decoded", db->path,
						 geo_strerror(GEO_E_FORMAT));
					return GEO_E_FORMAT;
				}
				if (!info.has_country && !info.has_asn) {
					snprintf(errbuf, errlen,
						 "%s: %s (kagami reads country.iso_code, registered_country.iso_code, "
						 "country_code, autonomous_system_number, autonomous_system_organization)",
						 db->path, geo_strerror(GEO_E_NO_FIELDS));
					return GEO_E_NO_FIELDS;
				}
				return GEO_OK;
			}
		}
		for (int side = 0; side < 2; side++) { /* push right, then left (popped first) */
			if (types[side] == MMDB_RECORD_TYPE_SEARCH_NODE) {
				if (recs[side] >= nodes || sp >= KG_ARRAY_LEN(stack)) {
					snprintf(errbuf, errlen, "%s: %s: bad search tree", db->path, geo_strerror(GEO_E_FORMAT));
					return GEO_E_FORMAT;
				}
				stack[sp++] = (uint32_t)recs[side];
			} else if (types[side] == MMDB_RECORD_TYPE_INVALID) {
				snprintf(errbuf, errlen, "%s: %s: invalid record in the search tree", db->path,
					 geo_strerror(GEO_E_FORMAT));
				return GEO_E_FORMAT;
			}
		}
	}
	snprintf(errbuf, errlen, "%s: %s (no network found in the first %u nodes)", db->path,
		 geo_strerror(GEO_E_NO_FIELDS), GEO_PROBE_NODES);
	return GEO_E_NO_FIELDS;
}

int geo_open(struct geo **out, const char *const *paths, size_t n, const struct geo_cfg *cfg, char *errbuf,
	     size_t errlen)
{
	*out = NULL;
	if (!paths || n == 0) {
		snprintf(errbuf, errlen, "geolocation: no database given");
		return GEO_E_ARG;
	}
	if (n > GEO_MAX_DBS) {
		snprintf(errbuf, errlen, "geolocation: %zu databases given, at most %d", n, GEO_MAX_DBS);
		return GEO_E_TOO_MANY;
	}
	struct geo *g = kg_calloc(1, sizeof(*g), "geolocation");
	for (size_t i = 0; i < n; i++) {
		struct geo_db *db = &g->db[i];
		db->path = kg_strdup(paths[i], "geolocation path");
		int st = MMDB_open(paths[i], MMDB_MODE_MMAP, &db->mmdb);
		if (st != MMDB_SUCCESS) {
			int rc = st == MMDB_FILE_OPEN_ERROR || st == MMDB_IO_ERROR || st == MMDB_OUT_OF_MEMORY_ERROR
					 ? GEO_E_OPEN
					 : GEO_E_FORMAT;
			if (st == MMDB_IO_ERROR || st == MMDB_FILE_OPEN_ERROR)
				snprintf(errbuf, errlen, "%s: %s: %s (%s)", paths[i], geo_strerror(rc), MMDB_strerror(st),
					 strerror(errno));
			else
				snprintf(errbuf, errlen, "%s: %s: %s", paths[i], geo_strerror(rc), MMDB_strerror(st));
			free(db->path);
			geo_close(g);
			return rc;
		}
		g->ndb = i + 1;
		db->v6 = db->mmdb.metadata.ip_version == 6;
		int rc = probe_db(db, errbuf, errlen);
		if (rc != GEO_OK) {
			geo_close(g);
			return rc;
		}
	}
	uint32_t want = cfg && cfg->cache_entries ? cfg->cache_entries : GEO_DEFAULT_CACHE;
	if (want < GEO_MIN_CACHE)
		want = GEO_MIN_CACHE;
	g->cap = want;
	g->nbucket = 1;
	while (g->nbucket < want)
		g->nbucket <<= 1;
	g->ent = kg_calloc(g->cap, sizeof(*g->ent), "geolocation cache");
	g->bucket = kg_calloc(g->nbucket, sizeof(*g->bucket), "geolocation cache index");
	kg_random(g->hkey, sizeof(g->hkey));
	g->st.cache_capacity = g->cap;
	*out = g;
	return GEO_OK;
}

void geo_close(struct geo *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->ndb; i++) {
		MMDB_close(&g->db[i].mmdb);
		free(g->db[i].path);
	}
	free(g->ent);
	free(g->bucket);
	free(g);
}

size_t geo_count(const struct geo *g) { return g->ndb; }
const char *geo_path(const struct geo *g, size_t i) { return i < g->ndb ? g->db[i].path : NULL; }
const struct geo_stats *geo_get_stats(const struct geo *g) { return &g->st; }

/* ---------------------------------------------------------------- lookups */

static void db_lookup(struct geo *g, int family, const uint8_t *addr, struct geo_info *info)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	const struct sockaddr *sa;
	if (family == 4) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		memcpy(&sin.sin_addr, addr, 4);
		sa = (const struct sockaddr *)&sin;
	} else {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		memcpy(&sin6.sin6_addr, addr, 16);
		sa = (const struct sockaddr *)&sin6;
	}
	bool found = false;
	for (size_t i = 0; i < g->ndb && !(info->has_country && info->has_asn); i++) {
		struct geo_db *db = &g->db[i];
		if (family == 6 && !db->v6)
			continue;
		int mmerr = MMDB_SUCCESS;
		g->st.db_lookups++;
		MMDB_lookup_result_s r = MMDB_lookup_sockaddr(&db->mmdb, sa, &mmerr);
		if (mmerr != MMDB_SUCCESS) {
			g->st.lookup_errors++;
			continue;
		}
		if (!r.found_entry)
			continue;
		found = true;
		if (!read_record(g, &r.entry, info))
			g->st.lookup_errors++;
	}
	if (!found)
		g->st.not_found++;
}

static uint32_t slot_of(const struct geo *g, int family, const uint8_t *addr)
{
	uint8_t k[17];
	k[0] = (uint8_t)family;
	memcpy(k + 1, addr, 16);
	return (uint32_t)kg_hash64(k, sizeof(k), g->hkey) & (g->nbucket - 1);
}

/* A free entry, or one taken back from the cache by the CLOCK hand. */
static uint32_t cache_victim(struct geo *g)
{
	if (g->used < g->cap)
		return g->used++;
	for (;;) {
		struct geo_entry *e = &g->ent[g->hand];
		uint32_t idx = g->hand;
		g->hand = (g->hand + 1) % g->cap;
		if (e->ref) {
			e->ref = 0;
			continue;
		}
		/* unlink it from its bucket */
		uint32_t *pp = &g->bucket[slot_of(g, e->family, e->addr)];
		while (*pp && *pp != idx + 1)
			pp = &g->ent[*pp - 1].next;
		if (*pp)
			*pp = e->next;
		g->st.cache_evictions++;
		return idx;
	}
}

void geo_lookup(struct geo *g, int family, const uint8_t *addr_in, struct geo_info *out)
{
	uint8_t a[16];
	memset(a, 0, sizeof(a));
	g->st.lookups++;
	memset(out, 0, sizeof(*out));
	if (family == 6 && is_v4_mapped(addr_in)) { /* ::ffff:a.b.c.d is a.b.c.d */
		family = 4;
		memcpy(a, addr_in + 12, 4);
	} else {
		memcpy(a, addr_in, family == 4 ? 4 : 16);
	}
	out->scope = geo_scope_of(family, a);
	if (out->scope != GEO_SCOPE_GLOBAL) {
		g->st.scoped++;
		return;
	}
	uint32_t s = slot_of(g, family, a);
	for (uint32_t i = g->bucket[s]; i; i = g->ent[i - 1].next) {
		struct geo_entry *e = &g->ent[i - 1];
		if (e->family == family && memcmp(e->addr, a, 16) == 0) {
			e->ref = 1;
			g->st.cache_hits++;
			*out = e->info;
			return;
		}
	}
	g->st.cache_misses++;
	db_lookup(g, family, a, out);
	uint32_t idx = cache_victim(g);
	struct geo_entry *e = &g->ent[idx];
	memcpy(e->addr, a, 16);
	e->family = (uint8_t)family;
	e->ref = 0;
	e->info = *out;
	s = slot_of(g, family, a); /* unchanged, but the victim's unlink may not touch it */
	e->next = g->bucket[s];
	g->bucket[s] = idx + 1;
	g->st.cache_entries = g->used;
}

void geo_event_field(void *ctx, struct event *ev, const char *key, int family, const uint8_t *addr)
{
	struct geo *g = ctx;
	struct geo_info info;
	geo_lookup(g, family, addr, &info);
	ev_map(ev, key);
	ev_str(ev, "scope", geo_scope_name(info.scope));
	if (info.has_country)
		ev_str(ev, "country", info.country);
	if (info.has_asn) {
		ev_u64(ev, "asn", info.asn);
		if (info.as_org[0])
			ev_wirestr(ev, "as_org", (const uint8_t *)info.as_org, strlen(info.as_org));
	}
	ev_end_map(ev);
}

/* ---------------------------------------------------------------- stats */

static void geo_stats_hook(void *ctx, struct engine *e, struct event *ev)
{
	(void)e;
	const struct geo *g = ctx;
	const struct geo_stats *s = &g->st;
	ev_u64(ev, "databases", g->ndb);
	ev_u64(ev, "lookups", s->lookups);
	ev_u64(ev, "scoped", s->scoped);
	ev_u64(ev, "cache_hits", s->cache_hits);
	ev_u64(ev, "cache_misses", s->cache_misses);
	ev_u64(ev, "cache_evictions", s->cache_evictions);
	ev_u64(ev, "cache_entries", s->cache_entries);
	ev_u64(ev, "cache_capacity", s->cache_capacity);
	ev_u64(ev, "db_lookups", s->db_lookups);
	ev_u64(ev, "not_found", s->not_found);
	ev_u64(ev, "lookup_errors", s->lookup_errors);
	ev_u64(ev, "bad_values", s->bad_values);
}

bool geo_attach(struct geo *g, struct engine *e)
{
	struct engine_module m = {.name = "geo", .ctx = g, .stats = geo_stats_hook};
	return engine_add_module(e, &m);
}
