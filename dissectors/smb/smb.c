/* smb.c - SMB dissector and MS17-010 / EternalBlue / EternalRomance / EternalChampion / DoublePulsar
 * detection: per-flow state, `smb`, `ms17_010` and alert events, per-host verdicts (MS-CIFS, MS-SMB2,
 * RFC 1002; wire parsing in smb_records.c; docs/events.md lists every event, field and sid).
 *
 * Framing: NetBIOS session messages on 139 and 445, followed across TCP segments. A message up to
 * WHOLE_MAX bytes is parsed when it is complete; a larger one (WRITE_ANDX/READ payloads, the
 * EternalBlue grooming buffers) from its first PREFIX_LEN bytes, the rest skipped through the
 * streaming contract without being buffered. After a gap, or when the stream was picked up in the
 * middle of a message, the parser resynchronises on the next NetBIOS header followed by an SMB magic.
 *
 * SMB1 transactions (TRANSACTION, TRANSACTION2, NT_TRANSACT) are followed per flow, keyed as the
 * protocol keys them (PID, MID, TID, UID), from the primary request through its secondaries to the
 * final response; requests awaiting their response are paired by (PID, MID) (SMB2: MessageId).
 * Both tables are capped; what is evicted is counted.
 *
 * Detections (one alert per kind per flow, the rest counted and reported in the `ms17_010` event at
 * flow end):
 *   - SMBv1 in use (policy): any SMB1 message but a NEGOTIATE request, or an SMB1 dialect chosen;
 *   - MS17-010 probe: TRANSACTION PeekNamedPipe on FID 0 (IPC$), and the server's verdict from the
 *     status of its answer (STATUS_INSUFF_SERVER_RESOURCES = vulnerable, ACCESS_DENIED or
 *     INVALID_HANDLE = patched);
 *   - EternalBlue: a TRANSACTION2_SECONDARY continuing an open NT_TRANSACT (the transaction type
 *     confusion behind the FEA-list overflow), an NT_TRANSACT announcing more than 64 KiB of data, the
 *     SMBv2 grooming buffers (an SMB2 header whose StructureSize is not 64 in a message of 32 KiB or
 *     more) and the SESSION_SETUP_ANDX pool allocation bug (extended-security form with
 *     CAP_EXTENDED_SECURITY but without FLAGS2_EXTENDED_SECURITY);
 *   - DoublePulsar: TRANSACTION2 SESSION_SETUP requests carrying an implant command (ping, exec,
 *     kill, from the Timeout field), and the implant's answer: a reply to such a request whose
 *     Multiplex ID is the request's raised by 0x10/0x20/0x30 (infected host);
 *   - EternalRomance/EternalSynergy: a WRITE_ANDX carrying the (PID, MID, TID, UID) of an open
 *     transaction;
 *   - EternalChampion: a secondary request for a transaction whose primary already carried all of
 *     its parameters and data (the race); NT_TRANSACT_RENAME requests (the whole Function field).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dissectors/dissector.h"
#include "dissectors/inspect.h"
#include "output/alert.h"
#include "output/mpjson.h"
#include "smb.h"
#include "smb_records.h"
#include "util/util.h"

#define WHOLE_MAX 8192          /* messages parsed whole up to this size */
#define PREFIX_LEN 1024         /* larger ones: parsed from this many of their first bytes */
#define RESYNC_WINDOW 65536     /* bytes searched for a header per call */
#define MAX_MSGS_PER_CALL 4096
#define MAX_TX 512              /* open transactions per flow (EternalRomance sprays dozens) */
#define MAX_PENDING 64          /* requests awaiting a response per flow */
#define MAX_DP 8                /* TRANS2 SESSION_SETUP requests awaiting an answer per flow */
#define MAX_TREES 32            /* tree id -> share per flow */
#define MAX_EVENTS_PER_FLOW 256 /* smb events per flow */
#define MAX_ERROR_EVENTS 8      /* of which error answers */
#define MAX_DIALECTS 16
#define STR_MAX 256             /* strings kept for events (UTF-8 bytes) */
#define GROOMING_MIN_LEN 32768  /* an invalid SMB2 header in a message at least this long */
#define HOSTS_MAX 16384         /* per-host verdict records per run */
#define HOST_FLOWS_MAX 8        /* evidence flow ids kept per host */

/* ------------------------------------------------------------------ detection kinds */

enum kind {
	K_SMB1 = 0,
	K_PROBE,
	K_VULNERABLE,
	K_PATCHED,
	K_EB_CONFUSION,
	K_EB_OVERSIZED,
	K_EB_GROOM2,
	K_EB_POOL,
	K_DP_PING,
	K_DP_IMPLANT,
	K_DP_EXEC,
	K_DP_KILL,
	K_ROMANCE,
	K_CHAMPION,
	K_NT_RENAME,
	K__COUNT
};

static const struct {
	const char *name;        /* in the ms17_010 event's counts */
	const char *event;       /* app-layer event name */
	struct alert_info ai;
} kinds[K__COUNT] = {
	[K_SMB1] = {"smb1", "smb.smb1_in_use", {1, 9002001, 1, "KAGAMI SMB SMBv1 negotiated or used (policy)", "policy-violation", 3}},
	[K_PROBE] = {"ms17_010_probe", "smb.ms17_010_probe", {1, 9002002, 1, "KAGAMI SMB MS17-010 vulnerability probe: TRANSACTION PeekNamedPipe on FID 0", "attempted-recon", 2}},
	[K_VULNERABLE] = {"ms17_010_vulnerable", "smb.ms17_010_vulnerable", {1, 9002003, 1, "KAGAMI SMB MS17-010 probe answered STATUS_INSUFF_SERVER_RESOURCES: server vulnerable (unpatched)", "successful-recon-limited", 1}},
	[K_PATCHED] = {"ms17_010_patched", "smb.ms17_010_patched", {1, 9002004, 1, "KAGAMI SMB MS17-010 probe answered as a patched server", "attempted-recon", 3}},
	[K_EB_CONFUSION] = {"eternalblue", "smb.eternalblue_trans2_secondary_in_nt_trans", {1, 9002010, 1, "KAGAMI SMB EternalBlue MS17-010 exploit: TRANSACTION2_SECONDARY continuing an NT_TRANSACT (FEA-list overflow)", "attempted-admin", 1}},
	[K_EB_OVERSIZED] = {"nt_trans_oversized", "smb.nt_trans_oversized", {1, 9002011, 1, "KAGAMI SMB EternalBlue MS17-010 staging: NT_TRANSACT announcing more than 64 KiB of data", "attempted-admin", 2}},
	[K_EB_GROOM2] = {"smb2_grooming", "smb.smb2_grooming", {1, 9002012, 1, "KAGAMI SMB EternalBlue MS17-010 heap grooming: large SMBv2 message with an invalid header", "attempted-admin", 2}},
	[K_EB_POOL] = {"session_setup_pool", "smb.session_setup_pool_allocation", {1, 9002013, 1, "KAGAMI SMB EternalBlue MS17-010 pool allocation: SESSION_SETUP_ANDX with CAP_EXTENDED_SECURITY but no FLAGS2_EXTENDED_SECURITY", "attempted-admin", 2}},
	[K_DP_PING] = {"doublepulsar_ping", "smb.doublepulsar_request", {1, 9002020, 1, "KAGAMI SMB DoublePulsar implant ping: TRANSACTION2 SESSION_SETUP", "trojan-activity", 2}},
	[K_DP_IMPLANT] = {"doublepulsar_implant", "smb.doublepulsar_answer", {1, 9002021, 1, "KAGAMI SMB DoublePulsar implant answered (Multiplex ID raised): host infected", "trojan-activity", 1}},
	[K_DP_EXEC] = {"doublepulsar_exec", "smb.doublepulsar_exec", {1, 9002022, 1, "KAGAMI SMB DoublePulsar implant command: exec (payload upload)", "trojan-activity", 1}},
	[K_DP_KILL] = {"doublepulsar_kill", "smb.doublepulsar_kill", {1, 9002023, 1, "KAGAMI SMB DoublePulsar implant command: kill (uninstall)", "trojan-activity", 1}},
	[K_ROMANCE] = {"eternalromance", "smb.write_andx_in_transaction", {1, 9002030, 1, "KAGAMI SMB EternalRomance/EternalSynergy MS17-010 exploit: WRITE_ANDX inside an open transaction", "attempted-admin", 1}},
	[K_CHAMPION] = {"eternalchampion", "smb.secondary_after_complete_primary", {1, 9002031, 1, "KAGAMI SMB EternalChampion MS17-010 exploit: secondary request racing a complete transaction", "attempted-admin", 1}},
	[K_NT_RENAME] = {"nt_rename", "smb.nt_transact_rename", {1, 9002032, 1, "KAGAMI SMB NT_TRANSACT_RENAME (unimplemented subcommand) requested", "protocol-command-decode", 3}},
};

/* ------------------------------------------------------------------ per-run object */

enum role { ROLE_CLIENT = 0, ROLE_SERVER = 1 };

/* Server verdicts, weakest first; client verdicts use V_SCANNER and V_ATTACKER. */
enum verdict {
	V_NONE = 0,
	V_PROBED,
	V_PATCHED,
	V_VULNERABLE,
	V_EXPLOITED,
	V_INFECTED,
	V_SCANNER,
	V_ATTACKER,
};

static const char *verdict_name(enum verdict v)
{
	switch (v) {
	case V_PROBED: return "probed";
	case V_PATCHED: return "patched";
	case V_VULNERABLE: return "vulnerable";
	case V_EXPLOITED: return "exploited";
	case V_INFECTED: return "infected";
	case V_SCANNER: return "scanner";
	case V_ATTACKER: return "attacker";
	default: return "none";
	}
}

enum hcount {
	HC_PROBES = 0,
	HC_VULNERABLE,
	HC_PATCHED,
	HC_INCONCLUSIVE,
	HC_EXPLOITS,
	HC_DP_REQUESTS,
	HC_DP_ANSWERS,
	HC_DP_NOT_PRESENT,
	HC_DP_COMMANDS,
	HC__COUNT
};
static const char *const hcount_names[HC__COUNT] = {
	"probes", "vulnerable_answers", "patched_answers", "inconclusive_answers", "exploit_attempts",
	"doublepulsar_requests", "doublepulsar_answers", "doublepulsar_absent", "doublepulsar_commands",
};

struct host {
	uint32_t hnext;           /* hash chain (index + 1; 0 = end) */
	uint32_t lprev, lnext;    /* recency list (index + 1) */
	bool used, dirty;
	uint8_t family, role, verdict;
	uint8_t addr[16];
	int64_t first_us, last_us;
	uint64_t flows;
	uint64_t flow_ids[HOST_FLOWS_MAX];
	uint8_t nflow_ids;
	uint32_t counts[HC__COUNT];
	uint8_t kinds[K__COUNT];  /* detection kinds seen (for the record) */
};

struct smb_run {
	struct host *hosts;
	uint32_t *buckets;        /* index + 1 */
	uint32_t nbuckets, nhosts, free_hint;
	uint32_t ndirty;          /* hosts with dirty set: the periodic emission has work */
	uint32_t lru_head, lru_tail; /* head = most recent */
	/* counters for the stats event */
	uint64_t messages, smb1, smb2, encrypted, compressed, prefix_parsed, resyncs, bad_messages;
	uint64_t tx_evicted, pending_evicted, dp_evicted, trees_evicted, events_suppressed, andx_capped;
	uint64_t hosts_evicted, alerts, detections;
};

/* ------------------------------------------------------------------ per-flow state */

struct smb_tx {
	bool used;
	uint32_t pid;
	uint16_t mid, tid, uid;
	uint8_t cmd;              /* TRANS, TRANS2 or NT_TRANS */
	uint16_t sub;             /* setup[0], or the NT_TRANSACT function */
	uint32_t total_param, total_data, param_rcvd, data_rcvd;
	bool complete_in_primary;
	bool interim_seen;
	uint32_t secondaries, foreign_secondaries;
	uint32_t dup_pending;     /* primaries repeating this key: the server rejects them */
	int64_t ts;
	uint64_t seq;
};

enum req_what {
	W_NEGOTIATE = 0x01,
	W_SESSION = 0x02,
	W_TREE = 0x04,
	W_PROBE = 0x08,
	W_DP = 0x10,
	W_NT_BIG = 0x20,
};

