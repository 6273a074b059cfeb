/* tcpstream.c - TCP stream layer (see tcpstream.h).
 *
 * libnids (IPv4) is fed by our capture: every IPv4 TCP packet of a session
 * that started with a SYN goes through nids_pcap_handler() on a DLT_RAW
 * pseudo-handle, after our decoder found the IP header and our defragmenter
 * rebuilt fragments. libnids verifies IP header checksums unconditionally, so
 * a wrong one (sender checksum offload, common on mirror ports) is rewritten
 * in our copy of the packet; TCP checksum checks are switched off through
 * nids_register_chksum_ctl() unless asked for.
 *
 * libnids waits forever for a segment the capture never had. To stay
 * gap-aware, segments libnids queues out of order are shadowed here; when the
 * receiver acknowledges bytes libnids does not have, or libnids drops its
 * queue (NIDS_WARN_TCP_BIGQUEUE), or data flows although libnids never saw
 * the handshake, the session is handed over to the own reassembler at
 * libnids' position with the shadowed segments, and the hole becomes a gap.
 *
 * libnids has process-wide state and calls back without a user pointer; the
 * one static pointer below is the only global of the sensor and belongs to
 * the analysis thread.
 */
#include "config.h"

#include "tcpstream.h"

#include <nids.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "reasm.h"
#include "util/util.h"

#define SEQ_GT(a, b) ((int32_t)((a) - (b)) > 0)

enum ts_mode { TS_NONE = 0, TS_NIDS, TS_OWN, TS_DONE };

struct tcp_session {
	enum ts_mode mode;
	uint32_t nids_q;        /* libnids' out-of-order queues as charged to tcp_layer.mem (in a
				 * hole of the struct: a million sessions pay nothing for it) */
	struct tcp_stream *nids;
	bool nids_flip;         /* libnids' client is our server */
	bool handover;          /* libnids cannot continue: switch after this packet */
	bool drop;              /* no direction is wanted any more: stop reassembling */
	bool isn_seen[2];
	uint32_t isn[2];
	bool fin_seen[2];
	uint32_t fin_end[2];    /* sequence number after the FIN */
	bool eof[2];
	bool rst[2];            /* this side sent a RST */
	bool acked_valid[2];
	uint32_t acked[2];      /* highest ACK seen for the data of each direction */
	struct reasm_dir d[2];  /* own reassembler; in libnids mode: shadow queue only */
};

struct tcp_layer {
	struct stream_sink sink;
	struct tcp_layer_cfg cfg;
	pcap_t *dead;
	bool nids_on;
	struct flow *cur_flow;  /* the flow of the packet libnids is processing */
	struct packet *cur_pkt;
	struct reasm_stats rst;
	struct tcp_layer_stats st;
	uint64_t mem;           /* stream memory of all sessions (own, shadow and libnids' queues and
				 * buffers): what the memcap bounds */
};

static struct tcp_layer *g_tl; /* libnids callback context; see the file comment */
static struct nids_chksum_ctl no_checksums = {0, 0, NIDS_DONT_CHKSUM, 0};

static const char *const nids_warn_names[] = {
	"undefined", "ip_oversized", "ip_invlist", "ip_overlap", "ip_hdr", "ip_srr",
	"tcp_toomuch", "tcp_hdr", "tcp_bigqueue", "tcp_badflags",
};

const char *tcp_layer_nids_warning_name(int n)
{
	return (unsigned)n < KG_ARRAY_LEN(nids_warn_names) ? nids_warn_names[n] : "other";
}

/* ------------------------------------------------------------ delivery glue */

struct deliver_ctx {
	struct tcp_layer *tl;
	struct flow *f;
	int64_t ts_us;
};

static size_t own_deliver(void *ctx, enum flow_dir dir, const uint8_t *data, size_t len, size_t new_off)
{
	struct deliver_ctx *dc = ctx;
	size_t used = dc->tl->sink.data(dc->tl->sink.ctx, dc->f, dir, data, len, new_off, dc->ts_us);
	struct tcp_session *s = dc->f->tcp;
	if (s && !s->d[dir].discard && !dc->tl->sink.wanted(dc->tl->sink.ctx, dc->f, dir)) {
		s->d[dir].discard = true;
		dc->tl->st.streams_dropped++;
		if (s->d[dir ^ 1].discard || !dc->tl->sink.wanted(dc->tl->sink.ctx, dc->f, (enum flow_dir)(dir ^ 1)))
			s->drop = true;
		return len;
	}
	return used;
}

