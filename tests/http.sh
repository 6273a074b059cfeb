#!/bin/sh
# tests/http.sh - the HTTP dissector on the generated captures (tools/pcapgen/scenarios_http.c): every
# body form with its http and fileinfo events (SHA-256 of each download against tshark's exported
# objects), the same session a byte per segment and reordered giving the same events, pipelining,
# 100-continue, HTTP/0.9, CONNECT with TLS inside, Upgrade, each smuggling trap with its app-layer
# event (seen by a rule), gaps, the exact bytes of every inspection buffer and the exactly-once
# contract of the progress bits (tests/inspect-views), the caps and --http-body-limit / --http-headers.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
need jq
need tshark
scratch
P="$top_srcdir/pcaps"
: "${INSPECT_VIEWS:=$top_builddir/tests/inspect-views}"
status=0
http() { echo "[.[] | select(.event_type == \"http\") | .http]"; }
files() { echo "[.[] | select(.event_type == \"fileinfo\")]"; }

# ---------------------------------------------------------------- every body form
f=$(ev "$P/http-bodies.pcap")
check "bodies: 15 transactions on one connection, methods, URLs and statuses in order" \
	"$(http) | map([.http_method, .url, .status]) == [[\"GET\",\"/cl.txt\",200],[\"GET\",\"/chunked.js\",200],[\"GET\",\"/gzip.html\",200],[\"GET\",\"/gzip-chunked.css\",200],[\"GET\",\"/deflate.json\",200],[\"GET\",\"/rawdeflate.txt\",200],[\"HEAD\",\"/cl.txt\",200],[\"GET\",\"/cached.png\",304],[\"POST\",\"/form\",200],[\"POST\",\"/api/batch\",200],[\"PUT\",\"/files/report.pdf\",201],[\"POST\",\"/upload\",200],[\"GET\",\"/big.iso\",206],[\"GET\",\"/dl?id=7\",200],[\"GET\",\"/close\",200]]" "$f"
check "bodies: tx_id counts the connection's transactions" \
	"[.[] | select(.event_type == \"http\") | .tx_id] == [range(15)]" "$f"
check "bodies: EVE fields of the first transaction" \
	"$(http)[0] | .hostname == \"bodies.example\" and .protocol == \"HTTP/1.1\" and .http_user_agent == \"kagami-pcapgen/1.0\" and .http_content_type == \"text/plain\" and .length == 22 and .response_body_length == 22" "$f"
check "bodies: decoded sizes (dechunked, gunzipped, inflated from zlib and raw deflate)" \
	"$(http) | map(.response_body_length)[0:6] == [22, 736, 2247, 1550, 1012, 566]" "$f"
check "bodies: request bodies dechunked (the chunked POST's JSON is 57 bytes)" \
	"$(http) | map(.request_body_length)[8:12] == [22, 57, 76, 480]" "$f"
check "bodies: HEAD and 304 have no file, every other answer with a body one" \
	"$(files) | map(select(.fileinfo.direction == \"to_client\") | .fileinfo.tx_id) == [0,1,2,3,4,5,8,9,11,12,13,14]" "$f"
check "bodies: every file closed, none with gaps, src the sender of the file" \
	"$(files) | all(.fileinfo.state == \"CLOSED\" and .fileinfo.gaps == false) and all(if .fileinfo.direction == \"to_client\" then .src_port == 80 else .dest_port == 80 end)" "$f"
check "bodies: file names from the URI path, from Content-Disposition, from the multipart parts" \
	"$(files) | map(.fileinfo.filename) == [\"/cl.txt\",\"/chunked.js\",\"/gzip.html\",\"/gzip-chunked.css\",\"/deflate.json\",\"/rawdeflate.txt\",\"/form\",\"/api/batch\",\"/files/report.pdf\",\"evil.exe\",\"notes.txt\",\"/upload\",\"/big.iso\",\"invoice.doc\",\"/close\"]" "$f"
