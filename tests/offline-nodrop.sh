#!/bin/sh
# tests/offline-nodrop.sh - offline, the capture thread waits for the analysis: with a ring far
# smaller than the capture, every packet of the file is still decoded and no drop is counted.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
need jq
scratch
PCAPGEN_BENCH_MB=24 "$PCAPGEN" -o "$WORK" bench-mix || fail "pcapgen"
want=$("$top_builddir/tools/pcapread" "$WORK/bench-mix.pcap" | sed -n 's/^packets=\([0-9]*\).*/\1/p')
[ -n "$want" ] && [ "$want" -gt 20000 ] || fail "bench capture too small: $want packets"
"$KAGAMI" -r "$WORK/bench-mix.pcap" --ring-size 1M --no-flows --stats-interval 0 -w "$WORK/ev.mp" ||
	fail "kagami failed"
"$KAGAMI_CAT" -t stats "$WORK/ev.mp" | tail -n 1 >"$WORK/stats.json"
got=$(jq '.stats.decoder.packets' "$WORK/stats.json")
cap=$(jq '.stats.capture.packets' "$WORK/stats.json")
drops=$(jq '.stats.capture.ring_drops' "$WORK/stats.json")
[ "$got" = "$want" ] || fail "decoded $got packets of $want"
[ "$cap" = "$want" ] || fail "capture thread counted $cap packets of $want"
[ "$drops" = 0 ] || fail "$drops ring drops offline"
echo "offline: $got of $want packets through a 1 MiB ring, 0 dropped"
