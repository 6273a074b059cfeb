# dissectors/probes/local.mk - probe-only dissectors: protocol recognition for rule headers.
libkagami_a_SOURCES += \
	dissectors/probes/probes.c dissectors/probes/probes.h
