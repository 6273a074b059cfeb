/* test_rules.c - the rule parser (every header form and option, malformed rules and their
 * messages), payload matching semantics, and the Aho-Corasick prefilter against a naive search. */
#include "config.h"

#include <arpa/inet.h>
#include <string.h>

#include "check.h"
#include "decode/packet.h"
#include "dissectors/inspect.h"
#include "flow/flow.h"
#include "output/event.h"
#include "output/output.h"
#include "signatures/ac.h"
#include "signatures/detect.h"
#include "signatures/mpm.h"
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
	bad(OPT("app-layer-event:ftp.foo;"), "option 'app-layer-event': no dissector raises events for 'ftp'");
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

static void on_id(void *ctx, uint32_t id)
{
	(void)ctx;
	if (id < 64)
		counts[id]++;
}


/* ---------------------------------------------------------------- ET Open keywords: parsing */

static const struct rule *first(struct rule_set *rs) { return rs ? rs->rules[0] : NULL; }

static void good(const char *opts)
{
	char t[2048];
	snprintf(t, sizeof(t), "alert tcp any any -> any any (%s sid:30;)", opts);
	struct rule_set *rs = parse1(t);
	if (!rs)
		fprintf(stderr, "should parse: %s: %s\n", opts, err);
	CHECK(rs != NULL);
	rule_set_free(rs);
}

