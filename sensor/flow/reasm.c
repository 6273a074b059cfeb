/* reasm.c - gap-aware TCP reassembly (see reasm.h). Sequence arithmetic is
 * modulo 2^32: positions are compared relative to next_seq. */
#include "config.h"

#include "reasm.h"

#include <stdlib.h>
#include <string.h>

#include "util/util.h"

/* distance of a from b in sequence space (negative: a is before b) */
static inline int32_t seq_diff(uint32_t a, uint32_t b) { return (int32_t)(a - b); }

void reasm_dir_init(struct reasm_dir *d, uint32_t next_seq)
{
	d->init = true;
	d->next_seq = next_seq;
}

/* The buffer of delivered but unconsumed bytes is charged to the memcap at its capacity. It
 * starts small (many sessions hold a few bytes: a header cut by the segment end) and doubles. */
static void buf_append(const struct reasm_env *env, struct reasm_dir *d, const uint8_t *p, size_t n)
{
	if (d->blen + n > d->bcap) {
		size_t ncap = d->bcap ? d->bcap : 256;
		while (ncap < d->blen + n)
			ncap *= 2;
		d->buf = kg_realloc(d->buf, ncap, "stream buffer");
		*env->mem += ncap - d->bcap;
		d->bcap = ncap;
	}
	memcpy(d->buf + d->blen, p, n);
	d->blen += n;
}

static void buf_drop(const struct reasm_env *env, struct reasm_dir *d)
{
	free(d->buf);
	*env->mem -= d->bcap;
	d->buf = NULL;
	d->bcap = 0;
	d->blen = 0;
}

static void buf_consume(const struct reasm_env *env, struct reasm_dir *d, size_t n)
{
	if (n >= d->blen) {
		d->blen = 0;
	} else {
		memmove(d->buf, d->buf + n, d->blen - n);
		d->blen -= n;
	}
	/* give the buffer back once everything is consumed: idle sessions hold none */
	if (d->blen == 0)
		buf_drop(env, d);
}

void reasm_preload(const struct reasm_env *env, struct reasm_dir *d, const uint8_t *data, size_t len)
{
	buf_append(env, d, data, len);
}

/* The consumer left bytes to be delivered again, but holding them would pass the memcap: they
 * are dropped and the consumer told, as a gap, that they will not come again. */
static void buf_over_memcap(const struct reasm_env *env, struct reasm_dir *d, enum flow_dir dir)
{
	if (!d->blen || *env->mem <= env->memcap)
		return;
	uint64_t held = d->blen;
	buf_drop(env, d);
	env->st->memcap_gaps++;
	env->st->memcap_gap_bytes += held;
	(env->dropped ? env->dropped : env->gap)(env->ctx, dir, held);
}

/* Hand in-order bytes to the consumer; keep what it does not consume. */
static void deliver(const struct reasm_env *env, struct reasm_dir *d, enum flow_dir dir, const uint8_t *p, size_t n)
{
	if (!n)
		return;
	env->st->bytes += n;
	if (d->discard) {
		if (d->buf)
			buf_drop(env, d);
		return;
	}
	if (d->blen == 0) {
		size_t used = env->deliver(env->ctx, dir, p, n, 0);
		if (used < n)
			buf_append(env, d, p + used, n - used);
	} else {
		size_t old = d->blen;
		buf_append(env, d, p, n);
		size_t used = env->deliver(env->ctx, dir, d->buf, d->blen, old);
		buf_consume(env, d, used);
	}
	buf_over_memcap(env, d, dir);
}

void reasm_deliver(const struct reasm_env *env, struct reasm_dir *d, enum flow_dir dir, const uint8_t *data, size_t len)
{
	deliver(env, d, dir, data, len);
}

static void free_seg(const struct reasm_env *env, struct reasm_dir *d, struct reasm_seg *s)
{
	d->ooo_bytes -= s->len;
	d->ooo_segs--;
	*env->mem -= REASM_SEG_COST(s->len);
	free(s);
}

/* Deliver queued segments that became in order. */
static void drain(const struct reasm_env *env, struct reasm_dir *d, enum flow_dir dir)
{
	struct reasm_seg *s;
	while ((s = d->ooo) && seq_diff(s->seq, d->next_seq) <= 0) {
		d->ooo = s->next;
		int32_t skip = seq_diff(d->next_seq, s->seq);
		if ((uint32_t)skip < s->len) {
			uint32_t n = s->len - (uint32_t)skip;
			d->next_seq += n;
			deliver(env, d, dir, s->data + skip, n);
		}
		free_seg(env, d, s);
	}
	if (d->fin_seen && !d->eof_sent && seq_diff(d->next_seq, d->fin_seq) >= 0 && !d->ooo) {
		d->eof_sent = true;
		env->eof(env->ctx, dir);
	}
}

/* Declare the bytes up to new_next lost and move on. */
static void skip_to(const struct reasm_env *env, struct reasm_dir *d, enum flow_dir dir, uint32_t new_next)
{
	int32_t gap = seq_diff(new_next, d->next_seq);
	if (gap <= 0)
		return;
	env->st->gaps++;
	env->st->gap_bytes += (uint32_t)gap;
	if (d->buf) /* a partial message cannot be completed across a hole */
		buf_drop(env, d);
	d->next_seq = new_next;
	env->gap(env->ctx, dir, (uint32_t)gap);
}

