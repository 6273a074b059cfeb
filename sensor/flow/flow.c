/* flow.c - the flow table (see flow.h).
 *
 * Chained hash table keyed by the canonical 5-tuple with a per-process SipHash
 * key, so that crafted addresses cannot pile flows into one chain. Each flow
 * sits in one of five last-activity lists (one per timeout class): the head of
 * a list is always the next flow of that class to time out, so expiry costs
 * O(flows expired). When the table is full, a new flow evicts the oldest flow
 * of the cheapest class (half-open first: a SYN flood cannot push out
 * established sessions while half-open ones remain).
 */
#include "config.h"

#include "flow.h"

#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "util/util.h"

#define SEQ_LT(a, b) ((int32_t)((a) - (b)) < 0)
#define SEQ_GT(a, b) ((int32_t)((a) - (b)) > 0)
#define MAX_SANE_ACK_JUMP (1u << 30)

struct flow_list {
	struct flow *head, *tail;
};

struct flow_table {
	struct flow_cfg cfg;
	struct flow **buckets;
	uint32_t nbuckets;
	struct flow_list lists[TC__COUNT];
	struct flow *free_list;
	flow_end_fn on_end;
	void *ctx;
	uint8_t hkey[16];
	uint64_t seed;
	struct flow_stats st;
};

static const char *const track_names[] = {"none", "syn_sent", "syn_recv", "established", "fin_wait", "closed"};
const char *tcp_track_name(enum tcp_track s)
{
	return (unsigned)s < KG_ARRAY_LEN(track_names) ? track_names[s] : "unknown";
}

static const char *const reason_names[] = {"timeout", "evicted", "shutdown", "reused"};
const char *flow_end_reason_name(enum flow_end_reason r)
{
	return (unsigned)r < KG_ARRAY_LEN(reason_names) ? reason_names[r] : "unknown";
}

struct flow_table *flow_table_new(const struct flow_cfg *cfg, flow_end_fn on_end, void *ctx)
{
	struct flow_table *ft = kg_calloc(1, sizeof(*ft), "flow table");
	ft->cfg = *cfg;
	if (!ft->cfg.max_flows)
		ft->cfg.max_flows = 1u << 20;
	static const uint32_t defaults[TC__COUNT] = {60, 3600, 10, 60, 60};
	for (int i = 0; i < TC__COUNT; i++)
		if (!ft->cfg.timeout_s[i])
			ft->cfg.timeout_s[i] = defaults[i];
	ft->nbuckets = 1;
	while (ft->nbuckets < ft->cfg.max_flows)
		ft->nbuckets <<= 1;
	ft->buckets = kg_calloc(ft->nbuckets, sizeof(*ft->buckets), "flow buckets");
	ft->on_end = on_end;
	ft->ctx = ctx;
	kg_random(ft->hkey, sizeof(ft->hkey));
	kg_random(&ft->seed, sizeof(ft->seed));
	return ft;
}

static void list_remove(struct flow_list *l, struct flow *f)
{
	if (f->prev)
		f->prev->next = f->next;
	else
		l->head = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		l->tail = f->prev;
	f->prev = f->next = NULL;
}

static void list_append(struct flow_list *l, struct flow *f)
{
	f->next = NULL;
	f->prev = l->tail;
	if (l->tail)
		l->tail->next = f;
	else
		l->head = f;
	l->tail = f;
}

_Static_assert(sizeof(struct flow_key) == 40, "flow_key is hashed and compared as five 64-bit words");

static inline void key_words(const struct flow_key *k, uint64_t w[5])
{
	memcpy(w, k, sizeof(*k));
}

static uint32_t key_bucket(const struct flow_table *ft, const struct flow_key *k)
{
	uint64_t w[5];
	key_words(k, w);
	return (uint32_t)kg_hash_words(w, 5, ft->seed) & (ft->nbuckets - 1);
}

static inline bool key_eq(const struct flow_key *a, const struct flow_key *b)
{
	uint64_t x[5], y[5];
	key_words(a, x);
	key_words(b, y);
	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) | (x[4] ^ y[4])) == 0;
}

static void make_key(const struct packet *pkt, struct flow_key *k, bool *src_is_a)
{
	memset(k, 0, sizeof(*k));
	k->proto = pkt->ipproto;
	k->family = pkt->family;
	size_t alen = pkt->family == 6 ? 16 : 4;
	int r = memcmp(pkt->src, pkt->dst, alen);
	bool a_src = r < 0 || (r == 0 && pkt->sport <= pkt->dport);
	if (a_src) {
		memcpy(k->a, pkt->src, 16);
		memcpy(k->b, pkt->dst, 16);
		k->pa = pkt->sport;
		k->pb = pkt->dport;
	} else {
		memcpy(k->a, pkt->dst, 16);
		memcpy(k->b, pkt->src, 16);
		k->pa = pkt->dport;
		k->pb = pkt->sport;
	}
	*src_is_a = a_src;
}

