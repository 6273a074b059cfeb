# dissectors/http/local.mk - HTTP/1.x on libhtp: transactions, bodies, files, inspection buffers,
# WannaCry kill-switch Host header. libhtp's and zlib's flags go to every object and program.
libkagami_a_SOURCES += \
	dissectors/http/http_records.c dissectors/http/http_records.h \
	dissectors/http/http.c
AM_CFLAGS += $(HTP_CFLAGS) $(ZLIB_CFLAGS)
KAGAMI_LIBS += $(HTP_LIBS) $(ZLIB_LIBS)
