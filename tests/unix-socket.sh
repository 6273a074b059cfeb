#!/bin/sh
# tests/unix-socket.sh - the unix-socket output for local consumers (tools/sockread), checked
# without a clock: every step waits for the events it needs (tests/lib/common.sh).
#   - with a 1M buffer per consumer and the capture fed in parts of ~400 KB of events, a fast
#     consumer and a slow one (16 KiB reads, 2 ms apart) never fall a buffer behind, and each
#     receives exactly the events written to the -w file, in msgpack and in JSON lines; a
#     consumer that stalls until everything was written misses whole events, exactly as many
#     as the stats count, and what it does receive is a clean stream;
#   - with a buffer that holds the whole stream, a consumer that reads 800 KB/s (behind by
#     3 MB when kagami reaches the end of its input) and one that reads nothing until the
#     last event was written both get every event: the sink waits for them at exit (a sink
#     that waited one second lost the slow consumer's tail);
#   - a consumer that never reads holds kagami only for --unix-socket-drain-timeout, and what
#     it did not take is said on stderr; the socket file is removed at exit.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
need jq
need editcap
scratch
RD="$top_builddir/tools/sockread"
[ -x "$RD" ] || fail "tools/sockread is not built"
KPID=""
trap '[ -n "$KPID" ] && kill -KILL $KPID 2>/dev/null; rm -rf "$WORK"' EXIT
PCAPGEN_FLOWS=3000 "$PCAPGEN" -o "$WORK" bench-flows >/dev/null || fail "pcapgen"
CAP="$WORK/bench-flows.pcap"
SOCK="$WORK/k.sock"
# the capture in parts of 2000 packets (400 flows, ~400 KB of events each), fed as their
# records alone after the file header of the whole capture: the parts make one stream
editcap -F pcap -c 2000 "$CAP" "$WORK/part.pcap" >/dev/null 2>&1 || fail "editcap"
PARTS=$(ls "$WORK"/part_*.pcap)
(head -c 24 "$CAP"; for p in $PARTS; do tail -c +25 "$p"; done) | cmp -s - "$CAP" || fail "the parts do not make the capture"
[ "$(echo "$PARTS" | wc -l)" -ge 6 ] || fail "editcap cut $(echo "$PARTS" | wc -l) parts"

# start FORMAT-ARGS...: kagami reading a FIFO (fd 3 writes to it), consumers c1 (fast), c2
# ($C2 options) and c3 ($C3 options); returns once the sink has accepted all three (the
# stats count them), so that each receives every event from then on
start() {
	rm -f "$WORK/in" "$WORK"/c*.out "$WORK"/c*.log "$WORK/ref" "$WORK/go"
	mkfifo "$WORK/in"
	"$KAGAMI" -r - --max-flows 64 --stats-interval 0 --unix-socket "$SOCK" "$@" \
		-w "$WORK/ref" <"$WORK/in" 2>"$WORK/k.err" &
	KPID=$!
	exec 3>"$WORK/in"
	head -c 24 "$CAP" >&3 # the file header: kagami opens its input and waits for packets
	"$RD" "$SOCK" "$WORK/c1.out" >"$WORK/c1.log" 3>&- &
	r1=$!
	# shellcheck disable=SC2086
	"$RD" "$SOCK" "$WORK/c2.out" $C2 >"$WORK/c2.log" 3>&- &
	r2=$!
	# shellcheck disable=SC2086
	"$RD" "$SOCK" "$WORK/c3.out" $C3 >"$WORK/c3.log" 3>&- &
	r3=$!
	wait_for "three consumers to connect ($(cat "$WORK/k.err"))" connected3
	usr1_stats $KPID "$WORK/ref" '.stats.output.unix.clients == 3' >"$WORK/st" || { cat "$WORK/st"; exit 1; }
}
more_stats() { [ "$(stats_of "$1" | wc -l)" -gt "$2" ]; }
connected3() { [ "$(cat "$WORK"/c?.log 2>/dev/null | grep -c connected)" = 3 ]; }

# synced FILE N: FILE (a consumer's stream) holds a stats event that counts N packets
synced() {
	usr1_stats $KPID "$1" ".stats.capture.packets == $2" >"$WORK/st" || { cat "$WORK/st"; exit 1; }
}

finish() { # end of input; kagami and the consumers end
	exec 3>&-
	wait $KPID || fail "kagami --unix-socket: $(cat "$WORK/k.err")"
	KPID=""
	wait $r1 && wait $r2 && wait $r3 || fail "a consumer failed"
	[ ! -e "$SOCK" ] || fail "the socket file was left behind"
}

# the events of a stream (msgpack or JSON lines) as sorted-key JSON lines, less the stats
# events written before the sink had accepted all three consumers (not every consumer got
# those); JSON lines must be whole
evs() {
	if [ "$(head -c 1 "$1")" = "{" ]; then
		[ -z "$(tail -c 1 "$1")" ] || return 1
		jq -c -S . "$1" || return 1
	else
		"$KAGAMI_CAT" --sort-keys "$1" || return 1
	fi | jq -c 'select(.event_type != "stats" or .stats.output.unix.clients == 3)'
}

