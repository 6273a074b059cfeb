/* rules.c - parser for Suricata/Snort-style rules (Suricata 5+ rule format as ET Open publishes it;
 * the keywords in README "Signatures"): header with variables, lists, ranges and negation; buffer
 * lists with sticky buffers, legacy content modifiers and transforms; payload, header, flow,
 * flowbits/xbits, threshold, transaction attribute and app-layer-event options. Every error names
 * file:line and the option. Spec: Suricata's user guide, doc/userguide/rules/ (intro.rst,
 * payload-keywords.rst, http-keywords.rst, transforms.rst, header-keywords.rst, flow-keywords.rst,
 * thresholding.rst, xbits.rst). */
#include "config.h"

#include "rules.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "detect.h"
#include "util/util.h"

#define MAX_VAR_DEPTH 8     /* $VAR expansions nested */
#define MAX_LIST_ITEMS 4096 /* items in one address or port list */
#define MAX_CLASSES 1024

const char *rule_strerror(int err)
{
	switch (err) {
	case RULE_OK: return "success";
	case RULE_ERR_SYNTAX: return "malformed rule";
	case RULE_ERR_IO: return "rule file could not be read";
	case RULE_ERR_LIMIT: return "rule set limit exceeded";
	default: return "unknown rule error";
	}
}

/* ---------------------------------------------------------------- classtypes */

/* Suricata's classification.config: name, description and default priority (used when the rule
 * directory has no classification.config of its own). */
static const struct {
	const char *name, *desc;
	uint8_t prio;
} builtin_classes[] = {
	{"not-suspicious", "Not Suspicious Traffic", 3}, {"unknown", "Unknown Traffic", 3},
	{"bad-unknown", "Potentially Bad Traffic", 2}, {"attempted-recon", "Attempted Information Leak", 2},
	{"successful-recon-limited", "Information Leak", 2},
	{"successful-recon-largescale", "Large Scale Information Leak", 2},
	{"attempted-dos", "Attempted Denial of Service", 2}, {"successful-dos", "Denial of Service", 2},
	{"attempted-user", "Attempted User Privilege Gain", 1},
	{"unsuccessful-user", "Unsuccessful User Privilege Gain", 1},
	{"successful-user", "Successful User Privilege Gain", 1},
	{"attempted-admin", "Attempted Administrator Privilege Gain", 1},
	{"successful-admin", "Successful Administrator Privilege Gain", 1},
	{"rpc-portmap-decode", "Decode of an RPC Query", 2}, {"shellcode-detect", "Executable code was detected", 1},
	{"string-detect", "A suspicious string was detected", 3},
	{"suspicious-filename-detect", "A suspicious filename was detected", 2},
	{"suspicious-login", "An attempted login using a suspicious username was detected", 2},
	{"system-call-detect", "A system call was detected", 2}, {"tcp-connection", "A TCP connection was detected", 4},
	{"trojan-activity", "A Network Trojan was detected", 1},
	{"unusual-client-port-connection", "A client was using an unusual port", 2},
	{"network-scan", "Detection of a Network Scan", 3}, {"denial-of-service", "Detection of a Denial of Service Attack", 2},
	{"non-standard-protocol", "Detection of a non-standard protocol or event", 2},
	{"protocol-command-decode", "Generic Protocol Command Decode", 3},
	{"web-application-activity", "access to a potentially vulnerable web application", 2},
	{"web-application-attack", "Web Application Attack", 1}, {"misc-activity", "Misc activity", 3},
	{"misc-attack", "Misc Attack", 2}, {"icmp-event", "Generic ICMP event", 3},
	{"inappropriate-content", "Inappropriate Content was Detected", 1},
	{"policy-violation", "Potential Corporate Privacy Violation", 1},
	{"default-login-attempt", "Attempt to login by a default username and password", 2},
	{"targeted-activity", "Targeted Malicious Activity was Detected", 1},
	{"exploit-kit", "Exploit Kit Activity Detected", 1}, {"external-ip-check", "Device Retrieving External IP Address Detected", 2},
	{"domain-c2", "Domain Observed Used for C2 Detected", 1}, {"pup-activity", "Possibly Unwanted Program Detected", 2},
	{"credential-theft", "Successful Credential Theft Detected", 1},
	{"social-engineering", "Possible Social Engineering Attempted", 2},
	{"coin-mining", "Crypto Currency Mining Activity Detected", 2},
	{"command-and-control", "Malware Command and Control Activity Detected", 1},
	{"sdf", "Senstive Data was Transmitted Across the Network", 2}, {"file-format", "Known malicious file or file based exploit", 1},
	{"malware-cnc", "Known malware command and control traffic", 1}, {"client-side-exploit", "Known client side exploit attempt", 1},
};

static const struct classtype *class_find(const struct rule_set *rs, const char *name)
{
	for (size_t i = 0; i < rs->nclasses; i++)
		if (!strcmp(rs->classes[i].name, name))
			return &rs->classes[i];
	return NULL;
}

uint8_t rule_severity(const struct rule_set *rs, const struct rule *r)
{
	if (r->priority)
		return r->priority;
	const struct classtype *c = r->classtype && rs ? class_find(rs, r->classtype) : NULL;
	return c ? c->prio : 3;
}

static void classes_free(struct rule_set *rs)
{
	for (size_t i = 0; i < rs->nclasses; i++) {
		free(rs->classes[i].name);
		free(rs->classes[i].desc);
	}
	free(rs->classes);
	rs->classes = NULL;
	rs->nclasses = 0;
}

static void classes_builtin(struct rule_set *rs)
{
	rs->classes = kg_calloc(KG_ARRAY_LEN(builtin_classes), sizeof(*rs->classes), "classtypes");
	for (size_t i = 0; i < KG_ARRAY_LEN(builtin_classes); i++) {
		rs->classes[i].name = kg_strdup(builtin_classes[i].name, "classtype");
		rs->classes[i].desc = kg_strdup(builtin_classes[i].desc, "classtype");
		rs->classes[i].prio = builtin_classes[i].prio;
	}
	rs->nclasses = KG_ARRAY_LEN(builtin_classes);
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = '\0';
	return s;
}

/* Strict integer in [lo, hi]; accepts 0x hex. */
static bool parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	if (!s || !*s)
		return false;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 0);
	if (errno || end == s)
		return false;
	while (*end == ' ' || *end == '\t')
		end++;
	if (*end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

int rule_set_classes(struct rule_set *rs, const char *path, char *errbuf, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	if (!fp) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		return RULE_ERR_IO;
	}
	struct classtype *cls = kg_calloc(MAX_CLASSES, sizeof(*cls), "classtypes");
	size_t n = 0;
	char line[1024];
	unsigned ln = 0;
	int rc = RULE_OK;
	while (fgets(line, sizeof(line), fp)) {
		ln++;
		char *s = trim(line);
		if (!*s || *s == '#')
			continue;
		static const char pfx[] = "config classification:";
		if (strncmp(s, pfx, sizeof(pfx) - 1) != 0) {
			snprintf(errbuf, errlen, "%s:%u: expected 'config classification: name,description,priority'", path, ln);
			rc = RULE_ERR_SYNTAX;
			break;
		}
		char *f = s + sizeof(pfx) - 1;
		char *c1 = strchr(f, ','), *c2 = c1 ? strrchr(c1 + 1, ',') : NULL;
		int64_t prio;
		if (!c1 || !c2) {
			snprintf(errbuf, errlen, "%s:%u: expected 'name,description,priority'", path, ln);
			rc = RULE_ERR_SYNTAX;
			break;
		}
		*c1 = *c2 = '\0';
		char *name = trim(f), *desc = trim(c1 + 1);
		if (!*name || !parse_int(trim(c2 + 1), 1, 255, &prio)) {
			snprintf(errbuf, errlen, "%s:%u: bad name or priority", path, ln);
			rc = RULE_ERR_SYNTAX;
			break;
		}
		if (n == MAX_CLASSES) {
			snprintf(errbuf, errlen, "%s:%u: more than %d classtypes", path, ln, MAX_CLASSES);
			rc = RULE_ERR_LIMIT;
			break;
		}
		size_t k;
		for (k = 0; k < n; k++)
			if (!strcmp(cls[k].name, name))
				break;
		if (k == n) {
			cls[n].name = kg_strdup(name, "classtype");
			n++;
		} else {
			free(cls[k].desc);
		}
		cls[k].desc = kg_strdup(desc, "classtype");
		cls[k].prio = (uint8_t)prio;
	}
	fclose(fp);
	if (rc) {
		for (size_t i = 0; i < n; i++) {
			free(cls[i].name);
			free(cls[i].desc);
		}
		free(cls);
		return rc;
	}
	classes_free(rs);
	rs->classes = cls;
	rs->nclasses = n;
	free(rs->class_file);
	rs->class_file = kg_strdup(path, "classification file");
	return RULE_OK;
}

/* ---------------------------------------------------------------- header protocols */

/* App protocols a rule header may name (Suricata's names), with the transports they run on:
 * 1 = TCP, 2 = UDP. A rule naming one runs on flows whose app_name the app layer set to it. */
static const struct {
	const char *name;
	uint8_t transports;
} apps[] = {
	{"", 0}, {"http", 1}, {"tls", 1}, {"smb", 1}, {"dns", 3}, {"smtp", 1}, {"ftp", 1}, {"ftp-data", 1},
	{"ssh", 1}, {"imap", 1}, {"pop3", 1}, {"dcerpc", 3}, {"krb5", 3}, {"snmp", 2}, {"ntp", 2}, {"sip", 3},
	{"nfs", 3}, {"dhcp", 2}, {"rdp", 1}, {"tftp", 2}, {"modbus", 1}, {"dnp3", 1}, {"enip", 3}, {"ikev2", 2},
	{"http2", 1}, {"mqtt", 1}, {"rfb", 1}, {"telnet", 1}, {"irc", 1}, {"bittorrent-dht", 2}, {"quic", 2},
};

uint16_t rule_app_index(const char *name)
{
	if (!name || !*name)
		return 0;
	for (size_t i = 1; i < KG_ARRAY_LEN(apps); i++)
		if (!strcmp(apps[i].name, name))
			return (uint16_t)i;
	return 0;
}

const char *rule_app_name(uint16_t ix) { return ix < KG_ARRAY_LEN(apps) ? apps[ix].name : ""; }
size_t rule_app_count(void) { return KG_ARRAY_LEN(apps); }

/* "1.2.3.4" or an IPv6 text address; 0 on success. */
static int inet_pton_any(const char *s, uint8_t *family, uint8_t *addr)
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = 6;
		return 0;
	}
	return -1;
}

/* ---------------------------------------------------------------- parse context */

struct pctx {
	struct rule_set *rs;
	const struct rule_parse_cfg *cfg;
	const char *file;
	unsigned line;
	char *errbuf;
	size_t errlen;
	char varnames[RULE_MAX_VARS][32];
	struct rule_op ops[RULE_MAX_OPS];
	size_t nops;
	/* sticky buffer state: the buffer named last (IB_NONE = payload) and its transforms */
	uint16_t cur_ib;
	struct xchain chain;       /* transforms given after the sticky buffer, not interned yet */
	int cur_list;              /* list the next option goes to; -1 = not decided yet */
	bool any_sticky;
};

static int perr(struct pctx *p, const char *opt, const char *fmt, ...) KG_PRINTF(3, 4);
static int perr(struct pctx *p, const char *opt, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (opt)
		snprintf(p->errbuf, p->errlen, "%s:%u: option '%s': %s", p->file, p->line, opt, msg);
	else
		snprintf(p->errbuf, p->errlen, "%s:%u: %s", p->file, p->line, msg);
	return RULE_ERR_SYNTAX;
}

/* A number or a byte_extract variable name defined earlier in the rule. */
static bool parse_rnum(struct pctx *p, const struct rule *r, const char *s, int64_t lo, int64_t hi, struct rnum *out)
{
	out->var = -1;
	if (parse_int(s, lo, hi, &out->v))
		return true;
	for (int i = 0; i < r->nvars; i++)
		if (!strcmp(p->varnames[i], s)) {
			out->var = (int8_t)i;
			out->v = 0;
			return true;
		}
	return false;
}

/* ---------------------------------------------------------------- variables */

static const struct {
	const char *name, *value;
} default_vars[] = {
	{"HOME_NET", "any"}, {"EXTERNAL_NET", "any"}, {"HTTP_SERVERS", "$HOME_NET"}, {"SMTP_SERVERS", "$HOME_NET"},
	{"SQL_SERVERS", "$HOME_NET"}, {"DNS_SERVERS", "$HOME_NET"}, {"TELNET_SERVERS", "$HOME_NET"},
	{"DC_SERVERS", "$HOME_NET"}, {"AIM_SERVERS", "$EXTERNAL_NET"}, {"DNP3_SERVER", "$HOME_NET"},
	{"DNP3_CLIENT", "$HOME_NET"}, {"MODBUS_CLIENT", "$HOME_NET"}, {"MODBUS_SERVER", "$HOME_NET"},
	{"ENIP_CLIENT", "$HOME_NET"}, {"ENIP_SERVER", "$HOME_NET"}, {"HTTP_PORTS", "80"},
	{"SHELLCODE_PORTS", "!80"}, {"ORACLE_PORTS", "1521"}, {"SSH_PORTS", "22"}, {"FTP_PORTS", "21"},
	{"SMB_PORTS", "[139,445]"}, {"DNS_PORTS", "53"}, {"FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]"},
	{"TLS_PORTS", "443"}, {"DNP3_PORTS", "20000"}, {"MODBUS_PORTS", "502"}, {"GENEVE_PORTS", "6081"},
	{"VXLAN_PORTS", "4789"}, {"TEREDO_PORTS", "3544"},
};

static const char *lookup_var(struct pctx *p, const char *name)
{
	if (p->cfg->var) {
		const char *v = p->cfg->var(p->cfg->var_ctx, name);
		if (v)
			return v;
	}
	for (size_t i = 0; i < KG_ARRAY_LEN(default_vars); i++)
		if (!strcmp(default_vars[i].name, name))
			return default_vars[i].value;
	return NULL;
}

/* ---------------------------------------------------------------- range sets */

static int an_cmp(struct addr_num a, struct addr_num b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	return a.lo < b.lo ? -1 : a.lo > b.lo;
}

static struct addr_num an_inc(struct addr_num a)
{
	if (++a.lo == 0)
		a.hi++;
	return a;
}

static struct addr_num an_dec(struct addr_num a)
{
	if (a.lo-- == 0)
		a.hi--;
	return a;
}

struct addr_num addr_num_of(int family, const uint8_t *addr)
{
	struct addr_num n = {0, 0};
	if (family == 4) {
		n.lo = (uint64_t)addr[0] << 24 | (uint64_t)addr[1] << 16 | (uint64_t)addr[2] << 8 | addr[3];
		return n;
	}
	for (int i = 0; i < 8; i++) {
		n.hi = n.hi << 8 | addr[i];
		n.lo = n.lo << 8 | addr[8 + i];
	}
	return n;
}

static const struct addr_range full4 = {{0, 0}, {0, 0xffffffffu}};
static const struct addr_range full6 = {{0, 0}, {UINT64_MAX, UINT64_MAX}};

struct rset {
	struct addr_range *r;
	size_t n, cap;
};

static void rset_add(struct rset *s, struct addr_range a)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->r = kg_realloc(s->r, s->cap * sizeof(*s->r), "address ranges");
	}
	s->r[s->n++] = a;
}

static int range_cmp(const void *a, const void *b)
{
	return an_cmp(((const struct addr_range *)a)->lo, ((const struct addr_range *)b)->lo);
}

/* Sort and merge overlapping or adjacent ranges. */
static void rset_norm(struct rset *s)
{
	if (s->n < 2)
		return;
	qsort(s->r, s->n, sizeof(*s->r), range_cmp);
	size_t o = 0;
	for (size_t i = 1; i < s->n; i++) {
		struct addr_range *cur = &s->r[o];
		bool adjacent = !(cur->hi.hi == UINT64_MAX && cur->hi.lo == UINT64_MAX) &&
				an_cmp(an_inc(cur->hi), s->r[i].lo) >= 0;
		if (an_cmp(s->r[i].lo, cur->hi) <= 0 || adjacent) {
			if (an_cmp(s->r[i].hi, cur->hi) > 0)
				cur->hi = s->r[i].hi;
		} else {
			s->r[++o] = s->r[i];
		}
	}
	s->n = o + 1;
}

