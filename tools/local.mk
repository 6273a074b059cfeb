# tools/local.mk - the deterministic capture generator and benchmark helpers.
noinst_PROGRAMS += tools/pcapgen/pcapgen
tools_pcapgen_pcapgen_SOURCES = tools/pcapgen/pcapgen.c tools/pcapgen/pcapgen.h \
	tools/pcapgen/scenarios_core.c tools/pcapgen/scenarios_bench.c \
	tools/pcapgen/scenarios_tls.c tools/pcapgen/scenarios_obs.c \
	tools/pcapgen/scenarios_smb.c tools/pcapgen/scenarios_dns.c \
	tools/pcapgen/scenarios_rules.c tools/pcapgen/scenarios_http.c \
	tools/pcapgen/scenarios_hostile.c tools/pcapgen/scenarios_probes.c
tools_pcapgen_pcapgen_CFLAGS = $(AM_CFLAGS)

noinst_PROGRAMS += tools/pcapread
tools_pcapread_SOURCES = tools/pcapread.c
tools_pcapread_LDADD = $(PCAP_LIBS)

# test helpers: a Fluent Forward collector and a unix-socket reader (tests/forward.sh, tests/unix-socket.sh)
check_PROGRAMS += tools/fwd-collector tools/sockread
tools_fwd_collector_SOURCES = tools/fwd-collector.c
tools_fwd_collector_LDADD = $(KAGAMI_LIBS)
tools_sockread_SOURCES = tools/sockread.c
tools_sockread_LDADD = $(KAGAMI_LIBS)

EXTRA_DIST += tools/mkmmdb.pl tools/geoip-install tools/bench tools/bench-jobs tools/memtest

# make install: the default geolocation database too, when tools/geoip-install (tools/setup)
# put one in data/geoip
install-data-local: install-geoip-db
uninstall-local: uninstall-geoip-db
install-geoip-db:
	@for f in $(srcdir)/data/geoip/*.mmdb; do \
		[ -f "$$f" ] || continue; \
		$(MKDIR_P) '$(DESTDIR)$(GEOIP_DIR)' && $(INSTALL_DATA) "$$f" '$(DESTDIR)$(GEOIP_DIR)' || exit 1; \
	done
uninstall-geoip-db:
	@for f in $(srcdir)/data/geoip/*.mmdb; do \
		[ -f "$$f" ] || continue; rm -f '$(DESTDIR)$(GEOIP_DIR)'/"$$(basename "$$f")"; \
	done
.PHONY: install-geoip-db uninstall-geoip-db

# benchmarks (not tests): throughput beside the bare libpcap read loop, and memory under load
.PHONY: bench bench-jobs memtest
# (in a source-tree build: the scripts run ./kagami and tools/pcapread beside them)
bench: all
	$(SHELL) $(top_srcdir)/tools/bench
memtest: all
	$(SHELL) $(top_srcdir)/tools/memtest
bench-jobs: all
	$(SHELL) $(top_srcdir)/tools/bench-jobs
