#!/bin/sh
# tests/unix-socket.sh - the unix-socket output for local consumers (tools/sockread): two
# consumers that keep up receive exactly the events written to the -w file, in msgpack and in
# JSON lines; a consumer that stalls misses whole events - counted in the stats - and what it
# does receive is still a clean stream; the socket file is removed at exit.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
need jq
scratch
RD="$top_builddir/tools/sockread"
[ -x "$RD" ] || fail "tools/sockread is not built"
KPID=""
trap '[ -n "$KPID" ] && kill -KILL $KPID 2>/dev/null; rm -rf "$WORK"' EXIT
PCAPGEN_FLOWS=3000 "$PCAPGEN" -o "$WORK" bench-flows >/dev/null || fail "pcapgen"
CAP="$WORK/bench-flows.pcap"
SOCK="$WORK/k.sock"

run() { # format-args... : kagami reading a FIFO, consumers connected before any event
	rm -f "$WORK/in" "$WORK"/c*.out "$WORK/ref"
	mkfifo "$WORK/in"
	"$KAGAMI" -r - --max-flows 64 --stats-interval 0 --unix-socket "$SOCK" --unix-socket-buffer 1M "$@" \
		-w "$WORK/ref" <"$WORK/in" 2>"$WORK/k.err" &
	KPID=$!
	exec 3>"$WORK/in"
	"$RD" "$SOCK" "$WORK/c1.out" >"$WORK/c1.log" 3>&- &
	r1=$!
	"$RD" "$SOCK" "$WORK/c2.out" >"$WORK/c2.log" 3>&- &
	r2=$!
	"$RD" "$SOCK" "$WORK/c3.out" --stall 1 >"$WORK/c3.log" 3>&- &
	r3=$!
	i=0
	while [ "$(cat "$WORK"/c?.log 2>/dev/null | grep -c connected)" -lt 3 ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "consumers could not connect: $(cat "$WORK/k.err")"
		sleep 0.1
	done
	sleep 0.2 # the sink's thread accepts them
	cat "$CAP" >&3
	exec 3>&-
	wait $KPID || fail "kagami --unix-socket: $(cat "$WORK/k.err")"
	KPID=""
	wait $r1 && wait $r2 && wait $r3 || fail "a consumer failed"
	[ ! -e "$SOCK" ] || fail "the socket file was left behind"
}

run
"$KAGAMI_CAT" --sort-keys "$WORK/ref" >"$WORK/ref.json"
for c in c1 c2; do
	"$KAGAMI_CAT" --sort-keys "$WORK/$c.out" >"$WORK/$c.json" || fail "$c: not a clean event stream"
	cmp -s "$WORK/ref.json" "$WORK/$c.json" || fail "$c did not receive exactly the events written"
done
"$KAGAMI_CAT" --sort-keys "$WORK/c3.out" >"$WORK/c3.json" || fail "the stalled consumer got a cut event"
n=$(wc -l <"$WORK/ref.json")
n3=$(wc -l <"$WORK/c3.json")
[ "$n3" -lt "$n" ] || fail "the stalled consumer missed nothing with a 1M buffer"
[ -z "$(sort "$WORK/c3.json" | comm -23 - "$(sort "$WORK/ref.json" >"$WORK/ref.s"; echo "$WORK/ref.s")")" ] ||
	fail "the stalled consumer got events that were not written"
tail -n 1 "$WORK/ref.json" | jq -e '.stats.output.unix | .accepted == 3 and .events_dropped > 0' >/dev/null ||
	fail "the stats do not count the missed events: $(tail -n 1 "$WORK/ref.json" | jq -c .stats.output.unix)"
echo "unix socket: 2 consumers got all $n events, a stalled one $n3, the rest counted"

run --json
for c in c1 c2; do
	jq -c -S . "$WORK/$c.out" >"$WORK/$c.json" 2>/dev/null || fail "$c: JSON lines broken"
	jq -c -S . "$WORK/ref" >"$WORK/ref.json"
	cmp -s "$WORK/ref.json" "$WORK/$c.json" || fail "$c did not receive exactly the JSON lines written"
done
[ -z "$(tail -c 1 "$WORK/c3.out")" ] || fail "the stalled JSON consumer got a cut line"
echo "unix socket: JSON lines alike"
