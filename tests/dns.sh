#!/bin/sh
# tests/dns.sh - the DNS and HTTP dissectors and the WannaCry kill-switch detections (9003001 query,
# 9003002 resolved, 9003003 HTTP Host) on the generated captures, with their evidence; their
# absence on benign lookups of lookalike names and on every real capture (none holds a kill-switch
# lookup); hostile DNS messages are counted, not fatal. Removing a detection fails this test.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
need jq
scratch
P="$top_srcdir/pcaps"
status=0
ks_alerts='[.[] | select(.event_type == "alert" and .alert.signature_id >= 9003000 and .alert.signature_id < 9004000)]'

f=$(ev "$P/dns-killswitch-udp.pcap")
check "udp: 9003001 for each of the three lookups (www., mixed case, bare), from the client" \
	"$(alert 9003001) | length == 3 and (map(.dns.killswitch_domain) | sort == [\"ifferfsodp9ifjaposdfjhgosurijfaewrwergwea.com\", \"iuqerfsodp9ifjaposdfjhgosurijfaewrwergwea.com\", \"iuqssfsodp9ifjaposdfjhgosurijfaewrwergwea.com\"]) and all(.dns.type == \"query\" and .dest_port == 53)" "$f"
check "udp: 9003002 only for the resolved lookup, with its addresses, from the server" \
	"$(alert 9003002) | length == 1 and (.[0] | .src_ip == \"192.168.56.1\" and .dns.rcode == \"NOERROR\" and .dns.addresses == [\"104.16.166.101\", \"104.17.244.81\"] and .dns.rrname == \"www.iuqerfsodp9ifjaposdfjhgosurijfaewrwergwea.com\" and .dns.id == 6699)" "$f"
check "udp: dns events query/answer paired by id, NXDOMAIN named" \
	'[.[] | select(.event_type == "dns") | .dns] | (map(select(.type == "answer")) | length == 2 and all(.query_seen)) and (map(select(.rcode == "NXDOMAIN")) | length == 1) and (map(select(.type == "query")) | length == 3)' "$f"
f=$(ev "$P/dns-killswitch-tcp.pcap")
check "tcp: query 9003001 and resolved 9003002 across split segments" \
	"($(alert 9003001)[0].dns.killswitch_domain == \"ayylmaotjhsstasdfasdfasdfasdfasdfasdfasdf.com\") and ($(alert 9003002)[0] | .proto == \"TCP\" and .dns.addresses == [\"104.16.166.101\"])" "$f"
f=$(ev "$P/http-killswitch.pcap")
check "http: 9003003 on the Host with a port, after a POST with a body on the same connection" \
	"$(alert 9003003) | length == 1 and (.[0].http | .hostname == \"www.iuqerfsodp9ifjaposdfjhgosurijfaewrwergwea.com:80\" and .http_method == \"GET\" and .url == \"/\" and .killswitch_domain == \"iuqerfsodp9ifjaposdfjhgosurijfaewrwergwea.com\")" "$f"
check "http: both requests as http events" \
	'[.[] | select(.event_type == "http") | .http.http_method] == ["POST", "GET"]' "$f"
f=$(ev "$P/dns-benign.pcap")
check "benign: no kill-switch alert for lookalike names and Host" "$ks_alerts | length == 0" "$f"
check "benign: CNAME, AAAA, MX, TXT rendered" \
	'[.[] | select(.event_type == "dns" and .dns.type == "answer") | .dns.answers // [] | .[] | .rdata] | index("edge.example.net") != null and index("2606:2800:220:1:248:1893:25c8:1946") != null and index("mail.example.com") != null and index("v=spf1 -all") != null' "$f"
f=$(ev "$P/dns-malformed.pcap")
check "malformed: compression loop and cut messages dropped, the last valid query still parsed" \
	'[.[] | select(.event_type == "dns") | .dns] | (map(select(.type == "query")) | map(.rrname) == ["first.example", "ok.example"]) and (map(select(.answers_truncated)) | length == 2)' "$f"
"$KAGAMI" -r "$P/dns-malformed.pcap" --stats-interval 0 -w - | "$KAGAMI_CAT" >"$WORK/malformed-stats.json"
check "malformed: invalid and truncated messages counted in stats" \
	'[.[] | select(.event_type == "stats")][-1].stats.app_layer.dns | .udp_invalid_messages >= 2 and .udp_truncated_messages >= 2' "$WORK/malformed-stats.json"

shared=$(shared_dir)
if [ -n "$shared" ]; then
	for c in "$shared"/*.pcap; do
		f=$(ev "$c")
		check "$(basename "$c"): no kill-switch alert" "$ks_alerts | length == 0" "$f"
	done
	f="$WORK/eternalchampion-malware.pcap.json"
	check "real eternalchampion: SRV lookup and the HTTP POST on port 8082" \
		'([.[] | select(.event_type == "dns" and .dns.rrtype == "SRV")] | length == 2) and ([.[] | select(.event_type == "http")][0] | .dest_port == 8082 and .http.http_method == "POST")' "$f"
else
	echo "note: ../shared not found; real captures not checked"
fi
[ $status = 0 ] && echo "dns: all checks passed"
exit $status
