/* output_unix.h - unix-socket sink for local consumers (unix(7), SOCK_STREAM).
 *
 * kagami listens on a socket path; any number of local consumers (up to
 * max_clients) connect and read the event stream, in the output's format
 * (msgpack or JSON lines), from the first event written after the sink accepted
 * them (stats.output.unix.clients counts the accepted ones). A thread of its own
 * accepts consumers and writes to them; consumers only read: what they send is
 * discarded. The sink never slows the sensor down.
 *
 * The promise to each consumer: it may be up to client_buffer bytes of events
 * behind what was written (on top of what its socket holds in the kernel) and
 * lose nothing, however late it or the sink's thread is scheduled: when a
 * consumer's queue is half full, the writer itself moves bytes into the socket
 * before the thread gets to it. Only an event that finds neither room in the
 * socket nor client_buffer free is dropped, whole (never a part of one), and
 * counted in events_dropped. At close every consumer gets up to drain_ms to
 * take what is queued for it; what is still queued then (past the event it is
 * in the middle of, which gets one more second) is counted in
 * events_unsent_at_stop and said on stderr.
 */
#ifndef KAGAMI_OUTPUT_UNIX_H
#define KAGAMI_OUTPUT_UNIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output.h"

struct usock_cfg {
	const char *path;
	uint32_t mode;          /* permissions of the socket file (default 0660) */
	uint32_t max_clients;   /* default 16 */
	size_t client_buffer;   /* bytes held per consumer (default 4 MiB) */
	uint32_t drain_ms;      /* longest wait for consumers at close (default 10 s; 0 = none) */
	bool drain_set;         /* drain_ms was given (0 is a value) */
};

struct usock;

/* Binds and listens (a stale socket file left by a crash is replaced; any
 * other file at path is an error), then starts the thread. 0, or -1 with errbuf. */
int usock_open(const struct usock_cfg *cfg, enum output_format fmt, unsigned json_flags, struct usock **out,
	       char *errbuf, size_t errlen);
void usock_write(struct usock *u, const uint8_t *event, size_t len);
/* Stops the thread, gives consumers up to drain_ms to take what is queued for
 * them (and one more second to finish the event they are in), closes them and
 * removes the socket file. Returns how many events stayed undelivered then. */
uint64_t usock_close(struct usock *u);
/* Events dropped at a full consumer buffer (overflows) so far. */
uint64_t usock_dropped(struct usock *u);
/* The sink's counters (the "unix" map of stats events). */
void usock_counters(struct usock *u, struct out_counters *g);

#endif