static void test_buffers_parse(void)
{
	good("app-layer-event:http.invalid_transfer_encoding_value_in_request;"); /* the HTTP dissector raises it */
	/* sticky buffers and their legacy names, legacy content modifiers, pcre buffer modifiers */
	struct rule_set *rs = parse1("alert http any any -> any any (flow:to_server; http.method; content:\"POST\"; "
				     "http.uri; content:\"/a\"; startswith; http.header; content:\"X-A\"; sid:40;)");
	const struct rule *r = first(rs);
	CHECK(r && r->path == PATH_TX && r->nlists == 3 && !strcmp(r->tx_app, "http"));
	if (r) {
		CHECK_EQ_U(rs->kinds[r->lists[0].kind].ib, IB_HTTP_METHOD);
		CHECK_EQ_U(rs->kinds[r->lists[1].kind].ib, IB_HTTP_URI);
		CHECK_EQ_U(rs->kinds[r->lists[2].kind].ib, IB_HTTP_HEADER);
		CHECK(r->ops[1].u.content.startswith && r->ops[1].u.content.depth.v == 2);
		CHECK_EQ_U(r->prog[0], IP_HTTP_REQ_HEADERS);
		CHECK_EQ_U(r->prog[1], 0);
	}
	rule_set_free(rs);
	rs = parse1("alert tcp any any -> any any (content:\"/x\"; http_uri; content:\"Mozilla\"; http_user_agent; depth:7; "
		    "pcre:\"/^GET/M\"; uricontent:\"/y\"; sid:41;)");
	r = first(rs);
	CHECK(r && r->nlists == 3 && r->path == PATH_TX);
	if (r) {
		CHECK_EQ_U(rs->kinds[r->lists[r->ops[0].list].kind].ib, IB_HTTP_URI);
		size_t ua = 0;
		for (size_t i = 0; i < r->nops; i++)
			if (r->ops[i].kind == OP_CONTENT && r->ops[i].u.content.len == 7)
				ua = i;
		CHECK_EQ_U(rs->kinds[r->lists[r->ops[ua].list].kind].ib, IB_HTTP_USER_AGENT);
		CHECK(r->ops[ua].u.content.has_depth);
	}
	rule_set_free(rs);
	static const char *const sticky[] = {
		"dns.query;", "dns_query;", "tls.sni;", "tls_sni;", "tls.cert_subject;", "tls.cert_issuer;", "tls.cert_serial;",
		"tls.cert_fingerprint;", "tls.certs;", "ja3.hash;", "ja3_hash;", "ja3.string;", "ja3s.hash;", "ja3s.string;",
		"smb.named_pipe;", "smb.share;", "file.data;", "file_data;", "http.uri.raw;", "http.request_line;",
		"http.response_body;", "http.stat_code;", "http.cookie;", "http.content_type;", "http_content_type;",
		"http.host.raw;", "http.header_names;", "http.start;", "http.location;", "http.server;", "http.referer;",
	};
	for (size_t i = 0; i < KG_ARRAY_LEN(sticky); i++) {
		char o[128];
		snprintf(o, sizeof(o), "%s content:\"a\";", sticky[i]);
		good(o);
	}
	/* transforms */
	rs = parse1("alert dns any any -> any any (dns.query; dotprefix; content:\".example.com\"; endswith; sid:42;)");
	r = first(rs);
	CHECK(r && !strcmp(r->tx_app, "dns") && r->lists[0].kind != 0);
	if (r) {
		const struct bkind *k = &rs->kinds[r->lists[0].kind];
		CHECK(k->ib == IB_DNS_QUERY && rs->chains[k->chain].n == 1 && rs->chains[k->chain].x[0].kind == XF_DOTPREFIX);
		CHECK(r->ops[0].u.content.endswith);
	}
	rule_set_free(rs);
	static const char *const xf[] = {
		"to_lowercase;", "to_uppercase;", "strip_whitespace;", "compress_whitespace;", "url_decode;",
		"xor:\"0102\";", "to_md5;", "to_sha1;", "to_sha256;", "pcrexform:\"[a-z]+=(.+)\";", "header_lowercase;",
		"to_lowercase; strip_whitespace;",
	};
	for (size_t i = 0; i < KG_ARRAY_LEN(xf); i++) {
		char o[160];
		snprintf(o, sizeof(o), "http.uri; %s content:\"a\";", xf[i]);
		good(o);
	}
	/* the same chain on two rules is one buffer kind */
	rs = rule_set_new();
	CHECK(rule_parse_line(rs, &CFG, "alert http any any -> any any (http.host; to_lowercase; content:\"a\"; sid:1;)", "t", 1,
			      err, sizeof(err)) == RULE_OK);
	CHECK(rule_parse_line(rs, &CFG, "alert http any any -> any any (http.host; to_lowercase; content:\"b\"; sid:2;)", "t", 2,
			      err, sizeof(err)) == RULE_OK);
	CHECK(rs->n == 2 && rs->rules[0]->lists[0].kind == rs->rules[1]->lists[0].kind && rs->nchains == 2);
	rule_set_free(rs);
	/* size keywords, byte_math, header keywords, flowbits lists, xbits, attributes */
	static const char *const ok[] = {
		"http.uri; bsize:10;", "http.uri; bsize:<5;", "http.uri; bsize:5<>10;", "urilen:>3;", "urilen:3,raw;",
		"urilen:2<>9,norm;", "content:\"a\"; endswith;", "content:!\"a\"; endswith;",
		"byte_math:bytes 2, offset 0, oper *, rvalue 2, result x; byte_test:2,=,x,2;",
		"byte_math:bytes 1,offset 1,oper <<,rvalue 1,result y,relative,endian little;",
		"http.content_len; byte_test:0,=,0,0,string,dec;", "byte_jump:1,0,from_end,post_offset -1;",
		"flags:S,12;", "flags:+SA;", "flags:!R;", "flags:*FS;", "flags:0;", "ttl:<3;", "ttl:3-5;", "ttl:64;",
		"tos:8;", "tos:x10;", "id:1;", "ip_proto:tcp;", "ip_proto:!41;", "ip_proto:>50;", "itype:8;", "itype:>3;",
		"icode:0;", "icmp_id:1;", "icmp_seq:2;", "window:!0;", "seq:0;", "ack:1;", "fragbits:M;", "fragbits:+D;",
		"fragbits:!R;", "fragoffset:>0;", "ipopts:rr;", "ipopts:any;", "sameip;", "stream_size:server,<,5;",
		"stream_size:either,>=,100;", "flowbits:isset,a|b;", "flowbits:isnotset,a&b;",
		"xbits:set,x,track ip_src,expire 10;", "xbits:isset,x,track ip_pair;", "tls.version:1.2;",
		"tls.version:!1.0;", "ssl_version:tls1.2,!sslv3;", "ssl_state:client_hello|server_hello;",
		"app-layer-protocol:!http;", "app-layer-protocol:failed;", "tag:session,5,packets;", "tls.store;",
		"content:\"a\"; rawbytes;", "pcre:\"/a\"b/\";",
	};
	for (size_t i = 0; i < KG_ARRAY_LEN(ok); i++)
		good(ok[i]);
	rs = parse1("alert tcp any any -> any any (flags:S,12; sid:43;)");
	CHECK(first(rs) && first(rs)->pkw[0].kind == PK_FLAGS && first(rs)->pkw[0].bits == 0x02 && first(rs)->pkw[0].mask == 0xc0);
	rule_set_free(rs);
	rs = parse1("alert tcp any any -> any any (flowbits:isset,a|b; xbits:set,c,track ip_dst,expire 7; sid:44;)");
	CHECK(first(rs) && first(rs)->flowbits[0].nbits == 2 && !first(rs)->flowbits[0].all && first(rs)->flowbits[1].track == XT_DST &&
	      first(rs)->flowbits[1].expire == 7 && first(rs)->has_xbits);
	rule_set_free(rs);
	/* output-only keywords are counted */
	rs = parse1("alert tcp any any -> any any (content:\"a\"; tag:session,5,packets; sid:45;)");
	CHECK(rs && rs->nignored == 1 && !strcmp(rs->ignored[0].name, "tag") && rs->ignored[0].n == 1);
	rule_set_free(rs);
	/* header protocols */
	static const char *const protos[] = {"smtp", "ftp", "ftp-data", "ssh", "imap", "pop3", "dcerpc", "krb5", "snmp",
					     "ntp", "sip", "tcp-pkt", "udp-pkt", "tcp-stream", "smb", "tls", "http"};
	for (size_t i = 0; i < KG_ARRAY_LEN(protos); i++) {
		char t[160];
		snprintf(t, sizeof(t), "alert %s any any -> any any (content:\"abcd\"; sid:46;)", protos[i]);
		rs = parse1(t);
		CHECK(rs != NULL);
		if (rs && strcmp(protos[i] + 3, "-pkt") && strcmp(protos[i], "tcp-stream"))
			CHECK(!strcmp(rs->rules[0]->app, protos[i]));
		rule_set_free(rs);
	}
	rs = parse1("alert tcp-pkt any any -> any any (content:\"abcd\"; sid:47;)");
	CHECK(first(rs) && first(rs)->path == PATH_PACKET && first(rs)->variant == RV_PKT);
	rule_set_free(rs);
	rs = parse1("alert tcp-stream any any -> any any (content:\"abcd\"; sid:48;)");
	CHECK(first(rs) && first(rs)->path == PATH_STREAM);
	rule_set_free(rs);
	rs = parse1("alert ip [1.2.3.4,5.6.7.0/24] any -> $HOME_NET any (flowbits:set,x; threshold:type limit,track by_src,count 1,seconds 60; sid:49;)");
	CHECK(first(rs) && first(rs)->path == PATH_IPONLY);
	rule_set_free(rs);
	/* classification.config from a file */
	FILE *fp = fopen("t-classification.config", "w");
	CHECK(fp != NULL);
	if (fp) {
		fputs("# ET's own\nconfig classification: my-class,My own class,2\nconfig classification: trojan-activity,A Network Trojan was detected,1\n", fp);
		fclose(fp);
		rs = rule_set_new();
		CHECK(rule_set_classes(rs, "t-classification.config", err, sizeof(err)) == RULE_OK);
		CHECK(rule_parse_line(rs, &CFG, "alert tcp any any -> any any (classtype:my-class; sid:1;)", "t", 1, err,
				      sizeof(err)) == RULE_OK);
		CHECK_EQ_U(rule_severity(rs, rs->rules[0]), 2);
		CHECK(rule_parse_line(rs, &CFG, "alert tcp any any -> any any (classtype:misc-activity; sid:2;)", "t", 2, err,
				      sizeof(err)) == RULE_ERR_SYNTAX);
		CHECK(strstr(err, "unknown classtype 'misc-activity' (not in classification.config)") != NULL);
		rule_set_free(rs);
		fp = fopen("t-classification.config", "w");
		fputs("config classification: broken\n", fp);
		fclose(fp);
		rs = rule_set_new();
		CHECK(rule_set_classes(rs, "t-classification.config", err, sizeof(err)) == RULE_ERR_SYNTAX);
		CHECK(strstr(err, "t-classification.config:1:") != NULL);
		rule_set_free(rs);
		remove("t-classification.config");
	}
}

