/* rules.c - parser for Suricata/Snort-style rules (Suricata 7 rule format, the subset in README
 * "Signatures"): header with variables, lists, ranges and negation; payload, flow, flowbits,
 * threshold and app-layer-event options. Every error names file:line and the option. */
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

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "ac.h"
#include "util/util.h"

#define MAX_VAR_DEPTH 8     /* $VAR expansions nested */
#define MAX_LIST_ITEMS 4096 /* items in one address or port list */
#define AC_MAX_BYTES (512u << 20)

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

/* Suricata's classification.config: name and default priority. */
static const struct {
	const char *name;
	uint8_t prio;
} classtypes[] = {
	{"not-suspicious", 3}, {"unknown", 3}, {"bad-unknown", 2}, {"attempted-recon", 2},
	{"successful-recon-limited", 2}, {"successful-recon-largescale", 2}, {"attempted-dos", 2},
	{"successful-dos", 2}, {"attempted-user", 1}, {"unsuccessful-user", 1}, {"successful-user", 1},
	{"attempted-admin", 1}, {"successful-admin", 1}, {"rpc-portmap-decode", 2}, {"shellcode-detect", 1},
	{"string-detect", 3}, {"suspicious-filename-detect", 2}, {"suspicious-login", 2},
	{"system-call-detect", 2}, {"tcp-connection", 4}, {"trojan-activity", 1}, {"unusual-client-port-connection", 2},
	{"network-scan", 3}, {"denial-of-service", 2}, {"non-standard-protocol", 2}, {"protocol-command-decode", 3},
	{"web-application-activity", 2}, {"web-application-attack", 1}, {"misc-activity", 3}, {"misc-attack", 2},
	{"icmp-event", 3}, {"inappropriate-content", 1}, {"policy-violation", 1}, {"default-login-attempt", 2},
	{"targeted-activity", 1}, {"exploit-kit", 1}, {"external-ip-check", 2}, {"domain-c2", 1},
	{"pup-activity", 2}, {"credential-theft", 1}, {"social-engineering", 2}, {"coin-mining", 2},
	{"command-and-control", 1}, {"sdf", 2}, {"file-format", 1}, {"malware-cnc", 1}, {"client-side-exploit", 1},
};

uint8_t rule_severity(const struct rule *r)
{
	if (r->priority)
		return r->priority;
	if (r->classtype)
		for (size_t i = 0; i < KG_ARRAY_LEN(classtypes); i++)
			if (!strcmp(classtypes[i].name, r->classtype))
				return classtypes[i].prio;
	return 3;
}

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
	{"DC_SERVERS", "$HOME_NET"}, {"AIM_SERVERS", "$EXTERNAL_NET"}, {"HTTP_PORTS", "80"},
	{"SHELLCODE_PORTS", "!80"}, {"ORACLE_PORTS", "1521"}, {"SSH_PORTS", "22"}, {"FTP_PORTS", "21"},
	{"SMB_PORTS", "[139,445]"}, {"DNS_PORTS", "53"}, {"FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]"},
	{"TLS_PORTS", "443"},
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

/* ---------------------------------------------------------------- addresses */

static void addr_set_free(struct addr_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		addr_set_free(s->items[i].set);
	free(s->items);
	free(s);
}

