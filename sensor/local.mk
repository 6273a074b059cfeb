# sensor/local.mk - capture, decode, flows, reassembly, events, output; the kagami and kagami-cat programs.
libkagami_a_SOURCES += \
	sensor/alert.c sensor/alert.h \
	sensor/applayer.c sensor/applayer.h \
	sensor/capture.c sensor/capture.h \
	sensor/communityid.c sensor/communityid.h \
	sensor/cursor.h \
	sensor/decode.c sensor/decode.h \
	sensor/defrag.c sensor/defrag.h \
	sensor/engine.c sensor/engine.h \
	sensor/event.c sensor/event.h \
	sensor/flow.c sensor/flow.h \
	sensor/geo.c sensor/geo.h \
	sensor/mpjson.c sensor/mpjson.h \
	sensor/observe.c sensor/observe.h \
	sensor/options.c sensor/options.h \
	sensor/output.c sensor/output.h \
	sensor/output_forward.c sensor/output_forward.h \
	sensor/output_unix.c sensor/output_unix.h \
	sensor/packet.h \
	sensor/privs.c \
	sensor/reasm.c sensor/reasm.h \
	sensor/ring.c sensor/ring.h \
	sensor/sensor.c sensor/sensor.h \
	sensor/statsmerge.c sensor/statsmerge.h \
	sensor/streamdigest.c sensor/streamdigest.h \
	sensor/tcpstream.c sensor/tcpstream.h \
	sensor/util.c sensor/util.h

sbin_PROGRAMS += kagami
kagami_SOURCES = sensor/main.c sensor/supervisor.c
kagami_LDADD = $(KAGAMI_LIBS)

bin_PROGRAMS += kagami-cat
kagami_cat_SOURCES = sensor/kagami-cat.c
kagami_cat_LDADD = $(KAGAMI_LIBS)

bin_PROGRAMS += kagami-report
kagami_report_SOURCES = sensor/report/report.c sensor/report/svg.c sensor/report/svg.h
kagami_report_LDADD = $(KAGAMI_LIBS)