static void test_buffers_malformed(void)
{
#define OPT(o) "alert tcp any any -> any any (" o " sid:1;)"
	bad(OPT("to_lowercase; content:\"a\";"), "option 'to_lowercase': a transform needs a sticky buffer before it");
	bad(OPT("http.uri; xor:\"0g\"; content:\"a\";"), "option 'xor': bad hex digit in the key");
	bad(OPT("http.uri; xor:\"\"; content:\"a\";"), "option 'xor': the key must be 1-32 bytes of hex");
	bad(OPT("http.uri; pcrexform:\"[a-z]+\"; content:\"a\";"), "option 'pcrexform': needs a capture group");
	bad(OPT("http.uri; to_md5:1; content:\"a\";"), "option 'to_md5': takes no value");
	bad(OPT("bsize:5;"), "option 'bsize': needs a sticky buffer before it");
	bad(OPT("http.uri; bsize:x;"), "option 'bsize': bad size 'x'");
	bad(OPT("urilen:5,sideways;"), "option 'urilen': expected 'raw' or 'norm', got 'sideways'");
	bad(OPT("content:\"a\"; offset:1; startswith;"), "option 'startswith': cannot be combined with offset, depth");
	bad(OPT("content:\"a\"; startswith; within:3;"), "option 'within': cannot be combined with startswith");
	bad(OPT("content:\"a\"; endswith:1;"), "option 'endswith': takes no value");
	bad(OPT("startswith;"), "option 'startswith': no content before it");
	bad(OPT("flags:SZ;"), "option 'flags': unknown flag 'Z'");
	bad(OPT("flags:S,Q;"), "option 'flags': unknown flag 'Q' in the mask");
	bad(OPT("fragbits:X;"), "option 'fragbits': unknown fragment bit 'X'");
	bad(OPT("ttl:abc;"), "option 'ttl': bad value 'abc'");
	bad(OPT("ttl:1; ttl:2;"), "option 'ttl': given twice");
	bad(OPT("itype:300;"), "option 'itype': bad value '300'");
	bad(OPT("ipopts:xyz;"), "option 'ipopts': unknown option 'xyz'");
	bad(OPT("sameip:1;"), "option 'sameip': takes no value");
	bad(OPT("stream_size:server,<;"), "option 'stream_size': expected 'server|client|both|either,operator,bytes'");
	bad(OPT("stream_size:moon,<,5;"), "option 'stream_size': bad side 'moon'");
	bad(OPT("stream_size:server,~,5;"), "option 'stream_size': bad operator or size");
	bad(OPT("xbits:set,a;"), "option 'xbits': needs 'track ip_src|ip_dst|ip_pair'");
	bad(OPT("xbits:set,a,track ip_moon;"), "option 'xbits': bad track 'ip_moon'");
	bad(OPT("xbits:isset,a|b,track ip_src;"), "option 'xbits': name lists");
	bad(OPT("tls.version:9.9;"), "option 'tls.version': bad version '9.9'");
	bad(OPT("ssl_version:tls9;"), "option 'ssl_version': unknown version 'tls9'");
	bad(OPT("ssl_state:hello;"), "option 'ssl_state': unknown state 'hello'");
	bad(OPT("app-layer-protocol:gopher;"), "option 'app-layer-protocol': unknown protocol 'gopher'");
	bad(OPT("byte_math:bytes 2, offset 0;"), "option 'byte_math': needs bytes, offset, oper, rvalue and result");
	bad(OPT("byte_math:bytes 2, offset 0, oper %, rvalue 1, result r;"), "option 'byte_math': bad oper '%'");
	bad(OPT("byte_math:bytes 2, offset 0, oper +, rvalue 1, result r, dce;"), "option 'byte_math': 'dce'");
	bad(OPT("byte_test:0,=,0,0;"), "option 'byte_test': bad byte count '0'");
	bad(OPT("http.uri; content:\"a\"; dns.query; content:\"b\";"), "buffers of two protocols (http and dns)");
	bad("alert dns any any -> any any (http.uri; content:\"a\"; sid:1;)", "header protocol 'dns' but buffers of 'http'");
	bad(OPT("content:\"a\"; http_uri; http_header;"), "option 'http_header': the content before it is already in buffer 'http.uri'");
	bad(OPT("http_uri;"), "option 'http_uri': no content before it");
	bad(OPT("flow:to_server; http.stat_code; content:\"200\";"), "no direction fits the rule's buffers");
	bad("alert gopher any any -> any any (sid:1;)", "unsupported protocol 'gopher'");
	bad("alert tcp-stream any any -> any any (content:\"a\"; dsize:5; sid:1;)", "tcp-stream rule with dsize");
	bad("alert tcp-pkt any any -> any any (flow:only_stream; sid:1;)", "only_stream on a packet-only (tcp-pkt) rule");
	bad(OPT("base64_decode:bytes 10;"), "option 'base64_decode': Suricata keyword not supported by kagami");
#undef OPT
}

/* ---------------------------------------------------------------- ET Open keywords: matching */

static struct emitter *EM;

/* One rule in its own engine; the engine, its flow and packets are the caller's. */
static struct sig *one(const char *text)
{
	struct rule_set *rs = rule_set_new();
	if (rule_parse_line(rs, &CFG, text, "m.rules", 1, err, sizeof(err)) != RULE_OK) {
		fprintf(stderr, "one: %s\n", err);
		check_failures++;
		rule_set_free(rs);
		return NULL;
	}
	struct sig *s;
	if (sig_new(&s, rs, EM, err, sizeof(err)) != SIG_OK) {
		fprintf(stderr, "one: %s\n", err);
		check_failures++;
		return NULL;
	}
	return s;
}

static void mkflow(struct flow *f, uint8_t proto, const char *app)
{
	memset(f, 0, sizeof(*f));
	f->family = 4;
	f->proto = proto;
	f->key.family = 4;
	inet_pton(AF_INET, "10.1.1.1", f->cli);
	inet_pton(AF_INET, "93.184.216.34", f->srv);
	f->cport = 40000;
	f->sport = proto == 17 ? 53 : 80;
	f->tcp_state = TCPT_ESTABLISHED;
	f->pkts[0] = f->pkts[1] = 3;
	f->app_name = app;
}

struct view {
	enum ib_id id;
	enum flow_dir dir;
	const char *s;
};

/* Alerts of rule text on one transaction view of app with the given buffers (progress: every
 * bit of the app, all newly set). */
static int txm(const char *text, const char *app, const struct view *v, size_t n)
{
	struct sig *s = one(text);
	if (!s)
		return -1;
	struct flow f;
	mkflow(&f, !strcmp(app, "dns") ? 17 : 6, app);
	struct inspect_tx tx;
	inspect_tx_init(&tx, app, 1, DIR_TO_SERVER);
	for (size_t i = 0; i < n; i++)
		inspect_add(&tx, v[i].id, v[i].dir, (const uint8_t *)v[i].s, strlen(v[i].s));
	inspect_set_attr(&tx, IA_TLS_VERSION, 0x0303);
	inspect_set_attr(&tx, IA_SSL_VERSIONS, IA_SSLV_TLS12);
	inspect_set_attr(&tx, IA_SSL_STATE, IA_SSLS_CLIENT_HELLO);
	inspect_progress(&tx, 0xff, 0xff);
	sig_inspect_view(s, &f, &tx, 1000000);
	int a = (int)sig_alerts(s);
	sig_flow_done(s, &f);
	sig_free(s);
	return a;
}