static void own_gap(void *ctx, enum flow_dir dir, uint64_t bytes)
{
	struct deliver_ctx *dc = ctx;
	dc->f->gaps[dir]++;
	dc->f->gap_bytes[dir] += bytes;
	dc->tl->sink.gap(dc->tl->sink.ctx, dc->f, dir, bytes, dc->ts_us);
}

/* Unconsumed bytes dropped at the memcap: a gap to the parser, not a hole in the flow. */
static void own_dropped(void *ctx, enum flow_dir dir, uint64_t bytes)
{
	struct deliver_ctx *dc = ctx;
	dc->tl->sink.gap(dc->tl->sink.ctx, dc->f, dir, bytes, dc->ts_us);
}

static void own_eof(void *ctx, enum flow_dir dir)
{
	struct deliver_ctx *dc = ctx;
	struct tcp_session *s = dc->f->tcp;
	if (s && !s->eof[dir]) {
		s->eof[dir] = true;
		dc->tl->sink.eof(dc->tl->sink.ctx, dc->f, dir, dc->ts_us);
	}
}

static void make_env(struct tcp_layer *tl, struct deliver_ctx *dc, struct reasm_env *env)
{
	env->deliver = own_deliver;
	env->gap = own_gap;
	env->dropped = own_dropped;
	env->eof = own_eof;
	env->ctx = dc;
	env->mem = &tl->mem;
	env->memcap = tl->cfg.reasm_memcap;
	env->max_ooo = tl->cfg.reasm_max_ooo;
	env->st = &tl->rst;
}

static void note_mem(struct tcp_layer *tl)
{
	tl->st.ooo_memory = tl->mem;
	if (tl->mem > tl->st.ooo_memory_peak)
		tl->st.ooo_memory_peak = tl->mem;
}

/* libnids queues each out-of-order segment as a copy (struct skbuff and the data, two
 * allocations) and counts it in rmem_alloc as its IP length plus 16: what that costs is charged
 * to the memcap like the own queues. rmem_alloc understates a one-byte segment's allocations by
 * less than half, so half again is charged. */
static uint64_t nids_queue_cost(const struct tcp_stream *ns)
{
	uint64_t r = (uint64_t)(ns->client.rmem_alloc > 0 ? ns->client.rmem_alloc : 0) +
		     (uint64_t)(ns->server.rmem_alloc > 0 ? ns->server.rmem_alloc : 0);
	return r + r / 2;
}

/* What libnids would charge for queueing pkt out of order (see nids_queue_cost). */
static uint64_t nids_segment_cost(const struct packet *pkt)
{
	uint64_t r = (uint64_t)pkt->l3_len + 16;
	return r + r / 2;
}

/* Charge the session's libnids queues as they are now (its buffers hold no byte between two
 * packets: see NIDS_DATA). At most twice 64 KiB (libnids prunes a queue past 65535) and a half. */
static void nids_charge(struct tcp_layer *tl, struct tcp_session *s)
{
	uint32_t q = s->nids ? (uint32_t)nids_queue_cost(s->nids) : 0;
	tl->mem = tl->mem - s->nids_q + q;
	s->nids_q = q;
}

/* libnids lets the session go (or is about to free it): its queues no longer count. */
static void nids_release(struct tcp_layer *tl, struct tcp_session *s)
{
	tl->mem -= s->nids_q;
	s->nids_q = 0;
	s->nids = NULL;
}

/* ------------------------------------------------------------------ libnids */

static void adopt_state(struct tcp_session *s, const struct reasm_env *env);

static void nids_warn(int type, int err, struct ip *iph, void *data)
{
	(void)type;
	(void)iph;
	(void)data;
	struct tcp_layer *tl = g_tl;
	if (!tl)
		return;
	tl->st.nids_warnings[(unsigned)err < 16 ? err : 0]++;
	if (err == NIDS_WARN_TCP_BIGQUEUE && tl->cur_flow && tl->cur_flow->tcp) {
		struct tcp_session *s = tl->cur_flow->tcp;
		if (s->mode == TS_NIDS)
			s->handover = true;
	}
}

