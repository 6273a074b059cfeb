/* main.c - kagami(8): the sensor's command line, start-up, main loop and shut-down. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "engine.h"
#include "event.h"
#include "mpjson.h"
#include "options.h"
#include "output.h"
#include "ring.h"
#include "sensor.h"
#include "streamdigest.h"
#include "util.h"

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

static int64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
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
	};
	engine_set_capture_counters(e, &cc);
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
	int rc = sensor_run(&opt);
	options_free(&opt);
	return rc;
}

int sensor_run(struct options *opt)
{
	char err[1024] = "";
	int exit_code = KG_EXIT_OK;

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

	/* output */
	struct output_cfg ocfg = {.path = opt->output_path, .format = OUT_FMT_MSGPACK};
	if (opt->json || (strcmp(opt->output_path, "-") == 0 && isatty(STDOUT_FILENO)))
		ocfg.format = OUT_FMT_JSON;
	if (opt->sort_keys)
		ocfg.json_flags |= MPJSON_SORT_KEYS;
	struct output *out;
	if (output_open(&ocfg, &out, err, sizeof(err)) != OUT_OK) {
		fprintf(stderr, "kagami: %s\n", err);
		return KG_EXIT_OUTPUT;
	}
	struct emitter *em = emitter_new(out);
	if (opt->sensor_name)
		emitter_set_sensor_name(em, opt->sensor_name);

	struct sensor_modules mods;
	if (!sensor_modules_init(&mods, opt, em, err, sizeof(err))) {
		fprintf(stderr, "kagami: %s\n", err);
		emitter_free(em);
		output_close(out);
		return KG_EXIT_USAGE;
	}

	struct engine *eng = engine_new(&opt->eng, em, err, sizeof(err));
	if (!eng) {
		fprintf(stderr, "kagami: %s\n", err);
		sensor_modules_free(&mods);
		emitter_free(em);
		output_close(out);
		return KG_EXIT_INTERNAL;
	}
	sensor_modules_attach(&mods, eng);
	if (opt->stream_digest)
		streamdigest_attach(eng);

	/* Live, a large ring absorbs bursts; offline, a small one stays in cache
	 * (the reader waits for the analysis anyway). */
	struct ring *ring = ring_new(opt->ring_bytes ? opt->ring_bytes : opt->cap.iface ? 64u << 20 : 8u << 20);
	struct capture *cap = capture_open(&opt->cap, ring, err, sizeof(err));
	if (!cap) {
		fprintf(stderr, "kagami: %s\n", err);
		exit_code = opt->cap.iface ? KG_EXIT_INPUT : KG_EXIT_INPUT;
		goto out;
	}
	if (!sensor_drop_privileges(opt, err, sizeof(err))) {
		fprintf(stderr, "kagami: %s\n", err);
		exit_code = KG_EXIT_USAGE;
		goto out;
	}
	install_signals();
	if (!capture_start(cap, err, sizeof(err))) {
		fprintf(stderr, "kagami: %s\n", err);
		exit_code = KG_EXIT_INTERNAL;
		goto out;
	}

	bool live = capture_is_live(cap);
	bool stopping = false;
	uint64_t n = 0;
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
		struct ring_rec *rec = ring_peek(ring, live ? 100 : -1);
		if (!rec) {
			if (live) {
				refresh_counters(eng, cap);
				engine_tick(eng, wall_us());
			}
			continue;
		}
		if (rec->kind == REC_PACKET) {
			pkt.ts_us = rec->ts_us;
			pkt.caplen = rec->caplen;
			pkt.wirelen = rec->wirelen;
			pkt.linktype = rec->linktype;
			pkt.data = rec->data;
			if (rec->flags & REC_F_TS_CLAMPED)
				sensor_note_clamped_timestamp(eng);
			engine_packet(eng, &pkt);
			if ((++n & 4095) == 0)
				refresh_counters(eng, cap);
		} else if (rec->kind == REC_INPUT_ERROR) {
			fprintf(stderr, "kagami: %s\n", (const char *)rec->data);
			exit_code = KG_EXIT_INPUT;
		} else if (rec->kind == REC_ALL_DONE) {
			ring_release(ring, rec);
			break;
		}
		ring_release(ring, rec);
	}
	if (emitter_error(em) || sig_stop) {
		capture_stop(cap);
		ring_close(ring);
	}
	capture_join(cap);
	refresh_counters(eng, cap);
	engine_finish(eng);

out:
	engine_free(eng);
	sensor_modules_free(&mods);
	capture_free(cap);
	ring_free(ring);
	int oerr = output_flush(out);
	if (oerr == OUT_OK)
		oerr = emitter_error(em);
	if (oerr != OUT_OK) {
		const char *detail = output_errdetail(out);
		fprintf(stderr, "kagami: %s: %s\n", output_strerror(oerr), *detail ? detail : "events were lost");
		exit_code = KG_EXIT_OUTPUT;
	}
	if (output_close(out) != OUT_OK && exit_code == KG_EXIT_OK) {
		fprintf(stderr, "kagami: closing the output failed\n");
		exit_code = KG_EXIT_OUTPUT;
	}
	emitter_free(em);
	return exit_code;
}
