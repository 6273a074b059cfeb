/* output.c - event sinks: the file sink with rotation, and the fan-out to the Fluent Forward
 * and unix-socket sinks (see output.h). */
#include "config.h"

#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mpjson.h"
#include "output_forward.h"
#include "output_unix.h"
#include "util/util.h"

struct output {
	struct output_cfg cfg;
	/* file sink */
	bool has_file;
	char *path;
	int fd;
	bool is_stdout;
	bool own_fd;        /* close fd at the end */
	bool regular;       /* a regular file: can be cut back on failure, rotated */
	off_t committed;    /* file offset after the last complete event written */
	struct strbuf buf;  /* complete events waiting to be written */
	struct strbuf json; /* scratch for JSON conversion */
	int64_t buf_since;  /* wall time the oldest buffered event was queued (0 = empty) */
	int64_t next_rotate;/* wall time of the next rotation by time (0 = none yet) */
	uint64_t rotations, rotate_errors;
	int err;
	char detail[512];
	uint64_t bytes;
	/* network sinks */
	struct fwd *fwd;
	struct usock *usock;
	uint64_t lost_at_close;
};

const char *output_strerror(int err)
{
	switch (err) {
	case OUT_OK: return "no error";
	case OUT_E_OPEN: return "cannot open output";
	case OUT_E_WRITE: return "write error";
	case OUT_E_NOSPACE: return "no space left on the output device";
	case OUT_E_PIPE: return "output reader went away (broken pipe)";
	case OUT_E_ENCODE: return "event could not be encoded";
	case OUT_E_STATE: return "output used in a wrong state";
	case OUT_E_ROTATE: return "output file could not be rotated";
	default: return "unknown output error";
	}
}

