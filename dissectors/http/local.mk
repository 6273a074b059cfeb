# dissectors/http/local.mk - minimal HTTP/1.x requests, WannaCry kill-switch Host header.
libkagami_a_SOURCES += \
	dissectors/http/http_records.c dissectors/http/http_records.h \
	dissectors/http/http.c
