/* reasm.h - kagami's own TCP stream reassembler (RFC 793 sequence space), gap-aware.
 *
 * Used for IPv6 TCP (libnids is IPv4 only), for sessions picked up without
 * their SYN, and for IPv4 sessions libnids cannot finish (a segment missing
 * from the capture, see tcp.c). It delivers in-order bytes, keeps at most
 * max_ooo out-of-order bytes per direction (and memcap in total), and turns
 * bytes that will never come into an announced gap instead of stalling:
 *   - the receiver acknowledged past them (they crossed the wire unseen),
 *   - the out-of-order queue reached its cap,
 *   - the flow ended with segments still queued.
 * Overlapping bytes keep what arrived first. The memcap covers the out-of-order queues and the
 * buffers of delivered bytes the consumer has not consumed yet, as in Suricata's stream memcap:
 * past it, out-of-order segments are refused and unconsumed bytes are dropped as a gap.
 */
#ifndef KAGAMI_REASM_H
#define KAGAMI_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.h"

struct reasm_seg {
	struct reasm_seg *next;
	uint32_t seq, len;
	uint8_t data[];
};

/* What a queued segment of n payload bytes costs, as charged against the memcap: the payload,
 * its header and the allocator's own overhead (16 bytes on glibc), so that a flood of one-byte
 * segments cannot hold many times the memcap. */
#define REASM_SEG_COST(n) ((uint64_t)(n) + sizeof(struct reasm_seg) + 16u)

struct reasm_dir {
	bool init;
	bool fin_seen;
	bool eof_sent;
	bool discard;        /* nobody wants the bytes: track sequence numbers only */
	uint32_t next_seq;   /* sequence number of the next byte to deliver */
	uint32_t fin_seq;
	bool acked_valid;
	uint32_t acked;      /* highest ACK the peer sent for this direction */
	uint8_t *buf;        /* delivered but unconsumed bytes */
	size_t blen, bcap;
	struct reasm_seg *ooo;
	uint32_t ooo_bytes, ooo_segs;
};

struct reasm_stats {
	uint64_t segments, bytes;
	uint64_t ooo_segments;       /* segments that arrived ahead of a hole */
	uint64_t overlaps;           /* segments (partly) covering bytes already held */
	uint64_t retransmissions;    /* segments wholly before next_seq */
	uint64_t gaps, gap_bytes;    /* announced gaps */
	uint64_t ooo_dropped;        /* out-of-order bytes refused at memcap */
	uint64_t memcap_gaps;        /* unconsumed bytes dropped at memcap (told as a gap) ... */
	uint64_t memcap_gap_bytes;   /* ... and how many */
};

struct reasm_env {
	/* deliver data[0..len) of which [new_off..len) is new; return bytes consumed */
	size_t (*deliver)(void *ctx, enum flow_dir dir, const uint8_t *data, size_t len, size_t new_off);
	void (*gap)(void *ctx, enum flow_dir dir, uint64_t bytes);
	/* delivered bytes the consumer had not consumed were dropped at the memcap: to the
	 * consumer a gap, but not a loss before the sensor; NULL = gap() */
	void (*dropped)(void *ctx, enum flow_dir dir, uint64_t bytes);
	void (*eof)(void *ctx, enum flow_dir dir);
	void *ctx;
	uint64_t *mem;      /* stream memory of all flows: out-of-order segments (REASM_SEG_COST
			     * each) and the buffers of unconsumed bytes (at their capacity) */
	uint64_t memcap;    /* an out-of-order segment that would take *mem past it is refused
			     * (ooo_dropped); unconsumed bytes past it are dropped (memcap_gaps) */
	uint64_t max_ooo;   /* per direction */
	struct reasm_stats *st;
};

void reasm_dir_init(struct reasm_dir *d, uint32_t next_seq);
/* A segment of direction dir: seq, payload, FIN flag. Lazily initialises a
 * direction that has no starting point yet at this segment (mid-stream). */
void reasm_data(const struct reasm_env *env, struct reasm_dir *d, enum flow_dir dir, uint32_t seq,
		const uint8_t *data, size_t len, bool fin);
/* The peer acknowledged everything below ack in direction dir: the hole below
 * ack is lost once data after it exists (queued now, or arriving later). */
void reasm_ack(const struct reasm_env *env, struct reasm_dir *d, enum flow_dir dir, uint32_t ack);
/* Preload bytes already delivered once but not consumed (hand-over from libnids). */
void reasm_preload(const struct reasm_env *env, struct reasm_dir *d, const uint8_t *data, size_t len);
/* Deliver in-order bytes another engine reassembled (libnids) through d's buffer of unconsumed
 * bytes, exactly as the own reassembler delivers its own: what the consumer leaves is kept
 * (charged, dropped as a gap past the memcap) and comes again before the next bytes. */
void reasm_deliver(const struct reasm_env *env, struct reasm_dir *d, enum flow_dir dir, const uint8_t *data, size_t len);
/* Queue an out-of-order segment without delivering (hand-over from libnids). */
void reasm_queue(const struct reasm_env *env, struct reasm_dir *d, uint32_t seq, const uint8_t *data, size_t len);
/* End of the direction: deliver what is queued, announcing the holes, then EOF. */
void reasm_close(const struct reasm_env *env, struct reasm_dir *d, enum flow_dir dir);
void reasm_dir_free(const struct reasm_env *env, struct reasm_dir *d);

#endif