static void unlink_flow(struct flow_table *ft, struct flow *f)
{
	uint32_t b = key_bucket(ft, &f->key);
	for (struct flow **pp = &ft->buckets[b]; *pp; pp = &(*pp)->hnext) {
		if (*pp == f) {
			*pp = f->hnext;
			break;
		}
	}
	list_remove(&ft->lists[f->tclass], f);
}

void flow_end(struct flow_table *ft, struct flow *f, enum flow_end_reason why)
{
	unlink_flow(ft, f);
	if (ft->on_end)
		ft->on_end(ft->ctx, f, why);
	ft->st.ended++;
	ft->st.active--;
	switch (why) {
	case FLOW_END_TIMEOUT: ft->st.timed_out++; break;
	case FLOW_END_EVICTED: ft->st.evicted++; break;
	case FLOW_END_REUSED: ft->st.reused++; break;
	default: break;
	}
	f->hnext = ft->free_list;
	ft->free_list = f;
}

void flow_table_free(struct flow_table *ft)
{
	if (!ft)
		return;
	flow_flush_all(ft, FLOW_END_SHUTDOWN);
	struct flow *f = ft->free_list;
	while (f) {
		struct flow *n = f->hnext;
		free(f);
		f = n;
	}
	free(ft->buckets);
	free(ft);
}

static void evict_one(struct flow_table *ft)
{
	static const enum flow_tclass order[] = {TC_TCP_NEW, TC_TCP_CLOSED, TC_UDP, TC_OTHER, TC_TCP_EST};
	for (size_t i = 0; i < KG_ARRAY_LEN(order); i++) {
		struct flow *f = ft->lists[order[i]].head;
		if (f) {
			flow_end(ft, f, FLOW_END_EVICTED);
			return;
		}
	}
}

/* Which endpoint opened the flow, judged from its first packet. */
static bool first_packet_src_is_client(const struct packet *pkt)
{
	if (pkt->ipproto == 6) {
		if ((pkt->tcp_flags & (TH_SYN_ | TH_ACK_)) == TH_SYN_)
			return true;
		if ((pkt->tcp_flags & (TH_SYN_ | TH_ACK_)) == (TH_SYN_ | TH_ACK_))
			return false;
	} else if (pkt->ipproto == 1 || pkt->ipproto == 58) {
		/* replies (echo reply, timestamp reply, ...) come from the server */
		switch (pkt->icmp_type) {
		case 0: case 14: case 16: case 18: case 129: case 131: case 134: case 136: case 140: case 145:
			return false;
		default:
			return true;
		}
	}
	if (pkt->ipproto == 6 || pkt->ipproto == 17) {
		/* mid-stream or UDP: a well-known source port talking to an ephemeral one is the server */
		if (pkt->sport < 1024 && pkt->dport >= 1024)
			return false;
	}
	return true;
}

static uint64_t make_flow_id(const struct flow_key *k, int64_t start_us)
{
	static const uint8_t idkey[16] = {'k', 'a', 'g', 'a', 'm', 'i', '-', 'f', 'l', 'o', 'w', '-', 'i', 'd', 0, 1};
	uint8_t buf[sizeof(*k) + 8];
	memcpy(buf, k, sizeof(*k));
	memcpy(buf + sizeof(*k), &start_us, 8);
	uint64_t id = kg_hash64(buf, sizeof(buf), idkey) & ((1ULL << 53) - 1);
	return id ? id : 1;
}

