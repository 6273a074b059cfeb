#!/bin/sh
# tests/http-zeek.sh - kagami's http events against tshark on the 87 HTTP captures of Zeek's test suite
# (../shared/pcaps/http-zeek, see its MANIFEST; skipped when absent): tshark's requests (method, URI,
# host) and responses (status) that kagami reports, and what kagami reports beyond them, per capture
# and in total. Passes when kagami reports at least 98 % of tshark's requests and of its responses,
# at most 2 % more of either, never crashes or stops early, and every capture agrees exactly except
# the named captures below, where kagami differs on purpose by exactly the figures given.
#
# How the two are compared:
#   - tshark: -Y 'http.request || http.response' -T json --no-duplicate-keys (every HTTP message of a
#     frame: -T fields or duplicate keys would merge pipelined ones); interim answers (100, 102, 103)
#     are left out: kagami reports the final status of a transaction (RFC 9110 15.2).
#   - a request matches on method, URI and host: tshark's Host header lower-cased without port and
#     trailing dot (kagami's hostname is libhtp's normalised host); requests without a Host header,
#     and CONNECT (libhtp takes its host from the authority-form target), match on method and URI.
#   - URIs compare on their first 1000 bytes: event strings are capped at 1024 (docs/events.md).
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
need jq
need tshark
real=$(shared_dir)
[ -n "$real" ] || skip "../shared is not there"
Z="$(dirname "$real")/http-zeek"
[ -d "$Z" ] || skip "$Z is not there"
scratch
status=0

# capture | requests tshark has that kagami lacks, kagami's extra requests, responses lacking, extra
# responses | why (each figure exact: a change is a regression or needs a new reason here)
exceptions='206_example_b.pcap|0 0 0 1|tshark loses a 206 answer where retransmissions overlap ("New fragment overlaps old data", 52 times); the stream holds its status line and kagami reassembles it
261-variant-01-chunk_2pow64_overflow.pcap|0 1 0 0|chunk size 2^64: kagami reads on from the next request line and reports the smuggled GET (a server that wraps the size to 0 serves it; one that rejects it closes), with http.invalid_request_chunk_len on the POST; tshark keeps it in the chunk
261-variant-09-te_obs_fold.pcap|0 1 0 0|folded "Transfer-Encoding: chunked": kagami unfolds it as RFC 9112 5.2 lets a server do (Apache does), so the chunked body ends at 0 and the GET after it is a request (http.request_obsolete_line_folding); tshark does not unfold
bro.org.pcap|0 0 0 1|a 7240-byte hole inside a body of known length: kagami steps over it (file with gaps), tshark never completes that answer
concurrent-range-requests.pcap|0 0 0 1|tshark takes a segment that arrives late (frame 53) for a retransmission and never completes the third 206 answer; kagami puts it in place
content-range-gap-skip.pcap|0 0 0 1|a hole inside the body: kagami steps over it (file with gaps), tshark never completes the answer
content-range-gap.pcap|0 0 0 1|a hole inside the body: kagami steps over it (file with gaps), tshark never completes the answer
entity_gap.pcap|0 0 0 1|a hole inside the body: kagami steps over it (file with gaps), tshark never completes the answer
entity_gap2.pcap|0 0 0 1|a hole inside the body: kagami steps over it (file with gaps), tshark never completes the answer
get-to-ssh-server.pcap|0 1 0 0|HTTP sent to port 22: tshark dissects the port as SSH, kagami recognises HTTP by content
http-to-ssh.pcap|0 1 0 0|HTTP sent to port 22: tshark dissects the port as SSH, kagami recognises HTTP by content
http-single-conn-22.pcap|0 1 0 1|HTTP on port 22: tshark dissects the port as SSH, kagami recognises HTTP by content
zeek-image-post-1080-8000-x.pcap|0 1 0 1|HTTP between ports 1080 and 8000, neither an HTTP port for tshark; kagami recognises HTTP by content
http-11-request-then-cruft.pcap|0 3 0 0|"T / HTTP" lines after the first request: libhtp reads them as requests with method T (nginx answered the first with 400); tshark knows no method T
http-lower-case.pcap|0 0 0 1|a status line in lower case ("http/1.1 200 OK"): libhtp reads it, as the browser did; tshark does not
http-lower-case-nonstandard-port.pcap|0 0 0 1|a status line in lower case ("http/1.1 200 OK"): libhtp reads it, as the browser did; tshark does not
http_09.pcap|0 3 0 0|HTTP/0.9 requests ("GET /zeek.html" without a version): tshark does not dissect them
no-version.pcap|0 1 0 0|an HTTP/0.9 request: tshark does not dissect it
putty-upload.pcap|0 1 0 0|the upload stops after 81 916 of its 1 648 120 body bytes (the server answers and resets): kagami reports the request, cut, with the part of putty.exe it saw; tshark reports a request only once its body is complete
query-method.pcap|0 1 0 0|the QUERY method (draft-ietf-httpbis-safe-method-w-body): tshark does not know it
query-method-non-standard-port.pcap|0 1 0 0|the QUERY method (draft-ietf-httpbis-safe-method-w-body): tshark does not know it'