want=$(printf 'hello, content-length\n' | sha256sum | cut -c1-64)
check "bodies: SHA-256 of the Content-Length body" "$(files)[0].fileinfo.sha256 == \"$want\"" "$f"
want=$(printf 'MZ\220\000\003\000\000\000\004\000\000\000\377\377This program\r\n--' | sha256sum | cut -c1-64)
check "bodies: multipart upload evil.exe: its 30 bytes exactly (a CRLF-- inside is data), hashed" \
	"$(files) | map(select(.fileinfo.filename == \"evil.exe\"))[0].fileinfo | .size == 30 and .sha256 == \"$want\" and .direction == \"to_server\" and .tx_id == 11" "$f"
want=$(printf 'plain notes, two lines\nsecond line\n' | sha256sum | cut -c1-64)
check "bodies: multipart upload notes.txt" "$(files) | map(select(.fileinfo.filename == \"notes.txt\"))[0].fileinfo.sha256 == \"$want\"" "$f"
check "bodies: a 206 piece: its range, no hash (not the whole file)" \
	"($(files) | map(select(.fileinfo.filename == \"/big.iso\"))[0].fileinfo | .size == 100 and (has(\"sha256\") | not) and .content_range == {\"start\":100,\"end\":199,\"size\":1000}) and ($(http)[12].content_range == {\"raw\":\"bytes 100-199/1000\",\"start\":100,\"end\":199,\"size\":1000})" "$f"
check "bodies: the body until close ends with the connection" \
	"$(files) | map(select(.fileinfo.filename == \"/close\"))[0].fileinfo.size == 34" "$f"
# downloads against tshark's exported objects (its own dechunking and zlib decoding)
mkdir "$WORK/objects"
tshark -r "$P/http-bodies.pcap" --export-objects "http,$WORK/objects" >/dev/null 2>&1
(cd "$WORK/objects" && sha256sum -- * | cut -c1-64 | sort -u) >"$WORK/tshark.sha"
jq -r 'select(.event_type == "fileinfo" and .fileinfo.direction == "to_client" and .fileinfo.sha256) | .fileinfo.sha256' "$f" |
	sort -u >"$WORK/kagami.sha"
[ "$(wc -l <"$WORK/kagami.sha")" -eq 11 ] || { echo "FAIL: bodies: 11 hashed downloads expected"; status=1; }
if [ -n "$(comm -23 "$WORK/kagami.sha" "$WORK/tshark.sha")" ]; then
	echo "FAIL: bodies: download hashes tshark's exported objects do not have:"
	comm -23 "$WORK/kagami.sha" "$WORK/tshark.sha"
	status=1
fi

# ---------------------------------------------------------------- cut at every byte, reordered
strip='select(.event_type == "http" or .event_type == "fileinfo") | del(.timestamp, .flow_id, .community_id, .src_port, .dest_port, .src_geo, .dest_geo)'
jq -c "$strip" "$f" >"$WORK/bodies.cmp"
for v in bytewise reorder; do
	g=$(ev "$P/http-$v.pcap")
	jq -c "$strip" "$g" >"$WORK/$v.cmp"
	if ! cmp -s "$WORK/bodies.cmp" "$WORK/$v.cmp"; then
		echo "FAIL: http-$v: http and fileinfo events differ from http-bodies:"
		diff "$WORK/bodies.cmp" "$WORK/$v.cmp" | head -10
		status=1
	fi
done

# the inspection views (every buffer's bytes at every progress point) do not depend on the cuts either
"$INSPECT_VIEWS" "$P/http-bodies.pcap" | jq -c 'del(.flow)' >"$WORK/views-bodies"
for v in bytewise reorder; do
	"$INSPECT_VIEWS" "$P/http-$v.pcap" | jq -c 'del(.flow)' >"$WORK/views-$v"
	cmp -s "$WORK/views-bodies" "$WORK/views-$v" ||
		{ echo "FAIL: http-$v: inspection views differ from http-bodies"; diff "$WORK/views-bodies" "$WORK/views-$v" | head -4; status=1; }
done
[ "$(wc -l <"$WORK/views-bodies")" -eq 60 ] || { echo "FAIL: bodies: 60 views (15 transactions x 4) expected"; status=1; }

# ---------------------------------------------------------------- pipelining, 100-continue, 0.9, tunnels
f=$(ev "$P/http-pipeline.pcap")
check "pipeline: five pipelined requests paired with their answers in order" \
	"$(http) | map(select(.url | tostring | test(\"^/p[0-9]\"))) | map([.url, .status]) == [[\"/p0\",200],[\"/p1\",404],[\"/p2\",200],[\"/p3\",301],[\"/p4\",200]]" "$f"