/* a minus b, both normalised; the result replaces a. */
static void rset_sub(struct rset *a, const struct rset *b)
{
	struct rset out = {0};
	size_t j = 0;
	for (size_t i = 0; i < a->n; i++) {
		struct addr_num lo = a->r[i].lo, hi = a->r[i].hi;
		bool open = true;
		while (j < b->n && an_cmp(b->r[j].hi, lo) < 0)
			j++;
		for (size_t k = j; k < b->n && an_cmp(b->r[k].lo, hi) <= 0; k++) {
			if (an_cmp(b->r[k].lo, lo) > 0)
				rset_add(&out, (struct addr_range){lo, an_dec(b->r[k].lo)});
			if (an_cmp(b->r[k].hi, hi) >= 0) {
				open = false;
				break;
			}
			lo = an_inc(b->r[k].hi);
		}
		if (open)
			rset_add(&out, (struct addr_range){lo, hi});
	}
	free(a->r);
	*a = out;
}

static bool rset_search(const struct addr_range *r, size_t n, struct addr_num x)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (an_cmp(r[mid].hi, x) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && an_cmp(r[lo].lo, x) <= 0;
}

/* ---------------------------------------------------------------- addresses */

static void addr_set_free(struct addr_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		addr_set_free(s->items[i].set);
	free(s->items);
	free(s->r4);
	free(s->r6);
	free(s);
}

static void port_set_free(struct port_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		port_set_free(s->items[i].set);
	free(s->items);
	free(s->r);
	free(s);
}

static struct addr_range leaf_range(const struct addr_item *it)
{
	struct addr_num a = addr_num_of(it->family, it->addr);
	struct addr_range r;
	if (it->family == 4) {
		uint64_t mask = it->prefix ? (0xffffffffu << (32 - it->prefix)) & 0xffffffffu : 0;
		r.lo = (struct addr_num){0, a.lo & mask};
		r.hi = (struct addr_num){0, (a.lo & mask) | (~mask & 0xffffffffu)};
		return r;
	}
	unsigned p = it->prefix;
	uint64_t mh = p >= 64 ? UINT64_MAX : p ? UINT64_MAX << (64 - p) : 0;
	uint64_t ml = p <= 64 ? 0 : p >= 128 ? UINT64_MAX : UINT64_MAX << (128 - p);
	r.lo = (struct addr_num){a.hi & mh, a.lo & ml};
	r.hi = (struct addr_num){(a.hi & mh) | ~mh, (a.lo & ml) | ~ml};
	return r;
}

/* Compute s's ranges from its items (nested sets are flattened already) and free the items:
 * (the positive items, or everything when there is none) minus the negated items. */
static void addr_flatten(struct addr_set *s)
{
	struct rset pos[2] = {{0}}, neg[2] = {{0}};
	bool haspos = s->any;
	if (s->any) {
		rset_add(&pos[0], full4);
		rset_add(&pos[1], full6);
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct addr_item *it = &s->items[i];
		struct rset *t = it->neg ? neg : pos;
		if (!it->neg)
			haspos = true;
		if (!it->is_set) {
			rset_add(&t[it->family == 6], leaf_range(it));
			continue;
		}
		for (uint32_t k = 0; k < it->set->n4; k++)
			rset_add(&t[0], it->set->r4[k]);
		for (uint32_t k = 0; k < it->set->n6; k++)
			rset_add(&t[1], it->set->r6[k]);
	}
	if (!haspos) {
		rset_add(&pos[0], full4);
		rset_add(&pos[1], full6);
	}
	for (int f = 0; f < 2; f++) {
		rset_norm(&pos[f]);
		rset_norm(&neg[f]);
		rset_sub(&pos[f], &neg[f]);
		free(neg[f].r);
	}
	for (size_t i = 0; i < s->n; i++)
		addr_set_free(s->items[i].set);
	free(s->items);
	s->items = NULL;
	s->n = 0;
	s->r4 = pos[0].r;
	s->n4 = (uint32_t)pos[0].n;
	s->r6 = pos[1].r;
	s->n6 = (uint32_t)pos[1].n;
	s->all4 = s->n4 == 1 && !memcmp(&s->r4[0], &full4, sizeof(full4));
	s->all6 = s->n6 == 1 && !memcmp(&s->r6[0], &full6, sizeof(full6));
	s->any = s->all4 && s->all6;
}

/* Split a list body "a,[b,c],d" at top-level commas; calls fn on each trimmed element. */
typedef int (*elem_fn)(struct pctx *p, void *set, const char *elem, int depth, const char *what);

static int split_list(struct pctx *p, void *set, const char *body, int depth, const char *what, elem_fn fn)
{
	size_t n = strlen(body);
	char *buf = kg_malloc(n + 1, "rule list");
	int lvl = 0;
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		char c = i < n ? body[i] : ',';
		if (c == '[')
			lvl++;
		else if (c == ']')
			lvl--;
		if (lvl < 0) {
			free(buf);
			return perr(p, NULL, "%s: unbalanced ']' in '%s'", what, body);
		}
		if (c == ',' && lvl == 0) {
			memcpy(buf, body + start, i - start);
			buf[i - start] = '\0';
			char *e = trim(buf);
			if (!*e) {
				free(buf);
				return perr(p, NULL, "%s: empty element in list '%s'", what, body);
			}
			int rc = fn(p, set, e, depth, what);
			if (rc) {
				free(buf);
				return rc;
			}
			start = i + 1;
		}
	}
	free(buf);
	if (lvl != 0)
		return perr(p, NULL, "%s: unbalanced '[' in '%s'", what, body);
	return RULE_OK;
}

static int addr_elem(struct pctx *p, void *vset, const char *e, int depth, const char *what);

/* What an address or a port set needs of expr_prefix(): its size, how a nested set is freed
 * and flattened, and the parser of one element. */
struct set_ops {
	size_t size;
	const char *alloc_what;
	elem_fn elem;
	void (*free)(void *set);
	void (*flatten)(void *set);
};

enum expr_kind { EXPR_ANY, EXPR_SET, EXPR_ELEM };

/* The part of an address or port expression that both share: the nesting and list caps, the
 * '!' prefixes (folded into *neg), 'any', and a $variable or [list] parsed into a nested set.
 * RULE_OK with *kind: EXPR_ANY (the expression is any), EXPR_SET (*sub: the nested set,
 * flattened, the caller's to keep), or EXPR_ELEM (*e: the one element left to parse). */
static int expr_prefix(struct pctx *p, size_t items, const char **e, int depth, const char *what, bool *neg,
		       const struct set_ops *ops, enum expr_kind *kind, void **sub)
{
	if (depth > MAX_VAR_DEPTH)
		return perr(p, NULL, "%s: variables or lists nested deeper than %d", what, MAX_VAR_DEPTH);
	if (items >= MAX_LIST_ITEMS)
		return perr(p, NULL, "%s: more than %d list items", what, MAX_LIST_ITEMS);
	while (**e == '!') {
		*neg = !*neg;
		(*e)++;
	}
	*kind = EXPR_ELEM;
	if (!strcmp(*e, "any")) {
		if (*neg)
			return perr(p, NULL, "%s: '!any' matches nothing", what);
		*kind = EXPR_ANY;
		return RULE_OK;
	}
	if (**e != '$' && **e != '[')
		return RULE_OK;
	const char *body = *e;
	if (**e == '$') {
		body = lookup_var(p, *e + 1);
		if (!body)
			return perr(p, NULL, "%s: undefined variable '%s' (set it with --var or in the configuration)", what,
				    *e);
	}
	void *set = kg_calloc(1, ops->size, ops->alloc_what);
	int rc;
	size_t bl = strlen(body);
	if (body[0] == '[' && bl >= 2 && body[bl - 1] == ']') {
		char *tmp = kg_strdup(body + 1, "rule list");
		tmp[bl - 2] = '\0';
		rc = split_list(p, set, tmp, depth + 1, what, ops->elem);
		free(tmp);
	} else if (body[0] == '[') {
		rc = perr(p, NULL, "%s: unbalanced '[' in '%s'", what, body);
	} else {
		rc = ops->elem(p, set, body, depth + 1, what);
	}
	if (rc) {
		ops->free(set);
		return rc;
	}
	ops->flatten(set);
	*kind = EXPR_SET;
	*sub = set;
	return RULE_OK;
}

static void addr_set_free_v(void *s) { addr_set_free(s); }
static void addr_flatten_v(void *s) { addr_flatten(s); }
static const struct set_ops addr_ops = {sizeof(struct addr_set), "rule addresses", addr_elem, addr_set_free_v,
					addr_flatten_v};

/* Parse an address expression into set (appending one item). */
static int addr_parse_into(struct pctx *p, struct addr_set *set, const char *e, int depth, const char *what, bool neg)
{
	enum expr_kind kind;
	void *sub = NULL;
	int rc = expr_prefix(p, set->n, &e, depth, what, &neg, &addr_ops, &kind, &sub);
	if (rc)
		return rc;
	if (kind == EXPR_ANY) {
		set->any = true;
		return RULE_OK;
	}
	if (kind == EXPR_SET) {
		set->items = kg_realloc(set->items, (set->n + 1) * sizeof(*set->items), "rule addresses");
		set->items[set->n++] = (struct addr_item){.neg = neg, .is_set = true, .set = sub};
		return RULE_OK;
	}
	char buf[64];
	if (strlen(e) >= sizeof(buf))
		return perr(p, NULL, "%s: bad address '%s'", what, e);
	strcpy(buf, e);
	char *slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	struct addr_item it = {.neg = neg};
	if (inet_pton_any(buf, &it.family, it.addr) != 0)
		return perr(p, NULL, "%s: bad address '%s'", what, e);
	int maxp = it.family == 4 ? 32 : 128;
	int64_t pre = maxp;
	if (slash) {
		if (strchr(slash, '.')) {
			/* dotted netmask */
			uint8_t fam, m[16];
			if (inet_pton_any(slash, &fam, m) != 0 || fam != 4)
				return perr(p, NULL, "%s: bad netmask in '%s'", what, e);
			uint32_t mv = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
			pre = 0;
			while (pre < 32 && (mv & (0x80000000u >> pre)))
				pre++;
		} else if (!parse_int(slash, 0, maxp, &pre)) {
			return perr(p, NULL, "%s: bad prefix length in '%s'", what, e);
		}
	}
	it.prefix = (uint8_t)pre;
	set->items = kg_realloc(set->items, (set->n + 1) * sizeof(*set->items), "rule addresses");
	set->items[set->n++] = it;
	return RULE_OK;
}

static int addr_elem(struct pctx *p, void *vset, const char *e, int depth, const char *what)
{
	return addr_parse_into(p, vset, e, depth, what, false);
}

static int parse_addr(struct pctx *p, const char *s, struct addr_set **out, const char *what)
{
	struct addr_set *set = kg_calloc(1, sizeof(*set), "rule addresses");
	int rc = addr_parse_into(p, set, s, 0, what, false);
	if (rc) {
		addr_set_free(set);
		return rc;
	}
	addr_flatten(set);
	*out = set;
	return RULE_OK;
}

bool addr_set_match(const struct addr_set *s, int family, const uint8_t *addr)
{
	if (family == 4)
		return s->all4 || rset_search(s->r4, s->n4, addr_num_of(4, addr));
	if (family == 6)
		return s->all6 || rset_search(s->r6, s->n6, addr_num_of(6, addr));
	return false;
}

/* ---------------------------------------------------------------- ports */

static int port_elem(struct pctx *p, void *vset, const char *e, int depth, const char *what);

/* Flatten like addr_flatten (ports as numbers of one family). */
static void port_flatten(struct port_set *s)
{
	static const struct addr_range fullp = {{0, 0}, {0, 65535}};
	struct rset pos = {0}, neg = {0};
	bool haspos = s->any;
	if (s->any)
		rset_add(&pos, fullp);
	for (size_t i = 0; i < s->n; i++) {
		const struct port_item *it = &s->items[i];
		struct rset *t = it->neg ? &neg : &pos;
		if (!it->neg)
			haspos = true;
		if (!it->is_set) {
			rset_add(t, (struct addr_range){{0, it->lo}, {0, it->hi}});
			continue;
		}
		for (uint32_t k = 0; k < it->set->nr; k++)
			rset_add(t, (struct addr_range){{0, it->set->r[k].lo}, {0, it->set->r[k].hi}});
	}
	if (!haspos)
		rset_add(&pos, fullp);
	rset_norm(&pos);
	rset_norm(&neg);
	rset_sub(&pos, &neg);
	free(neg.r);
	for (size_t i = 0; i < s->n; i++)
		port_set_free(s->items[i].set);
	free(s->items);
	s->items = NULL;
	s->n = 0;
	s->r = pos.n ? kg_malloc(pos.n * sizeof(*s->r), "port ranges") : NULL;
	for (size_t i = 0; i < pos.n; i++) {
		s->r[i].lo = (uint16_t)pos.r[i].lo.lo;
		s->r[i].hi = (uint16_t)pos.r[i].hi.lo;
	}
	s->nr = (uint32_t)pos.n;
	free(pos.r);
	s->all = s->nr == 1 && s->r[0].lo == 0 && s->r[0].hi == 65535;
	s->any = s->all;
}

static void port_set_free_v(void *s) { port_set_free(s); }
static void port_flatten_v(void *s) { port_flatten(s); }
static const struct set_ops port_ops = {sizeof(struct port_set), "rule ports", port_elem, port_set_free_v,
					port_flatten_v};

static int port_parse_into(struct pctx *p, struct port_set *set, const char *e, int depth, const char *what, bool neg)
{
	enum expr_kind kind;
	void *sub = NULL;
	int rc = expr_prefix(p, set->n, &e, depth, what, &neg, &port_ops, &kind, &sub);
	if (rc)
		return rc;
	if (kind == EXPR_ANY) {
		set->any = true;
		return RULE_OK;
	}
	if (kind == EXPR_SET) {
		set->items = kg_realloc(set->items, (set->n + 1) * sizeof(*set->items), "rule ports");
		set->items[set->n++] = (struct port_item){.neg = neg, .is_set = true, .set = sub};
		return RULE_OK;
	}
	struct port_item it = {.neg = neg, .lo = 0, .hi = 65535};
	const char *colon = strchr(e, ':');
	int64_t lo = 0, hi = 65535;
	if (colon) {
		char a[16], b[16];
		size_t la = (size_t)(colon - e), lb = strlen(colon + 1);
		if (la >= sizeof(a) || lb >= sizeof(b))
			return perr(p, NULL, "%s: bad port range '%s'", what, e);
		memcpy(a, e, la);
		a[la] = '\0';
		memcpy(b, colon + 1, lb + 1);
		if ((la && !parse_int(a, 0, 65535, &lo)) || (lb && !parse_int(b, 0, 65535, &hi)) || lo > hi ||
		    (!la && !lb))
			return perr(p, NULL, "%s: bad port range '%s'", what, e);
	} else {
		if (!parse_int(e, 0, 65535, &lo))
			return perr(p, NULL, "%s: bad port '%s'", what, e);
		hi = lo;
	}
	it.lo = (uint16_t)lo;
	it.hi = (uint16_t)hi;
	set->items = kg_realloc(set->items, (set->n + 1) * sizeof(*set->items), "rule ports");
	set->items[set->n++] = it;
	return RULE_OK;
}

static int port_elem(struct pctx *p, void *vset, const char *e, int depth, const char *what)
{
	return port_parse_into(p, vset, e, depth, what, false);
}

static int parse_ports(struct pctx *p, const char *s, struct port_set **out, const char *what)
{
	struct port_set *set = kg_calloc(1, sizeof(*set), "rule ports");
	int rc = port_parse_into(p, set, s, 0, what, false);
	if (rc) {
		port_set_free(set);
		return rc;
	}
	port_flatten(set);
	*out = set;
	return RULE_OK;
}

bool port_set_match(const struct port_set *s, uint16_t port)
{
	if (s->all)
		return true;
	size_t lo = 0, hi = s->nr;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->r[mid].hi < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->nr && s->r[lo].lo <= port;
}

/* ---------------------------------------------------------------- rule free */

static void rule_free(struct rule *r)
{
	if (!r)
		return;
	addr_set_free(r->src);
	addr_set_free(r->dst);
	port_set_free(r->sport);
	port_set_free(r->dport);
	for (size_t i = 0; i < r->nops; i++) {
		if (r->ops[i].kind == OP_CONTENT)
			free(r->ops[i].u.content.pat);
		else if (r->ops[i].kind == OP_PCRE)
			pcre2_code_free(r->ops[i].u.pcre.code);
	}
	free(r->ops);
	free(r->msg);
	free(r->classtype);
	free(r->app_event);
	free(r->file);
	free(r);
}

