/* supervisor.c - one capture over several worker processes (see supervisor.h): live (-i IFACE
 * -j N), one PACKET_FANOUT group (packet(7), hash mode) spreads the interface's flows over N
 * workers, each a full analysis pipeline (libnids allows one per process); offline (-r -j N),
 * every worker reads the inputs and keeps its share. The supervisor merges their events into
 * one output, merges stats and per-host verdicts, restarts a live worker that dies, and passes
 * signals on (docs/events.md, "supervisor").
 *
 * Privileges: the supervisor opens every worker's capture handle - and, when it is going to
 * drop privileges, spare handles parked with a reject-all filter outside the group - then
 * drops privileges, opens the outputs and forks the workers, which inherit their handle and
 * nothing else. A dead worker's handle cannot be handed to its successor (the kernel ring's
 * read position died with it), so the successor gets a fresh handle while the supervisor
 * is privileged, or a spare once it is not; with none left, the remaining workers carry on
 * (the group spreads the traffic over them) and the event says so.
 *
 * Events: a worker writes whole msgpack events to a socket pair; the supervisor splits the
 * stream at event boundaries (msgpack is self-delimiting, and every object is measured
 * before it is used) and writes each event whole to the output, so events of different
 * workers never interleave.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif

#include "supervisor.h"

#include "capture/capture.h"
#include "capture/ring.h"
#include "output/event.h"
#include "output/mpjson.h"
#include "output/nbio.h"
#include "output/output.h"
#include "output/output_forward.h"
#include "statsmerge.h"
#include "util/util.h"

#define MAX_WORKERS 64
#define MAX_SPARES 16
#define MAX_HANDLE_FDS 8
#define WORKER_BUF_MAX (64u << 20) /* no event is anywhere near this long */
#define STOP_GRACE_US (30 * 1000000LL)
#define MERGE_WAIT_US (2 * 1000000LL)
#define BACKOFF_MAX_S 60
#define STABLE_US (60 * 1000000LL) /* a worker that ran this long restarts without delay growth */
#define MERGE_MAX_KEYS 65536       /* per-host records merged at once; past that they pass unmerged */
#define MERGE_KEY_LEN 64
#define MERGE_MAX_BANK 64          /* parts kept per key beyond the workers' views (evictions, dead workers) */

struct handle {
	struct pcap *p;
	int fds[MAX_HANDLE_FDS]; /* descriptors libpcap opened for it (socket, wake-up eventfd) */
	size_t nfds;
};

struct worker {
	int id;
	enum worker_kind kind;
	pid_t pid;            /* 0 = not running */
	int tee_fd;           /* offline, stdin among the inputs: the write end of its copy, -1 = none */
	int tee_rd;           /* the read end, handed to the worker as its stdin */
	int fd;               /* supervisor's end of the event pipe, -1 = closed */
	struct handle h;      /* supervisor's copy of the worker's capture handle */
	struct mp_reader in;  /* bytes from the worker not yet split into events */
	int64_t started_us;
	int64_t restart_at_us;/* 0 = no restart scheduled */
	uint32_t backoff_s;
	uint32_t restarts;
	bool dead_for_good;   /* could not be restarted */
	uint8_t *stats;       /* its latest stats event */
	size_t stats_len;
	bool fresh;           /* a stats event since the last merged one */
	bool final_stats;     /* that one is the stats of its end */
	bool at_barrier;      /* offline: waits, after a stats event, for the others to reach theirs */
	bool barrier_only;    /* that stats event is a marker only (stats.barrier) */
	uint64_t prog_bytes, prog_total, prog_packets; /* its latest progress report */
	bool prog_seen;
};

/* The events of one key (one host) that workers wrote about it (merge_key, supervisor.h). */
struct mpart {
	uint8_t *ev;
	size_t len;
};
struct mentry {
	uint8_t key[MERGE_KEY_LEN];
	size_t keylen;
	struct mpart cur[MAX_WORKERS]; /* each worker's latest view */
	struct mpart *bank;            /* parts to add up: evicted records, views of workers that died */
	size_t nbank;
	bool dirty;                    /* changed since it was last written */
};

struct sup {
	const struct supervisor_cfg *cfg;
	const struct supervisor_app *app;
	struct capture_cfg cap;
	struct worker w[MAX_WORKERS];
	int nw;
	struct handle spare[MAX_SPARES];
	size_t nspare;
	struct output *out;
	struct emitter *em;
	int sigpipe[2];
	pid_t pid;
	bool stopping;
	int64_t stop_deadline_us;
	bool killed;
	int64_t merge_req_us;
	uint64_t restarts, failures, protocol_errors;
	int exit_code;
	bool offline;
	/* merged per-host events */
	struct mentry **mtab;   /* open addressing over the key hash */
	size_t mcap, mn;
	uint64_t merge_overflow;
	uint64_t alerts;        /* alert events written */
	int64_t prog_at_us;     /* when the progress callback was last called */
	/* offline, stdin among the inputs: the thread copying it to every worker */
	pthread_t tee;
	bool tee_started;
	atomic_bool tee_stop;
};

static int g_sigfd = -1;
static struct sup *g_sup; /* keeps the supervisor's state reachable in forked workers */

static void on_signal(int sig)
{
	int saved = errno;
	unsigned char b = (unsigned char)sig;
	if (write(g_sigfd, &b, 1) < 0) {
		/* the pipe is full: enough wake-ups are pending */
	}
	errno = saved;
}

