/* output_unix.h - unix-socket sink for local consumers (unix(7), SOCK_STREAM).
 *
 * kagami listens on a socket path; any number of local consumers (up to
 * max_clients) connect and read the event stream, in the output's format
 * (msgpack or JSON lines), from the next whole event after they connect. A
 * consumer that falls behind by more than client_buffer bytes misses whole
 * events (counted per sink and in stats), never parts of one; it is never
 * allowed to slow the sensor down. Consumers only read: what they send is
 * discarded. A thread of its own accepts consumers and writes to them.
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
};

struct usock;

/* Binds and listens (a stale socket file left by a crash is replaced; any
 * other file at path is an error), then starts the thread. 0, or -1 with errbuf. */
int usock_open(const struct usock_cfg *cfg, enum output_format fmt, unsigned json_flags, struct usock **out,
	       char *errbuf, size_t errlen);
void usock_write(struct usock *u, const uint8_t *event, size_t len);
/* Stops the thread, gives consumers up to a second to take what is buffered,
 * closes them and removes the socket file. */
void usock_close(struct usock *u);
uint64_t usock_dropped(struct usock *u);
/* The sink's counters (the "unix" map of stats events). */
void usock_counters(struct usock *u, struct out_counters *g);

#endif
