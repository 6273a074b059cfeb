/* decode.h - link, encapsulation, network and transport decoding (IEEE 802.3/802.1Q/802.1ad, RFC 791,
 *
 * Stage decode/ (cursor, packet, decode, defrag): takes raw packets; gives a decoded struct packet
 * (layers 2-4, tunnels peeled, fragments rebuilt), malformed headers counted by kind.
 * RFC 8200, RFC 2784/2890 GRE, ERSPAN II/III, RFC 7348 VXLAN, RFC 3032 MPLS, RFC 2516 PPPoE, RFC 793, RFC 768). */
#ifndef KAGAMI_DECODE_H
#define KAGAMI_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "packet.h"

/* Malformed or truncated headers, counted by kind (stats event "decoder.errors"). */
#define DECODE_ERRORS(X)                                                                                     \
	X(LINK_TRUNCATED, "link_truncated")                                                                  \
	X(LINK_UNSUPPORTED, "link_unsupported")                                                              \
	X(VLAN_TRUNCATED, "vlan_truncated")                                                                  \
	X(VLAN_TOO_MANY, "vlan_too_many")                                                                    \
	X(MPLS_TRUNCATED, "mpls_truncated")                                                                  \
	X(MPLS_TOO_MANY, "mpls_too_many")                                                                    \
	X(PPPOE_TRUNCATED, "pppoe_truncated")                                                                \
	X(IPV4_TRUNCATED, "ipv4_truncated")                                                                  \
	X(IPV4_BAD_VERSION, "ipv4_bad_version")                                                              \
	X(IPV4_BAD_HLEN, "ipv4_bad_header_length")                                                           \
	X(IPV4_BAD_LEN, "ipv4_bad_total_length")                                                             \
	X(IPV4_SNAPPED, "ipv4_snapped")                                                                      \
	X(IPV6_TRUNCATED, "ipv6_truncated")                                                                  \
	X(IPV6_BAD_VERSION, "ipv6_bad_version")                                                              \
	X(IPV6_EXT_TRUNCATED, "ipv6_ext_truncated")                                                          \
	X(IPV6_EXT_TOO_MANY, "ipv6_ext_too_many")                                                            \
	X(IPV6_SNAPPED, "ipv6_snapped")                                                                      \
	X(IPV6_JUMBO, "ipv6_jumbogram")                                                                      \
	X(TCP_TRUNCATED, "tcp_truncated")                                                                    \
	X(TCP_BAD_OFFSET, "tcp_bad_data_offset")                                                             \
	X(UDP_TRUNCATED, "udp_truncated")                                                                    \
	X(UDP_BAD_LEN, "udp_bad_length")                                                                     \
	X(ICMP_TRUNCATED, "icmp_truncated")                                                                  \
	X(GRE_TRUNCATED, "gre_truncated")                                                                    \
	X(GRE_UNSUPPORTED, "gre_unsupported")                                                                \
	X(ERSPAN_TRUNCATED, "erspan_truncated")                                                              \
	X(ERSPAN_UNSUPPORTED, "erspan_unsupported")                                                          \
	X(VXLAN_TRUNCATED, "vxlan_truncated")                                                                \
	X(TUNNEL_TOO_DEEP, "tunnel_too_deep")                                                                \
	X(FRAG_OVERLAP, "frag_overlap")                                                                      \
	X(FRAG_TOO_BIG, "frag_too_big")                                                                      \
	X(FRAG_TABLE_FULL, "frag_table_full")                                                                \
	X(FRAG_MEMCAP, "frag_memcap")                                                                        \
	X(FRAG_TIMEOUT, "frag_timeout")                                                                      \
	X(FRAG_BAD, "frag_bad")                                                                              \
	X(TIMESTAMP_RANGE, "timestamp_out_of_range")

enum decode_err {
#define X(id, name) DE_##id,
	DECODE_ERRORS(X)
#undef X
	DE__COUNT
};

const char *decode_err_name(enum decode_err e);

struct decode_stats {
	uint64_t packets, bytes;
	uint64_t ipv4, ipv6, tcp, udp, icmp, other_ip;
	uint64_t non_ip;     /* ARP, LLC, ... : not errors */
	uint64_t tunneled;   /* packets whose inner packet was decoded out of a tunnel */
	uint64_t fragments;  /* IP fragments seen */
	uint64_t reassembled;/* datagrams rebuilt from fragments */
	uint64_t err[DE__COUNT];
};

struct decode_cfg {
	uint16_t vxlan_port; /* 0 disables VXLAN decoding; default 4789 */
};

enum decode_result {
	DEC_OK = 0,   /* pkt->family != 0; layer 4 fields set unless pkt->fragment */
	DEC_NOT_IP,   /* a valid frame that carries no IP (ARP, LLC, ...) */
	DEC_ERROR,    /* malformed or truncated; the kind was counted */
};

bool decode_linktype_supported(int dlt);
const char *decode_linktype_name(int dlt);

/* Decode pkt->data[0..caplen) of link type pkt->linktype. The packet's layer
 * pointers point into pkt->data. */
enum decode_result decode_packet(struct packet *pkt, const struct decode_cfg *cfg, struct decode_stats *st);

/* Continue decoding from an IP datagram at dgram[0..len) (after defragmentation):
 * sets layer 3 and 4 fields, following tunnels inside it. */
enum decode_result decode_ip_datagram(struct packet *pkt, uint8_t *dgram, size_t len, const struct decode_cfg *cfg,
				      struct decode_stats *st);

/* The Community ID / Zeek mapping of ICMP type and code onto a port pair.
 * Returns true when the pair is two-way (request/response). */
bool icmp_port_equivalents(int family, uint8_t type, uint8_t code, uint16_t *sport, uint16_t *dport);

#endif