#define HR(o) "alert http any any -> any any (flow:to_server; " o " sid:1;)"
#define TS DIR_TO_SERVER

static void test_tx_matching(void)
{
	const struct view uri[] = {{IB_HTTP_URI, TS, "/index.php?id=1"}, {IB_HTTP_METHOD, TS, "GET"},
				   {IB_HTTP_HOST, TS, "www.example.com"}, {IB_HTTP_USER_AGENT, TS, "Mozilla/5.0 (X11)"},
				   {IB_HTTP_URI_RAW, TS, "/index.php?id=%31"}};
	size_t nu = KG_ARRAY_LEN(uri);
	CHECK(txm(HR("http.uri; content:\"index.php\";"), "http", uri, nu) == 1);
	CHECK(txm(HR("http.uri; content:\"nothere\";"), "http", uri, nu) == 0);
	CHECK(txm(HR("http.method; content:\"GET\"; http.uri; content:\"id=\";"), "http", uri, nu) == 1);
	CHECK(txm(HR("http.method; content:\"POST\"; http.uri; content:\"id=\";"), "http", uri, nu) == 0);
	/* the buffer a content is in matters: the host is not in the URI */
	CHECK(txm(HR("http.uri; content:\"example\";"), "http", uri, nu) == 0);
	CHECK(txm(HR("http.host; content:\"example\";"), "http", uri, nu) == 1);
	CHECK(txm(HR("content:\"example\"; http_host;"), "http", uri, nu) == 1);
	CHECK(txm(HR("content:\"index\"; http_uri; content:\"Mozilla\"; http_user_agent; depth:7;"), "http", uri, nu) == 1);
	CHECK(txm(HR("content:\"X11\"; http_user_agent; depth:7;"), "http", uri, nu) == 0);
	CHECK(txm(HR("uricontent:\"id=1\";"), "http", uri, nu) == 1);
	CHECK(txm(HR("pcre:\"/id=\\d$/U\";"), "http", uri, nu) == 1);
	CHECK(txm(HR("pcre:\"/id=\\d$/W\";"), "http", uri, nu) == 0);
	CHECK(txm(HR("pcre:\"/%31/I\";"), "http", uri, nu) == 1);
	CHECK(txm(HR("http.uri.raw; content:\"%31\";"), "http", uri, nu) == 1);
	/* startswith, endswith, bsize, urilen, isdataat on a buffer */
	CHECK(txm(HR("http.uri; content:\"/index\"; startswith;"), "http", uri, nu) == 1);
	CHECK(txm(HR("http.uri; content:\"index\"; startswith;"), "http", uri, nu) == 0);
	CHECK(txm(HR("http.uri; content:\"id=1\"; endswith;"), "http", uri, nu) == 1);
	CHECK(txm(HR("http.uri; content:\"index\"; endswith;"), "http", uri, nu) == 0);
	CHECK(txm(HR("http.uri; content:\".php\"; endswith;"), "http", uri, nu) == 0);
	CHECK(txm(HR("http.uri; content:!\".php\"; endswith;"), "http", uri, nu) == 1);
	CHECK(txm(HR("http.host; content:\"www.\"; bsize:15;"), "http", uri, nu) == 1);
	CHECK(txm(HR("http.host; content:\"www.\"; bsize:14;"), "http", uri, nu) == 0);
	CHECK(txm(HR("http.host; content:\"www.\"; bsize:>10;"), "http", uri, nu) == 1);
	CHECK(txm(HR("urilen:15; http.method; content:\"GET\";"), "http", uri, nu) == 1);
	CHECK(txm(HR("urilen:<15; http.method; content:\"GET\";"), "http", uri, nu) == 0);
	CHECK(txm(HR("urilen:17,raw; http.method; content:\"GET\";"), "http", uri, nu) == 1);
	CHECK(txm(HR("http.uri; content:\"id=\"; isdataat:1,relative;"), "http", uri, nu) == 0);
	CHECK(txm(HR("http.uri; content:\"id\"; isdataat:1,relative;"), "http", uri, nu) == 1);
	/* transforms */
	const struct view host[] = {{IB_HTTP_HOST, TS, "WWW.Evil.COM"}, {IB_HTTP_URI, TS, "/a%20b+c?q=%41B"},
				    {IB_HTTP_USER_AGENT, TS, "  Mo  zil\tla  "}};
	size_t nh = KG_ARRAY_LEN(host);
	CHECK(txm(HR("http.host; to_lowercase; content:\"www.evil.com\";"), "http", host, nh) == 1);
	CHECK(txm(HR("http.host; content:\"www.evil.com\";"), "http", host, nh) == 0);
	CHECK(txm(HR("http.host; to_uppercase; content:\"WWW.EVIL.COM\";"), "http", host, nh) == 1);
	CHECK(txm(HR("http.host; to_lowercase; dotprefix; content:\".www.evil.com\"; startswith;"), "http", host, nh) == 1);
	CHECK(txm(HR("http.uri; url_decode; content:\"/a b c?q=AB\";"), "http", host, nh) == 1);
	CHECK(txm(HR("http.uri; content:\"/a b c\";"), "http", host, nh) == 0);
	CHECK(txm(HR("http.user_agent; strip_whitespace; content:\"Mozilla\"; bsize:7;"), "http", host, nh) == 1);
	CHECK(txm(HR("http.user_agent; compress_whitespace; content:\" Mo zil la \"; bsize:11;"), "http", host, nh) == 1);
	CHECK(txm(HR("http.user_agent; content:\" Mo zil la \";"), "http", host, nh) == 0);
	/* "WWW" ^ 01 02 = 56 55 56 */
	CHECK(txm(HR("http.host; xor:\"0102\"; content:\"|56 55 56|\"; startswith;"), "http", host, nh) == 1);
	CHECK(txm(HR("http.host; pcrexform:\"^WWW\\.(.+)$\"; content:\"Evil.COM\"; bsize:8;"), "http", host, nh) == 1);
	const struct view abc[] = {{IB_HTTP_URI, TS, "abc"}};
	CHECK(txm(HR("http.uri; to_md5; content:\"|90 01 50 98 3c d2 4f b0 d6 96 3f 7d 28 e1 7f 72|\"; bsize:16;"), "http", abc, 1) == 1);
	CHECK(txm(HR("http.uri; to_sha1; content:\"|a9 99 3e 36 47 06 81 6a ba 3e 25 71 78 50 c2 6c 9c d0 d8 9d|\";"), "http", abc, 1) == 1);
	CHECK(txm(HR("http.uri; to_sha256; content:\"|ba 78 16 bf 8f 01 cf ea 41 41 40 de 5d ae 22 23 b0 03 61 a3 96 17 7a 9c b4 10 ff 61 f2 00 15 ad|\";"), "http", abc, 1) == 1);
	CHECK(txm(HR("http.uri; to_md5; content:\"abc\";"), "http", abc, 1) == 0);
	/* dns.query: each question a buffer of its own; dotprefix + endswith, as ET writes it */
	const struct view dns[] = {{IB_DNS_QUERY, TS, "www.example.org"}, {IB_DNS_QUERY, TS, "c2.evil.top"}};
	CHECK(txm("alert dns any any -> any any (dns.query; dotprefix; content:\".evil.top\"; endswith; sid:1;)", "dns", dns, 2) == 1);
	CHECK(txm("alert dns any any -> any any (dns.query; dotprefix; content:\".vil.top\"; endswith; sid:1;)", "dns", dns, 2) == 0);
	CHECK(txm("alert dns any any -> any any (dns_query; content:\"example\"; sid:1;)", "dns", dns, 2) == 1);
	CHECK(txm("alert dns any any -> any any (dns.query; content:\"www\"; content:\"evil\"; sid:1;)", "dns", dns, 2) == 0);
	/* tls buffers and attributes */
	const struct view tls[] = {{IB_TLS_SNI, TS, "login.bank.example"}, {IB_JA3_HASH, TS, "e7d705a3286e19ea42f587b344ee6865"},
				   {IB_TLS_CERT_SUBJECT, DIR_TO_CLIENT, "C=US, CN=bank.example"}};
	CHECK(txm("alert tls any any -> any any (tls.sni; content:\"bank\"; tls.version:1.2; sid:1;)", "tls", tls, 3) == 1);
	CHECK(txm("alert tls any any -> any any (tls.sni; content:\"bank\"; tls.version:1.3; sid:1;)", "tls", tls, 3) == 0);
	CHECK(txm("alert tls any any -> any any (ja3.hash; content:\"e7d705a3286e19ea42f587b344ee6865\"; sid:1;)", "tls", tls, 3) == 1);
	CHECK(txm("alert tls any any -> any any (ja3_hash; content:\"00\"; sid:1;)", "tls", tls, 3) == 0);
	CHECK(txm("alert tls any any -> any any (tls.cert_subject; content:\"CN=bank\"; sid:1;)", "tls", tls, 3) == 1);
	CHECK(txm("alert tls any any -> any any (ssl_version:tls1.2; tls.sni; content:\"bank\"; sid:1;)", "tls", tls, 3) == 1);
	CHECK(txm("alert tls any any -> any any (ssl_version:!tls1.2; tls.sni; content:\"bank\"; sid:1;)", "tls", tls, 3) == 0);
	CHECK(txm("alert tls any any -> any any (ssl_state:server_hello; tls.sni; content:\"bank\"; sid:1;)", "tls", tls, 3) == 0);
	CHECK(txm("alert tls any any -> any any (ssl_state:client_hello|server_hello; tls.sni; content:\"bank\"; sid:1;)", "tls", tls, 3) == 1);
	/* a missing buffer is no match; a rule of another app does not run */
	CHECK(txm("alert tls any any -> any any (tls.cert_issuer; content:\"CN\"; sid:1;)", "tls", tls, 3) == 0);
	CHECK(txm(HR("http.uri; content:\"bank\";"), "tls", tls, 3) == 0);
	/* smb buffers */
	const struct view smb[] = {{IB_SMB_NAMED_PIPE, TS, "\\PIPE\\svcctl"}, {IB_SMB_SHARE, TS, "\\\\10.0.0.1\\IPC$"}};
	CHECK(txm("alert smb any any -> any any (smb.named_pipe; content:\"svcctl\"; nocase; sid:1;)", "smb", smb, 2) == 1);
	CHECK(txm("alert smb any any -> any any (smb.share; content:\"ADMIN$\"; sid:1;)", "smb", smb, 2) == 0);
	/* the progress contract: a rule waits until its buffers are final and runs once */
	struct sig *s = one(HR("http.method; content:\"GET\";"));
	if (s) {
		struct flow f;
		mkflow(&f, 6, "http");
		struct inspect_tx tx;
		inspect_tx_init(&tx, "http", 1, DIR_TO_SERVER);
		inspect_add(&tx, IB_HTTP_METHOD, DIR_TO_SERVER, (const uint8_t *)"GET", 3);
		inspect_progress(&tx, 0, 0);
		sig_inspect_view(s, &f, &tx, 1);
		CHECK_EQ_U(sig_alerts(s), 0);
		inspect_progress(&tx, IP_HTTP_REQ_HEADERS, IP_HTTP_REQ_HEADERS);
		sig_inspect_view(s, &f, &tx, 2);
		CHECK_EQ_U(sig_alerts(s), 1);
		inspect_progress(&tx, IP_HTTP_REQ_HEADERS | IP_HTTP_REQ_BODY, IP_HTTP_REQ_BODY);
		sig_inspect_view(s, &f, &tx, 3);
		CHECK_EQ_U(sig_alerts(s), 1);
		sig_flow_done(s, &f);
		sig_free(s);
	}
}

