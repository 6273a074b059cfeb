#!/bin/sh
# tests/geo.sh - geolocation: src_geo/dest_geo from the test databases (tools/mkmmdb.pl) for
# IPv4 and IPv6, both database layouts, database order, special-purpose ranges, the cache, the
# default directory, and clear errors at start for missing or corrupt databases.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
need jq
scratch
DATA="$top_srcdir/tests/data"
CAP="$top_srcdir/pcaps/obs-scan.pcap"
status=0
check() { # description jq-filter file: the filter must print true
	if [ "$(jq -s "$2" "$3")" != "true" ]; then
		echo "FAIL: $1"
		status=1
	else
		echo "ok: $1"
	fi
}

# default directory = the test databases (KAGAMI_GEOIP_DIR from tests/local.mk)
KAGAMI_GEOIP_DIR="$DATA/geoip" events "$CAP" >"$WORK/def.jsonl" 2>"$WORK/def.err" || fail "kagami failed"
[ -s "$WORK/def.err" ] && { echo "FAIL: unexpected messages:"; cat "$WORK/def.err"; status=1; }
F="$WORK/def.jsonl"
flow() { echo "map(select(.event_type == \"flow\" and .src_ip == \"$1\"))[0]"; }
check "IPv4 country + ASN (GeoLite2 layouts)" \
	"$(flow 1.1.0.5).src_geo == {scope: \"global\", country: \"JP\", asn: 64496, as_org: \"Kagami Test Net JP\"}" "$F"
check "private destination labelled without lookup" "$(flow 1.1.0.5).dest_geo == {scope: \"private\"}" "$F"
check "IPv6 country + ASN" \
	"$(flow 2001:200::10).src_geo == {scope: \"global\", country: \"JP\", asn: 64499, as_org: \"Kagami Test Net JP v6\"}" "$F"
check "IPv6 ULA is private" "$(flow 2001:200::10).dest_geo == {scope: \"private\"}" "$F"
check "IPv6 country without ASN" "$(flow 2a01:100::5).src_geo == {scope: \"global\", country: \"DE\"}" "$F"
check "registered_country when country is absent" "$(flow 7.7.0.1).src_geo == {scope: \"global\", country: \"NL\"}" "$F"
check "global address no database knows" "$(flow 4.4.0.1).src_geo == {scope: \"global\"}" "$F"
check "every event with addresses has both geo maps" \
	'map(select(.src_ip) | (.src_geo | type) == "object" and (.dest_geo | type) == "object") | all' "$F"

# special-purpose ranges: documentation (core captures use 192.0.2.0/24 and 2001:db8::/32)
events "$top_srcdir/pcaps/core-ipv6.pcap" >"$WORK/v6.jsonl"
check "2001:db8::/32 is documentation" \
	'map(select(.src_ip == "2001:db8::1"))[0].src_geo == {scope: "documentation"}' "$WORK/v6.jsonl"

# the ip-location-db layout (country_code), alone and in order with the GeoLite2 database
events "$CAP" --geoip "$DATA/test-loc-country.mmdb" >"$WORK/loc.jsonl"
check "ip-location-db layout: country_code" "$(flow 2.2.0.7).src_geo == {scope: \"global\", country: \"GB\"}" \
	"$WORK/loc.jsonl"
check "ip-location-db layout: IPv6" "$(flow 2001:200::10).src_geo.country == \"JP\"" "$WORK/loc.jsonl"
events "$CAP" --geoip "$DATA/test-loc-country.mmdb" --geoip "$DATA/geoip/test-country.mmdb" \
	--geoip "$DATA/geoip/test-asn.mmdb" >"$WORK/o1.jsonl"
events "$CAP" --geoip "$DATA/geoip/test-country.mmdb" --geoip "$DATA/test-loc-country.mmdb" >"$WORK/o2.jsonl"
check "first database wins (loc first)" \
	"$(flow 2.2.0.7).src_geo == {scope: \"global\", country: \"GB\", asn: 64497, as_org: \"Kagami Test Net FR\"}" \
	"$WORK/o1.jsonl"
check "first database wins (country first)" "$(flow 2.2.0.7).src_geo.country == \"FR\"" "$WORK/o2.jsonl"

