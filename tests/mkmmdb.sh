#!/bin/sh
# tests/mkmmdb.sh - tools/mkmmdb.pl is deterministic and the committed test databases in
# tests/data are exactly what it writes (regenerate with: tools/mkmmdb.pl tests/data).
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
need perl
perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null || skip "libmaxmind-db-writer-perl is not installed"
scratch
status=0
perl "$top_srcdir/tools/mkmmdb.pl" "$WORK/a" || fail "mkmmdb.pl failed"
perl "$top_srcdir/tools/mkmmdb.pl" "$WORK/b" || fail "mkmmdb.pl failed"
for f in geoip/test-country.mmdb geoip/test-asn.mmdb test-loc-country.mmdb; do
	cmp -s "$WORK/a/$f" "$WORK/b/$f" || { echo "FAIL: $f differs between two runs"; status=1; }
	if cmp -s "$WORK/a/$f" "$top_srcdir/tests/data/$f"; then
		echo "ok: tests/data/$f is current"
	else
		echo "FAIL: tests/data/$f is not what tools/mkmmdb.pl writes"
		status=1
	fi
done
exit $status
