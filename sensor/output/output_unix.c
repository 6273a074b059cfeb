/* output_unix.c - unix-socket sink for local consumers (see output_unix.h; unix(7)). */
#include "config.h"

#include "output_unix.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "mpjson.h"
#include "nbio.h"
#include "util/util.h"

#define MAX_CLIENTS_CAP 256

struct client {
	int fd;
	struct nb_queue q;   /* events not yet written (q.buf[0..q.off) is written) */
	size_t lead;         /* q.buf[0..lead) ends an event whose start was written before a compaction */
	uint64_t dropped;
};

struct usock {
	struct usock_cfg cfg;
	char *path;
	enum output_format fmt;
	unsigned json_flags;
	int lfd;
	int wake_fd;
	pthread_t thr;
	bool started;
	struct strbuf json;  /* writer's scratch */

	pthread_mutex_t mu;  /* below */
	struct client *cl;
	size_t ncl;
	bool stop;
	uint64_t accepted, refused, disconnected, events, dropped;
	uint64_t blocked;    /* writes that found a consumer's socket full, of consumers gone */
	uint64_t writer_sends; /* sends done by the writer itself at a half-full queue */
	size_t peak;         /* most bytes queued for one consumer at once, of consumers gone */
};

static void wake(struct usock *u)
{
	uint64_t one = 1;
	if (write(u->wake_fd, &one, sizeof(one)) < 0) {
		/* saturated: the thread is awake anyway */
	}
}

static void drop_client(struct usock *u, size_t i)
{
	close(u->cl[i].fd);
	u->blocked += u->cl[i].q.blocked;
	if (u->cl[i].q.peak > u->peak)
		u->peak = u->cl[i].q.peak;
	nb_queue_free(&u->cl[i].q);
	u->cl[i] = u->cl[--u->ncl];
	u->disconnected++;
}

/* Write what consumer i can take now (mu held); false when it broke and was closed. */
static bool pump_client(struct usock *u, size_t i)
{
	struct client *c = &u->cl[i];
	enum nb_status st = nb_queue_pump(&c->q, c->fd);
	if (st == NB_BROKEN) {
		drop_client(u, i);
		return false;
	}
	if (st == NB_DONE)
		c->lead = 0;
	return true;
}

/* Write what each consumer can take now (mu held); closes consumers that broke. */
static void flush_clients(struct usock *u)
{
	for (size_t i = 0; i < u->ncl;)
		if (pump_client(u, i))
			i++;
}

