/* options.h - kagami's settings: one table serves the command line and the configuration file
 * (kagami.conf(5)-style "name = value" lines with the long option names; see etc/kagami.conf). */
#ifndef KAGAMI_OPTIONS_H
#define KAGAMI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "capture/capture.h"
#include "engine/engine.h"
#include "engine/evidence.h"
#include "output/output.h"
#include "output/output_forward.h"
#include "output/output_unix.h"

#define MAX_VARS 64

struct options {
	struct capture_cfg cap;
	struct engine_cfg eng;
	struct output_cfg out;
	bool json;
	bool sort_keys;
	bool stream_digest;
	const char *output_path;
	uint64_t ring_bytes;
	const char *sensor_name;
	const char *config_path;
	/* signature and geolocation settings (used by their modules) */
	char **rule_paths;
	size_t nrule_paths;
	bool rules_lax;
	const char *test_rules;
	uint32_t rule_profile;     /* --rule-profile N: report the N costliest rules at exit (0 = off) */
	char **geoip_paths;
	size_t ngeoip_paths;
	bool no_geoip;
	/* rule variables: "HOME_NET" = "[10.0.0.0/8]" */
	char *var_names[MAX_VARS];
	char *var_values[MAX_VARS];
	size_t nvars;
	/* observation */
	uint32_t observe_interval_s;
	uint32_t observe_top_n;
	uint32_t observe_max_keys;
	bool no_observe;
	/* daemon */
	const char *user;
	const char *pidfile;
	int workers;
	bool worker;                /* this process is a -j N worker (set by the program, not an option) */
	uint32_t worker_spares;
	bool worker_spares_set;
	bool nids_streams_set;      /* --nids-streams was given (else offline_size_nids() may shrink it) */
	/* outputs besides -w: rotation, Fluent Forward, unix socket */
	bool output_set;            /* -w was given */
	uint64_t rotate_bytes;
	uint32_t rotate_interval_s;
	bool forward;
	char forward_host[256];
	char forward_port[8];
	struct fwd_cfg fwd;
	bool unix_socket;
	struct usock_cfg usock;
	/* during an incident: evidence pcaps (--pcap-log), progress and summary on stderr */
	struct evidence_cfg pcap_log;
	bool pcap_log_opts;         /* a --pcap-log-* setting other than --pcap-log was given */
	bool quiet;
	bool summary;
	bool stderr_tty;            /* stderr is a terminal: decided once, in main() */
	bool progress_events;       /* a -j N worker: report its progress to the supervisor instead */
	bool progress;              /* offline: draw the progress line (main(): stderr_tty, no --quiet,
				     * and the events do not go to the same terminal) */
	/* owned strings, freed by options_free */
	char **owned;
	size_t nowned;
};

enum opt_result { OPT_OK = 0, OPT_EXIT_OK, OPT_ERROR };

void options_init(struct options *o);
void options_free(struct options *o);
/* Parse argv; reads --config files as they appear. Errors go to stderr. */
enum opt_result options_parse(struct options *o, int argc, char **argv);
/* Apply one "name = value" setting from a configuration file. */
enum opt_result options_set(struct options *o, const char *name, const char *value, const char *where);
enum opt_result options_load_file(struct options *o, const char *path);
void options_usage(FILE *fp);
const char *options_var(const struct options *o, const char *name);

#endif
