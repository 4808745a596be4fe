#!/usr/bin/env bash
# Stop every process start.sh started for DIR, and nothing else.
# Usage: stop.sh [--only NAME] DIR     (safe to run any number of times)
# Servers get SIGTERM first; whatever is left after a few seconds gets
# SIGKILL. Processes are found by the sessions recorded in DIR/run, by the
# instance marker, and by what they carry even if DIR is gone (see
# helper.py procs).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd -P)
only=
if [ "${1:-}" = --only ]; then
	[ $# -ge 2 ] || { echo "usage: stop.sh [--only NAME] DIR" >&2; exit 2; }
	only=$2
	shift 2
fi
[ $# -eq 1 ] || { echo "usage: stop.sh [--only NAME] DIR" >&2; exit 2; }
# Absolute path even if DIR (or part of it) is gone: its processes are
# still found by what they carry (see helper.py procs).
D=$(realpath -m "$1")

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

# Session leaders (the masters) first: they stop their own children.
# shellcheck disable=SC2046  # a list of pids
signal TERM $(python3 "$here/helper.py" leaders "$D" ${only:+"$only"})

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
