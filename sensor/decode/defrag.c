/* defrag.c - IPv4/IPv6 fragment reassembly (see defrag.h).
 *
 * Each datagram keeps the header of its first fragment, a data buffer that
 * grows to the highest fragment end (never past 65535 bytes of payload) and a
 * sorted list of covered ranges. All memory is bounded by defrag_cfg: past the datagram cap
 * (frag_table_full) or the memory cap (frag_memcap) the oldest datagrams are dropped.
 */
#include "config.h"

#include "defrag.h"

#include <stdlib.h>
#include <string.h>

#include "util/util.h"

#define MAX_IP_PAYLOAD 65535u
#define MAX_HDR 256u

struct range {
	uint32_t start, end; /* [start, end) */
};

struct dgram {
	struct dgram *hnext;
	struct dgram *older, *newer; /* age list */
	uint8_t family, proto;
	uint8_t src[16], dst[16];
	uint32_t id;
	int64_t first_us;
	uint8_t hdr[MAX_HDR];
	uint16_t hdr_len;    /* IPv4 header, or IPv6 unfragmentable part */
	uint16_t nh_off;     /* IPv6: next-header byte to patch */
	bool have_first, have_last;
	uint32_t total;      /* payload length once the last fragment is known */
	uint8_t *data;
	uint32_t data_cap;
	struct range *ranges;
	uint32_t nranges, ranges_cap;
	uint32_t nfrags;
};

struct defrag {
	struct defrag_cfg cfg;
	struct dgram **table;
	uint32_t table_size;
	struct dgram *oldest, *newest;
	uint32_t count;
	uint64_t bytes;
	uint8_t hkey[16];
	uint8_t *out;
	size_t out_cap;
};

struct defrag *defrag_new(const struct defrag_cfg *cfg)
{
	struct defrag *df = kg_calloc(1, sizeof(*df), "defrag");
	df->cfg = *cfg;
	if (!df->cfg.max_datagrams)
		df->cfg.max_datagrams = 4096;
	if (!df->cfg.max_bytes)
		df->cfg.max_bytes = 32u << 20;
	if (!df->cfg.timeout_s)
		df->cfg.timeout_s = 30;
	if (!df->cfg.max_fragments)
		df->cfg.max_fragments = 128;
	df->table_size = 1;
	while (df->table_size < df->cfg.max_datagrams)
		df->table_size <<= 1;
	df->table = kg_calloc(df->table_size, sizeof(*df->table), "defrag table");
	kg_random(df->hkey, sizeof(df->hkey));
	return df;
}

static void dgram_release(struct defrag *df, struct dgram *g)
{
	df->bytes -= g->data_cap;
	free(g->data);
	free(g->ranges);
	free(g);
}

static uint32_t bucket(const struct defrag *df, uint8_t family, const uint8_t *src, const uint8_t *dst, uint32_t id,
		       uint8_t proto)
{
	uint8_t k[40];
	memcpy(k, src, 16);
	memcpy(k + 16, dst, 16);
	memcpy(k + 32, &id, 4);
	k[36] = family;
	k[37] = proto;
	k[38] = k[39] = 0;
	return (uint32_t)kg_hash64(k, sizeof(k), df->hkey) & (df->table_size - 1);
}

static void unlink_dgram(struct defrag *df, struct dgram *g)
{
	uint32_t b = bucket(df, g->family, g->src, g->dst, g->id, g->proto);
	for (struct dgram **pp = &df->table[b]; *pp; pp = &(*pp)->hnext) {
		if (*pp == g) {
			*pp = g->hnext;
			break;
		}
	}
	if (g->older)
		g->older->newer = g->newer;
	else
		df->oldest = g->newer;
	if (g->newer)
		g->newer->older = g->older;
	else
		df->newest = g->older;
	df->count--;
}

void defrag_free(struct defrag *df)
{
	if (!df)
		return;
	struct dgram *g = df->oldest;
	while (g) {
		struct dgram *n = g->newer;
		dgram_release(df, g);
		g = n;
	}
	free(df->table);
	free(df->out);
	free(df);
}

