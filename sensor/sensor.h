/* sensor.h - process-level wiring of kagami: exit codes, the optional modules (signatures,
 * geolocation, observation) attached to the engine, privileges, reload. */
#ifndef KAGAMI_SENSOR_H
#define KAGAMI_SENSOR_H

#include <stdbool.h>
#include <stddef.h>

#include "engine.h"
#include "event.h"
#include "options.h"

enum kg_exit {
	KG_EXIT_OK = 0,
	KG_EXIT_USAGE = 1,    /* usage or configuration error */
	KG_EXIT_INPUT = 2,    /* an input could not be read completely */
	KG_EXIT_OUTPUT = 3,   /* events could not be written */
	KG_EXIT_INTERNAL = 4, /* out of memory, library failure */
};

/* Modules that are not part of the core pipeline, created from the options. */
struct sensor_modules {
	void *sig;   /* signature engine */
	void *geo;   /* geolocation */
	void *obs;   /* observation */
	struct emitter *em;
};

bool sensor_modules_init(struct sensor_modules *m, const struct options *opt, struct emitter *em, char *errbuf,
			 size_t errlen);
void sensor_modules_attach(struct sensor_modules *m, struct engine *e);
void sensor_modules_free(struct sensor_modules *m);
/* SIGHUP, on the analysis thread: engine_reload() runs the reload hook of every engine
 * module (signature rules, ...); a failed hook is reported, the old state kept. */
void sensor_reload(struct sensor_modules *m, const struct options *opt, struct engine *e);
int sensor_test_rules(const struct options *opt);
bool sensor_drop_privileges(const struct options *opt, char *errbuf, size_t errlen);
void sensor_note_clamped_timestamp(struct engine *e);
int sensor_run(struct options *opt);

/* ---- deployment: one process or a supervisor of workers (main.c, supervisor.c) ---- */
struct capture;
struct ring;
struct output;
struct output_cfg;
/* The output configuration the options ask for. */
void sensor_output_cfg(const struct options *opt, struct output_cfg *oc);
/* Run the analysis of one capture into out until its input ends or SIGTERM/SIGINT;
 * SIGUSR1 writes a stats event, SIGHUP reloads and reopens out. extra (may be
 * NULL) is one more engine module. Returns an exit code (enum kg_exit); out is
 * flushed, not closed. */
int sensor_analyse(struct options *opt, struct capture *cap, struct ring *ring, struct output *out,
		   const struct engine_module *extra);
/* -i with -j N > 1: open N capture handles in one PACKET_FANOUT group, drop
 * privileges, run and watch N worker processes, merge their events into one
 * output (supervisor.c). */
int supervisor_run(struct options *opt);
bool sensor_write_pidfile(const struct options *opt, char *errbuf, size_t errlen);
void sensor_remove_pidfile(const struct options *opt);
int64_t sensor_wall_us(void);

#endif
