/* ring.h - bounded single-producer single-consumer byte ring carrying packet records from the
 * capture thread to the analysis thread. Offline the producer blocks when the ring is full
 * (back-pressure: no packet is ever dropped); live it does not wait and the caller counts a drop. */
#ifndef KAGAMI_RING_H
#define KAGAMI_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ring_kind {
	REC_PACKET = 1,
	REC_INPUT_START, /* data: input name */
	REC_INPUT_ERROR, /* data: message; the input stopped at this point */
	REC_INPUT_END,   /* one input done */
	REC_ALL_DONE,    /* no more records will come */
	REC_TIME,        /* a packet of another worker's share: only its time (ts_us) is passed on */
};

struct ring_rec {
	uint32_t size;     /* whole record, header included, 8-byte aligned */
	uint16_t kind;
	uint16_t flags;    /* REC_F_* */
	uint32_t caplen;   /* data bytes that follow */
	uint32_t wirelen;
	int32_t linktype;
	uint32_t input;    /* index of the input it came from */
	int64_t ts_us;
	uint8_t data[];
};

#define REC_F_TS_CLAMPED 0x1 /* the capture's timestamp was outside 1970..9999 */

struct ring;

struct ring *ring_new(size_t bytes);
void ring_free(struct ring *r);

/* Producer: reserve room for a record with datalen data bytes. wait=true
 * blocks until there is room (or ring_close()); false returns NULL when full. */
struct ring_rec *ring_reserve(struct ring *r, size_t datalen, bool wait);
void ring_commit(struct ring *r, struct ring_rec *rec);
/* Producer: make what was committed visible to a sleeping consumer now (end of
 * an input, end of a live read batch). */
void ring_flush(struct ring *r);

/* Consumer: next record, waiting up to timeout_ms (-1 = forever; 0 = poll).
 * NULL on timeout. The record stays valid until ring_release(). */
struct ring_rec *ring_peek(struct ring *r, int timeout_ms);
void ring_release(struct ring *r, struct ring_rec *rec);

/* Wake a blocked producer for good (shutdown). */
void ring_close(struct ring *r);
size_t ring_used(const struct ring *r);

#endif
