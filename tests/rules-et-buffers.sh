#!/bin/sh
# tests/rules-et-buffers.sh - the whole ET Open ruleset (../shared/rules/et-open) on the generated
# captures made for the app-layer buffers (pcaps/tls-et.pcap, pcaps/dns-et.pcap): every ET sid of
# tests/data/et-buffers.expect fires as often as listed, on the session of the listed server, and
# no other ET sid fires there (the near misses in the same captures stay quiet). The rules read
# tls.sni, tls.cert_subject, tls.cert_issuer, tls.cert_serial and dns.query as ET writes them;
# Suricata 4.1 (the peer) loads none of them, so the expectations are the rules' own contents.
# Runs with both prefilters (Hyperscan when built with it, and the own Aho-Corasick automaton).
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
need_et
EXP="$top_srcdir/tests/data/et-buffers.expect"
scratch
status=0
for mpm in $PREFILTERS; do
	for name in $(awk '!/^#/ && NF {print $1}' "$EXP" | uniq); do
		KAGAMI_MPM=$mpm "$KAGAMI" -r "$top_srcdir/pcaps/$name.pcap" --rules-lax --rules "$ET" \
			--var "HOME_NET=[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]" --var EXTERNAL_NET=any \
			--no-flows --no-stats -w - 2>"$WORK/err" | "$KAGAMI_CAT" >"$WORK/$name.jsonl" ||
			fail "kagami failed on $name: $(cat "$WORK/err")"
		# "sid server count" per ET alert (gid 1, not kagami's own 9000000-9199999 sids)
		jq -r 'select(.event_type == "alert" and .alert.gid == 1 and
				(.alert.signature_id < 9000000 or .alert.signature_id >= 9200000))
			| "\(.alert.signature_id) \(if .src_port < .dest_port then .src_ip else .dest_ip end)"' \
			"$WORK/$name.jsonl" | sort | uniq -c | awk '{print $2, $3, $1}' >"$WORK/got"
		awk -v n="$name" '$1 == n {print $2, $4, $3}' "$EXP" | sort >"$WORK/want"
		if cmp -s "$WORK/want" "$WORK/got"; then
			echo "$name ($mpm): $(awk '{printf "%s%s", sep, $1; sep=" "}' "$WORK/got")"
		else
			echo "FAIL: $name ($mpm): ET alerts (sid server count) differ (< expected, > kagami):"
			diff "$WORK/want" "$WORK/got"
			status=1
		fi
	done
done
exit $status
