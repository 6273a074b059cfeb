/* sensor.c - process-level wiring: the optional modules (signatures, geolocation, observation) and reload (see sensor.h). */
#include "config.h"

#include "sensor.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo.h"
#include "observe.h"
#include "util.h"

/* ---------------------------------------------------------------- geolocation and observation */

#ifndef KAGAMI_SRC_GEOIP_DIR
#define KAGAMI_SRC_GEOIP_DIR ""
#endif

static int str_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The *.mmdb files of dir, in name order (at most GEO_MAX_DBS); returns how many. */
static size_t list_mmdb(const char *dir, char **out)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL && n < GEO_MAX_DBS) {
		size_t l = strlen(de->d_name);
		if (l <= 5 || de->d_name[0] == '.' || strcmp(de->d_name + l - 5, ".mmdb") != 0)
			continue;
		size_t need = strlen(dir) + l + 2;
		out[n] = kg_malloc(need, "geolocation path");
		snprintf(out[n], need, "%s/%s", dir, de->d_name);
		n++;
	}
	closedir(d);
	qsort(out, n, sizeof(*out), str_cmp);
	return n;
}

/* --geoip FILE...: those files, any fault is an error. Otherwise the default directory:
 * $KAGAMI_GEOIP_DIR when set, else the installed KAGAMI_GEOIP_DIR, else the source tree's
 * data/geoip (where tools/setup puts the database); every *.mmdb in it is loaded. No database
 * there: a one-line notice and geolocation is off. A corrupt one: an error. */
static bool geo_obs_init(struct sensor_modules *m, const struct options *opt, struct emitter *em, char *errbuf,
			 size_t errlen)
{
	struct geo *g = NULL;
	if (!opt->no_geoip && opt->ngeoip_paths) {
		if (geo_open(&g, (const char *const *)opt->geoip_paths, opt->ngeoip_paths, NULL, errbuf, errlen) != GEO_OK)
			return false;
	} else if (!opt->no_geoip) {
		const char *env = getenv("KAGAMI_GEOIP_DIR");
		const char *dirs[2] = {KAGAMI_GEOIP_DIR, KAGAMI_SRC_GEOIP_DIR};
		size_t ndirs = 2;
		if (env && *env) {
			dirs[0] = env;
			ndirs = 1;
		}
		char *paths[GEO_MAX_DBS];
		size_t n = 0;
		for (size_t i = 0; i < ndirs && n == 0; i++)
			if (*dirs[i])
				n = list_mmdb(dirs[i], paths);
		if (n == 0) {
			fprintf(stderr, "kagami: note: no geolocation database in %s%s%s; geolocation is off "
					"(run tools/setup, or give --geoip FILE)\n",
				dirs[0], ndirs > 1 && *dirs[1] ? " or " : "", ndirs > 1 ? dirs[1] : "");
		} else {
			int rc = geo_open(&g, (const char *const *)paths, n, NULL, errbuf, errlen);
			for (size_t i = 0; i < n; i++)
				free(paths[i]);
			if (rc != GEO_OK)
				return false;
		}
	}
	if (g) {
		m->geo = g;
		emitter_set_geo(em, geo_event_field, g);
	}
	if (!opt->no_observe) {
		struct observe_cfg oc = {.interval_s = opt->observe_interval_s,
					 .top_n = opt->observe_top_n,
					 .max_keys = opt->observe_max_keys};
		struct observe *o;
		if (observe_new(&o, &oc, g, errbuf, errlen) != OBS_OK)
			return false;
		m->obs = o;
	}
	return true;
}

static void geo_obs_attach(struct sensor_modules *m, struct engine *e)
{
	if (m->geo && !geo_attach(m->geo, e))
		fprintf(stderr, "kagami: note: too many engine modules; geolocation counters are not in stats\n");
	if (m->obs && !observe_attach(m->obs, e))
		fprintf(stderr, "kagami: note: too many engine modules; observation is off\n");
}

static void geo_obs_free(struct sensor_modules *m)
{
	if (m->em)
		emitter_set_geo(m->em, NULL, NULL);
	observe_free(m->obs);
	geo_close(m->geo);
	m->obs = NULL;
	m->geo = NULL;
}

bool sensor_modules_init(struct sensor_modules *m, const struct options *opt, struct emitter *em, char *errbuf,
			 size_t errlen)
{
	memset(m, 0, sizeof(*m));
	m->em = em;
	if (opt->nrule_paths) {
		snprintf(errbuf, errlen, "signature rules are not supported by this build");
		return false;
	}
	if (!geo_obs_init(m, opt, em, errbuf, errlen)) {
		sensor_modules_free(m);
		return false;
	}
	return true;
}

void sensor_modules_attach(struct sensor_modules *m, struct engine *e)
{
	geo_obs_attach(m, e);
}

void sensor_modules_free(struct sensor_modules *m)
{
	geo_obs_free(m);
	memset(m, 0, sizeof(*m));
}

void sensor_reload(struct sensor_modules *m, const struct options *opt, struct engine *e)
{
	(void)m;
	(void)opt;
	size_t failed = engine_reload(e);
	if (failed)
		fprintf(stderr, "kagami: SIGHUP: %zu module%s kept the state loaded before\n", failed,
			failed == 1 ? "" : "s");
}

int sensor_test_rules(const struct options *opt)
{
	(void)opt;
	fprintf(stderr, "kagami: signature rules are not supported by this build\n");
	return KG_EXIT_USAGE;
}

void sensor_note_clamped_timestamp(struct engine *e) { engine_count_decode_error(e, DE_TIMESTAMP_RANGE); }
