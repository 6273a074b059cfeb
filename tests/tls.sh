#!/bin/sh
# tests/tls.sh - the TLS dissector and every Heartbleed detection, on the real captures (when
# ../shared is there) and on the generated ones: each alert kind is asserted on a capture that
# must fire it, with its evidence, and absent from the benign captures. Removing a detection
# fails this test.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
need jq
scratch
P="$top_srcdir/pcaps"
status=0
verdict() { echo "[.[] | select(.event_type == \"heartbleed\") | .heartbleed][0]"; }

# --- generated captures
f=$(ev "$P/tls-hb-clear-vulnerable.pcap")
check "clear vulnerable: overflow (9001001) with the claimed length" \
	'[.[] | select(.alert.signature_id == 9001001)][0].heartbleed | .payload_length == 16384 and .record_length == 3 and .overread_bytes == 16384 and .encrypted == false' "$f"
check "clear vulnerable: success (9001002), leak = 16384, attacker/victim named" \
	"$(verdict) | .verdict == \"success\" and .leaked_bytes == 16384 and .attacker == \"198.51.100.7\" and .victim == \"10.0.0.80\"" "$f"
check "clear vulnerable: success alert from the server with its leak" \
	'[.[] | select(.alert.signature_id == 9001002)][0] | .src_ip == "10.0.0.80" and .heartbleed.leaked_bytes == 16384' "$f"
f=$(ev "$P/tls-hb-clear-patched.pcap")
check "clear patched: overflow + attempt (9001012), never success" \
	"$(sids) | (index(9001001) != null) and (index(9001012) != null) and (index(9001002) == null)" "$f"
check "clear patched: verdict attempt" "$(verdict) | .verdict == \"attempt\"" "$f"
f=$(ev "$P/tls-hb-encrypted-success.pcap")
check "encrypted success: odd length (9001003) with the cipher minimum 48" \
	'[.[] | select(.alert.signature_id == 9001003)][0].heartbleed | .record_length == 32 and .minimum_length == 48 and .encrypted == true and .cipher == "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"' "$f"
check "encrypted success: before app data (9001005), success (9001002)" \
	"$(sids) | (index(9001005) != null) and (index(9001002) != null)" "$f"
check "encrypted success: leak estimated from lengths, found on port 9443" \
	"$(verdict) | .verdict == \"success\" and .leaked_bytes > 32000 and .leaked_bytes_estimated == true" "$f"
check "encrypted success: TLS recognised by content on port 9443" \
	'[.[] | select(.event_type == "tls")][0] | .dest_port == 9443 and .app_proto == "tls"' "$f"
f=$(ev "$P/tls-hb-encrypted-noreply.pcap")
check "encrypted no reply: many requests (9001008), request in flight (9001010), attempt" \
	"$(sids) | (index(9001008) != null) and (index(9001010) != null) and (index(9001012) != null) and (index(9001002) == null)" "$f"
check "encrypted no reply: one alert per kind, the rest counted" \
	"($(sids) | length) == 5 and ($(verdict) | .counts.odd_length == 5 and .requests_to_server == 5)" "$f"
f=$(ev "$P/tls-hb-not-negotiated.pcap")
check "not negotiated (9001007)" "$(sids) | index(9001007) != null" "$f"
f=$(ev "$P/tls-hb-anomalies.pcap")
check "cleartext request = scan (9001006), invalid type (9001009), unsolicited (9001011)" \
	"$(sids) | (index(9001006) != null) and (index(9001009) != null) and (index(9001011) != null)" "$f"
