/* evidence.c - the evidence log: per-flow packet rings written to pcap files when the flow
 * alerts (see evidence.h; the files: output/pcapfile.h, pcap-savefile(5)). */
#include "config.h"

#include "evidence.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/pcapfile.h"
#include "util/util.h"

/* One buffered packet: in its flow's ring (oldest first) and in the list of all buffered
 * packets (oldest first), which the memory cap evicts from. */
struct pnode {
	struct pnode *fnext;
	struct pnode *gprev, *gnext;
	struct fent *owner;
	int64_t ts_us;
	uint32_t caplen, wirelen, snaplen;
	int32_t dlt;
	uint8_t data[];
};

/* Per flow (from its first packet to its end). */
struct fent {
	struct fent *hnext;
	const struct flow *f;
	struct pnode *head, *tail;
	uint32_t npkts;
	size_t nbytes;
	uint64_t left_ring, left_memcap; /* packets that left the ring before an alert */
	bool logging;                    /* an alert was written: packets go to the file */
	bool have_last;
	struct pcapfile_pos last;        /* where its last packet went */
};

struct evidence {
	struct evidence_cfg cfg;
	struct pcapfile *w;
	struct fent **tab;
	size_t tab_size, nent;
	uint64_t seed;
	struct pnode *gold, *gyoung;
	size_t mem, mem_peak;
	uint64_t held;
	uint32_t snaplen;
	/* the packet being processed, from the packet to the packet_done callback */
	const struct flow *cur_f;
	struct pnode *cur_node;          /* its copy, while it waits in a ring */
	bool cur_written;
	struct pcapfile_pos cur_pos;
	/* mode all: where the packet read last went */
	bool in_written;
	struct pcapfile_pos in_pos;
	char ref_path[4096];
	uint64_t flows_logged, prebuffer_evicted, memcap_evicted;
};

void evidence_cfg_defaults(struct evidence_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = EVIDENCE_ALERTS;
	cfg->file_bytes = 100u << 20;
	cfg->max_files = 100;
	cfg->prebuffer = 128;
	cfg->memcap = 64u << 20;
}

const char *evidence_mode_name(enum evidence_mode m) { return m == EVIDENCE_ALL ? "all" : "alerts"; }

int evidence_new(struct evidence **out, const struct evidence_cfg *cfg, unsigned worker, char *errbuf,
		 size_t errlen)
{
	struct pcapfile_cfg pc = {
		.dir = cfg->dir,
		.worker = worker,
		.max_bytes = cfg->file_bytes,
		.max_files = cfg->max_files,
	};
	struct pcapfile *w;
	int rc = pcapfile_open(&w, &pc, errbuf, errlen);
	if (rc != PCF_OK)
		return rc;
	struct evidence *ev = kg_calloc(1, sizeof(*ev), "evidence log");
	ev->cfg = *cfg;
	if (!ev->cfg.prebuffer)
		ev->cfg.prebuffer = 1;
	ev->w = w;
	ev->tab_size = 1024;
	ev->tab = kg_calloc(ev->tab_size, sizeof(*ev->tab), "evidence flow table");
	kg_random(&ev->seed, sizeof(ev->seed));
	*out = ev;
	return PCF_OK;
}

void evidence_set_snaplen(struct evidence *ev, uint32_t snaplen) { ev->snaplen = snaplen; }

void evidence_packet_in(struct evidence *ev, const struct packet *pkt)
{
	if (ev->cfg.mode != EVIDENCE_ALL)
		return;
	struct pcapfile_rec r = {.dlt = pkt->linktype, .snaplen = ev->snaplen, .ts_us = pkt->ts_us,
				 .caplen = pkt->caplen, .wirelen = pkt->wirelen, .data = pkt->data};
	ev->in_written = pcapfile_write(ev->w, &r, &ev->in_pos);
}

/* ---------------------------------------------------------------- per-flow table */

static size_t slot_of(const struct evidence *ev, const struct flow *f)
{
	uint64_t k = (uint64_t)(uintptr_t)f;
	return (size_t)kg_hash_words(&k, 1, ev->seed) & (ev->tab_size - 1);
}

static struct fent *find(const struct evidence *ev, const struct flow *f)
{
	for (struct fent *x = ev->tab[slot_of(ev, f)]; x; x = x->hnext)
		if (x->f == f)
			return x;
	return NULL;
}

/* Entries live as long as their flow (the flow table caps how many there are); the table
 * doubles to keep chains short. */
static struct fent *get(struct evidence *ev, const struct flow *f)
{
	struct fent *x = find(ev, f);
	if (x)
		return x;
	if (ev->nent >= ev->tab_size) {
		size_t old = ev->tab_size;
		struct fent **ot = ev->tab;
		ev->tab_size = old * 2;
		ev->tab = kg_calloc(ev->tab_size, sizeof(*ev->tab), "evidence flow table");
		for (size_t i = 0; i < old; i++)
			for (struct fent *y = ot[i], *n; y; y = n) {
				n = y->hnext;
				size_t s = slot_of(ev, y->f);
				y->hnext = ev->tab[s];
				ev->tab[s] = y;
			}
		free(ot);
	}
	x = kg_calloc(1, sizeof(*x), "evidence flow");
	x->f = f;
	size_t s = slot_of(ev, f);
	x->hnext = ev->tab[s];
	ev->tab[s] = x;
	ev->nent++;
	return x;
}

