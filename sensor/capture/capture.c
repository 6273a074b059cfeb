/* capture.c - the capture thread (see capture.h).
 *
 * Offline, every input is read with pcap_next_ex(); a read error (a truncated
 * file, a corrupt record) ends that input with an error record placed after
 * the packets read before it, so the analysis keeps their events. Live, the
 * thread reads with pcap_dispatch() and never blocks on the ring: a full ring
 * is a counted drop, as are the kernel's drops from pcap_stats().
 */
#include "config.h"

#include "capture.h"

#include <dirent.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#ifdef HAVE_LINUX_IF_PACKET_H
#include <linux/if_packet.h>
#include <sys/socket.h>
#endif

#include "decode/decode.h"
#include "util/util.h"

struct capture {
	struct capture_cfg cfg;
	struct ring *ring;
	char **names;       /* expanded offline inputs */
	size_t nnames;
	pcap_t *live;
	pthread_t thr;
	bool started;
	atomic_bool stop;
	pthread_mutex_t mu;
	struct capture_stats st;          /* kernel counters (under mu) */
	/* written by the capture thread only (plain stores), read by others */
	_Atomic uint64_t packets, bytes, ring_drops;
	uint64_t n_packets, n_bytes, n_drops; /* the capture thread's own counts */
	uint32_t cur_input;
	/* progress: file bytes read so far (written by the capture thread), of total_bytes */
	_Atomic uint64_t bytes_read;
	uint64_t total_bytes;   /* sum of the inputs' sizes; 0 = unknown (stdin, a FIFO) */
	_Atomic uint32_t *snaplens; /* per input: its snap length, set before its first packet */
};

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void add_name(struct capture *c, const char *s)
{
	c->names = kg_realloc(c->names, (c->nnames + 1) * sizeof(char *), "input list");
	c->names[c->nnames++] = kg_strdup(s, "input name");
}

/* Expand directories into their regular files, sorted by name. */
static bool expand_inputs(struct capture *c, char *errbuf, size_t errlen)
{
	for (size_t i = 0; i < c->cfg.ninputs; i++) {
		const char *in = c->cfg.inputs[i];
		struct stat sb;
		if (strcmp(in, "-") == 0) {
			add_name(c, in);
			continue;
		}
		if (stat(in, &sb) != 0) {
			snprintf(errbuf, errlen, "cannot read %s: %s", in, strerror(errno));
			return false;
		}
		if (!S_ISDIR(sb.st_mode)) {
			add_name(c, in);
			continue;
		}
		DIR *d = opendir(in);
		if (!d) {
			snprintf(errbuf, errlen, "cannot open directory %s: %s", in, strerror(errno));
			return false;
		}
		size_t first = c->nnames;
		struct dirent *de;
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			struct strbuf p;
			sb_init(&p, 0);
			sb_printf(&p, "%s/%s", in, de->d_name);
			struct stat fsb;
			if (stat(sb_cstr(&p), &fsb) == 0 && S_ISREG(fsb.st_mode))
				add_name(c, sb_cstr(&p));
			sb_free(&p);
		}
		closedir(d);
		qsort(c->names + first, c->nnames - first, sizeof(char *), cmp_str);
	}
	return true;
}

/* Join the interface's PACKET_FANOUT group cfg->fanout_group in hash mode, so
 * that both directions of a flow (the kernel's symmetric flow hash) reach the
 * same member; PACKET_FANOUT_FLAG_DEFRAG has the kernel reassemble IPv4
 * fragments first, so that a datagram's fragments hash as one packet. */
/* The sum of the sizes of the offline inputs, or 0 when one of them has none (stdin, a FIFO). */
static uint64_t inputs_size(const struct capture *c)
{
	uint64_t total = 0;
	for (size_t i = 0; i < c->nnames; i++) {
		struct stat sb;
		if (strcmp(c->names[i], "-") == 0 || stat(c->names[i], &sb) != 0 || !S_ISREG(sb.st_mode))
			return 0;
		total += (uint64_t)sb.st_size;
	}
	return total;
}