static void port_set_free(struct port_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		port_set_free(s->items[i].set);
	free(s->items);
	free(s);
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

/* Parse an address expression into set (appending one item). */
static int addr_parse_into(struct pctx *p, struct addr_set *set, const char *e, int depth, const char *what, bool neg)
{
	if (depth > MAX_VAR_DEPTH)
		return perr(p, NULL, "%s: variables or lists nested deeper than %d", what, MAX_VAR_DEPTH);
	if (set->n >= MAX_LIST_ITEMS)
		return perr(p, NULL, "%s: more than %d list items", what, MAX_LIST_ITEMS);
	while (*e == '!') {
		neg = !neg;
		e++;
	}
	if (!strcmp(e, "any")) {
		if (neg)
			return perr(p, NULL, "%s: '!any' matches nothing", what);
		set->any = true;
		return RULE_OK;
	}
	if (*e == '$' || *e == '[') {
		const char *body = e;
		char *tmp = NULL;
		if (*e == '$') {
			body = lookup_var(p, e + 1);
			if (!body)
				return perr(p, NULL, "%s: undefined variable '%s' (set it with --var or in the configuration)",
					    what, e);
		}
		struct addr_set *sub = kg_calloc(1, sizeof(*sub), "rule addresses");
		int rc;
		size_t bl = strlen(body);
		if (body[0] == '[' && bl >= 2 && body[bl - 1] == ']') {
			tmp = kg_strdup(body + 1, "rule list");
			tmp[bl - 2] = '\0';
			rc = split_list(p, sub, tmp, depth + 1, what, addr_elem);
		} else if (body[0] == '[') {
			rc = perr(p, NULL, "%s: unbalanced '[' in '%s'", what, body);
		} else {
			rc = addr_elem(p, sub, body, depth + 1, what);
		}
		free(tmp);
		if (rc) {
			addr_set_free(sub);
			return rc;
		}
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
	*out = set;
	return RULE_OK;
}

static bool prefix_match(const uint8_t *a, const uint8_t *net, unsigned prefix)
{
	unsigned full = prefix / 8, rem = prefix % 8;
	if (memcmp(a, net, full) != 0)
		return false;
	if (rem) {
		uint8_t m = (uint8_t)(0xff << (8 - rem));
		if ((a[full] & m) != (net[full] & m))
			return false;
	}
	return true;
}

bool addr_set_match(const struct addr_set *s, int family, const uint8_t *addr)
{
	bool pos_seen = s->any, pos_hit = s->any;
	for (size_t i = 0; i < s->n; i++) {
		const struct addr_item *it = &s->items[i];
		bool m;
		if (it->is_set)
			m = addr_set_match(it->set, family, addr);
		else
			m = it->family == family && prefix_match(addr, it->addr, it->prefix);
		if (it->neg) {
			if (m)
				return false;
		} else {
			pos_seen = true;
			if (m)
				pos_hit = true;
		}
	}
	return pos_seen ? pos_hit : true;
}

/* ---------------------------------------------------------------- ports */

static int port_elem(struct pctx *p, void *vset, const char *e, int depth, const char *what);

static int port_parse_into(struct pctx *p, struct port_set *set, const char *e, int depth, const char *what, bool neg)
{
	if (depth > MAX_VAR_DEPTH)
		return perr(p, NULL, "%s: variables or lists nested deeper than %d", what, MAX_VAR_DEPTH);
	if (set->n >= MAX_LIST_ITEMS)
		return perr(p, NULL, "%s: more than %d list items", what, MAX_LIST_ITEMS);
	while (*e == '!') {
		neg = !neg;
		e++;
	}
	if (!strcmp(e, "any")) {
		if (neg)
			return perr(p, NULL, "%s: '!any' matches nothing", what);
		set->any = true;
		return RULE_OK;
	}
	if (*e == '$' || *e == '[') {
		const char *body = e;
		char *tmp = NULL;
		if (*e == '$') {
			body = lookup_var(p, e + 1);
			if (!body)
				return perr(p, NULL, "%s: undefined variable '%s' (set it with --var or in the configuration)",
					    what, e);
		}
		struct port_set *sub = kg_calloc(1, sizeof(*sub), "rule ports");
		int rc;
		size_t bl = strlen(body);
		if (body[0] == '[' && bl >= 2 && body[bl - 1] == ']') {
			tmp = kg_strdup(body + 1, "rule list");
			tmp[bl - 2] = '\0';
			rc = split_list(p, sub, tmp, depth + 1, what, port_elem);
		} else if (body[0] == '[') {
			rc = perr(p, NULL, "%s: unbalanced '[' in '%s'", what, body);
		} else {
			rc = port_elem(p, sub, body, depth + 1, what);
		}
		free(tmp);
		if (rc) {
			port_set_free(sub);
			return rc;
		}
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
	*out = set;
	return RULE_OK;
}

bool port_set_match(const struct port_set *s, uint16_t port)
{
	bool pos_seen = s->any, pos_hit = s->any;
	for (size_t i = 0; i < s->n; i++) {
		const struct port_item *it = &s->items[i];
		bool m = it->is_set ? port_set_match(it->set, port) : (port >= it->lo && port <= it->hi);
		if (it->neg) {
			if (m)
				return false;
		} else {
			pos_seen = true;
			if (m)
				pos_hit = true;
		}
	}
	return pos_seen ? pos_hit : true;
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
	free(r->msg);
	free(r->classtype);
	free(r->app_event);
	free(r->file);
	free(r);
}

struct rule_set *rule_set_new(void) { return kg_calloc(1, sizeof(struct rule_set), "rule set"); }

void rule_set_free(struct rule_set *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->n; i++)
		rule_free(rs->rules[i]);
	free(rs->rules);
	for (size_t i = 0; i < rs->nflowbits; i++)
		free(rs->flowbit_names[i]);
	free(rs->sid_hash);
	for (size_t g = 0; g < KG_ARRAY_LEN(rs->grp); g++) {
		ac_free(rs->grp[g].ac);
		free(rs->grp[g].nofp);
	}
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
				return perr(p, opt, "unknown escape '\\%c'", c);
			}
		} else if (c == '"') {
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
static int parse_content(struct pctx *p, const char *raw, uint8_t **pat, size_t *plen, bool *neg)
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
	int rc = unquote(p, "content", raw, s, n + 1);
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
				return perr(p, "content", "odd number of hex digits");
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
				return perr(p, "content", "bad hex digit '%c'", bc);
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
		return perr(p, "content", "unterminated |hex| block");
	}
	if (o == 0) {
		free(out);
		return perr(p, "content", "empty pattern");
	}
	if (o > RULE_MAX_PATTERN) {
		free(out);
		return perr(p, "content", "pattern longer than %d bytes", RULE_MAX_PATTERN);
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

static struct rule_op *last_content(struct rule *r)
{
	for (size_t i = r->nops; i > 0; i--)
		if (r->ops[i - 1].kind == OP_CONTENT)
			return &r->ops[i - 1];
	return NULL;
}

static struct rule_op *new_op(struct pctx *p, struct rule *r, const char *opt, enum op_kind k)
{
	if (r->nops >= RULE_MAX_OPS) {
		perr(p, opt, "more than %d detection options", RULE_MAX_OPS);
		return NULL;
	}
	struct rule_op *op = &r->ops[r->nops++];
	memset(op, 0, sizeof(*op));
	op->kind = k;
	return op;
}

/* Common tail of byte_test/byte_jump/byte_extract: flags after the positional fields. */
static int byte_flags(struct pctx *p, const char *opt, char **f, int n, int from, struct byte_read *br,
		      uint32_t *multiplier, uint8_t *align, bool *from_beginning, int64_t *post_offset)
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
	if (!parse_int(f[0], 1, 10, &nb))
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
	int rc = byte_flags(p, "byte_test", f, n, 4, &op->u.bt.r, NULL, NULL, NULL, NULL);
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
			  &op->u.bj.from_beginning, &op->u.bj.post_offset);
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
	int rc = byte_flags(p, "byte_extract", f, n, 3, &op->u.be.r, &op->u.be.multiplier, &op->u.be.align, NULL, NULL);
	if (rc)
		return rc;
	strcpy(p->varnames[r->nvars], name);
	op->u.be.var = (int8_t)r->nvars++;
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
		default: {
			char flag = *c;
			free(s);
			return perr(p, "pcre", "unsupported modifier '%c' (supported: i s m x A E G R B)", flag);
		}
		}
	}
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
	op->u.pcre.code = code;
	op->u.pcre.relative = rel;
	op->u.pcre.neg = neg;
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