# --no-geoip
events "$CAP" --no-geoip >"$WORK/no.jsonl"
check "--no-geoip: no geo fields" 'map(select(.src_geo or .dest_geo)) | length == 0' "$WORK/no.jsonl"

# the cache: one database lookup per distinct global address (10 in obs-scan)
"$KAGAMI" -r "$CAP" --stats-interval 0 -w - | "$KAGAMI_CAT" -t stats >"$WORK/stats.jsonl"
check "cache: misses = distinct global addresses, hits for the rest" \
	'.[-1].stats.geo | .cache_misses == 10 and .cache_hits > 100 and .cache_evictions == 0 and .databases == 2' \
	"$WORK/stats.jsonl"

# no database in the default directory: a one-line notice, geolocation off, exit 0
mkdir "$WORK/empty"
KAGAMI_GEOIP_DIR="$WORK/empty" "$KAGAMI" -r "$CAP" --no-stats -w - 2>"$WORK/empty.err" |
	"$KAGAMI_CAT" >"$WORK/empty.jsonl" || fail "kagami without a database failed"
if [ "$(wc -l <"$WORK/empty.err")" -ne 1 ] || ! grep -q "geolocation is off" "$WORK/empty.err"; then
	echo "FAIL: no one-line notice without a database:"
	cat "$WORK/empty.err"
	status=1
fi
check "no database: no geo fields" 'map(select(.src_geo)) | length == 0' "$WORK/empty.jsonl"

# a default directory that cannot be read (as the -u user may find it): the notice says why
: >"$WORK/notadir"
KAGAMI_GEOIP_DIR="$WORK/notadir" "$KAGAMI" -r "$CAP" --no-stats -w /dev/null 2>"$WORK/notadir.err" ||
	fail "kagami with an unreadable database directory failed"
grep -q "no geolocation database in $WORK/notadir: Not a directory; geolocation is off" "$WORK/notadir.err" || {
	echo "FAIL: the notice does not name why the directory could not be read:"
	cat "$WORK/notadir.err"
	status=1
}

# errors at start: exit 1 and a message naming the file
expect_error() { # description pattern kagami-args...
	local d=$1 pat=$2 rc=0
	shift 2
	"$@" >/dev/null 2>"$WORK/err" || rc=$?
	if [ "$rc" -ne 1 ] || ! grep -q "$pat" "$WORK/err"; then
		echo "FAIL: $d: exit $rc, stderr:"
		cat "$WORK/err"
		status=1
	else
		echo "ok: $d: $(head -1 "$WORK/err")"
	fi
}
expect_error "missing --geoip" "nonexistent.mmdb: cannot open" "$KAGAMI" -r "$CAP" --geoip "$WORK/nonexistent.mmdb"
printf 'this is not a database\n' >"$WORK/text.mmdb"
expect_error "text file as --geoip" "text.mmdb: not a MaxMind DB" "$KAGAMI" -r "$CAP" --geoip "$WORK/text.mmdb"
head -c 1500 "$DATA/geoip/test-country.mmdb" >"$WORK/trunc.mmdb"
expect_error "truncated database" "trunc.mmdb: not a MaxMind DB" "$KAGAMI" -r "$CAP" --geoip "$WORK/trunc.mmdb"
# valid tree and metadata, data section overwritten: caught by the probe at start
cp "$DATA/geoip/test-country.mmdb" "$WORK/baddata.mmdb"
nodes=$(mmdblookup -f "$DATA/geoip/test-country.mmdb" -v -i 1.1.1.1 2>/dev/null | awk '/Node count/ {print $3}')
if [ -n "$nodes" ]; then
	printf '\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377' |
		dd of="$WORK/baddata.mmdb" bs=1 seek=$((nodes * 6 + 16)) conv=notrunc 2>/dev/null
	expect_error "corrupt data section" "baddata.mmdb: not a MaxMind DB" "$KAGAMI" -r "$CAP" --geoip "$WORK/baddata.mmdb"
else
	echo "note: mmdblookup absent; corrupt data section not checked"
fi
mkdir "$WORK/corrupt"
cp "$WORK/text.mmdb" "$WORK/corrupt/"
KAGAMI_GEOIP_DIR="$WORK/corrupt" expect_error "corrupt default database" "not a MaxMind DB" "$KAGAMI" -r "$CAP"
exit $status
