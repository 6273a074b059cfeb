/* main.c - kagami(8): the sensor's command line, start-up, main loop and shut-down.
 * With -i and -j N (N > 1) the process becomes a supervisor of N workers (workers/supervisor.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/capture.h"
#include "capture/privs.h"
#include "capture/ring.h"
#include "dissectors/smb/smb.h"
#include "engine/engine.h"
#include "engine/streamdigest.h"
#include "options.h"
#include "output/event.h"
#include "output/mpjson.h"
#include "output/output.h"
#include "output/summary.h"
#include "progress.h"
#include "sensor.h"
#include "util/util.h"
#include "workers/supervisor.h"

static volatile sig_atomic_t sig_stop, sig_stats, sig_hup;

static void on_signal(int sig)
{
	switch (sig) {
	case SIGINT:
	case SIGTERM: sig_stop = 1; break;
	case SIGUSR1: sig_stats = 1; break;
	case SIGHUP: sig_hup = 1; break;
	default: break;
	}
}

static void install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN); /* a closed output pipe is an EPIPE we report */
}

static void refresh_counters(struct engine *e, struct capture *cap)
{
	struct capture_stats cs;
	capture_get_stats(cap, &cs);
	struct capture_counters cc = {
		.packets = cs.packets,
		.bytes = cs.bytes,
		.kernel_drops = cs.kernel_drops,
		.kernel_ifdrops = cs.kernel_ifdrops,
		.ring_drops = cs.ring_drops,
		.live = capture_is_live(cap),
		.tpacket_version = cs.tpacket_version,
	};
	engine_set_capture_counters(e, &cc);
}

static int run(struct options *opt);

/* The progress line's figures now. */
static void progress_now(struct capture *cap, struct emitter *em, struct progress_figures *f)
{
	struct capture_stats cs;
	capture_get_stats(cap, &cs);
	capture_progress(cap, &f->bytes, &f->total);
	f->packets = cs.packets;
	f->alerts = emitter_alerts(em);
}

/* A -j N worker's progress for the supervisor's progress line: an event the supervisor takes
 * in (workers/supervisor.h, SUPERVISOR_PROGRESS_EVENT) and never writes. */
static void report_progress(struct capture *cap, struct emitter *em, int64_t now)
{
	struct progress_figures f;
	progress_now(cap, em, &f);
	struct event *ev = event_begin(em, SUPERVISOR_PROGRESS_EVENT, now);
	ev_map(ev, "progress");
	ev_u64(ev, "bytes", f.bytes);
	ev_u64(ev, "total", f.total);
	ev_u64(ev, "packets", f.packets);
	ev_end_map(ev);
	event_end(ev);
}

/* Bytes of the regular files an input names (a directory: its regular entries, as capture
 * reads them); false when the size cannot be known beforehand (stdin, a pipe, an error). */
static bool input_bytes(const char *in, uint64_t *bytes)
{
	struct stat st;
	if (!strcmp(in, "-") || stat(in, &st) != 0)
		return false;
	if (S_ISREG(st.st_mode)) {
		*bytes += (uint64_t)st.st_size;
		return true;
	}
	if (!S_ISDIR(st.st_mode))
		return false;
	DIR *d = opendir(in);
	if (!d)
		return false;
	struct dirent *de;
	bool ok = true;
	while (ok && (de = readdir(d))) {
		char path[PATH_MAX];
		int n = snprintf(path, sizeof(path), "%s/%s", in, de->d_name);
		if (n < 0 || (size_t)n >= sizeof(path) || stat(path, &st) != 0)
			ok = false;
		else if (S_ISREG(st.st_mode))
			*bytes += (uint64_t)st.st_size;
	}
	closedir(d);
	return ok;
}

/* Offline, without --nids-streams: a libnids table no larger than the inputs can fill. libnids
 * touches its whole stream pool at start (page faults: ~200 ms at 1 << 18 on the development
 * machine), and a session needs at least a SYN record in the file (16 bytes of record header
 * and 54 of packet), so bytes / 70 sessions is an upper bound; the table holds 3/4 of its
 * size. Never below 4096 nor above the configured size. */
static void offline_size_nids(struct options *opt)
{
	if (opt->cap.iface || opt->nids_streams_set)
		return;
	uint64_t bytes = 0;
	for (size_t i = 0; i < opt->cap.ninputs; i++)
		if (!input_bytes(opt->cap.inputs[i], &bytes))
			return;
	uint64_t want = bytes / 70 / 3 * 4 + 1;
	uint32_t n = 4096;
	while (n < opt->eng.nids_streams && n < want)
		n <<= 1;
	opt->eng.nids_streams = KG_MIN(n, opt->eng.nids_streams);
}

