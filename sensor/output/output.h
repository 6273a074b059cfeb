/* output.h - event sinks: msgpack stream or JSON lines to a file, stdout or a pipe, with
 * rotation; and, beside it, the Fluent Forward (output_forward.h) and unix-socket
 * (output_unix.h) sinks. One struct output fans every event out to the sinks configured.
 *
 * An output only ever writes whole events: it buffers complete events and
 * flushes at event boundaries. When a write to the file sink fails (disk full,
 * closed pipe) the output is marked failed, a regular file is cut back to the
 * end of its last complete event, and every later call returns the same error,
 * so the caller can stop and exit non-zero with output_errdetail(). Rotation
 * happens between two events, so no event is ever split across files. The
 * network sinks never fail the output: they queue, spool, and count what they
 * could not deliver (output_lost()).
 *
 * Stage output/ (event builder, alerts, msgpack/JSON, sinks): takes whole events; gives files,
 * pipes, unix-socket consumers and Fluent collectors their bytes, and never a partial event.
 */
#ifndef KAGAMI_OUTPUT_H
#define KAGAMI_OUTPUT_H

#include <stdbool.h>
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
	OUT_E_ROTATE,  /* the file could not be renamed or reopened at rotation */
};

const char *output_strerror(int err);

struct fwd_cfg;
struct usock_cfg;

struct output_cfg {
	const char *path;          /* file sink: "-" = stdout (also when NULL) */
	bool no_file;              /* no file sink at all (network sinks only) */
	bool use_fd;               /* write to fd instead of path (a worker's pipe) */
	int fd;
	enum output_format format;
	unsigned json_flags;       /* MPJSON_* */
	size_t buffer_size;        /* default 256 KiB */
	uint64_t rotate_bytes;     /* rotate the file before it would pass this size; 0 = never */
	uint32_t rotate_interval_s;/* rotate a non-empty file this often (wall clock); 0 = never */
	uint32_t flush_ms;         /* output_tick() writes buffered events older than this; 0 = 1000 */
	const struct fwd_cfg *forward;   /* Fluent Forward sink, or NULL */
	const struct usock_cfg *usock;   /* unix-socket sink, or NULL */
};

struct output;

/* Returns OUT_OK and *out, or an error code with a message in errbuf. */
int output_open(const struct output_cfg *cfg, struct output **out, char *errbuf, size_t errlen);
/* Queue one complete msgpack event for every sink. */
int output_write(struct output *o, const uint8_t *event, size_t len);
/* Write out what is buffered. */
int output_flush(struct output *o);
/* Periodic work, at least every second on a live sensor: write buffered events
 * older than flush_ms, rotate by time. now_us is wall-clock time. */
int output_tick(struct output *o, int64_t now_us);
/* Reopen the destination (after logrotate moved it). */
int output_reopen(struct output *o);
/* Flush and close; the network sinks deliver what they can within their close
 * timeout and spool the rest. Returns the first error the file sink met, or
 * OUT_E_WRITE when a network sink lost events (see output_lost()). */
int output_close(struct output *o);
/* "write events.mp: No space left on device" - valid while o lives. */
const char *output_errdetail(const struct output *o);
uint64_t output_bytes(const struct output *o);
/* Events the network sinks dropped so far (spool full, slow local consumers). */
uint64_t output_lost(const struct output *o);
/* The counters of one sink, by name, for the stats event: the sinks only count, the
 * event builder (emitter_output_stats(), output/event.h) turns the groups into maps. */
#define OUT_COUNTERS_MAX 32
struct out_counter {
	const char *name; /* a literal */
	uint64_t value;
	bool boolean;     /* written as true/false */
};
struct out_counters {
	const char *sink; /* "file", "forward", "unix" */
	size_t n;
	struct out_counter c[OUT_COUNTERS_MAX];
};
static inline void out_count(struct out_counters *g, const char *name, uint64_t v)
{
	if (g->n < OUT_COUNTERS_MAX)
		g->c[g->n++] = (struct out_counter){.name = name, .value = v};
}
static inline void out_count_bool(struct out_counters *g, const char *name, bool v)
{
	if (g->n < OUT_COUNTERS_MAX)
		g->c[g->n++] = (struct out_counter){.name = name, .value = v, .boolean = true};
}
#define OUT_SINKS_MAX 3
/* Fill one group per configured sink (file when it is a file, forward, unix), in that
 * order, into g[0..OUT_SINKS_MAX); returns how many. */
size_t output_counters(struct output *o, struct out_counters g[OUT_SINKS_MAX]);

/* Rotated file name: "<path>.<UTC YYYYMMDDTHHMMSSZ>" (".N" appended when taken). */
void output_rotated_name(const char *path, int64_t now_us, unsigned n, char *buf, size_t buflen);

#endif
