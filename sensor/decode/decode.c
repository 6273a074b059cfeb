/* decode.c - link, encapsulation, network and transport decoding (see decode.h for the specs).
 *
 * Every header is read through struct cursor; a short read is counted as the
 * layer's *_truncated error, a complete but impossible value as its bad_* error.
 * Tunnels (GRE, ERSPAN II/III, VXLAN, IP-in-IP, MPLS, PPPoE) are peeled up to
 * PKT_MAX_TUNNELS deep; the innermost IP packet is the one the sensor tracks.
 */
#include "config.h"

#include "decode.h"

#include <pcap/pcap.h>
#include <string.h>

#include "cursor.h"
#include "util/util.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

#define ETH_IPV4 0x0800
#define ETH_ARP 0x0806
#define ETH_IPV6 0x86dd
#define ETH_VLAN 0x8100
#define ETH_QINQ 0x88a8
#define ETH_QINQ_OLD1 0x9100
#define ETH_QINQ_OLD2 0x9200
#define ETH_MPLS_UC 0x8847
#define ETH_MPLS_MC 0x8848
#define ETH_PPPOE_SESS 0x8864
#define ETH_TEB 0x6558     /* transparent Ethernet bridging (GRE) */
#define ETH_ERSPAN2 0x88be /* ERSPAN type I/II over GRE */
#define ETH_ERSPAN3 0x22eb /* ERSPAN type III over GRE */

#define MAX_MPLS_LABELS 16
#define MAX_IPV6_EXT 16

static const char *const err_names[] = {
#define X(id, name) name,
	DECODE_ERRORS(X)
#undef X
};

const char *decode_err_name(enum decode_err e)
{
	return (unsigned)e < DE__COUNT ? err_names[e] : "unknown";
}

bool decode_linktype_supported(int dlt)
{
	switch (dlt) {
	case DLT_NULL:
	case DLT_EN10MB:
	case DLT_RAW:
	case DLT_LOOP:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_IPV4:
	case DLT_IPV6:
		return true;
	default:
		return false;
	}
}

const char *decode_linktype_name(int dlt)
{
	const char *n = pcap_datalink_val_to_name(dlt);
	return n ? n : "unknown";
}

struct dctx {
	struct packet *pkt;
	const uint8_t *frame_end; /* end of the captured frame */
	size_t snapped;           /* wire bytes the capture cut off the frame's end */
	const struct decode_cfg *cfg;
	struct decode_stats *st;
	int depth; /* encapsulation layers entered */
};

static enum decode_result fail(struct dctx *d, enum decode_err e)
{
	d->st->err[e]++;
	return DEC_ERROR;
}

/* The buffers decoded here are owned by the sensor (ring slot or reassembly
 * buffer), so the layer pointers handed out may be writable. */
static inline uint8_t *wr(const uint8_t *p) { return (uint8_t *)(uintptr_t)p; }

static enum decode_result dec_ethertype(struct dctx *d, uint16_t type, struct cursor c);
static enum decode_result dec_ip(struct dctx *d, struct cursor c);

static bool enter_tunnel(struct dctx *d)
{
	if (d->depth >= PKT_MAX_TUNNELS) {
		d->st->err[DE_TUNNEL_TOO_DEEP]++;
		return false;
	}
	d->depth++;
	d->pkt->tunnel_depth = (uint8_t)d->depth;
	return true;
}

static enum decode_result dec_ether(struct dctx *d, struct cursor c)
{
	uint16_t type;
	if (!cur_skip(&c, 12) || !cur_be16(&c, &type))
		return fail(d, DE_LINK_TRUNCATED);
	return dec_ethertype(d, type, c);
}

static enum decode_result dec_mpls(struct dctx *d, struct cursor c)
{
	for (int i = 0; i < MAX_MPLS_LABELS; i++) {
		uint32_t entry;
		if (!cur_be32(&c, &entry))
			return fail(d, DE_MPLS_TRUNCATED);
		if (!(entry & 0x100)) /* not bottom of stack */
			continue;
		uint8_t first;
		if (!cur_peek_u8(&c, 0, &first))
			return fail(d, DE_MPLS_TRUNCATED);
		switch (first >> 4) {
		case 4:
		case 6:
			return dec_ip(d, c);
		case 0: /* pseudowire control word, then Ethernet (RFC 4448) */
			if (!cur_skip(&c, 4))
				return fail(d, DE_MPLS_TRUNCATED);
			if (!enter_tunnel(d))
				return DEC_ERROR;
			return dec_ether(d, c);
		default:
			d->st->non_ip++;
			return DEC_NOT_IP;
		}
	}
	return fail(d, DE_MPLS_TOO_MANY);
}

