#!/bin/sh
# tests/layering.sh - the source tree's dependencies point one way (docs/hacking.md, "Layout"):
# every quoted #include of a stage names only the stages it may use. Fails on the first
# include that points back up the pipeline, with the file, the line and the rule it breaks.
set -eu
top=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top"

# stage: the stages it may include (its own folder is always allowed)
allowed() {
	case $1 in
	util) echo "" ;;
	decode) echo "util" ;;
	capture) echo "decode util" ;;
	flow) echo "decode util" ;;
	output) echo "flow decode util" ;;
	dissectors) echo "output flow decode util" ;;
	engine) echo "dissectors output flow decode util" ;;
	signatures) echo "engine dissectors output flow decode util" ;;
	enrich) echo "engine output flow decode util" ;;
	workers) echo "capture output decode util" ;;
	programs) echo "output decode util" ;;
	program) echo "util decode capture flow output dissectors engine signatures enrich workers program" ;;
	*) echo "?" ;;
	esac
}

# the stage of a file or of an include path (as written, from -I sensor or -I top)
stage_of_file() {
	case $1 in
	sensor/util/*) echo util ;;
	sensor/decode/*) echo decode ;;
	sensor/capture/*) echo capture ;;
	sensor/flow/*) echo flow ;;
	sensor/output/*) echo output ;;
	sensor/engine/*) echo engine ;;
	sensor/enrich/*) echo enrich ;;
	sensor/workers/*) echo workers ;;
	sensor/programs/*) echo programs ;;
	sensor/*) echo program ;;
	dissectors/*) echo dissectors ;;
	signatures/*) echo signatures ;;
	*) echo "?" ;;
	esac
}

fail=0
checked=0
for f in $(find sensor dissectors signatures -name '*.[ch]' | sort); do
	from=$(stage_of_file "$f")
	ok=$(allowed "$from")
	dir=$(dirname "$f")
	grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" | while IFS= read -r line; do
		n=${line%%:*}
		inc=$(printf '%s\n' "$line" | sed 's/.*include[[:space:]]*"\([^"]*\)".*/\1/')
		[ "$inc" = config.h ] && continue
		if [ -f "$dir/$inc" ]; then
			target="$dir/$inc"            # same folder (or below it)
		elif [ -f "sensor/$inc" ]; then
			target="sensor/$inc"
		elif [ -f "$inc" ]; then
			target="$inc"
		else
			echo "$f:$n: include \"$inc\" names no file of the tree"
			exit 1
		fi
		to=$(stage_of_file "$target")
		[ "$to" = "$from" ] && continue
		case " $ok " in
		*" $to "*) ;;
		*) echo "$f:$n: $from/ includes $target ($to/): $from/ may use only: ${ok:-nothing}"
		   exit 1 ;;
		esac
	done || fail=1
	checked=$((checked + 1))
done
[ "$fail" = 0 ] || exit 1
echo "layering: $checked files, every include points down the pipeline"