static void nids_nomem(char *where) { kg_fatal("libnids ran out of memory in %s", where ? where : "?"); }

/* libnids half stream receiving the data sent in our direction dir */
static struct half_stream *rcv_half(struct tcp_session *s, enum flow_dir dir)
{
	bool to_nids_server = (dir == DIR_TO_SERVER) != s->nids_flip;
	return to_nids_server ? &s->nids->server : &s->nids->client;
}

/* libnids half stream of the sender of direction dir */
static struct half_stream *snd_half(struct tcp_session *s, enum flow_dir dir)
{
	bool from_nids_client = (dir == DIR_TO_SERVER) != s->nids_flip;
	return from_nids_client ? &s->nids->client : &s->nids->server;
}

/* Next sequence number libnids expects in direction dir (libnids' EXP_SEQ:
 * the sender's first data sequence number plus what the receiver collected). */
static uint32_t exp_seq(struct tcp_session *s, enum flow_dir dir)
{
	const struct half_stream *r = rcv_half(s, dir);
	return snd_half(s, dir)->first_data_seq + (uint32_t)r->count + (uint32_t)r->urg_count;
}

static void nids_tcp_callback(struct tcp_stream *a_tcp, void **param)
{
	(void)param;
	struct tcp_layer *tl = g_tl;
	struct flow *f;
	switch (a_tcp->nids_state) {
	case NIDS_JUST_EST: {
		f = tl->cur_flow;
		if (!f || !f->tcp || f->family != 4)
			return;
		struct tcp_session *s = f->tcp;
		if (s->mode != TS_NIDS || s->nids)
			return;
		uint32_t saddr = a_tcp->addr.saddr;
		bool cli_is_saddr = memcmp(f->cli, &saddr, 4) == 0 && f->cport == a_tcp->addr.source;
		s->nids = a_tcp;
		s->nids_flip = !cli_is_saddr;
		a_tcp->user = f;
		a_tcp->client.collect++;
		a_tcp->server.collect++;
		tl->st.sessions_nids++;
		return;
	}
	case NIDS_DATA: {
		f = a_tcp->user;
		if (!f || !f->tcp)
			return;
		struct tcp_session *s = f->tcp;
		struct half_stream *h;
		enum flow_dir dir;
		if (a_tcp->server.count_new) {
			h = &a_tcp->server;
			dir = s->nids_flip ? DIR_TO_CLIENT : DIR_TO_SERVER;
		} else if (a_tcp->client.count_new) {
			h = &a_tcp->client;
			dir = s->nids_flip ? DIR_TO_SERVER : DIR_TO_CLIENT;
		} else {
			return; /* urgent data only: not collected */
		}
		size_t len = (size_t)(h->count - h->offset);
		size_t newb = KG_MIN((size_t)h->count_new, len);
		/* libnids is told every byte is consumed: what the parser leaves is kept in the
		 * session's own buffer (reasm.c: sized to what it holds, charged against the memcap,
		 * dropped as a gap past it) and delivered again with the next bytes, never in
		 * libnids' (4 KiB at least per direction, outside any cap). On a hand-over the
		 * own reassembler finds it where it continues. */
		struct deliver_ctx dc = {.tl = tl, .f = f,
					 .ts_us = tl->cur_pkt ? tl->cur_pkt->ts_us : tl->sink.now(tl->sink.ctx)};
		struct reasm_env env;
		make_env(tl, &dc, &env);
		reasm_deliver(&env, &s->d[dir], dir, (const uint8_t *)h->data + (len - newb), newb);
		nids_discard(a_tcp, (int)len);
		/* Nobody wants this direction any more (own_deliver() counted it): let libnids stop
		 * copying it. libnids frees a stream silently once no half is collected, so the
		 * last half is left on and the session is dropped after this packet (s->drop). */
		if (s->d[dir].discard && !s->drop)
			h->collect = 0;
		return;
	}
	case NIDS_TIMED_OUT: {
		/* libnids gives the stream up: its table is full (it evicts its
		 * oldest stream) or a closing session timed out. While kagami's flow
		 * lives on, the own reassembler continues from libnids' position. */
		f = a_tcp->user;
		a_tcp->user = NULL;
		if (!f || !f->tcp)
			return;
		struct tcp_session *s = f->tcp;
		if (s->mode == TS_NIDS && s->nids == a_tcp) {
			struct deliver_ctx dc = {.tl = tl, .f = f, .ts_us = tl->sink.now(tl->sink.ctx)};
			struct reasm_env env;
			make_env(tl, &dc, &env);
			adopt_state(s, &env);
			nids_release(tl, s); /* libnids frees it after this call */
			s->mode = TS_OWN;
			tl->st.handovers++;
		}
		return;
	}
	case NIDS_CLOSE:
	case NIDS_RESET:
	case NIDS_EXITING: {
		f = a_tcp->user;
		a_tcp->user = NULL;
		if (!f || !f->tcp)
			return;
		struct tcp_session *s = f->tcp;
		int64_t ts = tl->cur_pkt ? tl->cur_pkt->ts_us : tl->sink.now(tl->sink.ctx);
		nids_release(tl, s);
		s->mode = TS_DONE;
		for (int d = 0; d < 2; d++) {
			if (!s->eof[d]) {
				s->eof[d] = true;
				tl->sink.eof(tl->sink.ctx, f, (enum flow_dir)d, ts);
			}
		}
		return;
	}
	default:
		return;
	}
}

