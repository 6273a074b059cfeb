#!/bin/sh
# tests/etc.sh - the deployment files under etc/ stay true to the sensor: the systemd unit
# passes systemd-analyze verify (with ExecStart pointed at the built binary) and its ExecStart
# command line, run against a capture, is accepted by kagami as written (every option known,
# etc/kagami.conf parsed) and writes a clean event stream and its pid file; the logrotate
# snippet passes logrotate --debug when logrotate is installed.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
scratch
UNIT="$top_srcdir/etc/kagami.service"
[ -f "$UNIT" ] || fail "no $UNIT"
exec_start=$(sed -n 's/^ExecStart=//p' "$UNIT")
[ -n "$exec_start" ] || fail "kagami.service has no ExecStart"
case "$exec_start" in */bin/kagami\ *) ;; *) fail "ExecStart does not run kagami: $exec_start" ;; esac
checked=""
if command -v systemd-analyze >/dev/null 2>&1; then
	# Documentation=man: needs the man page installed; the binary is the build's
	sed "s#^ExecStart=[^ ]*#ExecStart=$(cd "$(dirname "$KAGAMI")" && pwd)/$(basename "$KAGAMI")#; /^Documentation=/d" \
		"$UNIT" >"$WORK/kagami.service"
	systemd-analyze verify "$WORK/kagami.service" >"$WORK/verify" 2>&1 ||
		fail "systemd-analyze verify: $(cat "$WORK/verify")"
	checked="systemd-analyze verify,"
fi
# the unit's command line, with its paths moved into the scratch directory
args=$(echo "$exec_start" | sed "s#^[^ ]*##; s#/etc/kagami/kagami.conf#$top_srcdir/etc/kagami.conf#; s#/var/log/kagami/#$WORK/#; s#/run/kagami/#$WORK/#")
# shellcheck disable=SC2086
"$KAGAMI" $args -r "$top_srcdir/pcaps/core-tcp-basic.pcap" --no-stats 2>"$WORK/err" ||
	fail "kagami refused the unit's command line ($args): $(cat "$WORK/err")"
[ ! -s "$WORK/err" ] || fail "kagami complained about the unit's command line: $(cat "$WORK/err")"
n=$("$KAGAMI_CAT" "$WORK/events.mp" | wc -l) || fail "the unit's output is not a clean event stream"
[ "$n" -gt 0 ] || fail "the unit's command line wrote no event"
checked="$checked ExecStart accepted ($n events)"
if command -v logrotate >/dev/null 2>&1; then
	sed "s#/var/log/kagami/#$WORK/#" "$top_srcdir/etc/kagami.logrotate" >"$WORK/lr.conf"
	logrotate --debug --state "$WORK/lr.state" "$WORK/lr.conf" >"$WORK/lr.log" 2>&1 ||
		fail "logrotate --debug: $(cat "$WORK/lr.log")"
	checked="$checked, logrotate --debug"
fi
echo "etc: $checked"
