/* smb.h - what the SMB dissector offers beyond its callback table: merging the per-host MS17-010
 * verdicts (smb_host_verdict events, docs/events.md) that several worker processes wrote about
 * one host, for the supervisor of -j N (sensor/workers/supervisor.h, struct supervisor_app). */
#ifndef KAGAMI_SMB_H
#define KAGAMI_SMB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output/event.h"

/* Is ev (a whole event, exactly len bytes: measured by the caller) an smb_host_verdict? Then key[0..*keylen) (at most 18 bytes) is its
 * host and role, in the order a single process writes them (servers first, then by address),
 * and *partial says the event is a part to add up (a record a worker evicted from its table)
 * rather than the worker's latest view of the host. */
bool smb_verdict_merge_key(const uint8_t *ev, size_t len, uint8_t *key, size_t *keylen, bool *partial);
/* Write through em the one smb_host_verdict that combines parts[0..n) (whole events of exactly
 * lens[i] bytes) of one host and role:
 * the strongest verdict, the earliest first_seen and latest last_seen, the sums of flows and
 * counts, the union of detections, and the first evidence flow ids (up to 8). */
void smb_verdict_merge_emit(struct emitter *em, const uint8_t *const *parts, const size_t *lens, size_t n,
			    const char *summary);

#endif