static enum decode_result dec_pppoe(struct dctx *d, struct cursor c)
{
	uint8_t vt, code;
	uint16_t sess, len, proto;
	struct cursor body;
	if (!cur_u8(&c, &vt) || !cur_u8(&c, &code) || !cur_be16(&c, &sess) || !cur_be16(&c, &len))
		return fail(d, DE_PPPOE_TRUNCATED);
	if (!cur_sub(&c, len, &body)) /* length covers the PPP frame */
		body = c;
	if (!cur_be16(&body, &proto))
		return fail(d, DE_PPPOE_TRUNCATED);
	switch (proto) {
	case 0x0021:
	case 0x0057:
		return dec_ip(d, body);
	default:
		d->st->non_ip++;
		return DEC_NOT_IP;
	}
}

static enum decode_result dec_ethertype(struct dctx *d, uint16_t type, struct cursor c)
{
	for (;;) {
		switch (type) {
		case ETH_VLAN:
		case ETH_QINQ:
		case ETH_QINQ_OLD1:
		case ETH_QINQ_OLD2: {
			uint16_t tci;
			if (!cur_be16(&c, &tci) || !cur_be16(&c, &type))
				return fail(d, DE_VLAN_TRUNCATED);
			if (d->pkt->vlan_count >= PKT_MAX_VLANS)
				return fail(d, DE_VLAN_TOO_MANY);
			d->pkt->vlan[d->pkt->vlan_count++] = tci & 0x0fff;
			continue;
		}
		case ETH_IPV4:
		case ETH_IPV6:
			return dec_ip(d, c);
		case ETH_MPLS_UC:
		case ETH_MPLS_MC:
			return dec_mpls(d, c);
		case ETH_PPPOE_SESS:
			return dec_pppoe(d, c);
		default:
			d->st->non_ip++;
			return DEC_NOT_IP;
		}
	}
}

/* ERSPAN type II (8-byte header) and III (12 bytes, + 8 when the O bit is set),
 * then the mirrored frame. */
static enum decode_result dec_erspan(struct dctx *d, uint16_t proto, bool has_seq, struct cursor c)
{
	if (proto == ETH_ERSPAN2 && !has_seq) /* type I: no header at all */
		return dec_ether(d, c);
	uint8_t ver;
	if (!cur_peek_u8(&c, 0, &ver))
		return fail(d, DE_ERSPAN_TRUNCATED);
	ver >>= 4;
	if (proto == ETH_ERSPAN2) {
		if (ver != 1)
			return fail(d, DE_ERSPAN_UNSUPPORTED);
		if (!cur_skip(&c, 8))
			return fail(d, DE_ERSPAN_TRUNCATED);
		return dec_ether(d, c);
	}
	if (ver != 2)
		return fail(d, DE_ERSPAN_UNSUPPORTED);
	uint16_t w;
	if (!cur_skip(&c, 10) || !cur_be16(&c, &w))
		return fail(d, DE_ERSPAN_TRUNCATED);
	unsigned ft = (w >> 10) & 0x1f;
	if (w & 0x0001) { /* O bit: platform specific sub-header */
		if (!cur_skip(&c, 8))
			return fail(d, DE_ERSPAN_TRUNCATED);
	}
	if (ft == 0)
		return dec_ether(d, c);
	if (ft == 2)
		return dec_ip(d, c);
	return fail(d, DE_ERSPAN_UNSUPPORTED);
}

/* GRE (RFC 2784, key and sequence from RFC 2890). Returns DEC_NOT_IP when the
 * payload is not something we follow, in which case the outer IP packet stays
 * the packet of record. */
