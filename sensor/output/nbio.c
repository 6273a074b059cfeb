/* nbio.c - non-blocking writes, the outgoing queue and the msgpack stream reader (see nbio.h). */
#include "config.h"

#include "nbio.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define COMPACT_MIN (64u << 10)
#define READ_CHUNK 65536

enum nb_status nb_send(int fd, const uint8_t *p, size_t n, size_t *off)
{
	bool sock = true;
	while (*off < n) {
		ssize_t w = sock ? send(fd, p + *off, n - *off, MSG_NOSIGNAL | MSG_DONTWAIT) : write(fd, p + *off, n - *off);
		if (w < 0 && errno == ENOTSOCK && sock) {
			sock = false; /* a pipe: the caller set O_NONBLOCK and ignores SIGPIPE */
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return NB_AGAIN;
		if (w <= 0)
			return NB_BROKEN;
		*off += (size_t)w;
	}
	return NB_DONE;
}

void nb_queue_init(struct nb_queue *q, size_t limit)
{
	memset(q, 0, sizeof(*q));
	sb_init(&q->buf, 0);
	q->limit = limit;
}

void nb_queue_free(struct nb_queue *q)
{
	sb_free(&q->buf);
	memset(q, 0, sizeof(*q));
}

bool nb_queue_push(struct nb_queue *q, const void *p, size_t n)
{
	if (q->limit && nb_queue_pending(q) + n > q->limit) {
		q->refused++;
		return false;
	}
	if (q->off && q->off == q->buf.len) {
		sb_reset(&q->buf);
		q->off = 0;
	}
	if (!sb_append(&q->buf, p, n)) {
		q->refused++;
		return false;
	}
	if (nb_queue_pending(q) > q->peak)
		q->peak = nb_queue_pending(q);
	return true;
}

enum nb_status nb_queue_pump(struct nb_queue *q, int fd)
{
	size_t before = q->off;
	enum nb_status st = nb_send(fd, (const uint8_t *)q->buf.data, q->buf.len, &q->off);
	q->bytes_sent += q->off - before;
	if (st == NB_AGAIN)
		q->blocked++;
	if (st == NB_DONE) {
		sb_reset(&q->buf);
		q->off = 0;
	}
	return st;
}

size_t nb_queue_compact(struct nb_queue *q)
{
	if (q->off < COMPACT_MIN || q->off < q->buf.len / 2)
		return 0;
	size_t shift = q->off;
	memmove(q->buf.data, q->buf.data + shift, q->buf.len - shift);
	q->buf.len -= shift;
	q->off = 0;
	return shift;
}

void mpr_init(struct mp_reader *r, size_t max)
{
	sb_init(&r->buf, 0);
	r->off = 0;
	r->max = max;
}

void mpr_free(struct mp_reader *r) { sb_free(&r->buf); }

void mpr_reset(struct mp_reader *r)
{
	sb_reset(&r->buf);
	r->off = 0;
}

/* Move the unconsumed bytes to the front: when the consumed part is large, or all of them. A
 * consumer that stops at every few objects (the supervisor's barriers) must not pay a move of
 * the whole buffer each time. */
static void mpr_compact(struct mp_reader *r, bool force)
{
	if (!r->off || (!force && (r->off < COMPACT_MIN || r->off < r->buf.len / 2)))
		return;
	memmove(r->buf.data, r->buf.data + r->off, r->buf.len - r->off);
	r->buf.len -= r->off;
	r->off = 0;
}

enum mpr_status mpr_fill(struct mp_reader *r, int fd, unsigned rounds)
{
	char buf[READ_CHUNK];
	enum mpr_status st = MPR_OK;
	mpr_compact(r, r->off == r->buf.len);
	for (unsigned i = 0; i < rounds;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		i++;
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				st = MPR_EOF;
			break;
		}
		if (n == 0) {
			st = MPR_EOF;
			break;
		}
		sb_append(&r->buf, buf, (size_t)n);
		if (r->max && r->buf.len - r->off > r->max) {
			mpr_reset(r);
			return MPR_OVERFLOW;
		}
	}
	return st;
}

enum mp_status mpr_each(struct mp_reader *r, bool (*fn)(void *ctx, const uint8_t *p, size_t n), void *ctx)
{
	size_t off = r->off;
	enum mp_status ret = MP_OK;
	while (off < r->buf.len) {
		size_t sz, bad;
		const uint8_t *p = (const uint8_t *)r->buf.data + off;
		enum mp_status st = mp_object_size(p, r->buf.len - off, &sz, &bad);
		if (st == MP_TRUNCATED)
			break;
		if (st != MP_OK) {
			ret = st;
			off = r->buf.len;
			break;
		}
		off += sz;
		if (!fn(ctx, p, sz))
			break;
	}
	r->off = off;
	if (r->off == r->buf.len) { /* all consumed: start over at the front, no move */
		r->buf.len = 0;
		r->off = 0;
	}
	mpr_compact(r, false);
	return ret;
}
