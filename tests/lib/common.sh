# tests/lib/common.sh - shared helpers for the shell tests (sourced).
# Environment from tests/local.mk: KAGAMI, KAGAMI_CAT, PCAPGEN, top_srcdir, top_builddir, SHARED_PCAPS.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${KAGAMI:=$top_builddir/kagami}"
: "${KAGAMI_CAT:=$top_builddir/kagami-cat}"
: "${PCAPGEN:=$top_builddir/tools/pcapgen/pcapgen}"

# The shared real captures: $SHARED_PCAPS, else ../shared/pcaps/real beside the source tree.
shared_dir() {
	if [ -n "${SHARED_PCAPS:-}" ] && [ -d "$SHARED_PCAPS" ]; then
		echo "$SHARED_PCAPS"
	elif [ -d "$top_srcdir/../shared/pcaps/real" ]; then
		(cd "$top_srcdir/../shared/pcaps/real" && pwd)
	fi
}

# The ET Open tests: R (the shared captures) and ET (the ruleset beside them), or skip; PREFILTERS,
# the matchers to run the ruleset with (the build's default, and the own Aho-Corasick "ac").
need_et() {
	need jq
	R=$(shared_dir)
	[ -n "$R" ] || skip "no shared captures"
	ET=$R/../../rules/et-open
	[ -d "$ET" ] || skip "no ET Open ruleset beside the shared captures"
	PREFILTERS="$("$KAGAMI" --test-rules "$top_srcdir/signatures" --rule-profile 1 | sed -n 's/.*prefilter //p')"
	[ "$PREFILTERS" = ac ] || PREFILTERS="$PREFILTERS ac"
}

# Automake's exit code for a skipped test.
skip() {
	echo "SKIP: $*"
	exit 77
}

fail() {
	echo "FAIL: $*"
	exit 1
}

# A scratch directory removed on exit.
scratch() {
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/kagami-test.XXXXXX")
	trap 'rm -rf "$WORK"' EXIT
}

need() {
	command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed"
}

# events FILE [kagami args...]: the events of a capture as sorted-key JSON lines
# (packet time only; stats events left out: they hold run-internal counters).
events() {
	local f=$1
	shift
	"$KAGAMI" -r "$f" --stats-interval 0 --no-stats "$@" -w - | "$KAGAMI_CAT" --sort-keys
}

# Protocol tests (smb, dns, tls): jq assertions over the events of a capture.
# check DESCRIPTION JQ-EXPRESSION FILE: the expression (over the file slurped) must be true;
# a failure is printed and sets status=1, so that one run reports every failed check.
check() {
	if ! jq -e -s "$2" "$3" >/dev/null; then
		echo "FAIL: $1"
		status=1
	fi
}
# ev CAPTURE: write its events (no flow events) to $WORK and print the file's name
ev() { events "$1" --no-flows >"$WORK/$(basename "$1").json"; echo "$WORK/$(basename "$1").json"; }
# jq expressions: the alert sids of a file; the alerts of one sid
sids() { echo "[.[] | select(.event_type == \"alert\") | .alert.signature_id]"; }
alert() { echo "[.[] | select(.alert.signature_id == $1)]"; }

# Waiting on events, not on time. A timing-dependent test waits for what it needs to have
# happened (a consumer has an event, kagami has counted N packets) and never sleeps a fixed
# time and then asserts; the only clock is a generous bound that fails a run that is stuck:
# $KAGAMI_TEST_TIMEOUT seconds (default 120) for each wait.
# wait_for DESCRIPTION CMD [ARGS...]: run CMD every 50 ms until it succeeds.
wait_for() {
	local what=$1 t0
	shift
	t0=$(date +%s)
	until "$@"; do
		[ $(($(date +%s) - t0)) -lt "${KAGAMI_TEST_TIMEOUT:-120}" ] ||
			fail "waited ${KAGAMI_TEST_TIMEOUT:-120} s for $what"
		sleep 0.05
	done
}

# stats_of FILE [JQ]: the stats events in an event file (msgpack or JSON lines) that may still
# be being written (a cut last event is left out), one JSON line each; with JQ, those for which
# it holds (e.g. the supervisor's merged ones: '.stats.worker == null').
stats_of() {
	[ -s "$1" ] || return 0
	if [ "$(head -c 1 "$1")" = "{" ]; then
		jq -c -R 'fromjson? | select(.event_type == "stats")' "$1" 2>/dev/null
	else
		"$KAGAMI_CAT" -t stats "$1" 2>/dev/null
	fi | jq -c "select(${2:-true})"
	return 0
}

# usr1_stats PID FILE [JQ [WHICH]]: ask kagami (PID) for a stats event with SIGUSR1 until one
# for which the jq condition holds (default: any) is in FILE - its -w file, or what a consumer
# of its output received - and print that event. WHICH (jq) picks the stats events that
# count (default all). A round waits up to 2 s for the event it
# asked for (the -w file is written within the output's flush interval; a consumer may
# have missed it) before asking again.
usr1_stats() {
	local pid=$1 f=$2 cond=${3:-true} which=${4:-true} t0 n k last
	t0=$(date +%s)
	while :; do
		n=$(stats_of "$f" "$which" | wc -l)
		kill -USR1 "$pid" 2>/dev/null || fail "kagami ($pid) is gone while waiting for a stats event"
		k=0
		while [ "$(stats_of "$f" "$which" | wc -l)" -le "$n" ] && [ $k -lt 40 ]; do
			sleep 0.05
			k=$((k + 1))
		done
		last=$(stats_of "$f" "$which" | tail -n 1)
		if [ -n "$last" ] && echo "$last" | jq -e "$cond" >/dev/null 2>&1; then
			echo "$last"
			return 0
		fi
		[ $(($(date +%s) - t0)) -lt "${KAGAMI_TEST_TIMEOUT:-120}" ] ||
			fail "waited ${KAGAMI_TEST_TIMEOUT:-120} s for a stats event ($cond) in $f; last: $last"
	done
}
