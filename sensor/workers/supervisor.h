/* supervisor.h - workers: live capture (-i IFACE -j N) spread over N analysis processes by one
 * PACKET_FANOUT group; their events merged into one output, their stats into one stats event.
 * Takes: a capture configuration and the program's analysis entry point. Gives: one event stream.
 *
 * The supervisor knows nothing of the analysis: the program hands it in through struct
 * supervisor_app, so this stage depends on capture/ and output/ only. */
#ifndef KAGAMI_SUPERVISOR_H
#define KAGAMI_SUPERVISOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/capture.h"
#include "output/output.h"

struct capture;
struct ring;
struct output;
struct emitter;

/* What the program gives the supervisor. Every callback is required but done. */
struct supervisor_app {
	void *ctx;
	/* In a worker process: analyse cap (it fills ring) into out until the input ends or
	 * SIGTERM; worker is the worker's number (0..N-1), to be named in its stats. Returns
	 * an exit status (enum kg_exit); out is flushed, not closed. */
	int (*analyse)(void *ctx, struct capture *cap, struct ring *ring, struct output *out, int worker);
	/* Once, after every capture handle is open and before any output is: the pid file
	 * and giving up privileges. False with a message in errbuf stops the start-up. */
	bool (*drop_privileges)(void *ctx, char *errbuf, size_t errlen);
	/* Once the output is open: load what the workers will load (rules, databases) and
	 * throw it away, so that a configuration error stops the start-up rather than every
	 * worker in turn. em may be used for events about the check. */
	bool (*check)(void *ctx, struct emitter *em, char *errbuf, size_t errlen);
	/* At the very end (may be NULL): remove the pid file. */
	void (*done)(void *ctx);
};

struct supervisor_cfg {
	struct capture_cfg cap;   /* cap.iface: the interface the workers share */
	int workers;              /* N (at most 64) */
	size_t spares;            /* capture handles kept for restarts once privileges are gone */
	uint64_t ring_bytes;      /* each worker's packet ring; 0 = 64 MiB */
	struct output_cfg out;    /* the merged output */
	const char *sensor_name;
	/* sees every event of the merged output once written (the summary); may be NULL */
	void (*tap)(void *ctx, const uint8_t *event, size_t len);
	void *tap_ctx;
};

/* Open N capture handles in one fanout group (and the spares) while privileged, drop
 * privileges, open the output, then run and watch N workers, restart those that die,
 * forward signals (SIGHUP also reopens the output) and merge their stats. Returns the
 * exit status once every worker has stopped after SIGTERM/SIGINT. */
int supervisor_run(const struct supervisor_cfg *cfg, const struct supervisor_app *app);

#endif
