#!/bin/sh
# tests/caps.sh - a SYN flood cannot grow the flow table past its cap: the oldest half-open flows
# are evicted, every eviction is counted (stats and flow events say "evicted"), and memory stays
# bounded.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
need jq
scratch
PCAPGEN_SYNS=200000 "$PCAPGEN" -o "$WORK" bench-synflood || fail "pcapgen"
# observation keeps its own bounded tables (--observe-max-keys, tests/observe.sh); kept small here
# so the figure below measures the flow table
cmd="$KAGAMI -r $WORK/bench-synflood.pcap --max-flows 5000 --nids-streams 4096 --stats-interval 0 --observe-max-keys 4096 -w $WORK/ev.mp"
if [ -x /usr/bin/time ]; then
	/usr/bin/time -f "%M" -o "$WORK/rss" $cmd || fail "kagami failed"
else
	$cmd || fail "kagami failed"
fi
"$KAGAMI_CAT" -t stats "$WORK/ev.mp" | tail -n 1 >"$WORK/stats.json"
peak=$(jq '.stats.flow.peak_active' "$WORK/stats.json")
created=$(jq '.stats.flow.created' "$WORK/stats.json")
evicted=$(jq '.stats.flow.evicted' "$WORK/stats.json")
[ "$created" = 200000 ] || fail "created $created flows, expected 200000"
[ "$peak" -le 5000 ] || fail "flow table grew to $peak past its cap of 5000"
[ "$evicted" = 195000 ] || fail "$evicted evictions counted, expected 195000"
nev=$("$KAGAMI_CAT" -t flow "$WORK/ev.mp" | grep -c '"reason":"evicted"')
[ "$nev" = 195000 ] || fail "$nev flow events say evicted, expected 195000"
if [ -f "$WORK/rss" ]; then
	rss=$(cat "$WORK/rss")
	[ "$rss" -lt 131072 ] || fail "peak RSS $rss KB for a 5000-flow table"
	echo "peak RSS $((rss / 1024)) MB"
fi
echo "SYN flood: 200000 flows, table capped at $peak, $evicted evictions counted"
