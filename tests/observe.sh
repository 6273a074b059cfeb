#!/bin/sh
# tests/observe.sh - observation events on pcaps/obs-scan.pcap (tools/pcapgen/scenarios_obs.c)
# with the counts its scenario implies, worked out by hand below; packet totals per interval
# cross-checked with tshark; approximate mode (--observe-max-keys 16) within its stated bounds.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
need jq
scratch
CAP="$top_srcdir/pcaps/obs-scan.pcap"
status=0
check() { # description jq-filter file
	if [ "$(jq -s "$2" "$3")" != "true" ]; then
		echo "FAIL: $1"
		jq -c -s "$2" "$3" | head -c 600
		echo
		status=1
	else
		echo "ok: $1"
	fi
}
events "$CAP" >"$WORK/all.jsonl" || fail "kagami failed"
jq -c 'select(.event_type == "observation") | .observation' "$WORK/all.jsonl" >"$WORK/obs.jsonl"
O="$WORK/obs.jsonl"

check "three intervals written (the empty third one is not)" \
	'map(.start) == ["2023-11-14T22:20:00.000000+0000", "2023-11-14T22:21:00.000000+0000", "2023-11-14T22:23:00.000000+0000"]' "$O"
check "first and last intervals partial" 'map(.partial) == [true, false, true]' "$O"

# Interval 1: JP scanner 40 SYNs (ports 20..59), FR 3 ports x 2 SYNs, US session (10 packets,
# 6 to the server) and refused SYN (2 packets), DE 3 pings + 2 replies, IPv6 JP SYN, IPv6 DE
# 2 UDP, US SYN at 59.5 s: 67 packets, 60 to the server, 7 sources.
check "interval 1 totals" '.[0] | .packets == 67 and .packets_toserver == 60 and .sources == 7' "$O"
check "interval 1 unanswered SYNs: 40 + 6 + 1 (the RST-refused and the late-answered are not)" \
	'.[0].scans | .syns == 47 and .flows == 44 and .sources == 3' "$O"
check "interval 1 scanned ports: 22 by three sources, 23 by two" \
	'.[0].scans.top_ports[0:3] == [{port: 22, syns: 4, sources: 3}, {port: 23, syns: 3, sources: 2}, {port: 445, syns: 2, sources: 1}]' "$O"
check "interval 1 scanning sources" \
	'.[0].scans.top_sources == [{src_ip: "1.1.0.5", syns: 40, ports: 40}, {src_ip: "2.2.0.7", syns: 6, ports: 3}, {src_ip: "2001:200::10", syns: 1, ports: 1}]' "$O"
check "interval 1 ports: 45 distinct, TCP/443 on top (6 packets to the server)" \
	'.[0].ports | .ports == 45 and .packets == 57 and .approximate == false and .top[0] == {proto: "TCP", port: 443, packets: 6, sources: 1}' "$O"
check "interval 1 countries" \
	'.[0].countries.top == [{country: "JP", packets: 41, sources: 2}, {country: "US", packets: 8, sources: 2}, {country: "FR", packets: 6, sources: 1}, {country: "DE", packets: 5, sources: 2}]' "$O"
check "interval 1 ICMP: 3 echo requests, 2 replies" \
	'.[0].icmp | .packets == 5 and .top == [{proto: "ICMP", type: 8, packets: 3, sources: 1}, {proto: "ICMP", type: 0, packets: 2, sources: 1}]' "$O"
check "interval 1: everything is new (no history)" \
	'.[0].new | .history == 0 and .ports_total == 45 and .sources_total == 7' "$O"

# Interval 2: the late SYN/ACK + ACK, JP again on ports 20..24, BR on new TCP/3389, NL on new UDP/161.
check "interval 2 totals and scans" \
	'.[1] | .packets == 9 and .packets_toserver == 8 and .scans.syns == 6 and .scans.sources == 2' "$O"
check "interval 2 new ports and sources" \
	'.[1].new | .history == 1 and .ports_total == 2 and (.ports | map([.proto, .port])) == [["TCP", 3389], ["UDP", 161]] and .sources == ["6.6.0.1", "7.7.0.1"]' "$O"
check "interval 2 countries (NL from registered_country)" \
	'.[1].countries.top | map(.country) == ["JP", "BR", "NL", "US"]' "$O"
# Interval 4: 4.4.0.1 (no country) on TCP/445 (seen before), JP on new TCP/60.
check "interval 4: history ages across the empty interval; only TCP/60 and 4.4.0.1 are new" \
	'.[2].new | .history == 3 and .ports_total == 1 and .ports[0].port == 60 and .sources == ["4.4.0.1"]' "$O"
check "interval 4: a source no database knows is 'unknown'" \
	'.[2].countries.top | map(.country) | sort == ["JP", "unknown"]' "$O"

