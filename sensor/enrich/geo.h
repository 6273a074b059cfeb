/* geo.h - geolocation of addresses with libmaxminddb (MaxMind DB format 2.0): country, ASN and
 * AS organisation from one or more databases, special-purpose ranges (RFC 6890) labelled without
 * a lookup, and a bounded CLOCK cache so a busy flow costs one lookup per address.
 *
 * Usage:
 *
 *     struct geo *g;
 *     char err[256];
 *     int rc = geo_open(&g, paths, npaths, NULL, err, sizeof(err));
 *     if (rc != GEO_OK) { fprintf(stderr, "%s\n", err); ... }   // geo_strerror(rc) for the kind
 *     emitter_set_geo(em, geo_event_field, g);                   // src_geo / dest_geo on every event
 *     geo_attach(g, engine);                                     // "geo" counters in stats events
 *     ...
 *     geo_close(g);
 *
 * Databases in either layout are read: MaxMind GeoIP2/GeoLite2 (country.iso_code,
 * registered_country.iso_code, autonomous_system_number, autonomous_system_organization) and
 * ip-location-db (country_code, and the same ASN fields). For each field the first database
 * (in the order given) that has it wins. Single-threaded: the analysis thread owns the handle.
 *
 * Stage enrich/ (geolocation, observation): takes events and traffic; gives geolocated events
 * and periodic observation events (observe.h).
 */
#ifndef KAGAMI_GEO_H
#define KAGAMI_GEO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct geo;
struct event;
struct engine;

enum geo_err {
	GEO_OK = 0,
	GEO_E_OPEN,      /* the file cannot be opened or read */
	GEO_E_FORMAT,    /* not a MaxMind DB, or its metadata or search tree is corrupt */
	GEO_E_NO_FIELDS, /* a valid MaxMind DB without any field kagami reads */
	GEO_E_TOO_MANY,  /* more than GEO_MAX_DBS databases */
	GEO_E_ARG,       /* no database given, or a bad argument */
};

#define GEO_MAX_DBS 8
#define GEO_ORG_MAX 128 /* bytes of an AS organisation kept (longer names are cut) */

struct geo_cfg {
	uint32_t cache_entries; /* addresses cached (0 = default 16384; at least 64) */
};

/* Where an address belongs, decided from its bits alone (RFC 6890 and friends). */
enum geo_scope {
	GEO_SCOPE_GLOBAL = 0,  /* looked up in the databases */
	GEO_SCOPE_PRIVATE,     /* 10/8, 172.16/12, 192.168/16, 100.64/10 (RFC 6598), fc00::/7 */
	GEO_SCOPE_LOOPBACK,    /* 127/8, ::1 */
	GEO_SCOPE_LINK_LOCAL,  /* 169.254/16, fe80::/10 */
	GEO_SCOPE_DOCUMENTATION, /* 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32 */
	GEO_SCOPE_MULTICAST,   /* 224/4, ff00::/8 */
	GEO_SCOPE_BROADCAST,   /* 255.255.255.255 */
	GEO_SCOPE_UNSPECIFIED, /* 0/8, :: */
	GEO_SCOPE_RESERVED,    /* 240/4 */
};

struct geo_info {
	enum geo_scope scope;
	bool has_country, has_asn;
	char country[3];            /* ISO 3166-1 alpha-2, upper case */
	uint32_t asn;
	char as_org[GEO_ORG_MAX];   /* NUL-terminated; may be empty when has_asn */
};

struct geo_stats {
	uint64_t lookups;        /* geo_lookup calls */
	uint64_t scoped;         /* answered from the address bits, no database */
	uint64_t cache_hits, cache_misses, cache_evictions;
	uint64_t db_lookups;     /* MMDB_lookup_sockaddr calls */
	uint64_t not_found;      /* global addresses no database knows */
	uint64_t lookup_errors;  /* database errors during a lookup (corrupt data section) */
	uint64_t bad_values;     /* fields of the wrong type or shape, ignored */
	uint32_t cache_entries, cache_capacity;
};

const char *geo_strerror(int err);

/* Open the databases paths[0..n) (n <= GEO_MAX_DBS). Each is opened, its metadata and search
 * tree checked, and a probe lookup decoded, so a missing or corrupt file is an error here and
 * never a failure mid-run. On failure *out is NULL and errbuf names the file and the fault. */
int geo_open(struct geo **out, const char *const *paths, size_t n, const struct geo_cfg *cfg, char *errbuf,
	     size_t errlen);
void geo_close(struct geo *g);

/* Geolocate one address (family 4: addr[0..4), 6: addr[0..16)); cached. Never fails: a
 * database error is counted and what the other databases found is returned. */
void geo_lookup(struct geo *g, int family, const uint8_t *addr, struct geo_info *out);

/* The scope of an address from its bits alone. */
enum geo_scope geo_scope_of(int family, const uint8_t *addr);
const char *geo_scope_name(enum geo_scope s);

/* The emitter callback (event.h geo_fn): adds key: {"scope": ..., "country": ..., "asn": ...,
 * "as_org": ...} with the fields known (docs/events.md, Geolocation). ctx is the struct geo. */
void geo_event_field(void *ctx, struct event *ev, const char *key, int family, const uint8_t *addr);

const struct geo_stats *geo_get_stats(const struct geo *g);
/* Attach a "geo" engine module that writes the counters into stats events. The engine does
 * not own the handle: close it after engine_free(). Returns false when the engine is full. */
bool geo_attach(struct geo *g, struct engine *e);
/* Number of databases and the path of the i-th (for notices). */
size_t geo_count(const struct geo *g);
const char *geo_path(const struct geo *g, size_t i);

#endif
