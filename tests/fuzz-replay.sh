#!/bin/sh
# tests/fuzz-replay.sh - every fuzz harness over its committed corpus (crash regressions and
# interesting inputs, tests/fuzz/corpus/<target>/) and over seeds built from every capture in
# pcaps/ and ../shared (tests/fuzz/mkseeds), without libFuzzer: under ASan+UBSan builds this
# is where a regression shows up.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
scratch
F="$top_builddir/tests/fuzz"
C="$top_srcdir/tests/fuzz/corpus"
shared=$(shared_dir)
# shellcheck disable=SC2046
"$F/mkseeds" "$WORK" "$top_srcdir"/pcaps/*.pcap ${shared:+$(ls "$shared"/*.pcap)} >"$WORK/mkseeds.log" ||
	fail "mkseeds: $(tail -3 "$WORK/mkseeds.log")"
status=0
run() { # target replay-binary dirs...
	t=$1
	b=$2
	shift 2
	dirs=""
	for d in "$@"; do [ -d "$d" ] && dirs="$dirs $d"; done
	[ -n "$dirs" ] || { echo "note: no inputs for $t"; return; }
	# shellcheck disable=SC2086
	if out=$("$b" $dirs 2>&1); then
		echo "$t: $out"
	else
		echo "FAIL: $t: $out" | tail -20
		status=1
	fi
}
run engine "$F/replay_engine" "$C/engine" "$WORK/engine"
run mpjson "$F/replay_mpjson" "$C/mpjson"
run rules "$F/replay_rules" "$C/rules" "$top_srcdir/signatures" "$top_srcdir/tests/data/rules" \
	"$top_srcdir/tests/data/inspect"
for b in "$F"/replay_app_*; do
	[ -x "$b" ] || continue
	p=${b##*/replay_app_}
	# a transport variant (dns_tcp) also replays the seeds of its protocol (app_dns)
	run "app_$p" "$b" "$C/app_$p" "$WORK/app_$p" "$WORK/app_${p%_tcp}"
done
exit $status