/* What an event about a request/response pair needs. */
struct req_info {
	/* negotiate */
	uint8_t dialects[MAX_DIALECTS][48];
	uint8_t dialect_len[MAX_DIALECTS];
	uint8_t ndialects;
	uint32_t dialects_total;
	uint16_t dialects2[MAX_DIALECTS];
	uint8_t ndialects2;
	uint16_t contexts2[SMB2_MAX_CONTEXTS];
	uint8_t ncontexts2;
	/* session setup */
	uint8_t req_os[STR_MAX], req_lm[STR_MAX], resp_os[STR_MAX], resp_lm[STR_MAX];
	size_t req_os_len, req_lm_len, resp_os_len, resp_lm_len;
	bool have_req_host, have_resp_host;
	uint8_t user[STR_MAX], domain[STR_MAX], host[STR_MAX];
	size_t user_len, domain_len, host_len;
	bool have_ntlm, have_account, anonymous_known, anonymous;
	bool guest;
	/* tree connect */
	uint8_t path[STR_MAX];
	size_t path_len;
	uint8_t service[16];
	size_t service_len;
	bool have_service;
};

struct smb_req {
	bool used;
	uint8_t ver;              /* 1 or 2 */
	uint8_t what;             /* enum req_what */
	uint16_t cmd;
	uint32_t pid;
	uint16_t mid, tid, uid;
	uint64_t msgid, session_id;
	uint32_t tree_id2;
	enum flow_dir dir;        /* the direction the request travelled */
	int64_t ts;
	uint64_t seq;
	struct req_info *info;
};

struct dp_req {
	bool used;
	uint32_t pid;
	uint16_t mid, tid, uid;
	uint8_t op;
	uint32_t timeout;
	uint32_t data_count;
	uint8_t params[12];
	bool have_params;
	int64_t ts;
	uint64_t seq;
};

struct smb_tree {
	bool used;
	uint8_t ver;
	uint16_t uid;
	uint32_t tid;
	uint8_t share[STR_MAX];
	size_t share_len;
	bool ipc;
	uint64_t seq;
};

struct smb_dir {
	bool resync;
	bool started;
};

struct smb_state {
	struct smb_dir d[2];
	uint64_t seq;             /* age counter for evictions */
	/* dialect */
	bool smb2;
	uint16_t dialect2;
	uint8_t dialect1[48];
	size_t dialect1_len;
	bool dialect1_known;
	struct smb_tx *tx;        /* grows up to MAX_TX */
	uint32_t tx_cap;
	struct smb_req pend[MAX_PENDING];
	uint8_t pend_hi;          /* no slot at or above it is used (requests are searched below it) */
	struct dp_req dp[MAX_DP];
	struct smb_tree *trees;   /* MAX_TREES, allocated at the first tree connect (9 KiB) */
	/* DoublePulsar */
	bool implant;
	bool dp_key_known;
	uint32_t dp_key;
	uint8_t dp_arch;          /* 0 x86, 1 x64 */
	uint32_t implant_unpaired;
	uint64_t dp_upload_bytes;
	/* detections */
	uint32_t kind_count[K__COUNT];
	bool kind_alerted[K__COUNT];
	int64_t first_det_us, last_det_us;
	bool attacker_known;
	uint64_t ins_tx;          /* inspection transactions published (tree connects) */
	enum flow_dir attacker_dir; /* the direction the attacker's requests travel */
	/* events */
	uint64_t next_id;
	uint32_t events, error_events;
	uint8_t host_counted;     /* host records this flow counted in already: bit (side * 2 + role) */
};

/* ------------------------------------------------------------------ host verdicts */

static uint32_t host_hash(uint8_t family, const uint8_t *addr, uint8_t role)
{
	uint32_t h = 2166136261u ^ family ^ ((uint32_t)role << 8);
	size_t n = family == 6 ? 16 : 4;
	for (size_t i = 0; i < n; i++)
		h = (h ^ addr[i]) * 16777619u;
	return h;
}

static void lru_unlink(struct smb_run *r, uint32_t i)
{
	struct host *h = &r->hosts[i];
	if (h->lprev)
		r->hosts[h->lprev - 1].lnext = h->lnext;
	else
		r->lru_head = h->lnext;
	if (h->lnext)
		r->hosts[h->lnext - 1].lprev = h->lprev;
	else
		r->lru_tail = h->lprev;
	h->lprev = h->lnext = 0;
}

static void lru_push(struct smb_run *r, uint32_t i)
{
	struct host *h = &r->hosts[i];
	h->lprev = 0;
	h->lnext = r->lru_head;
	if (r->lru_head)
		r->hosts[r->lru_head - 1].lprev = i + 1;
	r->lru_head = i + 1;
	if (!r->lru_tail)
		r->lru_tail = i + 1;
}

static void emit_host(struct app_ctx *ctx, const struct host *h, const char *summary);

static void host_remove(struct smb_run *r, uint32_t i)
{
	struct host *h = &r->hosts[i];
	uint32_t b = host_hash(h->family, h->addr, h->role) % r->nbuckets;
	uint32_t *pp = &r->buckets[b];
	while (*pp) {
		if (*pp == i + 1) {
			*pp = h->hnext;
			break;
		}
		pp = &r->hosts[*pp - 1].hnext;
	}
	lru_unlink(r, i);
	if (h->dirty)
		r->ndirty--;
	memset(h, 0, sizeof(*h));
	r->nhosts--;
}

/* The record of (address, role), created when missing; the least recently seen record is
 * emitted and evicted when the table is full. */
static struct host *host_get(struct smb_run *r, struct app_ctx *ctx, uint8_t family, const uint8_t *addr,
			     enum role role)
{
	size_t n = family == 6 ? 16 : 4;
	uint32_t b = host_hash(family, addr, (uint8_t)role) % r->nbuckets;
	for (uint32_t i = r->buckets[b]; i; i = r->hosts[i - 1].hnext) {
		struct host *h = &r->hosts[i - 1];
		if (h->family == family && h->role == role && memcmp(h->addr, addr, n) == 0) {
			lru_unlink(r, i - 1);
			lru_push(r, i - 1);
			return h;
		}
	}
	if (r->nhosts >= HOSTS_MAX) {
		uint32_t victim = r->lru_tail - 1;
		emit_host(ctx, &r->hosts[victim], "evicted");
		host_remove(r, victim);
		r->hosts_evicted++;
		r->free_hint = victim;
	}
	uint32_t i = r->free_hint;
	while (r->hosts[i].used)
		i = (i + 1) % HOSTS_MAX;
	r->free_hint = (i + 1) % HOSTS_MAX;
	struct host *h = &r->hosts[i];
	memset(h, 0, sizeof(*h));
	h->used = true;
	h->family = family;
	h->role = (uint8_t)role;
	memcpy(h->addr, addr, n);
	h->hnext = r->buckets[b];
	r->buckets[b] = i + 1;
	lru_push(r, i);
	r->nhosts++;
	return h;
}

/* Record evidence about the host on side `side` of the flow (the SMB client or server). */
static void host_note(struct smb_state *st, struct app_ctx *ctx, enum flow_dir side, enum role role, enum verdict v,
		      enum hcount hc, enum kind k)
{
	struct smb_run *r = ctx->proto;
	if (!r)
		return;
	const struct flow *f = ctx->flow;
	const uint8_t *addr = side == DIR_TO_SERVER ? f->cli : f->srv;
	struct host *h = host_get(r, ctx, f->family, addr, role);
	if (!h->first_us)
		h->first_us = ctx->ts_us;
	h->last_us = KG_MAX(h->last_us, ctx->ts_us);
	if (!h->dirty)
		r->ndirty++;
	h->dirty = true;
	if (v > h->verdict)
		h->verdict = (uint8_t)v;
	if (hc < HC__COUNT)
		h->counts[hc]++;
	if (k < K__COUNT && h->kinds[k] < 255)
		h->kinds[k]++;
	/* each flow counts once per host record it is evidence for (the flow remembers) */
	uint8_t bit = (uint8_t)(1u << ((side == DIR_TO_SERVER ? 0 : 2) + (role == ROLE_SERVER ? 1 : 0)));
	if (!(st->host_counted & bit)) {
		st->host_counted |= bit;
		h->flows++;
		if (h->nflow_ids < HOST_FLOWS_MAX)
			h->flow_ids[h->nflow_ids++] = f->flow_id;
	}
}

static void emit_host(struct app_ctx *ctx, const struct host *h, const char *summary)
{
	struct event *ev = event_begin(ctx->em, "smb_host_verdict", h->last_us ? h->last_us : ctx->ts_us);
	ev_map(ev, "smb_host_verdict");
	ev_ip(ev, "host", h->family, h->addr);
	ev_str(ev, "role", h->role == ROLE_SERVER ? "server" : "client");
	ev_str(ev, "verdict", verdict_name((enum verdict)h->verdict));
	ev_str(ev, "summary", summary);
	ev_time(ev, "first_seen", h->first_us);
	ev_time(ev, "last_seen", h->last_us);
	ev_u64(ev, "flows", h->flows);
	ev_array(ev, "flow_ids");
	for (uint8_t i = 0; i < h->nflow_ids; i++)
		ev_u64(ev, NULL, h->flow_ids[i]);
	ev_end_array(ev);
	ev_map(ev, "counts");
	for (int i = 0; i < HC__COUNT; i++)
		if (h->counts[i])
			ev_u64(ev, hcount_names[i], h->counts[i]);
	ev_end_map(ev);
	ev_array(ev, "detections");
	for (int k = 0; k < K__COUNT; k++)
		if (h->kinds[k])
			ev_str(ev, NULL, kinds[k].name);
	ev_end_array(ev);
	ev_end_map(ev);
	event_end(ev);
}

/* Records in a stable order: by role, then address. */
static int host_cmp(const void *a, const void *b)
{
	const struct host *x = *(const struct host *const *)a, *y = *(const struct host *const *)b;
	if (x->role != y->role)
		return x->role < y->role ? 1 : -1; /* servers first */
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->addr, y->addr, 16);
}

static void emit_hosts(struct app_ctx *ctx, bool final)
{
	struct smb_run *r = ctx->proto;
	if (!r || !r->nhosts || (!final && !r->ndirty))
		return; /* called every second of packet time: most calls have nothing to say */
	const struct host **list = kg_calloc(r->nhosts, sizeof(*list), "smb host list");
	uint32_t n = 0;
	for (uint32_t i = r->lru_head; i && n < r->nhosts; i = r->hosts[i - 1].lnext) {
		struct host *h = &r->hosts[i - 1];
		if (final || h->dirty)
			list[n++] = h;
		h->dirty = false;
	}
	r->ndirty = 0;
	qsort(list, n, sizeof(*list), host_cmp);
	for (uint32_t i = 0; i < n; i++)
		emit_host(ctx, list[i], final ? "final" : "periodic");
	free(list);
}

/* ------------------------------------------------------------------ helpers */

/* Count in the per-run object (reported in stats). */
#define CNT(ctx, field)                                                                                  \
	do {                                                                                             \
		struct smb_run *r_ = (ctx)->proto;                                                       \
		if (r_)                                                                                  \
			r_->field++;                                                                     \
	} while (0)

/* Decode a wire string (UTF-16LE or OEM) into a UTF-8 buffer of STR_MAX. */
static size_t keep_str(struct cursor s, bool unicode, uint8_t *out)
{
	if (unicode)
		return smb_utf16le_to_utf8(s, out, STR_MAX);
	size_t n = KG_MIN(cur_len(&s), (size_t)STR_MAX);
	cur_copy(&s, out, n);
	return n;
}

static bool ends_with_ipc(const uint8_t *s, size_t n)
{
	static const char ipc[] = "IPC$";
	if (n < 4)
		return false;
	for (size_t i = 0; i < 4; i++) {
		uint8_t c = s[n - 4 + i];
		if (c >= 'a' && c <= 'z')
			c = (uint8_t)(c - 32);
		if (c != (uint8_t)ipc[i])
			return false;
	}
	return true;
}

static enum flow_dir other(enum flow_dir d) { return (enum flow_dir)(d ^ 1); }

