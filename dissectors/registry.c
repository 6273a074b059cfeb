/* registry.c - the one list of application-layer dissectors (order = probing order). */
#include "config.h"

#include "dissector.h"

extern const struct dissector tls_dissector;
extern const struct dissector smb_dissector;

const struct dissector *const dissector_registry[] = {
	&tls_dissector,
	&smb_dissector,
	NULL,
};

const size_t dissector_count = sizeof(dissector_registry) / sizeof(dissector_registry[0]) - 1;