/* Free the ops parsed into p for a rule that failed. */
static void pctx_ops_free(struct pctx *p)
{
	for (size_t i = 0; i < p->nops; i++) {
		if (p->ops[i].kind == OP_CONTENT)
			free(p->ops[i].u.content.pat);
		else if (p->ops[i].kind == OP_PCRE)
			pcre2_code_free(p->ops[i].u.pcre.code);
	}
	p->nops = 0;
	for (int i = 0; i < p->chain.n; i++)
		if (p->chain.x[i].code)
			pcre2_code_free(p->chain.x[i].code);
	p->chain.n = 0;
}

struct rule_set *rule_set_new(void)
{
	struct rule_set *rs = kg_calloc(1, sizeof(struct rule_set), "rule set");
	rs->chains = kg_calloc(1, sizeof(*rs->chains), "transform chains");
	rs->chains[0].text = kg_strdup("", "transform chain");
	rs->nchains = 1;
	rs->kinds[0] = (struct bkind){IB_NONE, 0};
	rs->nkinds = 1;
	classes_builtin(rs);
	return rs;
}

void rule_set_free(struct rule_set *rs)
{
	if (!rs)
		return;
	detect_free(rs->det);
	for (size_t i = 0; i < rs->n; i++)
		rule_free(rs->rules[i]);
	free(rs->rules);
	for (size_t i = 0; i < rs->nflowbits; i++)
		free(rs->flowbit_names[i]);
	for (size_t i = 0; i < rs->nchains; i++) {
		for (int k = 0; k < rs->chains[i].n; k++)
			if (rs->chains[i].x[k].code)
				pcre2_code_free(rs->chains[i].x[k].code);
		free(rs->chains[i].text);
	}
	free(rs->chains);
	classes_free(rs);
	free(rs->class_file);
	free(rs->sid_hash);
	free(rs);
}

/* ---------------------------------------------------------------- option values */

/* Unquote "..." (backslash escapes \" \\ \; \:). raw (pcre): only \" and \; lose their
 * backslash, every other escape is kept for the regex compiler. */
static int unquote_mode(struct pctx *p, const char *opt, const char *v, char *out, size_t outlen, bool raw)
{
	size_t n = strlen(v);
	if (n < 2 || v[0] != '"' || v[n - 1] != '"')
		return perr(p, opt, "value must be a quoted string");
	size_t o = 0;
	for (size_t i = 1; i + 1 < n; i++) {
		char c = v[i];
		if (c == '\\') {
			if (i + 2 >= n)
				return perr(p, opt, "dangling backslash");
			c = v[++i];
			if (raw && c != '"' && c != ';') {
				if (o + 2 >= outlen)
					return perr(p, opt, "string too long");
				out[o++] = '\\';
			} else if (!raw && c != '"' && c != '\\' && c != ';' && c != ':') {
				if (strcmp(opt, "msg") != 0)
					return perr(p, opt, "unknown escape '\\%c'", c);
				/* msg is only displayed: keep other escapes as written (Suricata does) */
				if (o + 2 >= outlen)
					return perr(p, opt, "string too long");
				out[o++] = '\\';
			}
		} else if (c == '"' && !raw) {
			return perr(p, opt, "unescaped '\"' inside the string");
		}
		if (o + 1 >= outlen)
			return perr(p, opt, "string too long");
		out[o++] = c;
	}
	out[o] = '\0';
	return RULE_OK;
}

