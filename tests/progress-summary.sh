#!/bin/sh
# tests/progress-summary.sh - the progress line and the verdict summary on stderr. Under a
# pseudo-terminal (script -qc) an offline run draws the progress line (bytes of the total,
# packets/s, alerts; bytes and rate for stdin) with its final figures and clears it, and prints
# the summary (no progress line when the events go to the same terminal); with stderr not a
# terminal neither appears, --summary prints the summary anywhere,
# --quiet silences both. Then the summary's figures equal the events of the same run, recomputed
# with jq: hosts and their verdicts with evidence flow ids, alerts by signature, top talkers,
# event counts, packets, decode errors, capture loss, dropped/evicted counters, evidence pcaps.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
need jq
need script
scratch
status=0
bad() {
	echo "FAIL: $*"
	status=1
}
P="$top_srcdir/pcaps"
cap="$P/smb-doublepulsar.pcap"
# on_pty OUT CMD...: run CMD with stdin, stdout and stderr on a pseudo-terminal; its output in OUT
on_pty() {
	out=$1
	shift
	script -qec "$*" "$out.raw" </dev/null >/dev/null 2>&1
	rc=$?
	# script(1) frames the session with "Script started/done" lines
	grep -av '^Script \(started\|done\) on ' "$out.raw" >"$out"
	return $rc
}
nalerts() { "$KAGAMI_CAT" "$1" | jq -s '[.[] | select(.event_type == "alert")] | length'; }
size=$(stat -c %s "$cap")

# --- a terminal: progress line and summary
on_pty "$WORK/tty" "$KAGAMI -r $cap -w $WORK/tty.mp" || bad "kagami under a pty failed: $(cat "$WORK/tty")"
n=$(nalerts "$WORK/tty.mp")
[ "$n" -gt 0 ] || bad "no alert in $cap: the progress check needs some"
grep -aq "kagami: [0-9.]* [kMG]*B of [0-9.]* [kMG]*B (100.0%), [0-9]* pkt/s, $n alerts" "$WORK/tty" ||
	bad "pty: no final progress line with 100% and $n alerts: $(tr '\r' '\n' <"$WORK/tty" | grep -a 'kagami:' | head -3)"
grep -aq "$(printf '\r\033\\[K')" "$WORK/tty" || bad "pty: the progress line is not cleared (\\r ESC[K)"
grep -aq "== kagami summary" "$WORK/tty" || bad "pty: no summary at the end of an offline run"
# the progress line is gone before the summary starts
awk '/== kagami summary/ { found = 1 } END { exit !found }' "$WORK/tty" || bad "pty: summary missing"
echo "terminal: progress line with its final figures ($n alerts, 100% of $size bytes) cleared, summary printed"

# -j 2: one progress line, drawn by the supervisor from the workers' reports, with the final
# figures and the alerts of the merged stream; no worker draws its own; the summary of the merge
on_pty "$WORK/tty2" "$KAGAMI -r $cap -j 2 -w $WORK/tty2.mp" || bad "kagami -j 2 under a pty failed: $(cat "$WORK/tty2")"
grep -aq "kagami: [0-9.]* [kMG]*B of [0-9.]* [kMG]*B (100.0%), [0-9]* pkt/s, $n alerts" "$WORK/tty2" ||
	bad "pty, -j 2: no final progress line with 100% and $n alerts: $(tr '\r' '\n' <"$WORK/tty2" | grep -a 'kagami:' | head -3)"
grep -aq "== kagami summary" "$WORK/tty2" || bad "pty, -j 2: no summary"
"$KAGAMI_CAT" "$WORK/tty2.mp" | grep -q kagami_progress && bad "-j 2: the workers' progress reports reached the output"
echo "terminal, -j 2: the supervisor's progress line and summary"

# events as JSON lines on the same terminal: no progress line between them, the summary still
on_pty "$WORK/json" "$KAGAMI -r $cap --no-flows" || bad "kagami with events on the pty failed"
grep -aq "pkt/s" "$WORK/json" && bad "events on the terminal: a progress line among them"
grep -aq '"event_type":"alert"' "$WORK/json" || bad "events on the terminal: no JSON events"
grep -aq "== kagami summary" "$WORK/json" || bad "events on the terminal: no summary"
echo "terminal with the events on it: no progress line, the summary"

# stdin has no total: bytes and rate only
on_pty "$WORK/stdin" "cat $cap | $KAGAMI -r - -w $WORK/stdin.mp" || bad "kagami -r - under a pty failed"
grep -aq "kagami: [0-9.]* [kMG]*B read ([0-9.]* [kMG]*B/s), [0-9]* pkt/s, $n alerts" "$WORK/stdin" ||
	bad "stdin: no 'read (rate)' progress line: $(tr '\r' '\n' <"$WORK/stdin" | grep -a 'kagami:' | head -3)"
