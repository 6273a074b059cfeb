# tests/local.mk - unit tests (check_PROGRAMS) and capture-driven shell tests.
UNIT_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit
UNIT_TESTS = tests/unit/test_cursor tests/unit/test_communityid tests/unit/test_reasm tests/unit/test_mpjson \
	tests/unit/test_util tests/unit/test_tls_records tests/unit/test_engine_reload
check_PROGRAMS += $(UNIT_TESTS)
tests_unit_test_cursor_SOURCES = tests/unit/test_cursor.c tests/unit/check.h
tests_unit_test_cursor_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_cursor_LDADD = $(KAGAMI_LIBS)
tests_unit_test_communityid_SOURCES = tests/unit/test_communityid.c
tests_unit_test_communityid_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_communityid_LDADD = $(KAGAMI_LIBS)
tests_unit_test_reasm_SOURCES = tests/unit/test_reasm.c
tests_unit_test_reasm_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_reasm_LDADD = $(KAGAMI_LIBS)
tests_unit_test_mpjson_SOURCES = tests/unit/test_mpjson.c
tests_unit_test_mpjson_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_mpjson_LDADD = $(KAGAMI_LIBS)
tests_unit_test_util_SOURCES = tests/unit/test_util.c
tests_unit_test_util_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_util_LDADD = $(KAGAMI_LIBS)
tests_unit_test_engine_reload_SOURCES = tests/unit/test_engine_reload.c
tests_unit_test_engine_reload_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_engine_reload_LDADD = $(KAGAMI_LIBS)
tests_unit_test_tls_records_SOURCES = tests/unit/test_tls_records.c
tests_unit_test_tls_records_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_tls_records_LDADD = $(KAGAMI_LIBS)
UNIT_TESTS += tests/unit/test_geo tests/unit/test_smb_records tests/unit/test_dns_records tests/unit/test_rules \
	tests/unit/test_nbio tests/unit/test_inspect tests/unit/test_share tests/unit/test_evidence \
	tests/unit/test_http_records tests/unit/test_probes
tests_unit_test_probes_SOURCES = tests/unit/test_probes.c
tests_unit_test_probes_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_probes_LDADD = $(KAGAMI_LIBS)
tests_unit_test_http_records_SOURCES = tests/unit/test_http_records.c
tests_unit_test_http_records_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_http_records_LDADD = $(KAGAMI_LIBS)
tests_unit_test_share_SOURCES = tests/unit/test_share.c
tests_unit_test_share_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_share_LDADD = $(KAGAMI_LIBS)
tests_unit_test_evidence_SOURCES = tests/unit/test_evidence.c
tests_unit_test_evidence_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_evidence_LDADD = $(KAGAMI_LIBS)
tests_unit_test_inspect_SOURCES = tests/unit/test_inspect.c
tests_unit_test_inspect_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_inspect_LDADD = $(KAGAMI_LIBS)
tests_unit_test_nbio_SOURCES = tests/unit/test_nbio.c
tests_unit_test_nbio_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_nbio_LDADD = $(KAGAMI_LIBS)
tests_unit_test_smb_records_SOURCES = tests/unit/test_smb_records.c
tests_unit_test_smb_records_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_smb_records_LDADD = $(KAGAMI_LIBS)
tests_unit_test_dns_records_SOURCES = tests/unit/test_dns_records.c
tests_unit_test_dns_records_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_dns_records_LDADD = $(KAGAMI_LIBS)
tests_unit_test_rules_SOURCES = tests/unit/test_rules.c
tests_unit_test_rules_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_rules_LDADD = $(KAGAMI_LIBS)
tests_unit_test_geo_SOURCES = tests/unit/test_geo.c
tests_unit_test_geo_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_geo_LDADD = $(KAGAMI_LIBS)

