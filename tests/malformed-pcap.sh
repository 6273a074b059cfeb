#!/bin/sh
# tests/malformed-pcap.sh - damaged capture files: each gives a clear message naming the file,
# exit status 2 when the input could not be read completely, and the events of the packets before
# the fault are kept; nothing crashes. (Files are written with perl's pack; perl-base is essential
# on Debian.)
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
need perl
need jq
scratch
P="$top_srcdir/pcaps"
good="$P/core-tcp-basic.pcap"
run() { # file -> exit status in $rc, stderr in $WORK/err, events in $WORK/ev.json (-w appends)
	rm -f "$WORK/ev.mp"
	"$KAGAMI" -r "$1" --stats-interval 0 -w "$WORK/ev.mp" 2>"$WORK/err"
	rc=$?
	"$KAGAMI_CAT" "$WORK/ev.mp" >"$WORK/ev.json" || fail "$1: output is not a clean event stream"
}
ghdr() { perl -e 'print pack("VvvVVVV", 0xa1b2c3d4, 2, 4, 0, 0, 262144, $ARGV[0])' "$1"; }
rec() { # ts_sec ts_usec caplen len [data bytes = caplen of 0x41]
	perl -e 'print pack("VVVV", @ARGV[0..3]), "A" x $ARGV[4]' "$1" "$2" "$3" "$4" "${5:-$3}"
}

# 1. not a capture at all
printf 'GET / HTTP/1.0\r\n\r\n' >"$WORK/text.pcap"
run "$WORK/text.pcap"
[ $rc = 2 ] || fail "bad magic: exit $rc"
grep -q "text.pcap: not a readable pcap or pcapng capture" "$WORK/err" || fail "bad magic message: $(cat "$WORK/err")"

# 2. a file header cut short
ghdr 1 | head -c 10 >"$WORK/short-header.pcap"
run "$WORK/short-header.pcap"
[ $rc = 2 ] || fail "short header: exit $rc"
grep -q "short-header.pcap" "$WORK/err" || fail "short header message"

# 3. a packet record cut short after good packets: the flows before it are kept
size=$(wc -c <"$good")
head -c $((size - 700)) "$good" >"$WORK/cut.pcap"
run "$WORK/cut.pcap"
[ $rc = 2 ] || fail "cut packet: exit $rc"
grep -q "cut.pcap: read error after packet" "$WORK/err" || fail "cut packet message: $(cat "$WORK/err")"
[ "$(jq -s '[.[] | select(.event_type == "flow")] | length' "$WORK/ev.json")" = 2 ] || fail "cut packet: flows lost"

# 4. a record claiming more bytes than the snap length (the corrupt-record case)
{ ghdr 1; rec 1700000000 0 60 60; rec 1700000000 1 4325376 4325376 0; } >"$WORK/huge-record.pcap"
run "$WORK/huge-record.pcap"
[ $rc = 2 ] || fail "huge record: exit $rc"
grep -qi "huge-record.pcap: read error after packet 1" "$WORK/err" || fail "huge record message: $(cat "$WORK/err")"

# 5. caplen larger than the wire length, and zero-length packets: read, counted, no crash
{ ghdr 1; rec 1700000000 0 100 60; rec 1700000000 1 0 0; rec 1700000000 2 0 1500 0; } >"$WORK/odd-lengths.pcap"
run "$WORK/odd-lengths.pcap"
[ $rc = 0 ] || fail "odd lengths: exit $rc ($(cat "$WORK/err"))"
[ "$(jq -s '[.[] | select(.event_type == "stats")][0].stats.decoder.packets' "$WORK/ev.json")" = 3 ] ||
	fail "odd lengths: packets not counted"

# 6. a link type kagami does not decode
{ ghdr 147; rec 1700000000 0 60 60; } >"$WORK/user0.pcap"
run "$WORK/user0.pcap"
[ $rc = 2 ] || fail "unknown link type: exit $rc"
grep -q "user0.pcap: link type 147 (.*) is not supported" "$WORK/err" || fail "link type message: $(cat "$WORK/err")"

# 7. timestamps: libpcap reads pcap seconds as signed 32 bits, so the largest is 2038; one
#    before 1970 is clamped to 1970 and counted; a pcapng timestamp past year 9999 is clamped
#    and counted; time running backwards does not disturb anything
{ ghdr 1; rec 2147483647 999999 60 60; rec 0 0 60 60; rec 4294967295 0 60 60; } >"$WORK/far.pcap"
run "$WORK/far.pcap"
[ $rc = 0 ] || fail "far timestamps: exit $rc ($(cat "$WORK/err"))"
jq -se '[.[] | select(.event_type == "stats")][0] | .timestamp == "2038-01-19T03:14:07.999999+0000" and .stats.decoder.errors.timestamp_out_of_range == 1' \
	"$WORK/ev.json" >/dev/null || fail "2038/negative timestamps: $(jq -c 'select(.event_type == "stats") | [.timestamp, .stats.decoder.errors]' "$WORK/ev.json")"
# pcapng: SHB, IDB (Ethernet, default microseconds), EPB with timestamp 2^64-1
perl -e '
	my $shb = pack("VVVvvQ<V", 0x0A0D0D0A, 28, 0x1A2B3C4D, 1, 0, 0xFFFFFFFFFFFFFFFF, 28);
	my $idb = pack("VVvvVV", 1, 20, 1, 0, 0, 20);
	my $pkt = "B" x 60;
	my $epb = pack("VVVVVVV", 6, 28 + 60 + 4, 0, 0xFFFFFFFF, 0xFFFFFFFF, 60, 60) . $pkt . pack("V", 28 + 60 + 4);
	print $shb, $idb, $epb;' >"$WORK/huge-ts.pcapng"
run "$WORK/huge-ts.pcapng"
[ $rc = 0 ] || fail "huge pcapng timestamp: exit $rc ($(cat "$WORK/err"))"
jq -se '[.[] | select(.event_type == "stats")][0] | .timestamp == "9999-12-31T23:59:59.999999+0000" and .stats.decoder.errors.timestamp_out_of_range == 1' \
	"$WORK/ev.json" >/dev/null || fail "huge timestamp not clamped and counted: $(cat "$WORK/ev.json")"

# 8. a directory with a bad file between good ones: the good ones are read, the bad one named
mkdir "$WORK/dir"
cp "$P/core-vlan.pcap" "$WORK/dir/a.pcap"
cp "$WORK/text.pcap" "$WORK/dir/b.pcap"
cp "$P/core-link-raw.pcap" "$WORK/dir/c.pcap"
run "$WORK/dir"
[ $rc = 2 ] || fail "directory with a bad file: exit $rc"
grep -q "b.pcap" "$WORK/err" || fail "directory: bad file not named"
[ "$(jq -s '[.[] | select(.event_type == "flow")] | length' "$WORK/ev.json")" = 4 ] || fail "directory: good files not all read"
echo "malformed captures: all checks passed"