int main(int argc, char **argv)
{
	struct options opt;
	options_init(&opt);
	enum opt_result pr = options_parse(&opt, argc, argv);
	if (pr != OPT_OK) {
		options_free(&opt);
		return pr == OPT_EXIT_OK ? KG_EXIT_OK : KG_EXIT_USAGE;
	}
	/* progress line and summary: decided here, once; no progress line between events that go
	 * to the same terminal as JSON lines */
	opt.stderr_tty = isatty(STDERR_FILENO) == 1;
	bool events_on_tty = !(opt.forward || opt.unix_socket) || opt.output_set;
	events_on_tty = events_on_tty && strcmp(opt.output_path, "-") == 0 && isatty(STDOUT_FILENO) == 1;
	opt.progress = opt.stderr_tty && !opt.quiet && !events_on_tty;
	/* from the start: a SIGUSR1 or SIGHUP while the rules load must not kill the sensor (a
	 * SIGTERM then ends it once the analysis starts, with nothing lost) */
	install_signals();
	int rc = run(&opt);
	options_free(&opt);
	return rc;
}

/* The output configuration the options ask for. */
static void output_cfg_of(const struct options *opt, struct output_cfg *oc)
{
	memset(oc, 0, sizeof(*oc));
	oc->path = opt->output_path;
	oc->format = OUT_FMT_MSGPACK;
	/* with a network sink and no -w, events go only to the network */
	oc->no_file = !opt->output_set && (opt->forward || opt->unix_socket);
	if (opt->json || (!oc->no_file && strcmp(opt->output_path, "-") == 0 && isatty(STDOUT_FILENO)))
		oc->format = OUT_FMT_JSON;
	if (opt->sort_keys)
		oc->json_flags |= MPJSON_SORT_KEYS;
	oc->rotate_bytes = opt->rotate_bytes;
	oc->rotate_interval_s = opt->rotate_interval_s;
	oc->forward = opt->forward ? &opt->fwd : NULL;
	oc->usock = opt->unix_socket ? &opt->usock : NULL;
}

static bool write_pidfile(const struct options *opt, char *errbuf, size_t errlen)
{
	if (!opt->pidfile)
		return true;
	int fd = open(opt->pidfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(errbuf, errlen, "cannot write pid file %s: %s", opt->pidfile, strerror(errno));
		return false;
	}
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	bool ok = write(fd, buf, (size_t)n) == n;
	if (close(fd) != 0)
		ok = false;
	if (!ok)
		snprintf(errbuf, errlen, "cannot write pid file %s", opt->pidfile);
	return ok;
}

static void remove_pidfile(const struct options *opt)
{
	/* after dropping privileges the directory may not let us: systemd does not need it */
	if (opt->pidfile)
		unlink(opt->pidfile);
}

/* Run the analysis of one capture into out until its input ends or SIGTERM/SIGINT;
 * SIGUSR1 writes a stats event, SIGHUP reloads and reopens out. extra (may be
 * NULL) is one more engine module; worker numbers the evidence files; sum (may
 * be NULL) sees every event written; quiet_inputs: input errors change the exit code
 * but are not printed (another worker of -j N prints them). Returns an exit code
 * (enum kg_exit); out is flushed, not closed. */
