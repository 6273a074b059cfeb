/* rules.h - Suricata/Snort rule language (Suricata 5+ rule format, as ET Open publishes it): parsed
 * rule structures and the parser (header, addresses/ports/variables, buffer lists with sticky
 * buffers, legacy content modifiers and transforms, the keywords listed in README "Signatures").
 *
 * The parser turns rule text into struct rule; nothing here touches wire data. A rule's detection
 * options are kept in buffer lists (Suricata's "sm lists"): list kind 0 is the packet or stream
 * payload, every other kind is an inspection buffer (dissectors/inspect.h) with an optional chain
 * of transforms. A rule set (struct rule_set) is immutable once compiled (rule_set_compile builds
 * the signature groups, the IP-only tables and the prefilters: detect.h), so the matcher can swap
 * sets atomically on reload.
 */
#ifndef KAGAMI_RULES_H
#define KAGAMI_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dissectors/inspect.h"

#define RULE_MAX_VARS 8          /* byte_extract/byte_math variables per rule */
#define RULE_MAX_OPS 64          /* detection options per rule */
#define RULE_MAX_LISTS 8         /* buffer lists per rule (payload + sticky buffers) */
#define RULE_MAX_FLOWBITS 8      /* flowbits/xbits options per rule */
#define RULE_MAX_FB_NAMES 8      /* names in one flowbits list ("a|b", "a&b") */
#define RULE_MAX_PKW 12          /* packet header keywords per rule (flags, ttl, ...) */
#define RULE_MAX_ATTRS 4         /* transaction attribute keywords per rule (tls.version, ...) */
#define RULE_MAX_XFORMS 4        /* transforms on one buffer */
#define RULE_MAX_PATTERN 1024    /* bytes of one content pattern */
#define RULESET_MAX_FLOWBIT_NAMES 4096
#define RULESET_MAX_RULES 200000
#define RULESET_MAX_KINDS 256    /* distinct (buffer, transform chain) pairs */
#define RULE_MAX_LINE 65536      /* a rule, continuation lines joined */

enum rule_err {
	RULE_OK = 0,
	RULE_ERR_SYNTAX,   /* a malformed rule (file, line and option in the message) */
	RULE_ERR_IO,       /* a rule file could not be read */
	RULE_ERR_LIMIT,    /* too many rules or flowbit names */
};
const char *rule_strerror(int err);

enum rule_action { ACT_ALERT = 0, ACT_PASS, ACT_DROP, ACT_REJECT, ACT_LOG };
/* header protocol: transport plus an optional app-layer requirement */
enum rule_proto { RP_IP = 0, RP_TCP, RP_UDP, RP_ICMP };
/* tcp-pkt / udp-pkt: packets only; tcp-stream: reassembled stream only (Suricata 5) */
enum rule_variant { RV_ANY = 0, RV_PKT, RV_STREAM };

/* A set of addresses or ports: any positive item matches (or there is none)
 * and no negated item matches. Items nest (lists, negated lists). */
struct addr_item {
	bool neg;
	bool is_set;
	uint8_t family; /* 4 or 6 (leaf) */
	uint8_t prefix;
	uint8_t addr[16];
	struct addr_set *set;
};
/* An address as a 128-bit number (IPv4 in the low 32 bits of its own family's space). */
struct addr_num {
	uint64_t hi, lo;
};
struct addr_range {
	struct addr_num lo, hi; /* inclusive */
};
struct addr_set {
	bool any;
	size_t n;
	struct addr_item *items;
	/* flattened at parse time: sorted disjoint ranges per family (what the set matches) */
	struct addr_range *r4, *r6;
	uint32_t n4, n6;
	bool all4, all6;        /* the whole family matches */
};
struct port_item {
	bool neg;
	bool is_set;
	uint16_t lo, hi;
	struct port_set *set;
};
struct port_set {
	bool any;
	size_t n;
	struct port_item *items;
	/* flattened at parse time: sorted disjoint ranges it matches */
	struct { uint16_t lo, hi; } *r;
	uint32_t nr;
	bool all;               /* every port */
};

/* A number or a byte_extract variable (var >= 0). */
struct rnum {
	int64_t v;
	int8_t var;
};

enum op_kind {
	OP_CONTENT = 0, OP_PCRE, OP_BYTE_TEST, OP_BYTE_JUMP, OP_BYTE_EXTRACT, OP_ISDATAAT, OP_BSIZE, OP_BYTE_MATH,
};