/* A TCP packet 10.1.1.1:40000 -> 93.184.216.34:80 with flags, TTL 64, IP id 7, DF, payload p. */
static uint8_t pbuf[128];
static void mkpkt(struct packet *p, uint8_t flags, const char *payload)
{
	memset(p, 0, sizeof(*p));
	memset(pbuf, 0, sizeof(pbuf));
	static const uint8_t ip[20] = {0x45, 0x08, 0, 60, 0, 7, 0x40, 0, 64, 6, 0, 0, 10, 1, 1, 1, 93, 184, 216, 34};
	memcpy(pbuf, ip, sizeof(ip));
	p->family = 4;
	p->l3 = pbuf;
	p->l3_len = 40;
	memcpy(p->src, ip + 12, 4);
	memcpy(p->dst, ip + 16, 4);
	p->ipproto = 6;
	p->ttl = 64;
	p->l4 = pbuf + 20;
	p->l4_len = 20;
	p->sport = 40000;
	p->dport = 80;
	p->tcp_flags = flags;
	p->seq = 1000;
	p->ack = 2000;
	p->win = 512;
	p->payload = (const uint8_t *)payload;
	p->payload_len = payload ? strlen(payload) : 0;
	p->ts_us = 5000000;
}

static int pktm(const char *text, uint8_t flags, const char *payload)
{
	struct sig *s = one(text);
	if (!s)
		return -1;
	struct flow f;
	mkflow(&f, 6, NULL);
	struct packet p;
	mkpkt(&p, flags, payload);
	sig_packet_view(s, &p, &f, DIR_TO_SERVER);
	int a = (int)sig_alerts(s);
	sig_flow_done(s, &f);
	sig_free(s);
	return a;
}