/* ------------------------------------------------------------------ fds */

/* The open descriptors of this process (up to max), from /proc/self/fd. */
static size_t list_fds(int *out, size_t max)
{
	size_t n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return 0;
	int self = dirfd(d);
	struct dirent *de;
	while ((de = readdir(d)) && n < max) {
		char *end;
		long v = strtol(de->d_name, &end, 10);
		if (*end || end == de->d_name || v == self)
			continue;
		out[n++] = (int)v;
	}
	closedir(d);
	return n;
}

static bool fd_in(int fd, const int *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == fd)
			return true;
	return false;
}

/* Open a capture handle and note which descriptors it brought. */
static bool open_handle(const struct capture_cfg *cfg, bool spare, struct handle *h, char *err, size_t errlen)
{
	int before[1024], after[1024];
	size_t nb = list_fds(before, 1024);
	memset(h, 0, sizeof(*h));
	h->p = capture_open_handle(cfg, spare, err, errlen);
	if (!h->p)
		return false;
	size_t na = list_fds(after, 1024);
	for (size_t i = 0; i < na; i++)
		if (!fd_in(after[i], before, nb) && h->nfds < MAX_HANDLE_FDS)
			h->fds[h->nfds++] = after[i];
	return true;
}

/* In a new worker: close every descriptor but stdio, the event pipe and the
 * worker's own capture handle (the output's files and sockets, the other
 * workers' handles and pipes belong to the supervisor). */
static void close_others(int keep_fd, const struct handle *h)
{
	int fds[4096];
	size_t n = list_fds(fds, 4096);
	for (size_t i = 0; i < n; i++) {
		int fd = fds[i];
		if (fd <= 2 || fd == keep_fd || fd_in(fd, h->fds, h->nfds))
			continue;
		close(fd);
	}
}

/* ------------------------------------------------------------------ events */

static void sup_event(struct sup *s, const char *action, const struct worker *w, const char *fmt, ...)
	KG_PRINTF(4, 5);

static void sup_event(struct sup *s, const char *action, const struct worker *w, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (strcmp(action, "start") && strcmp(action, "stop"))
		fprintf(stderr, "kagami: %s\n", msg);
	struct event *ev = event_begin(s->em, "supervisor", kg_wall_us());
	ev_map(ev, "supervisor");
	ev_str(ev, "action", action);
	if (w) {
		ev_u64(ev, "worker", (uint64_t)w->id);
		if (w->pid)
			ev_u64(ev, "pid", (uint64_t)w->pid);
		ev_u64(ev, "restarts", w->restarts);
	}
	ev_str(ev, "message", msg);
	ev_end_map(ev);
	event_end(ev);
}

/* ------------------------------------------------------------------ merged per-host events */

static uint64_t key_hash(const uint8_t *k, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ k[i]) * 0x100000001b3ULL;
	return h;
}

static struct mentry *merge_find(struct sup *s, const uint8_t *key, size_t keylen, bool create)
{
	if (!s->mtab) {
		s->mcap = 1024;
		s->mtab = kg_calloc(s->mcap, sizeof(*s->mtab), "merged events");
	}
	size_t i = key_hash(key, keylen) & (s->mcap - 1);
	for (; s->mtab[i]; i = (i + 1) & (s->mcap - 1))
		if (s->mtab[i]->keylen == keylen && !memcmp(s->mtab[i]->key, key, keylen))
			return s->mtab[i];
	if (!create || s->mn >= MERGE_MAX_KEYS)
		return NULL;
	if ((s->mn + 1) * 2 > s->mcap) { /* grow: keep the load under one half */
		size_t ocap = s->mcap;
		struct mentry **old = s->mtab;
		s->mcap *= 2;
		s->mtab = kg_calloc(s->mcap, sizeof(*s->mtab), "merged events");
		for (size_t k = 0; k < ocap; k++)
			if (old[k]) {
				size_t j = key_hash(old[k]->key, old[k]->keylen) & (s->mcap - 1);
				while (s->mtab[j])
					j = (j + 1) & (s->mcap - 1);
				s->mtab[j] = old[k];
			}
		free(old);
		return merge_find(s, key, keylen, true);
	}
	struct mentry *e = kg_calloc(1, sizeof(*e), "merged event");
	memcpy(e->key, key, keylen);
	e->keylen = keylen;
	s->mtab[i] = e;
	s->mn++;
	return e;
}

static void part_set(struct mpart *p, const uint8_t *ev, size_t len)
{
	free(p->ev);
	p->ev = kg_malloc(len, "merged event part");
	memcpy(p->ev, ev, len);
	p->len = len;
}

static void bank_part(struct sup *s, struct mentry *e, const uint8_t *ev, size_t len)
{
	if (e->nbank >= MERGE_MAX_BANK) {
		s->merge_overflow++; /* a host evicted again and again: its oldest parts are enough */
		return;
	}
	e->bank = kg_realloc(e->bank, (e->nbank + 1) * sizeof(*e->bank), "merged event parts");
	e->bank[e->nbank].ev = NULL;
	part_set(&e->bank[e->nbank], ev, len);
	e->nbank++;
}