struct tcp_layer *tcp_layer_new(const struct tcp_layer_cfg *cfg, const struct stream_sink *sink, char *errbuf,
				size_t errlen)
{
	struct tcp_layer *tl = kg_calloc(1, sizeof(*tl), "tcp layer");
	tl->sink = *sink;
	tl->cfg = *cfg;
	tl->nids_on = cfg->use_nids;
	if (tl->nids_on) {
		if (g_tl) {
			snprintf(errbuf, errlen, "libnids allows one instance per process");
			free(tl);
			return NULL;
		}
		tl->dead = pcap_open_dead(DLT_RAW, 65535);
		if (!tl->dead) {
			snprintf(errbuf, errlen, "pcap_open_dead failed");
			free(tl);
			return NULL;
		}
		nids_params.pcap_desc = tl->dead;
		nids_params.n_tcp_streams = (int)(cfg->nids_streams ? cfg->nids_streams : 65536);
		nids_params.n_hosts = (int)(cfg->nids_hosts ? cfg->nids_hosts : 256);
		nids_params.syslog = nids_warn;
		nids_params.no_mem = nids_nomem;
		nids_params.scan_num_hosts = 0;
		nids_params.tcp_workarounds = 1;
		nids_params.one_loop_less = 0;
		nids_params.multiproc = 0;
		nids_params.pcap_filter = NULL;
		nids_params.filename = NULL;
		nids_params.device = NULL;
		if (!nids_init()) {
			snprintf(errbuf, errlen, "libnids initialisation failed: %s", nids_errbuf);
			pcap_close(tl->dead);
			free(tl);
			return NULL;
		}
		if (!cfg->nids_checksums)
			nids_register_chksum_ctl(&no_checksums, 1);
		nids_register_tcp((void *)nids_tcp_callback);
		g_tl = tl;
	}
	return tl;
}

void tcp_layer_free(struct tcp_layer *tl)
{
	if (!tl)
		return;
	if (tl->nids_on) {
		nids_unregister_tcp((void *)nids_tcp_callback);
		nids_exit();
		nids_params.pcap_desc = NULL;
		pcap_close(tl->dead);
		g_tl = NULL;
	}
	free(tl);
}

const struct tcp_layer_stats *tcp_layer_stats(const struct tcp_layer *tl) { return &tl->st; }
const struct reasm_stats *tcp_layer_reasm_stats(const struct tcp_layer *tl) { return &tl->rst; }

/* ---------------------------------------------------------------- sessions */

/* libnids verifies the IPv4 header checksum; give it a correct one. */
static void fix_ipv4_checksum(struct packet *pkt)
{
	uint8_t *h = pkt->l3;
	size_t hl = pkt->l4_off;
	if (kg_inet_checksum(h, hl) == 0)
		return;
	h[10] = h[11] = 0;
	uint16_t c = kg_inet_checksum(h, hl);
	h[10] = (uint8_t)(c >> 8);
	h[11] = (uint8_t)c;
}