static int64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int open_fd(struct output *o, char *errbuf, size_t errlen)
{
	if (o->cfg.use_fd) {
		o->fd = o->cfg.fd;
		o->own_fd = true;
	} else if (o->is_stdout) {
		o->fd = STDOUT_FILENO;
	} else {
		o->fd = open(o->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		if (o->fd < 0) {
			snprintf(errbuf, errlen, "cannot open %s: %s", o->path, strerror(errno));
			return OUT_E_OPEN;
		}
		o->own_fd = true;
	}
	struct stat sb;
	o->regular = fstat(o->fd, &sb) == 0 && S_ISREG(sb.st_mode);
	o->committed = o->regular ? lseek(o->fd, 0, SEEK_END) : 0;
	if (o->committed < 0)
		o->committed = 0;
	return OUT_OK;
}

static void schedule_rotation(struct output *o, int64_t now)
{
	if (!o->cfg.rotate_interval_s)
		return;
	/* on multiples of the interval since the epoch: hourly files start on the hour */
	int64_t iv = (int64_t)o->cfg.rotate_interval_s * 1000000;
	o->next_rotate = (now / iv + 1) * iv;
}

int output_open(const struct output_cfg *cfg, struct output **out, char *errbuf, size_t errlen)
{
	struct output *o = kg_calloc(1, sizeof(*o), "output");
	o->cfg = *cfg;
	o->cfg.forward = NULL;
	o->cfg.usock = NULL;
	if (!o->cfg.buffer_size)
		o->cfg.buffer_size = 256 * 1024;
	if (!o->cfg.flush_ms)
		o->cfg.flush_ms = 1000;
	o->has_file = !cfg->no_file;
	o->path = kg_strdup(cfg->use_fd ? "<pipe>" : cfg->path ? cfg->path : "-", "output path");
	o->is_stdout = !cfg->use_fd && strcmp(o->path, "-") == 0;
	o->fd = -1;
	sb_init(&o->buf, 0);
	sb_init(&o->json, 64u << 20);
	int rc = OUT_OK;
	if (o->has_file)
		rc = open_fd(o, errbuf, errlen);
	if (rc == OUT_OK && o->has_file && (cfg->rotate_bytes || cfg->rotate_interval_s) && !o->regular) {
		snprintf(errbuf, errlen, "rotation needs a regular file, and %s is not one", o->path);
		rc = OUT_E_OPEN;
	}
	if (rc == OUT_OK && cfg->forward && fwd_open(cfg->forward, &o->fwd, errbuf, errlen) != 0)
		rc = OUT_E_OPEN;
	if (rc == OUT_OK && cfg->usock && usock_open(cfg->usock, cfg->format, cfg->json_flags, &o->usock, errbuf,
						     errlen) != 0)
		rc = OUT_E_OPEN;
	if (rc != OUT_OK) {
		if (o->fwd)
			fwd_close(o->fwd);
		if (o->own_fd && o->fd >= 0)
			close(o->fd);
		sb_free(&o->buf);
		sb_free(&o->json);
		free(o->path);
		free(o);
		return rc;
	}
	schedule_rotation(o, wall_us());
	*out = o;
	return OUT_OK;
}

static int fail(struct output *o, int err, int eno)
{
	o->err = err;
	snprintf(o->detail, sizeof(o->detail), "write %s: %s", o->is_stdout ? "<stdout>" : o->path, strerror(eno));
	/* never leave half an event behind in a file */
	if (o->regular && ftruncate(o->fd, o->committed) != 0) {
		size_t l = strlen(o->detail);
		snprintf(o->detail + l, sizeof(o->detail) - l, " (and could not cut back a partial event: %s)",
			 strerror(errno));
	}
	return err;
}

/* Bytes at the start of buf.data[0..n) that are whole events: up to the last newline for
 * JSON lines, the msgpack objects that fit for msgpack. */
static size_t whole_events(const struct output *o, size_t n)
{
	const uint8_t *p = (const uint8_t *)o->buf.data;
	if (o->cfg.format == OUT_FMT_JSON) {
		while (n > 0 && p[n - 1] != '\n')
			n--;
		return n;
	}
	size_t off = 0;
	for (;;) {
		size_t ol, bad;
		if (off >= n || mp_object_size(p + off, n - off, &ol, &bad) != MP_OK || ol > n - off)
			return off;
		off += ol;
	}
}

static int file_flush(struct output *o)
{
	if (o->err)
		return o->err;
	size_t off = 0;
	while (off < o->buf.len) {
		ssize_t w = write(o->fd, o->buf.data + off, o->buf.len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			int eno = errno;
			int err = eno == ENOSPC || eno == EDQUOT ? OUT_E_NOSPACE : eno == EPIPE ? OUT_E_PIPE : OUT_E_WRITE;
			if (o->regular) /* keep the whole events that made it; fail() cuts the rest */
				o->committed += (off_t)whole_events(o, off);
			return fail(o, err, eno);
		}
		if (w == 0)
			return fail(o, OUT_E_WRITE, EIO);
		off += (size_t)w;
	}
	if (o->regular)
		o->committed += (off_t)off;
	o->bytes += off;
	sb_reset(&o->buf);
	o->buf_since = 0;
	return OUT_OK;
}

int output_flush(struct output *o)
{
	if (o->fwd)
		fwd_flush(o->fwd);
	if (!o->has_file)
		return OUT_OK;
	return file_flush(o);
}

void output_rotated_name(const char *path, int64_t now_us, unsigned n, char *buf, size_t buflen)
{
	char t[40], c[20];
	kg_format_time(now_us, t, sizeof(t));
	/* "2017-05-18T10:11:12.123456+0000" -> "20170518T101112Z" */
	size_t k = 0;
	for (size_t i = 0; t[i] && t[i] != '.' && k + 2 < sizeof(c); i++)
		if (t[i] != '-' && t[i] != ':')
			c[k++] = t[i];
	c[k++] = 'Z';
	c[k] = '\0';
	if (n)
		snprintf(buf, buflen, "%s.%s.%u", path, c, n);
	else
		snprintf(buf, buflen, "%s.%s", path, c);
}

/* Close the current file between two events, rename it to its timestamped name
 * and open a fresh one. A rename that fails leaves the file where it is (counted,
 * reported once); a new file that cannot be opened fails the output. */
static int rotate(struct output *o, int64_t now)
{
	int rc = file_flush(o);
	if (rc != OUT_OK)
		return rc;
	schedule_rotation(o, now);
	if (o->committed == 0)
		return OUT_OK;
	char target[4096];
	unsigned n = 0;
	struct stat sb;
	do
		output_rotated_name(o->path, now, n, target, sizeof(target));
	while (lstat(target, &sb) == 0 && ++n < 1000);
	if (rename(o->path, target) != 0) {
		if (!o->rotate_errors++)
			fprintf(stderr, "kagami: cannot rotate %s to %s: %s (writing on in %s)\n", o->path, target,
				strerror(errno), o->path);
		return OUT_OK;
	}
	if (o->own_fd)
		close(o->fd);
	char eb[512];
	rc = open_fd(o, eb, sizeof(eb));
	if (rc != OUT_OK) {
		o->err = OUT_E_ROTATE;
		o->fd = -1;
		o->own_fd = false;
		snprintf(o->detail, sizeof(o->detail), "after rotating %.200s: %.280s", o->path, eb);
		return o->err;
	}
	o->rotations++;
	return OUT_OK;
}

static int file_write(struct output *o, const uint8_t *event, size_t len)
{
	if (o->err)
		return o->err;
	if (o->cfg.format == OUT_FMT_JSON) {
		sb_reset(&o->json);
		enum mp_status st = mp_to_json(event, len, &o->json, o->cfg.json_flags);
		if (st != MP_OK || !sb_putc(&o->json, '\n'))
			return OUT_E_ENCODE;
		event = (const uint8_t *)o->json.data;
		len = o->json.len;
	}
	if (o->cfg.rotate_bytes) {
		uint64_t size = (uint64_t)o->committed + o->buf.len;
		if (size > 0 && size + len > o->cfg.rotate_bytes) {
			int rc = rotate(o, wall_us());
			if (rc != OUT_OK)
				return rc;
		}
	}
	if (o->buf.len + len > o->cfg.buffer_size && o->buf.len) {
		int rc = file_flush(o);
		if (rc != OUT_OK)
			return rc;
	}
	if (!o->buf.len && o->cfg.flush_ms)
		o->buf_since = wall_us();
	sb_append(&o->buf, event, len);
	if (o->buf.len >= o->cfg.buffer_size)
		return file_flush(o);
	return OUT_OK;
}

int output_write(struct output *o, const uint8_t *event, size_t len)
{
	if (o->fwd)
		fwd_write(o->fwd, event, len);
	if (o->usock)
		usock_write(o->usock, event, len);
	if (!o->has_file)
		return OUT_OK;
	return file_write(o, event, len);
}

int output_tick(struct output *o, int64_t now_us)
{
	if (!o->has_file)
		return OUT_OK;
	if (o->err)
		return o->err;
	if (o->next_rotate && now_us >= o->next_rotate)
		return rotate(o, now_us);
	if (o->buf.len && o->buf_since && now_us - o->buf_since >= (int64_t)o->cfg.flush_ms * 1000)
		return file_flush(o);
	return OUT_OK;
}

int output_reopen(struct output *o)
{
	if (!o->has_file)
		return OUT_OK;
	int rc = file_flush(o);
	if (rc != OUT_OK || o->is_stdout || o->cfg.use_fd)
		return rc;
	close(o->fd);
	char eb[512];
	rc = open_fd(o, eb, sizeof(eb));
	if (rc != OUT_OK) {
		o->err = rc;
		o->fd = -1;
		o->own_fd = false;
		snprintf(o->detail, sizeof(o->detail), "%s", eb);
	}
	return rc;
}

int output_close(struct output *o)
{
	if (!o)
		return OUT_OK;
	int err = OUT_OK;
	if (o->has_file) {
		file_flush(o);
		err = o->err;
		if (o->own_fd && o->fd >= 0) {
			if (close(o->fd) != 0 && !err) {
				err = errno == ENOSPC || errno == EDQUOT ? OUT_E_NOSPACE : OUT_E_WRITE;
				o->err = err;
			}
		}
	}
	if (o->usock) {
		/* a consumer that overflowed its buffer is counted in stats; one that did not
		 * take what was queued for it within the drain timeout is said here */
		uint64_t unsent = usock_close(o->usock);
		if (unsent)
			fprintf(stderr, "kagami: unix socket: %llu events not delivered at exit (a consumer did not read them within the drain timeout)\n",
				(unsigned long long)unsent);
	}
	if (o->fwd) {
		uint64_t fl = fwd_close(o->fwd);
		if (fl) {
			fprintf(stderr, "kagami: forward: %llu events could not be delivered or spooled\n",
				(unsigned long long)fl);
			if (!err)
				err = OUT_E_WRITE;
		}
	}
	sb_free(&o->buf);
	sb_free(&o->json);
	free(o->path);
	free(o);
	return err;
}

const char *output_errdetail(const struct output *o) { return o->err ? o->detail : ""; }
uint64_t output_bytes(const struct output *o) { return o->bytes; }

uint64_t output_lost(const struct output *o)
{
	uint64_t n = 0;
	if (o->fwd)
		n += fwd_dropped(o->fwd);
	return n;
}

size_t output_counters(struct output *o, struct out_counters g[OUT_SINKS_MAX])
{
	size_t n = 0;
	if (o->has_file && !o->cfg.use_fd) {
		g[n] = (struct out_counters){.sink = "file"};
		out_count(&g[n], "bytes", o->bytes);
		out_count(&g[n], "rotations", o->rotations);
		out_count(&g[n], "rotate_errors", o->rotate_errors);
		n++;
	}
	if (o->fwd)
		fwd_counters(o->fwd, &g[n++]);
	if (o->usock)
		usock_counters(o->usock, &g[n++]);
	return n;
}
