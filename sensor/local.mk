# sensor/local.mk - the sensor's pipeline stages (one folder each, see docs/hacking.md) and its programs.
libkagami_a_SOURCES += \
	sensor/util/util.c sensor/util/util.h \
	sensor/capture/capture.c sensor/capture/capture.h \
	sensor/capture/privs.c sensor/capture/privs.h \
	sensor/capture/ring.c sensor/capture/ring.h \
	sensor/decode/cursor.h sensor/decode/packet.h \
	sensor/decode/decode.c sensor/decode/decode.h \
	sensor/decode/defrag.c sensor/decode/defrag.h \
	sensor/flow/communityid.c sensor/flow/communityid.h \
	sensor/flow/flow.c sensor/flow/flow.h \
	sensor/flow/reasm.c sensor/flow/reasm.h \
	sensor/flow/tcpstream.c sensor/flow/tcpstream.h \
	sensor/output/alert.c sensor/output/alert.h \
	sensor/output/event.c sensor/output/event.h \
	sensor/output/mpjson.c sensor/output/mpjson.h \
	sensor/output/nbio.c sensor/output/nbio.h \
	sensor/output/output.c sensor/output/output.h \
	sensor/output/output_forward.c sensor/output/output_forward.h \
	sensor/output/output_unix.c sensor/output/output_unix.h \
	sensor/output/pcapfile.c sensor/output/pcapfile.h \
	sensor/output/summary.c sensor/output/summary.h \
	sensor/engine/applayer.c sensor/engine/applayer.h \
	sensor/engine/engine.c sensor/engine/engine.h \
	sensor/engine/evidence.c sensor/engine/evidence.h \
	sensor/engine/streamdigest.c sensor/engine/streamdigest.h \
	sensor/enrich/geo.c sensor/enrich/geo.h \
	sensor/enrich/observe.c sensor/enrich/observe.h \
	sensor/workers/statsmerge.c sensor/workers/statsmerge.h \
	sensor/workers/supervisor.c sensor/workers/supervisor.h \
	sensor/options.c sensor/options.h \
	sensor/progress.c sensor/progress.h \
	sensor/sensor.c sensor/sensor.h

sbin_PROGRAMS += kagami
kagami_SOURCES = sensor/main.c
kagami_LDADD = $(KAGAMI_LIBS)

bin_PROGRAMS += kagami-cat
kagami_cat_SOURCES = sensor/programs/kagami-cat.c
kagami_cat_LDADD = $(KAGAMI_LIBS)

bin_PROGRAMS += kagami-report
kagami_report_SOURCES = sensor/programs/report/report.c sensor/programs/report/svg.c sensor/programs/report/svg.h
kagami_report_LDADD = $(KAGAMI_LIBS)
