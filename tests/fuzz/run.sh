#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, ASan + UBSan) and runs them one at a
# time, at low priority, each for a fixed time from its seeds after replaying
# its regression inputs (tests/fuzz/fuzz.sh does one):
#   tests/fuzz/run.sh [--long | --seconds N] [NAME...]
# 20 seconds each by default (what ./test.sh runs), --long 10 minutes each.
# NAMEs: sanitize mime header html config pop3 imap_list guard compress smtp
# keymap theme (all by default).  The build dir is build-fuzz in the repository, or
# $PETREL_FUZZ_BUILD.  Findings are left in BUILD/fuzz-artifacts/NAME.
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${PETREL_FUZZ_BUILD:-$src/build-fuzz}
secs=20
case ${1:-} in
--long) secs=600; shift ;;
--seconds) secs=$2; shift 2 ;;
esac
names=("$@")
[ ${#names[@]} = 0 ] && names=(sanitize mime header html config pop3 imap_list guard compress smtp keymap theme)

if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" -Dwerror=true -Dfuzz=true -Dtests=false \
		-Db_sanitize=address,undefined -Db_lundef=false || exit 1
fi
ninja -C "$build" || exit 1

failed=0
for n in "${names[@]}"; do
	( cd "$build" && PETREL_SRC=$src PETREL_FUZZ_SECONDS=$secs \
		nice -n 10 "$src/tests/fuzz/fuzz.sh" "$build/tests/fuzz/fuzz_$n" "$n" ) ||
		failed=$((failed + 1))
done
echo "fuzz: ${#names[@]} harnesses, $failed with findings"
[ $failed = 0 ]
