#!/bin/sh
# tests/hostile.sh - the caps hold under hostile traffic (small versions of tools/memtest's
# pcapgen hostile-* captures, generated into the scratch directory), and what they cut is counted:
#   - a fragment flood at the fragment memory cap: the oldest datagrams make room (frag_memcap),
#     so every complete datagram of the flood is still reassembled (far fragments holding 64 KiB
#     buffers used to pin the memory: 37 of 1250); at the datagram cap, frag_table_full;
#   - 4000 sessions of out-of-order, overlapping segments behind holes: the reassembly memcap
#     bounds the queues of the own reassembler and libnids' (libnids sessions handed over at the
#     cap), segment overhead included (one-byte segments used to hold 3.4 times the cap);
#   - TLS sessions sending records one byte per segment: the memcap bounds the buffers of
#     unconsumed bytes too, libnids' sessions' included (dropped as gaps past it; 100 sessions
#     holding 600 bytes each take 135 KB, not libnids' 4 KiB a direction), --stream-buffer
#     stops a parser that needs more, a record announcing 0xFFFF bytes is a parse error;
#   - SMB messages announcing 0xFFFFFF bytes are parsed from a prefix, never buffered;
#   - DNS pointer loops and chains are invalid messages, counted;
# and the stream memory charged is all given back when the flows end (0 in the final stats).
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
need jq
scratch
status=0
PCAPGEN_FRAG_DGRAMS=20000 "$PCAPGEN" -o "$WORK" hostile-frag || fail "pcapgen hostile-frag"
PCAPGEN_OOO_FLOWS=4000 "$PCAPGEN" -o "$WORK" hostile-ooo || fail "pcapgen hostile-ooo"
PCAPGEN_TLS_SESSIONS=200 PCAPGEN_TLS_BYTES=600 PCAPGEN_TLS_FULL=2 "$PCAPGEN" -o "$WORK" hostile-tls ||
	fail "pcapgen hostile-tls"
PCAPGEN_SMB_SESSIONS=800 "$PCAPGEN" -o "$WORK" hostile-smb || fail "pcapgen hostile-smb"
PCAPGEN_DNS_MSGS=3000 "$PCAPGEN" -o "$WORK" hostile-dns || fail "pcapgen hostile-dns"

# stats CAPTURE NAME [kagami args]: the final stats event into $WORK/NAME.json
stats() {
	cap=$1 name=$2
	shift 2
	"$KAGAMI" -r "$WORK/$cap.pcap" --no-flows --stats-interval 0 "$@" -w "$WORK/$name.mp" 2>"$WORK/$name.err" ||
		fail "kagami on $cap ($*): $(cat "$WORK/$name.err")"
	"$KAGAMI_CAT" -t stats "$WORK/$name.mp" | tail -n 1 >"$WORK/$name.json"
}
# expect NAME DESCRIPTION JQ (over the stats event)
expect() {
	if ! jq -e "$3" "$WORK/$1.json" >/dev/null; then
		echo "FAIL: $1: $2 ($(jq -c "${4:-.stats.tcp}" "$WORK/$1.json"))"
		status=1
	fi
}

# fragments: 20000 datagrams, of which 1250 complete (every 16th)
stats hostile-frag frag-mem --max-fragments-memory 1M
expect frag-mem "every complete datagram reassembled at the memory cap" '.stats.decoder.reassembled == 1250' .stats.decoder
expect frag-mem "evictions at the memory cap counted" '.stats.decoder.errors.frag_memcap > 0' .stats.decoder
expect frag-mem "fragment memory within its cap" '.stats.defrag.memory <= 1048576' .stats.defrag
expect frag-mem "overlaps and fragments past the per-datagram cap counted" \
	'.stats.decoder.errors.frag_overlap > 0 and .stats.decoder.errors.frag_bad > 0' .stats.decoder
stats hostile-frag frag-table --max-fragments-memory 64M
expect frag-table "evictions at the datagram cap counted" '.stats.decoder.errors.frag_table_full > 0' .stats.decoder
expect frag-table "at most 4096 datagrams pending" '.stats.defrag.pending <= 4096' .stats.defrag
expect frag-table "every complete datagram reassembled at the datagram cap" '.stats.decoder.reassembled == 1250' .stats.decoder

# out-of-order queues: 4000 sessions, half of them libnids'
stats hostile-ooo ooo-cap --reassembly-memcap 256K
expect ooo-cap "stream memory within the memcap (one segment of slack)" '.stats.tcp.reassembly_memory_peak <= 262144 + 2048'
expect ooo-cap "libnids sessions handed over at the memcap" '.stats.tcp.memcap_handovers > 0'
expect ooo-cap "out-of-order bytes refused at the memcap counted" '.stats.tcp.ooo_dropped_bytes > 0'
expect ooo-cap "every session followed" '.stats.flow.created == 4000 and .stats.tcp.sessions_nids == 2000' .stats.flow
expect ooo-cap "stream memory given back" '.stats.tcp.reassembly_memory == 0'
stats hostile-ooo ooo
expect ooo "below the memcap nothing is refused" '.stats.tcp.ooo_dropped_bytes == 0 and .stats.tcp.memcap_handovers == 0'
expect ooo "overlaps and retransmissions counted" '.stats.tcp.overlaps > 0 and .stats.tcp.retransmissions > 0'
expect ooo "stream memory given back" '.stats.tcp.reassembly_memory == 0'

# one-byte segments of long TLS records
stats hostile-tls tls-cap --reassembly-memcap 64K
expect tls-cap "unconsumed bytes past the memcap dropped as gaps, counted" '.stats.tcp.memcap_gaps > 0 and .stats.tcp.memcap_gap_bytes > 0'
expect tls-cap "buffers within the memcap" '.stats.tcp.reassembly_memory_peak <= 65536'
expect tls-cap "stream memory given back" '.stats.tcp.reassembly_memory == 0'
stats hostile-tls tls --stream-buffer 16K
expect tls "records announcing 0xFFFF bytes are parse errors" '.stats.app_layer.parse_errors >= 101' .stats.app_layer
expect tls "a record longer than --stream-buffer stops its parser" '.stats.app_layer.buffer_overflows == 1' .stats.app_layer
expect tls "below the memcap no buffer is dropped" '.stats.tcp.memcap_gaps == 0'
expect tls "libnids' sessions keep what the parser leaves in buffers sized to it" '.stats.tcp.reassembly_memory_peak < 200 * 2048'


# SMB lengths of 0xFFFFFF
stats hostile-smb smb
expect smb "every 0xFFFFFF message parsed from its prefix" '.stats.app_layer.smb.large_messages_prefix_parsed == 800' .stats.app_layer.smb
expect smb "nothing buffered past the messages' prefix" '.stats.tcp.reassembly_memory_peak < 800 * 8192'
expect smb "stream memory given back" '.stats.tcp.reassembly_memory == 0'

# DNS compression loops and chains, UDP and TCP
stats hostile-dns dns
expect dns "loops, chains past 255 bytes and pointers past the end are invalid messages" \
	'.stats.app_layer.dns.udp_invalid_messages >= 1500 and .stats.app_layer.dns.tcp_invalid_messages > 0' .stats.app_layer.dns
expect dns "the unanswered queries of the busy flow evicted, counted" '.stats.app_layer.dns.udp_pending_evicted > 0' .stats.app_layer.dns

[ $status = 0 ] && echo "hostile: caps held and counted on fragments, out-of-order queues, TLS, SMB and DNS"
exit $status