static bool join_fanout(pcap_t *p, const struct capture_cfg *cfg, char *errbuf, size_t errlen)
{
	if (cfg->fanout_group <= 0)
		return true;
#if defined(HAVE_LINUX_IF_PACKET_H) && defined(PACKET_FANOUT)
	int fd = pcap_get_selectable_fd(p);
	int mode = PACKET_FANOUT_HASH;
#ifdef PACKET_FANOUT_FLAG_DEFRAG
	mode |= PACKET_FANOUT_FLAG_DEFRAG;
#endif
	/* group id in the low 16 bits, mode and flags in the high ones (unsigned: the DEFRAG
	 * flag 0x8000 shifted 16 places does not fit an int) */
	uint32_t arg = ((uint32_t)cfg->fanout_group & 0xffffu) | ((uint32_t)mode << 16);
	if (fd < 0 || setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg)) != 0) {
		snprintf(errbuf, errlen, "cannot join PACKET_FANOUT group %d on %s: %s", cfg->fanout_group, cfg->iface,
			 strerror(errno));
		return false;
	}
	return true;
#else
	snprintf(errbuf, errlen, "this system has no PACKET_FANOUT: one worker only");
	return false;
#endif
}

static bool set_filter(pcap_t *p, const struct capture_cfg *cfg, char *errbuf, size_t errlen)
{
	struct bpf_program prog;
	if (pcap_compile(p, &prog, cfg->bpf && *cfg->bpf ? cfg->bpf : "", 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(errbuf, errlen, "bad capture filter '%s': %s", cfg->bpf ? cfg->bpf : "", pcap_geterr(p));
		return false;
	}
	if (pcap_setfilter(p, &prog) < 0) {
		snprintf(errbuf, errlen, "cannot set capture filter: %s", pcap_geterr(p));
		pcap_freecode(&prog);
		return false;
	}
	pcap_freecode(&prog);
	return true;
}

/* Open and activate a live handle. A spare gets a filter that accepts nothing
 * and stays out of the fanout group until capture_spare_activate(). */
static pcap_t *open_live(const struct capture_cfg *cfg, bool spare, char *errbuf, size_t errlen)
{
	char eb[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_create(cfg->iface, eb);
	if (!p) {
		snprintf(errbuf, errlen, "cannot open interface %s: %s", cfg->iface, eb);
		return NULL;
	}
	pcap_set_snaplen(p, cfg->snaplen > 0 ? cfg->snaplen : 262144);
	pcap_set_promisc(p, cfg->promisc ? 1 : 0);
	pcap_set_timeout(p, cfg->timeout_ms > 0 ? cfg->timeout_ms : 100);
	if (cfg->buffer_bytes)
		pcap_set_buffer_size(p, (int)KG_MIN(cfg->buffer_bytes, (uint64_t)INT32_MAX));
#ifdef HAVE_PCAP_SET_IMMEDIATE_MODE
	if (cfg->immediate)
		pcap_set_immediate_mode(p, 1);
#endif
	pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_MICRO);
	int rc = pcap_activate(p);
	if (rc < 0) {
		snprintf(errbuf, errlen, "cannot capture on %s: %s", cfg->iface,
			 rc == PCAP_ERROR ? pcap_geterr(p) : pcap_statustostr(rc));
		pcap_close(p);
		return NULL;
	}
	if (!decode_linktype_supported(pcap_datalink(p))) {
		snprintf(errbuf, errlen, "interface %s has link type %s, which kagami does not decode", cfg->iface,
			 decode_linktype_name(pcap_datalink(p)));
		pcap_close(p);
		return NULL;
	}
	if (spare) {
		struct bpf_insn reject = BPF_STMT(BPF_RET | BPF_K, 0);
		struct bpf_program none = {1, &reject};
		if (pcap_setfilter(p, &none) < 0) {
			snprintf(errbuf, errlen, "cannot park a spare capture handle: %s", pcap_geterr(p));
			pcap_close(p);
			return NULL;
		}
		return p;
	}
	if ((cfg->bpf && *cfg->bpf && !set_filter(p, cfg, errbuf, errlen)) || !join_fanout(p, cfg, errbuf, errlen)) {
		pcap_close(p);
		return NULL;
	}
	return p;
}

struct pcap *capture_open_handle(const struct capture_cfg *cfg, bool spare, char *errbuf, size_t errlen)
{
	return open_live(cfg, spare, errbuf, errlen);
}

bool capture_spare_activate(struct pcap *p, const struct capture_cfg *cfg, char *errbuf, size_t errlen)
{
	return set_filter(p, cfg, errbuf, errlen) && join_fanout(p, cfg, errbuf, errlen);
}

void capture_close_handle(struct pcap *p)
{
	if (p)
		pcap_close(p);
}

void capture_unmap_foreign_rings(struct pcap *own)
{
	struct stat sb;
	int fd = own ? pcap_get_selectable_fd(own) : -1;
	if (fd < 0 || fstat(fd, &sb) != 0)
		return;
	FILE *fp = fopen("/proc/self/maps", "r");
	if (!fp)
		return;
	struct range {
		unsigned long lo, hi;
	} r[256];
	size_t n = 0;
	char line[1024];
	while (fgets(line, sizeof(line), fp) && n < KG_ARRAY_LEN(r)) {
		unsigned long lo, hi;
		int off = 0;
		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &lo, &hi, &off) != 2 || !off)
			continue;
		unsigned long ino;
		if (sscanf(line + off, "socket:[%lu]", &ino) == 1 && ino != (unsigned long)sb.st_ino) {
			r[n].lo = lo;
			r[n].hi = hi;
			n++;
		}
	}
	fclose(fp);
	for (size_t i = 0; i < n; i++)
		munmap((void *)r[i].lo, r[i].hi - r[i].lo);
}