/* ---------------------------------------------------------------- rings */

static size_t node_cost(const struct pnode *n) { return sizeof(*n) + n->caplen; }

/* Take the oldest packet off x's ring (it is also the oldest of x in the global list). */
static struct pnode *pop_head(struct evidence *ev, struct fent *x)
{
	struct pnode *n = x->head;
	if (!n)
		return NULL;
	x->head = n->fnext;
	if (!x->head)
		x->tail = NULL;
	x->npkts--;
	x->nbytes -= n->caplen;
	if (n->gprev)
		n->gprev->gnext = n->gnext;
	else
		ev->gold = n->gnext;
	if (n->gnext)
		n->gnext->gprev = n->gprev;
	else
		ev->gyoung = n->gprev;
	ev->mem -= node_cost(n);
	ev->held--;
	if (n == ev->cur_node)
		ev->cur_node = NULL;
	return n;
}

static void append(struct evidence *ev, struct fent *x, const struct packet *pkt)
{
	size_t cost = sizeof(struct pnode) + pkt->caplen;
	/* the flow's own caps first, then the memory of all rings */
	while (x->head && (x->npkts >= ev->cfg.prebuffer || x->nbytes + pkt->caplen > EVIDENCE_FLOW_BYTES)) {
		free(pop_head(ev, x));
		x->left_ring++;
	}
	while (ev->gold && ev->mem + cost > ev->cfg.memcap) {
		struct fent *o = ev->gold->owner;
		free(pop_head(ev, o));
		o->left_memcap++;
	}
	if (ev->mem + cost > ev->cfg.memcap) {
		x->left_memcap++;
		return;
	}
	struct pnode *n = kg_malloc(cost, "evidence packet");
	n->fnext = NULL;
	n->owner = x;
	n->ts_us = pkt->ts_us;
	n->caplen = pkt->caplen;
	n->wirelen = pkt->wirelen;
	n->snaplen = ev->snaplen;
	n->dlt = pkt->linktype;
	memcpy(n->data, pkt->data, pkt->caplen);
	if (x->tail)
		x->tail->fnext = n;
	else
		x->head = n;
	x->tail = n;
	x->npkts++;
	x->nbytes += pkt->caplen;
	n->gnext = NULL;
	n->gprev = ev->gyoung;
	if (ev->gyoung)
		ev->gyoung->gnext = n;
	else
		ev->gold = n;
	ev->gyoung = n;
	ev->mem += cost;
	ev->mem_peak = KG_MAX(ev->mem_peak, ev->mem);
	ev->held++;
	ev->cur_node = n;
}

static void drop_ring(struct evidence *ev, struct fent *x)
{
	struct pnode *n;
	while ((n = pop_head(ev, x)) != NULL)
		free(n);
}

/* Write one packet for x; notes where it went. */
static void write_pkt(struct evidence *ev, struct fent *x, const struct pcapfile_rec *r, bool current)
{
	struct pcapfile_pos pos;
	if (!pcapfile_write(ev->w, r, &pos))
		return;
	x->last = pos;
	x->have_last = true;
	if (current) {
		ev->cur_written = true;
		ev->cur_pos = pos;
	}
}

/* The flow alerted: its ring goes to the file, in order. */
static void flush_ring(struct evidence *ev, struct fent *x)
{
	struct pnode *n;
	while (x->head) {
		bool current = x->head == ev->cur_node;
		n = pop_head(ev, x);
		struct pcapfile_rec r = {.dlt = n->dlt, .snaplen = n->snaplen, .ts_us = n->ts_us,
					 .caplen = n->caplen, .wirelen = n->wirelen, .data = n->data};
		write_pkt(ev, x, &r, current);
		free(n);
	}
}

/* ---------------------------------------------------------------- the emitter's question */

bool evidence_capture_ref(void *ctx, struct flow *f, struct capture_ref *ref)
{
	struct evidence *ev = ctx;
	struct fent *x = get(ev, f);
	if (!x->logging) {
		x->logging = true;
		ev->flows_logged++;
		ev->prebuffer_evicted += x->left_ring;
		ev->memcap_evicted += x->left_memcap;
		flush_ring(ev, x);
	}
	/* the answer must hold: what it names is on disk */
	(void)pcapfile_flush(ev->w); /* failures are counted there; pcapfile_on_disk() tells */
	if (f == ev->cur_f && ev->cur_written && pcapfile_on_disk(ev->w, &ev->cur_pos)) {
		pcapfile_path(ev->w, ev->cur_pos.seq, ev->ref_path, sizeof(ev->ref_path));
		ref->file = ev->ref_path;
		ref->packet = ev->cur_pos.index;
		return true;
	}
	if (x->have_last) { /* no packet of f being processed, or it did not make it to the file */
		pcapfile_path(ev->w, x->last.seq, ev->ref_path, sizeof(ev->ref_path));
		ref->file = ev->ref_path;
		ref->packet = 0;
		return true;
	}
	return false;
}

