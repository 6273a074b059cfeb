/* summary.h - the verdicts first: a short plain-text table of what an incident lead asks at the
 * end of a run ("is anyone infected, who leaked memory"), built only from the events the run
 * wrote, so that its figures equal the events' (docs/events.md):
 *
 *   - hosts with their MS17-010 verdict (smb_host_verdict: the strongest per role; server
 *     probed < patched < vulnerable < exploited < infected, client scanner < attacker), their
 *     DoublePulsar state (implant: the implant answered; absent: pinged, answered normally;
 *     sent N: the client's requests) and Heartbleed verdict (heartbleed events: as victim
 *     anomaly < scanned < attempted < unpatched with the bytes leaked; attacker), with up to 32
 *     distinct evidence flow ids each, most severe host first;
 *   - alerts by signature with counts; the top talkers by bytes from flow events;
 *   - from the last stats event: packets, decode errors, capture loss, every counter whose name
 *     says dropped, evicted or capped and is not zero, and the evidence pcaps (stats.pcap_log).
 *
 * Lines fit 100 columns; the order is stable (ties by address or id). Every table is capped
 * (what did not fit is counted and said). Feed it with summary_event() as an event tap
 * (emitter_set_tap(), or the supervisor's merged stream). */
#ifndef KAGAMI_SUMMARY_H
#define KAGAMI_SUMMARY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct summary;

struct summary *summary_new(void);
void summary_free(struct summary *s);
/* One whole msgpack event (an event_tap_fn: ctx is the summary). */
void summary_event(void *ctx, const uint8_t *event, size_t len);
void summary_print(const struct summary *s, FILE *fp);

#define SUMMARY_WIDTH 100
#define SUMMARY_HOST_IDS 32  /* distinct evidence flow ids kept per host */
#define SUMMARY_TALKERS 10   /* talkers shown */

#endif