static void ev_status(struct event *ev, bool nt, uint32_t status)
{
	char buf[24];
	if (nt) {
		const char *n = smb_ntstatus_name(status);
		if (n) {
			ev_str(ev, "status", n);
		} else {
			snprintf(buf, sizeof(buf), "%u", status);
			ev_str(ev, "status", buf);
		}
		snprintf(buf, sizeof(buf), "0x%x", status);
		ev_str(ev, "status_code", buf);
		return;
	}
	uint8_t eclass = (uint8_t)(status & 0xff);
	uint16_t code = (uint16_t)(status >> 16);
	const char *n = smb_doserror_name(eclass, code);
	if (n) {
		ev_str(ev, "status", n);
	} else {
		snprintf(buf, sizeof(buf), "UNKNOWN_%02x_%04x", eclass, code);
		ev_str(ev, "status", buf);
	}
	snprintf(buf, sizeof(buf), "0x%04x", code);
	ev_str(ev, "status_code", buf);
}

static void ev_hex16(struct event *ev, const char *key, uint32_t v)
{
	char buf[16];
	snprintf(buf, sizeof(buf), "0x%04x", v);
	ev_str(ev, key, buf);
}

static void ev_side_ip(struct event *ev, const char *key, const struct flow *f, enum flow_dir side)
{
	ev_ip(ev, key, f->family, side == DIR_TO_SERVER ? f->cli : f->srv);
}

static const char *dialect_text(const struct smb_state *st, char *buf, size_t n)
{
	if (st->smb2) {
		const char *d = smb2_dialect_name(st->dialect2);
		if (d)
			return d;
		snprintf(buf, n, "0x%04x", st->dialect2);
		return buf;
	}
	return st->dialect1_known ? NULL : "unknown";
}

static void ev_dialect(struct event *ev, const struct smb_state *st)
{
	char buf[16];
	const char *d = dialect_text(st, buf, sizeof(buf));
	if (d)
		ev_str(ev, "dialect", d);
	else
		ev_wirestr(ev, "dialect", st->dialect1, st->dialect1_len);
}

static struct smb_tree *tree_find(struct smb_state *st, uint8_t ver, uint32_t tid, uint16_t uid)
{
	for (int i = 0; st->trees && i < MAX_TREES; i++) {
		struct smb_tree *t = &st->trees[i];
		if (t->used && t->ver == ver && t->tid == tid && (ver == 2 || t->uid == uid))
			return t;
	}
	return NULL;
}

static void tree_add(struct smb_state *st, struct app_ctx *ctx, uint8_t ver, uint32_t tid, uint16_t uid,
		     const uint8_t *share, size_t len)
{
	struct smb_tree *t = tree_find(st, ver, tid, uid);
	if (!st->trees) /* most sessions never connect a tree: a flood of them costs no table */
		st->trees = kg_calloc(MAX_TREES, sizeof(*st->trees), "smb trees");
	if (!t) {
		struct smb_tree *oldest = &st->trees[0];
		for (int i = 0; i < MAX_TREES && !t; i++) {
			if (!st->trees[i].used)
				t = &st->trees[i];
			else if (st->trees[i].seq < oldest->seq)
				oldest = &st->trees[i];
		}
		if (!t) {
			t = oldest;
			CNT(ctx, trees_evicted);
		}
	}
	memset(t, 0, sizeof(*t));
	t->used = true;
	t->ver = ver;
	t->tid = tid;
	t->uid = uid;
	t->seq = ++st->seq;
	t->share_len = KG_MIN(len, sizeof(t->share));
	memcpy(t->share, share, t->share_len);
	t->ipc = ends_with_ipc(t->share, t->share_len);
}

static void ev_share(struct event *ev, struct smb_state *st, uint8_t ver, uint32_t tid, uint16_t uid)
{
	struct smb_tree *t = tree_find(st, ver, tid, uid);
	if (t)
		ev_wirestr(ev, "share", t->share, t->share_len);
}

/* ------------------------------------------------------------------ findings */

static void note_attacker(struct smb_state *st, enum flow_dir req_dir)
{
	if (!st->attacker_known) {
		st->attacker_known = true;
		st->attacker_dir = req_dir;
	}
}

/* A detection: counted always; the first of its kind in the flow starts an alert, returned for
 * evidence (the caller closes the "smb" map and ends it); NULL when only counted. */
static struct event *finding(struct smb_state *st, struct app_ctx *ctx, enum kind k, enum flow_dir dir)
{
	st->kind_count[k]++;
	if (k != K_SMB1) {
		if (!st->first_det_us)
			st->first_det_us = ctx->ts_us;
		st->last_det_us = ctx->ts_us;
	}
	CNT(ctx, detections);
	app_raise_event(ctx, kinds[k].event);
	if (st->kind_alerted[k])
		return NULL;
	st->kind_alerted[k] = true;
	CNT(ctx, alerts);
	struct event *ev = alert_begin(ctx->em, ctx->flow, dir, ctx->ts_us, &kinds[k].ai);
	ev_map(ev, "smb");
	ev_dialect(ev, st);
	return ev;
}

static void finding_end(struct event *ev)
{
	if (!ev)
		return;
	ev_end_map(ev);
	event_end(ev);
}

/* SMB1 header evidence common to the alerts. */
static void ev_hdr1(struct event *ev, struct smb_state *st, const struct smb1_hdr *h)
{
	const char *cn = smb1_command_name(h->command);
	if (cn)
		ev_str(ev, "command", cn);
	else
		ev_hex16(ev, "command", h->command);
	if (smb1_is_reply(h))
		ev_status(ev, smb1_nt_status(h), h->status);
	ev_u64(ev, "session_id", h->uid);
	ev_u64(ev, "tree_id", h->tid);
	ev_u64(ev, "pid", h->pid);
	ev_u64(ev, "mid", h->mid);
	if (h->command != SMB1_TREE_CONNECT_ANDX)
		ev_share(ev, st, 1, h->tid, h->uid);
}

/* ------------------------------------------------------------------ smb events */

static struct event *smb_event(struct smb_state *st, struct app_ctx *ctx, enum flow_dir cdir, bool error)
{
	if (st->events >= MAX_EVENTS_PER_FLOW || (error && st->error_events >= MAX_ERROR_EVENTS)) {
		CNT(ctx, events_suppressed);
		return NULL;
	}
	st->events++;
	if (error)
		st->error_events++;
	struct event *ev = event_begin(ctx->em, "smb", ctx->ts_us);
	event_flow(ev, ctx->flow, cdir); /* src = the SMB client */
	ev_map(ev, "smb");
	ev_u64(ev, "id", st->next_id++);
	ev_dialect(ev, st);
	return ev;
}

static void smb_event_end(struct event *ev)
{
	ev_end_map(ev);
	event_end(ev);
}

static void ev_req_info(struct event *ev, const struct smb_req *r)
{
	const struct req_info *in = r->info;
	if (!in)
		return;
	if (r->what & W_NEGOTIATE) {
		ev_array(ev, "client_dialects");
		for (uint8_t i = 0; i < in->ndialects; i++)
			ev_wirestr(ev, NULL, in->dialects[i], in->dialect_len[i]);
		for (uint8_t i = 0; i < in->ndialects2; i++) {
			const char *d = smb2_dialect_name(in->dialects2[i]);
			char buf[16];
			if (!d) {
				snprintf(buf, sizeof(buf), "0x%04x", in->dialects2[i]);
				d = buf;
			}
			ev_str(ev, NULL, d);
		}
		ev_end_array(ev);
		if (in->dialects_total > in->ndialects + in->ndialects2)
			ev_u64(ev, "client_dialects_total", in->dialects_total);
		if (in->ncontexts2) {
			ev_array(ev, "negotiate_contexts");
			for (uint8_t i = 0; i < in->ncontexts2; i++)
				ev_u64(ev, NULL, in->contexts2[i]);
			ev_end_array(ev);
		}
	}
	if (r->what & W_SESSION) {
		if (in->have_ntlm) {
			ev_map(ev, "ntlmssp");
			ev_wirestr(ev, "domain", in->domain, in->domain_len);
			ev_wirestr(ev, "user", in->user, in->user_len);
			ev_wirestr(ev, "host", in->host, in->host_len);
			ev_end_map(ev);
		} else if (in->have_account) {
			ev_map(ev, "account");
			ev_wirestr(ev, "domain", in->domain, in->domain_len);
			ev_wirestr(ev, "user", in->user, in->user_len);
			ev_end_map(ev);
		}
		if (in->anonymous_known)
			ev_bool(ev, "anonymous", in->anonymous);
		if (in->guest)
			ev_bool(ev, "guest", true);
		if (in->have_req_host) {
			ev_map(ev, "request");
			ev_wirestr(ev, "native_os", in->req_os, in->req_os_len);
			ev_wirestr(ev, "native_lm", in->req_lm, in->req_lm_len);
			ev_end_map(ev);
		}
		if (in->have_resp_host) {
			ev_map(ev, "response");
			ev_wirestr(ev, "native_os", in->resp_os, in->resp_os_len);
			ev_wirestr(ev, "native_lm", in->resp_lm, in->resp_lm_len);
			ev_end_map(ev);
		}
	}
	if (r->what & W_TREE) {
		bool pipe = in->have_service && in->service_len == 3 && memcmp(in->service, "IPC", 3) == 0;
		ev_wirestr(ev, pipe || ends_with_ipc(in->path, in->path_len) ? "named_pipe" : "share", in->path,
			   in->path_len);
		if (in->have_service && r->ver == 1) {
			ev_map(ev, "service");
			ev_wirestr(ev, "request", in->service, in->service_len);
			ev_end_map(ev);
		}
	}
}

/* ------------------------------------------------------------------ inspection buffers */

/* Publish a tree connect as its own transaction (dissectors/inspect.h), as Suricata's smb.share
 * and smb.named_pipe read it: the request's path without its first character ("\\\\host\\IPC$"
 * becomes "\\host\\IPC$", UTF-16 decoded), as smb.named_pipe when the answer says the share is
 * a pipe (SMB1 service "IPC", SMB2 share type 2), else as smb.share (also when it was refused or
 * never answered). Progress IP_SMB_REQUEST, at the answer (or the flow's end). */
static void publish_tree(struct smb_state *st, struct app_ctx *ctx, const struct smb_req *r, bool pipe)
{
	const struct req_info *in = r->info;
	if (!in || !(r->what & W_TREE))
		return;
	size_t skip = in->path_len > 1 ? 1 : 0;
	struct inspect_tx v;
	inspect_tx_init(&v, "smb", st->ins_tx++, r->dir);
	inspect_add(&v, pipe ? IB_SMB_NAMED_PIPE : IB_SMB_SHARE, r->dir, in->path + skip, in->path_len - skip);
	inspect_progress(&v, IP_SMB_REQUEST, IP_SMB_REQUEST);
	app_inspect(ctx, &v);
}

static bool service_is_ipc(const struct cursor *svc)
{
	size_t n = cur_len(svc);
	return n >= 3 && memcmp(cur_data(svc), "IPC", 3) == 0 && (n == 3 || cur_data(svc)[3] == 0);
}

/* ------------------------------------------------------------------ pending requests */

static void req_free(struct smb_req *r)
{
	free(r->info);
	memset(r, 0, sizeof(*r));
}

/* Lower pend_hi past the slots freed at the top: a flow has a few requests outstanding, so
 * the searches below look at a few slots, not all 64. */
static void pend_trim(struct smb_state *st)
{
	while (st->pend_hi && !st->pend[st->pend_hi - 1].used)
		st->pend_hi--;
}

static struct smb_req *req_new(struct smb_state *st, struct app_ctx *ctx)
{
	pend_trim(st);
	struct smb_req *r = NULL, *oldest = &st->pend[0];
	for (int i = 0; i < MAX_PENDING && !r; i++) {
		if (!st->pend[i].used) {
			r = &st->pend[i];
			if (i >= st->pend_hi)
				st->pend_hi = (uint8_t)(i + 1);
		} else if (st->pend[i].seq < oldest->seq) {
			oldest = &st->pend[i];
		}
	}
	if (!r) {
		CNT(ctx, pending_evicted);
		req_free(oldest);
		r = oldest;
	}
	r->used = true;
	r->seq = ++st->seq;
	r->dir = ctx->dir;
	r->ts = ctx->ts_us;
	return r;
}

