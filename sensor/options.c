/* options.c - command line and configuration file (see options.h). */
#include "config.h"

#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/mpjson.h"
#include "util/util.h"

enum arg { NOARG = 0, ARG = 1 };

struct optdef {
	const char *name;
	int shortopt;
	enum arg arg;
	const char *metavar;
	const char *help;
};

/* The one list of settings: command line (--name / -x) and config file (name = value). */
static const struct optdef optdefs[] = {
	{"read", 'r', ARG, "FILE", "read a pcap/pcapng file, a directory of them, or - (stdin); repeatable"},
	{"interface", 'i', ARG, "IFACE", "capture live on IFACE"},
	{"filter", 'f', ARG, "BPF", "capture filter (BPF syntax)"},
	{"snaplen", 's', ARG, "BYTES", "live: bytes captured per packet (default 262144)"},
	{"no-promisc", 'p', NOARG, NULL, "live: do not put the interface in promiscuous mode"},
	{"buffer-size", 'B', ARG, "SIZE", "live: kernel capture buffer, e.g. 256M (default 64M)"},
	{"write", 'w', ARG, "FILE", "write events to FILE (- = stdout, the default)"},
	{"json", 0, NOARG, NULL, "write JSON lines instead of msgpack"},
	{"sort-keys", 0, NOARG, NULL, "with --json: sort object keys"},
	{"config", 'c', ARG, "FILE", "read settings from FILE (name = value, names as the long options)"},
	{"ring-size", 0, ARG, "SIZE", "packet ring between capture and analysis (default 64M live, 8M offline)"},
	{"max-flows", 0, ARG, "N", "flow table cap; the oldest idle flow is evicted past it (default 262144)"},
	{"tcp-new-timeout", 0, ARG, "DURATION", "timeout of TCP flows not yet established (default 60s)"},
	{"tcp-timeout", 0, ARG, "DURATION", "timeout of established TCP flows (default 1h)"},
	{"tcp-closed-timeout", 0, ARG, "DURATION", "timeout of closed TCP flows (default 10s)"},
	{"udp-timeout", 0, ARG, "DURATION", "timeout of UDP flows (default 60s)"},
	{"other-timeout", 0, ARG, "DURATION", "timeout of ICMP and other flows (default 60s)"},
	{"nids-streams", 0, ARG, "N", "libnids stream hash size; it follows 3/4 as many streams (default 65536)"},
	{"no-nids", 0, NOARG, NULL, "reassemble IPv4 TCP with the own reassembler instead of libnids"},
	{"nids-checksums", 0, NOARG, NULL, "let libnids drop TCP segments with a bad checksum (off: offload)"},
	{"stream-buffer", 0, ARG, "SIZE", "unconsumed bytes a protocol parser may hold per direction (1M)"},
	{"http-body-limit", 0, ARG, "SIZE", "HTTP body bytes kept for inspection per message and direction (100K)"},
	{"http-headers", 0, ARG, "WHICH", "HTTP: list request, response or both header sets in http events (none)"},
	{"reassembly-memcap", 0, ARG, "SIZE", "TCP stream memory of all flows: out-of-order segments and unconsumed bytes (256M)"},
	{"max-fragments-memory", 0, ARG, "SIZE", "IP fragment bytes held (32M)"},
	{"vxlan-port", 0, ARG, "PORT", "UDP port decoded as VXLAN (default 4789, 0 = off)"},
	{"stats-interval", 0, ARG, "DURATION", "period of stats events, in packet time (default 60s, 0 = end only)"},
	{"no-stats", 0, NOARG, NULL, "do not write stats events"},
	{"no-flows", 0, NOARG, NULL, "do not write flow events"},
	{"stream-digest", 0, NOARG, NULL, "testing aid: a \"stream\" event per TCP flow with the SHA-1 of each direction"},
	{"sensor-name", 0, ARG, "NAME", "add \"sensor\": NAME to every event"},
	{"rules", 'S', ARG, "FILE|DIR", "load signature rules (repeatable)"},
	{"rules-lax", 0, NOARG, NULL, "skip malformed rules (and report how many) instead of failing"},
	{"test-rules", 0, ARG, "FILE|DIR", "validate the rules and exit"},
	{"rule-profile", 0, ARG, "N", "count checks, matches and time per rule; print the N costliest at exit"},
	{"var", 0, ARG, "NAME=VALUE", "set a rule variable, e.g. HOME_NET=[10.0.0.0/8]"},
	{"geoip", 'g', ARG, "FILE", "MaxMind DB for geolocation (repeatable: country and ASN)"},
	{"no-geoip", 0, NOARG, NULL, "do not geolocate addresses"},
	{"observe-interval", 0, ARG, "DURATION", "period of observation events (default 1m)"},
	{"observe-top", 0, ARG, "N", "entries per top list in observation events (default 10)"},
	{"observe-max-keys", 0, ARG, "N", "exact counting up to N keys, then approximate (default 65536)"},
	{"no-observe", 0, NOARG, NULL, "do not write observation events"},
	{"user", 'u', ARG, "USER", "drop privileges to USER after opening the capture"},
	{"pidfile", 0, ARG, "FILE", "write the process id to FILE"},
	{"workers", 'j', ARG, "N|auto", "N analysis processes (live: one PACKET_FANOUT group; offline: each reads its share of the flows); auto = the number of cores"},
	{"worker-spares", 0, ARG, "N", "with -j 2+ and -u: capture handles kept to restart workers (default 1)"},
	{"rotate-size", 0, ARG, "SIZE", "rotate the -w file before it grows past SIZE (renamed FILE.<UTC time>)"},
	{"rotate-interval", 0, ARG, "DURATION", "rotate the -w file every DURATION, on the multiple (e.g. 1h)"},
	{"forward", 0, ARG, "HOST[:PORT]", "also send events to a Fluentd/Fluent Bit forward input (port 24224)"},
	{"forward-tag", 0, ARG, "TAG", "forward: the Fluent tag of the events (default kagami)"},
	{"forward-buffer", 0, ARG, "SIZE", "forward: events held in memory before they are dropped (default 64M)"},
	{"forward-ack-timeout", 0, ARG, "DURATION", "forward: reconnect when a chunk is not acknowledged in time; also the longest wait at exit (default 30s)"},
	{"forward-retry-max", 0, ARG, "DURATION", "forward: longest pause between connection attempts (default 60s)"},
	{"spool-dir", 0, ARG, "DIR", "forward: keep chunks on disk in DIR while the collector is away, and across restarts"},
	{"spool-max", 0, ARG, "SIZE", "forward: spool cap; chunks that find no room are dropped and counted (default 1G)"},
	{"unix-socket", 0, ARG, "PATH", "also serve events to local consumers on a unix stream socket at PATH"},
	{"unix-socket-buffer", 0, ARG, "SIZE", "unix socket: bytes held for a slow consumer before it misses events (default 4M)"},
	{"unix-socket-drain-timeout", 0, ARG, "DURATION", "unix socket: longest wait at exit for consumers to take what is queued for them (default 10s)"},
	{"pcap-log", 0, ARG, "DIR", "write the packets of every flow that alerted to pcap files in DIR (evidence)"},
	{"pcap-log-mode", 0, ARG, "alerts|all", "pcap-log: the alerted flows' packets (default), or every packet"},
	{"pcap-log-size", 0, ARG, "SIZE", "pcap-log: start a new file before one grows past SIZE (default 100M)"},
	{"pcap-log-max-files", 0, ARG, "N", "pcap-log: files kept per worker, the oldest removed first (default 100, 0 = no cap)"},
	{"pcap-log-prebuffer", 0, ARG, "N", "pcap-log: packets per flow kept before its first alert (default 128)"},
	{"pcap-log-memcap", 0, ARG, "SIZE", "pcap-log: memory of all flows' kept packets together (default 64M)"},
	{"quiet", 'q', NOARG, NULL, "no progress line and no summary on a terminal (errors only)"},
	{"summary", 0, NOARG, NULL, "print the verdict summary on stderr at the end, terminal or not"},
	{"version", 'V', NOARG, NULL, "print the version and exit"},
	{"help", 'h', NOARG, NULL, "print this help and exit"},
};