/* Keep ev (of type t[0..tl)) when it is a per-host event (true: it is not passed on as it is). */
static bool merge_event(struct sup *s, struct worker *w, const uint8_t *ev, size_t len, const uint8_t *t, size_t tl)
{
	if (!s->app->merge_key || !s->app->merge_type || strlen(s->app->merge_type) != tl ||
	    memcmp(s->app->merge_type, t, tl) != 0)
		return false;
	uint8_t key[MERGE_KEY_LEN];
	size_t keylen = 0;
	bool partial = false;
	if (!s->app->merge_key(s->app->ctx, ev, len, key, &keylen, &partial) || !keylen || keylen > MERGE_KEY_LEN)
		return false;
	struct mentry *e = merge_find(s, key, keylen, true);
	if (!e) {
		s->merge_overflow++;
		return false; /* too many hosts: this one's events pass as the worker wrote them */
	}
	if (partial)
		bank_part(s, e, ev, len);
	else
		part_set(&e->cur[w->id], ev, len);
	e->dirty = true;
	return true;
}

/* A worker that died or was replaced: what it said stays, as parts of the record. */
static void merge_bank_worker(struct sup *s, const struct worker *w)
{
	for (size_t i = 0; i < s->mcap; i++) {
		struct mentry *e = s->mtab ? s->mtab[i] : NULL;
		if (e && e->cur[w->id].ev) {
			bank_part(s, e, e->cur[w->id].ev, e->cur[w->id].len);
			free(e->cur[w->id].ev);
			e->cur[w->id].ev = NULL;
			e->cur[w->id].len = 0;
		}
	}
}

static int mentry_cmp(const void *a, const void *b)
{
	const struct mentry *x = *(const struct mentry *const *)a, *y = *(const struct mentry *const *)b;
	size_t n = KG_MIN(x->keylen, y->keylen);
	int c = memcmp(x->key, y->key, n);
	return c ? c : x->keylen < y->keylen ? -1 : x->keylen > y->keylen;
}

/* Write the merged event of every key (only_dirty: of those that changed), in key order. */
static void merge_flush(struct sup *s, const char *summary, bool only_dirty)
{
	if (!s->mn)
		return;
	struct mentry **list = kg_calloc(s->mn, sizeof(*list), "merged event list");
	size_t n = 0;
	for (size_t i = 0; i < s->mcap; i++)
		if (s->mtab[i] && (!only_dirty || s->mtab[i]->dirty))
			list[n++] = s->mtab[i];
	qsort(list, n, sizeof(*list), mentry_cmp);
	const uint8_t *parts[MAX_WORKERS + MERGE_MAX_BANK];
	size_t lens[MAX_WORKERS + MERGE_MAX_BANK];
	for (size_t i = 0; i < n; i++) {
		struct mentry *e = list[i];
		size_t k = 0;
		for (size_t b = 0; b < e->nbank; b++) {
			parts[k] = e->bank[b].ev;
			lens[k++] = e->bank[b].len;
		}
		for (int w = 0; w < MAX_WORKERS; w++)
			if (e->cur[w].ev) {
				parts[k] = e->cur[w].ev;
				lens[k++] = e->cur[w].len;
			}
		s->app->merge_emit(s->app->ctx, s->em, parts, lens, k, summary);
		e->dirty = false;
	}
	free(list);
}

static void merge_free(struct sup *s)
{
	for (size_t i = 0; i < s->mcap; i++) {
		struct mentry *e = s->mtab[i];
		if (!e)
			continue;
		for (int w = 0; w < MAX_WORKERS; w++)
			free(e->cur[w].ev);
		for (size_t b = 0; b < e->nbank; b++)
			free(e->bank[b].ev);
		free(e->bank);
		free(e);
	}
	free(s->mtab);
	s->mtab = NULL;
	s->mcap = s->mn = 0;
}

static void merge_hook(void *ctx, struct event *ev, const char *path)
{
	struct sup *s = ctx;
	if (!strcmp(path, "output"))
		emitter_output_stats(s->em, ev);
}

/* Write one stats event merged from every worker slot's latest stats event. */
static void emit_merged(struct sup *s)
{
	const uint8_t *evs[MAX_WORKERS];
	size_t lens[MAX_WORKERS];
	size_t k = 0;
	int64_t ts = 0;
	int running = 0;
	for (int i = 0; i < s->nw; i++) {
		struct worker *w = &s->w[i];
		running += w->pid != 0;
		w->fresh = false;
		if (!w->stats)
			continue;
		evs[k] = w->stats;
		lens[k] = w->stats_len;
		k++;
		uint32_t sec, nsec;
		if (fwd_event_time(w->stats, w->stats_len, &sec, &nsec)) {
			int64_t t = (int64_t)sec * 1000000 + nsec / 1000;
			if (t > ts)
				ts = t;
		}
	}
	s->merge_req_us = 0;
	if (!k)
		return;
	merge_flush(s, "periodic", true);
	struct event *ev = event_begin(s->em, "stats", ts ? ts : kg_wall_us());
	ev_map(ev, "stats");
	stats_merge(ev, evs, lens, k, merge_hook, s);
	ev_map(ev, "supervisor");
	ev_u64(ev, "workers", (uint64_t)s->nw);
	ev_u64(ev, "running", (uint64_t)running);
	ev_u64(ev, "merged", (uint64_t)k);
	ev_u64(ev, "restarts", s->restarts);
	ev_u64(ev, "failures", s->failures);
	ev_u64(ev, "spare_handles", s->nspare);
	ev_u64(ev, "protocol_errors", s->protocol_errors);
	ev_u64(ev, "merged_hosts", s->mn);
	ev_u64(ev, "merge_overflow", s->merge_overflow);
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		ev_u64(ev, "peak_rss_bytes", (uint64_t)ru.ru_maxrss * 1024);
	ev_end_map(ev);
	ev_end_map(ev);
	event_end(ev);
}

