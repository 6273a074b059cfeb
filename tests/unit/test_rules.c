/* test_rules.c - the rule parser (every header form and option, malformed rules and their
 * messages), payload matching semantics, and the Aho-Corasick prefilter against a naive search. */
#include "config.h"

#include <arpa/inet.h>
#include <string.h>

#include "check.h"
#include "signatures/ac.h"
#include "signatures/rules.h"
#include "signatures/sig.h"
#include "util/util.h"

static const char *test_var(void *ctx, const char *name)
{
	(void)ctx;
	if (!strcmp(name, "HOME_NET"))
		return "[10.0.0.0/8,192.168.0.0/16,!10.9.9.9]";
	if (!strcmp(name, "WEB"))
		return "[80,8080:8090]";
	if (!strcmp(name, "NESTED"))
		return "[$HOME_NET,2001:db8::/32]";
	if (!strcmp(name, "LOOP"))
		return "$LOOP";
	return NULL;
}

static const struct rule_parse_cfg CFG = {.var = test_var};
static char err[1024];

/* Parse one rule into a fresh set; NULL and err set when it fails. */
static struct rule_set *parse1(const char *text)
{
	struct rule_set *rs = rule_set_new();
	err[0] = '\0';
	if (rule_parse_line(rs, &CFG, text, "t.rules", 7, err, sizeof(err)) != RULE_OK) {
		rule_set_free(rs);
		return NULL;
	}
	return rs;
}

/* The rule must fail with a message containing want. */
static void bad(const char *text, const char *want)
{
	struct rule_set *rs = parse1(text);
	CHECK(rs == NULL);
	if (rs)
		rule_set_free(rs);
	if (!strstr(err, want)) {
		fprintf(stderr, "rule: %s\n  message: %s\n  expected to contain: %s\n", text, err, want);
		check_failures++;
	}
	check_count++;
	CHECK(strncmp(err, "t.rules:7: ", 11) == 0);
}

static bool addr(const struct addr_set *s, const char *a)
{
	uint8_t b[16] = {0};
	if (inet_pton(AF_INET, a, b) == 1)
		return addr_set_match(s, 4, b);
	CHECK(inet_pton(AF_INET6, a, b) == 1);
	return addr_set_match(s, 6, b);
}

static struct sig *S;

/* Payload match of a rule's options on a buffer. */
static int pm(const char *opts, const void *buf, size_t len)
{
	char text[2048];
	snprintf(text, sizeof(text), "alert tcp any any -> any any (%s sid:1;)", opts);
	struct rule_set *rs = parse1(text);
	if (!rs) {
		fprintf(stderr, "pm: parse failed: %s\n", err);
		check_failures++;
		return -1;
	}
	size_t a, b;
	int r = sig_payload_match(S, rs->rules[0], buf, len, &a, &b) ? 1 : 0;
	rule_set_free(rs);
	return r;
}