static struct smb_req *req_find1(struct smb_state *st, uint32_t pid, uint16_t mid)
{
	pend_trim(st);
	for (int i = 0; i < st->pend_hi; i++)
		if (st->pend[i].used && st->pend[i].ver == 1 && st->pend[i].pid == pid && st->pend[i].mid == mid)
			return &st->pend[i];
	return NULL;
}

static struct smb_req *req_find2(struct smb_state *st, uint64_t msgid)
{
	pend_trim(st);
	for (int i = 0; i < st->pend_hi; i++)
		if (st->pend[i].used && st->pend[i].ver == 2 && st->pend[i].msgid == msgid)
			return &st->pend[i];
	return NULL;
}

/* The pending SMB1 request (pid, mid), created when missing or replaced when it was another. */
static struct smb_req *req_for1(struct smb_state *st, struct app_ctx *ctx, const struct smb1_hdr *h)
{
	struct smb_req *r = req_find1(st, h->pid, h->mid);
	if (r && r->cmd != h->command) {
		req_free(r);
		r = NULL;
	}
	if (!r) {
		r = req_new(st, ctx);
		r->ver = 1;
		r->pid = h->pid;
		r->mid = h->mid;
		r->cmd = h->command;
		r->tid = h->tid;
		r->uid = h->uid;
		r->ts = ctx->ts_us;
	}
	return r;
}

static struct req_info *req_info(struct smb_req *r)
{
	if (!r->info)
		r->info = kg_calloc(1, sizeof(*r->info), "smb request info");
	return r->info;
}

/* ------------------------------------------------------------------ transactions */

static struct smb_tx *tx_find(struct smb_state *st, uint32_t pid, uint16_t mid, uint16_t tid, uint16_t uid)
{
	for (uint32_t i = 0; i < st->tx_cap; i++) {
		struct smb_tx *t = &st->tx[i];
		if (t->used && t->pid == pid && t->mid == mid && t->tid == tid && t->uid == uid)
			return t;
	}
	return NULL;
}

/* A new transaction for the primary request h, or NULL when one with its key is still open: the
 * server keeps the first and rejects the repeat (WannaCry sends its NT_TRANSACT twice). */
static struct smb_tx *tx_new(struct smb_state *st, struct app_ctx *ctx, const struct smb1_hdr *h)
{
	struct smb_tx *t = tx_find(st, h->pid, h->mid, h->tid, h->uid);
	if (t) {
		t->dup_pending++;
		app_raise_event(ctx, "smb.duplicate_transaction");
		return NULL;
	}
	struct smb_tx *oldest = NULL;
	for (uint32_t i = 0; i < st->tx_cap && !t; i++) {
		if (!st->tx[i].used)
			t = &st->tx[i];
		else if (!oldest || st->tx[i].seq < oldest->seq)
			oldest = &st->tx[i];
	}
	if (!t && st->tx_cap < MAX_TX) {
		uint32_t ncap = st->tx_cap ? st->tx_cap * 2 : 16;
		st->tx = kg_realloc(st->tx, ncap * sizeof(*st->tx), "smb transactions");
		memset(st->tx + st->tx_cap, 0, (ncap - st->tx_cap) * sizeof(*st->tx));
		t = &st->tx[st->tx_cap];
		st->tx_cap = ncap;
	}
	if (!t) {
		t = oldest;
		CNT(ctx, tx_evicted);
	}
	memset(t, 0, sizeof(*t));
	t->used = true;
	t->pid = h->pid;
	t->mid = h->mid;
	t->tid = h->tid;
	t->uid = h->uid;
	t->ts = ctx->ts_us;
	t->seq = ++st->seq;
	return t;
}

static uint8_t secondary_of(uint8_t primary)
{
	switch (primary) {
	case SMB1_TRANS: return SMB1_TRANS_SECONDARY;
	case SMB1_TRANS2: return SMB1_TRANS2_SECONDARY;
	case SMB1_NT_TRANS: return SMB1_NT_TRANS_SECONDARY;
	default: return 0;
	}
}

static const char *sub_name(uint8_t cmd, uint16_t sub, char *buf, size_t n)
{
	const char *s = NULL;
	if (cmd == SMB1_TRANS2)
		s = smb1_trans2_subcommand_name(sub);
	else if (cmd == SMB1_NT_TRANS)
		s = smb1_nt_trans_function_name(sub);
	else if (cmd == SMB1_TRANS && sub == SMB1_TRANS_PEEK_NMPIPE)
		s = "TRANS_PEEK_NMPIPE";
	else if (cmd == SMB1_TRANS && sub == SMB1_TRANS_TRANSACT_NMPIPE)
		s = "TRANS_TRANSACT_NMPIPE";
	if (s)
		return s;
	snprintf(buf, n, "0x%04x", sub);
	return buf;
}

static void ev_tx(struct event *ev, const struct smb_tx *t)
{
	char buf[16];
	ev_map(ev, "transaction");
	ev_str(ev, "command", smb1_command_name(t->cmd));
	ev_str(ev, "subcommand", sub_name(t->cmd, t->sub, buf, sizeof(buf)));
	ev_u64(ev, "total_parameter_count", t->total_param);
	ev_u64(ev, "total_data_count", t->total_data);
	ev_u64(ev, "parameter_bytes_received", t->param_rcvd);
	ev_u64(ev, "data_bytes_received", t->data_rcvd);
	ev_u64(ev, "secondaries", t->secondaries);
	ev_bool(ev, "complete_in_primary", t->complete_in_primary);
	ev_end_map(ev);
}

static void ev_trans_req(struct event *ev, const struct smb1_trans_req *q)
{
	ev_map(ev, "request");
	ev_u64(ev, "total_parameter_count", q->total_param);
	ev_u64(ev, "total_data_count", q->total_data);
	ev_u64(ev, "parameter_count", q->param_count);
	ev_u64(ev, "parameter_offset", q->param_offset);
	ev_u64(ev, "data_count", q->data_count);
	ev_u64(ev, "data_offset", q->data_offset);
	if (q->secondary) {
		ev_u64(ev, "parameter_displacement", q->param_disp);
		ev_u64(ev, "data_displacement", q->data_disp);
	} else {
		ev_u64(ev, "max_parameter_count", q->max_param);
		ev_u64(ev, "max_data_count", q->max_data);
		ev_u64(ev, "setup_count", q->setup_count);
		ev_u64(ev, "timeout", q->timeout);
	}
	ev_end_map(ev);
}

/* ------------------------------------------------------------------ DoublePulsar */

static struct dp_req *dp_add(struct smb_state *st, struct app_ctx *ctx, const struct smb1_hdr *h)
{
	struct dp_req *d = NULL, *oldest = &st->dp[0];
	for (int i = 0; i < MAX_DP; i++) {
		struct dp_req *e = &st->dp[i];
		if (e->used && e->pid == h->pid && e->mid == h->mid && e->tid == h->tid && e->uid == h->uid) {
			d = e; /* an upload repeats its MID: keep the latest */
			break;
		}
	}
	for (int i = 0; i < MAX_DP && !d; i++) {
		if (!st->dp[i].used)
			d = &st->dp[i];
		else if (st->dp[i].seq < oldest->seq)
			oldest = &st->dp[i];
	}
	if (!d) {
		d = oldest;
		CNT(ctx, dp_evicted);
	}
	memset(d, 0, sizeof(*d));
	d->used = true;
	d->pid = h->pid;
	d->mid = h->mid;
	d->tid = h->tid;
	d->uid = h->uid;
	d->ts = ctx->ts_us;
	d->seq = ++st->seq;
	return d;
}

static void on_trans2_session_setup(struct smb_state *st, struct app_ctx *ctx, enum flow_dir dir,
				    const struct smb1_hdr *h, const struct smb1_trans_req *q)
{
	app_raise_event(ctx, "smb.trans2_session_setup");
	uint8_t op = smb_dp_opcode(q->timeout);
	const char *opname = smb_dp_opcode_name(op);
	struct dp_req *d = dp_add(st, ctx, h);
	d->op = op;
	d->timeout = q->timeout;
	d->data_count = q->data_count;
	if (cur_len(&q->params) >= 12) {
		struct cursor p = q->params;
		cur_copy(&p, d->params, 12);
		d->have_params = true;
	}
	if (!opname)
		return;
	enum kind k = op == DP_OP_PING ? K_DP_PING : op == DP_OP_EXEC ? K_DP_EXEC : K_DP_KILL;
	note_attacker(st, dir);
	host_note(st, ctx, dir, ROLE_CLIENT, op == DP_OP_PING ? V_SCANNER : V_ATTACKER,
		  op == DP_OP_PING ? HC_DP_REQUESTS : HC_DP_COMMANDS, k);
	host_note(st, ctx, other(dir), ROLE_SERVER, V_PROBED, HC__COUNT, k);
	struct event *ev = finding(st, ctx, k, dir);
	if (!ev)
		return;
	ev_hdr1(ev, st, h);
	ev_map(ev, "doublepulsar");
	ev_str(ev, "command", opname);
	ev_u64(ev, "timeout", q->timeout);
	ev_u64(ev, "data_count", q->data_count);
	if (op == DP_OP_EXEC && st->dp_key_known && d->have_params) {
		struct cursor p = cur_make(d->params, 12);
		uint32_t total, chunk, off;
		cur_le32(&p, &total);
		cur_le32(&p, &chunk);
		cur_le32(&p, &off);
		ev_u64(ev, "payload_total_bytes", total ^ st->dp_key);
		ev_u64(ev, "payload_chunk_bytes", chunk ^ st->dp_key);
		ev_u64(ev, "payload_offset", off ^ st->dp_key);
	}
	ev_end_map(ev);
	ev_side_ip(ev, "target", ctx->flow, other(dir));
	finding_end(ev);
}

/* A TRANSACTION2 reply: is it the implant answering? */
static void dp_reply(struct smb_state *st, struct app_ctx *ctx, enum flow_dir dir, const struct smb1_hdr *h)
{
	for (int i = 0; i < MAX_DP; i++) {
		struct dp_req *d = &st->dp[i];
		if (!d->used || d->pid != h->pid || d->tid != h->tid || d->uid != h->uid)
			continue;
		uint16_t delta = (uint16_t)(h->mid - d->mid);
		if (delta == 0) {
			/* an ordinary server answered: no implant */
			if (smb_dp_opcode_name(d->op))
				host_note(st, ctx, dir, ROLE_SERVER, V_PROBED, HC_DP_NOT_PRESENT, K__COUNT);
			memset(d, 0, sizeof(*d));
			return;
		}
		const char *status = smb_dp_status_name(delta);
		if (!status)
			continue;
		st->implant = true;
		struct smb_req *gen = req_find1(st, d->pid, d->mid);
		if (gen)
			req_free(gen);
		if (d->op == DP_OP_PING && delta == 0x10) {
			uint32_t sig = (uint32_t)h->security[0] | (uint32_t)h->security[1] << 8 |
				       (uint32_t)h->security[2] << 16 | (uint32_t)h->security[3] << 24;
			st->dp_key = smb_dp_xor_key(sig);
			st->dp_key_known = true;
			st->dp_arch = h->security[4] ? 1 : 0;
		}
		if (d->op == DP_OP_EXEC && delta == 0x10)
			st->dp_upload_bytes += d->data_count;
		note_attacker(st, other(dir));
		host_note(st, ctx, dir, ROLE_SERVER, V_INFECTED, HC_DP_ANSWERS, K_DP_IMPLANT);
		host_note(st, ctx, other(dir), ROLE_CLIENT, V_ATTACKER, HC__COUNT, K_DP_IMPLANT);
		struct event *ev = finding(st, ctx, K_DP_IMPLANT, dir);
		if (ev) {
			ev_hdr1(ev, st, h);
			ev_map(ev, "doublepulsar");
			const char *opname = smb_dp_opcode_name(d->op);
			char buf[8];
			if (!opname) {
				snprintf(buf, sizeof(buf), "0x%02x", d->op);
				opname = buf;
			}
			ev_str(ev, "command", opname);
			ev_u64(ev, "request_mid", d->mid);
			ev_u64(ev, "reply_mid", h->mid);
			ev_u64(ev, "mid_delta", delta);
			ev_str(ev, "implant_status", status);
			if (d->op == DP_OP_PING && delta == 0x10)
				ev_str(ev, "architecture", st->dp_arch ? "x64" : "x86");
			ev_end_map(ev);
			ev_side_ip(ev, "infected_host", ctx->flow, dir);
			finding_end(ev);
		}
		memset(d, 0, sizeof(*d));
		return;
	}
	/* an implant's answer to a request the sensor did not see (capture loss) */
	if (st->implant && h->status == 0xc0000002u && !req_find1(st, h->pid, h->mid)) {
		st->implant_unpaired++;
		app_raise_event(ctx, "smb.doublepulsar_answer_unpaired");
	}
}