grep -aq " of .*%" "$WORK/stdin" && bad "stdin: the progress line shows a total it cannot know"
echo "terminal, stdin: bytes and rate, no total"

# --quiet: neither; --quiet --summary: the summary only
on_pty "$WORK/quiet" "$KAGAMI -r $cap -w $WORK/q.mp --quiet" || bad "--quiet under a pty failed"
grep -aq "pkt/s" "$WORK/quiet" && bad "--quiet: a progress line"
grep -aq "kagami summary" "$WORK/quiet" && bad "--quiet: a summary"
on_pty "$WORK/qs" "$KAGAMI -r $cap -w $WORK/qs.mp --quiet --summary" || bad "--quiet --summary under a pty failed"
grep -aq "pkt/s" "$WORK/qs" && bad "--quiet --summary: a progress line"
grep -aq "kagami summary" "$WORK/qs" || bad "--quiet --summary: no summary"
echo "terminal, --quiet: nothing; --quiet --summary: the summary only"

# --- not a terminal: nothing, unless --summary
"$KAGAMI" -r "$cap" -w "$WORK/plain.mp" 2>"$WORK/plain.err" || bad "kagami without a terminal failed"
[ -s "$WORK/plain.err" ] && bad "stderr not a terminal: kagami wrote $(cat "$WORK/plain.err")"
"$KAGAMI" -r "$cap" -w "$WORK/sum.mp" --summary 2>"$WORK/sum.err" || bad "kagami --summary failed"
grep -q "== kagami summary" "$WORK/sum.err" || bad "--summary without a terminal: no summary"
grep -q "pkt/s" "$WORK/sum.err" && bad "--summary without a terminal: a progress line"
tr -d '\n' <"$WORK/sum.err" | grep -q "$(printf '\r')" && bad "--summary without a terminal: a carriage return"
awk -v w=100 'length($0) > w { print; bad = 1 } END { exit bad }' "$WORK/sum.err" >"$WORK/long" ||
	bad "summary lines longer than 100 columns: $(head -2 "$WORK/long")"
echo "no terminal: nothing on stderr; --summary: the summary, no progress, lines within 100 columns"

# --- the summary's figures are the events': one run over every bundled capture (with rules,
# evidence pcaps and a small flow table, so that flows are evicted), and the real ones if here
inputs="-r $P"
shared=$(shared_dir)
if [ -n "$shared" ]; then
	for c in wannacry-worm-propagation heartbleed-success heartbleed-encrypted-success eternalblue-success-win7 \
		malformed-ipv4-udp-truncated; do
		inputs="$inputs -r $shared/$c.pcap"
	done
fi
# shellcheck disable=SC2086
"$KAGAMI" $inputs -S "$top_srcdir/signatures" --max-flows 16 --pcap-log "$WORK/ev" --summary -w "$WORK/all.mp" \
	2>"$WORK/all.err" || bad "the summary run failed: $(grep -v summary "$WORK/all.err" | head -3)"
"$KAGAMI_CAT" "$WORK/all.mp" >"$WORK/all.json" || bad "kagami-cat"
sed -n '/^== kagami summary/,/^=====/p' "$WORK/all.err" >"$WORK/summary.txt"
awk -v w=100 'length($0) > w { print; bad = 1 } END { exit bad }' "$WORK/summary.txt" >"$WORK/long" ||
	bad "summary lines longer than 100 columns: $(head -2 "$WORK/long")"
# section NAME: the rows of one section (after its title and column header), fields split at two
# or more spaces (one tab each)
section() {
	awk -v name="$1" -v skip="$2" 'index($0, name) == 1 { on = 1; n = 0; next }
		on && /^$/ { exit } on && /^=+$/ { exit }
		on { if (++n > skip) print }' "$WORK/summary.txt" | sed 's/^ *//; s/   */\t/g; s/  /\t/g'
}
cat >"$WORK/summary.jq" <<'EOF'
# The summary's sections recomputed from the events (output/summary.h says what each holds).
def rank($t): {"probed": 1, "patched": 2, "vulnerable": 3, "exploited": 4, "infected": 5,
               "scanner": 1, "attacker": 2, "anomaly": 1, "scan": 2, "attempt": 3, "success": 4}[$t] // 0;
