/* packet.h - one captured packet and what the decoder found in it (layers 2-4). */
#ifndef KAGAMI_PACKET_H
#define KAGAMI_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PKT_MAX_VLANS 4
#define PKT_MAX_TUNNELS 4 /* encapsulation layers decoded before giving up */

/* TCP flag bits (RFC 793, RFC 3168). */
enum {
	TH_FIN_ = 0x01,
	TH_SYN_ = 0x02,
	TH_RST_ = 0x04,
	TH_PSH_ = 0x08,
	TH_ACK_ = 0x10,
	TH_URG_ = 0x20,
	TH_ECE_ = 0x40,
	TH_CWR_ = 0x80,
};

struct packet {
	/* capture */
	int64_t ts_us;          /* packet time, microseconds since the epoch */
	uint32_t caplen;        /* bytes captured */
	uint32_t wirelen;       /* bytes on the wire */
	int linktype;           /* DLT_* of the capture */
	uint8_t *data;          /* caplen bytes; writable: owned by the ring slot */

	/* layer 2 / encapsulation */
	uint16_t vlan[PKT_MAX_VLANS];
	uint8_t vlan_count;
	uint8_t tunnel_depth;   /* GRE/ERSPAN/VXLAN/IP-in-IP layers peeled */

	/* layer 3: the innermost IP header */
	uint8_t family;         /* 4 or 6; 0 = not IP */
	uint8_t *l3;            /* IP header (writable, for libnids' checksum needs) */
	size_t l3_len;          /* IP datagram bytes present: min(captured, total length) */
	uint32_t ip_total_len;  /* total length claimed by the header (v6: 40 + payload length) */
	uint8_t src[16], dst[16];
	uint8_t ipproto;        /* transport protocol after extension headers */
	uint8_t ttl;
	bool ip_truncated;      /* fewer bytes captured than the IP header claims */
	bool fragment;          /* a fragment still to be reassembled */
	bool reassembled;       /* data points at a reassembled datagram */
	uint32_t frag_offset;   /* bytes */
	bool frag_more;
	uint32_t frag_id;
	uint16_t frag_hdr_off;  /* IPv6: offset of the fragment header from l3 */
	uint16_t frag_nh_off;   /* IPv6: offset of the next-header byte that names it */
	size_t l4_off;          /* transport header offset from l3 */

	/* layer 4 */
	const uint8_t *l4;
	size_t l4_len;
	uint16_t sport, dport;  /* host order; ICMP: type/code mapped as Community ID does */
	uint8_t tcp_flags;
	uint32_t seq, ack;
	uint16_t win;
	uint8_t icmp_type, icmp_code;
	const uint8_t *payload;
	size_t payload_len;      /* payload bytes present in the capture */
	uint32_t payload_wire;   /* payload bytes the headers claim (differs when snapped) */
};

#endif
