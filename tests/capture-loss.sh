#!/bin/sh
# tests/capture-loss.sh - the capture-loss estimate works as Zeek's does: an "ack event" is an ACK
# that acknowledges new sequence space of the other direction (duplicate ACKs, window updates and
# the handshake do not count); a "gap event" is such an ACK covering bytes the sensor never saw.
# Checked against tshark's own view of the same captures, and with a data segment cut out.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
need jq
need tshark
need editcap
scratch
P="$top_srcdir/pcaps"

loss() { # capture -> "acks ack_gaps unseen_bytes percent"
	"$KAGAMI" -r "$1" --no-flows -w - | "$KAGAMI_CAT" -t stats | tail -n 1 |
		jq -r '.stats.capture_loss | "\(.acks) \(.ack_gaps) \(.unseen_bytes) \(.percent)"'
}

# ACKs that acknowledge new data, counted from tshark's relative sequence numbers: per TCP
# conversation and direction, the first data byte is 1 after a SYN (0 when picked up mid-stream),
# and an ACK counts when it is above everything acknowledged before and the other direction has
# been seen.
tshark_acks() {
	tshark -r "$1" -Y tcp -T fields -E separator=' ' -e tcp.stream -e tcp.srcport -e tcp.flags.syn \
		-e tcp.flags.ack -e tcp.flags.reset -e tcp.seq -e tcp.ack 2>/dev/null |
		awk '{ me = $1 "/" $2
		       if (!($5 == "1" || $5 == "True")) {
		           if (!(me in hi)) hi[me] = $6 + (($3 == "1" || $3 == "True") ? 1 : 0)
		       }
		       if (($4 == "1" || $4 == "True") && !($5 == "1" || $5 == "True")) {
		           for (k in hi) if (k != me && index(k, $1 "/") == 1) other = k
		           if (other != "" && $7 > hi[other]) { n++; hi[other] = $7 }
		           other = ""
		       } }
		     END { print n + 0 }'
}

for c in core-tcp-basic core-tcp-reorder core-tcp-midstream core-vlan core-ipv6; do
	set -- $(loss "$P/$c.pcap")
	want=$(tshark_acks "$P/$c.pcap")
	[ "$1" = "$want" ] || fail "$c: kagami counts $1 ack events, tshark's view gives $want"
done

# core-tcp-basic: 14 ACKs acknowledge new data; nothing is missing
set -- $(loss "$P/core-tcp-basic.pcap")
[ "$1 $2 $3" = "14 0 0" ] || fail "core-tcp-basic: capture loss '$*', expected 14 acks, no gaps"
# cut frame 8 (1460 bytes from the server): the client's ACK of 2921 covers bytes never seen
editcap "$P/core-tcp-basic.pcap" "$WORK/cut.pcap" 8 >/dev/null 2>&1 || fail "editcap"
set -- $(loss "$WORK/cut.pcap")
[ "$1 $2 $3" = "14 1 1460" ] || fail "one lost segment: capture loss '$*', expected '14 1 1460'"
pct=$(echo "$4" | awk '{ printf "%.4f", $1 }')
[ "$pct" = "7.1429" ] || fail "percent $4, expected 100 * 1 / 14"
# per flow: the bytes acknowledged but never seen, in the server-to-client direction
"$KAGAMI" -r "$WORK/cut.pcap" --no-stats -w - | "$KAGAMI_CAT" -t flow |
	jq -r 'select(.src_port == 40001) | "\(.tcp.ack_unseen_bytes_toserver) \(.tcp.ack_unseen_bytes_toclient)"' \
	>"$WORK/flow"
[ "$(cat "$WORK/flow")" = "0 1460" ] || fail "flow ack_unseen_bytes: $(cat "$WORK/flow"), expected '0 1460'"
echo "capture loss: ack and gap events as Zeek counts them"
