# signatures/local.mk - rule parser, Aho-Corasick prefilter, matcher module and the shipped rules.
libkagami_a_SOURCES += \
	signatures/ac.c signatures/ac.h \
	signatures/mpm.c signatures/mpm.h \
	signatures/detect.c signatures/detect.h \
	signatures/xform.c signatures/xform.h \
	signatures/hoststate.c signatures/hoststate.h \
	signatures/rules.c signatures/rules.h \
	signatures/sig.c signatures/sig.h

dist_pkgdata_DATA += signatures/heartbleed.rules signatures/ms17-010.rules signatures/wannacry.rules
