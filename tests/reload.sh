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
npk=$("$top_builddir/tools/pcapread" "$CAP" | sed -n 's/^packets=\([0-9]*\).*/\1/p')
# SIGUSR1 brings a stats event at once; ask until one counts every packet fed (the FIFO stays
# open: kagami waits for more, as a live sensor does)
usr1_stats $KPID "$WORK/ev.mp" ".stats.capture.packets == $npk" >"$WORK/st" || { cat "$WORK/st"; exit 1; }
"$KAGAMI_CAT" -t stats "$WORK/ev.mp" | jq -e -s 'all(.stats.reload.requests == 0)' >/dev/null ||
	fail "reload requests before any SIGHUP: $("$KAGAMI_CAT" -t stats "$WORK/ev.mp" | jq -c .stats.reload)"
# each SIGHUP is seen (the stats count it) before the next is sent: two signals in a row may
# arrive as one
kill -HUP $KPID
usr1_stats $KPID "$WORK/ev.mp" '.stats.reload.requests == 1' >"$WORK/st" || { cat "$WORK/st"; exit 1; }
kill -HUP $KPID
usr1_stats $KPID "$WORK/ev.mp" '.stats.reload.requests == 2' >"$WORK/st" || { cat "$WORK/st"; exit 1; }
asked=$("$KAGAMI_CAT" -t stats "$WORK/ev.mp" | wc -l)
kill -TERM $KPID
wait $KPID
rc=$?
KPID=""
exec 3>&-
[ $rc = 0 ] || fail "kagami exited with $rc after SIGTERM: $(cat "$WORK/err")"
[ ! -s "$WORK/err" ] || fail "kagami complained: $(cat "$WORK/err")"
"$KAGAMI_CAT" -t stats "$WORK/ev.mp" >"$WORK/stats.json" || fail "the output is not a clean event stream"
[ "$(wc -l <"$WORK/stats.json")" = $((asked + 1)) ] ||
	fail "expected the $asked SIGUSR1 stats events and the final one, got $(wc -l <"$WORK/stats.json")"
tail -n 1 "$WORK/stats.json" | jq -e '.stats.reload | .requests == 2 and .failures == 0' >/dev/null ||
	fail "two SIGHUPs, but reload stats are $(tail -n 1 "$WORK/stats.json" | jq -c .stats.reload)"
# SIGTERM lost nothing: the events equal those of reading the file
"$KAGAMI" -r "$CAP" --no-stats -w - | "$KAGAMI_CAT" --sort-keys | sort >"$WORK/ref"
"$KAGAMI_CAT" --sort-keys "$WORK/ev.mp" | grep -v '"event_type":"stats"' | sort >"$WORK/got"
cmp -s "$WORK/ref" "$WORK/got" || fail "events after SIGTERM differ from an offline run: $(diff "$WORK/ref" "$WORK/got" | head -5)"
echo "reload: SIGUSR1 stats at once ($asked asked for), 2 SIGHUPs -> reload.requests 2, SIGTERM flushed $(wc -l <"$WORK/got") events"