/* ------------------------------------------------------------------ SMB1 requests */

static void note_smb1(struct smb_state *st, struct app_ctx *ctx, enum flow_dir dir, const struct smb1_hdr *h)
{
	if (st->kind_count[K_SMB1])
		return;
	struct event *ev = finding(st, ctx, K_SMB1, dir);
	if (!ev)
		return;
	ev_hdr1(ev, st, h);
	finding_end(ev);
}

static void on_negotiate_req(struct smb_state *st, struct app_ctx *ctx, const struct smb1_hdr *h,
			     const struct smb1_block *b)
{
	struct cursor d[MAX_DIALECTS];
	size_t n, total;
	if (smb1_negotiate_dialects(b->bytes, d, MAX_DIALECTS, &n, &total) != CUR_OK)
		app_raise_event(ctx, "smb.negotiate_malformed_dialects");
	struct smb_req *r = req_for1(st, ctx, h);
	r->what |= W_NEGOTIATE;
	struct req_info *in = req_info(r);
	in->ndialects = (uint8_t)n;
	in->dialects_total = (uint32_t)total;
	for (size_t i = 0; i < n; i++) {
		in->dialect_len[i] = (uint8_t)KG_MIN(cur_len(&d[i]), sizeof(in->dialects[i]));
		cur_copy(&d[i], in->dialects[i], in->dialect_len[i]);
	}
}

static void set_ntlm(struct req_info *in, struct cursor blob)
{
	struct ntlmssp_auth a;
	if (ntlmssp_find_auth(blob, &a) != CUR_OK)
		return;
	in->have_ntlm = true;
	in->user_len = keep_str(a.user, a.unicode, in->user);
	in->domain_len = keep_str(a.domain, a.unicode, in->domain);
	in->host_len = keep_str(a.host, a.unicode, in->host);
	in->anonymous_known = true;
	in->anonymous = cur_len(&a.user) == 0 && a.nt_len == 0;
}

static void on_session_setup_req(struct smb_state *st, struct app_ctx *ctx, enum flow_dir dir,
				 const struct smb1_hdr *h, const struct smb1_block *b, const uint8_t *hdr)
{
	struct smb1_session_setup_req q;
	if (smb1_session_setup_request(b, hdr, smb1_unicode(h), &q) != CUR_OK) {
		app_raise_event(ctx, "smb.session_setup_malformed");
		return;
	}
	if (q.wc == 12 && (q.capabilities & SMB1_CAP_EXTENDED_SECURITY) &&
	    !(h->flags2 & SMB1_FLAGS2_EXTENDED_SECURITY)) {
		note_attacker(st, dir);
		host_note(st, ctx, dir, ROLE_CLIENT, V_ATTACKER, HC_EXPLOITS, K_EB_POOL);
		host_note(st, ctx, other(dir), ROLE_SERVER, V_EXPLOITED, HC__COUNT, K_EB_POOL);
		struct event *ev = finding(st, ctx, K_EB_POOL, dir);
		if (ev) {
			ev_hdr1(ev, st, h);
			ev_map(ev, "session_setup");
			ev_u64(ev, "word_count", q.wc);
			ev_hex16(ev, "flags2", h->flags2);
			char cap[16];
			snprintf(cap, sizeof(cap), "0x%08x", q.capabilities);
			ev_str(ev, "capabilities", cap);
			ev_u64(ev, "security_blob_length", cur_len(&q.blob));
			ev_u64(ev, "byte_count", b->bc);
			ev_end_map(ev);
			finding_end(ev);
		}
	}
	struct smb_req *r = req_for1(st, ctx, h);
	r->what |= W_SESSION;
	struct req_info *in = req_info(r);
	bool uni = smb1_unicode(h);
	if (q.have_os) {
		in->have_req_host = true;
		in->req_os_len = keep_str(q.native_os, uni, in->req_os);
		in->req_lm_len = q.have_lm ? keep_str(q.native_lm, uni, in->req_lm) : 0;
	}
	if (q.wc == 12) {
		set_ntlm(in, q.blob);
	} else if (q.have_account) {
		in->have_account = true;
		in->user_len = keep_str(q.account, uni, in->user);
		in->domain_len = keep_str(q.domain, uni, in->domain);
		in->anonymous_known = true;
		in->anonymous = cur_len(&q.account) == 0 && q.oem_pw_len <= 1 && q.unicode_pw_len == 0;
	}
}

static void on_tree_connect_req(struct smb_state *st, struct app_ctx *ctx, const struct smb1_hdr *h,
				const struct smb1_block *b, const uint8_t *hdr)
{
	struct smb1_tree_connect_req q;
	if (smb1_tree_connect_request(b, hdr, smb1_unicode(h), &q) != CUR_OK) {
		app_raise_event(ctx, "smb.tree_connect_malformed");
		return;
	}
	struct smb_req *r = req_for1(st, ctx, h);
	r->what |= W_TREE;
	struct req_info *in = req_info(r);
	in->path_len = keep_str(q.path, smb1_unicode(h), in->path);
	if (q.have_service) {
		in->have_service = true;
		in->service_len = KG_MIN(cur_len(&q.service), sizeof(in->service));
		cur_copy(&q.service, in->service, in->service_len);
	}
}

static void on_trans_primary(struct smb_state *st, struct app_ctx *ctx, enum flow_dir dir, const struct smb1_hdr *h,
			     const struct smb1_trans_req *q)
{
	struct smb_tx one, *t = tx_new(st, ctx, h);
	if (!t) {
		memset(&one, 0, sizeof(one)); /* for the evidence only */
		t = &one;
	}
	t->cmd = q->command;
	t->sub = q->command == SMB1_NT_TRANS ? q->function : (q->setup_count ? q->setup[0] : 0xffff);
	t->total_param = q->total_param;
	t->total_data = q->total_data;
	t->param_rcvd = q->param_count;
	t->data_rcvd = q->data_count;
	t->complete_in_primary = q->param_count >= q->total_param && q->data_count >= q->total_data;
	struct smb_tree *tree = tree_find(st, 1, h->tid, h->uid);
	bool ipc_or_unknown = !tree || tree->ipc;

	if (q->command == SMB1_TRANS && q->setup_count == 2 && q->setup[0] == SMB1_TRANS_PEEK_NMPIPE &&
	    q->setup[1] == 0 && ipc_or_unknown) {
		/* the MS17-010 check of nmap and Metasploit: PeekNamedPipe on FID 0 */
		struct smb_req *r = req_for1(st, ctx, h);
		r->what |= W_PROBE;
		host_note(st, ctx, dir, ROLE_CLIENT, V_SCANNER, HC_PROBES, K_PROBE);
		host_note(st, ctx, other(dir), ROLE_SERVER, V_PROBED, HC__COUNT, K_PROBE);
		struct event *ev = finding(st, ctx, K_PROBE, dir);
		if (ev) {
			ev_hdr1(ev, st, h);
			ev_tx(ev, t);
			ev_side_ip(ev, "target", ctx->flow, other(dir));
			finding_end(ev);
		}
	}
	if (q->command == SMB1_TRANS2 && q->setup_count >= 1 && q->setup[0] == SMB1_TRANS2_SESSION_SETUP)
		on_trans2_session_setup(st, ctx, dir, h, q);
	if (q->command == SMB1_NT_TRANS) {
		if (q->function == SMB1_NT_TRANS_RENAME) {
			struct event *ev = finding(st, ctx, K_NT_RENAME, dir);
			if (ev) {
				ev_hdr1(ev, st, h);
				ev_tx(ev, t);
				finding_end(ev);
			}
		}
		if (q->total_data > 0xffff && ipc_or_unknown) {
			note_attacker(st, dir);
			host_note(st, ctx, dir, ROLE_CLIENT, V_ATTACKER, HC__COUNT, K_EB_OVERSIZED);
			host_note(st, ctx, other(dir), ROLE_SERVER, V_EXPLOITED, HC__COUNT, K_EB_OVERSIZED);
			struct event *ev = finding(st, ctx, K_EB_OVERSIZED, dir);
			if (ev) {
				ev_hdr1(ev, st, h);
				ev_tx(ev, t);
				ev_trans_req(ev, q);
				finding_end(ev);
			}
		}
	}
}

static void on_trans_secondary(struct smb_state *st, struct app_ctx *ctx, enum flow_dir dir,
			       const struct smb1_hdr *h, const struct smb1_trans_req *q)
{
	struct smb_tx *t = tx_find(st, h->pid, h->mid, h->tid, h->uid);
	if (!t) {
		app_raise_event(ctx, "smb.secondary_without_transaction");
		return;
	}
	t->secondaries++;
	bool same_type = secondary_of(t->cmd) == q->command;
	if (same_type) {
		/* a secondary may only lower the totals */
		t->total_param = KG_MIN(t->total_param, q->total_param);
		t->total_data = KG_MIN(t->total_data, q->total_data);
	} else {
		t->foreign_secondaries++;
		app_raise_event(ctx, "smb.transaction_type_mismatch");
	}
	t->param_rcvd += q->param_count;
	t->data_rcvd += q->data_count;
	if (t->cmd == SMB1_NT_TRANS && q->command == SMB1_TRANS2_SECONDARY) {
		note_attacker(st, dir);
		host_note(st, ctx, dir, ROLE_CLIENT, V_ATTACKER, HC_EXPLOITS, K_EB_CONFUSION);
		host_note(st, ctx, other(dir), ROLE_SERVER, V_EXPLOITED, HC__COUNT, K_EB_CONFUSION);
		struct event *ev = finding(st, ctx, K_EB_CONFUSION, dir);
		if (ev) {
			ev_hdr1(ev, st, h);
			ev_tx(ev, t);
			ev_trans_req(ev, q);
			ev_bool(ev, "nt_trans_oversized", st->kind_count[K_EB_OVERSIZED] > 0);
			ev_side_ip(ev, "target", ctx->flow, other(dir));
			finding_end(ev);
		}
	}
	if (t->complete_in_primary) {
		note_attacker(st, dir);
		host_note(st, ctx, dir, ROLE_CLIENT, V_ATTACKER, HC_EXPLOITS, K_CHAMPION);
		host_note(st, ctx, other(dir), ROLE_SERVER, V_EXPLOITED, HC__COUNT, K_CHAMPION);
		struct event *ev = finding(st, ctx, K_CHAMPION, dir);
		if (ev) {
			ev_hdr1(ev, st, h);
			ev_tx(ev, t);
			ev_trans_req(ev, q);
			ev_bool(ev, "answered", t->interim_seen);
			ev_side_ip(ev, "target", ctx->flow, other(dir));
			finding_end(ev);
		}
	}
}

static void on_write_andx(struct smb_state *st, struct app_ctx *ctx, enum flow_dir dir, const struct smb1_hdr *h,
			  const struct smb1_block *b)
{
	struct smb1_write_andx_req w;
	if (smb1_write_andx_request(b, &w) != CUR_OK)
		return;
	struct smb_tx *t = tx_find(st, h->pid, h->mid, h->tid, h->uid);
	if (!t)
		return;
	note_attacker(st, dir);
	host_note(st, ctx, dir, ROLE_CLIENT, V_ATTACKER, HC_EXPLOITS, K_ROMANCE);
	host_note(st, ctx, other(dir), ROLE_SERVER, V_EXPLOITED, HC__COUNT, K_ROMANCE);
	struct event *ev = finding(st, ctx, K_ROMANCE, dir);
	if (!ev)
		return;
	ev_hdr1(ev, st, h);
	ev_tx(ev, t);
	ev_map(ev, "write_andx");
	ev_hex16(ev, "fid", w.fid);
	ev_u64(ev, "offset", w.offset);
	ev_u64(ev, "data_length", w.data_length);
	ev_u64(ev, "remaining", w.remaining);
	ev_hex16(ev, "write_mode", w.write_mode);
	ev_end_map(ev);
	ev_side_ip(ev, "target", ctx->flow, other(dir));
	finding_end(ev);
}

