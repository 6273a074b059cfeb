/* output_forward.c - Fluent Forward protocol v1 sink (see output_forward.h; the Forward
 * Protocol Specification v1 of the fluent project: PackedForward mode, "chunk"/"ack"
 * options, EventTime ext type 0). */
#include "config.h"

#include "output_forward.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mpjson.h"
#include "nbio.h"
#include "util/util.h"

#define ID_LEN 24         /* base64 of 16 bytes */
#define ACK_BUF_MAX 65536 /* no acknowledgement is anywhere near this long */

struct chunk {
	struct chunk *next;
	uint64_t seq;
	char id[ID_LEN + 1];  /* empty for a spooled chunk not read yet */
	uint32_t nevents;
	size_t size;          /* message bytes */
	uint8_t *data;        /* the message, or NULL while only on disk */
	bool on_disk;
	bool inflight;        /* sent on the current connection, not acknowledged */
	bool resend;          /* was in flight on a connection that broke */
	int64_t sent_ms;
};

struct fwd_tally {
	uint64_t connects, connect_failures, disconnects, ack_timeouts, protocol_errors;
	uint64_t chunks_sent, chunks_resent, chunks_acked, events_acked, bytes_sent;
	uint64_t chunks_spooled, spool_errors, spool_corrupt;
	uint64_t events_dropped, chunks_dropped;
	uint64_t send_blocked;  /* sends that found the socket full (back-pressure) */
};

struct fwd {
	struct fwd_cfg cfg;
	char *host, *port, *tag, *spool_dir;
	uint8_t boot[8];      /* per-run random half of every chunk id */
	int lock_fd;
	int wake_fd;          /* eventfd: a chunk was sealed, or stop */
	pthread_t thr;
	bool started;

	pthread_mutex_t mu;   /* everything below, unless marked sender-only */
	struct strbuf open;   /* entries of the open chunk */
	uint32_t open_n;
	int64_t open_since_ms;
	bool flush_req;
	struct chunk *head, *tail;
	uint64_t next_seq;
	uint64_t mem_bytes, disk_bytes;
	uint64_t queued_chunks, queued_events, disk_chunks;
	bool stopping;
	int64_t deadline_ms;
	bool connected;
	struct fwd_tally c;

	/* sender thread only */
	int fd;
	int64_t next_retry_ms;
	bool stop_tried;
	uint32_t backoff_ms;
	struct chunk *wcur;   /* chunk being written */
	size_t woff;
	struct mp_reader rbuf;/* acknowledgements not parsed yet */
};

/* ------------------------------------------------------------------ helpers */

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void base64_16(const uint8_t in[16], char out[ID_LEN + 1])
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;
	for (size_t i = 0; i < 16; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < 16)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < 16)
			v |= in[i + 2];
		out[o++] = tbl[(v >> 18) & 63];
		out[o++] = tbl[(v >> 12) & 63];
		out[o++] = i + 1 < 16 ? tbl[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < 16 ? tbl[v & 63] : '=';
	}
	out[o] = '\0';
}

bool fwd_parse_target(const char *s, char *host, size_t hostlen, char *port, size_t portlen)
{
	const char *h = s, *he, *p = NULL;
	if (*s == '[') {
		h = s + 1;
		he = strchr(h, ']');
		if (!he)
			return false;
		if (he[1] == ':')
			p = he + 2;
		else if (he[1] != '\0')
			return false;
	} else {
		he = strrchr(s, ':');
		if (he && strchr(s, ':') != he)
			return false; /* a bare IPv6 address needs brackets */
		if (he)
			p = he + 1;
		else
			he = s + strlen(s);
	}
	size_t hl = (size_t)(he - h);
	if (!hl || hl >= hostlen)
		return false;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (!p) {
		snprintf(port, portlen, "24224");
		return true;
	}
	size_t pl = strlen(p);
	if (!pl || pl >= portlen)
		return false;
	for (size_t i = 0; i < pl; i++)
		if (!isdigit((unsigned char)p[i]))
			return false;
	long v = strtol(p, NULL, 10);
	if (v < 1 || v > 65535)
		return false;
	memcpy(port, p, pl + 1);
	return true;
}