# fuzz harnesses: replayed over their corpus in make check; libFuzzer programs with --enable-fuzztargets
FUZZ_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/fuzz
check_PROGRAMS += tests/fuzz/replay_engine tests/fuzz/replay_mpjson tests/fuzz/mkseeds \
	tests/fuzz/replay_app_tls tests/fuzz/replay_app_smb tests/fuzz/replay_app_dns tests/fuzz/replay_app_dns_tcp \
	tests/fuzz/replay_app_http tests/fuzz/replay_rules
tests_fuzz_replay_app_smb_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_app.c
tests_fuzz_replay_app_smb_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_PROTO='"smb"'
tests_fuzz_replay_app_smb_LDADD = $(KAGAMI_LIBS)
tests_fuzz_replay_app_dns_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_app.c
tests_fuzz_replay_app_dns_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_PROTO='"dns"' -DFUZZ_IPPROTO=17
tests_fuzz_replay_app_dns_LDADD = $(KAGAMI_LIBS)
tests_fuzz_replay_app_dns_tcp_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_app.c
tests_fuzz_replay_app_dns_tcp_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_PROTO='"dns"' -DFUZZ_IPPROTO=6
tests_fuzz_replay_app_dns_tcp_LDADD = $(KAGAMI_LIBS)
tests_fuzz_replay_app_http_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_app.c
tests_fuzz_replay_app_http_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_PROTO='"http"'
tests_fuzz_replay_app_http_LDADD = $(KAGAMI_LIBS)
tests_fuzz_replay_rules_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_rules.c
tests_fuzz_replay_rules_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_replay_rules_LDADD = $(KAGAMI_LIBS)
tests_fuzz_replay_app_tls_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_app.c
tests_fuzz_replay_app_tls_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_PROTO='"tls"'
tests_fuzz_replay_app_tls_LDADD = $(KAGAMI_LIBS)
tests_fuzz_replay_engine_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_engine.c tests/fuzz/fuzz.h
tests_fuzz_replay_engine_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_replay_engine_LDADD = $(KAGAMI_LIBS)
tests_fuzz_replay_mpjson_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_mpjson.c
tests_fuzz_replay_mpjson_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_replay_mpjson_LDADD = $(KAGAMI_LIBS)
tests_fuzz_mkseeds_SOURCES = tests/fuzz/mkseeds.c
tests_fuzz_mkseeds_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_mkseeds_LDADD = $(KAGAMI_LIBS)
if FUZZTARGETS
noinst_PROGRAMS += tests/fuzz/fuzz_engine tests/fuzz/fuzz_mpjson tests/fuzz/fuzz_app_tls tests/fuzz/fuzz_app_smb \
	tests/fuzz/fuzz_app_dns tests/fuzz/fuzz_app_dns_tcp tests/fuzz/fuzz_app_http tests/fuzz/fuzz_rules
tests_fuzz_fuzz_app_smb_SOURCES = tests/fuzz/fuzz_app.c
tests_fuzz_fuzz_app_smb_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_PROTO='"smb"'
tests_fuzz_fuzz_app_smb_LDADD = $(KAGAMI_LIBS)
tests_fuzz_fuzz_app_smb_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_app_dns_SOURCES = tests/fuzz/fuzz_app.c
tests_fuzz_fuzz_app_dns_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_PROTO='"dns"' -DFUZZ_IPPROTO=17
tests_fuzz_fuzz_app_dns_LDADD = $(KAGAMI_LIBS)
tests_fuzz_fuzz_app_dns_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_app_dns_tcp_SOURCES = tests/fuzz/fuzz_app.c
tests_fuzz_fuzz_app_dns_tcp_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_PROTO='"dns"' -DFUZZ_IPPROTO=6
tests_fuzz_fuzz_app_dns_tcp_LDADD = $(KAGAMI_LIBS)
tests_fuzz_fuzz_app_dns_tcp_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_app_http_SOURCES = tests/fuzz/fuzz_app.c
tests_fuzz_fuzz_app_http_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_PROTO='"http"'
tests_fuzz_fuzz_app_http_LDADD = $(KAGAMI_LIBS)
tests_fuzz_fuzz_app_http_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_rules_SOURCES = tests/fuzz/fuzz_rules.c
tests_fuzz_fuzz_rules_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_rules_LDADD = $(KAGAMI_LIBS)
tests_fuzz_fuzz_rules_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_app_tls_SOURCES = tests/fuzz/fuzz_app.c
tests_fuzz_fuzz_app_tls_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_PROTO='"tls"'
tests_fuzz_fuzz_app_tls_LDADD = $(KAGAMI_LIBS)
tests_fuzz_fuzz_app_tls_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_engine_SOURCES = tests/fuzz/fuzz_engine.c
tests_fuzz_fuzz_engine_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_engine_LDADD = $(KAGAMI_LIBS)
tests_fuzz_fuzz_engine_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_mpjson_SOURCES = tests/fuzz/fuzz_mpjson.c
tests_fuzz_fuzz_mpjson_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_mpjson_LDADD = $(KAGAMI_LIBS)
tests_fuzz_fuzz_mpjson_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
endif