static int tpacket_version(pcap_t *p)
{
#if defined(HAVE_LINUX_IF_PACKET_H) && defined(PACKET_VERSION)
	int v = -1;
	socklen_t l = sizeof(v);
	int fd = pcap_get_selectable_fd(p);
	if (fd >= 0 && getsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, &l) == 0)
		return v + 1; /* TPACKET_V1 is 0 */
#endif
	return 0;
}

struct capture *capture_open_with(const struct capture_cfg *cfg, struct pcap *p, struct ring *ring)
{
	struct capture *c = kg_calloc(1, sizeof(*c), "capture");
	c->cfg = *cfg;
	c->ring = ring;
	atomic_init(&c->stop, false);
	pthread_mutex_init(&c->mu, NULL);
	c->live = p;
	c->st.tpacket_version = tpacket_version(p);
	add_name(c, cfg->iface);
	c->snaplens = kg_calloc(1, sizeof(*c->snaplens), "input snap lengths");
	atomic_store_explicit(&c->snaplens[0], (uint32_t)pcap_snapshot(p), memory_order_release);
	return c;
}

struct capture *capture_open(const struct capture_cfg *cfg, struct ring *ring, char *errbuf, size_t errlen)
{
	struct capture *c = kg_calloc(1, sizeof(*c), "capture");
	c->cfg = *cfg;
	c->ring = ring;
	atomic_init(&c->stop, false);
	pthread_mutex_init(&c->mu, NULL);
	if (cfg->iface) {
		c->live = open_live(cfg, false, errbuf, errlen);
		if (!c->live) {
			capture_free(c);
			return NULL;
		}
		c->st.tpacket_version = tpacket_version(c->live);
		add_name(c, cfg->iface);
	} else if (!expand_inputs(c, errbuf, errlen)) {
		capture_free(c);
		return NULL;
	} else {
		c->total_bytes = inputs_size(c);
	}
	c->snaplens = kg_calloc(c->nnames ? c->nnames : 1, sizeof(*c->snaplens), "input snap lengths");
	if (c->live)
		atomic_store_explicit(&c->snaplens[0], (uint32_t)pcap_snapshot(c->live), memory_order_release);
	return c;
}