static int unquote(struct pctx *p, const char *opt, const char *v, char *out, size_t outlen)
{
	return unquote_mode(p, opt, v, out, outlen, false);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* content:"abc|0d 0a|def" -> bytes. */
static int parse_content(struct pctx *p, const char *opt, const char *raw, uint8_t **pat, size_t *plen, bool *neg)
{
	while (*raw == ' ')
		raw++;
	*neg = false;
	if (*raw == '!') {
		*neg = true;
		raw++;
		while (*raw == ' ')
			raw++;
	}
	size_t n = strlen(raw);
	char *s = kg_malloc(n + 1, "rule content");
	int rc = unquote(p, opt, raw, s, n + 1);
	if (rc) {
		free(s);
		return rc;
	}
	uint8_t *out = kg_malloc(strlen(s) + 1, "rule content");
	size_t o = 0;
	bool hex = false;
	int nib = -1;
	for (const char *c = s; *c; c++) {
		if (*c == '|') {
			if (hex && nib >= 0) {
				free(s);
				free(out);
				return perr(p, opt, "odd number of hex digits");
			}
			hex = !hex;
			continue;
		}
		if (hex) {
			if (*c == ' ')
				continue;
			int h = hexval((unsigned char)*c);
			if (h < 0) {
				char bc = *c;
				free(s);
				free(out);
				return perr(p, opt, "bad hex digit '%c'", bc);
			}
			if (nib < 0) {
				nib = h;
			} else {
				out[o++] = (uint8_t)(nib << 4 | h);
				nib = -1;
			}
		} else {
			out[o++] = (uint8_t)*c;
		}
	}
	free(s);
	if (hex) {
		free(out);
		return perr(p, opt, "unterminated |hex| block");
	}
	if (o == 0) {
		free(out);
		return perr(p, opt, "empty pattern");
	}
	if (o > RULE_MAX_PATTERN) {
		free(out);
		return perr(p, opt, "pattern longer than %d bytes", RULE_MAX_PATTERN);
	}
	*pat = out;
	*plen = o;
	return RULE_OK;
}

/* Split "a, b ,c" in place into up to max trimmed fields; returns the count or -1. */
static int split_fields(char *s, char **f, int max)
{
	int n = 0;
	char *c = s;
	for (;;) {
		char *comma = strchr(c, ',');
		if (comma)
			*comma = '\0';
		if (n == max)
			return -1;
		f[n++] = trim(c);
		if (!comma)
			break;
		c = comma + 1;
	}
	return n;
}

/* ---------------------------------------------------------------- buffer lists */

/* Index of the (interned) transform chain ch: equal chains share one entry. Takes ownership of
 * the compiled pcrexform codes in ch. */
static int intern_chain(struct pctx *p, struct xchain *ch)
{
	if (!ch->n)
		return 0;
	char text[512];
	size_t o = 0;
	for (int i = 0; i < ch->n; i++) {
		const struct xform *x = &ch->x[i];
		int w = snprintf(text + o, sizeof(text) - o, "%u:", x->kind);
		if (w < 0 || (size_t)w >= sizeof(text) - o)
			break;
		o += (size_t)w;
		for (int k = 0; k < x->keylen && o + 3 < sizeof(text); k++) {
			snprintf(text + o, sizeof(text) - o, "%02x", x->key[k]);
			o += 2;
		}
		if (o + 2 < sizeof(text))
			text[o++] = ';';
		text[o] = '\0';
	}
	struct rule_set *rs = p->rs;
	for (size_t i = 1; i < rs->nchains; i++)
		if (!strcmp(rs->chains[i].text, text)) {
			for (int k = 0; k < ch->n; k++)
				if (ch->x[k].code)
					pcre2_code_free(ch->x[k].code);
			ch->n = 0;
			return (int)i;
		}
	if (rs->nchains >= RULESET_MAX_KINDS)
		return -1;
	rs->chains = kg_realloc(rs->chains, (rs->nchains + 1) * sizeof(*rs->chains), "transform chains");
	rs->chains[rs->nchains] = *ch;
	rs->chains[rs->nchains].text = kg_strdup(text, "transform chain");
	ch->n = 0;
	return (int)rs->nchains++;
}

static int intern_kind(struct pctx *p, uint16_t ib, int chain)
{
	struct rule_set *rs = p->rs;
	for (size_t i = 0; i < rs->nkinds; i++)
		if (rs->kinds[i].ib == ib && rs->kinds[i].chain == chain)
			return (int)i;
	if (rs->nkinds >= RULESET_MAX_KINDS)
		return -1;
	rs->kinds[rs->nkinds] = (struct bkind){ib, (uint16_t)chain};
	return (int)rs->nkinds++;
}

/* The list of kind k in r, created when missing; -1 when the rule has too many. */
static int list_of_kind(struct rule *r, int k)
{
	for (int i = 0; i < r->nlists; i++)
		if (r->lists[i].kind == k)
			return i;
	if (r->nlists >= RULE_MAX_LISTS)
		return -1;
	r->lists[r->nlists].kind = (uint16_t)k;
	return r->nlists++;
}

/* The list the next detection option of r goes to (the sticky buffer named last, under its
 * transforms, or the payload). */
static int cur_list(struct pctx *p, struct rule *r, const char *opt)
{
	if (p->cur_list >= 0)
		return p->cur_list;
	int chain = intern_chain(p, &p->chain);
	int k = chain < 0 ? -1 : intern_kind(p, p->cur_ib, chain);
	if (k < 0)
		return perr(p, opt, "more than %d distinct buffer and transform combinations in the rule set",
			    RULESET_MAX_KINDS), -1;
	int l = list_of_kind(r, k);
	if (l < 0)
		return perr(p, opt, "more than %d buffers in one rule", RULE_MAX_LISTS), -1;
	p->cur_list = l;
	return l;
}

static struct rule_op *last_content(struct pctx *p)
{
	for (size_t i = p->nops; i > 0; i--)
		if (p->ops[i - 1].kind == OP_CONTENT)
			return &p->ops[i - 1];
	return NULL;
}

static struct rule_op *new_op(struct pctx *p, struct rule *r, const char *opt, enum op_kind k)
{
	if (p->nops >= RULE_MAX_OPS) {
		perr(p, opt, "more than %d detection options", RULE_MAX_OPS);
		return NULL;
	}
	int l = cur_list(p, r, opt);
	if (l < 0)
		return NULL;
	struct rule_op *op = &p->ops[p->nops++];
	memset(op, 0, sizeof(*op));
	op->kind = k;
	op->list = (uint8_t)l;
	return op;
}

/* Legacy HTTP content modifiers (http_uri, ...): they move the content before them into their
 * buffer. Every other legacy name (file_data, dns_query, tls_sni, http_content_type, ...) is a
 * sticky buffer, as in Suricata 5. */
static bool is_legacy_modifier(const char *name)
{
	static const char *const mods[] = {
		"http_uri", "http_raw_uri", "http_method", "http_header", "http_raw_header", "http_cookie",
		"http_user_agent", "http_host", "http_raw_host", "http_client_body", "http_server_body",
		"http_stat_code", "http_stat_msg",
	};
	for (size_t i = 0; i < KG_ARRAY_LEN(mods); i++)
		if (!strcmp(mods[i], name))
			return true;
	return false;
}

static int opt_legacy_modifier(struct pctx *p, struct rule *r, const char *name, const struct ib_def *d, char *v)
{
	if (v)
		return perr(p, name, "takes no value");
	struct rule_op *op = last_content(p);
	if (!op)
		return perr(p, name, "no content before it");
	if (r->lists[op->list].kind != 0)
		return perr(p, name, "the content before it is already in buffer '%s'",
			    ib_table[p->rs->kinds[r->lists[op->list].kind].ib].name);
	int k = intern_kind(p, (uint16_t)d->id, 0);
	int l = k < 0 ? -1 : list_of_kind(r, k);
	if (l < 0)
		return perr(p, name, "too many buffers");
	op->list = (uint8_t)l;
	p->any_sticky = true;
	return RULE_OK;
}

static int opt_sticky(struct pctx *p, const char *name, const struct ib_def *d, char *v)
{
	if (v)
		return perr(p, name, "takes no value (a sticky buffer: the options after it inspect it)");
	p->cur_ib = d ? (uint16_t)d->id : IB_NONE;
	for (int i = 0; i < p->chain.n; i++)
		if (p->chain.x[i].code)
			pcre2_code_free(p->chain.x[i].code);
	p->chain.n = 0;
	p->cur_list = -1;
	if (d)
		p->any_sticky = true;
	return RULE_OK;
}

/* Common tail of byte_test/byte_jump/byte_extract: flags after the positional fields. */
static int byte_flags(struct pctx *p, const char *opt, char **f, int n, int from, struct byte_read *br,
		      uint32_t *multiplier, uint8_t *align, bool *from_beginning, bool *from_end, int64_t *post_offset)
{
	br->base = 10;
	for (int i = from; i < n; i++) {
		char *a = f[i];
		int64_t v;
		if (!strcmp(a, "relative"))
			br->relative = true;
		else if (!strcmp(a, "big"))
			br->little = false;
		else if (!strcmp(a, "little"))
			br->little = true;
		else if (!strcmp(a, "string"))
			br->string = true;
		else if (!strcmp(a, "hex"))
			br->base = 16;
		else if (!strcmp(a, "dec"))
			br->base = 10;
		else if (!strcmp(a, "oct"))
			br->base = 8;
		else if (!strcmp(a, "align") && align)
			*align = 4;
		else if (!strcmp(a, "from_beginning") && from_beginning)
			*from_beginning = true;
		else if (!strcmp(a, "from_end") && from_end)
			*from_end = true;
		else if (!strncmp(a, "multiplier ", 11) && multiplier) {
			if (!parse_int(trim(a + 11), 1, 65535, &v))
				return perr(p, opt, "bad multiplier '%s'", a + 11);
			*multiplier = (uint32_t)v;
		} else if (!strncmp(a, "post_offset ", 12) && post_offset) {
			if (!parse_int(trim(a + 12), -65535, 65535, &v))
				return perr(p, opt, "bad post_offset '%s'", a + 12);
			*post_offset = v;
		} else if (!strncmp(a, "bitmask ", 8)) {
			if (!parse_int(trim(a + 8), 1, INT64_MAX, &v))
				return perr(p, opt, "bad bitmask '%s'", a + 8);
			br->bitmask = (uint64_t)v;
		} else if (!strcmp(a, "dce")) {
			return perr(p, opt, "'dce' (DCERPC byte order) is not supported");
		} else {
			return perr(p, opt, "unknown flag '%s'", a);
		}
	}
	if (br->string && br->nbytes > 10)
		return perr(p, opt, "string reads take at most 10 bytes");
	if (!br->nbytes && !br->string)
		return perr(p, opt, "bad byte count '0' (0 = the rest of the buffer, for string reads only)");
	if (!br->string && br->nbytes > 8)
		return perr(p, opt, "binary reads take at most 8 bytes");
	return RULE_OK;
}

static int opt_byte_test(struct pctx *p, struct rule *r, char *v)
{
	char *f[16];
	int n = split_fields(v, f, 16);
	if (n < 4)
		return perr(p, "byte_test", "needs bytes, operator, value, offset");
	struct rule_op *op = new_op(p, r, "byte_test", OP_BYTE_TEST);
	if (!op)
		return RULE_ERR_SYNTAX;
	int64_t nb;
	if (!parse_int(f[0], 0, 10, &nb))
		return perr(p, "byte_test", "bad byte count '%s'", f[0]);
	op->u.bt.r.nbytes = (uint8_t)nb;
	const char *o = f[1];
	if (*o == '!') {
		op->u.bt.neg = true;
		o++;
	}
	if (!strcmp(o, "<"))
		op->u.bt.op = BT_LT;
	else if (!strcmp(o, ">"))
		op->u.bt.op = BT_GT;
	else if (!strcmp(o, "=") || (!strcmp(o, "") && op->u.bt.neg)) {
		op->u.bt.op = BT_EQ;
	} else if (!strcmp(o, "<="))
		op->u.bt.op = BT_LE;
	else if (!strcmp(o, ">="))
		op->u.bt.op = BT_GE;
	else if (!strcmp(o, "&"))
		op->u.bt.op = BT_AND;
	else if (!strcmp(o, "^"))
		op->u.bt.op = BT_XOR;
	else
		return perr(p, "byte_test", "bad operator '%s'", f[1]);
	if (!parse_rnum(p, r, f[2], INT64_MIN, INT64_MAX, &op->u.bt.value))
		return perr(p, "byte_test", "bad value '%s'", f[2]);
	if (!parse_rnum(p, r, f[3], -65535, 65535, &op->u.bt.r.offset))
		return perr(p, "byte_test", "bad offset '%s'", f[3]);
	int rc = byte_flags(p, "byte_test", f, n, 4, &op->u.bt.r, NULL, NULL, NULL, NULL, NULL);
	if (rc)
		return rc;
	return RULE_OK;
}

static int opt_byte_jump(struct pctx *p, struct rule *r, char *v)
{
	char *f[16];
	int n = split_fields(v, f, 16);
	if (n < 2)
		return perr(p, "byte_jump", "needs bytes, offset");
	struct rule_op *op = new_op(p, r, "byte_jump", OP_BYTE_JUMP);
	if (!op)
		return RULE_ERR_SYNTAX;
	int64_t nb;
	if (!parse_int(f[0], 1, 10, &nb))
		return perr(p, "byte_jump", "bad byte count '%s'", f[0]);
	op->u.bj.r.nbytes = (uint8_t)nb;
	if (!parse_rnum(p, r, f[1], -65535, 65535, &op->u.bj.r.offset))
		return perr(p, "byte_jump", "bad offset '%s'", f[1]);
	op->u.bj.multiplier = 1;
	return byte_flags(p, "byte_jump", f, n, 2, &op->u.bj.r, &op->u.bj.multiplier, &op->u.bj.align,
			  &op->u.bj.from_beginning, &op->u.bj.from_end, &op->u.bj.post_offset);
}

static int opt_byte_extract(struct pctx *p, struct rule *r, char *v)
{
	char *f[16];
	int n = split_fields(v, f, 16);
	if (n < 3)
		return perr(p, "byte_extract", "needs bytes, offset, name");
	if (r->nvars >= RULE_MAX_VARS)
		return perr(p, "byte_extract", "more than %d variables", RULE_MAX_VARS);
	struct rule_op *op = new_op(p, r, "byte_extract", OP_BYTE_EXTRACT);
	if (!op)
		return RULE_ERR_SYNTAX;
	int64_t nb;
	if (!parse_int(f[0], 1, 10, &nb))
		return perr(p, "byte_extract", "bad byte count '%s'", f[0]);
	op->u.be.r.nbytes = (uint8_t)nb;
	if (!parse_int(f[1], -65535, 65535, &op->u.be.r.offset.v))
		return perr(p, "byte_extract", "bad offset '%s'", f[1]);
	op->u.be.r.offset.var = -1;
	const char *name = f[2];
	if (!*name || strlen(name) >= sizeof(p->varnames[0]) || !(isalpha((unsigned char)name[0]) || name[0] == '_'))
		return perr(p, "byte_extract", "bad variable name '%s'", name);
	for (const char *c = name; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '_')
			return perr(p, "byte_extract", "bad variable name '%s'", name);
	for (int i = 0; i < r->nvars; i++)
		if (!strcmp(p->varnames[i], name))
			return perr(p, "byte_extract", "variable '%s' defined twice", name);
	op->u.be.multiplier = 1;
	int rc = byte_flags(p, "byte_extract", f, n, 3, &op->u.be.r, &op->u.be.multiplier, &op->u.be.align, NULL, NULL, NULL);
	if (rc)
		return rc;
	strcpy(p->varnames[r->nvars], name);
	op->u.be.var = (int8_t)r->nvars++;
	return RULE_OK;
}


static int parse_track(struct pctx *p, const char *opt, const char *v, enum thr_track *t)
{
	if (!strcmp(v, "by_src"))
		*t = TRACK_SRC;
	else if (!strcmp(v, "by_dst"))
		*t = TRACK_DST;
	else if (!strcmp(v, "by_rule"))
		*t = TRACK_RULE;
	else if (!strcmp(v, "by_both"))
		*t = TRACK_BOTH;
	else
		return perr(p, opt, "bad track '%s'", v);
	return RULE_OK;
}

/* threshold: type T, track X, count N, seconds S  /  detection_filter: track X, count N, seconds S */
static int opt_threshold(struct pctx *p, struct rule *r, char *v, bool df)
{
	const char *opt = df ? "detection_filter" : "threshold";
	char *f[8];
	int n = split_fields(v, f, 8);
	enum thr_type type = df ? THR_DETECTION_FILTER : THR_NONE;
	enum thr_track track = TRACK_SRC;
	bool have_track = false, have_count = false, have_secs = false;
	int64_t count = 0, secs = 0;
	for (int i = 0; i < n; i++) {
		char *sp = strchr(f[i], ' ');
		if (!sp)
			return perr(p, opt, "expected 'name value' in '%s'", f[i]);
		*sp = '\0';
		char *val = trim(sp + 1);
		if (!strcmp(f[i], "type") && !df) {
			if (!strcmp(val, "limit"))
				type = THR_LIMIT;
			else if (!strcmp(val, "threshold"))
				type = THR_THRESHOLD;
			else if (!strcmp(val, "both"))
				type = THR_BOTH;
			else
				return perr(p, opt, "bad type '%s'", val);
		} else if (!strcmp(f[i], "track")) {
			if (parse_track(p, opt, val, &track))
				return RULE_ERR_SYNTAX;
			have_track = true;
		} else if (!strcmp(f[i], "count")) {
			if (!parse_int(val, 1, UINT32_MAX, &count))
				return perr(p, opt, "bad count '%s'", val);
			have_count = true;
		} else if (!strcmp(f[i], "seconds")) {
			if (!parse_int(val, 1, UINT32_MAX, &secs))
				return perr(p, opt, "bad seconds '%s'", val);
			have_secs = true;
		} else {
			return perr(p, opt, "unknown field '%s'", f[i]);
		}
	}
	if (type == THR_NONE || !have_track || !have_count || !have_secs)
		return perr(p, opt, "needs %strack, count and seconds", df ? "" : "type, ");
	if (df) {
		r->df = type;
		r->df_track = track;
		r->df_count = (uint32_t)count;
		r->df_seconds = (uint32_t)secs;
	} else {
		if (r->thr != THR_NONE)
			return perr(p, opt, "given twice");
		r->thr = type;
		r->thr_track = track;
		r->thr_count = (uint32_t)count;
		r->thr_seconds = (uint32_t)secs;
	}
	return RULE_OK;
}

static int opt_flow(struct pctx *p, struct rule *r, char *v)
{
	char *f[8];
	int n = split_fields(v, f, 8);
	if (n < 1)
		return perr(p, "flow", "empty");
	for (int i = 0; i < n; i++) {
		const char *a = f[i];
		if (!strcmp(a, "to_server") || !strcmp(a, "from_client"))
			r->flow |= RF_TO_SERVER;
		else if (!strcmp(a, "to_client") || !strcmp(a, "from_server"))
			r->flow |= RF_TO_CLIENT;
		else if (!strcmp(a, "established"))
			r->flow |= RF_ESTABLISHED;
		else if (!strcmp(a, "not_established"))
			r->flow |= RF_NOT_ESTABLISHED;
		else if (!strcmp(a, "stateless"))
			r->flow |= RF_STATELESS;
		else if (!strcmp(a, "only_stream"))
			r->flow |= RF_ONLY_STREAM;
		else if (!strcmp(a, "no_stream"))
			r->flow |= RF_NO_STREAM;
		else
			return perr(p, "flow", "unknown or unsupported flow option '%s'", a);
	}
	if ((r->flow & RF_TO_SERVER) && (r->flow & RF_TO_CLIENT))
		return perr(p, "flow", "to_server and to_client together");
	if ((r->flow & RF_ONLY_STREAM) && (r->flow & RF_NO_STREAM))
		return perr(p, "flow", "only_stream and no_stream together");
	if ((r->flow & RF_ESTABLISHED) && (r->flow & RF_NOT_ESTABLISHED))
		return perr(p, "flow", "established and not_established together");
	return RULE_OK;
}

static int opt_dsize(struct pctx *p, struct rule *r, char *v)
{
	v = trim(v);
	int64_t a, b;
	char *rng = strstr(v, "<>");
	if (rng) {
		*rng = '\0';
		if (!parse_int(trim(v), 0, 65535, &a) || !parse_int(trim(rng + 2), 0, 65535, &b) || a >= b)
			return perr(p, "dsize", "bad range");
		r->dsize_op = 3;
		r->dsize_lo = (uint32_t)a;
		r->dsize_hi = (uint32_t)b;
	} else {
		uint8_t op = 0;
		if (*v == '<') {
			op = 1;
			v++;
		} else if (*v == '>') {
			op = 2;
			v++;
		} else if (*v == '!') {
			op = 4;
			v++;
		}
		if (!parse_int(trim(v), 0, 65535, &a))
			return perr(p, "dsize", "bad size '%s'", v);
		r->dsize_op = op;
		r->dsize_lo = (uint32_t)a;
	}
	if (r->has_dsize)
		return perr(p, "dsize", "given twice");
	r->has_dsize = true;
	return RULE_OK;
}

static int opt_isdataat(struct pctx *p, struct rule *r, char *v)
{
	char *f[3];
	int n = split_fields(v, f, 3);
	struct rule_op *op = new_op(p, r, "isdataat", OP_ISDATAAT);
	if (!op)
		return RULE_ERR_SYNTAX;
	char *a = f[0];
	if (*a == '!') {
		op->u.isdataat.neg = true;
		a++;
	}
	if (!parse_rnum(p, r, a, 0, 65535, &op->u.isdataat.n))
		return perr(p, "isdataat", "bad size '%s'", a);
	if (n < 1 || n > 3)
		return perr(p, "isdataat", "expected 'N[,relative]'");
	for (int i = 1; i < n; i++) {
		if (!strcmp(f[i], "relative"))
			op->u.isdataat.relative = true;
		else if (strcmp(f[i], "rawbytes") != 0)
			return perr(p, "isdataat", "unknown flag '%s'", f[i]);
	}
	return RULE_OK;
}


static int opt_byte_math(struct pctx *p, struct rule *r, char *v)
{
	const char *opt = "byte_math";
	char *f[16];
	int n = split_fields(v, f, 16);
	if (n < 5)
		return perr(p, opt, "needs bytes, offset, oper, rvalue and result");
	if (r->nvars >= RULE_MAX_VARS)
		return perr(p, opt, "more than %d variables", RULE_MAX_VARS);
	struct rule_op *op = new_op(p, r, opt, OP_BYTE_MATH);
	if (!op)
		return RULE_ERR_SYNTAX;
	op->u.bm.r.base = 10;
	bool have[5] = {false};
	char result[32] = "";
	for (int i = 0; i < n; i++) {
		char *a = f[i], *sp = strchr(a, ' ');
		char *val = sp ? trim(sp + 1) : NULL;
		if (sp)
			*sp = '\0';
		int64_t x;
		if (!strcmp(a, "bytes") && val) {
			if (!parse_int(val, 1, 10, &x))
				return perr(p, opt, "bad bytes '%s'", val);
			op->u.bm.r.nbytes = (uint8_t)x;
			have[0] = true;
		} else if (!strcmp(a, "offset") && val) {
			if (!parse_int(val, -65535, 65535, &x))
				return perr(p, opt, "bad offset '%s'", val);
			op->u.bm.r.offset = (struct rnum){x, -1};
			have[1] = true;
		} else if (!strcmp(a, "oper") && val) {
			static const char *const opers[] = {"+", "-", "*", "/", "<<", ">>"};
			size_t k;
			for (k = 0; k < KG_ARRAY_LEN(opers); k++)
				if (!strcmp(opers[k], val))
					break;
			if (k == KG_ARRAY_LEN(opers))
				return perr(p, opt, "bad oper '%s'", val);
			op->u.bm.oper = (uint8_t)k;
			have[2] = true;
		} else if (!strcmp(a, "rvalue") && val) {
			if (!parse_rnum(p, r, val, 0, UINT32_MAX, &op->u.bm.rvalue))
				return perr(p, opt, "bad rvalue '%s'", val);
			have[3] = true;
		} else if (!strcmp(a, "result") && val) {
			if (strlen(val) >= sizeof(result) || !(isalpha((unsigned char)val[0]) || val[0] == '_'))
				return perr(p, opt, "bad result name '%s'", val);
			strcpy(result, val);
			have[4] = true;
		} else if (!strcmp(a, "relative") && !val) {
			op->u.bm.r.relative = true;
		} else if (!strcmp(a, "endian") && val) {
			if (!strcmp(val, "little"))
				op->u.bm.r.little = true;
			else if (strcmp(val, "big") != 0)
				return perr(p, opt, "bad endian '%s'", val);
		} else if (!strcmp(a, "string") && val) {
			op->u.bm.r.string = true;
			op->u.bm.r.base = !strcmp(val, "hex") ? 16 : !strcmp(val, "oct") ? 8 : 10;
			if (strcmp(val, "hex") && strcmp(val, "oct") && strcmp(val, "dec"))
				return perr(p, opt, "bad string base '%s'", val);
		} else if (!strcmp(a, "bitmask") && val) {
			if (!parse_int(val, 1, INT64_MAX, &x))
				return perr(p, opt, "bad bitmask '%s'", val);
			op->u.bm.r.bitmask = (uint64_t)x;
		} else if (!strcmp(a, "dce")) {
			return perr(p, opt, "'dce' (DCERPC byte order) is not supported");
		} else {
			return perr(p, opt, "unknown field '%s'", a);
		}
	}
	for (int i = 0; i < 5; i++)
		if (!have[i])
			return perr(p, opt, "needs bytes, offset, oper, rvalue and result");
	if (!op->u.bm.r.string && op->u.bm.r.nbytes > 4)
		return perr(p, opt, "binary reads take at most 4 bytes");
	for (int i = 0; i < r->nvars; i++)
		if (!strcmp(p->varnames[i], result))
			return perr(p, opt, "variable '%s' defined twice", result);
	strcpy(p->varnames[r->nvars], result);
	op->u.bm.var = (int8_t)r->nvars++;
	return RULE_OK;
}

static int opt_pcre(struct pctx *p, struct rule *r, const char *v)
{
	while (*v == ' ')
		v++;
	bool neg = false;
	if (*v == '!') {
		neg = true;
		v++;
	}
	size_t n = strlen(v);
	char *s = kg_malloc(n + 1, "rule pcre");
	int rc = unquote_mode(p, "pcre", v, s, n + 1, true);
	if (rc) {
		free(s);
		return rc;
	}
	char *last = strrchr(s, '/');
	if (s[0] != '/' || last == s) {
		free(s);
		return perr(p, "pcre", "expected \"/regex/flags\"");
	}
	*last = '\0';
	uint32_t opts = 0;
	bool rel = false;
	const struct ib_def *buf = NULL;
	for (const char *c = last + 1; *c; c++) {
		switch (*c) {
		case 'i': opts |= PCRE2_CASELESS; break;
		case 's': opts |= PCRE2_DOTALL; break;
		case 'm': opts |= PCRE2_MULTILINE; break;
		case 'x': opts |= PCRE2_EXTENDED; break;
		case 'A': opts |= PCRE2_ANCHORED; break;
		case 'E': opts |= PCRE2_DOLLAR_ENDONLY; break;
		case 'G': opts |= PCRE2_UNGREEDY; break;
		case 'R': rel = true; break;
		case 'B': break; /* rawbytes: our buffers are raw already */
		case 'O': break; /* override the match limits: kagami keeps its own */
		default: {
			const struct ib_def *d = ib_lookup_pcre(*c);
			char flag = *c;
			if (d && !buf) {
				buf = d;
				break;
			}
			free(s);
			if (d)
				return perr(p, "pcre", "two buffer modifiers ('%c' and '%c')", buf->pcre_flag, flag);
			return perr(p, "pcre", "unsupported modifier '%c' (supported: i s m x A E G R B O and the buffer "
					       "modifiers U I P Q H D M C S Y V W Z)", flag);
		}
		}
	}
	if (buf && p->cur_ib != IB_NONE)
		buf = NULL; /* inside a sticky buffer the buffer modifier is redundant (file_data; .../Q) */
	int ec;
	PCRE2_SIZE eo;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)(s + 1), PCRE2_ZERO_TERMINATED, opts, &ec, &eo, NULL);
	free(s);
	if (!code) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(ec, msg, sizeof(msg));
		return perr(p, "pcre", "does not compile at offset %zu: %s", (size_t)eo, (const char *)msg);
	}
	struct rule_op *op = new_op(p, r, "pcre", OP_PCRE);
	if (!op) {
		pcre2_code_free(code);
		return RULE_ERR_SYNTAX;
	}
	if (buf) {
		int k = intern_kind(p, (uint16_t)buf->id, 0);
		int l = k < 0 ? -1 : list_of_kind(r, k);
		if (l < 0) {
			p->nops--;
			pcre2_code_free(code);
			return perr(p, "pcre", "too many buffers");
		}
		op->list = (uint8_t)l;
		p->any_sticky = true;
	}
	op->u.pcre.code = code;
	op->u.pcre.relative = rel;
	op->u.pcre.neg = neg;
	return RULE_OK;
}