TESTS += $(UNIT_TESTS)

# helper of tests/report.sh (not a test itself)
noinst_PROGRAMS += tests/report-events
tests_report_events_SOURCES = tests/report-events.c
tests_report_events_LDADD = $(KAGAMI_LIBS)
# helper of tests/http.sh: the engine with a module printing the inspection views
check_PROGRAMS += tests/inspect-views
tests_inspect_views_SOURCES = tests/inspect-views.c
tests_inspect_views_LDADD = $(KAGAMI_LIBS)

SHELL_TESTS = tests/pcapgen.sh tests/golden.sh tests/cli.sh tests/kagami-cat.sh tests/tshark-agree.sh \
	tests/offline-nodrop.sh tests/live-lo.sh tests/nids-evict.sh tests/fuzz-replay.sh tests/caps.sh \
	tests/capture-loss.sh tests/live-netns.sh tests/forward.sh tests/rotate.sh tests/unix-socket.sh \
	tests/reload.sh tests/etc.sh tests/disk-full.sh \
	tests/tls.sh tests/smb.sh tests/dns.sh tests/http.sh tests/http-zeek.sh tests/malformed-pcap.sh \
	tests/geo.sh tests/observe.sh tests/mkmmdb.sh tests/report.sh tests/rules.sh tests/inspect.sh tests/rules-et.sh tests/rules-et-buffers.sh tests/layering.sh \
	tests/capture-paths.sh tests/offline-jobs.sh tests/pcap-log.sh tests/progress-summary.sh \
	tests/hostile.sh
TESTS += $(SHELL_TESTS)
TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = $(SHELL)
AM_TESTS_ENVIRONMENT = \
	top_srcdir='$(abs_top_srcdir)'; top_builddir='$(abs_top_builddir)'; \
	KAGAMI='$(abs_top_builddir)/kagami'; KAGAMI_CAT='$(abs_top_builddir)/kagami-cat'; \
	PCAPGEN='$(abs_top_builddir)/tools/pcapgen/pcapgen'; SHARED_PCAPS='$(SHARED_PCAPS)'; \
	KAGAMI_GEOIP_DIR='$(abs_top_srcdir)/tests/data/geoip'; \
	KAGAMI_REPORT='$(abs_top_builddir)/kagami-report'; REPORT_EVENTS='$(abs_top_builddir)/tests/report-events'; \
	INSPECT_VIEWS='$(abs_top_builddir)/tests/inspect-views'; \
	export top_srcdir top_builddir KAGAMI KAGAMI_CAT PCAPGEN SHARED_PCAPS KAGAMI_GEOIP_DIR KAGAMI_REPORT REPORT_EVENTS \
	INSPECT_VIEWS;
# Every test geolocates with the generated test databases (tools/mkmmdb.pl), never with a
# real database that changes: KAGAMI_GEOIP_DIR is kagami's default database directory.

EXTRA_DIST += $(SHELL_TESTS) tests/lib tests/golden tests/unit/check.h tests/fuzz/corpus tests/data
