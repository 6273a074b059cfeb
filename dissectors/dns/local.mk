# dissectors/dns/local.mk - DNS over UDP and TCP, WannaCry kill-switch lookups.
libkagami_a_SOURCES += \
	dissectors/dns/dns_records.c dissectors/dns/dns_records.h \
	dissectors/dns/dns.c