bool capture_is_live(const struct capture *c) { return c->live != NULL; }

const char *capture_input_name(const struct capture *c, uint32_t idx)
{
	return idx < c->nnames ? c->names[idx] : "?";
}

/* Post a control record (input start/error/end); waits for room. */
static void post(struct capture *c, enum ring_kind kind, uint32_t input, const char *text)
{
	size_t n = text ? strlen(text) + 1 : 0;
	struct ring_rec *r = ring_reserve(c->ring, n, true);
	if (!r)
		return;
	r->kind = (uint16_t)kind;
	r->input = input;
	if (n)
		memcpy(r->data, text, n);
	ring_commit(c->ring, r);
	ring_flush(c->ring);
}

static void clamp_ts(const struct timeval *tv, int64_t *ts_us, uint16_t *flags)
{
	const int64_t max_s = 253402300799LL;
	int64_t s = (int64_t)tv->tv_sec;
	if (s < 0 || s > max_s || tv->tv_usec < 0 || tv->tv_usec > 999999) {
		*flags |= REC_F_TS_CLAMPED;
		/* the earliest or the last microsecond kagami can write */
		*ts_us = s < 0 ? 0 : s > max_s ? max_s * 1000000 + 999999 : s * 1000000;
		return;
	}
	*ts_us = s * 1000000 + tv->tv_usec;
}

static bool push_packet(struct capture *c, const struct pcap_pkthdr *h, const uint8_t *data, int linktype,
			uint32_t input, bool wait)
{
	uint32_t caplen = h->caplen;
	struct ring_rec *r = ring_reserve(c->ring, caplen, wait);
	if (!r) {
		atomic_store_explicit(&c->ring_drops, ++c->n_drops, memory_order_relaxed);
		return false;
	}
	r->kind = REC_PACKET;
	r->wirelen = h->len;
	r->linktype = linktype;
	r->input = input;
	clamp_ts(&h->ts, &r->ts_us, &r->flags);
	memcpy(r->data, data, caplen);
	ring_commit(c->ring, r);
	/* single writer: a store, not a locked read-modify-write */
	atomic_store_explicit(&c->packets, ++c->n_packets, memory_order_relaxed);
	c->n_bytes += h->len;
	atomic_store_explicit(&c->bytes, c->n_bytes, memory_order_relaxed);
	return true;
}

static void note_read(struct capture *c, FILE *fp, bool seekable, uint64_t base, uint64_t est)
{
	long off = seekable ? ftell(fp) : -1;
	uint64_t v = base + (off >= 0 ? (uint64_t)off : est);
	atomic_store_explicit(&c->bytes_read, v, memory_order_relaxed);
}