void options_init(struct options *o)
{
	memset(o, 0, sizeof(*o));
	engine_cfg_defaults(&o->eng);
	o->cap.snaplen = 262144;
	o->cap.promisc = true;
	o->cap.buffer_bytes = 64u << 20;
	o->cap.timeout_ms = 100;
	o->ring_bytes = 0; /* by mode: see sensor_run() */
	o->output_path = "-";
	o->observe_interval_s = 60;
	o->observe_top_n = 10;
	o->observe_max_keys = 65536;
	o->workers = 1;
	evidence_cfg_defaults(&o->pcap_log);
}

static char *keep(struct options *o, const char *s)
{
	o->owned = kg_realloc(o->owned, (o->nowned + 1) * sizeof(char *), "option strings");
	return o->owned[o->nowned++] = kg_strdup(s, "option string");
}

static void push(struct options *o, char ***list, size_t *n, const char *s)
{
	*list = kg_realloc(*list, (*n + 1) * sizeof(char *), "option list");
	(*list)[(*n)++] = keep(o, s);
}

void options_free(struct options *o)
{
	for (size_t i = 0; i < o->nowned; i++)
		free(o->owned[i]);
	free(o->owned);
	free(o->cap.inputs);
	free(o->rule_paths);
	free(o->geoip_paths);
	memset(o, 0, sizeof(*o));
}

