#!/usr/bin/env bash
# Run CMD with a fresh set of test servers: make a temp dir, start.sh it,
# source its env, run CMD, then always stop.sh and remove the dir (keep it
# with PETREL_KEEP_SERVERS=1). Exits with CMD's status.
# Usage: with-servers.sh CMD [ARGS...]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd -P)
[ $# -ge 1 ] || { echo "usage: with-servers.sh CMD [ARGS...]" >&2; exit 2; }

# PETREL_TEST_TMPDIR=/dev/shm (tmpfs) makes load-mail.sh and Dovecot faster.
dir=$(mktemp -d "${PETREL_TEST_TMPDIR:-${TMPDIR:-/tmp}}/petrel-srv.XXXXXX")
rc=0
cmd=
# shellcheck disable=SC2317  # called from the EXIT trap
cleanup() {
	# If we were interrupted, CMD must not outlive its servers.
	if [ -n "$cmd" ] && kill -0 "$cmd" 2>/dev/null; then
		kill -TERM "$cmd" 2>/dev/null || true
		wait "$cmd" 2>/dev/null || true
	fi
	"$here/stop.sh" "$dir" || echo "with-servers.sh: stop.sh failed for $dir" >&2
	if [ "${PETREL_KEEP_SERVERS:-0}" = 1 ]; then
		echo "with-servers.sh: kept $dir" >&2
	else
		rm -rf "$dir"
	fi
}
# shellcheck disable=SC2317  # the EXIT trap
on_exit() {
	local st=$?
	trap - EXIT
	# A second INT/TERM must not cut the cleanup short.
	trap '' INT TERM
	cleanup
	# CMD's status if it ran, else whatever made us stop.
	[ "$rc" != 0 ] && st=$rc
	exit "$st"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PETREL_START_QUIET=1 "$here/start.sh" "$dir"
# shellcheck source=/dev/null
. "$dir/env"
# Run CMD in the background and wait, so INT/TERM reach our traps at once;
# <&0 keeps our stdin (a background job would get /dev/null).
"$@" <&0 &
cmd=$!
wait "$cmd" || rc=$?
# wait returns >128 when a trapped signal interrupts it: then CMD still runs.
exit "$rc"