tq_all=0 mq_all=0 xq_all=0 ts_all=0 ms_all=0 xs_all=0 n=0
printf '%-46s %-16s %-16s %s\n' capture requests responses note
for p in "$Z"/*.pcap "$Z"/*.pcapng; do
	[ -e "$p" ] || continue
	b=$(basename "$p")
	n=$((n + 1))
	tshark -r "$p" -Y 'http.request || http.response' -T json -J http --no-duplicate-keys 2>/dev/null | jq -c '
		.[]._source.layers.http | if type == "array" then .[] else . end |
		(.["http.host"] // "" | if type == "array" then .[0] else . end) as $h |
		(.[] | objects | select(has("http.request.method") or has("http.response.code"))) |
		if has("http.request.method") then
			{q: [.["http.request.method"], (.["http.request.uri"] // "")],
			 h: ($h | ascii_downcase | sub(":[0-9]*$"; "") | sub("\\.$"; ""))}
		else {s: .["http.response.code"]} end' >"$WORK/t.json" || { echo "FAIL: $b: tshark"; status=1; }
	rm -f "$WORK/k.mp"
	if ! "$KAGAMI" -r "$p" --no-stats --no-flows --no-observe -w "$WORK/k.mp" 2>"$WORK/k.err"; then
		echo "FAIL: $b: kagami exited with $?: $(tail -n 3 "$WORK/k.err")"
		status=1
	fi
	"$KAGAMI_CAT" "$WORK/k.mp" | jq -c 'select(.event_type == "http") | .http |
		(if .http_method then {q: [.http_method, (.url // "")], h: (.hostname // "")} else empty end),
		(if .status then {s: (.status | tostring)} else empty end)' >"$WORK/k.json"
	line=$(jq -n -r --slurpfile t "$WORK/t.json" --slurpfile k "$WORK/k.json" '
		def u(x): x | sub("\\.\\.\\.$"; "") | .[0:1000];
		def key(x): [x.q[0], u(x.q[1])] + (if x.h == "" or x.q[0] == "CONNECT" then [] else [x.h] end);
		def cnt(a): reduce a[] as $x ({}; .[$x | tojson] += 1);
		def inter(a; b): [(cnt(a) | to_entries[]) as $e | [$e.value, (cnt(b)[$e.key] // 0)] | min] | add // 0;
		($t | map(select(.q))) as $tq | ($k | map(select(.q))) as $kq |
		($tq | map(key(.))) as $tk |
		inter($tk | map(select(length == 3)); $kq | map(key(.))) as $m3 |
		inter($tk | map(select(length == 2)); $kq | map(key(.)[0:2])) as $m2 |
		($t | map(select(.s and (.s | test("^10[023]$") | not))) | map(.s)) as $ts |
		($k | map(select(.s)) | map(.s)) as $ks | inter($ts; $ks) as $ms |
		"\($tq | length) \($m3 + $m2) \(($kq | length) - $m3 - $m2) \($ts | length) \($ms) \(($ks | length) - $ms)"')
	set -- $line
	tq=$1 mq=$2 xq=$3 ts=$4 ms=$5 xs=$6
	got="$((tq - mq)) $xq $((ts - ms)) $xs"
	exc=$(printf '%s\n' "$exceptions" | awk -F'|' -v c="$b" '$1 == c { print $2 "|" $3 }')
	want=${exc%%|*}
	why=${exc#*|}
	[ -n "$exc" ] || { want="0 0 0 0"; why=""; }
	note=""
	if [ "$got" != "$want" ]; then
		note="FAIL: expected (missing/extra requests, missing/extra responses) $want, got $got"
		status=1
	elif [ -n "$why" ]; then
		note="named: $why"
	fi
	printf '%-46s %-16s %-16s %s\n' "$b" "$mq/$tq +$xq" "$ms/$ts +$xs" "$note"
	tq_all=$((tq_all + tq)) mq_all=$((mq_all + mq)) xq_all=$((xq_all + xq))
	ts_all=$((ts_all + ts)) ms_all=$((ms_all + ms)) xs_all=$((xs_all + xs))
done
[ "$n" -eq 87 ] || { echo "FAIL: $n captures in $Z, 87 expected"; status=1; }
echo "total: requests $mq_all of tshark's $tq_all, $xq_all more; responses $ms_all of $ts_all, $xs_all more"
# at least 98 % reported, at most 2 % more (integer arithmetic: 100 * x >= 98 * total)
[ $((100 * mq_all)) -ge $((98 * tq_all)) ] || { echo "FAIL: fewer than 98 % of tshark's requests"; status=1; }
[ $((100 * ms_all)) -ge $((98 * ts_all)) ] || { echo "FAIL: fewer than 98 % of tshark's responses"; status=1; }
[ $((100 * xq_all)) -le $((2 * tq_all)) ] || { echo "FAIL: more than 2 % more requests than tshark"; status=1; }
[ $((100 * xs_all)) -le $((2 * ts_all)) ] || { echo "FAIL: more than 2 % more responses than tshark"; status=1; }
exit $status
