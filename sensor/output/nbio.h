/* nbio.h - the one non-blocking writer and reader of the event sinks and the supervisor: partial
 * writes to a socket or pipe that must never stall the analysis, a bounded queue of outgoing
 * bytes with back-pressure counters, and a reader that cuts a msgpack stream into whole objects
 * (msgpack is self-delimiting; every object is measured before it is used, output/mpjson.h).
 *
 * Users: the Fluent Forward sink (chunks out, acknowledgements in), the unix-socket sink (one
 * queue per consumer) and the supervisor (events in from each worker's pipe). */
#ifndef KAGAMI_NBIO_H
#define KAGAMI_NBIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mpjson.h"
#include "util/util.h"

enum nb_status {
	NB_DONE = 0, /* everything asked for was written */
	NB_AGAIN,    /* the descriptor is full: the rest waits for POLLOUT */
	NB_BROKEN,   /* write error or the peer went away (errno says which) */
};

/* Write p[*off..n) to fd (socket or pipe; never raises SIGPIPE) without waiting; *off
 * advances by what was written. Retries on EINTR. */
enum nb_status nb_send(int fd, const uint8_t *p, size_t n, size_t *off);

/* Bytes waiting for a non-blocking descriptor. */
struct nb_queue {
	struct strbuf buf;
	size_t off;           /* buf[0..off) is written */
	size_t limit;         /* most unwritten bytes held; 0 = no limit */
	uint64_t bytes_sent;
	uint64_t blocked;     /* pumps that found the descriptor full */
	uint64_t refused;     /* pushes refused at the limit */
	size_t peak;          /* most unwritten bytes held at once */
};

void nb_queue_init(struct nb_queue *q, size_t limit);
void nb_queue_free(struct nb_queue *q);
static inline size_t nb_queue_pending(const struct nb_queue *q) { return q->buf.len - q->off; }
/* Append p[0..n); false, counted in refused, when the unwritten bytes would pass the limit
 * (the caller drops the whole event and counts it). */
bool nb_queue_push(struct nb_queue *q, const void *p, size_t n);
/* Write what fd takes now; an emptied queue is reset. */
enum nb_status nb_queue_pump(struct nb_queue *q, int fd);
/* Move the unwritten bytes to the front of the buffer when the written part is large (at
 * least 64 KiB and half the buffer); returns how many bytes the contents moved (0 = none),
 * so that a caller keeping offsets into buf can follow. */
size_t nb_queue_compact(struct nb_queue *q);

/* Whole msgpack objects from a stream descriptor. */
struct mp_reader {
	struct strbuf buf;    /* buf[off..len): bytes read, not yet cut into objects */
	size_t off;           /* consumed front, moved out only when it is large (or to read more) */
	size_t max;           /* most bytes held for one unfinished object */
};

enum mpr_status {
	MPR_OK = 0,     /* read what there was; the descriptor is still open */
	MPR_EOF,        /* the peer closed it (or a read error): no more will come */
	MPR_OVERFLOW,   /* an object longer than max: the buffer was emptied */
};

/* Bytes read and not yet cut into objects. */
static inline size_t mpr_pending(const struct mp_reader *r) { return r->buf.len - r->off; }
void mpr_init(struct mp_reader *r, size_t max);
void mpr_free(struct mp_reader *r);
void mpr_reset(struct mp_reader *r);
/* Read what fd holds now (at most rounds x 64 KiB, so one busy peer cannot starve others). */
enum mpr_status mpr_fill(struct mp_reader *r, int fd, unsigned rounds);
/* Call fn on every whole object at the front of the buffer, in order, and drop it; stop at a
 * truncated one (kept for the next fill) or after the object fn returned false for. Returns MP_OK, or the
 * status of a malformed object (the buffer is then emptied: a stream that lost its framing
 * cannot be resynchronised). */
enum mp_status mpr_each(struct mp_reader *r, bool (*fn)(void *ctx, const uint8_t *p, size_t n), void *ctx);

#endif
