/* output.h - event sinks: msgpack stream or JSON lines to a file, stdout or a pipe.
 *
 * An output only ever writes whole events: it buffers complete events and
 * flushes at event boundaries. When a write fails (disk full, closed pipe) the
 * output is marked failed, a regular file is cut back to the end of its last
 * complete event, and every later call returns the same error, so the caller
 * can stop and exit non-zero with output_errdetail().
 */
#ifndef KAGAMI_OUTPUT_H
#define KAGAMI_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

enum output_format { OUT_FMT_MSGPACK = 0, OUT_FMT_JSON };

enum output_err {
	OUT_OK = 0,
	OUT_E_OPEN,    /* could not open the destination */
	OUT_E_WRITE,   /* a write failed (errno kept in the detail) */
	OUT_E_NOSPACE, /* ENOSPC / EDQUOT */
	OUT_E_PIPE,    /* the reader went away (EPIPE) */
	OUT_E_ENCODE,  /* the event could not be encoded */
	OUT_E_STATE,   /* API misuse */
};

const char *output_strerror(int err);

struct output_cfg {
	const char *path;          /* "-" = stdout */
	enum output_format format;
	unsigned json_flags;       /* MPJSON_* */
	size_t buffer_size;        /* default 256 KiB */
};

struct output;

/* Returns OUT_OK and *out, or an error code with a message in errbuf. */
int output_open(const struct output_cfg *cfg, struct output **out, char *errbuf, size_t errlen);
/* Queue one complete msgpack event. */
int output_write(struct output *o, const uint8_t *event, size_t len);
/* Write out what is buffered. */
int output_flush(struct output *o);
/* Reopen the destination (after logrotate moved it). */
int output_reopen(struct output *o);
/* Flush and close; returns the first error the output met. */
int output_close(struct output *o);
/* "write events.mp: No space left on device" - valid while o lives. */
const char *output_errdetail(const struct output *o);
uint64_t output_bytes(const struct output *o);

#endif