static void test_header(void)
{
	struct rule_set *rs = parse1("alert tcp $HOME_NET any -> ![1.2.3.0/24,5.6.7.8] [$WEB,!8085,443] (msg:\"h\"; sid:10; rev:3; gid:2;)");
	CHECK(rs != NULL);
	if (!rs)
		return;
	const struct rule *r = rs->rules[0];
	CHECK(r->proto == RP_TCP && !r->bidir && r->action == ACT_ALERT);
	CHECK(addr(r->src, "10.1.2.3"));
	CHECK(addr(r->src, "192.168.7.7"));
	CHECK(!addr(r->src, "10.9.9.9"));
	CHECK(!addr(r->src, "11.0.0.1"));
	CHECK(!addr(r->dst, "1.2.3.99"));
	CHECK(!addr(r->dst, "5.6.7.8"));
	CHECK(addr(r->dst, "5.6.7.9"));
	CHECK(port_set_match(r->dport, 80) && port_set_match(r->dport, 8089) && port_set_match(r->dport, 443));
	CHECK(!port_set_match(r->dport, 8085) && !port_set_match(r->dport, 81));
	CHECK(port_set_match(r->sport, 1));
	CHECK_EQ_U(r->sid, 10);
	CHECK_EQ_U(r->rev, 3);
	CHECK_EQ_U(r->gid, 2);
	CHECK_STR(r->msg, "h");
	rule_set_free(rs);

	rs = parse1("pass udp $NESTED 1024: <> any :1023 (sid:11;)");
	CHECK(rs && rs->rules[0]->bidir && rs->rules[0]->action == ACT_PASS && rs->rules[0]->proto == RP_UDP);
	if (rs) {
		const struct rule *q = rs->rules[0];
		CHECK(addr(q->src, "2001:db8::1"));
		CHECK(!addr(q->src, "2001:db9::1"));
		CHECK(addr(q->src, "10.0.0.1"));
		CHECK(port_set_match(q->sport, 1024) && port_set_match(q->sport, 65535) && !port_set_match(q->sport, 1023));
		CHECK(port_set_match(q->dport, 0) && port_set_match(q->dport, 1023) && !port_set_match(q->dport, 1024));
		CHECK_EQ_U(q->gid, 1);
		CHECK_EQ_U(q->rev, 1);
		rule_set_free(rs);
	}
	/* app-layer protocols, netmask form, defaults for common variables */
	rs = parse1("alert smb 10.0.0.0/255.255.0.0 any -> any $SMB_PORTS (sid:12;)");
	CHECK(rs && !strcmp(rs->rules[0]->app, "smb") && rs->rules[0]->proto == RP_TCP);
	if (rs) {
		CHECK(addr(rs->rules[0]->src, "10.0.200.1") && !addr(rs->rules[0]->src, "10.1.0.1"));
		CHECK(port_set_match(rs->rules[0]->dport, 445) && port_set_match(rs->rules[0]->dport, 139));
		rule_set_free(rs);
	}
	static const char *const protos[] = {"tls", "dns", "http", "icmp", "ip"};
	for (size_t i = 0; i < KG_ARRAY_LEN(protos); i++) {
		char t[128];
		snprintf(t, sizeof(t), "drop %s any any -> any any (sid:13;)", protos[i]);
		rs = parse1(t);
		CHECK(rs != NULL);
		rule_set_free(rs);
	}
	bad("alert tcp any any -> any any sid:1;", "no '(' starting the options");
	bad("alert tcp any any -> any any (sid:1;", "options must end with ')'");
	bad("alert tcp any any any -> any (sid:1;)", "destination address: bad address '->'");
	bad("alert tcp any any => any any (sid:1;)", "direction must be '->' or '<>'");
	bad("alert tcp any any -> any (sid:1;)", "rule header needs");
	bad("alarm tcp any any -> any any (sid:1;)", "unknown action 'alarm'");
	bad("alert sctp any any -> any any (sid:1;)", "unsupported protocol 'sctp'");
	bad("alert tcp 10.0.0.0/33 any -> any any (sid:1;)", "bad prefix length");
	bad("alert tcp 300.1.1.1 any -> any any (sid:1;)", "bad address '300.1.1.1'");
	bad("alert tcp $NOPE any -> any any (sid:1;)", "undefined variable '$NOPE'");
	bad("alert tcp $LOOP any -> any any (sid:1;)", "nested deeper than");
	bad("alert tcp [1.1.1.1,,2.2.2.2] any -> any any (sid:1;)", "empty element");
	bad("alert tcp [1.1.1.1 any -> any any (sid:1;)", "rule header needs");
	bad("alert tcp [1.1.1.1]] any -> any any (sid:1;)", "unbalanced ']'");
	bad("alert tcp !any any -> any any (sid:1;)", "'!any' matches nothing");
	bad("alert tcp any 70000 -> any any (sid:1;)", "bad port '70000'");
	bad("alert tcp any 90:80 -> any any (sid:1;)", "bad port range '90:80'");
	bad("alert tcp any any -> any any (msg:\"x\";)", "option 'sid': missing");
}