/* ------------------------------------------------------------------ workers */

/* The capture configuration of worker w: live, the shared interface (the observer's handle
 * is outside the fanout group); offline, the inputs, with w's share of the flows (the observer
 * keeps every packet). */
static struct capture_cfg worker_cap(const struct sup *s, const struct worker *w)
{
	struct capture_cfg c = s->cap;
	if (w->kind == WORKER_OBSERVER) {
		c.fanout_group = 0;
		c.shares = 0;
	} else if (s->offline) {
		c.shares = (uint32_t)s->cfg->workers;
		c.share = (uint32_t)w->id;
	}
	return c;
}

/* The worker process: its own capture (live: its handle; offline: the inputs, its share),
 * ring and engine; events to fd. */
KG_NORETURN static void worker_main(struct sup *s, struct worker *w, int fd)
{
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (w->tee_rd >= 0 && dup2(w->tee_rd, STDIN_FILENO) < 0)
		_exit(KG_EXIT_INTERNAL);
	close_others(fd, &w->h);
	if (w->h.p)
		capture_unmap_foreign_rings(w->h.p);
#ifdef HAVE_SYS_PRCTL_H
	prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
	char name[16];
	if (w->kind == WORKER_OBSERVER)
		snprintf(name, sizeof(name), "kagami-obs");
	else
		snprintf(name, sizeof(name), "kagami-w%d", w->id);
	prctl(PR_SET_NAME, name, 0, 0, 0);
#endif
	if (getppid() != s->pid)
		_exit(KG_EXIT_INTERNAL); /* the supervisor is already gone */
	struct ring *ring = ring_new(s->cfg->ring_bytes ? s->cfg->ring_bytes : s->offline ? 8u << 20 : 64u << 20);
	struct capture_cfg wc = worker_cap(s, w);
	char err[512];
	struct capture *cap = s->offline ? capture_open(&wc, ring, err, sizeof(err)) : capture_open_with(&wc, w->h.p, ring);
	if (!cap) {
		fprintf(stderr, "kagami: worker %d: %s\n", w->id, err);
		_exit(KG_EXIT_INPUT);
	}
	struct output_cfg oc = {.use_fd = true, .fd = fd, .format = OUT_FMT_MSGPACK, .flush_ms = 200};
	struct output *out;
	if (output_open(&oc, &out, err, sizeof(err)) != OUT_OK) {
		fprintf(stderr, "kagami: worker %d: %s\n", w->id, err);
		_exit(KG_EXIT_INTERNAL);
	}
	int rc = s->app->analyse(s->app->ctx, cap, ring, out, w->id, w->kind);
	capture_free(cap);
	ring_free(ring);
	if (output_close(out) != OUT_OK && rc == KG_EXIT_OK)
		rc = KG_EXIT_OUTPUT;
	exit(rc);
}

static bool start_worker(struct sup *s, struct worker *w, char *err, size_t errlen)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return false;
	}
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		worker_main(s, w, sv[1]);
	}
	int saved = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		snprintf(err, errlen, "fork: %s", strerror(saved));
		return false;
	}
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	w->pid = pid;
	w->fd = sv[0];
	w->started_us = kg_wall_us();
	w->restart_at_us = 0;
	mpr_reset(&w->in);
	return true;
}

/* A capture handle for w's successor: a fresh one while privileged, else a spare. */
static bool successor_handle(struct sup *s, const struct worker *w, struct handle *h, char *err, size_t errlen)
{
	char e1[256] = "";
	struct capture_cfg wc = worker_cap(s, w);
	if (open_handle(&wc, false, h, e1, sizeof(e1)))
		return true;
	if (!s->nspare) {
		snprintf(err, errlen, "no spare capture handle left (%s)", e1);
		return false;
	}
	*h = s->spare[--s->nspare];
	if (!capture_spare_activate(h->p, &wc, err, errlen)) {
		capture_close_handle(h->p);
		memset(h, 0, sizeof(*h));
		return false;
	}
	return true;
}

static void restart_worker(struct sup *s, struct worker *w)
{
	char err[512];
	if (!successor_handle(s, w, &w->h, err, sizeof(err))) {
		w->dead_for_good = true;
		w->restart_at_us = 0;
		sup_event(s, "worker_lost", w,
			  "worker %d cannot be restarted: %s; the other workers take its share of the traffic",
			  w->id, err);
		return;
	}
	w->restarts++;
	s->restarts++;
	if (!start_worker(s, w, err, sizeof(err))) {
		capture_close_handle(w->h.p);
		memset(&w->h, 0, sizeof(w->h));
		w->dead_for_good = true;
		sup_event(s, "worker_lost", w, "worker %d cannot be restarted: %s", w->id, err);
		return;
	}
	sup_event(s, "worker_restart", w, "worker %d restarted (pid %ld, restart %u)", w->id, (long)w->pid,
		  w->restarts);
}