static int analyse(struct options *opt, struct capture *cap, struct ring *ring, struct output *out,
		   const struct engine_module *extra, unsigned worker, struct summary *sum, bool quiet_inputs)
{
	char err[1024] = "";
	int exit_code = KG_EXIT_OK;
	struct emitter *em = emitter_new(out);
	if (sum)
		emitter_set_tap(em, summary_event, sum);
	if (opt->sensor_name)
		emitter_set_sensor_name(em, opt->sensor_name);

	struct sensor_modules mods;
	if (!sensor_modules_init(&mods, opt, em, err, sizeof(err))) {
		fprintf(stderr, "kagami: %s\n", err);
		emitter_free(em);
		return KG_EXIT_USAGE;
	}
	if (!sensor_evidence_init(&mods, opt, worker, err, sizeof(err))) {
		fprintf(stderr, "kagami: %s\n", err);
		sensor_modules_free(&mods);
		emitter_free(em);
		return KG_EXIT_USAGE;
	}

	struct engine *eng = engine_new(&opt->eng, em, err, sizeof(err));
	if (!eng) {
		fprintf(stderr, "kagami: %s\n", err);
		sensor_modules_free(&mods);
		emitter_free(em);
		return KG_EXIT_INTERNAL;
	}
	sensor_modules_attach(&mods, eng);
	if (opt->stream_digest)
		streamdigest_attach(eng);
	if (extra)
		engine_add_module(eng, extra);
	sensor_evidence_attach(&mods, eng); /* the last module (engine/evidence.h) */

	install_signals();
	if (!capture_start(cap, err, sizeof(err))) {
		fprintf(stderr, "kagami: %s\n", err);
		engine_free(eng);
		sensor_modules_free(&mods);
		emitter_free(em);
		return KG_EXIT_INTERNAL;
	}

	bool live = capture_is_live(cap);
	bool stopping = false;
	/* offline on a terminal: a progress line (decided once, in main()) */
	struct progress *prog = !live && opt->progress ? progress_new(stderr, kg_wall_us()) : NULL;
	struct progress_figures pf;
	uint32_t input = UINT32_MAX;
	uint64_t n = 0;
	int64_t next_tick = 0, next_report = 0;
	struct packet pkt;
	memset(&pkt, 0, sizeof(pkt));
	for (;;) {
		if (sig_stop && !stopping) {
			stopping = true;
			capture_stop(cap);
		}
		if (sig_stats) {
			sig_stats = 0;
			refresh_counters(eng, cap);
			engine_emit_stats(eng);
		}
		if (sig_hup) {
			sig_hup = 0;
			sensor_reload(&mods, opt, eng);
			if (output_reopen(out) != OUT_OK)
				break;
		}
		if (emitter_error(em))
			break;
		/* wake up now and then even offline: signals, rotation by time, flushing */
		struct capture_item it;
		bool got = capture_next(cap, &it, 100);
		const struct capture_item *rec = got ? &it : NULL;
		if (!rec || (++n & 4095) == 0) {
			int64_t now = kg_wall_us();
			if (now >= next_tick) { /* rotation by time, buffered events written out */
				next_tick = now + 100000;
				if (output_tick(out, now) != OUT_OK)
					break;
			}
			if (prog) {
				progress_now(cap, em, &pf);
				progress_update(prog, now, &pf);
			}
			if (opt->progress_events && now >= next_report) {
				next_report = now + 250000;
				report_progress(cap, em, now);
			}
		}
		if (!rec) {
			if (stopping && !live)
				capture_stop(cap); /* again: the reader may have missed the wake-up */
			if (live) {
				refresh_counters(eng, cap);
				engine_tick(eng, kg_wall_us());
			}
			continue;
		}
		if (rec->kind == REC_PACKET) {
			if (rec->input != input) {
				input = rec->input;
				sensor_note_input(&mods, capture_input_snaplen(cap, input));
			}
			pkt.ts_us = rec->ts_us;
			pkt.caplen = rec->caplen;
			pkt.wirelen = rec->wirelen;
			pkt.linktype = rec->linktype;
			pkt.data = rec->data;
			if (rec->flags & REC_F_TS_CLAMPED)
				sensor_note_clamped_timestamp(eng);
			sensor_packet_in(&mods, &pkt);
			engine_packet(eng, &pkt);
			if ((n & 4095) == 0)
				refresh_counters(eng, cap);
		} else if (rec->kind == REC_TIME) {
			engine_time(eng, rec->ts_us);
		} else if (rec->kind == REC_INPUT_ERROR) {
			progress_clear(prog);
			if (!quiet_inputs)
				fprintf(stderr, "kagami: %s\n", (const char *)rec->data);
			exit_code = KG_EXIT_INPUT;
		} else if (rec->kind == REC_ALL_DONE) {
			capture_release(cap);
			break;
		}
		capture_release(cap);
	}
	bool output_failed = emitter_error(em) || output_errdetail(out)[0];
	if (output_failed || sig_stop) {
		capture_stop(cap);
		ring_close(ring);
	}
	capture_join(cap);
	refresh_counters(eng, cap);
	if (opt->progress_events)
		report_progress(cap, em, kg_wall_us()); /* the figures of the end */
	engine_finish(eng);
	if (prog) {
		progress_now(cap, em, &pf);
		progress_end(prog, kg_wall_us(), &pf);
	}
	engine_free(eng);
	sensor_modules_free(&mods);

	int oerr = output_flush(out);
	if (oerr == OUT_OK)
		oerr = emitter_error(em);
	if (oerr != OUT_OK) {
		const char *detail = output_errdetail(out);
		fprintf(stderr, "kagami: %s: %s\n", output_strerror(oerr), *detail ? detail : "events were lost");
		exit_code = KG_EXIT_OUTPUT;
	}
	emitter_free(em);
	return exit_code;
}