void defrag_expire(struct defrag *df, int64_t now_us, struct decode_stats *st)
{
	int64_t limit = (int64_t)df->cfg.timeout_s * 1000000;
	while (df->oldest && now_us - df->oldest->first_us > limit) {
		struct dgram *g = df->oldest;
		unlink_dgram(df, g);
		dgram_release(df, g);
		st->err[DE_FRAG_TIMEOUT]++;
	}
}

/* Insert [s, e) into the covered ranges; returns true when it overlapped. */
static bool add_range(struct dgram *g, uint32_t s, uint32_t e)
{
	bool overlap = false;
	uint32_t i = 0;
	while (i < g->nranges && g->ranges[i].end < s)
		i++;
	/* merge every range touching [s, e) */
	uint32_t j = i;
	uint32_t ns = s, ne = e;
	while (j < g->nranges && g->ranges[j].start <= e) {
		if (g->ranges[j].start < e && g->ranges[j].end > s)
			overlap = true;
		ns = KG_MIN(ns, g->ranges[j].start);
		ne = KG_MAX(ne, g->ranges[j].end);
		j++;
	}
	if (j == i) { /* insert new */
		if (g->nranges == g->ranges_cap) {
			g->ranges_cap = g->ranges_cap ? g->ranges_cap * 2 : 8;
			g->ranges = kg_realloc(g->ranges, g->ranges_cap * sizeof(*g->ranges), "defrag ranges");
		}
		memmove(&g->ranges[i + 1], &g->ranges[i], (g->nranges - i) * sizeof(*g->ranges));
		g->ranges[i].start = ns;
		g->ranges[i].end = ne;
		g->nranges++;
	} else {
		g->ranges[i].start = ns;
		g->ranges[i].end = ne;
		memmove(&g->ranges[i + 1], &g->ranges[j], (g->nranges - j) * sizeof(*g->ranges));
		g->nranges -= (j - i - 1);
	}
	return overlap;
}