bool fwd_event_time(const uint8_t *event, size_t len, uint32_t *sec, uint32_t *nsec)
{
	const uint8_t *t;
	size_t tl;
	int64_t us;
	if (!mp_map_get_str(event, len, "timestamp", &t, &tl) || !kg_parse_time((const char *)t, tl, &us))
		return false;
	int64_t secs = us / 1000000;
	if (secs > UINT32_MAX)
		return false;
	*sec = (uint32_t)secs;
	*nsec = (uint32_t)(us % 1000000) * 1000;
	return true;
}

/* ------------------------------------------------------------------ chunks */

/* The bin payload (entries) of a PackedForward message, and its event count.
 * Validates the whole message: [str tag, bin entries, map options]. */
static bool parse_message(const uint8_t *p, size_t n, const uint8_t **entries, size_t *elen, uint32_t *nevents,
			  char id[ID_LEN + 1])
{
	size_t off = 1, sz, bad;
	if (n < 1 || p[0] != 0x93)
		return false;
	if (mp_object_size(p + off, n - off, &sz, &bad) != MP_OK) /* tag */
		return false;
	off += sz;
	if (off + 5 > n || p[off] != 0xc6)
		return false;
	uint32_t bl = (uint32_t)p[off + 1] << 24 | (uint32_t)p[off + 2] << 16 | (uint32_t)p[off + 3] << 8 | p[off + 4];
	off += 5;
	if (bl > n - off)
		return false;
	*entries = p + off;
	*elen = bl;
	off += bl;
	if (mp_object_size(p + off, n - off, &sz, &bad) != MP_OK || off + sz != n)
		return false;
	const uint8_t *v;
	size_t vl;
	if (!mp_map_get_str(p + off, sz, "chunk", &v, &vl) || vl != ID_LEN)
		return false;
	memcpy(id, v, ID_LEN);
	id[ID_LEN] = '\0';
	uint32_t cnt = 0;
	for (size_t e = 0; e < bl; e += sz, cnt++)
		if (mp_object_size(*entries + e, bl - e, &sz, &bad) != MP_OK)
			return false;
	*nevents = cnt;
	return true;
}

/* Seal the open chunk into a message at the tail of the queue (mu held). */
static void seal_locked(struct fwd *f)
{
	if (!f->open_n)
		return;
	size_t taglen = strlen(f->tag);
	size_t hdr = 1 + 5 + taglen + 5;
	size_t opt = 1 + 6 + 1 + ID_LEN + 5 + 5;
	size_t size = hdr + f->open.len + opt;
	uint32_t n = f->open_n;
	if (f->mem_bytes + size > f->cfg.mem_max) {
		/* the sender cannot keep up and nothing more fits: drop whole */
		f->c.events_dropped += n;
		f->c.chunks_dropped++;
		sb_reset(&f->open);
		f->open_n = 0;
		return;
	}
	struct chunk *c = kg_calloc(1, sizeof(*c), "forward chunk");
	c->seq = f->next_seq++;
	uint8_t raw[16];
	memcpy(raw, f->boot, 8);
	for (int i = 0; i < 8; i++)
		raw[8 + i] = (uint8_t)(c->seq >> (56 - 8 * i));
	base64_16(raw, c->id);
	c->nevents = n;
	c->size = size;
	c->data = kg_malloc(size, "forward chunk");
	uint8_t *p = c->data;
	*p++ = 0x93;
	*p++ = 0xdb; /* str32 tag */
	put_be32(p, (uint32_t)taglen);
	p += 4;
	memcpy(p, f->tag, taglen);
	p += taglen;
	*p++ = 0xc6; /* bin32 entries */
	put_be32(p, (uint32_t)f->open.len);
	p += 4;
	memcpy(p, f->open.data, f->open.len);
	p += f->open.len;
	*p++ = 0x82;
	*p++ = 0xa5;
	memcpy(p, "chunk", 5);
	p += 5;
	*p++ = 0xa0 | ID_LEN;
	memcpy(p, c->id, ID_LEN);
	p += ID_LEN;
	*p++ = 0xa4;
	memcpy(p, "size", 4);
	p += 4;
	*p++ = 0xce;
	put_be32(p, n);
	p += 4;
	if ((size_t)(p - c->data) != size)
		kg_fatal("forward: chunk size mismatch");
	if (f->tail)
		f->tail->next = c;
	else
		f->head = c;
	f->tail = c;
	f->mem_bytes += size;
	f->queued_chunks++;
	f->queued_events += n;
	sb_reset(&f->open);
	f->open_n = 0;
	uint64_t one = 1;
	if (write(f->wake_fd, &one, sizeof(one)) < 0) {
		/* the counter is saturated: the sender is awake anyway */
	}
}