check "anomalies: invalid type reported" '[.[] | select(.alert.signature_id == 9001009)][0].heartbleed.heartbeat_type == 7' "$f"
f=$(ev "$P/tls-hb-benign.pcap")
check "benign heartbeats: no alert, verdict benign" "($(sids) | length) == 0 and ($(verdict) | .verdict == \"benign\")" "$f"
f=$(ev "$P/tls-13.pcap")
check "TLS 1.3: version, SNI, ALPN, JA3 without GREASE" \
	'[.[] | select(.event_type == "tls")][0].tls | .version == "TLS 1.3" and .sni == "www.example.net" and .client_alpns == ["h2"] and (.ja3.string | test("2570|10794|6682") | not)' "$f"
check "TLS 1.3: no alert" "$(sids) | length == 0" "$f"

# --- real captures
shared=$(shared_dir)
if [ -n "$shared" ]; then
	f=$(ev "$shared/heartbleed-success.pcap")
	check "real success: overflow + success, nothing leaked beyond the record" \
		"($(sids) | (index(9001001) != null) and (index(9001002) != null)) and ($(verdict) | .verdict == \"success\" and .leaked_bytes == 0 and .attacker == \"173.203.79.216\" and .victim == \"107.170.241.107\")" "$f"
	check "real success: JA3/JA3S" \
		'[.[] | select(.event_type == "tls")][0].tls | .ja3.hash == "0fbff214b79f536d55d3d39fb31f4d8d" and .ja3s.hash == "a95ca7eab4d47d051a5cd4fb7b6005dc" and .heartbeat.accepted == true' "$f"
	f=$(ev "$shared/heartbleed-attempt-patched-noreply.pcap")
	check "real patched: attempt, not success" \
		"($(sids) | (index(9001001) != null) and (index(9001002) == null)) and ($(verdict) | .verdict == \"attempt\")" "$f"
	f=$(ev "$shared/heartbleed-encrypted-success.pcap")
	check "real encrypted success: odd length, early, success, leak >= 49125" \
		"($(sids) | (index(9001003) != null) and (index(9001005) != null) and (index(9001002) != null)) and ($(verdict) | .leaked_bytes >= 49125)" "$f"
	f=$(ev "$shared/heartbleed-encrypted-attempt-noreply.pcap")
	check "real encrypted no reply: not negotiated, attempt, no success" \
		"($(sids) | (index(9001007) != null) and (index(9001012) != null) and (index(9001002) == null)) and ($(verdict) | .verdict == \"attempt\")" "$f"
	check "real encrypted no reply: SNI and JA3" \
		'[.[] | select(.event_type == "tls")][0].tls | .sni == "www.lilawelt.net" and .ja3.hash == "20c9baf81bfe96ff89722899e75d0190"' "$f"
	f=$(ev "$shared/heartbleed-encrypted-short-port4443.pcap")
	check "real port 4443: found by content, odd length, success with a small leak" \
		"($(sids) | (index(9001003) != null) and (index(9001002) != null)) and ($(verdict) | .leaked_bytes <= 8) and ([.[] | select(.event_type == \"tls\")][0].dest_port == 4443)" "$f"
	for b in benign-tls12-heartbeat-ext-negotiated benign-tls13-chrome benign-tls12-ipv6 benign-tls-pppoe-qinq-vlan; do
		f=$(ev "$shared/$b.pcap")
		check "$b: no Heartbleed alert, a tls event" \
			"([.[] | select(.event_type == \"alert\" and .alert.signature_id >= 9001000 and .alert.signature_id < 9002000)] | length == 0) and ([.[] | select(.event_type == \"tls\")] | length == 1)" "$f"
	done
	f="$WORK/benign-tls13-chrome.pcap.json"
	check "chrome TLS 1.3: JA3 as tshark computes it" \
		'[.[] | select(.event_type == "tls")][0].tls | .ja3.hash == "9d33d8206d4fec4c8b1423c728f4cd3c" and .ja3s.hash == "eb1d94daa7e0344597e756a1fb6e7054" and .version == "TLS 1.3"' "$f"
else
	echo "note: ../shared not found; real captures not checked"
fi
[ $status = 0 ] && echo "tls: all checks passed"
exit $status
