#!/bin/sh
# tests/live-lo.sh - a live capture on a loopback interface: with buffers that hold the whole
# replay, every packet sent is captured and decoded, including those still in the kernel's ring
# when SIGTERM comes right after the last one was sent (the capture takes in what the kernel
# holds before it stops); flooded through a tiny ring, drops are counted, not hidden. The
# loopback interface is a network namespace's own: no other traffic of the machine is on it.
# Root only.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
[ "$(id -u)" = 0 ] || skip "live capture needs root"
need tcpreplay
need jq
need ip
scratch
NS=kglo$$
KPID=""
cleanup() {
	[ -n "$KPID" ] && kill -KILL "$KPID" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
ip netns add "$NS" 2>/dev/null && ip -n "$NS" link set lo up 2>/dev/null ||
	skip "cannot create a network namespace here"
PCAPGEN_BENCH_MB=16 "$PCAPGEN" -o "$WORK" bench-mix || fail "pcapgen"
sent=$("$top_builddir/tools/pcapread" "$WORK/bench-mix.pcap" | sed -n 's/^packets=\([0-9]*\).*/\1/p')
# live RING KERNEL-BUFFER: kagami on the namespace's lo, the capture replayed at top speed, and
# SIGTERM as soon as tcpreplay is done; the final stats to $WORK/stats.json, their counters to
# $seen $kdrops $rdrops $decoded
live() {
	rm -f "$WORK/pid" "$WORK/ev.mp"
	# the pid file is written once the capture is open: from then on the kernel keeps what comes
	ip netns exec "$NS" "$KAGAMI" -i lo --ring-size "$1" -B "$2" --no-flows --stats-interval 0 \
		--pidfile "$WORK/pid" -w "$WORK/ev.mp" 2>"$WORK/err" &
	KPID=$!
	wait_for "kagami to open the capture ($(cat "$WORK/err"))" test -s "$WORK/pid"
	ip netns exec "$NS" tcpreplay -q -i lo --topspeed "$WORK/bench-mix.pcap" >"$WORK/replay" 2>&1 ||
		fail "tcpreplay: $(cat "$WORK/replay")"
	kill -TERM $KPID
	wait $KPID
	rc=$?
	KPID=""
	[ $rc = 0 ] || fail "kagami exited with $rc: $(cat "$WORK/err")"
	"$KAGAMI_CAT" -t stats "$WORK/ev.mp" | tail -n 1 >"$WORK/stats.json" || fail "output is not a clean stream"
	seen=$(jq '.stats.capture.packets' "$WORK/stats.json")
	kdrops=$(jq '.stats.capture.kernel_drops' "$WORK/stats.json")
	rdrops=$(jq '.stats.capture.ring_drops' "$WORK/stats.json")
	decoded=$(jq '.stats.decoder.packets' "$WORK/stats.json")
	[ "$kdrops" != null ] && [ "$rdrops" != null ] || fail "stats lack the drop counters"
	[ "$decoded" = "$seen" ] || fail "ring handed over $seen packets but $decoded were decoded"
}

# buffers larger than the capture: every packet is captured and decoded, none dropped - also
# the last ones, still in the kernel's ring when SIGTERM came
live 64M 64M
[ "$seen $kdrops $rdrops" = "$sent 0 0" ] ||
	fail "buffers larger than the capture: sent $sent, captured $seen, kernel drops $kdrops, ring drops $rdrops"
echo "live on lo: sent $sent, all captured and decoded by the time SIGTERM was handled"

# a 1M ring and kernel buffer, flooded: drops are counted. On lo every frame reaches the packet
# socket twice (sent and received); libpcap discards the sent copy, but the kernel counts a drop
# for either copy when its buffer is full: what is seen and dropped lies between one and two
# counts of what was sent
live 1M 1M
[ "$seen" -gt 0 ] || fail "no packet captured on lo"
[ $((kdrops + rdrops)) -gt 0 ] || fail "a 1M buffer flooded with $sent packets dropped none"
total=$((seen + rdrops + kdrops))
[ "$total" -ge "$sent" ] && [ "$total" -le $((2 * sent)) ] ||
	fail "sent $sent, but seen $seen + ring drops $rdrops + kernel drops $kdrops = $total"
echo "live on lo, flooded through 1M: captured $seen, ring drops $rdrops, kernel drops $kdrops, of $sent sent"