static void test_options(void)
{
	struct rule_set *rs = parse1(
		"alert tcp any any -> any any (msg:\"all \\\"quoted\\\" \\; here\"; content:\"AB|43 44|\"; nocase; offset:2; depth:10; "
		"content:!\"zz\"; distance:1; within:5; content:\"fp\"; fast_pattern; isdataat:!4,relative; "
		"pcre:\"/a.b/ismR\"; byte_extract:2,0,len,relative,little; byte_test:2,>,len,0,relative,big; "
		"byte_jump:1,0,relative,multiplier 2,align,post_offset -1; dsize:10<>500; "
		"flow:to_client,established,no_stream; flowbits:set,a.b; flowbits:isnotset,c; "
		"threshold:type both, track by_dst, count 2, seconds 60; detection_filter:track by_rule, count 3, seconds 5; "
		"classtype:trojan-activity; priority:2; reference:cve,2017-0144; metadata:created 2024; sid:20;)");
	CHECK(rs != NULL);
	if (!rs) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	const struct rule *r = rs->rules[0];
	CHECK_STR(r->msg, "all \"quoted\" ; here");
	CHECK_EQ_U(r->nops, 8);
	CHECK(r->ops[0].kind == OP_CONTENT && r->ops[0].u.content.len == 4 && !memcmp(r->ops[0].u.content.pat, "ABCD", 4));
	CHECK(r->ops[0].u.content.nocase && r->ops[0].u.content.has_offset && r->ops[0].u.content.offset.v == 2);
	CHECK(r->ops[0].u.content.has_depth && r->ops[0].u.content.depth.v == 10);
	CHECK(r->ops[1].u.content.neg && r->ops[1].u.content.relative && r->ops[1].u.content.within.v == 5);
	CHECK_EQ_U(r->fp_op, 2);
	CHECK(r->ops[3].kind == OP_ISDATAAT && r->ops[3].u.isdataat.neg && r->ops[3].u.isdataat.relative);
	CHECK(r->ops[4].kind == OP_PCRE && r->ops[4].u.pcre.relative);
	CHECK(r->ops[5].kind == OP_BYTE_EXTRACT && r->ops[5].u.be.r.little && r->ops[5].u.be.var == 0);
	CHECK(r->ops[6].kind == OP_BYTE_TEST && r->ops[6].u.bt.value.var == 0 && r->ops[6].u.bt.op == BT_GT);
	CHECK(r->ops[7].kind == OP_BYTE_JUMP && r->ops[7].u.bj.multiplier == 2 && r->ops[7].u.bj.align == 4 &&
	      r->ops[7].u.bj.post_offset == -1);
	CHECK(r->has_dsize && r->dsize_op == 3 && r->dsize_lo == 10 && r->dsize_hi == 500);
	CHECK(r->flow == (RF_TO_CLIENT | RF_ESTABLISHED | RF_NO_STREAM));
	CHECK(r->nflowbits == 2 && r->flowbits[0].cmd == FB_SET && r->flowbits[1].cmd == FB_ISNOTSET);
	CHECK_EQ_U(rs->nflowbits, 2);
	CHECK_STR(rs->flowbit_names[0], "a.b");
	CHECK(r->thr == THR_BOTH && r->thr_track == TRACK_DST && r->thr_count == 2 && r->thr_seconds == 60);
	CHECK(r->df == THR_DETECTION_FILTER && r->df_track == TRACK_RULE && r->df_count == 3 && r->df_seconds == 5);
	CHECK_STR(r->classtype, "trojan-activity");
	CHECK_EQ_U(rule_severity(rs, r), 2);
	rule_set_free(rs);

	/* severity from the classtype; app-layer-event; flowbits noalert; threshold limit/threshold */
	rs = parse1("alert tls any any -> any any (app-layer-event:tls.overflow_heartbeat_message; classtype:attempted-recon; "
		    "flowbits:toggle,x; flowbits:unset,y; flowbits:noalert; threshold:type limit,track by_src,count 1,seconds 9; sid:21;)");
	CHECK(rs && rs->rules[0]->app_event && !strcmp(rs->rules[0]->app_event, "tls.overflow_heartbeat_message"));
	if (rs) {
		CHECK_EQ_U(rule_severity(rs, rs->rules[0]), 2);
		CHECK(rs->rules[0]->noalert && rs->rules[0]->thr == THR_LIMIT);
		CHECK(rs->rules[0]->flowbits[0].cmd == FB_TOGGLE && rs->rules[0]->flowbits[1].cmd == FB_UNSET);
		rule_set_free(rs);
	}
	static const char *const good[] = {
		"dsize:5;", "dsize:<5;", "dsize:>5;", "dsize:!5;", "flow:stateless;", "flow:from_server,no_stream;",
		"flow:from_client,not_established;", "content:\"a\"; fast_pattern:only;", "content:\"abc\"; fast_pattern:1,2;",
		"pcre:!\"/x\\;y/\";", "byte_test:4,!=,7,0,little;", "byte_test:3,&,0x10,1,string,hex;",
		"byte_test:1,<=,1,0,bitmask 0x0f;", "byte_test:2,>=,1,0;", "byte_test:1,^,3,0;", "noalert;",
		"byte_jump:2,0,from_beginning;", "byte_extract:1,0,n,string,dec; content:\"x\"; distance:n;",
		"threshold:type threshold, track by_both, count 5, seconds 1;", "target:dest_ip;",
	};
	for (size_t i = 0; i < KG_ARRAY_LEN(good); i++) {
		char t[512];
		snprintf(t, sizeof(t), "alert tcp any any -> any any (%s sid:30;)", good[i]);
		rs = parse1(t);
		if (!rs)
			fprintf(stderr, "should parse: %s: %s\n", good[i], err);
		CHECK(rs != NULL);
		rule_set_free(rs);
	}
}

