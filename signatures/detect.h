/* detect.h - a compiled rule set, as Suricata's detection engine builds it: signature group heads
 * keyed by transport, direction and server port (a packet or stream chunk meets only its group's
 * rules), one multi-pattern prefilter per group and buffer kind, the IP-only rules in address
 * interval tables evaluated once per flow direction, and the transaction rules grouped by app
 * protocol and direction with one prefilter per inspection buffer kind. Built by rule_set_compile. */
#ifndef KAGAMI_DETECT_H
#define KAGAMI_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mpm.h"
#include "rules.h"

enum { DC_TCP = 0, DC_UDP, DC_ICMP, DC_OTHER, DC__COUNT };
#define DETECT_MIN_FP RULE_FP_MIN  /* shorter fast patterns stay out of the payload prefilters */
#define DETECT_MAX_ANCHOR 64       /* an anchored short pattern is checked directly when its window is this small */
#define DETECT_MAX_PORT_GROUPS 64 /* own groups per (path, transport, direction); the rest share one */

/* A signature group head: the rules a packet or chunk of one (path, transport, direction,
 * server port range) can match. The prefilter is shared by all groups of a map (one database per
 * path, transport and direction, which Hyperscan builds far faster than one per group); a hit
 * counts only for the rules of the group (member bitset). */
struct sgh {
	uint32_t *nofp;            /* rules without a fast pattern: always candidates */
	size_t nnofp;
	uint64_t *member;          /* bitset over rule indexes */
	const struct mpm *mpm;     /* the map's prefilter (owned by detect.mpms) */
	uint32_t nfp, nfp_dsize;   /* its prefiltered rules without and with dsize */
	/* rules whose fast pattern is too short for the prefilter (under DETECT_MIN_FP bytes) or
	 * common (rules.h fp_direct) but anchored (offset and depth): checked directly at their
	 * few positions */
	uint32_t *anch;
	size_t nanch;
	size_t nrules;
	uint32_t sticky_apps;      /* bit app_ix of the app rules it holds; bit 0: rules without app */
	/* Suricata's dsize prefilter: the payload sizes some prefiltered dsize rule of the group
	 * accepts; a packet of another size is scanned only when nfp > 0 */
	uint8_t *dsize_ok;
};

struct txg {
	uint16_t *kinds;           /* buffer kinds the group's fast patterns are in */
	size_t nk;
	struct mpm *mpm;           /* every fast pattern of the group; a hit counts for its own kind */
	uint32_t *nofp;
	size_t nnofp;
	size_t nrules;
};

/* intervals of one address family: starts[i] .. starts[i+1]-1 map to set[i] (an index into sets) */
struct ipo_tab {
	struct addr_num *starts;
	uint32_t *set;
	size_t n;
};

struct iponly {
	uint32_t *rules;           /* rule index of each IP-only rule, bit i of a set = rules[i] */
	size_t n, words;
	uint64_t *sets;            /* unique bitsets, words each */
	size_t nsets;
	struct ipo_tab src[2], dst[2]; /* [0] IPv4, [1] IPv6 */
	uint64_t *bidir;           /* bitset of the rules with '<>' */
};

struct detect {
	int mpm_kind;
	struct sgh *groups;
	size_t ngroups;
	uint16_t *pkt_map[DC__COUNT][2];   /* server port -> group (icmp/other: one entry) */
	uint16_t *stream_map[2];
	struct txg *tx[2];                 /* per app index, per direction */
	size_t napps;
	uint32_t *events;                  /* app-layer-event rules */
	size_t nevents;
	struct iponly ipo;
	uint16_t *rule_app;                /* rule index -> its app_ix (the packet pass's app filter) */
	struct mpm **mpms;                 /* the payload prefilters (one per map) */
	size_t nmpms;
	/* figures for the stats event */
	size_t rules_nofp, patterns, prefilters;
	size_t mem;
};

void detect_free(struct detect *d);
/* Build rs->det; errbuf says why it failed. */
int detect_build(struct rule_set *rs, int mpm_kind, char *errbuf, size_t errlen);

/* Is r's fast pattern kept out of the payload prefilter (too short, or fp_direct)? Anchored (*anchored): a
 * direct check at its positions replaces it; else r is always a candidate of its groups. */
bool detect_fp_weak(const struct rule *r, bool *anchored);

/* The IP-only candidates of a packet from (fam, src) to (fam, dst): calls cb for each rule index
 * whose addresses match (ports, protocol and the rest are the caller's). */
void iponly_match(const struct iponly *ipo, int family, const uint8_t *src, const uint8_t *dst,
		  void (*cb)(void *ctx, uint32_t rule), void *ctx);

#endif