static void chunk_free(struct chunk *c)
{
	free(c->data);
	free(c);
}

/* ------------------------------------------------------------------ spool */

static void spool_name(const struct fwd *f, const struct chunk *c, char *buf, size_t n)
{
	snprintf(buf, n, "%s/%016" PRIx64 "-%" PRIu32 ".fwd", f->spool_dir, c->seq, c->nevents);
}

static bool write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* Write an in-memory chunk to its spool file (tmp, fsync, rename). Called without
 * mu: the chunk's data does not change while it is queued and not in flight. */
static bool spool_write(struct fwd *f, struct chunk *c)
{
	char path[4096], tmp[4200];
	spool_name(f, c, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s/.tmp-%016" PRIx64, f->spool_dir, c->seq);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return false;
	bool ok = write_all(fd, c->data, c->size) && fsync(fd) == 0;
	if (close(fd) != 0)
		ok = false;
	if (ok && rename(tmp, path) != 0)
		ok = false;
	if (!ok)
		unlink(tmp);
	return ok;
}

static void sync_dir(const struct fwd *f)
{
	int d = open(f->spool_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d >= 0) {
		fsync(d);
		close(d);
	}
}

/* Move queued, not-in-flight chunks from memory to the spool: all of them when
 * `all`, else only while memory is above half its cap. */
static void spill(struct fwd *f, bool all)
{
	if (!f->spool_dir)
		return;
	bool wrote = false;
	for (;;) {
		pthread_mutex_lock(&f->mu);
		struct chunk *c = NULL;
		if (all || f->mem_bytes > f->cfg.mem_max / 2)
			for (struct chunk *x = f->head; x; x = x->next)
				if (!x->on_disk && !x->inflight && x != f->wcur && x->data) {
					c = x;
					break;
				}
		bool room = c && f->disk_bytes + c->size <= f->cfg.spool_max;
		pthread_mutex_unlock(&f->mu);
		if (!c || !room)
			break;
		bool ok = spool_write(f, c);
		pthread_mutex_lock(&f->mu);
		if (ok) {
			c->on_disk = true;
			free(c->data);
			c->data = NULL;
			f->mem_bytes -= c->size;
			f->disk_bytes += c->size;
			f->disk_chunks++;
			f->c.chunks_spooled++;
			wrote = true;
		} else {
			f->c.spool_errors++;
		}
		pthread_mutex_unlock(&f->mu);
		if (!ok)
			break;
	}
	if (wrote)
		sync_dir(f);
}

/* Read a spooled chunk back and check it; false (file set aside) when corrupt. */
static bool spool_load(struct fwd *f, struct chunk *c)
{
	char path[4096];
	spool_name(f, c, path, sizeof(path));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	uint8_t *buf = kg_malloc(c->size ? c->size : 1, "spooled chunk");
	size_t got = 0;
	while (got < c->size) {
		ssize_t r = read(fd, buf + got, c->size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	const uint8_t *e;
	size_t el;
	uint32_t n;
	char id[ID_LEN + 1];
	if (got != c->size || !parse_message(buf, c->size, &e, &el, &n, id) || n != c->nevents) {
		char bad[4200];
		snprintf(bad, sizeof(bad), "%s.bad", path);
		rename(path, bad);
		free(buf);
		return false;
	}
	memcpy(c->id, id, sizeof(id));
	c->data = buf;
	return true;
}

static void spool_remove(struct fwd *f, struct chunk *c)
{
	char path[4096];
	spool_name(f, c, path, sizeof(path));
	unlink(path);
}

static int cmp_seq(const void *a, const void *b)
{
	const struct chunk *x = *(struct chunk *const *)a, *y = *(struct chunk *const *)b;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Lock the spool directory and queue the chunks an earlier run left there. */
static int spool_open(struct fwd *f, char *errbuf, size_t errlen)
{
	if (mkdir(f->spool_dir, 0750) != 0 && errno != EEXIST) {
		snprintf(errbuf, errlen, "cannot create spool directory %s: %s", f->spool_dir, strerror(errno));
		return -1;
	}
	char lp[4200];
	snprintf(lp, sizeof(lp), "%s/.lock", f->spool_dir);
	f->lock_fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (f->lock_fd < 0) {
		snprintf(errbuf, errlen, "cannot use spool directory %s: %s", f->spool_dir, strerror(errno));
		return -1;
	}
	if (flock(f->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		snprintf(errbuf, errlen, "spool directory %s is in use by another kagami", f->spool_dir);
		return -1;
	}
	DIR *d = opendir(f->spool_dir);
	if (!d) {
		snprintf(errbuf, errlen, "cannot read spool directory %s: %s", f->spool_dir, strerror(errno));
		return -1;
	}
	struct chunk **v = NULL;
	size_t nv = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		char path[4200];
		if (strncmp(de->d_name, ".tmp-", 5) == 0) { /* a spill cut short by a crash */
			snprintf(path, sizeof(path), "%s/%s", f->spool_dir, de->d_name);
			unlink(path);
			continue;
		}
		uint64_t seq;
		uint32_t n;
		char tail[8];
		if (sscanf(de->d_name, "%16" SCNx64 "-%" SCNu32 ".%7s", &seq, &n, tail) != 3 || strcmp(tail, "fwd"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", f->spool_dir, de->d_name);
		struct stat sb;
		if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
			continue;
		struct chunk *c = kg_calloc(1, sizeof(*c), "forward chunk");
		c->seq = seq;
		c->nevents = n;
		c->size = (size_t)sb.st_size;
		c->on_disk = true;
		v = kg_realloc(v, (nv + 1) * sizeof(*v), "spool list");
		v[nv++] = c;
	}
	closedir(d);
	if (nv)
		qsort(v, nv, sizeof(*v), cmp_seq);
	for (size_t i = 0; i < nv; i++) {
		struct chunk *c = v[i];
		if (f->tail)
			f->tail->next = c;
		else
			f->head = c;
		f->tail = c;
		f->disk_bytes += c->size;
		f->disk_chunks++;
		f->queued_chunks++;
		f->queued_events += c->nevents;
		if (c->seq >= f->next_seq)
			f->next_seq = c->seq + 1;
	}
	free(v);
	return 0;
}

/* ------------------------------------------------------------------ connection */

static void disconnect(struct fwd *f, bool count)
{
	if (f->fd < 0)
		return;
	close(f->fd);
	f->fd = -1;
	f->wcur = NULL;
	f->woff = 0;
	mpr_reset(&f->rbuf);
	pthread_mutex_lock(&f->mu);
	f->connected = false;
	if (count)
		f->c.disconnects++;
	for (struct chunk *c = f->head; c; c = c->next)
		if (c->inflight) {
			c->inflight = false;
			c->resend = true;
			if (c->on_disk) { /* read it again when it is sent again */
				free(c->data);
				c->data = NULL;
			}
		}
	pthread_mutex_unlock(&f->mu);
	f->next_retry_ms = mono_ms() + f->backoff_ms;
	f->backoff_ms = KG_MIN(f->backoff_ms * 2, f->cfg.retry_max_ms);
}

/* One connection attempt to every address of the collector, 3 s each. */
static bool try_connect(struct fwd *f)
{
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(f->host, f->port, &hints, &res) != 0 || !res)
		return false;
	int fd = -1;
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			bool ok = false;
			if (errno == EINPROGRESS) {
				struct pollfd p = {.fd = fd, .events = POLLOUT};
				int err = 0;
				socklen_t el = sizeof(err);
				if (poll(&p, 1, 3000) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && !err)
					ok = true;
			}
			if (!ok) {
				close(fd);
				fd = -1;
			}
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		return false;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	f->fd = fd;
	return true;
}

/* Pick the next chunk to send (mu held): the first queued one not in flight,
 * when the window has room. */
static struct chunk *next_to_send_locked(struct fwd *f)
{
	uint32_t inflight = 0;
	for (struct chunk *c = f->head; c; c = c->next) {
		if (c->inflight) {
			if (++inflight >= f->cfg.window)
				return NULL;
			continue;
		}
		return c;
	}
	return NULL;
}

/* Write as much as the socket takes; false when the connection broke. */
static bool pump_write(struct fwd *f)
{
	for (;;) {
		if (!f->wcur) {
			pthread_mutex_lock(&f->mu);
			struct chunk *c = next_to_send_locked(f);
			bool need_load = c && !c->data;
			pthread_mutex_unlock(&f->mu);
			if (!c)
				return true;
			if (need_load && !spool_load(f, c)) {
				/* a corrupt spool file: its events are lost */
				pthread_mutex_lock(&f->mu);
				f->c.spool_corrupt++;
				f->c.events_dropped += c->nevents;
				f->c.chunks_dropped++;
				struct chunk **pp = &f->head, *prev = NULL;
				while (*pp != c) {
					prev = *pp;
					pp = &(*pp)->next;
				}
				*pp = c->next;
				if (f->tail == c)
					f->tail = prev;
				f->disk_bytes -= c->size;
				f->disk_chunks--;
				f->queued_chunks--;
				f->queued_events -= c->nevents;
				pthread_mutex_unlock(&f->mu);
				chunk_free(c);
				continue;
			}
			pthread_mutex_lock(&f->mu);
			c->inflight = true;
			pthread_mutex_unlock(&f->mu);
			f->wcur = c;
			f->woff = 0;
		}
		struct chunk *c = f->wcur;
		enum nb_status st = nb_send(f->fd, c->data, c->size, &f->woff);
		if (st == NB_AGAIN) {
			pthread_mutex_lock(&f->mu);
			f->c.send_blocked++;
			pthread_mutex_unlock(&f->mu);
			return true;
		}
		if (st == NB_BROKEN)
			return false;
		pthread_mutex_lock(&f->mu);
		c->sent_ms = mono_ms();
		f->c.chunks_sent++;
		f->c.bytes_sent += c->size;
		if (c->resend)
			f->c.chunks_resent++;
		pthread_mutex_unlock(&f->mu);
		f->wcur = NULL;
		f->woff = 0;
	}
}

/* Forget the chunk the collector acknowledged (mu not held). */
static void acknowledged(struct fwd *f, const uint8_t *id, size_t idlen)
{
	pthread_mutex_lock(&f->mu);
	struct chunk **pp = &f->head, *prev = NULL, *c = NULL;
	for (; *pp; prev = *pp, pp = &(*pp)->next)
		if ((*pp)->inflight && idlen == ID_LEN && memcmp((*pp)->id, id, ID_LEN) == 0 && *pp != f->wcur) {
			c = *pp;
			break;
		}
	if (!c) {
		pthread_mutex_unlock(&f->mu);
		return; /* a late ack of a chunk already acknowledged: harmless */
	}
	*pp = c->next;
	if (f->tail == c)
		f->tail = prev;
	f->queued_chunks--;
	f->queued_events -= c->nevents;
	f->c.chunks_acked++;
	f->c.events_acked += c->nevents;
	if (c->on_disk) {
		f->disk_bytes -= c->size;
		f->disk_chunks--;
	} else {
		f->mem_bytes -= c->size;
	}
	pthread_mutex_unlock(&f->mu);
	if (c->on_disk)
		spool_remove(f, c);
	chunk_free(c);
	f->backoff_ms = f->cfg.retry_min_ms;
}

struct ack_ctx {
	struct fwd *f;
	bool bad;
};

static bool on_ack(void *ctx, const uint8_t *p, size_t n)
{
	struct ack_ctx *a = ctx;
	const uint8_t *id;
	size_t idl;
	if (!mp_map_get_str(p, n, "ack", &id, &idl)) {
		a->bad = true; /* e.g. a HELO: shared-key authentication is not supported */
		return false;
	}
	acknowledged(a->f, id, idl);
	return true;
}

/* Read and apply acknowledgements; false when the connection broke or the
 * collector said something that is not an acknowledgement. */
static bool pump_read(struct fwd *f)
{
	enum mpr_status rs = mpr_fill(&f->rbuf, f->fd, 16);
	struct ack_ctx a = {.f = f};
	enum mp_status st = mpr_each(&f->rbuf, on_ack, &a);
	if (rs == MPR_EOF)
		return false;
	if (rs == MPR_OVERFLOW || st != MP_OK || a.bad) {
		pthread_mutex_lock(&f->mu);
		f->c.protocol_errors++;
		pthread_mutex_unlock(&f->mu);
		return false;
	}
	return true;
}

static void *sender_main(void *arg)
{
	struct fwd *f = arg;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		int64_t now = mono_ms();
		pthread_mutex_lock(&f->mu);
		if (f->open_n && (f->flush_req || f->stopping || now - f->open_since_ms >= f->cfg.flush_ms))
			seal_locked(f);
		f->flush_req = false;
		bool stopping = f->stopping;
		bool empty = !f->head;
		int64_t deadline = f->deadline_ms;
		struct chunk *oldest = NULL;
		for (struct chunk *c = f->head; c; c = c->next)
			if (c->inflight && c != f->wcur && (!oldest || c->sent_ms < oldest->sent_ms))
				oldest = c;
		bool ack_late = oldest && now - oldest->sent_ms > f->cfg.ack_timeout_ms;
		pthread_mutex_unlock(&f->mu);
		if (stopping && (empty || now >= deadline))
			break;
		if (stopping && f->fd < 0) {
			/* closing with the collector away: one immediate attempt, then spool */
			if (f->stop_tried)
				break;
			f->stop_tried = true;
			f->next_retry_ms = now;
		}

		if (f->fd >= 0 && ack_late) {
			pthread_mutex_lock(&f->mu);
			f->c.ack_timeouts++;
			pthread_mutex_unlock(&f->mu);
			disconnect(f, true);
		}
		if (f->fd < 0 && !empty && now >= f->next_retry_ms) {
			if (try_connect(f)) {
				pthread_mutex_lock(&f->mu);
				f->connected = true;
				f->c.connects++;
				pthread_mutex_unlock(&f->mu);
			} else {
				pthread_mutex_lock(&f->mu);
				f->c.connect_failures++;
				pthread_mutex_unlock(&f->mu);
				f->next_retry_ms = mono_ms() + f->backoff_ms;
				f->backoff_ms = KG_MIN(f->backoff_ms * 2, f->cfg.retry_max_ms);
			}
		}
		/* unreachable collector: keep the queue on disk; reachable: only the overflow */
		spill(f, f->fd < 0);
		if (f->fd >= 0 && !pump_write(f))
			disconnect(f, true);

		struct pollfd pf[2] = {{.fd = f->wake_fd, .events = POLLIN}, {.fd = f->fd, .events = POLLIN}};
		if (f->wcur)
			pf[1].events |= POLLOUT;
		int timeout = 100;
		if (f->fd < 0 && f->next_retry_ms > now)
			timeout = (int)KG_MIN(f->next_retry_ms - now, 100);
		int nfds = f->fd >= 0 ? 2 : 1;
		if (poll(pf, (nfds_t)nfds, timeout) < 0 && errno != EINTR)
			continue;
		if (pf[0].revents & POLLIN) {
			uint64_t v;
			if (read(f->wake_fd, &v, sizeof(v)) < 0) {
				/* nothing to read: a spurious wake-up */
			}
		}
		if (f->fd >= 0 && (pf[1].revents & (POLLIN | POLLERR | POLLHUP)) && !pump_read(f))
			disconnect(f, true);
		if (f->fd >= 0 && (pf[1].revents & POLLOUT) && !pump_write(f))
			disconnect(f, true);
	}
	disconnect(f, false);
	return NULL;
}

/* ------------------------------------------------------------------ API */

int fwd_open(const struct fwd_cfg *cfg, struct fwd **out, char *errbuf, size_t errlen)
{
	struct fwd *f = kg_calloc(1, sizeof(*f), "forward output");
	f->cfg = *cfg;
	if (!f->cfg.spool_max)
		f->cfg.spool_max = 1ULL << 30;
	if (!f->cfg.chunk_events)
		f->cfg.chunk_events = 1000;
	if (!f->cfg.mem_max)
		f->cfg.mem_max = 64ULL << 20;
	if (f->cfg.mem_max < (64u << 10))
		f->cfg.mem_max = 64u << 10;
	/* at least eight chunks fit in memory */
	if (!f->cfg.chunk_bytes || f->cfg.chunk_bytes > f->cfg.mem_max / 8)
		f->cfg.chunk_bytes = (uint32_t)KG_MIN(f->cfg.mem_max / 8, 1u << 20);
	if (!f->cfg.flush_ms)
		f->cfg.flush_ms = 1000;
	if (!f->cfg.ack_timeout_ms)
		f->cfg.ack_timeout_ms = 30000;
	if (!f->cfg.retry_min_ms)
		f->cfg.retry_min_ms = 500;
	if (!f->cfg.retry_max_ms)
		f->cfg.retry_max_ms = 60000;
	if (f->cfg.retry_max_ms < f->cfg.retry_min_ms)
		f->cfg.retry_max_ms = f->cfg.retry_min_ms;
	if (!f->cfg.window)
		f->cfg.window = 8;
	f->host = kg_strdup(cfg->host, "forward host");
	f->port = kg_strdup(cfg->port ? cfg->port : "24224", "forward port");
	f->tag = kg_strdup(cfg->tag && *cfg->tag ? cfg->tag : "kagami", "forward tag");
	f->spool_dir = cfg->spool_dir ? kg_strdup(cfg->spool_dir, "spool dir") : NULL;
	f->cfg.host = f->host;
	f->cfg.port = f->port;
	f->cfg.tag = f->tag;
	f->cfg.spool_dir = f->spool_dir;
	f->lock_fd = -1;
	f->fd = -1;
	f->backoff_ms = f->cfg.retry_min_ms;
	kg_random(f->boot, sizeof(f->boot));
	pthread_mutex_init(&f->mu, NULL);
	sb_init(&f->open, 0);
	mpr_init(&f->rbuf, ACK_BUF_MAX);
	f->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	int rc = f->wake_fd < 0 ? -1 : 0;
	if (rc)
		snprintf(errbuf, errlen, "forward: eventfd: %s", strerror(errno));
	if (!rc && f->spool_dir)
		rc = spool_open(f, errbuf, errlen);
	if (!rc) {
		int e = pthread_create(&f->thr, NULL, sender_main, f);
		if (e) {
			snprintf(errbuf, errlen, "forward: cannot start the sender thread: %s", strerror(e));
			rc = -1;
		} else {
			f->started = true;
		}
	}
	if (rc) {
		fwd_close(f);
		return -1;
	}
	*out = f;
	return 0;
}

void fwd_write(struct fwd *f, const uint8_t *event, size_t len)
{
	uint32_t sec, nsec;
	if (!fwd_event_time(event, len, &sec, &nsec)) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		sec = (uint32_t)ts.tv_sec;
		nsec = (uint32_t)ts.tv_nsec;
	}
	uint8_t hdr[11] = {0x92, 0xd7, 0x00};
	put_be32(hdr + 3, sec);
	put_be32(hdr + 7, nsec);
	pthread_mutex_lock(&f->mu);
	if (f->open_n && f->open.len + sizeof(hdr) + len > f->cfg.chunk_bytes)
		seal_locked(f);
	if (!f->open_n)
		f->open_since_ms = mono_ms();
	sb_append(&f->open, hdr, sizeof(hdr));
	sb_append(&f->open, event, len);
	f->open_n++;
	if (f->open_n >= f->cfg.chunk_events || f->open.len >= f->cfg.chunk_bytes)
		seal_locked(f);
	pthread_mutex_unlock(&f->mu);
}

void fwd_flush(struct fwd *f)
{
	pthread_mutex_lock(&f->mu);
	seal_locked(f);
	pthread_mutex_unlock(&f->mu);
}

uint64_t fwd_dropped(struct fwd *f)
{
	pthread_mutex_lock(&f->mu);
	uint64_t n = f->c.events_dropped;
	pthread_mutex_unlock(&f->mu);
	return n;
}

uint64_t fwd_close(struct fwd *f)
{
	if (!f)
		return 0;
	if (f->started) {
		pthread_mutex_lock(&f->mu);
		seal_locked(f);
		f->stopping = true;
		f->deadline_ms = mono_ms() + f->cfg.ack_timeout_ms;
		pthread_mutex_unlock(&f->mu);
		uint64_t one = 1;
		if (write(f->wake_fd, &one, sizeof(one)) < 0) {
			/* saturated: the sender wakes up anyway */
		}
		pthread_join(f->thr, NULL);
	}
	/* what is left unacknowledged in memory goes to the spool for the next run */
	for (struct chunk *c = f->head; c; c = c->next)
		c->inflight = false;
	spill(f, true);
	for (struct chunk *c = f->head; c; c = c->next)
		if (!c->on_disk) {
			f->c.events_dropped += c->nevents;
			f->c.chunks_dropped++;
		}
	uint64_t lost = f->c.events_dropped + f->open_n;
	struct chunk *c = f->head;
	while (c) {
		struct chunk *n = c->next;
		chunk_free(c);
		c = n;
	}
	if (f->wake_fd >= 0)
		close(f->wake_fd);
	if (f->lock_fd >= 0)
		close(f->lock_fd);
	sb_free(&f->open);
	mpr_free(&f->rbuf);
	pthread_mutex_destroy(&f->mu);
	free(f->host);
	free(f->port);
	free(f->tag);
	free(f->spool_dir);
	free(f);
	return lost;
}

void fwd_counters(struct fwd *f, struct out_counters *g)
{
	pthread_mutex_lock(&f->mu);
	struct fwd_tally c = f->c;
	bool connected = f->connected;
	uint64_t qc = f->queued_chunks, qe = f->queued_events, mem = f->mem_bytes, disk = f->disk_bytes,
		 dc = f->disk_chunks;
	pthread_mutex_unlock(&f->mu);
	*g = (struct out_counters){.sink = "forward"};
	out_count_bool(g, "connected", connected);
	out_count(g, "connects", c.connects);
	out_count(g, "connect_failures", c.connect_failures);
	out_count(g, "disconnects", c.disconnects);
	out_count(g, "ack_timeouts", c.ack_timeouts);
	out_count(g, "protocol_errors", c.protocol_errors);
	out_count(g, "chunks_sent", c.chunks_sent);
	out_count(g, "chunks_resent", c.chunks_resent);
	out_count(g, "chunks_acked", c.chunks_acked);
	out_count(g, "events_acked", c.events_acked);
	out_count(g, "bytes_sent", c.bytes_sent);
	out_count(g, "queued_chunks", qc);
	out_count(g, "queued_events", qe);
	out_count(g, "memory_bytes", mem);
	out_count(g, "spool_chunks", dc);
	out_count(g, "spool_bytes", disk);
	out_count(g, "chunks_spooled", c.chunks_spooled);
	out_count(g, "spool_errors", c.spool_errors);
	out_count(g, "spool_corrupt", c.spool_corrupt);
	out_count(g, "events_dropped", c.events_dropped);
	out_count(g, "chunks_dropped", c.chunks_dropped);
	out_count(g, "send_blocked", c.send_blocked);
}