/* ---------------------------------------------------------------- module callbacks */

static void ev_packet(void *ctx, struct engine *e, const struct packet *pkt, struct flow *f, enum flow_dir dir)
{
	(void)e;
	(void)dir;
	struct evidence *ev = ctx;
	ev->cur_f = f;
	ev->cur_node = NULL;
	ev->cur_written = false;
	struct fent *x = get(ev, f);
	if (ev->cfg.mode == EVIDENCE_ALL) { /* written as read: evidence_packet_in() */
		if (ev->in_written) {
			ev->cur_written = true;
			ev->cur_pos = x->last = ev->in_pos;
			x->have_last = true;
		}
		return;
	}
	if (x->logging) {
		struct pcapfile_rec r = {.dlt = pkt->linktype, .snaplen = ev->snaplen, .ts_us = pkt->ts_us,
					 .caplen = pkt->caplen, .wirelen = pkt->wirelen, .data = pkt->data};
		write_pkt(ev, x, &r, true);
		return;
	}
	append(ev, x, pkt);
}

static void ev_packet_done(void *ctx, struct engine *e, const struct packet *pkt, struct flow *f,
			   enum flow_dir dir)
{
	(void)e;
	(void)pkt;
	(void)f;
	(void)dir;
	struct evidence *ev = ctx;
	ev->cur_f = NULL;
	ev->cur_node = NULL;
	ev->cur_written = false;
}

static void ev_flow_end(void *ctx, struct engine *e, struct flow *f)
{
	(void)e;
	struct evidence *ev = ctx;
	size_t s = slot_of(ev, f);
	for (struct fent **pp = &ev->tab[s]; *pp; pp = &(*pp)->hnext) {
		struct fent *x = *pp;
		if (x->f != f)
			continue;
		*pp = x->hnext;
		drop_ring(ev, x);
		free(x);
		ev->nent--;
		break;
	}
	if (ev->cur_f == f) {
		ev->cur_f = NULL;
		ev->cur_written = false;
	}
}

static void ev_tick(void *ctx, struct engine *e, int64_t now_us)
{
	(void)e;
	(void)now_us;
	struct evidence *ev = ctx;
	(void)pcapfile_flush(ev->w); /* live: what was written is readable within a second */
}

static void ev_finish(void *ctx, struct engine *e)
{
	(void)e;
	struct evidence *ev = ctx;
	(void)pcapfile_flush(ev->w); /* before the final stats event (failures are counted) */
}

static void ev_stats(void *ctx, struct engine *e, struct event *evt)
{
	(void)e;
	struct evidence *ev = ctx;
	struct pcapfile_stats st;
	pcapfile_get_stats(ev->w, &st);
	ev_str(evt, "directory", pcapfile_dir(ev->w));
	ev_str(evt, "mode", evidence_mode_name(ev->cfg.mode));
	ev_u64(evt, "flows_logged", ev->flows_logged);
	ev_u64(evt, "flows_tracked", ev->nent);
	ev_u64(evt, "packets_written", st.packets);
	ev_u64(evt, "bytes_written", st.bytes);
	ev_u64(evt, "files_opened", st.files_opened);
	ev_u64(evt, "files_removed", st.files_removed);
	ev_u64(evt, "files", st.files);
	ev_u64(evt, "packets_dropped", st.packets_dropped);
	ev_u64(evt, "write_errors", st.write_errors);
	ev_u64(evt, "open_errors", st.open_errors);
	ev_u64(evt, "remove_errors", st.remove_errors);
	ev_u64(evt, "prebuffer_packets", ev->held);
	ev_u64(evt, "prebuffer_bytes", ev->mem);
	ev_u64(evt, "prebuffer_bytes_peak", ev->mem_peak);
	ev_u64(evt, "prebuffer_evicted", ev->prebuffer_evicted);
	ev_u64(evt, "memcap_evicted", ev->memcap_evicted);
}

static void ev_destroy(void *ctx) { (void)ctx; /* owned by the caller: evidence_free() */ }

bool evidence_attach(struct evidence *ev, struct engine *e)
{
	struct engine_module m = {
		.name = "pcap_log",
		.ctx = ev,
		.packet = ev_packet,
		.packet_done = ev_packet_done,
		.flow_end = ev_flow_end,
		.tick = ev_tick,
		.stats = ev_stats,
		.finish = ev_finish,
		.destroy = ev_destroy,
	};
	return engine_add_module(e, &m);
}

void evidence_free(struct evidence *ev)
{
	if (!ev)
		return;
	for (size_t i = 0; i < ev->tab_size; i++)
		for (struct fent *x = ev->tab[i], *n; x; x = n) {
			n = x->hnext;
			drop_ring(ev, x);
			free(x);
		}
	free(ev->tab);
	pcapfile_close(ev->w);
	free(ev);
}
