/* pcapfile.c - evidence capture files in libpcap's savefile format (pcap-savefile(5); the
 * LINKTYPE_* values of https://www.tcpdump.org/linktypes.html), see pcapfile.h. */
#include "config.h"

#include "pcapfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

#define PCF_HDR 24        /* file header */
#define PCF_REC_HDR 16    /* per-packet record header */
#define PCF_BUFFER (256u << 10)
#define PCF_DEFAULT_SNAPLEN 262144u

struct pcapfile {
	struct pcapfile_cfg cfg;
	char *dir;
	/* the current file (fd < 0: none) */
	int fd;
	uint64_t seq;
	int dlt;
	uint32_t snaplen;
	off_t committed;          /* bytes on disk: the header and whole records */
	bool header_on_disk;
	uint64_t pkts;            /* packets given an index in the file (on disk and queued) */
	uint64_t pkts_on_disk;
	struct strbuf buf;        /* what is queued: the header while it is not on disk, records */
	/* the file before it, for pcapfile_on_disk() */
	uint64_t prev_seq, prev_pkts;
	uint64_t next_seq;
	/* the worker's files in dir, oldest first (only with a max_files cap) */
	uint64_t *kept;
	size_t nkept, kept_cap;
	bool told_write, told_open, told_remove;
	struct pcapfile_stats st;
};

const char *pcapfile_strerror(int err)
{
	switch (err) {
	case PCF_OK: return "no error";
	case PCF_E_DIR: return "the evidence directory cannot be created or read";
	case PCF_E_NOTDIR: return "the evidence path is not a directory";
	case PCF_E_ACCESS: return "the evidence directory is not writable";
	default: return "unknown evidence file error";
	}
}

/* The file header's network field: the LINKTYPE_* value of a DLT_* (they differ only where
 * DLT values are platform-specific; these are the link types kagami decodes). */