static void feed_nids(struct tcp_layer *tl, struct flow *f, struct packet *pkt)
{
	struct pcap_pkthdr hdr;
	hdr.ts.tv_sec = (time_t)(pkt->ts_us / 1000000);
	hdr.ts.tv_usec = (suseconds_t)(pkt->ts_us % 1000000);
	hdr.caplen = (bpf_u_int32)pkt->l3_len;
	hdr.len = (bpf_u_int32)pkt->l3_len;
	fix_ipv4_checksum(pkt);
	tl->cur_flow = f;
	tl->cur_pkt = pkt;
	nids_pcap_handler(NULL, &hdr, pkt->l3);
	tl->cur_flow = NULL;
	tl->cur_pkt = NULL;
}

/* libnids keeps each half's receive buffer (4 KiB at least) for the life of
 * the stream. Give it back whenever the parser has consumed everything, so a
 * million idle sessions do not hold a million buffers; libnids allocates a
 * new one when data comes (add2buf() checks for NULL). Called after libnids
 * has finished with the packet, never from inside its callback. */
static void trim_nids_buffers(struct tcp_session *s)
{
	struct half_stream *hs[2] = {&s->nids->client, &s->nids->server};
	for (int i = 0; i < 2; i++) {
		struct half_stream *h = hs[i];
		if (h->data && h->count == h->offset) {
			free(h->data);
			h->data = NULL;
			h->bufsize = 0;
		}
	}
}

/* Drop shadowed segments libnids has now delivered. */
static void shadow_prune(struct tcp_layer *tl, struct tcp_session *s, const struct reasm_env *env)
{
	for (int d = 0; d < 2; d++) {
		struct reasm_dir *rd = &s->d[d];
		if (!rd->ooo || !s->nids)
			continue;
		uint32_t exp = exp_seq(s, (enum flow_dir)d);
		struct reasm_seg *seg;
		while ((seg = rd->ooo) && !SEQ_GT(seg->seq + seg->len, exp)) {
			rd->ooo = seg->next;
			rd->ooo_bytes -= seg->len;
			rd->ooo_segs--;
			*env->mem -= REASM_SEG_COST(seg->len);
			free(seg);
		}
	}
	(void)tl;
}

static void drop_halfopen(struct tcp_layer *tl, struct flow *f);

/* Continue a libnids session (or one libnids never established) with the own
 * reassembler, from libnids' position. */
/* Take over libnids' position, buffered bytes and ACK marks (or the ISNs when
 * libnids never established the session) into the own reassembler. */
static void adopt_state(struct tcp_session *s, const struct reasm_env *env)
{
	for (int d = 0; d < 2; d++) {
		struct reasm_dir *rd = &s->d[d];
		if (s->nids) {
			struct half_stream *h = rcv_half(s, (enum flow_dir)d);
			uint32_t exp = exp_seq(s, (enum flow_dir)d);
			rd->init = true;
			rd->next_seq = exp;
			rd->discard = !h->collect;
			if (s->acked_valid[d] && SEQ_GT(s->acked[d], exp)) {
				rd->acked_valid = true;
				rd->acked = s->acked[d];
			}
			if (h->collect && h->data && h->count > h->offset)
				reasm_preload(env, rd, (const uint8_t *)h->data, (size_t)(h->count - h->offset));
		} else if (s->isn_seen[d]) {
			rd->init = true;
			rd->next_seq = s->isn[d] + 1;
		}
	}
}

static void handover(struct tcp_layer *tl, struct flow *f, struct tcp_session *s, const struct reasm_env *env)
{
	tl->st.handovers++;
	adopt_state(s, env);
	if (s->nids) {
		s->nids->user = NULL;
		nids_free_tcp_stream(s->nids);
		nids_release(tl, s);
	} else {
		drop_halfopen(tl, f);
	}
	s->mode = TS_OWN;
	s->handover = false;
}

/* A libnids stream that saw a SYN but no completed handshake has no user
 * pointer yet; find it by address and free it with the flow. */
static void drop_halfopen(struct tcp_layer *tl, struct flow *f)
{
	if (tl->nids_on && f->family == 4) {
		struct tuple4 t;
		memcpy(&t.saddr, f->cli, 4);
		memcpy(&t.daddr, f->srv, 4);
		t.source = f->cport;
		t.dest = f->sport;
		struct tcp_stream *ns = nids_find_tcp_stream(&t);
		if (!ns) {
			memcpy(&t.saddr, f->srv, 4);
			memcpy(&t.daddr, f->cli, 4);
			t.source = f->sport;
			t.dest = f->cport;
			ns = nids_find_tcp_stream(&t);
		}
		if (ns && !ns->user)
			nids_free_tcp_stream(ns);
	}
}