static void begin_stop(struct sup *s, int exit_code)
{
	if (exit_code && !s->exit_code)
		s->exit_code = exit_code;
	if (s->stopping)
		return;
	s->stopping = true;
	s->stop_deadline_us = kg_wall_us() + STOP_GRACE_US;
	for (int i = 0; i < s->nw; i++) {
		s->w[i].restart_at_us = 0;
		if (s->w[i].pid)
			kill(s->w[i].pid, SIGTERM);
	}
}

/* One complete event from worker w. */
static void worker_event(struct sup *s, struct worker *w, const uint8_t *p, size_t n)
{
	const uint8_t *t = NULL;
	size_t tl = 0;
	if (!mp_map_get_str(p, n, "event_type", &t, &tl))
		tl = 0;
	if (tl == 5 && !memcmp(t, "stats", 5)) {
		free(w->stats);
		w->stats = kg_malloc(n, "worker stats");
		memcpy(w->stats, p, n);
		w->stats_len = n;
		struct mp_val v = mp_val_of(p, n), f;
		bool fin = false, bar = false;
		w->final_stats = mp_path(v, "stats.final", &f) && mp_as_bool(f, &fin) && fin;
		w->barrier_only = mp_path(v, "stats.barrier", &f) && mp_as_bool(f, &bar) && bar;
		w->fresh = !w->final_stats; /* the stats of a worker's end are merged at the supervisor's */
		if (s->offline) {
			/* offline every worker writes its stats at the same packet times (one clock, see
			 * supervisor.h): read no further until all have, then merge (barrier_check()) */
			w->at_barrier = !w->final_stats;
			return; /* only the merged stats are written */
		}
	}
	if (tl == strlen(SUPERVISOR_PROGRESS_EVENT) && !memcmp(t, SUPERVISOR_PROGRESS_EVENT, tl)) {
		struct mp_val v = mp_val_of(p, n);
		w->prog_seen = mp_path_uint(v, "progress.bytes", &w->prog_bytes) &&
			       mp_path_uint(v, "progress.total", &w->prog_total) &&
			       mp_path_uint(v, "progress.packets", &w->prog_packets);
		return; /* for the progress line only */
	}
	if (tl == 5 && !memcmp(t, "alert", 5))
		s->alerts++;
	if (tl && merge_event(s, w, p, n, t, tl))
		return;
	if (output_write(s->out, p, n) != OUT_OK)
		begin_stop(s, KG_EXIT_OUTPUT);
	else if (s->cfg->tap)
		s->cfg->tap(s->cfg->tap_ctx, p, n);
}

struct worker_ref {
	struct sup *s;
	struct worker *w;
};

static bool on_worker_event(void *ctx, const uint8_t *p, size_t n)
{
	struct worker_ref *r = ctx;
	worker_event(r->s, r->w, p, n);
	return !r->w->at_barrier; /* stop at a barrier: the rest stays in the buffer */
}

/* Read what worker w wrote and pass on every whole event; false at EOF. A worker at a
 * barrier is not read (its pipe fills and it waits: back-pressure, nothing lost). */
static bool read_worker(struct sup *s, struct worker *w)
{
	if (w->at_barrier)
		return true;
	enum mpr_status rs = mpr_fill(&w->in, w->fd, 64);
	struct worker_ref ref = {s, w};
	enum mp_status st = mpr_each(&w->in, on_worker_event, &ref);
	if (st != MP_OK) {
		s->protocol_errors++;
		sup_event(s, "worker_protocol_error", w,
			  "worker %d wrote something that is not msgpack (%s); stopping it", w->id, mp_strerror(st));
		if (w->pid)
			kill(w->pid, SIGKILL);
	}
	if (rs == MPR_OVERFLOW) {
		s->protocol_errors++;
		sup_event(s, "worker_protocol_error", w, "worker %d wrote an event of more than %u bytes; stopping it",
			  w->id, WORKER_BUF_MAX);
		if (w->pid)
			kill(w->pid, SIGKILL);
	}
	return rs == MPR_OK;
}

static void describe_status(int st, char *buf, size_t n)
{
	if (WIFEXITED(st))
		snprintf(buf, n, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, n, "was killed by signal %d (%s)%s", WTERMSIG(st), strsignal(WTERMSIG(st)),
			 WCOREDUMP(st) ? ", core dumped" : "");
	else
		snprintf(buf, n, "ended with wait status %d", st);
}

