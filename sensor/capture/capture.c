/* capture.c - the capture thread (see capture.h).
 *
 * Offline, when every input is a regular file in the classic pcap format (version 2.4, micro-
 * or nanosecond), the files are read in place: libpcap opens each one and checks its header,
 * then the records are walked through a window of the file mapped into memory, on the
 * analysis thread (capture_next()), with no copy and no capture thread. A record that libpcap
 * would treat specially (a capture length above the snap length, a record cut by the end of
 * the file) hands the rest of that file back to libpcap at that record, so its checks and
 * messages apply unchanged. Any other input (stdin, a FIFO, pcapng) is read with
 * pcap_next_ex() by the capture thread into the ring.
 *
 * A read error (a truncated file, a corrupt record) ends that input with an error record
 * placed after the packets read before it, so the analysis keeps their events. Live, the
 * thread reads with pcap_dispatch() and never blocks on the ring: a full ring is a counted
 * drop, as are the kernel's drops from pcap_stats().
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

#include "decode/cursor.h"
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
	/* items handed out by capture_next() */
	bool pull;                        /* offline files read in place (no thread) */
	struct ring_rec *cur_rec;         /* threaded: the ring record of the current item */
	struct mapped_input *in;          /* pull: the input being read */
	uint32_t next_input;              /* pull: the next input to open */
	bool done;                        /* pull: REC_ALL_DONE handed out */
	char msg[PCAP_ERRBUF_SIZE + 512]; /* pull: the text of an error item */
	struct packet share_pkt;          /* offline -j N: scratch for the share of a packet */
	struct decode_stats share_st;
	/* progress: file bytes read so far (written by the capture thread), of total_bytes */
	_Atomic uint64_t bytes_read;
	uint64_t total_bytes;   /* sum of the inputs' sizes; 0 = unknown (stdin, a FIFO) */
	uint64_t done_bytes;    /* pull: the sizes of the inputs read to the end */
	_Atomic uint32_t *snaplens; /* per input: its snap length, set before its first packet */
};

#define MAP_WINDOW (16u << 20) /* bytes of a file mapped at once */