static void read_offline(struct capture *c, uint32_t idx)
{
	const char *name = c->names[idx];
	char eb[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p;
	post(c, REC_INPUT_START, idx, name);
	FILE *fp = strcmp(name, "-") == 0 ? stdin : fopen(name, "rb");
	if (!fp) {
		snprintf(eb, sizeof(eb), "%s", strerror(errno));
		p = NULL;
	} else {
		/* large reads: a capture is read once, front to back */
		setvbuf(fp, NULL, _IOFBF, 1u << 20);
		p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, eb);
		if (!p && fp != stdin)
			fclose(fp);
	}
	if (!p) {
		struct strbuf m;
		sb_init(&m, 0);
		sb_printf(&m, "%s: not a readable pcap or pcapng capture: %s", strcmp(name, "-") ? name : "<stdin>",
			  eb);
		post(c, REC_INPUT_ERROR, idx, sb_cstr(&m));
		sb_free(&m);
		return;
	}
	/* before any packet of this input reaches the ring (the ring's commit publishes it) */
	atomic_store_explicit(&c->snaplens[idx], (uint32_t)pcap_snapshot(p), memory_order_release);
	int lt = pcap_datalink(p);
	if (!decode_linktype_supported(lt)) {
		struct strbuf m;
		sb_init(&m, 0);
		sb_printf(&m, "%s: link type %d (%s) is not supported", name, lt, decode_linktype_name(lt));
		post(c, REC_INPUT_ERROR, idx, sb_cstr(&m));
		sb_free(&m);
		pcap_close(p);
		return;
	}
	uint64_t n = 0;
	/* bytes read: the file offset (ftell, every 256 packets: it costs a system call), or,
	 * where there is none (a pipe), the record sizes of the classic pcap format */
	uint64_t base = atomic_load_explicit(&c->bytes_read, memory_order_relaxed), est = 24;
	bool seekable = ftell(fp) >= 0;
	for (;;) {
		if (atomic_load(&c->stop))
			break;
		struct pcap_pkthdr *h;
		const u_char *data;
		int rc = pcap_next_ex(p, &h, &data);
		if (rc == 1) {
			n++;
			/* pcapng files may change link type per interface */
			lt = pcap_datalink(p);
			push_packet(c, h, data, lt, idx, true);
			est += 16 + (uint64_t)h->caplen;
			if ((n & 255) == 0)
				note_read(c, fp, seekable, base, est);
			continue;
		}
		if (rc == PCAP_ERROR_BREAK || atomic_load(&c->stop))
			break; /* stopped (a read interrupted by capture_stop() is no input error) */
		struct strbuf m;
		sb_init(&m, 0);
		sb_printf(&m, "%s: read error after packet %llu: %s (the events of the packets before it are kept)",
			  strcmp(name, "-") ? name : "<stdin>", (unsigned long long)n, pcap_geterr(p));
		post(c, REC_INPUT_ERROR, idx, sb_cstr(&m));
		sb_free(&m);
		break;
	}
	note_read(c, fp, seekable, base, est);
	pcap_close(p);
	post(c, REC_INPUT_END, idx, NULL);
}

static void live_cb(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct capture *c = (struct capture *)(void *)user;
	push_packet(c, h, data, pcap_datalink(c->live), 0, false);
}

static void update_kernel_stats(struct capture *c)
{
	struct pcap_stat ps;
	if (c->live && pcap_stats(c->live, &ps) == 0) {
		pthread_mutex_lock(&c->mu);
		c->st.kernel_drops = ps.ps_drop;
		c->st.kernel_ifdrops = ps.ps_ifdrop;
		c->st.kernel_received = ps.ps_recv;
		pthread_mutex_unlock(&c->mu);
	}
}

/* On stop, take in what the kernel already captured: TPACKET_V3 hands over a
 * block when it is full or when the read timeout retires it, so read without
 * blocking for two timeouts, or until nothing came for one. */