check "pipeline: the 301's Location is the redirect" "$(http) | map(select(.url == \"/p3\"))[0].redirect == \"/new\"" "$f"
check "pipeline: 100-continue: one transaction, final status 200, its body" \
	"$(http) | map(select(.url == \"/expect\")) | length == 1 and .[0].status == 200 and .[0].request_body_length == 11" "$f"
check "pipeline: HTTP/0.9 request, the answer until close as its file" \
	"($(http) | map(select(.url == \"/old.html\"))[0] | .protocol == \"HTTP/0.9\" and (has(\"status\") | not) and .response_body_length == 57) and ($(files) | any(.fileinfo.filename == \"/old.html\" and .fileinfo.size == 57))" "$f"
check "pipeline: CONNECT answered 200, then the TLS session inside it is seen as TLS" \
	"($(http) | map(select(.http_method == \"CONNECT\" and .status == 200))[0].hostname == \"secure.example\") and ([.[] | select(.event_type == \"tls\")] | length == 1 and .[0].tls.sni == \"secure.example\" and .[0].dest_port == 3128)" "$f"
check "pipeline: a refused CONNECT (407): the connection goes on as HTTP, absolute URI host" \
	"$(http) | map(select(.hostname == \"plain.example\"))[0] | .url == \"http://plain.example/after\" and .status == 200" "$f"
check "pipeline: WebSocket upgrade 101, frames after it are not parsed as HTTP" \
	"($(http) | map(select(.url == \"/chat\"))[0].status == 101) and ($(http) | map(select(.url == \"/not-a-request\")) | length == 0)" "$f"
check "pipeline: an answer whose request was not captured is reported as such, the next pairs" \
	"$(http) | map(select(.request_seen == false)) | length == 1 and .[0].status == 200" "$f"
"$KAGAMI" -r "$P/http-pipeline.pcap" --stats-interval 0 -w - | "$KAGAMI_CAT" -t stats >"$WORK/pipe.stats"
check "pipeline: two re-probes (CONNECT 200, 101), flows app_proto tls for the tunnel, http for the rest" \
	'.[-1].stats.app_layer | .reprobes == 2 and .http.tunnels == 2' "$WORK/pipe.stats"
"$KAGAMI" -r "$P/http-pipeline.pcap" --stats-interval 0 --no-stats -w - | "$KAGAMI_CAT" >"$WORK/pipe.flows"
check "pipeline: flow app_proto: tls for the CONNECT tunnel, http for the others (WebSocket too)" \
	'[.[] | select(.event_type == "flow") | .app_proto] | sort == ["http","http","http","http","http","tls"]' "$WORK/pipe.flows"

# ---------------------------------------------------------------- smuggling traps
f=$(ev "$P/http-smuggling.pcap")
an() { echo "($(http) | map(select(.url == \"$1\"))[0].anomalies // [] | index(\"$2\") != null)"; }
seen() { echo "($(http) | map(select(.url == \"$1\")) | length == 1)"; }
check "smuggling: CL+TE: chunked wins, the GET after the empty chunk is a request" \
	"$(an /cl-te request_smuggling) and $(seen /smuggled-cl-te)" "$f"
check "smuggling: folded Transfer-Encoding unfolded (RFC 9112 5.2), the GET after it is a request" \
	"$(an /fold request_obsolete_line_folding) and $(seen /smuggled-fold)" "$f"
check "smuggling: Content-Length -1: invalid, read on from the next request line" \
	"$(an /negative invalid_content_length_field_in_request) and $(seen /smuggled-negative)" "$f"
check "smuggling: Content-Length 2^64: invalid, read on from the next request line" \
	"$(an /huge invalid_content_length_field_in_request) and $(seen /smuggled-huge)" "$f"
check "smuggling: leading zeros read in decimal (12 bytes of body)" \
	"$(an /zeros content_length_leading_zeros) and $(seen /after-zeros) and ($(http) | map(select(.url == \"/zeros\"))[0].request_body_length == 12)" "$f"