# packets per interval agree with tshark
if command -v tshark >/dev/null 2>&1; then
	for i in 0 1 2; do
		start=$(jq -s ".[$i].start" "$O" | tr -d '"')
		s=$(date -u -d "$(echo "$start" | sed 's/\.000000+0000//; s/T/ /')" +%s)
		n=$(tshark -r "$CAP" -Y "frame.time_epoch >= $s && frame.time_epoch < $((s + 60))" 2>/dev/null | wc -l)
		k=$(jq -s ".[$i].packets" "$O")
		if [ "$n" -ne "$k" ]; then
			echo "FAIL: interval $start: kagami counts $k packets, tshark $n"
			status=1
		else
			echo "ok: interval $start: $k packets, as tshark"
		fi
	done
fi

# longer interval: intervals 1 and 2 merge
events "$CAP" --observe-interval 2m | jq -c 'select(.event_type == "observation") | .observation' >"$WORK/2m.jsonl"
check "--observe-interval 2m" \
	'length == 2 and .[0].interval == 120 and .[0].packets == 76 and .[0].scans.syns == 53 and .[0].ports.top[0].port == 443' "$WORK/2m.jsonl"
# top N
events "$CAP" --observe-top 3 | jq -c 'select(.event_type == "observation") | .observation' >"$WORK/top3.jsonl"
check "--observe-top 3" '.[0] | (.ports.top | length) == 3 and (.new.ports | length) == 3 and (.new.sources | length) == 3' \
	"$WORK/top3.jsonl"
# off
events "$CAP" --no-observe >"$WORK/off.jsonl"
check "--no-observe" 'map(select(.event_type == "observation")) | length == 0' "$WORK/off.jsonl"

# approximate: 16 keys per table; packet totals stay exact, every reported count is at least the
# true one and at most true + its error (Space-Saving), the event says it is approximate; the
# distinct-port count is then an estimate whose hash is keyed at random per run (within 2 of 45)
events "$CAP" --observe-max-keys 16 | jq -c 'select(.event_type == "observation") | .observation' >"$WORK/ap.jsonl"
jq -s -c '.[0]' "$O" >"$WORK/e1.json"
jq -s -c '.[0]' "$WORK/ap.jsonl" >"$WORK/a1.json"
cat "$WORK/e1.json" "$WORK/a1.json" >"$WORK/pair.jsonl"
echo "note: approximate ports: $(jq -s -c '.[1].ports | del(.top)' "$WORK/pair.jsonl" | head -c 400)"
check "approximate mode flagged with an error bound; totals exact" \
	'.[1].ports | .approximate == true and .error_bound > 0 and .packets == 57 and (.ports - 45) as $d | $d >= -2 and $d <= 2' \
	"$WORK/pair.jsonl"
check "approximate counts within their bounds" \
	'.[0].ports.top as $ex | .[1].ports.top | map(. as $a | ($ex | map(select(.port == $a.port and .proto == $a.proto))[0]) as $t |
	  ($t == null) or ($a.packets >= $t.packets and $a.packets <= $t.packets + $a.packets_error)) | all' "$WORK/pair.jsonl"
check "approximate: scans still counted exactly (pending table 4 x max-keys)" \
	'.[1].scans | .syns == 47 and .untracked == 0' "$WORK/pair.jsonl"

# bounded memory: a SYN flood from 150,000 and from 450,000 distinct sources, far past the
# default 65,536 keys: the observer's memory reaches its plateau, it does not keep growing
# (not measured under AddressSanitizer, whose quarantine keeps freed memory resident)
if [ -x /usr/bin/time ] && ! grep -q __asan_init "$KAGAMI"; then
	for n in 150000 450000; do
		mkdir -p "$WORK/f$n"
		PCAPGEN_SYNS=$n "$PCAPGEN" -o "$WORK/f$n" bench-synflood >/dev/null || fail "pcapgen"
		/usr/bin/time -f "%M" -o "$WORK/rss$n" "$KAGAMI" -r "$WORK/f$n/bench-synflood.pcap" --max-flows 5000 \
			--nids-streams 4096 --stats-interval 0 -w "$WORK/f$n/ev.mp" || fail "kagami on the flood failed"
	done
	a=$(cat "$WORK/rss150000")
	b=$(cat "$WORK/rss450000")
	if [ $((b - a)) -gt 8192 ]; then
		echo "FAIL: memory grows with the sources: $a KB for 150,000, $b KB for 450,000"
		status=1
	else
		echo "ok: memory bounded: $a KB for 150,000 sources, $b KB for 450,000"
	fi
	"$KAGAMI_CAT" -t observation "$WORK/f450000/ev.mp" >"$WORK/flood.jsonl"
	check "flood: exact totals, approximate tables flagged" \
		'map(.observation) | (map(.scans.syns) | add) == 450000 and (map(.scans.approximate) | any) and (map(.ports.top[0].port) | unique) == [80]' \
		"$WORK/flood.jsonl"
fi
exit $status