/* flowbits:cmd,name[|name...|&name...]  /  xbits:cmd,name,track ip_src|ip_dst|ip_pair[,expire N] */
static int opt_flowbits(struct pctx *p, struct rule *r, char *v, bool xbits)
{
	const char *opt = xbits ? "xbits" : "flowbits";
	char *f[5];
	int n = split_fields(v, f, 5);
	if (n < 1 || (!xbits && n > 2))
		return perr(p, opt, xbits ? "expected 'command,name,track ip_src|ip_dst|ip_pair[,expire N]'"
					  : "expected 'command[,name]'");
	enum flowbit_cmd cmd;
	const char *c = f[0];
	if (!strcmp(c, "set"))
		cmd = FB_SET;
	else if (!strcmp(c, "isset"))
		cmd = FB_ISSET;
	else if (!strcmp(c, "isnotset"))
		cmd = FB_ISNOTSET;
	else if (!strcmp(c, "unset"))
		cmd = FB_UNSET;
	else if (!strcmp(c, "toggle"))
		cmd = FB_TOGGLE;
	else if (!strcmp(c, "noalert"))
		cmd = FB_NOALERT;
	else
		return perr(p, opt, "unknown command '%s'", c);
	if (cmd == FB_NOALERT) {
		if (n != 1)
			return perr(p, opt, "noalert takes no name");
		r->noalert = true;
		return RULE_OK;
	}
	if (n < 2 || !*f[1])
		return perr(p, opt, "'%s' needs a name", c);
	if (r->nflowbits >= RULE_MAX_FLOWBITS)
		return perr(p, opt, "more than %d flowbits options", RULE_MAX_FLOWBITS);
	struct flowbit_op *fb = &r->flowbits[r->nflowbits];
	memset(fb, 0, sizeof(*fb));
	fb->cmd = cmd;
	/* a list of names: "a|b" (any) or "a&b" (all); only isset and isnotset test lists */
	char *names = f[1];
	bool has_or = strchr(names, '|') != NULL, has_and = strchr(names, '&') != NULL;
	if (has_or && has_and)
		return perr(p, opt, "'|' and '&' mixed in '%s'", names);
	if ((has_or || has_and) && (xbits || (cmd != FB_ISSET && cmd != FB_ISNOTSET)))
		return perr(p, opt, "name lists ('|', '&') are only for isset and isnotset: '%s'", names);
	fb->all = has_and;
	char *save = NULL;
	for (char *tok = strtok_r(names, "|&", &save); tok; tok = strtok_r(NULL, "|&", &save)) {
		tok = trim(tok);
		if (!*tok || strchr(tok, ' '))
			return perr(p, opt, "bad name '%s'", tok);
		if (fb->nbits >= RULE_MAX_FB_NAMES)
			return perr(p, opt, "more than %d names in a list", RULE_MAX_FB_NAMES);
		size_t i;
		for (i = 0; i < p->rs->nflowbits; i++)
			if (!strcmp(p->rs->flowbit_names[i], tok))
				break;
		if (i == p->rs->nflowbits) {
			if (p->rs->nflowbits >= RULESET_MAX_FLOWBIT_NAMES)
				return perr(p, opt, "more than %d flowbit names in the rule set", RULESET_MAX_FLOWBIT_NAMES);
			p->rs->flowbit_names[p->rs->nflowbits++] = kg_strdup(tok, "flowbit name");
		}
		fb->bit[fb->nbits++] = (uint16_t)i;
	}
	if (!fb->nbits)
		return perr(p, opt, "'%s' needs a name", c);
	if (xbits) {
		bool have_track = false;
		for (int i = 2; i < n; i++) {
			char *a = f[i], *sp = strchr(a, ' ');
			if (!sp)
				return perr(p, opt, "expected 'track ...' or 'expire N', got '%s'", a);
			*sp = '\0';
			char *val = trim(sp + 1);
			int64_t x;
			if (!strcmp(a, "track")) {
				if (!strcmp(val, "ip_src"))
					fb->track = XT_SRC;
				else if (!strcmp(val, "ip_dst"))
					fb->track = XT_DST;
				else if (!strcmp(val, "ip_pair"))
					fb->track = XT_PAIR;
				else
					return perr(p, opt, "bad track '%s' (ip_src, ip_dst or ip_pair)", val);
				have_track = true;
			} else if (!strcmp(a, "expire")) {
				if (!parse_int(val, 1, UINT32_MAX, &x))
					return perr(p, opt, "bad expire '%s'", val);
				fb->expire = (uint32_t)x;
			} else {
				return perr(p, opt, "unknown field '%s'", a);
			}
		}
		if (!have_track)
			return perr(p, opt, "needs 'track ip_src|ip_dst|ip_pair'");
		r->has_xbits = true;
	}
	r->nflowbits++;
	return RULE_OK;
}

/* Content modifiers apply to the last content. */
static int opt_content_mod(struct pctx *p, struct rule *r, const char *name, char *v)
{
	(void)r;
	struct rule_op *op = last_content(p);
	if (!op)
		return perr(p, name, "no content before it");
	if (!strcmp(name, "nocase")) {
		if (v)
			return perr(p, name, "takes no value");
		op->u.content.nocase = true;
		return RULE_OK;
	}
	if (!strcmp(name, "rawbytes"))
		return v ? perr(p, name, "takes no value") : RULE_OK;
	if (!strcmp(name, "startswith")) {
		if (v)
			return perr(p, name, "takes no value");
		if (op->u.content.has_offset || op->u.content.has_depth || op->u.content.relative)
			return perr(p, name, "cannot be combined with offset, depth, distance or within");
		op->u.content.startswith = true;
		op->u.content.has_depth = true;
		op->u.content.depth = (struct rnum){(int64_t)op->u.content.len, -1};
		return RULE_OK;
	}
	if (!strcmp(name, "endswith")) {
		if (v)
			return perr(p, name, "takes no value");
		op->u.content.endswith = true;
		return RULE_OK;
	}
	if (!strcmp(name, "fast_pattern")) {
		if (v && strcmp(trim(v), "only") != 0) {
			int64_t a, b;
			char *f[3];
			int n = split_fields(v, f, 3);
			if (n != 2 || !parse_int(f[0], 0, 65535, &a) || !parse_int(f[1], 1, 65535, &b))
				return perr(p, name, "expected 'only' or 'offset,length'");
		}
		if (op->u.content.neg)
			return perr(p, name, "a negated content cannot be the fast pattern");
		for (size_t i = 0; i < p->nops; i++)
			if (p->ops[i].kind == OP_CONTENT && p->ops[i].u.content.fast_pattern)
				return perr(p, name, "given for two contents");
		op->u.content.fast_pattern = true;
		return RULE_OK;
	}
	if (!v)
		return perr(p, name, "needs a value");
	struct rnum n;
	bool is_rel = !strcmp(name, "distance") || !strcmp(name, "within");
	int64_t lo = !strcmp(name, "distance") || !strcmp(name, "offset") ? (strcmp(name, "distance") ? 0 : -65535) : 1;
	if (!parse_rnum(p, r, trim(v), lo, 65535, &n))
		return perr(p, name, "bad value '%s'", trim(v));
	if (op->u.content.startswith)
		return perr(p, name, "cannot be combined with startswith");
	if (is_rel && (op->u.content.has_offset || op->u.content.has_depth))
		return perr(p, name, "cannot be combined with offset/depth on the same content");
	if (!is_rel && (op->u.content.has_distance || op->u.content.has_within))
		return perr(p, name, "cannot be combined with distance/within on the same content");
	if (!strcmp(name, "offset")) {
		if (op->u.content.has_offset)
			return perr(p, name, "given twice");
		op->u.content.has_offset = true;
		op->u.content.offset = n;
	} else if (!strcmp(name, "depth")) {
		if (op->u.content.has_depth)
			return perr(p, name, "given twice");
		if (n.var < 0 && (size_t)n.v < op->u.content.len)
			return perr(p, name, "depth %lld is shorter than the pattern (%zu bytes)", (long long)n.v,
				    op->u.content.len);
		op->u.content.has_depth = true;
		op->u.content.depth = n;
	} else if (!strcmp(name, "distance")) {
		if (op->u.content.has_distance)
			return perr(p, name, "given twice");
		op->u.content.has_distance = true;
		op->u.content.distance = n;
		op->u.content.relative = true;
	} else {
		if (op->u.content.has_within)
			return perr(p, name, "given twice");
		if (n.var < 0 && (size_t)n.v < op->u.content.len)
			return perr(p, name, "within %lld is shorter than the pattern (%zu bytes)", (long long)n.v,
				    op->u.content.len);
		op->u.content.has_within = true;
		op->u.content.within = n;
		op->u.content.relative = true;
	}
	return RULE_OK;
}

/* "N", "<N", ">N", "<=N", ">=N", "!N", "N-M" or "N<>M" (exclusive ranges); dash: allow "N-M". */
static bool parse_num_cmp(char *v, uint64_t max, bool dash, struct num_cmp *c)
{
	v = trim(v);
	int64_t a, b;
	char *rng = strstr(v, "<>");
	char *d = dash && !rng ? strchr(v + (*v == '-'), '-') : NULL;
	if (rng || d) {
		char *sep = rng ? rng : d;
		char save = *sep;
		*sep = '\0';
		bool ok = parse_int(trim(v), 0, (int64_t)max, &a) && parse_int(trim(sep + (rng ? 2 : 1)), 0, (int64_t)max, &b) &&
			  a < b;
		*sep = save;
		if (!ok)
			return false;
		*c = (struct num_cmp){NUM_RANGE, (uint64_t)a, (uint64_t)b};
		return true;
	}
	uint8_t op = NUM_EQ;
	if (!strncmp(v, "<=", 2)) {
		op = NUM_LE;
		v += 2;
	} else if (!strncmp(v, ">=", 2)) {
		op = NUM_GE;
		v += 2;
	} else if (*v == '<') {
		op = NUM_LT;
		v++;
	} else if (*v == '>') {
		op = NUM_GT;
		v++;
	} else if (*v == '!') {
		op = NUM_NE;
		v++;
	} else if (*v == '=') {
		v++;
	}
	if (!parse_int(trim(v), 0, (int64_t)max, &a))
		return false;
	*c = (struct num_cmp){op, (uint64_t)a, 0};
	return true;
}

/* bsize:N (the sticky buffer's length) and urilen:N[,raw|norm] (http.uri's). */
static int opt_bsize(struct pctx *p, struct rule *r, const char *name, char *v)
{
	if (!v)
		return perr(p, name, "needs a value");
	struct num_cmp c;
	bool uri = !strcmp(name, "urilen");
	bool raw = false;
	char *comma = strchr(v, ',');
	if (comma) {
		if (!uri)
			return perr(p, name, "bad size '%s'", v);
		*comma = '\0';
		char *m = trim(comma + 1);
		if (!strcmp(m, "raw"))
			raw = true;
		else if (strcmp(m, "norm") != 0)
			return perr(p, name, "expected 'raw' or 'norm', got '%s'", m);
	}
	if (!parse_num_cmp(v, 0xffffffffu, false, &c))
		return perr(p, name, "bad size '%s'", trim(v));
	if (!uri && p->cur_ib == IB_NONE)
		return perr(p, name, "needs a sticky buffer before it (bsize measures an inspection buffer)");
	struct rule_op *op;
	if (uri) {
		/* urilen goes to http.uri (or its raw form) whatever the sticky buffer is */
		uint16_t save_ib = p->cur_ib;
		int save_list = p->cur_list;
		struct xchain save_chain = p->chain;
		p->chain.n = 0;
		p->cur_ib = raw ? IB_HTTP_URI_RAW : IB_HTTP_URI;
		p->cur_list = -1;
		op = new_op(p, r, name, OP_BSIZE);
		p->cur_ib = save_ib;
		p->cur_list = save_list;
		p->chain = save_chain;
		p->any_sticky = true;
	} else {
		op = new_op(p, r, name, OP_BSIZE);
	}
	if (!op)
		return RULE_ERR_SYNTAX;
	op->u.bsize.c = c;
	return RULE_OK;
}

/* ---------------------------------------------------------------- header keywords */

static struct rule_pkw *new_pkw(struct pctx *p, struct rule *r, const char *opt, uint8_t kind)
{
	for (int i = 0; i < r->npkw; i++)
		if (r->pkw[i].kind == kind && kind != PK_STREAM_SIZE) {
			perr(p, opt, "given twice");
			return NULL;
		}
	if (r->npkw >= RULE_MAX_PKW) {
		perr(p, opt, "more than %d header keywords", RULE_MAX_PKW);
		return NULL;
	}
	struct rule_pkw *k = &r->pkw[r->npkw++];
	memset(k, 0, sizeof(*k));
	k->kind = kind;
	return k;
}

static int opt_pkw_num(struct pctx *p, struct rule *r, const char *name, char *v, uint8_t kind, uint64_t max)
{
	if (!v)
		return perr(p, name, "needs a value");
	struct rule_pkw *k = new_pkw(p, r, name, kind);
	if (!k)
		return RULE_ERR_SYNTAX;
	char *s = trim(v);
	if (kind == PK_TOS && (*s == 'x' || *s == 'X')) {
		/* tos:x10 = hex */
		int64_t x;
		char hex[16];
		snprintf(hex, sizeof(hex), "0x%s", s + 1);
		if (!parse_int(hex, 0, 255, &x))
			return perr(p, name, "bad value '%s'", s);
		k->c = (struct num_cmp){NUM_EQ, (uint64_t)x, 0};
		return RULE_OK;
	}
	if (kind == PK_IPPROTO) {
		static const struct {
			const char *n;
			uint8_t v;
		} names[] = {{"icmp", 1}, {"igmp", 2}, {"tcp", 6}, {"udp", 17}, {"ipv6", 41}, {"gre", 47},
			     {"esp", 50}, {"ah", 51}, {"ipv6-icmp", 58}, {"icmpv6", 58}, {"sctp", 132}};
		char *t = s;
		uint8_t op = NUM_EQ;
		if (*t == '!' || *t == '<' || *t == '>') {
			op = *t == '!' ? NUM_NE : *t == '<' ? NUM_LT : NUM_GT;
			t++;
		}
		for (size_t i = 0; i < KG_ARRAY_LEN(names); i++)
			if (!strcmp(names[i].n, trim(t))) {
				k->c = (struct num_cmp){op, names[i].v, 0};
				return RULE_OK;
			}
	}
	if (!parse_num_cmp(s, max, kind == PK_TTL || kind == PK_ID, &k->c))
		return perr(p, name, "bad value '%s'", s);
	return RULE_OK;
}

/* flags:[!+*]FSRPAUCE012[,mask] / fragbits:[!+*]MDR */
static int opt_bits(struct pctx *p, struct rule *r, const char *name, char *v)
{
	bool flags = !strcmp(name, "flags");
	if (!v)
		return perr(p, name, "needs a value");
	struct rule_pkw *k = new_pkw(p, r, name, flags ? PK_FLAGS : PK_FRAGBITS);
	if (!k)
		return RULE_ERR_SYNTAX;
	char *mask = flags ? strchr(v, ',') : NULL;
	if (mask)
		*mask++ = '\0';
	char *s = trim(v);
	for (; *s == '!' || *s == '+' || *s == '*'; s++) {
		if (k->mode && k->mode != '+')
			return perr(p, name, "more than one of '!', '+', '*'");
		k->mode = (uint8_t)*s;
	}
	static const char fl[] = "FSRPAUCE";
	for (; *s; s++) {
		int ch = toupper((unsigned char)*s);
		const char *c = strchr(fl, ch);
		unsigned bit;
		if (flags && ch == '0')
			continue; /* no flags: the empty set */
		if (!flags)
			bit = ch == 'M' ? 0x1 : ch == 'D' ? 0x2 : ch == 'R' ? 0x4 : 0;
		else if (ch == '1' || ch == '2')
			bit = ch == '1' ? 0x80 : 0x40; /* the old names of CWR and ECE */
		else
			bit = c && ch ? 1u << (c - fl) : 0;
		if (!bit)
			return perr(p, name, "unknown %s '%c'", flags ? "flag" : "fragment bit", *s);
		k->bits |= (uint8_t)bit;
	}
	if (mask) {
		for (char *m = trim(mask); *m; m++) {
			const char *c = strchr(fl, toupper((unsigned char)*m));
			if (*m == '1' || *m == '2')
				k->mask |= *m == '1' ? 0x80 : 0x40;
			else if (c && *c)
				k->mask |= (uint8_t)(1u << (c - fl));
			else
				return perr(p, name, "unknown flag '%c' in the mask", *m);
		}
	}
	return RULE_OK;
}