static uint32_t linktype_of(int dlt)
{
	switch (dlt) {
	case DLT_RAW: return 101;   /* LINKTYPE_RAW (DLT_RAW is 12 or 14 by platform) */
	case DLT_LOOP: return 108;  /* LINKTYPE_LOOP (DLT_LOOP is 12 on OpenBSD) */
	default: return (uint32_t)dlt; /* DLT_NULL, EN10MB, LINUX_SLL, LINUX_SLL2, IPV4, IPV6 */
	}
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

static void queue_header(struct pcapfile *w)
{
	uint8_t h[PCF_HDR];
	put32(h, 0xa1b2c3d4u); /* microsecond timestamps, written in host byte order */
	put16(h + 4, 2);
	put16(h + 6, 4);
	put32(h + 8, 0);       /* thiszone */
	put32(h + 12, 0);      /* sigfigs */
	put32(h + 16, w->snaplen);
	put32(h + 20, linktype_of(w->dlt));
	sb_append(&w->buf, h, sizeof(h));
}

void pcapfile_path(const struct pcapfile *w, uint64_t seq, char *buf, size_t buflen)
{
	snprintf(buf, buflen, "%s/kagami-%u-%06llu.pcap", w->dir, w->cfg.worker, (unsigned long long)seq);
}

const char *pcapfile_dir(const struct pcapfile *w) { return w->dir; }

/* seq when name is "kagami-<worker>-<digits>.pcap" of this writer's worker, else 0. */
static uint64_t seq_of(const struct pcapfile *w, const char *name)
{
	char pre[32];
	int n = snprintf(pre, sizeof(pre), "kagami-%u-", w->cfg.worker);
	if (n <= 0 || strncmp(name, pre, (size_t)n) != 0)
		return 0;
	const char *d = name + n;
	uint64_t v = 0;
	size_t k = 0;
	for (; d[k] >= '0' && d[k] <= '9' && k < 18; k++)
		v = v * 10 + (uint64_t)(d[k] - '0');
	if (k == 0 || strcmp(d + k, ".pcap") != 0)
		return 0;
	return v;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void keep_seq(struct pcapfile *w, uint64_t seq)
{
	if (w->nkept == w->kept_cap) {
		w->kept_cap = w->kept_cap ? w->kept_cap * 2 : 16;
		w->kept = kg_realloc(w->kept, w->kept_cap * sizeof(*w->kept), "evidence file list");
	}
	w->kept[w->nkept++] = seq;
}

static void forget_seq(struct pcapfile *w, uint64_t seq)
{
	for (size_t i = 0; i < w->nkept; i++)
		if (w->kept[i] == seq) {
			memmove(w->kept + i, w->kept + i + 1, (w->nkept - i - 1) * sizeof(*w->kept));
			w->nkept--;
			return;
		}
}

int pcapfile_open(struct pcapfile **out, const struct pcapfile_cfg *cfg, char *errbuf, size_t errlen)
{
	const char *dir = cfg->dir && *cfg->dir ? cfg->dir : ".";
	struct stat sb;
	if (stat(dir, &sb) != 0) {
		if (errno != ENOENT || mkdir(dir, 0750) != 0 || stat(dir, &sb) != 0) {
			snprintf(errbuf, errlen, "--pcap-log %s: %s", dir, strerror(errno));
			return PCF_E_DIR;
		}
	}
	if (!S_ISDIR(sb.st_mode)) {
		snprintf(errbuf, errlen, "--pcap-log %s: not a directory", dir);
		return PCF_E_NOTDIR;
	}
	if (access(dir, W_OK | X_OK) != 0) {
		snprintf(errbuf, errlen, "--pcap-log %s: cannot write there: %s", dir, strerror(errno));
		return PCF_E_ACCESS;
	}
	struct pcapfile *w = kg_calloc(1, sizeof(*w), "evidence writer");
	w->cfg = *cfg;
	w->dir = kg_strdup(dir, "evidence directory");
	size_t l = strlen(w->dir);
	while (l > 1 && w->dir[l - 1] == '/')
		w->dir[--l] = '\0';
	w->cfg.dir = w->dir;
	w->fd = -1;
	sb_init(&w->buf, 0);
	DIR *d = opendir(w->dir);
	if (!d) {
		snprintf(errbuf, errlen, "--pcap-log %s: %s", w->dir, strerror(errno));
		sb_free(&w->buf);
		free(w->dir);
		free(w);
		return PCF_E_DIR;
	}
	uint64_t hi = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		uint64_t s = seq_of(w, de->d_name);
		if (!s)
			continue;
		hi = KG_MAX(hi, s);
		w->st.files++;
		if (cfg->max_files)
			keep_seq(w, s);
	}
	closedir(d);
	if (w->nkept)
		qsort(w->kept, w->nkept, sizeof(*w->kept), cmp_u64);
	w->next_seq = hi + 1;
	*out = w;
	return PCF_OK;
}

/* Bytes of buf[0..n) that are the header (when queued) and whole records, and how many records. */
static size_t whole_records(const struct pcapfile *w, size_t n, uint64_t *nrec)
{
	const uint8_t *p = (const uint8_t *)w->buf.data;
	size_t off = 0;
	*nrec = 0;
	if (!w->header_on_disk) {
		if (n < PCF_HDR)
			return 0;
		off = PCF_HDR;
	}
	while (n - off >= PCF_REC_HDR) {
		uint32_t incl;
		memcpy(&incl, p + off + 8, 4);
		if (n - off - PCF_REC_HDR < incl)
			break;
		off += PCF_REC_HDR + incl;
		(*nrec)++;
	}
	return off;
}

/* "kagami: pcap-log: <what> <path>: <errno text>; <then>", the first time only. */
static void tell_once(bool *told, const char *what, const char *path, int eno, const char *then)
{
	if (*told)
		return;
	*told = true;
	fprintf(stderr, "kagami: pcap-log: %s %s: %s%s\n", what, path, strerror(eno), then);
}

bool pcapfile_flush(struct pcapfile *w)
{
	if (w->fd < 0 || !w->buf.len)
		return true;
	size_t off = 0;
	int eno = 0;
	while (off < w->buf.len) {
		ssize_t r = write(w->fd, w->buf.data + off, w->buf.len - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			eno = r < 0 ? errno : EIO;
			break;
		}
		off += (size_t)r;
	}
	uint64_t nrec;
	size_t whole = off == w->buf.len ? off : whole_records(w, off, &nrec);
	if (off == w->buf.len)
		nrec = w->pkts - w->pkts_on_disk;
	if (whole && !w->header_on_disk)
		w->header_on_disk = true;
	w->committed += (off_t)whole;
	w->pkts_on_disk += nrec;
	w->st.packets += nrec;
	w->st.bytes += whole;
	sb_reset(&w->buf);
	if (!eno)
		return true;
	/* cut back to the last whole record; the queued packets after it are lost, and their
	 * indexes go to the packets that follow */
	char path[4096];
	pcapfile_path(w, w->seq, path, sizeof(path));
	w->st.write_errors++;
	w->st.packets_dropped += w->pkts - w->pkts_on_disk;
	w->pkts = w->pkts_on_disk;
	if (ftruncate(w->fd, w->committed) != 0 || lseek(w->fd, w->committed, SEEK_SET) < 0) {
		/* the file may end in a cut record: leave it, the next packet starts a new file */
		fprintf(stderr, "kagami: pcap-log: cannot cut %s back to its last whole packet: %s\n", path,
			strerror(errno));
		close(w->fd);
		w->fd = -1;
		w->prev_seq = w->seq;
		w->prev_pkts = w->pkts_on_disk;
	} else if (!w->header_on_disk) {
		queue_header(w);
	}
	tell_once(&w->told_write, "write", path, eno,
		  "; evidence packets are dropped until writes succeed again (stats.pcap_log.packets_dropped); "
		  "the events are not affected");
	return false;
}

/* Close the current file; one that holds no packet on disk is removed (it would be no
 * readable capture). */
static void close_current(struct pcapfile *w)
{
	if (w->fd < 0)
		return;
	(void)pcapfile_flush(w); /* a failure is counted and reported there */
	sb_reset(&w->buf);
	if (close(w->fd) != 0) {
		char path[4096];
		pcapfile_path(w, w->seq, path, sizeof(path));
		w->st.write_errors++;
		tell_once(&w->told_write, "close", path, errno, "; the file may lack its last packets");
	}
	w->fd = -1;
	if (!w->pkts_on_disk) {
		char path[4096];
		pcapfile_path(w, w->seq, path, sizeof(path));
		if (unlink(path) == 0) {
			w->st.files--;
			forget_seq(w, w->seq);
		}
	}
	w->prev_seq = w->seq;
	w->prev_pkts = w->pkts_on_disk;
}

/* Remove the oldest files until a new one fits under the cap. */
static void enforce_cap(struct pcapfile *w)
{
	while (w->cfg.max_files && w->nkept >= w->cfg.max_files) {
		uint64_t s = w->kept[0];
		char path[4096];
		pcapfile_path(w, s, path, sizeof(path));
		forget_seq(w, s);
		if (unlink(path) == 0 || errno == ENOENT) {
			w->st.files_removed++;
			if (w->st.files)
				w->st.files--;
		} else {
			w->st.remove_errors++;
			tell_once(&w->told_remove, "cannot remove", path, errno, " (--pcap-log-max-files)");
		}
	}
}

static bool open_next(struct pcapfile *w, int dlt, uint32_t snaplen)
{
	close_current(w);
	enforce_cap(w);
	char path[4096];
	for (int tries = 0; tries < 1000; tries++) {
		uint64_t s = w->next_seq++;
		pcapfile_path(w, s, path, sizeof(path));
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
		if (fd < 0 && errno == EEXIST)
			continue; /* another process writes here too: take the next number */
		if (fd < 0) {
			w->st.open_errors++;
			tell_once(&w->told_open, "cannot create", path, errno,
				  "; evidence packets are dropped until it can (stats.pcap_log.packets_dropped)");
			w->next_seq--;
			return false;
		}
		w->fd = fd;
		w->seq = s;
		w->dlt = dlt;
		w->snaplen = snaplen;
		w->committed = 0;
		w->header_on_disk = false;
		w->pkts = w->pkts_on_disk = 0;
		sb_reset(&w->buf);
		queue_header(w);
		w->st.files_opened++;
		w->st.files++;
		if (w->cfg.max_files)
			keep_seq(w, s);
		return true;
	}
	w->st.open_errors++;
	return false;
}

bool pcapfile_write(struct pcapfile *w, const struct pcapfile_rec *rec, struct pcapfile_pos *pos)
{
	uint32_t snaplen = rec->snaplen ? rec->snaplen : PCF_DEFAULT_SNAPLEN;
	if (snaplen < rec->caplen)
		snaplen = KG_MAX(rec->caplen, PCF_DEFAULT_SNAPLEN); /* a header that lied: keep every byte */
	size_t need = PCF_REC_HDR + rec->caplen;
	bool fits = !w->cfg.max_bytes || !w->pkts ||
		    (uint64_t)w->committed + w->buf.len + need <= w->cfg.max_bytes;
	if (w->fd < 0 || w->dlt != rec->dlt || w->snaplen != snaplen || !fits) {
		if (!open_next(w, rec->dlt, snaplen)) {
			w->st.packets_dropped++;
			return false;
		}
	}
	uint8_t h[PCF_REC_HDR];
	int64_t s = rec->ts_us / 1000000, us = rec->ts_us % 1000000;
	if (s < 0) {
		s = 0;
		us = 0;
	}
	put32(h, s > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)s); /* pcap's seconds end in 2106 */
	put32(h + 4, (uint32_t)us);
	put32(h + 8, rec->caplen);
	put32(h + 12, KG_MAX(rec->wirelen, rec->caplen));
	sb_append(&w->buf, h, sizeof(h));
	sb_append(&w->buf, rec->data, rec->caplen);
	pos->seq = w->seq;
	pos->index = ++w->pkts;
	if (w->buf.len >= PCF_BUFFER)
		(void)pcapfile_flush(w); /* a failure is counted and reported there */
	return true;
}

bool pcapfile_on_disk(const struct pcapfile *w, const struct pcapfile_pos *pos)
{
	if (!pos->index)
		return false;
	if (w->fd >= 0 && pos->seq == w->seq)
		return pos->index <= w->pkts_on_disk;
	return pos->seq == w->prev_seq && pos->index <= w->prev_pkts;
}

void pcapfile_get_stats(const struct pcapfile *w, struct pcapfile_stats *st) { *st = w->st; }

void pcapfile_close(struct pcapfile *w)
{
	if (!w)
		return;
	close_current(w);
	sb_free(&w->buf);
	free(w->kept);
	free(w->dir);
	free(w);
}
