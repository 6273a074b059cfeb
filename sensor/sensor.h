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
	void *evidence; /* --pcap-log */
	struct emitter *em;
};

bool sensor_modules_init(struct sensor_modules *m, const struct options *opt, struct emitter *em, char *errbuf,
			 size_t errlen);
void sensor_modules_attach(struct sensor_modules *m, struct engine *e);
void sensor_modules_free(struct sensor_modules *m);
/* --pcap-log: the evidence log of worker (0 for one process), its files numbered for it; the
 * emitter's alerts then name their capture file. Checks the directory and writes nothing yet.
 * Call after sensor_modules_init(); attach with sensor_evidence_attach() after every other
 * engine module (engine/evidence.h). True without --pcap-log. */
bool sensor_evidence_init(struct sensor_modules *m, const struct options *opt, unsigned worker, char *errbuf,
			  size_t errlen);
void sensor_evidence_attach(struct sensor_modules *m, struct engine *e);
/* The packets that follow come from an input with this snap length. */
void sensor_note_input(struct sensor_modules *m, uint32_t snaplen);
/* A packet as read, before engine_packet() (--pcap-log-mode all writes it here). */
void sensor_packet_in(struct sensor_modules *m, const struct packet *pkt);
/* SIGHUP, on the analysis thread: engine_reload() runs the reload hook of every engine
 * module (signature rules, ...); a failed hook is reported, the old state kept. */
void sensor_reload(struct sensor_modules *m, const struct options *opt, struct engine *e);
int sensor_test_rules(const struct options *opt);
void sensor_note_clamped_timestamp(struct engine *e);

#endif
