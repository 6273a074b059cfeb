/* communityid.c - Community ID flow hash v1 (corelight/community-id-spec), SHA-1 and base64 from nettle. */
#include "config.h"

#include "communityid.h"

#include <nettle/base64.h>
#include <nettle/sha1.h>
#include <string.h>

static int endpoint_cmp(const uint8_t *a, uint16_t pa, const uint8_t *b, uint16_t pb, size_t alen)
{
	int r = memcmp(a, b, alen);
	if (r)
		return r;
	return pa < pb ? -1 : pa > pb;
}

void community_id_v1(uint16_t seed, int family, const uint8_t *saddr, const uint8_t *daddr, uint8_t proto,
		     uint16_t sport, uint16_t dport, int one_way, char out[COMMUNITY_ID_LEN])
{
	size_t alen = family == 6 ? 16 : 4;
	int has_ports = proto == 6 || proto == 17 || proto == 132 || proto == 1 || proto == 58;
	if (!(one_way && (proto == 1 || proto == 58)) && endpoint_cmp(saddr, sport, daddr, dport, alen) > 0) {
		const uint8_t *t = saddr;
		saddr = daddr;
		daddr = t;
		uint16_t tp = sport;
		sport = dport;
		dport = tp;
	}
	uint8_t buf[2 + 16 + 16 + 2 + 4];
	size_t n = 0;
	buf[n++] = (uint8_t)(seed >> 8);
	buf[n++] = (uint8_t)seed;
	memcpy(buf + n, saddr, alen);
	n += alen;
	memcpy(buf + n, daddr, alen);
	n += alen;
	buf[n++] = proto;
	buf[n++] = 0;
	if (has_ports) {
		buf[n++] = (uint8_t)(sport >> 8);
		buf[n++] = (uint8_t)sport;
		buf[n++] = (uint8_t)(dport >> 8);
		buf[n++] = (uint8_t)dport;
	}
	struct sha1_ctx ctx;
	uint8_t digest[SHA1_DIGEST_SIZE];
	sha1_init(&ctx);
	sha1_update(&ctx, n, buf);
	sha1_digest(&ctx, sizeof(digest), digest);
	out[0] = '1';
	out[1] = ':';
	base64_encode_raw((char *)out + 2, sizeof(digest), digest);
	out[2 + BASE64_ENCODE_RAW_LENGTH(SHA1_DIGEST_SIZE)] = '\0';
}
