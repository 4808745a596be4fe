#!/usr/bin/env bash
# Runs meson's test suite in each build directory given and prints the
# combined summary; the last line is "N passed, N failed, N skipped".
# ./test.sh calls it with the test servers running.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$here/tests/lsan.supp:print_suppressions=0}

passed=0 failed=0 skipped=0
for dir in "$@"; do
	echo "=== tests in $dir"
	meson test -C "$dir" --print-errorlogs --num-processes 2 ${PETREL_TEST_ARGS:-}
	log=$dir/meson-logs/testlog.json
	[ -f "$log" ] || { failed=$((failed + 1)); continue; }
	counts=$(python3 - "$log" <<'PY'
import json, sys
p = f = s = 0
for line in open(sys.argv[1]):
    r = json.loads(line).get("result")
    if r in ("OK", "EXPECTEDFAIL"): p += 1
    elif r == "SKIP": s += 1
    else: f += 1
print(p, f, s)
PY
)
	read -r p f s <<<"$counts"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
