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
/* SIGHUP: reload what can be reloaded (rules); problems are reported, the old state kept. */
void sensor_reload(struct sensor_modules *m, const struct options *opt, struct engine *e);
int sensor_test_rules(const struct options *opt);
bool sensor_drop_privileges(const struct options *opt, char *errbuf, size_t errlen);
void sensor_note_clamped_timestamp(struct engine *e);
int sensor_run(struct options *opt);

#endif
