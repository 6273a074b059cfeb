/* output_forward.h - Fluent Forward protocol v1 sink (fluentd/fluent-bit in_forward):
 * PackedForward messages with chunk acknowledgements, EventTime, reconnection with
 * exponential back-off and a bounded on-disk spool.
 *
 * Events are appended to an open chunk; a chunk is sealed when it holds chunk_events
 * events or chunk_bytes bytes, or flush_ms after its first event, into one message
 *
 *     [tag, bin(entries), {"chunk": ID, "size": N}]
 *
 * where entries is the concatenation of N [EventTime, record] pairs (record = the
 * kagami event map as is; EventTime = ext type 0, 4-byte seconds and 4-byte
 * nanoseconds, big-endian, taken from the event's "timestamp"). A sender thread
 * sends sealed chunks in order, up to `window` unacknowledged at a time, and
 * forgets a chunk only when the collector answers {"ack": ID}. On a broken
 * connection or a missing ack (ack_timeout_ms) it reconnects with back-off and
 * sends every unacknowledged chunk again with the same ID: delivery is at least
 * once, and a duplicate carries the ID of the chunk it repeats.
 *
 * While the collector is unreachable, sealed chunks go to the spool directory
 * (one file per chunk, written, fsync'ed and renamed), up to spool_max bytes;
 * at close, unacknowledged chunks are spooled too, and the next run sends them
 * first. What finds no room (spool full, or memory full without a spool) is
 * dropped whole and counted. fwd_write() never blocks on the network or disk.
 */
#ifndef KAGAMI_OUTPUT_FORWARD_H
#define KAGAMI_OUTPUT_FORWARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output.h"

struct fwd_cfg {
	const char *host;          /* collector address or name */
	const char *port;          /* service or port number */
	const char *tag;           /* Fluent tag (default "kagami") */
	const char *spool_dir;     /* NULL = no spool: memory only */
	uint64_t spool_max;        /* bytes of chunk files (default 1G) */
	uint64_t mem_max;          /* bytes of sealed chunks held in memory (default 64M) */
	uint32_t chunk_events;     /* default 1000 */
	uint32_t chunk_bytes;      /* default 1 MiB, at most mem_max / 8 */
	uint32_t flush_ms;         /* default 1000 */
	uint32_t ack_timeout_ms;   /* default 30000; also how long close waits */
	uint32_t retry_min_ms;     /* default 500 */
	uint32_t retry_max_ms;     /* default 60000 */
	uint32_t window;           /* chunks in flight (default 8) */
};

/* Split "HOST:PORT", "[V6ADDR]:PORT" or "HOST" (port 24224) into host and port,
 * written into the caller's buffers. False when malformed. */
bool fwd_parse_target(const char *s, char *host, size_t hostlen, char *port, size_t portlen);

struct fwd;

/* Opens the spool (creating the directory, locking it, finding chunks left by an
 * earlier run) and starts the sender thread. 0, or -1 with errbuf. */
int fwd_open(const struct fwd_cfg *cfg, struct fwd **out, char *errbuf, size_t errlen);
/* Append one event (a msgpack map). Never blocks on I/O; may drop (counted). */
void fwd_write(struct fwd *f, const uint8_t *event, size_t len);
/* Seal the open chunk now. */
void fwd_flush(struct fwd *f);
/* Seal, deliver what can be delivered within ack_timeout_ms, spool the rest,
 * stop. Returns the number of events lost over the whole run (dropped + not
 * spooled at close). */
uint64_t fwd_close(struct fwd *f);
uint64_t fwd_dropped(struct fwd *f);
/* The sink's counters (the "forward" map of stats events). */
void fwd_counters(struct fwd *f, struct out_counters *g);

/* EventTime of an event: its "timestamp" field ("2017-05-18T10:11:12.123456+0000")
 * as seconds and nanoseconds; false when absent or malformed. */
bool fwd_event_time(const uint8_t *event, size_t len, uint32_t *sec, uint32_t *nsec);

#endif
