/* progress.h - the progress line of an offline run when stderr is a terminal: bytes read of
 * the inputs' total (stdin: bytes and rate only), packets per second, alerts so far and the
 * time left, redrawn in place with \r at most four times a second and cleared at the end.
 * The program decides whether to show it (main.c: offline, stderr a terminal, no --quiet, the
 * events not written to that terminal). */
#ifndef KAGAMI_PROGRESS_H
#define KAGAMI_PROGRESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct progress_figures {
	uint64_t bytes;   /* bytes of the inputs read */
	uint64_t total;   /* their total size, 0 = unknown */
	uint64_t packets; /* packets read */
	uint64_t alerts;  /* alert events written */
};

struct progress;

struct progress *progress_new(FILE *fp, int64_t now_us);
/* The figures at wall time now_us: drawn at the first call and then at most every 250 ms. */
void progress_update(struct progress *p, int64_t now_us, const struct progress_figures *f);
/* Clear the line (before another message goes to the same terminal); the next update redraws. */
void progress_clear(struct progress *p);
/* Draw the final figures once more, clear the line, free p. */
void progress_end(struct progress *p, int64_t now_us, const struct progress_figures *f);

/* The line for figures f after elapsed_us (no \r, no newline), for tests and the terminal. */
void progress_format(char *buf, size_t buflen, const struct progress_figures *f, int64_t elapsed_us);

#endif