check "smuggling: chunk size 2^64: invalid chunk length" "$(an /chunk-overflow invalid_request_chunk_len)" "$f"
check "smuggling: chunked not the last coding" "$(an /te-order invalid_transfer_encoding_value_in_request)" "$f"
check "smuggling: two Hosts disagreeing with the URI's host" \
	"$(an http://uri.example/x host_header_ambiguous) and ($(http) | map(select(.url == \"http://uri.example/x\"))[0].hostname == \"uri.example\")" "$f"
check "smuggling: HTTP/1.1 without Host" "$(an /nohost missing_host_header)" "$f"
check "smuggling: two different Content-Lengths" "$(an /two-lengths request_smuggling)" "$f"
# the app-layer events (what app-layer-event rules see), per packet
"$INSPECT_VIEWS" -e "$P/http-smuggling.pcap" >"$WORK/anom.json"
check "smuggling: app-layer events raised: two request_smuggling (CL+TE, two lengths), folding, two bad lengths, chunk, TE, Host" \
	'map(.event) | (map(select(. == "http.request_smuggling")) | length == 2) and (map(select(. == "http.request_obsolete_line_folding")) | length == 1) and (map(select(. == "http.invalid_content_length_field_in_request")) | length == 2) and index("http.invalid_request_chunk_len") != null and index("http.invalid_transfer_encoding_value_in_request") != null and index("http.host_header_ambiguous") != null and index("http.missing_host_header") != null and index("http.content_length_leading_zeros") != null' "$WORK/anom.json"

# ---------------------------------------------------------------- gaps
f=$(ev "$P/http-gaps.pcap")
check "gaps: a hole in a body of known length is stepped over: file closed with gaps, no hash, next request fine" \
	"($(files) | map(select(.fileinfo.filename == \"/hole.bin\"))[0].fileinfo | .gaps and .state == \"CLOSED\" and .size == 2000 and (has(\"sha256\") | not)) and ($(http) | map(select(.url == \"/after-hole\"))[0].status == 200)" "$f"
check "gaps: a hole in a chunked body cuts that answer (file truncated); the next transaction is found" \
	"($(files) | map(select(.fileinfo.filename == \"/chunked-hole\"))[0].fileinfo.state == \"TRUNCATED\") and ($(http) | map(select(.url == \"/chunked-hole\"))[0].truncated == [\"response\"]) and ($(http) | map(select(.url == \"/after-chunked-hole\"))[0].status == 200)" "$f"
check "gaps: a hole in a request head cuts that request; the next request is found" \
	"($(http) | map(select(.url == \"/head-hole\"))[0].truncated == [\"request\"]) and ($(http) | map(select(.url == \"/after-head-hole\"))[0].status == 200)" "$f"
check "gaps: a lost answer: the three requests are reported" \
	"$(http) | map(select(.url == \"/one\" or .url == \"/two\" or .url == \"/three\")) | length == 3" "$f"
"$KAGAMI" -r "$P/http-gaps.pcap" --stats-interval 0 -w - | "$KAGAMI_CAT" -t stats >"$WORK/gaps.stats"
check "gaps: counted (stepped over in a body; resynchronised elsewhere)" \
	'.[-1].stats.app_layer.http | .gaps_in_body >= 1 and .gaps_resync >= 3' "$WORK/gaps.stats"

# ---------------------------------------------------------------- every inspection buffer, exactly
"$INSPECT_VIEWS" "$P/http-buffers.pcap" >"$WORK/views.json" || { echo "FAIL: inspect-views"; status=1; }
b() { echo "(.[-1].bufs | map(select(.name == \"$1\" and .dir == \"$2\")) | length == 1 and .[0].data == \"$3\")"; }
check "buffers: request line, URI normalised (libhtp IDS: dot segments, %-decoding; query decoded) and raw" \
	"$(b http.uri ts '/a/c/A../d e?q=AB+c&x=/#frag') and $(b http.uri.raw ts '/a/b/../c/%41%2e%2e/d%20e?q=%41%42+c&x=%2F#frag') and $(b http.method ts POST) and $(b http.protocol ts HTTP/1.1) and $(b http.request_line ts 'POST /a/b/../c/%41%2e%2e/d%20e?q=%41%42+c&x=%2F#frag HTTP/1.1')" "$WORK/views.json"
