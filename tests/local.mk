# tests/local.mk - unit tests (check_PROGRAMS) and capture-driven shell tests.
UNIT_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit
check_PROGRAMS += tests/unit/test_cursor tests/unit/test_communityid tests/unit/test_reasm tests/unit/test_mpjson
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
check_PROGRAMS += tests/unit/test_geo
tests_unit_test_geo_SOURCES = tests/unit/test_geo.c
tests_unit_test_geo_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_geo_LDADD = $(KAGAMI_LIBS)

TESTS += $(check_PROGRAMS)

# helper of tests/report.sh (not a test itself)
noinst_PROGRAMS += tests/report-events
tests_report_events_SOURCES = tests/report-events.c
tests_report_events_LDADD = $(KAGAMI_LIBS)

SHELL_TESTS = tests/pcapgen.sh tests/golden.sh tests/cli.sh tests/kagami-cat.sh tests/tshark-agree.sh \
	tests/geo.sh tests/observe.sh tests/mkmmdb.sh tests/report.sh
TESTS += $(SHELL_TESTS)
TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = $(SHELL)
AM_TESTS_ENVIRONMENT = \
	top_srcdir='$(abs_top_srcdir)'; top_builddir='$(abs_top_builddir)'; \
	KAGAMI='$(abs_top_builddir)/kagami'; KAGAMI_CAT='$(abs_top_builddir)/kagami-cat'; \
	PCAPGEN='$(abs_top_builddir)/tools/pcapgen/pcapgen'; SHARED_PCAPS='$(SHARED_PCAPS)'; \
	KAGAMI_GEOIP_DIR='$(abs_top_srcdir)/tests/data/geoip'; \
	KAGAMI_REPORT='$(abs_top_builddir)/kagami-report'; REPORT_EVENTS='$(abs_top_builddir)/tests/report-events'; \
	export top_srcdir top_builddir KAGAMI KAGAMI_CAT PCAPGEN SHARED_PCAPS KAGAMI_GEOIP_DIR KAGAMI_REPORT REPORT_EVENTS;
# Every test geolocates with the generated test databases (tools/mkmmdb.pl), never with a
# real database that changes: KAGAMI_GEOIP_DIR is kagami's default database directory.

EXTRA_DIST += $(SHELL_TESTS) tests/lib tests/golden tests/unit/check.h tests/data