/* A classic pcap file read in place (see the file comment). */
struct mapped_input {
	pcap_t *p;            /* opened by libpcap: header checks, link type, and the fallback */
	FILE *fp;
	int fd;
	uint64_t size;        /* file size */
	uint64_t off;         /* file offset of the next record */
	uint8_t *win;         /* mapped window [win_off, win_off + win_len) */
	uint64_t win_off;
	size_t win_len;
	bool swapped, nsec;
	uint32_t snaplen;
	int linktype;
	bool fallback;        /* libpcap reads the rest of the file */
	uint64_t n;           /* packets read from this file */
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

static bool mappable(const char *name);
static bool foreign(struct capture *c, const uint8_t *data, uint32_t caplen, int linktype);
static void close_mapped(struct capture *c);

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
		c->pull = !cfg->no_map && c->nnames > 0;
		for (size_t i = 0; i < c->nnames && c->pull; i++)
			c->pull = mappable(c->names[i]);
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
	if (foreign(c, data, h->caplen, linktype)) { /* offline -j N: only its time */
		struct ring_rec *t = ring_reserve(c->ring, 0, wait);
		if (!t)
			return false;
		t->kind = REC_TIME;
		t->input = input;
		clamp_ts(&h->ts, &t->ts_us, &t->flags);
		ring_commit(c->ring, t);
		return true;
	}
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

static int64_t mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Packets taken in by drain() and the newest packet time among them. */
struct drain_ctx {
	struct capture *c;
	int64_t newest_us;
	uint64_t n;
};

static void drain_cb(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct drain_ctx *d = (struct drain_ctx *)(void *)user;
	int64_t us = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
	if (us > d->newest_us)
		d->newest_us = us;
	d->n++;
	live_cb((u_char *)d->c, h, data);
}

/* On stop, take in everything the kernel captured before the stop. TPACKET_V3 hands a
 * block over when it is full or when its retire timer closes it, which takes up to two read
 * timeouts after its first packet (the kernel closes a block that stayed current over a whole
 * timer period). So read without blocking until a packet stamped after the stop arrives (on a
 * busy link: every block before it was handed over), or until a read that started two timeouts
 * and a margin after the last packet came back empty (the last block was retired by then);
 * a flood is cut off at 5 s. The last read always starts after the quiet period has passed:
 * a capture thread scheduled late does not end before the kernel retired the block. A stop
 * seen between two reads leaves pcap_breakloop()'s flag set: the first read here returns
 * PCAP_ERROR_BREAK and clears it (it used to end the drain there, and the kernel's backlog
 * was lost). */
static void drain(struct capture *c)
{
	char eb[PCAP_ERRBUF_SIZE];
	if (pcap_setnonblock(c->live, 1, eb) != 0)
		return;
	int64_t tmo = c->cfg.timeout_ms > 0 ? c->cfg.timeout_ms : 100;
	int64_t quiet = 2 * tmo + 100;
	struct timespec rt;
	clock_gettime(CLOCK_REALTIME, &rt);
	struct drain_ctx d = {.c = c, .newest_us = 0, .n = 0};
	int64_t stop_us = (int64_t)rt.tv_sec * 1000000 + rt.tv_nsec / 1000;
	int64_t t0 = mono_ms(), last = t0;
	for (;;) {
		int64_t before = mono_ms();
		if (before - t0 > 5000)
			break; /* a flood, or breaks that keep coming: the drain is bounded */
		uint64_t had = d.n;
		int rc = pcap_dispatch(c->live, 4096, drain_cb, (u_char *)&d);
		if (rc == PCAP_ERROR_BREAK)
			continue; /* capture_stop()'s pcap_breakloop() left for a read that did not come:
				   * this call consumed it, the next one reads */
		if (rc < 0)
			break;
		if (d.n > had) {
			ring_flush(c->ring);
			last = mono_ms();
			if (d.newest_us > stop_us)
				break; /* the kernel is past the stop */
			continue;
		}
		if (before - last > quiet)
			break;
		struct timespec nap = {0, 5 * 1000000};
		nanosleep(&nap, NULL);
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
	if (c->pull)
		return true; /* read in place by capture_next(): no thread */
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
	close_mapped(c);
	free((void *)c->snaplens);
	if (c->live)
		pcap_close(c->live);
	for (size_t i = 0; i < c->nnames; i++)
		free(c->names[i]);
	free(c->names);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/* ------------------------------------------------------------ shares of -j N offline */

/* The IP addresses of a plain Ethernet (+ 802.1Q/QinQ) IPv4 or IPv6 packet carrying TCP or
 * ICMP, read with the cursor; false for anything else, which goes through the full decoder
 * (tunnels, UDP that may be VXLAN, other link types): for a packet read here the decoder
 * would find the same innermost addresses. */
static bool peek_pair(const uint8_t *data, uint32_t caplen, int linktype, int *family, const uint8_t **a,
		      const uint8_t **b)
{
	if (linktype != DLT_EN10MB)
		return false;
	struct cursor c = cur_make(data, caplen);
	uint16_t et;
	if (!cur_skip(&c, 12) || !cur_be16(&c, &et))
		return false;
	for (int i = 0; i < 2 && (et == 0x8100 || et == 0x88a8); i++)
		if (!cur_skip(&c, 2) || !cur_be16(&c, &et))
			return false;
	uint8_t v, proto;
	const uint8_t *p;
	if (et == 0x0800) {
		if (!cur_peek_u8(&c, 0, &v) || (v >> 4) != 4 || (v & 15) < 5 || !cur_peek_u8(&c, 9, &proto) ||
		    (proto != 6 && proto != 1) || !cur_skip(&c, 12) || !cur_bytes(&c, 8, &p))
			return false;
		*family = 4;
		*a = p;
		*b = p + 4;
		return true;
	}
	if (et == 0x86dd) {
		if (!cur_peek_u8(&c, 0, &v) || (v >> 4) != 6 || !cur_peek_u8(&c, 6, &proto) ||
		    (proto != 6 && proto != 58) || !cur_skip(&c, 8) || !cur_bytes(&c, 32, &p))
			return false;
		*family = 6;
		*a = p;
		*b = p + 16;
		return true;
	}
	return false;
}

/* scratch: the decoder's packet and counters (only the addresses are used) */
static uint32_t share_with(const uint8_t *data, uint32_t caplen, int linktype, uint32_t shares, struct packet *pkt,
			   struct decode_stats *st)
{
	if (shares <= 1)
		return 0;
	int family;
	const uint8_t *a, *b;
	if (!peek_pair(data, caplen, linktype, &family, &a, &b)) {
		pkt->data = (uint8_t *)(uintptr_t)data; /* decode_packet only reads */
		pkt->caplen = caplen;
		pkt->wirelen = caplen;
		pkt->linktype = linktype;
		const struct decode_cfg dc = {.vxlan_port = 4789};
		if (decode_packet(pkt, &dc, st) != DEC_OK || (pkt->family != 4 && pkt->family != 6))
			return 0;
		family = pkt->family;
		a = pkt->src;
		b = pkt->dst;
	}
	size_t n = family == 4 ? 4 : 16;
	if (memcmp(a, b, n) > 0) {
		const uint8_t *t = a;
		a = b;
		b = t;
	}
	/* FNV-1a over the ordered pair: fixed, so that every process and every run agree */
	uint64_t h = 0xcbf29ce484222325ULL ^ (uint64_t)family;
	for (size_t i = 0; i < n; i++)
		h = (h ^ a[i]) * 0x100000001b3ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	h ^= h >> 29;
	return (uint32_t)(h % shares);
}

uint32_t capture_share_of(const uint8_t *data, uint32_t caplen, int linktype, uint32_t shares)
{
	struct packet pkt;
	struct decode_stats st;
	memset(&pkt, 0, sizeof(pkt));
	memset(&st, 0, sizeof(st));
	return share_with(data, caplen, linktype, shares, &pkt, &st);
}

static bool foreign(struct capture *c, const uint8_t *data, uint32_t caplen, int linktype)
{
	return c->cfg.shares > 1 &&
	       share_with(data, caplen, linktype, c->cfg.shares, &c->share_pkt, &c->share_st) != c->cfg.share;
}

/* ------------------------------------------------------------ items for the analysis loop */

/* Can this input be read in place? A regular file starting with the classic pcap magic
 * (either byte order, micro- or nanosecond) and version 2.4. */
static bool mappable(const char *name)
{
	if (strcmp(name, "-") == 0)
		return false;
	struct stat sb;
	if (stat(name, &sb) != 0 || !S_ISREG(sb.st_mode))
		return false;
	FILE *fp = fopen(name, "rb");
	if (!fp)
		return false;
	uint8_t h[6];
	bool ok = fread(h, 1, sizeof(h), fp) == sizeof(h);
	fclose(fp);
	if (!ok)
		return false;
	uint32_t le = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
	uint16_t vle = (uint16_t)(h[4] | h[5] << 8), vbe = (uint16_t)(h[4] << 8 | h[5]);
	if (le == 0xa1b2c3d4u || le == 0xa1b23c4du)
		return vle == 2;
	if (le == 0xd4c3b2a1u || le == 0x4d3cb2a1u)
		return vbe == 2;
	return false;
}

static void unmap_window(struct mapped_input *m)
{
	if (m->win)
		munmap(m->win, m->win_len);
	m->win = NULL;
	m->win_len = 0;
}

static void close_mapped(struct capture *c)
{
	struct mapped_input *m = c->in;
	if (!m)
		return;
	c->done_bytes += m->size; /* progress: this input is behind us */
	atomic_store_explicit(&c->bytes_read, c->done_bytes, memory_order_relaxed);
	unmap_window(m);
	if (m->p)
		pcap_close(m->p); /* closes fp */
	free(m);
	c->in = NULL;
}

/* Map the window holding file bytes [off, off + need); false when the mapping fails. */
static bool map_at(struct mapped_input *m, uint64_t off, size_t need)
{
	if (m->win && off >= m->win_off && off + need <= m->win_off + m->win_len)
		return true;
	unmap_window(m);
	long pg = sysconf(_SC_PAGESIZE);
	uint64_t start = off - off % (uint64_t)(pg > 0 ? pg : 4096);
	uint64_t len = KG_MIN((uint64_t)MAP_WINDOW, m->size - start);
	if (len < off - start + need)
		len = off - start + need; /* a record near a window's end: map enough for it */
	void *w = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_PRIVATE, m->fd, (off_t)start);
	if (w == MAP_FAILED)
		return false;
	madvise(w, (size_t)len, MADV_SEQUENTIAL);
#ifdef MADV_POPULATE_READ
	/* the window's page tables in one call rather than a fault per 64 KiB (Linux 5.14; an
	 * older kernel says EINVAL and the pages fault in as they are read) */
	(void)madvise(w, (size_t)len, MADV_POPULATE_READ);
#endif
	m->win = w;
	m->win_off = start;
	m->win_len = (size_t)len;
	return true;
}

static uint32_t rd32(const uint8_t *p, bool swapped)
{
	uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	return swapped ? __builtin_bswap32(v) : v;
}

/* Open input idx for reading in place; false with a message in c->msg. */
static bool open_mapped(struct capture *c, uint32_t idx)
{
	const char *name = c->names[idx];
	char eb[PCAP_ERRBUF_SIZE] = "";
	struct mapped_input *m = kg_calloc(1, sizeof(*m), "mapped input");
	m->fd = -1;
	m->fp = fopen(name, "rb");
	if (m->fp)
		m->p = pcap_fopen_offline_with_tstamp_precision(m->fp, PCAP_TSTAMP_PRECISION_MICRO, eb);
	else
		snprintf(eb, sizeof(eb), "%s", strerror(errno));
	if (!m->p) {
		if (m->fp)
			fclose(m->fp);
		free(m);
		snprintf(c->msg, sizeof(c->msg), "%s: not a readable pcap or pcapng capture: %s", name, eb);
		return false;
	}
	m->linktype = pcap_datalink(m->p);
	atomic_store_explicit(&c->snaplens[idx], (uint32_t)pcap_snapshot(m->p), memory_order_release);
	if (!decode_linktype_supported(m->linktype)) {
		snprintf(c->msg, sizeof(c->msg), "%s: link type %d (%s) is not supported", name, m->linktype,
			 decode_linktype_name(m->linktype));
		pcap_close(m->p);
		free(m);
		return false;
	}
	m->fd = fileno(m->fp);
	struct stat sb;
	uint8_t hdr[24];
	m->fallback = true; /* unless everything below holds */
	if (fstat(m->fd, &sb) == 0)
		m->size = (uint64_t)sb.st_size;
	if (m->size >= 24 && pread(m->fd, hdr, sizeof(hdr), 0) == (ssize_t)sizeof(hdr)) {
		uint32_t magic = rd32(hdr, false);
		m->swapped = magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u;
		m->nsec = magic == 0xa1b23c4du || magic == 0x4d3cb2a1u;
		m->snaplen = (uint32_t)pcap_snapshot(m->p);
		uint32_t lt_field = rd32(hdr + 20, m->swapped);
		m->off = 24;
		/* the link type field's upper bits (FCS length) change how libpcap reads packets */
		if ((lt_field & 0xffff0000u) == 0 && m->snaplen > 0 && map_at(m, 24, 0))
			m->fallback = false;
	}
	if (m->fallback && fseek(m->fp, 24, SEEK_SET) != 0) {
		/* libpcap has read the header already; stay where it is */
	}
	c->in = m;
	return true;
}

/* The next packet of the open input into it; 1 = a packet, 0 = the input ended, -1 = an
 * error (message in c->msg). */
static int next_mapped(struct capture *c, struct capture_item *it)
{
	struct mapped_input *m = c->in;
	const char *name = c->names[c->next_input - 1];
	if (!m->fallback) {
		if (m->off == m->size)
			return 0;
		bool ok = m->size - m->off >= 16 && map_at(m, m->off, 16);
		uint32_t caplen = 0, wirelen = 0, sec = 0, frac = 0;
		if (ok) {
			const uint8_t *h = m->win + (m->off - m->win_off);
			sec = rd32(h, m->swapped);
			frac = rd32(h + 4, m->swapped);
			caplen = rd32(h + 8, m->swapped);
			wirelen = rd32(h + 12, m->swapped);
			ok = caplen <= m->snaplen && m->size - m->off - 16 >= caplen && map_at(m, m->off, 16 + (size_t)caplen);
		}
		if (ok) {
			uint8_t *h = m->win + (m->off - m->win_off);
			/* libpcap reads the seconds as signed 32 bits */
			struct timeval tv = {.tv_sec = (time_t)(int32_t)sec, .tv_usec = (suseconds_t)(m->nsec ? frac / 1000 : frac)};
			it->kind = REC_PACKET;
			it->flags = 0;
			clamp_ts(&tv, &it->ts_us, &it->flags);
			it->caplen = caplen;
			it->wirelen = wirelen;
			it->linktype = m->linktype;
			it->data = h + 16;
			m->off += 16 + (uint64_t)caplen;
			m->n++;
			return 1;
		}
		/* something libpcap judges: let it read the rest of the file from this record */
		m->fallback = true;
		unmap_window(m);
		if (fseek(m->fp, (long)m->off, SEEK_SET) != 0) {
			snprintf(c->msg, sizeof(c->msg), "%s: read error after packet %llu: %s", name,
				 (unsigned long long)m->n, strerror(errno));
			return -1;
		}
	}
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc = pcap_next_ex(m->p, &h, &data);
	if (rc == 1) {
		it->kind = REC_PACKET;
		it->flags = 0;
		clamp_ts(&h->ts, &it->ts_us, &it->flags);
		it->caplen = h->caplen;
		it->wirelen = h->len;
		it->linktype = pcap_datalink(m->p);
		it->data = (uint8_t *)(uintptr_t)data; /* libpcap's buffer: ours until the next read */
		m->n++;
		return 1;
	}
	if (rc == PCAP_ERROR_BREAK)
		return 0;
	snprintf(c->msg, sizeof(c->msg), "%s: read error after packet %llu: %s (the events of the packets before it are kept)",
		 name, (unsigned long long)m->n, pcap_geterr(m->p));
	return -1;
}

static bool next_pulled(struct capture *c, struct capture_item *it)
{
	memset(it, 0, sizeof(*it));
	for (;;) {
		if (c->done)
			return false;
		if (atomic_load(&c->stop) || (!c->in && c->next_input >= c->nnames)) {
			close_mapped(c);
			c->done = true;
			it->kind = REC_ALL_DONE;
			return true;
		}
		if (!c->in) {
			uint32_t idx = c->next_input++;
			if (!open_mapped(c, idx)) {
				it->kind = REC_INPUT_ERROR;
				it->input = idx;
				it->data = (uint8_t *)c->msg;
				return true;
			}
			continue;
		}
		uint32_t idx = c->next_input - 1;
		int r = next_mapped(c, it);
		it->input = idx;
		if (r > 0 && foreign(c, it->data, it->caplen, it->linktype)) {
			it->kind = REC_TIME;
			it->caplen = it->wirelen = 0;
			it->data = NULL;
			return true;
		}
		if (r > 0) {
			struct mapped_input *m = c->in;
			if (!m->fallback || (m->n & 255) == 0) { /* progress: the file offset */
				long off = m->fallback ? ftell(m->fp) : (long)m->off;
				atomic_store_explicit(&c->bytes_read, c->done_bytes + (off > 0 ? (uint64_t)off : 0),
						      memory_order_relaxed);
			}
			c->n_packets++;
			c->n_bytes += it->wirelen;
			atomic_store_explicit(&c->packets, c->n_packets, memory_order_relaxed);
			atomic_store_explicit(&c->bytes, c->n_bytes, memory_order_relaxed);
			return true;
		}
		close_mapped(c);
		if (r < 0) {
			it->kind = REC_INPUT_ERROR;
			it->data = (uint8_t *)c->msg;
			return true;
		}
	}
}

bool capture_next(struct capture *c, struct capture_item *it, int timeout_ms)
{
	if (c->pull)
		return next_pulled(c, it);
	struct ring_rec *r = ring_peek(c->ring, timeout_ms);
	if (!r)
		return false;
	c->cur_rec = r;
	it->kind = r->kind;
	it->flags = r->flags;
	it->caplen = r->caplen;
	it->wirelen = r->wirelen;
	it->linktype = r->linktype;
	it->input = r->input;
	it->ts_us = r->ts_us;
	it->data = r->data;
	return true;
}

void capture_release(struct capture *c)
{
	if (c->cur_rec) {
		ring_release(c->ring, c->cur_rec);
		c->cur_rec = NULL;
	}
}
