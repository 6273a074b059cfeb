#!/bin/sh
# tests/pcapgen.sh - the generator is deterministic and the committed captures in pcaps/ are
# exactly what it writes today (regenerate with: tools/pcapgen/pcapgen -o pcaps).
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
scratch
"$PCAPGEN" -o "$WORK" || fail "pcapgen failed"
mkdir "$WORK/again"
"$PCAPGEN" -o "$WORK/again" || fail "pcapgen failed"
status=0
for f in "$WORK"/*.pcap; do
	n=$(basename "$f")
	cmp -s "$f" "$WORK/again/$n" || { echo "FAIL: $n differs between two runs"; status=1; }
	if [ ! -f "$top_srcdir/pcaps/$n" ]; then
		echo "FAIL: pcaps/$n is not committed"
		status=1
	elif ! cmp -s "$f" "$top_srcdir/pcaps/$n"; then
		echo "FAIL: pcaps/$n is not what the generator writes"
		status=1
	fi
done
for f in "$top_srcdir"/pcaps/*.pcap; do
	n=$(basename "$f")
	[ -f "$WORK/$n" ] || { echo "FAIL: pcaps/$n has no generator scenario"; status=1; }
done
exit $status
