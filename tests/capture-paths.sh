#!/bin/sh
# tests/capture-paths.sh - the two ways kagami reads a capture give the same events: a classic pcap
# file is read in place (mapped, on the analysis thread), the same bytes on stdin go through
# libpcap and the capture thread's ring. Every generated capture in pcaps/ and every real one in
# ../shared/pcaps/real; a file cut in the middle of a record also ends the same way both times.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
scratch
n=0
status=0
compare() { # file
	events "$1" >"$WORK/mapped.jsonl" 2>"$WORK/mapped.err"
	rm -f "$WORK/ev.mp"
	"$KAGAMI" -r - --stats-interval 0 --no-stats -w "$WORK/ev.mp" <"$1" 2>"$WORK/stdin.err"
	"$KAGAMI_CAT" --sort-keys "$WORK/ev.mp" >"$WORK/stdin.jsonl"
	if ! cmp -s "$WORK/mapped.jsonl" "$WORK/stdin.jsonl"; then
		echo "DIFFERENT: $1"
		diff "$WORK/mapped.jsonl" "$WORK/stdin.jsonl" | head -n 6
		status=1
	fi
	n=$((n + 1))
}
for f in "$top_srcdir"/pcaps/*.pcap; do
	compare "$f"
done
shared=$(shared_dir)
if [ -n "$shared" ]; then
	for f in "$shared"/*.pcap; do
		compare "$f"
	done
fi
# a record cut by the end of the file: libpcap takes over at that record in the mapped path
good="$top_srcdir/pcaps/core-tcp-basic.pcap"
head -c $(($(wc -c <"$good") - 700)) "$good" >"$WORK/cut.pcap"
compare "$WORK/cut.pcap"
grep -q "read error after packet" "$WORK/mapped.err" || fail "cut file: no read error in the mapped path"
[ $status = 0 ] || fail "the mapped and the libpcap paths disagree"
echo "capture paths: $n captures, the same events read in place and through libpcap"
