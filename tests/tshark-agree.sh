#!/bin/sh
# tests/tshark-agree.sh - on every real capture in ../shared/pcaps/real, kagami's flow events
# agree with tshark: the same TCP conversations and the same payload bytes per direction
# (the sum of tcp.len, retransmissions included, as `tshark -z conv,tcp` counts frames).
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
need tshark
need jq
shared=$(shared_dir)
[ -n "$shared" ] || skip "../shared/pcaps/real not found"
scratch
# lines "a_ip a_port b_ip b_port bytes_a_to_b bytes_b_to_a" with (a,port) <= (b,port)
canon='{
	k1 = $1 " " $2; k2 = $3 " " $4
	if (k1 < k2) { key = k1 " " k2; ab[key] += $5 } else { key = k2 " " k1; ba[key] += $5 }
	seen[key] = 1
}
END { for (k in seen) printf "%s %d %d\n", k, ab[k], ba[k] }'
status=0
n=0
for p in "$shared"/*.pcap; do
	name=$(basename "$p" .pcap)
	# tshark: TCP segments not carried inside ICMP errors
	tshark -n -r "$p" -Y 'tcp && !icmp && !icmpv6' -T fields -E separator=' ' \
		-e ip.src -e ipv6.src -e tcp.srcport -e ip.dst -e ipv6.dst -e tcp.dstport -e tcp.len 2>/dev/null |
		awk 'NF == 5 { print $1, $2, $3, $4, $5 }' | awk "$canon" | sort >"$WORK/$name.tshark"
	"$KAGAMI" -r "$p" --no-stats -w - 2>/dev/null | "$KAGAMI_CAT" -t flow |
		jq -r 'select(.proto == "TCP") |
			"\(.src_ip) \(.src_port) \(.dest_ip) \(.dest_port) \(.flow.payload_bytes_toserver)",
			"\(.dest_ip) \(.dest_port) \(.src_ip) \(.src_port) \(.flow.payload_bytes_toclient)"' |
		awk "$canon" | sort >"$WORK/$name.kagami"
	n=$((n + 1))
	if ! cmp -s "$WORK/$name.tshark" "$WORK/$name.kagami"; then
		echo "FAIL: $name: conversations or payload bytes differ (< tshark, > kagami)"
		diff "$WORK/$name.tshark" "$WORK/$name.kagami" | head -20
		status=1
	else
		echo "ok: $name: $(wc -l <"$WORK/$name.kagami") TCP conversations agree"
	fi
done
echo "$n captures compared"
exit $status