static void *usock_main(void *arg)
{
	struct usock *u = arg;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	struct pollfd *pf = kg_calloc(MAX_CLIENTS_CAP + 2, sizeof(*pf), "unix sink poll set");
	for (;;) {
		pthread_mutex_lock(&u->mu);
		if (u->stop) {
			pthread_mutex_unlock(&u->mu);
			break;
		}
		flush_clients(u);
		size_t n = 0;
		pf[n++] = (struct pollfd){.fd = u->wake_fd, .events = POLLIN};
		pf[n++] = (struct pollfd){.fd = u->lfd, .events = POLLIN};
		for (size_t i = 0; i < u->ncl; i++)
			pf[n++] = (struct pollfd){.fd = u->cl[i].fd,
						  .events = (short)(POLLIN | (nb_queue_pending(&u->cl[i].q) ? POLLOUT : 0))};
		pthread_mutex_unlock(&u->mu);
		if (poll(pf, (nfds_t)n, 1000) < 0 && errno != EINTR)
			continue;
		if (pf[0].revents & POLLIN) {
			uint64_t v;
			if (read(u->wake_fd, &v, sizeof(v)) < 0) {
				/* spurious */
			}
		}
		pthread_mutex_lock(&u->mu);
		/* consumers only read: what they send is discarded; EOF means they left */
		for (size_t k = 2; k < n; k++) {
			if (!(pf[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			for (size_t i = 0; i < u->ncl; i++) {
				if (u->cl[i].fd != pf[k].fd)
					continue;
				char junk[512];
				ssize_t r = recv(u->cl[i].fd, junk, sizeof(junk), MSG_DONTWAIT);
				if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
					drop_client(u, i);
				break;
			}
		}
		if (pf[1].revents & POLLIN) {
			int fd;
			while ((fd = accept4(u->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
				if (u->ncl >= u->cfg.max_clients) {
					close(fd);
					u->refused++;
					continue;
				}
				u->cl = kg_realloc(u->cl, (u->ncl + 1) * sizeof(*u->cl), "unix sink clients");
				struct client *c = &u->cl[u->ncl++];
				memset(c, 0, sizeof(*c));
				c->fd = fd;
				nb_queue_init(&c->q, u->cfg.client_buffer);
				u->accepted++;
			}
		}
		pthread_mutex_unlock(&u->mu);
	}
	free(pf);
	return NULL;
}

int usock_open(const struct usock_cfg *cfg, enum output_format fmt, unsigned json_flags, struct usock **out,
	       char *errbuf, size_t errlen)
{
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (!cfg->path || !*cfg->path || strlen(cfg->path) >= sizeof(sa.sun_path)) {
		snprintf(errbuf, errlen, "unix socket path must be 1 to %zu bytes long", sizeof(sa.sun_path) - 1);
		return -1;
	}
	memcpy(sa.sun_path, cfg->path, strlen(cfg->path) + 1);
	struct stat sb;
	if (lstat(cfg->path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			snprintf(errbuf, errlen, "%s exists and is not a socket", cfg->path);
			return -1;
		}
		/* a socket nobody listens on is what a crash leaves behind */
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			snprintf(errbuf, errlen, "%s: another process is listening on it", cfg->path);
			return -1;
		}
		if (probe >= 0)
			close(probe);
		unlink(cfg->path);
	}
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0) {
		snprintf(errbuf, errlen, "unix socket: %s", strerror(errno));
		return -1;
	}
	mode_t old = umask(0177);
	int brc = bind(lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (brc != 0 || chmod(cfg->path, cfg->mode ? cfg->mode : 0660) != 0 || listen(lfd, 16) != 0) {
		snprintf(errbuf, errlen, "cannot listen on %s: %s", cfg->path, strerror(errno));
		close(lfd);
		if (brc == 0)
			unlink(cfg->path);
		return -1;
	}
	struct usock *u = kg_calloc(1, sizeof(*u), "unix sink");
	u->cfg = *cfg;
	u->path = kg_strdup(cfg->path, "unix socket path");
	u->cfg.path = u->path;
	if (!u->cfg.max_clients || u->cfg.max_clients > MAX_CLIENTS_CAP)
		u->cfg.max_clients = u->cfg.max_clients ? MAX_CLIENTS_CAP : 16;
	if (!u->cfg.client_buffer)
		u->cfg.client_buffer = 4u << 20;
	if (!u->cfg.drain_set)
		u->cfg.drain_ms = 10000;
	u->fmt = fmt;
	u->json_flags = json_flags;
	u->lfd = lfd;
	sb_init(&u->json, 64u << 20);
	pthread_mutex_init(&u->mu, NULL);
	u->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	int e = u->wake_fd < 0 ? errno : pthread_create(&u->thr, NULL, usock_main, u);
	if (e) {
		snprintf(errbuf, errlen, "unix socket: cannot start its thread: %s", strerror(e));
		usock_close(u);
		return -1;
	}
	u->started = true;
	*out = u;
	return 0;
}

/* Length of the next whole event at p (msgpack object, or JSON line); 0 if none. */
static size_t event_len(const struct usock *u, const uint8_t *p, size_t n)
{
	if (u->fmt == OUT_FMT_JSON) {
		const uint8_t *nl = memchr(p, '\n', n);
		return nl ? (size_t)(nl - p) + 1 : 0;
	}
	size_t sz, bad;
	return mp_object_size(p, n, &sz, &bad) == MP_OK ? sz : 0;
}

/* The offset in c's buffer where the event holding byte q.off ends (whole
 * events follow buf[0..lead)). */
static size_t event_end_after(const struct usock *u, const struct client *c)
{
	const struct strbuf *b = &c->q.buf;
	size_t at = c->lead;
	if (c->q.off < at)
		return at;
	while (at < b->len) {
		size_t l = event_len(u, (const uint8_t *)b->data + at, b->len - at);
		if (!l)
			return b->len;
		at += l;
		if (at > c->q.off)
			return at;
	}
	return at;
}

static uint64_t count_events(const struct usock *u, const uint8_t *p, size_t n)
{
	uint64_t k = 0;
	size_t l;
	while (n && (l = event_len(u, p, n)) != 0) {
		p += l;
		n -= l;
		k++;
	}
	return k;
}

/* Drop the written part of c's buffer when it is large, keeping track of where events start. */
static void compact(const struct usock *u, struct client *c)
{
	size_t end = event_end_after(u, c);
	size_t shift = nb_queue_compact(&c->q);
	if (shift)
		c->lead = end - shift;
}

void usock_write(struct usock *u, const uint8_t *event, size_t len)
{
	pthread_mutex_lock(&u->mu);
	size_t ncl = u->ncl;
	pthread_mutex_unlock(&u->mu);
	if (!ncl)
		return; /* nobody listens: nothing to encode */
	if (u->fmt == OUT_FMT_JSON) {
		sb_reset(&u->json);
		if (mp_to_json(event, len, &u->json, u->json_flags) != MP_OK || !sb_putc(&u->json, '\n'))
			return;
		event = (const uint8_t *)u->json.data;
		len = u->json.len;
	}
	bool need_wake = false;
	pthread_mutex_lock(&u->mu);
	u->events++;
	for (size_t i = 0; i < u->ncl;) {
		struct client *c = &u->cl[i];
		/* A half-full queue: move bytes into the socket now rather than wait for the
		 * thread, which may not be scheduled in time; only an event that then finds no
		 * room is an overflow. */
		if (nb_queue_pending(&c->q) && nb_queue_pending(&c->q) + len > c->q.limit / 2) {
			u->writer_sends++;
			if (!pump_client(u, i))
				continue; /* it broke: closed, the last consumer moved to i */
		}
		bool was_idle = !nb_queue_pending(&c->q);
		if (was_idle)
			c->lead = 0;
		else
			compact(u, c);
		i++;
		if (!nb_queue_push(&c->q, event, len)) {
			c->dropped++;
			u->dropped++;
			continue;
		}
		if (was_idle)
			need_wake = true;
	}
	pthread_mutex_unlock(&u->mu);
	if (need_wake)
		wake(u);
}

uint64_t usock_dropped(struct usock *u)
{
	pthread_mutex_lock(&u->mu);
	uint64_t n = u->dropped;
	pthread_mutex_unlock(&u->mu);
	return n;
}

static int64_t mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Write what is queued until every queue is empty or ms have passed, waiting on the
 * consumers' sockets (POLLOUT) in between; a consumer that leaves is closed. The
 * thread is stopped: the caller owns the consumers. */
static void drain_clients(struct usock *u, uint32_t ms)
{
	struct pollfd pf[MAX_CLIENTS_CAP];
	int64_t end = mono_ms() + ms;
	for (;;) {
		flush_clients(u);
		nfds_t n = 0;
		for (size_t i = 0; i < u->ncl; i++)
			if (nb_queue_pending(&u->cl[i].q))
				pf[n++] = (struct pollfd){.fd = u->cl[i].fd, .events = POLLOUT};
		int64_t left = end - mono_ms();
		if (!n || left <= 0)
			break;
		poll(pf, n, (int)(left < 100 ? left : 100));
	}
}

uint64_t usock_close(struct usock *u)
{
	if (!u)
		return 0;
	if (u->started) {
		pthread_mutex_lock(&u->mu);
		u->stop = true;
		pthread_mutex_unlock(&u->mu);
		wake(u);
		pthread_join(u->thr, NULL);
	}
	/* give consumers drain_ms to take what is queued; then a consumer still behind
	 * keeps only the event it is in the middle of, and gets one more second to
	 * finish it */
	drain_clients(u, u->cfg.drain_ms);
	uint64_t unsent = 0;
	for (size_t i = 0; i < u->ncl; i++) {
		struct client *c = &u->cl[i];
		if (nb_queue_pending(&c->q)) {
			size_t end = event_end_after(u, c);
			struct strbuf *b = &c->q.buf;
			unsent += count_events(u, (const uint8_t *)b->data + end, b->len - end);
			b->len = end;
		}
	}
	drain_clients(u, 1000);
	while (u->ncl)
		drop_client(u, 0);
	free(u->cl);
	if (u->lfd >= 0)
		close(u->lfd);
	unlink(u->path);
	if (u->wake_fd >= 0)
		close(u->wake_fd);
	sb_free(&u->json);
	pthread_mutex_destroy(&u->mu);
	free(u->path);
	free(u);
	return unsent;
}

void usock_counters(struct usock *u, struct out_counters *g)
{
	pthread_mutex_lock(&u->mu);
	*g = (struct out_counters){.sink = "unix"};
	out_count(g, "clients", u->ncl);
	out_count(g, "accepted", u->accepted);
	out_count(g, "refused", u->refused);
	out_count(g, "disconnected", u->disconnected);
	out_count(g, "events", u->events);
	out_count(g, "events_dropped", u->dropped);
	uint64_t blocked = u->blocked;
	for (size_t i = 0; i < u->ncl; i++)
		blocked += u->cl[i].q.blocked;
	out_count(g, "send_blocked", blocked);
	size_t peak = u->peak;
	for (size_t i = 0; i < u->ncl; i++)
		if (u->cl[i].q.peak > peak)
			peak = u->cl[i].q.peak;
	out_count(g, "client_buffer", u->cfg.client_buffer);
	out_count(g, "queued_peak", peak);
	out_count(g, "writer_sends", u->writer_sends);
	pthread_mutex_unlock(&u->mu);
}