static int flowbit_index(struct pctx *p, const char *name)
{
	for (size_t i = 0; i < p->rs->nflowbits; i++)
		if (!strcmp(p->rs->flowbit_names[i], name))
			return (int)i;
	if (p->rs->nflowbits >= RULESET_MAX_FLOWBIT_NAMES)
		return -1;
	p->rs->flowbit_names[p->rs->nflowbits] = kg_strdup(name, "flowbit name");
	return (int)p->rs->nflowbits++;
}

static int opt_flowbits(struct pctx *p, struct rule *r, char *v)
{
	char *f[3];
	int n = split_fields(v, f, 3);
	if (n < 1 || n > 2)
		return perr(p, "flowbits", "expected 'command[,name]'");
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
		return perr(p, "flowbits", "unknown command '%s'", c);
	if (cmd == FB_NOALERT) {
		if (n != 1)
			return perr(p, "flowbits", "noalert takes no name");
		r->noalert = true;
		return RULE_OK;
	}
	if (n != 2 || !*f[1])
		return perr(p, "flowbits", "'%s' needs a name", c);
	for (const char *s = f[1]; *s; s++)
		if (*s == '|' || *s == '&' || *s == ' ')
			return perr(p, "flowbits", "name lists ('|', '&') are not supported: '%s'", f[1]);
	if (r->nflowbits >= RULE_MAX_FLOWBITS)
		return perr(p, "flowbits", "more than %d flowbits options", RULE_MAX_FLOWBITS);
	int idx = flowbit_index(p, f[1]);
	if (idx < 0)
		return perr(p, "flowbits", "more than %d flowbit names in the rule set", RULESET_MAX_FLOWBIT_NAMES);
	r->flowbits[r->nflowbits].cmd = cmd;
	r->flowbits[r->nflowbits].bit = (uint16_t)idx;
	r->nflowbits++;
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

/* Content modifiers apply to the last content. */
static int opt_content_mod(struct pctx *p, struct rule *r, const char *name, char *v)
{
	struct rule_op *op = last_content(r);
	if (!op)
		return perr(p, name, "no content before it");
	if (!strcmp(name, "nocase")) {
		if (v)
			return perr(p, name, "takes no value");
		op->u.content.nocase = true;
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
		for (size_t i = 0; i < r->nops; i++)
			if (r->ops[i].kind == OP_CONTENT && r->ops[i].u.content.fast_pattern)
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
	if (n == 2) {
		if (strcmp(f[1], "relative") != 0)
			return perr(p, "isdataat", "unknown flag '%s'", f[1]);
		op->u.isdataat.relative = true;
	} else if (n != 1) {
		return perr(p, "isdataat", "expected 'N[,relative]'");
	}
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
	if (strncmp(v, "tls.", 4) != 0 && strncmp(v, "smb.", 4) != 0)
		return perr(p, "app-layer-event", "no dissector raises events for '%.*s' (supported: tls, smb)",
			    (int)(dot - v), v);
	for (const char *c = dot + 1; *c; c++)
		if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) && *c != '_')
			return perr(p, "app-layer-event", "bad event name '%s'", v);
	r->app_event = kg_strdup(v, "rule event");
	return RULE_OK;
}