static enum decode_result dec_gre(struct dctx *d, struct cursor c)
{
	uint16_t flags, proto;
	if (!cur_be16(&c, &flags) || !cur_be16(&c, &proto))
		return fail(d, DE_GRE_TRUNCATED);
	if ((flags & 0x7) != 0 || (flags & 0x4000)) /* version 1 (PPTP) or source routing */
		return fail(d, DE_GRE_UNSUPPORTED);
	size_t opt = ((flags & 0x8000) ? 4 : 0) + ((flags & 0x2000) ? 4 : 0) + ((flags & 0x1000) ? 4 : 0);
	if (!cur_skip(&c, opt))
		return fail(d, DE_GRE_TRUNCATED);
	switch (proto) {
	case ETH_IPV4:
	case ETH_IPV6:
		return dec_ip(d, c);
	case ETH_TEB:
		return dec_ether(d, c);
	case ETH_ERSPAN2:
	case ETH_ERSPAN3:
		return dec_erspan(d, proto, (flags & 0x1000) != 0, c);
	case ETH_MPLS_UC:
		return dec_mpls(d, c);
	default:
		return fail(d, DE_GRE_UNSUPPORTED);
	}
}

bool icmp_port_equivalents(int family, uint8_t type, uint8_t code, uint16_t *sport, uint16_t *dport)
{
	int counter = -1;
	if (family == 4) {
		switch (type) {
		case 8: counter = 0; break;
		case 0: counter = 8; break;
		case 13: counter = 14; break;
		case 14: counter = 13; break;
		case 15: counter = 16; break;
		case 16: counter = 15; break;
		case 10: counter = 9; break; /* router solicitation (one way in Zeek's table) */
		case 17: counter = 18; break;
		case 18: counter = 17; break;
		default: break;
		}
	} else {
		switch (type) {
		case 128: counter = 129; break;
		case 129: counter = 128; break;
		case 133: counter = 134; break;
		case 134: counter = 133; break;
		case 135: counter = 136; break;
		case 136: counter = 135; break;
		case 130: counter = 131; break;
		case 131: counter = 130; break;
		case 139: counter = 140; break;
		case 140: counter = 139; break;
		case 144: counter = 145; break;
		case 145: counter = 144; break;
		default: break;
		}
	}
	*sport = type;
	*dport = counter >= 0 ? (uint16_t)counter : code;
	return counter >= 0;
}

static enum decode_result dec_l4(struct dctx *d, struct cursor c, uint32_t wire_len)
{
	struct packet *p = d->pkt;
	p->l4 = c.p;
	p->l4_len = cur_len(&c);
	switch (p->ipproto) {
	case 6: {
		uint16_t sport, dport, offflags, win;
		uint32_t seq, ack;
		struct cursor t = c;
		if (!cur_be16(&t, &sport) || !cur_be16(&t, &dport) || !cur_be32(&t, &seq) || !cur_be32(&t, &ack) ||
		    !cur_be16(&t, &offflags) || !cur_be16(&t, &win) || !cur_skip(&t, 4))
			return fail(d, DE_TCP_TRUNCATED);
		size_t hlen = (size_t)(offflags >> 12) * 4;
		if (hlen < 20)
			return fail(d, DE_TCP_BAD_OFFSET);
		if (!cur_skip(&c, hlen))
			return fail(d, DE_TCP_TRUNCATED);
		d->st->tcp++;
		p->sport = sport;
		p->dport = dport;
		p->seq = seq;
		p->ack = ack;
		p->win = win;
		p->tcp_flags = (uint8_t)(offflags & 0xff);
		p->payload = c.p;
		p->payload_len = cur_len(&c);
		p->payload_wire = wire_len >= hlen ? wire_len - (uint32_t)hlen : 0;
		return DEC_OK;
	}
	case 17: {
		uint16_t sport, dport, ulen, csum;
		if (!cur_be16(&c, &sport) || !cur_be16(&c, &dport) || !cur_be16(&c, &ulen) || !cur_be16(&c, &csum))
			return fail(d, DE_UDP_TRUNCATED);
		d->st->udp++;
		p->sport = sport;
		p->dport = dport;
		size_t avail = cur_len(&c);
		size_t plen = ulen >= 8 ? (size_t)ulen - 8 : 0;
		if (ulen < 8 || (ulen > wire_len && !(ulen == 0 && d->pkt->family == 6))) {
			d->st->err[DE_UDP_BAD_LEN]++;
			plen = KG_MIN(avail, wire_len >= 8 ? wire_len - 8 : 0);
		}
		p->payload = c.p;
		p->payload_len = KG_MIN(plen, avail);
		p->payload_wire = (uint32_t)plen;
		/* VXLAN (RFC 7348): I flag set, then an Ethernet frame. */
		if (d->cfg->vxlan_port && dport == d->cfg->vxlan_port && p->payload_len >= 8) {
			struct cursor v = cur_make(p->payload, p->payload_len);
			uint8_t fl;
			if (cur_u8(&v, &fl) && (fl & 0x08) && cur_skip(&v, 7)) {
				if (!enter_tunnel(d))
					return DEC_OK; /* keep the outer UDP packet */
				d->st->tunneled++;
				return dec_ether(d, v);
			}
		}
		return DEC_OK;
	}
	case 1:
	case 58: {
		uint8_t type, code;
		if (!cur_u8(&c, &type) || !cur_u8(&c, &code) || !cur_skip(&c, 2))
			return fail(d, DE_ICMP_TRUNCATED);
		d->st->icmp++;
		p->icmp_type = type;
		p->icmp_code = code;
		icmp_port_equivalents(p->family, type, code, &p->sport, &p->dport);
		p->payload = c.p;
		p->payload_len = cur_len(&c);
		p->payload_wire = wire_len >= 4 ? wire_len - 4 : 0;
		return DEC_OK;
	}
	case 47: {
		struct packet saved = *p;
		if (!enter_tunnel(d))
			return DEC_OK;
		enum decode_result r = dec_gre(d, c);
		if (r == DEC_OK) {
			d->st->tunneled++;
			return r;
		}
		/* not followed: the GRE packet itself is the packet of record */
		*p = saved;
		d->st->other_ip++;
		return DEC_OK;
	}
	case 4:
	case 41: {
		if (!enter_tunnel(d))
			return DEC_OK;
		d->st->tunneled++;
		return dec_ip(d, c);
	}
	default:
		d->st->other_ip++;
		p->payload = c.p;
		p->payload_len = cur_len(&c);
		p->payload_wire = wire_len;
		return DEC_OK;
	}
}