static void test_malformed(void)
{
#define OPT(o) "alert tcp any any -> any any (" o " sid:1;)"
	bad(OPT("bogus:1;"), "option 'bogus': unknown option");
	bad(OPT("dce_iface:4b324fc8-1670-01d3-1278-5a47bf6ee188;"), "option 'dce_iface': Suricata keyword not supported by kagami");
	bad(OPT("http.uri:x;"), "option 'http.uri': takes no value");
	bad(OPT("content:\"a\\qb\";"), "option 'content': unknown escape");
	bad(OPT("msg:\"abc;"), "option 'msg': value must be a quoted string");
	bad(OPT("msg:unquoted;"), "option 'msg': value must be a quoted string");
	bad("alert tcp any any -> any any (msg:\"x\" sid:1)", "missing ';' after the option");
	bad(OPT("sid:0;"), "option 'sid': expected an integer");
	bad(OPT("sid:abc;"), "option 'sid': expected an integer");
	bad(OPT("priority:256;"), "option 'priority': expected an integer in 1..255");
	bad(OPT("classtype:nonsense;"), "option 'classtype': unknown classtype 'nonsense'");
	bad(OPT("reference:cve;"), "option 'reference': expected 'type,value'");
	bad(OPT("metadata:;"), "option 'metadata': needs a value");
	bad(OPT("target:both;"), "option 'target': expected src_ip or dest_ip");
	bad(OPT("content:\"\";"), "option 'content': empty pattern");
	bad(OPT("content:\"|4|\";"), "option 'content': odd number of hex digits");
	bad(OPT("content:\"|zz|\";"), "option 'content': bad hex digit 'z'");
	bad(OPT("content:\"|41\";"), "option 'content': unterminated |hex| block");
	bad(OPT("nocase;"), "option 'nocase': no content before it");
	bad(OPT("content:\"a\"; nocase:1;"), "option 'nocase': takes no value");
	bad(OPT("content:\"abc\"; depth:2;"), "option 'depth': depth 2 is shorter than the pattern");
	bad(OPT("content:\"abc\"; within:2;"), "option 'within': within 2 is shorter than the pattern");
	bad(OPT("content:\"a\"; offset:-1;"), "option 'offset': bad value '-1'");
	bad(OPT("content:\"a\"; offset:1; offset:2;"), "option 'offset': given twice");
	bad(OPT("content:\"a\"; offset:1; distance:2;"), "option 'distance': cannot be combined with offset/depth");
	bad(OPT("content:\"a\"; within:2; depth:2;"), "option 'depth': cannot be combined with distance/within");
	bad(OPT("content:\"a\"; distance:nosuchvar;"), "option 'distance': bad value 'nosuchvar'");
	bad(OPT("content:!\"a\"; fast_pattern;"), "option 'fast_pattern': a negated content cannot be the fast pattern");
	bad(OPT("content:\"a\"; fast_pattern; content:\"b\"; fast_pattern;"), "option 'fast_pattern': given for two contents");
	bad(OPT("content:\"a\"; fast_pattern:x;"), "option 'fast_pattern': expected 'only' or 'offset,length'");
	bad(OPT("pcre:\"abc\";"), "option 'pcre': expected \"/regex/flags\"");
	bad(OPT("pcre:\"/a(/\";"), "option 'pcre': does not compile at offset");
	bad(OPT("pcre:\"/a/J\";"), "option 'pcre': unsupported modifier 'J'");
	bad(OPT("pcre:\"/a/UH\";"), "option 'pcre': two buffer modifiers ('U' and 'H')");
	bad(OPT("byte_test:4,>,1;"), "option 'byte_test': needs bytes, operator, value, offset");
	bad(OPT("byte_test:11,>,1,0;"), "option 'byte_test': bad byte count '11'");
	bad(OPT("byte_test:9,>,1,0;"), "option 'byte_test': binary reads take at most 8 bytes");
	bad(OPT("byte_test:4,~,1,0;"), "option 'byte_test': bad operator '~'");
	bad(OPT("byte_test:4,>,x,0;"), "option 'byte_test': bad value 'x'");
	bad(OPT("byte_test:4,>,1,0,dce;"), "option 'byte_test': 'dce' (DCERPC byte order) is not supported");
	bad(OPT("byte_test:4,>,1,0,sideways;"), "option 'byte_test': unknown flag 'sideways'");
	bad(OPT("byte_jump:4;"), "option 'byte_jump': needs bytes, offset");
	bad(OPT("byte_jump:4,0,multiplier 0;"), "option 'byte_jump': bad multiplier");
	bad(OPT("byte_extract:4,0;"), "option 'byte_extract': needs bytes, offset, name");
	bad(OPT("byte_extract:4,0,9bad;"), "option 'byte_extract': bad variable name '9bad'");
	bad(OPT("byte_extract:1,0,v; byte_extract:1,1,v;"), "option 'byte_extract': variable 'v' defined twice");
	bad(OPT("isdataat:x;"), "option 'isdataat': bad size 'x'");
	bad(OPT("isdataat:1,sideways;"), "option 'isdataat': unknown flag 'sideways'");
	bad(OPT("dsize:10<>5;"), "option 'dsize': bad range");
	bad(OPT("dsize:big;"), "option 'dsize': bad size 'big'");
	bad(OPT("dsize:1; dsize:2;"), "option 'dsize': given twice");
	bad(OPT("flow:to_server,to_client;"), "option 'flow': to_server and to_client together");
	bad(OPT("flow:only_stream,no_stream;"), "option 'flow': only_stream and no_stream together");
	bad(OPT("flow:established,not_established;"), "option 'flow': established and not_established together");
	bad(OPT("flow:sideways;"), "option 'flow': unknown or unsupported flow option 'sideways'");
	bad(OPT("flow:only_stream; dsize:4;"), "option 'dsize': cannot be used with flow:only_stream");
	bad(OPT("flowbits:set;"), "option 'flowbits': 'set' needs a name");
	bad(OPT("flowbits:frob,x;"), "option 'flowbits': unknown command 'frob'");
	bad(OPT("flowbits:set,a|b;"), "option 'flowbits': name lists ('|', '&') are only for isset and isnotset");
	bad(OPT("flowbits:isset,a|b&c;"), "option 'flowbits': '|' and '&' mixed");
	bad(OPT("flowbits:noalert,x;"), "option 'flowbits': noalert takes no name");
	bad(OPT("threshold:type limit, track by_src, count 1;"), "option 'threshold': needs type, track, count and seconds");
	bad(OPT("threshold:type sometimes, track by_src, count 1, seconds 1;"), "option 'threshold': bad type 'sometimes'");
	bad(OPT("threshold:type limit, track by_moon, count 1, seconds 1;"), "option 'threshold': bad track 'by_moon'");
	bad(OPT("threshold:type limit, track by_src, count 0, seconds 1;"), "option 'threshold': bad count '0'");
	bad(OPT("threshold:type limit, track by_src, count 1, seconds 1, color red;"), "option 'threshold': unknown field 'color'");
	bad(OPT("threshold:type limit,track by_src,count 1,seconds 1; threshold:type limit,track by_src,count 1,seconds 1;"),
	    "option 'threshold': given twice");
	bad(OPT("detection_filter:track by_src, count 2;"), "option 'detection_filter': needs track, count and seconds");
	bad(OPT("app-layer-event:heartbeat;"), "option 'app-layer-event': expected 'proto.event_name'");
	bad(OPT("app-layer-event:http.foo;"), "option 'app-layer-event': no dissector raises events for 'http'");
	bad(OPT("app-layer-event:tls.Bad-Name;"), "option 'app-layer-event': bad event name");
	bad(OPT(";"), "empty option");
#undef OPT
	/* duplicate sid in one set */
	struct rule_set *rs = rule_set_new();
	CHECK(rule_parse_line(rs, &CFG, "alert tcp any any -> any any (sid:5;)", "a.rules", 1, err, sizeof(err)) == RULE_OK);
	CHECK(rule_parse_line(rs, &CFG, "alert tcp any any -> any any (sid:5;)", "a.rules", 2, err, sizeof(err)) == RULE_ERR_SYNTAX);
	CHECK(strstr(err, "a.rules:2: option 'sid': duplicate sid 5 (also at a.rules:1)") != NULL);
	rule_set_free(rs);
}