static void insert_piece(const struct reasm_env *env, struct reasm_dir *d, struct reasm_seg **link, uint32_t seq,
			 const uint8_t *p, uint32_t n)
{
	struct reasm_seg *s = kg_malloc(sizeof(*s) + n, "tcp segment");
	s->seq = seq;
	s->len = n;
	memcpy(s->data, p, n);
	s->next = *link;
	*link = s;
	d->ooo_bytes += n;
	d->ooo_segs++;
	*env->mem += REASM_SEG_COST(n);
}

/* Insert [seq, seq+len) into the queue, keeping bytes already queued (first wins). */
static void queue_segment(const struct reasm_env *env, struct reasm_dir *d, uint32_t seq, const uint8_t *data,
			  uint32_t len)
{
	uint32_t pos = seq, end = seq + len;
	struct reasm_seg **link = &d->ooo;
	bool overlapped = false;
	while (seq_diff(end, pos) > 0) {
		while (*link && seq_diff((*link)->seq + (*link)->len, pos) <= 0)
			link = &(*link)->next;
		struct reasm_seg *cur = *link;
		if (cur && seq_diff(cur->seq, pos) <= 0) {
			overlapped = true;
			pos = cur->seq + cur->len;
			link = &cur->next;
			continue;
		}
		uint32_t piece_end = end;
		if (cur && seq_diff(cur->seq, end) < 0) {
			piece_end = cur->seq;
			overlapped = true;
		}
		uint32_t n = piece_end - pos;
		insert_piece(env, d, link, pos, data + (pos - seq), n);
		link = &(*link)->next;
		pos = piece_end;
	}
	if (overlapped)
		env->st->overlaps++;
}

void reasm_queue(const struct reasm_env *env, struct reasm_dir *d, uint32_t seq, const uint8_t *data, size_t len)
{
	if (!len || seq_diff(seq + (uint32_t)len, d->next_seq) <= 0)
		return;
	queue_segment(env, d, seq, data, (uint32_t)len);
}

void reasm_data(const struct reasm_env *env, struct reasm_dir *d, enum flow_dir dir, uint32_t seq,
		const uint8_t *data, size_t len, bool fin)
{
	if (len > (1u << 20)) /* larger than any IP datagram: impossible */
		return;
	if (!d->init)
		reasm_dir_init(d, seq);
	env->st->segments++;
	if (fin && !d->fin_seen) {
		d->fin_seen = true;
		d->fin_seq = seq + (uint32_t)len;
	}
	/* data beyond a hole the peer already acknowledged: the hole is lost */
	if (len && d->acked_valid && seq_diff(seq, d->next_seq) > 0 && seq_diff(d->acked, d->next_seq) > 0) {
		uint32_t target = seq_diff(d->acked, seq) < 0 ? d->acked : seq;
		if (d->ooo && seq_diff(d->ooo->seq, target) < 0)
			target = d->ooo->seq;
		skip_to(env, d, dir, target);
		drain(env, d, dir);
	}
	uint32_t n = (uint32_t)len;
	int32_t off = seq_diff(seq, d->next_seq);
	if (n && off < 0) {
		uint32_t behind = d->next_seq - seq; /* modulo 2^32: no signed negation */
		if (behind >= n) {
			env->st->retransmissions++;
			n = 0;
		} else {
			env->st->overlaps++;
			data += behind;
			n -= behind;
			seq = d->next_seq;
			off = 0;
		}
	}
	if (n && off == 0) {
		d->next_seq += n;
		deliver(env, d, dir, data, n);
	} else if (n && off > 0) {
		env->st->ooo_segments++;
		if (*env->mem + REASM_SEG_COST(n) > env->memcap) {
			env->st->ooo_dropped += n;
		} else {
			queue_segment(env, d, seq, data, n);
			/* the queue is full: the hole will not be filled in time */
			while (d->ooo && d->ooo_bytes > env->max_ooo) {
				skip_to(env, d, dir, d->ooo->seq);
				drain(env, d, dir);
			}
		}
	}
	drain(env, d, dir);
}

void reasm_ack(const struct reasm_env *env, struct reasm_dir *d, enum flow_dir dir, uint32_t ack)
{
	if (!d->init || seq_diff(ack, d->next_seq) <= 0)
		return;
	if (seq_diff(ack, d->next_seq) > (1 << 30))
		return; /* implausible: an ACK from another connection, or corrupt */
	if (!d->acked_valid || seq_diff(ack, d->acked) > 0) {
		d->acked_valid = true;
		d->acked = ack;
	}
	/* data after the hole is already here: the peer acknowledged past the
	 * hole, so its bytes crossed the wire unseen */
	if (d->ooo && seq_diff(d->ooo->seq, ack) < 0) {
		skip_to(env, d, dir, d->ooo->seq);
		drain(env, d, dir);
	}
}

void reasm_close(const struct reasm_env *env, struct reasm_dir *d, enum flow_dir dir)
{
	if (!d->init)
		return;
	while (d->ooo) {
		skip_to(env, d, dir, d->ooo->seq);
		drain(env, d, dir);
	}
	if (!d->eof_sent) {
		d->eof_sent = true;
		env->eof(env->ctx, dir);
	}
}

void reasm_dir_free(const struct reasm_env *env, struct reasm_dir *d)
{
	struct reasm_seg *s = d->ooo;
	while (s) {
		struct reasm_seg *n = s->next;
		free_seg(env, d, s);
		s = n;
	}
	d->ooo = NULL;
	if (d->buf)
		buf_drop(env, d);
	memset(d, 0, sizeof(*d));
}