# paced FORMAT-ARGS...: the capture fed part by part, each part taken by c1 and c2 before the
# next is fed; c3 reads nothing until the whole capture was processed
paced() {
	C2="--delay 2" C3="--stall-until $WORK/go" start --unix-socket-buffer 1M --unix-socket-drain-timeout 120 "$@"
	fed=0
	for p in $PARTS; do
		tail -c +25 "$p" >&3
		fed=$((fed + $("$top_builddir/tools/pcapread" "$p" | sed -n 's/^packets=\([0-9]*\).*/\1/p')))
		synced "$WORK/c1.out" $fed
		synced "$WORK/c2.out" $fed
	done
	[ $fed = 15000 ] || fail "the parts hold $fed packets, not 15000"
	touch "$WORK/go"
	synced "$WORK/c3.out" $fed # c3 took what was kept for it, and has room again
	finish
	evs "$WORK/ref" >"$WORK/ref.json" || fail "the -w file is not a clean event stream"
	for c in c1 c2; do
		evs "$WORK/$c.out" >"$WORK/$c.json" || fail "$c: not a clean event stream"
		cmp -s "$WORK/ref.json" "$WORK/$c.json" ||
			fail "$c did not receive exactly the events written ($(wc -l <"$WORK/$c.json") of $(wc -l <"$WORK/ref.json"))"
	done
	evs "$WORK/c3.out" >"$WORK/c3.json" || fail "the stalled consumer got a cut event"
	n=$(wc -l <"$WORK/ref.json")
	n3=$(wc -l <"$WORK/c3.json")
	[ "$n3" -lt "$n" ] || fail "the stalled consumer missed nothing with a 1M buffer"
	sort "$WORK/ref.json" >"$WORK/ref.s"
	[ -z "$(sort "$WORK/c3.json" | comm -23 - "$WORK/ref.s")" ] || fail "the stalled consumer got events that were not written"
	tail -n 1 "$WORK/ref.json" | jq -e --argjson m $((n - n3)) '.stats.output.unix
		| .accepted == 3 and .events_dropped == $m and .client_buffer == 1048576 and .queued_peak <= 1048576' \
		>/dev/null || fail "the stats do not count the $((n - n3)) missed events: $(tail -n 1 "$WORK/ref.json" | jq -c .stats.output.unix)"
	[ ! -s "$WORK/k.err" ] || fail "kagami complained: $(cat "$WORK/k.err")"
	echo "unix socket $*: a fast and a slow consumer got all $n events, a stalled one $n3, $((n - n3)) counted as dropped"
}

paced
paced --json

# a buffer that holds the whole stream (3 MB, 3.6 MB as JSON): the slow consumer and the one
# that reads only once the last event is written lose nothing; kagami waits for them at exit
C2="--delay 20" C3="--stall-until $WORK/go" start --unix-socket-buffer 8M --unix-socket-drain-timeout 120
tail -c +25 "$CAP" >&3
synced "$WORK/c1.out" 15000
S=$(stats_of "$WORK/c1.out" | wc -l)
exec 3>&- # the next stats event is the final one, written after every other event
wait_for "the final stats event at the fast consumer" more_stats "$WORK/c1.out" "$S"
touch "$WORK/go"
finish
evs "$WORK/ref" >"$WORK/ref.json" || fail "the -w file is not a clean event stream"
for c in c1 c2 c3; do
	evs "$WORK/$c.out" >"$WORK/$c.json" || fail "$c: not a clean event stream"
	cmp -s "$WORK/ref.json" "$WORK/$c.json" ||
		fail "$c did not receive every event within its buffer ($(wc -l <"$WORK/$c.json") of $(wc -l <"$WORK/ref.json"))"
done
tail -n 1 "$WORK/ref.json" | jq -e '.stats.output.unix.events_dropped == 0' >/dev/null ||
	fail "events dropped within the buffer: $(tail -n 1 "$WORK/ref.json" | jq -c .stats.output.unix)"
[ ! -s "$WORK/k.err" ] || fail "kagami complained: $(cat "$WORK/k.err")"
echo "unix socket: within the buffer, a consumer at 800 KB/s and one stalled to the end got all $(wc -l <"$WORK/ref.json") events"

# a consumer that never reads: kagami waits --unix-socket-drain-timeout for it, then exits
C2="--stall-until $WORK/never" C3="--stall-until $WORK/never" start --unix-socket-drain-timeout 1
tail -c +25 "$CAP" >&3
exec 3>&-
wait $KPID || fail "kagami with consumers that never read: $(cat "$WORK/k.err")"
KPID=""
wait $r1 || fail "the fast consumer failed"
kill $r2 $r3 2>/dev/null
wait $r2 $r3 2>/dev/null
grep -q "events not delivered at exit" "$WORK/k.err" || fail "the undelivered events are not said: $(cat "$WORK/k.err")"
[ ! -e "$SOCK" ] || fail "the socket file was left behind"
echo "unix socket: consumers that never read held kagami for the drain timeout only: $(cat "$WORK/k.err")"
