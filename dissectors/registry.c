/* registry.c - the one list of application-layer dissectors (order = probing order). */
#include "config.h"

#include "dissector.h"

extern const struct dissector tls_dissector;
extern const struct dissector smb_dissector;
extern const struct dissector dns_udp_dissector;
extern const struct dissector dns_tcp_dissector;
extern const struct dissector http_dissector;
/* probe-only (dissectors/probes/probes.c): tried after the parsing dissectors */
extern const struct dissector smtp_probe_dissector;
extern const struct dissector ftp_probe_dissector;
extern const struct dissector ssh_probe_dissector;
extern const struct dissector pop3_probe_dissector;
extern const struct dissector imap_probe_dissector;
extern const struct dissector sip_tcp_probe_dissector;
extern const struct dissector sip_udp_probe_dissector;
extern const struct dissector irc_probe_dissector;
extern const struct dissector telnet_probe_dissector;

const struct dissector *const dissector_registry[] = {
	&tls_dissector,
	&smb_dissector,
	&dns_udp_dissector,
	&dns_tcp_dissector,
	&http_dissector,
	&smtp_probe_dissector,
	&ftp_probe_dissector,
	&ssh_probe_dissector,
	&pop3_probe_dissector,
	&imap_probe_dissector,
	&sip_tcp_probe_dissector,
	&sip_udp_probe_dissector,
	&irc_probe_dissector,
	&telnet_probe_dissector,
	NULL,
};

const size_t dissector_count = sizeof(dissector_registry) / sizeof(dissector_registry[0]) - 1;