check "buffers: host lower-cased without port or trailing dot; raw host as sent" \
	"$(b http.host ts www.buffers.example) and $(b http.host.raw ts WWW.Buffers.Example.:8080)" "$WORK/views.json"
check "buffers: request header values" \
	"$(b http.user_agent ts 'Mozilla/5.0 (kagami buffers)') and $(b http.accept ts 'text/html, */*;q=0.1') and $(b http.accept_enc ts 'gzip, br') and $(b http.accept_lang ts 'ja, en;q=0.5') and $(b http.referer ts http://ref.example/start) and $(b http.cookie ts session=abc123) and $(b http.connection ts keep-alive) and $(b http.content_type ts text/plain) and $(b http.content_len ts 12)" "$WORK/views.json"
hdr='Host: WWW.Buffers.Example.:8080\r\nUser-Agent: Mozilla/5.0 (kagami buffers)\r\nAccept: text/html, */*;q=0.1\r\nAccept-Encoding: gzip, br\r\nAccept-Language: ja, en;q=0.5\r\nReferer: http://ref.example/start\r\n'
rest='Connection: keep-alive\r\nX-Forwarded-For: 203.0.113.9, 198.51.100.250\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n'
check "buffers: http.header (no Cookie), http.header.raw (no Cookie, the empty line), header names, http.start (with Cookie)" \
	"$(b http.header ts "$hdr$rest") and $(b http.header.raw ts "$hdr$rest\\r\\n") and $(b http.header_names ts '\r\nHost\r\nUser-Agent\r\nAccept\r\nAccept-Encoding\r\nAccept-Language\r\nReferer\r\nCookie\r\nConnection\r\nX-Forwarded-For\r\nContent-Type\r\nContent-Length\r\n\r\n') and $(b http.start ts "POST /a/b/../c/%41%2e%2e/d%20e?q=%41%42+c&x=%2F#frag HTTP/1.1\\r\\n$hdr""Cookie: session=abc123\\r\\n$rest\\r\\n")" "$WORK/views.json"
check "buffers: request body" "$(b http.request_body ts 'request body')" "$WORK/views.json"
rh='Server: nginx/1.25.0\r\nLocation: https://login.example/\r\n'
rr='Connection: keep-alive\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 13\r\n'
check "buffers: response line, code, message, header values" \
	"$(b http.response_line tc 'HTTP/1.1 302 Found here') and $(b http.stat_code tc 302) and $(b http.stat_msg tc 'Found here') and $(b http.protocol tc HTTP/1.1) and $(b http.server tc nginx/1.25.0) and $(b http.location tc https://login.example/) and $(b http.cookie tc 'id=42; HttpOnly') and $(b http.connection tc keep-alive) and $(b http.content_type tc 'text/html; charset=utf-8') and $(b http.content_len tc 13)" "$WORK/views.json"
check "buffers: response headers (no Set-Cookie), raw, names, start" \
	"$(b http.header tc "$rh$rr") and $(b http.header.raw tc "$rh$rr\\r\\n") and $(b http.header_names tc '\r\nServer\r\nLocation\r\nSet-Cookie\r\nConnection\r\nContent-Type\r\nContent-Length\r\n\r\n') and $(b http.start tc "HTTP/1.1 302 Found here\\r\\n$rh""Set-Cookie: id=42; HttpOnly\\r\\n$rr\\r\\n")" "$WORK/views.json"
check "buffers: response body and file.data" \
	"$(b http.response_body tc 'response body') and $(b file.data tc 'response body')" "$WORK/views.json"
check "buffers: the four progress points in order, each view holding what the transaction has" \
	'map([.ready, .newly, (.bufs | length)]) == [[1,1,20],[3,2,21],[7,4,35],[15,8,37]]' "$WORK/views.json"
f=$(ev "$P/http-buffers.pcap")
check "buffers: EVE fields: hostname, http_port, xff (the last address), http_refer, redirect, content type, status, length" \
	"$(http)[0] | .hostname == \"www.buffers.example\" and .http_port == 8080 and .xff == \"198.51.100.250\" and .http_refer == \"http://ref.example/start\" and .redirect == \"https://login.example/\" and .http_content_type == \"text/html\" and .status == 302 and .length == 13 and .http_method == \"POST\"" "$f"
