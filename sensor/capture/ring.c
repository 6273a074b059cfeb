/* ring.c - SPSC byte ring (see ring.h). Indices grow monotonically; a record
 * that does not fit before the end of the buffer is preceded by a padding
 * record that sends the consumer back to offset 0. Sleeping uses a
 * mutex/condvar only when one side actually waits. */
#include "config.h"

#include "ring.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/util.h"

#define REC_PAD 0xffff
#define ALIGN8(x) (((x) + 7u) & ~(size_t)7u)

struct ring {
	uint8_t *buf;
	size_t size;
	/* producer's line: the published head, and its private copies */
	_Alignas(64) atomic_size_t head;
	size_t p_tail_cache;   /* last tail the producer read */
	size_t reserved_end;
	/* consumer's line */
	_Alignas(64) atomic_size_t tail;
	size_t c_head_cache;   /* last head the consumer read */
	size_t c_pos;          /* next record to read (published to tail lazily) */
	/* sleeping */
	_Alignas(64) atomic_bool prod_waiting;
	atomic_bool cons_waiting;
	atomic_bool closed;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

struct ring *ring_new(size_t bytes)
{
	struct ring *r = kg_calloc(1, sizeof(*r), "ring");
	r->size = ALIGN8(bytes < (1u << 20) ? (1u << 20) : bytes);
	r->buf = kg_malloc(r->size, "packet ring");
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	atomic_init(&r->prod_waiting, false);
	atomic_init(&r->cons_waiting, false);
	atomic_init(&r->closed, false);
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	return r;
}

void ring_free(struct ring *r)
{
	if (!r)
		return;
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r->buf);
	free(r);
}

/* Records start at 8-byte aligned offsets of a malloc'ed (aligned) buffer. */
static inline struct ring_rec *rec_at(struct ring *r, size_t off)
{
	return (struct ring_rec *)(void *)(r->buf + off);
}

static void wake(struct ring *r)
{
	pthread_mutex_lock(&r->mu);
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

static void wait_ms(struct ring *r, int ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)ms * 1000000L;
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	pthread_cond_timedwait(&r->cv, &r->mu, &ts);
}

/* Producer: is there room for n more bytes? Reads the shared tail only when
 * its cached copy says no. */
static bool has_room(struct ring *r, size_t head, size_t n)
{
	if (r->size - (head - r->p_tail_cache) >= n)
		return true;
	r->p_tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
	return r->size - (head - r->p_tail_cache) >= n;
}

/* Room for n contiguous bytes at the head (placing a pad record if needed). */
static bool room(struct ring *r, size_t n, size_t *at)
{
	size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	size_t off = head % r->size;
	size_t contiguous = r->size - off;
	if (contiguous >= n) {
		if (!has_room(r, head, n))
			return false;
		*at = head;
		return true;
	}
	/* wrap: pad to the end, then n bytes at offset 0 */
	if (!has_room(r, head, contiguous + n))
		return false;
	struct ring_rec *pad = rec_at(r, off);
	pad->size = (uint32_t)contiguous;
	pad->kind = REC_PAD;
	atomic_store_explicit(&r->head, head + contiguous, memory_order_release);
	*at = head + contiguous;
	return true;
}

struct ring_rec *ring_reserve(struct ring *r, size_t datalen, bool wait)
{
	size_t n = ALIGN8(sizeof(struct ring_rec) + datalen);
	size_t at;
	if (n > r->size / 2)
		return NULL;
	while (!room(r, n, &at)) {
		if (!wait || atomic_load(&r->closed))
			return NULL;
		pthread_mutex_lock(&r->mu);
		atomic_store(&r->prod_waiting, true);
		if (!room(r, n, &at) && !atomic_load(&r->closed)) {
			if (atomic_load(&r->cons_waiting))
				pthread_cond_broadcast(&r->cv); /* never both asleep */
			wait_ms(r, 50);
		}
		atomic_store(&r->prod_waiting, false);
		pthread_mutex_unlock(&r->mu);
	}
	struct ring_rec *rec = rec_at(r, at % r->size);
	memset(rec, 0, sizeof(*rec));
	rec->size = (uint32_t)n;
	rec->caplen = (uint32_t)datalen;
	r->reserved_end = at + n;
	return rec;
}

void ring_commit(struct ring *r, struct ring_rec *rec)
{
	(void)rec;
	atomic_store_explicit(&r->head, r->reserved_end, memory_order_release);
	/* Wake a sleeping consumer once a batch is waiting (or at a flush): one
	 * wake-up per record would make the threads ping-pong, worst of all when
	 * they share a core. The consumer also wakes by itself every few ms. */
	if (atomic_load_explicit(&r->cons_waiting, memory_order_relaxed) &&
	    r->reserved_end - atomic_load_explicit(&r->tail, memory_order_relaxed) >= r->size / 16)
		wake(r);
}

void ring_flush(struct ring *r)
{
	if (atomic_load(&r->cons_waiting))
		wake(r);
}

/* Consumer: make the space of released records visible to the producer. */
static void publish_tail(struct ring *r)
{
	atomic_store_explicit(&r->tail, r->c_pos, memory_order_release);
}

struct ring_rec *ring_peek(struct ring *r, int timeout_ms)
{
	for (;;) {
		if (r->c_pos == r->c_head_cache)
			r->c_head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
		if (r->c_pos != r->c_head_cache) {
			struct ring_rec *rec = rec_at(r, r->c_pos % r->size);
			if (rec->kind == REC_PAD) {
				r->c_pos += rec->size;
				continue;
			}
			return rec;
		}
		publish_tail(r);
		if (timeout_ms == 0)
			return NULL;
		pthread_mutex_lock(&r->mu);
		atomic_store(&r->cons_waiting, true);
		if (atomic_load_explicit(&r->head, memory_order_acquire) == r->c_pos) {
			if (atomic_load(&r->prod_waiting))
				pthread_cond_broadcast(&r->cv); /* never both asleep */
			wait_ms(r, timeout_ms < 0 || timeout_ms > 10 ? 10 : timeout_ms);
		}
		atomic_store(&r->cons_waiting, false);
		pthread_mutex_unlock(&r->mu);
		if (timeout_ms > 0 && atomic_load_explicit(&r->head, memory_order_acquire) == r->c_pos)
			return NULL;
	}
}

void ring_release(struct ring *r, struct ring_rec *rec)
{
	r->c_pos += rec->size;
	size_t published = atomic_load_explicit(&r->tail, memory_order_relaxed);
	/* publish in batches; at once when the producer sleeps on a full ring */
	bool waiting = atomic_load_explicit(&r->prod_waiting, memory_order_relaxed);
	if (r->c_pos - published >= r->size / 64 || waiting) {
		publish_tail(r);
		/* wake it once half the ring is free: waking it for every released
		 * record makes the two threads ping-pong */
		if (waiting && atomic_load_explicit(&r->head, memory_order_relaxed) - r->c_pos <= r->size / 2)
			wake(r);
	}
}

void ring_close(struct ring *r)
{
	atomic_store(&r->closed, true);
	wake(r);
}

size_t ring_used(const struct ring *r)
{
	return atomic_load(&((struct ring *)r)->head) - atomic_load(&((struct ring *)r)->tail);
}
