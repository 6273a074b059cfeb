#!/bin/sh
# tests/rotate.sh - output file rotation and reopening: by size (msgpack and JSON lines), by
# time, and on SIGHUP after the file was moved away (logrotate). Every file is a clean event
# stream (kagami-cat reads it to its end: no event split across files), rotated files carry
# the UTC time in their name, and the files together hold exactly the events of a run
# without rotation.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
need jq
scratch
KPID=""
trap '[ -n "$KPID" ] && kill -KILL $KPID 2>/dev/null; rm -rf "$WORK"' EXIT
PCAPGEN_FLOWS=3000 "$PCAPGEN" -o "$WORK" bench-flows >/dev/null || fail "pcapgen"
CAP="$WORK/bench-flows.pcap"
ARGS="--max-flows 64 --no-stats" # stats hold the output's own counters
# shellcheck disable=SC2086
"$KAGAMI" -r "$CAP" $ARGS -w - | "$KAGAMI_CAT" --sort-keys | sort >"$WORK/ref.sorted" || fail "reference run"

# all files of a rotated output, checked one by one, their events sorted
collect() { # dir base format
	: >"$WORK/all"
	for f in "$1/$2" "$1/$2".*; do
		[ -e "$f" ] || continue
		if [ "$3" = json ]; then
			[ -z "$(tail -c 1 "$f")" ] || fail "$f does not end with a whole line"
			jq -c -S . "$f" >>"$WORK/all" 2>/dev/null || fail "$f holds a line that is not JSON"
		else
			"$KAGAMI_CAT" --sort-keys "$f" >>"$WORK/all" || fail "$f is not a clean event stream"
		fi
	done
	sort "$WORK/all"
}

# --- by size: msgpack ---
mkdir "$WORK/s"
# shellcheck disable=SC2086
"$KAGAMI" -r "$CAP" $ARGS -w "$WORK/s/ev.mp" --rotate-size 64K || fail "kagami --rotate-size"
n=$(ls "$WORK/s" | wc -l)
[ "$n" -ge 10 ] || fail "--rotate-size 64K made $n files of $(wc -c <"$CAP") bytes of capture"
for f in "$WORK"/s/ev.mp.*; do
	[ "$(wc -c <"$f")" -le 65536 ] || fail "$f is larger than 64K"
	basename "$f" | grep -Eq '^ev\.mp\.[0-9]{8}T[0-9]{6}Z(\.[0-9]+)?$' || fail "rotated name $(basename "$f")"
done
collect "$WORK/s" ev.mp mp >"$WORK/got"
cmp -s "$WORK/ref.sorted" "$WORK/got" || fail "the rotated files do not hold exactly the run's events"
echo "rotate: by size into $n msgpack files, every one clean, together the whole run"

# --- by size: JSON lines ---
mkdir "$WORK/j"
# shellcheck disable=SC2086
"$KAGAMI" -r "$CAP" $ARGS --json -w "$WORK/j/ev.json" --rotate-size 100K || fail "kagami --json --rotate-size"
[ "$(ls "$WORK/j" | wc -l)" -ge 5 ] || fail "JSON output was not rotated"
collect "$WORK/j" ev.json json >"$WORK/got"
cmp -s "$WORK/ref.sorted" "$WORK/got" || fail "the rotated JSON files do not hold exactly the run's events"

# --- by time, and reopening on SIGHUP ---
feed() { # chunks of the capture into fd 3, a pause between them
	size=$(wc -c <"$CAP")
	part=$((size / 4 + 1))
	off=0
	while [ $off -lt "$size" ]; do
		tail -c +$((off + 1)) "$CAP" | head -c $part >&3
		off=$((off + part))
		sleep "$1"
	done
}
mkdir "$WORK/t"
mkfifo "$WORK/in"
# shellcheck disable=SC2086
"$KAGAMI" -r - $ARGS -w "$WORK/t/ev.mp" --rotate-interval 1s <"$WORK/in" 2>"$WORK/t.err" &
KPID=$!
exec 3>"$WORK/in"
feed 1.2
exec 3>&-
wait $KPID || fail "kagami --rotate-interval: $(cat "$WORK/t.err")"
KPID=""
n=$(ls "$WORK/t" | wc -l)
[ "$n" -ge 3 ] || fail "--rotate-interval 1s over 4 s made $n files"
collect "$WORK/t" ev.mp mp >"$WORK/got"
cmp -s "$WORK/ref.sorted" "$WORK/got" || fail "the files rotated by time do not hold exactly the run's events"
echo "rotate: by time into $n files"

mkdir "$WORK/h"
rm -f "$WORK/in"
mkfifo "$WORK/in"
# shellcheck disable=SC2086
"$KAGAMI" -r - $ARGS -w "$WORK/h/ev.mp" <"$WORK/in" 2>"$WORK/h.err" &
KPID=$!
exec 3>"$WORK/in"
size=$(wc -c <"$CAP")
head -c $((size / 2)) "$CAP" >&3
# events older than a second are written out: wait for the first ones, move the file away,
# and have it reopened before the rest comes
wait_for "the first events in ev.mp" test -s "$WORK/h/ev.mp"
mv "$WORK/h/ev.mp" "$WORK/h/ev.mp.1"
kill -HUP $KPID
wait_for "SIGHUP to reopen ev.mp" test -e "$WORK/h/ev.mp"
tail -c +$((size / 2 + 1)) "$CAP" >&3
exec 3>&-
wait $KPID || fail "kagami with SIGHUP: $(cat "$WORK/h.err")"
KPID=""
[ -s "$WORK/h/ev.mp" ] || fail "SIGHUP did not reopen ev.mp"
collect "$WORK/h" ev.mp mp >"$WORK/got"
cmp -s "$WORK/ref.sorted" "$WORK/got" || fail "the files around a SIGHUP do not hold exactly the run's events"
echo "rotate: SIGHUP reopened the moved file; nothing lost, nothing split"