static void test_text(void)
{
	/* comments, blank lines, continuations; lax mode skips and counts */
	static const char text[] = "# comment\n\n  alert tcp any any -> any any \\\n   (msg:\"two lines\"; sid:1;)\n"
				   "alert tcp any any -> any any (bogus; sid:2;)\r\n"
				   "alert tcp any any -> any any (sid:3;)";
	struct rule_set *rs = rule_set_new();
	CHECK(rule_parse_text(rs, &CFG, text, strlen(text), "m.rules", err, sizeof(err)) == RULE_ERR_SYNTAX);
	CHECK(strstr(err, "m.rules:5: option 'bogus': unknown option") != NULL);
	rule_set_free(rs);
	struct rule_parse_cfg lax = CFG;
	lax.lax = true;
	rs = rule_set_new();
	CHECK(rule_parse_text(rs, &lax, text, strlen(text), "m.rules", err, sizeof(err)) == RULE_OK);
	CHECK_EQ_U(rs->n, 2);
	CHECK_EQ_U(rs->skipped, 1);
	CHECK_EQ_U(rs->rules[0]->line, 3);
	CHECK_STR(rs->rules[0]->msg, "two lines");
	CHECK_EQ_U(rs->rules[1]->line, 6);
	CHECK(rule_set_compile(rs, err, sizeof(err)) == RULE_OK);
	CHECK(rs->rules[0]->path == PATH_IPONLY && rs->rules[1]->path == PATH_IPONLY);
	rule_set_free(rs);
	rs = rule_set_new();
	CHECK(rule_parse_path(rs, &CFG, "/nonexistent/x.rules", err, sizeof(err)) == RULE_ERR_IO);
	CHECK(strstr(err, "/nonexistent/x.rules") != NULL);
	rule_set_free(rs);
}