# file.data of uploads: each file its own buffer
"$INSPECT_VIEWS" "$P/http-bodies.pcap" >"$WORK/bviews.json"
check "buffers: file.data to server: the PUT body, and each multipart file" \
	'(map(select(.tx == 10 and .newly == 2))[0].bufs | map(select(.name == "file.data")) | map(.len) == [76]) and (map(select(.tx == 11 and .newly == 2))[0].bufs | map(select(.name == "file.data")) | map(.data) == ["MZ\u0090\u0000\u0003\u0000\u0000\u0000\u0004\u0000\u0000\u0000\u00ff\u00ffThis program\r\n--", "plain notes, two lines\nsecond line\n"])' "$WORK/bviews.json"
check "buffers: file.data to client is the decoded body (gzip)" \
	'map(select(.tx == 2 and .newly == 8))[0].bufs | map(select(.name == "file.data"))[0].len == 2247' "$WORK/bviews.json"
# the exactly-once contract on every generated HTTP capture (jq has no bitwise and: bits by division)
once='def bit($b): (. / pow(2; $b) | floor) % 2;
	map(select(.app == "http")) | group_by([.flow, .tx]) | all(
		. as $v |
		all(range(4); . as $b | ($v | map(.newly | bit($b)) | add) == 1) and
		all($v[]; .newly as $n | .ready as $r | all(range(4); . as $b | ($n | bit($b)) <= ($r | bit($b)))) and
		($v | map(.ready) | . == sort) and $v[-1].ready == 15)'
for c in bodies bytewise reorder pipeline smuggling gaps buffers caps killswitch; do
	"$INSPECT_VIEWS" "$P/http-$c.pcap" >"$WORK/v-$c.json"
	check "exactly once ($c): each progress bit newly set once per transaction, newly within ready, ready only grows, all four bits at the end" \
		"$once" "$WORK/v-$c.json"
done

# the signature engine reads these buffers: each rule below fires once, the Cookie rule never
# (http.header leaves the Cookie line out)
cat >"$WORK/h.rules" <<'EOF'
alert http any any -> any any (msg:"uri"; flow:established,to_server; http.uri; content:"/a/c/A../d e"; sid:1; rev:1;)
alert http any any -> any any (msg:"host"; http.host; content:"www.buffers.example"; endswith; sid:2; rev:1;)
alert http any any -> any any (msg:"ua"; http.user_agent; content:"kagami buffers"; sid:3; rev:1;)
alert http any any -> any any (msg:"stat"; http.stat_code; content:"302"; sid:4; rev:1;)
alert http any any -> any any (msg:"gzip"; flow:to_client; file_data; content:"Line 20 of gzip page"; sid:5; rev:1;)
alert http any any -> any any (msg:"upload"; flow:to_server; file.data; content:"This program"; sid:6; rev:1;)
alert http any any -> any any (msg:"cookie"; http.cookie; content:"session=abc123"; sid:7; rev:1;)
alert http any any -> any any (msg:"no cookie in http.header"; http.header; content:"Cookie"; sid:8; rev:1;)
alert http any any -> any any (msg:"legacy"; content:"/a/c/A.."; http_uri; sid:9; rev:1;)
alert http any any -> any any (msg:"body"; http.response_body; content:"response body"; sid:10; rev:1;)
alert http any any -> any any (msg:"urilen"; urilen:28; sid:11; rev:1;)
alert http any any -> any any (msg:"both sides"; http.method; content:"POST"; http.stat_code; content:"302"; sid:12; rev:1;)
EOF
"$KAGAMI" -r "$P/http-buffers.pcap" -r "$P/http-bodies.pcap" --rules "$WORK/h.rules" --no-flows --no-stats -w - | "$KAGAMI_CAT" >"$WORK/h.json"
check "rules: every HTTP buffer rule fires once, the one looking for Cookie in http.header never" \
	'[.[] | select(.event_type == "alert") | .alert.signature_id] | sort == [1,2,3,4,5,6,7,9,10,11,12]' "$WORK/h.json"

