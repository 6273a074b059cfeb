/* communityid.h - Community ID flow hash, version 1 (corelight/community-id-spec). */
#ifndef KAGAMI_COMMUNITYID_H
#define KAGAMI_COMMUNITYID_H

#include <stddef.h>
#include <stdint.h>

#define COMMUNITY_ID_LEN 31 /* "1:" + 28 base64 characters + NUL */

/* Compute the v1 ID of the flow (family 4 or 6; addresses in 16-byte slots).
 * For TCP/UDP/SCTP, sport/dport are the ports; for ICMP/ICMPv6 they are the
 * type/counter-type pair from icmp_port_equivalents() and one_way says whether
 * the pair has no counterpart (then the endpoints are not reordered). Other
 * protocols hash no ports. */
void community_id_v1(uint16_t seed, int family, const uint8_t *saddr, const uint8_t *daddr, uint8_t proto,
		     uint16_t sport, uint16_t dport, int one_way, char out[COMMUNITY_ID_LEN]);

#endif
