#!/usr/bin/env bash
# Stop every process start.sh started for DIR, and nothing else.
# Usage: stop.sh [--only NAME] DIR     (safe to run any number of times)
# Servers get SIGTERM first; whatever is left after a few seconds gets
# SIGKILL. Processes are found by the session ids recorded in DIR/run and by
# the instance marker (see helper.py procs).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd -P)
only=
if [ "${1:-}" = --only ]; then
	[ $# -ge 2 ] || { echo "usage: stop.sh [--only NAME] DIR" >&2; exit 2; }
	only=$2
	shift 2
fi
[ $# -eq 1 ] || { echo "usage: stop.sh [--only NAME] DIR" >&2; exit 2; }
# Nothing was ever started there: nothing to do.
D=$(cd "$1" 2>/dev/null && pwd -P) || exit 0
[ -d "$D/run" ] || [ -e "$D/instance" ] || exit 0

ours() { python3 "$here/helper.py" procs "$D" ${only:+"$only"}; }

# wait_gone SECS: poll until no process of ours is left.
wait_gone() {
	local end=$((SECONDS + $1)) left
	while :; do
		left=$(ours)
		[ -z "$left" ] && return 0
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.1
	done
}

signal() { # SIG PID...
	local sig=$1
	shift
	[ $# -gt 0 ] && kill "-$sig" "$@" 2>/dev/null
	return 0
}

# Session leaders first (the masters stop their own children), if they are
# still the processes we started.
. "$here/lib.sh"
for f in "$D"/run/"$only"*.pid; do
	[ -e "$f" ] || continue
	read -r pid start <"$f" || continue
	if [ "$(proc_field "$pid" 22)" = "$start" ]; then
		signal TERM "$pid"
	fi
done

if ! wait_gone 6; then
	# shellcheck disable=SC2046  # a list of pids
	signal TERM $(ours)
	if ! wait_gone 2; then
		echo "stop.sh: killing stubborn processes: $(ours)" >&2
		# shellcheck disable=SC2046
		signal KILL $(ours)
		wait_gone 3 || { echo "stop.sh: still running: $(ours)" >&2; exit 1; }
	fi
fi
rm -f "$D"/run/"$only"*.pid