/* Keywords recognised as Suricata's but not implemented: a clear message instead of "unknown". */
static const char *const unsupported[] = {
	"http.uri", "http_uri", "http.header", "http_header", "http.method", "http_method", "http.host",
	"http.user_agent", "http.request_body", "http_client_body", "http.cookie", "http.stat_code",
	"http.response_body", "file_data", "file.data", "dns.query", "dns_query", "tls.sni", "tls_sni",
	"tls.cert_subject", "tls.cert_issuer", "ja3.hash", "ja3_hash", "ja3s.hash", "smb.named_pipe",
	"smb.share", "dce_iface", "dce_opnum", "dce_stub_data", "base64_decode", "base64_data", "pkt_data",
	"uricontent", "rawbytes", "urilen", "flags", "ttl", "tos", "id", "ipopts", "fragbits", "fragoffset",
	"seq", "ack", "window", "itype", "icode", "icmp_id", "icmp_seq", "ip_proto", "sameip", "stream_size",
	"startswith", "endswith", "bsize", "byte_math", "entropy", "xbits", "hostbits", "tag",
	"filestore", "filemagic", "filename", "fileext", "filemd5", "filesha256", "lua", "luajit", "datarep",
	"dataset", "iprep", "app-layer-protocol", "transform", "to_lowercase", "dotprefix", "strip_whitespace",
	"ssl_version", "ssl_state", "tls.version", "tls.store", "replace", "prefilter", "requires", "config",
	"asn1", "ftpbounce", "ftpdata_command", "krb5_msg_type", "snmp.version", "modbus", "dnp3_func",
	"enip_command", "cip_service", "sip.method", "ssh.proto", "ssh.software", "nfs_procedure",
};

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
		for (size_t i = 0; i < KG_ARRAY_LEN(classtypes); i++)
			if (!strcmp(classtypes[i].name, v)) {
				free(r->classtype);
				r->classtype = kg_strdup(v, "rule classtype");
				return RULE_OK;
			}
		return perr(p, name, "unknown classtype '%s'", v);
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
	if (!strcmp(name, "content")) {
		if (!v)
			return perr(p, name, "needs a value");
		struct rule_op *op = new_op(p, r, name, OP_CONTENT);
		if (!op)
			return RULE_ERR_SYNTAX;
		return parse_content(p, v, &op->u.content.pat, &op->u.content.len, &op->u.content.neg);
	}
	if (!strcmp(name, "nocase") || !strcmp(name, "offset") || !strcmp(name, "depth") ||
	    !strcmp(name, "distance") || !strcmp(name, "within") || !strcmp(name, "fast_pattern"))
		return opt_content_mod(p, r, name, v);
	if (!strcmp(name, "noalert")) {
		if (v)
			return perr(p, name, "takes no value");
		r->noalert = true;
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
	if (!strcmp(name, "isdataat"))
		return opt_isdataat(p, r, v);
	if (!strcmp(name, "dsize"))
		return opt_dsize(p, r, v);
	if (!strcmp(name, "flow"))
		return opt_flow(p, r, v);
	if (!strcmp(name, "flowbits"))
		return opt_flowbits(p, r, v);
	if (!strcmp(name, "threshold"))
		return opt_threshold(p, r, v, false);
	if (!strcmp(name, "detection_filter"))
		return opt_threshold(p, r, v, true);
	if (!strcmp(name, "app-layer-event"))
		return opt_app_event(p, r, v);
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
	else if (*c == '(') {
		/* leave '(' for the caller: copy-free split is impossible here, so refuse */
		return NULL;
	}
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
	if (!strcmp(pr, "tcp"))
		r->proto = RP_TCP;
	else if (!strcmp(pr, "udp"))
		r->proto = RP_UDP;
	else if (!strcmp(pr, "icmp"))
		r->proto = RP_ICMP;
	else if (!strcmp(pr, "ip") || !strcmp(pr, "pkthdr"))
		r->proto = RP_IP;
	else if (!strcmp(pr, "tls") || !strcmp(pr, "smb") || !strcmp(pr, "http")) {
		r->proto = RP_TCP;
		strcpy(r->app, pr);
	} else if (!strcmp(pr, "dns")) {
		r->proto = RP_IP; /* DNS over UDP and TCP */
		strcpy(r->app, pr);
	} else {
		return perr(p, NULL, "unsupported protocol '%s' (supported: ip tcp udp icmp tls smb dns http)", pr);
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
	/* relative content needs an anchor before it, else it is relative to the start */
	r->fp_op = -1;
	size_t best = 0;
	for (size_t i = 0; i < r->nops; i++) {
		struct rule_op *op = &r->ops[i];
		if (op->kind != OP_CONTENT)
			continue;
		if (op->u.content.neg)
			continue;
		if (op->u.content.fast_pattern) {
			r->fp_op = (int)i;
			break;
		}
		if (op->u.content.len > best) {
			best = op->u.content.len;
			r->fp_op = (int)i;
		}
	}
	r->needs_payload = r->nops > 0 || r->has_dsize;
	if ((r->flow & RF_ONLY_STREAM) && r->has_dsize)
		return perr(p, "dsize", "cannot be used with flow:only_stream (dsize is per packet)");
	if (r->proto == RP_ICMP && (r->flow & RF_ONLY_STREAM))
		return perr(p, "flow", "only_stream on an icmp rule");
	const struct rule *dup = sid_find(p->rs, r->gid, r->sid);
	if (dup)
		return perr(p, "sid", "duplicate sid %u (also at %s:%u)", r->sid, dup->file, dup->line);
	return RULE_OK;
}

int rule_parse_line(struct rule_set *rs, const struct rule_parse_cfg *cfg, const char *text, const char *file,
		    unsigned line, char *errbuf, size_t errlen)
{
	struct pctx p = {.rs = rs, .cfg = cfg, .file = file, .line = line, .errbuf = errbuf, .errlen = errlen};
	if (rs->n >= RULESET_MAX_RULES) {
		snprintf(errbuf, errlen, "%s:%u: more than %d rules", file, line, RULESET_MAX_RULES);
		return RULE_ERR_LIMIT;
	}
	size_t len = strlen(text);
	if (len > RULE_MAX_LINE)
		return perr(&p, NULL, "rule longer than %d bytes", RULE_MAX_LINE);
	char *buf = kg_strdup(text, "rule text");
	char *open = strchr(buf, '(');
	if (!open) {
		free(buf);
		return perr(&p, NULL, "no '(' starting the options");
	}
	char *end = buf + strlen(buf);
	while (end > open && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
		end--;
	if (end == open + 1 || end[-1] != ')') {
		free(buf);
		return perr(&p, NULL, "options must end with ')'");
	}
	end[-1] = '\0';
	*open = '\0';
	struct rule *r = kg_calloc(1, sizeof(*r), "rule");
	r->fp_op = -1;
	int rc = parse_header(&p, r, buf);
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
			bool q = false;
			while (*s && (q || *s != ';')) {
				if (*s == '\\' && s[1])
					s++;
				else if (*s == '"')
					q = !q;
				s++;
			}
			if (q) {
				rc = perr(&p, trim(name), "unterminated quoted string");
				break;
			}
		}
		if (*s != ';') {
			rc = perr(&p, trim(name), "missing ';' after the option");
			break;
		}
		*s++ = '\0';
		name = trim(name);
		if (!*name) {
			rc = perr(&p, NULL, "empty option");
			break;
		}
		rc = apply_option(&p, r, name, val);
	}
	if (!rc)
		rc = finish_rule(&p, r);
	free(buf);
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

/* ---------------------------------------------------------------- prefilter */

bool rule_is_stream(const struct rule *r)
{
	return (r->proto == RP_TCP || r->proto == RP_IP) && r->needs_payload && !r->has_dsize &&
	       !(r->flow & RF_NO_STREAM) && !r->app_event;
}

int rule_set_compile(struct rule_set *rs, char *errbuf, size_t errlen)
{
	for (size_t g = 0; g < KG_ARRAY_LEN(rs->grp); g++) {
		struct ac *a = ac_new();
		struct rule_group *gr = &rs->grp[g];
		gr->nofp = kg_malloc((rs->n ? rs->n : 1) * sizeof(uint32_t), "rule set");
		gr->nnofp = 0;
		for (size_t i = 0; i < rs->n; i++) {
			const struct rule *r = rs->rules[i];
			bool tcp = r->proto == RP_TCP || r->proto == RP_IP;
			bool in;
			switch (g) {
			case RG_TCP_STREAM: in = tcp && rule_is_stream(r); break;
			case RG_TCP_PACKET: in = tcp && !rule_is_stream(r) && !r->app_event && !(r->flow & RF_ONLY_STREAM); break;
			case RG_OTHER_PACKET: in = r->proto != RP_TCP && !r->app_event && !(r->flow & RF_ONLY_STREAM); break;
			default: in = r->app_event != NULL; break;
			}
			if (!in)
				continue;
			if (r->fp_op < 0 || g == RG_APP_EVENT) {
				gr->nofp[gr->nnofp++] = (uint32_t)i;
				continue;
			}
			const struct rule_op *op = &r->ops[r->fp_op];
			(void)ac_add(a, op->u.content.pat, op->u.content.len, (uint32_t)i);
		}
		int rc = ac_compile(a, AC_MAX_BYTES);
		if (rc != AC_OK) {
			snprintf(errbuf, errlen, "rule prefilter: %s", ac_strerror(rc));
			ac_free(a);
			return RULE_ERR_LIMIT;
		}
		gr->ac = a;
	}
	return RULE_OK;
}
