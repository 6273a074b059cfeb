# tests/lib/netns.sh - two network namespaces joined by a veth pair, for live-capture tests and
# tools/bench-live (sourced; root only). Nothing is created in the host's namespace: both veth
# ends are made inside their namespaces, with IPv6 off and no address, so the only frames on the
# link are the ones tcpreplay sends. netns_down removes both namespaces (and the pair with them).
#   NS_TX/IF_TX: the sending side (tcpreplay), NS_RX/IF_RX: the capturing side (kagami).

netns_up() {
	NS_TX=kgtx$$
	NS_RX=kgrx$$
	IF_TX=kgt$$
	IF_RX=kgr$$
	ip netns add "$NS_TX" || return 1
	ip netns add "$NS_RX" || return 1
	for ns in "$NS_TX" "$NS_RX"; do
		# no IPv6 on new interfaces: no router solicitations, no DAD, no MLD on the link
		ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
			>/dev/null || return 1
	done
	ip -n "$NS_TX" link add "$IF_TX" type veth peer name "$IF_RX" netns "$NS_RX" || return 1
	ip -n "$NS_TX" link set "$IF_TX" mtu 65535 up || return 1
	ip -n "$NS_RX" link set "$IF_RX" mtu 65535 up || return 1
	# wait for carrier on both ends
	i=0
	while [ $i -lt 50 ]; do
		ip -n "$NS_RX" link show "$IF_RX" | grep -q 'state UP' && ip -n "$NS_TX" link show "$IF_TX" | grep -q 'state UP' &&
			return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

netns_down() {
	[ -n "${NS_TX:-}" ] && ip netns del "$NS_TX" 2>/dev/null
	[ -n "${NS_RX:-}" ] && ip netns del "$NS_RX" 2>/dev/null
	return 0
}

# replay PPS FILE...: send the captures, one after the other, from the sending side
replay() {
	pps=$1
	shift
	ip netns exec "$NS_TX" tcpreplay -q -i "$IF_TX" --pps "$pps" "$@"
}

# Ethernet pcap files only (tcpreplay sends frames as they are): link type 1 in the header
is_ether_pcap() {
	magic=$(od -An -tx4 -N4 "$1" | tr -d ' ')
	[ "$magic" = a1b2c3d4 ] || [ "$magic" = a1b23c4d ] || return 1
	[ "$(od -An -tu4 -j20 -N4 "$1" | tr -d ' ')" = 1 ]
}