static struct flow *flow_create(struct flow_table *ft, const struct packet *pkt, const struct flow_key *k,
				uint32_t bucket)
{
	if (ft->st.active >= ft->cfg.max_flows)
		evict_one(ft);
	struct flow *f = ft->free_list;
	if (f)
		ft->free_list = f->hnext;
	else
		f = kg_malloc(sizeof(*f), "flow");
	memset(f, 0, sizeof(*f));
	f->key = *k;
	f->family = pkt->family;
	f->proto = pkt->ipproto;
	bool src_client = first_packet_src_is_client(pkt);
	memcpy(f->cli, src_client ? pkt->src : pkt->dst, 16);
	memcpy(f->srv, src_client ? pkt->dst : pkt->src, 16);
	f->cport = src_client ? pkt->sport : pkt->dport;
	f->sport = src_client ? pkt->dport : pkt->sport;
	f->start_us = pkt->ts_us;
	f->last_us = pkt->ts_us;
	f->flow_id = make_flow_id(k, pkt->ts_us);
	if (f->proto == 1 || f->proto == 58) {
		uint16_t a, b;
		bool two_way = icmp_port_equivalents(f->family, pkt->icmp_type, pkt->icmp_code, &a, &b);
		community_id_v1(ft->cfg.community_id_seed, f->family, pkt->src, pkt->dst, f->proto, a, b, !two_way,
				f->community_id);
		f->icmp_type = pkt->icmp_type;
		f->icmp_code = pkt->icmp_code;
	} else {
		community_id_v1(ft->cfg.community_id_seed, f->family, f->cli, f->srv, f->proto, f->cport, f->sport, 0,
				f->community_id);
	}
	if (f->proto == 6) {
		f->tclass = TC_TCP_NEW;
		if (!(pkt->tcp_flags & TH_SYN_)) {
			f->midstream = true;
			ft->st.midstream++;
		}
	} else {
		f->tclass = f->proto == 17 ? TC_UDP : TC_OTHER;
	}
	f->hnext = ft->buckets[bucket];
	ft->buckets[bucket] = f;
	list_append(&ft->lists[f->tclass], f);
	ft->st.created++;
	ft->st.active++;
	if (ft->st.active > ft->st.peak_active)
		ft->st.peak_active = ft->st.active;
	return f;
}

static void set_tclass(struct flow_table *ft, struct flow *f, enum flow_tclass tc)
{
	if (f->tclass == tc)
		return;
	list_remove(&ft->lists[f->tclass], f);
	f->tclass = (uint8_t)tc;
	list_append(&ft->lists[tc], f);
}

/* TCP bookkeeping: state machine and the acknowledged-but-unseen estimate. */
static void tcp_update(struct flow_table *ft, struct flow *f, const struct packet *pkt, enum flow_dir dir)
{
	uint8_t fl = pkt->tcp_flags;
	int other = dir ^ 1;
	if (fl & TH_RST_) {
		f->tcp_state = TCPT_CLOSED;
	} else if ((fl & (TH_SYN_ | TH_ACK_)) == TH_SYN_) {
		if (f->tcp_state == TCPT_NONE && dir == DIR_TO_SERVER && !f->pkts[1])
			f->tcp_state = TCPT_SYN_SENT;
	} else if ((fl & (TH_SYN_ | TH_ACK_)) == (TH_SYN_ | TH_ACK_)) {
		if (f->tcp_state == TCPT_SYN_SENT || f->tcp_state == TCPT_NONE)
			f->tcp_state = TCPT_SYN_RECV;
	} else if (fl & TH_FIN_) {
		if (f->tcp_state == TCPT_FIN_WAIT && (f->tcp_flags[other] & TH_FIN_))
			f->tcp_state = TCPT_CLOSED;
		else if (f->tcp_state != TCPT_CLOSED)
			f->tcp_state = (f->tcp_flags[other] & TH_FIN_) ? TCPT_CLOSED : TCPT_FIN_WAIT;
	} else if (fl & TH_ACK_) {
		if (f->tcp_state == TCPT_SYN_RECV || f->tcp_state == TCPT_NONE)
			f->tcp_state = TCPT_ESTABLISHED;
	}

	/* sequence space sent by this direction */
	uint32_t end = pkt->seq + pkt->payload_wire + ((fl & TH_SYN_) ? 1 : 0) + ((fl & TH_FIN_) ? 1 : 0);
	if (!(fl & TH_RST_)) {
		if (!f->seq_init[dir]) {
			f->seq_init[dir] = true;
			f->seq_next[dir] = end;
			/* nothing of this direction is acknowledged yet: its first data byte */
			f->ack_hi[dir] = pkt->seq + ((fl & TH_SYN_) ? 1 : 0);
		} else if (SEQ_GT(end, f->seq_next[dir]) && (uint32_t)(end - f->seq_next[dir]) < MAX_SANE_ACK_JUMP) {
			f->seq_next[dir] = end;
		}
	}
	/* Capture loss as Zeek estimates it: an ACK that acknowledges new sequence
	 * space of the other direction is an "ack event"; when part of that space
	 * was never seen by the sensor, it is also a "gap event" and the unseen
	 * bytes are counted. Duplicate ACKs and ACKs that acknowledge nothing new
	 * (window updates, the handshake) are not counted. */
	if ((fl & TH_ACK_) && !(fl & TH_RST_) && f->seq_init[other]) {
		uint32_t ack = pkt->ack;
		if (SEQ_GT(ack, f->ack_hi[other]) && (uint32_t)(ack - f->ack_hi[other]) < MAX_SANE_ACK_JUMP) {
			f->ack_hi[other] = ack;
			f->acks++;
			ft->st.tcp_acks++;
			if (SEQ_GT(ack, f->seq_next[other])) {
				uint32_t miss = ack - f->seq_next[other];
				f->ack_unseen[other] += miss;
				f->ack_gaps[other]++;
				ft->st.tcp_ack_gaps++;
				ft->st.tcp_ack_unseen_bytes += miss;
				f->seq_next[other] = ack;
			}
		}
	}

	switch (f->tcp_state) {
	case TCPT_ESTABLISHED:
	case TCPT_FIN_WAIT:
		set_tclass(ft, f, TC_TCP_EST);
		break;
	case TCPT_CLOSED:
		set_tclass(ft, f, TC_TCP_CLOSED);
		break;
	case TCPT_NONE:
		/* mid-stream pick-up with data both ways is as good as established */
		if (f->pkts[0] && f->pkts[1])
			set_tclass(ft, f, TC_TCP_EST);
		break;
	default:
		break;
	}
}