#define PR(o) "alert tcp any any -> any any (" o " sid:1;)"

static void test_packet_matching(void)
{
	CHECK(pktm(PR("flags:S;"), TH_SYN_, NULL) == 1);
	CHECK(pktm(PR("flags:S;"), TH_SYN_ | TH_ACK_, NULL) == 0);
	CHECK(pktm(PR("flags:S,12;"), TH_SYN_ | TH_ECE_ | TH_CWR_, NULL) == 1);
	CHECK(pktm(PR("flags:+S;"), TH_SYN_ | TH_ACK_, NULL) == 1);
	CHECK(pktm(PR("flags:*FR;"), TH_ACK_ | TH_RST_, NULL) == 1);
	CHECK(pktm(PR("flags:!R;"), TH_ACK_ | TH_RST_, NULL) == 0);
	CHECK(pktm(PR("ttl:64;"), TH_ACK_, NULL) == 1);
	CHECK(pktm(PR("ttl:<64;"), TH_ACK_, NULL) == 0);
	CHECK(pktm(PR("ttl:60-70;"), TH_ACK_, NULL) == 1);
	CHECK(pktm(PR("tos:8;"), TH_ACK_, NULL) == 1);
	CHECK(pktm(PR("tos:4;"), TH_ACK_, NULL) == 0);
	CHECK(pktm(PR("id:7;"), TH_ACK_, NULL) == 1);
	CHECK(pktm(PR("id:8;"), TH_ACK_, NULL) == 0);
	CHECK(pktm(PR("ip_proto:tcp;"), TH_ACK_, NULL) == 1);
	CHECK(pktm(PR("ip_proto:!6;"), TH_ACK_, NULL) == 0);
	CHECK(pktm(PR("window:512;"), TH_ACK_, NULL) == 1);
	CHECK(pktm(PR("window:!512;"), TH_ACK_, NULL) == 0);
	CHECK(pktm(PR("seq:1000;"), TH_ACK_, NULL) == 1);
	CHECK(pktm(PR("ack:2001;"), TH_ACK_, NULL) == 0);
	CHECK(pktm(PR("fragbits:D;"), TH_ACK_, NULL) == 1);
	CHECK(pktm(PR("fragbits:M;"), TH_ACK_, NULL) == 0);
	CHECK(pktm(PR("fragoffset:0;"), TH_ACK_, NULL) == 1);
	CHECK(pktm(PR("ipopts:rr;"), TH_ACK_, NULL) == 0);
	CHECK(pktm(PR("sameip;"), TH_ACK_, NULL) == 0);
	CHECK(pktm(PR("itype:8;"), TH_ACK_, NULL) == 0); /* not ICMP */
	CHECK(pktm(PR("stream_size:client,<,5;"), TH_ACK_, NULL) == 1);
	CHECK(pktm(PR("stream_size:client,>,5;"), TH_ACK_, NULL) == 0);
	CHECK(pktm(PR("dsize:4; content:\"abcd\";"), TH_ACK_, "abcd") == 1);
	CHECK(pktm(PR("dsize:>4; content:\"abcd\";"), TH_ACK_, "abcd") == 0);
	CHECK(pktm("alert tcp-pkt any any -> any any (content:\"abcd\"; sid:1;)", TH_ACK_, "xxabcd") == 1);
	CHECK(pktm("alert tcp-pkt any any -> any any (content:\"abcd\"; endswith; sid:1;)", TH_ACK_, "abcdxx") == 0);
	CHECK(pktm("alert tcp-pkt any any -> any any (content:\"ab\"; depth:2; sid:1;)", TH_ACK_, "abcdxx") == 1); /* anchored short */
	CHECK(pktm("alert tcp-pkt any any -> any any (content:\"ab\"; offset:1; depth:3; sid:1;)", TH_ACK_, "abcdxx") == 0);
	CHECK(pktm("alert tcp-pkt any any -> any any (app-layer-protocol:http; content:\"abcd\"; sid:1;)", TH_ACK_, "abcd") == 0);
	CHECK(pktm("alert tcp-pkt any any -> any any (app-layer-protocol:!http; content:\"abcd\"; sid:1;)", TH_ACK_, "abcd") == 1);
	/* an app protocol in the header: only flows the app layer gave that name */
	CHECK(pktm("alert smtp any any -> any any (flags:A; sid:1;)", TH_ACK_, NULL) == 0);

	/* IP-only rules: once per flow direction (its first packet), thresholds per source across flows */
	struct sig *s = one("alert ip [10.1.0.0/16,!10.1.9.9] any -> [93.184.216.0/24] any (msg:\"ip-only\"; "
			    "threshold:type limit, track by_src, count 2, seconds 60; sid:1;)");
	if (s) {
		CHECK(s && sig_rules(s)->rules[0]->path == PATH_IPONLY);
		struct flow f[3];
		struct packet p;
		for (int k = 0; k < 3; k++) {
			mkflow(&f[k], 6, NULL);
			f[k].cport = (uint16_t)(40000 + k);
			mkpkt(&p, TH_SYN_, NULL);
			f[k].pkts[0] = 1;
			sig_packet_view(s, &p, &f[k], DIR_TO_SERVER);
			f[k].pkts[0] = 2;
			sig_packet_view(s, &p, &f[k], DIR_TO_SERVER); /* not the first packet: not evaluated */
		}
		CHECK_EQ_U(sig_alerts(s), 2); /* limit 2 per source across the three flows */
		for (int k = 0; k < 3; k++)
			sig_flow_done(s, &f[k]);
		sig_free(s);
	}
	/* threshold both / detection_filter by_src across flows (Suricata's semantics), by_dst apart */
	static const struct {
		const char *thr;
		unsigned alerts;
	} thr[] = {
		{"threshold:type both, track by_src, count 3, seconds 60;", 1},
		{"threshold:type threshold, track by_src, count 2, seconds 60;", 2},
		{"threshold:type limit, track by_src, count 1, seconds 60;", 1},
		{"detection_filter:track by_src, count 3, seconds 60;", 2},
		{"threshold:type limit, track by_rule, count 4, seconds 60;", 4},
	};
	for (size_t t = 0; t < KG_ARRAY_LEN(thr); t++) {
		char text[256];
		snprintf(text, sizeof(text), "alert tcp-pkt any any -> any any (content:\"abcd\"; %s sid:1;)", thr[t].thr);
		s = one(text);
		if (!s)
			continue;
		struct flow f[5];
		struct packet p;
		for (int k = 0; k < 5; k++) {
			mkflow(&f[k], 6, NULL);
			f[k].cport = (uint16_t)(41000 + k);
			mkpkt(&p, TH_ACK_, "abcd");
			sig_packet_view(s, &p, &f[k], DIR_TO_SERVER);
		}
		if (sig_alerts(s) != thr[t].alerts)
			fprintf(stderr, "%s: %llu alerts\n", thr[t].thr, (unsigned long long)sig_alerts(s));
		CHECK_EQ_U(sig_alerts(s), thr[t].alerts);
		for (int k = 0; k < 5; k++)
			sig_flow_done(s, &f[k]);
		sig_free(s);
	}
	/* xbits: set by one flow, seen by another flow of the same source */
	struct rule_set *rs = rule_set_new();
	CHECK(rule_parse_line(rs, &CFG, "alert tcp-pkt any any -> any any (content:\"SET\"; xbits:set,mark,track ip_src,expire 30; noalert; sid:1;)", "x", 1, err, sizeof(err)) == RULE_OK);
	CHECK(rule_parse_line(rs, &CFG, "alert tcp-pkt any any -> any any (content:\"TEST\"; xbits:isset,mark,track ip_src; sid:2;)", "x", 2, err, sizeof(err)) == RULE_OK);
	CHECK(rule_parse_line(rs, &CFG, "alert tcp-pkt any any -> any any (content:\"TEST\"; flowbits:isset,mark|other; sid:3;)", "x", 3, err, sizeof(err)) == RULE_OK);
	if (sig_new(&s, rs, EM, err, sizeof(err)) == SIG_OK) {
		struct flow f1, f2;
		struct packet p;
		mkflow(&f1, 6, NULL);
		mkflow(&f2, 6, NULL);
		f2.cport = 42000;
		mkpkt(&p, TH_ACK_, "TEST");
		sig_packet_view(s, &p, &f2, DIR_TO_SERVER);
		CHECK_EQ_U(sig_alerts(s), 0);
		mkpkt(&p, TH_ACK_, "SET");
		sig_packet_view(s, &p, &f1, DIR_TO_SERVER);
		mkpkt(&p, TH_ACK_, "TEST");
		sig_packet_view(s, &p, &f2, DIR_TO_SERVER);
		CHECK_EQ_U(sig_alerts(s), 1); /* sid 2 only: the flowbit of flow 2 was never set */
		sig_flow_done(s, &f1);
		sig_flow_done(s, &f2);
		sig_free(s);
	}
}

