#!/bin/sh
# tools/deps.sh - install what kagami needs to build and test on Debian 12 (bookworm).
# Run as root, or as a user with sudo. Idempotent: installs only what is missing.
set -eu
PKGS="build-essential autoconf automake libtool pkg-config git ca-certificates
libpcap-dev libnids-dev libnet1-dev libglib2.0-dev libmaxminddb-dev libmsgpack-dev nettle-dev libpcre2-dev
tshark jq time bc clang libclang-rt-14-dev llvm valgrind tcpreplay iproute2 mmdb-bin libmaxmind-db-writer-perl
chromium tcpdump"
# Hyperscan (the rule prefilter): Debian builds it for amd64 only; elsewhere kagami uses its own
# Aho-Corasick automaton (configure finds libhs through pkg-config when it is there)
[ "$(dpkg --print-architecture 2>/dev/null)" = amd64 ] && PKGS="$PKGS libhyperscan-dev"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# node and npm (the geolocation database comes from the npm registry): Debian's packages unless
# a Node.js is already installed (NodeSource's nodejs conflicts with Debian's npm)
if ! command -v npm >/dev/null 2>&1; then
	for p in nodejs npm; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
	done
fi
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer for it
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