/* Copy the parts of [s, e) not already covered (first arrival wins). */
static void copy_uncovered(struct dgram *g, uint32_t s, uint32_t e, const uint8_t *src)
{
	uint32_t pos = s;
	for (uint32_t i = 0; i < g->nranges && pos < e; i++) {
		const struct range *r = &g->ranges[i];
		if (r->end <= pos)
			continue;
		if (r->start >= e)
			break;
		if (r->start > pos)
			memcpy(g->data + pos, src + (pos - s), r->start - pos);
		pos = KG_MAX(pos, r->end);
	}
	if (pos < e)
		memcpy(g->data + pos, src + (pos - s), e - pos);
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

enum defrag_result defrag_add(struct defrag *df, const struct packet *pkt, uint8_t **out, size_t *outlen,
			      struct decode_stats *st)
{
	if (pkt->ip_truncated || pkt->l4_off > pkt->l3_len) {
		st->err[DE_FRAG_BAD]++;
		return DF_DROPPED;
	}
	const uint8_t *frag = pkt->l3 + pkt->l4_off;
	uint32_t flen = (uint32_t)(pkt->l3_len - pkt->l4_off);
	uint32_t s = pkt->frag_offset, e = s + flen;
	if (e > MAX_IP_PAYLOAD || (pkt->frag_more && (flen % 8) != 0) || (flen == 0 && pkt->frag_more)) {
		st->err[e > MAX_IP_PAYLOAD ? DE_FRAG_TOO_BIG : DE_FRAG_BAD]++;
		return DF_DROPPED;
	}
	uint32_t b = bucket(df, pkt->family, pkt->src, pkt->dst, pkt->frag_id, pkt->ipproto);
	struct dgram *g = df->table[b];
	while (g && !(g->family == pkt->family && g->id == pkt->frag_id && g->proto == pkt->ipproto &&
		      memcmp(g->src, pkt->src, 16) == 0 && memcmp(g->dst, pkt->dst, 16) == 0))
		g = g->hnext;
	if (!g) {
		if (df->count >= df->cfg.max_datagrams) {
			/* make room by dropping the oldest: an attacker cannot pin the table */
			struct dgram *old = df->oldest;
			unlink_dgram(df, old);
			dgram_release(df, old);
			st->err[DE_FRAG_TABLE_FULL]++;
		}
		g = kg_calloc(1, sizeof(*g), "defrag datagram");
		g->family = pkt->family;
		g->proto = pkt->ipproto;
		memcpy(g->src, pkt->src, 16);
		memcpy(g->dst, pkt->dst, 16);
		g->id = pkt->frag_id;
		g->first_us = pkt->ts_us;
		g->hnext = df->table[b];
		df->table[b] = g;
		g->older = df->newest;
		if (df->newest)
			df->newest->newer = g;
		else
			df->oldest = g;
		df->newest = g;
		df->count++;
	}
	if (++g->nfrags > df->cfg.max_fragments) {
		st->err[DE_FRAG_BAD]++;
		unlink_dgram(df, g);
		dgram_release(df, g);
		return DF_DROPPED;
	}
	if (g->have_last && e > g->total) {
		st->err[DE_FRAG_BAD]++;
		return DF_DROPPED;
	}
	if (e > g->data_cap) {
		uint32_t ncap = g->data_cap ? g->data_cap : 2048;
		while (ncap < e)
			ncap *= 2;
		if (ncap > MAX_IP_PAYLOAD)
			ncap = MAX_IP_PAYLOAD;
		/* at the memory cap the oldest other datagrams make room, as at the table cap:
		 * fragments far into the payload space (64 KiB buffers each) cannot pin the
		 * memory and starve every later datagram */
		for (struct dgram *v = df->oldest; v && df->bytes + (ncap - g->data_cap) > df->cfg.max_bytes;) {
			struct dgram *next = v->newer;
			if (v != g) {
				unlink_dgram(df, v);
				dgram_release(df, v);
				st->err[DE_FRAG_MEMCAP]++;
			}
			v = next;
		}
		if (df->bytes + (ncap - g->data_cap) > df->cfg.max_bytes) {
			st->err[DE_FRAG_MEMCAP]++;
			return DF_DROPPED;
		}
		g->data = kg_realloc(g->data, ncap, "defrag data");
		df->bytes += ncap - g->data_cap;
		g->data_cap = ncap;
	}
	if (s == 0 && !g->have_first) {
		uint16_t hl = pkt->family == 4 ? (uint16_t)pkt->l4_off : pkt->frag_hdr_off;
		if (hl > MAX_HDR) {
			st->err[DE_FRAG_BAD]++;
			return DF_DROPPED;
		}
		memcpy(g->hdr, pkt->l3, hl);
		g->hdr_len = hl;
		g->nh_off = pkt->frag_nh_off;
		g->have_first = true;
	}
	if (!pkt->frag_more) {
		if (g->have_last && g->total != e) {
			st->err[DE_FRAG_BAD]++;
			return DF_DROPPED;
		}
		g->have_last = true;
		g->total = e;
	}
	if (flen) {
		copy_uncovered(g, s, e, frag);
		if (add_range(g, s, e))
			st->err[DE_FRAG_OVERLAP]++;
	}
	if (!(g->have_first && g->have_last && g->nranges == 1 && g->ranges[0].start == 0 &&
	      g->ranges[0].end >= g->total))
		return DF_HELD;

	/* complete: header + payload into the output buffer */
	size_t need = (size_t)g->hdr_len + g->total;
	if (need > df->out_cap) {
		df->out = kg_realloc(df->out, need, "defrag output");
		df->out_cap = need;
	}
	memcpy(df->out, g->hdr, g->hdr_len);
	memcpy(df->out + g->hdr_len, g->data, g->total);
	if (g->family == 4) {
		put_be16(df->out + 2, (uint16_t)KG_MIN(need, 65535u));
		put_be16(df->out + 6, 0);
		put_be16(df->out + 10, 0);
		put_be16(df->out + 10, kg_inet_checksum(df->out, g->hdr_len));
	} else {
		put_be16(df->out + 4, (uint16_t)KG_MIN(need - 40, 65535u));
		if (g->nh_off < g->hdr_len)
			df->out[g->nh_off] = g->proto;
	}
	*out = df->out;
	*outlen = KG_MIN(need, g->family == 4 ? 65535u : 65535u + 40u);
	unlink_dgram(df, g);
	dgram_release(df, g);
	st->reassembled++;
	return DF_COMPLETE;
}

uint64_t defrag_memory(const struct defrag *df) { return df->bytes; }
uint32_t defrag_pending(const struct defrag *df) { return df->count; }
