#!/bin/sh
# tests/disk-full.sh - a full disk while writing events (a 16 KiB tmpfs, needs root): kagami
# stops with exit 3 and a message naming the file and the cause, and the file holds only
# whole events (kagami-cat reads it to the end without a complaint), never a cut one.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
[ "$(id -u)" = 0 ] || skip "mounting a tmpfs needs root"
scratch
mkdir "$WORK/mnt"
mount -t tmpfs -o size=16k tmpfs "$WORK/mnt" 2>/dev/null || skip "cannot mount a tmpfs here"
trap 'umount "$WORK/mnt" 2>/dev/null; rm -rf "$WORK"' EXIT
P="$top_srcdir/pcaps"

# enough events to fill 16 KiB several times over: every bundled capture, in one run
"$KAGAMI" -r "$P" -w "$WORK/all.mp" --stats-interval 0 2>/dev/null || fail "kagami on $P"
total=$(stat -c %s "$WORK/all.mp")
[ "$total" -gt 65536 ] || fail "the bundled captures give only $total bytes of events: the test needs more"

for fmt in msgpack json; do
	out="$WORK/mnt/events.$fmt"
	opt=""
	[ $fmt = json ] && opt=--json
	"$KAGAMI" -r "$P" $opt -w "$out" --stats-interval 0 2>"$WORK/err"
	rc=$?
	[ $rc = 3 ] || fail "$fmt: exit $rc on a full disk, expected 3"
	grep -q "events.$fmt" "$WORK/err" || fail "$fmt: the message does not name the file: $(cat "$WORK/err")"
	grep -qi "no space" "$WORK/err" || fail "$fmt: the message does not say why: $(cat "$WORK/err")"
	size=$(stat -c %s "$out")
	[ "$size" -gt 0 ] || fail "$fmt: nothing was kept before the disk filled"
	if [ $fmt = msgpack ]; then
		"$KAGAMI_CAT" "$out" >"$WORK/kept.json" 2>"$WORK/cat.err" ||
			fail "msgpack: the kept file is not whole events: $(cat "$WORK/cat.err")"
	else
		# every line is a whole JSON object ending with a newline
		[ "$(tail -c 1 "$out" | od -An -c | tr -d ' ')" = '\n' ] || fail "json: the last line is cut"
		jq -c . "$out" >"$WORK/kept.json" 2>"$WORK/jq.err" || fail "json: a cut line: $(cat "$WORK/jq.err")"
	fi
	n=$(wc -l <"$WORK/kept.json")
	[ "$n" -gt 10 ] || fail "$fmt: only $n events kept"
	echo "$fmt: exit 3, $size bytes kept as $n whole events"
	rm -f "$out"
done
echo "disk-full: all checks passed"
