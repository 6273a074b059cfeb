/* rules.h - Suricata/Snort rule language: parsed rule structures and the parser
 * (header, addresses/ports/variables, the option subset listed in README "Signatures").
 *
 * The parser turns rule text into struct rule; nothing here touches wire data.
 * A rule set (struct rule_set) is immutable once built, so the matcher can
 * swap sets atomically on reload.
 */
#ifndef KAGAMI_RULES_H
#define KAGAMI_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define RULE_MAX_VARS 8          /* byte_extract variables per rule */
#define RULE_MAX_OPS 64          /* detection options per rule */
#define RULE_MAX_FLOWBITS 8      /* flowbits options per rule */
#define RULE_MAX_PATTERN 1024    /* bytes of one content pattern */
#define RULESET_MAX_FLOWBIT_NAMES 1024
#define RULESET_MAX_RULES 200000
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
struct addr_set {
	bool any;
	size_t n;
	struct addr_item *items;
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
};

/* A number or a byte_extract variable (var >= 0). */
struct rnum {
	int64_t v;
	int8_t var;
};

enum op_kind { OP_CONTENT = 0, OP_PCRE, OP_BYTE_TEST, OP_BYTE_JUMP, OP_BYTE_EXTRACT, OP_ISDATAAT };

enum bt_op { BT_LT = 0, BT_GT, BT_EQ, BT_LE, BT_GE, BT_AND, BT_XOR };

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

struct rule_op {
	enum op_kind kind;
	union {
		struct {
			uint8_t *pat;
			size_t len;
			bool neg, nocase, relative;
			bool has_offset, has_depth, has_distance, has_within;
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
			bool from_beginning;
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
	} u;
};

enum flowbit_cmd { FB_SET = 0, FB_ISSET, FB_ISNOTSET, FB_UNSET, FB_TOGGLE, FB_NOALERT };

struct flowbit_op {
	enum flowbit_cmd cmd;
	uint16_t bit; /* index into the set's flowbit names */
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

enum thr_type { THR_NONE = 0, THR_LIMIT, THR_THRESHOLD, THR_BOTH, THR_DETECTION_FILTER };
enum thr_track { TRACK_SRC = 0, TRACK_DST, TRACK_RULE, TRACK_BOTH };

struct rule {
	enum rule_action action;
	enum rule_proto proto;
	char app[8];               /* "" or tls/smb/dns/http */
	struct addr_set *src, *dst;
	struct port_set *sport, *dport;
	bool bidir;
	uint32_t gid, sid, rev;
	uint8_t priority;          /* 0 = from classtype, else 1..255 */
	char *msg;
	char *classtype;
	/* detection */
	struct rule_op ops[RULE_MAX_OPS];
	size_t nops;
	int fp_op;                 /* content op used as fast pattern, -1 = none */
	uint8_t nvars;             /* byte_extract variables */
	uint32_t flow;             /* RF_* */
	bool has_dsize;
	uint8_t dsize_op;          /* 0 '=', 1 '<', 2 '>', 3 range, 4 '!=' */
	uint32_t dsize_lo, dsize_hi;
	struct flowbit_op flowbits[RULE_MAX_FLOWBITS];
	size_t nflowbits;
	bool noalert;
	enum thr_type thr;
	enum thr_track thr_track;
	uint32_t thr_count, thr_seconds;
	enum thr_type df;          /* detection_filter: THR_NONE or THR_DETECTION_FILTER */
	enum thr_track df_track;
	uint32_t df_count, df_seconds;
	char *app_event;           /* app-layer-event name, e.g. "tls.overflow_heartbeat_message" */
	bool needs_payload;        /* has content/pcre/byte_* /isdataat/dsize */
	/* where it came from */
	char *file;
	unsigned line;
	uint32_t index;            /* position in the set */
};

/* Variable lookup for $NAME in headers: returns the value or NULL. */
typedef const char *(*rule_var_fn)(void *ctx, const char *name);

struct rule_set {
	struct rule **rules;
	size_t n, cap;
	char *flowbit_names[RULESET_MAX_FLOWBIT_NAMES];
	size_t nflowbits;
	/* load report */
	size_t files;
	size_t skipped;            /* malformed rules skipped under lax */
	bool has_pass;             /* some rule has the pass action */
	uint32_t *sid_hash;        /* open addressing over (gid, sid): rule index + 1, 0 = empty */
	size_t sid_hash_cap;       /* a power of two, at least twice n */
	/* prefilter groups: which rules can run on which buffer */
	struct rule_group {
		void *ac;              /* struct ac * over the group's fast patterns */
		uint32_t *nofp;        /* rules of the group without a fast pattern (always candidates) */
		size_t nnofp;
	} grp[4];
	int64_t load_us;
};

struct rule_parse_cfg {
	rule_var_fn var;
	void *var_ctx;
	bool lax;                  /* skip malformed rules, count them */
	FILE *warn;                /* where lax mode reports each skipped rule (NULL = nowhere) */
};

enum rule_grp {
	RG_TCP_STREAM = 0, /* payload rules on reassembled TCP data */
	RG_TCP_PACKET,     /* TCP rules on single packets (dsize, no_stream, no payload keywords) */
	RG_OTHER_PACKET,   /* UDP, ICMP and other IP packets */
	RG_APP_EVENT,      /* app-layer-event rules */
};
/* Does rule r run on reassembled stream data for TCP flows? */
bool rule_is_stream(const struct rule *r);

struct rule_set *rule_set_new(void);
void rule_set_free(struct rule_set *rs);
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
/* Build the prefilter over the parsed rules; call once when parsing is done. */
int rule_set_compile(struct rule_set *rs, char *errbuf, size_t errlen);

/* Severity from the rule's priority, else its classtype's default (Suricata's classification.config). */
uint8_t rule_severity(const struct rule *r);

/* Address/port matching (used by the matcher). */
bool addr_set_match(const struct addr_set *s, int family, const uint8_t *addr);
bool port_set_match(const struct port_set *s, uint16_t port);

#endif