enum bt_op { BT_LT = 0, BT_GT, BT_EQ, BT_LE, BT_GE, BT_AND, BT_XOR };
/* numeric comparisons of the size and header keywords */
enum num_op { NUM_EQ = 0, NUM_LT, NUM_GT, NUM_RANGE, NUM_NE, NUM_LE, NUM_GE };

struct num_cmp {
	uint8_t op;            /* enum num_op */
	uint64_t a, b;         /* NUM_RANGE: a < x < b */
};

/* Shared by byte_test, byte_jump and byte_extract: how to read the number. */
struct byte_read {
	uint8_t nbytes;
	bool little;
	bool string;
	uint8_t base;          /* string: 8, 10, 16 */
	bool relative;
	struct rnum offset;
	uint64_t bitmask;      /* 0 = none */
};

enum bm_oper { BM_ADD = 0, BM_SUB, BM_MUL, BM_DIV, BM_SHL, BM_SHR };

struct rule_op {
	enum op_kind kind;
	uint8_t list;          /* index into rule.lists */
	union {
		struct {
			uint8_t *pat;
			size_t len;
			bool neg, nocase, relative;
			bool has_offset, has_depth, has_distance, has_within;
			bool startswith, endswith;
			struct rnum offset, depth, distance, within;
			bool fast_pattern;
		} content;
		struct {
			void *code;     /* pcre2_code */
			bool relative;
			bool neg;
		} pcre;
		struct {
			struct byte_read r;
			enum bt_op op;
			bool neg;
			struct rnum value;
		} bt;
		struct {
			struct byte_read r;
			uint32_t multiplier;
			uint8_t align;
			bool from_beginning, from_end;
			int64_t post_offset;
		} bj;
		struct {
			struct byte_read r;
			uint32_t multiplier;
			uint8_t align;
			int8_t var;
		} be;
		struct {
			struct rnum n;
			bool relative, neg;
		} isdataat;
		struct {
			struct num_cmp c;  /* bsize, urilen: the buffer's length */
		} bsize;
		struct {
			struct byte_read r;
			uint8_t oper;      /* enum bm_oper */
			struct rnum rvalue;
			int8_t var;
		} bm;
	} u;
};

/* One buffer list of a rule: its ops are ops[first .. first + n). */
struct rule_list {
	uint16_t kind;         /* index into rule_set.kinds; 0 = packet or stream payload */
	uint16_t first, n;
};

/* transforms (Suricata's transform keywords), applied in rule order to a sticky buffer */
enum xform_kind {
	XF_NONE = 0, XF_LOWER, XF_UPPER, XF_DOTPREFIX, XF_STRIP_WS, XF_COMPRESS_WS, XF_URL_DECODE, XF_XOR, XF_MD5,
	XF_SHA1, XF_SHA256, XF_PCREXFORM, XF_HEADER_LOWER,
};
struct xform {
	uint8_t kind;
	uint8_t keylen;        /* xor */
	uint8_t key[32];
	void *code;            /* pcrexform: pcre2_code (owned by the chain table) */
};
struct xchain {
	uint8_t n;
	struct xform x[RULE_MAX_XFORMS];
	char *text;            /* canonical text, to intern chains */
};
/* A buffer kind: an inspection buffer under a transform chain. Kind 0 is the payload. */
struct bkind {
	uint16_t ib;           /* enum ib_id */
	uint16_t chain;        /* index into rule_set.chains; 0 = none */
};

enum flowbit_cmd { FB_SET = 0, FB_ISSET, FB_ISNOTSET, FB_UNSET, FB_TOGGLE, FB_NOALERT };
enum xbit_track { XT_FLOW = 0, XT_SRC, XT_DST, XT_PAIR };

struct flowbit_op {
	enum flowbit_cmd cmd;
	uint8_t track;         /* enum xbit_track: XT_FLOW for flowbits */
	uint8_t nbits;         /* names in the list */
	bool all;              /* "a&b": every name; "a|b" (or one name): any name */
	uint16_t bit[RULE_MAX_FB_NAMES]; /* indexes into the set's flowbit names */
	uint32_t expire;       /* xbits: seconds (0 = 3600) */
};

/* flow: keyword */
enum {
	RF_TO_SERVER = 1 << 0,
	RF_TO_CLIENT = 1 << 1,
	RF_ESTABLISHED = 1 << 2,
	RF_STATELESS = 1 << 3,
	RF_ONLY_STREAM = 1 << 4,
	RF_NO_STREAM = 1 << 5,
	RF_NOT_ESTABLISHED = 1 << 6,
};

