#!/usr/bin/env bash
# Runs meson's test suite in each build directory given (relative to the
# repository) and prints the combined summary; the last line is
# "N passed, N failed, N skipped".  ./test.sh calls it with the test servers
# running.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here" || exit 1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$here/tests/lsan.supp:print_suppressions=0}

passed=0 failed=0 skipped=0
for dir in "$@"; do
	echo "=== tests in $dir"
	log=$here/$dir/meson-logs/testlog.json
	rm -f "$log"
	# shellcheck disable=SC2086
	meson test -C "$here/$dir" --print-errorlogs --num-processes 2 ${PETREL_TEST_ARGS:-}
	rc=$?
	counts=$(python3 - "$log" <<'PY'
import json, sys
p = f = s = 0
try:
    for line in open(sys.argv[1]):
        r = json.loads(line).get("result")
        if r in ("OK", "EXPECTEDFAIL"): p += 1
        elif r == "SKIP": s += 1
        else: f += 1
except OSError:
    pass
print(p, f, s)
PY
)
	read -r p f s <<<"$counts"
	# meson failing with nothing counted as failed is still a failure
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
