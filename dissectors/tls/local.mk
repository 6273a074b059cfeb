# dissectors/tls/local.mk - TLS record layer, handshake metadata, Heartbleed detection.
libkagami_a_SOURCES += \
	dissectors/tls/tls_records.c dissectors/tls/tls_records.h \
	dissectors/tls/tls.c