/* The fast pattern of a payload rule is chosen for rarity (rules.h rule_pattern_strength); a
 * common anchored one is checked at its positions (fp_direct); matching is unchanged. */
static int fp_of(const char *opts, bool *direct)
{
	char text[512];
	snprintf(text, sizeof(text), "alert tcp any any -> any any (%s sid:1;)", opts);
	struct rule_set *rs = parse1(text);
	CHECK(rs != NULL);
	if (!rs)
		return -2;
	int fp = rs->rules[0]->fp_op;
	*direct = rs->rules[0]->fp_direct;
	rule_set_free(rs);
	return fp;
}

#define PKT(o) "alert tcp-pkt any any -> any any (" o " sid:1;)"

static void test_fast_pattern(void)
{
	CHECK_EQ_U(rule_pattern_strength((const uint8_t *)"AAAAAAAA", 8, false), 1);
	CHECK_EQ_U(rule_pattern_strength((const uint8_t *)"\0\0\0\0\0", 5, false), 1);
	CHECK_EQ_U(rule_pattern_strength((const uint8_t *)"\x01\0\0\0", 4, false), 5);
	CHECK_EQ_U(rule_pattern_strength((const uint8_t *)"\xffSMB", 4, false), 4);
	CHECK_EQ_U(rule_pattern_strength((const uint8_t *)"\xffsmb", 4, true), 4);
	CHECK_EQ_U(rule_pattern_strength((const uint8_t *)"evil", 4, false), 12);
	CHECK_EQ_U(rule_pattern_strength((const uint8_t *)"EvIl", 4, true), 12);
	CHECK_EQ_U(rule_pattern_strength((const uint8_t *)"eve!", 4, false), 11);
	CHECK_EQ_U(rule_pattern_strength((const uint8_t *)"\x90\x91", 2, false), 12);
	/* only the prefilter's prefix counts */
	CHECK_EQ_U(rule_pattern_strength((const uint8_t *)"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAxyz", 35, false), 1);
	bool d;
	/* rarer beats longer */
	CHECK_EQ_U(fp_of("content:\"|00 00 00 00 00 00 00 00|\"; content:\"evil\";", &d), 1);
	CHECK(!d);
	CHECK_EQ_U(fp_of("content:\"|ff|SMB|25 00|\"; content:\"mal!\";", &d), 1);
	/* equal strength: the longer */
	CHECK_EQ_U(fp_of("content:\"abcd\"; content:\"abcde\";", &d), 1);
	/* a common fast_pattern gives way to a rarer content; a rare or short one is kept */
	CHECK_EQ_U(fp_of("content:\"AAAAAAAA\"; fast_pattern; content:\"xyzw\";", &d), 1);
	CHECK_EQ_U(fp_of("content:\"abcdefgh\"; content:\"wxyz\"; fast_pattern;", &d), 1);
	CHECK_EQ_U(fp_of("content:\"abcdefgh\"; content:\"wx\"; fast_pattern;", &d), 1);
	CHECK_EQ_U(fp_of("content:\"AAAAAAAA\"; fast_pattern; content:\"|00 00 00 00|\";", &d), 0);
	/* only common contents: an anchored one is checked at its positions */
	CHECK_EQ_U(fp_of("content:\"|00 00 00 00|\"; content:\"|ff|SMBr\"; offset:4; depth:5;", &d), 1);
	CHECK(d);
	CHECK_EQ_U(fp_of("content:\"|ff|SMBr\"; offset:4; depth:40;", &d), 0); /* window too wide */
	CHECK(!d);
	/* a short anchored content that is rarer than the common long one */
	CHECK_EQ_U(fp_of("content:\"AAAAAAAA\"; content:\"|d4 c3|\"; depth:2;", &d), 1);
	CHECK(!d);
	bool anch = false;
	struct rule_set *rs = parse1("alert tcp any any -> any any (content:\"AAAA\"; depth:4; sid:1;)");
	CHECK(rs && rs->rules[0]->fp_direct && detect_fp_weak(rs->rules[0], &anch) && anch);
	if (rs)
		rule_set_free(rs);
	/* matching is the same whichever content is the fast pattern (tcp-pkt: on the packet) */
	CHECK(pktm(PKT("content:\"AAAA\"; depth:4;"), TH_ACK_, "AAAAxx") == 1);
	CHECK(pktm(PKT("content:\"AAAA\"; depth:4;"), TH_ACK_, "xAAAAx") == 0);
	CHECK(pktm(PKT("content:\"AAAA\"; offset:1; depth:5;"), TH_ACK_, "xAAAAx") == 1);
	CHECK(pktm(PKT("content:\"AAAAAAAA\"; content:\"evil\";"), TH_ACK_, "..AAAAAAAA..evil") == 1);
	CHECK(pktm(PKT("content:\"AAAAAAAA\"; content:\"evil\";"), TH_ACK_, "..AAAAAAAA..evi") == 0);
	CHECK(pktm(PKT("content:\"AAAAAAAA\"; content:\"evil\";"), TH_ACK_, "..AAAAAAA..evil") == 0);
	/* the dsize prefilter's size sets (one or two ranges) */
	CHECK(pktm(PR("dsize:!4; content:\"abcd\";"), TH_ACK_, "abcd") == 0);
	CHECK(pktm(PR("dsize:!4; content:\"abcd\";"), TH_ACK_, "abcdx") == 1);
	CHECK(pktm(PR("dsize:3<>6; content:\"abcd\";"), TH_ACK_, "abcd") == 1);
	CHECK(pktm(PR("dsize:4<>6; content:\"abcd\";"), TH_ACK_, "abcd") == 0);
	CHECK(pktm(PR("dsize:<5; content:\"abcd\";"), TH_ACK_, "abcd") == 1);
	CHECK(pktm(PR("dsize:<4; content:\"abcd\";"), TH_ACK_, "abcd") == 0);
	CHECK(pktm(PR("dsize:>3; content:\"abcd\";"), TH_ACK_, "abcd") == 1);
}