static void test_matching(void)
{
	static const char buf[] = "GET /index.html HTTP/1.1\r\nHost: example\r\n\r\n";
	size_t n = sizeof(buf) - 1;
	CHECK(pm("content:\"GET\";", buf, n) == 1);
	CHECK(pm("content:\"get\";", buf, n) == 0);
	CHECK(pm("content:\"get\"; nocase;", buf, n) == 1);
	CHECK(pm("content:\"GET\"; offset:1;", buf, n) == 0);
	CHECK(pm("content:\"index\"; depth:9;", buf, n) == 0);
	CHECK(pm("content:\"index\"; depth:10;", buf, n) == 1);
	CHECK(pm("content:\"index\"; offset:5; depth:5;", buf, n) == 1);
	CHECK(pm("content:\"GET\"; content:\"HTTP\"; distance:0; within:17;", buf, n) == 1);
	CHECK(pm("content:\"GET\"; content:\"HTTP\"; distance:0; within:16;", buf, n) == 0);
	CHECK(pm("content:\"GET\"; content:\"HTTP\"; distance:13;", buf, n) == 1);
	CHECK(pm("content:\"GET\"; content:\"HTTP\"; distance:14;", buf, n) == 0);
	CHECK(pm("content:\"Host\"; content:\"GET\"; distance:-30;", buf, n) == 1);
	CHECK(pm("content:\"GET\"; content:!\"POST\";", buf, n) == 1);
	CHECK(pm("content:\"GET\"; content:!\"Host\";", buf, n) == 0);
	CHECK(pm("content:\"GET\"; content:!\"Host\"; distance:0; within:10;", buf, n) == 1);
	CHECK(pm("content:\"|0d 0a 0d 0a|\";", buf, n) == 1);
	/* backtracking: the first "l" does not lead to a match, a later one does */
	CHECK(pm("content:\"l\"; content:\" HTTP\"; distance:0; within:5;", buf, n) == 1);
	CHECK(pm("isdataat:43;", buf, n) == 0);
	CHECK(pm("isdataat:42;", buf, n) == 1);
	CHECK(pm("isdataat:!43;", buf, n) == 1);
	CHECK(pm("content:\"example\"; isdataat:4,relative;", buf, n) == 0);
	CHECK(pm("content:\"example\"; isdataat:3,relative;", buf, n) == 1);
	CHECK(pm("pcre:\"/^get\\s+\\/index/i\";", buf, n) == 1);
	CHECK(pm("pcre:\"/^get/\";", buf, n) == 0);
	CHECK(pm("content:\"Host:\"; pcre:\"/^\\s*example/R\";", buf, n) == 1);
	CHECK(pm("content:\"Host:\"; pcre:\"/^GET/R\";", buf, n) == 0);
	CHECK(pm("pcre:!\"/POST/\";", buf, n) == 1);
	CHECK(pm("pcre:\"/index.html.HTTP/s\";", buf, n) == 1);
	CHECK(pm("pcre:\"/^Host/m\";", buf, n) == 1);
	CHECK(pm("pcre:\"/^Host/\";", buf, n) == 0);
	static const uint8_t bin[] = {0x00, 0x10, 0x02, 0x00, 0x00, 0x00, 'A', 'B', 'C', 'D', 'E', 'F', '1', '2', 'f', 'f'};
	size_t bn = sizeof(bin);
	CHECK(pm("byte_test:2,=,16,0;", bin, bn) == 1);
	CHECK(pm("byte_test:2,=,4096,0,little;", bin, bn) == 1);
	CHECK(pm("byte_test:2,!=,16,0;", bin, bn) == 0);
	CHECK(pm("byte_test:1,&,2,2;", bin, bn) == 1);
	CHECK(pm("byte_test:1,&,4,2;", bin, bn) == 0);
	CHECK(pm("byte_test:4,<,3,2,little;", bin, bn) == 1);
	CHECK(pm("byte_test:2,=,12,12,string,dec;", bin, bn) == 1);
	CHECK(pm("byte_test:2,=,255,14,string,hex;", bin, bn) == 1);
	CHECK(pm("byte_test:1,=,1,1,bitmask 0xf0;", bin, bn) == 1);
	CHECK(pm("byte_test:2,=,1,15;", bin, bn) == 0); /* runs past the end */
	/* byte_jump: read 0x02 at offset 2 -> skip 2 bytes after it -> position 5; "ABC" must follow 1 later */
	CHECK(pm("byte_jump:1,2; content:\"ABC\"; within:4;", bin, bn) == 1);
	CHECK(pm("byte_jump:1,2; content:\"ABC\"; within:3;", bin, bn) == 0);
	CHECK(pm("byte_jump:1,2,multiplier 3; content:\"DE\"; within:2;", bin, bn) == 1);
	CHECK(pm("byte_jump:1,2,from_beginning,post_offset 4; content:\"AB\"; within:2;", bin, bn) == 1);
	CHECK(pm("byte_jump:1,1;", bin, bn) == 0); /* 16 + 2 is past the end */
	/* byte_extract variables used by byte_test, content and isdataat */
	CHECK(pm("byte_extract:1,2,skip; content:\"C\"; offset:skip; depth:7;", bin, bn) == 1);
	CHECK(pm("byte_extract:1,2,skip; byte_test:1,=,skip,2;", bin, bn) == 1);
	CHECK(pm("byte_extract:1,2,skip; byte_test:1,>,skip,2;", bin, bn) == 0);
	CHECK(pm("byte_extract:1,2,sz; content:\"AB\"; distance:sz; within:4;", bin, bn) == 1);
	CHECK(pm("byte_extract:1,1,n; isdataat:n;", bin, bn) == 0);
	CHECK(pm("content:\"ABC\"; byte_extract:1,0,v,relative; byte_test:1,=,68,0;", bin, bn) == 0);
	CHECK(pm("content:\"ABC\"; byte_extract:1,0,v,relative; content:\"F\"; distance:0; byte_test:1,=,v,-3,relative;", bin, bn) == 1);
}