static void reap(struct sup *s)
{
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		struct worker *w = NULL;
		for (int i = 0; i < s->nw; i++)
			if (s->w[i].pid == pid)
				w = &s->w[i];
		if (!w)
			continue;
		if (w->fd >= 0 && !s->offline) { /* everything it wrote is in the pipe now */
			while (read_worker(s, w)) {
			}
			close(w->fd);
			w->fd = -1;
		}
		if (!s->offline) /* offline the loop reads its pipe to the end, barriers and all */
			mpr_reset(&w->in);
		capture_close_handle(w->h.p); /* leaves the fanout group */
		memset(&w->h, 0, sizeof(w->h));
		char how[160];
		describe_status(st, how, sizeof(how));
		bool clean = WIFEXITED(st) && WEXITSTATUS(st) == 0;
		if (s->offline) {
			/* offline a worker runs to the end of the inputs once: no restart. Its exit
			 * status counts (2: an input could not be read completely); one that died
			 * leaves its share unanalysed: the run fails. */
			w->pid = 0;
			if (WIFEXITED(st) && WEXITSTATUS(st) <= KG_EXIT_INTERNAL) {
				if (WEXITSTATUS(st) > s->exit_code)
					s->exit_code = WEXITSTATUS(st);
			} else {
				s->failures++;
				sup_event(s, "worker_exit", w, "worker %d (pid %ld) %s: its share of the input is lost",
					  w->id, (long)pid, how);
				begin_stop(s, KG_EXIT_INTERNAL);
			}
			continue;
		}
		if (s->stopping) {
			if (!clean)
				sup_event(s, "worker_exit", w, "worker %d (pid %ld) %s at shutdown", w->id, (long)pid, how);
			w->pid = 0;
			continue;
		}
		s->failures++;
		merge_bank_worker(s, w); /* its successor starts with an empty table */
		int64_t now = kg_wall_us();
		if (now - w->started_us >= STABLE_US)
			w->backoff_s = 1;
		else
			w->backoff_s = w->backoff_s ? KG_MIN(w->backoff_s * 2, BACKOFF_MAX_S) : 1;
		sup_event(s, "worker_exit", w, "worker %d (pid %ld) %s; restarting it in %us", w->id, (long)pid, how,
			  w->backoff_s);
		w->pid = 0;
		if (WIFEXITED(st) && WEXITSTATUS(st) == KG_EXIT_USAGE) {
			/* a configuration problem does not go away by restarting */
			w->dead_for_good = true;
			begin_stop(s, KG_EXIT_USAGE);
			continue;
		}
		w->restart_at_us = now + (int64_t)w->backoff_s * 1000000;
	}
}

/* ------------------------------------------------------------------ main loop */

static void install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Offline: hand the progress the workers reported to the program (at most four times a second,
 * and once more at the end). */
static void report_progress(struct sup *s, bool end)
{
	if (!s->app->progress)
		return;
	int64_t now = kg_wall_us();
	if (!end && now - s->prog_at_us < 250000)
		return;
	s->prog_at_us = now;
	uint64_t bytes = UINT64_MAX, total = 0, packets = 0, observed = 0;
	bool any = false, obs = false;
	for (int i = 0; i < s->nw; i++) {
		const struct worker *w = &s->w[i];
		if (!w->prog_seen)
			continue;
		any = true;
		bytes = KG_MIN(bytes, w->prog_bytes);
		total = KG_MAX(total, w->prog_total);
		if (w->kind == WORKER_OBSERVER) {
			obs = true;
			observed = w->prog_packets;
		} else {
			packets += w->prog_packets;
		}
	}
	if (!any && !end)
		return;
	s->app->progress(s->app->progress_ctx, any ? bytes : 0, total, obs ? observed : packets, s->alerts, end);
}

/* Offline: when every worker still writing has reached its barrier (the same stats interval
 * of packet time), write the merged per-host events and stats of that moment, and let them
 * all go on with what they wrote after it. */
static void barrier_check(struct sup *s)
{
	for (;;) {
		int waiting = 0, writing = 0;
		bool markers = false;
		for (int i = 0; i < s->nw; i++) {
			const struct worker *w = &s->w[i];
			if (w->fd < 0 && !w->at_barrier)
				continue; /* finished */
			writing++;
			waiting += w->at_barrier;
			markers = markers || (w->at_barrier && w->barrier_only);
		}
		if (!waiting || waiting < writing)
			return;
		if (markers) /* a stats interval: the per-host events of that moment */
			merge_flush(s, "periodic", true);
		else /* SIGUSR1: full stats from everyone */
			emit_merged(s);
		for (int i = 0; i < s->nw; i++) {
			struct worker *w = &s->w[i];
			if (!w->at_barrier)
				continue;
			w->at_barrier = false;
			struct worker_ref ref = {s, w};
			if (mpr_each(&w->in, on_worker_event, &ref) != MP_OK)
				s->protocol_errors++;
		}
	}
}