static int opt_ipopts(struct pctx *p, struct rule *r, char *v)
{
	static const struct {
		const char *n;
		uint8_t code;
	} opts[] = {{"rr", 7}, {"eol", 0}, {"nop", 1}, {"ts", 68}, {"sec", 130}, {"esec", 133}, {"lsrr", 131},
		    {"lsrre", 131}, {"ssrr", 137}, {"satid", 136}, {"any", 255}};
	if (!v)
		return perr(p, "ipopts", "needs a value");
	struct rule_pkw *k = new_pkw(p, r, "ipopts", PK_IPOPTS);
	if (!k)
		return RULE_ERR_SYNTAX;
	char *s = trim(v);
	for (size_t i = 0; i < KG_ARRAY_LEN(opts); i++)
		if (!strcmp(opts[i].n, s)) {
			k->bits = opts[i].code;
			return RULE_OK;
		}
	return perr(p, "ipopts", "unknown option '%s'", s);
}

/* stream_size:server|client|both|either,<op>,N */
static int opt_stream_size(struct pctx *p, struct rule *r, char *v)
{
	char *f[4];
	int n = v ? split_fields(v, f, 4) : 0;
	if (n != 3)
		return perr(p, "stream_size", "expected 'server|client|both|either,operator,bytes'");
	struct rule_pkw *k = new_pkw(p, r, "stream_size", PK_STREAM_SIZE);
	if (!k)
		return RULE_ERR_SYNTAX;
	static const char *const sides[] = {"server", "client", "both", "either"};
	size_t i;
	for (i = 0; i < KG_ARRAY_LEN(sides); i++)
		if (!strcmp(sides[i], f[0]))
			break;
	if (i == KG_ARRAY_LEN(sides))
		return perr(p, "stream_size", "bad side '%s'", f[0]);
	k->side = (uint8_t)i;
	char expr[64];
	snprintf(expr, sizeof(expr), "%s%s", strcmp(f[1], "=") ? f[1] : "", f[2]);
	if (strlen(f[1]) > 2 || !*f[1] || !parse_num_cmp(expr, UINT32_MAX, false, &k->c))
		return perr(p, "stream_size", "bad operator or size '%s,%s'", f[1], f[2]);
	return RULE_OK;
}

/* ---------------------------------------------------------------- transaction attributes */

static struct rule_attr *new_attr(struct pctx *p, struct rule *r, const char *opt)
{
	if (r->nattrs >= RULE_MAX_ATTRS) {
		perr(p, opt, "more than %d transaction keywords", RULE_MAX_ATTRS);
		return NULL;
	}
	struct rule_attr *a = &r->attrs[r->nattrs++];
	memset(a, 0, sizeof(*a));
	return a;
}

static int opt_tls_version(struct pctx *p, struct rule *r, char *v)
{
	static const struct {
		const char *n;
		uint16_t v;
	} vers[] = {{"1.0", 0x0301}, {"1.1", 0x0302}, {"1.2", 0x0303}, {"1.3", 0x0304}, {"2.0", 0x0200},
		    {"3.0", 0x0300}, {"sslv2", 0x0200}, {"sslv3", 0x0300}};
	if (!v)
		return perr(p, "tls.version", "needs a value");
	char *s = trim(v);
	bool neg = *s == '!';
	if (neg)
		s = trim(s + 1);
	for (size_t i = 0; i < KG_ARRAY_LEN(vers); i++)
		if (!strcasecmp(vers[i].n, s)) {
			struct rule_attr *a = new_attr(p, r, "tls.version");
			if (!a)
				return RULE_ERR_SYNTAX;
			a->attr = IA_TLS_VERSION;
			a->neg = neg;
			a->op = NUM_EQ;
			a->v = vers[i].v;
			return RULE_OK;
		}
	int64_t x;
	if (parse_int(s, 0, 0xffff, &x)) {
		struct rule_attr *a = new_attr(p, r, "tls.version");
		if (!a)
			return RULE_ERR_SYNTAX;
		a->attr = IA_TLS_VERSION;
		a->neg = neg;
		a->v = (uint32_t)x;
		return RULE_OK;
	}
	return perr(p, "tls.version", "bad version '%s' (1.0, 1.1, 1.2, 1.3, sslv2, sslv3 or a number)", s);
}

/* ssl_version:sslv2,tls1.0,... (any of; '!' excludes) / ssl_state:client_hello|server_hello|... */
static int opt_ssl_bits(struct pctx *p, struct rule *r, const char *name, char *v)
{
	static const struct {
		const char *n;
		uint32_t bit;
	} vers[] = {{"sslv2", IA_SSLV_SSL2}, {"sslv3", IA_SSLV_SSL3}, {"tls1.0", IA_SSLV_TLS10},
		    {"tls1.1", IA_SSLV_TLS11}, {"tls1.2", IA_SSLV_TLS12}, {"tls1.3", IA_SSLV_TLS13}},
	  states[] = {{"client_hello", IA_SSLS_CLIENT_HELLO}, {"server_hello", IA_SSLS_SERVER_HELLO},
		      {"client_keyx", IA_SSLS_CLIENT_KEYX}, {"server_keyx", IA_SSLS_SERVER_KEYX},
		      {"unknown", IA_SSLS_UNKNOWN}};
	bool ver = !strcmp(name, "ssl_version");
	if (!v)
		return perr(p, name, "needs a value");
	uint32_t pos = 0, neg = 0;
	char *save = NULL;
	for (char *tok = strtok_r(v, ver ? "," : "|,", &save); tok; tok = strtok_r(NULL, ver ? "," : "|,", &save)) {
		tok = trim(tok);
		bool n = *tok == '!';
		if (n)
			tok = trim(tok + 1);
		size_t cnt = ver ? KG_ARRAY_LEN(vers) : KG_ARRAY_LEN(states);
		size_t i;
		for (i = 0; i < cnt; i++)
			if (!strcmp(ver ? vers[i].n : states[i].n, tok))
				break;
		if (i == cnt)
			return perr(p, name, "unknown %s '%s'", ver ? "version" : "state", tok);
		uint32_t b = ver ? vers[i].bit : states[i].bit;
		if (n)
			neg |= b;
		else
			pos |= b;
	}
	if (!pos && !neg)
		return perr(p, name, "needs a value");
	if (pos) {
		struct rule_attr *a = new_attr(p, r, name);
		if (!a)
			return RULE_ERR_SYNTAX;
		a->attr = ver ? IA_SSL_VERSIONS : IA_SSL_STATE;
		a->v = pos;
	}
	if (neg) {
		struct rule_attr *a = new_attr(p, r, name);
		if (!a)
			return RULE_ERR_SYNTAX;
		a->attr = ver ? IA_SSL_VERSIONS : IA_SSL_STATE;
		a->v = neg;
		a->neg = true;
	}
	return RULE_OK;
}

static int opt_app_proto(struct pctx *p, struct rule *r, char *v)
{
	if (!v)
		return perr(p, "app-layer-protocol", "needs a value");
	char *s = trim(v);
	bool neg = *s == '!';
	if (neg)
		s = trim(s + 1);
	char *comma = strchr(s, ',');
	if (comma)
		*comma = '\0'; /* ",final" and friends: kagami decides once per flow */
	s = trim(s);
	if (!rule_app_index(s) && strcmp(s, "failed") && strcmp(s, "unknown"))
		return perr(p, "app-layer-protocol", "unknown protocol '%s'", s);
	struct rule_attr *a = new_attr(p, r, "app-layer-protocol");
	if (!a)
		return RULE_ERR_SYNTAX;
	a->attr = 255;
	a->neg = neg;
	snprintf(a->app, sizeof(a->app), "%s", s);
	return RULE_OK;
}

/* ---------------------------------------------------------------- transforms */

static int opt_transform(struct pctx *p, struct rule *r, const char *name, char *v, uint8_t kind)
{
	if (p->cur_ib == IB_NONE)
		return perr(p, name, "a transform needs a sticky buffer before it");
	if (p->cur_list >= 0) {
		/* a transform after content of the buffer: what follows inspects the buffer under the
		 * chain so far plus this transform, as a list of its own */
		const struct xchain *prev = &p->rs->chains[p->rs->kinds[r->lists[p->cur_list].kind].chain];
		for (int i = 0; i < prev->n; i++)
			if (prev->x[i].code)
				return perr(p, name, "a transform after content of a pcrexform buffer");
		p->chain.n = prev->n;
		memcpy(p->chain.x, prev->x, sizeof(prev->x));
		p->chain.text = NULL;
		p->cur_list = -1;
	}
	if (p->chain.n >= RULE_MAX_XFORMS)
		return perr(p, name, "more than %d transforms on one buffer", RULE_MAX_XFORMS);
	struct xform x = {.kind = kind};
	if (kind == XF_XOR) {
		char key[80];
		if (!v || unquote(p, name, trim(v), key, sizeof(key)))
			return v ? RULE_ERR_SYNTAX : perr(p, name, "needs a quoted hex key");
		size_t n = strlen(key);
		if (n == 0 || n % 2 || n / 2 > sizeof(x.key))
			return perr(p, name, "the key must be 1-32 bytes of hex");
		for (size_t i = 0; i < n; i += 2) {
			int a = hexval((unsigned char)key[i]), b = hexval((unsigned char)key[i + 1]);
			if (a < 0 || b < 0)
				return perr(p, name, "bad hex digit in the key");
			x.key[x.keylen++] = (uint8_t)(a << 4 | b);
		}
	} else if (kind == XF_PCREXFORM) {
		char re[1024];
		if (!v || unquote_mode(p, name, trim(v), re, sizeof(re), true))
			return v ? RULE_ERR_SYNTAX : perr(p, name, "needs a quoted regex");
		int ec;
		PCRE2_SIZE eo;
		pcre2_code *code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, 0, &ec, &eo, NULL);
		if (!code) {
			PCRE2_UCHAR msg[256];
			pcre2_get_error_message(ec, msg, sizeof(msg));
			return perr(p, name, "does not compile at offset %zu: %s", (size_t)eo, (const char *)msg);
		}
		uint32_t caps = 0;
		pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &caps);
		if (caps < 1) {
			pcre2_code_free(code);
			return perr(p, name, "needs a capture group");
		}
		x.code = code;
		/* the key records the regex so equal chains intern to one */
		size_t n = KG_MIN(strlen(re), sizeof(x.key));
		memcpy(x.key, re, n);
		x.keylen = (uint8_t)n;
	} else if (v) {
		return perr(p, name, "takes no value");
	}
	p->chain.x[p->chain.n++] = x;
	return RULE_OK;
}

static int opt_app_event(struct pctx *p, struct rule *r, char *v)
{
	v = trim(v);
	if (r->app_event)
		return perr(p, "app-layer-event", "given twice");
	const char *dot = strchr(v, '.');
	if (!dot || dot == v || !dot[1])
		return perr(p, "app-layer-event", "expected 'proto.event_name', got '%s'", v);
	if (strncmp(v, "tls.", 4) != 0 && strncmp(v, "smb.", 4) != 0 && strncmp(v, "http.", 5) != 0 &&
	    strncmp(v, "dns.", 4) != 0)
		return perr(p, "app-layer-event", "no dissector raises events for '%.*s' (supported: tls, smb, http, dns)",
			    (int)(dot - v), v);
	for (const char *c = dot + 1; *c; c++)
		if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) && *c != '_')
			return perr(p, "app-layer-event", "bad event name '%s'", v);
	r->app_event = kg_strdup(v, "rule event");
	return RULE_OK;
}

/* Keywords recognised as Suricata's but not implemented: a clear message instead of "unknown".
 * README "Signatures / Not supported" says why for each. */
static const char *const unsupported[] = {
	"dce_iface", "dce_opnum", "dce_stub_data", "base64_decode", "base64_data", "entropy", "hostbits", "flowint",
	"filemagic", "filename", "fileext", "filemd5", "filesha1", "filesha256", "filesize", "lua", "luajit",
	"datarep", "dataset", "iprep", "replace", "prefilter", "requires", "config", "asn1", "ftpbounce",
	"ftpdata_command", "krb5_msg_type", "krb5_cname", "krb5_sname", "krb5_err_code", "snmp.version",
	"snmp.community", "snmp.pdu_type", "modbus", "dnp3_func", "dnp3_ind", "dnp3_obj", "dnp3_data", "enip_command",
	"cip_service", "sip.method", "sip.uri", "ssh.proto", "ssh_proto", "ssh.software", "ssh_software",
	"ssh.protoversion", "ssh.softwareversion", "ssh.hassh", "ssh.hassh.server", "nfs_procedure", "nfs.version",
	"template", "template2", "ike.init_spi", "quic.sni", "http2.header", "dns.opcode", "tcp.hdr", "udp.hdr",
	"ipv4.hdr", "ipv6.hdr", "icmpv4.hdr", "icmpv6.hdr", "tcp.mss", "icmpv6.mtu", "frame", "transform",
	"smb.ntlmssp_user", "smb.ntlmssp_domain", "smb.version", "smtp.helo", "smtp.mail_from", "smtp.rcpt_to",
	"file.name", "email.from", "email.subject", "dhcp.leasetime", "rfb.name", "mqtt.type", "krb5.cname",
	"dcerpc.iface", "dcerpc.opnum", "dcerpc.stub_data", "urilen_raw", "pkt_data_raw", "stream_data", "bypass",
};

/* Output-only keywords: accepted, ignored, counted in the load report. */
static const char *const ignored_kw[] = {"tag", "tls.store", "filestore", "tls_store", "noscan"};

static void count_ignored(struct rule_set *rs, const char *name)
{
	for (size_t i = 0; i < rs->nignored; i++)
		if (!strcmp(rs->ignored[i].name, name)) {
			rs->ignored[i].n++;
			return;
		}
	if (rs->nignored < KG_ARRAY_LEN(rs->ignored)) {
		snprintf(rs->ignored[rs->nignored].name, sizeof(rs->ignored[0].name), "%s", name);
		rs->ignored[rs->nignored++].n = 1;
	}
}