/* One process: a capture thread and the analysis (this thread). */
static int single_run(struct options *opt)
{
	char err[1024] = "";
	/* Live, a large ring absorbs bursts; offline, a small one stays in cache
	 * (the reader waits for the analysis anyway). */
	struct ring *ring = ring_new(opt->ring_bytes ? opt->ring_bytes : opt->cap.iface ? 64u << 20 : 8u << 20);
	struct capture *cap = capture_open(&opt->cap, ring, err, sizeof(err));
	if (!cap) {
		fprintf(stderr, "kagami: %s\n", err);
		ring_free(ring);
		return KG_EXIT_INPUT;
	}
	if (!write_pidfile(opt, err, sizeof(err)) || !privs_drop(opt->user, err, sizeof(err))) {
		fprintf(stderr, "kagami: %s\n", err);
		capture_free(cap);
		ring_free(ring);
		return KG_EXIT_USAGE;
	}
	/* outputs are opened without privileges: files, spool and socket belong to the user */
	struct output_cfg ocfg;
	output_cfg_of(opt, &ocfg);
	struct output *out;
	if (output_open(&ocfg, &out, err, sizeof(err)) != OUT_OK) {
		fprintf(stderr, "kagami: %s\n", err);
		capture_free(cap);
		ring_free(ring);
		remove_pidfile(opt);
		return KG_EXIT_OUTPUT;
	}
	/* the verdicts first: at the end of an offline run on a terminal, or with --summary */
	bool want = opt->summary || (!opt->cap.iface && opt->stderr_tty && !opt->quiet);
	struct summary *sum = want ? summary_new() : NULL;
	int exit_code = analyse(opt, cap, ring, out, NULL, 0, sum, false);
	if (sum) {
		summary_print(sum, stderr);
		summary_free(sum);
	}
	capture_free(cap);
	ring_free(ring);
	if (output_close(out) != OUT_OK && exit_code == KG_EXIT_OK) {
		fprintf(stderr, "kagami: closing the output failed\n");
		exit_code = KG_EXIT_OUTPUT;
	}
	remove_pidfile(opt);
	return exit_code;
}

/* ---- -i IFACE -j N: what the supervisor needs of the program (workers/supervisor.h) */

struct worker_info {
	int id;
	enum worker_kind kind;
};

static void worker_stats(void *ctx, struct engine *e, struct event *ev)
{
	const struct worker_info *w = ctx;
	(void)e;
	ev_u64(ev, "id", (uint64_t)w->id);
	ev_u64(ev, "pid", (uint64_t)getpid());
	if (w->kind == WORKER_OBSERVER)
		ev_bool(ev, "observer", true);
}

/* In a worker process: the program's analysis, as its role asks. An analysis worker leaves
 * observation to the observer (when there is one); the observer runs only observation, on
 * headers and flows, and its stats hold only its modules' maps. */
static int app_analyse(void *ctx, struct capture *cap, struct ring *ring, struct output *out, int worker,
		       enum worker_kind kind)
{
	struct options *opt = ctx;
	struct options wopt = *opt; /* a copy in the worker's own memory: the worker's changes stay its own */
	wopt.worker = true;
	wopt.eng.stats_barrier = !opt->cap.iface; /* offline: the supervisor merges the stats of the end */
	wopt.progress = false; /* the supervisor draws the line from what the workers report */
	wopt.progress_events = opt->progress && !opt->cap.iface;
	if (kind == WORKER_OBSERVER) {
		wopt.nrule_paths = 0;
		wopt.stream_digest = false;
		wopt.pcap_log.dir = NULL; /* no alerts here; "all" would write every packet twice */
		wopt.eng.headers_only = true;
		wopt.eng.emit_flows = false;
		wopt.eng.stats_modules_only = true;
	} else if (!opt->no_observe) {
		wopt.no_observe = true;
	}
	/* offline each analysis worker sees 1/N of the flows: its libnids table is that share of
	 * the configured one (what overflows goes to the own reassembler, as at any size) */
	if (!opt->cap.iface && kind != WORKER_OBSERVER && opt->workers > 1)
		wopt.eng.nids_streams = KG_MAX(4096u, opt->eng.nids_streams / (unsigned)opt->workers);
	struct worker_info wi = {.id = worker, .kind = kind};
	struct engine_module m = {.name = "worker", .ctx = &wi, .stats = worker_stats};
	return analyse(&wopt, cap, ring, out, &m, (unsigned)worker, NULL, worker != 0);
}

static bool app_drop_privileges(void *ctx, char *errbuf, size_t errlen)
{
	const struct options *opt = ctx;
	return write_pidfile(opt, errbuf, errlen) && privs_drop(opt->user, errbuf, errlen);
}

