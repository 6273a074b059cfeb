#!/bin/sh
# tests/rules.sh - the signature matcher on captures (suricata-verify style): for each rule file,
# the exact number of alerts per sid on every capture that must fire it, none on the benign
# captures; evidence fields; stream matching across segments; --test-rules, --rules-lax,
# error messages naming file, line and option; SIGHUP reload (broken set keeps the old one).
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
need jq
scratch
P="$top_srcdir/pcaps"
S="$top_srcdir/signatures"
D="$top_srcdir/tests/data/rules"
R=$(shared_dir)
status=0
bad() { echo "FAIL: $*"; status=1; }

# counts RULES CAPTURE: "sid count" lines for rule-file alerts (sids outside the built-in 9000000-9099999)
counts() {
	"$KAGAMI" -r "$2" --rules "$1" --no-flows --no-stats -w - 2>"$WORK/stderr" | "$KAGAMI_CAT" >"$WORK/ev.json" ||
		{ bad "kagami failed on $2: $(cat "$WORK/stderr")"; return; }
	jq -r 'select(.event_type == "alert") | .alert.signature_id | select(. < 9000000 or . >= 9100000)' \
		"$WORK/ev.json" | sort -n | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ' | sed 's/ $//'
}
# expect RULES CAPTURE "sid=count ..." (empty = no alert at all)
expect() {
	[ -f "$2" ] || { echo "note: $2 absent"; return; }
	got=$(counts "$1" "$2")
	[ "$got" = "$3" ] || bad "$(basename "$1") on $(basename "$2"): expected [$3], got [$got]"
}

# --- shipped rules on the generated captures
expect "$S" "$P/rules-wannacry-dns.pcap" "9100040=2 9100041=1"
jq -e -s '[.[] | select(.alert.signature_id == 9100040)][0] | .src_ip == "10.20.0.15" and .dest_port == 53
	and .alert.category == "trojan-activity" and .alert.severity == 1 and .alert.gid == 1 and .alert.rev == 1
	and .rule.inspected == "packet" and .rule.match_offset == 16 and .rule.match_length == 47
	and (.rule.payload_excerpt | startswith("29697571657266"))' "$WORK/ev.json" >/dev/null ||
	bad "wannacry: alert fields or evidence"
# the generated Heartbleed captures (tests/tls.sh describes them): the payload rules need the
# record header at the start of a segment (offset/depth count from the chunk start)
expect "$S" "$P/tls-hb-clear-patched.pcap" "9100001=1 9100003=1 9100004=1"
expect "$S" "$P/tls-hb-clear-vulnerable.pcap" "9100001=1 9100002=1"
expect "$S" "$P/tls-hb-encrypted-noreply.pcap" "9100005=1"
expect "$S" "$P/tls-hb-encrypted-success.pcap" "9100002=1 9100005=1"
# the generated SMB and DNS captures (tests/smb.sh and tests/dns.sh describe them): the payload
# rules see what the SMB dissector sees where each message starts a segment
expect "$S" "$P/smb-doublepulsar.pcap" "9100020=2 9100021=1 9100022=1"
expect "$S" "$P/smb-eternalblue.pcap" "9100030=1"
expect "$S" "$P/smb-ms17-patched.pcap" "9100010=2"
expect "$S" "$P/smb-ms17-vulnerable.pcap" "9100010=1 9100011=1"
expect "$S" "$P/dns-killswitch-udp.pcap" "9100040=3"
# --- keywords on the wire (tests/data/keywords.rules on the generated pcaps/rules-keywords.pcap):
# each positive rule fires as counted, its twin (sid + 100, the keyword changed) never: header
# keywords, startswith/endswith, dsize, tcp-pkt, stream_size, ICMP keywords, ip_proto, threshold
# both and detection_filter by source across three sessions, xbits across sessions, IP-only once
# per flow direction and limited per source, the second SMB message of a segment at offset 4
expect "$top_srcdir/tests/data/keywords.rules" "$P/rules-keywords.pcap" \
	"1=1 2=1 3=1 4=1 5=1 6=1 7=1 8=1 9=1 10=1 11=1 12=1 13=1 14=1 16=2 17=2 18=1 19=1"
