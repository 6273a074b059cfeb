# dissectors/local.mk - application-layer dissectors and their registry.
libkagami_a_SOURCES += \
	dissectors/dissector.h \
	dissectors/registry.c
include dissectors/tls/local.mk
include dissectors/smb/local.mk