static bool app_check(void *ctx, struct emitter *em, char *errbuf, size_t errlen)
{
	struct sensor_modules mods;
	if (!sensor_modules_init(&mods, ctx, em, errbuf, errlen))
		return false;
	bool ok = sensor_evidence_init(&mods, ctx, 0, errbuf, errlen);
	sensor_modules_free(&mods);
	return ok;
}

static void app_done(void *ctx) { remove_pidfile(ctx); }

static bool app_merge_key(void *ctx, const uint8_t *ev, size_t len, uint8_t *key, size_t *keylen, bool *partial)
{
	(void)ctx;
	return smb_verdict_merge_key(ev, len, key, keylen, partial);
}

static void app_merge_emit(void *ctx, struct emitter *em, const uint8_t *const *parts, const size_t *lens, size_t n,
			   const char *summary)
{
	(void)ctx;
	smb_verdict_merge_emit(em, parts, lens, n, summary);
}

/* The progress line of an offline -j N run, drawn from the workers' reports. */
struct sup_progress {
	struct progress *line;
	struct progress_figures last;
};

static void app_progress(void *ctx, uint64_t bytes, uint64_t total, uint64_t packets, uint64_t alerts, bool end)
{
	struct sup_progress *sp = ctx;
	struct progress_figures f = {.bytes = bytes, .total = total, .packets = packets, .alerts = alerts};
	if (!sp->line)
		return;
	sp->last = f;
	if (end) {
		progress_end(sp->line, kg_wall_us(), &f);
		sp->line = NULL;
	} else {
		progress_update(sp->line, kg_wall_us(), &f);
	}
}

static int supervise(struct options *opt)
{
	struct supervisor_cfg sc = {
		.cap = opt->cap,
		.workers = opt->workers,
		.observe = !opt->no_observe,
		.ring_bytes = opt->ring_bytes,
		.sensor_name = opt->sensor_name,
	};
	/* spare handles only matter once privileges are gone */
	if (opt->user || geteuid() != 0)
		sc.spares = opt->worker_spares_set ? opt->worker_spares : 1;
	output_cfg_of(opt, &sc.out);
	/* the verdicts first (from the merged stream): as with one process */
	bool want = opt->summary || (!opt->cap.iface && opt->stderr_tty && !opt->quiet);
	struct summary *sum = want ? summary_new() : NULL;
	sc.tap = sum ? summary_event : NULL;
	sc.tap_ctx = sum;
	struct supervisor_app app = {
		.ctx = opt,
		.analyse = app_analyse,
		.drop_privileges = app_drop_privileges,
		.check = app_check,
		.done = app_done,
		.merge_type = "smb_host_verdict",
		.merge_key = app_merge_key,
		.merge_emit = app_merge_emit,
	};
	struct sup_progress sp = {.line = NULL};
	if (opt->progress && !opt->cap.iface) {
		sp.line = progress_new(stderr, kg_wall_us());
		app.progress = app_progress;
		app.progress_ctx = &sp;
	}
	int rc = supervisor_run(&sc, &app);
	if (sp.line) { /* the run ended before the workers' last report */
		progress_end(sp.line, kg_wall_us(), &sp.last);
		sp.line = NULL;
	}
	if (sum) {
		summary_print(sum, stderr);
		summary_free(sum);
	}
	return rc;
}

static int run(struct options *opt)
{
	if (opt->test_rules)
		return sensor_test_rules(opt);
	if (!opt->cap.iface && !opt->cap.ninputs) {
		fprintf(stderr, "kagami: nothing to read: give -r FILE|DIR|- or -i IFACE (see kagami --help)\n");
		return KG_EXIT_USAGE;
	}
	if (opt->cap.iface && opt->cap.ninputs) {
		fprintf(stderr, "kagami: -r and -i cannot be used together\n");
		return KG_EXIT_USAGE;
	}
	if ((opt->rotate_bytes || opt->rotate_interval_s) && (!opt->output_set || !strcmp(opt->output_path, "-"))) {
		fprintf(stderr, "kagami: --rotate-size and --rotate-interval need -w FILE\n");
		return KG_EXIT_USAGE;
	}
	if (opt->fwd.spool_dir && !opt->forward) {
		fprintf(stderr, "kagami: --spool-dir needs --forward\n");
		return KG_EXIT_USAGE;
	}
	if (opt->pcap_log_opts && !opt->pcap_log.dir) {
		fprintf(stderr, "kagami: the --pcap-log-* settings need --pcap-log DIR\n");
		return KG_EXIT_USAGE;
	}
	offline_size_nids(opt);
	if (opt->workers > 1)
		return supervise(opt);
	return single_run(opt);
}
