#!/bin/sh
# tests/offline-nodrop.sh - offline, nothing is dropped: a file read in place (mapped), and the
# same bytes on stdin, where the capture thread waits for the analysis through a ring far
# smaller than the capture; every packet is decoded and no drop is counted either way.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
need jq
scratch
PCAPGEN_BENCH_MB=24 "$PCAPGEN" -o "$WORK" bench-mix || fail "pcapgen"
want=$("$top_builddir/tools/pcapread" "$WORK/bench-mix.pcap" | sed -n 's/^packets=\([0-9]*\).*/\1/p')
[ -n "$want" ] && [ "$want" -gt 20000 ] || fail "bench capture too small: $want packets"
for how in file stdin; do
	rm -f "$WORK/ev.mp"
	if [ $how = file ]; then
		"$KAGAMI" -r "$WORK/bench-mix.pcap" --ring-size 1M --no-flows --stats-interval 0 -w "$WORK/ev.mp"
	else
		"$KAGAMI" -r - --ring-size 1M --no-flows --stats-interval 0 -w "$WORK/ev.mp" <"$WORK/bench-mix.pcap"
	fi || fail "kagami failed ($how)"
	"$KAGAMI_CAT" -t stats "$WORK/ev.mp" | tail -n 1 >"$WORK/stats.json"
	got=$(jq '.stats.decoder.packets' "$WORK/stats.json")
	cap=$(jq '.stats.capture.packets' "$WORK/stats.json")
	drops=$(jq '.stats.capture.ring_drops' "$WORK/stats.json")
	[ "$got" = "$want" ] || fail "$how: decoded $got packets of $want"
	[ "$cap" = "$want" ] || fail "$how: the capture counted $cap packets of $want"
	[ "$drops" = 0 ] || fail "$how: $drops ring drops offline"
	echo "offline ($how): $got of $want packets, 0 dropped"
done