/* packet header keywords */
enum pkw_kind {
	PK_TTL = 0, PK_TOS, PK_ID, PK_IPPROTO, PK_ITYPE, PK_ICODE, PK_ICMP_ID, PK_ICMP_SEQ, PK_WINDOW, PK_SEQ, PK_ACK,
	PK_FLAGS, PK_FRAGBITS, PK_FRAGOFFSET, PK_IPOPTS, PK_SAMEIP, PK_STREAM_SIZE, PK_TCP_MSS,
};
struct rule_pkw {
	uint8_t kind;          /* enum pkw_kind */
	bool neg;
	struct num_cmp c;      /* numeric keywords */
	uint8_t mode;          /* flags/fragbits: 0 exact, '+' all of, '*' any of, '!' none of */
	uint8_t bits, mask;    /* flags/fragbits: the bits; flags: bits to ignore */
	uint8_t side;          /* stream_size: 0 server, 1 client, 2 both, 3 either */
};

/* transaction attribute keywords (dissectors/inspect.h enum ia_id) */
struct rule_attr {
	uint8_t attr;          /* enum ia_id, or 255 = app-layer-protocol */
	bool neg;
	uint8_t op;            /* enum num_op for tls.version; ssl_version/state: any bit of v */
	uint32_t v;
	char app[16];          /* app-layer-protocol */
};

enum thr_type { THR_NONE = 0, THR_LIMIT, THR_THRESHOLD, THR_BOTH, THR_DETECTION_FILTER };
enum thr_track { TRACK_SRC = 0, TRACK_DST, TRACK_RULE, TRACK_BOTH };

/* where a rule runs (decided at parse time; detect.c groups by it) */
enum rule_path { PATH_PACKET = 0, PATH_STREAM, PATH_TX, PATH_EVENT, PATH_IPONLY };

struct rule {
	enum rule_action action;
	enum rule_proto proto;
	uint8_t variant;           /* enum rule_variant */
	uint8_t path;              /* enum rule_path */
	char app[16];              /* "" or the app protocol of the header (tls, smb, dns, http, smtp, ...) */
	uint16_t app_ix;           /* index of app in the app table (rules.c), 0 = none */
	struct addr_set *src, *dst;
	struct port_set *sport, *dport;
	bool bidir;
	uint32_t gid, sid, rev;
	uint8_t priority;          /* 0 = from classtype, else 1..255 */
	char *msg;
	char *classtype;
	/* detection */
	struct rule_op *ops;       /* sorted by list */
	size_t nops;
	struct rule_list lists[RULE_MAX_LISTS];
	uint8_t nlists;
	int fp_op;                 /* content op used as fast pattern, -1 = none */
	bool fp_direct;            /* the fast pattern is common (rule_pattern_strength below
				    * RULE_FP_POOR) but anchored: checked at its few positions, not prefiltered */
	uint8_t nvars;             /* byte_extract variables */
	uint32_t flow;             /* RF_* */
	bool has_dsize;
	uint8_t dsize_op;          /* 0 '=', 1 '<', 2 '>', 3 range, 4 '!=' */
	uint32_t dsize_lo, dsize_hi;
	struct rule_pkw pkw[RULE_MAX_PKW];
	uint8_t npkw;
	struct rule_attr attrs[RULE_MAX_ATTRS];
	uint8_t nattrs;
	struct flowbit_op flowbits[RULE_MAX_FLOWBITS]; /* flowbits and xbits, in rule order */
	size_t nflowbits;
	bool has_xbits;
	bool noalert;
	enum thr_type thr;
	enum thr_track thr_track;
	uint32_t thr_count, thr_seconds;
	enum thr_type df;          /* detection_filter: THR_NONE or THR_DETECTION_FILTER */
	enum thr_track df_track;
	uint32_t df_count, df_seconds;
	char *app_event;           /* app-layer-event name, e.g. "tls.overflow_heartbeat_message" */
	bool needs_payload;        /* has payload keywords (payload list or dsize) */
	const char *tx_app;        /* tx rules: the app protocol of their buffers ("http", ...) */
	uint32_t prog[2];          /* tx rules: progress bits needed per direction (0 = not in it) */
	/* where it came from */
	char *file;
	unsigned line;
	uint32_t index;            /* position in the set */
};

/* Variable lookup for $NAME in headers: returns the value or NULL. */
typedef const char *(*rule_var_fn)(void *ctx, const char *name);

struct classtype {
	char *name, *desc;
	uint8_t prio;
};