# ---------------------------------------------------------------- caps and options
f=$(ev "$P/http-caps.pcap")
"$KAGAMI" -r "$P/http-caps.pcap" --stats-interval 0 -w - | "$KAGAMI_CAT" -t stats >"$WORK/caps.stats"
check "caps: header fields, header bytes, body limit and open transactions counted" \
	'.[-1].stats.app_layer.http | .header_fields_capped == 1 and .header_bytes_capped == 1 and .response_bodies_limited == 1 and .open_tx_evicted == 44 and .parsers_recycled == 1' "$WORK/caps.stats"
check "caps: 300 unanswered pipelined requests all reported, the 44 oldest finished early" \
	"$(http) | map(select(.url | tostring | test(\"^/q[0-9]\"))) | length == 300 and (map(select(.evicted)) | length == 44) and (map(select(.evicted))[-1].url == \"/q43\")" "$f"
check "caps: 1200 transactions on one connection: all reported, paired (404 every third) before and after the parser is replaced" \
	"($(http) | map(select(.url | tostring | test(\"^/t[0-9]\"))) | length == 1200 and all((.url[2:] | tonumber) as \$k | .status == (if \$k % 3 == 0 then 404 else 204 end))) and ([.[] | select(.event_type == \"http\" and .dest_port == 80 and .src_port == 50602) | .tx_id] == [range(1200)])" "$f"
check "caps: the 110 KiB download is hashed whole past the body limit" \
	"$(files) | map(select(.fileinfo.filename == \"/large.bin\"))[0].fileinfo | .size == 112640 and (.sha256 | length == 64)" "$f"
"$INSPECT_VIEWS" "$P/http-caps.pcap" >"$WORK/cviews.json"
check "caps: the response body buffer stops at the 100 KiB limit" \
	'map(select(.newly == 8) | .bufs[] | select(.name == "http.response_body" and .len > 0) | .len) | index(102400) != null' "$WORK/cviews.json"
events "$P/http-bodies.pcap" --no-flows --http-body-limit 1K --http-headers both >"$WORK/opt.json"
check "--http-headers both: request and response header lists" \
	"$(http)[0] | (.request_headers | map(.name) == [\"Host\", \"User-Agent\"]) and (.response_headers | map(.name) == [\"Server\", \"Content-Type\", \"Content-Length\"]) and .response_headers[2].value == \"22\"" "$WORK/opt.json"
events "$P/http-bodies.pcap" --no-flows >"$WORK/opt.json.none"
check "no --http-headers: no header lists" "$(http) | all((has(\"request_headers\") or has(\"response_headers\")) | not)" "$WORK/opt.json.none"
jq -c 'select(.event_type == "fileinfo") | [.fileinfo.filename, .fileinfo.size, .fileinfo.sha256]' "$WORK/opt.json" >"$WORK/lim.files"
jq -c 'select(.event_type == "fileinfo") | [.fileinfo.filename, .fileinfo.size, .fileinfo.sha256]' "$WORK/opt.json.none" >"$WORK/def.files"
cmp -s "$WORK/lim.files" "$WORK/def.files" || { echo "FAIL: --http-body-limit 1K changed the files' sizes or hashes"; status=1; }
"$KAGAMI" -r "$P/http-bodies.pcap" --http-body-limit 1K --stats-interval 0 -w - | "$KAGAMI_CAT" -t stats >"$WORK/lim.stats"
check "--http-body-limit 1K: the bodies longer than 1 KiB are counted as limited" \
	'.[-1].stats.app_layer.http.response_bodies_limited == 2' "$WORK/lim.stats"
if "$KAGAMI" -r "$P/http-bodies.pcap" --http-headers some -w /dev/null 2>"$WORK/err"; then
	echo "FAIL: --http-headers some accepted"
	status=1
fi
grep -q "http-headers must be none, request, response or both, not 'some'" "$WORK/err" ||
	{ echo "FAIL: --http-headers message: $(cat "$WORK/err")"; status=1; }
if "$KAGAMI" -r "$P/http-bodies.pcap" --http-body-limit 1G -w /dev/null 2>"$WORK/err"; then
	echo "FAIL: --http-body-limit 1G accepted"
	status=1
fi
grep -q "http-body-limit must be at most 64M" "$WORK/err" || { echo "FAIL: --http-body-limit message: $(cat "$WORK/err")"; status=1; }
exit $status
