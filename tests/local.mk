# tests/local.mk - unit tests (check_PROGRAMS) and capture-driven shell tests.
UNIT_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit
UNIT_TESTS = tests/unit/test_cursor tests/unit/test_communityid tests/unit/test_reasm tests/unit/test_mpjson \
	tests/unit/test_util
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

# fuzz harnesses: replayed over their corpus in make check; libFuzzer programs with --enable-fuzztargets
FUZZ_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/fuzz
check_PROGRAMS += tests/fuzz/replay_engine tests/fuzz/replay_mpjson tests/fuzz/mkseeds
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
noinst_PROGRAMS += tests/fuzz/fuzz_engine tests/fuzz/fuzz_mpjson
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

SHELL_TESTS = tests/pcapgen.sh tests/golden.sh tests/cli.sh tests/kagami-cat.sh tests/tshark-agree.sh \
	tests/offline-nodrop.sh tests/live-lo.sh tests/nids-evict.sh tests/fuzz-replay.sh tests/caps.sh \
	tests/capture-loss.sh tests/live-netns.sh tests/forward.sh tests/rotate.sh \
	tests/unix-socket.sh
TESTS += $(SHELL_TESTS)
TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = $(SHELL)
AM_TESTS_ENVIRONMENT = \
	top_srcdir='$(abs_top_srcdir)'; top_builddir='$(abs_top_builddir)'; \
	KAGAMI='$(abs_top_builddir)/kagami'; KAGAMI_CAT='$(abs_top_builddir)/kagami-cat'; \
	PCAPGEN='$(abs_top_builddir)/tools/pcapgen/pcapgen'; SHARED_PCAPS='$(SHARED_PCAPS)'; \
	export top_srcdir top_builddir KAGAMI KAGAMI_CAT PCAPGEN SHARED_PCAPS;

EXTRA_DIST += $(SHELL_TESTS) tests/lib tests/golden tests/unit/check.h tests/fuzz/corpus
