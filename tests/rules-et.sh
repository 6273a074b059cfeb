#!/bin/sh
# tests/rules-et.sh - kagami with the whole ET Open ruleset (../shared/rules/et-open) on every real
# capture fires at least every sid Suricata 4.1.10 fires there with the rules it loads (recorded
# once by tools/peer-sids in tests/data/rules/et-open-suricata41.sids, so no peer is needed). Both
# sets are printed per capture; kagami's extra sids are listed (README "Signatures" explains each
# class). Runs with both prefilters: Hyperscan (when built with it) on every capture, the own
# Aho-Corasick automaton on the captures where the peer alerts.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
need_et
EXP="$top_srcdir/tests/data/rules/et-open-suricata41.sids"
scratch
status=0
# sids NAME MPM: "sid=count ..." of kagami's ET alerts on the capture
sids() {
	KAGAMI_MPM=$2 "$KAGAMI" -r "$R/$1.pcap" --rules-lax --rules "$ET" \
		--var "HOME_NET=[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]" --var EXTERNAL_NET=any \
		--no-flows --no-stats -w - 2>"$WORK/err" | "$KAGAMI_CAT" |
		jq -r 'select(.event_type == "alert") | .alert.signature_id | select(. < 9000000 or . >= 9200000)' |
		sort -n | uniq -c | awk '{printf "%s%s=%s", sep, $2, $1; sep=" "}'
}
n=0
for name in $(awk '!/^#/ {print $1}' "$EXP" | uniq); do
	[ -f "$R/$name.pcap" ] || continue
	peer=$(awk -v n="$name" '$1 == n && $2 != "-" {printf "%s%s=%s", sep, $2, $3; sep=" "}' "$EXP")
	for mpm in $PREFILTERS; do
		[ "$mpm" = ac ] && [ "$PREFILTERS" != ac ] && [ -z "$peer" ] && continue
		got=$(sids "$name" "$mpm")
		missing="" extra=""
		for p in $peer; do
			case " $got " in *" ${p%=*}="*) ;; *) missing="$missing ${p%=*}" ;; esac
		done
		for g in $got; do
			case " $peer " in *" ${g%=*}="*) ;; *) extra="$extra ${g%=*}" ;; esac
		done
		echo "$name ($mpm): suricata [$peer] kagami [$got]${extra:+ extra:$extra}"
		if [ -n "$missing" ]; then
			echo "FAIL: $name ($mpm): Suricata fires$missing, kagami does not"
			status=1
		fi
		n=$((n + 1))
	done
done
[ $n -gt 0 ] || { echo "FAIL: no capture compared"; status=1; }
exit $status