for f in "$P"/*.pcap; do
	case $(basename "$f") in rules-wannacry-dns.pcap | tls-hb-clear-patched.pcap | tls-hb-clear-vulnerable.pcap | \
		tls-hb-encrypted-noreply.pcap | tls-hb-encrypted-success.pcap | smb-doublepulsar.pcap | \
		smb-eternalblue.pcap | smb-ms17-patched.pcap | smb-ms17-vulnerable.pcap | dns-killswitch-udp.pcap) continue ;; esac
	expect "$S" "$f" ""
done

# --- flows no stream rule can apply to are not scanned: with the shipped rules (every stream
# rule names tls, smb or dns) an HTTP flow is skipped once the app layer has decided; one rule
# with a bare tcp header brings every TCP flow back
chunks() { # rules... -> "inspected skipped"
	"$KAGAMI" -r "$P/http-killswitch.pcap" "$@" --stats-interval 0 --no-flows -w - | "$KAGAMI_CAT" -t stats |
		tail -n 1 | jq -r '.stats.signatures | "\(.stream_chunks_inspected) \(.stream_chunks_skipped)"'
}
set -- $(chunks --rules "$S")
[ "$2" -gt 0 ] || bad "shipped rules: no stream chunk of the HTTP flow skipped ($*)"
printf 'alert tcp any any -> any any (msg:"any tcp"; content:"zzzz"; sid:5;)\n' >"$WORK/anytcp.rules"
set -- $(chunks --rules "$S" --rules "$WORK/anytcp.rules")
[ "$2" = 0 ] && [ "$1" -gt 0 ] || bad "a bare tcp rule: stream chunks inspected/skipped $*, expected all inspected"

# --- stream matching: a content cut across two segments matches once per direction
cat >"$WORK/split.rules" <<'R'
alert tcp any any -> any any (msg:"marker to server"; flow:to_server,established; content:"split-marker-0123"; sid:1;)
alert tcp any any -> any any (msg:"marker to client"; flow:to_client; content:"kagami-split-marker"; sid:2;)
alert tcp any any -> any any (msg:"packet-only never sees it whole"; flow:no_stream; content:"kagami-split-marker-0123456789 REQ"; sid:3;)
R
expect "$WORK/split.rules" "$P/rules-stream-split.pcap" "1=2 2=1"
jq -e -s '[.[] | select(.alert.signature_id == 1)] | .[0].rule.inspected == "stream" and .[0].rule.stream_offset == 13
	and .[1].rule.stream_offset == 57' "$WORK/ev.json" >/dev/null || bad "split: stream offsets"

# --- after a reassembly gap (bytes 2800-4199 never captured) stream offsets stay true: the
# text repeats every 1296 bytes, so the pattern is at 312, 1608, (2904 lost), 4200, 5496, ...
# and each chunk reports its first occurrence
printf 'alert tcp any any -> any 8443 (msg:"periodic"; flow:to_server; content:"6dkry5cjqx4bjqx4"; sid:40;)\n' >"$WORK/gap.rules"
counts "$WORK/gap.rules" "$P/core-nids-gap.pcap" >/dev/null
got=$(jq -s -c '[.[] | select(.alert.signature_id == 40 and .src_port == 48001) | .rule.stream_offset] | .[0:4]' "$WORK/ev.json")
[ "$got" = "[312,1608,4200,6792]" ] || bad "stream offsets across a gap: $got"

# --- a "tls" rule sees the ClientHello although the TLS dissector recognises the flow only after
# the modules saw that first chunk (deferred to the end of the packet)
printf 'alert tls any any -> any any (msg:"client hello"; flow:to_server; content:"|16 03|"; depth:2; content:"|01|"; distance:3; within:1; sid:50;)\n' >"$WORK/tls.rules"
expect "$WORK/tls.rules" "$P/tls-13.pcap" "50=1"
jq -e -s '[.[] | select(.alert.signature_id == 50)][0].rule | .stream_offset == 0 and .inspected == "stream"' \
	"$WORK/ev.json" >/dev/null || bad "deferred tls rule: evidence"

# --- flowbits and rate keywords, in rule order within a chunk: HELLO (to server), REPLY (to
# client), AGAIN (to server); the marker is in all three chunks. 12 does not fire because 13
# toggled b on before AGAIN; 16 does not because 15 unset a first. Thresholds count per host
# across flows as Suricata's track by_src does: the client sent the marker twice, the server
# once, so 20 (more than 1) fires once, 21 (limit 2) three times (2 + 1), 22 (every 2nd) once,
# 23 and 24 (exactly the 3rd and 4th) never.
cat >"$WORK/fb.rules" <<'R'
alert tcp any any -> any any (msg:"set a"; flow:to_server; content:"HELLO"; flowbits:set,a; flowbits:noalert; sid:10;)
alert tcp any any -> any any (msg:"a is set"; flow:to_client; content:"REPLY"; flowbits:isset,a; sid:11;)
alert tcp any any -> any any (msg:"b not set"; flow:to_server; content:"AGAIN"; flowbits:isnotset,b; sid:12;)
alert tcp any any -> any any (msg:"toggle b"; flow:to_client; content:"REPLY"; flowbits:toggle,b; noalert; sid:13;)
alert tcp any any -> any any (msg:"b is set"; flow:to_server; content:"AGAIN"; flowbits:isset,b; sid:14;)
alert tcp any any -> any any (msg:"unset a"; flow:to_server; content:"AGAIN"; flowbits:unset,a; flowbits:noalert; sid:15;)
alert tcp any any -> any any (msg:"a after unset"; flow:to_server; content:"AGAIN"; flowbits:isset,a; sid:16;)
alert tcp any any -> any any (msg:"df 1"; content:"kagami-split-marker"; detection_filter:track by_src, count 1, seconds 60; sid:20;)
alert tcp any any -> any any (msg:"limit 2"; content:"kagami-split-marker"; threshold:type limit, track by_src, count 2, seconds 60; sid:21;)
alert tcp any any -> any any (msg:"threshold 2"; content:"kagami-split-marker"; threshold:type threshold, track by_src, count 2, seconds 60; sid:22;)
alert tcp any any -> any any (msg:"both 3"; content:"kagami-split-marker"; threshold:type both, track by_src, count 3, seconds 60; sid:23;)
alert tcp any any -> any any (msg:"both 4"; content:"kagami-split-marker"; threshold:type both, track by_src, count 4, seconds 60; sid:24;)
alert tcp any any -> any any (msg:"dsize packet"; flow:to_server; dsize:>20; content:"AGAIN"; sid:25;)
R
expect "$WORK/fb.rules" "$P/rules-stream-split.pcap" "11=1 14=1 20=1 21=3 22=1 25=1"
jq -e -s '[.[] | select(.alert.signature_id == 25)][0].rule.inspected == "packet"' "$WORK/ev.json" >/dev/null ||
	bad "dsize rule: not inspected per packet"

# --- a matching pass rule silences the others on that packet or chunk: on the REPLY chunk 11
# does not fire and 13 does not toggle b (so 12 fires and 14 does not); the marker completed
# in the next chunk still counts for 20-23
{ cat "$WORK/fb.rules"; echo 'pass tcp any any -> any any (msg:"quiet replies"; flow:to_client; content:"REPLY"; sid:30;)'; } >"$WORK/pass.rules"
expect "$WORK/pass.rules" "$P/rules-stream-split.pcap" "12=1 20=1 21=3 22=1 25=1"

# --- real captures: shipped rules, ET-shaped and Talos-shaped rules
if [ -n "$R" ]; then
	expect "$S" "$R/heartbleed-success.pcap" "9100001=1 9100002=1 9100003=1"
	jq -e -s '[.[] | select(.alert.signature_id == 9100003)][0].rule | .inspected == "stream" and .match_offset == 0' \
		"$WORK/ev.json" >/dev/null || bad "heartbleed payload rule: stream evidence"
	jq -e -s '[.[] | select(.alert.signature_id == 9100001)][0].rule | .inspected == "app_event" and .app_event == "tls.overflow_heartbeat_message"' \
		"$WORK/ev.json" >/dev/null || bad "heartbleed event rule: evidence"
	expect "$S" "$R/heartbleed-attempt-patched-noreply.pcap" "9100001=1 9100003=1"
	expect "$S" "$R/heartbleed-encrypted-success.pcap" "9100002=1 9100005=1"
	expect "$S" "$R/heartbleed-encrypted-short-port4443.pcap" "9100002=1 9100005=1"
	expect "$S" "$R/heartbleed-encrypted-attempt-noreply.pcap" ""
	expect "$S" "$R/doublepulsar-ping-win7.pcap" "9100020=1 9100021=1"
	expect "$S" "$R/eternalblue-metasploit-win7x64.pcap" "9100030=1 9100031=1"
	expect "$S" "$R/eternalblue-success-win7.pcap" "9100020=4 9100022=1 9100030=2 9100031=1"
	expect "$S" "$R/eternalromance-doublepulsar-meterpreter.pcap" "9100020=1 9100021=1 9100022=1"
	expect "$S" "$R/wannacry-worm-propagation.pcap" "9100010=6 9100011=5 9100020=26 9100021=9 9100022=2 9100030=14 9100031=4"
	jq -e -s '[.[] | select(.alert.signature_id == 9100011)][0] | .rule.match_offset == 4 and .direction == "to_client"
		and .alert.category == "successful-recon-limited"' "$WORK/ev.json" >/dev/null || bad "ms17-010 answer: evidence"
	expect "$D" "$R/doublepulsar-ping-win7.pcap" "42331=1 42332=1 2024216=1"
	expect "$D" "$R/eternalblue-metasploit-win7x64.pcap" "41978=1 2024217=1"
	expect "$D" "$R/eternalblue-success-win7.pcap" "41978=2 42331=4 42332=1 42944=12 2024216=1 2024217=1 2024218=4"
	expect "$D" "$R/eternalromance-doublepulsar-meterpreter.pcap" "42331=5 42332=4 2024216=4"
	# the Trans2 SESSION_SETUP (MID 129) of the Romance run, the second SMB message of its segment
	expect "$D" "$R/eternalromance-success-2008r2.pcap" "42331=1"
	expect "$D" "$R/wannacry-worm-propagation.pcap" "41978=14 42331=28 42332=3880 2024216=3880 2024217=3 2024218=5 2025650=5"
	expect "$S" "$R/eternalromance-success-2008r2.pcap" ""
	for f in "$R"/benign-*.pcap "$R"/malformed-*.pcap "$R"/smbghost-*.pcap "$R"/eternalblue-failed-*.pcap \
		"$R"/eternalchampion-*.pcap; do
		expect "$S" "$f" ""
		expect "$D" "$f" ""
	done
else
	echo "note: no shared captures; real-capture checks skipped"
fi

# --- --test-rules
out=$("$KAGAMI" --test-rules "$S" 2>&1) || bad "--test-rules signatures: $out"
echo "$out" | grep -q "^14 rules OK in 3 files$" || bad "--test-rules output: $out"
out=$("$KAGAMI" --test-rules "$D" 2>&1) || bad "--test-rules test rules: $out"
printf 'alert tcp any any -> any any (msg:"ok"; sid:5;)\n# comment\nalert tcp any any -> any any (msg:"x"; content:"a"; bogus_kw:1; sid:6;)\n' >"$WORK/bad.rules"
if out=$("$KAGAMI" --test-rules "$WORK/bad.rules" 2>&1); then bad "--test-rules accepted an unknown option"; fi
echo "$out" | grep -q "bad.rules:3: option 'bogus_kw': unknown option" || bad "error message: $out"
out=$("$KAGAMI" --rules-lax --test-rules "$WORK/bad.rules" 2>&1) || bad "--rules-lax --test-rules failed: $out"
echo "$out" | grep -q "1 rules OK in 1 files, 1 malformed rules skipped" || bad "--rules-lax report: $out"
if "$KAGAMI" -r "$P/rules-wannacry-dns.pcap" --rules "$WORK/bad.rules" -w /dev/null 2>"$WORK/err"; then
	bad "a malformed rule file did not stop kagami"
fi
grep -q "bad.rules:3: option 'bogus_kw'" "$WORK/err" || bad "startup error: $(cat "$WORK/err")"
"$KAGAMI" -r "$P/rules-wannacry-dns.pcap" --rules "$WORK/bad.rules" --rules-lax -w /dev/null 2>"$WORK/err" ||
	bad "--rules-lax run failed"
grep -q "1 malformed rules skipped" "$WORK/err" || bad "--rules-lax startup report: $(cat "$WORK/err")"
# variables: --var overrides the default HOME_NET; an undefined one is an error naming it
printf 'alert dns any any -> $DNS_RESOLVER 53 (msg:"to resolver"; content:"example"; sid:7;)\n' >"$WORK/var.rules"
expect_var() {
	got=$("$KAGAMI" -r "$P/rules-wannacry-dns.pcap" --rules "$WORK/var.rules" --var "DNS_RESOLVER=$1" --no-stats -w - |
		"$KAGAMI_CAT" | jq -s '[.[] | select(.event_type == "alert" and .alert.signature_id == 7)] | length')
	[ "$got" = "$2" ] || bad "--var DNS_RESOLVER=$1: $got alerts, expected $2"
}
expect_var "[10.20.0.0/24,!10.20.0.99]" 2
expect_var "![10.20.0.2]" 0
out=$("$KAGAMI" --test-rules "$WORK/var.rules" 2>&1) && bad "undefined variable accepted"
echo "$out" | grep -q "undefined variable '\$DNS_RESOLVER'" || bad "undefined variable message: $out"

# --- SIGHUP: a broken set keeps the running one (reported), a good set replaces it
reload() { # new-rules-file expected-status expected-sid
	cp "$S/wannacry.rules" "$WORK/live.rules"
	rm -f "$WORK/fifo" "$WORK/hup.mp"
	mkfifo "$WORK/fifo"
	"$KAGAMI" -r - --rules "$WORK/live.rules" --no-stats -w "$WORK/hup.mp" <"$WORK/fifo" 2>"$WORK/hup.err" &
	pid=$!
	rm -f "$WORK/go"
	{
		while [ ! -f "$WORK/go" ]; do sleep 0.1; done
		cat "$P/rules-wannacry-dns.pcap"
	} >"$WORK/fifo" &
	feeder=$!
	# wait until kagami handles SIGHUP (bit 1 of SigCgt), else the signal would end it
	i=0
	while [ $i -lt 300 ]; do
		mask=$(awk '/^SigCgt:/ { print $2 }' /proc/$pid/status 2>/dev/null)
		[ -n "$mask" ] && [ $((0x$mask & 2)) -ne 0 ] && break
		sleep 0.1
		i=$((i + 1))
	done
	cp "$1" "$WORK/live.rules"
	kill -HUP $pid
	touch "$WORK/go"
	wait $feeder
	wait $pid
	"$KAGAMI_CAT" "$WORK/hup.mp" >"$WORK/hup.json"
	jq -e -s "[.[] | select(.event_type == \"signatures\")][0].signatures.reload == \"$2\"" "$WORK/hup.json" >/dev/null ||
		bad "reload $2: $(cat "$WORK/hup.err")"
	jq -e -s "[.[] | select(.event_type == \"alert\") | .alert.signature_id] | index($3) != null" "$WORK/hup.json" >/dev/null ||
		bad "reload $2: sid $3 should fire"
}
reload "$WORK/bad.rules" failed 9100040
grep -q "rule reload failed, keeping the running rules" "$WORK/hup.err" || bad "reload failure not on stderr"
printf 'alert dns any any -> any 53 (msg:"after reload"; content:"example"; sid:8;)\n' >"$WORK/new.rules"
reload "$WORK/new.rules" ok 8
exit $status
