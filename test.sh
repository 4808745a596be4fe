#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what is
# missing (as root), builds petrel twice (normal, and with AddressSanitizer +
# UndefinedBehaviorSanitizer), builds the fuzz harnesses (clang, tests/fuzz),
# starts the private test servers, runs every test in the three builds, stops
# the servers, and ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"

./scripts/deps.sh --test || { echo "0 passed, 1 failed"; exit 1; }

build() {  # build DIR [meson options...]
	local dir=$1; shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" -Dwerror=true "$@" >"$dir.setup.log" 2>&1 ||
			{ cat "$dir.setup.log"; return 1; }
	fi
	ninja -C "$dir" >"$dir.build.log" 2>&1 || { cat "$dir.build.log"; return 1; }
}
build build || { echo "0 passed, 1 failed"; exit 1; }
build build-san -Db_sanitize=address,undefined -Db_lundef=false ||
	{ echo "0 passed, 1 failed"; exit 1; }

# the libFuzzer harnesses (tests/fuzz): a short run of each, and their
# regression inputs replayed
CC=clang build build-fuzz -Dfuzz=true -Dtests=false -Db_sanitize=address,undefined \
	-Db_lundef=false || { echo "0 passed, 1 failed"; exit 1; }

exec tests/servers/with-servers.sh scripts/run-tests.sh build build-san build-fuzz
