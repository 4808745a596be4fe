#!/usr/bin/env bash
# Runs one libFuzzer harness: first every saved regression input
# (tests/fuzz/regressions/NAME; each once, any crash fails), then fuzzing for
# PETREL_FUZZ_SECONDS (20 by default) from its seeds.  A crash leaves the
# input in PETREL_FUZZ_ARTIFACTS (default: fuzz-artifacts/NAME in the current
# directory, the build dir under meson) and fails: copy it into
# tests/fuzz/regressions/NAME once fixed.
#   tests/fuzz/fuzz.sh BUILD/tests/fuzz/fuzz_NAME NAME
set -uo pipefail
exe=$1 name=$2
src=${PETREL_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
secs=${PETREL_FUZZ_SECONDS:-20}
art=${PETREL_FUZZ_ARTIFACTS:-$PWD/fuzz-artifacts/$name}
mkdir -p "$art"

# ASan's leak check at exit and halting on UB both count as findings.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}:abort_on_error=1
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}:halt_on_error=1

case $name in
imap_list | pop3 | smtp)
	export LSAN_OPTIONS=suppressions=$src/tests/fuzz/lsan-libetpan.supp:print_suppressions=0 ;;
esac

regs=$src/tests/fuzz/regressions/$name
if [ -d "$regs" ] && [ -n "$(ls -A "$regs")" ]; then
	echo "fuzz_$name: replaying $(ls "$regs" | wc -l) regression inputs"
	"$exe" -runs=1 "$regs"/* >"$art/replay.log" 2>&1 || {
		cat "$art/replay.log"
		echo "fuzz_$name: a regression input fails again" >&2
		exit 1
	}
fi

# Seeds: the harness's own, and real data where there is some.
seeds=("$src/tests/fuzz/seeds/$name")
case $name in
mime | header | html | sanitize)
	seeds+=("$src/tests/corpus")
	[ -d "$src/../shared/corpus" ] && seeds+=("$src/../shared/corpus")
	;;
keymap) seeds+=("$src/keymaps") ;;
theme) seeds+=("$src/themes") ;;
esac
existing=()
for d in "${seeds[@]}"; do [ -d "$d" ] && existing+=("$d"); done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "fuzz_$name: fuzzing for ${secs}s from ${existing[*]}"
"$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
	-print_final_stats=1 -artifact_prefix="$art/" ${PETREL_FUZZ_FLAGS:-} \
	"$work" "${existing[@]}" >"$art/fuzz.log" 2>&1
rc=$?
# the summary: the last status line (#N DONE cov: ft: corp: exec/s) and the stats
grep -E '^#[0-9]+[[:space:]]+(DONE|INITED)|^stat::' "$art/fuzz.log" | tail -n 8
if [ $rc != 0 ]; then
	tail -n 60 "$art/fuzz.log"
	echo "fuzz_$name: a finding, input saved in $art (see $art/fuzz.log)" >&2
	exit 1
fi
echo "fuzz_$name: nothing found"
