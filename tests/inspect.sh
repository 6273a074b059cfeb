#!/bin/sh
# tests/inspect.sh - the inspection buffers of TLS, DNS and SMB and the header protocols of the
# probe-only dissectors (dissectors/probes), end to end: tests/data/inspect/inspect.rules on the
# generated captures tls-chain, dns-queries, smb-trees and probe-banners fires each rule on exactly
# the flows it must (sid:client-port-server-port, both prefilters) and none of the near misses; the
# views the dissectors publish keep the exactly-once contract of dissectors/inspect.h.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
need jq
scratch
: "${INSPECT_VIEWS:=$top_builddir/tests/inspect-views}"
P="$top_srcdir/pcaps"
RULES="$top_srcdir/tests/data/inspect/inspect.rules"
status=0
bad() { echo "FAIL: $*"; status=1; }

# alerts CAPTURE MPM: "sid:sport-dport ..." sorted (the alert's packet direction)
alerts() {
	KAGAMI_MPM=$2 "$KAGAMI" -r "$P/$1.pcap" --rules "$RULES" --no-flows --no-stats -w - 2>"$WORK/err" |
		"$KAGAMI_CAT" | jq -r 'select(.event_type == "alert") | "\(.alert.signature_id):\(.src_port)-\(.dest_port)"' |
		sort | tr '\n' ' ' | sed 's/ $//'
}
hs=$("$KAGAMI" --test-rules "$RULES" --rule-profile 1 | sed -n 's/.*prefilter //p')
expect() { # capture "alerts"
	for mpm in $hs ac; do
		got=$(alerts "$1" "$mpm")
		[ "$got" = "$2" ] || bad "$1 ($mpm): expected [$2], got [$got]"
	done
}
# TLS: the 443 session has every buffer; the 8443 one only its own cert subject (9300012) and its
# TLS 1.1 ClientHello (9300014); 9300015-9300017 are near misses
expect tls-chain "9300001:50000-443 9300002:50000-443 9300003:50000-443 9300004:50000-443 9300005:443-50000 \
9300006:443-50000 9300007:443-50000 9300008:443-50000 9300009:443-50000 9300010:443-50000 9300011:443-50000 \
9300012:443-50000 9300012:8443-50000 9300013:443-50000 9300014:50000-8443"
# DNS: the second question of the first query, the mixed-case name only with nocase, the TCP query
expect dns-queries "9300021:50201-53 9300022:50201-53 9300022:50203-53 9300023:50300-53 9300024:50201-53"
# SMB: IPC$ is a named pipe, not a share; the refused connect is a share
expect smb-trees "9300031:51070-445 9300032:51070-445 9300034:51070-445"
# the header protocols on ports not their own; the bare-220 session on 4445 is none of them
expect probe-banners "9300041:40001-10025 9300042:40002-2121 9300042:40008-4444 9300043:40003-2222 \
9300044:40004-10110 9300045:40005-10143 9300046:40006-7000 9300047:2323-40007 9300048:5071-5070 9300049:40009-4445"

# the views: each progress bit newly set once per transaction, buffers as Suricata prints them
"$INSPECT_VIEWS" "$P/tls-chain.pcap" >"$WORK/tls.json" || bad "inspect-views tls-chain"
jq -s -e '[.[] | select(.app == "tls")] | group_by(.flow) | length == 2 and all(.[];
	[.[].newly] == [1, 2, 4] and [.[].ready] == [1, 3, 7] and .[0].dir == "ts" and .[1].dir == "tc")' \
	"$WORK/tls.json" >/dev/null || bad "tls views: progress bits"
jq -s -e '[.[] | select(.newly == 4) | [.bufs[] | select(.name == "tls.certs")] | length] == [2, 1]' \
	"$WORK/tls.json" >/dev/null || bad "tls views: one tls.certs buffer per certificate"
jq -s -e '[.[] | select(.newly == 4)][0].bufs | map({(.name): .data}) | add |
	."tls.cert_serial" == "00:C3:5A:17" and ."tls.cert_subject" == "C=JP, O=Kagami Shop, CN=shop.kagami-test.example"
	and ."tls.cert_fingerprint" == "cf:34:fb:90:9f:b2:16:9b:36:dc:58:af:b4:37:ea:5a:67:98:87:61"' \
	"$WORK/tls.json" >/dev/null || bad "tls views: serial, subject or fingerprint"
"$INSPECT_VIEWS" "$P/dns-queries.pcap" >"$WORK/dns.json" || bad "inspect-views dns-queries"
jq -s -e 'map(select(.app == "dns")) | length == 4 and all(.[]; .newly == 1 and .dir == "ts") and
	(.[0].bufs | map(.data)) == ["update.kagami-test.example", "cdn.kagami-test.example"]' \
	"$WORK/dns.json" >/dev/null || bad "dns views: one per query, every question"
"$INSPECT_VIEWS" "$P/smb-trees.pcap" >"$WORK/smb.json" || bad "inspect-views smb-trees"
jq -s -e 'map(select(.app == "smb")) | map([.tx, .bufs[0].name, .bufs[0].data]) ==
	[[0, "smb.named_pipe", "\\10.10.0.15\\IPC$"], [1, "smb.share", "\\10.10.0.15\\finance"],
	 [2, "smb.share", "\\10.10.0.15\\vault"]]' "$WORK/smb.json" >/dev/null || bad "smb views"
exit $status