static void drain(struct capture *c)
{
	char eb[PCAP_ERRBUF_SIZE];
	if (pcap_setnonblock(c->live, 1, eb) != 0)
		return;
	int tmo = c->cfg.timeout_ms > 0 ? c->cfg.timeout_ms : 100;
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int64_t last = 0;
	for (;;) {
		int rc = pcap_dispatch(c->live, 4096, live_cb, (u_char *)c);
		clock_gettime(CLOCK_MONOTONIC, &t);
		int64_t ms = (int64_t)(t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (rc < 0 || ms > 2 * tmo + 50)
			break;
		if (rc > 0) {
			ring_flush(c->ring);
			last = ms;
		} else {
			if (ms - last > tmo + 20)
				break;
			struct timespec nap = {0, 5 * 1000000};
			nanosleep(&nap, NULL);
		}
	}
	ring_flush(c->ring);
	update_kernel_stats(c);
}

static void *capture_main(void *arg)
{
	struct capture *c = arg;
	pthread_setname_np(pthread_self(), "kagami-capture");
	sigset_t all;
	sigfillset(&all);
	sigdelset(&all, CAPTURE_WAKE_SIGNAL); /* capture_stop() interrupts a blocked read */
	pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals go to the analysis thread */
	if (c->live) {
		post(c, REC_INPUT_START, 0, c->names[0]);
		while (!atomic_load(&c->stop)) {
			int rc = pcap_dispatch(c->live, 1024, live_cb, (u_char *)c);
			ring_flush(c->ring);
			update_kernel_stats(c);
			if (rc == PCAP_ERROR) {
				struct strbuf m;
				sb_init(&m, 0);
				sb_printf(&m, "capture on %s failed: %s", c->names[0], pcap_geterr(c->live));
				post(c, REC_INPUT_ERROR, 0, sb_cstr(&m));
				sb_free(&m);
				break;
			}
			if (rc == PCAP_ERROR_BREAK)
				break;
		}
		drain(c);
		post(c, REC_INPUT_END, 0, NULL);
	} else {
		for (uint32_t i = 0; i < c->nnames && !atomic_load(&c->stop); i++)
			read_offline(c, i);
	}
	post(c, REC_ALL_DONE, 0, NULL);
	return NULL;
}

static void on_wake(int sig)
{
	(void)sig; /* only there to make a blocked read(2) return EINTR */
}

bool capture_start(struct capture *c, char *errbuf, size_t errlen)
{
	/* no SA_RESTART: a read of a pipe or FIFO that waits for data returns, so that a
	 * stop request is seen even when no packet comes (kagami -r - at a quiet producer) */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_wake;
	sigemptyset(&sa.sa_mask);
	sigaction(CAPTURE_WAKE_SIGNAL, &sa, NULL);
	int rc = pthread_create(&c->thr, NULL, capture_main, c);
	if (rc != 0) {
		snprintf(errbuf, errlen, "cannot start the capture thread: %s", strerror(rc));
		return false;
	}
	c->started = true;
	return true;
}

void capture_stop(struct capture *c)
{
	atomic_store(&c->stop, true);
	if (c->live)
		pcap_breakloop(c->live);
	else if (c->started)
		pthread_kill(c->thr, CAPTURE_WAKE_SIGNAL);
}

void capture_join(struct capture *c)
{
	if (c->started) {
		pthread_join(c->thr, NULL);
		c->started = false;
	}
}

void capture_get_stats(struct capture *c, struct capture_stats *out)
{
	pthread_mutex_lock(&c->mu);
	*out = c->st;
	pthread_mutex_unlock(&c->mu);
	out->packets = atomic_load_explicit(&c->packets, memory_order_relaxed);
	out->bytes = atomic_load_explicit(&c->bytes, memory_order_relaxed);
	out->ring_drops = atomic_load_explicit(&c->ring_drops, memory_order_relaxed);
}

void capture_progress(struct capture *c, uint64_t *bytes_read, uint64_t *total_bytes)
{
	*bytes_read = atomic_load_explicit(&c->bytes_read, memory_order_relaxed);
	*total_bytes = c->total_bytes;
}

uint32_t capture_input_snaplen(const struct capture *c, uint32_t idx)
{
	if (!c->snaplens || idx >= (c->nnames ? c->nnames : 1))
		return 0;
	return atomic_load_explicit(&c->snaplens[idx], memory_order_acquire);
}

void capture_free(struct capture *c)
{
	if (!c)
		return;
	capture_join(c);
	free((void *)c->snaplens);
	if (c->live)
		pcap_close(c->live);
	for (size_t i = 0; i < c->nnames; i++)
		free(c->names[i]);
	free(c->names);
	pthread_mutex_destroy(&c->mu);
	free(c);
}