/* Bytes an IP header may claim: what is captured, plus what the capture cut
 * off when this layer runs to the end of the frame. A length beyond that is cut
 * by the encapsulation itself (e.g. a PPPoE length) and is malformed. */
static size_t wire_avail(const struct dctx *d, const struct cursor *c)
{
	size_t avail = cur_len(c);
	if (d->frame_end && c->p + avail == d->frame_end)
		avail += d->snapped;
	return avail;
}

static void reset_l3(struct packet *p)
{
	p->fragment = false;
	p->frag_more = false;
	p->frag_offset = 0;
	p->ip_truncated = false;
	p->sport = p->dport = 0;
	p->tcp_flags = 0;
	p->payload = NULL;
	p->payload_len = 0;
	p->payload_wire = 0;
	p->l4 = NULL;
	p->l4_len = 0;
}

static enum decode_result dec_ipv4(struct dctx *d, struct cursor c)
{
	struct packet *p = d->pkt;
	const uint8_t *start = c.p;
	uint8_t vihl, tos, ttl, proto;
	uint16_t total, id, frag, csum;
	struct cursor h = c;
	if (!cur_u8(&h, &vihl) || !cur_u8(&h, &tos) || !cur_be16(&h, &total) || !cur_be16(&h, &id) ||
	    !cur_be16(&h, &frag) || !cur_u8(&h, &ttl) || !cur_u8(&h, &proto) || !cur_be16(&h, &csum) ||
	    cur_len(&h) < 8)
		return fail(d, DE_IPV4_TRUNCATED);
	if ((vihl >> 4) != 4)
		return fail(d, DE_IPV4_BAD_VERSION);
	size_t hlen = (size_t)(vihl & 0x0f) * 4;
	if (hlen < 20)
		return fail(d, DE_IPV4_BAD_HLEN);
	if (total < hlen)
		return fail(d, DE_IPV4_BAD_LEN);
	if (cur_len(&c) < hlen)
		return fail(d, DE_IPV4_TRUNCATED);
	if (total > wire_avail(d, &c)) {
		d->st->err[DE_IPV4_BAD_LEN]++; /* counted, and read as far as the frame goes */
		total = (uint16_t)wire_avail(d, &c);
	}
	reset_l3(p);
	d->st->ipv4++;
	p->family = 4;
	p->l3 = wr(start);
	p->ip_total_len = total;
	if (cur_len(&c) < total) {
		p->ip_truncated = true;
		d->st->err[DE_IPV4_SNAPPED]++;
		p->l3_len = cur_len(&c);
	} else {
		p->l3_len = total; /* drop link-layer padding */
	}
	memset(p->src, 0, 16);
	memset(p->dst, 0, 16);
	memcpy(p->src, start + 12, 4);
	memcpy(p->dst, start + 16, 4);
	p->ipproto = proto;
	p->ttl = ttl;
	p->frag_id = id;
	p->frag_offset = (uint32_t)(frag & 0x1fff) * 8;
	p->frag_more = (frag & 0x2000) != 0;
	p->l4_off = hlen;
	if (p->frag_offset || p->frag_more) {
		p->fragment = true;
		d->st->fragments++;
		return DEC_OK;
	}
	struct cursor l4;
	cur_window(&c, hlen, p->l3_len - hlen, &l4);
	return dec_l4(d, l4, (uint32_t)(total - hlen));
}

