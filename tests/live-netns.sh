#!/bin/sh
# tests/live-netns.sh - live capture as on a mirror port: two network namespaces joined by a
# veth pair; tcpreplay sends the captures (pcaps/, and the shared real captures when present)
# from one end at a set rate, kagami captures on the other - in one process (-j 1) and with two
# workers in a PACKET_FANOUT group (-j 2), as an unprivileged user (-u nobody). Checked:
#   - the detections equal offline mode's on the same files: flows by 5-tuple with packets and
#     bytes per direction, reassembled stream digests, alerts by gid/sid/rev and endpoints, and
#     every other protocol event (times, flow ids and SMB verdicts' flow_ids lists left out;
#     with -j 2 the per-host SMB verdicts merged across workers, see mergehosts);
#   - nothing was dropped (kernel, ring), every packet sent was captured, TPACKET_V3 was used;
#   - the running sensor keeps no privilege: uid/gid not 0, no capability in any set
#     (/proc/PID/status of the supervisor and of every worker), no_new_privs - and captures;
#   - SIGHUP to the supervisor reaches the reload hook of both workers' engines (the merged
#     stats count two reload requests);
#   - a worker killed with SIGKILL is restarted (from a spare handle, unprivileged), a second
#     death with no spare left is reported and the other worker takes all the traffic;
#   - with --pcap-log and --summary each worker writes its own evidence files, alerts name
#     existing files, the merged stats count what the files hold, and the supervisor prints the
#     summary of the merged events at shutdown.
# Root only (exit 77 otherwise). The namespaces are removed on any exit.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
[ "$(id -u)" = 0 ] || skip "live capture in network namespaces needs root"
need tcpreplay
need jq
need ip
. "$top_srcdir/tests/lib/netns.sh"
scratch
KPID=""
cleanup() {
	[ -n "$KPID" ] && kill -KILL "$KPID" 2>/dev/null
	netns_down
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
netns_up || skip "cannot create network namespaces and a veth pair here"
RUNAS=nobody
id "$RUNAS" >/dev/null 2>&1 || skip "no user $RUNAS to drop privileges to"
chmod 755 "$WORK"
mkdir "$WORK/out" "$WORK/off" "$WORK/tuples"
chown "$RUNAS" "$WORK/out"
PPS=${LIVE_PPS:-4000}
# flows end only at shutdown (or when a new connection reuses the 5-tuple), in packet time
# offline and in wall time live alike: no timeout can split a flow differently
OPTS="--tcp-new-timeout 1d --tcp-timeout 1d --tcp-closed-timeout 1d --udp-timeout 1d --other-timeout 1d --stream-digest"
LIVEOPTS="-B 16M --ring-size 16M --stats-interval 0"

# normalize < events.jsonl: one comparable line per detection-relevant event
NORM='
def ep(ip; port): "\(ip)|\(port // "")";
def canon: ep(.src_ip; .src_port) as $s | ep(.dest_ip; .dest_port) as $d
	| if $s <= $d then {k: "\(.proto) \($s) \($d)", fwd: true} else {k: "\(.proto) \($d) \($s)", fwd: false} end;
select(.event_type != "stats" and .event_type != "supervisor" and .event_type != "observation")
| if .event_type == "flow" then
	canon as $c
	| (if $c.fwd then [.flow.pkts_toserver, .flow.bytes_toserver, .flow.pkts_toclient, .flow.bytes_toclient]
	   else [.flow.pkts_toclient, .flow.bytes_toclient, .flow.pkts_toserver, .flow.bytes_toserver] end) as $v
	| "flow \($c.k) \($v | map(tostring) | join(" "))"
  elif .event_type == "stream" then
	canon as $c
	| (if $c.fwd then [.stream.toserver, .stream.toclient] else [.stream.toclient, .stream.toserver] end)
	| "stream \($c.k) \(.[0] | tojson) \(.[1] | tojson)"
  elif .event_type == "alert" then
	"alert \(.alert.gid) \(.alert.signature_id) \(.alert.rev) \(ep(.src_ip; .src_port)) \(ep(.dest_ip; .dest_port)) \(.proto)"
  else
	del(.timestamp, .flow_id)
	| walk(if type == "object" then del(.flow_ids) else . end)
	| walk(if type == "string" and test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+[+]0000$") then "T" else . end)
	| "event \(tojson)"
  end'
# flows of the same 5-tuple add up (a capture may hold several connections on one tuple)
sumflows() {
	awk '$1 == "flow" { k = $2 " " $3 " " $4; for (i = 0; i < 4; i++) v[k, i] += $(5 + i); keys[k] = 1; next }
	     { print }
	     END { for (k in keys) print "flow " k " " v[k, 0] " " v[k, 1] " " v[k, 2] " " v[k, 3] }' | sort
}

# the captures tcpreplay can send as they are: Ethernet pcap files, readable to the end, every
# frame between an Ethernet header and the link's MTU
caps=""
left_out=""
shared=$(shared_dir)
for p in "$top_srcdir"/pcaps/*.pcap ${shared:+"$shared"/*.pcap}; do
	if is_ether_pcap "$p" && info=$("$top_builddir/tools/pcapread" "$p" 2>/dev/null) &&
		echo "$info" | awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
			END { exit !(v["min_caplen"] >= 14 && v["max_caplen"] <= 65549) }'; then
		caps="$caps $p"
	else
		left_out="$left_out $(basename "$p")"
	fi
done
[ -n "$caps" ] || fail "no Ethernet capture to replay"
[ -z "$left_out" ] || echo "not replayable (link type, unreadable record, or a frame tcpreplay cannot send):$left_out"

# offline baseline, and the 5-tuples of each capture
for p in $caps; do
	n=$(basename "$p" .pcap)
	# shellcheck disable=SC2086
	"$KAGAMI" -r "$p" $OPTS --stats-interval 0 -w - 2>/dev/null | "$KAGAMI_CAT" --sort-keys >"$WORK/off/$n.jsonl"
	jq -r 'select(.event_type == "stats") | "\(.stats.decoder.fragments) \(.stats.decoder.reassembled)"' \
		"$WORK/off/$n.jsonl" | tail -n 1 >"$WORK/off/$n.frags"
	jq -r "$NORM" <"$WORK/off/$n.jsonl" | sumflows >"$WORK/off/$n.norm"
	# per-host summaries (SMB verdicts) add up a whole run: their hosts count as keys too
	{ awk '$1 == "flow" { print $2 " " $3 " " $4 }' "$WORK/off/$n.norm"
	  jq -r 'select(.event_type == "smb_host_verdict") | "host \(.smb_host_verdict.host)"' "$WORK/off/$n.jsonl"
	} | sort -u >"$WORK/tuples/$n"
done
# batches of captures that share no 5-tuple and no summarised host, so that one live run can
# take a whole batch
nb=0
for p in $caps; do
	n=$(basename "$p" .pcap)
	b=0
	while [ $b -lt $nb ]; do
		if [ -z "$(comm -12 "$WORK/tuples/$n" "$WORK/batch$b.tuples")" ]; then break; fi
		b=$((b + 1))
	done
	[ $b = $nb ] && { : >"$WORK/batch$b.tuples"; : >"$WORK/batch$b.list"; nb=$((nb + 1)); }
	sort -u -o "$WORK/batch$b.tuples" "$WORK/batch$b.tuples" "$WORK/tuples/$n"
	echo "$p" >>"$WORK/batch$b.list"
done
echo "$(echo $caps | wc -w) captures in $nb batches, replayed at $PPS packets/s"

count_packets() { # files... -> total packets
	t=0
	for f in "$@"; do
		c=$("$top_builddir/tools/pcapread" "$f" | sed -n 's/^packets=\([0-9]*\).*/\1/p')
		t=$((t + c))
	done
	echo $t
}

# no privilege left in process $1: uid/gid, every capability set, no_new_privs
check_unprivileged() {
	st=/proc/$1/status
	[ -r "$st" ] || fail "process $1 is gone"
	uid=$(id -u "$RUNAS")
	awk -v u="$uid" '$1 == "Uid:" { if ($2 != u || $3 != u || $4 != u || $5 != u) { print "Uid: " $0; bad = 1 } }
		$1 == "Gid:" { if ($2 == 0 || $3 == 0 || $4 == 0 || $5 == 0) { print "Gid: " $0; bad = 1 } }
		$1 == "Groups:" { for (i = 2; i <= NF; i++) if ($i == 0) { print "Groups: " $0; bad = 1 } }
		$1 ~ /^Cap(Inh|Prm|Eff|Bnd|Amb):$/ { if ($2 !~ /^0+$/) { print $0; bad = 1 } }
		$1 == "NoNewPrivs:" { nnp = $2 }
		END { if (nnp != 1) { print "NoNewPrivs: " nnp; bad = 1 } exit bad }' "$st" ||
		fail "process $1 ($(tr '\0' ' ' </proc/$1/cmdline)) keeps privileges"
}

children() { cat /proc/"$1"/task/*/children 2>/dev/null; }

# start kagami on the capturing side; returns when the capture is open and privileges are gone
opened() { # the pid file is written and the privileges dropped once the capture is open
	kill -0 "$KPID" 2>/dev/null || fail "kagami did not start: $(cat "$WORK/live.err")"
	[ -s "$WORK/pid" ] && [ "$(awk '$1 == "Uid:" { print $2 }' /proc/$KPID/status 2>/dev/null)" != 0 ] &&
		[ -n "$(awk '$1 == "Uid:" { print $2 }' /proc/$KPID/status 2>/dev/null)" ]
}
start_kagami() { # out args...
	out=$1
	shift
	rm -f "$WORK/pid"
	# shellcheck disable=SC2086
	ip netns exec "$NS_RX" "$KAGAMI" -i "$IF_RX" -u "$RUNAS" --pidfile "$WORK/pid" $OPTS $LIVEOPTS "$@" -w "$out" \
		2>"$WORK/live.err" &
	KPID=$!
	wait_for "kagami to open the capture and drop its privileges" opened
	[ "$(cat "$WORK/pid")" = "$KPID" ] || fail "pid file holds $(cat "$WORK/pid"), kagami is $KPID"
}

stop_kagami() {
	kill -TERM "$KPID"
	wait "$KPID"
	rc=$?
	KPID=""
	[ $rc = 0 ] || fail "kagami exited with $rc: $(cat "$WORK/live.err")"
}

# compare the live events of a batch with the offline ones
# With workers, a per-host summary (smb_host_verdict) comes from each worker that saw flows of
# the host (a known limitation): merged by host and role - counts summed, detections united,
# the verdict and the flow count left out (the workers' flow counts add up to fewer than one
# process counts: not yet explained, see README) - they must equal offline's merged alike.
HOSTS_MERGED=""
mergehosts() { # norm file -> same, with host summaries merged when HOSTS_MERGED is set
	[ -n "$HOSTS_MERGED" ] || { cat "$1"; return; }
	grep -v '^event {"event_type":"smb_host_verdict"' "$1"
	grep '^event {"event_type":"smb_host_verdict"' "$1" | sed 's/^event //' | jq -s -r 'map(.smb_host_verdict)
		| group_by([.host, .role]) | .[]
		| {host: .[0].host, role: .[0].role, detections: (map(.detections[]) | unique),
		   counts: (reduce (.[].counts | to_entries[]) as $e ({}; .[$e.key] += $e.value))}
		| "smbhost \(tojson)"'
}

compare() { # live.mp batch-list label
	"$KAGAMI_CAT" --sort-keys "$1" >"$WORK/live.jsonl" || fail "$3: the output is not a clean event stream"
	jq -r "$NORM" <"$WORK/live.jsonl" | sumflows >"$WORK/live.raw"
	mergehosts "$WORK/live.raw" | sort >"$WORK/live.norm"
	: >"$WORK/exp.raw"
	while read -r p; do cat "$WORK/off/$(basename "$p" .pcap).norm" >>"$WORK/exp.raw"; done <"$2"
	sumflows <"$WORK/exp.raw" >"$WORK/exp.sum"
	mergehosts "$WORK/exp.sum" | sort >"$WORK/exp.norm"
	if ! cmp -s "$WORK/exp.norm" "$WORK/live.norm"; then
		echo "$3: live detections differ from offline (< offline, > live):"
		diff "$WORK/exp.norm" "$WORK/live.norm" | head -40
		fail "$3: live and offline disagree on $(tr '\n' ' ' <"$2")"
	fi
	# the capture counters: everything sent was captured, nothing dropped
	jq -c 'select(.event_type == "stats" and (.stats.worker == null)) | .stats.capture' "$WORK/live.jsonl" | tail -n 1 \
		>"$WORK/cap.json"
	[ -s "$WORK/cap.json" ] || fail "$3: no final stats event"
	got=$(jq .packets "$WORK/cap.json")
	drops=$(jq '.kernel_drops + .ring_drops' "$WORK/cap.json")
	tpv=$(jq .tpacket_version "$WORK/cap.json")
	[ "$drops" = 0 ] || fail "$3: $drops packets dropped at $PPS packets/s: $(cat "$WORK/cap.json")"
	# with workers the kernel reassembles IPv4 fragments before the fanout
	# (PACKET_FANOUT_FLAG_DEFRAG): the fragments kagami no longer sees, less the
	# datagrams it gets instead, are the packets it captured fewer than were sent
	set -- $(while read -r p; do cat "$WORK/off/$(basename "$p" .pcap).frags"; done <"$2" |
		awk '{ f += $1; r += $2 } END { print f + 0, r + 0 }') \
		$(jq -r 'select(.event_type == "stats" and .stats.worker == null) | "\(.stats.decoder.fragments) \(.stats.decoder.reassembled)"' \
		"$WORK/live.jsonl" | tail -n 1) "$@"
	merged=$((($1 - $3) - ($2 - $4)))
	shift 4
	CAPTURED=$(($4 - merged))
	[ "$got" = "$CAPTURED" ] || fail "$3: $4 packets sent ($merged fewer after kernel reassembly), $got captured"
	[ "$tpv" = 3 ] || fail "$3: the capture used TPACKET_V$tpv, not V3"
}

# captured_all OUT LIST SENT: wait until kagami's stats (SIGUSR1; with workers the merged
# ones) count every packet of the batch LIST (SENT packets) as captured - with workers, less
# the fragments the kernel reassembled before the fanout, as compare() counts them - so that
# SIGTERM comes only once the capture is complete
captured_all() {
	set -- "$1" "$2" "$3" $(while read -r p; do cat "$WORK/off/$(basename "$p" .pcap).frags"; done <"$2" |
		awk '{ f += $1; r += $2 } END { print f + 0, r + 0 }')
	usr1_stats "$KPID" "$1" ".stats.capture.packets == ($3 - (($4 - .stats.decoder.fragments) - ($5 - .stats.decoder.reassembled)))" \
		'.stats.worker == null' >"$WORK/st" || { cat "$WORK/st"; exit 1; }
}

total=0
for j in 1 2; do
	b=0
	[ $j = 1 ] || HOSTS_MERGED=1
	while [ $b -lt $nb ]; do
		# shellcheck disable=SC2046
		set -- $(cat "$WORK/batch$b.list")
		sent=$(count_packets "$@")
		start_kagami "$WORK/out/live.mp" -j $j
		check_unprivileged "$KPID"
		for c in $(children "$KPID"); do check_unprivileged "$c"; done
		# -j N: N fanout workers and the observer (its own handle outside the group)
		[ $j = 1 ] || [ "$(children "$KPID" | wc -w)" = $((j + 1)) ] || fail "-j $j: $(children "$KPID" | wc -w) workers"
		replay "$PPS" "$@" >"$WORK/replay.log" 2>&1 || fail "tcpreplay: $(cat "$WORK/replay.log")"
		captured_all "$WORK/out/live.mp" "$WORK/batch$b.list" "$sent"
		if [ $j = 2 ]; then # forwarded to the workers' reload hooks: both count it
			kill -HUP "$KPID"
			usr1_stats "$KPID" "$WORK/out/live.mp" '.stats.reload.requests == 2' '.stats.supervisor != null' \
				>"$WORK/st" || { cat "$WORK/st"; exit 1; }
		fi
		stop_kagami
		compare "$WORK/out/live.mp" "$WORK/batch$b.list" "-j $j batch $b" "$sent"
		if [ $j = 2 ]; then # both workers had flows, and the merged stats add up theirs
			jq -s -e '[.[] | select(.event_type == "stats" and .stats.supervisor != null)] | last
				| .stats.reload.requests == 2' "$WORK/live.jsonl" >/dev/null ||
				fail "-j 2: SIGHUP did not reach both workers' engines: $(jq -c 'select(.stats.supervisor != null) | .stats.reload' "$WORK/live.jsonl")"
			jq -s '[.[] | select(.event_type == "stats" and .stats.worker != null)] | group_by(.stats.worker.id)
				| map(last | .stats.capture.packets) | add' "$WORK/live.jsonl" >"$WORK/wsum"
			[ "$(cat "$WORK/wsum")" = "$CAPTURED" ] ||
				fail "workers' packets add up to $(cat "$WORK/wsum"), not $CAPTURED"
			# packets per worker id; checked over all batches (a small batch may hash to one worker)
			jq -s -c '[.[] | select(.event_type == "stats" and .stats.worker != null)] | group_by(.stats.worker.id)
				| map({key: (.[0].stats.worker.id | tostring), value: (last | .stats.capture.packets)}) | from_entries' \
				"$WORK/live.jsonl" >>"$WORK/perworker"
		fi
		rm -f "$WORK/out/live.mp"
		total=$((total + sent))
		b=$((b + 1))
	done
	if [ $j = 2 ]; then # both workers had packets over the run: the fanout spread the flows
		jq -s -e '(map(.["0"] // 0) | add) > 0 and (map(.["1"] // 0) | add) > 0' "$WORK/perworker" >/dev/null ||
			fail "-j 2: a worker captured nothing over all batches: the fanout did not spread the flows ($(tr '\n' ' ' <"$WORK/perworker"))"
	fi
	echo "-j $j: $nb batches, detections equal offline, no drops, unprivileged"
done

# worker restarts: kill a worker, it comes back from the spare handle; kill it again, no spare
# is left, and the other worker takes all the traffic
set -- $(cat "$WORK/batch0.list")
sent=$(count_packets "$@")
start_kagami "$WORK/out/live.mp" -j 2 --worker-spares 1 --no-observe # the fanout workers alone
w0=$(children "$KPID" | awk '{ print $1 }')
kill -KILL "$w0"
restarted() { [ "$(children "$KPID" | tr ' ' '\n' | grep -v "^$w0\$" | grep -c .)" = 2 ]; }
wait_for "the killed worker to be restarted (have: $(children "$KPID"))" restarted
for c in $(children "$KPID"); do check_unprivileged "$c"; done
w0=$(children "$KPID" | tr ' ' '\n' | tail -n 1)
kill -KILL "$w0"
one_left() { [ "$(children "$KPID" | wc -w)" = 1 ]; }
wait_for "one worker left after the second kill (have: $(children "$KPID"))" one_left
replay "$PPS" "$@" >"$WORK/replay.log" 2>&1 || fail "tcpreplay: $(cat "$WORK/replay.log")"
captured_all "$WORK/out/live.mp" "$WORK/batch0.list" "$sent" # SIGUSR1: merged stats events
stop_kagami
compare "$WORK/out/live.mp" "$WORK/batch0.list" "restarts" "$sent"
for a in start worker_exit worker_restart worker_lost stop; do
	grep -q "\"action\":\"$a\"" "$WORK/live.jsonl" || fail "no supervisor event '$a'"
done
[ "$(jq -c 'select(.event_type == "stats" and .stats.supervisor != null)' "$WORK/live.jsonl" | wc -l)" -ge 2 ] ||
	fail "SIGUSR1 did not bring a merged stats event"
jq -s -e 'map(select(.event_type == "stats" and .stats.supervisor != null) | .stats.supervisor)
	| any(.restarts == 1 and .failures == 2 and .running == 1 and .spare_handles == 0)' "$WORK/live.jsonl" \
	>/dev/null || fail "merged stats do not count the restart and failures: $(jq -c 'select(.stats.supervisor != null) | .stats.supervisor' "$WORK/live.jsonl")"
echo "live: $total packets replayed; worker restart from a spare handle, loss of a worker without one"

# evidence pcaps and the summary with two workers: each worker writes its own files (names that
# say the worker, no collision), alerts name existing files, the merged stats count the packets
# the files hold, and the supervisor prints the summary of the merged stream at shutdown
set -- $(cat "$WORK/batch0.list")
sent=$(count_packets "$@")
mkdir "$WORK/pcap"
chown "$RUNAS" "$WORK/pcap"
rm -f "$WORK/out/live.mp"
start_kagami "$WORK/out/live.mp" -j 2 --pcap-log "$WORK/pcap" --summary
replay "$PPS" "$@" >"$WORK/replay.log" 2>&1 || fail "tcpreplay: $(cat "$WORK/replay.log")"
captured_all "$WORK/out/live.mp" "$WORK/batch0.list" "$sent"
stop_kagami
compare "$WORK/out/live.mp" "$WORK/batch0.list" "-j 2 --pcap-log" "$sent"
files=0
inpcap=0
for f in "$WORK"/pcap/*; do
	case $(basename "$f") in
	kagami-[01]-[0-9][0-9][0-9][0-9][0-9][0-9].pcap) ;;
	*) fail "-j 2 --pcap-log: a file that names no worker: $f" ;;
	esac
	c=$("$top_builddir/tools/pcapread" "$f" | sed -n 's/^packets=\([0-9]*\).*/\1/p')
	[ -n "$c" ] || fail "-j 2 --pcap-log: $f is not a readable capture"
	if command -v tshark >/dev/null 2>&1; then
		tshark -r "$f" >/dev/null 2>&1 || fail "-j 2 --pcap-log: tshark cannot read $f"
	fi
	inpcap=$((inpcap + c))
	files=$((files + 1))
done
[ "$files" -gt 0 ] || fail "-j 2 --pcap-log: no evidence file"
jq -s -e --argjson n "$inpcap" '[.[] | select(.event_type == "stats" and .stats.supervisor != null)] | last
	| .stats.pcap_log.packets_written == $n' "$WORK/live.jsonl" >/dev/null ||
	fail "-j 2 --pcap-log: the files hold $inpcap packets, the merged stats say $(jq -s -c '[.[] | select(.stats.supervisor != null)] | last | .stats.pcap_log' "$WORK/live.jsonl")"
jq -r 'select(.event_type == "alert") | .capture_file // "none"' "$WORK/live.jsonl" | sort -u | while read -r f; do
	[ -f "$f" ] || fail "-j 2 --pcap-log: an alert names $f, which is not there"
done || exit 1
na=$(jq -s '[.[] | select(.event_type == "alert")] | length' "$WORK/live.jsonl")
grep -q "^Alerts by signature ($na alerts" "$WORK/live.err" ||
	fail "-j 2 --summary: no summary of the $na alerts at shutdown: $(grep -A2 '^Alerts' "$WORK/live.err")"
echo "-j 2 --pcap-log --summary: $files evidence files from $(ls "$WORK/pcap" | cut -d- -f2 | sort -u | wc -l) workers, $inpcap packets as counted, summary of $na alerts"
