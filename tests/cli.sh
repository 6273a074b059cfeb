#!/bin/sh
# tests/cli.sh - the command line's documented behaviour: exit codes, error messages that name
# the problem, events kept before an input fault, whole events on output faults.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
scratch
P="$top_srcdir/pcaps"

expect_exit() { # code description command...
	local want=$1 what=$2 got
	shift 2
	"$@" >"$WORK/out" 2>"$WORK/err"
	got=$?
	[ "$got" = "$want" ] || { cat "$WORK/err"; fail "$what: exit $got, expected $want"; }
}

expect_exit 0 "--help" "$KAGAMI" --help
grep -q -- "--read" "$WORK/out" || fail "--help does not list --read"
expect_exit 0 "--version" "$KAGAMI" --version
grep -q "^kagami [0-9]" "$WORK/out" || fail "--version output"
expect_exit 1 "no input" "$KAGAMI"
grep -q "nothing to read" "$WORK/err" || fail "no-input message"
expect_exit 1 "unknown option" "$KAGAMI" --no-such-option
expect_exit 1 "bad value" "$KAGAMI" -r "$P/core-tcp-basic.pcap" --max-flows lots
grep -q "max-flows" "$WORK/err" || fail "bad value message does not name the option"

# configuration file: an unknown setting names file and line
printf '# comment\nmax-flows = 1000\nno-such-thing = 1\n' >"$WORK/bad.conf"
expect_exit 1 "bad config" "$KAGAMI" -c "$WORK/bad.conf" -r "$P/core-tcp-basic.pcap"
grep -q "bad.conf:3" "$WORK/err" || fail "config error does not name file:line"
printf 'read = %s\nno-stats = yes\njson = yes\n' "$P/core-tcp-basic.pcap" >"$WORK/good.conf"
expect_exit 0 "good config" "$KAGAMI" -c "$WORK/good.conf" -w "$WORK/cfg.json"
[ "$(grep -c '"event_type":"flow"' "$WORK/cfg.json")" = 2 ] || fail "config file settings not applied"

# a missing input
expect_exit 2 "missing file" "$KAGAMI" -r "$WORK/nope.pcap" -w "$WORK/x"
grep -q "nope.pcap" "$WORK/err" || fail "missing-file message does not name the file"
# not a capture
echo "hello" >"$WORK/text.pcap"
expect_exit 2 "bad magic" "$KAGAMI" -r "$WORK/text.pcap" -w "$WORK/x"
grep -q "text.pcap" "$WORK/err" || fail "bad-magic message does not name the file"

# a truncated capture: an error, and the events before the fault are kept
head -c 7000 "$P/core-tcp-basic.pcap" >"$WORK/trunc.pcap"
expect_exit 2 "truncated capture" "$KAGAMI" -r "$WORK/trunc.pcap" -w "$WORK/trunc.mp" --no-stats
grep -q "trunc.pcap" "$WORK/err" || fail "truncation message does not name the file"
"$KAGAMI_CAT" "$WORK/trunc.mp" >"$WORK/trunc.json" || fail "output after an input fault is not a clean stream"
grep -q '"event_type":"flow"' "$WORK/trunc.json" || fail "events before the fault were lost"

# several inputs, a directory, and stdin give the same flows as the files one by one
mkdir "$WORK/dir"
cp "$P/core-vlan.pcap" "$P/core-link-raw.pcap" "$WORK/dir/"
n_dir=$(events "$WORK/dir" | grep -c '"event_type":"flow"')
n_files=$( ("$KAGAMI" -r "$P/core-vlan.pcap" --no-stats -w - ; "$KAGAMI" -r "$P/core-link-raw.pcap" --no-stats -w -) | "$KAGAMI_CAT" | grep -c '"event_type":"flow"')
[ "$n_dir" = "$n_files" ] || fail "directory input: $n_dir flows, files: $n_files"
n_stdin=$("$KAGAMI" -r - --no-stats -w - <"$P/core-vlan.pcap" | "$KAGAMI_CAT" | grep -c '"event_type":"flow"')
[ "$n_stdin" = 2 ] || fail "stdin input: $n_stdin flows"

# pcapng: the same events as the same packets in a pcap
if command -v editcap >/dev/null 2>&1; then
	editcap -F pcapng "$P/core-ipv6.pcap" "$WORK/ipv6.pcapng" || fail "editcap"
	events "$P/core-ipv6.pcap" >"$WORK/a.json"
	events "$WORK/ipv6.pcapng" >"$WORK/b.json"
	cmp -s "$WORK/a.json" "$WORK/b.json" || fail "pcapng input gives other events than pcap"
fi

# output faults: a full device and a closed pipe are errors (exit 3), not silence
if [ -w /dev/full ]; then
	expect_exit 3 "disk full" "$KAGAMI" -r "$P/core-tcp-basic.pcap" -w /dev/full
	grep -qi "no space" "$WORK/err" || fail "disk-full message"
fi
# the reader closes its end before kagami writes
( "$KAGAMI" -r "$P/core-tunnels.pcap" --json -w - 2>"$WORK/pipe.err"; echo $? >"$WORK/pipe.rc" ) | (exec 0<&-)
[ "$(cat "$WORK/pipe.rc")" = 3 ] || fail "closed pipe: exit $(cat "$WORK/pipe.rc"), expected 3"
grep -qi "broken pipe" "$WORK/pipe.err" || fail "closed-pipe message missing: $(cat "$WORK/pipe.err")"
echo "cli: all checks passed"
