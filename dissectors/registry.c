/* registry.c - the one list of application-layer dissectors (order = probing order). */
#include "config.h"

#include "dissector.h"

extern const struct dissector tls_dissector;
extern const struct dissector smb_dissector;
extern const struct dissector dns_udp_dissector;
extern const struct dissector dns_tcp_dissector;
extern const struct dissector http_dissector;

const struct dissector *const dissector_registry[] = {
	&tls_dissector,
	&smb_dissector,
	&dns_udp_dissector,
	&dns_tcp_dissector,
	&http_dissector,
	NULL,
};

const size_t dissector_count = sizeof(dissector_registry) / sizeof(dissector_registry[0]) - 1;