static void own_packet(struct tcp_layer *tl, struct flow *f, struct tcp_session *s, enum flow_dir dir,
		       struct packet *pkt, const struct reasm_env *env)
{
	uint8_t fl = pkt->tcp_flags;
	struct reasm_dir *rd = &s->d[dir];
	if (fl & TH_SYN_) {
		if (!rd->init)
			reasm_dir_init(rd, pkt->seq + 1);
		return;
	}
	if (fl & TH_RST_) {
		/* The sender of the RST is done; what the other side already sent is still
		 * on the wire (a client may reset while a server streams a 64 KiB
		 * Heartbleed answer), so that direction stays open until it ends. */
		s->rst[dir] = true;
		reasm_close(env, &s->d[dir], dir);
		if (s->rst[dir ^ 1] || s->d[dir ^ 1].eof_sent) {
			reasm_close(env, &s->d[dir ^ 1], (enum flow_dir)(dir ^ 1));
			s->mode = TS_DONE;
		}
		return;
	}
	if (s->rst[dir])
		return; /* nothing a side sends after its own RST counts */
	if (pkt->payload_len || (fl & TH_FIN_)) {
		size_t n = pkt->payload_len;
		/* a snapped segment cannot be delivered whole: let the ACK make it a gap */
		if (pkt->ip_truncated)
			n = 0;
		if (n || (fl & TH_FIN_))
			reasm_data(env, rd, dir, pkt->seq, pkt->payload, n, (fl & TH_FIN_) && !pkt->ip_truncated);
	}
	if ((fl & TH_ACK_) && s->d[dir ^ 1].init)
		reasm_ack(env, &s->d[dir ^ 1], (enum flow_dir)(dir ^ 1), pkt->ack);
	(void)tl;
	(void)f;
}

/* Nothing wants this session's bytes: free the reassembly state, keep the flow. */
static void stop_reassembly(struct tcp_layer *tl, struct flow *f, struct tcp_session *s, const struct reasm_env *env)
{
	if (s->nids) {
		s->nids->user = NULL;
		nids_free_tcp_stream(s->nids);
		nids_release(tl, s);
	} else if (s->mode == TS_NIDS) {
		drop_halfopen(tl, f);
	}
	reasm_dir_free(env, &s->d[0]);
	reasm_dir_free(env, &s->d[1]);
	s->mode = TS_DONE;
}

