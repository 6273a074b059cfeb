/* test_share.c - the share of a packet for offline -j N (capture_share_of(), capture/capture.h):
 * both directions of a flow, every flow between two hosts, the fragments of a datagram, the
 * same flow behind a VLAN tag or inside a GRE tunnel, all land in one share; shares spread; a
 * packet that is not IP belongs to share 0. */
#include "config.h"

#include <pcap/pcap.h>
#include <string.h>

#include "capture/capture.h"
#include "check.h"

static size_t eth(uint8_t *p, uint16_t type, bool vlan)
{
	memset(p, 0, 12);
	p[0] = 0x02;
	p[6] = 0x04;
	size_t o = 12;
	if (vlan) {
		p[o++] = 0x81;
		p[o++] = 0x00;
		p[o++] = 0x00;
		p[o++] = 0x07;
	}
	p[o++] = (uint8_t)(type >> 8);
	p[o++] = (uint8_t)type;
	return o;
}

/* IPv4 header (+ 20 payload bytes) of proto from s to d; frag: offset in 8-byte units */
static size_t ip4(uint8_t *p, const uint8_t s[4], const uint8_t d[4], uint8_t proto, uint16_t frag, uint16_t sport,
		  uint16_t dport)
{
	memset(p, 0, 40);
	p[0] = 0x45;
	p[3] = 40;
	p[6] = (uint8_t)(frag >> 8);
	p[7] = (uint8_t)frag;
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, s, 4);
	memcpy(p + 16, d, 4);
	p[20] = (uint8_t)(sport >> 8);
	p[21] = (uint8_t)sport;
	p[22] = (uint8_t)(dport >> 8);
	p[23] = (uint8_t)dport;
	p[32] = 0x50;
	return 40;
}

int main(void)
{
	const uint8_t a[4] = {10, 0, 0, 1}, b[4] = {192, 168, 1, 9}, c[4] = {172, 16, 5, 5};
	uint8_t p1[128], p2[128];
	const uint32_t N = 7;
	/* both directions, other ports: one share */
	size_t n1 = eth(p1, 0x0800, false), n2 = eth(p2, 0x0800, false);
	n1 += ip4(p1 + n1, a, b, 6, 0, 40000, 445);
	n2 += ip4(p2 + n2, b, a, 6, 0, 445, 40000);
	uint32_t s = capture_share_of(p1, (uint32_t)n1, DLT_EN10MB, N);
	CHECK(s < N);
	CHECK_EQ_U(capture_share_of(p2, (uint32_t)n2, DLT_EN10MB, N), s);
	n2 = eth(p2, 0x0800, false);
	n2 += ip4(p2 + n2, b, a, 17, 0, 53, 5353); /* UDP between the same hosts: the decoder's path */
	CHECK_EQ_U(capture_share_of(p2, (uint32_t)n2, DLT_EN10MB, N), s);
	/* a non-first fragment (no transport header) and behind a VLAN tag */
	n2 = eth(p2, 0x0800, true);
	n2 += ip4(p2 + n2, a, b, 6, 185, 0, 0);
	CHECK_EQ_U(capture_share_of(p2, (uint32_t)n2, DLT_EN10MB, N), s);
	/* inside GRE (outer c -> c, inner a -> b): the inner pair decides */
	n2 = eth(p2, 0x0800, false);
	size_t outer = n2;
	n2 += ip4(p2 + n2, c, c, 47, 0, 0, 0) - 20; /* the outer IP header only */
	p2[outer + 3] = 20 + 4 + 40;
	p2[n2++] = 0;
	p2[n2++] = 0;
	p2[n2++] = 0x08;
	p2[n2++] = 0x00;
	n2 += ip4(p2 + n2, b, a, 6, 0, 445, 40000);
	CHECK_EQ_U(capture_share_of(p2, (uint32_t)n2, DLT_EN10MB, N), s);
	/* raw IP link type: the same pair, the same share */
	n2 = ip4(p2, a, b, 6, 0, 1, 2);
	CHECK_EQ_U(capture_share_of(p2, (uint32_t)n2, DLT_RAW, N), s);
	/* not IP (ARP): share 0; one share: 0 */
	n2 = eth(p2, 0x0806, false);
	memset(p2 + n2, 0, 28);
	CHECK_EQ_U(capture_share_of(p2, (uint32_t)n2 + 28, DLT_EN10MB, N), 0);
	CHECK_EQ_U(capture_share_of(p1, (uint32_t)n1, DLT_EN10MB, 1), 0);
	/* many host pairs spread over the shares */
	unsigned hit[7] = {0};
	for (int i = 0; i < 700; i++) {
		uint8_t x[4] = {10, 1, (uint8_t)(i >> 8), (uint8_t)i};
		n2 = eth(p2, 0x0800, false);
		n2 += ip4(p2 + n2, x, b, 6, 0, 1024, 80);
		hit[capture_share_of(p2, (uint32_t)n2, DLT_EN10MB, N)]++;
	}
	for (unsigned i = 0; i < N; i++)
		CHECK(hit[i] > 50 && hit[i] < 150);
	return check_done("test_share");
}