static enum decode_result dec_ipv6(struct dctx *d, struct cursor c)
{
	struct packet *p = d->pkt;
	const uint8_t *start = c.p;
	uint32_t vtcfl;
	uint16_t plen;
	uint8_t nh, hlim;
	struct cursor h = c;
	if (!cur_be32(&h, &vtcfl) || !cur_be16(&h, &plen) || !cur_u8(&h, &nh) || !cur_u8(&h, &hlim) ||
	    cur_len(&h) < 32)
		return fail(d, DE_IPV6_TRUNCATED);
	if ((vtcfl >> 28) != 6)
		return fail(d, DE_IPV6_BAD_VERSION);
	if (plen == 0 && nh == 0)
		return fail(d, DE_IPV6_JUMBO); /* jumbograms (RFC 2675) are not followed */
	if (40u + plen > wire_avail(d, &c)) {
		d->st->err[DE_IPV6_TRUNCATED]++;
		plen = (uint16_t)(wire_avail(d, &c) - 40);
	}
	reset_l3(p);
	d->st->ipv6++;
	p->family = 6;
	p->l3 = wr(start);
	p->ip_total_len = 40u + plen;
	if (cur_len(&c) < 40u + plen) {
		p->ip_truncated = true;
		d->st->err[DE_IPV6_SNAPPED]++;
		p->l3_len = cur_len(&c);
	} else {
		p->l3_len = 40u + plen;
	}
	memcpy(p->src, start + 8, 16);
	memcpy(p->dst, start + 24, 16);
	p->ttl = hlim;
	struct cursor b;
	cur_window(&c, 40, p->l3_len - 40, &b);
	size_t off = 40;
	size_t nh_off = 6; /* where the current next-header value was read */
	for (int i = 0;; i++) {
		if (i >= MAX_IPV6_EXT)
			return fail(d, DE_IPV6_EXT_TOO_MANY);
		switch (nh) {
		case 0:   /* hop-by-hop */
		case 43:  /* routing */
		case 60:  /* destination options */
		case 135: /* mobility */
		case 139: /* HIP */
		case 140: /* shim6 */
		case 51: { /* AH: length in 4-byte units minus 2 */
			uint8_t next, elen;
			if (!cur_peek_u8(&b, 0, &next) || !cur_peek_u8(&b, 1, &elen))
				return fail(d, DE_IPV6_EXT_TRUNCATED);
			size_t sz = nh == 51 ? ((size_t)elen + 2) * 4 : ((size_t)elen + 1) * 8;
			if (!cur_skip(&b, sz))
				return fail(d, DE_IPV6_EXT_TRUNCATED);
			nh_off = off;
			off += sz;
			nh = next;
			continue;
		}
		case 44: { /* fragment */
			uint8_t next, res;
			uint16_t offm;
			uint32_t id;
			if (!cur_u8(&b, &next) || !cur_u8(&b, &res) || !cur_be16(&b, &offm) || !cur_be32(&b, &id))
				return fail(d, DE_IPV6_EXT_TRUNCATED);
			p->frag_hdr_off = (uint16_t)off;
			p->frag_nh_off = (uint16_t)nh_off;
			nh_off = off;
			off += 8;
			p->frag_offset = (uint32_t)(offm & 0xfff8);
			p->frag_more = (offm & 1) != 0;
			p->frag_id = id;
			nh = next;
			if (p->frag_offset || p->frag_more) {
				p->ipproto = nh;
				p->l4_off = off;
				p->fragment = true;
				d->st->fragments++;
				return DEC_OK;
			}
			continue; /* atomic fragment */
		}
		default:
			break;
		}
		break;
	}
	p->ipproto = nh;
	p->l4_off = off;
	if (nh == 59) { /* no next header */
		d->st->other_ip++;
		return DEC_OK;
	}
	uint32_t wire = p->ip_total_len > off ? p->ip_total_len - (uint32_t)off : 0;
	return dec_l4(d, b, wire);
}

