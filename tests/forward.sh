#!/bin/sh
# tests/forward.sh - the Fluent Forward output against a test collector (tools/fwd-collector):
#   1. the collector acknowledges one chunk, takes more without acknowledging them, and is
#      killed mid-run; kagami spools to disk while it is away and sends everything again when
#      it is back: every event kagami wrote (the -w file beside the forward output is the
#      reference) arrives, duplicates only as whole chunks resent under the same chunk id,
#      every entry with an EventTime (ext type 0) equal to the event's timestamp;
#   2. with no collector and a small spool, what does not fit is dropped, counted in the stats
#      and on exit (status 3), and the events dropped plus the events spooled add up to all;
#   3. the next run delivers the spool left behind first.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
need jq
scratch
COL="$top_builddir/tools/fwd-collector"
[ -x "$COL" ] || fail "tools/fwd-collector is not built"
CPID=""
KPID=""
trap '[ -n "$CPID" ] && kill -KILL $CPID 2>/dev/null; [ -n "$KPID" ] && kill -KILL $KPID 2>/dev/null; rm -rf "$WORK"' EXIT
PCAPGEN_FLOWS=4000 "$PCAPGEN" -o "$WORK" bench-flows >/dev/null || fail "pcapgen"
CAP="$WORK/bench-flows.pcap"

start_collector() { # log [collector args]
	log=$1
	shift
	rm -f "$WORK/port"
	"$COL" --out "$log" --port-file "$WORK/port" "$@" 3>&- &
	CPID=$!
	wait_for "the collector to start" test -s "$WORK/port"
	PORT=$(cat "$WORK/port")
}
stop_collector() {
	kill -KILL "$CPID" 2>/dev/null
	wait "$CPID" 2>/dev/null
	CPID=""
}
chunks_seen() { [ "$(grep -c '^C ' "$1" 2>/dev/null)" -ge "$2" ]; }
spooled() { ls "$1"/*.fwd >/dev/null 2>&1; }

# entries of a collector log as JSON: {chunk, index, sec, nsec, kind, ev}
entries() {
	grep '^E ' "$1" | jq -R -c 'capture("^E (?<chunk>\\S+) (?<index>[0-9]+) (?<sec>[0-9]+) (?<nsec>[0-9]+) (?<kind>\\S+) (?<ev>.*)$")
		| .ev |= fromjson | .index |= tonumber | .sec |= tonumber | .nsec |= tonumber'
}

# --- 1. collector killed mid-run (one chunk acknowledged, one not), back later ---------------------------------------------
start_collector "$WORK/col.log" --ack-limit 1
mkfifo "$WORK/in"
"$KAGAMI" -r - --max-flows 64 --stats-interval 0 --forward "127.0.0.1:$PORT" --forward-tag kagami.test \
	--spool-dir "$WORK/spool" --forward-retry-max 1s --forward-ack-timeout 10s -w "$WORK/ref.mp" \
	<"$WORK/in" 2>"$WORK/k.err" &
KPID=$!
exec 3>"$WORK/in"
size=$(wc -c <"$CAP")
half=$((size / 2))
head -c "$half" "$CAP" >&3
wait_for "a second chunk at the collector" chunks_seen "$WORK/col.log" 2
stop_collector
tail -c +$((half + 1)) "$CAP" >&3
# the whole capture analysed while the collector is away (its stats event says so): the
# rest of the run is spooled or held
npk=$("$top_builddir/tools/pcapread" "$CAP" | sed -n 's/^packets=\([0-9]*\).*/\1/p')
usr1_stats "$KPID" "$WORK/ref.mp" ".stats.capture.packets == $npk" >"$WORK/st" || { cat "$WORK/st"; exit 1; }
wait_for "chunks spooled while the collector was away" spooled "$WORK/spool"
start_collector "$WORK/col.log" --port "$PORT"
exec 3>&-
wait "$KPID"
rc=$?
KPID=""
stop_collector
[ $rc = 0 ] || fail "kagami exited with $rc: $(cat "$WORK/k.err")"
! spooled "$WORK/spool" || fail "chunks were left in the spool: $(ls "$WORK/spool")"
grep -q '^X ' "$WORK/col.log" && fail "the collector rejected a message: $(grep '^X ' "$WORK/col.log" | head -3)"

"$KAGAMI_CAT" --sort-keys "$WORK/ref.mp" | sort >"$WORK/ref.sorted" || fail "the -w file is not clean"
nref=$(wc -l <"$WORK/ref.sorted")
[ "$nref" -gt 4000 ] || fail "only $nref events in the reference"
entries "$WORK/col.log" >"$WORK/entries.json"
# every copy of a chunk is the same: one (chunk, index) never carries two different events
jq -r '"\(.chunk) \(.index) \(.ev | tojson)"' "$WORK/entries.json" | sort -u |
	awk '{ k = $1 " " $2 } k == prev { print "chunk " $1 " entry " $2 " differs between copies"; bad = 1 } { prev = k }
	     END { exit bad }' || fail "a resent chunk differs from its first copy"
jq -r '"\(.chunk) \(.index) \(.ev | tojson)"' "$WORK/entries.json" | sort -u | cut -d' ' -f3- | sort >"$WORK/got.sorted"
if ! cmp -s "$WORK/ref.sorted" "$WORK/got.sorted"; then
	diff "$WORK/ref.sorted" "$WORK/got.sorted" | cut -c1-160 | head -10
	fail "the collector's events (duplicates removed by chunk id) differ from the events written"
fi
dups=$(awk '$1 == "C" { n[$2]++ } END { for (c in n) if (n[c] > 1) d++; print d + 0 }' "$WORK/col.log")
[ "$dups" -ge 1 ] || fail "no chunk was sent twice, though some were never acknowledged"
total=$(grep -c '^E ' "$WORK/col.log")
# EventTime: ext type 0, seconds and nanoseconds of the event's own timestamp
jq -s -e 'all(.kind == "ext" and
	(.ev.timestamp | sub("\\.[0-9]+[+]0000$"; "Z") | fromdateiso8601) == .sec and
	(.ev.timestamp | capture("\\.(?<us>[0-9]{6})") | .us | tonumber) * 1000 == .nsec)' "$WORK/entries.json" >/dev/null ||
	fail "an entry's EventTime is not ext type 0 with the event's time"
