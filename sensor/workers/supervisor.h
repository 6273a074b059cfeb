/* supervisor.h - workers: one capture spread over N analysis processes, their events merged into
 * one output, their stats into one stats event, their per-host verdicts into one per host.
 * Takes: a capture configuration and the program's analysis entry point. Gives: one event stream.
 *
 * Live (-i IFACE -j N): one PACKET_FANOUT group spreads the interface's flows over the workers.
 * Offline (-r ... -j N): every worker reads the inputs itself and analyses its share of the
 * flows (capture_share_of(): by the pair of IP addresses), passing the packet time of the rest
 * on to its engine, so timeouts fall as with one process; a regular file is read from the page
 * cache by each worker with no packet copied between processes, stdin is copied to every worker
 * by one reader thread (back-pressure: the slowest worker paces it; nothing is lost).
 * With observe set, one more worker, the observer, sees every packet (offline: every packet of
 * the inputs; live: a capture handle of its own outside the fanout group) and runs only what
 * needs every packet in one place: fixed-point observation.
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

enum worker_kind {
	WORKER_ANALYSIS = 0, /* the flows of its share: reassembly, dissectors, rules, flow events */
	WORKER_OBSERVER,     /* every packet: fixed-point observation only */
};

/* What the program gives the supervisor. Every callback is required but done and the merge pair. */
struct supervisor_app {
	void *ctx;
	/* In a worker process: analyse cap (read it with capture_next(); ring is the capture
	 * thread's, for live captures and streams) into out until the input ends or SIGTERM;
	 * worker is the worker's number (0..N-1, the observer N), to be named in its stats.
	 * Returns an exit status (enum kg_exit); out is flushed, not closed. */
	int (*analyse)(void *ctx, struct capture *cap, struct ring *ring, struct output *out, int worker,
		       enum worker_kind kind);
	/* Once, after every capture handle is open and before any output is: the pid file
	 * and giving up privileges. False with a message in errbuf stops the start-up. */
	bool (*drop_privileges)(void *ctx, char *errbuf, size_t errlen);
	/* Once the output is open: load what the workers will load (rules, databases) and
	 * throw it away, so that a configuration error stops the start-up rather than every
	 * worker in turn. em may be used for events about the check. */
	bool (*check)(void *ctx, struct emitter *em, char *errbuf, size_t errlen);
	/* At the very end (may be NULL): remove the pid file. */
	void (*done)(void *ctx);
	/* Events about state spread over the workers (per-host verdicts), or NULL for none.
	 * merge_key: is ev (a whole event) such an event? Then key[0..*keylen) (at most 64 bytes,
	 * compared bytewise: the output order) names what it is about, and *partial says it is a
	 * part to add up (a record a worker evicted) rather than the worker's latest view. The
	 * supervisor keeps every worker's latest view and parts per key and, at the end (live
	 * also at each merged stats event, for the keys that changed), has merge_emit write the
	 * one event that combines them, with summary "final" or "periodic". */
	const char *merge_type; /* the event_type merge_key is asked about: no other event is parsed */
	bool (*merge_key)(void *ctx, const uint8_t *ev, size_t len, uint8_t *key, size_t *keylen, bool *partial);
	void (*merge_emit)(void *ctx, struct emitter *em, const uint8_t *const *parts, const size_t *lens, size_t n,
			   const char *summary);
	/* Offline (may be NULL): the progress of the run, from the SUPERVISOR_PROGRESS_EVENT events
	 * the workers write (taken in, never written): bytes of the inputs read (the slowest
	 * worker's), their total (0 = unknown), packets read (the observer's count, which sees them
	 * all, else the workers' sum), alert events written so far; end at the last call. */
	void (*progress)(void *ctx, uint64_t bytes, uint64_t total, uint64_t packets, uint64_t alerts, bool end);
	void *progress_ctx;     /* its ctx */
};

/* The event type of a worker's progress report: {"progress": {"bytes", "total", "packets"}}. */
#define SUPERVISOR_PROGRESS_EVENT "kagami_progress"

struct supervisor_cfg {
	struct capture_cfg cap;   /* cap.iface: the interface the workers share; else cap.inputs */
	int workers;              /* N analysis workers (at most 63) */
	bool observe;             /* and one observer */
	size_t spares;            /* capture handles kept for restarts once privileges are gone */
	uint64_t ring_bytes;      /* each worker's packet ring; 0 = 64 MiB */
	struct output_cfg out;    /* the merged output */
	const char *sensor_name;
	/* sees every event of the merged output once written (the summary); may be NULL */
	void (*tap)(void *ctx, const uint8_t *event, size_t len);
	void *tap_ctx;
};

/* Live: open the capture handles (N in one fanout group, the observer's, the spares) while
 * privileged, drop privileges, open the output, then run and watch the workers, restart those
 * that die, forward signals (SIGHUP also reopens the output) and merge their stats. Offline:
 * the same without handles and restarts (a worker that dies ends the run with status 4).
 * Returns the exit status once every worker has stopped (offline: the worst of theirs). */
int supervisor_run(const struct supervisor_cfg *cfg, const struct supervisor_app *app);

#endif
