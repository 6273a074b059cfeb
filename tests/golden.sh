#!/bin/sh
# tests/golden.sh - golden capture tests: every capture in pcaps/ (and, when ../shared is
# there, every real capture) is run through kagami; its events, as sorted-key JSON lines
# (packet time only, no stats), must equal tests/golden/<name>.jsonl (real captures:
# tests/golden/real/<name>.jsonl) exactly. UPDATE=1 rewrites the baselines and says which
# changed; review them with git diff before committing. KAGAMI_WRAPPER runs kagami under a tool
# (tools/test-all: valgrind, whose errors and leaks exit with status 99).
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
need jq
scratch
status=0
checked=0
run_one() { # capture expected-file args-file
	local pcap=$1 exp=$2 argsf=$3 name out args=""
	name=$(basename "$pcap" .pcap)
	out="$WORK/$name.jsonl"
	[ -f "$argsf" ] && args=$(cat "$argsf")
	# shellcheck disable=SC2086
	${KAGAMI_WRAPPER:-} "$KAGAMI" -r "$pcap" --stats-interval 0 --no-stats --stream-digest ${GOLDEN_ARGS:-} $args \
		-w "$WORK/$name.mp" 2>"$WORK/$name.err"
	rc=$?
	if [ -n "${KAGAMI_WRAPPER:-}" ] && [ $rc -ge 90 ]; then
		echo "FAIL: $name: $KAGAMI_WRAPPER reported errors:"
		tail -n 40 "$WORK/$name.err"
		status=1
	fi
	"$KAGAMI_CAT" --sort-keys "$WORK/$name.mp" >"$out"
	checked=$((checked + 1))
	if [ "${UPDATE:-0}" = 1 ]; then
		if ! cmp -s "$out" "$exp"; then
			cp "$out" "$exp"
			echo "updated: $exp"
		fi
		return
	fi
	if [ ! -f "$exp" ]; then
		echo "FAIL: $name: no baseline $exp (run with UPDATE=1 and review it)"
		status=1
		return
	fi
	if ! cmp -s "$out" "$exp"; then
		echo "FAIL: $name: events differ from $exp; field by field:"
		jq -S . "$exp" >"$WORK/exp.pretty"
		jq -S . "$out" >"$WORK/out.pretty"
		diff -u "$WORK/exp.pretty" "$WORK/out.pretty" | head -80
		status=1
	fi
}
for p in "$top_srcdir"/pcaps/*.pcap; do
	[ -e "$p" ] || continue
	n=$(basename "$p" .pcap)
	run_one "$p" "$top_srcdir/tests/golden/$n.jsonl" "$top_srcdir/tests/golden/$n.args"
done
shared=$(shared_dir)
if [ -n "$shared" ]; then
	for p in "$shared"/*.pcap; do
		n=$(basename "$p" .pcap)
		run_one "$p" "$top_srcdir/tests/golden/real/$n.jsonl" "$top_srcdir/tests/golden/real/$n.args"
	done
else
	echo "note: ../shared/pcaps/real not found; real-capture baselines not checked"
fi
echo "$checked captures checked"
exit $status
