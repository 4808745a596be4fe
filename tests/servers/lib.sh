# shellcheck shell=bash
# Shared by start.sh and stop.sh (sourced, not run).
# Every daemon we start is the leader of its own session: we record its pid
# and start time, and stop.sh later kills exactly that session.

# proc_field PID N: field N (N >= 3) of /proc/PID/stat, or nothing.
proc_field() {
	local n=$2 stat rest
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	# The command name (field 2) may hold spaces and parens: cut after it.
	rest=${stat##*) }
	# shellcheck disable=SC2086  # word splitting into fields is the point
	set -- $rest
	shift $((n - 3))
	echo "$1"
}

# record_pid DIR NAME PID: remember a started session leader for stop.sh.
record_pid() {
	local start
	start=$(proc_field "$3" 22)
	[ -n "$start" ] || return 1
	mkdir -p "$1/run"
	echo "$3 $start" >"$1/run/$2.pid"
}
