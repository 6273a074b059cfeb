#!/bin/sh
# tests/offline-jobs.sh - offline -j N: N worker processes (and the observer) give what one process
# gives. On every generated capture in pcaps/ and every real one in ../shared/pcaps/real, -j 4 on
# the file and -j 3 on stdin write the same events as -j 1 (order aside; stats and supervisor
# events left out): the same alerts, flows, per-flow findings, the same one smb_host_verdict per
# host (its evidence flow ids as a set, and only when a host has at most the 8 an event lists:
# with more, which 8 are listed depends on which worker saw which first), the same observation
# events. Then the merged stats, -j auto, and an input error reported once with exit status 2.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
need jq
scratch
norm() { # event file -> sorted normalised JSON lines
	"$KAGAMI_CAT" --sort-keys -x stats -x supervisor "$1" |
		jq -c 'if .event_type == "smb_host_verdict" then
			(if .smb_host_verdict.flows > 8 then del(.smb_host_verdict.flow_ids)
			 else .smb_host_verdict.flow_ids |= sort end) else . end' | sort
}
run() { # out file, kagami args...
	out=$1
	shift
	rm -f "$out"
	"$KAGAMI" "$@" -w "$out" 2>>"$WORK/err"
}
status=0
n=0
verdicts=0
caps="$top_srcdir/pcaps/*.pcap"
shared=$(shared_dir)
[ -n "$shared" ] && caps="$caps $shared/*.pcap"
for f in $caps; do
	run "$WORK/j1.mp" -r "$f"
	rc1=$?
	run "$WORK/j4.mp" -r "$f" -j 4
	rc4=$?
	[ $rc1 = $rc4 ] || { echo "FAIL: $f: exit status $rc1 with -j 1, $rc4 with -j 4"; status=1; }
	norm "$WORK/j1.mp" >"$WORK/j1.txt"
	norm "$WORK/j4.mp" >"$WORK/j4.txt"
	if ! cmp -s "$WORK/j1.txt" "$WORK/j4.txt"; then
		echo "DIFFERENT with -j 4: $f"
		diff "$WORK/j1.txt" "$WORK/j4.txt" | head -n 4 | cut -c1-300
		status=1
	fi
	verdicts=$((verdicts + $(grep -c '"smb_host_verdict"' "$WORK/j1.txt")))
	n=$((n + 1))
done
[ "$n" -gt 30 ] || fail "only $n captures compared"
# the observer and the merge really ran: observation and host verdicts are among what was compared
[ "$verdicts" -gt 0 ] || fail "no smb_host_verdict compared"

# stdin: one reader copies it to every worker
for f in "$top_srcdir/pcaps/smb-eternalblue.pcap" "$top_srcdir/pcaps/core-frag.pcap" ${shared:+"$shared/wannacry-worm-propagation.pcap"}; do
	[ -f "$f" ] || continue
	run "$WORK/j1.mp" -r "$f"
	rm -f "$WORK/j3.mp"
	"$KAGAMI" -r - -j 3 -w "$WORK/j3.mp" <"$f" 2>>"$WORK/err" || { echo "FAIL: -j 3 on stdin ($f)"; status=1; }
	norm "$WORK/j1.mp" >"$WORK/j1.txt"
	norm "$WORK/j3.mp" >"$WORK/j3.txt"
	cmp -s "$WORK/j1.txt" "$WORK/j3.txt" || { echo "DIFFERENT with -j 3 on stdin: $f"; status=1; }
done

# merged stats: one final stats event, packets as with one process, the workers and the observer
f="$top_srcdir/pcaps/smb-eternalblue.pcap"
[ -f "$f" ] || f=$(ls "$top_srcdir"/pcaps/*.pcap | head -n 1)
run "$WORK/j1.mp" -r "$f" --stats-interval 0
run "$WORK/j4.mp" -r "$f" --stats-interval 0 -j 4
p1=$("$KAGAMI_CAT" -t stats "$WORK/j1.mp" | jq -s '.[-1].stats.capture.packets')
"$KAGAMI_CAT" -t stats "$WORK/j4.mp" | jq -s . >"$WORK/s4.json"
[ "$(jq length "$WORK/s4.json")" = 1 ] || fail "-j 4 wrote $(jq length "$WORK/s4.json") stats events, not 1"
jq -e --argjson p "$p1" '.[0].stats | .capture.packets == $p and .decoder.packets == $p and .final == true
	and .supervisor.workers == 5 and .supervisor.merged == 5 and .supervisor.failures == 0' "$WORK/s4.json" >/dev/null ||
	fail "merged stats: $(jq -c '.[0].stats | {capture, final, supervisor}' "$WORK/s4.json")"

# -j auto: as many workers as cores
run "$WORK/ja.mp" -r "$f" -j auto --stats-interval 0 || fail "-j auto"
cores=$(getconf _NPROCESSORS_ONLN)
[ "$("$KAGAMI_CAT" -t stats "$WORK/ja.mp" | jq '.stats.supervisor.workers')" = $((cores + 1)) ] ||
	fail "-j auto: not $cores workers and the observer"

# an input cut short: exit status 2, the message once, the events before it kept
good="$top_srcdir/pcaps/core-tcp-basic.pcap"
head -c $(($(wc -c <"$good") - 700)) "$good" >"$WORK/cut.pcap"
rm -f "$WORK/cut.mp"
"$KAGAMI" -r "$WORK/cut.pcap" -j 4 -w "$WORK/cut.mp" 2>"$WORK/cut.err"
rc=$?
[ $rc = 2 ] || fail "cut input: exit status $rc, not 2"
[ "$(grep -c 'read error after packet' "$WORK/cut.err")" = 1 ] || fail "cut input: message not once: $(cat "$WORK/cut.err")"
[ "$("$KAGAMI_CAT" -t flow "$WORK/cut.mp" | wc -l)" = 2 ] || fail "cut input: flows before the fault lost"

[ $status = 0 ] || fail "-j N differs from -j 1"
echo "offline -j N: $n captures the same with -j 4 as with -j 1 ($verdicts host verdicts merged), stdin, stats, -j auto, input errors"