static void on_request_block(struct smb_state *st, struct app_ctx *ctx, enum flow_dir dir, const struct smb1_hdr *h,
			     const struct cursor *msg, size_t full, const struct smb1_block *b)
{
	const uint8_t *hdr = cur_data(msg);
	switch (b->command) {
	case SMB1_NEGOTIATE:
		on_negotiate_req(st, ctx, h, b);
		break;
	case SMB1_SESSION_SETUP_ANDX:
		on_session_setup_req(st, ctx, dir, h, b, hdr);
		break;
	case SMB1_TREE_CONNECT_ANDX:
		on_tree_connect_req(st, ctx, h, b, hdr);
		break;
	case SMB1_TRANS:
	case SMB1_TRANS2:
	case SMB1_NT_TRANS:
	case SMB1_TRANS_SECONDARY:
	case SMB1_TRANS2_SECONDARY:
	case SMB1_NT_TRANS_SECONDARY: {
		struct smb1_trans_req q;
		if (smb1_trans_request(msg, full, b, &q) != CUR_OK) {
			app_raise_event(ctx, "smb.transaction_malformed");
			break;
		}
		if (q.secondary)
			on_trans_secondary(st, ctx, dir, h, &q);
		else
			on_trans_primary(st, ctx, dir, h, &q);
		break;
	}
	case SMB1_WRITE_ANDX:
		on_write_andx(st, ctx, dir, h, b);
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------------ SMB1 replies */

static bool interesting_error(uint32_t status, bool nt)
{
	if (!nt)
		return (status & 0xff) == 2; /* ERRSRV */
	if ((status >> 30) != 3)
		return false;
	switch (status) {
	case 0xc0000002: /* NOT_IMPLEMENTED: also the DoublePulsar answers, counted apart */
	case 0xc000000f:
	case 0xc0000011:
	case 0xc0000016:
	case 0xc0000034:
	case 0xc0000035:
	case 0xc000003a:
	case 0xc00000ba:
	case 0xc0000120:
		return false;
	default:
		return true;
	}
}

static void probe_verdict(struct smb_state *st, struct app_ctx *ctx, enum flow_dir dir, const struct smb1_hdr *h)
{
	bool nt = smb1_nt_status(h);
	enum kind k = K__COUNT;
	const char *v = "inconclusive";
	if (nt && h->status == 0xc0000205u) {
		k = K_VULNERABLE;
		v = "vulnerable";
	} else if (nt && (h->status == 0xc0000022u || h->status == 0xc0000008u)) {
		k = K_PATCHED;
		v = "patched";
	}
	enum verdict hv = k == K_VULNERABLE ? V_VULNERABLE : k == K_PATCHED ? V_PATCHED : V_PROBED;
	enum hcount hc = k == K_VULNERABLE ? HC_VULNERABLE : k == K_PATCHED ? HC_PATCHED : HC_INCONCLUSIVE;
	host_note(st, ctx, dir, ROLE_SERVER, hv, hc, k);
	struct event *ev = k < K__COUNT ? finding(st, ctx, k, dir) : NULL;
	if (!ev)
		return;
	ev_hdr1(ev, st, h);
	ev_str(ev, "verdict", v);
	ev_side_ip(ev, "scanned_host", ctx->flow, dir);
	finding_end(ev);
}

/* A reply to a transaction: an interim one ("send the rest") keeps it open, anything else
 * (the final reply, its first part, an error) closes it. */
static void tx_reply(struct smb_state *st, const struct smb1_hdr *h, const struct smb1_block *b)
{
	for (uint32_t i = 0; i < st->tx_cap; i++) {
		struct smb_tx *t = &st->tx[i];
		if (!t->used || t->pid != h->pid || t->mid != h->mid)
			continue;
		if (h->status == 0 && b && b->wc == 0)
			t->interim_seen = true;
		else if (h->status != 0 && t->dup_pending)
			t->dup_pending--; /* the rejection of a repeated primary */
		else
			memset(t, 0, sizeof(*t));
		return;
	}
}

static void on_reply(struct smb_state *st, struct app_ctx *ctx, enum flow_dir dir, const struct smb1_hdr *h,
		     const struct cursor *msg, size_t full)
{
	const uint8_t *hdr = cur_data(msg);
	bool uni = smb1_unicode(h), nt = smb1_nt_status(h);
	if (h->command == SMB1_TRANS2)
		dp_reply(st, ctx, dir, h);
	struct smb1_block first;
	bool have_first = smb1_block_at(msg, full, SMB1_HDR_LEN, h->command, &first) == CUR_OK;
	if (h->command == SMB1_TRANS || h->command == SMB1_TRANS2 || h->command == SMB1_NT_TRANS)
		tx_reply(st, h, have_first ? &first : NULL);
	struct smb_req *r = req_find1(st, h->pid, h->mid);
	struct req_info *in = r ? r->info : NULL;
	if (r && (r->what & W_PROBE))
		probe_verdict(st, ctx, dir, h);
	/* walk the reply's chain for what the events and the dialect need */
	bool pipe = false;
	uint8_t cmd = h->command;
	size_t off = SMB1_HDR_LEN;
	for (int i = 0; i < SMB1_MAX_ANDX; i++) {
		struct smb1_block b;
		if (smb1_block_at(msg, full, off, cmd, &b) != CUR_OK)
			break;
		if (cmd == SMB1_NEGOTIATE) {
			struct smb1_negotiate_resp nr;
			if (smb1_negotiate_response(&b, &nr) == CUR_OK && nr.dialect_index != 0xffff) {
				if (in && nr.dialect_index < in->ndialects) {
					st->dialect1_len = in->dialect_len[nr.dialect_index];
					memcpy(st->dialect1, in->dialects[nr.dialect_index], st->dialect1_len);
					st->dialect1_known = true;
				}
				note_smb1(st, ctx, dir, h);
			}
		} else if (cmd == SMB1_SESSION_SETUP_ANDX && in) {
			struct smb1_session_setup_resp sr;
			if (smb1_session_setup_response(&b, hdr, uni, &sr) == CUR_OK) {
				in->guest = (sr.action & 1) != 0;
				if (sr.have_os) {
					in->have_resp_host = true;
					in->resp_os_len = keep_str(sr.native_os, uni, in->resp_os);
					in->resp_lm_len = sr.have_lm ? keep_str(sr.native_lm, uni, in->resp_lm) : 0;
				}
			}
		} else if (cmd == SMB1_TREE_CONNECT_ANDX && in && (r->what & W_TREE) && h->status == 0) {
			tree_add(st, ctx, 1, h->tid, h->uid, in->path, in->path_len);
			struct smb1_tree_connect_resp tr;
			pipe = smb1_tree_connect_response(&b, &tr) == CUR_OK && tr.have_service &&
			       service_is_ipc(&tr.service);
		}
		if (!smb1_is_andx(cmd))
			break;
		uint8_t next;
		uint16_t noff;
		if (smb1_andx_link(&b, &next, &noff) != CUR_OK || next == SMB1_NO_ANDX || noff <= off)
			break;
		cmd = next;
		off = noff;
	}
	if (r)
		publish_tree(st, ctx, r, pipe);
	bool error = h->status != 0 && interesting_error(h->status, nt);
	if (nt && h->status == 0xc0000016u) {
		/* a session setup leg: the next request carries the authentication */
		if (r)
			req_free(r);
		return;
	}
	struct event *ev = NULL;
	if (r && (r->what & (W_NEGOTIATE | W_SESSION | W_TREE)))
		ev = smb_event(st, ctx, other(dir), false);
	else if (error)
		ev = smb_event(st, ctx, other(dir), true);
	if (ev) {
		ev_hdr1(ev, st, h);
		if (r)
			ev_req_info(ev, r);
		smb_event_end(ev);
	}
	if (r)
		req_free(r);
}

static void handle_smb1(struct smb_state *st, struct app_ctx *ctx, enum flow_dir dir, struct cursor msg, size_t full)
{
	struct smb1_hdr h;
	struct cursor t = msg;
	if (smb1_header(&t, &h) != CUR_OK) {
		CNT(ctx, bad_messages);
		return;
	}
	CNT(ctx, smb1);
	if (h.command != SMB1_NEGOTIATE)
		note_smb1(st, ctx, dir, &h);
	if (smb1_is_reply(&h)) {
		on_reply(st, ctx, dir, &h, &msg, full);
		return;
	}
	uint8_t cmd = h.command;
	size_t off = SMB1_HDR_LEN;
	for (int i = 0;; i++) {
		if (i == SMB1_MAX_ANDX) {
			CNT(ctx, andx_capped);
			break;
		}
		struct smb1_block b;
		enum cur_status s = smb1_block_at(&msg, full, off, cmd, &b);
		if (s != CUR_OK) {
			if (s == CUR_INVALID)
				app_raise_event(ctx, "smb.malformed_block");
			break;
		}
		on_request_block(st, ctx, dir, &h, &msg, full, &b);
		if (!smb1_is_andx(cmd))
			break;
		uint8_t next;
		uint16_t noff;
		if (smb1_andx_link(&b, &next, &noff) != CUR_OK || next == SMB1_NO_ANDX)
			break;
		if (noff <= off) {
			app_raise_event(ctx, "smb.andx_offset_backwards");
			break;
		}
		cmd = next;
		off = noff;
	}
}

/* ------------------------------------------------------------------ SMB2 */

static void ev_hdr2(struct event *ev, struct smb_state *st, const struct smb2_hdr *h)
{
	const char *cn = smb2_command_name(h->command);
	if (cn)
		ev_str(ev, "command", cn);
	else
		ev_hex16(ev, "command", h->command);
	if (smb2_is_reply(h))
		ev_status(ev, true, h->status);
	ev_u64(ev, "session_id", h->session_id);
	ev_u64(ev, "tree_id", h->tree_id);
	if (h->command != SMB2_TREE_CONNECT)
		ev_share(ev, st, 2, h->tree_id, 0);
}

static void smb2_request(struct smb_state *st, struct app_ctx *ctx, const struct smb2_hdr *h,
			 const struct cursor *msg, struct cursor body)
{
	struct smb_req *r;
	switch (h->command) {
	case SMB2_NEGOTIATE: {
		struct smb2_negotiate_req q;
		if (smb2_negotiate_request(msg, body, &q) != CUR_OK) {
			app_raise_event(ctx, "smb.negotiate_malformed_dialects");
			return;
		}
		r = req_new(st, ctx);
		r->what = W_NEGOTIATE;
		struct req_info *in = req_info(r);
		memcpy(in->dialects2, q.dialects, sizeof(uint16_t) * q.ndialects);
		in->ndialects2 = q.ndialects;
		in->dialects_total = q.dialect_count;
		memcpy(in->contexts2, q.contexts, sizeof(uint16_t) * q.ncontexts);
		in->ncontexts2 = q.ncontexts;
		break;
	}
	case SMB2_SESSION_SETUP: {
		struct smb2_session_setup_req q;
		if (smb2_session_setup_request(msg, body, &q) != CUR_OK)
			return;
		r = req_new(st, ctx);
		r->what = W_SESSION;
		set_ntlm(req_info(r), q.blob);
		break;
	}
	case SMB2_TREE_CONNECT: {
		struct smb2_tree_connect_req q;
		if (smb2_tree_connect_request(msg, body, &q) != CUR_OK)
			return;
		r = req_new(st, ctx);
		r->what = W_TREE;
		struct req_info *in = req_info(r);
		in->path_len = smb_utf16le_to_utf8(q.path, in->path, STR_MAX);
		break;
	}
	default:
		return;
	}
	r->ver = 2;
	r->cmd = h->command;
	r->msgid = h->message_id;
	r->session_id = h->session_id;
	r->tree_id2 = h->tree_id;
	r->ts = ctx->ts_us;
}

static void smb2_reply(struct smb_state *st, struct app_ctx *ctx, enum flow_dir dir, const struct smb2_hdr *h,
		       const struct cursor *msg, struct cursor body)
{
	if (h->status == 0x00000103u && (h->flags & SMB2_FLAGS_ASYNC))
		return; /* interim: the final reply follows */
	struct smb_req *r = req_find2(st, h->message_id);
	if (r && r->cmd != h->command) {
		req_free(r); /* a stale request under a reused MessageId */
		r = NULL;
	}
	if (h->command == SMB2_NEGOTIATE) {
		/* also the answer to a multi-protocol SMB1 NEGOTIATE */
		for (int i = 0; i < st->pend_hi && !r; i++)
			if (st->pend[i].used && st->pend[i].ver == 1 && st->pend[i].cmd == SMB1_NEGOTIATE)
				r = &st->pend[i];
		struct smb2_negotiate_resp nr;
		if (h->status == 0 && smb2_negotiate_response(msg, body, &nr) == CUR_OK) {
			st->smb2 = true;
			st->dialect2 = nr.dialect;
		}
	}
	if (h->command == SMB2_SESSION_SETUP && h->status == 0xc0000016u) {
		if (r)
			req_free(r); /* the next leg carries the authentication */
		return;
	}
	if (!r) {
		if (interesting_error(h->status, true)) {
			struct event *ev = smb_event(st, ctx, other(dir), true);
			if (ev) {
				ev_hdr2(ev, st, h);
				smb_event_end(ev);
			}
		}
		return;
	}
	if (h->command == SMB2_SESSION_SETUP && r->info) {
		struct smb2_session_setup_resp sr;
		if (smb2_session_setup_response(msg, body, &sr) == CUR_OK) {
			r->info->guest = (sr.session_flags & SMB2_SESSION_FLAG_IS_GUEST) != 0;
			if (sr.session_flags & SMB2_SESSION_FLAG_IS_NULL) {
				r->info->anonymous_known = true;
				r->info->anonymous = true;
			}
		}
	}
	if (h->command == SMB2_TREE_CONNECT && h->status == 0 && r->info)
		tree_add(st, ctx, 2, h->tree_id, 0, r->info->path, r->info->path_len);
	if (h->command == SMB2_TREE_CONNECT) {
		struct smb2_tree_connect_resp tr;
		publish_tree(st, ctx, r,
			     h->status == 0 && smb2_tree_connect_response(body, &tr) == CUR_OK && tr.share_type == 2);
	}
	struct event *ev = smb_event(st, ctx, other(dir), false);
	if (ev) {
		ev_hdr2(ev, st, h);
		ev_req_info(ev, r);
		if (h->command == SMB2_TREE_CONNECT && h->status == 0) {
			struct smb2_tree_connect_resp tr;
			if (smb2_tree_connect_response(body, &tr) == CUR_OK) {
				static const char *const types[] = {"UNKNOWN", "FILE", "PIPE", "PRINT"};
				ev_str(ev, "share_type", types[tr.share_type <= 3 ? tr.share_type : 0]);
			}
		}
		if (h->command == SMB2_NEGOTIATE && h->status == 0) {
			struct smb2_negotiate_resp nr;
			if (smb2_negotiate_response(msg, body, &nr) == CUR_OK) {
				char guid[33];
				kg_hex(nr.server_guid, 16, guid);
				ev_str(ev, "server_guid", guid);
				ev_u64(ev, "max_read_size", nr.max_read);
				ev_u64(ev, "max_write_size", nr.max_write);
			}
		}
		smb_event_end(ev);
	}
	req_free(r);
}

static void handle_smb2(struct smb_state *st, struct app_ctx *ctx, enum flow_dir dir, struct cursor msg, size_t full)
{
	size_t off = 0;
	CNT(ctx, smb2);
	for (int n = 0; n < SMB2_MAX_COMPOUND; n++) {
		struct cursor m, t;
		if (!cur_tail(&msg, off, &m))
			return;
		t = m;
		struct smb2_hdr h;
		enum cur_status s = smb2_header(&t, &h);
		if (s != CUR_OK) {
			if (s == CUR_INVALID)
				CNT(ctx, bad_messages);
			return;
		}
		if (!smb2_header_valid(&h)) {
			app_raise_event(ctx, "smb.smb2_invalid_header");
			if (n == 0 && full >= GROOMING_MIN_LEN) {
				note_attacker(st, dir);
				host_note(st, ctx, dir, ROLE_CLIENT, V_ATTACKER, HC_EXPLOITS, K_EB_GROOM2);
				host_note(st, ctx, other(dir), ROLE_SERVER, V_EXPLOITED, HC__COUNT, K_EB_GROOM2);
				struct event *ev = finding(st, ctx, K_EB_GROOM2, dir);
				if (ev) {
					ev_map(ev, "smb2_header");
					ev_u64(ev, "structure_size", h.structure_size);
					ev_u64(ev, "command", h.command);
					ev_end_map(ev);
					ev_u64(ev, "netbios_length", full);
					ev_side_ip(ev, "target", ctx->flow, other(dir));
					finding_end(ev);
				}
			}
			return;
		}
		/* the message ends at NextCommand, or with the NetBIOS message */
		struct cursor one = m;
		if (h.next_command) {
			if (h.next_command < SMB2_HDR_LEN || (h.next_command & 7) || off + h.next_command >= full) {
				app_raise_event(ctx, "smb.smb2_bad_next_command");
				return;
			}
			cur_window(&m, 0, KG_MIN((size_t)h.next_command, cur_len(&m)), &one);
		}
		struct cursor body;
		cur_tail(&one, SMB2_HDR_LEN, &body);
		if (smb2_is_reply(&h))
			smb2_reply(st, ctx, dir, &h, &one, body);
		else
			smb2_request(st, ctx, &h, &one, body);
		if (!h.next_command)
			return;
		off += h.next_command;
	}
}

/* ------------------------------------------------------------------ framing */

static void handle_message(struct smb_state *st, struct app_ctx *ctx, enum flow_dir dir, struct cursor msg,
			   size_t full)
{
	CNT(ctx, messages);
	switch (smb_magic(&msg)) {
	case SMB_MAGIC_SMB1:
		handle_smb1(st, ctx, dir, msg, full);
		break;
	case SMB_MAGIC_SMB2:
		handle_smb2(st, ctx, dir, msg, full);
		break;
	case SMB_MAGIC_TRANSFORM:
		CNT(ctx, encrypted);
		break;
	case SMB_MAGIC_COMPRESSED:
		CNT(ctx, compressed);
		break;
	default:
		break;
	}
}

/* Offset of the next plausible message start in c (at most `limit` offsets tried), or -1. */
static long find_message(const struct cursor *c, size_t limit)
{
	/* every SMB message has "SMB" after its NetBIOS header and protocol byte:
	 * look for that with memmem rather than parsing at every offset */
	size_t from = 0;
	while (from < cur_len(c)) {
		struct cursor rest;
		cur_tail(c, from, &rest);
		long hit = cur_find(&rest, "SMB", 3);
		if (hit < 0)
			return -1;
		size_t magic = from + (size_t)hit; /* offset of "SMB" */
		from = magic + 1;
		if (magic < NBSS_HDR_LEN + 1)
			continue;
		size_t i = magic - NBSS_HDR_LEN - 1;
		if (i >= limit)
			return -1;
		struct cursor t;
		uint32_t len;
		cur_tail(c, i, &t);
		if (nbss_smb_start(&t, &len) == CUR_OK)
			return (long)i;
	}
	return -1;
}

static enum app_status parse_dir(struct smb_state *st, struct app_ctx *ctx, enum flow_dir dir, const uint8_t *data,
				 size_t len, unsigned flags, size_t *consumed)
{
	struct smb_dir *ds = &st->d[dir];
	*consumed = 0;
	if (flags & APP_FLAG_GAP)
		ds->resync = true;
	if (flags & APP_FLAG_EOF)
		return APP_OK;
	struct cursor all = cur_make(data, len);
	size_t pos = 0;
	for (int n = 0; n < MAX_MSGS_PER_CALL; n++) {
		struct cursor c;
		cur_tail(&all, pos, &c);
		if (cur_empty(&c))
			break;
		if (ds->resync) {
			long at = find_message(&c, RESYNC_WINDOW);
			if (at < 0) {
				/* keep the last bytes: a header may straddle the next delivery */
				size_t scanned = KG_MIN(cur_len(&c), (size_t)RESYNC_WINDOW);
				size_t keep = cur_len(&c) > scanned ? 0 : KG_MIN(cur_len(&c), (size_t)7);
				pos += scanned - keep;
				break;
			}
			pos += (size_t)at;
			ds->resync = false;
			CNT(ctx, resyncs);
			continue;
		}
		struct cursor t = c;
		struct nbss_hdr h;
		enum cur_status s = nbss_header(&t, &h);
		if (s == CUR_TRUNCATED)
			break;
		if (s == CUR_INVALID || (h.type == NBSS_MESSAGE && h.length && cur_len(&t) >= 4 &&
					 smb_magic(&t) == SMB_MAGIC_NONE)) {
			/* not (or no longer) at a message boundary */
			if (ds->started)
				app_raise_event(ctx, "smb.invalid_netbios_message");
			CNT(ctx, bad_messages);
			ds->resync = true;
			pos += 1;
			continue;
		}
		if (h.type != NBSS_MESSAGE) {
			/* session request/response, keepalive: small, skipped whole */
			if (cur_len(&t) < h.length)
				break;
			pos += NBSS_HDR_LEN + h.length;
			continue;
		}
		ds->started = true;
		if (h.length == 0) {
			pos += NBSS_HDR_LEN;
			continue;
		}
		bool whole = h.length <= WHOLE_MAX;
		size_t need = whole ? h.length : PREFIX_LEN;
		if (cur_len(&t) < need)
			break;
		struct cursor msg;
		cur_window(&t, 0, KG_MIN(cur_len(&t), KG_MIN((size_t)h.length, (size_t)WHOLE_MAX)), &msg);
		if (!whole)
			CNT(ctx, prefix_parsed);
		handle_message(st, ctx, dir, msg, h.length);
		if (cur_len(&t) >= h.length) {
			pos += NBSS_HDR_LEN + h.length;
			continue;
		}
		/* the rest of this message is skipped as it arrives */
		*consumed = pos + NBSS_HDR_LEN + h.length;
		return APP_OK;
	}
	*consumed = pos;
	return APP_OK;
}

/* ------------------------------------------------------------------ dissector */

/* A NetBIOS session message carrying an SMB message at the start, a session request (port 139),
 * or - picked up mid-stream - an SMB message starting within the first bytes. */
/* A NetBIOS session message carrying an SMB message at the start, or a session request (port 139).
 * Picked up mid-stream (PROBE_F_MIDSTREAM), an SMB message starting within the first bytes. */
static enum probe_result smb_probe(const uint8_t *data, size_t len, enum flow_dir dir, unsigned flags)
{
	(void)dir;
	struct cursor c = cur_make(data, len);
	if (!(flags & PROBE_F_MIDSTREAM)) {
		/* keep-alives, and on port 139 the positive session response, may precede the first message */
		struct cursor k = c;
		struct nbss_hdr kh;
		while (nbss_header(&k, &kh) == CUR_OK && (kh.type == NBSS_KEEPALIVE || kh.type == NBSS_POSITIVE))
			c = k;
	}
	uint32_t mlen;
	enum cur_status st = nbss_smb_start(&c, &mlen);
	if (st == CUR_OK)
		return PROBE_YES;
	struct cursor t = c;
	struct nbss_hdr h;
	enum cur_status s = nbss_header(&t, &h);
	if (s == CUR_TRUNCATED)
		return PROBE_MORE;
	if (s == CUR_OK && h.type == NBSS_REQUEST) {
		/* two encoded NetBIOS names: length byte 0x20, then 32 letters A..P */
		uint8_t l1;
		if (!cur_peek_u8(&t, 0, &l1))
			return PROBE_MORE;
		return h.length == 68 && l1 == 0x20 ? PROBE_YES : PROBE_NO;
	}
	if (!(flags & PROBE_F_MIDSTREAM)) {
		/* from the first byte of the session: the message starts here */
		return st == CUR_TRUNCATED && s == CUR_OK && h.type == NBSS_MESSAGE ? PROBE_MORE : PROBE_NO;
	}
	if (len < NBSS_HDR_LEN + 4)
		return PROBE_MORE;
	if (find_message(&c, len) >= 0)
		return PROBE_YES;
	return len < 2048 ? PROBE_MORE : PROBE_NO;
}

static void *smb_new(const struct app_ctx *ctx)
{
	(void)ctx;
	return kg_calloc(1, sizeof(struct smb_state), "smb state");
}

static void smb_free(void *p)
{
	struct smb_state *st = p;
	if (!st)
		return;
	for (int i = 0; i < MAX_PENDING; i++)
		free(st->pend[i].info);
	free(st->tx);
	free(st->trees);
	free(st);
}

static enum app_status smb_parse_ts(void *state, struct app_ctx *ctx, const uint8_t *data, size_t len, unsigned flags,
				    size_t *consumed)
{
	return parse_dir(state, ctx, DIR_TO_SERVER, data, len, flags, consumed);
}

static enum app_status smb_parse_tc(void *state, struct app_ctx *ctx, const uint8_t *data, size_t len, unsigned flags,
				    size_t *consumed)
{
	return parse_dir(state, ctx, DIR_TO_CLIENT, data, len, flags, consumed);
}

static const char *flow_verdict(const struct smb_state *st)
{
	if (st->kind_count[K_DP_IMPLANT])
		return "infected";
	if (st->kind_count[K_EB_CONFUSION] || st->kind_count[K_ROMANCE] || st->kind_count[K_CHAMPION] ||
	    st->kind_count[K_EB_OVERSIZED] || st->kind_count[K_EB_GROOM2] || st->kind_count[K_EB_POOL] ||
	    st->kind_count[K_DP_EXEC] || st->kind_count[K_DP_KILL])
		return "exploited";
	if (st->kind_count[K_VULNERABLE])
		return "vulnerable";
	if (st->kind_count[K_PATCHED])
		return "patched";
	if (st->kind_count[K_PROBE] || st->kind_count[K_DP_PING])
		return "probed";
	return NULL;
}

static void smb_flow_end(void *state, struct app_ctx *ctx)
{
	struct smb_state *st = state;
	/* events for requests that were never answered */
	for (int i = 0; i < MAX_PENDING; i++) {
		struct smb_req *r = &st->pend[i];
		if (!r->used || !(r->what & (W_NEGOTIATE | W_SESSION | W_TREE)))
			continue;
		publish_tree(st, ctx, r, false);
		struct event *ev = smb_event(st, ctx, r->dir, false);
		if (ev) {
			if (r->ver == 1) {
				const char *cn = smb1_command_name((uint8_t)r->cmd);
				ev_str(ev, "command", cn ? cn : "unknown");
				ev_u64(ev, "session_id", r->uid);
				ev_u64(ev, "tree_id", r->tid);
			} else {
				const char *cn = smb2_command_name(r->cmd);
				ev_str(ev, "command", cn ? cn : "unknown");
				ev_u64(ev, "session_id", r->session_id);
				ev_u64(ev, "tree_id", r->tree_id2);
			}
			ev_bool(ev, "unanswered", true);
			ev_req_info(ev, r);
			smb_event_end(ev);
		}
	}
	const char *v = flow_verdict(st);
	if (!v)
		return;
	enum flow_dir adir = st->attacker_known ? st->attacker_dir : DIR_TO_SERVER;
	struct event *ev = event_begin(ctx->em, "ms17_010", st->first_det_us);
	event_flow(ev, ctx->flow, DIR_TO_SERVER);
	ev_map(ev, "ms17_010");
	ev_str(ev, "verdict", v);
	ev_side_ip(ev, "attacker", ctx->flow, adir);
	ev_side_ip(ev, "target", ctx->flow, other(adir));
	ev_time(ev, "first_seen", st->first_det_us);
	ev_time(ev, "last_seen", st->last_det_us);
	if (st->dp_key_known) {
		ev_map(ev, "doublepulsar");
		ev_str(ev, "architecture", st->dp_arch ? "x64" : "x86");
		char key[16];
		snprintf(key, sizeof(key), "0x%08x", st->dp_key);
		ev_str(ev, "xor_key", key);
		ev_u64(ev, "upload_bytes_answered", st->dp_upload_bytes);
		ev_u64(ev, "answers_to_unseen_requests", st->implant_unpaired);
		ev_end_map(ev);
	}
	ev_map(ev, "counts");
	for (int k = 0; k < K__COUNT; k++)
		if (st->kind_count[k])
			ev_u64(ev, kinds[k].name, st->kind_count[k]);
	ev_end_map(ev);
	ev_end_map(ev);
	event_end(ev);
}

static void *smb_proto_new(void)
{
	struct smb_run *r = kg_calloc(1, sizeof(*r), "smb run");
	r->hosts = kg_calloc(HOSTS_MAX, sizeof(struct host), "smb hosts");
	r->nbuckets = HOSTS_MAX;
	r->buckets = kg_calloc(r->nbuckets, sizeof(uint32_t), "smb host buckets");
	return r;
}

static void smb_proto_free(void *p)
{
	struct smb_run *r = p;
	if (!r)
		return;
	free(r->hosts);
	free(r->buckets);
	free(r);
}

static void smb_tick(struct app_ctx *ctx) { emit_hosts(ctx, false); }
static void smb_run_end(struct app_ctx *ctx) { emit_hosts(ctx, true); }

static void smb_stats(void *proto, struct event *ev)
{
	const struct smb_run *r = proto;
	if (!r)
		return;
	ev_u64(ev, "messages", r->messages);
	ev_u64(ev, "smb1_messages", r->smb1);
	ev_u64(ev, "smb2_messages", r->smb2);
	ev_u64(ev, "encrypted_messages", r->encrypted);
	ev_u64(ev, "compressed_messages", r->compressed);
	ev_u64(ev, "large_messages_prefix_parsed", r->prefix_parsed);
	ev_u64(ev, "resyncs", r->resyncs);
	ev_u64(ev, "bad_messages", r->bad_messages);
	ev_u64(ev, "transactions_evicted", r->tx_evicted);
	ev_u64(ev, "pending_evicted", r->pending_evicted);
	ev_u64(ev, "doublepulsar_requests_evicted", r->dp_evicted);
	ev_u64(ev, "trees_evicted", r->trees_evicted);
	ev_u64(ev, "andx_chains_capped", r->andx_capped);
	ev_u64(ev, "events_suppressed", r->events_suppressed);
	ev_u64(ev, "detections", r->detections);
	ev_u64(ev, "alerts", r->alerts);
	ev_u64(ev, "hosts", r->nhosts);
	ev_u64(ev, "hosts_evicted", r->hosts_evicted);
}

static const uint16_t smb_ports[] = {445, 139, 0};

const struct dissector smb_dissector = {
	.name = "smb",
	.ipproto = 6,
	.ports = smb_ports,
	.ports_only = false,
	.probe = smb_probe,
	.state_new = smb_new,
	.state_free = smb_free,
	.parse_ts = smb_parse_ts,
	.parse_tc = smb_parse_tc,
	.flow_end = smb_flow_end,
	.proto_new = smb_proto_new,
	.proto_free = smb_proto_free,
	.tick = smb_tick,
	.run_end = smb_run_end,
	.stats = smb_stats,
};

/* ------------------------------------------------------------------ merging host verdicts of workers */

static int verdict_of(const uint8_t *s, size_t n)
{
	for (int v = V_NONE; v <= V_ATTACKER; v++) {
		const char *name = verdict_name((enum verdict)v);
		if (strlen(name) == n && memcmp(name, s, n) == 0)
			return v;
	}
	return V_NONE;
}

bool smb_verdict_merge_key(const uint8_t *ev, size_t len, uint8_t *key, size_t *keylen, bool *partial)
{
	struct mp_val v = mp_val_of(ev, len), m; /* the supervisor measured it */
	const uint8_t *t, *host, *role, *summary;
	size_t tl, hl, rl, sl;
	if (!mp_path_str(v, "event_type", &t, &tl) || tl != 16 ||
	    memcmp(t, "smb_host_verdict", 16) != 0 || !mp_get(v, "smb_host_verdict", &m) ||
	    !mp_path_str(m, "host", &host, &hl) || !mp_path_str(m, "role", &role, &rl) || hl >= 64)
		return false;
	char hs[64];
	memcpy(hs, host, hl);
	hs[hl] = '\0';
	uint8_t addr[16];
	int family = kg_parse_ip(hs, addr);
	if (!family)
		return false;
	/* the order of the per-host events of a run (host_cmp): servers first, then the address */
	key[0] = rl == 6 && memcmp(role, "server", 6) == 0 ? 0 : 1;
	key[1] = (uint8_t)family;
	memset(key + 2, 0, 16);
	memcpy(key + 2, addr, family == 4 ? 4 : 16);
	*keylen = 18;
	*partial = mp_path_str(m, "summary", &summary, &sl) && sl == 7 && memcmp(summary, "evicted", 7) == 0;
	return true;
}

void smb_verdict_merge_emit(struct emitter *em, const uint8_t *const *parts, const size_t *lens, size_t n,
			    const char *summary)
{
	struct host h;
	memset(&h, 0, sizeof(h));
	char first[32] = "", last[32] = "";
	bool have = false;
	for (size_t i = 0; i < n; i++) {
		struct mp_val v = mp_val_of(parts[i], lens[i]), m, a, e; /* measured by the supervisor */
		const uint8_t *s;
		size_t sl;
		if (!mp_get(v, "smb_host_verdict", &m))
			continue;
		if (!have && mp_path_str(m, "host", &s, &sl) && sl < 64) {
			char hs[64];
			memcpy(hs, s, sl);
			hs[sl] = '\0';
			h.family = (uint8_t)kg_parse_ip(hs, h.addr);
			h.role = mp_path_str(m, "role", &s, &sl) && sl == 6 && memcmp(s, "server", 6) == 0 ? ROLE_SERVER
													  : ROLE_CLIENT;
			have = h.family != 0;
		}
		if (mp_path_str(m, "verdict", &s, &sl)) {
			int vd = verdict_of(s, sl);
			if (vd > h.verdict)
				h.verdict = (uint8_t)vd;
		}
		/* the timestamps are all of one fixed width: their text order is their time order */
		if (mp_path_str(m, "first_seen", &s, &sl) && sl < sizeof(first) &&
		    (!first[0] || memcmp(s, first, sl) < 0)) {
			memcpy(first, s, sl);
			first[sl] = '\0';
		}
		if (mp_path_str(m, "last_seen", &s, &sl) && sl < sizeof(last) && (!last[0] || memcmp(s, last, sl) > 0)) {
			memcpy(last, s, sl);
			last[sl] = '\0';
		}
		uint64_t u;
		if (mp_path_uint(m, "flows", &u))
			h.flows += u;
		struct mp_iter it;
		if (mp_get(m, "flow_ids", &a) && mp_iter_array(a, &it))
			while (mp_next(&it, &e) && mp_as_uint(e, &u)) {
				bool seen = false;
				for (uint8_t k = 0; k < h.nflow_ids; k++)
					seen = seen || h.flow_ids[k] == u;
				if (!seen && h.nflow_ids < HOST_FLOWS_MAX)
					h.flow_ids[h.nflow_ids++] = u;
			}
		struct mp_val name;
		if (mp_get(m, "counts", &a) && mp_iter_map(a, &it))
			while (mp_next_kv(&it, &name, &e))
				for (int c = 0; c < HC__COUNT; c++)
					if (mp_as_str(name, &s, &sl) && strlen(hcount_names[c]) == sl &&
					    !memcmp(hcount_names[c], s, sl) && mp_as_uint(e, &u))
						h.counts[c] += (uint32_t)KG_MIN(u, (uint64_t)UINT32_MAX - h.counts[c]);
		if (mp_get(m, "detections", &a) && mp_iter_array(a, &it))
			while (mp_next(&it, &e) && mp_as_str(e, &s, &sl))
				for (int k = 0; k < K__COUNT; k++)
					if (strlen(kinds[k].name) == sl && memcmp(kinds[k].name, s, sl) == 0)
						h.kinds[k] = 1;
	}
	if (!have)
		return;
	int64_t t;
	if (first[0] && kg_parse_time(first, strlen(first), &t))
		h.first_us = t;
	if (last[0] && kg_parse_time(last, strlen(last), &t))
		h.last_us = t;
	struct app_ctx ctx = {.em = em, .ts_us = h.last_us};
	emit_host(&ctx, &h, summary);
}