/* naive: does pattern p (ASCII case-insensitive) occur ending at end? */
static int naive_count(const uint8_t *d, size_t n, const uint8_t *p, size_t pl)
{
	int c = 0;
	for (size_t i = 0; i + pl <= n; i++) {
		size_t k = 0;
		while (k < pl) {
			uint8_t a = d[i + k], b = p[k];
			if (a >= 'A' && a <= 'Z')
				a = (uint8_t)(a + 32);
			if (b >= 'A' && b <= 'Z')
				b = (uint8_t)(b + 32);
			if (a != b)
				break;
			k++;
		}
		if (k == pl)
			c++;
	}
	return c;
}

static int counts[64];
static int on_match(void *ctx, uint32_t id, size_t end)
{
	(void)ctx;
	(void)end;
	counts[id]++;
	return 0;
}

static void test_ac(void)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	for (int round = 0; round < 40; round++) {
		struct ac *a = ac_new();
		uint8_t pats[64][8];
		size_t plen[64];
		int np = 1 + round % 60;
		for (int i = 0; i < np; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			plen[i] = 1 + x % 6;
			for (size_t k = 0; k < plen[i]; k++)
				pats[i][k] = "abAB\x00\xff"[(x >> (8 + 3 * k)) % 6];
			CHECK(ac_add(a, pats[i], plen[i], (uint32_t)i) == AC_OK);
		}
		CHECK(ac_compile(a, 1u << 24) == AC_OK);
		uint8_t data[400];
		for (size_t k = 0; k < sizeof(data); k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			data[k] = "abAB\x00\xffz"[x % 7];
		}
		memset(counts, 0, sizeof(counts));
		ac_scan(a, data, sizeof(data), on_match, NULL);
		for (int i = 0; i < np; i++)
			CHECK_EQ_U(counts[i], naive_count(data, sizeof(data), pats[i], plen[i]));
		ac_free(a);
	}
	struct ac *a = ac_new();
	CHECK(ac_add(a, (const uint8_t *)"abcdef", 6, 0) == AC_OK);
	CHECK(ac_compile(a, 16) == AC_ERR_TOO_LARGE);
	ac_free(a);
}

int main(void)
{
	struct rule_set *empty = rule_set_new();
	CHECK(sig_new(&S, empty, NULL, err, sizeof(err)) == SIG_OK);
	test_header();
	test_options();
	test_malformed();
	test_text();
	test_matching();
	test_ac();
	sig_free(S);
	return check_done("test_rules");
}
