# tools/local.mk - the deterministic capture generator and benchmark helpers.
noinst_PROGRAMS += tools/pcapgen/pcapgen
tools_pcapgen_pcapgen_SOURCES = tools/pcapgen/pcapgen.c tools/pcapgen/pcapgen.h \
	tools/pcapgen/scenarios_core.c tools/pcapgen/scenarios_obs.c
tools_pcapgen_pcapgen_CFLAGS = $(AM_CFLAGS)

noinst_PROGRAMS += tools/pcapread
tools_pcapread_SOURCES = tools/pcapread.c
tools_pcapread_LDADD = $(PCAP_LIBS)

EXTRA_DIST += tools/mkmmdb.pl