struct flow *flow_packet(struct flow_table *ft, const struct packet *pkt, enum flow_dir *dir)
{
	struct flow_key k;
	bool src_is_a;
	make_key(pkt, &k, &src_is_a);
	uint32_t b = key_bucket(ft, &k);
	struct flow *f = ft->buckets[b];
	while (f && !key_eq(&f->key, &k))
		f = f->hnext;
	if (f && f->proto == 6 && f->tcp_state == TCPT_CLOSED &&
	    (pkt->tcp_flags & (TH_SYN_ | TH_ACK_ | TH_RST_)) == TH_SYN_) {
		/* a new connection reusing the 5-tuple */
		flow_end(ft, f, FLOW_END_REUSED);
		f = NULL;
	}
	if (!f)
		f = flow_create(ft, pkt, &k, b);

	size_t alen = f->family == 6 ? 16 : 4;
	enum flow_dir d = (memcmp(pkt->src, f->cli, alen) == 0 && pkt->sport == f->cport) ? DIR_TO_SERVER
												: DIR_TO_CLIENT;
	if (memcmp(f->cli, f->srv, alen) == 0 && f->cport == f->sport)
		d = DIR_TO_SERVER; /* a flow to itself */
	*dir = d;
	f->pkts[d]++;
	f->bytes[d] += pkt->ip_total_len;
	f->payload_bytes[d] += pkt->payload_wire;
	if (pkt->ts_us > f->last_us)
		f->last_us = pkt->ts_us;
	if (f->proto == 6) {
		f->tcp_flags[d] |= pkt->tcp_flags;
		tcp_update(ft, f, pkt, d);
	}
	/* most recent activity at the tail of its class list */
	struct flow_list *l = &ft->lists[f->tclass];
	if (l->tail != f) {
		list_remove(l, f);
		list_append(l, f);
	}
	return f;
}

void flow_expire(struct flow_table *ft, int64_t now_us)
{
	for (int c = 0; c < TC__COUNT; c++) {
		int64_t limit = (int64_t)ft->cfg.timeout_s[c] * 1000000;
		struct flow *f;
		while ((f = ft->lists[c].head) && now_us - f->last_us > limit)
			flow_end(ft, f, FLOW_END_TIMEOUT);
	}
}

void flow_flush_all(struct flow_table *ft, enum flow_end_reason why)
{
	/* oldest activity first, across classes, so the order is reproducible */
	for (;;) {
		struct flow *best = NULL;
		for (int c = 0; c < TC__COUNT; c++) {
			struct flow *h = ft->lists[c].head;
			if (h && (!best || h->last_us < best->last_us ||
				  (h->last_us == best->last_us && h->flow_id < best->flow_id)))
				best = h;
		}
		if (!best)
			break;
		flow_end(ft, best, why);
	}
}

const struct flow_stats *flow_table_stats(const struct flow_table *ft) { return &ft->st; }

void flow_endpoints(const struct flow *f, enum flow_dir dir, const uint8_t **src, uint16_t *sport,
		    const uint8_t **dst, uint16_t *dport)
{
	if (dir == DIR_TO_SERVER) {
		*src = f->cli;
		*sport = f->cport;
		*dst = f->srv;
		*dport = f->sport;
	} else {
		*src = f->srv;
		*sport = f->sport;
		*dst = f->cli;
		*dport = f->cport;
	}
}
