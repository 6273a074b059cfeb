#!/bin/sh
# tests/nids-evict.sh - libnids follows a fixed number of streams and evicts its oldest when
# full; kagami then continues the session with its own reassembler. With a libnids table far
# too small for the capture's 256 concurrent sessions, every stream must still be delivered
# byte for byte as with a large table.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
need jq
scratch
PCAPGEN_BENCH_MB=8 "$PCAPGEN" -o "$WORK" bench-mix || fail "pcapgen"
digests() {
	"$KAGAMI" -r "$WORK/bench-mix.pcap" --stream-digest --no-flows --stats-interval 0 "$@" -w - |
		"$KAGAMI_CAT" -t stream -t stats >"$WORK/ev.json"
	jq -c 'select(.event_type == "stream") | [.flow_id, .stream]' "$WORK/ev.json" | sort
}
digests >"$WORK/big"
digests --nids-streams 64 >"$WORK/small"
handovers=$(jq 'select(.event_type == "stats") | .stats.tcp.handovers' "$WORK/ev.json")
toomuch=$(jq 'select(.event_type == "stats") | .stats.tcp.nids_warnings.tcp_toomuch // 0' "$WORK/ev.json")
n=$(wc -l <"$WORK/big")
[ "$n" -gt 100 ] || fail "only $n streams"
[ "$handovers" -gt 0 ] || fail "libnids table never overflowed (handovers=$handovers)"
cmp -s "$WORK/big" "$WORK/small" || fail "streams differ when libnids evicts: $(diff "$WORK/big" "$WORK/small" | head -5)"
echo "$n streams identical; libnids evicted $toomuch sessions, $handovers handed over"