/* KAGAMI_HS_CACHE: a Hyperscan database is stored once compiled and read back by the next build of
 * the same patterns (with the same matches); a damaged file is ignored and replaced. */
static struct mpm *cache_build(int npat, bool *cached)
{
	struct mpm *m = mpm_new(MPM_HS);
	mpm_set_bulk(m);
	for (int i = 0; i < npat; i++) {
		char p[16];
		snprintf(p, sizeof(p), "pat%03dx", i);
		mpm_add(m, (const uint8_t *)p, strlen(p), i % 2 == 0, (uint32_t)i);
	}
	CHECK(mpm_compile(m, err, sizeof(err)) == MPM_OK);
	*cached = mpm_cached(m);
	return m;
}

static int cache_scan(struct mpm *m)
{
	const uint8_t data[] = "..pat007x..PAT010X..pat011X..pat040x";
	struct mpm_scratch *sc = mpm_scratch_new();
	CHECK(mpm_scratch_fit(sc, m));
	memset(counts, 0, sizeof(counts));
	mpm_scan(m, sc, data, sizeof(data) - 1, on_id, NULL);
	mpm_scratch_free(sc);
	return counts[7] * 1000 + counts[10] * 100 + counts[11] * 10 + counts[40];
}

static void test_mpm_cache(void)
{
	if (!mpm_hs_built())
		return;
	char dir[] = "/tmp/kagami-test-hscache.XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	setenv("KAGAMI_HS_CACHE", dir, 1);
	bool c1, c2, c3, c4;
	struct mpm *a = cache_build(48, &c1), *b = cache_build(48, &c2), *c = cache_build(49, &c3);
	CHECK(!c1 && c2 && !c3); /* another pattern set is another database */
	int ra = cache_scan(a), rb = cache_scan(b);
	CHECK_EQ_U(ra, 1101); /* pat011x is case-sensitive (odd index): no match */
	CHECK_EQ_U(rb, ra);
	mpm_free(a);
	mpm_free(b);
	mpm_free(c);
	/* damage every file: rebuilt, not read */
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "for f in %s/*.db; do printf garbage >\"$f\"; done", dir);
	CHECK(system(cmd) == 0);
	struct mpm *d = cache_build(48, &c4);
	CHECK(!c4);
	CHECK_EQ_U(cache_scan(d), 1101);
	mpm_free(d);
	unsetenv("KAGAMI_HS_CACHE");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
}

/* Both prefilters find the same patterns (with Hyperscan built in). */
static void test_mpm(void)
{
	static const char *const pats[] = {"abcd", "ABCD", "bcd", "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", "needle", "NeEdLe", "x"};
	const uint8_t data[] = "..abcd..needle..ABC..zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz";
	for (int kind = MPM_AC; kind <= (mpm_hs_built() ? MPM_HS : MPM_AC); kind++) {
		struct mpm *m = mpm_new(kind);
		for (size_t i = 0; i < KG_ARRAY_LEN(pats); i++)
			mpm_add(m, (const uint8_t *)pats[i], strlen(pats[i]), i == 5 || i == 1, (uint32_t)i);
		CHECK(mpm_compile(m, err, sizeof(err)) == MPM_OK);
		struct mpm_scratch *sc = mpm_scratch_new();
		CHECK(mpm_scratch_fit(sc, m));
		memset(counts, 0, sizeof(counts));
		mpm_scan(m, sc, data, sizeof(data) - 1, on_id, NULL);
		CHECK(counts[0] > 0 && counts[1] > 0 && counts[2] > 0 && counts[3] > 0 && counts[4] > 0 && counts[5] > 0);
		CHECK(counts[6] == 0 || kind == MPM_AC); /* "x": only the case-folding automaton could */
		mpm_scratch_free(sc);
		mpm_free(m);
	}
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
	struct output_cfg oc = {.path = "/dev/null", .format = OUT_FMT_MSGPACK};
	struct output *out;
	CHECK(output_open(&oc, &out, err, sizeof(err)) == OUT_OK);
	EM = emitter_new(out);
	test_header();
	test_options();
	test_malformed();
	test_text();
	test_matching();
	test_buffers_parse();
	test_buffers_malformed();
	test_tx_matching();
	test_packet_matching();
	test_fast_pattern();
	test_mpm();
	test_mpm_cache();
	test_ac();
	sig_free(S);
	emitter_free(EM);
	(void)output_close(out);
	return check_done("test_rules");
}
