/* hoststate.h - state kept per host or host pair across flows, in one bounded table: the
 * threshold / detection_filter counters tracked by_src, by_dst, by_both and by_rule (Suricata's
 * host and ippair threshold storage) and xbits tracked by ip_src, ip_dst and ip_pair. At the cap
 * the least recently used entry is evicted (counted). */
#ifndef KAGAMI_HOSTSTATE_H
#define KAGAMI_HOSTSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum hs_kind { HSK_THRESHOLD = 1, HSK_DETECTION_FILTER, HSK_XBIT };

struct host_key {
	uint8_t kind;          /* enum hs_kind */
	uint8_t family;        /* 0 = no address (by_rule) */
	uint8_t naddr;         /* 0, 1 or 2 addresses */
	uint8_t pad;
	uint32_t id1, id2;     /* gid and sid; xbits: the name's hash */
	uint8_t a[16], b[16];  /* by_both / ip_pair: the smaller address first */
};

struct host_ent {
	struct host_key key;
	uint32_t count;
	int64_t sec1;          /* threshold: start of the current window (seconds) */
	int64_t expire;        /* xbits: seconds */
	struct host_ent *hnext, *prev, *next;
};

struct host_table;

struct host_table *host_table_new(size_t cap);
void host_table_free(struct host_table *t);
/* The entry of key, or NULL; create: make it when missing (evicting the least recently used one
 * at the cap); *created says whether it is new. */
struct host_ent *host_get(struct host_table *t, const struct host_key *key, bool create, bool *created);
void host_del(struct host_table *t, struct host_ent *e);
size_t host_entries(const struct host_table *t);
uint64_t host_evictions(const struct host_table *t);

#endif
