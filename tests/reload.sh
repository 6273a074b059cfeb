#!/bin/sh
# tests/reload.sh - signals of a running sensor (kagami reading a FIFO, as a live sensor waits
# for packets): SIGUSR1 writes a stats event at once; SIGHUP runs the engine's reload hooks
# (counted as stats reload.requests) and reopens the output; SIGTERM flushes and exits 0 with
# every event read so far written. (-j N: tests/live-netns.sh checks SIGHUP reaches the workers.)
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
need jq
scratch
KPID=""
trap '[ -n "$KPID" ] && kill -KILL $KPID 2>/dev/null; rm -rf "$WORK"' EXIT
CAP="$top_srcdir/pcaps/core-tcp-basic.pcap"
mkfifo "$WORK/in"
"$KAGAMI" -r - --stats-interval 0 -w "$WORK/ev.mp" <"$WORK/in" 2>"$WORK/err" &
KPID=$!
exec 3>"$WORK/in"
cat "$CAP" >&3
sleep 0.5
stats() { "$KAGAMI_CAT" -t stats "$WORK/ev.mp" 2>/dev/null | wc -l; }
kill -USR1 $KPID
i=0
while [ "$(stats)" -lt 1 ]; do # written out within the output's flush interval
	i=$((i + 1))
	[ $i -lt 50 ] || fail "SIGUSR1 brought no stats event in 5 s"
	sleep 0.1
done
"$KAGAMI_CAT" -t stats "$WORK/ev.mp" | jq -e '.stats.reload.requests == 0' >/dev/null ||
	fail "reload requests before any SIGHUP: $("$KAGAMI_CAT" -t stats "$WORK/ev.mp" | jq -c .stats.reload)"
kill -HUP $KPID
sleep 0.3
kill -HUP $KPID
sleep 0.3
kill -TERM $KPID
wait $KPID
rc=$?
KPID=""
exec 3>&-
[ $rc = 0 ] || fail "kagami exited with $rc after SIGTERM: $(cat "$WORK/err")"
[ ! -s "$WORK/err" ] || fail "kagami complained: $(cat "$WORK/err")"
"$KAGAMI_CAT" -t stats "$WORK/ev.mp" >"$WORK/stats.json" || fail "the output is not a clean event stream"
[ "$(wc -l <"$WORK/stats.json")" = 2 ] || fail "expected the SIGUSR1 and the final stats events, got $(wc -l <"$WORK/stats.json")"
tail -n 1 "$WORK/stats.json" | jq -e '.stats.reload | .requests == 2 and .failures == 0' >/dev/null ||
	fail "two SIGHUPs, but reload stats are $(tail -n 1 "$WORK/stats.json" | jq -c .stats.reload)"
# SIGTERM lost nothing: the events equal those of reading the file
"$KAGAMI" -r "$CAP" --no-stats -w - | "$KAGAMI_CAT" --sort-keys | sort >"$WORK/ref"
"$KAGAMI_CAT" --sort-keys "$WORK/ev.mp" | grep -v '"event_type":"stats"' | sort >"$WORK/got"
cmp -s "$WORK/ref" "$WORK/got" || fail "events after SIGTERM differ from an offline run: $(diff "$WORK/ref" "$WORK/got" | head -5)"
echo "reload: SIGUSR1 stats at once, 2 SIGHUPs -> reload.requests 2, SIGTERM flushed $(wc -l <"$WORK/got") events"