"$KAGAMI_CAT" -t stats "$WORK/ref.mp" | tail -n 1 | jq -e '.stats.output.forward
	| .disconnects >= 1 and .chunks_spooled >= 1 and .events_dropped == 0' >/dev/null ||
	fail "the stats do not show the outage: $("$KAGAMI_CAT" -t stats "$WORK/ref.mp" | jq -c .stats.output.forward)"
echo "forward: $nref events, all delivered ($total entries received, $dups chunks resent under their id)"

# --- 2. no collector, small spool: drops are counted --------------------------------------
start_collector "$WORK/dead.log"
DEAD=$PORT
stop_collector
"$KAGAMI" -r "$CAP" --max-flows 64 --stats-interval 0 --forward "127.0.0.1:$DEAD" --spool-dir "$WORK/spool2" \
	--spool-max 64K --forward-buffer 256K --forward-ack-timeout 2s -w "$WORK/ref2.mp" 2>"$WORK/k2.err"
rc=$?
[ $rc = 3 ] || fail "events were dropped but kagami exited with $rc: $(cat "$WORK/k2.err")"
lost=$(sed -n 's/^kagami: forward: \([0-9]*\) events could not be delivered or spooled$/\1/p' "$WORK/k2.err")
[ -n "$lost" ] && [ "$lost" -gt 0 ] || fail "the loss was not reported: $(cat "$WORK/k2.err")"
"$KAGAMI_CAT" -t stats "$WORK/ref2.mp" | tail -n 1 | jq -e '.stats.output.forward
	| .events_dropped > 0 and .chunks_dropped > 0 and .spool_bytes <= 65536' >/dev/null ||
	fail "the stats do not count the drops: $("$KAGAMI_CAT" -t stats "$WORK/ref2.mp" | jq -c .stats.output.forward)"
spool_bytes=$(cat "$WORK"/spool2/*.fwd | wc -c)
[ "$spool_bytes" -le 65536 ] || fail "the spool holds $spool_bytes bytes, more than --spool-max 64K"
in_spool=$(ls "$WORK/spool2" | sed -n 's/^[0-9a-f]*-\([0-9]*\)\.fwd$/\1/p' | awk '{ s += $1 } END { print s + 0 }')
n2=$("$KAGAMI_CAT" "$WORK/ref2.mp" | wc -l)
[ $((in_spool + lost)) = "$n2" ] || fail "$in_spool events spooled + $lost dropped != $n2 events written"
echo "forward: spool full: $in_spool events spooled, $lost dropped and counted, of $n2"

# --- 3. the next run sends the spool first -------------------------------------------------
start_collector "$WORK/col3.log"
"$KAGAMI" -r "$top_srcdir/pcaps/core-tcp-basic.pcap" --forward "127.0.0.1:$PORT" --spool-dir "$WORK/spool2" \
	-w "$WORK/ref3.mp" 2>"$WORK/k3.err" || fail "kagami with a full spool: $(cat "$WORK/k3.err")"
stop_collector
! spooled "$WORK/spool2" || fail "the spool was not emptied"
n3=$("$KAGAMI_CAT" "$WORK/ref3.mp" | wc -l)
got3=$(grep -c '^E ' "$WORK/col3.log")
[ "$got3" = $((in_spool + n3)) ] || fail "received $got3 events, expected $in_spool from the spool + $n3 new"
entries "$WORK/col3.log" | head -n "$in_spool" | jq -c -S .ev | sort >"$WORK/from-spool"
"$KAGAMI_CAT" --sort-keys "$WORK/ref2.mp" | sort >"$WORK/ref2.sorted"
[ -z "$(comm -23 "$WORK/from-spool" "$WORK/ref2.sorted")" ] || fail "the spooled events are not the first run's"
echo "forward: the next run delivered the $in_spool spooled events first"
