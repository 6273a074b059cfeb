# dissectors/local.mk - application-layer dissectors and their registry.
libkagami_a_SOURCES += \
	dissectors/dissector.h \
	dissectors/inspect.c dissectors/inspect.h \
	dissectors/registry.c
include dissectors/tls/local.mk
include dissectors/smb/local.mk
include dissectors/dns/local.mk
include dissectors/http/local.mk
include dissectors/probes/local.mk
