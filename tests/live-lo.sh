#!/bin/sh
# tests/live-lo.sh - a live capture on the loopback interface: kagami sees the packets replayed
# there, and its stats report the kernel and ring drop counters (flooded through a tiny ring,
# drops are expected and must be counted, not hidden). Root only.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
[ "$(id -u)" = 0 ] || skip "live capture needs root"
need tcpreplay
need jq
ip link show lo >/dev/null 2>&1 || skip "no loopback interface"
scratch
# a filter keeps the host's own loopback traffic out
filter="net 10.0.0.0/8 or net 198.51.100.0/24 or net 172.16.0.0/12"
PCAPGEN_BENCH_MB=16 "$PCAPGEN" -o "$WORK" bench-mix || fail "pcapgen"
"$KAGAMI" -i lo -f "$filter" --ring-size 1M -B 1M --no-flows --stats-interval 0 -w "$WORK/ev.mp" \
	2>"$WORK/err" &
pid=$!
sleep 1
kill -0 $pid 2>/dev/null || fail "kagami did not start: $(cat "$WORK/err")"
tcpreplay -q -i lo --topspeed "$WORK/bench-mix.pcap" >"$WORK/replay" 2>&1 || fail "tcpreplay: $(cat "$WORK/replay")"
sleep 1
kill -TERM $pid
wait $pid
rc=$?
[ $rc = 0 ] || fail "kagami exited with $rc: $(cat "$WORK/err")"
"$KAGAMI_CAT" -t stats "$WORK/ev.mp" | tail -n 1 >"$WORK/stats.json" || fail "output is not a clean stream"
seen=$(jq '.stats.capture.packets' "$WORK/stats.json")
kdrops=$(jq '.stats.capture.kernel_drops' "$WORK/stats.json")
rdrops=$(jq '.stats.capture.ring_drops' "$WORK/stats.json")
decoded=$(jq '.stats.decoder.packets' "$WORK/stats.json")
sent=$("$top_builddir/tools/pcapread" "$WORK/bench-mix.pcap" | sed -n 's/^packets=\([0-9]*\).*/\1/p')
[ "$kdrops" != null ] && [ "$rdrops" != null ] || fail "stats lack the drop counters"
[ "$seen" -gt 0 ] || fail "no packet captured on lo"
[ "$decoded" = "$seen" ] || fail "ring handed over $seen packets but $decoded were decoded"
# everything sent is either seen or counted as dropped by the kernel (loopback delivers each frame once)
total=$((seen + rdrops + kdrops))
[ "$total" -ge $((sent * 95 / 100)) ] || fail "sent $sent, but seen $seen + ring drops $rdrops + kernel drops $kdrops"
echo "live on lo: sent $sent, captured $seen, ring drops $rdrops, kernel drops $kdrops"
