/* sensor.h - process-level wiring of kagami: the optional modules (signatures, geolocation,
 * observation) attached to the engine, reload, rule testing. With main.c, the composition
 * root: the only place that knows every stage (see docs/hacking.md, "Layout"). */
#ifndef KAGAMI_SENSOR_H
#define KAGAMI_SENSOR_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/engine.h"
#include "options.h"
#include "output/event.h"
#include "util/util.h"

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
void sensor_note_clamped_timestamp(struct engine *e);

#endif
