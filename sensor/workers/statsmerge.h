/* statsmerge.h - one "stats" event from the stats events of several worker processes
 * (schema: docs/events.md, "stats" written by a supervisor). */
#ifndef KAGAMI_STATSMERGE_H
#define KAGAMI_STATSMERGE_H

#include <stddef.h>
#include <stdint.h>

struct event;

typedef void (*stats_merge_hook)(void *ctx, struct event *ev, const char *path);

/* Write into ev, inside its open "stats" map, the merge of the "stats" maps of
 * n stats events (complete msgpack events; NULL entries are skipped):
 *   - unsigned and signed integers are summed (peaks become sums of peaks, an
 *     upper bound), booleans OR'ed, maps merged key by key in first-seen order;
 *   - strings, arrays and fields named "*_version" are taken from the first
 *     event that has them;
 *   - capture_loss.percent is recomputed from the summed acks and ack_gaps;
 *     other floating-point fields are left out (they do not add up);
 *   - the per-worker "worker" map is left out.
 * hook, when not NULL, is called at the end of every merged map with its path
 * ("capture", "output", "tcp.nids_warnings", ...) to add fields of its own.
 * Returns the number of events that could be read. */
size_t stats_merge(struct event *ev, const uint8_t *const *evs, const size_t *lens, size_t n,
		   stats_merge_hook hook, void *ctx);

#endif