/* Apply one option; v is NULL for options without ':'. */
static int apply_option(struct pctx *p, struct rule *r, const char *name, char *v)
{
	char tmp[4096];
	if (!strcmp(name, "msg")) {
		if (!v || unquote(p, name, trim(v), tmp, sizeof(tmp)))
			return v ? RULE_ERR_SYNTAX : perr(p, name, "needs a value");
		free(r->msg);
		r->msg = kg_strdup(tmp, "rule msg");
		return RULE_OK;
	}
	if (!strcmp(name, "sid") || !strcmp(name, "rev") || !strcmp(name, "gid") || !strcmp(name, "priority")) {
		int64_t n;
		int64_t hi = !strcmp(name, "priority") ? 255 : UINT32_MAX;
		if (!v || !parse_int(trim(v), 1, hi, &n))
			return perr(p, name, "expected an integer in 1..%lld", (long long)hi);
		if (name[0] == 's')
			r->sid = (uint32_t)n;
		else if (name[0] == 'r')
			r->rev = (uint32_t)n;
		else if (name[0] == 'g')
			r->gid = (uint32_t)n;
		else
			r->priority = (uint8_t)n;
		return RULE_OK;
	}
	if (!strcmp(name, "classtype")) {
		if (!v)
			return perr(p, name, "needs a value");
		v = trim(v);
		if (!class_find(p->rs, v))
			return perr(p, name, "unknown classtype '%s'%s", v,
				    p->rs->class_file ? " (not in classification.config)" : "");
		free(r->classtype);
		r->classtype = kg_strdup(v, "rule classtype");
		return RULE_OK;
	}
	if (!strcmp(name, "reference")) {
		if (!v || !strchr(v, ','))
			return perr(p, name, "expected 'type,value'");
		return RULE_OK;
	}
	if (!strcmp(name, "target")) {
		/* which side is the target: output metadata only, kagami names attacker/victim itself */
		if (!v || (strcmp(trim(v), "src_ip") != 0 && strcmp(trim(v), "dest_ip") != 0))
			return perr(p, name, "expected src_ip or dest_ip");
		return RULE_OK;
	}
	if (!strcmp(name, "metadata")) {
		if (!v || !*trim(v))
			return perr(p, name, "needs a value");
		return RULE_OK;
	}
	if (!strcmp(name, "content") || !strcmp(name, "uricontent")) {
		if (!v)
			return perr(p, name, "needs a value");
		struct rule_op *op;
		if (name[0] == 'u') {
			uint16_t save_ib = p->cur_ib;
			int save_list = p->cur_list;
			struct xchain save_chain = p->chain;
			p->chain.n = 0;
			p->cur_ib = IB_HTTP_URI;
			p->cur_list = -1;
			op = new_op(p, r, name, OP_CONTENT);
			p->cur_ib = save_ib;
			p->cur_list = save_list;
			p->chain = save_chain;
			p->any_sticky = true;
		} else {
			op = new_op(p, r, name, OP_CONTENT);
		}
		if (!op)
			return RULE_ERR_SYNTAX;
		int rc = parse_content(p, name, v, &op->u.content.pat, &op->u.content.len, &op->u.content.neg);
		if (rc)
			p->nops--;
		return rc;
	}
	if (!strcmp(name, "nocase") || !strcmp(name, "offset") || !strcmp(name, "depth") ||
	    !strcmp(name, "distance") || !strcmp(name, "within") || !strcmp(name, "fast_pattern") ||
	    !strcmp(name, "startswith") || !strcmp(name, "endswith") || !strcmp(name, "rawbytes"))
		return opt_content_mod(p, r, name, v);
	if (!strcmp(name, "noalert")) {
		if (v)
			return perr(p, name, "takes no value");
		r->noalert = true;
		return RULE_OK;
	}
	if (!strcmp(name, "pkt_data"))
		return opt_sticky(p, name, NULL, v);
	const struct ib_def *ib = ib_lookup(name);
	if (ib)
		return is_legacy_modifier(name) ? opt_legacy_modifier(p, r, name, ib, v) : opt_sticky(p, name, ib, v);
	static const struct {
		const char *n;
		uint8_t k;
	} xforms[] = {{"to_lowercase", XF_LOWER}, {"to_uppercase", XF_UPPER}, {"dotprefix", XF_DOTPREFIX},
		      {"strip_whitespace", XF_STRIP_WS}, {"compress_whitespace", XF_COMPRESS_WS},
		      {"url_decode", XF_URL_DECODE}, {"xor", XF_XOR}, {"to_md5", XF_MD5}, {"to_sha1", XF_SHA1},
		      {"to_sha256", XF_SHA256}, {"pcrexform", XF_PCREXFORM}, {"header_lowercase", XF_HEADER_LOWER}};
	for (size_t i = 0; i < KG_ARRAY_LEN(xforms); i++)
		if (!strcmp(name, xforms[i].n))
			return opt_transform(p, r, name, v, xforms[i].k);
	if (!strcmp(name, "bsize") || !strcmp(name, "urilen"))
		return opt_bsize(p, r, name, v);
	if (!strcmp(name, "sameip")) {
		if (v)
			return perr(p, name, "takes no value");
		return new_pkw(p, r, name, PK_SAMEIP) ? RULE_OK : RULE_ERR_SYNTAX;
	}
	for (size_t i = 0; i < KG_ARRAY_LEN(ignored_kw); i++)
		if (!strcmp(name, ignored_kw[i])) {
			count_ignored(p->rs, name);
			return RULE_OK;
		}
	if (!v)
		goto unknown;
	if (!strcmp(name, "pcre"))
		return opt_pcre(p, r, v);
	if (!strcmp(name, "byte_test"))
		return opt_byte_test(p, r, v);
	if (!strcmp(name, "byte_jump"))
		return opt_byte_jump(p, r, v);
	if (!strcmp(name, "byte_extract"))
		return opt_byte_extract(p, r, v);
	if (!strcmp(name, "byte_math"))
		return opt_byte_math(p, r, v);
	if (!strcmp(name, "isdataat"))
		return opt_isdataat(p, r, v);
	if (!strcmp(name, "dsize"))
		return opt_dsize(p, r, v);
	if (!strcmp(name, "flow"))
		return opt_flow(p, r, v);
	if (!strcmp(name, "flowbits"))
		return opt_flowbits(p, r, v, false);
	if (!strcmp(name, "xbits"))
		return opt_flowbits(p, r, v, true);
	if (!strcmp(name, "threshold"))
		return opt_threshold(p, r, v, false);
	if (!strcmp(name, "detection_filter"))
		return opt_threshold(p, r, v, true);
	if (!strcmp(name, "app-layer-event"))
		return opt_app_event(p, r, v);
	if (!strcmp(name, "flags") || !strcmp(name, "fragbits"))
		return opt_bits(p, r, name, v);
	if (!strcmp(name, "ipopts"))
		return opt_ipopts(p, r, v);
	if (!strcmp(name, "stream_size"))
		return opt_stream_size(p, r, v);
	static const struct {
		const char *n;
		uint8_t k;
		uint64_t max;
	} nums[] = {{"ttl", PK_TTL, 255}, {"tos", PK_TOS, 255}, {"id", PK_ID, 65535}, {"ip_proto", PK_IPPROTO, 255},
		    {"itype", PK_ITYPE, 255}, {"icode", PK_ICODE, 255}, {"icmp_id", PK_ICMP_ID, 65535},
		    {"icmp_seq", PK_ICMP_SEQ, 65535}, {"window", PK_WINDOW, 65535}, {"seq", PK_SEQ, UINT32_MAX},
		    {"ack", PK_ACK, UINT32_MAX}, {"fragoffset", PK_FRAGOFFSET, 65535}};
	for (size_t i = 0; i < KG_ARRAY_LEN(nums); i++)
		if (!strcmp(name, nums[i].n))
			return opt_pkw_num(p, r, name, v, nums[i].k, nums[i].max);
	if (!strcmp(name, "tls.version"))
		return opt_tls_version(p, r, v);
	if (!strcmp(name, "ssl_version") || !strcmp(name, "ssl_state"))
		return opt_ssl_bits(p, r, name, v);
	if (!strcmp(name, "app-layer-protocol"))
		return opt_app_proto(p, r, v);
unknown:
	for (size_t i = 0; i < KG_ARRAY_LEN(unsupported); i++)
		if (!strcmp(unsupported[i], name))
			return perr(p, name, "Suricata keyword not supported by kagami (see README \"Signatures\")");
	return perr(p, name, "unknown option");
}

/* ---------------------------------------------------------------- header */

/* Next header token: whitespace-separated, but brackets keep a list whole. */
static char *next_token(char **s)
{
	char *c = *s;
	while (*c == ' ' || *c == '\t')
		c++;
	if (!*c || *c == '(')
		return NULL;
	char *start = c;
	int lvl = 0;
	while (*c && (lvl > 0 || (*c != ' ' && *c != '\t' && *c != '('))) {
		if (*c == '[')
			lvl++;
		else if (*c == ']')
			lvl--;
		c++;
	}
	if (*c == ' ' || *c == '\t')
		*c++ = '\0';
	else if (*c == '(')
		return NULL;
	*s = c;
	return start;
}

static int parse_header(struct pctx *p, struct rule *r, char *h)
{
	char *tok[7];
	char *s = h;
	for (int i = 0; i < 7; i++) {
		tok[i] = next_token(&s);
		if (!tok[i])
			return perr(p, NULL, "rule header needs 'action proto src sport dir dst dport' before '('");
	}
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s)
		return perr(p, NULL, "unexpected '%s' after the rule header", s);
	static const char *const actions[] = {"alert", "pass", "drop", "reject", "log"};
	size_t a;
	for (a = 0; a < KG_ARRAY_LEN(actions); a++)
		if (!strcmp(tok[0], actions[a]))
			break;
	if (a == KG_ARRAY_LEN(actions))
		return perr(p, NULL, "unknown action '%s'", tok[0]);
	r->action = (enum rule_action)a;
	const char *pr = tok[1];
	uint16_t app = rule_app_index(pr);
	if (!strcmp(pr, "tcp"))
		r->proto = RP_TCP;
	else if (!strcmp(pr, "tcp-pkt") || !strcmp(pr, "tcp-stream")) {
		r->proto = RP_TCP;
		r->variant = pr[4] == 'p' ? RV_PKT : RV_STREAM;
	} else if (!strcmp(pr, "udp"))
		r->proto = RP_UDP;
	else if (!strcmp(pr, "udp-pkt")) {
		r->proto = RP_UDP;
		r->variant = RV_PKT;
	} else if (!strcmp(pr, "icmp") || !strcmp(pr, "icmpv4") || !strcmp(pr, "icmpv6"))
		r->proto = RP_ICMP;
	else if (!strcmp(pr, "ip") || !strcmp(pr, "pkthdr") || !strcmp(pr, "ipv4") || !strcmp(pr, "ipv6"))
		r->proto = RP_IP;
	else if (app) {
		/* tcp only, udp only, or both (rule_proto IP with an app: TCP or UDP flows) */
		uint8_t t = apps[app].transports;
		r->proto = t == 1 ? RP_TCP : t == 2 ? RP_UDP : RP_IP;
		snprintf(r->app, sizeof(r->app), "%s", pr);
		r->app_ix = app;
	} else {
		return perr(p, NULL, "unsupported protocol '%s' (supported: ip tcp udp icmp tcp-pkt udp-pkt tcp-stream "
				     "and the app protocols http tls smb dns smtp ftp ftp-data ssh imap pop3 dcerpc krb5 "
				     "snmp ntp sip ...)", pr);
	}
	int rc;
	if ((rc = parse_addr(p, tok[2], &r->src, "source address")) ||
	    (rc = parse_ports(p, tok[3], &r->sport, "source port")) ||
	    (rc = parse_addr(p, tok[5], &r->dst, "destination address")) ||
	    (rc = parse_ports(p, tok[6], &r->dport, "destination port")))
		return rc;
	if (!strcmp(tok[4], "->"))
		r->bidir = false;
	else if (!strcmp(tok[4], "<>"))
		r->bidir = true;
	else
		return perr(p, NULL, "direction must be '->' or '<>', got '%s'", tok[4]);
	return RULE_OK;
}

/* ---------------------------------------------------------------- one rule */

static size_t sid_slot(uint32_t gid, uint32_t sid, size_t cap)
{
	uint64_t h = ((uint64_t)gid << 32 | sid) * 0x9e3779b97f4a7c15ULL;
	return (size_t)(h >> 32) & (cap - 1);
}

static const struct rule *sid_find(const struct rule_set *rs, uint32_t gid, uint32_t sid)
{
	if (!rs->sid_hash_cap)
		return NULL;
	for (size_t i = sid_slot(gid, sid, rs->sid_hash_cap);; i = (i + 1) & (rs->sid_hash_cap - 1)) {
		uint32_t v = rs->sid_hash[i];
		if (!v)
			return NULL;
		const struct rule *r = rs->rules[v - 1];
		if (r->sid == sid && r->gid == gid)
			return r;
	}
}

/* Index rule number idx (already in rs->rules) by (gid, sid); grows the table at half load. */
static void sid_insert(struct rule_set *rs, size_t idx)
{
	if ((rs->n + 1) * 2 > rs->sid_hash_cap) {
		size_t cap = rs->sid_hash_cap ? rs->sid_hash_cap * 2 : 256;
		while (cap < (rs->n + 1) * 2)
			cap *= 2;
		free(rs->sid_hash);
		rs->sid_hash = kg_calloc(cap, sizeof(uint32_t), "rule sid index");
		rs->sid_hash_cap = cap;
		for (size_t k = 0; k < rs->n; k++)
			if (k != idx) {
				size_t i = sid_slot(rs->rules[k]->gid, rs->rules[k]->sid, cap);
				while (rs->sid_hash[i])
					i = (i + 1) & (cap - 1);
				rs->sid_hash[i] = (uint32_t)k + 1;
			}
	}
	const struct rule *r = rs->rules[idx];
	size_t i = sid_slot(r->gid, r->sid, rs->sid_hash_cap);
	while (rs->sid_hash[i])
		i = (i + 1) & (rs->sid_hash_cap - 1);
	rs->sid_hash[i] = (uint32_t)idx + 1;
}

static bool pkw_packet_only(const struct rule *r)
{
	for (int i = 0; i < r->npkw; i++)
		if (r->pkw[i].kind != PK_STREAM_SIZE)
			return true;
	return false;
}

/* Suricata's IP-only rules: addresses (and ports) only, flowbits that only set, thresholds. */
static bool iponly_ok(const struct rule *r)
{
	if (r->nops || r->nlists || r->has_dsize || r->npkw || r->nattrs || r->app_event || r->app[0] || r->flow ||
	    r->variant || r->has_xbits)
		return false;
	for (size_t i = 0; i < r->nflowbits; i++)
		if (r->flowbits[i].cmd == FB_ISSET || r->flowbits[i].cmd == FB_ISNOTSET)
			return false;
	return true;
}

/* ---------------------------------------------------------------- fast pattern */

/* Byte strings frequent in ordinary traffic: a fast pattern made of them hits on every SMB
 * message or HTTP exchange. */
static const struct {
	const char *w;
	size_t n;
} common_words[] = {
	{"SMB", 3}, {"HTTP/1.", 7}, {"\r\nHost: ", 8},
	{"GET /", 5}, {"POST /", 6}, {"\r\n\r\n", 4},
};

unsigned rule_pattern_strength(const uint8_t *p, size_t n, bool nocase)
{
	if (n > RULE_FP_SCORED)
		n = RULE_FP_SCORED;
	bool covered[RULE_FP_SCORED] = {false};
	for (size_t w = 0; w < sizeof(common_words) / sizeof(common_words[0]); w++) {
		size_t wn = common_words[w].n;
		const uint8_t *wp = (const uint8_t *)common_words[w].w;
		for (size_t i = 0; i + wn <= n; i++) {
			size_t k = 0;
			while (k < wn && (nocase ? tolower(p[i + k]) == tolower(wp[k]) : p[i + k] == wp[k]))
				k++;
			if (k == wn)
				for (k = 0; k < wn; k++)
					covered[i + k] = true;
		}
	}
	bool seen[256] = {false};
	unsigned s = 0, distinct = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = nocase ? (uint8_t)tolower(p[i]) : p[i];
		bool first = !seen[c];
		if (first)
			distinct++;
		seen[c] = true;
		if (covered[i])
			continue;
		if (c == 0)
			s += first ? 1 : 0;
		else if (!first)
			s += 1;
		else if (isalpha(c))
			s += 3;
		else if (isprint(c) || c == 0x01 || c == 0xff)
			s += 4;
		else
			s += 6;
	}
	return distinct <= 1 ? 1 : s;
}

/* Can content op be checked at a few fixed positions of the buffer (not relative, constant
 * offset and depth), with at most maxpos start positions? */
static bool content_anchored(const struct rule_op *op, size_t maxpos)
{
	if (op->u.content.relative || !op->u.content.has_depth || op->u.content.depth.var >= 0 ||
	    (op->u.content.has_offset && op->u.content.offset.var >= 0))
		return false;
	return (size_t)op->u.content.depth.v < op->u.content.len + maxpos;
}

/* The fast pattern of r. A tx rule: the fast_pattern content, else the longest positive content
 * of the buffers it is prefiltered on (its payload contents are checked, not prefiltered). A
 * payload rule: by rarity (rule_pattern_strength), as Suricata's fast-pattern priority: the
 * fast_pattern content unless it is a common pattern of RULE_FP_MIN bytes or more and another
 * content is not; else the rarest content that is not common (ties: the longest); else the
 * rarest of the common contents and of the short ones anchored within RULE_FP_WINDOW
 * positions (ties: an anchored one, then the longest; a common anchored one is then checked at
 * its positions, fp_direct); else (only short unanchored contents) the longest.
 * Any positive content is a sound prefilter; the choice only changes speed. */
static void choose_fp(struct rule *r, bool tx)
{
	r->fp_op = -1;
	r->fp_direct = false;
	int expl = -1, longest = -1, good = -1, weak = -1;
	unsigned sgood = 0, sweak = 0;
	bool weak_anch = false;
	size_t best = 0;
	for (size_t i = 0; i < r->nops; i++) {
		struct rule_op *op = &r->ops[i];
		if (op->kind != OP_CONTENT || op->u.content.neg)
			continue;
		if (tx && r->lists[op->list].kind == 0)
			continue;
		if (op->u.content.fast_pattern && expl < 0)
			expl = (int)i;
		if (op->u.content.len > best) {
			best = op->u.content.len;
			longest = (int)i;
		}
		if (tx)
			continue;
		size_t len = op->u.content.len;
		unsigned sc = rule_pattern_strength(op->u.content.pat, len, op->u.content.nocase);
		if (len >= RULE_FP_MIN && sc >= RULE_FP_POOR) {
			if (good < 0 || sc > sgood || (sc == sgood && len > r->ops[good].u.content.len)) {
				good = (int)i;
				sgood = sc;
			}
			continue;
		}
		/* common or short: the rarest, an anchored one first on a tie, then the longest */
		bool anch = content_anchored(op, RULE_FP_WINDOW);
		if (!anch && len < RULE_FP_MIN)
			continue;
		if (weak < 0 || sc > sweak ||
		    (sc == sweak && (anch > weak_anch || (anch == weak_anch && len > r->ops[weak].u.content.len)))) {
			weak = (int)i;
			sweak = sc;
			weak_anch = anch;
		}
	}
	if (tx) {
		r->fp_op = expl >= 0 ? expl : longest;
		return;
	}
	if (expl >= 0) {
		const struct rule_op *e = &r->ops[expl];
		if (e->u.content.len < RULE_FP_MIN || good < 0 ||
		    rule_pattern_strength(e->u.content.pat, e->u.content.len, e->u.content.nocase) >= RULE_FP_POOR) {
			r->fp_op = expl; /* the author's choice, unless it is common and a rarer one exists */
			return;
		}
	}
	if (good >= 0) {
		r->fp_op = good;
	} else if (weak >= 0) {
		r->fp_op = weak;
		r->fp_direct = weak_anch && r->ops[weak].u.content.len >= RULE_FP_MIN;
	} else {
		r->fp_op = longest;
	}
}