static enum decode_result dec_ip(struct dctx *d, struct cursor c)
{
	uint8_t v;
	if (!cur_peek_u8(&c, 0, &v))
		return fail(d, DE_IPV4_TRUNCATED);
	switch (v >> 4) {
	case 4: return dec_ipv4(d, c);
	case 6: return dec_ipv6(d, c);
	default: return fail(d, DE_IPV4_BAD_VERSION);
	}
}

static void reset_packet(struct packet *p)
{
	p->vlan_count = 0;
	p->tunnel_depth = 0;
	p->family = 0;
	p->reassembled = false;
	p->ipproto = 0;
	p->icmp_type = p->icmp_code = 0;
	p->seq = p->ack = 0;
	p->win = 0;
	reset_l3(p);
}

enum decode_result decode_packet(struct packet *pkt, const struct decode_cfg *cfg, struct decode_stats *st)
{
	struct dctx d = {.pkt = pkt, .cfg = cfg, .st = st, .depth = 0};
	struct cursor c = cur_make(pkt->data, pkt->caplen);
	d.frame_end = pkt->data + pkt->caplen;
	d.snapped = pkt->wirelen > pkt->caplen ? pkt->wirelen - pkt->caplen : 0;
	reset_packet(pkt);
	st->packets++;
	st->bytes += pkt->wirelen;
	switch (pkt->linktype) {
	case DLT_EN10MB:
		return dec_ether(&d, c);
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return dec_ip(&d, c);
	case DLT_NULL:
	case DLT_LOOP: {
		/* BSD loopback: address family in host order of the capturing machine
		 * (DLT_NULL, either byte order in practice) or network order (DLT_LOOP). */
		uint32_t be, le;
		if (!cur_peek_be32(&c, 0, &be) || !cur_peek_le32(&c, 0, &le))
			return fail(&d, DE_LINK_TRUNCATED);
		cur_skip(&c, 4);
		uint32_t af = pkt->linktype == DLT_LOOP ? be : (le < 256 ? le : be);
		if (af == 2)
			return dec_ip(&d, c);
		if (af == 24 || af == 28 || af == 30 || af == 10)
			return dec_ip(&d, c);
		st->non_ip++;
		return DEC_NOT_IP;
	}
	case DLT_LINUX_SLL: {
		uint16_t proto;
		if (!cur_skip(&c, 14) || !cur_be16(&c, &proto))
			return fail(&d, DE_LINK_TRUNCATED);
		return dec_ethertype(&d, proto, c);
	}
	case DLT_LINUX_SLL2: {
		uint16_t proto;
		if (!cur_be16(&c, &proto) || !cur_skip(&c, 18))
			return fail(&d, DE_LINK_TRUNCATED);
		return dec_ethertype(&d, proto, c);
	}
	default:
		return fail(&d, DE_LINK_UNSUPPORTED);
	}
}

enum decode_result decode_ip_datagram(struct packet *pkt, uint8_t *dgram, size_t len, const struct decode_cfg *cfg,
				      struct decode_stats *st)
{
	struct dctx d = {.pkt = pkt, .cfg = cfg, .st = st, .depth = pkt->tunnel_depth};
	/* the datagram's own header was already counted when its fragments arrived */
	if (pkt->family == 4)
		st->ipv4--;
	else if (pkt->family == 6)
		st->ipv6--;
	enum decode_result r = dec_ip(&d, cur_make(dgram, len));
	pkt->reassembled = true;
	return r;
}