void tcp_layer_packet(struct tcp_layer *tl, struct flow *f, enum flow_dir dir, struct packet *pkt)
{
	struct tcp_session *s = f->tcp;
	if (!s) {
		s = kg_calloc(1, sizeof(*s), "tcp session");
		f->tcp = s;
	}
	uint8_t fl = pkt->tcp_flags;
	if ((fl & TH_SYN_) && !s->isn_seen[dir]) {
		s->isn_seen[dir] = true;
		s->isn[dir] = pkt->seq;
	}
	if ((fl & TH_FIN_) && !s->fin_seen[dir]) {
		s->fin_seen[dir] = true;
		s->fin_end[dir] = pkt->seq + pkt->payload_wire + 1;
	}
	if (s->mode == TS_NONE) {
		if (tl->nids_on && f->family == 4 && (fl & (TH_SYN_ | TH_ACK_ | TH_RST_)) == TH_SYN_) {
			s->mode = TS_NIDS;
		} else {
			s->mode = TS_OWN;
			tl->st.sessions_own++;
		}
	}
	if (s->mode == TS_DONE)
		return;

	struct deliver_ctx dc = {.tl = tl, .f = f, .ts_us = pkt->ts_us};
	struct reasm_env env;
	make_env(tl, &dc, &env);

	if (s->mode == TS_NIDS) {
		/* libnids drops a session at the first RST, with the other side's data
		 * still in flight: continue it with the own reassembler instead */
		if (s->nids && (fl & TH_RST_))
			s->handover = true;
		if (s->nids && !s->handover) {
			/* The peer acknowledged bytes libnids does not have. They are lost
			 * once the sender has gone on past them: data after the hole is
			 * queued already, or arrives now. (An ACK alone may overtake its
			 * data on a mirror port, so it is not proof by itself.) */
			if ((fl & TH_ACK_) && !(fl & TH_RST_)) {
				int other = dir ^ 1;
				uint32_t exp = exp_seq(s, (enum flow_dir)other);
				uint32_t limit = exp;
				if (s->fin_seen[other] && s->fin_end[other] == exp + 1)
					limit = exp + 1;
				if (SEQ_GT(pkt->ack, limit) && (uint32_t)(pkt->ack - limit) < (1u << 30)) {
					if (!s->acked_valid[other] || SEQ_GT(pkt->ack, s->acked[other])) {
						s->acked_valid[other] = true;
						s->acked[other] = pkt->ack;
					}
					if (s->d[other].ooo && SEQ_GT(pkt->ack, s->d[other].ooo->seq))
						s->handover = true;
				}
			}
			if (!s->handover && pkt->payload_len && !pkt->ip_truncated) {
				uint32_t exp = exp_seq(s, dir);
				if (SEQ_GT(pkt->seq, exp)) {
					if (s->acked_valid[dir] && SEQ_GT(s->acked[dir], exp)) {
						s->handover = true; /* past an acknowledged hole */
					} else if (tl->mem + nids_segment_cost(pkt) + REASM_SEG_COST(pkt->payload_len) >
						   tl->cfg.reasm_memcap) {
						/* libnids has no memcap: at ours the own reassembler takes
						 * the session over (libnids' queues are freed) and refuses
						 * what does not fit, counted as ooo_dropped_bytes */
						s->handover = true;
						tl->st.memcap_handovers++;
					} else {
						/* shadow what libnids will hold out of order */
						s->d[dir].next_seq = exp;
						reasm_queue(&env, &s->d[dir], pkt->seq, pkt->payload, pkt->payload_len);
					}
				}
			}
		}
		if (!s->handover) {
			if (pkt->ip_truncated)
				tl->st.nids_unfed++;
			else
				feed_nids(tl, f, pkt);
			if (s->mode == TS_NIDS && s->nids) {
				shadow_prune(tl, s, &env);
				trim_nids_buffers(s);
				nids_charge(tl, s);
			}
		}
		/* data, but libnids never saw the handshake complete */
		if (s->mode == TS_NIDS && !s->nids && pkt->payload_len && !(fl & TH_SYN_))
			s->handover = true;
		if (s->mode == TS_NIDS && s->handover) {
			handover(tl, f, s, &env);
			/* this packet's effect on the own reassembler */
			own_packet(tl, f, s, dir, pkt, &env);
		}
	} else if (s->mode == TS_OWN) {
		own_packet(tl, f, s, dir, pkt, &env);
	}
	if (s->drop && s->mode != TS_DONE)
		stop_reassembly(tl, f, s, &env);
	note_mem(tl);
}

void tcp_layer_flow_end(struct tcp_layer *tl, struct flow *f, int64_t ts_us)
{
	struct tcp_session *s = f->tcp;
	if (!s)
		return;
	struct deliver_ctx dc = {.tl = tl, .f = f, .ts_us = ts_us};
	struct reasm_env env;
	make_env(tl, &dc, &env);
	if (s->mode == TS_NIDS && (s->d[0].ooo || s->d[1].ooo))
		handover(tl, f, s, &env); /* deliver what libnids held behind a hole */
	if (s->mode == TS_NIDS && s->nids) {
		s->nids->user = NULL;
		nids_free_tcp_stream(s->nids);
		nids_release(tl, s);
	} else if (s->mode == TS_NIDS) {
		drop_halfopen(tl, f);
	}
	if (s->mode == TS_OWN) {
		reasm_close(&env, &s->d[0], DIR_TO_SERVER);
		reasm_close(&env, &s->d[1], DIR_TO_CLIENT);
	}
	for (int d = 0; d < 2; d++) {
		if (!s->eof[d]) {
			s->eof[d] = true;
			tl->sink.eof(tl->sink.ctx, f, (enum flow_dir)d, ts_us);
		}
	}
	reasm_dir_free(&env, &s->d[0]);
	reasm_dir_free(&env, &s->d[1]);
	free(s);
	f->tcp = NULL;
	note_mem(tl);
}
