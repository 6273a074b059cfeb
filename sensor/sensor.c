/* sensor.c - process-level wiring: the optional modules (signatures, geolocation, observation) and reload (see sensor.h). */
#include "config.h"

#include "sensor.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/evidence.h"
#include "enrich/geo.h"
#include "enrich/observe.h"
#include "signatures/mpm.h"
#include "signatures/sig.h"
#include "util/util.h"

/* ---------------------------------------------------------------- geolocation and observation */

#ifndef KAGAMI_SRC_GEOIP_DIR
#define KAGAMI_SRC_GEOIP_DIR ""
#endif

static int str_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The *.mmdb files of dir, in name order (at most GEO_MAX_DBS); returns how many. A directory
 * that exists but cannot be read (the -u user may not search it): *why is its errno, else 0. */
static size_t list_mmdb(const char *dir, char **out, int *why)
{
	DIR *d = opendir(dir);
	if (!d) {
		if (errno != ENOENT)
			*why = errno;
		return 0;
	}
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
		int why[2] = {0, 0};
		for (size_t i = 0; i < ndirs && n == 0; i++)
			if (*dirs[i])
				n = list_mmdb(dirs[i], paths, &why[i]);
		if (n == 0) {
			/* a -j N worker: the supervisor said it once; an unreadable directory is named with
			 * its reason (after -u the sensor's user reads it, at start and at SIGHUP alike) */
			if (!opt->worker) {
				bool two = ndirs > 1 && *dirs[1];
				fprintf(stderr, "kagami: note: no geolocation database in %s%s%s%s%s%s%s; geolocation is off "
						"(run tools/setup, or give --geoip FILE)\n",
					dirs[0], why[0] ? ": " : "", why[0] ? strerror(why[0]) : "", two ? " or " : "",
					two ? dirs[1] : "", two && why[1] ? ": " : "", two && why[1] ? strerror(why[1]) : "");
			}
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

/* ---------------------------------------------------------------- signatures */

static const char *rule_var(void *ctx, const char *name) { return options_var(ctx, name); }

/* The rule prefilter: KAGAMI_MPM=ac|hs (read once, at the first load), else Hyperscan when built with it. */
static int mpm_choice(char *errbuf, size_t errlen)
{
	static int choice = -2;
	if (choice == -2) {
		const char *e = getenv("KAGAMI_MPM");
		choice = mpm_parse(e);
		if (choice < 0)
			snprintf(errbuf, errlen, "KAGAMI_MPM='%s': expected 'ac' or 'hs'", e);
	}
	return choice;
}

static int load_rules(struct rule_set **rs, const struct options *opt, const char *const *paths, size_t n,
		      char *errbuf, size_t errlen)
{
	int mpm = mpm_choice(errbuf, errlen);
	if (mpm < 0)
		return SIG_ERR_RULES;
	struct sig_load_cfg lc = {
		.var = rule_var, .var_ctx = (void *)opt, .lax = opt->rules_lax, .warn = stderr, .mpm = mpm};
	return sig_load(rs, &lc, paths, n, errbuf, errlen);
}

static bool sig_init(struct sensor_modules *m, const struct options *opt, struct emitter *em, char *errbuf,
		     size_t errlen)
{
	struct rule_set *rs;
	if (load_rules(&rs, opt, (const char *const *)opt->rule_paths, opt->nrule_paths, errbuf, errlen) != SIG_OK)
		return false;
	if (rs->skipped)
		fprintf(stderr, "kagami: %zu malformed rules skipped (--rules-lax), %zu loaded\n", rs->skipped, rs->n);
	struct sig *s;
	if (sig_new(&s, rs, em, errbuf, errlen) != SIG_OK)
		return false;
	if (opt->rule_profile)
		sig_set_profile(s, opt->rule_profile);
	m->sig = s;
	return true;
}

bool sensor_modules_init(struct sensor_modules *m, const struct options *opt, struct emitter *em, char *errbuf,
			 size_t errlen)
{
	memset(m, 0, sizeof(*m));
	m->em = em;
	if (opt->nrule_paths && !sig_init(m, opt, em, errbuf, errlen))
		return false;
	if (!geo_obs_init(m, opt, em, errbuf, errlen)) {
		sensor_modules_free(m);
		return false;
	}
	return true;
}

void sensor_modules_attach(struct sensor_modules *m, struct engine *e)
{
	if (m->sig && !sig_attach(m->sig, e))
		fprintf(stderr, "kagami: note: too many engine modules; signatures are off\n");
	geo_obs_attach(m, e);
}

void sensor_modules_free(struct sensor_modules *m)
{
	if (m->evidence && m->em)
		emitter_set_capture_ref(m->em, NULL, NULL);
	evidence_free(m->evidence);
	geo_obs_free(m);
	sig_free(m->sig);
	memset(m, 0, sizeof(*m));
}

/* ---------------------------------------------------------------- evidence */

bool sensor_evidence_init(struct sensor_modules *m, const struct options *opt, unsigned worker, char *errbuf,
			  size_t errlen)
{
	if (!opt->pcap_log.dir)
		return true;
	struct evidence *ev;
	if (evidence_new(&ev, &opt->pcap_log, worker, errbuf, errlen) != 0)
		return false;
	m->evidence = ev;
	emitter_set_capture_ref(m->em, evidence_capture_ref, ev);
	return true;
}

void sensor_evidence_attach(struct sensor_modules *m, struct engine *e)
{
	if (m->evidence && !evidence_attach(m->evidence, e)) {
		fprintf(stderr, "kagami: note: too many engine modules; --pcap-log is off\n");
		emitter_set_capture_ref(m->em, NULL, NULL);
	}
}

void sensor_note_input(struct sensor_modules *m, uint32_t snaplen)
{
	if (m->evidence)
		evidence_set_snaplen(m->evidence, snaplen);
}

void sensor_packet_in(struct sensor_modules *m, const struct packet *pkt)
{
	if (m->evidence)
		evidence_packet_in(m->evidence, pkt);
}

/* SIGHUP: parse the rule paths again; only a set that loads completely replaces the running
 * one (single analysis thread: the swap happens between two packets). */
void sensor_reload(struct sensor_modules *m, const struct options *opt, struct engine *e)
{
	size_t failed = engine_reload(e); /* the engine modules' own hooks */
	if (failed)
		fprintf(stderr, "kagami: SIGHUP: %zu module%s kept the state loaded before\n", failed,
			failed == 1 ? "" : "s");
	if (!m->sig)
		return;
	char err[1024];
	struct rule_set *rs;
	if (load_rules(&rs, opt, (const char *const *)opt->rule_paths, opt->nrule_paths, err, sizeof(err)) != SIG_OK) {
		fprintf(stderr, "kagami: rule reload failed, keeping the running rules: %s\n", err);
		sig_reload_failed(m->sig, err, engine_now(e));
		return;
	}
	sig_swap(m->sig, rs);
	if (rs->skipped)
		fprintf(stderr, "kagami: rules reloaded: %zu rules, %zu malformed rules skipped\n", rs->n, rs->skipped);
	sig_reload_done(m->sig, engine_now(e));
}

int sensor_test_rules(const struct options *opt)
{
	char err[1024];
	struct rule_set *rs;
	const char *paths[1] = {opt->test_rules};
	if (load_rules(&rs, opt, paths, 1, err, sizeof(err)) != SIG_OK) {
		fprintf(stderr, "kagami: %s\n", err);
		return KG_EXIT_USAGE;
	}
	printf("%zu rules OK in %zu files", rs->n, rs->files);
	if (rs->skipped)
		printf(", %zu malformed rules skipped", rs->skipped);
	printf("\n");
	if (rs->nignored) {
		printf("output-only keywords ignored:");
		for (size_t i = 0; i < rs->nignored; i++)
			printf(" %s %zu", rs->ignored[i].name, rs->ignored[i].n);
		printf("\n");
	}
	if (opt->rule_profile || getenv("KAGAMI_RULE_LOAD_TIME"))
		printf("load time %.3f s, prefilter %s\n", (double)rs->load_us / 1e6, mpm_name(rs->mpm));
	rule_set_free(rs);
	return KG_EXIT_OK;
}

void sensor_note_clamped_timestamp(struct engine *e) { engine_count_decode_error(e, DE_TIMESTAMP_RANGE); }