def addkey: if test(":") then [6, .] else [4, (split(".") | map(tonumber))] end;
def addid($id): if any(.ids[]; . == $id) or (.ids | length) >= 32 then . else .ids += [$id] end;
def host0: {srv: 0, cli: 0, hb: 0, hba: false, est: false, leak: 0, dpa: 0, dpb: 0, dpr: 0, ids: []};
def hosts:
  reduce .[] as $e ({};
    if $e.event_type == "smb_host_verdict" then
      $e.smb_host_verdict as $v | .[$v.host] = ((.[$v.host] // host0) |
        (if $v.role == "server" then
           .srv = ([.srv, rank($v.verdict)] | max) |
           .dpa = ([.dpa, ($v.counts.doublepulsar_answers // 0)] | max) |
           .dpb = ([.dpb, ($v.counts.doublepulsar_absent // 0)] | max)
         else
           .cli = ([.cli, rank($v.verdict)] | max) |
           .dpr = ([.dpr, ($v.counts.doublepulsar_requests // 0)] | max)
         end) | reduce ($v.flow_ids // [])[] as $i (.; addid($i)))
    elif $e.event_type == "heartbleed" and $e.heartbleed.verdict != "benign" then
      $e.heartbleed as $h |
      (if $h.victim then .[$h.victim] = ((.[$h.victim] // host0) |
         .hb = ([.hb, rank($h.verdict)] | max) |
         (if $h.verdict == "success" then .leak += ($h.leaked_bytes // 0) | .est = (.est or ($h.leaked_bytes_estimated // false)) else . end) |
         addid($e.flow_id)) else . end) |
      (if $h.attacker then .[$h.attacker] = ((.[$h.attacker] // host0) | .hba = true | addid($e.flow_id)) else . end)
    else . end);
def sev: [([0, 40, 50, 80, 90, 100][.srv]), ([0, 45, 70][.cli]), ([0, 20, 30, 60, 85][.hb]), (if .hba then 55 else 0 end)] | max;
def cell: if length == 0 then "-" else join(", ") end;
def host_rows:
  hosts | to_entries | sort_by([-(.value | sev), (.key | addkey)]) | .[] |
  .key as $a | .value as $h |
  ([$a,
    ([(["", "probed", "patched", "vulnerable", "exploited", "infected"][$h.srv] | select(. != "")),
      (["", "scanner", "attacker"][$h.cli] | select(. != ""))] | cell),
    ([(if $h.dpa > 0 then "implant" elif $h.dpb > 0 then "absent" else empty end),
      (if $h.dpr > 0 then "sent \($h.dpr)" else empty end)] | cell),
    ([(if $h.hb == 4 then "unpatched (\(if $h.est then "~" else "" end)\($h.leak) B leaked)"
       elif $h.hb > 0 then ["", "anomaly", "scanned", "attempted"][$h.hb] else empty end),
      (if $h.hba then "attacker" else empty end)] | cell)] | join("\t")),
  (if ($h.ids | length) > 0 then
     "flows: " + ($h.ids[0:4] | map(tostring) | join(" ")) + (if ($h.ids | length) > 4 then " (+\(($h.ids | length) - 4))" else "" end)
   else empty end);
def alert_rows:
  [.[] | select(.event_type == "alert")] | group_by([.alert.gid, .alert.signature_id]) |
  map({n: length, gid: .[0].alert.gid, sid: .[0].alert.signature_id, sev: .[0].alert.severity, sig: .[0].alert.signature}) |
  (map("\(.gid):\(.sid)" | length) + [7] | max) as $kw | (100 - (2 + 7 + 2 + $kw + 2 + 3 + 2)) as $w |
  sort_by([-.n, .gid, .sid]) | .[] |
  "\(.n)\t\(.gid):\(.sid)\t\(.sev)\t\(if (.sig | length) > $w then .sig[0:$w - 3] + "..." else .sig end)";
def talker_rows:
  reduce (.[] | select(.event_type == "flow")) as $f ({};
    .[$f.src_ip] |= ((. // {s: 0, r: 0, n: 0}) | .s += $f.flow.bytes_toserver | .r += $f.flow.bytes_toclient | .n += 1) |
    .[$f.dest_ip] |= ((. // {s: 0, r: 0, n: 0}) | .s += $f.flow.bytes_toclient | .r += $f.flow.bytes_toserver | .n += 1)) |
  to_entries | sort_by([-(.value.s + .value.r), (.key | addkey)]) | .[0:10][] | "\(.key)\t\(.value.s)\t\(.value.r)\t\(.value.n)";
def laststats: [.[] | select(.event_type == "stats" and (.stats.worker | not))] | last | .stats;
def traffic_rows:
  laststats as $s |
  "packets\t\($s.capture.packets) captured, \($s.decoder.packets) decoded (\($s.decoder.bytes) bytes)",
  (($s.decoder.errors | to_entries) as $e | if ($e | length) == 0 then "decode errors\tnone"
   else ($e | to_entries[] | (if .key == 0 then "decode errors\t" else "" end) + "\(.value.key) \(.value.value)") end),
  (if $s.capture_loss.acks > 0 then "capture loss\t\($s.capture_loss.ack_gaps) of \($s.capture_loss.acks)" else empty end);
def dropped_rows:
  laststats | [paths(numbers) as $p | select(($p[-1] | tostring) | test("drop|evict|capped")) |
    {p: ($p | map(tostring) | join(".")), v: getpath($p)} | select(.v > 0)] |
  if length == 0 then "none" else sort_by(.p)[] | "\(.p)\t\(.v)" end;
def event_counts:
  "\(length): " + (group_by(.event_type) | map({t: .[0].event_type, n: length}) | sort_by([-.n, .t]) |
    map("\(.t) \(.n)") | join(", "));
def evidence_rows:
  laststats.pcap_log | "written\t\(.packets_written) packets of \(.flows_logged) alerted flows, \(.bytes_written) bytes",
  "files\t\(.files_opened) opened, \(.files_removed) removed at the file cap, \(.files) in the directory";
EOF
jqs() { jq -r -s -L "$WORK" "include \"summary\"; $1" "$WORK/all.json"; }
compare() { # NAME EXPECTED GOT
	if ! cmp -s "$2" "$3"; then
		bad "summary, $1: not the events' figures:"
		diff "$2" "$3" | head -8
	fi
}
jqs host_rows >"$WORK/e.hosts"
section "Verdicts by host" 1 >"$WORK/g.hosts"
compare hosts "$WORK/e.hosts" "$WORK/g.hosts"
jqs alert_rows >"$WORK/e.alerts"
section "Alerts by signature" 1 >"$WORK/g.alerts"
compare alerts "$WORK/e.alerts" "$WORK/g.alerts"
jqs talker_rows >"$WORK/e.talkers"
section "Top talkers" 1 | grep -v '^(' >"$WORK/g.talkers"
compare talkers "$WORK/e.talkers" "$WORK/g.talkers"
jqs traffic_rows >"$WORK/e.traffic"
section "Traffic" 0 | sed 's/^\(capture loss\t\)[0-9.]*% estimated (\([0-9]* of [0-9]*\) ACKs.*/\1\2/; s/^\t/decode errors\t/' |
	awk -F '\t' '$1 == "decode errors" && seen++ { $0 = $2 } { print }' >"$WORK/g.traffic"
compare traffic "$WORK/e.traffic" "$WORK/g.traffic"
jqs dropped_rows >"$WORK/e.dropped"
section "Dropped or evicted" 0 | sed 's/\t\t*/\t/g' >"$WORK/g.dropped"
compare "dropped or evicted" "$WORK/e.dropped" "$WORK/g.dropped"
jqs event_counts >"$WORK/e.events"
echo "$(sed -n '/^  events /,/^$/p' "$WORK/summary.txt" | sed 's/^  events *//' | tr -s ' \n' ' ' | sed 's/^ *//; s/ *$//')" >"$WORK/g.events"
compare "event counts" "$WORK/e.events" "$WORK/g.events"
jqs evidence_rows >"$WORK/e.evidence"
section "Evidence pcaps" 1 >"$WORK/g.evidence"
compare "evidence pcaps" "$WORK/e.evidence" "$WORK/g.evidence"
# the run must have exercised every section
[ "$(wc -l <"$WORK/e.hosts")" -ge 4 ] || bad "summary: fewer than 2 hosts with verdicts: the check proves little"
grep -q "flow.evicted" "$WORK/e.dropped" || bad "summary: no flow was evicted: the dropped list is not checked"
grep -q "infected" "$WORK/e.hosts" || bad "summary: no infected host in the check"
grep -q "unpatched" "$WORK/e.hosts" || [ -z "$shared" ] || bad "summary: no Heartbleed victim in the check"
[ "$(wc -l <"$WORK/e.alerts")" -ge 5 ] || bad "summary: fewer than 5 signatures"
echo "summary = events: $(grep -vc '^flows:' "$WORK/e.hosts") hosts, $(wc -l <"$WORK/e.alerts") signatures, $(wc -l <"$WORK/e.talkers") talkers, $(wc -l <"$WORK/e.dropped") dropped/evicted counters, traffic and evidence lines"

[ $status = 0 ] && echo "progress-summary: all checks passed"
exit $status
