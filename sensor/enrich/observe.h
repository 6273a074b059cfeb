/* observe.h - fixed-point observation (in the manner of JPCERT/CC's TSUBAME): per interval of
 * packet time, an "observation" event with packets and unique sources by destination port and
 * protocol, by source country, unanswered TCP SYNs (scans), ICMP, and the ports and sources not
 * seen in the previous intervals. Schema: docs/events.md, "observation".
 *
 * Counting is exact up to max_keys keys per table; past that a table switches to Space-Saving
 * (Metwally et al., 2005) for its per-key counts and to a Bloom filter for its distinct sets,
 * and the event says so with the error bounds.
 *
 * Usage: observe_new() from the options, observe_attach() to the engine (an engine_module:
 * packet, flow_end, tick, finish, stats hooks), observe_free() after engine_free().
 */
#ifndef KAGAMI_OBSERVE_H
#define KAGAMI_OBSERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct observe;
struct engine;
struct geo;

enum observe_err {
	OBS_OK = 0,
	OBS_E_ARG, /* a setting out of range */
};

struct observe_cfg {
	uint32_t interval_s; /* >= 1 */
	uint32_t top_n;      /* 1..1000 */
	uint32_t max_keys;   /* 16..2^24: exact counting up to this many keys per table */
};

/* Intervals whose ports and sources count as "seen before" for the "new" lists. */
#define OBS_HISTORY 60
/* A SYN sent less than this before an interval closes is judged in the next interval. */
#define OBS_SYN_GRACE_US 3000000

const char *observe_strerror(int err);
/* geo may be NULL (no "countries" table then). The observer does not own it. */
int observe_new(struct observe **out, const struct observe_cfg *cfg, struct geo *geo, char *errbuf, size_t errlen);
void observe_free(struct observe *o);
/* Attach as an engine module (the engine does not own it). False when the engine is full. */
bool observe_attach(struct observe *o, struct engine *e);

#endif
