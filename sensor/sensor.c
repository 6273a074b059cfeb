/* sensor.c - process-level wiring: the optional modules (signatures, geolocation, observation) and reload (see sensor.h). */
#include "config.h"

#include "sensor.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

bool sensor_modules_init(struct sensor_modules *m, const struct options *opt, struct emitter *em, char *errbuf,
			 size_t errlen)
{
	memset(m, 0, sizeof(*m));
	m->em = em;
	if (opt->nrule_paths) {
		snprintf(errbuf, errlen, "signature rules are not supported by this build");
		return false;
	}
	return true;
}

void sensor_modules_attach(struct sensor_modules *m, struct engine *e)
{
	(void)m;
	(void)e;
}

void sensor_modules_free(struct sensor_modules *m) { memset(m, 0, sizeof(*m)); }

void sensor_reload(struct sensor_modules *m, const struct options *opt, struct engine *e)
{
	(void)m;
	(void)opt;
	(void)e;
}

int sensor_test_rules(const struct options *opt)
{
	(void)opt;
	fprintf(stderr, "kagami: signature rules are not supported by this build\n");
	return KG_EXIT_USAGE;
}

void sensor_note_clamped_timestamp(struct engine *e) { engine_count_decode_error(e, DE_TIMESTAMP_RANGE); }
