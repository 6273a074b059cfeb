/* sig.h - the signature matcher: loads rule sets (rules.h), runs them on packet payloads,
 * reassembled stream data, app-layer transaction buffers and events as an engine module, and
 * reloads atomically. */
#ifndef KAGAMI_SIG_H
#define KAGAMI_SIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/engine.h"
#include "rules.h"

enum sig_err { SIG_OK = 0, SIG_ERR_RULES, SIG_ERR_EMPTY };
const char *sig_strerror(int err);

struct sig_load_cfg {
	rule_var_fn var;
	void *var_ctx;
	bool lax;
	FILE *warn;  /* lax mode: one line per skipped rule (NULL = silent) */
	int mpm;     /* prefilter engine (mpm.h enum mpm_kind): MPM_AUTO, MPM_AC or MPM_HS */
};

/* Parse every path (file or directory of *.rules) and compile the prefilter.
 * On failure *out is NULL and errbuf says file:line:option. */
int sig_load(struct rule_set **out, const struct sig_load_cfg *cfg, const char *const *paths, size_t npaths,
	     char *errbuf, size_t errlen);

struct sig;
/* The matcher takes ownership of rs. */
int sig_new(struct sig **out, struct rule_set *rs, struct emitter *em, char *errbuf, size_t errlen);
void sig_free(struct sig *s);
bool sig_attach(struct sig *s, struct engine *e);
/* Replace the rule set (takes ownership of rs, frees the old one). Per-flow
 * flowbits and threshold state starts over; stream tails are kept. */
void sig_swap(struct sig *s, struct rule_set *rs);
const struct rule_set *sig_rules(const struct sig *s);
/* A reload failed: counted in stats and reported as a "signatures" event. */
void sig_reload_failed(struct sig *s, const char *why, int64_t ts_us);
void sig_reload_done(struct sig *s, int64_t ts_us);

/* The payload keywords of rule r alone (content, pcre, byte_test/jump/extract, isdataat) on buf, as the matcher
 * runs them; start and end receive the span of the positive matches. For tests and fuzzing. */
/* --rule-profile: count checks, matches and time per rule; report the top entries by time at the
 * end of the run (stderr), as Suricata's rule profiling does. 0 = off. */
void sig_set_profile(struct sig *s, size_t top);
void sig_profile_report(struct sig *s, FILE *out);

struct flow;
struct inspect_tx;
/* Run the transaction rules on a view, as the engine's inspect callback does (tests). */
void sig_inspect_view(struct sig *s, struct flow *f, const struct inspect_tx *tx, int64_t ts_us);

/* The packet path (IP-only, packet rules, app-layer events) on one packet of flow f, as the engine
 * runs it (tests). */
struct packet;
void sig_packet_view(struct sig *s, const struct packet *pkt, struct flow *f, enum flow_dir dir);
/* Forget the signature state of flow f (tests; the engine does it at flow end). */
void sig_flow_done(struct sig *s, struct flow *f);
/* Alerts written so far. */
uint64_t sig_alerts(const struct sig *s);

bool sig_payload_match(struct sig *s, const struct rule *r, const uint8_t *buf, size_t len, size_t *start,
		       size_t *end);

#endif