static void loop(struct sup *s)
{
	struct pollfd pf[MAX_WORKERS + 1];
	int idx[MAX_WORKERS + 1];
	for (;;) {
		size_t n = 0;
		pf[n] = (struct pollfd){.fd = s->sigpipe[0], .events = POLLIN};
		idx[n++] = -1;
		for (int i = 0; i < s->nw; i++)
			if (s->w[i].fd >= 0 && !s->w[i].at_barrier) {
				pf[n] = (struct pollfd){.fd = s->w[i].fd, .events = POLLIN};
				idx[n++] = i;
			}
		if (poll(pf, (nfds_t)n, 100) < 0 && errno != EINTR)
			break;
		if (pf[0].revents & POLLIN) {
			unsigned char sigs[64];
			ssize_t r = read(s->sigpipe[0], sigs, sizeof(sigs));
			for (ssize_t i = 0; i < r; i++) {
				switch (sigs[i]) {
				case SIGINT:
				case SIGTERM: begin_stop(s, 0); break;
				case SIGCHLD: reap(s); break;
				case SIGHUP: /* the workers reload their rules; the output is ours */
					if (output_reopen(s->out) != OUT_OK)
						begin_stop(s, KG_EXIT_OUTPUT);
					for (int k = 0; k < s->nw; k++)
						if (s->w[k].pid)
							kill(s->w[k].pid, SIGHUP);
					break;
				case SIGUSR1:
					for (int k = 0; k < s->nw; k++)
						if (s->w[k].pid)
							kill(s->w[k].pid, SIGUSR1);
					s->merge_req_us = kg_wall_us();
					break;
				default: break;
				}
			}
		}
		for (size_t k = 1; k < n; k++) {
			struct worker *w = &s->w[idx[k]];
			if (w->fd < 0 || !(pf[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (!read_worker(s, w)) {
				close(w->fd);
				w->fd = -1;
			}
		}
		reap(s); /* a SIGCHLD may have raced the pipe */
		if (s->offline) {
			barrier_check(s);
			report_progress(s, false);
		}
		int64_t now = kg_wall_us();
		if (output_tick(s->out, now) != OUT_OK || emitter_error(s->em))
			begin_stop(s, KG_EXIT_OUTPUT);

		int running = 0, fresh = 0, alive = 0;
		for (int i = 0; i < s->nw; i++) {
			struct worker *w = &s->w[i];
			if (!s->stopping && !w->pid && w->restart_at_us && now >= w->restart_at_us)
				restart_worker(s, w);
			running += w->pid != 0;
			fresh += w->pid && w->fresh;
			alive += w->pid || w->restart_at_us;
		}
		if (!s->offline && !s->stopping && fresh &&
		    (fresh == running || (s->merge_req_us && now - s->merge_req_us > MERGE_WAIT_US)))
			emit_merged(s);
		if (s->offline) {
			bool done = true;
			for (int i = 0; i < s->nw; i++)
				if (s->w[i].pid || s->w[i].fd >= 0)
					done = false;
			if (done)
				break; /* every worker read its inputs to the end */
		} else if (!s->stopping && !alive) {
			sup_event(s, "stop", NULL, "no worker left: stopping");
			begin_stop(s, KG_EXIT_INTERNAL);
		}
		if (s->stopping) {
			bool done = true;
			for (int i = 0; i < s->nw; i++)
				if (s->w[i].pid || s->w[i].fd >= 0)
					done = false;
			if (done)
				break;
			if (now > s->stop_deadline_us && !s->killed) {
				s->killed = true;
				for (int i = 0; i < s->nw; i++)
					if (s->w[i].pid) {
						sup_event(s, "worker_kill", &s->w[i],
							  "worker %d did not stop within %llds: killing it", s->w[i].id,
							  STOP_GRACE_US / 1000000);
						kill(s->w[i].pid, SIGKILL);
					}
			}
		}
	}
}

/* ------------------------------------------------------------------ offline: stdin to every worker */

/* The thread copying stdin to every worker's pipe. A blocking write waits for the slowest
 * worker (back-pressure: nothing is dropped); a worker that went away (EPIPE) is left out. */
static void *tee_main(void *arg)
{
	struct sup *s = arg;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	static uint8_t buf[1u << 16];
	while (!atomic_load(&s->tee_stop)) {
		struct pollfd pf = {.fd = STDIN_FILENO, .events = POLLIN};
		int pr = poll(&pf, 1, 100);
		if (pr < 0 && errno != EINTR)
			break;
		if (pr <= 0)
			continue;
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		for (int i = 0; i < s->nw; i++) {
			struct worker *w = &s->w[i];
			size_t off = 0;
			while (w->tee_fd >= 0 && off < (size_t)n && !atomic_load(&s->tee_stop)) {
				ssize_t k = write(w->tee_fd, buf + off, (size_t)n - off);
				if (k < 0 && errno == EINTR)
					continue;
				if (k <= 0) { /* EPIPE: the worker is gone */
					close(w->tee_fd);
					w->tee_fd = -1;
					break;
				}
				off += (size_t)k;
			}
		}
	}
	for (int i = 0; i < s->nw; i++)
		if (s->w[i].tee_fd >= 0) {
			close(s->w[i].tee_fd);
			s->w[i].tee_fd = -1;
		}
	return NULL;
}

static bool reads_stdin(const struct capture_cfg *c)
{
	for (size_t i = 0; i < c->ninputs; i++)
		if (strcmp(c->inputs[i], "-") == 0)
			return true;
	return false;
}

int supervisor_run(const struct supervisor_cfg *cfg, const struct supervisor_app *app)
{
	char err[1024] = "";
	struct sup *s = kg_calloc(1, sizeof(*s), "supervisor");
	g_sup = s;
	s->cfg = cfg;
	s->app = app;
	s->pid = getpid();
	s->offline = !cfg->cap.iface;
	s->cap = cfg->cap;
	s->cap.fanout_group = s->offline ? 0 : (int)(getpid() & 0x7fff) + 1;
	s->nw = KG_MIN(cfg->workers, MAX_WORKERS - (cfg->observe ? 1 : 0));
	int total = s->nw + (cfg->observe ? 1 : 0);
	s->sigpipe[0] = s->sigpipe[1] = -1;
	atomic_init(&s->tee_stop, false);
	int rc = KG_EXIT_OK;
	bool tee = s->offline && reads_stdin(&s->cap);

	/* 1. every capture handle, while privileged (live); the pipes stdin is copied into (offline) */
	for (int i = 0; i < total; i++) {
		struct worker *w = &s->w[i];
		w->id = i;
		w->kind = i < s->nw ? WORKER_ANALYSIS : WORKER_OBSERVER;
		w->fd = -1;
		w->tee_fd = w->tee_rd = -1;
		mpr_init(&w->in, WORKER_BUF_MAX);
	}
	s->nw = total;
	for (int i = 0; i < s->nw; i++) {
		struct worker *w = &s->w[i];
		if (tee) {
			int pp[2];
			if (pipe2(pp, O_CLOEXEC) != 0) {
				fprintf(stderr, "kagami: pipe: %s\n", strerror(errno));
				rc = KG_EXIT_INTERNAL;
				goto out;
			}
			w->tee_rd = pp[0];
			w->tee_fd = pp[1];
		}
		if (s->offline)
			continue;
		struct capture_cfg wc = worker_cap(s, w);
		if (!open_handle(&wc, false, &w->h, err, sizeof(err))) {
			fprintf(stderr, "kagami: %s\n", err);
			rc = KG_EXIT_INPUT;
			goto out;
		}
	}
	for (size_t i = 0; !s->offline && i < cfg->spares && i < MAX_SPARES; i++) {
		if (!open_handle(&s->cap, true, &s->spare[i], err, sizeof(err))) {
			fprintf(stderr, "kagami: spare capture handle: %s\n", err);
			rc = KG_EXIT_INPUT;
			goto out;
		}
		s->nspare++;
	}
	/* 2. pid file, privileges */
	if (!app->drop_privileges(app->ctx, err, sizeof(err))) {
		fprintf(stderr, "kagami: %s\n", err);
		rc = KG_EXIT_USAGE;
		goto out;
	}
	/* 3. outputs, as the unprivileged user; the workers' configuration is checked once here */
	if (output_open(&cfg->out, &s->out, err, sizeof(err)) != OUT_OK) {
		fprintf(stderr, "kagami: %s\n", err);
		rc = KG_EXIT_OUTPUT;
		goto out;
	}
	s->em = emitter_new(s->out);
	if (cfg->tap)
		emitter_set_tap(s->em, cfg->tap, cfg->tap_ctx);
	if (cfg->sensor_name)
		emitter_set_sensor_name(s->em, cfg->sensor_name);
	if (!app->check(app->ctx, s->em, err, sizeof(err))) {
		fprintf(stderr, "kagami: %s\n", err);
		rc = KG_EXIT_USAGE;
		goto out;
	}
	if (pipe2(s->sigpipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		fprintf(stderr, "kagami: pipe: %s\n", strerror(errno));
		rc = KG_EXIT_INTERNAL;
		goto out;
	}
	g_sigfd = s->sigpipe[1];
	install();
	/* 4. the workers */
	for (int i = 0; i < s->nw; i++) {
		if (!start_worker(s, &s->w[i], err, sizeof(err))) {
			fprintf(stderr, "kagami: worker %d: %s\n", i, err);
			begin_stop(s, KG_EXIT_INTERNAL);
			break;
		}
		if (s->w[i].tee_rd >= 0) { /* the worker has it as its stdin now */
			close(s->w[i].tee_rd);
			s->w[i].tee_rd = -1;
		}
	}
	if (tee) {
		int e = pthread_create(&s->tee, NULL, tee_main, s);
		if (e) {
			fprintf(stderr, "kagami: cannot start the stdin reader: %s\n", strerror(e));
			begin_stop(s, KG_EXIT_INTERNAL);
		} else {
			s->tee_started = true;
		}
	}
	if (s->offline)
		sup_event(s, "start", NULL, "reading %zu input%s with %d workers%s", cfg->cap.ninputs,
			  cfg->cap.ninputs == 1 ? "" : "s", total - (cfg->observe ? 1 : 0),
			  cfg->observe ? " and an observer" : "");
	else
		sup_event(s, "start", NULL, "capturing on %s with %d workers%s (PACKET_FANOUT group %d, hash)",
			  cfg->cap.iface, total - (cfg->observe ? 1 : 0), cfg->observe ? " and an observer" : "",
			  s->cap.fanout_group);
	loop(s);
	if (s->offline)
		report_progress(s, true);
	merge_flush(s, "final", false);
	emit_merged(s);
	sup_event(s, "stop", NULL, "stopped");
	rc = s->exit_code;

out:
	if (s->tee_started) {
		atomic_store(&s->tee_stop, true);
		pthread_join(s->tee, NULL);
	}
	for (int i = 0; i < s->nw; i++) {
		struct worker *w = &s->w[i];
		if (w->pid) {
			kill(w->pid, SIGKILL);
			waitpid(w->pid, NULL, 0);
		}
		if (w->fd >= 0)
			close(w->fd);
		if (w->tee_fd >= 0)
			close(w->tee_fd);
		if (w->tee_rd >= 0)
			close(w->tee_rd);
		capture_close_handle(w->h.p);
		mpr_free(&w->in);
		free(w->stats);
	}
	for (size_t i = 0; i < s->nspare; i++)
		capture_close_handle(s->spare[i].p);
	merge_free(s);
	if (s->out) {
		int oerr = output_flush(s->out);
		if (oerr == OUT_OK && s->em)
			oerr = emitter_error(s->em);
		if (oerr != OUT_OK) {
			const char *detail = output_errdetail(s->out);
			fprintf(stderr, "kagami: %s: %s\n", output_strerror(oerr), *detail ? detail : "events were lost");
			if (!rc)
				rc = KG_EXIT_OUTPUT;
		}
		if (output_close(s->out) != OUT_OK && !rc)
			rc = KG_EXIT_OUTPUT;
	}
	emitter_free(s->em);
	if (s->sigpipe[0] >= 0) {
		close(s->sigpipe[0]);
		close(s->sigpipe[1]);
	}
	if (app->done)
		app->done(app->ctx);
	g_sup = NULL;
	free(s);
	return rc;
}
