/* output.c - event sinks (see output.h). */
#include "config.h"

#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpjson.h"
#include "util.h"

struct output {
	struct output_cfg cfg;
	char *path;
	int fd;
	bool is_stdout;
	bool regular;       /* a regular file: can be cut back on failure */
	off_t committed;    /* file offset after the last complete event written */
	struct strbuf buf;  /* complete events waiting to be written */
	struct strbuf json; /* scratch for JSON conversion */
	int err;
	char detail[512];
	uint64_t bytes;
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
	default: return "unknown output error";
	}
}

static int open_fd(struct output *o, char *errbuf, size_t errlen)
{
	if (o->is_stdout) {
		o->fd = STDOUT_FILENO;
	} else {
		o->fd = open(o->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		if (o->fd < 0) {
			snprintf(errbuf, errlen, "cannot open %s: %s", o->path, strerror(errno));
			return OUT_E_OPEN;
		}
	}
	struct stat sb;
	o->regular = fstat(o->fd, &sb) == 0 && S_ISREG(sb.st_mode);
	o->committed = o->regular ? lseek(o->fd, 0, SEEK_END) : 0;
	if (o->committed < 0)
		o->committed = 0;
	return OUT_OK;
}

int output_open(const struct output_cfg *cfg, struct output **out, char *errbuf, size_t errlen)
{
	struct output *o = kg_calloc(1, sizeof(*o), "output");
	o->cfg = *cfg;
	if (!o->cfg.buffer_size)
		o->cfg.buffer_size = 256 * 1024;
	o->path = kg_strdup(cfg->path ? cfg->path : "-", "output path");
	o->is_stdout = strcmp(o->path, "-") == 0;
	o->fd = -1;
	sb_init(&o->buf, 0);
	sb_init(&o->json, 64u << 20);
	int rc = open_fd(o, errbuf, errlen);
	if (rc != OUT_OK) {
		sb_free(&o->buf);
		sb_free(&o->json);
		free(o->path);
		free(o);
		return rc;
	}
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

int output_flush(struct output *o)
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
	return OUT_OK;
}

int output_write(struct output *o, const uint8_t *event, size_t len)
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
	if (o->buf.len + len > o->cfg.buffer_size && o->buf.len) {
		int rc = output_flush(o);
		if (rc != OUT_OK)
			return rc;
	}
	sb_append(&o->buf, event, len);
	if (o->buf.len >= o->cfg.buffer_size)
		return output_flush(o);
	return OUT_OK;
}

int output_reopen(struct output *o)
{
	int rc = output_flush(o);
	if (rc != OUT_OK || o->is_stdout)
		return rc;
	close(o->fd);
	char eb[256];
	rc = open_fd(o, eb, sizeof(eb));
	if (rc != OUT_OK) {
		o->err = rc;
		snprintf(o->detail, sizeof(o->detail), "%s", eb);
	}
	return rc;
}

int output_close(struct output *o)
{
	if (!o)
		return OUT_OK;
	output_flush(o);
	int err = o->err;
	if (!o->is_stdout && o->fd >= 0) {
		if (close(o->fd) != 0 && !err) {
			err = errno == ENOSPC || errno == EDQUOT ? OUT_E_NOSPACE : OUT_E_WRITE;
			o->err = err;
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
