#!/bin/sh
# tests/kagami-cat.sh - kagami-cat prints streams as JSON lines and says exactly where a stream is
# truncated or corrupt, after printing what came before.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
scratch
"$KAGAMI" -r "$top_srcdir/pcaps/core-tcp-basic.pcap" -w "$WORK/ok.mp" || fail "kagami failed"
"$KAGAMI_CAT" "$WORK/ok.mp" >"$WORK/ok.json" || fail "clean stream rejected"
n=$(wc -l <"$WORK/ok.json")
[ "$n" -ge 3 ] || fail "expected at least 3 events, got $n"
size=$(wc -c <"$WORK/ok.mp")

# truncated inside the last event
head -c $((size - 5)) "$WORK/ok.mp" >"$WORK/trunc.mp"
"$KAGAMI_CAT" "$WORK/trunc.mp" >"$WORK/trunc.json" 2>"$WORK/trunc.err"
[ $? = 2 ] || fail "truncated stream: exit status"
grep -q "truncated: event #$n starts at byte" "$WORK/trunc.err" || fail "truncation message: $(cat "$WORK/trunc.err")"
[ "$(wc -l <"$WORK/trunc.json")" = $((n - 1)) ] || fail "events before the truncation not printed"

# a byte that is never valid msgpack (0xc1) where the first event's second key starts
# (map32 header 5 bytes, "timestamp" 10, its 31-character value 32: offset 47)
off=47
cp "$WORK/ok.mp" "$WORK/bad.mp"
printf '\301' | dd of="$WORK/bad.mp" bs=1 seek=$off conv=notrunc 2>/dev/null
"$KAGAMI_CAT" "$WORK/bad.mp" >/dev/null 2>"$WORK/bad.err"
[ $? = 2 ] || fail "corrupt stream: exit status"
grep -q "corrupt msgpack at byte $off (inside event #1" "$WORK/bad.err" || fail "corruption message: $(cat "$WORK/bad.err")"

# not an event at all
printf '\001\002' >"$WORK/int.mp"
"$KAGAMI_CAT" "$WORK/int.mp" >/dev/null 2>"$WORK/int.err"
[ $? = 2 ] || fail "non-event stream: exit status"
grep -q "not a kagami event" "$WORK/int.err" || fail "non-event message"

# filters
"$KAGAMI_CAT" -t flow "$WORK/ok.mp" | grep -qv '"event_type":"flow"' && fail "-t flow let other events through"
"$KAGAMI_CAT" -x flow "$WORK/ok.mp" | grep -q '"event_type":"flow"' && fail "-x flow printed flows"
echo "kagami-cat: all checks passed"
