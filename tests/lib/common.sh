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