const char *options_var(const struct options *o, const char *name)
{
	for (size_t i = 0; i < o->nvars; i++)
		if (strcmp(o->var_names[i], name) == 0)
			return o->var_values[i];
	return NULL;
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	if (!isdigit((unsigned char)*s))
		return false;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

#define BAD(fmt, ...)                                                                                        \
	do {                                                                                                 \
		fprintf(stderr, "kagami: %s: " fmt "\n", where, __VA_ARGS__);                                  \
		return OPT_ERROR;                                                                            \
	} while (0)

static enum opt_result set_duration(uint32_t *dst, const char *name, const char *value, const char *where)
{
	uint64_t v;
	if (!kg_parse_duration(value, &v) || v > UINT32_MAX)
		BAD("%s: '%s' is not a duration (e.g. 30, 30s, 5m, 1h)", name, value);
	*dst = (uint32_t)v;
	return OPT_OK;
}

static enum opt_result set_size(uint64_t *dst, const char *name, const char *value, const char *where)
{
	if (!kg_parse_size(value, dst))
		BAD("%s: '%s' is not a size (e.g. 4096, 64M, 1G)", name, value);
	return OPT_OK;
}

static enum opt_result set_count(uint32_t *dst, uint64_t min, uint64_t max, const char *name, const char *value,
				 const char *where)
{
	uint64_t v;
	if (!parse_u64(value, max, &v) || v < min)
		BAD("%s: '%s' must be a whole number from %llu to %llu", name, value, (unsigned long long)min,
		    (unsigned long long)max);
	*dst = (uint32_t)v;
	return OPT_OK;
}

/* --pcap-log-<name> */
static enum opt_result set_pcap_log(struct options *o, const char *name, const char *value, const char *where)
{
	struct evidence_cfg *c = &o->pcap_log;
	if (!strcmp(name, "mode")) {
		if (!strcmp(value, "alerts"))
			c->mode = EVIDENCE_ALERTS;
		else if (!strcmp(value, "all"))
			c->mode = EVIDENCE_ALL;
		else
			BAD("pcap-log-mode: '%s' is neither 'alerts' nor 'all'", value);
	} else if (!strcmp(name, "size")) {
		if (set_size(&c->file_bytes, "pcap-log-size", value, where))
			return OPT_ERROR;
		if (c->file_bytes < 4096)
			BAD("pcap-log-size must be at least 4K, not '%s'", value);
	} else if (!strcmp(name, "max-files")) {
		return set_count(&c->max_files, 0, 1000000, "pcap-log-max-files", value, where);
	} else if (!strcmp(name, "prebuffer")) {
		return set_count(&c->prebuffer, 1, 65536, "pcap-log-prebuffer", value, where);
	} else if (!strcmp(name, "memcap")) {
		if (set_size(&c->memcap, "pcap-log-memcap", value, where))
			return OPT_ERROR;
		if (c->memcap < (1u << 20))
			BAD("pcap-log-memcap must be at least 1M, not '%s'", value);
	}
	return OPT_OK;
}

enum opt_result options_set(struct options *o, const char *name, const char *value, const char *where)
{
	const struct optdef *d = NULL;
	for (size_t i = 0; i < KG_ARRAY_LEN(optdefs); i++)
		if (strcmp(optdefs[i].name, name) == 0)
			d = &optdefs[i];
	if (!d)
		BAD("unknown setting '%s'", name);
	if (d->arg == ARG && (!value || !*value))
		BAD("%s needs a value (%s)", name, d->metavar);
	if (d->arg == NOARG && value && *value && strcmp(value, "yes") && strcmp(value, "true") && strcmp(value, "1"))
		BAD("%s takes no value (write '%s = yes' or leave it out)", name, name);

	uint32_t u32;
	uint64_t u64;
	if (!strcmp(name, "read")) {
		push(o, &o->cap.inputs, &o->cap.ninputs, value);
	} else if (!strcmp(name, "interface")) {
		o->cap.iface = keep(o, value);
	} else if (!strcmp(name, "filter")) {
		o->cap.bpf = keep(o, value);
	} else if (!strcmp(name, "snaplen")) {
		if (set_count(&u32, 64, 262144, name, value, where))
			return OPT_ERROR;
		o->cap.snaplen = (int)u32;
	} else if (!strcmp(name, "no-promisc")) {
		o->cap.promisc = false;
	} else if (!strcmp(name, "buffer-size")) {
		return set_size(&o->cap.buffer_bytes, name, value, where);
	} else if (!strcmp(name, "write")) {
		o->output_path = keep(o, value);
		o->output_set = true;
	} else if (!strcmp(name, "json")) {
		o->json = true;
	} else if (!strcmp(name, "sort-keys")) {
		o->sort_keys = true;
	} else if (!strcmp(name, "config")) {
		return options_load_file(o, value);
	} else if (!strcmp(name, "ring-size")) {
		if (set_size(&o->ring_bytes, name, value, where))
			return OPT_ERROR;
		if (o->ring_bytes < (1u << 20))
			BAD("ring-size must be at least 1M, not '%s'", value);
	} else if (!strcmp(name, "max-flows")) {
		return set_count(&o->eng.flow.max_flows, 16, 1u << 26, name, value, where);
	} else if (!strcmp(name, "tcp-new-timeout")) {
		return set_duration(&o->eng.flow.timeout_s[TC_TCP_NEW], name, value, where);
	} else if (!strcmp(name, "tcp-timeout")) {
		return set_duration(&o->eng.flow.timeout_s[TC_TCP_EST], name, value, where);
	} else if (!strcmp(name, "tcp-closed-timeout")) {
		return set_duration(&o->eng.flow.timeout_s[TC_TCP_CLOSED], name, value, where);
	} else if (!strcmp(name, "udp-timeout")) {
		return set_duration(&o->eng.flow.timeout_s[TC_UDP], name, value, where);
	} else if (!strcmp(name, "other-timeout")) {
		return set_duration(&o->eng.flow.timeout_s[TC_OTHER], name, value, where);
	} else if (!strcmp(name, "nids-streams")) {
		o->nids_streams_set = true;
		return set_count(&o->eng.nids_streams, 64, 1u << 26, name, value, where);
	} else if (!strcmp(name, "no-nids")) {
		o->eng.use_nids = false;
	} else if (!strcmp(name, "nids-checksums")) {
		o->eng.nids_checksums = true;
	} else if (!strcmp(name, "stream-buffer")) {
		return set_size(&o->eng.stream_max_buffer, name, value, where);
	} else if (!strcmp(name, "http-body-limit")) {
		if (set_size(&o->eng.app.http_body_limit, name, value, where))
			return OPT_ERROR;
		if (o->eng.app.http_body_limit > (64u << 20))
			BAD("http-body-limit must be at most 64M, not '%s'", value);
	} else if (!strcmp(name, "http-headers")) {
		static const char *const which[] = {"none", "request", "response", "both"};
		for (unsigned i = 0; i < 4; i++)
			if (!strcmp(value, which[i])) {
				o->eng.app.http_log_headers = i;
				return OPT_OK;
			}
		BAD("http-headers must be none, request, response or both, not '%s'", value);
	} else if (!strcmp(name, "reassembly-memcap")) {
		return set_size(&o->eng.reasm_memcap, name, value, where);
	} else if (!strcmp(name, "max-fragments-memory")) {
		return set_size(&o->eng.defrag.max_bytes, name, value, where);
	} else if (!strcmp(name, "vxlan-port")) {
		if (set_count(&u32, 0, 65535, name, value, where))
			return OPT_ERROR;
		o->eng.decode.vxlan_port = (uint16_t)u32;
	} else if (!strcmp(name, "stats-interval")) {
		return set_duration(&o->eng.stats_interval_s, name, value, where);
	} else if (!strcmp(name, "no-stats")) {
		o->eng.emit_stats = false;
	} else if (!strcmp(name, "no-flows")) {
		o->eng.emit_flows = false;
	} else if (!strcmp(name, "stream-digest")) {
		o->stream_digest = true;
	} else if (!strcmp(name, "sensor-name")) {
		o->sensor_name = keep(o, value);
	} else if (!strcmp(name, "rules")) {
		push(o, &o->rule_paths, &o->nrule_paths, value);
	} else if (!strcmp(name, "rules-lax")) {
		o->rules_lax = true;
	} else if (!strcmp(name, "test-rules")) {
		o->test_rules = keep(o, value);
	} else if (!strcmp(name, "rule-profile")) {
		return set_count(&o->rule_profile, 1, 100000, name, value, where);
	} else if (!strcmp(name, "var")) {
		const char *eq = strchr(value, '=');
		if (!eq || eq == value)
			BAD("var: '%s' is not NAME=VALUE", value);
		if (o->nvars >= MAX_VARS)
			BAD("var: more than %d variables", MAX_VARS);
		char *n = keep(o, value);
		n[eq - value] = '\0';
		o->var_names[o->nvars] = n;
		o->var_values[o->nvars] = n + (eq - value) + 1;
		o->nvars++;
	} else if (!strcmp(name, "geoip")) {
		push(o, &o->geoip_paths, &o->ngeoip_paths, value);
	} else if (!strcmp(name, "no-geoip")) {
		o->no_geoip = true;
	} else if (!strcmp(name, "observe-interval")) {
		if (set_duration(&o->observe_interval_s, name, value, where))
			return OPT_ERROR;
		if (!o->observe_interval_s)
			BAD("observe-interval must be at least 1s, not '%s'", value);
	} else if (!strcmp(name, "observe-top")) {
		return set_count(&o->observe_top_n, 1, 1000, name, value, where);
	} else if (!strcmp(name, "observe-max-keys")) {
		return set_count(&o->observe_max_keys, 16, 1u << 24, name, value, where);
	} else if (!strcmp(name, "no-observe")) {
		o->no_observe = true;
	} else if (!strcmp(name, "user")) {
		o->user = keep(o, value);
	} else if (!strcmp(name, "pidfile")) {
		o->pidfile = keep(o, value);
	} else if (!strcmp(name, "workers")) {
		if (!strcmp(value, "auto")) {
			long n = sysconf(_SC_NPROCESSORS_ONLN);
			o->workers = n < 1 ? 1 : n > 63 ? 63 : (int)n;
		} else {
			if (set_count(&u32, 1, 63, name, value, where))
				return OPT_ERROR;
			o->workers = (int)u32;
		}
	} else if (!strcmp(name, "worker-spares")) {
		if (set_count(&o->worker_spares, 0, 16, name, value, where))
			return OPT_ERROR;
		o->worker_spares_set = true;
	} else if (!strcmp(name, "rotate-size")) {
		if (set_size(&o->rotate_bytes, name, value, where))
			return OPT_ERROR;
		if (o->rotate_bytes < 4096)
			BAD("rotate-size must be at least 4K, not '%s'", value);
	} else if (!strcmp(name, "rotate-interval")) {
		if (set_duration(&o->rotate_interval_s, name, value, where))
			return OPT_ERROR;
		if (!o->rotate_interval_s)
			BAD("rotate-interval must be at least 1s, not '%s'", value);
	} else if (!strcmp(name, "forward")) {
		if (!fwd_parse_target(value, o->forward_host, sizeof(o->forward_host), o->forward_port,
				      sizeof(o->forward_port)))
			BAD("forward: '%s' is not HOST, HOST:PORT or [IPV6]:PORT", value);
		o->forward = true;
		o->fwd.host = o->forward_host;
		o->fwd.port = o->forward_port;
	} else if (!strcmp(name, "forward-tag")) {
		for (const char *t = value; *t; t++)
			if (!isalnum((unsigned char)*t) && !strchr("._-", *t))
				BAD("forward-tag: '%s' may hold only letters, digits, '.', '_' and '-'", value);
		o->fwd.tag = keep(o, value);
	} else if (!strcmp(name, "forward-buffer")) {
		if (set_size(&o->fwd.mem_max, name, value, where))
			return OPT_ERROR;
		if (o->fwd.mem_max < (256u << 10))
			BAD("forward-buffer must be at least 256K, not '%s'", value);
	} else if (!strcmp(name, "forward-ack-timeout")) {
		if (set_duration(&u32, name, value, where))
			return OPT_ERROR;
		if (!u32 || u32 > 3600)
			BAD("forward-ack-timeout must be from 1s to 1h, not '%s'", value);
		o->fwd.ack_timeout_ms = u32 * 1000;
	} else if (!strcmp(name, "forward-retry-max")) {
		if (set_duration(&u32, name, value, where))
			return OPT_ERROR;
		if (!u32 || u32 > 3600)
			BAD("forward-retry-max must be from 1s to 1h, not '%s'", value);
		o->fwd.retry_max_ms = u32 * 1000;
	} else if (!strcmp(name, "spool-dir")) {
		o->fwd.spool_dir = keep(o, value);
	} else if (!strcmp(name, "spool-max")) {
		if (set_size(&o->fwd.spool_max, name, value, where))
			return OPT_ERROR;
		if (o->fwd.spool_max < 4096)
			BAD("spool-max must be at least 4K, not '%s'", value);
	} else if (!strcmp(name, "unix-socket-buffer")) {
		if (set_size(&u64, name, value, where))
			return OPT_ERROR;
		if (u64 < 4096 || u64 > (1ULL << 30))
			BAD("unix-socket-buffer must be from 4K to 1G, not '%s'", value);
		o->usock.client_buffer = (size_t)u64;
	} else if (!strcmp(name, "unix-socket-drain-timeout")) {
		if (set_duration(&u32, name, value, where))
			return OPT_ERROR;
		if (u32 > 3600)
			BAD("unix-socket-drain-timeout must be from 0 to 1h, not '%s'", value);
		o->usock.drain_ms = u32 * 1000;
		o->usock.drain_set = true;
	} else if (!strcmp(name, "unix-socket")) {
		o->usock.path = keep(o, value);
		o->unix_socket = true;
	} else if (!strcmp(name, "pcap-log")) {
		o->pcap_log.dir = keep(o, value);
	} else if (!strncmp(name, "pcap-log-", 9)) {
		o->pcap_log_opts = true;
		return set_pcap_log(o, name + 9, value, where);
	} else if (!strcmp(name, "quiet")) {
		o->quiet = true;
	} else if (!strcmp(name, "summary")) {
		o->summary = true;
	} else if (!strcmp(name, "version") || !strcmp(name, "help")) {
		BAD("%s is a command-line flag only", name);
	}
	(void)u64;
	return OPT_OK;
}

enum opt_result options_load_file(struct options *o, const char *path)
{
	FILE *fp = fopen(path, "r");
	if (!fp) {
		fprintf(stderr, "kagami: cannot read configuration %s: %s\n", path, strerror(errno));
		return OPT_ERROR;
	}
	char line[4096];
	unsigned lineno = 0;
	enum opt_result rc = OPT_OK;
	while (fgets(line, sizeof(line), fp)) {
		lineno++;
		char where[PATH_MAX + 32];
		snprintf(where, sizeof(where), "%s:%u", path, lineno);
		size_t n = strlen(line);
		if (n == sizeof(line) - 1 && line[n - 1] != '\n') {
			fprintf(stderr, "kagami: %s: line longer than %zu bytes\n", where, sizeof(line) - 2);
			rc = OPT_ERROR;
			break;
		}
		char *s = line;
		while (isspace((unsigned char)*s))
			s++;
		char *e = s + strlen(s);
		while (e > s && isspace((unsigned char)e[-1]))
			*--e = '\0';
		if (!*s || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		char *name = s, *value = NULL;
		if (eq) {
			*eq = '\0';
			value = eq + 1;
			while (isspace((unsigned char)*value))
				value++;
			char *ne = eq;
			while (ne > name && isspace((unsigned char)ne[-1]))
				*--ne = '\0';
			/* strip one pair of double quotes */
			size_t vl = strlen(value);
			if (vl >= 2 && value[0] == '"' && value[vl - 1] == '"') {
				value[vl - 1] = '\0';
				value++;
			}
		}
		if (!strcmp(name, "config")) {
			fprintf(stderr, "kagami: %s: configuration files do not include other files\n", where);
			rc = OPT_ERROR;
			break;
		}
		if (options_set(o, name, value, where) != OPT_OK) {
			rc = OPT_ERROR;
			break;
		}
	}
	fclose(fp);
	return rc;
}

void options_usage(FILE *fp)
{
	fprintf(fp, "usage: kagami [options] -r FILE|DIR|- ...\n"
		    "       kagami [options] -i IFACE\n"
		    "Network sensor: decodes, reassembles and inspects traffic; writes msgpack events.\n\n");
	for (size_t i = 0; i < KG_ARRAY_LEN(optdefs); i++) {
		const struct optdef *d = &optdefs[i];
		char lhs[64];
		if (d->shortopt)
			snprintf(lhs, sizeof(lhs), "-%c, --%s%s%s", d->shortopt, d->name, d->arg ? " " : "",
				 d->arg ? d->metavar : "");
		else
			snprintf(lhs, sizeof(lhs), "    --%s%s%s", d->name, d->arg ? " " : "", d->arg ? d->metavar : "");
		fprintf(fp, "  %-34s %s\n", lhs, d->help);
	}
	fprintf(fp, "\nExit status: 0 success; 1 usage or configuration error; 2 an input could not be read\n"
		    "completely (events before the fault are written); 3 output error (disk full, closed pipe);\n"
		    "4 internal error. See kagami(8).\n");
}

enum opt_result options_parse(struct options *o, int argc, char **argv)
{
	struct option lo[KG_ARRAY_LEN(optdefs) + 1];
	char shorts[128];
	size_t ns = 0;
	for (size_t i = 0; i < KG_ARRAY_LEN(optdefs); i++) {
		lo[i].name = optdefs[i].name;
		lo[i].has_arg = optdefs[i].arg == ARG ? required_argument : no_argument;
		lo[i].flag = NULL;
		lo[i].val = optdefs[i].shortopt ? optdefs[i].shortopt : 256 + (int)i;
		if (optdefs[i].shortopt) {
			shorts[ns++] = (char)optdefs[i].shortopt;
			if (optdefs[i].arg == ARG)
				shorts[ns++] = ':';
		}
	}
	memset(&lo[KG_ARRAY_LEN(optdefs)], 0, sizeof(lo[0]));
	shorts[ns] = '\0';
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		if (c == '?')
			return OPT_ERROR;
		const struct optdef *d = NULL;
		if (c >= 256)
			d = &optdefs[c - 256];
		else
			for (size_t i = 0; i < KG_ARRAY_LEN(optdefs); i++)
				if (optdefs[i].shortopt == c)
					d = &optdefs[i];
		if (!d)
			return OPT_ERROR;
		if (!strcmp(d->name, "help")) {
			options_usage(stdout);
			return OPT_EXIT_OK;
		}
		if (!strcmp(d->name, "version")) {
			printf("kagami %s\n", PACKAGE_VERSION);
			return OPT_EXIT_OK;
		}
		if (options_set(o, d->name, optarg, "command line") != OPT_OK)
			return OPT_ERROR;
	}
	for (int i = optind; i < argc; i++) {
		fprintf(stderr, "kagami: unexpected argument '%s' (captures are given with -r)\n", argv[i]);
		return OPT_ERROR;
	}
	return OPT_OK;
}