/* The tx rule r in direction d: the progress bits it waits for, 0 when it cannot run in d. */
static uint32_t tx_progress(const struct rule_set *rs, const struct rule *r, enum flow_dir d)
{
	if ((r->flow & RF_TO_SERVER) && d != DIR_TO_SERVER)
		return 0;
	if ((r->flow & RF_TO_CLIENT) && d != DIR_TO_CLIENT)
		return 0;
	uint32_t n = ib_first_progress(r->tx_app, d);
	bool ts_only = false, tc_only = false;
	for (int i = 0; i < r->nlists; i++) {
		const struct ib_def *def = &ib_table[rs->kinds[r->lists[i].kind].ib];
		if (!r->lists[i].kind)
			continue;
		if (def->dirs == IBD_TS) {
			ts_only = true;
			n |= def->prog_ts;
		} else if (def->dirs == IBD_TC) {
			tc_only = true;
			n |= def->prog_tc;
		} else {
			n |= d == DIR_TO_SERVER ? def->prog_ts : def->prog_tc;
		}
	}
	if (tc_only && d == DIR_TO_SERVER)
		return 0;
	/* a rule without a direction that uses request-only buffers is a request rule, unless it also
	 * uses a response-only one (then it runs on the response and sees the request's buffers) */
	if (!(r->flow & (RF_TO_SERVER | RF_TO_CLIENT)) && ts_only && !tc_only && d == DIR_TO_CLIENT)
		return 0;
	return n ? n : 1;
}

static int finish_rule(struct pctx *p, struct rule *r)
{
	if (!r->sid)
		return perr(p, "sid", "missing");
	if (!r->msg)
		r->msg = kg_strdup("", "rule msg");
	if (!r->gid)
		r->gid = 1;
	if (!r->rev)
		r->rev = 1;
	/* a sticky buffer (or transform) with nothing after it still names a buffer to inspect */
	if (p->cur_ib != IB_NONE && p->cur_list < 0 && cur_list(p, r, ib_table[p->cur_ib].name) < 0)
		return RULE_ERR_SYNTAX;
	/* ops grouped by list (stable: qsort on the address order is not stable, so tag first) */
	struct tagged_op {
		struct rule_op op;
		size_t pos;
	} *tagged = p->nops ? kg_malloc(p->nops * sizeof(*tagged), "rule ops") : NULL;
	for (size_t i = 0; i < p->nops; i++) {
		tagged[i].op = p->ops[i];
		tagged[i].pos = i;
	}
	for (size_t i = 1; i < p->nops; i++) /* insertion sort by (list, pos): few ops */
		for (size_t j = i; j > 0 && (tagged[j - 1].op.list > tagged[j].op.list); j--) {
			struct tagged_op t = tagged[j];
			tagged[j] = tagged[j - 1];
			tagged[j - 1] = t;
		}
	r->ops = p->nops ? kg_malloc(p->nops * sizeof(*r->ops), "rule ops") : NULL;
	for (size_t i = 0; i < p->nops; i++)
		r->ops[i] = tagged[i].op;
	free(tagged);
	r->nops = p->nops;
	p->nops = 0; /* owned by r now */
	/* a payload list whose ops all moved to buffers (legacy modifiers, pcre buffer flags) is no
	 * list: drop it and renumber */
	uint8_t used[RULE_MAX_LISTS] = {0}, map[RULE_MAX_LISTS];
	for (size_t i = 0; i < r->nops; i++)
		used[r->ops[i].list] = 1;
	uint8_t nl = 0;
	for (int l = 0; l < r->nlists; l++) {
		if (!used[l] && r->lists[l].kind == 0)
			continue;
		map[l] = nl;
		r->lists[nl++] = r->lists[l];
	}
	r->nlists = nl;
	for (size_t i = 0; i < r->nops; i++)
		r->ops[i].list = map[r->ops[i].list];
	for (int l = 0; l < r->nlists; l++) {
		r->lists[l].first = 0;
		r->lists[l].n = 0;
	}
	for (size_t i = r->nops; i-- > 0;) {
		r->lists[r->ops[i].list].first = (uint16_t)i;
		r->lists[r->ops[i].list].n++;
	}
	/* the app protocol of the buffers */
	const struct rule_set *rs = p->rs;
	bool tx = r->nattrs > 0 && r->attrs[0].attr != 255;
	for (int i = 0; i < r->nattrs; i++)
		if (r->attrs[i].attr != 255) {
			tx = true;
			r->tx_app = "tls";
		}
	for (int l = 0; l < r->nlists; l++) {
		if (!r->lists[l].kind)
			continue;
		const struct ib_def *def = &ib_table[rs->kinds[r->lists[l].kind].ib];
		const char *app = def->app;
		if (def->id == IB_FILE_DATA && r->app[0])
			app = r->app; /* file.data of smtp, http, ... */
		if (r->tx_app && strcmp(r->tx_app, app) != 0)
			return perr(p, def->name, "buffers of two protocols (%s and %s) in one rule", r->tx_app, app);
		r->tx_app = rule_app_name(rule_app_index(app));
		tx = true;
	}
	if (tx && r->app[0] && strcmp(r->app, r->tx_app) != 0 && strcmp(r->app, "dcerpc") != 0)
		return perr(p, NULL, "header protocol '%s' but buffers of '%s'", r->app, r->tx_app);
	choose_fp(r, tx);
	r->needs_payload = r->has_dsize;
	for (int l = 0; l < r->nlists; l++)
		if (!r->lists[l].kind)
			r->needs_payload = true;
	if ((r->flow & RF_ONLY_STREAM) && r->has_dsize)
		return perr(p, "dsize", "cannot be used with flow:only_stream (dsize is per packet)");
	if (r->variant == RV_STREAM && (r->has_dsize || (r->flow & RF_NO_STREAM)))
		return perr(p, NULL, "tcp-stream rule with dsize or flow:no_stream");
	if (r->variant == RV_PKT && (r->flow & RF_ONLY_STREAM))
		return perr(p, "flow", "only_stream on a packet-only (%s-pkt) rule", r->proto == RP_UDP ? "udp" : "tcp");
	if (r->proto == RP_ICMP && (r->flow & RF_ONLY_STREAM))
		return perr(p, "flow", "only_stream on an icmp rule");
	if (tx && r->app_event)
		return perr(p, "app-layer-event", "cannot be combined with inspection buffers");
	/* where the rule runs */
	if (tx) {
		r->path = PATH_TX;
		r->prog[0] = tx_progress(rs, r, DIR_TO_SERVER);
		r->prog[1] = tx_progress(rs, r, DIR_TO_CLIENT);
		if (!r->prog[0] && !r->prog[1])
			return perr(p, NULL, "no direction fits the rule's buffers and flow keyword");
	} else if (r->app_event) {
		r->path = PATH_EVENT;
	} else if (iponly_ok(r)) {
		r->path = PATH_IPONLY;
	} else if (rule_is_stream(r)) {
		r->path = PATH_STREAM;
	} else {
		r->path = PATH_PACKET;
	}
	const struct rule *dup = sid_find(p->rs, r->gid, r->sid);
	if (dup)
		return perr(p, "sid", "duplicate sid %u (also at %s:%u)", r->sid, dup->file, dup->line);
	return RULE_OK;
}

int rule_parse_line(struct rule_set *rs, const struct rule_parse_cfg *cfg, const char *text, const char *file,
		    unsigned line, char *errbuf, size_t errlen)
{
	struct pctx *p = kg_calloc(1, sizeof(*p), "rule parser");
	*p = (struct pctx){.rs = rs, .cfg = cfg, .file = file, .line = line, .errbuf = errbuf, .errlen = errlen,
			   .cur_ib = IB_NONE, .cur_list = -1};
	int rc = RULE_OK;
	if (rs->n >= RULESET_MAX_RULES) {
		snprintf(errbuf, errlen, "%s:%u: more than %d rules", file, line, RULESET_MAX_RULES);
		free(p);
		return RULE_ERR_LIMIT;
	}
	size_t len = strlen(text);
	if (len > RULE_MAX_LINE) {
		rc = perr(p, NULL, "rule longer than %d bytes", RULE_MAX_LINE);
		free(p);
		return rc;
	}
	char *buf = kg_strdup(text, "rule text");
	char *open = strchr(buf, '(');
	if (!open) {
		free(buf);
		rc = perr(p, NULL, "no '(' starting the options");
		free(p);
		return rc;
	}
	char *end = buf + strlen(buf);
	while (end > open && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
		end--;
	if (end == open + 1 || end[-1] != ')') {
		free(buf);
		rc = perr(p, NULL, "options must end with ')'");
		free(p);
		return rc;
	}
	end[-1] = '\0';
	*open = '\0';
	struct rule *r = kg_calloc(1, sizeof(*r), "rule");
	r->fp_op = -1;
	rc = parse_header(p, r, buf);
	char *s = open + 1;
	/* options: name[:value]; ... quotes are opaque, backslash escapes the next char */
	while (!rc) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		char *name = s;
		while (*s && *s != ':' && *s != ';')
			s++;
		char *val = NULL;
		if (*s == ':') {
			*s++ = '\0';
			val = s;
			/* Suricata's rule grammar: a value ends at the first ';' not escaped by a
			 * backslash, quotes or not */
			while (*s && *s != ';') {
				if (*s == '\\' && s[1])
					s++;
				s++;
			}
		}
		if (*s != ';') {
			rc = perr(p, trim(name), "missing ';' after the option");
			break;
		}
		*s++ = '\0';
		name = trim(name);
		if (!*name) {
			rc = perr(p, NULL, "empty option");
			break;
		}
		rc = apply_option(p, r, name, val);
	}
	if (!rc)
		rc = finish_rule(p, r);
	free(buf);
	pctx_ops_free(p);
	free(p);
	if (rc) {
		rule_free(r);
		return rc;
	}
	r->file = kg_strdup(file, "rule file");
	r->line = line;
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 64;
		rs->rules = kg_realloc(rs->rules, rs->cap * sizeof(*rs->rules), "rule set");
	}
	r->index = (uint32_t)rs->n;
	rs->rules[rs->n++] = r;
	sid_insert(rs, r->index);
	if (r->action == ACT_PASS)
		rs->has_pass = true;
	return RULE_OK;
}

int rule_parse_text(struct rule_set *rs, const struct rule_parse_cfg *cfg, const char *text, size_t len,
		    const char *file, char *errbuf, size_t errlen)
{
	struct strbuf sb;
	sb_init(&sb, RULE_MAX_LINE + 2);
	unsigned line = 0, first = 0;
	size_t i = 0;
	int rc = RULE_OK;
	while (i < len) {
		size_t j = i;
		while (j < len && text[j] != '\n')
			j++;
		line++;
		const char *l = text + i;
		size_t ll = j - i;
		i = j + 1;
		while (ll && (l[ll - 1] == '\r' || l[ll - 1] == ' ' || l[ll - 1] == '\t'))
			ll--;
		bool cont = ll && l[ll - 1] == '\\';
		if (cont)
			ll--;
		if (sb.len == 0) {
			size_t k = 0;
			while (k < ll && (l[k] == ' ' || l[k] == '\t'))
				k++;
			if (k == ll || l[k] == '#')
				continue;
			first = line;
		}
		if (memchr(l, '\0', ll)) {
			sb_reset(&sb);
			struct pctx p = {.file = file, .line = line, .errbuf = errbuf, .errlen = errlen};
			rc = perr(&p, NULL, "NUL byte in rule text");
			if (!cfg->lax)
				break;
			rs->skipped++;
			continue;
		}
		if (!sb_append(&sb, l, ll) || (cont && !sb_putc(&sb, ' '))) {
			struct pctx p = {.file = file, .line = first, .errbuf = errbuf, .errlen = errlen};
			rc = perr(&p, NULL, "rule longer than %d bytes", RULE_MAX_LINE);
			sb_free(&sb);
			sb_init(&sb, RULE_MAX_LINE + 2);
			if (!cfg->lax)
				break;
			rs->skipped++;
			rc = RULE_OK;
			continue;
		}
		if (cont && i < len)
			continue;
		rc = rule_parse_line(rs, cfg, sb_cstr(&sb), file, first, errbuf, errlen);
		sb_reset(&sb);
		if (rc == RULE_ERR_SYNTAX && cfg->lax) {
			rs->skipped++;
			if (cfg->warn)
				fprintf(cfg->warn, "kagami: skipped rule: %s\n", errbuf);
			rc = RULE_OK;
		} else if (rc) {
			break;
		}
	}
	sb_free(&sb);
	return rc;
}

static int str_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int parse_file(struct rule_set *rs, const struct rule_parse_cfg *cfg, const char *path, char *errbuf,
		      size_t errlen)
{
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		return RULE_ERR_IO;
	}
	struct strbuf sb;
	sb_init(&sb, 256u << 20);
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (!sb_append(&sb, chunk, n))
			break;
	bool bad = ferror(fp) || sb.overflow;
	fclose(fp);
	if (bad) {
		sb_free(&sb);
		snprintf(errbuf, errlen, "%s: read error or file larger than 256 MiB", path);
		return RULE_ERR_IO;
	}
	rs->files++;
	int rc = rule_parse_text(rs, cfg, sb.data ? sb.data : "", sb.len, path, errbuf, errlen);
	sb_free(&sb);
	return rc;
}

int rule_parse_path(struct rule_set *rs, const struct rule_parse_cfg *cfg, const char *path, char *errbuf,
		    size_t errlen)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		return RULE_ERR_IO;
	}
	if (!S_ISDIR(st.st_mode))
		return parse_file(rs, cfg, path, errbuf, errlen);
	/* the directory's own classification.config (ET ships its classtypes), read once */
	if (!rs->class_file) {
		size_t need = strlen(path) + sizeof("/classification.config");
		char *cf = kg_malloc(need, "classification file");
		snprintf(cf, need, "%s/classification.config", path);
		int rc = access(cf, R_OK) == 0 ? rule_set_classes(rs, cf, errbuf, errlen) : RULE_OK;
		free(cf);
		if (rc)
			return rc;
	}
	DIR *d = opendir(path);
	if (!d) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		return RULE_ERR_IO;
	}
	char **names = NULL;
	size_t nn = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (de->d_name[0] == '.' || l <= 6 || strcmp(de->d_name + l - 6, ".rules") != 0)
			continue;
		names = kg_realloc(names, (nn + 1) * sizeof(*names), "rule files");
		size_t need = strlen(path) + l + 2;
		names[nn] = kg_malloc(need, "rule file");
		snprintf(names[nn], need, "%s/%s", path, de->d_name);
		nn++;
	}
	closedir(d);
	if (nn > 1)
		qsort(names, nn, sizeof(*names), str_cmp);
	int rc = RULE_OK;
	for (size_t i = 0; i < nn; i++) {
		if (!rc)
			rc = parse_file(rs, cfg, names[i], errbuf, errlen);
		free(names[i]);
	}
	free(names);
	if (!rc && nn == 0) {
		snprintf(errbuf, errlen, "%s: no *.rules files in the directory", path);
		return RULE_ERR_IO;
	}
	return rc;
}

/* ---------------------------------------------------------------- paths */

bool rule_is_stream(const struct rule *r)
{
	return (r->proto == RP_TCP || r->proto == RP_IP) && r->needs_payload && !r->has_dsize &&
	       !(r->flow & RF_NO_STREAM) && !r->app_event && r->variant != RV_PKT && !pkw_packet_only(r) &&
	       r->path != PATH_TX;
}

int rule_set_compile(struct rule_set *rs, char *errbuf, size_t errlen)
{
	if (rs->det)
		return RULE_OK;
	return detect_build(rs, rs->mpm, errbuf, errlen);
}
