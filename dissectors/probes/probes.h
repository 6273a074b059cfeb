/* probes.h - probe-only dissectors (probes.c): recognition of SMTP (RFC 5321 4.2, 4.1.1.1), FTP
 * (RFC 959 4.2), SSH (RFC 4253 4.2), POP3 (RFC 1939 4), IMAP (RFC 9051 7.1), SIP (RFC 3261 7.1,
 * 7.2), IRC (RFC 2812 3.1) and Telnet (RFC 854) from the first bytes of a direction, so that the
 * flow gets its app_proto and rules whose header names the protocol run on it on any port.
 * The probe functions are exported for the unit tests. */
#ifndef KAGAMI_PROBES_H
#define KAGAMI_PROBES_H

#include "dissectors/dissector.h"

enum probe_result probe_smtp(const uint8_t *data, size_t len, enum flow_dir dir, unsigned flags);
enum probe_result probe_ftp(const uint8_t *data, size_t len, enum flow_dir dir, unsigned flags);
enum probe_result probe_ssh(const uint8_t *data, size_t len, enum flow_dir dir, unsigned flags);
enum probe_result probe_pop3(const uint8_t *data, size_t len, enum flow_dir dir, unsigned flags);
enum probe_result probe_imap(const uint8_t *data, size_t len, enum flow_dir dir, unsigned flags);
enum probe_result probe_sip(const uint8_t *data, size_t len, enum flow_dir dir, unsigned flags);
enum probe_result probe_irc(const uint8_t *data, size_t len, enum flow_dir dir, unsigned flags);
enum probe_result probe_telnet(const uint8_t *data, size_t len, enum flow_dir dir, unsigned flags);

#endif