struct detect;                 /* detect.h: compiled groups and prefilters */

struct rule_set {
	struct rule **rules;
	size_t n, cap;
	char *flowbit_names[RULESET_MAX_FLOWBIT_NAMES];
	size_t nflowbits;
	struct bkind kinds[RULESET_MAX_KINDS];
	size_t nkinds;             /* kinds[0] is the payload */
	struct xchain *chains;     /* chains[0] is the empty chain */
	size_t nchains;
	struct classtype *classes; /* from classification.config, else the built-in table */
	size_t nclasses;
	char *class_file;          /* the classification.config read, NULL = built-in */
	/* load report */
	size_t files;
	size_t skipped;            /* malformed rules skipped under lax */
	struct kw_count {
		char name[24];
		size_t n;
	} ignored[16];             /* output-only keywords accepted and ignored, with their counts */
	size_t nignored;
	bool has_pass;             /* some rule has the pass action */
	uint32_t *sid_hash;        /* open addressing over (gid, sid): rule index + 1, 0 = empty */
	size_t sid_hash_cap;       /* a power of two, at least twice n */
	struct detect *det;        /* built by rule_set_compile */
	int mpm;                   /* prefilter engine asked for (detect.h enum mpm_kind) */
	int64_t load_us;
};

struct rule_parse_cfg {
	rule_var_fn var;
	void *var_ctx;
	bool lax;                  /* skip malformed rules, count them */
	FILE *warn;                /* where lax mode reports each skipped rule (NULL = nowhere) */
};

/* Does rule r run on reassembled stream data for TCP flows? */
bool rule_is_stream(const struct rule *r);

struct rule_set *rule_set_new(void);
void rule_set_free(struct rule_set *rs);
/* Read a classification.config (Suricata's format: "config classification: name,description,prio")
 * into rs; it replaces the built-in table. Call before parsing rules. */
int rule_set_classes(struct rule_set *rs, const char *path, char *errbuf, size_t errlen);
/* Parse one rule (no trailing newline needed) into rs; the message names
 * file:line and the offending option. */
int rule_parse_line(struct rule_set *rs, const struct rule_parse_cfg *cfg, const char *text, const char *file,
		    unsigned line, char *errbuf, size_t errlen);
/* Parse rule text (many lines; '#' comments, '\' continuations). In lax mode a
 * malformed rule is counted in rs->skipped and parsing goes on. */
int rule_parse_text(struct rule_set *rs, const struct rule_parse_cfg *cfg, const char *text, size_t len,
		    const char *file, char *errbuf, size_t errlen);
/* A file, or every *.rules file of a directory (name order). */
int rule_parse_path(struct rule_set *rs, const struct rule_parse_cfg *cfg, const char *path, char *errbuf,
		    size_t errlen);
/* Build the signature groups and prefilters over the parsed rules (detect.c); call once when
 * parsing is done. */
int rule_set_compile(struct rule_set *rs, char *errbuf, size_t errlen);

/* Severity from the rule's priority, else its classtype's default (classification.config). */
uint8_t rule_severity(const struct rule_set *rs, const struct rule *r);
/* The app protocol table of rule headers: index of name (1..), 0 = unknown. */
uint16_t rule_app_index(const char *name);
/* How rare a prefilter pattern p[0..n) is likely to be in traffic (higher = rarer), after
 * Suricata's fast-pattern strength: each distinct byte counts (letters 3, other printable bytes
 * and 0x01/0xff 4, the rest 6), a repeat 1; a zero byte 1 and its repeats nothing; a pattern of
 * one byte value 1; the bytes of a common protocol word in it (SMB headers, HTTP request and
 * status lines) nothing. Only the first RULE_FP_SCORED bytes count (the prefilter's prefix). */
#define RULE_FP_SCORED 32
#define RULE_FP_POOR 10            /* a strength below this: the pattern is common */
#define RULE_FP_MIN 4              /* shorter contents are not prefiltered (detect.h DETECT_MIN_FP) */
#define RULE_FP_WINDOW 16          /* a common pattern is checked directly within this many positions */
unsigned rule_pattern_strength(const uint8_t *p, size_t n, bool nocase);
const char *rule_app_name(uint16_t ix);
size_t rule_app_count(void);

/* Address/port matching (used by the matcher). */
bool addr_set_match(const struct addr_set *s, int family, const uint8_t *addr);
bool port_set_match(const struct port_set *s, uint16_t port);
struct addr_num addr_num_of(int family, const uint8_t *addr);

#endif
